//! The walk over a parsed query: every node kind that can appear is matched
//! by name, and only the ones listed as understood pass; anything else (a
//! construct of another dialect, a new variant in a later sqlparser) is
//! refused as "cannot be verified". No `_ =>` arm lets a kind through.
//!
//! What the walk keeps track of:
//! - the CTE names in scope, query by query (a non-recursive CTE does not
//!   see itself: `WITH pg_user AS (SELECT * FROM pg_user)` reads the real
//!   one, and so is judged as the real one);
//! - the relations each SELECT reads, so that `x.y` without parentheses is
//!   a column of a relation of the query, never an Oracle package function
//!   called without them (`dbms_random.value`).
//!
//! Where it is: this file holds what the walk keeps; `query` walks queries,
//! set operations and SELECTs, `from` what a query reads, `names` folds and
//! resolves names as the database does, `expr` is the one exhaustive match
//! over expressions (kept whole in one file, so that a reviewer sees at a
//! glance that every kind is listed exactly once and none passes by
//! default), `calls` each function call, `atoms` the operators, literals
//! and types, `reach` what the names it meets read (see
//! [`Reach`](super::reads::Reach)).

use sqlparser::ast::{Expr, FunctionArg, FunctionArguments, Query, Value};

use super::super::Dialect;
use super::super::schema::Catalog;
use super::policy::{Policy, denied_object};
use super::reads::{Parsed, Reach};
use super::refusal::{Excess, Foreign, Refusal, Unreadable};
use super::syntax::{short, unnested};
use super::{bounds, copies};

/// The deepest nesting of the parsed tree the walker follows (a chain of
/// 1,000 `+` is 1,000 deep).
pub const MAX_TREE_DEPTH: usize = 500;
/// The most relations one `FROM` joins: the planner weighs the orders of
/// joining them in memory, which grows much faster than their number, and a
/// report rarely joins more than a handful.
pub const MAX_FROM_RELATIONS: usize = 10;
/// The most relations all the `FROM` clauses of a statement name together:
/// the planner keeps what it weighed for each until the whole statement is
/// planned.
pub const MAX_RELATIONS: usize = 32;

mod atoms;
mod calls;
mod expr;
mod from;
mod names;
mod query;
mod reach;

type Judged = Result<(), Refusal>;

fn unverifiable(what: Unreadable) -> Refusal {
    Refusal::CannotVerify(what)
}

/// A construct the checker does not follow, named in SQL.
fn construct(syntax: &'static str) -> Refusal {
    Refusal::CannotVerify(Unreadable::Construct(syntax))
}

fn foreign(part: Foreign) -> Refusal {
    Refusal::CannotVerify(Unreadable::Foreign(part))
}

/// Names visible in one query or SELECT.
#[derive(Default)]
struct Scope {
    /// CTE names (folded), usable as relations, with the copies of the
    /// values read one of their rows holds (see [`RowCopies`]).
    ctes: Vec<(String, u64)>,
    /// Aliases and names of the relations a SELECT reads (folded as the
    /// database folds them), the qualifiers a column reference may use.
    relations: Vec<Visible>,
}

/// A qualifier a column reference may use.
struct Visible {
    name: Vec<String>,
    /// The only names it may qualify, when it is known that anything else
    /// would be a function call: PostgreSQL reads `g.f` as `f(g)` when `g`
    /// has no column `f`, and the alias of a function in FROM (`FROM
    /// generate_series(1, 9) g`) has one or two columns only.
    columns: Option<Vec<String>>,
    /// The tables and views of the target (indices in [`Walker::reach`])
    /// whose columns it qualifies: one for a table's name or alias, those
    /// of a parenthesised join for its alias, none for a subquery, a CTE
    /// or a function, whose own select lists count what they read.
    reads: Vec<usize>,
}

