//! A conversation exported, as Markdown or JSON, for whoever took part in it.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Conversations;
use crate::store::{StoreError, on_pool};

/// How a conversation is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Json,
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" | "md" | "markdown" => Ok(ExportFormat::Markdown),
            "json" => Ok(ExportFormat::Json),
            other => Err(format!("unknown export format {other:?}: markdown or json")),
        }
    }
}

/// A message as exported, with its author's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
struct ExportedMessage {
    #[sqlx(rename = "role")]
    speaker: String,
    author: Option<String>,
    content: String,
    created_at: DateTime<Utc>,
}

impl Conversations {
    /// The whole conversation as Markdown or JSON; `None` when there is no
    /// such conversation.
    ///
    /// # Errors
    /// A store failure.
    pub async fn export(
        &self,
        id: i64,
        format: ExportFormat,
    ) -> Result<Option<String>, StoreError> {
        self.export_seen_by(id, format, None).await
    }

    /// The conversation as `seen_by` (a user who joined it late) was there
    /// to see it: from their first message in it on, never what was said
    /// before they took part, which their room may not have shown them.
    /// `None` for `seen_by`: the whole of it.
    ///
    /// # Errors
    /// A store failure.
    pub async fn export_seen_by(
        &self,
        id: i64,
        format: ExportFormat,
        seen_by: Option<i64>,
    ) -> Result<Option<String>, StoreError> {
        let Some(conversation) = self.get(id).await? else {
            return Ok(None);
        };
        let messages: Vec<ExportedMessage> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT m.role, u.name AS author, m.content, m.created_at \
                 FROM messages m LEFT JOIN users u ON u.id = m.user_id \
                 WHERE m.conversation_id = $1 AND ($2 IS NULL OR m.id >= \
                   (SELECT COALESCE(MIN(f.id), 0) FROM messages f \
                    WHERE f.conversation_id = $1 AND f.user_id = $2)) \
                   AND m.content <> '' \
                 ORDER BY m.id",
            )
            .bind(id)
            .bind(seen_by)
            .fetch_all(pool)
            .await?
        });
        Ok(Some(match format {
            ExportFormat::Json => serde_json::json!({
                "conversation": conversation,
                "messages": messages,
            })
            .to_string(),
            ExportFormat::Markdown => {
                let mut out = format!(
                    "# Conversation {}\n\n- Place: {} {}{}\n- Mode: {}\n- Started: {}\n",
                    conversation.id,
                    conversation.platform,
                    conversation.channel,
                    if conversation.private {
                        " (private)"
                    } else {
                        ""
                    },
                    conversation.mode,
                    conversation.created_at.format("%Y-%m-%d %H:%M UTC"),
                );
                for m in &messages {
                    let who = match (m.speaker.as_str(), &m.author) {
                        ("assistant", _) => "Pstral".to_owned(),
                        (_, Some(name)) => name.clone(),
                        _ => "someone".to_owned(),
                    };
                    out.push_str(&format!(
                        "\n## {who}, {}\n\n{}\n",
                        m.created_at.format("%Y-%m-%d %H:%M:%S"),
                        m.content
                    ));
                }
                out
            }
        }))
    }
}
