//! The Oracle Execute target, on the `oracle` crate (ODPI-C).
//!
//! The driver is blocking, so every call runs on tokio's blocking pool and
//! rows cross back to the async side in batches through a bounded channel;
//! the sink never waits on Oracle while holding a runtime thread. Each query
//! runs in `SET TRANSACTION READ ONLY` with a call timeout on every round
//! trip, is fetched in batches, capped, and rolled back. The Oracle client
//! library (libclntsh) is loaded at run time: when it is missing, connecting
//! says so plainly and the rest of the bot works.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oracle::sql_type::OracleType;

use super::{
    Cell, Column, ExecError, Executor, Limits, MAX_CELL_CHARS, Outcome, Plan, ResultCap, RowSink,
    hex_cell, truncate_cell,
};
use crate::sql::Dialect;
use crate::sql::validate::Validated;

/// Rows fetched per round trip, and sent to the async side per batch.
const BATCH: usize = 500;

/// An Oracle database reached through a connection pool.
pub struct OracleExecutor {
    pool: Arc<oracle::pool::Pool>,
}

/// Whether the Oracle client library can be loaded, and its version.
///
/// # Errors
/// A sentence saying that it is missing, and how to install it.
pub fn client_library() -> Result<String, String> {
    oracle::Version::client()
        .map(|v| v.to_string())
        .map_err(|e| missing_client(&e))
}

fn missing_client(e: &oracle::Error) -> String {
    format!(
        "the Oracle client library (libclntsh, Oracle Instant Client) cannot be loaded ({e}); \
         install Instant Client and put its directory in LD_LIBRARY_PATH"
    )
}

fn classify(e: oracle::Error) -> ExecError {
    // DPI-1047: the client library is missing; ORA-12541 & co: no listener.
    if e.dpi_code() == Some(1047) {
        return ExecError::Unavailable(missing_client(&e));
    }
    match e.db_error() {
        Some(db)
            if matches!(
                db.code(),
                12154 | 12514 | 12541 | 12543 | 12170 | 3113 | 3114 | 3135
            ) =>
        {
            ExecError::Unavailable(db.message().to_owned())
        }
        Some(db) if db.code() == 3136 || e.dpi_code() == Some(1067) => {
            ExecError::Unavailable(db.message().to_owned())
        }
        Some(db) => ExecError::database(&format!("ORA-{:05}: {}", db.code(), db.message())),
        None => ExecError::database(&e.to_string()),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ExecError> + Send + 'static,
) -> Result<T, ExecError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ExecError::Database(format!("the Oracle worker failed: {e}")))?
}

impl OracleExecutor {
    /// `query`'s plan written into PLAN_TABLE under a statement id, then
    /// read by `read` on the same connection (given the id), then rolled
    /// back: EXPLAIN PLAN writes, so it is done outside any read-only
    /// transaction, and nothing of it is kept.
    async fn with_plan<T: Send + 'static>(
        &self,
        query: &Validated,
        timeout: Duration,
        read: impl FnOnce(&oracle::Connection, &str) -> Result<T, ExecError> + Send + 'static,
    ) -> Result<T, ExecError> {
        let pool = Arc::clone(&self.pool);
        let sql = query.text.clone();
        blocking(move || {
            let conn = pool.get().map_err(classify)?;
            conn.set_call_timeout(Some(timeout)).map_err(classify)?;
            let id = format!("pstral{}", std::process::id());
            let result = conn
                .execute(
                    &format!("EXPLAIN PLAN SET STATEMENT_ID = '{id}' FOR {sql}"),
                    &[],
                )
                .map_err(classify)
                .and_then(|_| read(&conn, &id));
            let _ = conn.rollback();
            result
        })
        .await
    }

    /// Opens a pool on `connect` (host:port/service).
    ///
    /// # Errors
    /// [`ExecError::Unavailable`] when the client library is missing or the
    /// database cannot be reached.
    pub async fn connect(
        user: String,
        password: String,
        connect: String,
    ) -> Result<Self, ExecError> {
        let pool = blocking(move || {
            oracle::pool::PoolBuilder::new(user, password, connect)
                .max_connections(4)
                .build()
                .map_err(classify)
        })
        .await?;
        Ok(Self {
            pool: Arc::new(pool),
        })
    }
}

