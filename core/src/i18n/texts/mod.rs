//! What the bot says to a user, by feature: each feature's texts in a file
//! of their own, each sentence in English beside its French, and [`Text`],
//! any one of them.

mod answer;
mod audit;
mod commands;
mod feedback;
mod link;
mod readings;
mod results;
mod sql;
mod startup;

pub use answer::Answer;
pub use audit::Audit;
pub use commands::Commands;
pub use feedback::Feedback;
pub use link::Link;
pub use readings::Readings;
pub use results::Results;
pub use sql::Sql;
pub use startup::Startup;

use super::Lang;

/// Something the bot says to a user: a text of one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// Linking a chat account to a local user, and what the user's role
    /// allows.
    Link(Link<'a>),
    /// The model's answer: while it is written or waits, how it ended, why
    /// there is none.
    Answer(Answer<'a>),
    /// The commands' own words: the help, a conversation's mode and export.
    Commands(Commands<'a>),
    /// The statements offered for a question, and what the model is asked
    /// again of them.
    Sql(Sql<'a>),
    /// How a question was read, and the reading picked.
    Readings(Readings<'a>),
    /// A query run and its results.
    Results(Results<'a>),
    /// The audit trail.
    Audit(Audit<'a>),
    /// A terminal session as it starts.
    Startup(Startup<'a>),
    /// Feedback on a result, and the examples it stores.
    Feedback(Feedback<'a>),
}

impl Text<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Text::Link(text) => text.render(lang),
            Text::Answer(text) => text.render(lang),
            Text::Commands(text) => text.render(lang),
            Text::Sql(text) => text.render(lang),
            Text::Readings(text) => text.render(lang),
            Text::Results(text) => text.render(lang),
            Text::Audit(text) => text.render(lang),
            Text::Startup(text) => text.render(lang),
            Text::Feedback(text) => text.render(lang),
        }
    }
}

/// `From` each feature's text into a [`Text`], so that a call site that
/// expects any text takes one feature's with `.into()`.
macro_rules! from_features {
    ($($feature:ident),* $(,)?) => {
        $(
            impl<'a> From<$feature<'a>> for Text<'a> {
                fn from(text: $feature<'a>) -> Self {
                    Text::$feature(text)
                }
            }
        )*
    };
}

from_features!(
    Link, Answer, Commands, Sql, Readings, Results, Audit, Startup, Feedback
);
