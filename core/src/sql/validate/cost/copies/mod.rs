//! How many copies of the values it reads one row of a statement may hold,
//! judged on the parsed statement: `body || body || …` a hundred times
//! over documents of 10 MB is a gigabyte in one row on the server, without
//! any gathering, and no server setting bounds a value's size below 1 GB.
//!
//! Each expression is read as a bag of copies, by the name each copy is
//! read by: a column reference is one copy; `||`, `concat` and the
//! constructors (`ARRAY[…]`, `ROW(…)`, `json_build_object`) add their
//! parts; a `CASE` holds one of its results, so the most of them; a
//! comparison, a count, a sum or a length holds none. Every allowed
//! function says how much longer than its input its result may be (see
//! [`growth`]): `repeat(x, 5)` is five copies, `to_json(x)` six (a control
//! character is escaped into six), `format('%1$s%1$s', x)` two. A nested
//! query's rows are made of its own copies, so the bound of a statement is
//! the product of its SELECTs' (see `Walker::walk_select`): a row of the
//! outer query holds at most its most-copied name's copies of each value of
//! the inner one's rows.
//!
//! A row may hold at most [`MAX_ROW_COPIES`] copies of any one name: so a
//! row weighs at most that many times the longest value it reads.
//!
//! A split (`regexp_split_to_array`, `string_to_array`, `regexp_matches`)
//! holds few copies once built but works on many more while it builds: a
//! piece of one character becomes a value of its own with its header and
//! its place in the array, beside the text turned into wide characters
//! and the positions of every match, some 40 to 80 bytes a character of
//! its input. That working memory is counted apart
//! ([`Bag::working`]), by name and added up over the whole row: every
//! value a row computes lives until the row is done, so two splits of
//! `a.body` and `b.body` in one row take twice the memory of one.

use sqlparser::ast::{
    BinaryOperator, CaseWhen, Expr, FunctionArg, FunctionArguments, SelectItem, UnaryOperator,
};

use crate::sql::validate::bounds::{
    MAX_DATA_REPEATS, argument, called, capture_groups, integer, replace_growth, short_length, text,
};

mod bag;
mod growth;

pub(super) use bag::Bag;
use growth::{Growth, growth};

/// How many times its size as read a structured value (jsonb, an array)
/// takes in the server's memory while an operator rebuilds it: the value
/// is taken apart into a tree of nodes, some 270 bytes a member however
/// small, and put together again (a jsonb of empty objects, some 78 times
/// its size as read).
pub const REBUILT_COPIES: u64 = 80;

/// Whether `name`'s result holds no copy of its input, whatever its input
/// (a number, a truth, a date, a hash): see `growth`.
pub(super) fn bounded(name: &str) -> bool {
    matches!(growth(name), Growth::Bounded)
}

/// The most copies of one value read from the data one row may hold.
pub const MAX_ROW_COPIES: u64 = 16;

/// The name every wildcard's copies are counted under: a `*` reads every
/// column once.
const WILDCARD: &str = "*";
/// The name every scalar subquery's value is counted under: the same
/// subquery written twice is two copies of one value.
const SUBQUERY: &str = "(subquery)";

/// A number of copies to tell, `None` past a million (countless).
pub(super) fn shown(copies: u64) -> Option<u64> {
    (copies <= 1_000_000).then_some(copies)
}

/// The copies one row of a SELECT's projection holds, its `FROM` reading
/// `relations` (a `*` holds a row of each).
pub(super) fn of_projection(projection: &[SelectItem], relations: u64) -> Bag {
    projection.iter().fold(Bag::default(), |bag, item| {
        bag.add(match item {
            SelectItem::UnnamedExpr(e)
            | SelectItem::ExprWithAlias { expr: e, .. }
            | SelectItem::ExprWithAliases { expr: e, .. } => of(e),
            SelectItem::QualifiedWildcard(..) => Bag::one(WILDCARD),
            SelectItem::Wildcard(_) => Bag::one(WILDCARD).times(relations.max(1)),
        })
    })
}

