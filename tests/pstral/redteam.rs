//! Red-team attacks on the promises the Matrix adapter makes (README:
//! invite codes, private answers, thread ownership, HTML in formatted
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
use crate::matrix::{Bot, carl_code, is_live, latest_texts, link, setup};
use crate::support::fake_model::{FakeModel, Script};
use crate::synapse::{Human, unique};

// ---------------------------------------------------------------- helpers

/// Waits (without sleeping) until `code` is no longer live, looking again
/// each time the bot finishes an event; false after 60 s.
async fn burnt_eventually(bot: &Bot, h: &Harness, code: &str) -> bool {
    let mut overheard = bot.overheard.clone();
    let mut handled = bot.handled.clone();
    let wait = async {
        loop {
            if !is_live(h, code).await {
                return;
            }
            tokio::select! {
                r = overheard.changed() => r.unwrap(),
                r = handled.changed() => r.unwrap(),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .is_ok()
}

/// Sends an ordinary chatter line with a fresh code and waits until the bot
/// burnt it: everything sent before it in `room` has been looked at.
async fn sentinel(bot: &Bot, h: &Harness, person: &Human, room: &Room) {
    for _ in 0..2 {
        let code = carl_code(h).await;
        person.say(room, &format!("sentinel {code}")).await;
        assert!(
            burnt_eventually(bot, h, &code).await,
            "the sentinel code was never burnt: the harness is broken"
        );
    }
}

/// Waits until the bot has finished `n` more events (handled or
/// overheard) than `before`.
async fn settle(bot: &Bot, before: usize, n: usize) {
    let mut overheard = bot.overheard.clone();
    let mut handled = bot.handled.clone();
    let wait = async {
        loop {
            if *overheard.borrow() + *handled.borrow() >= before + n {
                return;
            }
            tokio::select! {
                r = overheard.changed() => r.unwrap(),
                r = handled.changed() => r.unwrap(),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(90), wait)
        .await
        .unwrap_or_else(|_| panic!("the bot never finished {n} more events"));
}

fn done(bot: &Bot) -> usize {
    *bot.overheard.borrow() + *bot.handled.borrow()
}

/// A code for carl that holds a 0 or a 1 (so that Crockford's aliases
/// O, I and L can stand for them).
async fn code_with_zero_or_one(h: &Harness) -> String {
    for _ in 0..60 {
        let code = carl_code(h).await;
        if code.contains('0') || code.contains('1') {
            return code;
        }
    }
    panic!("no code with a 0 or a 1 in 60 tries");
}

/// Runs every (name, code) attack already sent, after a sentinel, and
/// fails with the list of codes that survived.
async fn assert_all_burnt(
    bot: &Bot,
    h: &Harness,
    person: &Human,
    room: &Room,
    attacks: &[(String, String)],
) {
    sentinel(bot, h, person, room).await;
    let mut survived = Vec::new();
    for (name, code) in attacks {
        if is_live(h, code).await {
            survived.push(name.clone());
        }
    }
    assert!(
        survived.is_empty(),
        "{} of {} codes were readable in the room and are STILL LIVE (redeemable by \
         anyone who read them): {survived:?}",
        survived.len(),
        attacks.len()
    );
}

const MXC: &str = "mxc://example.org/AbCdEfGhIjKlMnOp";

// ---------------------------------------------- 1. invite codes: burning

/// Codes carried by message kinds and relations other than plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_in_other_message_kinds_are_burnt() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let _bob_room = ana.invite(&room, &bob).await;
    let first = ana.say(&room, "hello all").await;
    let mut attacks: Vec<(String, String)> = Vec::new();

    let raw: Vec<(&str, &str, Box<dyn Fn(&str) -> Value>)> = vec![
        (
            "m.file, the code as the file's name (body)",
            "m.room.message",
            Box::new(|c: &str| json!({"msgtype": "m.file", "body": format!("{c}.pdf"), "url": MXC})),
        ),
        (
            "m.file, the code in `filename`, an innocent caption",
            "m.room.message",
            Box::new(|c: &str| {
                json!({"msgtype": "m.file", "body": "see attached", "filename": format!("{c}.txt"), "url": MXC})
            }),
        ),
        (
            "m.image, the code in its caption",
            "m.room.message",
            Box::new(|c: &str| {
                json!({"msgtype": "m.image", "body": format!("screenshot of {c}"), "filename": "shot.png", "url": MXC})
            }),
        ),
        (
            "m.location body",
            "m.room.message",
            Box::new(|c: &str| {
                json!({"msgtype": "m.location", "body": format!("meet me, code {c}"), "geo_uri": "geo:48.85,2.35"})
            }),
        ),
        (
            "a custom msgtype",
            "m.room.message",
            Box::new(|c: &str| json!({"msgtype": "com.example.memo", "body": format!("memo {c}")})),
        ),
        (
            "m.sticker body",
            "m.sticker",
            Box::new(|c: &str| json!({"body": c, "url": MXC, "info": {}})),
        ),
        (
            "poll (MSC3381, unstable), code in an answer",
            "org.matrix.msc3381.poll.start",
            Box::new(|c: &str| {
                json!({
                    "org.matrix.msc3381.poll.start": {
                        "question": {"org.matrix.msc1767.text": "Which code is carl's?"},
                        "kind": "org.matrix.msc3381.poll.disclosed",
                        "max_selections": 1,
                        "answers": [
                            {"id": "a", "org.matrix.msc1767.text": c},
                            {"id": "b", "org.matrix.msc1767.text": "none"}
                        ]
                    },
                    "org.matrix.msc1767.text": "A poll"
                })
            }),
        ),
        (
            "poll (m.poll.start, stable), code in the question",
            "m.poll.start",
            Box::new(|c: &str| {
                json!({
                    "m.poll": {
                        "kind": "m.disclosed",
                        "max_selections": 1,
                        "question": {"m.text": [{"body": format!("Is {c} carl's?")}]},
                        "answers": [
                            {"m.id": "a", "m.text": [{"body": "yes"}]},
                            {"m.id": "b", "m.text": [{"body": "no"}]}
                        ]
                    },
                    "m.text": [{"body": "A poll"}]
                })
            }),
        ),
    ];
    for (name, kind, content) in &raw {
        let code = carl_code(&h).await;
        room.send_raw(kind, content(&code)).await.unwrap();
        attacks.push((name.to_string(), code));
    }

    // A reply whose quoted fallback (plain, then HTML <mx-reply>) holds the
    // code, the reply's own text innocent.
    let code = carl_code(&h).await;
    room.send_raw(
        "m.room.message",
        json!({
            "msgtype": "m.text",
            "body": format!("> <{}> carl, your code: {code}\n\nthanks!", ana.user),
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}
        }),
    )
    .await
    .unwrap();
    attacks.push(("reply, code in the plain quoted fallback".into(), code));
    let code = carl_code(&h).await;
    room.send_raw(
        "m.room.message",
        json!({
            "msgtype": "m.text",
            "body": "thanks!",
            "format": "org.matrix.custom.html",
            "formatted_body": format!("<mx-reply><blockquote><a href=\"https://matrix.to/#/x\">In reply to</a><br>carl, your code: {code}</blockquote></mx-reply>thanks!"),
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}
        }),
    )
    .await
    .unwrap();
    attacks.push(("reply, code in the HTML <mx-reply> fallback".into(), code));

    // Edits: the code in m.new_content only (what clients show), and in the
    // outer fallback only (what clients without edits show).
    let code = carl_code(&h).await;
    let target = ana.say(&room, "carl, your code follows").await;
    room.send_raw(
        "m.room.message",
        json!({
            "msgtype": "m.text",
            "body": "* (typo fixed)",
            "m.new_content": {"msgtype": "m.text", "body": format!("carl, your code: {code}")},
            "m.relates_to": {"rel_type": "m.replace", "event_id": target}
        }),
    )
    .await
    .unwrap();
    attacks.push(("edit, code in m.new_content only".into(), code));
    let code = carl_code(&h).await;
    let target = ana.say(&room, "carl, your code follows, again").await;
    room.send_raw(
        "m.room.message",
        json!({
            "msgtype": "m.text",
            "body": format!("* carl, your code: {code}"),
            "m.new_content": {"msgtype": "m.text", "body": "(nothing to see)"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": target}
        }),
    )
    .await
    .unwrap();
    attacks.push(("edit, code in the outer fallback body only".into(), code));

    // A code split across two messages, one right after the other.
    let code = carl_code(&h).await;
    ana.say(&room, &format!("carl: first half {}", &code[..5]))
        .await;
    ana.say(&room, &format!("carl: second half {}", &code[6..]))
        .await;
    attacks.push(("split across two consecutive messages".into(), code));

    assert_all_burnt(&bot, &h, &ana, &room, &attacks).await;
    bot.stop().await;
}

/// Codes written in ways a person reads at once as the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_in_disguised_spellings_are_burnt() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let _bob_room = ana.invite(&room, &bob).await;
    let mut attacks: Vec<(String, String)> = Vec::new();

    fn each(code: &str, f: impl Fn(char) -> String) -> String {
        code.chars().filter(|c| *c != '-').map(f).collect()
    }
    fn cyrillic(c: char) -> String {
        match c {
            'A' => 'А',
            'B' => 'В',
            'C' => 'С',
            'E' => 'Е',
            'H' => 'Н',
            'K' => 'К',
            'M' => 'М',
            'P' => 'Р',
            'T' => 'Т',
            'X' => 'Х',
            other => other,
        }
        .to_string()
    }
    fn math_bold(c: char) -> String {
        match c {
            'A'..='Z' => char::from_u32(0x1D400 + (c as u32 - 'A' as u32)).unwrap(),
            '0'..='9' => char::from_u32(0x1D7CE + (c as u32 - '0' as u32)).unwrap(),
            other => other,
        }
        .to_string()
    }
    fn circled(c: char) -> String {
        match c {
            'A'..='Z' => char::from_u32(0x24B6 + (c as u32 - 'A' as u32)).unwrap(),
            '0' => '\u{24EA}',
            '1'..='9' => char::from_u32(0x2460 + (c as u32 - '1' as u32)).unwrap(),
            other => other,
        }
        .to_string()
    }

    let spellings: Vec<(&str, Box<dyn Fn(&str) -> String>)> = vec![
        ("Cyrillic look-alike letters", Box::new(|c| each(c, cyrillic))),
        ("mathematical bold letters", Box::new(|c| each(c, math_bold))),
        ("circled letters", Box::new(|c| each(c, circled))),
        (
            "a combining long stroke on every character",
            Box::new(|c| each(c, |ch| format!("{ch}\u{0336}"))),
        ),
        (
            "soft hyphen, word joiner and BOM between characters",
            Box::new(|c| {
                let seps = ['\u{00AD}', '\u{2060}', '\u{FEFF}'];
                c.chars()
                    .filter(|ch| *ch != '-')
                    .enumerate()
                    .map(|(i, ch)| format!("{ch}{}", seps[i % 3]))
                    .collect()
            }),
        ),
        (
            "variation selector, combining grapheme joiner, invisible times",
            Box::new(|c| {
                let seps = ['\u{FE0F}', '\u{034F}', '\u{2062}'];
                c.chars()
                    .filter(|ch| *ch != '-')
                    .enumerate()
                    .map(|(i, ch)| format!("{ch}{}", seps[i % 3]))
                    .collect()
            }),
        ),
        (
            "Hangul filler between characters",
            Box::new(|c| each(c, |ch| format!("{ch}\u{3164}"))),
        ),
        (
            "Mongolian vowel separator between characters",
            Box::new(|c| each(c, |ch| format!("{ch}\u{180E}"))),
        ),
        ("underscores", Box::new(|c| each(c, |ch| format!("{ch}_")))),
        ("slashes", Box::new(|c| each(c, |ch| format!("{ch}/")))),
        ("commas", Box::new(|c| each(c, |ch| format!("{ch}, ")))),
        (
            "one character a line",
            Box::new(|c| each(c, |ch| format!("{ch}\n"))),
        ),
        (
            "no-break and ideographic spaces",
            Box::new(|c| each(c, |ch| format!("{ch}\u{00A0}\u{3000}"))),
        ),
        (
            "percent-encoded dash in a link",
            Box::new(|c| format!("https://intranet.example/onboard?code={}", c.replace('-', "%2D"))),
        ),
        (
            "percent-encoded letters in a link",
            Box::new(|c| {
                format!(
                    "https://intranet.example/onboard?code={}",
                    c.chars()
                        .map(|ch| format!("%{:02X}", ch as u32))
                        .collect::<String>()
                )
            }),
        ),
        (
            "markdown code spans",
            Box::new(|c| format!("`{}` `{}`", &c[..5], &c[6..])),
        ),
        (
            "reversed (\"read it backwards\")",
            Box::new(|c| {
                format!(
                    "carl, read it backwards: {}",
                    c.chars().rev().collect::<String>()
                )
            }),
        ),
    ];
    for (name, spell) in &spellings {
        let code = carl_code(&h).await;
        ana.say(&room, &format!("carl, your code: {}", spell(&code)))
            .await;
        attacks.push((name.to_string(), code));
    }

    // Crockford's aliases: O for 0, I and L for 1, as the code's alphabet
    // itself allows (and as a redeemer may type).
    let code = code_with_zero_or_one(&h).await;
    let aliased = code.replace('0', "O").replace('1', "I");
    ana.say(&room, &format!("carl, your code: {aliased}")).await;
    attacks.push((format!("Crockford aliases O/I ({aliased})"), code));
    let code = code_with_zero_or_one(&h).await;
    let aliased = code.to_lowercase().replace('0', "o").replace('1', "l");
    ana.say(&room, &format!("carl, your code: {aliased}")).await;
    attacks.push((format!("Crockford aliases o/l, lower case ({aliased})"), code));

    assert_all_burnt(&bot, &h, &ana, &room, &attacks).await;
    bot.stop().await;
}

/// Codes in the HTML formatted body only, the plain body innocent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_hidden_in_html_are_burnt() {
    use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let _bob_room = ana.invite(&room, &bob).await;
    let mut attacks: Vec<(String, String)> = Vec::new();

    let html: Vec<(&str, Box<dyn Fn(&str) -> String>)> = vec![
        (
            "decimal character references",
            Box::new(|c| c.chars().map(|ch| format!("&#{};", ch as u32)).collect()),
        ),
        (
            "hex character references",
            Box::new(|c| c.chars().map(|ch| format!("&#x{:x};", ch as u32)).collect()),
        ),
        (
            "an HTML comment inside the code",
            Box::new(|c| format!("{}<!-- -->{}", &c[..3], &c[3..])),
        ),
        (
            "in a link's href",
            Box::new(|c| format!("<a href=\"https://intranet.example/onboard?code={c}\">your onboarding link</a>")),
        ),
        (
            "in a title attribute (hover text)",
            Box::new(|c| format!("<span title=\"{c}\">hover me, carl</span>")),
        ),
        (
            "in an image's alt text",
            Box::new(|c| format!("<img alt=\"{c}\" src=\"{MXC}\">")),
        ),
        (
            "halves split by <br>",
            Box::new(|c| format!("{}<br>{}", &c[..5], &c[6..])),
        ),
        (
            "named entity for the dash, tags between letters",
            Box::new(|c| {
                format!(
                    "<b>{}</b>&ndash;<i>{}</i><u>{}</u>",
                    &c[..5],
                    &c[6..8],
                    &c[8..]
                )
            }),
        ),
        (
            "in a <details> block",
            Box::new(|c| format!("<details><summary>carl</summary>{c}</details>")),
        ),
    ];
    for (name, f) in &html {
        let code = carl_code(&h).await;
        room.send(RoomMessageEventContent::text_html(
            "carl, see the formatted message",
            f(&code),
        ))
        .await
        .unwrap();
        attacks.push((name.to_string(), code));
    }
    assert_all_burnt(&bot, &h, &ana, &room, &attacks).await;
    bot.stop().await;
}

/// Codes in room state and annotations every member sees, by people the bot
/// does not know, and in an encrypted room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_in_room_state_reactions_and_from_strangers_are_burnt() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    let stranger = Human::register(&unique("stranger")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let _bob_room = ana.invite(&room, &bob).await;
    let stranger_room = ana.invite(&room, &stranger).await;
    let first = ana.say(&room, "welcome carl").await;
    let mut attacks: Vec<(String, String)> = Vec::new();

    let code = carl_code(&h).await;
    room.set_name(format!("onboarding {code}")).await.unwrap();
    attacks.push(("the room's name".into(), code));

    let code = carl_code(&h).await;
    ana.react(&room, &first, &code).await;
    attacks.push(("a reaction's key (free text, shown to all)".into(), code));

    let code = carl_code(&h).await;
    room.send_state_event_raw(
        "m.room.member",
        ana.user.as_str(),
        json!({"membership": "join", "displayname": format!("ana {code}")}),
    )
    .await
    .unwrap();
    attacks.push(("ana's display name in the room".into(), code));

    let code = carl_code(&h).await;
    let nobody: OwnedUserId = format!("@{}:{}", unique("nobody"), ana.user.server_name())
        .parse()
        .unwrap();
    room.ban_user(&nobody, Some(&format!("carl's code is {code}")))
        .await
        .unwrap();
    attacks.push(("a ban's reason".into(), code));

    let code = carl_code(&h).await;
    stranger
        .say(&stranger_room, &format!("carl, here: {code}"))
        .await;
    attacks.push(("chatter by an account the bot does not know".into(), code));

    // A question to the bot that holds a code (in a room): burnt, and the
    // model never sees it.
    let code = carl_code(&h).await;
    ana.mention(&room, &bot.user, &format!("what is {code} for?"))
        .await;
    attacks.push(("a question to the bot naming a code".into(), code.clone()));

    // In an encrypted room the bot reads.
    let enc = ana.room_with(&bot.user, true).await;
    let _bob_enc = ana.invite(&enc, &bob).await;
    let enc_code = carl_code(&h).await;
    ana.say(&enc, &format!("carl, your code: {enc_code}")).await;
    sentinel(&bot, &h, &ana, &enc).await;
    attacks.push(("chatter in an encrypted room".into(), enc_code));

    assert_all_burnt(&bot, &h, &ana, &room, &attacks).await;
    let requests = serde_json::to_string(&ollama.requests()).unwrap();
    let audit = serde_json::to_string(&h.audited("question").await).unwrap();
    for (name, code) in &attacks {
        assert!(!requests.contains(code.as_str()), "{name}: reached the model");
        assert!(!audit.contains(code.as_str()), "{name}: reached the audit");
    }
    bot.stop().await;
}

