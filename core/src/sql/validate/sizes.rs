//! How large the values a statement builds can be, followed through the
//! names that carry them.
//!
//! [`super::bounds`] judges each call as written: a size written out, no
//! growth on growth. A value can still be built in steps that each look
//! small: a CTE column `repeat('x', 10000)`, concatenated with itself in
//! the next CTE, and so on (eight levels of `s || s || …` took a
//! PostgreSQL backend to 3.5 GiB, folded by the planner at the offer's
//! EXPLAIN already); a recursive CTE that doubles a text at each step; a
//! SQLite search whose needle is a CTE column built to 40,000 characters.
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

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArguments, ObjectNamePart, Query, SelectItem, SetExpr,
    TableAlias, TableFactor, Value, Visit, Visitor,
};

use super::super::Dialect;
use super::Refusal;
use super::bounds::{self, MAX_BUILT_CHARS, MAX_NEEDLE_CHARS, argument};

/// The largest exponent written out in a power.
const MAX_EXPONENT: u64 = 1_000;
/// Past this many rounds, names still growing are built in a loop.
const ROUNDS: usize = 16;
/// Sizes saturate here, far past any bound.
const HUGE: u64 = 1 << 40;

/// Judges the sizes of what `query` builds; says whether a recursive step
/// grows its own value with values read by name (`path || c.nom`), whose
/// growth the statement cannot bound: the executor weighs what it reads.
///
/// # Errors
/// [`Refusal::TooLarge`] when an expression builds past
/// [`MAX_BUILT_CHARS`], a recursive step doubles its own value, or (SQLite)
/// the built needles of its searches pass [`MAX_NEEDLE_CHARS`].
pub(super) fn judge(query: &Query, dialect: Dialect) -> Result<bool, Refusal> {
    let mut sources = Sources::default();
    let _ = query.visit(&mut sources);
    let mut sizes = Sizes {
        dialect,
        columns: HashMap::new(),
        own: None,
        memo: RefCell::new(None),
        grows_by_reading: false,
    };
    let mut settled = false;
    for _ in 0..ROUNDS {
        let mut changed = false;
        for source in &sources.found {
            for (name, size) in sizes.source(source)? {
                let known = sizes.columns.entry(name).or_insert(0);
                if size > *known {
                    *known = size;
                    changed = true;
                }
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    if !settled {
        return Err(Refusal::TooLarge(
            "its values are built through more steps than can be weighed".to_owned(),
        ));
    }
    // Sizes are final now: each expression is weighed once, however many
    // expressions around it are weighed too (a chain of `||`).
    *sizes.memo.borrow_mut() = Some(HashMap::new());
    let mut check = Check {
        sizes: &sizes,
        needles: 0,
        refusal: None,
    };
    let _ = query.visit(&mut check);
    check.refusal.map_or(Ok(sizes.grows_by_reading), Err)
}

/// A relation the statement makes: a CTE or a subquery in `FROM`.
struct Source {
    name: String,
    /// The names given to its columns (`AS d(a, b)`, `WITH r(n) AS`).
    columns: Vec<String>,
    query: Query,
    /// A CTE of `WITH RECURSIVE`: its second branch is its step.
    recursive: bool,
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
                    query: cte.query.as_ref().clone(),
                    recursive: with.recursive,
                });
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Derived {
            subquery, alias, ..
        } = factor
        {
            self.found.push(Source {
                name: alias
                    .as_ref()
                    .map_or_else(String::new, |a| key(&a.name.value)),
                columns: names(alias.as_ref()),
                query: subquery.as_ref().clone(),
                recursive: false,
            });
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

/// What an expression can hold: the characters the statement built into
/// it, (in a recursive step) how many times it holds its own columns, and
/// whether it holds a value read by name (a column that is not its own),
/// which the statement cannot size.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Size {
    chars: u64,
    own: u32,
    read: bool,
}

impl Size {
    fn plus(self, other: Size) -> Size {
        Size {
            chars: (self.chars + other.chars).min(HUGE),
            own: self.own.saturating_add(other.own),
            read: self.read || other.read,
        }
    }

    fn max(self, other: Size) -> Size {
        Size {
            chars: self.chars.max(other.chars),
            own: self.own.max(other.own),
            read: self.read || other.read,
        }
    }

    fn times(self, n: u64) -> Size {
        Size {
            chars: self.chars.saturating_mul(n).min(HUGE),
            own: self
                .own
                .saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)),
            read: self.read,
        }
    }
}

