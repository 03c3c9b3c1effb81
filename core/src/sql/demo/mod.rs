//! The demo Execute target: a French CRM (employees, clients, contacts,
//! contracts, payments, documents, notes; about thirty thousand rows) whose
//! data tells one coherent story ([`generate`] says how), so that a new user
//! can try questions and Execute without a database of their own, and so that
//! answer quality is measured on ground an analyst would trust.
//!
//! The same rows go to a SQLite file ([`create`]), to a `crm` schema on
//! PostgreSQL with a SELECT-only role ([`create_postgres`]), or to an Oracle
//! script ([`oracle_script`]). Every table and column carries a comment
//! ([`model`]) that the schema catalogue shows the model.

mod generate;
mod model;
mod words;

use std::path::Path;

use sqlx::Connection;

/// The demo CRM's glossary: its business terms, conventions and data
/// quirks, shown in every SQL prompt of the demo target.
pub const GLOSSARY: &str = include_str!("glossary.md");
/// The demo CRM's semantic model, written from its glossary.
pub const SEMANTIC: &str = include_str!("semantic.toml");

pub use generate::{GRACE_DAYS, today};

/// How many rows each table got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub tables: Vec<(&'static str, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0} already exists; remove it first (or pass --force)")]
    Exists(String),
    #[error("cannot create the demo database: {0}")]
    Create(String),
    #[error("{0}")]
    Refused(String),
}

/// A generated value.
#[derive(Debug, Clone, PartialEq)]
enum V {
    I(i64),
    R(f64),
    T(String),
    D(chrono::NaiveDate),
    N,
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::I(v)
    }
}
impl From<f64> for V {
    fn from(v: f64) -> Self {
        V::R(v)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::T(v.to_owned())
    }
}
impl From<String> for V {
    fn from(v: String) -> Self {
        V::T(v)
    }
}
impl From<chrono::NaiveDate> for V {
    fn from(v: chrono::NaiveDate) -> Self {
        V::D(v)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> Self {
        v.map_or(V::N, Into::into)
    }
}

fn summary(rows: &generate::Rows) -> DemoSummary {
    let mut tables: Vec<(&'static str, u64)> = Vec::new();
    for (table, _) in rows {
        match tables.iter_mut().find(|(t, _)| t == table) {
            Some((_, n)) => *n += 1,
            None => tables.push((table, 1)),
        }
    }
    DemoSummary { tables }
}

/// Rows per multi-row INSERT: few statements, within every database's
/// limit on bound parameters (11 columns × 500 < 32,767).
const BATCH: usize = 500;

/// One multi-row INSERT (`$n` parameters), its table and the rows it binds.
struct Batch<'r> {
    sql: String,
    table: &'static model::Table,
    rows: &'r [(&'static str, Vec<V>)],
}

/// The INSERTs that put `rows` in a database.
fn batches<'r>(rows: &'r generate::Rows, schema: Option<&str>) -> Vec<Batch<'r>> {
    let mut out = Vec::new();
    for chunk in rows.chunk_by(|a, b| a.0 == b.0) {
        let table = model::TABLES
            .iter()
            .find(|t| t.name == chunk[0].0)
            .expect("rows of the model's tables");
        for batch in chunk.chunks(BATCH) {
            let width = table.columns.len();
            let tuples: Vec<String> = (0..batch.len())
                .map(|row| {
                    let marks: Vec<String> = (1..=width)
                        .map(|c| format!("${}", row * width + c))
                        .collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            let name =
                schema.map_or_else(|| table.name.to_owned(), |s| format!("{s}.{}", table.name));
            out.push(Batch {
                sql: format!("INSERT INTO {name} VALUES {}", tuples.join(", ")),
                table,
                rows: batch,
            });
        }
    }
    out
}

/// Runs [`batches`] on a connection of either database, each NULL bound
/// with its column's type (PostgreSQL will not put a text NULL in a date).
macro_rules! insert_batches {
    ($conn:expr, $rows:expr, $schema:expr) => {{
        for batch in batches($rows, $schema) {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(batch.sql));
            for (_, values) in batch.rows {
                for (value, column) in values.iter().zip(batch.table.columns) {
                    query = match (value, column.kind) {
                        (V::I(n), _) => query.bind(*n),
                        (V::R(x), _) => query.bind(*x),
                        (V::T(t), _) => query.bind(t.as_str()),
                        (V::D(d), _) => query.bind(*d),
                        (V::N, model::Kind::Date) => query.bind(None::<chrono::NaiveDate>),
                        (V::N, model::Kind::Money) => query.bind(None::<f64>),
                        (V::N, model::Kind::Id | model::Kind::Integer) => query.bind(None::<i64>),
                        (V::N, model::Kind::Text) => query.bind(None::<&str>),
                    };
                }
            }
            query.execute(&mut *$conn).await?;
        }
        Ok::<(), sqlx::Error>(())
    }};
}

