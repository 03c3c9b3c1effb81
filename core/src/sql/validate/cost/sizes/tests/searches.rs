//! What searches, gathered values and copies of a text are weighed as.

use super::*;

#[test]
fn sqlite_searches_may_look_for_what_the_statement_built_or_reads() {
    // Its worker is killed at the deadline inside a call: what a search
    // looks for costs no more than the deadline.
    let lite = Dialect::Sqlite;
    for sql in [
        "WITH a AS (SELECT printf('%09000d', 0) t) SELECT count(*) FROM clients, a WHERE nom LIKE '%' || t || '%'",
        "WITH a AS (SELECT printf('%05000d', 0) t) SELECT instr(nom, t) FROM clients, a",
        "WITH a AS (SELECT '%dupont%' AS p) SELECT count(*) FROM clients, a WHERE nom LIKE p",
        "SELECT count(*) FROM clients WHERE nom LIKE '%dupont%'",
    ] {
        assert!(!refused(lite, sql), "{sql}");
    }
    // PostgreSQL's are not stopped inside a call.
    assert!(refused(
        Dialect::Postgres,
        "WITH a AS (SELECT '%dupont%' AS p) SELECT count(*) FROM clients, a WHERE nom LIKE p"
    ));
}

#[test]
fn sets_to_trim_or_translate_by_are_short_and_written_out() {
    // Accents, a phone number's punctuation.
    assert!(accepted(
        Dialect::Postgres,
        "SELECT translate(company, 'àâäéèêëîïôöùûüç', 'aaaeeeeiioouuuc'), \
         btrim(phone, ' .-') FROM clients"
    ));
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        assert!(accepted(
            dialect,
            "SELECT ltrim(code, '0'), trim(BOTH ' .-' FROM phone) FROM clients"
        ));
    }
    // SQLite's worker is killed inside a call at the deadline: its sets
    // are not bounded.
    assert!(accepted(
        Dialect::Sqlite,
        &format!("SELECT ltrim(code, '{}') FROM clients", "z".repeat(40))
    ));
    {
        let dialect = Dialect::Postgres;
        // Each character of the text is looked up in the whole set.
        let long = "z".repeat(40);
        assert!(refused(
            dialect,
            &format!("SELECT ltrim(code, '{long}') FROM clients")
        ));
        assert!(refused(
            dialect,
            &format!("SELECT trim(LEADING '{long}' FROM code) FROM clients")
        ));
        // The sets of a statement add up, once for each copy of the text.
        let half = "z".repeat(20);
        assert!(refused(
            dialect,
            &format!("SELECT rtrim(code, '{half}'), rtrim(name, '{half}') FROM clients")
        ));
        assert!(refused(
            dialect,
            &format!("SELECT rtrim(code || code, '{half}') FROM clients")
        ));
    }
    assert!(refused(
        Dialect::Postgres,
        &format!(
            "SELECT translate(body, '{}', '') FROM docs",
            "z".repeat(3990)
        )
    ));
    // Written out: line breaks named by their codes count as characters.
    assert!(accepted(
        Dialect::Postgres,
        "SELECT rtrim(note, chr(13) || chr(10)) FROM orders"
    ));
    // Read or computed, a set has a size the statement does not show:
    // two hashes are 64 characters.
    for sql in [
        "SELECT translate(body, md5(title) || md5(title), '') FROM docs",
        "SELECT btrim(body, title) FROM docs",
        "SELECT ltrim(body, to_char(id, '9999')) FROM docs",
        "SELECT trim(BOTH md5(title) FROM body) FROM docs",
    ] {
        assert!(refused(Dialect::Postgres, sql), "{sql}");
    }
}

