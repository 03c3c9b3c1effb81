//! Running a validated query on an Execute target, read-only, within a time
//! limit and a row cap, rows streamed into a [`RowSink`] (CSV, XLSX, preview)
//! so that memory stays flat whatever the row count.
//!
//! Three backends behind [`Executor`], one module each: [`oracle`] (the
//! blocking driver kept off the async runtime), [`postgres`] (a `READ ONLY`
//! transaction with a local `statement_timeout`, rolled back) and [`sqlite`]
//! (a read-only connection in a worker process, killed at the deadline). Every value
//! is rendered as text, faithfully: numbers exactly, dates in ISO form, bytes
//! in hex (truncated), NULL as NULL (not the string "NULL").

#[cfg(feature = "oracle")]
pub mod oracle;
mod postgres;
mod sqlite;

use std::time::Duration;

use super::Dialect;
use super::validate::Validated;

pub use postgres::PostgresExecutor;
pub use sqlite::{SqliteExecutor, use_worker_program, worker as sqlite_worker};

/// How long and how much a query may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub row_cap: u64,
    pub timeout: Duration,
    /// The most bytes of values a result may hold, counted as rows arrive;
    /// the rest is cut like rows past the cap.
    pub max_result_bytes: u64,
    /// The most temporary disk a query may use on the bot's machine (SQLite
    /// sorts and intermediate tables); past it the query is stopped.
    pub max_temp_bytes: u64,
    /// The most memory SQLite may allocate for a query on the bot's machine
    /// (in its worker process); past it the query is stopped.
    pub max_memory_bytes: u64,
}

impl Limits {
    /// `row_cap` rows within `timeout`, with the default byte caps.
    pub fn new(row_cap: u64, timeout: Duration) -> Self {
        Self {
            row_cap,
            timeout,
            max_result_bytes: 256 * 1024 * 1024,
            max_temp_bytes: 512 * 1024 * 1024,
            max_memory_bytes: 512 * 1024 * 1024,
        }
    }
}

/// The longest single value the SQLite target may build or return (a
/// string, a blob, a `group_concat`): SQLite refuses more with "string or
/// blob too big" instead of allocating gigabytes in its worker. A cell shows
/// 4,000 characters; a quarter of a megabyte leaves room for what a query
/// builds on the way.
pub const SQLITE_MAX_VALUE_BYTES: i32 = 256 * 1024;
/// The most columns a SQLite result may have: with the value bound, a row
/// the driver holds whole stays under 32 MiB.
pub const SQLITE_MAX_COLUMNS: i32 = 128;
/// The most bytes a PostgreSQL query that gathers rows into one value
/// (`string_agg`, `jsonb_agg`, `ARRAY(…)`: see `Cost::gathers`) may
/// read, by the planner's estimate of its largest step (rows × width). No
/// server setting bounds such a value while it grows (`work_mem` bounds
/// sorts and hashes only): a `jsonb_agg` over a cross join grows until the
/// server runs out of memory. The estimate is the planner's own, from the
/// table statistics and the constants of the statement.
pub const MAX_GATHERED_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Bytes shown of a BLOB/RAW (as hex) or characters of a CLOB before the
/// value is cut with a mark.
pub const MAX_CELL_CHARS: usize = 4000;

/// The most characters of a database's error message the bot keeps, and so
/// shows, audits, logs and sends back to the model in the repair prompt. A
/// message can echo a value the query built (PostgreSQL quotes the text it
/// could not cast: `CAST(repeat('A', 100000000) AS integer)` answers 100 MB),
/// so it is cut where the driver hands it over, before any copy; the start
/// says what went wrong.
pub const MAX_ERROR_CHARS: usize = 600;

/// What a cut error message ends with, before the size it had.
const CUT_MARK: &str = "…[cut from ";

/// A database's error message within [`MAX_ERROR_CHARS`], marked with its
/// size when cut.
pub fn bounded_error(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}{CUT_MARK}{} bytes]", &text[..cut], text.len()),
        None => text.to_owned(),
    }
}

