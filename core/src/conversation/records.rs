//! The statements offered in a conversation and the results shown of them:
//! what a click on Execute runs, and what "correct" and "wrong" judge.

use chrono::Utc;
use pstral_chat::Place;

use super::Conversations;
use crate::i18n::Lang;
use crate::store::{StoreError, on_pool};

/// A statement offered for execution.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredStatement {
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: String,
    pub idx: i32,
    pub sql_text: String,
    pub dialect: String,
    /// The question it answers and who asked it (statements offered before
    /// these were kept have neither).
    pub question: Option<String>,
    pub asked_by: Option<i64>,
    pub lang: Option<String>,
    /// The plan (JSON) it was compiled from, when the semantic path wrote it.
    pub plan: Option<String>,
}

/// A query result shown in the chat, with the statement behind it: what
/// "correct" and "wrong" judge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredResult {
    pub id: i64,
    pub statement_id: i64,
    /// The message that shows it; `None` when it went to one person alone.
    pub message_id: Option<String>,
    pub executed_by: i64,
    /// The result's column names, as JSON.
    pub columns: String,
    pub row_count: i64,
    pub truncated: bool,
    pub sql_text: String,
    pub dialect: String,
    pub question: Option<String>,
    pub asked_by: Option<i64>,
    pub lang: Option<String>,
    pub plan: Option<String>,
}

/// A statement as it is offered: its number in the answer (what `run N`
/// names), its text and its dialect.
#[derive(Debug, Clone, Copy)]
pub struct Offered<'a> {
    pub index: u32,
    pub sql: &'a str,
    pub dialect: crate::sql::Dialect,
}

/// What "correct" and "wrong" judge of a result that came back: its
/// columns, how many rows it showed and whether some were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultShape {
    pub columns: Vec<String>,
    pub rows: u64,
    pub truncated: bool,
}

/// The question a statement answers: who asked it, in which language,
/// and the plan (JSON) the statement was compiled from, if any.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub question: &'a str,
    pub by: i64,
    pub language: Lang,
    pub plan: Option<&'a str>,
}

const RESULT_COLUMNS: &str = "r.id, r.statement_id, r.message_id, r.executed_by, r.columns, \
     r.row_count, r.truncated, s.sql_text, s.dialect, s.question, s.asked_by, s.lang, s.plan";

