use super::super::{Policy, Refusal, validate};
use super::regex::{MAX_REGEX_OPTIONAL, nested_repeats, unfolded};
use super::*;

fn regex_states(pattern: &str) -> u64 {
    unfolded(pattern).states
}

fn regex_optional(pattern: &str) -> u64 {
    unfolded(pattern).optional
}

/// Whether `sql` is refused as too large.
pub(in super::super) fn refused(dialect: Dialect, sql: &str) -> bool {
    matches!(
        validate(sql, &Policy::new(dialect)),
        Err(Refusal::TooLarge(_))
    )
}

#[test]
fn sizes_are_numbers_written_out_within_the_bound() {
    let pg = Dialect::Postgres;
    assert!(!refused(pg, "SELECT repeat('-', 40) AS rule"));
    assert!(!refused(pg, "SELECT lpad(nom, 12, ' ') FROM clients"));
    assert!(refused(pg, "SELECT repeat('x', 1000000000)"));
    assert!(refused(pg, "SELECT lpad('x', 1000000000)"));
    assert!(refused(pg, "SELECT repeat('x', id) FROM clients"));
    assert!(refused(
        pg,
        "SELECT rpad('x', (SELECT max(id) FROM clients))"
    ));
    assert!(refused(
        pg,
        "SELECT CAST(repeat('A', 100000000) AS integer)"
    ));
    assert!(refused(
        Dialect::Oracle,
        "SELECT rpad('x', 1000000000, 'x') FROM dual"
    ));
}

#[test]
fn growth_does_not_compound() {
    let pg = Dialect::Postgres;
    assert!(!refused(
        pg,
        "SELECT replace(replace(nom, 'é', 'e'), 'è', 'e') FROM clients"
    ));
    assert!(refused(
        pg,
        "SELECT replace(replace(repeat('x', 1000), 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx')"
    ));
    assert!(refused(pg, "SELECT repeat(repeat('x', 10000), 10000)"));
    assert!(refused(pg, "SELECT repeat(lpad('x', 10000), 10000)"));
}

#[test]
fn sqlite_statements_are_left_to_its_worker() {
    let lite = Dialect::Sqlite;
    assert!(!refused(lite, "SELECT instr(email, '@') FROM contacts"));
    assert!(!refused(lite, "SELECT ltrim(phone, '+0 ') FROM contacts"));
    assert!(!refused(
        lite,
        "SELECT printf('%05d %.2f %-10s', id, 1.5, nom) FROM clients"
    ));
    // What one call builds is held to the worker's memory, and a search,
    // which costs the product of its inputs in one call, is stopped by the
    // worker's kill at the deadline (`backend::sqlite::worker`): neither is
    // bounded on SQLite (the widths below end as SQLite's "string or blob
    // too big", or the worker's memory, in `read_only_runs`).
    assert!(!refused(lite, "SELECT printf('%.*c', 1000000000, 'x')"));
    assert!(!refused(lite, "SELECT printf('%.400000c', 'x')"));
    assert!(!refused(
        lite,
        "SELECT ltrim(printf('%.400c', 'x'), printf('%.40c', 'y'))"
    ));
    let three = format!(
        "SELECT instr(nom, '{0}'), instr(ville, '{0}'), instr(email, '{0}') FROM clients",
        "a".repeat(1500)
    );
    assert!(!refused(lite, &three));
    assert!(!refused(
        lite,
        "SELECT count(*) FROM orders WHERE nom LIKE printf('%.4000c', 'a')"
    ));
}

