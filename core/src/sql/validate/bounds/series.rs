//! Series over dates and timestamps whose bounds and step are written out
//! in the statement: how many rows they give, read from the written
//! values, so that a plan may be weighed on the planner's guess for them.

use sqlparser::ast::{Expr, Value};

use super::text;

/// The rows PostgreSQL's planner takes a series over dates or timestamps to
/// have, whatever its span (15 and 16 have no estimate for them).
const GUESSED_SERIES_ROWS: f64 = 1000.0;

/// Whether a `generate_series` over dates or timestamps whose bounds and
/// step are written out (`date '2024-01-01'`, `'2024-01-31'::date`,
/// `interval '1 day'`) has at most [`GUESSED_SERIES_ROWS`] rows: then the
/// planner's guess is no less than what it gives, and the plan may be
/// weighed on it (the days of a month, the weeks of a year). A month
/// counts 28 days and a year 365, so that the rows are never undercounted.
pub(in crate::sql::validate) fn short_time_series(args: &[Option<&Expr>]) -> bool {
    let [Some(start), Some(end), Some(step)] = args else {
        return false;
    };
    let (Some(start), Some(end), Some(step)) = (instant(start), instant(end), step_seconds(step))
    else {
        return false;
    };
    if step == 0.0 {
        return false;
    }
    let steps = ((end - start).num_seconds() as f64 / step).max(0.0);
    steps + 1.0 <= GUESSED_SERIES_ROWS
}

/// The first word of a scalar type's name, in lower case (`timestamp` for
/// `TIMESTAMP WITH TIME ZONE`); none for an array (`date[]`, a
/// written-out array cast so was taken for one date).
pub(super) fn scalar_type_word(data_type: &sqlparser::ast::DataType) -> Option<String> {
    let name = data_type.to_string().to_ascii_lowercase();
    if matches!(data_type, sqlparser::ast::DataType::Array(_))
        || name.contains(['[', '<'])
        || name.starts_with("array")
    {
        return None;
    }
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .map(str::to_owned)
}

/// A date or a timestamp written out (`date '2024-01-01'`,
/// `'2024-01-01 08:00'::timestamp`); none with a time zone or other forms.
fn instant(expr: &Expr) -> Option<chrono::NaiveDateTime> {
    let (data_type, text) = match expr {
        Expr::Nested(inner) => return instant(inner),
        Expr::TypedString(typed) => (
            &typed.data_type,
            match &typed.value.value {
                Value::SingleQuotedString(s) => s.as_str(),
                _ => return None,
            },
        ),
        Expr::Cast {
            expr, data_type, ..
        } => (data_type, text(Some(expr))?),
        _ => return None,
    };
    if !matches!(
        scalar_type_word(data_type).as_deref(),
        Some("date" | "timestamp")
    ) {
        return None;
    }
    let text = text.trim();
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok())
}

/// The seconds of an interval written out (`interval '1 day'`, `interval
/// '2' hour`, `'1 week'::interval`), a month at its shortest, 28 days, and a
/// year at 365. None unless every part has one sign: PostgreSQL orders
/// intervals counting a month as 30 days, so `1 month -29.99 days` goes up
/// there and counted here would go down (a series of a trillion
/// microseconds counted as one row); nor unless a part in months or years,
/// or one whose unit follows the literal (`INTERVAL '1.9' MINUTE`, cut to
/// whole minutes there), is a whole number.
fn step_seconds(expr: &Expr) -> Option<f64> {
    use sqlparser::ast::DateTimeField;
    let unit = |word: &str| -> Option<(f64, bool)> {
        // (seconds, counted in whole months)
        Some(match word.trim_end_matches('s') {
            "second" | "sec" => (1.0, false),
            "minute" | "min" => (60.0, false),
            "hour" | "hr" => (3_600.0, false),
            "day" => (86_400.0, false),
            "week" => (604_800.0, false),
            "month" | "mon" => (28.0 * 86_400.0, true),
            "year" | "yr" => (365.0 * 86_400.0, true),
            _ => return None,
        })
    };
    let part = |number: &str, word: &str, whole: bool| -> Option<f64> {
        let n = number.parse::<f64>().ok().filter(|n| n.is_finite())?;
        let (seconds, months) = unit(word)?;
        ((!whole && !months) || n.fract() == 0.0).then_some(n * seconds)
    };
    let parts: Vec<f64> = match expr {
        Expr::Nested(inner) => return step_seconds(inner),
        Expr::Interval(interval) => {
            let written = text(Some(&interval.value))?;
            match (&interval.leading_field, &interval.last_field) {
                (None, None) => spoken(written, &part)?,
                (Some(field), None) => {
                    let word = match field {
                        DateTimeField::Second => "second",
                        DateTimeField::Minute => "minute",
                        DateTimeField::Hour => "hour",
                        DateTimeField::Day => "day",
                        DateTimeField::Week(None) => "week",
                        DateTimeField::Month => "month",
                        DateTimeField::Year => "year",
                        _ => return None,
                    };
                    vec![part(written.trim(), word, true)?]
                }
                _ => return None,
            }
        }
        Expr::Cast {
            expr, data_type, ..
        } if scalar_type_word(data_type).as_deref() == Some("interval") => {
            spoken(text(Some(expr))?, &part)?
        }
        _ => return None,
    };
    let one_sign = parts.iter().all(|p| *p >= 0.0) || parts.iter().all(|p| *p <= 0.0);
    one_sign.then(|| parts.iter().sum())
}

/// The parts of an interval spoken as numbers and units ("1 day", "2 hours
/// 30 minutes", "-1 week"), each in seconds by `part`.
fn spoken(text: &str, part: &dyn Fn(&str, &str, bool) -> Option<f64>) -> Option<Vec<f64>> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    words
        .chunks(2)
        .map(|pair| part(&pair[0], &pair[1], false))
        .collect()
}