pub(super) struct Walker<'a> {
    policy: &'a Policy,
    catalog: Option<&'a Catalog>,
    scopes: Vec<Scope>,
    objects: Vec<String>,
    depth: usize,
    /// Scopes below this index are not visible to column qualifiers: a
    /// subquery in FROM (not LATERAL) or a CTE's body sees neither its
    /// siblings nor the query around it.
    barrier: usize,
    /// Oracle: names written alone, checked at the end against the
    /// catalogue's columns and the aliases the statement defines (a name
    /// that is neither is a function Oracle calls without parentheses).
    bare: Vec<String>,
    /// Oracle: the column aliases the statement defines.
    aliases: Vec<String>,
    /// PostgreSQL: column names used on the alias of a subquery or CTE,
    /// checked at the end like `bare`.
    derived_columns: Vec<String>,
    /// SQLite: the characters the statement's searches look for, so far
    /// (see [`bounds::MAX_NEEDLE_CHARS`]).
    needles: usize,
    /// It calls a function that gathers values across rows into one.
    gathers: bool,
    /// The most one gathered row may add to a gathered value beyond what
    /// the plan reads (see [`bounds::gathered_row_bytes`]).
    gathered_row_bytes: u64,
    /// It calls a function that returns rows with computed arguments, whose
    /// number of rows the planner guesses (see [`bounds::returns_rows`]).
    computed_series: bool,
    /// It tests values against a subquery's rows (see
    /// [`Walked::tests_subqueries`]).
    tests_subqueries: bool,
    /// Queries being walked, the statement's own included: past one, a
    /// SELECT's rows may be hashed, gathered or joined (see
    /// [`Walker::kept_rows`]).
    queries_open: usize,
    /// Operands of a set operation being walked (`INTERSECT` hashes them).
    set_operands: usize,
    /// See [`Walked::repeats_unforeseen`].
    repeats_unforeseen: Option<String>,
    /// See [`Walked::top_rows`].
    top_rows: Option<u64>,
    /// See [`Walked::groups_hold_reads`].
    groups_hold_reads: bool,
    /// See [`Walked::groups_keep_values`].
    groups_keep_values: bool,
    /// See [`Walked::renames_columns`].
    renames_columns: bool,
    /// A row of one of its SELECTs holds a value built of what it reads
    /// (see [`Walked::builds_from_reads`]).
    builds_from_reads: bool,
    /// The relations its `FROM` clauses name, all together.
    relations: usize,
    /// The tables and columns it reads (see [`Reach`]).
    reach: Reach,
    /// The columns of each relation of [`Self::reach`] in the catalogue,
    /// when it is known: a name written alone is a column only of those
    /// that have it.
    reach_columns: Vec<Option<Vec<String>>>,
    /// The most copies of the values read one gathered row holds.
    gathered_copies: u64,
    /// The copies one row holds (see `copies`) in the rows of the queries
    /// read by the query or SELECT being walked.
    row_copies: RowCopies,
    /// Whether the query being walked is read from as rows (in `FROM`, or
    /// a CTE), rather than as a value or a condition.
    in_from: bool,
    /// How deep in an expression of the SELECT being walked the walk is.
    expr_depth: usize,
    /// The most copies of a value read that any value the SELECT being
    /// walked computes holds (see `copies::Bag::peak`).
    select_peak: u64,
    /// The working memory of the splits the SELECT being walked computes
    /// in one row, added up (see `copies::Bag::working`).
    select_working: u64,
    /// The values read whole by the calls of the SELECT being walked, in
    /// one row, added up (see `copies::Bag::reads`).
    select_reads: u64,
    /// The values the SELECT being walked may rebuild in one row, added up
    /// (see `copies::rebuilds`).
    select_rebuilds: u64,
    /// See [`Walked::held_rebuilds`].
    held_rebuilds: u64,
    /// The most copies of a value read that any value it computes holds.
    built_copies: u64,
    /// The working memory of its splits, added up over its SELECTs.
    split_working: u64,
    /// See [`Walked::held_reads`].
    held_reads: u64,
    /// The most copies of the values read any row read in `FROM` holds so
    /// far (a CTE's, a subquery's): a search in a text read from such a row
    /// may search that many copies (see [`Self::copies_of`]).
    read_copies: u64,
    /// What values it parses as another type (see [`Parsed`]).
    parsed: Parsed,
}

/// The copies one row holds in the rows of the queries a query or SELECT
/// reads, as the walk meets them: a row of a join holds a row of each
/// query it reads rows from (their copies add up); of the others (a
/// subquery giving a value, a set operation's branches) it holds one at a
/// time (the most of them). A query's own rows hold its projection's
/// copies times those.
struct RowCopies {
    from: u64,
    other: u64,
}

impl Default for RowCopies {
    fn default() -> Self {
        RowCopies { from: 0, other: 1 }
    }
}

impl RowCopies {
    fn times(&self, own: u64) -> u64 {
        own.saturating_mul(self.from.max(1))
            .saturating_mul(self.other)
    }
}

