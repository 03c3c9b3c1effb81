//! A real model behind a real OpenAI-compatible server: SmolLM2-135M on
//! llama.cpp's server (llama-cpp-python), which `scripts/test` installs and
//! starts (`scripts/model`), exporting `PSTRAL_TEST_MODEL_URL`,
//! `PSTRAL_TEST_MODEL_NAME` and `PSTRAL_TEST_MODEL_LOG`.
//!
//! The model is tiny and its SQL is wrong; it is here for what a fake cannot
//! show: a real tokenizer (characters split across tokens), a real sampler,
//! real timing and real `finish_reason`s. A loopback proxy records what the
//! server sent, so that the chat's text is compared with it byte for byte.
//! Temperature 0 makes each answer the same on every run.
//!
//! The server has one slot and these tests read its log: they take turns.

use std::time::Duration;

use pstral_chat::{ControlKind, InboundEvent};
use pstral_core::conversation::Mode;
use pstral_core::i18n::{Answer, Lang};
use pstral_core::llm::{Api, Endpoint, EndpointSettings, Llm, ModelOptions, Timeouts};
use tokio::sync::Mutex;

use crate::answers::{Harness, Options, who};
use crate::support::recording_proxy::{Ending, RecordingProxy};

/// One test at a time on the real server.
static TURN: Mutex<()> = Mutex::const_new(());

struct RealModel {
    url: String,
    name: String,
    log: String,
}

fn real_model() -> RealModel {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: these tests need the real model server that \
                 ./scripts/test installs and starts (scripts/model)"
            )
        })
    };
    RealModel {
        url: var("PSTRAL_TEST_MODEL_URL"),
        name: var("PSTRAL_TEST_MODEL_NAME"),
        log: var("PSTRAL_TEST_MODEL_LOG"),
    }
}

/// The bot, in chat mode, asking the real model through `proxy`.
async fn harness(model: &RealModel, proxy: &RecordingProxy, max_tokens: u32) -> Harness {
    let mut options = Options::speaking(Api::OpenAi);
    options.model = model.name.clone();
    options.temperature = 0.0;
    options.max_tokens = Some(max_tokens);
    options.mode = Mode::Chat;
    options.timeouts = patient();
    Harness::new(&[format!("{}/v1", proxy.url())], options).await
}

/// Timeouts for a cold CPU, which may take a while to read the prompt
/// (never the point here).
fn patient() -> Timeouts {
    Timeouts {
        first_token: Duration::from_secs(120),
        idle: Duration::from_secs(60),
        ..crate::model_servers::timeouts()
    }
}

fn length_note() -> String {
    format!("\n\n⚠️ {}", Answer::TooLong.render(Lang::En))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_answer_streams_into_edits_that_end_with_exactly_what_the_server_sent() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let proxy = RecordingProxy::start(&model.url).await;
    let h = harness(&model, &proxy, 200).await;
    h.ask(1, "What is a database index? Answer in two sentences.")
        .await;

    let chats = proxy.chats();
    assert_eq!(chats.len(), 1);
    let (sent, finish) = chats[0].streamed_text();
    assert!(chats[0].done(), "the server ended with [DONE]");
    assert!(!sent.is_empty());
    let expected = match finish.as_deref() {
        Some("stop") => sent.clone(),
        Some("length") => format!("{sent}{}", length_note()),
        other => panic!("finish_reason {other:?}"),
    };
    let answers = h.answers();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (message, text) = &answers[0];
    assert_eq!(*text, expected);
    let edits = h.platform.history_of(&message.id);
    assert!(
        edits.len() >= 3,
        "streamed in several edits, got {}",
        edits.len()
    );
    assert_eq!(h.audited("answer").await[0]["text"], sent);
}

