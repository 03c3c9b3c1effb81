//! Pstral on Discord, through serenity.
//!
//! [`Discord`] is the [`Connector`] `pstral run` serves: it opens the gateway
//! (reconnect, resume and sharding are serenity's), registers the slash
//! commands, and turns what arrives into the chat contract's events:
//! - a message is for the bot when it is a DM, mentions the bot (or its
//!   role), replies to one of the bot's messages, or is in a thread the bot
//!   writes in;
//! - a button click is acknowledged at once (Discord gives 3 seconds) and
//!   reported as a control; its custom_id is a claim the core checks;
//! - a slash command is deferred at once and reported as a command (or, for
//!   `/ask`, as a question shown in the channel).
//!
//! What the core asks is carried out by [`platform::DiscordPlatform`].

pub mod commands;
pub mod controls;
mod markdown;
pub mod platform;
pub mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use pstral_chat::{
    Command, ConnectionState, Connector, EventHandler, InboundEvent, MessageRef, Place, Platform,
    PlatformError, PlatformIdentity,
};
use serenity::all::{
    ChannelType, ConnectionStage, Context, GatewayIntents, GuildId,
    Interaction as SerenityInteraction, Message, Ready, ResumedEvent, RoleId,
    ShardStageUpdateEvent, UserId,
};
use serenity::builder::{CreateAllowedMentions, EditInteractionResponse};
use serenity::client::ClientBuilder;
use serenity::http::HttpBuilder;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::platform::{DiscordPlatform, Interaction, InteractionPlatform};

/// How Discord writes a person's id: a snowflake, all digits.
pub const IDENTITY: pstral_chat::IdentitySyntax = pstral_chat::IdentitySyntax {
    platform: "discord",
    rule: "a Discord id is a number (a snowflake)",
    check: |id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
};

/// What the adapter needs to connect.
#[derive(Clone)]
pub struct DiscordConfig {
    pub token: String,
    /// Guilds whose slash commands are registered at start; empty: every
    /// guild the bot is in.
    pub guilds: Vec<u64>,
    /// Also register the commands globally.
    pub global_commands: bool,
    /// Let Discord say how many shards to open.
    pub autoshard: bool,
    /// The words of the buttons and command descriptions, from the core.
    pub labels: Arc<dyn pstral_chat::Labels>,
    /// The HTTP client serenity uses; `None` for its own. Tests hand one that
    /// resolves discord.com to a loopback fake and trusts its certificate.
    pub http_client: Option<reqwest::Client>,
    /// A REST proxy's base URL (`discord.proxy`) the API calls go through
    /// instead of discord.com; serenity's rate limiter is off then (it
    /// takes no proxy), the proxy keeps Discord's limits.
    pub proxy: Option<String>,
}

impl std::fmt::Debug for DiscordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordConfig")
            .field("token", &"[redacted]")
            .field("guilds", &self.guilds)
            .field("global_commands", &self.global_commands)
            .field("autoshard", &self.autoshard)
            .finish_non_exhaustive()
    }
}

/// The Discord connection `pstral run` serves.
pub struct Discord {
    config: DiscordConfig,
}

impl Discord {
    pub fn new(config: DiscordConfig) -> Self {
        Self { config }
    }
}

/// The intents the bot needs: guild messages (mentions, threads), DMs, and
/// the content of both (a privileged intent, enabled in the developer
/// portal).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

#[async_trait::async_trait]
impl Connector for Discord {
    fn platform(&self) -> Platform {
        "discord".parse().expect("a valid platform name")
    }

