//! A loopback Discord for tests: the REST API over HTTPS for `discord.com`
//! (a CA made for the run, handed to the bot's HTTP client), and the gateway
//! over a WebSocket.
//!
//! It speaks what serenity 0.12 expects (see shared/notes/discord-serenity.md)
//! and enforces what Discord documents: `Authorization: Bot …`, 2,000
//! characters a message (400, code 50035), integer `X-RateLimit-*` headers
//! with a bucket of 5 requests a second per route and channel, 429s with
//! `Retry-After` (whole seconds, as Discord sends) and a JSON `retry_after`,
//! "Unknown Message" (404, 10008). Multipart uploads are parsed, each file
//! with the description `payload_json`'s `attachments` gives it (at most
//! 1,024 characters, as Discord documents; 400, code 50035, past it). The gateway
//! sends HELLO, answers IDENTIFY with READY and heartbeats with ACKs, and a
//! RESUME with the missed events and RESUMED. Every REST call is recorded,
//! with its parsed body, for the tests to assert on.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

mod gateway;
mod rest;
mod routes;

use gateway::gateway_upgrade;
use rest::rest_call;
use routes::route;

pub const TOKEN: &str = "fake-token";
pub const BOT: u64 = 100_000_000_000_000_001;
pub const BOT_ROLE: u64 = 600_000_000_000_000_001;
pub const APP: u64 = BOT;
pub const GUILD: u64 = 300_000_000_000_000_001;
pub const CHANNEL: u64 = 400_000_000_000_000_001;
/// Discord's permission bits, as its documentation numbers them.
pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const SEND_MESSAGES: u64 = 1 << 11;

/// One REST call, as the fake received and answered it.
#[derive(Clone, Debug)]
pub struct Call {
    pub at: Instant,
    pub method: String,
    /// After `/api/v10`, without the query.
    pub path: String,
    /// The JSON body, or a multipart's `payload_json`.
    pub body: Value,
    /// Multipart files: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    pub status: u16,
}

enum Outgoing {
    Frame(Value),
    Close(u16),
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    calls: Vec<Call>,
    /// Messages by id.
    messages: BTreeMap<u64, Value>,
    /// Channel id → (type, parent, guild).
    channels: HashMap<u64, (u8, Option<u64>, Option<u64>)>,
    /// The DM channel of each user.
    dms: HashMap<u64, u64>,
    /// Deferred interactions: token → whether the response is ephemeral.
    deferred: HashMap<String, bool>,
    /// The next so many message edits answer 429.
    forced_429: usize,
    /// The next so many calls of any kind answer 503, as Discord does in
    /// an outage.
    down_for: usize,
    buckets: HashMap<String, (u32, Instant)>,
    seq: u64,
    session: String,
    /// Every dispatch sent, for a RESUME's replay.
    dispatched: Vec<(u64, Value)>,
    identifies: u32,
    resumes: u32,
    heartbeats: u32,
    connection: Option<mpsc::UnboundedSender<Outgoing>>,
    last_seen_seq: u64,
    /// The guild's roles beside @everyone (whose id is the guild's): (id,
    /// permissions).
    roles: Vec<(u64, u64)>,
    /// @everyone's permissions.
    everyone: u64,
    /// The guild's members with their roles; `None` while the bot lacks
    /// the Server Members intent, when Discord refuses to list them.
    members: Option<Vec<(u64, Vec<u64>)>>,
    /// Each channel's permission overwrites, as Discord writes them.
    overwrites: HashMap<u64, Vec<Value>>,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    gateway_url: String,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}

pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest: SocketAddr,
    /// The same REST front over plain HTTP, as a REST proxy in front of
    /// Discord serves it (`discord.proxy`): how a `pstral run` process,
    /// which cannot be handed an HTTP client, reaches this fake.
    plain: SocketAddr,
    ca_pem: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl FakeDiscord {
    pub async fn start() -> Self {
        let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_addr = gateway.local_addr().unwrap();
        let mut inner = Inner {
            next_id: 900_000_000_000_000_000,
            session: "session-1".to_owned(),
            ..Inner::default()
        };
        inner.channels.insert(CHANNEL, (0, None, Some(GUILD)));
        let shared = Arc::new(Shared {
            inner: Mutex::new(inner),
            changed: watch::channel(0).0,
            gateway_url: format!("ws://{gateway_addr}/gateway"),
        });
        let ws_app = Router::new()
            .fallback(gateway_upgrade)
            .with_state(Arc::clone(&shared));
        let ws_task = tokio::spawn(async move {
            axum::serve(gateway, ws_app).await.unwrap();
        });
        let (ca_pem, tls) = tls_config();
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest = tcp.local_addr().unwrap();
        let listener = TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
        };
        let rest_app = Router::new()
            .fallback(rest_call)
            .with_state(Arc::clone(&shared));
        let rest_task = tokio::spawn(async move {
            axum::serve(listener, rest_app).await.unwrap();
        });
        let plain_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain = plain_listener.local_addr().unwrap();
        let plain_app = Router::new()
            .fallback(rest_call)
            .with_state(Arc::clone(&shared));
        let plain_task = tokio::spawn(async move {
            axum::serve(plain_listener, plain_app).await.unwrap();
        });
        Self {
            shared,
            rest,
            plain,
            ca_pem,
            tasks: vec![ws_task, rest_task, plain_task],
        }
    }

    /// The REST front over plain HTTP, for `discord.proxy`: serenity sends
    /// its calls there, its own rate limiter off (the fake's 429s then reach
    /// the bot as they come).
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.plain)
    }

    /// An HTTP client for serenity that finds this fake at discord.com and
    /// trusts its certificate, as the notes describe.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap())
            .resolve("discord.com", self.rest)
            .build()
            .unwrap()
    }

    fn next_id(&self) -> u64 {
        let mut inner = self.shared.lock();
        inner.next_id += 1;
        inner.next_id
    }

    /// Sends a dispatch on the gateway (now, or on the next RESUME).
    pub fn dispatch(&self, t: &str, d: Value) {
        dispatch(&self.shared, t, d);
    }

    /// A message from `user` in the guild channel; `mention` puts the bot in
    /// its mentions, as Discord does for `<@BOT>`.
    pub fn say(&self, user: u64, channel: u64, content: &str, mention: bool) -> u64 {
        let id = self.next_id();
        let guild = self.shared.lock().channels.get(&channel).and_then(|c| c.2);
        let mut m = message(id, channel, user_json(user), content);
        if mention {
            m["mentions"] = json!([user_json(BOT)]);
        }
        if let Some(g) = guild {
            m["guild_id"] = json!(g.to_string());
            m["member"] = json!({"roles": []});
        }
        self.shared.lock().messages.insert(id, m.clone());
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// A reply from `user` to message `parent`.
    pub fn reply(&self, user: u64, channel: u64, parent: u64, content: &str) -> u64 {
        let id = self.next_id();
        let parent_message = self.shared.lock().messages.get(&parent).cloned().unwrap();
        let mut m = message(id, channel, user_json(user), content);
        m["guild_id"] = json!(GUILD.to_string());
        m["type"] = json!(19);
        m["message_reference"] = json!({"message_id": parent.to_string(), "channel_id": channel.to_string(), "guild_id": GUILD.to_string()});
        m["referenced_message"] = parent_message;
        self.shared.lock().messages.insert(id, m.clone());
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// A thread under `CHANNEL`, as Discord reports it to GET /channels.
    pub fn thread(&self) -> u64 {
        let id = self.next_id();
        self.shared
            .lock()
            .channels
            .insert(id, (11, Some(CHANNEL), Some(GUILD)));
        id
    }

    /// The DM channel between `user` and the bot.
    pub fn dm_channel(&self, user: u64) -> u64 {
        if let Some(&c) = self.shared.lock().dms.get(&user) {
            return c;
        }
        let id = self.next_id();
        let mut inner = self.shared.lock();
        inner.dms.insert(user, id);
        inner.channels.insert(id, (1, None, None));
        id
    }

    /// A DM from `user` to the bot.
    pub fn say_in_dm(&self, user: u64, content: &str) -> u64 {
        let channel = self.dm_channel(user);
        let id = self.next_id();
        let m = message(id, channel, user_json(user), content);
        self.shared.lock().messages.insert(id, m.clone());
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// `user` clicks the button `custom_id` on message `on`; returns the
    /// interaction's token.
    pub fn click(&self, user: u64, on: u64, custom_id: &str) -> String {
        let id = self.next_id();
        let token = format!("itok-{id}");
        let message = self.shared.lock().messages.get(&on).cloned().unwrap();
        let channel: u64 = message["channel_id"].as_str().unwrap().parse().unwrap();
        let mut d = interaction(id, &token, 3, channel, user);
        d["data"] = json!({"custom_id": custom_id, "component_type": 2});
        d["message"] = message;
        self.dispatch("INTERACTION_CREATE", d);
        token
    }

    /// `user` runs a slash command in `channel`; `options` as Discord sends
    /// them. Returns the interaction's token.
    pub fn slash(&self, user: u64, channel: u64, name: &str, options: Value) -> String {
        let id = self.next_id();
        let token = format!("itok-{id}");
        let mut d = interaction(id, &token, 2, channel, user);
        d["data"] =
            json!({"id": "700000000000000001", "name": name, "type": 1, "options": options});
        if self
            .shared
            .lock()
            .channels
            .get(&channel)
            .is_some_and(|c| c.2.is_none())
        {
            d.as_object_mut().unwrap().remove("guild_id");
            d.as_object_mut().unwrap().remove("member");
            d["user"] = user_json(user);
        }
        self.dispatch("INTERACTION_CREATE", d);
        token
    }

    /// Closes the gateway connection with `code`; serenity reconnects and
    /// resumes.
    pub fn close_gateway(&self, code: u16) {
        if let Some(c) = self.shared.lock().connection.take() {
            let _ = c.send(Outgoing::Close(code));
        }
    }

    /// The next `n` calls of any kind are answered 503 (Discord down).
    pub fn down_for_next_calls(&self, n: usize) {
        self.shared.lock().down_for = n;
    }

    /// The next `n` message edits are answered with 429 and `Retry-After: 1`.
    pub fn rate_limit_next_edits(&self, n: usize) {
        self.shared.lock().forced_429 = n;
    }

    /// The guild's members (the bot is always one) and roles, listed to a
    /// bot with the Server Members intent; @everyone may view channels.
    pub fn members(&self, members: &[(u64, &[u64])], roles: &[(u64, u64)]) {
        let mut inner = self.shared.lock();
        let mut listed: Vec<(u64, Vec<u64>)> =
            members.iter().map(|(u, r)| (*u, r.to_vec())).collect();
        listed.push((BOT, vec![BOT_ROLE]));
        listed.sort_unstable();
        inner.members = Some(listed);
        inner.roles = roles.to_vec();
        inner.everyone = VIEW_CHANNEL | SEND_MESSAGES;
    }

    /// Sets a channel's permission overwrites: (id, 0 for a role or 1 for
    /// a member, allow, deny).
    pub fn overwrite(&self, channel: u64, overwrites: &[(u64, u8, u64, u64)]) {
        self.shared.lock().overwrites.insert(
            channel,
            overwrites
                .iter()
                .map(|(id, kind, allow, deny)| {
                    json!({"id": id.to_string(), "type": kind, "allow": allow.to_string(), "deny": deny.to_string()})
                })
                .collect(),
        );
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// The calls to paths that match `method` and contain `path_part`.
    pub fn calls_to(&self, method: &str, path_part: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path.contains(path_part))
            .collect()
    }

    /// A message as Discord holds it now.
    pub fn message(&self, id: u64) -> Option<Value> {
        self.shared.lock().messages.get(&id).cloned()
    }

    /// The response to an interaction (its `@original` message), if it
    /// exists (was not deleted).
    pub fn original_of(&self, token: &str) -> Option<Value> {
        self.shared
            .lock()
            .messages
            .values()
            .find(|m| m["interaction_token"] == json!(token) && m["original"] == json!(true))
            .cloned()
    }

    /// The bot's messages in a channel, oldest first.
    pub fn bot_messages_in(&self, channel: u64) -> Vec<Value> {
        self.shared
            .lock()
            .messages
            .values()
            .filter(|m| {
                m["channel_id"] == json!(channel.to_string())
                    && m["author"]["id"] == json!(BOT.to_string())
                    && m["webhook_id"].is_null()
            })
            .cloned()
            .collect()
    }

    pub fn gateway_counts(&self) -> (u32, u32, u32) {
        let inner = self.shared.lock();
        (inner.identifies, inner.resumes, inner.heartbeats)
    }

    /// Waits until `condition` holds (or panics after 60 s).
    pub async fn wait_until(&self, what: &str, condition: impl Fn(&FakeDiscord) -> bool) {
        let mut changes = self.shared.changed.subscribe();
        let wait = async {
            while !condition(self) {
                changes.changed().await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .unwrap_or_else(|_| panic!("the fake Discord never saw: {what}"));
    }
}

pub fn user_json(id: u64) -> Value {
    let name = match id {
        BOT => "pstral".to_owned(),
        n => format!("user{n}"),
    };
    let mut user = json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": null, "avatar": null});
    if id == BOT {
        user["bot"] = json!(true);
    }
    user
}

/// A message as Discord sends it, with every field serenity requires.
pub fn message(id: u64, channel: u64, author: Value, content: &str) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": author,
        "content": content, "timestamp": "2026-11-22T10:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [],
        "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
        "components": [], "flags": 0
    })
}

/// An INTERACTION_CREATE's `d` in the guild channel, without `data`.
pub fn interaction(id: u64, token: &str, kind: u8, channel: u64, user: u64) -> Value {
    json!({
        "id": id.to_string(), "application_id": APP.to_string(), "type": kind, "token": token,
        "version": 1, "channel_id": channel.to_string(), "guild_id": GUILD.to_string(),
        "member": {"user": user_json(user), "roles": [], "deaf": false, "mute": false, "flags": 0,
                   "joined_at": "2026-01-01T00:00:00+00:00", "permissions": "0"},
        "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
        "attachment_size_limit": 26_214_400, "app_permissions": "0"
    })
}

pub fn ready(session: &str, resume_url: &str) -> Value {
    json!({
        "v": 10, "user": user_json(BOT), "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
        "session_id": session, "resume_gateway_url": resume_url, "shard": [0, 1],
        "application": {"id": APP.to_string(), "flags": 0}
    })
}

fn dispatch(shared: &Shared, t: &str, d: Value) {
    let mut inner = shared.lock();
    inner.seq += 1;
    let seq = inner.seq;
    let frame = json!({"op": 0, "s": seq, "t": t, "d": d});
    inner.dispatched.push((seq, frame.clone()));
    if let Some(c) = &inner.connection {
        let _ = c.send(Outgoing::Frame(frame));
    }
}

/// A CA and a certificate for discord.com signed by it; the CA's PEM for
/// the client, the server's TLS configuration.
fn tls_config() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Pstral test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["discord.com".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca.pem(), config)
}

struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> (StatusCode, Value) {
    (status, json!({"message": message, "code": code}))
}

/// A message the bot creates, with its files as attachments.
fn create_message(
    inner: &mut Inner,
    channel: u64,
    body: &Value,
    files: &[(String, Vec<u8>)],
    flags: u64,
) -> Value {
    inner.next_id += 1;
    let id = inner.next_id;
    let mut m = message(
        id,
        channel,
        user_json(BOT),
        body["content"].as_str().unwrap_or(""),
    );
    m["components"] = body["components"].clone();
    if m["components"].is_null() {
        m["components"] = json!([]);
    }
    m["flags"] = json!(flags);
    if !body["message_reference"].is_null() {
        m["message_reference"] = body["message_reference"].clone();
        m["type"] = json!(19);
    }
    m["attachments"] = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            let mut a = json!({"id": (id + 1 + i as u64).to_string(), "filename": name, "size": bytes.len(),
                   "url": format!("https://cdn.discordapp.com/attachments/{channel}/{id}/{name}"),
                   "proxy_url": format!("https://media.discordapp.net/attachments/{channel}/{id}/{name}")});
            // The file's entry in payload_json, by its index (`files[i]`).
            let described = body["attachments"].as_array().and_then(|files| {
                files
                    .iter()
                    .find(|f| f["id"].as_u64() == Some(i as u64) || f["id"] == json!(i.to_string()))
            });
            if let Some(description) = described.and_then(|f| f["description"].as_str()) {
                a["description"] = json!(description);
            }
            a
        })
        .collect();
    if let Some(g) = inner.channels.get(&channel).and_then(|c| c.2) {
        m["guild_id"] = json!(g.to_string());
    }
    inner.messages.insert(id, m.clone());
    m
}

