//! The bot's own database: a SQLite file by default, PostgreSQL for
//! production, chosen at run time from `database.url`.
//!
//! sqlx's `Any` driver cannot carry timestamps, so [`Store`] holds one of two
//! concrete pools and the queries are written once, in the SQL both backends
//! accept (`$N` placeholders work on SQLite too), dispatched with the
//! [`on_pool!`] and [`on_tx!`] macros. Migrations live in
//! `migrations/sqlite` and `migrations/postgres` and run at every start.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use secrecy::SecretString;
use url::Url;

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    /// The PostgreSQL password from `database.password_file`, kept out of
    /// the URL so that no rendering of the URL can show it.
    pub password: Option<SecretString>,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub busy_timeout: Duration,
}

/// The bot's own database.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created on first start.
    Sqlite(PathBuf),
    /// A PostgreSQL server. The URL may hold a password, so it is only shown
    /// through [`DatabaseUrl::redacted`].
    Postgres(Url),
}

impl DatabaseUrl {
    /// The URL with any password replaced (in the user part or as a
    /// `password=` parameter), fit for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let mut url = url.clone();
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                if url.query_pairs().any(|(k, _)| k == "password") {
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let v = if k == "password" {
                                "***".into()
                            } else {
                                v.into_owned()
                            };
                            (k.into_owned(), v)
                        })
                        .collect();
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                url.to_string()
            }
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// A connection pool on the own database.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open write transaction on the own database.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same expression on whichever pool the store holds. The
/// expression is compiled once per backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs the same expression on whichever transaction is open; `$conn` is the
/// `&mut Transaction`, so write `&mut **$conn` for the executor.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite($conn) => $body,
            $crate::store::Tx::Postgres($conn) => $body,
        }
    };
}
pub(crate) use on_tx;

/// Why the own database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The causes of these are said in their message, not chained as
    // sources: a chain would say them again (`pstral` prints the chain).
    #[error("cannot create the directory {} for the database: {cause}", path.display())]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot create the database file {}: {cause}", path.display())]
    CreateFile {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "cannot open the own database at {url}: {cause}{}",
        storage_hint(cause)
    )]
    Connect { url: String, cause: sqlx::Error },
    #[error("cannot migrate the own database at {url}: {cause}")]
    Migrate {
        url: String,
        cause: sqlx::migrate::MigrateError,
    },
    /// Its cause is said here, not chained: a chain would repeat it.
    #[error("the own database failed: {0}")]
    Query(sqlx::Error),
    /// The disk that holds it is full: nothing was written.
    #[error(
        "the disk holding the own database is full ({0}): free space there; what this action \
         would have recorded was not written"
    )]
    DiskFull(sqlx::Error),
    /// It cannot be written where it is stored: the file, its folder or
    /// its disk takes no writes (a volume mounted read-only, a file left
    /// to another account): nothing was written.
    #[error(
        "the own database cannot be written where it is stored ({0}): its file, its folder or \
         its disk is read-only for the account pstral runs as; what this action would have \
         recorded was not written"
    )]
    ReadOnly(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if disk_full(&e) {
            StoreError::DiskFull(e)
        } else if read_only(&e) {
            StoreError::ReadOnly(e)
        } else {
            StoreError::Query(e)
        }
    }
}

/// What an operator does about an error that is the storage's, said after
/// it (a read-only file or folder, a full disk); nothing for others.
fn storage_hint(cause: &sqlx::Error) -> &'static str {
    if read_only(cause) {
        " (its file, its folder or its disk is read-only for the account pstral runs as)"
    } else if disk_full(cause) {
        " (the disk holding it is full: free space there)"
    } else if io_failed(cause) {
        // SQLite says no more: a full disk, met while it makes the
        // shared-memory file at open, is said so (measured on a full
        // tmpfs: SQLITE_IOERR_SHMSIZE, "disk I/O error").
        " (the disk holding it refused a read or a write: it may be full or failing)"
    } else {
        ""
    }
}

/// SQLite's primary result code of a database error (its low byte: the
/// extended codes share it). Only SQLite's: PostgreSQL's SQLSTATEs are
/// numbers too (53000 & 0xff is 8, SQLITE_READONLY's).
fn primary_code(e: &sqlx::Error) -> Option<i32> {
    match e {
        sqlx::Error::Database(db)
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() =>
        {
            db.code()?.parse::<i32>().ok().map(|c| c & 0xff)
        }
        _ => None,
    }
}

