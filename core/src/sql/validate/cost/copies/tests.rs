use crate::sql::Dialect;
use crate::sql::validate::{Policy, Refusal, validate};

fn copies(sql: &str) -> u64 {
    validate(sql, &Policy::new(Dialect::Postgres))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .cost
        .row_copies
}

fn too_many(dialect: Dialect, sql: &str) -> bool {
    matches!(
        validate(sql, &Policy::new(dialect)),
        Err(Refusal::TooLarge(_))
    )
}

#[test]
fn a_deletion_or_a_concatenation_may_rebuild_each_value_it_is_given() {
    let pg = Policy::new(Dialect::Postgres);
    let rebuilds = |sql: &str| {
        validate(sql, &pg)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .cost
            .held_rebuilds
    };
    assert_eq!(rebuilds("SELECT payload, payload -> 0 FROM events"), 0);
    assert_eq!(rebuilds("SELECT payload - 0 FROM events"), 1);
    // What a deletion rebuilds is on its left; a concatenation, both sides.
    assert_eq!(rebuilds("SELECT 1 - id FROM events"), 0);
    assert_eq!(
        rebuilds("SELECT tags || '{x}', '{y}' || tags FROM events"),
        2
    );
    // Each value computed lives until the row is done, wherever it is.
    assert_eq!(
        rebuilds(
            "SELECT jsonb_array_length(payload - 0) + jsonb_array_length(payload - 1) \
             FROM events WHERE (payload - 2) IS NOT NULL"
        ),
        3
    );
    assert_eq!(rebuilds("SELECT (payload - 0) - 1 FROM events"), 2);
    // A nested query's rows are counted once, where it is walked; its
    // value, where it is rebuilt.
    assert_eq!(
        rebuilds("SELECT (SELECT max(e.id - 1) FROM events e) - 1 FROM events"),
        2
    );
    assert_eq!(
        rebuilds(
            "SELECT (SELECT payload FROM events WHERE id = 1) - 0, \
             ARRAY(SELECT id FROM events) || '{1}'"
        ),
        2
    );
    assert_eq!(
        rebuilds("SELECT x - 0 FROM (SELECT payload - 0 AS x FROM events) AS s"),
        2
    );
    // Rows outside any SELECT are held as a SELECT's are.
    assert_eq!(
        rebuilds(
            "WITH v(p) AS (VALUES ((SELECT payload FROM events WHERE id = 1) - 0)) \
             SELECT count(*) FROM v"
        ),
        1
    );
}

#[test]
fn each_call_given_a_value_read_reads_it_whole() {
    let pg = Policy::new(Dialect::Postgres);
    let reads = |sql: &str| {
        validate(sql, &pg)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .cost
            .held_reads
    };
    assert_eq!(reads("SELECT title, body FROM docs"), 0);
    assert_eq!(reads("SELECT md5(body) FROM docs"), 1);
    assert_eq!(
        reads("SELECT strpos(d.body, 'z') + strpos(d.body, 'y') FROM docs d"),
        2
    );
    // Matches keep what they unpacked; comparisons free it.
    assert_eq!(
        reads("SELECT id FROM docs WHERE body LIKE '%a%' OR body ~ 'b' OR body = 'c'"),
        2
    );
    assert_eq!(reads("SELECT id FROM docs WHERE body ILIKE '%a%'"), 2);
    // The header alone, an excerpt of a written length, a value passed on.
    assert_eq!(
        reads("SELECT octet_length(body), substr(body, 1, 200), coalesce(body, '') FROM docs"),
        0
    );
    assert_eq!(reads("SELECT substr(body, 2) FROM docs"), 1);
    // A call that builds a value holds it beside the copy it unpacked.
    assert_eq!(reads("SELECT length(initcap(body)) FROM docs"), 2);
    // One branch of a CASE is computed.
    assert_eq!(
        reads("SELECT CASE WHEN id > 1 THEN md5(body) ELSE upper(body) END FROM docs"),
        2
    );
    // Every SELECT's row may be alive at once.
    assert_eq!(
        reads("SELECT md5(x.b) FROM (SELECT upper(body) AS b FROM docs) x"),
        1 + 2
    );
    // A cast writes the value out and reads it in; a parse into a
    // structure holds many times the text.
    assert_eq!(reads("SELECT body::date FROM docs"), 2);
    assert_eq!(
        reads("SELECT length(body::bytea::text) FROM docs"),
        1 + 2 + 4
    );
    assert_eq!(reads("SELECT jsonb_typeof(body::jsonb) FROM docs"), 48 + 1);
}

