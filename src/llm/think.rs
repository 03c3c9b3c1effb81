//! Keeps a reasoning model's thinking out of the chat message.
//!
//! Ollama ≥ 0.12.4 sends thinking in `message.thinking`, which the client
//! drops; but models without template support, and some regressions, still
//! put `<think>…</think>` inside `content`. This filter removes such spans
//! from a stream of content pieces, whatever way the tags are split across
//! pieces.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// A streaming filter for `<think>…</think>` spans.
#[derive(Debug, Default)]
pub struct ThinkFilter {
    inside: bool,
    /// The end of the input that may be the start of a tag, held back until
    /// the next piece tells.
    pending: String,
}

impl ThinkFilter {
    /// Feeds one piece of content; returns what can be shown now.
    pub fn push(&mut self, piece: &str) -> String {
        self.pending.push_str(piece);
        let mut out = String::new();
        loop {
            let tag = if self.inside { CLOSE } else { OPEN };
            if let Some(at) = self.pending.find(tag) {
                if !self.inside {
                    out.push_str(&self.pending[..at]);
                }
                self.pending.drain(..at + tag.len());
                self.inside = !self.inside;
                continue;
            }
            // Hold back a suffix that could still become the tag.
            let keep = partial_tag_suffix(&self.pending, tag);
            let cut = self.pending.len() - keep;
            if !self.inside {
                out.push_str(&self.pending[..cut]);
            }
            self.pending.drain(..cut);
            return out;
        }
    }

    /// Ends the stream: a held-back partial tag outside thinking was text.
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
        assert_eq!(run(&["a<think>x</think>b<think>y</think>c"]), "abc");
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
    }

    #[test]
    fn an_unclosed_thought_is_dropped() {
        assert_eq!(run(&["ok<think>never closed"]), "ok");
    }
}
