//! The Matrix adapter end to end against the real Synapse `scripts/test`
//! starts: the real bot (matrix-sdk, its own SQLite store), the fake
//! Ollama, and people who are real matrix-sdk clients.

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::ruma::OwnedUserId;
use pstral_chat::{ConnectionState, Connector, EventHandler, PlatformError};
use pstral_core::audit::Actor;
use pstral_core::identity::Role;
use pstral_matrix::{Credentials, Matrix, MatrixConfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::answers::{Harness, MODEL, Options, numbered_words};
use crate::discord::Counting;
use crate::support::fake_model::{FakeModel, Script};
use crate::synapse::{Human, Seen, register, unique};

mod events;
mod linking;
mod replies;
mod results;

/// What the test homeserver allows the bot: its limits are lifted
/// (scripts/synapse).
pub(crate) const LIFTED: pstral_chat::Allowance = pstral_chat::Allowance {
    burst: 10_000,
    refill: Duration::from_micros(100),
    scope: pstral_chat::AllowanceScope::Account,
    posts_count: true,
};

/// The bot, connected to Synapse with its own store.
pub(crate) struct Bot {
    pub(crate) user: OwnedUserId,
    password: String,
    store: tempfile::TempDir,
    stop: CancellationToken,
    served: tokio::task::JoinHandle<Result<(), PlatformError>>,
    pub(crate) handled: tokio::sync::watch::Receiver<usize>,
}

impl Bot {
    pub(crate) async fn register() -> (OwnedUserId, String) {
        let password = "bot-password".to_owned();
        let (user, _, _) = register(&unique("pstral"), &password, false).await;
        (user.parse().unwrap(), password)
    }

    /// Connects the bot of `h` as `user`, with the store in `store`.
    pub(crate) async fn start(
        h: &Harness,
        user: OwnedUserId,
        password: String,
        store: tempfile::TempDir,
    ) -> Self {
        Self::start_with_cap(h, user, password, store, (500, 500)).await
    }

    /// [`Bot::start`], staying in `max_rooms` rooms at most, `per_inviter`
    /// of them by one person's invites.
    pub(crate) async fn start_with_cap(
        h: &Harness,
        user: OwnedUserId,
        password: String,
        store: tempfile::TempDir,
        (max_rooms, per_inviter): (usize, usize),
    ) -> Self {
        Self::start_as(h, user, password, store, (max_rooms, per_inviter), LIFTED).await
    }

    /// [`Bot::start`], spending edits from `allowance`.
    pub(crate) async fn start_allowed(
        h: &Harness,
        user: OwnedUserId,
        password: String,
        store: tempfile::TempDir,
        allowance: pstral_chat::Allowance,
    ) -> Self {
        Self::start_as(h, user, password, store, (500, 500), allowance).await
    }

    async fn start_as(
        h: &Harness,
        user: OwnedUserId,
        password: String,
        store: tempfile::TempDir,
        (max_rooms, per_inviter): (usize, usize),
        edit_allowance: pstral_chat::Allowance,
    ) -> Self {
        let config = MatrixConfig {
            homeserver: crate::synapse::url(),
            user: user.to_string(),
            credentials: Credentials::Password(password.clone()),
            store_dir: store.path().join("matrix"),
            store_passphrase: "test-store-passphrase".to_owned(),
            invites_from: Vec::new(),
            max_rooms,
            max_rooms_per_inviter: per_inviter,
            edit_allowance,
            labels: std::sync::Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
        };
        let (counting, handled) = Counting::new(h.bot.clone());
        let handler: Arc<dyn EventHandler> = Arc::new(counting);
        let (state_tx, mut state) = tokio::sync::watch::channel(ConnectionState::Connecting);
        let stop = CancellationToken::new();
        let served =
            tokio::spawn(Box::new(Matrix::new(config)).serve(handler, state_tx, stop.clone()));
        tokio::time::timeout(
            Duration::from_secs(120),
            state.wait_for(|s| *s == ConnectionState::Connected),
        )
        .await
        .expect("the bot connects to Synapse")
        .expect("the connector is running");
        Self {
            user,
            password,
            store,
            stop,
            served,
            handled,
        }
    }

    pub(crate) async fn handled(&self, n: usize) {
        let mut handled = self.handled.clone();
        tokio::time::timeout(Duration::from_secs(90), handled.wait_for(|&h| h >= n))
            .await
            .unwrap_or_else(|_| panic!("the bot never finished {n} events"))
            .unwrap();
    }

    /// Stops the bot; gives back what a restart needs.
    pub(crate) async fn stop(self) -> (OwnedUserId, String, tempfile::TempDir) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.served)
            .await
            .expect("the connector stops when told")
            .unwrap()
            .unwrap();
        (self.user, self.password, self.store)
    }

    /// The bot's access token, as its store keeps it.
    fn token(&self) -> String {
        let session: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.store.path().join("matrix/session.json")).unwrap(),
        )
        .unwrap();
        session["access_token"].as_str().unwrap().to_owned()
    }

    fn device(&self) -> String {
        let session: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.store.path().join("matrix/session.json")).unwrap(),
        )
        .unwrap();
        session["device_id"].as_str().unwrap().to_owned()
    }
}

