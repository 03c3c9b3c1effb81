//! `pstral semantic suggest` (being written).
use std::process::ExitCode;
pub(crate) async fn suggest_command(
    _settings: &pstral_core::config::Settings,
    _target: Option<&str>,
    _since: Option<std::time::Duration>,
    _min: usize,
    _take: Option<(usize, String)>,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("semantic suggest is being written")
}
