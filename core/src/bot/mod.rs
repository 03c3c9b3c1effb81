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
//!
//! This file is the dispatcher and what every use case shares (who acts,
//! who hears a refusal); each use case has its module: [`ask`] (a question
//! answered, its SQL offered and repaired), [`execute`] (a click on Execute),
//! [`stop`] (who may stop an answer), [`commands`] (the typed commands).

mod ask;
mod commands;
mod execute;
mod feedback;
mod stop;

use std::sync::Arc;

use pstral_chat::{ChatPlatform, InboundEvent, MessageRef, Place, PlatformIdentity};
use serde_json::json;
use tracing::Instrument;

use crate::audit::{Actor, Audit, EventKind, NewEvent};
use crate::conversation::ConversationSettings;
use crate::conversation::{Conversations, Prompts};
use crate::i18n::{Lang, Text};
use crate::identity::{Directory, Permission, Resolution, User};
use crate::llm::Llm;
use stop::Answers;

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
    /// The target's name, which its examples are stored under.
    pub target: String,
    /// The target's glossary, fitted to its budget.
    pub glossary: Option<Arc<crate::learn::glossary::Glossary>>,
    /// The target's confirmed examples.
    pub learning: Option<Arc<crate::learn::Learning>>,
    /// How much of the examples goes into a prompt, in tokens.
    pub examples_budget: usize,
    /// The least role whose "correct" stores an example (the asker's
    /// always does).
    pub confirm_role: crate::identity::Role,
    /// The date the target's data stands at, when it is frozen; otherwise
    /// the prompt tells the clock's.
    pub today: Option<chrono::NaiveDate>,
}

/// Why an example was not stored.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("the question is empty")]
    NoQuestion,
    #[error("the SQL is refused: {0}")]
    Refused(crate::sql::validate::Refusal),
    #[error("the examples are a fixed set here")]
    NoStore,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Why a statement of an answer cannot be offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unoffered {
    /// For the user.
    pub reason: String,
    /// The model could fix it (a refusal, a compile error), as opposed to
    /// the target being unreachable.
    pub repairable: bool,
    /// The validator refused it (rather than the database).
    pub refused: bool,
}

