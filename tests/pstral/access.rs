//! Data access by group: what a group may not read is refused however a
//! statement reaches it, a click runs as the clicker's group (and its
//! account, whose grants and row-level security the database applies), a
//! result goes to the clicker alone when someone who reads the place may
//! not read it, and a member's prompt holds nothing they may not read.

use std::sync::Arc;

use pstral_chat::{ControlKind, InboundEvent, MessageRef, OutboundAction};
use pstral_core::access::{Derived, Group, Hidden, Rules, Ungrouped};
use pstral_core::audit::Actor;
use pstral_core::sql::Dialect;
use pstral_core::sql::order::RowOrder;
use pstral_core::sql::schema::{
    Catalog, CatalogColumn, CatalogTable, GeneratedColumn, Inheritance, TableName, ViewDefinition,
};
use pstral_core::sql::validate::{Policy, Unordered, validate_in};
use pstral_core::sql_target::execution::{self, Audience, Made};
use pstral_core::sql_target::{Account, NotReadable, Readers, SqlRuntime};

use crate::answers::{Harness, MODEL, Options, who};
use crate::support::fake_model::{FakeModel, Script};

mod group_accounts;
mod late_readers;

pub(crate) fn rules(groups: &[(&str, &[&str])]) -> Rules {
    Rules::new(
        groups
            .iter()
            .map(|(name, hidden)| Group {
                name: (*name).to_owned(),
                description: String::new(),
                hidden: hidden.iter().map(|r| r.parse().unwrap()).collect(),
            })
            .collect(),
        Ungrouped::Everything,
    )
}

/// The corpus's catalogue, its names as `dialect` folds them.
pub(crate) fn catalog(dialect: Dialect) -> Catalog {
    let fold = |s: &str| dialect.fold_unquoted(s);
    let name = |name: &str| TableName {
        schema: None,
        name: fold(name),
    };
    let table = |name: &str, columns: &[&str]| CatalogTable {
        schema: None,
        name: fold(name),
        comment: None,
        columns: columns
            .iter()
            .map(|c| CatalogColumn {
                name: fold(c),
                // Each database's own name for a text.
                type_name: match dialect {
                    Dialect::Oracle => "VARCHAR2",
                    Dialect::Postgres | Dialect::Sqlite => "TEXT",
                }
                .to_owned(),
                // A primary key holds no NULL.
                nullable: *c != "id",
                comment: None,
                collation: None,
            })
            .collect(),
        primary_key: if columns.contains(&"id") {
            vec![fold("id")]
        } else {
            Vec::new()
        },
        foreign_keys: Vec::new(),
    };
    // ledger's columns are of each kind whose values may be equal and
    // shown apart, or summed differently in another order.
    let mut ledger = table("ledger", &["id", "nom", "salary", "amount", "rate", "code"]);
    for column in &mut ledger.columns {
        let (type_name, collation) = match (dialect, column.name.to_lowercase().as_str()) {
            (Dialect::Postgres, "id") => ("integer", None),
            (Dialect::Postgres, "amount") => ("numeric", None),
            (Dialect::Postgres, "rate") => ("double precision", None),
            (Dialect::Postgres, "code") => ("text", Some("und-ci")),
            (Dialect::Sqlite, "id" | "amount") => ("INTEGER", None),
            (Dialect::Sqlite, "rate") => ("REAL", None),
            (Dialect::Sqlite, "code") => ("TEXT", Some("NOCASE")),
            (Dialect::Oracle, "id" | "amount") => ("NUMBER", None),
            (Dialect::Oracle, "rate") => ("BINARY_DOUBLE", None),
            (Dialect::Oracle, _) => ("VARCHAR2", None),
            _ => ("TEXT", None),
        };
        column.type_name = type_name.to_owned();
        column.collation = collation.map(str::to_owned);
    }
    Catalog {
        tables: vec![
            ledger,
            table("clients", &["id", "nom", "region", "iban"]),
            table("contracts", &["id", "client_id", "amount", "reference"]),
            table("staff", &["id", "nom", "salary"]),
            table("suppliers", &["id", "nom", "iban"]),
            table("v_clients", &["id", "nom", "iban"]),
            table("v_names", &["id", "nom"]),
            table("payroll", &["id", "nom", "salary", "band"]),
            table("clients_fts", &["nom", "iban"]),
            table("pay_scale", &["salary", "grade"]),
            table("clients_2024", &["id", "nom", "region", "iban"]),
            table("parties", &["id", "nom", "iban"]),
        ],
        values: Vec::new(),
        // `band` is computed from the salary; `clients_fts` is a full-text
        // index SQLite fills from clients.
        generated: vec![GeneratedColumn {
            schema: None,
            table: fold("payroll"),
            column: fold("band"),
            expression: format!("{} / 1000", fold("salary")),
        }],
        filled: vec![TableName {
            schema: None,
            name: fold("clients_fts"),
        }],
        // clients_2024 is a partition of clients; clients inherits from
        // parties (PostgreSQL): they share rows.
        inherits: vec![
            Inheritance {
                child: name("clients_2024"),
                parent: name("clients"),
            },
            Inheritance {
                child: name("clients"),
                parent: name("parties"),
            },
        ],
        views: vec![
            ViewDefinition {
                schema: None,
                name: fold("v_clients"),
                definition: "SELECT id, nom, iban FROM clients".to_owned(),
            },
            ViewDefinition {
                schema: None,
                name: fold("v_names"),
                definition: "SELECT id, nom FROM clients WHERE region IS NOT NULL".to_owned(),
            },
        ],
    }
}

