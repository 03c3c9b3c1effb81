//! `pstral demo init`: the demo CRM, as a SQLite file, in a PostgreSQL
//! database (with a SELECT-only role for the Execute target), or as an
//! Oracle script.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pstral_core::config::Settings;
use pstral_core::sql::demo::{self, DemoSummary};

use crate::args::DemoCommand;

pub(crate) async fn demo_command(
    settings: &Settings,
    cmd: DemoCommand,
) -> anyhow::Result<ExitCode> {
    let DemoCommand::Init {
        path,
        force,
        oracle_script,
        postgres,
        reader,
    } = cmd;
    if let Some(file) = oracle_script {
        let password = std::env::var("PSTRAL_ORACLE_READER_PASSWORD")
            .context("set PSTRAL_ORACLE_READER_PASSWORD to the read-only account's password")?;
        std::fs::write(&file, demo::oracle_script(&password))
            .with_context(|| format!("cannot write {}", file.display()))?;
        println!("wrote the demo CRM for Oracle to {}", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(url) = postgres {
        // A password chosen here is shown once; one from the environment
        // is the operator's own and is not echoed.
        let (password, chosen) = match std::env::var("PSTRAL_DEMO_READER_PASSWORD") {
            Ok(p) if !p.is_empty() => (p, false),
            _ => (demo::reader_password(), true),
        };
        let made = demo::create_postgres(&url, &reader, &password, force).await?;
        println!(
            "created the demo CRM in the schema {} of {}",
            demo::SCHEMA,
            made.shown_url
        );
        print_summary(&made.summary);
        let target = &made.target_url;
        println!(
            "\nThe Execute target reads it as {} (SELECT on {}.* only):\n\n\
             [sql]\ntarget = \"crm\"\nallowed_schemas = [\"{}\"]\n\
             [sql.targets.crm]\nurl = \"{target}\"\npassword_file = \"…\"  # a file holding the password",
            made.reader,
            demo::SCHEMA,
            demo::SCHEMA
        );
        if chosen {
            println!("\n{}'s password (shown once): {password}", made.reader);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let path = path
        .or_else(|| demo_path(settings))
        .unwrap_or_else(|| PathBuf::from("data/demo.db"));
    let summary = demo::create(&path, force).await?;
    println!("created the demo CRM at {}", path.display());
    print_summary(&summary);
    Ok(ExitCode::SUCCESS)
}

fn print_summary(summary: &DemoSummary) {
    for (table, rows) in &summary.tables {
        println!("  {table:<13} {rows:>6} rows");
    }
}

/// The demo target's file, when a target named "demo" is a SQLite file.
fn demo_path(settings: &Settings) -> Option<PathBuf> {
    settings
        .sql
        .targets
        .iter()
        .find_map(|t| t.demo_file().map(Path::to_path_buf))
}
