//! Red-team attacks on the promises the Matrix adapter makes (docs/access.md
//! and OPERATING.md: invite codes and link requests, private answers, thread ownership, HTML in formatted
//! bodies), as a malicious colleague would try them with a real Matrix
//! client against the real Synapse. Every test asserts the SAFE behaviour:
//! it fails when the attack works.

use std::time::Duration;

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId};
use pstral_core::audit::Actor;
use pstral_core::identity::Role;
use serde_json::{Value, json};

use crate::answers::{Harness, MODEL, Options};
use crate::matrix::{Bot, carl_code, latest_texts, link, setup};
use crate::support::fake_model::{FakeModel, Script};
use crate::synapse::{Human, unique};

// ---------------------------------------------------------------- helpers

/// Waits until the bot has finished `n` more events than `before`.
async fn settle(bot: &Bot, before: usize, n: usize) {
    let mut handled = bot.handled.clone();
    tokio::time::timeout(
        Duration::from_secs(90),
        handled.wait_for(|&h| h >= before + n),
    )
    .await
    .unwrap_or_else(|_| panic!("the bot never finished {n} more events"))
    .unwrap();
}

fn done(bot: &Bot) -> usize {
    *bot.handled.borrow()
}

// ---------------------------------------------- 1. invite codes

/// The forms that defeated the search for codes in the chat (stop 58's
/// attack): split in three messages, in small capitals, in an uploaded
/// file's name, halves from two people, digits as words. Whoever reads any
/// of them has the code; they send it to the bot in a DM as they read it,
/// and as written: none links them, and the account the code names still
/// links after them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_read_in_any_form_links_only_the_account_it_names() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "ana", None).await;
    let carl_account = format!("matrix:{}", carl.user);
    let code = carl_code(&h, &carl_account).await;
    let plain = code.replace('-', "");
    let room = ana.room_with(&bot.user, false).await;
    let _mallory_room = ana.invite(&room, &mallory).await;
    let small_capitals: String = plain
        .chars()
        .map(|c| match c {
            'A' => 'ᴀ',
            'B' => 'ʙ',
            'E' => 'ᴇ',
            'R' => 'ʀ',
            'V' => 'ᴠ',
            c => c,
        })
        .collect();
    let words = |c: char| match c {
        '0' => "zero".to_owned(),
        '1' => "one".to_owned(),
        c => c.to_string(),
    };
    ana.say(&room, &format!("carl: {}", &plain[..3])).await;
    ana.say(&room, &plain[3..7]).await;
    ana.say(&room, &plain[7..]).await;
    ana.say(&room, &format!("or: {small_capitals}")).await;
    ana.say(
        &room,
        &plain.chars().map(words).collect::<Vec<_>>().join(" "),
    )
    .await;
    room.send_raw(
        "m.room.message",
        json!({"msgtype": "m.file", "body": format!("invite-{plain}.txt"), "url": "mxc://example.org/AbCdEfGhIjKlMnOp"}),
    )
    .await
    .unwrap();
    // mallory, who read them all, tries what she read in a DM.
    let dm = mallory.dm_with(&bot.user).await;
    let before = done(&bot);
    let tries = [
        format!("!link {code}"),
        format!("link {small_capitals}"),
        plain.to_lowercase(),
        format!("!link {}", &plain[..5]) + &plain[5..],
        format!("!link {code}"),
        format!("!link {code}"),
        format!("!link {code}"),
    ];
    for (n, attempt) in tries.iter().enumerate() {
        mallory.say(&dm, attempt).await;
        settle(&bot, before, n + 1).await;
    }
    let mallory_id = format!("matrix:{}", mallory.user).parse().unwrap();
    assert!(
        h.directory.user_of(&mallory_id).await.unwrap().is_none(),
        "mallory redeemed a code made for carl"
    );
    // carl, named by the code, links with it after all that.
    let carl_dm = carl.dm_with(&bot.user).await;
    carl.say(&carl_dm, &format!("link {code}")).await;
    let bot_user = bot.user.clone();
    carl.wait_for("linked", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("now linked to carl"))
    })
    .await;
    let requests = serde_json::to_string(&ollama.requests()).unwrap();
    assert!(
        !requests.contains(&plain) && !requests.contains(&code),
        "mallory's attempts never reached the model"
    );
    bot.stop().await;
}

