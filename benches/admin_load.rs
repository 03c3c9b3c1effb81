//! Load on the admin endpoint while the bot streams answers. Run with
//! `cargo bench --bench admin_load` (bounded: 30 s of load on loopback;
//! PSTRAL_LOAD_SECONDS changes it).
//!
//! The parent runs the production `Application` (admin endpoint) and the bot
//! on one SQLite own database, with the fake Ollama streaming 300 tokens at
//! 50 tokens/s per answer. It first streams ANSWERS answers with no load (the
//! baseline), then again while a child process keeps 200 connections busy on
//! `/api/audit` and `/metrics`. It reports the load's requests/s and latency
//! percentiles, and the slowest answer's duration under load as a ratio of
//! the baseline's (goal: ≤ 1.10).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pstral_chat::recording::RecordingPlatform;
use pstral_chat::{InboundEvent, MessageRef, Place};
use pstral_core::audit::{Actor, Audit};
use pstral_core::bot::{Bot, BotParts};
use pstral_core::config::Settings;
use pstral_core::conversation::{Conversations, Prompts};
use pstral_core::identity::Directory;
use pstral_core::llm::Llm;
use pstral_core::store::Store;
use serde_json::{Value, json};
use support::fake_model::{FakeModel, Script};
use support::{Serving, TestDb};

const ANSWERS: usize = 10;
const CONNECTIONS: usize = 200;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let report = load(&args[i + 1], &args[i + 2], args[i + 3].parse().unwrap());
        println!("{report}");
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let seconds: u64 = std::env::var("PSTRAL_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let FakeOllama {
        url: fake_url,
        stop: fake_stop,
        thread: fake_thread,
    } = FakeOllama::start();
    rt.block_on(async move {
        let db = TestDb::sqlite().await;
        let mut settings = Settings::defaults();
        settings.database = db.settings.clone();
        settings.llm.endpoints = vec![pstral_core::llm::EndpointSettings::ollama(
            url::Url::parse(&format!("{fake_url}/")).unwrap(),
        )];
        settings.llm.concurrency = ANSWERS;
        let serving = Serving::start(settings.clone()).await;
        let (base, store) = (serving.base.clone(), serving.store.clone());

        let (bot, token) = admin_and_bot(&db, &store, &settings).await;
        let platform = Arc::new(RecordingPlatform::new(
            "discord",
            RecordingPlatform::discord_like(),
        ));

        let baseline = stream_answers(&bot, &platform, "quiet").await;
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--child", &base, &token, &seconds.to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Let the load reach full speed before the answers start.
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let loaded = stream_answers(&bot, &platform, "loaded").await;
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).expect("the load report");
        serving.stop().await;

        let _ = fake_stop.send(());
        print_report(&report, seconds, &baseline, &loaded);
    });
    fake_thread.join().unwrap();
}

/// The fake Ollama on a thread of its own: its URL, what stops it, the
/// thread to join.
struct FakeOllama {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl FakeOllama {
    /// Ollama is its own process in production: the fake gets its own
    /// runtime on its own thread, so its token pacing is not queued behind
    /// the admin endpoint's tasks (which would slow the "model", not the
    /// bot).
    fn start() -> Self {
        let (fake_tx, fake_rx) = std::sync::mpsc::channel();
        let (stop, fake_stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let fake_rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            fake_rt.block_on(async move {
                let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
                fake.by_default(
                    Script::tokens((0..300).map(|i| format!("tok{i} ")))
                        .every(Duration::from_millis(20)),
                );
                fake_tx.send(fake.url()).unwrap();
                let _ = fake_stopped.await;
            });
        });
        let url = fake_rx.recv().unwrap();
        Self { url, stop, thread }
    }
}

/// The admin "ana" (her token) linked to `discord:1`, and the bot she
/// asks, on the own database `store`.
async fn admin_and_bot(db: &TestDb, store: &Store, settings: &Settings) -> (Bot, String) {
    let audit = Audit::new(store.clone());
    let directory = Directory::new(
        store.clone(),
        settings.identity.clone(),
        support::CHAT_PLATFORMS,
    )
    .with_audit(audit.clone());
    let token = support::admin_token(db, "ana", None).await;
    directory
        .link("ana", &"discord:1".parse().unwrap(), Actor::cli())
        .await
        .unwrap();
    let bot = Bot::new(BotParts {
        audit,
        directory,
        conversations: Conversations::new(store.clone()),
        llm: Llm::from_settings(&settings.llm).unwrap(),
        prompts: Prompts::new(None),
        settings: settings.conversation.clone(),
        lang: pstral_core::i18n::Lang::En,
        sql_dialect: pstral_core::sql::Dialect::Sqlite,
        sql: Err(pstral_core::bot::NoTarget::NotConfigured),
        replica: pstral_core::replicas::Replica::alone(store.clone()),
    });
    (bot, token)
}

/// The load's report, and the slowest answer without and with it.
fn print_report(report: &Value, seconds: u64, baseline: &[Duration], loaded: &[Duration]) {
    let worst = |d: &[Duration]| d.iter().max().unwrap().as_secs_f64();
    println!(
        "load: {CONNECTIONS} connections on /api/audit and /metrics for {seconds} s: {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms, {} errors",
        report["rps"].as_f64().unwrap(),
        report["p50_ms"].as_f64().unwrap(),
        report["p99_ms"].as_f64().unwrap(),
        report["errors"]
    );
    println!(
        "streams ({ANSWERS} answers × 300 tokens at 50 tokens/s): slowest {:.2} s without load, {:.2} s under load → {:.3}× (goal ≤ 1.10)",
        worst(baseline),
        worst(loaded),
        worst(loaded) / worst(baseline)
    );
}

async fn stream_answers(
    bot: &Bot,
    platform: &Arc<RecordingPlatform>,
    round: &str,
) -> Vec<Duration> {
    let place = Place {
        platform: "discord".parse().unwrap(),
        channel: "1".into(),
        thread: None,
        private: false,
    };
    let tasks: Vec<_> = (0..ANSWERS)
        .map(|i| {
            let (bot, platform, place) = (bot.clone(), platform.clone(), place.clone());
            let round = round.to_owned();
            tokio::spawn(async move {
                let started = Instant::now();
                let event = InboundEvent::Message {
                    author: "discord:1".parse().unwrap(),
                    message: MessageRef {
                        place,
                        id: format!("{round}-{i}"),
                    },
                    in_reply_to: None,
                    text: format!("question {round} {i}"),
                };
                bot.handle(platform, event).await;
                started.elapsed()
            })
        })
        .collect();
    let mut durations = Vec::new();
    for t in tasks {
        durations.push(t.await.unwrap());
    }
    durations
}

/// The load: CONNECTIONS clients, each alternating the two routes until the
/// time is up. Prints a JSON report.
fn load(base: &str, token: &str, seconds: u64) -> Value {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                let (http, base, token) = (http.clone(), base.to_owned(), token.to_owned());
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut errors = 0u64;
                    let mut n = c;
                    while Instant::now() < deadline {
                        let request = if n % 2 == 0 {
                            http.get(format!("{base}/api/audit?limit=50")).bearer_auth(&token)
                        } else {
                            http.get(format!("{base}/metrics"))
                        };
                        n += 1;
                        let sent = Instant::now();
                        match request.send().await {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                latencies.push(sent.elapsed());
                            }
                            _ => errors += 1,
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.unwrap();
            all.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        let pct = |p: f64| all[((all.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
        json!({"requests": all.len(), "rps": all.len() as f64 / elapsed, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "errors": errors})
    })
}
