//! What the weighing measured of the tables a plan reads, and what a row of
//! a hash table takes: shared by the weighing (`weigh`), which measures, and
//! the reading of the plan (`foresight`), which adds up what its steps keep.

/// What a row of a hash table takes beyond its values: the tuple's header
/// and the table's entry.
pub(super) const HASH_ENTRY_BYTES: f64 = 64.0;

/// The tables a plan reads, by name.
#[derive(Debug, Clone, Default)]
pub(super) struct Tables {
    /// Their rows.
    pub(super) rows: std::collections::HashMap<String, f64>,
    /// The rows each read whose condition compares one column with values
    /// written out keeps (see `Foresight::conditions`), counted, by
    /// (table, alias).
    pub(super) kept: std::collections::HashMap<(String, String), f64>,
    /// Those reads' conditions, by (table, alias): each names a column of
    /// the table it reads.
    pub(super) conditions: std::collections::HashMap<(String, String), String>,
}

impl Tables {
    pub(super) fn rows(&self, name: &str) -> Option<f64> {
        self.rows.get(name).copied()
    }
}

/// Tables of so many rows, no read's rows counted (what tests write by hand).
impl FromIterator<(String, f64)> for Tables {
    fn from_iter<I: IntoIterator<Item = (String, f64)>>(tables: I) -> Self {
        Tables {
            rows: tables.into_iter().collect(),
            ..Tables::default()
        }
    }
}

/// The values stored out of line that one table read carries beyond its
/// width in the plan (see `weigh::out_of_line`), each length counted only past
/// `weigh::IN_ROW_BYTES`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct OutOfLine {
    /// Per row of the table, on average.
    pub(super) per_row: f64,
    /// In the row that carries the most: a statement may pick that one
    /// row (`max(k.val)`, `WHERE k.id = 1000`) and repeat it.
    pub(super) longest: f64,
    /// In all the rows the read's condition keeps, when it has one that
    /// compares one column with values written out (see
    /// `Foresight::condition`): measured on those rows, not on the table.
    pub(super) kept: Option<f64>,
    /// The longest structured value among them (jsonb, an array, hstore, a
    /// tsvector), as read: what one rebuild takes apart (see
    /// `weigh::weigh_rebuilds`). A value's, however many copies a row holds.
    pub(super) structured: f64,
}

impl OutOfLine {
    pub(super) fn times(self, copies: f64) -> Self {
        OutOfLine {
            per_row: self.per_row * copies,
            longest: self.longest * copies,
            kept: self.kept.map(|kept| kept * copies),
            structured: self.structured,
        }
    }
}
