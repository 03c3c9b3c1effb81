//! `pstral demo init`: the demo CRM, as a SQLite file or an Oracle script.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pstral_core::config::Settings;
use pstral_core::sql::TargetKind;

use crate::args::DemoCommand;

pub(crate) async fn demo_command(
    settings: &Settings,
    cmd: DemoCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        DemoCommand::Init {
            oracle_script: Some(file),
            ..
        } => {
            let password = std::env::var("PSTRAL_ORACLE_READER_PASSWORD")
                .context("set PSTRAL_ORACLE_READER_PASSWORD to the read-only account's password")?;
            std::fs::write(&file, pstral_core::sql::demo::oracle_script(&password))
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("wrote the demo CRM for Oracle to {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        DemoCommand::Init { path, force, .. } => {
            let path = path
                .or_else(|| demo_path(settings))
                .unwrap_or_else(|| PathBuf::from("data/demo.db"));
            let summary = pstral_core::sql::demo::create(&path, force).await?;
            println!("created the demo CRM at {}", path.display());
            for (table, rows) in summary.tables {
                println!("  {table:<13} {rows:>6} rows");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The demo target's file, when a target named "demo" is a SQLite file.
fn demo_path(settings: &Settings) -> Option<PathBuf> {
    settings.sql.targets.iter().find_map(|t| match &t.kind {
        TargetKind::Sqlite(path) if t.name == "demo" => Some(path.clone()),
        _ => None,
    })
}
