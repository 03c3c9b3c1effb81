//! The answers a stopped process left half-written (a crash, `kill -9`, a
//! leader deposed mid-answer), ended by the next process that serves their
//! platform: each placeholder edited to the text it showed and a note that
//! the service restarted, its Stop control taken back, and the ending
//! audited as `interrupted`.

use pstral_chat::{ChatPlatform, ControlKind, MessageRef, PlatformError};
use serde_json::json;

use super::Bot;
use crate::audit::{Actor, EventKind, NewEvent};
use crate::i18n::Answer;
use crate::replicas::LeftOpen;

impl Bot {
    /// Ends every answer another process left open on `platform`'s
    /// platform. Returns how many were ended; one the platform cannot take
    /// an edit for now stays, to be ended at the next connection.
    pub async fn end_interrupted(&self, platform: &dyn ChatPlatform) -> usize {
        let replica = &self.parts().replica;
        let left = match replica.left_open(platform.platform().as_str()).await {
            Ok(left) => left,
            Err(e) => {
                self.unrecorded("read the answers left open", &e);
                return 0;
            }
        };
        let mut ended = 0;
        for answer in left {
            if self.end_one(platform, &answer).await {
                ended += 1;
            }
        }
        if ended > 0 {
            tracing::info!(
                platform = %platform.platform(),
                ended,
                "answers interrupted by a restart ended with a note"
            );
        }
        ended
    }

    /// Ends one answer left open; false when it stays open (the platform
    /// failed for now, or another process ended it first).
    async fn end_one(&self, platform: &dyn ChatPlatform, left: &LeftOpen) -> bool {
        let Some(place) = left.place() else {
            return false;
        };
        // An answer whose last text was on its way needs it shown again
        // (without the cursor it may still show), and no note: it is whole.
        let text = if left.ended {
            left.shown.clone()
        } else {
            let note = Answer::Interrupted.render(self.lang());
            ended_text(&left.shown, &note, platform.limits().max_message_chars)
        };
        let message = MessageRef {
            place: place.clone(),
            id: left.message.clone(),
        };
        match platform.edit(&message, &text).await {
            // Gone: nothing shows it any more, and nothing is left to end.
            Ok(()) | Err(PlatformError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(error = %e, message = %left.message, "cannot end an answer left open; trying again at the next connection");
                return false;
            }
        }
        let first = MessageRef {
            place: place.clone(),
            id: left.first_message.clone(),
        };
        if let Err(e) = platform.withdraw_control(&first, &ControlKind::Stop).await {
            tracing::debug!(error = %e, "cannot withdraw the Stop control of an interrupted answer");
        }
        match self.parts().replica.ended(left).await {
            Ok(true) => {}
            Ok(false) => return false,
            Err(e) => {
                self.unrecorded("record that an interrupted answer was ended", &e);
                return false;
            }
        }
        if let Some(conversation) = left.conversation
            && !left.shown.trim().is_empty()
        {
            self.keep_said(conversation, &left.first_message, &left.shown)
                .await;
        }
        metrics::counter!("pstral_answers_total", "ending" => "interrupted").increment(1);
        let actor = Actor {
            user_id: left.user_id,
            identity: left.identity.as_deref().and_then(|i| i.parse().ok()),
        };
        let messages: Vec<&str> = if left.message == left.first_message {
            vec![&left.first_message]
        } else {
            vec![&left.first_message, &left.message]
        };
        let event = NewEvent::new(
            EventKind::Answer,
            actor,
            json!({
                "conversation": left.conversation,
                "question": left.question,
                "messages": messages,
                "ending": "interrupted",
                // Shown whole before its process died, the record of it
                // not written.
                "whole": left.ended,
                "text": left.shown,
                "started_at": left.started_at,
                "ended_by": self.parts().replica.name(),
            }),
        )
        .at(place);
        self.record(event, "audit an interrupted answer").await;
        true
    }
}

/// What an interrupted message ends with: what it showed, then the note,
/// within `max_chars` (the text cut at a clean boundary when the note needs
/// the room).
fn ended_text(shown: &str, note: &str, max_chars: usize) -> String {
    if shown.trim().is_empty() {
        return note.to_owned();
    }
    let room = max_chars.saturating_sub(note.chars().count() + 2);
    let body = if shown.chars().count() > room {
        let cut = crate::stream::split::clean_split(shown, room.max(1));
        crate::stream::split::render(None, &shown[..cut], true)
    } else {
        shown.to_owned()
    };
    format!("{body}\n\n{note}")
}

#[cfg(test)]
mod tests {
    use super::ended_text;

    #[test]
    fn an_interrupted_message_keeps_what_it_showed_then_the_note() {
        assert_eq!(
            ended_text("Half of it", "⚠️ Note", 2000),
            "Half of it\n\n⚠️ Note"
        );
        assert_eq!(ended_text("  ", "⚠️ Note", 2000), "⚠️ Note");
    }

    #[test]
    fn the_note_fits_in_a_full_message_by_cutting_the_text_at_a_word() {
        let shown = "word ".repeat(100);
        let text = ended_text(shown.trim_end(), "⚠️ Note", 60);
        assert!(text.chars().count() <= 60, "{text}");
        assert!(text.ends_with("\n\n⚠️ Note"), "{text}");
        assert!(text.starts_with("word word"), "{text}");
        assert!(!text.contains("wor\n"), "{text}");
    }
}
