//! The PostgreSQL Execute target: each statement in a `READ ONLY`
//! transaction with local limits (`statement_timeout`, `work_mem`, …), cut
//! server-side at the row and size caps, then rolled back.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::{Row as _, SqlSafeStr as _, ValueRef as _};

use super::*;
use crate::sql::Dialect;
use crate::sql::validate::Validated;

/// A PostgreSQL database.
pub struct PostgresExecutor {
    pool: sqlx::PgPool,
    /// The allowed schemas, quoted, for `SET LOCAL search_path`.
    search_path: String,
}

impl PostgresExecutor {
    /// # Errors
    /// [`ExecError::Unavailable`] when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, ExecError> {
        use sqlx::ConnectOptions as _;
        // A slow query would be logged whole, every time: the audit records
        // each run with its duration instead.
        let options = url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(|e| ExecError::Unavailable(e.to_string()))?
            .disable_statement_logging();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| ExecError::Unavailable(e.to_string()))?;
        Ok(Self {
            pool,
            search_path: "public".to_owned(),
        })
    }

    /// Unqualified names resolve in these schemas only (`public` by default).
    pub fn with_search_path(mut self, schemas: &[String]) -> Self {
        if !schemas.is_empty() {
            self.search_path = schemas
                .iter()
                .map(|s| {
                    format!(
                        "\"{}\"",
                        Dialect::Postgres.fold_unquoted(s).replace('"', "\"\"")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
        }
        self
    }

    /// Opens a read-only transaction on `conn` with the limits every query
    /// runs under, set in one round trip (simple protocol: nothing is left
    /// prepared on the connection).
    async fn read_only<'c>(
        &self,
        conn: &'c mut sqlx::PgConnection,
        timeout: Duration,
    ) -> Result<sqlx::Transaction<'c, sqlx::Postgres>, ExecError> {
        use sqlx::Connection as _;
        let mut tx = conn
            .begin_with("BEGIN TRANSACTION READ ONLY")
            .await
            .map_err(database)?;
        // The checker reads strings as standard SQL does; unqualified names
        // resolve in the allowed schemas only; and one query gets bounded
        // memory per sort or hash (no parallel workers multiplying it, no
        // JIT compilation), and does not wait long on a lock.
        let settings = sqlx::AssertSqlSafe(format!(
            "SET LOCAL statement_timeout = {timeout}; \
             SET LOCAL standard_conforming_strings = on; \
             SET LOCAL search_path = {path}; \
             SET LOCAL work_mem = '8MB'; \
             SET LOCAL hash_mem_multiplier = 1; \
             SET LOCAL max_parallel_workers_per_gather = 0; \
             SET LOCAL jit = off; \
             SET LOCAL lock_timeout = '5s'",
            timeout = timeout.as_millis().max(1),
            path = self.search_path,
        ));
        sqlx::raw_sql(settings)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
        Ok(tx)
    }

    /// Takes a connection for one query; [`PostgresExecutor::give_back`]
    /// returns it clean.
    async fn connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, ExecError> {
        self.pool.acquire().await.map_err(database)
    }

    /// Whatever a query left in the session (session-level advisory locks,
    /// which outlive a rollback, settings, cursors, temporary tables) is
    /// cleared before the connection goes back to the pool; a connection
    /// that cannot be cleared is closed instead. Prepared statements stay:
    /// sqlx keeps track of them.
    async fn give_back(mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>) {
        let cleared = sqlx::raw_sql(
            "CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); RESET ALL; \
             DISCARD TEMP; DISCARD SEQUENCES",
        )
        .execute(&mut *conn)
        .await;
        if let Err(e) = cleared {
            tracing::warn!(error = %e, "a connection to the target could not be cleared; closing it");
            conn.close_on_drop();
        }
    }
}

/// The planner's plan for a query, as EXPLAIN (FORMAT JSON) gives it.
async fn plan_of(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    limit: Duration,
) -> Result<serde_json::Value, ExecError> {
    let sql = sqlx::AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {}", query.text));
    sqlx::query_scalar(sql)
        .persistent(false)
        .fetch_one(conn)
        .await
        .map_err(|e| match e {
            // serde_json stops at 128 levels: two hundred windows nest
            // deeper than that.
            sqlx::Error::ColumnDecode { .. } => ExecError::TooHeavy(Heavy::PlanTooDeep),
            other => timeout_or(limit)(other),
        })
}

/// Whether `query` builds or gathers what [`weigh`] measures on the
/// tables, whatever its plan (a hash table is found on the plan).
fn weighed(query: &Validated) -> bool {
    query.gathers || !growths(query).is_empty() || query.held_reads >= MIN_HELD_READS
}

