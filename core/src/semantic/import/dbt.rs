//! A dbt project's MetricFlow definitions as Pstral's semantic model: the
//! `semantic_models` and `metrics` of its `models/**/*.yml` (and `.yaml`).
//!
//! A semantic model is an entity (its primary entity's column the key, its
//! foreign entities joins); its dimensions and measures are Pstral's; a
//! simple metric is a measure with the metric's filter, a ratio one when it
//! is a share of one entity's rows. Filters are Jinja over dimension
//! references (`{{ Dimension('client__status') }} = 'actif'`), written as
//! the SQL of the dimension they name. What Pstral cannot compile the same
//! way (a median, a cumulative, derived or conversion metric, a filter on
//! another entity's rows) is left out, with why.
//!
//! dbt says nothing of decimals: a measure or metric may say them in its
//! `meta` (`meta: {decimals: 2}`, or under `config:`), which dbt keeps and
//! ignores. Saved queries are not SQL (metrics, group-bys and a filter of
//! MetricFlow's), so they are counted, not written as examples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{
    ImportError, Imported, Item, Kind, MeasureDef, Names, Scalar, Value, bare_column, qualified,
    words,
};

/// One YAML file of the project: only these keys matter.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    semantic_models: Vec<SemanticModel>,
    #[serde(default)]
    metrics: Vec<Metric>,
    #[serde(default)]
    saved_queries: Vec<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct SemanticModel {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    entities: Vec<Entity>,
    #[serde(default)]
    dimensions: Vec<Dimension>,
    #[serde(default)]
    measures: Vec<Measure>,
}

#[derive(Debug, Deserialize)]
struct Entity {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    expr: Option<Scalar>,
}

#[derive(Debug, Deserialize)]
struct Dimension {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    expr: Option<Scalar>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Measure {
    name: String,
    agg: String,
    #[serde(default)]
    expr: Option<Scalar>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    non_additive_dimension: Option<IgnoredAny>,
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    config: Config,
}

/// What a measure or metric says of itself for other tools.
#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    decimals: Option<u8>,
}

#[derive(Debug, Default, Deserialize)]
struct Config {
    #[serde(default)]
    meta: Meta,
}

#[derive(Debug, Deserialize)]
struct Metric {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    type_params: TypeParams,
    #[serde(default)]
    filter: Option<Filter>,
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    config: Config,
}

#[derive(Debug, Default, Deserialize)]
struct TypeParams {
    #[serde(default)]
    measure: Option<Input>,
    #[serde(default)]
    numerator: Option<Input>,
    #[serde(default)]
    denominator: Option<Input>,
}

/// A measure or metric a metric is built of: its name, or its name with a
/// filter of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Input {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        filter: Option<Filter>,
    },
}

impl Input {
    fn name(&self) -> &str {
        match self {
            Input::Name(name) | Input::Full { name, .. } => name,
        }
    }

    fn filters(&self) -> Vec<String> {
        match self {
            Input::Full {
                filter: Some(filter),
                ..
            } => filter.all(),
            _ => Vec::new(),
        }
    }
}

/// A filter: one condition, or several ANDed.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Filter {
    One(String),
    Many(Vec<String>),
}

impl Filter {
    fn all(&self) -> Vec<String> {
        match self {
            Filter::One(one) => vec![one.clone()],
            Filter::Many(many) => many.clone(),
        }
    }
}

/// The project at `path` (the folder holding `models/`), imported.
///
/// # Errors
/// A file that cannot be read or is not YAML of the expected shape, or a
/// project with no semantic model.
pub fn read(path: &Path) -> Result<Imported, ImportError> {
    let mut files = Vec::new();
    yaml_files(&path.join("models"), &mut files)?;
    files.sort();
    let texts = files
        .into_iter()
        .map(|file| super::read_text(&file).map(|text| (file, text)))
        .collect::<Result<Vec<_>, _>>()?;
    from_texts(path, &texts)
}

/// The project at `path` whose YAML files are `texts` (path, text).
pub(super) fn from_texts(
    path: &Path,
    texts: &[(PathBuf, String)],
) -> Result<Imported, ImportError> {
    let mut models = Vec::new();
    let mut metrics = Vec::new();
    let mut saved_queries = 0;
    for (file, text) in texts {
        let read: File = super::read_yaml(text, file)?;
        models.extend(read.semantic_models);
        metrics.extend(read.metrics);
        saved_queries += read.saved_queries.len();
    }
    if models.is_empty() {
        return Err(ImportError::NoSemanticModels {
            path: path.to_owned(),
        });
    }
    let mut imported = Project::new(&models).import(&metrics);
    if saved_queries > 0 {
        imported.left_out.push(format!(
            "saved_queries: {saved_queries} saved queries: they are MetricFlow queries, not SQL, \
             so they are not written as examples"
        ));
    }
    Ok(imported)
}

