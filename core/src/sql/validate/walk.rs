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
//! Why one long file: it is one exhaustive match over sqlparser's AST, kind
//! by kind (about 70 `Expr` variants alone, each named). Split across files,
//! the match would read as several lists, and a reviewer could no longer
//! see at a glance that every kind is listed exactly once and none passes by
//! default.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CaseWhen, CeilFloorKind, ConnectByKind, DataType, Distinct, Expr,
    Fetch, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause,
    FunctionArguments, GroupByExpr, GroupByWithModifier, Ident, JoinConstraint, JoinOperator,
    LimitClause, ListAggOnOverflow, NamedWindowExpr, ObjectName, ObjectNamePart, OrderByExpr,
    OrderByKind, PivotValueSource, Query, Select, SelectFlavor, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Subscript, TableAlias, TableFactor, TableWithJoins,
    UnaryOperator, Value, WildcardAdditionalOptions, WindowFrameBound, WindowSpec, WindowType,
};

use super::super::Dialect;
use super::super::schema::Catalog;
use super::{
    Excess, Foreign, MAX_FROM_RELATIONS, MAX_RELATIONS, MAX_TREE_DEPTH, NamesRead, Parsed, Policy,
    Refusal, Unreadable, bounds, copies, denied, denied_object, functions,
};

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
    /// See [`Walked::renames_columns`].
    renames_columns: bool,
    /// A row of one of its SELECTs holds a value built of what it reads
    /// (see [`Walked::builds_from_reads`]).
    builds_from_reads: bool,
    /// The relations its `FROM` clauses name, all together.
    relations: usize,
    /// The names it reads values by.
    names: NamesRead,
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
    /// An alias renames a relation's columns (`docs AS d(i, t, b)`).
    pub renames_columns: bool,
    /// The most one gathered row may add beyond what the plan reads.
    pub gathered_row_bytes: u64,
    /// The names it reads values by.
    pub names: NamesRead,
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
            renames_columns: false,
            builds_from_reads: false,
            relations: 0,
            gathered_row_bytes: 0,
            names: NamesRead::default(),
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
            renames_columns: self.renames_columns,
            gathered_row_bytes: self.gathered_row_bytes,
            names: self.names,
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
        // (PostgreSQL 15 and 16 have no estimate for them; a century of
        // seconds gathered took a backend to 3.4 GiB).
        let series = called == "generate_series";
        let foreseen = args
            .into_iter()
            .all(|a| a.is_some_and(|a| bounds::written_out(a) && (!series || bounds::integral(a))));
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

    fn walk_query(&mut self, query: &Query) -> Judged {
        self.queries_open += 1;
        let walked = self.walk_query_body(query);
        self.queries_open -= 1;
        walked
    }

    fn walk_query_body(&mut self, query: &Query) -> Judged {
        self.deeper()?;
        // A CTE may give a value read another name: the names parsed no
        // longer tell which columns they are.
        if query.with.is_some() {
            self.parsed.renamed = true;
        }
        let Query {
            with,
            body,
            order_by,
            limit_clause,
            fetch,
            locks,
            for_clause,
            settings,
            format_clause,
            pipe_operators,
        } = query;
        if !locks.is_empty() {
            return Err(Refusal::Locks);
        }
        if for_clause.is_some() {
            return Err(construct("FOR XML / FOR JSON"));
        }
        if settings.is_some() || format_clause.is_some() || !pipe_operators.is_empty() {
            return Err(foreign(Foreign::Clause));
        }
        self.scopes.push(Scope::default());
        let copies = self.enter_copies();
        let result = (|| {
            if let Some(with) = with {
                for cte in &with.cte_tables {
                    let name = self.fold(&cte.alias.name);
                    // A CTE named like a dictionary object would hide the
                    // real one from a check by name.
                    if self.catalog.is_none()
                        && denied_object(
                            &self.policy.denied_objects,
                            &[self.upper(&cte.alias.name)],
                        )
                    {
                        return Err(Refusal::DeniedObject(cte.alias.name.value.clone()));
                    }
                    if cte.from.is_some() {
                        return Err(construct("WITH … FROM"));
                    }
                    // PostgreSQL copies a CTE into every query that reads it
                    // when told not to materialise it: nested ones read twice
                    // each double the plan at every level (fourteen levels of
                    // 1 KB took the offer's EXPLAIN to 3.4 GiB).
                    if cte.materialized == Some(sqlparser::ast::CteAsMaterialized::NotMaterialized)
                    {
                        return Err(Refusal::TooLarge(Excess::NotMaterialized(
                            cte.alias.name.to_string(),
                        )));
                    }
                    // Recursive: the CTE sees itself (PostgreSQL and SQLite
                    // say RECURSIVE; Oracle's recursive form has a column list).
                    let recursive = with.recursive
                        || (self.dialect() == Dialect::Oracle && !cte.alias.columns.is_empty());
                    if recursive && self.dialect() == Dialect::Postgres {
                        bounds::recursion(&cte.query)?;
                    }
                    // Its own rows, read in its recursive step, are weighed
                    // by `sizes` (a step may not double its value).
                    if recursive {
                        self.scope().ctes.push((name.clone(), 1));
                    }
                    for column in &cte.alias.columns {
                        let folded = self.fold(&column.name);
                        self.aliases.push(folded);
                    }
                    let barrier = self.barrier;
                    self.barrier = self.scopes.len();
                    // A CTE's rows are read like a table's: its copies count
                    // where it is read, as a subquery's in `FROM` do (a chain
                    // of CTEs each doubling the last multiplies).
                    self.in_from = true;
                    let around = std::mem::take(&mut self.row_copies);
                    let walked = self.walk_query(&cte.query);
                    let held = self.row_copies.from.max(1);
                    self.row_copies = around;
                    self.barrier = barrier;
                    walked?;
                    if held > copies::MAX_ROW_COPIES {
                        return Err(Refusal::TooLarge(Excess::RowCopies {
                            copies: copies::shown(held),
                            of: Some(cte.alias.name.value.clone()),
                            max: copies::MAX_ROW_COPIES,
                        }));
                    }
                    let scope = self.scope();
                    match scope.ctes.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, copies)) if recursive => *copies = held,
                        _ => scope.ctes.push((name, held)),
                    }
                }
            }
            self.in_from = false;
            // ORDER BY of a single SELECT may name its relations.
            match body.as_ref() {
                SetExpr::Select(select) => {
                    self.walk_select(select, |w| w.walk_query_tail(order_by, limit_clause, fetch))
                }
                other => {
                    self.walk_set_expr(other)?;
                    self.walk_query_tail(order_by, limit_clause, fetch)
                }
            }
        })();
        self.leave_copies(copies, 1);
        self.scopes.pop();
        self.depth -= 1;
        result
    }

    fn walk_query_tail(
        &mut self,
        order_by: &Option<sqlparser::ast::OrderBy>,
        limit_clause: &Option<LimitClause>,
        fetch: &Option<Fetch>,
    ) -> Judged {
        if let Some(order_by) = order_by {
            if order_by.interpolate.is_some() {
                return Err(construct("ORDER BY … INTERPOLATE"));
            }
            match &order_by.kind {
                OrderByKind::Expressions(exprs) => self.walk_order_by(exprs)?,
                OrderByKind::All(_) => return Err(construct("ORDER BY ALL")),
            }
        }
        let (limit, offset) = match limit_clause {
            None => (None, None),
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return Err(construct("LIMIT … BY"));
                }
                if let Some(limit) = limit {
                    self.walk_expr(limit)?;
                }
                if let Some(offset) = offset {
                    self.walk_expr(&offset.value)?;
                }
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
                self.walk_expr(offset)?;
                self.walk_expr(limit)?;
                (Some(limit), Some(offset))
            }
        };
        let mut fetched = None;
        if let Some(Fetch {
            quantity, percent, ..
        }) = fetch
            && let Some(quantity) = quantity
        {
            self.walk_expr(quantity)?;
            // A share of the rows is no count written out.
            fetched = Some((quantity, *percent));
        }
        self.top_rows(
            limit.or(fetched.map(|(q, _)| q)),
            offset,
            fetched.is_some_and(|(_, p)| p),
        );
        Ok(())
    }

    /// Counts the rows a `LIMIT` (or `FETCH FIRST`) lets through with its
    /// `OFFSET` toward [`Walked::top_rows`]: PostgreSQL sorts the first
    /// rows of an `ORDER BY … LIMIT` in memory, as many as that, whatever
    /// `work_mem` says (200 rows each holding a 10 MB value built by `||`
    /// took a backend to 1.9 GiB). Without a count, nothing is kept so.
    fn top_rows(&mut self, count: Option<&Expr>, offset: Option<&Expr>, share: bool) {
        let Some(count) = count else {
            return;
        };
        let written = |e: &Expr| bounds::integer(e).and_then(|n| u64::try_from(n.max(0)).ok());
        let offset = offset.map_or(Some(0), written);
        let kept = match (written(count), offset) {
            (Some(count), Some(offset)) if !share => Some(count.saturating_add(offset)),
            _ => None,
        };
        self.top_rows = match (self.top_rows, kept) {
            (Some(most), Some(kept)) => Some(most.max(kept)),
            _ => None,
        };
    }

    fn walk_order_by(&mut self, exprs: &[OrderByExpr]) -> Judged {
        for e in exprs {
            if e.with_fill.is_some() {
                return Err(construct("ORDER BY … WITH FILL"));
            }
            self.walk_expr(&e.expr)?;
        }
        Ok(())
    }

    fn scope(&mut self) -> &mut Scope {
        self.scopes.last_mut().expect("a scope is open")
    }

    fn walk_set_expr(&mut self, body: &SetExpr) -> Judged {
        self.deeper()?;
        let result = match body {
            SetExpr::Select(select) => self.walk_select(select, |_| Ok(())),
            SetExpr::Query(query) => self.walk_query(query),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_operands += 1;
                let walked = self
                    .walk_set_expr(left)
                    .and_then(|()| self.walk_set_expr(right));
                self.set_operands -= 1;
                walked
            }
            SetExpr::Values(values) => {
                let mut own = 1;
                for row in &values.rows {
                    // Its rows are kept as a subquery's are
                    // (`(VALUES ((SELECT max(k.val) FROM kv k))) v(x)`).
                    if self.queries_open > 1 || self.set_operands > 0 {
                        row.iter().for_each(|e| self.kept_rows(e));
                    }
                    self.walk_exprs(row)?;
                    let held = row
                        .iter()
                        .fold(copies::Bag::default(), |bag, e| bag.add(copies::of(e)));
                    own = own.max(held.most().0);
                }
                // Its rows hold the copies its values make (`VALUES (x || x)`).
                self.row_copies.other = self.row_copies.other.max(own);
                Ok(())
            }
            SetExpr::Insert(_) => Err(Refusal::NotAQuery("INSERT".to_owned())),
            SetExpr::Update(_) => Err(Refusal::NotAQuery("UPDATE".to_owned())),
            SetExpr::Delete(_) => Err(Refusal::NotAQuery("DELETE".to_owned())),
            SetExpr::Merge(_) => Err(Refusal::NotAQuery("MERGE".to_owned())),
            // PostgreSQL's `TABLE name`: the parser keeps the name as
            // strings, outside the relations it reports.
            SetExpr::Table(_) => Err(unverifiable(Unreadable::ShortTable)),
        };
        self.depth -= 1;
        result
    }

    /// Walks a SELECT, then `tail` (the ORDER BY and LIMIT of its query)
    /// with its relations still in scope.
    fn walk_select(&mut self, select: &Select, tail: impl FnOnce(&mut Self) -> Judged) -> Judged {
        let Select {
            select_token: _,
            optimizer_hints: _,
            distinct,
            select_modifiers,
            top,
            top_before_distinct: _,
            projection,
            exclude,
            into,
            from,
            lateral_views,
            prewhere,
            selection,
            connect_by,
            group_by,
            cluster_by,
            distribute_by,
            sort_by,
            having,
            named_window,
            qualify,
            window_before_qualify: _,
            value_table_mode,
            flavor,
        } = select;
        if into.is_some() {
            return Err(Refusal::SelectInto);
        }
        if select_modifiers.is_some()
            || top.is_some()
            || exclude.is_some()
            || !lateral_views.is_empty()
            || prewhere.is_some()
            || !cluster_by.is_empty()
            || !distribute_by.is_empty()
            || !sort_by.is_empty()
            || qualify.is_some()
            || value_table_mode.is_some()
            || !matches!(flavor, SelectFlavor::Standard)
        {
            return Err(foreign(Foreign::SelectClause));
        }
        self.scopes.push(Scope::default());
        let copies = self.enter_copies();
        let around = (
            std::mem::take(&mut self.expr_depth),
            std::mem::take(&mut self.select_peak),
            std::mem::take(&mut self.select_working),
            std::mem::take(&mut self.select_reads),
            std::mem::take(&mut self.select_rebuilds),
        );
        let mut own = 1;
        let result = (|| {
            // The planner weighs every order of joining what one FROM joins,
            // in memory kept until the whole statement is planned: eleven
            // relations joined on one column took 287 MiB to plan, twenty
            // such SELECTs 5.3 GiB at the offer's EXPLAIN, and 300 relations
            // 30 s of its genetic search.
            let here: usize = from.iter().map(|t| 1 + t.joins.len()).sum();
            if here > MAX_FROM_RELATIONS {
                return Err(Refusal::TooLarge(Excess::Joined {
                    relations: here,
                    max: MAX_FROM_RELATIONS,
                }));
            }
            self.relations += here;
            if self.relations > MAX_RELATIONS {
                return Err(Refusal::TooLarge(Excess::Relations { max: MAX_RELATIONS }));
            }
            // FROM first: its names are what the other clauses refer to. A
            // relation of this FROM is visible to the ones after it
            // (LATERAL), which is what the database allows too.
            self.in_from = true;
            for table in from {
                self.walk_table_with_joins(table)?;
            }
            self.in_from = false;
            if let Some(Distinct::On(exprs)) = distinct {
                self.walk_exprs(exprs)?;
            }
            for item in projection {
                self.walk_select_item(item)?;
            }
            // A `*` holds a row of each relation of this FROM.
            let relations = from.iter().map(|t| 1 + t.joins.len() as u64).sum();
            let (most, name) = copies::of_projection(projection, relations).most();
            if most > copies::MAX_ROW_COPIES {
                return Err(Refusal::TooLarge(Excess::RowCopies {
                    copies: copies::shown(most),
                    of: Some(name.to_string()),
                    max: copies::MAX_ROW_COPIES,
                }));
            }
            own = most.max(1);
            if let Some(selection) = selection {
                self.walk_expr(selection)?;
            }
            for kind in connect_by {
                match kind {
                    ConnectByKind::ConnectBy { relationships, .. } => {
                        self.walk_exprs(relationships)?
                    }
                    ConnectByKind::StartWith { condition, .. } => self.walk_expr(condition)?,
                }
            }
            match group_by {
                GroupByExpr::All(_) => return Err(construct("GROUP BY ALL")),
                GroupByExpr::Expressions(exprs, modifiers) => {
                    self.walk_exprs(exprs)?;
                    for modifier in modifiers {
                        match modifier {
                            GroupByWithModifier::Rollup | GroupByWithModifier::Cube => {}
                            GroupByWithModifier::GroupingSets(e) => self.walk_expr(e)?,
                            GroupByWithModifier::Totals => {
                                return Err(construct("GROUP BY … WITH TOTALS"));
                            }
                        }
                    }
                }
            }
            if let Some(having) = having {
                self.walk_expr(having)?;
            }
            for window in named_window {
                match &window.1 {
                    NamedWindowExpr::NamedWindow(_) => {}
                    NamedWindowExpr::WindowSpec(spec) => self.walk_window_spec(spec)?,
                }
            }
            tail(self)?;
            // What it computes on the way is built from its input rows.
            let peak = self.select_peak.saturating_mul(self.row_copies.times(1));
            self.built_copies = self.built_copies.max(peak);
            // Every SELECT's row of the statement may be alive at once (a
            // subquery runs inside the row that asks for it).
            let working = self.select_working.saturating_mul(self.row_copies.times(1));
            self.split_working = self.split_working.saturating_add(working);
            self.held_reads = self.held_reads.saturating_add(self.select_reads);
            self.held_rebuilds = self.held_rebuilds.saturating_add(self.select_rebuilds);
            if peak > copies::MAX_ROW_COPIES {
                return Err(Refusal::TooLarge(Excess::ValueCopies {
                    copies: copies::shown(peak),
                    max: copies::MAX_ROW_COPIES,
                }));
            }
            Ok(())
        })();
        (
            self.expr_depth,
            self.select_peak,
            self.select_working,
            self.select_reads,
            self.select_rebuilds,
        ) = around;
        self.leave_copies(copies, own);
        self.scopes.pop();
        result
    }

    fn walk_select_item(&mut self, item: &SelectItem) -> Judged {
        if let SelectItem::UnnamedExpr(e)
        | SelectItem::ExprWithAlias { expr: e, .. }
        | SelectItem::ExprWithAliases { expr: e, .. } = item
        {
            if self.queries_open > 1 || self.set_operands > 0 {
                self.kept_rows(e);
            }
            let bare = unnested(e);
            let read_as_is = matches!(bare, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
            if !read_as_is && !short_excerpt(bare) && copies::of(e).most().0 > 0 {
                self.builds_from_reads = true;
            }
        }
        match item {
            SelectItem::UnnamedExpr(e) => self.walk_expr(e),
            SelectItem::ExprWithAlias { expr, alias } => {
                let folded = self.fold(alias);
                self.aliases.push(folded);
                self.walk_expr(expr)
            }
            SelectItem::ExprWithAliases { expr, aliases } => {
                for a in aliases {
                    let folded = self.fold(a);
                    self.aliases.push(folded);
                }
                self.walk_expr(expr)
            }
            SelectItem::QualifiedWildcard(kind, options) => {
                self.names.wildcard = true;
                Self::plain_wildcard(options)?;
                match kind {
                    SelectItemQualifiedWildcardKind::ObjectName(_) => Ok(()),
                    SelectItemQualifiedWildcardKind::Expr(e) => self.walk_expr(e),
                }
            }
            SelectItem::Wildcard(options) => {
                self.names.wildcard = true;
                Self::plain_wildcard(options)
            }
        }
    }

    fn plain_wildcard(options: &WildcardAdditionalOptions) -> Judged {
        let WildcardAdditionalOptions {
            wildcard_token: _,
            opt_ilike,
            opt_exclude,
            opt_except,
            opt_replace,
            opt_rename,
            opt_alias,
        } = options;
        if opt_ilike.is_some()
            || opt_exclude.is_some()
            || opt_except.is_some()
            || opt_replace.is_some()
            || opt_rename.is_some()
            || opt_alias.is_some()
        {
            return Err(foreign(Foreign::StarOptions));
        }
        Ok(())
    }

    fn walk_table_with_joins(&mut self, table: &TableWithJoins) -> Judged {
        self.walk_table_factor(&table.relation)?;
        for join in &table.joins {
            if join.global {
                return Err(construct("GLOBAL JOIN"));
            }
            // Oracle's CROSS and OUTER APPLY read the rows before them, as
            // LATERAL does.
            let applied = matches!(
                join.join_operator,
                JoinOperator::CrossApply | JoinOperator::OuterApply
            );
            self.walk_joined(&join.relation, applied)?;
            let constraint = match &join.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c) => Some(c),
                JoinOperator::CrossApply | JoinOperator::OuterApply => None,
                JoinOperator::Semi(_)
                | JoinOperator::LeftSemi(_)
                | JoinOperator::RightSemi(_)
                | JoinOperator::Anti(_)
                | JoinOperator::LeftAnti(_)
                | JoinOperator::RightAnti(_)
                | JoinOperator::AsOf { .. }
                | JoinOperator::StraightJoin(_)
                | JoinOperator::ArrayJoin
                | JoinOperator::LeftArrayJoin
                | JoinOperator::InnerArrayJoin => {
                    return Err(foreign(Foreign::Join));
                }
            };
            match constraint {
                Some(JoinConstraint::On(e)) => self.walk_expr(e)?,
                Some(JoinConstraint::Using(_) | JoinConstraint::Natural | JoinConstraint::None)
                | None => {}
            }
        }
        Ok(())
    }

    /// Records a name the query's columns may be qualified with.
    fn visible(&mut self, name: Vec<String>, columns: Option<Vec<String>>) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.relations.push(Visible { name, columns });
        }
    }

    fn alias(&mut self, alias: &Option<TableAlias>) -> Judged {
        self.alias_with(alias, None)
    }

    /// A relation's alias, with the only columns it may qualify when known
    /// (see [`Visible::columns`]).
    fn alias_with(&mut self, alias: &Option<TableAlias>, columns: Option<Vec<String>>) -> Judged {
        if let Some(alias) = alias {
            if alias.name.value.contains('@') {
                return Err(Refusal::DatabaseLink(alias.name.value.clone()));
            }
            if alias.at.is_some() {
                return Err(construct("AT (an alias of another dialect)"));
            }
            for column in &alias.columns {
                if let Some(data_type) = &column.data_type {
                    Self::data_type(data_type)?;
                }
                let folded = self.fold(&column.name);
                self.aliases.push(folded);
            }
            // `clients AS c(i, n)`: the alias renames the columns, so the
            // names read no longer say which columns are read.
            if !alias.columns.is_empty() {
                self.names.wildcard = true;
                self.renames_columns = true;
            }
            let columns = match (&columns, alias.columns.is_empty()) {
                (Some(_), false) => {
                    Some(alias.columns.iter().map(|c| self.fold(&c.name)).collect())
                }
                _ => columns,
            };
            let name = self.fold(&alias.name);
            self.visible(vec![name], columns);
        }
        Ok(())
    }

    /// PostgreSQL with a known catalogue: the columns of a table, the only
    /// names `t.x` may use (anything else is `x(t)`, a function call).
    fn table_columns(&self, parts: &[String]) -> Option<Vec<String>> {
        let catalog = self.catalog?;
        if self.dialect() != Dialect::Postgres {
            return None;
        }
        let (schema, table) = match parts {
            [table] => (None, table),
            [schema, table] => (Some(schema), table),
            _ => return None,
        };
        catalog
            .tables
            .iter()
            .find(|t| {
                t.name == *table
                    && schema.is_none_or(|s| t.schema.as_deref().unwrap_or("public") == s)
            })
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
    }

    /// What the alias of a function in FROM may qualify, in PostgreSQL:
    /// its declared columns, or the single column named after the alias or
    /// the function, or the key and value of the `*_each` functions.
    fn function_columns(
        &self,
        name: &ObjectName,
        alias: &Option<TableAlias>,
    ) -> Option<Vec<String>> {
        if self.dialect() != Dialect::Postgres {
            return None;
        }
        let mut columns: Vec<String> = vec!["key".into(), "value".into(), "ordinality".into()];
        if let Some(ObjectNamePart::Identifier(last)) = name.0.last() {
            columns.push(self.fold(last));
        }
        if let Some(alias) = alias {
            columns.push(self.fold(&alias.name));
            columns.extend(alias.columns.iter().map(|c| self.fold(&c.name)));
        }
        Some(columns)
    }

    fn walk_table_factor(&mut self, factor: &TableFactor) -> Judged {
        self.walk_joined(factor, false)
    }

    /// A relation of a `FROM`; `applied` when it reads the rows before it
    /// whatever it says (`CROSS APPLY`).
    fn walk_joined(&mut self, factor: &TableFactor, applied: bool) -> Judged {
        self.deeper()?;
        let result = self.table_factor(factor, applied);
        self.depth -= 1;
        result
    }

    fn table_factor(&mut self, factor: &TableFactor, applied: bool) -> Judged {
        // Anything but a table read by its name (a subquery, a function's
        // rows, `VALUES`, a table whose alias names its columns: `docs AS
        // d(i, t, b)`) may give a value read another name.
        let renames = match factor {
            TableFactor::Table {
                args: None, alias, ..
            } => alias.as_ref().is_some_and(|a| !a.columns.is_empty()),
            _ => true,
        };
        self.parsed.renamed |= renames;
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality: _,
                partitions,
                json_path,
                sample,
                index_hints,
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || !index_hints.is_empty()
                {
                    return Err(unverifiable(Unreadable::TableOptions(name.to_string())));
                }
                if let Some(sample) = sample {
                    self.walk_sample(sample)?;
                }
                match args {
                    // `FROM f(…)`: a function, judged as one.
                    Some(args) => {
                        if args.settings.is_some() {
                            return Err(construct("SETTINGS"));
                        }
                        self.table_function(name, &args.args)?;
                        let columns = self.function_columns(name, alias);
                        if alias.is_none() {
                            let called = self.parts(name)?.last().map(|p| self.fold(p));
                            self.visible(called.into_iter().collect(), columns.clone());
                        }
                        self.alias_with(alias, columns)
                    }
                    None => {
                        self.relation(name, alias.as_ref())?;
                        // Columns may be qualified with the table's name,
                        // whole or without its schema.
                        let parts: Vec<String> =
                            self.parts(name)?.iter().map(|p| self.fold(p)).collect();
                        let columns = self.table_columns(&parts);
                        if let Some(last) = parts.last() {
                            self.visible(vec![last.clone()], columns.clone());
                        }
                        self.visible(parts, columns.clone());
                        self.alias_with(alias, columns)
                    }
                }
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if sample.is_some() {
                    return Err(construct("(SELECT …) TABLESAMPLE"));
                }
                let lateral = *lateral || applied;
                let barrier = self.barrier;
                if !lateral {
                    self.barrier = self.scopes.len();
                }
                // A LATERAL subquery reads the rows before it in its FROM: its
                // copies of their values multiply theirs (`LATERAL (SELECT a.v
                // || a.v …)` after `LATERAL (SELECT d.body || d.body …) a`).
                let (before, preceding) = (self.row_copies.from, self.row_copies.from.max(1));
                let walked = self.walk_query(subquery);
                self.barrier = barrier;
                walked?;
                if lateral {
                    let made = self.row_copies.from.saturating_sub(before);
                    let held = made.saturating_mul(preceding);
                    self.row_copies.from = before.saturating_add(held);
                    self.read_copies = self.read_copies.max(held);
                }
                self.alias(alias)
            }
            TableFactor::Function {
                lateral: _,
                name,
                args,
                with_ordinality: _,
                alias,
            } => {
                self.table_function(name, args)?;
                let columns = self.function_columns(name, alias);
                if alias.is_none() {
                    let called = self.parts(name)?.last().map(|p| self.fold(p));
                    self.visible(called.into_iter().collect(), columns.clone());
                }
                self.alias_with(alias, columns)
            }
            TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset,
                with_offset_alias: _,
                with_ordinality: _,
            } => {
                if *with_offset {
                    return Err(construct("UNNEST … WITH OFFSET"));
                }
                self.walk_exprs(array_exprs)?;
                self.series("unnest", array_exprs.iter().map(Some));
                let unnest = ObjectName::from(vec![Ident::new("unnest")]);
                let columns = self.function_columns(&unnest, alias);
                self.alias_with(alias, columns)
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                self.walk_table_with_joins(table_with_joins)?;
                self.alias(alias)
            }
            TableFactor::Pivot {
                table,
                aggregate_functions,
                value_column,
                value_source,
                default_on_null,
                alias,
            } => {
                // The pivoted table's own name is not visible past the
                // PIVOT: only the PIVOT's alias is.
                let visible = self.scope().relations.len();
                self.walk_table_factor(table)?;
                for f in aggregate_functions {
                    self.walk_expr(&f.expr)?;
                    if let Some(a) = &f.alias {
                        let folded = self.fold(a);
                        self.aliases.push(folded);
                    }
                }
                self.walk_exprs(value_column)?;
                match value_source {
                    PivotValueSource::List(values) => {
                        for v in values {
                            self.walk_expr(&v.expr)?;
                            if let Some(a) = &v.alias {
                                let folded = self.fold(a);
                                self.aliases.push(folded);
                            }
                        }
                    }
                    PivotValueSource::Any(_) => return Err(construct("PIVOT … ANY")),
                    PivotValueSource::Subquery(q) => self.walk_query(q)?,
                }
                if let Some(e) = default_on_null {
                    self.walk_expr(e)?;
                }
                self.scope().relations.truncate(visible);
                self.alias(alias)
            }
            TableFactor::Unpivot {
                table,
                value,
                name,
                columns,
                null_inclusion: _,
                alias,
            } => {
                let visible = self.scope().relations.len();
                self.walk_table_factor(table)?;
                // The value and name columns are defined here.
                match value {
                    Expr::Identifier(i) => {
                        let folded = self.fold(i);
                        self.aliases.push(folded);
                    }
                    other => self.walk_expr(other)?,
                }
                let folded = self.fold(name);
                self.aliases.push(folded);
                for c in columns {
                    self.walk_expr(&c.expr)?;
                    if let Some(a) = &c.alias {
                        let folded = self.fold(a);
                        self.aliases.push(folded);
                    }
                }
                self.scope().relations.truncate(visible);
                self.alias(alias)
            }
            TableFactor::JsonTable {
                json_expr,
                json_path: _,
                columns,
                alias,
            } => {
                // The paths are JSON paths into the value: they read
                // nothing else; the columns' types are judged as casts.
                self.walk_expr(json_expr)?;
                self.json_table_columns(columns)?;
                self.alias(alias)
            }
            // Oracle's TABLE(collection), XMLTABLE (XQuery reads tables and
            // URLs), and the forms of other dialects.
            TableFactor::TableFunction { .. } => Err(construct("TABLE(…)")),
            TableFactor::XmlTable { .. } => Err(unverifiable(Unreadable::XmlTable)),
            TableFactor::OpenJsonTable { .. }
            | TableFactor::UnpivotExpr { .. }
            | TableFactor::MatchRecognize { .. }
            | TableFactor::SemanticView { .. } => Err(foreign(Foreign::FromForm)),
        }
    }

    fn json_table_columns(&mut self, columns: &[sqlparser::ast::JsonTableColumn]) -> Judged {
        use sqlparser::ast::JsonTableColumn;
        for column in columns {
            match column {
                JsonTableColumn::Named(named) => {
                    Self::data_type(&named.r#type)?;
                    let folded = self.fold(&named.name);
                    self.aliases.push(folded);
                }
                JsonTableColumn::ForOrdinality(name) => {
                    let folded = self.fold(name);
                    self.aliases.push(folded);
                }
                JsonTableColumn::Nested(nested) => self.json_table_columns(&nested.columns)?,
            }
        }
        Ok(())
    }

    fn walk_sample(&mut self, sample: &sqlparser::ast::TableSampleKind) -> Judged {
        let (sqlparser::ast::TableSampleKind::BeforeTableAlias(s)
        | sqlparser::ast::TableSampleKind::AfterTableAlias(s)) = sample;
        if s.bucket.is_some() || s.offset.is_some() {
            return Err(foreign(Foreign::Sample));
        }
        if let Some(q) = &s.quantity {
            self.walk_expr(&q.value)?;
        }
        Ok(())
    }

    /// A function in `FROM`.
    fn table_function(&mut self, name: &ObjectName, args: &[FunctionArg]) -> Judged {
        let called = self.function_name(name)?;
        if !functions::table_allowed(self.dialect(), &called)
            && !self.configured_function(name, &called)
        {
            return Err(Refusal::UnknownFunction {
                name: name.to_string(),
                dialect: self.dialect(),
            });
        }
        self.series(&called, args.iter().map(bounds::argument));
        // Read as rows, a call is judged as in an expression
        // (`string_to_table(body, <delimiter>)`, `regexp_matches(…)`).
        let searched = bounds::judge_call(self.dialect(), &called, args)?;
        let searched = searched.saturating_mul(self.searched_copies(&called, args));
        bounds::add_needles(self.dialect(), &mut self.needles, searched)?;
        for arg in args {
            self.walk_function_arg(arg)?;
        }
        Ok(())
    }

    /// The identifier as the database reads it, by the database's own rule
    /// ([`Dialect::fold_unquoted`]): unquoted names fold to the dialect's
    /// case, ASCII letters only; a quoted one is exact, except in SQLite,
    /// which ignores ASCII case in every name. Every comparison of names in
    /// the walk goes through here, so that a name the database reads as
    /// another one can never be taken for it.
    fn fold(&self, ident: &Ident) -> String {
        match (ident.quote_style, self.dialect()) {
            (Some(_), Dialect::Sqlite) | (None, _) => self.dialect().fold_unquoted(&ident.value),
            (Some(_), _) => ident.value.clone(),
        }
    }

    /// The folded name in ASCII upper case, as the built-in lists spell
    /// names. Matching the lists ignoring case refuses more, never less.
    fn upper(&self, ident: &Ident) -> String {
        self.fold(ident).to_ascii_uppercase()
    }

    fn parts(&self, name: &ObjectName) -> Result<Vec<Ident>, Refusal> {
        name.0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) if ident.value.contains('@') => {
                    Err(Refusal::DatabaseLink(name.to_string()))
                }
                ObjectNamePart::Identifier(ident) => Ok(ident.clone()),
                ObjectNamePart::Function(_) => {
                    Err(unverifiable(Unreadable::ComputedName(name.to_string())))
                }
            })
            .collect()
    }

    /// A called name, unqualified and in the case the allow-list uses;
    /// refused when qualified (a package, another schema's function: run
    /// with its owner's rights) unless configured.
    fn function_name(&self, name: &ObjectName) -> Result<String, Refusal> {
        let parts = self.parts(name)?;
        let upper: Vec<String> = parts.iter().map(|p| self.upper(p)).collect();
        if denied(&self.policy.denied_functions, &upper) {
            return Err(Refusal::DeniedFunction(name.to_string()));
        }
        if upper
            .last()
            .is_some_and(|l| l == "NEXTVAL" || l == "SETVAL")
        {
            return Err(Refusal::Sequence(name.to_string()));
        }
        match parts.as_slice() {
            [one] => {
                // A quoted name the database would not fold to the listed
                // spelling is another function (`"Lower"` is not lower).
                let folded = self.fold(one);
                let canonical = folded.is_ascii()
                    && match self.dialect() {
                        Dialect::Postgres => folded == folded.to_ascii_lowercase(),
                        Dialect::Oracle => folded == folded.to_ascii_uppercase(),
                        Dialect::Sqlite => true,
                    };
                if !canonical {
                    return Err(Refusal::UnknownFunction {
                        name: name.to_string(),
                        dialect: self.dialect(),
                    });
                }
                Ok(folded.to_ascii_lowercase())
            }
            _ => {
                if self.configured_function(name, "") {
                    return Ok(parts
                        .iter()
                        .map(|p| self.fold(p).to_ascii_lowercase())
                        .collect::<Vec<_>>()
                        .join("."));
                }
                if parts.len() >= 2 && !self.schema_allowed(&parts[0]) {
                    return Err(Refusal::FunctionSchemaNotAllowed {
                        function: name.to_string(),
                        schema: upper[0].clone(),
                    });
                }
                Err(Refusal::UnknownFunction {
                    name: name.to_string(),
                    dialect: self.dialect(),
                })
            }
        }
    }

    /// Whether `sql.allowed_functions` names this function (`called` is its
    /// unqualified folded name, or empty for a qualified one). A configured
    /// name is read as if written without quotes; the called one as the
    /// database reads it, part by part.
    fn configured_function(&self, name: &ObjectName, called: &str) -> bool {
        let Ok(parts) = self.parts(name) else {
            return false;
        };
        let written: Vec<String> = parts.iter().map(|p| self.fold(p)).collect();
        self.policy.allowed_functions.iter().any(|f| {
            let configured: Vec<String> = f
                .split('.')
                .map(|p| self.dialect().fold_unquoted(p))
                .collect();
            configured == written
                || (!called.is_empty()
                    && configured.len() == 1
                    && configured[0].eq_ignore_ascii_case(called))
        })
    }

    /// Whether a schema part is one of the allowed schemas, compared as the
    /// database reads both: a configured name as if written unquoted (the
    /// executors read it so: PostgreSQL's search path, Oracle's owners), the
    /// written one folded by the dialect's rule (the database resolves
    /// `"Crm"` and `CRM` to different schemas).
    fn schema_allowed(&self, ident: &Ident) -> bool {
        // With no schema named, the one unqualified names resolve in may be
        // written too: PostgreSQL's `public` (the search path then), SQLite's
        // `main` (the file itself).
        let default = match self.dialect() {
            Dialect::Postgres => Some("public"),
            Dialect::Sqlite => Some("main"),
            Dialect::Oracle => None,
        };
        if self.policy.allowed_schemas.is_empty() && default.is_some_and(|d| self.fold(ident) == d)
        {
            return true;
        }
        let written = self.fold(ident);
        self.policy
            .allowed_schemas
            .iter()
            .any(|s| self.dialect().fold_unquoted(s) == written)
    }

    /// The copies one row of the CTE `name` holds, when one is in scope
    /// (the innermost of that name).
    fn cte_in_scope(&self, name: &str) -> Option<u64> {
        self.scopes.iter().rev().find_map(|scope| {
            scope
                .ctes
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, copies)| *copies)
        })
    }

    /// A relation in `FROM`: a CTE in scope, or an object of the target.
    fn relation(&mut self, name: &ObjectName, alias: Option<&TableAlias>) -> Judged {
        let parts = self.parts(name)?;
        let shown = name.to_string();
        if let [one] = parts.as_slice()
            && let Some(copies) = self.cte_in_scope(&self.fold(one))
        {
            self.read_rows(copies);
            return Ok(());
        }
        match self.catalog {
            Some(catalog) => self.resolve(catalog, &parts, &shown)?,
            None => self.judge_by_name(&parts, &shown, alias)?,
        }
        if let Some(last) = parts.last() {
            let folded = self.fold(last);
            self.names.relations.insert(folded);
        }
        self.objects.push(shown);
        Ok(())
    }

    /// With the live catalogue: the name must be one of its tables or views,
    /// as the database resolves it.
    fn resolve(&self, catalog: &Catalog, parts: &[Ident], shown: &str) -> Judged {
        let dialect = self.dialect();
        let same = |written: &str, stored: &str| match dialect {
            Dialect::Sqlite => written.eq_ignore_ascii_case(stored),
            _ => written == stored,
        };
        let found = match parts {
            [table] => {
                let table = self.fold(table);
                // Oracle's one-row DUAL, reached through its public synonym.
                if dialect == Dialect::Oracle && table == "DUAL" {
                    return Ok(());
                }
                // PostgreSQL searches pg_catalog before the search path: a
                // business table named pg_… is not what an unqualified
                // name reaches.
                if dialect == Dialect::Postgres && table.starts_with("pg_") {
                    false
                } else {
                    catalog.tables.iter().any(|t| {
                        same(&table, &t.name)
                            && match dialect {
                                // Oracle: the account's own schema; a public
                                // synonym cannot be verified.
                                Dialect::Oracle => t.schema.is_none(),
                                // The search path is the allowed schemas.
                                Dialect::Postgres | Dialect::Sqlite => true,
                            }
                    })
                }
            }
            [schema, table] => {
                if !self.schema_allowed(schema) {
                    return Err(Refusal::SchemaNotAllowed {
                        object: shown.to_owned(),
                        schema: self.upper(schema),
                    });
                }
                let schema = self.fold(schema);
                let table = self.fold(table);
                catalog.tables.iter().any(|t| {
                    same(&table, &t.name)
                        && match &t.schema {
                            Some(s) => same(&schema, s),
                            None => match dialect {
                                Dialect::Postgres => schema == "public",
                                Dialect::Sqlite => schema == "main",
                                Dialect::Oracle => false,
                            },
                        }
                })
            }
            _ => {
                return Err(Refusal::SchemaNotAllowed {
                    schema: parts[..parts.len() - 1]
                        .iter()
                        .map(|p| self.upper(p))
                        .collect::<Vec<_>>()
                        .join("."),
                    object: shown.to_owned(),
                });
            }
        };
        if found {
            Ok(())
        } else {
            Err(Refusal::NotInCatalog(shown.to_owned()))
        }
    }

    /// Without a catalogue: not the dictionary, in an allowed schema, and a
    /// plain name (a keyword in the place of a name is a form the parser
    /// misread: `FROM ONLY pg_authid` parses as a table ONLY aliased
    /// pg_authid).
    fn judge_by_name(&self, parts: &[Ident], shown: &str, alias: Option<&TableAlias>) -> Judged {
        let upper: Vec<String> = parts.iter().map(|p| self.upper(p)).collect();
        if denied_object(&self.policy.denied_objects, &upper) {
            return Err(Refusal::DeniedObject(shown.to_owned()));
        }
        // SQLite's system tables exist in every attached schema:
        // `main.sqlite_master` is the same as `sqlite_master`.
        if self.dialect() == Dialect::Sqlite
            && upper.len() > 1
            && denied_object(&self.policy.denied_objects, &upper[upper.len() - 1..])
        {
            return Err(Refusal::DeniedObject(shown.to_owned()));
        }
        if let Some(alias) = alias
            && denied_object(&self.policy.denied_objects, &[self.upper(&alias.name)])
        {
            return Err(unverifiable(Unreadable::KeywordAlias {
                before: shown.to_string(),
                alias: alias.name.to_string(),
            }));
        }
        const NOT_NAMES: &[&str] = &[
            "ONLY",
            "LATERAL",
            "TABLE",
            "CONTAINERS",
            "SHARDS",
            "THE",
            "CURSOR",
            "MULTISET",
            "UNNEST",
            "ROWS",
            "VALUES",
            "XMLTABLE",
            "JSON_TABLE",
            "EXTERNAL",
            "SELECT",
        ];
        if let [one] = parts
            && one.quote_style.is_none()
            && NOT_NAMES.contains(&self.upper(one).as_str())
        {
            return Err(unverifiable(Unreadable::KeywordAsTable(shown.to_string())));
        }
        match parts {
            [_] => Ok(()),
            [schema, _] => {
                if self.schema_allowed(schema) {
                    Ok(())
                } else {
                    Err(Refusal::SchemaNotAllowed {
                        object: shown.to_owned(),
                        schema: upper[0].clone(),
                    })
                }
            }
            _ => Err(Refusal::SchemaNotAllowed {
                schema: upper[..upper.len() - 1].join("."),
                object: shown.to_owned(),
            }),
        }
    }

    /// Whether `qualifier` (a column's qualifier, upper case) names a
    /// relation of a query in scope.
    /// Whether `qualifier` (folded) names a relation of a query in scope
    /// whose columns may include `column`.
    /// The relation in scope that `qualifier` names and whose columns may
    /// include `column`; whether its columns are known (`Some(true)`).
    fn relation_named(&self, qualifier: &[String], column: &str) -> Option<bool> {
        self.scopes[self.barrier.min(self.scopes.len())..]
            .iter()
            .flat_map(|scope| &scope.relations)
            .filter(|r| r.name.as_slice() == qualifier)
            .find_map(|r| match &r.columns {
                Some(columns) => columns.iter().any(|c| c == column).then_some(true),
                None => Some(false),
            })
    }

    fn walk_exprs(&mut self, exprs: &[Expr]) -> Judged {
        for e in exprs {
            self.walk_expr(e)?;
        }
        Ok(())
    }

    fn walk_expr(&mut self, expr: &Expr) -> Judged {
        self.deeper()?;
        if self.expr_depth == 0 {
            let bag = copies::of(expr);
            self.select_peak = self.select_peak.max(bag.peak());
            // Everything a row computes lives until the row is done.
            self.select_working = self.select_working.saturating_add(bag.working());
            self.select_reads = self.select_reads.saturating_add(bag.reads());
            self.select_rebuilds = self.select_rebuilds.saturating_add(copies::rebuilds(expr));
        }
        self.expr_depth += 1;
        let result = self.expr(expr);
        self.expr_depth -= 1;
        self.depth -= 1;
        result
    }

    fn expr(&mut self, expr: &Expr) -> Judged {
        // PostgreSQL turns a SIMILAR TO pattern into a regular expression
        // (`%` into `.*`, `_` into `.`) and compiles it as `~` would, at
        // the offer's EXPLAIN too.
        if let Expr::SimilarTo { pattern, .. } = expr {
            bounds::regex(self.dialect(), "SIMILAR TO", Some(pattern))?;
        }
        match expr {
            Expr::Identifier(ident) => {
                if ident.value.contains('@') {
                    return Err(Refusal::DatabaseLink(ident.value.clone()));
                }
                self.bare_name(ident)
            }
            Expr::CompoundIdentifier(idents) => self.column_reference(idents),
            Expr::CompoundFieldAccess { root, access_chain } => {
                // `(row).field` and `array[1]`; never a method call on a
                // function's result (`httpuritype(…).getclob()`).
                if matches!(root.as_ref(), Expr::Function(_)) {
                    return Err(unverifiable(Unreadable::MethodCall(root.to_string())));
                }
                self.walk_expr(root)?;
                for access in access_chain {
                    match access {
                        // PostgreSQL reads `(x).name` as `name(x)` when x
                        // has no such field: a function call in disguise.
                        AccessExpr::Dot(other) => {
                            return Err(unverifiable(Unreadable::Access(other.to_string())));
                        }
                        AccessExpr::Subscript(Subscript::Index { index }) => {
                            self.walk_expr(index)?
                        }
                        AccessExpr::Subscript(Subscript::Slice {
                            lower_bound,
                            upper_bound,
                            stride,
                        }) => {
                            for e in [lower_bound, upper_bound, stride].into_iter().flatten() {
                                self.walk_expr(e)?;
                            }
                        }
                    }
                }
                Ok(())
            }
            Expr::IsFalse(e)
            | Expr::IsNotFalse(e)
            | Expr::IsTrue(e)
            | Expr::IsNotTrue(e)
            | Expr::IsNull(e)
            | Expr::IsNotNull(e)
            | Expr::IsUnknown(e)
            | Expr::IsNotUnknown(e)
            | Expr::Nested(e)
            | Expr::OuterJoin(e)
            | Expr::Prior(e) => self.walk_expr(e),
            Expr::IsJson { expr, .. } | Expr::IsNormalized { expr, .. } => self.walk_expr(expr),
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                self.walk_expr(a)?;
                self.walk_expr(b)
            }
            Expr::InList { expr, list, .. } => {
                self.walk_expr(expr)?;
                self.walk_exprs(list)
            }
            Expr::InSubquery { expr, subquery, .. } => {
                self.tests_subqueries = true;
                self.walk_expr(expr)?;
                self.walk_query(subquery)
            }
            Expr::InUnnest {
                expr, array_expr, ..
            } => {
                self.walk_expr(expr)?;
                self.walk_expr(array_expr)
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                self.walk_expr(expr)?;
                self.walk_expr(low)?;
                self.walk_expr(high)
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::AtAt,
                right,
            } => {
                // A text search (`to_tsvector('french', nom) @@
                // plainto_tsquery('french', 'facture')`): on PostgreSQL only,
                // and only against a query built by a text-search call, so
                // that `@@` is never the JSON path match (a path is a small
                // language of its own, with regular expressions).
                if self.dialect() != Dialect::Postgres || !builds_tsquery(right) {
                    return Err(unverifiable(Unreadable::FullTextSearch));
                }
                self.walk_expr(left)?;
                self.walk_expr(right)
            }
            Expr::BinaryOp { left, op, right } => {
                Self::operator(op)?;
                if *op == BinaryOperator::Glob {
                    self.search_pattern("GLOB", right, left)?;
                }
                if matches!(
                    op,
                    BinaryOperator::PGRegexMatch
                        | BinaryOperator::PGRegexIMatch
                        | BinaryOperator::PGRegexNotMatch
                        | BinaryOperator::PGRegexNotIMatch
                ) {
                    bounds::regex(self.dialect(), &op.to_string(), Some(right))?;
                }
                if matches!(
                    op,
                    BinaryOperator::PGLikeMatch
                        | BinaryOperator::PGILikeMatch
                        | BinaryOperator::PGNotLikeMatch
                        | BinaryOperator::PGNotILikeMatch
                ) {
                    self.search_pattern("LIKE", right, left)?;
                }
                self.walk_expr(left)?;
                self.walk_expr(right)
            }
            Expr::Like {
                expr,
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                expr,
                pattern,
                escape_char,
                ..
            }
            | Expr::SimilarTo {
                expr,
                pattern,
                escape_char,
                ..
            } => {
                self.search_pattern("LIKE", pattern, expr)?;
                self.walk_expr(expr)?;
                self.walk_expr(pattern)?;
                if let Some(e) = escape_char {
                    self.walk_expr(e)?;
                }
                Ok(())
            }
            // `REGEXP` calls the application's regexp() in SQLite, and
            // `RLIKE` is MySQL's.
            Expr::RLike { .. } => Err(construct("REGEXP / RLIKE")),
            Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | Expr::AllOp {
                left,
                compare_op,
                right,
            } => {
                Self::operator(compare_op)?;
                if matches!(right.as_ref(), Expr::Subquery(_)) {
                    self.tests_subqueries = true;
                }
                // `~ ANY (ARRAY[…])`: each pattern judged as `~` judges one;
                // a list read from rows may hold any.
                if matches!(
                    compare_op,
                    BinaryOperator::PGRegexMatch
                        | BinaryOperator::PGRegexIMatch
                        | BinaryOperator::PGRegexNotMatch
                        | BinaryOperator::PGRegexNotIMatch
                ) {
                    let operator = compare_op.to_string();
                    match unnested(right) {
                        Expr::Array(array) => {
                            for pattern in &array.elem {
                                bounds::regex(self.dialect(), &operator, Some(pattern))?;
                            }
                        }
                        other => bounds::regex(self.dialect(), &operator, Some(other))?,
                    }
                }
                self.walk_expr(left)?;
                self.walk_expr(right)
            }
            Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Plus
                | UnaryOperator::Minus
                | UnaryOperator::Not
                | UnaryOperator::BitwiseNot
                | UnaryOperator::PGAbs
                | UnaryOperator::PGSquareRoot
                | UnaryOperator::PGCubeRoot
                | UnaryOperator::PGPostfixFactorial
                | UnaryOperator::PGPrefixFactorial => self.walk_expr(expr),
                UnaryOperator::AtDashAt
                | UnaryOperator::BangNot
                | UnaryOperator::DoubleAt
                | UnaryOperator::Hash
                | UnaryOperator::QuestionDash
                | UnaryOperator::QuestionPipe => {
                    Err(unverifiable(Unreadable::Operator(op.to_string())))
                }
            },
            Expr::Cast {
                kind: _,
                expr,
                data_type,
                format,
            } => {
                Self::data_type(data_type)?;
                if !bounds::is_text_type(data_type) {
                    self.parses(expr);
                }
                if let Some(format) = format {
                    match format {
                        sqlparser::ast::CastFormat::Value(v) => Self::literal(&v.value)?,
                        sqlparser::ast::CastFormat::ValueAtTimeZone(a, b) => {
                            Self::literal(&a.value)?;
                            Self::literal(&b.value)?;
                        }
                    }
                }
                self.walk_expr(expr)
            }
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                self.parses(time_zone);
                self.walk_expr(timestamp)?;
                self.walk_expr(time_zone)
            }
            Expr::Extract { expr, .. } => self.walk_expr(expr),
            Expr::Ceil { expr, field } | Expr::Floor { expr, field } => {
                if let CeilFloorKind::Scale(v) = field {
                    Self::literal(&v.value)?;
                }
                self.walk_expr(expr)
            }
            Expr::Position { expr, r#in } => {
                let searched = bounds::judge_position(self.dialect(), expr)?
                    .saturating_mul(self.copies_of(r#in));
                bounds::add_needles(self.dialect(), &mut self.needles, searched)?;
                self.walk_expr(expr)?;
                self.walk_expr(r#in)
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                // PostgreSQL reads a text where the start should be as a
                // regular expression (`substring(x FROM '^(a*)\1$')`, or
                // `substring(x, …)`), folded by the planner at the offer:
                // judged as `~` judges its pattern.
                if self.dialect() == Dialect::Postgres
                    && let Some(from) = substring_from
                    && !positional(from)
                {
                    bounds::regex(self.dialect(), "substring", Some(from))?;
                }
                self.walk_expr(expr)?;
                for e in [substring_from, substring_for].into_iter().flatten() {
                    self.walk_expr(e)?;
                }
                Ok(())
            }
            Expr::Trim {
                expr,
                trim_what,
                trim_characters,
                ..
            } => {
                self.walk_expr(expr)?;
                if let Some(e) = trim_what {
                    self.search_pattern("TRIM", e, expr)?;
                    self.walk_expr(e)?;
                }
                if let Some(chars) = trim_characters {
                    for e in chars {
                        self.search_pattern("TRIM", e, expr)?;
                    }
                    self.walk_exprs(chars)?;
                }
                Ok(())
            }
            Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                self.walk_expr(expr)?;
                self.walk_expr(overlay_what)?;
                self.walk_expr(overlay_from)?;
                if let Some(e) = overlay_for {
                    self.walk_expr(e)?;
                }
                Ok(())
            }
            Expr::Collate { expr, collation } => {
                // A collation of another schema: whether the schema exists
                // shows in the planner's error, at the offer already.
                if collation.0.len() != 1 {
                    return Err(unverifiable(Unreadable::QualifiedSetting(
                        collation.to_string(),
                    )));
                }
                self.walk_expr(expr)
            }
            Expr::Value(v) => Self::literal(&v.value),
            Expr::TypedString(typed) => {
                Self::data_type(&typed.data_type)?;
                if typed.uses_odbc_syntax {
                    return Err(construct("{d …} / {ts …}"));
                }
                Self::literal(&typed.value.value)
            }
            Expr::Function(function) => self.function(function),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(e) = operand {
                    self.walk_expr(e)?;
                }
                for CaseWhen { condition, result } in conditions {
                    self.walk_expr(condition)?;
                    self.walk_expr(result)?;
                }
                if let Some(e) = else_result {
                    self.walk_expr(e)?;
                }
                Ok(())
            }
            Expr::Exists { subquery, .. } => {
                self.tests_subqueries = true;
                self.walk_query(subquery)
            }
            Expr::Subquery(subquery) => self.walk_query(subquery),
            Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                for set in sets {
                    self.walk_exprs(set)?;
                }
                Ok(())
            }
            Expr::Tuple(exprs) => self.walk_exprs(exprs),
            Expr::Array(array) => self.walk_exprs(&array.elem),
            Expr::Interval(interval) => self.walk_expr(&interval.value),
            Expr::Wildcard(_) | Expr::QualifiedWildcard(..) => {
                self.names.wildcard = true;
                Ok(())
            }
            Expr::JsonAccess { .. }
            | Expr::Convert { .. }
            | Expr::Prefixed { .. }
            | Expr::Struct { .. }
            | Expr::Named { .. }
            | Expr::Dictionary(_)
            | Expr::Map(_)
            | Expr::MatchAgainst { .. }
            | Expr::Lambda(_)
            | Expr::MemberOf(_) => Err(foreign(Foreign::Expression(short(expr)))),
        }
    }

    /// How many copies of one value read a searched text holds, at least
    /// one: a search costs up to the text's length times what it looks for,
    /// so what it looks for counts once for each copy (`(x || x || x || x ||
    /// x || x) LIKE '%<254 characters>%'` over a 10 MB document took 22 s).
    /// A name may carry copies made in a CTE or a subquery (`x || x AS y`,
    /// then `y || y`): the text counts as many as any row read so far holds.
    fn copies_of(&self, text: &Expr) -> usize {
        let held = copies::of(text).most().0.max(1);
        usize::try_from(held.saturating_mul(self.read_copies)).unwrap_or(usize::MAX)
    }

    /// [`Self::copies_of`] the text a call searches: its first argument, or
    /// the second of SQLite's `like(pattern, text)` and `glob(pattern,
    /// text)`.
    fn searched_copies(&self, called: &str, args: &[FunctionArg]) -> usize {
        let text = match called {
            "like" | "glob" if self.dialect() == Dialect::Sqlite => args.get(1),
            _ => args.first(),
        };
        text.and_then(bounds::argument)
            .map_or(1, |text| self.copies_of(text))
    }

    /// PostgreSQL's text-search calls read a text written first as the name
    /// of a configuration (`to_tsvector('french', nom)`): one name alone,
    /// found on the search path. `'hr.cfg'` would name a schema, and the
    /// planner's error would say whether it exists, at the offer's EXPLAIN;
    /// anything but a name written out (a number, `id + 3747`, a column,
    /// a text of digits alone, `'39258'`) is read as the configuration's
    /// number, which picks one of any schema, and the error on a number
    /// that is none tells which are.
    fn text_search_configuration(&self, called: &str, args: &[FunctionArg]) -> Judged {
        let configured = matches!(
            called,
            "to_tsvector"
                | "to_tsquery"
                | "plainto_tsquery"
                | "phraseto_tsquery"
                | "websearch_to_tsquery"
        );
        if self.dialect() != Dialect::Postgres || !configured || args.len() < 2 {
            return Ok(());
        }
        let first = args.first().and_then(bounds::argument);
        match first {
            Some(Expr::Value(v)) => match &v.value {
                Value::SingleQuotedString(name)
                    if name.len() <= 63
                        && name
                            .bytes()
                            .next()
                            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
                {
                    Ok(())
                }
                Value::SingleQuotedString(name) => Err(unverifiable(Unreadable::QualifiedSetting(
                    format!("'{name}'"),
                ))),
                _ => Err(unverifiable(Unreadable::QualifiedSetting(v.to_string()))),
            },
            other => Err(unverifiable(Unreadable::QualifiedSetting(
                other.map_or_else(|| called.to_owned(), short),
            ))),
        }
    }

    /// A row of a subquery, a CTE or a set operation's operand may be kept
    /// whole (the inner side of a hash join, a hashed `NOT IN` or
    /// `INTERSECT`, a gathering): on PostgreSQL, one that holds a value
    /// whose length its plan does not show ([`repeated_value`]) is noted
    /// for the executor, which refuses it when the plan keeps rows so
    /// (`Validated::repeats_unforeseen`). 119 rows of one key each holding
    /// `(SELECT max(k.val) FROM kv k)` (10 MB) took a backend to 1.2 GiB
    /// hashed for a join; a running `string_agg` of 8,500 notes, 1.9 GiB
    /// hashed for `NOT IN`. Joined instead (`CROSS JOIN (SELECT max(k.val)
    /// AS v FROM kv k) m`), the value is weighed.
    fn kept_rows(&mut self, item: &Expr) {
        if self.dialect() == Dialect::Postgres && self.repeats_unforeseen.is_none() {
            self.repeats_unforeseen = repeated_value(item, true);
        }
    }

    /// PostgreSQL's and Oracle's formatting calls (`to_char(x, fmt)`,
    /// `to_number`, `to_date`, `to_timestamp`) read a format written out:
    /// one read from the data may be as long as a document, and the server
    /// takes some 27 times its length to read it, held until the row is done
    /// (twelve `to_char(1, kv.val)` of a 10 MB value took a backend to
    /// 1.2 GiB).
    fn written_format(&self, called: &str, args: &[FunctionArg]) -> Judged {
        let formats = matches!(
            called,
            "to_char" | "to_number" | "to_date" | "to_timestamp" | "to_timestamp_tz"
        );
        if self.dialect() == Dialect::Sqlite || !formats || args.len() < 2 {
            return Ok(());
        }
        written_text(called, args.get(1)).map_err(|format| {
            Refusal::TooLarge(Excess::ComputedFormat {
                function: called.to_owned(),
                format,
            })
        })
    }

    /// PostgreSQL's text-search query builders parse the query in one call
    /// that no deadline interrupts, in a time that grows faster than its
    /// length (`plainto_tsquery('simple', readings)` of a 1 MB value ran
    /// 15.7 s against a 10 s deadline, helper-43): the query is written out,
    /// as a person asks it.
    fn written_query(called: &str, args: &[FunctionArg]) -> Judged {
        let builds_query = matches!(
            called,
            "to_tsquery" | "plainto_tsquery" | "phraseto_tsquery" | "websearch_to_tsquery"
        );
        if !builds_query {
            return Ok(());
        }
        written_text(called, args.last()).map_err(|query| {
            Refusal::TooLarge(Excess::ComputedQuery {
                function: called.to_owned(),
                query,
            })
        })
    }

    /// PostgreSQL rounds to as many decimal places as asked, up to 16,383
    /// (`round(x, 16000)::text` writes 16,002 characters for any number, ten
    /// bytes stored): a rounding's places are written out, at most
    /// [`bounds::MAX_ROUNDING_SCALE`], so that what a row writes stays what the plan
    /// says (gathered, 640 MB took a backend to 1.2 GiB).
    fn rounding_scale(&self, called: &str, args: &[FunctionArg]) -> Judged {
        if self.dialect() != Dialect::Postgres
            || !matches!(called, "round" | "trunc")
            || args.len() < 2
        {
            return Ok(());
        }
        let scale = args
            .get(1)
            .and_then(bounds::argument)
            .and_then(bounds::integer);
        match scale {
            Some(scale) if scale <= bounds::MAX_ROUNDING_SCALE => Ok(()),
            scale => Err(Refusal::TooLarge(Excess::RoundingScale {
                function: called.to_owned(),
                scale,
                max: bounds::MAX_ROUNDING_SCALE,
            })),
        }
    }

    /// A `LIKE`, `GLOB` or `TRIM` pattern applied to `text`, counted
    /// against the statement's searches (see [`bounds::MAX_NEEDLE_CHARS`],
    /// [`bounds::MAX_SEARCHED_CHARS`]) once for each copy of a value the
    /// text holds.
    fn search_pattern(&mut self, what: &str, pattern: &Expr, text: &Expr) -> Judged {
        let searched = bounds::judge_pattern(self.dialect(), what, pattern)?
            .saturating_mul(self.copies_of(text));
        bounds::add_needles(self.dialect(), &mut self.needles, searched)
    }

    /// A name alone is a column, except where the database calls a function
    /// written without parentheses: Oracle's DBMS_STANDARD event functions
    /// (`ora_database_name`, `login_user`, …) and PostgreSQL's SQL-standard
    /// session functions (`system_user`, `current_user`, …), which tell about
    /// the server and the session rather than the data.
    fn bare_name(&mut self, ident: &Ident) -> Judged {
        let folded = self.fold(ident);
        self.names.columns.insert(folded.clone());
        self.names.alone.insert(folded);
        if self.dialect() == Dialect::Oracle {
            let folded = self.fold(ident);
            self.bare.push(folded);
        }
        // A quoted name is a column, except where the database reads it as
        // the unquoted one: Oracle's `"USER"` is USER.
        let upper = self.upper(ident);
        if ident.quote_style.is_some()
            && (self.dialect() != Dialect::Oracle || self.fold(ident) != upper)
        {
            return Ok(());
        }
        let called = match self.dialect() {
            Dialect::Oracle => {
                upper.starts_with("ORA_")
                    || [
                        "LOGIN_USER",
                        "DATABASE_NAME",
                        "INSTANCE_NUM",
                        "SYSEVENT",
                        "DICTIONARY_OBJ_OWNER",
                        "DICTIONARY_OBJ_NAME",
                        "DICTIONARY_OBJ_TYPE",
                        "DES_ENCRYPTED_PASSWORD",
                        "CLIENT_IP_ADDRESS",
                        "SERVER_ERROR",
                        "IS_SERVERERROR",
                        "GRANTEE",
                        "REVOKEE",
                        "PRIVILEGE_LIST",
                        "SQL_TXT",
                        "USER",
                        "UID",
                        "SESSIONTIMEZONE",
                        "DBTIMEZONE",
                        "SDO_VERSION",
                    ]
                    .contains(&upper.as_str())
            }
            Dialect::Postgres => [
                "SYSTEM_USER",
                // System columns: object and transaction ids.
                "TABLEOID",
                "XMIN",
                "XMAX",
                "CMIN",
                "CMAX",
                "CTID",
                "SESSION_USER",
                "CURRENT_USER",
                "CURRENT_ROLE",
                "CURRENT_CATALOG",
                "CURRENT_SCHEMA",
                "USER",
            ]
            .contains(&upper.as_str()),
            Dialect::Sqlite => false,
        };
        if called {
            Err(Refusal::UnknownFunction {
                name: ident.value.clone(),
                dialect: self.dialect(),
            })
        } else {
            Ok(())
        }
    }

    /// `x.y` without parentheses: a column of a relation of the query. In
    /// Oracle it could also be a package function called without
    /// parentheses (`dbms_random.value`) or a sequence (`s.nextval`), so a
    /// qualifier that names no relation of the query is refused.
    fn column_reference(&mut self, idents: &[Ident]) -> Judged {
        let written = || {
            idents
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join(".")
        };
        if idents.iter().any(|i| i.value.contains('@')) {
            return Err(Refusal::DatabaseLink(written()));
        }
        if idents.last().is_some_and(|i| {
            let name = self.upper(i);
            name == "NEXTVAL" || name == "CURRVAL"
        }) {
            return Err(Refusal::Sequence(written()));
        }
        let upper: Vec<String> = idents.iter().map(|i| self.fold(i)).collect();
        self.names.columns.extend(upper.iter().cloned());
        // The whole qualifier: `t.col` or `schema.table.col`. A longer
        // chain after a table (`t.col.attr`) could as well be a package
        // function in Oracle's name resolution: not verifiable.
        let (qualifier, column) = upper.split_at(upper.len() - 1);
        let known = self.relation_named(qualifier, &column[0]);
        if known == Some(false) && self.dialect() == Dialect::Postgres {
            self.derived_columns.push(column[0].clone());
        }
        if known.is_some() {
            Ok(())
        } else {
            Err(unverifiable(Unreadable::NotATable(written())))
        }
    }

    fn function(&mut self, function: &Function) -> Judged {
        let Function {
            name,
            uses_odbc_syntax,
            parameters,
            args,
            within_group,
            filter,
            null_treatment: _,
            over,
        } = function;
        if *uses_odbc_syntax {
            return Err(construct("{fn …}"));
        }
        if !matches!(parameters, FunctionArguments::None) {
            return Err(construct("f(…)(…)"));
        }
        let called = self.function_name(name)?;
        if !functions::scalar_allowed(self.dialect(), &called)
            && !self.configured_function(name, &called)
        {
            return Err(Refusal::UnknownFunction {
                name: name.to_string(),
                dialect: self.dialect(),
            });
        }
        // ARRAY(SELECT …) gathers too, its subquery's rows.
        self.gathers |= bounds::gathers(&called);
        // An aggregate that keeps one of the values it is given, or
        // gathers them, holds in each group what it reads; a count or a
        // sum holds a number.
        let keeps = matches!(
            called.as_str(),
            "min" | "max" | "mode" | "percentile_disc" | "any_value" | "stats_mode"
        ) || bounds::gathers(&called);
        if keeps
            && over.is_none()
            && let FunctionArguments::List(list) = args
            && list
                .args
                .iter()
                .filter_map(bounds::argument)
                .any(|e| copies::of(e).most().0 > 0)
        {
            self.groups_hold_reads = true;
        }
        if bounds::gathers(&called)
            && self.dialect() != Dialect::Sqlite
            && let FunctionArguments::List(list) = args
        {
            for arg in list.args.iter().filter_map(bounds::argument) {
                if let Some(what) = repeated_value(arg, false) {
                    return Err(Refusal::TooLarge(Excess::RepeatedValue(what)));
                }
            }
        }
        if functions::parses_text(&called)
            && let FunctionArguments::List(list) = args
        {
            for arg in &list.args {
                match bounds::argument(arg) {
                    Some(e) => self.parses(e),
                    None => {
                        self.parsed.any = true;
                        self.parsed.unresolved = true;
                    }
                }
            }
        }
        match args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(q) => self.walk_query(q)?,
            FunctionArguments::List(list) => {
                self.series(&called, list.args.iter().map(bounds::argument));
                if bounds::gathers(&called) {
                    self.gathered_row_bytes = self
                        .gathered_row_bytes
                        .max(bounds::gathered_row_bytes(&list.args));
                    self.gathered_copies = self
                        .gathered_copies
                        .max(copies::of_arguments(&list.args).most().0);
                }
                // Named notation (`make_interval(days => 3)`) is read for
                // the functions that build a date or an interval from its
                // parts, where a name only says which part: the bounds on
                // what other functions build read arguments by position.
                let named = list.args.iter().any(|a| {
                    matches!(
                        a,
                        FunctionArg::Named {
                            operator: FunctionArgOperator::RightArrow,
                            ..
                        } | FunctionArg::ExprNamed {
                            operator: FunctionArgOperator::RightArrow,
                            ..
                        }
                    )
                });
                if named && !bounds::NAMED_PARTS.contains(&called.as_str()) {
                    return Err(unverifiable(Unreadable::NamedArguments(called.clone())));
                }
                self.text_search_configuration(&called, &list.args)?;
                self.written_format(&called, &list.args)?;
                Self::written_query(&called, &list.args)?;
                self.rounding_scale(&called, &list.args)?;
                let searched = bounds::judge_call(self.dialect(), &called, &list.args)?;
                let searched = searched.saturating_mul(self.searched_copies(&called, &list.args));
                bounds::add_needles(self.dialect(), &mut self.needles, searched)?;
                for (i, arg) in list.args.iter().enumerate() {
                    // XMLELEMENT's first argument names the element.
                    if i == 0
                        && called == "xmlelement"
                        && matches!(
                            arg,
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(_)))
                        )
                    {
                        continue;
                    }
                    self.walk_function_arg(arg)?;
                }
                for clause in &list.clauses {
                    match clause {
                        FunctionArgumentClause::IgnoreOrRespectNulls(_)
                        | FunctionArgumentClause::Separator(_)
                        | FunctionArgumentClause::JsonNullClause(_) => {}
                        FunctionArgumentClause::JsonReturningClause(returning) => {
                            Self::data_type(&returning.data_type)?
                        }
                        FunctionArgumentClause::OrderBy(exprs) => self.walk_order_by(exprs)?,
                        FunctionArgumentClause::Limit(e) => self.walk_expr(e)?,
                        FunctionArgumentClause::OnOverflow(ListAggOnOverflow::Error) => {}
                        FunctionArgumentClause::OnOverflow(ListAggOnOverflow::Truncate {
                            filler,
                            ..
                        }) => {
                            if let Some(e) = filler {
                                self.walk_expr(e)?;
                            }
                        }
                        FunctionArgumentClause::Where(_) | FunctionArgumentClause::Having(_) => {
                            return Err(foreign(Foreign::ClauseIn(name.to_string())));
                        }
                    }
                }
            }
        }
        self.walk_order_by(within_group)?;
        if let Some(e) = filter {
            self.walk_expr(e)?;
        }
        match over {
            None | Some(WindowType::NamedWindow(_)) => Ok(()),
            Some(WindowType::WindowSpec(spec)) => self.walk_window_spec(spec),
        }
    }

    fn walk_function_arg(&mut self, arg: &FunctionArg) -> Judged {
        let arg = match arg {
            FunctionArg::Named { arg, .. } => arg,
            FunctionArg::ExprNamed { name, arg, .. } => {
                self.walk_expr(name)?;
                arg
            }
            FunctionArg::Unnamed(arg) => arg,
        };
        match arg {
            FunctionArgExpr::Expr(e) => self.walk_expr(e),
            // `count(*)` reads no value; `json_agg(t.*)` reads whole rows.
            FunctionArgExpr::Wildcard => Ok(()),
            FunctionArgExpr::QualifiedWildcard(_) => {
                self.names.wildcard = true;
                Ok(())
            }
            FunctionArgExpr::WildcardWithOptions(_) => {
                Err(construct("* EXCEPT / REPLACE (…) in a function"))
            }
        }
    }

    fn walk_window_spec(&mut self, spec: &WindowSpec) -> Judged {
        self.walk_exprs(&spec.partition_by)?;
        self.walk_order_by(&spec.order_by)?;
        if let Some(frame) = &spec.window_frame {
            for bound in std::iter::once(&frame.start_bound).chain(frame.end_bound.as_ref()) {
                match bound {
                    WindowFrameBound::CurrentRow
                    | WindowFrameBound::Preceding(None)
                    | WindowFrameBound::Following(None) => {}
                    WindowFrameBound::Preceding(Some(e)) | WindowFrameBound::Following(Some(e)) => {
                        self.walk_expr(e)?
                    }
                }
            }
        }
        Ok(())
    }

    fn operator(op: &BinaryOperator) -> Judged {
        match op {
            BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::StringConcat
            | BinaryOperator::Gt
            | BinaryOperator::Lt
            | BinaryOperator::GtEq
            | BinaryOperator::LtEq
            | BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::And
            | BinaryOperator::Or
            | BinaryOperator::Xor
            | BinaryOperator::BitwiseOr
            | BinaryOperator::BitwiseAnd
            | BinaryOperator::BitwiseXor
            | BinaryOperator::PGBitwiseXor
            | BinaryOperator::PGBitwiseShiftLeft
            | BinaryOperator::PGBitwiseShiftRight
            | BinaryOperator::PGExp
            | BinaryOperator::PGOverlap
            | BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch
            | BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch
            | BinaryOperator::PGStartsWith
            | BinaryOperator::Arrow
            | BinaryOperator::LongArrow
            | BinaryOperator::HashArrow
            | BinaryOperator::HashLongArrow
            | BinaryOperator::AtArrow
            | BinaryOperator::ArrowAt
            | BinaryOperator::HashMinus
            | BinaryOperator::Question
            | BinaryOperator::QuestionAnd
            | BinaryOperator::QuestionPipe
            | BinaryOperator::Overlaps
            | BinaryOperator::Glob => Ok(()),
            // OPERATOR(schema.op) and user-defined operators run whatever
            // function they were defined with; SQLite runs REGEXP and MATCH
            // as the application's functions regexp() and match().
            BinaryOperator::Regexp
            | BinaryOperator::Match
            | BinaryOperator::Custom(_)
            | BinaryOperator::PGCustomBinaryOperator(_)
            | BinaryOperator::Spaceship
            | BinaryOperator::DuckIntegerDivide
            | BinaryOperator::MyIntegerDivide
            | BinaryOperator::AtAt
            | BinaryOperator::AtQuestion
            | BinaryOperator::DoubleHash
            | BinaryOperator::LtDashGt
            | BinaryOperator::AndLt
            | BinaryOperator::AndGt
            | BinaryOperator::LtLtPipe
            | BinaryOperator::PipeGtGt
            | BinaryOperator::AndLtPipe
            | BinaryOperator::PipeAndGt
            | BinaryOperator::LtCaret
            | BinaryOperator::GtCaret
            | BinaryOperator::QuestionHash
            | BinaryOperator::QuestionDash
            | BinaryOperator::QuestionDashPipe
            | BinaryOperator::QuestionDoublePipe
            | BinaryOperator::At
            | BinaryOperator::TildeEq
            | BinaryOperator::Assignment => Err(unverifiable(Unreadable::Operator(op.to_string()))),
        }
    }

    /// Literals whose reading the checker and the database agree on.
    fn literal(value: &Value) -> Judged {
        match value {
            Value::Number(..)
            | Value::SingleQuotedString(_)
            | Value::NationalStringLiteral(_)
            | Value::QuoteDelimitedStringLiteral(_)
            | Value::NationalQuoteDelimitedStringLiteral(_)
            | Value::HexStringLiteral(_)
            | Value::DoubleQuotedString(_)
            | Value::Boolean(_)
            | Value::Null => Ok(()),
            Value::Placeholder(p) => Err(Refusal::Placeholder(p.clone())),
            Value::DollarQuotedString(_)
            | Value::TripleSingleQuotedString(_)
            | Value::TripleDoubleQuotedString(_)
            | Value::EscapedStringLiteral(_)
            | Value::UnicodeStringLiteral(_)
            | Value::SingleQuotedByteStringLiteral(_)
            | Value::DoubleQuotedByteStringLiteral(_)
            | Value::TripleSingleQuotedByteStringLiteral(_)
            | Value::TripleDoubleQuotedByteStringLiteral(_)
            | Value::SingleQuotedRawStringLiteral(_)
            | Value::DoubleQuotedRawStringLiteral(_)
            | Value::TripleSingleQuotedRawStringLiteral(_)
            | Value::TripleDoubleQuotedRawStringLiteral(_) => Err(foreign(Foreign::Literal)),
        }
    }

    /// Types a value may be cast to: the ordinary scalar types. Not
    /// `regclass`, `regproc` and the like (catalogue lookups by name), not
    /// XML (a parser that can fetch external entities), not types of
    /// extensions or of the company's schemas.
    fn data_type(data_type: &DataType) -> Judged {
        bounds::judge_padding(data_type)?;
        match data_type {
            DataType::Character(_)
            | DataType::Char(_)
            | DataType::CharacterVarying(_)
            | DataType::CharVarying(_)
            | DataType::Varchar(_)
            | DataType::Nvarchar(_)
            | DataType::Uuid
            | DataType::Clob(_)
            | DataType::Numeric(_)
            | DataType::Decimal(_)
            | DataType::Dec(_)
            | DataType::Float(_)
            | DataType::TinyInt(_)
            | DataType::SmallInt(_)
            | DataType::Int(_)
            | DataType::Int2(_)
            | DataType::Int4(_)
            | DataType::Int8(_)
            | DataType::Integer(_)
            | DataType::BigInt(_)
            | DataType::Float4
            | DataType::Float8
            | DataType::Real
            | DataType::Double(_)
            | DataType::DoublePrecision
            | DataType::Bool
            | DataType::Boolean
            | DataType::Date
            | DataType::Time(..)
            | DataType::Datetime(_)
            | DataType::Timestamp(..)
            | DataType::Interval { .. }
            | DataType::JSON
            | DataType::JSONB
            | DataType::Text
            | DataType::Bytea
            | DataType::Blob(_) => Ok(()),
            DataType::Array(sqlparser::ast::ArrayElemTypeDef::SquareBracket(inner, _))
            | DataType::Array(sqlparser::ast::ArrayElemTypeDef::AngleBracket(inner))
            | DataType::Array(sqlparser::ast::ArrayElemTypeDef::Parenthesis(inner)) => {
                Self::data_type(inner)
            }
            DataType::Custom(name, _) => {
                // Oracle's own scalar types, which sqlparser does not know.
                const ORACLE: &[&str] = &[
                    "VARCHAR2",
                    "NVARCHAR2",
                    "NUMBER",
                    "BINARY_FLOAT",
                    "BINARY_DOUBLE",
                    "NCHAR",
                    "NCLOB",
                    "RAW",
                    // PostgreSQL's.
                    "MONEY",
                ];
                let written = name.to_string().to_ascii_uppercase();
                if ORACLE.contains(&written.as_str()) {
                    Ok(())
                } else {
                    Err(unverifiable(Unreadable::CastTo(name.to_string())))
                }
            }
            other => Err(unverifiable(Unreadable::CastTo(other.to_string()))),
        }
    }
}

