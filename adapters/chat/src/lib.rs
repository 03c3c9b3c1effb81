//! The contract between Pstral's core and its chat platform adapters.
//!
//! An adapter (Discord, Matrix, the terminal, a test double) turns what its
//! platform delivers into [`InboundEvent`]s and carries out the
//! [`OutboundAction`]s the core asks for. Nothing here knows a chat SDK: the
//! core depends on this crate only, so the compiler keeps platform types out of
//! it, and a new platform is a new adapter crate (plus the lines
//! CONTRIBUTING.md lists: the workspace's, one in the binary's platform list,
//! its tests).
//!
//! The main types:
//! - [`PlatformIdentity`]: who acted, as the platform knows them (`discord:123`).
//! - [`Place`]: where it happened (platform, channel or DM, thread).
//! - [`InboundEvent`]: what an adapter reports.
//! - [`ChatPlatform`]: what the core asks of an adapter, with its [`Limits`].
//! - [`OutboundAction`]: a record of one such request (see [`recording`]).
//! - [`Labels`]: the words an adapter shows of its own (buttons, notes,
//!   command descriptions), written by the core: adapters hold no text.
//! - [`IdentitySyntax`]: how a platform writes its people's ids, which each
//!   adapter states for itself: this crate names no platform.
//! - [`settings::PlatformSettings`]: a platform's own table of the
//!   configuration, its defaults and their checks, owned by its adapter.

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod grammar;
pub mod latest;
pub mod recording;
pub mod settings;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The longest platform name or platform-side id we accept. Discord snowflakes
/// are ~20 digits and Matrix ids are capped at 255 bytes by the spec.
const MAX_ID_LEN: usize = 255;

/// A chat platform's short name (`discord`, `matrix`, `terminal`), lower case.
///
/// A string rather than an enum on purpose: adding a platform must not require
/// touching the core.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Platform(String);

impl Platform {
    /// The name as stored and displayed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Platform {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = !s.is_empty()
            && s.len() <= 32
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdentityError::BadPlatform(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Platform {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Platform> for String {
    fn from(p: Platform) -> Self {
        p.0
    }
}

/// Why a platform name or identity was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "an identity is written platform:id (the platform's name, a colon, the person's id there); got {0:?}"
    )]
    MissingSeparator(String),
    #[error("{0:?} is not a platform name (lower-case letters, digits, - and _)")]
    BadPlatform(String),
    #[error("the id part of {0:?} is empty, too long or contains white space")]
    BadId(String),
    /// The id breaks its platform's syntax.
    #[error("{rule}, got {id:?}")]
    BadSyntax { rule: &'static str, id: String },
}

/// How one platform writes the ids of its people, checked wherever an
/// identity is typed (the command line, the admin API). Each adapter states
/// its own; identities of a platform with none are checked by the general
/// rules alone.
#[derive(Clone, Copy, Debug)]
pub struct IdentitySyntax {
    /// The platform's name, as in [`Platform`].
    pub platform: &'static str,
    /// What a valid id looks like, said when one is not ("a Discord id is a
    /// number (a snowflake)").
    pub rule: &'static str,
    /// Whether `id` (without the platform's name) is valid.
    pub check: fn(&str) -> bool,
}

/// A person as one chat platform knows them: `discord:80351110224678912`,
/// `matrix:@ana:example.org`. Many of these may link to one local user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlatformIdentity {
    platform: Platform,
    id: String,
}

impl PlatformIdentity {
    /// Builds an identity, checking the id against the rules every
    /// platform shares (not empty, not too long, no white space or hidden
    /// character); [`PlatformIdentity::parse_checked`] adds the platform's own.
    ///
    /// # Errors
    /// [`IdentityError`] when the id is empty, too long or has white space.
    pub fn new(platform: Platform, id: impl Into<String>) -> Result<Self, IdentityError> {
        let id = id.into();
        let full = format!("{platform}:{id}");
        if id.is_empty()
            || id.len() > MAX_ID_LEN
            || id.chars().any(|c| c.is_whitespace() || hidden(c))
        {
            return Err(IdentityError::BadId(full.escape_debug().to_string()));
        }
        Ok(Self { platform, id })
    }

    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// The platform-side id, without the platform prefix.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A character that changes how text around it is shown rather than being
/// seen itself: control characters (a terminal's escape sequences, line
/// breaks), bidirectional overrides and marks, zero-width and invisible
/// fillers. None belongs in an identity; printed raw, they forge a line.
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// `text` with every [`hidden`] character written as an escape
/// (`\u{202e}`), for output a person reads: a terminal, a table, a log.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` for a terminal, keeping its lines: every [`hidden`] character but
/// the line break and the tab written as an escape, so that text from a chat
/// or a database (an export, a schema, a prompt's examples) cannot move the
/// cursor, recolour, retitle or rewrite what the terminal shows.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hidden(c) && !matches!(c, '\n' | '\t') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for PlatformIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.id)
    }
}

