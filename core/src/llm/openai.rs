//! The OpenAI-compatible API that vLLM, llama.cpp's server, LM Studio,
//! LocalAI, TGI and Ollama's own `/v1` speak: `POST chat/completions`
//! streamed as server-sent events, `GET models`, `POST embeddings`, all
//! relative to a base URL that usually ends in `/v1`.
//!
//! Wire facts it relies on: the response to a streamed request is
//! `text/event-stream`; each event's data is one JSON chunk whose
//! `choices[0].delta` carries `role` (first chunk), `content` (maybe null or
//! empty) and, from reasoning models, `reasoning_content` or `reasoning`
//! (never shown); a chunk with `finish_reason` ("stop", "length", …) closes
//! the choice; the stream ends with `data: [DONE]`. An error after streaming
//! began is a data object with `error` (OpenAI, llama.cpp) or
//! `"object": "error"` (vLLM), sometimes under `event: error`. Errors before
//! streaming come with their status and `{"error": {"message": …}}`
//! (OpenAI, vLLM, llama.cpp), `{"error": "…"}` (LM Studio, Ollama) or
//! `{"detail": …}` (FastAPI-based servers). SSE framing is parsed by
//! `eventsource-stream`, which also rejoins UTF-8 characters split across
//! chunks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tokens::{Finish, Piece, Pieces};
use super::{ChatMessage, LlmError, ModelOptions, Sampling};

pub(super) const CHAT: &str = "chat/completions";
pub(super) const MODELS: &str = "models";
pub(super) const EMBED: &str = "embeddings";

/// Whether `model` is among the served model ids: ids are exact, though
/// some servers differ in case.
pub fn has_model(served: &[String], model: &str) -> bool {
    served.iter().any(|m| m.eq_ignore_ascii_case(model))
}

#[derive(Serialize)]
pub(super) struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    stream: bool,
    temperature: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    /// The JSON schema the answer is held to, in the server's form.
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Box<serde_json::value::RawValue>>,
    /// Each token's log-probability asked for with the answer.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    logprobs: bool,
    /// One: llama-cpp-python gives none without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    top_logprobs: Option<u8>,
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
            temperature: sampling.map_or(options.temperature, |s| s.temperature),
            max_tokens: options.max_tokens,
            seed: sampling.map(|s| s.seed),
            response_format: None,
            logprobs: false,
            top_logprobs: None,
        }
    }

    /// The answer held to `schema`: as OpenAI's `json_schema` when
    /// `openai_form`, else as llama-cpp-python's `json_object` with a
    /// `schema` (which llama.cpp's own server takes too).
    pub(super) fn shaped(mut self, shape: Option<super::Shape<'_>>, openai_form: bool) -> Self {
        let schema = shape.map(|s| s.schema);
        self.response_format = schema.and_then(|schema| {
            let format = if openai_form {
                format!(
                    "{{\"type\":\"json_schema\",\"json_schema\":{{\"name\":\"answer\",\"strict\":true,\"schema\":{schema}}}}}"
                )
            } else {
                format!("{{\"type\":\"json_object\",\"schema\":{schema}}}")
            };
            serde_json::value::RawValue::from_string(format).ok()
        });
        // How sure the model was of each choice of the plan: a signal of
        // doubt (llama.cpp's servers and vLLM give them; others ignore it).
        self.logprobs = self.response_format.is_some() && shape.is_some_and(|s| s.logprobs);
        self.top_logprobs = self.logprobs.then_some(1);
        self
    }
}

/// The message of an error body, in any of the shapes servers use.
pub(super) fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| message_of(&v))
        .unwrap_or_else(|| body.trim().to_owned())
}

fn message_of(value: &Value) -> Option<String> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match value {
        Value::Object(o) => o
            .get("error")
            .and_then(|e| text(e).or_else(|| e.get("message").and_then(text)))
            .or_else(|| o.get("message").and_then(text))
            .or_else(|| {
                o.get("detail")
                    .map(|d| text(d).unwrap_or_else(|| d.to_string()))
            }),
        _ => None,
    }
}

/// The served model ids, from `GET models`.
pub(super) fn models(body: &[u8]) -> Result<Vec<String>, LlmError> {
    #[derive(Deserialize)]
    struct List {
        data: Vec<Model>,
    }
    #[derive(Deserialize)]
    struct Model {
        id: String,
    }
    let list: List =
        serde_json::from_slice(body).map_err(|e| LlmError::Protocol(format!("models: {e}")))?;
    Ok(list.data.into_iter().map(|m| m.id).collect())
}

#[derive(Serialize)]
pub(super) struct EmbedRequest<'a> {
    model: &'a str,
    input: &'a [String],
    encoding_format: &'static str,
}

impl<'a> EmbedRequest<'a> {
    pub(super) fn new(model: &'a str, input: &'a [String]) -> Self {
        Self {
            model,
            input,
            encoding_format: "float",
        }
    }
}

