//! The company's definitions, and questions compiled through them: a
//! semantic model of a target (entities and the joins between them,
//! dimensions, measures, segments), bound to the live catalogue; the plan
//! the model answers with instead of SQL, held to a schema of the model's
//! own names; the SQL the bot writes from it for each dialect; and the
//! reading of the question it shows before anyone clicks.
//!
//! The model only chooses among names the company defined: what "MRR" or
//! "a late payment" means is written once, in [`model::Definitions`], and
//! compiled the same way every time.

pub mod compile;
pub mod doubt;
pub mod draft;
pub mod import;
pub mod model;
pub mod named;
pub mod plan;
pub mod prompt;
pub mod reading;
pub mod suggest;
pub mod write;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::sql::schema::{Catalog, CatalogTable};

pub use model::{DefinitionError, Definitions};
pub use plan::{Plan, PlanError, Resolved};

/// A semantic model bound to a target's catalogue: its tables found, its
/// joins known, its categories' values read.
#[derive(Debug, Clone)]
pub struct Semantic {
    pub definitions: Definitions,
    /// Each entity's table, as the SQL names it.
    tables: BTreeMap<String, String>,
    edges: Vec<Edge>,
    /// The values the data holds, for each category dimension whose column
    /// the catalogue read them of.
    values: BTreeMap<String, Vec<String>>,
    /// The JSON schema of a plan over these names, built once at binding.
    schema: String,
}

/// `column` of entity `from` holds the key of entity `to`: many `from`
/// rows to one `to` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub column: String,
    pub to: String,
}

/// One step of a join path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// From many rows to the one they refer to: rows are not repeated.
    Up(&'a Edge),
    /// From one row to the many that refer to it: rows are repeated.
    Down(&'a Edge),
}

impl<'a> Step<'a> {
    /// The entity this step arrives at.
    pub fn target(&self) -> &'a str {
        match self {
            Step::Up(e) => &e.to,
            Step::Down(e) => &e.from,
        }
    }
}

