//! `pstral semantic draft` on the demo CRM, on SQLite and PostgreSQL: the
//! draft passes the checks `pstral semantic check` makes as it is, joins
//! only by foreign keys, and finds the hand-written model's plain
//! definitions (counted, for the note of issue 81).

use std::collections::BTreeMap;

use pstral_core::semantic::draft::draft;
use pstral_core::semantic::model::Expr;
use pstral_core::semantic::{Definitions, Semantic};
use pstral_core::sql::Dialect;
use pstral_core::sql::backend::Executor;
use pstral_core::sql::demo;
use pstral_core::sql::schema::Catalog;

use super::policy;
use crate::cli::{Scratch, stderr, stdout};
use crate::demo_crm::Copies;

async fn catalog(executor: &dyn Executor, schemas: &[String]) -> Catalog {
    let mut catalog = executor.catalog(schemas).await.unwrap();
    catalog.values = executor.values(&catalog).await.unwrap();
    catalog
}

/// The draft of `catalog` in `dialect`, held by the target's checks.
fn drafted(catalog: &Catalog, dialect: Dialect) -> (String, Semantic) {
    let policy = policy(dialect);
    let check =
        |d: &Definitions| pstral_core::sql_target::bound_semantic(d, catalog, &policy).map(|_| ());
    let draft = draft(catalog, dialect, Some(demo::GLOSSARY), check);
    assert!(
        draft.problems.is_empty(),
        "{:?}\n{}",
        draft.problems,
        draft.text
    );
    let definitions = Definitions::parse(&draft.text).unwrap();
    let bound = pstral_core::sql_target::bound_semantic(&definitions, catalog, &policy)
        .unwrap_or_else(|p| panic!("{p:?}\n{}", draft.text));
    (draft.text, bound)
}

#[tokio::test]
async fn a_draft_of_the_demo_holds_on_sqlite_and_postgresql_as_it_is() {
    let copies = Copies::new().await;
    let on_sqlite = catalog(copies.sqlite.as_ref(), &[]).await;
    let on_postgres = catalog(copies.postgres.as_ref(), &[demo::SCHEMA.to_owned()]).await;
    for (catalog, dialect) in [
        (&on_sqlite, Dialect::Sqlite),
        (&on_postgres, Dialect::Postgres),
    ] {
        let (text, bound) = drafted(catalog, dialect);
        let d = &bound.definitions;
        // One entity a table, each joined by its foreign keys alone.
        assert_eq!(d.entities.len(), 7, "{text}");
        assert!(d.entities.values().all(|e| e.joins.is_empty()), "{text}");
        assert!(
            bound.path("payments", "clients").is_some(),
            "payments reach clients through contracts' foreign keys"
        );
        // A category of the values the data holds; a date; a count; an
        // amount summed; a status's values as segments.
        assert_eq!(category(d, "clients", "city"), Some(true), "{text}");
        assert_eq!(
            d.dimensions["contract_starts_on"].kind,
            pstral_core::semantic::model::DimensionType::Time
        );
        assert!(d.measures.contains_key("client_count"), "{text}");
        assert!(
            d.measures.contains_key("total_contract_monthly_amount"),
            "{text}"
        );
        assert!(d.segments.contains_key("payment_impaye"), "{text}");
        // A number whose name says nothing of adding up is written
        // commented out, with why.
        assert!(!d.measures.contains_key("total_document_size_kb"), "{text}");
        assert!(
            text.contains("# LEFT OUT: the name size_kb does not say it is an amount"),
            "{text}"
        );
        // The glossary names the late payment and the MRR.
        let late = &d.segments["payment_impaye"];
        assert_eq!(late.label.en, "late payment");
        assert!(late.synonyms.iter().any(|s| s == "paiement en retard"));
        // A measure the glossary names with conditions of its own ("of
        // running contracts") is only pointed out, never given its words.
        let mrr = &d.measures["total_contract_monthly_amount"];
        assert!(mrr.synonyms.is_empty(), "{:?}", mrr.synonyms);
        assert!(
            text.contains(
                "# REVIEW: the glossary may name this, with conditions of its own: Monthly \
                 recurring revenue, MRR, revenu mensuel récurrent"
            ),
            "{text}"
        );
        // Every guess is marked for review.
        assert!(text.matches("# REVIEW:").count() > 20, "{text}");
        let found = Found::of(&Definitions::parse(demo::SEMANTIC).unwrap(), d);
        eprintln!("{dialect:?}: of the demo's hand-written definitions, {found}");
        assert!(found.as_they_are > 0 && found.near > 0);
    }
}