/// A request to be linked names a user; an attacker who asks to be an
/// admin gets nothing until an admin approves, and an approval links the
/// account that asked, never another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_asking_to_be_someone_links_nothing_by_itself() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    let dm = mallory.dm_with(&bot.user).await;
    let before = done(&bot);
    for (n, attempt) in [
        "!link dana",
        "!link DANA",
        "link ｄａｎａ",
        "!requests approve",
    ]
    .iter()
    .enumerate()
    {
        mallory.say(&dm, attempt).await;
        settle(&bot, before, n + 1).await;
    }
    // Approving herself is an admin's command.
    let own = format!("matrix:{}", mallory.user);
    mallory
        .say(&dm, &format!("!requests approve {own} dana"))
        .await;
    settle(&bot, before, 5).await;
    let mallory_id: pstral_chat::PlatformIdentity = own.parse().unwrap();
    assert!(h.directory.user_of(&mallory_id).await.unwrap().is_none());
    let waiting = h.directory.link_requests().await.unwrap();
    assert_eq!(waiting.len(), 1, "one request per account, the latest");
    assert_eq!(waiting[0].user, "dana");
    bot.stop().await;
}

// ---------------------------------------------- 2. private answers

const AUDIT_MARK: &str = "newest matching audit events";

fn audits_in(person: &Human, bot: &OwnedUserId) -> Vec<crate::synapse::Seen> {
    person
        .seen()
        .into_iter()
        .filter(|s| &s.sender == bot && s.body.contains(AUDIT_MARK))
        .collect()
}

/// Rooms the admin made with the bot, each readable (now or at will) by
/// someone else: the audit must never land there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_audit_never_lands_in_a_room_someone_else_can_read() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    let pending = Human::register(&unique("pending")).await;
    pending.ignore_invites();
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    // A room mallory is in, for the restricted join rule.
    let lobby = dana.room_with(&bot.user, false).await;
    let _mallory_lobby = dana.invite(&lobby, &mallory).await;

    let variants = [
        "pending invite",
        "knock",
        "restricted to a room mallory is in",
        "public",
        "world_readable after the bot joined",
        "guest access + world_readable",
    ];
    let mut traps = Vec::new();
    for (i, variant) in variants.iter().enumerate() {
        let dm = dana.dm_with(&bot.user).await;
        let r = match i {
            0 => dm.invite_user_by_id(&pending.user).await.map(|_| ()),
            1 => dm
                .send_state_event_raw("m.room.join_rules", "", json!({"join_rule": "knock"}))
                .await
                .map(|_| ()),
            2 => dm
                .send_state_event_raw(
                    "m.room.join_rules",
                    "",
                    json!({"join_rule": "restricted", "allow": [
                        {"type": "m.room_membership", "room_id": lobby.room_id()}
                    ]}),
                )
                .await
                .map(|_| ()),
            3 => dm
                .send_state_event_raw("m.room.join_rules", "", json!({"join_rule": "public"}))
                .await
                .map(|_| ()),
            4 => dm
                .send_state_event_raw(
                    "m.room.history_visibility",
                    "",
                    json!({"history_visibility": "world_readable"}),
                )
                .await
                .map(|_| ()),
            _ => {
                dm.send_state_event_raw(
                    "m.room.guest_access",
                    "",
                    json!({"guest_access": "can_join"}),
                )
                .await
                .unwrap();
                dm.send_state_event_raw(
                    "m.room.history_visibility",
                    "",
                    json!({"history_visibility": "world_readable"}),
                )
                .await
                .map(|_| ())
            }
        };
        r.unwrap_or_else(|e| panic!("{variant}: {e}"));
        let before = done(&bot);
        dana.say(&dm, "!audit recent").await;
        settle(&bot, before, 1).await;
        traps.push((variant.to_string(), dm.room_id().to_owned()));
    }
    let bot_user = bot.user.clone();
    let n = variants.len();
    dana.wait_for("every audit answer", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.body.contains(AUDIT_MARK))
            .count()
            >= n
    })
    .await;
    let audits = audits_in(&dana, &bot.user);
    let leaked: Vec<_> = traps
        .iter()
        .filter(|(_, room)| audits.iter().any(|a| &a.room == room))
        .map(|(v, _)| v.clone())
        .collect();
    assert!(
        leaked.is_empty(),
        "the admin's audit was posted in rooms others can read: {leaked:?}"
    );
    bot.stop().await;
}

