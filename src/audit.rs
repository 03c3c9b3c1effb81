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

use tokio::sync::oneshot::error::TryRecvError;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::TryStreamExt;
use pstral_chat::{Place, PlatformIdentity};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

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
    /// Someone read the audit (a list, an export, a verification).
    AdminRead,
    /// A local user was created or their role changed.
    UserChanged,
    IdentityLinked,
    IdentityUnlinked,
    InviteCreated,
    /// Someone the bot does not know, or who lacks the role, was turned away.
    AccessRefused,
    /// A conversation was exported, or its mode changed.
    ConversationChanged,
    /// Events older than the retention period were removed; the chain now
    /// starts after the anchor this event names.
    AuditPruned,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::Question,
        EventKind::Answer,
        EventKind::SqlValidated,
        EventKind::ExecuteRequested,
        EventKind::ExecuteResult,
        EventKind::AdminRead,
        EventKind::UserChanged,
        EventKind::IdentityLinked,
        EventKind::IdentityUnlinked,
        EventKind::InviteCreated,
        EventKind::AccessRefused,
        EventKind::ConversationChanged,
        EventKind::AuditPruned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Question => "question",
            EventKind::Answer => "answer",
            EventKind::SqlValidated => "sql_validated",
            EventKind::ExecuteRequested => "execute_requested",
            EventKind::ExecuteResult => "execute_result",
            EventKind::AdminRead => "admin_read",
            EventKind::UserChanged => "user_changed",
            EventKind::IdentityLinked => "identity_linked",
            EventKind::IdentityUnlinked => "identity_unlinked",
            EventKind::InviteCreated => "invite_created",
            EventKind::AccessRefused => "access_refused",
            EventKind::ConversationChanged => "conversation_changed",
            EventKind::AuditPruned => "audit_pruned",
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

/// Who did something: a local user, the chat identity they acted through, or
/// both (an unknown identity has no user; the CLI has an OS user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub identity: Option<PlatformIdentity>,
}

impl Actor {
    /// The person running a `pstral` command, known by their OS account.
    pub fn cli() -> Self {
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        let identity = format!("cli:{os_user}")
            .parse()
            .unwrap_or_else(|_| "cli:unknown".parse().expect("a valid identity"));
        Self {
            user_id: None,
            identity: Some(identity),
        }
    }
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
        AuditError::Store(StoreError::Query(e))
    }
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The event's content no longer matches its hash: it was edited, or moved
    /// to another position.
    Altered { seq: i64 },
    /// Events `first..=last` are gone.
    Missing { first: i64, last: i64 },
    /// The event does not link to the event before it: it was inserted out of
    /// order, or the one before it was replaced.
    OutOfOrder { seq: i64 },
    /// The log ends before the last event the store recorded appending.
    Truncated {
        last_present: i64,
        last_recorded: i64,
    },
    /// Events past the last one the store appended were added behind its back.
    Unrecorded { seq: i64 },
    /// The last event is not the one the store appended: it was replaced by
    /// a well-formed forgery.
    Replaced { seq: i64 },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::Altered { seq } => write!(
                f,
                "event #{seq} was altered or moved: its content does not match its hash"
            ),
            ChainBreak::Missing { first, last } if first == last => {
                write!(f, "event #{first} was deleted")
            }
            ChainBreak::Missing { first, last } => {
                write!(f, "events #{first} to #{last} were deleted")
            }
            ChainBreak::OutOfOrder { seq } => write!(
                f,
                "event #{seq} does not link to event #{}: one of them was replaced, or #{seq} was inserted out of order",
                seq - 1
            ),
            ChainBreak::Truncated {
                last_present,
                last_recorded,
            } => write!(
                f,
                "events after #{last_present} (up to #{last_recorded}) were deleted"
            ),
            ChainBreak::Unrecorded { seq } => write!(
                f,
                "event #{seq} was inserted behind the store's back: the chain's head is before it"
            ),
            ChainBreak::Replaced { seq } => write!(
                f,
                "event #{seq} was replaced: the chain's head records another event there"
            ),
        }
    }
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// How many events were checked before the walk stopped.
    pub checked: u64,
    /// `None` when the chain holds.
    pub broken: Option<ChainBreak>,
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