#[test]
fn a_search_that_finds_every_match_works_on_its_text_many_times_over() {
    let pg = Policy::new(Dialect::Postgres);
    let working = |sql: &str| validate(sql, &pg).unwrap().cost.split_working;
    assert_eq!(working("SELECT regexp_count(body, 'a') FROM docs"), 14);
    assert_eq!(
        working("SELECT regexp_count(body, 'a') + regexp_count(body, 'b') FROM docs"),
        28
    );
    // Each group a match keeps two positions more.
    assert_eq!(
        working("SELECT regexp_instr(body, '((a))', 1, 1, 0, '', 1) FROM docs"),
        14 + 16
    );
}

#[test]
fn a_row_counts_each_copy_of_a_value_it_reads() {
    assert_eq!(copies("SELECT title, body FROM docs"), 1);
    assert_eq!(copies("SELECT body || body FROM docs"), 2);
    assert_eq!(copies("SELECT body, d.body, upper(body) FROM docs d"), 3);
    assert_eq!(copies("SELECT *, body FROM docs"), 2);
    assert_eq!(copies("SELECT repeat(body, 3) FROM docs"), 3);
    assert_eq!(copies("SELECT to_json(body) FROM docs"), 6);
    // JSON put in JSON is not escaped again.
    assert_eq!(
        copies("SELECT json_build_object('d', json_build_object('b', body)) FROM docs"),
        6
    );
    // Nor is JSON a subquery returns (the six copies are the
    // subquery's own); JSON put in XML is.
    assert_eq!(
        copies("SELECT json_build_object('d', (SELECT json_agg(body) FROM docs)) FROM docs"),
        6
    );
    assert!(
        validate(
            "SELECT xmlelement(name d, (SELECT json_agg(body) FROM docs)) FROM docs",
            &Policy::new(Dialect::Postgres)
        )
        .is_err()
    );
    assert_eq!(copies("SELECT format('%1$s-%1$s', body) FROM docs"), 2);
    assert_eq!(copies("SELECT format('%s %L', body, title) FROM docs"), 2);
    assert_eq!(copies("SELECT concat_ws(body, a, b, c) FROM docs"), 2);
    assert_eq!(copies("SELECT array_to_string(tags, ', ') FROM docs"), 3);
}

#[test]
fn a_value_built_on_the_way_counts_its_copies_though_the_row_keeps_none() {
    let built = |sql: &str| {
        validate(sql, &Policy::new(Dialect::Postgres))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .cost
            .built_copies
    };
    assert_eq!(built("SELECT length(body || body || body) FROM docs"), 3);
    assert_eq!(copies("SELECT length(body || body || body) FROM docs"), 1);
    assert_eq!(built("SELECT body || body FROM docs"), 2);
    assert_eq!(
        built("SELECT count(*) FROM docs WHERE body || body || body || body <> ''"),
        4
    );
    assert_eq!(built("SELECT title FROM docs"), 1);
    // Each call of a chain makes a new value, though as long as the
    // last; so does each `||` that adds nothing read.
    assert_eq!(built("SELECT upper(lower(upper(body))) FROM docs"), 2);
    assert_eq!(built("SELECT ((body || '') || '') || '' FROM docs"), 2);
    let chain = format!(
        "SELECT length({}body{}) FROM docs",
        "reverse(".repeat(10),
        ")".repeat(10)
    );
    assert_eq!(built(&chain), 9);
}

