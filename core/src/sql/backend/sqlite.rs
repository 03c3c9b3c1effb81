//! The SQLite Execute target: the file opened read-only, the statement
//! interrupted at its deadline, temp space and result size watched.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::{Row as _, SqlSafeStr as _, TypeInfo as _, ValueRef as _};

use super::*;
use crate::sql::Dialect;
use crate::sql::validate::Validated;

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
        use sqlx::ConnectOptions as _;
        // SAFETY: sets a process-wide bound; callable at any time.
        unsafe { libsqlite3_sys::sqlite3_soft_heap_limit64(SQLITE_SOFT_HEAP_BYTES) };
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .row_buffer_size(SQLITE_ROWS_IN_FLIGHT)
            // A slow query would be logged whole, every time: the audit
            // records each run with its duration instead.
            .disable_statement_logging();
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    let handle = conn.lock_handle().await?.as_raw_handle();
                    // SAFETY: the handle is the open connection this callback
                    // is given; sqlite3_limit only records a bound on it.
                    unsafe { limit_sqlite(handle.as_ptr()) };
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| ExecError::Unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self { pool })
    }
}

/// Bounds what one statement may build on a SQLite target connection,
/// whatever the validator let through: no value past
/// [`SQLITE_MAX_VALUE_BYTES`], no statement longer than the validator's own
/// bound, no attached database, few compound terms and arguments.
///
/// # Safety
/// `db` must be an open connection.
unsafe fn limit_sqlite(db: *mut libsqlite3_sys::sqlite3) {
    use libsqlite3_sys as ffi;
    let sql_length =
        i32::try_from(crate::sql::validate::MAX_STATEMENT_BYTES + 1024).unwrap_or(i32::MAX);
    for (limit, value) in [
        (ffi::SQLITE_LIMIT_LENGTH, SQLITE_MAX_VALUE_BYTES),
        (ffi::SQLITE_LIMIT_COLUMN, SQLITE_MAX_COLUMNS),
        (ffi::SQLITE_LIMIT_SQL_LENGTH, sql_length),
        (ffi::SQLITE_LIMIT_ATTACHED, 0),
        (ffi::SQLITE_LIMIT_COMPOUND_SELECT, 64),
        (ffi::SQLITE_LIMIT_FUNCTION_ARG, 100),
        (ffi::SQLITE_LIMIT_EXPR_DEPTH, 1000),
        (ffi::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50_000),
        (ffi::SQLITE_LIMIT_WORKER_THREADS, 0),
    ] {
        // SAFETY: as the function's contract says.
        unsafe { ffi::sqlite3_limit(db, limit, value) };
    }
    // A double-quoted word is a name, never a string: by default SQLite
    // reads `"abc"` as the text abc when no column has that name, which the
    // checker (and its bounds on what a search looks for) would read as a
    // column.
    for option in [ffi::SQLITE_DBCONFIG_DQS_DML, ffi::SQLITE_DBCONFIG_DQS_DDL] {
        // SAFETY: as the function's contract says; these options take an
        // int and a nullable int pointer.
        unsafe { ffi::sqlite3_db_config(db, option, 0, std::ptr::null_mut::<i32>()) };
    }
}

/// Bytes of temporary files SQLite holds open in this process. SQLite
/// creates them as `etilqs_*` and unlinks them at once, so they are found
/// among the process's open descriptors, as deleted files.
fn sqlite_temp_bytes() -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    fds.filter_map(Result::ok)
        .filter(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|target| {
                target
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("etilqs_"))
            })
        })
        // Blocks actually written, not the apparent size of a sparse file.
        .filter_map(|fd| std::fs::metadata(fd.path()).ok())
        .map(|m| m.blocks() * 512)
        .sum()
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
        _ => truncate_str(row.try_get::<&str, _>(i)?),
    }))
}

