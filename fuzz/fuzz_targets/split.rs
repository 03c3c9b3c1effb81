//! Any answer and message length: the pieces follow one another and cover
//! the answer, every message balances its code fences, and a message holds
//! at most the limit when the limit leaves room for a reopened fence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstral_fuzz::split::{open_fence, split};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(answer) = std::str::from_utf8(rest) else {
        return;
    };
    // From 1 to 2,000 characters, as Discord's limit.
    let max_chars = usize::from(first) * 8 + 1;
    let messages = split(answer, max_chars);
    let mut end = 0;
    for (range, text) in &messages {
        assert_eq!(range.start, end, "pieces follow one another");
        assert!(range.end > range.start || answer.is_empty());
        end = range.end;
        assert_eq!(open_fence(None, text), None, "balanced: {text:?}");
        // A reopened fence is at most 23 characters, plus the reserve.
        if max_chars >= 40 {
            assert!(text.chars().count() <= max_chars, "{max_chars}: {text:?}");
        }
    }
    assert_eq!(end, answer.len(), "the whole answer is shown");
});
