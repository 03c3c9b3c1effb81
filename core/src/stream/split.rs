//! How an answer is cut into messages that fit a platform's length limit:
//! where to cut (a paragraph, a line, a space, a word only as a last resort)
//! and how a code block cut in two stays a code block in both messages.
//! Pure functions, used by the stream engine as the answer grows, and fuzzed
//! on their own (`fuzz/`).

/// The fence line that opens the code block `body` leaves open, if any,
/// starting from `reopened` (a block already open at its start).
pub fn open_fence(reopened: Option<&str>, body: &str) -> Option<String> {
    let mut open = reopened.map(str::to_owned);
    for line in body.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```")
            && line.len() - trimmed.len() <= 3
        {
            open = match open {
                Some(_) => None,
                None => Some(fence_to_reopen(info)),
            };
        }
    }
    open
}

/// The text of a message showing `body`: reopening a block it continues,
/// and closing a block it leaves open when `close` says so.
pub fn render(reopened: Option<&str>, body: &str, close: bool) -> String {
    let mut text = String::with_capacity(body.len() + 16);
    if let Some(fence) = reopened {
        text.push_str(fence);
        text.push('\n');
    }
    text.push_str(body);
    if close && open_fence(reopened, body).is_some() {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("```");
    }
    text
}

/// The fence line that reopens a code block in the next message: the three
/// backticks and the language, if it looks like one; never a long line the
/// model happened to write after the backticks.
pub fn fence_to_reopen(info: &str) -> String {
    let language: String = info
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '#' | '_' | '.'))
        .take(20)
        .collect();
    format!("```{language}")
}

/// Where to end a message showing `body` so that it keeps at most `budget`
/// characters: after the last blank line (in the second half), else the
/// last line end, else the last space within the budget; inside a word only when there is no space
/// at all. Returns a byte offset into `body`, never 0.
pub fn clean_split(body: &str, budget: usize) -> usize {
    let limit = body
        .char_indices()
        .nth(budget)
        .map_or(body.len(), |(i, _)| i);
    let window = &body[..limit];
    // Not too early either: a blank line in the first half, or any break in
    // the first quarter, would leave a message mostly empty.
    let floor = limit / 4;
    let after = |pattern: &str, floor: usize| {
        window
            .rfind(pattern)
            .map(|i| i + pattern.len())
            .filter(|&i| i > floor)
    };
    after("\n\n", limit / 2)
        .or_else(|| after("\n", floor))
        .or_else(|| {
            window
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map(|(i, c)| i + c.len_utf8())
                .filter(|&i| i > floor)
        })
        .unwrap_or(limit)
        .max(window.chars().next().map_or(1, char::len_utf8))
}

/// Characters kept free in a message for what streaming adds: a closing
/// fence and the cursor.
pub const RESERVE: usize = 6;

/// The messages a finished answer is laid out in when no message may hold
/// more than `max_chars` characters: each piece of the answer (a byte range,
/// the pieces following one another) and the text that shows it, with a
/// code block it continues reopened and one it leaves open closed. The
/// stream engine cuts the answer the same way as it grows.
pub fn split(answer: &str, max_chars: usize) -> Vec<(std::ops::Range<usize>, String)> {
    let mut messages = Vec::new();
    let mut start = 0;
    let mut reopened: Option<String> = None;
    loop {
        let reopened_len = reopened.as_ref().map_or(0, |f| f.chars().count() + 1);
        let budget = max_chars.saturating_sub(reopened_len + RESERVE).max(1);
        let body = &answer[start..];
        if body.chars().count() <= budget {
            messages.push((start..answer.len(), render(reopened.as_deref(), body, true)));
            return messages;
        }
        let cut = clean_split(body, budget);
        let head = &body[..cut];
        let still_open = open_fence(reopened.as_deref(), head);
        messages.push((start..start + cut, render(reopened.as_deref(), head, true)));
        start += cut;
        reopened = still_open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_answer_is_laid_out_in_messages_that_fit_and_keep_their_fences() {
        let answer = format!("Voici :\n```sql\n{}```\nFin.", "SELECT 1;\n".repeat(60));
        let messages = split(&answer, 100);
        assert!(messages.len() > 5);
        let mut end = 0;
        for (range, text) in &messages {
            assert_eq!(range.start, end);
            end = range.end;
            assert!(text.chars().count() <= 100, "{text:?}");
            assert_eq!(open_fence(None, text), None, "{text:?}");
        }
        assert_eq!(end, answer.len());
    }

    #[test]
    fn splits_prefer_paragraphs_then_lines_then_spaces() {
        let text = "first paragraph\n\nsecond line\nthird words here";
        assert_eq!(
            &text[..clean_split(text, 40)],
            "first paragraph\n\nsecond line\n"
        );
        assert_eq!(&text[..clean_split(text, 20)], "first paragraph\n\n");
        let words = "alpha beta gamma delta";
        assert_eq!(&words[..clean_split(words, 13)], "alpha beta ");
        let one_word = "x".repeat(50);
        assert_eq!(
            clean_split(&one_word, 10),
            10,
            "a word longer than a message is cut"
        );
        let accents = "é".repeat(30);
        let cut = clean_split(&accents, 7);
        assert!(accents.is_char_boundary(cut));
    }

    #[test]
    fn fences_are_tracked_across_lines() {
        assert_eq!(
            open_fence(None, "a\n```sql\nSELECT 1"),
            Some("```sql".into())
        );
        assert_eq!(open_fence(None, "```sql\nSELECT 1\n```\n"), None);
        assert_eq!(open_fence(Some("```sql"), "FROM t\n```\nok"), None);
        assert_eq!(
            render(Some("```sql"), "FROM t", true),
            "```sql\nFROM t\n```"
        );
        assert_eq!(render(None, "```\ncode\n", true), "```\ncode\n```");
    }
}