/// Weighs what `query` would build on the server, on its `plan`, in the
/// transaction it will run in: a gathering of rows into one value
/// ([`weigh_gathering`]), the values a row builds of what it reads
/// ([`weigh_growth`]), a hash table the server keeps whole in memory
/// ([`weigh_hashed`]). The offer and the click both call this, so that
/// the click refuses what the offer did (the tables may have grown since);
/// the tables' sizes are read once for all.
async fn weigh(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
) -> Result<(), ExecError> {
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
    if !weighed(query) && hashed.is_empty() && !kept {
        return Ok(());
    }
    let tables = table_rows(conn, plan).await?;
    if !hashed.is_empty() || kept {
        weigh_hashed(conn, query, plan, &tables, hash_memory, !hashed.is_empty()).await?;
    }
    if query.gathers {
        weigh_gathering(conn, query, plan, &tables).await?;
    }
    // What a row builds or parses says more of the statement than what it
    // unpacks on the way: weighed first.
    weigh_growth(conn, query, plan, &tables, &growths(query)).await?;
    if query.held_reads >= MIN_HELD_READS {
        weigh_reads(conn, query, plan, &tables).await?;
    }
    Ok(())
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
    let out_of_line = out_of_line(conn, query, plan, tables)
        .await?
        .into_iter()
        .map(|(read, measured)| (read, measured.times(copies)))
        .collect();
    let reading = Reading {
        row_bytes: query.gathered_row_bytes as f64,
        builds_from_reads: true,
        // The values read already count every copy a row holds.
        row_copies: 1.0,
        top_rows: query.top_rows,
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
const HASH_ENTRY_BYTES: f64 = 64.0;

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
    let out_of_line = out_of_line(conn, query, plan, tables).await?;
    let reading = Reading {
        row_bytes: query.built_row_bytes as f64,
        builds_from_reads: query.builds_from_reads,
        row_copies: query.row_copies.max(1) as f64,
        top_rows: query.top_rows,
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
/// [`weigh_reads`]): one is what any call on a value reads.
const MIN_HELD_READS: u64 = 2;

/// Refuses a statement whose calls read whole more of the values they are
/// given than a backend should hold (`Validated::held_reads`): each call
/// given a value stored compressed or out of line unpacks its own copy,
/// which lives until the row is done (120 `strpos(d.body, …)` in one row
/// of a 10 MB document took a backend to 1,169 MiB), so together they may
/// take the longest such value the tables the plan reads hold, that many
/// times, at most [`ROW_COPIES_BYTES`]. The longest is measured as the
/// gatherings' are (see [`out_of_line`]: on a sample of pages past
/// 100,000 rows).
async fn weigh_reads(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
) -> Result<(), ExecError> {
    let out_of_line = out_of_line(conn, query, plan, tables).await?;
    let Some(((table, _), longest)) = out_of_line
        .iter()
        .map(|(read, o)| (read, o.longest))
        .max_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return Ok(());
    };
    let bytes = query.held_reads as f64 * longest;
    if bytes <= ROW_COPIES_BYTES {
        return Ok(());
    }
    Err(ExecError::TooHeavy(Heavy::ReadsWhole {
        copies: query.held_reads,
        table: table.clone(),
        longest: longest as u64,
        mib: mib(bytes),
        bound_mib: ROW_COPIES_BYTES as u64 / (1024 * 1024),
    }))
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
    .map_err(database)
}

/// `bytes` in whole MiB, `None` when unbounded (a recursion).
fn mib(bytes: f64) -> Option<u64> {
    bytes
        .is_finite()
        .then(|| (bytes / (1024.0 * 1024.0)).round() as u64)
}

/// The tables a plan reads, by name.
#[derive(Debug, Clone, Default)]
struct Tables {
    /// Their rows.
    rows: std::collections::HashMap<String, f64>,
    /// Those whose statistics are recent: analysed since most of their rows
    /// were written, so that the planner estimates a filter on one of their
    /// columns from what the column holds, not from a default share.
    analysed: std::collections::HashSet<String>,
}

impl Tables {
    fn rows(&self, name: &str) -> Option<f64> {
        self.rows.get(name).copied()
    }
}

/// Tables whose statistics are all recent (what tests write by hand).
impl FromIterator<(String, f64)> for Tables {
    fn from_iter<I: IntoIterator<Item = (String, f64)>>(tables: I) -> Self {
        let rows: std::collections::HashMap<String, f64> = tables.into_iter().collect();
        let analysed = rows.keys().cloned().collect();
        Tables { rows, analysed }
    }
}

/// The rows of each table `plan` reads, by name, and whether its
/// statistics are recent (see [`Tables::analysed`]).
async fn table_rows(
    conn: &mut sqlx::PgConnection,
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
    // Recent statistics: analysed (by hand or by autovacuum), with no more
    // rows written since than a quarter of those it counted then
    // (autovacuum analyses again past a tenth).
    let tables: Vec<(String, f64, bool)> = sqlx::query_as(
        "SELECT c.relname::text, max(greatest(CASE WHEN c.reltuples >= 0 AND c.relpages > 0 \
             THEN c.reltuples / c.relpages \
                  * greatest(pg_relation_size(c.oid) / current_setting('block_size')::float8, 1) \
             ELSE pg_relation_size(c.oid) / 28.0 END, \
             coalesce(s.n_live_tup, 0)))::float8, \
             coalesce(bool_and((s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL) \
                 AND s.n_mod_since_analyze <= 0.25 * greatest(c.reltuples, 1)), false) \
         FROM pg_class c LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid \
         WHERE c.relname = ANY($1) GROUP BY c.relname",
    )
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(database)?;
    let mut found = Tables::default();
    for (name, rows, analysed) in tables {
        if analysed {
            found.analysed.insert(name.clone());
        }
        found.rows.insert(name, rows);
    }
    Ok(found)
}

/// The longest value PostgreSQL keeps in its row uncompressed (a little
/// under TOAST_TUPLE_THRESHOLD, 2,032 bytes on 8 kB pages): anything longer
/// is compressed or moved out of line, and weighs less in the plan than it
/// does in a gathered value.
const IN_ROW_BYTES: u32 = 2_000;

/// Past this many rows, a table's values stored out of line are measured
/// on a sample of its pages rather than on every row.
const OUT_OF_LINE_SAMPLE_ROWS: f64 = 100_000.0;

/// The values stored out of line that one table read carries beyond its
/// width in the plan (see [`out_of_line`]), each length counted only past
/// [`IN_ROW_BYTES`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct OutOfLine {
    /// Per row of the table, on average.
    per_row: f64,
    /// In the row that carries the most: a statement may pick that one
    /// row (`max(k.val)`, `WHERE k.id = 1000`) and repeat it.
    longest: f64,
    /// In all the rows the read's condition keeps, when it has one that
    /// compares one column with values written out (see
    /// [`Foresight::condition`]): measured on those rows, not on the table.
    kept: Option<f64>,
}

impl OutOfLine {
    fn times(self, copies: f64) -> Self {
        OutOfLine {
            per_row: self.per_row * copies,
            longest: self.longest * copies,
            kept: self.kept.map(|kept| kept * copies),
        }
    }
}

/// What each table read of `plan` carries per row beyond its width in the
/// plan, by (table, alias): the average and the longest length of the values it reads from
/// columns that may be stored out of line or compressed (TOAST), counting
/// only values longer than a row keeps as they are ([`IN_ROW_BYTES`]), whose
/// width in the plan is that of the stored pointer (18 bytes for a 10 MB
/// text) or of the compressed value. Text and bytea are measured by `octet_length`, which reads the
/// length from the pointer without fetching the value; other types
/// (`jsonb`, arrays) by their stored size, which is less than their size
/// in memory when compressed. Only the columns the statement names are
/// measured (all of them for a `*` or a whole row); on a large table, a
/// sample of its pages (which may miss its longest value).
async fn out_of_line(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    tables: &Tables,
) -> Result<std::collections::HashMap<(String, String), OutOfLine>, ExecError> {
    let mut reads = Vec::new();
    Foresight::table_reads(plan, &mut reads);
    let relations: Vec<&str> = reads.iter().map(|(r, _)| r.as_str()).collect();
    let conditions = Foresight::conditions(plan);
    // Variable-length columns (their storage as it is now says nothing of
    // the values already stored), with their schema; whether their type is
    // text-like (a domain counts as its base type), whose length is in the
    // pointer; whether this role may read them there; and otherwise the
    // partition root it may read them through.
    type Column = (
        String,
        String,
        String,
        bool,
        bool,
        Option<String>,
        Option<String>,
    );
    let columns: Vec<Column> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                coalesce(nullif(t.typbasetype, 0), t.oid) IN ('text'::regtype, \
                    'varchar'::regtype, 'bpchar'::regtype, 'bytea'::regtype), \
                has_schema_privilege(n.oid, 'USAGE') \
                    AND has_column_privilege(c.oid, a.attnum, 'SELECT'), \
                rn.nspname::text, r.relname::text \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_class r ON r.oid = pg_partition_root(c.oid) AND r.oid <> c.oid \
              AND has_table_privilege(r.oid, 'SELECT') \
         LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace \
              AND has_schema_privilege(rn.oid, 'USAGE') \
         WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'm', 'p') \
           AND a.attnum > 0 AND NOT a.attisdropped AND a.attlen = -1",
    )
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(database)?;
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut carried = std::collections::HashMap::new();
    for (relation, alias) in &reads {
        // By the relation measured: the table itself, or the partition root
        // this role reads it through.
        let mut by_table: std::collections::BTreeMap<(&str, &str), Vec<(String, String)>> =
            std::collections::BTreeMap::new();
        // Whether every column measured has its length in the pointer.
        let mut all_in_pointer = true;
        for (schema, table, column, in_pointer, readable, root_schema, root) in &columns {
            if table != relation || !query.names.reads(relation, alias, column) {
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
            // Text-like values: the length in the pointer, nothing fetched;
            // others (jsonb, arrays, xml…) as text, decompressed: their
            // stored size says little of what they weigh once read.
            let length = if *in_pointer {
                format!("octet_length({})", quoted(column))
            } else {
                format!("octet_length({}::text)", quoted(column))
            };
            // A shorter value is in the row, and in the plan's width.
            let long = format!("FILTER (WHERE {length} > {IN_ROW_BYTES})");
            by_table.entry(measured).or_default().push((
                format!("coalesce(sum({length}) {long}, 0)"),
                format!("coalesce(max({length}) {long}, 0)"),
            ));
        }
        let rows = tables.rows(relation).unwrap_or(0.0);
        // A sample of pages may miss the few long values a statement picks
        // by its filter (100 logs of 10 MB among a million short ones, all
        // of one client: 2 GiB gathered, weighed at 160 bytes a row): lengths
        // read from the pointers are read on every row up to a million.
        let whole = match all_in_pointer {
            true => QUOTED_WHOLE_ROWS,
            false => OUT_OF_LINE_SAMPLE_ROWS,
        };
        // A read that keeps the rows of a condition comparing one column
        // with values written out is measured on those rows, whatever
        // the table's size.
        let condition = conditions
            .get(&(relation.clone(), alias.clone()))
            .cloned()
            .flatten();
        let sample = match &condition {
            Some(condition) => format!(" WHERE {condition}"),
            None if rows > whole => {
                format!(" TABLESAMPLE SYSTEM ({:.4})", 100.0 * whole / rows)
            }
            None => String::new(),
        };
        let mut heaviest = OutOfLine::default();
        for ((schema, table), measures) in by_table {
            let (sums, longest): (Vec<String>, Vec<String>) = measures.into_iter().unzip();
            // A row's longest: the longest value of each column, as if one
            // row held them all.
            let measure = sqlx::AssertSqlSafe(format!(
                "SELECT ({})::float8, ({})::float8, count(*)::float8 FROM {}.{}{sample}",
                sums.join(" + "),
                longest.join(" + "),
                quoted(schema),
                quoted(table),
            ));
            let (total, longest, counted): (f64, f64, f64) = sqlx::query_as(measure)
                .persistent(false)
                .fetch_one(&mut *conn)
                .await
                .map_err(database)?;
            // Through the partition root, the whole table's values may all
            // be in this partition's rows.
            let per_row = if table == relation.as_str() {
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
            };
        }
        if heaviest.longest > 0.0 {
            carried.insert((relation.clone(), alias.clone()), heaviest);
        }
    }
    Ok(carried)
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

/// The most rows of a table whose parsed text columns are measured whole
/// (see [`QUOTED_BYTES`]): parsing text read from a table is common
/// (`code::int`), and the lengths of a million texts are read from their
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
    type Column = (String, String, String, Option<i32>, bool, bool, bool);
    let columns: Vec<Column> = sqlx::query_as(
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
                    AND has_column_privilege(c.oid, a.attnum, 'SELECT') \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'm', 'p') \
           AND a.attnum > 0 AND NOT a.attisdropped AND a.attlen = -1",
    )
    .bind(&relations)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(database)?;
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
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
    for (growth, into) in growths.iter().zip(&mut weighed) {
        for (relation, alias) in &reads {
            for (schema, table, column, declared, in_pointer, short_text, readable) in &columns {
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
                let whole = match growth.why {
                    Why::Quotes if *in_pointer => QUOTED_WHOLE_ROWS,
                    Why::Quotes | Why::Recursion | Why::Builds => OUT_OF_LINE_SAMPLE_ROWS,
                };
                if !readable || tables.rows(relation).unwrap_or(0.0) > whole {
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
        let lengths: Vec<String> = names
            .iter()
            .map(|column| {
                let in_pointer = columns.iter().any(|(s, t, c, _, text, _, _)| {
                    s == schema && t == table && c == column && *text
                });
                let length = if in_pointer {
                    format!("octet_length({})", quoted(column))
                } else {
                    format!("octet_length({}::text)", quoted(column))
                };
                format!("coalesce(max({length}), 0)")
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
            .map_err(database)?;
        for (column, bytes) in names.into_iter().zip(measured) {
            longest.insert((schema, table, column), bytes);
        }
    }
    for (growth, columns) in growths.iter().zip(&weighed) {
        if let Some((_, table, column)) = columns
            .iter()
            .find(|c| longest.get(*c).is_some_and(|bytes| *bytes > growth.longest))
        {
            return Err(too_long(growth, table, column));
        }
    }
    Ok(())
}

/// A bound on the rows each step of a plan may pass on, for a query that
/// gathers rows into one value: the planner's estimates where they rest on
/// what it knows, and a worse case where it guesses.
/// - A table read passes at most the table's rows, whatever its filter (a
///   filter such as `length(x) = 32` is guessed at 0.5 % of the rows),
///   unless it reads through an index by a condition on the index's
///   columns and values of the statement alone (`client_id = 42`, a range
///   of dates), without a further filter: the planner estimates that from
///   the columns' statistics, as it does an equality of columns.
/// - A join whose condition is not an equality of columns, or that filters
///   further, may pass every pair of its inputs (the planner guesses the
///   share a join filter keeps). An equality of columns is estimated from
///   the columns' statistics; its estimate grows by as much as its inputs'
///   bounds exceed their estimates.
/// - A recursion has no bound (nor has a function returning rows from
///   computed arguments, refused before the plan is read).
/// - Any other step passes at most what its inputs pass, never less than
///   its own estimate.
struct Foresight<'p> {
    /// The tables the plan reads.
    tables: Tables,
    /// The plans of the CTEs, by name, and what they pass once known.
    ctes: std::collections::HashMap<String, &'p serde_json::Value>,
    cte_passed: std::collections::HashMap<String, (f64, Carried)>,
    /// What a table read carries beyond its width in the plan, by (table,
    /// alias): its values stored out of line.
    out_of_line: std::collections::HashMap<(String, String), OutOfLine>,
    /// What the statement says of its rows.
    reading: Reading,
    /// The most bytes a step may pass: its bound times its weight.
    heaviest: f64,
    /// The sub-plans the plan hashes in memory, by name.
    hashed_plans: std::collections::HashSet<String>,
    /// The most bytes the hash tables kept whole in memory may hold, together.
    hashed: f64,
    /// The most bytes the inner sides of hash joins may keep in memory, together.
    joined: f64,
    /// The sorts whose first rows a `LIMIT` keeps in memory, by address.
    bounded_sorts: std::collections::HashSet<usize>,
    /// The most bytes those first rows may hold, together.
    sorted: f64,
    /// The most bytes the values of hashed groups may grow to, together.
    grouped: f64,
    /// The longest values of the uncorrelated sub-plans above the step
    /// being weighed, together: each row read beneath them may hold them.
    inherited: f64,
}

/// What a statement says of the rows its plan passes (see `Validated`).
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// What a row weighs beyond its width in the plan: what the statement
    /// builds into it, or what a gathered row adds.
    row_bytes: f64,
    /// A row holds values built of what it reads
    /// (`Validated::builds_from_reads`), not only their pointers.
    builds_from_reads: bool,
    /// The most copies of a value read one row holds (`Validated::row_copies`):
    /// a window may copy another row's value into each row that many times.
    row_copies: f64,
    /// The most rows a `LIMIT` lets through (`Validated::top_rows`).
    top_rows: Option<u64>,
}

/// What the rows a step passes on carry beyond their width in the plan:
/// values stored out of line, of which the plan counts the pointer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Carried {
    /// In all of its rows together: each value as often as the step may
    /// repeat the row that holds it.
    total: f64,
    /// In one row, at most.
    longest: f64,
}

impl Carried {
    /// The most `rows` rows carry: no more than all of it, nor than the
    /// longest in each. A step that picks one row (`max(k.val)`, a read
    /// through an index) carries that row's longest, not the table's
    /// average.
    fn bytes(self, rows: f64) -> f64 {
        if self.longest <= 0.0 {
            return 0.0;
        }
        self.total.min(rows * self.longest)
    }
}

/// `a × b`, where nothing times an unbounded count is nothing.
fn times(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 { 0.0 } else { a * b }
}

/// What [`Foresight::weigh`] finds of a plan.
struct Weights {
    /// The most bytes a step may pass on.
    heaviest: f64,
    /// The most bytes the hash tables the server cannot spill may hold.
    hashed: f64,
    /// The most bytes the hash joins may keep of their keys' rows.
    joined: f64,
    /// The most bytes the first rows of `ORDER BY … LIMIT` may hold.
    sorted: f64,
    /// The most bytes the values of hashed groups may grow to.
    grouped: f64,
}

impl<'p> Foresight<'p> {
    /// The most bytes a step of `plan` may pass, and what it keeps in
    /// memory, the tables holding `tables` rows, carrying `out_of_line`,
    /// the statement `reading` so; `hash_memory` when the statement tests
    /// values against a subquery's rows (see
    /// [`Foresight::hashed_in_memory`]).
    fn weigh(
        plan: &'p serde_json::Value,
        tables: Tables,
        out_of_line: std::collections::HashMap<(String, String), OutOfLine>,
        reading: Reading,
        hash_memory: Option<f64>,
    ) -> Weights {
        let mut foresight = Foresight {
            tables,
            ctes: std::collections::HashMap::new(),
            cte_passed: std::collections::HashMap::new(),
            out_of_line,
            reading,
            heaviest: 0.0,
            hashed_plans: Self::hashed_in_memory(plan, hash_memory)
                .into_iter()
                .filter_map(|h| h.strip_prefix("hashed ").map(str::to_owned))
                .collect(),
            hashed: 0.0,
            joined: 0.0,
            bounded_sorts: std::collections::HashSet::new(),
            sorted: 0.0,
            grouped: 0.0,
            inherited: 0.0,
        };
        foresight.collect_ctes(plan);
        foresight.rows(plan);
        Weights {
            heaviest: foresight.heaviest,
            hashed: foresight.hashed,
            joined: foresight.joined,
            sorted: foresight.sorted,
            grouped: foresight.grouped,
        }
    }

    /// Whether `plan` keeps rows in memory that no setting bounds, beyond
    /// its hash tables ([`Foresight::hashed_in_memory`]): the first rows of
    /// an `ORDER BY … LIMIT`, which the server sorts in a heap of as many
    /// rows as the `LIMIT` lets through and never spills (200 rows each
    /// holding a 10 MB value built by `||` took a backend to 1.9 GiB), and
    /// the groups of a hashed `GROUP BY`, whose memory the server checks
    /// only when it makes a group (100 groups made on short values, whose
    /// `max()` then grew to 10 MB each: 1 GiB).
    fn keeps_rows(node: &serde_json::Value) -> bool {
        let mut sorts = std::collections::HashSet::new();
        if node["Node Type"].as_str() == Some("Limit") {
            Self::children(node).for_each(|c| Self::bounded_sorts(c, &mut sorts));
        }
        !sorts.is_empty()
            || Self::groups_by_hash(node)
            || Self::children(node).any(Self::keeps_rows)
    }

    /// Whether `node` groups its rows in a hash table.
    fn groups_by_hash(node: &serde_json::Value) -> bool {
        node["Node Type"].as_str() == Some("Aggregate")
            && matches!(node["Strategy"].as_str(), Some("Hashed" | "Mixed"))
    }

    /// The sorts a `LIMIT` above `node` bounds, by address: the server
    /// passes the bound down through the steps that pass rows as they come.
    fn bounded_sorts(node: &serde_json::Value, into: &mut std::collections::HashSet<usize>) {
        if matches!(
            node["Parent Relationship"].as_str(),
            Some("InitPlan" | "SubPlan")
        ) {
            return;
        }
        match node["Node Type"].as_str() {
            Some("Sort" | "Incremental Sort") => {
                into.insert(std::ptr::from_ref(node) as usize);
            }
            Some(
                "Subquery Scan" | "Result" | "Append" | "Merge Append" | "Gather" | "Gather Merge",
            ) => Self::children(node).for_each(|c| Self::bounded_sorts(c, into)),
            _ => {}
        }
    }

    /// The hash tables `plan` keeps whole in memory, which no setting
    /// bounds: `hashed SubPlan N` for a sub-plan the plan hashes (`NOT
    /// IN (SELECT …)`), `SetOp` for a hashed `EXCEPT` or `INTERSECT`, and
    /// `Hash Join` for a join that may (the rows of one key: see
    /// [`Foresight::joined_by_hash`]).
    fn hashed_in_memory(plan: &serde_json::Value, hash_memory: Option<f64>) -> Vec<String> {
        /// The texts of the plan, and the names of its sub-plans with the
        /// bytes the planner reckons they hold.
        fn walk<'a>(
            node: &'a serde_json::Value,
            texts: &mut Vec<&'a str>,
            subplans: &mut Vec<(&'a str, f64)>,
            into: &mut Vec<String>,
        ) {
            match node {
                serde_json::Value::String(text) => texts.push(text),
                serde_json::Value::Array(items) => {
                    items.iter().for_each(|i| walk(i, texts, subplans, into))
                }
                serde_json::Value::Object(fields) => {
                    let node_type = fields.get("Node Type").and_then(|t| t.as_str());
                    if node_type == Some("SetOp")
                        && fields.get("Strategy").and_then(|s| s.as_str()) == Some("Hashed")
                    {
                        into.push("SetOp".to_owned());
                    }
                    if node_type == Some("Hash Join") {
                        into.push("Hash Join".to_owned());
                    }
                    for (key, value) in fields {
                        match (key.as_str(), value) {
                            ("Subplan Name", serde_json::Value::String(name)) => {
                                let reckoned = ["Plan Rows", "Plan Width"]
                                    .iter()
                                    .map(|k| fields.get(*k).and_then(|v| v.as_f64()).unwrap_or(0.0))
                                    .product::<f64>();
                                subplans.push((name, reckoned));
                            }
                            _ => walk(value, texts, subplans, into),
                        }
                    }
                }
                _ => {}
            }
        }
        let (mut texts, mut subplans, mut found) = (Vec::new(), Vec::new(), Vec::new());
        walk(plan, &mut texts, &mut subplans, &mut found);
        for text in &texts {
            let mut rest = *text;
            while let Some(at) = rest.find("hashed SubPlan ") {
                let tail = &rest[at + "hashed SubPlan ".len()..];
                let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
                found.push(format!("hashed SubPlan {digits}"));
                rest = tail;
            }
        }
        // A sub-plan that no text of the plan names is used where the plan
        // does not show how (a select list, an aggregate's FILTER): when the
        // statement tests values against a subquery's rows, it is hashed if
        // the planner reckons it fits `hash_memory` (its rows times their
        // width: less than the planner's own reckoning, which adds each
        // entry's header), as two `c.nom = ANY (SELECT d.body || d.body …)`
        // in a select list were (a backend at 1.6 GiB); otherwise it is run
        // again for every row, holding nothing.
        if let Some(hash_memory) = hash_memory {
            for (name, reckoned) in subplans {
                if name.starts_with("SubPlan ")
                    && reckoned <= hash_memory
                    && !texts.iter().any(|t| Self::names(t, name))
                {
                    found.push(format!("hashed {name}"));
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    fn children(node: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
        node["Plans"].as_array().into_iter().flatten()
    }

    fn relations(node: &serde_json::Value, into: &mut Vec<String>) {
        if let Some(name) = node["Relation Name"].as_str() {
            into.push(name.to_owned());
        }
        for child in Self::children(node) {
            Self::relations(child, into);
        }
    }

    /// The tables `node` reads, each with the alias it is read by.
    fn table_reads(node: &serde_json::Value, into: &mut Vec<(String, String)>) {
        if let Some(name) = node["Relation Name"].as_str() {
            let alias = node["Alias"].as_str().unwrap_or(name);
            into.push((name.to_owned(), alias.to_owned()));
        }
        for child in Self::children(node) {
            Self::table_reads(child, into);
        }
    }

    fn collect_ctes(&mut self, node: &'p serde_json::Value) {
        if let Some(name) = node["Subplan Name"]
            .as_str()
            .and_then(|n| n.strip_prefix("CTE "))
        {
            self.ctes.insert(name.to_owned(), node);
        }
        for child in Self::children(node) {
            self.collect_ctes(child);
        }
    }

    fn cte(&mut self, name: &str) -> (f64, Carried) {
        if let Some(&passed) = self.cte_passed.get(name) {
            return passed;
        }
        // Guards against a CTE met again while it is being weighed.
        let unbounded = (f64::INFINITY, Carried::default());
        self.cte_passed.insert(name.to_owned(), unbounded);
        let passed = match self.ctes.get(name) {
            Some(plan) => self.rows(plan),
            None => unbounded,
        };
        self.cte_passed.insert(name.to_owned(), passed);
        passed
    }

    /// The bound on the rows `node` passes on, and what they carry beyond
    /// their width in the plan (values stored out of line); weighs it and
    /// every step beneath it on the way.
    fn rows(&mut self, node: &'p serde_json::Value) -> (f64, Carried) {
        let estimate = node["Plan Rows"].as_f64().unwrap_or(0.0);
        let node_type = node["Node Type"].as_str().unwrap_or_default();
        if node_type == "Limit" {
            let mut sorts = std::mem::take(&mut self.bounded_sorts);
            Self::children(node).for_each(|c| Self::bounded_sorts(c, &mut sorts));
            self.bounded_sorts = sorts;
        }
        let mut inputs = Vec::new();
        let mut carried_in = Vec::new();
        let mut hash_inner = None;
        // The values of sub-plans this step's rows may hold: a correlated
        // one's (a SubPlan), computed for this step's rows, unless the step
        // only tests it; an uncorrelated one's (an InitPlan), computed once
        // and usable by any step beneath the one it hangs from (the `LIMIT`
        // above a sort whose rows each hold `(SELECT max(k.val) FROM kv k)
        // || g`: 2 GiB), by every row read beneath it. The server lists a
        // step's InitPlans before its other children.
        let inherited = self.inherited;
        let mut evaluated = 0.0;
        for child in Self::children(node) {
            let (rows, carried) = self.rows(child);
            let cte = child["Subplan Name"]
                .as_str()
                .is_some_and(|name| name.starts_with("CTE "));
            match child["Parent Relationship"].as_str() {
                Some("InitPlan") if !cte => self.inherited += carried.longest,
                Some("SubPlan") if !Self::tests_only(node, child) => evaluated += carried.longest,
                _ => {}
            }
            let width = child["Plan Width"].as_f64().unwrap_or(0.0);
            if node_type == "Hash Join" && child["Parent Relationship"].as_str() == Some("Inner") {
                hash_inner = Some((rows, carried, width));
            }
            let hashed_here = child["Subplan Name"]
                .as_str()
                .is_some_and(|name| self.hashed_plans.contains(name));
            if hashed_here {
                self.hashed += rows * (width + self.reading.row_bytes + HASH_ENTRY_BYTES)
                    + carried.bytes(rows);
            }
            // Sub-plans run per row or once and give one value each; CTEs
            // are weighed where they are scanned.
            if !matches!(
                child["Parent Relationship"].as_str(),
                Some("InitPlan" | "SubPlan")
            ) {
                inputs.push((rows, child["Plan Rows"].as_f64().unwrap_or(0.0)));
                carried_in.push(carried);
            }
        }
        let excess = |(bound, estimate): (f64, f64)| bound / estimate.max(1.0);
        let product = |inputs: &[(f64, f64)]| inputs.iter().map(|(b, _)| b).product::<f64>();
        let filtered = node.get("Join Filter").is_some();
        // A join whose rows are the planner's estimate of the pairs that
        // match, in which one input's row may meet many of the other's.
        let mut matched = false;
        let mut from_cte = None;
        let bound = match node_type {
            "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan" if Self::by_index(node) => {
                estimate
            }
            "Seq Scan" if self.estimated_by_statistics(node) => estimate,
            "Seq Scan" | "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan" | "Tid Scan"
            | "Tid Range Scan" | "Sample Scan" => node["Relation Name"]
                .as_str()
                .and_then(|name| self.tables.rows(name))
                .unwrap_or(f64::INFINITY),
            "Recursive Union" | "WorkTable Scan" => f64::INFINITY,
            // A function's rows are known (generate_series of written-out
            // bounds: exactly); a filter on them is guessed, at 0.5 % for
            // an equality of expressions: each condition may hide 200 times
            // the rows it is said to keep.
            "Function Scan" | "Table Function Scan" => match node["Filter"].as_str() {
                Some(filter) => {
                    let conditions = filter.matches(" AND ").count() as i32 + 1;
                    estimate.max(1.0) * 200f64.powi(conditions)
                }
                None => estimate,
            },
            "CTE Scan" => {
                let name = node["CTE Name"].as_str().unwrap_or_default().to_owned();
                let (rows, carried) = self.cte(&name);
                from_cte = Some(carried);
                rows
            }
            // Each set of keys passes a row per group of its input, an empty
            // set one row, whatever the plan's estimate (one row for any
            // number of empty sets).
            "Aggregate" if node.get("Grouping Sets").is_some() => {
                let groups = inputs.iter().map(|(b, _)| *b).fold(1.0, f64::max);
                Self::grouping_sets(node)
                    .map(|keys| if keys == 0 { 1.0 } else { groups })
                    .sum()
            }
            "Aggregate" if node["Strategy"].as_str() == Some("Plain") => estimate,
            "Nested Loop" => match inputs.as_slice() {
                [outer, _] if !filtered && Self::parameterized(&node["Plans"][1]) => {
                    matched = true;
                    estimate * excess(*outer)
                }
                _ => product(&inputs),
            },
            "Hash Join" | "Merge Join" => {
                let condition = node["Hash Cond"]
                    .as_str()
                    .or_else(|| node["Merge Cond"].as_str())
                    .unwrap_or_default();
                if filtered || !Self::equal_columns(condition) {
                    product(&inputs)
                } else {
                    matched = true;
                    inputs.iter().copied().map(excess).product::<f64>() * estimate
                }
            }
            "Append" | "Merge Append" | "BitmapOr" => inputs.iter().map(|(b, _)| b).sum(),
            _ => inputs.iter().map(|(b, _)| *b).fold(estimate, f64::max),
        }
        .max(estimate);
        let mut carried = self.carried(node, bound, &inputs, &carried_in, matched, from_cte);
        let held = evaluated
            + if inputs.is_empty() {
                self.inherited
            } else {
                0.0
            };
        self.inherited = inherited;
        if held > 0.0 {
            carried.longest += held;
            carried.total += times(bound, held);
        }
        let width = node["Plan Width"].as_f64().unwrap_or(0.0);
        let Reading {
            row_bytes,
            builds_from_reads,
            row_copies,
            top_rows,
        } = self.reading;
        self.heaviest = self
            .heaviest
            .max(bound * (width + row_bytes) + carried.bytes(bound));
        // A hashed set operation keeps every distinct row of its inputs.
        if node_type == "SetOp" && node["Strategy"].as_str() == Some("Hashed") {
            self.hashed += inputs
                .iter()
                .zip(&carried_in)
                .map(|((rows, _), carried)| {
                    rows * (width + row_bytes + HASH_ENTRY_BYTES) + carried.bytes(*rows)
                })
                .sum::<f64>();
        }
        // The first rows of an `ORDER BY … LIMIT`, whole; what they carry
        // out of line only where the statement builds values of it (as
        // read, the rows keep their pointers).
        if self
            .bounded_sorts
            .contains(&(std::ptr::from_ref(node) as usize))
        {
            let kept = top_rows.map_or(bound, |n| bound.min(n as f64));
            let carried = if builds_from_reads {
                carried.bytes(kept)
            } else {
                0.0
            };
            self.sorted += kept * (width + row_bytes + HASH_ENTRY_BYTES) + carried;
        }
        // A hashed group's values grow after the group is made, unchecked:
        // each may pick the longest value its rows carry (`max(…)`), once
        // for each copy a row holds.
        if Self::groups_by_hash(node) {
            let growing = Carried {
                total: carried_in.iter().map(|c| c.total).sum(),
                longest: carried_in.iter().map(|c| c.longest).fold(0.0, f64::max),
            };
            let carried = if builds_from_reads {
                growing.bytes(bound) * row_copies
            } else {
                0.0
            };
            self.grouped += bound * row_bytes + carried;
        }
        if let Some(inner) = hash_inner {
            self.joined += self.joined_by_hash(node, inner);
        }
        (bound, carried)
    }

    /// Whether `node` only tests the value of its sub-plan `sub` (names it
    /// in a condition): each use of a correlated subquery is a sub-plan of
    /// its own, so one used in a condition is not also held by the rows.
    fn tests_only(node: &serde_json::Value, sub: &serde_json::Value) -> bool {
        let name = sub["Subplan Name"].as_str().unwrap_or_default();
        [
            "Filter",
            "Join Filter",
            "Hash Cond",
            "Merge Cond",
            "Index Cond",
            "Recheck Cond",
            "One-Time Filter",
            "TID Cond",
        ]
        .iter()
        .filter_map(|key| node[*key].as_str())
        .any(|text| Self::names(text, name))
    }

    /// Whether `text` names the sub-plan `name` ("SubPlan 1"), not one
    /// whose number only begins so ("SubPlan 12").
    fn names(text: &str, name: &str) -> bool {
        !name.is_empty()
            && text
                .match_indices(name)
                .any(|(at, _)| !text[at + name.len()..].starts_with(|c: char| c.is_ascii_digit()))
    }

    /// What the `bound` rows of `node` carry, of what its `inputs` (their
    /// bounds and estimates) carry (`carried_in`), and of the tables it
    /// reads or the CTE it scans (`from_cte`).
    /// - A joined row carries a row of each side: in a product, each row of
    ///   one side meets every row of the other; where the planner estimates
    ///   the pairs that match (`matched`), one long value may meet many
    ///   rows (a 10 MB value joined to 120 rows of one key), each row
    ///   carrying the longest of each side.
    /// - An aggregate of all its rows into one, or into several sets of
    ///   groups, may pick the longest value for each row it passes; a
    ///   window may copy it into every row (`max(k.val) OVER ()`), once for
    ///   each copy a row holds.
    /// - Any other step passes each row of its inputs at most once, or as
    ///   many times as its bound exceeds theirs (a set-returning function
    ///   in a select list).
    fn carried(
        &self,
        node: &serde_json::Value,
        bound: f64,
        inputs: &[(f64, f64)],
        carried_in: &[Carried],
        matched: bool,
        from_cte: Option<Carried>,
    ) -> Carried {
        let node_type = node["Node Type"].as_str().unwrap_or_default();
        let longest_in: f64 = carried_in.iter().map(|c| c.longest).fold(0.0, f64::max);
        let total_in: f64 = carried_in.iter().map(|c| c.total).sum();
        let mut carried = match node_type {
            "Nested Loop" | "Hash Join" | "Merge Join" => {
                let longest = carried_in.iter().map(|c| c.longest).sum::<f64>();
                let paired = carried_in
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let others = inputs
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .map(|(_, (b, _))| *b)
                            .product::<f64>();
                        times(c.total, others)
                    })
                    .sum::<f64>();
                let total = if matched {
                    paired.min(times(bound, longest))
                } else {
                    paired
                };
                Carried { total, longest }
            }
            "Aggregate"
                if node["Strategy"].as_str() == Some("Plain")
                    || node.get("Grouping Sets").is_some() =>
            {
                Carried {
                    total: times(bound, longest_in),
                    longest: longest_in,
                }
            }
            "WindowAgg" => Carried {
                total: total_in + times(bound, longest_in * self.reading.row_copies),
                longest: longest_in * (1.0 + self.reading.row_copies),
            },
            _ => {
                let passed: f64 = inputs.iter().map(|(b, _)| b).sum();
                let repeats = if passed > 0.0 && bound > passed {
                    bound / passed
                } else {
                    1.0
                };
                Carried {
                    total: times(total_in, repeats),
                    longest: longest_in,
                }
            }
        };
        if let Some(relation) = node["Relation Name"].as_str() {
            let alias = node["Alias"].as_str().unwrap_or(relation);
            if let Some(read) = self
                .out_of_line
                .get(&(relation.to_owned(), alias.to_owned()))
            {
                // Every row of the table, however few the read passes, or
                // all the rows its condition keeps.
                let rows = self.tables.rows(relation).unwrap_or(bound);
                carried.total += match read.kept {
                    Some(kept) => kept,
                    None => times(read.per_row, rows.max(bound)),
                };
                carried.longest += read.longest;
            }
        }
        if let Some(cte) = from_cte {
            carried.total += cte.total;
            carried.longest = carried.longest.max(cte.longest);
        }
        carried
    }

    /// What the inner side of a hash join may keep in memory. The server
    /// splits a hash join's inner rows into batches that fit `work_mem` by
    /// their key, and cannot split the rows of one key: then it keeps them
    /// all (the rows of a key computed alike, `a.id * 0 = b.k`, over 120
    /// values of 10 MB built by `body || ''` took a backend to 1.2 GiB).
    /// Joined on columns, the keys are the data's own, and the planner knows
    /// each row's width; what it cannot see is still held: the values a row
    /// carries out of line and what the statement builds into it. Joined on
    /// anything else, every row counts whole.
    /// `inner` is the join's inner side: its bound on rows, what they carry
    /// beyond their width, and its width. What a row carries out of
    /// line counts only when the statement builds values of what it reads:
    /// read as they are (`d.body`, `length(d.body)`), the server keeps their
    /// pointers (a join carrying ten 10 MB documents: a backend at 35 MiB).
    fn joined_by_hash(
        &self,
        node: &serde_json::Value,
        (rows, carried, width): (f64, Carried, f64),
    ) -> f64 {
        let carried = if self.reading.builds_from_reads {
            carried.bytes(rows)
        } else {
            0.0
        };
        let on_columns = Self::equal_columns(node["Hash Cond"].as_str().unwrap_or_default());
        // A recursion's rows, which no plan foresees (a tree walked by
        // `c.parent = t.id`), are bounded by what the recursion may build
        // (`weigh_growth`) and by the deadline, not here.
        if on_columns && !rows.is_finite() {
            return 0.0;
        }
        let per_row = if on_columns {
            self.reading.row_bytes
        } else {
            width + self.reading.row_bytes + HASH_ENTRY_BYTES
        };
        rows * per_row + carried
    }

    /// The number of keys of each set of an aggregate's grouping sets.
    fn grouping_sets(node: &serde_json::Value) -> impl Iterator<Item = usize> + '_ {
        node["Grouping Sets"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|set| {
                ["Group Keys", "Hash Keys"]
                    .into_iter()
                    .filter_map(move |k| set[k].as_array())
                    .flatten()
            })
            .map(|keys| keys.as_array().map_or(1, Vec::len))
    }

    /// Whether a table read goes through an index by a condition whose
    /// values the statement holds (no parameter, no sub-plan's result,
    /// which the planner can only guess), and filters nothing further.
    fn by_index(node: &serde_json::Value) -> bool {
        let condition = node["Index Cond"]
            .as_str()
            .or_else(|| node["Recheck Cond"].as_str())
            .unwrap_or_default();
        node.get("Filter").is_none()
            && !condition.is_empty()
            && !condition.contains('$')
            && !condition.contains("SubPlan")
            && !condition.contains("InitPlan")
    }

    /// The condition of each table read that compares one column with
    /// values written out ([`Foresight::compares_one_column`]): a Seq Scan's
    /// filter, an index's condition where nothing else filters; by (table,
    /// alias), `None` where one of its reads keeps rows otherwise.
    fn conditions(
        plan: &serde_json::Value,
    ) -> std::collections::HashMap<(String, String), Option<String>> {
        fn walk(
            node: &serde_json::Value,
            into: &mut std::collections::HashMap<(String, String), Option<String>>,
        ) {
            if let Some(relation) = node["Relation Name"].as_str() {
                let alias = node["Alias"].as_str().unwrap_or(relation);
                let condition = match node["Node Type"].as_str() {
                    Some("Seq Scan") => node["Filter"].as_str(),
                    Some("Index Scan" | "Index Only Scan" | "Bitmap Heap Scan")
                        if Foresight::by_index(node) =>
                    {
                        node["Index Cond"]
                            .as_str()
                            .or_else(|| node["Recheck Cond"].as_str())
                    }
                    _ => None,
                }
                .filter(|c| Foresight::compares_one_column(c))
                .map(str::to_owned);
                let key = (relation.to_owned(), alias.to_owned());
                match into.get(&key) {
                    Some(seen) if *seen != condition => {
                        into.insert(key, None);
                    }
                    Some(_) => {}
                    None => {
                        into.insert(key, condition);
                    }
                }
            }
            for child in Foresight::children(node) {
                walk(child, into);
            }
        }
        let mut conditions = std::collections::HashMap::new();
        walk(plan, &mut conditions);
        conditions
    }

    /// Whether a table read filters only by comparing one column with
    /// values written out ([`Foresight::compares_one_column`]) in a table
    /// whose statistics are recent ([`Tables::analysed`]).
    fn estimated_by_statistics(&self, node: &serde_json::Value) -> bool {
        node["Relation Name"]
            .as_str()
            .is_some_and(|name| self.tables.analysed.contains(name))
            && node["Filter"]
                .as_str()
                .is_some_and(Self::compares_one_column)
    }

    /// Whether a filter only compares one column with values written out
    /// (`(client_id = 42)`, `((day >= '2025-01-01'::date) AND (day <
    /// '2025-02-01'::date))`): the planner estimates it from that column's
    /// statistics (its most common values, its histogram), as it does an
    /// index condition. Not two columns: the planner takes them as
    /// independent, and columns that go together (a city and its region)
    /// make it expect far fewer rows than they keep.
    fn compares_one_column(filter: &str) -> bool {
        /// `(x)` without its parentheses, once.
        fn bare(text: &str) -> &str {
            let text = text.trim();
            text.strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(text)
        }
        fn name(text: &str) -> bool {
            let quoted = text.len() > 2
                && text.starts_with('"')
                && text.ends_with('"')
                && !text[1..text.len() - 1].contains('"');
            let plain = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            quoted || plain
        }
        /// The column a side names (`client_id`, `(status)::text`).
        fn column(side: &str) -> Option<&str> {
            let side = side.split_once("::").map_or(side, |(value, _)| value);
            let side = bare(side);
            name(side).then_some(side)
        }
        /// A type's name (`date`, `timestamp without time zone`), with
        /// its precision (`numeric(10,2)`).
        fn type_name(text: &str) -> bool {
            let (name, precision) = match text.split_once('(') {
                Some((name, rest)) => (name, rest.strip_suffix(')')),
                None => (text, Some("")),
            };
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_'))
                && precision.is_some_and(|p| p.chars().all(|c| c.is_ascii_digit() || c == ','))
        }
        /// A number or a quoted text written out, cast or not.
        fn written(side: &str) -> bool {
            let value = match side.rsplit_once("::") {
                Some((value, cast)) if type_name(cast) => value,
                _ => side,
            };
            let number = !value.is_empty()
                && value.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                && value
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
            let text = value.len() >= 2
                && value.starts_with('\'')
                && value.ends_with('\'')
                && !value[1..value.len() - 1].replace("''", "").contains('\'');
            number || text
        }
        let mut compared = None;
        bare(filter).split(" AND ").all(|part| {
            let part = bare(part);
            let Some((left, right)) = [" >= ", " <= ", " <> ", " = ", " > ", " < "]
                .iter()
                .find_map(|op| part.split_once(op))
            else {
                return false;
            };
            let side = match (column(left), column(right)) {
                (Some(c), None) if written(right.trim()) => c,
                (None, Some(c)) if written(left.trim()) => c,
                _ => return false,
            };
            *compared.get_or_insert(side) == side
        })
    }

    /// Whether a nested loop's inner side looks its rows up by the outer
    /// row (an index condition, a memoised lookup): an equality the planner
    /// estimates, not a product.
    fn parameterized(inner: &serde_json::Value) -> bool {
        ["Index Cond", "Cache Key", "TID Cond"]
            .iter()
            .any(|key| inner.get(*key).is_some())
            || Self::children(inner).any(Self::parameterized)
    }

    /// Whether a join condition is only equalities of plain columns,
    /// `(o.client_id = c.id) AND …`, which the planner estimates from the
    /// columns' statistics.
    fn equal_columns(condition: &str) -> bool {
        let column = |side: &str| {
            !side.is_empty()
                && side
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '"' | '$'))
        };
        let condition = condition.trim();
        let condition = condition
            .strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .unwrap_or(condition);
        !condition.is_empty()
            && condition.split(" AND ").all(|part| {
                let part = part.trim().trim_start_matches('(').trim_end_matches(')');
                matches!(part.split_once(" = "), Some((a, b)) if column(a) && column(b))
            })
    }
}

