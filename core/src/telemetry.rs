//! Logging with `tracing`: human-readable or JSON lines on standard error
//! (standard output belongs to command results), and one span per request
//! carrying a correlation id, so every line a request causes can be found.

use tracing::Span;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// How log lines are written on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing `EnvFilter` directive, already checked to parse.
    pub level: String,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            other => Err(format!("expected human or json, got {other:?}")),
        }
    }
}

/// Where log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTo {
    /// Standard error: the bot and the commands.
    Stderr,
    /// A file, appended to (created with its folder): `pstral chat`, whose
    /// terminal is the conversation.
    File(std::path::PathBuf),
}

/// Installs the global subscriber, writing where `to` says. `RUST_LOG`,
/// when set, wins over `level`.
///
/// # Errors
/// When `level` is not a valid filter (the configuration check prevents it),
/// the log file cannot be opened, or a subscriber is already installed.
pub fn init(format: LogFormat, level: &str, quiet: &[&str], to: &LogTo) -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(from_env) if !from_env.is_empty() => EnvFilter::try_new(from_env),
        _ => EnvFilter::try_new(filter_for(level, quiet)),
    }
    .map_err(|e| format!("invalid log filter: {e}"))?;
    let writer = match to {
        LogTo::Stderr => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr),
        LogTo::File(path) => {
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder)
                    .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
            tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::sync::Mutex::new(file))
        }
    };
    let colours = *to == LogTo::Stderr && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_span_events(FmtSpan::NONE);
    match format {
        LogFormat::Human => builder.with_ansi(colours).try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    }
    .map_err(|e| e.to_string())
}

/// The filter for a configured `level`. A bare level ("info", "debug")
/// is Pstral's own (every `pstral…` crate); the libraries it uses stay at
/// warn, where what they say is for an operator (at info, matrix-sdk wrote
/// 95 % of the lines of a healthy bot, and sqlx a notice per migration
/// check), and the directives of `quiet` (each platform's, see
/// `PlatformSettings::quiet_logs`) hold some of their modules to errors. A
/// directive with targets (`info,matrix_sdk=debug`) is taken as written.
pub fn filter_for(level: &str, quiet: &[&str]) -> String {
    let level = level.trim();
    if level.contains(['=', ',']) {
        return level.to_owned();
    }
    // A target matches the modules whose path starts with it.
    std::iter::once(format!("warn,pstral={level}"))
        .chain(quiet.iter().map(|directive| (*directive).to_owned()))
        .collect::<Vec<_>>()
        .join(",")
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
/// Every family Pstral exports exists from then on, at zero, so that the
/// first scrape already holds what `rate()` and alert rules refer to.
pub fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            register_metrics();
            handle
        })
        .clone()
}

/// The text of `/metrics`: the process figures read now, then every family.
pub fn render_metrics(handle: &metrics_exporter_prometheus::PrometheusHandle) -> String {
    process_collector().collect();
    handle.render()
}

/// Makes `pstral_questions_total{platform}` exist for a platform being
/// served, before its first question.
pub fn register_platform(platform: &str) {
    metrics::counter!("pstral_questions_total", "platform" => platform.to_owned()).absolute(0);
}

/// Seconds, from a fast first token to a long queue wait.
const LATENCY_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: std::sync::OnceLock<metrics_process::Collector> = std::sync::OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// The series a counter has from the start.
enum Series {
    /// Created when its label's value is known (see `register_platform`).
    Later,
    /// One series, without labels.
    One,
    /// One series per value of the label.
    Labelled(&'static str, &'static [&'static str]),
}

/// Describes and creates every metric at zero: the label values a counter
/// can take are known, so each series exists from the start.
fn register_metrics() {
    use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};

    gauge!(
        "pstral_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "rust_version" => env!("CARGO_PKG_RUST_VERSION"),
    )
    .set(1.0);
    describe_gauge!(
        "pstral_build_info",
        "Always 1; the labels say which Pstral is running."
    );

    // Counters, with every value their label takes (the questions' platform
    // is registered as each platform starts: see `register_platform`).
    const COUNTERS: &[(&str, &str, Series)] = &[
        (
            "pstral_questions_total",
            "Questions addressed to the bot, by chat platform.",
            Series::Later,
        ),
        (
            "pstral_answers_total",
            "Answers finished, by how they ended (complete, stopped, failed, interrupted: ended by the next process after a crash).",
            Series::Labelled("ending", &["complete", "stopped", "failed", "interrupted"]),
        ),
        (
            "pstral_tokens_streamed_total",
            "Tokens received from the model and streamed into the chat.",
            Series::One,
        ),
        (
            "pstral_edits_total",
            "Edits of the bot's messages sent to chat platforms.",
            Series::One,
        ),
        (
            "pstral_platform_rate_limited_total",
            "Requests a chat platform answered with a rate limit (429).",
            Series::One,
        ),
        (
            "pstral_executions_total",
            "Executions of a query, by outcome (ok, timeout, unavailable, error).",
            Series::Labelled("outcome", &["ok", "timeout", "unavailable", "error"]),
        ),
        (
            "pstral_rows_returned_total",
            "Rows returned by executed queries.",
            Series::One,
        ),
        (
            "pstral_audit_appends_total",
            "Events appended to the audit log.",
            Series::One,
        ),
    ];
    for (name, help, series) in COUNTERS {
        describe_counter!(*name, *help);
        match series {
            Series::Later => {}
            Series::One => counter!(*name).absolute(0),
            Series::Labelled(label, values) => {
                for value in *values {
                    counter!(*name, *label => *value).absolute(0);
                }
            }
        }
    }
    describe_gauge!(
        "pstral_ready",
        "1 when every readiness check was up at the last /readyz (the health check's), else 0."
    );
    describe_gauge!(
        "pstral_check_up",
        "Each readiness check at the last /readyz: 1 up, 0 down (label check)."
    );
    describe_gauge!(
        "pstral_leader",
        "1 while this process serves the chat platforms (the elected leader, or the only process on SQLite), 0 on a standby."
    );
    describe_gauge!(
        "pstral_queue_depth",
        "Questions waiting for a model server."
    );
    gauge!("pstral_queue_depth").set(0.0);
    for (name, help) in [
        (
            "pstral_queue_wait_seconds",
            "Time a question waited in the queue for a model server.",
        ),
        (
            "pstral_first_token_seconds",
            "Time from sending a question to the model to its first token.",
        ),
    ] {
        describe_histogram!(name, Unit::Seconds, help);
        let _ = metrics::histogram!(name);
    }

    process_collector().describe();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bare_level_is_pstrals_own_and_the_libraries_stay_at_warn() {
        let quiet = ["sdk::backups=error", "sdk::events=error"];
        assert_eq!(super::filter_for("info", &[]), "warn,pstral=info");
        assert_eq!(
            super::filter_for(" debug ", &quiet),
            "warn,pstral=debug,sdk::backups=error,sdk::events=error"
        );
        assert_eq!(
            super::filter_for("info,matrix_sdk=debug", &quiet),
            "info,matrix_sdk=debug"
        );
        assert_eq!(
            super::filter_for("pstral_core=trace", &quiet),
            "pstral_core=trace"
        );
        for level in ["info", "debug", "trace", "warn", "error", "off"] {
            let filter = super::filter_for(level, &quiet);
            assert!(tracing_subscriber::EnvFilter::try_new(filter).is_ok());
        }
    }
}
