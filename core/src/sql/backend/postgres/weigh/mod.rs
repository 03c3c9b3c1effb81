//! What a statement would build or keep on the PostgreSQL server, weighed
//! on its plan and the tables it reads before it runs, at the offer and
//! again at the click: gatherings, hash tables and sorts kept in memory,
//! the copies a row builds, parses or unpacks.

use super::super::*;
use super::cells::{held, read_at_most};
use super::foresight::{Foresight, Reading};
use crate::sql::validate::{MAX_NUMERIC_DIGITS, Validated};

mod growth;
mod tables;
mod views;

use super::measured::{OutOfLine, Tables};
use growth::{REBUILT_BYTES, ROW_COPIES_BYTES, growths, weigh_growth};
use tables::{
    IN_ROW_BYTES, OUT_OF_LINE_SAMPLE_ROWS, QUOTED_WHOLE_ROWS, out_of_line, page_sample, quoted,
    read_length, table_rows,
};
pub(super) use views::weigh_expansion;
use views::{unplanned, weigh_each, weigh_views};

/// Whether `query` builds or gathers what [`weigh`] measures on the
/// tables, whatever its plan (a hash table is found on the plan).
fn weighed(query: &Validated) -> bool {
    // Rebuilds are weighed only where a structured column is read (see
    // [`weigh_rebuilds`]): the operators are the numbers' too.
    query.cost.gathers || !growths(query).is_empty() || query.cost.held_reads >= MIN_HELD_READS
}

/// Weighs what `query` would build on the server, on its `plan`, in the
/// transaction it will run in: a gathering of rows into one value
/// ([`weigh_gathering`]), the values a row builds of what it reads
/// ([`weigh_growth`]), a hash table the server keeps whole in memory
/// ([`weigh_hashed`]). The offer and the click both call this, so that
/// the click refuses what the offer did (the tables may have grown since);
/// the tables' sizes are read once for all.
pub(super) async fn weigh(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    limit: std::time::Duration,
) -> Result<(), ExecError> {
    weigh_within(conn, query, plan, 0)
        .await
        .map_err(|e| match e {
            ExecError::Timeout(_) => ExecError::Timeout(limit),
            e => e,
        })
}

/// A measure the deadline stopped (57014, which `statement_timeout`
/// raises) as [`ExecError::Timeout`], its deadline said by [`weigh`]; any
/// other error as the database's.
fn cancelled(e: sqlx::Error) -> ExecError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            ExecError::Timeout(std::time::Duration::ZERO)
        }
        _ => database(e),
    }
}

