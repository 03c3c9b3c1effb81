//! `pstral run`: served until SIGTERM then exit code 0, every metric
//! family there before the first question, and a homeserver that cannot be
//! reached waited for and said.

use super::*;

/// Starts `pstral run` with JSON logs and waits until it says it is ready;
/// returns the child and the messages it logged on the way.
// The child is the caller's to stop and wait for (`terminate`).
#[allow(clippy::zombie_processes)]
fn run_until_ready(s: &Scratch, envs: &[(&str, &str)]) -> (std::process::Child, Vec<String>) {
    let mut child = s
        .command(&["run", "--log-format", "json"])
        .envs(envs.iter().copied())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut child);
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("pstral run never said it was ready: {seen:?}"));
        let json: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("--log-format json prints JSON lines, got {line:?}: {e}"));
        let message = json["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(json["span"]["correlation_id"].is_string(), "{line}");
        seen.push(message.clone());
        if message.contains("waiting for SIGINT or SIGTERM") {
            return (child, seen);
        }
    }
}

/// The lines the child writes to its standard error, as they come.
fn stderr_lines(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn terminate(mut child: std::process::Child) -> Option<i32> {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap().code()
}

#[test]
fn run_serves_until_sigterm_then_exits_0() {
    let s = Scratch::new();
    let (child, seen) = run_until_ready(&s, &[]);
    assert_eq!(
        seen.first().map(String::as_str),
        Some("pstral starting"),
        "{seen:?}"
    );
    assert!(seen.iter().any(|m| m == "own database ready"), "{seen:?}");
    assert_eq!(terminate(child), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_hold_every_family_before_the_first_question() {
    let s = Scratch::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = listener.local_addr().unwrap().to_string();
    drop(listener);
    let (child, _) = tokio::task::block_in_place(|| {
        run_until_ready(&s, &[("PSTRAL__ADMIN__BIND", bind.as_str())])
    });
    let response = reqwest::get(format!("http://{bind}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_eq!(tokio::task::block_in_place(|| terminate(child)), Some(0));

    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("not Prometheus text ({e}):\n{text}"));
    let families: std::collections::BTreeSet<&str> =
        scrape.samples.iter().map(|s| s.metric.as_str()).collect();
    // Each family OPERATING.md lists, with its zero series; histograms are
    // exported with their buckets.
    for family in [
        "pstral_build_info",
        "pstral_answers_total",
        "pstral_tokens_streamed_total",
        "pstral_edits_total",
        "pstral_platform_rate_limited_total",
        "pstral_queue_depth",
        "pstral_queue_wait_seconds",
        "pstral_first_token_seconds",
        "pstral_executions_total",
        "pstral_rows_returned_total",
        "pstral_audit_appends_total",
        // Readiness, as of the scrape: no `/readyz` caller needed.
        "pstral_ready",
        "pstral_check_up",
        "pstral_leader",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(families.contains(family), "{family} missing from:\n{text}");
    }
    for histogram in ["pstral_queue_wait_seconds", "pstral_first_token_seconds"] {
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == histogram)
            .unwrap();
        assert!(
            matches!(&sample.value, prometheus_parse::Value::Histogram(buckets) if buckets.len() > 5),
            "{histogram} is a histogram with its buckets:\n{text}"
        );
    }
    // CPU time in fractions of a second (a counter of the metrics crate
    // holds whole ones).
    let cpu = scrape
        .samples
        .iter()
        .find(|s| s.metric == "process_cpu_seconds_total")
        .unwrap();
    assert!(
        matches!(cpu.value, prometheus_parse::Value::Gauge(_)),
        "{:?}",
        cpu.value
    );
    for family in ["pstral_answers_total", "pstral_executions_total"] {
        assert!(
            scrape.docs.contains_key(family),
            "{family} has no HELP:\n{text}"
        );
    }
    let build = scrape
        .samples
        .iter()
        .find(|s| s.metric == "pstral_build_info")
        .unwrap();
    assert_eq!(build.labels.get("version"), Some(env!("CARGO_PKG_VERSION")));
    let executions_ok = scrape
        .samples
        .iter()
        .find(|s| s.metric == "pstral_executions_total" && s.labels.get("outcome") == Some("ok"))
        .expect("the ok series exists before any execution");
    assert!(matches!(
        executions_ok.value,
        prometheus_parse::Value::Counter(v) if v == 0.0
    ));
    let resident = scrape
        .samples
        .iter()
        .find(|s| s.metric == "process_resident_memory_bytes")
        .unwrap();
    assert!(matches!(resident.value, prometheus_parse::Value::Gauge(v) if v > 0.0));
}

#[test]
// The child is stopped and waited for by `terminate`.
#[allow(clippy::zombie_processes)]
fn run_waits_for_a_homeserver_that_cannot_be_reached_and_says_so() {
    let s = Scratch::new();
    let mut child = s
        .command(&["run", "--log-format", "json"])
        .env("PSTRAL__MATRIX__ENABLED", "true")
        .env("PSTRAL__MATRIX__HOMESERVER", "http://127.0.0.1:9")
        .env("PSTRAL__MATRIX__USER", "@pstral:example.org")
        .env("PSTRAL__MATRIX__PASSWORD", "p")
        .env("PSTRAL__MATRIX__STORE_PASSPHRASE", "s")
        .env("PSTRAL__ADMIN__BIND", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut child);
    // The other platforms and the admin endpoint serve meanwhile: it tries
    // again, as it does when the homeserver goes away later, and says so.
    let mut seen = Vec::new();
    let waiting = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("pstral run never said it waits: {seen:#?}"));
        if line.contains("cannot reach the homeserver") {
            break line;
        }
        seen.push(line);
    };
    assert!(waiting.contains("WARN"), "{waiting}");
    assert!(waiting.contains("retry_in"), "{waiting}");
    assert_eq!(terminate(child), Some(0));
}
