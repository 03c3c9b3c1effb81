//! The order a result's rows are shown in: as the database returns them,
//! or sorted by their values for a reader who may not read a column of a
//! table the statement reads (see [`crate::access::Group::sorts`]). The
//! Execute pipeline ([`crate::sql_target::execution`]) decides which and
//! runs the rows through [`SortedRows`].

use super::backend::{Cell, Column, ExecError, Outcome, RowSink};

/// The order a result's rows are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowOrder {
    /// As the database returns them.
    #[default]
    AsReturned,
    /// Sorted by their values, every column from the first: for a reader
    /// who may not read a column of a table the statement reads, and whose
    /// statement does not order its rows wholly (see
    /// [`crate::access::Group::sorts`]), since the order the database reads
    /// rows in may follow that column. A result cut at its cap is then not
    /// shown at all ([`ExecError::CutUnordered`]): which rows were kept
    /// would follow that order too.
    ByValues,
}

/// Holds a result's rows, then gives them to a sink sorted by their
/// values (see [`RowOrder::ByValues`]). What it holds is bounded by the
/// run's row cap and result bytes, as any sink's is.
pub struct SortedRows<'s> {
    sink: &'s mut dyn RowSink,
    /// Held too: a result not shown gives its sink nothing, not even a
    /// header.
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl RowSink for SortedRows<'_> {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.columns = columns.to_vec();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        self.rows.push(row.to_vec());
        Ok(())
    }
}

impl<'s> SortedRows<'s> {
    /// Rows for `sink`, held until [`SortedRows::finish`].
    pub fn new(sink: &'s mut dyn RowSink) -> Self {
        Self {
            sink,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Gives the rows held to the sink, sorted, once the run is `outcome`.
    ///
    /// # Errors
    /// [`ExecError::CutUnordered`] when the result was cut at its cap (none
    /// is given); the sink's own error.
    pub fn finish(mut self, outcome: Outcome) -> Result<Outcome, ExecError> {
        if outcome.truncated {
            return Err(ExecError::CutUnordered(outcome.rows));
        }
        self.rows
            .sort_by(|a, b| a.iter().map(cell_key).cmp(b.iter().map(cell_key)));
        self.sink.columns(&self.columns)?;
        for row in &self.rows {
            self.sink.row(row)?;
        }
        Ok(outcome)
    }
}

/// What a value sorts by: NULL first, then numbers by value, then text by
/// its characters. Only the value decides, never where it was read.
fn cell_key(cell: &Cell) -> CellKey<'_> {
    match cell.as_deref() {
        None => CellKey::Null,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => CellKey::Number(n, text),
            _ => CellKey::Text(text),
        },
    }
}

enum CellKey<'a> {
    Null,
    Number(f64, &'a str),
    Text(&'a str),
}

impl PartialEq for CellKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for CellKey<'_> {}

impl PartialOrd for CellKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CellKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use CellKey::{Null, Number, Text};
        use std::cmp::Ordering::{Greater, Less};
        match (self, other) {
            (Null, Null) => std::cmp::Ordering::Equal,
            (Null, _) | (Number(..), Text(_)) => Less,
            (_, Null) | (Text(_), Number(..)) => Greater,
            // Equal numbers written apart (`1.0`, `1`) by their text.
            (Number(a, x), Number(b, y)) => a.total_cmp(b).then_with(|| x.cmp(y)),
            (Text(a), Text(b)) => a.cmp(b),
        }
    }
}
