//! Logging with `tracing`: human-readable or JSON lines on standard error
//! (standard output belongs to command results), and one span per request
//! carrying a correlation id, so every line a request causes can be found.

use tracing::Span;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `level`.
///
/// # Errors
/// When `level` is not a valid filter (the configuration check prevents it)
/// or a subscriber is already installed.
pub fn init(format: LogFormat, level: &str) -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.is_empty() => EnvFilter::try_new(from_env),
        _ => EnvFilter::try_new(level),
    }
    .map_err(|e| format!("invalid log filter: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    match format {
        LogFormat::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    }
    .map_err(|e| e.to_string())
}

/// A span for one request (an incoming message, a click, a command, an HTTP
/// call), with a fresh correlation id. Enter it, or instrument the future that
/// handles the request with it.
pub fn request_span(kind: &'static str) -> Span {
    let correlation_id = uuid::Uuid::new_v4().simple().to_string();
    tracing::info_span!("request", kind, correlation_id = %correlation_id)
}

/// The process's Prometheus recorder, installed on first use (once: a
/// process has one global recorder, however many applications a test builds).
pub fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}