/// Links a person to one of the harness's local users (ana and bob are
/// executors, carl a viewer), or to a new admin.
pub(crate) async fn link(h: &Harness, person: &Human, local: &str, role: Option<Role>) {
    let directory = &h.directory;
    if let Some(role) = role {
        directory.add_user(local, role, Actor::cli()).await.unwrap();
    }
    let identity = format!("matrix:{}", person.user).parse().unwrap();
    directory
        .link(local, &identity, Actor::cli())
        .await
        .unwrap();
}

pub(crate) async fn setup(ollama: &FakeModel, options: Options) -> (Harness, Bot) {
    let h = Harness::new(&[ollama.url()], options).await;
    let (user, password) = Bot::register().await;
    let bot = Bot::start(&h, user, password, tempfile::tempdir().unwrap()).await;
    (h, bot)
}

/// The bot's messages (latest text of each) in `room`, as `person` sees them.
pub(crate) fn from_bot(person: &Human, room: &matrix_sdk::Room, bot: &OwnedUserId) -> Vec<String> {
    person
        .messages_from(room, bot)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

pub(crate) async fn wait_for_text(
    person: &Human,
    room: &matrix_sdk::Room,
    bot: &OwnedUserId,
    text: &str,
) {
    let room_id = room.room_id().to_owned();
    person
        .wait_for(&format!("the bot's message {text:?}"), |seen| {
            latest_texts(seen, &room_id, bot).iter().any(|t| t == text)
        })
        .await;
}

pub(crate) fn latest_texts(
    seen: &[Seen],
    room: &matrix_sdk::ruma::RoomId,
    bot: &OwnedUserId,
) -> Vec<String> {
    crate::synapse::latest_texts(seen, room, bot)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_a_thread_and_a_reply_chain_are_answered_by_edits() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let answer = numbered_words("w", 300);
    ollama.then(Script::answer(&answer).every(Duration::from_millis(10)));
    ollama.then(Script::answer("In the thread."));
    ollama.then(Script::answer("Following up."));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;

    ana.say(&room, "colleagues talking, not for the bot").await;
    let question = ana.mention(&room, &bot.user, "count to 300").await;
    wait_for_text(&ana, &room, &bot.user, &answer).await;
    let seen = ana.seen();
    let placeholder = seen
        .iter()
        .find(|s| s.sender == bot.user && s.replaces.is_none())
        .unwrap();
    assert_eq!(
        placeholder.in_reply_to.as_ref(),
        Some(&question),
        "a reply to the question"
    );
    let edits: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.replaces.as_ref() == Some(&placeholder.event))
        .collect();
    assert!(edits.len() >= 2, "streamed by edits: {}", edits.len());
    assert!(
        edits.last().unwrap().formatted.is_some() || edits.last().unwrap().body == answer,
        "an edit keeps its body right"
    );
    assert_eq!(
        ollama.questions(),
        vec!["count to 300"],
        "only the mention was a question"
    );
    let last_token = ollama.sent().last().unwrap().0;
    let final_seen = edits.iter().find(|e| e.body == answer).unwrap().at;
    eprintln!(
        "matrix: a 300-token answer took 1 message and {} edits; the final text reached the other client {:?} after the model's last token",
        edits.len(),
        final_seen.saturating_duration_since(last_token)
    );
    bot.handled(1).await;

    // A thread: the answer stays in it, and the bot follows it.
    let root = ana.say(&room, "A topic").await;
    ana.in_thread(&room, &root, &format!("{}: in the thread?", bot.user))
        .await;
    wait_for_text(&ana, &room, &bot.user, "In the thread.").await;
    let in_thread = ana.seen().into_iter().find(|s| {
        s.sender == bot.user && s.replaces.is_none() && s.body != answer && s.thread.is_some()
    });
    assert_eq!(in_thread.unwrap().thread.as_ref(), Some(&root));
    bot.handled(2).await;

    // A reply to the bot's answer, without a mention: the chain is history.
    ana.reply(&room, &placeholder.event, &bot.user, "and then?")
        .await;
    wait_for_text(&ana, &room, &bot.user, "Following up.").await;
    let last = ollama.requests().last().unwrap().clone();
    assert!(
        last["messages"].to_string().contains("w299"),
        "the first answer is history"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_dm_is_answered_and_still_is_after_a_restart_on_the_same_device() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Only you can read this."));
    ollama.then(Script::answer("Still me, same device."));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let dm = ana.dm_with(&bot.user).await;
    ana.say(&dm, "what is our margin?").await;
    wait_for_text(&ana, &dm, &bot.user, "Only you can read this.").await;
    assert!(
        ana.seen()
            .iter()
            .filter(|s| s.sender == bot.user)
            .all(|s| s.encrypted),
        "everything the bot wrote in the DM was encrypted"
    );
    assert_eq!(
        h.audited("question").await[0]["text"],
        "what is our margin?"
    );
    let device = bot.device();
    bot.handled(1).await;

    let (user, password, store) = bot.stop().await;
    let bot = Bot::start(&h, user, password, store).await;
    assert_eq!(bot.device(), device, "the same device after a restart");
    ana.say(&dm, "are you still there?").await;
    wait_for_text(&ana, &dm, &bot.user, "Still me, same device.").await;
    assert!(
        ana.seen()
            .iter()
            .filter(|s| s.sender == bot.user)
            .all(|s| s.encrypted)
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_goes_to_an_admin_by_dm_and_is_refused_to_anyone_else() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    link(&h, &ana, "ana", None).await;
    let room = dana.room_with(&bot.user, false).await;
    let ana_room = dana.invite(&room, &ana).await;
    dana.say(&room, "!audit recent").await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    dana.wait_for("the audit, privately", |seen| {
        seen.iter().any(|s| {
            s.sender == bot_user
                && s.room != room_id
                && s.body.contains("newest matching audit events")
        })
    })
    .await;
    ana.say(&ana_room, "!audit recent").await;
    ana.wait_for("the refusal", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("needs the admin role"))
    })
    .await;
    assert!(
        dana.seen()
            .iter()
            .filter(|s| s.room == room_id && s.sender == bot_user)
            .all(|s| !s.body.contains("audit")),
        "nothing about the audit in the room"
    );
    bot.handled(2).await;
    let reads = h.audited("admin_read").await;
    assert_eq!(reads.len(), 1);
    assert_eq!(h.audited("access_refused").await[0]["needed"], "admin");
    bot.stop().await;
}

