//! User-facing text, in English and French.
//!
//! Every sentence a chat user can read is built here, from a [`Text`] value
//! and a [`Lang`], so that a translation is never missing: adding a variant to
//! [`Text`] does not compile until both languages have it. Operator-facing
//! output (logs, CLI) stays in English.

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
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
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
    },
    /// An invite code was accepted and the account is now linked.
    Linked {
        user: &'a str,
    },
    /// An invite code that does not exist (or was mistyped).
    InviteUnknown,
    InviteExpired,
    InviteUsed,
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
}

impl Text<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Text::UnknownIdentity { contact }) => format!(
                "Hello! I don't know your account yet, so I can't answer. Ask {contact} for an \
                 invite code, then send it to me in a direct message with `link CODE`."
            ),
            (Lang::Fr, Text::UnknownIdentity { contact }) => format!(
                "Bonjour ! Je ne connais pas encore votre compte, je ne peux donc pas répondre. \
                 Demandez un code d'invitation à {contact}, puis envoyez-le-moi en message \
                 privé avec `link CODE`."
            ),
            (Lang::En, Text::Linked { user }) => {
                format!("Done: this account is now linked to {user}.")
            }
            (Lang::Fr, Text::Linked { user }) => {
                format!("C'est fait : ce compte est maintenant lié à {user}.")
            }
            (Lang::En, Text::InviteUnknown) => {
                "This invite code is not valid. Check it, or ask for a new one.".to_owned()
            }
            (Lang::Fr, Text::InviteUnknown) => {
                "Ce code d'invitation n'est pas valide. Vérifiez-le ou demandez-en un nouveau."
                    .to_owned()
            }
            (Lang::En, Text::InviteExpired) => {
                "This invite code has expired. Ask for a new one.".to_owned()
            }
            (Lang::Fr, Text::InviteExpired) => {
                "Ce code d'invitation a expiré. Demandez-en un nouveau.".to_owned()
            }
            (Lang::En, Text::InviteUsed) => {
                "This invite code has already been used. Ask for a new one.".to_owned()
            }
            (Lang::Fr, Text::InviteUsed) => {
                "Ce code d'invitation a déjà été utilisé. Demandez-en un nouveau.".to_owned()
            }
            (Lang::En, Text::AlreadyLinked { user }) => {
                format!("This account is already linked to {user}.")
            }
            (Lang::Fr, Text::AlreadyLinked { user }) => {
                format!("Ce compte est déjà lié à {user}.")
            }
            (Lang::En, Text::NotAllowed { needed }) => {
                format!("Sorry, this needs the {needed} role, which you don't have.")
            }
            (Lang::Fr, Text::NotAllowed { needed }) => {
                format!("Désolé, il faut pour cela le rôle {needed}, que vous n'avez pas.")
            }
            (Lang::En, Text::AuditUnavailable) => {
                "I can't record this action right now (the audit database is unavailable), so I \
                 did not do it. Please try again later."
                    .to_owned()
            }
            (Lang::Fr, Text::AuditUnavailable) => {
                "Je ne peux pas enregistrer cette action pour l'instant (la base d'audit est \
                 indisponible), je ne l'ai donc pas effectuée. Réessayez plus tard."
                    .to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_differs_between_languages_and_keeps_its_parameters() {
        let texts = [
            Text::UnknownIdentity {
                contact: "IT (x42)",
            },
            Text::Linked { user: "ana" },
            Text::InviteUnknown,
            Text::InviteExpired,
            Text::InviteUsed,
            Text::AlreadyLinked { user: "ana" },
            Text::NotAllowed { needed: "executor" },
            Text::AuditUnavailable,
        ];
        for t in texts {
            let (en, fr) = (t.render(Lang::En), t.render(Lang::Fr));
            assert_ne!(en, fr, "{t:?} is not translated");
            for param in ["IT (x42)", "ana", "executor"] {
                assert_eq!(en.contains(param), fr.contains(param), "{t:?}: {param}");
            }
        }
    }
}
