//! The slash commands the bot registers, and how an invocation becomes a
//! [`Command`] (or a question, for `/ask`).

use pstral_chat::{Command, Label, Labels};
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

/// Discord's locales for a language the core speaks; Discord refuses the
/// whole registration (50035) for a key it does not list, such as "en".
fn discord_locales(language: &str) -> &'static [&'static str] {
    match language {
        "en" => &["en-US", "en-GB"],
        "fr" => &["fr"],
        _ => &[],
    }
}

/// A description in every language the core speaks: English is the default
/// (what a person whose locale has no text of its own sees), and each
/// language is a localization under Discord's locale names; Discord shows
/// each person theirs.
fn localized<T>(
    labels: &dyn Labels,
    label: Label<'_>,
    target: T,
    default: impl Fn(T, String) -> T,
    localize: impl Fn(T, &str, String) -> T,
) -> T {
    let all = labels.label_in_all(label);
    let english = all.iter().find(|(code, _)| *code == "en").or(all.first());
    let mut target = match english {
        Some((_, text)) => default(target, text.clone()),
        None => target,
    };
    for (code, text) in &all {
        for locale in discord_locales(code) {
            target = localize(target, locale, text.clone());
        }
    }
    target
}

fn described(labels: &dyn Labels, name: &str) -> CreateCommand {
    localized(
        labels,
        Label::CommandHelp { command: name },
        CreateCommand::new(name),
        CreateCommand::description,
        |c, code, text| c.description_localized(code, text),
    )
}

fn option(
    labels: &dyn Labels,
    kind: CommandOptionType,
    command: &str,
    name: &str,
) -> CreateCommandOption {
    localized(
        labels,
        Label::ArgumentHelp {
            command,
            argument: name,
        },
        CreateCommandOption::new(kind, name, ""),
        CreateCommandOption::description,
        |o, code, text| o.description_localized(code, text),
    )
    .required(true)
}

fn subcommand(labels: &dyn Labels, command: &str, name: &str) -> CreateCommandOption {
    localized(
        labels,
        Label::CommandHelp {
            command: &format!("{command} {name}"),
        },
        CreateCommandOption::new(CommandOptionType::SubCommand, name, ""),
        CreateCommandOption::description,
        |o, code, text| o.description_localized(code, text),
    )
}

/// Every command, as registered with Discord, described in the core's words.
pub fn definitions(labels: &dyn Labels) -> Vec<CreateCommand> {
    let text = CommandOptionType::String;
    let audit = |sub: &str| subcommand(labels, "audit", sub);
    vec![
        described(labels, "ask").add_option(option(labels, text, "ask", "question")),
        described(labels, "mode").add_option(
            option(labels, text, "mode", "mode")
                .add_string_choice("sql", "sql")
                .add_string_choice("chat", "chat"),
        ),
        described(labels, "link").add_option(option(labels, text, "link", "code")),
        described(labels, "run")
            .add_option(
                option(labels, CommandOptionType::Integer, "run", "number").min_int_value(1),
            )
            .add_option(
                option(labels, text, "run", "show")
                    .required(false)
                    .add_string_choice("chart", "chart")
                    .add_string_choice("table", "table"),
            ),
        described(labels, "pick").add_option(
            option(labels, CommandOptionType::Integer, "pick", "number").min_int_value(1),
        ),
        described(labels, "stop"),
        described(labels, "export").add_option(
            option(labels, text, "export", "format")
                .required(false)
                .add_string_choice("markdown", "markdown")
                .add_string_choice("json", "json"),
        ),
        described(labels, "help"),
        described(labels, "good"),
        described(labels, "bad"),
        described(labels, "examples")
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .add_option(
                subcommand(labels, "examples", "list")
                    .add_sub_option(option(labels, text, "examples list", "text").required(false)),
            )
            .add_option(
                subcommand(labels, "examples", "remove").add_sub_option(
                    option(
                        labels,
                        CommandOptionType::Integer,
                        "examples remove",
                        "number",
                    )
                    .min_int_value(1),
                ),
            ),
        described(labels, "requests")
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .add_option(subcommand(labels, "requests", "list"))
            .add_option(
                subcommand(labels, "requests", "approve")
                    .add_sub_option(option(labels, text, "requests approve", "account"))
                    .add_sub_option(option(labels, text, "requests approve", "user")),
            )
            .add_option(
                subcommand(labels, "requests", "deny").add_sub_option(option(
                    labels,
                    text,
                    "requests deny",
                    "account",
                )),
            ),
        described(labels, "suggestions").default_member_permissions(Permissions::MANAGE_GUILD),
        // Hidden from members who cannot manage the server; the bot checks
        // the local admin role again when it is used.
        described(labels, "audit")
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .add_option(audit("recent"))
            .add_option(audit("user").add_sub_option(option(labels, text, "audit user", "name")))
            .add_option(audit("kind").add_sub_option(option(labels, text, "audit kind", "kind")))
            .add_option(audit("search").add_sub_option(option(
                labels,
                text,
                "audit search",
                "text",
            )))
            .add_option(audit("verify")),
    ]
}