/// A result column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Column {
    pub name: String,
    /// The database's name for its type (NUMBER, TIMESTAMPTZ, TEXT, …).
    pub type_name: String,
    /// What that type says its values are, in the dialect that named it.
    pub kind: super::types::ValueKind,
}

impl Column {
    /// The column `name` of the type `dialect` names `type_name`.
    pub fn new(name: &str, type_name: &str, dialect: Dialect) -> Self {
        // SQLite names a result's column `NULL` when the statement gives it
        // no declared type (an expression, a count): what it holds is not
        // known, whatever the affinity of a column so declared would be.
        let kind = if dialect == Dialect::Sqlite && type_name.eq_ignore_ascii_case("NULL") {
            super::types::ValueKind::Other
        } else {
            super::types::kind(dialect, type_name)
        };
        Column {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            kind,
        }
    }
}

/// A value, as text; `None` is SQL NULL.
pub type Cell = Option<String>;

/// Where rows go as they arrive.
pub trait RowSink: Send {
    /// Called once, before any row.
    ///
    /// # Errors
    /// When the sink cannot write (disk full…); the query stops.
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError>;

    /// # Errors
    /// As [`RowSink::columns`].
    /// The row is lent: a sink that keeps it copies it, so that an
    /// executor can reuse its cells' buffers for the next row.
    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError>;
}

/// What a finished query produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub columns: Vec<Column>,
    /// Rows delivered to the sink (at most the cap).
    pub rows: u64,
    /// More rows existed past the cap.
    pub truncated: bool,
    pub duration: Duration,
}

/// The database's estimate for a query, from EXPLAIN.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub rows: Option<f64>,
    pub cost: Option<f64>,
}

/// Why a query did not run to the end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The target cannot be reached (or, for Oracle, its client library is
    /// missing): nothing ran.
    #[error("the database is not reachable: {0}")]
    Unavailable(String),
    /// The database refused or failed the statement; its own message.
    #[error("the database said: {0}")]
    Database(String),
    #[error("the query ran longer than {0:?} and was stopped")]
    Timeout(Duration),
    /// The query needed more temporary disk than the bound.
    #[error("the query needed more than {} MiB of temporary disk and was stopped", .0 / (1024 * 1024))]
    TempSpace(u64),
    /// The query needed more memory than the process running it may take
    /// (SQLite's worker), in bytes: it was stopped.
    #[error("the query needed more than {} MiB of memory and was stopped", .0 / (1024 * 1024))]
    Memory(u64),
    #[error("the result could not be written: {0}")]
    Sink(String),
    /// The database's own estimate says the query would take more than a
    /// bound allows: it was not run.
    #[error("the query was not run: {0}")]
    TooHeavy(Heavy),
    /// A column of the result is of a type the driver cannot describe (a
    /// multirange, PostgreSQL 14's, unknown to sqlx 0.9): nothing ran.
    #[error(
        "a column of its result is of a type the bot cannot read (a multirange): write it as \
         its ranges, unnest(column), or its bounds, lower(column) and upper(column)"
    )]
    UnreadableColumn,
    /// The result had more rows than the cap, and its statement does not
    /// order them by values that tell them apart, while it reads a column
    /// its reader may not: which rows were kept would follow the order the
    /// database read them in, which may follow that column. Nothing is
    /// shown.
    #[error(
        "the result was cut at a cap after {0} rows and is not ordered by columns that tell \
         them apart, so which rows were kept could follow a column you may not read: order it \
         by the table's key, or narrow it"
    )]
    CutUnordered(u64),
    /// The database refused or failed the statement, or its result was
    /// [cut unordered](ExecError::CutUnordered), and which is withheld: its
    /// reader may not read a column of a table it reads, the message may
    /// quote the first row the database read, and whether a failing row
    /// came before the cap or after it follows the order rows are read in
    /// (see `sql_target::execution`, stage 2). The audit keeps which.
    #[error(
        "nothing is shown: the database could not run it, or its result was cut at its cap \
         without an ORDER BY that tells rows apart; either may follow the order the database \
         reads rows in (an admin can read which in the audit)"
    )]
    Withheld,
}

