//! A plan: what the model answers instead of SQL, held to a JSON schema
//! built from the semantic model's own names, then read strictly and
//! resolved against the definitions (names of the right kind, values of
//! the right type and, for a category, values the data holds).

use serde::{Deserialize, Serialize};

use super::Semantic;
use super::model::DimensionType;

/// A plan as the model writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub kind: Kind,
    /// For a list: the entity whose rows are listed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entity: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<String>,
    /// Aggregates are cut by them; lists show them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Cut>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// Segments or entities the rows must have none of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compare: Vec<Compare>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub having: Vec<Having>,
    /// Each measure as a percentage of its whole as well.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub share: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<Order>,
    /// 0: every row.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Measures, cut by dimensions.
    Aggregate,
    /// Rows of one entity, with the dimensions asked as columns.
    List,
    /// No definition fits the question.
    None,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aggregate => "aggregate",
            Self::List => "list",
            Self::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    pub name: String,
    #[serde(default)]
    pub grain: Grain,
}

/// What a time dimension is cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    /// The value itself.
    #[default]
    None,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Grain {
    pub const ALL: [Grain; 6] = [
        Self::None,
        Self::Day,
        Self::Week,
        Self::Month,
        Self::Quarter,
        Self::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub dimension: String,
    pub op: Op,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "between")]
    Between,
    #[serde(rename = "in")]
    In,
    #[serde(rename = "contains")]
    Contains,
}

impl Op {
    pub const ALL: [&'static str; 9] =
        ["=", "!=", "<", "<=", ">", ">=", "between", "in", "contains"];
    pub const COMPARISONS: [&'static str; 6] = ["=", "!=", "<", "<=", ">", ">="];

    pub fn sql(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Between => "BETWEEN",
            Self::In => "IN",
            Self::Contains => "LIKE",
        }
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            Self::Eq | Self::Ne | Self::Lt | Self::Le | Self::Gt | Self::Ge
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    pub left: String,
    pub op: Op,
    pub right: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Having {
    pub measure: String,
    pub op: Op,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub name: String,
    #[serde(default)]
    pub descending: bool,
}

/// A value of a filter, typed by its dimension.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`.
    Date(chrono::NaiveDate),
}

/// A filter whose values are typed and, for a category, as the data
/// writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub dimension: String,
    pub op: Op,
    pub values: Vec<Value>,
}

/// A plan whose names and values hold: what the compiler takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub plan: Plan,
    pub conditions: Vec<Condition>,
    /// Values written otherwise than the data holds them, as corrected:
    /// (as written, as held).
    pub corrected: Vec<(String, String)>,
}

impl Resolved {
    /// The plan with its values as the data holds them (`lyon` written,
    /// `Lyon` held): what an example keeps.
    pub fn held(mut self) -> Plan {
        for value in self
            .plan
            .filters
            .iter_mut()
            .flat_map(|f| f.values.iter_mut())
        {
            if let Some((_, held)) = self.corrected.iter().find(|(raw, _)| raw == value.trim()) {
                value.clone_from(held);
            }
        }
        self.plan
    }
}

/// Why a plan cannot be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Not JSON of the plan's shape.
    #[error("the plan is not of the expected shape: {0}")]
    Malformed(String),
    /// The model said no definition fits.
    #[error("no definition fits the question")]
    Uncovered,
    /// A name that is not one of the kind expected, with the nearest.
    #[error("{field}: {name:?} is not a {kind}{}", near_text(.near))]
    Unknown {
        field: &'static str,
        name: String,
        kind: &'static str,
        near: Vec<String>,
    },
    /// A value the data of a category does not hold, nor anything near
    /// enough to be the one meant.
    #[error("{dimension}: no value {value:?}{}", near_text(.near))]
    UnknownValue {
        dimension: String,
        value: String,
        near: Vec<String>,
    },
    /// A value that is not of its dimension's type.
    #[error("{dimension}: {value:?} is not a {expected}")]
    WrongType {
        dimension: String,
        value: String,
        expected: &'static str,
    },
    /// Names that hold but together say nothing that can be written.
    #[error("{0}")]
    Unsayable(String),
}

fn near_text(near: &[String]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        format!(" (nearest: {})", near.join(", "))
    }
}

