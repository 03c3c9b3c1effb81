//! What the target computes from other data, so that a rule on a column
//! holds through whatever shows it again: a view reads what its definition
//! reads, a generated column what its expression reads, each read by the
//! validator like a statement; a virtual table copies what cannot be
//! followed at all.

use crate::sql::quoted_identifier as quoted;
use crate::sql::schema::Catalog;
use crate::sql::validate::Reach;

/// The views, generated columns and filled tables of a catalogue, each
/// with what it reads (`None`: it cannot be followed, and is judged so).
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// Views, and the tables a module fills (always `None`).
    relations: Vec<(Option<String>, String, Option<Reach>)>,
    /// Generated columns: schema, table, column, what the expression reads.
    columns: Vec<(Option<String>, String, String, Option<Reach>)>,
}

impl Derived {
    /// What `catalog` derives, each definition read by `reach_of` (the
    /// validator under the target's policy and this catalogue).
    pub fn read(catalog: &Catalog, reach_of: &dyn Fn(&str) -> Option<Reach>) -> Self {
        let mut relations: Vec<_> = catalog
            .views
            .iter()
            .map(|v| {
                let definition = v.definition.trim().trim_end_matches(';').trim();
                (v.schema.clone(), v.name.clone(), reach_of(definition))
            })
            .collect();
        relations.extend(
            catalog
                .filled
                .iter()
                .map(|t| (t.schema.clone(), t.name.clone(), None)),
        );
        let columns = catalog
            .generated
            .iter()
            .map(|g| {
                let expression = g.expression.trim();
                // The expression read as what a statement over its table
                // would read; the names quoted as the catalogue spells them.
                let table = match &g.schema {
                    Some(s) => format!("{}.{}", quoted(s), quoted(&g.table)),
                    None => quoted(&g.table),
                };
                let reads = (!expression.is_empty())
                    .then(|| reach_of(&format!("SELECT {expression} FROM {table}")))
                    .flatten();
                (g.schema.clone(), g.table.clone(), g.column.clone(), reads)
            })
            .collect();
        Self { relations, columns }
    }

    /// The view or filled table `schema.name`, if it is one: what it reads,
    /// when that can be followed.
    pub fn relation(&self, schema: Option<&str>, name: &str) -> Option<Option<&Reach>> {
        self.relations
            .iter()
            // Exactly: both names are the catalogue's, and a view `"Clients"`
            // is not the table `clients`.
            .find(|(s, n, _)| n == name && s.as_deref() == schema)
            .map(|(_, _, reach)| reach.as_ref())
    }

    /// The generated column `column` of `schema.table`, if it is one: what
    /// its expression reads, when that can be followed.
    pub fn column(
        &self,
        schema: Option<&str>,
        table: &str,
        column: &str,
    ) -> Option<Option<&Reach>> {
        self.columns
            .iter()
            .find(|(s, t, c, _)| c == column && t == table && s.as_deref() == schema)
            .map(|(_, _, _, reach)| reach.as_ref())
    }

    /// How many views, filled tables and generated columns there are, and
    /// how many of them cannot be followed.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.relations.len() + self.columns.len(),
            self.unread().len(),
        )
    }

    /// Those that cannot be followed, by name.
    pub fn unread(&self) -> Vec<String> {
        let name = |s: &Option<String>, n: &str| match s {
            Some(s) => format!("{s}.{n}"),
            None => n.to_owned(),
        };
        self.relations
            .iter()
            .filter(|(_, _, r)| r.is_none())
            .map(|(s, n, _)| name(s, n))
            .chain(
                self.columns
                    .iter()
                    .filter(|(_, _, _, r)| r.is_none())
                    .map(|(s, t, c, _)| format!("{}.{c}", name(s, t))),
            )
            .collect()
    }
}
