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
//! its input, measured. That working memory is counted apart
//! ([`Bag::working`]), by name and added up over the whole row: every
//! value a row computes lives until the row is done, so two splits of
//! `a.body` and `b.body` in one row take twice the memory of one.

use std::collections::BTreeMap;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArguments, SelectItem, UnaryOperator,
};

use super::bounds::{
    MAX_DATA_REPEATS, argument, called, capture_groups, integer, replace_growth, short_length, text,
};

/// The most copies of one value read from the data one row may hold.
pub const MAX_ROW_COPIES: u64 = 16;

/// The working memory of a split into an array, in copies of what it
/// splits: up to 80 bytes a character were measured (`regexp_split_to_array
/// (body, '')` over 20 MB took a backend to 1.5 GiB).
const SPLIT_WORKING: u64 = 80;

/// The name every wildcard's copies are counted under: a `*` reads every
/// column once.
const WILDCARD: &str = "*";
/// The name every scalar subquery's value is counted under: the same
/// subquery written twice is two copies of one value.
const SUBQUERY: &str = "(subquery)";

/// Copies by the name they are read by (the last part of a column
/// reference, in ASCII lower case: `a.body` and `b.body` count together,
/// which can only count too many), and the most copies of one name any
/// value computed on the way held: `length(body || body)` holds none, but
/// the server built two copies to measure them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Bag {
    copies: BTreeMap<String, u64>,
    peak: u64,
    /// The working memory of the splits computed on the way, by name, in
    /// copies of the value the name reads (see [`Growth::Split`]).
    working: BTreeMap<String, u64>,
    /// The copies values built on the way and then spent held (`length(t
    /// || t)` built two), by name: every value a row computes lives until
    /// the row is done, so two such values side by side hold both
    /// (`length(t || t) + length(t || t)` holds four at once). A value
    /// merely read (`status = 'won'`) builds nothing and counts none.
    spent: BTreeMap<String, u64>,
    /// The values read whole by a call, by name (see [`Bag::reads`]).
    reads: BTreeMap<String, u64>,
}

impl Bag {
    fn one(name: &str) -> Self {
        Bag {
            copies: BTreeMap::from([(name.to_ascii_lowercase(), 1)]),
            ..Bag::default()
        }
        .settled()
    }

    pub(super) fn add(mut self, other: Bag) -> Self {
        for (name, n) in other.copies {
            let entry = self.copies.entry(name).or_default();
            *entry = entry.saturating_add(n);
        }
        for (name, n) in other.working {
            let entry = self.working.entry(name).or_default();
            *entry = entry.saturating_add(n);
        }
        for (name, n) in other.spent {
            let entry = self.spent.entry(name).or_default();
            *entry = entry.saturating_add(n);
        }
        for (name, n) in other.reads {
            let entry = self.reads.entry(name).or_default();
            *entry = entry.saturating_add(n);
        }
        self.peak = self.peak.max(other.peak);
        self.settled()
    }

    /// A value read whole by a call (see [`Bag::reads`]).
    fn read(mut self, expr: &Expr) -> Self {
        if let Some(name) = column_read(expr) {
            let entry = self.reads.entry(name).or_default();
            *entry = entry.saturating_add(1);
        }
        self
    }

    /// Each copy of a value read that this value holds, read whole `n`
    /// times more (a cast of what it holds: see [`cast_copies`]).
    fn held(mut self, n: u64) -> Self {
        for (name, copies) in &self.copies {
            let entry = self.reads.entry(name.clone()).or_default();
            *entry = entry.saturating_add(copies.saturating_mul(n));
        }
        self
    }

    /// How many values read from the data the calls computing this value
    /// read whole: a call given a value stored compressed or out of line
    /// unpacks its own copy, which lives until the row is done, whether the
    /// call keeps it or not (`strpos(d.body, 'z')` a hundred and twenty
    /// times in one row of a 10 MB document took a backend to 1,169 MiB;
    /// a comparison frees its copy).
    pub(super) fn reads(&self) -> u64 {
        self.reads.values().fold(0, |all, n| all.saturating_add(*n))
    }