/// [`weigh`], `depth` views deep (see [`weigh_views`]).
async fn weigh_within(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    depth: usize,
) -> Result<(), ExecError> {
    weigh_views(conn, query, plan, depth).await?;
    let hash_memory = match query.cost.tests_subqueries {
        true => Some(hash_memory(conn).await?),
        false => None,
    };
    let hashed = Foresight::hashed_in_memory(plan, hash_memory);
    let kept = Foresight::keeps_rows(plan);
    // Everything below may measure the tables the plan reads.
    let may_measure = weighed(query)
        || !hashed.is_empty()
        || kept
        || query.cost.tests_subqueries
        || query.cost.held_reads > 0
        || query.cost.held_rebuilds > 0
        || !query.cost.parsed.as_text.is_empty()
        || query.cost.digits_read > 0
        || query.cost.sought_chars > 0
        || query.cost.compared_reads > 0;
    if may_measure {
        refuse_outside(conn, plan).await?;
    }
    if let Some(what) = &query.cost.repeats_unforeseen
        && (query.cost.gathers || !hashed.is_empty())
    {
        return Err(ExecError::TooHeavy(Heavy::RepeatedValue {
            what: what.clone(),
        }));
    }
    // A structured value read is weighed from one call on it, or one
    // operator that rebuilds it (see [`weigh_reads`], [`weigh_rebuilds`]).
    let structured = (query.cost.held_rebuilds > 0 || query.cost.held_reads > 0)
        && reads_structured(conn, query, plan).await?;
    let rebuilds = query.cost.held_rebuilds > 0 && structured;
    let reads =
        query.cost.held_reads >= MIN_HELD_READS || (query.cost.held_reads > 0 && structured);
    let searches = query.cost.sought_chars > 0 || query.cost.compared_reads > 0;
    if !query.cost.parsed.as_text.is_empty() {
        weigh_written_elements(conn, query, plan).await?;
    }
    if !weighed(query)
        && hashed.is_empty()
        && !kept
        && !rebuilds
        && !reads
        && !searches
        && query.cost.digits_read == 0
    {
        return Ok(());
    }
    let tables = table_rows(conn, query, plan).await?;
    let mut measured = Measured::default();
    if !hashed.is_empty() || kept {
        let hashes = !hashed.is_empty();
        weigh_hashed(
            conn,
            query,
            plan,
            &tables,
            &mut measured,
            hash_memory,
            hashes,
        )
        .await?;
    }
    if query.cost.gathers {
        weigh_gathering(conn, query, plan, &tables, &mut measured).await?;
    }
    // What a row builds or parses says more of the statement than what it
    // unpacks on the way: weighed first.
    weigh_growth(conn, query, plan, &tables, &growths(query)).await?;
    if reads {
        weigh_reads(conn, query, plan, &tables, &mut measured).await?;
    }
    if rebuilds {
        weigh_rebuilds(conn, query, plan, &tables, &mut measured).await?;
    }
    if searches {
        weigh_searches(conn, query, plan, &tables, &mut measured).await?;
    }
    if query.cost.digits_read > 0 {
        weigh_digits(conn, query, plan, &tables).await?;
    }
    Ok(())
}

/// Refuses a statement the weighing must measure (the caller says when)
/// whose plan reads a table with no table of that name in the allowed
/// schemas (the schemas on the search path): a view there over a table
/// elsewhere. The weighing reads nothing outside them (see
/// [`PLAN_COLUMNS`]), so what such a table would give cannot be weighed; a
/// statement that needs no weighing (no gathering, nothing held, built,
/// parsed or searched) runs.
async fn refuse_outside(
    conn: &mut sqlx::PgConnection,
    plan: &serde_json::Value,
) -> Result<(), ExecError> {
    let mut relations = Vec::new();
    Foresight::relations(plan, &mut relations);
    relations.sort();
    relations.dedup();
    let inside: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = ANY($1) AND n.nspname = ANY(current_schemas(false))",
    )
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    match relations.into_iter().find(|r| !inside.contains(r)) {
        Some(table) => Err(ExecError::TooHeavy(Heavy::OutsideSchemas { table })),
        None => Ok(()),
    }
}

