//! `pstral semantic suggest`: the questions the semantic model missed, read
//! off the audit, and with `--take N --sql` one of them stored as an
//! example (judged and audited as `pstral examples add` does).

use std::process::ExitCode;

use anyhow::Context as _;
use pstral_core::audit::{Actor, Audit};
use pstral_core::config::Settings;
use pstral_core::semantic::suggest::{Suggestion, missed_since, suggestions};
use serde_json::json;

use crate::args::ExamplesCommand;
use crate::commands::{for_target, open};

pub(crate) async fn suggest_command(
    settings: &Settings,
    target: Option<&str>,
    since: Option<std::time::Duration>,
    least: usize,
    take: Option<(usize, String)>,
) -> anyhow::Result<ExitCode> {
    // The audit does not say which target a question was asked of: the
    // bot asks its sql.target's.
    if let Some(other) = target.filter(|t| *t != settings.sql.target.name) {
        anyhow::bail!(
            "the bot asks its questions of sql.target ({}), and the audit does not say which \
             target a question was asked of: suggestions are of that target, not of {other}",
            settings.sql.target.name
        );
    }
    let settings = for_target(settings, target)?;
    let definitions = pstral_core::app::semantic_of(&settings.sql.target)
        .map_err(|e| anyhow::anyhow!("sql.targets.{}: {e}", settings.sql.target.name))?;
    let window = since;
    // A window longer than the calendar holds is no window.
    let from = window.and_then(|d| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| chrono::Utc::now().checked_sub_signed(d))
    });
    let store = open(&settings).await?;
    let audit = Audit::new(store.clone());
    // Reading the questions asked is a read of the audit: recorded first.
    audit
        .record_read(
            Actor::cli(),
            None,
            "cli",
            json!({"action": "suggestions", "since": from.map(|t| t.to_rfc3339())}),
        )
        .await
        .context("cannot record the read of the audit, so it was not done")?;
    let missed = missed_since(&audit, from).await?;
    let found = suggestions(&missed, least, &definitions.clone().unwrap_or_default());
    let result = match take {
        None => {
            print!("{}", listing(&found, least, window));
            if definitions.is_none() {
                println!(
                    "(sql.targets.{} has no semantic model: every question went to the model's \
                     own SQL)",
                    settings.sql.target.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some((number, sql)) => match number.checked_sub(1).and_then(|i| found.get(i)) {
            None => Err(anyhow::anyhow!(
                "there is no suggestion {number}: `pstral semantic suggest` lists {}",
                found.len()
            )),
            Some(s) => {
                println!(
                    "suggestion {number}: {}",
                    pstral_chat::printable(&s.question)
                );
                let add = ExamplesCommand::Add {
                    target: Some(settings.sql.target.name.clone()),
                    question: s.question.clone(),
                    sql,
                    language: None,
                };
                crate::commands::examples::run(&settings, &store, add).await
            }
        },
    };
    store.close().await;
    result
}

/// The suggestions, numbered, as an operator reads them.
fn listing(found: &[Suggestion], least: usize, window: Option<std::time::Duration>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let window = window.map_or_else(
        || "in what the audit keeps".to_owned(),
        |d| format!("in the last {}", humantime::format_duration(d)),
    );
    if found.is_empty() {
        let _ = writeln!(
            out,
            "No question the definitions missed was asked {least} times or more {window}."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Questions the definitions missed, asked {least} times or more {window}:"
    );
    for (i, s) in found.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. {} — asked {} times ({} left to the model's own SQL, {} marked wrong), last {}",
            i + 1,
            pstral_chat::printable(&s.question),
            s.asked,
            s.left_to_the_model,
            s.marked_wrong,
            s.last_asked.format("%Y-%m-%d %H:%M")
        );
        for w in &s.wordings {
            let _ = writeln!(out, "   also: {}", pstral_chat::printable(w));
        }
        let near = if s.near.is_empty() {
            "none".to_owned()
        } else {
            s.near.join(", ")
        };
        let _ = writeln!(out, "   near: {near}");
    }
    let _ = writeln!(
        out,
        "\nTurn one into an example: pstral semantic suggest --take N --sql \"SELECT …\"; \
         into a definition: add it, or a synonym, to the semantic file and `pstral semantic check`."
    );
    out
}
