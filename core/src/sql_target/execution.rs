//! The Execute pipeline: the one path by which a statement runs on the
//! target, typed by stage so that none can be skipped.
//!
//! 1. [`check`] → [`Checked`]: the statement passed the validator (what it
//!    reaches, its bounds, its cost) under the policy and the catalogue as
//!    last read. The database still enforces what it alone can: the
//!    read-only transaction, the account's grants, row-level security, the
//!    time and memory the backend bounds.
//! 2. [`Checked::grant`] → [`Granted`]: the person who acts may read what
//!    it reads, by their groups now; it runs as their first group that
//!    hides nothing it reads, with that group's account if it has one, its
//!    rows sorted by their values and database errors withheld when a
//!    table it reads has a column they may not read.
//! 3. [`Granted::shown_to`] → [`Permitted`]: every reader of the place the
//!    rows will be shown in may read them too, now and (when people let in
//!    later read back) later; else the rows go to the one who acts alone
//!    ([`Permitted::redirected`]), and they are read as the most restricted
//!    reader needs. [`Watch`] asks it again before each part is posted.
//! 4. [`Permitted::request`] → [`Approved`]: the request is in the audit;
//!    without that record nothing runs.
//! 5. [`Approved::run`] and [`Approved::record`]: the rows go into the
//!    caller's sinks (preview, files, chart), in the order permitted, then
//!    the result is in the audit with the chart made of it.
//!
//! The runtime's accounts are [`Account`]s, which nothing outside
//! `sql_target` can open: through the runtime, the bot, the CLI and `pstral
//! eval` reach a backend's run only through [`Approved`]. What stays
//! outside the types: an executor a caller opens itself
//! ([`crate::sql::open_target`], as the CLI's operator commands and the
//! tests do) is its own; [`Checked::as_target`] skips the person's rules for
//! an operator, and the bot never calls it (a test holds it); the caller
//! says who the [`Audience`] is.

use std::sync::Arc;

use pstral_chat::Place;
use serde_json::{Value, json};

use super::SqlRuntime;
use crate::access::{Hidden, Standing};
use crate::audit::{Actor, Audit, AuditError, EventKind, NewEvent};
use crate::sql::backend::{ExecError, Executor, Limits, Outcome, RowSink};
use crate::sql::order::{RowOrder, SortedRows};
use crate::sql::validate::{Reach, Refusal, Validated};

/// An account on the target: a connection a statement may run through.
/// Made from an executor, it never gives it back: what runs through it
/// goes through [`Approved`].
#[derive(Clone)]
pub struct Account(pub(super) Arc<dyn Executor>);

impl Account {
    /// `executor` as an account of the target.
    pub fn new(executor: Arc<dyn Executor>) -> Self {
        Self(executor)
    }

    /// An account that could not be opened (`why`): a run through it is
    /// still requested and recorded, its result this error.
    pub fn unopened(dialect: crate::sql::Dialect, why: ExecError) -> Self {
        Self(Arc::new(Unopened(dialect, why)))
    }
}

/// The executor of an account that could not be opened, and why.
struct Unopened(crate::sql::Dialect, ExecError);

impl Unopened {
    fn error(&self) -> ExecError {
        self.1.clone()
    }
}

#[async_trait::async_trait]
impl Executor for Unopened {
    fn dialect(&self) -> crate::sql::Dialect {
        self.0
    }

    async fn run(
        &self,
        _: &Validated,
        _: Limits,
        _: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        Err(self.error())
    }

    async fn explain(
        &self,
        _: &Validated,
        _: std::time::Duration,
    ) -> Result<crate::sql::backend::Plan, ExecError> {
        Err(self.error())
    }

    async fn catalog(&self, _: &[String]) -> Result<crate::sql::schema::Catalog, ExecError> {
        Err(self.error())
    }

    async fn privileges(&self, _: &[String]) -> Result<Vec<String>, ExecError> {
        Err(self.error())
    }
}

/// A statement the validator passed under the target's policy and
/// catalogue. Only [`check`] makes one.
pub struct Checked(Validated);

/// Judges `text` under the target's policy and, once it has been read, its
/// catalogue (a relation must be one of its tables or views).
///
/// # Errors
/// The validator's refusal, for the person who asked.
pub fn check(runtime: &SqlRuntime, text: &str) -> Result<Checked, Refusal> {
    runtime.check(text).map(Checked)
}

impl Checked {
    /// The statement as checked: what runs.
    pub fn statement(&self) -> &Validated {
        &self.0
    }