/// An eavesdropper's client redeems a code the instant its sync shows it,
/// while the bot is busy with a burst of chatter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_an_automated_eavesdropper_cannot_outrun_the_burn() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let _mallory_room = ana.invite(&room, &mallory).await;
    let dm = mallory.dm_with(&bot.user).await;
    // A burst of chatter, then the code.
    let code = carl_code(&h).await;
    let ana_room = room.clone();
    let sent = code.clone();
    let burst = tokio::spawn(async move {
        for i in 0..30 {
            ana_room
                .send(matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(
                    format!("chatter {i}: lorem ipsum dolor sit amet"),
                ))
                .await
                .unwrap();
        }
        ana_room
            .send(matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(
                format!("carl, your code: {sent}"),
            ))
            .await
            .unwrap();
    });
    let room_id = room.room_id().to_owned();
    let wanted = code.clone();
    mallory
        .wait_for("the code in the room", |seen| {
            seen.iter()
                .any(|s| s.room == room_id && s.body.contains(wanted.as_str()))
        })
        .await;
    let before = done(&bot);
    mallory.say(&dm, &format!("!link {code}")).await;
    burst.await.unwrap();
    settle(&bot, before, 1).await;
    let bot_user = bot.user.clone();
    let dm_id = dm.room_id().to_owned();
    mallory
        .wait_for("the bot's answer to the link", |seen| {
            seen.iter()
                .any(|s| s.room == dm_id && s.sender == bot_user)
        })
        .await;
    let mallory_id = format!("matrix:{}", mallory.user).parse().unwrap();
    let linked = h.directory.user_of(&mallory_id).await.unwrap();
    assert!(
        linked.is_none(),
        "mallory's client redeemed carl's code before the bot burnt it"
    );
    bot.stop().await;
}