#[test]
fn a_split_counts_its_working_memory_added_up_over_the_row() {
    let working = |sql: &str| {
        validate(sql, &Policy::new(Dialect::Postgres))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .cost
            .split_working
    };
    assert_eq!(working("SELECT title FROM docs"), 0);
    assert_eq!(
        working("SELECT cardinality(regexp_split_to_array(body, '')) FROM docs"),
        80
    );
    assert_eq!(
        working("SELECT cardinality(string_to_array(body || body, NULL)) FROM docs"),
        160
    );
    // Two rows of a self-join split in one row of the result: each
    // split's memory lives until the row is done.
    assert_eq!(
        working(
            "SELECT cardinality(regexp_split_to_array(a.body, '')) \
             + cardinality(regexp_split_to_array(b.body, '')) \
             FROM docs a JOIN docs b ON b.id = a.id + 1"
        ),
        160
    );
    assert_eq!(
        working("SELECT count(*) FROM (SELECT regexp_split_to_table(body, '') FROM docs) s"),
        24
    );
    // A text search parses its second argument when given a
    // configuration first; every copy it parses counts.
    assert_eq!(working("SELECT to_tsvector(body) FROM docs"), 32);
    assert_eq!(working("SELECT to_tsvector('simple', body) FROM docs"), 32);
    assert_eq!(
        working(
            "SELECT length(to_tsvector('simple', replace(body || body || body, '1', ' '))) \
             FROM docs"
        ),
        96
    );
    assert_eq!(
        working("SELECT id FROM docs WHERE 'x' = ANY(string_to_array(tags, ','))"),
        80
    );
    // Every group of every match is kept: eight bytes a character each.
    assert_eq!(
        working("SELECT regexp_matches(body, '(\\w+)@(\\w+)', 'g') FROM docs"),
        40
    );
    assert_eq!(
        working("SELECT (regexp_matches(body, '()()()()()()()()()()()()(.)', 'g'))[1] FROM docs"),
        128
    );
    // What the split holds once built counts as copies, as before.
    let built = validate(
        "SELECT array_to_string(string_to_array(title, ','), ';') FROM docs",
        &Policy::new(Dialect::Postgres),
    )
    .unwrap();
    assert_eq!((built.cost.row_copies, built.cost.split_working), (16, 80));
}

#[test]
fn what_answers_a_question_holds_no_copy() {
    // A pivot names its measure once per column, inside sums and
    // conditions: its row holds numbers.
    let months: Vec<String> = (1..=12)
        .map(|m| format!("sum(CASE WHEN month = {m} THEN amount ELSE 0 END) AS m{m}"))
        .collect();
    let pivot = format!(
        "SELECT region, {} FROM sales GROUP BY region",
        months.join(", ")
    );
    assert_eq!(copies(&pivot), 1);
    assert_eq!(
        copies("SELECT length(body), md5(body), body LIKE '%x%', position('a' IN body) FROM docs"),
        1
    );
    assert_eq!(
        copies("SELECT CASE WHEN body IS NULL THEN title ELSE body END FROM docs"),
        1
    );
}

#[test]
fn a_value_built_on_the_way_counts_even_when_only_its_length_is_kept() {
    let hundred = vec!["body"; 100].join(" || ");
    for sql in [
        format!("SELECT length({hundred}) FROM docs"),
        format!("SELECT id FROM docs WHERE length({hundred}) > 5"),
        format!("SELECT id FROM docs ORDER BY md5({hundred})"),
        format!("SELECT CASE WHEN ({hundred}) LIKE '%x%' THEN 1 END FROM docs"),
        format!("SELECT count(*) FROM docs GROUP BY {hundred}"),
        "SELECT x FROM (SELECT length(body || body || body || body || body) AS x FROM (SELECT body || body || body || body AS body FROM docs) a) b"
            .to_owned(),
    ] {
        assert!(too_many(Dialect::Postgres, &sql), "{sql}");
    }
}

