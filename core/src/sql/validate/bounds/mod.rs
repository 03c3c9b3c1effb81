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
//! - **Searches are short** (SQLite, which cannot stop inside one call:
//!   its deadline is checked between steps of the program, and `instr`,
//!   `ltrim` with a set, `replace` and `LIKE` cost the product of their
//!   inputs' lengths in one step): the needle, set or pattern is a column, a
//!   text written in the statement, or `||` of those; and the texts searched
//!   for in one statement add up to at most [`MAX_NEEDLE_CHARS`]. With values
//!   bounded by the connection's limit (`backend::SQLITE_MAX_VALUE_BYTES`), one
//!   row's searches then cost at most that limit times this bound.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, ObjectNamePart, UnaryOperator, Value,
};

use super::super::Dialect;
use super::walk::{short, unnested};
use super::{Excess, Refusal, Unreadable};

/// The longest value a size argument may ask for: a cell shows 4,000
/// characters; a report may pad to a few thousand.
pub const MAX_BUILT_CHARS: i128 = 10_000;
/// The most decimal places a PostgreSQL rounding may ask for (`round(x,
/// 2)`): a money amount takes two, a rate some ten.
pub const MAX_ROUNDING_SCALE: i128 = 100;
/// The characters of all needles, sets and patterns written in one
/// statement's searches on SQLite.
pub const MAX_NEEDLE_CHARS: usize = 4_000;
/// The characters of all needles and patterns one PostgreSQL statement's
/// `strpos`, `position`, `replace`, `split_part`, `string_to_table`,
/// `string_to_array` and `LIKE` search for: their search
/// (Boyer-Moore-Horspool) never checks for the deadline and costs up to the
/// text's length times the needle's (a 10,000-character needle in a 10 MB
/// document ran 23 s under a 10 s deadline, 1 MB cut from the document
/// itself 66 s). A business search looks for a word or a separator.
pub const MAX_SEARCHED_CHARS: usize = 256;

/// PostgreSQL functions that build a date, a time or an interval from its
/// parts, whose arguments may be named (`make_interval(days => 3)`): a name
/// says which part, and no part builds a value that grows.
pub(super) const NAMED_PARTS: &[&str] =
    &["make_interval", "make_date", "make_time", "make_timestamp"];

/// Functions that gather values across rows into one value, whose size
/// grows with the rows read (lower case).
pub(super) fn gathers(name: &str) -> bool {
    gathers_structure(name)
        || matches!(
            name,
            "string_agg"
                | "json_agg"
                | "json_object_agg"
                | "xmlagg"
                | "group_concat"
                | "listagg"
                | "json_arrayagg"
                | "json_objectagg"
        )
}

/// Whether a call gathers rows into a structured value (lower case): a
/// jsonb document or an array, which an operator rebuilds whole.
pub(super) fn gathers_structure(name: &str) -> bool {
    matches!(
        name,
        "array_agg" | "jsonb_agg" | "jsonb_object_agg" | "array"
    )
}

/// PostgreSQL functions that return rows (lower case). The planner foresees
/// how many only when their arguments are written out (`generate_series(1,
/// 100)`, `unnest(ARRAY[…])`); otherwise it guesses (1,000 for a series, 100
/// for an array), which a query that gathers rows cannot rely on.
pub(super) fn returns_rows(name: &str) -> bool {
    matches!(
        name,
        "generate_series"
            | "generate_subscripts"
            | "unnest"
            | "json_array_elements"
            | "jsonb_array_elements"
            | "json_array_elements_text"
            | "jsonb_array_elements_text"
            | "json_each"
            | "jsonb_each"
            | "json_each_text"
            | "jsonb_each_text"
            | "json_object_keys"
            | "jsonb_object_keys"
            | "json_to_recordset"
            | "jsonb_to_recordset"
            | "json_populate_recordset"
            | "jsonb_populate_recordset"
            | "jsonb_path_query"
            | "regexp_matches"
            | "regexp_split_to_table"
            | "string_to_table"
    )
}

/// What one gathered row may add to the gathered value's memory on the
/// server, beyond the bytes the plan reads for it (PostgreSQL). A plan's
/// widths are those of the rows read, not of what the aggregate is given
/// (`string_agg(repeat('x', 1000), ',')` over a series of integers reads
/// four bytes a row), nor of the aggregate's own working copy: an array
/// element or a jsonb node takes tens of bytes (about 80 for an integer in
/// a `jsonb_agg`, measured). So each expression of the arguments counts
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

