//! The audited Execute use case, the one path by which a statement runs: it
//! is judged under the policy (and the target's catalogue, once read:
//! [`judge`]), its request is recorded before anything runs, it runs read-only into the
//! caller's sinks, and its result is recorded. A click in the chat and
//! `pstral sql run` both go through it; neither can skip a step.

use pstral_chat::Place;
use serde_json::{Value, json};

use super::backend::{Cell, Column, ExecError, Executor, Limits, Outcome, RowSink};
use super::schema::Catalog;
use super::validate::{Policy, Reach, Refusal, Validated, validate_in};
use crate::audit::{Actor, Audit, AuditError, EventKind, NewEvent};

/// A statement judged under the policy and the target's catalogue. Only
/// [`judge`] makes one, so nothing reaches [`Execution::request`] unjudged;
/// a caller judges first and opens what it needs to record only then.
pub struct Judged(Validated);

impl Judged {
    /// The statement as judged: what the data-access rules judge next.
    pub fn statement(&self) -> &Validated {
        &self.0
    }
}

/// Judges `text` under `policy` and, once it has been read, the target's
/// catalogue (a relation must be one of its tables or views).
///
/// # Errors
/// The validator's refusal, for the person who asked.
pub fn judge(text: &str, policy: &Policy, catalog: Option<&Catalog>) -> Result<Judged, Refusal> {
    validate_in(text, policy, catalog).map(Judged)
}

/// The order a result's rows are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowOrder {
    /// As the database returns them.
    #[default]
    AsReturned,
    /// Sorted by their values, every column from the first: for a reader
    /// who may not read a column of a table the statement reads, and whose
    /// statement does not order its rows wholly (see
    /// [`crate::access::Group::sorts`]), since the order the database reads
    /// rows in may follow that column. A result cut at its cap is then not
    /// shown at all ([`ExecError::CutUnordered`]): which rows were kept
    /// would follow that order too.
    ByValues,
}

/// Who asks to run a statement, where, and what names it in the audit.
pub struct Execution<'a> {
    pub audit: &'a Audit,
    pub actor: Actor,
    pub place: Option<Place>,
    /// The order its rows are shown in.
    pub order: RowOrder,
    /// Its reader may not read a column of a table it reads: a database
    /// error, which may quote the first row the database read (and so tell
    /// the order rows are read in), is withheld from them
    /// ([`ExecError::Withheld`]); the audit keeps it whole.
    pub withhold_errors: bool,
    /// Fields recorded with both the request and the result (the statement's
    /// id, its target, how it was asked for…): a JSON object.
    pub about: Value,
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

/// The most characters of what a statement reads that its request's record
/// keeps: a statement names a few columns, but one of 16 KiB may name
/// thousands of columns no table has, each counted for every table in view,
/// and what one click adds to the own database stays under 64 KiB (see
/// `validate::MAX_STATEMENT_BYTES`); the statement itself is kept whole.
const RECORDED_READS_CHARS: usize = 4 * 1024;

/// What the request's record keeps of what a statement reads: the names in
/// [`Reach::listed`]'s order up to [`RECORDED_READS_CHARS`], then one that
/// says how many more there were.
fn recorded_reads(reach: &Reach) -> Vec<String> {
    let listed = reach.listed();
    let mut recorded = Vec::new();
    let mut chars = 0;
    for (i, name) in listed.iter().enumerate() {
        chars += name.chars().count();
        if chars > RECORDED_READS_CHARS {
            recorded.push(format!("… {} more", listed.len() - i));
            break;
        }
        recorded.push(name.clone());
    }
    recorded
}