    /// What one of two values may hold: the most of each name.
    fn either(mut self, other: Bag) -> Self {
        for (name, n) in other.copies {
            let entry = self.copies.entry(name).or_default();
            *entry = (*entry).max(n);
        }
        for (name, n) in other.working {
            let entry = self.working.entry(name).or_default();
            *entry = (*entry).max(n);
        }
        for (name, n) in other.spent {
            let entry = self.spent.entry(name).or_default();
            *entry = (*entry).max(n);
        }
        // Both branches' calls are computed only when taken: one of them.
        for (name, n) in other.reads {
            let entry = self.reads.entry(name).or_default();
            *entry = (*entry).max(n);
        }
        self.peak = self.peak.max(other.peak);
        self.settled()
    }

    /// A split of this value, whose working memory is `factor` times what
    /// it splits (see [`Growth::Split`]), on top of what was built on the
    /// way to it.
    fn split(mut self, factor: u64) -> Self {
        for (name, n) in &self.copies {
            let entry = self.working.entry(name.clone()).or_default();
            *entry = entry.saturating_add(n.saturating_mul(factor));
        }
        self
    }

    fn times(mut self, factor: u64) -> Self {
        for n in self.copies.values_mut() {
            *n = n.saturating_mul(factor);
        }
        self.settled()
    }

    /// A value computed from this one that holds none of it (a length, a
    /// truth): what was built on the way stays in the peak.
    /// A truth or a number computed from this value (`a = b`, `x IS NULL`):
    /// what was built on the way stays in the peak, and it holds none. Its
    /// operands are not counted as spent side by side: names are counted by
    /// their last part, so `c1.id = c0.id AND c2.id = c0.id …` would seem to
    /// build what it only reads.
    fn dropped(self) -> Self {
        Bag {
            copies: BTreeMap::new(),
            ..self
        }
    }

    fn spent(mut self) -> Self {
        for (name, n) in std::mem::take(&mut self.copies) {
            if n > 1 {
                let entry = self.spent.entry(name).or_default();
                *entry = entry.saturating_add(n);
            }
        }
        self.settled()
    }

    fn settled(mut self) -> Self {
        let spent = self.spent.values().copied().max().unwrap_or(0);
        self.peak = self.peak.max(self.most().0).max(spent);
        self
    }

    /// The most copies of one name, counting a wildcard's copies in every
    /// name (a `*` beside `body` holds `body` twice); with the name.
    pub(super) fn most(&self) -> (u64, String) {
        let wildcard = self.copies.get(WILDCARD).copied().unwrap_or(0);
        self.copies
            .iter()
            .filter(|(name, _)| name.as_str() != WILDCARD)
            .map(|(name, n)| (n.saturating_add(wildcard), name.clone()))
            .max()
            .unwrap_or((wildcard, WILDCARD.to_owned()))
    }

    /// The copies of each name the value holds, or values built on the way
    /// held, whichever is more.
    pub(super) fn by_name(&self) -> BTreeMap<String, u64> {
        let mut names = self.copies.clone();
        for (name, n) in &self.spent {
            let entry = names.entry(name.clone()).or_default();
            *entry = (*entry).max(*n);
        }
        names
    }

    /// The most copies of one name the value, or any value computed on the
    /// way to it, holds.
    pub(super) fn peak(&self) -> u64 {
        self.peak
    }

