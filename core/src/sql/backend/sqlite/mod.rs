//! The SQLite Execute target: the file opened read-only in the bot for its
//! catalogue, and every statement of a model or a person run in a worker
//! process ([`worker`]), killed at its deadline or when its temporary files
//! pass their bound.

pub mod worker;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

use super::{
    ExecError, Executor, Limits, Outcome, Plan, ResultCap, RowSink, SQLITE_MAX_COLUMNS,
    SQLITE_MAX_VALUE_BYTES, bounded_error, database,
};
use crate::sql::Dialect;
use crate::sql::validate::Validated;
use worker::{Failure, Reply, Request, WORKER_ARG};

/// The longest line a worker may send: a row of [`SQLITE_MAX_COLUMNS`]
/// cells of [`super::MAX_CELL_CHARS`] characters, every character escaped in JSON.
const MAX_REPLY_BYTES: u64 = 8 * 1024 * 1024;
/// The most of a worker's error output kept to say why it died.
const MAX_WORKER_STDERR: u64 = 4096;

/// The most workers one target runs at once (as its pool of connections
/// did before them): a click or an offer past them waits its turn.
const MAX_WORKERS: usize = 4;
/// What a worker's environment keeps of the bot's: where temporary files
/// go, and where libraries are found. Nothing else, the bot's secrets least.
const WORKER_ENV: &[&str] = &["TMPDIR", "SQLITE_TMPDIR", "LD_LIBRARY_PATH"];

/// The program run as the SQLite worker: the image this process runs (not
/// its path, which an upgrade may have replaced), unless
/// [`use_worker_program`] named another.
static WORKER_PROGRAM: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Names the `pstral` binary that runs SQLite statements, for a process
/// that is not one itself (a test or a bench binary). The first call wins.
pub fn use_worker_program(program: impl Into<PathBuf>) {
    let _ = WORKER_PROGRAM.set(program.into());
}

/// Set in a worker's environment: a process started as a worker that is
/// not one (a test binary named by mistake) starts no worker in turn.
const STARTED_AS_WORKER: &str = "PSTRAL_STARTED_AS_SQLITE_WORKER";

/// A worker that could not be started, written to or read.
fn unavailable(why: impl std::fmt::Display) -> ExecError {
    ExecError::Unavailable(format!("the SQLite worker: {why}"))
}

fn worker_program() -> Result<PathBuf, ExecError> {
    if std::env::var_os(STARTED_AS_WORKER).is_some() {
        return Err(ExecError::Unavailable(
            "a process started as a SQLite worker starts no other".to_owned(),
        ));
    }
    Ok(WORKER_PROGRAM
        .get()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("/proc/self/exe")))
}

/// A SQLite file opened read-only.
pub struct SqliteExecutor {
    pool: sqlx::SqlitePool,
    path: PathBuf,
    workers: Arc<tokio::sync::Semaphore>,
}

impl SqliteExecutor {
    /// # Errors
    /// [`ExecError::Unavailable`] when the file cannot be opened.
    pub async fn open(path: &Path) -> Result<Self, ExecError> {
        use sqlx::ConnectOptions as _;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .disable_statement_logging();
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(2)
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
        Ok(Self {
            pool,
            path: path.to_owned(),
            workers: Arc::new(tokio::sync::Semaphore::new(MAX_WORKERS)),
        })
    }

