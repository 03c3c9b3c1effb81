//! One module per group of subcommands. Each reports errors with `anyhow`
//! context: this is an edge of the program, while the core's modules it
//! calls return typed errors.

pub(crate) mod audit;
pub(crate) mod chat;
pub(crate) mod check;
pub(crate) mod conversation;
pub(crate) mod database;
pub(crate) mod demo;
pub(crate) mod eval;
pub(crate) mod examples;
pub(crate) mod health;
pub(crate) mod run;
pub(crate) mod semantic;
pub(crate) mod sql;
pub(crate) mod tokens;
pub(crate) mod users;

use anyhow::Context;
use pstral_core::config::Settings;
use pstral_core::store::Store;

/// The settings with the target named `name` (when given) as the Execute
/// target, the policy in its dialect: what `--target` means everywhere.
pub(crate) fn for_target(settings: &Settings, name: Option<&str>) -> anyhow::Result<Settings> {
    let mut settings = settings.clone();
    if let Some(name) = name {
        let Some(target) = settings.sql.targets.iter().find(|t| t.name == name) else {
            anyhow::bail!("there is no target {name:?} in [sql.targets]");
        };
        settings.sql.target = target.clone();
        settings.sql.policy.dialect = target.dialect();
    }
    Ok(settings)
}

pub(crate) async fn open(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database)
        .await
        .context("the own database is not available")
}
