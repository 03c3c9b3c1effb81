//! Questions answered end to end: the real bot, the fake Ollama over HTTP,
//! and the recording platform standing in for a chat.

use std::sync::Arc;
use std::time::Duration;

use pstral_chat::recording::RecordingPlatform;
use pstral_chat::{
    ChatPlatform, Command, ControlKind, InboundEvent, Limits, MessageRef, OutboundAction, Place,
    PlatformIdentity,
};
use pstral_core::audit::{Actor, Audit};
use pstral_core::bot::{Bot, BotParts, NoTarget};
use pstral_core::conversation::ConversationSettings;
use pstral_core::conversation::{Conversations, Mode, Prompts};
use pstral_core::i18n::Lang;
use pstral_core::identity::{Directory, Role};
use pstral_core::llm::{Api, Endpoint, EndpointSettings, Llm, ModelOptions, Timeouts};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use crate::support::TestDb;
use crate::support::fake_model::{End, FakeModel, Script};

mod admission;
mod failures;

pub(crate) const MODEL: &str = "qwen2.5-coder:7b";

pub(crate) struct Harness {
    pub(crate) db: TestDb,
    pub(crate) bot: Bot,
    /// The bot's users, as the CLI manages them.
    pub(crate) directory: Directory,
    audit: Audit,
    pub(crate) platform: Arc<RecordingPlatform>,
    llm: Llm,
    asked: std::sync::atomic::AtomicU64,
}

pub(crate) struct Options {
    pub(crate) limits: Limits,
    pub(crate) timeouts: Timeouts,
    pub(crate) concurrency: usize,
    pub(crate) max_history: u32,
    pub(crate) sql: Option<pstral_core::sql_target::SqlRuntime>,
    /// The API every endpoint speaks.
    pub(crate) api: Api,
    pub(crate) model: String,
    pub(crate) temperature: f64,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) api_key: Option<String>,
    pub(crate) mode: Mode,
    /// The model the examples and questions are embedded with, if any.
    pub(crate) embedding_model: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: Limits {
                max_message_chars: 2000,
                min_edit_interval: Duration::from_millis(40),
                edit_allowance: pstral_chat::Allowance::per_channel(5, Duration::from_millis(40)),
                buttons: true,
                command_prefix: "/",
            },
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                first_token: Duration::from_secs(20),
                idle: Duration::from_secs(20),
            },
            concurrency: 1,
            max_history: 10,
            sql: None,
            api: Api::Ollama,
            model: MODEL.to_owned(),
            temperature: 0.2,
            max_tokens: None,
            api_key: None,
            mode: Mode::Sql,
            embedding_model: None,
        }
    }
}

impl Options {
    /// Every endpoint speaks `api`.
    pub(crate) fn speaking(api: Api) -> Self {
        Self {
            api,
            ..Self::default()
        }
    }
}