// The benches include this file too, without running its tests.
#[cfg(test)]
#[allow(unused_imports)]
mod tests {
    use super::*;
    use serenity::model::event::Event;

    /// Serenity drops an event that does not deserialize, silently: every
    /// payload this fake sends must be one of serenity's own events.
    #[test]
    fn every_gateway_payload_deserializes_into_serenitys_event() {
        let message_with_mention = {
            let mut m = message(901, CHANNEL, user_json(2), "<@100000000000000001> hi");
            m["mentions"] = json!([user_json(BOT)]);
            m["guild_id"] = json!(GUILD.to_string());
            m["member"] = json!({"roles": []});
            m
        };
        let reply = {
            let mut m = message(902, CHANNEL, user_json(2), "and?");
            m["type"] = json!(19);
            m["message_reference"] =
                json!({"message_id": "901", "channel_id": CHANNEL.to_string()});
            m["referenced_message"] = message(901, CHANNEL, user_json(BOT), "answer");
            m
        };
        let click = {
            let mut d = interaction(903, "itok-903", 3, CHANNEL, 2);
            d["data"] = json!({"custom_id": "px:1:2:3", "component_type": 2});
            d["message"] = message(901, CHANNEL, user_json(BOT), "answer");
            d
        };
        let slash = {
            let mut d = interaction(904, "itok-904", 2, CHANNEL, 2);
            d["data"] = json!({"id": "700000000000000001", "name": "audit", "type": 1,
                "options": [{"name": "kind", "type": 1, "options": [{"name": "kind", "type": 3, "value": "question"}]}]});
            d
        };
        let dm_slash = {
            let mut d = interaction(905, "itok-905", 2, 77, 2);
            d.as_object_mut().unwrap().remove("guild_id");
            d.as_object_mut().unwrap().remove("member");
            d["user"] = user_json(2);
            d["data"] = json!({"id": "700000000000000001", "name": "link", "type": 1,
                "options": [{"name": "code", "type": 3, "value": "ABCDEFGHJK"}]});
            d
        };
        let payloads = [
            ("READY", ready("s", "ws://127.0.0.1:1/gateway")),
            ("MESSAGE_CREATE", message(900, CHANNEL, user_json(2), "dm")),
            ("MESSAGE_CREATE", message_with_mention),
            ("MESSAGE_CREATE", reply),
            ("INTERACTION_CREATE", click),
            ("INTERACTION_CREATE", slash),
            ("INTERACTION_CREATE", dm_slash),
            ("RESUMED", json!({})),
        ];
        for (t, d) in payloads {
            let frame = json!({"op": 0, "s": 1, "t": t, "d": d});
            let event: serenity::model::event::GatewayEvent =
                serde_json::from_value(frame.clone()).unwrap_or_else(|e| panic!("{t}: {e}"));
            let serenity::model::event::GatewayEvent::Dispatch(_, event) = event else {
                panic!("{t} is not a dispatch");
            };
            assert!(
                !matches!(event, Event::Unknown(_)),
                "{t} would be dropped: {frame}"
            );
        }
    }

