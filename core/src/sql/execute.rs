//! The audited Execute use case, the one path by which a statement runs: it
//! is judged under the policy (and the target's catalogue, once read), its
//! request is recorded before anything runs, it runs read-only into the
//! caller's sinks, and its result is recorded. A click in the chat and
//! `pstral sql run` both go through it; neither can skip a step.

use pstral_chat::Place;
use serde_json::{Map, Value, json};

use super::exec::{ExecError, Executor, Limits, Outcome, RowSink};
use super::schema::Catalog;
use super::validate::{Policy, Refusal, Validated, validate_in};
use crate::audit::{Actor, Audit, AuditError, EventKind, NewEvent};

/// Why a statement did not run.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The validator refused it.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// Its request could not be recorded, so it was not run.
    #[error("cannot record the execution, so it was not done: {0}")]
    NotRecorded(AuditError),
}

/// Who asks to run a statement, where, and what names it in the audit.
pub struct Execution<'a> {
    pub audit: &'a Audit,
    pub actor: Actor,
    pub place: Option<Place>,
    /// Fields recorded with both the request and the result (the statement's
    /// id, its target, how it was asked for…).
    pub about: Map<String, Value>,
}

/// How a run went, and whether its result made it into the audit.
pub struct Executed {
    pub outcome: Result<Outcome, ExecError>,
    /// The record of the result; a caller that can fail loudly should.
    pub recorded: Result<(), AuditError>,
}

/// A statement judged and its request recorded: it may run, once.
pub struct Approved<'a> {
    execution: Execution<'a>,
    valid: Validated,
}

impl<'a> Execution<'a> {
    /// Judges `text` and records the request. Nothing runs without that
    /// record: a request that cannot be recorded is not approved.
    ///
    /// # Errors
    /// [`ExecuteError::Refused`] with the validator's reason;
    /// [`ExecuteError::NotRecorded`] when the audit cannot take the request.
    pub async fn request(
        self,
        text: &str,
        policy: &Policy,
        catalog: Option<&Catalog>,
    ) -> Result<Approved<'a>, ExecuteError> {
        let valid = validate_in(text, policy, catalog).map_err(ExecuteError::Refused)?;
        let mut payload = self.about.clone();
        payload.insert("text".to_owned(), json!(valid.text));
        self.audit
            .append(self.event(EventKind::ExecuteRequested, payload))
            .await
            .map_err(ExecuteError::NotRecorded)?;
        Ok(Approved {
            execution: self,
            valid,
        })
    }

    fn event(&self, kind: EventKind, payload: Map<String, Value>) -> NewEvent {
        let event = NewEvent::new(kind, self.actor.clone(), Value::Object(payload));
        match &self.place {
            Some(place) => event.at(place.clone()),
            None => event,
        }
    }
}

impl Approved<'_> {
    /// The statement as it was judged, which is what runs.
    pub fn statement(&self) -> &Validated {
        &self.valid
    }

    /// Runs the statement read-only into `sink` and records the result
    /// (its shape and duration, or the error) before returning it.
    /// `executor` is the target, or why it could not be opened, which is
    /// then the recorded result.
    pub async fn run(
        self,
        executor: Result<&dyn Executor, ExecError>,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Executed {
        let outcome = match executor {
            Ok(executor) => executor.run(&self.valid, limits, sink).await,
            Err(e) => Err(e),
        };
        let label = match &outcome {
            Ok(_) => "ok",
            Err(ExecError::Timeout(_)) => "timeout",
            Err(ExecError::Unavailable(_)) => "unavailable",
            Err(_) => "error",
        };
        metrics::counter!("pstral_executions_total", "outcome" => label).increment(1);
        let mut payload = self.execution.about.clone();
        match &outcome {
            Ok(o) => {
                metrics::counter!("pstral_rows_returned_total").increment(o.rows);
                payload.insert("rows".to_owned(), json!(o.rows));
                payload.insert("columns".to_owned(), json!(o.columns.len()));
                payload.insert("truncated".to_owned(), json!(o.truncated));
                let ms = u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX);
                payload.insert("duration_ms".to_owned(), json!(ms));
                payload.insert("error".to_owned(), Value::Null);
            }
            Err(e) => {
                payload.insert("rows".to_owned(), json!(0));
                payload.insert("error".to_owned(), json!(e.to_string()));
            }
        }
        let event = self.execution.event(EventKind::ExecuteResult, payload);
        let recorded = self.execution.audit.append(event).await.map(drop);
        Executed { outcome, recorded }
    }
}
