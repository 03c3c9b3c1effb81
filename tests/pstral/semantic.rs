//! The demo's semantic model bound to the demo CRM on SQLite and
//! PostgreSQL: plans compiled for each dialect return the same rows, and
//! the rows the definitions mean (the fan trap included); what the
//! compiler writes is judged by the validator as any statement is, for
//! Oracle's dialect too; names and values the data does not hold are named.

use pstral_core::semantic::plan::{self, PlanError};
use pstral_core::semantic::{Definitions, Semantic};
use pstral_core::sql::Dialect;
use pstral_core::sql::backend::Executor;
use pstral_core::sql::demo;
use pstral_core::sql::validate::{Policy, validate};

use crate::demo_crm::Copies;

mod disagreement;
mod draft;
mod evaluation;
mod follow_ups;
mod import;
mod suggest;

async fn bound(executor: &dyn Executor, schemas: &[String]) -> Semantic {
    let mut catalog = executor.catalog(schemas).await.unwrap();
    catalog.values = executor.values(&catalog).await.unwrap();
    Semantic::bind(Definitions::parse(demo::SEMANTIC).unwrap(), &catalog)
        .unwrap_or_else(|e| panic!("the demo's semantic model: {e}"))
}

async fn sqlite_model(copies: &Copies) -> Semantic {
    bound(copies.sqlite.as_ref(), &[]).await
}

fn policy(dialect: Dialect) -> Policy {
    let mut policy = Policy::new(dialect);
    policy.allowed_schemas = vec![demo::SCHEMA.to_owned()];
    policy
}

fn compiled(model: &Semantic, plan: &str, dialect: Dialect) -> Result<String, PlanError> {
    let resolved = model.resolve(plan::read(plan)?)?;
    model.compile(&resolved, dialect)
}

