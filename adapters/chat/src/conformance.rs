//! What every adapter promises the core, as one suite that each adapter's
//! tests run on its own platform, as the adapter hands it to the core (and
//! this crate's tests on [`crate::recording::RecordingPlatform`]): a new
//! platform is done when it passes this, not when it compiles.
//!
//! The suite acts through [`ChatPlatform`] alone and reads back what a
//! person would see through the test's [`Readback`] (the Discord fake's
//! record, a Matrix client's sync), so that "posted" means shown, and
//! "edited" means shown edited.

use std::time::Duration;

use crate::{ChatPlatform, ControlKind, MessageRef, Place, PlatformError};

/// What a person in the place sees of the bot's messages.
#[async_trait::async_trait]
pub trait Readback: Send + Sync {
    /// The text `message` shows now; `None` when it shows nothing (yet).
    async fn text_of(&self, message: &MessageRef) -> Option<String>;
}

/// How long what the platform accepted may take to show.
const SHOWN_WITHIN: Duration = Duration::from_secs(30);

/// Runs the suite in `place`; panics with what the adapter broke.
pub async fn check(platform: &dyn ChatPlatform, place: &Place, readback: &dyn Readback) {
    let name = platform.platform().to_string();
    let limits = platform.limits().clone();
    assert!(
        limits.max_message_chars >= 500,
        "{name}: a message holds at least 500 characters, not {}",
        limits.max_message_chars
    );
    assert!(
        limits.edit_allowance.burst >= 1,
        "{name}: the allowance holds at least one edit"
    );
    assert!(
        !limits.command_prefix.is_empty(),
        "{name}: commands have a prefix"
    );

    // Posted where asked, shown as written (accents, an emoji).
    let first = "conformance: élève, 🎉, first";
    let posted = platform
        .post(place, None, first)
        .await
        .unwrap_or_else(|e| panic!("{name}: cannot post: {e}"));
    assert_eq!(
        posted.place.channel, place.channel,
        "{name}: posted elsewhere"
    );
    shown(&name, readback, &posted, first).await;

    // Edits replace the text, the last one shown last.
    for text in ["conformance: second", "conformance: third, whole"] {
        platform
            .edit(&posted, text)
            .await
            .unwrap_or_else(|e| panic!("{name}: cannot edit: {e}"));
    }
    shown(&name, readback, &posted, "conformance: third, whole").await;

    // A reply to the bot's own message.
    let reply = platform
        .post(place, Some(&posted.id), "conformance: a reply")
        .await
        .unwrap_or_else(|e| panic!("{name}: cannot reply: {e}"));
    shown(&name, readback, &reply, "conformance: a reply").await;

    // The longest text is taken whole, counted in characters, not bytes;
    // one more is refused before anything is sent.
    let longest = "é".repeat(limits.max_message_chars);
    let long = platform
        .post(place, None, &longest)
        .await
        .unwrap_or_else(|e| panic!("{name}: cannot post its longest message: {e}"));
    shown(&name, readback, &long, &longest).await;
    let over = format!("{longest}é");
    let too_long = |r: Result<(), PlatformError>, what: &str| match r {
        Err(PlatformError::TooLong { chars, max }) => {
            assert_eq!(
                (chars, max),
                (limits.max_message_chars + 1, limits.max_message_chars),
                "{name}: {what}"
            );
        }
        other => panic!("{name}: {what} one character too long: {other:?}"),
    };
    too_long(
        platform.post(place, None, &over).await.map(|_| ()),
        "a post",
    );
    too_long(platform.edit(&posted, &over).await, "an edit");
    shown(&name, readback, &posted, "conformance: third, whole").await;

    // Controls appear and go on the bot's message, and leave its text.
    for control in [
        ControlKind::Stop,
        ControlKind::Execute {
            statement: 1,
            reference: None,
        },
    ] {
        platform
            .show_control(&posted, &control)
            .await
            .unwrap_or_else(|e| panic!("{name}: cannot show {control:?}: {e}"));
        platform
            .withdraw_control(&posted, &control)
            .await
            .unwrap_or_else(|e| panic!("{name}: cannot withdraw {control:?}: {e}"));
    }
    shown(&name, readback, &posted, "conformance: third, whole").await;
}

/// Waits until `message` shows `text`.
async fn shown(name: &str, readback: &dyn Readback, message: &MessageRef, text: &str) {
    let deadline = tokio::time::Instant::now() + SHOWN_WITHIN;
    loop {
        let now = readback.text_of(message).await;
        if now.as_deref() == Some(text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: message {} shows {:?}, not {:?}",
            message.id,
            now.map(|t| t.chars().take(80).collect::<String>()),
            text.chars().take(80).collect::<String>()
        );
        // Polled: the platform gives no signal when a person's view
        // catches up.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::RecordingPlatform;

    struct Recorded<'a>(&'a RecordingPlatform);

    #[async_trait::async_trait]
    impl Readback for Recorded<'_> {
        async fn text_of(&self, message: &MessageRef) -> Option<String> {
            self.0.text_of(&message.id)
        }
    }

    #[tokio::test]
    async fn the_recording_fake_keeps_the_contract() {
        let platform = RecordingPlatform::new("discord", RecordingPlatform::discord_like());
        let place = Place {
            platform: platform.platform().clone(),
            channel: "c1".to_owned(),
            thread: None,
            private: false,
        };
        check(&platform, &place, &Recorded(&platform)).await;
    }
}