#[test]
fn postgres_searches_the_deadline_cannot_stop_look_for_short_written_needles() {
    let pg = Dialect::Postgres;
    for fine in [
        "SELECT strpos(note, 'facture') FROM orders",
        "SELECT position('@' IN email) FROM contacts",
        "SELECT split_part(email, '@', 2) FROM contacts",
        "SELECT replace(note, ';', ',') FROM orders",
        "SELECT strpos(lower(note), lower('Facture')) FROM orders",
    ] {
        assert!(!refused(pg, fine), "{fine}");
    }
    // A needle read from the data can be made to almost match
    // everywhere in a text made of the same data.
    assert!(refused(
        pg,
        "SELECT strpos(d.body || d.body, 'z' || d.body) FROM docs d"
    ));
    // SQLite's is killed inside the call at the deadline.
    assert!(!refused(
        Dialect::Sqlite,
        "SELECT instr(a.body || a.body, 'z' || a.body) FROM docs a"
    ));
    for heavy in [
        // A needle built, or cut from the document it is searched in.
        "SELECT strpos(translate(body, '0123456789bcdef', 'aaaaaaaaaaaaaaa'), 'b' || \
         repeat('a', 9999)) AS p FROM docs WHERE id = 1",
        "SELECT strpos(d.body, 'z' || substr(d.body, 1, 1000000)) AS p FROM docs d",
        "SELECT position(substr(body, 1, 100000) IN body) FROM docs",
        "SELECT replace(body, substr(body, 1, 100000), '') FROM docs",
    ] {
        assert!(refused(pg, heavy), "{heavy}");
    }
    // A delimiter or a LIKE pattern is searched for the same way.
    assert!(refused(
        pg,
        "SELECT count(*) AS n FROM docs d, string_to_table(d.body, 'z' || substr(d.body, 1, \
         500000)) s WHERE d.id = 1"
    ));
    assert!(refused(
        pg,
        "SELECT count(*) AS n FROM docs d WHERE d.body LIKE '%' || substr(d.body, 2, 200000) \
         || 'z'"
    ));
    // PostgreSQL's own spelling of LIKE is not read at all.
    assert!(
        validate(
            "SELECT count(*) FROM docs d WHERE d.body ~~ ('%' || d.title)",
            &Policy::new(pg)
        )
        .is_err()
    );
    assert!(!refused(
        pg,
        "SELECT count(*) FROM docs WHERE title ILIKE ANY (ARRAY['%facture%', '%avoir%'])"
    ));
    // Written out, a few words at most, all searches together.
    let long = format!("SELECT strpos(body, '{}') FROM docs", "a".repeat(300));
    assert!(refused(pg, &long));
    let three = format!(
        "SELECT strpos(body, '{0}'), split_part(body, '{0}', 1), replace(body, '{0}', '') \
         FROM docs",
        "a".repeat(100)
    );
    assert!(refused(pg, &three));
}

#[test]
fn every_form_that_reads_a_regular_expression_is_judged_as_one() {
    let pg = Dialect::Postgres;
    for sql in [
        "SELECT substring(repeat('a', 10000) from '^(a*)(a*)\\1\\2$') AS m",
        "SELECT substring(repeat('a', 10000), '^(a*)(a*)\\1\\2$') AS m",
        "SELECT substring(d.body from p.r) FROM docs d, (VALUES ('^(a*)\\1$')) p(r)",
        "SELECT substring(title from '([a-z]{1,200}){1,200}x') FROM docs",
        "SELECT repeat('a', 10000) ~ ANY (ARRAY['^(a*)(a*)\\1\\2$']) AS m",
        "SELECT body ~ ANY (ARRAY[substr(body, 2, 200)]) FROM docs",
        "SELECT title ~* ALL (SELECT body FROM docs) FROM docs",
    ] {
        assert!(refused(pg, sql), "{sql}");
    }
    for sql in [
        "SELECT substring(reference from 5 for 4), substring(reference, 5), substring(reference from strpos(reference, '-') + 1) FROM contracts",
        "SELECT substring(phone from '^0[1-9]') FROM contacts",
        "SELECT nom FROM clients WHERE nom ~* ANY (ARRAY['^sa ', ' sarl$'])",
    ] {
        assert!(!refused(pg, sql), "{sql}");
    }
}

