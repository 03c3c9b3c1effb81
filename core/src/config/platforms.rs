//! The settings of the chat platforms. The core runs none of them: the
//! `pstral` binary hands these to the Discord and Matrix adapters.

use secrecy::SecretString;
use url::Url;

#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: SecretString,
    /// Guilds whose slash commands are registered at start; empty: every
    /// guild the bot is in.
    pub guilds: Vec<u64>,
    /// Also register the slash commands globally (they take up to an hour to
    /// show everywhere).
    pub global_commands: bool,
    /// Let Discord say how many shards to run (`/gateway/bot`); else one.
    pub autoshard: bool,
}

#[derive(Debug, Clone)]
pub struct MatrixSettings {
    pub homeserver: Url,
    pub user: String,
    pub login: MatrixLogin,
    /// Encrypts the bot's Matrix store (its keys and sessions).
    pub store_passphrase: SecretString,
    /// Whose invites the bot accepts: user ids or server names; empty:
    /// users of its own server.
    pub invites_from: Vec<String>,
    /// How many rooms the bot stays in at most: invites past it are declined.
    pub max_rooms: usize,
    /// The homeserver's allowance of events for the bot's user: so many a
    /// second after a burst of `edit_burst` (Synapse's `rc_message`).
    pub edits_per_second: f64,
    pub edit_burst: u32,
}

/// How the Matrix bot logs in.
#[derive(Debug, Clone)]
pub enum MatrixLogin {
    Password(SecretString),
    /// An access token, with the device it was issued for.
    Token {
        access_token: SecretString,
        device_id: String,
    },
}
