use super::numbers::number_digits;
use super::*;
use crate::sql::validate::bounds::tests::refused;

mod searches;

#[test]
fn numbers_are_read_by_their_digits() {
    assert_eq!(number_digits("12.50"), Some(4));
    assert_eq!(number_digits("1e-16383"), Some(16383));
    assert_eq!(number_digits(" -1_000.5e3 "), Some(7));
    assert_eq!(number_digits("0.001"), Some(3));
    assert_eq!(number_digits("1e999999999999999"), Some(HUGE));
    assert_eq!(number_digits("2024-01-01"), None);
    assert_eq!(number_digits("e5"), None);
    assert_eq!(number_digits(""), None);
}

#[test]
fn logarithms_roots_and_powers_work_on_few_digits_the_statement_wrote() {
    let pg = Dialect::Postgres;
    for sql in [
        // Seconds of a backend's CPU a call, folded at the offer's EXPLAIN.
        "SELECT log(1 + 1e-16383, 2 + 1e-16383) > 0 AS x",
        "SELECT ln(1 + '1e-5000')",
        "SELECT ln(1 + numeric '1e-5000')",
        "SELECT log(1 + CAST('1e-5000' AS numeric), 2)",
        // A product's scale is the sum of its factors'.
        "SELECT log(1 + 1e-600 * 1e-600, 2)",
        "WITH a AS (SELECT 1e-600 AS x) SELECT log(1 + x * x, 2) FROM a",
        "SELECT log(2, round(1.5, 5000) + 0.1)",
        "SELECT log(2, round(1.5, id) + 0.1) FROM t",
        "SELECT ln(('1.' || repeat('0', 5000) || '1')::numeric)",
        "SELECT (1 + 1e-5000) ^ 0.5",
        "SELECT power(1 + 1e-5000, 2.5)",
        "SELECT exp(1e-3000)",
        // A power written out has its base's digits that many times:
        // `1 / 9.0 ^ 1000` has a scale of 972.
        "SELECT log(1 + (1 / 9.0 ^ 1000), 2) > 0 AS x",
        "SELECT ln(1 + 1 / power(9.0, 1000))",
        "SELECT ln(1 + 9.0 ^ -1000)",
    ] {
        assert!(refused(pg, sql), "{sql}");
    }
    // Through a function read as rows, whose columns are not followed.
    assert!(refused(
        pg,
        "SELECT ln(v) FROM unnest(ARRAY[1 + 1e-16383]) AS u(v)"
    ));
    assert!(refused(
        pg,
        "SELECT ln(v) FROM unnest(ARRAY[1 + 1e-600 * 1e-600]) AS u(v)"
    ));
    assert!(refused(pg, "SELECT 1 + 1e-16383 > 0 AS tiny"));
    // Many numbers side by side are many numbers, not a long one.
    let ids: Vec<String> = (100_000..100_400).map(|n| n.to_string()).collect();
    for sql in [
        format!("SELECT id FROM t WHERE id = ANY(ARRAY[{}])", ids.join(", ")),
        format!("SELECT greatest({}) AS g", ids.join(", ")),
    ] {
        assert!(!refused(pg, &sql), "{sql}");
    }
    // Many small ones add up.
    let many = vec!["log(2, 1.000000001)"; 120].join(" + ");
    assert!(refused(pg, &format!("SELECT {many}")));
    for sql in [
        "SELECT ln(amount), power(1.05, 10), exp(sum(ln(x))), round(avg(x), 2), sqrt(2) FROM t",
        "SELECT log(2, 1024), 2 ^ 10, power(amount, 0.5) FROM t",
        "SELECT amount * power(1.05, 12), ln(1.05 ^ 12), 2 ^ 64 FROM t",
        "SELECT id FROM t WHERE amount > 1e-300",
        "SELECT round(ln(amount::numeric(12, 2)), 4) FROM t",
    ] {
        assert!(!refused(pg, sql), "{sql}");
    }
}

