//! Bounds on what one call may build, judged on the parsed statement, so
//! that nothing large is built before the click (a planner folds calls on
//! constants while it plans: PostgreSQL's EXPLAIN ran `repeat('x', 1e9)`)
//! nor while the query runs, whatever the engine's own limits.
//!
//! Three rules, each on the call as written:
//! - **Sizes are written out.** An argument that says how long the result
//!   is (`repeat`'s count, `lpad`'s length, a width in a `printf` format) is
//!   a number written in the statement, at most [`MAX_BUILT_CHARS`]: a
//!   column or a computed size could be anything.
//! - **Growth does not compound.** A call whose result can be many times
//!   its input (`repeat`, `replace` or `regexp_replace` with a longer
//!   replacement) never takes as that input the result of another such
//!   call or of a padding: ten nested `replace` calls are 10¹⁰ times their
//!   input.
//! - **Searches are short** (PostgreSQL and Oracle, whose searches cost the
//!   product of their inputs' lengths in one call the deadline cannot
//!   stop): the needle or pattern is a text written in the statement, and
//!   the texts searched for in one statement add up to a bound
//!   ([`MAX_SEARCHED_CHARS`], [`MAX_NEEDLE_CHARS`]).
//!
//! SQLite statements are not judged here: they run in a worker process the
//! bot kills at its deadline, inside a call or not, with the memory the
//! system gives it (see `validate` and `backend::sqlite`).

use sqlparser::ast::{
    BinaryOperator, Cte, DataType, Expr, Function, FunctionArg, FunctionArguments, Value,
};

use super::super::Dialect;
use super::functions::{Gathered, Growth, Role, bit, spec};
pub(super) use super::syntax::{
    argument, called, contains, integer, integer_type, integral, is_constant, is_text_type, text,
};
use super::syntax::{short, unnested};
use super::{Excess, Refusal, Unreadable};
use crate::sql::validate::reach::walk::Watch;

type Judged = Result<(), Refusal>;

mod regex;
mod searches;
mod series;
pub(super) use regex::{capture_groups, regex};
use searches::searched;
pub(super) use searches::{add_needles, judge_pattern, judge_position};
use series::scalar_type_word;
pub(super) use series::short_time_series;

/// The longest value a size argument may ask for: a cell shows 4,000
/// characters; a report may pad to a few thousand.
pub const MAX_BUILT_CHARS: i128 = 10_000;
/// The most decimal places a PostgreSQL rounding may ask for (`round(x,
/// 2)`): a money amount takes two, a rate some ten.
pub const MAX_ROUNDING_SCALE: i128 = 100;
/// The characters of all needles and patterns written in one statement's
/// searches on Oracle.
pub const MAX_NEEDLE_CHARS: usize = 4_000;
/// The characters of all needles and patterns one PostgreSQL statement's
/// `strpos`, `position`, `replace`, `split_part`, `string_to_table`,
/// `string_to_array` and `LIKE` search for: their search
/// (Boyer-Moore-Horspool) never checks for the deadline and costs up to the
/// text's length times the needle's, so a long needle in a document runs
/// far past it. A business search looks for a word or a separator.
pub const MAX_SEARCHED_CHARS: usize = 256;

/// Functions that gather values across rows into one value, whose size
/// grows with the rows read (lower case).
pub(super) fn gathers(name: &str) -> bool {
    spec(name).is_some_and(|f| f.gathers.is_some())
}

/// Whether a call gathers rows into a structured value (lower case): a
/// jsonb document or an array, which an operator rebuilds whole.
pub(super) fn gathers_structure(name: &str) -> bool {
    spec(name).is_some_and(|f| f.gathers == Some(Gathered::Structure))
}

/// PostgreSQL functions that return rows (lower case). The planner foresees
/// how many only when their arguments are written out (`generate_series(1,
/// 100)`, `unnest(ARRAY[…])`); otherwise it guesses (1,000 for a series, 100
/// for an array), which a query that gathers rows cannot rely on.
pub(super) fn returns_rows(name: &str) -> bool {
    spec(name).is_some_and(|f| f.returns_rows)
}