/// Refuses a statement whose logarithms, roots or powers work on numbers
/// read from the data (`Cost::digits_read`) when a `numeric` column it
/// reads, in the tables its plan reads, holds a number written with more
/// than [`MAX_NUMERIC_DIGITS`] characters (an array of numbers or a range
/// of them by its longest element or bound, which `ln(lower(d.band))` and
/// `ln(d.rs[1])` reach): the validator bounds the digits a statement
/// writes, but a `numeric` may hold 16,383 after the point, and the
/// deadline does not interrupt one call on such a number. Measured on
/// every row up to a million, on a sample of pages past; one it cannot
/// read (through a view) cannot be measured.
async fn weigh_digits(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
) -> Result<(), ExecError> {
    let mut reads = Vec::new();
    Foresight::table_reads(plan, &mut reads);
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    // With the partition root this role may read a partition through.
    type Column = (
        String,
        String,
        String,
        bool,
        Option<String>,
        Option<String>,
        String,
    );
    let columns: Vec<Column> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM (SELECT n.nspname::text, c.relname::text, a.attname::text, \
                has_schema_privilege(n.oid, 'USAGE') \
                    AND has_column_privilege(c.oid, a.attnum, 'SELECT'), \
                rn.nspname::text, r.relname::text, {TYPE_KIND} AS kind \
         {PLAN_COLUMNS}) AS numbers WHERE kind IN ('n', 'a', 'r', 'm')",
    )))
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    let reach = query
        .reach
        .as_planned(reads.iter().map(|(r, _)| r.as_str()));
    let read = |table: &str, column: &str| {
        reads
            .iter()
            .any(|(relation, _)| relation == table && reach.may_read(relation, column))
    };
    let max = MAX_NUMERIC_DIGITS;
    for (schema, table, column, readable, root_schema, root, kind) in &columns {
        if !read(table, column) {
            continue;
        }
        let long = |digits: Option<u64>| {
            ExecError::TooHeavy(Heavy::LongNumbers {
                table: table.clone(),
                column: column.clone(),
                digits,
                reads: query.cost.digits_read,
                max,
            })
        };
        // The table itself, or the partition root this role reads it through
        // (the whole table's numbers, then).
        let (schema, measured) = match (readable, root_schema, root) {
            (true, _, _) => (schema, table),
            (false, Some(schema), Some(root)) => (schema, root),
            _ => return Err(long(None)),
        };
        // Sampled by the partition's rows: the deadline bounds the rest.
        let rows = tables.rows(table).unwrap_or(0.0);
        let sample = page_sample(rows, QUOTED_WHOLE_ROWS);
        let c = quoted(column);
        let length = match kind.as_str() {
            "a" => format!("(SELECT max(length(e::text)) FROM unnest({c}) AS e)"),
            "r" => format!("greatest(length(lower({c})::text), length(upper({c})::text))"),
            "m" => format!(
                "(SELECT max(greatest(length(lower(e)::text), length(upper(e)::text))) \
                 FROM unnest({c}) AS e)"
            ),
            _ => format!("length({c}::text)"),
        };
        let measure = sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(max({length}), 0)::int8 FROM {}.{}{sample}",
            quoted(schema),
            quoted(measured),
        ));
        let (longest,): (i64,) = sqlx::query_as(measure)
            .persistent(false)
            .fetch_one(&mut *conn)
            .await
            .map_err(cancelled)?;
        let longest = u64::try_from(longest).unwrap_or(0);
        // The numbers read go into the calls together (a product holds the
        // digits of its factors): each may be the longest.
        if longest.saturating_mul(query.cost.digits_read) > max {
            return Err(long(Some(longest)));
        }
    }
    Ok(())
}

/// What a column of type `t` holds, in SQL over [`PLAN_COLUMNS`], for the
/// numbers a logarithm reads ([`weigh_digits`]) and what its text may
/// write beyond its size as read ([`written_length`]): `n` a `numeric`,
/// `a` an array of them, `r` a range of them, `m` a multirange of them
/// (PostgreSQL 14 on: its column in `pg_range` is read through `to_jsonb`,
/// which older catalogues answer with NULL), `j` jsonb, `c` a row type or an
/// array of them, `x` any other array, `u` another structured type (json,
/// hstore, tsvector, xml), `''` none; a domain as its base type.
const TYPE_KIND: &str = "(SELECT CASE \
       WHEN b.oid = 'numeric'::regtype THEN 'n' \
       WHEN b.oid = 'jsonb'::regtype THEN 'j' \
       WHEN b.typtype = 'c' OR (b.typcategory = 'A' AND e.typtype = 'c') THEN 'c' \
       WHEN b.typcategory = 'A' AND b.typelem = 'numeric'::regtype THEN 'a' \
       WHEN b.typcategory = 'A' THEN 'x' \
       WHEN EXISTS (SELECT 1 FROM pg_range g WHERE g.rngtypid = b.oid \
            AND g.rngsubtype = 'numeric'::regtype) THEN 'r' \
       WHEN EXISTS (SELECT 1 FROM pg_range g WHERE to_jsonb(g) ->> 'rngmultitypid' = b.oid::text \
            AND g.rngsubtype = 'numeric'::regtype) THEN 'm' \
       WHEN b.typcategory = 'U' THEN 'u' \
       ELSE '' END \
     FROM pg_type b LEFT JOIN pg_type e ON e.oid = b.typelem \
     WHERE b.oid = coalesce(nullif(t.typbasetype, 0), t.oid))";

