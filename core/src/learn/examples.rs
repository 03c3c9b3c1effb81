//! The confirmed examples of each Execute target, on the own database: a
//! question and the SQL that answered it right, who confirmed it and when,
//! the shape of the result it gave, and its embedding when one was made.
//!
//! Examples are never deleted by the bot: one that no longer passes (its
//! tables left the catalogue, the policy changed) is set aside with the
//! reason, and taken back when it passes again. Only an admin removes one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::store::{Store, StoreError, on_pool};

/// Where an example came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// "Correct" clicked on a result in the chat.
    Chat,
    /// `pstral examples add`.
    Cli,
    /// The admin HTTP API.
    Api,
    /// `pstral examples import`.
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Chat => "chat",
            Source::Cli => "cli",
            Source::Api => "api",
            Source::Import => "import",
        }
    }
}

/// A stored example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub id: i64,
    pub target: String,
    pub question: String,
    pub sql: String,
    pub dialect: String,
    pub language: Lang,
    pub source: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The result's column names when it was confirmed, if known.
    pub result_columns: Option<Vec<String>>,
    pub result_rows: Option<i64>,
    /// Why it is not used now; `None` when it is.
    pub set_aside: Option<String>,
    /// The plan of the target's semantic model (JSON) its SQL was compiled
    /// from, when it was: shown to the model as a worked plan.
    pub plan: Option<String>,
    #[serde(skip)]
    pub embedding_model: Option<String>,
    #[serde(skip)]
    pub embedding: Option<Vec<f32>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    target: String,
    question: String,
    sql_text: String,
    dialect: String,
    lang: String,
    source: String,
    created_by_name: Option<String>,
    created_at: DateTime<Utc>,
    result_columns: Option<String>,
    result_rows: Option<i64>,
    set_aside: Option<String>,
    plan: Option<String>,
    embedding_model: Option<String>,
    embedding: Option<Vec<u8>>,
}

const COLUMNS: &str = "id, target, question, sql_text, dialect, lang, source, created_by_name, \
     created_at, result_columns, result_rows, set_aside, plan, embedding_model, embedding";

impl From<Row> for Example {
    fn from(r: Row) -> Self {
        Example {
            id: r.id,
            target: r.target,
            question: r.question,
            sql: r.sql_text,
            dialect: r.dialect,
            language: if r.lang == "fr" { Lang::Fr } else { Lang::En },
            source: r.source,
            created_by: r.created_by_name,
            created_at: r.created_at,
            result_columns: r.result_columns.and_then(|c| serde_json::from_str(&c).ok()),
            result_rows: r.result_rows,
            set_aside: r.set_aside,
            plan: r.plan,
            embedding_model: r.embedding_model,
            embedding: r.embedding.map(|b| from_bytes(&b)),
        }
    }
}

/// An example to store; its SQL has passed the target's policy.
#[derive(Debug, Clone)]
pub struct NewExample<'a> {
    pub target: &'a str,
    pub question: &'a str,
    pub sql: &'a str,
    pub dialect: crate::sql::Dialect,
    pub language: Lang,
    pub source: Source,
    /// The local user who confirmed it, by id and name.
    pub created_by: Option<(i64, &'a str)>,
    pub result_columns: Option<&'a [String]>,
    pub result_rows: Option<i64>,
    /// The plan (JSON) its SQL was compiled from, if any.
    pub plan: Option<&'a str>,
}

/// What storing an example did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    /// The same question with the same SQL was already an example.
    Existing(i64),
}

impl Stored {
    pub fn id(self) -> i64 {
        match self {
            Stored::New(id) | Stored::Existing(id) => id,
        }
    }
}

/// Where the examples of a target stand: changes when one is added,
/// removed, set aside or given an embedding, by any process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Version {
    count: i64,
    latest: Option<DateTime<Utc>>,
}

/// The examples on the own database.
#[derive(Clone, Debug)]
pub struct Examples {
    store: Store,
}

