//! Which expressions are numbers by their form, and how many digits the
//! numbers a statement writes carry (see [`super`]: PostgreSQL's NUMERIC
//! keeps every digit written, and its logarithms, roots and powers work on
//! all of them in one call no deadline interrupts).

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, ExactNumberInfo, Expr, UnaryOperator, Value, Visitor,
};

use super::{HUGE, MAX_EXPONENT, MAX_NUMERIC_DIGITS, arguments, integer, set_chars};
use crate::sql::validate::bounds;
use crate::sql::validate::functions::spec;

/// Whether an operator computes a number from its operands.
pub(super) fn arithmetic(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::PGExp
    )
}

/// The exponent of a power when it is an integer written out, whatever its
/// sign (`x ^ -1000` has as many digits past the point).
pub(super) fn power_exponent(exponent: &Expr) -> Option<u64> {
    let n = match exponent {
        Expr::UnaryOp { expr, .. } => bounds::integer(expr),
        other => bounds::integer(other),
    }?;
    u64::try_from(n.unsigned_abs()).ok()
}

/// Whether a type is an exact number of as many digits as it is given
/// (NUMERIC without a precision, or with one past [`MAX_NUMERIC_DIGITS`]).
/// Whether the text `expr` builds is written out with no exponent: texts
/// without an `e` (PostgreSQL reads `1e131000` as 131,001 digits) put
/// together by `||` or repeated (`repeat('9', 10000)`: as many digits as
/// characters). Anything else may hide one.
pub(super) fn written_digits(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(e) => written_digits(e),
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::SingleQuotedString(s) => !s.contains(['e', 'E']),
            sqlparser::ast::Value::Number(..) => true,
            _ => false,
        },
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => written_digits(left) && written_digits(right),
        Expr::Function(f) if bounds::called(expr).as_deref() == Some("repeat") => {
            let args = arguments(f);
            args.len() == 2 && written_digits(args[0]) && integer(args[1]).is_some()
        }
        _ => false,
    }
}

pub(super) fn unbounded_number(data_type: &DataType) -> bool {
    match data_type {
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => match info {
            ExactNumberInfo::None => true,
            ExactNumberInfo::Precision(p) | ExactNumberInfo::PrecisionAndScale(p, _) => {
                *p > MAX_NUMERIC_DIGITS
            }
        },
        _ => false,
    }
}

/// Whether an expression is a text the statement cuts or builds (a
/// substring, a concatenation, a replacement, a cast to text…), as opposed
/// to a column, a number or a literal.
pub(super) fn texty(expr: &Expr) -> bool {
    let short = |n: Option<&Expr>| {
        n.and_then(constant)
            .is_some_and(|n| n.abs() <= MAX_NUMERIC_DIGITS as f64)
    };
    match expr {
        Expr::Nested(e) => texty(e),
        // A few characters cut: a number of as many digits at most.
        Expr::Substring {
            substring_for: Some(n),
            ..
        } if short(Some(n)) => false,
        // Trimming or changing case makes no digit of a letter.
        Expr::Trim { expr, .. } => texty(expr),
        Expr::Function(f)
            if bounds::called(expr).is_some_and(|name| {
                let args = arguments(f);
                match name.as_str() {
                    "substr" | "substring" => short(args.get(2).copied()),
                    "left" | "right" => short(args.get(1).copied()),
                    _ => false,
                }
            }) =>
        {
            false
        }
        Expr::Function(f)
            if bounds::called(expr).is_some_and(|name| {
                matches!(
                    name.as_str(),
                    "trim" | "ltrim" | "rtrim" | "btrim" | "upper" | "lower" | "initcap"
                )
            }) =>
        {
            arguments(f).first().is_some_and(|e| texty(e))
        }
        // A decimal comma made a point: a character put for another that is
        // no digit joins no digits together.
        Expr::Function(f) if bounds::called(expr).is_some_and(|name| name == "replace") => {
            let args = arguments(f);
            let keeps_digits_apart = matches!(
                (args.get(1).and_then(|e| set_chars(e).map(|_| e)), args.get(2)),
                (Some(_), Some(Expr::Value(v)))
                    if matches!(&v.value, Value::SingleQuotedString(to)
                        if !to.is_empty() && !to.chars().any(|c| c.is_ascii_digit()))
            );
            !keeps_digits_apart || args.first().is_some_and(|e| texty(e))
        }
        Expr::Cast { data_type, .. } => bounds::is_text_type(data_type),
        Expr::BinaryOp {
            op: BinaryOperator::StringConcat,
            ..
        }
        | Expr::Substring { .. }
        | Expr::Overlay { .. } => true,
        Expr::Function(_) => bounds::called(expr).is_some_and(|name| {
            matches!(
                name.as_str(),
                "substr"
                    | "substring"
                    | "left"
                    | "right"
                    | "lpad"
                    | "rpad"
                    | "repeat"
                    | "replace"
                    | "regexp_replace"
                    | "regexp_substr"
                    | "translate"
                    | "concat"
                    | "concat_ws"
                    | "format"
                    | "trim"
                    | "ltrim"
                    | "rtrim"
                    | "btrim"
                    | "split_part"
                    | "upper"
                    | "lower"
                    | "initcap"
                    | "reverse"
                    | "to_char"
                    | "string_agg"
                    | "array_to_string"
                    | "encode"
                    | "md5"
            )
        }),
        _ => false,
    }
}