    /// The working memory of the splits computed on the way to the value,
    /// in copies of the value of the name they split most (a wildcard
    /// counting in every name).
    pub(super) fn working(&self) -> u64 {
        let wildcard = self.working.get(WILDCARD).copied().unwrap_or(0);
        self.working
            .iter()
            .filter(|(name, _)| name.as_str() != WILDCARD)
            .map(|(_, n)| n.saturating_add(wildcard))
            .max()
            .unwrap_or(wildcard)
    }
}

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
        Expr::BinaryOp { left, op, right } => {
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
                both.add(built_on_the_way([
                    (left.as_ref(), left_bag),
                    (right.as_ref(), right_bag),
                ]))
            } else {
                both
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
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
        e if answers(e) => {
            // A case-blind match reads a lower-case copy too (30 `ILIKE` of
            // a 10 MB document in one row: 645 MiB).
            let (read, times) = match e {
                Expr::ILike { expr, .. } => (Some(expr.as_ref()), 2),
                Expr::Like { expr, .. }
                | Expr::SimilarTo { expr, .. }
                | Expr::RLike { expr, .. } => (Some(expr.as_ref()), 1),
                Expr::Position { r#in, .. } => (Some(r#in.as_ref()), 1),
                _ => (None, 0),
            };
            let bag = every_reference(expr, 1).dropped();
            match read {
                Some(read) => (0..times).fold(bag, |bag, _| bag.read(read)),
                None => bag,
            }
        }
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

/// How many values one row of `expr` may rebuild whole, should they be
/// structured (jsonb, an array, hstore, a tsvector): `payload - 0`,
/// `payload #- '{a}'` and `tags || '{x}'` take the value apart into a tree
/// many times its text and put a new one together (two `payload - 0` of a
/// 30 MB jsonb array in one row took a backend to 802 MiB, one `payload ||
/// '[…]'` to 411 MiB). The operators are the numbers' and texts' too
/// (`total - discount`): which operands are structured only the tables'
/// types say, so every column reference in an operand that may be one
/// counts (each value a row computes lives until the row is done, so they
/// add up); the executor weighs them by the structured columns the
/// statement reads. A nested query's rows are counted where it is walked.
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

/// The working memory of a search that finds every match before it
/// answers (`regexp_count`, `regexp_instr`, `regexp_substr`), in copies
/// of the text it searches: four bytes a character for the text as wide
/// characters, eight for the two positions of a match at every character,
/// and one for the text unpacked.
const REGEXP_WORKING: u64 = 14;

/// The working memory of a split (see [`Growth::Split`]), given its
/// pattern: `regexp_matches(…, 'g')` keeps where every group of every
/// match begins and ends before it returns a row, two integers a group a
/// match, up to eight bytes a group for each character (twelve empty
/// groups took a backend to 1,066 MiB on 10 MB); so do `regexp_instr` and
/// `regexp_substr` asked for a group (ten nested groups in one
/// `regexp_instr`: 835 MiB).
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
/// dwarfs the text: `payload::jsonb` of a 10 MB text took a backend to
/// 480 MiB. To any other type, the value's text written out and read in
/// (`d.body::bytea` two; written back as text, a bytea's hex digits twice
/// as long, four: 26 `length(d.body::bytea::text)` in one row took
/// 1,513 MiB).
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
    if super::sizes::parses(data_type) {
        PARSE_COPIES
    } else if from_bytes {
        4
    } else {
        2
    }
}

/// What a parse of a text into a structure holds, in copies of the text
/// (48 measured for `jsonb`).
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
    matches!(
        name,
        "to_tsvector"
            | "to_tsquery"
            | "plainto_tsquery"
            | "phraseto_tsquery"
            | "websearch_to_tsquery"
    )
}

/// How much longer than its input a function's result may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Growth {
    /// A result of a bounded size whatever the input: a number, a truth, a
    /// date, a hash, a count.
    Bounded,
    /// At most this many times all its arguments together.
    Times(u64),
    /// Escapes text into JSON or XML, at most this many times longer; a
    /// value that is already JSON or XML (built by another such call) is
    /// put in as it is.
    Escaped(u64),
    /// `repeat`: its count times its first argument.
    Repeat,
    /// `replace`, `regexp_replace`: the replacement's length over what it
    /// replaces times the input, and the replacement once.
    Replace,
    /// `concat_ws`: the separator between every two of the others.
    Separated,
    /// `array_to_string`: the separator (and the text for a null) between
    /// every two elements, which may be as many as the characters of the
    /// text the array was split from.
    Joined,
    /// `format`, `printf`: each conversion of the pattern takes one
    /// argument (`%1$s` names which), `%I` and `%L` quote it (twice its
    /// length at most).
    Formatted,
    /// A split of its first argument into pieces: the result holds `held`
    /// times it (an array of one-character pieces takes eight bytes a
    /// character, a four-byte header each, aligned), and building it takes
    /// `working` times it (each piece allocated on its own, the text as
    /// wide characters, the positions of the matches: 40 to 80 bytes a
    /// character, measured on PostgreSQL 15).
    Split { held: u64, working: u64 },
}

impl Growth {
    /// The most this growth may multiply any argument by, for kinds read
    /// without their structure.
    fn most(self) -> u64 {
        match self {
            Growth::Bounded => 0,
            Growth::Times(n) | Growth::Escaped(n) => n,
            Growth::Repeat | Growth::Replace | Growth::Separated | Growth::Joined => MAX_ROW_COPIES,
            Growth::Formatted => MAX_ROW_COPIES,
            Growth::Split { held, .. } => held,
        }
    }
}

