//! Every adapter keeps the chat contract: the suite of
//! `pstral_chat::conformance`, run on the platform each adapter hands the
//! core with an event, against the Discord fake and the real Synapse.

use std::sync::Arc;
use std::time::Duration;

use pstral_chat::conformance::{Readback, check};
use pstral_chat::{
    ChatPlatform, ConnectionState, Connector, EventHandler, InboundEvent, MessageRef, Place,
};
use pstral_discord::{Discord, DiscordConfig};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::support::fake_discord::{BOT, CHANNEL, FakeDiscord, TOKEN};

/// Keeps the platform and the place of the first message addressed to the
/// bot.
#[derive(Default)]
struct Captured(Mutex<Option<(Arc<dyn ChatPlatform>, Place)>>);

#[async_trait::async_trait]
impl EventHandler for Captured {
    async fn handle(&self, platform: Arc<dyn ChatPlatform>, event: InboundEvent) {
        if let InboundEvent::Message { message, .. } = event {
            self.0.lock().await.get_or_insert((platform, message.place));
        }
    }
}

impl Captured {
    async fn wait(&self) -> (Arc<dyn ChatPlatform>, Place) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(captured) = self.0.lock().await.clone() {
                return captured;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no message reached the handler"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

struct DiscordSees<'a>(&'a FakeDiscord);

#[async_trait::async_trait]
impl Readback for DiscordSees<'_> {
    async fn text_of(&self, message: &MessageRef) -> Option<String> {
        let id = message.id.parse().ok()?;
        self.0.message(id)?["content"].as_str().map(str::to_owned)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_discord_adapter_keeps_the_chat_contract() {
    let discord = FakeDiscord::start().await;
    let config = DiscordConfig {
        token: TOKEN.to_owned(),
        guilds: Vec::new(),
        global_commands: false,
        autoshard: true,
        labels: Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
        http_client: Some(discord.http_client()),
        proxy: None,
    };
    let captured = Arc::new(Captured::default());
    let (state_tx, mut state) = tokio::sync::watch::channel(ConnectionState::Connecting);
    let stop = CancellationToken::new();
    let served = tokio::spawn(Box::new(Discord::new(config)).serve(
        captured.clone(),
        state_tx,
        stop.clone(),
    ));
    state
        .wait_for(|s| *s == ConnectionState::Connected)
        .await
        .unwrap();
    discord.say(
        crate::discord::ANA,
        CHANNEL,
        &format!("<@{BOT}> hello"),
        true,
    );
    let (platform, place) = captured.wait().await;
    check(platform.as_ref(), &place, &DiscordSees(&discord)).await;
    stop.cancel();
    served.await.unwrap().unwrap();
}

struct MatrixSees {
    person: crate::synapse::Human,
    room: matrix_sdk::ruma::OwnedRoomId,
    bot: matrix_sdk::ruma::OwnedUserId,
}

#[async_trait::async_trait]
impl Readback for MatrixSees {
    async fn text_of(&self, message: &MessageRef) -> Option<String> {
        crate::synapse::latest_texts(&self.person.seen(), &self.room, &self.bot)
            .into_iter()
            .find(|(event, _)| event.as_str() == message.id)
            .map(|(_, text)| text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_adapter_keeps_the_chat_contract() {
    let (bot, password) = crate::matrix::Bot::register().await;
    let store = tempfile::tempdir().unwrap();
    let config = pstral_matrix::MatrixConfig {
        homeserver: crate::synapse::url(),
        user: bot.to_string(),
        credentials: pstral_matrix::Credentials::Password(password),
        store_dir: store.path().join("matrix"),
        store_passphrase: "test-store-passphrase".to_owned(),
        invites_from: Vec::new(),
        max_rooms: 500,
        max_rooms_per_inviter: 500,
        edit_allowance: crate::matrix::LIFTED,
        labels: Arc::new(pstral_core::i18n::Wording(pstral_core::i18n::Lang::En)),
    };
    let captured = Arc::new(Captured::default());
    let (state_tx, mut state) = tokio::sync::watch::channel(ConnectionState::Connecting);
    let stop = CancellationToken::new();
    let served = tokio::spawn(Box::new(pstral_matrix::Matrix::new(config)).serve(
        captured.clone(),
        state_tx,
        stop.clone(),
    ));
    tokio::time::timeout(
        Duration::from_secs(120),
        state.wait_for(|s| *s == ConnectionState::Connected),
    )
    .await
    .expect("the bot connects to Synapse")
    .unwrap();
    let ana = crate::synapse::Human::register(&crate::synapse::unique("ana")).await;
    let room = ana.room_with(&bot, false).await;
    ana.mention(&room, &bot, "hello").await;
    let (platform, place) = captured.wait().await;
    let sees = MatrixSees {
        person: ana,
        room: room.room_id().to_owned(),
        bot,
    };
    check(platform.as_ref(), &place, &sees).await;
    stop.cancel();
    served.await.unwrap().unwrap();
}
