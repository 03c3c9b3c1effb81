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

/// A room where ana (linked) and bob chat with the bot present.
struct Chatter {
    _ollama: FakeModel,
    h: Harness,
    bot: Bot,
    ana: Human,
    bob: Human,
    room: Room,
    first: OwnedEventId,
    attacks: Vec<(String, String)>,
}

impl Chatter {
    async fn new() -> Self {
        let ollama = FakeModel::start(&[MODEL]).await;
        ollama.by_default(Script::answer("an answer"));
        let (h, bot) = setup(&ollama, Options::default()).await;
        let ana = Human::register(&unique("ana")).await;
        let bob = Human::register(&unique("bob")).await;
        link(&h, &ana, "ana", None).await;
        let room = ana.room_with(&bot.user, false).await;
        let _bob_room = ana.invite(&room, &bob).await;
        let first = ana.say(&room, "hello all").await;
        Self {
            _ollama: ollama,
            h,
            bot,
            ana,
            bob,
            room,
            first,
            attacks: Vec::new(),
        }
    }

    async fn code(&self) -> String {
        carl_code(&self.h).await
    }

    /// ana says `text(code)` in the room, for a fresh code.
    async fn say(&mut self, name: &str, text: impl Fn(&str) -> String) {
        let code = self.code().await;
        self.ana.say(&self.room, &text(&code)).await;
        self.attacks.push((name.to_owned(), code));
    }

    /// ana sends `content(code)` as an event of type `kind`.
    async fn raw(&mut self, name: &str, kind: &str, content: impl Fn(&str) -> Value) {
        let code = self.code().await;
        self.room.send_raw(kind, content(&code)).await.unwrap();
        self.attacks.push((name.to_owned(), code));
    }

    /// ana sends an HTML message, `html(code)`, its plain body innocent.
    async fn html(&mut self, name: &str, html: impl Fn(&str) -> String) {
        use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
        let code = self.code().await;
        self.room
            .send(RoomMessageEventContent::text_html(
                "carl, see the formatted message",
                html(&code),
            ))
            .await
            .unwrap();
        self.attacks.push((name.to_owned(), code));
    }

    async fn check(self) {
        let ollama = self._ollama;
        assert_all_burnt(&self.bot, &self.h, &self.ana, &self.room, &self.attacks).await;
        let requests = serde_json::to_string(&ollama.requests()).unwrap();
        let audit = serde_json::to_string(&self.h.audited("question").await).unwrap();
        for (name, code) in &self.attacks {
            assert!(
                !requests.contains(code.as_str()),
                "{name}: reached the model"
            );
            assert!(!audit.contains(code.as_str()), "{name}: reached the audit");
        }
        drop(self.bob);
        self.bot.stop().await;
    }
}

fn each(code: &str, f: impl Fn(char) -> String) -> String {
    code.chars().filter(|c| *c != '-').map(f).collect()
}

fn interleave(code: &str, seps: &[char]) -> String {
    code.chars()
        .filter(|ch| *ch != '-')
        .enumerate()
        .map(|(i, ch)| format!("{ch}{}", seps[i % seps.len()]))
        .collect()
}

// ---- refused (these pass)

