//! What the tables a plan reads hold, measured on the server: their rows,
//! and the values stored out of line (their length as a statement reads
//! them, from their pointers where that is enough).

use super::*;
use crate::sql::validate::Reach;

/// The most rows of a table whose text columns parsed or built on are
/// measured whole (see `growth::QUOTED_BYTES`): parsing text read from a table
/// is common (`code::int`), so is joining texts (`first_name || ' ' ||
/// last_name`), and the lengths of a million texts are read from their
/// pointers well within the deadline the measure runs under. Other types
/// are measured by their text, written out for each row, which is far
/// slower: so only up to [`OUT_OF_LINE_SAMPLE_ROWS`].
pub(super) const QUOTED_WHOLE_ROWS: f64 = 1_000_000.0;

/// The rows of each table `plan` reads, by name, and the rows each read
/// keeps by a condition comparing one column with values written out,
/// counted (see [`Tables::kept`]).
pub(in super::super) async fn table_rows(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
) -> Result<Tables, ExecError> {
    let mut relations = Vec::new();
    Foresight::relations(plan, &mut relations);
    // A table's rows now, as the planner reckons them: its density at the
    // last ANALYZE times its current pages; never analysed, as many rows as
    // its pages can hold (a row takes at least 28 bytes with its pointer).
    // Statistics taken when the table was empty say no rows whatever was
    // inserted since: the live rows the server counts (n_live_tup, kept up
    // to date by every write) are the least it has.
    let tables: Vec<(String, f64)> = sqlx::query_as(
        "SELECT c.relname::text, max(greatest(CASE WHEN c.reltuples >= 0 AND c.relpages > 0 \
             THEN c.reltuples / c.relpages \
                  * greatest(pg_relation_size(c.oid) / current_setting('block_size')::float8, 1) \
             ELSE pg_relation_size(c.oid) / 28.0 END, \
             coalesce(s.n_live_tup, 0)))::float8 \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid \
         WHERE c.relname = ANY($1) AND n.nspname = ANY(current_schemas(false)) GROUP BY c.relname",
    )
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)?;
    let mut found = Tables {
        rows: tables.into_iter().collect(),
        ..Tables::default()
    };
    // An alias that renames the columns makes the conditions name its
    // columns, which may be other columns of the table under those names.
    if query.cost.renames_columns {
        return Ok(found);
    }
    // The planner estimates such a condition from the column's statistics,
    // which may not know the value at all (a category added since the last
    // ANALYZE, a value longer than ANALYZE keeps): it is then estimated at one
    // row, whatever it is shared by. Counted in the allowed schemas that have
    // a table of that name this role may read (the plan does not say
    // which; the statement's names resolve in them only), never elsewhere.
    for ((relation, alias), condition) in Foresight::conditions(plan) {
        let Some((condition, column)) =
            condition.and_then(|c| Foresight::compared_column(&c).map(|column| (c, column)))
        else {
            continue;
        };
        let schemas: Vec<String> = sqlx::query_scalar(
            "SELECT n.nspname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND c.relkind IN ('r', 'm', 'p') AND n.nspname = ANY(current_schemas(false)) \
               AND has_schema_privilege(n.oid, 'USAGE') \
               AND has_table_privilege(c.oid, 'SELECT') \
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                   AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped)",
        )
        .bind(&relation)
        .bind(&column)
        .persistent(false)
        .fetch_all(&mut *conn)
        .await
        .map_err(cancelled)?;
        // No table of that name has the column: the condition names
        // something else, and nothing is counted.
        if schemas.is_empty() {
            continue;
        }
        let mut most: f64 = 0.0;
        for schema in schemas {
            let count = sqlx::AssertSqlSafe(format!(
                "SELECT count(*)::float8 FROM {}.{} WHERE {condition}",
                quoted(&schema),
                quoted(&relation),
            ));
            let counted: f64 = sqlx::query_scalar(count)
                .persistent(false)
                .fetch_one(&mut *conn)
                .await
                .map_err(cancelled)?;
            most = most.max(counted);
        }
        found
            .conditions
            .insert((relation.clone(), alias.clone()), condition);
        found.kept.insert((relation, alias), most);
    }
    Ok(found)
}

/// The clause that keeps about `keep` of a table's `rows` for a measure:
/// a repeatable sample of its pages past that many, nothing before.
pub(in super::super) fn page_sample(rows: f64, keep: f64) -> String {
    match rows > keep {
        true => format!(
            " TABLESAMPLE SYSTEM ({:.4}) REPEATABLE (0)",
            100.0 * keep / rows
        ),
        false => String::new(),
    }
}