/// Bytes asked of the server per read of a LOB: a cell's worth of
/// characters and more, so that most cells take one round trip.
const LOB_READ_BYTES: usize = 16 * 1024;

/// The start of a character LOB, at most [`MAX_CELL_CHARS`] characters,
/// read in pieces through its locator: a 1 GB CLOB (`RPAD(TO_CLOB('x'),
/// 1e9, 'x')`) is never fetched whole, and nothing past the cut is kept.
fn lob_text<L: std::io::Read + oracle::sql_type::Lob>(mut lob: L) -> Result<String, oracle::Error> {
    let failed =
        |e: std::io::Error| oracle::Error::with_source(oracle::ErrorKind::InternalError, e);
    let mut text = String::new();
    let mut chars = 0;
    let mut piece = vec![0u8; LOB_READ_BYTES];
    while chars <= MAX_CELL_CHARS {
        let read = lob.read(&mut piece).map_err(failed)?;
        if read == 0 {
            return Ok(text);
        }
        // The driver hands over whole characters in UTF-8.
        let part = std::str::from_utf8(&piece[..read])
            .map_err(|e| oracle::Error::with_source(oracle::ErrorKind::InternalError, e))?;
        chars += part.chars().count();
        text.push_str(part);
    }
    // More than a cell holds: cut, and the rest never read.
    Ok(truncate_cell(text))
}