/// The vectors of `POST embeddings`, put back in input order (`index`).
pub(super) fn embeddings(body: &[u8], inputs: usize) -> Result<Vec<Vec<f32>>, LlmError> {
    #[derive(Deserialize)]
    struct List {
        data: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        index: usize,
        embedding: Vector,
    }
    /// llama.cpp's server, for a model without a pooling type, answers one
    /// vector per token: their mean is the text's vector.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Vector {
        Pooled(Vec<f32>),
        PerToken(Vec<Vec<f32>>),
    }
    let list: List =
        serde_json::from_slice(body).map_err(|e| LlmError::Protocol(format!("embeddings: {e}")))?;
    let mut vectors = vec![None; inputs];
    for item in list.data {
        let slot = vectors.get_mut(item.index).ok_or_else(|| {
            LlmError::Protocol(format!(
                "embeddings: index {} of {inputs} inputs",
                item.index
            ))
        })?;
        *slot = Some(match item.embedding {
            Vector::Pooled(v) => v,
            Vector::PerToken(tokens) => mean(&tokens),
        });
    }
    vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| LlmError::Protocol(format!("embeddings: none for input {i}")))
        })
        .collect()
}

/// The mean of vectors of one length (empty for none).
fn mean(vectors: &[Vec<f32>]) -> Vec<f32> {
    let Some(first) = vectors.first() else {
        return Vec::new();
    };
    let mut sum = vec![0.0f32; first.len()];
    for v in vectors {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    sum.iter().map(|s| s / vectors.len() as f32).collect()
}

/// An event larger than this is not a chat chunk: refuse rather than buffer.
const MAX_EVENT: usize = 4 << 20;

/// The pieces of a server-sent-events answer body.
pub(super) fn pieces<B>(body: B, endpoint: String) -> Pieces
where
    B: Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
{
    // Bytes received since the last whole event: the parser buffers an
    // incomplete event without bound, so the body itself fails past the limit.
    let pending = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&pending);
    // The end of the last chunk when it stops inside a UTF-8 character.
    let mut unfinished: Vec<u8> = Vec::new();
    let bounded = body.map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        if counted.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len() > MAX_EVENT {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("an event of more than {MAX_EVENT} bytes"),
            ));
        }
        // Invalid UTF-8 fails here, at once: the parser would hold it back
        // and wait for more, forever.
        unfinished.extend_from_slice(&chunk);
        match std::str::from_utf8(&unfinished) {
            Ok(_) => unfinished.clear(),
            Err(e) if e.error_len().is_none() => drop(unfinished.drain(..e.valid_up_to())),
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("invalid UTF-8 ({e})"),
                ));
            }
        }
        Ok(chunk)
    });
    Box::pin(bounded.eventsource().filter_map(move |event| {
        pending.store(0, Ordering::Relaxed);
        let piece = match event {
            Ok(event) => decode(&event.event, &event.data).transpose(),
            Err(EventStreamError::Transport(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                Some(Err(LlmError::Protocol(format!("{endpoint}: {e}"))))
            }
            Err(EventStreamError::Transport(e)) => Some(Err(LlmError::Cut {
                detail: format!("the connection to {endpoint} broke ({e})"),
            })),
            Err(e) => Some(Err(LlmError::Protocol(format!("{endpoint}: {e}")))),
        };
        std::future::ready(piece)
    }))
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    logprobs: Option<ChoiceLogprobs>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct ChoiceLogprobs {
    #[serde(default)]
    content: Option<Vec<TokenLogprob>>,
}

#[derive(Deserialize)]
struct TokenLogprob {
    token: String,
    logprob: f64,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
}

/// One event as a piece; `None` for an event that says nothing (a usage
/// chunk, an empty keep-alive).
fn decode(kind: &str, data: &str) -> Result<Option<Piece>, LlmError> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(Some(Piece {
            done: true,
            ..Piece::default()
        }));
    }
    if data.is_empty() {
        return Ok(None);
    }
    let value: Value = match serde_json::from_str(data) {
        Ok(value) => value,
        Err(_) if kind == "error" => {
            return Err(LlmError::Cut {
                detail: format!("{data:.300}"),
            });
        }
        Err(e) => return Err(LlmError::Protocol(format!("{e}: {data:.200}"))),
    };
    let is_error = kind == "error"
        || value.get("error").is_some_and(|e| !e.is_null())
        || value.get("object").and_then(Value::as_str) == Some("error");
    if is_error {
        return Err(LlmError::Cut {
            detail: message_of(&value).unwrap_or_else(|| format!("{data:.200}")),
        });
    }
    let chunk: Chunk = serde_json::from_value(value)
        .map_err(|e| LlmError::Protocol(format!("{e}: {data:.200}")))?;
    // Pstral asks for one choice; a server that sends more is shown the first.
    let Some(choice) = chunk.choices.into_iter().flatten().next() else {
        return Ok(None);
    };
    let delta = choice.delta.unwrap_or_default();
    let thinking = [&delta.reasoning_content, &delta.reasoning]
        .iter()
        .any(|r| r.as_deref().is_some_and(|r| !r.is_empty()));
    let logprobs = choice
        .logprobs
        .and_then(|l| l.content)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.logprob.is_finite())
        .map(|t| (t.token, t.logprob))
        .collect();
    Ok(Some(Piece {
        text: delta.content.unwrap_or_default(),
        logprobs,
        activity: thinking,
        finish: choice.finish_reason.map(|reason| match reason.as_str() {
            "length" => Finish::Length,
            _ => Finish::Stop,
        }),
        done: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_become_pieces() {
        let role = r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
        assert_eq!(decode("", role).unwrap(), Some(Piece::default()));
        let text = r#"{"choices":[{"index":0,"delta":{"content":"Bon"},"finish_reason":null}]}"#;
        assert_eq!(decode("", text).unwrap(), Some(Piece::text("Bon")));
        let last = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#;
        assert_eq!(
            decode("", last).unwrap().unwrap().finish,
            Some(Finish::Length)
        );
        assert!(decode("", "[DONE]").unwrap().unwrap().done);
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":3}}"#;
        assert_eq!(decode("", usage).unwrap(), None);
        let none = r#"{"choices":null,"usage":{"prompt_tokens":3}}"#;
        assert_eq!(decode("", none).unwrap(), None);
    }

    #[test]
    fn reasoning_is_activity_not_text() {
        let r = r#"{"choices":[{"delta":{"content":null,"reasoning_content":"let me see"}}]}"#;
        let piece = decode("", r).unwrap().unwrap();
        assert_eq!((piece.text.as_str(), piece.activity), ("", true));
    }

    #[test]
    fn errors_in_the_stream_cut_the_answer_with_their_message() {
        for (kind, data) in [
            (
                "",
                r#"{"error":{"message":"context overflow","type":"server_error"}}"#,
            ),
            (
                "",
                r#"{"object":"error","message":"context overflow","code":400}"#,
            ),
            ("error", r#"{"message":"context overflow"}"#),
            ("error", "context overflow"),
        ] {
            match decode(kind, data) {
                Err(LlmError::Cut { detail }) => assert_eq!(detail, "context overflow"),
                other => panic!("{data}: {other:?}"),
            }
        }
    }

    #[test]
    fn error_bodies_give_their_message_whatever_their_shape() {
        for body in [
            r#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#,
            r#"{"error":"bad key"}"#,
            r#"{"object":"error","message":"bad key","type":"NotFoundError","code":404}"#,
            r#"{"detail":"bad key"}"#,
            "bad key\n",
        ] {
            assert_eq!(error_message(body), "bad key", "{body}");
        }
    }

    #[test]
    fn embeddings_come_back_in_input_order() {
        let body = br#"{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5]},{"object":"embedding","index":0,"embedding":[0.25,1]}]}"#;
        assert_eq!(
            embeddings(body, 2).unwrap(),
            vec![vec![0.25, 1.0], vec![0.5]]
        );
        assert!(embeddings(body, 3).is_err());
        let per_token = br#"{"data":[{"index":0,"embedding":[[1,2],[3,4]]}]}"#;
        assert_eq!(embeddings(per_token, 1).unwrap(), vec![vec![2.0, 3.0]]);
    }

    #[tokio::test]
    async fn an_event_split_inside_a_character_is_rejoined() {
        let event = "data: {\"choices\":[{\"delta\":{\"content\":\"été\"}}]}\n\ndata: [DONE]\n\n";
        let bytes = event.as_bytes();
        let at = bytes.iter().position(|b| *b == 0xC3).unwrap() + 1;
        let chunks: Vec<reqwest::Result<bytes::Bytes>> = vec![
            Ok(bytes::Bytes::copy_from_slice(&bytes[..at])),
            Ok(bytes::Bytes::copy_from_slice(&bytes[at..])),
        ];
        let mut p = pieces(futures_util::stream::iter(chunks), "x".to_owned());
        assert_eq!(p.next().await.unwrap().unwrap(), Piece::text("été"));
        assert!(p.next().await.unwrap().unwrap().done);
        assert!(p.next().await.is_none());
    }

    #[tokio::test]
    async fn invalid_utf8_ends_the_answer_at_once() {
        let chunks: Vec<reqwest::Result<bytes::Bytes>> = vec![
            Ok("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: ".into()),
            Ok(bytes::Bytes::from_static(b"\xff\xfe")),
            Ok("{}\n\n".into()),
        ];
        let mut p = pieces(futures_util::stream::iter(chunks), "x".to_owned());
        assert_eq!(p.next().await.unwrap().unwrap(), Piece::text("a"));
        assert!(matches!(p.next().await, Some(Err(LlmError::Protocol(_)))));
    }

    #[tokio::test]
    async fn an_endless_event_is_refused() {
        let chunk = bytes::Bytes::from(vec![b'a'; 1 << 20]);
        let mut chunks: Vec<reqwest::Result<bytes::Bytes>> = vec![Ok("data: ".into())];
        chunks.extend((0..5).map(|_| Ok(chunk.clone())));
        let mut p = pieces(futures_util::stream::iter(chunks), "x".to_owned());
        assert!(matches!(p.next().await, Some(Err(LlmError::Protocol(_)))));
    }
}
