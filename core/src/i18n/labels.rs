//! The words adapters show of their own ([`Label`]: buttons, notes,
//! command descriptions), in the bot's language, handed to them at start.

use pstral_chat::{Label, Labels};

use super::Lang;

/// The words adapters show of their own ([`Label`]), in the bot's language,
/// handed to them at start.
#[derive(Debug, Clone, Copy)]
pub struct Wording(pub Lang);

impl Labels for Wording {
    fn label(&self, label: Label<'_>) -> String {
        label_text(self.0, label)
    }

    fn label_in_all(&self, label: Label<'_>) -> Vec<(&'static str, String)> {
        let others = Lang::ALL.iter().filter(|l| **l != self.0);
        std::iter::once(self.0)
            .chain(others.copied())
            .map(|lang| (lang.code(), label_text(lang, label)))
            .collect()
    }
}

/// The commands and their arguments that a platform may list, as
/// (command, arguments): every one has a [`Label::CommandHelp`] and each
/// argument a [`Label::ArgumentHelp`] in both languages.
pub const COMMANDS: &[(&str, &[&str])] = &[
    ("ask", &["question"]),
    ("mode", &["mode"]),
    ("link", &["code"]),
    ("run", &["number", "show"]),
    ("pick", &["number"]),
    ("stop", &[]),
    ("export", &["format"]),
    ("help", &[]),
    ("audit", &[]),
    ("audit recent", &[]),
    ("audit user", &["name"]),
    ("audit kind", &["kind"]),
    ("audit search", &["text"]),
    ("audit verify", &[]),
    ("good", &[]),
    ("bad", &[]),
    ("examples", &[]),
    ("examples list", &["text"]),
    ("examples remove", &["number"]),
    ("requests", &[]),
    ("requests list", &[]),
    ("requests approve", &["account", "user"]),
    ("requests deny", &["account"]),
    ("suggestions", &[]),
];

