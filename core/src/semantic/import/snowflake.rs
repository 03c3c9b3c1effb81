//! A Snowflake semantic model (Cortex Analyst's YAML) as Pstral's semantic
//! model: each logical table an entity, its dimensions and time dimensions
//! Pstral's dimensions, its facts (and the older measures) measures with
//! their default aggregation, its metrics measures when they are one
//! aggregate over one expression, its filters segments, the relationships
//! joins, and the verified queries examples.
//!
//! Expressions name columns of the base table unqualified, or qualified by
//! the logical table's name, or name the table's logical columns (a metric
//! over a fact): each is written as Pstral has it, over the base table's
//! columns qualified by the entity's name. Decimals come from the data type
//! of the column a measure aggregates (`NUMBER(12,2)`: 2).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use sqlparser::ast::{
    DuplicateTreatment, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName,
    ObjectNamePart, visit_expressions_mut, visit_relations_mut,
};

use super::{
    ImportError, Imported, Item, Kind, MeasureDef, Names, SavedQuery, Scalar, Value, bare_column,
    parse_expr, qualify, words,
};

#[derive(Debug, Deserialize)]
struct Model {
    #[serde(default)]
    tables: Vec<Table>,
    #[serde(default)]
    relationships: Vec<Relationship>,
    #[serde(default)]
    verified_queries: Vec<VerifiedQuery>,
    /// Metrics across tables: no Pstral measure is of several entities.
    #[serde(default)]
    metrics: Vec<Column>,
}

#[derive(Debug, Deserialize)]
struct Table {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    synonyms: Vec<String>,
    base_table: BaseTable,
    #[serde(default)]
    primary_key: Option<PrimaryKey>,
    #[serde(default)]
    dimensions: Vec<Column>,
    #[serde(default)]
    time_dimensions: Vec<Column>,
    #[serde(default)]
    facts: Vec<Column>,
    #[serde(default)]
    measures: Vec<Column>,
    #[serde(default)]
    metrics: Vec<Column>,
    #[serde(default)]
    filters: Vec<Column>,
}

#[derive(Debug, Deserialize)]
struct BaseTable {
    table: String,
}

#[derive(Debug, Deserialize)]
struct PrimaryKey {
    #[serde(default)]
    columns: Vec<String>,
}

/// A dimension, time dimension, fact, metric or filter: they share keys.
#[derive(Debug, Deserialize)]
struct Column {
    name: String,
    #[serde(default)]
    expr: Option<Scalar>,
    #[serde(default)]
    data_type: Option<String>,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    is_enum: bool,
    #[serde(default)]
    sample_values: Vec<Scalar>,
    #[serde(default)]
    default_aggregation: Option<String>,
}

impl Column {
    fn expr(&self) -> String {
        self.expr
            .as_ref()
            .map_or_else(|| self.name.clone(), Scalar::text)
    }
}

#[derive(Debug, Deserialize)]
struct Relationship {
    #[serde(default)]
    name: Option<String>,
    left_table: String,
    right_table: String,
    #[serde(default)]
    relationship_columns: Vec<ColumnPair>,
}

#[derive(Debug, Deserialize)]
struct ColumnPair {
    left_column: String,
    right_column: String,
}

#[derive(Debug, Deserialize)]
struct VerifiedQuery {
    #[serde(default)]
    name: Option<String>,
    question: String,
    sql: String,
}

/// The semantic model in `file`, imported.
///
/// # Errors
/// A file that cannot be read or is not YAML of the expected shape.
pub fn read(file: &Path) -> Result<Imported, ImportError> {
    from_text(&super::read_text(file)?, file)
}

/// The semantic model `text`, read from `file`.
pub(super) fn from_text(text: &str, file: &Path) -> Result<Imported, ImportError> {
    let model: Model = super::read_yaml(text, file)?;
    Ok(Import::new(&model).import())
}

/// One logical table, as Pstral names it.
struct Logical {
    entity: String,
    table: String,
    key: String,
    /// Each logical column's name (lower-case) → its SQL, qualified.
    columns: BTreeMap<String, String>,
    /// Each base column's scale, by its name (lower-case), where its data
    /// type gives one.
    scales: BTreeMap<String, u8>,
}

struct Import<'a> {
    model: &'a Model,
    /// By the logical table's name, lower-case.
    tables: BTreeMap<String, Logical>,
    names: Names,
    out: Imported,
}