    async fn serve(
        self: Box<Self>,
        handler: Arc<dyn EventHandler>,
        state: tokio::sync::watch::Sender<ConnectionState>,
        stop: CancellationToken,
    ) -> Result<(), PlatformError> {
        let config = self.config;
        state.send_replace(ConnectionState::Connecting);
        let mut http = HttpBuilder::new(&config.token);
        if let Some(client) = config.http_client.clone() {
            http = http.client(client);
        }
        if let Some(proxy) = &config.proxy {
            http = http.proxy(proxy.as_str()).ratelimiter_disabled(true);
        }
        let shared = Arc::new(Shared {
            handler,
            platform: OnceLock::new(),
            me: OnceLock::new(),
            tracker: TaskTracker::new(),
            places: Mutex::new(HashMap::new()),
            my_roles: Mutex::new(HashMap::new()),
            config: config.clone(),
            state: state.clone(),
        });
        let http = http.build();
        // Discord unreachable at start is waited for, as it is once
        // connected (serenity reconnects then); a token it refuses stops
        // the bot. Before the client is built: it asks for the gateway's
        // address once, and would keep a guess if that failed.
        let mut backoff = std::time::Duration::from_secs(1);
        loop {
            let reached = if config.autoshard {
                http.get_bot_gateway().await.map(drop)
            } else {
                http.get_gateway().await.map(drop)
            };
            match reached {
                Ok(()) => break,
                Err(e) if transient(&e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach Discord");
                    if !pstral_chat::wait_to_retry(&state, e.to_string(), &mut backoff, &stop).await
                    {
                        return Ok(());
                    }
                }
                Err(e) => {
                    state.send_replace(ConnectionState::Stopped(e.to_string()));
                    return Err(PlatformError::Other(Box::new(e)));
                }
            }
        }
        state.send_replace(ConnectionState::Connecting);
        let mut client = ClientBuilder::new_with_http(http, intents())
            .event_handler_arc(Arc::new(Events(Arc::clone(&shared))))
            .await
            .map_err(|e| PlatformError::Other(Box::new(e)))?;
        let _ = shared.platform.set(Arc::new(DiscordPlatform::new(
            Arc::clone(&client.http),
            Arc::clone(&config.labels),
        )));
        let shards = Arc::clone(&client.shard_manager);
        let outcome = tokio::select! {
            started = async {
                if config.autoshard {
                    client.start_autosharded().await
                } else {
                    client.start().await
                }
            } => started.map_err(|e| PlatformError::Other(Box::new(e))),
            () = stop.cancelled() => {
                shards.shutdown_all().await;
                Ok(())
            }
        };
        state.send_replace(ConnectionState::Stopped(match &outcome {
            Ok(()) => "stopped".to_owned(),
            Err(e) => e.to_string(),
        }));
        // Events already taken are answered to the end (within the
        // service's grace period).
        shared.tracker.close();
        shared.tracker.wait().await;
        outcome
    }
}

/// Whether an error of Discord's API is one that passes (the network, or
/// Discord itself failing or asking to slow down), not a refusal of the bot.
fn transient(e: &serenity::Error) -> bool {
    use serenity::http::HttpError;
    match e {
        serenity::Error::Io(_) | serenity::Error::Http(HttpError::Request(_)) => true,
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            response.status_code.is_server_error() || response.status_code.as_u16() == 429
        }
        _ => false,
    }
}

struct Shared {
    handler: Arc<dyn EventHandler>,
    platform: OnceLock<Arc<DiscordPlatform>>,
    me: OnceLock<UserId>,
    tracker: TaskTracker,
    /// Channel id → where it is (a thread's parent), as read once.
    places: Mutex<HashMap<u64, (Option<u64>, bool)>>,
    /// The bot's roles in each guild, for role mentions.
    my_roles: Mutex<HashMap<GuildId, Vec<RoleId>>>,
    config: DiscordConfig,
    state: tokio::sync::watch::Sender<ConnectionState>,
}

struct Events(Arc<Shared>);

fn discord() -> Platform {
    "discord".parse().expect("a valid platform name")
}

fn identity(user: UserId) -> PlatformIdentity {
    PlatformIdentity::new(discord(), user.to_string()).expect("a snowflake is a Discord id")
}

impl Shared {
    fn platform(&self) -> Option<Arc<DiscordPlatform>> {
        self.platform.get().cloned()
    }

