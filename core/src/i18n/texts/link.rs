//! Linking a chat account to a local user (invite codes, requests, and an
//! admin's answer to them), and what a linked user's role allows: what the
//! bot says of them, each sentence in English beside its French.

use super::super::Lang;

/// What the bot says of linking a chat account to a local user, and of what
/// the user's role allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link<'a> {
    /// To someone whose chat account is linked to no local user, when the
    /// policy is to refuse.
    UnknownIdentity {
        contact: &'a str,
        /// How commands are typed on the platform (`!`, `/`).
        prefix: &'a str,
    },
    /// An invite code was accepted and the account is now linked.
    Linked { user: &'a str },
    /// An invite code that does not work: unknown, expired, used, or tried
    /// too often. One text for all, so that trying codes teaches nothing.
    InviteNotValid,
    /// The link command said where others read: it is taken in a DM only.
    OnlyInDm { prefix: &'a str },
    /// A request to be linked to `user` is recorded for the admins.
    Requested {
        user: &'a str,
        /// The account as the admins will see it in the list.
        account: &'a str,
        prefix: &'a str,
    },
    /// What follows `link` is neither an invite code nor a user's name.
    Unreadable,
    /// Too many link requests or invite attempts lately.
    TooManyAttempts,
    /// The link requests waiting, to an admin: (account, user asked for,
    /// that user's role when it exists), and how many more are not shown.
    Requests {
        requests: &'a [(&'a str, &'a str, Option<&'a str>)],
        more: usize,
        prefix: &'a str,
    },
    /// An admin approved a request: the account is linked.
    Approved { account: &'a str, user: &'a str },
    /// An admin turned a request down.
    Denied { account: &'a str, user: &'a str },
    /// No live request from this account.
    NoRequest { account: &'a str },
    /// The chat account is already linked to a local user.
    AlreadyLinked { user: &'a str },
    /// The user's role does not allow what they asked for.
    NotAllowed { needed: &'a str },
}

impl Link<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Link::UnknownIdentity { contact, prefix }) => format!(
                "Hello! I don't know your account yet, so I can't answer. In a direct message, \
                 send me `{prefix}link NAME` with your user name and ask {contact} to approve \
                 it, or `{prefix}link CODE` with an invite code made for your account."
            ),
            (Lang::Fr, Link::UnknownIdentity { contact, prefix }) => format!(
                "Bonjour ! Je ne connais pas encore votre compte, je ne peux donc pas répondre. \
                 En message privé, envoyez-moi `{prefix}link NOM` avec votre nom d'utilisateur \
                 et demandez à {} de l'approuver, ou `{prefix}link CODE` avec un code \
                 d'invitation créé pour votre compte.",
                // The embedded default (config/default.toml) is English.
                match *contact {
                    "an administrator" => "un administrateur",
                    contact => contact,
                }
            ),
            (Lang::En, Link::Linked { user }) => {
                format!("Done: this account is now linked to {user}.")
            }
            (Lang::Fr, Link::Linked { user }) => {
                format!("C'est fait : ce compte est maintenant lié à {user}.")
            }
            (Lang::En, Link::InviteNotValid) => "This invite code does not work (it may be \
                 mistyped, expired or already used). Ask an admin for a new one."
                .to_owned(),
            (Lang::Fr, Link::InviteNotValid) => "Ce code d'invitation ne fonctionne pas (il est \
                 peut-être mal saisi, expiré ou déjà utilisé). Demandez-en un nouveau à un \
                 administrateur."
                .to_owned(),
            (Lang::En, Link::OnlyInDm { prefix }) => format!(
                "Linking an account is done in a direct message with me: write me there \
                 `{prefix}link CODE` with the invite code an admin made for your account, or \
                 `{prefix}link NAME` with your user name to ask an admin to link you."
            ),
            (Lang::Fr, Link::OnlyInDm { prefix }) => format!(
                "La liaison d'un compte se fait en message privé avec moi : écrivez-y \
                 `{prefix}link CODE` avec le code d'invitation qu'un administrateur a créé pour \
                 votre compte, ou `{prefix}link NOM` avec votre nom d'utilisateur pour demander \
                 à un administrateur de vous lier."
            ),
            (
                Lang::En,
                Link::Requested {
                    user,
                    account,
                    prefix,
                },
            ) => format!(
                "Your request is recorded: an admin must now link this account ({account}) to \
                 {user}, with `{prefix}requests approve {account} {user}` or `pstral user \
                 approve {account} {user}`. Let them know; I will answer your questions once it is done."
            ),
            (
                Lang::Fr,
                Link::Requested {
                    user,
                    account,
                    prefix,
                },
            ) => format!(
                "Votre demande est enregistrée : un administrateur doit maintenant lier ce compte \
                 ({account}) à {user}, avec `{prefix}requests approve {account} {user}` ou \
                 `pstral user approve {account} {user}`. Prévenez-le ; je répondrai à vos questions une fois que ce \
                 sera fait."
            ),
            (Lang::En, Link::Unreadable) => "That is neither an invite code nor a user name \
                 (a name is letters, digits, '.', '_' or '-')."
                .to_owned(),
            (Lang::Fr, Link::Unreadable) => "Ce n'est ni un code d'invitation ni un nom \
                 d'utilisateur (un nom est fait de lettres, chiffres, « . », « _ » ou « - »)."
                .to_owned(),
            (Lang::En, Link::TooManyAttempts) => {
                "Too many attempts lately; please try again in a quarter of an hour.".to_owned()
            }
            (Lang::Fr, Link::TooManyAttempts) => {
                "Trop de tentatives récentes ; réessayez dans un quart d'heure.".to_owned()
            }
            (Lang::En, Link::Requests { requests: [], .. }) => {
                "No link request is waiting.".to_owned()
            }
            (Lang::Fr, Link::Requests { requests: [], .. }) => {
                "Aucune demande de liaison en attente.".to_owned()
            }
            (
                lang,
                Link::Requests {
                    requests,
                    more,
                    prefix,
                },
            ) => {
                let mut text = match lang {
                    Lang::En => format!(
                        "Link requests waiting, newest first (approve with `{prefix}requests \
                         approve ACCOUNT USER`, naming the user shown; turn down with \
                         `{prefix}requests deny ACCOUNT`):"
                    ),
                    Lang::Fr => format!(
                        "Demandes de liaison en attente, les plus récentes d'abord (accepter avec \
                         `{prefix}requests approve COMPTE UTILISATEUR`, en nommant l'utilisateur \
                         affiché ; refuser avec `{prefix}requests deny COMPTE`) :"
                    ),
                };
                for (account, user, role) in *requests {
                    let role = match (lang, role) {
                        (_, Some("admin")) => " ⚠️ admin".to_owned(),
                        (_, Some(role)) => format!(" ({role})"),
                        (Lang::En, None) => " (no such user yet)".to_owned(),
                        (Lang::Fr, None) => " (utilisateur inexistant)".to_owned(),
                    };
                    text.push_str(&format!("\n- `{account}` → {user}{role}"));
                }
                if *more > 0 {
                    text.push_str(&match lang {
                        Lang::En => format!("\n… and {more} older (`pstral user requests`)."),
                        Lang::Fr => {
                            format!("\n… et {more} plus anciennes (`pstral user requests`).")
                        }
                    });
                }
                text
            }
            (Lang::En, Link::Approved { account, user }) => {
                format!("Done: {account} is now linked to {user}.")
            }
            (Lang::Fr, Link::Approved { account, user }) => {
                format!("C'est fait : {account} est maintenant lié à {user}.")
            }
            (Lang::En, Link::Denied { account, user }) => {
                format!("The request of {account} to be linked to {user} is turned down.")
            }
            (Lang::Fr, Link::Denied { account, user }) => {
                format!("La demande de {account} d'être lié à {user} est refusée.")
            }
            (Lang::En, Link::NoRequest { account }) => {
                format!("{account} has no link request waiting.")
            }
            (Lang::Fr, Link::NoRequest { account }) => {
                format!("{account} n'a aucune demande de liaison en attente.")
            }
            (Lang::En, Link::AlreadyLinked { user }) => {
                format!("This account is already linked to {user}.")
            }
            (Lang::Fr, Link::AlreadyLinked { user }) => {
                format!("Ce compte est déjà lié à {user}.")
            }
            (Lang::En, Link::NotAllowed { needed }) => {
                format!("Sorry, this needs the {needed} role, which you don't have.")
            }
            (Lang::Fr, Link::NotAllowed { needed }) => {
                format!("Désolé, il faut pour cela le rôle {needed}, que vous n'avez pas.")
            }
        }
    }
}

impl<'a> Link<'a> {
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
            | E::TooManyAttempts => Some(Link::InviteNotValid),
            E::AlreadyLinked { user, .. } => Some(Link::AlreadyLinked { user }),
            E::BadName(_) => Some(Link::Unreadable),
            _ => None,
        }
    }
}