impl PlanError {
    /// Whether the model may correct it in one more round: a name or a
    /// value it wrote, not a value the data lacks (that is said to the
    /// person, never guessed).
    pub fn repairable(&self) -> bool {
        matches!(
            self,
            Self::Malformed(_) | Self::Unknown { .. } | Self::WrongType { .. } | Self::Unsayable(_)
        )
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Plan {
    /// The plan as the model writes it: the fields it uses, in the
    /// schema's order, on one line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The plan as the definitions read it, in one order: what two plans
    /// that read a question the same way share, however the model wrote
    /// them. Measures, cuts, segments, filters (and the values of an `in`),
    /// comparisons and bounds are sorted and said once; an `in` of one
    /// value is an `=`. The order of rows stays: it is part of the reading.
    /// Values are taken as they stand: a resolved plan's
    /// ([`Resolved::held`]) are as the data holds them.
    pub fn key(&self) -> String {
        let mut p = self.clone();
        p.measures.sort();
        p.measures.dedup();
        p.dimensions
            .sort_by(|a, b| (&a.name, a.grain.as_str()).cmp(&(&b.name, b.grain.as_str())));
        p.dimensions.dedup();
        p.segments.sort();
        p.segments.dedup();
        p.without.sort();
        p.without.dedup();
        for f in &mut p.filters {
            if f.op == Op::In {
                f.values.sort();
                f.values.dedup();
                if f.values.len() == 1 {
                    f.op = Op::Eq;
                }
            }
        }
        p.filters.sort_by(|a, b| {
            (&a.dimension, a.op.sql(), &a.values).cmp(&(&b.dimension, b.op.sql(), &b.values))
        });
        p.filters.dedup();
        p.compare
            .sort_by(|a, b| (&a.left, a.op.sql(), &a.right).cmp(&(&b.left, b.op.sql(), &b.right)));
        p.compare.dedup();
        p.having.sort_by(|a, b| {
            (&a.measure, a.op.sql())
                .cmp(&(&b.measure, b.op.sql()))
                .then(a.value.total_cmp(&b.value))
        });
        p.having.dedup();
        p.to_json()
    }
}

/// Reads a model's answer as a plan, strictly: a code fence around it is
/// tolerated, nothing else.
///
/// # Errors
/// [`PlanError::Malformed`] with serde's reason.
pub fn read(answer: &str) -> Result<Plan, PlanError> {
    let text = answer.trim();
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text)
        .trim();
    serde_json::from_str(text).map_err(|e| PlanError::Malformed(e.to_string()))
}

/// The nearest names to `name` among `names`, closest first.
pub fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let folded = crate::learn::text::fold(name);
    let mut scored: Vec<(f64, &String)> = names
        .map(|n| {
            let score = strsim::jaro_winkler(&folded, &crate::learn::text::fold(n));
            (score, n)
        })
        .filter(|(score, _)| *score >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n.clone()).collect()
}

/// A name of `field` that is not a `kind`, with the nearest of `names`.
fn unknown(field: &'static str, name: &str, kind: &'static str, names: Vec<&String>) -> PlanError {
    PlanError::Unknown {
        field,
        name: name.to_owned(),
        kind,
        near: nearest(name, names.into_iter()),
    }
}

/// Whether `plan` orders its rows by its own measures and dimensions only.
fn order_holds(plan: &Plan) -> Result<(), PlanError> {
    for o in &plan.order {
        let in_plan =
            plan.measures.contains(&o.name) || plan.dimensions.iter().any(|c| c.name == o.name);
        if !in_plan {
            return Err(unknown(
                "order",
                &o.name,
                "measure or dimension of this plan",
                plan.measures
                    .iter()
                    .chain(plan.dimensions.iter().map(|c| &c.name))
                    .collect(),
            ));
        }
    }
    Ok(())
}

impl Semantic {
    /// `plan` checked against the definitions and the data's values.
    ///
    /// # Errors
    /// The first name, value or combination that does not hold.
    pub fn resolve(&self, plan: Plan) -> Result<Resolved, PlanError> {
        self.resolve_for(plan, true)
    }

