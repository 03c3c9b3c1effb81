//! The hash-chained audit on both backends: appends under contention,
//! filters, export, and tampering caught by `verify`.

use std::collections::BTreeSet;

use pstral_chat::Place;
use pstral_core::audit::{
    Actor, Audit, AuditFilter, ChainBreak, Event, EventKind, ExportFormat, NewEvent, Order,
};
use pstral_core::store::Store;
use serde_json::json;

use crate::on_both_backends;
use crate::support::TestDb;

fn place(platform: &str, channel: &str) -> Place {
    Place {
        platform: platform.parse().unwrap(),
        channel: channel.to_owned(),
        thread: None,
        private: false,
    }
}

async fn append_numbered(audit: &Audit, n: i64) {
    for i in 1..=n {
        audit
            .append(NewEvent::new(
                EventKind::Question,
                Actor::default(),
                json!({"n": i}),
            ))
            .await
            .unwrap();
    }
}

async fn all(audit: &Audit) -> Vec<Event> {
    audit
        .list(&AuditFilter::default(), Order::OldestFirst, 100_000)
        .await
        .unwrap()
}

/// Lifts the append-only triggers, as someone with full database access could.
async fn lift_triggers(db: &TestDb) {
    match db.store {
        Store::Sqlite(_) => {
            db.tamper(
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; \
                 DROP TRIGGER audit_events_link",
            )
            .await
        }
        Store::Postgres(_) => {
            db.tamper("ALTER TABLE audit_events DISABLE TRIGGER USER")
                .await
        }
    }
}

async fn broken_after(db: &TestDb, tampering: &str) -> Option<ChainBreak> {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 10).await;
    assert_eq!(
        audit.verify().await.unwrap().broken,
        None,
        "intact before tampering"
    );
    lift_triggers(db).await;
    db.tamper(tampering).await;
    audit.verify().await.unwrap().broken
}

async fn an_intact_chain_verifies(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    let empty = audit.verify().await.unwrap();
    assert_eq!((empty.checked, empty.broken), (0, None));
    append_numbered(&audit, 25).await;
    let v = audit.verify().await.unwrap();
    assert_eq!((v.checked, v.broken), (25, None));
    let events = all(&audit).await;
    assert_eq!(events[0].prev_hash, pstral_core::audit::GENESIS);
    for pair in events.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].seq, pair[0].seq + 1);
    }
}

async fn the_table_refuses_updates_and_deletes(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 2).await;
    for sql in [
        "UPDATE audit_events SET payload = '{}' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
    ] {
        let result = match &db.store {
            Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        };
        let err = result.expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(audit.verify().await.unwrap().broken, None);
}

async fn an_altered_event_is_named(db: TestDb) {
    let broken = broken_after(
        &db,
        r#"UPDATE audit_events SET payload = '{"n":99}' WHERE seq = 5"#,
    )
    .await;
    assert_eq!(broken, Some(ChainBreak::Altered { seq: 5 }));
    assert_eq!(
        broken.unwrap().to_string(),
        "event #5 was altered or moved: its content does not match its hash"
    );
}

async fn a_deleted_event_is_named(db: TestDb) {
    let broken = broken_after(&db, "DELETE FROM audit_events WHERE seq = 5").await;
    assert_eq!(broken, Some(ChainBreak::Missing { first: 5, last: 5 }));
    assert_eq!(broken.unwrap().to_string(), "event #5 was deleted");
}

async fn reordered_events_are_named(db: TestDb) {
    let broken = broken_after(
        &db,
        "UPDATE audit_events SET seq = -5 WHERE seq = 5; \
         UPDATE audit_events SET seq = 5 WHERE seq = 6; \
         UPDATE audit_events SET seq = 6 WHERE seq = -5",
    )
    .await;
    assert_eq!(broken, Some(ChainBreak::Altered { seq: 5 }));
}

async fn a_deleted_tail_is_named(db: TestDb) {
    let broken = broken_after(&db, "DELETE FROM audit_events WHERE seq >= 9").await;
    assert_eq!(
        broken,
        Some(ChainBreak::Truncated {
            last_present: 8,
            last_recorded: 10
        })
    );
}

/// A forger who knows the hash scheme re-hashes a replaced event: the next
/// event's link gives it away.
async fn a_replaced_and_rehashed_event_is_named(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 10).await;
    let mut forged = all(&audit).await.remove(4);
    forged.payload = r#"{"n":"forged"}"#.to_owned();
    forged.hash = forged.recompute_hash();
    lift_triggers(&db).await;
    db.tamper(&format!(
        "UPDATE audit_events SET payload = '{}', hash = '{}' WHERE seq = 5",
        forged.payload, forged.hash
    ))
    .await;
    let broken = audit.verify().await.unwrap().broken;
    assert_eq!(broken, Some(ChainBreak::OutOfOrder { seq: 6 }));
    assert!(
        broken
            .unwrap()
            .to_string()
            .contains("event #6 does not link to event #5")
    );
}

