//! Which chart a result's shape calls for (see the module's rules), read
//! from its columns and the text of its cells: numbers, dates and times,
//! labels.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::{MAX_LABELS, MAX_PARTS, MAX_POINTS, MAX_SERIES};
use crate::sql::backend::{Cell, Column};

/// The kind of chart drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Line,
    Bar,
    HorizontalBar,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Line => "line",
            Kind::Bar => "bar",
            Kind::HorizontalBar => "horizontal_bar",
        }
    }
}

/// The rule that chose the chart: the answer to "why this chart".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// One date or time column and one to three numbers: a line over time.
    OverTime,
    /// One text column of few labels and one to three numbers: bars.
    ByLabel,
    /// One text column and a single number of a few parts: bars, not a pie.
    SharesOfAWhole,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::OverTime => "over_time",
            Rule::ByLabel => "by_label",
            Rule::SharesOfAWhole => "shares_of_a_whole",
        }
    }
}

/// Why a result gets no chart: the rule that said none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum NoChart {
    NoRows,
    /// One row, or one point in time: a value to read, not a shape.
    SingleValue,
    /// No numeric column (identifiers left out).
    NoNumber,
    /// Numbers with nothing to read them by (no date, no text column).
    NoLabel,
    /// More columns than a chart shows: more than one date or text
    /// column, or more than [`MAX_SERIES`] numbers.
    TooWide {
        columns: usize,
    },
    /// More distinct labels than bars can show.
    TooManyLabels {
        labels: usize,
    },
    /// A label on several rows: the rows are not one value per label.
    RepeatedLabels,
    /// More rows than a chart is drawn from.
    TooLong {
        rows: usize,
    },
    /// The result was cut at its cap: a chart of part of it would show it
    /// as the whole.
    Cut {
        rows: u64,
    },
    /// The numbers span more than can be scaled (near `f64::MAX`).
    OutOfScale,
    /// The rules chose one, and it could not be drawn (logged).
    Undrawn,
}

impl NoChart {
    pub fn as_str(self) -> &'static str {
        match self {
            NoChart::NoRows => "no_rows",
            NoChart::SingleValue => "single_value",
            NoChart::NoNumber => "no_number",
            NoChart::NoLabel => "no_label",
            NoChart::TooWide { .. } => "too_wide",
            NoChart::TooManyLabels { .. } => "too_many_labels",
            NoChart::RepeatedLabels => "repeated_labels",
            NoChart::TooLong { .. } => "too_long",
            NoChart::Cut { .. } => "cut",
            NoChart::OutOfScale => "out_of_scale",
            NoChart::Undrawn => "undrawn",
        }
    }
}

/// How finely a time axis is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimeUnit {
    Year,
    Month,
    Day,
    Moment,
}

/// What the numbers are read by.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    /// Seconds since 1970 (UTC, or as the database wrote the time), in
    /// time order, written at `unit`'s precision.
    Time { at: Vec<f64>, unit: TimeUnit },
    /// One label per row, in the query's order.
    Labels(Vec<String>),
}

/// One numeric column.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// One per point of the axis; `None` for NULL.
    pub values: Vec<Option<f64>>,
}

/// A chart to draw: what the rules chose, and the data it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub kind: Kind,
    pub rule: Rule,
    /// The axis column's name.
    pub x_name: String,
    pub x: XAxis,
    pub series: Vec<Series>,
}

/// What a column holds, from its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// An identifier (`id`, `…_id`): neither a measure nor a label.
    Key,
    Number,
    Time(TimeUnit),
    Text,
    /// Only NULLs: nothing to show.
    Nothing,
}

