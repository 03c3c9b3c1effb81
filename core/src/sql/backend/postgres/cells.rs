//! How each column of a result is read from PostgreSQL: the query wrapped
//! so that no value is written out past what a cell shows, and each value
//! written as text into its cell.

use sqlx::{Row as _, ValueRef as _};

use super::super::*;

/// How a PostgreSQL column is rendered, chosen once per query rather than
/// looked up by type name for every cell.
#[derive(Debug, Clone, Copy)]
pub(super) enum PgKind {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Interval,
    Bytea,
    Json,
    /// JSON received as text (cut on the server, see `bounded_projection`).
    JsonText,
    Uuid,
    Text,
    Other,
}

impl PgKind {
    fn of(type_name: &str) -> Self {
        match type_name {
            "BOOL" => PgKind::Bool,
            "INT2" => PgKind::Int2,
            "INT4" => PgKind::Int4,
            "INT8" => PgKind::Int8,
            "OID" => PgKind::Oid,
            "FLOAT4" => PgKind::Float4,
            "FLOAT8" => PgKind::Float8,
            "NUMERIC" => PgKind::Numeric,
            "DATE" => PgKind::Date,
            "TIME" => PgKind::Time,
            "TIMESTAMP" => PgKind::Timestamp,
            "TIMESTAMPTZ" => PgKind::Timestamptz,
            "INTERVAL" => PgKind::Interval,
            "BYTEA" => PgKind::Bytea,
            "JSON" | "JSONB" => PgKind::Json,
            "UUID" => PgKind::Uuid,
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "CITEXT" | "UNKNOWN" => PgKind::Text,
            _ => PgKind::Other,
        }
    }
}

