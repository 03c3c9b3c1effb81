//! An admin's `suggestions` in the chat: the questions asked again and
//! again that the semantic model missed, to the admin alone. Reading them
//! is a read of the audit, recorded before it is done.

use serde_json::json;

use super::reply::Reply;
use super::{Bot, Listeners, actor_of};
use crate::i18n::Feedback;
use crate::identity::Permission;
use crate::semantic::suggest::{missed_since, suggestions};

/// The fewest times a question must have been asked to be listed.
const LEAST: usize = 2;
/// The most listed in one message.
const SHOWN: usize = 10;

impl Bot {
    pub(super) async fn suggestions_answer(
        &self,
        to: &Listeners<'_>,
    ) -> Result<Reply<'_>, Reply<'_>> {
        let user = self.authorize(to, Permission::Administer).await?;
        let Ok(sql) = &self.parts().sql else {
            return Err(self.sql_unavailable());
        };
        let audit = &self.parts().audit;
        audit
            .record_read(
                actor_of(&user, to.actor),
                Some(to.place.clone()),
                "chat",
                json!({"action": "suggestions"}),
            )
            .await
            .map_err(Reply::unrecorded(
                "audit a read of the audit; not reading it",
            ))?;
        let missed = missed_since(audit, None)
            .await
            .map_err(Reply::unrecorded("read the audit"))?;
        let definitions = sql
            .semantic()
            .map(|s| s.definitions.clone())
            .unwrap_or_default();
        let found = suggestions(&missed, LEAST, &definitions);
        if found.is_empty() {
            return Ok(Reply::Tell(Feedback::NoSuggestions { least: LEAST }.into()));
        }
        let lang = self.lang();
        let mut out = Feedback::SuggestionsListed {
            shown: found.len().min(SHOWN),
            total: found.len(),
            least: LEAST,
        }
        .render(lang);
        for (i, s) in found.iter().take(SHOWN).enumerate() {
            let near = if s.near.is_empty() {
                "—".to_owned()
            } else {
                s.near.join(", ")
            };
            out.push('\n');
            out.push_str(
                &Feedback::Suggestion {
                    number: i + 1,
                    question: &pstral_chat::shown(&s.question),
                    asked: s.asked,
                    left_to_the_model: s.left_to_the_model,
                    marked_wrong: s.marked_wrong,
                    near: &near,
                }
                .render(lang),
            );
        }
        // The list is cut to the message, never the way to act on it.
        let how = Feedback::SuggestionsHow.render(lang);
        let max = to.platform.limits().max_message_chars;
        let room = max.saturating_sub(how.chars().count() + 1);
        let mut said: String = out.chars().take(room).collect();
        said.push('\n');
        said.push_str(&how);
        Ok(Reply::Said(said))
    }
}
