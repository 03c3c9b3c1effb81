//! A loopback fake of Ollama's `/api/chat` and `/api/tags`, faithful to the
//! wire format of Ollama 0.12–0.33 (see shared notes, ollama-api.md):
//!
//! - nothing, not even the status line, is sent until the first token;
//! - NDJSON lines with `message.content`, a last line with `done: true`,
//!   `done_reason` and the counts and nanosecond durations; JSON escaped as
//!   Go does (`<` `>` `&` as `\u003c` …);
//! - errors before streaming with their status and `{"error": "…"}` (404 for
//!   a model that is not installed, 400 without a model, 503 when busy);
//!   errors after streaming began as one `{"error"}` line and a clean end;
//! - scripted per request: tokens, delays, a slow first token, thinking,
//!   a disconnect mid-stream, a clean end without `done`, and lines split
//!   into chunks in the middle of a UTF-8 character.
//!
//! It records every request body, when each token was sent, and how many
//! answers the client closed before the end.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How an answer ends.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// A last line with `done: true`.
    Done,
    /// A last line with `done: true` and `done_reason: "length"`: the model
    /// hit `num_predict` or its context window.
    Length,
    /// An `{"error": …}` line, then a clean end (Ollama after streaming began).
    ErrorLine(String),
    /// The connection drops (no terminating chunk).
    Disconnect,
    /// A clean end without `done` (Ollama's repeat guard does this).
    Eof,
}

/// What the fake does for one request.
#[derive(Clone, Debug)]
pub struct Script {
    /// Answer with this status and error text instead of streaming.
    pub status: Option<(u16, String)>,
    pub first_token_delay: Duration,
    pub thinking: Vec<String>,
    pub tokens: Vec<String>,
    pub token_delay: Duration,
    pub end: End,
    /// Send each line in two chunks, cut in its middle byte (possibly inside
    /// a UTF-8 character).
    pub split_lines: bool,
}

impl Script {
    /// Streams `tokens` quickly and ends normally.
    pub fn tokens<S: Into<String>>(tokens: impl IntoIterator<Item = S>) -> Self {
        Self {
            status: None,
            first_token_delay: Duration::ZERO,
            thinking: Vec::new(),
            tokens: tokens.into_iter().map(Into::into).collect(),
            token_delay: Duration::ZERO,
            end: End::Done,
            split_lines: false,
        }
    }

