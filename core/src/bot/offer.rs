//! What a finished SQL answer offers: its statements judged and offered
//! (shown only, without a target), the statement most drawn answers agree
//! on, or the one repair round, and the Execute control of each statement
//! that may run.

use std::time::Instant;

use pstral_chat::{ChatPlatform, ControlKind, MessageRef, StatementRef};

use super::ask::{Asking, Messages, Turn, judged_event, last_of};
use super::reply::Reply;
use super::{Bot, Listeners};
use crate::i18n::{Audit, Results, Sql, Text};
use crate::sql_target::answer::{Agreed, Ended, Judged, SqlAnswer};
use crate::stream::Streamed;

impl Bot {
    /// A finished SQL answer: its statements judged and offered (shown
    /// only, without a target), then the statement most drawn answers
    /// agree on, or the one repair round.
    pub(super) async fn offer_answer(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        sql: Option<&SqlAnswer<'_>>,
        messages: &Messages<'_>,
        (streamed, ended): (&Streamed, Ended),
        compiled: Option<&str>,
    ) {
        let Some(sql) = sql else {
            // No target: the SQL is shown, not offered, and the asker told why.
            self.offer_sql(
                platform,
                turn,
                last_of(streamed),
                &streamed.answer,
                Vec::new(),
            )
            .await;
            return;
        };
        // A plan's statement is the one the bot wrote, judged as written.
        let judged = match compiled {
            Some(statement) => sql.judge_compiled(statement).await,
            None => sql.judge(&streamed.answer, ended).await,
        };
        // The free path's messages serve a repair round and more answers
        // drawn: built only when one of those may be asked.
        let messages = if sql.needs_free_messages(&judged, ended) {
            messages.get().await
        } else {
            &[]
        };
        let repair = sql.repair(messages, &streamed.answer, &judged, ended);
        // The model's own queries may be asked back about when they
        // disagree (`sql.ask_back` names "split"): then the further answers
        // are drawn before anything is offered.
        let ask_back = &sql.runtime.plan_votes.ask_back;
        let weighed_first = compiled.is_none() && ask_back.contains(&crate::sql::Doubt::Split);
        let mut drawn = None;
        if weighed_first {
            drawn = sql.vote(turn.user.id, messages, &judged).await;
            if let Some(split) = drawn.as_ref().filter(|d| d.asks(ask_back))
                && self
                    .ask_back_statements(platform, turn, last_of(streamed), split, &judged)
                    .await
            {
                return;
            }
        }
        if !self
            .offer_sql(
                platform,
                turn,
                last_of(streamed),
                &streamed.answer,
                judged.clone(),
            )
            .await
        {
            return;
        }
        // What follows is the model's own SQL, compiled from no plan.
        let turn = &Turn {
            plan: None,
            ..*turn
        };
        if !weighed_first {
            drawn = sql.vote(turn.user.id, messages, &judged).await;
        }
        // More answers drawn: the statement most agree on is offered too
        // when the first answer did not offer it, and then no repair is
        // asked for.
        if let Some(drawn) = drawn {
            tracing::info!(
                drawn = drawn.answers.len(),
                votes = drawn.agreed.as_ref().map(|a| a.votes),
                first = drawn.agreed.as_ref().map(|a| a.candidate == 0),
                "answers drawn"
            );
            if let Some(agreed) = drawn.agreed.filter(|a| a.candidate != 0) {
                self.offer_agreed(platform, turn, last_of(streamed), &judged, agreed)
                    .await;
                return;
            }
        }
        if let Some(repair) = repair {
            self.repair_round(platform, turn, sql, streamed, repair)
                .await;
        }
    }

    /// The one repair round: its answer streams as a new reply to the
    /// answer `streamed`, and is judged again, without a second repair.
    async fn repair_round(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        sql: &SqlAnswer<'_>,
        streamed: &Streamed,
        repair: Vec<crate::llm::ChatMessage>,
    ) {
        let last = &streamed.parts.last().expect("an answer has a part").message;
        let started = Instant::now();
        // A repair round answers no question of its own (null in its
        // record, as here).
        let about = crate::replicas::About {
            conversation: Some(turn.conversation.id),
            question: None,
            user_id: Some(turn.user.id),
            identity: Some(turn.author.to_string()),
        };
        let answered = self
            .answer(
                platform,
                &last.place,
                &last.id,
                (turn.user, &about),
                &Asking::model(&Messages::Ready(repair)),
            )
            .await;
        self.record_answer(
            turn.user,
            turn.author,
            &last.place,
            (turn.conversation, None),
            &answered,
            started,
        )
        .await;
        if let Some(repaired) = &answered.streamed
            && let Some(ended) = Ended::of(&repaired.ending)
        {
            let judged = sql.judge(&repaired.answer, ended).await;
            self.offer_sql(platform, turn, last_of(repaired), &repaired.answer, judged)
                .await;
        }
    }