impl<'a> Import<'a> {
    fn new(model: &'a Model) -> Self {
        let mut names = Names::default();
        let mut tables = BTreeMap::new();
        for t in &model.tables {
            let entity = names.claim(&t.name, None).0;
            let key = match t.primary_key.as_ref().map(|k| k.columns.as_slice()) {
                Some([one]) => one.clone(),
                _ => "id".to_owned(),
            };
            tables.insert(
                t.name.to_lowercase(),
                Logical {
                    entity,
                    table: t.base_table.table.clone(),
                    key,
                    columns: BTreeMap::new(),
                    scales: BTreeMap::new(),
                },
            );
        }
        let mut import = Self {
            model,
            tables,
            names,
            out: Imported::default(),
        };
        // Logical columns first: a metric or filter may name any of them.
        for t in &model.tables {
            let mut columns = BTreeMap::new();
            let mut scales = BTreeMap::new();
            for c in t
                .dimensions
                .iter()
                .chain(&t.time_dimensions)
                .chain(&t.facts)
                .chain(&t.measures)
            {
                if let Ok(sql) = import.sql(&t.name, &c.expr(), false) {
                    columns.insert(c.name.to_lowercase(), sql);
                }
                if let (Some(column), Some(scale)) = (
                    bare_column(&c.expr(), &t.name),
                    c.data_type.as_deref().and_then(scale),
                ) {
                    scales.insert(column.to_lowercase(), scale);
                }
            }
            let logical = import.tables.get_mut(&t.name.to_lowercase()).unwrap();
            logical.columns = columns;
            logical.scales = scales;
        }
        import
    }

    fn import(mut self) -> Imported {
        let joins = self.joins();
        for t in &self.model.tables {
            self.entity(t, joins.get(&t.name.to_lowercase()));
        }
        for t in &self.model.tables {
            for d in &t.dimensions {
                self.dimension(t, d, false);
            }
            for d in &t.time_dimensions {
                self.dimension(t, d, true);
            }
        }
        for t in &self.model.tables {
            for f in t.facts.iter().chain(&t.measures) {
                self.fact(t, f);
            }
            for m in &t.metrics {
                self.metric(t, m);
            }
        }
        for m in &self.model.metrics {
            let why = "a metric of the whole model: a Pstral measure is over one entity's rows"
                .to_owned();
            let item =
                Item::new(format!("measures.{}", super::identifier(&m.name))).str("expr", m.expr());
            self.out.leave_out(Kind::Metric, &m.name, why, Some(item));
        }
        for t in &self.model.tables {
            for f in &t.filters {
                self.segment(t, f);
            }
        }
        for q in &self.model.verified_queries {
            self.out.examples.push(SavedQuery {
                name: q.name.clone().unwrap_or_default(),
                question: q.question.clone(),
                sql: self.example_sql(&q.sql),
            });
        }
        self.out
    }

    fn logical(&self, table: &str) -> Option<&Logical> {
        self.tables.get(&table.to_lowercase())
    }

    /// `sql` of logical table `table` as Pstral writes it: its columns
    /// qualified by the entity, and (with `logical`) the table's logical
    /// columns replaced by their own SQL.
    fn sql(&self, table: &str, sql: &str, logical: bool) -> Result<String, String> {
        let mut expr = parse_expr(sql)?;
        let mut replace = |qualifier: Option<&str>, column: &Ident| -> Option<Expr> {
            let owner = match qualifier {
                None => self.logical(table)?,
                Some(q) => self.logical(q)?,
            };
            if logical && let Some(found) = owner.columns.get(&column.value.to_lowercase()) {
                return parse_expr(found).ok().map(|e| Expr::Nested(Box::new(e)));
            }
            Some(Expr::CompoundIdentifier(vec![
                Ident::new(&owner.entity),
                column.clone(),
            ]))
        };
        qualify(&mut expr, &mut replace);
        // A logical column that is one column needs no parentheses.
        let _ = visit_expressions_mut(&mut expr, |e| {
            if let Expr::Nested(inner) = e
                && matches!(**inner, Expr::CompoundIdentifier(_) | Expr::Identifier(_))
            {
                *e = (**inner).clone();
            }
            ControlFlow::<()>::Continue(())
        });
        Ok(expr.to_string())
    }

