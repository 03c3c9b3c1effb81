//! Pstral in a terminal (`pstral chat`): lines typed on standard input become
//! events, and what the core asks of a chat platform is printed.
//!
//! A terminal cannot edit what it printed, so an edit that extends the text
//! on screen prints only what is new (the answer appears as it streams), an
//! edit of a one-line status rewrites that line, and any other edit prints
//! the message again. Commands start with `/`: `/mode sql|chat`, `/run N`,
//! `/stop`, `/export [json]`, `/help`, `/quit`.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pstral_chat::grammar::Misread;
use pstral_chat::{
    Attachment, ChatPlatform, Command, ControlKind, InboundEvent, Label, Labels, Limits,
    MessageRef, Place, Platform, PlatformError, PlatformIdentity, STREAMING_CURSOR,
};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::mpsc;

/// What a typed line means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Question(String),
    Command(Command),
    Quit,
    /// A `/word` that is no command, or a command without what it needs.
    Unknown(Unknown),
    Empty,
}

/// Why a typed command is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// No command has this name.
    Command(String),
    /// `/run` without a query's number.
    RunNeedsNumber,
}

/// Reads one line as a person types it: `/quit` and `/exit` end the
/// session; any other `/word` is read by the grammar of every platform
/// (`pstral_chat::grammar`), a command without the argument it needs
/// showing the help.
pub fn parse_line(line: &str) -> Input {
    let line = line.trim();
    if line.is_empty() {
        return Input::Empty;
    }
    let Some(command) = line.strip_prefix('/') else {
        return Input::Question(line.to_owned());
    };
    if matches!(command.trim(), "quit" | "exit") {
        return Input::Quit;
    }
    match pstral_chat::grammar::parse_line(line, '/') {
        Some(Ok(command)) => Input::Command(command),
        Some(Err(Misread::Incomplete("run"))) => Input::Unknown(Unknown::RunNeedsNumber),
        Some(Err(Misread::Incomplete(_))) => Input::Command(Command::Help),
        Some(Err(Misread::NotACommand(word))) => Input::Unknown(Unknown::Command(word)),
        None => Input::Question(line.to_owned()),
    }
}

/// A name for one session that no other session shares: the process id
/// alone comes back after a reboot or when ids wrap, so the start time (in
/// nanoseconds) goes with it.
fn session_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{nanos:x}", std::process::id())
}

/// A terminal as a chat platform.
pub struct Terminal {
    platform: Platform,
    limits: Limits,
    place: Place,
    author: PlatformIdentity,
    /// Where exports are saved.
    files: PathBuf,
    /// The words this adapter shows of its own, from the core.
    labels: Arc<dyn Labels>,
    /// Names this session among every session ever run on the same data
    /// directory: message ids carry it, because the core recognises a
    /// message it has already answered by its id.
    session: String,
    screen: Mutex<Screen>,
}

struct Screen {
    out: Box<dyn Write + Send>,
    next_id: u64,
    texts: HashMap<String, String>,
    /// The message printed last, and what of it is on screen.
    last: Option<(String, String)>,
}

impl Terminal {
    /// A terminal session for the OS user `user`, printing to `out`,
    /// saving exported files in `files` and wording its own notes with
    /// `labels`.
    ///
    /// # Panics
    /// When `user` cannot be part of an identity (white space in it).
    pub fn new(
        user: &str,
        out: Box<dyn Write + Send>,
        files: PathBuf,
        labels: Arc<dyn Labels>,
    ) -> Self {
        let platform: Platform = "terminal".parse().expect("a valid platform name");
        let author = PlatformIdentity::new(platform.clone(), user).expect("a valid user name");
        let session = session_id();
        Self {
            place: Place {
                platform: platform.clone(),
                channel: "tty".to_owned(),
                // One session is one conversation.
                thread: Some(format!("session-{session}")),
                private: true,
            },
            session,
            platform,
            limits: Limits {
                // A terminal has no limit worth splitting for, and redraws
                // cheaply: a few edits a second read smoothly.
                max_message_chars: 1_000_000,
                min_edit_interval: Duration::from_millis(50),
                edit_allowance: pstral_chat::Allowance::UNLIMITED,
                buttons: false,
                command_prefix: "/",
            },
            author,
            files,
            labels,
            screen: Mutex::new(Screen {
                out,
                next_id: 0,
                texts: HashMap::new(),
                last: None,
            }),
        }
    }

    pub fn author(&self) -> &PlatformIdentity {
        &self.author
    }

    pub fn place(&self) -> &Place {
        &self.place
    }

