//! The rows a chart is drawn from, kept as the query streams them beside
//! the CSV and the preview (the rows are read once).

use crate::sql::backend::{Cell, Column, ExecError, RowSink};

/// Keeps the result's rows for a chart, up to [`super::MAX_POINTS`]: a
/// result wider than a chart could show is known to have none from its
/// columns, and keeps nothing.
#[derive(Debug, Default)]
pub struct ChartRows {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// More rows came than were kept.
    pub more: bool,
    wide: bool,
}

/// The most columns a charted result has: a label, the numbers, and
/// identifiers beside them.
const MAX_COLUMNS: usize = 8;

impl ChartRows {
    pub fn new() -> Self {
        Self::default()
    }

    /// The chart the kept rows call for; `cut`: the rows the result was
    /// cut at, when its cap cut it (a chart of part of it would show it as
    /// the whole, so none, unless its shape says none anyway).
    ///
    /// # Errors
    /// The rule that says none.
    pub fn choose(&self, cut: Option<u64>) -> Result<super::Chart, super::NoChart> {
        if self.wide {
            return Err(super::NoChart::TooWide {
                columns: self.columns.len(),
            });
        }
        if self.more {
            return Err(super::NoChart::TooLong {
                rows: self.rows.len() + 1,
            });
        }
        let chart = super::choose(&self.columns, &self.rows)?;
        match cut {
            Some(rows) => Err(super::NoChart::Cut { rows }),
            None => Ok(chart),
        }
    }
}

impl RowSink for ChartRows {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.columns = columns.to_vec();
        self.wide = columns.len() > MAX_COLUMNS;
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        if self.wide {
            return Ok(());
        }
        if self.rows.len() < super::MAX_POINTS {
            self.rows.push(row.to_vec());
        } else {
            self.more = true;
        }
        Ok(())
    }
}
