//! The walk over calls: each function judged against the allow-list and its
//! bounds (what it builds, searches or parses), its arguments, window and
//! the texts it reads as patterns, formats or queries.

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause,
    FunctionArguments, ListAggOnOverflow, Value, WindowFrameBound, WindowSpec, WindowType,
};

use super::super::super::Dialect;
use super::super::{Excess, Foreign, Refusal, Unreadable, bounds, copies, functions};

use super::{
    Judged, Walker, construct, foreign, repeated_value, short, unverifiable, written_text,
};

use super::atoms::plain;

impl Walker<'_> {
    /// How many copies of one value read a searched text holds, at least
    /// one: a search costs up to the text's length times what it looks for,
    /// so what it looks for counts once for each copy (`(x || x) LIKE '%…%'`
    /// searches the text twice over).
    /// A name may carry copies made in a CTE or a subquery (`x || x AS y`,
    /// then `y || y`): the text counts as many as any row read so far holds.
    pub(super) fn copies_of(&self, text: &Expr) -> usize {
        let held = copies::of(text).most().0.max(1);
        usize::try_from(held.saturating_mul(self.read_copies)).unwrap_or(usize::MAX)
    }

    /// [`Self::copies_of`] the text a call searches: its first argument
    /// (SQLite's `like(pattern, text)`, whose text comes second, is not
    /// bounded: its worker is killed inside a call).
    pub(super) fn searched_copies(&self, args: &[FunctionArg]) -> usize {
        args.first()
            .and_then(bounds::argument)
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
    /// (`Cost::repeats_unforeseen`): rows of one key each holding
    /// `(SELECT max(k.val) FROM kv k)`, hashed for a join, or a running
    /// `string_agg` hashed for `NOT IN`, hold far more than the plan shows.
    /// Joined instead (`CROSS JOIN (SELECT max(k.val) AS v FROM kv k) m`), the
    /// value is weighed.
    pub(super) fn kept_rows(&mut self, item: &Expr) {
        if self.dialect() == Dialect::Postgres && self.repeats_unforeseen.is_none() {
            self.repeats_unforeseen = repeated_value(item, true);
        }
    }

    /// PostgreSQL's and Oracle's formatting calls (`to_char(x, fmt)`,
    /// `to_number`, `to_date`, `to_timestamp`) read a format written out:
    /// one read from the data may be as long as a document, and the server
    /// takes some 27 times its length to read it, held until the row is
    /// done.
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
    /// length (`plainto_tsquery('simple', readings)` of a long value): the
    /// query is written out, as a person asks it.
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
    /// says, gathered or not.
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
                let searched = searched.saturating_mul(self.searched_copies(&list.args));
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
            FunctionArgExpr::QualifiedWildcard(name) => self.reach_wildcard_of(name),
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
}
