//! The answers being written, kept in the own database with what each
//! shows, so that an answer whose process died (a crash, `kill -9`, a
//! leader deposed) is found and ended by the next process that serves its
//! platform, rather than left half-written with its cursor for ever.

use chrono::{DateTime, Utc};
use pstral_chat::{MessageRef, Place};

use super::Replica;
use crate::store::{Store, StoreError, on_pool};

/// Whose answer it is, for the record of its ending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    pub conversation: Option<i64>,
    /// The question's message.
    pub question: Option<String>,
    pub user_id: Option<i64>,
    /// The chat account that asked.
    pub identity: Option<String>,
}

/// One answer being written by this process; dropped without
/// [`OpenAnswer::closed`], its row stays for the next process to end.
pub struct OpenAnswer {
    store: Store,
    first: MessageRef,
    /// The process writing it.
    owner: std::sync::Arc<str>,
}

/// An answer a stopped process left open.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeftOpen {
    pub platform: String,
    pub channel: String,
    pub thread: Option<String>,
    pub private: bool,
    /// The placeholder, which holds the Stop control.
    pub first_message: String,
    /// The message being written when it stopped.
    pub message: String,
    /// What that message showed, without the cursor.
    pub shown: String,
    /// Whether `shown` was the answer's last text: its process died after
    /// it was recorded, before the answer was.
    pub ended: bool,
    pub conversation: Option<i64>,
    pub question: Option<String>,
    pub user_id: Option<i64>,
    pub identity: Option<String>,
    pub started_at: DateTime<Utc>,
}

impl LeftOpen {
    /// Where it was written.
    pub fn place(&self) -> Option<Place> {
        Some(Place {
            platform: self.platform.parse().ok()?,
            channel: self.channel.clone(),
            thread: self.thread.clone(),
            private: self.private,
        })
    }
}

impl Replica {
    /// Records that an answer starts in `placeholder`, by this process.
    /// `None` (and a warning) when the record cannot be written: the
    /// answer goes on, and would be left as it is if this process died.
    pub async fn opened(&self, placeholder: &MessageRef, about: &About) -> Option<OpenAnswer> {
        let place = &placeholder.place;
        let written = on_pool!(&self.store, pool => {
            sqlx::query(
                "INSERT INTO open_answers (platform, channel, thread, private, first_message, \
                 message, shown, owner, conversation, question, user_id, identity, started_at) \
                 VALUES ($1, $2, $3, $4, $5, $5, '', $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(&place.thread)
            .bind(place.private)
            .bind(&placeholder.id)
            .bind(&*self.instance)
            .bind(about.conversation)
            .bind(&about.question)
            .bind(about.user_id)
            .bind(&about.identity)
            .bind(Utc::now())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match written {
            Ok(_) => Some(OpenAnswer {
                store: self.store.clone(),
                first: placeholder.clone(),
                owner: self.instance.clone(),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "cannot record an answer being written");
                None
            }
        }
    }

    /// The answers on `platform` that another process left open: every one
    /// that is not this process's own (one process serves at a time).
    ///
    /// # Errors
    /// A store failure.
    pub async fn left_open(&self, platform: &str) -> Result<Vec<LeftOpen>, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, LeftOpen>(
                "SELECT platform, channel, thread, private, first_message, message, shown, ended, \
                 conversation, question, user_id, identity, started_at \
                 FROM open_answers WHERE platform = $1 AND owner <> $2 ORDER BY started_at",
            )
            .bind(platform)
            .bind(&*self.instance)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Forgets an answer left open, once it is ended. Returns whether it
    /// was still there: another process may have ended it meanwhile.
    ///
    /// # Errors
    /// A store failure.
    pub async fn ended(&self, left: &LeftOpen) -> Result<bool, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query(
                "DELETE FROM open_answers WHERE platform = $1 AND channel = $2 AND first_message = $3",
            )
            .bind(&left.platform)
            .bind(&left.channel)
            .bind(&left.first_message)
            .execute(pool)
            .await?
            .rows_affected()
        }) == 1)
    }
}

impl OpenAnswer {
    /// The answer is about to show `shown` (without the cursor) in
    /// `message`; `ended` when that is its last text. Recorded before the
    /// chat shows it, so that whoever ends the answer shows at least what
    /// the chat did. False when the answer is no longer this process's to
    /// write: another ended it as interrupted (this one was frozen, or cut
    /// off, past the takeover), and it must not be edited again.
    pub async fn showing(&self, message: &MessageRef, shown: &str, ended: bool) -> bool {
        let place = &self.first.place;
        let written = on_pool!(&self.store, pool => {
            sqlx::query(
                "UPDATE open_answers SET message = $4, shown = $5, ended = $6 \
                 WHERE platform = $1 AND channel = $2 AND first_message = $3 AND owner = $7",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(&self.first.id)
            .bind(&message.id)
            .bind(shown)
            .bind(ended)
            .bind(&*self.owner)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match written {
            Ok(0) => {
                tracing::warn!(message = %self.first.id, "an answer being written was ended by another replica: not writing it any more");
                false
            }
            Ok(_) => true,
            // Unrecorded, it goes on: a process that lost the database is
            // deposed and stops by itself.
            Err(e) => {
                tracing::warn!(error = %e, "cannot record what an answer being written shows");
                true
            }
        }
    }

    /// The answer ended, its last text shown: nothing is left to end.
    pub async fn closed(self) {
        let place = &self.first.place;
        let removed = on_pool!(&self.store, pool => {
            sqlx::query(
                "DELETE FROM open_answers WHERE platform = $1 AND channel = $2 AND first_message = $3",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(&self.first.id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        if let Err(e) = removed {
            tracing::warn!(error = %e, "cannot record that an answer ended");
        }
    }
}
