//! Suggestions grown from use: the questions asked again that the
//! definitions missed are listed to an admin, with the definitions near
//! them; a question asked once is not, nor one the definitions answered.

use super::*;
use crate::answers::who;
use pstral_chat::InboundEvent;

const MISSED: &str = "Quels clients ont un SIRET parisien ?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_list_the_question_asked_again_that_the_definitions_missed_and_not_the_one_off()
{
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    let free = "```sql\nSELECT company FROM clients WHERE siret LIKE '75%'\n```";
    // Two wordings of one question and a question asked once, each left
    // to the model's own SQL; then a question the definitions answer.
    for _ in 0..3 {
        fake.then(Script::answer(r#"{"kind": "none"}"#));
        fake.then(Script::answer(free));
    }
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["client_count"]}"#,
    ));
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["client_count"]}"#,
    ));
    let (_demo, h) = bot_with_definitions(&fake).await;
    h.person(4, "dora", pstral_core::identity::Role::Admin)
        .await;
    h.ask(1, MISSED).await;
    h.ask(2, "Combien de salariés parlent allemand ?").await;
    h.ask(3, "quels clients ont un siret parisien").await;
    h.ask(1, "Combien de clients avons-nous ?").await;
    h.ask(2, "combien de clients avons nous").await;
    let answers = h.audited("answer").await;
    let paths: Vec<&str> = answers
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["free", "free", "free", "plan", "plan"]);

    let asked = |n: u64| InboundEvent::Command {
        in_reply_to: None,
        author: who(n),
        place: crate::answers::channel(),
        message: None,
        command: pstral_chat::Command::Suggestions,
    };
    // Not for a member who is no admin.
    h.bot.handle(h.platform.clone(), asked(1)).await;
    let refused = h.said_privately(1);
    assert!(refused.iter().any(|t| t.contains("admin")), "{refused:?}");
    // An admin reads them, alone, the read recorded.
    h.bot.handle(h.platform.clone(), asked(4)).await;
    let listed = h.said_privately(4);
    let listed = listed.last().unwrap();
    assert!(listed.contains(MISSED), "{listed}");
    assert!(
        listed.contains("asked 2 times") || listed.contains("posée 2 fois"),
        "{listed}"
    );
    assert!(listed.contains("clients"), "the definitions near: {listed}");
    assert!(!listed.contains("allemand"), "a one-off: {listed}");
    assert!(!listed.contains("Combien de clients"), "answered: {listed}");
    assert!(
        listed.contains("pstral semantic suggest --take N"),
        "{listed}"
    );
    let reads = h.audited("admin_read").await;
    assert_eq!(reads.last().unwrap()["action"], "suggestions");
    assert_eq!(reads.last().unwrap()["via"], "chat");
}

/// `pstral semantic suggest` reads the same audit, and `--take N --sql`
/// stores the suggestion's question as an example, judged first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suggest_command_lists_them_and_takes_one_as_an_example() {
    use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
    use serde_json::json;
    let s = crate::cli::Scratch::new();
    assert!(s.run(&["demo", "init"]).status.success());
    assert!(s.run(&["migrate"]).status.success());
    let mut settings = pstral_core::config::Settings::defaults().database;
    settings.url = pstral_core::store::DatabaseUrl::Sqlite(s.dir.path().join("own.db"));
    let store = pstral_core::store::Store::open(&settings).await.unwrap();
    let audit = Audit::new(store.clone());
    let record = |kind, payload| NewEvent::new(kind, Actor::cli(), payload);
    for (conversation, question, path) in [
        (1, "Which clients renewed early?", "free"),
        (2, "which clients renewed early", "free"),
        (3, "Who speaks German?", "free"),
        (4, "How many clients?", "plan"),
        (5, "How many clients?", "plan"),
    ] {
        audit
            .append(record(
                EventKind::Question,
                json!({"conversation": conversation, "message": "m", "mode": "sql", "text": question}),
            ))
            .await
            .unwrap();
        audit
            .append(record(
                EventKind::Answer,
                json!({"conversation": conversation, "ending": "complete", "path": path,
                       "text": "```sql\nSELECT company FROM clients\n```"}),
            ))
            .await
            .unwrap();
    }
    store.close().await;
    let out = s.run(&["semantic", "suggest"]);
    let listed = crate::cli::stdout(&out);
    assert!(out.status.success(), "{}", crate::cli::stderr(&out));
    assert!(
        listed.contains("1. Which clients renewed early? — asked 2 times (2 left to the model's own SQL, 0 marked wrong)"),
        "{listed}"
    );
    assert!(
        listed.contains("also: which clients renewed early"),
        "{listed}"
    );
    assert!(
        !listed.contains("German") && !listed.contains("How many"),
        "{listed}"
    );

    let refused = s.run(&[
        "semantic",
        "suggest",
        "--take",
        "1",
        "--sql",
        "DELETE FROM clients",
    ]);
    assert!(!refused.status.success());
    let taken = s.run(&[
        "semantic",
        "suggest",
        "--take",
        "1",
        "--sql",
        "SELECT company FROM clients WHERE status = 'actif'",
    ]);
    assert!(taken.status.success(), "{}", crate::cli::stderr(&taken));
    assert!(crate::cli::stdout(&taken).contains("stored as example #"));
    let examples = s.run(&["examples", "list"]);
    assert!(crate::cli::stdout(&examples).contains("Which clients renewed early?"));
}
