//! How the bot read a question it compiled through the semantic model,
//! in words: what is measured or listed, by what, for which rows, in which
//! order. Built from the company's definitions, never by the model, so
//! that a person sees a wrong reading before they click.

use super::{Doubted, Lang};

/// A reading, in the definitions' own words (their labels and
/// descriptions in the conversation's language).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// What is measured ("MRR (sum of …)"), or listed ("clients").
    pub what: Vec<String>,
    /// A list of rows, not measures.
    pub list: bool,
    /// What it is cut by (a list: the columns shown), with the grain of a
    /// date ("month").
    pub by: Vec<(String, Option<Grain>)>,
    pub conditions: Vec<Condition>,
    /// (label, descending)
    pub order: Vec<(String, bool)>,
    /// 0: every row.
    pub limit: u32,
    /// Each measure as a share of its whole.
    pub share: bool,
    /// Values written otherwise than the data holds them: (written, held).
    pub corrected: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// A condition on the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// A segment's label ("late payment").
    Segment(String),
    /// None of a segment or entity.
    Without(String),
    /// A dimension's label, an operator as the plan writes it (`=`,
    /// `between`, `contains`…), the values.
    Filter {
        label: String,
        op: &'static str,
        values: Vec<String>,
    },
    Compare {
        left: String,
        op: &'static str,
        right: String,
    },
    /// A measure's label, an operator, a number.
    Having {
        label: String,
        op: &'static str,
        value: String,
    },
}

/// A grain in words.
pub(super) fn grain(lang: Lang, g: Grain) -> &'static str {
    match (lang, g) {
        (Lang::En, Grain::Day) => "day",
        (Lang::En, Grain::Week) => "week",
        (Lang::En, Grain::Month) => "month",
        (Lang::En, Grain::Quarter) => "quarter",
        (Lang::En, Grain::Year) => "year",
        (Lang::Fr, Grain::Day) => "jour",
        (Lang::Fr, Grain::Week) => "semaine",
        (Lang::Fr, Grain::Month) => "mois",
        (Lang::Fr, Grain::Quarter) => "trimestre",
        (Lang::Fr, Grain::Year) => "année",
    }
}

fn op(lang: Lang, op: &str) -> &str {
    match (lang, op) {
        (Lang::En, "=") => "is",
        (Lang::Fr, "=") => "est",
        (Lang::En, "!=") => "is not",
        (Lang::Fr, "!=") => "n'est pas",
        (Lang::En, "in") => "is one of",
        (Lang::Fr, "in") => "est parmi",
        (Lang::En, "contains") => "contains",
        (Lang::Fr, "contains") => "contient",
        (_, other) => other,
    }
}

fn condition(lang: Lang, c: &Condition) -> String {
    match (lang, c) {
        (_, Condition::Segment(label)) => label.clone(),
        (Lang::En, Condition::Without(label)) => format!("without {label}"),
        (Lang::Fr, Condition::Without(label)) => format!("sans {label}"),
        (
            Lang::En,
            Condition::Filter {
                label,
                op: "between",
                values,
            },
        ) if values.len() == 2 => {
            format!("{label} from {} to {}", values[0], values[1])
        }
        (
            Lang::Fr,
            Condition::Filter {
                label,
                op: "between",
                values,
            },
        ) if values.len() == 2 => {
            format!("{label} du {} au {}", values[0], values[1])
        }
        (
            _,
            Condition::Filter {
                label,
                op: o,
                values,
            },
        ) => {
            format!("{label} {} {}", op(lang, o), values.join(", "))
        }
        (_, Condition::Compare { left, op: o, right }) => {
            format!("{left} {} {right}", op(lang, o))
        }
        (
            _,
            Condition::Having {
                label,
                op: o,
                value,
            },
        ) => {
            format!("{label} {} {value}", op(lang, o))
        }
    }
}

impl Reading {
    /// The reading as one sentence in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let (by, for_, and, first, descending, ascending, share, read_as) = match lang {
            Lang::En => (
                "by",
                "for",
                "and",
                "the first",
                "largest first",
                "smallest first",
                "as a share of the whole (%)",
                "read as",
            ),
            Lang::Fr => (
                "par",
                "pour",
                "et",
                "les",
                "du plus grand au plus petit",
                "du plus petit au plus grand",
                "en part du total (%)",
                "écrit",
            ),
        };
        let mut text = self.what.join(&format!(" {and} "));
        if !self.by.is_empty() {
            let cuts: Vec<String> = self
                .by
                .iter()
                .map(|(label, g)| match g {
                    Some(g) => format!("{label} ({})", grain(lang, *g)),
                    None => label.clone(),
                })
                .collect();
            let word = if self.list {
                match lang {
                    Lang::En => "with",
                    Lang::Fr => "avec",
                }
            } else {
                by
            };
            text.push_str(&format!(" {word} {}", cuts.join(", ")));
        }
        if self.share {
            text.push_str(&format!(" {share}"));
        }
        if !self.conditions.is_empty() {
            let conditions: Vec<String> =
                self.conditions.iter().map(|c| condition(lang, c)).collect();
            text.push_str(&format!(", {for_} {}", conditions.join("; ")));
        }
        for (label, desc) in &self.order {
            text.push_str(&format!(
                "; {label}: {}",
                if *desc { descending } else { ascending }
            ));
        }
        if self.limit > 0 {
            match lang {
                Lang::En => text.push_str(&format!("; {first} {}", self.limit)),
                Lang::Fr => text.push_str(&format!("; {first} {} premiers", self.limit)),
            }
        }
        for (written, held) in &self.corrected {
            text.push_str(&format!(" ({written:?} {read_as} {held:?})"));
        }
        text
    }
}