    /// Starts a worker on `sql` within `limits`; [`Worker::next`] kills it
    /// at the deadline, or when its temporary files pass their bound.
    async fn start(&self, sql: &str, explain: bool, limits: Limits) -> Result<Worker, ExecError> {
        let deadline = tokio::time::Instant::now() + limits.timeout;
        // The wait for a turn counts against the deadline.
        let turn = tokio::time::timeout_at(deadline, Arc::clone(&self.workers).acquire_owned())
            .await
            .map_err(|_| ExecError::Timeout(limits.timeout))?
            .map_err(unavailable)?;
        let mut command = tokio::process::Command::new(worker_program()?);
        command
            .arg(WORKER_ARG)
            .env_clear()
            .env(STARTED_AS_WORKER, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in WORKER_ENV {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        let mut child = command.spawn().map_err(unavailable)?;
        let request = Request {
            path: self.path.clone(),
            sql: sql.to_owned(),
            explain,
            cpu_seconds: worker::cpu_seconds(limits.timeout),
            memory_bytes: limits.max_memory_bytes,
        };
        let mut line = serde_json::to_vec(&request).map_err(unavailable)?;
        line.push(b'\n');
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(unavailable(std::io::Error::from(
                std::io::ErrorKind::BrokenPipe,
            )));
        };
        stdin.write_all(&line).await.map_err(unavailable)?;
        drop(stdin);
        let stderr = child.stderr.take().map(|stderr| {
            tokio::spawn(async move {
                // Kept up to a bound, the rest read and dropped, so that a
                // worker never waits on a full pipe.
                let mut kept = Vec::new();
                let mut stderr = stderr;
                let _ = (&mut stderr)
                    .take(MAX_WORKER_STDERR)
                    .read_to_end(&mut kept)
                    .await;
                let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
                String::from_utf8_lossy(&kept).into_owned()
            })
        });
        Ok(Worker {
            child,
            replies: tokio::io::BufReader::new(stdout),
            line: Vec::new(),
            stderr,
            deadline,
            temp_checks: tokio::time::interval(TEMP_CHECK_EVERY),
            limits,
            _turn: turn,
        })
    }
}

/// How often a worker's temporary files are weighed: a sort spills a few
/// hundred MB/s at most.
const TEMP_CHECK_EVERY: Duration = Duration::from_millis(100);

/// What ended a wait for a worker's reply.
enum Event {
    Read(std::io::Result<usize>),
    PastDeadline,
    TempCheck,
}

/// Why the bot killed a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Killed {
    PastDeadline,
    PastTempBound,
}

/// A running worker, read a reply at a time, killed when it passes its
/// deadline or its bound on temporary files. Dropped, it is killed.
struct Worker {
    child: tokio::process::Child,
    replies: tokio::io::BufReader<tokio::process::ChildStdout>,
    line: Vec<u8>,
    stderr: Option<tokio::task::JoinHandle<String>>,
    deadline: tokio::time::Instant,
    temp_checks: tokio::time::Interval,
    limits: Limits,
    /// The target's turn, given back when the worker is dropped.
    _turn: tokio::sync::OwnedSemaphorePermit,
}

impl Worker {
    /// The next reply, or why there is none.
    async fn next(&mut self) -> Result<Reply, ExecError> {
        self.line.clear();
        loop {
            let room = MAX_REPLY_BYTES.saturating_sub(self.line.len() as u64);
            let event = {
                let mut reader = (&mut self.replies).take(room);
                // `read_until` keeps what it read when another branch wins.
                tokio::select! {
                    read = reader.read_until(b'\n', &mut self.line) => Event::Read(read),
                    () = tokio::time::sleep_until(self.deadline) => Event::PastDeadline,
                    _ = self.temp_checks.tick() => Event::TempCheck,
                }
            };
            match event {
                Event::Read(Ok(_)) if self.line.ends_with(b"\n") => {
                    return serde_json::from_slice(&self.line).map_err(|e| {
                        ExecError::Unavailable(format!(
                            "the SQLite worker answered what the bot cannot read: {e}"
                        ))
                    });
                }
                Event::Read(Ok(_)) => return Err(self.died(None).await),
                Event::Read(Err(e)) => return Err(unavailable(e)),
                Event::PastDeadline => return Err(self.died(Some(Killed::PastDeadline)).await),
                Event::TempCheck => {
                    if let Some(pid) = self.child.id()
                        && temp_bytes(pid) > self.limits.max_temp_bytes
                    {
                        return Err(self.died(Some(Killed::PastTempBound)).await);
                    }
                }
            }
        }
    }