/// The bot's own DM with an admin, once the admin (who has the power to)
/// invites someone into it, and an admin's DM that became a group after the
/// bot answered there: neither may get the next private answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_private_room_that_gains_a_member_gets_no_more_private_answers() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let carl = Human::register(&unique("carl")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    let bot_user = bot.user.clone();

    // 1. The bot's own DM, joined later by mallory.
    let group = dana.room_with(&bot.user, false).await;
    let _carl_group = dana.invite(&group, &carl).await;
    dana.say(&group, "!audit recent").await;
    dana.wait_for("the first audit", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains(AUDIT_MARK))
    })
    .await;
    let own_dm_id = audits_in(&dana, &bot.user)[0].room.clone();
    let own_dm = dana.client.get_room(&own_dm_id).unwrap();
    let mut report = Vec::new();
    match own_dm.invite_user_by_id(&mallory.user).await {
        Ok(()) => {
            let id = own_dm_id.clone();
            let who = mallory.user.clone();
            mallory
                .wait_until("joined the bot's DM", |r| {
                    r.joined.get(&id).is_some_and(|j| j.contains(&who))
                })
                .await;
            dana.say(&group, "!audit recent").await;
            dana.wait_for("the second audit", |seen| {
                seen.iter()
                    .filter(|s| s.sender == bot_user && s.body.contains(AUDIT_MARK))
                    .count()
                    >= 2
            })
            .await;
            let second = audits_in(&dana, &bot.user)[1].room.clone();
            if second == own_dm_id {
                report.push("the bot reused its DM after mallory joined it");
            }
        }
        Err(e) => eprintln!("dana may not invite into the bot's DM ({e}): that attack is closed"),
    }

    // 2. dana's DM with the bot, answered privately, then mallory joins.
    let dm = dana.dm_with(&bot.user).await;
    dana.say(&dm, "!audit recent").await;
    dana.wait_for("the third audit", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.body.contains(AUDIT_MARK))
            .count()
            >= 3
    })
    .await;
    dana.invite(&dm, &mallory).await;
    dana.say(&dm, "!audit recent").await;
    dana.wait_for("the fourth audit", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.body.contains(AUDIT_MARK))
            .count()
            >= 4
    })
    .await;
    let fourth = audits_in(&dana, &bot.user)[3].room.clone();
    if fourth == dm.room_id() {
        report.push("the audit went into dana's DM after mallory joined it");
    }
    assert!(report.is_empty(), "{report:?}");
    bot.stop().await;
}

// ---------------------------------------------- 2b. before the bot joined

