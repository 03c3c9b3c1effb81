//! A loopback fake model server. Like Ollama itself, it speaks two APIs on
//! one port, over the same scripts and recordings.
//!
//! Ollama's native `/api/chat`, `/api/tags` and `/api/embed`, faithful to
//! the wire format of Ollama 0.12–0.33 (see shared notes, ollama-api.md):
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
//! The OpenAI-compatible `/v1/chat/completions`, `/v1/models` and
//! `/v1/embeddings`, as vLLM and OpenAI send them:
//!
//! - headers and a role chunk at once, then (after the first-token delay)
//!   one `data:` event per token with `delta.content` (`reasoning_content`
//!   for thinking), a last chunk with an empty delta and `finish_reason`
//!   ("stop" or "length"), and `data: [DONE]`;
//! - errors before streaming as `{"error": {"message", "type", "code"}}` with
//!   their status (401 without the right `Authorization: Bearer` key when one
//!   is required, 404 `model_not_found`, 429/503 with `Retry-After` when the
//!   script says); after streaming began, an `{"error": {…}}` event and a
//!   clean end without `[DONE]`; `End::Eof` ends without `[DONE]`.
//!
//! It records every request body and its `Authorization` header, when each
//! token was sent, and how many answers the client closed before the end.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
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
    /// An `{"error": …}` line, then a clean end (Ollama after streaming
    /// began); on `/v1`, an `{"error": {…}}` event and no `[DONE]`.
    ErrorLine(String),
    /// The connection drops (no terminating chunk).
    Disconnect,
    /// A clean end without `done` (Ollama's repeat guard does this), or
    /// without `[DONE]` on `/v1`.
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
    /// With `status`: a `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
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
            retry_after: None,
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

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

/// Which API a request came in on.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Wire {
    Ollama,
    OpenAi,
}

#[derive(Default)]
struct Recorded {
    requests: Vec<Value>,
    /// The `Authorization` header of each chat request, in order.
    authorizations: Vec<Option<String>>,
    /// When each chat request arrived.
    arrivals: Vec<Instant>,
    /// The inputs of each embedding request.
    embedded: Vec<Vec<String>>,
    /// (when, request number, token) for every content token sent.
    sent: Vec<(Instant, usize, String)>,
    closed_early: usize,
}

struct Shared {
    models: Vec<String>,
    /// The key the OpenAI-compatible API requires, if any.
    key: Mutex<Option<String>>,
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
pub struct FakeModel {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl FakeModel {
    /// A fake with `models` installed, answering "Bonjour !" by default.
    pub async fn start(models: &[&str]) -> Self {
        let shared = Arc::new(Shared {
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            key: Mutex::new(None),
            scripts: Mutex::new(VecDeque::new()),
            default: Mutex::new(Script::answer("Bonjour !")),
            recorded: Mutex::new(Recorded::default()),
            changed: watch::channel(0).0,
        });
        let app = Router::new()
            .route("/api/chat", post(chat))
            .route("/api/tags", get(tags))
            .route("/api/embed", post(embed))
            .route("/v1/chat/completions", post(completions))
            .route("/v1/models", get(v1_models))
            .route("/v1/embeddings", post(v1_embeddings))
            .route("/", get(|| async { "Ollama is running" }))
            .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found") })
            .with_state(Arc::clone(&shared));
        let (addr, stop) = super::serve_on_loopback(app).await;
        Self { addr, shared, stop }
    }

    /// The root (Ollama's native API).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OpenAI-compatible API's base.
    pub fn v1(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// From now on, the OpenAI-compatible API answers only requests bearing
    /// this key.
    pub fn require_key(&self, key: &str) {
        *self.shared.key.lock().unwrap() = Some(key.to_owned());
    }

    /// The `Authorization` header of each chat request.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.shared.recorded.lock().unwrap().authorizations.clone()
    }

    /// When each chat request arrived.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.shared.recorded.lock().unwrap().arrivals.clone()
    }

