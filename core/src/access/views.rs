//! What each view of the target reads underneath, so that a rule on a
//! table holds through a view over it: the view's definition, as the
//! database keeps it, read by the validator like a statement.

use crate::sql::schema::Catalog;
use crate::sql::validate::Reach;

/// The views of a catalogue, each with what its definition reads (`None`:
/// the definition could not be read, and the view is judged unreadable).
#[derive(Debug, Clone, Default)]
pub struct Views {
    read: Vec<(Option<String>, String, Option<Reach>)>,
}

impl Views {
    /// The views of `catalog`, each definition read by `reach_of` (the
    /// validator under the target's policy and this catalogue).
    pub fn read(catalog: &Catalog, reach_of: &dyn Fn(&str) -> Option<Reach>) -> Self {
        let read = catalog
            .views
            .iter()
            .map(|v| {
                let definition = v.definition.trim().trim_end_matches(';').trim();
                (v.schema.clone(), v.name.clone(), reach_of(definition))
            })
            .collect();
        Self { read }
    }

    /// The view `schema.name`, if it is one: what it reads, when known.
    pub fn get(&self, schema: Option<&str>, name: &str) -> Option<Option<&Reach>> {
        self.read
            .iter()
            // Exactly: both names are the catalogue's, and a view `"Clients"`
            // is not the table `clients`.
            .find(|(s, n, _)| n == name && s.as_deref() == schema)
            .map(|(_, _, reach)| reach.as_ref())
    }

    /// How many views there are, and how many could not be read.
    pub fn counts(&self) -> (usize, usize) {
        let unread = self.read.iter().filter(|(_, _, r)| r.is_none()).count();
        (self.read.len(), unread)
    }

    /// The views whose definitions could not be read, by name.
    pub fn unread(&self) -> Vec<String> {
        self.read
            .iter()
            .filter(|(_, _, r)| r.is_none())
            .map(|(s, n, _)| match s {
                Some(s) => format!("{s}.{n}"),
                None => n.clone(),
            })
            .collect()
    }
}
