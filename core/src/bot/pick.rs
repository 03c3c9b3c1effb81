//! Asking back, and the pick that answers it. When the bot doubts how to
//! read a question (`sql.ask_back`), it shows the readings in words and
//! keeps them with the conversation; the asker picks one (a button, a
//! reaction, a numbered reply, `pick N`) and gets that reading's statement,
//! judged now for who reads the place now, and offered as any other (so
//! "correct" on its result keeps it, plan and all, as an example). Each
//! pick is audited before anything is shown.

use pstral_chat::{ChatPlatform, ControlKind, MessageRef, ReadingRef};
use serde_json::json;

use super::ask::{Turn, judged_event};
use super::reply::Reply;
use super::{Bot, Listeners, actor_of};
use crate::audit::{EventKind, NewEvent};
use crate::conversation::{Conversation, Shown};
use crate::i18n::{Audit, Doubted, Readings};
use crate::identity::{Permission, User};
use crate::sql_target::answer::{Drawn, Judged, SqlAnswer};
use crate::sql_target::readings::Reading;

/// What a numbered reply to a question asked back says: a reading's
/// number alone ("2", "#2", "2."), 1 to 9.
pub(super) fn number_in(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    let t = t.strip_suffix(['.', ')']).unwrap_or(t).trim();
    t.parse().ok().filter(|n| (1..=9).contains(n))
}

impl Bot {
    /// Keeps the readings shown on `asked` (the bot's message that asked
    /// back, which says how to pick one) and offers a control for each.
    /// Without the record nothing could be picked: the asker is told so.
    pub(super) async fn ask_back(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        asked: &MessageRef,
        readings: &[Reading],
    ) {
        let plans: Vec<String> = readings.iter().map(|r| r.plan.to_json()).collect();
        let shown: Vec<Shown<'_>> = readings
            .iter()
            .zip(&plans)
            .map(|(r, plan)| Shown {
                words: &r.words,
                plan,
                sql: &r.sql,
            })
            .collect();
        self.keep_readings(platform, turn, asked, &shown).await;
    }

    /// The free path's question asked back: the model's own queries
    /// disagree ([`Drawn::asks`]), so the distinct ones are shown, the most
    /// written first, in reply to its answer (`after`, whose statements are
    /// `first`), and the asker picks one; nothing is offered before. The
    /// first answer's statements are audited as judged (a refused one says
    /// why, as when offered), the queries asked about with their number.
    /// False when the question does not fit in one message or cannot be
    /// posted: the answer is then offered as usual.
    pub(super) async fn ask_back_statements(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        after: &MessageRef,
        drawn: &Drawn,
        first: &[Judged],
    ) -> bool {
        let lang = crate::learn::text::language_of(turn.question, self.lang());
        let statements: Vec<&str> = drawn
            .choices
            .iter()
            .filter_map(|j| {
                j.verdict
                    .as_ref()
                    .ok()
                    .map(|(valid, _)| valid.text.as_str())
            })
            .collect();
        let blocks: Vec<String> = statements
            .iter()
            .map(|sql| format!("\n```sql\n{sql}\n```"))
            .collect();
        let limits = platform.limits();
        let text = format!(
            "{}\n{}",
            Readings::AskBack {
                why: Doubted::Tries {
                    of: drawn.answers.len() + 1,
                },
                readings: &blocks,
            }
            .render(lang),
            Readings::PickHow {
                count: blocks.len(),
                buttons: limits.buttons,
                prefix: limits.command_prefix,
            }
            .render(lang)
        );
        if text.chars().count() > limits.max_message_chars {
            tracing::info!(
                chars = text.chars().count(),
                "the queries asked back about do not fit in a message: the answer is offered"
            );
            return false;
        }
        let posted = match platform.post(&after.place, Some(&after.id), &text).await {
            Ok(posted) => posted,
            Err(e) => {
                tracing::warn!(error = %e, "cannot ask back which query is meant");
                return false;
            }
        };
        self.keep_said(turn.conversation.id, &posted.id, &text)
            .await;
        // Recorded before anything may be picked: the first answer's
        // statements that are not asked about, then those that are.
        let asked_about = |j: &Judged| {
            j.verdict
                .as_ref()
                .is_ok_and(|(valid, _)| statements.contains(&valid.text.as_str()))
        };
        let mut events: Vec<NewEvent> = first
            .iter()
            .filter(|j| !asked_about(j))
            .map(|j| judged_event(turn, &after.place, j))
            .collect();
        for (number, choice) in (1u32..).zip(&drawn.choices) {
            let mut event = judged_event(turn, &after.place, choice);
            event.payload["asked_back"] = json!(number);
            events.push(event);
        }
        let to = Listeners::everyone(platform, turn.author, &after.place, Some(&after.id));
        for event in events {
            if !self.record(event, "record a statement judged").await {
                self.report(&to, Reply::Tell(Audit::Unavailable.into()))
                    .await;
                return true;
            }
        }
        for refused in first.iter().filter_map(|j| j.verdict.as_ref().err()) {
            self.report(&to, Reply::Said(refused.reason.clone())).await;
        }
        let shown: Vec<Shown<'_>> = statements
            .iter()
            .map(|sql| Shown {
                words: "",
                plan: "",
                sql,
            })
            .collect();
        self.keep_readings(platform, turn, &posted, &shown).await;
        true
    }

