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
//! answered), [`offer`] (its SQL offered and repaired), [`execute`] (a click
//! on Execute), [`stop`] (who may stop an answer), [`commands`] (the typed
//! commands).

mod ask;
mod commands;
mod execute;
mod feedback;
mod interrupted;
mod offer;
mod pick;
mod posted;
pub(crate) mod reply;
mod stop;
mod suggest;

use std::sync::Arc;

use pstral_chat::{ChatPlatform, InboundEvent, MessageRef, Place, PlatformIdentity};
use serde_json::json;
use tracing::Instrument;

use crate::audit::{Actor, Audit, EventKind, NewEvent};
use crate::conversation::ConversationSettings;
use crate::conversation::{Conversations, Prompts};
use crate::i18n::{Lang, Link, Text};
use crate::identity::{Directory, Permission, Resolution, User};
use crate::llm::Llm;
use crate::sql_target::SqlRuntime;
use reply::Reply;
use stop::Answers;

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
    /// Execute's target, or why there is none (SQL is then shown, not
    /// offered, and `run` says why).
    pub sql: Result<SqlRuntime, NoTarget>,
    /// This process among the replicas: what it acted on, the answers it
    /// writes.
    pub replica: crate::replicas::Replica,
}

/// Why the bot has no Execute target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoTarget {
    /// None was given: a bot assembled for conversation alone (tests,
    /// benches). SQL in an answer is shown, and nothing said of Execute.
    NotConfigured,
    /// The configured target cannot be used, and why: said under an
    /// answer that holds SQL, and to whoever asks to run one.
    Unavailable(String),
}

/// The bot: cheap to clone, shared by every adapter.
#[derive(Clone)]
pub struct Bot {
    inner: Arc<Inner>,
}

struct Inner {
    parts: BotParts,
    answers: Answers,
    /// What each platform allowance has left for streamed answers.
    edit_budgets: crate::stream::budget::EditBudgets,
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
#[derive(Clone, Copy)]
pub(super) struct Listeners<'a> {
    platform: &'a dyn ChatPlatform,
    audience: Audience,
    actor: &'a PlatformIdentity,
    place: &'a Place,
    reply_to: Option<&'a str>,
}

impl<'a> Listeners<'a> {
    /// Everyone where it happened hears (a question, a typed command).
    pub(super) fn everyone(
        platform: &'a dyn ChatPlatform,
        actor: &'a PlatformIdentity,
        place: &'a Place,
        reply_to: Option<&'a str>,
    ) -> Self {
        Self::only_actor(platform, actor, place, reply_to).heard_by(Audience::Place)
    }

    /// Only the person who acted hears (a click, an admin's command).
    pub(super) fn only_actor(
        platform: &'a dyn ChatPlatform,
        actor: &'a PlatformIdentity,
        place: &'a Place,
        reply_to: Option<&'a str>,
    ) -> Self {
        Listeners {
            platform,
            audience: Audience::Actor,
            actor,
            place,
            reply_to,
        }
    }

    fn heard_by(self, audience: Audience) -> Self {
        Listeners { audience, ..self }
    }
}

/// Who reads a place, as [`Bot::place_readers`] found it.
pub(super) struct PlaceReaders {
    /// Their groups, and whether people let in later read back what is
    /// posted now: they are counted as anyone (see [`Bot::place_readers`]).
    pub(super) readership: crate::sql_target::execution::PlaceReadership,
    /// Who they are.
    pub(super) readers: Vec<PlatformIdentity>,
    /// When the platform told it.
    pub(super) read_at: std::time::Instant,
}

/// A question, as the core handles it.
pub(super) struct Question<'a> {
    author: &'a PlatformIdentity,
    message: &'a MessageRef,
    in_reply_to: Option<&'a str>,
    text: &'a str,
}

#[async_trait::async_trait]
impl pstral_chat::EventHandler for Bot {
    async fn handle(&self, platform: Arc<dyn ChatPlatform>, event: InboundEvent) {
        Bot::handle(self, platform, event).await;
    }