/// The string option `name`, if given.
fn string<'a>(options: &'a [ResolvedOption<'a>], name: &str) -> Option<&'a str> {
    options.iter().find_map(|o| match o.value {
        ResolvedValue::String(s) if o.name == name => Some(s),
        _ => None,
    })
}

/// The integer option `name`, if given.
fn integer(options: &[ResolvedOption<'_>], name: &str) -> Option<i64> {
    options.iter().find_map(|o| match o.value {
        ResolvedValue::Integer(n) if o.name == name => Some(n),
        _ => None,
    })
}

/// The invocation of command `name` with its options; `None` for a command
/// this bot does not know (registered by an older version, say), or
/// without an option it needs. The options are put back into the words a
/// person would type after the command's name, and read by the grammar of
/// every platform (`pstral_chat::grammar`).
pub fn parse(name: &str, options: &[ResolvedOption<'_>]) -> Option<Invocation> {
    let sub = || {
        options.iter().find_map(|o| match &o.value {
            ResolvedValue::SubCommand(inner) => Some((o.name, inner.as_slice())),
            _ => None,
        })
    };
    let argument = match name {
        "ask" => return string(options, "question").map(|q| Invocation::Ask(q.to_owned())),
        "mode" => string(options, "mode")?.to_owned(),
        "link" => string(options, "code")?.to_owned(),
        // A number past any query is still a run, which the core answers
        // with "there is no query N".
        "run" => format!(
            "{} {}",
            u32::try_from(integer(options, "number")?).unwrap_or(u32::MAX),
            string(options, "show").unwrap_or_default()
        ),
        "pick" => u32::try_from(integer(options, "number")?)
            .unwrap_or(u32::MAX)
            .to_string(),
        "export" => string(options, "format").unwrap_or_default().to_owned(),
        "examples" => match sub()? {
            ("list", inner) => format!("list {}", string(inner, "text").unwrap_or_default()),
            ("remove", inner) => format!("remove {}", integer(inner, "number")?),
            _ => return None,
        },
        "requests" => match sub()? {
            ("list", _) => "list".to_owned(),
            ("approve", inner) => format!(
                "approve {} {}",
                string(inner, "account")?,
                string(inner, "user")?
            ),
            ("deny", inner) => format!("deny {}", string(inner, "account")?),
            _ => return None,
        },
        "audit" => match sub()? {
            (kind @ ("recent" | "verify"), _) => kind.to_owned(),
            (kind @ "user", inner) => format!("{kind} {}", string(inner, "name")?),
            (kind @ "kind", inner) => format!("{kind} {}", string(inner, "kind")?),
            (kind @ "search", inner) => format!("{kind} {}", string(inner, "text")?),
            _ => return None,
        },
        _ => String::new(),
    };
    pstral_chat::grammar::parse(name, &argument)
        .ok()
        .map(Invocation::Command)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Labels that say which label they are, in two languages.
    pub(crate) struct Named;

    impl Labels for Named {
        fn label(&self, label: Label<'_>) -> String {
            format!("{label:?}")
        }
        fn label_in_all(&self, label: Label<'_>) -> Vec<(&'static str, String)> {
            vec![
                ("en", format!("{label:?}")),
                ("fr", format!("fr {label:?}")),
            ]
        }
    }

    #[test]
    fn every_command_has_a_valid_name_and_a_description_in_both_languages() {
        for command in definitions(&Named) {
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
            // English is the default; every localization is under a
            // locale Discord lists (an unknown one fails the registration).
            assert!(!description.starts_with("fr "), "{name}: {description}");
            assert_eq!(
                json["description_localizations"]["fr"].as_str(),
                Some(format!("fr {description}").as_str()),
                "{name}"
            );
            let locales = json["description_localizations"].as_object().unwrap();
            assert!(
                locales
                    .keys()
                    .all(|k| ["en-US", "en-GB", "fr"].contains(&k.as_str())),
                "{name}: {locales:?}"
            );
        }
    }

    /// The invocation Discord would send for `name` with `options` (its
    /// interaction's `data`, as JSON).
    fn invoked(name: &str, options: serde_json::Value) -> Option<Invocation> {
        let data: serenity::all::CommandData = serde_json::from_value(serde_json::json!({
            "id": "1", "name": name, "type": 1, "options": options
        }))
        .unwrap();
        parse(name, &data.options())
    }

    #[test]
    fn each_slash_command_reads_as_the_same_words_typed_on_any_platform() {
        use serde_json::json;
        let string = |name: &str, value: &str| json!({"name": name, "type": 3, "value": value});
        let integer = |name: &str, value: i64| json!({"name": name, "type": 4, "value": value});
        let sub = |name: &str, options: serde_json::Value| json!([{"name": name, "type": 1, "options": options}]);
        // Each command with its options, and the words a person would type
        // after its name elsewhere.
        let table = [
            ("help", json!([]), ""),
            ("mode", json!([string("mode", "sql")]), "sql"),
            ("link", json!([string("code", "K7P-2QX")]), "K7P-2QX"),
            ("run", json!([integer("number", 2)]), "2"),
            ("pick", json!([integer("number", 3)]), "3"),
            ("stop", json!([]), ""),
            ("export", json!([]), ""),
            ("export", json!([string("format", "json")]), "json"),
            ("good", json!([]), ""),
            ("bad", json!([]), ""),
            ("examples", sub("list", json!([])), "list"),
            (
                "examples",
                sub("list", json!([string("text", "mrr")])),
                "list mrr",
            ),
            (
                "examples",
                sub("remove", json!([integer("number", 3)])),
                "remove 3",
            ),
            ("requests", sub("list", json!([])), "list"),
            (
                "requests",
                sub(
                    "approve",
                    json!([string("account", "discord:42"), string("user", "ana")]),
                ),
                "approve discord:42 ana",
            ),
            (
                "requests",
                sub("deny", json!([string("account", "discord:42")])),
                "deny discord:42",
            ),
            ("suggestions", json!([]), ""),
            ("audit", sub("recent", json!([])), "recent"),
            (
                "audit",
                sub("user", json!([string("name", "ana")])),
                "user ana",
            ),
            (
                "audit",
                sub("kind", json!([string("kind", "sql_executed")])),
                "kind sql_executed",
            ),
            (
                "audit",
                sub("search", json!([string("text", "crm")])),
                "search crm",
            ),
            ("audit", sub("verify", json!([])), "verify"),
        ];
        for (name, options, words) in &table {
            let typed = pstral_chat::grammar::parse(name, words).unwrap();
            assert_eq!(
                invoked(name, options.clone()),
                Some(Invocation::Command(typed)),
                "/{name} {options}"
            );
        }
        assert_eq!(
            invoked("ask", json!([string("question", "quel est le MRR ?")])),
            Some(Invocation::Ask("quel est le MRR ?".to_owned()))
        );
        // Every command of the grammar is registered and read, and the
        // slash commands are those and /ask.
        let registered: std::collections::BTreeSet<String> = definitions(&Named)
            .iter()
            .map(|c| {
                serde_json::to_value(c).unwrap()["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let grammar: std::collections::BTreeSet<String> = pstral_chat::grammar::COMMANDS
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .chain(["ask".to_owned()])
            .collect();
        assert_eq!(registered, grammar);
        for (name, _) in pstral_chat::grammar::COMMANDS {
            assert!(
                table.iter().any(|(n, ..)| n == name),
                "/{name} is not in the table"
            );
        }
    }

    #[test]
    fn only_the_admin_commands_are_hidden_from_members_who_cannot_manage_the_server() {
        for command in definitions(&Named) {
            let json = serde_json::to_value(&command).unwrap();
            let hidden = !json["default_member_permissions"].is_null();
            let admin = json["name"] == "audit"
                || json["name"] == "examples"
                || json["name"] == "requests"
                || json["name"] == "suggestions";
            assert_eq!(hidden, admin, "{}", json["name"]);
        }
    }
}
