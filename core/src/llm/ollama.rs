//! Ollama's native API: `POST /api/chat` streamed as NDJSON, `GET /api/tags`,
//! `POST /api/embed`.
//!
//! Wire facts it relies on (Ollama 0.12–0.33): nothing is sent until the
//! first token; each line is one JSON object with `message.content` (maybe
//! empty) and optionally `message.thinking`; the last line has `done: true`;
//! an error before streaming comes with its HTTP status and
//! `{"error": "..."}`; an error after streaming began is one `{"error"}` line
//! followed by a clean end; and a clean end without `done` means the answer
//! was cut. Lines are decoded as JSON, never matched as bytes (Go escapes
//! `<` as `\u003c`).

use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use super::tokens::{Finish, Piece, Pieces};
use super::{ChatMessage, LlmError, ModelOptions, Sampling};

pub(super) const CHAT: &str = "api/chat";
pub(super) const MODELS: &str = "api/tags";
pub(super) const EMBED: &str = "api/embed";

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

#[derive(Serialize)]
pub(super) struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    stream: bool,
    /// Off: a thinking model answers sooner, and its thoughts are not shown.
    think: bool,
    options: WireOptions,
    keep_alive: String,
    /// The JSON schema the answer is held to (Ollama takes it as is).
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Serialize)]
struct WireOptions {
    num_ctx: u32,
    temperature: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_predict: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

impl<'a> ChatRequest<'a> {
    pub(super) fn new(
        model: &'a str,
        options: &ModelOptions,
        messages: &'a [ChatMessage],
        sampling: Option<Sampling>,
    ) -> Self {
        Self {
            model,
            messages,
            stream: true,
            think: false,
            options: WireOptions {
                num_ctx: options.num_ctx,
                temperature: sampling.map_or(options.temperature, |s| s.temperature),
                num_predict: options.max_tokens,
                seed: sampling.map(|s| s.seed),
            },
            keep_alive: format!("{}s", options.keep_alive.as_secs()),
            format: None,
        }
    }

    pub(super) fn shaped(mut self, schema: Option<&str>) -> Self {
        self.format =
            schema.and_then(|s| serde_json::value::RawValue::from_string(s.to_owned()).ok());
        self
    }
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

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: String,
    #[serde(default)]
    thinking: String,
}

/// The error text of a failed request: `{"error": "..."}`, else the body.
pub(super) fn error_message(body: &str) -> String {
    #[derive(Deserialize)]
    struct WireError {
        error: String,
    }
    serde_json::from_str::<WireError>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| body.trim().to_owned())
}

/// The names of the installed models, from `/api/tags`.
pub(super) fn models(body: &[u8]) -> Result<Vec<String>, LlmError> {
    #[derive(Deserialize)]
    struct Tags {
        models: Vec<Model>,
    }
    #[derive(Deserialize)]
    struct Model {
        name: String,
    }
    let tags: Tags =
        serde_json::from_slice(body).map_err(|e| LlmError::Protocol(format!("/api/tags: {e}")))?;
    Ok(tags.models.into_iter().map(|m| m.name).collect())
}

#[derive(Serialize)]
pub(super) struct EmbedRequest<'a> {
    model: &'a str,
    input: &'a [String],
}

impl<'a> EmbedRequest<'a> {
    pub(super) fn new(model: &'a str, input: &'a [String]) -> Self {
        Self { model, input }
    }
}

/// The vectors of `/api/embed`, one per input, in input order.
pub(super) fn embeddings(body: &[u8]) -> Result<Vec<Vec<f32>>, LlmError> {
    #[derive(Deserialize)]
    struct Embeddings {
        embeddings: Vec<Vec<f32>>,
    }
    serde_json::from_slice::<Embeddings>(body)
        .map(|e| e.embeddings)
        .map_err(|e| LlmError::Protocol(format!("/api/embed: {e}")))
}

/// A line longer than this is not Ollama talking: refuse rather than buffer.
const MAX_LINE: usize = 4 << 20;