/// The bot kicked and invited back: what was said while it was away was
/// said before it (re)joined. And a question raced against the bot's join.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_what_was_said_while_the_bot_was_out_is_not_answered() {
    use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    ana.mention(&room, &bot.user, "question one").await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    ana.wait_for("the first answer", |seen| {
        latest_texts(seen, &room_id, &bot_user).len() == 1
    })
    .await;
    room.kick_user(&bot.user, Some("out")).await.unwrap();
    ana.wait_until("the bot left", |r| {
        r.joined
            .get(&room_id)
            .is_some_and(|j| !j.contains(&bot_user))
    })
    .await;
    ana.say_mentioning(&room, &bot.user, "WHILE-AWAY: what is carl's salary?")
        .await;
    room.invite_user_by_id(&bot.user).await.unwrap();
    ana.wait_for_join(&room, &bot.user).await;
    ana.mention(&room, &bot.user, "question two").await;
    ana.wait_for("the answer after the return", |seen| {
        latest_texts(seen, &room_id, &bot_user).len() >= 2
    })
    .await;

    // A new room: the question is sent the moment the room exists, and the
    // bot invited right after it, so that the question comes with the join.
    // (Invited when the room is made, the bot could accept before the
    // question is sent under load, and then rightly answer it.)
    let mut request = CreateRoom::new();
    request.preset = Some(RoomPreset::PrivateChat);
    let race = ana.client.create_room(request).await.unwrap();
    ana.say_mentioning(&race, &bot.user, "RACED-JOIN: are you there yet?")
        .await;
    race.invite_user_by_id(&bot.user).await.unwrap();
    ana.wait_for_join(&race, &bot.user).await;
    ana.mention(&race, &bot.user, "question three").await;
    let race_id = race.room_id().to_owned();
    ana.wait_for("the answer in the new room", |seen| {
        !latest_texts(seen, &race_id, &bot_user).is_empty()
    })
    .await;
    let before = done(&bot);
    // Flush: one more question in the first room.
    ana.mention(&room, &bot.user, "question four").await;
    settle(&bot, before, 1).await;
    let questions = ollama.questions();
    assert!(
        !questions
            .iter()
            .any(|q| q.contains("WHILE-AWAY") || q.contains("RACED-JOIN")),
        "answered what was said before the bot (re)joined: {questions:?}"
    );
    bot.stop().await;
}

// ---------------------------------------------- 3. thread export and mode

/// Whether anything the bot sent that `person` sees (text or file) holds
/// `secret`.
fn bot_revealed(person: &Human, bot: &OwnedUserId, secret: &str) -> bool {
    person.seen().iter().any(|s| {
        &s.sender == bot
            && (s.body.contains(secret)
                || s.formatted.as_deref().is_some_and(|f| f.contains(secret))
                || s.file
                    .as_ref()
                    .is_some_and(|(_, bytes)| String::from_utf8_lossy(bytes).contains(secret)))
    })
}

fn dump_from_bot(person: &Human, bot: &OwnedUserId) {
    for s in person.seen().iter().filter(|s| &s.sender == bot) {
        match &s.file {
            Some((name, bytes)) => eprintln!(
                "{} saw from the bot: file {name}:\n{}",
                person.user,
                String::from_utf8_lossy(bytes)
            ),
            None => eprintln!("{} saw from the bot: {:?}", person.user, s.body),
        }
    }
}

async fn wait_text(person: &Human, room: &matrix_sdk::ruma::RoomId, bot: &OwnedUserId, text: &str) {
    let room = room.to_owned();
    let bot = bot.clone();
    let text = text.to_owned();
    person
        .wait_for("a text from the bot", |seen| {
            latest_texts(seen, &room, &bot).iter().any(|t| t == &text)
        })
        .await;
}

/// Makes sure what the bot sent before now has reached `person` (files are
/// recorded once downloaded): asks `!help` in `room` twice, each time
/// waiting for the answer.
async fn flush(person: &Human, room: &Room, bot: &Bot) {
    for _ in 0..2 {
        let count = |seen: &[crate::synapse::Seen], bot: &OwnedUserId| {
            seen.iter().filter(|s| &s.sender == bot).count()
        };
        let before_seen = count(&person.seen(), &bot.user);
        let before = *bot.handled.borrow();
        person.say(room, "!help").await;
        bot.handled(before + 1).await;
        let bot_user = bot.user.clone();
        person
            .wait_for("the help", |seen| count(seen, &bot_user) > before_seen)
            .await;
    }
}