    /// [`Semantic::resolve`] for someone who may read the data's values
    /// (`values`) or not: then a value the data does not hold is named
    /// without the values near it.
    ///
    /// # Errors
    /// As [`Semantic::resolve`].
    pub fn resolve_for(&self, mut plan: Plan, values: bool) -> Result<Resolved, PlanError> {
        // The same cut written twice says it once (a small model repeats).
        let mut seen = Vec::new();
        plan.dimensions.retain(|c| {
            let first = !seen.contains(c);
            seen.push(c.clone());
            first
        });
        self.names_hold(&plan)?;
        self.comparisons_hold(&plan)?;
        self.share_holds(&plan)?;
        order_holds(&plan)?;
        let resolved = self.conditioned(plan, values)?;
        self.reachable(&resolved)?;
        Ok(resolved)
    }

    /// Whether `plan` is of a kind that says something, and every measure,
    /// cut, segment and entity left out it names is one of the
    /// definitions'.
    fn names_hold(&self, plan: &Plan) -> Result<(), PlanError> {
        let d = &self.definitions;
        match plan.kind {
            Kind::None => return Err(PlanError::Uncovered),
            Kind::List if !d.entities.contains_key(&plan.entity) => {
                return Err(unknown(
                    "entity",
                    &plan.entity,
                    "entity",
                    d.entities.keys().collect(),
                ));
            }
            Kind::Aggregate if plan.measures.is_empty() => {
                return Err(PlanError::Unsayable(
                    "an aggregate names at least one measure".to_owned(),
                ));
            }
            Kind::List | Kind::Aggregate => {}
        }
        for m in &plan.measures {
            if !d.measures.contains_key(m) {
                return Err(unknown(
                    "measures",
                    m,
                    "measure",
                    d.measures.keys().collect(),
                ));
            }
        }
        let mut cuts = std::collections::BTreeSet::new();
        for cut in &plan.dimensions {
            if !cuts.insert(&cut.name) {
                return Err(PlanError::Unsayable(format!(
                    "dimensions: {} is named twice; a dimension is cut once",
                    cut.name
                )));
            }
            if !d.dimensions.contains_key(&cut.name) {
                return Err(unknown(
                    "dimensions",
                    &cut.name,
                    "dimension",
                    d.dimensions.keys().collect(),
                ));
            }
        }
        for s in &plan.segments {
            if !d.segments.contains_key(s) {
                return Err(unknown(
                    "segments",
                    s,
                    "segment",
                    d.segments.keys().collect(),
                ));
            }
        }
        for w in &plan.without {
            if !d.segments.contains_key(w) && !d.entities.contains_key(w) {
                return Err(unknown(
                    "without",
                    w,
                    "segment or entity",
                    d.segments.keys().chain(d.entities.keys()).collect(),
                ));
            }
        }
        Ok(())
    }