/// Runs `sql` through the validator and the access rules of a member of
/// sales, as a click would: `Ok` with the group it runs as, or why not.
fn judged(dialect: Dialect, sql: &str) -> Result<Option<String>, String> {
    let catalog = catalog(dialect);
    let policy = Policy::new(dialect);
    let derived = Derived::read(&catalog, &|d| {
        validate_in(d, &policy, Some(&catalog))
            .ok()
            .map(|v| v.reach)
    });
    let rules = rules(&[("sales", &["clients.iban", "*.salary"])]);
    let valid = validate_in(sql, &policy, Some(&catalog))
        .map_err(|refusal| format!("the validator refused it: {refusal}"))?;
    rules
        .access(&["sales"])
        .judge(&valid.reach, &catalog, &derived)
        .map(|s| s.group().map(str::to_owned))
        .map_err(|hidden| hidden.to_string())
}

#[test]
fn hidden_columns_are_refused_however_they_are_reached() {
    let corpus = include_str!("corpus/hidden.tsv");
    let mut cases = 0;
    let mut failures = Vec::new();
    for line in corpus
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let [dialects, hidden, visible] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("a corpus line has three fields: {line}");
        };
        let dialects: Vec<Dialect> = match dialects {
            "all" => vec![Dialect::Postgres, Dialect::Sqlite, Dialect::Oracle],
            list => list.split(',').map(|d| d.parse().unwrap()).collect(),
        };
        for dialect in dialects {
            cases += 1;
            match judged(dialect, hidden) {
                Err(why)
                    if why.contains("hidden from sales")
                        || why.contains("and sales has hidden columns") => {}
                other => failures.push(format!("{dialect} {hidden}: {other:?}")),
            }
            if let Err(why) = judged(dialect, visible) {
                failures.push(format!("{dialect} (visible) {visible}: {why}"));
            }
        }
    }
    assert!(cases >= 3 * 40, "{cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The demo CRM whose groups hide what `groups` says, with its catalogue
/// (and views) read under those rules.
pub(crate) async fn demo_hiding(groups: &[(&str, &[&str])]) -> crate::execute::Demo {
    let mut demo = crate::execute::demo().await;
    demo.runtime.readers = Readers {
        rules: Arc::new(rules(groups)),
        ..Readers::default()
    };
    demo.runtime.refresh_catalog().await.unwrap();
    demo
}

/// What a reader is shown of the target is made once a snapshot: the same
/// readers asking again get the same view, others and a new snapshot a
/// view of their own, and it hides what their groups hide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readers_view_is_made_once_a_snapshot_and_again_after_a_refresh() {
    let demo = demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    let runtime = &demo.runtime;
    let sales = vec![vec!["sales".to_owned()]];
    let first = runtime.for_readers(&sales).snapshot.now();
    let again = runtime.for_readers(&sales).snapshot.now();
    assert!(
        Arc::ptr_eq(&first, &again),
        "made twice for the same readers"
    );
    let clients = first
        .catalog
        .tables
        .iter()
        .find(|t| t.name == "clients")
        .unwrap();
    assert!(!clients.columns.iter().any(|c| c.name == "annual_revenue"));
    let others = vec![vec!["sales".to_owned()], Vec::new()];
    let theirs = runtime.for_readers(&others).snapshot.now();
    assert!(!Arc::ptr_eq(&first, &theirs));
    runtime.refresh_catalog().await.unwrap();
    let after = runtime.for_readers(&sales).snapshot.now();
    assert!(!Arc::ptr_eq(&first, &after), "kept past a refresh");
    assert!(Arc::ptr_eq(
        &after,
        &runtime.for_readers(&sales).snapshot.now()
    ));
}

