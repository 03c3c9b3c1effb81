//! Execute end to end: the model answers with SQL, the bot checks and offers
//! it, a permitted user runs it on the demo CRM (SQLite), and the rows come
//! back as a preview and CSV/XLSX attachments, everything audited.

use std::sync::Arc;
use std::time::Duration;

use pstral_chat::{Command, ControlKind, InboundEvent, MessageRef, OutboundAction};
use pstral_core::sql::Dialect;
use pstral_core::sql::backend::{Limits, SqliteExecutor};
use pstral_core::sql::validate::Policy;
use pstral_core::sql_target::{Account, SqlRuntime};

use crate::answers::{Harness, MODEL, Options, channel, who};
use crate::support::fake_model::{FakeModel, Script};

pub(crate) struct Demo {
    _dir: tempfile::TempDir,
    pub(crate) runtime: SqlRuntime,
}

impl Demo {
    /// The demo database's file.
    pub(crate) fn path(&self) -> std::path::PathBuf {
        self._dir.path().join("demo.db")
    }

    /// An executor of its own on the demo database: for what tests read
    /// there outside a click (gold rows, a chart's rows), or wrap.
    pub(crate) async fn executor(&self) -> Arc<SqliteExecutor> {
        Arc::new(SqliteExecutor::open(&self.path()).await.unwrap())
    }
}

pub(crate) async fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    pstral_core::sql::demo::create(&path, false).await.unwrap();
    let runtime = SqlRuntime {
        policy: Policy::new(Dialect::Sqlite),
        executor: Account::new(Arc::new(SqliteExecutor::open(&path).await.unwrap())),
        limits: Limits::new(50, Duration::from_secs(10)),
        preview_rows: 5,
        csv_bom: true,
        charts: pstral_core::sql::Charts::Auto,
        explain: true,
        ask_again_without_sql: false,
        candidates: Default::default(),
        snapshot: Default::default(),
        schema_budget: 1500,
        private_results: Vec::new(),
        warnings: Vec::new(),
        target: "demo".to_owned(),
        glossary: None,
        // The harness gives it the examples of its own database.
        learning: None,
        examples_budget: 800,
        plan_examples: 3,
        plan_votes: Default::default(),
        free_prompt: Default::default(),
        confirm_role: pstral_core::identity::Role::Admin,
        today: Some(pstral_core::sql::demo::today()),
        definitions: None,
        readers: Default::default(),
    };
    runtime.refresh_catalog().await.unwrap();
    Demo { _dir: dir, runtime }
}

pub(crate) async fn harness(fake: &FakeModel) -> (Demo, Harness) {
    let demo = demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    (demo, h)
}

const ANSWER: &str = "Voici les clients de Lyon :\n```sql\nSELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company\n```\nElle renvoie leur raison sociale.";

fn control_shown(h: &Harness) -> Option<(MessageRef, ControlKind)> {
    h.platform
        .actions()
        .into_iter()
        .find_map(|a| match a.action {
            OutboundAction::ShowControl {
                message,
                control: c @ ControlKind::Execute { .. },
            } => Some((message, c)),
            _ => None,
        })
}

