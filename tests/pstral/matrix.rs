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

const SQL_ANSWER: &str =
    "Voici :\n```sql\nSELECT company, city FROM clients WHERE city = 'Lyon' ORDER BY company\n```";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_by_reaction_returns_the_table_and_files_and_a_viewer_runs_nothing() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(SQL_ANSWER));
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &carl, "carl", None).await;
    let dm = ana.dm_with(&bot.user).await;
    ana.say(&dm, "clients à Lyon").await;
    let room_id = dm.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("the offer to run the query", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    let answer = ana
        .messages_from(&dm, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT company"))
        .unwrap()
        .0;
    bot.handled(1).await;

    // carl, a viewer, reacts in a room the three of them share.
    let room = ana.room_with(&bot.user, false).await;
    let carl_room = ana.invite(&room, &carl).await;
    ollama.then(Script::answer(SQL_ANSWER));
    ana.mention(&room, &bot.user, "clients à Lyon, ici").await;
    let room_id = room.room_id().to_owned();
    ana.wait_for("the offer in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    bot.handled(2).await;
    let in_room = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT company"))
        .unwrap()
        .0;
    carl.react(&carl_room, &in_room, "▶️").await;
    carl.wait_for("a polite note", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("needs the executor role"))
    })
    .await;
    assert!(
        h.audited("execute_requested").await.is_empty(),
        "nothing ran"
    );

    // ana may run it: in the encrypted DM, the table and both files arrive.
    ana.react(&dm, &answer, "▶️").await;
    ana.wait_for("the result files", |seen| {
        seen.iter()
            .filter(|s| s.room == dm.room_id() && s.sender == bot_user && s.file.is_some())
            .count()
            == 2
    })
    .await;
    let files = ana.files_from(&dm, &bot.user);
    let csv = files.iter().find(|(n, _)| n.ends_with(".csv")).unwrap();
    assert!(String::from_utf8_lossy(&csv.1).contains("Lyon"));
    assert!(files.iter().any(|(n, _)| n.ends_with(".xlsx")));
    assert!(
        from_bot(&ana, &dm, &bot.user)
            .iter()
            .any(|t| t.contains("```text") && t.contains("Lyon")),
        "the preview, monospace in the plain body"
    );
    assert!(
        ana.seen().iter().any(|s| s.sender == bot.user
            && s.formatted
                .as_deref()
                .is_some_and(|f| f.contains("<table>") && f.contains("<td>Lyon</td>"))),
        "the preview, an HTML table in the formatted body"
    );
    assert!(
        ana.seen()
            .iter()
            .filter(|s| s.room == dm.room_id() && s.sender == bot.user)
            .all(|s| s.encrypted)
    );
    bot.stop().await;
}

