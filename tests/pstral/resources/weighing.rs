//! How a PostgreSQL plan is weighed: the rows an index gathers by the
//! planner's estimate, `weigh_plans` off where allowed, only the tables the
//! statement reads in its schemas, copies of a gathered value with it, and a
//! plan too deep to read refused.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gathering_the_rows_an_index_finds_is_weighed_by_the_planners_estimate() {
    let target = ReadOnlyTarget::new(
        "CREATE TABLE events AS SELECT g AS id, g % 50000 AS client_id, md5(g::text) AS kind \
         FROM generate_series(1, 400000) g; \
         CREATE INDEX ON events (client_id); \
         ANALYZE events;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    // Eight rows by the index: what the statistics say.
    let one = ran("SELECT length(string_agg(kind, ',')) AS n FROM events WHERE client_id = 42");
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    // A guessed filter reads the whole table, as far as the weighing goes.
    let guessed =
        ran("SELECT length(string_agg(kind, ',')) AS n FROM events WHERE length(kind) = 32");
    assert_eq!(guessed.code, Some(1), "{}", guessed.stderr);
    assert!(
        guessed.stderr.contains("gathers rows into one value"),
        "{}",
        guessed.stderr
    );
    target.drop_role().await;
}

/// A replica that bounds itself may have the weighing off: what it would
/// refuse runs, under the deadline and the row cap as every query does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_weigh_plans_off_runs_what_the_weighing_would_refuse() {
    let target = ReadOnlyTarget::new(
        "CREATE TABLE events AS SELECT g AS id, md5(g::text) AS kind \
         FROM generate_series(1, 400000) g; ANALYZE events;",
    )
    .await;
    let gathered = "SELECT length(string_agg(kind, ',')) AS n FROM events WHERE length(kind) = 32";
    let weighed = target.clicks().run(gathered);
    assert_eq!(weighed.code, Some(1), "{}", weighed.stderr);
    assert!(
        weighed.stderr.contains("gathers rows into one value"),
        "{}",
        weighed.stderr
    );

    let clicks = target.clicks();
    let config = std::fs::read_to_string(&clicks.config).unwrap() + "weigh_plans = false\n";
    std::fs::write(&clicks.config, config).unwrap();
    let unweighed = clicks.run(gathered);
    assert_eq!(unweighed.code, Some(0), "{}", unweighed.stderr);
    target.drop_role().await;
}

#[test]
fn weigh_plans_off_on_a_target_whose_plans_are_never_weighed_is_a_mistake_said_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "sqlite:demo.db", "");
    let text = std::fs::read_to_string(&config).unwrap() + "weigh_plans = false\n";
    std::fs::write(&config, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pstral"))
        .args(["--config", config.to_str().unwrap(), "check", "--offline"])
        .current_dir(dir.path())
        .env_remove("PSTRAL_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sql.targets.lab.weigh_plans: only a PostgreSQL target's plans are weighed"),
        "{err}"
    );
}

