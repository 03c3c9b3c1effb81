//! N concurrent conversations (N = 50, 500), each streaming 300 tokens at 50
//! tokens/s from the fake model server, through the whole bot: queue, model
//! client, streaming engine, the recording platform (Discord's limits: 2,000
//! characters, one edit a second), the own SQLite database and the audit;
//! once over Ollama's native API (NDJSON) and once over the OpenAI-compatible
//! one (server-sent events). Run with `cargo bench --bench streaming`.
//!
//! Each scenario runs in a child process of its own so that its CPU time and
//! peak RSS are its own: `baseline` serves the same streams from the same
//! fake, on the same API, to a bare HTTP reader that discards them; `bot`
//! runs the bot. The bot's cost is the difference, measured in the same run. Edit lag is, for
//! each token, the time from the fake sending it to the first edit that shows
//! it; "beyond the interval" subtracts the platform's one-second throttle,
//! which a token may legitimately wait.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use pstral_chat::recording::RecordingPlatform;
use pstral_chat::{InboundEvent, Limits, MessageRef, OutboundAction, Place, STREAMING_CURSOR};
use pstral_core::audit::{Actor, Audit};
use pstral_core::bot::{Bot, BotParts};
use pstral_core::conversation::ConversationSettings;
use pstral_core::conversation::{Conversations, Mode, Prompts};
use pstral_core::i18n::Lang;
use pstral_core::identity::{Directory, Role};
use pstral_core::identity::{IdentitySettings, UnknownPolicy};
use pstral_core::llm::{Api, Endpoint, EndpointSettings, Llm, ModelOptions, Timeouts};
use serde_json::{Value, json};
use support::TestDb;
use support::fake_model::{FakeModel, Script};
use tokio::time::Instant;

const MODEL: &str = "qwen2.5-coder:7b";
const TOKENS: usize = 300;
const EVERY: Duration = Duration::from_millis(20);
const INTERVAL: Duration = Duration::from_millis(1000);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n: usize = args[i + 2].parse().expect("a count");
        let api = match args[i + 3].as_str() {
            "openai" => Api::OpenAi,
            _ => Api::Ollama,
        };
        let report = child(&args[i + 1], n, api);
        println!("{report}");
        return;
    }
    // `cargo test --benches` runs this without --bench: nothing to do then.
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    println!(
        "{TOKENS} tokens per answer at {} tokens/s, edits at most every {INTERVAL:?}; bot = whole pipeline, baseline = bare HTTP reader",
        1000 / EVERY.as_millis()
    );
    for n in [50, 500] {
        for api in [Api::Ollama, Api::OpenAi] {
            let base = run_child("baseline", n, api);
            let bot = run_child("bot", n, api);
            report(n, api, &base, &bot);
        }
    }
}

fn report(n: usize, api: Api, base: &Value, bot: &Value) {
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let cpu_per_answer = (f(bot, "cpu_s") - f(base, "cpu_s")) / n as f64;
    println!(
        "N={n:>3} {:<6}: bot CPU {:.2} s vs baseline {:.2} s → {:.1} ms of CPU per answer ({:.2}× the baseline's total); \
         peak RSS bot {:.0} MB vs baseline {:.0} MB (+{:.0} MB); \
         edit lag p50 {:.0} ms, p99 {:.0} ms; beyond the interval p50 {:.0} ms, p99 {:.0} ms; \
         first token to its edit p50 {:.0} ms, p99 {:.0} ms; last token to the final edit p50 {:.0} ms, p99 {:.0} ms \
         (the platform is in-process: its round-trip is ~0); edits per answer p50 {}, max {}; wall {:.1} s vs {:.1} s",
        api.as_str(),
        f(bot, "cpu_s"),
        f(base, "cpu_s"),
        cpu_per_answer * 1000.0,
        f(bot, "cpu_s") / f(base, "cpu_s"),
        f(bot, "peak_rss_mb"),
        f(base, "peak_rss_mb"),
        f(bot, "peak_rss_mb") - f(base, "peak_rss_mb"),
        f(bot, "lag_p50_ms"),
        f(bot, "lag_p99_ms"),
        f(bot, "beyond_p50_ms"),
        f(bot, "beyond_p99_ms"),
        f(bot, "first_p50_ms"),
        f(bot, "first_p99_ms"),
        f(bot, "final_p50_ms"),
        f(bot, "final_p99_ms"),
        bot["edits_p50"],
        bot["edits_max"],
        f(bot, "wall_s"),
        f(base, "wall_s"),
    );
}

