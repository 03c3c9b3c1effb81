//! The process a SQLite target's statement runs in: the `pstral` binary
//! re-executed with [`WORKER_ARG`], bounded by the operating system and by
//! SQLite's own heap limit, its rows sent back one JSON line each.
//!
//! SQLite runs inside the process that calls it, and a call such as `instr`
//! or `replace` cannot be interrupted before it returns: in the bot's own
//! process, a statement's memory and time were the bot's. In a process of
//! its own they are not. The bot kills it at the deadline or when its
//! temporary files pass their bound ([`super::SqliteExecutor`]); the
//! kernel kills it past its CPU time or refuses it memory past its data
//! bound; it dies with the bot.

use std::io::{BufRead as _, Read as _, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::{Row as _, SqlSafeStr as _, TypeInfo as _, ValueRef as _};

use super::super::{Cell, Column, columns_of, hex_cell, truncate_str};
use crate::sql::Dialect;

/// The first argument that makes the `pstral` binary a SQLite worker.
pub const WORKER_ARG: &str = "sqlite-worker";

/// What the worker process may map beyond SQLite's own memory
/// (`RLIMIT_DATA` is SQLite's bound plus this): thread stacks, the runtime,
/// the rows in flight (at most [`super::SQLITE_MAX_COLUMNS`] values of
/// [`super::SQLITE_MAX_VALUE_BYTES`] each). Past it the kernel refuses
/// memory and the worker dies.
pub const WORKER_OVERHEAD_BYTES: u64 = 256 * 1024 * 1024;
/// The memory SQLite's page caches may hold before they give pages back
/// (`sqlite3_soft_heap_limit64`): every temporary b-tree a statement builds
/// has a cache of its own, and past this bound they spill to temporary
/// files, which the bot watches.
pub const WORKER_CACHE_BYTES: i64 = 64 * 1024 * 1024;
/// Rows the driver may hold ready for a writer slower than SQLite (sqlx's
/// default is 50): the rows in flight stay a few rows' worth of bytes.
const ROWS_IN_FLIGHT: usize = 1;
/// The longest request the worker reads: a path and a statement.
const MAX_REQUEST_BYTES: u64 = 1024 * 1024;

/// What the bot asks of a worker, as one JSON line on its standard input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// The target's file, opened read-only.
    pub path: PathBuf,
    /// The validated statement.
    pub sql: String,
    /// Only prepare and plan it (`EXPLAIN QUERY PLAN`), as an offer does.
    pub explain: bool,
    /// The processor time the worker may take, in seconds (`RLIMIT_CPU`):
    /// the bot kills it at the deadline, this ends it should the bot not.
    pub cpu_seconds: u64,
    /// The memory SQLite may allocate (`sqlite3_hard_heap_limit64`): past
    /// it, the statement fails and the worker says so.
    pub memory_bytes: u64,
}

/// What a worker answers, one JSON line each on its standard output: its
/// columns, then its rows, then `Done` or `Failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Columns(Vec<Column>),
    Row(Vec<Cell>),
    Done,
    Failed(Failure),
}

/// Why a statement failed in the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The file cannot be opened.
    Unavailable(String),
    /// SQLite refused or failed the statement: its own message.
    Database(String),
    /// SQLite reached [`Request::memory_bytes`].
    OutOfMemory,
}

/// Runs as a worker: reads one [`Request`], answers it on standard output,
/// and returns the process's exit code.
pub fn serve() -> i32 {
    // sqlx panics on its connection's thread when SQLite cannot copy a value
    // (out of memory), which the stream reads as its end: the rows would
    // look whole. A panic ends the worker instead, its message on stderr.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{info}");
        std::process::exit(3);
    }));
    bound_this_process();
    let mut line = String::new();
    let mut input = std::io::BufReader::new(std::io::stdin().take(MAX_REQUEST_BYTES));
    if input.read_line(&mut line).is_err() {
        return 2;
    }
    let Ok(request) = serde_json::from_str::<Request>(&line) else {
        return 2;
    };
    bound_for(&request);
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return 2;
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let answered = runtime.block_on(answer(&request, &mut out));
    // A bot that stopped reading (a row cap reached) is not a failure.
    let _ = answered.and_then(|()| out.flush());
    0
}

/// The worker's bounds that do not depend on the request: it dies with the
/// bot, writes no core file, and is the first the kernel kills when memory
/// runs out.
fn bound_this_process() {
    // SAFETY: prctl takes plain integers; it only changes this process's
    // own settings. (Linux's own: elsewhere the worker ends with its pipes.)
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL)
    };
    set_limit(libc::RLIMIT_CORE, 0, 0);
    let _ = std::fs::write("/proc/self/oom_score_adj", "1000");
    // The bot may have ended before the setting above: then nobody reads.
    // SAFETY: getppid cannot fail.
    if unsafe { libc::getppid() } == 1 {
        std::process::exit(0);
    }
}

