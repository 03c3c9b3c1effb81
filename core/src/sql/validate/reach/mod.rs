//! The first analysis: what a statement is and what it reads. Its text is
//! cut into tokens and bounded before anything recursive sees it, then
//! every construct of the one query is understood or refused by the walk,
//! which resolves its names and finds the tables and columns it reaches
//! ([`Reach`], the one answer data-access rules, the audit and the
//! executor's weighing read), and the values it parses as another type
//! ([`Parsed`]: the executor weighs by them what the plan does not show).
//!
//! Its modules, from the bottom up:
//! - [`tokens`]: the text cut into tokens, bounded before anything recursive.
//! - [`walk`]: every construct understood or refused, its names resolved,
//!   what it meets told to the analyses that watch it.

pub(super) mod tokens;
pub(super) mod walk;

pub use tokens::{MAX_PAREN_DEPTH, MAX_TOKENS};
pub use walk::MAX_TREE_DEPTH;

use std::collections::BTreeSet;
use std::fmt;

/// The tables and views of the target a statement reads, each with the
/// columns any part of it may read: a superset, never less than the
/// database reads. A column counts wherever it is named (select list,
/// condition, join, `USING`, `GROUP BY`, `ORDER BY`, window, subquery,
/// CTE); `*`, `t.*`, a whole-row reference (`to_json(t)`), `NATURAL`, an
/// alias that renames the columns (`t AS x(a, b)`) and `PIVOT` read every
/// column. What a subquery, a CTE or a view reads is counted where it is
/// written: its own select list counts whole, whether or not the query
/// around it uses every item. A view is reached as itself: what it reads
/// underneath is the database's definition, not the statement's.
///
/// A generated column is reached as itself, as a view is: what it is
/// computed from is its definition's.
///
/// Names are the catalogue's when the statement was judged with it (an
/// unqualified name then carries the catalogue's schema, `None` for the
/// default one); else folded as the dialect folds them, and a name written
/// alone counts as a column of every table in scope.
///
/// It also says where the result depends on the order the database reads
/// rows in ([`Reach::unordered`], [`Reach::order`]): that order is
/// whatever loaded or last rewrote a table, and may follow a column
/// nobody named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    relations: Vec<Reached>,
    unordered: Vec<Unordered>,
    order: ResultOrder,
}

/// A part of a statement whose result follows the order the database
/// reads rows in, because nothing written in it tells every row apart: a
/// `LIMIT` keeps the first rows read, `string_agg` strings them in the
/// order read. Which rows a part gives is judged on the parsed statement
/// (see `walk::order`), never on how the table happens to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unordered {
    /// `LIMIT`, `OFFSET` or `FETCH FIRST` keep some rows, with no `ORDER
    /// BY` that tells them apart.
    Limit,
    /// PostgreSQL's `DISTINCT ON` keeps the first row of each value.
    DistinctOn,
    /// A window function that numbers or picks rows (`row_number`, `lag`,
    /// `first_value`), or a frame counted in rows (`ROWS BETWEEN`).
    Window(String),
    /// An aggregate that strings its values together (`string_agg`,
    /// `json_agg`) or keeps any one of them.
    Aggregate(String),
    /// A column SQLite takes from any one row of a group: neither grouped
    /// nor aggregated.
    BareColumn(String),
    /// Oracle's `ROWNUM` or `ROWID`: a row's place as read or stored.
    Place(String),
    /// A sample of a table (`TABLESAMPLE`), taken by where rows are stored.
    Sample,
    /// A function the checks do not know (allowed by the operator), which
    /// may depend on the order it is given rows in.
    Unknown(String),
    /// A `DISTINCT`, `GROUP BY`, set operation, aggregate (`min`) or
    /// `ORDER BY` over values the database may hold equal but shows apart
    /// (`1.0` and `1.00`, `-0` and `0`, texts under `NOCASE`): which of
    /// them is kept, or comes first, follows the order rows are read in.
    /// Named by the expression.
    Unequal(String),
    /// A sum (`sum`, `avg`, `stddev`…) of values whose total depends on
    /// the order they are added in: floats, or values computed in a SQLite
    /// or Oracle statement (which may overflow or round). Named by the
    /// aggregate.
    Rounded(String),
    /// A function that draws a new value at each call (`random`): row by
    /// row in the order they are read, and a few values tell the
    /// generator's state, and so each row's place as read.
    Drawn(String),
    /// An `ORDER BY` of the result that may leave rows tied, which then
    /// come in the order they were read in. Not noted by the walk: the
    /// judge of a statement's own result adds it, from [`Reach::order`]
    /// (a view's or a subquery's order is not its result's).
    Ties,
}