    /// Whether `plan`'s comparisons hold: two dimensions of one type
    /// compared, a having on a measure of the plan, each with a comparison.
    fn comparisons_hold(&self, plan: &Plan) -> Result<(), PlanError> {
        let d = &self.definitions;
        for c in &plan.compare {
            for side in [&c.left, &c.right] {
                if !d.dimensions.contains_key(side) {
                    return Err(unknown(
                        "compare",
                        side,
                        "dimension",
                        d.dimensions.keys().collect(),
                    ));
                }
            }
            if !c.op.is_comparison() {
                return Err(PlanError::Unsayable(
                    "two dimensions are compared with =, !=, <, <=, > or >=".to_owned(),
                ));
            }
            let (l, r) = (&d.dimensions[&c.left], &d.dimensions[&c.right]);
            if l.kind != r.kind {
                return Err(PlanError::Unsayable(format!(
                    "compare: {} is a {} and {} a {}: only values of one type compare",
                    c.left,
                    l.kind.as_str(),
                    c.right,
                    r.kind.as_str()
                )));
            }
        }
        for h in &plan.having {
            if !plan.measures.contains(&h.measure) {
                return Err(unknown(
                    "having",
                    &h.measure,
                    "measure of this plan",
                    plan.measures.iter().collect(),
                ));
            }
            if !h.op.is_comparison() {
                return Err(PlanError::Unsayable(
                    "a measure is compared with =, !=, <, <=, > or >=".to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// Whether a share `plan` asks for is of the whole (no having) and of
    /// measures whose parts add up to it (counts and sums).
    fn share_holds(&self, plan: &Plan) -> Result<(), PlanError> {
        let d = &self.definitions;
        if plan.share {
            if !plan.having.is_empty() {
                return Err(PlanError::Unsayable(
                    "a share is of the whole: it cannot be kept to the groups a having keeps"
                        .to_owned(),
                ));
            }
            if let Some(m) = plan.measures.iter().find(|m| {
                d.measures.get(*m).is_some_and(|m| {
                    !matches!(
                        m.aggregate,
                        super::model::Aggregate::Count | super::model::Aggregate::Sum
                    )
                })
            }) {
                return Err(PlanError::Unsayable(format!(
                    "share: {m} is not a count or a sum, whose parts add up to a whole"
                )));
            }
        }
        Ok(())
    }

    /// `plan` resolved: its filters as conditions, their values typed and,
    /// for a category, as the data holds them (`values`: whether a value it
    /// does not hold may be named with the values near it).
    fn conditioned(&self, plan: Plan, values: bool) -> Result<Resolved, PlanError> {
        let d = &self.definitions;
        let mut conditions = Vec::new();
        let mut corrected = Vec::new();
        for f in &plan.filters {
            let Some(dimension) = d.dimensions.get(&f.dimension) else {
                return Err(unknown(
                    "filters",
                    &f.dimension,
                    "dimension",
                    d.dimensions.keys().collect(),
                ));
            };
            conditions.push(self.condition(f, dimension.kind, &mut corrected, values)?);
        }
        Ok(Resolved {
            plan,
            conditions,
            corrected,
        })
    }

    /// `filter` with its values typed and, for a category, as the data
    /// holds them.
    fn condition(
        &self,
        filter: &Filter,
        kind: DimensionType,
        corrected: &mut Vec<(String, String)>,
        values_shown: bool,
    ) -> Result<Condition, PlanError> {
        let name = &filter.dimension;
        let count_ok = match filter.op {
            Op::Between => filter.values.len() == 2,
            Op::In => !filter.values.is_empty(),
            _ => filter.values.len() == 1,
        };
        if !count_ok {
            return Err(PlanError::Unsayable(format!(
                "filters: {name} {} takes {}",
                filter.op.sql().to_lowercase(),
                match filter.op {
                    Op::Between => "two values",
                    Op::In => "one value or more",
                    _ => "one value",
                }
            )));
        }
        if filter.op == Op::Contains && kind != DimensionType::Text {
            return Err(PlanError::Unsayable(format!(
                "filters: only a text dimension is searched for words, and {name} is a {}",
                kind.as_str()
            )));
        }
        let mut values = Vec::new();
        for raw in &filter.values {
            let raw = raw.trim();
            let wrong = |expected| PlanError::WrongType {
                dimension: name.clone(),
                value: raw.to_owned(),
                expected,
            };
            // A value is a word or a few, one line: never text that reads
            // as markup or a statement of its own once shown.
            if raw.is_empty() {
                return Err(wrong("value (it is empty)"));
            }
            if raw.chars().any(char::is_control) || raw.contains('`') {
                return Err(wrong("value on one line without backquotes"));
            }
            let value = match kind {
                DimensionType::Number => Value::Number(number(raw).ok_or_else(|| wrong("number"))?),
                DimensionType::Time => {
                    let (from, to) = period(raw).ok_or_else(|| wrong("date (YYYY-MM-DD)"))?;
                    if from != to && matches!(filter.op, Op::Ne | Op::In) {
                        return Err(wrong(
                            "day (YYYY-MM-DD): a period is compared with =, <, >, or between",
                        ));
                    }
                    // A month or a year for a day: the whole of it, as the
                    // person meant.
                    if from != to && filter.op == Op::Eq {
                        return Ok(Condition {
                            dimension: name.clone(),
                            op: Op::Between,
                            values: vec![Value::Date(from), Value::Date(to)],
                        });
                    }
                    let at_end = matches!(filter.op, Op::Le | Op::Gt)
                        || (filter.op == Op::Between && !values.is_empty());
                    Value::Date(if at_end { to } else { from })
                }
                DimensionType::Category => {
                    let held = self.held_value(name, raw).map_err(|e| match e {
                        PlanError::UnknownValue {
                            dimension, value, ..
                        } if !values_shown => PlanError::UnknownValue {
                            dimension,
                            value,
                            near: Vec::new(),
                        },
                        other => other,
                    })?;
                    if held != raw {
                        corrected.push((raw.to_owned(), held.clone()));
                    }
                    Value::Text(held)
                }
                DimensionType::Text => Value::Text(raw.to_owned()),
            };
            values.push(value);
        }
        Ok(Condition {
            dimension: name.clone(),
            op: filter.op,
            values,
        })
    }

    /// `value` as the data of category `dimension` writes it: itself, or
    /// the one value equal to it but for case and accents. A dimension
    /// whose values were not read takes any value as written.
    fn held_value(&self, dimension: &str, value: &str) -> Result<String, PlanError> {
        let Some(held) = self.values.get(dimension) else {
            return Ok(value.to_owned());
        };
        if held.iter().any(|h| h == value) {
            return Ok(value.to_owned());
        }
        let folded = crate::learn::text::fold(value);
        let same: Vec<&String> = held
            .iter()
            .filter(|h| crate::learn::text::fold(h) == folded)
            .collect();
        match same.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(PlanError::UnknownValue {
                dimension: dimension.to_owned(),
                value: value.to_owned(),
                near: nearest(value, held.iter()),
            }),
        }
    }
}

/// A number as people write it: `1 000`, `1,5`, `2.5`.
fn number(raw: &str) -> Option<f64> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '_')
        .collect();
    let compact = compact.trim_end_matches(['€', '%']);
    // Commas before groups of three digits separate thousands (250,000);
    // one comma otherwise is a decimal comma (2,5).
    let groups: Vec<&str> = compact.split(',').collect();
    let thousands = groups.len() > 1
        && groups[1..].iter().enumerate().all(|(i, g)| {
            let digits = g.split('.').next().unwrap_or(g);
            digits.len() == 3
                && digits.chars().all(|c| c.is_ascii_digit())
                && (i + 2 == groups.len() || !g.contains('.'))
        });
    let normal = if thousands || compact.contains('.') {
        compact.replace(',', "")
    } else {
        compact.replace(',', ".")
    };
    normal.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The first and last day `raw` names: a day, a month (`YYYY-MM`) or a
/// year (`YYYY`).
fn period(raw: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    use chrono::{Datelike, NaiveDate};
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some((day, day));
    }
    if let Some((y, m)) = raw.split_once('-')
        && y.len() == 4
        && m.len() == 2
    {
        let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
        let next = first.checked_add_months(chrono::Months::new(1))?;
        return Some((first, next.pred_opt()?));
    }
    if raw.len() == 4 {
        let year: i32 = raw.parse().ok()?;
        let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
        return Some((first, NaiveDate::from_ymd_opt(first.year(), 12, 31)?));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_people_write_them() {
        assert_eq!(number("1 000"), Some(1000.0));
        assert_eq!(number("2,5"), Some(2.5));
        assert_eq!(number("1,000.5"), Some(1000.5));
        assert_eq!(number("250,000"), Some(250000.0));
        assert_eq!(number("1,000,000"), Some(1000000.0));
        assert_eq!(number("10 000 €"), Some(10000.0));
        assert_eq!(number("value:1000"), None);
    }

    #[test]
    fn a_period_is_a_day_a_month_or_a_year() {
        let d = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(period("2025-02"), Some((d("2025-02-01"), d("2025-02-28"))));
        assert_eq!(period("2024"), Some((d("2024-01-01"), d("2024-12-31"))));
        assert_eq!(
            period("2024-03-05"),
            Some((d("2024-03-05"), d("2024-03-05")))
        );
        assert_eq!(period("last year"), None);
    }

    #[test]
    fn a_plan_is_read_strictly() {
        assert!(read(r#"{"kind": "none"}"#).is_ok());
        assert!(read("```json\n{\"kind\": \"none\"}\n```").is_ok());
        let e = read(r#"{"kind": "none", "sql": "SELECT 1"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `sql`"), "{e}");
        assert!(read("SELECT 1").is_err());
    }
}
