//! Regular expressions, judged on the pattern written in the statement:
//! what makes an engine backtrack in one call the deadline cannot stop, and
//! how many states and optional atoms a pattern unfolds into when it is
//! compiled (PostgreSQL compiles it at the offer's EXPLAIN too).

use sqlparser::ast::Expr;

use super::super::super::Dialect;
use super::super::{Excess, Refusal};
use super::text;

/// A regular expression's pattern: a text written out on which the engine
/// does not backtrack ([`backtracks`]): PostgreSQL's and Oracle's do so in
/// one call the deadline cannot stop (`repeat('a', 10000) ~
/// '^(a*)(a*)\1\2$'`, folded by the planner at the offer's EXPLAIN). Never
/// a column: a CTE's may hold any pattern (`WITH p(r) AS
/// (SELECT '^(a*)\\1$')`), folded at the offer as well.
pub(in crate::sql::validate) fn regex(
    dialect: Dialect,
    name: &str,
    pattern: Option<&Expr>,
) -> Result<(), Refusal> {
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
/// [`Unfolded::states`]): `[a-z]{1,255}` is 255, and compiles at once;
/// `([a-z]{1,200}){1,200}` is 40,000, and a few hundred such patterns,
/// folded by the planner at the offer's EXPLAIN, compile past any
/// deadline.
pub const MAX_REGEX_STATES: u64 = 1_000;

/// What a regular expression unfolds into, read in each syntax that may
/// apply (see [`readings`]: in the expanded one `(a?) {0,200}` is a counted
/// repeat), the most of any reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::sql::validate) struct Unfolded {
    /// Its states: each atom one, a counted repeat (`{m,n}`) as many times
    /// as its largest count, what it repeats included (`(x{1,9}){1,9}` is
    /// 81). `*`, `+` and `?` repeat without unfolding.
    pub states: u64,
    /// The atoms that may match nothing a counted repeat unfolds:
    /// PostgreSQL removes the empty transitions of the unfolded automaton
    /// at a cost that grows as the cube of their number, before matching
    /// anything and at the offer's EXPLAIN too (the planner compiles a
    /// pattern to estimate its selectivity): `(a?a?a?a?){0,250}` (1,000)
    /// compiles some five hundred times slower than `a{0,250}` or
    /// `[a-z]{0,250}` (none).
    pub optional: u64,
}

/// The most atoms that may match nothing (`a?`, `b*`, `(ab)?`) one
/// regular expression may hold inside counted repeats, each counted as
/// many times as the repeats around it unfold it (see [`Unfolded::optional`]).
pub const MAX_REGEX_OPTIONAL: u64 = 100;

/// See [`Unfolded`].
pub(in crate::sql::validate) fn unfolded(pattern: &str) -> Unfolded {
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
/// may match nothing: `(\y){0,150}` compiles slower than `(a?){0,250}`.
const ZERO_WIDTH_WEIGHT: u64 = 4;

/// A pattern's states and the atoms that may match nothing inside its
/// counted repeats (see [`Unfolded`]).
fn unfold(chars: &[char]) -> (u64, u64) {
    let mut at = 0;
    let (mut states, mut optional) = (0u64, 0u64);
    // A `)` without its `(` ends a sequence: go on after it.
    while at < chars.len() {
        let (s, o) = unfolded_sequence(chars, &mut at);
        states = states.saturating_add(s);
        optional = optional.saturating_add(o);
        at += 1;
    }
    (states, optional)
}

/// A sequence up to its closing parenthesis: its states, and its
/// atoms that may match nothing, unfolded by the repeats inside it.
fn unfolded_sequence(chars: &[char], at: &mut usize) -> (u64, u64) {
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
                let (inner, optional) = unfolded_sequence(chars, at);
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
pub(in crate::sql::validate) fn nested_repeats(pattern: &str) -> bool {
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
pub(in crate::sql::validate) fn capture_groups(pattern: &str) -> u64 {
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
/// `(?<!`), which backtracks as well when nested.
fn backtracks(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'\\' && (b'1'..=b'9').contains(&w[1]))
        || ["(?=", "(?!", "(?<"].iter().any(|l| pattern.contains(l))
}