struct Own {
    columns: HashSet<String>,
    qualifiers: HashSet<String>,
}

/// The names under which a recursive step reads its own CTE (`FROM tree t`:
/// `t`; `FROM tree`: `tree`).
struct Readers<'a> {
    cte: &'a str,
    found: HashSet<String>,
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
        }
        ControlFlow::Continue(())
    }
}

struct Sizes {
    dialect: Dialect,
    /// The most characters built into each named column.
    columns: HashMap<String, u64>,
    /// In a recursive step: the CTE's own columns, and the names its step
    /// reads it under.
    own: Option<Own>,
    /// Once the columns are settled: each expression's size, by address.
    memo: RefCell<Option<HashMap<usize, Size>>>,
    /// A recursive step adds values read by name to its own value.
    grows_by_reading: bool,
}

impl Sizes {
    /// The sizes of a source's columns, by name.
    fn source(&mut self, source: &Source) -> Result<Vec<(String, u64)>, Refusal> {
        let body = unparenthesized(&source.query.body);
        let columns = match body {
            SetExpr::SetOperation { left, right, .. } if source.recursive => {
                let anchor = self.body(left);
                let named: Vec<String> = if source.columns.is_empty() {
                    anchor.iter().filter_map(|(n, _)| n.clone()).collect()
                } else {
                    source.columns.clone()
                };
                let mut readers = Readers {
                    cte: &source.name,
                    found: HashSet::new(),
                };
                let _ = right.visit(&mut readers);
                self.own = Some(Own {
                    columns: named.iter().cloned().collect(),
                    qualifiers: readers.found,
                });
                let step = self.body(right);
                self.own = None;
                if step.iter().any(|(_, s)| s.own > 1) {
                    return Err(Refusal::TooLarge(
                        "a recursive step uses its own value more than once in what it builds, which doubles it at every step"
                            .to_owned(),
                    ));
                }
                // `path || c.nom` grows by what it reads at every step: as
                // long as the values read are (a 10 MB document appended
                // per step took a backend past 1 GiB within 30 s).
                self.grows_by_reading |= step.iter().any(|(_, s)| s.own > 0 && s.read);
                merge(anchor, step)
            }
            body => self.body(body),
        };
        Ok(columns
            .into_iter()
            .enumerate()
            .filter_map(|(i, (name, size))| {
                let name = source.columns.get(i).cloned().or(name)?;
                Some((name, size.chars))
            })
            .collect())
    }