    /// Why a worker ended without its last reply, or was ended by the bot
    /// (`killed`).
    async fn died(&mut self, killed: Option<Killed>) -> ExecError {
        // A worker that stopped mid-line, or passed a bound, may still run.
        let status = self.stop().await;
        match killed {
            Some(Killed::PastDeadline) => return ExecError::Timeout(self.limits.timeout),
            Some(Killed::PastTempBound) => {
                return ExecError::TempSpace(self.limits.max_temp_bytes);
            }
            None => {}
        }
        let said = match self.stderr.take() {
            Some(task) => task.await.unwrap_or_default(),
            None => String::new(),
        };
        use std::os::unix::process::ExitStatusExt as _;
        match status {
            Ok(status) if status.signal() == Some(libc::SIGXCPU) => {
                ExecError::Timeout(self.limits.timeout)
            }
            // The allocator's own words when the kernel refuses memory past
            // RLIMIT_DATA (Rust's, or sqlx's when it copies a value), or a
            // kill the bot did not send: the kernel's, out of memory.
            Ok(status)
                if said.contains("memory allocation of")
                    || said.contains("failed to allocate memory")
                    || status.signal() == Some(libc::SIGKILL) =>
            {
                ExecError::Memory(self.limits.max_memory_bytes)
            }
            Ok(status) => ExecError::Unavailable(bounded_error(&format!(
                "the SQLite worker ended ({status}): {}",
                said.trim()
            ))),
            Err(e) => unavailable(e),
        }
    }

    /// Kills the worker if it still runs, and reaps it.
    async fn stop(&mut self) -> std::io::Result<std::process::ExitStatus> {
        let _ = self.child.start_kill();
        self.child.wait().await
    }

    /// Ends the worker, done or not.
    async fn end(mut self) {
        let _ = self.stop().await;
    }
}

/// What the bot reports of a failure in a worker run within `limits`.
fn failed(failure: Failure, limits: &Limits) -> ExecError {
    match failure {
        Failure::Unavailable(message) => ExecError::Unavailable(message),
        Failure::Database(message) => ExecError::database(&message),
        Failure::OutOfMemory => ExecError::Memory(limits.max_memory_bytes),
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

/// Bytes of temporary files SQLite holds open in the process `pid`. SQLite
/// creates them as `etilqs_*` and unlinks them at once, so they are found
/// among the process's open descriptors, as deleted files.
fn temp_bytes(pid: u32) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let fds = match std::fs::read_dir(format!("/proc/{pid}/fd")) {
        Ok(fds) => fds,
        Err(e) => {
            // Without /proc (hidepid) the bound on temporary files cannot
            // hold, only the deadline: said, not passed over. A worker that
            // just ended has nothing left to weigh.
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                tracing::warn!(error = %e, "a SQLite worker's temporary files cannot be weighed");
            }
            return 0;
        }
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

/// The expression of each generated column of a `CREATE TABLE` statement
/// as SQLite keeps it, written out by the parser (none when it does not
/// parse: the columns are then judged as ones that cannot be followed).
fn generated_expressions(ddl: &str) -> Vec<(String, String)> {
    use sqlparser::ast::{ColumnOption, Statement};
    let Ok(parsed) =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::SQLiteDialect {}, ddl)
    else {
        return Vec::new();
    };
    let [Statement::CreateTable(table)] = parsed.as_slice() else {
        return Vec::new();
    };
    table
        .columns
        .iter()
        .filter_map(|c| {
            c.options.iter().find_map(|o| match &o.option {
                ColumnOption::Generated {
                    generation_expr: Some(expression),
                    ..
                } => Some((c.name.value.clone(), expression.to_string())),
                _ => None,
            })
        })
        .collect()
}

/// The collation each column of a `CREATE TABLE` compares by, where it is
/// not SQLite's default (`BINARY`, under which equal texts are the same
/// text): `NOCASE`, `RTRIM` or one the application registered. A statement
/// that does not parse, or a view (whose columns take the collation of
/// what they select), gives every column as `*` (any): a column whose
/// collation is not known counts as one under which texts that differ may
/// compare equal.
fn loose_collations(ddl: &str) -> Vec<(String, String)> {
    use sqlparser::ast::{ColumnOption, Statement};
    let any = || vec![("*".to_owned(), "*".to_owned())];
    let Ok(parsed) =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::SQLiteDialect {}, ddl)
    else {
        return any();
    };
    let [Statement::CreateTable(table)] = parsed.as_slice() else {
        return any();
    };
    table
        .columns
        .iter()
        .filter_map(|c| {
            c.options.iter().find_map(|o| match &o.option {
                ColumnOption::Collation(name) => {
                    let name = name.to_string().trim_matches('"').to_owned();
                    (!name.eq_ignore_ascii_case("BINARY")).then(|| (c.name.value.clone(), name))
                }
                _ => None,
            })
        })
        .collect()
}