/// ana's conversations in a room mallory shares: one in a thread, one in
/// the main timeline (a mention answered by a reply).
struct Convo {
    ollama: FakeModel,
    h: Harness,
    bot: Bot,
    ana: Human,
    mallory: Human,
    room: Room,
    mallory_room: Room,
    root: OwnedEventId,
    thread_answer: OwnedEventId,
    main_answer: OwnedEventId,
}

const THREAD_SECRET: &str = "SECRET-THREAD-Q";
const MAIN_SECRET: &str = "SECRET-MAIN-Q";

impl Convo {
    async fn new() -> Self {
        let ollama = FakeModel::start(&[MODEL]).await;
        ollama.then(Script::answer("ANSWER-ONE"));
        ollama.then(Script::answer("ANSWER-TWO"));
        ollama.by_default(Script::answer("a default answer"));
        let (h, bot) = setup(&ollama, Options::default()).await;
        let ana = Human::register(&unique("ana")).await;
        let mallory = Human::register(&unique("mallory")).await;
        link(&h, &ana, "ana", None).await;
        link(&h, &mallory, "bob", None).await;
        let room = ana.room_with(&bot.user, false).await;
        let mallory_room = ana.invite(&room, &mallory).await;
        let bot_user = bot.user.clone();
        let room_id = room.room_id().to_owned();
        let root = ana.say(&room, "Q3 numbers").await;
        ana.in_thread(
            &room,
            &root,
            &format!("{}: {THREAD_SECRET}: our churn by client?", bot.user),
        )
        .await;
        wait_text(&ana, &room_id, &bot_user, "ANSWER-ONE").await;
        ana.mention(
            &room,
            &bot.user,
            &format!("{MAIN_SECRET}: the margin of Dupont SA?"),
        )
        .await;
        wait_text(&ana, &room_id, &bot_user, "ANSWER-TWO").await;
        bot.handled(2).await;
        let find = |text: &str| {
            ana.messages_from(&room, &bot.user)
                .into_iter()
                .find(|(_, t)| t == text)
                .unwrap()
                .0
        };
        let (thread_answer, main_answer) = (find("ANSWER-ONE"), find("ANSWER-TWO"));
        Self {
            ollama,
            h,
            bot,
            ana,
            mallory,
            room,
            mallory_room,
            root,
            thread_answer,
            main_answer,
        }
    }

    /// mallory sends `text` in ana's thread and the bot finishes with it.
    async fn mallory_in_thread(&self, text: &str) {
        let before = *self.bot.handled.borrow();
        self.mallory
            .in_thread(&self.mallory_room, &self.root, text)
            .await;
        self.bot.handled(before + 1).await;
    }

    async fn assert_nothing_revealed(self, attack: &str, secrets: &[&str]) {
        flush(&self.mallory, &self.mallory_room, &self.bot).await;
        dump_from_bot(&self.mallory, &self.bot.user);
        for secret in secrets {
            assert!(
                !bot_revealed(&self.mallory, &self.bot.user, secret),
                "{attack}: the bot handed mallory ana's conversation ({secret})"
            );
        }
        let _ = (&self.ollama, &self.h, &self.ana, &self.room);
        self.bot.stop().await;
    }
}

/// mallory only reacted in ana's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_export_is_refused_to_someone_who_only_reacted_in_the_thread() {
    let c = Convo::new().await;
    c.mallory
        .react(&c.mallory_room, &c.thread_answer, "👍")
        .await;
    c.mallory_in_thread("!export").await;
    c.mallory_in_thread("!export json").await;
    c.assert_nothing_revealed("export after a reaction", &[THREAD_SECRET])
        .await;
}

/// mallory writes a remark in ana's thread (to ana, not a question), then
/// exports it. The bot takes any message in a thread it writes in as a
/// question, so one remark makes anyone an "asker" who may export the
/// thread (and change its mode): the ownership check is hollow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_export_is_refused_to_someone_who_only_chatted_in_the_thread() {
    let c = Convo::new().await;
    c.mallory_in_thread("nice numbers, ana").await;
    c.mallory_in_thread("!export json").await;
    c.assert_nothing_revealed("export after a remark in the thread", &[THREAD_SECRET])
        .await;
}

