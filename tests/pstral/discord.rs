//! The Discord adapter end to end: serenity as in production (its
//! ratelimiter on), the real bot, the fake Ollama, and the fake Discord over
//! HTTPS and a gateway WebSocket. Users act by gateway events; what the bot
//! did is read from the fake's record of REST calls and its messages.

use std::sync::Arc;
use std::time::Duration;

use pstral_chat::{Connector, EventHandler, PlatformError};
use pstral_core::audit::Actor;
use pstral_core::identity::Role;
use pstral_core::identity::UnknownPolicy;
use pstral_discord::{Discord, DiscordConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::answers::{Harness, MODEL, Options, numbered_words, who};
use crate::support::fake_discord::{APP, BOT, CHANNEL, FakeDiscord, TOKEN};
use crate::support::fake_model::{FakeModel, Script};

mod offered_sql;

pub(crate) const ANA: u64 = 1; // executor
const CARL: u64 = 3; // viewer
const DANA: u64 = 4; // admin

/// The bot, counting the events it has finished handling, so that a test
/// can wait for the end of the work (the audit record comes last) rather
/// than guess.
pub(crate) struct Counting {
    pub(crate) bot: pstral_core::bot::Bot,
    pub(crate) handled: tokio::sync::watch::Sender<usize>,
}

impl Counting {
    /// The handler, and the count of events handled.
    pub(crate) fn new(bot: pstral_core::bot::Bot) -> (Self, tokio::sync::watch::Receiver<usize>) {
        let (handled, handled_rx) = tokio::sync::watch::channel(0);
        (Self { bot, handled }, handled_rx)
    }
}

#[async_trait::async_trait]
impl EventHandler for Counting {
    async fn handle(
        &self,
        platform: Arc<dyn pstral_chat::ChatPlatform>,
        event: pstral_chat::InboundEvent,
    ) {
        self.bot.handle(platform, event).await;
        self.handled.send_modify(|n| *n += 1);
    }
}

pub(crate) struct Connected {
    h: Harness,
    state: tokio::sync::watch::Receiver<pstral_chat::ConnectionState>,
    handled: tokio::sync::watch::Receiver<usize>,
    pub(crate) discord: FakeDiscord,
    stop: CancellationToken,
    served: tokio::task::JoinHandle<Result<(), PlatformError>>,
}

impl Connected {
    pub(crate) async fn new(ollama: &FakeModel, options: Options) -> Self {
        let discord = FakeDiscord::start().await;
        let h = Harness::new(&[ollama.url()], options).await;
        let directory = crate::support::directory(&h.db.store);
        directory
            .add_user("dana", Role::Admin, Actor::cli())
            .await
            .unwrap();
        directory
            .link("dana", &who(DANA), Actor::cli())
            .await
            .unwrap();
        let config = DiscordConfig {
            token: TOKEN.to_owned(),
            guilds: Vec::new(),
            global_commands: false,
            autoshard: true,
            labels: std::sync::Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
            http_client: Some(discord.http_client()),
            proxy: None,
        };
        let stop = CancellationToken::new();
        let (counting, handled) = Counting::new(h.bot.clone());
        let handler: Arc<dyn EventHandler> = Arc::new(counting);
        let (state_tx, state) =
            tokio::sync::watch::channel(pstral_chat::ConnectionState::Connecting);
        let served =
            tokio::spawn(Box::new(Discord::new(config)).serve(handler, state_tx, stop.clone()));
        discord
            .wait_until("the slash commands registered", |d| {
                !d.calls_to("PUT", "/commands").is_empty()
            })
            .await;
        // Accepted as Discord accepts them (valid locales, lengths).
        let registered = discord.calls_to("PUT", "/commands");
        assert!(registered.iter().all(|c| c.status == 200), "{registered:?}");
        Self {
            h,
            state,
            handled,
            discord,
            stop,
            served,
        }
    }

    /// Waits until the bot's message `id` shows `text`, complete (no cursor,
    /// no Stop button).
    pub(crate) async fn wait_for_final(&self, what: &str, id: u64, text: &str) {
        self.discord
            .wait_until(what, |d| {
                d.message(id).is_some_and(|m| {
                    m["content"] == text && !m["components"].to_string().contains("\"ps\"")
                })
            })
            .await;
    }

    /// The bot's first message in `channel` after `count` earlier ones.
    pub(crate) async fn nth_bot_message(&self, channel: u64, n: usize) -> Value {
        self.discord
            .wait_until("a message from the bot", |d| {
                d.bot_messages_in(channel).len() > n
            })
            .await;
        self.discord.bot_messages_in(channel)[n].clone()
    }

    /// Waits until the bot has finished handling `n` events in all.
    async fn handled(&self, n: usize) {
        let mut handled = self.handled.clone();
        tokio::time::timeout(Duration::from_secs(60), handled.wait_for(|&h| h >= n))
            .await
            .unwrap_or_else(|_| panic!("the bot never finished {n} events"))
            .unwrap();
    }

    async fn disconnect(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.served)
            .await
            .expect("the connector stops when told")
            .unwrap()
            .unwrap();
    }
}

