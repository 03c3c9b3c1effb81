//! Conversations: the thread or reply chain a question belongs to, its mode,
//! and its messages, persisted so that history survives restarts.
//!
//! A conversation is keyed by its place and a *root*: the thread id, or the id
//! of the message that started a reply chain. A reply to one of the bot's
//! messages finds its conversation through that message's platform id. The
//! history handed to the model is the last `max_history` messages.
//!
//! This module holds conversations and their messages; beside it,
//! [`prompts`] (the system prompts and the messages a question sends the
//! model), [`records`] (the statements offered and the results shown) and
//! [`export`] (a conversation as Markdown or JSON).

mod export;
mod prompts;
mod records;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use pstral_chat::Place;
use serde::Serialize;

use crate::store::{Store, StoreError, on_pool};

pub use export::ExportFormat;
pub use prompts::{Prompts, assemble};
pub use records::{
    Asked, Offered, ResultShape, Shown, StoredReading, StoredResult, StoredStatement,
};

#[derive(Debug, Clone)]
pub struct ConversationSettings {
    pub default_mode: Mode,
    /// Per-channel defaults: (platform, channel) → mode.
    pub channel_modes: Vec<(String, String, Mode)>,
    pub max_history: u32,
    pub prompts_dir: Option<PathBuf>,
    /// How long a conversation is kept after its last message; `None`: for
    /// ever.
    pub retention: Option<std::time::Duration>,
}

/// What the bot is asked to do with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Answer with an Oracle SELECT in a ```sql block.
    Sql,
    /// Answer in prose.
    Chat,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sql => "sql",
            Mode::Chat => "chat",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sql" => Ok(Mode::Sql),
            "chat" => Ok(Mode::Chat),
            other => Err(format!(
                "unknown mode {other:?}: the modes are sql and chat"
            )),
        }
    }
}

impl TryFrom<String> for Mode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    User,
    Assistant,
}

impl Speaker {
    fn as_str(self) -> &'static str {
        match self {
            Speaker::User => "user",
            Speaker::Assistant => "assistant",
        }
    }
}

