//! What a search looks for: the needle of `instr`, `strpos`, `position`,
//! the pattern of `LIKE`: a text written in the statement, never one read
//! from the data, and the texts one statement searches for add up to a
//! bound (see [`super::MAX_NEEDLE_CHARS`] and [`super::MAX_SEARCHED_CHARS`]).
//! PostgreSQL and Oracle compare a needle at every place of a text, in one
//! call their deadline cannot stop.

use sqlparser::ast::{BinaryOperator, Expr, Value};

use super::super::super::Dialect;
use super::super::syntax::short;
use super::super::{Excess, Refusal};
use super::{MAX_NEEDLE_CHARS, MAX_SEARCHED_CHARS, argument, called};

/// A `LIKE`, `GLOB` or `TRIM(… FROM …)` pattern, judged as the text a
/// search looks for ([`searched`]); returns its characters. A pattern of
/// the data, `'%' || d.body || 'z'`, is compared at every place of a text
/// made of the same data, in one call neither PostgreSQL nor Oracle
/// interrupts (on an Oracle CLOB it costs the text's length times the
/// pattern's).
pub(in crate::sql::validate) fn judge_pattern(
    what: &str,
    pattern: &Expr,
) -> Result<usize, Refusal> {
    searched(what, Some(pattern))
}

/// The needle of `position(needle IN text)` on PostgreSQL (see
/// [`MAX_SEARCHED_CHARS`]); returns the characters it searches for.
pub(in crate::sql::validate) fn judge_position(
    dialect: Dialect,
    needle_expr: &Expr,
) -> Result<usize, Refusal> {
    if dialect == Dialect::Postgres {
        searched("position", Some(needle_expr))
    } else {
        Ok(0)
    }
}

/// Adds to a statement's searched characters, refusing past PostgreSQL's
/// bound ([`MAX_SEARCHED_CHARS`]) or Oracle's ([`MAX_NEEDLE_CHARS`]).
pub(in crate::sql::validate) fn add_needles(
    dialect: Dialect,
    total: &mut usize,
    more: usize,
) -> Result<(), Refusal> {
    let max = if dialect == Dialect::Postgres {
        MAX_SEARCHED_CHARS
    } else {
        MAX_NEEDLE_CHARS
    };
    *total += more;
    if *total > max {
        return Err(Refusal::TooLarge(Excess::Needles {
            chars: u64::try_from(*total).ok(),
            max: max as u64,
        }));
    }
    Ok(())
}

/// What a search for a piece of text (`instr` on Oracle; `strpos`,
/// `position`, `replace`, `split_part` on PostgreSQL) looks for:
/// a text written in the statement (or `||`, `upper`, `lower` of such),
/// never one read or cut from the data. Both databases compare the needle
/// at every place of the text, in one call the deadline cannot stop, and a
/// needle read from the data can be made to almost match everywhere in a
/// text made of the same data (`strpos(d.body, 'z' || substr(d.body, 1,
/// 1000000))`, or worse, `'z' || d.body` searched in `d.body || d.body`).
/// Returns the characters written.
pub(super) fn searched(name: &str, arg: Option<&Expr>) -> Result<usize, Refusal> {
    let Some(arg) = arg else {
        return Ok(0);
    };
    written(arg).ok_or_else(|| {
        Refusal::TooLarge(Excess::ComputedNeedle {
            function: name.to_owned(),
            needle: short(arg),
        })
    })
}

/// The characters `e` writes out: texts and numbers, `||` of them, `upper`
/// and `lower` of them; `None` for anything else.
fn written(e: &Expr) -> Option<usize> {
    match e {
        // `LIKE 'A%' COLLATE NOCASE`: the same text, compared otherwise.
        Expr::Nested(e) | Expr::Collate { expr: e, .. } => written(e),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => Some(written(left)? + written(right)?),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.chars().count()),
            Value::Number(n, _) => Some(n.len()),
            Value::Null => Some(0),
            _ => None,
        },
        // `LIKE ANY (ARRAY['%a%', '%b%'])`: each pattern counts.
        Expr::Array(array) => array
            .elem
            .iter()
            .try_fold(0usize, |all, e| Some(all + written(e)?)),
        Expr::Function(f) if called(e).is_some_and(|n| n == "upper" || n == "lower") => {
            match &f.args {
                sqlparser::ast::FunctionArguments::List(list) if list.args.len() == 1 => {
                    argument(&list.args[0]).and_then(written)
                }
                _ => None,
            }
        }
        _ => None,
    }
}