    /// Keeps `shown`, the readings asked back about on the bot's message
    /// `asked`, and offers a pick control for each.
    async fn keep_readings(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        asked: &MessageRef,
        shown: &[Shown<'_>],
    ) {
        let ids = self
            .parts()
            .conversations
            .record_readings(
                turn.conversation.id,
                &asked.place,
                &asked.id,
                crate::conversation::Asked {
                    question: turn.question,
                    by: turn.user.id,
                    language: crate::learn::text::language_of(turn.question, self.lang()),
                    plan: None,
                },
                shown,
            )
            .await;
        let ids = match ids {
            Ok(ids) => ids,
            Err(e) => {
                let to = Listeners::everyone(platform, turn.author, &asked.place, Some(&asked.id));
                let reply = Reply::unrecorded("keep the readings asked back")(e);
                self.report(&to, reply).await;
                return;
            }
        };
        for (number, id) in (1u32..).zip(ids) {
            let control = ControlKind::Pick {
                number,
                reference: Some(ReadingRef {
                    conversation: turn.conversation.id,
                    reading: id,
                }),
            };
            if let Err(e) = platform.show_control(asked, &control).await {
                tracing::warn!(error = %e, "cannot offer a pick");
            }
        }
    }

    /// Reading `number` picked by `to.actor`: of the question asked back
    /// on message `asked_on`, or of the latest one here. `claimed` is what
    /// a control said it stands for, checked against the store.
    pub(super) async fn pick(
        &self,
        to: &Listeners<'_>,
        asked_on: Option<&str>,
        number: u32,
        claimed: Option<ReadingRef>,
    ) {
        let (Ok(reply) | Err(reply)) = self.picked(to, asked_on, number, claimed).await;
        self.report(to, reply).await;
    }

    async fn picked(
        &self,
        to: &Listeners<'_>,
        asked_on: Option<&str>,
        number: u32,
        claimed: Option<ReadingRef>,
    ) -> Result<Reply<'_>, Reply<'_>> {
        let user = self.authorize(to, Permission::Chat).await?;
        let conversations = &self.parts().conversations;
        let stored = conversations
            .reading(to.place, asked_on, user.id, number)
            .await
            .map_err(Reply::unrecorded("read the readings asked back"))?;
        let forged = match (&stored, claimed) {
            (Some(r), Some(c)) => r.id != c.reading || r.conversation_id != c.conversation,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if forged {
            self.refuse_control(
                to.platform,
                Some(&user),
                to.actor,
                to.place,
                asked_on,
                json!({"pick": number, "claimed": claimed.map(|c| c.reading)}),
            )
            .await;
            return Err(Reply::Silent);
        }
        let Some(reading) = stored else {
            return Err(Reply::Tell(Readings::NothingToPick { number }.into()));
        };
        // The readings are the asker's: how their question is read is
        // theirs to say.
        if reading.asked_by != user.id {
            return Err(Reply::Tell(Readings::PickIsTheAskers.into()));
        }
        let conversation = conversations
            .get(reading.conversation_id)
            .await
            .map_err(Reply::unrecorded("read the conversation of a reading"))?
            .ok_or(Reply::Tell(Readings::NothingToPick { number }.into()))?;
        // Judged for who reads the place now, before anything of it is
        // shown: the reading was written for who read it when asked.
        let Ok(runtime) = &self.parts().sql else {
            return Err(self.sql_unavailable());
        };
        let people = self
            .readers_of(to.platform, to.actor, to.place, user.id, runtime)
            .await
            .map_err(Reply::unrecorded("read the groups of who reads the answer"))?;
        let reader = runtime.for_readers(&people);
        let sql = SqlAnswer {
            runtime: &reader,
            llm: &self.parts().llm,
            prompts: &self.parts().prompts,
            lang: self.lang(),
            measured: false,
            ranked: Default::default(),
        };
        let judged = sql.judge_compiled(&reading.sql_text).await;
        if let Some(Err(refused)) = judged.first().map(|j| &j.verdict) {
            return Err(Reply::Said(refused.reason.clone()));
        }
        // Answered once, however often the pick arrives.
        let claimed = conversations
            .claim_pick(reading.id)
            .await
            .map_err(Reply::unrecorded("note a reading picked"))?;
        if !claimed {
            return Err(Reply::Tell(Readings::AlreadyPicked { number }.into()));
        }
        let event = NewEvent::new(
            EventKind::ReadingPicked,
            actor_of(&user, to.actor),
            json!({
                "conversation": conversation.id,
                "message": reading.message_id,
                "number": number,
                "question": reading.question,
                "plan": reading.plan(),
                "sql": reading.sql_text,
            }),
        )
        .at(to.place.clone());
        if !self.record(event, "record a reading picked").await {
            if let Err(e) = conversations.release_pick(reading.id).await {
                self.unrecorded("give back a pick that was not recorded", &e);
            }
            return Err(Reply::Tell(Audit::Unavailable.into()));
        }
        self.offer_picked(to, &user, &conversation, &reading, judged)
            .await?;
        Ok(Reply::Silent)
    }

    /// The picked reading's answer, posted under the message that asked,
    /// kept in the conversation, and its statement (`judged`) offered.
    async fn offer_picked(
        &self,
        to: &Listeners<'_>,
        user: &User,
        conversation: &Conversation,
        reading: &crate::conversation::StoredReading,
        judged: Vec<crate::sql_target::answer::Judged>,
    ) -> Result<(), Reply<'_>> {
        // In the asker's language, as the readings were.
        let lang = crate::learn::text::language_of(&reading.question, self.lang());
        let number = u32::try_from(reading.number).unwrap_or(0);
        // A query of the model's own is shown as it is; a plan's, read.
        let shown = match reading.plan() {
            Some(_) => Readings::PlanAnswer {
                reading: &reading.words,
                confirmed: None,
                sql: &reading.sql_text,
            }
            .render(lang),
            None => format!("```sql\n{}\n```", reading.sql_text),
        };
        let text = format!("{}\n{shown}", Readings::Picked { number }.render(lang));
        let posted = to
            .platform
            .post(to.place, Some(&reading.message_id), &text)
            .await
            .map_err(|e| Reply::Failed {
                what: "post a picked reading",
                error: e.to_string(),
                tell: Readings::NothingToPick { number }.into(),
            })?;
        self.keep_said(conversation.id, &posted.id, &text).await;
        let turn = Turn {
            user,
            author: to.actor,
            conversation,
            question: &reading.question,
            plan: reading.plan(),
        };
        self.offer_sql(to.platform, &turn, &posted, &text, judged)
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::number_in;

    #[test]
    fn a_reply_that_is_a_number_alone_picks_it() {
        assert_eq!(number_in("2"), Some(2));
        assert_eq!(number_in(" #3 "), Some(3));
        assert_eq!(number_in("1."), Some(1));
        assert_eq!(number_in("0"), None);
        assert_eq!(number_in("12"), None);
        assert_eq!(number_in("2 please, by month"), None);
    }
}
