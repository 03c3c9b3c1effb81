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
pub mod platform;
pub mod settings;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::{OwnedUserId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use pstral_chat::{
    ConnectionState, Connector, EventHandler, InboundEvent, MessageRef, Place, Platform,
    PlatformError, PlatformIdentity,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::platform::MatrixPlatform;

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

/// The bot keeps its room keys in its own store (the store directory and
/// its passphrase), never in a key backup on the homeserver. matrix-sdk
/// asks the homeserver at every start whether the account has secret
/// storage and a backup, and an account that never said comes back as 404s
/// its HTTP client logs as ERROR lines: so the account says it, once, with
/// the account data Element writes when recovery is turned off. Read from
/// the first sync (no request that could 404 itself); what the account
/// already says (an administrator's own set-up included) is left as it is.
async fn say_no_key_backup(client: &Client) {
    use matrix_sdk::ruma::events::GlobalAccountDataEventType;
    for (event_type, content) in NO_KEY_BACKUP {
        let event_type = GlobalAccountDataEventType::from(event_type);
        if !matches!(
            client.account().account_data_raw(event_type.clone()).await,
            Ok(None)
        ) {
            continue;
        }
        let said = serde_json::value::RawValue::from_string(content.to_owned())
            .map(matrix_sdk::ruma::serde::Raw::from_json)
            .map_err(|e| e.to_string());
        let written = match said {
            Ok(raw) => client
                .account()
                .set_account_data_raw(event_type.clone(), raw)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::info!(event_type = %event_type, error = %e, "cannot tell the homeserver that the bot keeps no key backup");
        }
    }
}

/// The first login of a new device, by hand rather than through
/// matrix-sdk: matrix-sdk looks for a key backup as soon as it logs in, and
/// on an account that never said it keeps none, the homeserver's 404s
/// become ERROR lines in the log. So the account says it first (as
/// [`say_no_key_backup`] does for an account logged in before), then
/// matrix-sdk takes the session over.
async fn first_login(
    homeserver: &str,
    user: &matrix_sdk::ruma::UserId,
    password: &str,
) -> Result<MatrixSession, PlatformError> {
    use matrix_sdk::reqwest::{Client as Http, StatusCode};
    let base = homeserver.trim_end_matches('/');
    let http = Http::new();
    let unreachable =
        |e: matrix_sdk::reqwest::Error| PlatformError::Other(Box::new(Unreachable(e.to_string())));
    let body = serde_json::json!({
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user.as_str()},
        "password": password,
        "initial_device_display_name": "Pstral",
    });
    let response = http
        .post(format!("{base}/_matrix/client/v3/login"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(unreachable)?;
    let said_back: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if status.is_server_error() {
        return Err(PlatformError::Other(Box::new(Unreachable(format!(
            "the login answered {status}"
        )))));
    }
    let field = |name: &str| said_back[name].as_str().map(str::to_owned);
    let (Some(access_token), Some(device_id)) = (field("access_token"), field("device_id")) else {
        let why = field("error").unwrap_or_else(|| status.to_string());
        return Err(said(format!("cannot log in to Matrix as {user}: {why}")));
    };
    for (event_type, content) in NO_KEY_BACKUP {
        let url = format!("{base}/_matrix/client/v3/user/{user}/account_data/{event_type}");
        let absent = http
            .get(&url)
            .bearer_auth(&access_token)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::NOT_FOUND);
        if !absent {
            continue;
        }
        let written = http
            .put(&url)
            .bearer_auth(&access_token)
            .header("content-type", "application/json")
            .body(content)
            .send()
            .await;
        if !written.is_ok_and(|r| r.status().is_success()) {
            tracing::info!(
                event_type,
                "cannot tell the homeserver that the bot keeps no key backup"
            );
        }
    }
    Ok(MatrixSession {
        meta: matrix_sdk::SessionMeta {
            user_id: user.to_owned(),
            device_id: device_id.as_str().into(),
        },
        tokens: matrix_sdk::SessionTokens {
            access_token,
            refresh_token: None,
        },
    })
}

/// What the account says of key backups, as Element writes it when
/// recovery is turned off: (event type, content).
const NO_KEY_BACKUP: [(&str, &str); 3] = [
    ("m.secret_storage.default_key", "{}"),
    ("m.key_backup", r#"{"enabled":false}"#),
    (
        "m.org.matrix.custom.backup_disabled",
        r#"{"disabled":true}"#,
    ),
];

/// Logs in, or restores the stored session: the same device every time.
pub async fn connect(config: &MatrixConfig) -> Result<Client, PlatformError> {
    // A folder that cannot be made or written is named: it is the
    // operator's to mend (a volume owned by another account, a full disk).
    let in_store = |what: &str, path: &std::path::Path| {
        let what = what.to_owned();
        let path = path.display().to_string();
        move |e: std::io::Error| said(format!("cannot {what} {path}: {e}"))
    };
    std::fs::create_dir_all(&config.store_dir).map_err(in_store(
        "create the Matrix store folder",
        &config.store_dir,
    ))?;
    let client = Client::builder()
        .homeserver_url(&config.homeserver)
        .sqlite_store(&config.store_dir, Some(&config.store_passphrase))
        .build()
        .await
        .map_err(|e| {
            said(format!(
                "cannot open the Matrix store in {}: {e}",
                config.store_dir.display()
            ))
        })?;
    let session_file = config.store_dir.join("session.json");
    let stored: Option<MatrixSession> = std::fs::read(&session_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let user: OwnedUserId = config
        .user
        .parse()
        .map_err(|_| said(format!("{:?} is not a Matrix user id", config.user)))?;
    match (stored, &config.credentials) {
        (Some(session), credentials) => {
            let device = session.meta.device_id.clone();
            client.restore_session(session).await.map_err(other)?;
            let alive = match client.whoami().await {
                Ok(_) => true,
                Err(e) => {
                    let e = failed(e.into(), other);
                    if is_unreachable(&e) {
                        return Err(e);
                    }
                    false
                }
            };
            if !alive {
                // The token is dead: log in again as the same device, so
                // that its keys stay valid.
                let Credentials::Password(password) = credentials else {
                    return Err(said(
                        "the stored Matrix token no longer works; give matrix.password".into(),
                    ));
                };
                client
                    .matrix_auth()
                    .login_username(&user, password)
                    .device_id(device.as_str())
                    .send()
                    .await
                    .map_err(|e| failed(e, other))?;
            }
        }
        (None, Credentials::Password(password)) => {
            let session = first_login(&config.homeserver, &user, password).await?;
            client.restore_session(session).await.map_err(other)?;
        }
        (
            None,
            Credentials::Token {
                access_token,
                device_id,
            },
        ) => {
            let session = MatrixSession {
                meta: matrix_sdk::SessionMeta {
                    user_id: user.clone(),
                    device_id: device_id.as_str().into(),
                },
                tokens: matrix_sdk::SessionTokens {
                    access_token: access_token.clone(),
                    refresh_token: None,
                },
            };
            client.restore_session(session).await.map_err(other)?;
        }
    }
    if let Some(session) = client.matrix_auth().session() {
        let json = serde_json::to_vec(&session).map_err(other)?;
        write_private(&session_file, &json)
            .map_err(in_store("write the Matrix session to", &session_file))?;
    }
    // Clients that share keys only with devices verified by their owner
    // must see this one as such.
    if let Err(e) = client
        .encryption()
        .bootstrap_cross_signing_if_needed(None)
        .await
    {
        tracing::warn!(error = %e, "cannot set up cross-signing for the bot's device");
    }
    Ok(client)
}

/// Writes a file only its owner can read (it holds the access token).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
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
        // A homeserver that cannot be reached at start is waited for, as
        // one that goes away later is; one that refuses the bot stops it.
        let mut backoff = Duration::from_secs(1);
        let client = loop {
            match connect(&config).await {
                Ok(c) => break c,
                Err(e) if is_unreachable(&e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach the homeserver");
                    if !pstral_chat::wait_to_retry(&state, e.to_string(), &mut backoff, &stop).await
                    {
                        return Ok(());
                    }
                }
                Err(e) => {
                    state.send_replace(ConnectionState::Stopped(e.to_string()));
                    return Err(e);
                }
            }
        };
        let me = client.user_id().expect("logged in").to_owned();
        // What streaming will look like under the homeserver's allowance:
        // an operator who sees one step every five seconds should know why.
        let allowance = config.edit_allowance;
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
        let shared = Arc::new(Shared {
            handler,
            platform: Arc::new(MatrixPlatform::new(client.clone(), config.edit_allowance)),
            me,
            name: OnceLock::new(),
            tracker: TaskTracker::new(),
            direct: Mutex::new(Default::default()),
            unreadable_noted: Mutex::new(Default::default()),
            joining: Default::default(),
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
        backoff = Duration::from_secs(1);
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
                r = sync_once(&client, timeout) => r,
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
                        say_no_key_backup(&client).await;
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
                    first = false;
                    backoff = Duration::from_secs(1);
                    state.send_replace(ConnectionState::Connected);
                }
                Err(e) => {
                    failing = true;
                    tracing::warn!(error = %e, retry_in = ?backoff, "Matrix sync failed");
                    if !pstral_chat::wait_to_retry(&state, e.to_string(), &mut backoff, &stop).await
                    {
                        break;
                    }
                }
            }
        }
        state.send_replace(ConnectionState::Stopped("stopped".into()));
        shared.tracker.close();
        shared.tracker.wait().await;
        Ok(())
    }
}

async fn sync_once(client: &Client, timeout: Duration) -> Result<(), PlatformError> {
    client
        .sync_once(SyncSettings::default().timeout(timeout))
        .await
        .map(|_| ())
        .map_err(other)
}

fn register(client: &Client, shared: &Arc<Shared>) {
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let tracker = s.tracker.clone();
            tracker.spawn(async move { s.message(ev, room).await });
        }
    });
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let tracker = s.tracker.clone();
            tracker.spawn(async move { s.reaction(ev, room).await });
        }
    });
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            if ev.state_key == s.me && ev.content.membership == MembershipState::Invite {
                s.invited(room, &ev.sender, ev.content.is_direct == Some(true))
                    .await;
            }
        }
    });
    // A redaction: what the message said is forgotten.
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncRoomRedactionEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let Some(redacted) = ev.redacts.clone().or_else(|| ev.content.redacts.clone()) else {
                return;
            };
            let place = s.place(&room, &ev.sender, None).await;
            let event = InboundEvent::Withdrawn {
                by: identity(&ev.sender),
                message: MessageRef {
                    place,
                    id: redacted.to_string(),
                },
            };
            s.handle(event).await;
        }
    });
    // Every other event of a room's timeline people see: stickers, polls,
    // reactions, topics and names, display names, ban reasons, aliases…
    // read for codes from its raw content, whatever its type.
    let s = Arc::clone(shared);
    client.add_event_handler(
        move |_ev: matrix_sdk::ruma::events::AnySyncTimelineEvent,
              room: Room,
              raw: matrix_sdk::event_handler::RawEvent| {
            let s = Arc::clone(&s);
            async move {
                let tracker = s.tracker.clone();
                tracker.spawn(async move { s.other_event(raw, room).await });
            }
        },
    );
    let s = Arc::clone(shared);
    client.add_event_handler(
        move |ev: OriginalSyncRoomEncryptedEvent,
              room: Room,
              raw: matrix_sdk::event_handler::RawEvent| {
            let s = Arc::clone(&s);
            async move {
                let tracker = s.tracker.clone();
                tracker.spawn(async move { s.undecryptable(ev, room, raw).await });
            }
        },
    );
}

