//! One answer as it arrives, whatever API carries it: the wire decoders
//! ([`super::ollama`], [`super::openai`]) turn their format into [`Piece`]s,
//! and [`TokenStream`] turns pieces into visible text, applying the idle
//! timeout, keeping thinking out, ending an answer that loops, and saying
//! how the answer ended.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use super::think::ThinkFilter;
use super::{Lease, LlmError};

/// What one unit of the wire (an NDJSON line, a server-sent event) says.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Piece {
    /// Answer text, before thinking spans are filtered out; may be empty.
    pub text: String,
    /// Each token of `text` with the log-probability the model gave it,
    /// where the server says (asked for a plan's answer).
    pub logprobs: Vec<(String, f64)>,
    /// The model is working without visible text (thinking, reasoning).
    pub activity: bool,
    /// The model said why it stopped.
    pub finish: Option<Finish>,
    /// The end of the answer on the wire: nothing more comes.
    pub done: bool,
}

impl Piece {
    #[cfg(test)]
    pub(super) fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Whether the model has begun: what the first-token timeout waits for.
    fn begins(&self) -> bool {
        !self.text.is_empty() || self.activity || self.finish.is_some() || self.done
    }
}

/// Why the model stopped, when it says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finish {
    /// It was done (or hit a stop sequence).
    Stop,
    /// It reached its length limit (`num_predict`, `max_tokens`, the context).
    Length,
}

/// A loop is a run of this many bytes or more…
const MIN_PERIOD: usize = 16;
/// …and at most this many…
const MAX_PERIOD: usize = 1024;
/// …written this many times in a row…
const COPIES: usize = 4;
/// …that holds at least this many letters or digits (a table's `|---|`
/// rule repeats, but says nothing).
const MIN_WORDY: usize = 8;
/// How often the end of the answer is checked for a loop, in bytes.
const CHECK_EVERY: usize = 32;

/// Whether `tail` ends with the same run of bytes [`COPIES`] times in a
/// row: a small model caught in a loop, which would otherwise write until
/// its length limit.
fn looping(tail: &[u8]) -> bool {
    let n = tail.len();
    (MIN_PERIOD..=MAX_PERIOD.min(n / COPIES)).any(|p| {
        let unit = &tail[n - p..];
        (1..COPIES).all(|k| unit == &tail[n - (k + 1) * p..n - k * p])
            && unit.iter().filter(|b| b.is_ascii_alphanumeric()).count() >= MIN_WORDY
    })
}

/// Pieces decoded from one response body.
pub(super) type Pieces = Pin<Box<dyn Stream<Item = Result<Piece, LlmError>> + Send>>;

/// The pieces of one answer as they arrive. Dropping it closes the
/// connection, which is how a model server is told to stop generating.
pub struct TokenStream {
    pieces: Pieces,
    /// The piece that showed the model had begun, not yet handed out.
    ahead: Option<Piece>,
    filter: ThinkFilter,
    idle: Duration,
    endpoint: String,
    /// The model stopped at its length limit.
    length_limited: bool,
    /// The answer was ended because it looped.
    repeating: bool,
    /// The end of the visible text, at most `COPIES × MAX_PERIOD` bytes,
    /// and how much of it is new since the last check for a loop.
    tail: Vec<u8>,
    unchecked: usize,
    /// The model said why it stopped: a clean end after that loses nothing,
    /// even without the wire's end marker.
    model_finished: bool,
    /// Nothing more will come: the end, an error, or a timeout.
    finished: bool,
    /// The tokens' log-probabilities so far, where the server gives them:
    /// shared with who reads them after the text ([`TokenStream::logprobs`]).
    logprobs: Logprobs,
    /// The queue slot this answer occupies, released when it is dropped.
    _lease: Option<Lease>,
}

/// The tokens of an answer with the log-probability the model gave each,
/// as they arrived.
pub type Logprobs = std::sync::Arc<std::sync::Mutex<Vec<(String, f64)>>>;

impl TokenStream {
    pub(super) fn new(pieces: Pieces, idle: Duration, endpoint: String) -> Self {
        Self {
            pieces,
            ahead: None,
            filter: ThinkFilter::default(),
            idle,
            endpoint,
            length_limited: false,
            repeating: false,
            tail: Vec::new(),
            unchecked: 0,
            model_finished: false,
            finished: false,
            logprobs: Logprobs::default(),
            _lease: None,
        }
    }

    /// The tokens' log-probabilities, filled as the answer is read: empty
    /// when the server gives none.
    pub fn logprobs(&self) -> Logprobs {
        self.logprobs.clone()
    }

