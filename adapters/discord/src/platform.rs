//! What the core asks of Discord, carried out over serenity's REST client.
//!
//! Every change to one of the bot's messages (its text while an answer
//! streams, its buttons) goes through one path per message: callers set the
//! state they want and at most one PATCH of that message is in flight; each
//! PATCH sends the newest state. So a 429 (which serenity waits out and
//! retries, holding the request) can delay an edit but never lose it, and an
//! older text can never be sent after a newer one: two concurrent PATCHes of
//! one message could otherwise be reordered on the wire by the ratelimiter.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pstral_chat::latest::LatestWins;
use pstral_chat::{
    Allowance, AllowanceLeft, Attachment, Audience, ChatPlatform, ControlKind, Limits, MessageRef,
    Place, Platform, PlatformError, PlatformIdentity,
};
use serenity::builder::{
    CreateAllowedMentions, CreateAttachment, CreateInteractionResponseFollowup, CreateMessage,
    EditInteractionResponse, EditMessage,
};
use serenity::http::Http;
use serenity::model::application::{CommandInteraction, ComponentInteraction};
use serenity::model::channel::Message;
use serenity::model::id::{ChannelId, MessageId, UserId};

use crate::controls;

/// Discord's own limit on a message's content.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Discord lists a server's members a thousand at a time.
const MEMBERS_PER_PAGE: u64 = 1000;
/// The most pages of members read to tell who sees a channel (100,000
/// members); a larger server's audience is unknown.
const MAX_MEMBER_PAGES: usize = 100;
/// How many of the bot's messages keep their state for later edits.
const TRACKED_MESSAGES: usize = 2048;

/// Discord's limits, as the core should plan for them.
pub fn limits() -> Limits {
    Limits {
        max_message_chars: MAX_MESSAGE_CHARS,
        // Discord allows 5 message edits per 5 s in a channel; a message
        // is edited at most once a second.
        min_edit_interval: Duration::from_millis(1000),
        edit_allowance: Allowance::per_channel(5, Duration::from_secs(1)),
        buttons: true,
        command_prefix: "/",
    }
}

/// The state wanted for one of the bot's messages.
#[derive(Clone, Default)]
struct Wanted {
    /// `None` when the text is not known here (a message from before a
    /// restart): a PATCH then leaves the text alone.
    content: Option<String>,
    controls: Vec<ControlKind>,
}

/// Discord, as the core sees it.
pub struct DiscordPlatform {
    platform: Platform,
    limits: Limits,
    http: Arc<Http>,
    labels: Arc<dyn pstral_chat::Labels>,
    messages: LatestWins<Wanted>,
    /// Threads the bot has written in: it follows them without a mention.
    participating: Mutex<HashSet<u64>>,
}

impl DiscordPlatform {
    pub fn new(http: Arc<Http>, labels: Arc<dyn pstral_chat::Labels>) -> Self {
        Self {
            platform: "discord".parse().expect("a valid platform name"),
            limits: limits(),
            http,
            labels,
            messages: LatestWins::new(TRACKED_MESSAGES),
            participating: Mutex::new(HashSet::new()),
        }
    }

    pub fn http(&self) -> &Arc<Http> {
        &self.http
    }

    /// Whether the bot has written in this thread.
    pub fn takes_part_in(&self, thread: u64) -> bool {
        self.participating
            .lock()
            .expect("never poisoned")
            .contains(&thread)
    }

    /// Changes the wanted state of a message and brings Discord to it (or to
    /// a newer state another caller asked for meanwhile).
    async fn change(
        &self,
        message: &MessageRef,
        change: impl FnOnce(&mut Wanted),
    ) -> Result<(), PlatformError> {
        let (channel, id) = (channel_of(&message.place)?, snowflake(&message.id)?);
        self.messages
            .change(&message.id, change, |wanted| async move {
                let mut edit = EditMessage::new()
                    .components(controls::rows(&wanted.controls, self.labels.as_ref()))
                    .allowed_mentions(CreateAllowedMentions::new());
                if let Some(content) = wanted.content {
                    edit = edit.content(shown(&content));
                }
                ChannelId::new(channel)
                    .edit_message(self.http.as_ref(), MessageId::new(id), edit)
                    .await
                    .map(|_| ())
                    .map_err(map_error)
            })
            .await
    }