    /// Posts the statement most drawn answers agree on, numbered after the
    /// first answer's, in reply to it, and offers it. Not posted when it
    /// does not fit in one message: a control must never run text that
    /// cannot be read.
    async fn offer_agreed(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        after: &MessageRef,
        first: &[Judged],
        agreed: Agreed,
    ) {
        let Ok((valid, _)) = &agreed.statement.verdict else {
            return;
        };
        let index = first.iter().map(|j| j.index).max().unwrap_or(0) + 1;
        let text = Sql::Agreed {
            votes: agreed.votes,
            of: agreed.of,
            index,
            sql: &valid.text,
        }
        .render(self.lang());
        if text.chars().count() > platform.limits().max_message_chars {
            tracing::info!(
                chars = text.chars().count(),
                "the statement most answers agree on does not fit in a message: not offered"
            );
            return;
        }
        let posted = match platform.post(&after.place, Some(&after.id), &text).await {
            Ok(posted) => posted,
            Err(e) => {
                tracing::warn!(error = %e, "cannot post the statement most answers agree on");
                return;
            }
        };
        let statement = Judged {
            index,
            ..agreed.statement
        };
        self.offer_sql(platform, turn, &posted, &text, vec![statement])
            .await;
    }

    /// Offers each statement of a complete answer that may run and says why
    /// for the others, each verdict audited. With no target, says once why
    /// nothing is offered when the answer holds SQL. Returns false when the
    /// audit failed (nothing more is done for this answer).
    pub(super) async fn offer_sql(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        last: &MessageRef,
        answer: &str,
        judged: Vec<Judged>,
    ) -> bool {
        let place = &last.place;
        // What is said of the statements answers the answer, for everyone.
        let to = Listeners::everyone(platform, turn.author, place, Some(&last.id));
        if let Err(no_target) = &self.parts().sql {
            // Not configured: nothing to offer, nothing to apologise for.
            if let super::NoTarget::Unavailable(reason) = no_target
                && !crate::sql::extract::extract(answer).is_empty()
            {
                self.report(
                    &to,
                    Reply::Tell(Results::ExecuteUnavailable { reason }.into()),
                )
                .await;
            }
            return true;
        }
        for statement in judged {
            let event = judged_event(turn, place, &statement);
            if !self.record(event, "record a statement judged").await {
                self.report(&to, Reply::Tell(Audit::Unavailable.into()))
                    .await;
                return false;
            }
            match statement.verdict {
                Err(unoffered) => self.report(&to, Reply::Said(unoffered.reason)).await,
                Ok((valid, rows)) => {
                    self.offer_statement(platform, turn, last, statement.index, &valid, rows)
                        .await;
                }
            }
        }
        true
    }

    /// Records a statement that may run under the answer `last`, shows its
    /// Execute control and says how to run it. A statement that cannot be
    /// recorded is not offered (its control would name nothing).
    async fn offer_statement(
        &self,
        platform: &dyn ChatPlatform,
        turn: &Turn<'_>,
        last: &MessageRef,
        index: u32,
        valid: &crate::sql::validate::Validated,
        rows: Option<u64>,
    ) {
        let place = &last.place;
        let recorded = self
            .parts()
            .conversations
            .record_statement(
                turn.conversation.id,
                place,
                &last.id,
                crate::conversation::Offered {
                    index,
                    sql: &valid.text,
                    dialect: valid.dialect,
                },
                crate::conversation::Asked {
                    question: turn.question,
                    by: turn.user.id,
                    language: crate::learn::text::language_of(turn.question, self.lang()),
                    plan: turn.plan,
                },
            )
            .await;
        let recorded = match recorded {
            Ok(id) => id,
            Err(e) => {
                self.unrecorded("record a statement", &e);
                return;
            }
        };
        let control = ControlKind::Execute {
            statement: index,
            reference: Some(StatementRef {
                conversation: turn.conversation.id,
                statement: recorded,
            }),
        };
        if let Err(e) = platform.show_control(last, &control).await {
            tracing::warn!(error = %e, "cannot offer Execute");
        }
        self.say(
            platform,
            place,
            Some(&last.id),
            Text::Sql(Sql::Ready {
                index,
                rows,
                buttons: platform.limits().buttons,
                prefix: platform.limits().command_prefix,
            }),
        )
        .await;
    }
}
