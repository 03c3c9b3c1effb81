//! User-facing text, in English and French.
//!
//! Every sentence a chat user can read is built here, from a [`Text`] value
//! and a [`Lang`], so that a translation is never missing: adding a text to
//! one of its features ([`Link`], [`Answer`], [`Commands`], [`Sql`],
//! [`Readings`], [`Results`], [`Audit`], [`Startup`], [`Feedback`]) does not
//! compile until both languages have it. Operator-facing output (logs, CLI) stays in
//! English.
//!
//! It also words what adapters show of their own ([`Wording`], the
//! contract's [`Label`](pstral_chat::Label)s: buttons, notes, command
//! descriptions), so that no adapter holds text.
//!
//! Every sentence sits beside its translation, where a reviewer sees both:
//! `texts` the chat's texts, a file a feature, `sql` why a statement was
//! refused or stopped, `chart` what a chart says in words, `labels` the
//! adapters' words; this file what they are written from.

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
mod labels;
pub mod reading;
mod sql;
#[cfg(test)]
mod tests;
mod texts;

pub use labels::{COMMANDS, Wording};
pub use texts::{Answer, Audit, Commands, Feedback, Link, Readings, Results, Sql, Startup, Text};

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
