//! How a value received from PostgreSQL is written as text in the bot,
//! as PostgreSQL writes it: numbers from their binary form (scientific past
//! a cell), dates and timestamps past any calendar library's years, floats,
//! JSON without the spaces between its tokens.

use super::super::super::*;

/// A float as PostgreSQL writes it: its shortest exact digits, in
/// scientific notation (`1e+300`, `1.5e-05`) when its power of ten is
/// below -4 or from `digits` up (15 for a double, 6 for a real), and
/// `Infinity`, `-Infinity`, `NaN`. Written in `out` as Rust writes it in
/// scientific notation (`1e300`), then rewritten in place: nothing is
/// allocated for a cell.
pub(super) fn float_into<F>(value: F, digits: i32, out: &mut String)
where
    F: Copy + Into<f64> + std::fmt::Display + std::fmt::LowerExp,
{
    use std::fmt::Write as _;
    let number: f64 = value.into();
    if number.is_nan() {
        return out.push_str("NaN");
    }
    if number.is_infinite() {
        return out.push_str(if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
    }
    let start = out.len();
    let _ = write!(out, "{value:e}");
    let Some(e) = out[start..].find('e').map(|e| start + e) else {
        return;
    };
    let power: i32 = out[e + 1..].parse().unwrap_or(0);
    if number == 0.0 || (-4..digits).contains(&power) {
        out.truncate(start);
        let _ = write!(out, "{value}");
    } else {
        out.truncate(e + 1);
        out.push(if power < 0 { '-' } else { '+' });
        let power = power.unsigned_abs();
        if power < 10 {
            out.push('0');
        }
        let _ = write!(out, "{power}");
    }
}

/// A value of a fixed width, as received.
pub(super) fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], sqlx::Error> {
    bytes.try_into().map_err(|_| {
        sqlx::Error::Decode(format!("a value of {} bytes, not {N}", bytes.len()).into())
    })
}

/// The days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const EPOCH_DAYS: i64 = 10_957;

/// A date, as days since 2000-01-01, written `YYYY-MM-DD`, or `infinity`.
pub(super) fn date_into(days: i32, out: &mut String) {
    use std::fmt::Write as _;
    match days {
        i32::MAX => out.push_str("infinity"),
        i32::MIN => out.push_str("-infinity"),
        days => {
            let (year, month, day) = civil(i64::from(days) + EPOCH_DAYS);
            // As chrono writes a year before 1 (44 BC is -0043): the sign
            // is no digit.
            let sign = if year < 0 { "-" } else { "" };
            let _ = write!(out, "{sign}{:04}-{month:02}-{day:02}", year.unsigned_abs());
        }
    }
}

/// A timestamp, as microseconds since 2000-01-01 00:00 (UTC with `utc`),
/// written as [`timestamp_into`] writes it, or `infinity`; past chrono's
/// years (262,143 on, which PostgreSQL keeps to 294,276) from the
/// calendar alone.
pub(super) fn micros_into(micros: i64, utc: bool, out: &mut String) {
    use std::fmt::Write as _;
    match micros {
        i64::MAX => return out.push_str("infinity"),
        i64::MIN => return out.push_str("-infinity"),
        _ => {}
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("2000-01-01 is a date");
    if let Some(t) = epoch.checked_add_signed(chrono::TimeDelta::microseconds(micros)) {
        return timestamp_into(t, utc, out);
    }
    const DAY: i64 = 86_400_000_000;
    let (year, month, day) = civil(micros.div_euclid(DAY) + EPOCH_DAYS);
    let of_day = micros.rem_euclid(DAY);
    let seconds = of_day / 1_000_000;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}{}{:02}:{:02}:{:02}",
        if utc { 'T' } else { ' ' },
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    let fraction = of_day % 1_000_000;
    if fraction > 0 {
        let digits = format!("{fraction:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    if utc {
        out.push('Z');
    }
}

/// The year, month and day of a count of days since 1970-01-01, in the
/// proleptic Gregorian calendar, for any count (H. Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let of_era = z.rem_euclid(146_097);
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * of_year + 2) / 153;
    let day = (of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A bytea's bytes as upper-case hex. Longer values were cut on the server
/// (`bounded_projection`): their length is not known here.
pub(super) fn bytea_into(bytes: &[u8], out: &mut String) {
    *out = if bytes.len() > MAX_CELL_CHARS / 2 {
        let mut text = hex::encode_upper(&bytes[..MAX_CELL_CHARS / 2]);
        text.push_str("…[truncated]");
        text
    } else {
        hex_cell(bytes)
    };
}

/// JSON received as text, written compactly, its numbers and keys as the
/// server wrote them (parsed, a number of more than 17 digits would come
/// back rounded); a value cut on the server is shown as the text it is,
/// as is a value too large to write out.
pub(super) fn json_text_into(text: &str, out: &mut String) {
    let whole =
        text.len() <= MAX_CELL_CHARS && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    match whole {
        true => compact_json_into(text, out),
        false => *out = truncate_str(text),
    }
}

/// JSON text without the spaces between its tokens: strings, numbers and
/// the order of keys exactly as written.
pub(super) fn compact_json_into(text: &str, out: &mut String) {
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        out.push(c);
    }
}