/// `name` as a quoted identifier, for the measures the weighing writes.
pub(in super::super) use crate::sql::quoted_identifier as quoted;

/// The longest value PostgreSQL keeps in its row uncompressed (a little
/// under TOAST_TUPLE_THRESHOLD, 2,032 bytes on 8 kB pages): anything longer
/// is compressed or moved out of line, and weighs less in the plan than it
/// does in a gathered value.
pub(in super::super) const IN_ROW_BYTES: u32 = 2_000;

/// Past this many rows, a table's values stored out of line are measured
/// on a sample of its pages rather than on every row.
pub(in super::super) const OUT_OF_LINE_SAMPLE_ROWS: f64 = 100_000.0;

/// The length of `column`'s value as a statement reads it, in SQL: a
/// text-like value's from its pointer, nothing fetched; any other as read,
/// fetched and decompressed into a row of its own, never written out as
/// text (written out, an array takes many times its text in memory, and
/// the measure itself would hold what the weighing guards against).
/// A jsonb or an array read is many times its stored size, and up to four
/// times its text (a number of one character takes some twelve bytes).
/// A compressed value is decompressed to be measured (a copy made, then
/// another: twice what it holds) only when it can hold no more than
/// [`DECOMPRESSED_READ_BYTES`] ([`read_at_most`]): one stored uncompressed
/// is what it takes stored, and any other is taken for the most its
/// compression can hold (a few megabytes stored may hold hundreds of
/// megabytes of quotes, which decompressing would hold twice).
pub(in super::super) fn read_length(column: &str, in_pointer: bool) -> String {
    let column = quoted(column);
    match in_pointer {
        true => format!("octet_length({column})"),
        // An uncompressed value is at most what it takes stored: its
        // measure is that, whatever its size.
        false => format!(
            "CASE WHEN {most} <= {DECOMPRESSED_READ_BYTES} \
             THEN ({})::float8 ELSE {most} END",
            held(&column),
            most = read_at_most(&column)
        ),
    }
}

/// The most a compressed structured value may hold for the weighing to
/// decompress it to measure it: the measure takes twice that at most, and
/// legitimate documents of some tens of megabytes read are measured, not
/// guessed at the most their compression could hold.
pub(in super::super) const DECOMPRESSED_READ_BYTES: u64 = 400 * 1024 * 1024;

/// How one column read is measured (see [`out_of_line`]).
pub(in super::super) struct Measure {
    /// Its length in bytes, in SQL (see [`read_length`]).
    length: String,
    /// What it takes stored, in SQL, read from its pointer (nothing
    /// fetched or decompressed): never more than its length read.
    stored: String,
    /// Whether it is structured ([`STRUCTURED`]).
    structured: bool,
    /// Whether its length is read from the pointer, nothing fetched.
    in_pointer: bool,
}

/// The values of `columns` of `schema.table` longer than a row keeps in
/// place, on the rows `sample` keeps, as read ([`read_length`]): their
/// total, the longest of each added up (as if one row held them all), the
/// rows counted, and the longest structured value. Each length is computed
/// once a row (`OFFSET 0` keeps the planner from copying it into each
/// aggregate, which would write a structured value out once for each, all
/// at once).
pub(in super::super) async fn measure(
    conn: &mut sqlx::PgConnection,
    schema: &str,
    table: &str,
    sample: &str,
    columns: &[&Measure],
) -> Result<(f64, f64, f64, f64), ExecError> {
    let lengths: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} AS l{i}", m.length))
        .collect();
    let long = |i: usize| format!("FILTER (WHERE l{i} > {IN_ROW_BYTES})");
    let sums: Vec<String> = (0..columns.len())
        .map(|i| format!("coalesce(sum(l{i}) {}, 0)", long(i)))
        .collect();
    let longest: Vec<String> = (0..columns.len())
        .map(|i| format!("coalesce(max(l{i}) {}, 0)", long(i)))
        .collect();
    let structured: Vec<String> = (0..columns.len())
        .filter(|i| columns[*i].structured)
        .map(|i| format!("coalesce(max(l{i}) {}, 0)", long(i)))
        .collect();
    let structured = match structured.as_slice() {
        [] => "0".to_owned(),
        some => format!("greatest({})", some.join(", ")),
    };
    let measure = sqlx::AssertSqlSafe(format!(
        "SELECT ({})::float8, ({})::float8, count(*)::float8, ({structured})::float8 \
         FROM (SELECT {} FROM {}.{}{sample} OFFSET 0) AS m",
        sums.join(" + "),
        longest.join(" + "),
        lengths.join(", "),
        quoted(schema),
        quoted(table),
    ));
    sqlx::query_as(measure)
        .persistent(false)
        .fetch_one(&mut *conn)
        .await
        .map_err(cancelled)
}