/// Whether an argument is written out in the statement: literals, signs,
/// casts, arrays and arithmetic of literals, which the planner folds before
/// it estimates.
pub(super) fn written_out(expr: &Expr) -> bool {
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

/// PostgreSQL's recursive CTE with `UNION` (not `UNION ALL`) keeps every
/// distinct row it has produced in a hash table in memory, which neither
/// `work_mem` nor `temp_file_limit` bounds (1.7–3.4 GiB in one query);
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
    matches!(
        name,
        "repeat" | "replace" | "regexp_replace" | "lpad" | "rpad" | "printf" | "format"
    )
}

/// Judges one call's arguments (`name` folded, lower case); returns the
/// characters it searches for (see [`MAX_NEEDLE_CHARS`]).
pub(super) fn judge_call(
    dialect: Dialect,
    name: &str,
    args: &[FunctionArg],
) -> Result<usize, Refusal> {
    let args: Vec<Option<&Expr>> = args.iter().map(argument).collect();
    let at = |i: usize| args.get(i).copied().flatten();
    match name {
        "repeat" => {
            size(name, at(1))?;
            not_grown(name, at(0))?;
            // A value read from the database is of any length (a document
            // of 10 MB repeated 100 times is a gigabyte on the server):
            // repeated a few times at most.
            if text(at(0)).is_none()
                && let Some(count) = at(1).and_then(integer)
                && count > MAX_DATA_REPEATS
            {
                return Err(Refusal::TooLarge(Excess::Regrowth {
                    function: name.to_owned(),
                    times: count,
                    max: MAX_DATA_REPEATS,
                }));
            }
            // A text written out is repeated into count × its length.
            if let (Some(input), Some(count)) = (text(at(0)), at(1).and_then(integer)) {
                let built = i128::try_from(input.chars().count())
                    .unwrap_or(i128::MAX)
                    .saturating_mul(count);
                if built > MAX_BUILT_CHARS {
                    return Err(builds(name, built));
                }
            }
            Ok(0)
        }
        // Oracle's padding of a VARCHAR2 stops at the type's 4,000 (or
        // 32,767) bytes whatever the length asked, so a computed length is
        // fine there (`LPAD(' ', 2 * LEVEL)`, the CONNECT BY indentation),
        // unless the input is made a LOB.
        "lpad" | "rpad"
            if dialect == Dialect::Oracle
                && at(1).is_some_and(|n| integer(n).is_none())
                && !at(0).is_some_and(makes_lob) =>
        {
            Ok(0)
        }
        "lpad" | "rpad" => size(name, at(1)).map(|()| 0),
        // A JSON path's `like_regex` is a regular expression the rules
        // above never see (`'$?(@ like_regex "^(a+)+b")'`, the textbook
        // exponential case for Oracle's engine).
        "json_value" | "json_query" | "json_exists" | "json_table" => match text(at(1)) {
            Some(path) if path.to_ascii_lowercase().contains("like_regex") => {
                Err(Refusal::CannotVerify(Unreadable::Construct("like_regex")))
            }
            Some(_) => Ok(0),
            None => Err(Refusal::TooLarge(Excess::ComputedPattern(name.to_owned()))),
        },
        "regexp_match"
        | "regexp_matches"
        | "regexp_like"
        | "regexp_count"
        | "regexp_instr"
        | "regexp_substr"
        | "regexp_split_to_array"
        | "regexp_split_to_table" => regex(dialect, name, at(1)).map(|()| 0),
        "strpos" | "split_part" | "string_to_table" | "string_to_array"
            if dialect == Dialect::Postgres =>
        {
            searched(name, at(1))
        }
        "replace" | "regexp_replace" => {
            if name == "regexp_replace" {
                regex(dialect, name, at(1))?;
            }
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
            // The replacement is put in once per match: a built one
            // multiplies the input (`replace(s, 'x', repeat('y', 10000))`).
            not_grown(name, to)?;
            // A value read from the database (a document) may match
            // everywhere: it grows by at most the ratio of the replacement
            // to what it replaces (a regular expression may match one
            // character), which stays within the few copies `repeat` may
            // make of such a value.
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
            match dialect {
                Dialect::Sqlite => Ok(searched(name, at(1))? + needle(name, at(2))?),
                Dialect::Postgres if name == "replace" => searched(name, at(1)),
                _ => Ok(0),
            }
        }
        "printf" | "format" => widths(name, at(0)).map(|()| 0),
        // Each piece of the array brings the separator (and the text for a
        // null), and an array split from a document has as many pieces as
        // it has characters: they are written out (see `copies`).
        "array_to_string" => match [at(1), at(2)]
            .into_iter()
            .flatten()
            .find(|arg| text(Some(arg)).is_none())
        {
            Some(computed) => Err(Refusal::TooLarge(Excess::ComputedSeparator(short(
                computed,
            )))),
            None => {
                // An array gathered from rows has as many pieces as rows:
                // each may bring both texts (`array_to_string(array_agg(
                // NULL::text), '', '<4,990 characters>')` over 100,000 rows
                // is half a gigabyte).
                let written: usize = [at(1), at(2)]
                    .into_iter()
                    .filter_map(text)
                    .map(|t| t.chars().count())
                    .sum();
                if written > MAX_JOINED_CHARS {
                    Err(Refusal::TooLarge(Excess::Separator {
                        chars: written,
                        max: MAX_JOINED_CHARS,
                    }))
                } else {
                    Ok(0)
                }
            }
        },
        "instr" if dialect != Dialect::Postgres => searched(name, at(1)),
        "ltrim" | "rtrim" | "trim" if dialect == Dialect::Sqlite => needle(name, at(1)),
        // like(pattern, text[, escape]): the pattern comes first.
        "like" | "glob" if dialect == Dialect::Sqlite => needle(name, at(0)),
        _ => Ok(0),
    }
}

