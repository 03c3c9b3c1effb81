//! Turns a model's token stream into a few well-timed edits of chat messages.
//!
//! The answer goes into a placeholder that was posted at once; tokens are
//! coalesced between edits so that no message is edited faster than the
//! platform allows. When the text would pass the platform's length limit, the
//! message is finished at a clean boundary (a blank line, a line end, a space:
//! never inside a word) and the answer continues in a new message; a code
//! block that is split is closed at the end of one message and reopened, with
//! its language, at the start of the next. The last edit of each message is
//! exactly its share of the answer, so the messages together say exactly what
//! the model said. A stop, or a fault, ends with the partial answer and a note
//! saying what happened.

use std::ops::Range;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use pstral_chat::{ChatPlatform, MessageRef, PlatformError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::i18n::{Lang, Text};
use crate::llm::LlmError;

/// Shown at the end of a message while the answer is still coming.
const CURSOR: &str = pstral_chat::STREAMING_CURSOR;
/// How many times a final edit is retried when the platform rate-limits it.
const FINAL_ATTEMPTS: usize = 8;

/// How an answer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Complete,
    /// Someone used the Stop control.
    Stopped,
    Failed(LlmError),
}

/// One message of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub message: MessageRef,
    /// The bytes of the answer this message shows.
    pub segment: Range<usize>,
    /// The fence line this message reopens, when it continues a code block.
    pub reopened: Option<String>,
    /// Whether this message closes a code block the answer continues.
    pub closed: bool,
}

/// The outcome of streaming one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// The model's answer, exactly (without any note).
    pub answer: String,
    pub parts: Vec<Part>,
    pub ending: Ending,
    /// How many pieces the model sent.
    pub pieces: usize,
    /// How many edits were made (posts not counted).
    pub edits: usize,
    /// The chat shows the answer only up to this byte: a continuation could
    /// not be posted (the chat says so); `None` when it shows all of it.
    pub shown_until: Option<usize>,
    /// When the first message may be changed again (for the control on it).
    pub settled_at: Instant,
}

impl Streamed {
    /// The message the answer starts in.
    pub fn first_message(&self) -> &MessageRef {
        &self.parts[0].message
    }
}

struct Writer<'a> {
    platform: &'a dyn ChatPlatform,
    max_chars: usize,
    interval: Duration,
    lang: Lang,
    answer: String,
    parts: Vec<PartState>,
    edits: usize,
    /// A continuation could not be posted: the rest of the answer has
    /// nowhere to go, and the last message says so at the end.
    lost: bool,
}

/// What became of an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edited {
    /// The platform shows the text (or already did).
    Applied,
    /// Rate limited: try again at `next_edit`.
    Postponed,
    /// Refused for good (the message is gone, the text too long): retrying
    /// would not help.
    Refused,
}

struct PartState {
    part: Part,
    /// The last text the platform accepted for this message.
    shown: String,
    /// When this message may be edited next.
    next_edit: Instant,
}