impl PlatformIdentity {
    /// Parses an identity as a person typed it, checking its id against the
    /// syntax of its platform when `known` has one.
    ///
    /// # Errors
    /// [`IdentityError`], as for [`FromStr`], or
    /// [`IdentityError::BadSyntax`] with the platform's rule.
    pub fn parse_checked(s: &str, known: &[IdentitySyntax]) -> Result<Self, IdentityError> {
        let identity: Self = s.parse()?;
        match known
            .iter()
            .find(|k| k.platform == identity.platform.as_str())
        {
            Some(syntax) if !(syntax.check)(&identity.id) => Err(IdentityError::BadSyntax {
                rule: syntax.rule,
                id: identity.id,
            }),
            _ => Ok(identity),
        }
    }
}

impl FromStr for PlatformIdentity {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Split at the first colon only: Matrix ids contain colons themselves.
        let (platform, id) = s
            .split_once(':')
            .ok_or_else(|| IdentityError::MissingSeparator(s.to_owned()))?;
        Self::new(platform.parse()?, id)
    }
}

impl TryFrom<String> for PlatformIdentity {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PlatformIdentity> for String {
    fn from(p: PlatformIdentity) -> Self {
        p.to_string()
    }
}

/// Where something happened: a channel (or room) on a platform, possibly a
/// thread in it, and whether it is a private conversation with the bot.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    pub platform: Platform,
    /// The platform's channel or room id; for a DM, the DM channel's id.
    pub channel: String,
    /// The thread inside the channel, when there is one.
    pub thread: Option<String>,
    /// A direct conversation with the bot: nothing said there may surface in a
    /// shared channel.
    pub private: bool,
}

/// Who reads a place, the bot left out, as a platform tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audience {
    /// Every account that is in the place now or may see it (a Matrix
    /// room's joined and invited members; a Discord channel's members who
    /// view it).
    pub readers: Vec<PlatformIdentity>,
    /// Whether someone who is not among `readers` can later read back what
    /// is posted now: a Matrix room whose history is `shared` or
    /// `world_readable`; a Discord channel, whose history whoever is given
    /// a role that views it reads. An admin may mark such a place closed in
    /// the configuration (`access.closed_places`).
    pub later: Later,
}

/// Whether what is posted in a place now can be read later by someone who
/// does not read it now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Later {
    /// Only those who read it now, and what they forward.
    Closed,
    /// Anyone the place's members (or the server's admins) let in.
    Open,
}

impl Audience {
    /// An audience no one joins later.
    pub fn closed(readers: Vec<PlatformIdentity>) -> Self {
        Self {
            readers,
            later: Later::Closed,
        }
    }

    /// An audience that anyone let in later joins, history included.
    pub fn open(readers: Vec<PlatformIdentity>) -> Self {
        Self {
            readers,
            later: Later::Open,
        }
    }
}

/// A message id as the platform knows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageRef {
    pub place: Place,
    pub id: String,
}

/// What an adapter reports to the core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InboundEvent {
    /// A command (Discord slash command, Matrix `!command`, terminal
    /// `/command`), already parsed by the adapter.
    Command {
        author: PlatformIdentity,
        place: Place,
        /// The message the command was sent as, when it was one, so that a
        /// reply lands next to it.
        message: Option<String>,
        /// The message that one replies to, when it does: `run N` sent as a
        /// reply to an answer runs that answer's statement N.
        in_reply_to: Option<String>,
        command: Command,
    },
    /// A message addressed to the bot (mention, DM, reply to the bot, a thread
    /// it takes part in). The adapter decides "addressed to the bot"; the core
    /// decides what to do with it.
    Message {
        author: PlatformIdentity,
        message: MessageRef,
        /// The message this one replies to, when it is a reply.
        in_reply_to: Option<String>,
        text: String,
    },
    /// A message was taken back (a Matrix redaction, a Discord deletion):
    /// what it said must no longer be kept, exported or sent to the model.
    Withdrawn {
        /// Who took it back, when the platform says.
        by: Option<PlatformIdentity>,
        message: MessageRef,
    },
    /// Someone used a control the bot attached to one of its messages
    /// (a button, a reaction).
    Control {
        actor: PlatformIdentity,
        message: MessageRef,
        control: ControlKind,
        /// The platform's id of this use of the control (a Discord
        /// interaction, a Matrix reaction), so that one delivered twice is
        /// acted on once; `None` when the platform gives none.
        event: Option<String>,
    },
}