/// The copies the arguments of one call hold together (a gathering's
/// row: `string_agg(body || body, ',')` holds two).
pub(super) fn of_arguments(args: &[FunctionArg]) -> Bag {
    args.iter()
        .filter_map(argument)
        .fold(Bag::default(), |bag, e| bag.add(of(e)))
}

/// The copies of the values read that one expression's value may hold.
pub(super) fn of(expr: &Expr) -> Bag {
    match expr {
        Expr::Identifier(ident) => Bag::one(&ident.value),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .map(|ident| Bag::one(&ident.value))
            .unwrap_or_default(),
        Expr::Cast {
            expr: e, data_type, ..
        } => of(e).held(cast_copies(e, data_type)),
        Expr::Nested(e)
        | Expr::Collate { expr: e, .. }
        | Expr::Trim { expr: e, .. }
        | Expr::Prefixed { value: e, .. } => of(e),
        // An excerpt of a length written out unpacks only the part it
        // takes; anything else, the whole value.
        Expr::Substring {
            expr: e,
            substring_for,
            ..
        } => match short_length(substring_for.as_deref()) {
            true => of(e),
            false => of(e).read(e),
        },
        Expr::UnaryOp { op, expr } => match op {
            UnaryOperator::Not => of(expr).dropped(),
            _ => of(expr),
        },
        Expr::BinaryOp { left, op, right } => of_operation(left, op, right),
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => of_case(operand.as_deref(), conditions, else_result.as_deref()),
        Expr::Overlay {
            expr, overlay_what, ..
        } => of(expr).add(of(overlay_what)),
        Expr::Array(array) => array
            .elem
            .iter()
            .fold(Bag::default(), |bag, e| bag.add(of(e))),
        Expr::Tuple(items) => items.iter().fold(Bag::default(), |bag, e| bag.add(of(e))),
        Expr::Subquery(_) | Expr::Exists { .. } => Bag::one(SUBQUERY),
        Expr::Function(f) => call(expr, &f.args),
        // Values written in the statement (bounded by its length).
        Expr::Value(_) | Expr::TypedString { .. } | Expr::Interval(_) => Bag::default(),
        // Whatever answers a question (truths, positions, numbers, parts
        // of dates) holds none of what it was asked of, once built.
        e if answers(e) => of_answer(e),
        Expr::Ceil { .. } | Expr::Floor { .. } => every_reference(expr, 1).dropped(),
        // Any other kind the walk lets through: every column reference in
        // it, times what each call around it may multiply it by.
        other => {
            let mut bag = every_reference(other, 0);
            bag.peak = bag.peak.max(every_reference(other, 1).peak);
            bag
        }
    }
}

/// The copies an operation's value may hold: none once a truth is
/// answered (but the text a match unpacked), both operands' otherwise,
/// and the values a chain of `||` builds on the way.
fn of_operation(left: &Expr, op: &BinaryOperator, right: &Expr) -> Bag {
    let (left_bag, right_bag) = (of(left), of(right));
    let both = left_bag.clone().add(right_bag.clone());
    if yields_truth(op) {
        let both = match op {
            // A match keeps the text it unpacked.
            BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch
            | BinaryOperator::PGLikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGStartsWith => both.read(left),
            // And a lower-case copy of it.
            BinaryOperator::PGILikeMatch | BinaryOperator::PGNotILikeMatch => {
                both.read(left).read(left)
            }
            _ => both,
        };
        both.dropped()
    } else if matches!(op, BinaryOperator::StringConcat)
        && (left_bag.copies.is_empty() || right_bag.copies.is_empty())
    {
        // `((body || '') || '') || ''`: each step a new value as
        // long as the last. A chain that adds copies at each step
        // (`body || body || body`) is weighed as a chain by the
        // executor (`k (k + 1) / 2` copies for `k`); one that adds
        // none would weigh as one copy, however deep.
        both.add(built_on_the_way([(left, left_bag), (right, right_bag)]))
    } else {
        both
    }
}

