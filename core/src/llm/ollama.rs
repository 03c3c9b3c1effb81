//! A client for one Ollama server: `POST /api/chat` streamed as NDJSON, and
//! `GET /api/tags`.
//!
//! Wire facts it relies on (Ollama 0.12–0.33): nothing is sent until the
//! first token; each line is one JSON object with `message.content` (maybe
//! empty) and optionally `message.thinking`; the last line has `done: true`;
//! an error before streaming comes with its HTTP status and
//! `{"error": "..."}`; an error after streaming began is one `{"error"}` line
//! followed by a clean end; and a clean end without `done` means the answer
//! was cut. Lines are decoded as JSON, never matched as bytes (Go escapes
//! `<` as `\u003c`).

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use url::Url;

use super::think::ThinkFilter;
use super::{ChatMessage, Lease, LlmError, ModelOptions, Timeouts};

/// Whether `model` is among `installed`, as Ollama matches names: a missing
/// tag means `:latest`, and each part matches regardless of case.
pub fn has_model(installed: &[String], model: &str) -> bool {
    let full = |name: &str| {
        let name = name.to_lowercase();
        if name.contains(':') {
            name
        } else {
            format!("{name}:latest")
        }
    };
    let wanted = full(model);
    installed.iter().any(|m| full(m) == wanted)
}

/// One Ollama server.
#[derive(Clone, Debug)]
pub struct OllamaClient {
    http: reqwest::Client,
    endpoint: Url,
    options: ModelOptions,
    timeouts: Timeouts,
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    stream: bool,
    /// Off: a thinking model answers sooner, and its thoughts are not shown.
    think: bool,
    options: WireOptions,
    keep_alive: String,
}

#[derive(Serialize)]
struct WireOptions {
    num_ctx: u32,
    temperature: f64,
}

#[derive(Deserialize)]
struct WireLine {
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// A line longer than this is not Ollama talking: refuse rather than buffer.
const MAX_LINE: usize = 4 << 20;

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct WireError {
    error: String,
}

#[derive(Deserialize)]
struct WireTags {
    models: Vec<WireModel>,
}

#[derive(Deserialize)]
struct WireModel {
    name: String,
}

impl OllamaClient {
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn new(endpoint: Url, options: ModelOptions, timeouts: Timeouts) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .build()
            .map_err(|e| LlmError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            options,
            timeouts,
        })
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub fn model(&self) -> &str {
        &self.options.model
    }

    fn url(&self, path: &str) -> Url {
        self.endpoint
            .join(path)
            .unwrap_or_else(|_| self.endpoint.clone())
    }

    fn name(&self) -> String {
        self.endpoint.as_str().trim_end_matches('/').to_owned()
    }

    /// The installed models.
    ///
    /// # Errors
    /// [`LlmError::Unreachable`] or a protocol error.
    pub async fn tags(&self) -> Result<Vec<String>, LlmError> {
        let response = self
            .http
            .get(self.url("api/tags"))
            .timeout(self.timeouts.connect + self.timeouts.idle)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        let tags: WireTags = response
            .json()
            .await
            .map_err(|e| LlmError::Protocol(format!("/api/tags: {e}")))?;
        Ok(tags.models.into_iter().map(|m| m.name).collect())
    }

    /// Starts a streamed answer. Returns once the first line has arrived
    /// (Ollama sends its status line with it).
    ///
    /// # Errors
    /// [`LlmError`] for a server that is down, silent, busy, missing the model,
    /// or failing.
    pub async fn chat(&self, messages: &[ChatMessage]) -> Result<TokenStream, LlmError> {
        let body = WireRequest {
            model: &self.options.model,
            messages,
            stream: true,
            think: false,
            options: WireOptions {
                num_ctx: self.options.num_ctx,
                temperature: self.options.temperature,
            },
            keep_alive: format!("{}s", self.options.keep_alive.as_secs()),
        };
        let send = self.http.post(self.url("api/chat")).json(&body).send();
        let sent = std::time::Instant::now();
        let response = match tokio::time::timeout(self.timeouts.first_token, send).await {
            Err(_) => {
                return Err(LlmError::FirstTokenTimeout {
                    endpoint: self.name(),
                    after: self.timeouts.first_token,
                });
            }
            Ok(Err(e)) => return Err(self.unreachable(&e)),
            Ok(Ok(response)) => response,
        };
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        // Ollama sends its status line with the first token.
        metrics::histogram!("pstral_first_token_seconds").record(sent.elapsed().as_secs_f64());
        Ok(TokenStream {
            body: Box::pin(response.bytes_stream()),
            buffer: Vec::new(),
            filter: ThinkFilter::default(),
            idle: self.timeouts.idle,
            endpoint: self.name(),
            eof: false,
            scanned: 0,
            length_limited: false,
            finished: false,
            _lease: None,
        })
    }

    fn unreachable(&self, e: &reqwest::Error) -> LlmError {
        // The innermost cause says the most (connection refused, DNS, ...).
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        LlmError::Unreachable {
            endpoint: self.name(),
            detail,
        }
    }