/// Whether `expr` is a call that builds a text-search query.
fn builds_tsquery(expr: &Expr) -> bool {
    let expr = match expr {
        Expr::Nested(e) => e,
        other => other,
    };
    bounds::called(expr).is_some_and(|name| {
        matches!(
            name.as_str(),
            "to_tsquery" | "plainto_tsquery" | "phraseto_tsquery" | "websearch_to_tsquery"
        )
    })
}

/// An expression, shortened for a message.
pub(super) fn short(expr: &Expr) -> String {
    let text = expr.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `expr` without the parentheses around it.
pub(super) fn unnested(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(e) => unnested(e),
        other => other,
    }
}

/// Whether an expression is a position in a text by its form (a number,
/// arithmetic, a length or a search's result), which `substring` reads as
/// where to start; anything else may be a text, which PostgreSQL reads as a
/// regular expression there.
fn positional(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(e) => positional(e),
        Expr::Value(v) => matches!(v.value, Value::Number(..)),
        Expr::UnaryOp { .. } | Expr::Position { .. } => true,
        Expr::BinaryOp { op, .. } => matches!(
            op,
            BinaryOperator::Plus
                | BinaryOperator::Minus
                | BinaryOperator::Multiply
                | BinaryOperator::Divide
                | BinaryOperator::Modulo
        ),
        Expr::Cast { data_type, .. } => bounds::integer_type(data_type),
        Expr::Function(_) => bounds::called(expr).is_some_and(|name| {
            matches!(
                name.as_str(),
                "strpos" | "length" | "char_length" | "character_length" | "octet_length"
            )
        }),
        _ => false,
    }
}
