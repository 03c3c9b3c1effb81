//! Appends combined: concurrent callers' events are written in batches by
//! whichever caller holds the head, each batch one transaction that links
//! its events to the chain.

use super::*;

/// Removes a caller's event from the pending list if no writer took it.
pub(super) struct Withdraw<'a> {
    pub(super) writer: &'a Writer,
    pub(super) id: u64,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.writer.pending.lock() {
            pending.retain(|p| p.id != self.id);
        }
    }
}

/// Appends waiting to be written, and the head as this writer last knew it.
pub(super) struct Writer {
    pub(super) next_id: AtomicU64,
    pub(super) pending: Mutex<Vec<Pending>>,
    /// Held by whoever is writing a batch; `None` until read, and after a
    /// failure, so that the next batch reads the head afresh.
    pub(super) head: Arc<tokio::sync::Mutex<Option<Head>>>,
}

pub(super) struct Pending {
    /// Tells a caller's own event from the others in a batch.
    pub(super) id: u64,
    pub(super) event: NewEvent,
    pub(super) done: tokio::sync::oneshot::Sender<Result<Appended, AuditError>>,
}

#[derive(Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) seq: i64,
    pub(super) hash: String,
}

/// Writes a batch of pending appends with one `INSERT`, retrying on a moved
/// head, and tells each waiter the outcome.
pub(super) async fn write_batch(
    store: Store,
    mut head: tokio::sync::OwnedMutexGuard<Option<Head>>,
    batch: Vec<Pending>,
) {
    if batch.is_empty() {
        return;
    }
    let events: Vec<NewEvent> = batch.iter().map(|p| p.event.clone()).collect();
    let mut result = Err(StoreError::from(sqlx::Error::Protocol(
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
            result = Err(StoreError::from(sqlx::Error::Protocol(
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
                result = Err(StoreError::from(e));
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
pub(super) fn is_head_race(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation() || d.message().contains("audit head moved"))
}

pub(super) async fn read_head(store: &Store) -> Result<Head, StoreError> {
    let (seq, hash): (i64, String) = on_pool!(store, pool => {
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?
    });
    Ok(Head { seq, hash })
}

/// The records for `events` chained after `head`, and where each lands.
pub(super) fn chain_records(
    head: &Head,
    events: &[NewEvent],
) -> (Vec<StoredRecord>, Vec<Appended>) {
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

pub(super) struct StoredRecord {
    pub(super) record: Record,
    pub(super) prev_hash: String,
    pub(super) hash: String,
}

pub(super) const COLUMNS: usize = 12;

/// `INSERT … VALUES (…), (…)` for `rows` records. The statement text depends
/// only on the row count, so at most [`MAX_BATCH`] of them are ever prepared.
pub(super) fn insert_sql(rows: usize) -> sqlx::AssertSqlSafe<String> {
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
pub(super) fn bind_records<'q, 'r, DB>(
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

pub(super) async fn insert_records(
    store: &Store,
    records: &[StoredRecord],
) -> Result<(), sqlx::Error> {
    let sql = insert_sql(records.len());
    on_pool!(store, pool => {
        bind_records(sqlx::query(sql), records).execute(pool).await?;
    });
    Ok(())
}
