//! Turns a model's token stream into a few well-timed edits of chat messages.
//!
//! The answer goes into a placeholder that was posted at once; tokens are
//! coalesced between edits, which spend from the platform's allowance as
//! [`budget`] says: the first words go out as soon as they come when the
//! allowance holds an edit, the final text as soon as the model ends, and
//! the edits in between only while an edit is kept back for it. When the text would pass the platform's length limit, the
//! message is finished at a clean boundary (a blank line, a line end, a space:
//! never inside a word) and the answer continues in a new message; a code
//! block that is split is closed at the end of one message and reopened, with
//! its language, at the start of the next. The last edit of each message is
//! exactly its share of the answer, so the messages together say exactly what
//! the model said. A stop, or a fault, ends with the partial answer and a note
//! saying what happened.

use std::ops::Range;

use futures_util::{Stream, StreamExt};
use pstral_chat::{ChatPlatform, MessageRef, PlatformError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::i18n::{Answer, Lang};

pub mod budget;
pub mod placeholder;
pub mod split;

use crate::llm::LlmError;
use budget::EditBudget;

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
    /// When the first message may be changed again (for the control on it):
    /// when the allowance holds an edit.
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
    budget: &'a EditBudget,
    journal: Option<&'a crate::replicas::OpenAnswer>,
    /// The edits now made are the answer's last ([`Writer::finish`]).
    ending: bool,
    /// Another process ended this answer (this one was frozen or cut off
    /// past the takeover): nothing more is written.
    superseded: bool,
    max_chars: usize,
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
    /// Rate limited: try again when the allowance says.
    Postponed,
    /// Refused for good (the message is gone, the text too long): retrying
    /// would not help.
    Refused,
}

struct PartState {
    part: Part,
    /// The last text the platform accepted for this message.
    shown: String,
    /// When the message last changed (posted, or edited).
    last_change: Instant,
    /// The edits made to it while the answer was still coming.
    made: usize,
}

/// Whether an edit shows the answer still coming or a message's last text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Intermediate,
    Last,
}

/// The message an answer starts in, as it stands before the first token.
#[derive(Debug, Clone)]
pub struct Placeholder {
    pub message: MessageRef,
    /// What it shows ("Thinking…", a place in the line).
    pub text: String,
    /// When it last changed (posted, given its Stop control, shown a place
    /// in the line): the model usually reads the prompt for seconds after,
    /// and its first words may go at once when that was an interval ago.
    pub changed: Instant,
}

impl Placeholder {
    /// A placeholder that shows `text` and was posted just now.
    pub fn posted_now(message: MessageRef, text: impl Into<String>) -> Self {
        Placeholder {
            message,
            text: text.into(),
            changed: Instant::now(),
        }
    }
}

/// Streams `tokens` into `placeholder` (and further messages as needed),
/// until the model is done, `stop` is cancelled, or the stream fails,
/// spending from `budget`.
pub async fn stream_answer<S>(
    platform: &dyn ChatPlatform,
    budget: &EditBudget,
    placeholder: Placeholder,
    tokens: S,
    stop: &CancellationToken,
    lang: Lang,
) -> Streamed
where
    S: Stream<Item = Result<String, LlmError>> + Unpin,
{
    let to = Destination {
        platform,
        budget,
        journal: None,
    };
    stream_into(to, placeholder, tokens, stop, lang).await
}

/// Where an answer is streamed: the platform, the allowance it draws on,
/// and the record of what it shows, kept for whoever must end it should
/// this process die first.
pub struct Destination<'a> {
    pub platform: &'a dyn ChatPlatform,
    pub budget: &'a EditBudget,
    pub journal: Option<&'a crate::replicas::OpenAnswer>,
}