/// matrix-sdk asks the homeserver at every start for the account's secret
/// storage and key backup; an account that never said answers 404, which
/// its HTTP client logs as ERROR lines on a healthy bot. After its first
/// start the bot's account says it keeps no backup, as Element writes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bots_account_says_it_keeps_no_key_backup_after_its_first_start() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_h, bot) = setup(&ollama, Options::default()).await;
    let http = reqwest::Client::new();
    for (event_type, said) in [
        ("m.secret_storage.default_key", json!({})),
        ("m.key_backup", json!({"enabled": false})),
        (
            "m.org.matrix.custom.backup_disabled",
            json!({"disabled": true}),
        ),
    ] {
        let response = http
            .get(format!(
                "{}/_matrix/client/v3/user/{}/account_data/{event_type}",
                crate::synapse::url(),
                bot.user
            ))
            .bearer_auth(bot.token())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{event_type}");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            said,
            "{event_type}"
        );
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_strict_rate_limit_every_edit_lands_in_order() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let answer = numbered_words("s", 80);
    ollama.then(Script::answer(&answer).every(Duration::from_millis(50)));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    // Synapse's per-user override, as its admin sets it: 1 message a second,
    // a burst of 3, for the bot alone.
    let (_, root_token, _) = register(&unique("root"), "password", true).await;
    let set = crate::synapse::admin(
        reqwest::Method::POST,
        &format!("/_synapse/admin/v1/users/{}/override_ratelimit", bot.user),
        &root_token,
        json!({"messages_per_second": 1, "burst_count": 3}),
    )
    .await;
    assert_eq!(set["messages_per_second"], 1, "{set}");
    ana.mention(&room, &bot.user, "slowly").await;
    wait_for_text(&ana, &room, &bot.user, &answer).await;
    let seen = ana.seen();
    let placeholder = seen
        .iter()
        .find(|s| s.sender == bot.user && s.replaces.is_none())
        .unwrap();
    let edits: Vec<String> = seen
        .iter()
        .filter(|s| s.replaces.as_ref() == Some(&placeholder.event))
        .map(|s| {
            s.body
                .trim_end_matches(pstral_chat::STREAMING_CURSOR)
                .to_owned()
        })
        .collect();
    assert_eq!(
        edits.last().unwrap(),
        &answer,
        "the last edit is the answer"
    );
    // Every edit is a longer prefix of the answer than the one before: none
    // came out of order, none carried an older text.
    assert!(
        edits.iter().all(|e| answer.starts_with(e.as_str())),
        "{edits:?}"
    );
    let lengths: Vec<usize> = edits.iter().map(String::len).collect();
    assert!(
        lengths.windows(2).all(|w| w[0] < w[1]),
        "in order: {lengths:?}"
    );
    eprintln!(
        "matrix: under 1 message/s (burst 3), {} edits landed in order",
        edits.len()
    );
    bot.handled(1).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_restarted_mid_conversation_keeps_the_history_and_answers_nothing_twice() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("The first answer."));
    ollama.then(Script::answer("The second answer."));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    ana.mention(&room, &bot.user, "first question").await;
    wait_for_text(&ana, &room, &bot.user, "The first answer.").await;
    bot.handled(1).await;
    let first = ana.messages_from(&room, &bot.user)[0].0.clone();

    let (user, password, store) = bot.stop().await;
    // Asked while the bot was away, as a reply to its answer.
    ana.reply(&room, &first, &user, "second question").await;
    let bot = Bot::start(&h, user, password, store).await;
    wait_for_text(&ana, &room, &bot.user, "The second answer.").await;
    bot.handled(1).await;
    assert_eq!(
        ollama.questions(),
        vec!["first question", "second question"],
        "each question answered once"
    );
    let last = ollama.requests().last().unwrap().clone();
    assert!(last["messages"].to_string().contains("The first answer."));
    assert_eq!(from_bot(&ana, &room, &bot.user).len(), 2);
    bot.stop().await;
}