    /// The reading a person in `groups` runs it under: the first of their
    /// groups that hides nothing it reads, judged against the catalogue as
    /// last read, the account it runs with, and the order its rows are
    /// shown in.
    ///
    /// # Errors
    /// What is hidden from them, or that it cannot be checked yet.
    pub fn grant(self, runtime: &SqlRuntime, groups: &[String]) -> Result<Granted, NotReadable> {
        let reading = reading(runtime, groups, &self.0)?;
        Ok(Granted {
            valid: self.0,
            reading,
        })
    }

    /// Run as the target's own account, for an operator who holds it
    /// (`pstral sql run` without `--as`, `pstral eval`'s gold queries and
    /// the model's): no group's rule applies, the rows come as the
    /// database returns them, and they are shown to nobody but the
    /// operator. Never for a person in the chat.
    pub fn as_target(self, runtime: &SqlRuntime) -> Permitted {
        Permitted {
            valid: self.0,
            reading: Reading {
                group: None,
                account: runtime.executor.clone(),
                order: RowOrder::AsReturned,
                withhold_errors: false,
            },
            redirected: None,
            limits: runtime.limits,
            granted: false,
        }
    }
}

/// What a run is read as: the group, its account, and how its rows and
/// errors may be shown.
#[derive(Clone)]
struct Reading {
    group: Option<String>,
    account: Account,
    order: RowOrder,
    withhold_errors: bool,
}

/// Why a statement may not run for the person who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReadable {
    /// A rule of theirs hides what it reads.
    Hidden(Hidden),
    /// Their rules cannot be checked: the catalogue has not been read.
    Unchecked,
}

impl NotReadable {
    /// What the audit records as the rule that refused it.
    pub fn rule(&self) -> &str {
        match self {
            NotReadable::Hidden(hidden) => hidden.rule(),
            NotReadable::Unchecked => "catalogue_unread",
        }
    }

    /// The group whose rule refused it, when one did.
    pub fn group(&self) -> Option<&str> {
        match self {
            NotReadable::Hidden(hidden) => hidden.group(),
            NotReadable::Unchecked => None,
        }
    }
}

impl std::fmt::Display for NotReadable {
    /// For logs and the CLI; the chat says it through `i18n`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReadable::Hidden(hidden) => hidden.fmt(f),
            NotReadable::Unchecked => f.write_str(
                "the target's catalogue has not been read, so the rules cannot be checked",
            ),
        }
    }
}

/// The reading `groups` run `valid` under (see [`Checked::grant`]).
fn reading(
    runtime: &SqlRuntime,
    groups: &[String],
    valid: &Validated,
) -> Result<Reading, NotReadable> {
    let rules = &runtime.readers.rules;
    let access = rules.access(groups);
    let (seen, derived) = (runtime.seen(), runtime.derived());
    let standing = match runtime.known_catalog() {
        Some(_) => access
            .judge(&valid.reach, &seen, &derived)
            .map_err(NotReadable::Hidden)?,
        // Unread, only a reading that hides nothing can be granted.
        None => access
            .standings()
            .into_iter()
            .find(|s| {
                s.group()
                    .is_none_or(|g| rules.group(g).is_some_and(|g| g.hidden.is_empty()))
            })
            .ok_or(NotReadable::Unchecked)?,
    };
    // `sorts` looks at the statement's order first: the catalogue is
    // walked once, by one or the other.
    let (sorted, withhold_errors) = match standing {
        Standing::Group(g) => {
            let sorted = g.sorts(&valid.reach, &seen, &derived);
            (sorted, sorted || g.hides_in(&valid.reach, &seen, &derived))
        }
        Standing::Ungrouped => (false, false),
    };
    let group = standing.group().map(str::to_owned);
    let account = group
        .as_deref()
        .and_then(|g| runtime.readers.accounts.iter().find(|(name, _)| name == g))
        .map_or_else(|| runtime.executor.clone(), |(_, a)| a.clone());
    Ok(Reading {
        group,
        account,
        order: if sorted {
            RowOrder::ByValues
        } else {
            RowOrder::AsReturned
        },
        withhold_errors,
    })
}

/// A checked statement the person who acts may read: who it runs as.
pub struct Granted {
    valid: Validated,
    reading: Reading,
}

impl Granted {
    /// The group it runs as; `None` for the target's own reading.
    pub fn group(&self) -> Option<&str> {
        self.reading.group.as_deref()
    }