/// mallory replies `!export` to the bot's answer to ana in the main
/// timeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_export_is_refused_by_a_reply_to_the_bots_answer_to_someone_else() {
    let c = Convo::new().await;
    let before = *c.bot.handled.borrow();
    c.mallory
        .reply(&c.mallory_room, &c.main_answer, &c.bot.user, "!export")
        .await;
    c.bot.handled(before + 1).await;
    c.assert_nothing_revealed(
        "!export as a reply to the bot's answer to ana",
        &[MAIN_SECRET, THREAD_SECRET],
    )
    .await;
}

/// mallory asked in a thread of her own, then exports ana's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_export_is_refused_to_someone_who_asked_in_another_thread() {
    let c = Convo::new().await;
    let mroot = c.mallory.say(&c.mallory_room, "my topic").await;
    let before = *c.bot.handled.borrow();
    c.mallory
        .in_thread(
            &c.mallory_room,
            &mroot,
            &format!("{}: my own question", c.bot.user),
        )
        .await;
    c.bot.handled(before + 1).await;
    c.mallory_in_thread("!export").await;
    c.assert_nothing_revealed(
        "!export in ana's thread after asking in another thread",
        &[THREAD_SECRET],
    )
    .await;
}

/// From her own room with the bot, mallory replies to (and threads under)
/// the bot's answers in ana's room: event ids are no secret (permalinks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_export_is_refused_from_another_room_by_reply_or_thread() {
    let c = Convo::new().await;
    let own = c.mallory.room_with(&c.bot.user, false).await;
    let before = *c.bot.handled.borrow();
    c.mallory
        .reply(&own, &c.main_answer, &c.bot.user, "!export")
        .await;
    c.mallory
        .reply(&own, &c.thread_answer, &c.bot.user, "!export")
        .await;
    c.bot.handled(before + 2).await;
    let mut content =
        matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain("!export");
    content.relates_to = Some(matrix_sdk::ruma::events::room::message::Relation::Thread(
        matrix_sdk::ruma::events::relation::Thread::plain(c.root.clone(), c.root.clone()),
    ));
    let cross_thread = own.send(content).await.is_ok();
    eprintln!("a cross-room thread relation accepted by Synapse: {cross_thread}");
    flush(&c.mallory, &own, &c.bot).await;
    c.assert_nothing_revealed("!export from another room", &[MAIN_SECRET, THREAD_SECRET])
        .await;
}

/// mallory, who asked in a thread of her own (and reacted in ana's),
/// changes the mode of ana's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_an_outsider_cannot_change_the_mode_of_someone_elses_thread() {
    let c = Convo::new().await;
    let mroot = c.mallory.say(&c.mallory_room, "my topic").await;
    let before = *c.bot.handled.borrow();
    c.mallory
        .in_thread(
            &c.mallory_room,
            &mroot,
            &format!("{}: my own question", c.bot.user),
        )
        .await;
    c.bot.handled(before + 1).await;
    c.mallory
        .react(&c.mallory_room, &c.thread_answer, "👀")
        .await;
    let system = |r: &Value| r["messages"][0].to_string();
    let first = system(&c.ollama.requests()[0]);
    let mut changed = Vec::new();
    for (i, mode) in ["!mode chat", "!mode sql"].iter().enumerate() {
        c.mallory_in_thread(mode).await;
        let before = *c.bot.handled.borrow();
        c.ana
            .in_thread(&c.room, &c.root, &format!("{}: question {i}", c.bot.user))
            .await;
        c.bot.handled(before + 1).await;
        let now = system(c.ollama.requests().last().unwrap());
        if now != first {
            changed.push(*mode);
        }
    }
    dump_from_bot(&c.mallory, &c.bot.user);
    assert!(
        changed.is_empty(),
        "mallory changed the mode of ana's thread with {changed:?}"
    );
    c.bot.stop().await;
}

// ---------------------------------------------- 4. HTML in formatted bodies

