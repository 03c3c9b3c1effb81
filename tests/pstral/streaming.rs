//! The streaming engine alone, on virtual time: a scripted token stream into
//! the recording platform, with exact checks on what each message shows.

use std::time::Duration;

use futures_util::{StreamExt, stream};
use pstral_chat::recording::RecordingPlatform;
use pstral_chat::{Allowance, AllowanceScope, ChatPlatform, Limits, Place};
use pstral_core::i18n::Lang;
use pstral_core::llm::LlmError;
use pstral_core::stream::budget::{EditBudget, EditBudgets, MAX_EDITS_PER_MESSAGE};
use pstral_core::stream::{Ending, Placeholder, stream_answer};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn place() -> Place {
    Place {
        platform: "discord".parse().unwrap(),
        channel: "1".into(),
        thread: None,
        private: false,
    }
}

/// A platform like Discord: five edits at once, one more every interval.
fn limits(max: usize, interval_ms: u64) -> Limits {
    Limits {
        max_message_chars: max,
        min_edit_interval: Duration::from_millis(interval_ms),
        edit_allowance: Allowance::per_channel(5, Duration::from_millis(interval_ms)),
        buttons: true,
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
    let budget = EditBudget::alone(platform.limits());
    let first = platform.post(&place(), None, "…").await.unwrap();
    let streamed = stream_answer(
        &platform,
        &budget,
        Placeholder::posted_now(first, "…"),
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
async fn no_message_is_edited_faster_than_the_interval_before_its_final_text_even_through_rate_limits()
 {
    let platform = RecordingPlatform::new("discord", limits(2000, 1000));
    let budget = EditBudget::alone(platform.limits());
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
            &budget,
            Placeholder::posted_now(first.clone(), "…"),
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
    // The final text goes as soon as the allowance holds an edit; every
    // edit before it keeps the interval.
    let history = platform.history_of(&first.id);
    let (_, before_final) = history.split_last().unwrap();
    for pair in before_final.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= Duration::from_millis(1000));
    }
    assert!(streamed.edits >= 2);
}

/// Streams `tokens` paced by `every` after `first_after` into a fresh
/// placeholder; gives the platform, the placeholder and when the last token
/// came.
async fn stream_on(
    platform: &RecordingPlatform,
    budget: &EditBudget,
    first_after: Duration,
    tokens: Vec<String>,
    every: Duration,
) -> (pstral_chat::MessageRef, Instant) {
    let first = platform.post(&place(), None, "…").await.unwrap();
    let last_token = std::sync::Mutex::new(Instant::now());
    let timed = Box::pin(stream::unfold(
        (tokens.into_iter(), true),
        |(mut it, first)| {
            let last_token = &last_token;
            async move {
                let next = it.next()?;
                tokio::time::sleep(if first { first_after } else { every }).await;
                *last_token.lock().unwrap() = Instant::now();
                Some((Ok(next), (it, false)))
            }
        },
    ));
    stream_answer(
        platform,
        budget,
        Placeholder::posted_now(first.clone(), "…"),
        timed,
        &CancellationToken::new(),
        Lang::En,
    )
    .await;
    let last = *last_token.lock().unwrap();
    (first, last)
}

/// The bot's own order: the model's client hands the stream over with its
/// first token, seconds after the placeholder was posted. That token goes
/// out at once, not an interval after the hand-over.
#[tokio::test(start_paused = true)]
async fn a_stream_handed_over_late_shows_its_first_word_at_once() {
    let platform = RecordingPlatform::new("matrix", limits(2000, 1000));
    let budget = EditBudget::alone(platform.limits());
    let first = platform.post(&place(), None, "…").await.unwrap();
    let posted = Instant::now();
    tokio::time::advance(Duration::from_secs(2)).await;
    let handed_over = Instant::now();
    let tokens = Box::pin(
        stream::iter(["one ", "two"].map(|t| Ok(t.to_owned()))).chain(stream::once(async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(" three".to_owned())
        })),
    );
    stream_answer(
        &platform,
        &budget,
        Placeholder {
            message: first.clone(),
            text: "…".into(),
            changed: posted,
        },
        tokens,
        &CancellationToken::new(),
        Lang::En,
    )
    .await;
    let history = platform.history_of(&first.id);
    let (shown_at, _) = history
        .iter()
        .find(|(_, text)| text.contains("one"))
        .expect("the first words were shown");
    assert_eq!(*shown_at, handed_over, "{history:?}");
    assert_eq!(history.last().unwrap().1, "one two three");
}