/// Plans of every shape the compiler writes, each with the query an analyst
/// would write for it on SQLite.
const PLANS: &[(&str, &str)] = &[
    (
        r#"{"kind": "aggregate", "measures": ["mrr"], "dimensions": [{"name": "client_city", "grain": "none"}], "order": [{"name": "mrr", "descending": true}], "limit": 3}"#,
        "SELECT cl.city, ROUND(SUM(c.monthly_amount), 2) AS mrr FROM contracts c JOIN clients cl ON cl.id = c.client_id WHERE c.ends_on IS NULL GROUP BY cl.city ORDER BY mrr DESC LIMIT 3",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["contract_count"], "dimensions": [{"name": "contract_starts_on", "grain": "month"}], "filters": [{"dimension": "contract_starts_on", "op": "=", "values": ["2025"]}], "order": [{"name": "contract_starts_on", "descending": false}]}"#,
        "SELECT strftime('%Y-%m', starts_on) AS m, COUNT(*) FROM contracts WHERE starts_on BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY m ORDER BY m",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["contract_count"], "dimensions": [{"name": "contract_starts_on", "grain": "quarter"}], "filters": [{"dimension": "contract_starts_on", "op": "between", "values": ["2024-01-01", "2024-12-31"]}], "order": [{"name": "contract_starts_on", "descending": false}]}"#,
        "SELECT strftime('%Y', starts_on) || '-Q' || ((CAST(strftime('%m', starts_on) AS INTEGER) + 2) / 3) AS q, COUNT(*) FROM contracts WHERE starts_on BETWEEN '2024-01-01' AND '2024-12-31' GROUP BY q ORDER BY q",
    ),
    (
        r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}], "order": [{"name": "client_company", "descending": false}]}"#,
        "SELECT cl.company FROM clients cl WHERE cl.city = 'Lyon' AND EXISTS (SELECT 1 FROM contracts c JOIN payments p ON p.contract_id = c.id WHERE c.client_id = cl.id AND p.status = 'impayé') ORDER BY cl.company",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["client_count"], "without": ["contracts"]}"#,
        "SELECT COUNT(*) FROM clients cl WHERE NOT EXISTS (SELECT 1 FROM contracts c WHERE c.client_id = cl.id)",
    ),
    (
        r#"{"kind": "list", "entity": "contacts", "dimensions": [{"name": "contact_name", "grain": "none"}, {"name": "client_company", "grain": "none"}], "segments": ["contact_without_email"], "order": [{"name": "contact_name", "descending": false}]}"#,
        "SELECT ct.first_name || ' ' || ct.last_name AS n, cl.company FROM contacts ct JOIN clients cl ON cl.id = ct.client_id WHERE ct.email IS NULL ORDER BY n",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["contract_count"], "compare": [{"left": "contract_ends_on", "op": "<", "right": "contract_starts_on"}]}"#,
        "SELECT COUNT(*) FROM contracts WHERE ends_on < starts_on",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["running_contract_count"], "dimensions": [{"name": "client_company", "grain": "none"}], "having": [{"measure": "running_contract_count", "op": ">=", "value": 3}]}"#,
        "SELECT cl.company, COUNT(*) FROM contracts c JOIN clients cl ON cl.id = c.client_id WHERE c.ends_on IS NULL GROUP BY cl.id, cl.company HAVING COUNT(*) >= 3",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["running_contract_count"], "filters": [{"dimension": "contract_billing", "op": "=", "values": ["trimestriel"]}], "share": true}"#,
        "SELECT ROUND(100.0 * SUM(CASE WHEN billing = 'trimestriel' THEN 1 ELSE 0 END) / COUNT(*), 2) FROM contracts WHERE ends_on IS NULL",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["payment_count"], "dimensions": [{"name": "payment_method", "grain": "none"}], "share": true}"#,
        "SELECT method, COUNT(*), ROUND(100.0 * COUNT(*) / (SELECT COUNT(*) FROM payments), 2) FROM payments GROUP BY method",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["mrr"], "segments": ["large_account"]}"#,
        "SELECT ROUND(SUM(c.monthly_amount), 2) FROM contracts c JOIN clients cl ON cl.id = c.client_id JOIN users u ON u.id = cl.account_manager_id WHERE c.ends_on IS NULL AND u.team = 'Grands comptes'",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["note_count"], "dimensions": [{"name": "author_name", "grain": "none"}], "segments": ["collections_author"], "filters": [{"dimension": "note_written_on", "op": ">=", "values": ["2025-01-01"]}]}"#,
        "SELECT u.first_name || ' ' || u.last_name, COUNT(*) FROM client_notes n JOIN users u ON u.id = n.author_id WHERE u.team = 'Recouvrement' AND n.written_on >= '2025-01-01' GROUP BY u.id, u.first_name || ' ' || u.last_name",
    ),
    (
        r#"{"kind": "aggregate", "measures": ["average_days_late"], "dimensions": [{"name": "contract_product", "grain": "none"}]}"#,
        "SELECT c.product, ROUND(AVG(julianday(p.paid_on) - julianday(p.due_on)), 2) FROM payments p JOIN contracts c ON c.id = p.contract_id WHERE p.status = 'payé en retard' GROUP BY c.product",
    ),
    (
        r#"{"kind": "list", "entity": "documents", "dimensions": [{"name": "document_title", "grain": "none"}, {"name": "contract_reference", "grain": "none"}], "order": [{"name": "contract_reference", "descending": true}]}"#,
        "SELECT d.title, c.reference FROM documents d LEFT JOIN contracts c ON c.id = d.contract_id",
    ),
    (
        r#"{"kind": "list", "entity": "notes", "dimensions": [{"name": "client_company", "grain": "none"}, {"name": "note_written_on", "grain": "none"}], "filters": [{"dimension": "note_body", "op": "contains", "values": ["RELANCE"]}]}"#,
        "SELECT n.written_on, n.body, cl.company FROM client_notes n JOIN clients cl ON cl.id = n.client_id WHERE LOWER(n.body) LIKE '%relance%'",
    ),
];