#[async_trait::async_trait]
impl Executor for SqliteExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn catalog(&self, _schemas: &[String]) -> Result<crate::sql::schema::Catalog, ExecError> {
        use crate::sql::schema::{Catalog, CatalogColumn, CatalogTable, ForeignKey};
        let names: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        let mut tables = Vec::new();
        for (name, ddl) in names {
            let (table_comment, column_comments) = ddl_comments(ddl.as_deref().unwrap_or_default());
            let quoted = name.replace('"', "\"\"");
            let columns: Vec<(i64, String, String, i64, Option<String>, i64)> = sqlx::query_as(
                sqlx::AssertSqlSafe(format!("PRAGMA table_info(\"{quoted}\")")),
            )
            .fetch_all(&self.pool)
            .await
            .map_err(database)?;
            let fks: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(
                sqlx::AssertSqlSafe(format!(
                    "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{}')",
                    name.replace('\'', "''")
                )),
            )
            .fetch_all(&self.pool)
            .await
            .map_err(database)?;
            tables.push(CatalogTable {
                schema: None,
                primary_key: columns
                    .iter()
                    .filter(|c| c.5 > 0)
                    .map(|c| c.1.clone())
                    .collect(),
                foreign_keys: fks
                    .into_iter()
                    .map(|(_, _, table, from, to)| ForeignKey {
                        columns: vec![from],
                        table,
                        ref_columns: vec![to.unwrap_or_else(|| "rowid".to_owned())],
                    })
                    .collect(),
                columns: columns
                    .into_iter()
                    .map(|(_, name, type_name, notnull, _, _)| CatalogColumn {
                        comment: column_comments
                            .iter()
                            .find(|(c, _)| *c == name.to_lowercase())
                            .map(|(_, text)| text.clone()),
                        name,
                        type_name: if type_name.is_empty() {
                            "ANY".to_owned()
                        } else {
                            type_name
                        },
                        nullable: notnull == 0,
                    })
                    .collect(),
                name,
                comment: table_comment,
            });
        }
        Ok(Catalog {
            tables,
            values: Vec::new(),
        })
    }

    /// Each text column that is neither a key nor a reference: its distinct
    /// values, one more than kept at most (SQLite stops the scan there).
    async fn values(
        &self,
        catalog: &crate::sql::schema::Catalog,
    ) -> Result<Vec<crate::sql::schema::ColumnValues>, ExecError> {
        use crate::sql::schema::{ColumnValues, MAX_VALUES_READ};
        let mut found = Vec::new();
        for table in &catalog.tables {
            let text = |kind: String| {
                kind.is_empty() || ["CHAR", "TEXT", "CLOB"].iter().any(|k| kind.contains(k))
            };
            let columns: Vec<_> = table
                .columns
                .iter()
                .filter(|c| text(c.type_name.to_ascii_uppercase()) && !table.is_key(&c.name))
                .collect();
            if columns.is_empty() {
                continue;
            }
            let quoted = table.name.replace('"', "\"\"");
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM \"{quoted}\""
            )))
            .persistent(false)
            .fetch_one(&self.pool)
            .await
            .map_err(database)?;
            for column in columns {
                let sql = format!(
                    "SELECT DISTINCT CAST(\"{c}\" AS TEXT) FROM \"{t}\" WHERE \"{c}\" IS NOT NULL LIMIT {n}",
                    c = column.name.replace('"', "\"\""),
                    t = quoted,
                    n = MAX_VALUES_READ + 1,
                );
                let values: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .persistent(false)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(database)?;
                found.extend(ColumnValues::kept(
                    table.qualified(),
                    column.name.clone(),
                    values,
                    rows as f64,
                ));
            }
        }
        Ok(found)
    }

    async fn privileges(&self, _schemas: &[String]) -> Result<Vec<String>, ExecError> {
        // Opened read-only: SQLite itself refuses every write.
        Ok(Vec::new())
    }

    async fn explain(&self, query: &Validated, _timeout: Duration) -> Result<Plan, ExecError> {
        // SQLite plans without reading the data: in no time.
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
        // connection at the deadline (SQLITE_INTERRUPT ends the statement),
        // or as soon as its temporary files pass the bound (checked ten
        // times a second: a sort spills a few hundred MB/s at most).
        let handle = RawHandle(conn.lock_handle().await.map_err(database)?.as_raw_handle());
        let over_temp = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watchdog = tokio::spawn({
            let over_temp = std::sync::Arc::clone(&over_temp);
            async move {
                let deadline = tokio::time::Instant::now() + limits.timeout;
                let mut ticks = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => break,
                        _ = ticks.tick() => {
                            if sqlite_temp_bytes() > limits.max_temp_bytes {
                                over_temp.store(true, std::sync::atomic::Ordering::SeqCst);
                                break;
                            }
                        }
                    }
                }
                let handle = handle;
                // SAFETY: sqlite3_interrupt may be called from any thread while
                // the connection is open; the watchdog is stopped (and awaited)
                // below before the connection goes back to the pool.
                unsafe { libsqlite3_sys::sqlite3_interrupt(handle.0.as_ptr().cast()) };
            }
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
            let columns = columns_of(prepared.columns());
            sink.columns(&columns)?;
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(query.text.clone()))
                .persistent(false)
                .fetch(&mut *conn);
            let mut cap = ResultCap::new(limits);
            while let Some(row) = rows.try_next().await.map_err(database)? {
                if !cap.room_for_a_row() {
                    break;
                }
                let cells = (0..row.len())
                    .map(|i| sqlite_cell(&row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(database)?;
                if !cap.admit(&cells) {
                    break;
                }
                sink.row(&cells)?;
            }
            Ok::<_, ExecError>(cap.outcome(columns, started.elapsed()))
        }
        .await;
        watchdog.abort();
        let _ = watchdog.await;
        match result {
            Err(ExecError::Database(message)) if message.contains("interrupted") => {
                if over_temp.load(std::sync::atomic::Ordering::SeqCst) {
                    Err(ExecError::TempSpace(limits.max_temp_bytes))
                } else {
                    Err(ExecError::Timeout(limits.timeout))
                }
            }
            other => other,
        }
    }
}