/// Files, images, locations, custom msgtypes, reply fallbacks and both
/// halves of an edit: each is looked at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_in_files_locations_reply_fallbacks_and_edits_are_burnt() {
    let mut c = Chatter::new().await;
    c.raw(
        "m.file, the code as the file's name (body)",
        "m.room.message",
        |k| json!({"msgtype": "m.file", "body": format!("{k}.pdf"), "url": MXC}),
    )
    .await;
    c.raw("m.file, the code in `filename`, an innocent caption", "m.room.message", |k| {
        json!({"msgtype": "m.file", "body": "see attached", "filename": format!("{k}.txt"), "url": MXC})
    })
    .await;
    c.raw("m.image caption", "m.room.message", |k| {
        json!({"msgtype": "m.image", "body": format!("screenshot of {k}"), "filename": "shot.png", "url": MXC})
    })
    .await;
    c.raw("m.location body", "m.room.message", |k| {
        json!({"msgtype": "m.location", "body": format!("meet me, code {k}"), "geo_uri": "geo:48.85,2.35"})
    })
    .await;
    c.raw(
        "a custom msgtype",
        "m.room.message",
        |k| json!({"msgtype": "com.example.memo", "body": format!("memo {k}")}),
    )
    .await;
    let (user, first) = (c.ana.user.clone(), c.first.clone());
    c.raw(
        "reply, code in the plain quoted fallback",
        "m.room.message",
        |k| {
            json!({
                "msgtype": "m.text",
                "body": format!("> <{user}> carl, your code: {k}\n\nthanks!"),
                "m.relates_to": {"m.in_reply_to": {"event_id": first}}
            })
        },
    )
    .await;
    c.raw("reply, code in the HTML <mx-reply> fallback", "m.room.message", |k| {
        json!({
            "msgtype": "m.text",
            "body": "thanks!",
            "format": "org.matrix.custom.html",
            "formatted_body": format!("<mx-reply><blockquote><a href=\"https://matrix.to/#/x\">In reply to</a><br>carl, your code: {k}</blockquote></mx-reply>thanks!"),
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}
        })
    })
    .await;
    let target = c.ana.say(&c.room, "carl, your code follows").await;
    c.raw("edit, code in m.new_content only", "m.room.message", |k| {
        json!({
            "msgtype": "m.text",
            "body": "* (typo fixed)",
            "m.new_content": {"msgtype": "m.text", "body": format!("carl, your code: {k}")},
            "m.relates_to": {"rel_type": "m.replace", "event_id": target}
        })
    })
    .await;
    let target = c.ana.say(&c.room, "carl, your code follows, again").await;
    c.raw(
        "edit, code in the outer fallback body only",
        "m.room.message",
        |k| {
            json!({
                "msgtype": "m.text",
                "body": format!("* carl, your code: {k}"),
                "m.new_content": {"msgtype": "m.text", "body": "(nothing to see)"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": target}
            })
        },
    )
    .await;
    c.check().await;
}

/// Unicode disguises that NFKC or stripping folds back, separators, code
/// spans, the room's name, a stranger's chatter, a question to the bot, an
/// encrypted room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_in_folding_disguises_names_and_encrypted_rooms_are_burnt() {
    let mut c = Chatter::new().await;
    c.say("mathematical bold letters", |k| {
        each(k, |ch| {
            match ch {
                'A'..='Z' => char::from_u32(0x1D400 + (ch as u32 - 'A' as u32)).unwrap(),
                '0'..='9' => char::from_u32(0x1D7CE + (ch as u32 - '0' as u32)).unwrap(),
                o => o,
            }
            .to_string()
        })
    })
    .await;
    c.say("circled letters", |k| {
        each(k, |ch| {
            match ch {
                'A'..='Z' => char::from_u32(0x24B6 + (ch as u32 - 'A' as u32)).unwrap(),
                '0' => '\u{24EA}',
                '1'..='9' => char::from_u32(0x2460 + (ch as u32 - '1' as u32)).unwrap(),
                o => o,
            }
            .to_string()
        })
    })
    .await;
    c.say("a combining long stroke on every character", |k| {
        each(k, |ch| format!("{ch}\u{0336}"))
    })
    .await;
    c.say("soft hyphen, word joiner, BOM", |k| {
        interleave(k, &['\u{00AD}', '\u{2060}', '\u{FEFF}'])
    })
    .await;
    c.say("variation selector, CGJ, invisible times", |k| {
        interleave(k, &['\u{FE0F}', '\u{034F}', '\u{2062}'])
    })
    .await;
    c.say("Hangul filler", |k| interleave(k, &['\u{3164}']))
        .await;
    c.say("Mongolian vowel separator", |k| {
        interleave(k, &['\u{180E}'])
    })
    .await;
    c.say("underscores", |k| interleave(k, &['_'])).await;
    c.say("slashes", |k| interleave(k, &['/'])).await;
    c.say("one character a line", |k| interleave(k, &['\n']))
        .await;
    c.say("no-break and ideographic spaces", |k| {
        interleave(k, &['\u{00A0}', '\u{3000}'])
    })
    .await;
    c.say("markdown code spans", |k| {
        format!("`{}` `{}`", &k[..5], &k[6..])
    })
    .await;
    let code = c.code().await;
    c.room.set_name(format!("onboarding {code}")).await.unwrap();
    c.attacks.push(("the room's name".into(), code));
    // A question to the bot that holds a code.
    let code = c.code().await;
    c.ana
        .mention(&c.room, &c.bot.user, &format!("what is {code} for?"))
        .await;
    c.attacks
        .push(("a question to the bot naming a code".into(), code));
    // An account the bot does not know.
    let stranger = Human::register(&unique("stranger")).await;
    let stranger_room = c.ana.invite(&c.room, &stranger).await;
    let code = c.code().await;
    stranger
        .say(&stranger_room, &format!("carl, here: {code}"))
        .await;
    c.attacks
        .push(("chatter by an account the bot does not know".into(), code));
    // An encrypted room.
    let enc = c.ana.room_with(&c.bot.user, true).await;
    let _bob_enc = c.ana.invite(&enc, &c.bob).await;
    let code = c.code().await;
    c.ana.say(&enc, &format!("carl, your code: {code}")).await;
    sentinel(&c.bot, &c.h, &c.ana, &enc).await;
    c.attacks
        .push(("chatter in an encrypted room".into(), code));
    c.check().await;
}

