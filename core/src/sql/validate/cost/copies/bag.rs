//! The copies one row holds of each value it reads, by the name it reads it
//! by, and what the server builds on the way to them: the count the
//! statement's bound ([`super::MAX_ROW_COPIES`]) is judged on.

use std::collections::BTreeMap;

use sqlparser::ast::Expr;

use super::{WILDCARD, column_read};

/// Copies by the name they are read by (the last part of a column
/// reference, in ASCII lower case: `a.body` and `b.body` count together,
/// which can only count too many), and the most copies of one name any
/// value computed on the way held: `length(body || body)` holds none, but
/// the server built two copies to measure them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(in crate::sql::validate) struct Bag {
    pub(super) copies: BTreeMap<String, u64>,
    pub(super) peak: u64,
    /// The working memory of the splits computed on the way, by name, in
    /// copies of the value the name reads (see [`Growth::Split`]).
    pub(super) working: BTreeMap<String, u64>,
    /// The copies values built on the way and then spent held (`length(t
    /// || t)` built two), by name: every value a row computes lives until
    /// the row is done, so two such values side by side hold both
    /// (`length(t || t) + length(t || t)` holds four at once). A value
    /// merely read (`status = 'won'`) builds nothing and counts none.
    pub(super) spent: BTreeMap<String, u64>,
    /// The values read whole by a call, by name (see [`Bag::reads`]).
    pub(super) reads: BTreeMap<String, u64>,
}

impl Bag {
    pub(super) fn one(name: &str) -> Self {
        Bag {
            copies: BTreeMap::from([(name.to_ascii_lowercase(), 1)]),
            ..Bag::default()
        }
        .settled()
    }

    pub(in crate::sql::validate) fn add(mut self, other: Bag) -> Self {
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
    pub(super) fn read(mut self, expr: &Expr) -> Self {
        if let Some(name) = column_read(expr) {
            let entry = self.reads.entry(name).or_default();
            *entry = entry.saturating_add(1);
        }
        self
    }

    /// Each copy of a value read that this value holds, read whole `n`
    /// times more (a cast of what it holds: see [`cast_copies`]).
    pub(super) fn held(mut self, n: u64) -> Self {
        for (name, copies) in &self.copies {
            let entry = self.reads.entry(name.clone()).or_default();
            *entry = entry.saturating_add(copies.saturating_mul(n));
        }
        self
    }

    /// How many values read from the data the calls computing this value
    /// read whole: a call given a value stored compressed or out of line
    /// unpacks its own copy, which lives until the row is done, whether the
    /// call keeps it or not (a comparison frees its copy).
    pub(in crate::sql::validate) fn reads(&self) -> u64 {
        self.reads.values().fold(0, |all, n| all.saturating_add(*n))
    }

    /// What one of two values may hold: the most of each name.
    pub(super) fn either(mut self, other: Bag) -> Self {
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
    pub(super) fn split(mut self, factor: u64) -> Self {
        for (name, n) in &self.copies {
            let entry = self.working.entry(name.clone()).or_default();
            *entry = entry.saturating_add(n.saturating_mul(factor));
        }
        self
    }

    pub(super) fn times(mut self, factor: u64) -> Self {
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
    pub(super) fn dropped(self) -> Self {
        Bag {
            copies: BTreeMap::new(),
            ..self
        }
    }

    pub(super) fn spent(mut self) -> Self {
        for (name, n) in std::mem::take(&mut self.copies) {
            if n > 1 {
                let entry = self.spent.entry(name).or_default();
                *entry = entry.saturating_add(n);
            }
        }
        self.settled()
    }

    pub(super) fn settled(mut self) -> Self {
        let spent = self.spent.values().copied().max().unwrap_or(0);
        self.peak = self.peak.max(self.most().0).max(spent);
        self
    }

    /// The most copies of one name, counting a wildcard's copies in every
    /// name (a `*` beside `body` holds `body` twice); with the name.
    pub(in crate::sql::validate) fn most(&self) -> (u64, String) {
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
    pub(in crate::sql::validate) fn by_name(&self) -> BTreeMap<String, u64> {
        let mut names = self.copies.clone();
        for (name, n) in &self.spent {
            let entry = names.entry(name.clone()).or_default();
            *entry = (*entry).max(*n);
        }
        names
    }

    /// The most copies of one name the value, or any value computed on the
    /// way to it, holds.
    pub(in crate::sql::validate) fn peak(&self) -> u64 {
        self.peak
    }

    /// The working memory of the splits computed on the way to the value,
    /// in copies of the value of the name they split most (a wildcard
    /// counting in every name).
    pub(in crate::sql::validate) fn working(&self) -> u64 {
        let wildcard = self.working.get(WILDCARD).copied().unwrap_or(0);
        self.working
            .iter()
            .filter(|(name, _)| name.as_str() != WILDCARD)
            .map(|(_, n)| n.saturating_add(wildcard))
            .max()
            .unwrap_or(wildcard)
    }
}