    /// The place a channel is: a thread's messages belong to the thread in
    /// its parent channel, so that the thread is one conversation.
    async fn place(&self, ctx: &Context, channel: u64, guild: Option<GuildId>) -> Place {
        let private = guild.is_none();
        let known = self
            .places
            .lock()
            .expect("never poisoned")
            .get(&channel)
            .copied();
        let parent = match known {
            Some((parent, _)) => parent,
            None if private => None,
            None => {
                let looked_up = serenity::all::ChannelId::new(channel)
                    .to_channel(&ctx.http)
                    .await;
                let parent = match looked_up {
                    Ok(serenity::all::Channel::Guild(c))
                        if matches!(
                            c.kind,
                            ChannelType::PublicThread
                                | ChannelType::PrivateThread
                                | ChannelType::NewsThread
                        ) =>
                    {
                        c.parent_id.map(|p| p.get())
                    }
                    Ok(_) => None,
                    Err(e) => {
                        // Taken as a plain channel this time; asked again
                        // next time.
                        tracing::warn!(channel, error = %e, "cannot read a channel");
                        return Place {
                            platform: discord(),
                            channel: channel.to_string(),
                            thread: None,
                            private,
                        };
                    }
                };
                let mut places = self.places.lock().expect("never poisoned");
                // Bounded: every channel the bot sees passes here.
                if places.len() >= 10_000 {
                    places.clear();
                }
                places.insert(channel, (parent, private));
                parent
            }
        };
        match parent {
            Some(parent) => Place {
                platform: discord(),
                channel: parent.to_string(),
                thread: Some(channel.to_string()),
                private,
            },
            None => Place {
                platform: discord(),
                channel: channel.to_string(),
                thread: None,
                private,
            },
        }
    }

    /// The bot's roles in a guild (read once), for mentions of its role.
    async fn my_roles(&self, ctx: &Context, guild: GuildId, me: UserId) -> Vec<RoleId> {
        if let Some(roles) = self.my_roles.lock().expect("never poisoned").get(&guild) {
            return roles.clone();
        }
        match guild.member(&ctx.http, me).await {
            Ok(member) => {
                self.my_roles
                    .lock()
                    .expect("never poisoned")
                    .insert(guild, member.roles.clone());
                member.roles
            }
            Err(e) => {
                tracing::warn!(%guild, error = %e, "cannot read the bot's roles");
                Vec::new()
            }
        }
    }

    async fn register_commands(&self, ctx: &Context, ready: &Ready) {
        let guilds: Vec<GuildId> = if self.config.guilds.is_empty() {
            ready.guilds.iter().map(|g| g.id).collect()
        } else {
            self.config
                .guilds
                .iter()
                .map(|&g| GuildId::new(g))
                .collect()
        };
        for guild in guilds {
            if let Err(e) = guild
                .set_commands(
                    &ctx.http,
                    commands::definitions(self.config.labels.as_ref()),
                )
                .await
            {
                tracing::error!(%guild, error = %e, "cannot register the slash commands");
            }
        }
        if self.config.global_commands
            && let Err(e) = serenity::all::Command::set_global_commands(
                &ctx.http,
                commands::definitions(self.config.labels.as_ref()),
            )
            .await
        {
            tracing::error!(error = %e, "cannot register the global slash commands");
        }
    }

    /// Hands an event to the core, tracked so that a shutdown waits for it.
    async fn handle(&self, platform: Arc<dyn pstral_chat::ChatPlatform>, event: InboundEvent) {
        let handler = Arc::clone(&self.handler);
        self.tracker
            .track_future(async move { handler.handle(platform, event).await })
            .await;
    }

    async fn message(&self, ctx: &Context, msg: Message) {
        let (Some(platform), Some(&me)) = (self.platform(), self.me.get()) else {
            return;
        };
        // Other bots (and the bot itself) are not asked anything.
        if msg.author.bot || msg.author.id == me {
            return;
        }
        let mut roles = Vec::new();
        if let Some(guild) = msg.guild_id
            && !msg.mention_roles.is_empty()
        {
            roles = self.my_roles(ctx, guild, me).await;
        }
        let mentioned = msg.mentions.iter().any(|u| u.id == me)
            || msg.mention_roles.iter().any(|r| roles.contains(r));
        let replies_to_me = msg
            .referenced_message
            .as_ref()
            .is_some_and(|m| m.author.id == me);
        let direct = msg.guild_id.is_none();
        let place = self.place(ctx, msg.channel_id.get(), msg.guild_id).await;
        let in_my_thread = place.thread.is_some() && platform.takes_part_in(msg.channel_id.get());
        let author = identity(msg.author.id);
        if !(direct || mentioned || replies_to_me || in_my_thread) {
            return;
        }
        let text = strip_mentions(&msg.content, me, &roles);
        let message = MessageRef {
            place: place.clone(),
            id: msg.id.to_string(),
        };
        let event = if text.is_empty() {
            InboundEvent::Command {
                in_reply_to: None,
                author,
                place,
                message: Some(message.id),
                command: Command::Help,
            }
        } else {
            InboundEvent::Message {
                author,
                message,
                in_reply_to: msg
                    .message_reference
                    .as_ref()
                    .and_then(|r| r.message_id)
                    .map(|id| id.to_string()),
                text,
            }
        };
        self.handle(platform, event).await;
    }