/// Writes a NUMERIC received in PostgreSQL's binary form (its digits in
/// base 10,000, the weight of the first, the sign, the digits shown after
/// the point) as PostgreSQL writes it, when that fits in a cell; otherwise
/// in scientific notation (`1e+131071`), its significant digits cut to the
/// cell and marked `…` where cut. Never more than a cell is written.
pub(super) fn numeric_into(bytes: &[u8], out: &mut String) -> Result<(), &'static str> {
    let number = Numeric::read(bytes)?;
    let special = match number.sign {
        0x0000 | 0x4000 => None,
        0xC000 => Some("NaN"),
        0xD000 => Some("Infinity"),
        0xF000 => Some("-Infinity"),
        _ => return Err("a NUMERIC of an unknown sign"),
    };
    if let Some(special) = special {
        out.push_str(special);
        return Ok(());
    }
    let (count, weight, scale) = (number.count, number.weight, number.scale);
    if (0..count).any(|i| number.digit(i) > 9999) {
        return Err("a NUMERIC digit past 9999");
    }
    let negative = number.sign == 0x4000 && count > 0;
    let whole_len = match count {
        1.. if weight >= 0 => decimal_len(number.digit(0)) + 4 * weight as usize,
        _ => 1,
    };
    let length = usize::from(negative) + whole_len + if scale > 0 { 1 + scale } else { 0 };
    if negative {
        out.push('-');
    }
    if length <= MAX_CELL_CHARS {
        number.positional_into(out);
    } else {
        number.scientific_into(out);
    }
    Ok(())
}

/// A NUMERIC in PostgreSQL's binary form, its digits read where they lie,
/// not gathered: a number is written for every cell of a column, a million
/// in an export.
struct Numeric<'a> {
    /// Its digits in base 10,000, two bytes each.
    digits: &'a [u8],
    count: usize,
    /// The power of 10,000 the first digit is worth.
    weight: i64,
    sign: u16,
    /// The digits shown after the point.
    scale: usize,
}