/// A `LIKE`, `GLOB` or `TRIM(… FROM …)` pattern on SQLite or PostgreSQL,
/// judged as the text a search looks for ([`searched`]); returns its
/// characters.
pub(super) fn judge_pattern(
    dialect: Dialect,
    what: &str,
    pattern: &Expr,
) -> Result<usize, Refusal> {
    match dialect {
        // A pattern of the data, `'%' || d.body || 'z'`, is compared at
        // every place of a text made of the same data, in one call neither
        // database interrupts (48 s on PostgreSQL for 200,000 characters).
        // Oracle's too: on a CLOB it costs the text's length times the
        // pattern's.
        Dialect::Sqlite | Dialect::Postgres | Dialect::Oracle => searched(what, Some(pattern)),
    }
}

/// The needle of `position(needle IN text)` on PostgreSQL (see
/// [`MAX_SEARCHED_CHARS`]); returns the characters it searches for.
pub(super) fn judge_position(dialect: Dialect, needle_expr: &Expr) -> Result<usize, Refusal> {
    if dialect == Dialect::Postgres {
        searched("position", Some(needle_expr))
    } else {
        Ok(0)
    }
}

/// Adds to a statement's searched characters, refusing past the dialect's
/// bound ([`MAX_NEEDLE_CHARS`], [`MAX_SEARCHED_CHARS`]).
pub(super) fn add_needles(dialect: Dialect, total: &mut usize, more: usize) -> Result<(), Refusal> {
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

/// A regular expression's pattern: a text written out on which the engine
/// does not backtrack ([`backtracks`]): PostgreSQL's and Oracle's do so in
/// one call the deadline cannot stop (`repeat('a', 10000) ~
/// '^(a*)(a*)\1\2$'`, folded by the planner, ran past 30 s at the offer's
/// EXPLAIN). Never a column: a CTE's may hold any pattern (`WITH p(r) AS
/// (SELECT '^(a*)\\1$')`), folded at the offer as well.
pub(super) fn regex(dialect: Dialect, name: &str, pattern: Option<&Expr>) -> Result<(), Refusal> {
    let Some(pattern) = pattern else {
        return Ok(());
    };
    match text(Some(pattern)) {
        Some(written) if backtracks(written) => {
            Err(Refusal::TooLarge(Excess::Backtracking(name.to_owned())))
        }
        // Oracle's engine tries every way a repeat of a repeat, or of a
        // choice, can match (`(a+)+b` on a run of `a`: the textbook
        // exponential case); PostgreSQL's does not.
        Some(written) if dialect == Dialect::Oracle && nested_repeats(written) => {
            Err(Refusal::TooLarge(Excess::NestedRepeats(name.to_owned())))
        }
        Some(written) => match unfolded(written) {
            Unfolded { states, .. } if states > MAX_REGEX_STATES => {
                Err(Refusal::TooLarge(Excess::RegexStates {
                    function: name.to_owned(),
                    states,
                    max: MAX_REGEX_STATES,
                }))
            }
            Unfolded { optional, .. } if optional > MAX_REGEX_OPTIONAL => {
                Err(Refusal::TooLarge(Excess::RegexOptional {
                    function: name.to_owned(),
                    atoms: optional,
                    max: MAX_REGEX_OPTIONAL,
                }))
            }
            _ => Ok(()),
        },
        None => Err(Refusal::TooLarge(Excess::ComputedPattern(name.to_owned()))),
    }
}

/// The most states one regular expression may unfold into (see
/// [`Unfolded::states`]): `[a-z]{1,255}` is 255, and two hundred patterns of
/// that size compiled in 0.1 s on PostgreSQL 15; `([a-z]{1,200}){1,200}`
/// is 40,000, and took 0.15 s each to compile, folded by the planner at
/// the offer's EXPLAIN (400 of them, 30 s).
pub const MAX_REGEX_STATES: u64 = 1_000;

/// What a regular expression unfolds into, read in each syntax that may
/// apply (see [`readings`]: in the expanded one `(a?) {0,200}` is a counted
/// repeat), the most of any reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unfolded {
    /// Its states: each atom one, a counted repeat (`{m,n}`) as many times
    /// as its largest count, what it repeats included (`(x{1,9}){1,9}` is
    /// 81). `*`, `+` and `?` repeat without unfolding.
    pub states: u64,
    /// The atoms that may match nothing a counted repeat unfolds:
    /// PostgreSQL removes the empty transitions of the unfolded automaton
    /// at a cost that grows as the cube of their number, before matching
    /// anything and at the offer's EXPLAIN too (the planner compiles a
    /// pattern to estimate its selectivity): `(a?a?a?a?){0,60}` (240)
    /// compiled in 0.15 s, `{0,125}` (500) in 2.5 s, `{0,250}` (1,000) in
    /// 21 s, while `a{0,250}` and `[a-z]{0,250}` (none) take 0.04 s.
    pub optional: u64,
}

