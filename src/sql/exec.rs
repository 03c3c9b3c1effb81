//! Running a validated query on an Execute target, read-only, within a time
//! limit and a row cap, rows streamed into a [`RowSink`] (CSV, XLSX, preview)
//! so that memory stays flat whatever the row count.
//!
//! Three backends behind [`Executor`]: Oracle ([`super::oracle`], the blocking
//! driver kept off the async runtime), PostgreSQL (a `READ ONLY` transaction
//! with a local `statement_timeout`, rolled back) and SQLite (a read-only
//! connection, interrupted by a progress handler at the deadline). Every value
//! is rendered as text, faithfully: numbers exactly, dates in ISO form, bytes
//! in hex (truncated), NULL as NULL (not the string "NULL").

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::{Column as _, Row as _, SqlSafeStr as _, TypeInfo as _, ValueRef as _};

use super::Dialect;
use super::validate::Validated;

/// How long and how much a query may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub row_cap: u64,
    pub timeout: Duration,
}

/// Bytes shown of a BLOB/RAW (as hex) or characters of a CLOB before the
/// value is cut with a mark.
pub const MAX_CELL_CHARS: usize = 4000;

/// A result column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The database's name for its type (NUMBER, TIMESTAMPTZ, TEXT, …).
    pub type_name: String,
}

/// A value, as text; `None` is SQL NULL.
pub type Cell = Option<String>;

/// Where rows go as they arrive.
pub trait RowSink: Send {
    /// Called once, before any row.
    ///
    /// # Errors
    /// When the sink cannot write (disk full…); the query stops.
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError>;

    /// # Errors
    /// As [`RowSink::columns`].
    fn row(&mut self, row: Vec<Cell>) -> Result<(), ExecError>;
}

/// What a finished query produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub columns: Vec<Column>,
    /// Rows delivered to the sink (at most the cap).
    pub rows: u64,
    /// More rows existed past the cap.
    pub truncated: bool,
    pub duration: Duration,
}

/// The database's estimate for a query, from EXPLAIN.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub rows: Option<f64>,
    pub cost: Option<f64>,
}

/// Why a query did not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The target cannot be reached (or, for Oracle, its client library is
    /// missing): nothing ran.
    #[error("the database is not reachable: {0}")]
    Unavailable(String),
    /// The database refused or failed the statement; its own message.
    #[error("the database said: {0}")]
    Database(String),
    #[error("the query ran longer than {0:?} and was stopped")]
    Timeout(Duration),
    #[error("the result could not be written: {0}")]
    Sink(String),
}

/// An Execute target.
#[async_trait::async_trait]
pub trait Executor: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Compiles the query against the real schema without running it.
    ///
    /// # Errors
    /// [`ExecError::Database`] with the database's message when it does not
    /// compile (unknown table or column, wrong types).
    async fn explain(&self, query: &Validated) -> Result<Plan, ExecError>;

    /// Runs the query read-only, streaming rows into `sink`.
    ///
    /// # Errors
    /// [`ExecError`] saying what stopped it; the sink may hold some rows.
    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError>;
}

/// Cuts a value shown in full nowhere useful, with a visible mark.
pub fn truncate_cell(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_CELL_CHARS) {
        text.truncate(cut);
        text.push_str("…[truncated]");
    }
    text
}

/// Hex of at most [`MAX_CELL_CHARS`]/2 bytes, with a mark when cut.
pub fn hex_cell(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(MAX_CELL_CHARS / 2)];
    let mut text = hex::encode_upper(shown);
    if shown.len() < bytes.len() {
        text.push_str(&format!("…[{} bytes]", bytes.len()));
    }
    text
}

fn database(e: sqlx::Error) -> ExecError {
    match e {
        sqlx::Error::Database(db) => ExecError::Database(db.message().to_owned()),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => ExecError::Unavailable(e.to_string()),
        other => ExecError::Database(other.to_string()),
    }
}

/// A raw SQLite connection handle, moved to the watchdog task.
struct RawHandle(std::ptr::NonNull<libsqlite3_sys::sqlite3>);

// SAFETY: the handle is only used for sqlite3_interrupt, which SQLite
// documents as safe to call from another thread.
unsafe impl Send for RawHandle {}

/// A SQLite file opened read-only.
pub struct SqliteExecutor {
    pool: sqlx::SqlitePool,
}

impl SqliteExecutor {
    /// # Errors
    /// [`ExecError::Unavailable`] when the file cannot be opened.
    pub async fn open(path: &std::path::Path) -> Result<Self, ExecError> {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| ExecError::Unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self { pool })
    }
}