/// A forger lifts the triggers and appends a perfectly chained event with
/// plain SQL: the head the store keeps does not know it.
async fn an_event_inserted_behind_the_store_is_named(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 10).await;
    lift_triggers(&db).await;
    let mut forged = all(&audit).await.pop().unwrap();
    forged.prev_hash = forged.hash.clone();
    forged.seq = 11;
    forged.payload = r#"{"n":"forged"}"#.to_owned();
    forged.hash = forged.recompute_hash();
    db.tamper(&format!(
        "INSERT INTO audit_events (seq, at, user_id, identity, platform, channel, thread, private, kind, payload, prev_hash, hash) \
         SELECT 11, at, user_id, identity, platform, channel, thread, private, kind, '{}', '{}', '{}' \
         FROM audit_events WHERE seq = 10",
        forged.payload, forged.prev_hash, forged.hash
    ))
    .await;
    assert_eq!(
        audit.verify().await.unwrap().broken,
        Some(ChainBreak::Unrecorded { seq: 11 })
    );
}

/// A forger replaces the last event with a well-formed one: the head the store
/// keeps still names the original.
async fn a_replaced_last_event_is_named(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 10).await;
    let mut forged = all(&audit).await.pop().unwrap();
    forged.payload = r#"{"n":"forged"}"#.to_owned();
    forged.hash = forged.recompute_hash();
    lift_triggers(&db).await;
    db.tamper(&format!(
        "UPDATE audit_events SET payload = '{}', hash = '{}' WHERE seq = 10",
        forged.payload, forged.hash
    ))
    .await;
    assert_eq!(
        audit.verify().await.unwrap().broken,
        Some(ChainBreak::Replaced { seq: 10 })
    );
}

/// `verify` reads one snapshot: events a running bot appends meanwhile are
/// not mistaken for a truncated log.
async fn verify_is_not_fooled_by_appends_during_the_walk(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 1_500).await;
    let writer = {
        let audit = Audit::new(db.another_replica().await);
        tokio::spawn(async move { append_numbered(&audit, 300).await })
    };
    for _ in 0..5 {
        let v = audit.verify().await.unwrap();
        assert_eq!(v.broken, None, "after {} events", v.checked);
        assert!(v.checked >= 1_500);
    }
    writer.await.unwrap();
    assert_eq!(audit.verify().await.unwrap().checked, 1_800);
}

