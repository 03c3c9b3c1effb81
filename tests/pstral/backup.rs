//! Backups of the own database taken while it is written, restored into a
//! fresh store whose audit chain verifies; restores refused while in use.

use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::backup::{self, BackupError, ServiceLock, restore};
use pstral_core::store::DatabaseUrl;
use serde_json::json;

use crate::support::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_thousand_appends_restores_with_an_intact_chain() {
    let db = TestDb::sqlite().await;
    let audit = Audit::new(db.store.clone());
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let audit = audit.clone();
            tokio::spawn(async move {
                for i in 0..250 {
                    audit
                        .append(NewEvent::new(
                            EventKind::Answer,
                            Actor::default(),
                            json!({"w": w, "i": i}),
                        ))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    // Taken while the writers run: wait until some, not all, are in.
    while audit.count().await.unwrap() < 200 {
        tokio::task::yield_now().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    backup::backup(&db.store, &db.settings, &backup)
        .await
        .unwrap();
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(audit.count().await.unwrap(), 1000);

    let mut fresh = db.settings.clone();
    fresh.url = DatabaseUrl::Sqlite(dir.path().join("restored/own.db"));
    let verified = restore(&fresh, &backup).await.unwrap();
    assert_eq!(verified.broken, None);
    assert!(
        verified.checked >= 200 && verified.checked <= 1000,
        "{}",
        verified.checked
    );

    let again = backup::backup(&db.store, &db.settings, &backup)
        .await
        .unwrap_err();
    assert!(matches!(again, BackupError::Exists(_)), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_refuses_a_store_in_use_and_a_file_that_is_no_backup() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    backup::backup(&db.store, &db.settings, &backup)
        .await
        .unwrap();

    let running = ServiceLock::acquire(&db.settings).unwrap();
    let refused = restore(&db.settings, &backup).await.unwrap_err();
    assert!(matches!(refused, BackupError::InUse), "{refused}");
    drop(running);

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let refused = restore(&db.settings, &junk).await.unwrap_err();
    assert!(
        matches!(refused, BackupError::NotADatabase { .. }),
        "{refused}"
    );
    let missing = restore(&db.settings, &dir.path().join("nope.db"))
        .await
        .unwrap_err();
    assert!(matches!(missing, BackupError::Missing(_)), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_is_backed_up_and_restored_with_its_own_tools() {
    let db = TestDb::postgres().await;
    let err = backup::backup(&db.store, &db.settings, std::path::Path::new("/tmp/x.dump"))
        .await
        .unwrap_err();
    let BackupError::UsePostgresTools(command) = err else {
        panic!("{err}")
    };
    assert!(
        command.starts_with("pg_dump --format=custom --file /tmp/x.dump 'postgres://"),
        "{command}"
    );
    let err = restore(&db.settings, std::path::Path::new("/tmp/x.dump"))
        .await
        .unwrap_err();
    let BackupError::UsePostgresTools(command) = err else {
        panic!("{err}")
    };
    assert!(
        command.starts_with("pg_restore --clean --if-exists --dbname"),
        "{command}"
    );
}
