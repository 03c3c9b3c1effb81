use super::*;
use crate::sql::Dialect;
use crate::sql::schema::{CatalogColumn, CatalogTable, ColumnValues, ViewDefinition};
use crate::sql::validate::{Policy, validate_in};

fn table(name: &str, columns: &[&str]) -> CatalogTable {
    CatalogTable {
        schema: None,
        name: name.to_owned(),
        comment: None,
        columns: columns
            .iter()
            .map(|c| CatalogColumn {
                name: (*c).to_owned(),
                type_name: "TEXT".to_owned(),
                nullable: true,
                comment: None,
                collation: None,
            })
            .collect(),
        primary_key: vec!["id".to_owned()],
        foreign_keys: Vec::new(),
    }
}

fn crm() -> Catalog {
    Catalog {
        tables: vec![
            table("clients", &["id", "nom", "iban", "region"]),
            table("contracts", &["id", "client_id", "amount"]),
            table("staff", &["id", "nom", "salary"]),
            table("v_clients", &["id", "nom", "iban"]),
            table("v_names", &["id", "nom"]),
        ],
        values: vec![ColumnValues {
            table: "clients".to_owned(),
            column: "iban".to_owned(),
            values: vec!["FR76".to_owned()],
        }],
        views: vec![
            ViewDefinition {
                schema: None,
                name: "v_clients".to_owned(),
                definition: "SELECT id, nom, iban FROM clients".to_owned(),
            },
            ViewDefinition {
                schema: None,
                name: "v_names".to_owned(),
                definition: "SELECT id, nom FROM clients".to_owned(),
            },
        ],
        ..Default::default()
    }
}

fn rules() -> Rules {
    let group = |name: &str, hidden: &[&str]| Group {
        name: name.to_owned(),
        description: String::new(),
        hidden: hidden.iter().map(|r| r.parse().unwrap()).collect(),
    };
    Rules::new(
        vec![
            group("sales", &["clients.iban", "*.salary"]),
            group("hr", &["clients.*"]),
        ],
        Ungrouped::Everything,
    )
}

fn views(catalog: &Catalog) -> Derived {
    let policy = Policy::new(Dialect::Sqlite);
    Derived::read(catalog, &|sql| {
        validate_in(sql, &policy, Some(catalog))
            .ok()
            .map(|v| v.reach)
    })
}

/// How `sql` is judged for a member of `groups`: the group it runs as, or
/// the refusal's rule.
fn judged(groups: &[&str], sql: &str) -> Result<Option<String>, String> {
    let catalog = crm();
    let rules = rules();
    let valid = validate_in(sql, &Policy::new(Dialect::Sqlite), Some(&catalog)).unwrap();
    rules
        .access(groups)
        .judge(&valid.reach, &catalog, &views(&catalog))
        .map(|s| s.group().map(str::to_owned))
        .map_err(|h| h.rule().to_owned())
}

#[test]
fn rules_are_read_as_written_and_mistakes_named() {
    for good in [
        "clients.iban",
        "*.salary",
        "payroll.*",
        "hr.*.*",
        "crm.clients.iban",
    ] {
        assert_eq!(good.parse::<Rule>().unwrap().to_string(), good);
    }
    for bad in [
        "iban",
        "a.b.c.d",
        "*.*",
        "clients.ib*",
        "clients.",
        "\"clients\".iban",
    ] {
        assert!(bad.parse::<Rule>().is_err(), "{bad}");
    }
}

#[test]
fn a_hidden_column_is_refused_by_name_star_and_view_and_the_rest_runs_as_the_group() {
    assert_eq!(
        judged(&["sales"], "SELECT nom FROM clients"),
        Ok(Some("sales".into()))
    );
    assert_eq!(
        judged(&["sales"], "SELECT iban FROM clients"),
        Err("clients.iban".into())
    );
    assert_eq!(
        judged(&["sales"], "SELECT * FROM clients"),
        Err("clients.iban".into())
    );
    assert_eq!(
        judged(&["sales"], "SELECT id FROM v_clients"),
        Err("clients.iban".into()),
        "a view over the hidden column"
    );
    assert_eq!(
        judged(&["sales"], "SELECT * FROM v_names"),
        Ok(Some("sales".into()))
    );
    assert_eq!(
        judged(&["sales"], "SELECT salary FROM staff"),
        Err("*.salary".into())
    );
}

#[test]
fn a_whole_hidden_table_is_not_even_counted() {
    assert_eq!(
        judged(&["hr"], "SELECT count(*) FROM clients"),
        Err("clients.*".into())
    );
    assert_eq!(
        judged(&["hr"], "SELECT salary FROM staff"),
        Ok(Some("hr".into()))
    );
}

