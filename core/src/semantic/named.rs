//! What a question names, read from its words before the model is asked:
//! the dimensions and segments whose synonyms, label or name it uses, the
//! category values it holds, and whether it names a period, a time grain
//! or someone by name. The plan's schema then offers only those
//! ([`Offer`]), so a plan cannot cut, filter or narrow by what the question
//! never said: the mistakes a small model made most (a cut by client on
//! "what's our MRR today", a period nobody named, a segment added to fill
//! the field). Measures and entities stay all offered: choosing among them
//! is the model's work.
//!
//! Words are compared folded and cut to a stem ([`crate::learn::text`]),
//! one the prefix of the other from four letters on ("signé" and "signed",
//! "encaissé" and "encaissements"), so the company's synonyms catch the
//! usual forms of a word in both languages without a stemmer per language.

use std::collections::{BTreeMap, BTreeSet};

use super::Definitions;
use super::model::{DimensionType, Words};

/// What a question's words point at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// Dimensions a word of the question names: a synonym, the label or
    /// the name.
    pub dimensions: BTreeSet<String>,
    /// Category dimensions whose values the question holds, with the
    /// values as the data writes them.
    pub values: BTreeMap<String, Vec<String>>,
    /// Segments a word of the question names.
    pub segments: BTreeSet<String>,
    /// A date or a period: a year, a month's name, "this year", "last
    /// month", "since the start of the year".
    pub period: bool,
    /// A time grain rows are cut by: "each month", "per year", "month by
    /// month".
    pub grain: bool,
    /// Something named that no definition explains: a capitalised word
    /// (someone, a company) or a quoted text (a word searched for).
    pub proper: bool,
}

/// The names a plan for one question may use, field by field; measures
/// and entities are always all offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// What an aggregate is cut by, or a list shows.
    pub cuts: Vec<String>,
    /// What is compared with values.
    pub filters: Vec<String>,
    pub segments: Vec<String>,
}

impl Offer {
    /// Every name of its kind: the schema a plan is held to when nothing
    /// of the question is known (`pstral semantic show --schema`).
    pub fn all(d: &Definitions) -> Self {
        let dimensions: Vec<String> = d.dimensions.keys().cloned().collect();
        Self {
            cuts: dimensions.clone(),
            filters: dimensions,
            segments: d.segments.keys().cloned().collect(),
        }
    }

    /// What `named` lets a plan use.
    ///
    /// A dimension is cut by (or shown) when the question names it, and a
    /// date also when it names a grain. It is compared with values when
    /// the question holds one of its values, when it is a date and the
    /// question names a period, a number or a date the question names, or
    /// a text and the question names someone or something no definition
    /// explains. A segment is used when the question names it.
    pub fn of(d: &Definitions, named: &Named) -> Self {
        let mut cuts = Vec::new();
        let mut filters = Vec::new();
        for (name, x) in &d.dimensions {
            let said = named.dimensions.contains(name);
            let time = x.kind == DimensionType::Time;
            if said || (time && named.grain) {
                cuts.push(name.clone());
            }
            let compared = named.values.contains_key(name)
                || (time && named.period)
                || (said && matches!(x.kind, DimensionType::Number | DimensionType::Time))
                || (x.kind == DimensionType::Text && named.proper);
            if compared {
                filters.push(name.clone());
            }
        }
        Self {
            cuts,
            filters,
            segments: named.segments.iter().cloned().collect(),
        }
    }
}

/// The folded, stemmed words of a phrase that must all be in a question
/// for the phrase to be said: its words of meaning of at least two letters.
fn phrase(text: &str) -> Vec<String> {
    crate::learn::text::terms(text)
}

/// Whether a question's word and a definition's word are the same word:
/// equal, one the other with an "s", or one the start of the other from
/// four letters on.
fn same(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long
        || long.strip_suffix('s') == Some(short)
        || (short.chars().count() >= 4 && long.starts_with(short))
}

/// Whether every word of `phrase` is among `words`.
fn says(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && phrase.iter().all(|p| words.iter().any(|w| same(w, p)))
}

