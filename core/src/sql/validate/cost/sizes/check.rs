//! The walk over every expression of a statement that weighs what it
//! builds against [`MAX_BUILT_CHARS`] and the statement's bounds, with the
//! columns' sizes [`Sizes`] settled, and what it searches for.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArguments, TableFactor, UnaryOperator,
    Visitor,
};

use super::numbers::{
    arithmetic, computes_digits, constant, floating, integer_literal, integer_typed, parsed_number,
    reads_of_data, small, texty, unbounded_number, written_digits,
};
use super::{
    HUGE, MAX_EXPONENT, MAX_GATHERED_SEARCH_CHARS, MAX_NUMERIC_DIGITS, MAX_SET_CHARS,
    MAX_STATEMENT_BUILT_CHARS, Size, Sizes, arguments, copies_in, pairs, parses, parses_structure,
    searches, searches_text, set_chars,
};
use crate::sql::Dialect;
use crate::sql::validate::bounds::{self, MAX_BUILT_CHARS, MAX_NEEDLE_CHARS};
use crate::sql::validate::cost::copies::bounded;
use crate::sql::validate::refusal::amount;
use crate::sql::validate::syntax::{short, unnested};
use crate::sql::validate::{Builder, Excess, Refusal};

/// Walks every expression, weighing what builds and what is searched for.
pub(super) struct Check<'a> {
    pub(super) sizes: &'a Sizes,
    pub(super) needles: u64,
    /// The characters of the statement's sets (see [`MAX_SET_CHARS`]).
    pub(super) sets: u64,
    /// See [`Judged::gathered_value_copies`].
    pub(super) gathered_value_copies: u64,
    /// See [`Judged::gathered_as_text`].
    pub(super) gathered_as_text: bool,
    /// See [`Judged::digits_read`].
    pub(super) digits_read: u64,
    /// See [`Judged::sought_chars`].
    pub(super) sought_chars: u64,
    /// See [`Judged::compared_reads`].
    pub(super) compared_reads: u64,
    /// What the statement looks for in gathered texts (see
    /// [`MAX_GATHERED_SEARCH_CHARS`]).
    pub(super) gathered_searched: u64,
    /// For each expression being walked, from the outermost: whether what
    /// it builds was counted toward [`Check::statement_built`].
    pub(super) counting: Vec<bool>,
    /// What the statement's expressions build, all of them together.
    pub(super) statement_built: u64,
    /// The digits the statement's logarithms, roots and powers work on.
    pub(super) digits: u64,
    pub(super) refusal: Option<Refusal>,
}