/// Rows as sets: a plan that does not order says nothing of the order.
fn sorted(mut rows: Vec<Vec<Option<String>>>) -> Vec<Vec<Option<String>>> {
    rows.sort();
    rows
}

#[tokio::test]
async fn plans_compile_to_the_rows_they_mean_on_sqlite_and_postgresql_and_pass_the_validator_for_oracle()
 {
    let copies = Copies::new().await;
    let on_sqlite = sqlite_model(&copies).await;
    let on_postgres = bound(copies.postgres.as_ref(), &[demo::SCHEMA.to_owned()]).await;
    for (plan, meant) in PLANS {
        let sqlite =
            compiled(&on_sqlite, plan, Dialect::Sqlite).unwrap_or_else(|e| panic!("{plan}: {e}"));
        let postgres = compiled(&on_postgres, plan, Dialect::Postgres)
            .unwrap_or_else(|e| panic!("{plan}: {e}"));
        let oracle = compiled(&on_sqlite, plan, Dialect::Oracle).unwrap();
        validate(&oracle, &policy(Dialect::Oracle)).unwrap_or_else(|r| panic!("{oracle}: {r}"));
        let lite = copies.rows(false, &sqlite).await;
        assert!(!lite.is_empty(), "{sqlite}: no rows");
        assert_eq!(
            sorted(lite.clone()),
            sorted(copies.rows(false, meant).await),
            "{plan}\n{sqlite}"
        );
        assert_eq!(
            sorted(lite),
            sorted(copies.rows(true, &postgres).await),
            "{plan}\n{sqlite}\n{postgres}"
        );
    }
    copies.drop_reader().await;
}

#[tokio::test]
async fn a_measure_cut_by_rows_its_join_repeats_is_counted_once_per_row_the_fan_trap() {
    let copies = Copies::new().await;
    let model = sqlite_model(&copies).await;
    // Contracts and payments side by side, by client: each total over its
    // own rows, as if asked alone.
    let both = compiled(
        &model,
        r#"{"kind": "aggregate", "measures": ["contract_count", "payment_total"], "dimensions": [{"name": "client_company", "grain": "none"}]}"#,
        Dialect::Sqlite,
    )
    .unwrap();
    let totals = copies
        .rows(
            false,
            &format!("SELECT SUM(contract_count), SUM(payment_total) FROM ({both}) x"),
        )
        .await;
    let alone = copies
        .rows(
            false,
            "SELECT (SELECT COUNT(*) FROM contracts WHERE client_id IN (SELECT id FROM clients)), \
             (SELECT ROUND(SUM(amount), 2) FROM payments)",
        )
        .await;
    assert_eq!(totals, alone, "{both}");
    // Contracts cut by the status of their payments: a contract is counted
    // once under each status it has, never once per payment.
    let by_status = compiled(
        &model,
        r#"{"kind": "aggregate", "measures": ["contract_count"], "dimensions": [{"name": "payment_status", "grain": "none"}]}"#,
        Dialect::Sqlite,
    )
    .unwrap();
    assert_eq!(
        sorted(copies.rows(false, &by_status).await),
        sorted(
            copies
                .rows(
                    false,
                    "SELECT p.status, COUNT(DISTINCT c.id) FROM contracts c \
                     JOIN payments p ON p.contract_id = c.id GROUP BY p.status"
                )
                .await
        ),
        "{by_status}"
    );
    copies.drop_reader().await;
}