/// The server's context is 2,048 tokens (scripts/model): a prompt past it
/// gets a 200 and an empty stream from llama.cpp's server. The person hears
/// that the prompt did not fit, with its size, never that the answer was
/// cut (asking again cannot help).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_longer_than_the_real_servers_context_is_named_as_such() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let proxy = RecordingProxy::start(&model.url).await;
    let h = harness(&model, &proxy, 50).await;
    let long = "Which of our clients in Lyon, Grenoble or Annecy signed a contract last year? "
        .repeat(120);
    h.ask(1, &long).await;
    let answers = h.answers();
    let text = &answers.last().expect("an answer").1;
    assert!(
        text.contains("does not fit the language model's context"),
        "{text}"
    );
    assert!(
        text.contains("llm.num_ctx") && text.contains("--n_ctx"),
        "{text}"
    );
    assert!(!text.contains("cut off"), "{text}");
    let cut = Answer::Cut.render(Lang::En);
    assert!(!text.contains(&cut), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_answer_limited_by_max_tokens_ends_as_cut_off() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let proxy = RecordingProxy::start(&model.url).await;
    let h = harness(&model, &proxy, 8).await;
    h.ask(1, "Tell me a long story about the sea.").await;

    let chats = proxy.chats();
    assert_eq!(chats[0].request["max_tokens"], 8);
    let (sent, finish) = chats[0].streamed_text();
    assert_eq!(finish.as_deref(), Some("length"));
    assert_eq!(h.answers()[0].1, format!("{sent}{}", length_note()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_closes_the_connection_and_the_real_server_stops_generating() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let log_before = std::fs::metadata(&model.log).unwrap().len();
    let proxy = RecordingProxy::start(&model.url).await;
    let h = harness(&model, &proxy, 1500).await;
    let answering = h.spawn_ask(1, "Write a very long story about a cat and a dog.");
    proxy
        .wait_until("a few tokens", Duration::from_secs(120), |e| {
            e.first().is_some_and(|e| {
                String::from_utf8_lossy(&e.response)
                    .matches("\"content\"")
                    .count()
                    >= 10
            })
        })
        .await;
    let message = h.answers()[0].0.clone();
    let stop = InboundEvent::Control {
        actor: who(1),
        message: message.clone(),
        control: ControlKind::Stop,
        event: None,
    };
    h.bot.handle(h.platform.clone(), stop).await;
    answering.await.unwrap();
    assert!(
        h.platform
            .text_of(&message.id)
            .unwrap()
            .ends_with("⏹ Stopped.")
    );

    proxy
        .wait_until(
            "the bot closing the connection",
            Duration::from_secs(30),
            |e| e[0].ending == Ending::ClientLeft,
        )
        .await;
    assert!(
        !proxy.chats()[0].done(),
        "stopped before the server finished"
    );
    // llama.cpp's server notices the closed connection at its next token
    // and abandons the generation, saying so in its log.
    let said = wait_for_log(&model.log, log_before, "Disconnected from client").await;
    assert!(said, "the server never said it stopped generating");
}

/// Whether the server's log, past `from`, comes to contain `needle` within
/// 30 s (the log is a file: read again until then).
async fn wait_for_log(path: &str, from: u64, needle: &str) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut every = tokio::time::interval(Duration::from_millis(100));
    while tokio::time::Instant::now() < deadline {
        every.tick().await;
        let log = std::fs::read(path).unwrap();
        let from = usize::try_from(from).unwrap().min(log.len());
        if String::from_utf8_lossy(&log[from..]).contains(needle) {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_question_and_its_accented_answer_survive_intact() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let proxy = RecordingProxy::start(&model.url).await;
    let h = harness(&model, &proxy, 60).await;
    let question = "Répète exactement cette phrase : « Élodie a mangé une crème brûlée à Besançon, \
                    près du château, en été. »";
    h.ask(1, question).await;

    let chats = proxy.chats();
    let asked = chats[0].request["messages"].as_array().unwrap();
    assert_eq!(asked.last().unwrap()["content"], question);
    let (sent, finish) = chats[0].streamed_text();
    assert!(
        !sent.is_ascii(),
        "the answer holds accented letters: {sent:?}"
    );
    let expected = match finish.as_deref() {
        Some("length") => format!("{sent}{}", length_note()),
        _ => sent.clone(),
    };
    assert_eq!(h.answers()[0].1, expected);
    assert_eq!(h.audited("question").await[0]["text"], question);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_server_lists_its_model_and_embeds_texts() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let endpoint = Endpoint::new(
        EndpointSettings::openai(url::Url::parse(&format!("{}/v1/", model.url)).unwrap()),
        ModelOptions {
            model: model.name.clone(),
            temperature: 0.0,
            ..crate::model_servers::options()
        },
        patient(),
    )
    .unwrap();
    let models = endpoint.models().await.unwrap();
    assert!(endpoint.serves(&models), "{models:?}");

    let llm = Llm::new(vec![endpoint], 1, 10).with_embedding_model(Some(model.name.clone()));
    let texts = vec![
        "clients en retard de paiement".to_owned(),
        "top clients by amount".to_owned(),
    ];
    let vectors = llm.embed(&texts).await.unwrap();
    assert_eq!(vectors.len(), 2);
    assert!(vectors[0].len() >= 64, "{} dimensions", vectors[0].len());
    assert_eq!(vectors[0].len(), vectors[1].len());
    assert_ne!(vectors[0], vectors[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pstral_chat_answers_from_the_real_model() {
    let _turn = TURN.lock().await;
    let model = real_model();
    let s = crate::cli::Scratch::new();
    let endpoint = format!("openai+{}/v1", model.url);
    let env = [
        ("PSTRAL__LLM__ENDPOINTS", endpoint.as_str()),
        ("PSTRAL__LLM__MODEL", model.name.as_str()),
        ("PSTRAL__LLM__MAX_TOKENS", "40"),
        ("PSTRAL__CONVERSATION__DEFAULT_MODE", "chat"),
    ];
    let (out, printed) = crate::cli::chat_session_with(&s, &env, "Say hello to the team.\n").await;
    assert!(out.status.success(), "{}", crate::cli::stderr(&out));
    assert!(!printed.contains("⚠️  No"), "{printed}");
    assert!(!printed.contains("does not serve"), "{printed}");
    let answer = printed
        .lines()
        .skip_while(|l| !l.starts_with("Pstral."))
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        answer.chars().filter(|c| c.is_alphabetic()).count() >= 5,
        "an answer after the welcome: {printed}"
    );
}