/// Every `.yml` and `.yaml` file under `dir`, in its folders too.
fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let entries = std::fs::read_dir(dir).map_err(|error| ImportError::Unreadable {
        path: dir.to_owned(),
        error,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|error| ImportError::Unreadable {
                path: dir.to_owned(),
                error,
            })?
            .path();
        if path.is_dir() {
            yaml_files(&path, found)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            found.push(path);
        }
    }
    Ok(())
}

/// The table a semantic model's `model` names: `ref('clients')` (or
/// `ref('package', 'clients')`) is `clients`; a bare name is the table.
fn table_of(model: &str) -> String {
    let model = model
        .trim()
        .trim_start_matches("{{")
        .trim_end_matches("}}")
        .trim();
    let inner = ["ref(", "source("]
        .iter()
        .find_map(|call| model.strip_prefix(call))
        .and_then(|rest| rest.strip_suffix(')'));
    match inner {
        Some(args) => args
            .rsplit(',')
            .next()
            .unwrap_or(args)
            .trim()
            .trim_matches(['\'', '"'])
            .to_owned(),
        None => model.to_owned(),
    }
}

/// A dimension as Pstral writes it, with the SQL a filter names it by.
struct DimensionSql {
    /// Qualified by its entity's name.
    sql: String,
}

/// The project's semantic models, indexed for metrics and filters.
struct Project<'a> {
    models: &'a [SemanticModel],
    /// Each model's Pstral entity name.
    entities: Vec<String>,
    /// Each model's key column.
    keys: Vec<String>,
    /// A dbt entity name → the model whose primary (or unique) entity it is.
    owners: BTreeMap<&'a str, usize>,
    /// (model, dbt dimension name) → its SQL.
    dimensions: BTreeMap<(usize, &'a str), DimensionSql>,
    /// A dbt measure's name → its model and what it is (or why not).
    measures: BTreeMap<&'a str, (usize, Result<MeasureDef, String>)>,
    names: Names,
    out: Imported,
}

impl<'a> Project<'a> {
    fn new(models: &'a [SemanticModel]) -> Self {
        let mut names = Names::default();
        let mut entities = Vec::new();
        let mut keys = Vec::new();
        let mut owners = BTreeMap::new();
        for (i, model) in models.iter().enumerate() {
            entities.push(names.claim(&model.name, None).0);
            let primary = model
                .entities
                .iter()
                .find(|e| e.kind == "primary")
                .or_else(|| model.entities.iter().find(|e| e.kind == "unique"));
            keys.push(primary.map_or_else(|| "id".to_owned(), entity_column));
            for e in &model.entities {
                if matches!(e.kind.as_str(), "primary" | "unique" | "natural") {
                    owners.entry(e.name.as_str()).or_insert(i);
                }
            }
        }
        Self {
            models,
            entities,
            keys,
            owners,
            dimensions: BTreeMap::new(),
            measures: BTreeMap::new(),
            names,
            out: Imported::default(),
        }
    }

    fn import(mut self, metrics: &'a [Metric]) -> Imported {
        for i in 0..self.models.len() {
            self.entity(i);
        }
        for i in 0..self.models.len() {
            for d in &self.models[i].dimensions {
                self.dimension(i, d);
            }
        }
        for i in 0..self.models.len() {
            for m in &self.models[i].measures {
                let def = self.measure(i, m);
                self.measures.insert(m.name.as_str(), (i, def));
            }
        }
        // Metrics first, as a simple metric named as its measure takes the
        // measure's place (and name) rather than repeat it.
        let read: Vec<(&Metric, Result<MeasureDef, String>, Vec<String>)> = metrics
            .iter()
            .map(|m| {
                let (def, notes) = self.metric(m, metrics);
                (m, def, notes)
            })
            .collect();
        let replaced: Vec<&str> = read
            .iter()
            .filter(|(m, def, _)| {
                def.is_ok()
                    && m.kind == "simple"
                    && m.type_params.measure.as_ref().map(Input::name) == Some(m.name.as_str())
            })
            .map(|(m, _, _)| m.name.as_str())
            .collect();
        for i in 0..self.models.len() {
            for m in &self.models[i].measures {
                if !replaced.contains(&m.name.as_str()) {
                    self.write_measure(i, m);
                }
            }
        }
        for (m, def, notes) in read {
            self.write_metric(m, def, notes);
        }
        self.out
    }