/// A command a user gives the bot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Switch the conversation's mode (`sql`, `chat`); checked by the core.
    Mode(String),
    /// Stop the generation streaming in this place.
    Stop,
    /// Export the conversation (`markdown`, `json`).
    Export(String),
    /// Link this chat account: with the invite code an admin made for it,
    /// or, by a user's name, a request that an admin approves.
    Link(String),
    /// Run statement N of the latest answer here (`run N`), as the Execute
    /// control does; `run N chart` with a chart, `run N table` without.
    Run {
        index: u32,
        chart: ChartWish,
    },
    /// Pick reading N of a question the bot asked back about (`pick N`),
    /// as its control does: the latest one here, or, sent as a reply, the
    /// one replied to.
    Pick {
        number: u32,
    },
    Help,
    /// Read the audit (admins only); the answer goes to the asker alone.
    Audit(AuditQuery),
    /// Say whether the latest query result here was right (`good`, `bad`),
    /// as the correct/wrong controls do.
    Feedback {
        correct: bool,
    },
    /// Manage the confirmed examples (admins only); the answer goes to the
    /// asker alone.
    Examples(ExamplesQuery),
    /// Answer the requests to be linked (admins only); the answer goes to
    /// the asker alone.
    Requests(RequestsQuery),
    /// The questions asked again and again that the semantic model missed
    /// (admins only); the answer goes to the asker alone.
    Suggestions,
}

/// What an admin does with the link requests from the chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestsQuery {
    /// The requests waiting.
    List,
    /// Link the account (`matrix:@ana:example.org`) to the user it asked
    /// for, named as the admin read it in the list: a request changed since
    /// is not approved.
    Approve { account: String, user: String },
    /// Turn the account's request down.
    Deny(String),
}

/// What an admin asks of the confirmed examples from the chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExamplesQuery {
    /// The newest examples, or those whose question or SQL holds a text.
    List(Option<String>),
    /// Remove one, by number.
    Remove(i64),
}

/// What an admin asks of the audit from the chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditQuery {
    /// The newest events.
    Recent,
    /// The newest events of one local user, by name.
    User(String),
    /// The newest events of one kind (`question`, `execute_result`, ...).
    Kind(String),
    /// The newest events whose payload contains this text.
    Search(String),
    /// Walk the hash chain and say whether it holds.
    Verify,
}

/// The controls the core can attach to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlKind {
    /// Run the statement with this index in the answer.
    Execute {
        statement: u32,
        /// The stored ids behind the control, for platforms whose controls
        /// carry data (a Discord button's custom_id). What comes back in a
        /// click is a claim: the core checks it against the store.
        reference: Option<StatementRef>,
    },
    /// Stop the generation that is streaming into this message.
    Stop,
    /// Pick reading `number` of a question the bot asked back about.
    Pick {
        number: u32,
        /// The stored reading behind the control, for platforms whose
        /// controls carry data; a claim the core checks.
        reference: Option<ReadingRef>,
    },
    /// Say that a query's result is right ("correct": keep the question
    /// and its SQL as an example) or not ("wrong").
    Feedback {
        correct: bool,
        /// The stored result the control was made for, for platforms whose
        /// controls carry data; a claim the core checks.
        result: Option<i64>,
    },
    /// A control the adapter could not read: not one the bot made (forged),
    /// or from an older version. The core refuses it and records it.
    Unrecognised(String),
}

/// Which stored reading a Pick control stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadingRef {
    pub conversation: i64,
    pub reading: i64,
}

/// Which stored statement an Execute control stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatementRef {
    pub conversation: i64,
    pub statement: i64,
}

/// What the core appends to a message while its answer is still being
/// written. An adapter that renders differently (the terminal prints only what
/// is new) can recognise and drop it.
pub const STREAMING_CURSOR: &str = " ▍";