fn id_of(message: &Value) -> u64 {
    message["id"].as_str().unwrap().parse().unwrap()
}

fn chat_options() -> Options {
    Options::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_is_answered_by_edits_that_end_in_the_models_answer() {
    let ollama = FakeModel::start(&[MODEL]).await;
    // About 300 tokens, a little apart, as a model writes them.
    let answer = numbered_words("w", 300);
    ollama.then(Script::answer(&answer).every(Duration::from_millis(10)));
    let c = Connected::new(&ollama, chat_options()).await;

    let question = c
        .discord
        .say(ANA, CHANNEL, &format!("<@{BOT}> count to 300"), true);
    let reply = c.nth_bot_message(CHANNEL, 0).await;
    assert_eq!(
        reply["message_reference"]["message_id"],
        question.to_string(),
        "the placeholder replies to the question"
    );
    let id = id_of(&reply);
    c.wait_for_final("the final answer", id, &answer).await;
    assert_eq!(
        ollama.questions().last().unwrap(),
        "count to 300",
        "the mention is not part of the question"
    );

    // What one 300-token answer costs in REST calls, and how long after the
    // model's last token the final text was on Discord.
    let calls = c.discord.calls();
    let posts = calls
        .iter()
        .filter(|k| {
            k.method == "POST" && k.path.ends_with(&format!("/channels/{CHANNEL}/messages"))
        })
        .count();
    let edits: Vec<_> = calls
        .iter()
        .filter(|k| k.method == "PATCH" && k.path.ends_with(&format!("/messages/{id}")))
        .collect();
    let final_edit = edits
        .iter()
        .find(|k| k.body["content"] == answer.as_str())
        .expect("an edit with the final text");
    let last_token = ollama.sent().last().unwrap().0;
    eprintln!(
        "discord: a 300-token answer took {posts} post(s) and {} edit(s); the final text was sent {:?} after the last token",
        edits.len(),
        final_edit.at.saturating_duration_since(last_token)
    );
    assert_eq!(posts, 1);
    assert!(edits.iter().all(|k| k.status == 200), "no edit was refused");
    assert!(
        edits.len() < 40,
        "edits are coalesced, not one per token: {}",
        edits.len()
    );
    // The Stop button was there while it was written.
    assert!(
        edits
            .iter()
            .any(|k| k.body["components"].to_string().contains("\"ps\""))
    );
    assert!(calls.iter().all(|k| k.status != 401));
    c.disconnect().await;
}

fn fences_balanced(text: &str) -> bool {
    text.lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count()
        % 2
        == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5000_character_answer_is_three_messages_with_balanced_fences() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let mut answer = String::from("Here is the script:\n```python\n");
    while answer.len() < 4980 {
        answer.push_str(&format!("print('line {}')\n", answer.len()));
    }
    answer.push_str("```\nDone.");
    ollama.then(Script::answer(&answer));
    let c = Connected::new(&ollama, chat_options()).await;
    c.discord
        .say(ANA, CHANNEL, &format!("<@{BOT}> a long script"), true);
    let first = c.nth_bot_message(CHANNEL, 0).await;
    c.discord
        .wait_until("three complete messages", |d| {
            let messages = d.bot_messages_in(CHANNEL);
            messages.len() == 3
                && messages
                    .iter()
                    .all(|m| !m["content"].as_str().unwrap().contains('▍'))
                && messages[2]["content"].as_str().unwrap().ends_with("Done.")
                && !messages[0]["components"].to_string().contains("\"ps\"")
        })
        .await;
    let messages = c.discord.bot_messages_in(CHANNEL);
    for m in &messages {
        let text = m["content"].as_str().unwrap();
        assert!(text.chars().count() <= 2000, "{}", text.chars().count());
        assert!(fences_balanced(text), "{text}");
    }
    assert_eq!(id_of(&messages[0]), id_of(&first));
    let all: String = messages
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    for line in answer.lines().filter(|l| l.starts_with("print(")) {
        assert!(all.contains(line), "lost: {line}");
    }
    assert!(
        c.discord.calls().iter().all(|k| k.status != 400),
        "nothing over 2,000 characters was sent"
    );
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_429s_delays_edits_but_the_last_one_applied_is_the_final_text() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let answer = numbered_words("t", 120);
    ollama.then(Script::answer(&answer).every(Duration::from_millis(25)));
    let c = Connected::new(&ollama, chat_options()).await;
    c.discord.rate_limit_next_edits(4);
    c.discord.say(ANA, CHANNEL, &format!("<@{BOT}> go"), true);
    let id = id_of(&c.nth_bot_message(CHANNEL, 0).await);
    c.wait_for_final("the final answer after the storm", id, &answer)
        .await;
    let edits: Vec<_> = c.discord.calls_to("PATCH", &format!("/messages/{id}"));
    let limited = edits.iter().filter(|k| k.status == 429).count();
    assert_eq!(limited, 4, "the storm happened");
    // Every edit refused was sent again and accepted (serenity obeys
    // Retry-After), and no older text came after a newer one.
    let accepted: Vec<&str> = edits
        .iter()
        .filter(|k| k.status == 200)
        .filter_map(|k| k.body["content"].as_str())
        .collect();
    for refused in edits.iter().filter(|k| k.status == 429) {
        let text = refused.body["content"].as_str().unwrap();
        let retried = accepted.contains(&text) || accepted.iter().any(|t| t.len() > text.len());
        assert!(retried, "an edit was lost: {text:?}");
    }
    let lengths: Vec<usize> = accepted
        .iter()
        .map(|t| t.trim_end_matches(pstral_chat::STREAMING_CURSOR).len())
        .collect();
    assert!(
        lengths.windows(2).all(|w| w[0] <= w[1]),
        "an older text overwrote a newer one: {lengths:?}"
    );
    assert_eq!(*accepted.last().unwrap(), answer);
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_closed_mid_answer_is_resumed_and_the_answer_completes() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let answer = numbered_words("r", 60);
    ollama.then(Script::answer(&answer).every(Duration::from_millis(50)));
    ollama.then(Script::answer("Still here."));
    let c = Connected::new(&ollama, chat_options()).await;
    c.discord
        .say(ANA, CHANNEL, &format!("<@{BOT}> slowly"), true);
    let id = id_of(&c.nth_bot_message(CHANNEL, 0).await);
    c.discord
        .wait_until("a first edit", |d| {
            !d.calls_to("PATCH", &format!("/messages/{id}")).is_empty()
        })
        .await;
    assert_eq!(*c.state.borrow(), pstral_chat::ConnectionState::Connected);
    c.discord.close_gateway(4000);
    c.discord
        .wait_until("a RESUME", |d| d.gateway_counts().1 == 1)
        .await;
    c.wait_for_final("the answer, completed", id, &answer).await;
    // Events after the resume arrive too.
    c.discord
        .say(ANA, CHANNEL, &format!("<@{BOT}> still there?"), true);
    let second = id_of(&c.nth_bot_message(CHANNEL, 1).await);
    c.wait_for_final("the answer after the resume", second, "Still here.")
        .await;
    assert_eq!(
        c.discord.gateway_counts().0,
        1,
        "resumed, not identified again"
    );
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_is_answered_in_the_dm_and_nowhere_else() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Privately yours."));
    let c = Connected::new(&ollama, chat_options()).await;
    c.discord.say_in_dm(ANA, "what is our margin?");
    let dm = c.discord.dm_channel(ANA);
    let id = id_of(&c.nth_bot_message(dm, 0).await);
    c.wait_for_final("the answer in the DM", id, "Privately yours.")
        .await;
    assert!(c.discord.bot_messages_in(CHANNEL).is_empty());
    let place = c.h.audited("question").await;
    assert_eq!(place.len(), 1);
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_not_addressed_to_the_bot_is_left_alone() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Answer one."));
    let c = Connected::new(&ollama, chat_options()).await;
    c.discord.say(ANA, CHANNEL, "talking to colleagues", false);
    // A reply to the bot's answer is for the bot, without a mention.
    c.discord
        .say(ANA, CHANNEL, &format!("<@{BOT}> first"), true);
    let first = c.nth_bot_message(CHANNEL, 0).await;
    c.wait_for_final("the first answer", id_of(&first), "Answer one.")
        .await;
    c.handled(1).await;
    ollama.then(Script::answer("Answer two."));
    c.discord.reply(ANA, CHANNEL, id_of(&first), "and then?");
    let second = c.nth_bot_message(CHANNEL, 1).await;
    c.wait_for_final("the second answer", id_of(&second), "Answer two.")
        .await;
    let questions = ollama.questions();
    assert_eq!(questions, vec!["first", "and then?"]);
    // The reply chain is the history.
    let last = ollama.requests().last().unwrap().clone();
    assert!(last["messages"].to_string().contains("Answer one."));
    c.disconnect().await;
}

fn callbacks(c: &Connected, token: &str) -> Vec<crate::support::fake_discord::Call> {
    c.discord.calls_to("POST", &format!("/{token}/callback"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_answers_an_admin_privately_and_refuses_anyone_else() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let c = Connected::new(&ollama, chat_options()).await;
    let recent = json!([{"name": "recent", "type": 1, "options": []}]);

    let token = c.discord.slash(DANA, CHANNEL, "audit", recent.clone());
    c.discord
        .wait_until("the admin's answer", |d| {
            !d.calls_to(
                "PATCH",
                &format!("/webhooks/{APP}/{token}/messages/@original"),
            )
            .is_empty()
        })
        .await;
    let deferred = &callbacks(&c, &token)[0];
    assert_eq!(deferred.body["type"], 5);
    assert_eq!(
        deferred.body["data"]["flags"], 64,
        "visible to the admin only"
    );
    let answer = &c.discord.calls_to(
        "PATCH",
        &format!("/webhooks/{APP}/{token}/messages/@original"),
    )[0];
    let text = answer.body["content"].as_str().unwrap();
    assert!(text.contains("newest matching audit events"), "{text}");
    assert!(text.contains("user_changed"), "{text}");

    let token = c.discord.slash(ANA, CHANNEL, "audit", recent);
    c.discord
        .wait_until("the refusal", |d| {
            !d.calls_to(
                "PATCH",
                &format!("/webhooks/{APP}/{token}/messages/@original"),
            )
            .is_empty()
        })
        .await;
    let refusal = &c.discord.calls_to(
        "PATCH",
        &format!("/webhooks/{APP}/{token}/messages/@original"),
    )[0];
    assert!(
        refusal.body["content"]
            .as_str()
            .unwrap()
            .contains("needs the admin role"),
        "{:?}",
        refusal.body
    );
    let reads = c.h.audited("admin_read").await;
    assert_eq!(reads.len(), 1, "only the admin read the audit");
    assert_eq!(reads[0]["via"], "chat");
    assert_eq!(c.h.audited("access_refused").await[0]["needed"], "admin");
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_discord_and_readyz_shows_the_connection() {
    let discord = FakeDiscord::start().await;
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Served by pstral run."));
    let db = crate::support::TestDb::sqlite().await;
    let mut settings = pstral_core::config::Settings::defaults();
    settings.database = db.settings.clone();
    settings.identity.unknown = UnknownPolicy::AutoViewer;
    settings.llm.endpoints = vec![pstral_core::llm::EndpointSettings::ollama(
        url::Url::parse(&format!("{}/", ollama.url())).unwrap(),
    )];
    let data = tempfile::tempdir().unwrap();
    settings.sql.target = pstral_core::sql::Target {
        name: "demo".into(),
        kind: pstral_core::sql::TargetKind::Sqlite(data.path().join("demo.db")),
        instructions_file: None,
        // The scripted answer is the model's own: no plan asked first.
        semantic: pstral_core::sql::SemanticSource::Off,
        today: None,
        weigh_plans: true,
        accounts: Vec::new(),
    };
    let config = DiscordConfig {
        token: TOKEN.to_owned(),
        guilds: Vec::new(),
        global_commands: false,
        autoshard: true,
        labels: std::sync::Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
        http_client: Some(discord.http_client()),
        proxy: None,
    };
    let serving = crate::support::Serving::start_with(
        settings,
        vec![Box::new(Discord::new(config)) as Box<dyn Connector>],
    )
    .await;
    discord
        .wait_until("the slash commands registered", |d| {
            !d.calls_to("PUT", "/commands").is_empty()
        })
        .await;
    let registered = discord.calls_to("PUT", "/commands");
    assert!(registered.iter().all(|c| c.status == 200), "{registered:?}");
    let ready: Value = reqwest::get(format!("{}/readyz", serving.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let platform = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "platform discord")
        .cloned()
        .unwrap_or_else(|| panic!("{ready}"));
    assert_eq!(platform["state"], "up", "{ready}");

    discord.say(ANA, CHANNEL, &format!("<@{BOT}> hello"), true);
    discord
        .wait_until("the answer", |d| {
            d.bot_messages_in(CHANNEL)
                .iter()
                .any(|m| m["content"] == "Served by pstral run.")
        })
        .await;
    serving.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_shows_the_question_and_the_answer_replies_to_it() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Asked by slash."));
    let c = Connected::new(&ollama, chat_options()).await;
    let token = c.discord.slash(
        ANA,
        CHANNEL,
        "ask",
        json!([{"name": "question", "type": 3, "value": "how many clients?"}]),
    );
    let answer = c.nth_bot_message(CHANNEL, 0).await;
    c.wait_for_final("the answer", id_of(&answer), "Asked by slash.")
        .await;
    c.handled(1).await;
    let shown = c
        .discord
        .original_of(&token)
        .expect("the question stays shown");
    assert!(
        shown["content"]
            .as_str()
            .unwrap()
            .contains("how many clients?"),
        "{shown}"
    );
    assert_eq!(
        answer["message_reference"]["message_id"], shown["id"],
        "the answer replies to the question"
    );
    assert_eq!(
        callbacks(&c, &token)[0].body["type"],
        5,
        "deferred, visible"
    );
    assert_eq!(ollama.questions(), vec!["how many clients?"]);
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_command_answered_privately_leaves_no_thinking_message() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let c = Connected::new(&ollama, chat_options()).await;
    let token = c.discord.slash(ANA, CHANNEL, "help", json!([]));
    c.handled(1).await;
    let help = c
        .discord
        .original_of(&token)
        .expect("the help is the response");
    assert_eq!(help["flags"], 64, "visible to the asker only");
    assert!(
        help["content"]
            .as_str()
            .unwrap()
            .contains("Ask me a question")
    );
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_said_in_a_channel_works_only_for_the_account_it_names() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let c = Connected::new(&ollama, chat_options()).await;
    const ERIN: u64 = 12;
    const MALLORY: u64 = 9;
    let directory = &c.h.directory;
    directory
        .add_user("erin", Role::Executor, Actor::cli())
        .await
        .unwrap();
    let code = directory
        .create_invite("erin", &who(ERIN), Actor::cli())
        .await
        .unwrap()
        .code;
    // Dana hands it to Erin in the channel; Erin tries it there, to the bot.
    c.discord
        .say(DANA, CHANNEL, &format!("erin: your code is {code}"), false);
    c.discord
        .say(ERIN, CHANNEL, &format!("<@{BOT}> link {code}"), true);
    c.handled(1).await;
    let told = c
        .discord
        .bot_messages_in(CHANNEL)
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect::<String>();
    assert!(told.contains("direct message"), "{told}");
    // Mallory read it, and sends it to the bot in a DM, as written and in
    // other forms, more often than attempts allow: it does nothing for her.
    for written in [
        code.clone(),
        code.to_lowercase(),
        code.replace('-', " "),
        code.clone(),
        code.clone(),
        code.clone(),
    ] {
        c.discord.say_in_dm(MALLORY, &format!("link {written}"));
    }
    c.handled(7).await;
    assert!(directory.user_of(&who(MALLORY)).await.unwrap().is_none());
    // Still Erin's: neither spoilt by being said in the channel nor locked
    // by Mallory's attempts.
    c.discord.say_in_dm(ERIN, &format!("link {code}"));
    c.handled(8).await;
    assert_eq!(
        directory.user_of(&who(ERIN)).await.unwrap().unwrap().name,
        "erin"
    );
    let refused = c.h.audited("access_refused").await;
    let audit = serde_json::to_string(&refused).unwrap();
    assert!(!audit.contains(&code), "no code in the audit");
    assert!(ollama.requests().is_empty(), "no code reached the model");
    c.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threads_conversation_is_not_exported_for_someone_who_never_asked_in_it() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Margins are private."));
    let c = Connected::new(&ollama, chat_options()).await;
    let thread = c.discord.thread();
    c.discord.say(
        ANA,
        thread,
        &format!("<@{BOT}> what are our margins?"),
        true,
    );
    c.handled(1).await;
    // carl, who never asked there, asks for the export in the thread.
    let token = c.discord.slash(
        CARL,
        thread,
        "export",
        json!([{"name": "format", "type": 3, "value": "json"}]),
    );
    let said = |d: &FakeDiscord, token: &str| -> String {
        d.calls()
            .into_iter()
            .filter(|k| k.path.contains(token))
            .map(|k| k.body.to_string())
            .collect()
    };
    c.discord
        .wait_until("the refusal", |d| {
            said(d, &token).contains("belongs to the people who asked in it")
        })
        .await;
    c.handled(2).await;
    assert!(
        !c.discord.calls().iter().any(
            |k| k.body.to_string().contains("what are our margins?") && k.path.contains(&token)
        ),
        "nothing of ana's question reached carl"
    );
    let changed = c.h.audited("conversation_changed").await;
    assert!(changed.is_empty(), "{changed:#?}");
    c.disconnect().await;
}

/// Takes events and does nothing with them.
struct Deaf;

#[async_trait::async_trait]
impl EventHandler for Deaf {
    async fn handle(&self, _: Arc<dyn pstral_chat::ChatPlatform>, _: pstral_chat::InboundEvent) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_unreachable_at_start_is_waited_for_and_a_refused_token_stops() {
    use pstral_chat::ConnectionState;
    let discord = FakeDiscord::start().await;
    discord.down_for_next_calls(2);
    let config = |token: &str| DiscordConfig {
        token: token.to_owned(),
        guilds: Vec::new(),
        global_commands: false,
        autoshard: true,
        labels: Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
        http_client: Some(discord.http_client()),
        proxy: None,
    };
    let stop = CancellationToken::new();
    let (state_tx, mut state) = tokio::sync::watch::channel(ConnectionState::Connecting);
    let served = tokio::spawn(Box::new(Discord::new(config(TOKEN))).serve(
        Arc::new(Deaf),
        state_tx,
        stop.clone(),
    ));
    // Said while it waits, then connected once Discord answers again.
    let waited = tokio::time::timeout(
        Duration::from_secs(30),
        state.wait_for(|s| matches!(s, ConnectionState::Reconnecting(_))),
    )
    .await
    .expect("the state says Discord cannot be reached")
    .unwrap()
    .clone();
    assert!(
        matches!(&waited, ConnectionState::Reconnecting(why) if why.contains("503")),
        "{waited:?}"
    );
    tokio::time::timeout(
        Duration::from_secs(30),
        state.wait_for(|s| *s == ConnectionState::Connected),
    )
    .await
    .expect("connected once Discord answers")
    .unwrap();
    stop.cancel();
    served.await.unwrap().unwrap();

    // A token Discord refuses is no outage: the adapter stops, saying why.
    let (state_tx, state) = tokio::sync::watch::channel(ConnectionState::Connecting);
    let refused = tokio::time::timeout(
        Duration::from_secs(30),
        Box::new(Discord::new(config("not-the-token"))).serve(
            Arc::new(Deaf),
            state_tx,
            CancellationToken::new(),
        ),
    )
    .await
    .expect("a refused token stops at once");
    assert!(refused.is_err());
    assert!(
        matches!(&*state.borrow(), ConnectionState::Stopped(why) if why.contains("401")),
        "{:?}",
        state.borrow()
    );
}