/// The value of a number written out, in any notation (`1000`, `-2.5`,
/// `999.0e1`), or of arithmetic on such numbers (`12 * 5`).
pub(super) fn constant(expr: &Expr) -> Option<f64> {
    let value = match expr {
        Expr::Nested(e) => constant(e)?,
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => constant(expr)?,
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => -constant(expr)?,
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<f64>().ok()?,
            _ => return None,
        },
        Expr::BinaryOp { left, op, right } => {
            let (a, b) = (constant(left)?, constant(right)?);
            match op {
                BinaryOperator::Plus => a + b,
                BinaryOperator::Minus => a - b,
                BinaryOperator::Multiply => a * b,
                BinaryOperator::Divide if b != 0.0 => a / b,
                BinaryOperator::Modulo if b != 0.0 => a % b,
                _ => return None,
            }
        }
        _ => return None,
    };
    value.is_finite().then_some(value)
}

/// Whether an exponent is small whatever it reads, or makes the power one
/// of floating-point numbers: a remainder by a number written out, at most
/// [`MAX_EXPONENT`] (`id % 20`); a part of a date other than an epoch (a
/// year, a month), plus or minus a number written out; `date_part(…)`,
/// which is a double precision.
pub(super) fn small(expr: &Expr) -> bool {
    use sqlparser::ast::DateTimeField;
    match expr {
        Expr::Nested(e) => small(e),
        Expr::BinaryOp {
            op: BinaryOperator::Modulo,
            right,
            ..
        } => constant(right).is_some_and(|n| n.abs() <= MAX_EXPONENT as f64),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Plus | BinaryOperator::Minus,
            right,
        } => {
            (small(left) && (small(right) || constant(right).is_some()))
                || (constant(left).is_some() && small(right))
        }
        Expr::Extract { field, .. } => !matches!(
            field,
            DateTimeField::Epoch | DateTimeField::Julian | DateTimeField::Custom(_)
        ),
        Expr::Function(_) => bounds::called(expr).is_some_and(|name| name == "date_part"),
        _ => false,
    }
}

/// Whether a number is an integer written out (`2`, not `2.0` nor `2e0`).
pub(super) fn integer_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(e) => integer_literal(e),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => integer_literal(expr),
        Expr::Value(v) => {
            matches!(&v.value, Value::Number(n, _) if n.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => false,
    }
}

