//! A target's glossary: the Markdown file an admin writes of business terms,
//! conventions and which table is authoritative for what
//! (`[sql.targets.NAME] instructions_file`), shown in every SQL prompt of
//! that target within its own budget.

use std::path::{Path, PathBuf};

use std::collections::{HashMap, HashSet};

use super::text::terms;
use crate::llm::tokens_of;

/// A glossary, read and fitted to its budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glossary {
    pub path: PathBuf,
    /// What the prompt shows: the file, or as many whole lines of it as fit.
    pub text: String,
    /// The file's size in tokens when it had to be cut.
    pub cut_from: Option<usize>,
}

/// Why a glossary could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    #[error("cannot read the glossary {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Glossary {
    /// Reads the file and keeps the whole lines that fit in `budget_tokens`.
    ///
    /// # Errors
    /// When the file cannot be read (or is not UTF-8).
    pub fn load(path: &Path, budget_tokens: usize) -> Result<Self, GlossaryError> {
        let text = std::fs::read_to_string(path).map_err(|source| GlossaryError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self::fit(path, &text, budget_tokens))
    }

    /// `text` cut at a line boundary to `budget_tokens`.
    pub fn fit(path: &Path, text: &str, budget_tokens: usize) -> Self {
        let text = text.trim();
        let total = tokens_of(text);
        if total <= budget_tokens {
            return Glossary {
                path: path.to_owned(),
                text: text.to_owned(),
                cut_from: None,
            };
        }
        let mut kept = String::new();
        for line in text.lines() {
            if tokens_of(&kept) + tokens_of(line) + 1 > budget_tokens {
                break;
            }
            kept.push_str(line);
            kept.push('\n');
        }
        Glossary {
            path: path.to_owned(),
            text: kept.trim_end().to_owned(),
            cut_from: Some(total),
        }
    }

    /// The entries of the glossary (its bullets, each with the lines that
    /// continue it) that share the most telling words with `question`, at
    /// most `most` of them, in the glossary's order: shown again beside the
    /// question, where a small model reads them last. A word counts by how
    /// few entries hold it (`client` is in most, `impayé` in one), so an
    /// entry must share a word that sets it apart.
    pub fn applying_to(&self, question: &str, most: usize) -> Vec<String> {
        let entries = entries(&self.text);
        if entries.is_empty() || most == 0 {
            return Vec::new();
        }
        let words: Vec<HashSet<String>> = entries
            .iter()
            .map(|e| terms(e).into_iter().collect())
            .collect();
        let mut holding: HashMap<&str, usize> = HashMap::new();
        for set in &words {
            for w in set {
                *holding.entry(w.as_str()).or_default() += 1;
            }
        }
        let asked: HashSet<String> = terms(question).into_iter().collect();
        let n = entries.len() as f32;
        let mut scored: Vec<(usize, f32)> = words
            .iter()
            .enumerate()
            .map(|(i, set)| {
                let score = asked
                    .iter()
                    .filter(|w| set.contains(*w))
                    .map(|w| {
                        let df = holding.get(w.as_str()).copied().unwrap_or(1) as f32;
                        (n / df).ln()
                    })
                    .sum::<f32>();
                (i, score)
            })
            // A word held by a quarter of the entries or more tells nothing.
            .filter(|&(_, score)| score >= 4f32.ln())
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(most);
        scored.sort_by_key(|&(i, _)| i);
        scored
            .into_iter()
            .map(|(i, _)| entries[i].clone())
            .collect()
    }

    /// What an operator should know: that the file was cut, and how much.
    pub fn warning(&self) -> Option<String> {
        self.cut_from.map(|total| {
            format!(
                "the glossary {} has about {total} tokens; only its first {} are shown to the model \
                 (raise sql.instructions_budget or shorten the file)",
                self.path.display(),
                tokens_of(&self.text)
            )
        })
    }
}

/// The bullets of a Markdown text, each with the lines that continue it
/// (not the headings, nor another bullet), trimmed.
fn entries(text: &str) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(bullet) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            entries.push(format!("- {}", bullet.trim()));
            open = true;
        } else if trimmed.is_empty() || trimmed.starts_with('#') {
            open = false;
        } else if open && let Some(last) = entries.last_mut() {
            last.push(' ');
            last.push_str(trimmed);
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entries_that_bear_on_a_question_are_found_by_their_telling_words() {
        let text = "# Terms\n\
            ## Clients\n\
            - A client is a row of clients. Its status:\n  \
              - `prospect`: never signed a contract.\n  \
              - `résilié` (churned, lost client): every contract has ended.\n\
            - The account manager of a client is `account_manager_id`.\n\
            ## Payments\n\
            - A **late payment** (paiement en retard, impayé) is one with\n  \
              `status = 'impayé'`.\n\
            - Amount collected: the sum of `amount` of payments with `paid_on IS NOT NULL`.\n\
            - Monthly recurring revenue (MRR): the sum of `monthly_amount` of running contracts.\n";
        let g = Glossary::fit(Path::new("g.md"), text, 10_000);
        let late =
            "- A **late payment** (paiement en retard, impayé) is one with `status = 'impayé'`.";
        assert_eq!(
            g.applying_to("How many payments are late right now?", 1),
            [late]
        );
        assert_eq!(g.applying_to("Quels paiements sont en retard ?", 1), [late]);
        assert_eq!(
            g.applying_to("What is our MRR?", 3),
            [
                "- Monthly recurring revenue (MRR): the sum of `monthly_amount` of running contracts."
            ]
        );
        // Words many entries hold, or none, bring nothing.
        assert!(g.applying_to("Show the clients", 3).is_empty());
        assert!(g.applying_to("Bonjour !", 3).is_empty());
    }

    #[test]
    fn a_long_glossary_is_cut_at_a_line_and_says_so() {
        let text = "# Terms\n- an active client: status = 'actif'\n- MRR: monthly revenue\n";
        let whole = Glossary::fit(Path::new("g.md"), text, 1000);
        assert_eq!(whole.text, text.trim());
        assert!(whole.warning().is_none());
        let cut = Glossary::fit(Path::new("g.md"), text, 12);
        assert_eq!(cut.text, "# Terms\n- an active client: status = 'actif'");
        assert!(
            cut.warning().unwrap().contains("g.md has about 17 tokens"),
            "{:?}",
            cut.warning()
        );
    }
}