    /// Each entity's joins, from the relationships: those that are not one
    /// column holding the other table's key are left out.
    fn joins(&mut self) -> BTreeMap<String, Vec<(String, String)>> {
        let mut joins: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for r in &self.model.relationships {
            let name = r
                .name
                .clone()
                .unwrap_or_else(|| format!("{}_to_{}", r.left_table, r.right_table));
            let found = match (self.logical(&r.left_table), self.logical(&r.right_table)) {
                (Some(_), Some(right)) => match r.relationship_columns.as_slice() {
                    [pair] if pair.right_column.eq_ignore_ascii_case(&right.key) => {
                        Ok((pair.left_column.clone(), right.entity.clone()))
                    }
                    [pair] => Err(format!(
                        "{}.{} is not the key of {} ({}): a Pstral join goes to the key",
                        r.right_table, pair.right_column, r.right_table, right.key
                    )),
                    _ => Err(format!(
                        "{} column pairs: a Pstral join is one column holding the other's key",
                        r.relationship_columns.len()
                    )),
                },
                _ => Err(format!(
                    "no logical table {} or {}",
                    r.left_table, r.right_table
                )),
            };
            match found {
                Ok(join) => joins
                    .entry(r.left_table.to_lowercase())
                    .or_default()
                    .push(join),
                Err(why) => {
                    let item = Item::new(format!("relationships.{}", super::identifier(&name)))
                        .str("left_table", &r.left_table)
                        .str("right_table", &r.right_table)
                        .key(
                            "relationship_columns",
                            Value::Joins(
                                r.relationship_columns
                                    .iter()
                                    .map(|p| (p.left_column.clone(), p.right_column.clone()))
                                    .collect(),
                            ),
                        );
                    self.out
                        .leave_out(Kind::Relationship, &name, why, Some(item));
                }
            }
        }
        joins
    }

    fn entity(&mut self, t: &Table, joins: Option<&Vec<(String, String)>>) {
        let logical = &self.tables[&t.name.to_lowercase()];
        let mut item = Item::new(format!("entities.{}", logical.entity))
            .str("table", &logical.table)
            .str("key", &logical.key);
        match t.primary_key.as_ref().map(|k| k.columns.len()) {
            Some(1) => {}
            Some(n) if n > 1 => {
                item = item.review(format!(
                    "a primary key of {n} columns: Pstral's key is one column; id is guessed"
                ));
            }
            _ => item = item.review("no primary_key: the key id is guessed"),
        }
        if let Some(joins) = joins {
            item = item.key("joins", Value::Joins(joins.clone()));
        }
        if !t.synonyms.is_empty() {
            item = item.review(format!(
                "the table's synonyms ({}): an entity has none; give them to its dimensions",
                t.synonyms.join(", ")
            ));
        }
        let name = logical.entity.clone();
        let item = words(item, &name, None, t.description.as_deref());
        self.out.entities.push(item);
    }

    fn dimension(&mut self, t: &Table, d: &Column, time: bool) {
        let entity = self.tables[&t.name.to_lowercase()].entity.clone();
        let data_type = d.data_type.as_deref().unwrap_or_default().to_uppercase();
        let base = data_type.split('(').next().unwrap_or_default().trim();
        let texty = matches!(base, "VARCHAR" | "CHAR" | "CHARACTER" | "STRING" | "TEXT");
        let (kind, review) = if time || base.starts_with("DATE") || base.starts_with("TIMESTAMP") {
            ("time", None)
        } else if d.is_enum {
            ("category", None)
        } else if NUMERIC.contains(&base) {
            ("number", None)
        } else if texty && !d.sample_values.is_empty() {
            (
                "category",
                Some("category or text? it has sample values, but is_enum is not set"),
            )
        } else {
            ("text", None)
        };
        let source = d.expr();
        let key = match bare_column(&source, &t.name) {
            Some(column) => ("column", column),
            None => match self.sql(&t.name, &source, false) {
                Ok(sql) => ("expr", sql),
                Err(why) => {
                    let item = Item::new(format!("dimensions.{}", super::identifier(&d.name)))
                        .str("entity", &entity)
                        .str("expr", &source);
                    self.out
                        .leave_out(Kind::Dimension, &d.name, why, Some(item));
                    return;
                }
            },
        };
        let (name, note) = self.names.claim(&d.name, Some(&entity));
        let mut item = Item::new(format!("dimensions.{name}"))
            .str("entity", &entity)
            .str(key.0, key.1)
            .str("type", kind);
        if !d.synonyms.is_empty() {
            item = item.key("synonyms", Value::List(d.synonyms.clone()));
        }
        for n in review.map(str::to_owned).into_iter().chain(note) {
            item = item.review(n);
        }
        self.out
            .dimensions
            .push(words(item, &name, None, d.description.as_deref()));
    }

