//! User-facing text, in English and French.
//!
//! Every sentence a chat user can read is built here, from a [`Text`] value
//! and a [`Lang`], so that a translation is never missing: adding a variant to
//! [`Text`] does not compile until both languages have it. Operator-facing
//! output (logs, CLI) stays in English.
//!
//! It also words what adapters show of their own ([`Wording`], the
//! contract's [`Label`](pstral_chat::Label)s: buttons, notes, command
//! descriptions), so that no adapter holds text.
//!
//! Every sentence sits beside its translation, where a reviewer sees both:
//! `chat` the chat's texts, `sql` why a statement was refused or
//! stopped, `chart` what a chart says in words, `labels` the adapters'
//! words; this file what they are written from.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A language the bot speaks. The default comes from `general.language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// Every language the bot speaks.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            other => Err(format!("unknown language {other:?}: en or fr")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something the bot says to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// To someone whose chat account is linked to no local user, when the
    /// policy is to refuse.
    UnknownIdentity {
        contact: &'a str,
        /// How commands are typed on the platform (`!`, `/`).
        prefix: &'a str,
    },
    /// An invite code was accepted and the account is now linked.
    Linked {
        user: &'a str,
    },
    /// An invite code that does not work: unknown, expired, used, or tried
    /// too often. One text for all, so that trying codes teaches nothing.
    InviteNotValid,
    /// The link command said where others read: it is taken in a DM only.
    LinkOnlyInDm {
        prefix: &'a str,
    },
    /// A request to be linked to `user` is recorded for the admins.
    LinkRequested {
        user: &'a str,
        /// The account as the admins will see it in the list.
        account: &'a str,
        prefix: &'a str,
    },
    /// What follows `link` is neither an invite code nor a user's name.
    LinkUnreadable,
    /// Too many link requests or invite attempts lately.
    TooManyAttempts,
    /// The link requests waiting, to an admin: (account, user asked for,
    /// that user's role when it exists), and how many more are not shown.
    LinkRequests {
        requests: &'a [(&'a str, &'a str, Option<&'a str>)],
        more: usize,
        prefix: &'a str,
    },
    /// An admin approved a request: the account is linked.
    LinkApproved {
        account: &'a str,
        user: &'a str,
    },
    /// An admin turned a request down.
    LinkDenied {
        account: &'a str,
        user: &'a str,
    },
    /// No live request from this account.
    NoLinkRequest {
        account: &'a str,
    },
    /// The chat account is already linked to a local user.
    AlreadyLinked {
        user: &'a str,
    },
    /// The user's role does not allow what they asked for.
    NotAllowed {
        needed: &'a str,
    },
    /// The own database could not record an action, so it was not carried out.
    AuditUnavailable,
    /// The placeholder posted while the model prepares its answer.
    Thinking,
    /// The placeholder while the question waits for the model.
    QueuePosition {
        position: usize,
    },
    /// No model server could be reached.
    ModelUnavailable,
    /// The model server did not start answering in time.
    ModelTooSlow,
    /// The model stopped in the middle of its answer.
    AnswerCut,
    /// The question's prompt did not fit the model's context: the person is
    /// told asking again cannot help, and the operator what to change.
    PromptTooLong {
        /// Estimated.
        prompt_tokens: u64,
        /// The model's context, where the server says it.
        context: Option<u64>,
    },
    /// The chat refused the next message of a long answer.
    AnswerNotPosted {
        prefix: &'a str,
    },
    /// The answer reached the model's length limit.
    AnswerTooLong,
    /// The model looped; its answer was ended.
    AnswerRepeats,
    /// Stop used by someone who neither asked nor administers.
    StopNotAllowed,
    /// A file could not be attached.
    CannotAttach,
    /// A query ran, but its result could not be posted where it was asked.
    CannotShowResult,
    ModelMissing {
        model: &'a str,
        /// Ollama installs models with `ollama pull`; other servers load
        /// what they are started with.
        ollama: bool,
    },
    /// The model server refused Pstral's API key.
    ModelKeyRefused,
    ModelFailed,
    QueueFull,
    /// One person's questions already waiting fill their share of the line.
    OwnQueueFull {
        waiting: usize,
    },
    /// A generation stopped on request.
    Stopped,
    /// The model finished without a word.
    EmptyAnswer,
    ModeSet {
        mode: &'a str,
    },
    /// A shared channel's default mode changed, for everyone's new
    /// conversations there.
    ModeSetForChannel {
        mode: &'a str,
    },
    /// `mode` outside a thread in a shared channel, by someone who is not an
    /// admin: it would change everyone's default.
    ModeChannelNeedsAdmin {
        prefix: &'a str,
    },
    UnknownMode {
        given: &'a str,
    },
    /// `stop` when nothing is being generated.
    NothingToStop,
    /// `export` where the user has no conversation yet.
    NothingToExport,
    /// A thread's conversation belongs to those who asked in it (and to
    /// admins): someone else may not export it or change its mode.
    NotYourConversation,
    /// The list of commands, as typed on the platform.
    Help {
        prefix: &'a str,
    },
    /// Why a SQL statement will not be offered for execution.
    SqlRefused(&'a crate::sql::validate::Refusal),
    /// The statement does not compile against the real schema.
    SqlDoesNotCompile {
        index: u32,
        message: &'a str,
    },
    /// The statement's plan would take more of the database server than
    /// one query may (weighed on its plan and the tables' sizes).
    SqlTooHeavy {
        index: u32,
        heavy: &'a crate::sql::backend::Heavy,
    },
    /// The database took longer than the limit only to plan the statement
    /// (its EXPLAIN, before any click).
    SqlPlanTooSlow {
        index: u32,
        limit: std::time::Duration,
    },
    /// A statement may be run; with the database's estimate when known.
    SqlReady {
        index: u32,
        rows: Option<u64>,
        buttons: bool,
        /// How commands are typed on the platform.
        prefix: &'a str,
    },
    /// `run N` names no statement offered here.
    NothingToRun {
        index: u32,
    },
    Running {
        index: u32,
    },
    /// The query failed or was stopped: why, the database's own message
    /// kept as it said it.
    ExecFailed {
        error: &'a crate::sql::backend::ExecError,
    },
    /// There is no working Execute target.
    ExecuteUnavailable {
        reason: &'a str,
    },
    /// Sent to the model (not to a user): fix the query that failed.
    RepairRequest {
        reasons: &'a str,
    },
    /// The second round, when the model's answer held no SQL at all.
    SqlAskedAgain,
    /// A question compiled through the semantic model: how it was read
    /// (as the example `confirmed` was, when the same question was
    /// confirmed before), then the statement written from it.
    PlanAnswer {
        reading: &'a str,
        confirmed: Option<i64>,
        sql: &'a str,
    },
    /// The bot doubts how to read a question (`why`) and asks which
    /// reading is meant, each numbered (one only: whether it is the one).
    AskBack {
        why: Doubted<'a>,
        readings: &'a [String],
    },
    /// Under a question asked back: how to pick a reading, of `count`.
    PickHow {
        count: usize,
        buttons: bool,
        prefix: &'a str,
    },
    /// Above the answer a picked reading gives.
    Picked {
        number: u32,
    },
    /// A pick of a reading that is not there.
    NothingToPick {
        number: u32,
    },
    /// A pick by someone else than who asked.
    PickIsTheAskers,
    /// A reading picked again: it was answered already.
    AlreadyPicked {
        number: u32,
    },
    /// Above a plan's answer: the question was read as a follow-up to
    /// `earlier`.
    FollowsEarlier {
        earlier: &'a str,
    },
    /// A plan named a value of a category that the data does not hold:
    /// said, never guessed.
    PlanValueUnknown {
        dimension: &'a str,
        value: &'a str,
        /// The nearest values the data holds, or "".
        near: &'a str,
    },
    /// More answers were drawn (`sql.candidates`) and most agree on a
    /// statement the first answer did not offer: it, as query `index`.
    SqlAgreed {
        votes: usize,
        of: usize,
        index: u32,
        sql: &'a str,
    },
    /// Where a column the database did not find is (`tables` empty: in no
    /// table shown).
    ColumnIsIn {
        column: &'a str,
        tables: &'a str,
    },
    /// A control (button) that the bot did not make, or no longer knows.
    ControlNotValid,
    /// The results went to the person who ran the query, privately.
    ResultsSentPrivately {
        index: u32,
    },
    /// Results meant for one person could not reach them privately.
    CannotDeliverPrivately,
    /// Someone asked for a chart of a result that gets none: why.
    NoChart(crate::chart::NoChart),
    /// A statement reads what the clicker's groups may not read.
    HiddenFromYou(&'a crate::access::Hidden),
    /// The data-access rules cannot be checked: the target's catalogue has
    /// not been read.
    AccessUnchecked,
    /// Said in the place: a result went to the clicker alone, and why
    /// (what and which rule, never the data).
    ResultsRedirected {
        index: u32,
        why: Redirection<'a>,
    },
    /// An audit query found nothing.
    AuditNothingFound,
    /// The head of an audit answer: how many events are listed.
    AuditListed {
        shown: usize,
    },
    /// `audit verify`: the chain holds.
    AuditIntact {
        checked: u64,
    },
    /// `audit verify`: the chain is broken; what the check found.
    AuditBroken {
        checked: u64,
        detail: &'a str,
    },
    /// `audit user NAME` names no local user.
    AuditNoSuchUser {
        name: &'a str,
    },
    /// `audit kind KIND` names no kind of event.
    AuditNoSuchKind {
        given: &'a str,
        kinds: &'a str,
    },
    /// The first words of a terminal session.
    TerminalWelcome,
    /// Where a terminal session's log lines go (never into the
    /// conversation).
    TerminalLogFile {
        path: &'a str,
    },
    /// No model server answers where the configuration points.
    ModelServerDown {
        url: &'a str,
        error: &'a str,
        ollama: bool,
    },
    /// The model server answers but does not have the model.
    ServerLacksModel {
        url: &'a str,
        model: &'a str,
        /// Ollama installs models with `ollama pull`; an OpenAI-compatible
        /// server lists what it serves (`served`).
        ollama: bool,
        served: &'a str,
    },
    /// "Correct" stored the query as an example of the target (`new`: it
    /// was not one already).
    ExampleStored {
        id: i64,
        new: bool,
        target: &'a str,
    },
    /// "Wrong" was recorded; nothing was stored.
    FeedbackNoted,
    /// "Correct" from someone who neither asked nor has the role.
    ConfirmNotAllowed {
        role: &'a str,
    },
    /// "Correct" on a pair an admin removed from the examples.
    ExampleStaysRemoved,
    /// "Correct" on a result asked or shown in private, from someone
    /// without the role.
    ConfirmPrivateNeedsRole {
        role: &'a str,
    },
    /// `good`/`bad` with no query result here to judge.
    NoResultToJudge,
    /// "Correct" on a statement offered before questions were kept.
    ResultWithoutQuestion,
    /// In the `examples` list: why one is not in use.
    ExampleSetAside {
        reason: &'a str,
    },
    /// Under a result sent privately, where controls cannot follow it.
    FeedbackTyped {
        prefix: &'a str,
    },
    /// `examples`: the head of the list.
    ExamplesListed {
        shown: usize,
        total: usize,
        target: &'a str,
    },
    /// `examples`: none stored (or none matching).
    NoExamples {
        target: &'a str,
    },
    /// `examples remove N`.
    ExampleRemoved {
        id: i64,
    },
    NoSuchExample {
        id: i64,
    },
    /// Above a result's preview: how many of its rows are shown.
    RowsCaption {
        shown: u64,
        total: u64,
        /// The result was cut at the row cap or the size cap: there were
        /// more than `total`.
        truncated: bool,
    },
}

/// Why the bot doubts its first reading of a question, said to the asker
/// (labels in the asker's language).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubted<'a> {
    /// The plans drawn read it differently.
    Split,
    /// A value the question names that the reading does not use.
    LeftOutValue(&'a str),
    /// A segment, by its label.
    LeftOutSegment(&'a str),
    LeftOutPeriod,
    LeftOutGrain(reading::Grain),
    LeftOutNumber(u32),
    LeftOutShare,
    /// A filter on what the question names nowhere, by its label.
    UnsaidFilter(&'a str),
    UnsaidSegment(&'a str),
    UnsaidMeasure(&'a str),
    /// The model's first plan did not hold.
    Repaired,
    /// The model was unsure of a choice in its plan.
    Unsure,
    /// The model's own queries, `of` of them drawn, disagree (the free
    /// path, `sql.candidates`).
    Tries {
        of: usize,
    },
}

impl<'a> Text<'a> {
    /// What to tell the chat user who caused an identity error, when it is
    /// theirs to fix; `None` for failures of the bot itself.
    pub fn of_identity_error(error: &'a crate::identity::IdentityError) -> Option<Self> {
        use crate::identity::IdentityError as E;
        match error {
            // One text for every failure: trying codes teaches nothing.
            E::InviteUnknown
            | E::InviteExpired
            | E::InviteUsed
            | E::InviteForAnother
            | E::InviteNamesNoAccount
            | E::TooManyAttempts => Some(Text::InviteNotValid),
            E::AlreadyLinked { user, .. } => Some(Text::AlreadyLinked { user }),
            E::BadName(_) => Some(Text::LinkUnreadable),
            _ => None,
        }
    }
}

/// A duration as French writes it (`1 min 30 s`), where humantime writes
/// English units (`1m 30s`).
pub(crate) fn duration_fr(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let parts = [
        (secs / 3600, "h"),
        (secs / 60 % 60, "min"),
        (secs % 60, "s"),
        (u64::from(d.subsec_millis()), "ms"),
    ];
    let said: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    match said.is_empty() {
        true => "0 s".to_owned(),
        false => said.join(" "),
    }
}

mod access;
pub mod chart;
mod chat;
mod labels;
pub mod reading;
mod sql;
#[cfg(test)]
mod tests;

pub use labels::{COMMANDS, Wording};

/// The longest name a code span quotes whole: a statement's name may be 16
/// KiB, and a reason that quotes it is cut; a span cut before its closing
/// backticks would leave the rest of the name to be read as Markdown.
const MAX_QUOTED_CHARS: usize = 200;

/// `text` as a Markdown code span, which every renderer (CommonMark,
/// Matrix clients, Discord) shows as the characters it holds: no link,
/// image, emphasis or mention. Discord reads longer backtick fences its own
/// way, so the span is fenced by one backtick and a backtick inside is shown
/// as a modifier grave (ˋ); a line break as a space (a span cannot hold one
/// on Discord, and a name must not start a new block). An empty text is a
/// space (a span of spaces alone is kept whole). A long text is cut inside
/// the span.
pub fn code_span(text: &str) -> String {
    let text: String = match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    };
    let text = text.replace('`', "\u{2cb}").replace(['\r', '\n'], " ");
    let text = if text.is_empty() {
        " ".to_owned()
    } else {
        text
    };
    format!("`{text}`")
}

/// Why a result went to the clicker alone rather than to the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirection<'a> {
    /// Someone who reads the place may not read it.
    Hidden(&'a crate::access::Hidden),
    /// Someone the place's members may let in later, who would read back
    /// its history, may not read it.
    Later(&'a crate::access::Hidden),
    /// Who reads the place changed since the query was run.
    Changed,
    /// The platform cannot tell who reads the place.
    Unknown,
}
pub(crate) use sql::exec_error;