#[test]
fn a_power_of_an_exact_number_has_its_exponent_written_out() {
    let pg = Dialect::Postgres;
    for sql in [
        "SELECT amount * power(1.05, 12), 1.05 ^ 12, power(amount, 0.5) FROM t",
        "SELECT power(amount::float8, years), CAST(1.05 AS double precision) ^ years FROM t",
        "SELECT 2 ^ -3, power(2, 1000) FROM t",
        // A constant written as arithmetic; a remainder; an integer to
        // an integer power, which PostgreSQL computes in floating point.
        "SELECT id, amount * power(1 + 0.04 / 12, 12 * 5) AS fv FROM orders",
        "SELECT id, power(2, id % 20) AS p, 2 ^ (id % 20) AS q FROM orders",
        "SELECT id, 10 ^ (length(note) - 30) AS p FROM orders",
        // A year, or date_part's double precision.
        "SELECT amount * power(1.02, date_part('year', now()) - 2020) AS f FROM orders",
        "SELECT amount * power(1.02, extract(year FROM now()) - 2020) AS f FROM orders",
    ] {
        assert!(accepted(pg, sql), "{sql}");
    }
    // Taken from the data or computed, even from constants, and in any
    // notation.
    for sql in [
        "SELECT (amount ^ (id + 40000)) / (amount ^ (id + 20000)) FROM orders",
        "SELECT power(1.05, years) FROM t",
        "SELECT x / y FROM (SELECT 1494.0 ^ (410 * 100) AS x, 1493.0 ^ 205 AS y) p",
        "SELECT 1494.0 ^ CAST('40000' AS int)",
        "SELECT 1494.0 ^ 999.0e1",
        "SELECT 1494.0 ^ (400 * 100)",
        "SELECT 2 ^ amount FROM orders",
        "SELECT 1.02 ^ length(note) FROM orders",
    ] {
        assert!(refused(pg, sql), "{sql}");
    }
    // Elsewhere numbers have a fixed precision.
    assert!(accepted(
        Dialect::Oracle,
        "SELECT power(1.05, years) FROM t"
    ));
    assert!(accepted(
        Dialect::Sqlite,
        "SELECT power(1.05, years) FROM t"
    ));
}

#[test]
fn a_number_read_from_a_text_the_statement_cuts_has_a_precision() {
    let pg = Dialect::Postgres;
    for sql in [
        "SELECT mod(x, z) FROM (SELECT substr(regexp_replace(body, '[a-f]', '', 'g'), 1, 131000)::numeric AS x, substr(body, 1, 65500)::numeric + 1 AS z FROM docs) q",
        "SELECT CAST(split_part(reference, '-', 3) AS numeric) FROM contracts",
        "SELECT (code || '0')::decimal FROM t",
        // Letters deleted or made digits join digits together.
        "SELECT replace(replace(body, 'a', ''), 'b', '')::numeric FROM docs",
        "SELECT replace(body, 'a', '1')::numeric FROM docs",
        "SELECT trim(substr(body, 1, 131000))::numeric FROM docs",
    ] {
        assert!(refused(pg, sql), "{sql}");
    }
    for sql in [
        "SELECT CAST(substring(note from 1 for 4) AS numeric), CAST(left(note, 4) AS numeric) FROM orders",
        "SELECT CAST(trim(nom) AS numeric), CAST(replace(nom, ',', '.') AS numeric) FROM clients",
        "SELECT round(avg(amount)::numeric, 2), amount::numeric FROM orders GROUP BY amount",
        "SELECT split_part(reference, '-', 3)::numeric(12, 0) FROM contracts",
        "SELECT split_part(reference, '-', 3)::int FROM contracts",
    ] {
        assert!(accepted(pg, sql), "{sql}");
    }
}

#[test]
fn a_cast_to_a_fixed_length_text_pads_within_the_bound() {
    let pg = Dialect::Postgres;
    // Folded at the offer's EXPLAIN, each a 10 MB value.
    assert!(refused(
        pg,
        "SELECT octet_length(CAST('a0' AS char(10485760))) AS n"
    ));
    assert!(refused(pg, "SELECT 'a'::character(20000) AS c"));
    assert!(refused(
        pg,
        "SELECT cardinality(array_agg(CAST(o.note AS char(100000)))) FROM orders o"
    ));
    // An array of them pads each element.
    let elements = vec!["'a'"; 25].join(", ");
    assert!(refused(
        pg,
        &format!("SELECT CAST(ARRAY[{elements}] AS char(1000)[]) AS a")
    ));
    // The padding counts where the value goes on (a repeat of it).
    assert!(refused(
        pg,
        "SELECT repeat(CAST('a' AS char(5000)), 3) AS r"
    ));
    for sql in [
        "SELECT CAST(code AS char(3)) FROM t",
        "SELECT CAST(nom AS varchar(10485760)) FROM clients",
        "SELECT 'FR'::char(2) AS country",
    ] {
        assert!(!refused(pg, sql), "{sql}");
    }
}

