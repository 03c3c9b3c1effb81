//! Read-only execution on real PostgreSQL and SQLite: every column type
//! rendered faithfully, writes refused even through a function, time limits,
//! the row cap, EXPLAIN, and results streamed into CSV.

use std::time::{Duration, Instant};

use pstral_core::sql::Dialect;
use pstral_core::sql::backend::{ExecError, Executor, Limits, PostgresExecutor, SqliteExecutor};
use pstral_core::sql::render::{CsvSink, Preview, Tee};
use pstral_core::sql::validate::{Policy, Validated, validate};
use pstral_core::store::DatabaseUrl;
use pstral_core::store::Store;

use crate::support::TestDb;

fn limits(row_cap: u64, timeout_ms: u64) -> Limits {
    Limits::new(row_cap, Duration::from_millis(timeout_ms))
}

async fn postgres() -> (TestDb, PostgresExecutor) {
    let db = TestDb::postgres().await;
    let DatabaseUrl::Postgres(url) = &db.settings.url else {
        unreachable!()
    };
    let exec = PostgresExecutor::connect(url.as_str()).await.unwrap();
    (db, exec)
}

async fn run(
    exec: &dyn Executor,
    sql: &str,
    limits: Limits,
) -> Result<(Preview, pstral_core::sql::backend::Outcome), ExecError> {
    let query =
        validate(sql, &Policy::new(exec.dialect())).unwrap_or_else(|r| panic!("{sql}: {r}"));
    let mut preview = Preview::new(100_000);
    let outcome = exec.run(&query, limits, &mut preview).await?;
    Ok((preview, outcome))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_renders_every_column_type_faithfully() {
    let (db, exec) = postgres().await;
    db.tamper(
        "CREATE TABLE types (b boolean, i2 int2, i4 int4, i8 int8, n numeric(30,10), f float8, \
         t text, v varchar(20), c char(3), d date, tm time, ts timestamp, tz timestamptz, iv interval, \
         by bytea, j json, jb jsonb, u uuid); \
         INSERT INTO types VALUES (true, -2, 4, 9007199254740993, 12345678901234567890.0123456789, 0.1, \
         'Élodie ''l''aînée', 'varchar', 'ab', '2025-02-28', '13:45:00.5', '2025-02-28 13:45:00.123456', \
         '2025-02-28 13:45:00+01', '1 mon 2 days 03:00:00', '\\xDEADBEEF', '{\"a\": [1, 2]}', '{\"b\": null}', \
         'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'); \
         INSERT INTO types DEFAULT VALUES;",
    )
    .await;
    let (preview, outcome) = run(&exec, "SELECT * FROM types", limits(100, 5000))
        .await
        .unwrap();
    assert_eq!(outcome.rows, 2);
    assert!(!outcome.truncated);
    let types: Vec<&str> = outcome
        .columns
        .iter()
        .map(|c| c.type_name.as_str())
        .collect();
    assert_eq!(
        types[..6],
        ["BOOL", "INT2", "INT4", "INT8", "NUMERIC", "FLOAT8"]
    );
    let row: Vec<&str> = preview.rows[0]
        .iter()
        .map(|c| c.as_deref().unwrap())
        .collect();
    assert_eq!(
        row,
        [
            "true",
            "-2",
            "4",
            "9007199254740993",
            "12345678901234567890.0123456789",
            "0.1",
            "Élodie 'l'aînée",
            "varchar",
            "ab ",
            "2025-02-28",
            "13:45:00.500",
            "2025-02-28 13:45:00.123456",
            "2025-02-28T12:45:00Z",
            "1 months 2 days 10800000000 µs",
            "DEADBEEF",
            "{\"a\":[1,2]}",
            "{\"b\":null}",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        ]
    );
    assert!(
        preview.rows[1].iter().all(Option::is_none),
        "NULL is NULL, not text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refuses_a_write_hidden_in_a_function() {
    let (db, exec) = postgres().await;
    db.tamper(
        "CREATE TABLE victims (id int); \
         CREATE FUNCTION harmless_looking() RETURNS int LANGUAGE sql VOLATILE \
         AS 'INSERT INTO victims VALUES (1) RETURNING 1';",
    )
    .await;
    // The validator refuses a function it does not know; allowed by
    // configuration, the read-only transaction still stops the write.
    let mut policy = Policy::new(exec.dialect());
    policy.allowed_functions = vec!["harmless_looking".to_owned()];
    let query = validate("SELECT harmless_looking()", &policy).unwrap();
    let err = exec
        .run(&query, limits(10, 5000), &mut Preview::new(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Database(m) if m.contains("read-only transaction")),
        "{err}"
    );
    let Store::Postgres(pool) = &db.store else {
        unreachable!()
    };
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM victims")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stops_a_long_query_and_caps_rows() {
    let (_db, exec) = postgres().await;
    let err = run(
        &exec,
        "SELECT count(*) FROM generate_series(1, 500000000)",
        limits(10, 300),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ExecError::Timeout(_)), "{err}");

    let (preview, outcome) = run(
        &exec,
        "SELECT g FROM generate_series(1, 1000) g",
        limits(100, 5000),
    )
    .await
    .unwrap();
    assert_eq!((outcome.rows, outcome.truncated), (100, true));
    assert_eq!(preview.rows.last().unwrap()[0].as_deref(), Some("100"));
    let (_, exact) = run(
        &exec,
        "SELECT g FROM generate_series(1, 100) g",
        limits(100, 5000),
    )
    .await
    .unwrap();
    assert_eq!((exact.rows, exact.truncated), (100, false));
    let (empty_preview, empty) = run(&exec, "SELECT 1 AS one WHERE false", limits(100, 5000))
        .await
        .unwrap();
    assert_eq!(empty.rows, 0);
    assert_eq!(
        empty_preview.columns[0].name, "one",
        "an empty result still has its columns"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dates_past_any_calendar_a_library_keeps_are_written_not_fatal() {
    // PostgreSQL keeps `infinity` and years to 294,276 (5,874,897 for a
    // date); decoded by the driver's calendar, each panicked.
    let (db, exec) = postgres().await;
    db.tamper(
        "CREATE TABLE spans (id int, d date, ts timestamp, tz timestamptz); \
         INSERT INTO spans VALUES \
           (1, 'infinity', 'infinity', '-infinity'), \
           (2, '5874897-12-31', '294276-12-31 23:59:59.5', '294276-12-31 23:59:59+00'), \
           (3, '2025-02-28', '2025-02-28 13:45:00.123456', '2025-02-28 13:45:00+01'), \
           (4, '0044-03-15 BC', '0044-03-15 12:00:00 BC', NULL), \
           (5, '10000-01-01', '10000-01-01 12:00', '10000-01-01 12:00+00');",
    )
    .await;
    let (preview, outcome) = run(
        &exec,
        "SELECT d, ts, tz FROM spans ORDER BY id",
        limits(100, 5000),
    )
    .await
    .unwrap();
    assert_eq!(outcome.rows, 5);
    let row = |i: usize| -> Vec<&str> {
        preview.rows[i]
            .iter()
            .map(|c| c.as_deref().unwrap())
            .collect()
    };
    assert_eq!(row(0), ["infinity", "infinity", "-infinity"]);
    assert_eq!(
        row(1),
        [
            "5874897-12-31",
            "294276-12-31 23:59:59.5",
            "294276-12-31T23:59:59Z"
        ]
    );
    assert_eq!(
        row(2),
        [
            "2025-02-28",
            "2025-02-28 13:45:00.123456",
            "2025-02-28T12:45:00Z"
        ]
    );
    // Before the year 1, as chrono writes it (44 BC is the year -43).
    assert_eq!(
        preview.rows[3][..2],
        [
            Some("-0043-03-15".into()),
            Some("-0043-03-15 12:00:00".into())
        ]
    );
    // Past the year 9999, as PostgreSQL writes it (no `+`).
    assert_eq!(
        row(4),
        [
            "10000-01-01",
            "10000-01-01 12:00:00",
            "10000-01-01T12:00:00Z"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writes_out_only_the_first_elements_of_a_long_array() {
    // Written out whole, an array of 50 million NULLs (one bit each,
    // stored) took a backend to 1,840 MiB before its cell was cut.
    let (db, exec) = postgres().await;
    db.tamper(
        "CREATE TABLE arrays (id int, a int[], t text[]); \
         INSERT INTO arrays VALUES (1, '{1,2,3}', '{x,NULL}'), (2, '[0:2]={7,8,9}', NULL), \
           (3, array_fill(NULL::int, ARRAY[100000]), array_fill('y'::text, ARRAY[300, 300])), \
           (4, NULL, '{}');",
    )
    .await;
    let (preview, outcome) = run(
        &exec,
        "SELECT a, t FROM arrays ORDER BY id",
        limits(100, 5000),
    )
    .await
    .unwrap();
    assert_eq!(outcome.rows, 4);
    let cell = |row: usize, column: usize| preview.rows[row][column].as_deref();
    // Short arrays are written as PostgreSQL writes them, bounds and all.
    assert_eq!(cell(0, 0), Some("{1,2,3}"));
    assert_eq!(cell(0, 1), Some("{x,NULL}"));
    assert_eq!(cell(1, 0), Some("[0:2]={7,8,9}"));
    assert_eq!(
        (cell(1, 1), cell(3, 0), cell(3, 1)),
        (None, None, Some("{}"))
    );
    // A long one shows its bounds, then its first elements, cut.
    let nulls = cell(2, 0).unwrap();
    assert!(nulls.starts_with("[1:100000]={NULL,NULL,"), "{nulls}");
    assert!(nulls.ends_with("…[truncated]"), "{nulls}");
    let grid = cell(2, 1).unwrap();
    assert!(grid.starts_with("[1:300][1:300]={y,y,"), "{grid}");
    assert!(grid.ends_with("…[truncated]"), "{grid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multirange_column_is_said_unreadable_and_its_ranges_are_read() {
    // sqlx 0.9 cannot describe a multirange column (PostgreSQL 14): the
    // statement is refused with what to write instead, and that runs on
    // the same connection.
    let (db, exec) = postgres().await;
    db.tamper(
        "CREATE TABLE bookings (id int, booked int4multirange); \
         INSERT INTO bookings VALUES (1, '{[1,5), [10,20)}');",
    )
    .await;
    let refused = run(&exec, "SELECT id, booked FROM bookings", limits(100, 5000))
        .await
        .unwrap_err();
    assert_eq!(refused, ExecError::UnreadableColumn);
    let (preview, outcome) = run(
        &exec,
        "SELECT id, unnest(booked) AS booked FROM bookings ORDER BY 2",
        limits(100, 5000),
    )
    .await
    .unwrap();
    assert_eq!(outcome.rows, 2);
    assert_eq!(preview.rows[0][1].as_deref(), Some("[1,5)"));
    assert_eq!(preview.rows[1][1].as_deref(), Some("[10,20)"));
    let (preview, _) = run(
        &exec,
        "SELECT lower(booked), upper(booked) FROM bookings",
        limits(100, 5000),
    )
    .await
    .unwrap();
    assert_eq!(
        preview.rows[0],
        [Some("1".to_owned()), Some("20".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_explain_estimates_and_names_what_does_not_compile() {
    let (db, exec) = postgres().await;
    db.tamper("CREATE TABLE clients (id int, nom text); INSERT INTO clients SELECT g, 'c' || g FROM generate_series(1, 500) g; ANALYZE clients;").await;
    let policy = Policy::new(Dialect::Postgres);
    let plan = exec
        .explain(
            &validate("SELECT * FROM clients WHERE id < 100", &policy).unwrap(),
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert!(plan.rows.unwrap() > 50.0 && plan.cost.is_some(), "{plan:?}");
    let err = exec
        .explain(
            &validate("SELECT nom FROM clientz", &policy).unwrap(),
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Database(m) if m.contains("clientz")),
        "{err}"
    );
    let err = exec
        .explain(
            &validate("SELECT prenom FROM clients", &policy).unwrap(),
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Database(m) if m.contains("prenom")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_stream_into_csv_and_the_preview_at_once() {
    let (_db, exec) = postgres().await;
    let query = validate(
        "SELECT g AS n, 'ligne ' || g AS texte, CASE WHEN g % 3 = 0 THEN NULL ELSE g * 1.5 END AS x FROM generate_series(1, 2500) g",
        &Policy::new(Dialect::Postgres),
    )
    .unwrap();
    let mut preview = Preview::new(10);
    let mut csv = CsvSink::new(Vec::new(), false).unwrap();
    let outcome = exec
        .run(
            &query,
            limits(2000, 5000),
            &mut Tee {
                sinks: vec![&mut preview, &mut csv],
            },
        )
        .await
        .unwrap();
    assert_eq!((outcome.rows, outcome.truncated), (2000, true));
    assert_eq!(preview.rows.len(), 10);
    let text = String::from_utf8(csv.finish().unwrap()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2001);
    assert_eq!(lines[0], "n,texte,x");
    assert_eq!(lines[3], "3,ligne 3,");
    assert_eq!(lines[2000], "2000,ligne 2000,3000.0");
}

/// A SQLite target made by `setup`, and its executor.
async fn sqlite_made_by(setup: &str) -> (tempfile::TempDir, SqliteExecutor) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("target.db");
    {
        use sqlx::Connection;
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite:{}?mode=rwc", path.display()))
                .await
                .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(setup.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let exec = SqliteExecutor::open(&path).await.unwrap();
    (dir, exec)
}

async fn sqlite() -> (tempfile::TempDir, SqliteExecutor) {
    sqlite_made_by(
        "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n); \
         INSERT INTO t VALUES (9007199254740993, 0.25, 'Zoé', x'CAFE', NULL); \
         WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 300) \
         INSERT INTO t (i) SELECT x FROM g;",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_renders_its_types_caps_rows_and_stops_at_the_deadline() {
    let (_dir, exec) = sqlite().await;
    let (preview, outcome) = run(&exec, "SELECT * FROM t", limits(100, 5000))
        .await
        .unwrap();
    assert_eq!((outcome.rows, outcome.truncated), (100, true));
    let first: Vec<Option<&str>> = preview.rows[0].iter().map(|c| c.as_deref()).collect();
    assert_eq!(
        first,
        [
            Some("9007199254740993"),
            Some("0.25"),
            Some("Zoé"),
            Some("CAFE"),
            None
        ]
    );

    let forever =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let err = run(&exec, forever, limits(10, 300)).await.unwrap_err();
    assert!(matches!(err, ExecError::Timeout(_)), "{err}");
    // The connection is usable again afterwards.
    let (_, again) = run(&exec, "SELECT count(*) FROM t", limits(10, 5000))
        .await
        .unwrap();
    assert_eq!(again.rows, 1);

    let err = exec
        .explain(
            &validate("SELECT nope FROM t", &Policy::new(Dialect::Sqlite)).unwrap(),
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Database(m) if m.contains("nope")),
        "{err}"
    );
}

/// `sql` handed to the executor as if it had passed the validator: what
/// SQLite's worker must bound whatever the checks let through.
fn unchecked(sql: &str) -> Validated {
    Validated {
        text: sql.to_owned(),
        ..validate("SELECT 1", &Policy::new(Dialect::Sqlite)).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_call_that_never_returns_to_the_engine_is_killed_at_the_deadline() {
    let (_dir, exec) = sqlite().await;
    // ltrim looks each of 260,000 characters up in a set of 21,001 (the
    // most SQLite's value bound lets it take): one call of 5·10⁹ steps,
    // some 10 s on this machine's SQLite, which its interrupt, checked
    // between steps of the program, never reaches.
    let endless =
        "SELECT length(ltrim(printf('%.260000c', 'x'), printf('%.21000c', 'y') || 'x')) AS n";
    let started = Instant::now();
    let mut preview = Preview::new(10);
    let err = exec
        .run(&unchecked(endless), limits(10, 500), &mut preview)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::Timeout(_)), "{err}");
    // Ended by the deadline's kill: not by the call, nor by the processor
    // time the worker may take (the deadline and two seconds).
    assert!(
        started.elapsed() < Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
    let (_, next) = run(&exec, "SELECT count(*) FROM t", limits(10, 5000))
        .await
        .unwrap();
    assert_eq!(next.rows, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_statement_past_its_memory_bound_is_stopped_and_said_so() {
    let (_dir, exec) = sqlite().await;
    // One row of blobs of 250 kB: 64 take 16 MB while SQLite builds the
    // row; 20 take 5 MB there, and as much again where the driver copies
    // the row to send it.
    let wide = |count: usize| {
        let blobs: Vec<String> = (1..=count)
            .map(|i| format!("randomblob(250000) AS b{i}"))
            .collect();
        format!("SELECT {} FROM t LIMIT 1", blobs.join(", "))
    };
    let bounded = Limits {
        max_memory_bytes: 8 * 1024 * 1024,
        ..limits(10, 10_000)
    };
    for count in [64, 20] {
        let mut preview = Preview::new(10);
        let err = exec
            .run(&unchecked(&wide(count)), bounded, &mut preview)
            .await
            .unwrap_err();
        assert_eq!(err, ExecError::Memory(8 * 1024 * 1024), "{count} blobs");
        assert!(
            err.to_string().contains("more than 8 MiB of memory"),
            "{err}"
        );
        assert!(preview.rows.is_empty(), "{count} blobs");
    }
    // Within the default bound the same row is built.
    let (_, outcome) = run(&exec, "SELECT count(*) FROM t", limits(10, 5000))
        .await
        .unwrap();
    assert_eq!(outcome.rows, 1);
    let mut preview = Preview::new(10);
    let whole = exec
        .run(&unchecked(&wide(64)), limits(10, 10_000), &mut preview)
        .await
        .unwrap();
    assert_eq!(whole.rows, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sqlite_statement_left_to_the_executor_ends_within_its_deadline() {
    // The tables the corpus's SQLite statements read: 600 clients, 20,000
    // orders with a note, three documents of 200 kB.
    let (_dir, exec) = sqlite_made_by(
        "CREATE TABLE clients (id INTEGER PRIMARY KEY, nom TEXT, company TEXT, city TEXT, email TEXT); \
         CREATE TABLE orders (id INTEGER PRIMARY KEY, client_id INTEGER, amount REAL, note TEXT); \
         CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT); \
         WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 20000) \
         INSERT INTO orders SELECT x, x % 600 + 1, x * 1.5, 'commande ' || x || ' livrée' FROM g; \
         INSERT INTO clients SELECT client_id, 'client ' || client_id, 'Société ' || client_id, \
           'Lyon', 'c' || client_id || '@example.com' FROM orders WHERE id <= 600; \
         INSERT INTO docs SELECT id, 'doc ' || id, printf('%.200000c', 'a') FROM orders WHERE id <= 3;",
    )
    .await;
    let corpus = include_str!("corpus/resources.tsv");
    let statements: Vec<(&str, &str)> = corpus
        .lines()
        .filter_map(|line| match line.split('\t').collect::<Vec<_>>()[..] {
            ["sqlite", "resources", why, sql] => Some((why, sql)),
            _ => None,
        })
        .collect();
    assert!(statements.len() >= 16, "{}", statements.len());
    let deadline = Duration::from_millis(1000);
    for (why, sql) in statements {
        let query = validate(sql, &Policy::new(Dialect::Sqlite)).unwrap();
        let mut preview = Preview::new(10);
        let started = Instant::now();
        let ran = exec
            .run(&query, Limits::new(100, deadline), &mut preview)
            .await;
        match &ran {
            Ok(_) | Err(ExecError::Timeout(_) | ExecError::TempSpace(_) | ExecError::Memory(_)) => {
            }
            // A value past SQLite's bound is a bound too, said as SQLite
            // says it; a table or column missing would test nothing.
            Err(ExecError::Database(m)) if m.contains("too big") => {}
            Err(other) => panic!("{why}: {other}\n{sql}"),
        }
        assert!(
            started.elapsed() < deadline + Duration::from_millis(800),
            "{why}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_resolves_unqualified_names_in_the_allowed_schemas_only() {
    let db = TestDb::postgres().await;
    let DatabaseUrl::Postgres(url) = &db.settings.url else {
        unreachable!()
    };
    let name = url.path().trim_start_matches('/').to_owned();
    db.tamper(&format!(
        "CREATE SCHEMA hidden; CREATE TABLE hidden.secrets (s text); INSERT INTO hidden.secrets VALUES ('x'); \
         ALTER DATABASE \"{name}\" SET search_path = hidden, public;"
    ))
    .await;
    // A new connection would find hidden.secrets through the database's
    // search_path; the executor pins it to the allowed schemas.
    let exec = PostgresExecutor::connect(url.as_str()).await.unwrap();
    let err = run(&exec, "SELECT s FROM secrets", limits(10, 5000))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Database(m) if m.contains("secrets")),
        "{err}"
    );
    let allowed = PostgresExecutor::connect(url.as_str())
        .await
        .unwrap()
        .with_search_path(&["hidden".to_owned()]);
    let (preview, _) = run(&allowed, "SELECT s FROM secrets", limits(10, 5000))
        .await
        .unwrap();
    assert_eq!(preview.rows[0][0].as_deref(), Some("x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_generated_column_is_in_the_catalogue_and_in_what_a_statement_reads() {
    let (_dir, exec) = sqlite_made_by(
        "CREATE TABLE clients (id INTEGER PRIMARY KEY, nom TEXT, iban TEXT, \
         last4 TEXT GENERATED ALWAYS AS (substr(iban, -4)) VIRTUAL); \
         INSERT INTO clients (nom, iban) VALUES ('Dupont', 'FR7630006000011234567890189');",
    )
    .await;
    let catalog = exec.catalog(&[]).await.unwrap();
    let columns: Vec<&str> = catalog.tables[0]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(columns, ["id", "nom", "iban", "last4"]);
    let policy = Policy::new(Dialect::Sqlite);
    let judged = pstral_core::sql::validate::validate_in(
        "SELECT last4 FROM clients",
        &policy,
        Some(&catalog),
    )
    .unwrap();
    assert_eq!(judged.reach.listed(), ["clients.last4"]);
    let (preview, _) = run(&exec, "SELECT last4 FROM clients", limits(10, 5000))
        .await
        .unwrap();
    assert_eq!(preview.rows[0][0].as_deref(), Some("0189"));
}