    /// The text the bot's message `id` shows on the screen now.
    pub fn shows(&self, id: &str) -> Option<String> {
        let screen = self.screen.lock().expect("never poisoned");
        screen.texts.get(id).cloned()
    }

    /// A text longer than a message may be is refused before anything is
    /// printed, as every platform does (see [`Limits::max_message_chars`]).
    fn fits(&self, text: &str) -> Result<(), PlatformError> {
        let chars = text.chars().count();
        let max = self.limits.max_message_chars;
        if chars > max {
            return Err(PlatformError::TooLong { chars, max });
        }
        Ok(())
    }

    /// Prints a line of the session itself (not a message of the bot).
    pub fn notice(&self, text: &str) {
        let mut screen = self.screen.lock().expect("never poisoned");
        screen.last = None;
        let _ = writeln!(screen.out, "\n{}", shown(text));
        let _ = screen.out.flush();
    }

    /// Reads lines from `input` and sends the events they make, until `/quit`
    /// or the end of input. Each question gets a fresh message id.
    pub async fn read_events(
        &self,
        input: impl AsyncBufRead + Unpin,
        events: mpsc::Sender<InboundEvent>,
    ) {
        let mut lines = input.lines();
        let mut asked = 0u64;
        while let Ok(Some(line)) = lines.next_line().await {
            let event = match parse_line(&line) {
                Input::Empty => continue,
                Input::Quit => break,
                Input::Unknown(why) => {
                    let label = match &why {
                        Unknown::Command(given) => Label::UnknownCommand { given },
                        Unknown::RunNeedsNumber => Label::RunNeedsNumber,
                    };
                    self.notice(&self.labels.label(label));
                    continue;
                }
                Input::Question(text) => {
                    asked += 1;
                    InboundEvent::Message {
                        author: self.author.clone(),
                        message: MessageRef {
                            place: self.place.clone(),
                            id: format!("{}-q{asked}", self.session),
                        },
                        in_reply_to: None,
                        text,
                    }
                }
                Input::Command(command) => InboundEvent::Command {
                    in_reply_to: None,
                    author: self.author.clone(),
                    place: self.place.clone(),
                    message: None,
                    command,
                },
            };
            if events.send(event).await.is_err() {
                break;
            }
        }
    }

    fn show(&self, id: &str, text: &str) {
        // While an answer streams, the core ends its text with the cursor,
        // after closing any code block it is in; neither belongs on a
        // terminal, which shows the text as it grows. The final text has no
        // cursor and is shown whole.
        let text = match text.strip_suffix(STREAMING_CURSOR) {
            Some(streaming) => streaming.strip_suffix("\n```").unwrap_or(streaming),
            None => text,
        };
        let mut screen = self.screen.lock().expect("never poisoned");
        screen.texts.insert(id.to_owned(), text.to_owned());
        // The model's text (and whatever a question or the data put in it)
        // never drives the terminal: escape sequences are shown as what they
        // are, as every other command prints them.
        let visible = shown(text);
        let text = visible.as_str();
        let printed = match screen.last.take() {
            // The same message, grown: print what is new.
            Some((last_id, shown)) if last_id == id && text.starts_with(&shown) => {
                let _ = write!(screen.out, "{}", &text[shown.len()..]);
                text.to_owned()
            }
            // A one-line status replaced by another: rewrite the line.
            Some((last_id, shown)) if last_id == id && !shown.contains('\n') => {
                let _ = write!(screen.out, "\r\x1b[2K{text}");
                text.to_owned()
            }
            _ => {
                let _ = write!(screen.out, "\n🤖 {text}");
                text.to_owned()
            }
        };
        screen.last = Some((id.to_owned(), printed));
        let _ = screen.out.flush();
    }
}

