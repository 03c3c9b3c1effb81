//! Keeps a reasoning model's thinking out of the chat message.
//!
//! Ollama ≥ 0.12.4 sends thinking in `message.thinking`, which the client
//! drops; but models without template support, and some regressions, still
//! put `<think>…</think>` inside `content`, at the start of the answer. This
//! filter removes such spans from the start of a stream of content pieces,
//! whatever way the tags are split across pieces. Once visible text has
//! begun, everything passes: a `<think>` the answer talks about (HTML, a SQL
//! string, a question about the tag) is the answer's own text.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// The most blank text held back waiting for a `<think>`: past it, a model
/// streaming only blanks has begun its (blank) answer.
const MAX_HELD: usize = 4096;

/// A streaming filter for `<think>…</think>` spans at the start of an answer.
#[derive(Debug, Default)]
pub struct ThinkFilter {
    inside: bool,
    /// Visible text has begun: nothing more is filtered.
    passing: bool,
    /// Input held back until the next piece tells whether it starts a tag.
    pending: String,
}

impl ThinkFilter {
    /// Feeds one piece of content; returns what can be shown now.
    pub fn push(&mut self, piece: &str) -> String {
        if self.passing {
            return piece.to_owned();
        }
        self.pending.push_str(piece);
        loop {
            if self.inside {
                match self.pending.find(CLOSE) {
                    Some(at) => {
                        self.pending.drain(..at + CLOSE.len());
                        self.inside = false;
                    }
                    None => {
                        // Drop the thought, keeping what may begin the tag.
                        let keep = partial_tag_suffix(&self.pending, CLOSE);
                        let cut = self.pending.len() - keep;
                        self.pending.drain(..cut);
                        return String::new();
                    }
                }
                continue;
            }
            let text = self.pending.trim_start();
            if let Some(rest) = text.strip_prefix(OPEN) {
                self.pending = rest.to_owned();
                self.inside = true;
                continue;
            }
            if OPEN.starts_with(text) && self.pending.len() <= MAX_HELD {
                // Blank so far, or the beginning of "<think>": wait.
                return String::new();
            }
            self.passing = true;
            return std::mem::take(&mut self.pending);
        }
    }

    /// Ends the stream: what was held back outside a thought was text; an
    /// unclosed thought is dropped (the answer is then empty, and says so).
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        if self.inside { String::new() } else { rest }
    }
}

/// The length of the longest suffix of `s` that is a proper prefix of `tag`.
fn partial_tag_suffix(s: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&n| {
            n <= s.len() && s.is_char_boundary(s.len() - n) && tag.starts_with(&s[s.len() - n..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str]) -> String {
        let mut f = ThinkFilter::default();
        let mut out: String = pieces.iter().map(|p| f.push(p)).collect();
        out.push_str(&f.finish());
        out
    }

    #[test]
    fn thinking_spans_are_removed_however_the_tags_are_split() {
        assert_eq!(run(&["<think>hmm</think>Bonjour"]), "Bonjour");
        assert_eq!(
            run(&["<th", "ink>h", "mm</thi", "nk>Bon", "jour"]),
            "Bonjour"
        );
        let text = "<think>plan</think>SELECT 1";
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(run(&refs), "SELECT 1");
    }

    #[test]
    fn text_that_only_looks_like_a_tag_is_kept() {
        assert_eq!(run(&["a < b and <thin", "g>"]), "a < b and <thing>");
        assert_eq!(run(&["ends with <th"]), "ends with <th");
        assert_eq!(run(&["é<", "é"]), "é<é");
        assert_eq!(run(&["<thin", "g> first"]), "<thing> first");
        assert_eq!(run(&["<th"]), "<th");
    }

    #[test]
    fn a_tag_inside_the_answer_is_the_answer_s_own_text() {
        let answer = "Use `<think>` in your template, then `</think>`; done.";
        assert_eq!(run(&[answer]), answer);
        assert_eq!(
            run(&["SELECT '<think>' ", "FROM dual"]),
            "SELECT '<think>' FROM dual"
        );
    }

    #[test]
    fn endless_blanks_are_not_held_back_without_bound() {
        let mut f = ThinkFilter::default();
        let shown: String = (0..10_000).map(|_| f.push("\n")).collect();
        assert!(shown.len() > 5_000, "{} shown", shown.len());
        assert!(f.pending.len() <= MAX_HELD);
    }

    #[test]
    fn an_unclosed_thought_is_dropped() {
        assert_eq!(run(&["<think>never closed"]), "");
    }
}
