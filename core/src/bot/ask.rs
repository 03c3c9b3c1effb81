//! A question answered: its author resolved and audited, its conversation
//! and mode found, the model's answer streamed into a placeholder with a Stop
//! control, then stored and audited; in SQL mode, each statement of the
//! answer judged and offered ([`super::offer`]).

use std::time::Instant;

use pstral_chat::{ChatPlatform, MessageRef, Place, PlatformIdentity};
use serde_json::json;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::reply::Reply;
use super::{Bot, Listeners, Question, actor_of};
use crate::audit::{EventKind, NewEvent};
use crate::conversation::{Conversation, Mode, NewMessage, Speaker, StoredMessage, assemble};
use crate::i18n::{Answer, Lang, Readings};
use crate::identity::{Permission, User};
use crate::llm::{ChatMessage, LlmError};
use crate::sql_target::answer::{Ended, Judged, Planned, Previous, SqlAnswer};
use crate::stream::placeholder::Answering;
use crate::stream::{Ending, Streamed};

/// Who asked what, in which conversation: what every step of a SQL answer
/// records its verdicts under.
#[derive(Clone, Copy)]
pub(super) struct Turn<'a> {
    pub user: &'a User,
    pub author: &'a PlatformIdentity,
    pub conversation: &'a Conversation,
    pub question: &'a str,
    /// The plan (JSON) the offered statement was compiled from: kept with
    /// it, so that "correct" keeps it with the example.
    pub plan: Option<&'a str>,
}

/// How an answer went, for its record.
pub(super) struct Answered {
    pub(super) streamed: Option<Streamed>,
    stopped_by: Option<String>,
    /// The plan it was compiled from, when the semantic path answered.
    plan: Option<PlanShown>,
}

/// What the semantic path answered with.
#[derive(Debug, Clone)]
pub(super) enum PlanShown {
    /// A statement compiled from a plan (JSON); `reused`: the example
    /// confirmed for the same question whose plan it is.
    Compiled {
        plan: String,
        sql: String,
        reused: Option<i64>,
        /// The whole question, when it followed an earlier answer's plan
        /// (the earlier question, then this one): what the statement is
        /// kept under, and "correct" makes an example of.
        follows: Option<String>,
        /// As in `Asked`: the doubts raised (none on the signals
        /// `sql.ask_back` names) and the votes.
        doubts: Vec<&'static str>,
        votes: Vec<usize>,
    },
    /// The bot doubted its reading and asked which is meant.
    Asked {
        readings: Vec<crate::sql_target::readings::Reading>,
        /// As in `Compiled`.
        follows: Option<String>,
        /// The signals of doubt raised, and how many plans drawn gave each
        /// reading.
        doubts: Vec<&'static str>,
        votes: Vec<usize>,
        /// The asker's language, which the readings are in.
        lang: Lang,
    },
    /// A value the data does not hold was said.
    Said,
}

/// Where an answer comes from: the model's SQL for `messages`, or first a
/// plan of the target's semantic model for `question` (`values`: the
/// asker may read data, so the prompt may show it), changing `previous`
/// when the question follows an answer that had one.
pub(super) struct Asking<'a> {
    pub messages: &'a Messages<'a>,
    pub plan: Option<(&'a SqlAnswer<'a>, &'a str, bool)>,
    pub previous: Option<Previous>,
}

impl<'a> Asking<'a> {
    pub(super) fn model(messages: &'a Messages<'a>) -> Self {
        Self {
            messages,
            plan: None,
            previous: None,
        }
    }
}

/// The messages the model is asked with on the free path: ready, or for a
/// SQL question built the first time they are needed (a question the plan
/// path answers needs none: no prompt of the tables, no examples chosen).
pub(super) enum Messages<'a> {
    Ready(Vec<ChatMessage>),
    Sql {
        sql: &'a SqlAnswer<'a>,
        question: &'a str,
        history: &'a [StoredMessage],
        /// Whether the prompt may show the data's values.
        values: bool,
        built: tokio::sync::OnceCell<Vec<ChatMessage>>,
    },
}