    /// A fact with its default aggregation.
    fn fact(&mut self, t: &Table, f: &Column) {
        let logical = &self.tables[&t.name.to_lowercase()];
        let entity = logical.entity.clone();
        let mut review = None;
        let aggregate = match f.default_aggregation.as_deref().map(str::to_lowercase) {
            None => {
                review = Some("no default_aggregation: sum is guessed");
                Ok("sum")
            }
            Some(a) => match a.as_str() {
                "sum" => Ok("sum"),
                "avg" | "average" | "mean" => Ok("avg"),
                "min" => Ok("min"),
                "max" => Ok("max"),
                "count" => Ok("count"),
                "count_distinct" => Ok("count_distinct"),
                other => Err(format!(
                    "a fact aggregated by {other}: Pstral has no such aggregate"
                )),
            },
        };
        let source = f.expr();
        let def = aggregate.and_then(|aggregate| {
            let column = bare_column(&source, &t.name);
            let of_rows = aggregate == "count"
                && column
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(&logical.key));
            Ok(MeasureDef {
                entity: entity.clone(),
                aggregate,
                expr: if of_rows {
                    None
                } else {
                    Some(self.sql(&t.name, &source, false)?)
                },
                filters: Vec::new(),
                decimals: self.decimals(
                    aggregate,
                    &t.name,
                    column.as_deref(),
                    f.data_type.as_deref(),
                ),
            })
        });
        self.measure(Kind::Measure, f, def, review);
    }

    /// A metric that is one aggregate over one expression: `SUM(x)`,
    /// `COUNT(DISTINCT x)`, `COUNT(*)`; `AGG(CASE WHEN c THEN x END)` is the
    /// aggregate of `x` over the rows where `c` holds, Pstral's filter.
    fn metric(&mut self, t: &Table, m: &Column) {
        let def = self.aggregate_of(t, &m.expr());
        self.measure(Kind::Metric, m, def, None);
    }

    fn aggregate_of(&self, t: &Table, sql: &str) -> Result<MeasureDef, String> {
        let logical = &self.tables[&t.name.to_lowercase()];
        let not_one = || {
            format!(
                "{sql:?} is not one aggregate (SUM, AVG, MIN, MAX, COUNT, COUNT DISTINCT) over \
                 one expression"
            )
        };
        let Expr::Function(f) = parse_expr(sql)? else {
            return Err(not_one());
        };
        let name = f.name.to_string().to_uppercase();
        let FunctionArguments::List(list) = &f.args else {
            return Err(not_one());
        };
        if f.filter.is_some() || f.over.is_some() || !list.clauses.is_empty() {
            return Err(not_one());
        }
        let distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
        let arg = match list.args.as_slice() {
            [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] if name == "COUNT" && !distinct => {
                None
            }
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] => Some(e.clone()),
            _ => return Err(not_one()),
        };
        let aggregate = match (name.as_str(), distinct) {
            ("SUM", false) => "sum",
            ("AVG", false) => "avg",
            ("MIN", false) => "min",
            ("MAX", false) => "max",
            ("COUNT", false) => "count",
            ("COUNT", true) => "count_distinct",
            _ => return Err(not_one()),
        };
        let (value, condition) = match arg {
            Some(Expr::Case {
                operand: None,
                conditions,
                else_result: None,
                ..
            }) if conditions.len() == 1 => (
                Some(conditions[0].result.clone()),
                Some(conditions[0].condition.clone()),
            ),
            other => (other, None),
        };
        let filters = match condition {
            Some(c) => vec![self.sql(&t.name, &c.to_string(), true)?],
            None => Vec::new(),
        };
        let value = value.map(|v| v.to_string());
        let column = value.as_deref().and_then(|v| {
            let sql = self.sql(&t.name, v, true).ok()?;
            bare_column(&sql, &logical.entity)
        });
        // COUNT(*), COUNT(1) or COUNT(key): the rows.
        let of_rows = aggregate == "count"
            && value.as_deref().is_none_or(|v| {
                v == "1"
                    || column
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(&logical.key))
            });
        let expr = match value {
            Some(v) if !of_rows => Some(self.sql(&t.name, &v, true)?),
            _ => None,
        };
        Ok(MeasureDef {
            entity: logical.entity.clone(),
            aggregate,
            expr,
            filters,
            decimals: self.decimals(aggregate, &t.name, column.as_deref(), None),
        })
    }

    /// The decimals of an aggregate: its own data type's scale, else that of
    /// the column it aggregates; none for a count.
    fn decimals(
        &self,
        aggregate: &str,
        table: &str,
        column: Option<&str>,
        data_type: Option<&str>,
    ) -> Option<u8> {
        if matches!(aggregate, "count" | "count_distinct") {
            return None;
        }
        data_type.and_then(scale).or_else(|| {
            self.logical(table)?
                .scales
                .get(&column?.to_lowercase())
                .copied()
        })
    }

    fn measure(
        &mut self,
        kind: Kind,
        c: &Column,
        def: Result<MeasureDef, String>,
        review: Option<&str>,
    ) {
        match def {
            Ok(def) => {
                let (name, note) = self.names.claim(&c.name, Some(&def.entity));
                let mut item = def.item(&name);
                if !c.synonyms.is_empty() {
                    item = item.key("synonyms", Value::List(c.synonyms.clone()));
                }
                for n in review.map(str::to_owned).into_iter().chain(note) {
                    item = item.review(n);
                }
                self.out
                    .measures
                    .push(words(item, &name, None, c.description.as_deref()));
            }
            Err(why) => {
                let mut item = Item::new(format!("measures.{}", super::identifier(&c.name)))
                    .str("expr", c.expr());
                if let Some(a) = &c.default_aggregation {
                    item = item.str("default_aggregation", a);
                }
                self.out.leave_out(kind, &c.name, why, Some(item));
            }
        }
    }

    fn segment(&mut self, t: &Table, f: &Column) {
        let entity = self.tables[&t.name.to_lowercase()].entity.clone();
        match self.sql(&t.name, &f.expr(), true) {
            Ok(condition) => {
                let (name, note) = self.names.claim(&f.name, Some(&entity));
                let mut item = Item::new(format!("segments.{name}"))
                    .str("entity", &entity)
                    .str("condition", condition);
                if !f.synonyms.is_empty() {
                    item = item.key("synonyms", Value::List(f.synonyms.clone()));
                }
                if let Some(note) = note {
                    item = item.review(note);
                }
                self.out
                    .segments
                    .push(words(item, &name, None, f.description.as_deref()));
            }
            Err(why) => {
                let item = Item::new(format!("segments.{}", super::identifier(&f.name)))
                    .str("entity", &entity)
                    .str("condition", f.expr());
                self.out.leave_out(Kind::Segment, &f.name, why, Some(item));
            }
        }
    }

    /// A verified query's SQL over the base tables: Cortex Analyst writes
    /// it over the logical tables (`__clients`, or `clients`) and their
    /// logical columns, which the target does not have. A logical column
    /// that is one base column is renamed; others are left for `pstral
    /// examples import` to judge. SQL that does not parse is kept as it is.
    fn example_sql(&self, sql: &str) -> String {
        let dialect = sqlparser::dialect::GenericDialect {};
        let Ok(mut statements) = sqlparser::parser::Parser::parse_sql(&dialect, sql) else {
            return sql.to_owned();
        };
        let logical_of = |name: &str| self.logical(name.strip_prefix("__").unwrap_or(name));
        let _ = visit_relations_mut(&mut statements, |relation: &mut ObjectName| {
            if let [ObjectNamePart::Identifier(ident)] = relation.0.as_slice()
                && let Some(logical) = logical_of(&ident.value)
            {
                relation.0 = vec![ObjectNamePart::Identifier(Ident::new(&logical.table))];
            }
            ControlFlow::<()>::Continue(())
        });
        let column_of = |logical: &Logical, name: &Ident| -> Option<Ident> {
            let sql = logical.columns.get(&name.value.to_lowercase())?;
            bare_column(sql, &logical.entity).map(Ident::new)
        };
        let _ = visit_expressions_mut(&mut statements, |e| {
            match e {
                Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                    if let Some(logical) = logical_of(&parts[0].value) {
                        if let Some(column) = column_of(logical, &parts[1]) {
                            parts[1] = column;
                        }
                        parts[0] = Ident::new(&logical.table);
                    }
                }
                Expr::Identifier(name) => {
                    let mut found = self
                        .tables
                        .values()
                        .filter_map(|l| column_of(l, name))
                        .collect::<Vec<_>>();
                    found.dedup();
                    if let [column] = found.as_slice() {
                        *name = column.clone();
                    }
                }
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
        statements
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

const NUMERIC: &[&str] = &[
    "NUMBER", "DECIMAL", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT",
    "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "REAL",
];

/// The scale a data type gives (`NUMBER(12,2)`: 2), when above zero.
fn scale(data_type: &str) -> Option<u8> {
    let (_, args) = data_type.split_once('(')?;
    let (_, scale) = args.trim_end_matches(')').split_once(',')?;
    scale.trim().parse().ok().filter(|s| *s > 0)
}