/// Whether a column of `kind` ([`TYPE_KIND`]) is structured (an array,
/// jsonb, a row type, json, hstore…): its text may be far longer than the
/// value as read.
fn structured_kind(kind: &str) -> bool {
    matches!(kind, "j" | "c" | "a" | "x" | "u")
}

/// The values stored out of line that a plan's table reads carry (see
/// [`out_of_line`]), measured at most once for all of a statement's
/// weighings: each measure reads the tables.
#[derive(Default)]
struct Measured(Option<std::collections::HashMap<(String, String), OutOfLine>>);

impl Measured {
    async fn get(
        &mut self,
        conn: &mut sqlx::PgConnection,
        query: &Validated,
        plan: &serde_json::Value,
        tables: &Tables,
    ) -> Result<&std::collections::HashMap<(String, String), OutOfLine>, ExecError> {
        let measured = match self.0.take() {
            Some(measured) => measured,
            None => out_of_line(conn, query, plan, tables).await?,
        };
        Ok(self.0.insert(measured))
    }
}

/// Refuses a query that gathers rows into one value when one step of its
/// plan may pass more than [`MAX_GATHERED_BYTES`] (rows × width), by the
/// bound [`Foresight`] puts on the planner's estimates, with the `tables`'
/// rows read in the same transaction.
async fn weigh_gathering(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
    measured: &mut Measured,
) -> Result<(), ExecError> {
    if query.cost.computed_series {
        return Err(ExecError::TooHeavy(Heavy::GathersComputedRows));
    }
    // Each copy a gathered row holds (`body || body`) weighs its values
    // stored out of line again, as does each copy of the rows it gathers
    // from (`FROM (SELECT body || body AS x …)`); each copy of the gathered
    // value itself (`t || t`, `length(t || t)` of a CTE's `string_agg(…)
    // AS t`) weighs all of it again: the server builds each copy whole.
    let copies = query.cost.gathered_copies.max(query.cost.row_copies).max(1) as f64;
    let out_of_line = measured
        .get(conn, query, plan, tables)
        .await?
        .iter()
        .map(|(read, measured)| (read.clone(), measured.times(copies)))
        .collect();
    // Written out whole as text, each element of some types keeps a buffer
    // until the whole value is written (see [`WRITTEN_ELEMENT_BYTES`]).
    let written = query.cost.gathered_as_text
        && !buffered_reads(conn, query, plan, ELEMENT_BUFFERED)
            .await?
            .is_empty();
    let written = match written {
        true => WRITTEN_ELEMENT_BYTES,
        false => 0.0,
    };
    let reading = Reading {
        row_bytes: query.cost.gathered_row_bytes as f64 + written,
        builds_from_reads: true,
        // The values read already count every copy a row holds.
        row_copies: 1.0,
        top_rows: query.cost.top_rows,
        groups_hold_reads: query.cost.groups_hold_reads,
        groups_keep_values: query.cost.groups_keep_values,
    };
    let bytes = Foresight::weigh(plan, tables.clone(), out_of_line, reading, None).heaviest
        * query.cost.gathered_value_copies.max(1) as f64;
    if bytes > MAX_GATHERED_BYTES {
        return Err(ExecError::TooHeavy(Heavy::Gathers {
            mib: mib(bytes),
            bound_mib: MAX_GATHERED_BYTES as u64 / (1024 * 1024),
        }));
    }
    Ok(())
}