/// The pieces of an NDJSON answer body.
pub(super) fn pieces<B>(body: B, endpoint: String) -> Pieces
where
    B: Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
{
    let lines = Lines {
        body: Box::pin(body),
        buffer: Vec::new(),
        scanned: 0,
        eof: false,
        endpoint,
    };
    Box::pin(futures_util::stream::unfold(
        lines,
        |mut lines| async move { lines.next_piece().await.map(|piece| (piece, lines)) },
    ))
}

type Body = std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Splits the body into lines: a line (and a UTF-8 character) may be split
/// across chunks anywhere.
struct Lines {
    body: Body,
    /// Bytes of a line not yet complete.
    buffer: Vec<u8>,
    /// How much of `buffer` is known to hold no newline.
    scanned: usize,
    /// The server closed the response.
    eof: bool,
    endpoint: String,
}

impl Lines {
    async fn next_piece(&mut self) -> Option<Result<Piece, LlmError>> {
        loop {
            let newline = self.buffer[self.scanned..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| i + self.scanned);
            self.scanned = newline.map_or(self.buffer.len(), |_| 0);
            if newline.is_none() && self.buffer.len() > MAX_LINE {
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
                match decode(&line) {
                    Ok(None) => continue,
                    Ok(Some(piece)) => return Some(Ok(piece)),
                    Err(e) => return Some(Err(e)),
                }
            }
            if self.eof {
                return None;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Some(Err(LlmError::Cut {
                        detail: format!("the connection to {} broke ({e})", self.endpoint),
                    }));
                }
                None => self.eof = true,
            }
        }
    }
}

/// One line as a piece; `None` for a blank line.
fn decode(bytes: &[u8]) -> Result<Option<Piece>, LlmError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| LlmError::Protocol(e.to_string()))?
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    let line: WireLine =
        serde_json::from_str(text).map_err(|e| LlmError::Protocol(format!("{e}: {text:.200}")))?;
    if let Some(error) = line.error {
        return Err(LlmError::Cut { detail: error });
    }
    let (text, thinking) = line
        .message
        .map(|m| (m.content, !m.thinking.is_empty()))
        .unwrap_or_default();
    Ok(Some(Piece {
        text,
        logprobs: Vec::new(),
        activity: thinking,
        finish: line.done.then_some(match line.done_reason.as_deref() {
            Some("length") => Finish::Length,
            _ => Finish::Stop,
        }),
        done: line.done,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_pieces() {
        let line = br#"{"message":{"role":"assistant","content":"\u003cb\u003e"},"done":false}"#;
        assert_eq!(decode(line).unwrap(), Some(Piece::text("<b>")));
        let last = br#"{"message":{"content":""},"done":true,"done_reason":"length"}"#;
        let piece = decode(last).unwrap().unwrap();
        assert_eq!((piece.finish, piece.done), (Some(Finish::Length), true));
        assert_eq!(decode(b"  \n").unwrap(), None);
        assert!(matches!(
            decode(br#"{"error":"model runner crashed"}"#),
            Err(LlmError::Cut { detail }) if detail == "model runner crashed"
        ));
        let thought = br#"{"message":{"content":"","thinking":"hmm"},"done":false}"#;
        assert!(decode(thought).unwrap().unwrap().activity);
    }

    #[tokio::test]
    async fn a_line_and_a_character_split_across_chunks_are_joined() {
        let line = "{\"message\":{\"content\":\"é\"},\"done\":true}\n".as_bytes();
        let at = line.iter().position(|b| *b == 0xC3).unwrap() + 1;
        let chunks: Vec<reqwest::Result<bytes::Bytes>> = vec![
            Ok(bytes::Bytes::copy_from_slice(&line[..at])),
            Ok(bytes::Bytes::copy_from_slice(&line[at..])),
        ];
        let mut p = pieces(futures_util::stream::iter(chunks), "x".to_owned());
        let piece = p.next().await.unwrap().unwrap();
        assert_eq!((piece.text.as_str(), piece.done), ("é", true));
        assert!(p.next().await.is_none());
    }
}
