//! SQL that learns: "correct" under a result stores the question and its
//! SQL as an example, which the next similar question is shown; "wrong"
//! stores nothing; who may confirm is checked when they click. And
//! `pstral eval`, scored against a scripted model, and the demo CRM's
//! evaluation set, every gold query of which must run.

use pstral_core::sql::backend::Executor as _;
use std::sync::Arc;

use pstral_chat::{ControlKind, InboundEvent, MessageRef, OutboundAction};
use pstral_core::audit::Actor;
use pstral_core::eval::{Rows, read_cases};
use pstral_core::identity::Role;
use pstral_core::learn::examples::{Examples, FileFormat, Source};

use crate::answers::{Harness, MODEL, who};
use crate::cli::{Scratch, stderr, stdout};
use crate::execute::{demo, harness};
use crate::support::fake_model::{FakeModel, Script};

mod evaluation;

const ASKED: &str = "Quels sont nos clients à Lyon ?";
const ANSWER: &str = "Voici les clients de Lyon :\n```sql\nSELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company\n```\nElle renvoie leur raison sociale.";
const SQL: &str = "SELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company";

pub(crate) fn shown(
    h: &Harness,
    pick: impl Fn(&ControlKind) -> bool,
) -> Option<(MessageRef, ControlKind)> {
    h.platform
        .actions()
        .into_iter()
        .rev()
        .find_map(|a| match a.action {
            OutboundAction::ShowControl { message, control } if pick(&control) => {
                Some((message, control))
            }
            _ => None,
        })
}

pub(crate) async fn click(h: &Harness, actor: u64, message: &MessageRef, control: ControlKind) {
    let event = InboundEvent::Control {
        actor: who(actor),
        message: message.clone(),
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), event).await;
}

/// The latest statement offered, run by `actor`: the answer's message, the
/// result's, and the result's "correct" control.
pub(crate) async fn run_offered(h: &Harness, actor: u64) -> (MessageRef, MessageRef, ControlKind) {
    let (answer, execute) =
        shown(h, |c| matches!(c, ControlKind::Execute { .. })).expect("Execute is offered");
    click(h, actor, &answer, execute).await;
    let (result, correct) = shown(h, |c| {
        matches!(c, ControlKind::Feedback { correct: true, .. })
    })
    .expect("the result offers correct");
    (answer, result, correct)
}

pub(crate) fn examples_of(h: &Harness) -> Examples {
    Examples::new(h.db.store.clone())
}