impl Semantic {
    /// `definitions` bound to `catalog`: every table and column they name
    /// must exist; joins come from the foreign keys (where one entity has
    /// the referred table) and from those declared; between two entities
    /// there must be one shortest way.
    ///
    /// # Errors
    /// Every mistake, each naming its key.
    pub fn bind(definitions: Definitions, catalog: &Catalog) -> Result<Self, DefinitionError> {
        definitions.check_names()?;
        let mut problems = Vec::new();
        let mut tables = BTreeMap::new();
        let find = |table: &str| catalog_table(catalog, table);
        let has_column = |table: &CatalogTable, column: &str| {
            table
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(column))
        };
        for (name, entity) in &definitions.entities {
            match find(&entity.table) {
                None => problems.push(format!(
                    "entities.{name}.table: no table {:?} in the target",
                    entity.table
                )),
                Some(t) => {
                    tables.insert(name.clone(), t.qualified());
                    if !has_column(t, &entity.key) {
                        problems.push(format!(
                            "entities.{name}.key: {} has no column {:?}",
                            t.qualified(),
                            entity.key
                        ));
                    }
                    for (i, join) in entity.joins.iter().enumerate() {
                        if !has_column(t, &join.column) {
                            problems.push(format!(
                                "entities.{name}.joins[{i}].column: {} has no column {:?}",
                                t.qualified(),
                                join.column
                            ));
                        }
                    }
                }
            }
        }
        for (name, d) in &definitions.dimensions {
            if let (Some(column), Some(table)) = (
                &d.column,
                definitions
                    .entities
                    .get(&d.entity)
                    .and_then(|e| find(&e.table)),
            ) && !has_column(table, column)
            {
                problems.push(format!(
                    "dimensions.{name}.column: {} has no column {column:?}",
                    table.qualified()
                ));
            }
        }
        let edges = edges_of(&definitions, catalog);
        let mut values = BTreeMap::new();
        for (name, d) in &definitions.dimensions {
            if d.kind != model::DimensionType::Category {
                continue;
            }
            let (Some(column), Some(table)) = (&d.column, tables.get(&d.entity)) else {
                continue;
            };
            if let Some(held) = catalog.values.iter().find(|v| {
                v.table.eq_ignore_ascii_case(table) && v.column.eq_ignore_ascii_case(column)
            }) {
                values.insert(name.clone(), held.values.clone());
            }
        }
        let bound = Semantic {
            schema: Semantic::plan_schema(&definitions, &named::Offer::all(&definitions)),
            definitions,
            tables,
            edges,
            values,
        };
        problems.extend(bound.ambiguities());
        for (i, example) in bound.definitions.examples.iter().enumerate() {
            let compiled = plan::read(&example.plan)
                .and_then(|p| bound.resolve(p))
                .and_then(|r| bound.compile(&r, crate::sql::Dialect::Sqlite));
            match compiled {
                Ok(_) | Err(PlanError::Uncovered) => {}
                Err(e) => problems.push(format!("examples[{i}].plan: {e}")),
            }
        }
        if problems.is_empty() {
            Ok(bound)
        } else {
            Err(DefinitionError::Invalid(problems))
        }
    }

    /// The JSON schema of a plan over every name of these definitions.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// What `question`, asked on `today`, names of these definitions and
    /// of the data's values.
    pub fn named(&self, question: &str, today: chrono::NaiveDate) -> named::Named {
        self.definitions.named(question, &self.values, today)
    }

    /// The JSON schema a plan for a question that names `named` is held
    /// to: every measure and entity, and only the cuts, filters, segments,
    /// orders and grains it names ([`named::Offer::of`]).
    pub fn schema_for(&self, named: &named::Named) -> String {
        let offer = named::Offer::of(&self.definitions, named);
        Self::plan_schema(&self.definitions, &offer)
    }

    /// The table of `entity`, as the SQL names it.
    pub fn table<'a>(&'a self, entity: &'a str) -> &'a str {
        self.tables.get(entity).map_or(entity, String::as_str)
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The values the data holds for a category dimension, when read.
    pub fn values_of(&self, dimension: &str) -> Option<&[String]> {
        self.values.get(dimension).map(Vec::as_slice)
    }

    /// The shortest join path from entity `from` to `to` (empty when they
    /// are the same), or `None` when none joins them.
    pub fn path(&self, from: &str, to: &str) -> Option<Vec<Step<'_>>> {
        self.paths(from, to).0
    }

    /// The shortest path, and how many paths are that short.
    fn paths(&self, from: &str, to: &str) -> (Option<Vec<Step<'_>>>, usize) {
        if from == to {
            return (Some(Vec::new()), 1);
        }
        // Breadth first, counting the shortest ways into each entity.
        let mut first: BTreeMap<&str, Vec<Step<'_>>> = BTreeMap::new();
        let mut ways: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        first.insert(from, Vec::new());
        ways.insert(from, (0, 1));
        while let Some(at) = queue.pop_front() {
            let (depth, count) = ways[at];
            let path = first[at].clone();
            for edge in &self.edges {
                let step = if edge.from == at {
                    Step::Up(edge)
                } else if edge.to == at {
                    Step::Down(edge)
                } else {
                    continue;
                };
                let next = step.target();
                match ways.get_mut(next) {
                    Some((d, c)) if *d == depth + 1 => *c += count,
                    Some(_) => {}
                    None => {
                        ways.insert(next, (depth + 1, count));
                        let mut longer = path.clone();
                        longer.push(step);
                        first.insert(next, longer);
                        queue.push_back(next);
                    }
                }
            }
        }
        (first.remove(to), ways.get(to).map_or(0, |w| w.1))
    }

    /// Pairs of entities joined two ways equally short: which one a
    /// question means cannot be known, so one must be declared.
    fn ambiguities(&self) -> Vec<String> {
        let names: Vec<&String> = self.definitions.entities.keys().collect();
        let mut found = Vec::new();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                if let (Some(_), n) = self.paths(a, b)
                    && n > 1
                {
                    found.push(format!(
                        "entities.{a}: joins {b} {n} ways equally short; declare the one meant \
                         (joins) or give each role of the table an entity of its own"
                    ));
                }
            }
        }
        found
    }

    /// Fails when the plan's names cannot be joined: every dimension,
    /// filter and segment must reach the rows it applies to.
    fn reachable(&self, resolved: &Resolved) -> Result<(), PlanError> {
        let plan = &resolved.plan;
        let d = &self.definitions;
        let bases: BTreeSet<&str> = match plan.kind {
            plan::Kind::List => BTreeSet::from([plan.entity.as_str()]),
            _ => plan
                .measures
                .iter()
                .filter_map(|m| d.measures.get(m).map(|m| m.entity.as_str()))
                .collect(),
        };
        let mut reached: Vec<(&str, &str)> = Vec::new();
        for cut in &plan.dimensions {
            reached.push((&cut.name, &d.dimensions[&cut.name].entity));
        }
        for f in &plan.filters {
            reached.push((&f.dimension, &d.dimensions[&f.dimension].entity));
        }
        for s in plan.segments.iter().chain(&plan.without) {
            let entity = d
                .segments
                .get(s)
                .map_or(s.as_str(), |seg| seg.entity.as_str());
            reached.push((s, entity));
        }
        for c in &plan.compare {
            reached.push((&c.left, &d.dimensions[&c.left].entity));
            reached.push((&c.right, &d.dimensions[&c.right].entity));
        }
        for base in bases {
            for (name, entity) in &reached {
                if self.path(base, entity).is_none() {
                    return Err(PlanError::Unsayable(format!(
                        "{name} ({entity}) has no join to {base}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The catalogue's table an entity names, with or without its schema, as
/// the database folds names.
fn catalog_table<'c>(catalog: &'c Catalog, table: &str) -> Option<&'c CatalogTable> {
    catalog
        .tables
        .iter()
        .find(|t| t.qualified().eq_ignore_ascii_case(table) || t.name.eq_ignore_ascii_case(table))
}

/// The joins of `definitions`: declared ones, then each single-column
/// foreign key whose referred table is one entity's.
fn edges_of(definitions: &Definitions, catalog: &Catalog) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (name, entity) in &definitions.entities {
        for join in &entity.joins {
            edges.push(Edge {
                from: name.clone(),
                column: join.column.clone(),
                to: join.to.clone(),
            });
        }
    }
    for (name, entity) in &definitions.entities {
        let Some(table) = catalog_table(catalog, &entity.table) else {
            continue;
        };
        for fk in &table.foreign_keys {
            let [column] = fk.columns.as_slice() else {
                continue;
            };
            if entity
                .joins
                .iter()
                .any(|j| j.column.eq_ignore_ascii_case(column))
            {
                continue;
            }
            let referred: Vec<&String> = definitions
                .entities
                .iter()
                .filter(|(_, e)| {
                    let t = e.table.rsplit('.').next().unwrap_or(&e.table);
                    t.eq_ignore_ascii_case(&fk.table) || e.table.eq_ignore_ascii_case(&fk.table)
                })
                .map(|(n, _)| n)
                .collect();
            // A table two entities share (users as account managers and
            // as note authors): which one is meant must be declared.
            if let [to] = referred.as_slice() {
                edges.push(Edge {
                    from: name.clone(),
                    column: column.clone(),
                    to: (*to).clone(),
                });
            }
        }
    }
    edges
}
