//! Replies to the bot: Run in reply to an older offer runs that offer, a
//! reply to a planned answer is read with its question, and a numbered reply
//! picks one of the plans asked back.

use super::*;

/// Replies `text` to the bot's message in `room` that contains `to`, and
/// waits until one of the bot's messages there is `answered`.
async fn reply_to_bot(
    person: &Human,
    room: &matrix_sdk::Room,
    bot: &OwnedUserId,
    (to, text): (&str, &str),
    answered: impl Fn(&str) -> bool,
) {
    let message = person
        .messages_from(room, bot)
        .into_iter()
        .find(|(_, t)| t.contains(to))
        .unwrap_or_else(|| panic!("no message of the bot holds {to:?}"))
        .0;
    person.reply(room, &message, bot, text).await;
    let room_id = room.room_id().to_owned();
    person
        .wait_for(&format!("the answer to {text:?}"), |seen| {
            latest_texts(seen, &room_id, bot)
                .iter()
                .any(|t| answered(t))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sent_as_a_reply_to_an_older_offer_runs_that_offer() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, _h, bot, ana, room) = demo_room(&ollama).await;
    for (n, city) in ["Lyon", "Nantes"].into_iter().enumerate() {
        ollama.then(Script::answer(&format!(
            "```sql\nSELECT DISTINCT city FROM clients WHERE city = '{city}'\n```"
        )));
        ana.mention(&room, &bot.user, &format!("les clients de {city}"))
            .await;
        bot.handled(n + 1).await;
    }
    reply_to_bot(&ana, &room, &bot.user, ("'Lyon'", "!run 1"), |t| {
        t.contains("```text") && t.contains("Lyon")
    })
    .await;
    bot.handled(3).await;
    let shown = from_bot(&ana, &room, &bot.user);
    assert!(
        shown
            .iter()
            .filter(|t| t.contains("```text"))
            .all(|t| !t.contains("Nantes")),
        "{shown:#?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_planned_answer_is_read_with_its_question() {
    const LYON: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
    let ollama = FakeModel::start(&[MODEL]).await;
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(crate::semantic::with_definitions(&demo.runtime).await),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    ollama.then(Script::answer(LYON));
    ollama.then(Script::answer(&LYON.replace("Lyon", "Paris")));
    ana.mention(
        &room,
        &bot.user,
        "Quels clients à Lyon ont des paiements en retard ?",
    )
    .await;
    bot.handled(1).await;
    reply_to_bot(
        &ana,
        &room,
        &bot.user,
        ("Lu comme : ", "et à Paris ?"),
        |t| t.contains("Lue avec la question d'avant") && t.contains("Paris"),
    )
    .await;
    let follow_up = ollama.requests()[1]["messages"].as_array().unwrap().clone();
    assert_eq!(follow_up.len(), 4, "{follow_up:#?}");
    assert!(
        follow_up[2]["content"].as_str().unwrap().contains("Lyon"),
        "the earlier plan: {follow_up:#?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_that_disagree_are_asked_back_and_a_numbered_reply_picks_one() {
    const LYON: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
    let ollama = FakeModel::start(&[MODEL]).await;
    let demo = crate::execute::demo().await;
    let runtime = crate::semantic::drawing(&demo.runtime, 2, &[pstral_core::sql::Doubt::Split]);
    let options = Options {
        sql: Some(runtime.await),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    ollama.then(Script::answer(LYON));
    ollama.then(Script::answer(&LYON.replace("Lyon", "Paris")));
    ana.mention(
        &room,
        &bot.user,
        "Quels clients à Lyon ont des paiements en retard ?",
    )
    .await;
    bot.handled(1).await;
    let room_id = room.room_id().to_owned();
    ana.wait_for("how to pick a reading", |seen| {
        latest_texts(seen, &room_id, &bot.user)
            .iter()
            .any(|t| t.contains("🤔") && t.contains("\nRépondez par son numéro"))
    })
    .await;
    let asked = from_bot(&ana, &room, &bot.user);
    let question = asked
        .iter()
        .find(|t| t.contains("🤔"))
        .unwrap_or_else(|| panic!("the bot asks back: {asked:#?}"));
    assert!(
        question.contains("1. ") && question.contains("2. ") && question.contains("Paris"),
        "{question}"
    );
    reply_to_bot(&ana, &room, &bot.user, ("🤔", "2"), |t| {
        // In the asker's language, as the readings were.
        t.starts_with("✔ Lecture 2") && t.contains("Paris") && t.contains("SELECT")
    })
    .await;
    assert_eq!(ollama.requests().len(), 2, "a pick asks the model nothing");
    let picked = h.audited("reading_picked").await;
    assert_eq!(picked.len(), 1, "{picked:?}");
    assert_eq!(picked[0]["number"], 2);
    bot.stop().await;
}
