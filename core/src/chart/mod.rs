//! A chart beside a result's table, when the result's shape calls for one:
//! which chart is chosen by fixed rules on its columns and rows (never by
//! code a model wrote), and the chart drawn in-process as a PNG with a font
//! shipped in the binary.
//!
//! The rules ([`choose`]), in order:
//! - no row, or a single value: no chart;
//! - key columns (`id`, `client_id`) are identifiers, not measures: left out;
//! - one date or time column and one to three numeric columns: a line over
//!   time;
//! - one text column with at most [`MAX_LABELS`] distinct values, one row
//!   each, and one to three numeric columns: bars in the order the query
//!   sorted the rows, on their side when a label is long or there are many;
//!   a single numeric column of at most [`MAX_PARTS`] parts, none missing or
//!   negative (shares of a whole), is shown as bars too, never a pie
//!   (lengths compare; angles do not);
//! - anything else (more columns, more labels, no number, no label): none.
//!
//! The chart's data stays in the table and the files beside it; the image
//! carries a text description, worded by `i18n` like every sentence a
//! person reads (this module is below it and writes none).

mod choose;
mod draw;
mod rows;

pub use choose::{Chart, Kind, NoChart, Rule, Series, TimeUnit, XAxis, choose, written};
pub use draw::{DrawError, Drawn, HEIGHT, Numbers, WIDTH, draw};
pub use rows::ChartRows;

/// The most labels a bar chart shows; more is a table's work.
pub const MAX_LABELS: usize = 30;
/// The most parts a single series of shares has to be read as one.
pub const MAX_PARTS: usize = 8;
/// The most numeric columns drawn together.
pub const MAX_SERIES: usize = 3;
/// The most rows a chart is drawn from; a result cut at its own cap is not
/// charted either (the chart would show part of it as the whole).
pub const MAX_POINTS: usize = 10_000;

#[cfg(test)]
mod tests;