/// Words an adapter shows of its own accord rather than because the core
/// said them: its buttons, a note under a message it could not read, the
/// descriptions of the commands it registers. The core writes them, in
/// every language it speaks ([`Labels`]), so that adapters hold no text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label<'a> {
    /// The control that stops an answer being written.
    Stop,
    /// The control that runs statement number `statement` of an answer.
    Execute { statement: u32 },
    /// The control that picks reading `number` of a question asked back.
    Pick { number: u32 },
    /// The control that says a result is right, or wrong.
    Feedback { correct: bool },
    /// Said under a result where controls are typed: how to say whether
    /// it is right.
    FeedbackHint,
    /// Said under a message that reached the bot but could not be read (an
    /// encrypted message whose keys did not arrive).
    Unreadable,
    /// What a command does, where the platform lists commands; `command`
    /// is its name, with a subcommand after a space (`audit recent`).
    /// At most 100 characters.
    CommandHelp { command: &'a str },
    /// What one of a command's arguments is. At most 100 characters.
    ArgumentHelp { command: &'a str, argument: &'a str },
    /// A typed command that does not exist (`given`, without its prefix),
    /// with the ones that do.
    UnknownCommand { given: &'a str },
    /// A typed `run` without the number of a query.
    RunNeedsNumber,
    /// A file the adapter saved for the person (an export, a result).
    FileSaved { path: &'a str },
    /// Why an invite to a room was declined: the bot is in `rooms` rooms,
    /// its cap, in all (`per_inviter` false) or invited by this person.
    RoomCapReached { rooms: usize, per_inviter: bool },
}

/// The core's wording of the [`Label`]s.
pub trait Labels: Send + Sync {
    /// In the bot's language.
    fn label(&self, label: Label<'_>) -> String;
    /// In every language the bot speaks, as (language code, text), the bot's
    /// own first: for platforms that show each person their own language.
    fn label_in_all(&self, label: Label<'_>) -> Vec<(&'static str, String)>;
}

/// What a platform can do, and how fast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest message, in characters (Unicode scalar values).
    pub max_message_chars: usize,
    /// The shortest time between two edits of one message: a floor the
    /// bot keeps to whatever its allowance holds.
    pub min_edit_interval: Duration,
    /// How many edits the platform allows, and to what they are counted.
    pub edit_allowance: Allowance,
    /// Messages can carry buttons (else controls are reactions or commands).
    pub buttons: bool,
    /// How a person types a command here (`/` on Discord and in the
    /// terminal, `!` on Matrix), so that what the bot says names commands
    /// as they are typed.
    pub command_prefix: &'static str,
}

/// A platform's allowance of edits: `burst` at once, then one more every
/// `refill` (a token bucket; `refill` zero for no limit beyond the floor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    pub burst: u32,
    pub refill: Duration,
    pub scope: AllowanceScope,
    /// Posting a message spends from the same allowance (Synapse counts
    /// every event a user sends).
    pub posts_count: bool,
}

impl Allowance {
    /// `burst` edits at once in each channel, one more every `refill`
    /// (Discord's edits), posts counted apart.
    pub const fn per_channel(burst: u32, refill: Duration) -> Self {
        Allowance {
            burst,
            refill,
            scope: AllowanceScope::Channel,
            posts_count: false,
        }
    }

    /// No allowance beyond the floor between two edits of one message.
    pub const UNLIMITED: Allowance = Allowance {
        burst: 1000,
        refill: Duration::ZERO,
        scope: AllowanceScope::Account,
        posts_count: false,
    };
}

/// What is left of an allowance, as the platform says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowanceLeft {
    /// Edits that may still go before the reset.
    pub remaining: u32,
    /// When the allowance is whole again.
    pub reset_after: Duration,
}

/// What a platform counts edits to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowanceScope {
    /// Each channel or room has its own allowance (Discord).
    Channel,
    /// The bot's account has one for all its rooms (Synapse's
    /// `rc_message`).
    Account,
}

/// Whether a person wants a chart beside a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ChartWish {
    /// As the bot is configured (`sql.charts`).
    #[default]
    AsConfigured,
    /// A chart when the result's shape allows one (and why not otherwise).
    Wanted,
    /// The table alone.
    Unwanted,
}

/// A file to attach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
    /// What a platform shows of an image beside its bytes, when it is one.
    #[serde(default)]
    pub image: Option<Image>,
}

/// An image's size, what it shows in words (Discord's description of an
/// attachment, Matrix's caption), and a smaller copy for clients that show
/// one first (Matrix's thumbnail).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub description: String,
    pub thumbnail: Option<Thumbnail>,
}