    /// The columns a query body puts out, with their names when it gives
    /// them (`*` passes its relations' names on unchanged).
    fn body(&self, body: &SetExpr) -> Vec<(Option<String>, Size)> {
        match body {
            SetExpr::Select(select) => select
                .projection
                .iter()
                .filter_map(|item| match item {
                    SelectItem::UnnamedExpr(e) => Some((named(e), self.size(e))),
                    SelectItem::ExprWithAlias { expr, alias } => {
                        Some((Some(key(&alias.value)), self.size(expr)))
                    }
                    _ => None,
                })
                .collect(),
            SetExpr::Query(q) => self.body(&q.body),
            SetExpr::SetOperation { left, right, .. } => merge(self.body(left), self.body(right)),
            SetExpr::Values(values) => {
                let mut out: Vec<(Option<String>, Size)> = Vec::new();
                for row in &values.rows {
                    for (i, e) in row.iter().enumerate() {
                        let size = self.size(e);
                        match out.get_mut(i) {
                            Some((_, known)) => *known = known.max(size),
                            None => out.push((Some(format!("column{}", i + 1)), size)),
                        }
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// The most a scalar subquery's value can hold.
    fn subquery(&self, query: &Query) -> Size {
        self.body(&query.body)
            .into_iter()
            .map(|(_, s)| s)
            .fold(Size::default(), Size::max)
    }

    /// A column read by `name`, under `qualifier` when written `q.name`.
    fn column(&self, qualifier: Option<&str>, name: &str) -> Size {
        let name = key(name);
        if let Some(own) = &self.own
            && own.columns.contains(&name)
            && qualifier.is_none_or(|q| own.qualifiers.contains(&key(q)))
        {
            return Size {
                chars: 0,
                own: 1,
                read: false,
            };
        }
        Size {
            chars: self.columns.get(&name).copied().unwrap_or(0),
            own: 0,
            read: true,
        }
    }

    /// The most characters `expr` can hold that the statement built.
    fn size(&self, expr: &Expr) -> Size {
        let at = std::ptr::from_ref(expr) as usize;
        if let Some(known) = self.memo.borrow().as_ref().and_then(|m| m.get(&at)) {
            return *known;
        }
        let size = self.measure(expr);
        if let Some(memo) = self.memo.borrow_mut().as_mut() {
            memo.insert(at, size);
        }
        size
    }

    fn measure(&self, expr: &Expr) -> Size {
        match expr {
            Expr::Identifier(i) => self.column(None, &i.value),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [.., qualifier, column] => self.column(Some(&qualifier.value), &column.value),
                [column] => self.column(None, &column.value),
                [] => Size::default(),
            },
            Expr::Value(v) => Size {
                chars: literal_chars(&v.value),
                ..Size::default()
            },
            Expr::TypedString(t) => Size {
                chars: literal_chars(&t.value.value),
                ..Size::default()
            },
            Expr::Nested(e)
            | Expr::Cast { expr: e, .. }
            | Expr::Collate { expr: e, .. }
            | Expr::Substring { expr: e, .. }
            | Expr::Trim { expr: e, .. }
            | Expr::JsonAccess { value: e, .. } => self.size(e),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::StringConcat,
                right,
            } => self.size(left).plus(self.size(right)),
            Expr::Overlay {
                expr, overlay_what, ..
            } => self.size(expr).plus(self.size(overlay_what)),
            Expr::Case {
                conditions,
                else_result,
                ..
            } => conditions
                .iter()
                .map(|c| self.size(&c.result))
                .chain(else_result.iter().map(|e| self.size(e)))
                .fold(Size::default(), Size::max),
            Expr::Array(array) => array
                .elem
                .iter()
                .map(|e| self.size(e))
                .fold(Size::default(), Size::plus),
            Expr::Tuple(items) => items
                .iter()
                .map(|e| self.size(e))
                .fold(Size::default(), Size::plus),
            Expr::Subquery(q) => self.subquery(q),
            Expr::Function(f) => {
                bounds::called(expr).map_or(Size::default(), |name| self.call(&name, f))
            }
            // Numbers, booleans, dates: nothing built that grows.
            _ => Size::default(),
        }
    }

    /// A call of `name` (folded by [`bounds::called`]).
    fn call(&self, name: &str, f: &Function) -> Size {
        if let FunctionArguments::Subquery(q) = &f.args {
            return self.subquery(q);
        }
        let args = arguments(f);
        let at = |i: usize| args.get(i).map_or(Size::default(), |e| self.size(e));
        let count = |i: usize| args.get(i).and_then(|e| integer(e));
        let all = || {
            args.iter()
                .map(|e| self.size(e))
                .fold(Size::default(), Size::plus)
        };
        match name {
            _ if counts(name) => Size::default(),
            // A value read from the table is at least a character: its
            // repetitions are built.
            "repeat" => {
                let input = at(0);
                let input = Size {
                    chars: input.chars.max(1),
                    ..input
                };
                input.times(count(1).unwrap_or(u64::try_from(MAX_BUILT_CHARS).unwrap_or(HUGE)))
            }
            // Quoting doubles a quote; a row or an array shown as text
            // quotes its members.
            "quote" | "quote_literal" | "quote_ident" | "quote_nullable" | "array" | "row" => {
                all().times(2)
            }
            // JSON writes a control character as six (\u0001), XML a quote
            // as six (&quot;).
            "json_quote" | "json_object" | "json_array" | "json_build_object"
            | "json_build_array" | "jsonb_build_object" | "jsonb_build_array" | "to_json"
            | "to_jsonb" | "row_to_json" | "json_agg" | "jsonb_agg" | "json_arrayagg"
            | "json_objectagg" | "xmlelement" | "xmlforest" | "xmlconcat" | "xmlattributes"
            | "xmlagg" => all().times(6),
            // A padding is cut or filled to the length asked.
            "lpad" | "rpad" => match count(1) {
                Some(n) => Size {
                    chars: n,
                    ..Size::default()
                },
                // Oracle's VARCHAR2 stops at 4,000 bytes (see bounds).
                None if self.dialect == Dialect::Oracle => Size {
                    chars: 4_000,
                    ..Size::default()
                },
                None => at(0).plus(at(2)).times(HUGE),
            },
            // Each match can become the replacement.
            "replace" | "regexp_replace" | "translate" => {
                let to = if name == "translate" {
                    Size::default()
                } else {
                    at(2)
                };
                at(0).times(to.chars.max(1)).plus(to)
            }
            // Two digits a byte.
            "hex" => at(0).times(2),
            // Each conversion is as wide as its width or its argument,
            // whichever is wider: at least the larger of the two sums, at
            // most twice it.
            "format" | "printf" => {
                let arguments = args
                    .iter()
                    .skip(1)
                    .map(|e| self.size(e))
                    .fold(Size::default(), Size::plus);
                // `%1$s` a hundred times writes its argument a hundred
                // times.
                let (widths, conversions) = args.first().map_or((0, 1), |p| widths(p));
                let arguments = arguments.times(conversions.max(1));
                Size {
                    chars: arguments.chars.max(widths),
                    ..arguments
                }
            }
            // One of the arguments, or part of the first.
            "substr" | "substring" | "left" | "right" | "ltrim" | "rtrim" | "btrim" | "trim"
            | "upper" | "lower" | "initcap" | "reverse" | "coalesce" | "nullif" | "nvl"
            | "ifnull" | "greatest" | "least" | "min" | "max" | "string_agg" | "group_concat"
            | "listagg" | "array_agg" => args
                .iter()
                .map(|e| self.size(e))
                .fold(Size::default(), Size::max),
            // Anything else may hold all its arguments (concat, the JSON
            // and XML builders…).
            _ => all(),
        }
    }
}

/// Whether a function's result is a number, a boolean or a date, whatever
/// its arguments hold.
fn counts(name: &str) -> bool {
    matches!(
        name,
        "length"
            | "char_length"
            | "character_length"
            | "octet_length"
            | "bit_length"
            | "lengthb"
            | "instr"
            | "strpos"
            | "position"
            | "count"
            | "sum"
            | "avg"
            | "abs"
            | "round"
            | "trunc"
            | "floor"
            | "ceil"
            | "ceiling"
            | "sign"
            | "mod"
            | "power"
            | "sqrt"
            | "exp"
            | "ln"
            | "log"
            | "ascii"
            | "unicode"
            | "date_part"
            | "extract"
            | "to_number"
            | "to_date"
            | "to_timestamp"
            | "julianday"
            | "strftime"
            | "date"
            | "datetime"
            | "row_number"
            | "rank"
            | "dense_rank"
            | "ntile"
            | "stddev"
            | "variance"
            | "hashtext"
            | "md5"
            | "sha256"
    )
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
/// to, added up (each is bounded by [`super::bounds`]), and how many
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
    let conversions = pattern.matches('%').count() - 2 * pattern.matches("%%").count();
    (total, u64::try_from(conversions).unwrap_or(HUGE))
}

/// Walks every expression, weighing what builds and, on SQLite, what is
/// searched for.
struct Check<'a> {
    sizes: &'a Sizes,
    needles: u64,
    refusal: Option<Refusal>,
}

impl Check<'_> {
    fn built(&mut self, what: &str, size: Size) -> ControlFlow<()> {
        let bound = u64::try_from(MAX_BUILT_CHARS).unwrap_or(HUGE);
        if size.chars > bound {
            let about = if size.chars >= HUGE {
                "without bound".to_owned()
            } else {
                format!("up to {} characters", size.chars)
            };
            self.refusal = Some(Refusal::TooLarge(format!(
                "{what} builds {about} from values the statement made, more than {MAX_BUILT_CHARS}"
            )));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// An exponent written out is at most [`MAX_EXPONENT`]: PostgreSQL's
    /// NUMERIC makes `10 ^ 65000` a number of 65,000 digits, whose
    /// divisions then run for minutes without a check of the deadline.
    fn exponent(&mut self, exponent: &Expr) -> ControlFlow<()> {
        let written = match exponent {
            Expr::UnaryOp { expr, .. } => bounds::integer(expr).map(i128::abs),
            other => bounds::integer(other),
        };
        if let Some(n) = written
            && n > i128::from(MAX_EXPONENT)
        {
            self.refusal = Some(Refusal::TooLarge(format!(
                "a power of {n}, more than {MAX_EXPONENT} (a number of that many digits takes minutes to divide)"
            )));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// A needle, set or pattern of a search on SQLite, which cannot stop
    /// inside one search: what the statement built into it counts.
    fn needle(&mut self, needle: Option<&Expr>) -> ControlFlow<()> {
        let Some(needle) = needle else {
            return ControlFlow::Continue(());
        };
        self.needles = self.needles.saturating_add(self.sizes.size(needle).chars);
        if self.needles > MAX_NEEDLE_CHARS as u64 {
            self.refusal = Some(Refusal::TooLarge(format!(
                "its searches look for {} characters the statement built, more than {MAX_NEEDLE_CHARS} (SQLite cannot stop a search midway)",
                self.needles
            )));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for Check<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        let sqlite = self.sizes.dialect == Dialect::Sqlite;
        match expr {
            Expr::BinaryOp {
                op: BinaryOperator::StringConcat,
                ..
            } => self.built("a concatenation", self.sizes.size(expr)),
            Expr::BinaryOp {
                op: BinaryOperator::PGExp,
                right,
                ..
            } => self.exponent(right),
            Expr::Like { pattern, .. } | Expr::ILike { pattern, .. } if sqlite => {
                self.needle(Some(pattern))
            }
            Expr::Trim {
                trim_what,
                trim_characters,
                ..
            } if sqlite => {
                self.needle(trim_what.as_deref())?;
                for c in trim_characters.iter().flatten() {
                    self.needle(Some(c))?;
                }
                ControlFlow::Continue(())
            }
            Expr::Function(f) => {
                let Some(name) = bounds::called(expr) else {
                    return ControlFlow::Continue(());
                };
                if !counts(&name) {
                    self.built(&format!("{name}(…)"), self.sizes.size(expr))?;
                }
                let args = arguments(f);
                let at = |i: usize| args.get(i).copied();
                if matches!(name.as_str(), "power" | "pow")
                    && let Some(exponent) = at(1)
                {
                    self.exponent(exponent)?;
                }
                if sqlite {
                    match name.as_str() {
                        "instr" | "ltrim" | "rtrim" | "trim" => self.needle(at(1))?,
                        "like" | "glob" => self.needle(at(0))?,
                        "replace" => {
                            self.needle(at(1))?;
                            self.needle(at(2))?;
                        }
                        _ => {}
                    }
                }
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::bounds::tests::refused;
    use super::*;

    #[test]
    fn growth_laundered_through_ctes_and_subqueries_is_weighed_whole() {
        let pg = Dialect::Postgres;
        // Eight times ten thousand, then eight times that: each step small.
        assert!(refused(
            pg,
            "WITH a AS (SELECT repeat('x', 10000) s), b AS (SELECT s||s||s||s||s||s||s||s s FROM a), \
             c AS (SELECT s||s||s||s||s||s||s||s s FROM b) SELECT length(s) FROM c"
        ));
        assert!(refused(
            pg,
            "SELECT length(t.s || t.s) FROM (SELECT repeat('x', 8000) AS s) t"
        ));
        assert!(refused(
            pg,
            "SELECT (SELECT repeat('x', 6000)) || (SELECT repeat('y', 6000))"
        ));
        assert!(refused(
            pg,
            "WITH a(s) AS (SELECT repeat('x', 6000)) SELECT concat(s, s) FROM a"
        ));
        assert!(refused(
            pg,
            "WITH a AS (SELECT repeat('x', 10000) s, repeat('y', 10000) t) SELECT ltrim(s || s, t) FROM a"
        ));
        // Reports that pad and join a few fields stay well within.
        assert!(!refused(
            pg,
            "WITH r AS (SELECT lpad(nom, 30) AS n, repeat('-', 40) AS rule FROM clients) \
             SELECT rule || n || rule FROM r"
        ));
        assert!(!refused(
            pg,
            "SELECT c.nom || ' ' || c.prenom || ' <' || c.email || '>' FROM clients c"
        ));
    }

    #[test]
    fn escaping_repeating_and_powers_are_weighed_as_what_they_write() {
        let pg = Dialect::Postgres;
        // JSON writes a quote as two characters, a control one as six.
        let nested = (0..4).fold("repeat('\"', 2000)".to_owned(), |inner, _| {
            format!("to_json({inner})::text")
        });
        assert!(refused(pg, &format!("SELECT length({nested})")));
        // One argument written a hundred times by its position.
        assert!(refused(
            pg,
            &format!("SELECT format('{}', repeat('x', 1000))", "%1$s".repeat(100))
        ));
        assert!(!refused(
            pg,
            "SELECT format('%s, %s (%s)', nom, prenom, ville) FROM clients"
        ));
        // A column's value repeated is built, however short the value.
        assert!(refused(
            pg,
            "WITH a AS (SELECT repeat(nom, 10000) AS s FROM clients) SELECT s || s FROM a"
        ));
        assert!(refused(
            pg,
            "SELECT 10::numeric ^ 65000 / 10::numeric ^ 30000"
        ));
        assert!(refused(pg, "SELECT power(10::numeric, 65000)"));
        assert!(!refused(
            pg,
            "SELECT montant * power(1.02, annees) FROM contrats"
        ));
    }

    #[test]
    fn a_recursive_step_may_extend_its_value_but_not_double_it() {
        let pg = Dialect::Postgres;
        assert!(refused(
            pg,
            "WITH RECURSIVE r(s, n) AS (SELECT 'x'::text, 0 UNION ALL SELECT s || s, n + 1 FROM r WHERE n < 29) \
             SELECT max(length(s)) FROM r"
        ));
        assert!(refused(
            pg,
            "WITH RECURSIVE r(a, b) AS (SELECT 'x', 'y' UNION ALL SELECT a || b, a FROM r) SELECT a FROM r"
        ));
        assert!(refused(
            pg,
            "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT repeat(s, 2) FROM r) SELECT s FROM r"
        ));
        // The path of a hierarchy grows by one name per level.
        assert!(!refused(
            pg,
            "WITH RECURSIVE tree AS (SELECT id, parent_id, nom, nom AS path FROM categories WHERE parent_id IS NULL \
             UNION ALL SELECT c.id, c.parent_id, c.nom, t.path || ' > ' || c.nom FROM categories c JOIN tree t ON c.parent_id = t.id) \
             SELECT path FROM tree"
        ));
    }

    #[test]
    fn a_recursive_step_growing_by_what_it_reads_is_flagged_for_the_executor() {
        let grows = |sql: &str| {
            let query = match sqlparser::parser::Parser::parse_sql(
                &sqlparser::dialect::PostgreSqlDialect {},
                sql,
            )
            .unwrap()
            .remove(0)
            {
                sqlparser::ast::Statement::Query(q) => q,
                other => panic!("{other}"),
            };
            judge(&query, Dialect::Postgres).unwrap()
        };
        for sql in [
            "WITH RECURSIVE tree AS (SELECT id, nom AS path FROM categories WHERE parent_id IS NULL \
             UNION ALL SELECT c.id, t.path || ' > ' || c.nom FROM categories c JOIN tree t ON c.parent_id = t.id) \
             SELECT path FROM tree",
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 UNION ALL SELECT concat(s, d.body), n + 1 FROM r, docs d) SELECT s FROM r",
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 UNION ALL SELECT s || (SELECT body FROM docs), n + 1 FROM r) SELECT s FROM r",
        ] {
            assert!(grows(sql), "{sql}");
        }
        for sql in [
            // Its own value with what it built, or what it reads alone.
            "WITH RECURSIVE r(s, n) AS (SELECT 'x', 1 UNION ALL SELECT s || 'x', n + 1 FROM r WHERE n < 9) SELECT s FROM r",
            "WITH RECURSIVE r(s, n) AS (SELECT '', 1 UNION ALL SELECT d.body, n + 1 FROM r, docs d WHERE n < 3) SELECT s FROM r",
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + c.id FROM r, clients c WHERE n < 9) SELECT n FROM r",
            // Not recursive.
            "WITH a AS (SELECT nom FROM clients) SELECT nom || nom FROM a",
        ] {
            assert!(!grows(sql), "{sql}");
        }
    }

    #[test]
    fn sqlite_searches_count_what_the_statement_built_into_their_needles() {
        let lite = Dialect::Sqlite;
        assert!(refused(
            lite,
            "WITH a AS (SELECT printf('%010000d', 0) t) SELECT count(*) FROM clients, a WHERE nom LIKE '%' || t || '%'"
        ));
        assert!(refused(
            lite,
            "WITH a AS (SELECT printf('%05000d', 0) t) SELECT instr(nom, t) FROM clients, a"
        ));
        assert!(!refused(
            lite,
            "WITH a AS (SELECT '%dupont%' AS p) SELECT count(*) FROM clients, a WHERE nom LIKE p"
        ));
    }
}