    async fn send(
        &self,
        place: &Place,
        channel: u64,
        message: CreateMessage,
    ) -> Result<MessageRef, PlatformError> {
        let sent = ChannelId::new(channel)
            .send_message(self.http.as_ref(), message)
            .await
            .map_err(map_error)?;
        if place.thread.is_some() {
            let mut threads = self.participating.lock().expect("never poisoned");
            // Bounded: the oldest threads are forgotten all at once (they
            // then need a mention again), rather than kept for ever.
            if threads.len() >= TRACKED_MESSAGES {
                threads.clear();
            }
            threads.insert(channel);
        }
        Ok(MessageRef {
            place: place.clone(),
            id: sent.id.to_string(),
        })
    }

    /// Sends `text` and files to one user in their DM with the bot.
    async fn direct(
        &self,
        to: &PlatformIdentity,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        check_length(text)?;
        let user = UserId::new(snowflake(to.id())?);
        let dm = user
            .create_dm_channel(self.http.as_ref())
            .await
            .map_err(map_error)?;
        let mut message = CreateMessage::new()
            .content(shown(text))
            .allowed_mentions(CreateAllowedMentions::new());
        for a in attachments {
            message = message.add_file(attachment(a));
        }
        dm.id
            .send_message(self.http.as_ref(), message)
            .await
            .map_err(map_error)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ChatPlatform for DiscordPlatform {
    fn platform(&self) -> &Platform {
        &self.platform
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The channel's bucket for message edits, as serenity's ratelimiter
    /// keeps it from Discord's `X-RateLimit-*` headers.
    async fn allowance_left(&self, place: &Place) -> Option<AllowanceLeft> {
        let channel_id = ChannelId::new(channel_of(place).ok()?);
        let bucket = serenity::http::Route::ChannelMessage {
            channel_id,
            message_id: MessageId::new(1),
        }
        .ratelimiting_bucket();
        let routes = self.http.ratelimiter.as_ref()?.routes();
        let limit = routes.read().await.get(&bucket)?.clone();
        let limit = limit.lock().await;
        let remaining = u32::try_from(limit.remaining()).ok()?;
        // Past its reset, the bucket is whole again and what serenity kept
        // of it is stale (it renews it at the next request): the platform
        // says nothing current.
        let reset_after = limit
            .reset()?
            .duration_since(std::time::SystemTime::now())
            .ok()?;
        Some(AllowanceLeft {
            remaining,
            reset_after,
        })
    }

    async fn post(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        text: &str,
    ) -> Result<MessageRef, PlatformError> {
        check_length(text)?;
        let channel = channel_of(place)?;
        // The model's text is never allowed to ping anyone (@everyone).
        let mut message = CreateMessage::new()
            .content(shown(text))
            .allowed_mentions(CreateAllowedMentions::new());
        if let Some(parent) = in_reply_to {
            message = message
                .reference_message((ChannelId::new(channel), MessageId::new(snowflake(parent)?)));
        }
        let posted = self.send(place, channel, message).await?;
        self.messages.posted(
            &posted.id,
            Wanted {
                content: Some(text.to_owned()),
                controls: Vec::new(),
            },
        );
        Ok(posted)
    }

    async fn edit(&self, message: &MessageRef, text: &str) -> Result<(), PlatformError> {
        check_length(text)?;
        self.change(message, |w| w.content = Some(text.to_owned()))
            .await
    }

    async fn attach(&self, place: &Place, attachment: Attachment) -> Result<(), PlatformError> {
        let channel = channel_of(place)?;
        let message = CreateMessage::new().add_file(self::attachment(attachment));
        self.send(place, channel, message).await.map(|_| ())
    }

    async fn show_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        if controls::custom_id(control).is_none() {
            return Ok(());
        }
        self.change(message, |w| {
            if !w.controls.contains(control) {
                w.controls.push(control.clone());
            }
        })
        .await
    }

    async fn withdraw_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        self.change(message, |w| w.controls.retain(|c| c != control))
            .await
    }

    /// The guild's members who may view the channel (a thread's readers
    /// are among its channel's), by the permissions Discord documents:
    /// @everyone's and their roles', then the channel's overwrites for
    /// @everyone, their roles and themselves; an administrator or the owner
    /// sees all. Listing members needs the Server Members intent: without
    /// it, Discord does not say, and neither does this (`None`).
    ///
    /// A channel's readers change with roles: whoever is later given a role
    /// that views it reads its history too. So a guild channel is always
    /// open to later readers ([`pstral_chat::Later::Open`]); an admin who knows better
    /// marks it closed in the configuration.
    async fn audience(&self, place: &Place) -> Result<Option<Audience>, PlatformError> {
        use serenity::model::channel::Channel;
        if place.private {
            return Ok(None);
        }
        let channel = match self
            .http
            .get_channel(ChannelId::new(snowflake(&place.channel)?))
            .await
        {
            Ok(Channel::Guild(channel)) => channel,
            Ok(_) => return Ok(None),
            Err(e) => return Err(map_error(e)),
        };
        let guild = self
            .http
            .get_guild(channel.guild_id)
            .await
            .map_err(map_error)?;
        let me = self.http.get_current_user().await.map_err(map_error)?.id;
        let mut audience = Vec::new();
        let mut after = None;
        for _ in 0..MAX_MEMBER_PAGES {
            let page = match self
                .http
                .get_guild_members(channel.guild_id, Some(MEMBERS_PER_PAGE), after)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "cannot list the server's members (the bot needs the Server Members intent): \
                         who reads a channel is unknown"
                    );
                    return Ok(None);
                }
            };
            for member in &page {
                if member.user.id != me
                    && guild.user_permissions_in(&channel, member).view_channel()
                    && let Ok(identity) =
                        PlatformIdentity::new(self.platform.clone(), member.user.id.to_string())
                {
                    audience.push(identity);
                }
            }
            if page.len() < MEMBERS_PER_PAGE as usize {
                return Ok(Some(Audience::open(audience)));
            }
            after = page.last().map(|m| m.user.id.get());
        }
        // A server too large to list within the bound: unknown.
        Ok(None)
    }

    async fn reply_privately(
        &self,
        to: &PlatformIdentity,
        place: &Place,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        if place.private {
            check_length(text)?;
            let channel = channel_of(place)?;
            let mut message = CreateMessage::new()
                .content(shown(text))
                .allowed_mentions(CreateAllowedMentions::new());
            for a in attachments {
                message = message.add_file(attachment(a));
            }
            return self.send(place, channel, message).await.map(|_| ());
        }
        self.direct(to, text, attachments).await
    }
}