/// Creates the demo database at `path` (and its directory).
///
/// # Errors
/// [`DemoError::Exists`] when the file is there and `force` is false, or
/// [`DemoError::Create`] when it cannot be written.
pub async fn create(path: &Path, force: bool) -> Result<DemoSummary, DemoError> {
    // Named with its path: a read-only or full data folder is mended there.
    let create = |e: &dyn std::fmt::Display| DemoError::Create(format!("{}: {e}", path.display()));
    if path.exists() {
        if !force {
            return Err(DemoError::Exists(path.display().to_string()));
        }
        std::fs::remove_file(path).map_err(|e| create(&e))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| create(&e))?;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| create(&e))?;
    let mut tx = conn.begin().await.map_err(|e| create(&e))?;
    for statement in model::ddl(model::Flavour::Sqlite, None) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .map_err(|e| create(&e))?;
    }
    let rows = generate::generate();
    let inserted: Result<(), sqlx::Error> = async { insert_batches!(tx, &rows, None) }.await;
    inserted.map_err(|e| create(&e))?;
    tx.commit().await.map_err(|e| create(&e))?;
    conn.close().await.map_err(|e| create(&e))?;
    Ok(summary(&rows))
}

/// The schema the demo occupies on PostgreSQL and Oracle.
pub const SCHEMA: &str = "crm";

/// What [`create_postgres`] made.
#[derive(Debug)]
pub struct PostgresDemo {
    pub summary: DemoSummary,
    /// The SELECT-only role for the Execute target.
    pub reader: String,
    /// The Execute target's URL: the database, as the reader, without a
    /// password.
    pub target_url: String,
    /// Where the database was, without its password, to be printed.
    pub shown_url: String,
}

/// A password for the reader role: 20 letters and digits, none that read
/// alike.
pub fn reader_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())]))
        .collect()
}

/// Creates the demo CRM in the schema `crm` of the PostgreSQL database at
/// `url` (replacing it with `force`), with every table and column commented,
/// and the role `reader` (created, or its password reset) allowed to log in
/// with `password` and to read those tables, nothing else.
///
/// # Errors
/// [`DemoError::Exists`] when the schema is there and `force` is false,
/// [`DemoError::Refused`] for a role name that is no plain identifier, or
/// an existing role that may do more than log in,
/// [`DemoError::Create`] for anything the server refuses.
pub async fn create_postgres(
    url: &str,
    reader: &str,
    password: &str,
    force: bool,
) -> Result<PostgresDemo, DemoError> {
    let create = |e: &dyn std::fmt::Display| DemoError::Create(e.to_string());
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !plain(reader) {
        return Err(DemoError::Refused(format!(
            "the reader role {reader:?} must be a plain lower-case identifier"
        )));
    }
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| create(&e))?;
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = $1)",
    )
    .bind(SCHEMA)
    .fetch_one(&mut conn)
    .await
    .map_err(|e| create(&e))?;
    if exists && !force {
        return Err(DemoError::Exists(format!("the schema {SCHEMA}")));
    }
    let mut tx = conn.begin().await.map_err(|e| create(&e))?;
    // An existing role is reused only when it can do nothing but log in:
    // re-granting SELECT to a role that keeps REPLICATION, BYPASSRLS, a
    // membership (pg_read_server_files…), objects of its own or write
    // grants would hand the Execute target more than reading.
    let existing: Option<bool> = sqlx::query_scalar(
        "SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication \
                OR r.rolbypassrls \
                OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) \
                OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid) \
                OR EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspowner = r.oid) \
                OR EXISTS (SELECT 1 FROM information_schema.role_table_grants g \
                            WHERE g.grantee = r.rolname AND g.privilege_type <> 'SELECT') \
         FROM pg_roles r WHERE r.rolname = $1",
    )
    .bind(reader)
    .fetch_optional(&mut *tx)
    .await
    .map_err(|e| create(&e))?;
    if existing == Some(true) {
        return Err(DemoError::Refused(format!(
            "the role {reader} exists and may do more than log in (attributes, memberships, \
             objects or write grants): name another --reader, or drop it first"
        )));
    }
    let literal = format!("'{}'", password.replace('\'', "''"));
    let mut statements = vec![
        format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
        format!("CREATE SCHEMA {SCHEMA}"),
    ];
    statements.extend(model::ddl(model::Flavour::Postgres, Some(SCHEMA)));
    statements.extend(model::comments(SCHEMA));
    if existing.is_some() {
        statements.push(format!("ALTER ROLE {reader} LOGIN PASSWORD {literal}"));
        // Settings it was given (a work_mem, a search_path) go too.
        statements.push(format!("ALTER ROLE {reader} RESET ALL"));
    } else {
        statements.push(format!("CREATE ROLE {reader} LOGIN PASSWORD {literal}"));
    }
    statements.push(format!("GRANT USAGE ON SCHEMA {SCHEMA} TO {reader}"));
    statements.push(format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {reader}"
    ));
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .map_err(|e| create(&e))?;
    }
    let rows = generate::generate();
    let inserted: Result<(), sqlx::Error> =
        async { insert_batches!(tx, &rows, Some(SCHEMA)) }.await;
    inserted.map_err(|e| create(&e))?;
    tx.commit().await.map_err(|e| create(&e))?;
    // The value hints (and the planner's estimates the cost weighing reads)
    // come from the statistics, which autovacuum would gather only later: a
    // fresh demo has them at once.
    for table in model::TABLES {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ANALYZE {SCHEMA}.{}",
            table.name
        )))
        .execute(&mut conn)
        .await
        .map_err(|e| create(&e))?;
    }
    conn.close().await.map_err(|e| create(&e))?;
    let parsed = url::Url::parse(url).map_err(|e| create(&e))?;
    let mut shown = parsed.clone();
    let _ = shown.set_password(None);
    let mut target = shown.clone();
    let _ = target.set_username(reader);
    target.set_query(None);
    Ok(PostgresDemo {
        summary: summary(&rows),
        reader: reader.to_owned(),
        target_url: target.to_string(),
        shown_url: shown.to_string(),
    })
}

