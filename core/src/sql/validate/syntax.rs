//! Small readings of the parsed statement that every analysis shares: an
//! expression shown short, without its parentheses, and the types a value
//! is parsed into. No rule lives here; every other module may use it.

use sqlparser::ast::{DataType, Expr, ObjectNamePart};

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
