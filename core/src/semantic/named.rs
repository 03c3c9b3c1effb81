//! What a question names, read from its words before the model is asked:
//! the dimensions and segments whose synonyms, label or name it uses, the
//! category values it holds, the rows it counts, the period and the time
//! grain it names, the numbers it writes, whether it asks for a share, a
//! negation, rows rather than numbers, or someone by name. The plan's
//! schema then offers only what that allows ([`Offer`]): a plan cannot
//! cut, filter, narrow, bound or rank by what the question never said,
//! the mistakes a small model made most (a cut by client on "what's our
//! MRR today", a period nobody named, a segment added to fill the field,
//! a "top 1" nobody asked). A question for rows and no number gets a list
//! of the rows it names; otherwise measures and entities stay all offered:
//! choosing among them is the model's work. What the bot can read surely
//! it does not leave to the model: the days of the period named
//! ([`Named::date`]).
//!
//! Words are compared folded and cut to a stem ([`crate::learn::text`]),
//! one the prefix of the other from four letters on ("signé" and "signed",
//! "encaissé" and "encaissements"), so the company's synonyms catch the
//! usual forms of a word in both languages without a stemmer per language.
//! The price of a stem: "collected" and "collections" meet.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate};

use super::Definitions;
use super::model::{DimensionType, Words};
use super::plan::{Grain, Kind, Op, Plan};

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
    /// Measures a word of the question names (a follow-up that asks for
    /// "the revenue" instead names one).
    pub measures: BTreeSet<String>,
    /// A date or a period: a year, a month's name, "this year", "last
    /// month", "since the start of the year".
    pub period: bool,
    /// The days of that period, first and last, when the question names
    /// one period the bot can read: what a plan's date filters then hold,
    /// whatever dates the model wrote ([`Named::date`]).
    pub dates: Option<(NaiveDate, NaiveDate)>,
    /// The time grain rows are cut by: "each month", "per year", "month by
    /// month".
    pub grain: Option<Grain>,
    /// The whole numbers the question writes, beside years and days of
    /// dates: what a "top N" or a bound ("more than 3") may take.
    pub numbers: Vec<u32>,
    /// It asks for a share ("what share", "en %", "taux").
    pub share: bool,
    /// It says "never", "no", "without", "aucun", "sans", "n'ont".
    pub negated: bool,
    /// It asks for rows ("which", "quels", "liste", "show me") and for no
    /// number: no count, sum, average, share, ranking, cut or N.
    pub listing: bool,
    /// It asks for a number over rows ("how many", "combien", "total",
    /// "average"): after a list, a follow-up that does asks for a number.
    pub numbered: bool,
    /// Entities the question counts ("how many clients", "combien de
    /// contrats"): their rows are the measure, not a cut.
    pub counted: BTreeSet<String>,
    /// Entities whose rows it asks for ("quels clients", "list the late
    /// payments", "give me the contacts").
    pub listed: BTreeSet<String>,
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
    /// What rows are ordered by, beside every measure: dates and numbers
    /// offered, never a category or a name (a ranking is by its measure).
    pub order: Vec<String>,
    /// The grains a date is cut by: none, and the one the question names.
    pub grains: Vec<Grain>,
    /// The first N rows a plan may keep: the numbers the question writes
    /// (with none, every row); `None`: any number.
    pub limits: Option<Vec<u32>>,
    /// Whether a plan may bound a measure ("having"): only with a number.
    pub having: bool,
    /// Whether a plan may give a share: only when one is asked.
    pub share: bool,
    /// Whether a plan may ask for rows with none of another ("without"):
    /// only when the question negates.
    pub without: bool,
    /// The kinds of plan offered: a list only, when the question asks for
    /// rows and no number.
    pub kinds: Vec<Kind>,
    /// The entities a list may be of: those the question asks rows of,
    /// when it asks for rows only; `None`: any.
    pub entities: Option<Vec<String>>,
}

