//! The semantic file as written (`[sql.targets.NAME] semantic_file`, TOML):
//! entities, dimensions, measures and segments, each with its words in
//! English and French, read strictly so that a misspelt key is named
//! rather than ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::i18n::Lang;
use crate::sql::Dialect;

/// A semantic file, as read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definitions {
    #[serde(default)]
    pub entities: BTreeMap<String, Entity>,
    #[serde(default)]
    pub dimensions: BTreeMap<String, Dimension>,
    #[serde(default)]
    pub measures: BTreeMap<String, Measure>,
    #[serde(default)]
    pub segments: BTreeMap<String, Segment>,
    /// Worked plans the model is shown: generic questions of the business,
    /// never the questions it is judged on.
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// A question and the plan that answers it (JSON, as the model writes it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub question: String,
    pub plan: String,
}

/// Words in both languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub en: String,
    pub fr: String,
}

impl Words {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Fr => &self.fr,
        }
    }
}

/// SQL over an entity's columns, qualified by the entity's name: the same
/// for every database, or written for each (dates differ most).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Expr {
    Same(String),
    ByDialect {
        sqlite: String,
        postgres: String,
        oracle: String,
    },
}

impl Expr {
    pub fn get(&self, dialect: Dialect) -> &str {
        match self {
            Expr::Same(sql) => sql,
            Expr::ByDialect {
                sqlite,
                postgres,
                oracle,
            } => match dialect {
                Dialect::Sqlite => sqlite,
                Dialect::Postgres => postgres,
                Dialect::Oracle => oracle,
            },
        }
    }
}

/// A kind of row: a table (or one role of a table, such as the users who
/// manage accounts), its key and how it joins others.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub table: String,
    /// The column that identifies a row.
    #[serde(default = "default_key")]
    pub key: String,
    /// The dimensions a list of these rows always shows first (what names
    /// a row); the ones a question asks for come after.
    #[serde(default)]
    pub shown: Vec<String>,
    pub label: Words,
    pub description: Words,
    /// Joins the database declares no foreign key for, or that name one
    /// role of a table two entities share.
    #[serde(default)]
    pub joins: Vec<Join>,
}

fn default_key() -> String {
    "id".to_owned()
}

/// `column` of this entity holds the key of entity `to`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    pub column: String,
    pub to: String,
}

/// What a dimension's values are, which says how it may be cut and
/// filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimensionType {
    /// A few values that sort rows (a city, a status): compared with the
    /// values the data holds.
    Category,
    /// A date: cut by day, week, month, quarter or year.
    Time,
    Number,
    /// Names and free text: shown in lists and searched for words.
    Text,
}

impl DimensionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::Time => "time",
            Self::Number => "number",
            Self::Text => "text",
        }
    }
}

/// Something rows are described or cut by.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub entity: String,
    /// A column of the entity's table...
    #[serde(default)]
    pub column: Option<String>,
    /// ...or an expression over its columns, qualified by the entity's
    /// name (`contracts.monthly_amount * 12`).
    #[serde(default)]
    pub expr: Option<Expr>,
    #[serde(rename = "type")]
    pub kind: DimensionType,
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub label: Words,
    pub description: Words,
}

/// How a measure aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The rows (the entity's key) when no `expr` is given.
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

/// A number computed over the rows of one entity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub entity: String,
    pub aggregate: Aggregate,
    /// What is aggregated, qualified by the entity's name; the entity's
    /// key for a count without one.
    #[serde(default)]
    pub expr: Option<Expr>,
    /// The rows it counts: a condition over the entity's columns.
    #[serde(default)]
    pub filter: Option<Expr>,
    /// Decimals the result is rounded to (amounts: 2).
    #[serde(default)]
    pub decimals: Option<u8>,
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub label: Words,
    pub description: Words,
}

/// A named condition on the rows of one entity ("running contract",
/// "late payment").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub entity: String,
    pub condition: Expr,
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub label: Words,
    pub description: Words,
}

/// Why a semantic file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("cannot read {path}: {error}")]
    Unreadable { path: String, error: String },
    #[error("{0}")]
    Syntax(String),
    /// One message a mistake, each naming the key.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl Definitions {
    /// Reads a semantic file's text.
    ///
    /// # Errors
    /// The key that is unknown, missing or of the wrong type.
    pub fn parse(text: &str) -> Result<Self, DefinitionError> {
        toml::from_str(text).map_err(|e| DefinitionError::Syntax(e.to_string().trim().to_owned()))
    }

    /// Every name, of every kind: names are one namespace, so that a plan's
    /// name means one thing.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.entities
            .keys()
            .chain(self.dimensions.keys())
            .chain(self.measures.keys())
            .chain(self.segments.keys())
    }

    /// What holds within the file alone: names unique across kinds and
    /// written as identifiers, every entity named exists, a dimension has a
    /// column or an expression (not both), a count without `expr` only.
    ///
    /// # Errors
    /// Every mistake, each naming its key.
    pub fn check_names(&self) -> Result<(), DefinitionError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for name in self.names() {
            if !seen.insert(name) {
                problems.push(format!("{name}: the name is used twice (names are shared by entities, dimensions, measures and segments)"));
            }
            if !is_name(name) {
                problems.push(format!(
                    "{name}: a name is lower-case letters, digits and _, starting with a letter"
                ));
            }
        }
        let entity = |key: String, name: &str, problems: &mut Vec<String>| {
            if !self.entities.contains_key(name) {
                problems.push(format!("{key}: no entity {name:?}"));
            }
        };
        for (name, e) in &self.entities {
            for (i, join) in e.joins.iter().enumerate() {
                entity(
                    format!("entities.{name}.joins[{i}].to"),
                    &join.to,
                    &mut problems,
                );
            }
            for shown in &e.shown {
                match self.dimensions.get(shown) {
                    None => problems.push(format!("entities.{name}.shown: no dimension {shown:?}")),
                    Some(d) if d.entity != *name => problems.push(format!(
                        "entities.{name}.shown: {shown} is a dimension of {}",
                        d.entity
                    )),
                    Some(_) => {}
                }
            }
        }
        for (name, d) in &self.dimensions {
            entity(
                format!("dimensions.{name}.entity"),
                &d.entity,
                &mut problems,
            );
            if d.column.is_some() == d.expr.is_some() {
                problems.push(format!(
                    "dimensions.{name}: give either column or expr, not both or neither"
                ));
            }
        }
        for (name, m) in &self.measures {
            entity(format!("measures.{name}.entity"), &m.entity, &mut problems);
            if m.expr.is_none() && m.aggregate != Aggregate::Count {
                problems.push(format!(
                    "measures.{name}.expr: only a count may go without an expression"
                ));
            }
        }
        for (name, s) in &self.segments {
            entity(format!("segments.{name}.entity"), &s.entity, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DefinitionError::Invalid(problems))
        }
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
