//! 1,000,000 rows × 6 columns from PostgreSQL to a CSV file through the
//! executor (read-only transaction, streaming, every value rendered as text),
//! against `psql -c "\copy (…) to 'f.csv' csv header"` of the same rows, in
//! the same run. Run with `cargo bench --bench sql_export` (PostgreSQL at
//! `PSTRAL_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/test).
//!
//! The executor side runs in a child process of its own, so that its peak RSS
//! (VmHWM) is its own; psql's is read the same way, through /proc, while it
//! runs… which a short-lived process makes unreliable, so psql's memory is
//! taken from `wait4`'s rusage via /usr/bin/time when present.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use pstral_core::sql::Dialect;
use pstral_core::sql::backend::{Executor, Limits, PostgresExecutor};
use pstral_core::sql::render::CsvSink;
use pstral_core::sql::validate::{Policy, validate};
use pstral_core::store::DatabaseUrl;
use support::TestDb;

const ROWS: u64 = 1_000_000;
const QUERY: &str = "SELECT id, name, amount, created, active, score FROM bench_rows";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], &args[i + 2]);
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(async {
        let db = TestDb::postgres().await;
        db.tamper(
            "CREATE TABLE bench_rows AS SELECT g::int8 AS id, 'client numéro ' || g AS name, \
             (g % 100000)::numeric(12,2) / 7 AS amount, \
             timestamptz '2025-01-01' + g * interval '1 second' AS created, g % 3 = 0 AS active, \
             g / 3.0::float8 AS score FROM generate_series(1, 1000000) g; ANALYZE bench_rows;",
        )
        .await;
        db
    });
    let DatabaseUrl::Postgres(url) = &db.settings.url else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    println!("{ROWS} rows × 6 columns, PostgreSQL → CSV file; median of 3 interleaved runs");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut rss = 0.0f64;
    let mut psql_rss = None;
    for round in 0..3 {
        let ours_file = dir.path().join(format!("ours{round}.csv"));
        let theirs_file = dir.path().join(format!("psql{round}.csv"));
        // Executor: a child process, so its peak RSS is its own.
        let started = Instant::now();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--child", url.as_str(), ours_file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ours.push(started.elapsed());
        let report = String::from_utf8(out.stdout).unwrap();
        rss = rss.max(report.trim().parse::<f64>().unwrap());
        // psql's \copy of the same query.
        let started = Instant::now();
        let copy = format!("\\copy ({QUERY}) to '{}' csv header", theirs_file.display());
        let timed = std::path::Path::new("/usr/bin/time").exists();
        let mut cmd = if timed {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "%M", "psql"]);
            c
        } else {
            Command::new("psql")
        };
        let out = cmd
            .args([url.as_str(), "-q", "-c", &copy])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        theirs.push(started.elapsed());
        if timed {
            let kb: Option<f64> = String::from_utf8_lossy(&out.stderr)
                .trim()
                .lines()
                .last()
                .and_then(|l| l.parse().ok());
            psql_rss = kb.map(|k| k / 1024.0).or(psql_rss);
        }
        let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().lines().count();
        assert_eq!(lines(&ours_file), lines(&theirs_file), "same rows");
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[1]
    };
    let (o, t) = (median(ours), median(theirs));
    println!(
        "executor {:.2} s, psql \\copy {:.2} s → {:.2}× psql's time; executor peak RSS {:.0} MB{}",
        o.as_secs_f64(),
        t.as_secs_f64(),
        o.as_secs_f64() / t.as_secs_f64(),
        rss,
        psql_rss
            .map(|r| format!(" (psql {r:.0} MB)"))
            .unwrap_or_default(),
    );
}

/// Streams the query to `file`; prints this process's peak RSS in MB.
fn child(url: &str, file: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let exec = PostgresExecutor::connect(url).await.unwrap();
        let query = validate(QUERY, &Policy::new(Dialect::Postgres)).unwrap();
        let out = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(file).unwrap());
        let mut csv = CsvSink::new(out, false).unwrap();
        let outcome = exec
            .run(
                &query,
                Limits::new(ROWS, Duration::from_secs(600)),
                &mut csv,
            )
            .await
            .unwrap();
        csv.finish().unwrap();
        assert_eq!(outcome.rows, ROWS);
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    println!("{}", kb / 1024.0);
}