impl Examples {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Stores an example, or finds the same one stored before.
    ///
    /// # Errors
    /// A store failure.
    pub async fn add(&self, new: NewExample<'_>) -> Result<Stored, StoreError> {
        let now = Utc::now();
        let fingerprint = fingerprint(new.question, new.sql);
        // Added by an admin's hand (the CLI, the API, a file): a removal
        // is taken back. From the chat, [`Examples::was_removed`] is asked
        // first.
        if new.source != Source::Chat {
            for removed in removal_keys(new.question, new.sql) {
                on_pool!(&self.store, pool => {
                    sqlx::query(
                        "DELETE FROM removed_examples WHERE target = $1 AND fingerprint = $2",
                    )
                    .bind(new.target)
                    .bind(&removed)
                    .execute(pool)
                    .await?;
                });
            }
        }
        let columns = new
            .result_columns
            .map(|c| serde_json::to_string(c).expect("strings serialise"));
        let inserted: Option<i64> = on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "INSERT INTO sql_examples (target, question, sql_text, dialect, lang, source, created_by, \
                 created_by_name, created_at, result_columns, result_rows, fingerprint, updated_at, plan) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $9, $13) \
                 ON CONFLICT (target, fingerprint) DO NOTHING RETURNING id",
            )
            .bind(new.target)
            .bind(new.question)
            .bind(new.sql)
            .bind(new.dialect.as_str())
            .bind(new.language.code())
            .bind(new.source.as_str())
            .bind(new.created_by.map(|(id, _)| id))
            .bind(new.created_by.map(|(_, name)| name))
            .bind(now)
            .bind(columns)
            .bind(new.result_rows)
            .bind(&fingerprint)
            .bind(new.plan)
            .fetch_optional(pool)
            .await?
        });
        if let Some(id) = inserted {
            return Ok(Stored::New(id));
        }
        let (id, aside): (i64, Option<String>) = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT id, set_aside FROM sql_examples WHERE target = $1 AND fingerprint = $2",
            )
            .bind(new.target)
            .bind(&fingerprint)
            .fetch_one(pool)
            .await?
        });
        // It passed the policy just now: if it was set aside, it is back.
        if aside.is_some() {
            self.set_aside(id, None).await?;
        }
        // The same pair confirmed again from a plan: the plan is kept
        // where there was none.
        if let Some(plan) = new.plan {
            on_pool!(&self.store, pool => {
                sqlx::query(
                    "UPDATE sql_examples SET plan = $1, updated_at = $2 WHERE id = $3 AND plan IS NULL",
                )
                .bind(plan)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
            });
        }
        Ok(Stored::Existing(id))
    }

    /// Records what storing an example did (`event`; `None` when there is
    /// nothing to record). No example without its record: when the audit
    /// cannot take the event, an example stored just now is removed again.
    ///
    /// # Errors
    /// The audit's failure; the example is then not kept.
    pub async fn record(
        &self,
        stored: Stored,
        audit: &crate::audit::Audit,
        event: Option<crate::audit::NewEvent>,
    ) -> Result<(), crate::audit::AuditError> {
        let Some(event) = event else {
            return Ok(());
        };
        if let Err(e) = audit.append(event).await {
            if let Stored::New(id) = stored
                && let Err(removed) = self.remove(id).await
            {
                tracing::error!(error = %removed, example = id, "an example without its record could not be removed");
            }
            return Err(e);
        }
        Ok(())
    }

    /// One example, by id.
    ///
    /// # Errors
    /// A store failure.
    pub async fn get(&self, id: i64) -> Result<Option<Example>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM sql_examples WHERE id = $1"));
        let row: Option<Row> = on_pool!(&self.store, pool => {
            sqlx::query_as(sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Example::from))
    }

    /// The examples of one target (or of all), oldest first.
    ///
    /// # Errors
    /// A store failure.
    pub async fn list(&self, target: Option<&str>) -> Result<Vec<Example>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sql_examples WHERE ($1 IS NULL OR target = $1) ORDER BY id"
        ));
        let rows: Vec<Row> = on_pool!(&self.store, pool => {
            sqlx::query_as(sql).bind(target).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Example::from).collect())
    }

    /// Whether an admin removed an example of the target with this question
    /// or this SQL, each read normalised ([`removal_keys`]), and nobody with
    /// the hand to restore it added it again: the same question with a
    /// capital letter or a trailing space, or the same statement spaced or
    /// cased otherwise, stays removed.
    ///
    /// # Errors
    /// A store failure.
    pub async fn was_removed(
        &self,
        target: &str,
        question: &str,
        sql: &str,
    ) -> Result<bool, StoreError> {
        for key in removal_keys(question, sql) {
            let found: Option<String> = on_pool!(&self.store, pool => {
                sqlx::query_scalar(
                    "SELECT fingerprint FROM removed_examples WHERE target = $1 AND fingerprint = $2",
                )
                .bind(target)
                .bind(&key)
                .fetch_optional(pool)
                .await?
            });
            if found.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Removes an example for good, as an admin does: its question and SQL
    /// are remembered, so that a "correct" said again in the chat does not
    /// bring it back. Whether there was one.
    ///
    /// # Errors
    /// A store failure.
    pub async fn retire(&self, id: i64) -> Result<bool, StoreError> {
        let Some(example) = self.get(id).await? else {
            return Ok(false);
        };
        for key in removal_keys(&example.question, &example.sql) {
            on_pool!(&self.store, pool => {
                sqlx::query(
                    "INSERT INTO removed_examples (target, fingerprint, removed_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (target, fingerprint) DO NOTHING",
                )
                .bind(&example.target)
                .bind(&key)
                .bind(Utc::now())
                .execute(pool)
                .await?;
            });
        }
        self.remove(id).await
    }

    /// Removes an example; whether there was one.
    ///
    /// # Errors
    /// A store failure.
    pub async fn remove(&self, id: i64) -> Result<bool, StoreError> {
        let done = on_pool!(&self.store, pool => {
            sqlx::query("DELETE FROM sql_examples WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Sets an example aside with the reason, or takes it back (`None`).
    ///
    /// # Errors
    /// A store failure.
    pub async fn set_aside(&self, id: i64, reason: Option<&str>) -> Result<(), StoreError> {
        on_pool!(&self.store, pool => {
            sqlx::query("UPDATE sql_examples SET set_aside = $1, updated_at = $2 WHERE id = $3")
                .bind(reason)
                .bind(Utc::now())
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Keeps the embedding of an example's question, made by `model`.
    ///
    /// # Errors
    /// A store failure.
    pub async fn set_embedding(
        &self,
        id: i64,
        model: &str,
        vector: &[f32],
    ) -> Result<(), StoreError> {
        on_pool!(&self.store, pool => {
            sqlx::query(
                "UPDATE sql_examples SET embedding_model = $1, embedding = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(model)
            .bind(to_bytes(vector))
            .bind(Utc::now())
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Where the examples of `target` stand, cheaply: read before each
    /// question to know whether the index must be built again.
    ///
    /// # Errors
    /// A store failure.
    pub async fn version(&self, target: &str) -> Result<Version, StoreError> {
        let (count, latest): (i64, Option<DateTime<Utc>>) = on_pool!(&self.store, pool => {
            sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM sql_examples WHERE target = $1")
                .bind(target)
                .fetch_one(pool)
                .await?
        });
        Ok(Version { count, latest })
    }
}

/// One example per question and SQL: the SHA-256 of both, hex.
fn fingerprint(question: &str, sql: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(question.as_bytes());
    hash.update([0]);
    hash.update(sql.as_bytes());
    hex::encode(hash.finalize())
}

/// What a removal remembers of an example, each alone: its question as
/// read whatever its case, accents, spacing and closing punctuation
/// (`q:`), and its statement as read whatever its spacing, comments and
/// the case of its keywords and unquoted names (`s:`); and, as stored
/// before these, the fingerprint of both as written.
fn removal_keys(question: &str, sql: &str) -> [String; 3] {
    use sha2::{Digest, Sha256};
    let hashed =
        |kind: &str, text: &str| format!("{kind}:{}", hex::encode(Sha256::digest(text.as_bytes())));
    [
        hashed("q", &normal_question(question)),
        hashed("s", &normal_statement(sql)),
        fingerprint(question, sql),
    ]
}

/// A question as a reader takes it: compatibility forms folded (full-width
/// letters, `？`), invisible characters dropped (a soft hyphen, a
/// zero-width space or joiner), folded ([`fold`]), its words single spaced,
/// without the punctuation or quotes around it (`¿…?`, `"…"`).
pub(crate) fn normal_question(question: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = question
        .nfkc()
        .filter(|c| !pstral_chat::hidden(*c) || c.is_whitespace())
        .collect();
    let folded = super::text::fold(&visible);
    let words: Vec<&str> = folded.split_whitespace().collect();
    words
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

/// A statement as the database reads it: its tokens one space apart,
/// comments and a closing `;` dropped, keywords and unquoted names in lower
/// case (quoted names and strings as written). Text the tokenizer cannot
/// read is kept with its spacing collapsed.
pub(crate) fn normal_statement(sql: &str) -> String {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = sqlparser::dialect::GenericDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, sql).tokenize() else {
        return sql.split_whitespace().collect::<Vec<_>>().join(" ");
    };
    let mut words: Vec<String> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_lowercase(),
            other => other.to_string(),
        })
        .collect();
    while words.last().is_some_and(|w| w == ";") {
        words.pop();
    }
    words.join(" ")
}

fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// An example as a file holds it, for `pstral examples import|export`:
/// JSON lines or TOML (`[[example]]`). Evaluation cases (`gold` for the
/// SQL) read as examples too, so that a team can seed from its own set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    /// The target; the configured one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub question: String,
    #[serde(alias = "gold")]
    pub sql: String,
    /// `en` or `fr`; told from the question when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Lang>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_columns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_rows: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<String>,
    /// The plan of the target's semantic model (JSON) its SQL was compiled
    /// from; checked against the target's definitions when imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

impl From<&Example> for ExampleFile {
    fn from(e: &Example) -> Self {
        ExampleFile {
            id: Some(serde_json::json!(e.id)),
            target: Some(e.target.clone()),
            question: e.question.clone(),
            sql: e.sql.clone(),
            language: Some(e.language),
            created_by: e.created_by.clone(),
            created_at: Some(e.created_at),
            result_columns: e.result_columns.clone(),
            result_rows: e.result_rows,
            set_aside: e.set_aside.clone(),
            plan: e.plan.clone(),
        }
    }
}

/// A file of examples or cases: JSON lines, or TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    JsonLines,
    Toml,
}

impl FileFormat {
    /// By the file's extension: `.toml` is TOML, anything else JSON lines.
    pub fn of(path: &std::path::Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") => FileFormat::Toml,
            _ => FileFormat::JsonLines,
        }
    }
}

/// Why a file of examples or cases could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    Toml(String),
}

/// Reads records from JSON lines (blank lines and lines starting with `#`
/// skipped) or from TOML, where they are the array of tables `key`
/// (`[[example]]`, `[[case]]`).
///
/// # Errors
/// The first record that cannot be read, with its line.
pub fn read_records<T: serde::de::DeserializeOwned>(
    text: &str,
    format: FileFormat,
    key: &str,
) -> Result<Vec<T>, FileError> {
    match format {
        FileFormat::JsonLines => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| FileError::Line {
                    line: i + 1,
                    message: e.to_string(),
                })
            })
            .collect(),
        FileFormat::Toml => {
            let mut table: toml::Table =
                toml::from_str(text).map_err(|e| FileError::Toml(e.to_string()))?;
            let Some(records) = table.remove(key) else {
                return Err(FileError::Toml(format!(
                    "no [[{key}]] in the file: each record is a [[{key}]] table"
                )));
            };
            let unknown: Vec<&String> = table.keys().collect();
            if !unknown.is_empty() {
                return Err(FileError::Toml(format!(
                    "unknown top-level key {:?}: the file holds [[{key}]] tables only",
                    unknown[0]
                )));
            }
            let toml::Value::Array(items) = records else {
                return Err(FileError::Toml(format!("{key} must be [[{key}]] tables")));
            };
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    item.try_into().map_err(|e: toml::de::Error| {
                        FileError::Toml(format!("[[{key}]] number {}: {}", i + 1, e.message()))
                    })
                })
                .collect()
        }
    }
}

/// Writes records as JSON lines, or as TOML `[[key]]` tables.
pub fn write_records<T: Serialize>(records: &[T], format: FileFormat, key: &str) -> String {
    match format {
        FileFormat::JsonLines => records
            .iter()
            .map(|r| serde_json::to_string(r).expect("records serialise") + "\n")
            .collect(),
        FileFormat::Toml => {
            let mut table = toml::Table::new();
            let items = records
                .iter()
                .map(|r| toml::Value::try_from(r).expect("records serialise to TOML"))
                .collect();
            table.insert(key.to_owned(), toml::Value::Array(items));
            toml::to_string(&table).expect("a table serialises")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ExampleFile {
        ExampleFile {
            id: None,
            target: Some("demo".into()),
            question: "Quels clients n'ont pas de contrat ?".into(),
            sql: "SELECT name FROM clients WHERE status = 'prospect'".into(),
            language: Some(Lang::Fr),
            created_by: Some("ana".into()),
            created_at: None,
            result_columns: Some(vec!["name".into()]),
            result_rows: Some(76),
            set_aside: None,
            plan: Some(r#"{"kind":"list","entity":"clients","without":["contracts"]}"#.into()),
        }
    }

    #[test]
    fn a_removed_question_or_statement_is_known_however_it_is_written_again() {
        let keys = removal_keys(
            "Quels clients à Lyon ?",
            "SELECT name FROM clients WHERE city = 'Lyon'",
        );
        let again = removal_keys(
            "quels  clients a lyon ? ",
            "select NAME\n  from Clients -- again\n where CITY = 'Lyon';",
        );
        assert_eq!(
            keys[0], again[0],
            "the question, cased and spaced otherwise"
        );
        assert_eq!(
            keys[1], again[1],
            "the statement, cased, spaced and commented otherwise"
        );
        // A string is data: another value is another statement.
        let other = removal_keys("x", "SELECT name FROM clients WHERE city = 'lyon'");
        assert_ne!(keys[1], other[1]);
        // A quoted name keeps its case.
        assert_ne!(
            normal_statement(r#"SELECT "Name" FROM t"#),
            normal_statement(r#"SELECT "name" FROM t"#)
        );
    }

    #[test]
    fn examples_go_through_both_file_formats_unchanged() {
        let records = vec![
            sample(),
            ExampleFile {
                language: None,
                plan: None,
                ..sample()
            },
        ];
        for format in [FileFormat::JsonLines, FileFormat::Toml] {
            let text = write_records(&records, format, "example");
            let back: Vec<ExampleFile> = read_records(&text, format, "example").unwrap();
            assert_eq!(back, records, "{format:?}:\n{text}");
        }
    }

    #[test]
    fn a_bad_record_is_named_by_its_place() {
        let text = "{\"question\": \"a\", \"sql\": \"SELECT 1\"}\n\n{\"question\": \"b\"}\n";
        let err = read_records::<ExampleFile>(text, FileFormat::JsonLines, "example").unwrap_err();
        assert!(
            err.to_string().starts_with("line 3: missing field `sql`"),
            "{err}"
        );
        let err = read_records::<ExampleFile>(
            "[[example]]\nquestion = \"a\"\nsqll = \"SELECT 1\"\n",
            FileFormat::Toml,
            "example",
        )
        .unwrap_err();
        assert!(err.to_string().contains("[[example]] number 1"), "{err}");
        assert!(err.to_string().contains("sqll"), "{err}");
    }

    #[test]
    fn vectors_are_kept_bit_for_bit() {
        let v = vec![0.25f32, -1.5, f32::MIN_POSITIVE, 3.0e7];
        assert_eq!(from_bytes(&to_bytes(&v)), v);
    }
}