/// The most atoms that may match nothing (`a?`, `b*`, `(ab)?`) one
/// regular expression may hold inside counted repeats, each counted as
/// many times as the repeats around it unfold it (see [`Unfolded::optional`]).
pub const MAX_REGEX_OPTIONAL: u64 = 100;

/// See [`Unfolded`].
pub(super) fn unfolded(pattern: &str) -> Unfolded {
    readings(pattern).map(|p| unfold(&p)).fold(
        Unfolded {
            states: 0,
            optional: 0,
        },
        |most, (states, optional)| Unfolded {
            states: most.states.max(states),
            optional: most.optional.max(optional),
        },
    )
}

/// A pattern as written, as the expanded syntax reads it, and, when it
/// holds `\(` or `\{`, as the basic syntax (`(?b)`, the flag `b`) reads it.
fn readings(pattern: &str) -> impl Iterator<Item = Vec<char>> {
    let written: Vec<char> = pattern.chars().collect();
    let expanded = expanded(&written);
    // Without `\(` or `\{`, the basic syntax groups and counts nothing.
    let basic = (pattern.contains("\\(") || pattern.contains("\\{")).then(|| basic(&written));
    [written, expanded].into_iter().chain(basic)
}

/// A pattern as the expanded syntax (`(?x)`, the flag `x`) reads it: blanks
/// and `#` comments dropped outside bracket expressions.
fn expanded(written: &[char]) -> Vec<char> {
    let mut expanded = Vec::with_capacity(written.len());
    let mut at = 0;
    while at < written.len() {
        match written[at] {
            '[' => {
                let start = at;
                skip_class(written, &mut at);
                expanded.extend(&written[start..at.min(written.len())]);
            }
            '\\' => {
                expanded.extend(written.get(at..(at + 2).min(written.len())).unwrap_or(&[]));
                at += 2;
            }
            '#' => {
                while at < written.len() && written[at] != '\n' {
                    at += 1;
                }
            }
            c if c.is_whitespace() => at += 1,
            c => {
                expanded.push(c);
                at += 1;
            }
        }
    }
    expanded
}

/// A pattern as the basic syntax reads it: `\(`, `\)`, `\{` and `\}` group
/// and count, and the bare characters are themselves.
fn basic(written: &[char]) -> Vec<char> {
    let mut basic = Vec::with_capacity(written.len());
    let mut at = 0;
    while at < written.len() {
        match (written[at], written.get(at + 1)) {
            ('\\', Some(&c @ ('(' | ')' | '{' | '}'))) => {
                basic.push(c);
                at += 2;
            }
            ('\\', Some(&c)) => {
                basic.extend(['\\', c]);
                at += 2;
            }
            ('(' | ')' | '{' | '}', _) => {
                basic.push('x');
                at += 1;
            }
            (c, _) => {
                basic.push(c);
                at += 1;
            }
        }
    }
    basic
}