fn attachments(h: &Harness) -> Vec<pstral_chat::Attachment> {
    h.platform
        .actions()
        .into_iter()
        .filter_map(|a| match a.action {
            OutboundAction::Attach { attachment, .. } => Some(attachment),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_select_is_offered_then_run_by_an_executor_with_preview_and_files() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Quels sont nos clients à Lyon ?").await;
    let system = fake.requests()[0]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        system.contains("SQLite"),
        "the prompt asks for the target's dialect: {system}"
    );

    let (message, control) = control_shown(&h).expect("Execute is offered");
    assert!(
        matches!(
            control,
            ControlKind::Execute {
                statement: 1,
                reference: Some(_)
            }
        ),
        "{control:?}"
    );
    assert!(
        h.answers()
            .iter()
            .any(|(_, t)| t.contains("Query 1 can be run"))
    );
    let validated = h.audited("sql_validated").await;
    assert_eq!(validated[0]["accepted"], true);

    let click = InboundEvent::Control {
        actor: who(2),
        message: message.clone(),
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), click).await;

    let result = h
        .answers()
        .into_iter()
        .map(|(_, t)| t)
        .find(|t| t.contains("```text"))
        .expect("a preview");
    assert!(
        result.contains("company") && result.contains("Lyon"),
        "{result}"
    );
    assert!(
        result.starts_with("First 5 of ") || result.contains("rows:"),
        "{result}"
    );
    let files = attachments(&h);
    let csv = files
        .iter()
        .find(|a| a.file_name.ends_with(".csv"))
        .expect("a CSV");
    let csv_text = String::from_utf8(csv.bytes.clone()).unwrap();
    assert!(
        csv_text.starts_with("\u{feff}company,city\r\n"),
        "{csv_text:.80}"
    );
    assert!(
        csv_text
            .lines()
            .skip(1)
            .all(|l| l.ends_with(",Lyon\r") || l.ends_with(",Lyon") || l.is_empty())
    );
    let xlsx = files
        .iter()
        .find(|a| a.file_name.ends_with(".xlsx"))
        .expect("an XLSX");
    assert_eq!(&xlsx.bytes[..2], b"PK");

    let requested = h.audited("execute_requested").await;
    assert_eq!(requested.len(), 1);
    assert_eq!(
        requested[0]["text"],
        "SELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company"
    );
    // The columns it read, as the target's catalogue names them.
    assert_eq!(
        requested[0]["reads"],
        serde_json::json!(["clients.city", "clients.company"])
    );
    let result = h.audited("execute_result").await;
    assert_eq!(result[0]["error"], serde_json::Value::Null);
    assert!(result[0]["rows"].as_u64().unwrap() > 0);
    assert_eq!(result[0]["columns"], 2);
    // The request was recorded before the result.
    let all = h.db.store.clone();
    let events = pstral_core::audit::Audit::new(all)
        .list(
            &Default::default(),
            pstral_core::audit::Order::OldestFirst,
            1000,
        )
        .await
        .unwrap();
    let pos = |k: &str| events.iter().position(|e| e.kind == k).unwrap();
    assert!(pos("execute_requested") < pos("execute_result"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_the_channel_refuses_is_said_to_the_clicker_and_its_files_still_go() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Clients à Lyon ?").await;
    let (message, control) = control_shown(&h).unwrap();
    // The channel takes no more posts: neither "running…" nor the result.
    h.platform.refuse_next_posts(2);
    let click = InboundEvent::Control {
        actor: who(2),
        message,
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), click).await;
    let told = h.said_privately(2);
    assert!(
        told.last()
            .is_some_and(|t| t.contains("could not show its result")),
        "the clicker hears that the query ran but its result is not shown: {told:#?}"
    );
    assert_eq!(h.audited("execute_requested").await.len(), 1, "it ran");
    assert_eq!(attachments(&h).len(), 2, "the CSV and the XLSX still go");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clicker_is_authorized_not_the_asker() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Clients à Lyon ?").await;
    let (message, control) = control_shown(&h).unwrap();
    // carl is a viewer: he may chat, not run SQL.
    let click = InboundEvent::Control {
        actor: who(3),
        message,
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), click).await;
    // The channel did not see the click: only carl hears why nothing ran.
    let told = h.said_privately(3);
    assert!(
        told.last().unwrap().contains("needs the executor role"),
        "{told:#?}"
    );
    assert!(
        h.audited("execute_requested").await.is_empty(),
        "nothing ran"
    );
    assert_eq!(h.audited("access_refused").await[0]["needed"], "executor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_that_names_another_statement_is_refused_and_recorded() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Clients à Lyon ?").await;
    let (message, control) = control_shown(&h).unwrap();
    let ControlKind::Execute {
        reference: Some(real),
        ..
    } = control
    else {
        panic!("{control:?}")
    };
    let forged = [
        ControlKind::Execute {
            statement: 1,
            reference: Some(pstral_chat::StatementRef {
                statement: real.statement + 1,
                ..real
            }),
        },
        ControlKind::Execute {
            statement: 1,
            reference: Some(pstral_chat::StatementRef {
                conversation: real.conversation + 1,
                ..real
            }),
        },
        ControlKind::Unrecognised("px:1:2".to_owned()),
    ];
    for control in forged {
        let click = InboundEvent::Control {
            actor: who(2),
            message: message.clone(),
            control,
            event: None,
        };
        h.bot.handle(h.platform.clone(), click).await;
    }
    assert!(
        h.audited("execute_requested").await.is_empty(),
        "nothing ran"
    );
    let refused = h.audited("access_refused").await;
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(refused.iter().all(|r| r["reason"] == "control_not_valid"));
    assert_eq!(refused[2]["control"], "px:1:2");
    let told = h
        .platform
        .actions()
        .into_iter()
        .filter(|a| matches!(&a.action, OutboundAction::ReplyPrivately { to, text, .. } if *to == who(2) && text.contains("nothing was run")))
        .count();
    assert_eq!(told, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_results_are_private_only_the_clicker_gets_them() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let mut demo = demo().await;
    demo.runtime.private_results = vec![("discord".to_owned(), "*".to_owned())];
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Clients à Lyon ?").await;
    let before = h.platform.actions().len();
    let (message, control) = control_shown(&h).unwrap();
    let click = InboundEvent::Control {
        actor: who(2),
        message,
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), click).await;
    let after: Vec<OutboundAction> = h.platform.actions()[before..]
        .iter()
        .map(|a| a.action.clone())
        .collect();
    let [
        OutboundAction::ReplyPrivately {
            to,
            text,
            attachments,
            ..
        },
    ] = &after[..]
    else {
        panic!("one private reply and nothing in the channel: {after:#?}")
    };
    assert_eq!(*to, who(2));
    assert!(
        text.starts_with("Results of query 1, visible to you only:") && text.contains("Lyon"),
        "{text}"
    );
    let names: Vec<&str> = attachments.iter().map(|a| a.file_name.as_str()).collect();
    assert!(
        names[0].ends_with(".csv") && names[1].ends_with(".xlsx"),
        "{names:?}"
    );
    assert_eq!(h.audited("execute_result").await[0]["private"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_n_runs_the_latest_statement_n_here() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(
        "```sql\nSELECT COUNT(*) AS n FROM clients\n```",
    ));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Combien de clients ?").await;
    let run = InboundEvent::Command {
        in_reply_to: None,
        author: who(1),
        place: channel(),
        message: None,
        command: Command::Run {
            index: 1,
            chart: pstral_chat::ChartWish::AsConfigured,
        },
    };
    h.bot.handle(h.platform.clone(), run).await;
    let preview = h.answers().last().unwrap().1.clone();
    assert!(
        preview.starts_with("1 row:") && preview.contains("600"),
        "{preview}"
    );
    let missing = InboundEvent::Command {
        in_reply_to: None,
        author: who(1),
        place: channel(),
        message: None,
        command: Command::Run {
            index: 7,
            chart: pstral_chat::ChartWish::AsConfigured,
        },
    };
    h.bot.handle(h.platform.clone(), missing).await;
    assert!(h.answers().last().unwrap().1.contains("no query 7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_query_is_explained_repaired_once_and_the_repair_offered() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer("```sql\nDELETE FROM clients\n```"));
    fake.then(Script::answer(
        "```sql\nSELECT company FROM clients\n```\nLa liste des sociétés.",
    ));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Supprime tout").await;
    let said: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("This query will not be run: it is not a SELECT but DELETE FROM")),
        "{said:#?}"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one repair");
    let repair = requests[1]["messages"].as_array().unwrap();
    let ask = repair.last().unwrap()["content"].as_str().unwrap();
    assert!(
        ask.contains("cannot be run") && ask.contains("DELETE"),
        "{ask}"
    );
    assert_eq!(
        repair[repair.len() - 2]["role"],
        "assistant",
        "the failed answer is in the repair's history"
    );
    assert!(matches!(
        control_shown(&h).map(|(_, c)| c),
        Some(ControlKind::Execute { statement: 1, .. })
    ));
    let validated = h.audited("sql_validated").await;
    assert_eq!(
        (
            validated[0]["accepted"].clone(),
            validated[1]["accepted"].clone()
        ),
        (false.into(), true.into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_sql_is_asked_again_only_when_the_target_says_so() {
    let prose = "Les clients de Lyon sont dans la table clients.";
    // Off (the default): the prose stands, and the model is asked once.
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(prose));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Clients de Lyon ?").await;
    assert_eq!(fake.requests().len(), 1);
    assert!(control_shown(&h).is_none());
    // On: a second round asks for the query, and its SQL is offered.
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(prose));
    fake.then(Script::answer(ANSWER));
    let demo = demo().await;
    let options = Options {
        sql: Some(SqlRuntime {
            ask_again_without_sql: true,
            candidates: Default::default(),
            ..demo.runtime.clone()
        }),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Clients de Lyon ?").await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one second round");
    let again = requests[1]["messages"].as_array().unwrap();
    assert_eq!(again[again.len() - 2]["content"], prose);
    let ask = again.last().unwrap()["content"].as_str().unwrap();
    assert!(ask.contains("holds no SQL query"), "{ask}");
    assert!(matches!(
        control_shown(&h).map(|(_, c)| c),
        Some(ControlKind::Execute { statement: 1, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_put_in_the_wrong_table_is_repaired_with_where_it_is() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(
        "```sql\nSELECT c.first_name, c.company FROM contacts c WHERE c.email IS NULL\n```",
    ));
    fake.then(Script::answer(
        "```sql\nSELECT ct.first_name, cl.company FROM contacts ct \
         JOIN clients cl ON cl.id = ct.client_id WHERE ct.email IS NULL\n```",
    ));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Contacts sans e-mail, avec leur société ?").await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one repair");
    let repair = requests[1]["messages"].as_array().unwrap();
    let ask = repair.last().unwrap()["content"].as_str().unwrap();
    assert!(
        ask.contains("no such column: c.company; company is a column of clients"),
        "{ask}"
    );
    assert!(matches!(
        control_shown(&h).map(|(_, c)| c),
        Some(ControlKind::Execute { statement: 1, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_that_still_fails_after_its_repair_is_explained_and_not_offered() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer("```sql\nSELECT nom FROM clientz\n```"));
    fake.then(Script::answer("```sql\nSELECT nom FROM clientz2\n```"));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Noms ?").await;
    let said: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    // The tables are not in the target's catalogue: refused before the
    // database is asked.
    let refusals: Vec<&String> = said
        .iter()
        .filter(|t| t.contains("not a table or view of the allowed schemas"))
        .collect();
    assert_eq!(refusals.len(), 2, "{said:#?}");
    assert!(refusals[0].contains("clientz") && refusals[1].contains("clientz2"));
    assert_eq!(fake.requests().len(), 2, "no second repair");
    assert!(control_shown(&h).is_none());
    let validated = h.audited("sql_validated").await;
    assert_eq!(validated.len(), 2);
    assert!(validated.iter().all(|v| v["accepted"] == false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_is_judged_again_under_the_policy_of_the_moment() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer("```sql\nSELECT company FROM clients\n```"));
    let demo = demo().await;
    // The statement was accepted when offered…
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Sociétés ?").await;
    let (message, control) = control_shown(&h).unwrap();
    // …but the stored text is what runs, re-validated: tamper with it.
    h.db.tamper("UPDATE statements SET sql_text = 'DELETE FROM clients'")
        .await;
    let click = InboundEvent::Control {
        actor: who(1),
        message,
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), click).await;
    let told = h.said_privately(1).pop();
    assert!(told.unwrap().contains("not a SELECT"));
    assert!(h.audited("execute_requested").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_of_sql_in_an_answer_is_refused_without_taking_the_bot_down() {
    // 100,000 chained terms: parsed or walked on a runtime thread's 2 MiB
    // stack, this overflowed it and killed the process.
    let huge = format!("SELECT 1{} FROM clients", " + 1.0000000".repeat(100_000));
    assert!(huge.len() > 1_000_000);
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::tokens([
        "```sql\n".to_owned(),
        huge,
        "\n```".to_owned(),
    ]));
    fake.then(Script::answer("```sql\nSELECT 1\n```"));
    let (_demo, h) = harness(&fake).await;
    h.ask(1, "Un total ?").await;
    let said: Vec<String> = h.answers().into_iter().map(|(_, t)| t).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("goes past what a query may do")),
        "{:?}",
        said.iter()
            .map(|t| t.chars().take(120).collect::<String>())
            .collect::<Vec<_>>()
    );
    // The bot is still there.
    h.ask(1, "Encore ?").await;
    assert!(control_shown(&h).is_some());
}