#[tokio::test]
async fn names_and_values_the_definitions_and_data_do_not_hold_are_named_with_the_nearest() {
    let copies = Copies::new().await;
    let model = sqlite_model(&copies).await;
    let resolve = |plan: &str| model.resolve(plan::read(plan).unwrap());

    // A city written in lower case is the one the data holds, and the
    // reading says so.
    let lyon = resolve(
        r#"{"kind": "list", "entity": "clients", "filters": [{"dimension": "client_city", "op": "=", "values": ["lyon"]}]}"#,
    )
    .unwrap();
    assert_eq!(lyon.corrected, [("lyon".to_owned(), "Lyon".to_owned())]);
    let reading = model
        .reading(&lyon, pstral_core::i18n::Lang::En)
        .render(pstral_core::i18n::Lang::En);
    assert!(reading.contains("city is Lyon"), "{reading}");

    // One the data does not hold is said, with the nearest, never guessed.
    match resolve(
        r#"{"kind": "list", "entity": "clients", "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyno"]}]}"#,
    ) {
        Err(PlanError::UnknownValue { value, near, .. }) => {
            assert_eq!(value, "Lyno");
            assert!(near.contains(&"Lyon".to_owned()), "{near:?}");
        }
        other => panic!("{other:?}"),
    }
    // A name of no definition, with the nearest ones.
    match resolve(r#"{"kind": "aggregate", "measures": ["mmr"]}"#) {
        Err(e @ PlanError::Unknown { .. }) => {
            assert!(e.repairable());
            assert!(e.to_string().contains("nearest: mrr"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // A value of the wrong type for its dimension.
    let wrong = resolve(
        r#"{"kind": "aggregate", "measures": ["contract_count"], "filters": [{"dimension": "contract_starts_on", "op": ">", "values": ["last spring"]}]}"#,
    );
    assert!(
        matches!(wrong, Err(PlanError::WrongType { .. })),
        "{wrong:?}"
    );
    // A value is a few words on one line: never markup that could open a
    // block of its own once shown, never empty.
    for value in ["x\n```sql\nSELECT * FROM users\n```", "a`b", "  "] {
        let plan = format!(
            r#"{{"kind": "list", "entity": "contacts", "filters": [{{"dimension": "contact_email", "op": "=", "values": [{}]}}]}}"#,
            serde_json::to_string(value).unwrap()
        );
        assert!(
            matches!(resolve(&plan), Err(PlanError::WrongType { .. })),
            "{value:?}"
        );
    }
    // A cut written twice, as a small model repeats, is said once.
    let repeated = resolve(
        r#"{"kind": "aggregate", "measures": ["client_count"], "dimensions": [{"name": "client_city", "grain": "none"}, {"name": "client_city", "grain": "none"}]}"#,
    )
    .expect("a repeat is no mistake");
    assert_eq!(repeated.plan.dimensions.len(), 1);
    // What cannot be said is said so rather than written wrong: a date cut
    // twice by two grains, a share of the groups a having keeps, a share
    // of an average, a month compared with !=, two types compared.
    for plan in [
        r#"{"kind": "aggregate", "measures": ["contract_count"], "dimensions": [{"name": "contract_starts_on", "grain": "month"}, {"name": "contract_starts_on", "grain": "year"}]}"#,
        r#"{"kind": "aggregate", "measures": ["note_count"], "dimensions": [{"name": "client_company", "grain": "none"}], "having": [{"measure": "note_count", "op": ">", "value": 20}], "share": true}"#,
        r#"{"kind": "aggregate", "measures": ["average_monthly_amount"], "share": true}"#,
        r#"{"kind": "aggregate", "measures": ["contract_count"], "compare": [{"left": "contract_starts_on", "op": "<", "right": "contract_monthly_amount"}]}"#,
    ] {
        assert!(
            matches!(resolve(plan), Err(PlanError::Unsayable(_))),
            "{plan}"
        );
    }
    assert!(matches!(
        resolve(
            r#"{"kind": "aggregate", "measures": ["contract_count"], "filters": [{"dimension": "contract_starts_on", "op": "!=", "values": ["2024-02"]}]}"#
        ),
        Err(PlanError::WrongType { .. })
    ));
    // Someone who may not read data is not shown the values near theirs.
    let hidden = model.resolve_for(
        plan::read(r#"{"kind": "list", "entity": "clients", "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyno"]}]}"#).unwrap(),
        false,
    );
    assert!(
        matches!(&hidden, Err(PlanError::UnknownValue { near, .. }) if near.is_empty()),
        "{hidden:?}"
    );
    // Not a plan at all, and a plan that covers nothing.
    assert!(matches!(
        plan::read("SELECT 1"),
        Err(PlanError::Malformed(_))
    ));
    assert_eq!(resolve(r#"{"kind": "none"}"#), Err(PlanError::Uncovered));
    // A measure and a dimension no join connects.
    let apart = resolve(
        r#"{"kind": "aggregate", "measures": ["employee_count"], "dimensions": [{"name": "client_city", "grain": "none"}]}"#,
    );
    assert!(matches!(apart, Err(PlanError::Unsayable(_))), "{apart:?}");
    copies.drop_reader().await;
}

#[test]
fn a_semantic_file_that_names_what_does_not_exist_is_refused_key_by_key() {
    let catalog = pstral_core::sql::schema::Catalog::default();
    let definitions = Definitions::parse(
        r#"
        [entities.orders]
        table = "orders"
        label = { en = "orders", fr = "commandes" }
        description = { en = "orders", fr = "commandes" }
        [measures.revenue]
        entity = "order"
        aggregate = "sum"
        label = { en = "revenue", fr = "chiffre" }
        description = { en = "revenue", fr = "chiffre" }
        "#,
    )
    .unwrap();
    let e = Semantic::bind(definitions, &catalog)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("measures.revenue.entity: no entity \"order\""),
        "{e}"
    );
    assert!(e.contains("measures.revenue.expr: only a count"), "{e}");
    let typo = Definitions::parse("[entities.a]\ntable = \"a\"\nlabl = 1\n").unwrap_err();
    assert!(typo.to_string().contains("unknown field `labl`"), "{typo}");
}

/// `runtime` with the demo's semantic model bound.
pub(crate) async fn with_definitions(
    runtime: &pstral_core::sql_target::SqlRuntime,
) -> pstral_core::sql_target::SqlRuntime {
    let runtime = pstral_core::sql_target::SqlRuntime {
        definitions: Some(std::sync::Arc::new(
            Definitions::parse(demo::SEMANTIC).unwrap(),
        )),
        ..runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    assert!(runtime.semantic().is_some(), "the demo's model binds");
    runtime
}

/// The demo target as the bot has it, with the demo's semantic model bound.
async fn bot_with_definitions(
    fake: &crate::support::fake_model::FakeModel,
) -> (crate::execute::Demo, crate::answers::Harness) {
    let demo = crate::execute::demo().await;
    let options = crate::answers::Options {
        sql: Some(with_definitions(&demo.runtime).await),
        ..crate::answers::Options::default()
    };
    let h = crate::answers::Harness::new(&[fake.url()], options).await;
    (demo, h)
}

fn offered(h: &crate::answers::Harness) -> bool {
    h.platform.actions().into_iter().any(|a| {
        matches!(
            a.action,
            pstral_chat::OutboundAction::ShowControl {
                control: pstral_chat::ControlKind::Execute { .. },
                ..
            }
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_the_definitions_cover_is_read_back_in_words_and_its_compiled_sql_offered() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(
        r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["lyon"]}]}"#,
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Quels clients à Lyon ont des paiements en retard ?")
        .await;

    // One request, its answer held to the schema of the model's names
    // (Ollama takes the schema itself as `format`).
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "no free SQL asked for");
    let schema = &requests[0]["format"];
    // It asks for rows ("quels") and no number: a list, or none.
    let kinds = &schema["properties"]["kind"]["enum"];
    assert_eq!(kinds, &serde_json::json!(["list", "none"]));
    let segments = schema["properties"]["segments"]["items"]["enum"].to_string();
    assert!(segments.contains("late_payment"), "{segments}");

    // The reading, from the definitions, in the asker's language, then the
    // statement the bot wrote.
    let answer = h
        .answers()
        .into_iter()
        .map(|(_, t)| t)
        .find(|t| t.starts_with("Lu comme : "))
        .expect("the reading is shown");
    assert!(
        answer.contains("clients avec client, pour paiement en retard; ville est Lyon"),
        "{answer}"
    );
    assert!(answer.contains("(\"lyon\" écrit \"Lyon\")"), "{answer}");
    assert!(
        answer.contains("EXISTS (SELECT 1 FROM contracts JOIN payments"),
        "{answer}"
    );
    assert!(offered(&h), "the compiled statement is offered");
    let recorded = h.audited("answer").await;
    assert_eq!(recorded.last().unwrap()["path"], "plan", "{recorded:?}");
    assert!(
        recorded.last().unwrap()["plan"]
            .as_str()
            .unwrap()
            .contains("late_payment")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_may_use_only_what_its_question_names_and_takes_the_period_the_bot_read() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    // The model writes this month's days for "in 2024", as small ones do.
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["contract_count"], "filters": [{"dimension": "contract_starts_on", "op": "between", "values": ["2024-10-01", "2024-10-31"]}]}"#,
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Combien de contrats avons-nous signés en 2024 ?")
        .await;

    let requests = fake.requests();
    let schema = &requests[0]["format"]["properties"];
    assert!(
        schema.get("segments").is_none(),
        "no segment is named: none may be written: {schema}"
    );
    let filtered = schema["filters"]["items"]["properties"]["dimension"]["enum"].to_string();
    assert!(filtered.contains("contract_starts_on"), "{filtered}");
    assert!(
        !filtered.contains("client_city"),
        "no city is named: {filtered}"
    );
    let cuts = schema["dimensions"]["items"]["properties"]["name"]["enum"].to_string();
    assert!(
        !cuts.contains("contract_reference"),
        "the contracts counted are no cut: {cuts}"
    );

    let answer = h
        .answers()
        .into_iter()
        .map(|(_, t)| t)
        .find(|t| t.starts_with("Read as:") || t.starts_with("Lu comme"))
        .expect("the reading is shown");
    assert!(answer.contains("'2024-01-01' AND '2024-12-31'"), "{answer}");
    assert!(offered(&h));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_no_definition_covers_goes_to_the_models_own_sql() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(r#"{"kind": "none"}"#));
    fake.then(Script::answer(
        "```sql\nSELECT company FROM clients WHERE siret LIKE '69%'\n```",
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Which clients have a SIRET starting with 69?")
        .await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "a plan, then the model's own SQL");
    assert!(requests[0].get("format").is_some());
    assert!(
        requests[1].get("format").is_none(),
        "the free path's answer is not held to a schema"
    );
    assert!(offered(&h));
    assert_eq!(h.audited("answer").await.last().unwrap()["path"], "free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_data_does_not_hold_is_said_never_guessed_and_nothing_is_offered() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["client_count"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyno"]}]}"#,
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "How many clients in Lyno?").await;
    assert_eq!(
        fake.requests().len(),
        1,
        "nothing asked again: the person wrote it"
    );
    let said: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("No city is “Lyno” in the data; the nearest are Lyon")),
        "{said:?}"
    );
    assert!(!offered(&h));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_with_a_name_of_no_definition_is_repaired_once_with_the_nearest_names() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    // A server that does not hold the answer to the schema may write any
    // name: the repair round lists the nearest.
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["MMR"]}"#,
    ));
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["mrr"]}"#,
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Our MRR?").await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one repair round");
    let repair = requests[1]["messages"].as_array().unwrap();
    let asked = repair.last().unwrap()["content"].as_str().unwrap();
    assert!(
        asked.contains("\"MMR\" is not a measure (nearest: mrr)"),
        "{asked}"
    );
    assert!(offered(&h));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_plan_is_kept_with_its_example_and_shown_to_the_next_similar_questions_plan() {
    use crate::learning::{click, examples_of, run_offered, system_prompt};
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(
        r#"{"kind": "list", "entity": "clients", "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["lyon"]}]}"#,
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.ask(1, "Quels clients à Lyon ont des paiements en retard ?")
        .await;
    assert!(
        !system_prompt(&fake, 0).contains("Confirmed plans"),
        "nothing was confirmed yet"
    );
    // ana runs it; dana, an admin, says the result is right.
    let (_, result, correct) = run_offered(&h, 1).await;
    h.person(4, "dana", pstral_core::identity::Role::Admin)
        .await;
    click(&h, 4, &result, correct).await;

    // The example keeps the plan as the bot read it: the value as the
    // data holds it.
    let stored = examples_of(&h).list(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    let plan = stored[0].plan.as_deref().expect("the plan is kept");
    assert!(plan.contains("late_payment"), "{plan}");
    assert!(plan.contains("\"Lyon\""), "{plan}");

    // A similar question's plan prompt shows it, with its question.
    fake.then(Script::answer(
        r#"{"kind": "list", "entity": "clients", "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Nantes"]}]}"#,
    ));
    h.ask(1, "Quels clients à Nantes ont des paiements en retard ?")
        .await;
    let prompt = system_prompt(&fake, 1);
    let confirmed = prompt
        .split("Confirmed plans of similar questions:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("the confirmed plan is shown: {prompt}"));
    assert_eq!(
        confirmed,
        format!("Question: Quels clients à Lyon ont des paiements en retard ?\nPlan: {plan}\n")
    );
    // The model's own SQL path is not asked: the plan answered.
    assert_eq!(fake.requests().len(), 2);

    // The same question again, however cased and spaced: its confirmed
    // plan is taken as it is, and the model is not asked at all.
    h.ask(2, "quels clients à LYON  ont des paiements en retard")
        .await;
    assert_eq!(
        fake.requests().len(),
        2,
        "no request for a confirmed question"
    );
    let again = h
        .answers()
        .into_iter()
        .map(|(_, t)| t)
        .rev()
        .find(|t| t.starts_with("Lu comme : "))
        .unwrap();
    assert!(
        again.contains(&format!(
            "comme cette question a été confirmée auparavant (exemple n° {})",
            stored[0].id
        )),
        "{again}"
    );
    assert!(
        again.contains("EXISTS (SELECT 1 FROM contracts JOIN payments"),
        "{again}"
    );
    let recorded = h.audited("answer").await;
    assert_eq!(recorded.last().unwrap()["reused_example"], stored[0].id);
}

#[tokio::test]
async fn an_example_added_with_a_plan_keeps_it_only_when_the_definitions_hold_it() {
    use pstral_core::learn::examples::{Examples, Source};
    use pstral_core::sql_target::KeepError;
    let db = crate::support::TestDb::sqlite().await;
    let demo = crate::execute::demo().await;
    let mut runtime = with_definitions(&demo.runtime).await;
    runtime.learning = Some(std::sync::Arc::new(pstral_core::learn::Learning::stored(
        Examples::new(db.store.clone()),
        "demo",
        None,
    )));
    let keep = |plan: &'static str| {
        let runtime = runtime.clone();
        async move {
            runtime
                .keep_example(
                    (
                        "Combien de clients ?",
                        "SELECT COUNT(*) FROM clients",
                        Some(plan),
                    ),
                    None,
                    Source::Cli,
                    None,
                    pstral_core::i18n::Lang::Fr,
                )
                .await
        }
    };
    // A name the definitions do not hold: refused, nothing stored.
    let refused = keep(r#"{"kind": "aggregate", "measures": ["client_total"]}"#).await;
    assert!(
        matches!(&refused, Err(KeepError::Plan(why)) if why.contains("client_total")),
        "{refused:?}"
    );
    assert!(
        Examples::new(db.store.clone())
            .list(None)
            .await
            .unwrap()
            .is_empty()
    );
    // One they hold: kept as the model is shown plans, every field in order.
    let stored = keep(r#"{"measures": ["client_count"], "kind": "aggregate"}"#)
        .await
        .unwrap();
    let example = Examples::new(db.store.clone())
        .get(stored.id())
        .await
        .unwrap()
        .unwrap();
    let plan = example.plan.expect("kept");
    assert!(
        plan.starts_with(r#"{"kind":"aggregate""#) && plan.contains("client_count"),
        "{plan}"
    );
}

#[test]
fn an_imported_example_whose_plan_the_definitions_do_not_hold_is_kept_without_it() {
    let s = crate::cli::Scratch::new();
    let file = s.write(
        "team.jsonl",
        concat!(
            r#"{"question": "Combien de clients ?", "sql": "SELECT COUNT(*) FROM clients", "plan": "{\"kind\": \"aggregate\", \"measures\": [\"client_count\"]}"}"#,
            "\n",
            r#"{"question": "Combien de contrats ?", "sql": "SELECT COUNT(*) FROM contracts", "plan": "{\"kind\": \"aggregate\", \"measures\": [\"contract_total\"]}"}"#,
            "\n",
        ),
    );
    let run = |args: &[&str]| {
        s.command(args)
            .env_remove("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE")
            .output()
            .unwrap()
    };
    let imported = run(&["examples", "import", file.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        crate::cli::stderr(&imported)
    );
    let warned = crate::cli::stderr(&imported);
    assert!(
        warned.contains("record 2 (\"Combien de contrats ?\"): stored without its plan")
            && warned.contains("contract_total"),
        "{warned}"
    );
    assert!(crate::cli::stdout(&imported).contains("2 examples stored"));
    let exported = s.dir.path().join("out.jsonl");
    let out = run(&["examples", "export", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", crate::cli::stderr(&out));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&exported)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["plan"].as_str().unwrap().contains("client_count"));
    assert!(lines[1].get("plan").is_none(), "{}", lines[1]);
}

#[test]
fn pstral_semantic_check_and_show_hold_the_demos_model_against_its_catalogue() {
    let s = crate::cli::Scratch::new();
    let run = |args: &[&str]| {
        let out = s
            .command(args)
            .env_remove("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let checked = run(&["semantic", "check"]);
    assert!(
        checked.contains("the demo's semantic model holds against the target demo: 9 entities"),
        "{checked}"
    );
    let shown = run(&["semantic", "show", "--schema"]);
    assert!(
        shown.contains("- mrr (contracts): sum of the monthly amounts of running contracts."),
        "{shown}"
    );
    assert!(
        shown.contains(r#""kind":{"enum":["aggregate","list","none"]}"#),
        "{shown}"
    );
    // `pstral check` says so too.
    let out = s
        .command(&["check"])
        .env_remove("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("semantic:  the demo's semantic model holds"),
        "{said}"
    );
}

/// The bot's message that reads a plan back, and its text.
fn reading(h: &crate::answers::Harness, n: usize) -> (pstral_chat::MessageRef, String) {
    h.answers()
        .into_iter()
        .filter(|(_, t)| t.contains("Read as:") || t.contains("Lu comme : "))
        .nth(n)
        .expect("the reading is shown")
}

const LYON_LATE: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;

/// `runtime` with the demo's semantic model, drawing `count` plans a
/// question at temperature 0.5 and asking back on `ask_back`.
pub(crate) async fn drawing(
    runtime: &pstral_core::sql_target::SqlRuntime,
    count: usize,
    ask_back: &[pstral_core::sql::Doubt],
) -> pstral_core::sql_target::SqlRuntime {
    let mut runtime = with_definitions(runtime).await;
    runtime.plan_votes = pstral_core::sql::PlanVotes {
        count,
        temperature: 0.5,
        ask_back: ask_back.to_vec(),
        unsure_below: 0.5,
    };
    runtime
}

/// The Pick controls the bot showed, with the message they are on.
pub(crate) fn picks(
    h: &crate::answers::Harness,
) -> Vec<(pstral_chat::MessageRef, pstral_chat::ControlKind)> {
    h.platform
        .actions()
        .into_iter()
        .filter_map(|a| match a.action {
            pstral_chat::OutboundAction::ShowControl { message, control }
                if matches!(control, pstral_chat::ControlKind::Pick { .. }) =>
            {
                Some((message, control))
            }
            _ => None,
        })
        .collect()
}
