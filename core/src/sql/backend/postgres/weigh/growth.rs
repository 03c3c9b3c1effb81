//! What one row builds of the values it reads (a recursion that adds them
//! to its own value, several copies of one, a value split into pieces or
//! parsed), weighed on the longest value each column read may hold.

use std::collections::HashMap;

use super::*;
use crate::sql::validate::Reach;

/// What one row may build of the values it reads, for a recursion that
/// adds them to its own value (`Cost::grows_by_reading`), a row that
/// builds several copies of one (`Cost::built_copies`) or splits one
/// into pieces (`Cost::split_working`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Growth {
    /// The longest value a read column may hold, in bytes.
    longest: f64,
    /// Why, as the refusal says it.
    why: Why,
    /// What one row builds, in copies of the longest value it reads.
    weight: f64,
}

/// The most memory the backend may take to build one row's copies of the
/// values it reads: each `||` of a chain is a new value, and all of them
/// live until the row is done, so `k` copies of a value of `L` bytes take
/// about `k (k + 1) / 2 × L`; a split takes its working memory on top
/// (`Cost::split_working`).
pub(super) const ROW_COPIES_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// The longest value a statement may parse as another type: the error on
/// one it cannot parse quotes it whole, and the driver holds the message
/// (about twice, as it receives it) before the bot cuts it to what it
/// shows.
pub(super) const QUOTED_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// Why a statement's read values are weighed (see [`Growth`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Why {
    /// A recursion adds them to its own value at every step.
    Recursion,
    /// A row builds copies of them, or splits them.
    Builds,
    /// It parses them as another type, and an error quotes one whole.
    Quotes,
}

/// The weighing a statement needs of the values it reads, if any: a
/// recursion that grows by them may read none longer than a row keeps in
/// place ([`IN_ROW_BYTES`]); a row of `k >= 2` copies, or one that splits
/// values, none longer than [`ROW_COPIES_BYTES`] over what it builds:
/// `k (k + 1) / 2` plus the splits' working memory.
pub(super) fn growths(query: &Validated) -> Vec<Growth> {
    let k = query.cost.built_copies as f64;
    let chained = if query.cost.built_copies >= 2 {
        k * (k + 1.0) / 2.0
    } else {
        0.0
    };
    let weight = chained + query.cost.split_working as f64;
    let copies = (weight > 0.0).then(|| ROW_COPIES_BYTES / weight);
    let built = match (query.cost.grows_by_reading, copies) {
        (true, copies) => Some((
            copies.unwrap_or(f64::MAX).min(f64::from(IN_ROW_BYTES)),
            Why::Recursion,
        )),
        (false, Some(longest)) => Some((longest, Why::Builds)),
        (false, None) => None,
    };
    // What an error may quote is the value parsed, built of up to `k`
    // copies of what it reads.
    let quoted = query
        .cost
        .parsed
        .any
        .then(|| (QUOTED_BYTES / k.max(1.0), Why::Quotes));
    built
        .into_iter()
        .chain(quoted)
        .map(|(longest, why)| Growth {
            longest,
            why,
            weight,
        })
        .collect()
}

/// Refuses a statement whose rows build more of the values they read than
/// a backend should hold ([`growths`]): a recursion that adds values it
/// reads to its own value at every step (`path || '/' || c.nom`), when one
/// of them may be longer than a row keeps in place; a row holding `k`
/// copies of a value (`body || body || …`), when `k (k + 1) / 2` times the
/// longest may pass [`ROW_COPIES_BYTES`].
/// Appended for as long as the recursion runs, a long document grows a
/// value past a gigabyte within a deadline; names of some hundreds of bytes
/// cannot grow a value past some megabytes (each step copies it). Every
/// variable-length column the statement reads in the tables the
/// plan reads counts: one declared short (`varchar(200)`) as declared;
/// others by their longest value, read on the whole table (the length in
/// the pointer for text, nothing fetched), where a sample could miss the
/// one long value a statement picks by its key; a table too large to read
/// whole at the offer refuses. A statement may need several weighings (a
/// row that builds copies of a value it also parses): the catalogue and
/// each table are read once for all of them.
pub(super) async fn weigh_growth(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
    growths: &[Growth],
) -> Result<(), ExecError> {
    if growths.is_empty() {
        return Ok(());
    }
    let mut reads = Vec::new();
    Foresight::table_reads(plan, &mut reads);
    let reach = query
        .reach
        .as_planned(reads.iter().map(|(r, _)| r.as_str()));
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    let columns = variable_length_columns(conn, &relations).await?;
    let weighed = columns_weighed(query, &reach, &reads, &columns, tables, growths)?;
    let longest = longest_values(conn, &columns, &weighed.columns).await?;
    refuse_too_long(&columns, growths, &weighed.columns, &longest)?;
    match weighed.written {
        Some((table, column)) => Err(ExecError::TooHeavy(Heavy::QuotesWritten {
            table: table.clone(),
            column: column.clone(),
        })),
        None => Ok(()),
    }
}