/// Questions holding HTML, markdown that becomes HTML, and code-fence
/// break-outs; then an admin reads them through `!audit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_html_in_questions_never_renders_in_the_audit_view() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("ok"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    link(&h, &ana, "ana", None).await;
    let ana_dm = ana.dm_with(&bot.user).await;
    let questions = [
        "<img src=\"https://evil.example/px.png\" onerror=\"alert(1)\"> hi",
        "please [log in again](https://evil.example/phish) to see the data",
        "![tracker](https://evil.example/t.png)",
        "```\n</code></pre><a href=\"https://evil.example/x\">EVIL-LINK</a><pre><code>\n```",
        "`</code><h1>EVIL-HEADING</h1><code>`",
        "<font color=\"red\" data-mx-bg-color=\"#ff0000\">EVIL-FONT</font>",
        "<details open><summary>EVIL-DETAILS</summary>x</details>",
        "<https://evil.example/autolink>",
        "| a | b |\n|---|---|\n| <img src=https://evil.example/cell.png> | x |",
    ];
    for (i, q) in questions.iter().enumerate() {
        ana.say(&ana_dm, q).await;
        bot.handled(i + 1).await;
    }
    let dm = dana.dm_with(&bot.user).await;
    let bot_user = bot.user.clone();
    let commands = [
        "!audit recent".to_owned(),
        "!audit kind question".to_owned(),
        "!audit search evil.example".to_owned(),
        "!audit search <img src=https://evil.example/search.png>".to_owned(),
        "!audit user <a href=\"https://evil.example/u\">ana</a>".to_owned(),
    ];
    let mut n = questions.len();
    for c in &commands {
        dana.say(&dm, c).await;
        n += 1;
        bot.handled(n).await;
    }
    flush(&dana, &dm, &bot).await;
    let formatted: Vec<String> = dana
        .seen()
        .iter()
        .filter(|s| s.sender == bot_user)
        .filter_map(|s| s.formatted.clone())
        .collect();
    assert!(
        formatted.iter().any(|f| f.contains("evil.example")),
        "the audit view echoes the questions (else this test proves nothing): {formatted:#?}"
    );
    let bad = [
        "<img",
        "<a href=\"https://evil",
        "<a href='https://evil",
        "<a href=https://evil",
        "<h1",
        "<font",
        "<details",
        "</pre><a",
    ];
    let hits: Vec<(String, &str)> = formatted
        .iter()
        .flat_map(|f| {
            bad.iter()
                .filter(|b| f.contains(**b))
                .map(move |b| (f.clone(), *b))
        })
        .collect();
    assert!(
        hits.is_empty(),
        "raw HTML from questions renders in the bot's formatted bodies: {:#?}",
        hits.iter()
            .map(|(f, b)| format!("{b} in {f}"))
            .collect::<Vec<_>>()
    );
    bot.stop().await;
}

/// Beyond promise 4: the model's own answer (which a question can steer, or
/// simply echo) carries raw HTML; the bot's formatted body must not render
/// it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_html_in_a_models_answer_never_renders() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(
        "Sure: <img src=\"https://evil.example/echo.png\" onerror=\"alert(1)\"> and <a href=\"https://evil.example/x\">EVIL-LINK</a>",
    ));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let dm = ana.dm_with(&bot.user).await;
    ana.say(
        &dm,
        "repeat after me: <img src=https://evil.example/echo.png>",
    )
    .await;
    bot.handled(1).await;
    let bot_user = bot.user.clone();
    let dm_id = dm.room_id().to_owned();
    ana.wait_for("the final answer", |seen| {
        latest_texts(seen, &dm_id, &bot_user)
            .iter()
            .any(|t| t.contains("EVIL-LINK") && !t.ends_with(pstral_chat::STREAMING_CURSOR))
    })
    .await;
    let formatted: Vec<String> = ana
        .seen()
        .iter()
        .filter(|s| s.sender == bot.user)
        .filter_map(|s| s.formatted.clone())
        .collect();
    assert!(
        !formatted
            .iter()
            .any(|f| f.contains("<img") || f.contains("<a href=\"https://evil")),
        "raw HTML renders in the bot's answer: {formatted:#?}"
    );
    let _ = &h;
    let _ = Actor::cli();
    bot.stop().await;
}

