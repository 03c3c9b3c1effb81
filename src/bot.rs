//! The core's dispatcher: what happens for each event an adapter reports.
//!
//! A question: resolve the author (refusing politely whom the bot does not
//! know) → audit it (no answer without a record) → find its conversation (the
//! thread, or the reply chain) and mode → post a placeholder with a Stop
//! control → wait for the model in the fair queue, showing the position →
//! stream the answer → store and audit it. Every path ends with a readable
//! message in the chat, never silence.
//!
//! Nothing here knows a platform: everything goes through [`ChatPlatform`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use pstral_chat::{
    Attachment, AuditQuery, ChatPlatform, Command, ControlKind, InboundEvent, MessageRef, Place,
    PlatformIdentity, StatementRef,
};
use serde_json::json;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::audit::{Actor, Audit, EventKind, NewEvent};
use crate::config::ConversationSettings;
use crate::conversation::{
    Conversation, Conversations, ExportFormat, Mode, NewMessage, Prompts, Speaker, assemble,
};
use crate::i18n::{Lang, Text};
use crate::identity::{Directory, Permission, Resolution, Role, User};
use crate::llm::{Llm, LlmError};
use crate::stream::{Ending, Streamed, stream_answer};

/// What the bot needs to offer and run SQL.
#[derive(Clone)]
pub struct SqlRuntime {
    pub policy: crate::sql::validate::Policy,
    pub executor: Arc<dyn crate::sql::exec::Executor>,
    pub limits: crate::sql::exec::Limits,
    pub preview_rows: usize,
    pub csv_bom: bool,
    /// Compile each statement (EXPLAIN) before offering it.
    pub explain: bool,
    /// The target's tables, as last read.
    pub catalog: Arc<std::sync::RwLock<Arc<crate::sql::schema::Catalog>>>,
    /// How much schema goes into a prompt, in tokens.
    pub schema_budget: usize,
    /// Where results go to the clicker alone: (platform, channel or `*`).
    pub private_results: Vec<(String, String)>,
    /// What an operator should know about the target's account.
    pub warnings: Vec<String>,
}

impl SqlRuntime {
    /// Reads the target's catalogue again; returns how many tables it has.
    ///
    /// # Errors
    /// When the target cannot be read; the previous catalogue stays.
    pub async fn refresh_catalog(&self) -> Result<usize, crate::sql::exec::ExecError> {
        let catalog = self.executor.catalog(&self.policy.allowed_schemas).await?;
        let tables = catalog.tables.len();
        *self.catalog.write().expect("never poisoned") = Arc::new(catalog);
        Ok(tables)
    }

    /// Whether results of a query run in `place` go to the clicker alone.
    fn results_private_in(&self, place: &Place) -> bool {
        !place.private
            && self
                .private_results
                .iter()
                .any(|(p, c)| p == place.platform.as_str() && (c == "*" || *c == place.channel))
    }

    /// Judges a statement under the policy and, once it has been read, the
    /// target's catalogue (a relation must be one of its tables or views).
    /// Before the first successful read, relations are judged by name.
    ///
    /// # Errors
    /// The refusal, for the user.
    pub fn check(
        &self,
        text: &str,
    ) -> Result<crate::sql::validate::Validated, crate::sql::validate::Refusal> {
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
        let known = (!catalog.tables.is_empty()).then_some(catalog.as_ref());
        crate::sql::validate::validate_in(text, &self.policy, known)
    }

    /// The schema text for a question.
    pub fn schema_for(&self, question: &str) -> String {
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
        catalog.context_for(question, self.schema_budget)
    }
}

/// Everything the bot needs to answer.
pub struct BotParts {
    pub audit: Audit,
    pub directory: Directory,
    pub conversations: Conversations,
    pub llm: Llm,
    pub prompts: Prompts,
    pub settings: ConversationSettings,
    pub lang: Lang,
    /// The dialect of the Execute target, which SQL answers are written in.
    pub sql_dialect: crate::sql::Dialect,
    /// Execute: `None` when no target is available (SQL is then shown, not
    /// offered, and `run` says why).
    pub sql: Option<SqlRuntime>,
    /// Why `sql` is `None`, for the user.
    pub sql_unavailable: Option<String>,
}

/// The bot: cheap to clone, shared by every adapter.
#[derive(Clone)]
pub struct Bot {
    inner: Arc<Inner>,
}

struct Inner {
    parts: BotParts,
    /// Answers being written, by the id of the bot's message.
    active: Mutex<HashMap<String, Active>>,
}

struct Active {
    place: Place,
    asker: i64,
    stop: CancellationToken,
    /// Who used Stop, for the record of the answer.
    stopped_by: Arc<Mutex<Option<String>>>,
}

/// Who hears about a refusal: everyone where it happened (a question, a
/// typed command), or only the person who acted (a click on a control, which
/// the rest of the channel did not see).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Place,
    Actor,
}

/// Who hears a refusal or a failure, and where.
struct Listeners<'a> {
    platform: &'a dyn ChatPlatform,
    audience: Audience,
    actor: &'a PlatformIdentity,
    place: &'a Place,
    reply_to: Option<&'a str>,
}

/// How an answer went, for its record.
struct Answered {
    streamed: Option<Streamed>,
    stopped_by: Option<String>,
}

/// A question, as the core handles it.
struct Question<'a> {
    author: &'a PlatformIdentity,
    author_name: Option<&'a str>,
    message: &'a MessageRef,
    in_reply_to: Option<&'a str>,
    text: &'a str,
}

#[async_trait::async_trait]
impl pstral_chat::EventHandler for Bot {
    async fn handle(&self, platform: Arc<dyn ChatPlatform>, event: InboundEvent) {
        Bot::handle(self, platform, event).await;
    }
}

