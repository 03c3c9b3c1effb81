//! Figures, not verdicts: how soon a person sees the first and the last
//! token of a streamed answer, over [`ANSWERS`] answers in a row, on the
//! Discord fake and on the real Synapse (its limits lifted, and Synapse's
//! defaults: 0.2 events a second after a burst of 10), beside the
//! platform's own round trip measured in the same run.
//!
//! Speed is a benchmark's business, never a test's: these are ignored in the
//! suite and run by `scripts/bench-streaming-platforms`, which prints what
//! they measure. What they assert is only that every answer arrived whole.
//!
//! For each answer: from the model's first token to the first edit showing
//! it (the placeholder is older than the edit interval then: the model
//! "reads the prompt" for 1.5 s first), from its last token to the edit
//! showing it whole, and the edits the answer took (the Stop control's
//! PATCH of the placeholder counts on Discord). On Discord an edit is
//! seen when the fake receives it; on Matrix when the other person's client
//! receives it from its sync, and the round trip is the same path for a
//! message of that person's own.

use std::time::Duration;

use matrix_sdk::ruma::OwnedEventId;
use serde_json::json;
use tokio::time::Instant;

use crate::answers::{MODEL, Options};
use crate::discord::{ANA, Connected};
use crate::matrix::{Bot, link, wait_for_text};
use crate::support::fake_discord::{BOT, CHANNEL};
use crate::support::fake_model::{FakeModel, Script};
use crate::synapse::{Human, register, unique};

/// Answers measured per scenario.
const ANSWERS: usize = 30;
/// How long the model "reads the prompt" before its first token.
const READING: Duration = Duration::from_millis(1500);
/// Between two tokens.
const EVERY: Duration = Duration::from_millis(20);
/// Tokens per answer.
const TOKENS: usize = 60;
/// Between two answers on Discord: its allowance (five edits a channel,
/// one more a second) is whole again. Asked back to back, answers of three
/// seconds spend more than a second's edits each (the Stop control, its
/// withdrawal, the final text), and the budget then rightly keeps their
/// first words back: that measures the allowance, not the bot.
const DISCORD_PAUSE: Duration = Duration::from_secs(5);

/// One answer's figures.
struct Sample {
    first: Duration,
    last: Duration,
    edits: usize,
}

impl Sample {
    /// From the model's first and last tokens to the edits that showed
    /// them.
    fn of(tokens: (Instant, Instant), shown: (Instant, Instant), edits: usize) -> Self {
        Sample {
            first: shown.0.saturating_duration_since(tokens.0),
            last: shown.1.saturating_duration_since(tokens.1),
            edits,
        }
    }
}