impl Offer {
    /// Every name of its kind: the schema a plan is held to when nothing
    /// of the question is known (`pstral semantic show --schema`).
    pub fn all(d: &Definitions) -> Self {
        let dimensions: Vec<String> = d.dimensions.keys().cloned().collect();
        Self {
            cuts: dimensions.clone(),
            filters: dimensions.clone(),
            segments: d.segments.keys().cloned().collect(),
            order: dimensions,
            grains: Grain::ALL.to_vec(),
            limits: None,
            having: true,
            share: true,
            without: true,
            kinds: vec![Kind::Aggregate, Kind::List, Kind::None],
            entities: None,
        }
    }

    /// What `named` lets a plan use.
    ///
    /// A dimension is cut by (or shown) when the question names it, but
    /// not the names of rows it counts ("how many clients" is no cut by
    /// client), and a date also when it names a grain. It is compared with
    /// values when the question holds one of its values, when it is a date
    /// and the question names a period, a number or a date the question
    /// names, or a text and the question names someone or something no
    /// definition explains. A period or a grain goes to the dates the
    /// question names, to any date when it names none. A segment is used
    /// when the question names it.
    pub fn of(d: &Definitions, named: &Named) -> Self {
        let counted: BTreeSet<&String> = named
            .counted
            .iter()
            .filter_map(|e| d.entities.get(e))
            .flat_map(|e| &e.shown)
            .collect();
        // A period or a grain applies to the dates the question names
        // ("signed", "encaissé"), to every date when it names none.
        let dated = d
            .dimensions
            .iter()
            .any(|(n, x)| x.kind == DimensionType::Time && named.dimensions.contains(n));
        let (mut cuts, mut filters, mut order) = (Vec::new(), Vec::new(), Vec::new());
        for (name, x) in &d.dimensions {
            let said = named.dimensions.contains(name);
            let time = x.kind == DimensionType::Time && (said || !dated);
            let ordinal = matches!(x.kind, DimensionType::Number | DimensionType::Time);
            let cut = (said && !counted.contains(name)) || (time && named.grain.is_some());
            if cut {
                cuts.push(name.clone());
            }
            if ordinal && (cut || said) {
                order.push(name.clone());
            }
            let compared = named.values.contains_key(name)
                || (time && named.period)
                || (said && ordinal)
                || (x.kind == DimensionType::Text && named.proper);
            if compared {
                filters.push(name.clone());
            }
        }
        let mut grains = vec![Grain::None];
        grains.extend(named.grain);
        Self {
            cuts,
            filters,
            segments: named.segments.iter().cloned().collect(),
            order,
            grains,
            limits: Some(named.numbers.clone()),
            having: !named.numbers.is_empty(),
            share: named.share,
            without: named.negated,
            kinds: if named.listing {
                vec![Kind::List, Kind::None]
            } else {
                vec![Kind::Aggregate, Kind::List, Kind::None]
            },
            entities: (named.listing && !named.listed.is_empty())
                .then(|| named.listed.iter().cloned().collect()),
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
fn names_of(name: &str, label: &Words, synonyms: &[String]) -> Vec<String> {
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

/// The span of time a folded word names, as a grain.
fn span(word: &str) -> Option<Grain> {
    Some(match word {
        "day" | "days" | "jour" | "jours" => Grain::Day,
        "week" | "weeks" | "semaine" | "semaines" => Grain::Week,
        "month" | "months" | "mois" => Grain::Month,
        "quarter" | "quarters" | "trimestre" | "trimestres" => Grain::Quarter,
        "year" | "years" | "annee" | "annees" => Grain::Year,
        _ => return None,
    })
}

/// A year written out: 1900 to 2099.
fn year(word: &str) -> Option<i32> {
    let y: i32 = word.parse().ok()?;
    (word.len() == 4 && (1900..2100).contains(&y)).then_some(y)
}

/// The month a folded word names, 1 to 12.
fn month(word: &str) -> Option<u32> {
    let i = MONTHS.iter().position(|m| *m == word)?;
    // English then French, each in the calendar's order but for the
    // English "may", left out.
    let n = if i < 11 {
        i + usize::from(i >= 4)
    } else {
        i - 11
    };
    u32::try_from(n + 1).ok()
}

/// Whether all the words of `entity` are among the `within` words of
/// `plain` that follow a place where `ends(i)` says a trigger ends at `i`.
fn follows(
    plain: &[String],
    entity: &[String],
    within: usize,
    ends: impl Fn(usize) -> bool,
) -> bool {
    !entity.is_empty()
        && (0..plain.len()).any(|i| {
            let after: Vec<String> = plain[i + 1..(i + 1 + within).min(plain.len())]
                .iter()
                .flat_map(|w| phrase(w))
                .collect();
            ends(i) && says(&after, entity)
        })
}

/// Whether the words of `entity` come right after a count ("how many",
/// "combien de", "number of"), a word at most between ("new", "actifs").
fn counts(plain: &[String], entity: &[String]) -> bool {
    follows(plain, entity, 2, |i| {
        i > 0
            && matches!(
                (plain[i - 1].as_str(), plain[i].as_str()),
                ("how", "many")
                    | ("combien", "de" | "d")
                    | ("number" | "nombre" | "nb", "of" | "de" | "d")
            )
    })
}

/// Whether the words of `entity` come right after a word asking for rows
/// ("quels clients", "liste des contrats"), two words at most between
/// ("which active clients", "give me the contacts").
fn lists(plain: &[String], entity: &[String]) -> bool {
    follows(plain, entity, 3, |i| LISTING.contains(&plain[i].as_str()))
}

/// Words that ask for rows, folded.
const LISTING: &[&str] = &[
    "which",
    "who",
    "list",
    "show",
    "give",
    "quels",
    "quelles",
    "quel",
    "quelle",
    "qui",
    "liste",
    "donne",
    "montre",
    "affiche",
    "lesquels",
    "lesquelles",
    "lequel",
    "laquelle",
];

/// Words that ask for a number over rows (a count, a sum, an average, a
/// ranking, a cut), folded: a question with one is no plain list.
const NUMBERED: &[&str] = &[
    "many",
    "much",
    "number",
    "count",
    "total",
    "sum",
    "average",
    "mean",
    "amount",
    "most",
    "least",
    "top",
    "rank",
    "ranking",
    "per",
    "by",
    "each",
    "every",
    "biggest",
    "largest",
    "smallest",
    "best",
    "highest",
    "lowest",
    "combien",
    "nombre",
    "nb",
    "somme",
    "moyenne",
    "moyen",
    "montant",
    "plus",
    "moins",
    "classement",
    "par",
    "chaque",
    "repartition",
    "meilleur",
    "meilleurs",
    "mrr",
];

/// Whether `plain` asks for a number over rows (a [`NUMBERED`] word), but
/// for "at least"/"au moins" (one such row) and "by"/"par" before a value
/// the question holds ("par chèque" is a means, not a cut).
fn numbered(plain: &[String], held: &[String]) -> bool {
    plain.iter().enumerate().any(|(i, w)| {
        let before = i.checked_sub(1).map(|j| plain[j].as_str());
        let next = plain.get(i + 1).map(|n| phrase(n)).unwrap_or_default();
        match w.as_str() {
            "least" | "moins" if matches!(before, Some("at" | "au")) => false,
            "by" | "par" | "per" if next.iter().any(|n| held.iter().any(|h| same(n, h))) => false,
            w => NUMBERED.contains(&w),
        }
    })
}

/// Words that ask for a share of a whole, folded.
const SHARE: &[&str] = &[
    "share",
    "percent",
    "percentage",
    "proportion",
    "ratio",
    "rate",
    "part",
    "pourcentage",
    "pourcent",
    "taux",
];

/// Words that negate, folded ("n'ont" folds to "n ont", "don't" to "don t").
const NEGATIONS: &[&str] = &[
    "never", "no", "not", "none", "nothing", "without", "don", "doesn", "didn", "haven", "hasn",
    "hadn", "isn", "aren", "wasn", "weren", "jamais", "aucun", "aucune", "sans", "pas", "ni", "n",
];

/// Numbers written as words, folded, from two: "one" and "un" say "a".
const NUMBERS: &[(&str, u32)] = &[
    ("two", 2),
    ("deux", 2),
    ("three", 3),
    ("trois", 3),
    ("four", 4),
    ("quatre", 4),
    ("five", 5),
    ("cinq", 5),
    ("six", 6),
    ("seven", 7),
    ("sept", 7),
    ("eight", 8),
    ("huit", 8),
    ("nine", 9),
    ("neuf", 9),
    ("ten", 10),
    ("dix", 10),
    ("twenty", 20),
    ("vingt", 20),
];

/// The whole numbers `plain` writes, in order, once each, beside years and
/// the days of dates ("le 1er mai", "August 1st").
fn numbers(plain: &[String]) -> Vec<u32> {
    let mut found = Vec::new();
    for (i, w) in plain.iter().enumerate() {
        let dated = |j: Option<usize>| {
            j.and_then(|j| plain.get(j))
                .is_some_and(|m| month(m).is_some())
        };
        let n = match NUMBERS.iter().find(|(word, _)| word == w) {
            Some((_, n)) => Some(*n),
            None if year(w).is_some() || dated(i.checked_sub(1)) || dated(Some(i + 1)) => None,
            None => day(w)
                .filter(|_| w.chars().all(|c| c.is_ascii_digit()))
                .or_else(|| w.parse::<u32>().ok().filter(|n| *n > 31 && w.len() <= 6)),
        };
        if let Some(n) = n
            && !found.contains(&n)
        {
            found.push(n);
        }
    }
    found
}

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

/// The most words a follow-up that names only a number, a share or rows
/// ("just the top 3", "which ones?") may have.
const SHORT_FOLLOW_UP: usize = 6;

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
    pub fn named(
        &self,
        question: &str,
        values: &BTreeMap<String, Vec<String>>,
        today: NaiveDate,
    ) -> Named {
        let words = phrase(question);
        let plain = crate::learn::text::words(question);
        let mut named = Named::default();
        let explained = self.name_definitions(&mut named, &words, &plain, values);
        named.period = plain.iter().enumerate().any(|(i, w)| {
            year(w).is_some()
                || MONTHS.contains(&w.as_str())
                || (span(w).is_some() && near(&plain, i, RELATIVE))
        });
        named.dates = dates(&plain, today);
        named.period |= named.dates.is_some();
        named.grain = grain(&plain);
        named.numbers = numbers(&plain);
        named.share = question.contains('%') || plain.iter().any(|w| SHARE.contains(&w.as_str()));
        named.negated = plain.iter().any(|w| NEGATIONS.contains(&w.as_str()));
        let held: Vec<String> = named
            .values
            .values()
            .flatten()
            .flat_map(|v| phrase(v))
            .collect();
        named.numbered = numbered(&plain, &held);
        named.listing = plain.iter().any(|w| LISTING.contains(&w.as_str()))
            && !named.numbered
            && !named.share
            && named.numbers.is_empty()
            && named.grain.is_none();
        named.proper = proper(question, &explained);
        named
    }

    /// The definitions and `values` the question's `words` (`plain`, one
    /// by one) name, into `named`; what it gives is every word some
    /// definition or value uses: what is left capitalised in the question
    /// names something else.
    fn name_definitions(
        &self,
        named: &mut Named,
        words: &[String],
        plain: &[String],
        values: &BTreeMap<String, Vec<String>>,
    ) -> Vec<String> {
        let mut explained: Vec<String> = Vec::new();
        // Whether the question says one of a definition's names; its words
        // are explained either way.
        let mut said = |name: &str, label: &Words, synonyms: &[String]| {
            let mut said = false;
            for p in names_of(name, label, synonyms) {
                let p = phrase(&p);
                said |= says(words, &p);
                explained.extend(p);
            }
            said
        };
        for (name, x) in &self.dimensions {
            if said(name, &x.label, &x.synonyms) {
                named.dimensions.insert(name.clone());
            }
        }
        for (name, s) in &self.segments {
            if said(name, &s.label, &s.synonyms) {
                named.segments.insert(name.clone());
            }
        }
        for (name, m) in &self.measures {
            if said(name, &m.label, &m.synonyms) {
                named.measures.insert(name.clone());
            }
        }
        for (name, e) in &self.entities {
            // An entity is named by its label and name, and by the words of
            // what names its rows ("companies" for the clients).
            let mut words_of: Vec<String> = [&e.label.en, &e.label.fr, name]
                .into_iter()
                .cloned()
                .collect();
            for shown in &e.shown {
                if let Some(x) = self.dimensions.get(shown) {
                    words_of.extend(x.synonyms.iter().cloned());
                }
            }
            for p in words_of {
                let p = phrase(&p);
                if counts(plain, &p) {
                    named.counted.insert(name.clone());
                }
                if lists(plain, &p) {
                    named.listed.insert(name.clone());
                }
                explained.extend(p);
            }
        }
        for (dimension, held) in values {
            for value in held {
                let p = phrase(value);
                if says(words, &p) {
                    named
                        .values
                        .entry(dimension.clone())
                        .or_default()
                        .push(value.clone());
                }
                explained.extend(p);
            }
        }
        explained
    }
}

/// The time grain the folded words `plain` cut rows by: "each month", "par
/// trimestre", "month by month"; the word of cutting comes before the span
/// ("days late per city" is no grain).
fn grain(plain: &[String]) -> Option<Grain> {
    plain.iter().enumerate().find_map(|(i, w)| {
        let each = plain[i.saturating_sub(2)..i]
            .iter()
            .any(|b| EACH.contains(&b.as_str()));
        match w.as_str() {
            "daily" => Some(Grain::Day),
            "weekly" => Some(Grain::Week),
            "yearly" => Some(Grain::Year),
            _ if each => span(w),
            _ => None,
        }
    })
}

impl Named {
    /// Whether the question names anything of the definitions or of the
    /// data: a follow-up that names nothing ("thanks", "no thanks", "why?")
    /// is no change to a plan. A number, a share or a request for rows
    /// alone ("just the top 3", "which ones?") counts in a short
    /// question only.
    pub fn names_something(&self, question: &str) -> bool {
        let strong = !self.dimensions.is_empty()
            || !self.values.is_empty()
            || !self.segments.is_empty()
            || !self.measures.is_empty()
            || self.period
            || self.grain.is_some()
            || !self.counted.is_empty()
            || !self.listed.is_empty();
        let weak = !self.numbers.is_empty() || self.share || self.listing || self.numbered;
        strong || (weak && crate::learn::text::words(question).len() <= SHORT_FOLLOW_UP)
    }

    /// Whether the question has no subject of its own (no measure, no rows
    /// it counts or lists): "and in Paris?", "by quarter", "et en 2023 ?".
    /// In a thread, only such a question follows the thread's last plan
    /// without replying to it; one with a subject is a question of its own.
    pub fn elliptic(&self) -> bool {
        self.measures.is_empty() && self.counted.is_empty() && self.listed.is_empty()
    }

    /// What a follow-up (`then`) to a question that named `self` names, the
    /// two read together: what the follow-up names is added, and replaces
    /// what the earlier question said of the same thing (another value of a
    /// dimension: "and in Paris?"; another period: "et en 2024 ?"; another
    /// grain; other numbers: "the top 3 of those"). A follow-up that asks
    /// for rows ("which ones?") after a number asks for rows; one that asks
    /// for a number after rows, for a number.
    pub fn then(&self, then: &Named) -> Named {
        let union = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.union(b).cloned().collect();
        let mut values = self.values.clone();
        for (dimension, held) in &then.values {
            values.insert(dimension.clone(), held.clone());
        }
        let numeric = !then.numbers.is_empty()
            || then.share
            || then.numbered
            || !then.measures.is_empty()
            || then.grain.is_some()
            || !then.counted.is_empty();
        Named {
            dimensions: union(&self.dimensions, &then.dimensions),
            values,
            segments: union(&self.segments, &then.segments),
            measures: union(&self.measures, &then.measures),
            period: self.period || then.period,
            dates: if then.period { then.dates } else { self.dates },
            grain: then.grain.or(self.grain),
            numbers: if then.numbers.is_empty() {
                self.numbers.clone()
            } else {
                then.numbers.clone()
            },
            share: then.share || (self.share && !then.listing),
            negated: self.negated || then.negated,
            listing: then.listing || (self.listing && !numeric),
            numbered: then.numbered || (self.numbered && !then.listing),
            counted: if then.listing {
                BTreeSet::new()
            } else {
                union(&self.counted, &then.counted)
            },
            listed: union(&self.listed, &then.listed),
            proper: self.proper || then.proper,
        }
    }

    /// `plan` with its date filters on the period the question names, when
    /// the bot could read it: a small model writes this month's days for
    /// "in 2025" or "since January". Whether it changed anything.
    /// Whether `plan`'s dates are this question's as the bot reads it
    /// today: it filters by no date, or the bot reads the question's period
    /// (which [`Named::date`] puts in place of the plan's). A plan whose
    /// dates were written for another day ("overdue", "the last 30 days")
    /// is not.
    pub fn dates_hold(&self, plan: &Plan, d: &Definitions) -> bool {
        self.dates.is_some()
            || !plan.filters.iter().any(|f| {
                d.dimensions
                    .get(&f.dimension)
                    .is_some_and(|x| x.kind == DimensionType::Time)
            })
    }

    pub fn date(&self, plan: &mut Plan, d: &Definitions) -> bool {
        let Some((first, last)) = self.dates else {
            return false;
        };
        let values = vec![first.to_string(), last.to_string()];
        let mut changed = false;
        for f in &mut plan.filters {
            let time = d
                .dimensions
                .get(&f.dimension)
                .is_some_and(|x| x.kind == DimensionType::Time);
            if time && (f.op != Op::Between || f.values != values) {
                f.op = Op::Between;
                f.values.clone_from(&values);
                changed = true;
            }
        }
        changed
    }
}

/// The day a folded word gives in a date ("1er", "1st", "15"), 1 to 31.
fn day(word: &str) -> Option<u32> {
    let digits = ["er", "st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .unwrap_or(word);
    let d: u32 = digits.parse().ok()?;
    (digits.len() <= 2 && (1..=31).contains(&d)).then_some(d)
}

/// The first and last days of the `grain` span holding `day`.
fn span_of(grain: Grain, day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let month_start = |d: NaiveDate, months: u32| {
        let m0 = (d.month0() / months) * months;
        NaiveDate::from_ymd_opt(d.year(), m0 + 1, 1).unwrap_or(d)
    };
    let (first, length) = match grain {
        Grain::None | Grain::Day => return (day, day),
        Grain::Week => {
            let monday = day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
            return (monday, monday + chrono::Days::new(6));
        }
        Grain::Month => (month_start(day, 1), 1),
        Grain::Quarter => (month_start(day, 3), 3),
        Grain::Year => (month_start(day, 12), 12),
    };
    let last = first
        .checked_add_months(Months::new(length))
        .and_then(|n| n.pred_opt())
        .unwrap_or(first);
    (first, last)
}

/// The `grain` span `step` spans away from the one holding `today`.
pub(super) fn shifted(grain: Grain, today: NaiveDate, step: i32) -> (NaiveDate, NaiveDate) {
    let months = match grain {
        Grain::None | Grain::Day => {
            let d = today + chrono::TimeDelta::days(i64::from(step));
            return (d, d);
        }
        Grain::Week => {
            let d = today + chrono::TimeDelta::weeks(i64::from(step));
            return span_of(Grain::Week, d);
        }
        Grain::Month => 1,
        Grain::Quarter => 3,
        Grain::Year => 12,
    };
    let by = Months::new(months * step.unsigned_abs());
    let d = if step < 0 {
        today.checked_sub_months(by)
    } else {
        today.checked_add_months(by)
    };
    span_of(grain, d.unwrap_or(today))
}

/// The one period the folded words `plain` name, read as its first and
/// last days: a year ("en 2024"), a month ("October 2025", "en mars"), a
/// day ("le 1er mai 2025"), a span relative to `today` ("next month",
/// "l'année dernière", "this quarter"), each from its start to `today`
/// after "since"/"depuis" or with "so far". `None` when it names none,
/// several, or a bound ("before 2024") that is not a period.
fn dates(plain: &[String], today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let before = |i: usize, of: &[&str]| {
        plain[i.saturating_sub(3)..i]
            .iter()
            .any(|w| of.contains(&w.as_str()))
    };
    let since = |i: usize| before(i, &["since", "depuis", "from", "partir"]);
    let bound = |i: usize| before(i, &["before", "after", "until", "till", "avant", "apres"]);
    let so_far = plain.windows(2).any(|p| {
        matches!(
            (p[0].as_str(), p[1].as_str()),
            ("so", "far") | ("to", "date") | ("jusqu", "ici") | ("ce", "jour")
        )
    }) || plain.iter().any(|w| w == "ytd");
    let mut found: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut i = 0;
    while i < plain.len() {
        let w = plain[i].as_str();
        let read = if let Some(m) = month(w) {
            month_days(plain, i, m, today)
        } else {
            let days = if let Some(y) = year(w) {
                NaiveDate::from_ymd_opt(y, 1, 1).map(|f| span_of(Grain::Year, f))
            } else if let Some(g) = span(w).filter(|g| *g != Grain::Day) {
                relative_days(plain, i, g, today, so_far)
            } else {
                None
            };
            let (start, next) = (i, i + 1);
            DateWords { days, start, next }
        };
        if let Some((first, last)) = read.days {
            if bound(read.start) {
                return None;
            }
            let period = if since(read.start) {
                (first, today)
            } else {
                (first, last)
            };
            if !found.contains(&period) {
                found.push(period);
            }
        }
        i = read.next;
    }
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The days some words of a question name, read at one place of it.
struct DateWords {
    /// The first and last days, when the words name a period.
    days: Option<(NaiveDate, NaiveDate)>,
    /// Where the words begin ("1er" in "le 1er mai").
    start: usize,
    /// The place after them.
    next: usize,
}

/// The days the month `m` named by `plain[i]` gives, with the day before
/// or after it ("1er mai", "May 1st") and a year after it ("mai 2025"),
/// else this year (`today`'s).
fn month_days(plain: &[String], i: usize, m: u32, today: NaiveDate) -> DateWords {
    let (mut start, mut next) = (i, i + 1);
    let mut d = None;
    if i > 0
        && let Some(n) = day(&plain[i - 1])
    {
        d = Some(n);
        start = i - 1;
    } else if let Some(n) = plain.get(i + 1).and_then(|w| day(w)) {
        d = Some(n);
        next = i + 2;
    }
    let y = match plain[next..(next + 2).min(plain.len())]
        .iter()
        .position(|w| year(w).is_some())
    {
        Some(k) => {
            next += k + 1;
            year(&plain[next - 1])
        }
        None => Some(today.year()),
    };
    let days = y.and_then(|y| match d {
        Some(d) => NaiveDate::from_ymd_opt(y, m, d).map(|d| (d, d)),
        None => NaiveDate::from_ymd_opt(y, m, 1).map(|f| span_of(Grain::Month, f)),
    });
    DateWords { days, start, next }
}

/// The days of the span of `g` the words around `plain[i]` place relative
/// to `today` ("next month", "le mois prochain", "cette année"): the
/// current one up to `today` when `so_far` or its start is named.
fn relative_days(
    plain: &[String],
    i: usize,
    g: Grain,
    today: NaiveDate,
    so_far: bool,
) -> Option<(NaiveDate, NaiveDate)> {
    // English puts the word before the span ("next month"), French
    // after it ("le mois prochain") or before ("cette année").
    let ahead = &plain[i.saturating_sub(3)..i];
    let after = &plain[i + 1..(i + 3).min(plain.len())];
    let has = |words: &[String], of: &[&str]| words.iter().any(|w| of.contains(&w.as_str()));
    let step = if has(ahead, &["next"]) || has(after, &["prochain", "prochaine"]) {
        Some(1)
    } else if has(ahead, &["last", "previous"])
        || has(after, &["dernier", "derniere", "precedent", "precedente"])
    {
        Some(-1)
    } else if has(
        ahead,
        &[
            "this",
            "current",
            "ce",
            "cette",
            "debut",
            "start",
            "beginning",
        ],
    ) || has(after, &["courant", "cours"])
    {
        Some(0)
    } else {
        None
    };
    step.map(|step| {
        let (first, last) = shifted(g, today, step);
        let started = has(ahead, &["debut", "start", "beginning"]);
        if step == 0 && (so_far || started) {
            (first, today)
        } else {
            (first, last)
        }
    })
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
mod tests;