/// Streams `tokens` into `placeholder` (and further messages as needed),
/// until the model is done, `stop` is cancelled, or the stream fails.
pub async fn stream_answer<S>(
    platform: &dyn ChatPlatform,
    placeholder: MessageRef,
    placeholder_text: String,
    tokens: S,
    stop: &CancellationToken,
    lang: Lang,
) -> Streamed
where
    S: Stream<Item = Result<String, LlmError>> + Unpin,
{
    let limits = platform.limits();
    let mut writer = Writer {
        platform,
        max_chars: limits.max_message_chars,
        interval: limits.min_edit_interval,
        lang,
        answer: String::new(),
        parts: vec![PartState {
            part: Part {
                message: placeholder,
                segment: 0..0,
                reopened: None,
                closed: false,
            },
            shown: placeholder_text,
            // The post that created the placeholder counts as its last change.
            next_edit: Instant::now() + limits.min_edit_interval,
        }],
        edits: 0,
        lost: false,
    };
    let mut tokens = tokens;
    let mut pieces = 0;
    let mut dirty = false;
    let ending = loop {
        let due = writer.current().next_edit;
        tokio::select! {
            biased;
            () = stop.cancelled() => break Ending::Stopped,
            piece = tokens.next() => match piece {
                Some(Ok(piece)) => {
                    pieces += 1;
                    metrics::counter!("pstral_tokens_streamed_total").increment(1);
                    writer.answer.push_str(&piece);
                    writer.split_while_too_long().await;
                    dirty = true;
                }
                Some(Err(e)) => break Ending::Failed(e),
                None => break Ending::Complete,
            },
            () = tokio::time::sleep_until(due), if dirty && !writer.lost => {
                let text = writer.streaming_text();
                // A postponed edit stays due: the newer text goes at the next
                // allowed moment, whether or not more tokens come.
                dirty = writer.edit_current(&text).await == Edited::Postponed;
            }
        }
    };
    // Close the model's connection before the last edits, which may wait.
    drop(tokens);
    writer.finish(&ending).await;
    let shown_until = writer.lost.then(|| writer.current().part.segment.end);
    let settled_at = writer.parts[0].next_edit;
    Streamed {
        answer: writer.answer,
        parts: writer.parts.into_iter().map(|p| p.part).collect(),
        ending,
        pieces,
        edits: writer.edits,
        shown_until,
        settled_at,
    }
}