/// Why a query's plan weighs more than one query may take of the database
/// server (PostgreSQL's weighing, before anything runs). Typed, so that the
/// chat says it in the asker's language ([`crate::i18n`]); the English
/// `Display` is for logs and the audit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Heavy {
    /// Its plan nests deeper than the bot reads (hundreds of windows or
    /// subqueries): what it would cost cannot be read.
    #[error("its plan nests too deep to be read, so what it would cost cannot be known")]
    PlanTooDeep,
    /// It writes `table.column` out whole as text, a value of many elements
    /// that each keep a buffer of a kilobyte or more until it is all written
    /// (a multirange, an array of ranges, rows or jsonb).
    #[error(
        "it writes {table}.{column} out whole as text, and the server keeps a kilobyte or more \
         for each of its elements until all of it is written (read its elements apart: x[1], \
         lower(x), upper(x))"
    )]
    WritesElements { table: String, column: String },
    /// The views it reads expand into `scans` reads of tables (`None`:
    /// views nested past what is followed), more than `max`.
    #[error(
        "the views it reads expand into {} reads of tables, more than {max}: the server plans \
         all of them at once, in memory, before anything can stop it",
        match scans { Some(n) => n.to_string(), None => "countless".to_owned() }
    )]
    ViewsExpand { scans: Option<u64>, max: u64 },
    /// The query of a view it reads weighs too much (its definition is
    /// weighed as part of the statement), and why.
    #[error("it reads the view {view}, whose own query weighs with it: {why}")]
    InView { view: String, why: Box<Heavy> },
    /// The query of a view it reads is refused by the validator for its
    /// size, `why`.
    #[error("it reads the view {view}, whose own query is too large to run: {why}")]
    ViewTooLarge {
        view: String,
        why: Box<crate::sql::validate::Refusal>,
    },
    #[error(
        "it gathers rows into one value from a function whose rows are computed (write its \
         bounds as numbers), so how much it gathers cannot be foreseen"
    )]
    GathersComputedRows,
    /// `mib`: what it may read into one value, `None` when a recursion
    /// leaves it unbounded.
    #[error("it gathers rows into one value, and {}, more than {bound_mib} MiB", match mib {
        Some(mib) => format!("it may read about {mib} MiB"),
        None => "how much it reads cannot be foreseen (a recursion)".to_owned(),
    })]
    Gathers { mib: Option<u64>, bound_mib: u64 },
    #[error(
        "it gathers rows into one value from {table}.{column}, which it reads through a \
             view, and this account cannot weigh them"
    )]
    GathersThroughView { table: String, column: String },
    #[error(
        "it reads {table} through a view, outside the allowed schemas, where the bot does not \
         count or measure what a statement builds"
    )]
    OutsideSchemas { table: String },
    #[error(
        "the server would keep {} in a hash table it cannot spill to disk, more than \
         {bound_mib} MiB (a `NOT IN (SELECT …)` is hashed so: `NOT EXISTS (SELECT … WHERE …)` \
         is not)",
        match mib { Some(mib) => format!("about {mib} MiB"), None => "more than can be foreseen".to_owned() }
    )]
    Hashes { mib: Option<u64>, bound_mib: u64 },
    #[error(
        "rows the server may keep together (in a hash table, or gathered) each hold {what}, \
         a value whose length the plan cannot foresee: join that value instead \
         (… CROSS JOIN (SELECT …) AS s), or keep it for the outermost SELECT"
    )]
    /// Rows the plan may keep whole each hold `what`, whose length the
    /// plan does not show (`Cost::repeats_unforeseen`).
    RepeatedValue { what: String },
    #[error(
        "a join would keep {} of its rows in a hash table, more than {bound_mib} MiB: the \
         server keeps the rows of one key together in memory, whatever work_mem says",
        match mib { Some(mib) => format!("about {mib} MiB"), None => "more than can be foreseen".to_owned() }
    )]
    /// A hash join whose inner rows may pass `mib` MiB, more than
    /// `bound_mib`: the rows of one key stay in memory together.
    HashJoin { mib: Option<u64>, bound_mib: u64 },
    #[error(
        "the first rows of an ORDER BY … LIMIT may hold {}, more than {bound_mib} MiB: the \
         server keeps them in memory to sort them, whatever work_mem says",
        match mib { Some(mib) => format!("about {mib} MiB"), None => "more than can be foreseen".to_owned() }
    )]
    /// The rows an `ORDER BY … LIMIT` sorts in memory may pass `mib` MiB.
    TopRows { mib: Option<u64>, bound_mib: u64 },
    #[error(
        "the values of its groups may grow to {}, more than {bound_mib} MiB: the server keeps \
         every group of a hashed GROUP BY in memory and lets their values grow unchecked",
        match mib { Some(mib) => format!("about {mib} MiB"), None => "more than can be foreseen".to_owned() }
    )]
    /// The values of a hashed `GROUP BY`'s groups may grow past `mib` MiB.
    GroupsGrow { mib: Option<u64>, bound_mib: u64 },
    #[error(
        "a row reads {copies} values whole, and {table} holds values of {longest} bytes: \
         each call on such a value unpacks its own copy, held until the row is done, {} in \
         all, more than {bound_mib} MiB",
        match mib { Some(mib) => format!("about {mib} MiB"), None => "more than can be foreseen".to_owned() }
    )]
    /// The calls of one row read `copies` values whole, of up to `longest`
    /// bytes in `table` (`Cost::held_reads`).
    ReadsWhole {
        copies: u64,
        table: String,
        longest: u64,
        mib: Option<u64>,
        bound_mib: u64,
    },
    #[error(
        "a row rebuilds {copies} structured values whole, and {table} holds such values of \
         {longest} bytes: the server takes each apart into a tree many times its size to \
         rebuild it, {} in all, more than {bound_mib} MiB",
        match mib { Some(mib) => format!("about {mib} MiB"), None => "more than can be foreseen".to_owned() }
    )]
    /// The operators of one row (`payload - 0`, `tags || '{x}'`) rebuild
    /// `copies` structured values, of up to `longest` bytes as text in
    /// `table` (`Cost::held_rebuilds`).
    Rebuilds {
        copies: u64,
        table: String,
        longest: u64,
        mib: Option<u64>,
        bound_mib: u64,
    },
    #[error(
        "its containment or overlap tests compare {} with every element of values of up to \
         {longest} bytes in {table}, each in one call no deadline interrupts: more than such a \
         call may compare within the deadline",
        match (sought, compared) {
            (0, c) => format!("{c} values read with each other, element by element,"),
            (s, 0) => format!("each of the elements of {s} characters they look for"),
            (s, c) => format!("each of the elements of {s} characters they look for, and {c} values read with each other,"),
        }
    )]
    /// The containment, existence and overlap tests of a row look for
    /// `sought` characters written out and compare `compared` pairs of
    /// values read, against values of up to `longest` bytes in `table`
    /// (`Cost::sought_chars`, `Cost::compared_reads`).
    Searches {
        sought: u64,
        compared: u64,
        table: String,
        longest: u64,
    },
    #[error(
        "its logarithms, roots or powers work on {table}.{column}, {}: one such call on a \
         number that long runs for seconds, and no deadline interrupts it",
        match digits {
            Some(digits) if *reads > 1 => format!(
                "which holds a number of {digits} characters, and {reads} numbers read go into \
                 them together: up to {} characters, more than {max}",
                digits.saturating_mul(*reads)
            ),
            Some(digits) => format!("which holds a number of {digits} characters, more than {max}"),
            None => "which this account cannot measure (it reads it through a view)".to_owned(),
        }
    )]
    /// A number `column` holds is written with `digits` characters, and
    /// `reads` numbers read go into one logarithm, root or power together
    /// (`Cost::digits_read`): more than `max` (`None`: it cannot be
    /// measured).
    LongNumbers {
        table: String,
        column: String,
        digits: Option<u64>,
        reads: u64,
        max: u64,
    },
    #[error(
        "a recursive step adds {table}.{column} to its own value at every step, and its values \
         may be longer than {longest} bytes: how large the value grows cannot be foreseen"
    )]
    RecursionGrows {
        table: String,
        column: String,
        longest: u64,
    },
    #[error(
        "one row builds {copies} times the values it reads (copies, or the pieces of a split), \
         and {table}.{column} may hold values longer than {longest} bytes: building them may \
         take more than {bound_mib} MiB of the server's memory"
    )]
    RowBuilds {
        copies: u64,
        table: String,
        column: String,
        longest: u64,
        bound_mib: u64,
    },
    #[error(
        "it parses values of {table}.{column} as another type, and they may be longer than \
         {longest} bytes: the database's error on one it cannot parse would quote it whole"
    )]
    Quotes {
        table: String,
        column: String,
        longest: u64,
    },
    #[error(
        "it parses the text of {table}.{column}, whose values are structured: their text may be \
         far longer than what is stored (a number stored in a few bytes may write 131,000 \
         digits), and the database's error on one it cannot parse would quote it whole"
    )]
    /// A structured value (jsonb, an array, a row type) written out as text
    /// whole and then parsed (`Parsed::as_text`): its text cannot be weighed
    /// without writing it.
    QuotesWritten { table: String, column: String },
}

