//! `!commands` typed in a Matrix room or DM.

use pstral_chat::{AuditQuery, Command, ExamplesQuery};

/// The command a message gives, if it is one: `!help`, `!mode sql|chat`,
/// `!link CODE`, `!run N`, `!stop`, `!export [json]`, `!good`, `!bad`,
/// `!examples [TEXT]|remove N`, `!audit recent|user NAME|kind KIND|search
/// TEXT|verify`. Anything else starting with `!` is not
/// a command of this bot (other bots use `!` too) and is left alone.
pub fn parse(body: &str) -> Option<Command> {
    let line = body.trim();
    let rest = line.strip_prefix('!')?;
    let (word, argument) = match rest.split_once(char::is_whitespace) {
        Some((w, a)) => (w, a.trim()),
        None => (rest, ""),
    };
    let command = match word.to_lowercase().as_str() {
        "help" | "aide" => Command::Help,
        "mode" if !argument.is_empty() => Command::Mode(argument.to_owned()),
        "link" | "lier" if !argument.is_empty() => Command::Link(argument.to_owned()),
        "run" | "exec" => Command::Run(argument.parse().ok().filter(|&n| n > 0)?),
        "stop" => Command::Stop,
        "export" => Command::Export(if argument.is_empty() {
            "markdown".to_owned()
        } else {
            argument.to_owned()
        }),
        "good" | "bon" | "correct" => Command::Feedback { correct: true },
        "bad" | "faux" | "wrong" => Command::Feedback { correct: false },
        "examples" | "exemples" => {
            let (sub, value) = match argument.split_once(char::is_whitespace) {
                Some((s, v)) => (s, v.trim()),
                None => (argument, ""),
            };
            Command::Examples(match sub {
                "" => ExamplesQuery::List(None),
                "list" => ExamplesQuery::List((!value.is_empty()).then(|| value.to_owned())),
                "remove" => match value.parse() {
                    Ok(n) if n > 0 => ExamplesQuery::Remove(n),
                    _ => return Some(Command::Help),
                },
                _ => ExamplesQuery::List(Some(argument.to_owned())),
            })
        }
        "audit" => {
            let (sub, value) = match argument.split_once(char::is_whitespace) {
                Some((s, v)) => (s, v.trim()),
                None => (argument, ""),
            };
            Command::Audit(match (sub, value) {
                ("" | "recent", _) => AuditQuery::Recent,
                ("verify", _) => AuditQuery::Verify,
                ("user", v) if !v.is_empty() => AuditQuery::User(v.to_owned()),
                ("kind", v) if !v.is_empty() => AuditQuery::Kind(v.to_owned()),
                ("search", v) if !v.is_empty() => AuditQuery::Search(v.to_owned()),
                _ => return Some(Command::Help),
            })
        }
        _ => return None,
    };
    Some(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_as_typed() {
        let cases = [
            ("!help", Command::Help),
            ("  !mode sql ", Command::Mode("sql".into())),
            ("!link ABCDEFGHJK", Command::Link("ABCDEFGHJK".into())),
            ("!run 2", Command::Run(2)),
            ("!stop", Command::Stop),
            ("!export json", Command::Export("json".into())),
            ("!export", Command::Export("markdown".into())),
            ("!audit", Command::Audit(AuditQuery::Recent)),
            (
                "!audit user ana",
                Command::Audit(AuditQuery::User("ana".into())),
            ),
            (
                "!audit search Lyon sud",
                Command::Audit(AuditQuery::Search("Lyon sud".into())),
            ),
            ("!audit verify", Command::Audit(AuditQuery::Verify)),
            ("!good", Command::Feedback { correct: true }),
            ("!bad", Command::Feedback { correct: false }),
            ("!examples", Command::Examples(ExamplesQuery::List(None))),
            (
                "!examples remove 12",
                Command::Examples(ExamplesQuery::Remove(12)),
            ),
            (
                "!examples retard",
                Command::Examples(ExamplesQuery::List(Some("retard".into()))),
            ),
        ];
        for (typed, expected) in cases {
            assert_eq!(parse(typed), Some(expected), "{typed}");
        }
    }

    #[test]
    fn other_text_is_not_a_command() {
        for typed in [
            "help",
            "!run",
            "!run zero",
            "!run 0",
            "!giphy cat",
            "hello !help",
        ] {
            assert_eq!(parse(typed), None, "{typed}");
        }
    }
}