#[test]
fn a_person_in_two_groups_runs_as_the_first_that_hides_nothing_read() {
    // hr hides clients, sales hides salaries: each statement finds its group.
    assert_eq!(
        judged(&["hr", "sales"], "SELECT nom FROM clients"),
        Ok(Some("sales".into()))
    );
    assert_eq!(
        judged(&["hr", "sales"], "SELECT salary FROM staff"),
        Ok(Some("hr".into()))
    );
    // No one group may read both: refused with the first group's rule.
    assert_eq!(
        judged(
            &["hr", "sales"],
            "SELECT c.nom, s.salary FROM clients c, staff s"
        ),
        Err("clients.*".into())
    );
}

#[test]
fn a_person_in_no_group_reads_as_configured() {
    assert_eq!(judged(&[], "SELECT iban FROM clients"), Ok(None));
    let closed = Rules::new(Vec::new(), Ungrouped::Nothing);
    let catalog = crm();
    let valid = validate_in(
        "SELECT nom FROM clients",
        &Policy::new(Dialect::Sqlite),
        Some(&catalog),
    )
    .unwrap();
    assert_eq!(
        closed
            .access::<&str>(&[])
            .judge(&valid.reach, &catalog, &views(&catalog)),
        Err(Hidden::NoGroup)
    );
}