/// Whether an expression is an integer by its form, whatever the columns
/// it reads: integers written out, lengths, counts and ranks, casts to an
/// integer type, and sums, differences, products, quotients and remainders
/// of those.
pub(super) fn integer_typed(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(e) => integer_typed(e),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => integer_typed(expr),
        Expr::BinaryOp {
            left,
            op:
                BinaryOperator::Plus
                | BinaryOperator::Minus
                | BinaryOperator::Multiply
                | BinaryOperator::Divide
                | BinaryOperator::Modulo,
            right,
        } => integer_typed(left) && integer_typed(right),
        Expr::Cast { data_type, .. } => bounds::integer_type(data_type),
        Expr::Function(_) => bounds::called(expr).is_some_and(|name| {
            matches!(
                name.as_str(),
                "length"
                    | "char_length"
                    | "character_length"
                    | "octet_length"
                    | "bit_length"
                    | "count"
                    | "row_number"
                    | "rank"
                    | "dense_rank"
                    | "ntile"
                    | "strpos"
                    | "array_length"
                    | "cardinality"
            )
        }),
        _ => integer_literal(expr),
    }
}

/// Whether a value is cast to a floating-point type, whose arithmetic
/// (a power of it included) is done in hardware, on a fixed width.
pub(super) fn floating(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(e) => floating(e),
        Expr::Cast { data_type, .. }
        | Expr::TypedString(sqlparser::ast::TypedString { data_type, .. }) => {
            matches!(
                data_type,
                DataType::Float(_)
                    | DataType::Float4
                    | DataType::Float8
                    | DataType::Real
                    | DataType::Double(_)
                    | DataType::DoublePrecision
            )
        }
        _ => false,
    }
}

/// Functions that compute a number digit by digit to a precision set by
/// their arguments' digits, in one call PostgreSQL does not interrupt (see
/// the function table).
pub(super) fn computes_digits(name: &str) -> bool {
    spec(name).is_some_and(|f| f.computes_digits)
}

/// The digits of a number written out, from its highest to its lowest
/// (`1e-16383` has 16,383; `12.50` four), or of a text written as one
/// (PostgreSQL reads `'1e-16383'` as a number where one is expected), or
/// of the longest number a text holds (`'{"a":1e-16000}'` read as `jsonb`,
/// `'{1e-16000}'` as `numeric[]`: a member taken out is that number,
/// folded at the offer); 0 for anything else.
pub(super) fn literal_digits(value: &Value) -> u64 {
    match value {
        Value::Number(n, _) => number_digits(n).unwrap_or(HUGE),
        Value::SingleQuotedString(s)
        | Value::NationalStringLiteral(s)
        | Value::EscapedStringLiteral(s)
        | Value::DoubleQuotedString(s) => number_digits(s).unwrap_or_else(|| held_digits(s)),
        _ => 0,
    }
}

/// The digits of the longest number written in `text` among other
/// characters (see [`number_digits`]).
fn held_digits(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut most = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && (bytes[at].is_ascii_digit() || matches!(bytes[at], b'.' | b'_')) {
            at += 1;
        }
        // An exponent: `e`, a sign perhaps, digits.
        if at < bytes.len() && matches!(bytes[at], b'e' | b'E') {
            let mut end = at + 1;
            if end < bytes.len() && matches!(bytes[end], b'+' | b'-') {
                end += 1;
            }
            if end < bytes.len() && bytes[end].is_ascii_digit() {
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                at = end;
            }
        }
        most = most.max(number_digits(&text[start..at]).unwrap_or(0));
    }
    most
}

/// The digits of `text` read as a decimal number (`-1_000.25e3`), or
/// `None` when it is not one; an exponent past any the database takes
/// counts as [`HUGE`].
pub(super) fn number_digits(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| {
        part.chars()
            .filter(|c| *c != '_')
            .try_fold(0i64, |n, c| c.is_ascii_digit().then_some(n + 1))
    };
    let (whole_digits, fraction_digits) = (digits(whole)?, digits(fraction)?);
    if whole_digits + fraction_digits == 0 {
        return None;
    }
    let exponent = match exponent {
        Some(e) => match e.parse::<i64>() {
            Ok(e) if e.abs() < 1 << 40 => e,
            Ok(_) => return Some(HUGE),
            Err(_) => return None,
        },
        None => 0,
    };
    let whole_digits = whole
        .trim_start_matches(['0', '_'])
        .chars()
        .filter(|c| *c != '_')
        .count();
    let whole_digits = i64::try_from(whole_digits).ok()?;
    let scale = (fraction_digits - exponent).max(0);
    let magnitude = (whole_digits + exponent).max(0);
    u64::try_from(scale + magnitude).ok().map(|d| d.min(HUGE))
}