    /// The order its rows are shown in to the person who acts.
    pub fn order(&self) -> RowOrder {
        self.reading.order
    }

    /// Who sees the rows besides the one who acts, and so how they are
    /// read: see [`Audience`].
    pub fn shown_to(self, runtime: &SqlRuntime, audience: Audience<'_>) -> Permitted {
        let mut permitted = Permitted {
            valid: self.valid,
            reading: self.reading,
            redirected: None,
            limits: runtime.limits,
            granted: true,
        };
        let readers = match audience {
            Audience::Asker => return permitted,
            // Fail closed: a place said to need no asking where a rule
            // restricts someone is a place whose readers are unknown.
            Audience::Anyone if !runtime.readers.restrict() => return permitted,
            Audience::Anyone => None,
            Audience::Readers(readers) => readers,
        };
        let watch = permitted.watch();
        let (order, withhold_errors) = (permitted.reading.order, permitted.reading.withhold_errors);
        let verdict = watch.verdict(runtime, readers, order, withhold_errors);
        // The rows are read as the most restricted reader needs.
        permitted.reading.order = verdict.order;
        permitted.reading.withhold_errors = verdict.withhold_errors;
        permitted.redirected = verdict.redirected;
        permitted
    }
}

/// Who sees a result besides the person who acts.
#[derive(Clone, Copy)]
pub enum Audience<'a> {
    /// Nobody: a private reply, the command line's output.
    Asker,
    /// Whoever reads a shared place, where no rule restricts what anyone
    /// reads ([`super::Readers::restrict`]): nobody to ask about. Where a
    /// rule does, the place counts as one whose readers are unknown.
    Anyone,
    /// The readers of a shared place, as the platform told them; `None`
    /// when that cannot be told.
    Readers(Option<&'a PlaceReadership>),
}

/// The readers of a place, by their groups.
#[derive(Debug, Clone, Default)]
pub struct PlaceReadership {
    /// The groups of each reader, each set once.
    pub people: Vec<Vec<String>>,
    /// Whether people let in later read back what is posted now: anyone is
    /// then among its readers (a person in no group, and one in each
    /// group).
    pub later: bool,
}

/// Why rows go to the person who acts alone rather than to the place.
#[derive(Debug, Clone)]
pub enum Redirect {
    /// What is hidden from one of its readers, or (`later`) from someone
    /// its members may let in later, who would read back its history.
    Hidden { hidden: Hidden, later: bool },
    /// Someone who came since the click may see the rows only in another
    /// order, or not with the error they hold.
    Changed,
    /// Who reads the place cannot be told.
    Unknown,
}

impl Redirect {
    /// What the audit records of it, found `at` (the click, or before a
    /// part was posted).
    pub fn to_json(&self, at: &str) -> Value {
        match self {
            Redirect::Hidden { hidden, later } => {
                json!({"rule": hidden.rule(), "group": hidden.group(), "later": later, "at": at})
            }
            Redirect::Changed => json!({"rule": "readers_changed", "at": at}),
            Redirect::Unknown => json!({"rule": "audience_unknown", "at": at}),
        }
    }

    /// How the chat says it.
    pub fn said(&self) -> crate::i18n::Redirection<'_> {
        use crate::i18n::Redirection;
        match self {
            Redirect::Hidden {
                hidden,
                later: false,
            } => Redirection::Hidden(hidden),
            Redirect::Hidden {
                hidden,
                later: true,
            } => Redirection::Later(hidden),
            Redirect::Changed => Redirection::Changed,
            Redirect::Unknown => Redirection::Unknown,
        }
    }
}

/// What a place's readers are held to before rows are posted there: the
/// statement, the reading it runs as (its group), and the order and errors
/// the rows were read with.
#[derive(Clone)]
pub struct Watch {
    valid: Validated,
    group: Option<String>,
    order: RowOrder,
    withhold_errors: bool,
}

/// How a place's readers may see a result ([`Watch::verdict`]).
struct Verdict {
    redirected: Option<Redirect>,
    /// The strictest order one of them needs.
    order: RowOrder,
    /// Whether an error is withheld from one of them.
    withhold_errors: bool,
}

