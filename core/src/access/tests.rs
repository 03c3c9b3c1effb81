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

fn views(catalog: &Catalog) -> Views {
    let policy = Policy::new(Dialect::Sqlite);
    Views::read(catalog, &|sql| {
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
        matches!(judged, Err(Hidden::UnreadView { .. })),
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
        Err(Hidden::NoGroup)
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

#[test]
fn an_index_over_an_expression_is_hidden_when_its_table_has_a_hidden_column() {
    let rules = rules();
    let sales = rules.group("sales").unwrap();
    let index = |table: &str, columns: &[&str]| crate::sql::backend::IndexRead {
        index: "i".to_owned(),
        schema: None,
        table: table.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
    };
    assert!(sales.hides_order(&index("clients", &["iban"])).is_some());
    assert!(
        sales.hides_order(&index("clients", &[""])).is_some(),
        "lower(iban), say"
    );
    assert!(sales.hides_order(&index("clients", &["nom"])).is_none());
    assert!(
        sales
            .hides_order(&index("contracts", &["amount"]))
            .is_none()
    );
}