#[test]
fn a_text_gathered_from_rows_is_searched_for_a_word_or_a_separator_only() {
    let pg = Dialect::Postgres;
    let gathered = "WITH g AS (SELECT string_agg(note, ', ') AS t FROM orders)";
    // A word, a separator, the trailing-separator idiom.
    for search in [
        "t LIKE '%Premium%'",
        "replace(t, ',', ' / ')",
        "rtrim(t, ', ')",
        "position('Gold' IN t) > 0",
    ] {
        assert!(
            accepted(pg, &format!("{gathered} SELECT {search} FROM g")),
            "{search}"
        );
    }
    assert!(accepted(
        pg,
        "SELECT client_id FROM contracts GROUP BY client_id \
         HAVING string_agg(product, ', ') LIKE '%Gold%'"
    ));
    // Longer, a set of many characters, or a needle read from the data;
    // through an element of an array, a JSON member, an ordered set.
    let long = format!("'%{}%'", "a".repeat(40));
    for search in [
        format!("t LIKE {long}"),
        "translate(t, 'abcdefghij', '')".to_owned(),
        "ltrim(t, '0123456789')".to_owned(),
        "strpos(t, (SELECT min(note) FROM orders))".to_owned(),
        format!("(ARRAY[t])[1] LIKE {long}"),
        format!("jsonb_build_object('k', t) ->> 'k' LIKE {long}"),
    ] {
        assert!(
            refused(pg, &format!("{gathered} SELECT {search} FROM g")),
            "{search}"
        );
    }
    assert!(refused(
        pg,
        &format!("{gathered} SELECT mode() WITHIN GROUP (ORDER BY t) LIKE {long} FROM g")
    ));
    assert!(!refused(
        Dialect::Sqlite,
        "WITH g AS (SELECT group_concat(note, '') AS t FROM orders) \
         SELECT ltrim(t, '0123456789') FROM g"
    ));
}

#[test]
fn a_gathered_value_is_never_parsed_read_as_rows_nor_compared_element_by_element() {
    let pg = Dialect::Postgres;
    let gathered = "WITH g AS (SELECT string_agg(note, ',') AS t FROM orders)";
    for sql in [
        format!("{gathered} SELECT CAST('[' || t || ']' AS jsonb) FROM g"),
        format!("{gathered} SELECT to_tsvector('simple', t) FROM g"),
        format!("{gathered} SELECT x FROM g, regexp_split_to_table(g.t, ',') AS s(x)"),
        "SELECT array_agg(id) @> array_agg(client_id) FROM orders".to_owned(),
        "SELECT jsonb_agg(note) - array_agg(note) FROM orders".to_owned(),
    ] {
        assert!(refused(pg, &sql), "{sql}");
    }
    // SQLite's worker holds the parsing to its memory and its deadline.
    assert!(accepted(
        Dialect::Sqlite,
        "WITH g AS (SELECT group_concat(note, '') AS t FROM orders) \
         SELECT j.value FROM g, json_each(json_array(g.t)) AS j"
    ));
    // Numbers of gathered values are no pair either.
    assert!(accepted(
        pg,
        "SELECT cardinality(array_agg(id)) - cardinality(array_agg(DISTINCT client_id)) FROM orders"
    ));
    // A gathered array against a few values written out is no pair.
    assert!(accepted(
        pg,
        "SELECT client_id FROM orders GROUP BY client_id HAVING array_agg(status) @> ARRAY['paid']"
    ));
}

#[test]
fn what_a_search_looks_for_counts_once_for_each_copy_of_the_text() {
    let pattern = format!("'%{}%'", "a".repeat(200));
    assert!(accepted(
        Dialect::Postgres,
        &format!("SELECT count(*) FROM docs WHERE body LIKE {pattern}")
    ));
    assert!(accepted(
        Dialect::Postgres,
        &format!(
            "SELECT count(*) FROM clients WHERE first_name || ' ' || last_name LIKE {pattern}"
        )
    ));
    assert!(refused(
        Dialect::Postgres,
        &format!("SELECT count(*) FROM docs WHERE body || body LIKE {pattern}")
    ));
    assert!(refused(
        Dialect::Postgres,
        &format!("SELECT strpos(body || body, {pattern}) FROM docs")
    ));
}

