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
    let restored = restore(&fresh, &backup, false).await.unwrap();
    assert_eq!(restored.kept, None, "nothing was there to keep");
    let verified = restored.verified;
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
    let refused = restore(&db.settings, &backup, false).await.unwrap_err();
    assert!(matches!(refused, BackupError::InUse), "{refused}");
    drop(running);

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let refused = restore(&db.settings, &junk, false).await.unwrap_err();
    assert!(
        matches!(refused, BackupError::NotADatabase { .. }),
        "{refused}"
    );
    let missing = restore(&db.settings, &dir.path().join("nope.db"), false)
        .await
        .unwrap_err();
    assert!(matches!(missing, BackupError::Missing(_)), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_keeps_what_it_replaces_and_asks_before_losing_newer_events() {
    use std::os::unix::fs::PermissionsExt as _;
    let db = TestDb::sqlite().await;
    let audit = Audit::new(db.store.clone());
    let event = || NewEvent::new(EventKind::Answer, Actor::default(), json!({}));
    audit.append(event()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    backup::backup(&db.store, &db.settings, &backup)
        .await
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&backup), 0o600, "a backup is its owner's alone");
    // Two events after the backup: restoring it would lose them.
    audit.append(event()).await.unwrap();
    audit.append(event()).await.unwrap();
    db.store.close().await;
    let refused = restore(&db.settings, &backup, false).await.unwrap_err();
    assert!(
        matches!(refused, BackupError::Newer { events: 2, .. }),
        "{refused}"
    );
    // Forced: restored, and what it replaced is kept, whole and private.
    let restored = restore(&db.settings, &backup, true).await.unwrap();
    assert_eq!(restored.verified.broken, None);
    assert_eq!(restored.verified.checked, 1);
    let kept = restored.kept.expect("the replaced database is kept");
    assert_eq!(mode(&kept), 0o600);
    let DatabaseUrl::Sqlite(own) = &db.settings.url else {
        unreachable!()
    };
    assert_eq!(
        mode(own),
        0o600,
        "the restored database is its owner's alone"
    );
    let mut settings = db.settings.clone();
    settings.url = DatabaseUrl::Sqlite(kept);
    let store = pstral_core::store::Store::open(&settings).await.unwrap();
    assert_eq!(Audit::new(store.clone()).count().await.unwrap(), 3);
    store.close().await;
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
    let err = restore(&db.settings, std::path::Path::new("/tmp/x.dump"), false)
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