impl Check<'_> {
    fn built(&mut self, what: Builder, size: Size) -> ControlFlow<()> {
        let bound = u64::try_from(MAX_BUILT_CHARS).unwrap_or(HUGE);
        if size.chars > bound {
            self.refusal = Some(Refusal::TooLarge(Excess::Made {
                what,
                chars: amount(size.chars, HUGE),
                max: bound,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// An exponent written out is at most [`MAX_EXPONENT`]: PostgreSQL's
    /// NUMERIC makes `10 ^ 65000` a number of 65,000 digits, whose
    /// divisions then run for minutes without a check of the deadline.
    /// The exponent of a power of `base`: a number written out, at most
    /// [`MAX_EXPONENT`] whatever its notation (`999.0e1` is 9,990). On
    /// PostgreSQL, a power of an exact number (NUMERIC, which keeps every
    /// digit) must have its exponent written out: taken from the data or
    /// computed (`amount ^ (id + 40000)`, `1494.0 ^ (410 * 100)`), it makes
    /// a number of a hundred thousand digits, whose divisions run in calls
    /// no deadline interrupts (folded by the planner at the offer's EXPLAIN
    /// when written with constants). A base cast to a floating-point type is
    /// computed in hardware.
    fn exponent(&mut self, base: &Expr, exponent: &Expr) -> ControlFlow<()> {
        match constant(exponent) {
            Some(n) if n.abs() <= MAX_EXPONENT as f64 => ControlFlow::Continue(()),
            Some(n) => {
                self.refusal = Some(Refusal::TooLarge(Excess::Exponent {
                    exponent: n.abs().min(1e30) as i128,
                    max: MAX_EXPONENT,
                }));
                ControlFlow::Break(())
            }
            // `id % 20`: small whatever `id` is.
            None if small(exponent) => ControlFlow::Continue(()),
            // PostgreSQL computes an integer to an integer power in floating
            // point (`2 ^ (id % 20)`, `10 ^ (length(note) - 30)`).
            None if integer_literal(base) && integer_typed(exponent) => ControlFlow::Continue(()),
            None if self.sizes.dialect == Dialect::Postgres && !floating(base) => {
                self.refusal = Some(Refusal::TooLarge(Excess::ComputedExponent(short(exponent))));
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    }

    /// The operands of a logarithm, a root or a power: their digits count
    /// toward [`MAX_NUMERIC_DIGITS`] for the whole statement.
    fn digits<'e>(&mut self, operands: impl IntoIterator<Item = &'e Expr>) -> ControlFlow<()> {
        for operand in operands {
            let size = self.sizes.size(operand);
            // The digits of a number read from the data, only the data says
            // (a floating-point number has 17 at most), whatever arithmetic
            // was done on it on the way (`ln(p.rate + 0)`). The executor
            // measures the numeric columns read; an exact number parsed from
            // anything else read (a JSON member, a computed text) it cannot
            // (`ln((r.j ->> 'r')::numeric)` of `1 + 1e-16000`).
            // Each value read counts: a product holds the digits of all its
            // factors (sixteen factors of `1 + 1e-900` read from a table hold
            // 14,400 digits).
            if !floating(operand) {
                self.digits_read = self.digits_read.saturating_add(reads_of_data(operand));
            }
            if let Some(parsed) = parsed_number(operand) {
                self.refusal = Some(Refusal::TooLarge(Excess::ParsedNumber(short(parsed))));
                return ControlFlow::Break(());
            }
            // A number a recursion extends as text, or gathered from rows,
            // is as long as the rows make it.
            if size.compounded || size.gathered {
                self.refusal = Some(Refusal::TooLarge(Excess::RecursiveNumber(short(operand))));
                return ControlFlow::Break(());
            }
            self.digits = self.digits.saturating_add(size.digits);
        }
        if self.digits > MAX_NUMERIC_DIGITS {
            self.refusal = Some(Refusal::TooLarge(Excess::Digits {
                digits: amount(self.digits, HUGE),
                max: MAX_NUMERIC_DIGITS,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// A set of characters to trim or translate, which the database cannot
    /// stop inside one call (each character of the input is looked up in
    /// the whole set): what the statement built into it counts, and a value
    /// gathered from rows, as long as the rows make it, is refused.
    /// What it looks for counts once for each copy of a value read that
    /// the text searched, `text`, holds.
    fn needle(&mut self, needle: Option<&Expr>, text: Option<&Expr>) -> ControlFlow<()> {
        let Some(needle) = needle else {
            return ControlFlow::Continue(());
        };
        let size = self.sizes.size(needle);
        if size.gathered {
            self.refusal = Some(Refusal::TooLarge(Excess::GatheredNeedle(short(needle))));
            return ControlFlow::Break(());
        }
        self.needles = self
            .needles
            .saturating_add(size.chars.saturating_mul(copies_in(text)));
        if self.needles > MAX_NEEDLE_CHARS as u64 {
            self.refusal = Some(Refusal::TooLarge(Excess::Needles {
                chars: amount(self.needles, HUGE),
                max: MAX_NEEDLE_CHARS as u64,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// A set of characters to trim or translate: a needle (see
    /// [`Check::needle`]) the statement writes, never one read from the
    /// data, which may be as long as a document (`ltrim(a.note, b.note)`
    /// looks each character of one up in the whole other, in one call).
    fn set(&mut self, set: Option<&Expr>, text: Option<&Expr>) -> ControlFlow<()> {
        let Some(set) = set else {
            return ControlFlow::Continue(());
        };
        let size = self.sizes.size(set);
        let Some(written) = set_chars(set) else {
            self.refusal = Some(Refusal::TooLarge(Excess::ComputedSet(short(set))));
            return ControlFlow::Break(());
        };
        self.needle(Some(set), text)?;
        // A cast may pad what is written (`CAST(' ' AS char(500))`).
        let chars = size.chars.max(written);
        self.sets = self
            .sets
            .saturating_add(chars.saturating_mul(copies_in(text)));
        if self.sets > MAX_SET_CHARS {
            self.refusal = Some(Refusal::TooLarge(Excess::Sets {
                chars: amount(self.sets, HUGE),
                max: MAX_SET_CHARS,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// The text a search, a set or a pattern is applied to: never a value
    /// gathered from rows (`string_agg`, `group_concat`, `array_agg`…),
    /// directly or through the names that carry it. A search costs up to
    /// the text's length times what it looks for, in one call neither
    /// database interrupts, and a gathered text is as long as the rows make
    /// it, so such a search runs far past the deadline. A text holding
    /// copies of a value read (`x || x`) is as long as they make it: what a
    /// search looks for counts once for each (see `walk`).
    fn searched_in(
        &mut self,
        text: Option<&Expr>,
        sought: Option<&Expr>,
        weight: u64,
    ) -> ControlFlow<()> {
        let Some(text) = text else {
            return ControlFlow::Continue(());
        };
        if !self.sizes.size(text).gathered {
            return ControlFlow::Continue(());
        }
        // A needle read from the data is as long as the data: counted past
        // any bound.
        let chars = sought.map_or(0, |s| {
            let size = self.sizes.size(s);
            if size.read || size.gathered {
                HUGE
            } else {
                size.chars.max(1)
            }
        });
        // Each copy of a gathered value the text holds is searched whole.
        let copies = self.sizes.gathered_copies(text).max(1);
        self.gathered_searched = self
            .gathered_searched
            .saturating_add(chars.saturating_mul(weight).saturating_mul(copies));
        if self.gathered_searched > MAX_GATHERED_SEARCH_CHARS {
            self.refusal = Some(Refusal::TooLarge(Excess::SearchInGathered {
                text: short(text),
                chars: amount(self.gathered_searched, HUGE),
                max: MAX_GATHERED_SEARCH_CHARS,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Containment, existence and overlap (`@>`, `<@`, `?|`, `?&`, `&&`)
    /// look for each element of one side in the whole other, in one call
    /// no deadline interrupts, at a cost that grows with both sides (two
    /// jsonb catalogues `c.items @> p.items`, an array `&&` another, nested
    /// arrays written out looked for in a document). What is looked for is
    /// written out, its characters counted in [`Check::sought_chars`] for the
    /// executor to weigh against the values the statement reads (in a value
    /// gathered from rows, a search in it, judged before: see `pairs`).
    /// An overlap may compare two values read, when each is a column as it
    /// is (`a.during && b.during`, `x.tags && y.tags`), counted in
    /// [`Check::compared_reads`] and weighed as both as long as the longest
    /// value read; anything else it compares is refused.
    fn sought_elements(
        &mut self,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
    ) -> ControlFlow<()> {
        let overlap = *op == BinaryOperator::PGOverlap;
        let sought = match op {
            BinaryOperator::ArrowAt => left,
            // An overlap is symmetric: either side may be written out.
            _ if overlap && bounds::is_constant(left) => left,
            _ => right,
        };
        // A range compared with a range or with an element (a date, a
        // number): constant time, whatever the data.
        if bounds::builds_range(left) || bounds::builds_range(right) || bounds::fixed_scalar(sought)
        {
            return ControlFlow::Continue(());
        }
        if bounds::is_constant(sought) {
            let chars = (sought.to_string().len() as u64).max(self.sizes.size(sought).chars);
            self.sought_chars = self.sought_chars.saturating_add(chars).min(HUGE);
            return ControlFlow::Continue(());
        }
        let column = |e: &Expr| {
            let mut e = e;
            loop {
                match e {
                    Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => e = inner,
                    Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                        break !self.sizes.size(e).gathered;
                    }
                    _ => break false,
                }
            }
        };
        if overlap && column(left) && column(right) {
            self.compared_reads = self.compared_reads.saturating_add(1);
            return ControlFlow::Continue(());
        }
        self.refusal = Some(Refusal::TooLarge(Excess::ComputedNeedle {
            function: op.to_string(),
            needle: short(sought),
        }));
        ControlFlow::Break(())
    }

    /// A value gathered from rows is never parsed into another (a cast to
    /// `jsonb`, to an array, `to_tsvector`) nor read as rows (`FROM
    /// regexp_split_to_table(g.t, …)`, SQLite's `json_each`): parsing takes
    /// many times the text's size (`to_tsvector` keeps some 75 bytes a word),
    /// and the rows it would give escape what is known of a gathered value.
    fn parsed(&mut self, what: &Expr, value: &Expr) -> ControlFlow<()> {
        if self.sizes.size(value).gathered {
            self.refusal = Some(Refusal::TooLarge(Excess::ParsedGathered(short(what))));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// A value gathered from rows is never read as another type on
    /// PostgreSQL (`(SELECT string_agg(…))::int`, `to_date(…)`): the error
    /// on a value it cannot read quotes it whole, and the driver holds that
    /// error before the bot cuts it.
    /// A value read from a table is weighed by the executor instead
    /// (`Cost::parsed`).
    fn quoted(&mut self, what: &Expr, value: &Expr) -> ControlFlow<()> {
        if self.sizes.dialect == Dialect::Postgres && self.sizes.size(value).gathered {
            self.refusal = Some(Refusal::TooLarge(Excess::QuotedGathered(short(what))));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Values gathered from rows are never gathered again: each row of the
    /// outer one may hold all of an inner one (`array_agg(s.x)` over rows
    /// that each hold a `(SELECT string_agg(…))`), which the plan's widths
    /// do not show.
    fn gathered_again(&mut self, call: &Expr, f: &Function) -> ControlFlow<()> {
        let gathered = arguments(f).iter().any(|a| self.sizes.size(a).gathered)
            || matches!(&f.args, FunctionArguments::Subquery(q) if self.sizes.subquery(q).gathered);
        if gathered {
            self.refusal = Some(Refusal::TooLarge(Excess::GathersGathered(short(call))));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Whether a number read from the text `value` may hold digits no
    /// bound counts (PostgreSQL). One read from a text the statement cuts
    /// or builds keeps every digit of it: `substr(…, 1, 131000)::numeric`
    /// modulo another such number runs in divisions no deadline stops
    /// inside. A text built of what the statement writes may hide an
    /// exponent its length does not tell: `('1e' || '131000')` is 131,001
    /// digits in 8 characters, folded at the offer; only digits written out
    /// are counted as written (`repeat('9', 10000)`). So is one
    /// built of nothing but what it writes, whatever carries it (`replace`,
    /// `coalesce`…), and a column of a CTE or a subquery that holds such a
    /// text (a table's column holds none the statement wrote). A text
    /// written whole is read for its digits (`literal_digits`).
    fn number_from_text(&self, value: &Expr) -> bool {
        let size = self.sizes.size(value);
        let column = matches!(
            unnested(value),
            Expr::Identifier(_) | Expr::CompoundIdentifier(_)
        );
        let unknown = size.read || size.gathered || !written_digits(value);
        let written = (!size.read || column)
            && size.chars > 0
            && !written_digits(value)
            && !matches!(value, Expr::Value(_));
        (unknown && texty(value)) || written
    }

    /// Counts what `expr` builds toward the statement's whole (see
    /// [`MAX_STATEMENT_BUILT_CHARS`]) when no expression around it was
    /// counted already: `upper(repeat('a', 100))` counts a hundred, once.
    /// PostgreSQL only: SQLite's and Oracle's plans show no folded value.
    fn count_built(&mut self, expr: &Expr) -> ControlFlow<()> {
        // A choice (`CASE`, `coalesce`, `greatest`…) holds one of its values
        // but the planner folds them all: each counts on its own.
        let choice = matches!(expr, Expr::Case { .. })
            || bounds::called(expr).is_some_and(|name| {
                matches!(
                    name.as_str(),
                    "coalesce"
                        | "greatest"
                        | "least"
                        | "nullif"
                        | "nvl"
                        | "nvl2"
                        | "ifnull"
                        | "iif"
                        | "if"
                        | "decode"
                )
            });
        let counted = self.sizes.dialect == Dialect::Postgres
            && !choice
            && !matches!(expr, Expr::Value(_))
            && self.sizes.size(expr).chars > 0;
        self.counting.push(counted);
        if !counted || self.counting.iter().rev().skip(1).any(|c| *c) {
            return ControlFlow::Continue(());
        }
        self.statement_built = self
            .statement_built
            .saturating_add(self.sizes.size(expr).chars);
        if self.statement_built > MAX_STATEMENT_BUILT_CHARS {
            self.refusal = Some(Refusal::TooLarge(Excess::StatementBuilt {
                chars: amount(self.statement_built, HUGE),
                max: MAX_STATEMENT_BUILT_CHARS,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// What `expr` holds of values gathered from rows: whether it writes
    /// one as text, the most copies of one it holds, and the copies a
    /// structured one rebuilt whole is taken apart into.
    fn gathered_held(&mut self, expr: &Expr) {
        // Any case of a call's name: matching more writes notes more.
        let written = super::rendered_as_text(expr, |i| i.value.to_ascii_lowercase());
        self.gathered_as_text |= written.iter().any(|e| self.sizes.size(e).gathered);
        if matches!(expr, Expr::BinaryOp { .. } | Expr::Function(_)) {
            let copies = self.sizes.gathered_copies(expr);
            if copies > 1 || self.sizes.size(expr).gathered {
                self.gathered_value_copies = self.gathered_value_copies.max(copies);
            }
        }
        // A structured value gathered from rows and rebuilt whole (`j - 0`
        // of a CTE's `jsonb_agg(…) AS j`, `a || '{x}'` of an `array_agg`) is
        // taken apart into a tree many times its size first.
        let rebuilt: &[&Expr] = match expr {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Minus | BinaryOperator::HashMinus,
                ..
            } => &[left],
            Expr::BinaryOp {
                left,
                op: BinaryOperator::StringConcat,
                right,
            } => &[left, right],
            _ => &[],
        };
        for operand in rebuilt.iter().filter(|e| self.sizes.size(e).structured) {
            let copies = self.sizes.gathered_copies(operand);
            self.gathered_value_copies = self
                .gathered_value_copies
                .max(copies.saturating_mul(super::super::copies::REBUILT_COPIES));
        }
    }

    /// A number written out (or arithmetic on such numbers) has at most
    /// [`MAX_NUMERIC_DIGITS`] digits.
    fn written_number(&mut self, expr: &Expr) -> ControlFlow<()> {
        // No business number is written with a thousand digits; one that is
        // may reach a logarithm by a way the names do not follow (a function
        // read as rows, `unnest(ARRAY[…]) AS u(v)`). Numbers written out and
        // arithmetic on them count; a text cast to a number (at most
        // MAX_BUILT_CHARS digits) and a rounding (PostgreSQL caps its scale
        // at 2,000) count where a logarithm, a root or a power reads them.
        let written = matches!(
            expr,
            Expr::Value(_) | Expr::TypedString(_) | Expr::UnaryOp { .. }
        ) || matches!(expr, Expr::BinaryOp { op, .. } if arithmetic(op));
        let digits = if written {
            self.sizes.size(expr).digits
        } else {
            0
        };
        if digits > MAX_NUMERIC_DIGITS {
            self.refusal = Some(Refusal::TooLarge(Excess::WrittenNumber {
                digits: amount(digits, HUGE),
                max: MAX_NUMERIC_DIGITS,
            }));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// A cast: a value parsed into a structure or read as another type is
    /// never one gathered from rows, a text read as a number of unbounded
    /// precision (PostgreSQL) never one whose digits no bound counts, and
    /// what it writes is weighed as built.
    fn cast(&mut self, expr: &Expr, value: &Expr, data_type: &DataType) -> ControlFlow<()> {
        if parses(data_type) {
            self.parsed(expr, value)?;
        } else if !bounds::is_text_type(data_type) {
            self.quoted(expr, value)?;
        }
        if self.sizes.dialect == Dialect::Postgres
            && unbounded_number(data_type)
            && self.number_from_text(value)
        {
            self.refusal = Some(Refusal::TooLarge(Excess::NumberFromText(short(value))));
            return ControlFlow::Break(());
        }
        self.built(Builder::Cast, self.sizes.size(expr))
    }

    /// A containment or difference with one gathered operand: what the
    /// other writes is looked for in it, each element one search.
    fn sought_in_gathered(&mut self, left: &Expr, right: &Expr) -> ControlFlow<()> {
        let (text, sought) = if self.sizes.size(left).gathered {
            (left, right)
        } else {
            (right, left)
        };
        // Each element written is one search, whatever its
        // characters (`ARRAY[-1.0, -1.0, …]` measures as none).
        let elements = match sought {
            Expr::Array(array) => array.elem.len() as u64,
            _ => 1,
        };
        self.searched_in(Some(text), Some(sought), elements.max(1))
    }

    /// `TRIM`: each set it trims is looked for in the text, and counts
    /// toward the statement's sets.
    fn trimmed(
        &mut self,
        expr: &Expr,
        trim_what: Option<&Expr>,
        trim_characters: Option<&[Expr]>,
    ) -> ControlFlow<()> {
        for set in trim_what
            .into_iter()
            .chain(trim_characters.into_iter().flatten())
        {
            self.searched_in(Some(expr), Some(set), 2)?;
        }
        self.set(trim_what, Some(expr))?;
        for c in trim_characters.into_iter().flatten() {
            self.set(Some(c), Some(expr))?;
        }
        ControlFlow::Continue(())
    }

    /// A call: what it builds, what it gathers, parses, computes digits of
    /// and looks for, each weighed by its own bound.
    fn call(&mut self, expr: &Expr, f: &Function) -> ControlFlow<()> {
        let Some(name) = bounds::called(expr) else {
            return ControlFlow::Continue(());
        };
        if !bounded(&name) {
            self.built(Builder::Call(name.to_string()), self.sizes.size(expr))?;
        }
        if bounds::gathers(&name) {
            self.gathered_again(expr, f)?;
        }
        if crate::sql::validate::functions::parses_text(&name) {
            for arg in arguments(f) {
                self.quoted(expr, arg)?;
            }
        }
        // `numeric('1e' || '131000')`, a cast written as a call, and
        // `to_number(replace('1x-16000', 'x', 'e'), '9.9EEEE')`: as
        // `CAST(… AS numeric)` is judged; and a text written whole
        // with an exponent too (`to_number`'s format may read one).
        if self.sizes.dialect == Dialect::Postgres
            && matches!(name.as_str(), "numeric" | "decimal" | "to_number")
            && let Some(value) = arguments(f).first().copied()
            && (self.number_from_text(value)
                || (matches!(value, Expr::Value(_)) && !written_digits(value)))
        {
            self.refusal = Some(Refusal::TooLarge(Excess::NumberFromText(short(value))));
            return ControlFlow::Break(());
        }
        let args = arguments(f);
        let at = |i: usize| args.get(i).copied();
        if matches!(name.as_str(), "power" | "pow")
            && let (Some(base), Some(exponent)) = (at(0), at(1))
        {
            self.exponent(base, exponent)?;
        }
        if computes_digits(&name) {
            self.digits(args.iter().copied())?;
        }
        if matches!(
            name.as_str(),
            "ltrim" | "rtrim" | "btrim" | "trim" | "translate"
        ) && at(1).is_some()
        {
            self.searched_in(at(0), at(1), 2)?;
            self.set(at(1), at(0))?;
        }
        // The text searched and what it looks for: first and second.
        if searches_text(&name) {
            self.searched_in(at(0), at(1), 1)?;
        }
        if parses_structure(&name)
            && let Some(value) = args.last()
        {
            self.parsed(expr, value)?;
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for Check<'_> {
    type Break = ();

    /// A function read as rows from a gathered value (see [`Check::parsed`]).
    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        let args: Vec<&Expr> = match factor {
            TableFactor::Table {
                args: Some(args), ..
            } => args.args.iter().filter_map(bounds::argument).collect(),
            TableFactor::Function { args, .. } => {
                args.iter().filter_map(bounds::argument).collect()
            }
            TableFactor::TableFunction { expr, .. } => vec![expr],
            _ => Vec::new(),
        };
        for arg in args {
            self.parsed(arg, arg)?;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.counting.pop();
        ControlFlow::Continue(())
    }

    /// Weighs an expression: the gathered values it holds, what it builds
    /// toward the statement's whole, a number it writes out, then what its
    /// kind builds, parses and looks for.
    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        self.gathered_held(expr);
        self.count_built(expr)?;
        self.written_number(expr)?;
        match expr {
            Expr::BinaryOp {
                op: BinaryOperator::StringConcat,
                ..
            } => self.built(Builder::Concatenation, self.sizes.size(expr)),
            Expr::Cast {
                expr: value,
                data_type,
                ..
            } => self.cast(expr, value, data_type),
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                self.quoted(expr, timestamp)?;
                self.quoted(expr, time_zone)
            }
            Expr::BinaryOp {
                op: BinaryOperator::PGExp,
                left,
                right,
            } => {
                self.exponent(left, right)?;
                self.digits([left.as_ref(), right.as_ref()])
            }
            Expr::UnaryOp {
                op: UnaryOperator::PGSquareRoot | UnaryOperator::PGCubeRoot,
                expr,
            } => self.digits([expr.as_ref()]),
            Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
                self.searched_in(Some(expr), Some(pattern), 1)
            }
            Expr::SimilarTo { expr, pattern, .. } | Expr::RLike { expr, pattern, .. } => {
                self.searched_in(Some(expr), Some(pattern), 1)
            }
            Expr::BinaryOp { left, op, right } if searches(op) => {
                self.searched_in(Some(left), Some(right), 1)
            }
            // Two gathered values side by side in one containment or
            // difference: each element of one is looked for in the whole
            // other, in one call (`array_agg(…) @> array_agg(…)`,
            // `jsonb_agg(…) - array_agg(…)`).
            Expr::BinaryOp { left, op, right }
                if pairs(op)
                    && self.sizes.size(left).gathered
                    && self.sizes.size(right).gathered =>
            {
                self.refusal = Some(Refusal::TooLarge(Excess::GatheredPair(short(expr))));
                ControlFlow::Break(())
            }
            // One gathered operand: each element of the other is looked for
            // in the whole of it, in one call (`jsonb_agg(g) @> '[7e5, …]'`):
            // what the other writes counts as a search.
            Expr::BinaryOp { left, op, right }
                if pairs(op)
                    && (self.sizes.size(left).gathered || self.sizes.size(right).gathered) =>
            {
                self.sought_in_gathered(left, right)
            }
            // Containment and existence between values read: each element
            // of one is looked for in the whole other, in one call no
            // deadline interrupts (`c.items @> p.items` of two jsonb
            // catalogues, an `int[]` `@>` another read): what is looked for
            // is written out.
            Expr::BinaryOp { left, op, right }
                if self.sizes.dialect == Dialect::Postgres
                    && matches!(
                        op,
                        BinaryOperator::AtArrow
                            | BinaryOperator::ArrowAt
                            | BinaryOperator::QuestionAnd
                            | BinaryOperator::QuestionPipe
                            | BinaryOperator::PGOverlap
                    ) =>
            {
                self.sought_elements(left, op, right)
            }
            Expr::Position { expr: sought, r#in } => self.searched_in(Some(r#in), Some(sought), 1),
            Expr::Trim {
                expr,
                trim_what,
                trim_characters,
                ..
            } => self.trimmed(expr, trim_what.as_deref(), trim_characters.as_deref()),
            Expr::Function(f) => self.call(expr, f),
            _ => ControlFlow::Continue(()),
        }
    }
}
