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

/// A PostgreSQL target whose clients two groups read through accounts of
/// their own: north's has row-level security to its region, sales' a
/// column grant without the IBAN; the target's own account reads all.
struct Accounts {
    db: crate::support::TestDb,
    roles: Vec<String>,
}

impl Accounts {
    async fn new() -> Self {
        let db = crate::support::TestDb::postgres().await;
        let pstral_core::store::DatabaseUrl::Postgres(admin) = &db.settings.url else {
            unreachable!()
        };
        let base = admin.path().trim_start_matches('/').to_owned();
        let roles: Vec<String> = ["reader", "sales", "north"]
            .iter()
            .map(|r| format!("{r}_{base}"))
            .collect();
        let [reader, sales, north] = &roles[..] else {
            unreachable!()
        };
        db.tamper(&format!(
            "CREATE TABLE clients (id int PRIMARY KEY, nom text, region text, iban text); \
             INSERT INTO clients VALUES (1, 'Alpha', 'Nord', 'FR76 1'), (2, 'Beta', 'Sud', 'FR76 2'), \
                                        (3, 'Gamma', 'Nord', 'FR76 3'), (4, 'Delta', 'Sud', 'FR76 4'); \
             CREATE ROLE \"{reader}\" LOGIN; CREATE ROLE \"{sales}\" LOGIN; CREATE ROLE \"{north}\" LOGIN; \
             GRANT USAGE ON SCHEMA public TO \"{reader}\", \"{sales}\", \"{north}\"; \
             GRANT SELECT ON clients TO \"{reader}\", \"{north}\"; \
             GRANT SELECT (id, nom, region) ON clients TO \"{sales}\"; \
             ALTER TABLE clients ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY north_only ON clients FOR SELECT TO \"{north}\" USING (region = 'Nord'); \
             CREATE POLICY everyone ON clients FOR SELECT TO \"{reader}\", \"{sales}\" USING (true); \
             CREATE TABLE staff (nom text, salary int); CREATE INDEX staff_by_salary ON staff (salary, nom); \
             INSERT INTO staff VALUES ('Zoé', 1000), ('Adam', 9000), ('Marc', 5000); \
             GRANT SELECT (nom) ON staff TO \"{sales}\"; GRANT SELECT ON staff TO \"{reader}\", \"{north}\"; \
             ALTER ROLE \"{sales}\" SET enable_seqscan = off;"
        ))
        .await;
        Self { db, roles }
    }

    fn target(&self, role: &str) -> pstral_core::sql::Target {
        let pstral_core::store::DatabaseUrl::Postgres(admin) = &self.db.settings.url else {
            unreachable!()
        };
        let mut url = admin.clone();
        url.set_username(role).unwrap();
        url.set_password(None).unwrap();
        pstral_core::sql::Target {
            name: "crm".to_owned(),
            kind: pstral_core::sql::TargetKind::Postgres(
                pstral_core::store::DatabaseUrl::Postgres(url),
            ),
            instructions_file: None,
            semantic: Default::default(),
            today: None,
            weigh_plans: true,
            accounts: Vec::new(),
        }
    }

    async fn runtime(&self) -> SqlRuntime {
        let open = |role: &str| {
            let target = self.target(role);
            async move { pstral_core::sql::open_target(&target, &[]).await.unwrap() }
        };
        let executor = open(&self.roles[0]).await;
        let accounts = vec![
            ("north".to_owned(), Account::new(open(&self.roles[2]).await)),
            ("sales".to_owned(), Account::new(open(&self.roles[1]).await)),
        ];
        let runtime = SqlRuntime {
            readers: Readers {
                rules: Arc::new(rules(&[
                    ("north", &[]),
                    ("sales", &["clients.iban", "*.salary"]),
                ])),
                accounts,
                ..Readers::default()
            },
            ..crate::execute::demo().await.runtime
        };
        let runtime = SqlRuntime {
            policy: Policy::new(Dialect::Postgres),
            executor: Account::new(executor),
            ..runtime
        };
        runtime.refresh_catalog().await.unwrap();
        runtime
    }