impl Watch {
    /// Whether the rows may still be posted in the place, `readers` its
    /// readers read again now (`None`: that cannot be told): `Err` with why
    /// not when one of them may not read them, or would see them only in
    /// another order, or (`errored`: the run failed) should not see the
    /// database's error.
    ///
    /// # Errors
    /// Why the rows go to the person who acts instead.
    pub fn still_readable(
        &self,
        runtime: &SqlRuntime,
        readers: Option<&PlaceReadership>,
        errored: bool,
    ) -> Result<(), Redirect> {
        let verdict = self.verdict(runtime, readers, RowOrder::AsReturned, false);
        let stricter = (verdict.order == RowOrder::ByValues && self.order != RowOrder::ByValues)
            || (errored && verdict.withhold_errors && !self.withhold_errors);
        match verdict.redirected {
            Some(why) => Err(why),
            None if stricter => Err(Redirect::Changed),
            None => Ok(()),
        }
    }

    /// How `readers` may see what this reads as its reading reads it: the
    /// rows are redirected when one of them may not read them (what is
    /// hidden from them, or that they read through another account, whose
    /// grants or row-level security may keep other rows), or when who
    /// reads the place cannot be told. A place whose history people let in
    /// later read back counts anyone among its readers. From `order` and
    /// `withhold_errors` (what one starts with), the order becomes
    /// [`RowOrder::ByValues`] when one of them may see the rows only so,
    /// and errors are withheld when they are from one of them.
    fn verdict(
        &self,
        runtime: &SqlRuntime,
        readers: Option<&PlaceReadership>,
        order: RowOrder,
        withhold_errors: bool,
    ) -> Verdict {
        let mut verdict = Verdict {
            redirected: None,
            order,
            withhold_errors,
        };
        let accounts = &runtime.readers;
        let account_of = |g: Option<&str>| accounts.has_account(g).then(|| g.map(str::to_owned));
        let rows_read_by = account_of(self.group.as_deref());
        let Some(readers) = readers else {
            verdict.redirected = Some(Redirect::Unknown);
            return verdict;
        };
        let now = readers.people.iter().map(|groups| (groups.clone(), false));
        let anyone = std::iter::once(Vec::new())
            .chain(accounts.rules.group_names().into_iter().map(|g| vec![g]))
            .map(|groups| (groups, true));
        let later: Vec<_> = if readers.later {
            anyone.collect()
        } else {
            Vec::new()
        };
        for (groups, later) in now.chain(later) {
            let theirs = reading(runtime, &groups, &self.valid);
            if let Ok(theirs) = &theirs {
                if theirs.order == RowOrder::ByValues {
                    verdict.order = RowOrder::ByValues;
                }
                verdict.withhold_errors |= theirs.withhold_errors;
            }
            let hidden = match theirs {
                Ok(theirs) if account_of(theirs.group.as_deref()) == rows_read_by => continue,
                Ok(theirs) => Hidden::Account {
                    group: theirs.group,
                },
                Err(NotReadable::Hidden(hidden)) => hidden,
                Err(NotReadable::Unchecked) => {
                    verdict.redirected = Some(Redirect::Unknown);
                    break;
                }
            };
            verdict.redirected = Some(Redirect::Hidden { hidden, later });
            break;
        }
        verdict
    }
}

/// A statement its reader and every reader of the place it is shown in
/// may read (or an operator's, [`Checked::as_target`]): what it runs as,
/// and where its rows may go.
pub struct Permitted {
    valid: Validated,
    reading: Reading,
    redirected: Option<Redirect>,
    limits: Limits,
    /// Granted to a person (rather than run as the target's own account):
    /// the group it runs as is recorded.
    granted: bool,
}

impl Permitted {
    /// Why its rows may go to the person who acts alone, not to the place.
    pub fn redirected(&self) -> Option<&Redirect> {
        self.redirected.as_ref()
    }

    /// What the place's readers are held to before each part of the
    /// result is posted there.
    pub fn watch(&self) -> Watch {
        Watch {
            valid: self.valid.clone(),
            group: self.reading.group.clone(),
            order: self.reading.order,
            withhold_errors: self.reading.withhold_errors,
        }
    }

    /// Records the request: who acts (`actor`), where, and `about` (fields
    /// recorded with both the request and the result, a JSON object: the
    /// statement's id, how it was asked for…); what it reads, and the group
    /// a person's run runs as, are added. Nothing runs without that record.
    ///
    /// # Errors
    /// When the audit cannot take the request; the statement must not run.
    pub async fn request<'a>(
        self,
        audit: &'a Audit,
        actor: Actor,
        place: Option<Place>,
        mut about: Value,
    ) -> Result<Approved<'a>, AuditError> {
        if self.granted {
            about["group"] = json!(self.reading.group);
        }
        let approved = Approved {
            audit,
            actor,
            place,
            about,
            permitted: self,
        };
        let mut payload = approved.about.clone();
        payload["text"] = json!(approved.permitted.valid.text);
        // What it reads, as the validator resolved it: the audit can say
        // who read a column without parsing statements again.
        payload["reads"] = json!(recorded_reads(&approved.permitted.valid.reach));
        audit
            .append(approved.event(EventKind::ExecuteRequested, payload))
            .await?;
        Ok(approved)
    }
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