/// The most bytes a hash table the server cannot spill to disk may hold
/// (a hashed `NOT IN` subquery, a hashed `EXCEPT`/`INTERSECT`): the
/// planner hashes when its estimate fits `work_mem`, and keeps hashing
/// whatever the rows turn out to be: led by filters it could only guess,
/// it may grow to gigabytes before the deadline stops it.
const MAX_HASHED_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// Refuses a query whose plan keeps rows in memory whatever `work_mem`
/// says, together past [`MAX_HASHED_BYTES`]: a hash table it cannot spill
/// (`hashes`: see [`Foresight::hashed_in_memory`]), the first rows of an
/// `ORDER BY … LIMIT`, the groups of a hashed `GROUP BY` whose values grow
/// (see [`Foresight::keeps_rows`]); their rows bounded as [`Foresight`]
/// bounds them, each as wide as the plan says, plus the values it stores
/// out of line, plus what the statement builds into a row
/// (`Cost::built_row_bytes`).
async fn weigh_hashed(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
    measured: &mut Measured,
    hash_memory: Option<f64>,
    hashes: bool,
) -> Result<(), ExecError> {
    // The plan's estimate of a series it cannot foresee (`generate_series`
    // over timestamps) is a guess: a hash of it has no bound.
    if hashes && query.cost.computed_series {
        return Err(ExecError::TooHeavy(Heavy::Hashes {
            mib: None,
            bound_mib: MAX_HASHED_BYTES as u64 / (1024 * 1024),
        }));
    }
    let out_of_line = measured.get(conn, query, plan, tables).await?.clone();
    let reading = Reading {
        row_bytes: query.cost.built_row_bytes as f64,
        builds_from_reads: query.cost.builds_from_reads,
        row_copies: query.cost.row_copies.max(1) as f64,
        top_rows: query.cost.top_rows,
        groups_hold_reads: query.cost.groups_hold_reads,
        groups_keep_values: query.cost.groups_keep_values,
    };
    let weights = Foresight::weigh(plan, tables.clone(), out_of_line, reading, hash_memory);
    // Every hash table of a plan lives until the query ends: together.
    let parts = [
        weights.hashed,
        weights.joined,
        weights.sorted,
        weights.grouped,
    ];
    let bytes: f64 = parts.iter().sum();
    if bytes <= MAX_HASHED_BYTES {
        return Ok(());
    }
    let (mib, bound_mib) = (mib(bytes), MAX_HASHED_BYTES as u64 / (1024 * 1024));
    let largest = parts.iter().copied().fold(0.0, f64::max);
    Err(ExecError::TooHeavy(if weights.joined == largest {
        Heavy::HashJoin { mib, bound_mib }
    } else if weights.sorted == largest {
        Heavy::TopRows { mib, bound_mib }
    } else if weights.grouped == largest {
        Heavy::GroupsGrow { mib, bound_mib }
    } else {
        Heavy::Hashes { mib, bound_mib }
    }))
}

/// The fewest values read whole in one row that are weighed (see
/// [`weigh_reads`]): one is what any call on a value reads; but one call on
/// a structured value is weighed (see [`STRUCTURED_READ_BYTES`]).
const MIN_HELD_READS: u64 = 2;

/// How many times its size as read ([`read_length`]) a structured value
/// read whole by a call may take: read, then written out as text in a
/// buffer that doubles as it grows, or as one text per member (an array of
/// integers or a jsonb written out takes several times its size as
/// read).
const STRUCTURED_READ_BYTES: f64 = 8.0;

