//! Plans drawn several times: the reading most share is the answer, and
//! plans that disagree, or leave out a value the question names, are asked
//! back, the asker's pick offering its statement.

use super::*;

/// The demo target as the bot has it, [`drawing`] plans.
async fn bot_drawing(
    fake: &crate::support::fake_model::FakeModel,
    count: usize,
    ask_back: &[pstral_core::sql::Doubt],
) -> (crate::execute::Demo, crate::answers::Harness) {
    let demo = crate::execute::demo().await;
    let options = crate::answers::Options {
        sql: Some(drawing(&demo.runtime, count, ask_back).await),
        ..crate::answers::Options::default()
    };
    let h = crate::answers::Harness::new(&[fake.url()], options).await;
    (demo, h)
}

/// Three plans that each read the demo question otherwise, drawn for it
/// by a bot that asks back when they split: the question asked.
async fn asked_three_ways() -> (
    crate::support::fake_model::FakeModel,
    crate::execute::Demo,
    crate::answers::Harness,
) {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(LYON_LATE));
    fake.then(Script::answer(PARIS_LATE));
    fake.then(Script::answer(LYON_ALL));
    let (demo, h) = bot_drawing(&fake, 3, &[pstral_core::sql::Doubt::Split]).await;
    h.ask(1, "Which clients in Lyon have late payments?").await;
    (fake, demo, h)
}

/// The bot's question asked back, and its text.
fn asked_back(h: &crate::answers::Harness) -> (pstral_chat::MessageRef, String) {
    h.answers()
        .into_iter()
        .find(|(_, t)| t.contains("🤔"))
        .expect("the bot asks back")
}