/// The most that `columns` of one row of `schema.table` take stored (see
/// [`Measure::stored`]), on the rows `sample` keeps, and the longest
/// structured one: [`measure`]'s, of the stored sizes, which are read from
/// the pointers together.
pub(in super::super) async fn stored_longest(
    conn: &mut sqlx::PgConnection,
    schema: &str,
    table: &str,
    sample: &str,
    columns: &[&Measure],
) -> Result<(f64, f64), ExecError> {
    let stored: Vec<Measure> = columns
        .iter()
        .map(|m| Measure {
            length: m.stored.clone(),
            stored: m.stored.clone(),
            structured: m.structured,
            in_pointer: true,
        })
        .collect();
    let stored: Vec<&Measure> = stored.iter().collect();
    let (_, longest, _, structured) = measure(conn, schema, table, sample, &stored).await?;
    Ok((longest, structured))
}

/// What each table read of `plan` carries per row beyond its width in the
/// plan, by (table, alias): the average and the longest length of the values it reads from
/// columns that may be stored out of line or compressed (TOAST), counting
/// only values longer than a row keeps as they are ([`IN_ROW_BYTES`]), whose
/// width in the plan is that of the stored pointer (18 bytes for a 10 MB
/// text) or of the compressed value. Text and bytea are measured by `octet_length`, which reads the
/// length from the pointer without fetching the value; other types
/// (`jsonb`, arrays) by their text, which says more of their size in
/// memory than their stored size (compressed). Only the columns the statement names are
/// measured (all of them for a `*` or a whole row); on a large table, a
/// sample of its pages (which may miss its longest value).
pub(in super::super) async fn out_of_line(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
) -> Result<std::collections::HashMap<(String, String), OutOfLine>, ExecError> {
    let mut reads = Vec::new();
    Foresight::table_reads(plan, &mut reads);
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    let reach = query.reach.as_planned(relations.iter().copied());
    let columns = stored_columns(conn, &relations).await?;
    let mut carried = std::collections::HashMap::new();
    for (relation, alias) in &reads {
        let heaviest = read_out_of_line(conn, &columns, &reach, tables, relation, alias).await?;
        if heaviest.longest > 0.0 {
            carried.insert((relation.clone(), alias.clone()), heaviest);
        }
    }
    Ok(carried)
}

/// A variable-length column of a relation the plan reads (its storage as
/// it is now says nothing of the values already stored): its schema, table
/// and name; whether its type is text-like (a domain counts as its base
/// type), whose length is in the pointer; whether this role may read it
/// there; and otherwise the partition root it may read it through; whether
/// it is structured (see [`STRUCTURED`]).
type Column = (
    String,
    String,
    String,
    bool,
    bool,
    Option<String>,
    Option<String>,
    bool,
);

/// The variable-length columns of `relations` ([`Column`]).
async fn stored_columns(
    conn: &mut sqlx::PgConnection,
    relations: &[&str],
) -> Result<Vec<Column>, ExecError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                coalesce(nullif(t.typbasetype, 0), t.oid) IN ('text'::regtype, \
                    'varchar'::regtype, 'bpchar'::regtype, 'bytea'::regtype), \
                has_schema_privilege(n.oid, 'USAGE') \
                    AND has_column_privilege(c.oid, a.attnum, 'SELECT'), \
                rn.nspname::text, r.relname::text, {STRUCTURED} \
         {PLAN_COLUMNS} AND a.attlen = -1",
    )))
    .bind(relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)
}

