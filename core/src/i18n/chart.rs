//! What a chart says in words, in English beside French: its description
//! for whoever cannot see the image, why it was chosen (or why none was),
//! and numbers as each language writes them (`1,234.5`, `1 234,5`).

use super::Lang;
use crate::chart::{Chart, Kind, NoChart, Rule, XAxis};

/// `value` as `lang` writes a number: thousands grouped, a few decimals.
pub fn number(value: f64, lang: Lang) -> String {
    let magnitude = value.abs();
    let decimals = if value.fract() == 0.0 || magnitude >= 100_000.0 {
        0
    } else if magnitude >= 1.0 {
        2
    } else {
        3
    };
    let text = format!("{magnitude:.decimals$}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    let (thousands, point) = match lang {
        Lang::En => (',', '.'),
        // A no-break space, so that a number is never cut at the line's end.
        Lang::Fr => ('\u{a0}', ','),
    };
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(digit);
    }
    let zero = grouped.chars().all(|c| c == '0') && fraction.is_empty();
    let sign = if value < 0.0 && !zero { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

/// The chart in a sentence: its kind, what it shows by what, how many
/// points, where the first series is highest, and why it was chosen.
pub fn description(chart: &Chart, lang: Lang) -> String {
    // Names and labels shortened as on the image: the description is read
    // out, and platforms bound it (Discord: 1,024 characters).
    let short = |s: &str| {
        if s.chars().count() <= SHORT {
            s.to_owned()
        } else {
            format!("{}…", s.chars().take(SHORT - 1).collect::<String>())
        }
    };
    let names: Vec<String> = chart.series.iter().map(|s| short(&s.name)).collect();
    let shown = match lang {
        Lang::En => names.join(" and "),
        Lang::Fr => names.join(" et "),
    };
    let by = &short(&chart.x_name);
    let n = chart.series.first().map_or(0, |s| s.values.len());
    let at = |i: usize| match &chart.x {
        XAxis::Time { at, unit } => crate::chart::written(at[i], *unit),
        XAxis::Labels(labels) => short(&labels[i]),
    };
    let highest = chart.series.first().and_then(|s| {
        s.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, (*v)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, v)| (at(i), number(v, lang)))
    });
    let (first, last) = (at(0), at(n.saturating_sub(1)));
    let mut text = match (lang, chart.kind) {
        (Lang::En, Kind::Line) => {
            format!("Line chart of {shown} by {by}, {n} points from {first} to {last}")
        }
        (Lang::Fr, Kind::Line) => {
            format!("Graphique en courbe de {shown} par {by}, {n} points de {first} à {last}")
        }
        (Lang::En, Kind::Bar) => format!("Bar chart of {shown} by {by}, {n} bars"),
        (Lang::Fr, Kind::Bar) => format!("Graphique en barres de {shown} par {by}, {n} barres"),
        (Lang::En, Kind::HorizontalBar) => {
            format!("Horizontal bar chart of {shown} by {by}, {n} bars")
        }
        (Lang::Fr, Kind::HorizontalBar) => {
            format!("Graphique en barres horizontales de {shown} par {by}, {n} barres")
        }
    };
    if let (Some((label, value)), Some(series)) = (highest, names.first()) {
        text.push_str(&match lang {
            Lang::En => format!("; {series} is highest at {label} ({value})."),
            Lang::Fr => format!(" ; {series} est au plus haut pour {label} ({value})."),
        });
    } else {
        text.push('.');
    }
    // Why this chart, in the same words as the rule that chose it.
    text.push_str(&match lang {
        Lang::En => format!(" Drawn as {}.", why(chart.rule, lang)),
        Lang::Fr => format!(" Dessiné en {}.", why(chart.rule, lang)),
    });
    text
}

/// The longest name or label a description quotes whole.
const SHORT: usize = 24;

