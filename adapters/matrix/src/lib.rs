//! Pstral on Matrix, through matrix-sdk with end-to-end encryption.
//!
//! [`Matrix`] is the [`Connector`] `pstral run` serves. It logs in once and
//! keeps the device in matrix-sdk's SQLite store (encrypted with a
//! passphrase) beside a `session.json`: a restart is the same device, with
//! the keys to read the rooms it is in. Its own device is cross-signed, so
//! clients that only share keys with verified devices still share with it.
//! It syncs in its own loop (with back-off), joins the invites it is allowed
//! to, and turns what arrives into the chat contract's events:
//! - a message is for the bot in a DM, when it mentions the bot
//!   (`m.mentions`, or the body: its name, its id, a pill link), replies to
//!   one of its messages, or is in a thread it writes in; `!command` anywhere;
//! - a reaction (▶️, 2️⃣…, ⏹️) on one of its messages is a control;
//! - a message it cannot decrypt gets a note in the room, never silence.
//!
//! What the core asks is carried out by [`platform::MatrixPlatform`].

#![recursion_limit = "256"]

pub mod commands;
mod events;
pub mod platform;
mod session;
pub mod settings;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{
    MembershipState, OriginalSyncRoomMemberEvent, StrippedRoomMemberEvent,
};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::{OwnedUserId, RoomId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use pstral_chat::{
    ConnectionState, Connector, EventHandler, InboundEvent, MessageRef, Place, Platform,
    PlatformError, PlatformIdentity,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::events::{invited_as_direct, register};
use crate::platform::MatrixPlatform;
pub use crate::session::connect;
use crate::session::say_no_key_backup;

/// How Matrix writes a person's id: `@name:server`.
pub const IDENTITY: pstral_chat::IdentitySyntax = pstral_chat::IdentitySyntax {
    platform: "matrix",
    rule: "a Matrix id looks like @name:server",
    check: |id| {
        id.starts_with('@')
            && id
                .split_once(':')
                .is_some_and(|(local, server)| local.len() > 1 && !server.is_empty())
    },
};

/// How the bot logs in.
#[derive(Clone)]
pub enum Credentials {
    Password(String),
    /// An access token with the device it belongs to.
    Token {
        access_token: String,
        device_id: String,
    },
}

/// What the adapter needs to connect.
#[derive(Clone)]
pub struct MatrixConfig {
    pub homeserver: String,
    /// The bot's user id, `@pstral:example.org`.
    pub user: String,
    pub credentials: Credentials,
    /// Where the SQLite store and the session are kept.
    pub store_dir: PathBuf,
    /// Encrypts the store (keys, sessions).
    pub store_passphrase: String,
    /// Whose invites are accepted: user ids (`@ana:example.org`) or servers
    /// (`example.org`). Empty: users of the bot's own server.
    pub invites_from: Vec<String>,
    /// How many rooms the bot stays in at most (those it is joining
    /// included): an invite past it is declined, so that nobody can make it
    /// sync without end.
    pub max_rooms: usize,
    /// How many of those rooms one person's invites may account for: one
    /// account cannot fill `max_rooms` and leave a newcomer's DM declined.
    pub max_rooms_per_inviter: usize,
    /// What the homeserver lets the bot's user send (Synapse's
    /// `rc_message`), which streamed answers spend.
    pub edit_allowance: pstral_chat::Allowance,
    /// The words of the bot's own notes, from the core.
    pub labels: Arc<dyn pstral_chat::Labels>,
}

impl std::fmt::Debug for MatrixConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixConfig")
            .field("homeserver", &self.homeserver)
            .field("user", &self.user)
            .field("store_dir", &self.store_dir)
            .field("invites_from", &self.invites_from)
            .field("max_rooms", &self.max_rooms)
            .field("max_rooms_per_inviter", &self.max_rooms_per_inviter)
            .field("edit_allowance", &self.edit_allowance)
            .finish_non_exhaustive()
    }
}

/// The Matrix connection `pstral run` serves.
pub struct Matrix {
    config: MatrixConfig,
}

