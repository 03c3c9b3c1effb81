//! The audit: an append-only log of everything that happens, in which each
//! event carries the SHA-256 of the one before it, so that editing, deleting,
//! reordering or slipping in a row behind the store's back is detectable.
//!
//! The chain never forks: a trigger refuses an insert that does not link to
//! the `audit_head` row and moves the head in the same statement, and
//! `prev_hash` is `UNIQUE` besides. That lets appends be optimistic: a writer
//! keeps the head in memory and appends with one autocommitted `INSERT`; when
//! another process or replica appended meanwhile, the insert is refused, and
//! the writer re-reads the head and tries again. Appends made concurrently in
//! one process are combined into one multi-row `INSERT` (group commit).
//! Triggers refuse `UPDATE`/`DELETE` on the table; [`Audit::verify`] catches
//! edits, deletions and reordering that get past them. What the chain cannot
//! show is a well-formed event appended by someone with write access to the
//! database and knowledge of the scheme: that would take a key, or anchoring
//! the head outside the database.
//!
//! An event that gates an action (an execution) is appended, and committed,
//! before the action starts: if the audit cannot take it, the action does not
//! happen.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot::error::TryRecvError;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use pstral_chat::{Place, PlatformIdentity};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

mod chain;
mod export;
mod writer;

use chain::*;
pub use chain::{ChainBreak, Verification, canonical_json};
pub use export::{ExportFormat, write_events};
use writer::*;

#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// How long audit events are kept; `None`: for ever.
    pub retention: Option<Duration>,
}

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many events a reader fetches per round trip when it walks the log.
const PAGE: i64 = 1000;

/// How many events one combined `INSERT` carries at most (12 bind
/// parameters each, well within SQLite's and PostgreSQL's limits).
const MAX_BATCH: usize = 64;

/// How often a writer retries after other writers moved the head. Each retry
/// means another writer made progress, so this bounds only starvation.
const MAX_ATTEMPTS: usize = 1000;

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Question,
    Answer,
    SqlValidated,
    ExecuteRequested,
    ExecuteResult,
    /// Where each part of a result went (the place, or the clicker alone),
    /// and who read the place just before it was posted there.
    ResultPosted,
    /// The asker picked one of the readings the bot asked back with.
    ReadingPicked,
    /// Someone read the audit (a list, an export, a verification).
    AdminRead,
    /// A local user was created or their role changed.
    UserChanged,
    IdentityLinked,
    IdentityUnlinked,
    InviteCreated,
    /// Someone asked to link their chat account to a local user by name, or
    /// an admin denied such a request (an approval is `identity_linked`).
    LinkRequest,
    /// Someone the bot does not know, or who lacks the role, was turned away.
    AccessRefused,
    /// A conversation was exported, or its mode changed.
    ConversationChanged,
    /// Events older than the retention period were removed; the chain now
    /// starts after the anchor this event names.
    AuditPruned,
    /// Someone said a query's result was correct or wrong.
    Feedback,
    /// A confirmed example was stored (other than by a click), removed or
    /// imported.
    ExampleChanged,
    /// `pstral eval` ran model-written and gold queries read-only on a
    /// target, without a click: recorded before it starts.
    Evaluation,
}