pub(crate) fn system_prompt(fake: &FakeModel, request: usize) -> String {
    fake.requests()[request]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_vouched_for_by_the_confirming_role_is_an_audited_example_that_the_next_similar_question_is_shown()
 {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    // ana (an executor) asks and runs the query.
    h.ask(1, ASKED).await;
    let (answer, result, correct) = run_offered(&h, 1).await;
    let (result_too, wrong) = shown(&h, |c| {
        matches!(c, ControlKind::Feedback { correct: false, .. })
    })
    .expect("the result offers wrong");
    assert_eq!(result, result_too, "both on the result's message");
    assert_ne!(result, answer);
    assert!(
        h.answers()
            .iter()
            .any(|(m, t)| *m == result && t.contains("```text")),
        "the controls sit under the rows"
    );

    // carl, a viewer who did not ask, may not make it an example.
    click(&h, 3, &result, correct.clone()).await;
    assert!(
        h.said_privately(3)
            .iter()
            .any(|t| t.contains("only someone with the role admin")),
        "{:?}",
        h.said_privately(3)
    );
    let refused = h.audited("access_refused").await;
    assert_eq!(refused.last().unwrap()["reason"], "confirm_role");
    assert!(examples_of(&h).list(None).await.unwrap().is_empty());

    // bob says it is wrong: recorded, nothing stored.
    click(&h, 2, &result, wrong).await;
    let feedback = h.audited("feedback").await;
    assert_eq!(feedback.len(), 1);
    assert_eq!(feedback[0]["verdict"], "wrong");
    assert_eq!(feedback[0]["sql"], SQL);
    assert_eq!(feedback[0]["question"], ASKED);
    assert!(examples_of(&h).list(None).await.unwrap().is_empty());
    assert!(
        h.said_privately(2)
            .iter()
            .any(|t| t.contains("Nothing was kept"))
    );

    // ana, who asked, says it is correct: her word alone does not put it
    // in everyone's prompts.
    click(&h, 1, &result, correct.clone()).await;
    assert!(examples_of(&h).list(None).await.unwrap().is_empty());
    assert_eq!(
        h.audited("access_refused").await.last().unwrap()["reason"],
        "confirm_role"
    );
    // dana, an admin, vouches for it: stored and audited.
    h.person(4, "dana", Role::Admin).await;
    click(&h, 4, &result, correct.clone()).await;
    let stored = examples_of(&h).list(None).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let example = &stored[0];
    assert_eq!(
        (
            example.question.as_str(),
            example.sql.as_str(),
            example.target.as_str()
        ),
        (ASKED, SQL, "demo")
    );
    assert_eq!(example.language, pstral_core::i18n::Lang::Fr);
    assert_eq!(example.source, "chat");
    assert_eq!(example.created_by.as_deref(), Some("dana"));
    assert_eq!(
        example.result_columns.as_deref(),
        Some(&["company".to_owned(), "city".to_owned()][..])
    );
    assert!(example.result_rows.unwrap() > 0);
    let feedback = h.audited("feedback").await;
    assert_eq!(feedback.len(), 2);
    assert_eq!(feedback[1]["verdict"], "correct");
    assert_eq!(feedback[1]["example"], example.id);
    assert_eq!(feedback[1]["new"], true);
    assert!(
        h.said_privately(4)
            .iter()
            .any(|t| t.contains(&format!("example #{}", example.id)))
    );
    // Saying it twice stores nothing more.
    click(&h, 4, &result, correct.clone()).await;
    assert_eq!(examples_of(&h).list(None).await.unwrap().len(), 1);

    // A control claiming another result was not made by the bot.
    click(
        &h,
        1,
        &result,
        ControlKind::Feedback {
            correct: true,
            result: Some(999_999),
        },
    )
    .await;
    assert_eq!(
        h.audited("access_refused").await.last().unwrap()["reason"],
        "control_not_valid"
    );

    // The next similar question is shown the example; another is not.
    fake.then(Script::answer(ANSWER));
    h.ask(2, "Nos clients de Lyon, s'il vous plaît").await;
    let similar = system_prompt(&fake, 1);
    assert!(
        similar.contains("Questions answered correctly before"),
        "{similar}"
    );
    assert!(
        similar.contains(&format!("Q: {ASKED}\n```sql\n{SQL}\n```")),
        "{similar}"
    );
    assert!(similar.contains("never instructions"), "{similar}");
    fake.then(Script::answer(
        "```sql\nSELECT COUNT(*) FROM contracts\n```",
    ));
    h.ask(2, "Combien de contrats signés en 2024 ?").await;
    let other = system_prompt(&fake, 2);
    assert!(!other.contains(ASKED), "{other}");

    // Removed by an admin, it stays removed: "correct" again does nothing.
    assert!(examples_of(&h).retire(example.id).await.unwrap());
    click(&h, 4, &result, correct).await;
    assert!(examples_of(&h).list(None).await.unwrap().is_empty());
    assert!(
        h.said_privately(4)
            .iter()
            .any(|t| t.contains("it stays removed"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_good_and_bad_judge_the_latest_result_here() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    let good = |n: u64| InboundEvent::Command {
        in_reply_to: None,
        author: who(n),
        place: crate::answers::channel(),
        message: None,
        command: pstral_chat::Command::Feedback { correct: true },
    };
    // Nothing to judge yet; said to the one who typed it.
    h.bot.handle(h.platform.clone(), good(1)).await;
    assert!(
        h.said_privately(1)
            .iter()
            .any(|t| t.contains("no result of a query of yours here")),
        "{:?}",
        h.said_privately(1)
    );
    h.ask(1, ASKED).await;
    let (answer, execute) =
        shown(&h, |c| matches!(c, ControlKind::Execute { .. })).expect("Execute is offered");
    // bob runs it; ana, who asked, types good.
    click(&h, 2, &answer, execute).await;
    // carl neither asked nor ran it: his `good` finds nothing of his.
    h.bot.handle(h.platform.clone(), good(3)).await;
    assert!(
        h.said_privately(3)
            .iter()
            .any(|t| t.contains("no result of a query of yours here"))
    );
    h.bot.handle(h.platform.clone(), good(1)).await;
    assert!(
        examples_of(&h).list(None).await.unwrap().is_empty(),
        "the asker alone does not vouch"
    );
    // Once ana is an admin (judged when she acts), her word stores it.
    h.directory
        .set_role("ana", Role::Admin, Actor::cli(), false)
        .await
        .unwrap();
    h.bot.handle(h.platform.clone(), good(1)).await;
    let stored = examples_of(&h).list(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].created_by.as_deref(), Some("ana"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_asked_in_private_becomes_an_example_only_by_the_confirming_role() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer(ANSWER));
    let (_demo, h) = harness(&fake).await;
    let dm = pstral_chat::Place {
        platform: "discord".parse().unwrap(),
        channel: "dm-ana".to_owned(),
        thread: None,
        private: true,
    };
    let question = InboundEvent::Message {
        author: who(1),
        message: MessageRef {
            place: dm,
            id: "dm-q1".to_owned(),
        },
        in_reply_to: None,
        text: ASKED.to_owned(),
    };
    h.bot.handle(h.platform.clone(), question).await;
    let (_, result, correct) = run_offered(&h, 1).await;
    // ana asked, but in a DM: examples are shown to everyone.
    click(&h, 1, &result, correct).await;
    assert!(examples_of(&h).list(None).await.unwrap().is_empty());
    assert!(
        h.said_privately(1)
            .iter()
            .any(|t| t.contains("asked or shown in private")),
        "{:?}",
        h.said_privately(1)
    );
    assert_eq!(
        h.audited("access_refused").await.last().unwrap()["reason"],
        "confirm_role_private"
    );
}

#[tokio::test]
async fn an_example_whose_table_left_the_catalogue_is_set_aside_then_taken_back() {
    let db = crate::support::TestDb::sqlite().await;
    let demo = demo().await;
    let mut runtime = demo.runtime.clone();
    let learning = Arc::new(pstral_core::learn::Learning::stored(
        Examples::new(db.store.clone()),
        "demo",
        None,
    ));
    runtime.learning = Some(learning.clone());
    let stored = runtime
        .keep_example(
            (ASKED, SQL, None),
            None,
            Source::Cli,
            None,
            pstral_core::i18n::Lang::En,
        )
        .await
        .unwrap();
    // A statement that does not pass is not stored at all.
    let refused = runtime
        .keep_example(
            ("Efface tout", "DELETE FROM clients", None),
            None,
            Source::Cli,
            None,
            pstral_core::i18n::Lang::En,
        )
        .await;
    assert!(
        matches!(refused, Err(pstral_core::sql_target::KeepError::Refused(_))),
        "{refused:?}"
    );
    // Without an embedding model, examples are ranked by their words: the
    // model server is never asked.
    let llm = pstral_core::llm::Llm::from_settings(&pstral_core::config::Settings::defaults().llm)
        .unwrap();
    let picked = runtime.prompt_context(&llm, "clients à Lyon").await;
    assert_eq!(picked.examples.ids(), vec![stored.id()]);

    // The table `clients` leaves the catalogue.
    let full = runtime.known_catalog().unwrap();
    let mut without = (*full).clone();
    without.tables.retain(|t| t.name != "clients");
    runtime
        .snapshot
        .swap(pstral_core::sql_target::Snapshot::of(without));
    let picked = runtime.prompt_context(&llm, "clients à Lyon").await;
    assert!(picked.examples.examples.is_empty());
    let kept = Examples::new(db.store.clone())
        .get(stored.id())
        .await
        .unwrap()
        .unwrap();
    assert!(
        kept.set_aside
            .as_deref()
            .is_some_and(|r| r.contains("clients")),
        "set aside with the reason, not deleted: {kept:?}"
    );
    // It comes back with its table.
    runtime.refresh_catalog().await.unwrap();
    let kept = Examples::new(db.store.clone())
        .get(stored.id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.set_aside, None);
    let picked = runtime.prompt_context(&llm, "clients à Lyon").await;
    assert_eq!(picked.examples.ids(), vec![stored.id()]);
}

/// `pstral eval ARGS` against the scripted model, which must succeed; the
/// free path's prompt with every part, the repair round included (the
/// cases script it; the configuration's default leaves it out).
fn eval(s: &Scratch, fake: &FakeModel, args: &[&str]) -> std::process::Output {
    let out = s
        .command(args)
        .env("PSTRAL__LLM__ENDPOINTS", fake.url())
        .env("PSTRAL__LLM__MODEL", MODEL)
        .env(
            "PSTRAL__SQL__FREE_PROMPT",
            "instructions,syntax,date,glossary,values,examples,repair",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    out
}

fn sql_answer(sql: &str) -> Script {
    Script::answer(&format!("Voici :\n```sql\n{sql}\n```\nC'est tout."))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_embedding_model_examples_are_embedded_once_and_again_when_the_model_changes() {
    let fake = FakeModel::start(&[MODEL, "embedder", "other-embedder"]).await;
    let endpoint = pstral_core::llm::EndpointSettings::ollama(
        url::Url::parse(&format!("{}/", fake.url())).unwrap(),
    );
    let db = crate::support::TestDb::sqlite().await;
    let demo = demo().await;
    let lyon = "Quels sont nos clients à Lyon ?";
    let contracts = "Combien de contrats ont été signés en 2024 ?";
    let mut runtime = demo.runtime.clone();
    let with = |model: &str| {
        let llm = crate::model_servers::llm(vec![endpoint.clone()])
            .with_embedding_model(Some(model.to_owned()));
        let learning = pstral_core::learn::Learning::stored(
            Examples::new(db.store.clone()),
            "demo",
            Some(model),
        );
        (llm, Arc::new(learning))
    };
    let (llm, learning) = with("embedder");
    runtime.learning = Some(learning);
    for (question, sql) in [(lyon, SQL), (contracts, "SELECT COUNT(*) FROM contracts")] {
        runtime
            .keep_example(
                (question, sql, None),
                None,
                Source::Cli,
                None,
                pstral_core::i18n::Lang::En,
            )
            .await
            .unwrap();
    }
    let picked = runtime.prompt_context(&llm, lyon).await.examples;
    assert_eq!(
        picked.ranking,
        Some(pstral_core::learn::retrieve::Ranking::Embedding)
    );
    let questions: Vec<&str> = picked
        .examples
        .iter()
        .map(|e| e.question.as_str())
        .collect();
    assert_eq!(questions, [contracts, lyon], "the most similar last");
    // The examples, then the question.
    assert_eq!(
        fake.embedded(),
        vec![
            vec![lyon.to_owned(), contracts.to_owned()],
            vec![lyon.to_owned()]
        ]
    );
    // Kept: the next question alone is embedded.
    runtime.prompt_context(&llm, contracts).await;
    assert_eq!(fake.embedded().len(), 3);
    assert_eq!(fake.embedded()[2], vec![contracts.to_owned()]);
    let stored = Examples::new(db.store.clone()).list(None).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|e| e.embedding_model.as_deref() == Some("embedder"))
    );
    // Another model: every example is embedded again.
    let (llm, learning) = with("other-embedder");
    runtime.learning = Some(learning);
    runtime.prompt_context(&llm, lyon).await;
    assert_eq!(
        fake.embedded()[3],
        vec![lyon.to_owned(), contracts.to_owned()]
    );
    let stored = Examples::new(db.store.clone()).list(None).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|e| e.embedding_model.as_deref() == Some("other-embedder"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_list_and_remove_examples_from_the_chat_and_others_may_not() {
    let fake = FakeModel::start(&[MODEL]).await;
    let (_demo, h) = harness(&fake).await;
    h.person(4, "dora", Role::Admin).await;
    let examples = examples_of(&h);
    let stored = examples
        .add(pstral_core::learn::examples::NewExample {
            target: "demo",
            question: ASKED,
            sql: SQL,
            dialect: pstral_core::sql::Dialect::Sqlite,
            language: pstral_core::i18n::Lang::Fr,
            source: Source::Cli,
            created_by: None,
            result_columns: None,
            result_rows: None,
            plan: None,
        })
        .await
        .unwrap();
    let command = |n: u64, query: pstral_chat::ExamplesQuery| InboundEvent::Command {
        in_reply_to: None,
        author: who(n),
        place: crate::answers::channel(),
        message: None,
        command: pstral_chat::Command::Examples(query),
    };
    // An executor may not.
    h.bot
        .handle(
            h.platform.clone(),
            command(1, pstral_chat::ExamplesQuery::List(None)),
        )
        .await;
    assert!(
        h.said_privately(1).iter().any(|t| t.contains("admin")),
        "{:?}",
        h.said_privately(1)
    );
    // The admin sees it, privately, and finds it by a word.
    h.bot
        .handle(
            h.platform.clone(),
            command(4, pstral_chat::ExamplesQuery::List(Some("LYON".into()))),
        )
        .await;
    let listed = h.said_privately(4);
    assert!(
        listed[0].contains(&format!("#{}", stored.id())) && listed[0].contains(SQL),
        "{listed:?}"
    );
    h.bot
        .handle(
            h.platform.clone(),
            command(4, pstral_chat::ExamplesQuery::Remove(stored.id())),
        )
        .await;
    assert!(examples.list(None).await.unwrap().is_empty());
    let changed = h.audited("example_changed").await;
    assert_eq!(changed[0]["action"], "removed");
    assert_eq!(changed[0]["via"], "chat");
}

#[test]
fn sql_schema_shows_the_glossary_with_the_tables() {
    let s = Scratch::new();
    assert!(s.run(&["demo", "init"]).status.success());
    let out = s.run(&["sql", "schema"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(printed.starts_with("-- The glossary"), "{printed}");
    assert!(printed.contains("Grace period: 15 days"), "{printed}");
    assert!(printed.contains("TABLE clients ("), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_glossary_entries_a_question_names_come_again_before_the_examples() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.by_default(sql_answer(
        "SELECT COUNT(*) FROM payments WHERE status = 'impayé'",
    ));
    let s = Scratch::new();
    let cases = s.write(
        "cases.jsonl",
        concat!(
            r#"{"id": "a", "question": "How many payments are late right now?", "gold": "SELECT COUNT(*) FROM payments WHERE status = 'impayé'"}"#,
            "\n",
            r#"{"id": "b", "question": "How many payments were made by card?", "gold": "SELECT COUNT(*) FROM payments WHERE method = 'carte'"}"#,
            "\n",
        ),
    );
    eval(&s, &fake, &["eval", "--split", cases.to_str().unwrap()]);
    // With case b as its example: the glossary whole, the tables, the
    // entry on late payments again, then the example.
    let system = system_prompt(&fake, 1);
    let at = |text: &str| {
        system
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} not in {system}"))
    };
    let entry = "What the glossary says of the words of this question";
    assert!(at("TABLE payments (") < at(entry));
    assert!(at(entry) < at("How many payments were made by card?"));
    let shown_again = &system[at(entry)..at("How many payments were made by card?")];
    assert!(shown_again.contains("A **late payment**"), "{shown_again}");
    // `pstral sql schema QUESTION` shows them too.
    let printed = stdout(&s.run(&["sql", "schema", "How many payments are late right now?"]));
    assert!(
        printed.contains("-- The glossary's entries shown again beside this question:"),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_qualified_by_a_table_not_joined_is_refused_with_where_the_column_is() {
    let fake = FakeModel::start(&[MODEL]).await;
    // A small model's usual slip: users qualified but never joined.
    fake.then(sql_answer(
        "SELECT users.first_name, COUNT(*) FROM clients GROUP BY users.first_name",
    ));
    fake.by_default(sql_answer(
        "SELECT u.first_name, COUNT(*) FROM clients c JOIN users u ON u.id = c.account_manager_id GROUP BY u.first_name",
    ));
    let s = Scratch::new();
    let cases = s.write(
        "cases.jsonl",
        concat!(
            r#"{"id": "a", "question": "How many clients does each account manager have?", "gold": "SELECT u.first_name, COUNT(*) FROM clients c JOIN users u ON u.id = c.account_manager_id GROUP BY u.first_name"}"#,
            "\n",
        ),
    );
    let out = eval(&s, &fake, &["eval", cases.to_str().unwrap()]);
    // The repair is told to join the table, and which tables have the column.
    assert_eq!(fake.requests().len(), 2);
    let repair = fake.requests()[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        repair.contains("join the table that has the column"),
        "{repair}"
    );
    assert!(
        repair.contains("first_name is a column of contacts, users"),
        "{repair}"
    );
    assert!(stdout(&out).contains("100.0 % (1/1)"), "{}", stdout(&out));
}

/// A question's path does each thing once, in the order it takes: the plan
/// first; the question embedded once, the plan path and the free path
/// choosing their examples from that one ranking; the free path's prompt
/// built only when the plan leaves the question to it. `pstral eval` asks
/// the model the same requests, in the same order, as the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_is_embedded_once_and_its_free_prompt_built_only_when_the_plan_leaves_it() {
    let fake = FakeModel::start(&[MODEL, "embedder"]).await;
    let db = crate::support::TestDb::sqlite().await;
    let demo = demo().await;
    let mut runtime = crate::semantic::with_definitions(&demo.runtime).await;
    runtime.learning = Some(Arc::new(pstral_core::learn::Learning::stored(
        Examples::new(db.store.clone()),
        "demo",
        Some("embedder"),
    )));
    runtime
        .keep_example(
            (ASKED, SQL, None),
            None,
            Source::Cli,
            None,
            pstral_core::i18n::Lang::Fr,
        )
        .await
        .unwrap();
    let options = crate::answers::Options {
        sql: Some(runtime.clone()),
        embedding_model: Some("embedder".to_owned()),
        ..crate::answers::Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    let planned = |r: &serde_json::Value| r.get("format").is_some();

    // The plan answers: one request, and no free prompt built for it.
    let covered = "Quels clients à Lyon ont des paiements en retard ?";
    fake.then(Script::answer(
        r#"{"kind": "list", "entity": "clients", "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#,
    ));
    h.ask(1, covered).await;
    assert_eq!(fake.requests().len(), 1);
    assert!(planned(&fake.requests()[0]));
    // The example embedded when the index is first built, then the
    // question, once.
    assert_eq!(
        fake.embedded(),
        vec![vec![ASKED.to_owned()], vec![covered.to_owned()]]
    );

    // The plan leaves it: a plan, then the free path, whose prompt shows
    // the example chosen from the same ranking; the question embedded once.
    let left = "Which clients have a SIRET starting with 69?";
    let free_sql = "```sql\nSELECT company FROM clients WHERE siret LIKE '69%'\n```";
    fake.then(Script::answer(r#"{"kind": "none"}"#));
    fake.then(Script::answer(free_sql));
    h.ask(1, left).await;
    let requests = fake.requests();
    let bot: Vec<bool> = requests[1..].iter().map(planned).collect();
    assert_eq!(bot, [true, false], "a plan, then the model's own SQL");
    assert!(
        system_prompt(&fake, 2).contains(ASKED),
        "the example is shown"
    );
    assert_eq!(fake.embedded()[2..], [vec![left.to_owned()]]);

    // pstral eval takes the same path: the same requests, in the same
    // order, the question embedded once.
    fake.then(Script::answer(r#"{"kind": "none"}"#));
    fake.then(Script::answer(free_sql));
    let report = h
        .evaluate(
            &runtime,
            pstral_core::eval::Way::Bot,
            left,
            "SELECT company FROM clients WHERE siret LIKE '69%'",
        )
        .await;
    assert_eq!(report.path, "free", "{report:?}");
    let requests = fake.requests();
    let eval: Vec<bool> = requests[3..].iter().map(planned).collect();
    assert_eq!(eval, bot);
    assert_eq!(system_prompt(&fake, 4), system_prompt(&fake, 2));
    assert_eq!(fake.embedded()[3..], [vec![left.to_owned()]]);
}

/// Every prompt of one question chooses its examples from one ranking, and
/// each example is judged once for all of them: the plan's confirmed plans
/// and the free path's examples do not judge an example again.
#[tokio::test]
async fn each_example_is_judged_once_for_all_the_prompts_of_a_question() {
    use pstral_core::learn::examples::Example;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let db = crate::support::TestDb::sqlite().await;
    let demo = demo().await;
    let mut runtime = demo.runtime.clone();
    let learning = Arc::new(pstral_core::learn::Learning::stored(
        Examples::new(db.store.clone()),
        "demo",
        None,
    ));
    runtime.learning = Some(learning.clone());
    let paris = "SELECT company, city FROM clients WHERE city = 'Paris' ORDER BY company";
    for (asked, sql) in [(ASKED, SQL), ("Quels sont nos clients à Paris ?", paris)] {
        runtime
            .keep_example(
                (asked, sql, None),
                None,
                Source::Cli,
                None,
                pstral_core::i18n::Lang::Fr,
            )
            .await
            .unwrap();
    }
    // Without an embedding model, examples are ranked by their words.
    let llm = pstral_core::llm::Llm::from_settings(&pstral_core::config::Settings::defaults().llm)
        .unwrap();
    let ranked = learning.rank(&llm, "clients à Lyon").await;
    let judged = AtomicUsize::new(0);
    let check = |_: &Example| {
        judged.fetch_add(1, Ordering::SeqCst);
        Ok(())
    };
    let skip_none = |_: &Example| false;
    let first = learning
        .choose_from(&ranked, 10_000, &check, &skip_none)
        .await;
    let second = learning
        .choose_from(&ranked, 10_000, &check, &skip_none)
        .await;
    assert_eq!(first.examples.len(), 2, "{first:?}");
    assert_eq!(second.examples.len(), 2, "{second:?}");
    assert_eq!(judged.load(Ordering::SeqCst), 2, "each example judged once");
}