/// A variable-length column of a relation the plan reads: its schema,
/// table and name, its declared length (a `varchar(n)` or `char(n)`, in
/// characters), whether its length is in the pointer (text-like), whether
/// its text is short whatever it holds (what an error quotes of a number,
/// `numeric` holding at most some 150,000 digits, or of an address),
/// whether this role may read it, and what it holds ([`TYPE_KIND`]):
/// whether its text may be far longer than the value as read, and what it
/// may write (see [`written_length`]).
type Column = (
    String,
    String,
    String,
    Option<i32>,
    bool,
    bool,
    bool,
    String,
);

/// The variable-length columns of `relations` ([`Column`]).
async fn variable_length_columns(
    conn: &mut sqlx::PgConnection,
    relations: &[&str],
) -> Result<Vec<Column>, ExecError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                CASE WHEN coalesce(nullif(t.typbasetype, 0), t.oid) IN ('varchar'::regtype, \
                    'bpchar'::regtype) \
                     AND coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1), 0) - 4 >= 0 \
                THEN coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1), 0) - 4 END, \
                coalesce(nullif(t.typbasetype, 0), t.oid) IN ('text'::regtype, \
                    'varchar'::regtype, 'bpchar'::regtype, 'bytea'::regtype), \
                coalesce(nullif(t.typbasetype, 0), t.oid) IN ('numeric'::regtype, \
                    'inet'::regtype, 'cidr'::regtype), \
                has_schema_privilege(n.oid, 'USAGE') \
                    AND has_column_privilege(c.oid, a.attnum, 'SELECT'), \
                {TYPE_KIND} \
         {PLAN_COLUMNS} AND a.attlen = -1",
    )))
    .bind(relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)
}

/// Why a column's longest value is too long for `growth`, as the refusal
/// says it.
fn too_long(growth: &Growth, table: &str, column: &str) -> ExecError {
    let (table, column) = (table.to_owned(), column.to_owned());
    let longest = growth.longest.floor() as u64;
    ExecError::TooHeavy(match growth.why {
        Why::Recursion => Heavy::RecursionGrows {
            table,
            column,
            longest,
        },
        Why::Quotes => Heavy::Quotes {
            table,
            column,
            longest,
        },
        Why::Builds => Heavy::RowBuilds {
            copies: growth.weight.round() as u64,
            table,
            column,
            longest,
            bound_mib: ROW_COPIES_BYTES as u64 / (1024 * 1024),
        },
    })
}

/// What each growth weighs (see [`columns_weighed`]).
struct Weighed<'c> {
    /// For each growth in turn, the columns it weighs (schema, table,
    /// column).
    columns: Vec<Vec<(&'c str, &'c str, &'c str)>>,
    /// A structured column written out whole and parsed: refused once the
    /// lengths have had their say (a value too long as read says more).
    written: Option<(&'c String, &'c String)>,
}