/// The same CRM as a SQL*Plus script for Oracle (the container's init
/// directory runs it as SYS): a `CRM` schema owning the tables, their
/// comments and the data, and a `PSTRAL_READER` account that may only
/// connect and SELECT them, with the password given here.
pub fn oracle_script(reader_password: &str) -> String {
    let mut out = String::from(
        "-- Generated by `pstral demo init --oracle-script`: the demo CRM for Oracle.\n\
         ALTER SESSION SET CONTAINER = FREEPDB1;\n\
         CREATE USER crm NO AUTHENTICATION QUOTA UNLIMITED ON users;\n",
    );
    for statement in model::ddl(model::Flavour::Oracle, Some(SCHEMA))
        .into_iter()
        .chain(model::comments(SCHEMA))
    {
        out.push_str(&statement);
        out.push_str(";\n");
    }
    let literal = |v: &V| match v {
        V::I(n) => n.to_string(),
        V::R(x) => x.to_string(),
        V::T(t) => format!("'{}'", t.replace('\'', "''")),
        V::D(d) => format!("DATE '{d}'"),
        V::N => "NULL".to_owned(),
    };
    for (table, values) in generate::generate() {
        let values: Vec<String> = values.iter().map(literal).collect();
        out.push_str(&format!(
            "INSERT INTO {SCHEMA}.{table} VALUES ({});\n",
            values.join(", ")
        ));
    }
    out.push_str("COMMIT;\n");
    out.push_str(&format!(
        "CREATE USER pstral_reader IDENTIFIED BY \"{}\";\nGRANT CREATE SESSION TO pstral_reader;\n",
        reader_password.replace('"', "")
    ));
    for table in model::TABLES {
        out.push_str(&format!(
            "GRANT SELECT ON {SCHEMA}.{} TO pstral_reader;\n",
            table.name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic() {
        assert_eq!(generate::generate(), generate::generate());
        let summary = summary(&generate::generate());
        let names: Vec<&str> = summary.tables.iter().map(|t| t.0).collect();
        let expected: Vec<&str> = model::TABLES.iter().map(|t| t.name).collect();
        assert_eq!(names, expected, "every table, parents first");
    }

    #[test]
    fn the_oracle_script_has_the_schema_comments_data_and_a_read_only_account() {
        let script = oracle_script("s3cret");
        assert!(
            script.contains("CREATE TABLE crm.clients (\n    id NUMBER(10) PRIMARY KEY"),
            "{:.600}",
            script
        );
        assert!(script.contains("REFERENCES crm.users (id)"));
        assert!(script.contains("COMMENT ON COLUMN crm.payments.status IS 'With a grace period"));
        let inserts = script
            .lines()
            .filter(|l| l.starts_with("INSERT INTO crm."))
            .count();
        assert_eq!(inserts, generate::generate().len());
        assert!(script.contains("GRANT SELECT ON crm.payments TO pstral_reader;"));
        assert!(script.contains("IDENTIFIED BY \"s3cret\""));
        assert!(!script.contains("GRANT INSERT") && !script.contains("GRANT UPDATE"));
        // Quotes in the data are doubled, dates are DATE literals.
        assert!(script.contains("l''offre"));
        assert!(script.contains("DATE '20"));
    }
}