/// Markup that hides the code from the plain body: comments, attributes,
/// tags between its halves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_codes_in_html_markup_and_attributes_are_burnt() {
    let mut c = Chatter::new().await;
    c.html("an HTML comment inside the code", |k| {
        format!("{}<!-- -->{}", &k[..3], &k[3..])
    })
    .await;
    c.html("in a link's href", |k| {
        format!("<a href=\"https://intranet.example/onboard?code={k}\">your onboarding link</a>")
    })
    .await;
    c.html("in a title attribute", |k| {
        format!("<span title=\"{k}\">hover me, carl</span>")
    })
    .await;
    c.html("in an image's alt text", |k| {
        format!("<img alt=\"{k}\" src=\"{MXC}\">")
    })
    .await;
    c.html("halves split by <br>", |k| {
        format!("{}<br>{}", &k[..5], &k[6..])
    })
    .await;
    c.html("in a <details> block", |k| {
        format!("<details><summary>carl</summary>{k}</details>")
    })
    .await;
    c.html("tags between letters, ASCII dash", |k| {
        format!("<b>{}</b>-<i>{}</i><u>{}</u>", &k[..5], &k[6..8], &k[8..])
    })
    .await;
    c.check().await;
}

// ---- attacks (these fail while the attack works)

/// Stickers and polls are shown to every member like messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_in_a_sticker_or_a_poll_is_burnt() {
    let mut c = Chatter::new().await;
    c.raw(
        "m.sticker body",
        "m.sticker",
        |k| json!({"body": k, "url": MXC, "info": {}}),
    )
    .await;
    c.raw(
        "poll (MSC3381, unstable), code in an answer",
        "org.matrix.msc3381.poll.start",
        |k| {
            json!({
                "org.matrix.msc3381.poll.start": {
                    "question": {"org.matrix.msc1767.text": "Which code is carl's?"},
                    "kind": "org.matrix.msc3381.poll.disclosed",
                    "max_selections": 1,
                    "answers": [
                        {"id": "a", "org.matrix.msc1767.text": k},
                        {"id": "b", "org.matrix.msc1767.text": "none"}
                    ]
                },
                "org.matrix.msc1767.text": "A poll"
            })
        },
    )
    .await;
    c.raw(
        "poll (m.poll.start, stable), code in the question",
        "m.poll.start",
        |k| {
            json!({
                "m.poll": {
                    "kind": "m.disclosed",
                    "max_selections": 1,
                    "question": {"m.text": [{"body": format!("Is {k} carl's?")}]},
                    "answers": [
                        {"m.id": "a", "m.text": [{"body": "yes"}]},
                        {"m.id": "b", "m.text": [{"body": "no"}]}
                    ]
                },
                "m.text": [{"body": "A poll"}]
            })
        },
    )
    .await;
    c.check().await;
}