/// The demo CRM, with sales hiding the clients' revenue and the payments,
/// and the harness's people: ana (1) and bob (2) executors, carl (3) a
/// viewer, nobody in a group yet.
async fn demo_with_groups(fake: &FakeModel) -> (crate::execute::Demo, Harness) {
    let demo = demo_hiding(&[("sales", &["clients.annual_revenue", "payments.*"])]).await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    (demo, h)
}

fn control_shown(h: &Harness) -> (MessageRef, ControlKind) {
    h.platform
        .actions()
        .into_iter()
        .rev()
        .find_map(|a| match a.action {
            OutboundAction::ShowControl {
                message,
                control: c @ ControlKind::Execute { .. },
            } => Some((message, c)),
            _ => None,
        })
        .expect("Execute is offered")
}

async fn click(h: &Harness, who_clicks: u64) {
    let (message, control) = control_shown(h);
    let event = InboundEvent::Control {
        actor: who(who_clicks),
        message,
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), event).await;
}

const REVENUE: &str =
    "```sql\nSELECT company, annual_revenue FROM clients WHERE city = 'Lyon'\n```";
const STAR: &str = "```sql\nSELECT * FROM clients WHERE city = 'Lyon'\n```";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clickers_group_decides_and_a_change_of_group_holds_at_the_next_click() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, h) = demo_with_groups(&fake).await;
    // bob, in no group, asks; ana, in sales, clicks.
    h.directory
        .set_group("ana", "sales", true, Actor::cli())
        .await
        .unwrap();
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    click(&h, 1).await;
    let told = h.said_privately(1);
    assert!(
        told.last().is_some_and(|t| t.contains(
            "clients.annual_revenue is hidden from sales (rule `clients.annual_revenue`)"
        )),
        "{told:#?}"
    );
    assert!(
        h.audited("execute_requested").await.is_empty(),
        "nothing ran"
    );
    let refused = h.audited("access_refused").await;
    assert_eq!(refused[0]["rule"], "clients.annual_revenue");
    assert_eq!(refused[0]["group"], "sales");

    // Out of sales, the same click runs, as no group.
    h.directory
        .set_group("ana", "sales", false, Actor::cli())
        .await
        .unwrap();
    click(&h, 1).await;
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0]["group"], serde_json::Value::Null);
    let changes = h.audited("user_changed").await;
    assert!(
        changes
            .iter()
            .any(|c| c["action"] == "group_joined" && c["group"] == "sales")
            && changes.iter().any(|c| c["action"] == "group_left"),
        "{changes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_star_over_a_hidden_column_is_refused_with_the_visible_columns_suggested() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(STAR));
    let (_demo, h) = demo_with_groups(&fake).await;
    h.directory
        .set_group("ana", "sales", true, Actor::cli())
        .await
        .unwrap();
    h.ask(2, "Les clients de Lyon ?").await;
    click(&h, 1).await;
    let told = h.said_privately(1).last().cloned().unwrap_or_default();
    assert!(
        told.contains("Name the columns you may read instead of `*`"),
        "{told}"
    );
    assert!(told.contains("company") && told.contains("city"), "{told}");
    assert!(
        !told["Name the columns".len()..].contains("annual_revenue,"),
        "{told}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_someone_in_the_place_may_not_read_goes_to_the_clicker_alone() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, h) = demo_with_groups(&fake).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    // Asked where ana and bob read; carl (in sales) joins before the click.
    h.platform.set_audience("1100", vec![who(1), who(2)]);
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    h.platform
        .set_audience("1100", vec![who(1), who(2), who(3)]);
    click(&h, 2).await;
    let private = h.said_privately(2);
    assert!(
        private
            .last()
            .is_some_and(|t| t.contains("visible to you only") && t.contains("annual_revenue")),
        "bob has the rows privately: {private:#?}"
    );
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    let note = in_place
        .iter()
        .find(|t| t.contains("were sent privately"))
        .expect("the place is told where the results went");
    assert!(note.contains("clients.annual_revenue"), "{note}");
    assert!(
        !in_place.iter().any(|t| t.contains("```text")),
        "no rows in the place: {in_place:#?}"
    );
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["redirected"]["rule"], "clients.annual_revenue");
    assert_eq!(requested[0]["private"], true);

    // Without carl, everyone may read it: it is shown in the place.
    h.platform.set_audience("1100", vec![who(1), who(2)]);
    click(&h, 2).await;
    assert!(
        h.answers().iter().any(|(_, t)| t.contains("```text")),
        "shown in the place"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_whose_readers_cannot_be_told_gets_no_rows_when_rules_hide_anything() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(
        "```sql\nSELECT company FROM clients WHERE city = 'Lyon'\n```",
    ));
    let (_demo, h) = demo_with_groups(&fake).await;
    h.ask(2, "Les clients de Lyon ?").await;
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        in_place
            .iter()
            .any(|t| t.contains("I cannot tell who reads this place")),
        "{in_place:#?}"
    );
    assert!(
        h.said_privately(2)
            .last()
            .is_some_and(|t| t.contains("visible to you only") && t.contains("company"))
    );
    assert_eq!(
        h.audited("execute_requested").await[0]["redirected"]["rule"],
        "audience_unknown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_for_a_member_holds_nothing_they_may_not_read() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer("Je ne sais pas."));
    fake.then(Script::answer("Je ne sais pas."));
    let (_demo, h) = demo_with_groups(&fake).await;
    h.directory
        .set_group("ana", "sales", true, Actor::cli())
        .await
        .unwrap();
    h.ask(1, "Combien de paiements en retard ?").await;
    h.ask(2, "Combien de paiements en retard ?").await;
    let requests = fake.requests();
    let prompt = |i: usize| requests[i]["messages"].to_string();
    let ana = prompt(0);
    let bob = prompt(1);
    assert!(
        bob.contains("annual_revenue") && bob.contains("TABLE payments"),
        "bob, in no group, sees all"
    );
    assert!(!ana.contains("annual_revenue"), "{ana}");
    assert!(!ana.contains("TABLE payments"), "{ana}");
    assert!(ana.contains("TABLE clients ("), "{ana}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_reading_what_the_asker_may_not_read_is_not_offered_to_them() {
    let fake = FakeModel::start(&[MODEL]).await;
    // The answer, then the repair round's.
    fake.then(Script::answer(REVENUE));
    fake.then(Script::answer(REVENUE));
    let (_demo, h) = demo_with_groups(&fake).await;
    h.directory
        .set_group("ana", "sales", true, Actor::cli())
        .await
        .unwrap();
    h.ask(1, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    let offered = h.platform.actions().into_iter().any(|a| {
        matches!(
            a.action,
            OutboundAction::ShowControl {
                control: ControlKind::Execute { .. },
                ..
            }
        )
    });
    assert!(!offered, "not offered to a member of sales");
    assert!(
        h.answers()
            .iter()
            .any(|(_, t)| t.contains("hidden from sales")),
        "{:#?}",
        h.answers()
    );
}

/// The demo's semantic model, for a member of a group that may not read
/// the clients' revenue: the dimension over it is not in what the model is
/// shown, and the rest of the model still serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_semantic_model_shown_to_a_member_leaves_out_definitions_over_hidden_columns() {
    let demo = crate::execute::demo().await;
    let runtime = SqlRuntime {
        definitions: Some(Arc::new(
            pstral_core::semantic::Definitions::parse(pstral_core::sql::demo::SEMANTIC).unwrap(),
        )),
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["clients.annual_revenue"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let whole = runtime
        .semantic()
        .expect("the demo's model holds")
        .prompt("2025-10-31", false);
    assert!(whole.contains("client_annual_revenue"));
    let shown = runtime
        .for_reader(&["sales".to_owned()])
        .semantic()
        .expect("the rest of the model still serves")
        .prompt("2025-10-31", false);
    assert!(!shown.contains("annual_revenue"), "{shown}");
    assert!(shown.contains("contract_monthly_amount"), "{shown}");
}

/// A group that may not read the payments at all: the entity and every
/// definition over it leave the model it is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_over_a_hidden_table_leaves_the_semantic_model_shown() {
    let demo = crate::execute::demo().await;
    let runtime = SqlRuntime {
        definitions: Some(Arc::new(
            pstral_core::semantic::Definitions::parse(pstral_core::sql::demo::SEMANTIC).unwrap(),
        )),
        readers: Readers {
            rules: Arc::new(rules(&[
                ("collections", &["contacts.*"]),
                ("sales", &["payments.*"]),
            ])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let whole = runtime.semantic().unwrap().prompt("2025-10-31", false);
    assert!(whole.contains("payment_amount") && whole.contains("payment_due_on"));
    let shown = runtime
        .for_reader(&["sales".to_owned()])
        .semantic()
        .expect("the rest of the model still serves")
        .prompt("2025-10-31", false);
    for name in ["payment_amount", "payment_due_on", "payments:"] {
        assert!(!shown.contains(name), "{name}: {shown}");
    }
    assert!(shown.contains("contract_monthly_amount"), "{shown}");
}

/// north reads through an account of its own (grants, row-level security):
/// rows read with the target's account are not posted where a member of
/// north reads, even when no rule hides a column of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_read_with_one_account_are_not_posted_where_another_accounts_reader_is() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(
        "```sql\nSELECT company FROM clients WHERE city = 'Lyon'\n```",
    ));
    let mut demo = crate::execute::demo().await;
    let own = pstral_core::sql::backend::SqliteExecutor::open(&demo.path())
        .await
        .unwrap();
    demo.runtime.readers = Readers {
        rules: Arc::new(rules(&[("north", &[])])),
        accounts: vec![("north".to_owned(), Account::new(Arc::new(own)))],
        ..Readers::default()
    };
    demo.runtime.refresh_catalog().await.unwrap();
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.directory
        .set_group("carl", "north", true, Actor::cli())
        .await
        .unwrap();
    h.platform
        .set_audience("1100", vec![who(1), who(2), who(3)]);
    h.ask(2, "Les clients de Lyon ?").await;
    click(&h, 2).await;
    let requested = h.audited("execute_requested").await;
    assert_eq!(
        requested[0]["redirected"]["rule"], "account",
        "{requested:#?}"
    );
    assert_eq!(requested[0]["redirected"]["group"], "north");
    assert!(
        !h.answers().iter().any(|(_, t)| t.contains("```text")),
        "no rows in the place"
    );
}

/// The answer to a question asked in a room is read by the whole room: its
/// prompt holds what everyone there may read, and a statement someone
/// there may not read is not offered in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_asked_in_a_room_is_answered_for_everyone_who_reads_it() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    fake.then(Script::answer(REVENUE));
    let (_demo, h) = demo_with_groups(&fake).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    // bob, in no group, asks where carl (sales) reads.
    h.platform.set_audience("1100", vec![who(2), who(3)]);
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    let prompt = fake.requests()[0]["messages"].to_string();
    assert!(!prompt.contains("annual_revenue"), "{prompt}");
    assert!(prompt.contains("TABLE clients ("), "{prompt}");
    let offered = h.platform.actions().into_iter().any(|a| {
        matches!(
            a.action,
            OutboundAction::ShowControl {
                control: ControlKind::Execute { .. },
                ..
            }
        )
    });
    assert!(!offered, "not offered where carl reads");
}

/// An executor that holds each run until the test lets it go, so that
/// what the test does while a query runs (someone joins the place) happens
/// then, with no sleep.
pub(crate) struct Gated {
    inner: Arc<dyn pstral_core::sql::backend::Executor>,
    started: tokio::sync::watch::Sender<usize>,
    release: tokio::sync::Semaphore,
}

impl Gated {
    pub(crate) fn around(inner: Arc<dyn pstral_core::sql::backend::Executor>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            started: tokio::sync::watch::channel(0).0,
            release: tokio::sync::Semaphore::new(0),
        })
    }

    /// Waits until `n` runs have started (and wait to be let go).
    pub(crate) async fn started(&self, n: usize) {
        let mut started = self.started.subscribe();
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            started.wait_for(|&k| k >= n),
        )
        .await
        .expect("the query starts")
        .unwrap();
    }

    /// Lets one run go on.
    pub(crate) fn release(&self) {
        self.release.add_permits(1);
    }
}