impl TryFrom<String> for Speaker {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "user" => Ok(Speaker::User),
            "assistant" => Ok(Speaker::Assistant),
            other => Err(format!("unknown speaker {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Conversation {
    pub id: i64,
    pub platform: String,
    pub channel: String,
    pub root: String,
    pub private: bool,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    pub started_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub conversation_id: i64,
    #[sqlx(rename = "role", try_from = "String")]
    pub speaker: Speaker,
    pub user_id: Option<i64>,
    pub platform_message_id: Option<String>,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub speaker: Speaker,
    pub user_id: Option<i64>,
    pub platform_message_id: Option<&'a str>,
    pub content: &'a str,
}

/// Conversations on the own database.
#[derive(Clone, Debug)]
pub struct Conversations {
    store: Store,
}

const CONVERSATION_COLUMNS: &str =
    "id, platform, channel, root, private, mode, started_by, created_at";

impl Conversations {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Where they are kept ([`Store::location`]), for the log line of a
    /// failure.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// The conversation rooted at `root` in `place`, started now in `mode` if
    /// there is none yet.
    ///
    /// # Errors
    /// A store failure.
    pub async fn find_or_start(
        &self,
        place: &Place,
        root: &str,
        mode: Mode,
        started_by: Option<i64>,
    ) -> Result<Conversation, StoreError> {
        // Insert-if-absent then read, in one statement pair that is safe when
        // two messages of one thread arrive at once (on both backends).
        on_pool!(&self.store, pool => {
            sqlx::query(
                "INSERT INTO conversations (platform, channel, root, private, mode, started_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (platform, channel, root) DO NOTHING",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(root)
            .bind(place.private)
            .bind(mode.as_str())
            .bind(started_by)
            .bind(Utc::now())
            .execute(pool)
            .await?;
        });
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations \
             WHERE platform = $1 AND channel = $2 AND root = $3"
        ));
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, Conversation>(sql)
                .bind(place.platform.as_str())
                .bind(&place.channel)
                .bind(root)
                .fetch_one(pool)
                .await?
        }))
    }

    /// The conversation that holds the message with this platform id in this
    /// place: how a reply to the bot finds its history.
    ///
    /// # Errors
    /// A store failure.
    pub async fn find_by_message(
        &self,
        place: &Place,
        platform_message_id: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, Conversation>(
                "SELECT c.id, c.platform, c.channel, c.root, c.private, c.mode, c.started_by, c.created_at \
                 FROM conversations c JOIN messages m ON m.conversation_id = c.id \
                 WHERE c.platform = $1 AND c.channel = $2 AND m.platform_message_id = $3 LIMIT 1",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(platform_message_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// # Errors
    /// A store failure.
    pub async fn get(&self, id: i64) -> Result<Option<Conversation>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
        ));
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, Conversation>(sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// # Errors
    /// A store failure.
    pub async fn set_mode(&self, id: i64, mode: Mode) -> Result<(), StoreError> {
        on_pool!(&self.store, pool => {
            sqlx::query("UPDATE conversations SET mode = $1 WHERE id = $2")
                .bind(mode.as_str())
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Stores a message and returns its id.
    ///
    /// # Errors
    /// A store failure.
    pub async fn append(
        &self,
        conversation_id: i64,
        message: NewMessage<'_>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO messages (conversation_id, role, user_id, platform_message_id, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(conversation_id)
            .bind(message.speaker.as_str())
            .bind(message.user_id)
            .bind(message.platform_message_id)
            .bind(message.content)
            .bind(Utc::now())
            .fetch_one(pool)
            .await?
        }))
    }

    /// Forgets what a message said, its author having taken it back (a
    /// redaction, a deletion): it is kept as an empty message, so the
    /// conversation still finds its replies, but it is never exported or
    /// sent to the model again. Whether a message was found.
    ///
    /// # Errors
    /// A store failure.
    pub async fn withdraw(&self, place: &Place, message_id: &str) -> Result<bool, StoreError> {
        let done = on_pool!(&self.store, pool => {
            sqlx::query(
                "UPDATE messages SET content = '' WHERE platform_message_id = $3 AND conversation_id IN \
                 (SELECT id FROM conversations WHERE platform = $1 AND channel = $2)",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(message_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// The mode chosen for new conversations in a channel, if one was.
    ///
    /// # Errors
    /// A store failure.
    pub async fn channel_mode(&self, place: &Place) -> Result<Option<Mode>, StoreError> {
        let mode: Option<String> = on_pool!(&self.store, pool => {
            sqlx::query_scalar("SELECT mode FROM channel_modes WHERE platform = $1 AND channel = $2")
                .bind(place.platform.as_str())
                .bind(&place.channel)
                .fetch_optional(pool)
                .await?
        });
        Ok(mode.and_then(|m| m.parse().ok()))
    }

    /// Chooses the mode of new conversations in a channel.
    ///
    /// # Errors
    /// A store failure.
    pub async fn set_channel_mode(&self, place: &Place, mode: Mode) -> Result<(), StoreError> {
        on_pool!(&self.store, pool => {
            sqlx::query(
                "INSERT INTO channel_modes (platform, channel, mode, changed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (platform, channel) DO UPDATE SET mode = $3, changed_at = $4",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(mode.as_str())
            .bind(Utc::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Whether `user_id` took part in a conversation: started it, or asked
    /// in it.
    ///
    /// # Errors
    /// A store failure.
    pub async fn took_part(&self, id: i64, user_id: i64) -> Result<bool, StoreError> {
        let count: i64 = on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM conversations WHERE id = $1 AND started_by = $2) \
                 + (SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND user_id = $2)",
            )
            .bind(id)
            .bind(user_id)
            .fetch_one(pool)
            .await?
        });
        Ok(count > 0)
    }

    /// The latest conversation in a place that `user` took part in.
    ///
    /// # Errors
    /// A store failure.
    pub async fn latest_of(
        &self,
        place: &Place,
        user_id: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, Conversation>(
                "SELECT c.id, c.platform, c.channel, c.root, c.private, c.mode, c.started_by, c.created_at \
                 FROM conversations c JOIN messages m ON m.conversation_id = c.id \
                 WHERE c.platform = $1 AND c.channel = $2 AND m.user_id = $3 \
                 ORDER BY m.id DESC LIMIT 1",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The last `max` messages of a conversation, oldest first.
    ///
    /// # Errors
    /// A store failure.
    /// Deletes the conversations with nothing newer than `before` (their
    /// messages, offered statements and results go with them), and audits
    /// how many, in one transaction. Returns how many were deleted.
    ///
    /// # Errors
    /// A store or audit failure; nothing deleted.
    pub async fn prune(
        &self,
        before: DateTime<Utc>,
        actor: crate::audit::Actor,
    ) -> Result<u64, crate::audit::AuditError> {
        use crate::audit::{Audit, EventKind, NewEvent};
        use crate::store::on_tx;
        let mut tx = self.store.begin().await?;
        let deleted = on_tx!(&mut tx, conn => {
            sqlx::query(
                "DELETE FROM conversations WHERE created_at < $1 AND NOT EXISTS \
                 (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id \
                  AND m.created_at >= $1)",
            )
            .bind(before)
            .execute(&mut **conn)
            .await
            .map_err(StoreError::from)?
            .rows_affected()
        });
        if deleted > 0 {
            let event = NewEvent::new(
                EventKind::ConversationChanged,
                actor,
                serde_json::json!({"action": "pruned", "conversations": deleted,
                                   "before": before.to_rfc3339()}),
            );
            Audit::append_in(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    pub async fn history(
        &self,
        conversation_id: i64,
        max: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut messages: Vec<StoredMessage> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT id, conversation_id, role, user_id, platform_message_id, content, created_at \
                 FROM messages WHERE conversation_id = $1 AND content <> '' ORDER BY id DESC LIMIT $2",
            )
            .bind(conversation_id)
            .bind(i64::from(max))
            .fetch_all(pool)
            .await?
        });
        messages.reverse();
        Ok(messages)
    }
}
