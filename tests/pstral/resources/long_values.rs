//! Long values weighed by what they are, not what the plan says: documents
//! stored out of line, copies built in a row, long numbers, what containment
//! looks for, a value the page sample misses, the query of a view read, and
//! values written out whole.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_stored_out_of_line_are_weighed_by_their_length_not_their_pointer() {
    // Ten documents of 10 MB each, compressed out of line to a few hundred
    // kilobytes: 18 bytes each in the plan.
    let target = ReadOnlyTarget::new(&format!(
        "{} ANALYZE docs; \
         CREATE VIEW v AS SELECT id, body AS b FROM docs; \
         CREATE TABLE few AS SELECT * FROM docs WHERE id <= 3; \
         ANALYZE few; \
         CREATE TABLE meta AS SELECT g AS id, \
           jsonb_build_object('k', repeat(md5(g::text), 100000)) AS m \
           FROM generate_series(1, 30) g; \
         ANALYZE meta; \
         CREATE DOMAIN longtext AS text; \
         CREATE TABLE typed AS SELECT id, body::longtext AS d FROM docs; \
         ANALYZE typed; \
         CREATE TABLE part (id int, body text) PARTITION BY RANGE (id); \
         CREATE TABLE part_low PARTITION OF part FOR VALUES FROM (0) TO (100); \
         INSERT INTO part SELECT id, body FROM docs; \
         ANALYZE part; \
         CREATE TABLE stale AS SELECT g AS id, md5(g::text) AS body \
           FROM generate_series(1, 5000) g; \
         DELETE FROM stale; \
         ANALYZE stale; \
         INSERT INTO stale SELECT id, body FROM docs; \
         SELECT pg_stat_force_next_flush(); \
         CREATE TABLE one AS SELECT * FROM docs WHERE id = 1; \
         ANALYZE one; \
         CREATE TABLE secret AS SELECT * FROM docs; \
         CREATE VIEW through AS SELECT * FROM secret;",
        documents(10)
    ))
    .await;
    // A DBA's usual grants: the partitioned table, not its partitions; a
    // view, not the table under it.
    target
        .db
        .tamper(&format!(
            "REVOKE SELECT ON part_low, secret FROM \"{}\"",
            target.role
        ))
        .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT length(string_agg(body, ',')) AS n FROM docs",
            "SELECT length(json_agg(d)::text) AS n FROM docs d",
            "SELECT array_length(array_agg(x.b), 1) AS n FROM (SELECT * FROM docs) x(i, t, b)",
            // Through a view that renames the column.
            "SELECT length(string_agg(b, ',')) AS n FROM v",
            // Three documents (30 MB), each held three times (90 MB).
            "SELECT length(string_agg(body || body || body, ',')) AS n FROM few",
            "SELECT length(string_agg(repeat(body, 3), ',')) AS n FROM few",
            // Compressed jsonb (96 MB as text), a domain over text, a partition
            // this account reads through its parent only, a view over a table
            // it cannot read.
            "SELECT length(string_agg(m::text, ',')) AS n FROM meta",
            "SELECT length(string_agg(d, ',')) AS n FROM typed",
            "SELECT length(string_agg(body, ',')) AS n FROM part",
            "SELECT length(string_agg(body, ',')) AS n FROM through",
            // Statistics taken when the table was empty.
            "SELECT length(string_agg(body, ',')) AS n FROM stale",
            // 120 copies of one document, behind a filter guessed to keep one.
            "SELECT length(string_agg(o.body, ',')) AS n FROM one o, generate_series(1, 120) g \
         WHERE g + 0 = g",
        ],
        "gathers rows into one value",
    );
    // Held once, the three documents are within the bound; so is a
    // filtered series of numbers.
    assert_all_run(
        ran,
        [
            "SELECT length(string_agg(body, ',')) AS n FROM few",
            "SELECT string_agg(g::text, ',') AS s FROM generate_series(1, 100) g WHERE g % 2 = 0",
        ],
    );
    // The same table's short columns gather as before.
    let titles = ran("SELECT string_agg(title, ',' ORDER BY id) AS t FROM docs");
    assert_eq!(titles.code, Some(0), "{}", titles.stderr);
    assert!(titles.stdout.contains("doc 1,doc 2"), "{}", titles.stdout);
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_holds_copies_of_a_value_only_while_building_them_fits_in_memory() {
    // Sixteen copies of a 10 MB document in one row (the most the validator
    // allows of any value) took the backend to 1,460 MiB: every `||` of the
    // chain is a new value, and all of them live until the row is done.
    let target = ReadOnlyTarget::new(&format!("{} ANALYZE;", documents(3))).await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    let sixteen = vec!["body"; 16].join(" || ");
    let heavy = format!("SELECT length({sixteen}) AS n FROM docs WHERE id = 1");
    let refused = ran(&heavy);
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("one row builds 136 times"),
        "{}",
        refused.stderr
    );
    // A split of the document into characters works on some 80 bytes a
    // character (regexp_split_to_array over 20 MB took a backend to 1.5
    // GiB); two in one row, through a self-join, twice that.
    for sql in [
        "SELECT cardinality(regexp_split_to_array(body, '')) AS n FROM docs WHERE id = 1",
        "SELECT cardinality(string_to_array(body, NULL)) AS n FROM docs WHERE id = 1",
        "SELECT cardinality(regexp_split_to_array(a.body, '')) \
           + cardinality(regexp_split_to_array(b.body, '')) AS n \
         FROM docs a JOIN docs b ON b.id = a.id + 1 WHERE a.id = 1",
        // A text search parses its text into every word apart (six copies
        // of a 10 MB document took 1.36 GiB), its configuration first.
        "SELECT length(to_tsvector('simple', replace(replace(body || body || body || body \
         || body || body, '1', ' '), '3', ' '))) AS n FROM docs WHERE id = 1",
        // Every group of every match is kept until the row is returned:
        // twelve empty groups took a backend to 1,066 MiB.
        "SELECT (regexp_matches(body, '()()()()()()()()()()()()(.)', 'g'))[1] AS n \
         FROM docs WHERE id = 1 LIMIT 5",
    ] {
        let refused = ran(sql);
        assert_eq!(refused.code, Some(1), "{sql}: {}", refused.stderr);
        // The nested replacements of the text search's input are values
        // of their own too: the validator counts them before the executor
        // weighs the split.
        assert!(
            refused.stderr.contains("the pieces of a split")
                || refused.stderr.contains("18 copies of a value it reads"),
            "{sql}: {}",
            refused.stderr
        );
    }
    // Two copies of the document, many of a short title, and a split of
    // the title, fit.
    assert_all_run(
        ran,
        [
            "SELECT length(body || body) AS n FROM docs WHERE id = 1".to_owned(),
            format!(
                "SELECT {} AS t FROM docs WHERE id = 1",
                vec!["title"; 16].join(" || ")
            ),
            "SELECT cardinality(regexp_split_to_array(title, '')) AS n FROM docs WHERE id = 1"
                .to_owned(),
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_a_logarithm_reads_are_short_enough_to_compute_within_the_deadline() {
    // A numeric may hold 16,383 digits after the point; one logarithm of
    // such a number takes seconds that no deadline interrupts (four `log`
    // in one row, 16.7 s under a 10 s deadline).
    let target = ReadOnlyTarget::new(
        "CREATE TABLE rates AS SELECT 1 AS id, 'EUR'::text AS code, 1.0842::numeric AS rate; \
         CREATE TABLE precise AS SELECT 1 AS id, \
           ('1.' || repeat('3', 15000))::numeric AS rate; \
         CREATE TABLE quotes (day date, rate numeric) PARTITION BY RANGE (day); \
         CREATE TABLE quotes_2026 PARTITION OF quotes \
           FOR VALUES FROM ('2026-01-01') TO ('2027-01-01'); \
         INSERT INTO quotes VALUES ('2026-03-01', 1.0842); \
         CREATE TABLE mids AS SELECT 1 AS id, (1 + 1e-900)::numeric AS mid; \
         CREATE TABLE bands AS SELECT 1 AS id, \
           numrange(('1.' || repeat('3', 15000))::numeric, 2) AS band, \
           ARRAY[('1.' || repeat('3', 15000))::numeric] AS rs, \
           numrange(1, 2) AS plain_band, ARRAY[1.5, 2.5] AS plain_rs; \
         ANALYZE;",
    )
    .await;
    // Granted on the partitioned table only, as a DBA grants it: its
    // numbers are measured through it.
    target
        .db
        .tamper(&format!(
            "REVOKE SELECT ON quotes_2026 FROM \"{}\"",
            target.role
        ))
        .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT ln(p.rate) AS l FROM precise p",
            "SELECT p.id, ln(p.rate + 1) AS s FROM precise p WHERE p.id = 1",
            // The same number as a range's bound or an array's element
            // (24.5 s).
            "SELECT b.id, log(lower(b.band), 2) AS l FROM bands b",
            "SELECT b.id, ln(b.rs[1]) AS l FROM bands b",
        ],
        "a number of 15002 characters",
    );
    // 902 characters each, under the bound alone; sixteen of them
    // multiplied hold 14,400 digits (3.4 s a logarithm).
    let product = vec!["m.mid"; 16].join(" * ");
    assert_all_refused(
        ran,
        [
            format!("SELECT m.id, log({product}, 2) AS l FROM mids m"),
            format!("SELECT m.id, ln(1 + ({product} - 1)) AS l FROM mids m"),
        ],
        "16 numbers read go into them together",
    );
    assert_all_run(
        ran,
        [
            "SELECT ln(r.rate) AS l, power(r.rate, 2) AS p FROM rates r",
            "SELECT ln(p.rate::float8) AS l FROM precise p",
            "SELECT p.rate * 2 AS d FROM precise p",
            "SELECT q.day, ln(q.rate) AS l FROM quotes q",
            "SELECT b.id, ln(lower(b.plain_band)) + ln(b.plain_rs[2]) AS l FROM bands b",
            "SELECT m.id, ln(m.mid) AS l FROM mids m",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_containment_and_overlap_look_for_is_weighed_against_the_values_they_look_in() {
    // Each element looked for is compared with every element of the value
    // it is looked for in, in one call no deadline interrupts: 100 nested
    // arrays looked for in a 24 MB jsonb ran 6.7 s; two arrays of 100,000
    // integers overlapped, 15.5 s under a 5 s deadline.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE events AS SELECT 1 AS id, \
           (SELECT jsonb_agg(jsonb_build_array(i)) FROM generate_series(1, 1000000) i) AS payload, \
           (SELECT array_agg(i) FROM generate_series(1, 1000000) i) AS ids; \
         CREATE TABLE lists AS SELECT g AS id, \
           (SELECT array_agg(i * g) FROM generate_series(1, 20000) i) AS ids \
           FROM generate_series(1, 2) g; \
         CREATE TABLE orders AS SELECT g AS id, jsonb_build_object('vip', g % 2 = 0) AS meta, \
           ARRAY[g, g + 1] AS tags, int4range(g, g + 10) AS during FROM generate_series(1, 1000) g; \
         CREATE VIEW by_parity AS SELECT id % 2 AS parity, array_agg(id) AS ids \
           FROM orders GROUP BY 1; \
         CREATE TABLE parted (id int, tags int[]) PARTITION BY RANGE (id); \
         CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (1000000); \
         INSERT INTO parted SELECT g, ARRAY[g] FROM generate_series(1, 100) g; \
         CREATE VIEW parity_arrays AS SELECT p.parity, \
           ARRAY(SELECT o.id FROM orders o WHERE o.id % 2 = p.parity) AS ids \
           FROM (VALUES (0), (1)) AS p(parity); \
         CREATE VIEW vip_orders AS SELECT id, tags FROM orders WHERE meta @> '{\"vip\": true}'; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    let nested: Vec<String> = (999_901..=1_000_000).map(|i| format!("[{i}]")).collect();
    let absent: Vec<String> = (1..=400).map(|i| format!("-{i}")).collect();
    assert_all_refused(
        ran,
        [
            format!(
                "SELECT e.id, e.payload @> '[{}]' AS found FROM events e",
                nested.join(",")
            ),
            format!(
                "SELECT e.id FROM events e WHERE e.ids && ARRAY[{}]",
                absent.join(",")
            ),
            "SELECT a.id, b.id FROM lists a, lists b WHERE a.ids && b.ids".to_owned(),
            // Gathered by a view, as long as the rows make it (1.5 million
            // e-mails, 170 s).
            "SELECT p.parity FROM by_parity p WHERE p.ids && ARRAY[-1, -2, -3, -4]".to_owned(),
            "SELECT p.parity FROM parity_arrays p WHERE p.ids && ARRAY[-1, -2, -3, -4]".to_owned(),
        ],
        "containment or overlap tests",
    );
    assert_all_run(
        ran,
        [
            r#"SELECT o.id FROM orders o WHERE o.meta @> '{"vip": true}'"#,
            "SELECT e.id, e.payload @> '[[5]]' AS found FROM events e",
            "SELECT o.id FROM orders o WHERE o.tags && ARRAY[3, 4]",
            "SELECT v.id FROM vip_orders v WHERE v.tags && ARRAY[3, 4]",
            // A partitioned table is read through its partitions: no view.
            "SELECT count(*) AS n FROM parted p WHERE p.tags && ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9]",
            "SELECT a.id, b.id FROM orders a JOIN orders b ON a.during && b.during AND a.id < b.id",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_value_the_page_sample_misses_is_weighed_from_its_pointer() {
    // Past 100,000 rows, lengths read (an array's, a jsonb's) are measured
    // on a sample of pages, which missed one 40 MB array among a million
    // rows: 2,600 integers looked for in it ran 37 s. Here
    // one 4 MB array among 300,000 rows, on a page the sample does not read
    // (checked below); what it takes stored is read from the pointers.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE members AS SELECT g AS id, CASE WHEN g = 150000 THEN \
           (SELECT array_agg((random() * 2e9)::int) FROM generate_series(1, 1000000)) \
           ELSE ARRAY[g, g + 1] END AS ids FROM generate_series(1, 300000) g; \
         ANALYZE;",
    )
    .await;
    let pstral_core::store::Store::Postgres(pool) = &target.db.store else {
        unreachable!("a PostgreSQL target")
    };
    let sampled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM members TABLESAMPLE SYSTEM (33.3333) REPEATABLE (0) \
         WHERE id = 150000",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        sampled, 0,
        "the weighing's sample of pages misses the long array"
    );
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    let absent: Vec<String> = (1..=2600).map(|i| format!("-{i}")).collect();
    assert_all_refused(
        ran,
        [format!(
            "SELECT m.id FROM members m WHERE m.ids && ARRAY[{}]",
            absent.join(",")
        )],
        "containment or overlap tests",
    );
    assert_all_run(
        ran,
        ["SELECT m.id FROM members m WHERE m.ids && ARRAY[3, 4]"],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_of_a_view_read_is_weighed_as_part_of_the_statement() {
    // A statement that reads a view gathering rows names no gathering
    // itself: 1.5 million e-mails gathered into one array by a view, read
    // plainly, took a backend to 945 MiB.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE people AS SELECT g AS id, \
           md5(g::text) || md5(g::text) || md5(g::text) || '@example.com' AS email \
           FROM generate_series(1, 900000) g; \
         CREATE VIEW gathered AS SELECT array_agg(email) AS emails FROM people; \
         CREATE VIEW listed_emails AS SELECT ARRAY(SELECT email FROM people) AS emails; \
         CREATE VIEW gathered_again AS SELECT a.emails FROM gathered a; \
         CREATE VIEW by_digit AS SELECT left(email, 1) AS digit, count(*) AS n \
           FROM people GROUP BY 1; \
         CREATE VIEW first_ten AS SELECT string_agg(email, ', ') AS emails \
           FROM people WHERE id <= 10; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT cardinality(a.emails) AS n FROM gathered a",
            "SELECT l.emails[1] AS first FROM listed_emails l",
            "SELECT g.emails[1] AS first FROM gathered_again g",
        ],
        "whose own query weighs with it",
    );
    assert_all_run(
        ran,
        [
            "SELECT b.digit, b.n FROM by_digit b ORDER BY b.digit",
            "SELECT f.emails FROM first_ten f",
            // Texts joined, their lengths read from 900,000 pointers.
            "SELECT p.email || ' ' || p.email AS twice FROM people p WHERE p.id = 5",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_that_expand_into_more_reads_than_a_plan_holds_are_refused_before_planning() {
    // The planner expands every view before it plans, in memory, and no
    // deadline stops it: views that each read the one before twice, twelve
    // deep, took a backend to 1,037 MiB at the offer's EXPLAIN.
    let mut setup = String::from(
        "CREATE TABLE clients AS SELECT g AS id, 'client ' || g AS nom \
           FROM generate_series(1, 100) g; \
         CREATE VIEW u0 AS SELECT id, nom FROM clients;",
    );
    for k in 1..=9 {
        setup.push_str(&format!(
            " CREATE VIEW u{k} AS SELECT id, nom FROM u{p} UNION ALL SELECT id, nom FROM u{p};",
            p = k - 1
        ));
    }
    setup.push_str(" ANALYZE;");
    let target = ReadOnlyTarget::new(&setup).await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT count(*) AS n FROM u9",
            "SELECT count(*) AS n FROM u8 a, u8 b WHERE a.id = b.id AND a.id = 1",
        ],
        "expand into 512 reads of tables",
    );
    assert_all_run(
        ran,
        [
            "SELECT count(*) AS n FROM u8",
            "SELECT count(*) AS n FROM u7 a JOIN u7 b ON a.id = b.id WHERE a.id = 1",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_written_out_whole_are_weighed_by_what_each_element_keeps() {
    // Written out as text, each range, row or jsonb element keeps a buffer
    // of a kilobyte or more until the whole value is written:
    // 320,000 ranges of 22 bytes gathered then written took a backend to
    // 1,078 MiB; a stored multirange of 500,000 ranges (6.5 MB), 1,602 MiB.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE clients AS SELECT g AS id, 'client ' || g AS nom \
           FROM generate_series(1, 3000) g; \
         ALTER TABLE clients ADD PRIMARY KEY (id); \
         CREATE TABLE events AS SELECT g AS id, \
           tstzrange('2025-01-01'::timestamptz, '2025-01-02'::timestamptz) AS during \
           FROM generate_series(1, 1000) g; \
         CREATE TABLE calendars AS SELECT 3 AS id, \
           range_agg(int4range(2 * g, 2 * g + 1)) AS busy FROM generate_series(1, 1000) g; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT length(array_agg(e.during)::text) AS n FROM events e, clients b \
             WHERE b.id <= 320",
            "WITH x AS (SELECT array_agg(e.during) AS v FROM events e, clients b WHERE b.id <= 320) \
             SELECT length(x.v::text) AS n FROM x",
        ],
        "gathers rows into one value",
    );
    assert_all_refused(
        ran,
        [
            "SELECT c.id, c.busy::text AS b FROM calendars c WHERE c.id = 3",
            "SELECT c.id, length(c.busy::text) AS n FROM calendars c WHERE c.id = 3",
        ],
        "out whole as text",
    );
    assert_all_run(
        ran,
        [
            "SELECT array_agg(e.during)::text AS a FROM events e WHERE e.id < 10",
            "SELECT e.id, e.during::text AS d FROM events e",
            "SELECT array_to_string(array_agg(c.nom), ', ') AS a FROM clients c",
        ],
    );
    target.drop_role().await;
}