/// The plan names a table without its schema: the weighing counts and
/// measures only the table the statement reads, in the schemas it may
/// name, never a table of the same name in another schema this role may
/// read (stop 58: its rows were counted with the person's own filter, and a
/// legitimate statement failed on a column that table lacks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_named_table_in_another_readable_schema_is_never_weighed() {
    let target = ReadOnlyTarget::new(
        "CREATE TABLE events AS SELECT g AS id, g % 50000 AS client_id, md5(g::text) AS kind, \
                CASE WHEN g % 100 = 0 THEN 'Lyon' ELSE 'Paris' END AS city \
         FROM generate_series(1, 400000) g; \
         CREATE INDEX ON events (client_id); \
         ANALYZE events;",
    )
    .await;
    let clicks = target.clicks();
    let statements = [
        // Offered and run: a filter of values written out, counted.
        "SELECT length(string_agg(kind, ',')) AS n FROM events WHERE city = 'Lyon'",
        // Refused: a guessed filter reads the whole table.
        "SELECT length(string_agg(kind, ',')) AS n FROM events WHERE length(kind) = 32",
    ];
    let before: Vec<(Option<i32>, String)> = statements
        .iter()
        .map(|sql| {
            let ran = clicks.run(sql);
            (ran.code, ran.stdout)
        })
        .collect();
    assert_eq!(before[0].0, Some(0), "the first is run");
    assert_eq!(before[1].0, Some(1), "the second is refused");
    // Another schema the role may read, with a table of the same name, other
    // columns and a 70 MB row; any read of its rows fails loudly.
    target
        .db
        .tamper(&format!(
            "CREATE SCHEMA other; \
             CREATE TABLE other.events (id int, kind text); \
             INSERT INTO other.events SELECT 1, string_agg(md5(g::text), '') \
                 FROM generate_series(1, 2200000) g; \
             ANALYZE other.events; \
             CREATE FUNCTION other.trap() RETURNS boolean LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'a row of other.events was read'; END $$; \
             ALTER TABLE other.events ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY trapped ON other.events FOR SELECT USING (other.trap()); \
             GRANT USAGE ON SCHEMA other TO \"{role}\"; \
             GRANT SELECT ON other.events TO \"{role}\"; \
             GRANT EXECUTE ON FUNCTION other.trap() TO \"{role}\";",
            role = target.role
        ))
        .await;
    for (sql, (code, stdout)) in statements.iter().zip(&before) {
        let ran = clicks.run(sql);
        assert!(
            !ran.stderr.contains("other.events") && !ran.stderr.contains("does not exist"),
            "{sql}: {}",
            ran.stderr
        );
        assert_eq!(
            (&ran.code, &ran.stdout),
            (code, stdout),
            "{sql}: {}",
            ran.stderr
        );
    }
    // A view here over a table of that schema: what it gathers is not
    // weighed there, so it is refused; a plain read of it runs.
    target
        .db
        .tamper(&format!(
            "CREATE TABLE other.notes (body text); \
             INSERT INTO other.notes VALUES ('a'), ('b'); \
             CREATE VIEW public.notes_seen AS SELECT body FROM other.notes; \
             GRANT SELECT ON other.notes, public.notes_seen TO \"{role}\";",
            role = target.role
        ))
        .await;
    let gathered = clicks.run("SELECT string_agg(body, ',') AS b FROM notes_seen");
    assert_eq!(gathered.code, Some(1), "{}", gathered.stderr);
    assert!(
        gathered.stderr.contains("outside the allowed schemas"),
        "{}",
        gathered.stderr
    );
    let read = clicks.run("SELECT body FROM notes_seen ORDER BY body");
    assert_eq!(read.code, Some(0), "{}", read.stderr);
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_of_a_gathered_value_weigh_with_it() {
    // 100,000 notes of 96 characters: about 10 MB gathered.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE orders AS SELECT g AS id, \
         md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) AS note \
         FROM generate_series(1, 100000) g; \
         ANALYZE orders;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    let gathered = "WITH g AS (SELECT string_agg(note, '') AS t FROM orders)";
    let once = ran(&format!("{gathered} SELECT length(t) AS n FROM g"));
    assert_eq!(once.code, Some(0), "{}", once.stderr);
    // Eight copies of it in a row are eight times its weight, past the bound.
    let copied = ran(&format!(
        "{gathered} SELECT length(t || t || t || t || t || t || t || t) AS n FROM g"
    ));
    assert_eq!(copied.code, Some(1), "{}", copied.stderr);
    assert!(
        copied.stderr.contains("gathers rows into one value"),
        "{}",
        copied.stderr
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_too_deep_to_read_is_refused_with_a_reason() {
    let target = ReadOnlyTarget::new(
        "CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 100) g; ANALYZE orders;",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), target.url.as_str(), "");
    // Two hundred windows, each its own sort: a plan nested 200 levels deep.
    let windows: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "count(*) OVER (PARTITION BY id % {} ORDER BY id % {}) AS w{i}",
                i + 2,
                i + 3
            )
        })
        .collect();
    let ran = sql_run(
        dir.path(),
        &config,
        &format!("SELECT {} FROM orders", windows.join(", ")),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.stderr.contains("nests too deep"), "{}", ran.stderr);
    target.drop_role().await;
}
