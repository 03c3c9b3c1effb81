//! What a statement would build or keep on the PostgreSQL server, weighed
//! on its plan and the tables it reads before it runs, at the offer and
//! again at the click: gatherings, hash tables and sorts kept in memory,
//! the copies a row builds, parses or unpacks.

use super::super::*;
use super::cells::{held, read_at_most};
use super::foresight::{Foresight, Reading};
use crate::sql::validate::{MAX_NUMERIC_DIGITS, Validated};

mod tables;

use tables::*;
pub(super) use tables::{OutOfLine, Tables};

/// Whether `query` builds or gathers what [`weigh`] measures on the
/// tables, whatever its plan (a hash table is found on the plan).
fn weighed(query: &Validated) -> bool {
    // Rebuilds are weighed only where a structured column is read (see
    // [`weigh_rebuilds`]): the operators are the numbers' too.
    query.gathers || !growths(query).is_empty() || query.held_reads >= MIN_HELD_READS
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
    let hash_memory = match query.tests_subqueries {
        true => Some(hash_memory(conn).await?),
        false => None,
    };
    let hashed = Foresight::hashed_in_memory(plan, hash_memory);
    if let Some(what) = &query.repeats_unforeseen
        && (query.gathers || !hashed.is_empty())
    {
        return Err(ExecError::TooHeavy(Heavy::RepeatedValue {
            what: what.clone(),
        }));
    }
    let kept = Foresight::keeps_rows(plan);
    // A structured value read is weighed from one call on it, or one
    // operator that rebuilds it (see [`weigh_reads`], [`weigh_rebuilds`]).
    let structured = (query.held_rebuilds > 0 || query.held_reads > 0)
        && reads_structured(conn, query, plan).await?;
    let rebuilds = query.held_rebuilds > 0 && structured;
    let reads = query.held_reads >= MIN_HELD_READS || (query.held_reads > 0 && structured);
    let searches = query.sought_chars > 0 || query.compared_reads > 0;
    if !query.parsed.written.is_empty() {
        weigh_written_elements(conn, query, plan).await?;
    }
    if !weighed(query)
        && hashed.is_empty()
        && !kept
        && !rebuilds
        && !reads
        && !searches
        && query.digits_read == 0
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
    if query.gathers {
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
    if query.digits_read > 0 {
        weigh_digits(conn, query, plan, &tables).await?;
    }
    Ok(())
}

/// Refuses a statement whose logarithms, roots or powers work on numbers
/// read from the data (`Validated::digits_read`) when a `numeric` column it
/// reads, in the tables its plan reads, holds a number written with more
/// than [`MAX_NUMERIC_DIGITS`] characters (an array of numbers or a range
/// of them by its longest element or bound: `ln(lower(d.band))`, `ln(d.rs[1])`
/// reach them, helper-49: 24.5 s): the validator bounds the digits
/// a statement writes, and a `numeric` may hold 16,383 after the point
/// (four `log` of such a rate in one row ran 16.7 s under a 10 s deadline,
/// helper-45: one call is not interrupted). Measured on every row up to a
/// million, on a sample of pages past; one it cannot read (through a view)
/// cannot be measured.
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
    let read = |table: &str, column: &str| {
        reads.iter().any(|(relation, alias)| {
            relation == table && query.names.reads(relation, alias, column)
        })
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
                reads: query.digits_read,
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
        if longest.saturating_mul(query.digits_read) > max {
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
    if query.computed_series {
        return Err(ExecError::TooHeavy(Heavy::GathersComputedRows));
    }
    // Each copy a gathered row holds (`body || body`) weighs its values
    // stored out of line again, as does each copy of the rows it gathers
    // from (`FROM (SELECT body || body AS x …)`); each copy of the gathered
    // value itself (`t || t`, `length(t || t)` of a CTE's `string_agg(…)
    // AS t`) weighs all of it again: sixteen copies of a 63 MiB
    // `string_agg` of short notes took a backend to 1.4 GiB.
    let copies = query.gathered_copies.max(query.row_copies).max(1) as f64;
    let out_of_line = measured
        .get(conn, query, plan, tables)
        .await?
        .iter()
        .map(|(read, measured)| (read.clone(), measured.times(copies)))
        .collect();
    // Written out whole as text, each element of some types keeps a buffer
    // until the whole value is written (helper-54: 320,000 ranges, 22 bytes
    // each, gathered then written: 1,078 MiB of backend).
    let written = query.gathered_written
        && !buffered_reads(conn, query, plan, ELEMENT_BUFFERED)
            .await?
            .is_empty();
    let written = match written {
        true => WRITTEN_ELEMENT_BYTES,
        false => 0.0,
    };
    let reading = Reading {
        row_bytes: query.gathered_row_bytes as f64 + written,
        builds_from_reads: true,
        // The values read already count every copy a row holds.
        row_copies: 1.0,
        top_rows: query.top_rows,
        groups_hold_reads: query.groups_hold_reads,
        groups_keep_values: query.groups_keep_values,
    };
    let bytes = Foresight::weigh(plan, tables.clone(), out_of_line, reading, None).heaviest
        * query.gathered_value_copies.max(1) as f64;
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
/// one took a backend to 3.2 GiB within a 10 s deadline.
const MAX_HASHED_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// What a row of a hash table takes beyond its values: the tuple's header
/// and the table's entry.
pub(super) const HASH_ENTRY_BYTES: f64 = 64.0;

/// Refuses a query whose plan keeps rows in memory whatever `work_mem`
/// says, together past [`MAX_HASHED_BYTES`]: a hash table it cannot spill
/// (`hashes`: see [`Foresight::hashed_in_memory`]), the first rows of an
/// `ORDER BY … LIMIT`, the groups of a hashed `GROUP BY` whose values grow
/// (see [`Foresight::keeps_rows`]); their rows bounded as [`Foresight`]
/// bounds them, each as wide as the plan says, plus the values it stores
/// out of line, plus what the statement builds into a row
/// (`Validated::built_row_bytes`).
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
    // over timestamps) is a guess: a hash of a century of seconds took a
    // backend to 4 GiB.
    if hashes && query.computed_series {
        return Err(ExecError::TooHeavy(Heavy::Hashes {
            mib: None,
            bound_mib: MAX_HASHED_BYTES as u64 / (1024 * 1024),
        }));
    }
    let out_of_line = measured.get(conn, query, plan, tables).await?.clone();
    let reading = Reading {
        row_bytes: query.built_row_bytes as f64,
        builds_from_reads: query.builds_from_reads,
        row_copies: query.row_copies.max(1) as f64,
        top_rows: query.top_rows,
        groups_hold_reads: query.groups_hold_reads,
        groups_keep_values: query.groups_keep_values,
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
/// integers written out: 11.5 times its size as read; `concat(payload,
/// '')` of a 30 MB jsonb, four times in a row: 875 MiB, helper-45).
const STRUCTURED_READ_BYTES: f64 = 8.0;

/// Refuses a statement whose calls read whole more of the values they are
/// given than a backend should hold (`Validated::held_reads`): each call
/// given a value stored compressed or out of line unpacks its own copy,
/// which lives until the row is done (120 `strpos(d.body, …)` in one row
/// of a 10 MB document took a backend to 1,169 MiB), so together they may
/// take the longest such value the tables the plan reads hold, that many
/// times, at most [`ROW_COPIES_BYTES`]; a structured value, its size as
/// read [`STRUCTURED_READ_BYTES`] times. The longest is measured as the
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
    let one = query.held_reads < MIN_HELD_READS;
    let weighed = weigh_each(out_of_line, query.held_reads, |o| {
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
/// backend should hold (`Validated::held_rebuilds`): `payload - 0`,
/// `payload #- '{a}'` or `payload || '[…]'` takes a jsonb document apart
/// into a tree of nodes, [`REBUILT_BYTES`] times its size as read, and puts
/// a new one together, held until the row is done (two `payload - 0` of a
/// 30 MB array in one row took a backend to 802 MiB). Together they may
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
    let weighed = weigh_each(out_of_line, query.held_rebuilds, |o| {
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
/// measured here: elements of one character split from a text (`&&` of
/// `string_to_array(body, NULL)`), 1.5 ns a character-byte; nested jsonb
/// arrays (`payload @> '[[…], …]'`), 0.7 ns (100 looked for in a 24 MB
/// document: 6.7 s). At this bound such a call stays near 1.5 s.
const SEARCHED_CHAR_BYTES: f64 = 1.0e9;

/// Refuses a statement whose containment, existence and overlap tests
/// (`Validated::sought_chars`, `Validated::compared_reads`) may compare
/// more than [`SEARCHED_CHAR_BYTES`] in a row: what they look for written
/// out, times the longest value the statement reads (at least what a row
/// keeps in place, [`IN_ROW_BYTES`]; as many times as a value it builds
/// holds copies of one), and each overlap of two values read as if both
/// were that long. Measured as the gatherings' are (see [`out_of_line`]).
/// A view the statement reads may gather rows into the values it gives
/// (`array_agg(s.email) AS emails`: an array of 1.5 million e-mails that
/// exists only while the query runs, helper-49: 170 s; by `ARRAY(SELECT
/// …)`, helper-52: 192 s): when the plan aggregates or runs a subquery for
/// a value and the statement names a view (a relation the plan does not
/// read that the catalogue says is a view, not a partitioned table), the
/// longest value is as long as a gathering may make one
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
            "SELECT relname::text FROM pg_class WHERE relname = ANY($1) AND relkind = 'v' LIMIT 1",
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
    let longest = longest.max(f64::from(IN_ROW_BYTES)) * query.built_copies.max(1) as f64;
    let compared = query.compared_reads as f64 * longest * longest;
    if query.sought_chars as f64 * longest + compared <= SEARCHED_CHAR_BYTES {
        return Ok(());
    }
    Err(ExecError::TooHeavy(Heavy::Searches {
        sought: query.sought_chars,
        compared: query.compared_reads,
        table: table.to_owned(),
        longest: longest as u64,
    }))
}

/// The relations `query` names that its `plan` does not read, by name as
/// stored: a view (the plan reads its tables), or a partitioned table (the
/// plan reads its partitions).
fn unplanned(query: &Validated, plan: &serde_json::Value) -> Vec<String> {
    let mut relations = Vec::new();
    Foresight::relations(plan, &mut relations);
    query
        .objects
        .iter()
        .map(|object| {
            let last = object.rsplit('.').next().unwrap_or(object);
            match last.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => last.to_ascii_lowercase(),
            }
        })
        .filter(|name| !relations.iter().any(|r| r == name))
        .collect()
}

/// The most reads of tables the views a statement names may expand into
/// (see [`weigh_expansion`]).
const MAX_EXPANDED_SCANS: u64 = 256;

/// How many views deep [`weigh_expansion`] and [`weigh_views`] follow
/// views read by views.
const MAX_EXPANSION_DEPTH: usize = 16;

/// The views among `names`, each with its definition (`pg_get_viewdef`),
/// found as the statement finds them: on the search path.
async fn view_definitions(
    conn: &mut sqlx::PgConnection,
    names: &[String],
) -> Result<Vec<(String, String)>, ExecError> {
    sqlx::query_as(
        "SELECT c.relname::text, pg_get_viewdef(c.oid) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = ANY($1) AND c.relkind = 'v' \
           AND n.nspname = ANY(current_schemas(false))",
    )
    .bind(names)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)
}

/// The relations `sql` names, each with how often it names it, folded as
/// PostgreSQL folds a name (unquoted: ASCII lower case); `None` when it
/// cannot be parsed.
fn named_relations(sql: &str) -> Option<std::collections::HashMap<String, u64>> {
    let statements =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql)
            .ok()?;
    let mut named = std::collections::HashMap::new();
    let _ = sqlparser::ast::visit_relations(&statements, |relation| {
        if let Some(sqlparser::ast::ObjectNamePart::Identifier(last)) = relation.0.last() {
            let name = match last.quote_style {
                Some(_) => last.value.clone(),
                None => last.value.to_ascii_lowercase(),
            };
            *named.entry(name).or_insert(0u64) += 1;
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    Some(named)
}

/// Refuses, before the planner sees it, a statement whose views expand
/// into more than [`MAX_EXPANDED_SCANS`] reads of tables: the planner
/// expands every view a statement reads, and every view those read, and
/// plans all of it at once in memory, before any deadline can stop it
/// (helper-56: views that each read the one before twice by `UNION ALL`,
/// twelve deep: 4,096 reads of a table, 1,037 MiB of backend at the
/// offer's EXPLAIN; of 32 columns, eleven deep, 1,685 MiB). Counted from
/// the views' definitions, each reference once for every time it is read;
/// a definition that cannot be parsed counts as one read.
pub(super) async fn weigh_expansion(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
) -> Result<(), ExecError> {
    use std::collections::HashMap;
    let Some(top) = named_relations(&query.text) else {
        return Ok(());
    };
    // Each view met, with the relations its definition names.
    let mut views: HashMap<String, HashMap<String, u64>> = HashMap::new();
    let mut seen: std::collections::HashSet<String> = top.keys().cloned().collect();
    let mut frontier: Vec<String> = top.keys().cloned().collect();
    let mut depth = 0;
    while !frontier.is_empty() {
        if depth == MAX_EXPANSION_DEPTH {
            return Err(ExecError::TooHeavy(Heavy::ViewsExpand {
                scans: None,
                max: MAX_EXPANDED_SCANS,
            }));
        }
        depth += 1;
        let found = view_definitions(conn, &frontier).await?;
        frontier.clear();
        for (view, definition) in found {
            let named = named_relations(&definition).unwrap_or_default();
            for name in named.keys() {
                if seen.insert(name.clone()) {
                    frontier.push(name.clone());
                }
            }
            views.insert(view, named);
        }
    }
    // The reads of tables a relation expands into: one for a table.
    fn scans(
        name: &str,
        views: &HashMap<String, HashMap<String, u64>>,
        memo: &mut HashMap<String, u64>,
        depth: usize,
    ) -> u64 {
        let Some(named) = views.get(name) else {
            return 1;
        };
        if let Some(known) = memo.get(name) {
            return *known;
        }
        let total = match depth < MAX_EXPANSION_DEPTH {
            true => named.iter().fold(0u64, |sum, (child, times)| {
                sum.saturating_add(times.saturating_mul(scans(child, views, memo, depth + 1)))
            }),
            false => u64::MAX,
        };
        memo.insert(name.to_owned(), total.max(1));
        total.max(1)
    }
    let mut memo = HashMap::new();
    let total = top.iter().fold(0u64, |sum, (name, times)| {
        sum.saturating_add(times.saturating_mul(scans(name, &views, &mut memo, 0)))
    });
    match total > MAX_EXPANDED_SCANS {
        true => Err(ExecError::TooHeavy(Heavy::ViewsExpand {
            scans: Some(total),
            max: MAX_EXPANDED_SCANS,
        })),
        false => Ok(()),
    }
}

/// Weighs the query of each view `query` reads as part of it: the view's
/// definition (`pg_get_viewdef`) is judged by the validator and weighed
/// ([`weigh_within`]) on the statement's own plan, which reads the view's
/// tables, so that a view that gathers is weighed as a gathering written
/// out would be (a view gathering 1.5 M rows into one array, read plainly,
/// took a backend to 945 MiB; helper-52). A definition the validator
/// refuses for its size refuses the statement; one refused for anything
/// else (a function or a schema outside the policy: views are the
/// database's owners', not the asker's) is not weighed: the validator's
/// other rules are the asker's, not the view's.
async fn weigh_views(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    depth: usize,
) -> Result<(), ExecError> {
    use crate::sql::validate::{Policy, Refusal, validate};
    let unplanned = unplanned(query, plan);
    if unplanned.is_empty() {
        return Ok(());
    }
    for (view, definition) in view_definitions(conn, &unplanned).await? {
        if depth >= MAX_EXPANSION_DEPTH {
            return Err(ExecError::TooHeavy(Heavy::PlanTooDeep));
        }
        let judged = match validate(&definition, &Policy::new(crate::sql::Dialect::Postgres)) {
            Ok(judged) => judged,
            Err(why @ Refusal::TooLarge(_)) => {
                return Err(ExecError::TooHeavy(Heavy::ViewTooLarge {
                    view,
                    why: Box::new(why),
                }));
            }
            Err(_) => continue,
        };
        Box::pin(weigh_within(conn, &judged, plan, depth + 1))
            .await
            .map_err(|e| match e {
                // Said by the innermost view that weighs.
                e @ ExecError::TooHeavy(Heavy::InView { .. }) => e,
                ExecError::TooHeavy(why) => ExecError::TooHeavy(Heavy::InView {
                    view: view.clone(),
                    why: Box::new(why),
                }),
                e => e,
            })?;
    }
    Ok(())
}

/// `copies` values of the read that weighs most by `each` (what one takes,
/// and its length as a refusal says it), when together they pass
/// [`ROW_COPIES_BYTES`]: the copies, the table, the length and the MiB.
fn weigh_each(
    out_of_line: &std::collections::HashMap<(String, String), OutOfLine>,
    copies: u64,
    each: impl Fn(&OutOfLine) -> (f64, f64),
) -> Option<(u64, String, u64, Option<u64>)> {
    let ((table, _), (one, longest)) = out_of_line
        .iter()
        .map(|(read, o)| (read, each(o)))
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
    let bytes = copies as f64 * one;
    (bytes > ROW_COPIES_BYTES).then(|| (copies, table.clone(), longest as u64, mib(bytes)))
}

/// The columns of the relations `$1` names (the tables a plan reads), in
/// SQL: the catalogue read every weighing starts from, each query adding
/// its own conditions after it. `a` the column, `c` its table, `n` the
/// table's schema, `t` its type; `r` (schema `rn`) the partition root this
/// role may read a partition through, when it may not read the partition.
const PLAN_COLUMNS: &str = "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     JOIN pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_class r ON r.oid = pg_partition_root(c.oid) AND r.oid <> c.oid \
          AND has_table_privilege(r.oid, 'SELECT') \
     LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace \
          AND has_schema_privilege(rn.oid, 'USAGE') \
     WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'm', 'p') \
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
    let columns: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.relname::text, a.attname::text \
         {PLAN_COLUMNS} AND a.attlen = -1 AND {STRUCTURED}",
    )))
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    Ok(reads.iter().any(|(relation, alias)| {
        columns
            .iter()
            .any(|(table, column)| table == relation && query.names.reads(relation, alias, column))
    }))
}

/// What the server keeps for one element of a range, row or jsonb while it
/// writes a value holding it out as text: a buffer of 1 KB at least, three
/// for a range (its text and each bound's; measured, helper-54: 3.2 KB a
/// range of `tstzrange[]`, 1.1 KB a jsonb or row element), all kept until
/// the whole value is written.
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
            reads.iter().any(|(relation, alias)| {
                table == relation && query.names.reads(relation, alias, column)
            })
        })
        .collect())
}

