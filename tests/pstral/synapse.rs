//! The real Synapse that `scripts/test` starts (`PSTRAL_TEST_SYNAPSE_URL`),
//! and people on it: real Matrix clients (matrix-sdk, which speaks
//! encryption), never calls into the bot's code.
//!
//! Users are registered with the shared secret through the admin API, with
//! a per-run prefix so that tests share one server without meeting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::member::{MembershipState, OriginalSyncRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::{InitialStateEvent, Mentions};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use matrix_sdk::{Client, Room};
use serde_json::{Value, json};
use tokio::sync::watch;

pub const SHARED_SECRET: &str = "pstral-test-shared-secret";

/// The Synapse of this test run.
pub fn url() -> String {
    std::env::var("PSTRAL_TEST_SYNAPSE_URL").expect(
        "PSTRAL_TEST_SYNAPSE_URL is not set: run the tests with ./scripts/test, which \
         installs and starts Synapse",
    )
}

/// A name no other test of this run (or an earlier run on the same
/// server) uses.
pub fn unique(name: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{name}{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A registered account: (user id, access token, device id).
pub async fn register(name: &str, password: &str, admin: bool) -> (String, String, String) {
    use hmac::{Hmac, Mac};
    let http = reqwest::Client::new();
    let endpoint = format!("{}/_synapse/admin/v1/register", url());
    let nonce: Value = http
        .get(&endpoint)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = nonce["nonce"].as_str().unwrap();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SHARED_SECRET.as_bytes()).unwrap();
    let role = if admin { "admin" } else { "notadmin" };
    mac.update(format!("{nonce}\0{name}\0{password}\0{role}").as_bytes());
    let mac = hex::encode(mac.finalize().into_bytes());
    let body =
        json!({"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac});
    let answer: Value = http
        .post(&endpoint)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        answer["user_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"))
            .to_owned(),
        answer["access_token"].as_str().unwrap().to_owned(),
        answer["device_id"].as_str().unwrap().to_owned(),
    )
}

/// Synapse's admin API, as the server admin `token`.
pub async fn admin(method: reqwest::Method, path: &str, token: &str, body: Value) -> Value {
    reqwest::Client::new()
        .request(method, format!("{}{path}", url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// A message as a person's client saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub room: OwnedRoomId,
    pub event: OwnedEventId,
    pub sender: OwnedUserId,
    pub body: String,
    /// For an edit: the message it replaces.
    pub replaces: Option<OwnedEventId>,
    pub in_reply_to: Option<OwnedEventId>,
    pub thread: Option<OwnedEventId>,
    /// `m.file` or `m.image`: the file's name and bytes, downloaded (and
    /// decrypted).
    pub file: Option<(String, Vec<u8>)>,
    /// `m.image`: what its event says of it beside the bytes.
    pub image: Option<SeenImage>,
    pub encrypted: bool,
    pub formatted: Option<String>,
    /// When this client received it.
    pub at: tokio::time::Instant,
}

/// An `m.image` as a client receives it.
#[derive(Clone, Debug)]
pub struct SeenImage {
    pub width: Option<u64>,
    pub height: Option<u64>,
    /// The caption (the event's body, its file name being in `filename`).
    pub caption: String,
    /// The thumbnail's bytes, downloaded (and decrypted).
    pub thumbnail: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct Record {
    seen: Vec<Seen>,
    /// Room → members joined.
    pub joined: HashMap<OwnedRoomId, Vec<OwnedUserId>>,
    /// Who left (or declined an invite to, or was banned from) which room.
    pub left: Vec<(OwnedRoomId, OwnedUserId)>,
    /// The reason given with a leave or a declined invite, when one was.
    pub left_reasons: HashMap<(OwnedRoomId, OwnedUserId), String>,
    /// The time of the latest membership event taken into `joined`, by room
    /// and member: a sync may deliver an older membership again (the state
    /// before its timeline, then the timeline that changes it), which must
    /// not make a member who left look joined again, even for a moment.
    membership_at: HashMap<
        (OwnedRoomId, OwnedUserId),
        (matrix_sdk::ruma::MilliSecondsSinceUnixEpoch, OwnedEventId),
    >,
}

/// A person with a Matrix client, syncing in the background.
pub struct Human {
    pub client: Client,
    pub user: OwnedUserId,
    /// Whether invites are accepted (as a person does), or left pending.
    accepts_invites: Arc<std::sync::atomic::AtomicBool>,
    record: Arc<Mutex<Record>>,
    changed: watch::Sender<u64>,
    sync: tokio::task::JoinHandle<()>,
    _store: tempfile::TempDir,
}

impl Drop for Human {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

impl Human {
    pub async fn register(name: &str) -> Self {
        let (user, token, device) = register(name, "password", false).await;
        let store = tempfile::tempdir().unwrap();
        let client = Client::builder()
            .homeserver_url(url())
            .sqlite_store(store.path(), None)
            .build()
            .await
            .unwrap();
        let user: OwnedUserId = user.parse().unwrap();
        client
            .restore_session(MatrixSession {
                meta: matrix_sdk::SessionMeta {
                    user_id: user.clone(),
                    device_id: device.as_str().into(),
                },
                tokens: matrix_sdk::SessionTokens {
                    access_token: token,
                    refresh_token: None,
                },
            })
            .await
            .unwrap();
        client
            .encryption()
            .bootstrap_cross_signing_if_needed(None)
            .await
            .unwrap();
        let record = Arc::new(Mutex::new(Record::default()));
        let changed = watch::channel(0).0;
        record_messages(&client, &record, &changed);
        record_memberships(&client, &record, &changed);
        let accepts_invites = Arc::new(std::sync::atomic::AtomicBool::new(true));
        accept_invites(&client, &accepts_invites);
        let syncing = client.clone();
        let sync = tokio::spawn(async move {
            loop {
                let settings = SyncSettings::default().timeout(Duration::from_secs(10));
                if syncing.sync_once(settings).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
        Self {
            client,
            user,
            accepts_invites,
            record,
            changed,
            sync,
            _store: store,
        }
    }

    /// A room with the bot invited, unencrypted unless `encrypted`.
    pub async fn room_with(&self, bot: &OwnedUserId, encrypted: bool) -> Room {
        let mut request = CreateRoom::new();
        request.invite = vec![bot.clone()];
        request.preset = Some(RoomPreset::PrivateChat);
        if encrypted {
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        let room = self.client.create_room(request).await.unwrap();
        self.wait_for_join(&room, bot).await;
        room
    }

    /// A direct chat with the bot, as Element creates one: `is_direct`,
    /// trusted private chat, encrypted from the start.
    pub async fn dm_with(&self, bot: &OwnedUserId) -> Room {
        let mut request = CreateRoom::new();
        request.invite = vec![bot.clone()];
        request.is_direct = true;
        request.preset = Some(RoomPreset::TrustedPrivateChat);
        request.initial_state = vec![
            InitialStateEvent::with_empty_state_key(
                RoomEncryptionEventContent::with_recommended_defaults(),
            )
            .to_raw_any(),
        ];
        let room = self.client.create_room(request).await.unwrap();
        self.wait_for_join(&room, bot).await;
        room
    }

    /// Invites `who` into `room` and waits until they are in (people accept
    /// invites on their own).
    pub async fn invite(&self, room: &Room, who: &Human) -> Room {
        room.invite_user_by_id(&who.user).await.unwrap();
        let id = room.room_id().to_owned();
        let user = who.user.clone();
        who.wait_until("joined the room", |r| {
            r.joined.get(&id).is_some_and(|j| j.contains(&user))
        })
        .await;
        who.client.get_room(&id).unwrap()
    }

    /// Sets who may read `room`'s history: `joined` (from their join on),
    /// `invited`, `shared` (every member, all of it) or `world_readable`.
    pub async fn set_history(
        &self,
        room: &Room,
        visibility: matrix_sdk::ruma::events::room::history_visibility::HistoryVisibility,
    ) {
        use matrix_sdk::ruma::events::room::history_visibility::RoomHistoryVisibilityEventContent;
        room.send_state_event(RoomHistoryVisibilityEventContent::new(visibility))
            .await
            .unwrap();
    }

    /// Leaves `room`.
    pub async fn leave(&self, room: &Room) {
        room.leave().await.unwrap();
    }

    /// Waits until `who` left `room` or declined an invite to it.
    pub async fn wait_for_leave(&self, room: &Room, who: &OwnedUserId) {
        let id = room.room_id().to_owned();
        self.wait_until("the bot left or declined", |r| {
            r.left.iter().any(|(room, user)| *room == id && user == who)
        })
        .await;
    }

    /// The reason `who` gave when leaving `room` or declining its invite.
    pub fn leave_reason(&self, room: &Room, who: &OwnedUserId) -> Option<String> {
        self.record
            .lock()
            .unwrap()
            .left_reasons
            .get(&(room.room_id().to_owned(), who.clone()))
            .cloned()
    }

    pub async fn wait_for_join(&self, room: &Room, who: &OwnedUserId) {
        let id = room.room_id().to_owned();
        self.wait_until("the bot joined", |r| {
            r.joined.get(&id).is_some_and(|j| j.contains(who))
        })
        .await;
    }

    /// From now on, invites stay pending: the person never answers them.
    pub fn ignore_invites(&self) {
        self.accepts_invites
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// A message whose `m.mentions` names `whom` (and no one else), whatever
    /// its text says.
    pub async fn say_mentioning(
        &self,
        room: &Room,
        whom: &OwnedUserId,
        text: &str,
    ) -> OwnedEventId {
        let content = RoomMessageEventContent::text_plain(text)
            .add_mentions(Mentions::with_user_ids([whom.clone()]));
        room.send(content).await.unwrap().response.event_id
    }

    pub async fn say(&self, room: &Room, text: &str) -> OwnedEventId {
        room.send(RoomMessageEventContent::text_plain(text))
            .await
            .unwrap()
            .response
            .event_id
    }

    /// A message that mentions `who` as Element does: `m.mentions` and the
    /// display name in the body.
    pub async fn mention(&self, room: &Room, who: &OwnedUserId, text: &str) -> OwnedEventId {
        let content = RoomMessageEventContent::text_plain(format!("{}: {text}", who.localpart()))
            .add_mentions(Mentions::with_user_ids([who.clone()]));
        room.send(content).await.unwrap().response.event_id
    }

    pub async fn reply(
        &self,
        room: &Room,
        to: &OwnedEventId,
        sender: &OwnedUserId,
        text: &str,
    ) -> OwnedEventId {
        use matrix_sdk::ruma::events::room::message::{AddMentions, ForwardThread, ReplyMetadata};
        let content = RoomMessageEventContent::text_plain(text).make_reply_to(
            ReplyMetadata::new(to, sender, None),
            ForwardThread::Yes,
            AddMentions::No,
        );
        room.send(content).await.unwrap().response.event_id
    }

    /// A message in the thread under `root`.
    pub async fn in_thread(&self, room: &Room, root: &OwnedEventId, text: &str) -> OwnedEventId {
        let mut content = RoomMessageEventContent::text_plain(text);
        content.relates_to = Some(Relation::Thread(
            matrix_sdk::ruma::events::relation::Thread::plain(root.clone(), root.clone()),
        ));
        room.send(content).await.unwrap().response.event_id
    }

    pub async fn react(&self, room: &Room, to: &OwnedEventId, key: &str) {
        room.send(ReactionEventContent::new(Annotation::new(
            to.clone(),
            key.to_owned(),
        )))
        .await
        .unwrap();
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.record.lock().unwrap().seen.clone()
    }

    /// What `sender` wrote in `room`, newest state of each message (its
    /// latest edit), oldest message first.
    pub fn messages_from(&self, room: &Room, sender: &OwnedUserId) -> Vec<(OwnedEventId, String)> {
        latest_texts(&self.seen(), room.room_id(), sender)
    }

    pub fn files_from(&self, room: &Room, sender: &OwnedUserId) -> Vec<(String, Vec<u8>)> {
        self.seen()
            .into_iter()
            .filter(|s| s.room == room.room_id() && &s.sender == sender)
            .filter_map(|s| s.file)
            .collect()
    }

    pub async fn wait_until(&self, what: &str, condition: impl Fn(&Record) -> bool) {
        let mut changes = self.changed.subscribe();
        let wait = async {
            while !condition(&self.record.lock().unwrap()) {
                changes.changed().await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(90), wait)
            .await
            .unwrap_or_else(|_| panic!("{} never saw: {what}", self.user));
    }

    /// Waits until `condition` holds for what this person has seen.
    pub async fn wait_for(&self, what: &str, condition: impl Fn(&[Seen]) -> bool) {
        self.wait_until(what, |r| condition(&r.seen)).await;
    }
}

/// The messages `sender` wrote in `room` (not files), each with the text of
/// its latest edit, oldest first.
pub fn latest_texts(
    seen: &[Seen],
    room: &matrix_sdk::ruma::RoomId,
    sender: &OwnedUserId,
) -> Vec<(OwnedEventId, String)> {
    seen.iter()
        .filter(|s| {
            s.room == room && &s.sender == sender && s.replaces.is_none() && s.file.is_none()
        })
        .map(|original| {
            let latest = seen
                .iter()
                .rfind(|s| s.replaces.as_ref() == Some(&original.event))
                .map_or(original.body.clone(), |s| s.body.clone());
            (original.event.clone(), latest)
        })
        .collect()
}

/// A message as a person's client shows it: its text (an edit's new text),
/// what it replies to or threads under, and its file or image downloaded.
async fn seen_message(
    ev: &OriginalSyncRoomMessageEvent,
    room: &Room,
    client: &Client,
    encrypted: bool,
) -> Seen {
    let (file, image) = match &ev.content.msgtype {
        MessageType::File(f) => (
            client
                .media()
                .get_file(f, false)
                .await
                .ok()
                .flatten()
                .map(|bytes| (f.body.clone(), bytes)),
            None,
        ),
        MessageType::Image(i) => {
            use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
            let bytes = client.media().get_file(i, false).await.ok().flatten();
            let info = i.info.as_deref();
            let thumbnail = match info.and_then(|i| i.thumbnail_source.clone()) {
                Some(source) => client
                    .media()
                    .get_media_content(
                        &MediaRequestParameters {
                            source,
                            format: MediaFormat::File,
                        },
                        false,
                    )
                    .await
                    .ok(),
                None => None,
            };
            let name = i.filename.clone().unwrap_or_else(|| i.body.clone());
            (
                bytes.map(|b| (name, b)),
                Some(SeenImage {
                    width: info.and_then(|i| i.width).map(u64::from),
                    height: info.and_then(|i| i.height).map(u64::from),
                    caption: i.body.clone(),
                    thumbnail,
                }),
            )
        }
        _ => (None, None),
    };
    let (replaces, body, formatted) = match &ev.content.relates_to {
        Some(Relation::Replacement(r)) => {
            let formatted = match &r.new_content.msgtype {
                MessageType::Text(t) => t.formatted.as_ref().map(|f| f.body.clone()),
                _ => None,
            };
            (
                Some(r.event_id.clone()),
                r.new_content.msgtype.body().to_owned(),
                formatted,
            )
        }
        _ => {
            let formatted = match &ev.content.msgtype {
                MessageType::Text(t) => t.formatted.as_ref().map(|f| f.body.clone()),
                MessageType::Notice(t) => t.formatted.as_ref().map(|f| f.body.clone()),
                _ => None,
            };
            (None, ev.content.msgtype.body().to_owned(), formatted)
        }
    };
    let (in_reply_to, thread) = match &ev.content.relates_to {
        Some(Relation::Reply(r)) => (Some(r.in_reply_to.event_id.clone()), None),
        Some(Relation::Thread(t)) => (
            t.in_reply_to.as_ref().map(|r| r.event_id.clone()),
            Some(t.event_id.clone()),
        ),
        _ => (None, None),
    };
    Seen {
        room: room.room_id().to_owned(),
        event: ev.event_id.clone(),
        sender: ev.sender.clone(),
        body,
        replaces,
        in_reply_to,
        thread,
        file,
        image,
        encrypted,
        formatted,
        at: tokio::time::Instant::now(),
    }
}

/// Records every message `client` receives in `record`, and says so on
/// `changed`.
fn record_messages(client: &Client, record: &Arc<Mutex<Record>>, changed: &watch::Sender<u64>) {
    let (record, changed) = (Arc::clone(record), changed.clone());
    client.add_event_handler(
        move |ev: OriginalSyncRoomMessageEvent,
              room: Room,
              client: Client,
              enc: Option<matrix_sdk::deserialized_responses::EncryptionInfo>| {
            let (record, changed) = (Arc::clone(&record), changed.clone());
            async move {
                let seen = seen_message(&ev, &room, &client, enc.is_some()).await;
                record.lock().unwrap().seen.push(seen);
                changed.send_modify(|n| *n += 1);
            }
        },
    );
}

/// Records who joins and leaves each room `client` is in, by the latest
/// membership event of each person, and says so on `changed`.
fn record_memberships(client: &Client, record: &Arc<Mutex<Record>>, changed: &watch::Sender<u64>) {
    let (record, changed) = (Arc::clone(record), changed.clone());
    client.add_event_handler(move |ev: OriginalSyncRoomMemberEvent, room: Room| {
        let (record, changed) = (Arc::clone(&record), changed.clone());
        async move {
            let user: OwnedUserId = ev.state_key.clone();
            let mut record = record.lock().unwrap();
            let key = (room.room_id().to_owned(), user.clone());
            if record
                .membership_at
                .get(&key)
                .is_some_and(|(at, id)| *at > ev.origin_server_ts || *id == ev.event_id)
            {
                return;
            }
            record
                .membership_at
                .insert(key, (ev.origin_server_ts, ev.event_id.clone()));
            let joined = record.joined.entry(room.room_id().to_owned()).or_default();
            match ev.content.membership {
                MembershipState::Join if !joined.contains(&user) => joined.push(user),
                MembershipState::Join => {}
                MembershipState::Leave | MembershipState::Ban => {
                    joined.retain(|u| *u != user);
                    if let Some(reason) = ev.content.reason.clone() {
                        record
                            .left_reasons
                            .insert((room.room_id().to_owned(), user.clone()), reason);
                    }
                    record.left.push((room.room_id().to_owned(), user));
                }
                _ => return,
            }
            changed.send_modify(|n| *n += 1);
        }
    });
}

/// Invites are accepted, as a person does (the bot writes to them
/// privately in a DM it opens), unless told not to.
fn accept_invites(client: &Client, accepts_invites: &Arc<std::sync::atomic::AtomicBool>) {
    let accepting = Arc::clone(accepts_invites);
    client.add_event_handler(
        move |ev: matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent,
              room: Room,
              client: Client| {
            let accepting = accepting.load(std::sync::atomic::Ordering::SeqCst);
            async move {
                if accepting
                    && Some(ev.state_key.as_ref()) == client.user_id()
                    && ev.content.membership == MembershipState::Invite
                {
                    tokio::spawn(async move {
                        for _ in 0..10 {
                            if room.join().await.is_ok() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(300)).await;
                        }
                    });
                }
            }
        },
    );
}
