//! `pstral migrate|backup|restore`: the own database as a whole.

use std::path::Path;

use anyhow::Context as _;
use std::process::ExitCode;

use pstral_core::config::Settings;

use super::open;

/// `pstral migrate`: pending migrations applied (opening does it).
pub(crate) async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let before = pstral_core::store::Store::version_unopened(&settings.database)
        .await
        .context("the own database is not available")?;
    let store = open(settings).await?;
    let version = store.schema_version().await?;
    let url = &settings.database.url;
    if version > before {
        let applied = version - before;
        println!(
            "applied {applied} migration{}: {url} is now at schema version {version}",
            if applied == 1 { "" } else { "s" }
        );
    } else {
        println!("{url} is at schema version {version}: nothing to apply");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `pstral backup`: a consistent copy, taken while the bot runs.
pub(crate) async fn backup(settings: &Settings, path: &Path) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    let result = pstral_core::backup::backup(&store, &settings.database, path).await;
    store.close().await;
    match result {
        Ok(()) => {
            println!("backed up {} to {}", settings.database.url, path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(pstral_core::backup::BackupError::UsePostgresTools(command)) => {
            println!("{command}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

/// `pstral restore`: the database replaced by a backup, its audit chain
/// verified.
pub(crate) async fn restore(
    settings: &Settings,
    path: &Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    match pstral_core::backup::restore(&settings.database, path, force).await {
        Ok(restored) => match restored.verified.broken {
            None => {
                println!(
                    "restored {} from {}; audit chain intact: {} events",
                    settings.database.url,
                    path.display(),
                    restored.verified.checked
                );
                if let Some(kept) = &restored.kept {
                    println!("the database it replaced is kept at {}", kept.display());
                }
                Ok(ExitCode::SUCCESS)
            }
            Some(broken) => {
                println!(
                    "restored from {}, but the audit chain is BROKEN: {broken}",
                    path.display()
                );
                Ok(ExitCode::FAILURE)
            }
        },
        Err(pstral_core::backup::BackupError::UsePostgresTools(command)) => {
            println!("{command}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
