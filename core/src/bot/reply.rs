//! How a use case ends, as a value: what its audience is told and, when
//! something of ours failed, what the operator's log gets. Each step of a
//! use case returns a [`Reply`] as its error; the use case reports it in one
//! place ([`Bot::report`]), so no step logs, tells and returns by hand.

use std::fmt::Display;

use super::{Audience, Bot, Listeners, NoTarget};
use crate::i18n::{Audit, Results, Sql, Text};
use crate::sql::validate::Refusal;

/// What the audience of a use case hears at its end.
#[must_use]
pub(crate) enum Reply<'a> {
    /// Nothing more: already said where it belongs, or quiet on purpose
    /// (someone refused often enough lately).
    Silent,
    /// A refusal or an answer, told to the audience.
    Tell(Text<'a>),
    /// An answer already written in the audience's language (an audit
    /// listing), told to the audience.
    Said(String),
    /// The statement may not run (or be kept), and why.
    Refused(Refusal),
    /// Something of ours failed: logged as "cannot {what}" with the error,
    /// and the audience told `tell`.
    Failed {
        what: &'static str,
        error: String,
        tell: Text<'a>,
    },
    /// The own database could not do `what`: logged as "cannot {what}" with
    /// the error and where the database is (a full disk or a read-only file
    /// is only mended knowing which), and the audience told that the
    /// record is unavailable.
    Unrecorded { what: &'static str, error: String },
    /// Told to everyone in the place rather than to the use case's
    /// audience: results meant for one person that could not reach them,
    /// a file that could not be attached where it is missing.
    InPlace(Box<Reply<'a>>),
}

impl<'a> Reply<'a> {
    /// The own database (the store, the audit) could not do `what`: the
    /// audience is told that the record is unavailable, and nothing more is
    /// done without it.
    pub(super) fn unrecorded<E: Display>(what: &'static str) -> impl Fn(E) -> Reply<'a> + Copy {
        move |error| Reply::Unrecorded {
            what,
            error: error.to_string(),
        }
    }
}

impl Bot {
    /// Tells a use case's audience how it ended, and logs what failed.
    pub(super) async fn report(&self, to: &Listeners<'_>, reply: Reply<'_>) {
        let place = to.heard_by(Audience::Place);
        let (to, reply) = match reply {
            Reply::InPlace(reply) => (&place, *reply),
            reply => (to, reply),
        };
        match reply {
            Reply::Silent => {}
            Reply::Tell(text) => self.tell(to, text).await,
            Reply::Said(text) => self.tell_written(to, &text).await,
            Reply::Refused(refusal) => self.tell(to, Sql::Refused(&refusal).into()).await,
            Reply::Failed { what, error, tell } => {
                tracing::error!(error, "cannot {what}");
                self.tell(to, tell).await;
            }
            Reply::Unrecorded { what, error } => {
                self.unrecorded(what, &error);
                self.tell(to, Audit::Unavailable.into()).await;
            }
            // In the place already: what it holds is said there.
            Reply::InPlace(reply) => Box::pin(self.report(to, *reply)).await,
        }
    }

    /// Logs that the own database could not do `what`, and where it is.
    pub(super) fn unrecorded(&self, what: &str, error: &dyn Display) {
        let database = self.parts().audit.location();
        tracing::error!(error = %error, database, "cannot {what}");
    }

    /// Records `event`, and says whether it was: a failure is logged
    /// ([`Bot::unrecorded`]), never dropped in silence; a use case that
    /// must not go on without its record stops on `false`.
    pub(super) async fn record(&self, event: crate::audit::NewEvent, what: &str) -> bool {
        match self.parts().audit.append(event).await {
            Ok(_) => true,
            Err(e) => {
                self.unrecorded(what, &e);
                false
            }
        }
    }

    /// Why there is no Execute target, for the audience of a refusal.
    pub(super) fn sql_unavailable(&self) -> Reply<'_> {
        let reason = match &self.parts().sql {
            Err(NoTarget::Unavailable(reason)) => reason.as_str(),
            Ok(_) | Err(NoTarget::NotConfigured) => "no Execute target is configured",
        };
        Reply::Tell(Results::ExecuteUnavailable { reason }.into())
    }
}
