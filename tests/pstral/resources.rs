//! One query cannot exhaust the bot or the database: statements the
//! validator accepts but that would build huge values, fill the temporary
//! disk or run for ever end with a readable message, through `pstral sql
//! run` (the same executor and limits as a click), whose peak memory is
//! measured by the kernel. And the target's account is checked, not
//! trusted: a superuser is refused by `pstral check` and at start; the
//! pooled connection holds no lock after a query took one.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use pstral_core::config::Settings;
use pstral_core::sql::Dialect;
use pstral_core::sql::backend::{Executor, Limits, PostgresExecutor};
use pstral_core::sql::render::Preview;
use pstral_core::sql::validate::{Policy, validate};
use pstral_core::sql::{Target, TargetKind};
use pstral_core::store::DatabaseUrl;
use serde_json::Value;

use crate::support::{Serving, TestDb, pg_admin_url};

mod held_in_memory;
mod long_values;
mod weighing;

/// The most a query may make the bot's process hold.
const PEAK_MEMORY_BYTES: u64 = 300 * 1024 * 1024;

/// What `pstral sql run` did with one statement.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The process's peak resident memory, from the kernel.
    peak_bytes: u64,
}

/// Forks and runs its arguments, waits, writes the child's peak resident
/// memory (KiB) to the file named first, and exits as the child did.
const MEASURE: &str = "import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], 'w').write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
";

/// Runs `sql` with `pstral sql run` in `dir` under the configuration file
/// `config`, and measures the process's peak memory. The peak is taken by a
/// small parent of its own (python3, which scripts/synapse needs anyway): a
/// child spawned by this test process would be charged this process's own
/// peak, which Linux folds into a vfork'ed child's at exec; python's few
/// MiB, copied by its fork, only make the figure higher.
fn sql_run(dir: &std::path::Path, config: &std::path::Path, sql: &str) -> Ran {
    let peak_file = dir.join("peak-kib");
    let mut child = Command::new("python3")
        .args([
            "-c",
            MEASURE,
            peak_file.to_str().unwrap(),
            env!("CARGO_BIN_EXE_pstral"),
            "--config",
            config.to_str().unwrap(),
            "sql",
            "run",
            "-",
        ])
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("PSTRAL_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs the measured child");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = child.wait().unwrap();
    let peak_kib: u64 = std::fs::read_to_string(&peak_file)
        .expect("the measuring parent wrote the peak")
        .trim()
        .parse()
        .unwrap();
    Ran {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        // Linux reports ru_maxrss in KiB.
        peak_bytes: peak_kib * 1024,
    }
}

/// A table `docs` of `count` documents of 10 MB (`doc 1`, …), compressed
/// out of line to a few hundred kilobytes: 18 bytes each in the plan.
fn documents(count: usize) -> String {
    format!(
        "CREATE TABLE docs AS SELECT g AS id, 'doc ' || g AS title, \
         repeat(md5(g::text), 312500) AS body FROM generate_series(1, {count}) g;"
    )
}

/// Asserts that each statement ran.
fn assert_all_run<S: AsRef<str>>(
    ran: impl Fn(&str) -> Ran,
    statements: impl IntoIterator<Item = S>,
) {
    for sql in statements {
        let sql = sql.as_ref();
        let accepted = ran(sql);
        assert_eq!(accepted.code, Some(0), "{sql}: {}", accepted.stderr);
    }
}

/// Asserts that each statement was refused, for `reason`.
fn assert_all_refused<S: AsRef<str>>(
    ran: impl Fn(&str) -> Ran,
    statements: impl IntoIterator<Item = S>,
    reason: &str,
) {
    for sql in statements {
        let sql = sql.as_ref();
        let refused = ran(sql);
        assert_eq!(refused.code, Some(1), "{sql}: {}", refused.stderr);
        assert!(refused.stderr.contains(reason), "{sql}: {}", refused.stderr);
    }
}

/// `pstral check` on `config`, run in `dir`, off the async runtime.
fn pstral_check(
    config: std::path::PathBuf,
    dir: std::path::PathBuf,
) -> tokio::task::JoinHandle<std::process::Output> {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_pstral"))
            .args(["--config", config.to_str().unwrap(), "check"])
            .current_dir(dir)
            .env_remove("PSTRAL_CONFIG")
            .output()
            .unwrap()
    })
}