impl EventKind {
    pub const ALL: [EventKind; 19] = [
        EventKind::Question,
        EventKind::Answer,
        EventKind::SqlValidated,
        EventKind::ExecuteRequested,
        EventKind::ExecuteResult,
        EventKind::ResultPosted,
        EventKind::ReadingPicked,
        EventKind::AdminRead,
        EventKind::UserChanged,
        EventKind::IdentityLinked,
        EventKind::IdentityUnlinked,
        EventKind::InviteCreated,
        EventKind::LinkRequest,
        EventKind::AccessRefused,
        EventKind::ConversationChanged,
        EventKind::AuditPruned,
        EventKind::Feedback,
        EventKind::ExampleChanged,
        EventKind::Evaluation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Question => "question",
            EventKind::Answer => "answer",
            EventKind::SqlValidated => "sql_validated",
            EventKind::ExecuteRequested => "execute_requested",
            EventKind::ExecuteResult => "execute_result",
            EventKind::ResultPosted => "result_posted",
            EventKind::ReadingPicked => "reading_picked",
            EventKind::AdminRead => "admin_read",
            EventKind::UserChanged => "user_changed",
            EventKind::IdentityLinked => "identity_linked",
            EventKind::IdentityUnlinked => "identity_unlinked",
            EventKind::InviteCreated => "invite_created",
            EventKind::LinkRequest => "link_request",
            EventKind::AccessRefused => "access_refused",
            EventKind::ConversationChanged => "conversation_changed",
            EventKind::AuditPruned => "audit_pruned",
            EventKind::Feedback => "feedback",
            EventKind::ExampleChanged => "example_changed",
            EventKind::Evaluation => "evaluation",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown event kind {s:?}; the kinds are {}", all.join(", "))
            })
    }
}

/// A point in time as an operator writes it, for the audit's filters (the
/// CLI's `--since`, the API's `since`): RFC 3339, a date (midnight UTC), or
/// an age before now (`2h`, `7d`).
///
/// # Errors
/// What to write instead.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    if let Ok(age) = humantime::parse_duration(s) {
        let age = chrono::Duration::from_std(age).map_err(|e| e.to_string())?;
        return Ok(Utc::now() - age);
    }
    Err(format!(
        "{s:?} is not a time: use RFC 3339 (2026-11-01T09:00:00Z), a date (2026-11-01) or an age (2h, 7d)"
    ))
}

/// Who did something: a local user, the chat identity they acted through, or
/// both (an unknown identity has no user; the CLI has an OS user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub identity: Option<PlatformIdentity>,
}

/// The name `--as` gave the person running this command, if any.
static CLI_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl Actor {
    /// The person running a `pstral` command: the name `--as` gave (see
    /// [`Actor::cli_as`]), else their OS account (`$USER`, `$LOGNAME`, or
    /// the account the process runs as, as under `docker exec` or cron,
    /// where the variables are unset), never a silent "unknown".
    pub fn cli() -> Self {
        let name = CLI_NAME.get().cloned().unwrap_or_else(os_account);
        let identity = format!("cli:{name}").parse().unwrap_or_else(|_| {
            format!("cli:uid-{}", process_uid())
                .parse()
                .expect("a valid identity")
        });
        Self {
            user_id: None,
            identity: Some(identity),
        }
    }

    /// Names the person running this command (`pstral --as NAME …`) for
    /// every record it makes; the first call wins.
    pub fn cli_as(name: &str) {
        let _ = CLI_NAME.set(name.trim().to_owned());
    }
}

/// The OS account this process runs as: `$USER` or `$LOGNAME` when set, else
/// its name in `/etc/passwd`, else `uid-N`.
fn os_account() -> String {
    for variable in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(name) = std::env::var(variable)
            && !name.trim().is_empty()
        {
            return name;
        }
    }
    let uid = process_uid();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                let id = fields.nth(1)?;
                (id == uid.to_string()).then(|| name.to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid-{uid}"))
}

/// The user id of this process (the owner of its `/proc/self`).
fn process_uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: Actor,
    pub place: Option<Place>,
    pub kind: EventKind,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: EventKind, actor: Actor, payload: serde_json::Value) -> Self {
        Self {
            actor,
            place: None,
            kind,
            payload,
        }
    }

    pub fn at(mut self, place: Place) -> Self {
        self.place = Some(place);
        self
    }
}