impl SqlRuntime {
    /// Reads the target's catalogue again; returns how many tables it has.
    ///
    /// # Errors
    /// When the target cannot be read; the previous catalogue stays.
    pub async fn refresh_catalog(&self) -> Result<usize, crate::sql::exec::ExecError> {
        let mut catalog = self.executor.catalog(&self.policy.allowed_schemas).await?;
        // Without its values the catalogue still serves: the prompt then
        // names the columns only.
        catalog.values = self
            .executor
            .values(&catalog)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, target_name = %self.target, "cannot read the values of the target's short text columns");
                Vec::new()
            });
        let tables = catalog.tables.len();
        *self.catalog.write().expect("never poisoned") = Arc::new(catalog);
        // Examples are judged against the catalogue as it is now: those
        // whose tables left are set aside, those whose tables came back
        // are taken back.
        if let Some(learning) = &self.learning {
            let check = |example: &crate::learn::examples::Example| self.judge_example(example);
            match learning.recheck(&check).await {
                Ok((0, 0)) => {}
                Ok((aside, back)) => tracing::info!(
                    target_name = %self.target,
                    set_aside = aside,
                    taken_back = back,
                    "examples judged again against the new catalogue"
                ),
                Err(e) => tracing::warn!(error = %e, "cannot judge the examples again"),
            }
        }
        Ok(tables)
    }

    /// Whether results of a query run in `place` go to the clicker alone.
    pub(crate) fn results_private_in(&self, place: &Place) -> bool {
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
        let known = self.known_catalog();
        crate::sql::validate::validate_in(text, &self.policy, known.as_deref())
    }

    /// The target's catalogue as last read; `None` before the first
    /// successful read, when relations are judged by name.
    pub fn known_catalog(&self) -> Option<Arc<crate::sql::schema::Catalog>> {
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
        (!catalog.tables.is_empty()).then_some(catalog)
    }

    /// Stores a question and its SQL as an example of the target (from the
    /// CLI, the admin API, a file), after judging the SQL by the target's
    /// policy and catalogue; what is stored is the statement as judged.
    /// The language is told from the question when not given.
    ///
    /// # Errors
    /// [`KeepError`]: refused, or the store failed.
    pub async fn keep_example(
        &self,
        question: &str,
        sql: &str,
        language: Option<Lang>,
        source: crate::learn::examples::Source,
        created_by: Option<(i64, &str)>,
        fallback: Lang,
    ) -> Result<crate::learn::examples::Stored, KeepError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(KeepError::NoQuestion);
        }
        let valid = self.check(sql).map_err(KeepError::Refused)?;
        let store = self
            .learning
            .as_ref()
            .and_then(|l| l.store())
            .ok_or(KeepError::NoStore)?;
        let language =
            language.unwrap_or_else(|| crate::learn::text::language_of(question, fallback));
        Ok(store
            .add(crate::learn::examples::NewExample {
                target: &self.target,
                question,
                sql: &valid.text,
                dialect: valid.dialect,
                language,
                source,
                created_by,
                result_columns: None,
                result_rows: None,
            })
            .await?)
    }

    /// Whether a stored example may be shown now: written for this dialect,
    /// and passing the policy and the catalogue.
    ///
    /// # Errors
    /// Why not, as the example's set-aside reason.
    pub fn judge_example(&self, example: &crate::learn::examples::Example) -> Result<(), String> {
        if example.dialect != self.policy.dialect.as_str() {
            return Err(format!(
                "written for {}, and the target is now {}",
                example.dialect, self.policy.dialect
            ));
        }
        self.check(&example.sql)
            .map(drop)
            .map_err(|r| r.to_string())
    }

    /// What a SQL prompt shows for `question`: today's date, the glossary,
    /// the tables with the values of their short text columns, the most
    /// similar examples that pass the policy now, and the values close to
    /// the question's words.
    pub async fn prompt_context(&self, llm: &Llm, question: &str) -> crate::learn::PromptContext {
        self.prompt_context_skipping(llm, question, &|_| false, true)
            .await
    }

    /// [`SqlRuntime::prompt_context`], leaving out the examples `skip`
    /// names, and the values when the asker may not read data (`values`:
    /// the values are the target's data, which only who may Execute reads;
    /// the structure is for everyone who may ask).
    pub async fn prompt_context_skipping(
        &self,
        llm: &Llm,
        question: &str,
        skip: &crate::learn::Skip<'_>,
        values: bool,
    ) -> crate::learn::PromptContext {
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
        let examples = match &self.learning {
            Some(learning) => {
                let check = |example: &crate::learn::examples::Example| self.judge_example(example);
                learning
                    .pick(llm, question, self.examples_budget, &check, skip)
                    .await
            }
            None => crate::learn::Picked::default(),
        };
        crate::learn::PromptContext {
            today: Some(
                self.today
                    .unwrap_or_else(|| chrono::Local::now().date_naive()),
            ),
            frozen: self.today.is_some(),
            glossary: self.glossary.as_ref().map(|g| g.text.clone()),
            schema: catalog.context(question, self.schema_budget, values),
            examples,
            near: if values {
                catalog.near(question)
            } else {
                Vec::new()
            },
        }
    }

    /// Judges one statement of an answer as the bot does before offering
    /// it: the validator, then EXPLAIN when configured. Returns what may
    /// run and the database's row estimate.
    ///
    /// # Errors
    /// Why it cannot be offered, in `lang`.
    pub async fn judge_block(
        &self,
        text: &str,
        index: u32,
        lang: Lang,
    ) -> Result<(crate::sql::validate::Validated, Option<u64>), Unoffered> {
        let valid = self.check(text).map_err(|refusal| Unoffered {
            reason: Text::SqlRefused(&refusal).render(lang),
            repairable: true,
            refused: true,
        })?;
        if !self.explain {
            return Ok((valid, None));
        }
        match self.executor.explain(&valid).await {
            Ok(plan) => Ok((valid, plan.rows.map(|r| r.max(0.0).round() as u64))),
            Err(
                crate::sql::exec::ExecError::Database(message)
                | crate::sql::exec::ExecError::TooHeavy(message),
            ) => Err(Unoffered {
                reason: Text::SqlDoesNotCompile {
                    index,
                    message: &message,
                }
                .render(lang),
                repairable: true,
                refused: false,
            }),
            Err(e) => Err(Unoffered {
                reason: Text::ExecuteUnavailable {
                    reason: &e.to_string(),
                }
                .render(lang),
                repairable: false,
                refused: false,
            }),
        }
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
    answers: Answers,
    /// Messages whose overheard forms (a formatted body, say) just had
    /// their codes burnt: the question they carry is then not told again.
    burnt_in: RecentIds,
    /// The end of each person's last text in each place.
    tails: Tails,
}