#[tokio::test(start_paused = true)]
async fn the_first_words_show_as_soon_as_they_come_when_the_placeholder_is_older_than_the_interval()
{
    let platform = RecordingPlatform::new("discord", limits(2000, 1000));
    let budget = EditBudget::alone(platform.limits());
    let start = Instant::now();
    // The model reads the prompt for 2.3 s, then writes slowly.
    let (first, _) = stream_on(
        &platform,
        &budget,
        Duration::from_millis(2300),
        words("one two three four"),
        Duration::from_millis(400),
    )
    .await;
    // The placeholder, then the first word the moment it came.
    let history = platform.history_of(&first.id);
    assert!(history[1].1.starts_with("one"), "{history:?}");
    assert_eq!(history[1].0 - start, Duration::from_millis(2300));
}

#[tokio::test(start_paused = true)]
async fn the_final_text_shows_as_soon_as_the_model_ends_not_at_the_next_tick() {
    let platform = RecordingPlatform::new("discord", limits(2000, 1000));
    for _ in 0..30 {
        let budget = EditBudget::alone(platform.limits());
        let tokens: Vec<String> = (0..37).map(|i| format!("w{i} ")).collect();
        let answer = tokens.concat();
        let (first, last_token) = stream_on(
            &platform,
            &budget,
            Duration::from_millis(1500),
            tokens,
            Duration::from_millis(45),
        )
        .await;
        let history = platform.history_of(&first.id);
        let (at, text) = history.last().unwrap();
        assert_eq!(text, &answer);
        assert_eq!(*at, last_token, "the final edit waited");
        tokio::time::advance(Duration::from_secs(5)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn under_a_strict_shared_allowance_no_final_text_waits_behind_an_intermediate_edit() {
    // Synapse's strict setting: a burst of 3, then one a second, for the
    // whole account; two answers stream at once.
    let mut strict = limits(2000, 200);
    strict.edit_allowance = Allowance {
        burst: 3,
        refill: Duration::from_secs(1),
        scope: AllowanceScope::Account,
        posts_count: false,
    };
    let platform = RecordingPlatform::new("matrix", strict);
    let budgets = EditBudgets::default();
    let one = budgets.for_answer(platform.limits(), &place());
    let two = budgets.for_answer(platform.limits(), &place());
    let tokens = |n: usize| -> Vec<String> { (0..n).map(|i| format!("t{i} ")).collect() };
    let ((first, first_end), (second, second_end)) = tokio::join!(
        stream_on(
            &platform,
            &one,
            Duration::from_millis(300),
            tokens(60),
            Duration::from_millis(50)
        ),
        stream_on(
            &platform,
            &two,
            Duration::from_millis(300),
            tokens(90),
            Duration::from_millis(50)
        ),
    );
    for (message, ended, n) in [(&first, first_end, 60), (&second, second_end, 90)] {
        let history = platform.history_of(&message.id);
        let (at, text) = history.last().unwrap();
        assert_eq!(text, &tokens(n).concat(), "nothing lost");
        assert_eq!(*at, ended, "the final text went when the model ended");
    }
}

#[tokio::test(start_paused = true)]
async fn a_ten_minute_answer_stays_under_the_edit_ceiling_and_arrives_whole() {
    let platform = RecordingPlatform::new("matrix", limits(1_000_000, 1000));
    let budget = EditBudget::alone(platform.limits());
    // Twenty tokens a second for ten minutes.
    let tokens: Vec<String> = (0..12_000).map(|i| format!("w{i} ")).collect();
    let answer = tokens.concat();
    let (first, _) = stream_on(
        &platform,
        &budget,
        Duration::from_millis(500),
        tokens,
        Duration::from_millis(50),
    )
    .await;
    let history = platform.history_of(&first.id);
    assert!(
        // The placeholder, the edits while it came, the final text.
        history.len() <= MAX_EDITS_PER_MESSAGE + 2,
        "{} edits",
        history.len()
    );
    assert_eq!(history.last().unwrap().1, answer);
}

#[tokio::test(start_paused = true)]
async fn a_failure_before_any_token_shows_only_the_note() {
    let platform = RecordingPlatform::new("discord", limits(2000, 100));
    let budget = EditBudget::alone(platform.limits());
    let first = platform.post(&place(), None, "…").await.unwrap();
    let failed = stream::iter([Err(LlmError::QueueFull { capacity: 3 })]);
    let streamed = stream_answer(
        &platform,
        &budget,
        Placeholder::posted_now(first.clone(), "…"),
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
    let budget = EditBudget::alone(platform.limits());
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
            &budget,
            Placeholder::posted_now(first.clone(), "…"),
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
    let budget = EditBudget::alone(platform.limits());
    let first = platform.post(&place(), None, "…").await.unwrap();
    platform.refuse_next_posts(1);
    let answer: String = (0..100).map(|i| format!("word{i} ")).collect();
    let streamed = stream_answer(
        &platform,
        &budget,
        Placeholder::posted_now(first.clone(), "…"),
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
    let budget = EditBudget::alone(platform.limits());
    let first = platform.post(&place(), None, "…").await.unwrap();
    let nothing = stream::empty();
    stream_answer(
        &platform,
        &budget,
        Placeholder::posted_now(first.clone(), "…"),
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