/// A recorded event, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    /// The local user's current name (not part of the hashed record).
    pub user_name: Option<String>,
    pub identity: Option<String>,
    pub platform: Option<String>,
    pub channel: Option<String>,
    pub thread: Option<String>,
    pub private: bool,
    pub kind: String,
    /// Canonical JSON, exactly the bytes that were hashed.
    #[serde(serialize_with = "raw_json")]
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    /// The hash this event's content and `prev_hash` should have; differs
    /// from [`Event::hash`] when the row was altered.
    pub fn recompute_hash(&self) -> String {
        Record {
            seq: self.seq,
            at: self.at,
            user_id: self.user_id,
            identity: self.identity.clone(),
            platform: self.platform.clone(),
            channel: self.channel.clone(),
            thread: self.thread.clone(),
            private: self.private,
            kind: self.kind.clone(),
            payload: self.payload.clone(),
        }
        .hash(&self.prev_hash)
    }
}

fn raw_json<S: serde::Serializer>(payload: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::value::RawValue::from_string(payload.to_owned()) {
        Ok(raw) => raw.serialize(s),
        // Only a row edited behind the store's back can hold invalid JSON;
        // show it as a string rather than fail the whole listing.
        Err(_) => s.serialize_str(payload),
    }
}

/// Where an appended event landed in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: i64,
    pub hash: String,
}

/// Why the audit could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the audit export: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the audit export as CSV: {0}")]
    Csv(#[from] csv::Error),
    /// An append that was written together with others failed; they all
    /// share this cause.
    #[error("cannot record the audit event: {0}")]
    Append(Arc<StoreError>),
    /// The write carrying this event was interrupted (its task panicked);
    /// whether the event was recorded is unknown, so its action must not
    /// happen.
    #[error("the audit write was interrupted")]
    Interrupted,
}

impl From<sqlx::Error> for AuditError {
    fn from(e: sqlx::Error) -> Self {
        AuditError::Store(StoreError::from(e))
    }
}

/// What to read from the audit. `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub kind: Option<EventKind>,
    pub platform: Option<String>,
    pub channel: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// A case-insensitive substring of the payload.
    pub text: Option<String>,
    /// Only events after this sequence number (a pagination cursor).
    pub after_seq: Option<i64>,
    /// Only events before this sequence number.
    pub before_seq: Option<i64>,
}

/// Order of [`Audit::list`] results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// The audit log on the own database. Clones share one writer, so their
/// concurrent appends are combined.
#[derive(Clone)]
pub struct Audit {
    store: Store,
    writer: Arc<Writer>,
}

impl fmt::Debug for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Audit")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

macro_rules! select_events {
    ($order:literal) => {
        concat!(
            "SELECT e.seq, e.at, e.user_id, u.name AS user_name, e.identity, e.platform, ",
            "e.channel, e.thread, e.private, e.kind, e.payload, e.prev_hash, e.hash ",
            "FROM audit_events e LEFT JOIN users u ON u.id = e.user_id ",
            "WHERE ($1 IS NULL OR e.user_id = $1) AND ($2 IS NULL OR e.kind = $2) ",
            "AND ($3 IS NULL OR e.platform = $3) AND ($4 IS NULL OR e.channel = $4) ",
            "AND ($5 IS NULL OR e.at >= $5) AND ($6 IS NULL OR e.at < $6) ",
            "AND ($7 IS NULL OR LOWER(e.payload) LIKE $7 ESCAPE '!') ",
            "AND ($8 IS NULL OR e.seq > $8) AND ($9 IS NULL OR e.seq < $9) ",
            "ORDER BY e.seq ",
            $order,
            " LIMIT $10"
        )
    };
}

impl Audit {
    /// Where the events are kept ([`Store::location`]), for the log line of
    /// a failure to keep one.
    pub fn location(&self) -> String {
        self.store.location()
    }

    pub fn new(store: Store) -> Self {
        Self {
            store,
            writer: Arc::new(Writer {
                next_id: AtomicU64::new(0),
                pending: Mutex::new(Vec::new()),
                head: Arc::new(tokio::sync::Mutex::new(None)),
            }),
        }
    }

