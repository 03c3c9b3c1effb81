//! `pstral health`: the admin endpoint's `/readyz`, asked from outside the
//! bot, as a container health check or a monitoring command asks it (the
//! image has no curl).

use std::time::Duration;

/// What `/readyz` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    /// The checks that are down, by name.
    pub down: Vec<String>,
}

/// Why `/readyz` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("no answer from {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered {status}, not a readiness report")]
    Unexpected { url: String, status: u16 },
}

/// Asks `base`'s `/readyz` (`base` as `http://127.0.0.1:8089`), within
/// `timeout`.
///
/// # Errors
/// [`ProbeError`] when nothing answers or the answer is not a readiness
/// report.
pub async fn probe(base: &str, timeout: Duration) -> Result<Readiness, ProbeError> {
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    let unreachable = |e: reqwest::Error| ProbeError::Unreachable {
        url: url.clone(),
        reason: innermost(&e),
    };
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(unreachable)?;
    let response = client.get(&url).send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    // 200 when ready, 503 when not: both carry the report.
    let report: serde_json::Value = match status {
        200 | 503 => response.json().await.map_err(unreachable)?,
        _ => return Err(ProbeError::Unexpected { url, status }),
    };
    let Some(ready) = report["ready"].as_bool() else {
        return Err(ProbeError::Unexpected { url, status });
    };
    let down = report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["state"] != "up")
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    Ok(Readiness { ready, down })
}

/// The innermost cause of `e`, which says the most ("Connection refused").
fn innermost(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}
