//! Audit appends per second with the hash chain, against plain inserts of the
//! same rows into the same table without it, on SQLite and PostgreSQL, in one
//! run. Run with `cargo bench --bench audit_append` (PostgreSQL at
//! `PSTRAL_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/test).
//!
//! A custom harness rather than criterion: each sample is hundreds of
//! committed transactions against a database whose state grows, and what we
//! report is the ratio of two variants measured in interleaved rounds, which
//! criterion's per-iteration statistics do not give.
//!
//! - chain: `Audit::append` through one writer shared by the writer tasks, as
//!   in the bot: hash against the head it holds, one autocommitted INSERT
//!   (several rows when appends were made at once); a trigger checks the link
//!   and moves the head.
//! - plain: one autocommitted INSERT of the same row per event (hashes drawn
//!   at random), into the same table with the same indexes, without the
//!   trigger that checks the link and moves the head.
//!
//! Both commit once per event, as the audit must (an event is durable before
//! the action it records). SQLite runs in WAL with synchronous=FULL.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::store::Store;
use serde_json::json;
use support::TestDb;

const PER_ROUND: usize = 400;
const ROUNDS: usize = 5;

fn payload(i: usize) -> serde_json::Value {
    json!({"question": format!("Quels clients ont payé en retard en {}?", 2000 + i % 25), "n": i})
}

fn event(i: usize) -> NewEvent {
    NewEvent::new(EventKind::Question, Actor::default(), payload(i))
}

async fn chain(audit: &Audit, writers: usize, start: usize) -> Duration {
    let began = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            // One writer shared by every task, as in the bot's process.
            let audit = audit.clone();
            tokio::spawn(async move {
                for i in (w..PER_ROUND).step_by(writers) {
                    audit.append(event(start + i)).await.expect("append");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    began.elapsed()
}

async fn plain(store: &Store, writers: usize, start: usize) -> Duration {
    const SQL: &str = "INSERT INTO audit_events (seq, at, user_id, identity, platform, channel, \
        thread, private, kind, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let began = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in (w..PER_ROUND).step_by(writers) {
                    let n = start + i;
                    let seq = i64::try_from(n + 1).unwrap();
                    let payload = pstral_core::audit::canonical_json(&payload(n));
                    let (prev, hash) = (random_hex(), random_hex());
                    macro_rules! insert {
                        ($pool:expr) => {
                            sqlx::query(SQL)
                                .bind(seq)
                                .bind(chrono::Utc::now())
                                .bind(None::<i64>)
                                .bind(None::<String>)
                                .bind(None::<String>)
                                .bind(None::<String>)
                                .bind(None::<String>)
                                .bind(false)
                                .bind("question")
                                .bind(&payload)
                                .bind(&prev)
                                .bind(&hash)
                                .execute($pool)
                                .await
                                .map(drop)
                        };
                    }
                    match &store {
                        Store::Sqlite(pool) => insert!(pool),
                        Store::Postgres(pool) => insert!(pool),
                    }
                    .expect("insert");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    began.elapsed()
}

fn random_hex() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn compare(backend: &str, writers: usize) {
    let (chain_db, plain_db) = match backend {
        "sqlite" => (TestDb::sqlite().await, TestDb::sqlite().await),
        _ => (TestDb::postgres().await, TestDb::postgres().await),
    };
    // The baseline has no chain at all: without the trigger that checks each
    // link and moves the head, a plain insert takes any row.
    match backend {
        "sqlite" => plain_db.tamper("DROP TRIGGER audit_events_link").await,
        _ => {
            plain_db
                .tamper("DROP TRIGGER audit_events_link ON audit_events")
                .await
        }
    }
    let audit = Audit::new(chain_db.store.clone());
    // Warm both (connections, statement caches, file growth) off the clock.
    chain(&audit, writers, 0).await;
    plain(&plain_db.store, writers, 0).await;
    let (mut with_chain, mut without) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let start = round * PER_ROUND;
        // Alternate which goes first, so drift in the machine's load is shared.
        if round % 2 == 0 {
            with_chain.push(chain(&audit, writers, start).await);
            without.push(plain(&plain_db.store, writers, start).await);
        } else {
            without.push(plain(&plain_db.store, writers, start).await);
            with_chain.push(chain(&audit, writers, start).await);
        }
    }
    let (c, p) = (median(with_chain), median(without));
    let rate = |d: Duration| PER_ROUND as f64 / d.as_secs_f64();
    println!(
        "{backend:<8} {writers:>2} writer(s): chain {:>7.0} appends/s, plain {:>7.0} inserts/s, chain/plain time = {:.2} ({:+.0} %)",
        rate(c),
        rate(p),
        c.as_secs_f64() / p.as_secs_f64(),
        (c.as_secs_f64() / p.as_secs_f64() - 1.0) * 100.0
    );
    let verified = Audit::new(chain_db.store.clone()).verify().await.unwrap();
    assert_eq!(verified.broken, None, "the benchmarked chain verifies");
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and
    // should not spend minutes here.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!(
            "audit appends, median of {ROUNDS} interleaved rounds of {PER_ROUND} committed events"
        );
        for backend in ["sqlite", "postgres"] {
            for writers in [1, 8] {
                compare(backend, writers).await;
            }
        }
    });
}
