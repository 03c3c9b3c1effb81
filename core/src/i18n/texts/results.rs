//! A query run: that it runs, where its results went, and why it failed or
//! was not run or shown, each sentence in English beside its French.

use super::super::access::{hidden_en, hidden_fr, what_of};
use super::super::sql::{exec_error, rows_caption};
use super::super::{Lang, Redirection, chart};

/// What the bot says of a query run and of its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Results<'a> {
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
    /// A file could not be attached.
    CannotAttach,
    /// A query ran, but its result could not be posted where it was asked.
    CannotShowResult,
    /// The results went to the person who ran the query, privately.
    SentPrivately {
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
    Redirected {
        index: u32,
        why: Redirection<'a>,
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

impl Results<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (
                lang,
                Results::RowsCaption {
                    shown,
                    total,
                    truncated,
                },
            ) => rows_caption(lang, *shown, *total, *truncated),
            (Lang::En, Results::CannotShowResult) => {
                "The query ran, but I could not show its result here. Please try again later."
                    .to_owned()
            }
            (Lang::Fr, Results::CannotShowResult) => {
                "La requête a été exécutée, mais je n'ai pas pu en afficher le résultat ici. \
                 Réessayez plus tard."
                    .to_owned()
            }
            (Lang::En, Results::CannotAttach) => {
                "I could not attach the file here. Please try again later.".to_owned()
            }
            (Lang::Fr, Results::CannotAttach) => {
                "Je n'ai pas pu joindre le fichier ici. Réessayez plus tard.".to_owned()
            }
            (Lang::En, Results::Running { index }) => format!("⏳ Running query {index}…"),
            (Lang::Fr, Results::Running { index }) => {
                format!("⏳ Exécution de la requête {index}…")
            }
            (Lang::En, Results::ExecFailed { error }) => {
                format!(
                    "⚠️ The query did not complete: {}.",
                    exec_error(Lang::En, error)
                )
            }
            (Lang::Fr, Results::ExecFailed { error }) => {
                format!(
                    "⚠️ La requête n'a pas abouti : {}.",
                    exec_error(Lang::Fr, error)
                )
            }
            (Lang::En, Results::ExecuteUnavailable { reason }) => {
                format!("Queries cannot be run right now: {reason}.")
            }
            (Lang::Fr, Results::ExecuteUnavailable { reason }) => {
                format!("Les requêtes ne peuvent pas être exécutées pour le moment : {reason}.")
            }
            (Lang::En, Results::SentPrivately { index }) => {
                format!("Results of query {index}, visible to you only:")
            }
            (Lang::Fr, Results::SentPrivately { index }) => {
                format!("Résultats de la requête {index}, visibles uniquement par vous :")
            }
            (Lang::En, Results::CannotDeliverPrivately) => {
                "The results could not be sent to you privately (a direct message could not be \
                 opened); they are not shown here. Open a direct message with me and try again."
                    .to_owned()
            }
            (Lang::Fr, Results::CannotDeliverPrivately) => {
                "Les résultats n'ont pas pu vous être envoyés en privé (impossible d'ouvrir un \
                 message privé) ; ils ne sont pas affichés ici. Ouvrez un message privé avec moi \
                 et réessayez."
                    .to_owned()
            }
            (Lang::En, Results::NoChart(why)) => {
                format!("No chart: {}.", chart::why_none(*why, Lang::En))
            }
            (Lang::Fr, Results::NoChart(why)) => {
                format!("Pas de graphique : {}.", chart::why_none(*why, Lang::Fr))
            }
            (Lang::En, Results::HiddenFromYou(hidden)) => hidden_en(hidden),
            (Lang::Fr, Results::HiddenFromYou(hidden)) => hidden_fr(hidden),
            (Lang::En, Results::AccessUnchecked) => {
                "Nothing was run: what you may read cannot be checked until the target's tables \
                 have been read. Try again in a moment."
                    .to_owned()
            }
            (Lang::Fr, Results::AccessUnchecked) => {
                "Rien n'a été exécuté : ce que vous pouvez lire ne peut être vérifié tant que les \
                 tables de la cible n'ont pas été lues. Réessayez dans un instant."
                    .to_owned()
            }
            (Lang::En, Results::Redirected { index, why }) => {
                let because = match why {
                    Redirection::Hidden(hidden) => format!(
                        "someone who reads this place may not read them ({})",
                        what_of(hidden)
                    ),
                    Redirection::Later(hidden) => format!(
                        "whoever is let in later can read back what this place shows, and may \
                         not read them ({})",
                        what_of(hidden)
                    ),
                    Redirection::Changed => {
                        "who reads this place changed while the query ran".to_owned()
                    }
                    Redirection::Unknown => "I cannot tell who reads this place, and some \
                                             people may not read everything"
                        .to_owned(),
                };
                format!(
                    "The results of query {index} were sent privately to whoever ran it: \
                     {because}."
                )
            }
            (Lang::Fr, Results::Redirected { index, why }) => {
                let because = match why {
                    Redirection::Hidden(hidden) => format!(
                        "une personne qui lit ce salon ne peut pas les lire ({})",
                        what_of(hidden)
                    ),
                    Redirection::Later(hidden) => format!(
                        "qui y sera admis plus tard pourra relire ce que montre ce salon, et ne \
                         peut pas les lire ({})",
                        what_of(hidden)
                    ),
                    Redirection::Changed => {
                        "les lecteurs de ce salon ont changé pendant la requête".to_owned()
                    }
                    Redirection::Unknown => "je ne peux pas savoir qui lit ce salon, et \
                                             certains ne peuvent pas tout lire"
                        .to_owned(),
                };
                format!(
                    "Les résultats de la requête {index} ont été envoyés en privé à qui l'a \
                     lancée : {because}."
                )
            }
        }
    }
}