impl Bot {
    pub fn new(parts: BotParts) -> Self {
        Self {
            inner: Arc::new(Inner {
                parts,
                active: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Stops every answer being written, because the service is stopping
    /// and cannot wait any longer: each ends with the partial answer and a
    /// note that it was stopped, rather than a half-edited message; the
    /// record says `stopped_by: "shutdown"`. Returns how many were stopped.
    pub fn stop_all(&self) -> usize {
        let active = self.inner.active.lock().expect("never poisoned");
        for a in active.values() {
            *a.stopped_by.lock().expect("never poisoned") = Some("shutdown".to_owned());
            a.stop.cancel();
        }
        active.len()
    }

    /// The model client the bot answers with.
    pub fn llm(&self) -> &Llm {
        &self.parts().llm
    }

    fn parts(&self) -> &BotParts {
        &self.inner.parts
    }

    fn lang(&self) -> Lang {
        self.parts().lang
    }

    /// Handles one event to the end (the answer streamed, the command
    /// carried out). Failures are logged and told to the user; nothing is
    /// returned.
    pub async fn handle(&self, platform: Arc<dyn ChatPlatform>, event: InboundEvent) {
        let span = crate::telemetry::request_span("event");
        async move {
            match event {
                InboundEvent::Message {
                    author,
                    author_name,
                    message,
                    in_reply_to,
                    text,
                } => {
                    let question = Question {
                        author: &author,
                        author_name: author_name.as_deref(),
                        message: &message,
                        in_reply_to: in_reply_to.as_deref(),
                        text: &text,
                    };
                    self.question(platform.as_ref(), question).await;
                }
                InboundEvent::Control {
                    actor,
                    message,
                    control,
                } => {
                    self.control(platform.as_ref(), &actor, &message, &control)
                        .await
                }
                InboundEvent::Command {
                    author,
                    place,
                    message,
                    command,
                } => {
                    self.command(
                        platform.as_ref(),
                        &author,
                        &place,
                        message.as_deref(),
                        command,
                    )
                    .await;
                }
            }
        }
        .instrument(span)
        .await;
    }

    async fn say(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        reply_to: Option<&str>,
        text: Text<'_>,
    ) {
        if let Err(e) = platform
            .post(place, reply_to, &text.render(self.lang()))
            .await
        {
            tracing::error!(error = %e, "cannot post a reply");
        }
    }

    /// Who acts, checked now: `None` (after telling them) when they may not
    /// do `permission`.
    #[allow(clippy::too_many_arguments)]
    async fn authorize(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        author_name: Option<&str>,
        place: &Place,
        reply_to: Option<&str>,
        permission: Permission,
        audience: Audience,
    ) -> Option<User> {
        let to = Listeners {
            platform,
            audience,
            actor: author,
            place,
            reply_to,
        };
        let directory = &self.parts().directory;
        let user = match directory.resolve(author, author_name, Some(place)).await {
            Ok(Resolution::Known(user) | Resolution::Created(user)) => user,
            Ok(Resolution::Refused) => {
                tracing::info!(who = %author, reason = "unknown_user", "refused: not linked to a local user");
                self.tell(&to, directory.refusal(platform.limits().command_prefix))
                    .await;
                return None;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot resolve who wrote");
                self.tell(&to, Text::AuditUnavailable).await;
                return None;
            }
        };
        if !user.role.allows(permission) {
            let needed = permission.least_role();
            tracing::info!(
                who = %author,
                user = %user.name,
                role = user.role.as_str(),
                needed = needed.as_str(),
                reason = "role",
                "refused: the role does not allow it"
            );
            let event = NewEvent::new(
                EventKind::AccessRefused,
                actor_of(&user, author),
                json!({"reason": "role", "needed": needed.as_str(), "role": user.role.as_str()}),
            )
            .at(place.clone());
            let _ = self.parts().audit.append(event).await;
            self.tell(
                &to,
                Text::NotAllowed {
                    needed: needed.as_str(),
                },
            )
            .await;
            return None;
        }
        Some(user)
    }

    /// The author of a typed command, if they may chat here (told why not
    /// where they typed it).
    async fn member(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
    ) -> Option<User> {
        self.authorize(
            platform,
            author,
            None,
            place,
            message,
            Permission::Chat,
            Audience::Place,
        )
        .await
    }

    /// Says something to the audience of a refusal or a failure.
    async fn tell(&self, to: &Listeners<'_>, text: Text<'_>) {
        match to.audience {
            Audience::Place => self.say(to.platform, to.place, to.reply_to, text).await,
            Audience::Actor => {
                self.tell_privately(to.platform, to.actor, to.place, text)
                    .await
            }
        }
    }

    /// Says something to one person only (an ephemeral reply, a DM).
    async fn tell_privately(
        &self,
        platform: &dyn ChatPlatform,
        to: &PlatformIdentity,
        place: &Place,
        text: Text<'_>,
    ) {
        if let Err(e) = platform
            .reply_privately(to, place, &text.render(self.lang()), Vec::new())
            .await
        {
            tracing::error!(error = %e, "cannot reply privately");
        }
    }

    async fn question(&self, platform: &dyn ChatPlatform, q: Question<'_>) {
        let place = &q.message.place;
        let reply_to = Some(q.message.id.as_str());
        // `link CODE` as the help says it, without the platform's prefix:
        // the link command, never a question for the model (nor a code in
        // the audit, the history and the prompt).
        if let Some(code) = crate::identity::link_words(q.text) {
            self.link(platform, q.author, place, reply_to, code).await;
            return;
        }
        // In a DM, a live code inside a sentence ("my code is …") is the
        // link command too: it never goes to the model, the history or the
        // audit of questions.
        if place.private {
            for code in crate::identity::code_candidates(q.text) {
                if self
                    .parts()
                    .directory
                    .is_live_invite(code)
                    .await
                    .unwrap_or(false)
                {
                    self.link(platform, q.author, place, reply_to, code).await;
                    return;
                }
            }
        }
        // A code said anywhere but a DM is burnt, whatever else is said.
        if !place.private {
            let codes = crate::identity::code_candidates(q.text);
            if !codes.is_empty()
                && self
                    .burn_codes(platform, q.author, place, reply_to, &codes, false)
                    .await
            {
                return;
            }
        }
        metrics::counter!("pstral_questions_total", "platform" => place.platform.to_string())
            .increment(1);
        let Some(user) = self
            .authorize(
                platform,
                q.author,
                q.author_name,
                place,
                reply_to,
                Permission::Chat,
                Audience::Place,
            )
            .await
        else {
            return;
        };
        // A platform may deliver a message again (a gateway replay, a sync
        // after a restart): a question already recorded is not answered twice.
        // Platform, channel and message id name one message on every
        // platform: Discord's message ids are snowflakes, unique across all
        // of Discord; Matrix event ids are unique per homeserver (room
        // versions 3+ derive them from the event's hash); the terminal puts
        // its session's own id in each message id. An adapter whose ids
        // repeat would have its questions skipped here, so a skip is logged.
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
                return;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check whether a message was answered"),
        }
        let conversation = match self.conversation_for(&q, &user).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot open the conversation");
                self.say(platform, place, reply_to, Text::AuditUnavailable)
                    .await;
                return;
            }
        };
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
        if let Err(e) = recorded {
            tracing::error!(error = %e, "cannot audit a question; not answering it");
            self.say(platform, place, reply_to, Text::AuditUnavailable)
                .await;
            return;
        }
        let conversations = &self.parts().conversations;
        let history = match conversations
            .history(conversation.id, self.parts().settings.max_history)
            .await
        {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the history");
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
            tracing::error!(error = %e, "cannot store a question");
        }
        let schema = match (&self.parts().sql, conversation.mode) {
            (Some(sql), Mode::Sql) => sql.schema_for(q.text),
            _ => String::new(),
        };
        let system = self.parts().prompts.system(
            conversation.mode,
            self.lang(),
            self.parts().sql_dialect,
            &schema,
        );
        let messages = assemble(system, &history, q.text);
        let started = Instant::now();
        let answered = self
            .answer(platform, place, &q.message.id, &user, &messages)
            .await;
        self.record_answer(&user, q.author, place, &conversation, &answered, started)
            .await;
        if let Some(streamed) = &answered.streamed
            && conversation.mode == Mode::Sql
            && streamed.ending == Ending::Complete
        {
            let failures = self
                .offer_sql(platform, &user, q.author, &conversation, streamed)
                .await;
            if !failures.is_empty() {
                self.repair(
                    platform,
                    &user,
                    q.author,
                    &conversation,
                    streamed,
                    &messages,
                    &failures,
                )
                .await;
            }
        }
    }

    /// Asks the model once to fix the SQL that could not be offered, with the
    /// reasons; the repaired answer streams as a new reply and is judged
    /// again, without a second repair.
    #[allow(clippy::too_many_arguments)]
    async fn repair(
        &self,
        platform: &dyn ChatPlatform,
        user: &User,
        author: &PlatformIdentity,
        conversation: &Conversation,
        streamed: &Streamed,
        messages: &[crate::llm::ChatMessage],
        failures: &[String],
    ) {
        use crate::llm::{ChatMessage, ChatRole};
        let reasons = failures.join(" ");
        let mut repair = messages.to_vec();
        repair.push(ChatMessage::new(
            ChatRole::Assistant,
            streamed.answer.clone(),
        ));
        repair.push(ChatMessage::new(
            ChatRole::User,
            Text::RepairRequest { reasons: &reasons }.render(self.lang()),
        ));
        let last = &streamed.parts.last().expect("an answer has a part").message;
        let started = Instant::now();
        let answered = self
            .answer(platform, &last.place, &last.id, user, &repair)
            .await;
        self.record_answer(user, author, &last.place, conversation, &answered, started)
            .await;
        if let Some(repaired) = &answered.streamed
            && repaired.ending == Ending::Complete
        {
            self.offer_sql(platform, user, author, conversation, repaired)
                .await;
        }
    }

    /// Judges each SQL block of a complete answer and offers those that may
    /// run; says why for the others, and returns those reasons (for a repair).
    async fn offer_sql(
        &self,
        platform: &dyn ChatPlatform,
        user: &User,
        author: &PlatformIdentity,
        conversation: &Conversation,
        streamed: &Streamed,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        let blocks = crate::sql::extract::extract(&streamed.answer);
        if blocks.is_empty() {
            return failures;
        }
        let last = &streamed.parts.last().expect("an answer has a part").message;
        let place = &last.place;
        let Some(sql) = &self.parts().sql else {
            // Not configured: nothing to offer, nothing to apologise for.
            if let Some(reason) = &self.parts().sql_unavailable {
                self.say(
                    platform,
                    place,
                    Some(&last.id),
                    Text::ExecuteUnavailable { reason },
                )
                .await;
            }
            return failures;
        };
        for block in blocks {
            let verdict = sql.check(&block.text);
            // Err((reason, whether the model could fix it)).
            let checked = match verdict {
                Err(refusal) => Err((Text::SqlRefused(&refusal).render(self.lang()), true)),
                Ok(valid) if sql.explain => match sql.executor.explain(&valid).await {
                    Ok(plan) => Ok((valid, plan.rows.map(|r| r.max(0.0).round() as u64))),
                    Err(crate::sql::exec::ExecError::Database(message)) => Err((
                        Text::SqlDoesNotCompile {
                            index: block.index,
                            message: &message,
                        }
                        .render(self.lang()),
                        true,
                    )),
                    Err(e) => Err((
                        Text::ExecuteUnavailable {
                            reason: &e.to_string(),
                        }
                        .render(self.lang()),
                        false,
                    )),
                },
                Ok(valid) => Ok((valid, None)),
            };
            let (accepted, payload) = match &checked {
                Ok((valid, rows)) => (
                    true,
                    json!({"index": block.index, "text": valid.text, "estimated_rows": rows}),
                ),
                Err((reason, _)) => (
                    false,
                    json!({"index": block.index, "text": block.text, "reason": reason}),
                ),
            };
            let mut payload = payload;
            payload["accepted"] = json!(accepted);
            payload["conversation"] = json!(conversation.id);
            let event = NewEvent::new(EventKind::SqlValidated, actor_of(user, author), payload)
                .at(place.clone());
            if self.parts().audit.append(event).await.is_err() {
                self.say(platform, place, Some(&last.id), Text::AuditUnavailable)
                    .await;
                return Vec::new();
            }
            match checked {
                Err((reason, repairable)) => {
                    let _ = platform.post(place, Some(&last.id), &reason).await;
                    if repairable {
                        failures.push(reason);
                    }
                }
                Ok((valid, rows)) => {
                    let recorded = self
                        .parts()
                        .conversations
                        .record_statement(
                            conversation.id,
                            place,
                            &last.id,
                            block.index,
                            &valid.text,
                            valid.dialect,
                        )
                        .await;
                    let statement = match recorded {
                        Ok(id) => id,
                        Err(e) => {
                            tracing::error!(error = %e, "cannot record a statement");
                            continue;
                        }
                    };
                    let control = ControlKind::Execute {
                        statement: block.index,
                        reference: Some(StatementRef {
                            conversation: conversation.id,
                            statement,
                        }),
                    };
                    if let Err(e) = platform.show_control(last, &control).await {
                        tracing::warn!(error = %e, "cannot offer Execute");
                    }
                    let buttons = platform.limits().buttons;
                    self.say(
                        platform,
                        place,
                        Some(&last.id),
                        Text::SqlReady {
                            index: block.index,
                            rows,
                            buttons,
                            prefix: platform.limits().command_prefix,
                        },
                    )
                    .await;
                }
            }
        }
        failures
    }

    /// Runs a statement offered earlier, for `actor`, authorized now.
    /// `claimed` is what the control said it stands for, checked against
    /// the store; `audience` is who hears about a refusal.
    #[allow(clippy::too_many_arguments)]
    async fn execute(
        &self,
        platform: &dyn ChatPlatform,
        actor: &PlatformIdentity,
        place: &Place,
        message_id: Option<&str>,
        index: u32,
        claimed: Option<StatementRef>,
        audience: Audience,
    ) {
        let to = Listeners {
            platform,
            audience,
            actor,
            place,
            reply_to: message_id,
        };
        let Some(user) = self
            .authorize(
                platform,
                actor,
                None,
                place,
                message_id,
                Permission::Execute,
                audience,
            )
            .await
        else {
            return;
        };
        let Some(sql) = &self.parts().sql else {
            let reason = self
                .parts()
                .sql_unavailable
                .clone()
                .unwrap_or_else(|| "no Execute target is configured".to_owned());
            self.tell(&to, Text::ExecuteUnavailable { reason: &reason })
                .await;
            return;
        };
        let stored = match self
            .parts()
            .conversations
            .statement(place, message_id, index)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a statement");
                self.tell(&to, Text::AuditUnavailable).await;
                return;
            }
        };
        // A control names the statement it was made for; one that names
        // another (or none that exists here) was not made by the bot.
        if let Some(claim) = claimed
            && stored
                .as_ref()
                .is_none_or(|s| s.id != claim.statement || s.conversation_id != claim.conversation)
        {
            let claim = json!({"conversation": claim.conversation, "statement": claim.statement, "index": index});
            self.refuse_control(platform, Some(&user), actor, place, message_id, claim)
                .await;
            return;
        }
        let Some(stored) = stored else {
            self.tell(&to, Text::NothingToRun { index }).await;
            return;
        };
        // Judged again, under today's policy: a click never runs text that
        // the validator did not pass.
        let valid = match sql.check(&stored.sql_text) {
            Ok(v) => v,
            Err(refusal) => {
                self.tell(&to, Text::SqlRefused(&refusal)).await;
                return;
            }
        };
        let private = sql.results_private_in(place);
        let actor_rec = actor_of(&user, actor);
        let requested = NewEvent::new(
            EventKind::ExecuteRequested,
            actor_rec.clone(),
            json!({"statement": stored.id, "conversation": stored.conversation_id, "index": index, "text": valid.text, "private": private}),
        )
        .at(place.clone());
        // The request is committed before the query starts; without it,
        // nothing runs.
        if let Err(e) = self.parts().audit.append(requested).await {
            tracing::error!(error = %e, "cannot audit an execution; not running it");
            self.tell(&to, Text::AuditUnavailable).await;
            return;
        }
        let reply_to = message_id.or(Some(stored.message_id.as_str()));
        // Private results come in one private reply at the end; a progress
        // message in the channel would tell others what is being looked at.
        let progress = if private {
            None
        } else {
            platform
                .post(
                    place,
                    reply_to,
                    &Text::Running { index }.render(self.lang()),
                )
                .await
                .ok()
        };
        let mut preview = crate::sql::render::Preview::new(sql.preview_rows);
        let csv = crate::sql::render::CsvSink::new(Vec::new(), sql.csv_bom);
        let xlsx = crate::sql::render::XlsxSink::new();
        let (mut csv, mut xlsx) = match (csv, xlsx) {
            (Ok(c), Ok(x)) => (c, x),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot prepare the result files");
                self.tell(&to, Text::CannotAttach).await;
                return;
            }
        };
        let outcome = {
            let mut tee = crate::sql::render::Tee {
                sinks: vec![&mut preview, &mut csv, &mut xlsx],
            };
            sql.executor.run(&valid, sql.limits, &mut tee).await
        };
        let outcome_label = match &outcome {
            Ok(_) => "ok",
            Err(crate::sql::exec::ExecError::Timeout(_)) => "timeout",
            Err(crate::sql::exec::ExecError::Unavailable(_)) => "unavailable",
            Err(_) => "error",
        };
        metrics::counter!("pstral_executions_total", "outcome" => outcome_label).increment(1);
        if let Ok(o) = &outcome {
            metrics::counter!("pstral_rows_returned_total").increment(o.rows);
        }
        let result_payload = match &outcome {
            Ok(o) => json!({
                "statement": stored.id, "rows": o.rows, "columns": o.columns.len(),
                "truncated": o.truncated, "duration_ms": u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX),
                "error": null, "private": private,
            }),
            Err(e) => {
                json!({"statement": stored.id, "rows": 0, "error": e.to_string(), "private": private})
            }
        };
        let heading = if private {
            format!(
                "{}\n",
                Text::ResultsSentPrivately { index }.render(self.lang())
            )
        } else {
            String::new()
        };
        let max_chars = platform
            .limits()
            .max_message_chars
            .saturating_sub(heading.chars().count());
        let (text, table) = match &outcome {
            Ok(o) => {
                let (text, table) = crate::sql::render::preview_with_table(
                    &preview,
                    o.rows,
                    o.truncated,
                    max_chars,
                    self.lang(),
                );
                (text, Some(table))
            }
            Err(e) => (
                Text::ExecFailed {
                    reason: &e.to_string(),
                }
                .render(self.lang()),
                None,
            ),
        };
        let files = if outcome.is_ok() {
            result_files(csv, xlsx, stored.id)
        } else {
            Vec::new()
        };
        if private {
            let delivered = platform
                .reply_privately(actor, place, &format!("{heading}{text}"), files)
                .await;
            if let Err(e) = delivered {
                tracing::error!(error = %e, "cannot deliver results privately");
                // Said where the click was, without any of the data.
                self.say(platform, place, reply_to, Text::CannotDeliverPrivately)
                    .await;
            }
        } else {
            let post = || async {
                let posted = match &table {
                    Some(t) => platform.post_table(place, reply_to, &text, t).await,
                    None => platform.post(place, reply_to, &text).await,
                };
                if let Err(e) = posted {
                    tracing::error!(error = %e, "cannot post a query's result");
                }
            };
            match &progress {
                Some(m) => {
                    // The progress message was just posted: wait out the edit
                    // interval before replacing it with the result.
                    tokio::time::sleep(platform.limits().min_edit_interval).await;
                    let edited = match &table {
                        Some(t) => platform.edit_table(m, &text, t).await,
                        None => platform.edit(m, &text).await,
                    };
                    if edited.is_err() {
                        post().await;
                    }
                }
                None => post().await,
            }
            for attachment in files {
                if let Err(e) = platform.attach(place, attachment).await {
                    tracing::error!(error = %e, "cannot attach a result");
                    self.say(platform, place, reply_to, Text::CannotAttach)
                        .await;
                }
            }
        }
        let event =
            NewEvent::new(EventKind::ExecuteResult, actor_rec, result_payload).at(place.clone());
        if let Err(e) = self.parts().audit.append(event).await {
            tracing::error!(error = %e, "cannot audit an execution's result");
        }
    }

    /// Turns away a control the bot did not make, and records who used it
    /// (`user`: the local user they are, when known).
    async fn refuse_control(
        &self,
        platform: &dyn ChatPlatform,
        user: Option<&User>,
        actor: &PlatformIdentity,
        place: &Place,
        message_id: Option<&str>,
        control: serde_json::Value,
    ) {
        let who = Actor {
            user_id: user.map(|u| u.id),
            identity: Some(actor.clone()),
        };
        let event = NewEvent::new(
            EventKind::AccessRefused,
            who,
            json!({"reason": "control_not_valid", "message": message_id, "control": control}),
        )
        .at(place.clone());
        if let Err(e) = self.parts().audit.append(event).await {
            tracing::error!(error = %e, "cannot audit a refused control");
        }
        self.tell_privately(platform, actor, place, Text::ControlNotValid)
            .await;
    }

    /// Posts the placeholder and streams the model's answer into it.
    async fn answer(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        question_id: &str,
        user: &User,
        messages: &[crate::llm::ChatMessage],
    ) -> Answered {
        let thinking = Text::Thinking.render(self.lang());
        let placeholder = match platform.post(place, Some(question_id), &thinking).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "cannot post the placeholder");
                return Answered {
                    streamed: None,
                    stopped_by: None,
                };
            }
        };
        let stop = CancellationToken::new();
        let stopped_by = Arc::new(Mutex::new(None));
        self.inner.active.lock().expect("never poisoned").insert(
            placeholder.id.clone(),
            Active {
                place: place.clone(),
                asker: user.id,
                stop: stop.clone(),
                stopped_by: Arc::clone(&stopped_by),
            },
        );
        if let Err(e) = platform
            .show_control(&placeholder, &ControlKind::Stop)
            .await
        {
            tracing::warn!(error = %e, "cannot offer the Stop control");
        }

        let (position, positions) = watch::channel(0usize);
        let shown = self.show_position(platform, &placeholder, positions, &stop);
        let stop_waiting = stop.clone();
        let ask = async move {
            let asked = tokio::select! {
                r = self.parts().llm.ask(user.id, messages, &position) => Some(r),
                () = stop_waiting.cancelled() => None,
            };
            // Whatever happened, the position display is over.
            drop(position);
            asked
        };
        let (asked, last_shown) = tokio::join!(ask, shown);
        let shown_text = last_shown.unwrap_or(thinking);
        let streamed = match asked {
            Some(Ok(tokens)) => {
                stream_answer(
                    platform,
                    placeholder.clone(),
                    shown_text,
                    tokens.into_stream(),
                    &stop,
                    self.lang(),
                )
                .await
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "the model could not answer");
                let failed = futures_util::stream::iter([Err::<String, LlmError>(e)]);
                stream_answer(
                    platform,
                    placeholder.clone(),
                    shown_text,
                    failed,
                    &stop,
                    self.lang(),
                )
                .await
            }
            None => {
                let nothing = futures_util::stream::empty::<Result<String, LlmError>>();
                stream_answer(
                    platform,
                    placeholder.clone(),
                    shown_text,
                    nothing,
                    &stop,
                    self.lang(),
                )
                .await
            }
        };
        self.inner
            .active
            .lock()
            .expect("never poisoned")
            .remove(&placeholder.id);
        // Taking the control back changes the message too (a Discord PATCH):
        // not before the platform allows.
        tokio::time::sleep_until(streamed.settled_at).await;
        if let Err(e) = platform
            .withdraw_control(&placeholder, &ControlKind::Stop)
            .await
        {
            tracing::warn!(error = %e, "cannot withdraw the Stop control");
        }
        let stopped_by = stopped_by.lock().expect("never poisoned").take();
        Answered {
            streamed: Some(streamed),
            stopped_by,
        }
    }

    /// Shows the queue position in the placeholder while it changes, no
    /// faster than the platform allows. Returns the last text shown.
    async fn show_position(
        &self,
        platform: &dyn ChatPlatform,
        placeholder: &MessageRef,
        mut positions: watch::Receiver<usize>,
        stop: &CancellationToken,
    ) -> Option<String> {
        let interval = platform.limits().min_edit_interval;
        let mut last: Option<String> = None;
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
                Text::Thinking.render(self.lang())
            } else {
                Text::QueuePosition { position }.render(self.lang())
            };
            if last.as_ref() != Some(&text) && platform.edit(placeholder, &text).await.is_ok() {
                last = Some(text);
                next_edit = tokio::time::Instant::now() + interval;
            }
        }
    }

    async fn record_answer(
        &self,
        user: &User,
        author: &PlatformIdentity,
        place: &Place,
        conversation: &Conversation,
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
                "ending": "failed",
                "error": "the answer could not be posted in the chat",
                "duration_ms": duration_ms,
            }),
            Some(streamed) => {
                if !streamed.answer.is_empty() {
                    let stored = self
                        .parts()
                        .conversations
                        .append(
                            conversation.id,
                            NewMessage {
                                speaker: Speaker::Assistant,
                                user_id: None,
                                platform_message_id: Some(&streamed.first_message().id),
                                content: &streamed.answer,
                            },
                        )
                        .await;
                    if let Err(e) = stored {
                        tracing::error!(error = %e, "cannot store an answer");
                    }
                }
                let (ending, error) = match &streamed.ending {
                    Ending::Complete => ("complete", None),
                    Ending::Stopped => ("stopped", None),
                    Ending::Failed(e) => ("failed", Some(e.to_string())),
                };
                json!({
                    "conversation": conversation.id,
                    "messages": streamed.parts.iter().map(|p| p.message.id.clone()).collect::<Vec<_>>(),
                    "ending": ending,
                    "error": error,
                    "stopped_by": answered.stopped_by,
                    "shown_until": streamed.shown_until,
                    "text": streamed.answer,
                    "pieces": streamed.pieces,
                    "edits": streamed.edits,
                    "duration_ms": duration_ms,
                })
            }
        };
        let event =
            NewEvent::new(EventKind::Answer, actor_of(user, author), payload).at(place.clone());
        if let Err(e) = self.parts().audit.append(event).await {
            tracing::error!(error = %e, "cannot audit an answer");
        }
    }

    /// The conversation a question belongs to: the one of the message it
    /// replies to, else its thread's, else a new one rooted at the question.
    async fn conversation_for(
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

    async fn default_mode(&self, place: &Place) -> Result<Mode, crate::store::StoreError> {
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

    async fn control(
        &self,
        platform: &dyn ChatPlatform,
        actor: &PlatformIdentity,
        message: &MessageRef,
        control: &ControlKind,
    ) {
        match control {
            ControlKind::Stop => {
                let place = &message.place;
                let Some(user) = self
                    .authorize(
                        platform,
                        actor,
                        None,
                        place,
                        None,
                        Permission::Chat,
                        Audience::Actor,
                    )
                    .await
                else {
                    return;
                };
                // Checked now, for the person who acts: the asker, or an admin.
                let outcome = {
                    let active = self.inner.active.lock().expect("never poisoned");
                    // The message names the answer; its room or channel must
                    // match (a reaction does not say which thread it is in).
                    let same_room = |a: &&Active| {
                        a.place.platform == place.platform && a.place.channel == place.channel
                    };
                    match active.get(&message.id).filter(same_room) {
                        None => Err(Text::NothingToStop),
                        Some(a) if a.asker != user.id && user.role != Role::Admin => {
                            Err(Text::StopNotAllowed)
                        }
                        Some(a) => {
                            *a.stopped_by.lock().expect("never poisoned") = Some(actor.to_string());
                            a.stop.cancel();
                            Ok(())
                        }
                    }
                };
                if let Err(text) = outcome {
                    let _ = platform
                        .reply_privately(actor, place, &text.render(self.lang()), Vec::new())
                        .await;
                }
            }
            ControlKind::Execute {
                statement,
                reference,
            } => {
                self.execute(
                    platform,
                    actor,
                    &message.place,
                    Some(&message.id),
                    *statement,
                    *reference,
                    Audience::Actor,
                )
                .await;
            }
            ControlKind::Unrecognised(raw) => {
                // Recorded under whoever the directory knows them as; an
                // unknown identity is recorded by its platform id alone.
                let user = self.parts().directory.user_of(actor).await.ok().flatten();
                self.refuse_control(
                    platform,
                    user.as_ref(),
                    actor,
                    &message.place,
                    Some(&message.id),
                    json!(raw),
                )
                .await;
            }
        }
    }

    async fn command(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        command: Command,
    ) {
        match command {
            Command::Help => {
                let prefix = platform.limits().command_prefix;
                self.say(platform, place, message, Text::Help { prefix })
                    .await
            }
            Command::Link(code) => self.link(platform, author, place, message, &code).await,
            Command::Stop => {
                let Some(user) = self.member(platform, author, place, message).await else {
                    return;
                };
                let stopped = {
                    let active = self.inner.active.lock().expect("never poisoned");
                    let mine: Vec<&Active> = active
                        .values()
                        .filter(|a| a.place == *place && a.asker == user.id)
                        .collect();
                    for a in &mine {
                        *a.stopped_by.lock().expect("never poisoned") = Some(author.to_string());
                        a.stop.cancel();
                    }
                    !mine.is_empty()
                };
                if !stopped {
                    self.say(platform, place, message, Text::NothingToStop)
                        .await;
                }
            }
            Command::Mode(given) => {
                let Some(user) = self.member(platform, author, place, message).await else {
                    return;
                };
                let Ok(mode) = given.trim().parse::<Mode>() else {
                    self.say(
                        platform,
                        place,
                        message,
                        Text::UnknownMode { given: &given },
                    )
                    .await;
                    return;
                };
                // What changes is what the reply says: in a thread, that
                // thread; in a DM, this DM; in a shared channel, its default
                // for everyone, which is an admin's to change.
                let conversations = &self.parts().conversations;
                let scope = match (&place.thread, place.private) {
                    (Some(_), _) => "thread",
                    (None, true) => "dm",
                    (None, false) => "channel",
                };
                if scope == "channel" && user.role != Role::Admin {
                    let prefix = platform.limits().command_prefix;
                    self.say(
                        platform,
                        place,
                        message,
                        Text::ModeChannelNeedsAdmin { prefix },
                    )
                    .await;
                    return;
                }
                let result = match &place.thread {
                    Some(thread) => match conversations
                        .find_or_start(place, thread, mode, Some(user.id))
                        .await
                    {
                        Ok(c) => conversations.set_mode(c.id, mode).await,
                        Err(e) => Err(e),
                    },
                    None => conversations.set_channel_mode(place, mode).await,
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "cannot change the mode");
                    self.say(platform, place, message, Text::AuditUnavailable)
                        .await;
                    return;
                }
                let event = NewEvent::new(
                    EventKind::ConversationChanged,
                    actor_of(&user, author),
                    json!({"action": "mode", "mode": mode.as_str(), "scope": scope}),
                )
                .at(place.clone());
                let _ = self.parts().audit.append(event).await;
                let text = if scope == "channel" {
                    Text::ModeSetForChannel {
                        mode: mode.as_str(),
                    }
                } else {
                    Text::ModeSet {
                        mode: mode.as_str(),
                    }
                };
                self.say(platform, place, message, text).await;
            }
            Command::Export(format) => {
                self.export(platform, author, place, message, &format).await;
            }
            Command::Run(index) => {
                self.execute(platform, author, place, None, index, None, Audience::Place)
                    .await
            }
            Command::Audit(query) => {
                self.audit_query(platform, author, place, message, query)
                    .await
            }
        }
    }

    /// An admin's question to the audit, answered to them alone: in the DM
    /// where they asked, else privately. The read is recorded before it is
    /// done, like every read of the audit.
    async fn audit_query(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        query: AuditQuery,
    ) {
        use crate::audit::{AuditFilter, EventKind as K, Order};
        let Some(user) = self
            .authorize(
                platform,
                author,
                None,
                place,
                message,
                Permission::Administer,
                Audience::Actor,
            )
            .await
        else {
            return;
        };
        let reply = |text: String| async move {
            let sent = if place.private {
                platform.post(place, message, &text).await.map(|_| ())
            } else {
                platform
                    .reply_privately(author, place, &text, Vec::new())
                    .await
            };
            if let Err(e) = sent {
                tracing::error!(error = %e, "cannot answer an audit query");
            }
        };
        let lang = self.lang();
        let mut filter = AuditFilter::default();
        let shown = match &query {
            AuditQuery::Recent => json!({"query": "recent"}),
            AuditQuery::Verify => json!({"query": "verify"}),
            AuditQuery::Search(text) => {
                filter.text = Some(text.clone());
                json!({"query": "search", "text": text})
            }
            AuditQuery::Kind(given) => match given.trim().parse::<K>() {
                Ok(kind) => {
                    filter.kind = Some(kind);
                    json!({"query": "kind", "kind": kind.as_str()})
                }
                Err(_) => {
                    let kinds: Vec<&str> = K::ALL.iter().map(|k| k.as_str()).collect();
                    let text = Text::AuditNoSuchKind {
                        given,
                        kinds: &kinds.join(", "),
                    };
                    reply(text.render(lang)).await;
                    return;
                }
            },
            AuditQuery::User(name) => match self.parts().directory.user(name.trim()).await {
                Ok(Some(found)) => {
                    filter.user_id = Some(found.id);
                    json!({"query": "user", "user": found.name})
                }
                Ok(None) => {
                    reply(Text::AuditNoSuchUser { name }.render(lang)).await;
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot look up a user");
                    reply(Text::AuditUnavailable.render(lang)).await;
                    return;
                }
            },
        };
        let mut payload = shown;
        payload["via"] = json!("chat");
        let read = NewEvent::new(K::AdminRead, actor_of(&user, author), payload).at(place.clone());
        if let Err(e) = self.parts().audit.append(read).await {
            tracing::error!(error = %e, "cannot record a read of the audit; not reading");
            reply(Text::AuditUnavailable.render(lang)).await;
            return;
        }
        let audit = &self.parts().audit;
        let text = if query == AuditQuery::Verify {
            match audit.verify().await {
                Ok(v) => match &v.broken {
                    None => Text::AuditIntact { checked: v.checked }.render(lang),
                    Some(b) => Text::AuditBroken {
                        checked: v.checked,
                        detail: &b.to_string(),
                    }
                    .render(lang),
                },
                Err(e) => {
                    tracing::error!(error = %e, "cannot verify the audit");
                    Text::AuditUnavailable.render(lang)
                }
            }
        } else {
            match audit.list(&filter, Order::NewestFirst, AUDIT_LINES).await {
                Ok(events) if events.is_empty() => Text::AuditNothingFound.render(lang),
                Ok(events) => audit_lines(&events, platform.limits().max_message_chars, lang),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the audit");
                    Text::AuditUnavailable.render(lang)
                }
            }
        };
        reply(text).await;
    }

    /// Invite codes said where others could see them: each live one is
    /// burnt (audited, without the code). When one was, or when the person
    /// meant a code (`meant`: the link command, answered the same whether
    /// the code was live or not), the place is told that codes are only
    /// taken in a DM and the person, privately, how to get a new one.
    /// Returns whether anything was said.
    async fn burn_codes(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        codes: &[&str],
        meant: bool,
    ) -> bool {
        let directory = &self.parts().directory;
        let mut burnt = false;
        for code in codes {
            match directory.burn_invite(code, author, place, meant).await {
                Ok(b) => burnt |= b,
                Err(e) => tracing::error!(error = %e, "cannot burn an invite code seen in public"),
            }
        }
        if !(burnt || meant) {
            return false;
        }
        tracing::info!(who = %author, burnt, "an invite code was said outside a DM");
        self.say(platform, place, message, Text::InviteSeenInPublic)
            .await;
        let prefix = platform.limits().command_prefix;
        self.tell_privately(platform, author, place, Text::InviteBurnt { prefix })
            .await;
        true
    }

    async fn link(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        code: &str,
    ) {
        if !place.private {
            self.burn_codes(platform, author, place, message, &[code], true)
                .await;
            return;
        }
        match self
            .parts()
            .directory
            .consume_invite(code, author, Some(place))
            .await
        {
            Ok(user) => {
                self.say(platform, place, message, Text::Linked { user: &user.name })
                    .await;
            }
            Err(e) => match e.user_text() {
                Some(text) => self.say(platform, place, message, text).await,
                None => {
                    tracing::error!(error = %e, "cannot link an account");
                    self.say(platform, place, message, Text::AuditUnavailable)
                        .await;
                }
            },
        }
    }

    async fn export(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        format: &str,
    ) {
        let Some(user) = self.member(platform, author, place, message).await else {
            return;
        };
        let format = format
            .parse::<ExportFormat>()
            .unwrap_or(ExportFormat::Markdown);
        let conversations = &self.parts().conversations;
        let conversation = match &place.thread {
            Some(thread) => conversations
                .find_or_start(
                    place,
                    thread,
                    self.parts().settings.default_mode,
                    Some(user.id),
                )
                .await
                .map(Some),
            None => conversations.latest_of(place, user.id).await,
        };
        let exported = match conversation {
            Ok(Some(c)) => conversations
                .export(c.id, format)
                .await
                .map(|e| e.map(|e| (c.id, e))),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match exported {
            Ok(Some((id, text))) => {
                let (extension, media_type) = match format {
                    ExportFormat::Markdown => ("md", "text/markdown; charset=utf-8"),
                    ExportFormat::Json => ("json", "application/json"),
                };
                let event = NewEvent::new(
                    EventKind::ConversationChanged,
                    actor_of(&user, author),
                    json!({"action": "export", "conversation": id, "format": extension}),
                )
                .at(place.clone());
                if self.parts().audit.append(event).await.is_err() {
                    self.say(platform, place, message, Text::AuditUnavailable)
                        .await;
                    return;
                }
                let attachment = Attachment {
                    file_name: format!("pstral-conversation-{id}.{extension}"),
                    media_type: media_type.to_owned(),
                    bytes: text.into_bytes(),
                };
                if let Err(e) = platform.attach(place, attachment).await {
                    tracing::error!(error = %e, "cannot attach an export");
                    self.say(platform, place, message, Text::CannotAttach).await;
                }
            }
            Ok(None) => {
                self.say(platform, place, message, Text::NothingToExport)
                    .await
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot export a conversation");
                self.say(platform, place, message, Text::AuditUnavailable)
                    .await;
            }
        }
    }
}