/// How [`Audit::export`] writes events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
    Csv,
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

/// Removes a caller's event from the pending list if no writer took it.
struct Withdraw<'a> {
    writer: &'a Writer,
    id: u64,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.writer.pending.lock() {
            pending.retain(|p| p.id != self.id);
        }
    }
}

/// Appends waiting to be written, and the head as this writer last knew it.
struct Writer {
    next_id: AtomicU64,
    pending: Mutex<Vec<Pending>>,
    /// Held by whoever is writing a batch; `None` until read, and after a
    /// failure, so that the next batch reads the head afresh.
    head: Arc<tokio::sync::Mutex<Option<Head>>>,
}

struct Pending {
    /// Tells a caller's own event from the others in a batch.
    id: u64,
    event: NewEvent,
    done: tokio::sync::oneshot::Sender<Result<Appended, AuditError>>,
}

#[derive(Clone, PartialEq, Eq)]
struct Head {
    seq: i64,
    hash: String,
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

/// Writes a batch of pending appends with one `INSERT`, retrying on a moved
/// head, and tells each waiter the outcome.
async fn write_batch(
    store: Store,
    mut head: tokio::sync::OwnedMutexGuard<Option<Head>>,
    batch: Vec<Pending>,
) {
    if batch.is_empty() {
        return;
    }
    let events: Vec<NewEvent> = batch.iter().map(|p| p.event.clone()).collect();
    let mut result = Err(StoreError::Query(sqlx::Error::Protocol(
        "the audit head kept moving; gave up".into(),
    )));
    let mut refused: Option<Head> = None;
    for _ in 0..MAX_ATTEMPTS {
        let current = match head.take() {
            Some(h) => h,
            None => match read_head(&store).await {
                Ok(h) => h,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            },
        };
        if refused.as_ref() == Some(&current) {
            // The head did not move, yet an insert linking to it was refused:
            // the head and the log disagree (a row edited behind the store).
            result = Err(StoreError::Query(sqlx::Error::Protocol(
                "the audit head does not match the log; run `pstral audit verify`".into(),
            )));
            break;
        }
        let (records, appended) = chain_records(&current, &events);
        match insert_records(&store, &records).await {
            Ok(()) => {
                metrics::counter!("pstral_audit_appends_total").increment(appended.len() as u64);
                let last = appended.last().expect("a batch is not empty");
                *head = Some(Head {
                    seq: last.seq,
                    hash: last.hash.clone(),
                });
                result = Ok(appended);
                break;
            }
            // Someone else appended since our head was read: read it again.
            Err(e) if is_head_race(&e) => refused = Some(current),
            Err(e) => {
                result = Err(StoreError::Query(e));
                break;
            }
        }
    }
    match result {
        Ok(appended) => {
            for (pending, appended) in batch.into_iter().zip(appended) {
                let _ = pending.done.send(Ok(appended));
            }
        }
        Err(e) => {
            let e = Arc::new(e);
            for pending in batch {
                let _ = pending.done.send(Err(AuditError::Append(Arc::clone(&e))));
            }
        }
    }
}

/// An insert refused because it did not link to the current head: the
/// trigger's refusal (a unique violation on PostgreSQL, an abort with its
/// message on SQLite) or the unique indexes behind it.
fn is_head_race(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation() || d.message().contains("audit head moved"))
}

async fn read_head(store: &Store) -> Result<Head, StoreError> {
    let (seq, hash): (i64, String) = on_pool!(store, pool => {
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?
    });
    Ok(Head { seq, hash })
}