fn sqlite_cell(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Cell, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(None);
    }
    let kind = raw.type_info().name().to_owned();
    Ok(Some(match kind.as_str() {
        "INTEGER" => row.try_get::<i64, _>(i)?.to_string(),
        "REAL" => row.try_get::<f64, _>(i)?.to_string(),
        "BLOB" => hex_cell(&row.try_get::<Vec<u8>, _>(i)?),
        _ => truncate_cell(row.try_get::<String, _>(i)?),
    }))
}

#[async_trait::async_trait]
impl Executor for SqliteExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn explain(&self, query: &Validated) -> Result<Plan, ExecError> {
        let sql = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", query.text));
        sqlx::query(sql)
            .persistent(false)
            .fetch_all(&self.pool)
            .await
            .map_err(database)?;
        Ok(Plan {
            rows: None,
            cost: None,
        })
    }

    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        use sqlx::Executor as _;
        let started = Instant::now();
        let mut conn = self.pool.acquire().await.map_err(database)?;
        // SQLite has no statement timeout: a watchdog interrupts the
        // connection at the deadline (SQLITE_INTERRUPT ends the statement).
        let handle = RawHandle(conn.lock_handle().await.map_err(database)?.as_raw_handle());
        let watchdog = tokio::spawn(async move {
            tokio::time::sleep(limits.timeout).await;
            let handle = handle;
            // SAFETY: sqlite3_interrupt may be called from any thread while
            // the connection is open; the watchdog is stopped (and awaited)
            // below before the connection goes back to the pool.
            unsafe { libsqlite3_sys::sqlite3_interrupt(handle.0.as_ptr().cast()) };
        });
        let result = async {
            use sqlx::Statement as _;
            // `prepare`, not `describe`: sqlx's SQLite describe crashes on a
            // computed column (it reads a NULL table name), and the prepared
            // statement has the names and declared types we need.
            let sql = sqlx::AssertSqlSafe(query.text.clone());
            let prepared = (&mut *conn)
                .prepare(sql.into_sql_str())
                .await
                .map_err(database)?;
            let columns: Vec<Column> = prepared
                .columns()
                .iter()
                .map(|c| Column {
                    name: c.name().to_owned(),
                    type_name: c.type_info().name().to_owned(),
                })
                .collect();
            sink.columns(&columns)?;
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(query.text.clone()))
                .persistent(false)
                .fetch(&mut *conn);
            let mut count = 0u64;
            let mut truncated = false;
            while let Some(row) = rows.try_next().await.map_err(database)? {
                if count == limits.row_cap {
                    truncated = true;
                    break;
                }
                let cells = (0..row.len())
                    .map(|i| sqlite_cell(&row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(database)?;
                sink.row(cells)?;
                count += 1;
            }
            Ok::<_, ExecError>(Outcome {
                columns,
                rows: count,
                truncated,
                duration: started.elapsed(),
            })
        }
        .await;
        watchdog.abort();
        let _ = watchdog.await;
        match result {
            Err(ExecError::Database(message)) if message.contains("interrupted") => {
                Err(ExecError::Timeout(limits.timeout))
            }
            other => other,
        }
    }
}

/// A PostgreSQL database.
pub struct PostgresExecutor {
    pool: sqlx::PgPool,
}

impl PostgresExecutor {
    /// # Errors
    /// [`ExecError::Unavailable`] when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, ExecError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| ExecError::Unavailable(e.to_string()))?;
        Ok(Self { pool })
    }

    async fn read_only(
        &self,
        timeout: Duration,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, ExecError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN TRANSACTION READ ONLY")
            .await
            .map_err(database)?;
        let set = sqlx::AssertSqlSafe(format!(
            "SET LOCAL statement_timeout = {}",
            timeout.as_millis().max(1)
        ));
        sqlx::query(set).execute(&mut *tx).await.map_err(database)?;
        Ok(tx)
    }
}