/// Whether SQLite says its disk failed a read or a write (SQLITE_IOERR,
/// 10, and its extended codes).
fn io_failed(e: &sqlx::Error) -> bool {
    primary_code(e) == Some(10)
}

/// Whether a database error says its storage takes no writes: SQLite's
/// SQLITE_READONLY (8) and its extended codes (`…_DIRECTORY`,
/// `…_CANTINIT`…), or the system's EROFS.
fn read_only(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(io) => io.raw_os_error() == Some(30),
        e => primary_code(e) == Some(8),
    }
}

/// Whether a database error says its disk is full: SQLite's SQLITE_FULL
/// (13), PostgreSQL's `disk_full` (53100), or the system's ENOSPC.
fn disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c == "13" || c == "53100"),
        sqlx::Error::Io(io) => io.raw_os_error() == Some(28),
        _ => false,
    }
}

impl StoreError {
    /// Whether its storage takes no writes (a full disk, a read-only file
    /// or mount): the place, not the request, is to mend.
    pub fn is_storage(&self) -> bool {
        matches!(self, StoreError::DiskFull(_) | StoreError::ReadOnly(_))
    }

    /// Whether the database is unreachable or overloaded, as opposed to a
    /// request it refused: what to tell a user differs.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. }
            | StoreError::CreateDir { .. }
            | StoreError::CreateFile { .. }
            | StoreError::DiskFull(_)
            | StoreError::ReadOnly(_) => true,
            StoreError::Migrate { .. } => false,
            StoreError::Query(e) => matches!(
                e,
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Tls(_)
            ),
        }
    }
}

/// The options of a connection to the own PostgreSQL database at `pg_url`,
/// its password from the settings; `url` names it, redacted, in errors.
fn pg_options(
    pg_url: &url::Url,
    settings: &DatabaseSettings,
    url: &str,
) -> Result<PgConnectOptions, StoreError> {
    let mut options =
        PgConnectOptions::from_str(pg_url.as_str()).map_err(|cause| StoreError::Connect {
            url: url.to_owned(),
            cause,
        })?;
    if let Some(password) = &settings.password {
        use secrecy::ExposeSecret;
        options = options.password(password.expose_secret());
    }
    Ok(options)
}

/// The options of one PostgreSQL session of its own, outside the pool,
/// named `application_name` (the leadership's session holds its advisory
/// lock for as long as it lives); `None` for SQLite.
///
/// # Errors
/// When the URL does not parse into connection options.
pub fn session_options(
    settings: &DatabaseSettings,
    application_name: &str,
) -> Option<Result<PgConnectOptions, StoreError>> {
    match &settings.url {
        DatabaseUrl::Sqlite(_) => None,
        DatabaseUrl::Postgres(pg_url) => Some(
            pg_options(pg_url, settings, &settings.url.redacted())
                .map(|o| o.application_name(application_name)),
        ),
    }
}

