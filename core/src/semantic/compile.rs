//! A resolved plan written as SQL, deterministically, for SQLite,
//! PostgreSQL and Oracle: joins by the declared paths (each entity aliased
//! by its name, as the definitions' expressions are written), conditions on
//! rows that would be repeated by a join asked with `EXISTS`, and a
//! measure that a dimension's join would repeat (the fan trap: contract
//! amounts cut by payment status) aggregated over its own rows first.
//! What it writes goes through the same validator as any other statement.

use std::collections::BTreeSet;

use super::model::{Aggregate, DimensionType};
use super::plan::{Condition, Cut, Grain, Kind, Op, Plan, PlanError, Resolved, Value};
use super::{Semantic, Step};
use crate::sql::Dialect;

/// The rows one query reads: its base entity, the entities joined to it
/// and the conditions on them.
struct Scope {
    base: String,
    joins: Vec<String>,
    joined: BTreeSet<String>,
    /// A joined entity repeats the base's rows.
    fanned: bool,
    wheres: Vec<String>,
}

impl Semantic {
    /// The SQL of `resolved`, for `dialect`.
    ///
    /// # Errors
    /// [`PlanError::Unsayable`] for what the plan's shape cannot say.
    pub fn compile(&self, resolved: &Resolved, dialect: Dialect) -> Result<String, PlanError> {
        let w = Writer {
            semantic: self,
            dialect,
        };
        match resolved.plan.kind {
            Kind::List => w.list(resolved),
            Kind::Aggregate => w.aggregate(resolved),
            Kind::None => Err(PlanError::Uncovered),
        }
    }
}

impl Semantic {
    /// A statement for each expression of the definitions, by its key, so
    /// that each is judged by the validator as any statement is.
    pub fn probes(&self, dialect: Dialect) -> Vec<(String, String)> {
        let w = Writer {
            semantic: self,
            dialect,
        };
        let d = &self.definitions;
        let mut probes = Vec::new();
        for (name, x) in &d.dimensions {
            probes.push((
                format!("dimensions.{name}"),
                format!("SELECT {} FROM {}", w.dimension(name), w.from(&x.entity)),
            ));
        }
        for (name, m) in &d.measures {
            let value = m
                .expr
                .as_ref()
                .map_or_else(|| w.key(&m.entity), |e| e.get(dialect).to_owned());
            let mut sql = format!(
                "SELECT {} FROM {}",
                Writer::aggregate_of(m.aggregate, &value),
                w.from(&m.entity)
            );
            if let Some(f) = &m.filter {
                sql.push_str(&format!(" WHERE {}", f.get(dialect)));
            }
            probes.push((format!("measures.{name}"), sql));
        }
        for (name, s) in &d.segments {
            probes.push((
                format!("segments.{name}"),
                format!(
                    "SELECT 1 FROM {} WHERE {}",
                    w.from(&s.entity),
                    s.condition.get(dialect)
                ),
            ));
        }
        probes
    }
}

/// One entity's measures cut by the plan's dimensions: what a group's SQL
/// is written from.
struct Group<'a> {
    entity: &'a str,
    measures: &'a [&'a String],
    /// Each dimension's expression and name.
    dims: Vec<(String, String)>,
    /// The key of each entity a text dimension names.
    keys: Vec<String>,
    /// Whether those keys are selected too, as `name_key_N`.
    keyed: bool,
    /// The measures' one filter is a condition on the rows.
    shared: bool,
}

struct Writer<'a> {
    semantic: &'a Semantic,
    dialect: Dialect,
}

fn unsayable(why: impl Into<String>) -> PlanError {
    PlanError::Unsayable(why.into())
}

