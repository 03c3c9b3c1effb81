//! The PostgreSQL Execute target: each statement in a `READ ONLY`
//! transaction with local limits (`statement_timeout`, `work_mem`, …), cut
//! server-side at the row and size caps, then rolled back.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::SqlSafeStr as _;

use super::*;
use crate::sql::Dialect;
use crate::sql::validate::Validated;

/// A PostgreSQL database.
pub struct PostgresExecutor {
    pool: sqlx::PgPool,
    /// The allowed schemas, quoted, for `SET LOCAL search_path`.
    search_path: String,
    /// Whether each query's plan is weighed before it runs
    /// (`weigh_plans`): off for a replica that bounds itself.
    weigh: bool,
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
            weigh: true,
        })
    }

    /// Whether each query's plan is weighed before it is offered and again
    /// before it runs (on by default; see `weigh_plans`).
    pub fn weighing(mut self, on: bool) -> Self {
        self.weigh = on;
        self
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
    /// Gives the connection back ([`Self::give_back`]), or closes it after
    /// a query stopped by its deadline: one the bot stopped waiting for may
    /// still be running there (see [`weigh_in_time`]).
    async fn give_back_unless_late<T>(
        mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
        outcome: &Result<T, ExecError>,
    ) {
        match outcome {
            Err(ExecError::Timeout(_)) => conn.close_on_drop(),
            _ => Self::give_back(conn).await,
        }
    }

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

/// Weighs `query` ([`weigh`]) within what is left of `limit` since
/// `started`: each of the weighing's measures is bounded by the server's
/// `statement_timeout`, but not their sum, and several measures each
/// within the deadline may together pass it. Past it, the measure in
/// flight is abandoned ([`ExecError::Timeout`]), and its connection closed
/// rather than waited for.
async fn weigh_in_time(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    limit: Duration,
    started: Instant,
) -> Result<(), ExecError> {
    let left = limit.saturating_sub(started.elapsed());
    // The server stops at the same deadline: a measure the bot stops
    // waiting for would otherwise run to its own `statement_timeout`.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = {}",
        left.as_millis().max(1)
    )))
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    match tokio::time::timeout(left, weigh(conn, query, plan, limit)).await {
        Ok(weighed) => weighed,
        Err(_) => Err(ExecError::Timeout(limit)),
    }
}

