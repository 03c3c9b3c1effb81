//! Feedback on a result ("Correct" or "Wrong", `good` or `bad`) and the
//! examples it stores (`examples`), each sentence in English beside its
//! French.

use super::super::Lang;

/// What the bot says of feedback on a result, and of the examples it
/// stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback<'a> {
    /// "Correct" stored the query as an example of the target (`new`: it
    /// was not one already).
    ExampleStored {
        id: i64,
        new: bool,
        target: &'a str,
    },
    /// "Wrong" was recorded; nothing was stored.
    Noted,
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
    Typed {
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
    /// `suggestions`: the head of the list of questions the semantic model
    /// missed, asked `least` times or more.
    SuggestionsListed {
        shown: usize,
        total: usize,
        least: usize,
    },
    /// `suggestions`: one of them.
    Suggestion {
        number: usize,
        question: &'a str,
        asked: usize,
        left_to_the_model: usize,
        marked_wrong: usize,
        near: &'a str,
    },
    /// `suggestions`: how an operator acts on one.
    SuggestionsHow,
    /// `suggestions`: none.
    NoSuggestions {
        least: usize,
    },
}

impl Feedback<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Feedback::ExampleStored { id, new, target }) => {
                if *new {
                    format!(
                        "✅ Thank you: this query is now example #{id} of {target}. Similar \
                         questions will be shown it."
                    )
                } else {
                    format!("✅ Thank you: this query was already example #{id} of {target}.")
                }
            }
            (Lang::Fr, Feedback::ExampleStored { id, new, target }) => {
                if *new {
                    format!(
                        "✅ Merci : cette requête est désormais l'exemple n° {id} de {target}. Elle \
                         sera proposée en exemple pour les questions semblables."
                    )
                } else {
                    format!("✅ Merci : cette requête était déjà l'exemple n° {id} de {target}.")
                }
            }
            (Lang::En, Feedback::Noted) => {
                "❌ Noted: this result was wrong. Nothing was kept as an example; asking again \
                 in other words often helps."
                    .to_owned()
            }
            (Lang::Fr, Feedback::Noted) => {
                "❌ C'est noté : ce résultat était faux. Rien n'a été enregistré comme exemple ; \
                 reformuler la question aide souvent."
                    .to_owned()
            }
            (Lang::En, Feedback::ConfirmNotAllowed { role }) => format!(
                "Examples are shown to everyone's questions: only someone with the role {role} \
                 may confirm a query as one. Nothing was stored."
            ),
            (Lang::Fr, Feedback::ConfirmNotAllowed { role }) => format!(
                "Les exemples servent à toutes les questions : seule une personne ayant le rôle \
                 {role} peut valider une requête comme exemple. Rien n'a été enregistré."
            ),
            (Lang::En, Feedback::ExampleStaysRemoved) => "An admin removed this question and query \
                 from the examples: it stays removed (an admin can add it again). Nothing was \
                 stored."
                .to_owned(),
            (Lang::Fr, Feedback::ExampleStaysRemoved) => "Un administrateur a retiré cette question \
                 et cette requête des exemples : elles restent retirées (un administrateur peut les \
                 rajouter). Rien n'a été enregistré."
                .to_owned(),
            (Lang::En, Feedback::ConfirmPrivateNeedsRole { role }) => format!(
                "Examples are shown to everyone's questions: a query asked or shown in private \
                 becomes one only when someone with the role {role} confirms it. Nothing was stored."
            ),
            (Lang::Fr, Feedback::ConfirmPrivateNeedsRole { role }) => format!(
                "Les exemples servent à toutes les questions : une requête demandée ou affichée en \
                 privé ne devient un exemple que si une personne ayant le rôle {role} la valide. \
                 Rien n'a été enregistré."
            ),
            (Lang::En, Feedback::ResultWithoutQuestion) => {
                "This query was offered before questions were kept with their queries: it cannot \
                 become an example. Ask again to confirm the new answer."
                    .to_owned()
            }
            (Lang::Fr, Feedback::ResultWithoutQuestion) => {
                "Cette requête a été proposée avant que les questions soient gardées avec leurs \
                 requêtes : elle ne peut pas devenir un exemple. Reposez la question pour confirmer \
                 la nouvelle réponse."
                    .to_owned()
            }
            (Lang::En, Feedback::ExampleSetAside { reason }) => format!("set aside: {reason}"),
            (Lang::Fr, Feedback::ExampleSetAside { reason }) => format!("mis de côté : {reason}"),
            (Lang::En, Feedback::NoResultToJudge) => {
                "There is no result of a query of yours here to judge: run one first.".to_owned()
            }
            (Lang::Fr, Feedback::NoResultToJudge) => {
                "Il n'y a ici aucun résultat de vos requêtes à juger : exécutez-en d'abord une."
                    .to_owned()
            }
            (Lang::En, Feedback::Typed { prefix }) => format!(
                "Is this the right result? {prefix}good keeps the query as an example, \
                 {prefix}bad says it is wrong."
            ),
            (Lang::Fr, Feedback::Typed { prefix }) => format!(
                "Est-ce le bon résultat ? {prefix}good enregistre la requête comme exemple, \
                 {prefix}bad signale que le résultat est faux."
            ),
            (
                Lang::En,
                Feedback::ExamplesListed {
                    shown,
                    total,
                    target,
                },
            ) => {
                format!("{shown} of the {total} examples of {target}:")
            }
            (
                Lang::Fr,
                Feedback::ExamplesListed {
                    shown,
                    total,
                    target,
                },
            ) => {
                format!("{shown} des {total} exemples de {target} :")
            }
            (Lang::En, Feedback::NoExamples { target }) => format!("No example of {target} matches."),
            (Lang::Fr, Feedback::NoExamples { target }) => {
                format!("Aucun exemple de {target} ne correspond.")
            }
            (Lang::En, Feedback::ExampleRemoved { id }) => format!("Example #{id} was removed."),
            (Lang::Fr, Feedback::ExampleRemoved { id }) => format!("L'exemple n° {id} a été retiré."),
            (Lang::En, Feedback::NoSuchExample { id }) => format!("There is no example #{id}."),
            (Lang::Fr, Feedback::NoSuchExample { id }) => format!("Il n'y a pas d'exemple n° {id}."),
            (
                Lang::En,
                Feedback::SuggestionsListed {
                    shown,
                    total,
                    least,
                },
            ) => format!(
                "{shown} of the {total} questions the definitions missed, asked {least} times or \
                 more:"
            ),
            (
                Lang::Fr,
                Feedback::SuggestionsListed {
                    shown,
                    total,
                    least,
                },
            ) => format!(
                "{shown} des {total} questions que les définitions n'ont pas su lire, posées \
                 {least} fois ou plus :"
            ),
            (
                Lang::En,
                Feedback::Suggestion {
                    number,
                    question,
                    asked,
                    left_to_the_model,
                    marked_wrong,
                    near,
                },
            ) => format!(
                "{number}. “{question}”: asked {asked} times ({left_to_the_model} left to the \
                 model's own SQL, {marked_wrong} marked wrong); near: {near}"
            ),
            (
                Lang::Fr,
                Feedback::Suggestion {
                    number,
                    question,
                    asked,
                    left_to_the_model,
                    marked_wrong,
                    near,
                },
            ) => format!(
                "{number}. « {question} » : posée {asked} fois ({left_to_the_model} laissées au \
                 SQL du modèle, {marked_wrong} signalées fausses) ; proches : {near}"
            ),
            (Lang::En, Feedback::SuggestionsHow) => "An operator turns one into an example with \
                 `pstral semantic suggest --take N --sql \"SELECT …\"`, or into a definition in \
                 the semantic file."
                .to_owned(),
            (Lang::Fr, Feedback::SuggestionsHow) => "Un opérateur en fait un exemple avec \
                 `pstral semantic suggest --take N --sql \"SELECT …\"`, ou une définition dans le \
                 fichier sémantique."
                .to_owned(),
            (Lang::En, Feedback::NoSuggestions { least }) => format!(
                "No question the definitions missed was asked {least} times or more."
            ),
            (Lang::Fr, Feedback::NoSuggestions { least }) => format!(
                "Aucune question que les définitions n'ont pas su lire n'a été posée {least} fois \
                 ou plus."
            ),
        }
    }
}