/// How a PostgreSQL column is rendered, chosen once per query rather than
/// looked up by type name for every cell.
#[derive(Debug, Clone, Copy)]
enum PgKind {
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
fn pg_cell_into(
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

#[async_trait::async_trait]
impl Executor for PostgresExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn catalog(&self, schemas: &[String]) -> Result<crate::sql::schema::Catalog, ExecError> {
        use crate::sql::schema::{CatalogBuilder, CatalogColumn, Key};
        let schemas: Vec<String> = if schemas.is_empty() {
            vec!["public".to_owned()]
        } else {
            schemas
                .iter()
                .map(|s| Dialect::Postgres.fold_unquoted(s))
                .collect()
        };
        type ColumnRow = (
            String,
            String,
            String,
            String,
            bool,
            Option<String>,
            Option<String>,
        );
        let columns: Vec<ColumnRow> = sqlx::query_as(
            "SELECT c.table_schema::text, c.table_name::text, c.column_name::text, c.data_type::text, \
                    c.is_nullable = 'YES', \
                    col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position::int), \
                    obj_description(format('%I.%I', c.table_schema, c.table_name)::regclass, 'pg_class') \
             FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE t.table_type IN ('BASE TABLE', 'VIEW') AND c.table_schema = ANY($1) \
             ORDER BY 1, 2, c.ordinal_position",
        )
        .bind(&schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        // From pg_catalog, not information_schema: the latter shows keys
        // only of tables the role owns or may do more than SELECT on, and
        // an Execute target's role may only read.
        let keys: Vec<(String, String, String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                    CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'FOREIGN KEY' END, \
                    rc.relname::text, ra.attname::text \
             FROM pg_constraint con \
             JOIN pg_class c ON c.oid = con.conrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
             LEFT JOIN pg_class rc ON rc.oid = con.confrelid \
             LEFT JOIN LATERAL unnest(con.confkey) WITH ORDINALITY AS f(attnum, ord) ON f.ord = k.ord \
             LEFT JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = f.attnum \
             WHERE con.contype IN ('p', 'f') AND n.nspname = ANY($1) \
             ORDER BY n.nspname, c.relname, con.conname, k.ord",
        )
        .bind(&schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        // PostgreSQL's default schema is left unqualified.
        let shown = |schema: String| (schema != "public").then_some(schema);
        let mut catalog = CatalogBuilder::default();
        for (schema, table, column, data_type, nullable, comment, table_comment) in columns {
            let column = CatalogColumn {
                name: column,
                type_name: data_type,
                nullable,
                comment,
            };
            catalog.column(shown(schema), table, table_comment, column);
        }
        for (schema, table, column, kind, ref_table, ref_column) in keys {
            let key = match (kind.as_str(), ref_table, ref_column) {
                ("PRIMARY KEY", _, _) => Key::Primary,
                (_, Some(table), Some(column)) => Key::Foreign { table, column },
                _ => continue,
            };
            catalog.key(shown(schema).as_deref(), &table, column, key);
        }
        Ok(catalog.finish())
    }

    async fn explain(&self, query: &Validated) -> Result<Plan, ExecError> {
        let mut conn = self.connection().await?;
        let plan = async {
            let limit = Duration::from_secs(30);
            let mut tx = self.read_only(&mut conn, limit).await?;
            let plan = plan_of(&mut tx, query, limit).await?;
            weigh(&mut tx, query, &plan[0]["Plan"]).await?;
            let _ = tx.rollback().await;
            Ok::<_, ExecError>(plan)
        }
        .await;
        Self::give_back(conn).await;
        let plan = plan?;
        let top = &plan[0]["Plan"];
        Ok(Plan {
            rows: top["Plan Rows"].as_f64(),
            cost: top["Total Cost"].as_f64(),
        })
    }

    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError> {
        let started = Instant::now();
        let mut conn = self.connection().await?;
        let outcome = async {
            let mut tx = self.read_only(&mut conn, limits.timeout).await?;
            let outcome = Self::run_in(&mut tx, query, limits, sink, started).await;
            // Nothing was written (READ ONLY), and nothing is kept.
            let _ = tx.rollback().await;
            outcome
        }
        .await;
        Self::give_back(conn).await;
        outcome
    }

    /// From the planner's statistics, which cost nothing to read: the most
    /// common values of each text column that is analysed and has few
    /// distinct ones (all of them, then). A table never analysed has none.
    async fn values(
        &self,
        catalog: &crate::sql::schema::Catalog,
    ) -> Result<Vec<crate::sql::schema::ColumnValues>, ExecError> {
        use crate::sql::schema::{ColumnValues, MAX_VALUES_READ};
        let mut schemas: Vec<&str> = catalog
            .tables
            .iter()
            .map(|t| t.schema.as_deref().unwrap_or("public"))
            .collect();
        schemas.sort_unstable();
        schemas.dedup();
        let rows: Vec<(String, String, String, String, f64)> = sqlx::query_as(
            "SELECT s.schemaname::text, s.tablename::text, s.attname::text, \
                    array_to_json(s.most_common_vals::text::text[])::text, \
                    c.reltuples::float8 \
             FROM pg_stats s \
             JOIN pg_namespace n ON n.nspname = s.schemaname \
             JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname \
             WHERE s.schemaname = ANY($1) AND s.most_common_vals IS NOT NULL \
               AND s.n_distinct > 0 AND s.n_distinct <= $2 \
               AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)",
        )
        .bind(&schemas)
        .bind(MAX_VALUES_READ as f64)
        .persistent(false)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        let mut found = Vec::new();
        for (schema, table, column, values, rows) in rows {
            // Only the columns the prompt shows, named as it names them.
            let Some(shown) = catalog
                .tables
                .iter()
                .find(|t| t.name == table && t.schema.as_deref().unwrap_or("public") == schema)
            else {
                continue;
            };
            let Ok(values) = serde_json::from_str::<Vec<String>>(&values) else {
                continue;
            };
            if !shown.is_key(&column) {
                found.extend(ColumnValues::kept(shown.qualified(), column, values, rows));
            }
        }
        found.sort_by(|a, b| (&a.table, &a.column).cmp(&(&b.table, &b.column)));
        Ok(found)
    }

    async fn privileges(&self, schemas: &[String]) -> Result<Vec<String>, ExecError> {
        let schemas: Vec<String> = if schemas.is_empty() {
            vec!["public".to_owned()]
        } else {
            schemas
                .iter()
                .map(|s| Dialect::Postgres.fold_unquoted(s))
                .collect()
        };
        let mut reasons = Vec::new();
        let (name, superuser, bypassrls, createrole, createdb, replication): (
            String,
            bool,
            bool,
            bool,
            bool,
            bool,
        ) = sqlx::query_as(
            "SELECT rolname::text, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication \
             FROM pg_roles WHERE rolname = current_user",
        )
        .persistent(false)
        .fetch_one(&self.pool)
        .await
        .map_err(database)?;
        for (has, what) in [
            (superuser, "is a superuser (READ ONLY does not stop it)"),
            (bypassrls, "bypasses row-level security (BYPASSRLS)"),
            (createrole, "can create roles (CREATEROLE)"),
            (createdb, "can create databases (CREATEDB)"),
            (replication, "is a replication role"),
        ] {
            if has {
                reasons.push(format!("{name} {what}"));
            }
        }
        // Predefined roles that reach the server's files, programs, other
        // sessions or all data, held directly or through another role.
        let roles: Vec<String> = sqlx::query_scalar(
            "SELECT b.rolname::text FROM pg_roles b \
             WHERE b.rolname IN ('pg_read_server_files', 'pg_write_server_files', \
                   'pg_execute_server_program', 'pg_signal_backend', 'pg_write_all_data', \
                   'pg_read_all_data', 'pg_checkpoint') \
               AND pg_has_role(current_user, b.oid, 'MEMBER') ORDER BY 1",
        )
        .persistent(false)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        for role in roles {
            reasons.push(format!("{name} is a member of {role}"));
        }
        let writable: Vec<String> = sqlx::query_scalar(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
               AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') \
             ORDER BY 1 LIMIT 6",
        )
        .bind(&schemas)
        .persistent(false)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        if !writable.is_empty() {
            let shown: Vec<&str> = writable.iter().take(5).map(String::as_str).collect();
            reasons.push(format!(
                "{name} can write to {}{}",
                shown.join(", "),
                if writable.len() > 5 { ", …" } else { "" }
            ));
        }
        Ok(reasons)
    }

    async fn advice(&self) -> Result<Vec<String>, ExecError> {
        let (name, temp_file_limit): (String, String) =
            sqlx::query_as("SELECT current_user::text, current_setting('temp_file_limit')")
                .persistent(false)
                .fetch_one(&self.pool)
                .await
                .map_err(database)?;
        Ok(if temp_file_limit == "-1" {
            vec![format!(
                "temp_file_limit is not set for {name}: one query can fill the server's temporary disk \
                 until the time limit. A superuser can bound it: ALTER ROLE \"{name}\" SET temp_file_limit = '1GB'"
            )]
        } else {
            Vec::new()
        })
    }
}

impl PostgresExecutor {
    async fn run_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
        started: Instant,
    ) -> Result<Outcome, ExecError> {
        use sqlx::Executor as _;
        use sqlx::Statement as _;
        // What the offer weighed is weighed again first (the tables may
        // have grown since, and the plan changed with them: a hash table
        // is seen on the plan only).
        let plan = plan_of(tx, query, limits.timeout).await?;
        weigh(tx, query, &plan[0]["Plan"]).await?;
        // `prepare`, not `describe`: sqlx's describe asks the server for
        // `EXPLAIN VERBOSE` to guess nullability, whose text holds every
        // constant the planner folded (`repeat('x', 1e9)` is a gigabyte of
        // plan) and is received whole.
        let prepared = (&mut **tx)
            .prepare(sqlx::AssertSqlSafe(query.text.clone()).into_sql_str())
            .await
            .map_err(timeout_or(limits.timeout))?;
        // The server's limit is per statement: what the weighing and the
        // preparation took comes off the query's, so that the click's
        // deadline is one.
        let left = limits.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(ExecError::Timeout(limits.timeout));
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET LOCAL statement_timeout = {}",
            left.as_millis().max(1)
        )))
        .execute(&mut **tx)
        .await
        .map_err(database)?;
        let columns = columns_of(prepared.columns());
        sink.columns(&columns)?;
        let (text, kinds) = bounded_projection(&query.text, &columns);
        // One row's cells, reused: each value is written into the buffer the
        // previous row's value left, so a million rows are not six million
        // allocations.
        let mut cells: Vec<Cell> = vec![None; kinds.len()];
        let mut cap = ResultCap::new(limits);
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(text))
            .persistent(false)
            .fetch(&mut **tx);
        while let Some(row) = rows.try_next().await.map_err(timeout_or(limits.timeout))? {
            if !cap.room_for_a_row() {
                break;
            }
            for (i, (kind, cell)) in kinds.iter().zip(cells.iter_mut()).enumerate() {
                pg_cell_into(&row, i, *kind, cell).map_err(database)?;
            }
            if !cap.admit(&cells) {
                break;
            }
            sink.row(&cells)?;
        }
        Ok(cap.outcome(columns, started.elapsed()))
    }
}

