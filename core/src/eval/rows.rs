//! The rows a query returns, as compared: each value in a canonical form,
//! the produced rows against the gold's, in order or as a bag.

use super::*;

/// A result as compared: each row's values in canonical form.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rows {
    pub columns: usize,
    pub rows: Vec<Vec<String>>,
    /// The same values, each row in its columns' order: what the public
    /// benchmark's rule matches columns by ([`covers`]).
    pub table: Vec<Vec<String>>,
    pub truncated: bool,
}

impl RowSink for Rows {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.columns = columns.len();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        let mut values: Vec<String> = row.iter().map(canonical).collect();
        self.table.push(values.clone());
        // Column order does not matter: a row is the multiset of its values.
        values.sort_unstable();
        self.rows.push(values);
        Ok(())
    }
}

/// A value as compared: NULL, an integer, a number to nine significant
/// digits, or the text as it is.
pub fn canonical(cell: &Cell) -> String {
    let Some(text) = cell else {
        return "NULL".to_owned();
    };
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return i.to_string();
    }
    let looks_numeric = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && t.chars().any(|c| c.is_ascii_digit());
    if looks_numeric
        && let Ok(x) = t.parse::<f64>()
        && x.is_finite()
    {
        // Nine significant digits first: a sum's 12.000000000001 is 12.
        let rounded: f64 = format!("{x:.8e}").parse().unwrap_or(x);
        if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
            return format!("{}", rounded as i64);
        }
        return format!("{rounded:.8e}");
    }
    text.clone()
}

/// `None` when the produced rows are the gold rows (in order when
/// `ordered`), else how they differ.
pub fn compare(gold: &Rows, produced: &Rows, ordered: bool) -> Option<Diff> {
    let same_order = gold.rows == produced.rows;
    let mut g = gold.rows.clone();
    let mut p = produced.rows.clone();
    g.sort_unstable();
    p.sort_unstable();
    let same_multiset = g == p;
    if same_multiset && (same_order || !ordered) {
        return None;
    }
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < g.len() || j < p.len() {
        match (g.get(i), p.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                missing.push(a.clone());
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                extra.push(b.clone());
                j += 1;
            }
            (Some(a), None) => {
                missing.push(a.clone());
                i += 1;
            }
            (None, None) => break,
        }
    }
    missing.truncate(5);
    extra.truncate(5);
    Some(Diff {
        gold_rows: gold.rows.len() as u64,
        produced_rows: produced.rows.len() as u64,
        gold_columns: gold.columns,
        produced_columns: produced.columns,
        missing,
        extra,
        order_differs: same_multiset,
        truncated: gold.truncated || produced.truncated,
    })
}

/// Whether `produced` holds the gold result by the rule of Defog's public
/// sql-eval: each gold column is one of the result's columns (by its
/// values, whatever its name), and the rows, kept to those columns, are
/// the gold's (in order when `ordered`). A result with more columns than
/// asked is then right, as published figures count it.
pub fn covers(gold: &Rows, produced: &Rows, ordered: bool) -> bool {
    if gold.table.len() != produced.table.len() {
        return false;
    }
    let column = |rows: &Rows, c: usize| -> Vec<String> {
        let mut values: Vec<String> = rows.table.iter().map(|r| r[c].clone()).collect();
        if !ordered {
            values.sort_unstable();
        }
        values
    };
    // The result's columns each gold column may be: those with its values.
    let candidates: Vec<Vec<usize>> = (0..gold.columns)
        .map(|g| {
            let wanted = column(gold, g);
            (0..produced.columns)
                .filter(|&p| column(produced, p) == wanted)
                .collect()
        })
        .collect();
    if candidates.iter().any(Vec::is_empty) {
        return false;
    }
    let project = |rows: &Rows, columns: &[usize]| -> Vec<Vec<String>> {
        let mut kept: Vec<Vec<String>> = rows
            .table
            .iter()
            .map(|r| columns.iter().map(|&c| r[c].clone()).collect())
            .collect();
        if !ordered {
            kept.sort_unstable();
        }
        kept
    };
    let wanted = project(gold, &(0..gold.columns).collect::<Vec<_>>());
    // Each choice of one candidate a gold column, the first few hundred:
    // columns of equal values are few.
    let mut choice = vec![0usize; candidates.len()];
    for _ in 0..512 {
        let columns: Vec<usize> = choice.iter().zip(&candidates).map(|(&i, c)| c[i]).collect();
        if project(produced, &columns) == wanted {
            return true;
        }
        let mut k = 0;
        loop {
            if k == choice.len() {
                return false;
            }
            choice[k] += 1;
            if choice[k] < candidates[k].len() {
                break;
            }
            choice[k] = 0;
            k += 1;
        }
    }
    false
}