    async fn connected(&self, platform: Arc<dyn ChatPlatform>) {
        self.end_interrupted(platform.as_ref()).await;
    }
}

impl Bot {
    pub fn new(parts: BotParts) -> Self {
        Self {
            inner: Arc::new(Inner {
                parts,
                answers: Answers::default(),
                edit_budgets: Default::default(),
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

    /// The groups of each person the platform lists as reading `place`
    /// now besides `except`, each set of groups once (someone no one linked
    /// is in no group); `None` when who reads it cannot be told. A direct
    /// conversation the platform cannot list is `except`'s alone.
    pub(super) async fn audience_groups(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        except: &PlatformIdentity,
    ) -> Option<Vec<Vec<String>>> {
        self.place_readers(platform, place, except)
            .await
            .map(|readers| readers.readership.people)
    }

    /// Who reads `place` besides `except`, asked of the platform now: each
    /// reader's groups (each set once), who they are, and whether people
    /// let in later read back what is posted now (a direct conversation,
    /// or a place an admin marked closed, has none). `None` when who reads
    /// it cannot be told.
    pub(super) async fn place_readers(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        except: &PlatformIdentity,
    ) -> Option<PlaceReaders> {
        let audience = match platform.audience(place).await {
            Ok(Some(audience)) => audience,
            Ok(None) if place.private => pstral_chat::Audience::closed(Vec::new()),
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell who reads a place");
                return None;
            }
        };
        let read_at = std::time::Instant::now();
        let directory = &self.parts().directory;
        let mut people: Vec<Vec<String>> = Vec::new();
        let mut readers = Vec::new();
        for member in audience.readers.into_iter().filter(|m| m != except) {
            let groups = match directory.user_of(&member).await.ok()? {
                Some(user) => directory.groups_of(user.id).await.ok()?,
                None => Vec::new(),
            };
            if !people.contains(&groups) {
                people.push(groups);
            }
            readers.push(member);
        }
        // A direct conversation is its person's: whom they let in later
        // is as if they forwarded what they read there.
        let later = audience.later == pstral_chat::Later::Open
            && !place.private
            && !self.parts().sql.as_ref().is_ok_and(|sql| {
                sql.readers
                    .rules
                    .closed(place.platform.as_str(), &place.channel)
            });
        Some(PlaceReaders {
            readership: crate::sql_target::execution::PlaceReadership { people, later },
            readers,
            read_at,
        })
    }

    /// Handles one event to the end (the answer streamed, the command
    /// carried out). Failures are logged and told to the user; nothing is
    /// returned.
    pub async fn handle(&self, platform: Arc<dyn ChatPlatform>, event: InboundEvent) {
        let span = crate::telemetry::request_span("event");
        async move {
            if !self.first_time(&event).await {
                return;
            }
            match event {
                InboundEvent::Message {
                    author,
                    message,
                    in_reply_to,
                    text,
                } => {
                    let question = Question {
                        author: &author,
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
                    ..
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
                        Err(e) => self.unrecorded("forget a message taken back", &e),
                    }
                }
                InboundEvent::Command {
                    author,
                    place,
                    message,
                    in_reply_to,
                    command,
                } => {
                    let said = (message.as_deref(), in_reply_to.as_deref());
                    self.command(platform.as_ref(), &author, &place, said, command)
                        .await;
                }
            }
        }
        .instrument(span)
        .await;
    }

    /// Whether `event` is acted on here: the first delivery of a message,
    /// a command or a click, by the platform's id, decided by the own
    /// database so that a delivery again (a gateway replay, a catch-up
    /// sync after a restart or a takeover) is left alone whichever replica
    /// gets it. Platform, channel and id name one event on every platform:
    /// Discord's ids are snowflakes, unique across all of Discord; Matrix
    /// event ids are unique per homeserver (room versions 3+ derive them
    /// from the event's hash); the terminal puts its session's own id in
    /// each. An event without an id (a taking back, a click some platform
    /// reports without one) is acted on as it comes.
    async fn first_time(&self, event: &InboundEvent) -> bool {
        let (place, id) = match event {
            InboundEvent::Message { message, .. } => (&message.place, Some(message.id.as_str())),
            InboundEvent::Command { place, message, .. } => (place, message.as_deref()),
            InboundEvent::Control {
                message, event: id, ..
            } => (&message.place, id.as_deref()),
            InboundEvent::Withdrawn { .. } => return true,
        };
        let Some(id) = id else { return true };
        match self.parts().replica.first_time(place, id).await {
            Ok(crate::replicas::Handled::First) => true,
            Ok(crate::replicas::Handled::Again) => {
                tracing::info!(
                    platform = %place.platform,
                    channel = %place.channel,
                    event = %id,
                    reason = "delivered again",
                    "not acting on an event: it was acted on already"
                );
                false
            }
            Ok(crate::replicas::Handled::NotLeader) => {
                tracing::warn!(
                    platform = %place.platform,
                    channel = %place.channel,
                    event = %id,
                    "not acting on an event: another replica leads now"
                );
                false
            }
            // Without the record, the event is acted on: a delivery again
            // would be answered twice, which is better than not at all.
            Err(e) => {
                tracing::warn!(error = %e, "cannot record that an event is acted on");
                true
            }
        }
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

    /// Who acts (`to.actor`, by their account: a display name names
    /// nobody, anyone may choose it), checked now: what to tell `to` when they may not do
    /// `permission` (a refusal of the role is audited here).
    pub(super) async fn authorize(
        &self,
        to: &Listeners<'_>,
        permission: Permission,
    ) -> Result<User, Reply<'_>> {
        let (platform, author, place) = (to.platform, to.actor, to.place);
        let directory = &self.parts().directory;
        let user = match directory.resolve(author, Some(place)).await {
            Ok(Resolution::Known(user) | Resolution::Created(user)) => user,
            Ok(Resolution::Refused) => {
                tracing::info!(who = %author, reason = "unknown_user", "refused: not linked to a local user");
                return Err(Reply::Tell(Text::Link(Link::UnknownIdentity {
                    contact: directory.contact(),
                    prefix: platform.limits().command_prefix,
                })));
            }
            Ok(Resolution::RefusedQuietly) => {
                tracing::debug!(who = %author, reason = "unknown_user", "refused again, quietly: told often enough lately");
                return Err(Reply::Silent);
            }
            Err(e) => return Err(Reply::unrecorded("resolve who wrote")(e)),
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
            self.record(event, "record a refusal").await;
            return Err(Reply::Tell(Text::Link(Link::NotAllowed {
                needed: needed.as_str(),
            })));
        }
        Ok(user)
    }

    /// [`Bot::authorize`], with a refusal told to `to`.
    pub(super) async fn authorized(
        &self,
        to: &Listeners<'_>,
        permission: Permission,
    ) -> Option<User> {
        match self.authorize(to, permission).await {
            Ok(user) => Some(user),
            Err(reply) => {
                self.report(to, reply).await;
                None
            }
        }
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
        self.authorized(
            &Listeners::everyone(platform, author, place, message),
            Permission::Chat,
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
        self.authorized(
            &Listeners::only_actor(platform, author, place, message),
            Permission::Administer,
        )
        .await
    }

    /// Says something to the audience of a refusal or a failure.
    pub(super) async fn tell(&self, to: &Listeners<'_>, text: Text<'_>) {
        self.tell_written(to, &text.render(self.lang())).await;
    }

    /// Says `text`, already in the audience's language, to the audience.
    pub(super) async fn tell_written(&self, to: &Listeners<'_>, text: &str) {
        match to.audience {
            Audience::Place => {
                if let Err(e) = to.platform.post(to.place, to.reply_to, text).await {
                    tracing::error!(error = %e, "cannot post a reply");
                }
            }
            Audience::Actor => {
                let private = to
                    .platform
                    .reply_privately(to.actor, to.place, text, Vec::new());
                if let Err(e) = private.await {
                    tracing::error!(error = %e, "cannot reply privately");
                }
            }
        }
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
