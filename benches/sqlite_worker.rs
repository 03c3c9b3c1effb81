//! What running a SQLite statement in a worker process costs per click:
//! the same small statements through the executor (the `pstral` binary
//! started again as a worker, its rows sent back as JSON lines) against the
//! same statements on a read-only connection in this process (how the
//! executor ran them before the worker), in the same run. Run with
//! `cargo bench --bench sqlite_worker`.

use std::time::{Duration, Instant};

use pstral_core::sql::Dialect;
use pstral_core::sql::backend::{Executor, Limits, SqliteExecutor, use_worker_program};
use pstral_core::sql::render::Preview;
use pstral_core::sql::validate::{Policy, validate};
use sqlx::{Connection as _, Row as _};

const ROUNDS: usize = 40;

/// A click of one row, one of 15 rows and one of 600 rows of the demo CRM.
const STATEMENTS: &[&str] = &[
    "SELECT count(*) AS n FROM clients",
    "SELECT company, city FROM clients ORDER BY company LIMIT 15",
    "SELECT * FROM clients",
];

fn main() {
    use_worker_program(env!("CARGO_BIN_EXE_pstral"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    runtime.block_on(async {
        pstral_core::sql::demo::create(&path, false).await.unwrap();
        let worker = SqliteExecutor::open(&path).await.unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true);
        let mut in_process = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        let policy = Policy::new(Dialect::Sqlite);
        println!("| statement | in this process, median ms | in a worker, median ms | worker − in process, ms | ratio |");
        println!("|---|---|---|---|---|");
        for sql in STATEMENTS {
            let query = validate(sql, &policy).unwrap();
            let mut before = Vec::new();
            let mut after = Vec::new();
            // Alternated, so that both see the same load.
            for _ in 0..ROUNDS {
                let started = Instant::now();
                let rows = sqlx::query(sqlx::AssertSqlSafe(query.text.clone()))
                    .fetch_all(&mut in_process)
                    .await
                    .unwrap();
                let cells: usize = rows.iter().map(|r| r.len()).sum();
                assert!(cells > 0);
                before.push(started.elapsed());
                let started = Instant::now();
                let mut preview = Preview::new(1000);
                worker
                    .run(
                        &query,
                        Limits::new(10_000, Duration::from_secs(10)),
                        &mut preview,
                    )
                    .await
                    .unwrap();
                after.push(started.elapsed());
            }
            let (b, a) = (median(&mut before), median(&mut after));
            println!(
                "| {sql} | {:.2} | {:.2} | {:.2} | {:.1} |",
                ms(b),
                ms(a),
                ms(a) - ms(b),
                ms(a) / ms(b)
            );
        }
    });
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