// ------------------------------------ 1b. codes in "DMs" that are not private

/// A room flagged as a DM by its maker, made private-looking, but that a
/// third account can read: a code written there must be burnt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_in_a_dm_someone_else_can_read_is_burnt() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    let pending = Human::register(&unique("pending")).await;
    pending.ignore_invites();
    link(&h, &ana, "ana", None).await;
    let mut attacks: Vec<(String, String)> = Vec::new();
    let mut reports = Vec::new();

    for variant in ["pending invite", "third member joined", "world_readable", "public join rule"] {
        let dm = ana.dm_with(&bot.user).await;
        match variant {
            "pending invite" => dm.invite_user_by_id(&pending.user).await.unwrap(),
            "third member joined" => {
                ana.invite(&dm, &mallory).await;
            }
            "world_readable" => {
                dm.send_state_event_raw(
                    "m.room.history_visibility",
                    "",
                    json!({"history_visibility": "world_readable"}),
                )
                .await
                .unwrap();
            }
            _ => {
                dm.send_state_event_raw("m.room.join_rules", "", json!({"join_rule": "public"}))
                    .await
                    .unwrap();
            }
        }
        let code = carl_code(&h).await;
        let before = done(&bot);
        ana.say(&dm, &format!("note to self, carl's code: {code}"))
            .await;
        settle(&bot, before, 1).await;
        let burnt = burnt_eventually(&bot, &h, &code).await;
        reports.push(format!("{variant}: burnt={burnt}"));
        attacks.push((variant.to_owned(), code));
    }
    // Anyone who read one of them now tries it.
    let mallory_dm = mallory.dm_with(&bot.user).await;
    let bot_user = bot.user.clone();
    let mallory_id = format!("matrix:{}", mallory.user).parse().unwrap();
    let mut redeemed = Vec::new();
    for (variant, code) in &attacks {
        if !is_live(&h, code).await {
            continue;
        }
        let before = done(&bot);
        mallory.say(&mallory_dm, &format!("link {code}")).await;
        settle(&bot, before, 1).await;
        if h.directory.user_of(&mallory_id).await.unwrap().is_some() {
            redeemed.push(variant.clone());
            break;
        }
    }
    let _ = bot_user;
    let ana_id = format!("matrix:{}", ana.user).parse().unwrap();
    assert!(
        h.directory.user_of(&ana_id).await.unwrap().is_some(),
        "ana is still linked"
    );
    let survived: Vec<_> = {
        let mut v = Vec::new();
        for (variant, code) in &attacks {
            if is_live(&h, code).await {
                v.push(variant.clone());
            }
        }
        v
    };
    assert!(
        redeemed.is_empty() && survived.is_empty(),
        "codes written in 'DMs' others can read: mallory redeemed via {redeemed:?}; still \
         live: {survived:?}; {reports:?}"
    );
    bot.stop().await;
}