impl Messages<'_> {
    /// The messages, built now if they were not.
    pub(super) async fn get(&self) -> &[ChatMessage] {
        match self {
            Messages::Ready(messages) => messages,
            Messages::Sql {
                sql,
                question,
                history,
                values,
                built,
            } => {
                built
                    .get_or_init(|| async {
                        let (messages, context) =
                            sql.messages(question, history, &|_| false, *values).await;
                        if let Some(ranking) = context.examples.ranking {
                            tracing::info!(
                                examples = ?context.examples.ids(),
                                ranking = ranking.as_str(),
                                "examples shown to the model"
                            );
                        }
                        messages
                    })
                    .await
            }
        }
    }
}

impl Bot {
    /// The groups of each person who reads the answer to a question: the
    /// asker's, then, in a place others read and while some group reads
    /// less than the target's account, each reader's the platform lists
    /// (someone not linked is in no group). A place whose readers cannot be
    /// listed is answered for the asker (its rows, when run, go privately).
    pub(super) async fn readers_of(
        &self,
        platform: &dyn ChatPlatform,
        asker: &PlatformIdentity,
        place: &Place,
        user: i64,
        runtime: &crate::sql_target::SqlRuntime,
    ) -> Result<Vec<Vec<String>>, crate::identity::IdentityError> {
        let mut people = vec![self.parts().directory.groups_of(user).await?];
        if place.private || !runtime.readers.restrict() {
            return Ok(people);
        }
        // A room whose readers cannot be listed is answered for the asker
        // (and rows run from it go privately).
        let readers = self.audience_groups(platform, place, asker).await;
        for groups in readers.unwrap_or_default() {
            if !people.contains(&groups) {
                people.push(groups);
            }
        }
        Ok(people)
    }

    pub(super) async fn question(&self, platform: &dyn ChatPlatform, q: Question<'_>) {
        let place = &q.message.place;
        if self.reply_picks(platform, &q).await {
            return;
        }
        let to = Listeners::everyone(platform, q.author, place, Some(q.message.id.as_str()));
        let (user, conversation, history) = match self.admit(&to, &q).await {
            Ok(admitted) => admitted,
            Err(reply) => {
                self.report(&to, reply).await;
                return;
            }
        };
        // The target as this person may see it: what their groups hide is
        // left out of the prompt, and not offered.
        let reader = match (&self.parts().sql, conversation.mode) {
            (Ok(runtime), Mode::Sql) => match self
                .readers_of(platform, q.author, place, user.id, runtime)
                .await
            {
                Ok(people) => Some(runtime.for_readers(&people)),
                Err(e) => {
                    let reply = Reply::unrecorded("read the groups of who reads the answer")(e);
                    self.report(&to, reply).await;
                    return;
                }
            },
            _ => None,
        };
        let sql = match (&reader, conversation.mode) {
            (Some(runtime), Mode::Sql) => Some(SqlAnswer {
                runtime,
                llm: &self.parts().llm,
                prompts: &self.parts().prompts,
                lang: self.lang(),
                measured: false,
                ranked: Default::default(),
            }),
            _ => None,
        };
        // The target's values are its data: only for who may read it.
        let values = user.role.allows(Permission::Execute);
        let messages = match &sql {
            Some(sql) => Messages::Sql {
                sql,
                question: q.text,
                history: &history,
                values,
                built: tokio::sync::OnceCell::new(),
            },
            None => {
                let context = crate::learn::PromptContext::default();
                let system = self.parts().prompts.system(
                    conversation.mode,
                    self.lang(),
                    self.parts().sql_dialect,
                    &context,
                );
                Messages::Ready(assemble(system, &history, q.text))
            }
        };
        let started = Instant::now();
        // The semantic path first, where the target has definitions; the
        // free path's prompt is built only if the question goes there.
        let plan = sql
            .as_ref()
            .filter(|s| s.runtime.semantic().is_some())
            .map(|s| (s, q.text, values));
        // A question in a thread or a reply chain may follow an answer
        // that had a plan: the one it replies to, else the thread's newest.
        let previous = match plan {
            Some(_) if conversation.root != q.message.id => {
                self.plan_to_follow(&q, &conversation, user.id).await
            }
            _ => None,
        };
        let asking = Asking {
            messages: &messages,
            plan,
            previous,
        };
        let about = crate::replicas::About {
            conversation: Some(conversation.id),
            question: Some(q.message.id.clone()),
            user_id: Some(user.id),
            identity: Some(q.author.to_string()),
        };
        let answered = self
            .answer(platform, place, &q.message.id, (&user, &about), &asking)
            .await;
        self.record_answer(
            &user,
            q.author,
            place,
            (&conversation, Some(&q.message.id)),
            &answered,
            started,
        )
        .await;
        self.after_answer(
            platform,
            &q,
            (&user, &conversation),
            &answered,
            sql.as_ref(),
            &messages,
        )
        .await;
    }