/// The query of a `CREATE VIEW` statement as SQLite keeps it, written out
/// by the parser; `None` when it does not parse.
fn view_query(ddl: &str) -> Option<String> {
    use sqlparser::ast::Statement;
    let parsed =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::SQLiteDialect {}, ddl).ok()?;
    match parsed.as_slice() {
        [Statement::CreateView(view)] => Some(view.query.to_string()),
        _ => None,
    }
}

/// A column as `pragma_table_xinfo` reads it: cid, name, type, notnull,
/// hidden, pk.
type XinfoRow = (i64, String, String, i64, i64, i64);

impl SqliteExecutor {
    /// The columns of the table or view `name`, but a virtual table's
    /// hidden ones; `None` for a view that cannot be read.
    async fn table_columns(
        &self,
        name: &str,
        view: bool,
    ) -> Result<Option<Vec<XinfoRow>>, ExecError> {
        // `table_xinfo`, not `table_info`, which leaves out generated
        // columns: a statement may read them, and what it reads is
        // judged against this list. A virtual table's hidden columns
        // (hidden = 1) are the module's, not the data's.
        let columns: Result<Vec<XinfoRow>, _> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT cid, name, type, \"notnull\", hidden, pk \
             FROM pragma_table_xinfo('{}') WHERE hidden <> 1 ORDER BY cid",
            name.replace('\'', "''")
        )))
        .fetch_all(&self.pool)
        .await;
        match columns {
            Ok(columns) => Ok(Some(columns)),
            // A view over what no longer exists cannot be read by
            // anyone: left out, not the whole catalogue.
            Err(e) if view => {
                tracing::warn!(error = %e, view = %name, "a view of the target cannot be read");
                Ok(None)
            }
            Err(e) => Err(database(e)),
        }
    }

    /// The foreign keys of the table `name`, one a column; a reference
    /// without a column is to the rowid.
    async fn foreign_keys(
        &self,
        name: &str,
    ) -> Result<Vec<crate::sql::schema::ForeignKey>, ExecError> {
        let fks: Vec<(i64, i64, String, String, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('{}')",
                name.replace('\'', "''")
            )))
            .fetch_all(&self.pool)
            .await
            .map_err(database)?;
        Ok(fks
            .into_iter()
            .map(|(_, _, table, from, to)| crate::sql::schema::ForeignKey {
                columns: vec![from],
                table,
                ref_columns: vec![to.unwrap_or_else(|| "rowid".to_owned())],
            })
            .collect())
    }
}

