//! A value's size as the statement makes it: the characters and digits it
//! may hold, what it reads and gathers, and how sizes combine (side by
//! side, one in another, repeated); and what a column of a relation the
//! statement makes carries of it.

use sqlparser::ast::BinaryOperator;

use super::{HUGE, MAX_COPIES};

/// What an expression can hold: the characters the statement built into
/// it, the digits of the numbers it wrote into it, (in a recursive step)
/// how many times it holds its own columns, whether it holds a value read
/// by name (a column that is not its own), which the statement cannot size,
/// whether it was gathered from rows (its length is the rows' count times
/// what each brings), and whether it is a number a recursion grows at every
/// step.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(super) struct Size {
    pub(super) chars: u64,
    pub(super) digits: u64,
    pub(super) own: u32,
    pub(super) read: bool,
    /// Built by a gathering (`string_agg`, `group_concat`, `array_agg`…):
    /// as long as the rows make it, which the statement does not bound.
    pub(super) gathered: bool,
    /// Gathered into a structured value (`jsonb_agg`, `array_agg`,
    /// `ARRAY(…)`), which an operator rebuilding it (`j - 0`, `a || '{x}'`)
    /// takes apart into a tree many times its size (see `REBUILT_COPIES`).
    pub(super) structured: bool,
    /// In a recursive step: a number computed from the step's own value
    /// (`n * 2`, `n + 1`); a number a recursion computes this way at every
    /// step gets more digits at every step (see [`Size::compounded`]).
    pub(super) from_own: bool,
    /// A number a recursion multiplies, divides or adds to itself at every
    /// step (`n * 0.1` gains a digit of scale a step, `a + b` doubles):
    /// its digits grow with a depth the statement does not bound.
    pub(super) compounded: bool,
    /// In a recursive step: a number multiplied by itself (`n * n`, `n ^
    /// 2`), whose digits double at every step (eighteen steps from 3 make
    /// 125,000 digits).
    pub(super) squared: bool,
    /// How many copies of values gathered from rows it holds, when it is
    /// a column's whole value (see [`Sizes::gathered_copies`]): `t || t`
    /// of a gathered `t` holds two, and a name carrying it brings them
    /// into whatever reads it.
    pub(super) copies: u64,
}

impl Size {
    pub(super) fn plus(self, other: Size) -> Size {
        Size {
            chars: (self.chars + other.chars).min(HUGE),
            digits: (self.digits + other.digits).min(HUGE),
            own: self.own.saturating_add(other.own),
            read: self.read || other.read,
            gathered: self.gathered || other.gathered,
            structured: self.structured || other.structured,
            from_own: self.from_own || other.from_own,
            compounded: self.compounded || other.compounded,
            squared: self.squared || other.squared,
            copies: self.copies.saturating_add(other.copies).min(MAX_COPIES),
        }
    }

    /// Two values put side by side (an array, a row): their characters
    /// add up, their numbers stay apart.
    pub(super) fn beside(self, other: Size) -> Size {
        Size {
            digits: self.digits.max(other.digits),
            ..self.plus(other)
        }
    }

    pub(super) fn max(self, other: Size) -> Size {
        Size {
            chars: self.chars.max(other.chars),
            digits: self.digits.max(other.digits),
            own: self.own.max(other.own),
            copies: self.copies.max(other.copies),
            ..self.plus(other)
        }
    }

    pub(super) fn times(self, n: u64) -> Size {
        Size {
            chars: self.chars.saturating_mul(n).min(HUGE),
            digits: self.digits.saturating_mul(n).min(HUGE),
            own: self
                .own
                .saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)),
            ..self
        }
    }

    /// A number computed from this value, carrying its digits and
    /// `more`: arithmetic keeps no characters, nor its own columns (but
    /// remembers it was computed from them).
    pub(super) fn number(self, more: u64) -> Size {
        Size {
            chars: 0,
            digits: self.digits.saturating_add(more).min(HUGE),
            own: 0,
            read: false,
            gathered: false,
            structured: false,
            from_own: self.from_own || self.own > 0,
            compounded: self.compounded,
            squared: self.squared,
            copies: 0,
        }
    }

    /// Whether this number, computed from itself at every step of a
    /// recursion by `op` with `other`, gets more digits at every step: a
    /// product, a quotient or a power of its own value, or a sum of two of
    /// its own values (`a + b`, Fibonacci's); not `n + 1`.
    pub(super) fn compounds(self, op: &BinaryOperator, other: Size) -> bool {
        let own = |s: Size| s.own > 0 || s.from_own;
        match op {
            BinaryOperator::Multiply | BinaryOperator::Divide | BinaryOperator::PGExp => {
                own(self) || own(other)
            }
            BinaryOperator::Plus | BinaryOperator::Minus => own(self) && own(other),
            _ => false,
        }
    }
}

/// What a column of a relation the statement makes carries.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(super) struct Carried {
    pub(super) chars: u64,
    pub(super) digits: u64,
    pub(super) gathered: bool,
    pub(super) structured: bool,
    pub(super) compounded: bool,
    /// Copies of values gathered from rows (see [`Size::copies`]).
    pub(super) copies: u64,
}

impl Carried {
    /// What a value of `size` leaves in a column.
    pub(super) fn of(size: Size) -> Carried {
        Carried {
            chars: size.chars,
            digits: size.digits,
            gathered: size.gathered,
            structured: size.structured,
            compounded: size.compounded,
            copies: size.copies,
        }
    }

    /// The column read by name: a value the statement did not make there.
    pub(super) fn read(self) -> Size {
        Size {
            chars: self.chars,
            digits: self.digits,
            read: true,
            gathered: self.gathered,
            structured: self.structured,
            compounded: self.compounded,
            copies: self.copies,
            ..Size::default()
        }
    }

    /// Takes in `other`; whether that grew what is known in a way that
    /// needs another round (digits follow the characters' rounds without
    /// keeping them going: a recursive step counting `lvl + 1` adds digits
    /// at every round, and a recursion's digits are not bounded here).
    pub(super) fn absorb(&mut self, other: Carried) -> bool {
        let grew = other.chars > self.chars
            || other.copies > self.copies
            || (other.gathered && !self.gathered)
            || (other.structured && !self.structured)
            || (other.compounded && !self.compounded);
        *self = self.max(other);
        grew
    }

    pub(super) fn max(self, other: Carried) -> Carried {
        Carried {
            chars: self.chars.max(other.chars),
            digits: self.digits.max(other.digits),
            gathered: self.gathered || other.gathered,
            structured: self.structured || other.structured,
            compounded: self.compounded || other.compounded,
            copies: self.copies.max(other.copies),
        }
    }
}