/// What a zero-width constraint (`\y`, `\m`, `^`…) weighs as a part that
/// may match nothing: `(\y){0,150}` compiled in about a second, `(a?){0,250}`
/// in 0.11 s.
const ZERO_WIDTH_WEIGHT: u64 = 4;

/// A pattern's states and the atoms that may match nothing inside its
/// counted repeats (see [`Unfolded`]).
fn unfold(chars: &[char]) -> (u64, u64) {
    /// A sequence up to its closing parenthesis: its states, and its
    /// atoms that may match nothing, unfolded by the repeats inside it.
    fn sequence(chars: &[char], at: &mut usize) -> (u64, u64) {
        let (mut states, mut optional) = (0u64, 0u64);
        // An empty alternative (`(a|)`, `(|a)`) matches nothing.
        let mut after_bar = true;
        while *at < chars.len() {
            let (weight, inner) = match chars[*at] {
                ')' => {
                    optional = optional.saturating_add(u64::from(after_bar));
                    return (states, optional);
                }
                '|' => {
                    optional = optional.saturating_add(u64::from(after_bar));
                    *at += 1;
                    after_bar = true;
                    states = states.saturating_add(1);
                    continue;
                }
                '(' => {
                    *at += 1;
                    // `(?:…)` groups without capturing; a look-around
                    // (`(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`) is a
                    // constraint that matches nothing, as `\y` is.
                    let look_around = match chars.get(*at..).unwrap_or(&[]) {
                        ['?', ':', ..] => {
                            *at += 2;
                            false
                        }
                        ['?', '=' | '!', ..] => {
                            *at += 2;
                            true
                        }
                        ['?', '<', '=' | '!', ..] => {
                            *at += 3;
                            true
                        }
                        _ => false,
                    };
                    let (inner, optional) = sequence(chars, at);
                    *at += 1; // the closing parenthesis
                    let constraint = if look_around { ZERO_WIDTH_WEIGHT } else { 0 };
                    (inner.max(1), optional.saturating_add(constraint))
                }
                // The word boundaries `[[:<:]]` and `[[:>:]]` match nothing.
                '[' if matches!(
                    chars.get(*at..*at + 7),
                    Some(['[', '[', ':', '<' | '>', ':', ']', ']'])
                ) =>
                {
                    *at += 7;
                    (1, ZERO_WIDTH_WEIGHT)
                }
                '[' => {
                    skip_class(chars, at);
                    (1, 0)
                }
                '\\' => {
                    let zero_width =
                        matches!(chars.get(*at + 1), Some('y' | 'Y' | 'm' | 'M' | 'A' | 'Z'));
                    *at += 2;
                    (1, if zero_width { ZERO_WIDTH_WEIGHT } else { 0 })
                }
                '^' | '$' => {
                    *at += 1;
                    (1, ZERO_WIDTH_WEIGHT)
                }
                _ => {
                    *at += 1;
                    (1, 0)
                }
            };
            after_bar = false;
            let (times, may_skip) = repeat_count(chars, at);
            states = states.saturating_add(weight.saturating_mul(times));
            // What is inside, as many times as it is unfolded; and this
            // element itself, when it may match nothing.
            optional = optional
                .saturating_add(inner.saturating_mul(times))
                .saturating_add(u64::from(may_skip));
        }
        (states, optional)
    }
    /// The largest count of a `{m}`, `{m,}` or `{m,n}` at `at` (taken),
    /// else 1 (a `*`, `+` or `?` is taken too); and whether it may repeat
    /// nothing (`*`, `?`, `{0,n}`).
    fn repeat_count(chars: &[char], at: &mut usize) -> (u64, bool) {
        match chars.get(*at) {
            Some(&c @ ('*' | '+' | '?')) => {
                *at += 1;
                if chars.get(*at) == Some(&'?') {
                    *at += 1;
                }
                (1, c != '+')
            }
            Some('{') => {
                let close = chars[*at..].iter().position(|&c| c == '}');
                let Some(close) = close else {
                    return (1, false);
                };
                let inside: String = chars[*at + 1..*at + close].iter().collect();
                if !inside.chars().all(|c| c.is_ascii_digit() || c == ',') {
                    return (1, false);
                }
                *at += close + 1;
                if chars.get(*at) == Some(&'?') {
                    *at += 1;
                }
                let counts: Vec<u64> = inside.split(',').filter_map(|n| n.parse().ok()).collect();
                let most = counts.iter().copied().max().unwrap_or(1).max(1);
                (most, counts.first().is_none_or(|m| *m == 0))
            }
            _ => (1, false),
        }
    }
    let mut at = 0;
    let (mut states, mut optional) = (0u64, 0u64);
    // A `)` without its `(` ends a sequence: go on after it.
    while at < chars.len() {
        let (s, o) = sequence(chars, &mut at);
        states = states.saturating_add(s);
        optional = optional.saturating_add(o);
        at += 1;
    }
    (states, optional)
}