/// The phrases that name a definition: its synonyms, its label in both
/// languages and its name, its parts as words.
fn names_of<'a>(name: &'a str, label: &'a Words, synonyms: &'a [String]) -> Vec<String> {
    let mut all: Vec<String> = synonyms.to_vec();
    all.push(label.en.clone());
    all.push(label.fr.clone());
    all.push(name.replace('_', " "));
    all
}

/// Month names in both languages, folded ("may" left out: it is a verb
/// more often than a month in a question).
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
];

/// Spans of time a period or a grain is counted in, folded.
const SPANS: &[&str] = &[
    "day",
    "days",
    "jour",
    "jours",
    "week",
    "weeks",
    "semaine",
    "semaines",
    "month",
    "months",
    "mois",
    "quarter",
    "quarters",
    "trimestre",
    "trimestres",
    "year",
    "years",
    "annee",
    "annees",
];

/// Words that make a span a period ("this year", "le mois prochain").
const RELATIVE: &[&str] = &[
    "this",
    "last",
    "next",
    "previous",
    "past",
    "current",
    "start",
    "beginning",
    "cette",
    "ce",
    "dernier",
    "derniere",
    "derniers",
    "dernieres",
    "prochain",
    "prochaine",
    "precedent",
    "precedente",
    "debut",
    "courant",
    "cours",
];

/// Words that make a span a grain ("each month", "par trimestre").
const EACH: &[&str] = &[
    "each", "every", "per", "by", "chaque", "par", "selon", "tous", "toutes",
];

/// Whether some word of `words` within two places of `at`, before or
/// after, is one of `of`.
fn near(words: &[String], at: usize, of: &[&str]) -> bool {
    let from = at.saturating_sub(2);
    let to = (at + 3).min(words.len());
    (from..to).any(|i| i != at && of.contains(&words[i].as_str()))
}

impl Definitions {
    /// What `question` names of these definitions; `values`, the values the
    /// data holds for each category dimension.
    pub fn named(&self, question: &str, values: &BTreeMap<String, Vec<String>>) -> Named {
        let words = phrase(question);
        let plain: Vec<String> = crate::learn::text::fold(question)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let mut named = Named::default();
        // Every word some definition or value uses: what is left
        // capitalised in the question names something else.
        let mut explained: Vec<String> = Vec::new();
        for (name, x) in &self.dimensions {
            for p in names_of(name, &x.label, &x.synonyms) {
                let p = phrase(&p);
                if says(&words, &p) {
                    named.dimensions.insert(name.clone());
                }
                explained.extend(p);
            }
        }
        for (name, s) in &self.segments {
            for p in names_of(name, &s.label, &s.synonyms) {
                let p = phrase(&p);
                if says(&words, &p) {
                    named.segments.insert(name.clone());
                }
                explained.extend(p);
            }
        }
        for (name, m) in &self.measures {
            for p in names_of(name, &m.label, &m.synonyms) {
                explained.extend(phrase(&p));
            }
        }
        for (name, e) in &self.entities {
            for p in [e.label.en.as_str(), e.label.fr.as_str(), name.as_str()] {
                explained.extend(phrase(p));
            }
        }
        for (dimension, held) in values {
            for value in held {
                let p = phrase(value);
                if says(&words, &p) {
                    named
                        .values
                        .entry(dimension.clone())
                        .or_default()
                        .push(value.clone());
                }
                explained.extend(p);
            }
        }
        named.period = plain.iter().enumerate().any(|(i, w)| {
            let year = w.len() == 4
                && w.chars().all(|c| c.is_ascii_digit())
                && (w.starts_with("19") || w.starts_with("20"));
            year || MONTHS.contains(&w.as_str())
                || (SPANS.contains(&w.as_str()) && near(&plain, i, RELATIVE))
        });
        // "each month", "par trimestre", "month by month": the word of
        // cutting comes before the span ("days late per city" is no grain).
        named.grain = plain.iter().enumerate().any(|(i, w)| {
            let each = plain[i.saturating_sub(2)..i]
                .iter()
                .any(|b| EACH.contains(&b.as_str()));
            (SPANS.contains(&w.as_str()) && each)
                || matches!(w.as_str(), "daily" | "weekly" | "yearly")
        });
        named.proper = proper(question, &explained);
        named
    }
}