fn run_child(mode: &str, n: usize, api: Api) -> Value {
    let out = Command::new(std::env::current_exe().expect("the bench binary"))
        .args(["--child", mode, &n.to_string(), api.as_str()])
        .output()
        .expect("the child runs");
    assert!(
        out.status.success(),
        "{mode} {n}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("a JSON report")
}

/// User and system CPU seconds of this process so far (Linux, 100 ticks/s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024.0
}

fn tokens() -> Vec<String> {
    (0..TOKENS).map(|i| format!("tok{i} ")).collect()
}

fn child(mode: &str, n: usize, api: Api) -> Value {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = FakeModel::start(&[MODEL]).await;
        fake.by_default(Script::tokens(tokens()).every(EVERY));
        let cpu = cpu_seconds();
        let started = Instant::now();
        let mut report = match mode {
            "baseline" => {
                baseline(&fake, n, api).await;
                json!({})
            }
            _ => bot(&fake, n, api).await,
        };
        report["cpu_s"] = json!(cpu_seconds() - cpu);
        report["wall_s"] = json!(started.elapsed().as_secs_f64());
        report["peak_rss_mb"] = json!(peak_rss_mb());
        report
    })
}

async fn baseline(fake: &FakeModel, n: usize, api: Api) {
    use futures_util::StreamExt;
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let http = http.clone();
            let url = match api {
                Api::Ollama => format!("{}/api/chat", fake.url()),
                Api::OpenAi => format!("{}/chat/completions", fake.v1()),
            };
            tokio::spawn(async move {
                let body = json!({"model": MODEL, "stream": true,
                    "messages": [{"role": "user", "content": format!("question {i}")}]});
                let response = http.post(url).json(&body).send().await.unwrap();
                let mut stream = response.bytes_stream();
                while let Some(chunk) = stream.next().await {
                    std::hint::black_box(chunk.unwrap());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

async fn bot(fake: &FakeModel, n: usize, api: Api) -> Value {
    let db = TestDb::sqlite().await;
    let audit = Audit::new(db.store.clone());
    let directory = Directory::new(
        db.store.clone(),
        IdentitySettings {
            unknown: UnknownPolicy::Refuse,
            contact: "IT".into(),
            invite_ttl: Duration::from_secs(3600),
        },
        support::CHAT_PLATFORMS,
    )
    .with_audit(audit.clone());
    directory
        .add_user("ana", Role::Executor, Actor::cli())
        .await
        .unwrap();
    let ana = "discord:1".parse().unwrap();
    directory.link("ana", &ana, Actor::cli()).await.unwrap();
    let client = model_endpoint(fake, api);
    let bot = Bot::new(BotParts {
        audit,
        directory,
        conversations: Conversations::new(db.store.clone()),
        llm: Llm::new(vec![client], n, n),
        prompts: Prompts::new(None),
        settings: ConversationSettings {
            default_mode: Mode::Chat,
            channel_modes: Vec::new(),
            max_history: 10,
            prompts_dir: None,
            retention: None,
        },
        lang: Lang::En,
        sql_dialect: pstral_core::sql::Dialect::Oracle,
        sql: Err(pstral_core::bot::NoTarget::NotConfigured),
        replica: pstral_core::replicas::Replica::alone(db.store.clone()),
    });
    let platform = Arc::new(RecordingPlatform::new(
        "discord",
        Limits {
            max_message_chars: 2000,
            min_edit_interval: INTERVAL,
            // Discord's: five edits per channel, one more a second.
            edit_allowance: pstral_chat::Allowance::per_channel(5, INTERVAL),
            buttons: true,
            command_prefix: "/",
        },
    ));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            // A conversation per channel: Discord's allowance of edits is
            // per channel, and fifty answers at once in one channel share
            // five edits every five seconds.
            let place = Place {
                platform: "discord".parse().unwrap(),
                channel: (1100 + i).to_string(),
                thread: None,
                private: false,
            };
            let (bot, platform) = (bot.clone(), platform.clone());
            let author = ana.clone();
            tokio::spawn(async move {
                let event = InboundEvent::Message {
                    author,
                    message: MessageRef {
                        place,
                        id: format!("q{i}"),
                    },
                    in_reply_to: None,
                    text: format!("question {i}"),
                };
                bot.handle(platform, event).await;
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    lag(fake, &platform, n)
}

/// The fake model server as the bot's endpoint, on `api`.
fn model_endpoint(fake: &FakeModel, api: Api) -> Endpoint {
    let endpoint = match api {
        Api::Ollama => {
            EndpointSettings::ollama(url::Url::parse(&format!("{}/", fake.url())).unwrap())
        }
        Api::OpenAi => {
            EndpointSettings::openai(url::Url::parse(&format!("{}/", fake.v1())).unwrap())
        }
    };
    Endpoint::new(
        endpoint,
        ModelOptions {
            model: MODEL.into(),
            num_ctx: 8192,
            temperature: 0.2,
            keep_alive: Duration::from_secs(1800),
            max_tokens: None,
        },
        Timeouts {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(60),
            idle: Duration::from_secs(60),
        },
    )
    .unwrap()
}

/// For every token: from the fake sending it to the first edit showing it.
fn lag(fake: &FakeModel, platform: &RecordingPlatform, n: usize) -> Value {
    let questions = fake.questions();
    let sent = fake.sent();
    let mut lags: Vec<Duration> = Vec::new();
    // Per answer: from its first token to the first edit showing it, from
    // its last token to the edit showing it whole, and its edits.
    let mut firsts: Vec<Duration> = Vec::new();
    let mut finals: Vec<Duration> = Vec::new();
    let mut edits: Vec<usize> = Vec::new();
    for i in 0..n {
        let request = questions
            .iter()
            .position(|q| *q == format!("question {i}"))
            .unwrap();
        let times: Vec<Instant> = sent
            .iter()
            .filter(|s| s.1 == request)
            .map(|s| s.0)
            .collect();
        let message = platform
            .actions()
            .into_iter()
            .find_map(|a| match a.action {
                OutboundAction::Post {
                    message,
                    in_reply_to: Some(q),
                    ..
                } if q == format!("q{i}") => Some(message),
                _ => None,
            })
            .unwrap();
        let mut shown = 0;
        let history = platform.history_of(&message.id);
        edits.push(history.len().saturating_sub(1));
        for (at, text) in history.into_iter().skip(1) {
            let text = text.strip_suffix(STREAMING_CURSOR).unwrap_or(&text);
            // Every token has the same shape: count how many the text holds.
            let mut covered = 0;
            let mut len = 0;
            for t in tokens() {
                if len + t.len() > text.len() {
                    break;
                }
                len += t.len();
                covered += 1;
            }
            for t in times.iter().take(covered).skip(shown) {
                lags.push(at - *t);
            }
            if shown == 0 && covered > 0 {
                firsts.push(at - times[0]);
            }
            if shown < times.len() && covered == times.len() {
                finals.push(at - times[times.len() - 1]);
            }
            shown = shown.max(covered);
        }
    }
    lags.sort();
    firsts.sort();
    finals.sort();
    edits.sort();
    let at = |all: &[Duration], p: f64| {
        all.get(((all.len() as f64 - 1.0) * p) as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    let pct = |p: f64| at(&lags, p);
    let beyond = |p: f64| (pct(p) - INTERVAL.as_secs_f64() * 1000.0).max(0.0);
    json!({
        "tokens_measured": lags.len(),
        "lag_p50_ms": pct(0.5), "lag_p99_ms": pct(0.99),
        "beyond_p50_ms": beyond(0.5), "beyond_p99_ms": beyond(0.99),
        "first_p50_ms": at(&firsts, 0.5), "first_p99_ms": at(&firsts, 0.99),
        "final_p50_ms": at(&finals, 0.5), "final_p99_ms": at(&finals, 0.99),
        "edits_p50": edits.get(edits.len() / 2).copied().unwrap_or(0),
        "edits_max": edits.last().copied().unwrap_or(0),
    })
}