/// A fresh invite code for the viewer carl, made by the CLI for `account`.
pub(crate) async fn carl_code(h: &Harness, account: &str) -> String {
    h.directory
        .create_invite("carl", &account.parse().unwrap(), Actor::cli())
        .await
        .unwrap()
        .code
}

/// A room `ana` makes with `bot` invited, without waiting for it to join.
async fn room_inviting(ana: &Human, bot: &OwnedUserId) -> matrix_sdk::Room {
    use matrix_sdk::ruma::api::client::room::create_room::v3::{Request, RoomPreset};
    let mut request = Request::new();
    request.invite = vec![bot.clone()];
    request.preset = Some(RoomPreset::PrivateChat);
    ana.client.create_room(request).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_past_the_cap_on_rooms_are_declined_live_and_at_start() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let h = Harness::new(&[ollama.url()], Options::default()).await;
    let (user, password) = Bot::register().await;
    let bot = Bot::start_with_cap(&h, user, password, tempfile::tempdir().unwrap(), (2, 2)).await;
    let ana = Human::register(&unique("ana")).await;
    ana.room_with(&bot.user, false).await;
    ana.room_with(&bot.user, false).await;
    let third = room_inviting(&ana, &bot.user).await;
    ana.wait_for_leave(&third, &bot.user).await;
    // An invite that waited while the bot was away is weighed the same.
    let (user, password, store) = bot.stop().await;
    let fourth = room_inviting(&ana, &user).await;
    let bot = Bot::start_with_cap(&h, user, password, store, (2, 2)).await;
    ana.wait_for_leave(&fourth, &bot.user).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_cannot_fill_the_bots_rooms_and_is_told_why_their_invite_is_declined() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let h = Harness::new(&[ollama.url()], Options::default()).await;
    let (user, password) = Bot::register().await;
    let bot = Bot::start_with_cap(&h, user, password, tempfile::tempdir().unwrap(), (5, 2)).await;
    let mallory = Human::register(&unique("mallory")).await;
    mallory.room_with(&bot.user, false).await;
    mallory.room_with(&bot.user, false).await;
    let third = room_inviting(&mallory, &bot.user).await;
    mallory.wait_for_leave(&third, &bot.user).await;
    let reason = mallory
        .leave_reason(&third, &bot.user)
        .expect("the decline says why");
    assert!(reason.contains("2 rooms"), "{reason}");
    // Still counted after a restart; a newcomer's DM is joined all the same.
    let (user, password, store) = bot.stop().await;
    let bot = Bot::start_with_cap(&h, user, password, store, (5, 2)).await;
    let fourth = room_inviting(&mallory, &bot.user).await;
    mallory.wait_for_leave(&fourth, &bot.user).await;
    let newcomer = Human::register(&unique("newcomer")).await;
    newcomer.dm_with(&bot.user).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_that_can_no_longer_be_joined_is_declined_not_kept() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let (user, password, store) = bot.stop().await;
    // While the bot is away, ana invites it and leaves: nobody is left in
    // the room, and the server can no longer join anyone to it.
    let ana = Human::register(&unique("ana")).await;
    let dead = room_inviting(&ana, &user).await;
    dead.leave().await.unwrap();
    // Another device of the bot's account sees its invites as the server
    // keeps them.
    let observer = matrix_sdk::Client::builder()
        .homeserver_url(crate::synapse::url())
        .build()
        .await
        .unwrap();
    observer
        .matrix_auth()
        .login_username(&user, &password)
        .send()
        .await
        .unwrap();
    let sync = matrix_sdk::config::SyncSettings::default().timeout(Duration::from_secs(10));
    observer.sync_once(sync.clone()).await.unwrap();
    let invited = |c: &matrix_sdk::Client| {
        c.get_room(dead.room_id())
            .is_some_and(|r| r.state() == matrix_sdk::RoomState::Invited)
    };
    assert!(invited(&observer), "the invite waits for the bot");
    let bot = Bot::start(&h, user, password, store).await;
    tokio::time::timeout(Duration::from_secs(90), async {
        while invited(&observer) {
            observer.sync_once(sync.clone()).await.unwrap();
        }
    })
    .await
    .expect("the bot declines an invite the server keeps refusing");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_homeserver_down_at_start_is_waited_for_and_one_that_refuses_the_bot_stops_it() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let h = Harness::new(&[ollama.url()], Options::default()).await;
    let (user, password) = Bot::register().await;
    // A port where nothing listens yet: the homeserver is down.
    let port = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap().port()
    };
    let store = tempfile::tempdir().unwrap();
    let config = |password: String| MatrixConfig {
        homeserver: format!("http://127.0.0.1:{port}"),
        user: user.to_string(),
        credentials: Credentials::Password(password),
        store_dir: store.path().join("matrix"),
        store_passphrase: "test-store-passphrase".to_owned(),
        invites_from: Vec::new(),
        max_rooms: 500,
        max_rooms_per_inviter: 500,
        edit_allowance: LIFTED,
        labels: std::sync::Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
    };
    let handler: Arc<dyn EventHandler> = Arc::new(Counting::new(h.bot.clone()).0);
    let (state_tx, mut state) = tokio::sync::watch::channel(ConnectionState::Connecting);
    let stop = CancellationToken::new();
    let served = tokio::spawn(Box::new(Matrix::new(config(password.clone()))).serve(
        handler.clone(),
        state_tx,
        stop.clone(),
    ));
    let waiting = tokio::time::timeout(
        Duration::from_secs(30),
        state.wait_for(|s| matches!(s, ConnectionState::Reconnecting(_))),
    )
    .await
    .expect("the connector says it is trying again")
    .unwrap()
    .clone();
    assert!(
        matches!(&waiting, ConnectionState::Reconnecting(why) if why.contains("cannot be reached")),
        "{waiting:?}"
    );
    // The homeserver comes up (a forwarder to Synapse on that port): the
    // bot connects without being restarted.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let synapse = crate::synapse::url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let synapse = synapse.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&synapse).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    tokio::time::timeout(
        Duration::from_secs(120),
        state.wait_for(|s| *s == ConnectionState::Connected),
    )
    .await
    .expect("the bot connects once the homeserver is up")
    .unwrap();
    stop.cancel();
    served.await.unwrap().unwrap();

    // A wrong password is not a homeserver down: the connector stops and
    // says why.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut wrong = config("not-the-password".to_owned());
    wrong.store_dir = elsewhere.path().join("matrix");
    let (state_tx, state) = tokio::sync::watch::channel(ConnectionState::Connecting);
    let refused = tokio::time::timeout(
        Duration::from_secs(60),
        Box::new(Matrix::new(wrong)).serve(handler, state_tx, CancellationToken::new()),
    )
    .await
    .expect("a refused login ends the connector");
    let error = refused
        .expect_err("a wrong password is an error")
        .to_string();
    assert!(error.contains("cannot log in to Matrix"), "{error}");
    assert!(matches!(&*state.borrow(), ConnectionState::Stopped(_)));
}

