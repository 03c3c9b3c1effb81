//! `pstral run`: the bot on every chat platform the configuration enables
//! and this build includes.

use std::process::ExitCode;

use pstral_core::app::{Application, shutdown_signal};
use pstral_core::config::Settings;

use crate::platforms;

/// `pstral run`, until a signal asks it to stop.
pub(crate) async fn run(settings: Settings) -> anyhow::Result<ExitCode> {
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "pstral starting");
    let connectors = platforms::connectors(&settings);
    let app = Application::build(settings, &platforms::identity_syntaxes()).await?;
    app.run_until_stopped(connectors, shutdown_signal()).await?;
    tracing::info!("pstral stopped");
    Ok(ExitCode::SUCCESS)
}