    /// `text` cut into word-sized tokens, as a model sends it.
    pub fn answer(text: &str) -> Self {
        let mut tokens = Vec::new();
        let mut current = String::new();
        for c in text.chars() {
            current.push(c);
            if c.is_whitespace() && current.len() > 1 {
                tokens.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            tokens.push(current);
        }
        Self::tokens(tokens)
    }

    pub fn error(status: u16, message: &str) -> Self {
        let mut s = Self::tokens(Vec::<String>::new());
        s.status = Some((status, message.to_owned()));
        s
    }

    pub fn first_token_after(mut self, d: Duration) -> Self {
        self.first_token_delay = d;
        self
    }

    pub fn every(mut self, d: Duration) -> Self {
        self.token_delay = d;
        self
    }

    pub fn ending(mut self, end: End) -> Self {
        self.end = end;
        self
    }

    pub fn thinking<S: Into<String>>(mut self, thoughts: impl IntoIterator<Item = S>) -> Self {
        self.thinking = thoughts.into_iter().map(Into::into).collect();
        self
    }

    pub fn split_lines(mut self) -> Self {
        self.split_lines = true;
        self
    }
}

#[derive(Default)]
struct Recorded {
    requests: Vec<Value>,
    /// (when, request number, token) for every content token sent.
    sent: Vec<(Instant, usize, String)>,
    closed_early: usize,
}

struct Shared {
    models: Vec<String>,
    scripts: Mutex<VecDeque<Script>>,
    default: Mutex<Script>,
    recorded: Mutex<Recorded>,
    changed: watch::Sender<u64>,
}

impl Shared {
    fn record(&self, f: impl FnOnce(&mut Recorded)) {
        f(&mut self.recorded.lock().unwrap());
        self.changed.send_modify(|n| *n += 1);
    }
}

/// A running fake; stops when dropped.
pub struct FakeOllama {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl FakeOllama {
    /// A fake with `models` installed, answering "Bonjour !" by default.
    pub async fn start(models: &[&str]) -> Self {
        let shared = Arc::new(Shared {
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            scripts: Mutex::new(VecDeque::new()),
            default: Mutex::new(Script::answer("Bonjour !")),
            recorded: Mutex::new(Recorded::default()),
            changed: watch::channel(0).0,
        });
        let app = Router::new()
            .route("/api/chat", post(chat))
            .route("/api/tags", get(tags))
            .route("/", get(|| async { "Ollama is running" }))
            .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found") })
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopped.cancelled().await })
                .await
                .unwrap();
        });
        Self { addr, shared, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The script for the next request (requests take scripts in order; the
    /// default serves when none is left).
    pub fn then(&self, script: Script) -> &Self {
        self.shared.scripts.lock().unwrap().push_back(script);
        self
    }

    pub fn by_default(&self, script: Script) {
        *self.shared.default.lock().unwrap() = script;
    }

    pub fn requests(&self) -> Vec<Value> {
        self.shared.recorded.lock().unwrap().requests.clone()
    }

    /// The last user message of each request, in arrival order.
    pub fn questions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                let messages = r["messages"].as_array().unwrap();
                messages.last().unwrap()["content"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// When each content token was sent, per request number.
    pub fn sent(&self) -> Vec<(Instant, usize, String)> {
        self.shared.recorded.lock().unwrap().sent.clone()
    }

    /// How many answers the client closed before their end.
    pub fn closed_early(&self) -> usize {
        self.shared.recorded.lock().unwrap().closed_early
    }

    /// Waits until `condition` holds (or panics after 30 s).
    pub async fn wait_until(&self, what: &str, condition: impl Fn(&FakeOllama) -> bool) {
        let mut changes = self.shared.changed.subscribe();
        let wait = async {
            while !condition(self) {
                changes.changed().await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("the fake Ollama never saw: {what}"));
    }
}

fn model_entry(name: &str) -> Value {
    json!({
        "name": name, "model": name, "modified_at": "2026-08-01T10:00:00.123-07:00",
        "size": 4_683_087_332u64, "digest": "a".repeat(64),
        "details": {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
                    "parameter_size": "7.6B", "quantization_level": "Q4_K_M"},
        "capabilities": ["completion"]
    })
}

async fn tags(State(shared): State<Arc<Shared>>) -> Response {
    let models: Vec<Value> = shared.models.iter().map(|m| model_entry(m)).collect();
    json_response(StatusCode::OK, &json!({"models": models}))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        go_json(body),
    )
        .into_response()
}

/// JSON as Go's encoding/json writes it: compact, with `<`, `>` and `&`
/// escaped (they occur only inside strings, so replacing them is safe).
fn go_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn installed(models: &[String], name: &str) -> bool {
    let full = |n: &str| {
        if n.contains(':') {
            n.to_lowercase()
        } else {
            format!("{}:latest", n.to_lowercase())
        }
    };
    models.iter().any(|m| full(m) == full(name))
}

async fn chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "invalid character looking for beginning of value"}),
        );
    };
    let number = {
        let mut n = 0;
        shared.record(|r| {
            r.requests.push(request.clone());
            n = r.requests.len() - 1;
        });
        n
    };
    let model = request["model"].as_str().unwrap_or_default().to_owned();
    if model.is_empty() {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "model is required"}),
        );
    }
    if !installed(&shared.models, &model) {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("model '{model}' not found")}),
        );
    }
    let script = shared
        .scripts
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.default.lock().unwrap().clone());
    // Ollama writes nothing at all before its first line is ready.
    tokio::time::sleep(script.first_token_delay).await;
    if let Some((status, message)) = &script.status {
        return json_response(
            StatusCode::from_u16(*status).unwrap(),
            &json!({"error": message}),
        );
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(produce(shared, number, model, script, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stream))
        .unwrap()
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

async fn produce(
    shared: Arc<Shared>,
    number: usize,
    model: String,
    script: Script,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let send_line = |value: Value| {
        let tx = tx.clone();
        let split = script.split_lines;
        async move {
            let mut line = go_json(&value).into_bytes();
            line.push(b'\n');
            let chunks: Vec<Vec<u8>> = if split && line.len() > 2 {
                let mid = line.len() / 2;
                vec![line[..mid].to_vec(), line[mid..].to_vec()]
            } else {
                vec![line]
            };
            for chunk in chunks {
                if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                    return false;
                }
            }
            true
        }
    };
    let message = |content: &str, thinking: Option<&str>| {
        let mut m = json!({"role": "assistant", "content": content});
        if let Some(t) = thinking {
            m["thinking"] = json!(t);
        }
        json!({"model": model, "created_at": now_rfc3339(), "message": m, "done": false})
    };
    let mut first = true;
    for thought in &script.thinking {
        if !first {
            tokio::time::sleep(script.token_delay).await;
        }
        first = false;
        if !send_line(message("", Some(thought))).await {
            shared.record(|r| r.closed_early += 1);
            return;
        }
    }
    for token in &script.tokens {
        if !first {
            tokio::time::sleep(script.token_delay).await;
        }
        first = false;
        if !send_line(message(token, None)).await {
            shared.record(|r| r.closed_early += 1);
            return;
        }
        shared.record(|r| r.sent.push((Instant::now(), number, token.clone())));
    }
    match &script.end {
        End::Done | End::Length => {
            let count = script.tokens.len() as u64;
            let done = json!({
                "model": model, "created_at": now_rfc3339(),
                "message": {"role": "assistant", "content": ""},
                "done": true,
                "done_reason": if script.end == End::Length { "length" } else { "stop" },
                "total_duration": 4_883_583_458u64, "load_duration": 1_334_875u64,
                "prompt_eval_count": 26, "prompt_eval_duration": 342_546_000u64,
                "eval_count": count, "eval_duration": 4_535_599_000u64,
            });
            if !send_line(done).await {
                shared.record(|r| r.closed_early += 1);
            }
        }
        End::ErrorLine(error) => {
            let _ = send_line(json!({"error": error})).await;
        }
        End::Disconnect => {
            let _ = tx
                .send(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "model runner has unexpectedly stopped",
                )))
                .await;
        }
        End::Eof => {}
    }
}