const PARIS_LATE: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Paris"]}]}"#;
const LYON_ALL: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
const LYON_LATE_AGAIN: &str = r#"{"filters": [{"dimension": "client_city", "op": "in", "values": ["lyon"]}], "segments": ["late_payment"], "kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reading_most_plans_drawn_share_is_the_answer_even_against_the_greedy_one() {
    use crate::support::fake_model::{FakeModel, Script};
    use pstral_core::sql::Doubt;
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(PARIS_LATE));
    fake.then(Script::answer(LYON_LATE));
    // Written otherwise, read the same: one vote with the one before.
    fake.then(Script::answer(LYON_LATE_AGAIN));
    let (_demo, h) = bot_drawing(&fake, 3, &[Doubt::Split]).await;
    h.ask(1, "Quels clients à Lyon ont des paiements en retard ?")
        .await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "three plans, no free SQL");
    // The greedy plan first, then draws at the plan temperature, each with
    // a seed of its own so that a run repeats.
    assert_eq!(requests[1]["options"]["temperature"], 0.5);
    assert_eq!(requests[1]["options"]["seed"], 1);
    assert_eq!(requests[2]["options"]["seed"], 2);
    assert_eq!(requests[1]["messages"], requests[0]["messages"]);
    let (_, answer) = reading(&h, 0);
    assert!(answer.contains("ville est Lyon"), "{answer}");
    assert!(offered(&h), "two of three agree: answered, not asked");
    assert!(picks(&h).is_empty());
    let recorded = h.audited("answer").await;
    let last = recorded.last().unwrap();
    assert_eq!(last["votes"], serde_json::json!([2, 1]), "{last}");
    assert_eq!(last["doubts"], serde_json::json!([]), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_that_disagree_are_asked_back_and_the_askers_pick_offers_its_statement() {
    use pstral_chat::InboundEvent;
    let (_fake, _demo, h) = asked_three_ways().await;

    // Three readings, one plan each: asked back, nothing offered.
    let (asked, text) = asked_back(&h);
    assert!(text.contains("the readings I drew disagree"), "{text}");
    assert!(
        text.contains("\n1. clients with client, for late payment; city is Lyon"),
        "{text}"
    );
    assert!(
        text.contains("\n2. ") && text.contains("city is Paris"),
        "{text}"
    );
    assert!(text.contains("\n3. "), "{text}");
    assert!(
        !text.contains("```sql"),
        "no statement before a pick: {text}"
    );
    assert!(!offered(&h));
    let shown = picks(&h);
    assert_eq!(shown.len(), 3, "a control for each reading");
    assert!(shown.iter().all(|(m, _)| m.id == asked.id));
    assert!(
        text.ends_with("\nPick one with its button to get its query, or ask again in other words."),
        "how to pick, in the message a reply picks from: {text}"
    );
    let recorded = h.audited("answer").await;
    let last = recorded.last().unwrap();
    assert_eq!(last["doubts"], serde_json::json!(["split"]), "{last}");
    assert_eq!(last["asked_back"].as_array().unwrap().len(), 3, "{last}");

    // Someone else may not say how the asker meant it.
    let (message, control) = shown[1].clone();
    let by_bob = InboundEvent::Control {
        actor: crate::answers::who(2),
        message: message.clone(),
        control: control.clone(),
        event: None,
    };
    h.bot.handle(h.platform.clone(), by_bob).await;
    assert!(
        h.said_privately(2)
            .iter()
            .any(|t| t.starts_with("Only who asked the question picks")),
        "{:?}",
        h.said_privately(2)
    );
    assert!(!offered(&h));

    // The asker picks the second: its statement is offered, and the pick
    // audited.
    let pick = InboundEvent::Control {
        actor: crate::answers::who(1),
        message,
        control,
        event: None,
    };
    h.bot.handle(h.platform.clone(), pick).await;
    let (_, answer) = h
        .answers()
        .into_iter()
        .find(|(_, t)| t.starts_with("✔ Reading 2"))
        .expect("the picked reading is answered");
    assert!(
        answer.contains("city is Paris") && answer.contains("```sql"),
        "{answer}"
    );
    assert!(offered(&h));
    let picked = h.audited("reading_picked").await;
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0]["number"], 2);
    assert!(picked[0]["plan"].as_str().unwrap().contains("Paris"));
    // The statement is kept with the question and the plan it came from,
    // as "correct" on its result keeps them.
    let statements = h.audited("sql_validated").await;
    assert_eq!(statements.last().unwrap()["accepted"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_in_reply_to_a_question_asked_back_picks_that_reading() {
    let (fake, _demo, h) = asked_three_ways().await;
    let (asked, _) = asked_back(&h);
    let reply = h.question(1, "3", Some(&asked.id));
    h.bot.handle(h.platform.clone(), reply).await;
    let (_, answer) = h
        .answers()
        .into_iter()
        .find(|(_, t)| t.starts_with("✔ Reading 3"))
        .expect("the numbered reply picks");
    assert!(!answer.contains("late payment"), "{answer}");
    assert!(offered(&h));
    assert_eq!(fake.requests().len(), 3, "a pick asks the model nothing");
    assert_eq!(h.audited("reading_picked").await.len(), 1);
    // No question was made of the number.
    let questions = h.audited("question").await;
    assert_eq!(questions.len(), 1, "{questions:?}");
    // The same pick again (a second reply, an event delivered twice) is
    // answered once.
    let again = h.question(1, "3", Some(&asked.id));
    h.bot.handle(h.platform.clone(), again).await;
    let answered = h
        .answers()
        .into_iter()
        .filter(|(_, t)| t.starts_with("✔ Reading 3"))
        .count();
    assert_eq!(answered, 1);
    assert_eq!(h.audited("reading_picked").await.len(), 1);
    assert!(
        h.said_privately(1)
            .iter()
            .chain(h.answers().iter().map(|(_, t)| t))
            .any(|t| t.starts_with("Reading 3 was picked already")),
        "{:?}",
        h.answers()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_leaves_out_a_value_the_question_names_is_asked_about_in_words() {
    use crate::support::fake_model::{FakeModel, Script};
    use pstral_core::sql::Doubt;
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(
        r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"]}"#,
    ));
    let (_demo, h) = bot_drawing(&fake, 1, &[Doubt::LeftOut]).await;
    h.ask(1, "Quels clients à Lyon ont des paiements en retard ?")
        .await;
    let (_, text) = asked_back(&h);
    assert!(
        text.contains(
            "Je ne suis pas sûr de ma lecture : vous avez nommé « Lyon », et ma lecture ne s'en \
             sert pas."
        ),
        "{text}"
    );
    assert!(
        text.contains("\n1. clients avec client, pour paiement en retard"),
        "{text}"
    );
    assert_eq!(picks(&h).len(), 1);
    assert!(!offered(&h));
}