/// The generated columns among `columns` of the table `name`, created by
/// `ddl`: a generated column (hidden 2, virtual, or 3, stored) shows what
/// its expression reads.
fn generated_columns(
    name: &str,
    ddl: &str,
    columns: &[XinfoRow],
) -> Vec<crate::sql::schema::GeneratedColumn> {
    if !columns.iter().any(|c| c.4 >= 2) {
        return Vec::new();
    }
    let expressions = generated_expressions(ddl);
    columns
        .iter()
        .filter(|c| c.4 >= 2)
        .map(|column| crate::sql::schema::GeneratedColumn {
            schema: None,
            table: name.to_owned(),
            column: column.1.clone(),
            expression: expressions
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(&column.1))
                .map(|(_, e)| e.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// The table `name` of the catalogue: its `columns` with the comments and
/// collations its `ddl` writes, its keys.
fn catalog_table(
    name: String,
    ddl: &str,
    columns: Vec<XinfoRow>,
    foreign_keys: Vec<crate::sql::schema::ForeignKey>,
) -> crate::sql::schema::CatalogTable {
    let (table_comment, column_comments) = ddl_comments(ddl);
    let collations = loose_collations(ddl);
    let collation = |column: &str| {
        collations
            .iter()
            .find(|(c, _)| c == "*" || c.eq_ignore_ascii_case(column))
            .map(|(_, name)| name.clone())
    };
    crate::sql::schema::CatalogTable {
        schema: None,
        primary_key: columns
            .iter()
            .filter(|c| c.5 > 0)
            .map(|c| c.1.clone())
            .collect(),
        foreign_keys,
        columns: columns
            .into_iter()
            .map(
                |(_, name, type_name, notnull, _, _)| crate::sql::schema::CatalogColumn {
                    collation: collation(&name),
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
                },
            )
            .collect(),
        name,
        comment: table_comment,
    }
}

#[async_trait::async_trait]
impl Executor for SqliteExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn catalog(&self, _schemas: &[String]) -> Result<crate::sql::schema::Catalog, ExecError> {
        use crate::sql::schema::{Catalog, TableName};
        let names: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT name, sql, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        // What kind each table is: a virtual table or the shadow table of
        // one is filled by its module from other data.
        let kinds: Vec<(String, String)> =
            sqlx::query_as("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
                .fetch_all(&self.pool)
                .await
                .map_err(database)?;
        let kind_of = |name: &str| kinds.iter().find(|(n, _)| n == name);
        let mut catalog = Catalog::default();
        for (name, ddl, kind) in names {
            let view = kind == "view";
            let Some(columns) = self.table_columns(&name, view).await? else {
                continue;
            };
            // A view's query, for the data-access rules to follow; one that
            // cannot be read is judged so there.
            if view {
                catalog.views.push(crate::sql::schema::ViewDefinition {
                    schema: None,
                    name: name.clone(),
                    definition: ddl.as_deref().and_then(view_query).unwrap_or_default(),
                });
            }
            let ddl = ddl.as_deref().unwrap_or_default();
            catalog
                .generated
                .extend(generated_columns(&name, ddl, &columns));
            if let Some((_, kind)) = kind_of(&name)
                && (kind == "virtual" || kind == "shadow")
            {
                catalog.filled.push(TableName {
                    schema: None,
                    name: name.clone(),
                });
            }
            let foreign_keys = self.foreign_keys(&name).await?;
            catalog
                .tables
                .push(catalog_table(name, ddl, columns, foreign_keys));
        }
        Ok(catalog)
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
            let text = |type_name: &str| {
                type_name.is_empty()
                    || crate::sql::types::kind(crate::sql::Dialect::Sqlite, type_name).is_text()
            };
            let columns: Vec<_> = table
                .columns
                .iter()
                .filter(|c| text(&c.type_name) && !table.is_key(&c.name))
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

    async fn explain(&self, query: &Validated, timeout: Duration) -> Result<Plan, ExecError> {
        // SQLite plans without reading the data: its plan tells nothing of
        // the cost, only whether the statement compiles.
        // Preparing takes little memory and no temporary file: the default
        // bounds are far above it.
        let limits = Limits::new(0, timeout);
        let mut worker = self.start(&query.text, true, limits).await?;
        let reply = worker.next().await;
        worker.end().await;
        match reply? {
            Reply::Done => Ok(Plan {
                rows: None,
                cost: None,
            }),
            Reply::Failed(failure) => Err(failed(failure, &limits)),
            other => Err(ExecError::Unavailable(format!(
                "the SQLite worker answered a plan with {other:?}"
            ))),
        }
    }

    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        let started = Instant::now();
        let mut worker = self.start(&query.text, false, limits).await?;
        let result = async {
            let mut columns = Vec::new();
            let mut cap = ResultCap::new(limits);
            loop {
                match worker.next().await? {
                    Reply::Columns(named) => {
                        sink.columns(&named)?;
                        columns = named;
                    }
                    Reply::Row(cells) => {
                        if !cap.room_for_a_row() || !cap.admit(&cells) {
                            break;
                        }
                        sink.row(&cells)?;
                    }
                    Reply::Done => break,
                    Reply::Failed(failure) => return Err(failed(failure, &limits)),
                }
            }
            Ok(cap.outcome(columns, started.elapsed()))
        }
        .await;
        worker.end().await;
        result
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