    /// Whether `q` is a number alone in reply to a question the bot asked
    /// back: then it is the asker's pick, taken here, and no question.
    async fn reply_picks(&self, platform: &dyn ChatPlatform, q: &Question<'_>) -> bool {
        let place = &q.message.place;
        let Some(replied) = q.in_reply_to else {
            return false;
        };
        let Some(number) = super::pick::number_in(q.text) else {
            return false;
        };
        if !self
            .parts()
            .conversations
            .readings_on(place, replied)
            .await
            .is_ok_and(|n| n > 0)
        {
            return false;
        }
        let to = Listeners::only_actor(platform, q.author, place, Some(q.message.id.as_str()));
        self.pick(&to, Some(replied), number, None).await;
        true
    }

    /// The plan of the answer `q` may follow: the one it replies to, else
    /// its thread's newest.
    async fn plan_to_follow(
        &self,
        q: &Question<'_>,
        conversation: &Conversation,
        user: i64,
    ) -> Option<Previous> {
        self.parts()
            .conversations
            .plan_to_follow(conversation.id, q.in_reply_to, user)
            .await
            .unwrap_or_else(|e| {
                self.unrecorded("read the plan a question may follow", &e);
                None
            })
            .map(|(question, plan)| Previous {
                question,
                plan,
                replied: q.in_reply_to.is_some(),
            })
    }

    /// What follows a SQL answer: nothing when it was stopped or said that
    /// the data does not hold a value, the question asked back when the
    /// plans disagree, else its statements offered ([`Bot::offer_answer`]).
    async fn after_answer(
        &self,
        platform: &dyn ChatPlatform,
        q: &Question<'_>,
        (user, conversation): (&User, &Conversation),
        answered: &Answered,
        sql: Option<&SqlAnswer<'_>>,
        messages: &Messages<'_>,
    ) {
        // An answer the model ran on (its length bound, a loop) still
        // offers the statements it finished; one someone stopped, none.
        let Some((streamed, ended)) = answered
            .streamed
            .as_ref()
            .filter(|_| conversation.mode == Mode::Sql)
            .and_then(|s| Some((s, Ended::of(&s.ending)?)))
        else {
            return;
        };
        // A value the data does not hold was said: nothing to offer, and
        // nothing for the model to repair.
        if matches!(answered.plan, Some(PlanShown::Said)) {
            return;
        }
        // Asked back: nothing is offered before the asker picks a reading.
        if let Some(PlanShown::Asked {
            readings, follows, ..
        }) = &answered.plan
        {
            let turn = Turn {
                user,
                author: q.author,
                conversation,
                question: follows.as_deref().unwrap_or(q.text),
                plan: None,
            };
            self.ask_back(platform, &turn, last_of(streamed), readings)
                .await;
            return;
        }
        let (compiled, plan, whole) = match &answered.plan {
            Some(PlanShown::Compiled {
                sql, plan, follows, ..
            }) => (Some(sql.as_str()), Some(plan.as_str()), follows.as_deref()),
            _ => (None, None, None),
        };
        let turn = Turn {
            user,
            author: q.author,
            conversation,
            question: whole.unwrap_or(q.text),
            plan,
        };
        self.offer_answer(platform, &turn, sql, messages, (streamed, ended), compiled)
            .await;
    }