    async fn status_error(&self, response: reqwest::Response) -> LlmError {
        let status = response.status().as_u16();
        let text = tokio::time::timeout(self.timeouts.idle, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = serde_json::from_str::<WireError>(&text)
            .map(|e| e.error)
            .unwrap_or_else(|_| text.trim().to_owned());
        let endpoint = self.name();
        match status {
            // "model 'x' not found"; a bare "404 page not found" is another
            // server on that port, not a missing model.
            404 if message.contains("model") && message.contains("not found") => {
                LlmError::ModelNotFound {
                    endpoint,
                    model: self.options.model.clone(),
                }
            }
            503 => LlmError::Busy { endpoint, message },
            _ => LlmError::Server {
                endpoint,
                status,
                message,
            },
        }
    }
}

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// The pieces of one answer as they arrive. Dropping it closes the
/// connection, which is how Ollama is told to stop generating.
pub struct TokenStream {
    body: Body,
    /// Bytes of a line not yet complete: a line (and a UTF-8 character) may
    /// be split across chunks anywhere.
    buffer: Vec<u8>,
    filter: ThinkFilter,
    idle: Duration,
    endpoint: String,
    /// The server closed the response.
    eof: bool,
    /// How much of `buffer` is known to hold no newline.
    scanned: usize,
    /// The model stopped at its length limit (`done_reason: "length"`).
    length_limited: bool,
    /// Nothing more will come: `done`, an error, or the end after `eof`.
    finished: bool,
    /// The queue slot this answer occupies, released when it is dropped.
    _lease: Option<Lease>,
}

impl TokenStream {
    /// Ties a queue slot to this stream's lifetime.
    pub fn holding(mut self, lease: Lease) -> Self {
        self._lease = Some(lease);
        self
    }

    /// After `done` with `done_reason: "length"`, one error saying so, once.
    fn length_note(&mut self) -> Option<Result<String, LlmError>> {
        std::mem::take(&mut self.length_limited).then_some(Err(LlmError::LengthLimit))
    }

    /// The next piece of visible text; `None` after the model said it was
    /// done. Empty pieces (thinking, keep-alive lines) are skipped. An answer
    /// cut by the model's length limit ends with [`LlmError::LengthLimit`].
    pub async fn next(&mut self) -> Option<Result<String, LlmError>> {
        loop {
            if self.finished {
                return self.length_note();
            }
            let newline = self.buffer[self.scanned..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| i + self.scanned);
            self.scanned = newline.map_or(self.buffer.len(), |_| 0);
            if newline.is_none() && self.buffer.len() > MAX_LINE {
                self.finished = true;
                return Some(Err(LlmError::Protocol(format!(
                    "a line of more than {MAX_LINE} bytes from {}",
                    self.endpoint
                ))));
            }
            let line = match newline {
                Some(end) => Some(self.buffer.drain(..=end).collect::<Vec<u8>>()),
                // A last line without its newline is still a line.
                None if self.eof && !self.buffer.iter().all(u8::is_ascii_whitespace) => {
                    self.scanned = 0;
                    Some(std::mem::take(&mut self.buffer))
                }
                None => None,
            };
            if let Some(line) = line {
                match self.line(&line) {
                    Some(Ok(text)) if text.is_empty() && !self.finished => continue,
                    other => return other,
                }
            }
            if self.eof {
                self.finished = true;
                return Some(Err(LlmError::Cut {
                    detail: format!("{} ended the answer before it was done", self.endpoint),
                }));
            }
            match tokio::time::timeout(self.idle, self.body.next()).await {
                Err(_) => {
                    self.finished = true;
                    return Some(Err(LlmError::IdleTimeout {
                        endpoint: self.endpoint.clone(),
                        after: self.idle,
                    }));
                }
                Ok(Some(Ok(chunk))) => self.buffer.extend_from_slice(&chunk),
                Ok(Some(Err(e))) => {
                    self.finished = true;
                    return Some(Err(LlmError::Cut {
                        detail: format!("the connection to {} broke ({e})", self.endpoint),
                    }));
                }
                Ok(None) => self.eof = true,
            }
        }
    }

    /// Decodes one line. Sets `finished` on `done` or an error line.
    fn line(&mut self, bytes: &[u8]) -> Option<Result<String, LlmError>> {
        let text = std::str::from_utf8(bytes).map_err(|e| LlmError::Protocol(e.to_string()));
        let line: WireLine = match text.and_then(|t| {
            let t = t.trim();
            if t.is_empty() {
                return Ok(None);
            }
            serde_json::from_str(t)
                .map(Some)
                .map_err(|e| LlmError::Protocol(format!("{e}: {t:.200}")))
        }) {
            Ok(Some(line)) => line,
            Ok(None) => return Some(Ok(String::new())),
            Err(e) => {
                self.finished = true;
                return Some(Err(e));
            }
        };
        if let Some(error) = line.error {
            self.finished = true;
            return Some(Err(LlmError::Cut { detail: error }));
        }
        let mut visible = line
            .message
            .map(|m| self.filter.push(&m.content))
            .unwrap_or_default();
        if line.done {
            self.finished = true;
            self.length_limited = line.done_reason.as_deref() == Some("length");
            visible.push_str(&self.filter.finish());
            if visible.is_empty() {
                return self.length_note();
            }
        }
        Some(Ok(visible))
    }

    /// Turns this into a `Stream`, for code written against streams.
    pub fn into_stream(self) -> impl Stream<Item = Result<String, LlmError>> + Send + Unpin {
        Box::pin(futures_util::stream::unfold(self, |mut s| async move {
            s.next().await.map(|item| (item, s))
        }))
    }
}
