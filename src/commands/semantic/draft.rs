//! `pstral semantic draft` (being written).
use std::process::ExitCode;
pub(crate) async fn draft_command(
    _settings: &pstral_core::config::Settings,
    _target: Option<&str>,
    _glossary: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("semantic draft is being written")
}