/// Whether the invite (the invitee's member event) said `is_direct`.
fn invited_as_direct(invitee: &matrix_sdk::room::RoomMember) -> bool {
    use matrix_sdk::deserialized_responses::MemberEvent;
    let is_direct = match &**invitee.event() {
        MemberEvent::Sync(e) => e.as_original().and_then(|e| e.content.is_direct),
        MemberEvent::Stripped(e) => e.content.is_direct,
    };
    is_direct == Some(true)
}

/// How many times an accepted invite is tried (0.5, 1, 2 and 4 s apart)
/// before it is declined as dead.
const JOIN_ATTEMPTS: u32 = 5;

/// How long after a note on an undecryptable message from someone the bot
/// stays quiet about more from them (forged encrypted events cost a
/// message each otherwise).
const UNREADABLE_NOTE_EVERY: Duration = Duration::from_secs(10 * 60);

/// Every text a message carries, as anyone in the room may read it: the
/// plain body, the formatted body, a file's name and caption, an edit's new
/// content, whatever the message type. Read from the event's JSON, so that
/// no field a client shows is left out.
fn seen_texts(content: &RoomMessageEventContent) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(content) {
        strings_of(&value, &mut out);
    }
    out
}

/// Every string of an event's content, but ids and types (never text
/// anyone wrote).
fn strings_of(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        serde_json::Value::Object(fields) => {
            for (key, v) in fields {
                if !matches!(
                    key.as_str(),
                    "m.relates_to" | "msgtype" | "format" | "url" | "mimetype" | "m.mentions"
                ) {
                    strings_of(v, out);
                }
            }
        }
        _ => {}
    }
}