/// The start of a binary LOB as hex, read in one bounded piece through its
/// locator, with its whole size when cut.
fn lob_hex(mut lob: oracle::sql_type::Blob) -> Result<String, oracle::Error> {
    use oracle::sql_type::Lob as _;
    use std::io::Read as _;
    let failed =
        |e: std::io::Error| oracle::Error::with_source(oracle::ErrorKind::InternalError, e);
    let shown = MAX_CELL_CHARS / 2;
    let mut bytes = vec![0u8; shown];
    let mut filled = 0;
    while filled < shown {
        let read = lob.read(&mut bytes[filled..]).map_err(failed)?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    bytes.truncate(filled);
    let size = usize::try_from(lob.size()?).unwrap_or(usize::MAX);
    let mut text = hex_cell(&bytes);
    if size > filled {
        text.push_str(&format!("…[{size} bytes]"));
    }
    Ok(text)
}

fn render(value: &oracle::SqlValue<'_>) -> Result<Cell, oracle::Error> {
    use oracle::sql_type::{Blob, Clob, Nclob};
    if value.is_null()? {
        return Ok(None);
    }
    Ok(Some(match value.oracle_type()? {
        // LOBs come as locators (see `lob_locator` where the statement is
        // built) and are read no further than a cell shows.
        OracleType::BLOB => lob_hex(value.get::<Blob>()?)?,
        OracleType::CLOB => lob_text(value.get::<Clob>()?)?,
        OracleType::NCLOB => lob_text(value.get::<Nclob>()?)?,
        OracleType::Raw(_) | OracleType::LongRaw => hex_cell(&value.get::<Vec<u8>>()?),
        OracleType::Long => truncate_cell(value.get::<String>()?),
        // NUMBER prints as its exact decimal text; dates and timestamps as
        // YYYY-MM-DD HH:MM:SS[.f][ ±hh:mm]; intervals in Oracle's form.
        _ => value.to_string(),
    }))
}

/// The columns and keys of `owner`'s tables, into `catalog` under
/// `schema`.
fn owner_tables(
    conn: &oracle::Connection,
    owner: &str,
    schema: &Option<String>,
    catalog: &mut crate::sql::schema::CatalogBuilder,
) -> Result<(), ExecError> {
    use crate::sql::schema::{CatalogColumn, Key};
    let rows = conn
        .query_as::<(
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        )>(
            "SELECT c.table_name, c.column_name, c.data_type, c.nullable, cc.comments, tc.comments \
             FROM all_tab_columns c \
             LEFT JOIN all_col_comments cc ON cc.owner = c.owner AND cc.table_name = c.table_name \
                  AND cc.column_name = c.column_name \
             LEFT JOIN all_tab_comments tc ON tc.owner = c.owner AND tc.table_name = c.table_name \
             WHERE c.owner = :1 ORDER BY c.table_name, c.column_id",
            &[&owner],
        )
        .map_err(classify)?;
    for row in rows {
        let (table, column, data_type, nullable, comment, table_comment) = row.map_err(classify)?;
        let column = CatalogColumn {
            name: column,
            type_name: data_type,
            nullable: nullable == "Y",
            comment,
            collation: None,
        };
        catalog.column(schema.clone(), table, table_comment, column);
    }
    let keys = conn
        .query_as::<(String, String, String, Option<String>, Option<String>)>(
            "SELECT k.table_name, kc.column_name, k.constraint_type, rk.table_name, rkc.column_name \
             FROM all_constraints k \
             JOIN all_cons_columns kc ON kc.owner = k.owner AND kc.constraint_name = k.constraint_name \
             LEFT JOIN all_constraints rk ON rk.owner = k.r_owner AND rk.constraint_name = k.r_constraint_name \
             LEFT JOIN all_cons_columns rkc ON rkc.owner = rk.owner AND rkc.constraint_name = rk.constraint_name \
                  AND rkc.position = kc.position \
             WHERE k.owner = :1 AND (k.constraint_type = 'R' \
               OR (k.constraint_type = 'P' AND k.status = 'ENABLED' AND k.validated = 'VALIDATED'))",
            &[&owner],
        )
        .map_err(classify)?;
    for row in keys {
        let (table, column, kind, ref_table, ref_column) = row.map_err(classify)?;
        let key = match (kind.as_str(), ref_table, ref_column) {
            ("P", _, _) => Key::Primary,
            (_, Some(table), Some(column)) => Key::Foreign { table, column },
            _ => continue,
        };
        catalog.key(schema.as_deref(), &table, column, key);
    }
    Ok(())
}

/// Each of `owner`'s views with its query (a LONG), under `schema`, for
/// the data-access rules to follow to what it reads.
fn owner_views(
    conn: &oracle::Connection,
    owner: &str,
    schema: &Option<String>,
) -> Result<Vec<crate::sql::schema::ViewDefinition>, ExecError> {
    let defined = conn
        .query_as::<(String, Option<String>)>(
            "SELECT view_name, text FROM all_views WHERE owner = :1 ORDER BY view_name",
            &[&owner],
        )
        .map_err(classify)?;
    let mut views = Vec::new();
    for row in defined {
        let (name, definition) = row.map_err(classify)?;
        views.push(crate::sql::schema::ViewDefinition {
            schema: schema.clone(),
            name,
            definition: definition.unwrap_or_default(),
        });
    }
    Ok(views)
}

/// Each virtual column of `owner`'s tables with its expression (a LONG
/// too), under `schema`, for the rules to follow to the columns it reads.
fn owner_virtual_columns(
    conn: &oracle::Connection,
    owner: &str,
    schema: &Option<String>,
) -> Result<Vec<crate::sql::schema::GeneratedColumn>, ExecError> {
    let computed = conn
        .query_as::<(String, String, Option<String>)>(
            "SELECT table_name, column_name, data_default FROM all_tab_cols \
             WHERE owner = :1 AND virtual_column = 'YES'",
            &[&owner],
        )
        .map_err(classify)?;
    let mut generated = Vec::new();
    for row in computed {
        let (table, column, expression) = row.map_err(classify)?;
        generated.push(crate::sql::schema::GeneratedColumn {
            schema: schema.clone(),
            table,
            column,
            expression: expression.unwrap_or_default(),
        });
    }
    Ok(generated)
}

/// What the blocking side of [`OracleExecutor::run`] sends the async side.
enum Batch {
    Columns(Vec<Column>),
    Rows(Vec<Vec<Cell>>),
    Done { truncated: bool },
}

/// `sql` run on a connection of `pool` in a read-only transaction, each
/// round trip bounded by `limits`, its rows sent in batches through
/// `send`, then rolled back: whether the result was cut.
fn read_only_rows(
    pool: &oracle::pool::Pool,
    sql: &str,
    limits: Limits,
    send: &impl Fn(Result<Batch, ExecError>) -> bool,
) -> Result<bool, ExecError> {
    let conn = pool.get().map_err(classify)?;
    // Every round trip is bounded; a long query is broken off.
    conn.set_call_timeout(Some(limits.timeout))
        .map_err(classify)?;
    conn.execute("SET TRANSACTION READ ONLY", &[])
        .map_err(classify)?;
    let outcome = send_rows(&conn, sql, limits, send);
    // Nothing is kept, whatever happened.
    let _ = conn.rollback();
    outcome
}

/// `sql`'s columns, then its rows in batches, through `send`, within the
/// caps of `limits`: whether the result was cut (`false` too when the
/// async side stopped listening).
fn send_rows(
    conn: &oracle::Connection,
    sql: &str,
    limits: Limits,
    send: &impl Fn(Result<Batch, ExecError>) -> bool,
) -> Result<bool, ExecError> {
    let mut stmt = conn
        .statement(sql)
        .fetch_array_size(BATCH as u32)
        .prefetch_rows(BATCH as u32)
        // LOBs as locators, read in bounded pieces by
        // `render`: bound as strings, each would be fetched
        // whole, however large.
        .lob_locator()
        .build()
        .map_err(classify)?;
    let rows = stmt.query(&[]).map_err(classify)?;
    let columns = rows
        .column_info()
        .iter()
        .map(|c| Column::new(c.name(), &c.oracle_type().to_string(), Dialect::Oracle))
        .collect();
    if !send(Ok(Batch::Columns(columns))) {
        return Ok(false);
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut cap = ResultCap::new(limits);
    for row in rows {
        let row = row.map_err(classify)?;
        if !cap.room_for_a_row() {
            send(Ok(Batch::Rows(std::mem::take(&mut batch))));
            return Ok(cap.cut());
        }
        let cells = row
            .sql_values()
            .iter()
            .map(render)
            .collect::<Result<Vec<_>, _>>()
            .map_err(classify)?;
        if !cap.admit(&cells) {
            send(Ok(Batch::Rows(std::mem::take(&mut batch))));
            return Ok(cap.cut());
        }
        batch.push(cells);
        if batch.len() == BATCH && !send(Ok(Batch::Rows(std::mem::take(&mut batch)))) {
            return Ok(false);
        }
    }
    send(Ok(Batch::Rows(batch)));
    Ok(false)
}

#[async_trait::async_trait]
impl Executor for OracleExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Oracle
    }

    async fn catalog(&self, schemas: &[String]) -> Result<crate::sql::schema::Catalog, ExecError> {
        let pool = Arc::clone(&self.pool);
        let owners: Vec<String> = schemas
            .iter()
            .map(|s| Dialect::Oracle.fold_unquoted(s))
            .collect();
        blocking(move || {
            let conn = pool.get().map_err(classify)?;
            conn.set_call_timeout(Some(Duration::from_secs(60)))
                .map_err(classify)?;
            // Without allowed schemas, the account's own (unqualified names).
            let own = owners.is_empty();
            let owners = if own {
                vec![
                    conn.query_row_as::<String>(
                        "SELECT SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') FROM dual",
                        &[],
                    )
                    .map_err(classify)?,
                ]
            } else {
                owners
            };
            let mut catalog = crate::sql::schema::CatalogBuilder::default();
            let mut views = Vec::new();
            let mut generated = Vec::new();
            for owner in &owners {
                // The account's own tables are left unqualified.
                let schema = (!own).then(|| owner.clone());
                owner_tables(&conn, owner, &schema, &mut catalog)?;
                views.extend(owner_views(&conn, owner, &schema)?);
                generated.extend(owner_virtual_columns(&conn, owner, &schema)?);
            }
            let mut catalog = catalog.finish();
            catalog.views = views;
            catalog.generated = generated;
            Ok(catalog)
        })
        .await
    }

    async fn privileges(&self, _schemas: &[String]) -> Result<Vec<String>, ExecError> {
        let pool = Arc::clone(&self.pool);
        blocking(move || {
            let conn = pool.get().map_err(classify)?;
            conn.set_call_timeout(Some(Duration::from_secs(60)))
                .map_err(classify)?;
            let mut reasons = Vec::new();
            // System privileges that reach beyond the account's own rows:
            // every ANY privilege (SELECT ANY TABLE reads every schema,
            // EXECUTE ANY PROCEDURE runs every package), and the
            // administrative ones.
            let privileges = conn
                .query_as::<String>(
                    "SELECT privilege FROM session_privs \
                     WHERE privilege LIKE '% ANY %' OR privilege LIKE '%ANY' \
                        OR privilege IN ('SYSDBA', 'SYSOPER', 'ALTER SYSTEM', 'ALTER DATABASE', \
                                         'BECOME USER', 'GRANT ANY PRIVILEGE', 'GRANT ANY ROLE', \
                                         'CREATE DATABASE LINK', 'CREATE PUBLIC DATABASE LINK') \
                     ORDER BY 1",
                    &[],
                )
                .map_err(classify)?;
            for privilege in privileges {
                reasons.push(format!("the account has {}", privilege.map_err(classify)?));
            }
            let roles = conn
                .query_as::<String>(
                    "SELECT role FROM session_roles \
                     WHERE role IN ('DBA', 'IMP_FULL_DATABASE', 'EXP_FULL_DATABASE', \
                                    'DATAPUMP_IMP_FULL_DATABASE', 'DATAPUMP_EXP_FULL_DATABASE', \
                                    'SELECT_CATALOG_ROLE', 'EXECUTE_CATALOG_ROLE', 'RESOURCE') \
                     ORDER BY 1",
                    &[],
                )
                .map_err(classify)?;
            for role in roles {
                reasons.push(format!("the account has the role {}", role.map_err(classify)?));
            }
            let (owned, granted) = conn
                .query_row_as::<(i64, i64)>(
                    "SELECT (SELECT COUNT(*) FROM user_tables), \
                            (SELECT COUNT(*) FROM user_tab_privs_recd \
                              WHERE privilege IN ('INSERT', 'UPDATE', 'DELETE', 'ALTER', 'INDEX')) \
                     FROM dual",
                    &[],
                )
                .map_err(classify)?;
            if owned > 0 {
                reasons.push(format!(
                    "the account owns {owned} tables, which it can write (use an account with SELECT grants only)"
                ));
            }
            if granted > 0 {
                reasons.push(format!("the account has {granted} write grants on tables"));
            }
            Ok(reasons)
        })
        .await
    }

    async fn explain(&self, query: &Validated, timeout: Duration) -> Result<Plan, ExecError> {
        self.with_plan(query, timeout, |conn, id| {
            let (rows, cost) = conn
                .query_row_as::<(Option<f64>, Option<f64>)>(
                    "SELECT cardinality, cost FROM plan_table WHERE statement_id = :1 AND id = 0",
                    &[&id],
                )
                .map_err(classify)?;
            Ok(Plan { rows, cost })
        })
        .await
    }

    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        let started = Instant::now();
        let pool = Arc::clone(&self.pool);
        let sql = query.text.clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, ExecError>>(4);
        let worker = tokio::task::spawn_blocking(move || {
            let send = |item| tx.blocking_send(item).is_ok();
            match read_only_rows(&pool, &sql, limits, &send) {
                Ok(truncated) => {
                    send(Ok(Batch::Done { truncated }));
                }
                Err(e) => {
                    send(Err(e));
                }
            }
        });
        let mut columns = Vec::new();
        let mut count = 0u64;
        let mut truncated = false;
        let mut failure = None;
        while let Some(item) = rx.recv().await {
            match item {
                Ok(Batch::Columns(c)) => {
                    sink.columns(&c)?;
                    columns = c;
                }
                Ok(Batch::Rows(rows)) => {
                    for row in rows {
                        sink.row(&row)?;
                        count += 1;
                    }
                }
                Ok(Batch::Done { truncated: t }) => truncated = t,
                Err(e) => failure = Some(e),
            }
        }
        let _ = worker.await;
        if let Some(e) = failure {
            // DPI-1067: the call timeout expired.
            return Err(match e {
                ExecError::Database(m) | ExecError::Unavailable(m) if m.contains("DPI-1067") => {
                    ExecError::Timeout(limits.timeout)
                }
                other => other,
            });
        }
        Ok(Outcome {
            columns,
            rows: count,
            truncated,
            duration: started.elapsed(),
        })
    }
}