/// Comments written in a `CREATE TABLE` statement, which SQLite keeps as
/// written: `-- text` ending the line that opens the table is the table's,
/// and ending a column's line is that column's. SQLite has no COMMENT ON;
/// this is where a schema's authors can explain it to the model.
fn ddl_comments(sql: &str) -> (Option<String>, Vec<(String, String)>) {
    let mut table = None;
    let mut columns = Vec::new();
    for (i, line) in sql.lines().enumerate() {
        let Some(comment) = line_comment(line) else {
            continue;
        };
        if i == 0 {
            table = Some(comment);
            continue;
        }
        let name: String = line
            .trim_start()
            .trim_start_matches(['"', '`', '['])
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            columns.push((name.to_lowercase(), comment));
        }
    }
    (table, columns)
}

/// The text of a `--` comment ending `line`, outside quotes.
fn line_comment(line: &str) -> Option<String> {
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '-') if chars.peek().is_some_and(|(_, n)| *n == '-') => {
                let text = line[at + 2..].trim();
                return (!text.is_empty()).then(|| text.to_owned());
            }
            (None, _) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_written_in_the_create_statement_explain_the_table_and_its_columns() {
        let sql = "CREATE TABLE payments ( -- Payments due under contracts.\n    \
                   id INTEGER PRIMARY KEY, -- Identifier.\n    \
                   \"Status\" TEXT NOT NULL DEFAULT '--x', -- 'payé' or 'impayé'.\n    \
                   note TEXT,\n    \
                   amount REAL -- In euros.\n)";
        let (table, columns) = ddl_comments(sql);
        assert_eq!(table.as_deref(), Some("Payments due under contracts."));
        assert_eq!(
            columns,
            [
                ("id".to_owned(), "Identifier.".to_owned()),
                ("status".to_owned(), "'payé' or 'impayé'.".to_owned()),
                ("amount".to_owned(), "In euros.".to_owned()),
            ]
        );
        assert_eq!(
            ddl_comments("CREATE TABLE t (a INTEGER)"),
            (None, Vec::new())
        );
    }
}