fn matrix() -> Platform {
    "matrix".parse().expect("a valid platform name")
}

fn identity(user: &UserId) -> Option<PlatformIdentity> {
    PlatformIdentity::new(matrix(), user.as_str()).ok()
}

impl Shared {
    /// An invite, as it arrives or as the first sync finds it waiting:
    /// joined when its sender may invite the bot and the bot is below its
    /// cap on rooms, declined otherwise.
    async fn invited(self: &Arc<Self>, room: Room, inviter: &UserId, direct: bool) {
        use std::sync::atomic::Ordering;
        if !self.may_invite(inviter) {
            tracing::warn!(from = %inviter, room = %room.room_id(), "an invite from someone not allowed; declined");
            let _ = room.leave().await;
            return;
        }
        let rooms = self.platform.client().joined_rooms().len();
        let joining = self.joining.fetch_add(1, Ordering::SeqCst);
        if rooms + joining >= self.config.max_rooms {
            self.joining.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(from = %inviter, room = %room.room_id(), max = self.config.max_rooms, "an invite past the bot's cap on rooms; declined");
            let _ = room.leave().await;
            return;
        }
        if direct {
            self.direct
                .lock()
                .expect("never poisoned")
                .insert(room.room_id().to_string());
        }
        let shared = Arc::clone(self);
        self.tracker.spawn(async move {
            shared.join(room).await;
            shared.joining.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Joins a room, retrying a few times over some seconds: the invite may
    /// arrive before the room is ready. An invite the server keeps refusing
    /// (the room is gone, or the bot was banned meanwhile) is declined, so
    /// that it is not tried again at every start; one that could not be
    /// tried (the server unreachable) stays for the next start.
    async fn join(&self, room: Room) {
        let mut wait = Duration::from_millis(500);
        let mut refused = false;
        for attempt in 1..=JOIN_ATTEMPTS {
            match room.join().await {
                Ok(()) => {
                    tracing::info!(room = %room.room_id(), "joined");
                    return;
                }
                Err(e) => {
                    // A rate limit is the server asking for patience, not
                    // a refusal of this room.
                    refused = e.as_client_api_error().is_some_and(|api| {
                        api.status_code.is_client_error() && api.status_code.as_u16() != 429
                    });
                    tracing::warn!(room = %room.room_id(), error = %e, attempt, "cannot join yet");
                    if attempt < JOIN_ATTEMPTS {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                }
            }
        }
        if !refused {
            tracing::warn!(room = %room.room_id(), "cannot join; the invite is kept for the next start");
            return;
        }
        tracing::warn!(room = %room.room_id(), "an invite the server keeps refusing; declined");
        if let Err(e) = room.leave().await {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot decline a dead invite");
        }
    }

    fn may_invite(&self, inviter: &UserId) -> bool {
        if self.config.invites_from.is_empty() {
            return inviter.server_name() == self.me.server_name();
        }
        self.config
            .invites_from
            .iter()
            .any(|allowed| allowed == inviter.as_str() || allowed == inviter.server_name().as_str())
    }

    /// A room is a private conversation with `person` when it is marked
    /// direct (by the invite or `m.direct`) *and*, now, only the bot and
    /// that person can read it ([`platform::only_for`]): whoever invites
    /// sets the flag, a DM can grow, and a room can be opened to others.
    async fn is_private(&self, room: &Room, person: &UserId) -> bool {
        let marked = self
            .direct
            .lock()
            .expect("never poisoned")
            .contains(room.room_id().as_str())
            || room.is_direct().await.unwrap_or(false);
        marked && platform::only_for(room, person).await
    }

    async fn place(&self, room: &Room, person: &UserId, thread: Option<String>) -> Place {
        Place {
            platform: matrix(),
            channel: room.room_id().to_string(),
            thread,
            private: self.is_private(room, person).await,
        }
    }

    /// Whether a message names the bot: `m.mentions` when the client sent
    /// it (it says exactly whom the message mentions, so a display name in
    /// the text that reads like the bot's does not count), else by hand in
    /// the body (display name, user id) or a pill link, for older clients.
    fn mentions_me(&self, content: &RoomMessageEventContent, body: &str) -> bool {
        if let Some(mentions) = &content.mentions {
            return mentions.user_ids.contains(&self.me);
        }
        let lower = body.to_lowercase();
        let by_name = self
            .name
            .get()
            .is_some_and(|n| !n.is_empty() && lower.contains(&n.to_lowercase()));
        let by_id = lower.contains(&self.me.as_str().to_lowercase());
        let pill = match &content.msgtype {
            MessageType::Text(t) => t
                .formatted
                .as_ref()
                .is_some_and(|f| f.body.contains(&format!("matrix.to/#/{}", self.me))),
            _ => false,
        };
        by_name || by_id || pill
    }

    /// The body without the mention of the bot and without the reply
    /// fallback some clients still send.
    fn question(&self, body: &str) -> String {
        let mut text: String = body
            .lines()
            .skip_while(|l| l.starts_with("> "))
            .collect::<Vec<_>>()
            .join("\n");
        for name in [Some(self.me.as_str()), self.name.get().map(String::as_str)]
            .into_iter()
            .flatten()
        {
            for form in [
                format!("{name}: "),
                format!("{name}:"),
                format!("{name} "),
                name.to_owned(),
            ] {
                if let Some(rest) = text.strip_prefix(&form) {
                    text = rest.to_owned();
                }
            }
        }
        text.trim().to_owned()
    }

    async fn replies_to_me(&self, room: &Room, parent: &str) -> bool {
        if self
            .platform
            .mine
            .lock()
            .expect("never poisoned")
            .wrote(room.room_id().as_str(), parent)
        {
            return true;
        }
        // Written before a restart: ask the room.
        let Ok(id) = parent.parse::<matrix_sdk::ruma::OwnedEventId>() else {
            return false;
        };
        match room.event(&id, None).await {
            Ok(event) => event
                .raw()
                .get_field::<String>("sender")
                .ok()
                .flatten()
                .is_some_and(|s| s == self.me.as_str()),
            Err(_) => false,
        }
    }

    async fn message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) {
        if ev.sender == self.me || room.state() != RoomState::Joined {
            return;
        }
        let Some(author) = identity(&ev.sender) else {
            return;
        };
        let texts = seen_texts(&ev.content);
        let (thread, in_reply_to) = match &ev.content.relates_to {
            Some(Relation::Thread(t)) => (
                Some(t.event_id.to_string()),
                t.in_reply_to
                    .as_ref()
                    .filter(|_| !t.is_falling_back)
                    .map(|r| r.event_id.to_string()),
            ),
            Some(Relation::Reply(r)) => (None, Some(r.in_reply_to.event_id.to_string())),
            _ => (None, None),
        };
        let place = self.place(&room, &ev.sender, thread.clone()).await;
        let message = MessageRef {
            place: place.clone(),
            id: ev.event_id.to_string(),
        };
        let overheard = |texts: Vec<String>| InboundEvent::Overheard {
            author: Some(author.clone()),
            place: place.clone(),
            message: Some(message.id.clone()),
            texts,
        };
        // Said before the bot was in the room (the history a join brings):
        // not for the bot, whatever it says; only its codes matter.
        // An edit of a question is not a new question; a notice, an emote
        // or a file is never one.
        let question_like = matches!(&ev.content.msgtype, MessageType::Text(_))
            && !matches!(ev.content.relates_to, Some(Relation::Replacement(_)));
        if !question_like || self.before_i_joined(&room, ev.origin_server_ts).await {
            self.handle(overheard(texts)).await;
            return;
        }
        let body = ev.content.msgtype.body().to_owned();
        if let Some(command) = commands::parse(&body) {
            // The link command burns its own code when said in a room.
            if !matches!(command, pstral_chat::Command::Link(_)) {
                self.handle(overheard(texts)).await;
            }
            let event = InboundEvent::Command {
                author,
                place,
                message: Some(message.id),
                command,
            };
            self.handle(event).await;
            return;
        }
        let in_my_thread = thread.as_ref().is_some_and(|root| {
            self.platform
                .mine
                .lock()
                .expect("never poisoned")
                .threads
                .contains(root)
        });
        let addressed = place.private
            || self.mentions_me(&ev.content, &body)
            || in_my_thread
            || match &in_reply_to {
                Some(parent) => self.replies_to_me(&room, parent).await,
                None => false,
            };
        // Every form of the message (its formatted body, the quoted reply
        // the plain body may carry) is looked at for codes first; the
        // question itself is looked at again by the core.
        self.handle(overheard(texts)).await;
        if !addressed {
            return;
        }
        let question = self.question(&body);
        let event = if question.is_empty() {
            InboundEvent::Command {
                author,
                place,
                message: Some(message.id),
                command: pstral_chat::Command::Help,
            }
        } else {
            InboundEvent::Message {
                author,
                message,
                in_reply_to,
                text: question,
            }
        };
        self.handle(event).await;
    }

    /// Any event of a room's timeline but a message (which [`Shared::message`]
    /// reads) and an undecryptable one: every text of its content, as
    /// members see it, looked at for codes.
    async fn other_event(&self, raw: matrix_sdk::event_handler::RawEvent, room: Room) {
        if room.state() != RoomState::Joined {
            return;
        }
        let Ok(event) = serde_json::from_str::<serde_json::Value>(raw.0.get()) else {
            return;
        };
        let kind = event["type"].as_str().unwrap_or_default();
        if matches!(kind, "m.room.message" | "m.room.encrypted") {
            return;
        }
        let Some(sender) = event["sender"]
            .as_str()
            .and_then(|s| s.parse::<OwnedUserId>().ok())
        else {
            return;
        };
        if sender == self.me {
            return;
        }
        let Some(author) = identity(&sender) else {
            return;
        };
        let mut texts = Vec::new();
        if kind == "m.reaction" {
            texts.extend(
                event["content"]["m.relates_to"]["key"]
                    .as_str()
                    .map(str::to_owned),
            );
        } else {
            strings_of(&event["content"], &mut texts);
        }
        if let Some(alias) = event["state_key"].as_str().filter(|k| !k.is_empty()) {
            texts.push(alias.to_owned());
        }
        if texts.is_empty() {
            return;
        }
        let place = self.place(&room, &sender, None).await;
        let overheard = InboundEvent::Overheard {
            author: Some(author),
            place,
            message: event["event_id"].as_str().map(str::to_owned),
            texts,
        };
        self.handle(overheard).await;
    }

    /// Whether an event is older than the bot's own join of the room:
    /// history the join brought, said before the bot could be asked. The
    /// join is read from the store, else from the server; when neither
    /// knows it yet (the sync that joins is still being stored), the event
    /// came with the join, so it is taken as older.
    async fn before_i_joined(
        &self,
        room: &Room,
        at: matrix_sdk::ruma::MilliSecondsSinceUnixEpoch,
    ) -> bool {
        let joined_at = |member: Option<matrix_sdk::room::RoomMember>| {
            member.and_then(|m| {
                (*m.membership() == MembershipState::Join)
                    .then(|| m.event().origin_server_ts())
                    .flatten()
            })
        };
        let mut joined = joined_at(room.get_member_no_sync(&self.me).await.ok().flatten());
        if joined.is_none() {
            joined = joined_at(room.get_member(&self.me).await.ok().flatten());
        }
        joined.is_none_or(|joined| at < joined)
    }

    async fn reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        if ev.sender == self.me {
            return;
        }
        let Some(control) = platform::control_of(&ev.content.relates_to.key) else {
            return;
        };
        let target = ev.content.relates_to.event_id.to_string();
        if !self.replies_to_me(&room, &target).await {
            return;
        }
        let Some(actor) = identity(&ev.sender) else {
            return;
        };
        let place = self.place(&room, &ev.sender, None).await;
        let event = InboundEvent::Control {
            actor,
            message: MessageRef { place, id: target },
            control,
        };
        self.handle(event).await;
    }

    /// A message the bot cannot read gets a note, after a last try: the
    /// keys may arrive a moment after the message.
    async fn undecryptable(
        &self,
        ev: OriginalSyncRoomEncryptedEvent,
        room: Room,
        raw: matrix_sdk::event_handler::RawEvent,
    ) {
        if ev.sender == self.me {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let raw: matrix_sdk::ruma::serde::Raw<OriginalSyncRoomEncryptedEvent> =
            matrix_sdk::ruma::serde::Raw::from_json(raw.0);
        if let Ok(event) = room.decrypt_event(&raw, None).await
            && !matches!(
                event.kind,
                matrix_sdk::deserialized_responses::TimelineEventKind::UnableToDecrypt { .. }
            )
        {
            // Readable now: handled as the message it is.
            if let Ok(matrix_sdk::ruma::events::AnySyncTimelineEvent::MessageLike(
                matrix_sdk::ruma::events::AnySyncMessageLikeEvent::RoomMessage(
                    matrix_sdk::ruma::events::SyncMessageLikeEvent::Original(m),
                ),
            )) = event.raw().deserialize()
            {
                self.message(m, room).await;
            }
            return;
        }
        tracing::warn!(room = %room.room_id(), sender = %ev.sender, "a message could not be decrypted");
        {
            let now = std::time::Instant::now();
            let mut noted = self.unreadable_noted.lock().expect("never poisoned");
            if noted.len() > 10_000 {
                noted.retain(|_, at| now.duration_since(*at) < UNREADABLE_NOTE_EVERY);
            }
            if noted
                .get(&ev.sender)
                .is_some_and(|at| now.duration_since(*at) < UNREADABLE_NOTE_EVERY)
            {
                return;
            }
            noted.insert(ev.sender.clone(), now);
        }
        let note = self.config.labels.label(pstral_chat::Label::Unreadable);
        let place = self.place(&room, &ev.sender, None).await;
        if let Err(e) = pstral_chat::ChatPlatform::post(
            self.platform.as_ref(),
            &place,
            Some(ev.event_id.as_str()),
            &note,
        )
        .await
        {
            tracing::error!(error = %e, "cannot say that a message could not be read");
        }
    }

    async fn handle(&self, event: InboundEvent) {
        let platform: Arc<dyn pstral_chat::ChatPlatform> = self.platform.clone();
        self.handler.handle(platform, event).await;
    }
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