#[test]
fn select_star_over_a_hidden_column_suggests_the_visible_ones() {
    let catalog = crm();
    let valid = validate_in(
        "SELECT * FROM clients",
        &Policy::new(Dialect::Sqlite),
        Some(&catalog),
    )
    .unwrap();
    let rules = rules();
    let hidden = rules
        .access(&["sales"])
        .judge(&valid.reach, &catalog, &views(&catalog))
        .unwrap_err();
    match hidden {
        Hidden::Read { visible, .. } => assert_eq!(visible.unwrap(), ["id", "nom", "region"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_view_whose_definition_cannot_be_read_is_refused_to_a_restricted_group() {
    let mut catalog = crm();
    catalog.views[1].definition =
        "SELECT id, nom FROM clients WHERE load_extension('x') IS NULL".to_owned();
    let valid = validate_in(
        "SELECT nom FROM v_names",
        &Policy::new(Dialect::Sqlite),
        Some(&catalog),
    )
    .unwrap();
    let rules = rules();
    let judged = rules
        .access(&["sales"])
        .judge(&valid.reach, &catalog, &views(&catalog));
    assert!(
        matches!(judged, Err(Hidden::Unfollowed { .. })),
        "{judged:?}"
    );
}

#[test]
fn what_a_prompt_shows_a_member_leaves_out_what_they_may_not_read() {
    let catalog = crm();
    let rules = rules();
    let views = views(&catalog);
    let shown = rules.access(&["sales"]).catalog_for(&catalog, &views);
    let clients = shown.tables.iter().find(|t| t.name == "clients").unwrap();
    assert!(!clients.columns.iter().any(|c| c.name == "iban"));
    assert!(shown.values.is_empty(), "the values of a hidden column go");
    assert!(
        !shown.tables.iter().any(|t| t.name == "v_clients"),
        "the view over it goes"
    );
    assert!(shown.tables.iter().any(|t| t.name == "v_names"));
    let staff = shown.tables.iter().find(|t| t.name == "staff").unwrap();
    assert_eq!(staff.columns.len(), 2);
    let hr = rules.access(&["hr"]).catalog_for(&catalog, &views);
    assert!(!hr.tables.iter().any(|t| t.name == "clients"));

    let glossary = "Clients live in clients.\nAn IBAN is in clients.iban.\nPay: staff.salary.\nAmounts are in euros.";
    assert_eq!(
        rules
            .access(&["sales"])
            .text_for(glossary, &catalog, &views),
        "Clients live in clients.\nAmounts are in euros."
    );
    // Someone with nothing hidden sees it all.
    assert_eq!(
        rules
            .access::<&str>(&[])
            .text_for(glossary, &catalog, &views),
        glossary
    );
}

#[test]
fn a_membership_of_a_group_no_longer_configured_grants_nothing() {
    let catalog = crm();
    let valid = validate_in(
        "SELECT nom FROM clients",
        &Policy::new(Dialect::Sqlite),
        Some(&catalog),
    )
    .unwrap();
    let rules = rules();
    // "interns" was renamed: its member is not "in no group" (who reads
    // everything here), and may read nothing.
    assert_eq!(
        rules
            .access(&["interns"])
            .judge(&valid.reach, &catalog, &views(&catalog)),
        Err(Hidden::GroupsGone {
            groups: vec!["interns".to_owned()]
        })
    );
    assert_eq!(rules.unknown(&["interns", "sales"]), ["interns"]);
    // Beside a configured group, it is that group that reads.
    assert!(
        rules
            .access(&["interns", "sales"])
            .judge(&valid.reach, &catalog, &views(&catalog))
            .is_ok()
    );
}

/// The order rows are read in may follow a hidden column (a table loaded
/// or clustered in its order): where a statement reads a table with one,
/// nothing it keeps, numbers or strings may depend on that order, and its
/// rows are sorted unless its `ORDER BY` tells them apart. Elsewhere, and
/// for a group that may read the table whole, nothing changes.
#[test]
fn the_order_rows_are_read_in_counts_only_where_a_table_read_has_a_hidden_column() {
    let mut catalog = crm();
    for t in &mut catalog.tables {
        for c in &mut t.columns {
            c.nullable = c.name != "id";
        }
    }
    let derived = views(&catalog);
    let rules = rules();
    let valid = |sql: &str| {
        validate_in(sql, &Policy::new(Dialect::Postgres), Some(&catalog))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let judged = |groups: &[&str], sql: &str| {
        rules
            .access(groups)
            .judge(&valid(sql).reach, &catalog, &derived)
    };
    for (sql, how) in [
        ("SELECT nom FROM clients LIMIT 5", Unordered::Limit),
        ("SELECT nom FROM v_names LIMIT 5", Unordered::Limit),
        ("SELECT nom FROM clients ORDER BY region", Unordered::Ties),
        (
            "SELECT k.amount FROM contracts k JOIN clients c ON c.id = k.client_id \
             ORDER BY k.id LIMIT 5",
            Unordered::Limit,
        ),
        (
            "SELECT string_agg(nom, ',') FROM clients",
            Unordered::Aggregate("string_agg".to_owned()),
        ),
    ] {
        match judged(&["sales"], sql) {
            Err(Hidden::Unordered {
                rule, what, how: h, ..
            }) => assert_eq!(
                (rule.as_str(), what.as_str(), h),
                ("clients.iban", "clients.iban", how),
                "{sql}"
            ),
            other => panic!("{sql}: {other:?}"),
        }
        assert!(judged(&[], sql).is_ok(), "in no group: {sql}");
    }
    let sales = rules.group("sales").unwrap();
    for (sql, sorted) in [
        ("SELECT nom FROM clients", true),
        ("SELECT nom FROM v_names", true),
        ("SELECT nom FROM clients ORDER BY id LIMIT 5", false),
        (
            "SELECT nom, region FROM clients ORDER BY region, nom",
            false,
        ),
        ("SELECT count(*) FROM clients", false),
        ("SELECT amount FROM contracts LIMIT 5", false),
        ("SELECT amount FROM contracts", false),
    ] {
        assert!(judged(&["sales"], sql).is_ok(), "{sql}");
        assert_eq!(
            sales.sorts(&valid(sql).reach, &catalog, &derived),
            sorted,
            "{sql}"
        );
    }
}

/// A generated column over a hidden one reads it, and so does an index
/// over the generated column.
#[test]
fn a_generated_column_reads_what_its_expression_reads() {
    let mut catalog = crm();
    let clients = catalog
        .tables
        .iter_mut()
        .find(|t| t.name == "clients")
        .unwrap();
    for column in ["iban_country", "nom_upper"] {
        clients.columns.push(CatalogColumn {
            name: column.to_owned(),
            type_name: "TEXT".to_owned(),
            nullable: true,
            comment: None,
            collation: None,
        });
    }
    let generated = |column: &str, expression: &str| crate::sql::schema::GeneratedColumn {
        schema: None,
        table: "clients".to_owned(),
        column: column.to_owned(),
        expression: expression.to_owned(),
    };
    catalog.generated = vec![
        generated("iban_country", "substr(iban, 1, 2)"),
        generated("nom_upper", "upper(nom)"),
    ];
    let derived = views(&catalog);
    let rules = rules();
    let sales = rules.access(&["sales"]);
    let judged = |sql: &str| {
        let valid = validate_in(sql, &Policy::new(Dialect::Sqlite), Some(&catalog)).unwrap();
        sales.judge(&valid.reach, &catalog, &derived)
    };
    match judged("SELECT iban_country FROM clients") {
        Err(Hidden::Read {
            rule,
            what,
            through,
            ..
        }) => {
            assert_eq!(rule, "clients.iban");
            assert_eq!(what, "clients.iban");
            assert_eq!(through.as_deref(), Some("clients.iban_country"));
        }
        other => panic!("{other:?}"),
    }
    assert!(judged("SELECT nom_upper FROM clients").is_ok());
    match judged("SELECT * FROM clients") {
        Err(Hidden::Read { visible, .. }) => assert_eq!(
            visible.unwrap(),
            ["id", "nom", "region", "nom_upper"],
            "a column computed from a hidden one is not suggested"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        !sales
            .catalog_for(&catalog, &derived)
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .any(|c| c.name == "iban_country"),
        "nor shown in the prompt"
    );
    // An expression that cannot be read is not vouched for.
    catalog.generated[1].expression = String::new();
    let derived = views(&catalog);
    let valid = validate_in(
        "SELECT nom_upper FROM clients",
        &Policy::new(Dialect::Sqlite),
        Some(&catalog),
    )
    .unwrap();
    assert!(matches!(
        sales.judge(&valid.reach, &catalog, &derived),
        Err(Hidden::Unfollowed { what, .. }) if what == "clients.nom_upper"
    ));
}