/// Half the code in one message, the other half in the next: anyone
/// reading the room has the whole code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_split_across_two_messages_is_burnt() {
    let mut c = Chatter::new().await;
    let code = c.code().await;
    c.ana
        .say(&c.room, &format!("carl: first half {}", &code[..5]))
        .await;
    c.ana
        .say(&c.room, &format!("carl: second half {}", &code[6..]))
        .await;
    c.attacks
        .push(("split across two consecutive messages".into(), code));
    c.check().await;
}

/// `&#65;` is an A to every reader of the formatted body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_in_html_character_references_is_burnt() {
    let mut c = Chatter::new().await;
    c.html("decimal character references", |k| {
        k.chars().map(|ch| format!("&#{};", ch as u32)).collect()
    })
    .await;
    c.html("hex character references", |k| {
        k.chars().map(|ch| format!("&#x{:x};", ch as u32)).collect()
    })
    .await;
    c.html("tags between letters, the dash as &ndash;", |k| {
        format!(
            "<b>{}</b>&ndash;<i>{}</i><u>{}</u>",
            &k[..5],
            &k[6..8],
            &k[8..]
        )
    })
    .await;
    c.html("the dash as &#45;", |k| {
        format!("{}&#45;{}", &k[..5], &k[6..])
    })
    .await;
    c.check().await;
}

/// Typographic dashes (as word processors and phones type them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_with_a_typographic_dash_is_burnt() {
    let mut c = Chatter::new().await;
    for (name, dash) in [
        ("en dash", "\u{2013}"),
        ("em dash", "\u{2014}"),
        ("minus sign", "\u{2212}"),
        ("Unicode hyphen", "\u{2010}"),
        ("full-width hyphen-minus", "\u{FF0D}"),
    ] {
        c.say(name, |k| {
            format!("carl, your code: {}{dash}{}", &k[..5], &k[6..])
        })
        .await;
    }
    c.check().await;
}

/// Crockford's base-32 itself reads O as 0 and I or L as 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_written_with_crockford_aliases_is_burnt() {
    let mut c = Chatter::new().await;
    let code = code_with_zero_or_one(&c.h).await;
    let aliased = code.replace('0', "O").replace('1', "I");
    c.ana
        .say(&c.room, &format!("carl, your code: {aliased}"))
        .await;
    c.attacks
        .push((format!("O/I for 0/1 ({code} as {aliased})"), code));
    let code = code_with_zero_or_one(&c.h).await;
    let aliased = code.to_lowercase().replace('0', "o").replace('1', "l");
    c.ana
        .say(&c.room, &format!("carl, your code: {aliased}"))
        .await;
    c.attacks.push((
        format!("o/l for 0/1, lower case ({code} as {aliased})"),
        code,
    ));
    c.check().await;
}

/// Cyrillic letters that look exactly like the Latin ones: a reader sees
/// (and retypes) the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_in_cyrillic_look_alikes_is_burnt() {
    let mut c = Chatter::new().await;
    c.say("Cyrillic look-alike letters", |k| {
        k.chars()
            .map(|ch| match ch {
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
                o => o,
            })
            .collect()
    })
    .await;
    c.check().await;
}

/// An onboarding link with the code percent-encoded in its query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_percent_encoded_in_a_link_is_burnt() {
    let mut c = Chatter::new().await;
    c.say("percent-encoded dash", |k| {
        format!(
            "https://intranet.example/onboard?code={}",
            k.replace('-', "%2D")
        )
    })
    .await;
    c.say("percent-encoded letters", |k| {
        format!(
            "https://intranet.example/onboard?code={}",
            k.chars()
                .map(|ch| format!("%{:02X}", ch as u32))
                .collect::<String>()
        )
    })
    .await;
    c.check().await;
}

/// A stretch: the code written backwards, with the instruction to reverse
/// it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_written_backwards_is_burnt() {
    let mut c = Chatter::new().await;
    c.say("reversed, with the hint", |k| {
        format!(
            "carl, read it backwards: {}",
            k.chars().rev().collect::<String>()
        )
    })
    .await;
    c.check().await;
}

