//! How large the values a statement builds can be, followed through the
//! names that carry them.
//!
//! [`crate::sql::validate::bounds`] judges each call as written: a size written out, no
//! growth on growth. A value can still be built in steps that each look
//! small: a CTE column `repeat('x', 10000)`, concatenated with itself in
//! the next CTE, and so on (`s || s || …`, folded by the planner at the
//! offer's EXPLAIN already); a recursive CTE that doubles a text at each
//! step; a search whose needle is a CTE column built to 40,000 characters.
//! So every column a CTE, a subquery in `FROM` or a scalar subquery puts out
//! carries the most characters the statement can have built into it, and
//! every expression that builds (`||`, `concat`, `format`, `repeat`, the
//! paddings, a longer `replace`) is weighed with the columns it reads:
//! past [`MAX_BUILT_CHARS`] it is refused, whatever the steps.
//!
//! Columns are known by name across the whole statement, not by scope: a
//! name that a built column and a table's column share is weighed as the
//! built one (a refusal at worst, never a pass). Values read from the
//! database are data, not built: the statement cannot choose their size.
//! A recursive CTE's step may add to its own columns (a path that grows
//! by a name per level), but not use them twice in what it builds (`s ||
//! s` doubles at every step).
//!
//! Numbers are followed the same way, by their digits: PostgreSQL's
//! NUMERIC keeps every digit a statement writes (`1 + 1e-16383` has
//! 16,384), and a logarithm of such a number runs for seconds in one call
//! that no deadline interrupts, folded by the planner at the offer's
//! EXPLAIN already. A number written out (or a text written as one) brings its
//! digits, from its highest to its lowest; arithmetic adds its operands'
//! (a product's scale is the sum of theirs); a rounding to a scale brings
//! that scale. The logarithms, roots and powers of one statement may work
//! on at most [`MAX_NUMERIC_DIGITS`] digits the statement wrote, together.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArguments, ObjectNamePart, Query, SelectItem, SetExpr,
    TableAlias, TableFactor, Value, Visit, Visitor,
};

use crate::sql::Dialect;
use crate::sql::validate::bounds::{self, argument};
use crate::sql::validate::functions::spec;
use crate::sql::validate::syntax::parses;
use crate::sql::validate::{Excess, Refusal};

mod check;
mod measure;
mod numbers;
mod size;

use check::Check;
use measure::Sizes;
use size::{Carried, Size};

/// The largest exponent written out in a power.
const MAX_EXPONENT: u64 = 1_000;
/// Past this many rounds, names still growing are built in a loop.
const ROUNDS: usize = 16;
/// Sizes saturate here, far past any bound.
const HUGE: u64 = 1 << 40;
/// Copies of gathered values saturate here, past any bound: a count that
/// doubles at every round reaches it well within [`ROUNDS`].
const MAX_COPIES: u64 = 1 << 10;
/// The digits the statement wrote that its logarithms, roots and powers may
/// work on, together: a logarithm's time grows much faster than its
/// number's digits, and stays within milliseconds at 1,000.
pub const MAX_NUMERIC_DIGITS: u64 = 1_000;
/// What all the expressions of one statement may build together, on
/// PostgreSQL: the planner folds a call on values written out into its
/// result and writes it into the plan wherever it is used, so a value
/// pushed into many branches, or many casts to `char(10485760)`, make a
/// plan of hundreds of megabytes at the offer's EXPLAIN. Twice what one
/// value may hold: a plan pushing it into each of the few hundred branches
/// a 16 KiB statement can have stays a few MB.
pub const MAX_STATEMENT_BUILT_CHARS: u64 = 20_000;
/// The characters of all the sets one statement trims or translates by
/// (`translate(x, 'àâé', 'aae')`, `btrim(x, ' .-')`), on PostgreSQL and
/// Oracle: each character of the text is looked up in the whole set, in
/// one call their deadline does not interrupt. At 32, one call on a 10 MB
/// document stays near a second; a
/// set of accented letters and their capitals fits.
pub const MAX_SET_CHARS: u64 = 32;
/// What one statement may look for in texts gathered from rows, its
/// needles, patterns and separators together, a set's characters counting
/// twice (each is looked up at every character): a gathered text is as
/// long as the rows make it, up to what the executor lets a gathering
/// read (`backend::MAX_GATHERED_BYTES`), and the search runs in one call
/// PostgreSQL and Oracle do not interrupt. A word (`LIKE '%Premium%'`) or a
/// separator (`rtrim(…, ', ')`, `replace(…, ',', ' / ')`) fits.
pub const MAX_GATHERED_SEARCH_CHARS: u64 = 16;