/// [`stream_answer`], with what the chat is to show recorded in
/// `to.journal` before each change.
pub async fn stream_into<S>(
    to: Destination<'_>,
    placeholder: Placeholder,
    tokens: S,
    stop: &CancellationToken,
    lang: Lang,
) -> Streamed
where
    S: Stream<Item = Result<String, LlmError>> + Unpin,
{
    let Destination {
        platform,
        budget,
        journal,
    } = to;
    let limits = platform.limits();
    let mut writer = Writer {
        platform,
        budget,
        journal,
        ending: false,
        superseded: false,
        max_chars: limits.max_message_chars,
        lang,
        answer: String::new(),
        parts: vec![PartState {
            part: Part {
                message: placeholder.message,
                segment: 0..0,
                reopened: None,
                closed: false,
            },
            shown: placeholder.text,
            // Not the stream's start: the model's client hands the stream
            // over with its first token, seconds after the placeholder
            // changed, and that token need not wait a whole interval more.
            last_change: placeholder.changed,
            made: 0,
        }],
        edits: 0,
        lost: false,
    };
    let mut tokens = tokens;
    let mut pieces = 0;
    let mut dirty = false;
    let ending = loop {
        if writer.superseded {
            break Ending::Stopped;
        }
        let due = writer.next_intermediate();
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
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)),
                if dirty && !writer.lost && due.is_some() =>
            {
                // Another answer may have spent what this one waited for.
                if budget.take_intermediate() {
                    let text = writer.streaming_text();
                    // A postponed edit stays due: the newer text goes at the
                    // next allowed moment, whether or not more tokens come.
                    dirty = writer.edit_current(&text, Kind::Intermediate).await
                        == Edited::Postponed;
                }
            }
        }
    };
    // Close the model's connection before the last edits, which may wait.
    drop(tokens);
    writer.finish(&ending).await;
    let shown_until = writer.lost.then(|| writer.current().part.segment.end);
    let settled_at = budget.next_final();
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

/// What a message shows without the cursor that says more is coming.
fn without_cursor(text: &str) -> &str {
    text.strip_suffix(CURSOR)
        .or_else(|| text.strip_suffix(CURSOR.trim_start()))
        .unwrap_or(text)
}