    /// Records a read of the audit by `actor` (a listing, a search, an
    /// export, a verification), before the read is done: a read that cannot
    /// be recorded must not be done. `via` says from where (`cli`, `api`,
    /// `chat`); `what` is the read's description, a JSON object.
    ///
    /// # Errors
    /// [`AuditError`] when the database cannot take the record.
    pub async fn record_read(
        &self,
        actor: Actor,
        place: Option<Place>,
        via: &str,
        what: serde_json::Value,
    ) -> Result<(), AuditError> {
        let mut payload = what;
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("via".to_owned(), serde_json::Value::from(via));
        }
        let event = NewEvent {
            place,
            ..NewEvent::new(EventKind::AdminRead, actor, payload)
        };
        self.append(event).await.map(drop)
    }

    /// Appends one event, committed before this returns.
    ///
    /// # Errors
    /// [`AuditError`] when the database cannot take it; the event is then not
    /// recorded, and an action it gates must not happen.
    pub async fn append(&self, event: NewEvent) -> Result<Appended, AuditError> {
        let (done, mut outcome) = tokio::sync::oneshot::channel();
        let id = self.writer.next_id.fetch_add(1, Ordering::Relaxed);
        self.writer
            .pending
            .lock()
            .expect("the pending list is never left poisoned")
            .push(Pending { id, event, done });
        // If this caller goes away before a writer took its event, the event
        // is withdrawn: it must not be recorded later, for an action that
        // never happened.
        let _withdraw = Withdraw {
            writer: &self.writer,
            id,
        };
        loop {
            // Whoever holds the head writes what is pending, ours included
            // unless an earlier holder already took it.
            let head = Arc::clone(&self.writer.head).lock_owned().await;
            match outcome.try_recv() {
                Ok(result) => return result,
                Err(TryRecvError::Closed) => return Err(AuditError::Interrupted),
                Err(TryRecvError::Empty) => {}
            }
            let batch: Vec<Pending> = {
                let mut pending = self.writer.pending.lock().expect("never poisoned");
                let n = pending.len().min(MAX_BATCH);
                pending.drain(..n).collect()
            };
            let store = self.store.clone();
            if batch.len() == 1 && batch[0].id == id {
                // Only our own event: if we are cancelled, no one else waits.
                write_batch(store, head, batch).await;
            } else {
                // Others wait on this write: spawned, so that it completes
                // and they all hear of it even if this caller is cancelled.
                let _ = tokio::spawn(write_batch(store, head, batch)).await;
            }
            match outcome.try_recv() {
                Ok(result) => return result,
                Err(TryRecvError::Closed) => return Err(AuditError::Interrupted),
                Err(TryRecvError::Empty) => {}
            }
        }
    }

    /// Appends one event inside `tx`, so that it commits (or not) with the
    /// change it records. Used for changes that must be audited atomically.
    ///
    /// # Errors
    /// [`AuditError::Store`] when the database refuses the write.
    pub async fn append_in(tx: &mut Tx, event: NewEvent) -> Result<Appended, AuditError> {
        let head_sql = match tx {
            // BEGIN IMMEDIATE already holds the write lock.
            Tx::Sqlite(_) => "SELECT seq, hash FROM audit_head WHERE id = 1",
            // Lock the head until commit: no writer can link to it meanwhile.
            Tx::Postgres(_) => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        };
        let (seq, hash): (i64, String) = on_tx!(tx, conn => {
            sqlx::query_as(head_sql).fetch_one(&mut **conn).await?
        });
        let (records, appended) = chain_records(&Head { seq, hash }, std::slice::from_ref(&event));
        let sql = insert_sql(records.len());
        on_tx!(tx, conn => {
            bind_records(sqlx::query(sql), &records).execute(&mut **conn).await?;
        });
        metrics::counter!("pstral_audit_appends_total").increment(1);
        Ok(appended.into_iter().next().expect("one event, one record"))
    }

    /// Events matching `filter`, at most `limit` of them.
    ///
    /// # Errors
    /// [`AuditError::Store`] when the database cannot be read.
    pub async fn list(
        &self,
        filter: &AuditFilter,
        order: Order,
        limit: u32,
    ) -> Result<Vec<Event>, AuditError> {
        let sql = match order {
            Order::OldestFirst => select_events!("ASC"),
            Order::NewestFirst => select_events!("DESC"),
        };
        // SQLite's LOWER folds ASCII only, PostgreSQL's every letter: the
        // pattern is folded the same way, so that a search finds at least
        // what is written in the same case.
        let unicode = matches!(self.store, Store::Postgres(_));
        let text = filter.text.as_deref().map(|t| like_pattern(t, unicode));
        let kind = filter.kind.map(EventKind::as_str);
        let events = on_pool!(&self.store, pool => {
            sqlx::query_as::<_, Event>(sql)
                .bind(filter.user_id)
                .bind(kind)
                .bind(filter.platform.as_deref())
                .bind(filter.channel.as_deref())
                .bind(filter.since)
                .bind(filter.until)
                .bind(text)
                .bind(filter.after_seq)
                .bind(filter.before_seq)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(events)
    }

    /// Walks the whole chain, oldest first, a page at a time (memory stays
    /// flat however long the log), and reports the first break.
    ///
    /// The walk reads one snapshot (a read transaction), so events appended
    /// meanwhile by a running bot are neither checked nor mistaken for
    /// tampering.
    ///
    /// # Errors
    /// [`AuditError::Store`] when the database cannot be read.
    pub async fn verify(&self) -> Result<Verification, AuditError> {
        let begin = match self.store {
            // A deferred transaction: its first read fixes the WAL snapshot.
            Store::Sqlite(_) => "BEGIN",
            Store::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let mut walk = Walk::default();
        on_pool!(&self.store, pool => {
            let mut tx = pool.begin_with(begin).await?;
            // Reading the head first starts the snapshot everything else sees.
            let head: (i64, String) =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
            // What retention removed ends at the anchor: the chain that
            // remains must start from it.
            let anchor: (i64, String) =
                sqlx::query_as("SELECT seq, hash FROM audit_anchor WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?;
            walk.start_at(anchor.0, anchor.1);
            loop {
                let page: Vec<Event> = sqlx::query_as(select_events!("ASC"))
                    .bind(None::<i64>)
                    .bind(None::<&str>)
                    .bind(None::<&str>)
                    .bind(None::<&str>)
                    .bind(None::<DateTime<Utc>>)
                    .bind(None::<DateTime<Utc>>)
                    .bind(None::<&str>)
                    .bind(walk.last_seq)
                    .bind(None::<i64>)
                    .bind(PAGE)
                    .fetch_all(&mut *tx)
                    .await?;
                if walk.check(&page) || (page.len() as i64) < PAGE {
                    break;
                }
            }
            tx.rollback().await?;
            walk.finish(head.0, &head.1);
        });
        Ok(Verification {
            checked: walk.checked,
            broken: walk.broken,
        })
    }

    /// Writes every event matching `filter` to `out`, oldest first, fetching a
    /// page at a time so memory stays flat. Returns how many were written.
    ///
    /// # Errors
    /// [`AuditError`] when the database cannot be read or `out` written.
    pub async fn export(
        &self,
        filter: &AuditFilter,
        format: ExportFormat,
        out: impl Write,
    ) -> Result<u64, AuditError> {
        let mut filter = filter.clone();
        let mut written = 0u64;
        let mut out = std::io::BufWriter::new(out);
        let mut first = true;
        loop {
            let page = self.list(&filter, Order::OldestFirst, PAGE as u32).await?;
            write_events(&page, format, std::mem::take(&mut first), &mut out)?;
            written += page.len() as u64;
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => filter.after_seq = Some(last.seq),
                _ => break,
            }
        }
        out.flush()?;
        Ok(written)
    }

    /// How many events the log holds.
    ///
    /// # Errors
    /// [`AuditError::Store`] when the database cannot be read.
    /// Removes the events recorded before `before`, keeping the chain
    /// verifiable: the last one removed becomes the anchor that `verify`
    /// starts from, and the removal is itself recorded (by `actor`) first.
    /// Returns how many events went, and the new anchor's seq; `None` when
    /// nothing is that old.
    ///
    /// # Errors
    /// [`AuditError::Store`] when the database refuses; nothing is removed.
    pub async fn prune(
        &self,
        before: DateTime<Utc>,
        actor: Actor,
    ) -> Result<Option<(i64, i64)>, AuditError> {
        let mut tx = self.store.begin().await?;
        let (cut, anchor): (Option<(i64, String)>, i64) = on_tx!(&mut tx, conn => {
            let cut = sqlx::query_as(
                "SELECT seq, hash FROM audit_events WHERE at < $1 ORDER BY seq DESC LIMIT 1",
            )
            .bind(before)
            .fetch_optional(&mut **conn)
            .await?;
            let anchor = sqlx::query_scalar("SELECT seq FROM audit_anchor WHERE id = 1")
                .fetch_one(&mut **conn)
                .await?;
            (cut, anchor)
        });
        let Some((seq, hash)) = cut.filter(|(seq, _)| *seq > anchor) else {
            return Ok(None);
        };
        let removed = seq - anchor;
        let record = NewEvent::new(
            EventKind::AuditPruned,
            actor,
            serde_json::json!({"before": before, "through": seq, "anchor": hash, "events": removed}),
        );
        Self::append_in(&mut tx, record).await?;
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE audit_anchor SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(&hash)
                .execute(&mut **conn)
                .await?;
            sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
                .bind(seq)
                .execute(&mut **conn)
                .await?;
        });
        tx.commit().await?;
        Ok(Some((removed, seq)))
    }

    pub async fn count(&self) -> Result<i64, AuditError> {
        let n = on_pool!(&self.store, pool => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events")
                .fetch(pool)
                .try_next()
                .await?
        });
        Ok(n.unwrap_or(0))
    }
}

fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A LIKE pattern matching `text` anywhere, lower-cased as the backend's
/// LOWER does, with LIKE's wildcards escaped by `!` (a backslash would depend
/// on PostgreSQL's `standard_conforming_strings`).
fn like_pattern(text: &str, unicode: bool) -> String {
    let lowered = if unicode {
        text.to_lowercase()
    } else {
        text.to_ascii_lowercase()
    };
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in lowered.chars() {
        if matches!(c, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": "é"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":"é","z":[1,{"x":3,"y":2}]},"b":1}"#
        );
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("50%_OFF!", true), "%50!%!_off!!%");
        assert_eq!(like_pattern("ÉTÉ", true), "%été%");
        assert_eq!(like_pattern("ÉTÉ", false), "%ÉtÉ%");
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = || Record {
            seq: 1,
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            user_id: Some(1),
            identity: Some("discord:1".into()),
            platform: Some("discord".into()),
            channel: Some("c".into()),
            thread: None,
            private: false,
            kind: "question".into(),
            payload: "{}".into(),
        };
        let reference = base().hash(GENESIS);
        let variants: [fn(&mut Record); 10] = [
            |r| r.seq = 2,
            |r| r.at += chrono::Duration::microseconds(1),
            |r| r.user_id = None,
            |r| r.identity = Some("discord:2".into()),
            |r| r.platform = None,
            |r| r.channel = Some("d".into()),
            |r| r.thread = Some(String::new()),
            |r| r.private = true,
            |r| r.kind = "answer".into(),
            |r| r.payload = "{ }".into(),
        ];
        for change in variants {
            let mut r = base();
            change(&mut r);
            assert_ne!(r.hash(GENESIS), reference);
        }
        assert_ne!(base().hash(&"1".repeat(64)), reference);
    }

    #[test]
    fn event_kinds_parse_from_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
        assert!(
            "questions"
                .parse::<EventKind>()
                .unwrap_err()
                .contains("question")
        );
    }
}