/// How the rows of a statement's result are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResultOrder {
    /// No `ORDER BY`: in the order they are read.
    #[default]
    AsRead,
    /// An `ORDER BY` that may leave rows tied: among those, as read.
    Partly,
    /// An `ORDER BY` that tells every row apart.
    Whole,
}

impl fmt::Display for Unordered {
    /// For logs and the CLI; the chat says it through `i18n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unordered::Limit => {
                f.write_str("LIMIT, OFFSET or FETCH without an ORDER BY that tells every row apart")
            }
            Unordered::DistinctOn => {
                f.write_str("DISTINCT ON without an ORDER BY that tells every row apart")
            }
            Unordered::Window(name) => write!(
                f,
                "the window function {name} without an ORDER BY that tells every row apart"
            ),
            Unordered::Aggregate(name) => write!(
                f,
                "the aggregate {name} without an ORDER BY that tells its values apart"
            ),
            Unordered::BareColumn(name) => write!(
                f,
                "{name}, neither grouped nor aggregated, taken from any row of its group"
            ),
            Unordered::Place(name) => write!(f, "{name}, a row's place as read or stored"),
            Unordered::Sample => f.write_str("a sample of a table's rows"),
            Unordered::Unknown(name) => {
                write!(f, "the function {name}, which the checks do not know")
            }
            Unordered::Ties => f.write_str("an ORDER BY that may leave rows tied"),
            Unordered::Drawn(name) => write!(
                f,
                "{name}, drawn anew for each row in the order rows are read in"
            ),
            Unordered::Unequal(what) => write!(
                f,
                "{what}, whose values may be equal and shown apart, keeps or orders them as read"
            ),
            Unordered::Rounded(name) => write!(
                f,
                "{name} over values whose sum depends on the order they are added in"
            ),
        }
    }
}

/// One table or view a statement reads, and which of its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub schema: Option<String>,
    pub name: String,
    pub columns: Columns,
}

/// The columns of a relation a statement may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Columns {
    /// Every column: `*`, `t.*`, a whole row, a renaming alias.
    Every,
    /// These, by name (none: only its rows are counted, `count(*)`).
    Named(BTreeSet<String>),
}

impl Reach {
    /// The relations read, in the order the statement first names them.
    pub fn relations(&self) -> &[Reached] {
        &self.relations
    }

    /// The parts of it whose result follows the order rows are read in.
    pub fn unordered(&self) -> &[Unordered] {
        &self.unordered
    }

    /// How its result's rows are ordered.
    pub fn order(&self) -> ResultOrder {
        self.order
    }

    /// Notes a part whose result follows the order rows are read in.
    pub(super) fn follows_order(&mut self, part: Unordered) {
        if !self.unordered.contains(&part) {
            self.unordered.push(part);
        }
    }

    /// Notes how the result's rows are ordered.
    pub(super) fn ordered(&mut self, order: ResultOrder) {
        self.order = order;
    }

    /// Whether the statement may read `column` of the table `name` (in
    /// `schema`, when given; any schema otherwise; the default schema is
    /// stored as none). Names compare as stored: the caller folds them as
    /// the dialect does.
    pub fn reads(&self, schema: Option<&str>, name: &str, column: &str) -> bool {
        self.relations.iter().any(|r| {
            r.name == name
                && schema.is_none_or(|s| r.schema.as_deref() == Some(s))
                && match &r.columns {
                    Columns::Every => true,
                    Columns::Named(columns) => columns.contains(column),
                }
        })
    }

    /// Whether it reaches a relation named `table`, in any schema.
    pub fn names(&self, table: &str) -> bool {
        self.relations.iter().any(|r| r.name == table)
    }

    /// Whether it may read `column` of the table `table` as a plan names
    /// it (any schema): also when it names no relation of that name, since
    /// a view or a partitioned table it names reads the table underneath,
    /// under column names of its own. Ask it of [`Reach::as_planned`].
    pub fn may_read(&self, table: &str, column: &str) -> bool {
        !self.names(table) || self.reads(None, table, column)
    }