/// The records for `events` chained after `head`, and where each lands.
fn chain_records(head: &Head, events: &[NewEvent]) -> (Vec<StoredRecord>, Vec<Appended>) {
    // Microseconds: what PostgreSQL keeps, so the hashed text survives a
    // round trip through either backend.
    let at = now_micros();
    let mut prev = head.hash.clone();
    let mut records = Vec::with_capacity(events.len());
    let mut appended = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let record = Record {
            seq: head.seq + 1 + i as i64,
            at,
            user_id: event.actor.user_id,
            identity: event.actor.identity.as_ref().map(ToString::to_string),
            platform: event.place.as_ref().map(|p| p.platform.to_string()),
            channel: event.place.as_ref().map(|p| p.channel.clone()),
            thread: event.place.as_ref().and_then(|p| p.thread.clone()),
            private: event.place.as_ref().is_some_and(|p| p.private),
            kind: event.kind.as_str().to_owned(),
            payload: canonical_json(&event.payload),
        };
        let hash = record.hash(&prev);
        appended.push(Appended {
            seq: record.seq,
            hash: hash.clone(),
        });
        records.push(StoredRecord {
            record,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    (records, appended)
}

struct StoredRecord {
    record: Record,
    prev_hash: String,
    hash: String,
}

const COLUMNS: usize = 12;

/// `INSERT … VALUES (…), (…)` for `rows` records. The statement text depends
/// only on the row count, so at most [`MAX_BATCH`] of them are ever prepared.
fn insert_sql(rows: usize) -> sqlx::AssertSqlSafe<String> {
    let mut sql = String::from(
        "INSERT INTO audit_events (seq, at, user_id, identity, platform, channel, thread, \
         private, kind, payload, prev_hash, hash) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..COLUMNS {
            if col > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * COLUMNS + col + 1));
        }
        sql.push(')');
    }
    sqlx::AssertSqlSafe(sql)
}

/// Binds the values of `records` in column order. Generic so that the one
/// function serves both backends.
fn bind_records<'q, 'r, DB>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    records: &'r [StoredRecord],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'r, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'r, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'r, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'r, DB> + sqlx::Type<DB>,
    &'r str: sqlx::Encode<'r, DB> + sqlx::Type<DB>,
    Option<&'r str>: sqlx::Encode<'r, DB> + sqlx::Type<DB>,
{
    for s in records {
        let r = &s.record;
        query = query
            .bind(r.seq)
            .bind(r.at)
            .bind(r.user_id)
            .bind(r.identity.as_deref())
            .bind(r.platform.as_deref())
            .bind(r.channel.as_deref())
            .bind(r.thread.as_deref())
            .bind(r.private)
            .bind(r.kind.as_str())
            .bind(r.payload.as_str())
            .bind(s.prev_hash.as_str())
            .bind(s.hash.as_str());
    }
    query
}

async fn insert_records(store: &Store, records: &[StoredRecord]) -> Result<(), sqlx::Error> {
    let sql = insert_sql(records.len());
    on_pool!(store, pool => {
        bind_records(sqlx::query(sql), records).execute(pool).await?;
    });
    Ok(())
}

/// Writes `events` as JSON lines, or as CSV rows (after the header row when
/// `header`): one page of an export.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_events(
    events: &[Event],
    format: ExportFormat,
    header: bool,
    out: &mut impl Write,
) -> Result<(), AuditError> {
    match format {
        ExportFormat::Jsonl => {
            for event in events {
                serde_json::to_writer(&mut *out, event).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
        ExportFormat::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out);
            if header {
                writer.write_record(CSV_HEADER)?;
            }
            for event in events {
                writer.write_record(csv_row(event))?;
            }
            writer.flush()?;
        }
    }
    Ok(())
}

const CSV_HEADER: [&str; 13] = [
    "seq",
    "at",
    "user_id",
    "user_name",
    "identity",
    "platform",
    "channel",
    "thread",
    "private",
    "kind",
    "payload",
    "prev_hash",
    "hash",
];