/// What [`judge`] learns of a statement it accepts.
pub(super) struct Judged {
    /// A recursive step grows its own value with values read by name
    /// (`path || c.nom`), whose growth the statement cannot bound: the
    /// executor weighs what it reads.
    pub grows_by_reading: bool,
    /// The most characters the statement builds into the rows of its
    /// SELECTs, all of them together: what a row of any step of its plan
    /// may carry beyond the values it reads (the plan's widths guess 32
    /// bytes for `repeat('x', 8000)`).
    pub built_row_chars: u64,
    /// The most copies of a value gathered from rows (a CTE's
    /// `string_agg(…) AS t`) any expression builds (`t || t`, `repeat(t,
    /// 3)`, `length(t || t)`): the server holds the gathered value that many
    /// times, which the executor weighs.
    pub gathered_value_copies: u64,
    /// It writes a value gathered from rows out whole as text
    /// (`array_agg(e.during)::text`, `array_to_string(x.v, ',')` of a CTE's
    /// gathering): the server keeps a buffer of a kilobyte or more for each
    /// element of some types (a range, a row, a jsonb) until the whole value
    /// is written, far more than the element itself.
    pub gathered_as_text: bool,
    /// How many values read from the data its logarithms, roots or powers
    /// work on, all of them together (`ln(r.rate)` one, `log(r.a * r.b *
    /// r.c, 2)` three): their digits only the data says: a `numeric` may
    /// hold 16,383 digits after the point, a product holds the digits of
    /// its factors together, and one logarithm of such a number takes
    /// seconds no deadline interrupts. The executor measures them.
    pub digits_read: u64,
    /// The characters its containment, existence and overlap tests (`@>`,
    /// `<@`, `?|`, `?&`, `&&`) look for, written out, all of them together:
    /// each element looked for is compared with every element of the value
    /// it is looked for in, in one call no deadline interrupts, so the
    /// executor weighs them against the longest value the statement reads.
    pub sought_chars: u64,
    /// How many overlaps (`&&`) compare two values read (`x.tags &&
    /// y.tags`): weighed as if each were as long as the longest value read.
    pub compared_reads: u64,
}