#[test]
fn oracle_repeats_no_repeat_and_searches_for_text_written_out() {
    let ora = Dialect::Oracle;
    assert!(nested_repeats("^((a+)+)+b$"));
    assert!(nested_repeats("(a|aa)*"));
    assert!(nested_repeats("(\\w{2,5})*"));
    assert!(!nested_repeats("^[A-Z]+(-[A-Z]+)?$"));
    assert!(!nested_repeats("^0[1-9]( ?[0-9]{2}){4}$"));
    for sql in [
        "SELECT nom FROM clients WHERE REGEXP_LIKE(RPAD('a', 4000, 'a'), '^((a+)+)+b$')",
        "SELECT REGEXP_COUNT(RPAD('a', 4000, 'a'), '(a+)+b') AS n FROM dual",
        "SELECT COUNT(*) AS n FROM docs d WHERE d.body LIKE '%' || SUBSTR(d.body, 2, 1000000) || 'z'",
        "SELECT INSTR(d.body, 'z' || SUBSTR(d.body, 1, 1000000)) AS p FROM docs d",
        "SELECT title FROM docs d WHERE d.title LIKE d.body",
    ] {
        assert!(refused(ora, sql), "{sql}");
    }
    for sql in [
        "SELECT nom FROM clients WHERE REGEXP_LIKE(nom, '^[A-Z]+(-[A-Z]+)?$')",
        "SELECT nom FROM clients WHERE nom LIKE 'SA%' AND INSTR(nom, '-') > 0",
    ] {
        assert!(!refused(ora, sql), "{sql}");
    }
}

#[test]
fn optional_atoms_count_as_often_as_a_counted_repeat_unfolds_them() {
    assert_eq!(regex_optional("(a?a?a?a?){0,250}"), 1_001);
    assert_eq!(regex_optional("(?x)(a?a?a?a?a?a?) {0,200}"), 1_201);
    assert_eq!(regex_optional("(a|){0,50}"), 51);
    // A single atom repeated, or a fixed group, unfolds nothing optional.
    assert_eq!(regex_optional("a{0,250}"), 1);
    assert_eq!(regex_optional("[a-z]{1,255}"), 0);
    // Anchors match nothing, and weigh more to compile.
    assert_eq!(regex_optional("^0[1-9]([ .]?[0-9]{2}){4}$"), 12);
    assert_eq!(regex_optional("(\\y){0,150}b"), 601);
    // So do look-arounds and the word boundaries written as classes;
    // an empty group matches nothing, however it is opened.
    assert_eq!(regex_optional("(?=a){0,250}b"), 1_001);
    assert_eq!(regex_optional("(?<!a){0,250}b"), 1_001);
    assert_eq!(regex_optional("([[:<:]]){0,250}b"), 1_001);
    assert_eq!(regex_optional("(?:){0,250}b"), 251);
    assert_eq!(regex_optional("(?:ab)+"), 0);
    // The basic syntax groups and counts with backslashes.
    assert_eq!(
        regex_optional("(?b)\\(a\\{0,1\\}a\\{0,1\\}\\)\\{0,250\\}b"),
        502
    );
    assert!(regex_optional("(a?a?a?a?){0,250}") > MAX_REGEX_OPTIONAL);
    assert!(regex_optional("^(\\+33 ?|0)[1-9]([ .]?[0-9]{2}){4}$") <= MAX_REGEX_OPTIONAL);
}

#[test]
fn a_regular_expression_unfolds_into_few_states() {
    assert_eq!(regex_states("^(sa|sarl) "), 9);
    assert_eq!(regex_states("[a-z]{1,255}"), 255);
    assert_eq!(regex_states("(\\d{3}-){2}\\d{4}"), 12);
    assert_eq!(regex_states("([a-z]{1,200}){1,200}x"), 40_001);
    assert_eq!(regex_states("[]{]{1,3}"), 3);
    // Read as the expanded syntax reads it too: blanks are no atoms.
    assert_eq!(regex_states("(?x)(ab) {0,200}"), 402);
    assert_eq!(regex_states("(?x)[a-z]{ 1 , 255 }"), 257);
    assert_eq!(capture_groups("()()(?:x)[(](.)\\("), 3);
    let pg = Dialect::Postgres;
    assert!(!refused(
        pg,
        "SELECT phone ~ '^0[1-9]( ?[0-9]{2}){4}$' FROM contacts"
    ));
    // Compiled at the offer's EXPLAIN: a few hundred pass any deadline.
    assert!(refused(pg, "SELECT 'a' ~ '([a-z]{1,200}){1,200}x' AS c"));
    assert!(refused(
        pg,
        "SELECT regexp_replace(body, '(x{1,40}){1,40}', '') FROM docs"
    ));
}