    async fn drop_roles(self) {
        let roles = self.roles.clone();
        for role in &roles {
            self.db.tamper(&format!("DROP OWNED BY \"{role}\"")).await;
        }
        drop(self.db);
        use sqlx::Connection as _;
        let mut admin = sqlx::PgConnection::connect(&crate::support::pg_admin_url())
            .await
            .unwrap();
        for role in roles {
            // The database is gone with the TestDb; the roles are cluster-wide.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP ROLE IF EXISTS \"{role}\""
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// What a click of a member of `groups` may run `valid` as, as the
/// Execute pipeline grants it.
fn granted(
    runtime: &SqlRuntime,
    groups: &[String],
    valid: &pstral_core::sql::validate::Validated,
) -> Result<execution::Granted, NotReadable> {
    execution::check(runtime, &valid.text)
        .unwrap()
        .grant(runtime, groups)
}

/// The rows `sql` returns for a member of `groups`, in the order they are
/// shown, or why it may not run: a run from the terminal, through the
/// Execute pipeline (audited in a store of its own).
async fn rows_for(runtime: &SqlRuntime, groups: &[&str], sql: &str) -> Result<Vec<String>, String> {
    let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
    let checked = execution::check(runtime, sql).map_err(|r| r.to_string())?;
    let granted = checked.grant(runtime, &groups).map_err(|n| match n {
        NotReadable::Hidden(hidden) => hidden.to_string(),
        NotReadable::Unchecked => "unchecked".to_owned(),
    })?;
    let db = crate::support::TestDb::sqlite().await;
    let audit = pstral_core::audit::Audit::new(db.store.clone());
    let approved = granted
        .shown_to(runtime, Audience::Asker)
        .request(&audit, Actor::cli(), None, serde_json::json!({}))
        .await
        .unwrap();
    let mut preview = pstral_core::sql::render::Preview::new(1_000);
    let outcome = approved.run(&mut preview).await;
    let executed = approved.record(outcome, Made::Nothing).await;
    executed.recorded.unwrap();
    executed.outcome.map_err(|e| e.to_string())?;
    Ok(preview
        .rows
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_each_group_reads_through_its_own_account_row_level_security_included() {
    let accounts = Accounts::new().await;
    let runtime = accounts.runtime().await;
    let names = "SELECT nom FROM clients ORDER BY id";
    let all = rows_for(&runtime, &[], names).await.unwrap();
    assert_eq!(all.len(), 4, "{all:?}");
    let north = rows_for(&runtime, &["north"], names).await.unwrap();
    assert_eq!(
        north.len(),
        2,
        "north's account sees its region only: {north:?}"
    );
    assert!(
        north
            .iter()
            .all(|n| n.contains("Alpha") || n.contains("Gamma")),
        "{north:?}"
    );
    assert_eq!(
        rows_for(&runtime, &["sales"], names).await.unwrap().len(),
        4
    );

    // The IBAN: hidden from sales on the statement; north's account reads
    // its own rows' IBANs.
    let ibans = "SELECT iban FROM clients";
    let refused = rows_for(&runtime, &["sales"], ibans).await.unwrap_err();
    assert!(refused.contains("hidden from sales"), "{refused}");
    assert_eq!(
        rows_for(&runtime, &["north"], ibans).await.unwrap().len(),
        2
    );
    // Someone in both: the first group (by name) that hides nothing it
    // reads, north, with north's account.
    assert_eq!(
        rows_for(&runtime, &["north", "sales"], ibans)
            .await
            .unwrap()
            .len(),
        2
    );

    // sales' account reads staff through its only index, on the salary
    // (sequential scans are off for it): the names come out in the order
    // of the salaries, which sales may not read, so they are shown to
    // sales by name; north may read the salary.
    let names = rows_for(&runtime, &["sales"], "SELECT nom FROM staff")
        .await
        .unwrap();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!((names.len(), &names), (3, &sorted));
    assert_eq!(
        rows_for(&runtime, &["north"], "SELECT nom FROM staff")
            .await
            .unwrap()
            .len(),
        3
    );

    // Were the statement let through, the database itself refuses sales
    // the column: its account has no grant on it.
    let valid = runtime.check(ibans).unwrap();
    let sales = pstral_core::sql::open_target(&accounts.target(&accounts.roles[1]), &[])
        .await
        .unwrap();
    let mut preview = pstral_core::sql::render::Preview::new(10);
    let error = sales
        .run(&valid, runtime.limits, &mut preview)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("permission denied"), "{error}");
    drop(runtime);
    accounts.drop_roles().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_over_a_hidden_column_is_followed_on_postgresql_and_sqlite() {
    // PostgreSQL: pg_get_viewdef, read by the validator.
    let accounts = Accounts::new().await;
    accounts
        .db
        .tamper(&format!(
            "CREATE VIEW v_bank AS SELECT c.id, c.iban AS account FROM clients c; \
             CREATE VIEW v_plain AS SELECT id, nom FROM clients; \
             GRANT SELECT ON v_bank, v_plain TO \"{}\"",
            accounts.roles[0]
        ))
        .await;
    let runtime = accounts.runtime().await;
    let refused = rows_for(&runtime, &["sales"], "SELECT id FROM v_bank")
        .await
        .unwrap_err();
    assert!(
        refused.contains("read through v_bank, which is computed from it"),
        "{refused}"
    );
    let valid = runtime.check("SELECT nom FROM v_plain").unwrap();
    assert!(granted(&runtime, &["sales".to_owned()], &valid).is_ok());
    drop(runtime);
    accounts.drop_roles().await;

    // SQLite: the view's CREATE statement in sqlite_master.
    let demo = crate::execute::demo().await;
    let path = demo.path();
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE VIEW big_clients AS SELECT id, company, annual_revenue AS revenue FROM clients",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let runtime = SqlRuntime {
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["clients.annual_revenue"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let valid = runtime.check("SELECT company FROM big_clients").unwrap();
    match granted(&runtime, &["sales".to_owned()], &valid) {
        Err(NotReadable::Hidden(Hidden::Read { through, rule, .. })) => {
            assert_eq!(through.as_deref(), Some("big_clients"));
            assert_eq!(rule, "clients.annual_revenue");
        }
        other => panic!("{:?}", other.map(|r| r.group().map(str::to_owned))),
    }
}

/// Found by an attack: `users.email` is UNIQUE, so SQLite reads `SELECT id
/// FROM users` through its index on the e-mails, and the ids come out in
/// the e-mails' order (`LIMIT 1 OFFSET k` is the k-th e-mail's owner). The
/// order rows are read in is not searched for: what keeps, numbers or
/// strings rows needs an order that tells them apart, and the rows shown
/// are sorted by their values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_nothing_shown_follows_the_order_rows_are_read_in() {
    let demo = crate::execute::demo().await;
    let runtime = SqlRuntime {
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["*.email"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let sales = ["sales".to_owned()];
    for (sql, how) in [
        ("SELECT id FROM users LIMIT 1 OFFSET 3", Unordered::Limit),
        (
            "SELECT group_concat(id) FROM (SELECT id FROM users)",
            Unordered::Aggregate("group_concat".to_owned()),
        ),
        (
            "SELECT id, row_number() OVER () AS r FROM users",
            Unordered::Window("row_number".to_owned()),
        ),
        ("SELECT id FROM users ORDER BY team", Unordered::Ties),
    ] {
        let valid = runtime.check(sql).unwrap();
        match granted(&runtime, &sales, &valid) {
            Err(NotReadable::Hidden(Hidden::Unordered {
                what, rule, how: h, ..
            })) => {
                assert_eq!(
                    (what.as_str(), rule.as_str(), h),
                    ("users.email", "*.email", how),
                    "{sql}"
                );
            }
            other => panic!("{sql}: {:?}", other.map(|r| r.group().map(str::to_owned))),
        }
    }
    // Read whole, the rows are shown sorted by their values; ordered by a
    // column that tells them apart, in that order; counted, as counted.
    let ids = rows_for(&runtime, &["sales"], "SELECT id FROM users")
        .await
        .unwrap();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| {
        id.trim_matches(|c: char| !c.is_ascii_digit())
            .parse::<i64>()
            .unwrap()
    });
    assert_eq!(ids, sorted);
    for sql in [
        "SELECT id FROM users ORDER BY id DESC LIMIT 2",
        "SELECT count(*) FROM users",
        "SELECT team, count(*) FROM users GROUP BY team ORDER BY team LIMIT 3",
    ] {
        let valid = runtime.check(sql).unwrap();
        let reading = granted(&runtime, &sales, &valid).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(reading.order(), RowOrder::AsReturned, "{sql}");
    }
}

/// Found by a second attack: SQLite itself shows a hidden column again in
/// a generated column, a full-text index filled from its table, and the
/// order of a table stored by its key; each is judged as the column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_sqlite_computes_or_orders_from_a_hidden_column_is_judged_as_the_column() {
    let demo = crate::execute::demo().await;
    {
        use sqlx::Connection as _;
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite:{}", demo.path().display()))
                .await
                .unwrap();
        sqlx::raw_sql(
            "ALTER TABLE clients ADD COLUMN rev_k INTEGER AS (annual_revenue / 1000); \
             ALTER TABLE clients ADD COLUMN city_upper TEXT AS (upper(city)); \
             CREATE INDEX clients_by_rev_k ON clients(rev_k); \
             CREATE VIRTUAL TABLE clients_fts USING fts5(company, annual_revenue, \
                 content='clients', content_rowid='id'); \
             INSERT INTO clients_fts(clients_fts) VALUES ('rebuild'); \
             CREATE TABLE revenue_bands (annual_revenue INTEGER PRIMARY KEY, band TEXT) WITHOUT ROWID; \
             INSERT INTO revenue_bands VALUES (1000, 'small'), (5000000, 'large'); \
             CREATE TABLE badges (code INTEGER PRIMARY KEY, holder TEXT); \
             INSERT INTO badges VALUES (17, 'ana'), (4, 'bob');",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let runtime = SqlRuntime {
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["*.annual_revenue", "badges.code"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let sales = ["sales".to_owned()];
    let refused = async |sql: &str| {
        let valid = runtime.check(sql).unwrap();
        match granted(&runtime, &sales, &valid) {
            Err(NotReadable::Hidden(hidden)) => hidden,
            other => panic!("{sql}: {:?}", other.map(|r| r.group().map(str::to_owned))),
        }
    };
    match refused("SELECT company, rev_k FROM clients").await {
        Hidden::Read { through, rule, .. } => {
            assert_eq!(through.as_deref(), Some("clients.rev_k"));
            assert_eq!(rule, "*.annual_revenue");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        refused("SELECT company FROM clients ORDER BY rev_k").await,
        Hidden::Read { .. }
    ));
    for sql in [
        "SELECT company FROM clients_fts",
        "SELECT count(*) FROM clients_fts_data",
    ] {
        assert!(
            matches!(refused(sql).await, Hidden::Unfollowed { .. }),
            "{sql}"
        );
    }
    // A table stored in a hidden key's order: its rows are shown sorted
    // by what is read of them, not as stored.
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT band FROM revenue_bands")
            .await
            .unwrap(),
        ["Some(\"large\")", "Some(\"small\")"]
    );
    match refused("SELECT holder, row_number() OVER () FROM badges").await {
        Hidden::Unordered { what, rule, .. } => {
            assert_eq!(
                (what.as_str(), rule.as_str()),
                ("badges.code", "badges.code")
            );
        }
        other => panic!("{other:?}"),
    }
    // What is computed from columns sales may read stays theirs.
    for sql in [
        "SELECT company, city_upper FROM clients",
        "SELECT company FROM clients ORDER BY id",
    ] {
        let valid = runtime.check(sql).unwrap();
        assert!(granted(&runtime, &sales, &valid).is_ok(), "{sql}");
    }
    // None of it is in the prompt built for them.
    let shown = runtime.for_reader(&sales).known_catalog().unwrap();
    let names: Vec<String> = shown
        .tables
        .iter()
        .flat_map(|t| {
            std::iter::once(t.name.clone()).chain(
                t.columns
                    .iter()
                    .map(move |c| format!("{}.{}", t.name, c.name)),
            )
        })
        .collect();
    for gone in [
        "clients.rev_k",
        "clients_fts",
        "clients_fts_data",
        "revenue_bands.annual_revenue",
        "badges.code",
    ] {
        assert!(!names.iter().any(|n| n == gone), "{gone} in {names:?}");
    }
    for kept in ["clients.city_upper", "revenue_bands.band", "badges.holder"] {
        assert!(names.iter().any(|n| n == kept), "{kept} not in {names:?}");
    }
}

/// The same on PostgreSQL: a stored generated column over a hidden one,
/// and tables stored in its order, by `CLUSTER` or as they were loaded (a
/// scan returns their rows so). Found by the third and fourth attacks, and
/// kept: a table clustered on a visible column then the hidden one (N1),
/// statistics older than the reordering (N2), a table mostly in order
/// (N4), a table never analysed (N5). None is looked for: nothing shown
/// follows the order rows are read in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_postgresql_computes_or_orders_from_a_hidden_column_is_judged_as_the_column() {
    let accounts = Accounts::new().await;
    accounts
        .db
        .tamper(&format!(
            "ALTER TABLE clients ADD COLUMN iban_country text \
                 GENERATED ALWAYS AS (substr(iban, 1, 2)) STORED; \
             CREATE TABLE wages (id int PRIMARY KEY, nom text, salary int); \
             INSERT INTO wages VALUES (1, 'Zoé', 900), (2, 'Abel', 3000), (3, 'Marc', 2000); \
             CREATE INDEX wages_by_salary ON wages (salary); \
             CLUSTER wages USING wages_by_salary; \
             GRANT SELECT ON wages TO \"{reader}\", \"{sales}\", \"{north}\"; \
             GRANT SELECT (iban_country) ON clients TO \"{sales}\"; \
             CREATE TABLE parties (id int, nom text, iban text); \
             ALTER TABLE clients INHERIT parties; \
             GRANT SELECT ON parties TO \"{reader}\", \"{sales}\", \"{north}\"; \
             CREATE TABLE ranks (nom text, salary int); \
             INSERT INTO ranks SELECT 'n' || g, g * 100 FROM generate_series(1, 200) g ORDER BY g; \
             ANALYZE ranks; \
             GRANT SELECT ON ranks TO \"{reader}\", \"{sales}\", \"{north}\"; \
             CREATE TABLE staffing (id int PRIMARY KEY, status text, nom text, salary int); \
             INSERT INTO staffing SELECT g, CASE WHEN g % 3 = 0 THEN 'parti' ELSE 'actif' END, \
                 'p' || (1000 - g), (g * 7919) % 1000 FROM generate_series(1, 300) g; \
             ANALYZE staffing; \
             CREATE INDEX staffing_by_pay ON staffing (status, salary); \
             CLUSTER staffing USING staffing_by_pay; \
             ALTER TABLE staffing SET WITHOUT CLUSTER; \
             GRANT SELECT ON staffing TO \"{reader}\", \"{sales}\", \"{north}\"; \
             CREATE TABLE fresh AS SELECT g AS id, 'f' || (500 - g) AS nom, (g * 37) % 41 AS salary \
                 FROM generate_series(1, 40) g ORDER BY (g * 37) % 41; \
             GRANT SELECT ON fresh TO \"{reader}\", \"{sales}\", \"{north}\";",
            reader = accounts.roles[0],
            sales = accounts.roles[1],
            north = accounts.roles[2],
        ))
        .await;
    let runtime = accounts.runtime().await;
    let refused = rows_for(&runtime, &["sales"], "SELECT iban_country FROM clients")
        .await
        .unwrap_err();
    assert!(
        refused.contains("clients.iban is hidden from sales")
            && refused.contains("clients.iban_country"),
        "{refused}"
    );
    // Stored by salary, shown to sales by name; north, who may read the
    // salary, sees them as the database returns them.
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT nom FROM wages")
            .await
            .unwrap(),
        ["Some(\"Abel\")", "Some(\"Marc\")", "Some(\"Zoé\")"]
    );
    assert_eq!(
        rows_for(&runtime, &["north"], "SELECT nom FROM wages")
            .await
            .unwrap(),
        ["Some(\"Zoé\")", "Some(\"Marc\")", "Some(\"Abel\")"]
    );
    // Found by a third attack: a parent table reads its children's rows
    // (clients' IBANs through parties), and a table loaded in a hidden
    // column's order returns its rows so with no index or CLUSTER left
    // (the planner's correlation says so).
    let refused = rows_for(&runtime, &["sales"], "SELECT iban FROM parties")
        .await
        .unwrap_err();
    assert!(refused.contains("hidden from sales"), "{refused}");
    assert!(
        rows_for(&runtime, &["sales"], "SELECT nom FROM parties")
            .await
            .is_ok()
    );
    for sql in [
        "SELECT nom FROM ranks LIMIT 3",
        // N1, N2, N4: the active staff come in salary order.
        "SELECT nom FROM staffing WHERE status = 'actif' LIMIT 5",
        "SELECT nom FROM staffing WHERE status = 'actif' ORDER BY status LIMIT 5",
        "SELECT string_agg(nom, ',') FROM staffing WHERE status = 'actif'",
        // N5: loaded in salary order, never analysed.
        "SELECT nom FROM fresh FETCH FIRST 3 ROWS ONLY",
        "SELECT nom, row_number() OVER () FROM fresh",
    ] {
        let refused = rows_for(&runtime, &["sales"], sql).await.unwrap_err();
        assert!(
            refused.contains(".salary, hidden from sales")
                && refused.contains("follow the order rows are read in"),
            "{sql}: {refused}"
        );
    }
    // What tells the rows apart decides which are kept, and a result read
    // whole is shown by its values: the first names in name order, not
    // the lowest salaries.
    assert_eq!(
        rows_for(
            &runtime,
            &["sales"],
            "SELECT id FROM staffing WHERE status = 'actif' ORDER BY id LIMIT 3"
        )
        .await
        .unwrap(),
        ["Some(\"1\")", "Some(\"2\")", "Some(\"4\")"]
    );
    let names = rows_for(&runtime, &["sales"], "SELECT nom FROM fresh")
        .await
        .unwrap();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!((names.len(), &names), (40, &sorted));
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT count(*) FROM staffing")
            .await
            .unwrap(),
        ["Some(\"300\")"]
    );
    drop(runtime);
    accounts.drop_roles().await;
}

/// Found by a fourth attack: the target's account may not read a column
/// that a group's own account reads (its rule then being all that keeps
/// it). `*` reads it on the group's account, so it is judged against what
/// every account on the target sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_only_a_groups_account_sees_is_still_hidden_from_it() {
    let accounts = Accounts::new().await;
    accounts
        .db
        .tamper(&format!(
            "REVOKE SELECT ON clients FROM \"{reader}\"; \
             GRANT SELECT (id, nom, region) ON clients TO \"{reader}\"; \
             GRANT SELECT ON clients TO \"{sales}\"",
            reader = accounts.roles[0],
            sales = accounts.roles[1],
        ))
        .await;
    let runtime = accounts.runtime().await;
    assert!(
        !runtime
            .known_catalog()
            .unwrap()
            .table(None, "clients")
            .unwrap()
            .columns
            .iter()
            .any(|c| c.name == "iban"),
        "the target's account does not see the IBAN"
    );
    for sql in [
        "SELECT * FROM clients",
        "SELECT c.* FROM clients c",
        "SELECT to_json(c) FROM clients c",
    ] {
        let refused = rows_for(&runtime, &["sales"], sql).await.unwrap_err();
        assert!(
            refused.contains("clients.iban is hidden from sales"),
            "{sql}: {refused}"
        );
    }
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT nom FROM clients")
            .await
            .unwrap()
            .len(),
        4
    );
    drop(runtime);
    accounts.drop_roles().await;
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

/// The demo CRM hiding the clients' revenue from sales, its runs held by a
/// [`Gated`]; carl (3) is in sales.
async fn gated_with_groups(
    fake: &FakeModel,
    rules: Option<Rules>,
) -> (crate::execute::Demo, Arc<Gated>, Harness) {
    let mut demo = demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    if let Some(rules) = rules {
        demo.runtime.readers.rules = Arc::new(rules);
    }
    let gate = Gated::around(demo.executor().await);
    demo.runtime.executor = Account::new(gate.clone());
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    (demo, gate, h)
}

/// What went to the place as files, and what went to `to` alone.
fn files_in_place_and_to(h: &Harness, to: u64) -> (Vec<String>, Vec<String>) {
    let mut here = Vec::new();
    let mut private = Vec::new();
    for a in h.platform.actions() {
        match a.action {
            OutboundAction::Attach { attachment, .. } => here.push(attachment.file_name),
            OutboundAction::ReplyPrivately {
                to: t, attachments, ..
            } if t == who(to) => {
                private.extend(attachments.into_iter().map(|a| a.file_name));
            }
            _ => {}
        }
    }
    (here, private)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_who_joins_while_the_query_runs_gets_none_of_its_rows() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, gate, h) = gated_with_groups(&fake, None).await;
    // Everyone who reads the place at the click may read the revenue.
    h.platform.set_audience("1100", vec![who(1), who(2)]);
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    let carl_joins = async {
        gate.started(1).await;
        h.platform
            .set_audience("1100", vec![who(1), who(2), who(3)]);
        gate.release();
    };
    tokio::join!(click(&h, 2), carl_joins);
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        !in_place.iter().any(|t| t.contains("```text")),
        "no rows in the place: {in_place:#?}"
    );
    let note = in_place
        .iter()
        .find(|t| t.contains("were sent privately"))
        .expect("the place is told where the results went");
    assert!(note.contains("clients.annual_revenue"), "{note}");
    assert!(
        !in_place.iter().any(|t| t.contains("Running query")),
        "the progress message now says where they went: {in_place:#?}"
    );
    let private = h.said_privately(2);
    assert!(
        private
            .last()
            .is_some_and(|t| t.contains("visible to you only") && t.contains("annual_revenue")),
        "bob has the rows privately: {private:#?}"
    );
    let (here, theirs) = files_in_place_and_to(&h, 2);
    assert!(here.is_empty(), "no file in the place: {here:?}");
    assert!(
        theirs.iter().any(|f| f.ends_with(".csv")) && theirs.iter().any(|f| f.ends_with(".xlsx")),
        "{theirs:?}"
    );
    // The click saw a place everyone could read; the posting did not.
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["private"], false);
    assert_eq!(requested[0]["readers"]["count"], 1, "{:#}", requested[0]);
    let posted = h.audited("result_posted").await;
    assert_eq!(posted[0]["redirected"]["rule"], "clients.annual_revenue");
    assert_eq!(posted[0]["redirected"]["at"], "preview");
    assert_eq!(posted[0]["parts"][0]["to"], "clicker", "{:#}", posted[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_who_joins_after_the_preview_gets_no_file_and_the_rest_goes_privately() {
    use pstral_chat::Audience;
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, gate, h) = gated_with_groups(&fake, None).await;
    gate.release();
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    // Asked at the click, then before the preview: ana and bob; before
    // the first file, carl too.
    let before = Audience::closed(vec![who(1), who(2)]);
    let after = Audience::closed(vec![who(1), who(2), who(3)]);
    h.platform
        .script_audiences("1100", vec![before.clone(), before]);
    h.platform.set_audience_of("1100", after);
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        in_place.iter().any(|t| t.contains("```text")),
        "the preview was posted while only ana and bob read the place: {in_place:#?}"
    );
    let (here, theirs) = files_in_place_and_to(&h, 2);
    assert!(
        here.is_empty(),
        "no file once carl reads the place: {here:?}"
    );
    assert!(theirs.iter().any(|f| f.ends_with(".csv")), "{theirs:?}");
    assert!(
        in_place.iter().any(|t| t.contains("were sent privately")),
        "{in_place:#?}"
    );
    let posted = h.audited("result_posted").await;
    let parts = posted[0]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["part"], "preview");
    assert_eq!(parts[0]["to"], "place");
    assert_eq!(
        parts[0]["readers"]["listed"],
        serde_json::json!(["discord:1"])
    );
    assert!(parts[0]["read_ms"].is_u64(), "{parts:#?}");
    assert_eq!(parts[1]["to"], "clicker", "{parts:#?}");
    assert_ne!(posted[0]["redirected"]["at"], "preview");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_later_readers_read_back_gets_no_hidden_rows_unless_an_admin_closed_it() {
    use pstral_chat::Audience;
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let (_demo, gate, h) = gated_with_groups(&fake, None).await;
    gate.release();
    // Only bob reads it, but whoever is let in later reads its history.
    h.platform
        .set_audience_of("1100", Audience::open(vec![who(2)]));
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        !in_place.iter().any(|t| t.contains("```text")),
        "{in_place:#?}"
    );
    assert!(
        in_place
            .iter()
            .any(|t| t.contains("let in later") && t.contains("clients.annual_revenue")),
        "{in_place:#?}"
    );
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["redirected"]["later"], true);

    // What no group hides is shown there all the same.
    fake.then(Script::answer(
        "```sql\nSELECT company FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    h.ask(2, "Les clients de Lyon ?").await;
    gate.release();
    click(&h, 2).await;
    assert!(
        h.answers().iter().any(|(_, t)| t.contains("```text")),
        "shown in the place"
    );

    // Marked closed by an admin: the revenue is shown there too.
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(REVENUE));
    let mut closed = rules(&[("sales", &["clients.annual_revenue"])]);
    closed.closed_places = vec![("discord".to_owned(), "1100".to_owned())];
    let (_demo, gate, h) = gated_with_groups(&fake, Some(closed)).await;
    gate.release();
    h.platform
        .set_audience_of("1100", Audience::open(vec![who(2)]));
    h.ask(2, "Le chiffre d'affaires des clients de Lyon ?")
        .await;
    click(&h, 2).await;
    let in_place: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        in_place
            .iter()
            .any(|t| t.contains("```text") && t.contains("annual_revenue")),
        "{in_place:#?}"
    );
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
