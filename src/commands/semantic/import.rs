//! `pstral semantic import` (being written).
use std::process::ExitCode;
pub(crate) async fn import_command(
    _settings: &pstral_core::config::Settings,
    _from: crate::args::ImportFrom,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("semantic import is being written")
}