/// Whether `question` names something the definitions do not explain: a
/// capitalised word that does not begin a sentence (a name), or a quoted
/// text.
fn proper(question: &str, explained: &[String]) -> bool {
    // A quote opened after a space: "l'année" is no quote.
    let quoted = ['"', '«', '“'].iter().any(|q| question.contains(*q)) || question.contains(" '");
    let unexplained = |w: &str| {
        let month = MONTHS.contains(&crate::learn::text::fold(w).as_str());
        !month
            && !phrase(w)
                .iter()
                .all(|f| explained.iter().any(|e| same(f, e)))
    };
    let named = question.split(['.', '?', '!', ':']).any(|sentence| {
        sentence
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .skip(1)
            .filter(|w| w.chars().count() >= 2)
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .any(unexplained)
    });
    quoted || named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Definitions {
        Definitions::parse(crate::sql::demo::SEMANTIC).expect("the demo's semantic model")
    }

    fn values() -> BTreeMap<String, Vec<String>> {
        let held = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        BTreeMap::from([
            (
                "client_city".to_owned(),
                held(&["Lyon", "Paris", "Marseille"]),
            ),
            ("contact_job_title".to_owned(), held(&["DSI", "DAF"])),
            ("payment_method".to_owned(), held(&["chèque", "virement"])),
        ])
    }

    fn named(question: &str) -> Named {
        demo().named(question, &values())
    }

    #[test]
    fn a_question_that_names_nothing_but_a_measure_offers_no_cut_filter_or_segment() {
        let named = named("What's our MRR today?");
        assert_eq!(named, Named::default());
        let offer = Offer::of(&demo(), &named);
        assert!(offer.cuts.is_empty() && offer.filters.is_empty() && offer.segments.is_empty());
    }

    #[test]
    fn synonyms_values_and_segments_are_found_in_the_forms_people_write_them() {
        let named = named("Combien de clients lyonnais ont des paiements en retard ?");
        assert_eq!(named.values["client_city"], ["Lyon"]);
        assert!(named.segments.contains("late_payment"), "{named:?}");
        let offer = Offer::of(&demo(), &named);
        assert!(offer.filters.contains(&"client_city".to_owned()));
        assert!(!named.period && !named.grain && !named.proper);

        let named =
            self::named("Give me the names and phone numbers of the DSIs at our Paris clients.");
        assert_eq!(named.values["contact_job_title"], ["DSI"]);
        assert_eq!(named.values["client_city"], ["Paris"]);
        assert!(!named.proper, "DSIs and Paris are values: {named:?}");
    }

    #[test]
    fn a_grain_is_a_span_rows_are_cut_by_and_a_period_a_span_named_relative_to_today() {
        let named = named("Combien de contrats a-t-on signés chaque mois cette année ?");
        assert!(named.dimensions.contains("contract_starts_on"), "{named:?}");
        assert!(named.grain && named.period);
        let named = self::named("Month by month in 2025, how much cash did we collect?");
        assert!(named.grain && named.period);
        let named = self::named("Average number of days late per city");
        assert!(named.dimensions.contains("client_city"));
        assert!(!named.grain && !named.period, "{named:?}");
        let named = self::named("Combien d'échéances tombent le mois prochain ?");
        assert!(named.period && !named.grain);
        let offer = Offer::of(&demo(), &named);
        assert!(offer.filters.contains(&"payment_due_on".to_owned()));
        assert!(!offer.cuts.contains(&"contract_starts_on".to_owned()));
    }

    #[test]
    fn someone_named_offers_the_text_dimensions_as_filters_a_new_sentence_does_not() {
        let named = named("Show me the notes Zoé Laurent wrote in 2025, with the client's name.");
        assert!(named.proper && named.period);
        let offer = Offer::of(&demo(), &named);
        assert!(
            offer.filters.contains(&"author_name".to_owned()),
            "{offer:?}"
        );
        let named = self::named("Quels clients ont des impayés ? Du plus gros au plus petit.");
        assert!(!named.proper, "{named:?}");
        assert!(self::named("Which notes mention 'migration'?").proper);
        assert!(!self::named("Combien de clients selon l'année d'arrivée ?").proper);
    }
}
