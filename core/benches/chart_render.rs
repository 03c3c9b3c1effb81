//! The chart of a 10,000-row result against the CSV of the same rows, in
//! the same run: both fed the same cells through their sinks, as a click
//! feeds them, the chart then chosen and drawn as a PNG. Run with
//! `cargo bench -p pstral-core --bench chart_render`; prints the median of each and the
//! ratio, and the chart's peak size in memory (its pixel buffer and PNG).

use std::time::{Duration, Instant};

use pstral_core::chart::{ChartRows, MAX_POINTS, draw};
use pstral_core::sql::Dialect;
use pstral_core::sql::backend::{Cell, Column, RowSink};
use pstral_core::sql::render::CsvSink;

const RUNS: usize = 15;

fn rows() -> (Vec<Column>, Vec<Vec<Cell>>) {
    let columns = vec![
        Column::new("at", "timestamp", Dialect::Postgres),
        Column::new("amount", "numeric", Dialect::Postgres),
        Column::new("count", "int8", Dialect::Postgres),
    ];
    let rows = (0..MAX_POINTS)
        .map(|i| {
            let at = chrono::DateTime::from_timestamp(1_735_689_600 + i as i64 * 3_600, 0).unwrap();
            vec![
                Some(at.format("%Y-%m-%d %H:%M:%S").to_string()),
                Some(format!("{:.2}", 1_000.0 + (i as f64 / 50.0).sin() * 300.0)),
                Some((i % 97).to_string()),
            ]
        })
        .collect();
    (columns, rows)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (columns, rows) = rows();
    let mut csv_times = Vec::new();
    let mut chart_times = Vec::new();
    let mut png_bytes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut csv = CsvSink::new(Vec::new(), true).unwrap();
        csv.columns(&columns).unwrap();
        for row in &rows {
            csv.row(row).unwrap();
        }
        std::hint::black_box(csv.finish().unwrap());
        csv_times.push(started.elapsed());

        let started = Instant::now();
        let mut kept = ChartRows::new();
        kept.columns(&columns).unwrap();
        for row in &rows {
            kept.row(row).unwrap();
        }
        let chart = kept.choose(None).unwrap();
        let drawn = draw(&chart, "10 000 rows", &|v| format!("{v:.0}")).unwrap();
        png_bytes = drawn.png.len();
        std::hint::black_box(drawn);
        chart_times.push(started.elapsed());
    }
    let (csv, chart) = (median(csv_times), median(chart_times));
    println!("{MAX_POINTS} rows × 3 columns, median of {RUNS} runs");
    println!("CSV:   {csv:?}");
    println!(
        "chart: {chart:?} ({:.1} × the CSV); PNG {png_bytes} bytes, pixel buffer {} bytes",
        chart.as_secs_f64() / csv.as_secs_f64(),
        pstral_core::chart::WIDTH * pstral_core::chart::HEIGHT * 3
    );
}