/// In an encrypted DM, a result that calls for a chart gets an `m.image`
/// where the table goes: encrypted, with its width, height, caption and a
/// thumbnail, and it decodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_chart_arrives_as_an_encrypted_image_with_a_thumbnail() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer(
        "Voici :\n```sql\nSELECT status AS statut, count(*) AS contrats FROM contracts \
         GROUP BY status ORDER BY contrats DESC\n```",
    ));
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let dm = ana.dm_with(&bot.user).await;
    ana.say(&dm, "contrats par statut").await;
    let (room_id, bot_user) = (dm.room_id().to_owned(), bot.user.clone());
    ana.wait_for("the offer to run the query", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    let answer = ana
        .messages_from(&dm, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT status"))
        .unwrap()
        .0;
    bot.handled(1).await;
    ana.react(&dm, &answer, "▶️").await;
    ana.wait_for("the chart", |seen| {
        seen.iter()
            .any(|s| s.room == room_id && s.sender == bot_user && s.image.is_some())
    })
    .await;
    let seen = ana
        .seen()
        .into_iter()
        .find(|s| s.room == room_id && s.sender == bot_user && s.image.is_some())
        .unwrap();
    assert!(seen.encrypted, "sent encrypted in an encrypted room");
    let image = seen.image.unwrap();
    let (name, bytes) = seen.file.expect("the image downloaded and decrypted");
    assert!(name.ends_with(".png"), "{name}");
    let (width, height, _) = crate::charts::decoded(&bytes);
    assert_eq!(
        (image.width, image.height),
        (Some(width.into()), Some(height.into()))
    );
    assert!(
        image.caption.starts_with("Bar chart of contrats by statut"),
        "{}",
        image.caption
    );
    let thumbnail = image
        .thumbnail
        .expect("a thumbnail, downloaded and decrypted");
    assert_eq!(crate::charts::decoded(&thumbnail).0, width / 2);
    bot.stop().await;
}

/// sales may not read the clients' revenue; carl, in sales, joins the room
/// after ana asked: her result goes to her alone, and the room reads only
/// where it went and why.
/// Waits until `person` has the revenue's rows from `bot` in a room other
/// than `room`: privately.
async fn rows_privately(person: &Human, room: &matrix_sdk::ruma::RoomId, bot: &OwnedUserId) {
    person
        .wait_for("the rows, privately", |seen| {
            seen.iter().any(|s| {
                s.sender == *bot
                    && s.room != room
                    && s.body.contains("visible to you only")
                    && s.body.contains("annual_revenue")
            })
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_a_room_member_may_not_read_goes_privately_to_the_clicker() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let demo = crate::access::demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &carl, "carl", None).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    // Asked where ana and the bot read; carl (sales) is invited before the
    // click: the room that gained a member does not get the rows.
    let room = ana.room_with(&bot.user, false).await;
    ollama.then(Script::answer(
        "```sql\nSELECT company, annual_revenue FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    ana.mention(
        &room,
        &bot.user,
        "le chiffre d'affaires des clients de Lyon",
    )
    .await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("the offer in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("Query 1 can be run"))
    })
    .await;
    bot.handled(1).await;
    let answer = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t.contains("SELECT company"))
        .unwrap()
        .0;
    let _carl_room = ana.invite(&room, &carl).await;
    ana.react(&room, &answer, "▶️").await;
    rows_privately(&ana, &room_id, &bot_user).await;
    ana.wait_for("where they went, in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("were sent privately") && t.contains("clients.annual_revenue"))
    })
    .await;
    let in_room = from_bot(&ana, &room, &bot.user);
    assert!(
        in_room.iter().all(|t| !t.contains("```text")),
        "no rows in the room: {in_room:#?}"
    );
    assert!(
        ana.seen()
            .iter()
            .filter(|s| s.room == room_id && s.sender == bot_user)
            .all(|s| s.file.is_none()),
        "no file in the room"
    );
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[0]["redirected"]["rule"], "clients.annual_revenue");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_code_said_in_a_room_stays_its_owners_and_the_link_is_made_in_a_dm() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let eve = Human::register(&unique("eve")).await;
    let mallory = Human::register(&unique("mallory")).await;
    let directory = &h.directory;
    directory
        .add_user("eve", Role::Admin, Actor::cli())
        .await
        .unwrap();
    let eve_id = format!("matrix:{}", eve.user).parse().unwrap();
    let code = directory
        .create_invite("eve", &eve_id, Actor::cli())
        .await
        .unwrap()
        .code;
    // eve types her admin invite in a room she shares with mallory.
    let room = eve.room_with(&bot.user, false).await;
    let mallory_room = eve.invite(&room, &mallory).await;
    eve.say(&room, &format!("!link {code}")).await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    eve.wait_for("the answer in the room", |seen| {
        seen.iter()
            .any(|s| s.room == room_id && s.sender == bot_user && s.body.contains("direct message"))
    })
    .await;
    bot.handled(1).await;

    // mallory read it and sends it to the bot in a DM, as written and
    // loosely, more often than attempts allow: it does nothing for her.
    let dm = mallory.dm_with(&bot.user).await;
    let forms = [
        format!("!link {code}"),
        format!("link {}", code.to_lowercase()),
        code.replace('-', " "),
        format!("!link {code}"),
        format!("!link {code}"),
        format!("!link {code}"),
    ];
    for (n, form) in forms.iter().enumerate() {
        mallory.say(&dm, form).await;
        bot.handled(2 + n).await;
    }
    let mallory_id = format!("matrix:{}", mallory.user).parse().unwrap();
    assert!(directory.user_of(&mallory_id).await.unwrap().is_none());
    drop(mallory_room);

    // The same code, from eve, in a DM: neither said in the room nor tried
    // by mallory spoilt it.
    let eve_dm = eve.dm_with(&bot.user).await;
    eve.say(&eve_dm, &format!("link {code}")).await;
    eve.wait_for("linked", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("now linked to eve"))
    })
    .await;
    let refused = h.audited("access_refused").await;
    assert!(
        refused
            .iter()
            .any(|r| r["reason"] == "invite_for_another_account"),
        "{refused:#?}"
    );
    assert!(
        !serde_json::to_string(&refused).unwrap().contains(&code),
        "the code itself is never audited"
    );
    assert!(
        ollama.requests().is_empty(),
        "no code ever reached the model"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_asks_to_be_linked_by_name_and_an_admin_approves_in_the_chat() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("Welcome, Fay."));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let dana = Human::register(&unique("dana")).await;
    let fay = Human::register(&unique("fay")).await;
    link(&h, &dana, "dana", Some(Role::Admin)).await;
    h.directory
        .add_user("fay", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let bot_user = bot.user.clone();
    // fay, unknown to the bot, asks in a DM; nothing is linked yet.
    let fay_dm = fay.dm_with(&bot.user).await;
    fay.say(&fay_dm, "!link fay").await;
    fay.wait_for("the request recorded", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("request is recorded"))
    })
    .await;
    let fay_id: pstral_chat::PlatformIdentity = format!("matrix:{}", fay.user).parse().unwrap();
    assert!(h.directory.user_of(&fay_id).await.unwrap().is_none());
    // dana lists the requests and approves fay's, in her DM with the bot.
    let dana_dm = dana.dm_with(&bot.user).await;
    dana.say(&dana_dm, "!requests").await;
    let account = fay_id.to_string();
    dana.wait_for("the request listed", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains(&account) && s.body.contains("fay"))
    })
    .await;
    dana.say(&dana_dm, &format!("!requests approve {account} fay"))
        .await;
    dana.wait_for("the approval", |seen| {
        seen.iter()
            .any(|s| s.sender == bot_user && s.body.contains("is now linked to fay"))
    })
    .await;
    assert_eq!(
        h.directory.user_of(&fay_id).await.unwrap().unwrap().name,
        "fay"
    );
    // fay is answered now.
    fay.say(&fay_dm, "hello?").await;
    let fay_dm_id = fay_dm.room_id().to_owned();
    fay.wait_for("an answer", |seen| {
        latest_texts(seen, &fay_dm_id, &bot_user)
            .iter()
            .any(|t| t == "Welcome, Fay.")
    })
    .await;
    let requests = h.audited("link_request").await;
    assert!(
        requests
            .iter()
            .any(|r| r["action"] == "asked" && r["user"] == "fay")
    );
    let linked = h.audited("identity_linked").await;
    assert!(
        linked
            .iter()
            .any(|r| r["via"] == "request" && r["user"] == "fay"),
        "{linked:#?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_who_never_answers_gets_one_dm_however_often_they_knock() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let stranger = Human::register(&unique("stranger")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let stranger_room = ana.invite(&room, &stranger).await;
    stranger.ignore_invites();
    // An admin's command, answered to the one who typed it, privately.
    for _ in 0..3 {
        stranger.say(&stranger_room, "!requests").await;
    }
    bot.handled(3).await;
    stranger
        .wait_for("an invitation to a DM", |_| {
            !stranger.client.invited_rooms().is_empty()
        })
        .await;
    let invited: Vec<_> = stranger.client.invited_rooms();
    assert_eq!(invited.len(), 1, "one pending DM, reused");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_what_names_the_bot_in_this_room_is_for_the_bot() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("first"));
    ollama.then(Script::answer("second"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    let room_a = ana.room_with(&bot.user, false).await;
    let room_b = ana.room_with(&bot.user, false).await;
    let _bob_room = ana.invite(&room_b, &bob).await;
    ana.mention(&room_a, &bot.user, "question one").await;
    let bot_user = bot.user.clone();
    let a_id = room_a.room_id().to_owned();
    ana.wait_for("the first answer", |seen| {
        latest_texts(seen, &a_id, &bot_user)
            .iter()
            .any(|t| t == "first")
    })
    .await;
    bot.handled(1).await;
    let answer = ana
        .messages_from(&room_a, &bot.user)
        .into_iter()
        .find(|(_, t)| t == "first")
        .unwrap()
        .0;
    // The bot's name in the text, but m.mentions names bob: for bob.
    ana.say_mentioning(
        &room_b,
        &bob.user,
        &format!("{} and bob, look at this", bot.user.localpart()),
    )
    .await;
    // A reply, in room B, to the bot's message of room A.
    ana.reply(&room_b, &answer, &bot.user, "and this?").await;
    // Then a real mention, which is answered.
    ana.mention(&room_b, &bot.user, "question two").await;
    let b_id = room_b.room_id().to_owned();
    ana.wait_for("the second answer", |seen| {
        latest_texts(seen, &b_id, &bot_user)
            .iter()
            .any(|t| t == "second")
    })
    .await;
    assert_eq!(
        ollama.questions(),
        ["question one", "question two"],
        "neither the other person's mention nor the reply from another room reached the bot"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_someone_else_flagged_as_a_dm_and_opened_is_not_private() {
    use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
    use matrix_sdk::ruma::events::room::history_visibility::{
        HistoryVisibility, RoomHistoryVisibilityEventContent,
    };
    let ollama = FakeModel::start(&[MODEL]).await;
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    link(&h, &ana, "root", Some(Role::Admin)).await;
    // Mallory makes a "DM" with ana and the bot, opens its history to the
    // world, and leaves: the bot and ana are alone in it.
    let mut request = CreateRoom::new();
    request.invite = vec![ana.user.clone(), bot.user.clone()];
    request.is_direct = true;
    request.preset = Some(RoomPreset::TrustedPrivateChat);
    let trap = mallory.client.create_room(request).await.unwrap();
    mallory.wait_for_join(&trap, &bot.user).await;
    mallory.wait_for_join(&trap, &ana.user).await;
    trap.send_state_event(RoomHistoryVisibilityEventContent::new(
        HistoryVisibility::WorldReadable,
    ))
    .await
    .unwrap();
    trap.leave().await.unwrap();
    let trap_id = trap.room_id().to_owned();
    let ana_trap = ana.client.get_room(&trap_id).unwrap();
    ana.wait_until("mallory left", |r| {
        r.joined
            .get(&trap_id)
            .is_some_and(|j| !j.contains(&mallory.user))
    })
    .await;
    // ana asks for the audit there: the answer goes to a room the bot
    // made, never into the trap.
    ana.say(&ana_trap, "!audit").await;
    bot.handled(1).await;
    let bot_user = bot.user.clone();
    ana.wait_for("the audit, in the bot's own DM", |seen| {
        seen.iter()
            .any(|s| s.room != trap_id && s.sender == bot_user && s.body.contains("user_changed"))
    })
    .await;
    assert!(
        !from_bot(&ana, &ana_trap, &bot.user)
            .iter()
            .any(|t| t.contains("user_changed")),
        "no audit line in the room mallory opened"
    );
    let dm = ana
        .seen()
        .into_iter()
        .find(|s| s.sender == bot.user && s.body.contains("user_changed"))
        .unwrap()
        .room;
    let dm = ana.client.get_room(&dm).unwrap();
    assert_eq!(dm.creators().unwrap()[0], bot.user, "made by the bot");
    assert!(dm.encryption_state().is_encrypted());
    assert_ne!(
        dm.history_visibility_or_default(),
        HistoryVisibility::WorldReadable
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_said_before_the_bot_joined_is_not_answered() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("after"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let bob = Human::register(&unique("bob")).await;
    link(&h, &ana, "ana", None).await;
    // ana and bob talk, naming the bot, before it is in the room.
    let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
    request.preset =
        Some(matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset::PrivateChat);
    let room = ana.client.create_room(request).await.unwrap();
    let _bob_room = ana.invite(&room, &bob).await;
    ana.say_mentioning(&room, &bot.user, "before: what did bob say?")
        .await;
    room.invite_user_by_id(&bot.user).await.unwrap();
    ana.wait_for_join(&room, &bot.user).await;
    ana.mention(&room, &bot.user, "after").await;
    let bot_user = bot.user.clone();
    let room_id = room.room_id().to_owned();
    ana.wait_for("the answer to the question asked after", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t == "after")
    })
    .await;
    bot.handled(1).await;
    assert_eq!(ollama.questions(), ["after"]);
    let questions = h.audited("question").await;
    assert_eq!(questions.len(), 1, "{questions:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_encrypted_events_get_one_note_per_sender_not_one_each() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    let mallory = Human::register(&unique("mallory")).await;
    let room = ana.room_with(&bot.user, false).await;
    let mallory_room = ana.invite(&room, &mallory).await;
    let forged = json!({
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg",
        "device_id": "FORGED",
        "sender_key": "IlRMeOPX2e0MurIyfWEucYBRVOEEUMrOHqn/8mLqMjA",
        "session_id": "X3lUlvLELLYxeTx4yOVu6UDpasGEVO0Jbu+QFnm0cKQ"
    });
    for _ in 0..3 {
        mallory_room
            .send_raw("m.room.encrypted", forged.clone())
            .await
            .unwrap();
    }
    let bot_user = bot.user.clone();
    let notes = |seen: &[Seen]| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.body.contains("could not read this message"))
            .count()
    };
    ana.wait_for("a note about mallory's first", |seen| notes(seen) >= 1)
        .await;
    // Another sender after them: a note of their own, which comes after
    // mallory's other two were weighed.
    room.send_raw("m.room.encrypted", forged.clone())
        .await
        .unwrap();
    ana.wait_for("a note about ana's", |seen| notes(seen) >= 2)
        .await;
    assert_eq!(
        notes(&ana.seen()),
        2,
        "one note per sender, not one per event"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_its_author_redacted_is_never_exported_nor_sent_again() {
    let ollama = FakeModel::start(&[MODEL]).await;
    ollama.then(Script::answer("first answer"));
    ollama.then(Script::answer("second answer"));
    let (h, bot) = setup(&ollama, Options::default()).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    let asked = ana
        .mention(&room, &bot.user, "SECRET-42: what is carl's salary?")
        .await;
    wait_for_text(&ana, &room, &bot.user, "first answer").await;
    bot.handled(1).await;
    let first = ana
        .messages_from(&room, &bot.user)
        .into_iter()
        .find(|(_, t)| t == "first answer")
        .unwrap()
        .0;
    room.redact(&asked, Some("sent by mistake"), None)
        .await
        .unwrap();
    bot.handled(2).await;
    // A reply in the same conversation, after the redaction: the redacted
    // question is not in what the model is sent.
    ana.reply(&room, &first, &bot.user, "and the average?")
        .await;
    wait_for_text(&ana, &room, &bot.user, "second answer").await;
    bot.handled(3).await;
    let last = ollama.requests().last().unwrap().to_string();
    assert!(!last.contains("SECRET-42"), "{last}");
    ana.say(&room, "!export").await;
    bot.handled(4).await;
    ana.wait_for("the export", |seen| seen.iter().any(|s| s.file.is_some()))
        .await;
    let files = ana.files_from(&room, &bot.user);
    let (_, bytes) = files.last().unwrap();
    let exported = String::from_utf8_lossy(bytes);
    assert!(exported.contains("and the average?"), "{exported}");
    assert!(!exported.contains("SECRET-42"), "{exported}");
    bot.stop().await;
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

/// The demo CRM hiding the clients' revenue from sales, its runs held by a
/// gate; ana and carl linked, carl in sales.
async fn gated_revenue(
    ollama: &FakeModel,
) -> (
    crate::execute::Demo,
    Arc<crate::access::Gated>,
    Harness,
    Bot,
    Human,
    Human,
) {
    let mut demo = crate::access::demo_hiding(&[("sales", &["clients.annual_revenue"])]).await;
    let gate = crate::access::Gated::around(demo.executor().await);
    demo.runtime.executor = pstral_core::sql_target::Account::new(gate.clone());
    let options = Options {
        sql: Some(demo.runtime.clone()),
        ..Options::default()
    };
    let (h, bot) = setup(ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    let carl = Human::register(&unique("carl")).await;
    link(&h, &ana, "ana", None).await;
    link(&h, &carl, "carl", None).await;
    h.directory
        .set_group("carl", "sales", true, Actor::cli())
        .await
        .unwrap();
    (demo, gate, h, bot, ana, carl)
}

/// Asks for Lyon's revenue in `room`, waits for the offer and returns its
/// event.
async fn offer_revenue(
    ollama: &FakeModel,
    ana: &Human,
    room: &matrix_sdk::Room,
    bot: &Bot,
    handled: usize,
) -> matrix_sdk::ruma::OwnedEventId {
    ollama.then(Script::answer(
        "```sql\nSELECT company, annual_revenue FROM clients WHERE city = 'Lyon' ORDER BY company\n```",
    ));
    ana.mention(room, &bot.user, "le chiffre d'affaires des clients de Lyon")
        .await;
    bot.handled(handled).await;
    ana.messages_from(room, &bot.user)
        .into_iter()
        .rev()
        .find(|(_, t)| t.contains("SELECT company, annual_revenue"))
        .expect("the offer")
        .0
}

/// Nothing of the result in `room` as `person` sees it: no rows, no file,
/// no chart (whose description quotes values).
fn nothing_of_the_result(person: &Human, room: &matrix_sdk::Room, bot: &OwnedUserId) {
    let room_id = room.room_id().to_owned();
    let seen: Vec<_> = person
        .seen()
        .into_iter()
        .filter(|s| s.room == room_id && s.sender == *bot)
        .collect();
    assert!(
        seen.iter()
            .all(|s| !s.body.contains("```text") && s.file.is_none() && s.image.is_none()),
        "{seen:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_reader_who_joins_while_the_query_runs_gets_nothing_of_its_result() {
    use matrix_sdk::ruma::events::room::history_visibility::HistoryVisibility;
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, gate, h, bot, ana, carl) = gated_revenue(&ollama).await;
    // History from one's join on: only who is in the room when the rows
    // are posted reads them.
    let room = ana.room_with(&bot.user, false).await;
    ana.set_history(&room, HistoryVisibility::Joined).await;
    let offer = offer_revenue(&ollama, &ana, &room, &bot, 1).await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    // Run once with ana alone: the rows are posted in the room, each part
    // just after its readers were read, and the audit says how long before
    // the homeserver took it (the window in which a join goes unseen).
    ana.say(&room, "!run 1").await;
    gate.started(1).await;
    gate.release();
    ana.wait_for("the rows in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("```text"))
    })
    .await;
    let posted = h.audited_at_least("result_posted", 1).await;
    let windows: Vec<&serde_json::Value> = posted[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["read_ms"])
        .collect();
    assert!(windows.iter().all(|w| w.is_u64()), "{:#}", posted[0]);
    eprintln!("Synapse: readers read this many ms before each part was taken: {windows:?}");
    ana.wait_for("the first run's files in the room", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.room == room_id)
            .filter_map(|s| s.file.as_ref())
            .any(|(name, _)| name.ends_with(".xlsx"))
    })
    .await;
    let files_before = ana.files_from(&room, &bot.user).len();
    // Again: everyone in the room may read the revenue at the click; carl
    // (sales) is invited and joins while the query runs.
    ana.react(&room, &offer, "▶️").await;
    gate.started(2).await;
    let carls = ana.invite(&room, &carl).await;
    gate.release();
    rows_privately(&ana, &room_id, &bot_user).await;
    ana.wait_for("the files, privately", |seen| {
        seen.iter()
            .filter(|s| s.sender == bot_user && s.room != room_id)
            .filter_map(|s| s.file.as_ref())
            .any(|(name, _)| name.ends_with(".xlsx"))
    })
    .await;
    ana.wait_for("where they went, in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("were sent privately") && t.contains("clients.annual_revenue"))
    })
    .await;
    h.audited_at_least("result_posted", 2).await;
    // Nothing more of it in the room than the first run's, and nothing
    // carl can read.
    assert_eq!(ana.files_from(&room, &bot.user).len(), files_before);
    let tables = from_bot(&ana, &room, &bot.user)
        .into_iter()
        .filter(|t| t.contains("```text"))
        .count();
    assert_eq!(tables, 1, "only the first run's rows in the room");
    nothing_of_the_result(&carl, &carls, &bot.user);
    let requested = h.audited("execute_requested").await;
    assert_eq!(requested[1]["private"], false, "{:#}", requested[1]);
    let posted = h.audited("result_posted").await;
    assert_eq!(posted[1]["redirected"]["rule"], "clients.annual_revenue");
    assert_eq!(posted[1]["redirected"]["at"], "preview");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_whose_history_newcomers_read_gets_no_hidden_column_even_when_all_may_read_it() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, gate, h, bot, ana, carl) = gated_revenue(&ollama).await;
    gate.release();
    // A private_chat room: its history is `shared`, read back by whoever
    // is invited later. Only ana and the bot are in it.
    let room = ana.room_with(&bot.user, false).await;
    let offer = offer_revenue(&ollama, &ana, &room, &bot, 1).await;
    ana.react(&room, &offer, "▶️").await;
    let room_id = room.room_id().to_owned();
    let bot_user = bot.user.clone();
    ana.wait_for("where they went, in the room", |seen| {
        latest_texts(seen, &room_id, &bot_user)
            .iter()
            .any(|t| t.contains("were sent privately") && t.contains("let in later"))
    })
    .await;
    bot.handled(2).await;
    let requested = h.audited("execute_requested").await;
    assert_eq!(
        requested[0]["redirected"]["later"], true,
        "{:#}",
        requested[0]
    );
    // carl, invited afterwards, reads the whole history: none of it.
    let carls = ana.invite(&room, &carl).await;
    let mut options = matrix_sdk::room::MessagesOptions::backward();
    options.limit = 100u32.into();
    let history = carls.messages(options).await.unwrap();
    let bodies: Vec<String> = history
        .chunk
        .iter()
        .filter_map(|e| {
            e.raw()
                .get_field::<serde_json::Value>("content")
                .ok()
                .flatten()
        })
        .map(|c| c.to_string())
        .collect();
    assert!(
        bodies.iter().any(|b| b.contains("were sent privately")),
        "carl reads the room's history: {bodies:#?}"
    );
    assert!(
        bodies
            .iter()
            .all(|b| !b.contains("```text") && !b.contains("m.file") && !b.contains("m.image")),
        "{bodies:#?}"
    );
    bot.stop().await;
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

/// Replies `text` to the bot's message in `room` that contains `to`, and
/// waits until one of the bot's messages there is `answered`.
async fn reply_to_bot(
    person: &Human,
    room: &matrix_sdk::Room,
    bot: &OwnedUserId,
    (to, text): (&str, &str),
    answered: impl Fn(&str) -> bool,
) {
    let message = person
        .messages_from(room, bot)
        .into_iter()
        .find(|(_, t)| t.contains(to))
        .unwrap_or_else(|| panic!("no message of the bot holds {to:?}"))
        .0;
    person.reply(room, &message, bot, text).await;
    let room_id = room.room_id().to_owned();
    person
        .wait_for(&format!("the answer to {text:?}"), |seen| {
            latest_texts(seen, &room_id, bot)
                .iter()
                .any(|t| answered(t))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sent_as_a_reply_to_an_older_offer_runs_that_offer() {
    let ollama = FakeModel::start(&[MODEL]).await;
    let (_demo, _h, bot, ana, room) = demo_room(&ollama).await;
    for (n, city) in ["Lyon", "Nantes"].into_iter().enumerate() {
        ollama.then(Script::answer(&format!(
            "```sql\nSELECT DISTINCT city FROM clients WHERE city = '{city}'\n```"
        )));
        ana.mention(&room, &bot.user, &format!("les clients de {city}"))
            .await;
        bot.handled(n + 1).await;
    }
    reply_to_bot(&ana, &room, &bot.user, ("'Lyon'", "!run 1"), |t| {
        t.contains("```text") && t.contains("Lyon")
    })
    .await;
    bot.handled(3).await;
    let shown = from_bot(&ana, &room, &bot.user);
    assert!(
        shown
            .iter()
            .filter(|t| t.contains("```text"))
            .all(|t| !t.contains("Nantes")),
        "{shown:#?}"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_planned_answer_is_read_with_its_question() {
    const LYON: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
    let ollama = FakeModel::start(&[MODEL]).await;
    let demo = crate::execute::demo().await;
    let options = Options {
        sql: Some(crate::semantic::with_definitions(&demo.runtime).await),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    ollama.then(Script::answer(LYON));
    ollama.then(Script::answer(&LYON.replace("Lyon", "Paris")));
    ana.mention(
        &room,
        &bot.user,
        "Quels clients à Lyon ont des paiements en retard ?",
    )
    .await;
    bot.handled(1).await;
    reply_to_bot(
        &ana,
        &room,
        &bot.user,
        ("Lu comme : ", "et à Paris ?"),
        |t| t.contains("Lue avec la question d'avant") && t.contains("Paris"),
    )
    .await;
    let follow_up = ollama.requests()[1]["messages"].as_array().unwrap().clone();
    assert_eq!(follow_up.len(), 4, "{follow_up:#?}");
    assert!(
        follow_up[2]["content"].as_str().unwrap().contains("Lyon"),
        "the earlier plan: {follow_up:#?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_that_disagree_are_asked_back_and_a_numbered_reply_picks_one() {
    const LYON: &str = r#"{"kind": "list", "entity": "clients", "dimensions": [{"name": "client_company", "grain": "none"}], "segments": ["late_payment"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#;
    let ollama = FakeModel::start(&[MODEL]).await;
    let demo = crate::execute::demo().await;
    let runtime = crate::semantic::drawing(&demo.runtime, 2, &[pstral_core::sql::Doubt::Split]);
    let options = Options {
        sql: Some(runtime.await),
        ..Options::default()
    };
    let (h, bot) = setup(&ollama, options).await;
    let ana = Human::register(&unique("ana")).await;
    link(&h, &ana, "ana", None).await;
    let room = ana.room_with(&bot.user, false).await;
    ollama.then(Script::answer(LYON));
    ollama.then(Script::answer(&LYON.replace("Lyon", "Paris")));
    ana.mention(
        &room,
        &bot.user,
        "Quels clients à Lyon ont des paiements en retard ?",
    )
    .await;
    bot.handled(1).await;
    let room_id = room.room_id().to_owned();
    ana.wait_for("how to pick a reading", |seen| {
        latest_texts(seen, &room_id, &bot.user)
            .iter()
            .any(|t| t.contains("🤔") && t.contains("\nRépondez par son numéro"))
    })
    .await;
    let asked = from_bot(&ana, &room, &bot.user);
    let question = asked
        .iter()
        .find(|t| t.contains("🤔"))
        .unwrap_or_else(|| panic!("the bot asks back: {asked:#?}"));
    assert!(
        question.contains("1. ") && question.contains("2. ") && question.contains("Paris"),
        "{question}"
    );
    reply_to_bot(&ana, &room, &bot.user, ("🤔", "2"), |t| {
        // In the asker's language, as the readings were.
        t.starts_with("✔ Lecture 2") && t.contains("Paris") && t.contains("SELECT")
    })
    .await;
    assert_eq!(ollama.requests().len(), 2, "a pick asks the model nothing");
    let picked = h.audited("reading_picked").await;
    assert_eq!(picked.len(), 1, "{picked:?}");
    assert_eq!(picked[0]["number"], 2);
    bot.stop().await;
}
