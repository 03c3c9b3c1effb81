//! The commands a person types, read one way on every platform: a typed
//! line (`!run 2` in Matrix, `/run 2` in a terminal) and a Discord slash
//! command's options (`/audit user name:ana`, put back into words) go
//! through [`parse`], so a command added here is a command everywhere, with
//! the same names (English and French), arguments and defaults.

use crate::{AuditQuery, ChartWish, Command, ExamplesQuery, RequestsQuery};

/// Every command by its name, with the other names it answers to, in the
/// order the help lists them.
pub const COMMANDS: &[(&str, &[&str])] = &[
    ("help", &["aide"]),
    ("mode", &[]),
    ("link", &["lier"]),
    ("run", &["exec"]),
    ("pick", &["choisir"]),
    ("stop", &[]),
    ("export", &[]),
    ("good", &["bon", "correct"]),
    ("bad", &["faux", "wrong"]),
    ("examples", &["exemples"]),
    ("requests", &["demandes"]),
    ("suggestions", &[]),
    ("audit", &[]),
];

/// The format `export` gives without one.
pub const DEFAULT_EXPORT: &str = "markdown";

/// Why typed words are not a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misread {
    /// No command has this name (another bot's, perhaps).
    NotACommand(String),
    /// The command (by its name) was not given an argument it needs, or
    /// not in a form it reads: `run` without a number, `mode` alone.
    Incomplete(&'static str),
}

/// The name of the command `word` names, in any case, by any of its names.
pub fn name_of(word: &str) -> Option<&'static str> {
    let word = word.to_lowercase();
    COMMANDS
        .iter()
        .find(|(name, others)| *name == word || others.contains(&word.as_str()))
        .map(|(name, _)| *name)
}

/// Reads a typed line that starts with `prefix` (`!`, `/`); `None` when it
/// does not (a question, a remark).
pub fn parse_line(line: &str, prefix: char) -> Option<Result<Command, Misread>> {
    let rest = line.trim().strip_prefix(prefix)?;
    let (word, argument) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some(parse(word, argument))
}