#[test]
fn copies_made_through_a_chain_of_ctes_multiply() {
    let pattern = format!("'%{}%'", "a".repeat(100));
    // Four copies of each document, made in two steps.
    let chain = "WITH a AS (SELECT body || body AS x FROM docs), \
                 b AS (SELECT x || x AS y FROM a)";
    assert!(accepted(
        Dialect::Postgres,
        &format!("SELECT strpos(body, {pattern}) FROM docs")
    ));
    assert!(refused(
        Dialect::Postgres,
        &format!("{chain} SELECT strpos(y, {pattern}) FROM b")
    ));
    assert!(refused(
        Dialect::Postgres,
        &format!("{chain} SELECT count(*) FROM b WHERE y LIKE {pattern}")
    ));
    // A gathered text followed the same way: two copies of `t` twice.
    let gathered = "WITH g AS (SELECT string_agg(note, ',') AS t FROM orders), \
                    h AS (SELECT t || t AS u FROM g)";
    let copies = |sql: &str| {
        crate::sql::validate::validate(sql, &crate::sql::validate::Policy::new(Dialect::Postgres))
            .map(|v| v.cost.gathered_value_copies)
            .ok()
    };
    assert_eq!(copies("SELECT string_agg(note, ',') FROM orders"), Some(1));
    assert_eq!(copies(&format!("{gathered} SELECT u FROM h")), Some(2));
    assert_eq!(copies(&format!("{gathered} SELECT u || u FROM h")), Some(4));
    // A gathered document or array rebuilt is taken apart into a tree many
    // times its size; a text concatenated is not.
    let documents = "WITH g AS (SELECT jsonb_agg(note) AS j, array_agg(note) AS a FROM orders)";
    assert_eq!(
        copies(&format!("{documents} SELECT j - 0 FROM g")),
        Some(80)
    );
    assert_eq!(
        copies(&format!("{documents} SELECT a || '{{x}}' FROM g")),
        Some(80)
    );
    assert_eq!(
        copies(&format!("{documents} SELECT j -> 0 FROM g")),
        Some(1)
    );
    assert_eq!(copies(&format!("{documents} SELECT a[1] FROM g")), Some(1));
    assert_eq!(
        copies("WITH g AS (SELECT string_agg(note, ',') AS t FROM orders) SELECT t || 'x' FROM g"),
        Some(1)
    );
    // Eight characters looked for in one copy fit, not in two.
    assert!(accepted(
        Dialect::Postgres,
        &format!("{gathered} SELECT strpos(t, 'abcdefgh') FROM g")
    ));
    assert!(refused(
        Dialect::Postgres,
        &format!("{gathered} SELECT strpos(u, 'abcdefghi') FROM h")
    ));
}

#[test]
fn values_built_side_by_side_in_a_row_add_up_but_comparisons_build_nothing() {
    let nine = ["t"; 9].join(" || ");
    assert!(refused(
        Dialect::Postgres,
        &format!("SELECT length({nine}) + length({nine}) FROM docs")
    ));
    assert!(accepted(
        Dialect::Postgres,
        &format!("SELECT length({nine}) FROM docs")
    ));
    // A pivot compares one column twenty times.
    let pivot: Vec<String> = (0..20)
        .map(|i| format!("sum(CASE WHEN c.status = 's{i}' THEN 1 ELSE 0 END) AS n{i}"))
        .collect();
    assert!(accepted(
        Dialect::Postgres,
        &format!("SELECT {} FROM clients c", pivot.join(", "))
    ));
}

