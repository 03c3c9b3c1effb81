//! What a statement reads, as the walk found it: the names it reads values
//! by, and the values it parses as another type. The executor weighs by
//! them what the plan does not show.

use std::collections::BTreeSet;

/// The names a statement reads values by, folded as its dialect folds
/// them. A superset: every part of every column reference counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamesRead {
    /// Every part of every column reference (`d.body` gives `d` and `body`).
    pub columns: BTreeSet<String>,
    /// Names written alone, which may stand for a whole row (`json_agg(d)`).
    pub alone: BTreeSet<String>,
    /// A `*` or `t.*` outside `count(*)`: whole rows are read.
    pub wildcard: bool,
    /// The relations it names in `FROM` (their last part): a table read
    /// under another name (through a view, which may rename its columns)
    /// may have any of its columns read.
    pub relations: BTreeSet<String>,
}

/// The values a statement parses as another type, by the names it reads
/// them by (folded as its dialect folds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// It parses a value it reads.
    pub any: bool,
    /// The last part of each name read in what it parses (`d.body` gives
    /// `body`; a name alone may be a whole row).
    pub names: BTreeSet<String>,
    /// What it parses reads values not by a column's name (a subquery, a
    /// whole row by `*`).
    pub unresolved: bool,
    /// A CTE, a subquery, a function's rows or `VALUES` may give a value
    /// it reads another name.
    pub renamed: bool,
    /// The last part of each name whose whole value the statement writes
    /// out as text (`j::text`, `concat(j)`, `array_to_string(a, ',')`):
    /// a structured value's text may be far longer than the value as read
    /// (a jsonb of 6,000 numbers `1e131071` stored in 1.6 kB writes 786 MB),
    /// which an error on parsing it would quote whole.
    pub as_text: BTreeSet<String>,
    /// Those of [`Parsed::as_text`] written out inside what is parsed
    /// (`j::text::int`), as opposed to beside it (`j::text, (j ->> 'n')::int`).
    pub as_text_parsed: BTreeSet<String>,
}

impl Parsed {
    /// Whether `column` of the table it reads as `relation`, named `alias`
    /// in the statement, may be parsed: by its name, when the names tell;
    /// else whenever the statement reads it (`names`).
    pub fn may_parse(&self, names: &NamesRead, relation: &str, alias: &str, column: &str) -> bool {
        if !self.any {
            return false;
        }
        if self.unresolved || self.renamed || !names.relations.contains(relation) {
            return names.reads(relation, alias, column);
        }
        self.names.contains(column) || self.names.contains(alias) || self.names.contains(relation)
    }

    /// Whether `column` (see [`Parsed::may_parse`]) may be parsed after
    /// its whole value was written out as text: by its name, when the names
    /// tell; else whenever something is written out and the statement
    /// reads it.
    pub fn may_parse_as_text(
        &self,
        names: &NamesRead,
        relation: &str,
        alias: &str,
        column: &str,
    ) -> bool {
        if !self.any || self.as_text.is_empty() {
            return false;
        }
        if self.unresolved || self.renamed || !names.relations.contains(relation) {
            return names.reads(relation, alias, column);
        }
        self.as_text_parsed.contains(column)
    }
}

impl NamesRead {
    /// Whether the statement may read `column` of the table it reads as
    /// `relation`, named `alias` in the statement.
    pub fn reads(&self, relation: &str, alias: &str, column: &str) -> bool {
        !self.relations.contains(relation)
            || self.wildcard
            || self.columns.contains(column)
            || self.alone.contains(alias)
            || self.alone.contains(relation)
    }
}
