//! The bot's buttons: how a control becomes a Discord button and how a
//! click's `custom_id` becomes a control again.
//!
//! A custom_id is written by the bot but comes back from the outside: it is
//! parsed strictly, and what it claims (which stored statement) is checked by
//! the core against its store. Anything else is reported as
//! [`ControlKind::Unrecognised`], so that the core refuses and records it.

use pstral_chat::{ControlKind, ReadingRef, StatementRef};
use serenity::all::ButtonStyle;
use serenity::builder::{CreateActionRow, CreateButton};

use pstral_chat::{Label, Labels};

const EXECUTE: &str = "px";
const STOP: &str = "ps";
const CORRECT: &str = "pg";
const WRONG: &str = "pb";
const PICK: &str = "pp";

/// The custom_id of a control's button.
pub fn custom_id(control: &ControlKind) -> Option<String> {
    match control {
        ControlKind::Execute {
            statement,
            reference: Some(r),
        } => Some(format!(
            "{EXECUTE}:{statement}:{}:{}",
            r.conversation, r.statement
        )),
        ControlKind::Stop => Some(STOP.to_owned()),
        ControlKind::Pick {
            number,
            reference: Some(r),
        } => Some(format!("{PICK}:{number}:{}:{}", r.conversation, r.reading)),
        ControlKind::Feedback {
            correct,
            result: Some(result),
        } => Some(format!(
            "{}:{result}",
            if *correct { CORRECT } else { WRONG }
        )),
        // Without the stored ids a click could not be checked: no button.
        ControlKind::Execute {
            reference: None, ..
        }
        | ControlKind::Feedback { result: None, .. }
        | ControlKind::Pick {
            reference: None, ..
        }
        | ControlKind::Unrecognised(_) => None,
    }
}

/// The control a click stands for, as it claims.
pub fn parse(custom_id: &str) -> ControlKind {
    let unrecognised = || ControlKind::Unrecognised(custom_id.chars().take(100).collect());
    if custom_id == STOP {
        return ControlKind::Stop;
    }
    // Digits only: `+1` or ` 1` would parse but was never written by us.
    let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = custom_id.split(':');
    let kind = parts.next();
    if let Some(correct) = match kind {
        Some(CORRECT) => Some(true),
        Some(WRONG) => Some(false),
        _ => None,
    } {
        let numbers: Vec<&str> = parts.collect();
        return match numbers[..] {
            [result] if digits(result) => match result.parse() {
                Ok(result) => ControlKind::Feedback {
                    correct,
                    result: Some(result),
                },
                Err(_) => unrecognised(),
            },
            _ => unrecognised(),
        };
    }
    if kind != Some(EXECUTE) && kind != Some(PICK) {
        return unrecognised();
    }
    let numbers: Vec<&str> = parts.collect();
    let [index, conversation, stored] = numbers[..] else {
        return unrecognised();
    };
    if !(digits(index) && digits(conversation) && digits(stored)) {
        return unrecognised();
    }
    match (index.parse(), conversation.parse(), stored.parse()) {
        (Ok(number), Ok(conversation), Ok(reading)) if kind == Some(PICK) => ControlKind::Pick {
            number,
            reference: Some(ReadingRef {
                conversation,
                reading,
            }),
        },
        (Ok(statement_index), Ok(conversation), Ok(statement)) => ControlKind::Execute {
            statement: statement_index,
            reference: Some(StatementRef {
                conversation,
                statement,
            }),
        },
        _ => unrecognised(),
    }
}

/// The action rows for a message's controls, in the order they were shown.
/// Discord allows 5 buttons a row and 5 rows; more controls are dropped.
pub fn rows(controls: &[ControlKind], labels: &dyn Labels) -> Vec<CreateActionRow> {
    let buttons: Vec<CreateButton> = controls
        .iter()
        .filter_map(|c| {
            let id = custom_id(c)?;
            let (label, style) = match c {
                ControlKind::Stop => (labels.label(Label::Stop), ButtonStyle::Danger),
                ControlKind::Execute { statement, .. } => (
                    labels.label(Label::Execute {
                        statement: *statement,
                    }),
                    ButtonStyle::Primary,
                ),
                ControlKind::Pick { number, .. } => (
                    labels.label(Label::Pick { number: *number }),
                    ButtonStyle::Secondary,
                ),
                ControlKind::Feedback { correct, .. } => (
                    labels.label(Label::Feedback { correct: *correct }),
                    if *correct {
                        ButtonStyle::Success
                    } else {
                        ButtonStyle::Secondary
                    },
                ),
                ControlKind::Unrecognised(_) => return None,
            };
            Some(CreateButton::new(id).label(label).style(style))
        })
        .take(25)
        .collect();
    buttons
        .chunks(5)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_survives_the_round_trip_through_its_custom_id() {
        let execute = ControlKind::Execute {
            statement: 2,
            reference: Some(StatementRef {
                conversation: 41,
                statement: 977,
            }),
        };
        let correct = ControlKind::Feedback {
            correct: true,
            result: Some(42),
        };
        let wrong = ControlKind::Feedback {
            correct: false,
            result: Some(7),
        };
        let pick = ControlKind::Pick {
            number: 2,
            reference: Some(ReadingRef {
                conversation: 7,
                reading: 41,
            }),
        };
        for control in [execute, ControlKind::Stop, correct, wrong, pick] {
            let id = custom_id(&control).unwrap();
            assert!(id.len() <= 100, "Discord's limit");
            assert_eq!(parse(&id), control);
        }
    }

    #[test]
    fn anything_the_bot_did_not_write_is_unrecognised() {
        for forged in [
            "",
            "px",
            "px:1:2",
            "px:1:2:3:4",
            "px:+1:2:3",
            "px:1: 2:3",
            "px:a:2:3",
            "px:1:2:99999999999999999999",
            "stop",
            "ack",
            "pg",
            "pg:",
            "pg:1:2",
            "pb:-1",
            "pg:+3",
        ] {
            assert!(
                matches!(parse(forged), ControlKind::Unrecognised(_)),
                "{forged:?}"
            );
        }
    }

    #[test]
    fn an_execute_control_without_stored_ids_gets_no_button() {
        let bare = ControlKind::Execute {
            statement: 1,
            reference: None,
        };
        assert_eq!(custom_id(&bare), None);
        assert!(rows(&[bare], &crate::commands::tests::Named).is_empty());
    }
}