/// The planner's plan for a query, as EXPLAIN (FORMAT JSON) gives it.
async fn plan_of(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    limit: Duration,
) -> Result<serde_json::Value, ExecError> {
    // The planner expands every view first, in memory, whatever the
    // deadline says of the EXPLAIN after.
    weigh::weigh_expansion(conn, query).await?;
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

mod cells;
mod foresight;
mod measured;
mod weigh;

use cells::{bounded_projection, pg_cell_into};
use weigh::weigh;

#[async_trait::async_trait]
impl Executor for PostgresExecutor {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn catalog(&self, schemas: &[String]) -> Result<crate::sql::schema::Catalog, ExecError> {
        let schemas: Vec<String> = if schemas.is_empty() {
            vec!["public".to_owned()]
        } else {
            schemas
                .iter()
                .map(|s| Dialect::Postgres.fold_unquoted(s))
                .collect()
        };
        let columns = self.column_rows(&schemas).await?;
        let keys = self.key_rows(&schemas).await?;
        let views = self.view_definitions(&schemas).await?;
        let generated = self.generated_columns(&schemas).await?;
        let inherits = self.inheritance(&schemas).await?;
        let mut catalog = catalog_of(columns, keys);
        catalog.inherits = inherits;
        catalog.views = views;
        catalog.generated = generated;
        Ok(catalog)
    }

    async fn explain(&self, query: &Validated, timeout: Duration) -> Result<Plan, ExecError> {
        let started = Instant::now();
        let mut conn = self.connection().await?;
        let plan = async {
            let mut tx = self.read_only(&mut conn, timeout).await?;
            let plan = plan_of(&mut tx, query, timeout).await?;
            if self.weigh {
                weigh_in_time(&mut tx, query, &plan[0]["Plan"], timeout, started).await?;
            }
            let _ = tx.rollback().await;
            Ok::<_, ExecError>(plan)
        }
        .await;
        Self::give_back_unless_late(conn, &plan).await;
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
            let outcome = self.run_in(&mut tx, query, limits, sink, started).await;
            // Nothing was written (READ ONLY), and nothing is kept; past the
            // deadline the connection is closed instead (a rollback would
            // wait for a measure abandoned in flight).
            if !matches!(outcome, Err(ExecError::Timeout(_))) {
                let _ = tx.rollback().await;
            }
            outcome
        }
        .await;
        Self::give_back_unless_late(conn, &outcome).await;
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
        type Limits = (String, bool, String, String, String, i32);
        let (name, recovering, temp_files, statements, idle, connections): Limits = sqlx::query_as(
            "SELECT current_user::text, pg_is_in_recovery(), \
                 current_setting('temp_file_limit'), current_setting('statement_timeout'), \
                 current_setting('idle_in_transaction_session_timeout'), \
                 (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user)",
        )
        .persistent(false)
        .fetch_one(&self.pool)
        .await
        .map_err(database)?;
        let mut advice = Vec::new();
        if !recovering {
            advice.push(
                "the target is a primary (pg_is_in_recovery() is false): every query a click runs \
                 shares its memory, disk and locks with the company's writes; point the target at a \
                 replica or an instance of its own (OPERATING.md, \"What the database must bound\")"
                    .to_owned(),
            );
        }
        // What the role leaves unbounded, each with the statement that
        // bounds it: Pstral bounds what it runs and waits for, the server
        // what outlives the bot's wait.
        let role = format!("ALTER ROLE \"{}\"", name.replace('"', "\"\""));
        if temp_files == "-1" {
            advice.push(format!(
                "temp_file_limit is not set for {name}: one query can fill the server's temporary disk \
                 until the time limit. A superuser can bound it: {role} SET temp_file_limit = '1GB'"
            ));
        }
        if statements == "0" {
            advice.push(format!(
                "statement_timeout is not set for {name}: a query the bot stopped waiting for (it \
                 was stopped, its connection lost) runs on in the server. {role} SET statement_timeout = '60s'"
            ));
        }
        if idle == "0" {
            advice.push(format!(
                "idle_in_transaction_session_timeout is not set for {name}: a transaction a stopped bot \
                 left open keeps its snapshot until the connection drops. \
                 {role} SET idle_in_transaction_session_timeout = '1min'"
            ));
        }
        if connections < 0 {
            advice.push(format!(
                "{name} may open any number of connections (a bot opens at most 4). \
                 {role} CONNECTION LIMIT 4"
            ));
        }
        Ok(advice)
    }
}

