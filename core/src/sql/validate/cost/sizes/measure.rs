//! The most characters and digits each column and expression of a
//! statement can hold ([`Sizes`]), settled over the names that carry them.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, ExactNumberInfo, Expr, Function, FunctionArguments, Query,
    SelectItem, SetExpr, TableFactor, Visit, Visitor,
};

use super::numbers::{arithmetic, computes_digits, literal_digits, power_exponent};
use super::{
    Carried, HUGE, MAX_COPIES, Made, Own, Readers, Size, Source, arguments, called_as, elements,
    gathers_own, integer, key, literal_chars, merge, named, own_quoted, relations, renamed,
    unknown_width, unparenthesized, widths,
};
use crate::sql::Dialect;
use crate::sql::validate::bounds::{self, MAX_BUILT_CHARS};
use crate::sql::validate::cost::copies::bounded;
use crate::sql::validate::{Excess, Refusal};

pub(super) struct Sizes {
    pub(super) dialect: Dialect,
    /// The columns of each relation the statement makes, in order, by the
    /// relation's name: what `*` and a renaming (`AS k(x)`) pass on.
    pub(super) positional: HashMap<String, Vec<(Option<String>, Carried)>>,
    /// The most characters built into each named column, and the most
    /// digits written into it.
    pub(super) columns: HashMap<String, Carried>,
    /// In a recursive step: the CTE's own columns, and the names its step
    /// reads it under.
    pub(super) own: Option<Own>,
    /// Once the columns are settled: each expression's size, by address.
    pub(super) memo: RefCell<Option<HashMap<usize, Size>>>,
    /// A recursive step adds values read by name to its own value.
    pub(super) grows_by_reading: bool,
}