/// A smaller copy of an image, in the same format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Query results, for platforms that can show a real table (Matrix's HTML).
/// The message's text always carries the same rows as monospace text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// "First 5 of 120 rows (full result attached):"
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Why a platform could not do what was asked. Each adapter maps its own
/// errors to these, keeping the original as the source.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The text is longer than [`Limits::max_message_chars`].
    #[error("the message is too long for the platform ({chars} characters, at most {max})")]
    TooLong { chars: usize, max: usize },
    /// Slow down; the request may be repeated after this long.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// The message or place no longer exists (deleted, or the bot was removed).
    #[error("not found: {0}")]
    NotFound(String),
    #[error("the platform failed: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What the core asks of a chat platform. Implemented by every adapter, and
/// by [`recording::RecordingPlatform`] for tests.
#[async_trait::async_trait]
pub trait ChatPlatform: Send + Sync {
    fn platform(&self) -> &Platform;

    fn limits(&self) -> &Limits;

    /// Posts a message, as a reply to `in_reply_to` when given (and in
    /// `place.thread` when there is one).
    async fn post(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        text: &str,
    ) -> Result<MessageRef, PlatformError>;

    /// Replaces the text of one of the bot's messages.
    async fn edit(&self, message: &MessageRef, text: &str) -> Result<(), PlatformError>;

    /// What the platform last said is left of the allowance that edits in
    /// `place` draw on (Discord's `X-RateLimit-Remaining` and reset, as the
    /// HTTP client keeps them); `None` when it says nothing.
    async fn allowance_left(&self, place: &Place) -> Option<AllowanceLeft> {
        let _ = place;
        None
    }

    /// Posts query results: `text` shows them as monospace text; a
    /// platform that renders tables shows `table` too.
    async fn post_table(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        text: &str,
        table: &Table,
    ) -> Result<MessageRef, PlatformError> {
        let _ = table;
        self.post(place, in_reply_to, text).await
    }

    /// Replaces one of the bot's messages with query results, as
    /// [`ChatPlatform::post_table`] shows them.
    async fn edit_table(
        &self,
        message: &MessageRef,
        text: &str,
        table: &Table,
    ) -> Result<(), PlatformError> {
        let _ = table;
        self.edit(message, text).await
    }

    async fn attach(&self, place: &Place, attachment: Attachment) -> Result<(), PlatformError>;

    async fn show_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError>;

    async fn withdraw_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError>;

    /// Who can read what is posted in `place` now, and whether others can
    /// read it back later, as the platform tells at the moment of asking
    /// (the core asks again immediately before each post that carries
    /// rows). `None` when the platform cannot tell: results whose rows not
    /// everyone may read then go to the person who ran the query alone.
    async fn audience(&self, place: &Place) -> Result<Option<Audience>, PlatformError> {
        let _ = place;
        Ok(None)
    }

    /// Says something to one person only, with files when given: an
    /// ephemeral reply, or a DM.
    async fn reply_privately(
        &self,
        to: &PlatformIdentity,
        place: &Place,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError>;
}

/// What handles the events an adapter reports: the core's bot, in
/// production. `platform` is where the answers go; an adapter may hand a
/// per-event view of itself (bound to a Discord interaction, say) so that
/// private replies reach the right person the right way.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync {
    async fn handle(&self, platform: Arc<dyn ChatPlatform>, event: InboundEvent);

    /// The adapter is connected and `platform` can post and edit: what an
    /// earlier process left unfinished there can be ended now. Called at
    /// each connection (a reconnection too); the adapter does not wait for
    /// it to return before it reports events.
    async fn connected(&self, platform: Arc<dyn ChatPlatform>) {
        let _ = platform;
    }
}

/// Where a platform connection stands, as `/readyz` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// Not connected yet (logging in, opening the gateway).
    Connecting,
    Connected,
    /// Lost; the connector is trying again. Why, for the operator.
    Reconnecting(String),
    /// Given up for good, or stopped.
    Stopped(String),
}