impl Writer<'_> {
    fn current(&self) -> &PartState {
        self.parts.last().expect("there is always a part")
    }

    /// When the current message's next intermediate edit may go; `None`
    /// when it has had its share.
    fn next_intermediate(&self) -> Option<Instant> {
        let current = self.current();
        self.budget
            .next_intermediate(current.made, current.last_change)
    }

    fn current_body(&self) -> &str {
        &self.answer[self.current().part.segment.start..]
    }

    /// The current message while the answer is still coming: balanced
    /// fences, then the cursor (which tells adapters the text is not final).
    fn streaming_text(&self) -> String {
        let part = &self.current().part;
        let mut text = split::render(part.reopened.as_deref(), self.current_body(), true);
        text.push_str(CURSOR);
        text
    }

    /// Finishes the current message and starts another while the current one
    /// would pass the length limit.
    async fn split_while_too_long(&mut self) {
        loop {
            if self.lost || self.superseded {
                return;
            }
            let part = &self.current().part;
            let reopened_len = part.reopened.as_ref().map_or(0, |f| f.chars().count() + 1);
            let budget = self
                .max_chars
                .saturating_sub(reopened_len + split::RESERVE)
                .max(1);
            let body = self.current_body();
            if body.chars().count() <= budget {
                return;
            }
            let split = split::clean_split(body, budget);
            let start = part.segment.start;
            let reopened = part.reopened.clone();
            let head = &self.answer[start..start + split];
            let still_open = split::open_fence(reopened.as_deref(), head);
            let final_text = split::render(reopened.as_deref(), head, true);
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
                if let Some(journal) = self.journal
                    && !journal
                        .showing(&message, without_cursor(&first_text), false)
                        .await
                {
                    self.superseded = true;
                }
                self.parts.push(PartState {
                    part: Part {
                        message,
                        segment: next_start..next_start,
                        reopened: still_open,
                        closed: false,
                    },
                    shown: first_text,
                    last_change: Instant::now(),
                    made: 0,
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
                Ok(m) => {
                    if self.budget.counts_posts() {
                        self.budget.spent();
                    }
                    return Some(m);
                }
                Err(PlatformError::RateLimited { retry_after }) => {
                    if self.budget.counts_posts() {
                        self.budget.rate_limited(retry_after);
                    }
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

    /// Edits the current message now, its edit taken from the allowance
    /// (an intermediate one) or to be counted (a last one). A rate limit
    /// postpones the edit; the next one carries the newer text anyway.
    async fn edit_current(&mut self, text: &str, kind: Kind) -> Edited {
        let platform = self.platform;
        let budget = self.budget;
        let current = self.parts.last_mut().expect("a part");
        if current.shown == text {
            return Edited::Applied;
        }
        // Recorded before it is shown: should this process die between the
        // two, whoever ends the answer shows at least what the chat did.
        if let Some(journal) = self.journal
            && !journal
                .showing(&current.part.message, without_cursor(text), self.ending)
                .await
        {
            self.superseded = true;
            return Edited::Refused;
        }
        match platform.edit(&current.part.message, text).await {
            Ok(()) => {
                if let Some(left) = platform.allowance_left(&current.part.message.place).await {
                    budget.platform_says(left);
                }
                current.shown = text.to_owned();
                current.last_change = Instant::now();
                match kind {
                    Kind::Intermediate => current.made += 1,
                    Kind::Last => budget.spent(),
                }
                self.edits += 1;
                metrics::counter!("pstral_edits_total").increment(1);
                Edited::Applied
            }
            Err(PlatformError::RateLimited { retry_after }) => {
                metrics::counter!("pstral_platform_rate_limited_total").increment(1);
                budget.rate_limited(retry_after);
                Edited::Postponed
            }
            Err(e) => {
                tracing::warn!(error = %e, "an edit of a streamed answer failed");
                current.last_change = Instant::now();
                Edited::Refused
            }
        }
    }

    /// Edits the current message with `text` as soon as the allowance
    /// holds an edit, retrying through rate limits: used for text that must
    /// land (a message's last).
    async fn wait_and_edit(&mut self, text: String) {
        for _ in 0..FINAL_ATTEMPTS {
            tokio::time::sleep_until(self.budget.next_final()).await;
            match self.edit_current(&text, Kind::Last).await {
                Edited::Applied | Edited::Refused => return,
                Edited::Postponed => {}
            }
        }
        tracing::error!("gave up on the last edit of a message after repeated rate limits");
    }

    /// The last edit of the last message: the rest of the answer, then a note
    /// when the answer did not complete.
    async fn finish(&mut self, ending: &Ending) {
        if self.superseded {
            return;
        }
        self.ending = true;
        if self.lost {
            // The current message ends at its cut; it also says why the
            // answer stops there, shortened (at a clean boundary) if the
            // note needs the room.
            let prefix = self.platform.limits().command_prefix;
            let note = format!("⚠️ {}", Answer::NotPosted { prefix }.render(self.lang));
            let part = self.current().part.clone();
            let reopened = part.reopened.as_deref();
            let mut end = part.segment.end;
            let room = self
                .max_chars
                .saturating_sub(note.chars().count() + 2 + reopened.map_or(0, |f| f.len() + 1) + 4);
            let body = &self.answer[part.segment.start..end];
            if body.chars().count() > room && room > 0 {
                end = part.segment.start + split::clean_split(body, room);
            }
            let shown = split::render(reopened, &self.answer[part.segment.start..end], true);
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
                Some(Answer::Empty.render(self.lang))
            }
            Ending::Complete => None,
            Ending::Stopped => Some(Answer::Stopped.render(self.lang)),
            Ending::Failed(e) => Some(format!("⚠️ {}", e.user_text().render(self.lang))),
        };
        // A complete answer ends exactly as the model wrote it; an
        // interrupted one is closed so that the note is not in a code block.
        let mut text = split::render(reopened.as_deref(), &body, note.is_some());
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
