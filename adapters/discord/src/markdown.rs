//! What the bot posts on Discord is Markdown that Discord renders, and much
//! of it is not the bot's own words: a model's answer, a name quoted from a
//! statement, a value from the data. A masked link (`[text](url)`) in such
//! text would show the bot's voice pointing somewhere the text hides, so
//! every `[` outside code is escaped: no masked link can open. Bare URLs stay
//! what Discord makes of them: they show where they lead. The bot writes no
//! masked link of its own.
//!
//! Discord's Markdown is not CommonMark: it has no HTML blocks and no
//! indented code, so a link CommonMark would leave as text there (after a
//! `<div>`, or indented by four spaces) is one Discord renders. Only what
//! both read as code is left alone: inline code, and blocks fenced with
//! backticks.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// `text` with a backslash before every `[` outside code that is not
/// already escaped, everything else as it is.
pub(crate) fn inert(text: &str) -> Cow<'_, str> {
    let code = code_ranges(text);
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let bytes = text.as_bytes();
    let escaped_already = |at: usize| {
        let backslashes = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        backslashes % 2 == 1
    };
    let openings: Vec<usize> = text
        .match_indices('[')
        .map(|(at, _)| at)
        .filter(|&at| !in_code(at) && !escaped_already(at))
        .collect();
    if openings.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + openings.len());
    let mut from = 0;
    for at in openings {
        shown.push_str(&text[from..at]);
        shown.push('\\');
        from = at;
    }
    shown.push_str(&text[from..]);
    Cow::Owned(shown)
}

/// Where `text` holds code both CommonMark and Discord read as such: inline
/// code spans, and code blocks fenced with backticks (not tildes, which
/// Discord does not know).
fn code_ranges(text: &str) -> Vec<Range<usize>> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut ranges = Vec::new();
    let mut block: Option<usize> = None;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Code(_) => ranges.push(range),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_)))
                if text[range.clone()].trim_start().starts_with("```") =>
            {
                block = Some(range.start);
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(start) = block.take() {
                    ranges.push(start..range.end);
                }
            }
            _ => {}
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_masked_link_can_open_outside_code() {
        assert_eq!(
            inert("see [y](http://127.0.0.1:9/evil) now"),
            "see \\[y](http://127.0.0.1:9/evil) now"
        );
        assert_eq!(inert("![i](mxc://evil/x)"), "!\\[i](mxc://evil/x)");
        // What CommonMark reads as HTML or indented code, Discord renders.
        assert_eq!(
            inert("<div>\n[x](https://evil)"),
            "<div>\n\\[x](https://evil)"
        );
        assert_eq!(
            inert("a\n\n    [x](https://evil)"),
            "a\n\n    \\[x](https://evil)"
        );
        // Escaped already, it stays as it was.
        assert_eq!(inert("\\[x](https://evil)"), "\\[x](https://evil)");
        assert_eq!(inert("\\\\[x](https://evil)"), "\\\\\\[x](https://evil)");
    }

    #[test]
    fn code_bare_urls_and_markup_are_left_as_they_are() {
        let plain =
            "**12 rows**\n```sql\nSELECT a[1] FROM t\n```\n`[y](z)` and https://example.org";
        assert_eq!(inert(plain), plain);
        // A tilde fence is no code block for Discord.
        assert_eq!(inert("~~~\n[x](y)\n~~~"), "~~~\n\\[x](y)\n~~~");
    }
}