/// The interaction an event came with: private replies to its user go back
/// through it, as ephemeral messages only they see.
pub enum Interaction {
    /// A slash command, deferred: the first answer replaces "thinking…".
    Command {
        interaction: Box<CommandInteraction>,
        /// Deferred as visible to its user alone.
        ephemeral: bool,
    },
    /// A button click, acknowledged: answers are follow-ups.
    Component(Box<ComponentInteraction>),
}

/// Discord seen from one interaction: private replies to the person who
/// acted are ephemeral, and a slash command's own answer completes it.
pub struct InteractionPlatform {
    base: Arc<DiscordPlatform>,
    interaction: Interaction,
    user: PlatformIdentity,
    /// The deferred response has been given its content.
    answered: tokio::sync::Mutex<bool>,
}

impl InteractionPlatform {
    /// `answered`: the deferred response already has its content (`/ask`
    /// shows the question there), so it is kept, not removed at the end.
    pub fn new(
        base: Arc<DiscordPlatform>,
        interaction: Interaction,
        user: PlatformIdentity,
        answered: bool,
    ) -> Self {
        Self {
            base,
            interaction,
            user,
            answered: tokio::sync::Mutex::new(answered),
        }
    }

    /// Answers the interaction itself: the deferred response first, then
    /// follow-ups (ephemeral when asked, or when the response was).
    async fn respond(
        &self,
        text: &str,
        attachments: Vec<Attachment>,
        ephemeral: bool,
    ) -> Result<Message, PlatformError> {
        check_length(text)?;
        let http = self.base.http.as_ref();
        let files: Vec<CreateAttachment> = attachments.into_iter().map(attachment).collect();
        let mut answered = self.answered.lock().await;
        let message = match &self.interaction {
            Interaction::Command {
                interaction,
                ephemeral: deferred_ephemeral,
            } if !*answered && *deferred_ephemeral == ephemeral => {
                let mut edit = EditInteractionResponse::new()
                    .content(shown(text))
                    .allowed_mentions(CreateAllowedMentions::new());
                for f in files {
                    edit = edit.new_attachment(f);
                }
                interaction.edit_response(http, edit).await
            }
            Interaction::Command { interaction, .. } => {
                let followup = followup(text, files, ephemeral);
                interaction.create_followup(http, followup).await
            }
            Interaction::Component(interaction) => {
                let followup = followup(text, files, ephemeral);
                interaction.create_followup(http, followup).await
            }
        }
        .map_err(map_error)?;
        *answered = true;
        Ok(message)
    }

    /// Once the event is handled: a slash command whose deferred response
    /// was never given content would say "thinking…" forever; remove it.
    pub async fn finish(&self) {
        if let Interaction::Command { interaction, .. } = &self.interaction
            && !*self.answered.lock().await
            && let Err(e) = interaction.delete_response(self.base.http.as_ref()).await
        {
            tracing::warn!(error = %e, "cannot remove an unanswered deferred response");
        }
    }
}