impl<'a> Execution<'a> {
    /// Records the request for a judged statement. Nothing runs without
    /// that record: a request that cannot be recorded is not approved.
    ///
    /// # Errors
    /// When the audit cannot take the request; the statement must not run.
    pub async fn request(self, judged: Judged) -> Result<Approved<'a>, AuditError> {
        let Judged(valid) = judged;
        let mut payload = self.about.clone();
        payload["text"] = json!(valid.text);
        // What it reads, as the validator resolved it: the audit can say
        // who read a column without parsing statements again.
        payload["reads"] = json!(recorded_reads(&valid.reach));
        self.audit
            .append(self.event(EventKind::ExecuteRequested, payload))
            .await?;
        Ok(Approved {
            execution: self,
            valid,
        })
    }

    fn event(&self, kind: EventKind, payload: Value) -> NewEvent {
        NewEvent {
            place: self.place.clone(),
            ..NewEvent::new(kind, self.actor.clone(), payload)
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
        let outcome = self.run_unrecorded(executor, limits, sink).await;
        self.record(outcome, Value::Null).await
    }

    /// Runs the statement read-only into `sink`, for [`Approved::record`]
    /// to record with what was made of the rows (a chart).
    pub async fn run_unrecorded(
        &self,
        executor: Result<&dyn Executor, ExecError>,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        let executor = executor?;
        match self.execution.order {
            RowOrder::AsReturned => executor.run(&self.valid, limits, sink).await,
            RowOrder::ByValues => {
                let mut sorted = SortedRows::new(sink);
                let outcome = executor.run(&self.valid, limits, &mut sorted).await?;
                sorted.finish(outcome)
            }
        }
    }

    /// Records the result of [`Approved::run_unrecorded`]: its shape and
    /// duration, or the error, and `shown` (what was made of the rows, as
    /// `{"chart": …}`; `null` for nothing).
    pub async fn record(self, outcome: Result<Outcome, ExecError>, shown: Value) -> Executed {
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
                payload["rows"] = json!(o.rows);
                payload["columns"] = json!(o.columns.len());
                payload["truncated"] = json!(o.truncated);
                payload["duration_ms"] =
                    json!(u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX));
                payload["error"] = Value::Null;
            }
            Err(e) => {
                payload["rows"] = json!(0);
                payload["error"] = json!(e.to_string());
                payload["error_cut"] = json!(e.was_cut());
            }
        }
        if let Value::Object(shown) = shown {
            for (key, value) in shown {
                payload[key] = value;
            }
        }
        let event = self.execution.event(EventKind::ExecuteResult, payload);
        let recorded = self.execution.audit.append(event).await.map(drop);
        // An error and a cut say the same to such a reader: the bot's cap
        // stops the reading, so which came first follows the order rows
        // are read in (the sixth attack ranked every row by it).
        let outcome = match outcome {
            Err(ExecError::Database(_) | ExecError::CutUnordered(_))
                if self.execution.withhold_errors =>
            {
                Err(ExecError::Withheld)
            }
            other => other,
        };
        Executed { outcome, recorded }
    }
}

/// Holds a result's rows, then gives them to a sink sorted by their
/// values (see [`RowOrder::ByValues`]). What it holds is bounded by the
/// run's row cap and result bytes, as any sink's is.
pub struct SortedRows<'s> {
    sink: &'s mut dyn RowSink,
    /// Held too: a result not shown gives its sink nothing, not even a
    /// header.
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl RowSink for SortedRows<'_> {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.columns = columns.to_vec();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        self.rows.push(row.to_vec());
        Ok(())
    }
}

impl<'s> SortedRows<'s> {
    /// Rows for `sink`, held until [`SortedRows::finish`].
    pub fn new(sink: &'s mut dyn RowSink) -> Self {
        Self {
            sink,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Gives the rows held to the sink, sorted, once the run is `outcome`.
    ///
    /// # Errors
    /// [`ExecError::CutUnordered`] when the result was cut at its cap (none
    /// is given); the sink's own error.
    pub fn finish(mut self, outcome: Outcome) -> Result<Outcome, ExecError> {
        if outcome.truncated {
            return Err(ExecError::CutUnordered(outcome.rows));
        }
        self.rows
            .sort_by(|a, b| a.iter().map(cell_key).cmp(b.iter().map(cell_key)));
        self.sink.columns(&self.columns)?;
        for row in &self.rows {
            self.sink.row(row)?;
        }
        Ok(outcome)
    }
}

/// What a value sorts by: NULL first, then numbers by value, then text by
/// its characters. Only the value decides, never where it was read.
fn cell_key(cell: &Cell) -> CellKey<'_> {
    match cell.as_deref() {
        None => CellKey::Null,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => CellKey::Number(n, text),
            _ => CellKey::Text(text),
        },
    }
}

enum CellKey<'a> {
    Null,
    Number(f64, &'a str),
    Text(&'a str),
}

impl PartialEq for CellKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for CellKey<'_> {}

impl PartialOrd for CellKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CellKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use CellKey::{Null, Number, Text};
        use std::cmp::Ordering::{Greater, Less};
        match (self, other) {
            (Null, Null) => std::cmp::Ordering::Equal,
            (Null, _) | (Number(..), Text(_)) => Less,
            (_, Null) | (Text(_), Number(..)) => Greater,
            // Equal numbers written apart (`1.0`, `1`) by their text.
            (Number(a, x), Number(b, y)) => a.total_cmp(b).then_with(|| x.cmp(y)),
            (Text(a), Text(b)) => a.cmp(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn a_request_records_what_a_statement_reads_within_a_bound() {
        let policy = Policy::new(Dialect::Sqlite);
        let reads = |sql: &str| recorded_reads(&validate_in(sql, &policy, None).unwrap().reach);
        assert_eq!(
            reads("SELECT c.company FROM clients c"),
            ["clients.company"]
        );
        // Two names of 3,000 characters, each counted for both tables.
        let long = format!(
            "SELECT \"{}\", \"{}\" FROM clients, orders",
            "n".repeat(3_000),
            "m".repeat(3_000)
        );
        let recorded = reads(&long);
        assert_eq!(recorded.len(), 2, "{recorded:?}");
        assert_eq!(recorded[1], "… 3 more");
    }
}