fn csv_row(e: &Event) -> [String; 13] {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    [
        e.seq.to_string(),
        e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.user_id.map(|u| u.to_string()).unwrap_or_default(),
        opt(&e.user_name),
        opt(&e.identity),
        opt(&e.platform),
        opt(&e.channel),
        opt(&e.thread),
        e.private.to_string(),
        e.kind.clone(),
        e.payload.clone(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]
}

/// The state of a walk along the chain.
#[derive(Default)]
struct Walk {
    checked: u64,
    /// The last event that held, as a pagination cursor.
    last_seq: Option<i64>,
    prev_seq: i64,
    prev_hash: Option<String>,
    broken: Option<ChainBreak>,
}

impl Walk {
    /// Starts after event `seq` whose hash is `hash` (the retention anchor;
    /// seq 0 and the genesis hash when nothing was removed).
    fn start_at(&mut self, seq: i64, hash: String) {
        if seq > 0 {
            self.prev_seq = seq;
            self.last_seq = Some(seq);
            self.prev_hash = Some(hash);
        }
    }

    /// Checks a page of events; true once the chain is found broken.
    fn check(&mut self, page: &[Event]) -> bool {
        for event in page {
            let prev_hash = self.prev_hash.as_deref().unwrap_or(GENESIS);
            let broken = if event.recompute_hash() != event.hash {
                Some(ChainBreak::Altered { seq: event.seq })
            } else if event.seq > self.prev_seq + 1 {
                Some(ChainBreak::Missing {
                    first: self.prev_seq + 1,
                    last: event.seq - 1,
                })
            } else if event.seq <= self.prev_seq || event.prev_hash != prev_hash {
                Some(ChainBreak::OutOfOrder { seq: event.seq })
            } else {
                None
            };
            if broken.is_some() {
                self.broken = broken;
                return true;
            }
            self.checked += 1;
            self.prev_seq = event.seq;
            self.last_seq = Some(event.seq);
            self.prev_hash = Some(event.hash.clone());
        }
        false
    }

    /// Compares the end of the walk with the head the store recorded.
    fn finish(&mut self, head_seq: i64, head_hash: &str) {
        if self.broken.is_some() {
            return;
        }
        let last_hash = self.prev_hash.as_deref().unwrap_or(GENESIS);
        self.broken = if head_seq > self.prev_seq {
            Some(ChainBreak::Truncated {
                last_present: self.prev_seq,
                last_recorded: head_seq,
            })
        } else if head_seq < self.prev_seq {
            Some(ChainBreak::Unrecorded { seq: head_seq + 1 })
        } else if head_hash != last_hash {
            Some(ChainBreak::Replaced { seq: head_seq })
        } else {
            None
        };
    }
}

/// The hashed fields of an event.
struct Record {
    seq: i64,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    identity: Option<String>,
    platform: Option<String>,
    channel: Option<String>,
    thread: Option<String>,
    private: bool,
    kind: String,
    payload: String,
}

impl Record {
    /// SHA-256 over a canonical encoding: a version tag, then each field in a
    /// fixed order as a presence byte, a 64-bit big-endian length and the
    /// bytes, then the previous hash. Length prefixes make the encoding
    /// unambiguous (no two field lists encode alike), which plain
    /// concatenation with a separator is not.
    fn hash(&self, prev_hash: &str) -> String {
        fn field(h: &mut Sha256, value: Option<&[u8]>) {
            match value {
                None => h.update([0u8]),
                Some(bytes) => {
                    h.update([1u8]);
                    h.update((bytes.len() as u64).to_be_bytes());
                    h.update(bytes);
                }
            }
        }
        let mut h = Sha256::new();
        h.update(b"pstral.audit.v1");
        field(&mut h, Some(self.seq.to_string().as_bytes()));
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        field(&mut h, Some(at.as_bytes()));
        let user = self.user_id.map(|u| u.to_string());
        field(&mut h, user.as_deref().map(str::as_bytes));
        for text in [&self.identity, &self.platform, &self.channel, &self.thread] {
            field(&mut h, text.as_deref().map(str::as_bytes));
        }
        field(&mut h, Some(if self.private { b"1" } else { b"0" }));
        field(&mut h, Some(self.kind.as_bytes()));
        field(&mut h, Some(self.payload.as_bytes()));
        field(&mut h, Some(prev_hash.as_bytes()));
        hex::encode(h.finalize())
    }
}

fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// JSON with object keys sorted at every level and no white space, so the
/// same payload always makes the same bytes, whatever serde_json features
/// another crate switches on (`preserve_order` would keep insertion order).
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn write(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
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