/// A code in a real DM, inside a question: never sent to the model, kept in
/// the history, or audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_inside_a_dm_question_never_reaches_the_model() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("an answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &bob, "bob", None).await;
    let dm = bob.dm_with(&bot.user).await;
    let code = carl_code(&h).await;
    let spaced = code.replace('-', " ").to_lowercase();
    bob.say(
        &dm,
        &format!("I found this in my mail: {spaced}. Is it an invite code or a ticket number?"),
    )
    .await;
    bot.handled(1).await;
    bob.say(&dm, "and what did I just ask you?").await;
    bot.handled(2).await;
    let requests = serde_json::to_string(&ollama.requests())
        .unwrap()
        .to_uppercase();
    let audit = serde_json::to_string(&h.audited("question").await)
        .unwrap()
        .to_uppercase();
    let bare = code.replace('-', "");
    for (what, text) in [("model", &requests), ("audit", &audit)] {
        assert!(
            !text.contains(&code) && !text.contains(&bare) && !text.contains(&code.replace('-', " ")),
            "the code reached the {what}: {text}"
        );
    }
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
                dm.send_state_event_raw("m.room.guest_access", "", json!({"guest_access": "can_join"}))
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

    // A new room: the question is sent the moment the room exists, before
    // the bot has had a chance to accept the invite.
    let mut request = CreateRoom::new();
    request.invite = vec![bot.user.clone()];
    request.preset = Some(RoomPreset::PrivateChat);
    let race = ana.client.create_room(request).await.unwrap();
    ana.say_mentioning(&race, &bot.user, "RACED-JOIN: are you there yet?")
        .await;
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

