//! An event from a platform acted on once, whichever replica sees it and
//! however often it is delivered: the first insert of its key wins.

use chrono::Utc;
use pstral_chat::Place;

use super::{Replica, Role};
use crate::store::{Store, StoreError, on_pool};

/// Whether this process may act on an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The first time: act on it.
    First,
    /// Acted on already (a delivery again, a catch-up after a takeover).
    Again,
    /// Another replica leads since this one was elected: not to be acted
    /// on here (the leader sees it, or saw it).
    NotLeader,
}

impl Replica {
    /// Records that `event` (a message, a command, a click, by the
    /// platform's id) in `place` is being acted on, unless it was already,
    /// or another term began: the database's unique key decides, so that
    /// two deliveries racing each other cannot both pass.
    ///
    /// # Errors
    /// A store failure.
    pub async fn first_time(&self, place: &Place, event: &str) -> Result<Handled, StoreError> {
        let term = match self.role() {
            Role::Leader { term } => Some(term),
            Role::Alone => None,
            // Not serving: whatever reached this process is the leader's.
            Role::Standby | Role::Deposed(_) => return Ok(Handled::NotLeader),
        };
        let inserted = match &self.store {
            Store::Sqlite(pool) => sqlx::query(
                "INSERT INTO handled_events (platform, channel, event, term, handled_at) \
                 VALUES ($1, $2, $3, NULL, $4) ON CONFLICT DO NOTHING",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(event)
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected(),
            // Fenced: an insert made under a term that is over inserts
            // nothing, in the same statement.
            Store::Postgres(pool) => sqlx::query(
                "INSERT INTO handled_events (platform, channel, event, term, handled_at) \
                 SELECT $1, $2, $3, $4, $5 \
                 WHERE $4::BIGINT IS NULL \
                    OR EXISTS (SELECT 1 FROM leadership WHERE id = 1 AND term = $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(event)
            .bind(term)
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected(),
        };
        if inserted == 1 {
            return Ok(Handled::First);
        }
        let known: bool = on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM handled_events \
                 WHERE platform = $1 AND channel = $2 AND event = $3)",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(event)
            .fetch_one(pool)
            .await?
        });
        Ok(if known {
            Handled::Again
        } else {
            Handled::NotLeader
        })
    }

    /// Forgets the events handled before `before`: a platform delivers an
    /// event again within minutes of the first time, never months later.
    ///
    /// # Errors
    /// A store failure.
    pub async fn forget_handled(&self, before: chrono::DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query("DELETE FROM handled_events WHERE handled_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