impl ExecError {
    /// The database's own message, cut to [`MAX_ERROR_CHARS`].
    pub fn database(message: &str) -> Self {
        ExecError::Database(bounded_error(message))
    }

    /// Whether the database's message was cut (the audit says so).
    pub fn was_cut(&self) -> bool {
        match self {
            ExecError::Database(m) | ExecError::Unavailable(m) | ExecError::Sink(m) => {
                m.contains(CUT_MARK)
            }
            ExecError::Timeout(_)
            | ExecError::TempSpace(_)
            | ExecError::Memory(_)
            | ExecError::TooHeavy(_)
            | ExecError::UnreadableColumn
            | ExecError::CutUnordered(_)
            | ExecError::Withheld => false,
        }
    }
}

/// An Execute target.
#[async_trait::async_trait]
pub trait Executor: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Compiles the query against the real schema without running it, and
    /// weighs what it would build, within `timeout`: the offer keeps the
    /// deadline the click will (an offer given longer would offer what no click
    /// could run).
    ///
    /// # Errors
    /// [`ExecError::Database`] with the database's message when it does not
    /// compile (unknown table or column, wrong types);
    /// [`ExecError::Timeout`] past `timeout`.
    async fn explain(&self, query: &Validated, timeout: Duration) -> Result<Plan, ExecError>;

    /// The tables a query may read, for the model's prompt: those of
    /// `schemas`, or of the account's own schema when it is empty.
    ///
    /// # Errors
    /// [`ExecError`] when the catalogue cannot be read.
    async fn catalog(&self, schemas: &[String]) -> Result<super::schema::Catalog, ExecError>;

    /// The distinct values of the catalogue's short text columns (see
    /// [`super::schema::ColumnValues`]), for the model's prompt; none where
    /// the database cannot tell them cheaply.
    ///
    /// # Errors
    /// [`ExecError`] when they cannot be read.
    async fn values(
        &self,
        _catalog: &super::schema::Catalog,
    ) -> Result<Vec<super::schema::ColumnValues>, ExecError> {
        Ok(Vec::new())
    }

    /// What the target's account can do beyond reading the allowed schemas:
    /// each item a reason it could write or administer (empty: it can only
    /// read). Execute refuses a privileged account unless configured to.
    ///
    /// # Errors
    /// [`ExecError`] when the account's rights cannot be read.
    async fn privileges(&self, schemas: &[String]) -> Result<Vec<String>, ExecError>;

    /// What the database administrator should bound and has not, as advice
    /// for the logs and `pstral check` (PostgreSQL's `temp_file_limit`).
    ///
    /// # Errors
    /// [`ExecError`] when the settings cannot be read.
    async fn advice(&self) -> Result<Vec<String>, ExecError> {
        Ok(Vec::new())
    }

    /// Runs the query read-only, streaming rows into `sink`.
    ///
    /// # Errors
    /// [`ExecError`] saying what stopped it; the sink may hold some rows.
    async fn run(
        &self,
        query: &Validated,
        limits: Limits,
        sink: &mut dyn RowSink,
    ) -> Result<Outcome, ExecError>;
}

