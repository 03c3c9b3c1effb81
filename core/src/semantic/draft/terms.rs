//! The terms a glossary defines, read for a draft: a **bold** term, the
//! words in parentheses after it, and the columns and values its sentence
//! names in `backticks`. A glossary is prose a person wrote: what is read
//! here is only ever offered for review, on the one definition a sentence
//! names without doubt.

/// A term of the glossary and what its sentence names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// The bold term first, then the words in parentheses after it.
    pub names: Vec<String>,
    pub refs: Vec<Ref>,
    /// How the sentence says the column adds up (`sum`, `avg`), if it does.
    pub adds_up: Option<&'static str>,
    /// The sentence, as written, to show the reviewer.
    pub line: String,
}

/// What a backticked span names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ref {
    /// `column` or `table.column`.
    Column {
        table: Option<String>,
        column: String,
    },
    /// `'value'`.
    Value { value: String },
}

/// The longest term or synonym taken: more is a sentence, not a name.
const MAX_TERM_CHARS: usize = 40;

/// Every sentence of `markdown` that holds a bold term.
pub(crate) fn terms_of(markdown: &str) -> Vec<Term> {
    paragraphs(markdown)
        .iter()
        .flat_map(|p| sentences(p))
        .filter_map(|s| term_of(&s))
        .collect()
}

/// List items and paragraphs, their wrapped lines joined.
fn paragraphs(markdown: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in markdown.lines() {
        let trimmed = line.trim();
        let starts_item = trimmed.starts_with("- ") || trimmed.starts_with("* ");
        if trimmed.is_empty() || trimmed.starts_with('#') {
            open = false;
        } else if starts_item || !open {
            out.push(trimmed.trim_start_matches(['-', '*']).trim().to_owned());
            open = true;
        } else if let Some(last) = out.last_mut() {
            last.push(' ');
            last.push_str(trimmed);
        }
    }
    out
}

/// A paragraph cut after each `. ` that a capital letter, a bold term or
/// code follows, outside backticks.
fn sentences(paragraph: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut code = false;
    let chars: Vec<char> = paragraph.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        if c == '`' {
            code = !code;
        }
        let next = chars.get(i + 2).copied();
        if !code
            && c == '.'
            && chars.get(i + 1) == Some(&' ')
            && next.is_some_and(|n| n.is_uppercase() || n == '*' || n == '`')
        {
            out.push(std::mem::take(&mut current).trim().to_owned());
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

fn term_of(sentence: &str) -> Option<Term> {
    let start = sentence.find("**")?;
    let rest = &sentence[start + 2..];
    let end = rest.find("**")?;
    let term = rest[..end].trim().trim_end_matches(':').trim();
    if !is_a_name(term) {
        return None;
    }
    let mut names = vec![term.to_owned()];
    let after = rest[end + 2..].trim_start();
    if let Some(inside) = after.strip_prefix('(').and_then(|a| a.split(')').next()) {
        names.extend(
            inside
                .split(',')
                .map(str::trim)
                .filter(|w| is_a_name(w))
                .map(str::to_owned),
        );
    }
    let refs = refs_of(sentence);
    if refs.is_empty() {
        return None;
    }
    let words = crate::learn::text::words(sentence);
    let said = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let adds_up = if said(&["sum", "somme"]) {
        Some("sum")
    } else if said(&["average", "moyenne", "mean"]) {
        Some("avg")
    } else {
        None
    };
    Some(Term {
        names,
        refs,
        adds_up,
        line: sentence.to_owned(),
    })
}

/// A term or synonym as a name: short, no code, no rule.
fn is_a_name(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= MAX_TERM_CHARS
        && !text.contains(['`', '=', ':', '*'])
        && !text.chars().any(|c| c.is_ascii_digit())
}

/// The columns and values named in backticks.
fn refs_of(sentence: &str) -> Vec<Ref> {
    let mut refs = Vec::new();
    for (i, span) in sentence.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        // Quoted values first, then the identifiers around them.
        let mut rest = String::new();
        for (j, piece) in span.split('\'').enumerate() {
            if j % 2 == 1 {
                refs.push(Ref::Value {
                    value: piece.to_owned(),
                });
            } else {
                rest.push_str(piece);
                rest.push(' ');
            }
        }
        refs.extend(identifiers(&rest));
    }
    refs.dedup();
    refs
}

/// `table.column` and `column` in SQL, leaving out keywords (written in
/// capitals) and function names (followed by a parenthesis).
fn identifiers(sql: &str) -> Vec<Ref> {
    let mut out = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphabetic() || chars[i] == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_.".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let called = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            let keyword = word.chars().all(|c| !c.is_ascii_lowercase());
            if !called && !keyword {
                let word = word.trim_matches('.');
                out.push(match word.split_once('.') {
                    Some((table, column)) => Ref::Column {
                        table: Some(table.to_owned()),
                        column: column.to_owned(),
                    },
                    None => Ref::Column {
                        table: None,
                        column: word.to_owned(),
                    },
                });
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(column: &str) -> Ref {
        Ref::Column {
            table: None,
            column: column.to_owned(),
        }
    }

    #[test]
    fn a_bold_term_its_synonyms_and_what_its_sentence_names_are_read() {
        let terms = terms_of(
            "## Payments\n\
             - **Grace period: 15 days** after `due_on`. A **late payment** (paiement en\n  \
             retard, impayé) is one with `status = 'impayé'`: not paid. `'payé en retard'` was\n  \
             paid, after the grace period.\n\
             - **Monthly recurring revenue** (MRR, revenu mensuel récurrent): the sum of\n  \
             `monthly_amount` of running contracts.\n\
             - Days late: `julianday(paid_on) - julianday(due_on)` (SQLite).\n",
        );
        assert_eq!(terms.len(), 2, "{terms:#?}");
        assert_eq!(
            terms[0].names,
            ["late payment", "paiement en retard", "impayé"]
        );
        assert_eq!(
            terms[0].refs,
            [
                Ref::Value {
                    value: "impayé".into()
                },
                column("status")
            ]
        );
        assert_eq!(terms[0].adds_up, None);
        assert_eq!(
            terms[1].names,
            [
                "Monthly recurring revenue",
                "MRR",
                "revenu mensuel récurrent"
            ]
        );
        assert_eq!(terms[1].refs, [column("monthly_amount")]);
        assert_eq!(terms[1].adds_up, Some("sum"));
    }

    #[test]
    fn keywords_functions_and_tables_are_told_apart() {
        assert_eq!(
            identifiers("LOWER(email) = x.y AND ends_on IS NULL"),
            [
                column("email"),
                Ref::Column {
                    table: Some("x".into()),
                    column: "y".into()
                },
                column("ends_on")
            ]
        );
    }
}