fn answer(i: usize) -> String {
    (0..TOKENS)
        .map(|t| format!("a{i}w{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The model's answers, scripted in order.
async fn model() -> FakeModel {
    let ollama = FakeModel::start(&[MODEL]).await;
    for i in 0..ANSWERS {
        ollama.then(
            Script::answer(&answer(i))
                .first_token_after(READING)
                .every(EVERY),
        );
    }
    ollama
}

/// When the model sent the first and the last token of `text`.
fn tokens_of(ollama: &FakeModel, text: &str) -> (Instant, Instant) {
    let sent = ollama.sent();
    let mut requests: Vec<usize> = sent.iter().map(|(_, n, _)| *n).collect();
    requests.dedup();
    for request in requests {
        let tokens: Vec<_> = sent.iter().filter(|(_, n, _)| *n == request).collect();
        let said: String = tokens.iter().map(|(_, _, t)| t.as_str()).collect();
        if said.trim() == text {
            return (tokens[0].0, tokens[tokens.len() - 1].0);
        }
    }
    panic!("the model never sent {text:?}");
}

fn percentile(mut values: Vec<Duration>, p: f64) -> Duration {
    values.sort();
    let rank = ((values.len() as f64) * p).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn report(scenario: &str, samples: &[Sample], round_trips: Vec<Duration>) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let first: Vec<Duration> = samples.iter().map(|s| s.first).collect();
    let last: Vec<Duration> = samples.iter().map(|s| s.last).collect();
    let edits: Vec<Duration> = samples
        .iter()
        .map(|s| Duration::from_secs(s.edits as u64))
        .collect();
    let round_trip = percentile(round_trips, 0.5);
    println!(
        "{scenario}: {} answers; round trip p50 {:.0} ms; first token to its edit p50 {:.0} ms, \
         p99 {:.0} ms; last token to the final edit p50 {:.0} ms, p99 {:.0} ms; edits per answer \
         p50 {}, max {}",
        samples.len(),
        ms(round_trip),
        ms(percentile(first.clone(), 0.5)),
        ms(percentile(first, 0.99)),
        ms(percentile(last.clone(), 0.5)),
        ms(percentile(last, 0.99)),
        percentile(edits.clone(), 0.5).as_secs(),
        percentile(edits, 1.0).as_secs(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-streaming-platforms runs it"]
async fn discord_answers_are_seen_soon_after_the_model_writes_them() {
    let ollama = model().await;
    let c = Connected::new(&ollama, Options::default()).await;
    let client = c.discord.http_client();
    let mut samples = Vec::new();
    let mut round_trips = Vec::new();
    for i in 0..ANSWERS {
        let text = answer(i);
        c.discord
            .say(ANA, CHANNEL, &format!("<@{BOT}> question {i}"), true);
        let reply = c.nth_bot_message(CHANNEL, i).await;
        let id: u64 = reply["id"].as_str().unwrap().parse().unwrap();
        c.wait_for_final("the whole answer", id, &text).await;
        let (first_token, last_token) = tokens_of(&ollama, &text);
        let edits: Vec<_> = c
            .discord
            .calls()
            .into_iter()
            .filter(|k| k.method == "PATCH" && k.path.ends_with(&format!("/messages/{id}")))
            .collect();
        // Not the edit that adds the Stop control to the placeholder.
        let first_word = text.split(' ').next().unwrap();
        let first_edit = edits
            .iter()
            .find(|k| {
                k.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains(first_word))
            })
            .expect("an edit showing the first word")
            .at;
        let final_edit = edits
            .iter()
            .find(|k| k.body["content"] == text.as_str())
            .expect("an edit with the whole answer")
            .at;
        samples.push(Sample::of(
            (first_token, last_token),
            (first_edit, final_edit),
            edits.len(),
        ));
        // The round trip of one REST call on the bot's own kind of
        // connection (kept alive), as an edit makes it.
        let started = Instant::now();
        let _ = client
            .get(format!(
                "https://discord.com/api/v10/channels/{CHANNEL}/messages/{id}"
            ))
            .header("Authorization", "Bot x")
            .send()
            .await
            .unwrap()
            .bytes()
            .await;
        round_trips.push(started.elapsed());
        tokio::time::sleep(DISCORD_PAUSE).await;
    }
    report("discord (fake, 5 s between answers)", &samples, round_trips);
}

/// Answers `ANSWERS` questions on Synapse: with its limits lifted, or
/// (`limited`) on a Synapse that keeps its default `rc_message` (the bench
/// starts one with `PSTRAL_SYNAPSE_RATE_LIMITS=default`), for the bot alone:
/// the person asking is exempted through the admin API (Synapse's override
/// takes whole numbers: 0.2 a second cannot be set per user).
async fn on_synapse(scenario: &str, limited: bool) {
    if limited {
        assert_eq!(
            std::env::var("PSTRAL_BENCH_SYNAPSE_LIMITS").as_deref(),
            Ok("default"),
            "this scenario needs a Synapse with its default rate limits \
             (scripts/bench-streaming-platforms starts one)"
        );
    }
    let ollama = model().await;
    let h = crate::answers::Harness::new(&[ollama.url()], Options::default()).await;
    let (user, password) = Bot::register().await;
    let ana = Human::register(&unique("ana")).await;
    let allowance = if limited {
        let (_, root, _) = register(&unique("root"), "password", true).await;
        let set = crate::synapse::admin(
            reqwest::Method::POST,
            &format!("/_synapse/admin/v1/users/{}/override_ratelimit", ana.user),
            &root,
            json!({"messages_per_second": 0, "burst_count": 0}),
        )
        .await;
        assert_eq!(set["messages_per_second"], 0, "{set}");
        // What the bot assumes when `matrix.edits_per_second` is not set:
        // Synapse's default.
        pstral_chat::Allowance {
            burst: 10,
            refill: Duration::from_secs(5),
            scope: pstral_chat::AllowanceScope::Account,
            posts_count: true,
        }
    } else {
        crate::matrix::LIFTED
    };
    let bot = Bot::start_allowed(&h, user, password, tempfile::tempdir().unwrap(), allowance).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let mut samples = Vec::new();
    let mut round_trips = Vec::new();
    for i in 0..ANSWERS {
        let text = answer(i);
        let question: OwnedEventId = ana
            .mention(&room, &bot.user, &format!("question {i}"))
            .await;
        wait_for_text(&ana, &room, &bot.user, &text).await;
        let (first_token, last_token) = tokens_of(&ollama, &text);
        let seen = ana.seen();
        let placeholder = seen
            .iter()
            .find(|s| s.in_reply_to.as_ref() == Some(&question) && s.replaces.is_none())
            .expect("the placeholder replies to the question")
            .event
            .clone();
        let edits: Vec<_> = seen
            .iter()
            .filter(|s| s.replaces.as_ref() == Some(&placeholder))
            .collect();
        let first_word = text.split(' ').next().unwrap();
        let first_edit = edits
            .iter()
            .find(|s| s.body.contains(first_word))
            .expect("an edit showing the first word")
            .at;
        let final_edit = edits
            .iter()
            .find(|s| s.body == text)
            .expect("an edit with the whole answer")
            .at;
        samples.push(Sample::of(
            (first_token, last_token),
            (first_edit, final_edit),
            edits.len(),
        ));
        // Ana's own message, from her send to her client's sync: the path
        // an edit of the bot takes to her. Not under the bot's limit.
        let started = Instant::now();
        let ping = ana.say(&room, &format!("ping {i}")).await;
        ana.wait_for("her own message", |seen| {
            seen.iter().any(|s| s.event == ping)
        })
        .await;
        round_trips.push(started.elapsed());
    }
    bot.handled(ANSWERS).await;
    report(scenario, &samples, round_trips);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-streaming-platforms runs it"]
async fn matrix_answers_are_seen_soon_after_the_model_writes_them_limits_lifted() {
    on_synapse("matrix (Synapse, limits lifted)", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-streaming-platforms runs it"]
async fn matrix_answers_are_seen_soon_after_the_model_writes_them_default_limits() {
    on_synapse(
        "matrix (Synapse, default rc_message: 0.2/s, burst 10)",
        true,
    )
    .await;
}
