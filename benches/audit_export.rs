//! Memory of a streamed audit export over the admin endpoint. Run with
//! `cargo bench --bench audit_export`.
//!
//! Each size runs in its own child process: it fills a fresh SQLite own
//! database with N events, serves the production admin endpoint, resets the
//! peak-RSS counter, then downloads `/api/audit/export` (JSONL) on loopback,
//! counting lines and dropping the bytes. It reports the peak RSS growth
//! during the export. Flat memory means the growth for 300,000 events is
//! about the growth for 10,000 (ratio ≈ 1), not thirty times it.

#[path = "../tests/support/mod.rs"]
mod support;

use futures_util::StreamExt;
use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::config::Settings;
use serde_json::{Value, json};
use support::{Serving, TestDb};

const SIZES: [usize; 3] = [10_000, 100_000, 300_000];
const ROUNDS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        println!("{}", child(args[i + 1].parse().unwrap()));
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    // The allocator's arenas make one run's peak noisy by a few MB, so each
    // size runs ROUNDS times and the median is kept.
    let mut growth = Vec::new();
    for n in SIZES {
        let mut runs = Vec::new();
        let mut bytes = 0.0;
        for _ in 0..ROUNDS {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--child", &n.to_string()])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(
                report["lines"].as_u64().unwrap() as usize,
                n,
                "the export is complete"
            );
            bytes = report["bytes"].as_f64().unwrap();
            runs.push(report["growth_kb"].as_f64().unwrap() * 1024.0);
        }
        runs.sort_by(f64::total_cmp);
        let median = runs[runs.len() / 2];
        println!(
            "export of {n} events: {:.1} MB streamed, peak RSS growth median {:.1} MB (runs {}) = {:.0} % of the bytes streamed",
            bytes / 1e6,
            median / 1e6,
            runs.iter()
                .map(|r| format!("{:.1}", r / 1e6))
                .collect::<Vec<_>>()
                .join(", "),
            100.0 * median / bytes
        );
        growth.push(median);
    }
    let last = SIZES.len() - 1;
    println!(
        "growth for {} events / growth for {} events = {:.2}× for {}× the events (flat: ≈ 1)",
        SIZES[last],
        SIZES[0],
        growth[last] / growth[0].max(1.0),
        SIZES[last] / SIZES[0]
    );
}

fn status_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn child(n: usize) -> Value {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let db = TestDb::sqlite().await;
        let mut tx = db.store.begin().await.unwrap();
        for i in 0..n {
            let payload =
                json!({"n": i, "text": "How many invoices were paid late in March, by region?"});
            Audit::append_in(
                &mut tx,
                NewEvent::new(EventKind::Answer, Actor::default(), payload),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let mut settings = Settings::defaults();
        settings.database = db.settings.clone();
        let serving = Serving::start(settings).await;
        let base = serving.base.clone();
        let token = support::admin_token(&db, "ana", None).await;
        let http = reqwest::Client::new();
        let export = |query: &'static str| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                let response = http
                    .get(format!("{base}/api/audit/export?{query}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
                let (mut lines, mut bytes) = (0usize, 0usize);
                let mut body = response.bytes_stream();
                while let Some(chunk) = body.next().await {
                    let chunk = chunk.unwrap();
                    bytes += chunk.len();
                    lines += chunk.iter().filter(|b| **b == b'\n').count();
                }
                (lines, bytes)
            }
        };
        // Warm up every path (pools, page cache, first allocations) on a
        // small export, then measure the peak from here on only.
        export("format=jsonl&kind=access_refused").await;
        std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS (Linux)");
        let before = status_kb("VmRSS:");
        let (lines, bytes) = export("format=jsonl&kind=answer").await;
        let peak = status_kb("VmHWM:");
        serving.stop().await;
        json!({"lines": lines, "bytes": bytes, "before_kb": before, "growth_kb": peak - before})
    })
}
