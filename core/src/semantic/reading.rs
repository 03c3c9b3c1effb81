//! A resolved plan in words ([`crate::i18n::reading::Reading`]), from the
//! definitions' labels and descriptions in the conversation's language.

use crate::i18n::Lang;
use crate::i18n::reading::{Condition, Grain as WordGrain, Reading};

use super::Semantic;
use super::plan::{Grain, Kind, Resolved, Value};

impl Semantic {
    /// How `resolved` reads the question, in `lang`.
    pub fn reading(&self, resolved: &Resolved, lang: Lang) -> Reading {
        let d = &self.definitions;
        let plan = &resolved.plan;
        let what = match plan.kind {
            Kind::List => vec![d.entities[&plan.entity].label.get(lang).to_owned()],
            _ => plan
                .measures
                .iter()
                .map(|m| {
                    let m = &d.measures[m];
                    format!("{} ({})", m.label.get(lang), m.description.get(lang))
                })
                .collect(),
        };
        let label_of = |name: &str| {
            d.dimensions
                .get(name)
                .map(|x| x.label.get(lang))
                .or_else(|| d.measures.get(name).map(|x| x.label.get(lang)))
                .or_else(|| d.segments.get(name).map(|x| x.label.get(lang)))
                .or_else(|| d.entities.get(name).map(|x| x.label.get(lang)))
                .unwrap_or(name)
                .to_owned()
        };
        let by = plan
            .dimensions
            .iter()
            .map(|c| {
                let grain = match c.grain {
                    Grain::None => None,
                    Grain::Day => Some(WordGrain::Day),
                    Grain::Week => Some(WordGrain::Week),
                    Grain::Month => Some(WordGrain::Month),
                    Grain::Quarter => Some(WordGrain::Quarter),
                    Grain::Year => Some(WordGrain::Year),
                };
                (label_of(&c.name), grain)
            })
            .collect();
        let mut conditions: Vec<Condition> = plan
            .segments
            .iter()
            .map(|s| Condition::Segment(label_of(s)))
            .collect();
        conditions.extend(plan.without.iter().map(|w| Condition::Without(label_of(w))));
        for c in &resolved.conditions {
            conditions.push(Condition::Filter {
                label: label_of(&c.dimension),
                op: op_name(c.op),
                values: c.values.iter().map(shown).collect(),
            });
        }
        for c in &plan.compare {
            conditions.push(Condition::Compare {
                left: label_of(&c.left),
                op: op_name(c.op),
                right: label_of(&c.right),
            });
        }
        for h in &plan.having {
            conditions.push(Condition::Having {
                label: label_of(&h.measure),
                op: op_name(h.op),
                value: shown(&Value::Number(h.value)),
            });
        }
        Reading {
            what,
            list: plan.kind == Kind::List,
            by,
            conditions,
            order: plan
                .order
                .iter()
                .map(|o| (label_of(&o.name), o.descending))
                .collect(),
            limit: plan.limit,
            share: plan.share,
            corrected: resolved.corrected.clone(),
        }
    }
}

fn op_name(op: super::plan::Op) -> &'static str {
    use super::plan::Op;
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Between => "between",
        Op::In => "in",
        Op::Contains => "contains",
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Value::Number(x) => x.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}