/// The row and byte caps of one result, counted as rows arrive. Every
/// backend asks it before it delivers a row, so that the safety limits are
/// written once: a new backend cannot get them wrong.
#[derive(Debug)]
pub(crate) struct ResultCap {
    limits: Limits,
    rows: u64,
    bytes: u64,
    cut: bool,
}

impl ResultCap {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            rows: 0,
            bytes: 0,
            cut: false,
        }
    }

    /// Asked when the database hands over a row, before it is decoded:
    /// false when the result already holds the row cap (this row is past
    /// it, so the result is cut and reading stops).
    pub(crate) fn room_for_a_row(&mut self) -> bool {
        if self.rows >= self.limits.row_cap {
            self.cut = true;
        }
        !self.cut
    }

    /// Asked with the decoded row: false when its values take the result
    /// past the byte cap (the row is not delivered, the result is cut);
    /// true counts it as delivered.
    pub(crate) fn admit(&mut self, cells: &[Cell]) -> bool {
        let row_bytes: u64 = cells
            .iter()
            .map(|c| c.as_ref().map_or(0, |t| t.len() as u64))
            .sum();
        self.bytes = self.bytes.saturating_add(row_bytes);
        if self.bytes > self.limits.max_result_bytes {
            self.cut = true;
        }
        if !self.cut {
            self.rows += 1;
        }
        !self.cut
    }

    /// Whether rows were left out, past a cap (Oracle's reader asks it
    /// between rows).
    #[cfg_attr(not(feature = "oracle"), allow(dead_code))]
    pub(crate) fn cut(&self) -> bool {
        self.cut
    }

    /// What the finished result was: the rows delivered and whether some
    /// were left out.
    pub(crate) fn outcome(&self, columns: Vec<Column>, duration: Duration) -> Outcome {
        Outcome {
            columns,
            rows: self.rows,
            truncated: self.cut,
            duration,
        }
    }
}