    async fn interaction(&self, ctx: &Context, interaction: SerenityInteraction) {
        let Some(platform) = self.platform() else {
            return;
        };
        match interaction {
            SerenityInteraction::Component(click) => self.clicked(ctx, platform, click).await,
            SerenityInteraction::Command(command) => {
                self.slash_command(ctx, platform, command).await;
            }
            _ => {}
        }
    }

    /// A click on one of the bot's buttons, acknowledged at once.
    async fn clicked(
        &self,
        ctx: &Context,
        platform: Arc<DiscordPlatform>,
        click: serenity::all::ComponentInteraction,
    ) {
        // Within Discord's 3 seconds, before anything slow.
        if let Err(e) = click.defer(&ctx.http).await {
            tracing::warn!(error = %e, "cannot acknowledge a click");
        }
        let place = self
            .place(ctx, click.channel_id.get(), click.guild_id)
            .await;
        let actor = identity(click.user.id);
        let event = InboundEvent::Control {
            actor: actor.clone(),
            message: MessageRef {
                place,
                id: click.message.id.to_string(),
            },
            control: controls::parse(&click.data.custom_id),
            event: Some(click.id.to_string()),
        };
        let view = Arc::new(InteractionPlatform::new(
            platform,
            Interaction::Component(Box::new(click)),
            actor,
            false,
        ));
        self.handle(view, event).await;
    }

    /// A slash command, deferred at once (privately, but for /ask): /ask's
    /// question shown in the channel and handled as a message, another
    /// command as the typed one.
    async fn slash_command(
        &self,
        ctx: &Context,
        platform: Arc<DiscordPlatform>,
        command: serenity::all::CommandInteraction,
    ) {
        let invocation = commands::parse(&command.data.name, &command.data.options());
        let Some(invocation) = invocation else {
            tracing::warn!(name = %command.data.name, "an unknown slash command");
            return;
        };
        let ephemeral = !matches!(invocation, commands::Invocation::Ask(_));
        let deferred = if ephemeral {
            command.defer_ephemeral(&ctx.http).await
        } else {
            command.defer(&ctx.http).await
        };
        if let Err(e) = deferred {
            tracing::warn!(error = %e, "cannot defer a slash command");
        }
        let place = self
            .place(ctx, command.channel_id.get(), command.guild_id)
            .await;
        let author = identity(command.user.id);
        let event = match invocation {
            commands::Invocation::Ask(question) => {
                // The question is shown in the channel as the
                // command's answer, and the bot's answer replies to
                // it, as to a mention.
                let shown = platform::shown(&format!("💬 <@{}>: {question}", command.user.id));
                let edit = EditInteractionResponse::new()
                    .content(shown)
                    .allowed_mentions(CreateAllowedMentions::new());
                let asked = match command.edit_response(&ctx.http, edit).await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot show a /ask question");
                        let _ = command.delete_response(&ctx.http).await;
                        return;
                    }
                };
                InboundEvent::Message {
                    author: author.clone(),
                    message: MessageRef {
                        place,
                        id: asked.id.to_string(),
                    },
                    in_reply_to: None,
                    text: question,
                }
            }
            commands::Invocation::Command(c) => InboundEvent::Command {
                in_reply_to: None,
                author: author.clone(),
                place,
                message: None,
                command: c,
            },
        };
        let view = Arc::new(InteractionPlatform::new(
            platform,
            Interaction::Command {
                interaction: Box::new(command),
                ephemeral,
            },
            author,
            // /ask's response shows the question: it stays.
            !ephemeral,
        ));
        self.handle(Arc::clone(&view) as _, event).await;
        view.finish().await;
    }
}