#[test]
fn containment_and_overlap_count_what_they_look_for_and_compare_only_columns_read() {
    let pg = Dialect::Postgres;
    let judged = |sql: &str| {
        crate::sql::validate::validate(sql, &crate::sql::validate::Policy::new(pg)).unwrap()
    };
    let sought = |written: &[&str]| written.iter().map(|w| w.len() as u64).sum::<u64>();

    let vip = judged(r#"SELECT o.id FROM orders o WHERE o.meta @> '{"vip": true}'"#);
    assert_eq!(vip.cost.sought_chars, sought(&[r#"'{"vip": true}'"#]));
    assert_eq!(vip.cost.compared_reads, 0);
    // An overlap may be written either way round; every test adds up.
    let either = judged(
        "SELECT s.id FROM segments s WHERE s.member_ids && ARRAY[42, 43] OR ARRAY[1] && s.member_ids",
    );
    assert_eq!(
        either.cost.sought_chars,
        sought(&["ARRAY[42, 43]", "ARRAY[1]"])
    );
    let keys = judged(
        "SELECT e.id FROM events e WHERE e.payload ?| ARRAY['a', 'b'] AND ARRAY[7] <@ e.ids",
    );
    assert_eq!(
        keys.cost.sought_chars,
        sought(&["ARRAY['a', 'b']", "ARRAY[7]"])
    );
    // Two columns read, as they are: weighed by the executor.
    let bookings = judged(
        "SELECT a.id, b.id FROM bookings a JOIN bookings b ON a.during && b.during AND a.id < b.id",
    );
    assert_eq!(
        (bookings.cost.sought_chars, bookings.cost.compared_reads),
        (0, 1)
    );
    assert_eq!(
        judged("SELECT x.id FROM t x, t y WHERE (x.tags)::text[] && y.tags")
            .cost
            .compared_reads,
        1
    );
    assert_eq!(judged("SELECT id FROM orders").cost.sought_chars, 0);
    // A range built by its constructor, or a time from the clock, is
    // compared in constant time: nothing to weigh. An array of times
    // written out is looked for element by element, and weighed.
    let ranges = judged(
        "SELECT b.id FROM bookings b WHERE tstzrange(b.starts_at, b.ends_at) && tstzrange(now(), now() + interval '1 day') OR b.during @> now() + interval '2 hours'",
    );
    assert_eq!(
        (ranges.cost.sought_chars, ranges.cost.compared_reads),
        (0, 0)
    );
    let times = judged("SELECT v.id FROM trips v WHERE v.legs && '{1,1,1}'::interval[]");
    assert!(times.cost.sought_chars >= 7, "{}", times.cost.sought_chars);

    for sql in [
        // Values built from what is read are as long as the data makes them.
        "SELECT d.id FROM docs d, docs e WHERE string_to_array(d.body, NULL) && string_to_array(e.body, NULL)",
        "SELECT d.id FROM docs d WHERE string_to_array(d.body, NULL) && d.tags",
        // Containment still looks only for what is written out.
        "SELECT c.id FROM catalogs c, catalogs p WHERE c.items @> p.items",
        // A value gathered from rows is compared with a word at most.
        "SELECT x.a && (SELECT array_agg(id) FROM orders) FROM t x",
        "WITH g AS (SELECT array_agg(id) AS a FROM orders) SELECT g.a && g.a FROM g",
        "SELECT (SELECT array_agg(id) FROM orders) && ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
        "SELECT (SELECT jsonb_agg(id) FROM orders) @> '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'",
    ] {
        assert!(refused(pg, sql), "{sql}");
    }
}

#[test]
fn the_numbers_a_logarithm_reads_count_once_for_each_value_read() {
    let read = |sql: &str| {
        crate::sql::validate::validate(sql, &crate::sql::validate::Policy::new(Dialect::Postgres))
            .map(|v| v.cost.digits_read)
    };
    assert_eq!(read("SELECT ln(r.rate) AS l FROM rates r"), Ok(1));
    // A product holds the digits of all its factors.
    assert_eq!(
        read("SELECT log(r.a * r.b * r.c, 2) AS l FROM rates r"),
        Ok(3)
    );
    // A nested query is one value, however it stands and whatever it reads.
    assert_eq!(
        read("SELECT ln((SELECT max(x.rate) FROM rates x WHERE x.id = r.id)) AS l FROM rates r"),
        Ok(1)
    );
    assert_eq!(
        read("SELECT ln(r.rate * (SELECT max(x.rate) FROM rates x)) AS l FROM rates r"),
        Ok(2)
    );
    assert_eq!(read("SELECT ln(r.rate::float8) AS l FROM rates r"), Ok(0));
    assert_eq!(read("SELECT ln(2.5) AS l"), Ok(0));
}

#[test]
fn a_gathered_value_written_out_whole_as_text_is_noted() {
    let written = |sql: &str| {
        crate::sql::validate::validate(sql, &crate::sql::validate::Policy::new(Dialect::Postgres))
            .map(|v| v.cost.gathered_as_text)
    };
    assert_eq!(
        written("SELECT length(array_agg(e.during)::text) AS n FROM events e"),
        Ok(true)
    );
    assert_eq!(
        written(
            "WITH x AS (SELECT array_agg(e.during) AS v FROM events e) \
             SELECT array_to_string(x.v, ',') AS s FROM x"
        ),
        Ok(true)
    );
    assert_eq!(
        written("SELECT array_agg(e.during) AS v, e.id::text AS i FROM events e GROUP BY e.id"),
        Ok(false)
    );
}