/// A reaction's key is free text every member sees under the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_as_a_reaction_is_burnt() {
    let mut c = Chatter::new().await;
    let code = c.code().await;
    c.ana.react(&c.room, &c.first, &code).await;
    c.attacks.push(("a reaction's key".into(), code));
    c.check().await;
}

/// A display name and a ban's reason are room state every member sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_in_a_display_name_or_a_ban_reason_is_burnt() {
    let mut c = Chatter::new().await;
    let code = c.code().await;
    c.room
        .send_state_event_raw(
            "m.room.member",
            c.ana.user.as_str(),
            json!({"membership": "join", "displayname": format!("ana {code}")}),
        )
        .await
        .unwrap();
    c.attacks
        .push(("ana's display name in the room".into(), code));
    let code = c.code().await;
    let nobody: OwnedUserId = format!("@{}:{}", unique("nobody"), c.ana.user.server_name())
        .parse()
        .unwrap();
    c.room
        .ban_user(&nobody, Some(&format!("carl's code is {code}")))
        .await
        .unwrap();
    c.attacks.push(("a ban's reason".into(), code));
    c.check().await;
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
    let burst =
        tokio::spawn(async move {
            for i in 0..30 {
                ana_room
                .send(matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(
                    format!("chatter {i}: lorem ipsum dolor sit amet"),
                ))
                .await
                .unwrap();
            }
            ana_room
                .send(
                    matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(
                        format!("carl, your code: {sent}"),
                    ),
                )
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
            seen.iter().any(|s| s.room == dm_id && s.sender == bot_user)
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

    for variant in [
        "pending invite",
        "third member joined",
        "world_readable",
        "public join rule",
    ] {
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
            !text.contains(&code)
                && !text.contains(&bare)
                && !text.contains(&code.replace('-', " ")),
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
    let code = carl_code(&h).await;
    ana.say(&dm, &format!("reminder: carl's onboarding code is {code}"))
        .await;
    bot.handled(1).await;
    let live_after_dm = is_live(&h, &code).await;
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
        "mallory redeemed carl's code from the history of ana's former DM (live after the \
         DM message: {live_after_dm})"
    );
    bot.stop().await;
}

/// A code in the rich (HTML) topic and in the room's canonical alias (and,
/// refused correctly, a question to the bot whose formatted body alone
/// holds the code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redteam_a_code_in_a_rich_topic_or_a_room_alias_is_burnt() {
    let mut c = Chatter::new().await;
    let code = c.code().await;
    let content = matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_html(
        format!("{}: what does carl need?", c.bot.user.localpart()),
        format!(
            "{}: what does carl need?<!-- {code} --><span data-mx-spoiler=\"{code}\"></span>",
            c.bot.user.localpart()
        ),
    )
    .add_mentions(matrix_sdk::ruma::events::Mentions::with_user_ids([c
        .bot
        .user
        .clone()]));
    c.room.send(content).await.unwrap();
    c.attacks
        .push(("a question to the bot, code in its HTML only".into(), code));
    let code = c.code().await;
    c.room
        .send_state_event_raw(
            "m.room.topic",
            "",
            json!({
                "topic": "onboarding",
                "m.topic": [
                    {"mimetype": "text/html", "body": format!("onboarding <b>{code}</b>")},
                    {"mimetype": "text/plain", "body": "onboarding"}
                ]
            }),
        )
        .await
        .unwrap();
    c.attacks
        .push(("the rich (m.topic text/html) topic".into(), code));
    let code = c.code().await;
    let alias: matrix_sdk::ruma::OwnedRoomAliasId = format!(
        "#onboard-{}:{}",
        code.to_lowercase(),
        c.ana.user.server_name()
    )
    .parse()
    .unwrap();
    c.ana
        .client
        .create_room_alias(&alias, c.room.room_id())
        .await
        .unwrap();
    c.room
        .send_state_event_raw("m.room.canonical_alias", "", json!({"alias": alias}))
        .await
        .unwrap();
    c.attacks.push(("the room's canonical alias".into(), code));
    c.check().await;
}