/// The full result as CSV and XLSX attachments; a file that cannot be
/// finished is left out (and logged).
fn result_files(
    csv: crate::sql::render::CsvSink<Vec<u8>>,
    xlsx: crate::sql::render::XlsxSink,
    statement: i64,
) -> Vec<Attachment> {
    let name = format!("pstral-query-{statement}");
    let files = [
        csv.finish()
            .map(|b| (format!("{name}.csv"), "text/csv; charset=utf-8", b)),
        xlsx.finish().map(|b| {
            (
                format!("{name}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b,
            )
        }),
    ];
    files
        .into_iter()
        .filter_map(|file| match file {
            Ok((file_name, media_type, bytes)) => Some(Attachment {
                file_name,
                media_type: media_type.to_owned(),
                bytes,
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot finish a result file");
                None
            }
        })
        .collect()
}

/// How many events an audit query from the chat lists at most.
const AUDIT_LINES: u32 = 10;

/// Events as short lines, newest first, as many as fit in one message.
fn audit_lines(events: &[crate::audit::Event], max_chars: usize, lang: Lang) -> String {
    let mut lines = Vec::new();
    let mut used = 0;
    for e in events {
        let who = e
            .user_name
            .as_deref()
            .or(e.identity.as_deref())
            .unwrap_or("-");
        let place = match (&e.platform, &e.channel) {
            (Some(p), Some(c)) => format!(" {p}:{c}"),
            _ => String::new(),
        };
        let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let detail = payload
            .get("text")
            .or_else(|| payload.get("reason"))
            .and_then(|v| v.as_str())
            .map(|t| {
                let one_line = t.split_whitespace().collect::<Vec<_>>().join(" ");
                let mut cut: String = one_line.chars().take(80).collect();
                if cut.len() < one_line.len() {
                    cut.push('…');
                }
                format!(" — {cut}")
            })
            .unwrap_or_default();
        // Backticks would end the code span early.
        let line = format!(
            "`#{} {} {} {who}{place}`{}",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.kind,
            detail.replace('`', "'")
        );
        // Room for the heading (about 60 characters) and line ends.
        if used + line.chars().count() + 1 > max_chars.saturating_sub(80) {
            break;
        }
        used += line.chars().count() + 1;
        lines.push(line);
    }
    let heading = Text::AuditListed { shown: lines.len() }.render(lang);
    format!("{heading}\n{}", lines.join("\n"))
}

fn actor_of(user: &User, identity: &PlatformIdentity) -> Actor {
    Actor {
        user_id: Some(user.id),
        identity: Some(identity.clone()),
    }
}