    /// Ties a queue slot to this stream's lifetime.
    pub fn holding(mut self, lease: Lease) -> Self {
        self._lease = Some(lease);
        self
    }

    /// Waits until the model has begun (its first token, thought or end),
    /// skipping what only opens the stream (a role chunk, a blank line). The
    /// caller bounds the wait: this is what the first-token timeout covers,
    /// and what failover may not cross.
    pub(super) async fn begun(&mut self) -> Result<(), LlmError> {
        loop {
            match self.pieces.next().await {
                Some(Ok(piece)) if piece.begins() => {
                    self.ahead = Some(piece);
                    return Ok(());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                // What llama.cpp's servers do with a prompt longer than
                // their context: a 200, then nothing. The endpoint, which
                // knows the prompt, says so.
                None => {
                    return Err(LlmError::PromptTooLong {
                        endpoint: self.endpoint.clone(),
                        prompt_tokens: 0,
                        context: None,
                    });
                }
            }
        }
    }

    /// After the end with a length finish or a loop, one error saying so,
    /// once.
    fn length_note(&mut self) -> Option<Result<String, LlmError>> {
        if std::mem::take(&mut self.repeating) {
            return Some(Err(LlmError::Repeating));
        }
        std::mem::take(&mut self.length_limited).then_some(Err(LlmError::LengthLimit))
    }

    /// Keeps the end of the visible text and ends the answer when it loops.
    fn watch(&mut self, visible: &str) {
        self.tail.extend_from_slice(visible.as_bytes());
        let keep = COPIES * MAX_PERIOD;
        if self.tail.len() > 2 * keep {
            self.tail.drain(..self.tail.len() - keep);
        }
        self.unchecked += visible.len();
        if self.unchecked >= CHECK_EVERY {
            self.unchecked = 0;
            if looping(&self.tail) {
                self.repeating = true;
                self.finished = true;
            }
        }
    }

    /// The next piece of visible text; `None` after the model said it was
    /// done. Empty pieces (thinking, keep-alives) are skipped. An answer cut
    /// by the model's length limit ends with [`LlmError::LengthLimit`].
    pub async fn next(&mut self) -> Option<Result<String, LlmError>> {
        loop {
            if self.finished {
                return self.length_note();
            }
            let piece = match self.ahead.take() {
                Some(piece) => piece,
                None => match tokio::time::timeout(self.idle, self.pieces.next()).await {
                    Err(_) => {
                        self.finished = true;
                        return Some(Err(LlmError::IdleTimeout {
                            endpoint: self.endpoint.clone(),
                            after: self.idle,
                        }));
                    }
                    Ok(None) if self.model_finished => Piece {
                        done: true,
                        ..Piece::default()
                    },
                    Ok(None) => {
                        self.finished = true;
                        return Some(Err(LlmError::Cut {
                            detail: format!(
                                "{} ended the answer before it was done",
                                self.endpoint
                            ),
                        }));
                    }
                    Ok(Some(Err(e))) => {
                        self.finished = true;
                        return Some(Err(e));
                    }
                    Ok(Some(Ok(piece))) => piece,
                },
            };
            if let Some(finish) = piece.finish {
                self.length_limited = finish == Finish::Length;
                self.model_finished = true;
            }
            if !piece.logprobs.is_empty() {
                self.logprobs
                    .lock()
                    .expect("never poisoned")
                    .extend(piece.logprobs);
            }
            let mut visible = self.filter.push(&piece.text);
            if piece.done {
                self.finished = true;
                visible.push_str(&self.filter.finish());
                if visible.is_empty() {
                    return self.length_note();
                }
            }
            if !visible.is_empty() {
                if !self.finished {
                    self.watch(&visible);
                }
                return Some(Ok(visible));
            }
        }
    }

    /// Turns this into a `Stream`, for code written against streams.
    pub fn into_stream(self) -> impl Stream<Item = Result<String, LlmError>> + Send + Unpin {
        Box::pin(futures_util::stream::unfold(self, |mut s| async move {
            s.next().await.map(|item| (item, s))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(pieces: Vec<Result<Piece, LlmError>>) -> TokenStream {
        TokenStream::new(
            Box::pin(futures_util::stream::iter(pieces)),
            Duration::from_secs(5),
            "http://model".to_owned(),
        )
    }

    async fn drain(mut s: TokenStream) -> (String, Option<LlmError>) {
        let mut text = String::new();
        while let Some(item) = s.next().await {
            match item {
                Ok(t) => text.push_str(&t),
                Err(e) => return (text, Some(e)),
            }
        }
        (text, None)
    }

    fn end(finish: Finish) -> Piece {
        Piece {
            finish: Some(finish),
            ..Piece::default()
        }
    }

    fn done() -> Piece {
        Piece {
            done: true,
            ..Piece::default()
        }
    }

    #[tokio::test]
    async fn an_answer_that_finishes_then_ends_is_whole() {
        let s = stream(vec![
            Ok(Piece::text("Bon")),
            Ok(Piece::text("jour")),
            Ok(end(Finish::Stop)),
            Ok(done()),
        ]);
        assert_eq!(drain(s).await, ("Bonjour".to_owned(), None));
    }

    #[tokio::test]
    async fn a_length_finish_ends_with_the_length_note_after_the_text() {
        let s = stream(vec![
            Ok(Piece::text("SELECT")),
            Ok(end(Finish::Length)),
            Ok(done()),
        ]);
        assert_eq!(
            drain(s).await,
            ("SELECT".to_owned(), Some(LlmError::LengthLimit))
        );
    }

    #[tokio::test]
    async fn an_end_before_the_model_finished_is_a_cut() {
        let s = stream(vec![Ok(Piece::text("SEL"))]);
        let (text, error) = drain(s).await;
        assert_eq!(text, "SEL");
        assert!(matches!(error, Some(LlmError::Cut { .. })), "{error:?}");
    }

    #[tokio::test]
    async fn a_clean_end_after_the_model_finished_loses_nothing() {
        let s = stream(vec![Ok(Piece::text("SELECT 1")), Ok(end(Finish::Stop))]);
        assert_eq!(drain(s).await, ("SELECT 1".to_owned(), None));
        let s = stream(vec![Ok(Piece::text("SEL")), Ok(end(Finish::Length))]);
        assert_eq!(
            drain(s).await,
            ("SEL".to_owned(), Some(LlmError::LengthLimit))
        );
    }

    #[tokio::test]
    async fn the_model_has_begun_only_with_a_token_a_thought_or_the_end() {
        let mut s = stream(vec![
            Ok(Piece::default()),
            Ok(Piece::text("")),
            Ok(Piece::text("Hi")),
            Ok(done()),
        ]);
        s.begun().await.unwrap();
        assert_eq!(s.ahead, Some(Piece::text("Hi")));
        assert_eq!(drain(s).await, ("Hi".to_owned(), None));

        let mut empty = stream(vec![Ok(Piece::default())]);
        // What llama.cpp does with a prompt past its context: a 200, then nothing.
        assert!(matches!(
            empty.begun().await,
            Err(LlmError::PromptTooLong { .. })
        ));
    }

    #[tokio::test]
    async fn thinking_is_never_shown() {
        let s = stream(vec![
            Ok(Piece {
                activity: true,
                ..Piece::default()
            }),
            Ok(Piece::text("<think>plan</think>")),
            Ok(Piece::text("SELECT 1")),
            Ok(done()),
        ]);
        assert_eq!(drain(s).await, ("SELECT 1".to_owned(), None));
    }

    #[tokio::test]
    async fn an_answer_that_loops_is_ended_with_a_note_and_keeps_what_came() {
        let mut pieces = vec![Ok(Piece::text("```sql\nSELECT nom FROM clients\n```\n"))];
        for _ in 0..50 {
            pieces.push(Ok(Piece::text("Cette requête renvoie les clients. ")));
        }
        pieces.push(Ok(end(Finish::Stop)));
        let (text, error) = drain(stream(pieces)).await;
        assert!(matches!(error, Some(LlmError::Repeating)), "{error:?}");
        assert!(
            text.starts_with("```sql\nSELECT nom FROM clients"),
            "{text}"
        );
        let copies = text.matches("Cette requête").count();
        assert!(
            (4..10).contains(&copies),
            "ended soon after the fourth copy: {copies}"
        );
    }

    #[test]
    fn repeated_rules_and_short_runs_are_not_loops() {
        assert!(!looping(
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|".as_bytes()
        ));
        assert!(!looping(
            b"0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"
        ));
        assert!(!looping(b"SELECT a FROM t UNION ALL SELECT b FROM t UNION ALL SELECT c FROM t UNION ALL SELECT d FROM t"));
        assert!(looping(
            b"intro: SELECT a FROM t; SELECT a FROM t; SELECT a FROM t; SELECT a FROM t; "
        ));
    }
}
