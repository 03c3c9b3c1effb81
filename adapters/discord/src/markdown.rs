//! What the bot posts on Discord is Markdown that Discord renders, and much
//! of it is not the bot's own words: a model's answer, a name quoted from a
//! statement, a value from the data. A masked link (`[text](url)`) in such
//! text would show the bot's voice pointing somewhere the text hides, so
//! every `[` outside code is escaped: no masked link can open. Bare URLs stay
//! what Discord makes of them: they show where they lead. The bot writes no
//! masked link of its own.
//!
//! Code is found as Discord reads it, not as CommonMark does: Discord has
//! no HTML blocks and no indented code, and it ends a code block at the
//! next three backticks wherever they stand (a value in a result's preview
//! may hold them mid-line). Inline code counts only when it closes on its
//! line; anything unsure is treated as text, where an escape shows at most
//! a backslash.

use std::borrow::Cow;
use std::ops::Range;

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

/// Where Discord reads code in `text`: between a ``` and the next one
/// (anywhere), and, outside those, between one or two backticks and the
/// same run later on the same line.
fn code_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut rest = 0;
    let mut outside = Vec::new();
    while let Some(open) = text[rest..].find("```").map(|i| rest + i) {
        outside.push(rest..open);
        match text[open + 3..].find("```").map(|i| open + 3 + i) {
            Some(close) => {
                ranges.push(open..close + 3);
                rest = close + 3;
            }
            // Never closed: Discord shows the rest as code, but treating
            // it as text is the safer way round.
            None => {
                rest = open;
                break;
            }
        }
    }
    outside.push(rest..text.len());
    for part in outside {
        let mut line_start = part.start;
        for line in text[part.clone()].split_inclusive('\n') {
            ranges.extend(inline_code(line, line_start));
            line_start += line.len();
        }
    }
    ranges
}

/// The inline code spans of one `line` (which starts at `offset`).
fn inline_code(line: &str, offset: usize) -> Vec<Range<usize>> {
    let bytes = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let fence = &line[i..i + run];
        match line[i + run..].find(fence) {
            Some(j) if run <= 2 => {
                let end = i + run + j + run;
                spans.push(offset + i..offset + end);
                i = end;
            }
            _ => i += run,
        }
    }
    spans
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
        // Three backticks inside a preview's cell end Discord's block there.
        let preview = "```text\nname\n```[Login](https://x.co)\n```";
        assert_eq!(
            inert(preview),
            "```text\nname\n```\\[Login](https://x.co)\n```"
        );
    }
}