/// The first value in `expr` that a row may hold at a length its plan does
/// not show: a subquery's value that may be long (`(SELECT max(k.val) FROM
/// kv k)`: the plan counts 32 bytes, and every row holding it holds a copy),
/// and, with `windows`, a value a window gathers (a running `string_agg`
/// grows with every row: n²/2 in all).
fn repeated_value(expr: &Expr, windows: bool) -> Option<String> {
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        let repeated = match e {
            Expr::Subquery(query) => long_subquery(query),
            Expr::Function(f) => {
                windows
                    && f.over.is_some()
                    && bounds::called(e).is_some_and(|name| bounds::gathers(&name))
            }
            _ => false,
        };
        if repeated {
            found = Some(short(e));
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

/// Whether a scalar subquery may return a long value: anything but one
/// item that answers about what it reads (`count(*)`, `max(o.amount)`… a
/// number or a truth), or cuts it to a length written out.
fn long_subquery(query: &Query) -> bool {
    copies::single_item(query).is_none_or(|e| !short_excerpt(e) && copies::of(e).most().0 > 0)
}

/// Whether `expr` keeps a part of a value of a length written out, short
/// whatever it is cut from (`left(d.body, 40)`, `substr(d.body, 1, 200)`,
/// `substring(d.body FROM 1 FOR 80)`).
fn short_excerpt(expr: &Expr) -> bool {
    let short = bounds::short_length;
    match expr {
        Expr::Substring { substring_for, .. } => short(substring_for.as_deref()),
        Expr::Function(f) => {
            let FunctionArguments::List(list) = &f.args else {
                return false;
            };
            let args: Vec<&Expr> = list.args.iter().filter_map(bounds::argument).collect();
            match bounds::called(expr).as_deref() {
                Some("left" | "right") => short(args.get(1).copied()),
                Some("substr" | "substring") => short(args.get(2).copied()),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether the argument `arg` of `called` is a text written out; if not,
/// what stands there instead, as written.
fn written_text(called: &str, arg: Option<&FunctionArg>) -> Result<(), String> {
    match arg.and_then(bounds::argument) {
        Some(Expr::Value(v)) if matches!(v.value, Value::SingleQuotedString(_)) => Ok(()),
        other => Err(other.map_or_else(|| called.to_owned(), short)),
    }
}

/// What the walk learnt of a query it accepted.
pub(super) struct Walked {
    /// The relations it reads, as written.
    pub objects: Vec<String>,
    /// It gathers values across rows into one.
    pub gathers: bool,
    /// A function returns rows from computed arguments.
    pub computed_series: bool,
    /// It tests values against a subquery's rows (`IN (SELECT …)`, `=
    /// ANY (SELECT …)`, `EXISTS`), which PostgreSQL may hash whole.
    pub tests_subqueries: bool,
    /// A row of one of its SELECTs holds a value built of a value it reads
    /// (`d.body || ''`, `upper(c.nom)`, `max(k.val)`), not only values as
    /// read (`d.body`, which the server carries by its pointer) or answers
    /// about them (`length(d.body)`, `left(d.body, 40)`).
    pub builds_from_reads: bool,
    /// A value whose length the plan does not show (a scalar subquery's
    /// that may be long, a window's gathering), held by a row of a
    /// subquery, a CTE or a set operation's operand, as written.
    pub repeats_unforeseen: Option<String>,
    /// The most rows a `LIMIT` of the statement lets through, its `OFFSET`
    /// included, written out; `None` when one is computed.
    pub top_rows: Option<u64>,
    /// An aggregate keeps in each group a value it reads (`max(x)`,
    /// `string_agg(x, …)`), not only a number (`sum`, `count`).
    pub groups_hold_reads: bool,
    /// An aggregate keeps in each group one of the values it is given, or
    /// gathers them (`max(…)`, `string_agg(…)`), read or built: not only a
    /// count or a sum, whose state does not grow once the group is made.
    pub groups_keep_values: bool,
    /// An alias renames a relation's columns (`docs AS d(i, t, b)`).
    pub renames_columns: bool,
    /// The most one gathered row may add beyond what the plan reads.
    pub gathered_row_bytes: u64,
    /// The tables and columns it reads.
    pub reach: Reach,
    /// The most copies of the values read one gathered row holds.
    pub gathered_copies: u64,
    /// The most copies of a value read one row of its result holds.
    pub row_copies: u64,
    /// The most copies of a value read that a value it computes on the way
    /// holds (`length(body || body)` builds two, and keeps none).
    pub built_copies: u64,
    /// The working memory its splits take, in copies of the value they
    /// split (`cardinality(regexp_split_to_array(body, ''))` takes 80).
    pub split_working: u64,
    /// The values read from the data that its calls read whole, added up
    /// over the row and its SELECTs (see `copies::Bag::reads`).
    pub held_reads: u64,
    /// The values its rows may rebuild whole, added up over the row and its
    /// SELECTs (see `copies::rebuilds`).
    pub held_rebuilds: u64,
    /// What values it parses as another type (see [`Parsed`]).
    pub parsed: Parsed,
}

impl<'a> Walker<'a> {
    pub(super) fn new(policy: &'a Policy, catalog: Option<&'a Catalog>) -> Self {
        Self {
            policy,
            catalog,
            scopes: Vec::new(),
            objects: Vec::new(),
            depth: 0,
            barrier: 0,
            bare: Vec::new(),
            aliases: Vec::new(),
            derived_columns: Vec::new(),
            needles: 0,
            gathers: false,
            computed_series: false,
            tests_subqueries: false,
            queries_open: 0,
            set_operands: 0,
            repeats_unforeseen: None,
            top_rows: Some(0),
            groups_hold_reads: false,
            groups_keep_values: false,
            renames_columns: false,
            builds_from_reads: false,
            relations: 0,
            gathered_row_bytes: 0,
            reach: Reach::default(),
            reach_columns: Vec::new(),
            gathered_copies: 1,
            row_copies: RowCopies::default(),
            in_from: false,
            expr_depth: 0,
            select_peak: 0,
            select_working: 0,
            built_copies: 0,
            split_working: 0,
            select_reads: 0,
            held_reads: 0,
            select_rebuilds: 0,
            held_rebuilds: 0,
            read_copies: 1,
            parsed: Parsed::default(),
        }
    }

    fn dialect(&self) -> Dialect {
        self.policy.dialect
    }

    /// Judges a whole query; returns what the executor needs to know of it.
    pub(super) fn query(mut self, query: &Query) -> Result<Walked, Refusal> {
        self.walk_query(query)?;
        // What rows outside any SELECT compute (a `VALUES` of the statement,
        // of a CTE or of a UNION's branch) is held as a SELECT's row is.
        self.held_reads = self.held_reads.saturating_add(self.select_reads);
        self.held_rebuilds = self.held_rebuilds.saturating_add(self.select_rebuilds);
        self.judge_bare_names()?;
        let row_copies = self.row_copies.times(1);
        if row_copies > copies::MAX_ROW_COPIES {
            return Err(Refusal::TooLarge(Excess::RowCopies {
                copies: copies::shown(row_copies),
                of: None,
                max: copies::MAX_ROW_COPIES,
            }));
        }
        Ok(Walked {
            objects: self.objects,
            gathers: self.gathers,
            computed_series: self.computed_series,
            tests_subqueries: self.tests_subqueries,
            builds_from_reads: self.builds_from_reads,
            repeats_unforeseen: self.repeats_unforeseen,
            top_rows: self.top_rows,
            groups_hold_reads: self.groups_hold_reads,
            groups_keep_values: self.groups_keep_values,
            renames_columns: self.renames_columns,
            gathered_row_bytes: self.gathered_row_bytes,
            reach: self.reach,
            gathered_copies: self.gathered_copies,
            built_copies: self.built_copies.max(row_copies),
            split_working: self.split_working,
            held_reads: self.held_reads,
            held_rebuilds: self.held_rebuilds,
            row_copies,
            parsed: self.parsed,
        })
    }

    /// Starts counting the copies of a query or SELECT's rows (see
    /// [`RowCopies`]); gives back what [`Self::leave_copies`] restores.
    fn enter_copies(&mut self) -> (RowCopies, bool) {
        (std::mem::take(&mut self.row_copies), self.in_from)
    }

    /// Ends counting the copies of a query or SELECT whose own projection
    /// holds `own` copies, and adds its rows' copies to the query around.
    fn leave_copies(&mut self, (around, in_from): (RowCopies, bool), own: u64) {
        let copies = self.row_copies.times(own);
        self.row_copies = around;
        self.in_from = in_from;
        if in_from {
            self.read_rows(copies);
        } else {
            self.row_copies.other = self.row_copies.other.max(copies);
        }
    }

    /// Rows holding `copies` copies of the values they read are read in
    /// `FROM` (a subquery's, a CTE's).
    fn read_rows(&mut self, copies: u64) {
        self.row_copies.from = self.row_copies.from.saturating_add(copies);
        self.read_copies = self.read_copies.max(copies);
    }

    /// Notes a call of a function that returns rows whose arguments are
    /// computed.
    fn series<'e>(&mut self, called: &str, args: impl IntoIterator<Item = Option<&'e Expr>>) {
        if self.dialect() != Dialect::Postgres || !bounds::returns_rows(called) {
            return;
        }
        // The planner foresees a series' rows from integers only: over
        // dates, timestamps or numerics it guesses 1,000 whatever the span
        // (PostgreSQL has no estimate for them).
        let series = called == "generate_series";
        let args: Vec<Option<&Expr>> = args.into_iter().collect();
        let foreseen = args
            .iter()
            .all(|a| a.is_some_and(|a| bounds::is_constant(a) && (!series || bounds::integral(a))))
            || (series && bounds::short_time_series(&args));
        if !foreseen {
            self.computed_series = true;
        }
    }

    /// With a known catalogue, names that could be function calls in
    /// disguise must be columns: Oracle's names written alone, and
    /// PostgreSQL's `d.x` on a subquery's or CTE's alias (`d.f` is `f(d)`
    /// when `d` has no column `f`). Each must be a column of the catalogue,
    /// an alias the statement defines, or (Oracle) a pseudo-column.
    fn judge_bare_names(&self) -> Judged {
        let Some(catalog) = self.catalog else {
            return Ok(());
        };
        let column = |name: &str| {
            self.aliases.iter().any(|a| a == name)
                || catalog
                    .tables
                    .iter()
                    .any(|t| t.columns.iter().any(|c| c.name == name))
        };
        if let Some(name) = self.derived_columns.iter().find(|n| !column(n)) {
            return Err(unverifiable(Unreadable::NotAColumn {
                name: name.clone(),
                dialect: Dialect::Postgres,
            }));
        }
        if self.dialect() != Dialect::Oracle {
            return Ok(());
        }
        const PSEUDO: &[&str] = &[
            "ROWNUM",
            "ROWID",
            "LEVEL",
            "SYSDATE",
            "SYSTIMESTAMP",
            "CURRENT_DATE",
            "CURRENT_TIMESTAMP",
            "LOCALTIMESTAMP",
            "CONNECT_BY_ISLEAF",
            "CONNECT_BY_ISCYCLE",
            "DUMMY",
            "NULL",
            "TRUE",
            "FALSE",
        ];
        for name in &self.bare {
            let known = PSEUDO.contains(&name.as_str()) || column(name);
            if !known {
                return Err(unverifiable(Unreadable::NotAColumn {
                    name: name.clone(),
                    dialect: Dialect::Oracle,
                }));
            }
        }
        Ok(())
    }

    fn deeper(&mut self) -> Judged {
        self.depth += 1;
        if self.depth > MAX_TREE_DEPTH {
            return Err(Refusal::TooLarge(Excess::Nesting {
                max: MAX_TREE_DEPTH,
            }));
        }
        Ok(())
    }

    /// Notes that `expr` is parsed as another type: the names it reads
    /// values by (a subquery's too), or that what it reads cannot be told
    /// by name (a field of a row, `*`).
    fn parses(&mut self, expr: &Expr) {
        use std::ops::ControlFlow;
        let _ = sqlparser::ast::visit_expressions(expr, |e| {
            for written in self.written_in(e) {
                self.parsed.as_text_parsed.insert(written);
            }
            match e {
                Expr::Identifier(i) => {
                    self.parsed.any = true;
                    self.parsed.names.insert(self.fold(i));
                }
                Expr::CompoundIdentifier(parts) => {
                    self.parsed.any = true;
                    if let Some(last) = parts.last() {
                        self.parsed.names.insert(self.fold(last));
                    }
                }
                // A subquery's names are visited as the others are: a value
                // it returns is read by them.
                Expr::CompoundFieldAccess { .. }
                | Expr::Wildcard(_)
                | Expr::QualifiedWildcard(..) => {
                    self.parsed.any = true;
                    self.parsed.unresolved = true;
                }
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
    }

    /// The last part of the name `expr` reads a whole column by, folded.
    fn column_name(&self, expr: &Expr) -> Option<String> {
        let mut expr = expr;
        while let Expr::Nested(inner) = expr {
            expr = inner;
        }
        match expr {
            Expr::Identifier(i) => Some(self.fold(i)),
            Expr::CompoundIdentifier(parts) => parts.last().map(|last| self.fold(last)),
            _ => None,
        }
    }

    /// The columns `expr` itself writes out whole as text: a cast to a text
    /// type, or a call that writes any value it is given (see
    /// `Parsed::as_text`). Noted for every expression walked, and again for
    /// those inside what a statement parses.
    fn written_in(&self, expr: &Expr) -> Vec<String> {
        super::sizes::rendered_as_text(expr, |i| self.fold(i))
            .into_iter()
            .filter_map(|value| self.column_name(value))
            .collect()
    }
}
