//! The streaming engine alone, on virtual time: a scripted token stream into
//! the recording platform, with exact checks on what each message shows.

use std::time::Duration;

use futures_util::stream;
use pstral_chat::recording::RecordingPlatform;
use pstral_chat::{ChatPlatform, Limits, Place};
use pstral_core::i18n::Lang;
use pstral_core::llm::LlmError;
use pstral_core::stream::{Ending, stream_answer};
use tokio_util::sync::CancellationToken;

fn place() -> Place {
    Place {
        platform: "discord".parse().unwrap(),
        channel: "1".into(),
        thread: None,
        private: false,
    }
}

fn limits(max: usize, interval_ms: u64) -> Limits {
    Limits {
        max_message_chars: max,
        min_edit_interval: Duration::from_millis(interval_ms),
        buttons: true,
        ephemeral: true,
        threads: true,
        command_prefix: "/",
    }
}

/// Tokens arriving every `every` of virtual time.
fn paced(
    tokens: Vec<String>,
    every: Duration,
) -> impl futures_util::Stream<Item = Result<String, LlmError>> + Unpin {
    Box::pin(stream::unfold(
        tokens.into_iter(),
        move |mut it| async move {
            let next = it.next()?;
            tokio::time::sleep(every).await;
            Some((Ok(next), it))
        },
    ))
}

fn words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_owned).collect()
}

#[tokio::test(start_paused = true)]
async fn every_message_shows_exactly_its_segment_of_the_answer() {
    let mut answer = String::from("Intro text before the code.\n\n```sql\n");
    for i in 0..30 {
        answer.push_str(&format!("SELECT col_{i}, other_{i} FROM table_{i}\n"));
    }
    answer.push_str("```\nAnd a closing paragraph with several words in it.");
    let platform = RecordingPlatform::new("discord", limits(300, 100));
    let first = platform.post(&place(), None, "…").await.unwrap();
    let streamed = stream_answer(
        &platform,
        first,
        "…".into(),
        paced(words(&answer), Duration::from_millis(7)),
        &CancellationToken::new(),
        Lang::En,
    )
    .await;
    assert_eq!(streamed.ending, Ending::Complete);
    assert_eq!(streamed.answer, answer);
    assert!(streamed.parts.len() >= 4, "{} parts", streamed.parts.len());
    let mut covered = 0;
    for part in &streamed.parts {
        assert_eq!(part.segment.start, covered, "segments follow each other");
        covered = part.segment.end;
        let mut expected = String::new();
        if let Some(fence) = &part.reopened {
            assert_eq!(fence, "```sql");
            expected.push_str(fence);
            expected.push('\n');
        }
        expected.push_str(&answer[part.segment.clone()]);
        if part.closed {
            if !expected.ends_with('\n') {
                expected.push('\n');
            }
            expected.push_str("```");
        }
        let shown = platform.text_of(&part.message.id).unwrap();
        assert_eq!(shown, expected);
        assert!(shown.chars().count() <= 300);
        // Cut at a line end or a space: never inside a word.
        if part.segment.end < answer.len() {
            let before = answer[..part.segment.end].chars().last().unwrap();
            assert!(before.is_whitespace(), "cut after {before:?}");
        }
    }
    assert_eq!(covered, answer.len());
}

#[tokio::test(start_paused = true)]
async fn no_message_is_edited_faster_than_the_interval_even_through_rate_limits() {
    let platform = RecordingPlatform::new("discord", limits(2000, 1000));
    let first = platform.post(&place(), None, "…").await.unwrap();
    // A storm of 429s in the middle of the answer.
    platform.rate_limit_next_edits(0, Duration::ZERO);
    let tokens: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
    let answer = tokens.concat();
    let stream = paced(tokens, Duration::from_millis(20));
    let storm = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        platform.rate_limit_next_edits(3, Duration::from_millis(1700));
    };
    let never = CancellationToken::new();
    let (streamed, ()) = tokio::join!(
        stream_answer(
            &platform,
            first.clone(),
            "…".into(),
            stream,
            &never,
            Lang::En
        ),
        storm
    );
    assert_eq!(
        platform.text_of(&first.id).unwrap(),
        answer,
        "the last applied edit is the final text"
    );
    let history = platform.history_of(&first.id);
    for pair in history.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= Duration::from_millis(1000));
    }
    assert!(streamed.edits >= 2);
}

#[tokio::test(start_paused = true)]
async fn a_failure_before_any_token_shows_only_the_note() {
    let platform = RecordingPlatform::new("discord", limits(2000, 100));
    let first = platform.post(&place(), None, "…").await.unwrap();
    let failed = stream::iter([Err(LlmError::QueueFull { capacity: 3 })]);
    let streamed = stream_answer(
        &platform,
        first.clone(),
        "…".into(),
        failed,
        &CancellationToken::new(),
        Lang::Fr,
    )
    .await;
    assert!(matches!(streamed.ending, Ending::Failed(_)));
    assert_eq!(
        platform.text_of(&first.id).unwrap(),
        "⚠️ Trop de questions attendent le modèle. Reposez la vôtre dans quelques minutes."
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_inside_a_code_block_closes_it_before_the_note() {
    let platform = RecordingPlatform::new("discord", limits(2000, 100));
    let first = platform.post(&place(), None, "…").await.unwrap();
    let stop = CancellationToken::new();
    let tokens = words("```sql SELECT a, b, c FROM t WHERE x = 1 AND y = 2 AND z = 3");
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(35)).await;
        stop.cancel();
    };
    let (streamed, ()) = tokio::join!(
        stream_answer(
            &platform,
            first.clone(),
            "…".into(),
            paced(tokens, Duration::from_millis(10)),
            &stop,
            Lang::En
        ),
        stopper
    );
    assert_eq!(streamed.ending, Ending::Stopped);
    let text = platform.text_of(&first.id).unwrap();
    assert!(text.ends_with("\n```\n\n⏹ Stopped."), "{text:?}");
}

#[tokio::test(start_paused = true)]
async fn a_continuation_the_chat_refuses_ends_the_answer_with_a_note() {
    let platform = RecordingPlatform::new("discord", limits(200, 100));
    let first = platform.post(&place(), None, "…").await.unwrap();
    platform.refuse_next_posts(1);
    let answer: String = (0..100).map(|i| format!("word{i} ")).collect();
    let streamed = stream_answer(
        &platform,
        first.clone(),
        "…".into(),
        paced(words(&answer), Duration::from_millis(5)),
        &CancellationToken::new(),
        Lang::En,
    )
    .await;
    assert_eq!(streamed.answer, answer, "the whole answer is kept");
    assert_eq!(streamed.parts.len(), 1);
    let shown_until = streamed
        .shown_until
        .expect("the chat shows only part of it");
    let text = platform.text_of(&first.id).unwrap();
    assert!(text.starts_with(&answer[..shown_until]), "{text}");
    assert!(text.contains("could not be posted"), "{text}");
    assert!(text.chars().count() <= 200);
}

#[tokio::test(start_paused = true)]
async fn an_empty_answer_says_so() {
    let platform = RecordingPlatform::new("discord", limits(2000, 100));
    let first = platform.post(&place(), None, "…").await.unwrap();
    let nothing = stream::empty();
    stream_answer(
        &platform,
        first.clone(),
        "…".into(),
        nothing,
        &CancellationToken::new(),
        Lang::En,
    )
    .await;
    assert_eq!(
        platform.text_of(&first.id).unwrap(),
        "(The model gave an empty answer.)"
    );
}
