//! Backup and restore of the own database. A restore verifies the audit
//! chain of what it put back, so this sits above both `store` and `audit`.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::audit::{Audit, Verification};
use crate::store::{DatabaseSettings, DatabaseUrl, Store, StoreError};

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// PostgreSQL is backed up with its own tools; this is the command.
    #[error("use PostgreSQL's tools: {0}")]
    UsePostgresTools(String),
    #[error("{0} already exists; choose a new file")]
    Exists(PathBuf),
    #[error("{0} does not exist")]
    Missing(PathBuf),
    #[error(
        "the own database is in use by a running pstral (run or chat); stop it first. \
         One process serves a SQLite database: to run two replicas, put the own database \
         on PostgreSQL (OPERATING.md, \"Two replicas\")"
    )]
    InUse,
    #[error("{path} is not a Pstral database: {reason}")]
    NotADatabase { path: PathBuf, reason: String },
    #[error(
        "the own database holds {events} audit event(s) newer than the backup's last ({since}): \
         restoring would lose them; pass --force to restore anyway (a safety copy is kept)"
    )]
    Newer { events: i64, since: String },
    /// A file of the own database's could not be made or changed: the
    /// path is said, as an operator must find it (a data folder owned by
    /// another account, a read-only or full disk). The cause is said in the
    /// message, once, not chained.
    #[error("cannot {what} {}: {error}{}", path.display(), hint(error))]
    File {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an operator does about a file error that is theirs to mend.
fn hint(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => {
            " (the folder must be writable by the account pstral runs as)"
        }
        std::io::ErrorKind::ReadOnlyFilesystem => " (the disk is mounted read-only)",
        std::io::ErrorKind::StorageFull => " (the disk is full: free space there)",
        _ => "",
    }
}

/// [`BackupError::File`] for `what` done to `path`.
fn at(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_owned();
    move |error| BackupError::File { what, path, error }
}

/// A consistent copy of the own database at `path`, taken while it runs
/// (SQLite's `VACUUM INTO` reads one snapshot). For PostgreSQL, the
/// `pg_dump` command to run instead.
///
/// # Errors
/// [`BackupError`].
pub async fn backup(
    store: &Store,
    settings: &DatabaseSettings,
    path: &Path,
) -> Result<(), BackupError> {
    match store {
        Store::Sqlite(pool) => {
            if path.exists() {
                return Err(BackupError::Exists(path.to_owned()));
            }
            sqlx::query("VACUUM INTO $1")
                .bind(path.to_string_lossy().into_owned())
                .execute(pool)
                .await
                .map_err(|e| match StoreError::from(e) {
                    // The backup's disk, not the database's: said with its
                    // path (the command would otherwise point at the own
                    // database's).
                    StoreError::DiskFull(e) | StoreError::ReadOnly(e) => BackupError::File {
                        what: "write the backup to",
                        path: path.to_owned(),
                        error: std::io::Error::other(e.to_string()),
                    },
                    other => BackupError::Store(other),
                })?;
            // A backup holds what the database does: its owner's alone.
            private(path)?;
            Ok(())
        }
        Store::Postgres(_) => Err(BackupError::UsePostgresTools(format!(
            "pg_dump --format=custom --file {} '{}'  (the password from PGPASSWORD or ~/.pgpass)",
            path.display(),
            settings.url.redacted()
        ))),
    }
}

/// Held by a running service (`pstral run`, `pstral chat`) on a SQLite own
/// database, so that a restore cannot overwrite it underneath. The lock is
/// the operating system's, released when the process ends, however it ends.
#[derive(Debug)]
pub struct ServiceLock {
    _file: Option<std::fs::File>,
}