impl Conversations {
    /// Records a statement offered on the bot's message `message_id`.
    ///
    /// # Errors
    /// A store failure.
    pub async fn record_statement(
        &self,
        conversation_id: i64,
        place: &Place,
        message_id: &str,
        offered: Offered<'_>,
        asked: Asked<'_>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO statements (conversation_id, platform, channel, message_id, idx, sql_text, dialect, created_at, \
                 question, asked_by, lang, plan) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(conversation_id)
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(message_id)
            .bind(i64::from(offered.index))
            .bind(offered.sql)
            .bind(offered.dialect.as_str())
            .bind(Utc::now())
            .bind(asked.question)
            .bind(asked.by)
            .bind(asked.language.code())
            .bind(asked.plan)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The statement `idx` offered on a message in a place, or, without a
    /// message, the latest statement `idx` offered in that place.
    ///
    /// # Errors
    /// A store failure.
    pub async fn statement(
        &self,
        place: &Place,
        message_id: Option<&str>,
        idx: u32,
    ) -> Result<Option<StoredStatement>, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            // In a thread, only the thread's own conversation: threads share
            // their parent's channel id.
            sqlx::query_as::<_, StoredStatement>(
                "SELECT s.id, s.conversation_id, s.message_id, s.idx, s.sql_text, s.dialect, \
                 s.question, s.asked_by, s.lang, s.plan \
                 FROM statements s JOIN conversations c ON c.id = s.conversation_id \
                 WHERE s.platform = $1 AND s.channel = $2 AND s.idx = $3 \
                 AND ($4 IS NULL OR s.message_id = $4) AND ($5 IS NULL OR c.root = $5) \
                 ORDER BY s.id DESC LIMIT 1",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(i64::from(idx))
            .bind(message_id)
            .bind(place.thread.as_deref())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The question and plan a follow-up by `asker` in conversation
    /// `conversation` changes: those of the answer it replies to
    /// (`replied`: the answer's message, or the message that shows a
    /// result of it), else of the conversation's newest answer; `None` when
    /// that answer had no plan, was another person's question (whose plan
    /// may hold what this one may not read), or when a question of the
    /// conversation was taken back (its words are never sent to the model
    /// again).
    ///
    /// # Errors
    /// A store failure.
    pub async fn plan_to_follow(
        &self,
        conversation: i64,
        replied: Option<&str>,
        asker: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        let newest: Option<(Option<String>, Option<String>, Option<i64>)> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT s.question, s.plan, s.asked_by FROM statements s \
                 WHERE s.conversation_id = $1 \
                 AND ($2 IS NULL OR s.message_id = $2 OR s.id IN \
                     (SELECT r.statement_id FROM sql_results r WHERE r.message_id = $2)) \
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = $1 \
                     AND m.role = 'user' AND m.content = '') \
                 ORDER BY s.id DESC LIMIT 1",
            )
            .bind(conversation)
            .bind(replied)
            .fetch_optional(pool)
            .await?
        });
        Ok(newest.and_then(|(question, plan, asked_by)| {
            (asked_by == Some(asker)).then_some(())?;
            Some((question?, plan?))
        }))
    }

    /// Records a result shown for a statement (on message `message_id`, or
    /// privately), and returns its id.
    ///
    /// # Errors
    /// A store failure.
    pub async fn record_result(
        &self,
        statement_id: i64,
        place: &Place,
        message_id: Option<&str>,
        executed_by: i64,
        shape: &ResultShape,
    ) -> Result<i64, StoreError> {
        let columns =
            serde_json::to_string(&recorded_columns(&shape.columns)).expect("strings serialise");
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO sql_results (statement_id, platform, channel, thread, message_id, executed_by, columns, \
                 row_count, truncated, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(statement_id)
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(place.thread.as_deref())
            .bind(message_id)
            .bind(executed_by)
            .bind(columns)
            .bind(i64::try_from(shape.rows).unwrap_or(i64::MAX))
            .bind(shape.truncated)
            .bind(Utc::now())
            .fetch_one(pool)
            .await?
        }))
    }

    /// The result shown on message `message_id` in a place.
    ///
    /// # Errors
    /// A store failure.
    pub async fn result_on(
        &self,
        place: &Place,
        message_id: &str,
    ) -> Result<Option<StoredResult>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RESULT_COLUMNS} FROM sql_results r JOIN statements s ON s.id = r.statement_id \
             WHERE r.platform = $1 AND r.channel = $2 AND r.message_id = $3 ORDER BY r.id DESC LIMIT 1"
        ));
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, StoredResult>(sql)
                .bind(place.platform.as_str())
                .bind(&place.channel)
                .bind(message_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The latest result that `user` ran or asked for, that they saw here:
    /// what a typed `good`/`bad` judges. Here is this channel and this
    /// thread exactly (a result shown to one person counts only for them),
    /// or, in a DM, the results sent to them alone from anywhere on the
    /// platform.
    ///
    /// # Errors
    /// A store failure.
    pub async fn latest_result_of(
        &self,
        place: &Place,
        user: i64,
    ) -> Result<Option<StoredResult>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {RESULT_COLUMNS} FROM sql_results r JOIN statements s ON s.id = r.statement_id \
             WHERE r.platform = $1 AND (r.executed_by = $3 OR s.asked_by = $3) \
             AND ((r.channel = $2 AND r.thread IS NOT DISTINCT FROM $4 \
                   AND (r.message_id IS NOT NULL OR r.executed_by = $3)) \
                  OR ($5 AND r.message_id IS NULL AND r.executed_by = $3)) \
             ORDER BY r.id DESC LIMIT 1"
        ));
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, StoredResult>(sql)
                .bind(place.platform.as_str())
                .bind(&place.channel)
                .bind(user)
                .bind(place.thread.as_deref())
                .bind(place.private)
                .fetch_optional(pool)
                .await?
        }))
    }
}

/// The most characters of one column's name a result's record keeps: a
/// name the database reads is short (PostgreSQL cuts one at 63 bytes), but
/// SQLite keeps whatever the statement writes (`AS "nnn…"`, 15,000
/// characters), and what one click adds to the own database stays under
/// 64 KiB (see `sql::validate::MAX_STATEMENT_BYTES`).
const RECORDED_NAME_CHARS: usize = 64;
/// The most column names a result's record keeps, for the same reason.
const RECORDED_COLUMNS: usize = 128;

/// The column names a result's record keeps: each cut to
/// [`RECORDED_NAME_CHARS`] (with `…`), and past [`RECORDED_COLUMNS`] one last
/// name that says how many more there were.
fn recorded_columns(columns: &[String]) -> Vec<String> {
    let cut = |name: &String| match name.char_indices().nth(RECORDED_NAME_CHARS) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.clone(),
    };
    if columns.len() <= RECORDED_COLUMNS {
        return columns.iter().map(cut).collect();
    }
    let kept = RECORDED_COLUMNS - 1;
    let mut recorded: Vec<String> = columns[..kept].iter().map(cut).collect();
    recorded.push(format!("… {} more", columns.len() - kept));
    recorded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_record_keeps_short_names_whole_and_cuts_long_ones() {
        let short = vec!["id".to_owned(), "société".to_owned()];
        assert_eq!(recorded_columns(&short), short);
        let long = vec!["n".repeat(15_700); 200];
        let recorded = recorded_columns(&long);
        assert_eq!(recorded.len(), RECORDED_COLUMNS);
        assert_eq!(recorded[0], format!("{}…", "n".repeat(RECORDED_NAME_CHARS)));
        assert_eq!(recorded.last().unwrap(), "… 73 more");
        let json = serde_json::to_string(&recorded).unwrap();
        assert!(json.len() < 16 * 1024, "{}", json.len());
    }
}