#[test]
fn a_regular_expression_refers_back_to_nothing_it_matched() {
    for (dialect, fine) in [
        (
            Dialect::Postgres,
            "SELECT nom FROM clients WHERE nom ~* '^(sa|sarl) '",
        ),
        (
            Dialect::Postgres,
            "SELECT regexp_replace(nom, '\\s+', ' ', 'g') FROM clients",
        ),
        (
            Dialect::Oracle,
            "SELECT nom FROM clients WHERE REGEXP_LIKE(nom, '^[A-Z]+$')",
        ),
    ] {
        assert!(!refused(dialect, fine), "{fine}");
    }
    for (dialect, heavy) in [
        (
            Dialect::Postgres,
            "SELECT repeat('a', 10000) ~ '^(a*)(a*)\\1\\2$' AS m",
        ),
        (
            Dialect::Postgres,
            "SELECT regexp_matches(nom, '(a*)*(a*)*\\1$') FROM clients",
        ),
        (
            Dialect::Postgres,
            "SELECT nom !~ ('(x+)' || '\\1') FROM clients",
        ),
        // A column may hold any pattern (a CTE's, folded at
        // the offer); lookarounds backtrack too.
        (
            Dialect::Postgres,
            "WITH p(r) AS (SELECT '^(a*)(a*)\\1\\2$') SELECT repeat('a', 10000) ~ p.r AS m FROM p",
        ),
        (
            Dialect::Postgres,
            "SELECT nom FROM clients c, motifs m WHERE c.nom ~ m.motif",
        ),
        (
            Dialect::Postgres,
            "SELECT repeat('a', 4000) ~ '^(?:(?=(?:(?=a*$)a)*$)a)*$' AS m",
        ),
        (
            Dialect::Oracle,
            "SELECT 1 FROM dual WHERE REGEXP_LIKE(rpad('a', 4000, 'a'), '^(a+)\\1$')",
        ),
    ] {
        assert!(refused(dialect, heavy), "{heavy}");
    }
}

#[test]
fn postgres_recursion_keeps_only_its_last_step_and_gathering_is_flagged() {
    let pg = Policy::new(Dialect::Postgres);
    assert!(refused(
        Dialect::Postgres,
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r) SELECT count(*) FROM r"
    ));
    let all = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 9) SELECT n FROM r";
    assert!(!validate(all, &pg).unwrap().cost.gathers);
    assert!(!refused(
        Dialect::Sqlite,
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r WHERE n < 9) SELECT n FROM r"
    ));
    for sql in [
        "SELECT string_agg(nom, ', ') FROM clients",
        "SELECT ARRAY(SELECT nom FROM clients)",
        "SELECT id, (SELECT jsonb_agg(nom) FROM clients) FROM clients",
    ] {
        assert!(validate(sql, &pg).unwrap().cost.gathers, "{sql}");
    }
}

#[test]
fn groups_keep_values_when_an_aggregate_keeps_one_or_computes_what_it_sums() {
    let pg = Policy::new(Dialect::Postgres);
    for (sql, keeps) in [
        ("SELECT depth, count(*) FROM t GROUP BY depth", false),
        (
            "SELECT depth, count(name), sum(id), avg(id) FROM t GROUP BY depth",
            false,
        ),
        ("SELECT depth, max(name) FROM t GROUP BY depth", true),
        (
            "SELECT depth, string_agg(name, ',') FROM t GROUP BY depth",
            true,
        ),
        // A number computed may grow after its group is made on a zero.
        ("SELECT depth, sum(id * 1000) FROM t GROUP BY depth", true),
        ("SELECT depth, min(upper(name)) FROM t GROUP BY depth", true),
        // A window keeps nothing in a group.
        ("SELECT depth, max(name) OVER () FROM t", false),
    ] {
        assert_eq!(
            validate(sql, &pg).unwrap().cost.groups_keep_values,
            keeps,
            "{sql}"
        );
    }
}

