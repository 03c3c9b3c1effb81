//! Another tool's semantic definitions read as Pstral's semantic model, for
//! `pstral semantic import`: a dbt project's MetricFlow `semantic_models`
//! and `metrics` ([`dbt`]), or a Snowflake Cortex Analyst semantic model
//! ([`snowflake`]). The result is text for a person to review
//! ([`super::write`]): what was guessed carries a REVIEW comment, and what
//! has no counterpart in Pstral is written commented out and listed with
//! why, so that nothing is dropped silently.
//!
//! Both formats are YAML from outside the bot (a repository, a download):
//! it is read with budgets, so that a YAML bomb is refused rather than
//! expanded, into structs that ignore the keys Pstral has no use for (a dbt
//! file also holds models, sources and tests).
//!
//! What is shared lives here: one namespace of names (Pstral's entities,
//! dimensions, measures and segments share it, the source's kinds do not),
//! the words in two languages, and SQL qualified by the entity's name.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sqlparser::ast::{Expr, Ident, visit_expressions_mut};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

pub use super::write::Counts;
use super::write::{Item, Section, Value};

pub mod dbt;
pub mod snowflake;

#[cfg(test)]
mod tests;

/// What an import read: the file's sections, what was left out and why,
/// and the saved questions found (written apart, as examples).
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub entities: Vec<Item>,
    pub dimensions: Vec<Item>,
    pub measures: Vec<Item>,
    pub segments: Vec<Item>,
    /// Each item that has no counterpart, as `kind.name: why`.
    pub left_out: Vec<String>,
    /// Questions with the SQL that answers them (Snowflake's verified
    /// queries), for `pstral examples import`.
    pub examples: Vec<SavedQuery>,
}

/// A question and its SQL, as the source saved them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedQuery {
    pub name: String,
    pub question: String,
    pub sql: String,
}

impl Imported {
    /// How many items of each kind are written (not counting those left
    /// out).
    pub fn counts(&self) -> Counts {
        let items = [
            &self.entities,
            &self.dimensions,
            &self.measures,
            &self.segments,
        ];
        Counts::of(items.into_iter().flatten()).0
    }

    /// The semantic file, under `heading`.
    pub fn text(&self, heading: &[String]) -> String {
        let section = |title: &str, items: &[Item]| Section {
            title: title.to_owned(),
            items: items.to_vec(),
        };
        super::write::write(
            heading,
            &[
                section("entities", &self.entities),
                section("dimensions", &self.dimensions),
                section("measures", &self.measures),
                section("segments", &self.segments),
            ],
        )
    }

    /// An item that cannot be used: listed, and written commented out.
    fn leave_out(&mut self, kind: Kind, name: &str, why: String, item: Option<Item>) {
        self.left_out
            .push(format!("{}.{name}: {why}", kind.source()));
        if let Some(item) = item {
            self.items(kind).push(item.out(why));
        }
    }

    fn items(&mut self, kind: Kind) -> &mut Vec<Item> {
        match kind {
            Kind::Dimension => &mut self.dimensions,
            Kind::Measure | Kind::Metric => &mut self.measures,
            Kind::Segment => &mut self.segments,
            Kind::Relationship => &mut self.entities,
        }
    }
}

/// The kinds of the sources' items, as their messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dimension,
    Measure,
    Metric,
    Segment,
    Relationship,
}

impl Kind {
    fn source(self) -> &'static str {
        match self {
            Kind::Dimension => "dimensions",
            Kind::Measure => "measures",
            Kind::Metric => "metrics",
            Kind::Segment => "filters",
            Kind::Relationship => "relationships",
        }
    }
}

/// Why a source cannot be imported at all (what cannot be mapped is not an
/// error: it is left out, with why).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {error}", path.display())]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Not YAML, a key of the wrong type, or over the budgets.
    #[error("{}: {message}", path.display())]
    Yaml { path: PathBuf, message: String },
    /// A dbt project whose models/**/*.yml declare no semantic model.
    #[error("{}: no semantic_models in models/**/*.yml or *.yaml", path.display())]
    NoSemanticModels { path: PathBuf },
}

/// `text` read as `T`, within budgets far above any real semantic file but
/// far below what a few lines of nested aliases expand to.
fn read_yaml<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, ImportError> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = 32;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = 8 * 1024 * 1024;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    serde_saphyr::from_str_with_options(text, options).map_err(|e| ImportError::Yaml {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn read_text(path: &Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path).map_err(|error| ImportError::Unreadable {
        path: path.to_owned(),
        error,
    })
}

/// A YAML scalar as text: `expr: 1` is a number to YAML and SQL to the
/// source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(x) => x.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// The names given so far: one namespace for every kind, as Pstral has it.
#[derive(Debug, Default)]
struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    /// A free name for `wanted`: as written when free, else prefixed by its
    /// entity (`status` of two models is `clients_status`), else numbered;
    /// with the REVIEW note that says so when it is not the source's.
    fn claim(&mut self, wanted: &str, entity: Option<&str>) -> (String, Option<String>) {
        let base = identifier(wanted);
        let renamed = |name: &str, why: &str| Some(format!("named {name} ({why}): {wanted:?}"));
        let mut note = (base != wanted).then(|| {
            format!("named {base}: Pstral names are lower-case letters, digits and _ ({wanted:?})")
        });
        let mut name = base.clone();
        if self.taken.contains(&name)
            && let Some(entity) = entity
        {
            name = format!("{entity}_{base}");
            note = renamed(&name, "the name was already used");
        }
        let mut n = 2;
        let stem = name.clone();
        while self.taken.contains(&name) {
            name = format!("{stem}_{n}");
            n += 1;
            note = renamed(&name, "the name was already used");
        }
        self.taken.insert(name.clone());
        (name, note)
    }
}

