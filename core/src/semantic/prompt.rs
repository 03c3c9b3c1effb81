//! What the model is asked for a plan: the definitions by kind, each with
//! its description and synonyms (and a category's values, for whoever may
//! read data), the rules of a plan, the worked examples; and the JSON
//! schema, built from the same names, that the server holds its answer to.

use std::fmt::Write as _;

use super::Semantic;
use super::named::Offer;
use super::plan::Op;

/// The rules of a plan, for the model.
const RULES: &str = "\
Answer with a plan in JSON, using only the names defined above.
- kind \"aggregate\" for numbers (how many, how much, total, average, share): the measures asked.
- kind \"list\" for rows (which, who, list, show): the entity whose rows are listed; its dimensions are the columns asked beyond the rows' names, which are always shown.
- kind \"none\" when no definition fits the question.
- dimensions: for an aggregate, only what the question cuts by (\"by\", \"per\", \"each\", \"par\", \"chaque\"); none for a single total. A date dimension takes a grain (day, week, month, quarter, year), others \"none\".
- segments: named conditions the question states; a segment of another entity means \"with at least one such row\".
- filters: a dimension compared with values written as the data writes them; dates as YYYY-MM-DD, periods with \"between\".
- without: entities the rows have none of (\"never\", \"no\", \"without any\").
- compare: two dimensions of the same row compared.
- having: a measure compared with a number (\"more than 3\").
- share: true for a percentage of the whole.
- order: by the measure when the question ranks (most, largest, top, best), else by what it says; limit: the first N rows, 0 for all.
Write only the fields the question needs: no dimension, segment, filter or order it does not ask for.";

impl Semantic {
    /// The system prompt of a plan. `values`: whether a category's values
    /// may be shown (the asker may read data).
    pub fn prompt(&self, today: &str, values: bool) -> String {
        let d = &self.definitions;
        let mut p = format!(
            "You turn questions about the company's data into plans.\n{}\n\n",
            calendar(today)
        );
        let synonyms = |s: &[String]| {
            if s.is_empty() {
                String::new()
            } else {
                format!(" Also: {}.", s.join(", "))
            }
        };
        p.push_str("Entities (kinds of rows):\n");
        for (name, e) in &d.entities {
            let _ = writeln!(p, "- {name}: {}.", e.description.en);
        }
        p.push_str("\nMeasures (numbers computed over the rows of an entity):\n");
        for (name, m) in &d.measures {
            let _ = writeln!(
                p,
                "- {name} ({}): {}.{}",
                m.entity,
                m.description.en,
                synonyms(&m.synonyms)
            );
        }
        p.push_str("\nDimensions (what rows are cut, filtered or listed by):\n");
        for (name, x) in &d.dimensions {
            let held = match self.values_of(name) {
                Some(v) if values && !v.is_empty() => format!(
                    " Values: {}.",
                    v.iter()
                        .take(crate::sql::schema::MAX_LISTED_VALUES)
                        .map(|v| format!("'{v}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                p,
                "- {name} ({}, {}): {}.{}{held}",
                x.entity,
                x.kind.as_str(),
                x.description.en,
                synonyms(&x.synonyms)
            );
        }
        if !d.segments.is_empty() {
            p.push_str("\nSegments (named conditions on the rows of an entity):\n");
            for (name, s) in &d.segments {
                let _ = writeln!(
                    p,
                    "- {name} ({}): {}.{}",
                    s.entity,
                    s.description.en,
                    synonyms(&s.synonyms)
                );
            }
        }
        p.push('\n');
        p.push_str(RULES);
        if !d.examples.is_empty() {
            p.push_str("\n\nExamples:\n");
            for e in &d.examples {
                let _ = writeln!(p, "Question: {}\nPlan: {}", e.question, compact(&e.plan));
            }
        }
        p
    }

    /// The JSON schema of a plan over these definitions, using only what
    /// `offer` allows (kinds, entities, cuts, grains, filters, segments,
    /// orders, limits, bounds, shares, negations); its properties in the
    /// order the model should decide them (the server's grammar follows
    /// it): first the kind, then what is measured or listed, then how. Only
    /// the kind is required: a small model made to write every field fills
    /// them (a filter, a cut nobody asked for), and the worked plans show
    /// only the fields they use.
    pub(super) fn plan_schema(d: &super::Definitions, offer: &Offer) -> String {
        let names =
            |it: &mut dyn Iterator<Item = &String>| -> Vec<String> { it.cloned().collect() };
        let entities = names(&mut d.entities.keys());
        let measures = names(&mut d.measures.keys());
        let dimensions = names(&mut d.dimensions.keys());
        // A list only: its entity among those the question asks rows of,
        // and no measure to write or order by.
        let listing = !offer.kinds.contains(&super::plan::Kind::Aggregate);
        let mut entity_or_none = vec![String::new()];
        entity_or_none.extend(offer.entities.clone().unwrap_or_else(|| entities.clone()));
        let measures: Vec<String> = if listing { Vec::new() } else { measures };
        // "Without" names entities only: offered segments too, a small model
        // negates the very segment the question asks for ("contacts without
        // e-mail": without the segment "no e-mail").
        let without: Vec<String> = entities.clone();
        let orderable: Vec<String> = measures.iter().chain(&offer.order).cloned().collect();
        let grains: Vec<String> = offer.grains.iter().map(|g| g.as_str().to_owned()).collect();
        let kinds: Vec<String> = offer.kinds.iter().map(|k| k.as_str().to_owned()).collect();
        let some = |s: &str| Some(s.to_owned());
        let cut = object(
            &[
                ("name", Some(one_of(&offer.cuts))),
                ("grain", Some(one_of(&grains))),
            ],
            &["name", "grain"],
        );
        let filter = object(
            &[
                ("dimension", Some(one_of(&offer.filters))),
                ("op", Some(one_of(&owned(&Op::ALL)))),
                (
                    "values",
                    some("{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":8}"),
                ),
            ],
            &["dimension", "op", "values"],
        );
        let compare = object(
            &[
                ("left", Some(one_of(&dimensions))),
                ("op", Some(one_of(&owned(&Op::COMPARISONS)))),
                ("right", Some(one_of(&dimensions))),
            ],
            &["left", "op", "right"],
        );
        let having = object(
            &[
                ("measure", Some(one_of(&measures))),
                ("op", Some(one_of(&owned(&Op::COMPARISONS)))),
                ("value", some("{\"type\":\"number\"}")),
            ],
            &["measure", "op", "value"],
        );
        let order = object(
            &[
                ("name", Some(one_of(&orderable))),
                ("descending", some("{\"type\":\"boolean\"}")),
            ],
            &["name", "descending"],
        );
        object(
            &[
                ("kind", Some(one_of(&kinds))),
                ("entity", Some(one_of(&entity_or_none))),
                ("measures", array_of(&measures, 4)),
                ("dimensions", array_of_objects(cut, &offer.cuts, 4)),
                ("segments", array_of(&offer.segments, 4)),
                ("filters", array_of_objects(filter, &offer.filters, 4)),
                ("without", array_of(&without, 2).filter(|_| offer.without)),
                ("compare", array_of_objects(compare, &dimensions, 2)),
                (
                    "having",
                    array_of_objects(having, &measures, 2).filter(|_| offer.having),
                ),
                (
                    "share",
                    offer.share.then(|| "{\"type\":\"boolean\"}".to_owned()),
                ),
                ("order", array_of_objects(order, &orderable, 2)),
                ("limit", limit(offer.limits.as_deref())),
            ],
            &["kind"],
        )
    }
}

/// Appends to a plan's system prompt the confirmed plans of the questions
/// most similar to the one asked, as (id, question, plan), most similar
/// last: what people said was right, in the words they ask with.
pub fn confirmed(prompt: &mut String, plans: &[(i64, String, String)]) {
    if plans.is_empty() {
        return;
    }
    prompt.push_str("\n\nConfirmed plans of similar questions:\n");
    for (_, question, plan) in plans {
        let question = crate::learn::retrieve::one_line(question);
        let _ = writeln!(prompt, "Question: {question}\nPlan: {plan}");
    }
}

/// Today and the periods questions name relative to it, written out: a
/// small model does not count days.
fn calendar(today: &str) -> String {
    use super::named::shifted;
    use super::plan::Grain;
    let Ok(day) = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d") else {
        return format!("Today is {today}.");
    };
    let span = |grain, step| {
        let (first, last) = shifted(grain, day, step);
        format!("{first} to {last}")
    };
    format!(
        "Today is {today}. Periods a question may name (filter by one only when it does): \
         this month {}, last month {}, next month {}, this year {}, last year {}.",
        span(Grain::Month, 0),
        span(Grain::Month, -1),
        span(Grain::Month, 1),
        span(Grain::Year, 0),
        span(Grain::Year, -1)
    )
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn one_of(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|n| json(n)).collect();
    format!("{{\"enum\":[{}]}}", names.join(","))
}

/// A JSON object of `props`, `required` among them. A property with
/// nothing to offer is left out, not written as an empty array: a server's
/// grammar may read an array without items as an array of anything
/// (llama-cpp-python does).
fn object(props: &[(&str, Option<String>)], required: &[&str]) -> String {
    let body: Vec<String> = props
        .iter()
        .filter_map(|(k, v)| Some(format!("{}:{}", json(k), v.as_ref()?)))
        .collect();
    let required: Vec<String> = required.iter().map(|k| json(k)).collect();
    format!(
        "{{\"type\":\"object\",\"properties\":{{{}}},\"required\":[{}],\"additionalProperties\":false}}",
        body.join(","),
        required.join(",")
    )
}

/// An array of objects naming one of `names`: none when there are none to
/// name.
fn array_of_objects(items: String, names: &[String], max: usize) -> Option<String> {
    (!names.is_empty())
        .then(|| format!("{{\"type\":\"array\",\"items\":{items},\"maxItems\":{max}}}"))
}

/// The names `v`, owned.
fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// A plan's limit: a "top N" takes a number the question writes (`limits`,
/// none when it writes none); the whole schema (no question) any.
fn limit(limits: Option<&[u32]>) -> Option<String> {
    match limits {
        None => Some("{\"type\":\"integer\",\"minimum\":0}".to_owned()),
        Some([]) => None,
        Some(n) => {
            let n: Vec<String> = n.iter().map(u32::to_string).collect();
            Some(format!("{{\"enum\":[{}]}}", n.join(",")))
        }
    }
}

/// An array of names; none when there are none to choose.
fn array_of(names: &[String], max: usize) -> Option<String> {
    (!names.is_empty()).then(|| {
        format!(
            "{{\"type\":\"array\",\"items\":{},\"maxItems\":{max}}}",
            one_of(names)
        )
    })
}

/// A worked plan on one line, every field in the schema's order, as the
/// model is to write it (checked when the definitions were bound).
fn compact(plan: &str) -> String {
    super::plan::read(plan).map_or_else(|_| plan.trim().to_owned(), |p| p.to_json())
}
