//! Linking a Matrix account: an invite code said in a room stays its
//! owner's and the link is made in a DM, a person asks by name and an admin
//! approves in the chat, and a stranger gets one DM however often they knock.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_said_in_a_room_stays_its_owners_and_the_link_is_made_in_a_dm() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let eve = Human::register(&unique("eve")).await;
    let mallory = Human::register(&unique("mallory")).await;
    let directory = &h.directory;
    directory
        .add_user("eve", Role::Admin, Actor::cli())
        .await
        .unwrap();
    let eve_id = format!("matrix:{}", eve.user).parse().unwrap();
    let code = directory
        .create_invite("eve", &eve_id, Actor::cli())
        .await
        .unwrap()
        .code;
    // eve types her admin invite in a room she shares with mallory.
    let room = eve.room_with(&bot.user, false).await;
    let mallory_room = eve.invite(&room, &mallory).await;
    eve.say(&room, &format!("!link {code}")).await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    eve.wait_for("the answer in the room", |seen| {
        seen.iter()
            .any(|s| s.room == room_id && s.sender == bot_user && s.body.contains("direct message"))
    })
    .await;
    bot.handled(1).await;

    // mallory read it and sends it to the bot in a DM, as written and
    // loosely, more often than attempts allow: it does nothing for her.
    let dm = mallory.dm_with(&bot.user).await;
    let forms = [
        format!("!link {code}"),
        format!("link {}", code.to_lowercase()),
        code.replace('-', " "),
        format!("!link {code}"),
        format!("!link {code}"),
        format!("!link {code}"),
    ];
    for (n, form) in forms.iter().enumerate() {
        mallory.say(&dm, form).await;
        bot.handled(2 + n).await;
    }
    let mallory_id = format!("matrix:{}", mallory.user).parse().unwrap();
    assert!(directory.user_of(&mallory_id).await.unwrap().is_none());
    drop(mallory_room);

    // The same code, from eve, in a DM: neither said in the room nor tried
    // by mallory spoilt it.
    let eve_dm = eve.dm_with(&bot.user).await;
    eve.say(&eve_dm, &format!("link {code}")).await;
    eve.wait_for("linked", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("now linked to eve"))
    })
    .await;
    let refused = h.audited("access_refused").await;
    assert!(
        refused
            .iter()
            .any(|r| r["reason"] == "invite_for_another_account"),
        "{refused:#?}"
    );
    assert!(
        !serde_json::to_string(&refused).unwrap().contains(&code),
        "the code itself is never audited"
    );
    assert!(
        ollama.requests().is_empty(),
        "no code ever reached the model"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_asks_to_be_linked_by_name_and_an_admin_approves_in_the_chat() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Welcome, Fay."));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let fay = Human::register(&unique("fay")).await;
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    h.directory
        .add_user("fay", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let bot_user = bot.user.clone();
    // fay, unknown to the bot, asks in a DM; nothing is linked yet.
    let fay_dm = fay.dm_with(&bot.user).await;
    fay.say(&fay_dm, "!link fay").await;
    fay.wait_for("the request recorded", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("request is recorded"))
    })
    .await;
    let fay_id: pstral_chat::PlatformIdentity = format!("matrix:{}", fay.user).parse().unwrap();
    assert!(h.directory.user_of(&fay_id).await.unwrap().is_none());
    // dana lists the requests and approves fay's, in her DM with the bot.
    let dana_dm = dana.dm_with(&bot.user).await;
    dana.say(&dana_dm, "!requests").await;
    let account = fay_id.to_string();
    dana.wait_for("the request listed", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains(&account) && s.body.contains("fay"))
    })
    .await;
    dana.say(&dana_dm, &format!("!requests approve {account} fay"))
        .await;
    dana.wait_for("the approval", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("is now linked to fay"))
    })
    .await;
    assert_eq!(
        h.directory.user_of(&fay_id).await.unwrap().unwrap().name,
        "fay"
    );
    // fay is answered now.
    fay.say(&fay_dm, "hello?").await;
    let fay_dm_id = fay_dm.room_id().to_owned();
    fay.wait_for("an answer", |seen| {
        latest_texts(seen, &fay_dm_id, &bot_user)
            .iter()
            .any(|t| t == "Welcome, Fay.")
    })
    .await;
    let requests = h.audited("link_request").await;
    assert!(
        requests
            .iter()
            .any(|r| r["action"] == "asked" && r["user"] == "fay")
    );
    let linked = h.audited("identity_linked").await;
    assert!(
        linked
            .iter()
            .any(|r| r["via"] == "request" && r["user"] == "fay"),
        "{linked:#?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_who_never_answers_gets_one_dm_however_often_they_knock() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let stranger = Human::register(&unique("stranger")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let stranger_room = ana.invite(&room, &stranger).await;
    stranger.ignore_invites();
    // An admin's command, answered to the one who typed it, privately.
    for _ in 0..3 {
        stranger.say(&stranger_room, "!requests").await;
    }
    bot.handled(3).await;
    stranger
        .wait_for("an invitation to a DM", |_| {
            !stranger.client.invited_rooms().is_empty()
        })
        .await;
    let invited: Vec<_> = stranger.client.invited_rooms();
    assert_eq!(invited.len(), 1, "one pending DM, reused");
    bot.stop().await;
}
