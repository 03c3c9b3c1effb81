//! `pstral semantic`: the target's semantic model held against its live
//! catalogue, and shown as the model reads it.

use std::process::ExitCode;

use pstral_core::config::Settings;

use super::check::{counts, semantic_source};
use super::for_target;
use crate::args::SemanticCommand;

pub(crate) async fn semantic_command(
    settings: &Settings,
    command: SemanticCommand,
) -> anyhow::Result<ExitCode> {
    let (target, schema) = match &command {
        SemanticCommand::Check { target } => (target, false),
        SemanticCommand::Show { target, schema } => (target, *schema),
    };
    let settings = for_target(settings, target.as_deref())?;
    if let Some(demo) = settings.sql.target.demo_file()
        && !demo.exists()
    {
        pstral_core::sql::demo::create(demo, false).await?;
    }
    let bound = match pstral_core::app::check_semantic(&settings)
        .await
        .map_err(|e| anyhow::anyhow!("sql.targets.{}: {e}", settings.sql.target.name))?
    {
        None => {
            println!(
                "sql.targets.{} has no semantic model (semantic_file): every question goes to \
                 the model's own SQL",
                settings.sql.target.name
            );
            return Ok(ExitCode::SUCCESS);
        }
        Some(Err(problems)) => {
            eprintln!(
                "{} does not hold against the target {}:",
                semantic_source(&settings),
                settings.sql.target.name
            );
            for p in problems {
                eprintln!("  - {}", pstral_chat::printable(&p));
            }
            return Ok(ExitCode::FAILURE);
        }
        Some(Ok(bound)) => bound,
    };
    match command {
        SemanticCommand::Check { .. } => println!(
            "{} holds against the target {}: {}",
            semantic_source(&settings),
            settings.sql.target.name,
            counts(&bound)
        ),
        SemanticCommand::Show { .. } => {
            let today = pstral_core::app::today_of(&settings.sql.target)
                .unwrap_or_else(|| chrono::Local::now().date_naive())
                .format("%Y-%m-%d")
                .to_string();
            // Descriptions come from a file people write: escapes shown,
            // never obeyed.
            println!("{}", pstral_chat::printable(&bound.prompt(&today, false)));
            if schema {
                println!("\n{}", bound.schema());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
