//! How much longer than its input each function the allow-list admits may
//! make its result: the table the copies a row holds are counted by.

use super::MAX_ROW_COPIES;
pub(super) use crate::sql::validate::functions::Growth;
use crate::sql::validate::functions::spec;

impl Growth {
    /// The most this growth may multiply any argument by, for kinds read
    /// without their structure.
    pub(super) fn most(self) -> u64 {
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
pub(super) fn growth(name: &str) -> Growth {
    spec(name).map_or(Growth::Times(2), |f| f.growth)
}