/// Appends inside transactions (user changes) and plain appends, at once,
/// from two pools: no deadlock, one chain.
async fn transactional_and_plain_appends_race(db: TestDb) {
    let replica = db.another_replica().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 {
            db.store.clone()
        } else {
            replica.clone()
        };
        tasks.push(tokio::spawn(async move {
            if i % 4 < 2 {
                let mut tx = store.begin().await.unwrap();
                Audit::append_in(
                    &mut tx,
                    NewEvent::new(EventKind::UserChanged, Actor::cli(), json!({"i": i})),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            } else {
                Audit::new(store)
                    .append(NewEvent::new(
                        EventKind::Answer,
                        Actor::default(),
                        json!({"i": i}),
                    ))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = Audit::new(db.store.clone()).verify().await.unwrap();
    assert_eq!((v.checked, v.broken), (40, None));
}

/// A head edited behind the store's back makes appends fail at once with a
/// clear error, not retry for ever.
async fn a_head_that_disagrees_with_the_log_fails_appends(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 3).await;
    db.tamper("UPDATE audit_head SET seq = 1").await;
    let fresh = Audit::new(db.store.clone());
    let err = fresh
        .append(NewEvent::new(
            EventKind::Answer,
            Actor::default(),
            json!({}),
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("run `pstral audit verify`"),
        "{err}"
    );
}

async fn two_hundred_concurrent_appenders_keep_one_chain(db: TestDb) {
    // On PostgreSQL, half the writers go through a second pool: two replicas.
    let replica = match db.store {
        Store::Postgres(_) => db.another_replica().await,
        Store::Sqlite(_) => db.store.clone(),
    };
    // Half the tasks share one writer, whose appends are combined; each of
    // the others has a writer of its own, as separate processes would, and
    // they collide on the head and retry.
    let shared = Audit::new(db.store.clone());
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let audit = match i % 4 {
                0 | 1 => shared.clone(),
                2 => Audit::new(db.store.clone()),
                _ => Audit::new(replica.clone()),
            };
            tokio::spawn(async move {
                audit
                    .append(NewEvent::new(
                        EventKind::Answer,
                        Actor::default(),
                        json!({"writer": i}),
                    ))
                    .await
                    .unwrap()
                    .seq
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    for t in tasks {
        seqs.insert(t.await.unwrap());
    }
    assert_eq!(seqs, (1..=200).collect::<BTreeSet<i64>>());
    let audit = Audit::new(db.store.clone());
    let writers: BTreeSet<String> = all(&audit).await.into_iter().map(|e| e.payload).collect();
    assert_eq!(writers.len(), 200, "every event is present");
    let v = audit.verify().await.unwrap();
    assert_eq!((v.checked, v.broken), (200, None));
}

/// A change audited in its transaction and plain appends, interleaved, still
/// make one chain.
async fn transactional_and_plain_appends_interleave(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    for round in 0..5 {
        audit
            .append(NewEvent::new(
                EventKind::Question,
                Actor::default(),
                json!({"round": round}),
            ))
            .await
            .unwrap();
        let mut tx = db.store.begin().await.unwrap();
        Audit::append_in(
            &mut tx,
            NewEvent::new(
                EventKind::UserChanged,
                Actor::cli(),
                json!({"round": round}),
            ),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let v = audit.verify().await.unwrap();
    assert_eq!((v.checked, v.broken), (10, None));
}

async fn events_are_found_by_each_filter(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    let dir = pstral_core::identity::Directory::new(
        db.store.clone(),
        pstral_core::config::Settings::defaults().identity,
        crate::support::CHAT_PLATFORMS,
    );
    let ana = dir
        .add_user("ana", pstral_core::identity::Role::Admin, Actor::cli())
        .await
        .unwrap();
    let as_ana = Actor {
        user_id: Some(ana.id),
        identity: Some("discord:1".parse().unwrap()),
    };
    let cases = [
        (
            EventKind::Question,
            as_ana.clone(),
            place("discord", "sales"),
            "Chiffre d'affaires 2025 ?",
        ),
        (
            EventKind::Answer,
            Actor::default(),
            place("discord", "sales"),
            "SELECT SUM(amount) FROM payments",
        ),
        (
            EventKind::Question,
            Actor::default(),
            place("matrix", "!ops:x"),
            "disk usage 50%_full",
        ),
        (
            EventKind::ExecuteRequested,
            as_ana.clone(),
            place("matrix", "!ops:x"),
            "run 1",
        ),
    ];
    for (kind, actor, place, text) in cases {
        audit
            .append(NewEvent::new(kind, actor, json!({"text": text})).at(place))
            .await
            .unwrap();
    }
    let seqs = |filter: AuditFilter| {
        let audit = audit.clone();
        async move {
            audit
                .list(&filter, Order::OldestFirst, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        }
    };
    // Event 1 is the creation of ana.
    assert_eq!(
        seqs(AuditFilter {
            user_id: Some(ana.id),
            ..Default::default()
        })
        .await,
        [2, 5]
    );
    assert_eq!(
        seqs(AuditFilter {
            kind: Some(EventKind::Question),
            ..Default::default()
        })
        .await,
        [2, 4]
    );
    assert_eq!(
        seqs(AuditFilter {
            platform: Some("matrix".into()),
            ..Default::default()
        })
        .await,
        [4, 5]
    );
    assert_eq!(
        seqs(AuditFilter {
            channel: Some("sales".into()),
            ..Default::default()
        })
        .await,
        [2, 3]
    );
    assert_eq!(
        seqs(AuditFilter {
            text: Some("chiffre D'AFFAIRES".into()),
            ..Default::default()
        })
        .await,
        [2]
    );
    assert_eq!(
        seqs(AuditFilter {
            text: Some("50%_".into()),
            ..Default::default()
        })
        .await,
        [4]
    );
    assert_eq!(
        seqs(AuditFilter {
            text: Some("5%".into()),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new(),
        "% is literal"
    );
    assert_eq!(
        seqs(AuditFilter {
            after_seq: Some(3),
            ..Default::default()
        })
        .await,
        [4, 5]
    );
    assert_eq!(
        seqs(AuditFilter {
            before_seq: Some(3),
            ..Default::default()
        })
        .await,
        [1, 2]
    );

    let events = all(&audit).await;
    let boundary = events[2].at;
    let expected_since: Vec<i64> = events
        .iter()
        .filter(|e| e.at >= boundary)
        .map(|e| e.seq)
        .collect();
    let expected_until: Vec<i64> = events
        .iter()
        .filter(|e| e.at < boundary)
        .map(|e| e.seq)
        .collect();
    assert_eq!(
        seqs(AuditFilter {
            since: Some(boundary),
            ..Default::default()
        })
        .await,
        expected_since
    );
    assert_eq!(
        seqs(AuditFilter {
            until: Some(boundary),
            ..Default::default()
        })
        .await,
        expected_until
    );
    assert!(expected_since.contains(&3) && !expected_until.contains(&3));

    let newest = audit
        .list(&AuditFilter::default(), Order::NewestFirst, 2)
        .await
        .unwrap();
    assert_eq!(newest.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 4]);
    assert_eq!(newest[0].user_name.as_deref(), Some("ana"));
}

async fn export_writes_every_event_page_after_page(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    // More than one page (1,000) of the reader.
    let mut tx = db.store.begin().await.unwrap();
    for i in 1..=1_205 {
        Audit::append_in(
            &mut tx,
            NewEvent::new(
                EventKind::Answer,
                Actor::default(),
                json!({"n": i, "text": "a, \"quoted\"\nline"}),
            ),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let mut jsonl = Vec::new();
    let written = audit
        .export(&AuditFilter::default(), ExportFormat::Jsonl, &mut jsonl)
        .await
        .unwrap();
    assert_eq!(written, 1_205);
    let lines: Vec<serde_json::Value> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1_205);
    assert_eq!(lines[1_204]["seq"], 1_205);
    assert_eq!(lines[0]["payload"]["text"], "a, \"quoted\"\nline");

    let mut csv_bytes = Vec::new();
    audit
        .export(&AuditFilter::default(), ExportFormat::Csv, &mut csv_bytes)
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    assert_eq!(reader.headers().unwrap().get(10), Some("payload"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1_205);
    let payload: serde_json::Value = serde_json::from_str(&records[7][10]).unwrap();
    assert_eq!(payload["n"], 8);

    let filtered = audit
        .export(
            &AuditFilter {
                after_seq: Some(1_200),
                ..Default::default()
            },
            ExportFormat::Csv,
            std::io::sink(),
        )
        .await
        .unwrap();
    assert_eq!(filtered, 5);
}

async fn run_sql(db: &TestDb, sql: &str) -> Result<(), String> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &db.store {
        Store::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
    }
    .map_err(|e| e.to_string())
}

async fn retention_removes_old_events_and_what_remains_still_verifies(db: TestDb) {
    let audit = Audit::new(db.store.clone());
    append_numbered(&audit, 5).await;
    let cut = chrono::Utc::now();
    // Stored times are compared, not read back: make sure the next ones are
    // later than the cut even on a coarse clock.
    while chrono::Utc::now() <= cut {
        tokio::task::yield_now().await;
    }
    append_numbered(&audit, 3).await;

    let (removed, through) = audit.prune(cut, Actor::cli()).await.unwrap().unwrap();
    assert_eq!((removed, through), (5, 5));
    let left = all(&audit).await;
    assert_eq!(left.first().unwrap().seq, 6, "events 1–5 are gone");
    let record = left.last().unwrap();
    assert_eq!(record.kind, "audit_pruned");
    let payload: serde_json::Value = serde_json::from_str(&record.payload).unwrap();
    assert_eq!(
        (payload["through"].clone(), payload["events"].clone()),
        (json!(5), json!(5))
    );
    let verified = audit.verify().await.unwrap();
    assert_eq!(verified.broken, None, "the chain that remains verifies");
    assert_eq!(verified.checked, 4);
    assert_eq!(
        audit.prune(cut, Actor::cli()).await.unwrap(),
        None,
        "nothing else is that old"
    );

    // After the anchor the log is as append-only as ever, and the anchor
    // moves only forward, onto an event of the chain.
    let refused = [
        "DELETE FROM audit_events WHERE seq = 6",
        "UPDATE audit_anchor SET seq = 2",
        "UPDATE audit_anchor SET seq = 7, hash = 'forged'",
        "DELETE FROM audit_anchor",
    ];
    for sql in refused {
        assert!(run_sql(&db, sql).await.is_err(), "{sql} was allowed");
    }
    assert_eq!(audit.verify().await.unwrap().broken, None);
    // Removing what remains behind the store's back is still caught.
    lift_triggers(&db).await;
    run_sql(&db, "DELETE FROM audit_events WHERE seq = 6")
        .await
        .unwrap();
    assert_eq!(
        audit.verify().await.unwrap().broken,
        Some(ChainBreak::Missing { first: 6, last: 6 })
    );
}

on_both_backends!(
    an_intact_chain_verifies,
    the_table_refuses_updates_and_deletes,
    an_altered_event_is_named,
    a_deleted_event_is_named,
    reordered_events_are_named,
    a_deleted_tail_is_named,
    a_replaced_and_rehashed_event_is_named,
    an_event_inserted_behind_the_store_is_named,
    two_hundred_concurrent_appenders_keep_one_chain,
    transactional_and_plain_appends_interleave,
    a_replaced_last_event_is_named,
    verify_is_not_fooled_by_appends_during_the_walk,
    transactional_and_plain_appends_race,
    a_head_that_disagrees_with_the_log_fails_appends,
    events_are_found_by_each_filter,
    export_writes_every_event_page_after_page,
    retention_removes_old_events_and_what_remains_still_verifies,
);