/// The chart `rows` of `columns` call for, or the rule that says none.
///
/// # Errors
/// The [`NoChart`] rule that applies.
pub fn choose(columns: &[Column], rows: &[Vec<Cell>]) -> Result<Chart, NoChart> {
    if rows.is_empty() {
        return Err(NoChart::NoRows);
    }
    if rows.len() > MAX_POINTS {
        return Err(NoChart::TooLong { rows: rows.len() });
    }
    let holds: Vec<Holds> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| holds(c, cells(rows, i)))
        .collect();
    let of = |wanted: fn(Holds) -> bool| -> Vec<usize> {
        (0..holds.len()).filter(|i| wanted(holds[*i])).collect()
    };
    let numbers = of(|h| h == Holds::Number);
    let times = of(|h| matches!(h, Holds::Time(_)));
    let texts = of(|h| h == Holds::Text);
    if rows.len() == 1 {
        return Err(NoChart::SingleValue);
    }
    if numbers.is_empty() {
        return Err(NoChart::NoNumber);
    }
    if numbers.len() > MAX_SERIES || times.len() + texts.len() > 1 {
        return Err(NoChart::TooWide {
            columns: numbers.len() + times.len() + texts.len(),
        });
    }
    // Values whose span is not a finite number cannot be scaled (plotters
    // would look for ticks forever).
    let (low, high) = numbers
        .iter()
        .flat_map(|&i| cells(rows, i).flatten().filter_map(number))
        .fold((0.0_f64, 0.0_f64), |(l, h), v| (l.min(v), h.max(v)));
    if !((high - low) * 1.1).is_finite() {
        return Err(NoChart::OutOfScale);
    }
    let table = Table {
        columns,
        rows,
        numbers,
    };
    if let [t] = times[..] {
        let Holds::Time(unit) = holds[t] else {
            unreachable!("a time column")
        };
        return table.over_time(t, unit);
    }
    let [t] = texts[..] else {
        return Err(NoChart::NoLabel);
    };
    table.by_label(t)
}

/// The text of each cell of the column `i` of `rows`, `None` for NULL.
fn cells(rows: &[Vec<Cell>], i: usize) -> impl Iterator<Item = Option<&str>> + Clone {
    rows.iter()
        .map(move |r| r.get(i).and_then(Option::as_deref))
}

/// A result whose shape calls for a chart: its columns and rows, and which
/// columns hold the numbers drawn.
struct Table<'a> {
    columns: &'a [Column],
    rows: &'a [Vec<Cell>],
    numbers: Vec<usize>,
}

impl Table<'_> {
    /// The numbers of each numeric column, their rows in `order`.
    fn series(&self, order: &[usize]) -> Vec<Series> {
        self.numbers
            .iter()
            .map(|&i| Series {
                name: self.columns[i].name.clone(),
                values: order
                    .iter()
                    .map(|&r| {
                        self.rows[r]
                            .get(i)
                            .and_then(Option::as_deref)
                            .and_then(number)
                    })
                    .collect(),
            })
            .collect()
    }

    /// A line of the numbers over the time column `t`, written at `unit`;
    /// none when it holds a single point in time.
    fn over_time(&self, t: usize, unit: TimeUnit) -> Result<Chart, NoChart> {
        // Points in time order; a row without its time is not a point.
        let mut points: Vec<(usize, f64)> = cells(self.rows, t)
            .enumerate()
            .filter_map(|(r, c)| Some((r, moment(c?, unit)?)))
            .collect();
        points.sort_by(|a, b| a.1.total_cmp(&b.1));
        let order: Vec<usize> = points.iter().map(|(r, _)| *r).collect();
        let at: Vec<f64> = points.iter().map(|(_, x)| *x).collect();
        if at.first() == at.last() {
            return Err(NoChart::SingleValue);
        }
        Ok(Chart {
            kind: Kind::Line,
            rule: Rule::OverTime,
            x_name: self.columns[t].name.clone(),
            x: XAxis::Time { at, unit },
            series: self.series(&order),
        })
    }

    /// Bars of the numbers by the labels of the text column `t`, in the
    /// query's order; none when the labels are too many or repeated.
    fn by_label(&self, t: usize) -> Result<Chart, NoChart> {
        let labels: Vec<String> = cells(self.rows, t)
            .map(|c| c.map_or_else(|| "—".to_owned(), |s| s.trim().to_owned()))
            .collect();
        let mut distinct = labels.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() > MAX_LABELS {
            return Err(NoChart::TooManyLabels {
                labels: distinct.len(),
            });
        }
        if distinct.len() < labels.len() {
            return Err(NoChart::RepeatedLabels);
        }
        let order: Vec<usize> = (0..self.rows.len()).collect();
        // Shares of a whole: every part there, none negative.
        let parts = self.numbers.len() == 1
            && self.rows.len() <= MAX_PARTS
            && cells(self.rows, self.numbers[0])
                .all(|c| c.and_then(number).is_some_and(|v| v >= 0.0));
        let rule = if parts {
            Rule::SharesOfAWhole
        } else {
            Rule::ByLabel
        };
        // Long labels, or many, read across, one under the other.
        let long =
            labels.len() > MAX_UPRIGHT || labels.iter().any(|l| l.chars().count() > LONG_LABEL);
        Ok(Chart {
            kind: if long { Kind::HorizontalBar } else { Kind::Bar },
            rule,
            x_name: self.columns[t].name.clone(),
            x: XAxis::Labels(labels),
            series: self.series(&order),
        })
    }
}

