//! The audit trail as a chat user meets it: the answers to `audit` queries,
//! and that an action could not be recorded, each sentence in English beside
//! its French.

use super::super::Lang;

/// What the bot says of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audit<'a> {
    /// The own database could not record an action, so it was not carried out.
    Unavailable,
    /// An audit query found nothing.
    NothingFound,
    /// The head of an audit answer: how many events are listed.
    Listed { shown: usize },
    /// `audit verify`: the chain holds.
    Intact { checked: u64 },
    /// `audit verify`: the chain is broken; what the check found.
    Broken { checked: u64, detail: &'a str },
    /// `audit user NAME` names no local user.
    NoSuchUser { name: &'a str },
    /// `audit kind KIND` names no kind of event.
    NoSuchKind { given: &'a str, kinds: &'a str },
}

impl Audit<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Audit::Unavailable) => {
                "I can't record this action right now (the audit database is unavailable), so I \
                 did not do it. Please try again later."
                    .to_owned()
            }
            (Lang::Fr, Audit::Unavailable) => {
                "Je ne peux pas enregistrer cette action pour l'instant (la base d'audit est \
                 indisponible), je ne l'ai donc pas effectuée. Réessayez plus tard."
                    .to_owned()
            }
            (Lang::En, Audit::NothingFound) => "No audit event matches.".to_owned(),
            (Lang::Fr, Audit::NothingFound) => "Aucun événement d'audit ne correspond.".to_owned(),
            (Lang::En, Audit::Listed { shown }) => {
                format!("The {shown} newest matching audit events:")
            }
            (Lang::Fr, Audit::Listed { shown }) => {
                format!("Les {shown} événements d'audit les plus récents qui correspondent :")
            }
            (Lang::En, Audit::Intact { checked }) => {
                format!("✅ The audit chain holds: {checked} events checked.")
            }
            (Lang::Fr, Audit::Intact { checked }) => {
                format!("✅ La chaîne d'audit est intacte : {checked} événements vérifiés.")
            }
            (Lang::En, Audit::Broken { checked, detail }) => {
                format!("❌ The audit chain is broken after {checked} events: {detail}")
            }
            (Lang::Fr, Audit::Broken { checked, detail }) => {
                format!("❌ La chaîne d'audit est rompue après {checked} événements : {detail}")
            }
            (Lang::En, Audit::NoSuchUser { name }) => {
                format!("There is no local user named {name:?}.")
            }
            (Lang::Fr, Audit::NoSuchUser { name }) => {
                format!("Aucun utilisateur local ne s'appelle {name:?}.")
            }
            (Lang::En, Audit::NoSuchKind { given, kinds }) => {
                format!("{given:?} is not a kind of audit event; the kinds are: {kinds}.")
            }
            (Lang::Fr, Audit::NoSuchKind { given, kinds }) => {
                format!(
                    "{given:?} n'est pas un type d'événement d'audit ; les types sont : {kinds}."
                )
            }
        }
    }
}
