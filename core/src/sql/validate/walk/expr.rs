//! The walk over expressions: one exhaustive match over sqlparser's
//! `Expr`, kind by kind (about 70 variants, each named, none passing by
//! default), with the calls, operators, literals and types it allows.

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CaseWhen, CeilFloorKind, DataType, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause, FunctionArguments, Ident,
    ListAggOnOverflow, Subscript, UnaryOperator, Value, WindowFrameBound, WindowSpec, WindowType,
};

use super::super::super::Dialect;
use super::super::{Excess, Foreign, Refusal, Unreadable, bounds, copies, functions};

use super::{
    Judged, Walker, construct, foreign, repeated_value, short, unnested, unverifiable, written_text,
};

impl Walker<'_> {
    pub(super) fn walk_exprs(&mut self, exprs: &[Expr]) -> Judged {
        for e in exprs {
            self.walk_expr(e)?;
        }
        Ok(())
    }

    pub(super) fn walk_expr(&mut self, expr: &Expr) -> Judged {
        self.deeper()?;
        if self.expr_depth == 0 {
            let bag = copies::of(expr);
            self.select_peak = self.select_peak.max(bag.peak());
            // Everything a row computes lives until the row is done.
            self.select_working = self.select_working.saturating_add(bag.working());
            self.select_reads = self.select_reads.saturating_add(bag.reads());
            self.select_rebuilds = self.select_rebuilds.saturating_add(copies::rebuilds(expr));
        }
        // A column written out whole as text (`j::text`, `concat(j)`).
        for written in self.written_in(expr) {
            self.parsed.written.insert(written);
        }
        self.expr_depth += 1;
        let result = self.expr(expr);
        self.expr_depth -= 1;
        self.depth -= 1;
        result
    }

    pub(super) fn expr(&mut self, expr: &Expr) -> Judged {
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
                let rest = match root.as_ref() {
                    Expr::Identifier(first)
                        if !names.is_empty() && names.len() < access_chain.len() =>
                    {
                        let column: Vec<Ident> = std::iter::once(first.clone())
                            .chain(names.iter().cloned())
                            .collect();
                        self.column_reference(&column)?;
                        &access_chain[names.len()..]
                    }
                    _ => {
                        self.walk_expr(root)?;
                        &access_chain[..]
                    }
                };
                for access in rest {
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
    pub(super) fn copies_of(&self, text: &Expr) -> usize {
        let held = copies::of(text).most().0.max(1);
        usize::try_from(held.saturating_mul(self.read_copies)).unwrap_or(usize::MAX)
    }

    /// [`Self::copies_of`] the text a call searches: its first argument, or
    /// the second of SQLite's `like(pattern, text)` and `glob(pattern,
    /// text)`.
    pub(super) fn searched_copies(&self, called: &str, args: &[FunctionArg]) -> usize {
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
    pub(super) fn text_search_configuration(&self, called: &str, args: &[FunctionArg]) -> Judged {
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
    pub(super) fn kept_rows(&mut self, item: &Expr) {
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
    pub(super) fn written_format(&self, called: &str, args: &[FunctionArg]) -> Judged {
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
    pub(super) fn written_query(called: &str, args: &[FunctionArg]) -> Judged {
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
    pub(super) fn rounding_scale(&self, called: &str, args: &[FunctionArg]) -> Judged {
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
    pub(super) fn search_pattern(&mut self, what: &str, pattern: &Expr, text: &Expr) -> Judged {
        let searched = bounds::judge_pattern(self.dialect(), what, pattern)?
            .saturating_mul(self.copies_of(text));
        bounds::add_needles(self.dialect(), &mut self.needles, searched)
    }

    /// A name alone is a column, except where the database calls a function
    /// written without parentheses: Oracle's DBMS_STANDARD event functions
    /// (`ora_database_name`, `login_user`, …) and PostgreSQL's SQL-standard
    /// session functions (`system_user`, `current_user`, …), which tell about
    /// the server and the session rather than the data.
    pub(super) fn bare_name(&mut self, ident: &Ident) -> Judged {
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
    pub(super) fn column_reference(&mut self, idents: &[Ident]) -> Judged {
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

    pub(super) fn function(&mut self, function: &Function) -> Judged {
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
        // A sum or an average of numbers the statement computes keeps a
        // number as long as they may grow to (`sum(x * 10 ^ 1000)`, a group
        // made on a zero): any call but a count given more than a column or
        // a value written out counts as keeping, as the groups were weighed
        // before (a count of a recursion's rows by level keeps nothing).
        let computes = called != "count"
            && match args {
                FunctionArguments::List(list) => list
                    .args
                    .iter()
                    .filter_map(bounds::argument)
                    .any(|e| !plain(e)),
                FunctionArguments::Subquery(_) => true,
                FunctionArguments::None => false,
            };
        self.groups_keep_values |= (keeps || computes) && over.is_none();
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

    pub(super) fn walk_function_arg(&mut self, arg: &FunctionArg) -> Judged {
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

    pub(super) fn walk_window_spec(&mut self, spec: &WindowSpec) -> Judged {
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

    pub(super) fn operator(op: &BinaryOperator) -> Judged {
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
    pub(super) fn literal(value: &Value) -> Judged {
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
    pub(super) fn data_type(data_type: &DataType) -> Judged {
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

/// A column as it is, or a value written out.
fn plain(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => plain(inner),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => true,
        e => bounds::written_out(e),
    }
}
