//! Which room events the bot takes as they claim: only what names it in
//! this room, no room made private by someone else's flag, nothing said
//! before it joined, forged encrypted events noted once a sender, and a
//! redacted question neither exported nor sent again.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_what_names_the_bot_in_this_room_is_for_the_bot() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("first"));
    ollama.then(Script::answer("second"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    let room_a = ana.room_with(&bot.user, false).await;
    let room_b = ana.room_with(&bot.user, false).await;
    let _bob_room = ana.invite(&room_b, &bob).await;
    ana.mention(&room_a, &bot.user, "question one").await;
    let bot_user = bot.user.clone();
    let a_id = room_a.room_id().to_owned();
    ana.wait_for("the first answer", |seen| {
        latest_texts(seen, &a_id, &bot_user)
            .iter()
            .any(|t| t == "first")
    })
    .await;
    bot.handled(1).await;
    let answer = ana
        .messages_from(&room_a, &bot.user)
        .into_iter()
        .find(|(_, t)| t == "first")
        .unwrap()
        .0;
    // The bot's name in the text, but m.mentions names bob: for bob.
    ana.say_mentioning(
        &room_b,
        &bob.user,
        &format!("{} and bob, look at this", bot.user.localpart()),
    )
    .await;
    // A reply, in room B, to the bot's message of room A.
    ana.reply(&room_b, &answer, &bot.user, "and this?").await;
    // Then a real mention, which is answered.
    ana.mention(&room_b, &bot.user, "question two").await;
    let b_id = room_b.room_id().to_owned();
    ana.wait_for("the second answer", |seen| {
        latest_texts(seen, &b_id, &bot_user)
            .iter()
            .any(|t| t == "second")
    })
    .await;
    assert_eq!(
        ollama.questions(),
        ["question one", "question two"],
        "neither the other person's mention nor the reply from another room reached the bot"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_someone_else_flagged_as_a_dm_and_opened_is_not_private() {
    use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
    use matrix_sdk::ruma::events::room::history_visibility::{
        HistoryVisibility, RoomHistoryVisibilityEventContent,
    };
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "root", Some(Role::Admin)).await;
    // Mallory makes a "DM" with ana and the bot, opens its history to the
    // world, and leaves: the bot and ana are alone in it.
    let mut request = CreateRoom::new();
    request.invite = vec![ana.user.clone(), bot.user.clone()];
    request.is_direct = true;
    request.preset = Some(RoomPreset::TrustedPrivateChat);
    let trap = mallory.client.create_room(request).await.unwrap();
    mallory.wait_for_join(&trap, &bot.user).await;
    mallory.wait_for_join(&trap, &ana.user).await;
    trap.send_state_event(RoomHistoryVisibilityEventContent::new(
        HistoryVisibility::WorldReadable,
    ))
    .await
    .unwrap();
    trap.leave().await.unwrap();
    let trap_id = trap.room_id().to_owned();
    let ana_trap = ana.client.get_room(&trap_id).unwrap();
    ana.wait_until("mallory left", |r| {
        r.joined
            .get(&trap_id)
            .is_some_and(|j| !j.contains(&mallory.user))
    })
    .await;
    // ana asks for the audit there: the answer goes to a room the bot
    // made, never into the trap.
    ana.say(&ana_trap, "!audit").await;
    bot.handled(1).await;
    let bot_user = bot.user.clone();
    ana.wait_for("the audit, in the bot's own DM", |seen| {
        seen.iter()
            .any(|s| s.room != trap_id && s.sender == bot_user && s.body.contains("user_changed"))
    })
    .await;
    assert!(
        !from_bot(&ana, &ana_trap, &bot.user)
            .iter()
            .any(|t| t.contains("user_changed")),
        "no audit line in the room mallory opened"
    );
    let dm = ana
        .seen()
        .into_iter()
        .find(|s| s.sender == bot.user && s.body.contains("user_changed"))
        .unwrap()
        .room;
    let dm = ana.client.get_room(&dm).unwrap();
    assert_eq!(dm.creators().unwrap()[0], bot.user, "made by the bot");
    assert!(dm.encryption_state().is_encrypted());
    assert_ne!(
        dm.history_visibility_or_default(),
        HistoryVisibility::WorldReadable
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_said_before_the_bot_joined_is_not_answered() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("after"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    // ana and bob talk, naming the bot, before it is in the room.
    let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
    request.preset =
        Some(matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset::PrivateChat);
    let room = ana.client.create_room(request).await.unwrap();
    let _bob_room = ana.invite(&room, &bob).await;
    ana.say_mentioning(&room, &bot.user, "before: what did bob say?")
        .await;
    room.invite_user_by_id(&bot.user).await.unwrap();
    ana.wait_for_join(&room, &bot.user).await;
    ana.mention(&room, &bot.user, "after").await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    ana.wait_for("the answer to the question asked after", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t == "after")
    })
    .await;
    bot.handled(1).await;
    assert_eq!(ollama.questions(), ["after"]);
    let questions = h.audited("question").await;
    assert_eq!(questions.len(), 1, "{questions:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_encrypted_events_get_one_note_per_sender_not_one_each() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    let room = ana.room_with(&bot.user, false).await;
    let mallory_room = ana.invite(&room, &mallory).await;
    let forged = json!({
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
        "device_id": "FORGED",
        "sender_key": "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA",
        "session_id": "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ"
    });
    for _ in 0..3 {
        mallory_room
            .send_raw("m.room.encrypted", forged.clone())
            .await
            .unwrap();
    }
    let bot_user = bot.user.clone();
    let notes = |seen: &[Seen]| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.body.contains("could not read this message"))
            .count()
    };
    ana.wait_for("a note about mallory's first", |seen| notes(seen) >= 1)
        .await;
    // Another sender after them: a note of their own, which comes after
    // mallory's other two were weighed.
    room.send_raw("m.room.encrypted", forged.clone())
        .await
        .unwrap();
    ana.wait_for("a note about ana's", |seen| notes(seen) >= 2)
        .await;
    assert_eq!(
        notes(&ana.seen()),
        2,
        "one note per sender, not one per event"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_its_author_redacted_is_never_exported_nor_sent_again() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("first answer"));
    ollama.then(Script::answer("second answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let asked = ana
        .mention(&room, &bot.user, "SECRET-42: what is carl's salary?")
        .await;
    wait_for_text(&ana, &room, &bot.user, "first answer").await;
    bot.handled(1).await;
    let first = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t == "first answer")
        .unwrap()
        .0;
    room.redact(&asked, Some("sent by mistake"), None)
        .await
        .unwrap();
    bot.handled(2).await;
    // A reply in the same conversation, after the redaction: the redacted
    // question is not in what the model is sent.
    ana.reply(&room, &first, &bot.user, "and the average?")
        .await;
    wait_for_text(&ana, &room, &bot.user, "second answer").await;
    bot.handled(3).await;
    let last = ollama.requests().last().unwrap().to_string();
    assert!(!last.contains("SECRET-42"), "{last}");
    ana.say(&room, "!export").await;
    bot.handled(4).await;
    ana.wait_for("the export", |seen| seen.iter().any(|s| s.file.is_some()))
        .await;
    let files = ana.files_from(&room, &bot.user);
    let (_, bytes) = files.last().unwrap();
    let exported = String::from_utf8_lossy(bytes);
    assert!(exported.contains("and the average?"), "{exported}");
    assert!(!exported.contains("SECRET-42"), "{exported}");
    bot.stop().await;
}