/// Refuses a statement whose calls read whole more of the values they are
/// given than a backend should hold (`Cost::held_reads`): each call
/// given a value stored compressed or out of line unpacks its own copy,
/// which lives until the row is done, so together they may take the
/// longest such value the tables the plan reads hold, that many times, at
/// most [`ROW_COPIES_BYTES`]; a structured value, its size as read
/// [`STRUCTURED_READ_BYTES`] times. The longest is measured as the
/// gatherings' are (see [`out_of_line`]: on a sample of pages past
/// 100,000 rows).
async fn weigh_reads(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
    measured: &mut Measured,
) -> Result<(), ExecError> {
    let out_of_line = measured.get(conn, query, plan, tables).await?;
    // One call reads what any call reads: weighed for a structured value
    // only (see [`MIN_HELD_READS`]).
    let one = query.cost.held_reads < MIN_HELD_READS;
    let weighed = weigh_each(out_of_line, query.cost.held_reads, |o| {
        let structured = o.structured * STRUCTURED_READ_BYTES;
        match structured > o.longest || one {
            true => (structured, o.structured),
            false => (o.longest, o.longest),
        }
    });
    match weighed {
        Some((copies, table, longest, mib)) => Err(ExecError::TooHeavy(Heavy::ReadsWhole {
            copies,
            table,
            longest,
            mib,
            bound_mib: ROW_COPIES_BYTES as u64 / (1024 * 1024),
        })),
        None => Ok(()),
    }
}

/// Refuses a statement whose rows rebuild more structured values than a
/// backend should hold (`Cost::held_rebuilds`): `payload - 0`,
/// `payload #- '{a}'` or `payload || '[…]'` takes a jsonb document apart
/// into a tree of nodes, [`REBUILT_BYTES`] times its size as read, and puts
/// a new one together, held until the row is done. Together they may
/// take the longest structured value the tables the plan reads hold, that
/// many times, at most [`ROW_COPIES_BYTES`]; measured as the gatherings'
/// are (see [`out_of_line`]).
async fn weigh_rebuilds(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
    measured: &mut Measured,
) -> Result<(), ExecError> {
    let out_of_line = measured.get(conn, query, plan, tables).await?;
    let weighed = weigh_each(out_of_line, query.cost.held_rebuilds, |o| {
        (o.structured * REBUILT_BYTES, o.structured)
    });
    match weighed {
        Some((copies, table, longest, mib)) => Err(ExecError::TooHeavy(Heavy::Rebuilds {
            copies,
            table,
            longest,
            mib,
            bound_mib: ROW_COPIES_BYTES as u64 / (1024 * 1024),
        })),
        None => Ok(()),
    }
}

/// What the containment, existence and overlap tests of a statement may
/// compare in one call, in characters looked for times bytes looked in:
/// each element looked for is compared with every element of the value it
/// is looked for in, and no deadline interrupts the call. The costliest
/// are elements of one character split from a text (`&&` of
/// `string_to_array(body, NULL)`), about 1.5 ns a character-byte, and
/// nested jsonb arrays (`payload @> '[[…], …]'`): at this bound such a
/// call stays near 1.5 s.
const SEARCHED_CHAR_BYTES: f64 = 1.0e9;