/// Judges the sizes of what `query` builds.
///
/// # Errors
/// [`Refusal::TooLarge`] when an expression builds past
/// [`MAX_BUILT_CHARS`], a recursive step doubles its own value, the
/// built needles of its searches pass [`MAX_NEEDLE_CHARS`], or its
/// logarithms, roots and powers work on more than [`MAX_NUMERIC_DIGITS`]
/// digits it wrote.
pub(super) fn judge(query: &Query, dialect: Dialect) -> Result<Judged, Refusal> {
    let mut sources = Sources::default();
    let _ = query.visit(&mut sources);
    let mut sizes = Sizes {
        dialect,
        columns: HashMap::new(),
        positional: HashMap::new(),
        own: None,
        memo: RefCell::new(None),
        grows_by_reading: false,
    };
    let mut settled = false;
    for _ in 0..ROUNDS {
        let mut changed = false;
        for source in &sources.found {
            // Within one source the sizes of the names it reads stand still:
            // each expression is weighed once (twelve nested calls were
            // weighed 4^12 times, a minute of the checker's time).
            *sizes.memo.borrow_mut() = Some(HashMap::new());
            let columns = sizes.source(source);
            *sizes.memo.borrow_mut() = None;
            let columns = columns?;
            if !source.name.is_empty() {
                let known = sizes.positional.entry(source.name.clone()).or_default();
                for (i, (name, size)) in columns.iter().enumerate() {
                    match known.get_mut(i) {
                        Some((_, carried)) => changed |= carried.absorb(*size),
                        None => {
                            changed = true;
                            known.push((name.clone(), *size));
                        }
                    }
                }
            }
            for (name, size) in columns.into_iter().filter_map(|(n, s)| Some((n?, s))) {
                changed |= sizes.columns.entry(name).or_default().absorb(size);
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    if !settled {
        return Err(Refusal::TooLarge(Excess::Steps));
    }
    // Sizes are final now: each expression is weighed once, however many
    // expressions around it are weighed too (a chain of `||`).
    *sizes.memo.borrow_mut() = Some(HashMap::new());
    let mut check = Check {
        sizes: &sizes,
        needles: 0,
        sets: 0,
        gathered_value_copies: 0,
        gathered_as_text: false,
        digits_read: 0,
        sought_chars: 0,
        compared_reads: 0,
        gathered_searched: 0,
        digits: 0,
        counting: Vec::new(),
        statement_built: 0,
        refusal: None,
    };
    let _ = query.visit(&mut check);
    if let Some(refusal) = check.refusal {
        return Err(refusal);
    }
    let mut built_row_chars = 0u64;
    let _ = query.visit(&mut Projections(|items: &[SelectItem]| {
        for item in items {
            if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                built_row_chars = built_row_chars
                    .saturating_add(sizes.size(e).chars)
                    .min(HUGE);
            }
        }
    }));
    Ok(Judged {
        grows_by_reading: sizes.grows_by_reading,
        built_row_chars,
        gathered_value_copies: check.gathered_value_copies,
        gathered_as_text: check.gathered_as_text,
        digits_read: check.digits_read,
        sought_chars: check.sought_chars,
        compared_reads: check.compared_reads,
    })
}

/// Calls its function with the projection of every SELECT of a query.
struct Projections<F>(F);

impl<F: FnMut(&[SelectItem])> Visitor for Projections<F> {
    type Break = ();

    fn pre_visit_select(&mut self, select: &sqlparser::ast::Select) -> ControlFlow<()> {
        (self.0)(&select.projection);
        ControlFlow::Continue(())
    }
}

/// A relation the statement makes: a CTE or a subquery in `FROM`.
struct Source {
    name: String,
    /// The names given to its columns (`AS d(a, b)`, `WITH r(n) AS`).
    columns: Vec<String>,
    made: Made,
    /// A CTE of `WITH RECURSIVE`: its second branch is its step.
    recursive: bool,
}

/// How a relation of the statement is made.
enum Made {
    /// By a query: a CTE or a subquery in `FROM`.
    Query(Box<Query>),
    /// By renaming the columns of another one, in order (`FROM c AS k(x)`):
    /// the same values under other names.
    Rename { of: String },
}

#[derive(Default)]
struct Sources {
    found: Vec<Source>,
}

impl Visitor for Sources {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.found.push(Source {
                    name: key(&cte.alias.name.value),
                    columns: names(Some(&cte.alias)),
                    made: Made::Query(cte.query.clone()),
                    recursive: with.recursive,
                });
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        match factor {
            TableFactor::Derived {
                subquery, alias, ..
            } => self.found.push(Source {
                name: alias
                    .as_ref()
                    .map_or_else(String::new, |a| key(&a.name.value)),
                columns: names(alias.as_ref()),
                made: Made::Query(subquery.clone()),
                recursive: false,
            }),
            // A relation read under new column names: if it is one the
            // statement makes, its columns go on under them.
            TableFactor::Table {
                name,
                alias: Some(alias),
                ..
            } if !alias.columns.is_empty() => {
                if let Some(ObjectNamePart::Identifier(last)) = name.0.last() {
                    self.found.push(Source {
                        name: key(&alias.name.value),
                        columns: names(Some(alias)),
                        made: Made::Rename {
                            of: key(&last.value),
                        },
                        recursive: false,
                    });
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn names(alias: Option<&TableAlias>) -> Vec<String> {
    alias.map_or_else(Vec::new, |a| {
        a.columns.iter().map(|c| key(&c.name.value)).collect()
    })
}

/// Names compared loosely (ASCII case ignored, quoted or not): two names
/// the database keeps apart may share a size, which can only refuse more.
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

struct Own {
    columns: HashSet<String>,
    qualifiers: HashSet<String>,
    /// The step reads a relation whose columns are not followed (`LATERAL
    /// (SELECT s AS x)`): any name may carry its own value.
    opaque: bool,
}

/// Whether `query` (a subquery in a recursive step) gathers rows into one
/// value, and reads the step's own columns where they may become its rows
/// or its values: in what it selects or in what it reads from (`VALUES (s),
/// (s)`, `unnest(ARRAY[s, s])`, `(SELECT s AS x …)`). A condition that
/// names them (`WHERE c.parent = r.id`) only chooses rows.
fn gathers_own(query: &Query, own: &Own) -> bool {
    use std::ops::ControlFlow;
    let gathers = sqlparser::ast::visit_expressions(query, |e| match e {
        Expr::Function(_) if bounds::called(e).is_some_and(|n| bounds::gathers(&n)) => {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break();
    if !gathers {
        return false;
    }
    own.opaque || reads_own(query, own)
}

/// Whether `query` names the step's own columns in what it selects or in
/// the relations it reads (not in the conditions that join them), or in
/// its CTEs (`WITH w AS (SELECT s AS x …) SELECT string_agg(x, '') FROM w`).
fn reads_own(query: &Query, own: &Own) -> bool {
    let in_ctes = query
        .with
        .iter()
        .flat_map(|w| &w.cte_tables)
        .any(|cte| reads_own(&cte.query, own));
    in_ctes
        || selects(&query.body).iter().any(|select| {
            select.projection.iter().any(|item| mentions_own(item, own))
                || select.from.iter().any(|from| {
                    mentions_own(&from.relation, own)
                        || from.joins.iter().any(|j| mentions_own(&j.relation, own))
                })
        })
}

/// Whether `node` names one of the step's own columns, or its whole row.
fn mentions_own<V: Visit>(node: &V, own: &Own) -> bool {
    use std::ops::ControlFlow;
    sqlparser::ast::visit_expressions(node, |e| {
        let named = match e {
            Expr::Identifier(i) => {
                own.columns.contains(&key(&i.value)) || own.qualifiers.contains(&key(&i.value))
            }
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] => {
                    own.qualifiers.contains(&key(&q.value)) && own.columns.contains(&key(&c.value))
                }
                _ => false,
            },
            _ => false,
        };
        if named {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// The SELECTs of a query body, through set operations and parentheses.
fn selects(body: &SetExpr) -> Vec<&sqlparser::ast::Select> {
    match body {
        SetExpr::Select(s) => vec![s],
        SetExpr::Query(q) => selects(&q.body),
        SetExpr::SetOperation { left, right, .. } => {
            let mut all = selects(left);
            all.extend(selects(right));
            all
        }
        _ => Vec::new(),
    }
}

/// The names under which a recursive step reads its own CTE (`FROM tree t`:
/// `t`; `FROM tree`: `tree`).
struct Readers<'a> {
    cte: &'a str,
    found: HashSet<String>,
    /// The new names its columns are read under (`FROM r AS q(x, j)`).
    renamed: Vec<String>,
    /// The step reads through a relation the walk of names does not follow
    /// into (a subquery in `FROM`, `LATERAL`, a function read as rows).
    opaque: bool,
}

impl Visitor for Readers<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, alias, .. } = factor
            && let Some(ObjectNamePart::Identifier(last)) = name.0.last()
            && key(&last.value) == self.cte
        {
            self.found.insert(
                alias
                    .as_ref()
                    .map_or_else(|| key(&last.value), |a| key(&a.name.value)),
            );
            if let Some(alias) = alias {
                self.renamed.extend(names(Some(alias)));
            }
        }
        if !matches!(
            factor,
            TableFactor::Table { .. } | TableFactor::NestedJoin { .. }
        ) {
            self.opaque = true;
        }
        ControlFlow::Continue(())
    }
}

/// The relations a SELECT reads in `FROM`, joins included.
fn relations(select: &sqlparser::ast::Select) -> impl Iterator<Item = &TableFactor> {
    select.from.iter().flat_map(|from| {
        std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
    })
}

/// The name a relation of `FROM` is read by: its alias, or the table's
/// own name; `None` for a relation without one.
fn called_as(factor: &TableFactor) -> Option<String> {
    match factor {
        TableFactor::Table { name, alias, .. } => match alias {
            Some(alias) => Some(key(&alias.name.value)),
            None => match name.0.last() {
                Some(ObjectNamePart::Identifier(last)) => Some(key(&last.value)),
                _ => None,
            },
        },
        TableFactor::Derived { alias, .. } => alias.as_ref().map(|a| key(&a.name.value)),
        _ => None,
    }
}

/// A column of a relation whose columns are not known (a table read by
/// `*`): every place after it is unknown too.
fn unknown_width() -> (Option<String>, Size) {
    (Some(UNKNOWN_WIDTH.to_owned()), Size::default())
}

/// The name [`unknown_width`] marks a place with (no column can be named
/// so: a name has no space).
const UNKNOWN_WIDTH: &str = "* unknown";

/// `columns`, in order, under the names `given` (`AS k(x, y)`, a CTE's
/// column list) where there is one. When a place is unknown (a table read
/// by `*` came first), the places of the columns are too: each name given
/// carries the most of any column.
fn renamed(
    columns: Vec<(Option<String>, Carried)>,
    given: &[String],
) -> Vec<(Option<String>, Carried)> {
    if given.is_empty() {
        return columns;
    }
    if columns
        .iter()
        .any(|(n, _)| n.as_deref() == Some(UNKNOWN_WIDTH))
    {
        let most = columns
            .iter()
            .map(|(_, c)| *c)
            .fold(Carried::default(), Carried::max);
        return given.iter().map(|n| (Some(n.clone()), most)).collect();
    }
    let mut out: Vec<(Option<String>, Carried)> = columns
        .into_iter()
        .enumerate()
        .map(|(i, (name, carried))| (given.get(i).cloned().or(name), carried))
        .collect();
    // Names given past the columns known (a column list longer than the
    // query): nothing known of them.
    for name in given.iter().skip(out.len()) {
        out.push((Some(name.clone()), Carried::default()));
    }
    out
}

/// Puts the two branches of a set operation side by side: each column as
/// large as the larger, named by the first.
fn merge(
    mut left: Vec<(Option<String>, Size)>,
    right: Vec<(Option<String>, Size)>,
) -> Vec<(Option<String>, Size)> {
    for (i, (name, size)) in right.into_iter().enumerate() {
        match left.get_mut(i) {
            Some((_, known)) => *known = known.max(size),
            None => left.push((name, size)),
        }
    }
    left
}

fn unparenthesized(body: &SetExpr) -> &SetExpr {
    match body {
        SetExpr::Query(q) => unparenthesized(&q.body),
        other => other,
    }
}

/// The name a database gives an unnamed output column, where others can
/// read it by that name: a column's own, or a function's.
fn named(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) => Some(key(&i.value)),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| key(&i.value)),
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => named(e),
        Expr::Function(_) => bounds::called(expr),
        _ => Some("?column?".to_owned()),
    }
}

fn literal_chars(value: &Value) -> u64 {
    let chars = match value {
        Value::SingleQuotedString(s)
        | Value::NationalStringLiteral(s)
        | Value::EscapedStringLiteral(s)
        | Value::DoubleQuotedString(s)
        | Value::HexStringLiteral(s) => s.chars().count(),
        Value::Number(n, _) => n.len(),
        _ => 0,
    };
    u64::try_from(chars).unwrap_or(HUGE)
}

/// The elements of the arrays written out in `expr` (`ARRAY[NULL, NULL]`
/// is two).
fn elements(expr: &Expr) -> u64 {
    let mut count = 0u64;
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Array(array) = e {
            count = count.saturating_add(array.elem.len() as u64);
        }
        ControlFlow::<()>::Continue(())
    });
    count
}

/// The expressions a call is given (none for `f(*)` or `f(SELECT …)`).
fn arguments(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list.args.iter().filter_map(argument).collect(),
        _ => Vec::new(),
    }
}

/// A whole number written in the statement, not negative.
fn integer(expr: &Expr) -> Option<u64> {
    bounds::integer(expr).and_then(|n| u64::try_from(n).ok())
}

/// The widths and precisions a `printf`/`format` pattern written out pads
/// to, added up (each is bounded by [`crate::sql::validate::bounds`]), and how many
/// conversions it makes (`%%` is none).
fn widths(pattern: &Expr) -> (u64, u64) {
    let Expr::Value(v) = pattern else {
        return (0, 1);
    };
    let Value::SingleQuotedString(pattern) = &v.value else {
        return (0, 1);
    };
    let mut total = 0u64;
    let mut number = String::new();
    for c in pattern.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            total = total.saturating_add(number.parse().unwrap_or(0));
            number.clear();
        }
    }
    let total = total.saturating_add(number.parse().unwrap_or(0)).min(HUGE);
    // `%L` and `%I` quote their argument, which may double it.
    let conversions = super::copies::conversions(pattern, pattern.len());
    (total, conversions.iter().sum::<u64>())
}