/// What one read of `relation` (by `alias`) carries per row beyond its
/// width in the plan (see [`out_of_line`]): the heaviest of the tables it
/// is measured on.
async fn read_out_of_line(
    conn: &mut sqlx::PgConnection,
    columns: &[Column],
    reach: &Reach,
    tables: &Tables,
    relation: &str,
    alias: &str,
) -> Result<OutOfLine, ExecError> {
    let Measures {
        by_table,
        all_in_pointer,
    } = columns_measured(columns, reach, relation)?;
    let rows = tables.rows(relation).unwrap_or(0.0);
    // A sample of pages may miss the few long values a statement picks
    // by its filter (the long logs of one client among a million short
    // ones): lengths read from the pointers are read on every row up to a
    // million.
    let whole = match all_in_pointer {
        true => QUOTED_WHOLE_ROWS,
        false => OUT_OF_LINE_SAMPLE_ROWS,
    };
    // A read that keeps the rows of a condition comparing one column
    // with values written out is measured on those rows, whatever
    // the table's size.
    let condition = tables
        .conditions
        .get(&(relation.to_owned(), alias.to_owned()))
        .cloned();
    let sampled = condition.is_none() && rows > whole;
    let sample = match &condition {
        Some(condition) => format!(" WHERE {condition}"),
        None => page_sample(rows, whole),
    };
    let mut heaviest = OutOfLine::default();
    for ((schema, table), measures) in by_table {
        // Lengths read from the pointers cost nothing: measured together.
        // A value written out as text to be measured takes many times its
        // length in memory while it is: each such column is measured
        // alone, so that a row holds one at a time.
        let (pointers, written): (Vec<&Measure>, Vec<&Measure>) =
            measures.iter().partition(|m| m.in_pointer);
        // A sample of pages may miss the one long value a statement looks
        // in (one long array among a million rows, looked in by a call no
        // deadline interrupts). What such values take
        // stored is read from their pointers on every row up to a million,
        // as text lengths are: their length read is at least that, whatever
        // the sample saw. Through a partition root, its size is not this
        // read's: left to the sample.
        let stored = match sampled && table == relation && !written.is_empty() {
            true => {
                let whole = page_sample(rows, QUOTED_WHOLE_ROWS);
                stored_longest(conn, schema, table, &whole, &written).await?
            }
            false => (0.0, 0.0),
        };
        let groups = Some(pointers)
            .filter(|p| !p.is_empty())
            .into_iter()
            .chain(written.into_iter().map(|m| vec![m]));
        let (mut total, mut counted, mut structured) = (0.0, 0.0, 0.0f64);
        // The longest of the lengths read from pointers, and of those
        // read by reading: the stored read bounds the second only.
        let (mut in_pointers, mut read) = (0.0, 0.0);
        for group in groups {
            let measured = measure(conn, schema, table, &sample, &group).await?;
            total += measured.0;
            match group.first().is_some_and(|m| m.in_pointer) {
                true => in_pointers += measured.1,
                false => read += measured.1,
            }
            counted = f64::max(counted, measured.2);
            structured = structured.max(measured.3);
        }
        let longest = in_pointers + f64::max(read, stored.0);
        let structured = structured.max(stored.1);
        // Through the partition root, the whole table's values may all
        // be in this partition's rows.
        let per_row = if table == relation {
            total / counted.max(1.0)
        } else {
            total / rows.max(1.0)
        };
        heaviest = OutOfLine {
            per_row: heaviest.per_row.max(per_row),
            longest: heaviest.longest.max(longest),
            kept: condition
                .as_ref()
                .map(|_| heaviest.kept.unwrap_or(0.0).max(total)),
            structured: heaviest.structured.max(structured),
        };
    }
    Ok(heaviest)
}

/// The columns one read measures, by the relation they are measured on.
struct Measures<'c> {
    /// Each column's length, and whether it is structured, by the relation
    /// measured: the table itself, or the partition root this role reads
    /// it through.
    by_table: std::collections::BTreeMap<(&'c str, &'c str), Vec<Measure>>,
    /// Whether every column measured has its length in the pointer.
    all_in_pointer: bool,
}

/// The columns of `columns` a read of `relation` measures (those `reach`
/// may read there); one read through a view whose owner may read it
/// refuses.
fn columns_measured<'c>(
    columns: &'c [Column],
    reach: &Reach,
    relation: &str,
) -> Result<Measures<'c>, ExecError> {
    // By the relation measured: the table itself, or the partition root
    // this role reads it through.
    // Each column's length, and whether it is structured.
    let mut by_table: std::collections::BTreeMap<(&str, &str), Vec<Measure>> =
        std::collections::BTreeMap::new();
    // Whether every column measured has its length in the pointer.
    let mut all_in_pointer = true;
    for (schema, table, column, in_pointer, readable, root_schema, root, structured) in columns {
        if table != relation || !reach.may_read(relation, column) {
            continue;
        }
        all_in_pointer &= *in_pointer;
        let measured = match (readable, root_schema, root) {
            (true, _, _) => (schema.as_str(), table.as_str()),
            (false, Some(schema), Some(root)) => (schema.as_str(), root.as_str()),
            // Read through a view whose owner may read it: this role
            // cannot measure what it would gather.
            _ => {
                return Err(ExecError::TooHeavy(Heavy::GathersThroughView {
                    table: table.clone(),
                    column: column.clone(),
                }));
            }
        };
        let length = read_length(column, *in_pointer);
        by_table.entry(measured).or_default().push(Measure {
            length,
            stored: format!("pg_column_size({})", quoted(column)),
            structured: *structured,
            in_pointer: *in_pointer,
        });
    }
    Ok(Measures {
        by_table,
        all_in_pointer,
    })
}