impl Sizes {
    /// The sizes of a source's columns, by name.
    /// The sizes of a source's columns, in order, with their names.
    pub(super) fn source(
        &mut self,
        source: &Source,
    ) -> Result<Vec<(Option<String>, Carried)>, Refusal> {
        let query = match &source.made {
            Made::Query(query) => query,
            Made::Rename { of } => {
                // Not yet known (or not made by the statement): nothing.
                let known = self.positional.get(of).cloned().unwrap_or_default();
                return Ok(renamed(known, &source.columns));
            }
        };
        let body = unparenthesized(&query.body);
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
                    renamed: Vec::new(),
                    opaque: false,
                };
                let _ = right.visit(&mut readers);
                let opaque = readers.opaque;
                self.own = Some(Own {
                    columns: named.iter().chain(&readers.renamed).cloned().collect(),
                    qualifiers: readers.found,
                    opaque,
                });
                let step = self.body(right);
                self.own = None;
                // Read through a relation whose columns are not followed
                // (`LATERAL (SELECT s AS t)`, `unnest(ARRAY[s]) AS u(t)`), a
                // name may carry the step's own value: `s || t` doubles it
                // at every step.
                if step
                    .iter()
                    .any(|(_, s)| s.own > 1 || (opaque && s.own > 0 && s.read))
                {
                    return Err(Refusal::TooLarge(Excess::SelfDoubling));
                }
                if step.iter().any(|(_, s)| s.squared) {
                    return Err(Refusal::TooLarge(Excess::SelfSquaring));
                }
                // `path || c.nom` grows by what it reads at every step: as
                // long as the values read are.
                self.grows_by_reading |= step.iter().any(|(_, s)| s.own > 0 && s.read);
                // A value a step extends (by what it reads or by text of the
                // statement, `s || '0'`) is as long as the recursion is
                // deep: gathered, as rows are by an aggregate.
                let step = step
                    .into_iter()
                    .map(|(name, s)| {
                        let extended = s.own > 0 && (s.read || s.chars > 0);
                        // Read through a relation whose columns are not
                        // followed (`LATERAL (SELECT r.n * 0.1 AS m)`,
                        // `unnest(ARRAY[n]) AS u(v)`): it may do anything
                        // with the step's own values.
                        (
                            name,
                            Size {
                                gathered: s.gathered || extended || opaque,
                                compounded: s.compounded || opaque,
                                ..s
                            },
                        )
                    })
                    .collect();
                merge(anchor, step)
            }
            body => self.body(body),
        };
        let columns = columns
            .into_iter()
            .map(|(name, size)| (name, Carried::of(size)))
            .collect();
        Ok(renamed(columns, &source.columns))
    }

    /// The columns a query body puts out, with their names when it gives
    /// them (`*` passes its relations' names on unchanged).
    pub(super) fn body(&self, body: &SetExpr) -> Vec<(Option<String>, Size)> {
        match body {
            SetExpr::Select(select) => {
                let mut out = Vec::new();
                for item in &select.projection {
                    match item {
                        SelectItem::UnnamedExpr(e) => out.push((named(e), self.held(e))),
                        SelectItem::ExprWithAlias { expr, alias } => {
                            out.push((Some(key(&alias.value)), self.held(expr)));
                        }
                        SelectItem::Wildcard(_) => {
                            for factor in relations(select) {
                                out.extend(self.relation_columns(factor));
                            }
                        }
                        SelectItem::QualifiedWildcard(
                            sqlparser::ast::SelectItemQualifiedWildcardKind::ObjectName(name),
                            _,
                        ) => {
                            let qualifier = name.0.last().map(|p| key(&p.to_string()));
                            let factor = relations(select)
                                .find(|f| qualifier.is_some() && called_as(f) == qualifier);
                            match factor {
                                Some(factor) => out.extend(self.relation_columns(factor)),
                                None => out.push(unknown_width()),
                            }
                        }
                        _ => out.push(unknown_width()),
                    }
                }
                out
            }
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

    /// The columns a relation of `FROM` passes on to a `*`, in order: those
    /// of a relation the statement makes, or a column of unknown place and
    /// size for any other (a table).
    pub(super) fn relation_columns(&self, factor: &TableFactor) -> Vec<(Option<String>, Size)> {
        let known = match factor {
            TableFactor::Table { .. } | TableFactor::Derived { .. } => {
                called_as(factor).and_then(|name| self.positional.get(&name))
            }
            _ => None,
        };
        match known {
            Some(columns) => columns
                .iter()
                .map(|(name, carried)| (name.clone(), carried.read()))
                .collect(),
            None => vec![unknown_width()],
        }
    }

    /// What a column whose value is `expr` carries: its size, and the
    /// copies of gathered values it holds.
    pub(super) fn held(&self, expr: &Expr) -> Size {
        Size {
            copies: self.gathered_copies(expr),
            ..self.size(expr)
        }
    }

    /// How many copies of values gathered from rows `expr` holds: each
    /// name it reads brings the copies its column carries, as many times
    /// as `expr` holds the name (`u || u` of a `u` holding `t || t` is
    /// four copies of `t`, however many CTEs it went through); a gathering
    /// itself is one.
    pub(super) fn gathered_copies(&self, expr: &Expr) -> u64 {
        let through_names = super::super::copies::of(expr)
            .by_name()
            .into_iter()
            .map(|(name, n)| n.saturating_mul(self.column_copies(&name)))
            .fold(0u64, u64::saturating_add);
        let own = u64::from(self.size(expr).gathered);
        through_names.max(own).min(MAX_COPIES)
    }

    /// The copies of gathered values the column `name` carries: one at
    /// least when it is gathered.
    pub(super) fn column_copies(&self, name: &str) -> u64 {
        self.columns.get(&key(name)).map_or(0, |c| {
            if c.gathered {
                c.copies.max(1)
            } else {
                c.copies
            }
        })
    }

    /// The most a scalar subquery's value can hold.
    pub(super) fn subquery(&self, query: &Query) -> Size {
        self.body(&query.body)
            .into_iter()
            .map(|(_, s)| s)
            .fold(Size::default(), Size::max)
    }

    /// A column read by `name`, under `qualifier` when written `q.name`.
    pub(super) fn column(&self, qualifier: Option<&str>, name: &str) -> Size {
        let name = key(name);
        if let Some(own) = &self.own
            && own.columns.contains(&name)
            && qualifier.is_none_or(|q| own.qualifiers.contains(&key(q)))
        {
            return Size {
                own: 1,
                ..Size::default()
            };
        }
        // The step's whole row as a value (`row_to_json(r)`, `r::text`):
        // every column of it, quoted and escaped as a row is written, so
        // more than its own value (re-encoded at every step).
        if let Some(own) = &self.own
            && qualifier.is_none()
            && own.qualifiers.contains(&name)
        {
            return Size {
                own: 2,
                ..Size::default()
            };
        }
        self.columns.get(&name).copied().unwrap_or_default().read()
    }

    /// The most characters `expr` can hold that the statement built.
    pub(super) fn size(&self, expr: &Expr) -> Size {
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

    pub(super) fn measure(&self, expr: &Expr) -> Size {
        match expr {
            Expr::Identifier(i) => self.column(None, &i.value),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [.., qualifier, column] => self.column(Some(&qualifier.value), &column.value),
                [column] => self.column(None, &column.value),
                [] => Size::default(),
            },
            Expr::Value(v) => Size {
                chars: literal_chars(&v.value),
                digits: literal_digits(&v.value),
                ..Size::default()
            },
            Expr::TypedString(t) => Size {
                chars: literal_chars(&t.value.value)
                    .max(bounds::padded_length(&t.data_type).unwrap_or(0))
                    .min(HUGE),
                digits: literal_digits(&t.value.value),
                ..Size::default()
            },
            // A text read as a number brings a digit a character.
            Expr::Cast {
                expr, data_type, ..
            } => self.cast(expr, data_type),
            Expr::UnaryOp { expr, .. } => self.size(expr).number(0),
            Expr::BinaryOp { left, op, right } if arithmetic(op) => {
                self.arithmetic(left, op, right)
            }
            // A part of a value holds at most the value: an element of an
            // array (`(ARRAY[s || s])[1]`), a field, a member of a JSON
            // document (`doc ->> 'k'`).
            Expr::Nested(e)
            | Expr::Collate { expr: e, .. }
            | Expr::Substring { expr: e, .. }
            | Expr::Trim { expr: e, .. }
            | Expr::JsonAccess { value: e, .. }
            | Expr::CompoundFieldAccess { root: e, .. }
            | Expr::BinaryOp {
                left: e,
                op:
                    BinaryOperator::Arrow
                    | BinaryOperator::LongArrow
                    | BinaryOperator::HashArrow
                    | BinaryOperator::HashLongArrow,
                ..
            } => self.size(e),
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
            // Side by side: their characters add up, each number keeps its
            // own digits.
            Expr::Array(array) => array
                .elem
                .iter()
                .map(|e| self.size(e))
                .fold(Size::default(), Size::beside),
            Expr::Tuple(items) => items
                .iter()
                .map(|e| self.size(e))
                .fold(Size::default(), Size::beside),
            Expr::Subquery(q) => self.scalar_subquery(q),
            Expr::Function(f) => {
                bounds::called(expr).map_or(Size::default(), |name| self.function(&name, f))
            }
            // Oracle's `PRIOR s` and `s (+)` are the value itself.
            Expr::Prior(e) | Expr::OuterJoin(e) => self.size(e),
            // Truths, positions, parts of dates, intervals: nothing built
            // that grows.
            e if super::super::copies::answers(e) => Size::default(),
            Expr::Interval(_) | Expr::Wildcard(_) | Expr::QualifiedWildcard(..) => Size::default(),
            // A rounding keeps its operand's digits.
            Expr::Ceil { expr, .. } | Expr::Floor { expr, .. } => self.size(expr).number(0),
            // Any other kind: as large as the largest value in it, so that a
            // kind this measure does not know yet can never make a value
            // built in it look small.
            _ => self.largest_inside(expr),
        }
    }

    /// A cast: what its value holds, padded to a `char(n)`'s length, its
    /// digits those of a text read as a number, cut to the precision asked.
    fn cast(&self, expr: &Expr, data_type: &DataType) -> Size {
        // Written as text (`ARRAY[s]::text`), an array or a row
        // quotes its members and escapes their quotes.
        let inner = match expr {
            Expr::Array(_) | Expr::Tuple(_) => own_quoted(self.size(expr)),
            _ => self.size(expr),
        };
        let digits = match data_type {
            // A text gathered from rows may be a number of any
            // length; a scale is written out in full
            // (`numeric(1000, 999)` makes 1.5 a thousand digits).
            DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => {
                let digits = if inner.gathered {
                    HUGE
                } else {
                    inner.digits.max(inner.chars)
                };
                match info {
                    ExactNumberInfo::Precision(p) => digits.min(*p),
                    ExactNumberInfo::PrecisionAndScale(p, s) => {
                        digits.min(*p).max(u64::try_from(*s).unwrap_or(0))
                    }
                    ExactNumberInfo::None => digits,
                }
            }
            _ => inner.digits,
        };
        // `char(n)` pads to `n` (each element of an array of them).
        let chars = match bounds::padded_length(data_type) {
            Some(n) if matches!(data_type, DataType::Array(_)) => {
                let elements = match expr {
                    Expr::Array(array) => array.elem.len() as u64,
                    _ => HUGE,
                };
                inner.chars.max(n.saturating_mul(elements)).min(HUGE)
            }
            Some(n) => inner.chars.max(n).min(HUGE),
            None => inner.chars,
        };
        Size {
            chars,
            digits,
            ..inner
        }
    }

    /// Arithmetic: the digits of both sides (more for a quotient, a power's
    /// for `^`), and whether a recursion's own number compounds or squares
    /// through it.
    fn arithmetic(&self, left: &Expr, op: &BinaryOperator, right: &Expr) -> Size {
        // A quotient is given a scale of its own, at least sixteen
        // digits past its first (PostgreSQL's `select_div_scale`).
        let more = if matches!(op, BinaryOperator::Divide) {
            20
        } else {
            0
        };
        // A power written out has as many digits as its base's
        // times the exponent (`9.0 ^ 1000` is a number of 955
        // digits, `1 / 9.0 ^ 1000` a scale of 972).
        let power = if matches!(op, BinaryOperator::PGExp) {
            power_exponent(right)
        } else {
            None
        };
        let right_expr = right;
        let (left, right) = (self.size(left), self.size(right));
        let compounded = self.own.is_some() && left.compounds(op, right);
        let own = |s: Size| s.own > 0 || s.from_own;
        let squared = self.own.is_some()
            && own(left)
            && match op {
                BinaryOperator::Multiply => own(right),
                BinaryOperator::PGExp => power_exponent(right_expr).is_none_or(|n| n >= 2),
                _ => false,
            };
        let number = match power {
            Some(n) => Size {
                digits: left.digits.max(1).saturating_mul(n).min(HUGE),
                ..left.plus(right)
            }
            .number(0),
            None => left.plus(right).number(more),
        };
        Size {
            compounded: number.compounded || compounded,
            squared: number.squared || squared,
            ..number
        }
    }

    /// A subquery read as one value: the most it can hold, twice the step's
    /// own value at least when it gathers rows built of it.
    fn scalar_subquery(&self, q: &Query) -> Size {
        let size = self.subquery(q);
        // A step that gathers rows built of its own value (`SELECT
        // string_agg(x, '') FROM (VALUES (s), (s)) v(x)`) holds it
        // as many times as there are rows: twice at least.
        match &self.own {
            Some(own) if gathers_own(q, own) => Size {
                own: size.own.max(2),
                ..size
            },
            _ => size,
        }
    }

    /// A call of `name` (folded by [`bounds::called`]): what it builds (see
    /// [`Self::call`]) and the digits it carries, and what the step's own
    /// value becomes through it in a recursion (gathered, compounded,
    /// squared).
    fn function(&self, name: &str, f: &Function) -> Size {
        // `mode() WITHIN GROUP (ORDER BY t)` returns one of the
        // values it orders.
        let built = f
            .within_group
            .iter()
            .map(|o| self.size(&o.expr))
            .fold(self.call(name, f), Size::max);
        let given = arguments(f)
            .into_iter()
            .map(|e| self.size(e))
            .fold(Size::default(), Size::plus);
        // A logarithm, a root or a power of the step's own value
        // in a recursion compounds as a product does; any number
        // computed from a compounded one carries its digits.
        let compounded = given.compounded
            || (self.own.is_some() && (given.from_own || given.own > 0) && computes_digits(name));
        // `power(n, 2)` of the step's own number squares it.
        let squared = given.squared
            || (self.own.is_some()
                && matches!(name, "power" | "pow")
                && arguments(f).first().is_some_and(|base| {
                    let base = self.size(base);
                    base.own > 0 || base.from_own
                })
                && arguments(f)
                    .get(1)
                    .is_none_or(|e| power_exponent(e).is_none_or(|n| n >= 2)));
        // Gathered from rows (`string_agg(x, '')` over `VALUES (s),
        // (s)`, `ARRAY(SELECT s FROM …)`), the step's own value is
        // held as many times as there are rows: twice at least.
        let of_rows = match &f.args {
            FunctionArguments::Subquery(q) => self.subquery(q).own,
            _ => 0,
        };
        let own = if bounds::gathers(name) && (built.own > 0 || given.own > 0 || of_rows > 0) {
            built.own.max(given.own).max(of_rows).max(2)
        } else {
            built.own
        };
        Size {
            digits: self.digits_of_call(name, f),
            own,
            gathered: built.gathered || bounds::gathers(name),
            structured: built.structured || bounds::gathers_structure(name),
            from_own: built.from_own || given.from_own || given.own > 0,
            compounded,
            squared: built.squared || squared,
            ..built
        }
    }

    /// Any other kind of expression: as large as the largest value directly
    /// inside it (see [`Largest`]).
    fn largest_inside(&self, expr: &Expr) -> Size {
        let mut largest = Largest {
            sizes: self,
            depth: 0,
            size: Size::default(),
        };
        let _ = expr.visit(&mut largest);
        largest.size
    }

    /// `format(pattern, …)` and `printf`: each conversion as wide as its
    /// width or its argument, whichever is wider; an argument written as
    /// many times as conversions name it.
    fn formatted(&self, args: &[&Expr]) -> Size {
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

    /// The digits a call's numeric result may carry: those of its
    /// arguments; a rounding to a scale, that scale (any, when it is
    /// computed); a text read as a number, a digit a character; a result
    /// computed to a scale of its own (a logarithm, a root, a mean), some
    /// twenty more.
    pub(super) fn digits_of_call(&self, name: &str, f: &Function) -> u64 {
        let args = arguments(f);
        let all = args
            .iter()
            .map(|e| self.size(e).digits)
            .fold(0u64, |a, b| a.saturating_add(b));
        let most = args.iter().map(|e| self.size(e).digits).max().unwrap_or(0);
        let digits = match name {
            // A rounding's places are written out, at most
            // `bounds::MAX_ROUNDING_SCALE` on PostgreSQL (the walk refuses
            // more); a negative one or a date's unit (`'MM'`) adds none.
            "round" | "trunc" => match args.get(1) {
                Some(scale) => {
                    let scale = match scale {
                        Expr::UnaryOp { .. } => 0,
                        Expr::Value(_) => integer(scale).unwrap_or(0).min(2_000),
                        _ => 2_000,
                    };
                    all.saturating_add(scale)
                }
                None => all,
            },
            "to_number" | "numeric" | "decimal" => args
                .first()
                .map(|e| {
                    let size = self.size(e);
                    if size.gathered {
                        HUGE
                    } else {
                        size.digits.max(size.chars)
                    }
                })
                .unwrap_or(0),
            // A power of an exponent written out: the base's digits that
            // many times (see `Sizes::size` for `^`).
            "power" | "pow" => match (args.first(), args.get(1).and_then(|e| power_exponent(e))) {
                (Some(base), Some(n)) => self
                    .size(base)
                    .digits
                    .max(1)
                    .saturating_mul(n)
                    .saturating_add(20),
                _ => all.saturating_add(20),
            },
            _ if computes_digits(name) || matches!(name, "avg" | "div") => all.saturating_add(20),
            // Any other call keeps a number of its arguments (`greatest`,
            // `coalesce`, `sum`) or none.
            _ => most,
        };
        digits.min(HUGE)
    }

    /// A call of `name` (folded by [`bounds::called`]).
    pub(super) fn call(&self, name: &str, f: &Function) -> Size {
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
            _ if bounded(name) => Size::default(),
            // A value read from the table is at least a character: its
            // repetitions are built.
            "repeat" => repeated(at(0), count(1)),
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
            // Every piece brings the separator, and every null the text for
            // a null: an array split from a text has at most a piece a
            // character and one more, an array written out a piece an
            // element (`string_to_array(repeat(',', 4999), ',', '')` is
            // 5,000 nulls).
            "array_to_string" => {
                let pieces = at(0)
                    .chars
                    .saturating_add(1)
                    .saturating_add(args.first().map_or(0, |e| elements(e)));
                at(0).plus(at(1).plus(at(2)).times(pieces))
            }
            // The separator goes between every two of the others.
            "concat_ws" => {
                let between = args.len().saturating_sub(2).max(1) as u64;
                args.iter()
                    .skip(1)
                    .map(|e| self.size(e))
                    .fold(at(0).times(between), Size::plus)
            }
            // Each conversion is as wide as its width or its argument,
            // whichever is wider: at least the larger of the two sums, at
            // most twice it.
            "format" | "printf" => self.formatted(&args),
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

/// `repeat(input, count)`: the input (a character at least) `count`
/// times, or as many times as a built text may hold when the count is not
/// written.
fn repeated(input: Size, count: Option<u64>) -> Size {
    let input = Size {
        chars: input.chars.max(1),
        ..input
    };
    input.times(count.unwrap_or(u64::try_from(MAX_BUILT_CHARS).unwrap_or(HUGE)))
}

/// The largest of the values directly inside an expression (see
/// [`Sizes::measure`]).
struct Largest<'s> {
    sizes: &'s Sizes,
    depth: usize,
    size: Size,
}

impl Visitor for Largest<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        self.depth += 1;
        if self.depth == 2 {
            self.size = self.size.max(self.sizes.size(expr));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}