/// Reads command `word` given `argument`, the rest of the line.
pub fn parse(word: &str, argument: &str) -> Result<Command, Misread> {
    let name = name_of(word).ok_or_else(|| Misread::NotACommand(word.to_owned()))?;
    let argument = argument.trim();
    let incomplete = Misread::Incomplete(name);
    let (sub, value) = argument
        .split_once(char::is_whitespace)
        .map_or((argument, ""), |(s, v)| (s, v.trim()));
    Ok(match name {
        "help" => Command::Help,
        "mode" if !argument.is_empty() => Command::Mode(argument.to_owned()),
        "link" if !argument.is_empty() => Command::Link(argument.to_owned()),
        "run" => Command::Run {
            index: sub
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(Misread::Incomplete(name))?,
            chart: match value.to_lowercase().as_str() {
                "" => ChartWish::AsConfigured,
                "chart" | "graphique" => ChartWish::Wanted,
                "table" | "tableau" => ChartWish::Unwanted,
                _ => return Err(incomplete),
            },
        },
        "pick" => Command::Pick {
            number: sub
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(Misread::Incomplete(name))?,
        },
        "stop" => Command::Stop,
        "export" if argument.is_empty() => Command::Export(DEFAULT_EXPORT.to_owned()),
        "export" => Command::Export(argument.to_owned()),
        "suggestions" if argument.is_empty() => Command::Suggestions,
        "good" => Command::Feedback { correct: true },
        "bad" => Command::Feedback { correct: false },
        "examples" => Command::Examples(match sub {
            "" => ExamplesQuery::List(None),
            "list" => ExamplesQuery::List((!value.is_empty()).then(|| value.to_owned())),
            "remove" => match value.parse() {
                Ok(n) if n > 0 => ExamplesQuery::Remove(n),
                _ => return Err(incomplete),
            },
            // A text to look for, as `examples list TEXT` takes it.
            _ => ExamplesQuery::List(Some(argument.to_owned())),
        }),
        "requests" => Command::Requests(match (sub, value) {
            ("" | "list", _) => RequestsQuery::List,
            ("approve" | "approuver", v) => match v.split_whitespace().collect::<Vec<_>>()[..] {
                [account, user] => RequestsQuery::Approve {
                    account: account.to_owned(),
                    user: user.to_owned(),
                },
                _ => return Err(incomplete),
            },
            ("deny" | "refuser", v) if !v.is_empty() => RequestsQuery::Deny(v.to_owned()),
            _ => return Err(incomplete),
        }),
        "audit" => Command::Audit(match (sub, value) {
            ("" | "recent", _) => AuditQuery::Recent,
            ("verify", _) => AuditQuery::Verify,
            ("user", v) if !v.is_empty() => AuditQuery::User(v.to_owned()),
            ("kind", v) if !v.is_empty() => AuditQuery::Kind(v.to_owned()),
            ("search", v) if !v.is_empty() => AuditQuery::Search(v.to_owned()),
            _ => return Err(incomplete),
        }),
        _ => return Err(incomplete),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(index: u32) -> Command {
        Command::Run {
            index,
            chart: ChartWish::AsConfigured,
        }
    }

    /// Every command, by every name, with and without its arguments: what
    /// each platform's typed line or options read to.
    #[test]
    fn every_command_reads_the_same_by_every_name() {
        let table: &[(&str, &str, Result<Command, Misread>)] = &[
            ("help", "", Ok(Command::Help)),
            ("help", "anything", Ok(Command::Help)),
            ("mode", "sql", Ok(Command::Mode("sql".into()))),
            ("mode", "", Err(Misread::Incomplete("mode"))),
            ("link", "ABCDEFGHJK", Ok(Command::Link("ABCDEFGHJK".into()))),
            ("link", "", Err(Misread::Incomplete("link"))),
            ("run", "2", Ok(run(2))),
            (
                "run",
                "2 chart",
                Ok(Command::Run {
                    index: 2,
                    chart: ChartWish::Wanted,
                }),
            ),
            (
                "exec",
                "2 Tableau",
                Ok(Command::Run {
                    index: 2,
                    chart: ChartWish::Unwanted,
                }),
            ),
            ("run", "2 pie", Err(Misread::Incomplete("run"))),
            ("run", "", Err(Misread::Incomplete("run"))),
            ("run", "0", Err(Misread::Incomplete("run"))),
            ("run", "zero", Err(Misread::Incomplete("run"))),
            ("stop", "", Ok(Command::Stop)),
            ("export", "", Ok(Command::Export("markdown".into()))),
            ("export", "json", Ok(Command::Export("json".into()))),
            ("good", "", Ok(Command::Feedback { correct: true })),
            ("bad", "", Ok(Command::Feedback { correct: false })),
            (
                "examples",
                "",
                Ok(Command::Examples(ExamplesQuery::List(None))),
            ),
            (
                "examples",
                "list",
                Ok(Command::Examples(ExamplesQuery::List(None))),
            ),
            (
                "examples",
                "list retard",
                Ok(Command::Examples(ExamplesQuery::List(Some(
                    "retard".into(),
                )))),
            ),
            (
                "examples",
                "retard de paiement",
                Ok(Command::Examples(ExamplesQuery::List(Some(
                    "retard de paiement".into(),
                )))),
            ),
            (
                "examples",
                "remove 12",
                Ok(Command::Examples(ExamplesQuery::Remove(12))),
            ),
            ("examples", "remove x", Err(Misread::Incomplete("examples"))),
            ("requests", "", Ok(Command::Requests(RequestsQuery::List))),
            (
                "requests",
                "list",
                Ok(Command::Requests(RequestsQuery::List)),
            ),
            (
                "requests",
                "approve matrix:@ana:example.org ana",
                Ok(Command::Requests(RequestsQuery::Approve {
                    account: "matrix:@ana:example.org".into(),
                    user: "ana".into(),
                })),
            ),
            (
                "requests",
                "refuser discord:42",
                Ok(Command::Requests(RequestsQuery::Deny("discord:42".into()))),
            ),
            ("requests", "approve", Err(Misread::Incomplete("requests"))),
            ("suggestions", "", Ok(Command::Suggestions)),
            (
                "suggestions",
                "take 2",
                Err(Misread::Incomplete("suggestions")),
            ),
            (
                "requests",
                "approve matrix:@ana:example.org",
                Err(Misread::Incomplete("requests")),
            ),
            ("pick", "2", Ok(Command::Pick { number: 2 })),
            ("pick", "", Err(Misread::Incomplete("pick"))),
            ("pick", "0", Err(Misread::Incomplete("pick"))),
            ("audit", "", Ok(Command::Audit(AuditQuery::Recent))),
            ("audit", "recent", Ok(Command::Audit(AuditQuery::Recent))),
            ("audit", "verify", Ok(Command::Audit(AuditQuery::Verify))),
            (
                "audit",
                "user ana",
                Ok(Command::Audit(AuditQuery::User("ana".into()))),
            ),
            (
                "audit",
                "kind question",
                Ok(Command::Audit(AuditQuery::Kind("question".into()))),
            ),
            (
                "audit",
                "search Lyon sud",
                Ok(Command::Audit(AuditQuery::Search("Lyon sud".into()))),
            ),
            ("audit", "user", Err(Misread::Incomplete("audit"))),
            ("audit", "everything", Err(Misread::Incomplete("audit"))),
            ("giphy", "cat", Err(Misread::NotACommand("giphy".into()))),
        ];
        for (name, argument, expected) in table {
            let (_, others) = COMMANDS
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or(&("", &[]));
            for word in std::iter::once(*name).chain(others.iter().copied()) {
                let expected = match expected {
                    Err(Misread::NotACommand(_)) => Err(Misread::NotACommand(word.to_owned())),
                    other => other.clone(),
                };
                assert_eq!(&parse(word, argument), &expected, "{word} {argument}");
                assert_eq!(
                    &parse(&word.to_uppercase(), argument),
                    &expected.clone().map_err(|e| match e {
                        Misread::NotACommand(w) => Misread::NotACommand(w.to_uppercase()),
                        other => other,
                    }),
                    "{word} {argument}, in capitals"
                );
            }
        }
        // Every command is in the table.
        for (name, _) in COMMANDS {
            assert!(table.iter().any(|(n, _, _)| n == name), "{name}");
        }
    }

    #[test]
    fn a_typed_line_is_a_command_only_after_its_prefix() {
        assert_eq!(parse_line("  !run 2 ", '!'), Some(Ok(run(2))));
        assert_eq!(parse_line("/exec\t3", '/'), Some(Ok(run(3))));
        assert_eq!(parse_line("run 2", '!'), None);
        assert_eq!(parse_line("hello !help", '!'), None);
        assert_eq!(parse_line("!run 2", '/'), None);
    }
}