/// `raw` as a Pstral name: lower-case letters, digits and `_`, from a
/// letter.
fn identifier(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_lowercase() => out,
        Some(_) => format!("n_{out}"),
        None => "unnamed".to_owned(),
    }
}

/// The label and description keys of an item, from the source's one
/// language, with what to review.
fn words(item: Item, name: &str, label: Option<&str>, description: Option<&str>) -> Item {
    let label = label
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map_or_else(|| name.replace('_', " "), str::to_owned);
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    let item = item.key("label", Value::same_words(&label)).key(
        "description",
        Value::same_words(description.unwrap_or(&label)),
    );
    match description {
        Some(_) => item.review("description in one language: write the French"),
        None => item.review("no description in the source: write one, in English and French"),
    }
}

/// `sql` parsed as one SQL expression.
fn parse_expr(sql: &str) -> Result<Expr, String> {
    let mut parser = Parser::new(&GenericDialect {})
        .try_with_sql(sql)
        .map_err(|e| format!("{sql:?} does not parse: {e}"))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| format!("{sql:?} does not parse as an SQL expression: {e}"))?;
    match parser.peek_token().token {
        Token::EOF => Ok(expr),
        other => Err(format!(
            "{sql:?} does not parse as one SQL expression (at {other})"
        )),
    }
}

/// `sql` with its unqualified column references qualified by `entity`, as
/// Pstral's expressions are written (`monthly_amount * 12` of contracts is
/// `contracts.monthly_amount * 12`). References already qualified are kept.
fn qualified(sql: &str, entity: &str) -> Result<String, String> {
    let mut expr = parse_expr(sql)?;
    qualify(&mut expr, &mut |_: Option<&str>, column: &Ident| {
        Some(Expr::CompoundIdentifier(vec![
            Ident::new(entity),
            column.clone(),
        ]))
    });
    Ok(expr.to_string())
}

/// Each column reference of `expr` (`column`, or `table.column`, the table
/// given) replaced by what `replace` returns for it, when it returns one.
fn qualify(expr: &mut Expr, replace: &mut dyn FnMut(Option<&str>, &Ident) -> Option<Expr>) {
    let _ = visit_expressions_mut(expr, |e| {
        let found = match e {
            Expr::Identifier(column) => replace(None, column),
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                replace(Some(&parts[0].value), &parts[1])
            }
            _ => None,
        };
        if let Some(found) = found {
            *e = found;
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The column `sql` names alone (`city`, or `clients.city` when `table` is
/// `clients`), if it is one.
fn bare_column(sql: &str, table: &str) -> Option<String> {
    match parse_expr(sql).ok()? {
        Expr::Identifier(column) => Some(column.value),
        Expr::CompoundIdentifier(parts)
            if parts.len() == 2 && parts[0].value.eq_ignore_ascii_case(table) =>
        {
            Some(parts[1].value.clone())
        }
        _ => None,
    }
}

/// Conditions ANDed into one, each kept whole by its parentheses.
fn all_of(conditions: &[String]) -> Option<String> {
    match conditions {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(
            many.iter()
                .map(|c| format!("({c})"))
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

/// A Pstral measure as read off a source, before it is named.
#[derive(Debug, Clone, PartialEq)]
struct MeasureDef {
    entity: String,
    /// Pstral's aggregate (`count`, `sum`, ...).
    aggregate: &'static str,
    /// Qualified; none for a count of rows.
    expr: Option<String>,
    /// Qualified conditions, ANDed.
    filters: Vec<String>,
    decimals: Option<u8>,
}

impl MeasureDef {
    fn item(&self, name: &str) -> Item {
        let mut item = Item::new(format!("measures.{name}"))
            .str("entity", &self.entity)
            .str("aggregate", self.aggregate);
        if let Some(expr) = &self.expr {
            item = item.str("expr", expr);
        }
        if let Some(filter) = all_of(&self.filters) {
            item = item.str("filter", filter);
        }
        if let Some(decimals) = self.decimals {
            item = item.key("decimals", Value::Int(i64::from(decimals)));
        }
        item
    }

    /// Whether it counts the rows of its entity, and no other rows.
    fn counts_rows(&self) -> bool {
        self.aggregate == "count" && self.expr.is_none()
    }
}