/// Why this chart: the rule that chose it.
pub fn why(rule: Rule, lang: Lang) -> String {
    match (lang, rule) {
        (Lang::En, Rule::OverTime) => {
            "a line, for one date or time column and one to three numbers".to_owned()
        }
        (Lang::Fr, Rule::OverTime) => {
            "courbe, pour une colonne de dates ou d'heures et un à trois nombres".to_owned()
        }
        (Lang::En, Rule::ByLabel) => format!(
            "bars in the query's order, for one text column of at most {} labels (one row \
             each) and one to three numbers",
            crate::chart::MAX_LABELS
        ),
        (Lang::Fr, Rule::ByLabel) => format!(
            "barres dans l'ordre de la requête, pour une colonne de texte d'au plus {} \
             libellés (une ligne chacun) et un à trois nombres",
            crate::chart::MAX_LABELS
        ),
        (Lang::En, Rule::SharesOfAWhole) => format!(
            "bars, for a single number in at most {} parts (shares of a whole: lengths compare \
             better than a pie's angles)",
            crate::chart::MAX_PARTS
        ),
        (Lang::Fr, Rule::SharesOfAWhole) => format!(
            "barres, pour un seul nombre en au plus {} parts (les parts d'un tout : des \
             longueurs se comparent mieux que les angles d'un camembert)",
            crate::chart::MAX_PARTS
        ),
    }
}

/// Why no chart: the rule that said none.
pub fn why_none(none: NoChart, lang: Lang) -> String {
    match (lang, none) {
        (Lang::En, NoChart::NoRows) => "the result has no rows".to_owned(),
        (Lang::Fr, NoChart::NoRows) => "le résultat n'a aucune ligne".to_owned(),
        (Lang::En, NoChart::SingleValue) => "the result is a single value".to_owned(),
        (Lang::Fr, NoChart::SingleValue) => "le résultat est une seule valeur".to_owned(),
        (Lang::En, NoChart::NoNumber) => "the result has no numeric column".to_owned(),
        (Lang::Fr, NoChart::NoNumber) => "le résultat n'a aucune colonne numérique".to_owned(),
        (Lang::En, NoChart::NoLabel) => {
            "the numbers have no date or text column to be read by".to_owned()
        }
        (Lang::Fr, NoChart::NoLabel) => {
            "les nombres n'ont ni colonne de dates ni colonne de texte pour les lire".to_owned()
        }
        (Lang::En, NoChart::TooWide { columns }) => format!(
            "{columns} columns are more than a chart shows (one date or text column and one \
             to three numbers)"
        ),
        (Lang::Fr, NoChart::TooWide { columns }) => format!(
            "{columns} colonnes, c'est plus qu'un graphique n'en montre (une colonne de dates \
             ou de texte et un à trois nombres)"
        ),
        (Lang::En, NoChart::TooManyLabels { labels }) => format!(
            "{labels} labels are more than {} bars",
            crate::chart::MAX_LABELS
        ),
        (Lang::Fr, NoChart::TooManyLabels { labels }) => format!(
            "{labels} libellés, c'est plus que {} barres",
            crate::chart::MAX_LABELS
        ),
        (Lang::En, NoChart::RepeatedLabels) => {
            "a label is on several rows, so the rows are not one value per label".to_owned()
        }
        (Lang::Fr, NoChart::RepeatedLabels) => {
            "un libellé est sur plusieurs lignes : les lignes ne sont pas une valeur par \
             libellé"
                .to_owned()
        }
        (Lang::En, NoChart::TooLong { rows }) => format!(
            "{rows} rows are more than the {} a chart is drawn from",
            number(crate::chart::MAX_POINTS as f64, Lang::En)
        ),
        (Lang::En, NoChart::Cut { rows }) => format!(
            "the result was cut at {rows} rows, and a chart of part of it would show it as the \
             whole"
        ),
        (Lang::Fr, NoChart::Cut { rows }) => format!(
            "le résultat a été coupé à {rows} lignes, et un graphique d'une partie le montrerait \
             comme le tout"
        ),
        (Lang::En, NoChart::OutOfScale) => "the numbers are too large to scale".to_owned(),
        (Lang::Fr, NoChart::OutOfScale) => {
            "les nombres sont trop grands pour une échelle".to_owned()
        }
        (Lang::En, NoChart::Undrawn) => "the chart could not be drawn".to_owned(),
        (Lang::Fr, NoChart::Undrawn) => "le graphique n'a pas pu être dessiné".to_owned(),
        (Lang::Fr, NoChart::TooLong { rows }) => format!(
            "{rows} lignes, c'est plus que les {} dont un graphique est tiré",
            number(crate::chart::MAX_POINTS as f64, Lang::Fr)
        ),
    }
}