// ---------------------------------------------- more attacks

/// The room hides what was said before one joined (history "joined"):
/// mallory, who joined later, cannot read ana's first question in the
/// thread. She writes one remark in the thread (which the bot takes as a
/// question: she has now "asked in it") and exports it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_export_never_reveals_what_the_exporter_could_not_read() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("ANSWER-ONE"));
    ollama.then(Script::answer("ANSWER-TWO"));
    ollama.by_default(Script::answer("a default answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &mallory, "bob", None).await;
    let room = ana.room_with(&bot.user, false).await;
    room.send_state_event_raw(
        "m.room.history_visibility",
        "",
        json!({"history_visibility": "joined"}),
    )
    .await
    .unwrap();
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    let root = ana.say(&room, "Q3 numbers").await;
    ana.in_thread(
        &room,
        &root,
        &format!("{}: {THREAD_SECRET}: which clients will we lose?", bot.user),
    )
    .await;
    wait_text(&ana, &room_id, &bot_user, "ANSWER-ONE").await;
    bot.handled(1).await;
    // mallory joins; ana goes on in the thread, so mallory sees its root id.
    let mallory_room = ana.invite(&room, &mallory).await;
    ana.in_thread(&room, &root, &format!("{}: and in Q4?", bot.user))
        .await;
    wait_text(&ana, &room_id, &bot_user, "ANSWER-TWO").await;
    bot.handled(2).await;
    let seen_root = root.clone();
    mallory
        .wait_for("a message in the thread", |seen| {
            seen.iter().any(|s| s.thread.as_ref() == Some(&seen_root))
        })
        .await;
    assert!(
        !mallory
            .seen()
            .iter()
            .any(|s| s.body.contains(THREAD_SECRET)),
        "mallory cannot read the first question herself (else this proves nothing)"
    );
    let before = *bot.handled.borrow();
    mallory.in_thread(&mallory_room, &root, "+1").await;
    bot.handled(before + 1).await;
    let before = *bot.handled.borrow();
    mallory.in_thread(&mallory_room, &root, "!export").await;
    bot.handled(before + 1).await;
    flush(&mallory, &mallory_room, &bot).await;
    dump_from_bot(&mallory, &bot.user);
    assert!(
        !bot_revealed(&mallory, &bot.user, THREAD_SECRET),
        "the export handed mallory a question from before she joined, which the room \
         hides from her"
    );
    bot.stop().await;
}

/// A code written in a true DM (not as a link) stays live; the DM then
/// gains a member who reads its history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_left_in_a_dm_that_becomes_a_group_cannot_be_redeemed_by_a_newcomer() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "ana", None).await;
    let dm = ana.dm_with(&bot.user).await;
    let code = carl_code(&h, "matrix:@carl:example.org").await;
    ana.say(&dm, &format!("reminder: carl's onboarding code is {code}"))
        .await;
    bot.handled(1).await;
    // ana invites mallory into the DM (history: shared); mallory reads it.
    let mallory_dm_view = ana.invite(&dm, &mallory).await;
    drop(mallory_dm_view);
    // Whether mallory's client can show her the history depends on the
    // room's keys reaching her (the DM is encrypted): not waited for, the
    // attack takes the code as read.
    let own = mallory.dm_with(&bot.user).await;
    let before = done(&bot);
    mallory.say(&own, &format!("link {code}")).await;
    settle(&bot, before, 1).await;
    dump_from_bot(&ana, &bot.user);
    let mallory_id = format!("matrix:{}", mallory.user).parse().unwrap();
    assert!(
        h.directory.user_of(&mallory_id).await.unwrap().is_none(),
        "mallory redeemed carl's code from the history of ana's former DM"
    );
    bot.stop().await;
}