/// The query as it is sent, and how each column is read. A value of a type
/// without a bound (text, bytea, JSON, arrays, anything else) is cut on the
/// server to what a cell shows: the driver receives each row whole, so one
/// `repeat('x', 1e9)` would otherwise be a gigabyte in the bot. The query is
/// wrapped in a subquery for that (its text unchanged inside), and left as
/// it is when every column has a bounded type.
fn bounded_projection(text: &str, columns: &[Column]) -> (String, Vec<PgKind>) {
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

fn timeout_or(limit: Duration) -> impl Fn(sqlx::Error) -> ExecError {
    move |e| match &e {
        // 57014: query_canceled, which statement_timeout raises.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
            ExecError::Timeout(limit)
        }
        _ => database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::{Foresight, OutOfLine, Reading, timestamp_text};

    /// A statement that builds values of what it reads, with no `LIMIT`.
    const BUILDS: Reading = Reading {
        row_bytes: 0.0,
        builds_from_reads: true,
        row_copies: 1.0,
        top_rows: None,
    };

    /// Ten-megabyte documents, every one of them, read by `alias`.
    fn documents(alias: &str) -> std::collections::HashMap<(String, String), OutOfLine> {
        let each = OutOfLine {
            per_row: 10e6,
            longest: 10e6,
            kept: None,
        };
        [(("docs".to_owned(), alias.to_owned()), each)]
            .into_iter()
            .collect()
    }

    /// The most bytes a step of `plan` may pass when it reads `kv`, 101
    /// rows of which one holds a value of 10 MB (99 kB a row on average),
    /// and 120 of the series' rows.
    fn heaviest_over_kv(plan: &serde_json::Value) -> f64 {
        weights_over_kv(plan, BUILDS).heaviest
    }

    /// What `plan` passes and keeps over `kv` (see [`heaviest_over_kv`]),
    /// the statement `reading` so.
    fn weights_over_kv(plan: &serde_json::Value, reading: Reading) -> super::Weights {
        let out_of_line = [(
            ("kv".to_owned(), "k".to_owned()),
            OutOfLine {
                per_row: 10e6 / 100.0,
                longest: 10e6,
                kept: None,
            },
        )]
        .into_iter()
        .collect();
        let tables = [("kv".to_owned(), 100.0)].into_iter().collect();
        Foresight::weigh(plan, tables, out_of_line, reading, None)
    }

    fn kv(estimate: f64, index: Option<&str>) -> serde_json::Value {
        let mut read = serde_json::json!({
            "Node Type": "Seq Scan", "Relation Name": "kv", "Alias": "k",
            "Plan Rows": estimate, "Plan Width": 36,
        });
        if let Some(condition) = index {
            read["Node Type"] = "Index Scan".into();
            read["Index Cond"] = condition.into();
        }
        read
    }

    fn series() -> serde_json::Value {
        serde_json::json!({
            "Node Type": "Function Scan", "Function Name": "generate_series",
            "Plan Rows": 120, "Plan Width": 4,
        })
    }

    /// `inner` beside each of the series' 120 rows (a cross join).
    fn beside_series(inner: serde_json::Value, width: f64) -> serde_json::Value {
        serde_json::json!({
            "Node Type": "Nested Loop", "Plan Rows": 120, "Plan Width": width,
            "Plans": [series(), inner],
        })
    }

    /// The most bytes a step of `plan` may pass, the tables holding `rows`.
    fn heaviest(plan: serde_json::Value, rows: f64) -> f64 {
        let tables = [("clients".to_owned(), rows)].into_iter().collect();
        Foresight::weigh(&plan, tables, Default::default(), BUILDS, None).heaviest
    }

    fn scan(alias: &str, rows: f64, filter: Option<&str>) -> serde_json::Value {
        let mut scan = serde_json::json!({
            "Node Type": "Seq Scan", "Relation Name": "clients", "Alias": alias,
            "Plan Rows": rows, "Plan Width": 33,
        });
        if let Some(filter) = filter {
            scan["Filter"] = filter.into();
        }
        scan
    }

    #[test]
    fn a_subquery_the_plan_does_not_name_is_hashed_when_the_planner_reckons_it_fits() {
        // `SELECT c.id, c.nom = ANY (SELECT …) FROM clients c`: the select
        // list, where the plan does not say "hashed SubPlan 1".
        let plan = |rows: f64, filter: Option<&str>| {
            let mut sub = scan("d", rows, None);
            sub["Parent Relationship"] = "SubPlan".into();
            sub["Subplan Name"] = "SubPlan 1".into();
            let mut outer = scan("c", 3000.0, filter);
            outer["Plans"] = serde_json::json!([sub]);
            outer
        };
        let four_mib = Some(4.0 * 1024.0 * 1024.0);
        let hashed = |plan: &serde_json::Value, memory| {
            Foresight::hashed_in_memory(plan, memory).contains(&"hashed SubPlan 1".to_owned())
        };
        assert!(hashed(&plan(40.0, None), four_mib));
        // Reckoned past the hash memory: run again for each row instead.
        assert!(!hashed(&plan(1e6, None), four_mib));
        // Named in a filter without "hashed": not hashed.
        assert!(!hashed(&plan(40.0, Some("(SubPlan 1)")), four_mib));
        // Nor is "SubPlan 12" the first one.
        assert!(hashed(&plan(40.0, Some("(SubPlan 12)")), four_mib));
        // A statement that tests no values against a subquery's rows.
        assert!(!hashed(&plan(40.0, None), None));
    }

    #[test]
    fn a_filter_the_planner_guesses_is_weighed_as_if_it_kept_every_row() {
        // `FROM clients WHERE length(nom) = 32`: 15 rows guessed of 3,000.
        let plan = scan("clients", 15.0, Some("(length(nom) = 32)"));
        assert_eq!(heaviest(plan, 3000.0), 3000.0 * 33.0);
        // Two such reads joined by a filter: every pair.
        let join = serde_json::json!({
            "Node Type": "Nested Loop", "Plan Rows": 225, "Plan Width": 66,
            "Join Filter": "(length((a.nom || b.nom)) = 64)",
            "Plans": [scan("a", 3000.0, None), scan("b", 3000.0, None)],
        });
        assert_eq!(heaviest(join, 3000.0), 9e6 * 66.0);
    }

    #[test]
    fn a_filter_comparing_one_column_with_written_values_keeps_the_planners_estimate() {
        let trusted = [
            "(id = 42)",
            "(client_id = 42)",
            "((status)::text = 'actif'::text)",
            "((day >= '2025-01-01'::date) AND (day < '2025-02-01'::date))",
            "(amount > '-10.5'::numeric)",
            "(\"Kelvin\" <> 3)",
            "('o''brien'::text = nom)",
        ];
        for filter in trusted {
            assert!(Foresight::compares_one_column(filter), "{filter}");
        }
        let guessed = [
            "(length(nom) = 32)",
            "((client_id = 42) AND (id = 7))",
            "((id = 42) OR (id = 43))",
            "(id = $0)",
            "(id = (SubPlan 1))",
            "(nom = upper(nom))",
            "(client_id = id)",
            "(note = 'a AND b'::text)",
            "((id + 0) = 42)",
            "(nom ~~ 'a%'::text)",
        ];
        for filter in guessed {
            assert!(!Foresight::compares_one_column(filter), "{filter}");
        }
        // `FROM clients c JOIN orders o ON o.client_id = c.id WHERE c.id =
        // 42`, planned as a product of two filtered reads: the rows of
        // client 42, not every pair (helper-39 found it refused).
        let pair = serde_json::json!({
            "Node Type": "Nested Loop", "Plan Rows": 7, "Plan Width": 66,
            "Plans": [scan("c", 1.0, Some("(id = 42)")), scan("o", 7.0, Some("(client_id = 42)"))],
        });
        assert_eq!(heaviest(pair.clone(), 3000.0), 7.0 * 66.0);
        // Statistics never taken, or taken before most rows were written:
        // the planner's share is a default, and every row counts.
        let stale = super::Tables {
            rows: [("clients".to_owned(), 3000.0)].into_iter().collect(),
            analysed: Default::default(),
        };
        let weights = Foresight::weigh(&pair, stale, Default::default(), BUILDS, None);
        assert_eq!(weights.heaviest, 9e6 * 66.0);
    }

    #[test]
    fn a_read_through_an_index_by_written_values_keeps_the_planners_estimate() {
        let read = |condition: &str, filter: Option<&str>| {
            let mut read = serde_json::json!({
                "Node Type": "Bitmap Heap Scan", "Relation Name": "clients",
                "Plan Rows": 8, "Plan Width": 33, "Recheck Cond": condition,
            });
            if let Some(filter) = filter {
                read["Filter"] = filter.into();
            }
            heaviest(read, 400_000.0)
        };
        assert_eq!(read("(client_id = 42)", None), 8.0 * 33.0);
        // A further filter the planner guesses, or a value it cannot see.
        assert_eq!(
            read("(client_id = 42)", Some("(length(nom) = 32)")),
            400_000.0 * 33.0
        );
        assert_eq!(read("(client_id = $0)", None), 400_000.0 * 33.0);
    }

    #[test]
    fn an_equality_of_columns_keeps_the_planners_estimate() {
        let join = |condition: &str| {
            serde_json::json!({
                "Node Type": "Hash Join", "Plan Rows": 3000, "Plan Width": 66,
                "Hash Cond": condition,
                "Plans": [scan("a", 3000.0, None), {
                    "Node Type": "Hash", "Plan Rows": 3000, "Plan Width": 33,
                    "Plans": [scan("b", 3000.0, None)],
                }],
            })
        };
        assert_eq!(heaviest(join("(b.id = a.id)"), 3000.0), 3000.0 * 66.0);
        assert_eq!(
            heaviest(join("((b.id = a.id) AND (b.k = a.k))"), 3000.0),
            3000.0 * 66.0
        );
        // An equality of expressions is guessed from a default share.
        assert_eq!(
            heaviest(join("((b.id % 2) = (a.id % 2))"), 3000.0),
            9e6 * 66.0
        );
    }

    #[test]
    fn a_recursion_has_no_bound_and_a_cte_weighs_what_it_reads() {
        let recursion = serde_json::json!({
            "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
            "Plans": [
                {"Node Type": "Recursive Union", "Parent Relationship": "InitPlan",
                 "Subplan Name": "CTE r", "Plan Rows": 101, "Plan Width": 4, "Plans": [
                    {"Node Type": "Result", "Plan Rows": 1, "Plan Width": 4},
                    {"Node Type": "WorkTable Scan", "Plan Rows": 10, "Plan Width": 4},
                 ]},
                {"Node Type": "CTE Scan", "CTE Name": "r", "Plan Rows": 101, "Plan Width": 4},
            ],
        });
        assert!(heaviest(recursion, 3000.0).is_infinite());
        let cte = serde_json::json!({
            "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
            "Plans": [
                {"Node Type": "Seq Scan", "Parent Relationship": "InitPlan",
                 "Subplan Name": "CTE a", "Relation Name": "clients",
                 "Plan Rows": 15, "Plan Width": 33, "Filter": "(length(nom) = 32)"},
                {"Node Type": "CTE Scan", "CTE Name": "a", "Plan Rows": 15, "Plan Width": 32},
            ],
        });
        assert_eq!(heaviest(cte, 3000.0), 3000.0 * 33.0);
    }

    #[test]
    fn a_filter_on_a_function_scan_may_hide_what_it_is_guessed_to_keep() {
        // `FROM clients, generate_series(1, 120) g WHERE g + 0 = g`: one
        // row guessed of 120.
        let series = |filter: Option<&str>| {
            let mut scan = serde_json::json!({
                "Node Type": "Function Scan", "Function Name": "generate_series",
                "Plan Rows": 1, "Plan Width": 4,
            });
            if let Some(filter) = filter {
                scan["Filter"] = filter.into();
            }
            scan
        };
        let joined = |inner: serde_json::Value| {
            serde_json::json!({
                "Node Type": "Nested Loop", "Plan Rows": 1, "Plan Width": 37,
                "Plans": [scan("c", 1.0, None), inner],
            })
        };
        assert_eq!(heaviest(joined(series(None)), 1.0), 37.0);
        assert_eq!(
            heaviest(joined(series(Some("((g + 0) = g)"))), 1.0),
            200.0 * 37.0
        );
        assert_eq!(
            heaviest(
                joined(series(Some("(((g + 0) = g) AND ((g * 1) = g))"))),
                1.0
            ),
            40_000.0 * 37.0
        );
    }

    #[test]
    fn a_row_picked_among_others_carries_the_longest_value_not_the_average() {
        // Each row of kv beside each of the series: 120 times all of kv.
        let product = beside_series(kv(100.0, None), 40.0);
        assert_eq!(heaviest_over_kv(&product), 120.0 * (100.0 * 40.0 + 10e6));
        // `(SELECT max(k.val) AS v FROM kv k) t, generate_series(1, 120)`:
        // the one row of the aggregate may hold the longest value (helper-38's
        // hashed NOT IN took a backend to 1.2 GiB), as may the one row an
        // index finds (`WHERE k.id = 1000`).
        let maximum = serde_json::json!({
            "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
            "Plans": [kv(100.0, None)],
        });
        assert_eq!(
            heaviest_over_kv(&beside_series(maximum, 36.0)),
            120.0 * (36.0 + 10e6)
        );
        let by_key = kv(1.0, Some("(id = 1000)"));
        assert_eq!(
            heaviest_over_kv(&beside_series(by_key, 40.0)),
            120.0 * (40.0 + 10e6)
        );
        // `max(k.val) OVER ()`: every row may hold a copy beside its own.
        let window = serde_json::json!({
            "Node Type": "WindowAgg", "Plan Rows": 100, "Plan Width": 68,
            "Plans": [kv(100.0, None)],
        });
        assert_eq!(
            heaviest_over_kv(&window),
            100.0 * 68.0 + 10e6 + 100.0 * 10e6
        );
        // A join the planner estimates from the columns may meet the long
        // value's row as often as it passes rows.
        let matched = serde_json::json!({
            "Node Type": "Hash Join", "Plan Rows": 60, "Plan Width": 40,
            "Hash Cond": "(x.k = k.id)",
            "Plans": [series(), {
                "Node Type": "Hash", "Plan Rows": 100, "Plan Width": 36,
                "Plans": [kv(100.0, None)],
            }],
        });
        assert_eq!(heaviest_over_kv(&matched), 60.0 * (40.0 + 10e6));
    }

    #[test]
    fn the_first_rows_of_a_limit_and_the_values_of_hashed_groups_stay_in_memory() {
        // `… ORDER BY g DESC LIMIT 200` of kv's rows beside the series'
        // 120, each holding `k.val || g` (helper-39: 1.9 GiB).
        let product = || beside_series(kv(100.0, None), 40.0);
        let sorted = |limit: Option<serde_json::Value>, reading: Reading| {
            let sort = serde_json::json!({
                "Node Type": "Sort", "Parent Relationship": "Outer",
                "Plan Rows": 12000, "Plan Width": 40, "Plans": [product()],
            });
            let plan = match limit {
                Some(mut limit) => {
                    limit["Plans"] = serde_json::json!([{
                        "Node Type": "Subquery Scan", "Parent Relationship": "Outer",
                        "Plan Rows": 12000, "Plan Width": 40, "Plans": [sort],
                    }]);
                    limit
                }
                None => sort,
            };
            weights_over_kv(&plan, reading).sorted
        };
        let limit =
            || Some(serde_json::json!({"Node Type": "Limit", "Plan Rows": 200, "Plan Width": 40}));
        let top = Reading {
            top_rows: Some(200),
            ..BUILDS
        };
        // Each of the 200 rows may hold the long value: all of kv's rows
        // beside the series hold no more than 1.2 GB.
        assert_eq!(sorted(limit(), top), 200.0 * 104.0 + 1.2e9);
        // A LIMIT of a computed count keeps as many as reach the sort.
        assert_eq!(sorted(limit(), BUILDS), 12000.0 * 104.0 + 1.2e9);
        // Values as read are kept by their pointers.
        let as_read = Reading {
            builds_from_reads: false,
            ..top
        };
        assert_eq!(sorted(limit(), as_read), 200.0 * 104.0);
        // Without a LIMIT, the sort spills to disk past work_mem.
        assert_eq!(sorted(None, top), 0.0);
        // `max(k.val || g) … GROUP BY g % 100`, hashed: every group may
        // grow to the longest value (helper-39: 1 GiB).
        let grouped = |strategy: &str| {
            let plan = serde_json::json!({
                "Node Type": "Aggregate", "Strategy": strategy, "Plan Rows": 100,
                "Plan Width": 36, "Plans": [product()],
            });
            weights_over_kv(&plan, BUILDS).grouped
        };
        assert_eq!(grouped("Hashed"), 1.2e9);
        assert_eq!(grouped("Sorted"), 0.0);
    }

    #[test]
    fn a_subquerys_value_is_held_by_the_rows_it_may_be_used_in() {
        let maximum = |relationship: &str, name: &str| {
            serde_json::json!({
                "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
                "Parent Relationship": relationship, "Subplan Name": name,
                "Plans": [kv(100.0, None)],
            })
        };
        // `(SELECT max(k.val) FROM kv k) || g … ORDER BY g DESC LIMIT 200`:
        // the InitPlan hangs from the LIMIT, above the sort whose rows hold
        // its value (helper-39's variant: 2 GiB).
        let series = serde_json::json!({
            "Node Type": "Function Scan", "Function Name": "generate_series",
            "Plan Rows": 700, "Plan Width": 36,
        });
        let plan = serde_json::json!({
            "Node Type": "Limit", "Plan Rows": 200, "Plan Width": 36,
            "Plans": [maximum("InitPlan", "InitPlan 1 (returns $0)"), {
                "Node Type": "Sort", "Parent Relationship": "Outer",
                "Plan Rows": 700, "Plan Width": 36, "Plans": [series.clone()],
            }],
        });
        let top = Reading {
            top_rows: Some(200),
            ..BUILDS
        };
        assert_eq!(
            weights_over_kv(&plan, top).sorted,
            200.0 * (36.0 + 64.0) + 200.0 * 10e6
        );
        // A correlated subquery's value, held by the rows of the step that
        // computes it, unless the step only tests it.
        let scan = |filter: Option<&str>| {
            let mut scan = series.clone();
            scan["Plans"] = serde_json::json!([maximum("SubPlan", "SubPlan 1")]);
            if let Some(filter) = filter {
                scan["Filter"] = filter.into();
            }
            heaviest_over_kv(&scan)
        };
        assert_eq!(scan(None), 700.0 * (36.0 + 10e6));
        // Tested only: the heaviest step is kv's own read.
        assert_eq!(scan(Some("((SubPlan 1) IS NOT NULL)")), 100.0 * 36.0 + 10e6);
    }

    #[test]
    fn an_aggregate_over_grouping_sets_passes_a_row_for_each_empty_set() {
        // `GROUP BY GROUPING SETS ((), (), …)`, 120 times: the plan says one
        // row.
        let sets = vec![serde_json::json!([]); 120];
        let grouped = serde_json::json!({
            "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
            "Grouping Sets": [{"Group Keys": sets}],
            "Plans": [kv(100.0, None)],
        });
        assert_eq!(heaviest_over_kv(&grouped), 120.0 * (32.0 + 10e6));
        // A set of keys passes up to a row per row of its input.
        let keyed = serde_json::json!({
            "Node Type": "Aggregate", "Strategy": "Mixed", "Plan Rows": 3, "Plan Width": 32,
            "Grouping Sets": [{"Hash Keys": [["k.id"]]}, {"Group Keys": [[]]}],
            "Plans": [kv(100.0, None)],
        });
        assert_eq!(heaviest_over_kv(&keyed), 101.0 * 32.0 + 101.0 * 10e6);
    }

    #[test]
    fn values_stored_out_of_line_weigh_their_length_not_their_pointer() {
        // `string_agg(d.body, ',')` over 200 documents of 10 MB, each an
        // 18-byte pointer in the plan, joined to 3 clients by a filter.
        let docs = serde_json::json!({
            "Node Type": "Seq Scan", "Relation Name": "docs", "Alias": "d",
            "Plan Rows": 200, "Plan Width": 18,
        });
        let out_of_line = documents("d");
        let tables = [("docs".to_owned(), 200.0), ("clients".to_owned(), 3.0)]
            .into_iter()
            .collect();
        let alone = Foresight::weigh(&docs, tables, out_of_line, BUILDS, None).heaviest;
        assert_eq!(alone, 200.0 * (18.0 + 10e6));
        let joined = serde_json::json!({
            "Node Type": "Nested Loop", "Plan Rows": 200, "Plan Width": 51,
            "Join Filter": "(c.id <> d.id)",
            "Plans": [docs, scan("c", 3.0, None)],
        });
        let out_of_line = documents("d");
        let tables = [("docs".to_owned(), 200.0), ("clients".to_owned(), 3.0)]
            .into_iter()
            .collect();
        let every_pair = Foresight::weigh(&joined, tables, out_of_line, BUILDS, None).heaviest;
        assert_eq!(every_pair, 600.0 * (51.0 + 10e6));
        // Another alias of the same table reads other columns.
        let other = serde_json::json!({
            "Node Type": "Seq Scan", "Relation Name": "docs", "Alias": "e",
            "Plan Rows": 200, "Plan Width": 18,
        });
        let out_of_line = documents("d");
        let tables = [("docs".to_owned(), 200.0)].into_iter().collect();
        assert_eq!(
            Foresight::weigh(&other, tables, out_of_line, BUILDS, None).heaviest,
            200.0 * 18.0
        );
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