impl Writer<'_> {
    fn current(&self) -> &PartState {
        self.parts.last().expect("there is always a part")
    }

    fn current_body(&self) -> &str {
        &self.answer[self.current().part.segment.start..]
    }

    /// The fence line that opens the code block `body` leaves open, if any,
    /// starting from `reopened` (a block already open at its start).
    fn open_fence(reopened: Option<&str>, body: &str) -> Option<String> {
        let mut open = reopened.map(str::to_owned);
        for line in body.lines() {
            let trimmed = line.trim_start();
            if let Some(info) = trimmed.strip_prefix("```")
                && line.len() - trimmed.len() <= 3
            {
                open = match open {
                    Some(_) => None,
                    None => Some(fence_to_reopen(info)),
                };
            }
        }
        open
    }

    /// The text of a message showing `body`: reopening a block it continues,
    /// and closing a block it leaves open when `close` says so.
    fn render(reopened: Option<&str>, body: &str, close: bool) -> String {
        let mut text = String::with_capacity(body.len() + 16);
        if let Some(fence) = reopened {
            text.push_str(fence);
            text.push('\n');
        }
        text.push_str(body);
        if close && Self::open_fence(reopened, body).is_some() {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("```");
        }
        text
    }

    /// The current message while the answer is still coming: balanced
    /// fences, then the cursor (which tells adapters the text is not final).
    fn streaming_text(&self) -> String {
        let part = &self.current().part;
        let mut text = Self::render(part.reopened.as_deref(), self.current_body(), true);
        text.push_str(CURSOR);
        text
    }

    /// Characters kept free in a message for what streaming adds: a closing
    /// fence and the cursor.
    const RESERVE: usize = 6;

    /// Finishes the current message and starts another while the current one
    /// would pass the length limit.
    async fn split_while_too_long(&mut self) {
        loop {
            if self.lost {
                return;
            }
            let part = &self.current().part;
            let reopened_len = part.reopened.as_ref().map_or(0, |f| f.chars().count() + 1);
            let budget = self
                .max_chars
                .saturating_sub(reopened_len + Self::RESERVE)
                .max(1);
            let body = self.current_body();
            if body.chars().count() <= budget {
                return;
            }
            let split = clean_split(body, budget);
            let start = part.segment.start;
            let reopened = part.reopened.clone();
            let head = &self.answer[start..start + split];
            let still_open = Self::open_fence(reopened.as_deref(), head);
            let final_text = Self::render(reopened.as_deref(), head, true);
            {
                let current = self.parts.last_mut().expect("a part");
                current.part.segment = start..start + split;
                current.part.closed = still_open.is_some();
            }
            self.wait_and_edit(final_text).await;
            // The next message starts where this one ended, small: the loop
            // cuts the rest to its budget before it is shown.
            let next_start = start + split;
            let first_text = match &still_open {
                Some(fence) => format!("{fence}\n```{CURSOR}"),
                None => CURSOR.trim_start().to_owned(),
            };
            let place = self.current().part.message.place.clone();
            let reply_to = self.current().part.message.id.clone();
            let message = self.post(&place, &reply_to, &first_text).await;
            if let Some(message) = message {
                self.parts.push(PartState {
                    part: Part {
                        message,
                        segment: next_start..next_start,
                        reopened: still_open,
                        closed: false,
                    },
                    shown: first_text,
                    next_edit: Instant::now() + self.interval,
                });
            } else {
                // Without a new message there is nowhere to continue: the
                // rest is kept in `answer` (and the store) and the last
                // message says that it stops there.
                self.lost = true;
                return;
            }
        }
    }

    async fn post(
        &self,
        place: &pstral_chat::Place,
        reply_to: &str,
        text: &str,
    ) -> Option<MessageRef> {
        for _ in 0..FINAL_ATTEMPTS {
            match self.platform.post(place, Some(reply_to), text).await {
                Ok(m) => return Some(m),
                Err(PlatformError::RateLimited { retry_after }) => {
                    tokio::time::sleep(retry_after).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot post the continuation of an answer");
                    return None;
                }
            }
        }
        None
    }

    /// Edits the current message now (its interval has passed). A rate limit
    /// postpones the edit; the next one carries the newer text anyway.
    async fn edit_current(&mut self, text: &str) -> Edited {
        let platform = self.platform;
        let current = self.parts.last_mut().expect("a part");
        if current.shown == text {
            return Edited::Applied;
        }
        match platform.edit(&current.part.message, text).await {
            Ok(()) => {
                current.shown = text.to_owned();
                current.next_edit = Instant::now() + self.interval;
                self.edits += 1;
                metrics::counter!("pstral_edits_total").increment(1);
                Edited::Applied
            }
            Err(PlatformError::RateLimited { retry_after }) => {
                metrics::counter!("pstral_platform_rate_limited_total").increment(1);
                current.next_edit = Instant::now() + retry_after.max(self.interval);
                Edited::Postponed
            }
            Err(e) => {
                tracing::warn!(error = %e, "an edit of a streamed answer failed");
                current.next_edit = Instant::now() + self.interval;
                Edited::Refused
            }
        }
    }

    /// Edits the current message with `text` as soon as allowed, retrying
    /// through rate limits: used for text that must land (a message's last).
    async fn wait_and_edit(&mut self, text: String) {
        for _ in 0..FINAL_ATTEMPTS {
            let due = self.current().next_edit;
            tokio::time::sleep_until(due).await;
            match self.edit_current(&text).await {
                Edited::Applied | Edited::Refused => return,
                Edited::Postponed => {}
            }
        }
        tracing::error!("gave up on the last edit of a message after repeated rate limits");
    }

    /// The last edit of the last message: the rest of the answer, then a note
    /// when the answer did not complete.
    async fn finish(&mut self, ending: &Ending) {
        if self.lost {
            // The current message ends at its cut; it also says why the
            // answer stops there, shortened (at a clean boundary) if the
            // note needs the room.
            let note = format!("⚠️ {}", Text::AnswerNotPosted.render(self.lang));
            let part = self.current().part.clone();
            let reopened = part.reopened.as_deref();
            let mut end = part.segment.end;
            let room = self
                .max_chars
                .saturating_sub(note.chars().count() + 2 + reopened.map_or(0, |f| f.len() + 1) + 4);
            let body = &self.answer[part.segment.start..end];
            if body.chars().count() > room && room > 0 {
                end = part.segment.start + clean_split(body, room);
            }
            let shown = Self::render(reopened, &self.answer[part.segment.start..end], true);
            let text = format!("{shown}\n\n{note}");
            let text = if text.chars().count() <= self.max_chars {
                text
            } else {
                format!("{shown} ⚠️")
            };
            self.parts.last_mut().expect("a part").part.segment.end = end;
            self.wait_and_edit(text).await;
            return;
        }
        let current = self.current();
        let start = current.part.segment.start;
        let reopened = current.part.reopened.clone();
        let body = self.answer[start..].to_owned();
        let note = match ending {
            Ending::Complete if self.answer.trim().is_empty() => {
                Some(Text::EmptyAnswer.render(self.lang))
            }
            Ending::Complete => None,
            Ending::Stopped => Some(Text::Stopped.render(self.lang)),
            Ending::Failed(e) => Some(format!("⚠️ {}", e.user_text().render(self.lang))),
        };
        // A complete answer ends exactly as the model wrote it; an
        // interrupted one is closed so that the note is not in a code block.
        let mut text = Self::render(reopened.as_deref(), &body, note.is_some());
        {
            let current = self.parts.last_mut().expect("a part");
            current.part.segment = start..self.answer.len();
        }
        let mut separate_note = None;
        if let Some(note) = note {
            let joined = if text.trim().is_empty() {
                note.clone()
            } else {
                format!("{text}\n\n{note}")
            };
            if joined.chars().count() <= self.max_chars {
                text = joined;
            } else {
                separate_note = Some(note);
            }
        }
        self.wait_and_edit(text).await;
        if let Some(note) = separate_note {
            let place = self.current().part.message.place.clone();
            let reply_to = self.current().part.message.id.clone();
            let _ = self.post(&place, &reply_to, &note).await;
        }
    }
}