/// How much each function the allow-list admits (see `functions`) may
/// grow its input; a name added by the operator (`sql.allowed_functions`)
/// is taken to double it.
fn growth(name: &str) -> Growth {
    match name {
        // Numbers, truths, dates, positions, hashes, lengths, types.
        "count"
        | "sum"
        | "avg"
        | "total"
        | "stddev"
        | "stddev_pop"
        | "stddev_samp"
        | "variance"
        | "var_pop"
        | "var_samp"
        | "covar_pop"
        | "covar_samp"
        | "corr"
        | "regr_slope"
        | "regr_intercept"
        | "regr_count"
        | "regr_r2"
        | "regr_avgx"
        | "regr_avgy"
        | "median"
        | "percentile_cont"
        | "approx_count_distinct"
        | "bool_and"
        | "bool_or"
        | "every"
        | "bit_and"
        | "bit_or"
        | "grouping"
        | "grouping_id"
        | "row_number"
        | "rank"
        | "dense_rank"
        | "percent_rank"
        | "cume_dist"
        | "ntile"
        | "ratio_to_report"
        | "lnnvl"
        | "nanvl"
        | "length"
        | "lengthb"
        | "char_length"
        | "character_length"
        | "octet_length"
        | "bit_length"
        | "instr"
        | "strpos"
        | "position"
        | "starts_with"
        | "ascii"
        | "chr"
        | "char"
        | "unicode"
        | "soundex"
        | "regexp_like"
        | "array_length"
        | "cardinality"
        | "to_number"
        | "to_date"
        | "to_timestamp"
        | "from_tz"
        | "num_nulls"
        | "num_nonnulls"
        | "to_timestamp_tz"
        | "md5"
        | "sha256"
        | "ts_rank"
        | "ts_rank_cd"
        | "standard_hash"
        | "ora_hash"
        | "glob"
        | "like"
        | "abs"
        | "round"
        | "trunc"
        | "ceil"
        | "ceiling"
        | "floor"
        | "mod"
        | "power"
        | "pow"
        | "sqrt"
        | "exp"
        | "ln"
        | "log"
        | "log10"
        | "sign"
        | "width_bucket"
        | "div"
        | "pi"
        | "sin"
        | "cos"
        | "tan"
        | "asin"
        | "acos"
        | "atan"
        | "atan2"
        | "radians"
        | "degrees"
        | "bitand"
        | "add_months"
        | "months_between"
        | "last_day"
        | "next_day"
        | "date_trunc"
        | "date_part"
        | "date_bin"
        | "age"
        | "make_date"
        | "make_time"
        | "make_timestamp"
        | "make_interval"
        | "justify_days"
        | "justify_hours"
        | "justify_interval"
        | "isfinite"
        | "now"
        | "random"
        | "current_time"
        | "localtime"
        | "current_date"
        | "current_timestamp"
        | "localtimestamp"
        | "sysdate"
        | "systimestamp"
        | "numtodsinterval"
        | "numtoyminterval"
        | "to_dsinterval"
        | "to_yminterval"
        | "date"
        | "time"
        | "datetime"
        | "julianday"
        | "unixepoch"
        | "timediff"
        | "typeof"
        | "jsonb_typeof"
        | "json_typeof"
        | "jsonb_array_length"
        | "json_array_length"
        | "json_type"
        | "json_valid"
        | "json_exists" => Growth::Bounded,
        // One of their arguments, a part of one, or all of them side by
        // side: no longer than what they are given.
        "min"
        | "max"
        | "mode"
        | "percentile_disc"
        | "stats_mode"
        | "lag"
        | "lead"
        | "first_value"
        | "last_value"
        | "nth_value"
        | "coalesce"
        | "nullif"
        | "greatest"
        | "least"
        | "nvl"
        | "nvl2"
        | "decode"
        | "ifnull"
        | "iif"
        | "if"
        | "lower"
        | "upper"
        | "initcap"
        | "substr"
        | "substrb"
        | "substring"
        | "trim"
        | "ltrim"
        | "rtrim"
        | "btrim"
        | "lpad"
        | "rpad"
        | "left"
        | "right"
        | "reverse"
        | "concat"
        | "split_part"
        | "regexp_match"
        | "to_char"
        | "to_nchar"
        | "to_single_byte"
        | "strftime"
        | "cast"
        | "sys_connect_by_path"
        | "connect_by_root"
        | "xmlconcat"
        | "json_value"
        | "json_query"
        | "json_extract"
        | "jsonb_extract_path"
        | "jsonb_extract_path_text"
        | "json_extract_path"
        | "json_extract_path_text"
        | "generate_series"
        | "unnest"
        | "json_array_elements"
        | "jsonb_array_elements"
        | "json_array_elements_text"
        | "jsonb_array_elements_text"
        | "array"
        | "row"
        | "string_agg"
        | "group_concat"
        | "listagg"
        | "array_agg" => Growth::Times(1),
        // Quoting doubles a quote or writes a byte as two digits.
        "quote" | "hex" | "json_quote" => Growth::Times(2),
        // A character mapped to another may take four bytes for one.
        "translate" => Growth::Times(4),
        // JSON escapes a control character into six (`\u0001`), XML a
        // quote into six (`&quot;`).
        "to_json" | "to_jsonb" | "row_to_json" | "json_build_object" | "json_build_array"
        | "jsonb_build_object" | "jsonb_build_array" | "json_object" | "json_array"
        | "json_agg" | "jsonb_agg" | "json_object_agg" | "jsonb_object_agg" | "json_arrayagg"
        | "json_objectagg" | "xmlelement" | "xmlforest" | "xmlattributes" | "xmlagg" => {
            Growth::Escaped(6)
        }
        // Arrays of pieces, built whole.
        "string_to_array" | "regexp_split_to_array" => Growth::Split {
            held: 8,
            working: SPLIT_WORKING,
        },
        // Pieces returned one at a time, after every match was found: the
        // text as wide characters (four bytes a character) and two
        // positions a match (eight bytes, in a list that doubles).
        // A text-search vector holds at most 1 MB (PostgreSQL refuses a
        // longer one), but parsing builds every word apart: 28 bytes a
        // character of input, measured (a 10 MB text took a backend to
        // 303 MiB in `to_tsvector('simple', …)`).
        name if text_search(name) => Growth::Split {
            held: 1,
            working: 32,
        },
        "regexp_matches" | "regexp_split_to_table" | "string_to_table" => Growth::Split {
            held: 1,
            working: 24,
        },
        // A count, a position or a part of one match, after every match
        // was found: the text as wide characters and the positions of every
        // match (12.4 bytes a character measured for `regexp_count(body,
        // '.')`; six in one row of a 10 MB document took a backend to
        // 769 MiB).
        "regexp_count" | "regexp_instr" => Growth::Split {
            held: 0,
            working: REGEXP_WORKING,
        },
        "regexp_substr" => Growth::Split {
            held: 1,
            working: REGEXP_WORKING,
        },
        "repeat" => Growth::Repeat,
        "replace" | "regexp_replace" => Growth::Replace,
        "concat_ws" => Growth::Separated,
        "array_to_string" => Growth::Joined,
        "format" | "printf" => Growth::Formatted,
        _ => Growth::Times(2),
    }
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
            // beside the copy it unpacked (24 `initcap(d.body)` measured in
            // one row of a 10 MB document: 531 MiB).
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
        Growth::Joined => {
            // Each piece (at least one character of the text it was split
            // from, or none for an empty piece) brings the separator, or
            // the text for a null; computed ones are refused by `bounds`.
            let written = |e: Option<&Expr>| text(e).map(|t| t.chars().count() as u64);
            let per_piece = match (written(at(1)), at(2)) {
                (Some(sep), None) => sep.saturating_add(1),
                (Some(sep), Some(null)) => sep
                    .saturating_add(1)
                    .saturating_add(written(Some(null)).unwrap_or(u64::MAX)),
                (None, _) => u64::MAX,
            };
            bag(0).times(per_piece)
        }
        Growth::Split { held, working } => {
            let working = split_working(&name, working, at(1));
            // The text-search calls take a configuration first when given
            // two arguments: the text they parse is the second
            // (`to_tsvector('simple', body)` split nothing before, and six
            // copies of a 10 MB document parsed took 1.36 GiB).
            let text_at = usize::from(text_search(&name) && args.len() == 2);
            let others = bags
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != text_at)
                .fold(Bag::default(), |sum, (_, b)| sum.add(b.clone()));
            // Its working memory (counted apart) dwarfs the text it splits.
            return bag(text_at).split(working).times(held).add(others.spent());
        }
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

/// The values among `given` that were built (a call's result, a
/// concatenation), as spent copies: each lives until the row is done,
/// beside what is built from it, even when it keeps the length of what it
/// was built from (forty nested `reverse(…)` of a 10 MB document, six such
/// chains in one row, took a backend to 2.3 GiB). A value merely read, or
/// written out, builds nothing.
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