/// A read-only connection to the SQLite file at `path`, which must exist.
async fn read_only_sqlite(
    path: &std::path::Path,
    url: &str,
) -> Result<sqlx::SqliteConnection, StoreError> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|cause| StoreError::Connect {
            url: url.to_owned(),
            cause,
        })
}

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Connects to the own database, creating the SQLite file (and its
    /// directory) on first start, and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError`] naming the database (password hidden) and the cause.
    pub async fn open(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let url = settings.url.redacted();
        match &settings.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|cause| StoreError::CreateDir {
                        path: dir.to_owned(),
                        cause,
                    })?;
                }
                // Conversations, identities and the audit are nobody else's
                // to read: the file is created for its owner only (SQLite
                // gives its -wal and -shm files the same permissions).
                if !path.exists() {
                    use std::os::unix::fs::OpenOptionsExt;
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(path)
                        .map_err(|cause| StoreError::CreateFile {
                            path: path.clone(),
                            cause,
                        })?;
                }
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(settings.busy_timeout)
                    .foreign_keys(true);
                // Switching to WAL needs an exclusive lock that busy_timeout
                // does not wait for, so it and the migrations happen on one
                // connection before the pool opens several.
                let mut bootstrap =
                    options
                        .connect()
                        .await
                        .map_err(|cause| StoreError::Connect {
                            url: url.clone(),
                            cause,
                        })?;
                SQLITE_MIGRATOR
                    .run(&mut bootstrap)
                    .await
                    .map_err(|cause| StoreError::Migrate {
                        url: url.clone(),
                        cause,
                    })?;
                bootstrap.close().await?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(|cause| StoreError::Connect { url, cause })?;
                Ok(Store::Sqlite(pool))
            }
            DatabaseUrl::Postgres(pg_url) => {
                let options = pg_options(pg_url, settings, &url)?
                    .application_name("pstral")
                    // A stuck transaction must not hold the audit head (and
                    // so every append) for ever: waits for a lock end with
                    // an error, and so does an abandoned transaction.
                    .options([
                        (
                            "lock_timeout",
                            format!("{}ms", settings.busy_timeout.as_millis()),
                        ),
                        ("idle_in_transaction_session_timeout", "60s".to_owned()),
                    ]);
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(|cause| StoreError::Connect {
                        url: url.clone(),
                        cause,
                    })?;
                // Concurrent replicas starting together are serialized by the
                // migrator's advisory lock.
                POSTGRES_MIGRATOR
                    .run(&pool)
                    .await
                    .map_err(|cause| StoreError::Migrate { url, cause })?;
                Ok(Store::Postgres(pool))
            }
        }
    }

    /// Whether the own database can be used, without creating or changing
    /// anything (`pstral check`): PostgreSQL answers a query with these
    /// credentials; an SQLite file opens read-only, or, before the first
    /// start, its directory can take it. Returns what was found, for a
    /// summary line.
    ///
    /// # Errors
    /// [`StoreError`] naming the database or the directory, and the cause.
    pub async fn probe(settings: &DatabaseSettings) -> Result<String, StoreError> {
        let url = settings.url.redacted();
        match &settings.url {
            DatabaseUrl::Sqlite(path) if !path.exists() => {
                // The nearest folder that exists is where the file (and the
                // folders above it) will be created.
                let mut dir = path.parent().unwrap_or(std::path::Path::new("."));
                while !dir.as_os_str().is_empty() && !dir.exists() {
                    dir = dir.parent().unwrap_or(std::path::Path::new(""));
                }
                let dir = if dir.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    dir
                };
                // Writable by this account: a file can be made there.
                let trial = dir.join(format!(".pstral-check-{}", std::process::id()));
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&trial)
                    .map_err(|cause| StoreError::CreateFile {
                        path: path.clone(),
                        cause,
                    })?;
                let _ = std::fs::remove_file(&trial);
                Ok(format!("{url} (created at the first start)"))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = read_only_sqlite(path, &url).await?;
                sqlx::query("SELECT count(*) FROM sqlite_schema")
                    .execute(&mut conn)
                    .await
                    .map_err(|cause| StoreError::Connect {
                        url: url.clone(),
                        cause,
                    })?;
                conn.close().await?;
                Ok(url)
            }
            DatabaseUrl::Postgres(pg_url) => {
                let options = pg_options(pg_url, settings, &url)?.application_name("pstral check");
                let connect = tokio::time::timeout(settings.acquire_timeout, options.connect());
                let mut conn = match connect.await {
                    Ok(connected) => connected.map_err(|cause| StoreError::Connect {
                        url: url.clone(),
                        cause,
                    })?,
                    Err(_) => {
                        return Err(StoreError::Connect {
                            url,
                            cause: sqlx::Error::PoolTimedOut,
                        });
                    }
                };
                sqlx::query("SELECT 1")
                    .execute(&mut conn)
                    .await
                    .map_err(|cause| StoreError::Connect {
                        url: url.clone(),
                        cause,
                    })?;
                conn.close().await?;
                Ok(url)
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Where it is, for an operator's log: the SQLite file's path, or the
    /// PostgreSQL server and database (never a user or a password). A
    /// failure that is the storage's (a full disk, a read-only file) is
    /// only actionable with this: the error itself is made far from here.
    pub fn location(&self) -> String {
        match self {
            Store::Sqlite(pool) => {
                format!("sqlite:{}", pool.connect_options().get_filename().display())
            }
            Store::Postgres(pool) => {
                let options = pool.connect_options();
                let server = match options.get_socket() {
                    Some(socket) => socket.display().to_string(),
                    None => format!("{}:{}", options.get_host(), options.get_port()),
                };
                format!(
                    "postgres://{server}/{}",
                    options.get_database().unwrap_or_default()
                )
            }
        }
    }

    /// The newest migration applied, for `pstral migrate` and readiness.
    ///
    /// # Errors
    /// [`StoreError::Query`] when the database cannot be read.
    /// The schema version of the own database as it stands, read without
    /// creating or migrating anything: 0 when it does not exist yet (what
    /// `pstral migrate` compares with the version after it).
    ///
    /// # Errors
    /// [`StoreError::Connect`] when it exists and cannot be read.
    pub async fn version_unopened(settings: &DatabaseSettings) -> Result<i64, StoreError> {
        let url = settings.url.redacted();
        let query = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
        let version: Result<Option<i64>, sqlx::Error> = match &settings.url {
            DatabaseUrl::Sqlite(path) if !path.exists() => return Ok(0),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = read_only_sqlite(path, &url).await?;
                let version = sqlx::query_scalar(query).fetch_one(&mut conn).await;
                let _ = conn.close().await;
                version
            }
            DatabaseUrl::Postgres(pg_url) => {
                let options = pg_options(pg_url, settings, &url)?;
                let mut conn = options
                    .connect()
                    .await
                    .map_err(|cause| StoreError::Connect {
                        url: url.clone(),
                        cause,
                    })?;
                let version = sqlx::query_scalar(query).fetch_one(&mut conn).await;
                let _ = conn.close().await;
                version
            }
        };
        // No migrations table: nothing applied yet.
        Ok(version.ok().flatten().unwrap_or(0))
    }

    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        Ok(version.unwrap_or(0))
    }

    /// Starts a transaction that will write, and audit what it writes.
    ///
    /// Such transactions are serialized, on both backends. On SQLite it is
    /// `BEGIN IMMEDIATE`: a deferred transaction that reads then writes fails
    /// at once with SQLITE_BUSY when another writer got there first, whatever
    /// the busy timeout; an immediate one waits. On PostgreSQL the
    /// transaction first locks the audit head, which its audit event needs
    /// anyway: taking it first gives every writer (and every plain append,
    /// whose trigger locks it first too) the same lock order, so they cannot
    /// deadlock, and a check-then-insert (a new user's name) cannot race.
    ///
    /// # Errors
    /// [`StoreError::Query`] when no connection or lock can be had.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE")
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx)
            }
        })
    }

    /// Closes every connection; pending work finishes first.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }
}

