//! The walk over calls: each function judged against the allow-list, then
//! its arguments, window and clauses walked.

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause,
    FunctionArguments, ListAggOnOverflow, ObjectName, Value, WindowFrameBound, WindowSpec,
    WindowType,
};

use crate::sql::Dialect;
use crate::sql::validate::syntax::argument;
use crate::sql::validate::{Foreign, Refusal, Unreadable, functions};

use super::{Judged, Walker, construct, foreign, short, unverifiable};

impl Walker<'_> {
    /// PostgreSQL's text-search calls read a text written first as the name
    /// of a configuration (`to_tsvector('french', nom)`): one name alone,
    /// found on the search path. `'hr.cfg'` would name a schema, and the
    /// planner's error would say whether it exists, at the offer's EXPLAIN;
    /// anything but a name written out (a number, `id + 3747`, a column,
    /// a text of digits alone, `'39258'`) is read as the configuration's
    /// number, which picks one of any schema, and the error on a number
    /// that is none tells which are.
    pub(super) fn text_search_configuration(&self, called: &str, args: &[FunctionArg]) -> Judged {
        let configured = functions::spec(called).is_some_and(|f| f.searches_words);
        if self.dialect() != Dialect::Postgres || !configured || args.len() < 2 {
            return Ok(());
        }
        let first = args.first().and_then(argument);
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

    /// A call: a function of the allow-list (or configured), called
    /// plainly; then its arguments, their clauses, its filter and its
    /// window walked.
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
        if let FunctionArguments::List(list) = args {
            Self::named_arguments(&called, &list.args)?;
            self.text_search_configuration(&called, &list.args)?;
        }
        self.tell(|w| w.call(&called, function))?;
        match args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(q) => self.walk_query(q)?,
            FunctionArguments::List(list) => {
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
                self.walk_argument_clauses(name, &list.clauses)?;
            }
        }
        self.walk_order_by(within_group)?;
        if let Some(e) = filter {
            self.walk_expr(e)?;
        }
        match over {
            None | Some(WindowType::NamedWindow(_)) => {}
            Some(WindowType::WindowSpec(spec)) => self.walk_window_spec(spec)?,
        }
        self.order_of_call(&called, function);
        Ok(())
    }

    /// Named notation (`make_interval(days => 3)`) is read for the
    /// functions that build a date or an interval from its parts, where a
    /// name only says which part: the bounds on what other functions build
    /// read arguments by position.
    fn named_arguments(called: &str, args: &[FunctionArg]) -> Judged {
        let named = args.iter().any(|a| {
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
        if named && !functions::NAMED_PARTS.contains(&called) {
            return Err(unverifiable(Unreadable::NamedArguments(called.to_owned())));
        }
        Ok(())
    }

    /// The clauses of a call's arguments (`ORDER BY`, `SEPARATOR`, `ON
    /// OVERFLOW`…) walked; never another dialect's `WHERE` or `HAVING`
    /// there.
    fn walk_argument_clauses(
        &mut self,
        name: &ObjectName,
        clauses: &[FunctionArgumentClause],
    ) -> Judged {
        for clause in clauses {
            match clause {
                FunctionArgumentClause::IgnoreOrRespectNulls(_)
                | FunctionArgumentClause::Separator(_)
                | FunctionArgumentClause::JsonNullClause(_) => {}
                FunctionArgumentClause::JsonReturningClause(returning) => {
                    self.data_type(&returning.data_type)?
                }
                FunctionArgumentClause::OrderBy(exprs) => self.walk_order_by(exprs)?,
                FunctionArgumentClause::Limit(e) => self.walk_expr(e)?,
                FunctionArgumentClause::OnOverflow(ListAggOnOverflow::Error) => {}
                FunctionArgumentClause::OnOverflow(ListAggOnOverflow::Truncate {
                    filler, ..
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
        Ok(())
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