impl Writer<'_> {
    fn defs(&self) -> &super::Definitions {
        &self.semantic.definitions
    }

    fn from(&self, entity: &str) -> String {
        let table = self.semantic.table(entity);
        if table == entity {
            table.to_owned()
        } else {
            format!("{table} {entity}")
        }
    }

    fn key(&self, entity: &str) -> String {
        format!("{entity}.{}", self.defs().entities[entity].key)
    }

    /// The SQL that joins the entity a step leaves to the one it reaches.
    fn link(&self, at: &str, step: Step<'_>) -> String {
        match step {
            Step::Up(e) => format!("{}.{} = {}", at, e.column, self.key(&e.to)),
            Step::Down(e) => format!("{}.{} = {}", e.from, e.column, self.key(at)),
        }
    }

    fn scope(&self, base: &str) -> Scope {
        Scope {
            base: base.to_owned(),
            joins: Vec::new(),
            joined: BTreeSet::from([base.to_owned()]),
            fanned: false,
            wheres: Vec::new(),
        }
    }

    /// Joins `entity` into `scope` along its path; `fan` allows a path
    /// that repeats the base's rows (marking the scope fanned).
    fn join(&self, scope: &mut Scope, entity: &str, fan: bool) -> Result<(), PlanError> {
        self.join_with(scope, entity, fan, false)
    }

    /// [`Writer::join`]; `left` keeps the base's rows that have no row to
    /// join (a document of no contract is still listed).
    fn join_with(
        &self,
        scope: &mut Scope,
        entity: &str,
        fan: bool,
        left: bool,
    ) -> Result<(), PlanError> {
        let path = self
            .semantic
            .path(&scope.base, entity)
            .ok_or_else(|| unsayable(format!("{entity} has no join to {}", scope.base)))?;
        let mut at = scope.base.clone();
        for step in path {
            let next = step.target().to_owned();
            if matches!(step, Step::Down(_)) {
                if !fan {
                    return Err(unsayable(format!(
                        "{next} has many rows for each of {}: it cannot be shown beside them",
                        scope.base
                    )));
                }
                scope.fanned = true;
            }
            if scope.joined.insert(next.clone()) {
                scope.joins.push(format!(
                    "{}JOIN {} ON {}",
                    if left { "LEFT " } else { "" },
                    self.from(&next),
                    self.link(&at, step)
                ));
            }
            at = next;
        }
        Ok(())
    }

    /// `condition` (SQL over `entity`'s columns) as it applies to the
    /// scope's rows: joined when `entity` is one row for each of them, else
    /// "at least one" (`EXISTS`); "none" (`NOT EXISTS`) when `negated`,
    /// which for the base's own rows is the condition's negation.
    fn holds(
        &self,
        scope: &mut Scope,
        entity: &str,
        condition: Option<&str>,
        negated: bool,
    ) -> Result<String, PlanError> {
        let path = self
            .semantic
            .path(&scope.base, entity)
            .ok_or_else(|| unsayable(format!("{entity} has no join to {}", scope.base)))?;
        let repeats = path.iter().any(|s| matches!(s, Step::Down(_)));
        if path.is_empty() || (!repeats && !negated) {
            let Some(condition) = condition else {
                return Err(unsayable(format!(
                    "rows of {entity} cannot be without {entity}"
                )));
            };
            self.join(scope, entity, false)?;
            // A condition that is unknown (NULL) does not hold: its rows
            // are without it.
            return Ok(if negated {
                format!("CASE WHEN {condition} THEN 1 ELSE 0 END = 0")
            } else {
                format!("({condition})")
            });
        }
        let mut from = String::new();
        let mut at = scope.base.clone();
        let mut correlation = String::new();
        for (i, step) in path.iter().enumerate() {
            let next = step.target().to_owned();
            if i == 0 {
                from = self.from(&next);
                correlation = self.link(&at, *step);
            } else {
                from.push_str(&format!(
                    " JOIN {} ON {}",
                    self.from(&next),
                    self.link(&at, *step)
                ));
            }
            at = next;
        }
        let mut inner = format!("SELECT 1 FROM {from} WHERE {correlation}");
        if let Some(condition) = condition {
            inner.push_str(&format!(" AND ({condition})"));
        }
        Ok(format!(
            "{}EXISTS ({inner})",
            if negated { "NOT " } else { "" }
        ))
    }

    /// The plan's row conditions (segments, filters, without, compare)
    /// added to `scope`.
    fn filter(&self, scope: &mut Scope, resolved: &Resolved) -> Result<(), PlanError> {
        let d = self.defs();
        let plan = &resolved.plan;
        for s in &plan.segments {
            let seg = &d.segments[s];
            let condition = seg.condition.get(self.dialect);
            let sql = self.holds(scope, &seg.entity, Some(condition), false)?;
            scope.wheres.push(sql);
        }
        for w in &plan.without {
            let sql = match d.segments.get(w) {
                Some(seg) => self.holds(
                    scope,
                    &seg.entity,
                    Some(seg.condition.get(self.dialect)),
                    true,
                )?,
                None => self.holds(scope, w, None, true)?,
            };
            scope.wheres.push(sql);
        }
        for c in &resolved.conditions {
            let dim = &d.dimensions[&c.dimension];
            let sql = self.condition(c)?;
            let sql = self.holds(scope, &dim.entity, Some(&sql), false)?;
            scope.wheres.push(sql);
        }
        for c in &plan.compare {
            let (l, r) = (&d.dimensions[&c.left], &d.dimensions[&c.right]);
            self.join(scope, &l.entity, false)?;
            self.join(scope, &r.entity, false)?;
            scope.wheres.push(format!(
                "{} {} {}",
                self.dimension(&c.left),
                c.op.sql(),
                self.dimension(&c.right)
            ));
        }
        Ok(())
    }

    /// A dimension's SQL, as its value.
    fn dimension(&self, name: &str) -> String {
        let d = &self.defs().dimensions[name];
        match (&d.column, &d.expr) {
            (Some(column), _) => format!("{}.{column}", d.entity),
            (None, Some(expr)) => format!("({})", expr.get(self.dialect)),
            (None, None) => unreachable!("checked when the definitions were read"),
        }
    }

    /// A dimension cut by its grain.
    fn cut(&self, cut: &Cut) -> String {
        let x = self.dimension(&cut.name);
        let is_time = self.defs().dimensions[&cut.name].kind == DimensionType::Time;
        if !is_time {
            return x;
        }
        match (self.dialect, cut.grain) {
            (_, Grain::None) => x,
            (Dialect::Sqlite, Grain::Day) => format!("date({x})"),
            (Dialect::Sqlite, Grain::Week) => format!("strftime('%Y-W%W', {x})"),
            (Dialect::Sqlite, Grain::Month) => format!("strftime('%Y-%m', {x})"),
            (Dialect::Sqlite, Grain::Quarter) => format!(
                "strftime('%Y', {x}) || '-Q' || ((CAST(strftime('%m', {x}) AS INTEGER) + 2) / 3)"
            ),
            (Dialect::Sqlite, Grain::Year) => format!("strftime('%Y', {x})"),
            (Dialect::Postgres | Dialect::Oracle, grain) => {
                let format = match grain {
                    Grain::Day => "YYYY-MM-DD",
                    Grain::Week => "IYYY-\"W\"IW",
                    Grain::Month => "YYYY-MM",
                    Grain::Quarter => "YYYY-\"Q\"Q",
                    Grain::Year | Grain::None => "YYYY",
                };
                let to_char = if self.dialect == Dialect::Oracle {
                    "TO_CHAR"
                } else {
                    "to_char"
                };
                format!("{to_char}({x}, '{format}')")
            }
        }
    }

    fn literal(&self, value: &Value) -> String {
        match value {
            Value::Text(t) => quote(t),
            Value::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
            Value::Number(x) => format!("{x}"),
            Value::Date(d) => {
                let text = d.format("%Y-%m-%d").to_string();
                match self.dialect {
                    Dialect::Sqlite => quote(&text),
                    Dialect::Postgres | Dialect::Oracle => format!("DATE {}", quote(&text)),
                }
            }
        }
    }

    /// A filter's SQL over its dimension.
    fn condition(&self, c: &Condition) -> Result<String, PlanError> {
        let x = self.dimension(&c.dimension);
        let v: Vec<String> = c.values.iter().map(|v| self.literal(v)).collect();
        Ok(match c.op {
            Op::Between => format!("{x} BETWEEN {} AND {}", v[0], v[1]),
            Op::In => format!("{x} IN ({})", v.join(", ")),
            Op::Contains => {
                let Some(Value::Text(word)) = c.values.first() else {
                    return Err(unsayable("a word is searched for in text"));
                };
                // The word as written, whatever its case; % and _ in it
                // are the word's, not wildcards (escaped with `!`: a
                // backslash reads differently from one database to the
                // next).
                // SQLite's LOWER folds ASCII letters only: a word is
                // folded the same way, so that it matches as written.
                let lower = match self.dialect {
                    Dialect::Sqlite => word.to_ascii_lowercase(),
                    Dialect::Postgres | Dialect::Oracle => word.to_lowercase(),
                };
                let escaped = lower
                    .replace('!', "!!")
                    .replace('%', "!%")
                    .replace('_', "!_");
                format!(
                    "LOWER({x}) LIKE {} ESCAPE '!'",
                    quote(&format!("%{escaped}%"))
                )
            }
            op => format!("{x} {} {}", op.sql(), v[0]),
        })
    }

    /// `scope`'s FROM and WHERE.
    fn body(&self, scope: &Scope) -> String {
        let mut sql = format!("FROM {}", self.from(&scope.base));
        for j in &scope.joins {
            sql.push_str(&format!(" {j}"));
        }
        if !scope.wheres.is_empty() {
            sql.push_str(&format!(" WHERE {}", scope.wheres.join(" AND ")));
        }
        sql
    }

    fn tail(&self, resolved: &Resolved) -> String {
        let plan = &resolved.plan;
        let mut sql = String::new();
        if !plan.order.is_empty() {
            let mut by: Vec<String> = plan
                .order
                .iter()
                // NULL sorts as the smallest value on every database, as
                // SQLite has it: the same order everywhere, and no empty
                // group on top of a "top N".
                .map(|o| {
                    if o.descending {
                        format!("{} DESC NULLS LAST", o.name)
                    } else {
                        format!("{} NULLS FIRST", o.name)
                    }
                })
                .collect();
            // Ties in the order asked are broken by the columns cut by or
            // shown, in turn: the same rows in the same order every time,
            // and the same rows on either side of a "top N".
            for column in self.columns_of(plan) {
                if !plan.order.iter().any(|o| o.name == column) {
                    by.push(format!("{column} NULLS FIRST"));
                }
            }
            sql.push_str(&format!(" ORDER BY {}", by.join(", ")));
        }
        if plan.limit > 0 {
            match self.dialect {
                Dialect::Oracle => sql.push_str(&format!(" FETCH FIRST {} ROWS ONLY", plan.limit)),
                Dialect::Sqlite | Dialect::Postgres => {
                    sql.push_str(&format!(" LIMIT {}", plan.limit));
                }
            }
        }
        sql
    }

    /// The columns a plan's rows are cut by (an aggregate) or show (a
    /// list), by their names: what breaks ties in its order.
    fn columns_of(&self, plan: &Plan) -> Vec<String> {
        let mut columns: Vec<String> = match plan.kind {
            Kind::List => self
                .defs()
                .entities
                .get(&plan.entity)
                .map(|e| e.shown.clone())
                .unwrap_or_default(),
            Kind::Aggregate | Kind::None => Vec::new(),
        };
        for cut in &plan.dimensions {
            if !columns.contains(&cut.name) {
                columns.push(cut.name.clone());
            }
        }
        columns
    }

    fn list(&self, resolved: &Resolved) -> Result<String, PlanError> {
        let plan = &resolved.plan;
        if !plan.measures.is_empty() || !plan.having.is_empty() || plan.share {
            return Err(unsayable(
                "a list shows dimensions of its rows; measures are an aggregate",
            ));
        }
        // The rows' names first, then the columns asked: a list of clients
        // "with their sector" still names each client.
        let entity = &self.defs().entities[&plan.entity];
        let mut cuts: Vec<Cut> = entity
            .shown
            .iter()
            .map(|name| Cut {
                name: name.clone(),
                grain: Grain::None,
            })
            .collect();
        for cut in &plan.dimensions {
            if !cuts.iter().any(|c| c.name == cut.name) {
                cuts.push(cut.clone());
            }
        }
        if cuts.is_empty() {
            return Err(unsayable(format!(
                "a list of {} names the dimensions it shows",
                plan.entity
            )));
        }
        let mut scope = self.scope(&plan.entity);
        let mut columns = Vec::new();
        for cut in &cuts {
            let dim = &self.defs().dimensions[&cut.name];
            self.join_with(&mut scope, &dim.entity, false, true)?;
            columns.push(format!("{} AS {}", self.cut(cut), cut.name));
        }
        self.filter(&mut scope, resolved)?;
        Ok(format!(
            "SELECT {} {}{}",
            columns.join(", "),
            self.body(&scope),
            self.tail(resolved)
        ))
    }

    /// One measure's aggregate over `value` (the expression aggregated,
    /// already filtered).
    fn aggregate_of(aggregate: Aggregate, value: &str) -> String {
        match aggregate {
            Aggregate::Count => format!("COUNT({value})"),
            Aggregate::CountDistinct => format!("COUNT(DISTINCT {value})"),
            Aggregate::Sum => format!("SUM({value})"),
            Aggregate::Avg => format!("AVG({value})"),
            Aggregate::Min => format!("MIN({value})"),
            Aggregate::Max => format!("MAX({value})"),
        }
    }

    fn rounded(sql: String, decimals: Option<u8>) -> String {
        match decimals {
            Some(d) => format!("ROUND({sql}, {d})"),
            None => sql,
        }
    }

    /// The measures of one entity cut by the plan's dimensions, with the
    /// plan's row conditions when `filtered`: the dimensions as named, each
    /// measure as named.
    fn group(
        &self,
        resolved: &Resolved,
        entity: &str,
        measures: &[&String],
        filtered: bool,
        keyed: bool,
    ) -> Result<String, PlanError> {
        let d = self.defs();
        let plan = &resolved.plan;
        let mut scope = self.scope(entity);
        let mut dims = Vec::new();
        let mut keys = Vec::new();
        for cut in &plan.dimensions {
            let dim = &d.dimensions[&cut.name];
            self.join(&mut scope, &dim.entity, true)?;
            dims.push((self.cut(cut), cut.name.clone()));
            // Names are not unique (one company in two cities): a row per
            // thing named, not per name.
            if dim.kind == DimensionType::Text {
                keys.push(self.key(&dim.entity));
            }
        }
        if filtered {
            self.filter(&mut scope, resolved)?;
        }
        // One filter shared by every measure is a condition on the rows, so
        // that groups with none of them are not listed.
        let filters: BTreeSet<Option<&str>> = measures
            .iter()
            .map(|m| d.measures[*m].filter.as_ref().map(|f| f.get(self.dialect)))
            .collect();
        let shared = match filters.iter().next() {
            Some(Some(f)) if filters.len() == 1 => {
                scope.wheres.push(format!("({f})"));
                true
            }
            _ => false,
        };
        let group = Group {
            entity,
            measures,
            dims,
            keys,
            keyed,
            shared,
        };
        Ok(match scope.fanned {
            false => self.grouped(&scope, &group),
            true => self.fanned(&scope, &group),
        })
    }

    /// The value a measure `m` of `group` aggregates, over a row of its
    /// entity: its expression (the entity's key when it has none), only
    /// where its own filter holds unless that filter is the rows' own.
    fn measure_value(&self, group: &Group<'_>, m: &str) -> String {
        let measure = &self.defs().measures[m];
        let x = measure.expr.as_ref().map_or_else(
            || self.key(group.entity),
            |e| e.get(self.dialect).to_owned(),
        );
        match (
            measure.filter.as_ref().map(|f| f.get(self.dialect)),
            group.shared,
        ) {
            (Some(f), false) => format!("CASE WHEN {f} THEN {x} END"),
            _ => x,
        }
    }

    /// `group` aggregated as its rows are read from `scope`, where each of
    /// its entity's rows is met once.
    fn grouped(&self, scope: &Scope, group: &Group<'_>) -> String {
        let d = self.defs();
        let mut select: Vec<String> = group
            .dims
            .iter()
            .map(|(x, n)| format!("{x} AS {n}"))
            .collect();
        if group.keyed {
            select.extend(
                group
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| format!("{k} AS name_key_{i}")),
            );
        }
        for m in group.measures {
            let measure = &d.measures[*m];
            select.push(format!(
                "{} AS {m}",
                Self::rounded(
                    Self::aggregate_of(measure.aggregate, &self.measure_value(group, m)),
                    measure.decimals
                )
            ));
        }
        let mut sql = format!("SELECT {} {}", select.join(", "), self.body(scope));
        let mut group_by: Vec<String> = group.dims.iter().map(|(x, _)| x.clone()).collect();
        group_by.extend(group.keys.iter().cloned());
        if !group_by.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", group_by.join(", ")));
        }
        sql
    }

    /// `group` past the fan trap (a join of `scope` meets each of its
    /// entity's rows more than once): each of the entity's rows once per
    /// combination of the dimensions, then aggregated.
    fn fanned(&self, scope: &Scope, group: &Group<'_>) -> String {
        let d = self.defs();
        let keys = &group.keys;
        let dim_list: Vec<String> = group.dims.iter().map(|(_, n)| n.clone()).collect();
        let mut inner = vec![format!("{} AS row_key", self.key(group.entity))];
        inner.extend(group.dims.iter().map(|(x, n)| format!("{x} AS {n}")));
        for (i, k) in keys.iter().enumerate() {
            inner.push(format!("{k} AS name_key_{i}"));
        }
        for m in group.measures {
            inner.push(format!("{} AS value_{m}", self.measure_value(group, m)));
        }
        let mut select: Vec<String> = dim_list.clone();
        if group.keyed {
            select.extend((0..keys.len()).map(|i| format!("name_key_{i}")));
        }
        for m in group.measures {
            let measure = &d.measures[*m];
            select.push(format!(
                "{} AS {m}",
                Self::rounded(
                    Self::aggregate_of(measure.aggregate, &format!("value_{m}")),
                    measure.decimals
                )
            ));
        }
        let mut group_by = dim_list;
        group_by.extend((0..keys.len()).map(|i| format!("name_key_{i}")));
        let mut sql = format!(
            "SELECT {} FROM (SELECT DISTINCT {} {}) fanned",
            select.join(", "),
            inner.join(", "),
            self.body(scope)
        );
        if !group_by.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", group_by.join(", ")));
        }
        sql
    }

    fn aggregate(&self, resolved: &Resolved) -> Result<String, PlanError> {
        let d = self.defs();
        let plan = &resolved.plan;
        let mut seen = BTreeSet::new();
        let measures: Vec<&String> = plan.measures.iter().filter(|m| seen.insert(*m)).collect();
        // The measures by entity, in the plan's order.
        let mut groups: Vec<(&str, Vec<&String>)> = Vec::new();
        for m in &measures {
            let entity = d.measures[*m].entity.as_str();
            match groups.iter_mut().find(|(e, _)| *e == entity) {
                Some((_, ms)) => ms.push(m),
                None => groups.push((entity, vec![m])),
            }
        }
        let dims: Vec<&str> = plan.dimensions.iter().map(|c| c.name.as_str()).collect();
        let core = if let [(entity, ms)] = groups.as_slice() {
            self.group(resolved, entity, ms, true, false)?
        } else {
            self.combine(resolved, &groups, &dims)?
        };
        let core = if plan.having.is_empty() {
            core
        } else {
            let conditions: Vec<String> = plan
                .having
                .iter()
                .map(|h| {
                    let v = self.literal(&Value::Number(h.value));
                    format!("{} {} {v}", h.measure, h.op.sql())
                })
                .collect();
            let mut columns: Vec<String> = dims.iter().map(|s| (*s).to_owned()).collect();
            columns.extend(measures.iter().map(|m| (*m).clone()));
            format!(
                "SELECT {} FROM ({core}) grouped WHERE {}",
                columns.join(", "),
                conditions.join(" AND ")
            )
        };
        let sql = if plan.share {
            self.share(resolved, &groups, &dims, &measures, core)?
        } else {
            core
        };
        // A share of the whole without cuts is one row: nothing to order.
        if plan.share && dims.is_empty() {
            let unordered = Resolved {
                plan: super::plan::Plan {
                    order: Vec::new(),
                    ..plan.clone()
                },
                ..resolved.clone()
            };
            return Ok(format!("{sql}{}", self.tail(&unordered)));
        }
        Ok(format!("{sql}{}", self.tail(resolved)))
    }

    /// Measures of several entities side by side: each aggregated over its
    /// own rows, then matched on the dimensions' values.
    fn combine(
        &self,
        resolved: &Resolved,
        groups: &[(&str, Vec<&String>)],
        dims: &[&str],
    ) -> Result<String, PlanError> {
        // Names are not unique: the rows of a name are matched by the key
        // of the thing named as well.
        let named = dims
            .iter()
            .filter(|d| self.defs().dimensions[**d].kind == DimensionType::Text)
            .count();
        let matched: Vec<String> = dims
            .iter()
            .map(|d| (*d).to_owned())
            .chain((0..named).map(|i| format!("name_key_{i}")))
            .collect();
        let mut parts = Vec::new();
        for (entity, ms) in groups {
            parts.push(self.group(resolved, entity, ms, true, true)?);
        }
        let mut columns: Vec<String> = Vec::new();
        if dims.is_empty() {
            for (i, (_, ms)) in groups.iter().enumerate() {
                columns.extend(ms.iter().map(|m| format!("g{i}.{m} AS {m}")));
            }
            let from: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| format!("({p}) g{i}"))
                .collect();
            return Ok(format!(
                "SELECT {} FROM {}",
                columns.join(", "),
                from.join(" CROSS JOIN ")
            ));
        }
        let keys: Vec<String> = parts
            .iter()
            .map(|p| format!("SELECT {} FROM ({p}) k", matched.join(", ")))
            .collect();
        columns.extend(dims.iter().map(|d| format!("keys.{d} AS {d}")));
        for (i, (_, ms)) in groups.iter().enumerate() {
            columns.extend(ms.iter().map(|m| format!("g{i}.{m} AS {m}")));
        }
        let mut sql = format!(
            "SELECT {} FROM ({}) keys",
            columns.join(", "),
            keys.join(" UNION ")
        );
        for (i, p) in parts.iter().enumerate() {
            let on: Vec<String> = matched
                .iter()
                .map(|d| {
                    format!("(g{i}.{d} = keys.{d} OR (g{i}.{d} IS NULL AND keys.{d} IS NULL))")
                })
                .collect();
            sql.push_str(&format!(" LEFT JOIN ({p}) g{i} ON {}", on.join(" AND ")));
        }
        Ok(sql)
    }

    /// Each measure with its share of the whole, in percent: of all the
    /// groups when cut, else of the same measure without the plan's row
    /// conditions.
    fn share(
        &self,
        resolved: &Resolved,
        groups: &[(&str, Vec<&String>)],
        dims: &[&str],
        measures: &[&String],
        core: String,
    ) -> Result<String, PlanError> {
        if !dims.is_empty() {
            let mut columns: Vec<String> =
                dims.iter().map(|d| format!("part.{d} AS {d}")).collect();
            for m in measures {
                columns.push(format!("part.{m} AS {m}"));
                columns.push(format!(
                    "ROUND(100.0 * part.{m} / NULLIF(SUM(part.{m}) OVER (), 0), 2) AS {m}_pct"
                ));
            }
            return Ok(format!("SELECT {} FROM ({core}) part", columns.join(", ")));
        }
        let [(entity, ms)] = groups else {
            return Err(unsayable("a share is of one entity's measures"));
        };
        let whole = self.group(resolved, entity, ms, false, false)?;
        let columns: Vec<String> = measures
            .iter()
            .map(|m| format!("ROUND(100.0 * part.{m} / NULLIF(whole.{m}, 0), 2) AS {m}_pct"))
            .collect();
        Ok(format!(
            "SELECT {} FROM ({core}) part CROSS JOIN ({whole}) whole",
            columns.join(", ")
        ))
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