/// The bot on the demo CRM, and ana (linked, an executor) in a room with
/// it.
async fn demo_room(
    ollama: &FakeModel,
) -> (crate::execute::Demo, Harness, Bot, Human, matrix_sdk::Room) {
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    (demo, h, bot, ana, room)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_images_from_the_model_or_a_statement_are_shown_as_text() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, _h, bot, ana, room) = demo_room(&ollama).await;
    ollama.then(Script::answer(
        "Voici ![i](mxc://evil/x) et [la doc](http://127.0.0.1:9/evil) :\n```sql\nSELECT company FROM clients ORDER BY company\n```",
    ));
    ana.mention(&room, &bot.user, "les clients").await;
    bot.handled(1).await;
    ollama.then(Script::answer(
        "```sql\nSELECT \"x [y](http://127.0.0.1:9/evil)\" FROM clients\n```",
    ));
    // The refusal asks the model once more; it answers with the same.
    ollama.then(Script::answer(
        "```sql\nSELECT \"x [y](http://127.0.0.1:9/evil)\" FROM clients\n```",
    ));
    ana.mention(&room, &bot.user, "la colonne").await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("the refusal that quotes the name", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("will not be run") && t.contains("[y](http://127.0.0.1:9/evil)"))
    })
    .await;
    bot.handled(2).await;
    let seen: Vec<_> = ana
        .seen()
        .into_iter()
        .filter(|s| s.room == room_id && s.sender == bot_user)
        .collect();
    assert!(
        seen.iter().any(|s| s.body.contains("![i](mxc://evil/x)")),
        "the image is said as written: {seen:#?}"
    );
    for s in &seen {
        if let Some(html) = &s.formatted {
            assert!(
                !html.contains("<a") && !html.contains("<img"),
                "no link or image in the bot's voice: {html}"
            );
        }
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_leaves_a_room_everyone_else_left() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let room = ana.room_with(&bot.user, false).await;
    let room_id = room.room_id().to_string();
    ana.leave(&room).await;
    let joined = || async {
        let rooms: serde_json::Value = reqwest::Client::new()
            .get(format!(
                "{}/_matrix/client/v3/joined_rooms",
                crate::synapse::url()
            ))
            .bearer_auth(bot.token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rooms["joined_rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == &serde_json::Value::String(room_id.clone()))
    };
    // The bot's leave is its own event in a room no one else watches:
    // asked of the homeserver until it is there.
    let left = tokio::time::timeout(Duration::from_secs(60), async {
        while joined().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(left.is_ok(), "the bot is still in a room everyone left");
    bot.stop().await;
}
