//! The message an answer streams into, before and after its text: posted,
//! given its Stop control and relieved of it within the platform's
//! allowance ([`super::budget`]), so that the use case asking the model says
//! what to show and the streaming engine says when.

use pstral_chat::{ChatPlatform, ControlKind, MessageRef, Place, PlatformError};

use super::budget::EditBudget;

/// Posts the placeholder, in reply to `in_reply_to`; on a platform whose
/// allowance counts posts too (Matrix: every event), it spends one.
pub async fn post(
    platform: &dyn ChatPlatform,
    budget: &EditBudget,
    place: &Place,
    in_reply_to: &str,
    text: &str,
) -> Result<MessageRef, PlatformError> {
    let posted = platform.post(place, Some(in_reply_to), text).await?;
    if budget.counts_posts() {
        budget.spent();
    }
    Ok(posted)
}

/// Offers the Stop control on the placeholder. Offering a control changes
/// the message too (a Discord PATCH, a Matrix reaction), and so does taking
/// it back: two events of the allowance, spent like an intermediate edit,
/// only while it keeps the final edits back. Under a tight limit (Synapse's
/// default: one event every five seconds) the answer's own text is not late
/// for them; the stop command works either way. Returns whether it shows.
pub async fn offer_stop(
    platform: &dyn ChatPlatform,
    budget: &EditBudget,
    placeholder: &MessageRef,
) -> bool {
    if !budget.take_intermediate() {
        return false;
    }
    match platform.show_control(placeholder, &ControlKind::Stop).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "cannot offer the Stop control");
            false
        }
    }
}

/// Takes the Stop control back once the answer is done. It changes the
/// message too (a Discord PATCH): not before the platform allows.
pub async fn withdraw_stop(
    platform: &dyn ChatPlatform,
    budget: &EditBudget,
    placeholder: &MessageRef,
) {
    tokio::time::sleep_until(budget.next_final()).await;
    match platform
        .withdraw_control(placeholder, &ControlKind::Stop)
        .await
    {
        Ok(()) => budget.spent(),
        Err(e) => tracing::warn!(error = %e, "cannot withdraw the Stop control"),
    }
}