    /// The texts of each embedding request.
    pub fn embedded(&self) -> Vec<Vec<String>> {
        self.shared.recorded.lock().unwrap().embedded.clone()
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
    pub async fn wait_until(&self, what: &str, condition: impl Fn(&FakeModel) -> bool) {
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

async fn chat(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    answer(shared, Wire::Ollama, &headers, &body).await
}

async fn completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(shared, Wire::OpenAi, &headers, &body).await
}

/// An error before streaming, in the wire's shape.
fn refusal(wire: Wire, status: u16, message: &str, code: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    match wire {
        Wire::Ollama => json_response(status, &json!({"error": message})),
        Wire::OpenAi => (
            status,
            Json(
                json!({"error": {"message": message, "type": "invalid_request_error",
                                 "param": null, "code": code}}),
            ),
        )
            .into_response(),
    }
}

/// Whether a request to the OpenAI-compatible API bears the required key.
fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let required = shared.key.lock().unwrap().clone();
    required.is_none_or(|key| {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {key}"))
    })
}

const BAD_KEY: &str = "Incorrect API key provided.";

async fn answer(shared: Arc<Shared>, wire: Wire, headers: &HeaderMap, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return refusal(
            wire,
            400,
            "invalid character looking for beginning of value",
            "invalid_json",
        );
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let number = {
        let mut n = 0;
        shared.record(|r| {
            r.requests.push(request.clone());
            r.authorizations.push(authorization);
            r.arrivals.push(Instant::now());
            n = r.requests.len() - 1;
        });
        n
    };
    if wire == Wire::OpenAi && !authorized(&shared, headers) {
        return refusal(wire, 401, BAD_KEY, "invalid_api_key");
    }
    let model = request["model"].as_str().unwrap_or_default().to_owned();
    if model.is_empty() {
        return refusal(wire, 400, "model is required", "missing_model");
    }
    if !installed(&shared.models, &model) {
        let message = match wire {
            Wire::Ollama => format!("model '{model}' not found"),
            Wire::OpenAi => format!("The model `{model}` does not exist."),
        };
        return refusal(wire, 404, &message, "model_not_found");
    }
    let script = shared
        .scripts
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| shared.default.lock().unwrap().clone());
    if wire == Wire::Ollama {
        // Ollama writes nothing at all before its first line is ready.
        tokio::time::sleep(script.first_token_delay).await;
    }
    if let Some((status, message)) = &script.status {
        let mut response = refusal(wire, *status, message, "server_error");
        if let Some(seconds) = script.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.to_string().parse().unwrap());
        }
        return response;
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(produce(shared, wire, number, model, script, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let content_type = match wire {
        Wire::Ollama => "application/x-ndjson",
        Wire::OpenAi => "text/event-stream; charset=utf-8",
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn v1_models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !authorized(&shared, &headers) {
        return refusal(Wire::OpenAi, 401, BAD_KEY, "invalid_api_key");
    }
    let data: Vec<Value> = shared
        .models
        .iter()
        .map(|m| json!({"id": m, "object": "model", "created": 1_754_000_000, "owned_by": "library"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

/// A deterministic vector for a text: eight numbers from its bytes.
fn vector(text: &str) -> Vec<f64> {
    let mut v = vec![0.0; 8];
    for (i, b) in text.bytes().enumerate() {
        v[i % 8] += f64::from(b) / 255.0;
    }
    v
}

fn embedding_inputs(shared: &Shared, body: &[u8]) -> Result<(String, Vec<String>), String> {
    let request: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let model = request["model"].as_str().unwrap_or_default().to_owned();
    let inputs: Vec<String> = match &request["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or("input: strings only"))
            .collect::<Result<_, _>>()?,
        _ => return Err("input is required".to_owned()),
    };
    shared.record(|r| r.embedded.push(inputs.clone()));
    Ok((model, inputs))
}

async fn embed(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match embedding_inputs(&shared, &body) {
        Err(e) => refusal(Wire::Ollama, 400, &e, "invalid_request"),
        Ok((model, _)) if !installed(&shared.models, &model) => refusal(
            Wire::Ollama,
            404,
            &format!("model \"{model}\" not found, try pulling it first"),
            "",
        ),
        Ok((model, inputs)) => {
            let vectors: Vec<Vec<f64>> = inputs.iter().map(|t| vector(t)).collect();
            json_response(
                StatusCode::OK,
                &json!({"model": model, "embeddings": vectors, "total_duration": 14_143_917u64,
                        "load_duration": 1_019_500u64, "prompt_eval_count": 8}),
            )
        }
    }
}

async fn v1_embeddings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&shared, &headers) {
        return refusal(Wire::OpenAi, 401, BAD_KEY, "invalid_api_key");
    }
    match embedding_inputs(&shared, &body) {
        Err(e) => refusal(Wire::OpenAi, 400, &e, "invalid_request"),
        Ok((model, _)) if !installed(&shared.models, &model) => refusal(
            Wire::OpenAi,
            404,
            &format!("The model `{model}` does not exist."),
            "model_not_found",
        ),
        Ok((model, inputs)) => {
            // Servers may answer in any order: `index` says which is which.
            let data: Vec<Value> = inputs
                .iter()
                .enumerate()
                .rev()
                .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(t)}))
                .collect();
            Json(json!({"object": "list", "data": data, "model": model,
                        "usage": {"prompt_tokens": 8, "total_tokens": 8}}))
            .into_response()
        }
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// One chunk of the OpenAI-compatible stream, with `delta` and
/// `finish_reason`.
fn sse_chunk(model: &str, number: usize, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": format!("chatcmpl-{number}"), "object": "chat.completion.chunk",
        "created": 1_754_000_000, "model": model, "system_fingerprint": null,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
    })
}

async fn produce(
    shared: Arc<Shared>,
    wire: Wire,
    number: usize,
    model: String,
    script: Script,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let send_line = |value: Option<Value>| {
        let tx = tx.clone();
        let split = script.split_lines;
        async move {
            let mut line = match (wire, value) {
                (Wire::Ollama, Some(value)) => format!("{}\n", go_json(&value)).into_bytes(),
                (Wire::OpenAi, Some(value)) => format!("data: {value}\n\n").into_bytes(),
                (_, None) => b"data: [DONE]\n\n".to_vec(),
            };
            let chunks: Vec<Vec<u8>> = if split && line.len() > 2 {
                let mid = line.len() / 2;
                let rest = line.split_off(mid);
                vec![line, rest]
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
    let message = |content: &str, thinking: Option<&str>| match wire {
        Wire::Ollama => {
            let mut m = json!({"role": "assistant", "content": content});
            if let Some(t) = thinking {
                m["thinking"] = json!(t);
            }
            json!({"model": model, "created_at": now_rfc3339(), "message": m, "done": false})
        }
        Wire::OpenAi => {
            let delta = match thinking {
                Some(t) => json!({"reasoning_content": t}),
                None => json!({"content": content}),
            };
            sse_chunk(&model, number, delta, None)
        }
    };
    if wire == Wire::OpenAi {
        // An OpenAI-compatible server opens the stream at once, then works.
        let role = sse_chunk(
            &model,
            number,
            json!({"role": "assistant", "content": ""}),
            None,
        );
        if !send_line(Some(role)).await {
            shared.record(|r| r.closed_early += 1);
            return;
        }
        tokio::time::sleep(script.first_token_delay).await;
    }
    let mut first = true;
    for thought in &script.thinking {
        if !first {
            tokio::time::sleep(script.token_delay).await;
        }
        first = false;
        if !send_line(Some(message("", Some(thought)))).await {
            shared.record(|r| r.closed_early += 1);
            return;
        }
    }
    for token in &script.tokens {
        if !first {
            tokio::time::sleep(script.token_delay).await;
        }
        first = false;
        if !send_line(Some(message(token, None))).await {
            shared.record(|r| r.closed_early += 1);
            return;
        }
        shared.record(|r| r.sent.push((Instant::now(), number, token.clone())));
    }
    match (&script.end, wire) {
        (End::Done | End::Length, Wire::Ollama) => {
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
            if !send_line(Some(done)).await {
                shared.record(|r| r.closed_early += 1);
            }
        }
        (End::Done | End::Length, Wire::OpenAi) => {
            let reason = if script.end == End::Length {
                "length"
            } else {
                "stop"
            };
            let last = sse_chunk(&model, number, json!({}), Some(reason));
            if !send_line(Some(last)).await || !send_line(None).await {
                shared.record(|r| r.closed_early += 1);
            }
        }
        (End::ErrorLine(error), Wire::Ollama) => {
            let _ = send_line(Some(json!({"error": error}))).await;
        }
        (End::ErrorLine(error), Wire::OpenAi) => {
            let object = json!({"error": {"message": error, "type": "server_error", "param": null, "code": 500}});
            let _ = send_line(Some(object)).await;
        }
        (End::Disconnect, _) => {
            let _ = tx
                .send(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "model runner has unexpectedly stopped",
                )))
                .await;
        }
        (End::Eof, _) => {}
    }
}
