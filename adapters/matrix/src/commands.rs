//! `!commands` typed in a Matrix room or DM.

use pstral_chat::Command;
use pstral_chat::grammar::{self, Misread};

/// The command a message gives, if it is one: `!help`, `!mode sql|chat`,
/// `!link CODE`, `!run N`, `!stop`, `!export [json]`, `!good`, `!bad`,
/// `!examples [TEXT]|remove N`, `!audit recent|user NAME|kind KIND|search
/// TEXT|verify` (the grammar of every platform, `pstral_chat::grammar`). A
/// command of this bot without the argument it needs shows the help;
/// anything else starting with `!` is not a command of this bot (other
/// bots use `!` too) and is left alone.
pub fn parse(body: &str) -> Option<Command> {
    match grammar::parse_line(body, '!')? {
        Ok(command) => Some(command),
        Err(Misread::Incomplete(_)) => Some(Command::Help),
        Err(Misread::NotACommand(_)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pstral_chat::{AuditQuery, ExamplesQuery};

    #[test]
    fn commands_are_read_as_typed() {
        let cases = [
            ("!help", Command::Help),
            ("  !mode sql ", Command::Mode("sql".into())),
            ("!link ABCDEFGHJK", Command::Link("ABCDEFGHJK".into())),
            (
                "!run 2",
                Command::Run {
                    index: 2,
                    chart: pstral_chat::ChartWish::AsConfigured,
                },
            ),
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
        for typed in ["help", "!giphy cat", "hello !help"] {
            assert_eq!(parse(typed), None, "{typed}");
        }
    }

    #[test]
    fn a_command_of_this_bot_without_its_argument_shows_the_help() {
        for typed in ["!run", "!run zero", "!run 0", "!mode", "!audit user"] {
            assert_eq!(parse(typed), Some(Command::Help), "{typed}");
        }
    }
}
