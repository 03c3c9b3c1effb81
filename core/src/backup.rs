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
    #[error("the own database is in use by a running pstral (run or chat); stop it first")]
    InUse,
    #[error("{path} is not a Pstral database: {reason}")]
    NotADatabase { path: PathBuf, reason: String },
    #[error("cannot copy: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
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
                .map_err(StoreError::Query)?;
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
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: Some(file) }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse),
            Err(std::fs::TryLockError::Error(e)) => Err(BackupError::Io(e)),
        }
    }
}

/// Replaces the SQLite own database with the backup at `from` (refusing while
/// a service uses it), migrates it if it is older, and verifies its audit.
///
/// # Errors
/// [`BackupError`]; for PostgreSQL, the `pg_restore` command to run instead.
pub async fn restore(
    settings: &DatabaseSettings,
    from: &Path,
) -> Result<Verification, BackupError> {
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
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            std::fs::remove_file(side)?;
        }
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, db)?;
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
    Ok(verified)
}