fn label_text(lang: Lang, label: Label<'_>) -> String {
    let fr = lang == Lang::Fr;
    let pick = |en: &str, fr_text: &str| if fr { fr_text } else { en }.to_owned();
    match label {
        Label::Stop => pick("■ Stop", "■ Arrêter"),
        Label::Execute { statement } => {
            if fr {
                format!("▶ Exécuter #{statement}")
            } else {
                format!("▶ Execute #{statement}")
            }
        }
        Label::Pick { number } => {
            if fr {
                format!("Lecture {number}")
            } else {
                format!("Reading {number}")
            }
        }
        Label::Feedback { correct: true } => pick("✅ Correct", "✅ Correct"),
        Label::Feedback { correct: false } => pick("❌ Wrong", "❌ Faux"),
        Label::FeedbackHint => pick(
            "Is this the right result? /good keeps the query as an example, /bad says it is wrong.",
            "Est-ce le bon résultat ? /good enregistre la requête comme exemple, /bad signale que le résultat est faux.",
        ),
        Label::Unreadable => pick(
            "🔒 I could not read this message: its encryption keys did not reach me. \
             Please send it again (your client may need to verify my device).",
            "🔒 Je n'ai pas pu lire ce message : ses clés de chiffrement ne me sont pas \
             parvenues. Renvoyez-le (votre client doit peut-être vérifier mon appareil).",
        ),
        Label::CommandHelp { command } => match command {
            "ask" => pick("Ask Pstral a question", "Poser une question à Pstral"),
            "mode" => pick(
                "Answer with SQL or in plain words in this channel",
                "Répondre en SQL ou en langage courant dans ce salon",
            ),
            "link" => pick(
                "Link your chat account: an invite code, or your user name (in a DM)",
                "Lier votre compte : un code d'invitation, ou votre nom (en privé)",
            ),
            "run" => pick(
                "Run query N of the last answer here",
                "Exécuter la requête N de la dernière réponse ici",
            ),
            "pick" => pick(
                "Pick reading N when I ask how to read your question",
                "Choisir la lecture N quand je demande comment lire votre question",
            ),
            "stop" => pick(
                "Stop the answer being written for you here",
                "Arrêter ici la réponse en cours de rédaction pour vous",
            ),
            "export" => pick(
                "This conversation as a file",
                "Cette conversation dans un fichier",
            ),
            "help" => pick("What Pstral can do", "Ce que Pstral sait faire"),
            "audit" => pick(
                "Read the audit log (admins)",
                "Lire le journal d'audit (admins)",
            ),
            "audit recent" => pick("The newest events", "Les événements les plus récents"),
            "audit user" => pick(
                "A user's newest events",
                "Les derniers événements d'un utilisateur",
            ),
            "audit kind" => pick(
                "The newest events of a kind",
                "Les derniers événements d'un type",
            ),
            "audit search" => pick(
                "Events whose content holds a text",
                "Les événements dont le contenu contient un texte",
            ),
            "audit verify" => pick(
                "Check the audit's hash chain",
                "Vérifier la chaîne de hachage de l'audit",
            ),
            "good" => pick(
                "The last query result here is right: keep it as an example",
                "Le dernier résultat ici est juste : le garder comme exemple",
            ),
            "bad" => pick(
                "The last query result here is wrong",
                "Le dernier résultat ici est faux",
            ),
            "examples" => pick(
                "The confirmed question → SQL examples (admins)",
                "Les exemples question → SQL confirmés (admins)",
            ),
            "examples list" => pick(
                "The newest examples, or those holding a text",
                "Les derniers exemples, ou ceux qui contiennent un texte",
            ),
            "examples remove" => pick("Remove an example", "Retirer un exemple"),
            "requests" => pick(
                "Requests to link a chat account (admins)",
                "Demandes de liaison d'un compte (admins)",
            ),
            "requests list" => pick("The requests waiting", "Les demandes en attente"),
            "requests approve" => pick(
                "Link the account to the user it asked for",
                "Lier le compte à l'utilisateur demandé",
            ),
            "requests deny" => pick("Turn a request down", "Refuser une demande"),
            "suggestions" => pick(
                "Questions asked again that the definitions missed (admins)",
                "Questions reposées que les définitions n'ont pas su lire (admins)",
            ),
            other => other.to_owned(),
        },
        Label::ArgumentHelp { command, argument } => match (command, argument) {
            ("ask", "question") => pick("Your question", "Votre question"),
            ("mode", "mode") => pick("sql or chat", "sql ou chat"),
            ("link", "code") => pick(
                "The invite code an admin gave you, or your user name",
                "Le code d'invitation reçu d'un admin, ou votre nom d'utilisateur",
            ),
            ("requests approve" | "requests deny", "account") => pick(
                "The chat account, as the list shows it",
                "Le compte, tel que la liste l'affiche",
            ),
            ("requests approve", "user") => pick(
                "The user it asks to be, as the list shows it",
                "L'utilisateur demandé, tel que la liste l'affiche",
            ),
            ("run", "number") => pick("The query's number", "Le numéro de la requête"),
            ("pick", "number") => pick("The reading's number", "Le numéro de la lecture"),
            ("run", "show") => pick(
                "chart: with a chart; table: the table alone",
                "chart : avec un graphique ; table : le tableau seul",
            ),
            ("export", "format") => pick("markdown or json", "markdown ou json"),
            ("audit user", "name") => pick("The local user name", "Le nom d'utilisateur local"),
            ("audit kind", "kind") => {
                "question, answer, execute_result, access_refused…".to_owned()
            }
            ("audit search" | "examples list", "text") => pick("The text", "Le texte"),
            ("examples remove", "number") => pick("The example's number", "Le numéro de l'exemple"),
            (_, other) => other.to_owned(),
        },
        Label::UnknownCommand { given } => {
            if fr {
                format!(
                    "commande inconnue /{given} : les commandes sont /mode sql|chat, /run N, \
                     /good, /bad, /stop, /export [json], /help, /quit"
                )
            } else {
                format!(
                    "unknown command /{given}: the commands are /mode sql|chat, /run N, /good, \
                     /bad, /stop, /export [json], /help, /quit"
                )
            }
        }
        Label::RunNeedsNumber => pick(
            "/run takes the number of a query shown with its answer, such as /run 1",
            "/run prend le numéro d'une requête montrée avec sa réponse, par exemple /run 1",
        ),
        Label::RoomCapReached { rooms, per_inviter } => match (fr, per_inviter) {
            (false, true) => format!(
                "Declined: you have already invited me to {rooms} rooms, as many as one person \
                 may. Leave me in one you no longer use (or ask an admin), then invite me again."
            ),
            (true, true) => format!(
                "Refusé : vous m'avez déjà invité dans {rooms} salons, le maximum pour une \
                 personne. Retirez-moi d'un salon qui ne sert plus (ou demandez à un \
                 administrateur), puis invitez-moi de nouveau."
            ),
            (false, false) => format!(
                "Declined: I am in {rooms} rooms, as many as I may be. Ask an admin to make room."
            ),
            (true, false) => format!(
                "Refusé : je suis dans {rooms} salons, le maximum permis. Demandez à un \
                 administrateur de faire de la place."
            ),
        },
        Label::FileSaved { path } => {
            if fr {
                format!("📎 enregistré : {path}")
            } else {
                format!("📎 saved {path}")
            }
        }
    }
}
