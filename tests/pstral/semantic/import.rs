//! `pstral semantic import`: the demo CRM's meanings written as a dbt
//! project and as a Snowflake semantic model (tests/fixtures/), imported,
//! compile plans to the very SQL the hand-written demo model compiles them
//! to, on SQLite and PostgreSQL; and the command run as an operator runs
//! it.

use std::path::{Path, PathBuf};

use pstral_core::learn::examples::{ExampleFile, FileFormat, read_records};
use pstral_core::semantic::import::{Imported, dbt, snowflake};
use pstral_core::semantic::{Definitions, Semantic};
use pstral_core::sql::Dialect;
use pstral_core::sql::backend::Executor;
use pstral_core::sql::demo;

use super::{PLANS, bound, compiled};
use crate::demo_crm::Copies;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn bound_to(executor: &dyn Executor, schemas: &[String], imported: &Imported) -> Semantic {
    let text = imported.text(&[]);
    let definitions = Definitions::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut catalog = executor.catalog(schemas).await.unwrap();
    catalog.values = executor.values(&catalog).await.unwrap();
    Semantic::bind(definitions, &catalog).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The plans of `PLANS` numbered `taken`, then `more`.
fn plans(taken: &[usize], more: &[&'static str]) -> Vec<&'static str> {
    taken
        .iter()
        .map(|i| PLANS[*i].0)
        .chain(more.iter().copied())
        .collect()
}

/// Each plan compiles to the same SQL through `imported` as through the
/// hand-written demo model, character for character, on both databases.
async fn compiles_as_the_hand_written_model(imported: &Imported, plans: &[&str]) {
    assert!(plans.len() >= 10, "ten plans at least");
    let copies = Copies::new().await;
    let schemas = [demo::SCHEMA.to_owned()];
    let by_hand = [
        (bound(copies.sqlite.as_ref(), &[]).await, Dialect::Sqlite),
        (
            bound(copies.postgres.as_ref(), &schemas).await,
            Dialect::Postgres,
        ),
    ];
    let ours = [
        bound_to(copies.sqlite.as_ref(), &[], imported).await,
        bound_to(copies.postgres.as_ref(), &schemas, imported).await,
    ];
    for plan in plans {
        for ((hand, dialect), ours) in by_hand.iter().zip(&ours) {
            let expected = compiled(hand, plan, *dialect).unwrap_or_else(|e| panic!("{plan}: {e}"));
            let got = compiled(ours, plan, *dialect).unwrap_or_else(|e| panic!("{plan}: {e}"));
            assert_eq!(got, expected, "{plan} on {dialect:?}");
        }
    }
    copies.drop_reader().await;
}

/// Plans of the demo model that dbt can say: no segment (dbt has none), no
/// cut by a name (dbt cannot tell a name, text, from a category), no list
/// (a list shows an entity's `shown` dimensions first, which dbt has not),
/// no expression written for each database (`average_days_late`).
const DBT_PLANS: &[&str] = &[
    r#"{"kind": "aggregate", "measures": ["collected"], "dimensions": [{"name": "client_sector", "grain": "none"}], "filters": [{"dimension": "payment_paid_on", "op": "between", "values": ["2024-01-01", "2024-12-31"]}], "order": [{"name": "collected", "descending": true}], "limit": 5}"#,
    r#"{"kind": "aggregate", "measures": ["late_payment_count", "late_amount"], "dimensions": [{"name": "manager_team", "grain": "none"}]}"#,
    r#"{"kind": "aggregate", "measures": ["note_count"], "dimensions": [{"name": "author_team", "grain": "none"}, {"name": "note_written_on", "grain": "year"}]}"#,
    r#"{"kind": "aggregate", "measures": ["product_count", "average_monthly_amount"], "dimensions": [{"name": "client_city", "grain": "none"}], "filters": [{"dimension": "contract_status", "op": "=", "values": ["actif"]}]}"#,
    r#"{"kind": "aggregate", "measures": ["document_size_kb", "document_count"], "dimensions": [{"name": "document_kind", "grain": "none"}]}"#,
];

#[tokio::test]
async fn a_dbt_project_of_the_demos_meanings_compiles_plans_to_the_hand_written_models_sql() {
    let imported = dbt::read(&fixture("dbt-crm")).unwrap();
    // mrr by city, contracts by month and by quarter, clients without a
    // contract, contracts ended before they started, a share of the running
    // contracts, a share of the payments by method.
    let plans = plans(&[0, 1, 2, 4, 6, 8, 9], DBT_PLANS);
    compiles_as_the_hand_written_model(&imported, &plans).await;
}

/// Plans of the demo model that Snowflake's format can say: its segments
/// (filters) and names (text) too.
const SNOWFLAKE_PLANS: &[&str] = &[
    r#"{"kind": "aggregate", "measures": ["late_amount", "payment_total"], "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["large_account"], "order": [{"name": "late_amount", "descending": true}], "limit": 3}"#,
    r#"{"kind": "aggregate", "measures": ["employee_count"], "segments": ["current_employee"], "filters": [{"dimension": "employee_team", "op": "=", "values": ["Support"]}]}"#,
];

#[tokio::test]
async fn a_snowflake_model_of_the_demos_meanings_compiles_plans_to_the_hand_written_models_sql() {
    let imported = snowflake::read(&fixture("snowflake-crm.yaml")).unwrap();
    // Every plan of PLANS but the lists (their `shown` dimensions) and
    // average_days_late (an expression for each database).
    let plans = plans(&[0, 1, 2, 4, 6, 7, 8, 9, 10, 11], SNOWFLAKE_PLANS);
    compiles_as_the_hand_written_model(&imported, &plans).await;
}

#[test]
fn the_command_writes_a_semantic_file_that_holds_and_lists_what_it_left_out() {
    let s = crate::cli::Scratch::new();
    let project = fixture("dbt-crm");
    let out = s.run(&["semantic", "import", "dbt", project.to_str().unwrap()]);
    let (stdout, stderr) = (crate::cli::stdout(&out), crate::cli::stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    let definitions = Definitions::parse(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    assert!(definitions.measures.contains_key("mrr"), "{stdout}");
    assert!(
        stderr.contains("Written: 9 entities,")
            && stderr.contains("It holds against the target demo"),
        "{stderr}"
    );
    for left in [
        "metrics.arr: a derived metric",
        "metrics.cumulative_collected: a cumulative metric",
        "measures.median_monthly_amount: a median measure",
        "metrics.mrr_in_lyon:",
        "metrics.mrr_per_client: a ratio",
        "saved_queries: 1 saved queries",
    ] {
        assert!(stderr.contains(left), "{left} is not listed:\n{stderr}");
    }
    assert!(stdout.contains("# LEFT OUT: a derived metric"), "{stdout}");
}

#[test]
fn the_snowflake_verified_queries_are_examples_that_examples_import_stores() {
    let s = crate::cli::Scratch::new();
    let model = fixture("snowflake-crm.yaml");
    let examples = s.dir.path().join("verified.toml");
    let out = s.run(&[
        "semantic",
        "import",
        "snowflake",
        model.to_str().unwrap(),
        "--examples",
        examples.to_str().unwrap(),
    ]);
    let stderr = crate::cli::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 examples (in")
            && stderr.contains("relationships.contacts_to_employees_by_email:"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&examples).unwrap();
    let records: Vec<ExampleFile> = read_records(&text, FileFormat::Toml, "example").unwrap();
    assert_eq!(records.len(), 2, "{text}");
    assert_eq!(
        records[1].sql,
        "SELECT COUNT(*) FROM payments WHERE status = 'impayé'"
    );
    let stored = s.run(&["examples", "import", examples.to_str().unwrap()]);
    assert!(
        stored.status.success() && crate::cli::stdout(&stored).contains("2 examples stored"),
        "{}\n{}",
        crate::cli::stderr(&stored),
        crate::cli::stdout(&stored)
    );
}