#[async_trait::async_trait]
impl ChatPlatform for Terminal {
    fn platform(&self) -> &Platform {
        &self.platform
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    async fn post(
        &self,
        place: &Place,
        _in_reply_to: Option<&str>,
        text: &str,
    ) -> Result<MessageRef, PlatformError> {
        self.fits(text)?;
        let id = {
            let mut screen = self.screen.lock().expect("never poisoned");
            screen.next_id += 1;
            format!("{}-b{}", self.session, screen.next_id)
        };
        self.show(&id, text);
        Ok(MessageRef {
            place: place.clone(),
            id,
        })
    }

    async fn edit(&self, message: &MessageRef, text: &str) -> Result<(), PlatformError> {
        self.fits(text)?;
        self.show(&message.id, text);
        Ok(())
    }

    async fn attach(&self, _place: &Place, attachment: Attachment) -> Result<(), PlatformError> {
        let path = self.files.join(&attachment.file_name);
        std::fs::write(&path, &attachment.bytes).map_err(|e| PlatformError::Other(Box::new(e)))?;
        let path = path.display().to_string();
        self.notice(&self.labels.label(Label::FileSaved { path: &path }));
        Ok(())
    }

    async fn show_control(
        &self,
        _message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        // Controls are typed here: /stop is always available; under a
        // result, a note says how to tell whether it is right (once, for
        // the pair of controls).
        if matches!(control, ControlKind::Feedback { correct: true, .. }) {
            self.notice(&self.labels.label(Label::FeedbackHint));
        }
        Ok(())
    }

    async fn withdraw_control(
        &self,
        _message: &MessageRef,
        _control: &ControlKind,
    ) -> Result<(), PlatformError> {
        self.notice("");
        Ok(())
    }

    async fn reply_privately(
        &self,
        _to: &PlatformIdentity,
        place: &Place,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        // The terminal is private already.
        self.notice(text);
        for attachment in attachments {
            self.attach(place, attachment).await?;
        }
        Ok(())
    }
}

/// `text` as the terminal may print it: what a terminal obeys rather than
/// shows (control characters but the line's end and tabs: escape
/// sequences, C1 controls, carriage returns, backspaces) and what reorders a
/// line (bidirectional overrides and isolates) written as escapes
/// (`\u{1b}`). Joiners and variation selectors stay: they are how an emoji
/// is written (`✍️`, `👩‍💻`), and move nothing.
fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let obeyed = c.is_control() && !matches!(c, '\n' | '\t');
        let reorders = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if obeyed || reorders {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels that say which label they are.
    struct Named;

    impl Labels for Named {
        fn label(&self, label: Label<'_>) -> String {
            format!("{label:?}")
        }
        fn label_in_all(&self, label: Label<'_>) -> Vec<(&'static str, String)> {
            vec![("en", self.label(label))]
        }
    }

    /// A writer whose bytes the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn lines_become_questions_and_commands() {
        assert_eq!(
            parse_line("  combien de clients ? "),
            Input::Question("combien de clients ?".into())
        );
        assert_eq!(
            parse_line("/mode chat"),
            Input::Command(Command::Mode("chat".into()))
        );
        assert_eq!(
            parse_line("/export json"),
            Input::Command(Command::Export("json".into()))
        );
        assert_eq!(
            parse_line("/export"),
            Input::Command(Command::Export("markdown".into()))
        );
        assert_eq!(parse_line("/stop"), Input::Command(Command::Stop));
        assert_eq!(parse_line("/quit"), Input::Quit);
        assert_eq!(parse_line("   "), Input::Empty);
        assert_eq!(
            parse_line("/run 2"),
            Input::Command(Command::Run {
                index: 2,
                chart: pstral_chat::ChartWish::AsConfigured
            })
        );
        assert_eq!(
            parse_line("/run x"),
            Input::Unknown(Unknown::RunNeedsNumber)
        );
        assert_eq!(
            parse_line("/nope"),
            Input::Unknown(Unknown::Command("nope".into()))
        );
        // The commands of every platform, read by the same grammar.
        assert_eq!(
            parse_line("/audit user ana"),
            Input::Command(Command::Audit(pstral_chat::AuditQuery::User("ana".into())))
        );
        assert_eq!(
            parse_line("/exemples retard"),
            Input::Command(Command::Examples(pstral_chat::ExamplesQuery::List(Some(
                "retard".into()
            ))))
        );
        assert_eq!(parse_line("/mode"), Input::Command(Command::Help));
    }

    #[tokio::test]
    async fn a_streamed_answer_is_printed_once_as_it_grows() {
        let out = Captured::default();
        let t = Terminal::new(
            "ana",
            Box::new(out.clone()),
            std::env::temp_dir(),
            Arc::new(Named),
        );
        let place = t.place().clone();
        let m = t.post(&place, None, "⏳ number 2").await.unwrap();
        t.edit(&m, "⏳ number 1").await.unwrap();
        t.edit(&m, &format!("Bon{STREAMING_CURSOR}")).await.unwrap();
        t.edit(&m, &format!("Bonjour{STREAMING_CURSOR}"))
            .await
            .unwrap();
        t.edit(&m, "Bonjour !").await.unwrap();
        let text = out.text();
        assert!(text.ends_with("\r\x1b[2KBonjour !"), "{text:?}");
        // Inside a code block, the closing fence added while streaming is
        // not printed until the answer really closes it.
        let sql = t.post(&place, None, "...").await.unwrap();
        t.edit(&sql, &format!("```sql\nSELECT\n```{STREAMING_CURSOR}"))
            .await
            .unwrap();
        t.edit(&sql, &format!("```sql\nSELECT 1\n```{STREAMING_CURSOR}"))
            .await
            .unwrap();
        t.edit(&sql, "```sql\nSELECT 1\n```\nDone.").await.unwrap();
        let text = out.text();
        assert_eq!(text.matches("SELECT").count(), 1, "{text:?}");
        assert!(text.ends_with("```sql\nSELECT 1\n```\nDone."), "{text:?}");
        assert!(!text.contains(STREAMING_CURSOR));
        assert_eq!(text.matches("Bonjour").count(), 1, "{text:?}");
    }

