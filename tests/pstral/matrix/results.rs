//! SQL offered in a room: Execute by reaction returns the table, the files
//! and an encrypted chart; the rows go privately to the clicker when a room
//! member may not read them, and nothing of them to a restricted reader who
//! joins while the query runs or reads the room's history later.

use super::*;

const SQL_ANSWER: &str =
    "Voici :\n```sql\nSELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company\n```";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_by_reaction_returns_the_table_and_files_and_a_viewer_runs_nothing() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &carl, "carl", None).await;
    let dm = ana.dm_with(&bot.user).await;
    ana.say(&dm, "clients à Lyon").await;
    let room_id = dm.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("the offer to run the query", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    let answer = ana
        .messages_from(&dm, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT company"))
        .unwrap()
        .0;
    bot.handled(1).await;

    // carl, a viewer, reacts in a room the three of them share.
    let room = ana.room_with(&bot.user, false).await;
    let carl_room = ana.invite(&room, &carl).await;
    ollama.then(Script::answer(SQL_ANSWER));
    ana.mention(&room, &bot.user, "clients à Lyon, ici").await;
    let room_id = room.room_id().to_owned();
    ana.wait_for("the offer in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    bot.handled(2).await;
    let in_room = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT company"))
        .unwrap()
        .0;
    carl.react(&carl_room, &in_room, "▶️").await;
    carl.wait_for("a polite note", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("needs the executor role"))
    })
    .await;
    assert!(
        h.audited("execute_requested").await.is_empty(),
        "nothing ran"
    );

    // ana may run it: in the encrypted DM, the table and both files arrive.
    ana.react(&dm, &answer, "▶️").await;
    ana.wait_for("the result files", |seen| {
        seen.iter()
            .filter(|s| s.room == dm.room_id() && s.sender == bot_user && s.file.is_some())
            .count()
            == 2
    })
    .await;
    let files = ana.files_from(&dm, &bot.user);
    let csv = files.iter().find(|(n, _)| n.ends_with(".csv")).unwrap();
    assert!(String::from_utf8_lossy(&csv.1).contains("Lyon"));
    assert!(files.iter().any(|(n, _)| n.ends_with(".xlsx")));
    assert!(
        from_bot(&ana, &dm, &bot.user)
            .iter()
            .any(|t| t.contains("```text") && t.contains("Lyon")),
        "the preview, monospace in the plain body"
    );
    assert!(
        ana.seen().iter().any(|s| s.sender == bot.user
            && s.formatted
                .as_deref()
                .is_some_and(|f| f.contains("<table>") && f.contains("<td>Lyon</td>"))),
        "the preview, an HTML table in the formatted body"
    );
    assert!(
        ana.seen()
            .iter()
            .filter(|s| s.room == dm.room_id() && s.sender == bot.user)
            .all(|s| s.encrypted)
    );
    bot.stop().await;
}

