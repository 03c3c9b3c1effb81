//! What the server or the bot would hold in memory whole: an error quoting
//! a value, a hash table the server cannot spill, one key's rows of a hash
//! join, a value the plan cannot foresee, a recursion's growing value, what a
//! row unpacks or a filter keeps, and a planted value whose text explodes.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_parsed_as_another_type_is_short_enough_for_its_error_to_be_read() {
    // The error on a value that is no number quotes it whole, and the
    // driver receives all of it before the bot cuts it: `body::int` of a
    // 128 MB document took the bot to 304 MiB.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE docs AS SELECT g AS id, 'doc ' || g AS title, \
           repeat(md5(g::text), 1250000) AS body, \
           ARRAY[repeat(md5(g::text), 1250000)] AS tags FROM generate_series(1, 2) g; \
         CREATE TABLE big AS SELECT g AS id, md5(g::text) AS code \
           FROM generate_series(1, 150000) g; \
         CREATE TABLE hugenum AS SELECT 1 AS id, \
           (SELECT jsonb_agg('1e131071'::numeric) FROM generate_series(1, 200)) AS j, \
           ARRAY['1e131071'::numeric, 2] AS na, \
           '{\"qty\": \"12\", \"amount\": 1234.56}'::jsonb AS meta, \
           (SELECT jsonb_agg(1e999) FROM generate_series(1, 300)) AS thousands, \
           nummultirange(numrange(1, '1e131071'::numeric)) AS r, \
           array_fill(NULL::int, ARRAY[8000000]) AS nulls, ARRAY[1, 2] AS ids; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    for (sql, column) in [
        ("SELECT body::int AS n FROM docs WHERE id = 1", "docs.body"),
        (
            "SELECT CAST(body AS jsonb) AS j FROM docs WHERE id = 1",
            "docs.body",
        ),
        (
            "SELECT to_date(body, 'YYYY') AS d FROM docs WHERE id = 1",
            "docs.body",
        ),
        (
            "SELECT now() AT TIME ZONE body AS t FROM docs WHERE id = 1",
            "docs.body",
        ),
        (
            "SELECT (SELECT body FROM docs WHERE id = 2)::numeric AS n",
            "docs.body",
        ),
        // Renamed on the way, every value read is weighed.
        (
            "WITH c AS (SELECT id, body AS x FROM docs) SELECT x::int AS n FROM c WHERE id = 1",
            "docs.body",
        ),
        // Whatever its type, a value's text is what the error quotes: an
        // array of one 128 MB string took the bot to 321 MiB.
        (
            "SELECT tags::text::int AS n FROM docs WHERE id = 1",
            "docs.tags",
        ),
        (
            "SELECT tags[1]::int AS n FROM docs WHERE id = 1",
            "docs.tags",
        ),
        // Through a table's alias naming its columns.
        (
            "SELECT b::int AS n FROM docs AS d(i, t, b) WHERE i = 1",
            "docs.body",
        ),
        // Built twice and parsed: both weighed, on one reading of the table.
        (
            "SELECT (body || body)::int AS n FROM docs WHERE id = 1",
            "docs.body",
        ),
        // Written out by other means, or a part of it: what it
        // holds is weighed, numbers of more than 20 digits either side of
        // the point as endless, an array's elements as written (NULL: one
        // bit stored, five characters).
        ("SELECT h.j::text::int AS v FROM hugenum h", "hugenum.j"),
        (
            "SELECT (h.j #>> '{}')::int AS v FROM hugenum h",
            "hugenum.j",
        ),
        (
            "SELECT (ROW(h.j))::text::int AS v FROM hugenum h",
            "hugenum.j",
        ),
        ("SELECT ('' || h.r)::int AS v FROM hugenum h", "hugenum.r"),
        // A thousand digits each, a few bytes stored (300,000 of
        // them quoted, 300 MB).
        (
            "SELECT (h.thousands #>> '{}')::int AS v FROM hugenum h",
            "hugenum.thousands",
        ),
        (
            "SELECT (ROW(h.nulls))::text::int AS v FROM hugenum h",
            "hugenum.nulls",
        ),
    ] {
        let refused = ran(sql);
        assert_eq!(refused.code, Some(1), "{sql}: {}", refused.stderr);
        let reason = format!("parses values of {column} as another type");
        assert!(
            refused.stderr.contains(&reason),
            "{sql}: {}",
            refused.stderr
        );
    }
    // A structured value written out whole and parsed: its text cannot be
    // weighed without writing it (6,000 numbers 1e131071 in a
    // jsonb of 1.6 kB wrote 786 MB, quoted by the error: the bot at
    // 1,566 MiB), however ordinary the value. Its parts parse.
    assert_all_refused(
        ran,
        [
            "SELECT h.meta::text::int AS v FROM hugenum h",
            "SELECT CAST(concat(h.meta) AS int) AS v FROM hugenum h",
            "WITH c AS (SELECT h.meta::text AS t FROM hugenum h) SELECT t::int AS v FROM c",
            "SELECT array_to_string(h.ids, ',')::int AS v FROM hugenum h",
        ],
        "it parses the text of hugenum.",
    );
    assert_all_run(
        ran,
        [
            "SELECT (h.meta ->> 'qty')::int AS q FROM hugenum h",
            "SELECT h.meta::text AS m, (h.meta ->> 'qty')::int AS q FROM hugenum h",
        ],
    );
    // Only what is parsed is weighed (a number cast beside a text is no
    // matter), on the whole table, large as it may be.
    assert_all_run(
        ran,
        [
            "SELECT code, id::bigint AS n FROM big ORDER BY id LIMIT 3",
            "SELECT length(code)::int AS n FROM big ORDER BY id LIMIT 3",
            "SELECT code FROM big WHERE id = (SELECT max(id) FROM big)::int",
            "SELECT length(title || title)::int AS n FROM docs WHERE id = 2",
        ],
    );
    // Short values parse, and what is no number says so; the document
    // itself, as text, is only read.
    let parsed = ran("SELECT split_part(title, ' ', 2)::int AS n FROM docs WHERE id = 2");
    assert_eq!(parsed.code, Some(0), "{}", parsed.stderr);
    assert!(parsed.stdout.contains('2'), "{}", parsed.stdout);
    let no_number = ran("SELECT title::int AS n FROM docs WHERE id = 1");
    assert_eq!(no_number.code, Some(1));
    assert!(
        no_number
            .stderr
            .contains("invalid input syntax for type integer"),
        "{}",
        no_number.stderr
    );
    let read = ran("SELECT length(body) AS n, body::varchar(10) AS head FROM docs WHERE id = 1");
    assert_eq!(read.code, Some(0), "{}", read.stderr);
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_table_the_server_cannot_spill_is_weighed_before_it_is_built() {
    // A hashed NOT IN subquery, or a hashed EXCEPT, keeps every row in
    // memory whatever work_mem says; stacked filters the planner can only
    // guess made it hash a cross join of 10^11 rows (3.2 GiB in 10 s).
    let target = ReadOnlyTarget::new(
        "CREATE TABLE clients AS SELECT g AS id, md5(g::text) AS name \
           FROM generate_series(1, 20000) g; \
         CREATE TABLE orders AS SELECT g AS id, g % 20000 AS client_id, md5(g::text) AS note \
           FROM generate_series(1, 50000) g; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    let guessed = "length(o.note) = 32 AND length(o.note) <= 32 AND length(o.note) >= 32 \
                   AND length(c.name) = 32 AND length(c.name) <= 32 AND length(c.name) >= 32";
    assert_all_refused(
        ran,
        [
            // A series of timestamps, of rows the planner guesses: 2.5 GiB
            // hashed for NOT IN, 4 GiB for EXCEPT.
            "SELECT count(*) AS n FROM clients WHERE name NOT IN (SELECT s.g::text FROM (SELECT \
         generate_series(timestamp '2000-01-01', timestamp '2100-01-01', interval '1 second') \
         AS g) s)"
                .to_owned(),
            "SELECT count(*) AS n FROM (SELECT generate_series(timestamp '2000-01-01', timestamp \
         '2100-01-01', interval '1 second') AS g EXCEPT SELECT generate_series(timestamp \
         '2000-01-01', timestamp '2000-01-02', interval '1 second')) s"
                .to_owned(),
            // A day of minutes: 1,441 rows, more than the planner's guess.
            "SELECT count(*) AS n FROM clients WHERE name NOT IN (SELECT s.g::text FROM \
         generate_series(timestamp '2024-01-01', timestamp '2024-01-02', interval '1 minute') \
         AS s(g))"
                .to_owned(),
            format!(
                "SELECT count(*) AS n FROM clients WHERE name NOT IN \
             (SELECT c.name || o.id FROM orders o CROSS JOIN clients c WHERE {guessed})"
            ),
            format!(
                "SELECT count(*) AS n FROM (SELECT c.name || o.id AS k FROM orders o CROSS JOIN \
             clients c WHERE {guessed} EXCEPT SELECT name FROM clients) x"
            ),
            // Tested in a select list or an aggregate's FILTER, where the plan
            // does not say that it hashes the subquery (two took a backend to
            // 1.6 GiB).
            format!(
                "SELECT c.id, c.name = ANY (SELECT c2.name || o.id FROM orders o CROSS JOIN \
             clients c2 WHERE {guessed}) AS hit FROM clients c LIMIT 5"
            ),
            format!(
                "SELECT count(*) FILTER (WHERE c.name IN (SELECT c2.name || o.id FROM orders o \
             CROSS JOIN clients c2 WHERE {guessed})) AS n FROM clients c"
            ),
        ],
        "hash table it cannot spill",
    );
    // The same question asked of one table, or with NOT EXISTS (an
    // anti-join, which spills), runs.
    assert_all_run(
        ran,
        [
            "SELECT count(*) AS n FROM clients WHERE id NOT IN (SELECT client_id FROM orders)",
            "SELECT count(*) AS n FROM (SELECT client_id FROM orders EXCEPT SELECT id FROM clients) x",
            "SELECT count(*) AS n FROM clients c WHERE NOT EXISTS \
           (SELECT 1 FROM orders o WHERE o.client_id = c.id)",
            "SELECT c.id, c.id IN (SELECT client_id FROM orders) AS has, \
           (SELECT max(o.id) FROM orders o WHERE o.client_id = c.id) AS last \
           FROM clients c ORDER BY c.id LIMIT 5",
            // A series of dates written out, no longer than the planner's
            // guess: the days of a month (refused before as any
            // series over dates), each with its orders, none included.
            "SELECT count(*) AS n FROM clients WHERE name NOT IN (SELECT s.g::text FROM \
           generate_series(date '2024-01-01', date '2024-01-31', interval '1 day') AS s(g))",
            "SELECT s.d::date AS day, count(o.id) AS n FROM generate_series(date '2024-01-01', \
           date '2024-01-31', interval '1 day') AS s(d) LEFT JOIN orders o \
           ON o.client_id = s.d::date - date '2024-01-01' GROUP BY s.d ORDER BY s.d",
            // A recursion's rows counted by level: groups that only count
            // do not grow (an org chart's head count by depth).
            "WITH RECURSIVE t AS (SELECT id, 1 AS depth FROM clients WHERE id = 1 UNION ALL \
           SELECT o.id, t.depth + 1 FROM orders o JOIN t ON o.client_id = t.id \
           WHERE t.depth < 3) SELECT depth, count(*) AS n FROM t GROUP BY depth",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_join_keeps_the_rows_of_one_key_in_memory_only_while_they_fit() {
    // The server splits a hash join's inner rows into batches by key, and
    // cannot split one key's rows: 120 values of 10 MB built by
    // `body || ''` under one computed key took a backend to 1.2 GiB.
    let target = ReadOnlyTarget::new(&format!(
        "{} CREATE TABLE orders AS SELECT g AS id, g % 30 + 1 AS doc_id \
           FROM generate_series(1, 20000) g; \
         ANALYZE;",
        documents(30)
    ))
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            // One computed key for every row.
            "SELECT sum(octet_length(b.w)) AS c FROM orders a JOIN (SELECT d.id * 0 AS k, \
         d.body || '' AS w FROM docs d CROSS JOIN generate_series(1, 4) AS g(i) OFFSET 0) b \
         ON a.id * 0 = b.k",
            // Keys of the data's own, each row carrying a document it built.
            "SELECT sum(octet_length(b.w)) AS c FROM orders a JOIN (SELECT d.id AS k, \
         d.body || '' AS w FROM docs d CROSS JOIN generate_series(1, 4) AS g(i) OFFSET 0) b \
         ON a.doc_id = b.k",
        ],
        "rows of one key together in memory",
    );
    // Joined on columns, short values: the usual join runs.
    let joined = ran(
        "SELECT d.title, count(*) AS n FROM orders a JOIN docs d ON d.id = a.doc_id \
         GROUP BY d.title ORDER BY d.title LIMIT 2",
    );
    assert_eq!(joined.code, Some(0), "{}", joined.stderr);
    assert!(joined.stdout.contains("doc 1,666"), "{}", joined.stdout);
    // Documents carried as read, or answered about, or cut short: the
    // server keeps their pointers, and the join runs.
    assert_all_run(
        ran,
        [
            // 300 MB of documents hashed (by their pointers) for 20,000 orders.
            "SELECT d.title, count(*) AS n, max(octet_length(d.body)) AS len \
         FROM orders a JOIN docs d ON d.id = a.doc_id GROUP BY d.title",
            "SELECT a.id, d.title, length(d.body) AS len, left(d.body, 8) AS excerpt \
         FROM orders a JOIN docs d ON d.id = a.doc_id WHERE a.id <= 3",
            "SELECT a.id, d.body FROM orders a JOIN docs d ON d.id = a.doc_id WHERE a.id = 1",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_plan_cannot_foresee_is_held_only_by_rows_the_server_does_not_keep() {
    // The plan counts a scalar subquery's value as 32 bytes: 119 rows of
    // one key each holding a 10 MB `max()` took a backend to 1.2 GiB hashed
    // for a join; a running `string_agg`, 1.9 GiB hashed for `NOT IN`.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE kv AS SELECT g AS id, g::text AS val FROM generate_series(1, 100) g; \
         INSERT INTO kv SELECT 1000, repeat('9', 10000000); \
         CREATE TABLE orders AS SELECT g AS id, g % 300 + 1 AS client_id, md5(g::text) AS note \
           FROM generate_series(1, 20000) g; \
         CREATE TABLE clients AS SELECT g AS id, md5(g::text) AS nom FROM generate_series(1, 300) g; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT o2.id, length(x.b) AS n FROM orders o2 JOIN (SELECT o.client_id AS k, \
             (SELECT max(k2.val) FROM kv k2) AS b FROM orders o WHERE o.client_id = 7 \
             OFFSET 0) x ON x.k = o2.client_id",
            "SELECT count(*) AS n FROM orders o2 WHERE o2.note NOT IN (SELECT string_agg(o.note, '') \
             OVER (ORDER BY o.id) FROM orders o WHERE o.id <= 8500)",
            "SELECT length(string_agg(s.x, '')) AS n FROM (SELECT (SELECT max(k.val) FROM kv k) \
             AS x FROM orders o WHERE o.id <= 100) s",
        ],
        "whose length the plan cannot foresee",
    );
    // One row picked among others may hold the longest value, not the
    // table's average (a hundredth of it here): its copies, hashed for NOT
    // IN, took a backend to 1.2 GiB.
    let sets = vec!["()"; 60].join(", ");
    assert_all_refused(
        ran,
        [
            "SELECT count(*) AS n FROM clients c WHERE c.nom NOT IN (SELECT t.v || g \
             FROM generate_series(1, 120) g, (SELECT max(k.val) AS v FROM kv k) t)"
                .to_owned(),
            "SELECT count(*) AS n FROM clients c WHERE c.nom NOT IN \
             (SELECT max(k.val) OVER () || g FROM kv k, generate_series(1, 2) g)"
                .to_owned(),
            format!(
                "SELECT count(*) AS n FROM clients c WHERE c.nom NOT IN \
                 (SELECT max(k.val) || '' FROM kv k GROUP BY GROUPING SETS ({sets}))"
            ),
        ],
        "hash table it cannot spill",
    );
    assert_all_refused(
        ran,
        [
            "SELECT count(*) AS n FROM clients c WHERE c.nom NOT IN (SELECT v.x || g \
          FROM generate_series(1, 120) g, (VALUES ((SELECT max(k.val) FROM kv k))) v(x))",
        ],
        "whose length the plan cannot foresee",
    );
    // The first rows of an ORDER BY … LIMIT are sorted in a heap the server
    // never spills: made short, then replaced by rows holding a built copy
    // of the 10 MB value (1.9 GiB); a hashed GROUP BY checks its memory
    // only when it makes a group, and each group's max() then grows (1 GiB).
    assert_all_refused(
        ran,
        [
            "SELECT length(s.v) AS n FROM (SELECT CASE WHEN g > 450 THEN k.val || g::text \
          ELSE 'x' END AS v, g FROM generate_series(1, 700) g CROSS JOIN kv k \
          WHERE k.id = 1000 ORDER BY g DESC LIMIT 200) s",
            // The value of a subquery, computed once above the sort.
            "SELECT length(s.v) AS n FROM (SELECT CASE WHEN g > 450 THEN (SELECT max(k.val) \
             FROM kv k) || g::text ELSE 'x' END AS v, g FROM generate_series(1, 700) g \
             ORDER BY g DESC LIMIT 200) s",
        ],
        "ORDER BY … LIMIT",
    );
    assert_all_refused(
        ran,
        [
            "SELECT s.grp, length(s.m) AS n FROM (SELECT g % 100 AS grp, max(CASE WHEN g > 100 \
             THEN k.val || g::text ELSE '0' END) AS m FROM generate_series(1, 200) g \
             CROSS JOIN kv k WHERE k.id = 1000 GROUP BY g % 100) s",
            "SELECT s.grp, length(s.m) AS n FROM (SELECT g % 100 AS grp, g % 2 AS h, \
             max(CASE WHEN g > 100 THEN k.val || g::text ELSE '0' END) AS m \
             FROM generate_series(1, 200) g CROSS JOIN kv k WHERE k.id = 1000 \
             GROUP BY GROUPING SETS ((g % 100), (g % 2))) s",
        ],
        "hashed GROUP BY",
    );
    // Each call given the 10 MB value unpacks its own copy, held until the
    // row is done (120 `strpos` of a document: 1,169 MiB); a search that
    // finds every match keeps the text as wide characters and the
    // positions of every match (six `regexp_count`: 769 MiB).
    let strpos = vec!["strpos(k.val, 'z')"; 120].join(" + ");
    let counts = ["regexp_count(k.val, '.')"; 6].join(" + ");
    assert_all_refused(
        ran,
        [format!(
            "SELECT k.id, {strpos} AS n FROM kv k WHERE k.id = 1000"
        )],
        "values whole",
    );
    assert_all_refused(
        ran,
        [format!(
            "SELECT k.id, {counts} AS n FROM kv k WHERE k.id = 1000"
        )],
        "one row builds",
    );
    // Read where nothing keeps the rows together, or in the outermost
    // select list, the value only passes.
    assert_all_run(
        ran,
        [
            "SELECT x.nom, x.last_note FROM (SELECT c.nom, (SELECT o.note FROM orders o \
             WHERE o.client_id = c.id ORDER BY o.id DESC LIMIT 1) AS last_note FROM clients c) x \
             WHERE x.last_note LIKE 'a%'",
            "SELECT c.id, (SELECT max(o.note) FROM orders o WHERE o.client_id = c.id) AS last \
             FROM clients c ORDER BY c.id LIMIT 3",
            "SELECT count(*) AS n FROM clients c WHERE c.nom NOT IN \
             (SELECT max(o.note) FROM orders o GROUP BY o.client_id)",
            "SELECT length(max(k.val)) AS n FROM kv k",
            // A few calls on the long value.
            "SELECT k.id, length(k.val) AS n, strpos(k.val, '9') AS at, \
             regexp_count(k.val, '99') AS pairs FROM kv k WHERE k.id = 1000",
            // The first rows of a sort, and groups, of short values or of
            // values as read.
            "SELECT o.id, o.note FROM orders o ORDER BY o.id DESC LIMIT 5",
            "SELECT o.client_id, max(o.note) AS last, count(*) AS n FROM orders o \
             GROUP BY o.client_id ORDER BY n DESC LIMIT 3",
            "SELECT k.id, length(k.val) AS n, k.val FROM kv k ORDER BY length(k.val) DESC LIMIT 3",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recursion_grows_its_value_only_by_short_values_it_reads() {
    // A tree of categories with short names (text, and varchar(40)), and
    // documents of 10 MB: appended at every step of a recursion, one
    // document took the backend past 1 GiB within 30 s.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE categories (id int PRIMARY KEY, parent_id int, nom text, \
           code varchar(40)); \
         INSERT INTO categories VALUES (1, NULL, 'root', 'r'), (2, 1, 'tools', 't'), \
           (3, 2, 'hammers', 'h'); \
         CREATE TABLE docs AS SELECT g AS id, repeat(md5(g::text), 312500) AS body \
           FROM generate_series(1, 3) g; \
         CREATE VIEW v AS SELECT id, body AS b FROM docs; \
         CREATE TABLE big AS SELECT g AS id, md5(g::text) AS nom \
           FROM generate_series(1, 200000) g; \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "WITH RECURSIVE r(s, n) AS (SELECT body, 1 FROM docs WHERE id = 1 \
         UNION ALL SELECT r.s || d.body, n + 1 FROM r JOIN docs d ON d.id = r.n % 3 + 1) \
         SELECT max(length(s)) AS n FROM r",
            // Through a view, in a function, through a scalar subquery, as an
            // element of an array.
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 \
         UNION ALL SELECT concat(r.s, v.b), n + 1 FROM r JOIN v ON v.id = 1) \
         SELECT max(length(s)) AS n FROM r",
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 \
         UNION ALL SELECT (ARRAY[r.s || d.body])[1], n + 1 FROM r JOIN docs d ON d.id = r.n % 3 + 1) \
         SELECT max(length(s)) AS n FROM r",
            // A document a scalar subquery gives, on every step.
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 \
             UNION ALL SELECT s || (SELECT body FROM docs WHERE id = 2), n + 1 FROM r) \
             SELECT max(length(s)) AS n FROM r",
            // A table too large to read whole at the offer.
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 \
         UNION ALL SELECT s || b.nom, n + 1 FROM r JOIN big b ON b.id = r.n) \
         SELECT max(length(s)) AS n FROM r",
        ],
        "a recursive step adds",
    );
    // The path of each category, by its names or its codes.
    for (sql, path) in [
        (
            "WITH RECURSIVE tree(id, path) AS (SELECT id, nom FROM categories \
             WHERE parent_id IS NULL UNION ALL SELECT c.id, t.path || '/' || c.nom \
             FROM categories c JOIN tree t ON c.parent_id = t.id) \
             SELECT path FROM tree ORDER BY id",
            "root/tools/hammers",
        ),
        (
            "WITH RECURSIVE tree(id, path) AS (SELECT id, code::text FROM categories \
             WHERE parent_id IS NULL UNION ALL SELECT c.id, t.path || '/' || c.code \
             FROM categories c JOIN tree t ON c.parent_id = t.id) \
             SELECT path FROM tree ORDER BY id",
            "r/t/h",
        ),
    ] {
        let accepted = ran(sql);
        assert_eq!(accepted.code, Some(0), "{sql}: {}", accepted.stderr);
        assert!(accepted.stdout.contains(path), "{}", accepted.stdout);
    }
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_row_unpacks_and_what_a_filter_keeps_are_weighed_by_their_longest_values() {
    // A million short tickets, and twenty of 10 MB all of client 2; two
    // documents of 10 MB. Helper-41: a gathering of client 2's tickets
    // weighed on a sample of pages that missed them (2 GiB); casts and
    // case mappings that hold more than the value they were given (26
    // `d.body::bytea::text` in one row: 1,513 MiB; 26 `initcap`: 569 MiB;
    // one `::jsonb` of a 10 MB text: 480 MiB).
    let target = ReadOnlyTarget::new(&format!(
        "{} CREATE TABLE tickets AS SELECT g AS id, g % 3000 + 1 AS client_id, 'ok'::text AS log \
           FROM generate_series(1, 1200000) g; \
         INSERT INTO tickets SELECT 2000000 + g, 2, repeat(md5(g::text), 312500) \
           FROM generate_series(1, 20) g; \
         CREATE TABLE batches AS SELECT 1 AS id, (SELECT jsonb_agg(jsonb_build_object( \
           'sku', 'A-' || g, 'qty', g % 7)) FROM generate_series(1, 500000) g) AS payload; \
         CREATE TABLE orders AS SELECT 1 AS id, (SELECT jsonb_agg(jsonb_build_object( \
           'sku', 'A-' || g, 'qty', g % 7)) FROM generate_series(1, 20000) g) AS lines; \
         ANALYZE;",
        documents(2)
    ))
    .await;
    // A client the statistics have never seen, estimated at one row
    // (60 reports of a new kind, 1,301 MiB gathered); counted,
    // it is the twenty rows it is.
    target
        .db
        .tamper(
            "INSERT INTO tickets SELECT 3000000 + g, 9999, repeat(md5(g::text), 312500) \
             FROM generate_series(1, 20) g",
        )
        .await;
    let clicks = target.clicks();
    let ran = |sql: &str| clicks.run(sql);
    assert_all_refused(
        ran,
        [
            "SELECT length(string_agg(log, ',')) AS n FROM tickets WHERE client_id = 2",
            "SELECT length(string_agg(log, ',')) AS n FROM tickets WHERE client_id = 9999",
        ],
        "gathers rows",
    );
    let columns = |call: &str| {
        (1..=26)
            .map(|i| format!("length({call}) AS a{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert_all_refused(
        ran,
        [
            format!(
                "SELECT d.id, {} FROM docs d WHERE d.id = 1",
                columns("d.body::bytea::text")
            ),
            format!(
                "SELECT d.id, {} FROM docs d WHERE d.id = 1",
                columns("initcap(d.body)")
            ),
            "SELECT d.id, jsonb_typeof(d.body::jsonb) AS t FROM docs d WHERE d.id = 1".to_owned(),
        ],
        "values whole",
    );
    // A jsonb built on is taken apart and put together again, in memory
    // many times its text (two of a 30 MB document: 827 MiB).
    assert_all_refused(
        ran,
        ["SELECT id, jsonb_array_length(payload || payload) AS n FROM batches"],
        "one row builds",
    );
    // So is one an operator removes from or adds to, which the validator
    // cannot tell from a number's arithmetic (two `payload - 0`
    // of a 30 MB document in one row, 802 MiB; six, 2,358 MiB).
    assert_all_refused(
        ran,
        [
            "SELECT id, jsonb_array_length(payload - 0) + jsonb_array_length(payload - 1) AS n \
             FROM batches",
            "SELECT id, jsonb_array_length((payload - 0) || '[1]') AS n FROM batches",
            "SELECT x.id, jsonb_array_length(x.p - 0) AS n \
             FROM (SELECT id, payload - 1 AS p FROM batches) AS x",
            "SELECT jsonb_array_length((SELECT payload FROM batches) - 0) \
                    + jsonb_array_length((SELECT payload FROM batches) - 1) AS n",
        ],
        "structured values whole",
    );
    // A document read whole by a call is read, then written out as text,
    // many times its length (four `concat(payload, '')` of a
    // 30 MB document, 875 MiB; sixteen `jsonb_array_length` of 4 million
    // integers, 760 MiB).
    assert_all_refused(
        ran,
        ["SELECT id, length(payload::text) + length(concat(payload, '')) AS n FROM batches"],
        "values whole",
    );
    assert_all_run(
        ran,
        [
            "SELECT length(string_agg(log, ',')) AS n FROM tickets WHERE client_id = 3",
            "SELECT d.id, length(upper(d.body)) AS n FROM docs d WHERE d.id = 1",
            "SELECT id, jsonb_array_length(payload) AS n FROM batches",
            // Arithmetic beside a document a rebuild could hold is not
            // refused (beside one it could not, it is: which operand is a
            // document only the types say).
            "SELECT id - 1 AS i, jsonb_array_length(lines) AS n FROM orders",
            "SELECT jsonb_array_length(lines - 0) AS n FROM orders",
            "SELECT d.id, length(d.body || '') - 1 AS n FROM docs d WHERE d.id = 1",
            // Groups that keep numbers of what they read (a sum by key was
            // once refused).
            "SELECT t.id % 4 AS g, sum(length(t.log || '')) AS n FROM tickets t \
             WHERE t.client_id = 2 GROUP BY 1",
        ],
    );
    target.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_value_whose_text_explodes_is_shown_without_being_written_out() {
    // A value's text may take thousands of times what it takes stored, and the
    // server writes it whole before a cell is cut from it (a jsonb of 6,000
    // numbers 1e131071 in 1.6 kB, 786 MB written; a jsonb of control
    // characters, six characters each, 2,027 MiB; an array of one element of
    // '"', each written `\"`, 1,745 MiB). What a value takes is read from its
    // pointer first; a number is received as kept and written in the bot.
    let target = ReadOnlyTarget::new(
        "CREATE TABLE planted AS SELECT 1 AS id, \
           (SELECT jsonb_agg('1e131071'::numeric) FROM generate_series(1, 6000)) AS nums, \
           jsonb_build_object('s', repeat(chr(1), 20000000)) AS controls, \
           ARRAY[repeat('\"', 30000000)] AS quotes, \
           '1e131071'::numeric AS big, \
           ARRAY['1e131071'::numeric, 2.5] AS numbers, \
           '{\"qty\": 12, \"amount\": 1234.56}'::jsonb AS meta, \
           (SELECT jsonb_agg(jsonb_build_object('id', g, 'name', 'client ' || g)) \
              FROM generate_series(1, 5000) g) AS doc, \
           ARRAY[repeat('ab', 3000), 'c d'] AS tags, \
           '{\"id\": 123456789012345678901, \"amount\": 0.12345678901234567890123}'::jsonb AS exact; \
         CREATE TABLE notes AS SELECT 1 AS id, repeat('\"', 7900) AS body; \
         CREATE TABLE wrapped AS SELECT 1 AS id, nums AS j FROM planted; \
         CREATE TYPE inner_row AS (x text); \
         CREATE TYPE outer_row AS (y inner_row[]); \
         CREATE TABLE nest AS SELECT 1 AS id, \
           ROW(ARRAY[ROW(repeat('\"', 1000))::inner_row])::outer_row AS v; \
         CREATE TYPE wide AS (f0 numeric, f1 numeric, f2 numeric, f3 numeric, f4 numeric, f5 numeric, f6 numeric, f7 numeric, f8 numeric, f9 numeric, f10 numeric, f11 numeric, f12 numeric, f13 numeric, f14 numeric, f15 numeric, f16 numeric, f17 numeric, f18 numeric, f19 numeric, f20 numeric, f21 numeric, f22 numeric, f23 numeric, f24 numeric, f25 numeric, f26 numeric, f27 numeric, f28 numeric, f29 numeric, f30 numeric, f31 numeric, f32 numeric, f33 numeric, f34 numeric, f35 numeric, f36 numeric, f37 numeric, f38 numeric, f39 numeric, f40 numeric, f41 numeric, f42 numeric, f43 numeric, f44 numeric, f45 numeric, f46 numeric, f47 numeric, f48 numeric, f49 numeric); \
         CREATE TABLE widths AS SELECT ROW('1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric, '1e131071'::numeric)::wide AS w; \
         CREATE TYPE deep_row AS (x outer_row); \
         CREATE TYPE deep_range AS RANGE (subtype = deep_row); \
         CREATE TABLE ranged AS SELECT deep_range(ROW(v)::deep_row, ROW(v)::deep_row, '[]') AS r \
           FROM nest; \
         CREATE TABLE controls (a jsonb, b jsonb); \
         ALTER TABLE controls ALTER a SET STORAGE EXTERNAL, ALTER b SET STORAGE EXTERNAL; \
         INSERT INTO controls SELECT to_jsonb(repeat(chr(1), 700000)), \
           to_jsonb(repeat(chr(1), 700000)); \
         ANALYZE;",
    )
    .await;
    let clicks = target.clicks();
    let cell = |column: &str| {
        let sql = format!("SELECT p.{column} AS v FROM planted p");
        let out = clicks.run(&sql);
        assert_eq!(out.code, Some(0), "{sql}: {}", out.stderr);
        assert!(
            out.peak_bytes < PEAK_MEMORY_BYTES,
            "{sql}: peak {} MiB",
            out.peak_bytes >> 20
        );
        let value = out.stdout.strip_prefix("v\r\n").unwrap().trim_end();
        value.trim_matches('"').replace("\"\"", "\"")
    };
    // Too large to write out: said with what it takes stored.
    for (column, kind) in [
        ("nums", "jsonb"),
        ("controls", "jsonb"),
        ("quotes", "text[]"),
    ] {
        let shown = cell(column);
        assert!(
            shown.starts_with(&format!("[{kind} of "))
                && shown.ends_with(" stored: too large to write out]"),
            "{column}: {shown}"
        );
    }
    // A number of 131,072 digits, kept in a few bytes.
    assert_eq!(cell("big"), "1e+131071");
    // An array holding a long number: element by element, each cut.
    let numbers = cell("numbers");
    assert!(
        numbers.starts_with("[1:2]={1000") && numbers.ends_with("…[truncated]"),
        "{numbers}"
    );
    let meta = cell("meta");
    assert!(meta.contains("\"amount\":1234.56"), "{meta}");
    // A long document of ordinary values is written out, then cut.
    let doc = cell("doc");
    assert!(
        doc.starts_with("[{\"id\": 1, \"name\": \"client 1\"}") && doc.ends_with("…[truncated]"),
        "{doc}"
    );
    // An array of long texts: whole when it fits, its elements cut.
    let tags = cell("tags");
    assert!(
        tags.starts_with("{abab") && tags.ends_with("…[truncated]"),
        "{tags}"
    );
    // A document's numbers as PostgreSQL wrote them, not rounded to a
    // float.
    assert_eq!(
        cell("exact"),
        "{\"id\":123456789012345678901,\"amount\":0.12345678901234567890123}"
    );
    // Rows within rows double their quotes at each level: not written out,
    // whatever they take stored.
    for sql in [
        "SELECT s3 AS v FROM (SELECT s2 FROM (SELECT s1 FROM (SELECT 1 AS x) s1) s2) s3",
        "SELECT ROW(ROW(n.body)) AS v FROM notes n",
        "SELECT w AS v FROM wrapped w",
        "SELECT n.v FROM nest n",
        // A range of rows is rows (4.2 GB for 1.2 kB stored).
        "SELECT r.r AS v FROM ranged r",
    ] {
        let out = clicks.run(sql);
        assert_eq!(out.code, Some(0), "{sql}: {}", out.stderr);
        assert!(
            out.stdout.contains(": rows within rows, not written out]"),
            "{sql}: {}",
            out.stdout
        );
    }
    // A row of numbers is written only when it is a few numbers: each may
    // take 147,000 characters.
    let out = clicks.run("SELECT w AS v FROM widths");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("[wide of "), "{}", out.stdout);
    // What a row's values take read is shared among its columns: one
    // document of 700 kB of control characters is written out (then cut),
    // two are not (five of 16 MiB, 1,254 MiB).
    let one = clicks.run("SELECT c.a FROM controls c");
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    assert!(
        one.stdout.starts_with("a\r\n\"\"\"\\u0001"),
        "{}",
        &one.stdout[..100]
    );
    let two = clicks.run("SELECT c.a, c.b FROM controls c");
    assert_eq!(two.code, Some(0), "{}", two.stderr);
    assert_eq!(
        two.stdout
            .matches("stored: too large to write out]")
            .count(),
        2,
        "{}",
        two.stdout
    );
    // A row of plain fields is written as PostgreSQL writes it.
    let out = clicks.run("SELECT n AS v FROM notes n");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("v\r\n\"(1,\"\"\"\"\"\""),
        "{}",
        out.stdout
    );
    // Numbers come back as PostgreSQL writes them, whatever their form.
    let out = clicks.run(
        "SELECT v, v::text AS t FROM (VALUES (0::numeric), (-0.5), (1234.5600), (1e20), \
         (12345678901234567890.123), ('NaN'), (0.000000001), (-99999999.99999999)) AS n(v)",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for line in out.stdout.lines().skip(1) {
        let (number, text) = line.split_once(',').unwrap();
        assert_eq!(number, text, "{}", out.stdout);
    }
    target.drop_role().await;
}