/// Writes a value as text into `cell`, reusing its buffer.
pub(super) fn pg_cell_into(
    row: &sqlx::postgres::PgRow,
    i: usize,
    kind: PgKind,
    cell: &mut Cell,
) -> Result<(), sqlx::Error> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    use sqlx::Decode;
    use std::fmt::Write as _;
    type Pg = sqlx::Postgres;
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        *cell = None;
        return Ok(());
    }
    let out = cell.get_or_insert_with(String::new);
    out.clear();
    // Decoded from the value already in hand: the column's type was checked
    // once, when its kind was chosen.
    let decode_error = sqlx::Error::Decode;
    let mut int = itoa::Buffer::new();
    match kind {
        PgKind::Bool => {
            let b = <bool as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            out.push_str(if b { "true" } else { "false" });
        }
        PgKind::Int2 => {
            out.push_str(int.format(<i16 as Decode<Pg>>::decode(raw).map_err(decode_error)?))
        }
        PgKind::Int4 => {
            out.push_str(int.format(<i32 as Decode<Pg>>::decode(raw).map_err(decode_error)?))
        }
        PgKind::Int8 => {
            out.push_str(int.format(<i64 as Decode<Pg>>::decode(raw).map_err(decode_error)?))
        }
        PgKind::Oid => out.push_str(
            int.format(
                <sqlx::postgres::types::Oid as Decode<Pg>>::decode(raw)
                    .map_err(decode_error)?
                    .0,
            ),
        ),
        PgKind::Float4 => {
            let v = <f32 as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            let _ = write!(out, "{v}");
        }
        PgKind::Float8 => {
            let v = <f64 as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            let _ = write!(out, "{v}");
        }

        PgKind::Date => {
            let v = <NaiveDate as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            let _ = write!(out, "{v}");
        }
        PgKind::Time => {
            let v = <NaiveTime as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            let _ = write!(out, "{v}");
        }
        PgKind::Timestamp => {
            let t = <NaiveDateTime as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            timestamp_into(t, false, out);
        }
        PgKind::Timestamptz => {
            let t = <DateTime<Utc> as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            timestamp_into(t.naive_utc(), true, out);
        }
        PgKind::Interval => {
            let v = <sqlx::postgres::types::PgInterval as Decode<Pg>>::decode(raw)
                .map_err(decode_error)?;
            let _ = write!(
                out,
                "{} months {} days {} µs",
                v.months, v.days, v.microseconds
            );
        }
        PgKind::Bytea => {
            let bytes = <&[u8] as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            // Longer values were cut on the server (`bounded_projection`):
            // their length is not known here.
            *out = if bytes.len() > MAX_CELL_CHARS / 2 {
                let mut text = hex::encode_upper(&bytes[..MAX_CELL_CHARS / 2]);
                text.push_str("…[truncated]");
                text
            } else {
                hex_cell(bytes)
            };
        }
        PgKind::JsonText => {
            let text = <&str as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            // Written compactly, as a JSON value is; a value cut on the
            // server is no longer JSON and is shown as the text it is.
            *out = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) if text.len() <= MAX_CELL_CHARS => value.to_string(),
                _ => truncate_str(text),
            };
        }
        PgKind::Uuid => {
            let v = <sqlx::types::Uuid as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            let _ = write!(out, "{v}");
        }
        // NUMERIC, JSON and other types have no bound: `bounded_projection`
        // has them cut and sent as text, read here.
        PgKind::Text | PgKind::Numeric | PgKind::Json | PgKind::Other => {
            let text = <&str as Decode<Pg>>::decode(raw).map_err(decode_error)?;
            // Bytes bound characters: only a long text is counted.
            if text.len() > MAX_CELL_CHARS {
                *out = truncate_str(text);
            } else {
                out.push_str(text);
            }
        }
    }
    Ok(())
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
fn timestamp_into(t: chrono::NaiveDateTime, utc: bool, s: &mut String) {
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
        s.push_str(&text);
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

/// The query as it is sent, and how each column is read. A value of a type
/// without a bound (text, bytea, JSON, arrays, anything else) is cut on the
/// server to what a cell shows: the driver receives each row whole, so one
/// `repeat('x', 1e9)` would otherwise be a gigabyte in the bot. The query is
/// wrapped in a subquery for that (its text unchanged inside), and left as
/// it is when every column has a bounded type.
pub(super) fn bounded_projection(text: &str, columns: &[Column]) -> (String, Vec<PgKind>) {
    let kinds: Vec<PgKind> = columns.iter().map(|c| PgKind::of(&c.type_name)).collect();
    let unbounded = |k: PgKind| {
        matches!(
            k,
            PgKind::Text | PgKind::Json | PgKind::Bytea | PgKind::Numeric | PgKind::Other
        )
    };
    if columns.is_empty() || !kinds.iter().copied().any(unbounded) {
        return (text.to_owned(), kinds);
    }
    let cut = MAX_CELL_CHARS + 1;
    let mut projection = Vec::with_capacity(columns.len());
    let mut read = Vec::with_capacity(columns.len());
    for (i, (column, kind)) in columns.iter().zip(&kinds).enumerate() {
        let name = format!("\"{}\"", column.name.replace('"', "\"\""));
        let value = format!("pstral_q.c{i}");
        let (expr, kind) = match kind {
            PgKind::Bytea => (
                format!("substring({value} from 1 for {})", MAX_CELL_CHARS / 2 + 1),
                PgKind::Bytea,
            ),
            PgKind::Json => (format!("left({value}::text, {cut})"), PgKind::JsonText),
            // An array is written out whole before `left` cuts it, and an
            // element may take far more written than stored (an array of
            // 50 million NULLs, one bit each stored, took a backend to
            // 1,840 MiB): past as many elements as a cell shows characters,
            // only that many are written, after the array's bounds. The
            // cut cell shows `[1:50000000]={NULL,NULL,…`.
            _ if column.type_name.ends_with("[]") => (
                format!(
                    "CASE WHEN cardinality({value}) <= {cut} THEN left({value}::text, {cut}) \
                     ELSE left(array_dims({value}) || '=' || (SELECT array_agg(pstral_e) \
                     FROM (SELECT unnest({value}) AS pstral_e LIMIT {cut}) AS pstral_f)::text, \
                     {cut}) END"
                ),
                PgKind::Text,
            ),
            // CHAR(n) keeps its padding: cast to text it would lose it.
            PgKind::Text if matches!(column.type_name.as_str(), "BPCHAR" | "CHAR") => (
                format!(
                    "CASE WHEN octet_length({value}) <= {cut} THEN {value} ELSE left({value}, {cut})::bpchar END"
                ),
                PgKind::Text,
            ),
            k if unbounded(*k) => (format!("left({value}::text, {cut})"), PgKind::Text),
            k => (value, *k),
        };
        projection.push(format!("{expr} AS {name}"));
        read.push(kind);
    }
    let aliases: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
    // The query on lines of its own: a trailing `--` comment ends there.
    (
        format!(
            "SELECT {} FROM (\n{text}\n) AS pstral_q({})",
            projection.join(", "),
            aliases.join(", ")
        ),
        read,
    )
}

#[cfg(test)]
mod tests {
    use super::timestamp_text;

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