/// Whether the dimension of `table.column` is a category, if drafted.
fn category(d: &Definitions, table: &str, column: &str) -> Option<bool> {
    d.dimensions
        .values()
        .find(|x| {
            d.entities[&x.entity].table.ends_with(table) && x.column.as_deref() == Some(column)
        })
        .map(|x| x.kind == pstral_core::semantic::model::DimensionType::Category)
}

#[test]
fn the_draft_command_writes_a_model_that_semantic_check_passes() {
    let s = Scratch::new();
    let drafted = s.run(&["semantic", "draft"]);
    assert!(drafted.status.success(), "{}", stderr(&drafted));
    assert!(stderr(&drafted).contains("It holds against the target as it is"));
    s.write("draft.toml", &stdout(&drafted));
    let checked = s
        .command(&["semantic", "check"])
        .env("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE", "draft.toml")
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(stdout(&checked).contains("draft.toml holds against the target demo"));
}

/// How many of a model's definitions a draft holds as they are (the same
/// rows, the same computation), near (the same table and column, counted
/// or filtered otherwise), or not at all.
#[derive(Debug, Default)]
struct Found {
    as_they_are: usize,
    near: usize,
    not_at_all: usize,
    missed: Vec<String>,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} found as they are, {} near, {} not at all ({})",
            self.as_they_are,
            self.near,
            self.not_at_all,
            self.missed.join(", ")
        )
    }
}

impl Found {
    fn of(model: &Definitions, draft: &Definitions) -> Self {
        let (m, d) = (Meanings::of(model), Meanings::of(draft));
        let mut found = Found::default();
        for (name, meaning) in &m.all {
            let near = |x: &Meaning| {
                x.kind == meaning.kind && x.table == meaning.table && x.column == meaning.column
            };
            // One table in several roles (the demo's users are employees,
            // account managers and note authors): a draft has the table,
            // not the roles.
            let roles = m
                .all
                .values()
                .filter(|x| {
                    x.kind == "entity" && x.kind == meaning.kind && x.table == meaning.table
                })
                .count();
            if roles > 1 && d.all.values().any(near) {
                found.near += 1;
            } else if d.all.values().any(|x| x == meaning) {
                found.as_they_are += 1;
            } else if d.all.values().any(near) {
                found.near += 1;
            } else {
                found.not_at_all += 1;
                found.missed.push(name.clone());
            }
        }
        found
    }
}

/// What a definition computes, in the terms of tables and columns rather
/// than of names.
#[derive(Debug, PartialEq)]
struct Meaning {
    kind: &'static str,
    table: String,
    column: String,
    how: String,
}

struct Meanings {
    all: BTreeMap<String, Meaning>,
}

impl Meanings {
    fn of(d: &Definitions) -> Self {
        let table = |entity: &str| {
            d.entities[entity]
                .table
                .rsplit('.')
                .next()
                .unwrap()
                .to_owned()
        };
        // An expression with the entity's name written as its table's.
        let sql = |entity: &str, e: Option<&Expr>| {
            e.map(|e| {
                e.get(Dialect::Sqlite)
                    .replace(&format!("{entity}."), &format!("{}.", table(entity)))
                    .to_lowercase()
            })
            .unwrap_or_default()
        };
        let mut all = BTreeMap::new();
        for (name, e) in &d.entities {
            let meaning = Meaning {
                kind: "entity",
                table: table(name),
                column: e.key.clone(),
                how: String::new(),
            };
            all.insert(format!("entities.{name}"), meaning);
        }
        for (name, x) in &d.dimensions {
            let column = x
                .column
                .clone()
                .unwrap_or_else(|| sql(&x.entity, x.expr.as_ref()));
            let meaning = Meaning {
                kind: "dimension",
                table: table(&x.entity),
                column,
                how: x.kind.as_str().to_owned(),
            };
            all.insert(format!("dimensions.{name}"), meaning);
        }
        for (name, x) in &d.measures {
            let meaning = Meaning {
                kind: "measure",
                table: table(&x.entity),
                column: sql(&x.entity, x.expr.as_ref()),
                how: format!("{:?} {}", x.aggregate, sql(&x.entity, x.filter.as_ref())),
            };
            all.insert(format!("measures.{name}"), meaning);
        }
        for (name, x) in &d.segments {
            let condition = sql(&x.entity, Some(&x.condition));
            let column = condition
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            let meaning = Meaning {
                kind: "segment",
                table: table(&x.entity),
                column,
                how: condition,
            };
            all.insert(format!("segments.{name}"), meaning);
        }
        Self { all }
    }
}