/// Moves `at` past the bracket class that starts there (`[^]a-z\\]]`): a
/// `]` first is a member of the class, an escaped one too.
fn skip_class(chars: &[char], at: &mut usize) {
    *at += 1;
    if chars.get(*at) == Some(&'^') {
        *at += 1;
    }
    if chars.get(*at) == Some(&']') {
        *at += 1;
    }
    while *at < chars.len() && chars[*at] != ']' {
        if chars[*at] == '\\' {
            *at += 1;
        }
        *at += 1;
    }
    *at += 1;
}

/// Whether a regular expression repeats, a varying number of times, a
/// group whose match varies (a repeat or a choice in it): `(a+)+`,
/// `((a+)+)+`, `(a|aa)*`, `(\w{2,5})*`; not `( ?[0-9]{2}){4}`, repeated a
/// fixed number of times.
pub(super) fn nested_repeats(pattern: &str) -> bool {
    /// Reads a sequence up to its `)`: whether what it matches varies (a
    /// repeat, a `?`, a `|`, at any depth), and whether it holds a group
    /// that varies and is repeated a varying number of times.
    fn sequence(chars: &[char], at: &mut usize) -> (bool, bool) {
        let (mut repeats, mut nested) = (false, false);
        while *at < chars.len() {
            let inner = match chars[*at] {
                ')' => return (repeats, nested),
                '|' => {
                    *at += 1;
                    repeats = true;
                    continue;
                }
                '(' => {
                    *at += 1;
                    let (inner, deeper) = sequence(chars, at);
                    nested |= deeper;
                    *at += 1;
                    inner
                }
                '[' => {
                    skip_class(chars, at);
                    false
                }
                '\\' => {
                    *at += 2;
                    false
                }
                _ => {
                    *at += 1;
                    false
                }
            };
            // Whether the atom repeats a varying number of times (more than
            // once), and whether it varies at all (`?` too).
            let (repeated, varies) = match chars.get(*at) {
                Some('*' | '+') => {
                    *at += 1;
                    (true, true)
                }
                Some('?') => {
                    *at += 1;
                    (false, true)
                }
                Some('{') => {
                    let close = chars[*at..].iter().position(|&c| c == '}');
                    match close {
                        Some(close) => {
                            let inside: String = chars[*at + 1..*at + close].iter().collect();
                            *at += close + 1;
                            let counts: Vec<Option<u64>> =
                                inside.split(',').map(|n| n.trim().parse().ok()).collect();
                            match counts.as_slice() {
                                [Some(_)] => (false, false),
                                [Some(m), Some(n)] => (m < n && *n > 1, m < n),
                                _ => (true, true),
                            }
                        }
                        None => (false, false),
                    }
                }
                _ => (false, false),
            };
            if chars.get(*at) == Some(&'?') {
                *at += 1;
            }
            // A varying repeat of what varies: many ways to match one text.
            nested |= repeated && inner;
            repeats |= varies || inner;
        }
        (repeats, nested)
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut at = 0;
    let mut nested = false;
    while at < chars.len() {
        nested |= sequence(&chars, &mut at).1;
        at += 1;
    }
    nested
}

/// How many groups a regular expression captures: each `(` not escaped,
/// not in a bracket class and not followed by `?`.
pub(super) fn capture_groups(pattern: &str) -> u64 {
    let chars: Vec<char> = pattern.chars().collect();
    let (mut groups, mut at, mut in_class) = (0u64, 0usize, false);
    while at < chars.len() {
        match chars[at] {
            '\\' => at += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class && chars.get(at + 1) != Some(&'?') => groups += 1,
            _ => {}
        }
        at += 1;
    }
    groups
}

/// Whether a regular expression holds what makes the engine backtrack:
/// a back-reference (`\\1`…`\\9`) or a lookaround (`(?=`, `(?!`, `(?<=`,
/// `(?<!`; nested lookaheads on 4,000 characters took 23 s at the offer).
fn backtracks(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'\\' && (b'1'..=b'9').contains(&w[1]))
        || ["(?=", "(?!", "(?<"].iter().any(|l| pattern.contains(l))
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

/// Whether any expression inside `expr` (itself included) is one `found`
/// looks for.
fn contains(expr: &Expr, mut found: impl FnMut(&Expr) -> bool) -> bool {
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

/// The rows PostgreSQL's planner takes a series over dates or timestamps to
/// have, whatever its span (15 and 16 have no estimate for them).
pub(super) const GUESSED_SERIES_ROWS: f64 = 1000.0;

/// Whether a `generate_series` over dates or timestamps whose bounds and
/// step are written out (`date '2024-01-01'`, `'2024-01-31'::date`,
/// `interval '1 day'`) has at most [`GUESSED_SERIES_ROWS`] rows: then the
/// planner's guess is no less than what it gives, and the plan may be
/// weighed on it (the days of a month, the weeks of a year). A month
/// counts 28 days and a year 365, so that the rows are never undercounted.
pub(super) fn short_time_series(args: &[Option<&Expr>]) -> bool {
    let [Some(start), Some(end), Some(step)] = args else {
        return false;
    };
    let (Some(start), Some(end), Some(step)) = (instant(start), instant(end), step_seconds(step))
    else {
        return false;
    };
    if step == 0.0 {
        return false;
    }
    let steps = ((end - start).num_seconds() as f64 / step).max(0.0);
    steps + 1.0 <= GUESSED_SERIES_ROWS
}

/// The first word of a scalar type's name, in lower case (`timestamp` for
/// `TIMESTAMP WITH TIME ZONE`); none for an array (`date[]`, helper-62: a
/// written-out array cast so was taken for one date).
fn scalar_type_word(data_type: &sqlparser::ast::DataType) -> Option<String> {
    let name = data_type.to_string().to_ascii_lowercase();
    if matches!(data_type, sqlparser::ast::DataType::Array(_))
        || name.contains(['[', '<'])
        || name.starts_with("array")
    {
        return None;
    }
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .map(str::to_owned)
}

/// A date or a timestamp written out (`date '2024-01-01'`,
/// `'2024-01-01 08:00'::timestamp`); none with a time zone or other forms.
fn instant(expr: &Expr) -> Option<chrono::NaiveDateTime> {
    let (data_type, text) = match expr {
        Expr::Nested(inner) => return instant(inner),
        Expr::TypedString(typed) => (
            &typed.data_type,
            match &typed.value.value {
                Value::SingleQuotedString(s) => s.as_str(),
                _ => return None,
            },
        ),
        Expr::Cast {
            expr, data_type, ..
        } => (data_type, text(Some(expr))?),
        _ => return None,
    };
    if !matches!(
        scalar_type_word(data_type).as_deref(),
        Some("date" | "timestamp")
    ) {
        return None;
    }
    let text = text.trim();
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok())
}

/// The seconds of an interval written out (`interval '1 day'`, `interval
/// '2' hour`, `'1 week'::interval`), a month at its shortest, 28 days, and a
/// year at 365. None unless every part has one sign: PostgreSQL orders
/// intervals counting a month as 30 days, so `1 month -29.99 days` goes up
/// there and counted here would go down (helper-62: a series of a trillion
/// microseconds counted as one row); nor unless a part in months or years,
/// or one whose unit follows the literal (`INTERVAL '1.9' MINUTE`, cut to
/// whole minutes there), is a whole number.
fn step_seconds(expr: &Expr) -> Option<f64> {
    use sqlparser::ast::DateTimeField;
    let unit = |word: &str| -> Option<(f64, bool)> {
        // (seconds, counted in whole months)
        Some(match word.trim_end_matches('s') {
            "second" | "sec" => (1.0, false),
            "minute" | "min" => (60.0, false),
            "hour" | "hr" => (3_600.0, false),
            "day" => (86_400.0, false),
            "week" => (604_800.0, false),
            "month" | "mon" => (28.0 * 86_400.0, true),
            "year" | "yr" => (365.0 * 86_400.0, true),
            _ => return None,
        })
    };
    let part = |number: &str, word: &str, whole: bool| -> Option<f64> {
        let n = number.parse::<f64>().ok().filter(|n| n.is_finite())?;
        let (seconds, months) = unit(word)?;
        ((!whole && !months) || n.fract() == 0.0).then_some(n * seconds)
    };
    let parts: Vec<f64> = match expr {
        Expr::Nested(inner) => return step_seconds(inner),
        Expr::Interval(interval) => {
            let written = text(Some(&interval.value))?;
            match (&interval.leading_field, &interval.last_field) {
                (None, None) => spoken(written, &part)?,
                (Some(field), None) => {
                    let word = match field {
                        DateTimeField::Second => "second",
                        DateTimeField::Minute => "minute",
                        DateTimeField::Hour => "hour",
                        DateTimeField::Day => "day",
                        DateTimeField::Week(None) => "week",
                        DateTimeField::Month => "month",
                        DateTimeField::Year => "year",
                        _ => return None,
                    };
                    vec![part(written.trim(), word, true)?]
                }
                _ => return None,
            }
        }
        Expr::Cast {
            expr, data_type, ..
        } if scalar_type_word(data_type).as_deref() == Some("interval") => {
            spoken(text(Some(expr))?, &part)?
        }
        _ => return None,
    };
    let one_sign = parts.iter().all(|p| *p >= 0.0) || parts.iter().all(|p| *p <= 0.0);
    one_sign.then(|| parts.iter().sum())
}

/// The parts of an interval spoken as numbers and units ("1 day", "2 hours
/// 30 minutes", "-1 week"), each in seconds by `part`.
fn spoken(text: &str, part: &dyn Fn(&str, &str, bool) -> Option<f64>) -> Option<Vec<f64>> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    words
        .chunks(2)
        .map(|pair| part(&pair[0], &pair[1], false))
        .collect()
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
        } => temporal(data_type) && (fixed_scalar(expr) || written_out(expr)),
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