/// Refuses a statement whose containment, existence and overlap tests
/// (`Cost::sought_chars`, `Cost::compared_reads`) may compare
/// more than [`SEARCHED_CHAR_BYTES`] in a row: what they look for written
/// out, times the longest value the statement reads (at least what a row
/// keeps in place, [`IN_ROW_BYTES`]; as many times as a value it builds
/// holds copies of one), and each overlap of two values read as if both
/// were that long. Measured as the gatherings' are (see [`out_of_line`]).
/// A view the statement reads may gather rows into the values it gives
/// (`array_agg(s.email) AS emails`, `ARRAY(SELECT …)`: a value that
/// exists only while the query runs): when the plan aggregates or runs a
/// subquery for a value and the statement names a view (a relation the
/// plan does not read that the catalogue says is a view, not a partitioned
/// table), the longest value is as long as a gathering may make one
/// ([`MAX_GATHERED_BYTES`]).
async fn weigh_searches(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
    measured: &mut Measured,
) -> Result<(), ExecError> {
    let out_of_line = measured.get(conn, query, plan, tables).await?;
    // A structured value's length is counted in `longest` too.
    let (table, longest) = out_of_line
        .iter()
        .map(|((table, _), o)| (table.as_str(), o.longest))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(("", 0.0));
    let unplanned = unplanned(query, plan);
    let view = match unplanned.is_empty() || !Foresight::aggregates(plan) {
        true => None,
        false => sqlx::query_scalar::<_, String>(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = ANY($1) AND c.relkind = 'v' \
               AND n.nspname = ANY(current_schemas(false)) LIMIT 1",
        )
        .bind(&unplanned)
        .persistent(false)
        .fetch_optional(&mut *conn)
        .await
        .map_err(cancelled)?,
    };
    let (table, longest) = match &view {
        Some(view) => (view.as_str(), longest.max(MAX_GATHERED_BYTES)),
        None => (table, longest),
    };
    let longest = longest.max(f64::from(IN_ROW_BYTES)) * query.cost.built_copies.max(1) as f64;
    let compared = query.cost.compared_reads as f64 * longest * longest;
    if query.cost.sought_chars as f64 * longest + compared <= SEARCHED_CHAR_BYTES {
        return Ok(());
    }
    Err(ExecError::TooHeavy(Heavy::Searches {
        sought: query.cost.sought_chars,
        compared: query.cost.compared_reads,
        table: table.to_owned(),
        longest: longest as u64,
    }))
}

/// The columns of the relations `$1` names (the tables a plan reads), in
/// SQL: the catalogue read every weighing starts from, each query adding
/// its own conditions after it. Only in the schemas on the search path
/// (`current_schemas(false)`), which the executor sets to the allowed
/// schemas (PostgreSQL's `public` when none is configured) and where every
/// name the statement may write resolves: the plan names a table without
/// its schema, and a table of that name elsewhere (another schema this
/// role may read) is never counted, measured or looked at, here or in any
/// other query of the weighing. `a` the column, `c` its table, `n` the
/// table's schema, `t` its type; `r` (schema `rn`) the partition root this
/// role may read a partition through, when it may not read the partition.
const PLAN_COLUMNS: &str = "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_class r ON r.oid = pg_partition_root(c.oid) AND r.oid <> c.oid \
          AND has_table_privilege(r.oid, 'SELECT') \
     LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace \
          AND has_schema_privilege(rn.oid, 'USAGE') \
          AND rn.nspname = ANY(current_schemas(false)) \
     WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'm', 'p') \
       AND n.nspname = ANY(current_schemas(false)) \
       AND a.attnum > 0 AND NOT a.attisdropped";

/// Whether a column's type is structured, in SQL over `pg_type t`: an
/// array or one of the types of no other category (jsonb, json, hstore,
/// tsvector, xml), a domain counting as its base type. Such a value is
/// taken apart into nodes to be rebuilt (see [`REBUILT_BYTES`]).
const STRUCTURED: &str = "(SELECT b.typcategory IN ('A', 'U') FROM pg_type b \
     WHERE b.oid = coalesce(nullif(t.typbasetype, 0), t.oid))";

/// Whether `query` reads a structured column ([`STRUCTURED`]) of a table
/// `plan` reads: what its rebuilds are weighed by (see [`weigh_rebuilds`]).
async fn reads_structured(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
) -> Result<bool, ExecError> {
    let mut reads = Vec::new();
    Foresight::table_reads(plan, &mut reads);
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    let reach = query.reach.as_planned(relations.iter().copied());
    let columns: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.relname::text, a.attname::text \
         {PLAN_COLUMNS} AND a.attlen = -1 AND {STRUCTURED}",
    )))
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    Ok(reads.iter().any(|(relation, _)| {
        columns
            .iter()
            .any(|(table, column)| table == relation && reach.may_read(relation, column))
    }))
}