    /// The reach as a plan that reads the tables `planned` (by name) may
    /// show it: when the statement reaches a relation the plan does not
    /// read (a view, a partitioned table), that relation may read any
    /// column of any table of the plan underneath, also of one the
    /// statement names itself (`FROM v_docs v JOIN docs d …`), so none is
    /// known to be left unread.
    pub fn as_planned<'p>(&self, planned: impl IntoIterator<Item = &'p str>) -> Reach {
        let planned: Vec<&str> = planned.into_iter().collect();
        if self
            .relations
            .iter()
            .all(|r| planned.contains(&r.name.as_str()))
        {
            self.clone()
        } else {
            Reach::default()
        }
    }

    /// Each column read as `table.column` (`schema.table.column` when the
    /// schema is known), `table.*` for every column, `table` alone when
    /// only its rows are counted: what the audit records.
    pub fn listed(&self) -> Vec<String> {
        let mut listed = Vec::new();
        for r in &self.relations {
            let table = r.qualified();
            match &r.columns {
                Columns::Every => listed.push(format!("{table}.*")),
                Columns::Named(columns) if columns.is_empty() => listed.push(table),
                Columns::Named(columns) => {
                    listed.extend(columns.iter().map(|c| format!("{table}.{c}")));
                }
            }
        }
        listed
    }

    /// The index of the relation `schema.name`, added when new.
    pub(super) fn relation(&mut self, schema: Option<String>, name: String) -> usize {
        if let Some(at) = self
            .relations
            .iter()
            .position(|r| r.schema == schema && r.name == name)
        {
            return at;
        }
        self.relations.push(Reached {
            schema,
            name,
            columns: Columns::Named(BTreeSet::new()),
        });
        self.relations.len() - 1
    }

    /// Notes that `column` of the relation at `at` is read.
    pub(super) fn column(&mut self, at: usize, column: &str) {
        if let Some(Reached {
            columns: Columns::Named(columns),
            ..
        }) = self.relations.get_mut(at)
        {
            columns.insert(column.to_owned());
        }
    }

    /// Notes that every column of the relation at `at` is read.
    pub(super) fn every(&mut self, at: usize) {
        if let Some(r) = self.relations.get_mut(at) {
            r.columns = Columns::Every;
        }
    }
}

impl Reached {
    /// `schema.name`, or the name alone in the default schema.
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for Reach {
    /// `clients(id, nom), orders(*)`, `lines()` for rows only counted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.relations.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&r.qualified())?;
            match &r.columns {
                Columns::Every => f.write_str("(*)")?,
                Columns::Named(columns) => {
                    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
                    write!(f, "({})", columns.join(", "))?;
                }
            }
        }
        Ok(())
    }
}

/// The values a statement parses as another type, by the names it reads
/// them by (folded as its dialect folds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// It parses a value it reads.
    pub any: bool,
    /// The last part of each name read in what it parses (`d.body` gives
    /// `body`; a name alone may be a whole row).
    pub names: BTreeSet<String>,
    /// What it parses reads values not by a column's name (a subquery, a
    /// whole row by `*`).
    pub unresolved: bool,
    /// A CTE, a subquery, a function's rows or `VALUES` may give a value
    /// it reads another name.
    pub renamed: bool,
    /// The last part of each name whose whole value the statement writes
    /// out as text (`j::text`, `concat(j)`, `array_to_string(a, ',')`):
    /// a structured value's text may be far longer than the value as read
    /// (a number `1e131071` stored in a few bytes writes 131,072 digits),
    /// which an error on parsing it would quote whole.
    pub as_text: BTreeSet<String>,
    /// Those of [`Parsed::as_text`] written out inside what is parsed
    /// (`j::text::int`), as opposed to beside it (`j::text, (j ->> 'n')::int`).
    pub as_text_parsed: BTreeSet<String>,
}

impl Parsed {
    /// Whether `column` of the table it reads as `relation`, named `alias`
    /// in the statement, may be parsed: by its name, when the names tell;
    /// else whenever the statement may read it (see [`Reach::may_read`]).
    pub fn may_parse(&self, reach: &Reach, relation: &str, alias: &str, column: &str) -> bool {
        if !self.any {
            return false;
        }
        if self.unresolved || self.renamed || !reach.names(relation) {
            return reach.may_read(relation, column);
        }
        self.names.contains(column) || self.names.contains(alias) || self.names.contains(relation)
    }

    /// Whether `column` (see [`Parsed::may_parse`]) may be parsed after
    /// its whole value was written out as text: by its name, when the names
    /// tell; else whenever something is written out and the statement
    /// reads it.
    pub fn may_parse_as_text(&self, reach: &Reach, relation: &str, column: &str) -> bool {
        if !self.any || self.as_text.is_empty() {
            return false;
        }
        if self.unresolved || self.renamed || !reach.names(relation) {
            return reach.may_read(relation, column);
        }
        self.as_text_parsed.contains(column)
    }
}

#[cfg(test)]
mod tests;