    fn entity(&mut self, i: usize) {
        let model = &self.models[i];
        let name = self.entities[i].clone();
        let mut item = Item::new(format!("entities.{name}"));
        match &model.model {
            Some(m) => item = item.str("table", table_of(m)),
            None => {
                item = item
                    .str("table", &model.name)
                    .review("no model: the table is guessed from the semantic model's name");
            }
        }
        item = item.str("key", &self.keys[i]);
        if !model
            .entities
            .iter()
            .any(|e| matches!(e.kind.as_str(), "primary" | "unique"))
        {
            item = item.review("no primary entity: the key id is guessed");
        }
        let mut joins = Vec::new();
        for e in model.entities.iter().filter(|e| e.kind == "foreign") {
            let column = entity_column(e);
            match self.owners.get(e.name.as_str()) {
                Some(&to) if bare_column(&column, &model.name).is_some() => {
                    joins.push((column, self.entities[to].clone()));
                }
                Some(_) => self.out.left_out.push(format!(
                    "semantic_models.{}.entities.{}: the join is an expression ({column}), not a \
                     column",
                    model.name, e.name
                )),
                None => self.out.left_out.push(format!(
                    "semantic_models.{}.entities.{}: no semantic model has {} as its primary \
                     entity, so the join has nowhere to go",
                    model.name, e.name, e.name
                )),
            }
        }
        if !joins.is_empty() {
            item = item.key("joins", Value::Joins(joins));
        }
        if let Some(original) = (name != model.name).then_some(&model.name) {
            item = item.review(format!("named {name} (the semantic model {original:?})"));
        }
        let item = words(
            item,
            &name,
            model.label.as_deref(),
            model.description.as_deref(),
        );
        self.out.entities.push(item);
    }