async fn ask_in_thread(
    ana: &Human,
    bot: &Bot,
    room: &Room,
    root: &OwnedEventId,
    text: &str,
    expect: &str,
) {
    ana.in_thread(room, root, &format!("{}: {text}", bot.user))
        .await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    let expect = expect.to_owned();
    ana.wait_for("the answer in the thread", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t == &expect)
    })
    .await;
}

/// Whether anything the bot sent that `person` sees (text or file) holds
/// `secret`.
fn bot_revealed(person: &Human, bot: &OwnedUserId, secret: &str) -> bool {
    person.seen().iter().any(|s| {
        &s.sender == bot
            && (s.body.contains(secret)
                || s.formatted.as_deref().is_some_and(|f| f.contains(secret))
                || s
                    .file
                    .as_ref()
                    .is_some_and(|(_, bytes)| String::from_utf8_lossy(bytes).contains(secret)))
    })
}

/// mallory, who never asked in ana's thread, tries to export it: after a
/// reaction, after chatter in it, as a reply to the bot's answer, from
/// another room by reply, and after asking in another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_an_outsider_cannot_export_someone_elses_conversation() {
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

    // ana's thread.
    let root = ana.say(&room, "Q3 numbers").await;
    ask_in_thread(&ana, &bot, &room, &root, "SECRET-THREAD-Q: our churn by client?", "ANSWER-ONE").await;
    // ana's main-timeline conversation (a mention, answered by a reply).
    ana.mention(&room, &bot.user, "SECRET-MAIN-Q: the margin of Dupont SA?")
        .await;
    wait_text(&ana, &room_id, &bot_user, "ANSWER-TWO").await;
    let main_answer = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t == "ANSWER-TWO")
        .unwrap()
        .0;
    let thread_answer = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t == "ANSWER-ONE")
        .unwrap()
        .0;
    let mut leaks = Vec::new();

    let attempt = |what: &'static str| what;
    // a) mallory only reacted in the thread.
    mallory.react(&mallory_room, &thread_answer, "👍").await;
    let before = *bot.handled.borrow();
    mallory
        .in_thread(&mallory_room, &root, "!export")
        .await;
    bot.handled(before + 1).await;
    flush(&mallory, &mallory_room, &bot).await;
    if bot_revealed(&mallory, &bot.user, "SECRET-THREAD-Q") {
        leaks.push(attempt("after a reaction, !export in the thread"));
    }
    // b) mallory chats in the thread (not to the bot), then exports as json.
    mallory
        .in_thread(&mallory_room, &root, "nice numbers, ana")
        .await;
    let before = *bot.handled.borrow();
    mallory
        .in_thread(&mallory_room, &root, "!export json")
        .await;
    bot.handled(before + 1).await;
    flush(&mallory, &mallory_room, &bot).await;
    if bot_revealed(&mallory, &bot.user, "SECRET-THREAD-Q") {
        leaks.push(attempt("after chatter, !export json in the thread"));
    }
    // c) a reply to the bot's main-timeline answer to ana.
    let before = *bot.handled.borrow();
    mallory
        .reply(&mallory_room, &main_answer, &bot.user, "!export")
        .await;
    bot.handled(before + 1).await;
    flush(&mallory, &mallory_room, &bot).await;
    if bot_revealed(&mallory, &bot.user, "SECRET-MAIN-Q") {
        leaks.push(attempt("!export as a reply to the bot's answer to ana"));
    }
    // d) from mallory's own room with the bot, a reply to the bot's answer
    // in ana's room (event ids are no secret: permalinks carry them).
    let own = mallory.room_with(&bot.user, false).await;
    let before = *bot.handled.borrow();
    mallory
        .reply(&own, &main_answer, &bot.user, "!export")
        .await;
    mallory
        .reply(&own, &thread_answer, &bot.user, "!export")
        .await;
    // and a thread in her room rooted at ana's thread root, if Synapse lets
    // it through.
    let mut content =
        matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain("!export");
    content.relates_to = Some(matrix_sdk::ruma::events::room::message::Relation::Thread(
        matrix_sdk::ruma::events::relation::Thread::plain(root.clone(), root.clone()),
    ));
    let cross_thread = own.send(content).await.is_ok();
    eprintln!("cross-room thread relation accepted by Synapse: {cross_thread}");
    let _ = before;
    flush(&mallory, &own, &bot).await;
    if bot_revealed(&mallory, &bot.user, "SECRET-MAIN-Q")
        || bot_revealed(&mallory, &bot.user, "SECRET-THREAD-Q")
    {
        leaks.push(attempt("!export from another room, by reply/thread to ana's events"));
    }
    // e) mallory asked in a thread of her own; exports ana's.
    let mroot = mallory.say(&mallory_room, "my topic").await;
    mallory
        .in_thread(&mallory_room, &mroot, &format!("{}: my own question", bot.user))
        .await;
    let mroom_id = mallory_room.room_id().to_owned();
    let mroot2 = mroot.clone();
    mallory
        .wait_for("her answer", |seen| {
            seen.iter().any(|s| {
                s.room == mroom_id && s.sender == bot_user && s.thread.as_ref() == Some(&mroot2)
            })
        })
        .await;
    let before = *bot.handled.borrow();
    mallory.in_thread(&mallory_room, &root, "!export").await;
    bot.handled(before + 1).await;
    flush(&mallory, &mallory_room, &bot).await;
    if bot_revealed(&mallory, &bot.user, "SECRET-THREAD-Q") {
        leaks.push(attempt("after asking in another thread, !export in ana's"));
    }
    for s in mallory.seen().iter().filter(|s| s.sender == bot.user) {
        eprintln!("mallory saw from the bot: {:?} {:?}", s.body, s.file.as_ref().map(|f| &f.0));
    }
    assert!(leaks.is_empty(), "ana's conversation exported to mallory: {leaks:?}");
    bot.stop().await;
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