/// What one gathered row may add to the gathered value's memory on the
/// server, beyond the bytes the plan reads for it (PostgreSQL). A plan's
/// widths are those of the rows read, not of what the aggregate is given
/// (`string_agg(repeat('x', 1000), ',')` over a series of integers reads
/// four bytes a row), nor of the aggregate's own working copy: an array
/// element or a jsonb node takes tens of bytes (about 80 for an integer in
/// a `jsonb_agg`). So each expression of the arguments counts
/// [`GATHERED_NODE_BYTES`] (a `jsonb_build_object` of fifty pairs weighs its
/// hundred parts), and a call that builds a value counts the most it may
/// build, [`MAX_BUILT_CHARS`].
pub(super) fn gathered_row_bytes(args: &[FunctionArg]) -> u64 {
    let mut weight: u64 = 0;
    for arg in args.iter().filter_map(argument) {
        let _ = sqlparser::ast::visit_expressions(arg, |e| {
            weight += GATHERED_NODE_BYTES;
            if called(e).is_some_and(|n| grows(&n)) {
                weight += MAX_BUILT_CHARS.unsigned_abs() as u64;
            }
            // `array_agg(CAST(note AS char(10000)))` pads every row.
            if let Expr::Cast { data_type, .. } = e
                && let Some(padded) = padded_length(data_type)
            {
                weight = weight.saturating_add(padded);
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    weight
}

/// How many times longer `replace` (the text replaced is `from`) or
/// `regexp_replace` (a match may be one character) may make what it is
/// given: the replacement's length over what it replaces, at least one;
/// the most when either is not written out.
pub(super) fn replace_growth(name: &str, from: Option<&Expr>, to: Option<&Expr>) -> i128 {
    // Oracle's `REPLACE(s, 'a')` removes what it finds.
    if to.is_none() && name == "replace" {
        return 1;
    }
    let Some(to) = text(to) else {
        return i128::MAX;
    };
    let to = i128::try_from(to.chars().count()).unwrap_or(i128::MAX);
    let from = if name == "replace" {
        match text(from) {
            Some(from) => i128::try_from(from.chars().count()).unwrap_or(1).max(1),
            None => 1,
        }
    } else {
        1
    };
    // Rounded up: two characters for one is twice as long.
    ((to + from - 1) / from).max(1)
}

/// How many times `repeat` may repeat a value it does not see written out
/// (a column, an expression of columns): such a value may be a document.
pub const MAX_DATA_REPEATS: i128 = 10;

/// The most characters `array_to_string` may put between two pieces, its
/// separator and its text for a null together (`', '` and `'n/a'` are five).
pub const MAX_JOINED_CHARS: usize = 32;

/// The memory one expression of a gathered row may take in the aggregate's
/// working copy, besides its bytes (see [`gathered_row_bytes`]).
const GATHERED_NODE_BYTES: u64 = 80;

/// Whether an excerpt's length is an integer written out, short whatever
/// the value it is cut from (`left(d.body, 40)`, `substr(d.body, 1, 200)`).
pub(super) fn short_length(length: Option<&Expr>) -> bool {
    length
        .and_then(integer)
        .is_some_and(|n| (0..=MAX_BUILT_CHARS).contains(&n))
}

/// PostgreSQL's recursive CTE with `UNION` (not `UNION ALL`) keeps every
/// distinct row it has produced in a hash table in memory, which neither
/// `work_mem` nor `temp_file_limit` bounds;
/// `UNION ALL` keeps only the last step's rows, in a work table that
/// spills to disk under `temp_file_limit`.
pub(super) fn recursion(query: &sqlparser::ast::Query) -> Result<(), Refusal> {
    use sqlparser::ast::{SetExpr, SetOperator, SetQuantifier};
    // `((… UNION …))`: PostgreSQL drops the parentheses.
    let mut body = query.body.as_ref();
    while let SetExpr::Query(inner) = body {
        body = inner.body.as_ref();
    }
    if let SetExpr::SetOperation {
        op: SetOperator::Union,
        set_quantifier,
        ..
    } = body
        && !matches!(set_quantifier, SetQuantifier::All)
    {
        return Err(Refusal::TooLarge(Excess::RecursiveUnion));
    }
    Ok(())
}

/// Functions whose result can be many times their first argument.
fn grows(name: &str) -> bool {
    spec(name).is_some_and(|f| f.grows)
}

/// Judges one call's arguments (`name` folded, lower case) by what the
/// function table says each is (see [`Role`]), then what its growth asks,
/// then its needles.
pub(super) fn judge_call(dialect: Dialect, name: &str, args_written: &[FunctionArg]) -> Judged {
    let args: Vec<Option<&Expr>> = args_written.iter().map(argument).collect();
    let at = |i: usize| args.get(i).copied().flatten();
    let Some(spec) = spec(name) else {
        return Ok(());
    };
    let mut separators = Vec::new();
    for &(i, role) in spec.args {
        match role {
            // Oracle's padding of a VARCHAR2 stops at the type's 4,000 (or
            // 32,767) bytes whatever the length asked, so a computed length
            // is fine there, unless the input is made a LOB.
            Role::Padding
                if dialect == Dialect::Oracle
                    && at(i).is_some_and(|n| integer(n).is_none())
                    && !at(0).is_some_and(makes_lob) => {}
            Role::Size | Role::Padding => size(name, at(i))?,
            Role::Template(dialects) if dialects & bit(dialect) != 0 && i < args.len() => {
                written_text(name, args_written.get(i)).map_err(|format| {
                    Refusal::TooLarge(Excess::ComputedFormat {
                        function: name.to_owned(),
                        format,
                    })
                })?
            }
            Role::Scale(dialects) if dialects & bit(dialect) != 0 && i < args.len() => {
                rounding_scale(name, at(i))?
            }
            Role::Template(_) | Role::Scale(_) | Role::Excerpt => {}
            Role::Regex => regex(dialect, name, at(i))?,
            Role::JsonPath => match text(at(i)) {
                Some(path) => judge_json_path(path)?,
                None => return Err(Refusal::TooLarge(Excess::ComputedPattern(name.to_owned()))),
            },
            Role::Format => widths(name, at(i))?,
            Role::Separator => separators.extend(at(i)),
            // Judged last, after what the call builds.
            Role::Needle(_) => {}
        }
    }
    judge_separators(&separators)?;
    match spec.growth {
        Growth::Repeat => judge_repeat(name, at(0), at(1))?,
        Growth::Replace => judge_replace(name, &args)?,
        _ => {}
    }
    sought(dialect, name, args_written).map(drop)
}

/// The characters a call's needles look for (see [`Role::Needle`]), each
/// a text written out; the sum over a statement is the cost's to bound.
pub(super) fn sought(dialect: Dialect, name: &str, args: &[FunctionArg]) -> Result<usize, Refusal> {
    let Some(spec) = spec(name) else {
        return Ok(0);
    };
    let mut sought = 0;
    for &(i, role) in spec.args {
        if let Role::Needle(dialects) = role
            && dialects & bit(dialect) != 0
        {
            sought += searched(name, args.get(i).and_then(argument))?;
        }
    }
    Ok(sought)
}

/// A JSON path, written out: its `like_regex` is a regular expression the
/// rules above never see (`'$?(@ like_regex "^(a+)+b")'`, the textbook
/// exponential case for Oracle's engine).
pub(super) fn judge_json_path(path: &str) -> Result<(), Refusal> {
    if path.to_ascii_lowercase().contains("like_regex") {
        return Err(Refusal::CannotVerify(Unreadable::Construct("like_regex")));
    }
    Ok(())
}

/// `repeat(input, count)`: a value read is repeated a few times at most, a
/// text written out into no more than [`MAX_BUILT_CHARS`].
fn judge_repeat(name: &str, input: Option<&Expr>, count: Option<&Expr>) -> Result<(), Refusal> {
    not_grown(name, input)?;
    // A value read from the database is of any length: repeated a few
    // times at most.
    if text(input).is_none()
        && let Some(count) = count.and_then(integer)
        && count > MAX_DATA_REPEATS
    {
        return Err(Refusal::TooLarge(Excess::Regrowth {
            function: name.to_owned(),
            times: count,
            max: MAX_DATA_REPEATS,
        }));
    }
    // A text written out is repeated into count × its length.
    if let (Some(input), Some(count)) = (text(input), count.and_then(integer)) {
        let built = i128::try_from(input.chars().count())
            .unwrap_or(i128::MAX)
            .saturating_mul(count);
        if built > MAX_BUILT_CHARS {
            return Err(builds(name, built));
        }
    }
    Ok(())
}

/// `replace(input, from, to)`, `regexp_replace(input, pattern, to)`: a
/// longer replacement may not take a grown input, nor be built itself.
fn judge_replace(name: &str, args: &[Option<&Expr>]) -> Result<(), Refusal> {
    let at = |i: usize| args.get(i).copied().flatten();
    let (from, to) = if name == "replace" {
        (at(1), at(2))
    } else {
        (None, at(2))
    };
    let longer = match (text(from), text(to)) {
        // Oracle's `REPLACE(s, 'a')` removes what it finds.
        _ if to.is_none() && name == "replace" => false,
        (Some(from), Some(to)) => to.chars().count() > from.chars().count(),
        (None, Some(to)) => !to.is_empty(),
        _ => true,
    };
    if longer {
        not_grown(name, at(0))?;
    }
    // The replacement is put in once per match: a built one multiplies
    // the input (`replace(s, 'x', repeat('y', 10000))`).
    not_grown(name, to)?;
    // A value read from the database (a document) may match everywhere: it
    // grows by at most the ratio of the replacement to what it replaces (a
    // regular expression may match one character), which stays within the
    // few copies `repeat` may make of such a value.
    if text(at(0)).is_none() {
        let growth = replace_growth(name, from, to);
        if growth > MAX_DATA_REPEATS {
            return Err(Refusal::TooLarge(Excess::Regrowth {
                function: name.to_owned(),
                times: growth,
                max: MAX_DATA_REPEATS,
            }));
        }
    }
    Ok(())
}

/// The texts written between every two pieces of an array
/// (`array_to_string`): written out, and short together, since an array
/// gathered from rows has as many pieces as rows and each may bring both.
fn judge_separators(separators: &[&Expr]) -> Result<(), Refusal> {
    if let Some(computed) = separators.iter().find(|arg| text(Some(arg)).is_none()) {
        return Err(Refusal::TooLarge(Excess::ComputedSeparator(short(
            computed,
        ))));
    }
    let written: usize = separators
        .iter()
        .filter_map(|arg| text(Some(arg)))
        .map(|t| t.chars().count())
        .sum();
    if written > MAX_JOINED_CHARS {
        return Err(Refusal::TooLarge(Excess::Separator {
            chars: written,
            max: MAX_JOINED_CHARS,
        }));
    }
    Ok(())
}

/// `function` builds `chars` characters, more than [`MAX_BUILT_CHARS`].
fn builds(function: &str, chars: i128) -> Refusal {
    Refusal::TooLarge(Excess::Builds {
        function: function.to_owned(),
        chars,
        max: MAX_BUILT_CHARS,
    })
}

/// A size argument: an integer written in the statement, within the bound.
fn size(name: &str, arg: Option<&Expr>) -> Result<(), Refusal> {
    let Some(arg) = arg else {
        return Ok(());
    };
    match integer(arg) {
        Some(n) if n <= MAX_BUILT_CHARS => Ok(()),
        Some(n) => Err(builds(name, n)),
        None => Err(Refusal::TooLarge(Excess::ComputedLength {
            function: name.to_owned(),
            length: short(arg),
            max: MAX_BUILT_CHARS,
        })),
    }
}

/// The input a growing call multiplies is not itself grown.
fn not_grown(name: &str, arg: Option<&Expr>) -> Result<(), Refusal> {
    match arg {
        Some(arg) if holds_growth(arg) => Err(Refusal::TooLarge(Excess::Regrown(name.to_owned()))),
        _ => Ok(()),
    }
}

/// Whether `expr` builds a range of two bounds (`tstzrange(a.starts_at,
/// a.ends_at)`, PostgreSQL): what it is compared with (`&&`, `@>`, `<@`)
/// is a range or an element, each compared in constant time.
pub(super) fn builds_range(expr: &Expr) -> bool {
    called(unnested(expr)).is_some_and(|name| {
        matches!(
            name.as_str(),
            "int4range" | "int8range" | "numrange" | "tsrange" | "tstzrange" | "daterange"
        )
    })
}

/// Whether `expr` is a date, a time, an interval or a number computed from
/// the clock and the statement alone (`now() + interval '2 hours'`,
/// `current_date - 7`): a value of a fixed size, never a text, an array or
/// a document, so that what contains it (`during @> now()`) is a range,
/// searched in constant time.
pub(super) fn fixed_scalar(expr: &Expr) -> bool {
    use sqlparser::ast::FunctionArguments;
    let temporal = |data_type: &sqlparser::ast::DataType| {
        matches!(
            scalar_type_word(data_type).as_deref(),
            Some("date" | "time" | "timetz" | "timestamp" | "timestamptz" | "interval")
        )
    };
    match expr {
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => fixed_scalar(inner),
        Expr::Value(v) => matches!(v.value, Value::Number(..)),
        Expr::TypedString(typed) => temporal(&typed.data_type),
        Expr::Interval(_) => true,
        Expr::Cast {
            expr, data_type, ..
        } => temporal(data_type) && (fixed_scalar(expr) || is_constant(expr)),
        Expr::BinaryOp { left, op, right } => {
            matches!(
                op,
                BinaryOperator::Plus
                    | BinaryOperator::Minus
                    | BinaryOperator::Multiply
                    | BinaryOperator::Divide
            ) && fixed_scalar(left)
                && fixed_scalar(right)
        }
        Expr::Function(f) => {
            let no_arguments = match &f.args {
                FunctionArguments::None => true,
                FunctionArguments::List(list) => list.args.is_empty(),
                FunctionArguments::Subquery(_) => false,
            };
            no_arguments
                && called(expr).is_some_and(|name| {
                    matches!(
                        name.as_str(),
                        "now"
                            | "current_timestamp"
                            | "current_date"
                            | "current_time"
                            | "localtimestamp"
                            | "localtime"
                    )
                })
        }
        _ => false,
    }
}

/// The length a cast to `data_type` pads its value to: `char(n)` is
/// filled with spaces to `n` characters (PostgreSQL takes any `n` up to
/// 10,485,760, so `CAST('a' AS char(10485760))` is a 10 MB value built by
/// a cast); for an array of such, the length of each element.
pub(super) fn padded_length(data_type: &sqlparser::ast::DataType) -> Option<u64> {
    use sqlparser::ast::{ArrayElemTypeDef, CharacterLength, DataType};
    match data_type {
        DataType::Char(Some(length)) | DataType::Character(Some(length)) => match length {
            CharacterLength::IntegerLength { length, .. } => Some(*length),
            CharacterLength::Max => Some(u64::MAX),
        },
        // `nchar(n)` is PostgreSQL's `char(n)` under another name (and
        // Oracle's national fixed-length type).
        DataType::Custom(name, args) if name.to_string().eq_ignore_ascii_case("NCHAR") => {
            Some(match args.first() {
                Some(n) => n.trim().parse().unwrap_or(u64::MAX),
                None => 1,
            })
        }
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::Parenthesis(inner),
        ) => padded_length(inner),
        _ => None,
    }
}

/// A cast pads to at most [`MAX_BUILT_CHARS`], as a padding function does.
///
/// # Errors
/// [`Refusal::TooLarge`] past it.
pub(super) fn judge_padding(data_type: &sqlparser::ast::DataType) -> Result<(), Refusal> {
    match padded_length(data_type) {
        Some(n) if i128::from(n) > MAX_BUILT_CHARS => Err(Refusal::TooLarge(Excess::Padding {
            data_type: data_type.to_string(),
            chars: i128::from(n),
            max: MAX_BUILT_CHARS,
        })),
        _ => Ok(()),
    }
}

/// Whether an expression makes an Oracle LOB (a cast to one, `TO_CLOB`,
/// `TO_BLOB`, `TO_NCLOB`).
fn makes_lob(expr: &Expr) -> bool {
    use sqlparser::ast::DataType;
    contains(expr, |e| match e {
        Expr::Cast {
            data_type: DataType::Clob(_) | DataType::Blob(_),
            ..
        } => true,
        Expr::Cast {
            data_type: DataType::Custom(name, _),
            ..
        } => name.to_string().eq_ignore_ascii_case("NCLOB"),
        _ => called(e)
            .is_some_and(|n| matches!(n.as_str(), "to_clob" | "to_blob" | "to_nclob" | "to_lob")),
    })
}

/// Whether an expression calls a growing function anywhere inside.
fn holds_growth(expr: &Expr) -> bool {
    contains(expr, |e| called(e).is_some_and(|n| grows(&n)))
}

/// The widths and precisions of a `printf`/`format` pattern: written in the
/// pattern (not `*`, taken from an argument), each at most the bound.
fn widths(name: &str, pattern: Option<&Expr>) -> Result<(), Refusal> {
    let Some(pattern) = pattern else {
        return Ok(());
    };
    let Some(pattern) = text(Some(pattern)) else {
        return Err(Refusal::TooLarge(Excess::ComputedPattern(name.to_owned())));
    };
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut number = String::new();
        while let Some(&next) = chars.peek() {
            if next.is_ascii_alphabetic() || next == '%' {
                break;
            }
            chars.next();
            if next == '*' {
                return Err(Refusal::TooLarge(Excess::WidthArgument(name.to_owned())));
            }
            if next.is_ascii_digit() {
                number.push(next);
                let width: i128 = number.parse().unwrap_or(i128::MAX);
                if width > MAX_BUILT_CHARS {
                    return Err(builds(name, width));
                }
            } else {
                number.clear();
            }
        }
        chars.next();
    }
    Ok(())
}

/// The single-call bounds of a statement, judged as the walk meets each
/// call, pattern, type and path (see [`Watch`]).
pub(super) struct Bounds {
    pub dialect: Dialect,
}

impl Watch for Bounds {
    fn cte_entered(&mut self, _id: usize, cte: &Cte, recursive: bool) -> Judged {
        if recursive && self.dialect == Dialect::Postgres {
            recursion(&cte.query)?;
        }
        Ok(())
    }

    fn regex(&mut self, operator: &str, pattern: &Expr) -> Judged {
        regex(self.dialect, operator, Some(pattern))
    }

    fn pattern(&mut self, what: &str, pattern: &Expr, _text: &Expr) -> Judged {
        judge_pattern(what, pattern).map(drop)
    }

    fn position(&mut self, needle: &Expr, _text: &Expr) -> Judged {
        judge_position(self.dialect, needle).map(drop)
    }

    fn data_type(&mut self, data_type: &DataType) -> Judged {
        judge_padding(data_type)
    }

    fn call(&mut self, called: &str, function: &Function) -> Judged {
        let FunctionArguments::List(list) = &function.args else {
            return Ok(());
        };
        written_query(called, &list.args)?;
        judge_call(self.dialect, called, &list.args)
    }

    fn table_call(&mut self, called: &str, args: &[FunctionArg]) -> Judged {
        // Read as rows, a call is judged as in an expression
        // (`string_to_table(body, <delimiter>)`, `regexp_matches(…)`).
        judge_call(self.dialect, called, args)
    }

    fn json_path(&mut self, path: &str) -> Judged {
        judge_json_path(path)
    }
}

/// PostgreSQL's text-search query builders parse the query in one call
/// that no deadline interrupts, in a time that grows faster than its
/// length (`plainto_tsquery('simple', readings)` of a long value): the
/// query is written out, as a person asks it.
fn written_query(called: &str, args: &[FunctionArg]) -> Judged {
    if !spec(called).is_some_and(|f| f.builds_tsquery) {
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
/// [`MAX_ROUNDING_SCALE`], so that what a row writes stays what the plan
/// says, gathered or not.
fn rounding_scale(called: &str, scale: Option<&Expr>) -> Judged {
    match scale.and_then(integer) {
        Some(scale) if scale <= MAX_ROUNDING_SCALE => Ok(()),
        scale => Err(Refusal::TooLarge(Excess::RoundingScale {
            function: called.to_owned(),
            scale,
            max: MAX_ROUNDING_SCALE,
        })),
    }
}

/// Whether the argument `arg` of `called` is a text written out; if not,
/// what stands there instead, as written.
fn written_text(called: &str, arg: Option<&FunctionArg>) -> Result<(), String> {
    match arg.and_then(argument) {
        Some(Expr::Value(v)) if matches!(v.value, Value::SingleQuotedString(_)) => Ok(()),
        other => Err(other.map_or_else(|| called.to_owned(), short)),
    }
}

#[cfg(test)]
pub(super) mod tests;