/// The last characters each person wrote in each place, so that a code
/// split over two messages is seen whole. Bounded: forgotten all at once
/// when full.
#[derive(Default)]
pub(super) struct Tails(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl Tails {
    const KEPT: usize = 4096;
    /// Enough for ten letters however they are spaced, dotted or marked up.
    const CHARS: usize = 120;

    /// Keeps the end of `text` under `key` and gives back what was kept
    /// before (empty when nothing).
    pub(super) fn swap(&self, key: &str, text: Option<&str>) -> String {
        let mut tails = self.0.lock().expect("never poisoned");
        if tails.len() >= Self::KEPT {
            tails.clear();
        }
        let tail = text.map(|t| {
            let skip = t.chars().count().saturating_sub(Self::CHARS);
            t.chars().skip(skip).collect::<String>()
        });
        match tail {
            Some(tail) => tails.insert(key.to_owned(), tail),
            None => tails.remove(key),
        }
        .unwrap_or_default()
    }
}

/// The last few message ids noted, forgotten oldest first.
#[derive(Default)]
pub(super) struct RecentIds(std::sync::Mutex<std::collections::VecDeque<String>>);

impl RecentIds {
    const KEPT: usize = 256;

    pub(super) fn insert(&self, id: &str) {
        let mut ids = self.0.lock().expect("never poisoned");
        if ids.len() >= Self::KEPT {
            ids.pop_front();
        }
        ids.push_back(id.to_owned());
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.0
            .lock()
            .expect("never poisoned")
            .iter()
            .any(|i| i == id)
    }
}

/// Who hears about a refusal: everyone where it happened (a question, a
/// typed command), or only the person who acted (a click on a control, which
/// the rest of the channel did not see).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    Place,
    Actor,
}

/// Who hears a refusal or a failure, and where.
pub(super) struct Listeners<'a> {
    platform: &'a dyn ChatPlatform,
    audience: Audience,
    actor: &'a PlatformIdentity,
    place: &'a Place,
    reply_to: Option<&'a str>,
}

/// A question, as the core handles it.
pub(super) struct Question<'a> {
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
                answers: Answers::default(),
                burnt_in: RecentIds::default(),
                tails: Tails::default(),
            }),
        }
    }

    /// Stops every answer being written, because the service is stopping
    /// and cannot wait any longer: each ends with the partial answer and a
    /// note that it was stopped, rather than a half-edited message; the
    /// record says `stopped_by: "shutdown"`. Returns how many were stopped.
    pub fn stop_all(&self) -> usize {
        self.inner.answers.stop_all()
    }

    /// The model client the bot answers with.
    pub fn llm(&self) -> &Llm {
        &self.parts().llm
    }

    pub(super) fn parts(&self) -> &BotParts {
        &self.inner.parts
    }

    pub(super) fn lang(&self) -> Lang {
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
                InboundEvent::Withdrawn { by, message } => {
                    match self
                        .parts()
                        .conversations
                        .withdraw(&message.place, &message.id)
                        .await
                    {
                        Ok(found) => tracing::debug!(
                            by = ?by.map(|b| b.to_string()),
                            message = %message.id,
                            found,
                            "a message was taken back"
                        ),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot forget a message taken back")
                        }
                    }
                }
                InboundEvent::Overheard {
                    author,
                    place,
                    message,
                    texts,
                } => {
                    self.overheard(
                        platform.as_ref(),
                        author.as_ref(),
                        &place,
                        message.as_deref(),
                        &texts,
                    )
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

    pub(super) async fn say(
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
    pub(super) async fn authorize(
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
            Ok(Resolution::RefusedQuietly) => {
                tracing::debug!(who = %author, reason = "unknown_user", "refused again, quietly: told often enough lately");
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
    pub(super) async fn member(
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

    /// The author of an admin command, if they are an admin (told why not
    /// privately: the command may have been typed in a channel).
    pub(super) async fn admin(
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
            Permission::Administer,
            Audience::Actor,
        )
        .await
    }

    /// Says something to the audience of a refusal or a failure.
    pub(super) async fn tell(&self, to: &Listeners<'_>, text: Text<'_>) {
        match to.audience {
            Audience::Place => self.say(to.platform, to.place, to.reply_to, text).await,
            Audience::Actor => {
                self.tell_privately(to.platform, to.actor, to.place, text)
                    .await
            }
        }
    }

    /// Says why there is no Execute target, to the audience of a refusal.
    pub(super) async fn tell_sql_unavailable(&self, to: &Listeners<'_>) {
        let reason = self
            .parts()
            .sql_unavailable
            .clone()
            .unwrap_or_else(|| "no Execute target is configured".to_owned());
        self.tell(to, Text::ExecuteUnavailable { reason: &reason })
            .await;
    }

    /// Says something to one person only (an ephemeral reply, a DM).
    pub(super) async fn tell_privately(
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
}

pub(super) fn actor_of(user: &User, identity: &PlatformIdentity) -> Actor {
    Actor {
        user_id: Some(user.id),
        identity: Some(identity.clone()),
    }
}