/// The longest wait between two tries to reach a platform.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// Waits `delay` before the next try to reach a platform that cannot be
/// reached, saying `why` in `state`, and doubles `delay` (up to
/// [`MAX_RETRY_DELAY`]). Returns false when `stop` came first (the state
/// then says so).
pub async fn wait_to_retry(
    state: &tokio::sync::watch::Sender<ConnectionState>,
    why: String,
    delay: &mut Duration,
    stop: &tokio_util::sync::CancellationToken,
) -> bool {
    state.send_replace(ConnectionState::Reconnecting(why));
    tokio::select! {
        () = tokio::time::sleep(*delay) => {}
        () = stop.cancelled() => {
            state.send_replace(ConnectionState::Stopped("stopped".into()));
            return false;
        }
    }
    *delay = (*delay * 2).min(MAX_RETRY_DELAY);
    true
}

/// A chat platform connection that `pstral run` serves: it connects, reports
/// events to the handler until `stop` is cancelled, then lets the events it
/// already took finish and returns. It keeps `state` up to date.
#[async_trait::async_trait]
pub trait Connector: Send {
    fn platform(&self) -> Platform;

    /// # Errors
    /// When the platform cannot be reached or refuses the bot for good (a
    /// bad token); transient faults are retried inside.
    async fn serve(
        self: Box<Self>,
        handler: Arc<dyn EventHandler>,
        state: tokio::sync::watch::Sender<ConnectionState>,
        stop: tokio_util::sync::CancellationToken,
    ) -> Result<(), PlatformError>;
}

/// One request the core made of a platform, as [`recording::RecordingPlatform`]
/// records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OutboundAction {
    /// Post a new message, as a reply to `in_reply_to` when given.
    Post {
        message: MessageRef,
        in_reply_to: Option<String>,
        text: String,
    },
    /// Replace the text of one of the bot's messages.
    Edit { message: MessageRef, text: String },
    /// Attach a file to the conversation.
    Attach {
        place: Place,
        attachment: Attachment,
    },
    /// Offer a control on a message.
    ShowControl {
        message: MessageRef,
        control: ControlKind,
    },
    /// Take a control back.
    WithdrawControl {
        message: MessageRef,
        control: ControlKind,
    },
    /// Say something to one person only (an ephemeral reply or a DM).
    ReplyPrivately {
        to: PlatformIdentity,
        place: Place,
        text: String,
        attachments: Vec<Attachment>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_keeps_its_lines_and_loses_its_escapes() {
        let chat = "line one\n\x1b]0;pwned\x07\x1b[2J\tcol\u{202e}evil";
        let shown = super::printable(chat);
        assert!(!shown.contains('\x1b') && !shown.contains('\x07') && !shown.contains('\u{202e}'));
        assert!(shown.starts_with("line one\n") && shown.contains("\tcol"));
        assert!(shown.contains("\\u{1b}]0;pwned"), "{shown}");
    }

    #[test]
    fn identities_parse_and_print_back() {
        for s in [
            "discord:80351110224678912",
            "matrix:@ana:example.org",
            "matrix:@ana:example.org:8448",
            "terminal:root",
        ] {
            let id: PlatformIdentity = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
        }
        let id: PlatformIdentity = "matrix:@ana:example.org".parse().unwrap();
        assert_eq!(id.platform().as_str(), "matrix");
        assert_eq!(id.id(), "@ana:example.org");
    }

    #[test]
    fn malformed_identities_say_what_is_wrong() {
        let cases = [
            ("ana", "platform:id"),
            ("Discord:1", "not a platform name"),
            ("discord:", "empty"),
            ("terminal:a b", "white space"),
        ];
        for (input, expected) in cases {
            let err = input.parse::<PlatformIdentity>().unwrap_err().to_string();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn a_platform_states_its_own_id_syntax_and_others_keep_the_general_rules() {
        let numbers = IdentitySyntax {
            platform: "numbers",
            rule: "an id here is a number",
            check: |id| id.chars().all(|c| c.is_ascii_digit()),
        };
        let known = [numbers];
        assert!(PlatformIdentity::parse_checked("numbers:42", &known).is_ok());
        let err = PlatformIdentity::parse_checked("numbers:ana", &known).unwrap_err();
        assert_eq!(err.to_string(), "an id here is a number, got \"ana\"");
        // Without its syntax, the same identity passes the general rules.
        assert!("numbers:ana".parse::<PlatformIdentity>().is_ok());
        // Another platform is untouched by this one's rule.
        assert!(PlatformIdentity::parse_checked("other:ana", &known).is_ok());
        // The general rules still come first.
        let err = PlatformIdentity::parse_checked("numbers:4 2", &known).unwrap_err();
        assert!(err.to_string().contains("white space"), "{err}");
    }
}