impl PostgresExecutor {
    /// Every column of the tables and views of `schemas`, in their order.
    async fn column_rows(&self, schemas: &[String]) -> Result<Vec<ColumnRow>, ExecError> {
        // A numeric's scale is part of its type here: every value of a
        // `numeric(12,2)` shows two decimals, while a bare `numeric` may
        // hold 1.0 and 1.00, equal and shown apart. A collation is kept
        // only where equal texts may differ (not deterministic).
        sqlx::query_as(
            "SELECT c.table_schema::text, c.table_name::text, c.column_name::text, \
                    CASE WHEN c.data_type = 'numeric' AND c.numeric_scale IS NOT NULL \
                         THEN format('numeric(%s,%s)', c.numeric_precision, c.numeric_scale) \
                         ELSE c.data_type::text END, \
                    c.is_nullable = 'YES', \
                    col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position::int), \
                    obj_description(format('%I.%I', c.table_schema, c.table_name)::regclass, 'pg_class'), \
                    (SELECT k.collname::text FROM pg_collation k \
                      WHERE k.collname = c.collation_name AND NOT k.collisdeterministic LIMIT 1) \
             FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE t.table_type IN ('BASE TABLE', 'VIEW') AND c.table_schema = ANY($1) \
             ORDER BY 1, 2, c.ordinal_position",
        )
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)
    }

    /// Each column of a primary or foreign key of `schemas`' tables.
    async fn key_rows(&self, schemas: &[String]) -> Result<Vec<KeyRow>, ExecError> {
        // From pg_catalog, not information_schema: the latter shows keys
        // only of tables the role owns or may do more than SELECT on, and
        // an Execute target's role may only read.
        sqlx::query_as(
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
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)
    }

    /// Each view's query as PostgreSQL keeps it, for the data-access rules
    /// to follow to what it reads.
    async fn view_definitions(
        &self,
        schemas: &[String],
    ) -> Result<Vec<crate::sql::schema::ViewDefinition>, ExecError> {
        let views: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, pg_get_viewdef(c.oid) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1) ORDER BY 1, 2",
        )
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(views
            .into_iter()
            .map(
                |(schema, name, definition)| crate::sql::schema::ViewDefinition {
                    schema: shown(schema),
                    name,
                    definition: definition.unwrap_or_default(),
                },
            )
            .collect())
    }

    /// Each generated column's expression, for the rules to follow.
    async fn generated_columns(
        &self,
        schemas: &[String],
    ) -> Result<Vec<crate::sql::schema::GeneratedColumn>, ExecError> {
        let generated: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, a.attname::text, pg_get_expr(d.adbin, d.adrelid) \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attgenerated <> '' AND a.attnum > 0 AND NOT a.attisdropped \
               AND n.nspname = ANY($1) ORDER BY 1, 2, a.attnum",
        )
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(generated
            .into_iter()
            .map(
                |(schema, table, column, expression)| crate::sql::schema::GeneratedColumn {
                    schema: shown(schema),
                    table,
                    column,
                    expression: expression.unwrap_or_default(),
                },
            )
            .collect())
    }

    /// Inheritance and partitions: a parent reads its children's rows.
    async fn inheritance(
        &self,
        schemas: &[String],
    ) -> Result<Vec<crate::sql::schema::Inheritance>, ExecError> {
        let inherits: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT cn.nspname::text, c.relname::text, pn.nspname::text, p.relname::text \
             FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace \
             JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'f') AND p.relkind IN ('r', 'p') \
               AND (cn.nspname = ANY($1) OR pn.nspname = ANY($1))",
        )
        .bind(schemas)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(inherits
            .into_iter()
            .map(|(cs, c, ps, p)| crate::sql::schema::Inheritance {
                child: crate::sql::schema::TableName {
                    schema: shown(cs),
                    name: c,
                },
                parent: crate::sql::schema::TableName {
                    schema: shown(ps),
                    name: p,
                },
            })
            .collect())
    }

    async fn run_in(
        &self,
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
        if self.weigh {
            weigh_in_time(tx, query, &plan[0]["Plan"], limits.timeout, started).await?;
        }
        // `prepare`, not `describe`: sqlx's describe asks the server for
        // `EXPLAIN VERBOSE` to guess nullability, whose text holds every
        // constant the planner folded (`repeat('x', 1e9)` is a gigabyte of
        // plan) and is received whole.
        let prepared = (&mut **tx)
            .prepare(sqlx::AssertSqlSafe(query.text.clone()).into_sql_str())
            .await
            .map_err(|e| match e {
                // sqlx reads the catalogue row of each type it does not
                // know, and fails on a kind it has no name for (a
                // multirange's 'm'); the server's exchange was over by
                // then, so the transaction is whole. Said, not a decode
                // error: the statement can be written so that it reads.
                sqlx::Error::ColumnDecode { source, .. }
                    if source.to_string().contains("unknown type code") =>
                {
                    ExecError::UnreadableColumn
                }
                e => timeout_or(limits.timeout)(e),
            })?;
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
        let columns = columns_of(prepared.columns(), Dialect::Postgres);
        sink.columns(&columns)?;
        let oids: Vec<Option<sqlx::postgres::types::Oid>> = prepared
            .columns()
            .iter()
            .map(|c| sqlx::Column::type_info(c).oid())
            .collect();
        let shapes = cells::shapes(tx, &columns, &oids)
            .await
            .map_err(timeout_or(limits.timeout))?;
        let (text, kinds) = bounded_projection(&query.text, &columns, &shapes);
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

/// A column as the catalogue query reads it: schema, table, column, type,
/// nullable, the column's comment, the table's, a non-deterministic
/// collation.
type ColumnRow = (
    String,
    String,
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// A key's column as the catalogue query reads it: schema, table, column,
/// the kind of key, the table and column a foreign key refers to.
type KeyRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// A schema as the catalogue names it: PostgreSQL's default schema is left
/// unqualified.
fn shown(schema: String) -> Option<String> {
    (schema != "public").then_some(schema)
}

/// The catalogue of `columns` and their `keys`.
fn catalog_of(columns: Vec<ColumnRow>, keys: Vec<KeyRow>) -> crate::sql::schema::Catalog {
    use crate::sql::schema::{CatalogBuilder, CatalogColumn, Key};
    let mut catalog = CatalogBuilder::default();
    for (schema, table, column, data_type, nullable, comment, table_comment, collation) in columns {
        let column = CatalogColumn {
            name: column,
            type_name: data_type,
            nullable,
            comment,
            collation,
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
    catalog.finish()
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
