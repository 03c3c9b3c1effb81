//! Opening the own database: created on first start, WAL on SQLite, migrated
//! on both backends, and opening again changes nothing.

use pstral_core::store::{Backend, Store};

use crate::on_both_backends;
use crate::support::TestDb;

/// The newest migration compiled in.
pub fn latest_migration() -> i64 {
    let sqlite = pstral_core::store::SQLITE_MIGRATOR
        .iter()
        .map(|m| m.version)
        .max();
    let postgres = pstral_core::store::POSTGRES_MIGRATOR
        .iter()
        .map(|m| m.version)
        .max();
    assert_eq!(
        sqlite, postgres,
        "the two backends' migrations are kept in step"
    );
    sqlite.expect("at least one migration")
}

async fn opening_twice_migrates_once(db: TestDb) {
    assert_eq!(db.store.schema_version().await.unwrap(), latest_migration());
    let again = Store::open(&db.settings).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), latest_migration());
    let expected = match db.sqlite_path() {
        Some(_) => Backend::Sqlite,
        None => Backend::Postgres,
    };
    assert_eq!(again.backend(), expected);
    again.close().await;
}

on_both_backends!(opening_twice_migrates_once);

#[tokio::test]
async fn the_sqlite_file_is_created_with_its_directory_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = pstral_core::config::Settings::defaults().database;
    let path = dir.path().join("nested/deeper/own.db");
    settings.url = pstral_core::store::DatabaseUrl::Sqlite(path.clone());
    let store = Store::open(&settings).await.unwrap();
    assert!(path.exists());
    let Store::Sqlite(pool) = &store else {
        panic!("a sqlite: URL opens SQLite")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    store.close().await;
}