/// Makes sure what the bot sent before now has reached `person`: asks a
/// `!help` in `room` and waits for its answer.
async fn flush(person: &Human, room: &Room, bot: &Bot) {
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

/// mallory changes the mode of ana's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_an_outsider_cannot_change_the_mode_of_someone_elses_thread() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.by_default(Script::answer("ANSWERED"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &mallory, "bob", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let mallory_room = ana.invite(&room, &mallory).await;
    let root = ana.say(&room, "topic").await;
    ana.in_thread(&room, &root, &format!("{}: first", bot.user))
        .await;
    bot.handled(1).await;
    let system = |r: &Value| r["messages"][0].to_string();
    let first = system(&ollama.requests()[0]);
    let mut changed = Vec::new();
    for (i, mode) in ["!mode chat", "!mode sql"].iter().enumerate() {
        mallory.react(&mallory_room, &root, "👀").await;
        let before = *bot.handled.borrow();
        mallory.in_thread(&mallory_room, &root, mode).await;
        bot.handled(before + 1).await;
        let before = *bot.handled.borrow();
        ana.in_thread(&room, &root, &format!("{}: question {i}", bot.user))
            .await;
        bot.handled(before + 1).await;
        let now = system(ollama.requests().last().unwrap());
        if now != first {
            changed.push(*mode);
        }
    }
    for s in mallory.seen().iter().filter(|s| s.sender == bot.user) {
        eprintln!("mallory saw from the bot: {:?}", s.body);
    }
    assert!(
        changed.is_empty(),
        "mallory changed the mode of ana's thread with {changed:?}"
    );
    bot.stop().await;
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
        "onerror",
        "data-mx-bg-color",
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
        hits.iter().map(|(f, b)| format!("{b} in {f}")).collect::<Vec<_>>()
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
    ana.say(&dm, "repeat after me: <img src=https://evil.example/echo.png>")
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