/// For each growth in turn, the columns it weighs; one it cannot measure
/// (read through a view, or in a table too large to read whole for it)
/// refuses at once, as it would alone.
fn columns_weighed<'c>(
    query: &Validated,
    reach: &Reach,
    reads: &[(String, String)],
    columns: &'c [Column],
    tables: &Tables,
    growths: &[Growth],
) -> Result<Weighed<'c>, ExecError> {
    let mut weighed: Vec<Vec<(&str, &str, &str)>> = vec![Vec::new(); growths.len()];
    // A structured column written out whole and parsed: refused once the
    // lengths have had their say (a value too long as read says more).
    let mut written = None;
    for (growth, into) in growths.iter().zip(&mut weighed) {
        for (relation, alias) in reads {
            for (schema, table, column, declared, in_pointer, short_text, readable, kind) in columns
            {
                if growth.why == Why::Quotes
                    && structured_kind(kind)
                    && table == relation
                    && written.is_none()
                    && query.cost.parsed.may_parse_as_text(reach, relation, column)
                {
                    written = Some((table, column));
                }
                let read = match growth.why {
                    Why::Quotes => {
                        !short_text && query.cost.parsed.may_parse(reach, relation, alias, column)
                    }
                    Why::Recursion | Why::Builds => reach.may_read(relation, column),
                };
                // A character takes at most four bytes.
                let short = declared.is_some_and(|n| f64::from(n) * 4.0 <= growth.longest);
                if table != relation || !read || short {
                    continue;
                }
                // A text's length is read from its pointer, which costs a
                // row's read: such a column is read whole on larger tables,
                // so that `first_name || ' ' || last_name` of a large table
                // is measured, not refused.
                let whole = match growth.why {
                    Why::Quotes | Why::Builds if *in_pointer => QUOTED_WHOLE_ROWS,
                    Why::Quotes | Why::Recursion | Why::Builds => OUT_OF_LINE_SAMPLE_ROWS,
                };
                // Read through a view whose owner may read it: not named (the
                // asker may not know of the table).
                if !readable {
                    return Err(ExecError::TooHeavy(Heavy::GathersThroughView {
                        table: table.clone(),
                        column: column.clone(),
                    }));
                }
                if tables.rows(relation).unwrap_or(0.0) > whole {
                    return Err(too_long(growth, table, column));
                }
                let entry = (schema.as_str(), table.as_str(), column.as_str());
                if !into.contains(&entry) {
                    into.push(entry);
                }
            }
        }
    }
    Ok(Weighed {
        columns: weighed,
        written,
    })
}

/// The longest value of every column weighed, in bytes as
/// [`written_length`] counts them, each table read once.
async fn longest_values<'w>(
    conn: &mut sqlx::PgConnection,
    columns: &[Column],
    weighed: &'w [Vec<(&str, &str, &str)>],
) -> Result<HashMap<(&'w str, &'w str, &'w str), f64>, ExecError> {
    let mut by_table: std::collections::BTreeMap<(&str, &str), Vec<&str>> =
        std::collections::BTreeMap::new();
    for (schema, table, column) in weighed.iter().flatten() {
        let names = by_table.entry((schema, table)).or_default();
        if !names.contains(column) {
            names.push(column);
        }
    }
    let mut longest: HashMap<(&str, &str, &str), f64> = HashMap::new();
    for ((schema, table), names) in by_table {
        let in_pointer = |column: &str| {
            columns.iter().any(|(s, t, c, _, text, _, _, _)| {
                s == schema && t == table && c == column && *text
            })
        };
        let kind = |column: &str| {
            columns
                .iter()
                .find(|(s, t, c, ..)| s == schema && t == table && c == column)
                .map_or("", |column| column.7.as_str())
        };
        // Lengths read from the pointers together; each value read whole
        // alone, so that a row holds one at a time.
        let (pointers, read): (Vec<&str>, Vec<&str>) =
            names.into_iter().partition(|column| in_pointer(column));
        let groups = Some(pointers)
            .filter(|p| !p.is_empty())
            .into_iter()
            .chain(read.into_iter().map(|column| vec![column]));
        for group in groups {
            let lengths: Vec<String> = group
                .iter()
                .map(|column| {
                    format!(
                        "coalesce(max({}), 0)",
                        written_length(column, in_pointer(column), kind(column))
                    )
                })
                .collect();
            let measure = sqlx::AssertSqlSafe(format!(
                "SELECT ARRAY[{}]::float8[] FROM {}.{}",
                lengths.join(", "),
                quoted(schema),
                quoted(table),
            ));
            let (measured,): (Vec<f64>,) = sqlx::query_as(measure)
                .persistent(false)
                .fetch_one(&mut *conn)
                .await
                .map_err(cancelled)?;
            for (column, bytes) in group.into_iter().zip(measured) {
                longest.insert((schema, table, column), bytes);
            }
        }
    }
    Ok(longest)
}