/// In an encrypted DM, a result that calls for a chart gets an `m.image`
/// where the table goes: encrypted, with its width, height, caption and a
/// thumbnail, and it decodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_chart_arrives_as_an_encrypted_image_with_a_thumbnail() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(
        "Voici :\n```sql\nSELECT status AS statut, count(*) AS contrats FROM contracts \
         GROUP BY status ORDER BY contrats DESC\n```",
    ));
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let dm = ana.dm_with(&bot.user).await;
    ana.say(&dm, "contrats par statut").await;
    let (room_id, bot_user) = (dm.room_id().to_owned(), bot.user.clone());
    ana.wait_for("the offer to run the query", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    let answer = ana
        .messages_from(&dm, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT status"))
        .unwrap()
        .0;
    bot.handled(1).await;
    ana.react(&dm, &answer, "▶️").await;
    ana.wait_for("the chart", |seen| {
        seen.iter()
            .any(|s| s.room == room_id && s.sender == bot_user && s.image.is_some())
    })
    .await;
    let seen = ana
        .seen()
        .into_iter()
        .find(|s| s.room == room_id && s.sender == bot_user && s.image.is_some())
        .unwrap();
    assert!(seen.encrypted, "sent encrypted in an encrypted room");
    let image = seen.image.unwrap();
    let (name, bytes) = seen.file.expect("the image downloaded and decrypted");
    assert!(name.ends_with(".png"), "{name}");
    let (width, height, _) = crate::charts::decoded(&bytes);
    assert_eq!(
        (image.width, image.height),
        (Some(width.into()), Some(height.into()))
    );
    assert!(
        image.caption.starts_with("Bar chart of contrats by statut"),
        "{}",
        image.caption
    );
    let thumbnail = image
        .thumbnail
        .expect("a thumbnail, downloaded and decrypted");
    assert_eq!(crate::charts::decoded(&thumbnail).0, width / 2);
    bot.stop().await;
}

/// sales may not read the clients' revenue; carl, in sales, joins the room
/// after ana asked: her result goes to her alone, and the room reads only
/// where it went and why.
/// Waits until `person` has the revenue's rows from `bot` in a room other
/// than `room`: privately.
async fn rows_privately(person: &Human, room: &matrix_sdk::ruma::RoomId, bot: &OwnedUserId) {
    person
        .wait_for("the rows, privately", |seen| {
            seen.iter().any(|s| {
                s.sender == *bot
                    && s.room != room
                    && s.body.contains("visible to you only")
                    && s.body.contains("annual_revenue")
            })
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_a_room_member_may_not_read_goes_privately_to_the_clicker() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let demo = crate::access::demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &carl, "carl", None).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    // Asked where ana and the bot read; carl (sales) is invited before the
    // click: the room that gained a member does not get the rows.
    let room = ana.room_with(&bot.user, false).await;
    ollama.then(Script::answer(
        "```sql\nSELECT company, annual_revenue FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    ana.mention(
        &room,
        &bot.user,
        "le chiffre d'affaires des clients de Lyon",
    )
    .await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("the offer in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    bot.handled(1).await;
    let answer = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT company"))
        .unwrap()
        .0;
    let _carl_room = ana.invite(&room, &carl).await;
    ana.react(&room, &answer, "▶️").await;
    rows_privately(&ana, &room_id, &bot_user).await;
    ana.wait_for("where they went, in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("were sent privately") && t.contains("clients.annual_revenue"))
    })
    .await;
    let in_room = from_bot(&ana, &room, &bot.user);
    assert!(
        in_room.iter().all(|t| !t.contains("```text")),
        "no rows in the room: {in_room:#?}"
    );
    assert!(
        ana.seen()
            .iter()
            .filter(|s| s.room == room_id && s.sender == bot_user)
            .all(|s| s.file.is_none()),
        "no file in the room"
    );
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["redirected"]["rule"], "clients.annual_revenue");
    bot.stop().await;
}

/// The demo CRM hiding the clients' revenue from sales, its runs held by a
/// gate; ana and carl linked, carl in sales.
async fn gated_revenue(
    ollama: &FakeModel,
) -> (
    crate::execute::Demo,
    Arc<crate::access::Gated>,
    Harness,
    Bot,
    Human,
    Human,
) {
    let mut demo = crate::access::demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    let gate = crate::access::Gated::around(demo.executor().await);
    demo.runtime.executor = pstral_core::sql_target::Account::new(gate.clone());
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &carl, "carl", None).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    (demo, gate, h, bot, ana, carl)
}

/// Asks for Lyon's revenue in `room`, waits for the offer and returns its
/// event.
async fn offer_revenue(
    ollama: &FakeModel,
    ana: &Human,
    room: &matrix_sdk::Room,
    bot: &Bot,
    handled: usize,
) -> matrix_sdk::ruma::OwnedEventId {
    ollama.then(Script::answer(
        "```sql\nSELECT company, annual_revenue FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    ana.mention(room, &bot.user, "le chiffre d'affaires des clients de Lyon")
        .await;
    bot.handled(handled).await;
    ana.messages_from(room, &bot.user)
        .into_iter()
        .rev()
        .find(|(_, t)| t.contains("SELECT company, annual_revenue"))
        .expect("the offer")
        .0
}

/// Nothing of the result in `room` as `person` sees it: no rows, no file,
/// no chart (whose description quotes values).
fn nothing_of_the_result(person: &Human, room: &matrix_sdk::Room, bot: &OwnedUserId) {
    let room_id = room.room_id().to_owned();
    let seen: Vec<_> = person
        .seen()
        .into_iter()
        .filter(|s| s.room == room_id && s.sender == *bot)
        .collect();
    assert!(
        seen.iter()
            .all(|s| !s.body.contains("```text") && s.file.is_none() && s.image.is_none()),
        "{seen:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_reader_who_joins_while_the_query_runs_gets_nothing_of_its_result() {
    use matrix_sdk::ruma::events::room::history_visibility::HistoryVisibility;
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, gate, h, bot, ana, carl) = gated_revenue(&ollama).await;
    // History from one's join on: only who is in the room when the rows
    // are posted reads them.
    let room = ana.room_with(&bot.user, false).await;
    ana.set_history(&room, HistoryVisibility::Joined).await;
    let offer = offer_revenue(&ollama, &ana, &room, &bot, 1).await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    // Run once with ana alone: the rows are posted in the room, each part
    // just after its readers were read, and the audit says how long before
    // the homeserver took it (the window in which a join goes unseen).
    ana.say(&room, "!run 1").await;
    gate.started(1).await;
    gate.release();
    ana.wait_for("the rows in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("```text"))
    })
    .await;
    let posted = h.audited_at_least("result_posted", 1).await;
    let windows: Vec<&serde_json::Value> = posted[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["read_ms"])
        .collect();
    assert!(windows.iter().all(|w| w.is_u64()), "{:#}", posted[0]);
    eprintln!("Synapse: readers read this many ms before each part was taken: {windows:?}");
    ana.wait_for("the first run's files in the room", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.room == room_id)
            .filter_map(|s| s.file.as_ref())
            .any(|(name, _)| name.ends_with(".xlsx"))
    })
    .await;
    let files_before = ana.files_from(&room, &bot.user).len();
    // Again: everyone in the room may read the revenue at the click; carl
    // (sales) is invited and joins while the query runs.
    ana.react(&room, &offer, "▶️").await;
    gate.started(2).await;
    let carls = ana.invite(&room, &carl).await;
    gate.release();
    rows_privately(&ana, &room_id, &bot_user).await;
    ana.wait_for("the files, privately", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.room != room_id)
            .filter_map(|s| s.file.as_ref())
            .any(|(name, _)| name.ends_with(".xlsx"))
    })
    .await;
    ana.wait_for("where they went, in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("were sent privately") && t.contains("clients.annual_revenue"))
    })
    .await;
    h.audited_at_least("result_posted", 2).await;
    // Nothing more of it in the room than the first run's, and nothing
    // carl can read.
    assert_eq!(ana.files_from(&room, &bot.user).len(), files_before);
    let tables = from_bot(&ana, &room, &bot.user)
        .into_iter()
        .filter(|t| t.contains("```text"))
        .count();
    assert_eq!(tables, 1, "only the first run's rows in the room");
    nothing_of_the_result(&carl, &carls, &bot.user);
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[1]["private"], false, "{:#}", requested[1]);
    let posted = h.audited("result_posted").await;
    assert_eq!(posted[1]["redirected"]["rule"], "clients.annual_revenue");
    assert_eq!(posted[1]["redirected"]["at"], "preview");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_whose_history_newcomers_read_gets_no_hidden_column_even_when_all_may_read_it() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, gate, h, bot, ana, carl) = gated_revenue(&ollama).await;
    gate.release();
    // A private_chat room: its history is `shared`, read back by whoever
    // is invited later. Only ana and the bot are in it.
    let room = ana.room_with(&bot.user, false).await;
    let offer = offer_revenue(&ollama, &ana, &room, &bot, 1).await;
    ana.react(&room, &offer, "▶️").await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("where they went, in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("were sent privately") && t.contains("let in later"))
    })
    .await;
    bot.handled(2).await;
    let requested = h.audited("execute_requested").await;
    assert_eq!(
        requested[0]["redirected"]["later"], true,
        "{:#}",
        requested[0]
    );
    // carl, invited afterwards, reads the whole history: none of it.
    let carls = ana.invite(&room, &carl).await;
    let mut options = matrix_sdk::room::MessagesOptions::backward();
    options.limit = 100u32.into();
    let history = carls.messages(options).await.unwrap();
    let bodies: Vec<String> = history
        .chunk
        .iter()
        .filter_map(|e| {
            e.raw()
                .get_field::<serde_json::Value>("content")
                .ok()
                .flatten()
        })
        .map(|c| c.to_string())
        .collect();
    assert!(
        bodies.iter().any(|b| b.contains("were sent privately")),
        "carl reads the room's history: {bodies:#?}"
    );
    assert!(
        bodies
            .iter()
            .all(|b| !b.contains("```text") && !b.contains("m.file") && !b.contains("m.image")),
        "{bodies:#?}"
    );
    bot.stop().await;
}
