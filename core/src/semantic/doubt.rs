//! What a plan does with what its question names, read without the model:
//! the parts of the plan the question names nowhere ([`Unsaid`]) and what
//! the question names that the plan leaves out ([`LeftOut`]). Either is a
//! reason to doubt that the plan reads the question; `pstral eval`
//! measures how often each catches a wrong plan, and the bot asks back on
//! those the measure supports (`sql.ask_back`).
//!
//! The plan's schema already keeps most unnamed parts out
//! ([`super::named::Offer`]): what is left are measures beside the one the
//! question names, a text filter on a name no definition explains, a
//! segment given where the question names a dimension's value.

use std::collections::BTreeSet;

use super::Definitions;
use super::model::DimensionType;
use super::named::Named;
use super::plan::{Grain, Op, Plan};

/// A part of a plan the question names nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsaid {
    /// A filter on a dimension the question names neither by a word nor
    /// by one of its values.
    Filter { dimension: String },
    /// A segment the question does not name.
    Segment(String),
    /// A measure beside those the question names.
    Measure(String),
}

/// Something a question names that its plan does not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftOut {
    /// A value of a dimension (`Lyon`), as the data holds it.
    Value {
        dimension: String,
        value: String,
    },
    Segment(String),
    /// A date or a period.
    Period,
    /// A time grain ("each month").
    Grain(Grain),
    /// A number ("top 3", "more than 5").
    Number(u32),
    /// A share ("what share", "en %").
    Share,
}

/// The gaps between a question and a plan for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gaps {
    pub unsaid: Vec<Unsaid>,
    pub left_out: Vec<LeftOut>,
}

impl Gaps {
    pub fn is_empty(&self) -> bool {
        self.unsaid.is_empty() && self.left_out.is_empty()
    }
}

/// Whether `values` holds `value`, case aside.
fn holds(values: &[String], value: &str) -> bool {
    values.iter().any(|v| v.eq_ignore_ascii_case(value))
}

/// The gaps between what `named` (a question as the bot read it) names and
/// `plan` (resolved: values as the data holds them).
pub fn gaps(plan: &Plan, named: &Named, d: &Definitions) -> Gaps {
    let time = |dimension: &str| {
        d.dimensions
            .get(dimension)
            .is_some_and(|x| x.kind == DimensionType::Time)
    };
    let mut gaps = Gaps::default();
    let segments: BTreeSet<&String> = plan.segments.iter().chain(&plan.without).collect();
    // Left out: each thing named, looked for where a plan may put it.
    // A segment of the plan may say a value ("active" clients): its
    // label, synonyms or name hold the value's words.
    let segment_says = |value: &str| {
        let value = crate::learn::text::fold(value);
        segments.iter().any(|s| {
            d.segments.get(*s).is_some_and(|seg| {
                std::iter::once(s.as_str())
                    .chain([seg.label.en.as_str(), seg.label.fr.as_str()])
                    .chain(seg.synonyms.iter().map(String::as_str))
                    .any(|name| crate::learn::text::fold(name).contains(&value))
            })
        })
    };
    for (dimension, values) in &named.values {
        let used = plan
            .filters
            .iter()
            .any(|f| &f.dimension == dimension && values.iter().any(|v| holds(&f.values, v)))
            || values.iter().any(|v| segment_says(v));
        if !used {
            gaps.left_out.push(LeftOut::Value {
                dimension: dimension.clone(),
                value: values.first().cloned().unwrap_or_default(),
            });
        }
    }
    for segment in &named.segments {
        if !segments.contains(segment) {
            gaps.left_out.push(LeftOut::Segment(segment.clone()));
        }
    }
    if named.period && !plan.filters.iter().any(|f| time(&f.dimension)) {
        gaps.left_out.push(LeftOut::Period);
    }
    if let Some(grain) = named.grain.filter(|g| *g != Grain::None)
        && !plan.dimensions.iter().any(|c| c.grain == grain)
    {
        gaps.left_out.push(LeftOut::Grain(grain));
    }
    for &n in &named.numbers {
        let written = n.to_string();
        let used = plan.limit == n
            || plan.having.iter().any(|h| h.value == f64::from(n))
            || plan.filters.iter().any(|f| holds(&f.values, &written));
        if !used {
            gaps.left_out.push(LeftOut::Number(n));
        }
    }
    if named.share && !plan.share {
        gaps.left_out.push(LeftOut::Share);
    }
    // Unsaid: each part of the plan, looked for among what was named.
    for f in &plan.filters {
        let said = named.dimensions.contains(&f.dimension)
            || named.values.contains_key(&f.dimension)
            || (time(&f.dimension) && named.period)
            || (f.op == Op::Contains && named.proper);
        if !said {
            gaps.unsaid.push(Unsaid::Filter {
                dimension: f.dimension.clone(),
            });
        }
    }
    for segment in &segments {
        if !named.segments.contains(*segment) {
            gaps.unsaid.push(Unsaid::Segment((*segment).clone()));
        }
    }
    if !named.measures.is_empty() {
        for m in &plan.measures {
            if !named.measures.contains(m) {
                gaps.unsaid.push(Unsaid::Measure(m.clone()));
            }
        }
    }
    gaps
}