impl Tx {
    /// # Errors
    /// [`StoreError::Query`] when the commit fails; nothing was written then.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    #[tokio::test]
    async fn storage_that_takes_no_writes_is_named_once_and_counts_as_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("own.db");
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (b BLOB)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        // Opened read-only, as a read-only mount leaves it (SQLITE_READONLY).
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES (x'00')")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = StoreError::from(e);
        assert!(matches!(e, StoreError::ReadOnly(_)), "{e:?}");
        said_once_and_unavailable(&e, "the own database cannot be written where it is stored");
        conn.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_full_disk_is_named_once_and_counts_as_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.path().join("full.db"))
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        // A database that may not grow past a few pages fails as a full
        // disk does (SQLITE_FULL).
        sqlx::query("CREATE TABLE t (b BLOB)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("PRAGMA max_page_count = 3")
            .execute(&mut conn)
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t VALUES (zeroblob(100000))")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = StoreError::from(e);
        assert!(matches!(e, StoreError::DiskFull(_)), "{e:?}");
        said_once_and_unavailable(&e, "the disk holding the own database is full");
        conn.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_sqlite_store_says_where_its_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("own.db");
        let store = Store::open(&DatabaseSettings {
            url: DatabaseUrl::Sqlite(path.clone()),
            password: None,
            max_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
        assert_eq!(store.location(), format!("sqlite:{}", path.display()));
        store.close().await;
    }

    /// `e` counts as the own database being unavailable, and says so as
    /// `start` with its cause in the message, not chained again after it.
    fn said_once_and_unavailable(e: &StoreError, start: &str) {
        assert!(e.is_unavailable());
        let said = e.to_string();
        assert!(said.starts_with(start), "{said}");
        assert!(std::error::Error::source(e).is_none());
    }
}