impl Matrix {
    pub fn new(config: MatrixConfig) -> Self {
        Self { config }
    }
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> PlatformError {
    PlatformError::Other(Box::new(e))
}

fn said(what: String) -> PlatformError {
    PlatformError::Other(what.into())
}

/// The homeserver cannot be reached for now (down, restarting, or a proxy
/// in front of it saying so), as opposed to refusing the bot: at start,
/// the connection is tried again, as a sync that fails later is.
#[derive(Debug, thiserror::Error)]
#[error("the homeserver cannot be reached: {0}")]
struct Unreachable(String);

/// `e` as a [`PlatformError`]: [`Unreachable`] when it is a network
/// failure or a server error (5xx), else what `refused` makes of it.
fn failed(
    e: matrix_sdk::Error,
    refused: impl FnOnce(matrix_sdk::Error) -> PlatformError,
) -> PlatformError {
    let unreachable = match &e {
        matrix_sdk::Error::Http(http) => match http.as_ref() {
            matrix_sdk::HttpError::Reqwest(_) => true,
            other => other
                .as_client_api_error()
                .is_some_and(|api| api.status_code.is_server_error()),
        },
        _ => false,
    };
    if unreachable {
        PlatformError::Other(Box::new(Unreachable(e.to_string())))
    } else {
        refused(e)
    }
}

/// Whether `e` says the homeserver could not be reached (see [`failed`]).
fn is_unreachable(e: &PlatformError) -> bool {
    matches!(e, PlatformError::Other(inner) if inner.is::<Unreachable>())
}

struct Shared {
    handler: Arc<dyn EventHandler>,
    platform: Arc<MatrixPlatform>,
    me: OwnedUserId,
    /// The bot's display name, for mentions written by hand.
    name: OnceLock<String>,
    tracker: TaskTracker,
    /// Rooms whose invite said `is_direct`, until `m.direct` says so too.
    direct: Mutex<std::collections::HashSet<String>>,
    /// When each sender last got a note about a message the bot could not
    /// decrypt.
    unreadable_noted: Mutex<std::collections::HashMap<OwnedUserId, std::time::Instant>>,
    /// Invites accepted whose join (or its retries) has not ended: counted
    /// against the cap on rooms with those joined, so that a burst of
    /// invites in one sync cannot all pass it.
    joining: std::sync::atomic::AtomicUsize,
    /// Held while an invite is weighed against the caps and its inviter
    /// recorded, so that a burst of one person's invites is counted whole.
    admitting: tokio::sync::Mutex<()>,
    config: MatrixConfig,
}

#[async_trait::async_trait]
impl Connector for Matrix {
    fn platform(&self) -> Platform {
        "matrix".parse().expect("a valid platform name")
    }

    async fn serve(
        self: Box<Self>,
        handler: Arc<dyn EventHandler>,
        state: tokio::sync::watch::Sender<ConnectionState>,
        stop: CancellationToken,
    ) -> Result<(), PlatformError> {
        state.send_replace(ConnectionState::Connecting);
        let config = self.config;
        let restored = config.store_dir.join("session.json").exists();
        let Some(client) = connect_when_reachable(&config, &state, &stop).await? else {
            return Ok(());
        };
        let me = client.user_id().expect("logged in").to_owned();
        say_allowance(&me, config.edit_allowance);
        let shared = Arc::new(Shared {
            handler,
            platform: Arc::new(MatrixPlatform::new(client.clone(), config.edit_allowance)),
            me,
            name: OnceLock::new(),
            tracker: TaskTracker::new(),
            direct: Mutex::new(Default::default()),
            unreadable_noted: Mutex::new(Default::default()),
            joining: Default::default(),
            admitting: Default::default(),
            config,
        });
        if let Ok(Some(name)) = client.account().get_display_name().await {
            let _ = shared.name.set(name);
        }
        // After a restart, what arrived while the bot was away is answered
        // (once: the core skips a message it already has); at the first
        // start, the rooms' history is not.
        if !restored {
            sync_once(&client, Duration::ZERO).await?;
        }
        register(&client, &shared);
        sync_until_stopped(&client, &shared, &state, &stop).await;
        state.send_replace(ConnectionState::Stopped("stopped".into()));
        shared.tracker.close();
        shared.tracker.wait().await;
        Ok(())
    }
}

/// The client logged in with `config`. A homeserver that cannot be reached
/// at start is waited for, as one that goes away later is; one that
/// refuses the bot stops it. `None` when `stop` came first.
async fn connect_when_reachable(
    config: &MatrixConfig,
    state: &tokio::sync::watch::Sender<ConnectionState>,
    stop: &CancellationToken,
) -> Result<Option<Client>, PlatformError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        match connect(config).await {
            Ok(c) => return Ok(Some(c)),
            Err(e) if is_unreachable(&e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach the homeserver");
                if !pstral_chat::wait_to_retry(state, e.to_string(), &mut backoff, stop).await {
                    return Ok(None);
                }
            }
            Err(e) => {
                state.send_replace(ConnectionState::Stopped(e.to_string()));
                return Err(e);
            }
        }
    }
}