/// Refuses a statement that writes out whole as text a stored value of
/// many elements that each keep a buffer until it is all written
/// ([`ELEMENTS_BUFFERED`]): a multirange of 500,000 ranges, 6.5 MB stored,
/// took a backend to 1,602 MiB as `busy::text` (helper-54). Its elements
/// may be read apart (`x[1]`, `lower(x)`); the bot's own cell shows an
/// array's first elements only.
async fn weigh_written_elements(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
) -> Result<(), ExecError> {
    let parsed = &query.parsed;
    // By name, when the names tell which columns are written out.
    let by_name = !(parsed.unresolved || parsed.renamed);
    let written = buffered_reads(conn, query, plan, ELEMENTS_BUFFERED)
        .await?
        .into_iter()
        .find(|(_, column)| !by_name || parsed.written.contains(column));
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

/// What one row may build of the values it reads, for a recursion that
/// adds them to its own value (`Validated::grows_by_reading`), a row that
/// builds several copies of one (`Validated::built_copies`) or splits one
/// into pieces (`Validated::split_working`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Growth {
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
/// about `k (k + 1) / 2 × L` (sixteen copies of a 10 MB document took a
/// backend to 1,460 MiB); a split takes its working memory on top
/// (`Validated::split_working`).
const ROW_COPIES_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// The longest value a statement may parse as another type: the error on
/// one it cannot parse quotes it whole, and the driver holds the message
/// (about twice, as it receives it) before the bot cuts it to what it
/// shows. A value of 128 MB cast to `int` took the bot to 304 MiB.
const QUOTED_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// The most rows of a table whose text columns parsed or built on are
/// measured whole (see [`QUOTED_BYTES`]): parsing text read from a table
/// is common (`code::int`), so is joining texts (`first_name || ' ' ||
/// last_name`), and the lengths of a million texts are read from their
/// pointers well within the deadline the measure runs under. Other types
/// are measured by their text, written out for each row (900,000 jsonb
/// documents of 10 KB took 23 s), so only up to [`OUT_OF_LINE_SAMPLE_ROWS`].
const QUOTED_WHOLE_ROWS: f64 = 1_000_000.0;

/// Why a statement's read values are weighed (see [`Growth`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
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
fn growths(query: &Validated) -> Vec<Growth> {
    let k = query.built_copies as f64;
    let chained = if query.built_copies >= 2 {
        k * (k + 1.0) / 2.0
    } else {
        0.0
    };
    let weight = chained + query.split_working as f64;
    let copies = (weight > 0.0).then(|| ROW_COPIES_BYTES / weight);
    let built = match (query.grows_by_reading, copies) {
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
/// Appended for as long as the recursion runs, a 10 MB document took a
/// backend past 1 GiB within 30 s; names of some hundreds of bytes cannot
/// grow a value past some megabytes within a deadline (each step copies
/// it). Every variable-length column the statement reads in the tables the
/// plan reads counts: one declared short (`varchar(200)`) as declared;
/// others by their longest value, read on the whole table (the length in
/// the pointer for text, nothing fetched), where a sample could miss the
/// one long value a statement picks by its key; a table too large to read
/// whole at the offer refuses. A statement may need several weighings (a
/// row that builds copies of a value it also parses): the catalogue and
/// each table are read once for all of them.
async fn weigh_growth(
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
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    // Variable-length columns, with their declared length (a `varchar(n)`
    // or `char(n)`, in characters), whether their length is in the pointer
    // (text-like), whether their text is short whatever they hold (what an
    // error quotes of a number, `numeric` holding at most some 150,000
    // digits, or of an address), and whether this role may read them.
    // And what it holds ([`TYPE_KIND`]): whether its text may be far longer
    // than the value as read, and what it may write (see [`written_length`]).
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
    let columns: Vec<Column> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
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
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    let too_long = |growth: &Growth, table: &str, column: &str| {
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
    };
    // For each growth in turn, the columns it weighs; one it cannot
    // measure (read through a view, or in a table too large to read whole
    // for it) refuses at once, as it would alone.
    let mut weighed: Vec<Vec<(&str, &str, &str)>> = vec![Vec::new(); growths.len()];
    // A structured column written out whole and parsed: refused once the
    // lengths have had their say (a value too long as read says more).
    let mut written = None;
    for (growth, into) in growths.iter().zip(&mut weighed) {
        for (relation, alias) in &reads {
            for (schema, table, column, declared, in_pointer, short_text, readable, kind) in
                &columns
            {
                if growth.why == Why::Quotes
                    && structured_kind(kind)
                    && table == relation
                    && written.is_none()
                    && query
                        .parsed
                        .may_parse_written(&query.names, relation, alias, column)
                {
                    written = Some((table, column));
                }
                let read = match growth.why {
                    Why::Quotes => {
                        !short_text
                            && query
                                .parsed
                                .may_parse(&query.names, relation, alias, column)
                    }
                    Why::Recursion | Why::Builds => query.names.reads(relation, alias, column),
                };
                // A character takes at most four bytes.
                let short = declared.is_some_and(|n| f64::from(n) * 4.0 <= growth.longest);
                if table != relation || !read || short {
                    continue;
                }
                // A text's length is read from its pointer, which costs a
                // row's read: `first_name || ' ' || last_name` of a table of
                // 200,000 people was refused unmeasured.
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
    // The longest value of every column weighed, each table read once.
    let mut by_table: std::collections::BTreeMap<(&str, &str), Vec<&str>> =
        std::collections::BTreeMap::new();
    for (schema, table, column) in weighed.iter().flatten() {
        let names = by_table.entry((schema, table)).or_default();
        if !names.contains(column) {
            names.push(column);
        }
    }
    let mut longest: std::collections::HashMap<(&str, &str, &str), f64> =
        std::collections::HashMap::new();
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
        // alone, so that a row holds one at a time (twenty 30 MB columns
        // read in one row: 640 MiB, helper-47).
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
    // A value of another type than text (jsonb, an array) built on is
    // taken apart and put together again, in memory many times its size as
    // read (`payload || payload` of 30 MB jsonb documents: 827 MiB).
    let structured = |(schema, table, column): &(&str, &str, &str)| {
        columns.iter().any(|(s, t, c, _, in_pointer, _, _, _)| {
            s == schema && t == table && c == column && !in_pointer
        })
    };
    for (growth, weighed) in growths.iter().zip(&weighed) {
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
    match written {
        Some((table, column)) => Err(ExecError::TooHeavy(Heavy::QuotesWritten {
            table: table.clone(),
            column: column.clone(),
        })),
        None => Ok(()),
    }
}

/// A number whose text may be far longer than the number (`1e131071` is
/// stored in a few bytes and written with 131,072 digits; 300,000 numbers
/// `1e999` in a jsonb of 81 kB write 300 MB, helper-53), in a jsonpath
/// filter: past 20 digits either side of the point, where a number's text
/// may pass a few times its size as read ([`TEXT_OF_READ`]).
const EXPANDING: &str = "strict $.** ? (@ >= 1e20 || @ <= -1e20 \
     || (@ != 0 && @ < 1e-20 && @ > -1e-20))";

/// The length a weighing of what a statement builds or quotes counts for
/// `column` of `kind` ([`TYPE_KIND`]), in SQL: its size as read
/// ([`read_length`]), plus five bytes an element for an array (an element
/// NULL takes one bit stored and `NULL,` written: an array of 50 million
/// NULLs is 6 MB as read), and infinite when it holds a number of more
/// than 20 digits either side of the point ([`EXPANDING`]; a 1.6 kB jsonb of
/// 6,000 numbers `1e131071` writes 786 MB: the error on parsing its text
/// or a member of it took the bot to 1,566 MiB, helper-49, 52). A jsonb or
/// row value is searched for such numbers only up to 8 MB as read (the
/// search takes up to 27 times the value; longer ones are refused by their
/// size anyway, four times that being past [`QUOTED_BYTES`]).
fn written_length(column: &str, in_pointer: bool, kind: &str) -> String {
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
/// 131,072 digits written in 8 bytes, far more, helper-47).
const TEXT_OF_READ: f64 = 4.0;

/// How many times its size as read a structured value (jsonb, an array)
/// takes in memory while a statement builds on it (see
/// `validate::REBUILT_COPIES`).
const REBUILT_BYTES: f64 = crate::sql::validate::REBUILT_COPIES as f64;