#[test]
fn what_a_whole_statement_builds_is_bounded_as_its_plan_shows_it() {
    let pg = Dialect::Postgres;
    // Each filter is one 10,000-character constant in the plan.
    let filters = (0..20)
        .map(|i| format!("note <> repeat('{i}', 10000)"))
        .collect::<Vec<_>>()
        .join(" AND ");
    assert!(refused(
        pg,
        &format!("SELECT id FROM orders WHERE {filters}")
    ));
    // A built column read by name counts where it is read.
    let reads = vec!["x <> s"; 20].join(" AND ");
    assert!(refused(
        pg,
        &format!("WITH v(s) AS (SELECT repeat('a', 10000)) SELECT x FROM t, v WHERE {reads}")
    ));
    // Nested calls count once, by the outermost: 18,000 characters.
    let nested = ["upper(lower(upper(lower(repeat('a', 9000)))))"; 2].join(", ");
    assert!(!refused(pg, &format!("SELECT {nested}")));
    assert!(!refused(
        pg,
        "SELECT rpad(nom, 40, '.') || lpad(ville, 30) AS ligne, repeat('-', 70) AS rule FROM clients"
    ));
}

#[test]
fn sizes_follow_columns_renamed_by_a_column_list_or_passed_on_by_a_star() {
    let pg = Dialect::Postgres;
    let sqlite = Dialect::Sqlite;
    // Each of these renames lost what was known of a value before 200dbaca.
    for (dialect, sql) in [
        (
            pg,
            "WITH a AS (SELECT string_agg(note, '') AS s FROM orders) SELECT length(translate(upper(o.note), k.x, '')) AS n FROM orders o, a AS k(x) WHERE o.id = 1",
        ),
        (
            pg,
            "WITH RECURSIVE r(n, i) AS (SELECT 1::numeric, 0 UNION ALL SELECT x * 0.0000000001, j + 1 FROM r AS q(x, j) WHERE j < 1638) SELECT log(1 + n, 2 + n) > 0 AS a FROM r",
        ),
        (
            pg,
            "WITH RECURSIVE r(n, i) AS (SELECT 1::numeric, 0 UNION ALL SELECT l.m, i + 1 FROM r, LATERAL (SELECT r.n * 0.0000000001 AS m) l WHERE i < 1638) SELECT ln(n) FROM r",
        ),
        (
            pg,
            "WITH RECURSIVE r(n, i) AS (SELECT 2::numeric, 0 UNION ALL SELECT n * 2, i + 1 FROM r WHERE i < 9000) SELECT ln(m) FROM (SELECT * FROM r) AS q(m, j)",
        ),
        (
            pg,
            "WITH RECURSIVE r(n, i) AS (SELECT 2::numeric, 0 UNION ALL SELECT n * 2, i + 1 FROM r WHERE i < 9000) SELECT ln(m) FROM r AS q(m, j)",
        ),
        (
            pg,
            "WITH RECURSIVE r(s, i) AS (SELECT 'a'::text, 0 UNION ALL SELECT x || x, j + 1 FROM r AS q(x, j) WHERE j < 27) SELECT length(s) AS n FROM r",
        ),
        (
            pg,
            "WITH RECURSIVE r(n, i) AS (SELECT 1::numeric, 0 UNION ALL SELECT (n::text || '0')::numeric, i + 1 FROM r WHERE i < 16000) SELECT log(n, 2) FROM r",
        ),
    ] {
        assert!(refused(dialect, sql), "{sql}");
    }
    // SQLite's set gathered under a new name is left to its worker, killed
    // at the deadline inside the call.
    assert!(!refused(
        sqlite,
        "WITH t(s) AS (SELECT group_concat('y','') || 'x' FROM orders), u(z) AS (SELECT * FROM t) \
         SELECT length(ltrim(o.note, u.z)) AS n FROM orders o, u"
    ));
    // What the statement builds is counted under the new name.
    let filters = (0..3)
        .map(|i| format!("u.note || '{i}' <> k.x"))
        .collect::<Vec<_>>()
        .join(" AND ");
    assert!(refused(
        pg,
        &format!(
            "WITH c AS (SELECT repeat('a', 10000) AS s) SELECT id FROM orders u, c AS k(x) WHERE {filters}"
        )
    ));
    // Behind a table read by `*`, places are unknown: every name given
    // carries the most of any column.
    assert!(refused(
        pg,
        "WITH t AS (SELECT *, (SELECT string_agg(nom, '') FROM clients) AS s FROM orders) SELECT translate(k.a, k.b, '') FROM t AS k(a, b)"
    ));
    // Legitimate renamings pass.
    for sql in [
        "SELECT k.x FROM (SELECT nom FROM clients) AS k(x)",
        "WITH c AS (SELECT id, nom FROM clients) SELECT k.i, upper(k.n) FROM c AS k(i, n)",
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT j + 1 FROM r AS q(j) WHERE j < 10) SELECT i FROM r",
    ] {
        assert!(!refused(pg, sql), "{sql}");
    }
}