/// The fence line that reopens a code block in the next message: the three
/// backticks and the language, if it looks like one; never a long line the
/// model happened to write after the backticks.
fn fence_to_reopen(info: &str) -> String {
    let language: String = info
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '#' | '_' | '.'))
        .take(20)
        .collect();
    format!("```{language}")
}

/// Where to end a message showing `body` so that it keeps at most `budget`
/// characters: after the last blank line (in the second half), else the
/// last line end, else the last space within the budget; inside a word only when there is no space
/// at all. Returns a byte offset into `body`, never 0.
fn clean_split(body: &str, budget: usize) -> usize {
    let limit = body
        .char_indices()
        .nth(budget)
        .map_or(body.len(), |(i, _)| i);
    let window = &body[..limit];
    // Not too early either: a blank line in the first half, or any break in
    // the first quarter, would leave a message mostly empty.
    let floor = limit / 4;
    let after = |pattern: &str, floor: usize| {
        window
            .rfind(pattern)
            .map(|i| i + pattern.len())
            .filter(|&i| i > floor)
    };
    after("\n\n", limit / 2)
        .or_else(|| after("\n", floor))
        .or_else(|| {
            window
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map(|(i, c)| i + c.len_utf8())
                .filter(|&i| i > floor)
        })
        .unwrap_or(limit)
        .max(window.chars().next().map_or(1, char::len_utf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_prefer_paragraphs_then_lines_then_spaces() {
        let text = "first paragraph\n\nsecond line\nthird words here";
        assert_eq!(
            &text[..clean_split(text, 40)],
            "first paragraph\n\nsecond line\n"
        );
        assert_eq!(&text[..clean_split(text, 20)], "first paragraph\n\n");
        let words = "alpha beta gamma delta";
        assert_eq!(&words[..clean_split(words, 13)], "alpha beta ");
        let one_word = "x".repeat(50);
        assert_eq!(
            clean_split(&one_word, 10),
            10,
            "a word longer than a message is cut"
        );
        let accents = "é".repeat(30);
        let cut = clean_split(&accents, 7);
        assert!(accents.is_char_boundary(cut));
    }

    #[test]
    fn fences_are_tracked_across_lines() {
        assert_eq!(
            Writer::open_fence(None, "a\n```sql\nSELECT 1"),
            Some("```sql".into())
        );
        assert_eq!(Writer::open_fence(None, "```sql\nSELECT 1\n```\n"), None);
        assert_eq!(Writer::open_fence(Some("```sql"), "FROM t\n```\nok"), None);
        assert_eq!(
            Writer::render(Some("```sql"), "FROM t", true),
            "```sql\nFROM t\n```"
        );
        assert_eq!(Writer::render(None, "```\ncode\n", true), "```\ncode\n```");
    }
}