/// `plan` without what the question names nowhere: the reading offered
/// beside it when that is the doubt. `None` when nothing would be left to
/// ask for (every measure unsaid) or nothing is unsaid.
pub fn without_unsaid(plan: &Plan, unsaid: &[Unsaid]) -> Option<Plan> {
    if unsaid.is_empty() {
        return None;
    }
    let mut p = plan.clone();
    for part in unsaid {
        match part {
            Unsaid::Filter { dimension } => p.filters.retain(|f| &f.dimension != dimension),
            Unsaid::Segment(s) => {
                p.segments.retain(|x| x != s);
                p.without.retain(|x| x != s);
            }
            Unsaid::Measure(m) => {
                p.measures.retain(|x| x != m);
                p.having.retain(|h| &h.measure != m);
                p.order.retain(|o| &o.name != m);
            }
        }
    }
    (p.measures.len() + usize::from(!p.entity.is_empty()) > 0 && p != *plan).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::plan::{Cut, Filter, Kind};

    fn named() -> Named {
        Named::default()
    }

    fn plan() -> Plan {
        crate::semantic::plan::read(r#"{"kind":"aggregate","measures":["revenue"]}"#).unwrap()
    }

    fn definitions() -> Definitions {
        Definitions::default()
    }

    #[test]
    fn a_value_the_question_names_and_the_plan_filters_on_is_no_gap() {
        let mut n = named();
        n.values.insert("city".into(), vec!["Lyon".into()]);
        let mut p = plan();
        p.filters.push(Filter {
            dimension: "city".into(),
            op: Op::Eq,
            values: vec!["lyon".into()],
        });
        assert!(gaps(&p, &n, &definitions()).is_empty());
    }

    #[test]
    fn a_value_the_question_names_and_the_plan_ignores_is_left_out() {
        let mut n = named();
        n.values.insert("city".into(), vec!["Lyon".into()]);
        let found = gaps(&plan(), &n, &definitions());
        assert_eq!(
            found.left_out,
            [LeftOut::Value {
                dimension: "city".into(),
                value: "Lyon".into()
            }]
        );
    }

    #[test]
    fn a_grain_a_number_and_a_share_left_out_are_each_said() {
        let mut n = named();
        n.grain = Some(Grain::Month);
        n.numbers = vec![3];
        n.share = true;
        let found = gaps(&plan(), &n, &definitions());
        assert_eq!(
            found.left_out,
            [
                LeftOut::Grain(Grain::Month),
                LeftOut::Number(3),
                LeftOut::Share
            ]
        );
        let mut p = plan();
        p.dimensions.push(Cut {
            name: "signed".into(),
            grain: Grain::Month,
        });
        p.limit = 3;
        p.share = true;
        assert!(gaps(&p, &n, &definitions()).left_out.is_empty());
    }

    #[test]
    fn a_filter_and_a_measure_nobody_named_are_unsaid_and_can_be_taken_away() {
        let mut n = named();
        n.measures.insert("revenue".into());
        let mut p = plan();
        p.measures.push("clients".into());
        p.filters.push(Filter {
            dimension: "country".into(),
            op: Op::Eq,
            values: vec!["France".into()],
        });
        let found = gaps(&p, &n, &definitions());
        assert_eq!(
            found.unsaid,
            [
                Unsaid::Filter {
                    dimension: "country".into()
                },
                Unsaid::Measure("clients".into())
            ]
        );
        let without = without_unsaid(&p, &found.unsaid).unwrap();
        assert_eq!(without, plan());
    }

    #[test]
    fn a_list_keeps_its_entity_when_its_unsaid_parts_go() {
        let mut p = plan();
        p.kind = Kind::List;
        p.measures.clear();
        p.entity = "clients".into();
        p.segments.push("active".into());
        let unsaid = gaps(&p, &named(), &definitions()).unsaid;
        assert_eq!(unsaid, [Unsaid::Segment("active".into())]);
        assert!(without_unsaid(&p, &unsaid).unwrap().segments.is_empty());
    }
}