fn followup(
    text: &str,
    files: Vec<CreateAttachment>,
    ephemeral: bool,
) -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new()
        .content(shown(text))
        .ephemeral(ephemeral)
        .allowed_mentions(CreateAllowedMentions::new())
        .add_files(files)
}

#[async_trait::async_trait]
impl ChatPlatform for InteractionPlatform {
    fn platform(&self) -> &Platform {
        self.base.platform()
    }

    fn limits(&self) -> &Limits {
        self.base.limits()
    }

    async fn allowance_left(&self, place: &Place) -> Option<AllowanceLeft> {
        self.base.allowance_left(place).await
    }

    /// A message that replies to nothing is the command's own answer.
    async fn post(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        text: &str,
    ) -> Result<MessageRef, PlatformError> {
        match (&self.interaction, in_reply_to) {
            (Interaction::Command { ephemeral, .. }, None) => {
                let message = self.respond(text, Vec::new(), *ephemeral).await?;
                Ok(MessageRef {
                    place: place.clone(),
                    id: message.id.to_string(),
                })
            }
            _ => self.base.post(place, in_reply_to, text).await,
        }
    }

    async fn edit(&self, message: &MessageRef, text: &str) -> Result<(), PlatformError> {
        self.base.edit(message, text).await
    }

    async fn attach(&self, place: &Place, attachment: Attachment) -> Result<(), PlatformError> {
        self.base.attach(place, attachment).await
    }

    async fn show_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        self.base.show_control(message, control).await
    }

    async fn withdraw_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        self.base.withdraw_control(message, control).await
    }

    async fn audience(&self, place: &Place) -> Result<Option<Audience>, PlatformError> {
        self.base.audience(place).await
    }

    async fn reply_privately(
        &self,
        to: &PlatformIdentity,
        place: &Place,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        if *to == self.user {
            self.respond(text, attachments, true).await.map(|_| ())
        } else {
            self.base
                .reply_privately(to, place, text, attachments)
                .await
        }
    }
}

/// What Discord is sent for `text`: its links and images shown as text
/// ([`crate::markdown::inert`]), within the length limit (an escape adds a
/// character; a text at the limit with links loses its end).
pub(crate) fn shown(text: &str) -> String {
    let inert = crate::markdown::inert(text);
    if inert.chars().count() <= MAX_MESSAGE_CHARS {
        return inert.into_owned();
    }
    let mut cut: String = inert.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn check_length(text: &str) -> Result<(), PlatformError> {
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(PlatformError::TooLong {
            chars,
            max: MAX_MESSAGE_CHARS,
        });
    }
    Ok(())
}

/// Where a place's messages go: its thread when it has one.
pub fn channel_of(place: &Place) -> Result<u64, PlatformError> {
    snowflake(place.thread.as_deref().unwrap_or(&place.channel))
}

fn snowflake(id: &str) -> Result<u64, PlatformError> {
    id.parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| PlatformError::NotFound(format!("{id:?} is not a Discord id")))
}

/// Serenity's errors as the core understands them.
pub fn map_error(e: serenity::Error) -> PlatformError {
    use serenity::http::HttpError;
    match &e {
        serenity::Error::Model(serenity::model::ModelError::MessageTooLong(over)) => {
            PlatformError::TooLong {
                chars: MAX_MESSAGE_CHARS + over,
                max: MAX_MESSAGE_CHARS,
            }
        }
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            match response.status_code.as_u16() {
                // Serenity retries a 429 that carries Retry-After; one that
                // reaches here had none, so the time is Discord's usual.
                429 => PlatformError::RateLimited {
                    retry_after: Duration::from_secs(1),
                },
                404 => PlatformError::NotFound(response.error.message.clone()),
                _ => PlatformError::Other(Box::new(e)),
            }
        }
        _ => PlatformError::Other(Box::new(e)),
    }
}

/// The longest description of an attachment Discord takes.
const MAX_DESCRIPTION: usize = 1024;

/// A file as Discord attaches it; an image with its description, which
/// Discord shows to whoever cannot see it (alt text).
fn attachment(a: Attachment) -> CreateAttachment {
    let file = CreateAttachment::bytes(a.bytes, a.file_name);
    match a.image {
        // Discord takes at most 1,024 characters (400 past them).
        Some(image) => file.description(
            image
                .description
                .chars()
                .take(MAX_DESCRIPTION)
                .collect::<String>(),
        ),
        None => file,
    }
}
