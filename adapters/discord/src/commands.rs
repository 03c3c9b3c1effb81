//! The slash commands the bot registers, and how an invocation becomes a
//! [`Command`] (or a question, for `/ask`).

use pstral_chat::{AuditQuery, Command};
use serenity::all::{CommandOptionType, Permissions, ResolvedOption, ResolvedValue};
use serenity::builder::{CreateCommand, CreateCommandOption};

/// What a slash command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `/ask question`: a question, like a mention.
    Ask(String),
    /// Everything else.
    Command(Command),
}

/// English and French descriptions; Discord shows the user's own.
fn described(command: CreateCommand, en: &str, fr: &str) -> CreateCommand {
    command.description(en).description_localized("fr", fr)
}

fn option(kind: CommandOptionType, name: &str, en: &str, fr: &str) -> CreateCommandOption {
    CreateCommandOption::new(kind, name, en)
        .description_localized("fr", fr)
        .required(true)
}

/// Every command, as registered with Discord.
pub fn definitions() -> Vec<CreateCommand> {
    let text = CommandOptionType::String;
    let audit_sub = |name: &str, en: &str, fr: &str| {
        CreateCommandOption::new(CommandOptionType::SubCommand, name, en)
            .description_localized("fr", fr)
    };
    vec![
        described(
            CreateCommand::new("ask"),
            "Ask Pstral a question",
            "Poser une question à Pstral",
        )
        .add_option(option(text, "question", "Your question", "Votre question")),
        described(
            CreateCommand::new("mode"),
            "Answer with SQL or in plain words in this channel",
            "Répondre en SQL ou en clair dans ce salon",
        )
        .add_option(
            option(text, "mode", "sql or chat", "sql ou chat")
                .add_string_choice("sql", "sql")
                .add_string_choice("chat", "chat"),
        ),
        described(
            CreateCommand::new("link"),
            "Link your Discord account with an invite code (in a DM with the bot)",
            "Lier votre compte Discord avec un code d'invitation (en message privé)",
        )
        .add_option(option(
            text,
            "code",
            "The invite code an admin gave you",
            "Le code d'invitation reçu d'un admin",
        )),
        described(
            CreateCommand::new("run"),
            "Run query N of the last answer here",
            "Exécuter la requête N de la dernière réponse ici",
        )
        .add_option(
            option(
                CommandOptionType::Integer,
                "number",
                "The query's number",
                "Le numéro de la requête",
            )
            .min_int_value(1),
        ),
        described(
            CreateCommand::new("stop"),
            "Stop the answer being written for you here",
            "Arrêter la réponse en cours pour vous ici",
        ),
        described(
            CreateCommand::new("export"),
            "This conversation as a file",
            "Cette conversation dans un fichier",
        )
        .add_option(
            option(text, "format", "markdown or json", "markdown ou json")
                .required(false)
                .add_string_choice("markdown", "markdown")
                .add_string_choice("json", "json"),
        ),
        described(
            CreateCommand::new("help"),
            "What Pstral can do",
            "Ce que Pstral sait faire",
        ),
        // Hidden from members who cannot manage the server; the bot checks
        // the local admin role again when it is used.
        described(
            CreateCommand::new("audit"),
            "Read the audit log (admins)",
            "Lire le journal d'audit (admins)",
        )
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .add_option(audit_sub(
            "recent",
            "The newest events",
            "Les événements les plus récents",
        ))
        .add_option(
            audit_sub(
                "user",
                "A user's newest events",
                "Les derniers événements d'un utilisateur",
            )
            .add_sub_option(option(
                text,
                "name",
                "The local user name",
                "Le nom local",
            )),
        )
        .add_option(
            audit_sub(
                "kind",
                "The newest events of a kind",
                "Les derniers événements d'un type",
            )
            .add_sub_option(option(
                text,
                "kind",
                "question, answer, execute_result, access_refused…",
                "question, answer, execute_result, access_refused…",
            )),
        )
        .add_option(
            audit_sub(
                "search",
                "Events whose content holds a text",
                "Les événements dont le contenu contient un texte",
            )
            .add_sub_option(option(text, "text", "The text", "Le texte")),
        )
        .add_option(audit_sub(
            "verify",
            "Check the audit's hash chain",
            "Vérifier la chaîne de hachage de l'audit",
        )),
    ]
}

/// The string option `name`, if given.
fn string<'a>(options: &'a [ResolvedOption<'a>], name: &str) -> Option<&'a str> {
    options.iter().find_map(|o| match o.value {
        ResolvedValue::String(s) if o.name == name => Some(s),
        _ => None,
    })
}

/// The invocation of command `name` with its options; `None` for a command
/// this bot does not know (registered by an older version, say).
pub fn parse(name: &str, options: &[ResolvedOption<'_>]) -> Option<Invocation> {
    let command = match name {
        "ask" => return string(options, "question").map(|q| Invocation::Ask(q.to_owned())),
        "mode" => Command::Mode(string(options, "mode")?.to_owned()),
        "link" => Command::Link(string(options, "code")?.trim().to_owned()),
        "run" => {
            let n = options.iter().find_map(|o| match o.value {
                ResolvedValue::Integer(n) if o.name == "number" => Some(n),
                _ => None,
            })?;
            // A number past any query is still a run, which the core
            // answers with "there is no query N".
            Command::Run(u32::try_from(n).unwrap_or(u32::MAX))
        }
        "stop" => Command::Stop,
        "export" => Command::Export(string(options, "format").unwrap_or("markdown").to_owned()),
        "help" => Command::Help,
        "audit" => {
            let (sub, sub_options) = options.iter().find_map(|o| match &o.value {
                ResolvedValue::SubCommand(inner) => Some((o.name, inner.as_slice())),
                _ => None,
            })?;
            let query = match sub {
                "recent" => AuditQuery::Recent,
                "verify" => AuditQuery::Verify,
                "user" => AuditQuery::User(string(sub_options, "name")?.to_owned()),
                "kind" => AuditQuery::Kind(string(sub_options, "kind")?.to_owned()),
                "search" => AuditQuery::Search(string(sub_options, "text")?.to_owned()),
                _ => return None,
            };
            Command::Audit(query)
        }
        _ => return None,
    };
    Some(Invocation::Command(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_valid_name_and_a_description_in_both_languages() {
        for command in definitions() {
            let json = serde_json::to_value(&command).unwrap();
            let name = json["name"].as_str().unwrap();
            assert!(
                !name.is_empty()
                    && name.len() <= 32
                    && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            let description = json["description"].as_str().unwrap();
            assert!((1..=100).contains(&description.chars().count()), "{name}");
            assert!(
                json["description_localizations"]["fr"].is_string(),
                "{name}"
            );
        }
    }

    #[test]
    fn only_audit_is_hidden_from_members_who_cannot_manage_the_server() {
        for command in definitions() {
            let json = serde_json::to_value(&command).unwrap();
            let hidden = !json["default_member_permissions"].is_null();
            assert_eq!(hidden, json["name"] == "audit", "{}", json["name"]);
        }
    }
}