/// A label longer than this turns bars on their side.
const LONG_LABEL: usize = 10;
/// More bars than this are drawn on their side, where each label has a
/// line of its own.
const MAX_UPRIGHT: usize = 12;

/// What `column` holds, from its name, its type and every cell.
fn holds<'a>(column: &Column, cells: impl Iterator<Item = Option<&'a str>> + Clone) -> Holds {
    let name = column.name.to_lowercase();
    let values = cells.flatten();
    if values.clone().next().is_none() {
        return Holds::Nothing;
    }
    let textual = column.kind.is_text();
    if name == "id" || name.ends_with("_id") || name.starts_with("id_") {
        return Holds::Key;
    }
    // A float column may hold NaN or infinities: not a label for that.
    let numeric = !textual && values.clone().all(|v| number(v).is_some() || non_finite(v));
    // A year kept as a number reads as time when its column says so.
    if numeric
        && YEAR_NAMES.contains(&name.as_str())
        && values.clone().all(|v| {
            v.trim()
                .parse::<i32>()
                .is_ok_and(|y| (1000..=9999).contains(&y))
        })
    {
        return Holds::Time(TimeUnit::Year);
    }
    if numeric {
        return Holds::Number;
    }
    let mut unit = None;
    for value in values {
        let Some((_, this)) = parse_moment(value) else {
            return Holds::Text;
        };
        unit = Some(unit.map_or(this, |u: TimeUnit| u.max(this)));
    }
    unit.map_or(Holds::Text, Holds::Time)
}

/// Column names that say a number is a year.
const YEAR_NAMES: &[&str] = &["year", "yr", "annee", "année", "an"];

/// Whether `text` is a float that is not a finite number (shown as none).
fn non_finite(text: &str) -> bool {
    text.trim().parse::<f64>().is_ok_and(|n| !n.is_finite())
}

/// `text` as a finite number.
fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `text` as a point in time at `unit` (a year is a number there).
fn moment(text: &str, unit: TimeUnit) -> Option<f64> {
    if unit == TimeUnit::Year {
        let year = text.trim().parse::<i32>().ok()?;
        return Some(seconds(NaiveDate::from_ymd_opt(year, 1, 1)?.into()));
    }
    parse_moment(text).map(|(at, _)| at)
}

/// `text` as a date or time the databases write: `2025-03`, `2025-03-14`,
/// `2025-03-14 10:30:00`, with `T`, fractions and a zone.
fn parse_moment(text: &str) -> Option<(f64, TimeUnit)> {
    let text = text.trim();
    // Four digits of year: chrono reads "1-5" as the fifth month of year 1.
    if !(text.len() >= 7 && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    if let Ok(date) = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        && text.len() <= 7
    {
        return Some((seconds(date.into()), TimeUnit::Month));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some((seconds(date.into()), TimeUnit::Day));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some((seconds(at), TimeUnit::Moment));
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some((seconds(at.naive_utc()), TimeUnit::Moment));
        }
    }
    None
}

fn seconds(at: NaiveDateTime) -> f64 {
    at.and_utc().timestamp() as f64
}

/// A point of a time axis written at `unit`'s precision.
pub fn written(at: f64, unit: TimeUnit) -> String {
    let Some(at) = DateTime::from_timestamp(at as i64, 0) else {
        return String::new();
    };
    match unit {
        TimeUnit::Year => at.format("%Y"),
        TimeUnit::Month => at.format("%Y-%m"),
        TimeUnit::Day => at.format("%Y-%m-%d"),
        TimeUnit::Moment => at.format("%Y-%m-%d %H:%M"),
    }
    .to_string()
}
