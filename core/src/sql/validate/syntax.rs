//! Small readings of the parsed statement that every analysis shares: an
//! expression shown short, without its parentheses, a name folded, a
//! call's name and arguments, what is written out, and the types a value
//! is parsed into. No rule lives here; every other module may use it.

use sqlparser::ast::{
    DataType, Expr, FunctionArg, FunctionArgExpr, Ident, ObjectNamePart, UnaryOperator, Value,
};

use super::super::Dialect;

/// A name as `dialect` folds it: unquoted names (and SQLite's quoted ones,
/// which it compares ignoring case) folded, quoted ones as written.
pub(super) fn fold(dialect: Dialect, ident: &Ident) -> String {
    match (ident.quote_style, dialect) {
        (Some(_), Dialect::Sqlite) | (None, _) => dialect.fold_unquoted(&ident.value),
        (Some(_), _) => ident.value.clone(),
    }
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

/// Types a text is parsed into, at many times its size.
pub(super) fn parses(data_type: &DataType) -> bool {
    match data_type {
        DataType::JSON | DataType::JSONB | DataType::Array(_) => true,
        DataType::Custom(name, _) => name.0.last().is_some_and(|part| {
            matches!(part, ObjectNamePart::Identifier(i)
                if matches!(i.value.to_ascii_lowercase().as_str(), "tsvector" | "xml" | "hstore"))
        }),
        _ => false,
    }
}

/// The name a call ends with, in ASCII lower case, when `expr` is a call.
pub(super) fn called(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Function(f) => match f.name.0.last() {
            Some(ObjectNamePart::Identifier(i)) => Some(i.value.to_ascii_lowercase()),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn argument(arg: &FunctionArg) -> Option<&Expr> {
    let arg = match arg {
        FunctionArg::Named { arg, .. }
        | FunctionArg::ExprNamed { arg, .. }
        | FunctionArg::Unnamed(arg) => arg,
    };
    match arg {
        FunctionArgExpr::Expr(e) => Some(e),
        _ => None,
    }
}

/// Whether an argument is written out in the statement: literals, signs,
/// casts, arrays and arithmetic of literals, which the planner folds before
/// it estimates.
pub(super) fn is_constant(expr: &Expr) -> bool {
    !contains(expr, |e| {
        !matches!(
            e,
            Expr::Value(_)
                | Expr::Nested(_)
                | Expr::UnaryOp { .. }
                | Expr::BinaryOp { .. }
                | Expr::Cast { .. }
                | Expr::TypedString { .. }
                | Expr::Interval(_)
                | Expr::Array(_)
        )
    })
}

/// Whether any expression inside `expr` (itself included) is one `found`
/// looks for.
pub(super) fn contains(expr: &Expr, mut found: impl FnMut(&Expr) -> bool) -> bool {
    use std::ops::ControlFlow;
    sqlparser::ast::visit_expressions(expr, |e| {
        if found(e) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// Whether a type is an integer type.
pub(super) fn integer_type(data_type: &sqlparser::ast::DataType) -> bool {
    use sqlparser::ast::DataType;
    matches!(
        data_type,
        DataType::Int(_)
            | DataType::Integer(_)
            | DataType::Int2(_)
            | DataType::Int4(_)
            | DataType::Int8(_)
            | DataType::SmallInt(_)
            | DataType::BigInt(_)
    )
}

/// Whether a written-out expression is of integers only: no cast, typed
/// text, interval or number with a fraction or an exponent.
pub(super) fn integral(expr: &Expr) -> bool {
    !contains(expr, |e| match e {
        Expr::Cast { .. } | Expr::TypedString { .. } | Expr::Interval(_) => true,
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.contains(['.', 'e', 'E']),
            _ => true,
        },
        _ => false,
    })
}

/// A whole number written in the statement, with its sign.
pub(super) fn integer(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Nested(e) => integer(e),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => integer(expr).map(|n| -n),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => integer(expr),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a cast to `data_type` keeps text as text (a shorter type cuts it,
/// and no value fails to be text).
pub(super) fn is_text_type(data_type: &sqlparser::ast::DataType) -> bool {
    use sqlparser::ast::DataType;
    match data_type {
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Nvarchar(_)
        | DataType::Char(_)
        | DataType::Character(_)
        | DataType::CharVarying(_)
        | DataType::CharacterVarying(_)
        | DataType::String(_)
        | DataType::Clob(_) => true,
        DataType::Custom(name, _) => name.0.last().is_some_and(|part| {
            part.as_ident().is_some_and(|i| {
                ["text", "citext", "name", "bpchar", "varchar2", "nvarchar2"]
                    .iter()
                    .any(|t| i.value.eq_ignore_ascii_case(t))
            })
        }),
        _ => false,
    }
}

/// A text written in the statement.
pub(super) fn text(expr: Option<&Expr>) -> Option<&str> {
    match expr? {
        Expr::Nested(e) => text(Some(e)),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::NationalStringLiteral(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}