fn write_config(dir: &std::path::Path, target: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("pstral.toml");
    std::fs::write(
        &path,
        format!(
            "[database]\nurl = \"sqlite:{}\"\n[sql]\ntarget = \"lab\"\n{extra}\n[sql.targets.lab]\nurl = \"{target}\"\n",
            dir.join("own.db").display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn sqlite_attacks_on_memory_and_disk_end_with_a_readable_message() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.db");
    let made = Command::new(env!("CARGO_BIN_EXE_pstral"))
        .args(["demo", "init", "--path", demo.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let config = write_config(
        dir.path(),
        &format!("sqlite:{}", demo.display()),
        "timeout = \"8s\"\nmax_temp_mib = 16",
    );
    // A size the statement does not write out, or a value built past any
    // bound in steps (a CTE's column concatenated with itself, 16 copies of
    // it in a row), is SQLite's to bound and its worker's: each ends with
    // its rows or a readable message, the bot under its memory bound. What
    // the statement is stays the validator's (a function not known to be
    // harmless, a statement past its length).
    let p25 = vec!["p"; 25].join(" || ");
    let built = |columns: &str| {
        let wide = (1..=128)
            .map(|i| format!("{columns} AS c{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40), \
             v(p) AS (SELECT printf('%.10000c', 'x')) SELECT {wide} FROM n, v"
        )
    };
    let p30 = vec!["p"; 30].join(" || ");
    for (sql, ended) in [
        // SQLite writes nothing for a width past its value limit.
        (
            "SELECT length(printf('%.*c', 1000000000, 'x')) AS n FROM clients LIMIT 1".to_owned(),
            None,
        ),
        (
            "SELECT ltrim(printf('%.400000c', 'x'), printf('%.40000c', 'y'))".to_owned(),
            None,
        ),
        (
            format!("WITH v(p) AS (SELECT printf('%.10000c', 'x')) SELECT {p30} FROM v"),
            Some("string or blob too big"),
        ),
        // 40 rows of 128 values of 10,000 characters, written as they come.
        (built("p"), None),
        (
            "SELECT json_group_array(a.company || b.company) FROM clients a, clients b".to_owned(),
            Some("refused: it calls json_group_array"),
        ),
        (
            built(&p25),
            Some("refused: it goes past what a query may do"),
        ),
    ] {
        let ran = sql_run(dir.path(), &config, &sql);
        match ended {
            None => assert_eq!(ran.code, Some(0), "{sql}: {}", ran.stderr),
            Some(said) => {
                assert_eq!(ran.code, Some(1), "{sql}: {}", ran.stderr);
                assert!(ran.stderr.contains(said), "{sql}: {}", ran.stderr);
            }
        }
        assert!(
            ran.peak_bytes < PEAK_MEMORY_BYTES,
            "{sql}: peak {} MiB",
            ran.peak_bytes >> 20
        );
    }
    // What can still be built: each value within the bound, as many
    // columns as allowed (each a value of its own), many rows, a reader
    // (the CSV file) slower than SQLite: the rows in flight stay few.
    let distinct = |count: usize| {
        let columns = (1..=count)
            .map(|i| format!("printf('%.10000c', 'x') AS c{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) \
             SELECT {columns} FROM n"
        )
    };
    let ran = sql_run(dir.path(), &config, &distinct(128));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.peak_bytes < PEAK_MEMORY_BYTES,
        "wide rows: peak {} MiB",
        ran.peak_bytes >> 20
    );
    let too_many = sql_run(dir.path(), &config, &distinct(200));
    assert!(
        too_many.stderr.contains("too many columns"),
        "{}",
        too_many.stderr
    );
    let cases = [
        // One value past the bound: SQLite refuses to build it.
        // An aggregate past the bound stops growing, and SQLite says so only
        // at the end of the scan: memory stays flat, the time limit ends it.
        (
            "SELECT length(group_concat(a.company || b.company || c.company)) FROM clients a, clients b, clients c",
            "ran longer than 8s",
        ),
        // A value of the data past the connection's bound.
        (
            "SELECT length(group_concat(a.company || b.company)) FROM clients a, clients b",
            "string or blob too big",
        ),
        // Calls SQLite cannot interrupt (each trims 240,000 characters by
        // a set of 18,001, some 8 s): its worker is killed at the deadline.
        (
            "WITH h(s) AS (SELECT group_concat('x', '') FROM clients a, clients b WHERE b.id <= 400), \
             t(s) AS (SELECT group_concat('y', '') || 'x' FROM clients a, clients b WHERE b.id <= 30) \
             SELECT length(ltrim(h.s, t.s)) + length(rtrim(h.s, t.s)) + length(trim(h.s, t.s)) AS n \
             FROM h, t",
            "ran longer than 8s",
        ),
        // A sort of 216 million rows spills to temporary files.
        (
            "SELECT a.company, b.company, c.company FROM clients a, clients b, clients c ORDER BY 3, 2, 1",
            "more than 16 MiB of temporary disk",
        ),
        // A recursive UNION keeps every row it has seen, on disk.
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT count(*) FROM r",
            "more than 16 MiB of temporary disk",
        ),
    ];
    for (sql, expected) in cases {
        let ran = sql_run(dir.path(), &config, sql);
        assert_eq!(ran.code, Some(1), "{sql}: {}", ran.stderr);
        assert!(ran.stderr.contains(expected), "{sql}: {}", ran.stderr);
        assert!(
            ran.peak_bytes < PEAK_MEMORY_BYTES,
            "{sql}: peak {} MiB",
            ran.peak_bytes >> 20
        );
    }
    // The longest statement, every byte escaped in the audit's JSON: one
    // click still adds at most 64 KiB to the own database.
    let own_bytes = || -> u64 {
        ["own.db", "own.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).map_or(0, |m| m.len()))
            .sum()
    };
    let quotes = |n: usize| format!("SELECT 1 AS x /* {} */", "\"".repeat(n));
    let longest = quotes(pstral_core::sql::validate::MAX_STATEMENT_BYTES - 20);
    assert_eq!(
        longest.len(),
        pstral_core::sql::validate::MAX_STATEMENT_BYTES
    );
    let before = own_bytes();
    let ran = sql_run(dir.path(), &config, &longest);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let grown = own_bytes().saturating_sub(before);
    assert!(grown <= 64 * 1024, "the own database grew by {grown} bytes");
    let ran = sql_run(dir.path(), &config, &quotes(20_000));
    assert!(ran.stderr.starts_with("refused:"), "{}", ran.stderr);
    // No temporary file is left behind.
    let ran = sql_run(dir.path(), &config, "SELECT COUNT(*) AS n FROM clients");
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.stdout, "n\r\n600\r\n");
}

/// A bot set up to Execute on a [`ReadOnlyTarget`] through `pstral sql run`.
struct Clicks {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Clicks {
    fn run(&self, sql: &str) -> Ran {
        sql_run(self.dir.path(), &self.config, sql)
    }
}

/// A database of its own with a login role that may only read it; dropped
/// with the value.
struct ReadOnlyTarget {
    db: TestDb,
    role: String,
    url: url::Url,
}

impl ReadOnlyTarget {
    async fn new(setup: &str) -> Self {
        let db = TestDb::postgres().await;
        db.tamper(setup).await;
        let DatabaseUrl::Postgres(admin) = &db.settings.url else {
            unreachable!()
        };
        let role = format!("reader_{}", admin.path().trim_start_matches('/'));
        db.tamper(&format!(
            "CREATE ROLE \"{role}\" LOGIN; \
             GRANT USAGE ON SCHEMA public TO \"{role}\"; \
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{role}\";"
        ))
        .await;
        let mut url = admin.clone();
        url.set_username(&role).unwrap();
        url.set_password(None).unwrap();
        Self { db, role, url }
    }

    /// A bot's configuration in a folder of its own, Executing on this
    /// target as its SELECT-only role.
    fn clicks(&self) -> Clicks {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), self.url.as_str(), "");
        Clicks { dir, config }
    }

    /// The DBA's bound on temporary files, as OPERATING.md documents it.
    async fn limit_temp_files(&self, limit: &str) {
        self.db
            .tamper(&format!(
                "ALTER ROLE \"{}\" SET temp_file_limit = '{limit}'",
                self.role
            ))
            .await;
    }

    async fn drop_role(self) {
        let role = self.role.clone();
        self.db.tamper(&format!("DROP OWNED BY \"{role}\"")).await;
        drop(self.db);
        use sqlx::Connection as _;
        let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
        // The database is gone with the TestDb; the role is cluster-wide.
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP ROLE IF EXISTS \"{role}\""
        )))
        .execute(&mut admin)
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_attacks_end_with_a_readable_message_and_no_value_fills_the_bot() {
    let target = ReadOnlyTarget::new(
        "CREATE TABLE clients AS SELECT g AS id, md5(g::text) AS nom FROM generate_series(1, 3000) g; \
         CREATE TABLE notes AS SELECT 1 AS id, repeat(md5('x'), 3200) AS body;",
    )
    .await;
    target.limit_temp_files("8MB").await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), target.url.as_str(), "timeout = \"5s\"");
    let dir_path = dir.path().to_owned();
    let ran = |sql: &'static str| {
        let dir = dir_path.clone();
        let config = config.clone();
        tokio::task::spawn_blocking(move || sql_run(&dir, &config, sql))
    };

    // A size past the bound, or computed, or a value built past the bound
    // in steps, is refused before anything runs (the planner would fold it
    // on constants, at the offer's EXPLAIN).
    for sql in [
        "SELECT repeat('x', 500000000) AS big",
        "SELECT CAST(repeat('A', 100000000) AS integer)",
        "SELECT CAST(string_agg(nom, '') AS integer) FROM clients",
        "SELECT lpad('x', (SELECT max(id) FROM clients))",
        "WITH v AS (SELECT repeat('x', 10000) AS p) SELECT p || p || p || p || p AS big FROM v",
        "WITH a AS (SELECT repeat('x', 10000) s), b AS (SELECT s || s s FROM a), c AS (SELECT s || s s FROM b) \
         SELECT length(s) FROM c",
        "WITH RECURSIVE r(s, n) AS (SELECT 'x'::text, 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 29) \
         SELECT max(length(s)) FROM r",
    ] {
        let out = ran(sql).await.unwrap();
        assert_eq!(out.code, Some(1), "{sql}: {}", out.stderr);
        assert!(out.stderr.starts_with("refused:"), "{sql}: {}", out.stderr);
    }
    // An error that echoes a value the query read (a hundred kilobytes of
    // the table's data here) is cut where the bot reads it: what it prints
    // and audits stays small, and the audit says it was cut. (A value
    // gathered from rows is never read as another type: refused above.)
    let own_bytes = |dir: &std::path::Path| -> u64 {
        ["own.db", "own.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.join(f)).map_or(0, |m| m.len()))
            .sum()
    };
    // The own database exists (and is migrated) before the measure.
    let first = ran("SELECT count(*) AS n FROM clients").await.unwrap();
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let own_before = own_bytes(dir.path());
    let echo = "SELECT CAST(body AS integer) FROM notes";
    let out = ran(echo).await.unwrap();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("invalid input syntax"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("…[cut from "), "{}", out.stderr);
    assert!(out.stderr.len() < 4_000, "{} bytes", out.stderr.len());
    let own_after = own_bytes(dir.path());
    assert!(
        own_after.saturating_sub(own_before) <= 64 * 1024,
        "the own database grew by {} bytes",
        own_after - own_before
    );
    let own = sqlx::SqlitePool::connect(&format!("sqlite:{}", dir.path().join("own.db").display()))
        .await
        .unwrap();
    let cut: Option<bool> = sqlx::query_scalar(
        "SELECT json_extract(payload, '$.error_cut') = 1 FROM audit_events \
         WHERE kind = 'execute_result' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&own)
    .await
    .unwrap();
    assert_eq!(cut, Some(true));
    own.close().await;
    // Values of half a megabyte, built by the server: what reaches the bot
    // is cut to a cell.
    // Arithmetic on a number of 10,000 digits is refused (a logarithm of
    // such a number runs for seconds in one call): written out, at most
    // 1,000 digits.
    let digits = ran(
        "WITH n AS (SELECT repeat('9', 10000)::numeric + 0.1234567890123456 AS v) \
         SELECT v AS c1, v AS c2, v AS c3, v AS c4, v AS c5, v AS c6, v AS c7, v AS c8 FROM n",
    )
    .await
    .unwrap();
    assert_eq!(digits.code, Some(1), "{}", digits.stderr);
    assert!(digits.stderr.contains("digits"), "{}", digits.stderr);
    // A statement builds 20,000 characters at most in all (the planner
    // writes each folded value into its plan): eight columns of it are
    // refused before the offer, one is cut to a cell.
    let wide = ran("WITH n AS (SELECT repeat('9', 10000)::numeric AS v) \
         SELECT v AS c1, v AS c2, v AS c3, v AS c4, v AS c5, v AS c6, v AS c7, v AS c8 FROM n")
    .await
    .unwrap();
    assert_eq!(wide.code, Some(1), "{}", wide.stderr);
    assert!(wide.stderr.contains("in all"), "{}", wide.stderr);
    // NUMERIC holds up to 147,000 digits: one longer than a cell is
    // written in scientific notation, its digits cut to the cell.
    let nines = ran("WITH n AS (SELECT repeat('9', 10000)::numeric AS v) SELECT v AS c1 FROM n")
        .await
        .unwrap();
    assert_eq!(nines.code, Some(0), "{}", nines.stderr);
    assert!(
        nines.stdout.starts_with("c1\r\n9.999") && nines.stdout.contains("9…e+9999"),
        "{}",
        nines.stdout
    );
    assert!(nines.stdout.len() < 100_000, "{} bytes", nines.stdout.len());
    for sql in [
        "SELECT string_agg(nom, ',') AS big FROM clients a, (SELECT 1 FROM generate_series(1, 10)) b",
    ] {
        let out = ran(sql).await.unwrap();
        assert_eq!(out.code, Some(0), "{sql}: {}", out.stderr);
        assert!(out.stdout.contains("…[truncated]"), "{sql}");
        assert!(
            out.stdout.len() < 100_000,
            "{sql}: {} bytes",
            out.stdout.len()
        );
        assert!(
            out.peak_bytes < PEAK_MEMORY_BYTES,
            "{sql}: peak {} MiB",
            out.peak_bytes >> 20
        );
    }
    // What gathers rows into one value (which no server setting bounds
    // while it grows) is weighed before it runs: by the planner's estimate
    // where it rests on what the planner knows, by the worse case where it
    // guesses (a join filter, a series of computed length, a recursion).
    for sql in [
        "SELECT string_agg(nom, ',') AS big FROM clients a, (SELECT 1 FROM generate_series(1, 1000)) b",
        "SELECT length(jsonb_agg(a.nom || b.nom)::text) FROM clients a, clients b",
        "SELECT array_length(ARRAY(SELECT a.nom FROM clients a, clients b), 1)",
        // Guessed to keep 0.5 % of nine million pairs; keeps them all.
        "SELECT length(string_agg(a.nom || b.nom, ',')) FROM clients a, clients b \
         WHERE length(a.nom || b.nom) = length(b.nom || a.nom)",
        "SELECT length(string_agg(g::text, ',')) FROM generate_series(1, (SELECT max(id) FROM clients) * 100000) g",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000) \
         SELECT length(string_agg(n::text, ',')) FROM r",
        // Four bytes a row read, a thousand gathered (1.9 GiB in the
        // backend before); a jsonb node per integer, 80 bytes each (1.3 GiB).
        "SELECT length(string_agg(repeat('x', 1000), ',')) FROM generate_series(1, 1000000)",
        "SELECT jsonb_array_length(jsonb_agg(g)) FROM generate_series(1, 16000000) g",
        // A series of timestamps or numerics, whose rows the planner guesses
        // (a thousand) whatever its span: a century of seconds, gathered
        // from the select list, took a backend to 3.4 GiB.
        "SELECT jsonb_array_length(jsonb_agg(g)) AS a FROM (SELECT generate_series(timestamp \
         '2000-01-01', timestamp '2100-01-01', interval '1 second') AS g) s",
        "SELECT jsonb_array_length(jsonb_agg(g)) AS n FROM (SELECT generate_series(1::numeric, \
         1000000000::numeric) AS g) s",
    ] {
        let out = ran(sql).await.unwrap();
        assert_eq!(out.code, Some(1), "{sql}: {}", out.stderr);
        assert!(
            out.stderr.contains("gathers rows into one value"),
            "{sql}: {}",
            out.stderr
        );
        assert!(out.peak_bytes < PEAK_MEMORY_BYTES, "{sql}");
    }
    // What the planner knows stays accepted: a table read whole, whatever
    // its filter, and an equality of columns.
    for sql in [
        "SELECT length(string_agg(nom, ',')) AS n FROM clients WHERE length(nom) = length(nom)",
        "SELECT a.id % 10 AS k, length(string_agg(b.nom, ',')) AS n FROM clients a \
         JOIN clients b ON b.id = a.id GROUP BY 1",
    ] {
        let out = ran(sql).await.unwrap();
        assert_eq!(out.code, Some(0), "{sql}: {}", out.stderr);
    }
    for (sql, expected) in [
        // Nine billion rows to sort: the DBA's temp_file_limit stops it.
        (
            "SELECT a.nom, b.nom, c.nom FROM clients a, clients b, clients c ORDER BY 1, 2, 3",
            "temp_file_limit",
        ),
        // Endless recursion keeps its work table on disk: the same bound.
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
            "temp_file_limit",
        ),
        // 27 billion rows counted, nothing kept: the time limit.
        (
            "SELECT count(*) FROM clients a, clients b, clients c",
            "ran longer than 5s",
        ),
    ] {
        let out = ran(sql).await.unwrap();
        assert_eq!(out.code, Some(1), "{sql}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{sql}: {}", out.stderr);
        assert!(out.peak_bytes < PEAK_MEMORY_BYTES, "{sql}");
    }
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_taken_by_a_query_does_not_outlive_it_on_the_pooled_connection() {
    let target = ReadOnlyTarget::new("CREATE TABLE t (x int);").await;
    let exec = PostgresExecutor::connect(target.url.as_str())
        .await
        .unwrap();
    // Suppose a function slipped through (here: allowed by hand): a
    // session-level advisory lock survives the rollback of the query's
    // transaction, unless the connection is cleared before reuse.
    let mut policy = Policy::new(Dialect::Postgres);
    policy.allowed_functions = vec!["pg_advisory_lock".to_owned()];
    let query = validate("SELECT pg_advisory_lock(424242)", &policy).unwrap();
    exec.run(
        &query,
        Limits::new(10, Duration::from_secs(5)),
        &mut Preview::new(100),
    )
    .await
    .unwrap();
    let pstral_core::store::Store::Postgres(pool) = &target.db.store else {
        unreachable!()
    };
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(held, 0, "the lock was released with the query");
    drop(exec);
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privileged_account_is_refused_at_start_and_by_check_unless_allowed() {
    let db = TestDb::postgres().await;
    db.tamper("CREATE TABLE clients (id int);").await;
    let DatabaseUrl::Postgres(superuser) = db.settings.url.clone() else {
        unreachable!()
    };
    // At start: the bot runs, Execute does not, and /readyz says why.
    let own = TestDb::sqlite().await;
    let mut settings = Settings::defaults();
    settings.database = own.settings.clone();
    settings.sql.target = Target {
        name: "crm".into(),
        kind: TargetKind::Postgres(DatabaseUrl::Postgres(superuser.clone())),
        instructions_file: None,
        semantic: Default::default(),
        today: None,
        weigh_plans: true,
        accounts: Vec::new(),
    };
    settings.sql.policy.dialect = Dialect::Postgres;
    let token = crate::support::admin_token(&own, "ana", None).await;
    // The target's check in /readyz, as an admin sees it.
    let readyz = |base: String, token: String| async move {
        reqwest::Client::new()
            .get(format!("{base}/readyz"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "target crm")
            .unwrap()
            .clone()
    };
    let serving = Serving::start(settings.clone()).await;
    let target = readyz(serving.base.clone(), token.clone()).await;
    assert_eq!(target["state"], "down", "{target}");
    assert!(
        target["error"].as_str().unwrap().contains("superuser"),
        "{target}"
    );
    serving.stop().await;

    // Allowed knowingly: it runs, and says so.
    settings.sql.allow_privileged_account = true;
    let serving = Serving::start(settings).await;
    let target = readyz(serving.base.clone(), token.clone()).await;
    assert_eq!(target["state"], "up", "{target}");
    assert!(
        target["warnings"][0]
            .as_str()
            .unwrap()
            .contains("privileged account"),
        "{target}"
    );
    serving.stop().await;

    // pstral check asks the target.
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), superuser.as_str(), "");
    let check = |config: std::path::PathBuf| pstral_check(config, dir.path().to_owned());
    let out = check(config).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sql.targets.lab") && err.contains("superuser"),
        "{err}"
    );

    let reader = ReadOnlyTarget::new("CREATE TABLE clients (id int);").await;
    let config = write_config(dir.path(), reader.url.as_str(), "");
    let out = check(config).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("temp_file_limit is not set"), "{said}");
    reader.limit_temp_files("1GB").await;
    reader
        .db
        .tamper(&format!("GRANT INSERT ON clients TO \"{}\"", reader.role))
        .await;
    let config = write_config(dir.path(), reader.url.as_str(), "");
    let out = check(config).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("can write to public.clients"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    reader.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_value_hints_come_from_the_statistics_of_columns_that_sort_rows() {
    use pstral_core::sql::backend::{Executor as _, PostgresExecutor};
    let target = ReadOnlyTarget::new(
        "CREATE TABLE clients AS SELECT g AS id, 'client ' || g AS nom, \
             (ARRAY['actif', 'clos', 'résilié'])[g % 3 + 1] AS statut, \
             (g % 7)::text AS code \
         FROM generate_series(1, 3000) g; \
         ANALYZE clients;",
    )
    .await;
    let executor = PostgresExecutor::connect(target.url.as_str())
        .await
        .unwrap();
    let catalog = executor.catalog(&[]).await.unwrap();
    let values = executor.values(&catalog).await.unwrap();
    let columns: Vec<(&str, &str)> = values
        .iter()
        .map(|v| (v.table.as_str(), v.column.as_str()))
        .collect();
    // A name per row identifies; digits name nothing.
    assert_eq!(columns, [("clients", "statut")]);
    assert_eq!(values[0].values, ["actif", "clos", "résilié"]);
    drop(executor);
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pstral_check_says_the_target_is_a_primary_and_each_limit_its_role_leaves_unbounded() {
    let target = ReadOnlyTarget::new("CREATE TABLE clients (id int);").await;
    let clicks = target.clicks();
    let said = |out: std::process::Output| {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = said(
        pstral_check(clicks.config.clone(), clicks.dir.path().to_owned())
            .await
            .unwrap(),
    );
    // The test server is no replica.
    assert!(
        first.contains("warning:   the target is a primary"),
        "{first}"
    );
    for limit in [
        "temp_file_limit is not set",
        "statement_timeout is not set",
        "idle_in_transaction_session_timeout is not set",
        "may open any number of connections",
    ] {
        assert!(first.contains(limit), "{limit}: {first}");
    }
    // Bound as each line says: those lines go.
    target.limit_temp_files("1GB").await;
    target
        .db
        .tamper(&format!(
            "ALTER ROLE \"{0}\" SET statement_timeout = '60s'; \
             ALTER ROLE \"{0}\" SET idle_in_transaction_session_timeout = '1min'; \
             ALTER ROLE \"{0}\" CONNECTION LIMIT 4",
            target.role
        ))
        .await;
    let bounded = said(
        pstral_check(clicks.config.clone(), clicks.dir.path().to_owned())
            .await
            .unwrap(),
    );
    assert!(bounded.contains("the target is a primary"), "{bounded}");
    assert!(!bounded.contains("is not set"), "{bounded}");
    assert!(!bounded.contains("any number of connections"), "{bounded}");
    target.drop_role().await;
}