#[serenity::async_trait]
impl serenity::client::EventHandler for Events {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.0.me.set(ready.user.id);
        self.0.state.send_replace(ConnectionState::Connected);
        tracing::info!(
            user = %ready.user.name,
            guilds = ready.guilds.len(),
            shard = ready.shard.map(|s| s.id.0),
            "connected to Discord"
        );
        // What an earlier process left half-written is ended, beside the
        // events that come meanwhile.
        if let Some(platform) = self.0.platform.get() {
            let platform: Arc<dyn pstral_chat::ChatPlatform> = platform.clone();
            let handler = Arc::clone(&self.0.handler);
            self.0
                .tracker
                .spawn(async move { handler.connected(platform).await });
        }
        self.0.register_commands(&ctx, &ready).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("Discord session resumed");
        self.0.state.send_replace(ConnectionState::Connected);
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        if event.new != ConnectionStage::Connected && event.old == ConnectionStage::Connected {
            tracing::warn!(shard = %event.shard_id, stage = %event.new, "Discord gateway connection lost");
            self.0
                .state
                .send_replace(ConnectionState::Reconnecting(format!(
                    "gateway shard {}: {}",
                    event.shard_id, event.new
                )));
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        self.0.message(&ctx, msg).await;
    }

    async fn message_delete(
        &self,
        ctx: Context,
        channel: serenity::all::ChannelId,
        deleted: serenity::all::MessageId,
        guild: Option<GuildId>,
    ) {
        let Some(platform) = self.0.platform() else {
            return;
        };
        let place = self.0.place(&ctx, channel.get(), guild).await;
        let event = InboundEvent::Withdrawn {
            by: None,
            message: MessageRef {
                place,
                id: deleted.to_string(),
            },
        };
        self.0.handle(platform, event).await;
    }

    /// Serenity waits out Discord's rate limits itself (a 429 with
    /// Retry-After, or a bucket at 0); counted with the 429s the core sees.
    async fn ratelimit(&self, data: serenity::http::RatelimitInfo) {
        metrics::counter!("pstral_platform_rate_limited_total").increment(1);
        tracing::debug!(path = %data.path, wait = ?data.timeout, global = data.global, "Discord rate limit");
    }

    async fn interaction_create(&self, ctx: Context, interaction: SerenityInteraction) {
        self.0.interaction(&ctx, interaction).await;
    }
}

/// The text with the mentions of the bot (`<@id>`, `<@!id>`, its roles)
/// taken out, and the ends trimmed; the rest (a code block's indentation)
/// is left as written.
pub fn strip_mentions(content: &str, me: UserId, roles: &[RoleId]) -> String {
    let mut text = content
        .replace(&format!("<@{me}> "), "")
        .replace(&format!("<@!{me}> "), "")
        .replace(&format!("<@{me}>"), "")
        .replace(&format!("<@!{me}>"), "");
    for role in roles {
        text = text
            .replace(&format!("<@&{role}> "), "")
            .replace(&format!("<@&{role}>"), "");
    }
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_of_the_bot_are_taken_out_of_the_question() {
        let me = UserId::new(100);
        let role = RoleId::new(7);
        assert_eq!(
            strip_mentions("<@100> combien de clients ?", me, &[]),
            "combien de clients ?"
        );
        assert_eq!(
            strip_mentions("hey <@!100> and <@&7> what\n    indented", me, &[role]),
            "hey and what\n    indented"
        );
        assert_eq!(strip_mentions("<@100>", me, &[]), "");
        // Someone else's mention is part of the question.
        assert_eq!(strip_mentions("ask <@200>", me, &[]), "ask <@200>");
    }
}

#[cfg(test)]
mod identity_syntax {
    use pstral_chat::PlatformIdentity;

    #[test]
    fn a_discord_identity_is_a_snowflake() {
        let known = [super::IDENTITY];
        assert!(PlatformIdentity::parse_checked("discord:80351110224678912", &known).is_ok());
        let err = PlatformIdentity::parse_checked("discord:ana", &known).unwrap_err();
        assert!(err.to_string().contains("snowflake"), "{err}");
    }
}