/// A value that holds the step's own value quoted (see `Sizes::measure`):
/// in a recursive step, twice its own value.
fn own_quoted(size: Size) -> Size {
    Size {
        own: size.own.saturating_mul(2),
        ..size
    }
}

/// How many copies of one value read `text` holds, at least one (see
/// [`Check::needle`]).
fn copies_in(text: Option<&Expr>) -> u64 {
    text.map_or(1, |t| super::copies::of(t).most().0.max(1))
}

/// The characters a set to trim or translate by writes out, when it is
/// written out: texts and numbers, `||` of them, casts of them, and the
/// characters named by their code (`chr(10)`).
/// Anything read or computed (`md5(title) || md5(title)` is 64 characters
/// the measure of built values counts as none) is `None`.
fn set_chars(set: &Expr) -> Option<u64> {
    match set {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.chars().count() as u64),
            Value::Number(n, _) => Some(n.len() as u64),
            Value::Null => Some(0),
            _ => None,
        },
        Expr::TypedString(t) => match &t.value.value {
            Value::SingleQuotedString(s) => Some(s.chars().count() as u64),
            _ => None,
        },
        Expr::Nested(e) | Expr::Collate { expr: e, .. } | Expr::Cast { expr: e, .. } => {
            set_chars(e)
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => Some(set_chars(left)?.saturating_add(set_chars(right)?)),
        Expr::Function(f) if bounds::called(set).is_some_and(|n| n == "chr") => matches!(
            arguments(f).as_slice(),
            [Expr::Value(v)] if matches!(v.value, Value::Number(..))
        )
        .then_some(1),
        _ => None,
    }
}