/// The column a database's error says does not exist, without its
/// qualifier or quotes: SQLite's `no such column: t.x`, PostgreSQL's
/// `column t.x does not exist` (or `column "x" does not exist`), Oracle's
/// `ORA-00904: "T"."X": invalid identifier`.
pub fn missing_column(message: &str) -> Option<String> {
    let named = if let Some((_, rest)) = message.split_once("no such column: ") {
        rest.split_whitespace().next()?
    } else if let Some((_, rest)) = message.split_once("column ") {
        let (name, tail) = rest.split_once(' ')?;
        tail.starts_with("does not exist").then_some(name)?
    } else if let Some((_, rest)) = message.split_once("ORA-00904: ") {
        rest.split_once(": invalid identifier")?.0
    } else {
        return None;
    };
    let last = named.rsplit('.').next()?.trim_matches('"');
    (!last.is_empty()).then(|| last.to_owned())
}

/// Cuts a value shown in full nowhere useful, with a visible mark.
pub fn truncate_cell(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_CELL_CHARS) {
        text.truncate(cut);
        text.push_str("…[truncated]");
        // What was cut is given back, not carried with the cell.
        text.shrink_to_fit();
    }
    text
}

/// The first [`MAX_CELL_CHARS`] characters of `text`, marked when cut, copied
/// without copying the rest first.
pub fn truncate_str(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => format!("{}…[truncated]", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Hex of at most [`MAX_CELL_CHARS`]/2 bytes, with a mark when cut.
pub fn hex_cell(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(MAX_CELL_CHARS / 2)];
    let mut text = hex::encode_upper(shown);
    if shown.len() < bytes.len() {
        text.push_str(&format!("…[{} bytes]", bytes.len()));
    }
    text
}

pub(crate) fn database(e: sqlx::Error) -> ExecError {
    match e {
        sqlx::Error::Database(db) => ExecError::database(db.message()),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => ExecError::Unavailable(bounded_error(&e.to_string())),
        other => ExecError::database(&other.to_string()),
    }
}

/// The result columns of a prepared or described statement, by name and
/// the database's type name.
pub(crate) fn columns_of<C: sqlx::Column>(columns: &[C], dialect: Dialect) -> Vec<Column> {
    columns
        .iter()
        .map(|c| Column::new(c.name(), sqlx::TypeInfo::name(c.type_info()), dialect))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Limits, ResultCap, missing_column};

    fn cap(rows: u64, bytes: u64) -> ResultCap {
        ResultCap::new(Limits {
            max_result_bytes: bytes,
            ..Limits::new(rows, Duration::from_secs(1))
        })
    }

    #[test]
    fn a_row_past_the_row_cap_cuts_the_result_before_it_is_read() {
        let mut cap = cap(2, 1000);
        for _ in 0..2 {
            assert!(cap.room_for_a_row());
            assert!(cap.admit(&[Some("a".to_owned()), None]));
        }
        assert!(!cap.cut(), "exactly the cap is a whole result");
        assert!(!cap.room_for_a_row());
        let outcome = cap.outcome(Vec::new(), Duration::ZERO);
        assert_eq!((outcome.rows, outcome.truncated), (2, true));
    }

    #[test]
    fn a_row_whose_values_pass_the_byte_cap_is_not_delivered_and_cuts_the_result() {
        let mut cap = cap(100, 10);
        assert!(cap.room_for_a_row());
        assert!(cap.admit(&[Some("12345".to_owned()), Some("1234".to_owned())]));
        assert!(cap.room_for_a_row());
        assert!(!cap.admit(&[Some("12".to_owned())]), "11 bytes in all");
        assert!(!cap.room_for_a_row(), "nothing more once cut");
        let outcome = cap.outcome(Vec::new(), Duration::ZERO);
        assert_eq!((outcome.rows, outcome.truncated), (1, true));
    }

    #[test]
    fn a_result_within_both_caps_is_whole() {
        let mut cap = cap(10, 10);
        assert!(cap.room_for_a_row());
        assert!(cap.admit(&[None, Some("0123456789".to_owned())]));
        let outcome = cap.outcome(Vec::new(), Duration::ZERO);
        assert_eq!((outcome.rows, outcome.truncated), (1, false));
    }

    #[test]
    fn the_column_a_database_did_not_find_is_read_from_its_message() {
        for (message, column) in [
            ("no such column: T2.monthly_amount", Some("monthly_amount")),
            ("no such column: client_id", Some("client_id")),
            ("column c.company does not exist", Some("company")),
            ("column \"Company\" does not exist", Some("Company")),
            (
                "ORA-00904: \"C\".\"COMPANY\": invalid identifier",
                Some("COMPANY"),
            ),
            ("no such table: clientz", None),
            ("syntax error at or near \"column\"", None),
        ] {
            assert_eq!(missing_column(message).as_deref(), column, "{message}");
        }
    }
}
