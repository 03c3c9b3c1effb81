//! What the walk tells the analyses that follow it: the single-call bounds
//! (`bounds`) and the cost (`cost`) watch the one walk instead of walking
//! the statement again, and the walk knows nothing of what they judge.
//!
//! Each event comes where the walk meets what it names, before the walk
//! goes inside it unless it says `left` or `walked`; an event that returns
//! a refusal ends the walk with it. A `left` event comes only when what it
//! closes was walked whole: after a refusal nobody reads a watcher again.

use sqlparser::ast::{
    Cte, DataType, Expr, Function, FunctionArg, Query, SelectItem, TableFactor, TableWithJoins,
    Values,
};

use crate::sql::validate::refusal::Refusal;

type Judged = Result<(), Refusal>;

/// What an analysis beside the walk hears of the statement. Every event
/// does nothing unless the analysis says otherwise.
pub(in crate::sql::validate) trait Watch {
    /// A query begins: the statement's own, a subquery's, a CTE's.
    fn query_entered(&mut self) {}
    fn query_left(&mut self) {}
    /// A query's CTEs and body begin (its scope is open).
    fn body_entered(&mut self, _query: &Query) {}
    fn body_left(&mut self) {}
    /// A CTE of the query is walked next; `id` names it for the whole
    /// statement (see [`Watch::cte_read`]).
    fn cte_entered(&mut self, _id: usize, _cte: &Cte, _recursive: bool) -> Judged {
        Ok(())
    }
    fn cte_left(&mut self, _id: usize, _cte: &Cte) -> Judged {
        Ok(())
    }
    /// The query's CTEs are walked; its body comes next.
    fn ctes_walked(&mut self) {}
    /// The CTE `id` is read in `FROM`.
    fn cte_read(&mut self, _id: usize) {}
    fn set_operation_entered(&mut self) {}
    fn set_operation_left(&mut self) {}
    /// A `VALUES` was walked, every row.
    fn values_walked(&mut self, _values: &Values) {}
    fn select_entered(&mut self) {}
    /// A SELECT's `FROM` is walked next.
    fn joins_entered(&mut self, _from: &[TableWithJoins]) -> Judged {
        Ok(())
    }
    fn joins_left(&mut self) {}
    /// A SELECT's projection was walked; `relations` is how many its
    /// `FROM` reads.
    fn projection_walked(&mut self, _projection: &[SelectItem], _relations: u64) -> Judged {
        Ok(())
    }
    /// A SELECT was walked whole, its query's `ORDER BY` and `LIMIT` too.
    fn select_left(&mut self) -> Judged {
        Ok(())
    }
    /// An expression of a SELECT's projection is walked next.
    fn select_item(&mut self, _expr: &Expr) {}
    /// A query's `LIMIT` (or `FETCH FIRST`, `share` for a percentage) and
    /// `OFFSET`.
    fn limited(&mut self, _count: Option<&Expr>, _offset: Option<&Expr>, _share: bool) {}
    /// A subquery in `FROM` (or a derived table) is walked next.
    fn derived_entered(&mut self) {}
    fn derived_left(&mut self, _lateral: bool) {}
    /// A relation in `FROM` is walked next.
    fn relation_entered(&mut self, _factor: &TableFactor) {}
    /// An alias renames a relation's columns (`docs AS d(i, t, b)`).
    fn columns_renamed(&mut self) {}
    /// An expression is walked next (every one, at every depth).
    fn expr_entered(&mut self, _expr: &Expr) {}
    fn expr_left(&mut self) {}
    /// A regular expression `pattern`, matched by `operator`.
    fn regex(&mut self, _operator: &str, _pattern: &Expr) -> Judged {
        Ok(())
    }
    /// A `LIKE`, `GLOB` or `TRIM` pattern applied to `text`.
    fn pattern(&mut self, _what: &str, _pattern: &Expr, _text: &Expr) -> Judged {
        Ok(())
    }
    /// `position(needle IN text)`.
    fn position(&mut self, _needle: &Expr, _text: &Expr) -> Judged {
        Ok(())
    }
    /// Values are tested against a subquery's rows (`IN (SELECT …)`, `=
    /// ANY (SELECT …)`, `EXISTS`).
    fn subquery_tested(&mut self) {}
    /// `expr` is cast to `data_type`, or read in a time zone (`None`).
    fn converted(&mut self, _expr: &Expr, _data_type: Option<&DataType>) {}
    /// A type written in the statement.
    fn data_type(&mut self, _data_type: &DataType) -> Judged {
        Ok(())
    }
    /// A call of the allowed function `called` (folded, lower case), before
    /// its arguments are walked.
    fn call(&mut self, _called: &str, _function: &Function) -> Judged {
        Ok(())
    }
    /// A call of the allowed function `called` in `FROM`.
    fn table_call(&mut self, _called: &str, _args: &[FunctionArg]) -> Judged {
        Ok(())
    }
    /// `UNNEST(…)` in `FROM`, of these arrays.
    fn unnested(&mut self, _arrays: &[Expr]) {}
    /// A JSON path written in `JSON_TABLE`.
    fn json_path(&mut self, _path: &str) -> Judged {
        Ok(())
    }
}
