//! `pstral chat` in the terminal: log lines kept out of the conversation,
//! where the model was looked for said, a second session answered too, and
//! the conversation exported.

use super::*;

/// Runs `pstral chat` with `input` typed in, against the model servers at
/// `endpoints`; returns what it printed.
async fn chat_session(s: &Scratch, endpoints: &str, input: &'static str) -> (Output, String) {
    chat_session_with(s, &[("PSTRAL__LLM__ENDPOINTS", endpoints)], input).await
}

/// A model that fails mid-answer: the person reads what happened in words,
/// and no log line lands in the conversation; the log lines go to the log
/// file the session names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_keeps_log_lines_out_of_the_conversation() {
    use crate::support::fake_model::{End, FakeModel, Script};
    let s = Scratch::new();
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    fake.then(Script::answer("Half an answer").ending(End::Disconnect));
    fake.then(Script::error(500, "the runner crashed"));
    let (out, printed) = chat_session_with(
        &s,
        &[
            ("PSTRAL__LLM__ENDPOINTS", &fake.url()),
            ("PSTRAL__CONVERSATION__DEFAULT_MODE", "chat"),
        ],
        "first question\nsecond question\n/quit\n",
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(printed.contains("The answer was cut off"), "{printed}");
    for level in [" WARN ", " ERROR ", " INFO ", "pstral_core::"] {
        assert!(
            !printed.contains(level),
            "a log line in the chat: {printed}"
        );
        assert!(!stderr(&out).contains(level), "{}", stderr(&out));
    }
    let log = s.dir.path().join("data").join("chat.log");
    assert!(printed.contains(&log.display().to_string()) || printed.contains("chat.log"));
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("WARN"), "the failures are logged: {logged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_says_where_it_looked_for_the_model_and_how_to_fix_it() {
    let s = Scratch::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (out, printed) = chat_session(&s, &closed, "/quit\n").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        printed.contains(&format!("No Ollama answers at {closed}")),
        "{printed}"
    );
    assert!(
        printed.contains("ollama serve") && printed.contains("PSTRAL__LLM__ENDPOINTS"),
        "{printed}"
    );

    let fake = crate::support::fake_model::FakeModel::start(&["llama3.2:3b"]).await;
    let (_, printed) = chat_session(&s, &fake.url(), "/quit\n").await;
    assert!(
        printed.contains("ollama pull qwen2.5-coder:7b"),
        "{printed}"
    );

    // An OpenAI-compatible server is named as such, with what it serves.
    let openai = format!("openai+{}", fake.v1());
    let (_, printed) = chat_session(&s, &openai, "/quit\n").await;
    assert!(
        printed.contains("does not serve the model qwen2.5-coder:7b; it serves: llama3.2:3b"),
        "{printed}"
    );
    assert!(!printed.contains("ollama pull"), "{printed}");
    let openai_closed = format!("openai+{closed}/v1");
    let (_, printed) = chat_session(&s, &openai_closed, "/quit\n").await;
    assert!(
        printed.contains(&format!("No model server answers at {closed}/v1")),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_chat_session_in_the_same_directory_is_answered_too() {
    use crate::support::fake_model::{FakeModel, Script};
    let s = Scratch::new();
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    fake.then(Script::answer("first session answer"));
    fake.then(Script::answer("second session answer"));
    let (out, first) = chat_session(&s, &fake.url(), "Bonjour\n").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(first.contains("first session answer"), "{first}");
    let (out, second) = chat_session(&s, &fake.url(), "Bonjour\n").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(second.contains("second session answer"), "{second}");
    assert_eq!(fake.questions(), ["Bonjour", "Bonjour"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_answers_in_the_terminal_and_exports() {
    use crate::support::fake_model::{FakeModel, Script};
    let s = Scratch::new();
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    fake.then(Script::answer("SELECT COUNT(*) FROM clients;"));
    let (out, printed) = chat_session(&s, &fake.url(), "Combien de clients ?\n/export\n").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        printed.contains("SELECT COUNT(*) FROM clients;"),
        "{printed}"
    );
    assert!(
        !printed.contains(pstral_chat::STREAMING_CURSOR),
        "{printed}"
    );
    assert_eq!(fake.questions(), ["Combien de clients ?"]);
    let export = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("/export saves a Markdown file");
    let markdown = std::fs::read_to_string(export).unwrap();
    assert!(
        markdown.contains("## operator") && markdown.contains("Combien de clients ?"),
        "{markdown}"
    );

    // The same conversation from the command line, as JSON.
    let out = s.run(&["conversation", "export", "1", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["conversation"]["platform"], "terminal");
    assert_eq!(json["messages"][0]["content"], "Combien de clients ?");
    assert_eq!(
        json["messages"][1]["content"],
        "SELECT COUNT(*) FROM clients;"
    );
    assert_eq!(json["messages"][1]["speaker"], "assistant");
    let missing = s.run(&["conversation", "export", "42"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("there is no conversation 42"),
        "{}",
        stderr(&missing)
    );
}
