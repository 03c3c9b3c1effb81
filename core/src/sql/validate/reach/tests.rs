use super::super::super::Dialect;
use super::super::super::schema::{Catalog, CatalogColumn, CatalogTable};
use super::super::{Policy, validate, validate_in};

fn table(schema: Option<&str>, name: &str, columns: &[&str]) -> CatalogTable {
    CatalogTable {
        schema: schema.map(str::to_owned),
        name: name.into(),
        columns: columns
            .iter()
            .map(|c| CatalogColumn {
                name: (*c).into(),
                type_name: "text".into(),
                nullable: true,
                comment: None,
                collation: None,
            })
            .collect(),
        comment: None,
        primary_key: Vec::new(),
        foreign_keys: Vec::new(),
    }
}

fn crm(dialect: Dialect) -> Catalog {
    let fold = |s: &str| dialect.fold_unquoted(s);
    let t = |name: &str, columns: &[&str]| {
        let columns: Vec<String> = columns.iter().map(|c| fold(c)).collect();
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        table(None, &fold(name), &columns)
    };
    Catalog {
        tables: vec![
            t("clients", &["id", "nom", "iban", "region"]),
            t("contracts", &["id", "client_id", "amount", "signed_on"]),
            t("staff", &["id", "nom", "salary"]),
            t("v_clients", &["id", "nom"]),
        ],
        values: Vec::new(),
        ..Default::default()
    }
}