/// What the server keeps for one element of a range, row or jsonb while it
/// writes a value holding it out as text: a buffer of 1 KB at least, three
/// for a range (its text and each bound's, about 3.2 KB in all), all kept
/// until the whole value is written.
const WRITTEN_ELEMENT_BYTES: f64 = 3_400.0;

/// Whether a column's type keeps a buffer per element when it is written
/// out as text ([`WRITTEN_ELEMENT_BYTES`]), in SQL over `pg_type t`: a
/// range, a multirange, a row, a type of no other category (jsonb, json,
/// hstore, xml, tsvector), or an array of them; a domain as its base type.
const ELEMENT_BUFFERED: &str = "(SELECT b.typtype IN ('r', 'm', 'c') OR b.typcategory = 'U' \
       OR e.typtype IN ('r', 'm', 'c') OR e.typcategory = 'U' \
     FROM pg_type b LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typcategory = 'A' \
     WHERE b.oid = coalesce(nullif(t.typbasetype, 0), t.oid))";

/// Whether a column's type holds many elements that each keep a buffer
/// when it is written out whole as text: a multirange, or an array of
/// ranges, rows or jsonb ([`ELEMENT_BUFFERED`]).
const ELEMENTS_BUFFERED: &str = "(SELECT b.typtype = 'm' \
       OR (b.typcategory = 'A' AND (e.typtype IN ('r', 'm', 'c') OR e.typcategory = 'U')) \
     FROM pg_type b LEFT JOIN pg_type e ON e.oid = b.typelem \
     WHERE b.oid = coalesce(nullif(t.typbasetype, 0), t.oid))";

/// The columns `query` reads, of the tables `plan` reads, whose type
/// `kind` (SQL over `pg_type t`) holds.
async fn buffered_reads(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    kind: &str,
) -> Result<Vec<(String, String)>, ExecError> {
    let mut reads = Vec::new();
    Foresight::table_reads(plan, &mut reads);
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    let reach = query.reach.as_planned(relations.iter().copied());
    let columns: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.relname::text, a.attname::text {PLAN_COLUMNS} AND {kind}",
    )))
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    Ok(columns
        .into_iter()
        .filter(|(table, column)| {
            reads
                .iter()
                .any(|(relation, _)| table == relation && reach.may_read(relation, column))
        })
        .collect())
}

/// Refuses a statement that writes out whole as text a stored value of
/// many elements that each keep a buffer until it is all written
/// ([`ELEMENTS_BUFFERED`]): a multirange stored in a few megabytes takes
/// hundreds of times that written out as `busy::text`. Its elements may be
/// read apart (`x[1]`, `lower(x)`); the bot's own cell shows an array's
/// first elements only.
async fn weigh_written_elements(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
) -> Result<(), ExecError> {
    let parsed = &query.cost.parsed;
    // By name, when the names tell which columns are written out.
    let by_name = !(parsed.unresolved || parsed.renamed);
    let written = buffered_reads(conn, query, plan, ELEMENTS_BUFFERED)
        .await?
        .into_iter()
        .find(|(_, column)| !by_name || parsed.as_text.contains(column));
    match written {
        Some((table, column)) => Err(ExecError::TooHeavy(Heavy::WritesElements { table, column })),
        None => Ok(()),
    }
}

/// The memory the server lets one hash table of this session take before
/// it plans another way: `work_mem` times `hash_mem_multiplier`.
async fn hash_memory(conn: &mut sqlx::PgConnection) -> Result<f64, ExecError> {
    sqlx::query_scalar(
        "SELECT pg_size_bytes(current_setting('work_mem'))::float8 \
                * current_setting('hash_mem_multiplier')::float8",
    )
    .persistent(false)
    .fetch_one(&mut *conn)
    .await
    .map_err(cancelled)
}

/// `bytes` in whole MiB, `None` when unbounded (a recursion).
fn mib(bytes: f64) -> Option<u64> {
    bytes
        .is_finite()
        .then(|| (bytes / (1024.0 * 1024.0)).round() as u64)
}