#[test]
fn every_branch_of_a_choice_counts_toward_the_statement_whole() {
    let pg = Dialect::Postgres;
    let whens = (0..3)
        .map(|i| format!("WHEN {i} THEN repeat('{i}', 10000)"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(refused(
        pg,
        &format!("SELECT id FROM orders u WHERE u.note <> CASE u.id {whens} END")
    ));
    let args = (0..3)
        .map(|i| format!("repeat('{i}', 10000)"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(refused(
        pg,
        &format!("SELECT id FROM orders u WHERE u.note <> coalesce(NULL, {args})")
    ));
    // nchar(n) pads as char(n) does; NOT MATERIALIZED copies a CTE into
    // every reader.
    assert!(refused(
        pg,
        "SELECT octet_length(CAST('a0' AS nchar(10485760)))::bigint AS n"
    ));
    assert!(refused(
        pg,
        "WITH a0 AS NOT MATERIALIZED (SELECT id FROM orders), a1 AS NOT MATERIALIZED (SELECT * FROM a0 UNION ALL SELECT * FROM a0) SELECT count(*) AS n FROM a1"
    ));
    assert!(!refused(
        pg,
        "WITH a AS MATERIALIZED (SELECT id FROM orders) SELECT count(*) AS n FROM a"
    ));
    assert!(!refused(pg, "SELECT CAST(code AS nchar(3)) FROM t"));
}

#[test]
fn array_to_string_counts_its_texts_for_every_piece() {
    let pg = Dialect::Postgres;
    // 5,000 nulls, each made 4,990 characters: 25 MB a value.
    let filler = "x".repeat(4990);
    assert!(refused(
        pg,
        &format!(
            "SELECT array_to_string(string_to_array(repeat(',', 4999), ',', ''), '', '{filler}') AS s"
        )
    ));
    // Pieces gathered from rows bring both texts each.
    assert!(refused(
        pg,
        &format!(
            "SELECT array_to_string(array_agg(NULL::text), '', '{}') FROM orders",
            "y".repeat(40)
        )
    ));
    let nulls = vec!["NULL"; 2000].join(", ");
    assert!(refused(
        pg,
        &format!("SELECT array_to_string(ARRAY[{nulls}], ',', 'n/a, none') AS s")
    ));
    // A computed text for a null is refused, not a panic.
    assert!(refused(
        pg,
        "SELECT array_to_string(ARRAY[NULL, note], ',', note) FROM orders"
    ));
    assert!(!refused(
        pg,
        "SELECT array_to_string(array_agg(nom ORDER BY nom), ', ', 'n/a') FROM clients"
    ));
}

#[test]
fn a_number_a_recursion_compounds_is_not_given_to_a_logarithm() {
    let pg = Dialect::Postgres;
    // One call no deadline interrupts (a scale grown by ten digits a step).
    for sql in [
        "WITH RECURSIVE r(n, i) AS (SELECT 1::numeric, 0 UNION ALL SELECT n * 0.0000000001, i + 1 \
         FROM r WHERE i < 1638) SELECT log(1 + n, 2 + n) > 0 FROM r WHERE i = 1638",
        "WITH RECURSIVE f(a, b, i) AS (SELECT 0::numeric, 1::numeric, 0 UNION ALL \
         SELECT b, a + b, i + 1 FROM f WHERE i < 90000) SELECT ln(b) FROM f",
        "WITH RECURSIVE r(n, i) AS (SELECT 2::numeric, 0 UNION ALL SELECT (n + 1) * 2, i + 1 \
         FROM r WHERE i < 9000) SELECT sqrt(n) FROM r",
        "WITH RECURSIVE r(n, i) AS (SELECT 2::numeric, 0 UNION ALL SELECT power(n, 2), i + 1 \
         FROM r WHERE i < 20) SELECT n ^ 0.5 FROM r",
    ] {
        assert!(refused(pg, sql), "{sql}");
    }
    // A text a recursion extends is as long as the recursion is deep:
    // read as a number, it has countless digits.
    assert!(refused(
        pg,
        "WITH RECURSIVE r(s, i) AS (SELECT '1'::text, 0 UNION ALL SELECT s || '0', i + 1 \
         FROM r WHERE i < 100000) SELECT ln(s::numeric) FROM r WHERE i = 100000"
    ));
    // So has a text gathered from rows, and a scale is all its digits.
    assert!(refused(
        pg,
        "SELECT ln(string_agg(code, '')::numeric) FROM t"
    ));
    assert!(refused(
        pg,
        "SELECT ln(to_number(string_agg(code, ''), '9999')) FROM t"
    ));
    let scaled = ["log(1.5::numeric(1000, 999), 2)"; 2].join(" + ");
    assert!(refused(pg, &format!("SELECT {scaled} AS a")));
    // A counter, and a product never given to a logarithm, are fine.
    for sql in [
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 12) \
         SELECT i, power(2::float8, i) AS p FROM r",
        "WITH RECURSIVE r(m, v) AS (SELECT 1, 100.0 UNION ALL SELECT m + 1, v * 1.05 FROM r \
         WHERE m < 12) SELECT m, round(v, 2) AS balance FROM r",
    ] {
        assert!(!refused(pg, sql), "{sql}");
    }
}

#[test]
fn sets_to_trim_or_translate_are_small_and_never_gathered() {
    let pg = Dialect::Postgres;
    // Folded at the offer's EXPLAIN, each in one call.
    assert!(refused(
        pg,
        "SELECT length(translate(repeat('x', 10000), repeat('a', 10000), 'z')) AS n"
    ));
    assert!(refused(
        pg,
        "SELECT ltrim(note, repeat('ab', 2500)) FROM orders"
    ));
    assert!(refused(
        pg,
        "SELECT trim(BOTH repeat('ab', 2500) FROM note) FROM orders"
    ));
    // SQLite: a set gathered from 16,000 rows runs in its worker, killed at
    // the deadline.
    assert!(!refused(
        Dialect::Sqlite,
        "WITH h(s) AS (SELECT group_concat('x', '') FROM orders a, clients b WHERE b.id <= 12), \
         t(s) AS (SELECT group_concat('y', '') || 'x' FROM orders a WHERE a.id <= 16000) \
         SELECT length(ltrim(h.s, t.s)) FROM h, t"
    ));
    assert!(refused(
        pg,
        "SELECT translate(note, (SELECT string_agg(code, '') FROM t), '') FROM orders"
    ));
    // A text a recursion extends is searched for no more than one an
    // aggregate gathers (96,000 characters against themselves here).
    let extended = "WITH RECURSIVE r(s, i) AS (SELECT '', 0 UNION ALL SELECT r.s || c.nom, i + 1 \
         FROM r JOIN clients c ON c.id = r.i + 1 WHERE i < 3000)";
    assert!(!refused(
        Dialect::Sqlite,
        &format!("{extended} SELECT length(ltrim(r.s, r.s)) FROM r WHERE i = 3000")
    ));
    assert!(refused(
        pg,
        &format!("{extended} SELECT length(translate(r.s, r.s, '')) FROM r WHERE i = 3000")
    ));
    assert!(!refused(
        pg,
        &format!("{extended} SELECT length(r.s) FROM r WHERE i = 3000")
    ));
    // Nor read from the data (a document against a document).
    for (dialect, sql) in [
        (pg, "SELECT ltrim(a.note, b.note) FROM orders a, orders b"),
        (
            pg,
            "SELECT translate(a.note, upper(b.note), '') FROM orders a, orders b",
        ),
        (
            pg,
            "SELECT trim(BOTH (SELECT code FROM t LIMIT 1) FROM nom) FROM clients",
        ),
    ] {
        assert!(refused(dialect, sql), "{sql}");
    }
    // SQLite's worker is killed at the deadline inside the call.
    assert!(!refused(
        Dialect::Sqlite,
        "SELECT rtrim(a.note, b.note) FROM orders a, orders b"
    ));
    for sql in [
        "SELECT translate(phone, '-. ', '') FROM clients",
        "SELECT btrim(nom, ' *') FROM clients",
        "SELECT trim(BOTH '0' FROM code) FROM t",
    ] {
        assert!(!refused(pg, sql), "{sql}");
    }
}

#[test]
fn growth_laundered_through_ctes_and_subqueries_is_weighed_whole() {
    let pg = Dialect::Postgres;
    // Eight times ten thousand, then eight times that: each step small.
    assert!(refused(
        pg,
        "WITH a AS (SELECT repeat('x', 10000) s), b AS (SELECT s||s||s||s||s||s||s||s s FROM a), \
         c AS (SELECT s||s||s||s||s||s||s||s s FROM b) SELECT length(s) FROM c"
    ));
    assert!(refused(
        pg,
        "SELECT length(t.s || t.s) FROM (SELECT repeat('x', 8000) AS s) t"
    ));
    assert!(refused(
        pg,
        "SELECT (SELECT repeat('x', 6000)) || (SELECT repeat('y', 6000))"
    ));
    assert!(refused(
        pg,
        "WITH a(s) AS (SELECT repeat('x', 6000)) SELECT concat(s, s) FROM a"
    ));
    assert!(refused(
        pg,
        "WITH a AS (SELECT repeat('x', 10000) s, repeat('y', 10000) t) SELECT ltrim(s || s, t) FROM a"
    ));
    // Reports that pad and join a few fields stay well within.
    assert!(!refused(
        pg,
        "WITH r AS (SELECT lpad(nom, 30) AS n, repeat('-', 40) AS rule FROM clients) \
         SELECT rule || n || rule FROM r"
    ));
    assert!(!refused(
        pg,
        "SELECT c.nom || ' ' || c.prenom || ' <' || c.email || '>' FROM clients c"
    ));
}

#[test]
fn escaping_repeating_and_powers_are_weighed_as_what_they_write() {
    let pg = Dialect::Postgres;
    // JSON writes a quote as two characters, a control one as six.
    let nested = (0..4).fold("repeat('\"', 2000)".to_owned(), |inner, _| {
        format!("to_json({inner})::text")
    });
    assert!(refused(pg, &format!("SELECT length({nested})")));
    // One argument written a hundred times by its position.
    assert!(refused(
        pg,
        &format!("SELECT format('{}', repeat('x', 1000))", "%1$s".repeat(100))
    ));
    assert!(!refused(
        pg,
        "SELECT format('%s, %s (%s)', nom, prenom, ville) FROM clients"
    ));
    // A column's value repeated is built, however short the value.
    assert!(refused(
        pg,
        "WITH a AS (SELECT repeat(nom, 10000) AS s FROM clients) SELECT s || s FROM a"
    ));
    assert!(refused(
        pg,
        "SELECT 10::numeric ^ 65000 / 10::numeric ^ 30000"
    ));
    assert!(refused(pg, "SELECT power(10::numeric, 65000)"));
    // An exponent from the data on an exact number may be anything
    // (`1.02 ^ 15000000`): in floating point it is not.
    assert!(refused(
        pg,
        "SELECT montant * power(1.02, annees) FROM contrats"
    ));
    assert!(!refused(
        pg,
        "SELECT montant * power(1.02::float8, annees) FROM contrats"
    ));
}

#[test]
fn a_recursive_step_does_not_square_its_own_number() {
    let pg = Dialect::Postgres;
    // Eighteen squarings of 3 make 125,000 digits, whose remainders no
    // deadline interrupts.
    for step in ["n * n", "n ^ 2", "power(n, 2)", "abs(n * n)", "n * (n + 1)"] {
        let sql = format!(
            "WITH RECURSIVE r(n, i) AS (SELECT 3::numeric, 0 UNION ALL SELECT {step}, i + 1 \
             FROM r WHERE i < 18) SELECT mod(a.n, b.n + 1) FROM r a, r b"
        );
        assert!(refused(pg, &sql), "{sql}");
    }
    // Growth by a factor written out, or by a sum, is a digit or so a step.
    for step in ["n * 1.05", "n + i", "n * 2"] {
        let sql = format!(
            "WITH RECURSIVE r(n, i) AS (SELECT 3::numeric, 0 UNION ALL SELECT {step}, i + 1 \
             FROM r WHERE i < 18) SELECT n FROM r"
        );
        assert!(accepted(pg, &sql), "{sql}");
    }
}

#[test]
fn a_recursive_step_may_extend_its_value_but_not_double_it() {
    let pg = Dialect::Postgres;
    assert!(refused(
        pg,
        "WITH RECURSIVE r(s, n) AS (SELECT 'x'::text, 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 29) \
         SELECT max(length(s)) FROM r"
    ));
    assert!(refused(
        pg,
        "WITH RECURSIVE r(a, b) AS (SELECT 'x', 'y' UNION ALL SELECT a || b, a FROM r) SELECT a FROM r"
    ));
    assert!(refused(
        pg,
        "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT repeat(s, 2) FROM r) SELECT s FROM r"
    ));
    // The path of a hierarchy grows by one name per level.
    assert!(!refused(
        pg,
        "WITH RECURSIVE tree AS (SELECT id, parent_id, nom, nom AS path FROM categories WHERE parent_id IS NULL \
         UNION ALL SELECT c.id, c.parent_id, c.nom, t.path || ' > ' || c.nom FROM categories c JOIN tree t ON c.parent_id = t.id) \
         SELECT path FROM tree"
    ));
}

#[test]
fn a_recursive_step_growing_by_what_it_reads_is_flagged_for_the_executor() {
    let grows = |sql: &str| {
        let query = match sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            sql,
        )
        .unwrap()
        .remove(0)
        {
            sqlparser::ast::Statement::Query(q) => q,
            other => panic!("{other}"),
        };
        judge(&query, Dialect::Postgres).unwrap().grows_by_reading
    };
    for sql in [
        "WITH RECURSIVE tree AS (SELECT id, nom AS path FROM categories WHERE parent_id IS NULL \
         UNION ALL SELECT c.id, t.path || ' > ' || c.nom FROM categories c JOIN tree t ON c.parent_id = t.id) \
         SELECT path FROM tree",
        "WITH RECURSIVE r(s, n) AS (SELECT '', 1 UNION ALL SELECT concat(s, d.body), n + 1 FROM r, docs d) SELECT s FROM r",
        "WITH RECURSIVE r(s, n) AS (SELECT '', 1 UNION ALL SELECT s || (SELECT body FROM docs), n + 1 FROM r) SELECT s FROM r",
    ] {
        assert!(grows(sql), "{sql}");
    }
    for sql in [
        // Its own value with what it built, or what it reads alone.
        "WITH RECURSIVE r(s, n) AS (SELECT 'x', 1 UNION ALL SELECT s || 'x', n + 1 FROM r WHERE n < 9) SELECT s FROM r",
        "WITH RECURSIVE r(s, n) AS (SELECT '', 1 UNION ALL SELECT d.body, n + 1 FROM r, docs d WHERE n < 3) SELECT s FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + c.id FROM r, clients c WHERE n < 9) SELECT n FROM r",
        // Not recursive.
        "WITH a AS (SELECT nom FROM clients) SELECT nom || nom FROM a",
    ] {
        assert!(!grows(sql), "{sql}");
    }
}

fn accepted(dialect: Dialect, sql: &str) -> bool {
    crate::sql::validate::validate(sql, &crate::sql::validate::Policy::new(dialect))
        .map_err(|e| eprintln!("{sql}: {e}"))
        .is_ok()
}