    #[tokio::test]
    async fn escape_sequences_in_an_answer_are_shown_never_obeyed() {
        let out = Captured::default();
        let t = Terminal::new(
            "ana",
            Box::new(out.clone()),
            std::env::temp_dir(),
            Arc::new(Named),
        );
        let place = t.place().clone();
        let m = t.post(&place, None, "...").await.unwrap();
        t.edit(&m, &format!("\x1b[2J\x1b[31mred{STREAMING_CURSOR}"))
            .await
            .unwrap();
        t.edit(&m, "\x1b[2J\x1b[31mred\x07 and\u{202e} done")
            .await
            .unwrap();
        let text = out.text();
        assert!(
            !text.contains("\x1b[2J") && !text.contains('\x07'),
            "{text:?}"
        );
        assert!(!text.contains('\u{202e}'), "{text:?}");
        // An emoji keeps its joiners and variation selectors.
        let emoji = t
            .post(&place, None, "✍\u{fe0f} 👩\u{200d}💻")
            .await
            .unwrap();
        assert_eq!(t.shows(&emoji.id).unwrap(), "✍\u{fe0f} 👩\u{200d}💻");
        assert!(
            out.text().ends_with("✍\u{fe0f} 👩\u{200d}💻"),
            "{:?}",
            out.text()
        );
        assert!(
            text.contains(r"\u{1b}[2J\u{1b}[31mred\u{7} and\u{202e} done"),
            "{text:?}"
        );
        // What the message holds is the text itself.
        assert!(t.shows(&m.id).unwrap().starts_with('\x1b'));
    }

    #[tokio::test]
    async fn typed_lines_are_sent_as_events_until_quit() {
        let t = Terminal::new(
            "ana",
            Box::new(Captured::default()),
            std::env::temp_dir(),
            Arc::new(Named),
        );
        let (tx, mut rx) = mpsc::channel(10);
        let input = "first question\n/mode chat\n/nope\n\n/quit\nnever read\n".as_bytes();
        t.read_events(input, tx).await;
        let first = rx.recv().await.unwrap();
        assert!(
            matches!(first, InboundEvent::Message { ref text, .. } if text == "first question")
        );
        let second = rx.recv().await.unwrap();
        assert!(
            matches!(second, InboundEvent::Command { command: Command::Mode(ref m), .. } if m == "chat")
        );
        assert!(rx.recv().await.is_none(), "nothing after /quit");
    }

    #[tokio::test]
    async fn two_sessions_never_give_a_question_the_same_id() {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let t = Terminal::new(
                "ana",
                Box::new(Captured::default()),
                std::env::temp_dir(),
                Arc::new(Named),
            );
            let (tx, mut rx) = mpsc::channel(10);
            t.read_events("the same question\n".as_bytes(), tx).await;
            let Some(InboundEvent::Message { message, .. }) = rx.recv().await else {
                panic!("a question");
            };
            ids.push(message.id);
        }
        assert_ne!(ids[0], ids[1]);
    }

    /// What the screen shows of the bot's messages.
    struct Screenful<'a>(&'a Terminal);

    #[async_trait::async_trait]
    impl pstral_chat::conformance::Readback for Screenful<'_> {
        async fn text_of(&self, message: &MessageRef) -> Option<String> {
            self.0.shows(&message.id)
        }
    }

    #[tokio::test]
    async fn the_terminal_keeps_the_chat_contract() {
        let out = Captured::default();
        let terminal = Terminal::new(
            "ana",
            Box::new(out.clone()),
            std::env::temp_dir(),
            Arc::new(Named),
        );
        let place = terminal.place().clone();
        pstral_chat::conformance::check(&terminal, &place, &Screenful(&terminal)).await;
        // What it showed was printed.
        assert!(out.text().contains("conformance: élève, 🎉, first"));
    }
}