fn pg_cell(row: &sqlx::postgres::PgRow, i: usize) -> Result<Cell, sqlx::Error> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(None);
    }
    let kind = raw.type_info().name().to_owned();
    Ok(Some(match kind.as_str() {
        "BOOL" => row.try_get::<bool, _>(i)?.to_string(),
        "INT2" => row.try_get::<i16, _>(i)?.to_string(),
        "INT4" => row.try_get::<i32, _>(i)?.to_string(),
        "INT8" => row.try_get::<i64, _>(i)?.to_string(),
        "OID" => row
            .try_get::<sqlx::postgres::types::Oid, _>(i)?
            .0
            .to_string(),
        "FLOAT4" => row.try_get::<f32, _>(i)?.to_string(),
        "FLOAT8" => row.try_get::<f64, _>(i)?.to_string(),
        "NUMERIC" => pg_numeric(raw.as_bytes().map_err(sqlx::Error::Decode)?)
            .ok_or_else(|| sqlx::Error::Decode("a malformed NUMERIC".into()))?,
        "DATE" => row.try_get::<NaiveDate, _>(i)?.to_string(),
        "TIME" => row.try_get::<NaiveTime, _>(i)?.to_string(),
        "TIMESTAMP" => row
            .try_get::<NaiveDateTime, _>(i)?
            .format("%Y-%m-%d %H:%M:%S%.f")
            .to_string(),
        "TIMESTAMPTZ" => row
            .try_get::<DateTime<Utc>, _>(i)?
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "INTERVAL" => {
            let v = row.try_get::<sqlx::postgres::types::PgInterval, _>(i)?;
            format!("{} months {} days {} µs", v.months, v.days, v.microseconds)
        }
        "BYTEA" => hex_cell(&row.try_get::<Vec<u8>, _>(i)?),
        "JSON" | "JSONB" => truncate_cell(row.try_get::<serde_json::Value, _>(i)?.to_string()),
        "UUID" => row.try_get::<sqlx::types::Uuid, _>(i)?.to_string(),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "CITEXT" | "UNKNOWN" => {
            truncate_cell(row.try_get::<String, _>(i)?)
        }
        other => match row.try_get::<String, _>(i) {
            Ok(text) => truncate_cell(text),
            Err(_) => format!("({other} cannot be shown)"),
        },
    }))
}

#[async_trait::async_trait]
impl Executor for PostgresExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn explain(&self, query: &Validated) -> Result<Plan, ExecError> {
        let mut tx = self.read_only(Duration::from_secs(30)).await?;
        let sql = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {}", query.text));
        let plan: serde_json::Value = sqlx::query_scalar(sql)
            .persistent(false)
            .fetch_one(&mut *tx)
            .await
            .map_err(database)?;
        let _ = tx.rollback().await;
        let top = &plan[0]["Plan"];
        Ok(Plan {
            rows: top["Plan Rows"].as_f64(),
            cost: top["Total Cost"].as_f64(),
        })
    }

    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        use sqlx::Executor as _;
        let started = Instant::now();
        let mut tx = self.read_only(limits.timeout).await?;
        let described = (&mut *tx)
            .describe(sqlx::AssertSqlSafe(query.text.clone()).into_sql_str())
            .await
            .map_err(database)?;
        let columns: Vec<Column> = described
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_owned(),
                type_name: c.type_info().name().to_owned(),
            })
            .collect();
        sink.columns(&columns)?;
        let mut count = 0u64;
        let mut truncated = false;
        {
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(query.text.clone()))
                .persistent(false)
                .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.map_err(timeout_or(limits.timeout))? {
                if count == limits.row_cap {
                    truncated = true;
                    break;
                }
                let cells = (0..row.len())
                    .map(|i| pg_cell(&row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(database)?;
                sink.row(cells)?;
                count += 1;
            }
        }
        // Nothing was written (READ ONLY), and nothing is kept.
        let _ = tx.rollback().await;
        Ok(Outcome {
            columns,
            rows: count,
            truncated,
            duration: started.elapsed(),
        })
    }
}

/// PostgreSQL's binary NUMERIC as the text PostgreSQL itself prints: every
/// digit, and exactly `dscale` decimals (a BigDecimal loses the scale, so
/// `3000.0` would print as `3000`).
fn pg_numeric(bytes: &[u8]) -> Option<String> {
    let word = |i: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(2)? as i16);
    let sign = word(4)?;
    let dscale = usize::from(word(6)?);
    match sign {
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        _ => {}
    }
    let digits: Vec<u16> = (0..ndigits)
        .map(|k| word(8 + 2 * k))
        .collect::<Option<_>>()?;
    // Base-10000 digits; digit k has weight `weight - k`.
    let digit_at = |w: i32| -> u16 {
        let k = weight - w;
        if k < 0 {
            0
        } else {
            digits.get(k as usize).copied().unwrap_or(0)
        }
    };
    let mut int_part = String::new();
    for w in (0..=weight.max(0)).rev() {
        if int_part.is_empty() {
            if w <= weight && digit_at(w) != 0 || w == 0 {
                int_part = digit_at(w).to_string();
            }
        } else {
            int_part.push_str(&format!("{:04}", digit_at(w)));
        }
    }
    let mut frac = String::new();
    let mut w = -1;
    while frac.len() < dscale {
        frac.push_str(&format!("{:04}", digit_at(w)));
        w -= 1;
    }
    frac.truncate(dscale);
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    text.push_str(&int_part);
    if dscale > 0 {
        text.push('.');
        text.push_str(&frac);
    }
    Some(text)
}

fn timeout_or(limit: Duration) -> impl Fn(sqlx::Error) -> ExecError {
    move |e| match &e {
        // 57014: query_canceled, which statement_timeout raises.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            ExecError::Timeout(limit)
        }
        _ => database(e),
    }
}
