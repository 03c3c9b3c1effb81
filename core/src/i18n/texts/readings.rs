//! How a question was read: the reading a plan's statement is written from,
//! the readings asked back when the bot doubts, and a reading picked, each
//! sentence in English beside its French.

use super::super::reading::doubted;
use super::super::{Doubted, Lang};

/// What the bot says of how it read a question, and of the reading picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readings<'a> {
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
    Picked { number: u32 },
    /// A pick of a reading that is not there.
    NothingToPick { number: u32 },
    /// A pick by someone else than who asked.
    PickIsTheAskers,
    /// A reading picked again: it was answered already.
    AlreadyPicked { number: u32 },
    /// Above a plan's answer: the question was read as a follow-up to
    /// `earlier`.
    FollowsEarlier { earlier: &'a str },
    /// A plan named a value of a category that the data does not hold:
    /// said, never guessed.
    PlanValueUnknown {
        dimension: &'a str,
        value: &'a str,
        /// The nearest values the data holds, or "".
        near: &'a str,
    },
}

impl Readings<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (lang, Readings::AskBack { why, readings }) => {
                let why = doubted(lang, why);
                let mut text = match (lang, readings.len()) {
                    (Lang::En, 1) => format!("🤔 I am not sure of my reading: {why}."),
                    (Lang::Fr, 1) => format!("🤔 Je ne suis pas sûr de ma lecture : {why}."),
                    (Lang::En, _) => {
                        format!("🤔 I am not sure how to read this: {why}. Which do you mean?")
                    }
                    (Lang::Fr, _) => {
                        format!(
                            "🤔 Je ne sais pas bien comment lire ceci : {why}. Laquelle voulez-vous dire ?"
                        )
                    }
                };
                for (i, reading) in readings.iter().enumerate() {
                    text.push_str(&format!("\n{}. {reading}", i + 1));
                }
                text
            }
            (
                Lang::En,
                Readings::PickHow {
                    count: 1,
                    buttons: true,
                    ..
                },
            ) => {
                "Pick it with its button to get its query, or ask again in other words.".to_owned()
            }
            (
                Lang::Fr,
                Readings::PickHow {
                    count: 1,
                    buttons: true,
                    ..
                },
            ) => "Choisissez-la avec son bouton pour avoir sa requête, ou reposez la question \
                 autrement."
                .to_owned(),
            (
                Lang::En,
                Readings::PickHow {
                    count: 1, prefix, ..
                },
            ) => format!(
                "Reply 1 (or `{prefix}pick 1`) to get its query, or ask again in other words."
            ),
            (
                Lang::Fr,
                Readings::PickHow {
                    count: 1, prefix, ..
                },
            ) => format!(
                "Répondez 1 (ou `{prefix}pick 1`) pour avoir sa requête, ou reposez la question \
                 autrement."
            ),
            (Lang::En, Readings::PickHow { buttons: true, .. }) => {
                "Pick one with its button to get its query, or ask again in other words.".to_owned()
            }
            (Lang::Fr, Readings::PickHow { buttons: true, .. }) => {
                "Choisissez-en une avec son bouton pour avoir sa requête, ou reposez la question \
                 autrement."
                    .to_owned()
            }
            (Lang::En, Readings::PickHow { prefix, .. }) => format!(
                "Reply with its number (or `{prefix}pick N`) to get its query, or ask again in \
                 other words."
            ),
            (Lang::Fr, Readings::PickHow { prefix, .. }) => format!(
                "Répondez par son numéro (ou `{prefix}pick N`) pour avoir sa requête, ou reposez \
                 la question autrement."
            ),
            (Lang::En, Readings::Picked { number }) => {
                format!("✔ Reading {number}, as you picked.")
            }
            (Lang::Fr, Readings::Picked { number }) => {
                format!("✔ Lecture {number}, comme vous l'avez choisie.")
            }
            (Lang::En, Readings::NothingToPick { number }) => {
                format!("There is no reading {number} to pick here.")
            }
            (Lang::Fr, Readings::NothingToPick { number }) => {
                format!("Il n'y a pas de lecture {number} à choisir ici.")
            }
            (Lang::En, Readings::AlreadyPicked { number }) => {
                format!("Reading {number} was picked already: its query is above.")
            }
            (Lang::Fr, Readings::AlreadyPicked { number }) => {
                format!("La lecture {number} a déjà été choisie : sa requête est plus haut.")
            }
            (Lang::En, Readings::PickIsTheAskers) => {
                "Only who asked the question picks how it is read; ask it yourself to get its \
                 readings."
                    .to_owned()
            }
            (Lang::Fr, Readings::PickIsTheAskers) => {
                "Seule la personne qui a posé la question choisit comment la lire ; posez-la \
                 vous-même pour avoir ses lectures."
                    .to_owned()
            }
            (Lang::En, Readings::FollowsEarlier { earlier }) => {
                format!(
                    "↪ Read with the question before it: {}",
                    quoted_question(earlier)
                )
            }
            (Lang::Fr, Readings::FollowsEarlier { earlier }) => {
                format!(
                    "↪ Lue avec la question d'avant : {}",
                    quoted_question(earlier)
                )
            }
            (
                Lang::En,
                Readings::PlanAnswer {
                    reading,
                    confirmed: None,
                    sql,
                },
            ) => {
                format!("Read as: {reading}.\n```sql\n{sql}\n```")
            }
            (
                Lang::En,
                Readings::PlanAnswer {
                    reading,
                    confirmed: Some(id),
                    sql,
                },
            ) => format!(
                "Read as: {reading}, as this question was confirmed before (example #{id}).\n\
                 ```sql\n{sql}\n```"
            ),
            (
                Lang::Fr,
                Readings::PlanAnswer {
                    reading,
                    confirmed: None,
                    sql,
                },
            ) => {
                format!("Lu comme : {reading}.\n```sql\n{sql}\n```")
            }
            (
                Lang::Fr,
                Readings::PlanAnswer {
                    reading,
                    confirmed: Some(id),
                    sql,
                },
            ) => format!(
                "Lu comme : {reading}, comme cette question a été confirmée auparavant \
                 (exemple n° {id}).\n```sql\n{sql}\n```"
            ),
            (
                Lang::En,
                Readings::PlanValueUnknown {
                    dimension,
                    value,
                    near: "",
                },
            ) => {
                format!("No {dimension} is “{value}” in the data. Ask again with a value it holds.")
            }
            (
                Lang::En,
                Readings::PlanValueUnknown {
                    dimension,
                    value,
                    near,
                },
            ) => format!(
                "No {dimension} is “{value}” in the data; the nearest are {near}. Ask again \
                 with one of them if it is the one you mean."
            ),
            (
                Lang::Fr,
                Readings::PlanValueUnknown {
                    dimension,
                    value,
                    near: "",
                },
            ) => format!(
                "Aucun(e) {dimension} ne vaut « {value} » dans les données. Reposez la question \
                 avec une valeur qu'elles contiennent."
            ),
            (
                Lang::Fr,
                Readings::PlanValueUnknown {
                    dimension,
                    value,
                    near,
                },
            ) => format!(
                "Aucun(e) {dimension} ne vaut « {value} » dans les données ; les plus proches \
                 sont {near}. Reposez la question avec l'une d'elles si c'est celle que vous \
                 voulez dire."
            ),
        }
    }
}

/// A question quoted in the bot's words: cut to a line, between quotes.
fn quoted_question(question: &str) -> String {
    let line: String = question.chars().take(120).collect();
    format!("“{}”", line.replace(['\n', '\r'], " ").trim())
}