/// Functions that search their first argument for a text, a pattern or a
/// separator, in one call (see the function table).
fn searches_text(name: &str) -> bool {
    spec(name).is_some_and(|f| f.searches_text)
}

/// Operators that look for each element of one operand in the whole
/// other (containment, a difference of arrays or `jsonb`).
fn pairs(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::AtArrow
            | BinaryOperator::ArrowAt
            | BinaryOperator::Minus
            | BinaryOperator::HashMinus
            | BinaryOperator::Question
            | BinaryOperator::QuestionAnd
            | BinaryOperator::QuestionPipe
            | BinaryOperator::PGOverlap
    )
}

/// Functions that parse their last argument into a larger structure (see
/// the function table).
fn parses_structure(name: &str) -> bool {
    spec(name).is_some_and(|f| f.parses_structure)
}

/// Operators that search their left operand for a pattern (PostgreSQL's
/// regular expressions and `LIKE` spelled `~~`).
fn searches(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch
            | BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch
            | BinaryOperator::Regexp
            | BinaryOperator::Match
    )
}

/// The values `expr` itself writes out whole as text: what a cast to a
/// text type casts, or the arguments of a call that writes any value it is
/// given ([`writes_as_text`]), the call's name folded by `fold`.
pub(super) fn rendered_as_text(
    expr: &Expr,
    fold: impl Fn(&sqlparser::ast::Ident) -> String,
) -> Vec<&Expr> {
    match expr {
        Expr::Cast {
            expr, data_type, ..
        } if bounds::is_text_type(data_type) => vec![expr],
        Expr::Function(f)
            if f.name.0.last().is_some_and(|part| {
                matches!(part, sqlparser::ast::ObjectNamePart::Identifier(i)
                    if writes_as_text(&fold(i)))
            }) =>
        {
            match &f.args {
                sqlparser::ast::FunctionArguments::List(list) => {
                    list.args.iter().filter_map(bounds::argument).collect()
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// Calls that write any value they are given out as text (see
/// `Parsed::as_text` and the function table).
fn writes_as_text(name: &str) -> bool {
    spec(name).is_some_and(|f| f.writes_as_text)
}

#[cfg(test)]
mod tests;