    /// Posts the placeholder and streams the model's answer into it.
    pub(super) async fn answer(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        question_id: &str,
        // Who asks, and what the record of an answer left open says.
        (user, about): (&User, &crate::replicas::About),
        asking: &Asking<'_>,
    ) -> Answered {
        let thinking = Answer::Thinking.render(self.lang());
        let budgets = &self.inner.edit_budgets;
        let mut answering =
            match Answering::post(platform, budgets, place, question_id, thinking).await {
                Ok(answering) => answering,
                Err(e) => {
                    tracing::error!(error = %e, "cannot post the placeholder");
                    return Answered {
                        streamed: None,
                        stopped_by: None,
                        plan: None,
                    };
                }
            };
        let placeholder = answering.message().clone();
        // Kept until the answer ends: should this process die first, the
        // next one ends it (`Bot::end_interrupted`).
        let journal = self.parts().replica.opened(&placeholder, about).await;
        let writing = self.inner.answers.start(&placeholder.id, place, user.id);
        let stop = writing.stop.clone();
        answering.offer_stop().await;

        let (position, positions) = watch::channel(0usize);
        let shown = self.show_position(platform, &placeholder, positions, &stop);
        let stop_waiting = stop.clone();
        let ask = async move {
            let asked = tokio::select! {
                r = self.source(user, asking, &position) => Some(r),
                () = stop_waiting.cancelled() => None,
            };
            // Whatever happened, the position display is over.
            drop(position);
            asked
        };
        let (asked, last_shown) = tokio::join!(ask, shown);
        if let Some((text, changed)) = last_shown {
            answering.showed(text, changed);
        }
        // The model's tokens, its failure as the stream's one item, or
        // nothing when it was stopped while waiting.
        let mut plan = None;
        let tokens: futures_util::stream::BoxStream<'_, Result<String, LlmError>> = match asked {
            Some(Ok(Source::Tokens(tokens))) => Box::pin(tokens.into_stream()),
            Some(Ok(Source::Planned(text, shown))) => {
                // A question asked back says how to pick, in the platform's
                // way, in the message a reply to picks from.
                let text = match &shown {
                    PlanShown::Asked { readings, lang, .. } => {
                        let limits = platform.limits();
                        let how = Readings::PickHow {
                            count: readings.len(),
                            buttons: limits.buttons,
                            prefix: limits.command_prefix,
                        };
                        format!("{text}\n{}", how.render(*lang))
                    }
                    _ => text,
                };
                plan = Some(shown);
                Box::pin(futures_util::stream::iter([Ok(text)]))
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "the model could not answer");
                Box::pin(futures_util::stream::iter([Err(e)]))
            }
            None => Box::pin(futures_util::stream::empty()),
        };
        let streamed = answering
            .stream(tokens, &stop, self.lang(), journal.as_ref())
            .await;
        let stopped_by = writing.stopped_by();
        drop(writing);
        answering.withdraw_stop().await;
        if let Some(journal) = journal {
            journal.closed().await;
        }
        Answered {
            streamed: Some(streamed),
            stopped_by,
            plan,
        }
    }

    /// The answer's source: the plan's answer when the semantic path
    /// answers, else the model's tokens for the free path.
    async fn source(
        &self,
        user: &User,
        asking: &Asking<'_>,
        position: &watch::Sender<usize>,
    ) -> Result<Source, LlmError> {
        if let Some((sql, question, values)) = asking.plan {
            let (planned, trace) = sql
                .planned(
                    user.id,
                    question,
                    values,
                    &|_| false,
                    position,
                    asking.previous.as_ref(),
                )
                .await;
            if !trace.examples.is_empty() {
                tracing::info!(examples = ?trace.examples, "confirmed plans shown to the model");
            }
            let (doubts, votes) = trace
                .weighed
                .as_ref()
                .map(|w| (w.raised.iter().map(|d| d.as_str()).collect(), w.votes()))
                .unwrap_or_default();
            match planned {
                Planned::Compiled { answer, plan, sql } => {
                    let shown = PlanShown::Compiled {
                        reused: trace.reused,
                        plan: plan.to_json(),
                        sql,
                        follows: trace.follows,
                        doubts,
                        votes,
                    };
                    return Ok(Source::Planned(answer, shown));
                }
                Planned::Asked {
                    answer,
                    readings,
                    lang,
                } => {
                    let shown = PlanShown::Asked {
                        readings,
                        follows: trace.follows,
                        doubts,
                        votes,
                        lang,
                    };
                    return Ok(Source::Planned(answer, shown));
                }
                Planned::Said(said) => return Ok(Source::Planned(said, PlanShown::Said)),
                Planned::Free(why) => tracing::info!(
                    why = %why,
                    plans = ?trace.answers,
                    "the semantic model left the question to the model's own SQL"
                ),
            }
        }
        self.parts()
            .llm
            .ask(user.id, asking.messages.get().await, position)
            .await
            .map(Source::Tokens)
    }

    /// Shows the queue position in the placeholder while it changes, no
    /// faster than the platform allows. Returns the last text shown.
    pub(super) async fn show_position(
        &self,
        platform: &dyn ChatPlatform,
        placeholder: &MessageRef,
        mut positions: watch::Receiver<usize>,
        stop: &CancellationToken,
    ) -> Option<(String, tokio::time::Instant)> {
        let interval = platform.limits().min_edit_interval;
        let mut last: Option<(String, tokio::time::Instant)> = None;
        let mut next_edit = tokio::time::Instant::now() + interval;
        loop {
            tokio::select! {
                changed = positions.changed() => if changed.is_err() { return last },
                () = stop.cancelled() => return last,
            }
            if *positions.borrow_and_update() == 0 && last.is_none() {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep_until(next_edit) => {}
                () = stop.cancelled() => return last,
            }
            // The position may have moved on while waiting for the interval.
            // Out of the line, the model is loading or reading the prompt,
            // which may take minutes: say so rather than an old place.
            let position = *positions.borrow();
            let text = if position == 0 {
                Answer::Thinking.render(self.lang())
            } else {
                Answer::QueuePosition { position }.render(self.lang())
            };
            if last.as_ref().map(|(shown, _)| shown) != Some(&text)
                && platform.edit(placeholder, &text).await.is_ok()
            {
                let now = tokio::time::Instant::now();
                last = Some((text, now));
                next_edit = now + interval;
            }
        }
    }

    pub(super) async fn record_answer(
        &self,
        user: &User,
        author: &PlatformIdentity,
        place: &Place,
        // The conversation, and the message of the question answered
        // (none for a repair round's answer).
        (conversation, question): (&Conversation, Option<&str>),
        answered: &Answered,
        started: Instant,
    ) {
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let ending = match answered.streamed.as_ref().map(|s| &s.ending) {
            Some(Ending::Complete) => "complete",
            Some(Ending::Stopped) => "stopped",
            Some(Ending::Failed(_)) | None => "failed",
        };
        metrics::counter!("pstral_answers_total", "ending" => ending).increment(1);
        let payload = match &answered.streamed {
            None => json!({
                "conversation": conversation.id,
                "question": question,
                "ending": "failed",
                "error": "the answer could not be posted in the chat",
                "duration_ms": duration_ms,
            }),
            Some(streamed) => {
                if !streamed.answer.is_empty() {
                    self.keep_said(
                        conversation.id,
                        &streamed.first_message().id,
                        &streamed.answer,
                    )
                    .await;
                }
                let (ending, error) = match &streamed.ending {
                    Ending::Complete => ("complete", None),
                    Ending::Stopped => ("stopped", None),
                    Ending::Failed(e) => ("failed", Some(e.to_string())),
                };
                json!({
                    "conversation": conversation.id,
                    // The question's message, or null for a repair round's
                    // answer: what answers what, when two questions of one
                    // conversation are in flight.
                    "question": question,
                    "messages": streamed.parts.iter().map(|p| p.message.id.clone()).collect::<Vec<_>>(),
                    "ending": ending,
                    "error": error,
                    "stopped_by": answered.stopped_by,
                    "shown_until": streamed.shown_until,
                    "text": streamed.answer,
                    "pieces": streamed.pieces,
                    "edits": streamed.edits,
                    "duration_ms": duration_ms,
                    "path": if answered.plan.is_some() { "plan" } else { "free" },
                    "plan": match &answered.plan {
                        Some(PlanShown::Compiled { plan, .. }) => Some(plan.as_str()),
                        _ => None,
                    },
                    "reused_example": match &answered.plan {
                        Some(PlanShown::Compiled { reused, .. }) => *reused,
                        _ => None,
                    },
                    "follows": match &answered.plan {
                        Some(
                            PlanShown::Compiled { follows, .. } | PlanShown::Asked { follows, .. },
                        ) => follows.as_deref(),
                        _ => None,
                    },
                    "doubts": match &answered.plan {
                        Some(
                            PlanShown::Compiled { doubts, .. } | PlanShown::Asked { doubts, .. },
                        ) => Some(doubts),
                        _ => None,
                    },
                    "votes": match &answered.plan {
                        Some(
                            PlanShown::Compiled { votes, .. } | PlanShown::Asked { votes, .. },
                        ) => Some(votes),
                        _ => None,
                    },
                    "asked_back": match &answered.plan {
                        Some(PlanShown::Asked { readings, .. }) => Some(
                            readings.iter().map(|r| r.plan.to_json()).collect::<Vec<_>>(),
                        ),
                        _ => None,
                    },
                })
            }
        };
        let event =
            NewEvent::new(EventKind::Answer, actor_of(user, author), payload).at(place.clone());
        self.record(event, "audit an answer").await;
    }

    /// Keeps what the bot said as `message` in a conversation: the history
    /// the model reads next, and what an export shows.
    pub(super) async fn keep_said(&self, conversation: i64, message: &str, text: &str) {
        let stored = self
            .parts()
            .conversations
            .append(
                conversation,
                NewMessage {
                    speaker: Speaker::Assistant,
                    user_id: None,
                    platform_message_id: Some(message),
                    content: text,
                },
            )
            .await;
        if let Err(e) = stored {
            self.unrecorded("store an answer", &e);
        }
    }

    /// What a question holds that is no question: the link command, in
    /// words or (in a DM) as a bare invite code. `Err` when it goes no
    /// further.
    async fn no_code_in(&self, to: &Listeners<'_>, q: &Question<'_>) -> Result<(), Reply<'_>> {
        let (platform, place, reply_to) = (to.platform, to.place, to.reply_to);
        // `link CODE` as the help says it, without the platform's prefix:
        // the link command, never a question for the model (nor a code in
        // the audit, the history and the prompt). In a DM, a message that
        // is only an invite code is the link command too. Nothing is looked
        // for inside other texts: a code works for its own account only.
        let argument = crate::identity::link_words(q.text)
            .or_else(|| (place.private && crate::identity::is_code(q.text)).then_some(q.text));
        if let Some(argument) = argument {
            self.link(platform, q.author, place, reply_to, argument.trim())
                .await;
            return Err(Reply::Silent);
        }
        Ok(())
    }

    /// The first step of a question: what it holds said aside (a code is
    /// never a question), who asks authorized, a message delivered again
    /// left unanswered, its conversation found and the question recorded
    /// (no answer without a record). `Err` with what to tell when it goes
    /// no further.
    async fn admit(
        &self,
        to: &Listeners<'_>,
        q: &Question<'_>,
    ) -> Result<(User, Conversation, Vec<StoredMessage>), Reply<'_>> {
        self.no_code_in(to, q).await?;
        let place = to.place;
        metrics::counter!("pstral_questions_total", "platform" => place.platform.to_string())
            .increment(1);
        let user = self.authorize(to, Permission::Chat).await?;
        // The dispatcher acted on this message once already; a question
        // recorded before its record of handled events (an older version,
        // or one forgotten after 30 days) is not answered twice either.
        match self
            .parts()
            .conversations
            .find_by_message(place, &q.message.id)
            .await
        {
            Ok(Some(_)) => {
                tracing::info!(
                    platform = %place.platform,
                    channel = %place.channel,
                    message = %q.message.id,
                    reason = "replay",
                    "not answering a question: this message was already answered"
                );
                return Err(Reply::Silent);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check whether a message was answered"),
        }
        let conversation = self
            .conversation_for(q, &user)
            .await
            .map_err(Reply::unrecorded("open the conversation"))?;
        // No answer without a record of the question.
        let recorded = self
            .parts()
            .audit
            .append(
                NewEvent::new(
                    EventKind::Question,
                    actor_of(&user, q.author),
                    json!({"conversation": conversation.id, "message": q.message.id, "mode": conversation.mode.as_str(), "text": q.text}),
                )
                .at(place.clone()),
            )
            .await;
        recorded.map_err(Reply::unrecorded("audit a question; not answering it"))?;
        let conversations = &self.parts().conversations;
        let history = match conversations
            .history(conversation.id, self.parts().settings.max_history)
            .await
        {
            Ok(h) => h,
            Err(e) => {
                self.unrecorded("read the history", &e);
                Vec::new()
            }
        };
        let stored = conversations
            .append(
                conversation.id,
                NewMessage {
                    speaker: Speaker::User,
                    user_id: Some(user.id),
                    platform_message_id: Some(&q.message.id),
                    content: q.text,
                },
            )
            .await;
        if let Err(e) = stored {
            self.unrecorded("store a question", &e);
        }
        Ok((user, conversation, history))
    }

    /// The conversation a question belongs to: the one of the message it
    /// replies to, else its thread's, else a new one rooted at the question.
    pub(super) async fn conversation_for(
        &self,
        q: &Question<'_>,
        user: &User,
    ) -> Result<Conversation, crate::store::StoreError> {
        let place = &q.message.place;
        let conversations = &self.parts().conversations;
        if let Some(parent) = q.in_reply_to
            && let Some(c) = conversations.find_by_message(place, parent).await?
        {
            return Ok(c);
        }
        let root = place.thread.as_deref().unwrap_or(&q.message.id);
        let mode = self.default_mode(place).await?;
        conversations
            .find_or_start(place, root, mode, Some(user.id))
            .await
    }

    pub(super) async fn default_mode(
        &self,
        place: &Place,
    ) -> Result<Mode, crate::store::StoreError> {
        if let Some(mode) = self.parts().conversations.channel_mode(place).await? {
            return Ok(mode);
        }
        let settings = &self.parts().settings;
        Ok(settings
            .channel_modes
            .iter()
            .find(|(p, c, _)| p == place.platform.as_str() && *c == place.channel)
            .map_or(settings.default_mode, |(_, _, m)| *m))
    }
}

/// The message a streamed answer ends in: where its statements are offered.
/// What an answer streams from.
enum Source {
    Tokens(crate::llm::TokenStream),
    /// The semantic path's whole answer, at once.
    Planned(String, PlanShown),
}

/// The audit event of a statement judged for `turn` in `place`: its text
/// as it would run, or why it may not.
pub(super) fn judged_event(turn: &Turn<'_>, place: &Place, statement: &Judged) -> NewEvent {
    let mut payload = match &statement.verdict {
        Ok((valid, rows)) => {
            json!({"index": statement.index, "text": valid.text, "estimated_rows": rows})
        }
        Err(unoffered) => json!({
            "index": statement.index, "text": statement.text, "reason": unoffered.reason,
        }),
    };
    payload["accepted"] = json!(statement.verdict.is_ok());
    payload["conversation"] = json!(turn.conversation.id);
    NewEvent::new(
        EventKind::SqlValidated,
        actor_of(turn.user, turn.author),
        payload,
    )
    .at(place.clone())
}

pub(super) fn last_of(streamed: &Streamed) -> &MessageRef {
    &streamed.parts.last().expect("an answer has a part").message
}
