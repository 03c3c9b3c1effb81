//! `pstral health`: exits 0 when the running bot says it is ready.

use std::process::ExitCode;
use std::time::Duration;

use pstral_core::config::Settings;

/// Asks the admin endpoint at `url`, or at `admin.bind`, whether the bot is
/// ready; prints what is down.
pub(crate) async fn health(settings: &Settings, url: Option<&str>) -> anyhow::Result<ExitCode> {
    let base = match (url, &settings.admin) {
        (Some(url), _) => url.to_owned(),
        (None, Some(admin)) => {
            // A bind on every address is reached on loopback.
            let mut at = admin.bind;
            if at.ip().is_unspecified() {
                at.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{at}")
        }
        (None, None) => anyhow::bail!(
            "the admin endpoint is disabled (admin.enabled = false), and its /readyz is what \
             `pstral health` asks; enable it or give --url"
        ),
    };
    let readiness = pstral_core::admin::probe::probe(&base, Duration::from_secs(10)).await?;
    if readiness.ready {
        println!("ready");
        return Ok(ExitCode::SUCCESS);
    }
    println!("not ready: down: {}", readiness.down.join(", "));
    Ok(ExitCode::FAILURE)
}