/// Refuses the first growth for which a column weighed holds a value too
/// long, counting a structured value by what building on it takes.
fn refuse_too_long(
    columns: &[Column],
    growths: &[Growth],
    weighed: &[Vec<(&str, &str, &str)>],
    longest: &HashMap<(&str, &str, &str), f64>,
) -> Result<(), ExecError> {
    // A value of another type than text (jsonb, an array) built on is
    // taken apart and put together again, in memory many times its size as
    // read (`payload || payload`).
    let structured = |(schema, table, column): &(&str, &str, &str)| {
        columns.iter().any(|(s, t, c, _, in_pointer, _, _, _)| {
            s == schema && t == table && c == column && !in_pointer
        })
    };
    for (growth, weighed) in growths.iter().zip(weighed) {
        let rebuilt = |c: &(&str, &str, &str)| match growth.why {
            Why::Builds if structured(c) => REBUILT_BYTES,
            // What is quoted or appended is the value's text.
            Why::Quotes | Why::Recursion if structured(c) => TEXT_OF_READ,
            _ => 1.0,
        };
        if let Some((_, table, column)) = weighed.iter().find(|c| {
            longest
                .get(*c)
                .is_some_and(|bytes| bytes * rebuilt(c) > growth.longest)
        }) {
            return Err(too_long(growth, table, column));
        }
    }
    Ok(())
}

/// A number whose text may be far longer than the number (`1e131071` is
/// stored in a few bytes and written with 131,072 digits), in a jsonpath
/// filter: past 20 digits either side of the point, where a number's text
/// may pass a few times its size as read ([`TEXT_OF_READ`]).
pub(super) const EXPANDING: &str = "strict $.** ? (@ >= 1e20 || @ <= -1e20 \
     || (@ != 0 && @ < 1e-20 && @ > -1e-20))";

/// The length a weighing of what a statement builds or quotes counts for
/// `column` of `kind` ([`TYPE_KIND`]), in SQL: its size as read
/// ([`read_length`]), plus five bytes an element for an array (an element
/// NULL takes one bit stored and `NULL,` written), and infinite when it
/// holds a number of more than 20 digits either side of the point
/// ([`EXPANDING`]: a jsonb of a few kilobytes may write hundreds of
/// megabytes, which an error on parsing it quotes whole). A jsonb or
/// row value is searched for such numbers only up to 8 MB as read (the
/// search takes many times the value; longer ones are refused by their
/// size anyway, four times that being past [`QUOTED_BYTES`]).
pub(super) fn written_length(column: &str, in_pointer: bool, kind: &str) -> String {
    let read = read_length(column, in_pointer);
    let c = quoted(column);
    let long = |x: &str| format!("(abs({x}) >= 1e20 OR ({x} <> 0 AND abs({x}) < 1e-20))");
    let unless = |expanding: String, length: String| {
        format!("CASE WHEN {expanding} THEN 'Infinity'::float8 ELSE ({length})::float8 END")
    };
    let elements = format!("{read} + 5 * coalesce(cardinality({c}), 0)");
    match kind {
        "j" | "c" => {
            let value = match kind {
                "j" => c.clone(),
                _ => format!("to_jsonb({c})"),
            };
            // A CASE decides in order: the size first.
            format!(
                "CASE WHEN {read} > 8388608 THEN ({read})::float8 \
                 WHEN jsonb_path_exists({value}, '{EXPANDING}') THEN 'Infinity'::float8 \
                 ELSE ({read})::float8 END"
            )
        }
        "a" => unless(
            format!(
                "EXISTS (SELECT 1 FROM unnest({c}) AS e WHERE {})",
                long("e")
            ),
            elements,
        ),
        "x" => elements,
        "r" => unless(
            format!(
                "({} OR {})",
                long(&format!("lower({c})")),
                long(&format!("upper({c})"))
            ),
            read,
        ),
        "m" => unless(
            format!(
                "EXISTS (SELECT 1 FROM unnest({c}) AS e WHERE {} OR {})",
                long("lower(e)"),
                long("upper(e)")
            ),
            read,
        ),
        _ => read,
    }
}

/// How many times its size as read the text of a value of another type may
/// be (an `int8[]` of small numbers: some three times; a number of
/// 131,072 digits written in 8 bytes, far more).
pub(super) const TEXT_OF_READ: f64 = 4.0;

/// How many times its size as read a structured value (jsonb, an array)
/// takes in memory while a statement builds on it (see
/// `validate::REBUILT_COPIES`).
pub(super) const REBUILT_BYTES: f64 = crate::sql::validate::REBUILT_COPIES as f64;