impl ServiceLock {
    fn path(settings: &DatabaseSettings) -> Option<PathBuf> {
        match &settings.url {
            DatabaseUrl::Sqlite(db) => Some(PathBuf::from(format!("{}.lock", db.display()))),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// Takes the lock (nothing to take for PostgreSQL).
    ///
    /// # Errors
    /// [`BackupError::InUse`] when another process holds it.
    pub fn acquire(settings: &DatabaseSettings) -> Result<Self, BackupError> {
        let Some(path) = Self::path(settings) else {
            return Ok(Self { _file: None });
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(at("create the data folder", dir))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(at("create the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: Some(file) }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse),
            Err(std::fs::TryLockError::Error(e)) => Err(at("lock", &path)(e)),
        }
    }
}

/// Makes `path` readable and writable by its owner only.
fn private(path: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(at("make private", path))?;
    Ok(())
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The restored database's audit chain, verified.
    pub verified: Verification,
    /// Where the database it replaced was kept, when there was one.
    pub kept: Option<PathBuf>,
}

/// The last audit event of the SQLite database at `path` (its sequence
/// number and time), read-only; `None` when it has none.
async fn last_event(path: &Path) -> Result<Option<(i64, String)>, BackupError> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = options
        .connect()
        .await
        .map_err(|e| BackupError::NotADatabase {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    let last: Result<Option<(i64, String)>, _> =
        sqlx::query_as("SELECT seq, at FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut conn)
            .await;
    let _ = conn.close().await;
    last.map_err(|e| BackupError::NotADatabase {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Replaces the SQLite own database with the backup at `from` (refusing while
/// a service uses it), migrates it if it is older, and verifies its audit.
/// The database it replaces is first copied beside it
/// (`own.db.before-restore-TIME`); when that database holds audit events
/// the backup does not (it is older), the restore is refused unless
/// `force`. The restored file is its owner's alone.
///
/// # Errors
/// [`BackupError`]; for PostgreSQL, the `pg_restore` command to run instead.
pub async fn restore(
    settings: &DatabaseSettings,
    from: &Path,
    force: bool,
) -> Result<Restored, BackupError> {
    let DatabaseUrl::Sqlite(db) = &settings.url else {
        return Err(BackupError::UsePostgresTools(format!(
            "pg_restore --clean --if-exists --dbname '{}' {}",
            settings.url.redacted(),
            from.display()
        )));
    };
    if !from.exists() {
        return Err(BackupError::Missing(from.to_owned()));
    }
    let _lock = ServiceLock::acquire(settings)?;
    // The backup must be a Pstral database before anything is replaced.
    {
        let options = SqliteConnectOptions::new().filename(from).read_only(true);
        let mut conn = options
            .connect()
            .await
            .map_err(|e| BackupError::NotADatabase {
                path: from.to_owned(),
                reason: e.to_string(),
            })?;
        let version: Result<Option<i64>, _> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
                .fetch_one(&mut conn)
                .await;
        let _ = conn.close().await;
        if let Err(e) = version {
            return Err(BackupError::NotADatabase {
                path: from.to_owned(),
                reason: e.to_string(),
            });
        }
    }
    let mut kept = None;
    if db.exists() {
        // What would be lost: the events after the backup's last.
        let backup_last = last_event(from).await?;
        let backup_seq = backup_last.as_ref().map_or(0, |(seq, _)| *seq);
        if let Some((current_seq, _)) = last_event(db).await?
            && current_seq > backup_seq
            && !force
        {
            return Err(BackupError::Newer {
                events: current_seq - backup_seq,
                since: backup_last.map_or_else(|| "it has none".to_owned(), |(_, at)| at),
            });
        }
        // A consistent copy of what is replaced, its WAL included.
        let at = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let copy = PathBuf::from(format!("{}.before-restore-{at}", db.display()));
        let options = SqliteConnectOptions::new().filename(db);
        let mut conn = options.connect().await.map_err(StoreError::from)?;
        sqlx::query("VACUUM INTO $1")
            .bind(copy.to_string_lossy().into_owned())
            .execute(&mut conn)
            .await
            .map_err(StoreError::from)?;
        let _ = conn.close().await;
        private(&copy)?;
        kept = Some(copy);
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(at("remove", &side))?;
        }
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(at("create the data folder", dir))?;
    }
    std::fs::copy(from, db).map_err(at("copy the backup to", db))?;
    // `copy` gives the backup's permissions; the database is its owner's.
    private(db)?;
    let store = Store::open(settings).await?;
    let verified =
        Audit::new(store.clone())
            .verify()
            .await
            .map_err(|e| BackupError::NotADatabase {
                path: from.to_owned(),
                reason: e.to_string(),
            })?;
    store.close().await;
    Ok(Restored { verified, kept })
}