#[test]
fn a_nested_query_multiplies_the_copies_of_its_rows() {
    assert_eq!(
        copies("SELECT x || x FROM (SELECT body || body AS x FROM docs) s"),
        4
    );
    assert_eq!(
        copies("WITH d AS (SELECT body AS x, body AS y FROM docs) SELECT x || y FROM d"),
        2
    );
    // Each CTE of a chain reads the copies of the one before.
    assert_eq!(
        copies(
            "WITH a AS (SELECT body || body AS x FROM docs), \
             b AS (SELECT x || x AS y FROM a) SELECT y || y FROM b"
        ),
        8
    );
    // Two copies at each of five steps are 32: past the bound, though
    // no step holds more than two.
    let steps = ["a", "b", "c", "d", "e"];
    let mut ctes = vec!["a AS (SELECT body || body AS v FROM docs)".to_owned()];
    for pair in steps.windows(2) {
        ctes.push(format!(
            "{} AS (SELECT v || v AS v FROM {})",
            pair[1], pair[0]
        ));
    }
    let chain = format!("WITH {} SELECT length(v) FROM e", ctes.join(", "));
    assert!(too_many(Dialect::Postgres, &chain), "{chain}");
    // A LATERAL subquery reads the rows before it: 5 copies of 5.
    let five = |x: &str| [x; 5].join(" || ");
    assert!(too_many(
        Dialect::Postgres,
        &format!(
            "SELECT length(b.w) FROM docs d, LATERAL (SELECT {} AS v) a, \
             LATERAL (SELECT {} AS w) b",
            five("d.body"),
            five("a.v")
        )
    ));
    assert_eq!(
        copies(
            "SELECT b.w FROM docs d, LATERAL (SELECT d.body || d.body AS v) a, \
             LATERAL (SELECT a.v || a.v AS w) b"
        ),
        // 2, then 2 × 2 after it, both in the row of the join.
        6
    );
    // The rows of a VALUES hold the copies its values make.
    assert_eq!(
        copies("SELECT x FROM (VALUES ('a'), ('b' || 'c')) AS v(x)"),
        1
    );
    assert!(too_many(
        Dialect::Postgres,
        &format!(
            "SELECT length(v.w) FROM docs d CROSS JOIN LATERAL (VALUES ({})) AS v(w), \
             LATERAL (VALUES ({})) AS u(z)",
            five("d.body"),
            five("v.w")
        )
    ));
}

#[test]
fn a_row_holding_many_copies_of_a_value_is_refused_where_no_worker_bounds_it() {
    let hundred = vec!["body"; 100].join(" || ");
    for dialect in [Dialect::Postgres, Dialect::Oracle] {
        assert!(too_many(dialect, &format!("SELECT {hundred} FROM docs")));
    }
    // SQLite's worker holds the row to its memory.
    assert!(!too_many(
        Dialect::Sqlite,
        &format!("SELECT {hundred} FROM docs")
    ));
    let pg = Dialect::Postgres;
    for sql in [
        "SELECT format('%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s', body) FROM docs",
        "SELECT (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1) || (SELECT body FROM docs LIMIT 1)",
        "SELECT x || x || x || x || x FROM (SELECT y || y || y || y AS x FROM (SELECT body AS y FROM docs) a) b",
        "SELECT to_json(body) || to_json(body) || to_json(body) FROM docs",
        "SELECT array_to_string(string_to_array(body, NULL), ', ') FROM docs",
        "SELECT array_to_string(string_to_array(body, NULL), body) FROM docs",
        "SELECT concat_ws(body, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r) FROM docs",
        "SELECT ARRAY[body, body, body, body, body, body, body, body, body, body, body, body, body, body, body, body, body] FROM docs",
    ] {
        assert!(too_many(pg, sql), "{sql}");
    }
}
