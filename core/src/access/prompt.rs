//! What a prompt may show a person: the catalogue, the glossary and the
//! semantic model's definitions without what their groups hide, so that
//! the model is not even told of a column it could only be refused.

use std::collections::HashSet;

use super::{Access, Derived};
use crate::sql::schema::Catalog;
use crate::sql::validate::Reach;

impl Access<'_> {
    /// `catalog` as a prompt may show it to this person: without the
    /// columns none of their groups may read (a table left with none goes
    /// whole), the values of those columns, the keys that name them, and
    /// and the views that read what is hidden (or cannot be followed).
    pub fn catalog_for(&self, catalog: &Catalog, derived: &Derived) -> Catalog {
        if !self.restricted() {
            return catalog.clone();
        }
        let mut shown = catalog.clone();
        shown.tables.retain_mut(|t| {
            if let Some(view) = derived.relation(t.schema.as_deref(), &t.name) {
                return view.is_some_and(|reads| self.may_read(reads, catalog, derived));
            }
            let schema = t.schema.clone();
            let name = t.name.clone();
            let sees =
                |column: &str| self.may_see(schema.as_deref(), &name, column, catalog, derived);
            t.columns.retain(|c| sees(&c.name));
            t.primary_key.retain(|c| sees(c));
            t.foreign_keys
                .retain(|fk| fk.columns.iter().all(|c| sees(c)));
            !t.columns.is_empty()
        });
        // Keys that point at what is no longer shown go too.
        let kept: Vec<(String, Vec<String>)> = shown
            .tables
            .iter()
            .map(|t| {
                (
                    t.qualified(),
                    t.columns.iter().map(|c| c.name.clone()).collect(),
                )
            })
            .collect();
        let points_at_kept = |table: &str, columns: &[String]| {
            kept.iter().any(|(q, cols)| {
                (q == table || q.rsplit('.').next() == Some(table))
                    && columns.iter().all(|c| cols.contains(c))
            })
        };
        for t in &mut shown.tables {
            t.foreign_keys
                .retain(|fk| points_at_kept(&fk.table, &fk.ref_columns));
        }
        shown.values.retain(|v| {
            kept.iter()
                .any(|(q, cols)| *q == v.table && cols.contains(&v.column))
        });
        shown.views.retain(|v| {
            kept.iter().any(|(q, _)| {
                *q == match &v.schema {
                    Some(s) => format!("{s}.{}", v.name),
                    None => v.name.clone(),
                }
            })
        });
        shown
    }

    /// Whether this person may read everything `reach` reads (under one of
    /// their groups): an example, a definition of the semantic model.
    pub fn may_read(&self, reach: &Reach, catalog: &Catalog, derived: &Derived) -> bool {
        self.judge(reach, catalog, derived).is_ok()
    }

    /// `text` (a glossary) without the lines that name what this person may
    /// not read: a hidden table's name, a hidden `table.column`, or a
    /// column's name alone when they may read no column of that name.
    pub fn text_for(&self, text: &str, catalog: &Catalog, derived: &Derived) -> String {
        if !self.restricted() {
            return text.to_owned();
        }
        let shown = self.catalog_for(catalog, derived);
        let mut hidden: HashSet<String> = HashSet::new();
        let visible_columns: HashSet<String> = shown
            .tables
            .iter()
            .flat_map(|t| t.columns.iter().map(|c| c.name.to_lowercase()))
            .collect();
        for t in &catalog.tables {
            let kept = shown
                .tables
                .iter()
                .find(|k| k.schema == t.schema && k.name == t.name);
            let Some(kept) = kept else {
                hidden.insert(t.name.to_lowercase());
                hidden.insert(t.qualified().to_lowercase());
                continue;
            };
            for c in &t.columns {
                if !kept.columns.iter().any(|k| k.name == c.name) {
                    hidden.insert(format!("{}.{}", t.name, c.name).to_lowercase());
                    if !visible_columns.contains(&c.name.to_lowercase()) {
                        hidden.insert(c.name.to_lowercase());
                    }
                }
            }
        }
        text.lines()
            .filter(|line| !names_any(line, &hidden))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What two people may both see of a catalogue: the tables and columns
/// that both `a` and `b` (each [`Access::catalog_for`] of one catalogue)
/// keep, with the values and keys of those.
pub fn both(a: &Catalog, b: &Catalog) -> Catalog {
    let mut kept = a.clone();
    kept.tables.retain_mut(|t| {
        let Some(theirs) = b
            .tables
            .iter()
            .find(|o| o.schema == t.schema && o.name == t.name)
        else {
            return false;
        };
        t.columns
            .retain(|c| theirs.columns.iter().any(|o| o.name == c.name));
        t.primary_key.retain(|c| theirs.primary_key.contains(c));
        t.foreign_keys.retain(|fk| theirs.foreign_keys.contains(fk));
        !t.columns.is_empty()
    });
    kept.values.retain(|v| b.values.contains(v));
    kept.views.retain(|v| b.views.contains(v));
    kept
}

/// Whether `line` names one of `names` (lower case), as a word or as
/// `word.word` (`clients.iban`, `crm.clients`).
fn names_any(line: &str, names: &HashSet<String>) -> bool {
    let words: Vec<String> = line
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.iter().any(|w| {
        let w = w.trim_matches('.');
        names.contains(w)
            || w.split('.').any(|part| names.contains(part))
            || w.match_indices('.').any(|(i, _)| {
                // `crm.clients.iban` names `clients.iban`.
                names.contains(&w[i + 1..]) || names.contains(&w[..i])
            })
    })
}