/// The copies a `CASE` may hold: one of its results (the most of them);
/// what it asks of is spent.
fn of_case(operand: Option<&Expr>, conditions: &[CaseWhen], else_result: Option<&Expr>) -> Bag {
    let asked = operand
        .iter()
        .map(|e| of(e))
        .chain(conditions.iter().map(|when| of(&when.condition)))
        .fold(Bag::default(), Bag::add)
        .spent();
    conditions
        .iter()
        .map(|when| of(&when.result))
        .chain(else_result.iter().map(|e| of(e)))
        .fold(asked, Bag::either)
}

/// The copies of an answer to a question (a truth, a position, a number, a
/// part of a date): none once built, but the text a match unpacked.
fn of_answer(expr: &Expr) -> Bag {
    // A case-blind match reads a lower-case copy too.
    let (read, times) = match expr {
        Expr::ILike { expr, .. } => (Some(expr.as_ref()), 2),
        Expr::Like { expr, .. } | Expr::SimilarTo { expr, .. } | Expr::RLike { expr, .. } => {
            (Some(expr.as_ref()), 1)
        }
        Expr::Position { r#in, .. } => (Some(r#in.as_ref()), 1),
        _ => (None, 0),
    };
    let bag = every_reference(expr, 1).dropped();
    match read {
        Some(read) => (0..times).fold(bag, |bag, _| bag.read(read)),
        None => bag,
    }
}

/// How many values one row of `expr` may rebuild whole, should they be
/// structured (jsonb, an array, hstore, a tsvector): `payload - 0`,
/// `payload #- '{a}'` and `tags || '{x}'` take the value apart into a tree
/// many times its text and put a new one together. The operators are the
/// numbers' and texts' too (`total - discount`): which operands are
/// structured only the tables' types say, so every column reference in an
/// operand that may be one counts (each value a row computes lives until
/// the row is done, so they add up); the executor weighs them by the
/// structured columns the statement reads. A nested query's rows are
/// counted where it is walked.
pub(super) fn rebuilds(expr: &Expr) -> u64 {
    use sqlparser::ast::{Query, Visit, Visitor};
    /// Column references in an operand outside nested queries, and the
    /// nested queries whose value it takes (`(SELECT payload …) - 0`).
    fn references(operand: &Expr) -> u64 {
        struct Count(u64, usize);
        impl Visitor for Count {
            type Break = ();
            fn pre_visit_query(&mut self, _: &Query) -> std::ops::ControlFlow<()> {
                self.1 += 1;
                std::ops::ControlFlow::Continue(())
            }
            fn post_visit_query(&mut self, _: &Query) -> std::ops::ControlFlow<()> {
                self.1 -= 1;
                std::ops::ControlFlow::Continue(())
            }
            fn pre_visit_expr(&mut self, e: &Expr) -> std::ops::ControlFlow<()> {
                let value = match e {
                    Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Subquery(_) => true,
                    Expr::Function(f) => matches!(f.args, FunctionArguments::Subquery(_)),
                    _ => false,
                };
                if self.1 == 0 && value {
                    self.0 = self.0.saturating_add(1);
                }
                std::ops::ControlFlow::Continue(())
            }
        }
        let mut count = Count(0, 0);
        let _ = operand.visit(&mut count);
        count.0
    }
    struct Rebuilds(u64, usize);
    impl Visitor for Rebuilds {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> std::ops::ControlFlow<()> {
            self.1 += 1;
            std::ops::ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> std::ops::ControlFlow<()> {
            self.1 -= 1;
            std::ops::ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> std::ops::ControlFlow<()> {
            if self.1 > 0 {
                return std::ops::ControlFlow::Continue(());
            }
            let rebuilt = match e {
                // What a deletion rebuilds is on its left (`jsonb - key`,
                // `hstore - keys`, `jsonb #- path`).
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Minus | BinaryOperator::HashMinus,
                    ..
                } => references(left),
                // A concatenation, either side (`element || array`).
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::StringConcat,
                    right,
                } => references(left).saturating_add(references(right)),
                _ => 0,
            };
            self.0 = self.0.saturating_add(rebuilt);
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut rebuilds = Rebuilds(0, 0);
    let _ = expr.visit(&mut rebuilds);
    rebuilds.0
}

/// Whether an expression answers a question about its operands (a truth,
/// a position, a part of a date), whose value is none of them.
pub(super) fn answers(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsNotTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotFalse(_)
            | Expr::IsUnknown(_)
            | Expr::IsNotUnknown(_)
            | Expr::IsJson { .. }
            | Expr::IsNormalized { .. }
            | Expr::IsDistinctFrom(..)
            | Expr::IsNotDistinctFrom(..)
            | Expr::InList { .. }
            | Expr::InSubquery { .. }
            | Expr::InUnnest { .. }
            | Expr::Between { .. }
            | Expr::Like { .. }
            | Expr::ILike { .. }
            | Expr::SimilarTo { .. }
            | Expr::RLike { .. }
            | Expr::AnyOp { .. }
            | Expr::AllOp { .. }
            | Expr::Exists { .. }
            | Expr::Position { .. }
            | Expr::Extract { .. }
    ) || matches!(expr, Expr::BinaryOp { op, .. } if yields_truth(op))
}

/// Whether an operator's result is a truth (a comparison, a logical
/// operator, a match), which holds none of its operands.
pub(super) fn yields_truth(op: &BinaryOperator) -> bool {
    use BinaryOperator::*;
    matches!(
        op,
        Eq | NotEq
            | Lt
            | LtEq
            | Gt
            | GtEq
            | Spaceship
            | And
            | Or
            | Xor
            | PGRegexMatch
            | PGRegexIMatch
            | PGRegexNotMatch
            | PGRegexNotIMatch
            | PGLikeMatch
            | PGILikeMatch
            | PGNotLikeMatch
            | PGNotILikeMatch
            | PGStartsWith
            | AtArrow
            | ArrowAt
            | Question
            | QuestionAnd
            | QuestionPipe
            | PGOverlap
            | AtAt
    )
}

/// The working memory of a split (see [`Growth::Split`]), given its
/// pattern: `regexp_matches(…, 'g')` keeps where every group of every
/// match begins and ends before it returns a row, two integers a group a
/// match, up to eight bytes a group for each character; so do `regexp_instr`
/// and `regexp_substr` asked for a group.
fn split_working(name: &str, working: u64, pattern: Option<&Expr>) -> u64 {
    if !matches!(name, "regexp_matches" | "regexp_instr" | "regexp_substr") {
        return working;
    }
    let groups = text(pattern).map_or(MAX_ROW_COPIES, capture_groups);
    working.saturating_add(groups.saturating_mul(8))
}

/// How many copies of the value it casts a cast holds until the row is
/// done, beyond the value itself (see [`Bag::reads`]). Read from text (JSON,
/// jsonb, arrays, XML, text-search vectors), a parse whose working memory
/// dwarfs the text ([`PARSE_COPIES`]). To any other type, the value's text
/// written out and read in (`d.body::bytea` two; written back as text, a
/// bytea's hex digits twice as long, four).
fn cast_copies(value: &Expr, data_type: &sqlparser::ast::DataType) -> u64 {
    use sqlparser::ast::DataType;
    let from_bytes = matches!(
        value,
        Expr::Cast {
            data_type: DataType::Bytea
                | DataType::Blob(_)
                | DataType::Binary(_)
                | DataType::Varbinary(_),
            ..
        }
    );
    if crate::sql::validate::syntax::parses(data_type) {
        PARSE_COPIES
    } else if from_bytes {
        4
    } else {
        2
    }
}

/// What a parse of a text into a structure holds, in copies of the text
/// (some 48 for `jsonb`).
const PARSE_COPIES: u64 = 48;

/// Whether a call's result is a value built of its arguments.
fn builds(growth: Growth) -> bool {
    !matches!(growth, Growth::Bounded | Growth::Split { .. })
}

/// The name of the column `expr` reads as it is (`d.body`, `d.body::text`),
/// by its last part in ASCII lower case, as copies are counted.
fn column_read(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(ident.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => column_read(e),
        _ => None,
    }
}

/// Whether a call unpacks a value it is given whole: all but those that
/// read its stored size from its header, count it, or pass it on as it
/// is, and an excerpt of a length written out (`substr(body, 1, 200)`),
/// which unpacks only the part it takes.
fn reads_whole(name: &str, args: &[&Expr]) -> bool {
    let excerpt = matches!(name, "substr" | "substring") && short_length(args.get(2).copied());
    !excerpt
        && !matches!(
            name,
            "octet_length"
                | "pg_column_size"
                | "count"
                | "num_nulls"
                | "num_nonnulls"
                | "coalesce"
                | "nvl"
                | "ifnull"
        )
}

/// The upper bound for kinds read without their structure: each column
/// reference inside counts once per product of the growths of the calls
/// around it, a call whose result is of a bounded size counting as
/// `bounded` (none for what the value holds, one for what is built on the
/// way).
fn every_reference(expr: &Expr, bounded: u64) -> Bag {
    use sqlparser::ast::{Visit, Visitor};
    struct References {
        around: Vec<u64>,
        bag: Bag,
        bounded: u64,
        /// The largest working factor of a split met.
        working: u64,
        /// Each reference once.
        read: Bag,
    }
    impl Visitor for References {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> std::ops::ControlFlow<()> {
            if let Some(name) = called(e) {
                let growth = growth(&name);
                if let Growth::Split { working, .. } = growth {
                    let pattern = match e {
                        Expr::Function(f) => match &f.args {
                            FunctionArguments::List(list) => list.args.get(1).and_then(argument),
                            _ => None,
                        },
                        _ => None,
                    };
                    self.working = self.working.max(split_working(&name, working, pattern));
                }
                self.around.push(match growth {
                    Growth::Bounded => self.bounded,
                    other => other.most(),
                });
            }
            let name = match e {
                Expr::Identifier(ident) => Some(&ident.value),
                Expr::CompoundIdentifier(parts) => parts.last().map(|i| &i.value),
                _ => None,
            };
            if let Some(name) = name {
                let times = self
                    .around
                    .iter()
                    .fold(1u64, |all, n| all.saturating_mul(*n));
                let bag = std::mem::take(&mut self.bag);
                self.bag = bag.add(Bag::one(name).times(times));
                let read = std::mem::take(&mut self.read);
                self.read = read.add(Bag::one(name));
            }
            std::ops::ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, e: &Expr) -> std::ops::ControlFlow<()> {
            if called(e).is_some() {
                self.around.pop();
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut references = References {
        around: Vec::new(),
        bag: Bag::default(),
        bounded,
        working: 0,
        read: Bag::default(),
    };
    let _ = expr.visit(&mut references);
    // A split somewhere inside: as if it split every reference once.
    let working = references.working;
    let bag = references.bag;
    if working > 0 {
        let split = Bag {
            copies: references.read.copies,
            ..Bag::default()
        }
        .split(working);
        Bag {
            working: split.working,
            ..bag
        }
    } else {
        bag
    }
}

/// PostgreSQL's calls that parse a text into words: `(configuration,
/// text)` or `(text)`.
fn text_search(name: &str) -> bool {
    crate::sql::validate::functions::spec(name).is_some_and(|f| f.searches_words)
}

/// The call that built `expr` as a value already escaped as JSON or XML,
/// which one put in another of its kind is not escaped again: a call that
/// builds one, or a scalar subquery that returns one
/// (`json_build_object('orders', (SELECT json_agg(o.id) FROM orders o
/// WHERE …))`, a client's card). JSON put in XML is escaped again.
fn escaped(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Nested(inner) => escaped(inner),
        Expr::Subquery(query) => single_item(query).and_then(escaped),
        e => called(e).filter(|name| matches!(growth(name), Growth::Escaped(_))),
    }
}

/// The one expression a scalar subquery's SELECT returns, when it is one
/// SELECT of one item.
pub(super) fn single_item(query: &sqlparser::ast::Query) -> Option<&Expr> {
    let sqlparser::ast::SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    match select.projection.as_slice() {
        [
            sqlparser::ast::SelectItem::UnnamedExpr(e)
            | sqlparser::ast::SelectItem::ExprWithAlias { expr: e, .. },
        ] => Some(e),
        _ => None,
    }
}

/// The copies a call's value may hold.
fn call(expr: &Expr, args: &FunctionArguments) -> Bag {
    let name = called(expr).unwrap_or_default();
    let args: Vec<&Expr> = match args {
        FunctionArguments::List(list) => list.args.iter().filter_map(argument).collect(),
        // ARRAY(SELECT …): the subquery's rows, counted where it is walked.
        FunctionArguments::Subquery(_) => return Bag::one(SUBQUERY),
        FunctionArguments::None => Vec::new(),
    };
    // Each argument's copies, counted once (a nested call's arguments are
    // counted again for every level around it otherwise); each value read
    // as it is, read whole unless the call only looks at its header.
    let bags: Vec<Bag> = args
        .iter()
        .map(|e| match reads_whole(&name, &args) {
            // A call that builds a value of what it reads holds its result
            // beside the copy it unpacked.
            true if builds(growth(&name)) => of(e).read(e).read(e),
            true => of(e).read(e),
            false => of(e),
        })
        .collect();
    let at = |i: usize| args.get(i).copied();
    let bag = |i: usize| bags.get(i).cloned().unwrap_or_default();
    let all = |from: usize| {
        bags.iter()
            .skip(from)
            .cloned()
            .fold(Bag::default(), Bag::add)
    };
    let grown = match growth(&name) {
        Growth::Bounded => return all(0).spent(),
        Growth::Times(n) => all(0).times(n),
        Growth::Escaped(n) => args.iter().zip(&bags).fold(Bag::default(), |sum, (e, b)| {
            let same_kind =
                escaped(e).is_some_and(|inner| inner.starts_with("xml") == name.starts_with("xml"));
            sum.add(b.clone().times(if same_kind { 1 } else { n }))
        }),
        Growth::Repeat => {
            let count = at(1).and_then(integer).unwrap_or(MAX_DATA_REPEATS);
            let count = u64::try_from(count.max(0)).unwrap_or(u64::MAX);
            bag(0).times(count)
        }
        Growth::Replace => {
            let (from, to) = if name == "replace" {
                (at(1), at(2))
            } else {
                (None, at(2))
            };
            let grown = u64::try_from(replace_growth(&name, from, to).max(1)).unwrap_or(u64::MAX);
            // The replacement is put in once per match: a read one counts
            // as many times as the input may match (judged by `bounds`,
            // which refuses a replacement that is not written out).
            bag(0).times(grown).add(bag(2).times(grown))
        }
        Growth::Separated => {
            let between = args.len().saturating_sub(2).max(1) as u64;
            bag(0).times(between).add(all(1))
        }
        Growth::Joined => bag(0).times(per_piece(at(1), at(2))),
        Growth::Split { held, working } => return split(&name, held, working, &args, &bags),
        Growth::Formatted => {
            let rest = &bags[bags.len().min(1)..];
            match text(at(0)) {
                Some(pattern) => {
                    let uses = conversions(pattern, rest.len());
                    rest.iter()
                        .zip(uses)
                        .fold(Bag::default(), |sum, (arg, uses)| {
                            sum.add(arg.clone().times(uses))
                        })
                }
                // A computed pattern (refused by `bounds`): each argument
                // as many times as could fit.
                None => all(0).times(MAX_ROW_COPIES + 1),
            }
        }
    };
    grown.add(built_on_the_way(args.iter().copied().zip(bags)))
}

/// What each piece of a text joined from an array brings: the separator
/// (written out), and the text for a null when one is given.
fn per_piece(separator: Option<&Expr>, null: Option<&Expr>) -> u64 {
    // Each piece (at least one character of the text it was split
    // from, or none for an empty piece) brings the separator, or
    // the text for a null; computed ones are refused by `bounds`.
    let written = |e: Option<&Expr>| text(e).map(|t| t.chars().count() as u64);
    match (written(separator), null) {
        (Some(sep), None) => sep.saturating_add(1),
        (Some(sep), Some(null)) => sep
            .saturating_add(1)
            .saturating_add(written(Some(null)).unwrap_or(u64::MAX)),
        (None, _) => u64::MAX,
    }
}

/// The copies a split's value may hold (`held` times the text it splits,
/// beside its other arguments spent), with the working memory it takes
/// to build them, `working` times the text (see [`split_working`]).
fn split(name: &str, held: u64, working: u64, args: &[&Expr], bags: &[Bag]) -> Bag {
    let working = split_working(name, working, args.get(1).copied());
    // The text-search calls take a configuration first when given
    // two arguments: the text they parse is the second
    // (`to_tsvector('simple', body)` parses `body`).
    let text_at = usize::from(text_search(name) && args.len() == 2);
    let others = bags
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != text_at)
        .fold(Bag::default(), |sum, (_, b)| sum.add(b.clone()));
    let bag = |i: usize| bags.get(i).cloned().unwrap_or_default();
    // Its working memory (counted apart) dwarfs the text it splits.
    bag(text_at).split(working).times(held).add(others.spent())
}

/// The values among `given` that were built (a call's result, a
/// concatenation), as spent copies: each lives until the row is done,
/// beside what is built from it, even when it keeps the length of what it
/// was built from (each of nested `reverse(…)` calls keeps its own copy).
/// A value merely read, or written out, builds nothing.
fn built_on_the_way<'e>(given: impl IntoIterator<Item = (&'e Expr, Bag)>) -> Bag {
    fn built(e: &Expr) -> bool {
        match e {
            Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::TypedString(_) => false,
            Expr::Nested(e) | Expr::Cast { expr: e, .. } | Expr::Collate { expr: e, .. } => {
                built(e)
            }
            _ => true,
        }
    }
    let mut spent = Bag::default();
    for (_, bag) in given.into_iter().filter(|(e, _)| built(e)) {
        for (name, n) in bag.copies {
            let entry = spent.spent.entry(name).or_default();
            *entry = entry.saturating_add(n);
        }
    }
    spent.settled()
}

/// How many times a `format`/`printf` pattern puts in each of its `count`
/// arguments: `%s` takes the next one, `%2$s` the second, `%%` none; `%I`
/// and `%L` count twice (quoting may double a value).
pub(super) fn conversions(pattern: &str, count: usize) -> Vec<u64> {
    let mut uses = vec![0u64; count];
    let mut next = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut digits = String::new();
        let mut position = None;
        let mut kind = None;
        for c in chars.by_ref() {
            match c {
                '0'..='9' => digits.push(c),
                '$' => {
                    position = digits.parse::<usize>().ok();
                    digits.clear();
                }
                c if c.is_ascii_alphabetic() || c == '%' => {
                    kind = Some(c);
                    break;
                }
                _ => {}
            }
        }
        let weight = match kind {
            Some('%') | None => continue,
            Some('I' | 'L' | 'q' | 'Q' | 'w') => 2,
            Some(_) => 1,
        };
        let index = match position {
            Some(n) => n.saturating_sub(1),
            None => {
                next += 1;
                next - 1
            }
        };
        if let Some(slot) = uses.get_mut(index) {
            *slot = slot.saturating_add(weight);
        }
    }
    uses
}

#[cfg(test)]
mod tests;
