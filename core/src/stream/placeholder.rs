//! The message an answer streams into, from its placeholder to its final
//! text: posted, given its Stop control, streamed into and relieved of the
//! control, all within the platform's allowance ([`super::budget`]), so that
//! the use case asking the model says what to show and this module says
//! when.

use futures_util::Stream;
use pstral_chat::{ChatPlatform, ControlKind, MessageRef, Place, PlatformError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::budget::{EditBudget, EditBudgets};
use super::{Destination, Placeholder, Streamed, stream_into};
use crate::i18n::Lang;
use crate::llm::LlmError;

/// One answer's message and the allowance it draws on, held for the
/// answer's life.
pub struct Answering<'a> {
    platform: &'a dyn ChatPlatform,
    budget: EditBudget,
    /// The message, what it shows and when that last changed.
    placeholder: Placeholder,
    stop_shown: bool,
}

impl<'a> Answering<'a> {
    /// Posts the placeholder showing `text` in `place`, in reply to
    /// `in_reply_to`; on a platform whose allowance counts posts too
    /// (Matrix: every event), it spends one.
    pub async fn post(
        platform: &'a dyn ChatPlatform,
        budgets: &EditBudgets,
        place: &Place,
        in_reply_to: &str,
        text: String,
    ) -> Result<Self, PlatformError> {
        let budget = budgets.for_answer(platform.limits(), place);
        let message = platform.post(place, Some(in_reply_to), &text).await?;
        if budget.counts_posts() {
            budget.spent();
        }
        Ok(Answering {
            platform,
            budget,
            placeholder: Placeholder::posted_now(message, text),
            stop_shown: false,
        })
    }

    /// The placeholder's message.
    pub fn message(&self) -> &MessageRef {
        &self.placeholder.message
    }

    /// Offers the Stop control on the placeholder. Offering a control
    /// changes the message too (a Discord PATCH, a Matrix reaction), and so
    /// does taking it back: two events of the allowance, spent like an
    /// intermediate edit, only while it keeps the final edits back. Under a
    /// tight limit (Synapse's default: one event every five seconds) the
    /// answer's own text is not late for them; the stop command works
    /// either way.
    pub async fn offer_stop(&mut self) {
        if !self.budget.take_intermediate() {
            return;
        }
        let offered = self
            .platform
            .show_control(&self.placeholder.message, &ControlKind::Stop)
            .await;
        self.placeholder.changed = Instant::now();
        match offered {
            Ok(()) => self.stop_shown = true,
            Err(e) => tracing::warn!(error = %e, "cannot offer the Stop control"),
        }
    }

    /// The placeholder was edited to show `text` (a place in the line).
    pub fn showed(&mut self, text: String, at: Instant) {
        self.placeholder.text = text;
        self.placeholder.changed = at;
    }

    /// Streams `tokens` into the placeholder (and further messages as
    /// needed) until the model is done, `stop` is cancelled or the stream
    /// fails.
    /// What the chat shows is recorded in `journal` as it changes.
    pub async fn stream<S>(
        &self,
        tokens: S,
        stop: &CancellationToken,
        lang: Lang,
        journal: Option<&crate::replicas::OpenAnswer>,
    ) -> Streamed
    where
        S: Stream<Item = Result<String, LlmError>> + Unpin,
    {
        let shown = self.placeholder.clone();
        let to = Destination {
            platform: self.platform,
            budget: &self.budget,
            journal,
        };
        stream_into(to, shown, tokens, stop, lang).await
    }

    /// Takes the Stop control back once the answer is done (and no longer
    /// stoppable), not before the platform allows: it changes the message
    /// too.
    pub async fn withdraw_stop(self) {
        if !self.stop_shown {
            return;
        }
        tokio::time::sleep_until(self.budget.next_final()).await;
        let withdrawn = self
            .platform
            .withdraw_control(&self.placeholder.message, &ControlKind::Stop)
            .await;
        match withdrawn {
            Ok(()) => self.budget.spent(),
            Err(e) => tracing::warn!(error = %e, "cannot withdraw the Stop control"),
        }
    }
}