/// `n` words `{prefix}0 {prefix}1 …`: an answer whose every piece is
/// recognisable, about one token a word.
pub(crate) fn numbered_words(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{prefix}{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn who(n: u64) -> PlatformIdentity {
    format!("discord:{n}").parse().unwrap()
}

pub(crate) fn channel() -> Place {
    Place {
        platform: "discord".parse().unwrap(),
        channel: "1100".to_owned(),
        thread: None,
        private: false,
    }
}

impl Harness {
    /// A local user `name` with `role`, linked to the chat account `who(n)`.
    pub(crate) async fn person(&self, n: u64, name: &str, role: Role) {
        self.directory
            .add_user(name, role, Actor::cli())
            .await
            .unwrap();
        self.directory
            .link(name, &who(n), Actor::cli())
            .await
            .unwrap();
    }

    /// `question` asked as `pstral eval` asks it (`way`) on `runtime`, its
    /// rows judged against `gold`'s.
    pub(crate) async fn evaluate(
        &self,
        runtime: &pstral_core::sql_target::SqlRuntime,
        way: pstral_core::eval::Way,
        question: &str,
        gold: &str,
    ) -> pstral_core::eval::CaseReport {
        let evaluation = pstral_core::eval::Evaluation {
            runtime,
            audit: &self.audit,
            llm: self.bot.llm(),
            prompts: &Prompts::new(None),
            lang: Lang::En,
            way,
            alone: false,
        };
        evaluation
            .run(&pstral_core::eval::Case {
                id: None,
                question: question.to_owned(),
                earlier: None,
                language: None,
                gold: gold.to_owned(),
            })
            .await
    }

    pub(crate) async fn new(endpoints: &[String], options: Options) -> Self {
        let db = TestDb::sqlite().await;
        let audit = Audit::new(db.store.clone());
        let directory = crate::support::directory(&db.store)
            .with_audit(audit.clone())
            .with_groups(
                &options
                    .sql
                    .as_ref()
                    .map(|s| s.readers.rules.group_names())
                    .unwrap_or_default(),
            );
        let people = [
            (1, "ana", Role::Executor),
            (2, "bob", Role::Executor),
            (3, "carl", Role::Viewer),
        ];
        for (n, name, role) in people {
            directory.add_user(name, role, Actor::cli()).await.unwrap();
            directory.link(name, &who(n), Actor::cli()).await.unwrap();
        }
        let clients = endpoints
            .iter()
            .map(|e| {
                Endpoint::new(
                    EndpointSettings {
                        url: Url::parse(&format!("{e}/")).unwrap(),
                        api: options.api,
                        model: None,
                        api_key: options.api_key.clone().map(SecretString::from),
                    },
                    ModelOptions {
                        model: options.model.clone(),
                        num_ctx: 8192,
                        temperature: options.temperature,
                        keep_alive: Duration::from_secs(1800),
                        max_tokens: options.max_tokens,
                    },
                    options.timeouts,
                )
                .unwrap()
            })
            .collect();
        let llm = Llm::new(clients, options.concurrency, 100)
            .with_embedding_model(options.embedding_model.clone());
        let bot = Bot::new(BotParts {
            audit: audit.clone(),
            directory: directory.clone(),
            conversations: Conversations::new(db.store.clone()),
            llm: llm.clone(),
            prompts: Prompts::new(None),
            settings: ConversationSettings {
                default_mode: options.mode,
                channel_modes: Vec::new(),
                max_history: options.max_history,
                prompts_dir: None,
                retention: None,
            },
            lang: Lang::En,
            sql_dialect: options
                .sql
                .as_ref()
                .map_or(pstral_core::sql::Dialect::Oracle, |s| s.policy.dialect),
            // A runtime without examples of its own gets this database's.
            sql: options.sql.ok_or(NoTarget::NotConfigured).map(|mut sql| {
                if sql.learning.is_none() {
                    sql.learning = Some(Arc::new(pstral_core::learn::Learning::stored(
                        pstral_core::learn::examples::Examples::new(db.store.clone()),
                        &sql.target,
                        None,
                    )));
                }
                sql
            }),
            replica: pstral_core::replicas::Replica::alone(db.store.clone()),
        });
        Self {
            db,
            bot,
            directory,
            audit,
            platform: Arc::new(RecordingPlatform::new("discord", options.limits)),
            llm,
            asked: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(crate) fn question(
        &self,
        author: u64,
        text: &str,
        in_reply_to: Option<&str>,
    ) -> InboundEvent {
        let n = self
            .asked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InboundEvent::Message {
            author: who(author),
            message: MessageRef {
                place: channel(),
                id: format!("q{n}"),
            },
            in_reply_to: in_reply_to.map(str::to_owned),
            text: text.to_owned(),
        }
    }

    pub(crate) async fn ask(&self, author: u64, text: &str) {
        let event = self.question(author, text, None);
        self.bot.handle(self.platform.clone(), event).await;
    }

    pub(crate) fn spawn_ask(&self, author: u64, text: &str) -> tokio::task::JoinHandle<()> {
        let event = self.question(author, text, None);
        let (bot, platform) = (self.bot.clone(), self.platform.clone());
        tokio::spawn(async move { bot.handle(platform, event).await })
    }

    /// The bot's messages (its posts), with their current text.
    pub(crate) fn answers(&self) -> Vec<(MessageRef, String)> {
        self.platform.messages()
    }

    /// What the bot said to `to` alone (ephemeral replies, DMs), in order.
    pub(crate) fn said_privately(&self, to: u64) -> Vec<String> {
        self.platform
            .actions()
            .into_iter()
            .filter_map(|a| match a.action {
                OutboundAction::ReplyPrivately { to: t, text, .. } if t == who(to) => Some(text),
                _ => None,
            })
            .collect()
    }

    /// Another bot on the same database, model and users, as the next
    /// process after this one died: a replica of its own, in the chat
    /// mode, without Execute.
    pub(crate) fn restarted(&self) -> Bot {
        Bot::new(BotParts {
            audit: self.audit.clone(),
            directory: self.directory.clone(),
            conversations: Conversations::new(self.db.store.clone()),
            llm: self.llm.clone(),
            prompts: Prompts::new(None),
            settings: ConversationSettings {
                default_mode: pstral_core::conversation::Mode::Chat,
                channel_modes: Vec::new(),
                max_history: 10,
                prompts_dir: None,
                retention: None,
            },
            lang: Lang::En,
            sql_dialect: pstral_core::sql::Dialect::Sqlite,
            sql: Err(NoTarget::NotConfigured),
            replica: pstral_core::replicas::Replica::alone(self.db.store.clone()),
        })
    }

    pub(crate) async fn audited(&self, kind: &str) -> Vec<Value> {
        crate::support::audited(&self.audit, kind).await
    }

    /// The events of `kind` once there are `n` of them: the audit is read
    /// again until then (a platform's own events, such as the bot's
    /// redactions, make "events handled" no measure of a use case's end).
    pub(crate) async fn audited_at_least(&self, kind: &str, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            let events = self.audited(kind).await;
            if events.len() >= n {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "fewer than {n} {kind} events: {events:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

fn fences_balanced(text: &str) -> bool {
    text.lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count()
        % 2
        == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_final_text_is_the_model_answer_byte_for_byte() {
    // Multi-byte characters, and every line (or event) cut in two chunks
    // mid-line, on either API.
    let tokens = [
        "Voilà ",
        "les ",
        "clients ",
        "de ",
        "Besançon",
        " 🇫🇷",
        " : ",
        "日本",
        "語",
        " <ok> & fin.",
    ];
    for api in APIS {
        let fake = FakeModel::start(&[MODEL]).await;
        fake.then(
            Script::tokens(tokens)
                .split_lines()
                .every(Duration::from_millis(5)),
        );
        let h = Harness::new(&[base(&fake, api)], Options::speaking(api)).await;
        h.ask(1, "Quels clients à Besançon ?").await;
        let answers = h.answers();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].1, tokens.concat(), "{api:?}");

        let request = &fake.requests()[0];
        assert_eq!(request["model"], MODEL);
        assert_eq!(request["stream"], true);
        let messages = request["messages"].as_array().unwrap();
        assert_eq!(messages[0]["role"], "system");
        assert!(
            messages[0]["content"].as_str().unwrap().contains("Oracle"),
            "sql mode's prompt"
        );
        assert_eq!(
            messages.last().unwrap()["content"],
            "Quels clients à Besançon ?"
        );

        let answered = h.audited("answer").await;
        assert_eq!(answered[0]["ending"], "complete");
        assert_eq!(answered[0]["text"], tokens.concat());
        assert_eq!(
            h.audited("question").await[0]["text"],
            "Quels clients à Besançon ?"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_coalesced_and_never_closer_than_the_platform_allows_before_the_final_text() {
    let fake = FakeModel::start(&[MODEL]).await;
    let tokens: Vec<String> = (0..80).map(|i| format!("mot{i} ")).collect();
    fake.then(Script::tokens(tokens.clone()).every(Duration::from_millis(5)));
    let mut options = Options::default();
    options.limits.min_edit_interval = Duration::from_millis(100);
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Une longue réponse").await;
    let (message, text) = h.answers().remove(0);
    assert_eq!(text, tokens.concat());
    // The final text goes as soon as the allowance holds an edit, which it
    // keeps for it; the changes before it keep the interval.
    let history = h.platform.history_of(&message.id);
    let (_, before_final) = history.split_last().unwrap();
    for pair in before_final.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_millis(100),
            "two changes {gap:?} apart"
        );
    }
    assert!(
        history.len() < tokens.len() / 2,
        "{} changes for {} tokens",
        history.len(),
        tokens.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_answer_continues_in_further_messages_with_balanced_fences() {
    let fake = FakeModel::start(&[MODEL]).await;
    let mut answer = String::from("Voici la requête demandée, avec ses explications.\n\n```sql\n");
    for i in 0..50 {
        answer.push_str(&format!(
            "SELECT c.nom, c.ville, SUM(p.montant) AS total_{i} FROM clients c\n"
        ));
    }
    answer.push_str("```\n\n");
    for i in 0..40 {
        answer.push_str(&format!(
            "Explication numéro {i} de la requête, phrase assez longue. "
        ));
    }
    assert!(answer.chars().count() > 5000);
    fake.then(Script::answer(&answer));
    let mut options = Options::default();
    options.limits.min_edit_interval = Duration::from_millis(5);
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Total des paiements par client").await;

    let answers = h.answers();
    assert!(answers.len() >= 3, "{} messages", answers.len());
    for (i, (_, text)) in answers.iter().enumerate() {
        assert!(
            text.chars().count() <= 2000,
            "message {i} has {} chars",
            text.chars().count()
        );
        assert!(
            fences_balanced(text),
            "message {i} has unbalanced fences:\n{text}"
        );
    }
    assert!(
        answers[1].1.starts_with("```sql\n"),
        "the SQL block is reopened with its language"
    );
    // The messages, without the fences added at the cuts, are the answer.
    covers(
        &answer,
        &answers.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
    );
    assert_eq!(h.audited("answer").await[0]["text"], answer);
    // Every cut is at a line end or a space, never inside a word.
    for (_, text) in &answers[..answers.len() - 1] {
        let last = text.trim_end_matches("```").chars().last().unwrap();
        assert!(last.is_whitespace(), "cut after {last:?}");
    }
}

/// Checks that `parts`, each without a fence line reopened at its start and
/// a fence closed at its end by the split, are `answer` in order.
pub fn covers(answer: &str, parts: &[&str]) {
    let mut at = 0;
    for (i, part) in parts.iter().enumerate() {
        let rest = &answer[at..];
        let mut core = *part;
        if core.starts_with("```") && !rest.starts_with(core.lines().next().unwrap_or_default()) {
            core = core.split_once('\n').map_or("", |(_, after)| after);
        }
        if !rest.starts_with(core) {
            core = core.strip_suffix("```").unwrap_or(core);
            if !rest.starts_with(core) {
                core = core.strip_suffix('\n').unwrap_or(core);
            }
        }
        assert!(
            rest.starts_with(core),
            "part {i} is not the answer's continuation:\n{part}"
        );
        at += core.len();
    }
    assert_eq!(at, answer.len(), "the parts cover the whole answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_the_generation_closes_the_stream_and_says_so() {
    let fake = FakeModel::start(&[MODEL]).await;
    let tokens: Vec<String> = (0..400).map(|i| format!("t{i} ")).collect();
    fake.then(Script::tokens(tokens).every(Duration::from_millis(10)));
    let h = Harness::new(&[fake.url()], Options::default()).await;
    let answering = h.spawn_ask(1, "Raconte une longue histoire");
    fake.wait_until("a few tokens", |f| f.sent().len() >= 5)
        .await;
    let placeholder = h.answers()[0].0.clone();
    let stop = InboundEvent::Control {
        actor: who(1),
        message: placeholder.clone(),
        control: ControlKind::Stop,
        event: None,
    };
    h.bot.handle(h.platform.clone(), stop).await;
    answering.await.unwrap();
    let text = h.platform.text_of(&placeholder.id).unwrap();
    assert!(text.starts_with("t0 t1 "), "{text}");
    assert!(text.ends_with("⏹ Stopped."), "{text}");
    fake.wait_until("the stream closed", |f| f.closed_early() == 1)
        .await;
    assert!(fake.sent().len() < 400);
    assert_eq!(h.audited("answer").await[0]["ending"], "stopped");
    let withdrawn = h.platform.actions().iter().any(|a| {
        matches!(
            &a.action,
            OutboundAction::WithdrawControl {
                control: ControlKind::Stop,
                ..
            }
        )
    });
    assert!(withdrawn, "the Stop control is taken back");
}

/// Under an allowance as tight as Synapse's default, the Stop control (a
/// reaction, and its withdrawal: two events) would make the answer's final
/// text wait: it is left out, and the answer arrives whole at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_tight_allowance_the_stop_control_is_not_worth_the_final_texts_wait() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::answer("a short answer"));
    let mut options = Options::default();
    options.limits.edit_allowance = pstral_chat::Allowance {
        burst: 2,
        refill: Duration::from_secs(3600),
        scope: pstral_chat::AllowanceScope::Account,
        posts_count: true,
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "une question").await;
    let placeholder = h.answers()[0].0.clone();
    assert_eq!(
        h.platform.text_of(&placeholder.id).unwrap(),
        "a short answer"
    );
    let stop_control = h.platform.actions().into_iter().any(|a| {
        matches!(
            a.action,
            OutboundAction::ShowControl {
                control: ControlKind::Stop,
                ..
            } | OutboundAction::WithdrawControl {
                control: ControlKind::Stop,
                ..
            }
        )
    });
    assert!(!stop_control, "no Stop control offered nor taken back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_shutdown_answers_still_being_written_end_with_a_note_not_half_an_edit() {
    let fake = FakeModel::start(&[MODEL]).await;
    let tokens: Vec<String> = (0..400).map(|i| format!("t{i} ")).collect();
    fake.then(Script::tokens(tokens).every(Duration::from_millis(10)));
    let h = Harness::new(&[fake.url()], Options::default()).await;
    let answering = h.spawn_ask(1, "Raconte une longue histoire");
    fake.wait_until("a few tokens", |f| f.sent().len() >= 5)
        .await;
    assert_eq!(h.bot.stop_all(), 1);
    answering.await.unwrap();
    let placeholder = h.answers()[0].0.clone();
    let text = h.platform.text_of(&placeholder.id).unwrap();
    assert!(text.ends_with("⏹ Stopped."), "{text}");
    let answer = &h.audited("answer").await[0];
    assert_eq!(answer["ending"], "stopped");
    assert_eq!(answer["stopped_by"], "shutdown");
    assert_eq!(h.bot.stop_all(), 0, "nothing is left running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_asker_or_an_admin_may_stop_an_answer() {
    let fake = FakeModel::start(&[MODEL]).await;
    let tokens: Vec<String> = (0..100).map(|i| format!("t{i} ")).collect();
    fake.then(Script::tokens(tokens.clone()).every(Duration::from_millis(5)));
    let h = Harness::new(&[fake.url()], Options::default()).await;
    let answering = h.spawn_ask(1, "question d'ana");
    fake.wait_until("a token", |f| !f.sent().is_empty()).await;
    let placeholder = h.answers()[0].0.clone();
    let by_bob = InboundEvent::Control {
        actor: who(2),
        message: placeholder.clone(),
        control: ControlKind::Stop,
        event: None,
    };
    h.bot.handle(h.platform.clone(), by_bob).await;
    answering.await.unwrap();
    assert_eq!(
        h.platform.text_of(&placeholder.id).unwrap(),
        tokens.concat()
    );
    let told_bob = h.platform.actions().iter().any(|a| {
        matches!(&a.action, OutboundAction::ReplyPrivately { to, text, .. } if *to == who(2) && text.contains("Only the person who asked"))
    });
    assert!(told_bob);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stop_command_stops_the_asker_s_answer_and_the_record_says_who() {
    let fake = FakeModel::start(&[MODEL]).await;
    let tokens: Vec<String> = (0..400).map(|i| format!("t{i} ")).collect();
    fake.then(Script::tokens(tokens).every(Duration::from_millis(10)));
    let h = Harness::new(&[fake.url()], Options::default()).await;
    let answering = h.spawn_ask(1, "Longue réponse");
    fake.wait_until("a token", |f| !f.sent().is_empty()).await;
    let stop = InboundEvent::Command {
        in_reply_to: None,
        author: who(1),
        place: channel(),
        message: None,
        command: Command::Stop,
    };
    h.bot.handle(h.platform.clone(), stop).await;
    answering.await.unwrap();
    let answer = h.audited("answer").await.remove(0);
    assert_eq!(answer["ending"], "stopped");
    assert_eq!(answer["stopped_by"], "discord:1");
}

/// The two APIs a model server may speak.
pub(crate) const APIS: [Api; 2] = [Api::Ollama, Api::OpenAi];

/// Where `fake` serves `api`.
pub(crate) fn base(fake: &FakeModel, api: Api) -> String {
    match api {
        Api::Ollama => fake.url(),
        Api::OpenAi => fake.v1(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_never_reaches_the_chat() {
    // Ollama's `thinking`, /v1's `reasoning_content`, and <think> in the text.
    for api in APIS {
        let fake = FakeModel::start(&[MODEL]).await;
        fake.then(
            Script::tokens([
                "<think>plan: join clients",
                " and payments</think>",
                "SELECT 1 ",
                "FROM dual",
            ])
            .thinking(["Let me think about the schema."]),
        );
        let h = Harness::new(&[base(&fake, api)], Options::speaking(api)).await;
        h.ask(1, "Question").await;
        assert_eq!(h.answers()[0].1, "SELECT 1 FROM dual", "{api:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_serves_two_users_alternately_and_shows_positions() {
    for api in APIS {
        let fake = FakeModel::start(&[MODEL]).await;
        // The first answer holds the only slot until the line is formed.
        fake.then(Script::answer("première").first_token_after(Duration::from_millis(600)));
        let h = Harness::new(&[base(&fake, api)], Options::speaking(api)).await;
        let mut tasks = vec![h.spawn_ask(1, "ana 1")];
        fake.wait_until("ana's first question", |f| f.requests().len() == 1)
            .await;
        for (author, text) in [
            (1, "ana 2"),
            (1, "ana 3"),
            (1, "ana 4"),
            (1, "ana 5"),
            (2, "bob 1"),
            (2, "bob 2"),
        ] {
            let waiting = h.llm.dispatcher().waiting();
            tasks.push(h.spawn_ask(author, text));
            let dispatcher = h.llm.dispatcher().clone();
            tokio::time::timeout(Duration::from_secs(10), async {
                while dispatcher.waiting() == waiting {
                    tokio::task::yield_now().await;
                }
            })
            .await
            .expect("the question joins the line");
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            fake.questions(),
            [
                "ana 1", "bob 1", "ana 2", "bob 2", "ana 3", "ana 4", "ana 5"
            ]
        );
        let told_position = h.platform.actions().iter().any(
            |a| matches!(&a.action, OutboundAction::Edit { text, .. } if text.contains("in line")),
        );
        assert!(
            told_position,
            "{api:?}: waiting users see their place in line"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_continues_the_conversation_with_bounded_history() {
    let fake = FakeModel::start(&[MODEL]).await;
    let options = Options {
        max_history: 4,
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Première question").await;
    let mut last_answer = h.answers().last().unwrap().0.id.clone();
    for i in 2..=4 {
        let event = h.question(1, &format!("Question {i}"), Some(&last_answer));
        h.bot.handle(h.platform.clone(), event).await;
        last_answer = h.answers().last().unwrap().0.id.clone();
    }
    let requests = fake.requests();
    let second = requests[1]["messages"].as_array().unwrap();
    let contents: Vec<&str> = second
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents[1..],
        ["Première question", "Bonjour !", "Question 2"]
    );
    let fourth = requests[3]["messages"].as_array().unwrap();
    assert_eq!(
        fourth.len(),
        1 + 4 + 1,
        "system, the last 4 messages, the question"
    );
    assert_eq!(fourth[1]["content"], "Question 2");
}

#[tokio::test]
async fn the_recording_platform_refuses_what_a_platform_would() {
    let p = RecordingPlatform::new("discord", RecordingPlatform::discord_like());
    let too_long = "x".repeat(2001);
    assert!(p.post(&channel(), None, &too_long).await.is_err());
    let m = p.post(&channel(), None, "ok").await.unwrap();
    p.rate_limit_next_edits(1, Duration::from_millis(10));
    assert!(p.edit(&m, "later").await.is_err());
    assert!(p.edit(&m, "now").await.is_ok());
    assert_eq!(p.text_of(&m.id).as_deref(), Some("now"));
}
