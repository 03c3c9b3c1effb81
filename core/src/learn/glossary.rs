//! A target's glossary: the Markdown file an admin writes of business terms,
//! conventions and which table is authoritative for what
//! (`[sql.targets.NAME] instructions_file`), shown in every SQL prompt of
//! that target within its own budget.

use std::path::{Path, PathBuf};

use super::retrieve::tokens_of;

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

#[cfg(test)]
mod tests {
    use super::*;

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