/// What `sql` reads in `dialect`, judged with the CRM's catalogue.
fn reach(dialect: Dialect, sql: &str) -> String {
    let policy = Policy::new(dialect);
    let catalog = crm(dialect);
    match validate_in(sql, &policy, Some(&catalog)) {
        Ok(v) => v.reach.to_string(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn pg(sql: &str) -> String {
    reach(Dialect::Postgres, sql)
}

/// Each statement reads, on PostgreSQL with the CRM's catalogue, what
/// its pair says.
fn reads_as(cases: &[(&str, &str)]) {
    for (sql, read) in cases {
        assert_eq!(pg(sql), *read, "{sql}");
    }
}

#[test]
fn each_column_is_counted_wherever_it_is_named() {
    reads_as(&[
        ("SELECT nom FROM clients", "clients(nom)"),
        (
            "SELECT c.nom FROM clients c WHERE c.region = 'Lyon'",
            "clients(nom, region)",
        ),
        ("SELECT count(*) FROM clients", "clients()"),
        (
            "SELECT region, count(*) FROM clients GROUP BY region ORDER BY region",
            "clients(region)",
        ),
        (
            "SELECT nom FROM clients ORDER BY iban",
            "clients(iban, nom)",
        ),
        (
            "SELECT nom FROM clients GROUP BY nom, iban",
            "clients(iban, nom)",
        ),
        (
            "SELECT nom, rank() OVER (PARTITION BY region ORDER BY iban) FROM clients",
            "clients(iban, nom, region)",
        ),
        (
            "SELECT c.nom FROM clients c JOIN contracts k ON k.client_id = c.id \
                 WHERE k.amount > 10",
            "clients(id, nom), contracts(amount, client_id)",
        ),
        (
            "SELECT count(*) FROM clients c HAVING max(c.iban) > 'A'",
            "clients(iban)",
        ),
        (
            "SELECT CASE WHEN iban IS NULL THEN 'none' ELSE 'some' END FROM clients",
            "clients(iban)",
        ),
    ]);
}

#[test]
fn stars_whole_rows_and_renaming_aliases_read_every_column() {
    reads_as(&[
        ("SELECT * FROM clients", "clients(*)"),
        (
            "SELECT * FROM clients c JOIN contracts k ON k.client_id = c.id",
            "clients(*), contracts(*)",
        ),
        (
            "SELECT k.*, c.nom FROM clients c JOIN contracts k ON k.client_id = c.id",
            "clients(id, nom), contracts(*)",
        ),
        ("SELECT to_json(c) FROM clients c", "clients(*)"),
        ("SELECT row_to_json(clients) FROM clients", "clients(*)"),
        ("SELECT json_agg(c.*) FROM clients c", "clients(*)"),
        ("SELECT x.a FROM clients AS x(a, b)", "clients(*)"),
        (
            "SELECT nom FROM clients NATURAL JOIN staff",
            "clients(*), staff(*)",
        ),
        (
            "SELECT j.nom FROM (clients c JOIN contracts k ON k.client_id = c.id) AS j",
            "clients(id, nom), contracts(client_id)",
        ),
    ]);
}

#[test]
fn what_subqueries_ctes_and_set_operations_read_counts_where_it_is_written() {
    reads_as(&[
        // A subquery's select list counts whole, used or not.
        (
            "SELECT s.nom FROM (SELECT nom, iban FROM clients) s",
            "clients(iban, nom)",
        ),
        ("SELECT 1 FROM (SELECT * FROM staff) s", "staff(*)"),
        (
            "WITH rich AS (SELECT nom, salary FROM staff WHERE salary > 9) \
                 SELECT nom FROM rich",
            "staff(nom, salary)",
        ),
        (
            "SELECT nom FROM clients c WHERE EXISTS \
                 (SELECT 1 FROM contracts k WHERE k.client_id = c.id)",
            "clients(id, nom), contracts(client_id)",
        ),
        (
            "SELECT nom FROM clients WHERE id IN (SELECT client_id FROM contracts)",
            "clients(id, nom), contracts(client_id)",
        ),
        (
            "SELECT nom FROM clients UNION SELECT nom FROM staff",
            "clients(nom), staff(nom)",
        ),
        (
            "SELECT c.nom, l.amount FROM clients c CROSS JOIN LATERAL \
                 (SELECT k.amount FROM contracts k WHERE k.client_id = c.id) l",
            "clients(id, nom), contracts(amount, client_id)",
        ),
        // A correlated name written alone may be the outer table's.
        (
            "SELECT nom FROM staff WHERE EXISTS (SELECT 1 FROM contracts WHERE amount > salary)",
            "staff(nom, salary), contracts(amount)",
        ),
    ]);
}

#[test]
fn using_reads_the_column_of_each_side_and_a_view_is_reached_as_itself() {
    assert_eq!(
        pg("SELECT nom FROM clients JOIN staff USING (id)"),
        "clients(id, nom), staff(id, nom)"
    );
    assert_eq!(pg("SELECT nom FROM v_clients"), "v_clients(nom)");
}

#[test]
fn names_are_the_catalogue_s_however_they_are_written() {
    assert_eq!(
        pg("SELECT \"nom\", NOM FROM public.CLIENTS"),
        "clients(nom)"
    );
    assert_eq!(
        reach(Dialect::Sqlite, "SELECT NOM, c.Iban FROM Clients c"),
        "clients(iban, nom)"
    );
    assert_eq!(
        reach(Dialect::Oracle, "SELECT nom, c.iban FROM clients c"),
        "CLIENTS(IBAN, NOM)"
    );
    let scoped = Catalog {
        tables: vec![table(Some("hr"), "staff", &["id", "salary"])],
        values: Vec::new(),
        ..Default::default()
    };
    let mut policy = Policy::new(Dialect::Postgres);
    policy.allowed_schemas = vec!["hr".into()];
    let v = validate_in("SELECT s.salary FROM hr.staff s", &policy, Some(&scoped)).unwrap();
    assert_eq!(v.reach.to_string(), "hr.staff(salary)");
    assert!(v.reach.reads(Some("hr"), "staff", "salary"));
    assert!(!v.reach.reads(Some("hr"), "staff", "id"));
    assert_eq!(v.reach.listed(), ["hr.staff.salary"]);
}

#[test]
fn without_the_catalogue_a_name_alone_counts_for_every_table_in_scope() {
    let policy = Policy::new(Dialect::Postgres);
    let v = validate(
        "SELECT nom FROM clients c JOIN public.staff s ON s.id = c.id",
        &policy,
    )
    .unwrap();
    assert_eq!(v.reach.to_string(), "clients(id, nom), staff(id, nom)");
    assert!(v.reach.reads(None, "staff", "nom"));
    assert!(!v.reach.reads(None, "staff", "salary"));
    let v = validate("SELECT count(*) FROM clients", &policy).unwrap();
    assert_eq!(v.reach.listed(), ["clients"]);
    let v = validate("SELECT * FROM clients", &policy).unwrap();
    assert_eq!(v.reach.listed(), ["clients.*"]);
}

#[test]
fn names_that_reach_a_column_by_another_way_count_it() {
    reads_as(&[
        // `t.*` written with its schema.
        ("SELECT public.clients.* FROM clients", "clients(*)"),
        // A subquery in FROM or a CTE inside a subquery reaching the
        // query around it by a name alone or a whole row.
        (
            "SELECT (SELECT s.x FROM (SELECT to_json(c) AS x) s) FROM clients c",
            "clients(*)",
        ),
        (
            "SELECT (SELECT s.iban FROM (SELECT c.*) s) FROM clients c",
            "clients(*)",
        ),
        (
            "SELECT (WITH w AS (SELECT iban AS x) SELECT x FROM w) FROM clients c",
            "clients(iban)",
        ),
        (
            "SELECT nom FROM clients c WHERE EXISTS \
                 (SELECT 1 FROM (SELECT 1 AS one WHERE iban LIKE 'FR%') s)",
            "clients(iban, nom)",
        ),
    ]);
    // A column the catalogue does not list (SQLite's generated and
    // hidden columns) counts as read; `rowid` is the primary key.
    assert_eq!(
        reach(Dialect::Sqlite, "SELECT last4 FROM clients"),
        "clients(last4)"
    );
    assert_eq!(
        reach(Dialect::Sqlite, "SELECT c.rowid FROM clients c"),
        "clients(*)"
    );
    assert_eq!(
        reach(Dialect::Sqlite, "SELECT nom AS n FROM clients ORDER BY n"),
        "clients(nom)"
    );
    // Without the catalogue, PostgreSQL's `c.to_json` may be
    // `to_json(c)`, and `c.text` a cast of the row.
    let policy = Policy::new(Dialect::Postgres);
    for sql in [
        "SELECT c.to_json FROM clients c",
        "SELECT c.text FROM clients c",
    ] {
        assert_eq!(
            validate(sql, &policy).unwrap().reach.to_string(),
            "clients(*)"
        );
    }
}

#[test]
fn of_two_tables_of_one_name_the_search_path_s_first_is_read() {
    let catalog = Catalog {
        tables: vec![
            table(Some("archive"), "clients", &["id", "nom"]),
            table(None, "clients", &["id", "nom", "iban"]),
        ],
        values: Vec::new(),
        ..Default::default()
    };
    let read = |schemas: &[&str]| {
        let mut policy = Policy::new(Dialect::Postgres);
        policy.allowed_schemas = schemas.iter().map(|s| (*s).to_owned()).collect();
        validate_in("SELECT iban FROM clients", &policy, Some(&catalog))
            .map(|v| v.reach.to_string())
    };
    assert_eq!(read(&["public", "archive"]).unwrap(), "clients(iban)");
    // Archive first: PostgreSQL reads archive.clients, and would say it
    // has no iban; the reach names the table it reads.
    assert_eq!(
        read(&["archive", "public"]).unwrap(),
        "archive.clients(iban)"
    );
}

#[test]
fn a_table_read_through_a_view_the_plan_does_not_show_may_be_read_in_any_column() {
    let sql = "SELECT string_agg(v.nom, ',') FROM v_clients v JOIN clients c ON c.id = v.id";
    let policy = Policy::new(Dialect::Postgres);
    let catalog = crm(Dialect::Postgres);
    let reach = validate_in(sql, &policy, Some(&catalog)).unwrap().reach;
    assert_eq!(reach.to_string(), "v_clients(id, nom), clients(id)");
    // The plan reads clients twice, once for the view: its nom may be
    // gathered though the statement names only its id.
    assert!(reach.as_planned(["clients"]).may_read("clients", "nom"));
    // A plan that showed every relation named leaves nom unread.
    assert!(
        !reach
            .as_planned(["clients", "v_clients"])
            .may_read("clients", "nom")
    );
    // With the catalogue, a join's alias holds no list of columns: `j.to_json`
    // may be `to_json(j)`, every column of both.
    assert_eq!(
        pg("SELECT j.to_json, 1 AS to_json FROM (clients c JOIN staff s ON s.id = c.id) j"),
        "clients(*), staff(*)"
    );
    // A CTE's `r.*` reads what its select list reads, not the tables
    // beside it.
    assert_eq!(
        pg(
            "WITH r AS (SELECT id FROM contracts) SELECT r.*, c.nom FROM r JOIN clients c ON c.id = r.id"
        ),
        "contracts(id), clients(id, nom)"
    );
}

/// What of `sql` follows the order rows are read in, on `dialect` with
/// the CRM's catalogue (clients and staff keyed by `id`), and how its
/// result is ordered.
fn order(dialect: Dialect, sql: &str) -> (Vec<String>, super::ResultOrder) {
    let mut catalog = crm(dialect);
    for t in &mut catalog.tables {
        if ["clients", "staff", "CLIENTS", "STAFF"].contains(&t.name.as_str()) {
            t.primary_key = vec![dialect.fold_unquoted("id")];
            for c in &mut t.columns {
                c.nullable = c.name != t.primary_key[0];
            }
        }
        // Keys are integers.
        for c in &mut t.columns {
            if c.name.eq_ignore_ascii_case("id") || c.name.eq_ignore_ascii_case("client_id") {
                c.type_name = "integer".into();
            }
        }
    }
    order_in(dialect, &catalog, sql)
}

fn order_in(dialect: Dialect, catalog: &Catalog, sql: &str) -> (Vec<String>, super::ResultOrder) {
    let policy = Policy::new(dialect);
    match validate_in(sql, &policy, Some(catalog)) {
        Ok(v) => (
            v.reach
                .unordered()
                .iter()
                .map(ToString::to_string)
                .collect(),
            v.reach.order(),
        ),
        Err(e) => panic!("{sql}: {e}"),
    }
}

#[test]
fn what_keeps_or_numbers_rows_needs_an_order_that_tells_them_apart() {
    use super::ResultOrder::{AsRead, Partly, Whole};
    let follows = |dialect, sql: &str| !order(dialect, sql).0.is_empty();
    let pg = Dialect::Postgres;
    for sql in [
        "SELECT nom FROM clients LIMIT 5",
        "SELECT nom FROM clients OFFSET 5",
        "SELECT nom FROM clients FETCH FIRST 5 ROWS ONLY",
        "SELECT nom FROM clients WHERE region = 'Lyon' ORDER BY region LIMIT 5",
        "SELECT nom, region FROM clients ORDER BY region LIMIT 5",
        "SELECT n FROM (SELECT nom AS n FROM clients LIMIT 3) s ORDER BY n",
        "SELECT region FROM clients WHERE id IN (SELECT id FROM clients LIMIT 3)",
        "SELECT nom, row_number() OVER () FROM clients",
        "SELECT nom, row_number() OVER (ORDER BY region) FROM clients",
        "SELECT nom, lag(nom) OVER (PARTITION BY region) FROM clients",
        "SELECT nom, sum(1) OVER (ORDER BY region ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM clients",
        "SELECT string_agg(nom, ',') FROM clients",
        "SELECT region, array_agg(nom ORDER BY region) FROM clients GROUP BY region",
        "SELECT json_agg(c) FROM clients c",
        "SELECT DISTINCT ON (region) region, nom FROM clients",
        "SELECT DISTINCT ON (region) region, nom FROM clients ORDER BY region",
        "SELECT ARRAY(SELECT nom FROM clients)",
        "SELECT nom FROM clients UNION ALL SELECT nom FROM staff LIMIT 5",
        "SELECT c.nom FROM clients c JOIN contracts k ON k.client_id = c.id ORDER BY c.id LIMIT 5",
    ] {
        assert!(follows(pg, sql), "{sql}");
    }
    for sql in [
        "SELECT nom FROM clients ORDER BY id LIMIT 5",
        "SELECT nom FROM clients c ORDER BY c.id DESC LIMIT 5",
        "SELECT nom, region FROM clients ORDER BY region, nom LIMIT 5",
        "SELECT nom AS n, region FROM clients ORDER BY 2, n LIMIT 5",
        "SELECT region, count(*) FROM clients GROUP BY region ORDER BY region LIMIT 5",
        "SELECT region FROM clients ORDER BY region FETCH FIRST 3 ROWS WITH TIES",
        "SELECT nom, row_number() OVER (ORDER BY id) FROM clients",
        "SELECT nom, rank() OVER (ORDER BY region) FROM clients",
        "SELECT nom, sum(1) OVER (PARTITION BY region) FROM clients",
        "SELECT region, string_agg(nom, ',' ORDER BY nom) FROM clients GROUP BY region",
        "SELECT string_agg(nom, ',' ORDER BY id) FROM clients",
        "SELECT DISTINCT ON (region) region, nom FROM clients ORDER BY region, id",
        "SELECT ARRAY(SELECT nom FROM clients ORDER BY nom)",
        "SELECT nom FROM clients UNION SELECT nom FROM staff ORDER BY 1 LIMIT 5",
        "SELECT count(*), max(nom) FROM clients",
    ] {
        assert!(!follows(pg, sql), "{sql}: {:?}", order(pg, sql).0);
    }
    // The result's own order: as read, partly ordered (ties as read),
    // or wholly.
    assert_eq!(order(pg, "SELECT nom FROM clients").1, AsRead);
    assert_eq!(
        order(pg, "SELECT nom FROM clients ORDER BY region").1,
        Partly
    );
    assert_eq!(order(pg, "SELECT nom FROM clients ORDER BY nom").1, Whole);
    assert_eq!(
        order(pg, "SELECT nom FROM clients ORDER BY \"NOM\"").1,
        Partly
    );
    // A subquery's order is its own, not the result's.
    assert_eq!(
        order(
            pg,
            "SELECT n FROM (SELECT nom AS n FROM clients ORDER BY nom) s"
        )
        .1,
        AsRead
    );
    // SQLite takes a column neither grouped nor aggregated from any row
    // of its group.
    let lite = Dialect::Sqlite;
    assert!(follows(
        lite,
        "SELECT region, nom FROM clients GROUP BY region"
    ));
    assert!(follows(lite, "SELECT nom, count(*) FROM clients"));
    assert!(follows(
        lite,
        "SELECT region FROM clients GROUP BY region HAVING nom > 'A'"
    ));
    assert!(!follows(
        lite,
        "SELECT region, count(*), round(avg(id), 2) FROM clients GROUP BY region"
    ));
    assert!(!follows(
        lite,
        "SELECT c.region, max(c.nom) FROM clients c GROUP BY region"
    ));
    assert!(follows(lite, "SELECT group_concat(nom) FROM clients"));
    // Found by a review: SQLite takes the first row of a scalar
    // subquery; ordered by a column not grouped; DISTINCT ordered by a
    // key it does not keep.
    assert!(follows(lite, "SELECT (SELECT nom FROM staff)"));
    assert!(!follows(
        lite,
        "SELECT k.id, (SELECT c.nom FROM clients c WHERE c.id = k.client_id) FROM contracts k"
    ));
    assert!(follows(
        lite,
        "SELECT k.id, (SELECT c.nom FROM clients c WHERE c.id = c.id) FROM contracts k"
    ));
    // SQLite's names ignore case: `C` is `c`, not another relation.
    assert!(follows(
        lite,
        "SELECT k.id, (SELECT c.nom FROM clients c WHERE c.id = C.id) FROM contracts k"
    ));
    assert!(!follows(
        lite,
        "SELECT (SELECT nom FROM staff ORDER BY id LIMIT 1)"
    ));
    assert!(follows(
        lite,
        "SELECT region FROM clients GROUP BY region ORDER BY nom, region"
    ));
    assert!(follows(
        lite,
        "SELECT DISTINCT region FROM clients ORDER BY id LIMIT 2"
    ));
    // An aliased table's own name qualifies the outer query's; an
    // unnamed item may be named like the key; an aggregate of a
    // subquery may be the outer query's.
    for sql in [
        "SELECT (SELECT s.nom FROM staff s ORDER BY staff.id LIMIT 1) FROM staff",
        "SELECT nom, (SELECT 0 AS id) FROM clients ORDER BY id LIMIT 5",
        "SELECT (SELECT s.nom FROM staff s WHERE max(c.id) > 0 LIMIT 1) FROM clients c",
    ] {
        assert!(follows(pg, sql), "{sql}");
    }
    assert!(!follows(
        pg,
        "SELECT (SELECT s.nom FROM staff s ORDER BY s.id LIMIT 1) FROM staff"
    ));
    // Oracle's ROWNUM and ROWID are a row's place.
    let ora = Dialect::Oracle;
    assert!(follows(ora, "SELECT nom FROM clients WHERE ROWNUM <= 5"));
    assert!(follows(ora, "SELECT c.ROWID, nom FROM clients c"));
    assert!(!follows(
        ora,
        "SELECT nom FROM clients ORDER BY id FETCH FIRST 5 ROWS ONLY"
    ));
}

/// A table of payments whose columns are of each kind that matters:
/// `(name, type, collation)`.
fn payments(dialect: Dialect, columns: &[(&str, &str, Option<&str>)]) -> Catalog {
    let mut payments = table(None, &dialect.fold_unquoted("payments"), &[]);
    payments.primary_key = vec![dialect.fold_unquoted("id")];
    for (name, type_name, collation) in columns {
        payments.columns.push(CatalogColumn {
            name: dialect.fold_unquoted(name),
            type_name: (*type_name).into(),
            nullable: *name != "id",
            comment: None,
            collation: collation.map(str::to_owned),
        });
    }
    Catalog {
        tables: vec![payments],
        ..Default::default()
    }
}

#[test]
fn values_equal_but_shown_apart_or_summed_inexactly_follow_the_order_read() {
    use super::ResultOrder::{Partly, Whole};
    let pg = Dialect::Postgres;
    let catalog = payments(
        pg,
        &[
            ("id", "integer", None),
            ("amount", "numeric", None),
            ("price", "numeric(12,2)", None),
            ("rate", "double precision", None),
            ("label", "text", None),
            ("code", "text", Some("und-ci")),
        ],
    );
    let follows = |sql: &str| !order_in(pg, &catalog, sql).0.is_empty();
    for sql in [
        // 1.0 and 1.00 are equal: which one is kept or first is the
        // first read.
        "SELECT DISTINCT amount FROM payments",
        "SELECT amount, count(*) FROM payments GROUP BY amount",
        "SELECT amount, count(*) FROM payments GROUP BY 1",
        "SELECT min(amount) FROM payments",
        "SELECT max(-rate) FROM payments",
        "SELECT amount FROM payments UNION SELECT amount FROM payments",
        "SELECT CASE WHEN id = 12 THEN 1.0 WHEN id = 49 THEN 1.00 END AS x FROM payments ORDER BY x LIMIT 60",
        "SELECT DISTINCT coalesce(price, 0) FROM payments",
        "SELECT DISTINCT x FROM (SELECT amount AS x FROM payments) s",
        "WITH t AS (SELECT amount FROM payments) SELECT max(amount) FROM t",
        "WITH t(a) AS (SELECT amount FROM payments) SELECT DISTINCT a FROM t",
        "SELECT DISTINCT b FROM payments AS p(i, b)",
        "SELECT DISTINCT code FROM payments",
        "SELECT DISTINCT upper(code) FROM payments",
        "SELECT DISTINCT label COLLATE \"und-x-icu\" FROM payments",
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY rate) FROM payments",
        "SELECT sum(DISTINCT amount) FROM payments",
        "SELECT string_agg(label, ',' ORDER BY code) FROM payments",
        "SELECT DISTINCT * FROM payments",
        // A float's sum depends on the order of addition.
        "SELECT sum(rate) FROM payments",
        "SELECT avg(rate * 2) FROM payments",
        "SELECT sum(amount) OVER (PARTITION BY label), sum(rate) OVER () FROM payments",
        "SELECT corr(id, price) FROM payments",
        // Three values of random() tell the generator's state, and so
        // each row's place as read.
        "SELECT k, i, r FROM (SELECT 0 AS k, g AS i, random() AS r FROM generate_series(1, 3) g UNION ALL SELECT 1, id, random() FROM payments) x",
        // Found by a review of the kinds.
        "SELECT CASE WHEN id = 12 THEN 1.0 WHEN id = 49 THEN 1.00 END FROM payments EXCEPT ALL SELECT 0",
        "SELECT DISTINCT q.amount FROM (SELECT 0, (amount) FROM payments) q",
        "SELECT DISTINCT id::numeric(10,0) / 2 FROM payments",
        "SELECT DISTINCT trim(code)::text FROM payments",
        "SELECT DISTINCT trim(code) || '' FROM payments",
        "SELECT DISTINCT '[]'::jsonb || amount::text::jsonb FROM payments",
        "SELECT p.*, q.x FROM (SELECT 0 AS a, amount AS b FROM payments) p, (SELECT 1 AS x) q GROUP BY p.a, 2, q.x",
        "SELECT (SELECT max(payments.id) FROM payments l WHERE l.id = 1) FROM (SELECT amount AS id FROM payments) AS payments",
        "SELECT (SELECT amount AS region FROM payments l GROUP BY region) FROM (SELECT label AS region FROM payments) c",
        "SELECT sum(round(id)) FROM payments",
        "SELECT DISTINCT date_trunc('hour', CASE WHEN id = 12 THEN interval '1 day' ELSE interval '24 hours' END) FROM payments",
    ] {
        assert!(follows(sql), "{sql}");
    }
    for sql in [
        "SELECT DISTINCT price FROM payments",
        "SELECT DISTINCT round(amount, 2) FROM payments",
        "SELECT DISTINCT amount::text FROM payments",
        "SELECT price, count(*) FROM payments GROUP BY price",
        "SELECT min(price), max(amount::text), min(label) FROM payments",
        "SELECT sum(amount), avg(amount), sum(price * 2), sum(id), stddev(amount) FROM payments",
        "SELECT count(DISTINCT amount), count(rate) FROM payments",
        "SELECT amount FROM payments UNION ALL SELECT amount FROM payments",
        "SELECT label FROM payments UNION SELECT label FROM payments",
        "SELECT DISTINCT x FROM (SELECT price AS x FROM payments) s",
        "WITH t AS (SELECT id, price FROM payments) SELECT price, count(*) FROM t GROUP BY price",
        "SELECT DISTINCT code COLLATE \"C\" FROM payments",
        "SELECT DISTINCT label, price FROM payments",
        "SELECT string_agg(label, ',' ORDER BY label) FROM payments",
        // Nothing of these follows the order rows are read in, though
        // an aggregate, a cast or a grouping by position is in each.
        "SELECT array_agg(code ORDER BY code, id) FROM payments",
        "SELECT max(id::numeric), min(price::numeric) FROM payments",
        "SELECT label AS l, count(*) FROM payments GROUP BY l ORDER BY l LIMIT 3",
        "SELECT label, count(*) FROM payments GROUP BY 1 ORDER BY 1 LIMIT 3",
    ] {
        assert!(!follows(sql), "{sql}: {:?}", order_in(pg, &catalog, sql).0);
    }
    // Every item in the ORDER BY tells rows apart only where equal
    // values are shown alike.
    assert_eq!(
        order_in(
            pg,
            &catalog,
            "SELECT label, price FROM payments ORDER BY label, price"
        )
        .1,
        Whole
    );
    assert_eq!(
        order_in(
            pg,
            &catalog,
            "SELECT label, amount FROM payments ORDER BY label, amount"
        )
        .1,
        Partly
    );
    assert_eq!(
        order_in(pg, &catalog, "SELECT code FROM payments ORDER BY code").1,
        Partly
    );
    assert_eq!(
            order_in(
                pg,
                &catalog,
                "SELECT date_trunc('month', label::date) AS m, count(*) FROM payments GROUP BY m ORDER BY m"
            )
            .1,
            Whole
        );

    // SQLite: NOCASE texts, REAL floats, and sums of computed values,
    // which stop at an integer overflow.
    let lite = Dialect::Sqlite;
    let catalog = payments(
        lite,
        &[
            ("id", "INTEGER", None),
            ("amount", "INTEGER", None),
            ("rate", "REAL", None),
            ("label", "TEXT", None),
            ("code", "TEXT", Some("NOCASE")),
        ],
    );
    let follows = |sql: &str| !order_in(lite, &catalog, sql).0.is_empty();
    for sql in [
        "SELECT DISTINCT code FROM payments",
        "SELECT code FROM payments GROUP BY code",
        "SELECT DISTINCT rate FROM payments",
        "SELECT sum(amount * 1000000000000) FROM payments",
        "SELECT sum(CASE WHEN id = 12 THEN 9223372036854775807 ELSE -1 END) FROM payments",
        "SELECT DISTINCT CASE WHEN id = 12 THEN 1 ELSE 1.0 END FROM payments",
        "SELECT total(rate) FROM payments",
        "SELECT DISTINCT (CASE WHEN id = 12 THEN 'a' ELSE 'A' END COLLATE NOCASE) || '' FROM payments",
        // Of a text, abs and minus make a real: -0.0 for '-0', equal to
        // 0 and shown apart.
        "SELECT DISTINCT abs(label) FROM payments",
        "SELECT DISTINCT -label FROM payments",
        "SELECT DISTINCT max(abs('-0'), 0, label) FROM payments",
        // A numeric cast may make an integer or a real, and minus
        // -2^63 is a real.
        "SELECT DISTINCT CAST(label AS NUMERIC) FROM payments",
        "SELECT DISTINCT CAST(label AS DECIMAL(10,2)) FROM payments",
        "SELECT DISTINCT -(-CAST(label AS INTEGER)) FROM payments",
        "WITH v(k, x) AS (VALUES (12, 9223372036854775807), (49, 1)) SELECT sum(v.x) FROM payments s CROSS JOIN v WHERE v.k = s.id",
    ] {
        assert!(follows(sql), "{sql}");
    }
    assert_eq!(
        order_in(
            lite,
            &catalog,
            "SELECT abs(CASE WHEN id = 12 THEN '-0' ELSE '0' END) AS v FROM payments ORDER BY v"
        )
        .1,
        Partly
    );
    for sql in [
        "SELECT sum(amount), avg(amount), total(amount) FROM payments",
        "SELECT DISTINCT code COLLATE BINARY FROM payments",
        "SELECT DISTINCT label, amount FROM payments",
        "SELECT label, max(amount) FROM payments GROUP BY label",
        "SELECT DISTINCT CAST(label AS INTEGER) FROM payments",
    ] {
        assert!(
            !follows(sql),
            "{sql}: {:?}",
            order_in(lite, &catalog, sql).0
        );
    }

    // Oracle keeps no scale (1.0 is 1), and rounds past 38 digits.
    let ora = Dialect::Oracle;
    let catalog = payments(
        ora,
        &[
            ("id", "NUMBER", None),
            ("amount", "NUMBER", None),
            ("rate", "BINARY_DOUBLE", None),
        ],
    );
    let follows = |sql: &str| !order_in(ora, &catalog, sql).0.is_empty();
    assert!(!follows(
        "SELECT DISTINCT amount, CASE WHEN id = 1 THEN 1.0 ELSE 1 END FROM payments"
    ));
    assert!(!follows("SELECT sum(amount) FROM payments"));
    assert!(follows("SELECT sum(amount * 1e30) FROM payments"));
    assert!(follows("SELECT DISTINCT rate FROM payments"));
}