/// A reading of a question the bot asked back about, as kept: what a pick
/// of its number gives.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredReading {
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: String,
    pub number: i32,
    pub question: String,
    pub asked_by: i64,
    pub words: String,
    /// The plan as JSON; empty for a query of the model's own (the free
    /// path asked back).
    pub plan: String,
    pub sql_text: String,
}

impl StoredReading {
    /// The plan it reads, `None` for a query of the model's own.
    pub fn plan(&self) -> Option<&str> {
        Some(self.plan.as_str()).filter(|p| !p.is_empty())
    }
}

/// A reading as it is shown: in words, its plan (JSON) and statement; a
/// query of the model's own has neither words nor plan (both empty).
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub words: &'a str,
    pub plan: &'a str,
    pub sql: &'a str,
}

impl Conversations {
    /// Keeps the readings shown on the bot's message `message_id`,
    /// numbered from 1 in their order, for the question `asked`; their ids.
    ///
    /// # Errors
    /// A store failure; nothing is kept then.
    pub async fn record_readings(
        &self,
        conversation_id: i64,
        place: &Place,
        message_id: &str,
        asked: Asked<'_>,
        readings: &[Shown<'_>],
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(readings.len());
        on_pool!(&self.store, pool => {
            let mut tx = pool.begin().await?;
            for (number, reading) in (1i64..).zip(readings) {
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO readings (conversation_id, platform, channel, message_id, number, \
                     question, asked_by, words, plan, sql_text, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(conversation_id)
                .bind(place.platform.as_str())
                .bind(&place.channel)
                .bind(message_id)
                .bind(number)
                .bind(asked.question)
                .bind(asked.by)
                .bind(reading.words)
                .bind(reading.plan)
                .bind(reading.sql)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                ids.push(id);
            }
            tx.commit().await?;
        });
        Ok(ids)
    }

    /// Reading `number` shown on a message in a place, or, without a
    /// message, of `asker`'s latest question asked back there (in a
    /// thread, the thread's own). None once a question of its conversation
    /// was taken back: what it held is no longer kept to be picked.
    ///
    /// # Errors
    /// A store failure.
    pub async fn reading(
        &self,
        place: &Place,
        message_id: Option<&str>,
        asker: i64,
        number: u32,
    ) -> Result<Option<StoredReading>, StoreError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, StoredReading>(
                "SELECT r.id, r.conversation_id, r.message_id, r.number, r.question, r.asked_by, \
                 r.words, r.plan, r.sql_text \
                 FROM readings r JOIN conversations c ON c.id = r.conversation_id \
                 WHERE r.platform = $1 AND r.channel = $2 AND r.number = $3 \
                 AND (r.message_id = $4 OR ($4 IS NULL AND r.asked_by = $6)) \
                 AND ($5 IS NULL OR c.root = $5) \
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = r.conversation_id \
                     AND m.role = 'user' AND m.content = '') \
                 ORDER BY r.id DESC LIMIT 1",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(i64::from(number))
            .bind(message_id)
            .bind(place.thread.as_deref())
            .bind(asker)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Whether the bot's message `message_id` in a place asked back, with
    /// how many readings.
    ///
    /// # Errors
    /// A store failure.
    pub async fn readings_on(&self, place: &Place, message_id: &str) -> Result<u32, StoreError> {
        let count: i64 = on_pool!(&self.store, pool => {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM readings WHERE platform = $1 AND channel = $2 AND message_id = $3",
            )
            .bind(place.platform.as_str())
            .bind(&place.channel)
            .bind(message_id)
            .fetch_one(pool)
            .await?
        });
        Ok(u32::try_from(count).unwrap_or(0))
    }

    /// Claims reading `id` as picked: false when it was already (a second
    /// click, an event delivered again), so that it is answered once.
    ///
    /// # Errors
    /// A store failure.
    pub async fn claim_pick(&self, id: i64) -> Result<bool, StoreError> {
        let claimed = on_pool!(&self.store, pool => {
            sqlx::query("UPDATE readings SET picked_at = $1 WHERE id = $2 AND picked_at IS NULL")
                .bind(Utc::now())
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(claimed == 1)
    }

    /// Gives back a claim that could not be carried out (its audit failed).
    ///
    /// # Errors
    /// A store failure.
    pub async fn release_pick(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(&self.store, pool => {
            sqlx::query("UPDATE readings SET picked_at = NULL WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
