//! How each column of a result is read from PostgreSQL: the query wrapped
//! so that no value is written out past what a cell shows, and each value
//! written as text into its cell.

use sqlx::{Row as _, ValueRef as _};

use super::super::*;

mod written;

use written::{
    bytea_into, date_into, fixed, float_into, json_text_into, micros_into, numeric_into,
};

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
    /// `json`: its text is what it stores.
    Json,
    /// `jsonb`: written out, a number of a few bytes stored can take
    /// 147,000 characters, a control character six.
    Jsonb,
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
            "JSON" => PgKind::Json,
            "JSONB" => PgKind::Jsonb,
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
    use chrono::NaiveTime;
    use std::fmt::Write as _;
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        *cell = None;
        return Ok(());
    }
    let out = cell.get_or_insert_with(String::new);
    out.clear();
    let decode_error = sqlx::Error::Decode;
    let mut int = itoa::Buffer::new();
    match kind {
        PgKind::Bool => out.push_str(if decoded::<bool>(raw)? {
            "true"
        } else {
            "false"
        }),
        PgKind::Int2 => out.push_str(int.format(decoded::<i16>(raw)?)),
        PgKind::Int4 => out.push_str(int.format(decoded::<i32>(raw)?)),
        PgKind::Int8 => out.push_str(int.format(decoded::<i64>(raw)?)),
        PgKind::Oid => out.push_str(int.format(decoded::<sqlx::postgres::types::Oid>(raw)?.0)),
        PgKind::Float4 => float_into(decoded::<f32>(raw)?, 6, out),
        PgKind::Float8 => float_into(decoded::<f64>(raw)?, 15, out),

        // Read from the server's own form, whose range (to the year
        // 5,874,897, and `infinity`) is wider than chrono's: decoded by
        // sqlx, such a date panicked.
        PgKind::Date => {
            let days = i32::from_be_bytes(fixed(raw.as_bytes().map_err(decode_error)?)?);
            date_into(days, out);
        }
        PgKind::Time => {
            let v = decoded::<NaiveTime>(raw)?;
            let _ = write!(out, "{v}");
        }
        PgKind::Timestamp | PgKind::Timestamptz => {
            let micros = i64::from_be_bytes(fixed(raw.as_bytes().map_err(decode_error)?)?);
            micros_into(micros, matches!(kind, PgKind::Timestamptz), out);
        }
        PgKind::Interval => {
            let v = decoded::<sqlx::postgres::types::PgInterval>(raw)?;
            let _ = write!(
                out,
                "{} months {} days {} µs",
                v.months, v.days, v.microseconds
            );
        }
        PgKind::Bytea => bytea_into(decoded::<&[u8]>(raw)?, out),
        PgKind::JsonText => json_text_into(decoded::<&str>(raw)?, out),
        PgKind::Uuid => {
            let v = decoded::<sqlx::types::Uuid>(raw)?;
            let _ = write!(out, "{v}");
        }
        // Received as the server keeps it (a few bytes for 1e131071, whose
        // text is 131,072 characters) and written here within a cell.
        PgKind::Numeric => numeric_into(raw.as_bytes().map_err(decode_error)?, out)
            .map_err(|e| sqlx::Error::Decode(e.into()))?,
        // Text, JSON and other types have no bound: `bounded_projection`
        // has them cut and sent as text, read here.
        PgKind::Text | PgKind::Json | PgKind::Jsonb | PgKind::Other => {
            let text = decoded::<&str>(raw)?;
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

/// `raw` decoded as a `T`, from the value already in hand: the column's
/// type was checked once, when its kind was chosen.
fn decoded<'r, T: sqlx::Decode<'r, sqlx::Postgres>>(
    raw: sqlx::postgres::PgValueRef<'r>,
) -> Result<T, sqlx::Error> {
    T::decode(raw).map_err(sqlx::Error::Decode)
}

/// What the values of one row may take read, in all, for their text to be
/// written out on the server; each column that needs a bound gets its share
/// (one row's texts are all held until the row is sent): 16 MiB read
/// write out in no more than some 160 MB (a control character in six, a
/// number bounded by [`jsonb_numbers_bounded`] in ten). Past its share, a
/// cell says what the value takes stored, and nothing is read.
const ROW_READ_BYTES: u64 = 16 * 1024 * 1024;

/// What the jsonb values of one row may take read, in all, for their text
/// to be written out, as measured (decompressed when within their share of
/// [`ROW_READ_BYTES`]): less than that, because each number of a document
/// is looked at first ([`jsonb_numbers_bounded`]), which takes more than
/// linear time in the numbers a document holds.
const ROW_JSONB_READ_BYTES: u64 = 1024 * 1024;

/// What a value of a type whose text is not bounded by what it reads (an
/// array of rows or documents, a row of plain fields) may take stored, in
/// all for a row, to be written out whole: 2 KiB of numbers 1e131071 write
/// out some 37 MB.
const ROW_STORED_BYTES: u64 = 2048;

/// The most `value` takes read, in bytes, in SQL, from what its pointer says
/// (nothing fetched or decompressed): its stored size, times the most its
/// compression shrinks a value (pglz writes 273 bytes in 3, a flag bit
/// each: 88 times; lz4 a byte for 255: 256 times); infinite for a
/// compression not known here.
pub(super) fn read_at_most(value: &str) -> String {
    format!(
        "(CASE WHEN pg_column_compression({value}) IS NULL THEN 1 \
         WHEN pg_column_compression({value}) = 'pglz' THEN 88 \
         WHEN pg_column_compression({value}) = 'lz4' THEN 256 \
         ELSE 'Infinity'::float8 END * pg_column_size({value})::float8)"
    )
}

/// Whether `value` is stored uncompressed in no more than `bytes`.
fn stored_small(value: &str, bytes: u64) -> String {
    format!("(pg_column_compression({value}) IS NULL AND pg_column_size({value}) <= {bytes})")
}

/// Whether `value` is read in no more than `bytes`.
fn read_within(value: &str, bytes: u64) -> String {
    format!("{} <= {bytes}", read_at_most(value))
}

/// What `value` holds read, in bytes, in SQL: what it takes stored when
/// uncompressed, else measured decompressed (a copy made, then another).
pub(super) fn held(value: &str) -> String {
    format!(
        "CASE WHEN pg_column_compression({value}) IS NULL THEN pg_column_size({value}) \
         ELSE pg_column_size(ROW({value})) END"
    )
}

/// What a cell shows of a value too large to write out, in SQL.
fn too_large(value: &str, type_name: &str) -> String {
    format!(
        "'[{} of ' || pg_size_pretty(pg_column_size({value})::bigint) || ' stored: too large to write out]'",
        type_words(type_name)
    )
}

/// What a cell shows of a value holding rows within rows, in SQL.
fn rows_within_rows(type_name: &str) -> String {
    format!(
        "'[{}: rows within rows, not written out]'",
        type_words(type_name)
    )
}

/// A type's name as a cell names it, within an SQL string.
fn type_words(type_name: &str) -> String {
    type_name.to_lowercase().replace('\'', "''")
}

/// Whether every number in the jsonb `value` writes out in a few dozen
/// characters: no more than 40 digits after the point, less than 10⁴⁰.
/// Past that, a number of a few bytes stored writes out in up to 147,000
/// characters.
/// Each number is read from the document as it is kept, never written.
fn jsonb_numbers_bounded(value: &str) -> String {
    numbers_bounded(&format!(
        "(SELECT n::numeric FROM jsonb_path_query({value}, \
         'strict $.** ? (@.type() == \"number\")') AS pstral_j(n))"
    ))
}

/// Whether every number of the numeric array `value` writes out short, as
/// [`jsonb_numbers_bounded`].
fn array_numbers_bounded(value: &str) -> String {
    numbers_bounded(&format!("unnest({value})"))
}

/// Whether every number `numbers` (a set of NUMERIC, in SQL) gives writes
/// out in a few dozen characters.
fn numbers_bounded(numbers: &str) -> String {
    format!(
        "NOT EXISTS (SELECT FROM {numbers} AS pstral_n(n) WHERE scale(n) > 40 OR abs(n) >= 1e40)"
    )
}

/// Element types whose text is short whatever the value (a few dozen
/// characters at most, four for a NULL kept in one bit).
fn fixed_width(type_name: &str) -> bool {
    matches!(
        type_name,
        "BOOL"
            | "INT2"
            | "INT4"
            | "INT8"
            | "OID"
            | "FLOAT4"
            | "FLOAT8"
            | "DATE"
            | "TIME"
            | "TIMETZ"
            | "TIMESTAMP"
            | "TIMESTAMPTZ"
            | "INTERVAL"
            | "UUID"
            | "MONEY"
            | "INET"
            | "CIDR"
            | "MACADDR"
            | "CHAR"
    )
}

/// Types whose text is their stored characters, escaped at most: a value
/// read within its share of [`ROW_READ_BYTES`] writes out in a few times
/// that.
fn text_like(type_name: &str) -> bool {
    matches!(
        type_name,
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CITEXT" | "UNKNOWN" | "JSON" | "XML"
    ) || matches!(
        type_name,
        "HSTORE" | "TSVECTOR" | "TSQUERY" | "BIT" | "VARBIT" | "BYTEA"
    )
}

/// What a column's values are made of, beyond its type's name: read from
/// the catalogue ([`shapes`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Shape {
    /// A value of one level: no rows inside (a base type, a range, an
    /// enum), or a row of such fields; for an array, its elements.
    Flat,
    /// A row of one level holding numbers, whose text may take 18,000
    /// times what they take stored.
    Numbers,
    /// Rows within rows, arrays or jsonb within rows, or a row the
    /// catalogue does not describe (a `record`): their text cannot be
    /// bounded by what they take stored, as each level doubles the quotes
    /// of the one inside.
    Nested,
}

/// Each column's [`Shape`], read from the catalogue for the types of the
/// statement's columns that [`bounded_projection`] weighs by it (arrays,
/// rows and other types it has no kind for; the others count as flat, and
/// when none is left nothing is asked); a column whose type the driver does
/// not give counts as nested.
pub(super) async fn shapes(
    conn: &mut sqlx::PgConnection,
    columns: &[Column],
    oids: &[Option<sqlx::postgres::types::Oid>],
) -> Result<Vec<Shape>, sqlx::Error> {
    let weighed = |c: &Column| matches!(PgKind::of(&c.type_name), PgKind::Other);
    if !columns.iter().any(weighed) {
        return Ok(vec![Shape::Flat; columns.len()]);
    }
    let known: Vec<i64> = oids.iter().flatten().map(|oid| i64::from(oid.0)).collect();
    // The type of the column, of its elements when it is an array, under
    // its domain when it has one; nested when that is a record, a row with
    // a field of such a type or of an array or jsonb, a multirange, an
    // array, or a domain of a domain; numbers when a row's field is one.
    // A range is read through to what it ranges over (a range of rows is
    // rows).
    let found: Vec<(i64, bool, bool)> = sqlx::query_as(
        "WITH deep AS (SELECT t.oid, \
             t.typtype IN ('c', 'p', 'm', 'd') OR t.typcategory = 'A' \
               OR t.typtype = 'r' AND EXISTS (SELECT FROM pg_range r \
                 JOIN pg_type s ON s.oid = r.rngsubtype WHERE r.rngtypid = t.oid \
                 AND (s.typtype IN ('c', 'p', 'm', 'd', 'r') OR s.typcategory = 'A' \
                      OR s.oid = 'jsonb'::regtype)) AS deep \
           FROM pg_type t), \
         f AS (SELECT a.attrelid, fb.typtype, fb.typcategory, \
             d.deep OR fb.oid = 'jsonb'::regtype AS deep \
           FROM pg_attribute a JOIN pg_type ft ON ft.oid = a.atttypid \
           JOIN pg_type fb ON fb.oid = CASE WHEN ft.typtype = 'd' THEN ft.typbasetype ELSE ft.oid END \
           JOIN deep d ON d.oid = fb.oid \
           WHERE a.attnum > 0 AND NOT a.attisdropped) \
         SELECT o.oid::int8, \
           e.typtype <> 'c' AND (SELECT d.deep FROM deep d WHERE d.oid = e.oid) \
             OR e.typtype = 'c' AND EXISTS (SELECT FROM f WHERE f.attrelid = e.typrelid \
               AND f.deep), \
           e.typtype = 'c' AND EXISTS (SELECT FROM f WHERE f.attrelid = e.typrelid \
               AND (f.typcategory = 'N' OR f.typtype = 'r')) \
         FROM unnest($1::int8[]) AS o(oid) \
         JOIN pg_type t ON t.oid = o.oid::oid \
         JOIN pg_type t0 ON t0.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 \
           THEN t.typelem ELSE t.oid END \
         JOIN pg_type e ON e.oid = CASE WHEN t0.typtype = 'd' THEN t0.typbasetype ELSE t0.oid END",
    )
    .bind(&known)
    .persistent(false)
    .fetch_all(conn)
    .await?;
    Ok(columns
        .iter()
        .zip(oids)
        .map(|(column, oid)| {
            if !weighed(column) {
                return Shape::Flat;
            }
            let found = oid.and_then(|oid| found.iter().find(|f| f.0 == i64::from(oid.0)));
            match found {
                Some((_, false, false)) => Shape::Flat,
                Some((_, false, true)) => Shape::Numbers,
                _ => Shape::Nested,
            }
        })
        .collect())
}

/// The query as it is sent, and how each column is read. A value of a type
/// without a bound (text, bytea, JSON, arrays, anything else) is cut on the
/// server to what a cell shows: the driver receives each row whole, so one
/// `repeat('x', 1e9)` would otherwise be a gigabyte in the bot. Nor is a
/// value written out on the server past a bound: its text may take
/// thousands of times what it takes stored (a number, an escaped
/// character, a NULL in an array, a row within a row), and the server
/// builds it whole before `left` cuts it; what a value takes is read from
/// its pointer first ([`read_at_most`]), and what a row's values take is
/// shared among its columns. A number is received as it is kept and
/// written in the bot ([`numeric_into`]). The query is wrapped in a
/// subquery for that (its text unchanged inside, each of its values
/// computed once), and left as it is when every column has a bounded type.
pub(super) fn bounded_projection(
    text: &str,
    columns: &[Column],
    shapes: &[Shape],
) -> (String, Vec<PgKind>) {
    let kinds: Vec<PgKind> = columns.iter().map(|c| PgKind::of(&c.type_name)).collect();
    let unbounded = |k: PgKind| {
        matches!(
            k,
            PgKind::Text | PgKind::Json | PgKind::Jsonb | PgKind::Bytea | PgKind::Other
        )
    };
    if columns.is_empty() || !kinds.iter().copied().any(unbounded) {
        return (text.to_owned(), kinds);
    }
    // Each column's share of what a row may read and keep stored.
    let share = columns.len() as u64;
    let share = Share {
        read: ROW_READ_BYTES / share,
        jsonb: ROW_JSONB_READ_BYTES / share,
        stored: (ROW_STORED_BYTES / share).max(64),
    };
    let mut projection = Vec::with_capacity(columns.len());
    let mut kinds_read = Vec::with_capacity(columns.len());
    for (i, (column, kind)) in columns.iter().zip(&kinds).enumerate() {
        let name = format!("\"{}\"", column.name.replace('"', "\"\""));
        let value = format!("pstral_q.c{i}");
        let shape = shapes.get(i).copied().unwrap_or(Shape::Nested);
        let (expr, kind) = column_read(value, *kind, &column.type_name, shape, share);
        projection.push(format!("{expr} AS {name}"));
        kinds_read.push(kind);
    }
    let aliases: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
    // The query on lines of its own: a trailing `--` comment ends there.
    // `OFFSET 0` keeps the planner from copying a computed column into each
    // place the projection names it.
    (
        format!(
            "SELECT {} FROM (SELECT * FROM (\n{text}\n) AS pstral_i OFFSET 0) AS pstral_q({})",
            projection.join(", "),
            aliases.join(", ")
        ),
        kinds_read,
    )
}

/// A column's share of what one row may take: read ([`ROW_READ_BYTES`]),
/// read of its jsonb ([`ROW_JSONB_READ_BYTES`]), and kept stored
/// ([`ROW_STORED_BYTES`], 64 bytes at least).
#[derive(Debug, Clone, Copy)]
struct Share {
    read: u64,
    jsonb: u64,
    stored: u64,
}

/// How the column `value` (of type `type_name`, of kind `kind`, made as
/// `shape` says) is sent, in SQL, within its `share`, and the kind its
/// cells are read as then.
fn column_read(
    value: String,
    kind: PgKind,
    type_name: &str,
    shape: Shape,
    share: Share,
) -> (String, PgKind) {
    let cut = MAX_CELL_CHARS + 1;
    match kind {
        PgKind::Bytea => (
            format!("substring({value} from 1 for {})", MAX_CELL_CHARS / 2 + 1),
            PgKind::Bytea,
        ),
        PgKind::Json => (
            format!(
                "CASE WHEN {} THEN left({value}::text, {cut}) ELSE {} END",
                read_within(&value, share.read),
                too_large(&value, type_name)
            ),
            PgKind::JsonText,
        ),
        // Each test in its turn (a CASE keeps the order): what its
        // pointer says, what it holds decompressed, its numbers.
        PgKind::Jsonb => (
            format!(
                "CASE WHEN NOT ({}) THEN {too_large} \
                 WHEN {} > {} THEN {too_large} \
                 WHEN {} THEN left({value}::text, {cut}) ELSE {too_large} END",
                read_within(&value, share.read),
                held(&value),
                share.jsonb,
                jsonb_numbers_bounded(&value),
                too_large = too_large(&value, type_name)
            ),
            PgKind::JsonText,
        ),
        _ if type_name.ends_with("[]") => (
            array_cell(&value, type_name, shape, share.read, share.stored),
            PgKind::Text,
        ),
        // CHAR(n) keeps its padding: cast to text it would lose it.
        PgKind::Text if matches!(type_name, "BPCHAR" | "CHAR") => (
            format!(
                "CASE WHEN octet_length({value}) <= {cut} THEN {value} ELSE left({value}, {cut})::bpchar END"
            ),
            PgKind::Text,
        ),
        // Its text is what it stores, cut from its start (nothing
        // more is fetched or decompressed).
        PgKind::Text => (format!("left({value}::text, {cut})"), PgKind::Text),
        PgKind::Other => (other_cell(&value, type_name, shape, share), PgKind::Text),
        k => (value, k),
    }
}

/// The cell of a value of a type the bot has no kind for, in SQL: rows
/// within rows are not written out; a text-like value is cut past what it
/// may read.
fn other_cell(value: &str, type_name: &str, shape: Shape, share: Share) -> String {
    let cut = MAX_CELL_CHARS + 1;
    match (shape, text_like(type_name)) {
        (Shape::Nested, _) => rows_within_rows(type_name),
        (_, true) => format!(
            "CASE WHEN {} THEN left({value}::text, {cut}) ELSE {} END",
            read_within(value, share.read),
            too_large(value, type_name)
        ),
        // A row of plain fields, a range, a type of an
        // extension: what it holds writes out in a few times
        // what it reads, a row's fields possibly kept
        // compressed inside it (taken for 256 times
        // what it takes); a row of numbers in up to 18,000
        // times what it takes.
        (shape, false) => {
            let kept = match shape {
                Shape::Numbers => share.stored / 8,
                _ => share.stored * 4,
            };
            format!(
                "CASE WHEN pg_column_size({value}) <= {kept} AND {} <= {} \
                 THEN left({value}::text, {cut}) ELSE {} END",
                read_at_most(value),
                kept * 256,
                too_large(value, type_name),
            )
        }
    }
}

/// An array's cell, in SQL. Past `read` bytes read, said too large; written
/// out whole when it has no more elements than a cell shows characters,
/// each of which writes out short (fixed-width or text-like elements,
/// numbers that are short), or when it is stored small; otherwise element
/// by element, each cut, the first that many only, after the array's
/// bounds (an element NULL takes one bit stored and five characters
/// written, and each `"` of an element is written `\"`, so a few megabytes
/// stored may write out a gigabyte). The cut cell shows
/// `[1:50000000]={NULL,NULL,…`. An array of rows within rows is not
/// written out.
fn array_cell(value: &str, type_name: &str, shape: Shape, read: u64, stored: u64) -> String {
    let cut = MAX_CELL_CHARS + 1;
    let element = type_name.trim_end_matches("[]");
    let plain = fixed_width(element) || text_like(element) || element == "NUMERIC";
    if shape == Shape::Nested && !plain {
        return rows_within_rows(type_name);
    }
    let whole = match element {
        e if fixed_width(e) || text_like(e) => format!("cardinality({value}) <= {cut}"),
        "NUMERIC" => format!(
            "cardinality({value}) <= {cut} AND {}",
            array_numbers_bounded(value)
        ),
        _ => stored_small(value, stored),
    };
    let each = match element {
        e if fixed_width(e) => "pstral_e".to_owned(),
        _ if plain => format!("left(pstral_e::text, {cut})"),
        _ => format!(
            "CASE WHEN {} THEN left(pstral_e::text, {cut}) ELSE '[too large to write out]' END",
            stored_small("pstral_e", ROW_STORED_BYTES)
        ),
    };
    format!(
        "CASE WHEN NOT ({read}) THEN {too_large} \
         WHEN {whole} THEN left({value}::text, {cut}) \
         ELSE left(array_dims({value}) || '=' || (SELECT array_agg({each}) \
         FROM (SELECT unnest({value}) AS pstral_e LIMIT {cut}) AS pstral_f)::text, {cut}) END",
        read = read_within(value, read),
        too_large = too_large(value, type_name),
    )
}