/// A permitted statement whose request is in the audit: it may run, once.
pub struct Approved<'a> {
    audit: &'a Audit,
    actor: Actor,
    place: Option<Place>,
    about: Value,
    permitted: Permitted,
}

/// How a run went, and whether its result made it into the audit.
pub struct Executed {
    pub outcome: Result<Outcome, ExecError>,
    /// The record of the result; a caller that can fail loudly should.
    pub recorded: Result<(), AuditError>,
}

/// What was made of a result's rows beside them, for its record.
pub enum Made {
    /// Nothing was asked of them.
    Nothing,
    /// A chart of `kind`, chosen by `rule`, drawn at `width`×`height` in a
    /// PNG of `bytes` bytes.
    Chart {
        kind: crate::chart::Kind,
        rule: crate::chart::Rule,
        width: u32,
        height: u32,
        bytes: usize,
    },
    /// A chart was asked for and none was drawn, for this reason.
    NoChart(crate::chart::NoChart),
}

impl Made {
    fn to_json(&self) -> Value {
        match self {
            Made::Nothing => Value::Null,
            Made::Chart {
                kind,
                rule,
                width,
                height,
                bytes,
            } => json!({"chart": {
                "kind": kind.as_str(), "rule": rule.as_str(),
                "width": width, "height": height, "bytes": bytes,
            }}),
            Made::NoChart(none) => json!({"chart": {"none": none}}),
        }
    }
}

impl Approved<'_> {
    fn event(&self, kind: EventKind, payload: Value) -> NewEvent {
        NewEvent {
            place: self.place.clone(),
            ..NewEvent::new(kind, self.actor.clone(), payload)
        }
    }

    /// Runs the statement read-only into `sink`, with the account and in
    /// the order permitted, within the target's limits; [`Approved::record`]
    /// then records the result with what was made of the rows.
    ///
    /// # Errors
    /// The run's error (kept whole until recorded).
    pub async fn run(&self, sink: &mut dyn RowSink) -> Result<Outcome, ExecError> {
        let Permitted {
            valid,
            reading,
            limits,
            ..
        } = &self.permitted;
        let executor = reading.account.0.as_ref();
        match reading.order {
            RowOrder::AsReturned => executor.run(valid, *limits, sink).await,
            RowOrder::ByValues => {
                let mut sorted = SortedRows::new(sink);
                let outcome = executor.run(valid, *limits, &mut sorted).await?;
                sorted.finish(outcome)
            }
        }
    }

    /// Records the result of [`Approved::run`]: its shape and duration, or
    /// the error, and what was made of the rows. The error given back is
    /// the one its reader may see.
    pub async fn record(self, outcome: Result<Outcome, ExecError>, made: Made) -> Executed {
        let label = match &outcome {
            Ok(_) => "ok",
            Err(ExecError::Timeout(_)) => "timeout",
            Err(ExecError::Unavailable(_)) => "unavailable",
            Err(_) => "error",
        };
        metrics::counter!("pstral_executions_total", "outcome" => label).increment(1);
        let mut payload = self.about.clone();
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
        if let Value::Object(made) = made.to_json() {
            for (key, value) in made {
                payload[key] = value;
            }
        }
        let event = self.event(EventKind::ExecuteResult, payload);
        let recorded = self.audit.append(event).await.map(drop);
        // An error and a cut say the same to a reader who may not read a
        // column of a table it reads: the bot's cap stops the reading, so
        // which came first follows the order rows are read in.
        let outcome = match outcome {
            Err(ExecError::Database(_) | ExecError::CutUnordered(_))
                if self.permitted.reading.withhold_errors =>
            {
                Err(ExecError::Withheld)
            }
            other => other,
        };
        Executed { outcome, recorded }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;
    use crate::sql::validate::{Policy, validate_in};

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

    /// A person's click is granted under their rules: the bot never runs a
    /// statement as the target's own account.
    #[test]
    fn the_bot_never_runs_a_statement_as_the_target() {
        let bot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bot");
        for entry in std::fs::read_dir(&bot).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("as_target"), "{}", path.display());
        }
    }
}