/// The first exact number in `expr` parsed from a value read that is not a
/// column (`(j ->> 'r')::numeric`, `to_number(t || '', '9')`): a column is
/// measured by the executor when it is a number.
pub(super) fn parsed_number(expr: &Expr) -> Option<&Expr> {
    struct Parsed<'e>(Option<&'e Expr>);
    impl<'e> Parsed<'e> {
        fn look(&mut self, e: &'e Expr) {
            if self.0.is_some() {
                return;
            }
            let exact = |t: &sqlparser::ast::DataType| {
                matches!(
                    t,
                    sqlparser::ast::DataType::Numeric(_)
                        | sqlparser::ast::DataType::Decimal(_)
                        | sqlparser::ast::DataType::Dec(_)
                )
            };
            let column = |e: &Expr| {
                matches!(
                    crate::sql::validate::syntax::unnested(e),
                    Expr::Identifier(_) | Expr::CompoundIdentifier(_)
                )
            };
            match e {
                Expr::Cast {
                    expr: inner,
                    data_type,
                    ..
                } if exact(data_type) && !column(inner) && reads_data(inner) => self.0 = Some(e),
                Expr::Function(_)
                    if bounds::called(e).as_deref() == Some("to_number") && reads_data(e) =>
                {
                    self.0 = Some(e)
                }
                _ => {}
            }
        }
    }
    let mut found = Parsed(None);
    // Walked by hand: a visitor's borrow of the nodes it is given does not
    // outlive its call.
    fn walk<'e>(e: &'e Expr, found: &mut Parsed<'e>) {
        found.look(e);
        if found.0.is_some() {
            return;
        }
        match e {
            Expr::Nested(x) | Expr::UnaryOp { expr: x, .. } | Expr::Cast { expr: x, .. } => {
                walk(x, found)
            }
            Expr::BinaryOp { left, right, .. } => {
                walk(left, found);
                walk(right, found);
            }
            Expr::Function(f) => {
                if let sqlparser::ast::FunctionArguments::List(list) = &f.args {
                    for arg in list.args.iter().filter_map(bounds::argument) {
                        walk(arg, found);
                    }
                }
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                for x in operand.iter().chain(else_result.iter()) {
                    walk(x, found);
                }
                for when in conditions {
                    walk(&when.condition, found);
                    walk(&when.result, found);
                }
            }
            _ => {}
        }
    }
    walk(expr, &mut found);
    found.0
}

/// Whether `expr` reads a value from the data (see [`reads_of_data`]).
pub(super) fn reads_data(expr: &Expr) -> bool {
    reads_of_data(expr) > 0
}

/// How many values `expr` reads from the data: columns, whole rows and
/// nested queries (one each, whatever the query reads inside).
pub(super) fn reads_of_data(expr: &Expr) -> u64 {
    #[derive(Default)]
    struct Reads {
        count: u64,
        /// How deep inside nested queries the walk is.
        nested: usize,
    }
    impl Visitor for Reads {
        type Break = ();
        fn pre_visit_query(&mut self, _: &sqlparser::ast::Query) -> ControlFlow<()> {
            // A nested query however it stands (a subquery, EXISTS, IN, an
            // ARRAY(…) or a function's rows): one value read.
            if self.nested == 0 {
                self.count = self.count.saturating_add(1);
            }
            self.nested += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &sqlparser::ast::Query) -> ControlFlow<()> {
            self.nested -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if self.nested == 0 && matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                self.count = self.count.saturating_add(1);
            }
            ControlFlow::Continue(())
        }
    }
    let mut reads = Reads::default();
    let _ = sqlparser::ast::Visit::visit(expr, &mut reads);
    reads.count
}