    #[test]
    fn the_rest_answers_deserialize_into_serenitys_models() {
        let mut inner = Inner::default();
        inner.channels.insert(CHANNEL, (0, None, Some(GUILD)));
        let posted = create_message(
            &mut inner,
            CHANNEL,
            &json!({"content": "hi"}),
            &[("a.csv".into(), b"x".to_vec())],
            0,
        );
        serde_json::from_value::<serenity::model::channel::Message>(posted).unwrap();
        let (_, member) = route(
            &mut inner,
            "",
            &Method::GET,
            &format!("/guilds/{GUILD}/members/{BOT}"),
            "",
            &Value::Null,
            &[],
        );
        serde_json::from_value::<serenity::model::guild::Member>(member.unwrap()).unwrap();
        inner.channels.insert(5, (11, Some(CHANNEL), Some(GUILD)));
        let (_, thread) = route(
            &mut inner,
            "",
            &Method::GET,
            "/channels/5",
            "",
            &Value::Null,
            &[],
        );
        let thread: serenity::model::channel::Channel =
            serde_json::from_value(thread.unwrap()).unwrap();
        assert!(thread.guild().unwrap().parent_id.is_some());
        let (_, dm) = route(
            &mut inner,
            "",
            &Method::POST,
            "/users/@me/channels",
            "",
            &json!({"recipient_id": "2"}),
            &[],
        );
        serde_json::from_value::<serenity::model::channel::PrivateChannel>(dm.unwrap()).unwrap();
        let (_, guild) = route(
            &mut inner,
            "",
            &Method::GET,
            &format!("/guilds/{GUILD}"),
            "",
            &Value::Null,
            &[],
        );
        serde_json::from_value::<serenity::model::guild::PartialGuild>(guild.unwrap()).unwrap();
        inner.members = Some(vec![(2, vec![]), (BOT, vec![BOT_ROLE])]);
        let (_, page) = route(
            &mut inner,
            "",
            &Method::GET,
            &format!("/guilds/{GUILD}/members"),
            "limit=1000",
            &Value::Null,
            &[],
        );
        serde_json::from_value::<Vec<serenity::model::guild::Member>>(page.unwrap()).unwrap();
    }
}
