//! Words for comparing questions: accent- and case-folded, without the
//! little words of French and English, cut to a common stem.
//!
//! Questions are short and come in two languages, often mixed with the
//! schema's own words. A full stemmer per language would need to know the
//! language of each question first; cutting every folded word to its first
//! six letters is the classic light stemmer for French (Savoy's studies) and
//! works as well for English plurals and derivations, and it maps many
//! cognates together ("contrats" and "contracts" → `contra`, "paiements" and
//! "payments" stay apart, as their stems differ).

use unicode_normalization::UnicodeNormalization;

use crate::i18n::Lang;

/// How many letters of a word are kept.
const STEM: usize = 6;

/// The words of `text` that carry meaning, folded and stemmed, in order
/// (repeats kept: they count).
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .filter(|w| w.chars().count() >= 2 || w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| w.chars().take(STEM).collect())
        .collect()
}

/// Every word of `text`, folded, in order: its runs of letters and digits.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Lower case, without accents (é → e, ç → c, œ → oe), apostrophes as
/// spaces ("l'état" → "l etat").
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            // Combining marks: the accents NFD split off.
            '\u{300}'..='\u{36f}' => {}
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            '\'' | '’' => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The language a question is most likely written in, by its little words;
/// `fallback` when nothing tells.
pub fn language_of(text: &str, fallback: Lang) -> Lang {
    let (mut fr, mut en) = (0, 0);
    for word in words(text) {
        if FRENCH.contains(&word.as_str()) {
            fr += 1;
        }
        if ENGLISH.contains(&word.as_str()) {
            en += 1;
        }
    }
    // Accented letters are a strong hint of French in these questions.
    if text.to_lowercase().chars().any(|c| "éèêàùçôîâ".contains(c)) {
        fr += 2;
    }
    match fr.cmp(&en) {
        std::cmp::Ordering::Greater => Lang::Fr,
        std::cmp::Ordering::Less => Lang::En,
        std::cmp::Ordering::Equal => fallback,
    }
}

/// Little words of both languages, folded: they say nothing about what is
/// asked. Words that do ("sans", "without", "not", "par", "per", "top")
/// are not here.
const STOP_WORDS: &[&str] = &[
    // French
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "et", "ou", "a", "en",
    "dans", "sur", "pour", "que", "qui", "quoi", "quel", "quels", "quelle", "quelles", "est",
    "sont", "ont", "on", "nous", "vous", "je", "il", "ils", "elle", "elles", "ce", "ces", "cet",
    "cette", "se", "s", "y", "me", "moi", "mon", "ma", "mes", "notre", "nos", "votre", "vos",
    "leur", "leurs", "son", "sa", "ses", "avec", "c", "qu", "j", "n", "ne", "pas", "donne",
    "donnez", "montre", "montrez", "affiche", "liste", "listez", "peux", "pouvez", "tu", "t",
    "svp", "stp", "merci", "combien", "y", "il", "quels", "ai", "as", // English
    "the", "a", "an", "of", "to", "in", "on", "at", "for", "and", "or", "is", "are", "was", "were",
    "be", "been", "do", "does", "did", "what", "which", "who", "whom", "how", "many", "much", "me",
    "my", "our", "we", "you", "your", "i", "it", "its", "this", "that", "these", "those", "there",
    "their", "they", "them", "with", "by", "from", "as", "please", "show", "list", "give", "tell",
    "can", "could", "would", "all", "each", "have", "has", "had",
];

/// Words that tell a French question from an English one.
const FRENCH: &[&str] = &[
    "le",
    "la",
    "les",
    "des",
    "du",
    "de",
    "un",
    "une",
    "et",
    "quels",
    "quel",
    "quelle",
    "quelles",
    "combien",
    "sont",
    "est",
    "pour",
    "par",
    "avec",
    "sans",
    "dans",
    "qui",
    "nos",
    "ont",
    "mois",
    "annee",
    "clients",
    "contrats",
    "paiements",
    "retard",
    "chaque",
    "donne",
    "moi",
    "liste",
    "montre",
];
const ENGLISH: &[&str] = &[
    "the",
    "of",
    "and",
    "which",
    "what",
    "how",
    "many",
    "are",
    "is",
    "for",
    "by",
    "with",
    "without",
    "in",
    "who",
    "our",
    "have",
    "has",
    "per",
    "month",
    "year",
    "clients",
    "contracts",
    "payments",
    "late",
    "each",
    "show",
    "list",
    "me",
    "give",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_cut_to_a_stem_and_little_words_go() {
        assert_eq!(
            terms("Quels sont les paiements en retard d'Élodie ?"),
            vec!["paieme", "retard", "elodie"]
        );
        assert_eq!(
            terms("Contracts signed per month"),
            vec!["contra", "signed", "per", "month"]
        );
        assert_eq!(terms("contrats"), terms("CONTRACTS"));
        assert_eq!(terms("cœur"), vec!["coeur"]);
        // Numbers are words too: a year, a top-N.
        assert_eq!(terms("top 5 in 2024"), vec!["top", "5", "2024"]);
    }

    #[test]
    fn a_question_s_language_is_told_by_its_little_words() {
        assert_eq!(
            language_of("Quels clients ont un contrat ?", Lang::En),
            Lang::Fr
        );
        assert_eq!(
            language_of("Which clients have a contract?", Lang::Fr),
            Lang::En
        );
        assert_eq!(language_of("Élodie", Lang::En), Lang::Fr);
        assert_eq!(language_of("MRR", Lang::Fr), Lang::Fr);
    }
}