/// What streaming will look like under the homeserver's `allowance` for
/// the bot's user `me`: an operator who sees one step every five seconds
/// should know why.
fn say_allowance(me: &UserId, allowance: pstral_chat::Allowance) {
    if allowance.refill > std::time::Duration::from_secs(1) {
        tracing::warn!(
            user = %me,
            burst = allowance.burst,
            every = ?allowance.refill,
            "the homeserver is assumed to limit the bot's user to a burst of events, then one \
             every few seconds (Synapse's default rc_message): long answers will show a new \
             step that often once the burst is spent; lift it for the bot's user and set \
             matrix.edits_per_second (README, Matrix)"
        );
    } else {
        tracing::info!(user = %me, burst = allowance.burst, every = ?allowance.refill, "the homeserver's allowance of events for the bot's user");
    }
}

/// Syncs until `stop`, a failed sync retried after a growing wait; the
/// first sync is followed by what the bot missed while away
/// ([`catch_up`]).
async fn sync_until_stopped(
    client: &Client,
    shared: &Arc<Shared>,
    state: &tokio::sync::watch::Sender<ConnectionState>,
    stop: &CancellationToken,
) {
    let mut backoff = Duration::from_secs(1);
    let mut first = true;
    // Since a sync failed, until one succeeds: said once when it does.
    let mut failing = false;
    while !stop.is_cancelled() {
        let timeout = if first {
            Duration::ZERO
        } else {
            Duration::from_secs(30)
        };
        let synced = tokio::select! {
            r = sync_once(client, timeout) => r,
            () = stop.cancelled() => break,
        };
        match synced {
            Ok(()) => {
                if first {
                    tracing::info!(user = %shared.me, "connected to Matrix");
                } else if failing {
                    tracing::info!("Matrix sync recovered");
                }
                failing = false;
                if first {
                    // What an earlier process left half-written is ended,
                    // beside the events that come meanwhile.
                    let platform: Arc<dyn pstral_chat::ChatPlatform> = shared.platform.clone();
                    let handler = Arc::clone(&shared.handler);
                    shared
                        .tracker
                        .spawn(async move { handler.connected(platform).await });
                    catch_up(client, shared).await;
                }
                first = false;
                backoff = Duration::from_secs(1);
                state.send_replace(ConnectionState::Connected);
            }
            Err(e) => {
                failing = true;
                tracing::warn!(error = %e, retry_in = ?backoff, "Matrix sync failed");
                if !pstral_chat::wait_to_retry(state, e.to_string(), &mut backoff, stop).await {
                    break;
                }
            }
        }
    }
}

/// After the first sync: the account's note that it keeps no key backup,
/// the rooms everyone else left while the bot was away, and the invites
/// that came then, from whom it may accept them.
async fn catch_up(client: &Client, shared: &Arc<Shared>) {
    say_no_key_backup(client).await;
    // Rooms everyone else left while the bot was away.
    for room in client.joined_rooms() {
        shared.leave_if_alone(&room).await;
    }
    // Invites that came while the bot was away, from
    // whom it may accept them.
    for room in client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => {
                let direct = invited_as_direct(&invite.invitee);
                shared.invited(room, &invite.inviter_id, direct).await;
            }
            Err(e) => {
                tracing::warn!(room = %room.room_id(), error = %e, "cannot read an invite")
            }
        }
    }
}

async fn sync_once(client: &Client, timeout: Duration) -> Result<(), PlatformError> {
    client
        .sync_once(SyncSettings::default().timeout(timeout))
        .await
        .map(|_| ())
        .map_err(other)
}

#[cfg(test)]
mod identity_syntax {
    use pstral_chat::PlatformIdentity;

    #[test]
    fn a_matrix_identity_is_at_name_colon_server() {
        let known = [super::IDENTITY];
        for good in ["matrix:@ana:example.org", "matrix:@ana:example.org:8448"] {
            assert!(
                PlatformIdentity::parse_checked(good, &known).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "matrix:ana",
            "matrix:@ana",
            "matrix:@:example.org",
            "matrix:@ana:",
        ] {
            let err = PlatformIdentity::parse_checked(bad, &known).unwrap_err();
            assert!(err.to_string().contains("@name:server"), "{bad}: {err}");
        }
    }
}