    fn dimension(&mut self, i: usize, d: &'a Dimension) {
        let entity = self.entities[i].clone();
        let source = d.expr.as_ref().map_or_else(|| d.name.clone(), Scalar::text);
        let kind = match d.kind.as_str() {
            "categorical" => "category",
            "time" => "time",
            other => {
                let why =
                    format!("a dimension of type {other:?}: Pstral knows categorical and time");
                self.out.leave_out(Kind::Dimension, &d.name, why, None);
                return;
            }
        };
        let (key, sql) = match bare_column(&source, &self.models[i].name) {
            Some(column) => (("column", column.clone()), format!("{entity}.{column}")),
            None => match qualified(&source, &entity) {
                Ok(sql) => (("expr", sql.clone()), sql),
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
        self.dimensions
            .insert((i, d.name.as_str()), DimensionSql { sql });
        let (name, note) = self.names.claim(&d.name, Some(&entity));
        let mut item = Item::new(format!("dimensions.{name}"))
            .str("entity", &entity)
            .str(key.0, key.1)
            .str("type", kind);
        if kind == "category" {
            item = item.review(
                "category or text? dbt does not tell a category (a few values) from a name",
            );
        }
        if let Some(note) = note {
            item = item.review(note);
        }
        self.out.dimensions.push(words(
            item,
            &name,
            d.label.as_deref(),
            d.description.as_deref(),
        ));
    }

    /// What a dbt measure is in Pstral, or why it has no counterpart.
    fn measure(&self, i: usize, m: &Measure) -> Result<MeasureDef, String> {
        if m.non_additive_dimension.is_some() {
            return Err(
                "a semi-additive measure (non_additive_dimension): Pstral adds over every row"
                    .to_owned(),
            );
        }
        let entity = &self.entities[i];
        let source = m.expr.as_ref().map_or_else(|| m.name.clone(), Scalar::text);
        let expr = || qualified(&source, entity);
        let of_rows = source.trim() == "1"
            || source.trim() == "*"
            || bare_column(&source, &self.models[i].name).as_deref() == Some(&self.keys[i]);
        let (aggregate, expr) = match m.agg.as_str() {
            "count" if of_rows => ("count", None),
            "count" => ("count", Some(expr()?)),
            "count_distinct" => ("count_distinct", Some(expr()?)),
            "sum" => ("sum", Some(expr()?)),
            "average" | "avg" => ("avg", Some(expr()?)),
            "min" => ("min", Some(expr()?)),
            "max" => ("max", Some(expr()?)),
            "sum_boolean" => (
                "sum",
                Some(format!("CASE WHEN {} THEN 1 ELSE 0 END", expr()?)),
            ),
            "median" | "percentile" => {
                return Err(format!("a {} measure: Pstral has no such aggregate", m.agg));
            }
            other => return Err(format!("an aggregate {other:?} Pstral does not know")),
        };
        Ok(MeasureDef {
            entity: entity.clone(),
            aggregate,
            expr,
            filters: Vec::new(),
            decimals: m.meta.decimals.or(m.config.meta.decimals),
        })
    }

    fn write_measure(&mut self, i: usize, m: &Measure) {
        let entity = self.entities[i].clone();
        match &self.measures[m.name.as_str()].1 {
            Ok(def) => {
                let def = def.clone();
                let (name, note) = self.names.claim(&m.name, Some(&entity));
                let mut item = def.item(&name);
                if let Some(note) = note {
                    item = item.review(note);
                }
                let item = words(item, &name, m.label.as_deref(), m.description.as_deref());
                self.out.measures.push(item);
            }
            Err(why) => {
                let mut item = Item::new(format!("measures.{}", super::identifier(&m.name)))
                    .str("entity", &entity)
                    .str("aggregate", &m.agg);
                if let Some(expr) = &m.expr {
                    item = item.str("expr", expr.text());
                }
                let why = why.clone();
                self.out.leave_out(Kind::Measure, &m.name, why, Some(item));
            }
        }
    }

    /// A metric as one Pstral measure, with its REVIEW notes, or why not.
    fn metric(&self, m: &Metric, all: &[Metric]) -> (Result<MeasureDef, String>, Vec<String>) {
        let decimals = m.meta.decimals.or(m.config.meta.decimals);
        match m.kind.as_str() {
            "simple" => {
                let read = self.simple(m).map(|mut def| {
                    def.decimals = decimals.or(def.decimals);
                    def
                });
                (read, Vec::new())
            }
            "ratio" => (
                self.ratio(m, all).map(|mut def| {
                    def.decimals = decimals.or(Some(2));
                    def
                }),
                vec![
                    "a percentage: dbt's ratio (a fraction) as the share in percent of the rows \
                     that pass the numerator's filter"
                        .to_owned(),
                ],
            ),
            "cumulative" => (
                Err(
                    "a cumulative metric: Pstral cannot compile one (a running total over a \
                     window)"
                        .to_owned(),
                ),
                Vec::new(),
            ),
            "derived" => (
                Err(
                    "a derived metric: Pstral cannot compile one (an expression over other \
                     metrics)"
                        .to_owned(),
                ),
                Vec::new(),
            ),
            "conversion" => (
                Err("a conversion metric: Pstral cannot compile one".to_owned()),
                Vec::new(),
            ),
            other => (
                Err(format!("a metric of type {other:?} Pstral does not know")),
                Vec::new(),
            ),
        }
    }

    /// A simple metric: its measure, with the metric's filters.
    fn simple(&self, m: &Metric) -> Result<MeasureDef, String> {
        let input = m
            .type_params
            .measure
            .as_ref()
            .ok_or("a simple metric without type_params.measure")?;
        let Some((model, def)) = self.measures.get(input.name()) else {
            return Err(format!("no measure {:?}", input.name()));
        };
        let mut def = def
            .clone()
            .map_err(|why| format!("its measure {}: {why}", input.name()))?;
        let mut filters = m.filter.as_ref().map(Filter::all).unwrap_or_default();
        filters.extend(input.filters());
        for filter in filters {
            def.filters.push(self.filter(&filter, *model)?);
        }
        Ok(def)
    }

    /// A ratio that is the share of one entity's rows passing a filter:
    /// the average of 100 for the rows that pass and 0 for the others.
    fn ratio(&self, m: &Metric, all: &[Metric]) -> Result<MeasureDef, String> {
        let p = &m.type_params;
        let (Some(numerator), Some(denominator)) = (&p.numerator, &p.denominator) else {
            return Err("a ratio metric without a numerator and a denominator".to_owned());
        };
        let side = |input: &Input| -> Result<MeasureDef, String> {
            let metric = all
                .iter()
                .find(|x| x.name == input.name())
                .ok_or_else(|| format!("no metric {:?}", input.name()))?;
            if metric.kind != "simple" {
                return Err(format!("{} is a {} metric", metric.name, metric.kind));
            }
            let mut def = self.simple(metric)?;
            let model =
                self.measures[metric.type_params.measure.as_ref().map_or("", Input::name)].0;
            for filter in input.filters() {
                def.filters.push(self.filter(&filter, model)?);
            }
            Ok(def)
        };
        let (top, bottom) = (side(numerator)?, side(denominator)?);
        let share = top.counts_rows()
            && bottom.counts_rows()
            && top.entity == bottom.entity
            && bottom.filters.is_empty()
            && !top.filters.is_empty();
        if !share {
            return Err(
                "a ratio Pstral has no aggregate for: only the share of an entity's rows that \
                 pass a filter (a count with a filter over the count of all its rows) is written"
                    .to_owned(),
            );
        }
        let condition = super::all_of(&top.filters).unwrap_or_default();
        Ok(MeasureDef {
            entity: top.entity,
            aggregate: "avg",
            expr: Some(format!("CASE WHEN {condition} THEN 100.0 ELSE 0 END")),
            filters: Vec::new(),
            decimals: Some(2),
        })
    }

    fn write_metric(&mut self, m: &Metric, def: Result<MeasureDef, String>, notes: Vec<String>) {
        match def {
            Ok(def) => {
                let (name, note) = self.names.claim(&m.name, Some(&def.entity));
                let mut item = def.item(&name);
                for n in notes.into_iter().chain(note) {
                    item = item.review(n);
                }
                let item = words(item, &name, m.label.as_deref(), m.description.as_deref());
                self.out.measures.push(item);
            }
            Err(why) => {
                let mut item = Item::new(format!("measures.{}", super::identifier(&m.name)))
                    .str("type", &m.kind);
                if let Some(filter) = &m.filter {
                    item = item.key("filter", Value::List(filter.all()));
                }
                self.out.leave_out(Kind::Metric, &m.name, why, Some(item));
            }
        }
    }

    /// A filter's Jinja references replaced by the SQL they name, for a
    /// measure of `model`: a reference to another model's rows is refused,
    /// as a Pstral filter is a condition on its measure's own rows.
    fn filter(&self, filter: &str, model: usize) -> Result<String, String> {
        let mut sql = String::new();
        let mut rest = filter;
        while let Some(start) = rest.find("{{") {
            sql.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("the filter {filter:?} has a {{{{ without }}}}"))?;
            sql.push_str(&self.reference(after[..end].trim(), model)?);
            rest = &after[end + 2..];
        }
        sql.push_str(rest);
        super::parse_expr(&sql)
            .map(|e| e.to_string())
            .map_err(|why| format!("the filter {filter:?}: {why}"))
    }

    /// The SQL of one Jinja call: `Dimension('entity__dimension')`,
    /// `TimeDimension('entity__dimension', 'grain')` or `Entity('entity')`.
    fn reference(&self, call: &str, model: usize) -> Result<String, String> {
        let unknown = || format!("{{{{ {call} }}}} is not a reference Pstral can read");
        let (function, args) = call.split_once('(').ok_or_else(unknown)?;
        let args = args.trim_end().strip_suffix(')').ok_or_else(unknown)?;
        let args: Vec<&str> = args
            .split(',')
            .map(|a| a.trim().trim_matches(['\'', '"']))
            .collect();
        let first = args.first().copied().unwrap_or_default();
        match function.trim() {
            "Dimension" | "TimeDimension" => {
                let (entity, dimension) = first.split_once("__").ok_or_else(unknown)?;
                if dimension.contains("__") {
                    return Err(format!(
                        "{{{{ {call} }}}} goes through several entities: Pstral's filter is a \
                         condition on its measure's own rows"
                    ));
                }
                let owner = *self.owners.get(entity).ok_or_else(|| {
                    format!("{{{{ {call} }}}}: no semantic model has the entity {entity:?}")
                })?;
                let found = self.dimensions.get(&(owner, dimension)).ok_or_else(|| {
                    format!("{{{{ {call} }}}}: {entity} has no dimension {dimension:?}")
                })?;
                if owner != model {
                    return Err(format!(
                        "{{{{ {call} }}}} is a dimension of {}, not of the measure's {}: \
                         Pstral's filter is a condition on its measure's own rows",
                        self.entities[owner], self.entities[model]
                    ));
                }
                Ok(found.sql.clone())
            }
            "Entity" => {
                let e = self.models[model]
                    .entities
                    .iter()
                    .find(|e| e.name == first)
                    .ok_or_else(|| {
                        format!(
                            "{{{{ {call} }}}}: {} has no entity {first:?}",
                            self.entities[model]
                        )
                    })?;
                qualified(&entity_column(e), &self.entities[model])
            }
            _ => Err(unknown()),
        }
    }
}

/// The column (or expression) an entity is: its `expr`, else its name.
fn entity_column(e: &Entity) -> String {
    e.expr.as_ref().map_or_else(|| e.name.clone(), Scalar::text)
}