/// What a search for a piece of text (`instr`, `replace` on SQLite;
/// `strpos`, `position`, `replace`, `split_part` on PostgreSQL) looks for:
/// a text written in the statement (or `||`, `upper`, `lower` of such),
/// never one read or cut from the data. Both databases compare the needle
/// at every place of the text, in one call the deadline cannot stop, and a
/// needle read from the data can be made to almost match everywhere in a
/// text made of the same data (`strpos(d.body, 'z' || substr(d.body, 1,
/// 1000000))` ran 66 s; `'z' || d.body` searched in `d.body || d.body`
/// would be worse). Returns the characters written.
fn searched(name: &str, arg: Option<&Expr>) -> Result<usize, Refusal> {
    looked_for(name, arg, false)
}

/// A set of characters to trim, or a replacement, on SQLite: a column, a
/// text written in the statement, or `||` of those; returns the characters
/// written.
fn needle(name: &str, arg: Option<&Expr>) -> Result<usize, Refusal> {
    looked_for(name, arg, true)
}

/// The characters a search's `arg` writes out (see [`searched`] and
/// [`needle`]), columns counting none where `columns` admits them.
fn looked_for(name: &str, arg: Option<&Expr>, columns: bool) -> Result<usize, Refusal> {
    let Some(arg) = arg else {
        return Ok(0);
    };
    written(arg, columns).ok_or_else(|| {
        Refusal::TooLarge(Excess::ComputedNeedle {
            function: name.to_owned(),
            needle: short(arg),
        })
    })
}

/// The characters `e` writes out: texts and numbers, `||` of them, `upper`
/// and `lower` of them; columns as none where `columns`, else refused.
fn written(e: &Expr, columns: bool) -> Option<usize> {
    match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) if columns => Some(0),
        // `LIKE 'A%' COLLATE NOCASE`: the same text, compared otherwise.
        Expr::Nested(e) | Expr::Collate { expr: e, .. } => written(e, columns),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => Some(written(left, columns)? + written(right, columns)?),
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
            .try_fold(0usize, |all, e| Some(all + written(e, columns)?)),
        Expr::Function(f) if called(e).is_some_and(|n| n == "upper" || n == "lower") => {
            match &f.args {
                sqlparser::ast::FunctionArguments::List(list) if list.args.len() == 1 => {
                    argument(&list.args[0]).and_then(|a| written(a, columns))
                }
                _ => None,
            }
        }
        _ => None,
    }
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

#[cfg(test)]
pub(super) mod tests;