#[test]
fn a_function_returning_rows_from_computed_arguments_is_flagged() {
    let pg = Policy::new(Dialect::Postgres);
    for (sql, computed) in [
        ("SELECT g FROM generate_series(1, 100) g", false),
        ("SELECT g FROM generate_series(1, 10 * 10) g", false),
        // PostgreSQL 15 and 16 guess 1,000 rows for any series of
        // dates, timestamps or numerics: one written out that gives no
        // more (the days of a year, a month by months counted short) is
        // foreseen, a longer one (a day of minutes, 1,441) is not.
        (
            "SELECT d FROM generate_series('2025-01-01'::date, DATE '2025-12-31', INTERVAL '1 day') d",
            false,
        ),
        (
            "SELECT d FROM generate_series(date '2000-01-01', date '2040-01-01', '1 month'::interval) d",
            false,
        ),
        (
            "SELECT d FROM generate_series(timestamp '2024-01-01', timestamp '2024-01-02', interval '1' minute) d",
            true,
        ),
        (
            "SELECT d FROM generate_series(date '2024-01-01', date '2024-12-31', interval '1 fortnight') d",
            true,
        ),
        (
            "SELECT d FROM generate_series(date '2024-01-01', current_date, interval '1 day') d",
            true,
        ),
        // A step whose parts differ in sign: PostgreSQL counts a month as
        // 30 days to tell its direction, up by a microsecond here, a
        // trillion rows; counted with 28 days it went down.
        (
            "SELECT g FROM generate_series(timestamp '2024-04-01', timestamp '2024-04-30', interval '1 month -2591999.999999 seconds') g",
            true,
        ),
        (
            "SELECT g FROM generate_series(date '2024-03-30', date '2024-04-02', interval '1 day -23 hours') g",
            true,
        ),
        // Cut to whole units there, not here: 1,201 rows, not 601.
        (
            "SELECT g FROM generate_series(timestamp '2024-01-01', timestamp '2024-01-01 20:00', interval '1.999' minute) g",
            true,
        ),
        (
            "SELECT g FROM generate_series(date '2000-01-01', date '2024-01-01', interval '0.124 year') g",
            true,
        ),
        (
            "SELECT generate_series(timestamp '2000-01-01', timestamp '2100-01-01', interval '1 second')",
            true,
        ),
        (
            "SELECT g FROM generate_series(1::numeric, 1000000000::numeric) g",
            true,
        ),
        ("SELECT g FROM generate_series(1.5, 10) g", true),
        ("SELECT x FROM unnest(ARRAY['a', 'b']) x", false),
        (
            "SELECT g FROM generate_series(1, (SELECT max(id) FROM clients)) g",
            true,
        ),
        ("SELECT generate_series(1, id) FROM clients", true),
        ("SELECT x FROM clients, unnest(ARRAY[nom]) x", true),
        ("SELECT regexp_split_to_table(nom, ' ') FROM clients", true),
        ("SELECT upper(nom) FROM clients", false),
    ] {
        assert_eq!(
            validate(sql, &pg).unwrap().cost.computed_series,
            computed,
            "{sql}"
        );
    }
}

#[test]
fn the_columns_a_statement_may_read_are_known() {
    let pg = Policy::new(Dialect::Postgres);
    let reach = |sql: &str| validate(sql, &pg).unwrap().reach;
    let one = reach("SELECT string_agg(d.title, ',') FROM docs d WHERE \"Kind\" = 'x'");
    assert!(one.may_read("docs", "title"));
    assert!(one.may_read("docs", "Kind"));
    assert!(!one.may_read("docs", "body"));
    assert!(!one.may_read("docs", "kind"));
    // `count(*)` reads no value; a whole row or a `*` reads them all.
    assert!(!reach("SELECT count(*), string_agg(title, ',') FROM docs").may_read("docs", "body"));
    // A table the statement does not name is read through a view,
    // whose columns may rename the table's.
    assert!(reach("SELECT string_agg(b, ',') FROM v").may_read("docs", "body"));
    for whole in [
        "SELECT json_agg(d) FROM docs d",
        "SELECT json_agg(docs) FROM docs",
        "SELECT json_agg(d.*) FROM docs d",
        "SELECT string_agg(b, ',') FROM (SELECT * FROM docs) s",
        "SELECT string_agg(b, ',') FROM docs AS d(i, b)",
    ] {
        assert!(reach(whole).may_read("docs", "body"), "{whole}");
    }
}

