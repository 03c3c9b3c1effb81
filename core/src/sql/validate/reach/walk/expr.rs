//! The walk over expressions: one exhaustive match over sqlparser's
//! `Expr`, kind by kind (about 70 variants, each named, none passing by
//! default); the calls it meets are judged in `calls`, the operators,
//! literals and types in `atoms`.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CaseWhen, CastFormat, CeilFloorKind, DataType, Expr, Ident,
    ObjectName, Query, Subscript, TypedString, UnaryOperator, Value,
};

use crate::sql::Dialect;
use crate::sql::validate::syntax::{called, integer_type};
use crate::sql::validate::{Foreign, Refusal, Unreadable};

use super::{Judged, Walker, construct, foreign, short, unnested, unverifiable};

use super::atoms::builds_tsquery;

impl Walker<'_> {
    pub(super) fn walk_exprs(&mut self, exprs: &[Expr]) -> Judged {
        for e in exprs {
            self.walk_expr(e)?;
        }
        Ok(())
    }

    pub(super) fn walk_expr(&mut self, expr: &Expr) -> Judged {
        self.deeper()?;
        self.note(|w| w.expr_entered(expr));
        self.expr(expr)?;
        self.note(|w| w.expr_left());
        self.depth -= 1;
        Ok(())
    }

    /// Judges an expression by its kind: a match over every kind, each
    /// arm the rule of its own kind (or of a group that shares one).
    pub(super) fn expr(&mut self, expr: &Expr) -> Judged {
        match expr {
            Expr::Identifier(ident) => self.identifier(ident),
            Expr::CompoundIdentifier(idents) => self.column_reference(idents),
            Expr::CompoundFieldAccess { root, access_chain } => {
                self.field_access(root, access_chain)
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
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => self.walk_both(a, b),
            Expr::InList { expr, list, .. } => self.in_list(expr, list),
            Expr::InSubquery { expr, subquery, .. } => self.in_subquery(expr, subquery),
            Expr::InUnnest {
                expr, array_expr, ..
            } => self.walk_both(expr, array_expr),
            Expr::Between {
                expr, low, high, ..
            } => self.between(expr, low, high),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::AtAt,
                right,
            } => self.text_search(left, right),
            Expr::BinaryOp { left, op, right } => self.binary_op(left, op, right),
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
            } => self.like(expr, pattern, escape_char.as_deref()),
            Expr::SimilarTo {
                expr,
                pattern,
                escape_char,
                ..
            } => self.similar_to(expr, pattern, escape_char.as_deref()),
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
            } => self.any_or_all(left, compare_op, right),
            Expr::UnaryOp { op, expr } => self.unary_op(op, expr),
            Expr::Cast {
                kind: _,
                expr,
                data_type,
                format,
            } => self.cast(expr, data_type, format.as_ref()),
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => self.at_time_zone(timestamp, time_zone),
            Expr::Extract { expr, .. } => self.walk_expr(expr),
            Expr::Ceil { expr, field } | Expr::Floor { expr, field } => {
                self.ceil_floor(expr, field)
            }
            Expr::Position { expr, r#in } => self.position(expr, r#in),
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => self.substring(expr, substring_from.as_deref(), substring_for.as_deref()),
            Expr::Trim {
                expr,
                trim_what,
                trim_characters,
                ..
            } => self.trim(expr, trim_what.as_deref(), trim_characters.as_deref()),
            Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => self.overlay(expr, overlay_what, overlay_from, overlay_for.as_deref()),
            Expr::Collate { expr, collation } => self.collate(expr, collation),
            Expr::Value(v) => Self::literal(&v.value),
            Expr::TypedString(typed) => self.typed_string(typed),
            Expr::Function(function) => self.function(function),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(operand.as_deref(), conditions, else_result.as_deref()),
            Expr::Exists { subquery, .. } => self.exists(subquery),
            Expr::Subquery(subquery) => self.scalar_subquery(subquery),
            Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                self.grouping_sets(sets)
            }
            Expr::Tuple(exprs) => self.walk_exprs(exprs),
            Expr::Array(array) => self.walk_exprs(&array.elem),
            Expr::Interval(interval) => self.walk_expr(&interval.value),
            Expr::Wildcard(_) => self.wildcard(),
            Expr::QualifiedWildcard(name, _) => self.reach_wildcard_of(name),
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

    /// Walks two expressions, in order.
    fn walk_both(&mut self, a: &Expr, b: &Expr) -> Judged {
        self.walk_expr(a)?;
        self.walk_expr(b)
    }

    /// A name written alone: a column, or a function called without
    /// parentheses (see [`Self::bare_name`]); never a database link
    /// (`name@link`).
    fn identifier(&mut self, ident: &Ident) -> Judged {
        if ident.value.contains('@') {
            return Err(Refusal::DatabaseLink(ident.value.clone()));
        }
        self.bare_name(ident)
    }

    /// A field or an element of a value (`(row).field`, `array[1]`,
    /// `p.tags[1]`), never a function call in disguise.
    fn field_access(&mut self, root: &Expr, access_chain: &[AccessExpr]) -> Judged {
        // `(row).field` and `array[1]`; never a method call on a
        // function's result (`httpuritype(…).getclob()`).
        if matches!(root, Expr::Function(_)) {
            return Err(unverifiable(Unreadable::MethodCall(root.to_string())));
        }
        // `p.tags[1]`: the parser puts a qualified column's name in
        // the chain; it is judged as the column reference it is
        // (`p` a relation the query reads, never a function).
        let names: Vec<Ident> = access_chain
            .iter()
            .map_while(|access| match access {
                AccessExpr::Dot(Expr::Identifier(name)) => Some(name.clone()),
                _ => None,
            })
            .collect();
        let rest = match root {
            Expr::Identifier(first) if !names.is_empty() && names.len() < access_chain.len() => {
                let column: Vec<Ident> = std::iter::once(first.clone())
                    .chain(names.iter().cloned())
                    .collect();
                self.column_reference(&column)?;
                &access_chain[names.len()..]
            }
            _ => {
                self.walk_expr(root)?;
                access_chain
            }
        };
        for access in rest {
            match access {
                // PostgreSQL reads `(x).name` as `name(x)` when x
                // has no such field: a function call in disguise.
                AccessExpr::Dot(other) => {
                    return Err(unverifiable(Unreadable::Access(other.to_string())));
                }
                AccessExpr::Subscript(Subscript::Index { index }) => self.walk_expr(index)?,
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

    /// `x IN (a, b, …)`: the value, then the list, walked.
    fn in_list(&mut self, expr: &Expr, list: &[Expr]) -> Judged {
        self.walk_expr(expr)?;
        self.walk_exprs(list)
    }

    /// `x IN (SELECT …)`: the subquery is told of as tested (see
    /// [`Watch`](super::Watch)), then the value and the subquery walked.
    fn in_subquery(&mut self, expr: &Expr, subquery: &Query) -> Judged {
        self.note(|w| w.subquery_tested());
        self.walk_expr(expr)?;
        self.walk_query(subquery)
    }

    /// `x BETWEEN low AND high`: each walked, in order.
    fn between(&mut self, expr: &Expr, low: &Expr, high: &Expr) -> Judged {
        self.walk_expr(expr)?;
        self.walk_expr(low)?;
        self.walk_expr(high)
    }

    /// A text search (`to_tsvector('french', nom) @@
    /// plainto_tsquery('french', 'facture')`): on PostgreSQL only, and only
    /// against a query built by a text-search call, so that `@@` is never
    /// the JSON path match (a path is a small language of its own, with
    /// regular expressions).
    fn text_search(&mut self, left: &Expr, right: &Expr) -> Judged {
        if self.dialect() != Dialect::Postgres || !builds_tsquery(right) {
            return Err(unverifiable(Unreadable::FullTextSearch));
        }
        self.walk_expr(left)?;
        self.walk_expr(right)
    }

    /// An operator of the allow-list between two values; the watchers are
    /// told of a `GLOB` or `LIKE` pattern and of a regular expression.
    fn binary_op(&mut self, left: &Expr, op: &BinaryOperator, right: &Expr) -> Judged {
        Self::operator(op)?;
        if *op == BinaryOperator::Glob {
            self.tell(|w| w.pattern("GLOB", right, left))?;
        }
        if matches!(
            op,
            BinaryOperator::PGRegexMatch
                | BinaryOperator::PGRegexIMatch
                | BinaryOperator::PGRegexNotMatch
                | BinaryOperator::PGRegexNotIMatch
        ) {
            self.tell(|w| w.regex(&op.to_string(), right))?;
        }
        if matches!(
            op,
            BinaryOperator::PGLikeMatch
                | BinaryOperator::PGILikeMatch
                | BinaryOperator::PGNotLikeMatch
                | BinaryOperator::PGNotILikeMatch
        ) {
            self.tell(|w| w.pattern("LIKE", right, left))?;
        }
        self.walk_expr(left)?;
        self.walk_expr(right)
    }

    /// `LIKE`, `ILIKE` and `SIMILAR TO`: the watchers are told of the
    /// pattern, then the value, the pattern and the escape walked.
    fn like(&mut self, expr: &Expr, pattern: &Expr, escape_char: Option<&Expr>) -> Judged {
        self.tell(|w| w.pattern("LIKE", pattern, expr))?;
        self.walk_expr(expr)?;
        self.walk_expr(pattern)?;
        if let Some(e) = escape_char {
            self.walk_expr(e)?;
        }
        Ok(())
    }

    /// `SIMILAR TO`: its pattern told of as a regular expression, then
    /// judged as `LIKE` is.
    fn similar_to(&mut self, expr: &Expr, pattern: &Expr, escape_char: Option<&Expr>) -> Judged {
        // PostgreSQL turns a SIMILAR TO pattern into a regular expression
        // (`%` into `.*`, `_` into `.`) and compiles it as `~` would, at
        // the offer's EXPLAIN too.
        self.tell(|w| w.regex("SIMILAR TO", pattern))?;
        self.like(expr, pattern, escape_char)
    }

    /// `x op ANY (…)` and `x op ALL (…)`: an operator of the allow-list,
    /// and each regular expression told of as `~` tells of one.
    fn any_or_all(&mut self, left: &Expr, compare_op: &BinaryOperator, right: &Expr) -> Judged {
        Self::operator(compare_op)?;
        if matches!(right, Expr::Subquery(_)) {
            self.note(|w| w.subquery_tested());
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
                        self.tell(|w| w.regex(&operator, pattern))?;
                    }
                }
                other => self.tell(|w| w.regex(&operator, other))?,
            }
        }
        self.walk_expr(left)?;
        self.walk_expr(right)
    }

    /// A unary operator: the arithmetic ones and `NOT` pass, the text
    /// search, JSON and geometry ones are refused.
    fn unary_op(&mut self, op: &UnaryOperator, expr: &Expr) -> Judged {
        match op {
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
        }
    }

    /// A cast: to a type of the allow-list, its format a literal; the
    /// watchers are told of the conversion.
    fn cast(&mut self, expr: &Expr, data_type: &DataType, format: Option<&CastFormat>) -> Judged {
        self.data_type(data_type)?;
        self.note(|w| w.converted(expr, Some(data_type)));
        if let Some(format) = format {
            match format {
                CastFormat::Value(v) => Self::literal(&v.value)?,
                CastFormat::ValueAtTimeZone(a, b) => {
                    Self::literal(&a.value)?;
                    Self::literal(&b.value)?;
                }
            }
        }
        self.walk_expr(expr)
    }

    /// `x AT TIME ZONE zone`: the watchers are told of the zone as a
    /// conversion.
    fn at_time_zone(&mut self, timestamp: &Expr, time_zone: &Expr) -> Judged {
        self.note(|w| w.converted(time_zone, None));
        self.walk_expr(timestamp)?;
        self.walk_expr(time_zone)
    }

    /// `CEIL` and `FLOOR`: a scale, when written, is a literal.
    fn ceil_floor(&mut self, expr: &Expr, field: &CeilFloorKind) -> Judged {
        if let CeilFloorKind::Scale(v) = field {
            Self::literal(&v.value)?;
        }
        self.walk_expr(expr)
    }

    /// `POSITION(x IN y)`: the watchers are told of it.
    fn position(&mut self, expr: &Expr, r#in: &Expr) -> Judged {
        self.tell(|w| w.position(expr, r#in))?;
        self.walk_expr(expr)?;
        self.walk_expr(r#in)
    }

    /// `SUBSTRING(x FROM start FOR length)`: a start that may be a text is
    /// told of as a regular expression, on PostgreSQL.
    fn substring(
        &mut self,
        expr: &Expr,
        substring_from: Option<&Expr>,
        substring_for: Option<&Expr>,
    ) -> Judged {
        // PostgreSQL reads a text where the start should be as a
        // regular expression (`substring(x FROM '^(a*)\1$')`, or
        // `substring(x, …)`), folded by the planner at the offer:
        // judged as `~` judges its pattern.
        if self.dialect() == Dialect::Postgres
            && let Some(from) = substring_from
            && !positional(from)
        {
            self.tell(|w| w.regex("substring", from))?;
        }
        self.walk_expr(expr)?;
        for e in [substring_from, substring_for].into_iter().flatten() {
            self.walk_expr(e)?;
        }
        Ok(())
    }

    /// `TRIM`: the watchers are told of what it trims as a pattern.
    fn trim(
        &mut self,
        expr: &Expr,
        trim_what: Option<&Expr>,
        trim_characters: Option<&[Expr]>,
    ) -> Judged {
        self.walk_expr(expr)?;
        if let Some(e) = trim_what {
            self.tell(|w| w.pattern("TRIM", e, expr))?;
            self.walk_expr(e)?;
        }
        if let Some(chars) = trim_characters {
            for e in chars {
                self.tell(|w| w.pattern("TRIM", e, expr))?;
            }
            self.walk_exprs(chars)?;
        }
        Ok(())
    }

    /// `OVERLAY(x PLACING y FROM n FOR m)`: each part walked, in order.
    fn overlay(
        &mut self,
        expr: &Expr,
        overlay_what: &Expr,
        overlay_from: &Expr,
        overlay_for: Option<&Expr>,
    ) -> Judged {
        self.walk_expr(expr)?;
        self.walk_expr(overlay_what)?;
        self.walk_expr(overlay_from)?;
        if let Some(e) = overlay_for {
            self.walk_expr(e)?;
        }
        Ok(())
    }

    /// `x COLLATE name`: never a collation of another schema.
    fn collate(&mut self, expr: &Expr, collation: &ObjectName) -> Judged {
        // A collation of another schema: whether the schema exists
        // shows in the planner's error, at the offer already.
        if collation.0.len() != 1 {
            return Err(unverifiable(Unreadable::QualifiedSetting(
                collation.to_string(),
            )));
        }
        self.walk_expr(expr)
    }

    /// `DATE '…'` and the like: a type of the allow-list and a literal,
    /// never ODBC's `{d …}`.
    fn typed_string(&mut self, typed: &TypedString) -> Judged {
        self.data_type(&typed.data_type)?;
        if typed.uses_odbc_syntax {
            return Err(construct("{d …} / {ts …}"));
        }
        Self::literal(&typed.value.value)
    }

    /// `CASE`: each part walked, in order.
    fn case(
        &mut self,
        operand: Option<&Expr>,
        conditions: &[CaseWhen],
        else_result: Option<&Expr>,
    ) -> Judged {
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

    /// `EXISTS (…)`: the subquery is told of as tested, then walked.
    fn exists(&mut self, subquery: &Query) -> Judged {
        self.note(|w| w.subquery_tested());
        self.walk_query(subquery)
    }

    /// A subquery read as one value: walked, then its order judged (see
    /// [`Self::order_of_scalar_subquery`]).
    fn scalar_subquery(&mut self, subquery: &Query) -> Judged {
        self.walk_query(subquery)?;
        self.order_of_scalar_subquery();
        Ok(())
    }

    /// `*`: it reads every column of every relation of the SELECT being
    /// walked.
    fn wildcard(&mut self) -> Judged {
        self.reach_all_in_scope();
        Ok(())
    }

    /// `GROUPING SETS`, `CUBE` and `ROLLUP`: each set walked.
    fn grouping_sets(&mut self, sets: &[Vec<Expr>]) -> Judged {
        for set in sets {
            self.walk_exprs(set)?;
        }
        Ok(())
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
        Expr::Cast { data_type, .. } => integer_type(data_type),
        Expr::Function(_) => called(expr).is_some_and(|name| {
            matches!(
                name.as_str(),
                "strpos" | "length" | "char_length" | "character_length" | "octet_length"
            )
        }),
        _ => false,
    }
}