impl<'a> Numeric<'a> {
    /// `bytes` read: the header, then as many digits as it says.
    fn read(bytes: &'a [u8]) -> Result<Self, &'static str> {
        let word = |at: usize| -> Result<u16, &'static str> {
            bytes
                .get(at..at + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or("a NUMERIC shorter than its header says")
        };
        let count = word(0)? as usize;
        let weight = i64::from(word(2)? as i16);
        let sign = word(4)?;
        let scale = word(6)? as usize;
        let digits = bytes
            .get(8..8 + 2 * count)
            .ok_or("a NUMERIC shorter than its header says")?;
        Ok(Self {
            digits,
            count,
            weight,
            sign,
            scale,
        })
    }

    /// Its `i`th digit, in base 10,000.
    fn digit(&self, i: usize) -> u16 {
        u16::from_be_bytes([self.digits[2 * i], self.digits[2 * i + 1]])
    }

    /// The group of four decimal digits worth 10,000^position.
    fn group(&self, position: i64) -> u16 {
        usize::try_from(self.weight - position)
            .ok()
            .filter(|&i| i < self.count)
            .map_or(0, |i| self.digit(i))
    }

    /// Written as PostgreSQL writes it: the whole part, then `scale` digits.
    fn positional_into(&self, out: &mut String) {
        use std::fmt::Write as _;
        if self.weight < 0 || self.count == 0 {
            out.push('0');
        } else {
            let mut four = itoa::Buffer::new();
            out.push_str(four.format(self.group(self.weight)));
            for position in (0..self.weight).rev() {
                let _ = write!(out, "{:04}", self.group(position));
            }
        }
        if self.scale > 0 {
            out.push('.');
            let mut written = 0;
            let mut position = -1;
            while written < self.scale {
                // The first `take` of the group's four digits.
                let take = (self.scale - written).min(4);
                let shown = self.group(position) / 10u16.pow(4 - take as u32);
                let _ = write!(out, "{shown:0take$}");
                written += take;
                position -= 1;
            }
        }
    }

    /// Written in scientific notation: the significant digits, cut to what
    /// is left of the cell, then the first one's power of ten.
    fn scientific_into(&self, out: &mut String) {
        use std::fmt::Write as _;
        if self.count == 0 {
            out.push('0');
            return;
        }
        let first = self.digit(0);
        let mut significant = first.to_string();
        for i in 1..self.count {
            let _ = write!(significant, "{:04}", self.digit(i));
        }
        let exponent = 4 * self.weight + decimal_len(first) as i64 - 1;
        let significant = significant.trim_end_matches('0');
        let room = MAX_CELL_CHARS.saturating_sub(out.len() + 30);
        out.push_str(&significant[..1]);
        if significant.len() > 1 {
            out.push('.');
            match significant.len() - 1 > room {
                true => {
                    out.push_str(&significant[1..=room]);
                    out.push('…');
                }
                false => out.push_str(&significant[1..]),
            }
        }
        let _ = write!(out, "e{exponent:+}");
    }
}

/// How many decimal digits the base-10,000 digit `d` writes, leading ones
/// left out.
fn decimal_len(d: u16) -> usize {
    if d >= 1000 {
        4
    } else if d >= 100 {
        3
    } else if d >= 10 {
        2
    } else {
        1
    }
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, or with `utc` the RFC 3339 form
/// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`; written by hand because a million of
/// them through a format string cost more than the query.
#[cfg(test)]
fn timestamp_text(t: chrono::NaiveDateTime, utc: bool) -> String {
    let mut s = String::new();
    timestamp_into(t, utc, &mut s);
    s
}

/// [`timestamp_text`], written at the end of `s`.
pub(super) fn timestamp_into(t: chrono::NaiveDateTime, utc: bool, s: &mut String) {
    use chrono::{Datelike, Timelike};
    // Digits written in place: no allocation per field.
    let num = |s: &mut String, n: u32, width: usize| {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        for _ in digits.len()..width {
            s.push('0');
        }
        s.push_str(digits);
    };
    let year = t.year();
    if !(0..=9999).contains(&year) {
        let text = if utc {
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        } else {
            t.format("%Y-%m-%d %H:%M:%S%.f").to_string()
        };
        // chrono marks a year past 9999 with `+`, which PostgreSQL does
        // not.
        s.push_str(text.strip_prefix('+').unwrap_or(&text));
        return;
    }
    num(s, year as u32, 4);
    s.push('-');
    num(s, t.month(), 2);
    s.push('-');
    num(s, t.day(), 2);
    s.push(if utc { 'T' } else { ' ' });
    num(s, t.hour(), 2);
    s.push(':');
    num(s, t.minute(), 2);
    s.push(':');
    num(s, t.second(), 2);
    let micros = t.nanosecond() / 1000;
    if micros > 0 {
        s.push('.');
        num(s, micros, 6);
        // At least one of the six digits is not 0.
        while s.ends_with('0') {
            s.pop();
        }
    }
    if utc {
        s.push('Z');
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_CELL_CHARS, compact_json_into, micros_into, numeric_into, timestamp_text};

    #[test]
    fn floats_are_written_as_postgresql_writes_them() {
        let written = |v: f64| {
            let mut out = String::new();
            super::float_into(v, 15, &mut out);
            out
        };
        let cases = [
            (0.1, "0.1"),
            (-0.0, "-0"),
            (1e300, "1e+300"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456789012345.0, "123456789012345"),
            (1234567890123456.0, "1.234567890123456e+15"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(written(value), expected, "{value:e}");
        }
    }

    #[test]
    fn json_loses_only_the_spaces_between_its_tokens() {
        let mut out = String::new();
        compact_json_into(
            r#"{"a b": [1.50, 123456789012345678901], "q": "say \"x , y\" \\", "e": {}}"#,
            &mut out,
        );
        assert_eq!(
            out,
            r#"{"a b":[1.50,123456789012345678901],"q":"say \"x , y\" \\","e":{}}"#
        );
    }

    #[test]
    fn timestamps_past_chronos_calendar_are_written_from_the_calendar() {
        let written = |micros: i64, utc: bool| {
            let mut out = String::new();
            micros_into(micros, utc, &mut out);
            out
        };
        assert_eq!(written(i64::MAX, false), "infinity");
        assert_eq!(written(i64::MIN, true), "-infinity");
        assert_eq!(written(0, true), "2000-01-01T00:00:00Z");
        // The last microsecond PostgreSQL keeps.
        assert_eq!(
            written(9_223_371_331_199_999_999, false),
            "294276-12-31 23:59:59.999999"
        );
    }

    /// PostgreSQL's binary NUMERIC: digits in base 10,000.
    fn numeric(weight: i16, sign: u16, scale: u16, digits: &[u16]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend((digits.len() as u16).to_be_bytes());
        bytes.extend(weight.to_be_bytes());
        bytes.extend(sign.to_be_bytes());
        bytes.extend(scale.to_be_bytes());
        for d in digits {
            bytes.extend(d.to_be_bytes());
        }
        bytes
    }

    fn written(bytes: &[u8]) -> String {
        let mut out = String::new();
        numeric_into(bytes, &mut out).unwrap();
        out
    }

    #[test]
    fn numbers_are_written_as_postgresql_writes_them_when_they_fit_a_cell() {
        let cases: [(Vec<u8>, &str); 9] = [
            (numeric(0, 0, 2, &[1234, 5600]), "1234.56"),
            (numeric(-1, 0, 3, &[10]), "0.001"),
            (numeric(0, 0x4000, 0, &[5]), "-5"),
            (numeric(0, 0, 2, &[]), "0.00"),
            (numeric(1, 0, 0, &[1]), "10000"),
            (numeric(2, 0, 1, &[12, 0, 7]), "1200000007.0"),
            (numeric(-3, 0x4000, 9, &[2000]), "-0.000000002"),
            (numeric(0, 0xC000, 0, &[]), "NaN"),
            (numeric(0, 0xF000, 0, &[]), "-Infinity"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(written(&bytes), expected);
        }
    }

    #[test]
    fn a_number_longer_than_a_cell_is_written_in_scientific_notation_within_it() {
        // A few bytes stored, 131,072 digits written out.
        assert_eq!(written(&numeric(32767, 0, 0, &[1000])), "1e+131071");
        assert_eq!(written(&numeric(-4096, 0x4000, 16383, &[10])), "-1e-16383");
        assert_eq!(written(&numeric(1500, 0, 0, &[12, 3400])), "1.234e+6001");
        // Zero shown to 16,383 places.
        assert_eq!(written(&numeric(0, 0, 16383, &[])), "0");
        // More significant digits than a cell holds: cut, and said so.
        let many = numeric(1200, 0, 0, &[1234; 1201]);
        let text = written(&many);
        assert!(text.chars().count() <= MAX_CELL_CHARS, "{}", text.len());
        assert!(
            text.starts_with("1.2341234") && text.ends_with("…e+4803"),
            "{text}"
        );
    }

    #[test]
    fn a_malformed_number_is_an_error_not_a_panic() {
        let mut out = String::new();
        assert!(numeric_into(&[0, 2, 0, 0], &mut out).is_err());
        assert!(numeric_into(&numeric(0, 0, 0, &[10000]), &mut out).is_err());
        assert!(numeric_into(&numeric(0, 0x1234, 0, &[1]), &mut out).is_err());
    }

    #[test]
    fn timestamps_are_written_as_postgresql_writes_them() {
        let at =
            |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        let cases = [
            ("2025-01-01 00:00:01", false, "2025-01-01 00:00:01"),
            (
                "2025-01-01 00:00:01.120000",
                false,
                "2025-01-01 00:00:01.12",
            ),
            (
                "0999-12-31 23:59:59.000005",
                false,
                "0999-12-31 23:59:59.000005",
            ),
            ("2025-06-09 08:07:06.5", true, "2025-06-09T08:07:06.5Z"),
            ("2025-06-09 08:07:06", true, "2025-06-09T08:07:06Z"),
        ];
        for (given, utc, expected) in cases {
            assert_eq!(timestamp_text(at(given), utc), expected, "{given}");
        }
    }
}