/// The bounds `request` asks for: SQLite's heap, the process's data
/// ([`WORKER_OVERHEAD_BYTES`] more), its processor time (SIGXCPU at
/// `cpu_seconds`, SIGKILL a second later).
fn bound_for(request: &Request) {
    let heap = i64::try_from(request.memory_bytes).unwrap_or(i64::MAX);
    // SAFETY: both take a plain integer and only record a bound.
    unsafe {
        libsqlite3_sys::sqlite3_hard_heap_limit64(heap);
        libsqlite3_sys::sqlite3_soft_heap_limit64(WORKER_CACHE_BYTES.min(heap));
    }
    let data = request.memory_bytes.saturating_add(WORKER_OVERHEAD_BYTES);
    set_limit(libc::RLIMIT_DATA, data, data);
    let cpu = request.cpu_seconds.max(1);
    set_limit(libc::RLIMIT_CPU, cpu, cpu + 1);
}

/// The type of `setrlimit`'s first argument: glibc's enum, an int elsewhere.
#[cfg(target_env = "gnu")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
type Resource = libc::c_int;

fn set_limit(resource: Resource, soft: u64, hard: u64) {
    let bound = |n: u64| libc::rlim_t::try_from(n).unwrap_or(libc::RLIM_INFINITY);
    let limit = libc::rlimit {
        rlim_cur: bound(soft),
        rlim_max: bound(hard),
    };
    // SAFETY: setrlimit reads a valid rlimit and only changes this
    // process's own bound.
    unsafe { libc::setrlimit(resource, &raw const limit) };
}

/// Sends `reply` as one line.
fn send(out: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, reply)?;
    out.write_all(b"\n")
}

/// Answers `request`: the rows, or why there are none.
async fn answer(request: &Request, out: &mut impl Write) -> std::io::Result<()> {
    match rows(request, out).await {
        Ok(Ok(())) => send(out, &Reply::Done),
        Ok(Err(failure)) => send(out, &Reply::Failed(failure)),
        Err(e) => Err(e),
    }
}

/// The statement's columns and rows sent as they come: `Err` when the bot
/// stopped reading, `Ok(Err)` when SQLite failed.
async fn rows(request: &Request, out: &mut impl Write) -> std::io::Result<Result<(), Failure>> {
    use futures_util::TryStreamExt as _;
    use sqlx::{ConnectOptions as _, Executor as _, Statement as _};
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&request.path)
        .read_only(true)
        .row_buffer_size(ROWS_IN_FLIGHT)
        .disable_statement_logging();
    let mut conn = match options.connect().await {
        Ok(conn) => conn,
        Err(e) => {
            let message = format!("{}: {e}", request.path.display());
            return Ok(Err(Failure::Unavailable(message)));
        }
    };
    let limited = async {
        let handle = conn.lock_handle().await?.as_raw_handle();
        // SAFETY: the handle is the open connection just made.
        unsafe { super::limit_sqlite(handle.as_ptr()) };
        Ok::<_, sqlx::Error>(())
    };
    if let Err(e) = limited.await {
        return Ok(Err(failure(e)));
    }
    if request.explain {
        let sql = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", request.sql));
        let planned = sqlx::query(sql)
            .persistent(false)
            .fetch_all(&mut conn)
            .await;
        return Ok(planned.map(drop).map_err(failure));
    }
    // `prepare`, not `describe`: sqlx's SQLite describe crashes on a
    // computed column (it reads a NULL table name), and the prepared
    // statement has the names and declared types we need.
    let sql = sqlx::AssertSqlSafe(request.sql.clone());
    let columns = match conn.prepare(sql.into_sql_str()).await {
        Ok(prepared) => columns_of(prepared.columns(), Dialect::Sqlite),
        Err(e) => return Ok(Err(failure(e))),
    };
    send(out, &Reply::Columns(columns))?;
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(request.sql.clone()))
        .persistent(false)
        .fetch(&mut conn);
    loop {
        match rows.try_next().await {
            Ok(Some(row)) => {
                let cells = (0..row.len()).map(|i| cell(&row, i)).collect();
                match cells {
                    Ok(cells) => send(out, &Reply::Row(cells))?,
                    Err(e) => return Ok(Err(failure(e))),
                }
            }
            Ok(None) => return Ok(Ok(())),
            Err(e) => return Ok(Err(failure(e))),
        }
    }
}

/// SQLite's error as the bot reports it: "out of memory" is the worker's
/// heap bound.
fn failure(e: sqlx::Error) -> Failure {
    const SQLITE_NOMEM: &str = "7";
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some(SQLITE_NOMEM) => {
            Failure::OutOfMemory
        }
        sqlx::Error::Database(db) => Failure::Database(db.message().to_owned()),
        other => Failure::Database(other.to_string()),
    }
}

/// One value as the bot shows it.
fn cell(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Cell, sqlx::Error> {
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

/// The processor time a worker may take for a statement with `timeout`:
/// the deadline's whole seconds and two more (the bot kills it first).
pub fn cpu_seconds(timeout: Duration) -> u64 {
    timeout.as_secs() + 2
}