#[async_trait::async_trait]
impl pstral_core::sql::backend::Executor for Gated {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }

    async fn explain(
        &self,
        query: &pstral_core::sql::validate::Validated,
        timeout: std::time::Duration,
    ) -> Result<pstral_core::sql::backend::Plan, pstral_core::sql::backend::ExecError> {
        self.inner.explain(query, timeout).await
    }

    async fn catalog(
        &self,
        schemas: &[String],
    ) -> Result<Catalog, pstral_core::sql::backend::ExecError> {
        self.inner.catalog(schemas).await
    }

    async fn values(
        &self,
        catalog: &Catalog,
    ) -> Result<Vec<pstral_core::sql::schema::ColumnValues>, pstral_core::sql::backend::ExecError>
    {
        self.inner.values(catalog).await
    }

    async fn privileges(
        &self,
        schemas: &[String],
    ) -> Result<Vec<String>, pstral_core::sql::backend::ExecError> {
        self.inner.privileges(schemas).await
    }

    async fn run(
        &self,
        query: &pstral_core::sql::validate::Validated,
        limits: pstral_core::sql::backend::Limits,
        sink: &mut dyn pstral_core::sql::backend::RowSink,
    ) -> Result<pstral_core::sql::backend::Outcome, pstral_core::sql::backend::ExecError> {
        self.started.send_modify(|n| *n += 1);
        self.release.acquire().await.expect("never closed").forget();
        self.inner.run(query, limits, sink).await
    }
}

/// A join on a column its table does not have (a small model's slip, and
/// one the Defog questions show) is refused naming the table and the
/// column, not as a name that qualifies nothing.
#[test]
fn a_column_its_table_does_not_have_is_said_with_the_table() {
    let catalog = catalog(Dialect::Postgres);
    let policy = Policy::new(Dialect::Postgres);
    let refused = validate_in(
        "SELECT c.nom FROM clients c JOIN contracts k ON k.did = c.id",
        &policy,
        Some(&catalog),
    )
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("k (contracts) has no column did"),
        "{refused}"
    );
    // By the table's own name, and a qualifier that names nothing, as before.
    let own = validate_in(
        "SELECT contracts.did FROM contracts",
        &policy,
        Some(&catalog),
    )
    .unwrap_err()
    .to_string();
    assert!(own.contains("contracts has no column did"), "{own}");
    let nothing = validate_in("SELECT x.id FROM contracts", &policy, Some(&catalog))
        .unwrap_err()
        .to_string();
    assert!(nothing.contains("is qualified by no table"), "{nothing}");
}