#[test]
fn named_arguments_are_read_for_the_parts_of_a_date_or_an_interval_only() {
    let pg = Policy::new(Dialect::Postgres);
    for sql in [
        "SELECT make_interval(days => 3)",
        "SELECT now() - make_interval(years => 1, months => 2)",
        "SELECT make_date(year => 2025, month => 10, day => 31)",
    ] {
        assert!(validate(sql, &pg).is_ok(), "{sql}");
    }
    for sql in [
        "SELECT repeat(str => 'x', count => 1000000000)",
        "SELECT lpad(string => 'x', length => 1000000000)",
    ] {
        assert!(
            matches!(validate(sql, &pg), Err(Refusal::CannotVerify(_))),
            "{sql}"
        );
    }
    // Oracle and SQLite read no such notation.
    let lite = Policy::new(Dialect::Sqlite);
    assert!(validate("SELECT abs(x => 1)", &lite).is_err());
}

#[test]
fn a_gathered_row_counts_each_copy_of_the_values_it_reads() {
    let pg = Policy::new(Dialect::Postgres);
    let copies = |sql: &str| validate(sql, &pg).unwrap().cost.gathered_copies;
    assert_eq!(copies("SELECT string_agg(body, ',') FROM docs"), 1);
    assert_eq!(copies("SELECT string_agg(body || body, ',') FROM docs"), 2);
    assert_eq!(
        copies("SELECT string_agg(repeat(body, 5), ',') FROM docs"),
        5
    );
    // Three copies of each: the weighing counts every column it reads
    // that many times.
    assert_eq!(
        copies("SELECT string_agg(repeat(d.body || d.title, 3), ',') FROM docs d"),
        3
    );
    assert_eq!(copies("SELECT count(*) FROM docs"), 1);
    // A value read from the database is repeated a few times at most.
    assert!(matches!(
        validate("SELECT repeat(body, 100) FROM docs", &pg),
        Err(Refusal::TooLarge(_))
    ));
    assert!(validate("SELECT repeat('-', 100) FROM docs", &pg).is_ok());
    // A replacement may make a document a few times longer at most.
    assert!(validate("SELECT replace(body, 'a', 'bb') FROM docs", &pg).is_ok());
    assert!(validate("SELECT replace(body, 'abcde', 'x') FROM docs", &pg).is_ok());
    for grown in [
        "SELECT replace(body, 'a', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') FROM docs",
        "SELECT regexp_replace(body, '(.)', '\\1\\1\\1\\1\\1\\1\\1\\1', 'g') FROM docs",
    ] {
        assert!(
            matches!(validate(grown, &pg), Err(Refusal::TooLarge(_))),
            "{grown}"
        );
    }
    assert_eq!(
        copies("SELECT string_agg(replace(body, 'a', 'bbb'), ',') FROM docs"),
        3
    );
}

#[test]
fn a_regular_expression_in_a_json_path_is_refused_wherever_the_path_is() {
    let oracle = Policy::new(Dialect::Oracle);
    let exponential = r#"'$?(@ like_regex "^(a+)+b")'"#;
    for sql in [
        format!("SELECT json_value(c.doc, {exponential}) FROM clients c"),
        format!(
            "SELECT * FROM JSON_TABLE('[{{\"a\":\"aaaa\"}}]', {exponential} \
             COLUMNS (a VARCHAR2(10) PATH '$.a'))"
        ),
        format!(
            "SELECT * FROM JSON_TABLE('[{{\"a\":\"aaaa\"}}]', '$[*]' \
             COLUMNS (a VARCHAR2(10) PATH {exponential}))"
        ),
        format!(
            "SELECT * FROM JSON_TABLE('[{{\"a\":[1]}}]', '$[*]' \
             COLUMNS (NESTED PATH {exponential} COLUMNS (b NUMBER PATH '$')))"
        ),
    ] {
        assert!(
            matches!(
                validate(&sql, &oracle),
                Err(Refusal::CannotVerify(Unreadable::Construct("like_regex")))
            ),
            "{sql}: {:?}",
            validate(&sql, &oracle)
        );
    }
    let plain = "SELECT * FROM JSON_TABLE('[{\"a\":\"aaaa\"}]', '$[*]' \
                 COLUMNS (a VARCHAR2(10) PATH '$.a'))";
    assert!(
        validate(plain, &oracle).is_ok(),
        "{:?}",
        validate(plain, &oracle)
    );
}