/// Why the bot doubts its reading, in a few words.
pub(super) fn doubted(lang: Lang, why: &Doubted<'_>) -> String {
    let grain = |g: &super::reading::Grain| super::reading::grain(lang, *g);
    match (lang, why) {
        (Lang::En, Doubted::Split) => "the readings I drew disagree".to_owned(),
        (Lang::Fr, Doubted::Split) => "les lectures que j'ai tirées divergent".to_owned(),
        (Lang::En, Doubted::LeftOutValue(v) | Doubted::LeftOutSegment(v)) => {
            format!("you named “{v}”, and my reading does not use it")
        }
        (Lang::Fr, Doubted::LeftOutValue(v) | Doubted::LeftOutSegment(v)) => {
            format!("vous avez nommé « {v} », et ma lecture ne s'en sert pas")
        }
        (Lang::En, Doubted::LeftOutPeriod) => {
            "you named a period, and my reading keeps every date".to_owned()
        }
        (Lang::Fr, Doubted::LeftOutPeriod) => {
            "vous avez nommé une période, et ma lecture garde toutes les dates".to_owned()
        }
        (Lang::En, Doubted::LeftOutGrain(g)) => {
            format!(
                "you asked by {}, and my reading does not cut by it",
                grain(g)
            )
        }
        (Lang::Fr, Doubted::LeftOutGrain(g)) => {
            format!(
                "vous avez demandé par {}, et ma lecture ne découpe pas ainsi",
                grain(g)
            )
        }
        (Lang::En, Doubted::LeftOutNumber(n)) => {
            format!("you wrote {n}, and my reading does not use it")
        }
        (Lang::Fr, Doubted::LeftOutNumber(n)) => {
            format!("vous avez écrit {n}, et ma lecture ne s'en sert pas")
        }
        (Lang::En, Doubted::LeftOutShare) => {
            "you asked for a share, and my reading gives none".to_owned()
        }
        (Lang::Fr, Doubted::LeftOutShare) => {
            "vous avez demandé une part, et ma lecture n'en donne pas".to_owned()
        }
        (Lang::En, Doubted::UnsaidFilter(l)) => {
            format!("you named no {l}, and my reading filters on it")
        }
        (Lang::Fr, Doubted::UnsaidFilter(l)) => {
            format!("vous n'avez nommé aucun(e) {l}, et ma lecture filtre dessus")
        }
        (Lang::En, Doubted::UnsaidSegment(l)) => {
            format!("you did not say “{l}”, and my reading keeps only those")
        }
        (Lang::Fr, Doubted::UnsaidSegment(l)) => {
            format!("vous n'avez pas dit « {l} », et ma lecture ne garde que ceux-là")
        }
        (Lang::En, Doubted::UnsaidMeasure(l)) => {
            format!("you did not ask for {l}, and my reading adds it")
        }
        (Lang::Fr, Doubted::UnsaidMeasure(l)) => {
            format!("vous n'avez pas demandé {l}, et ma lecture l'ajoute")
        }
        (Lang::En, Doubted::Unsure) => "the model hesitated over a choice in it".to_owned(),
        (Lang::Fr, Doubted::Unsure) => "le modèle a hésité sur un choix de sa lecture".to_owned(),
        (Lang::En, Doubted::Repaired) => "my first plan for it did not hold".to_owned(),
        (Lang::Fr, Doubted::Repaired) => "mon premier plan ne tenait pas".to_owned(),
        (Lang::En, Doubted::Tries { of }) => {
            format!("my {of} tries at a query do not agree")
        }
        (Lang::Fr, Doubted::Tries { of }) => {
            format!("mes {of} essais de requête ne s'accordent pas")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_says_what_by_what_and_for_which_rows_in_both_languages() {
        let reading = Reading {
            what: vec!["MRR (sum of the monthly amounts of running contracts)".into()],
            by: vec![("city".into(), None)],
            conditions: vec![Condition::Filter {
                label: "city".into(),
                op: "=",
                values: vec!["Lyon".into()],
            }],
            corrected: vec![("lyon".into(), "Lyon".into())],
            ..Reading::default()
        };
        assert_eq!(
            reading.render(Lang::En),
            "MRR (sum of the monthly amounts of running contracts) by city, for city is Lyon \
             (\"lyon\" read as \"Lyon\")"
        );
        assert!(
            reading
                .render(Lang::Fr)
                .contains(" par city, pour city est Lyon")
        );
    }
}
