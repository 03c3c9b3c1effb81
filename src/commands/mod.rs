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
pub(crate) mod run;
pub(crate) mod sql;
pub(crate) mod tokens;
pub(crate) mod users;

use anyhow::Context;
use pstral_core::config::Settings;
use pstral_core::store::Store;

pub(crate) async fn open(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database)
        .await
        .context("the own database is not available")
}
