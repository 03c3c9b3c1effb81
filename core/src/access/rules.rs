//! A rule of what a group may not read, as an admin writes it:
//! `clients.iban` (a column), `*.salary` (that column of every table),
//! `salaries.*` (a whole table), `hr.*.*` (every table of a schema),
//! `crm.clients.iban` (a column of one schema's table).

use std::fmt;
use std::str::FromStr;

/// One part of a rule: a name, or `*` for any.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Any,
    /// Compared without regard to case, and as Unicode's confusables
    /// skeleton (kept beside it): a rule hides `IBAN` on Oracle and `iban`
    /// on PostgreSQL alike, and a table or column that only a quoted name
    /// tells apart by case, or by a look-alike letter (a Cyrillic `і`), is
    /// hidden with it (the safe side). A schema is compared by its case
    /// alone: it is the catalogue's, never the statement's.
    Name(String, String),
}

/// `name` as compared: lower case, then its confusables skeleton.
fn comparable(name: &str) -> String {
    let lower = name.to_lowercase();
    unicode_security::confusable_detection::skeleton(&lower)
        .collect::<String>()
        .to_lowercase()
}

impl Part {
    fn named(name: &str) -> Self {
        Part::Name(name.to_owned(), comparable(name))
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Part::Any => true,
            Part::Name(n, skeleton) => {
                n.eq_ignore_ascii_case(name) || *skeleton == comparable(name)
            }
        }
    }
}

/// What a group may not read: tables and columns, by name or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    text: String,
    /// `None`: any schema (the rule names none).
    schema: Option<Part>,
    table: Part,
    column: Part,
}

/// Why a rule cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{rule:?} is not a rule: write TABLE.COLUMN, SCHEMA.TABLE.COLUMN or TABLE.*, each part a name or *{why}"
)]
pub struct BadRule {
    rule: String,
    why: &'static str,
}

impl FromStr for Rule {
    type Err = BadRule;

    fn from_str(text: &str) -> Result<Self, BadRule> {
        let text = text.trim();
        let bad = |why| BadRule {
            rule: text.to_owned(),
            why,
        };
        let parts: Vec<&str> = text.split('.').map(str::trim).collect();
        let part = |p: &str| -> Result<Part, BadRule> {
            if p == "*" {
                Ok(Part::Any)
            } else if p.is_empty() {
                Err(bad(" (a part is empty)"))
            } else if p.contains('*') {
                Err(bad(" (`*` stands for a whole name, not part of one)"))
            } else if p.chars().any(|c| c.is_whitespace() || c == '"') {
                Err(bad(" (names are written without quotes or spaces)"))
            } else {
                Ok(Part::named(p))
            }
        };
        let (schema, table, column) = match parts.as_slice() {
            [table, column] => (None, part(table)?, part(column)?),
            [schema, table, column] => (Some(part(schema)?), part(table)?, part(column)?),
            _ => return Err(bad("")),
        };
        if table == Part::Any && column == Part::Any && matches!(schema, None | Some(Part::Any)) {
            return Err(bad(
                " (`*.*` would hide everything; write the group no account instead)",
            ));
        }
        Ok(Rule {
            text: parts.join("."),
            schema,
            table,
            column,
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Rule {
    fn holds_table(&self, schema: Option<&str>, table: &str) -> bool {
        let schema_matches = match (&self.schema, schema) {
            (None, _) | (Some(Part::Any), _) => true,
            (Some(Part::Name(s, _)), Some(given)) => s.eq_ignore_ascii_case(given),
            // The default schema is written without one.
            (Some(Part::Name(..)), None) => false,
        };
        schema_matches && self.table.matches(table)
    }

    /// Whether it hides `column` of the table `table` in `schema` (`None`:
    /// the default schema).
    pub fn hides(&self, schema: Option<&str>, table: &str, column: &str) -> bool {
        self.holds_table(schema, table) && self.column.matches(column)
    }

    /// Whether it may hide a column of the table (any of them).
    pub fn may_hide_in(&self, schema: Option<&str>, table: &str) -> bool {
        self.holds_table(schema, table)
    }

    /// Whether it hides the table whole (`TABLE.*`).
    pub fn hides_table(&self, schema: Option<&str>, table: &str) -> bool {
        self.column == Part::Any && self.holds_table(schema, table)
    }
}

impl Rule {
    /// Whether it hides anything of `catalog`; when not, what it may have
    /// meant (`hr.*` where hr is a schema: `hr.*.*`).
    pub fn in_catalog(&self, catalog: &crate::sql::schema::Catalog) -> Result<(), String> {
        let matched = catalog.tables.iter().any(|t| {
            t.columns
                .iter()
                .any(|c| self.hides(t.schema.as_deref(), &t.name, &c.name))
        });
        if matched {
            return Ok(());
        }
        let mut why = format!("`{self}` matches no table or column of the target");
        if let (None, Part::Name(name, _), Part::Any) = (&self.schema, &self.table, &self.column)
            && catalog.tables.iter().any(|t| {
                t.schema
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(name))
            })
        {
            why.push_str(&format!(
                "; {name} is a schema: `{name}.*.*` hides its tables"
            ));
        }
        Err(why)
    }
}
