//! The chat platforms this build includes (each behind a cargo feature, all
//! on by default): their connectors for `pstral run`, the words they show
//! (from the core's i18n), and how each writes its people's ids.

use pstral_chat::IdentitySyntax;
use pstral_core::config::{self, Settings};

/// How the platforms of this build write their people's ids, for what an
/// operator types (`user link`, the admin API).
pub(crate) fn identity_syntaxes() -> Vec<IdentitySyntax> {
    [
        #[cfg(feature = "discord")]
        pstral_discord::IDENTITY,
        #[cfg(feature = "matrix")]
        pstral_matrix::IDENTITY,
    ]
    .to_vec()
}

/// The words an adapter shows of its own, in the configured language.
#[cfg(any(feature = "discord", feature = "matrix"))]
fn labels(settings: &Settings) -> std::sync::Arc<dyn pstral_chat::Labels> {
    std::sync::Arc::new(pstral_core::i18n::Wording(settings.general.language))
}

/// The chat platforms the settings enable, ready to connect. A platform the
/// configuration enables but this build left out is an error, not a
/// silence: the bot would otherwise never answer there.
pub(crate) fn connectors(
    settings: &Settings,
) -> anyhow::Result<Vec<Box<dyn pstral_chat::Connector>>> {
    #[allow(unused_mut)]
    let mut connectors: Vec<Box<dyn pstral_chat::Connector>> = Vec::new();
    if let Some(discord) = &settings.discord {
        connectors.push(discord_connector(settings, discord)?);
    }
    if let Some(matrix) = &settings.matrix {
        connectors.push(matrix_connector(settings, matrix)?);
    }
    Ok(connectors)
}

#[cfg(feature = "discord")]
fn discord_connector(
    settings: &Settings,
    discord: &config::DiscordSettings,
) -> anyhow::Result<Box<dyn pstral_chat::Connector>> {
    use secrecy::ExposeSecret;
    let config = pstral_discord::DiscordConfig {
        token: discord.token.expose_secret().to_owned(),
        guilds: discord.guilds.clone(),
        global_commands: discord.global_commands,
        autoshard: discord.autoshard,
        labels: labels(settings),
        http_client: None,
    };
    Ok(Box::new(pstral_discord::Discord::new(config)))
}

#[cfg(not(feature = "discord"))]
fn discord_connector(
    _: &Settings,
    _: &config::DiscordSettings,
) -> anyhow::Result<Box<dyn pstral_chat::Connector>> {
    anyhow::bail!(missing_feature("discord"))
}

#[cfg(feature = "matrix")]
fn matrix_connector(
    settings: &Settings,
    matrix: &config::MatrixSettings,
) -> anyhow::Result<Box<dyn pstral_chat::Connector>> {
    use secrecy::ExposeSecret;
    let config = pstral_matrix::MatrixConfig {
        homeserver: matrix.homeserver.to_string(),
        user: matrix.user.clone(),
        credentials: match &matrix.login {
            config::MatrixLogin::Password(p) => {
                pstral_matrix::Credentials::Password(p.expose_secret().to_owned())
            }
            config::MatrixLogin::Token {
                access_token,
                device_id,
            } => pstral_matrix::Credentials::Token {
                access_token: access_token.expose_secret().to_owned(),
                device_id: device_id.clone(),
            },
        },
        store_dir: settings.general.data_dir.join("matrix"),
        store_passphrase: matrix.store_passphrase.expose_secret().to_owned(),
        invites_from: matrix.invites_from.clone(),
        max_rooms: matrix.max_rooms,
        edit_allowance: pstral_chat::Allowance {
            burst: matrix.edit_burst,
            refill: std::time::Duration::from_secs_f64(1.0 / matrix.edits_per_second),
            scope: pstral_chat::AllowanceScope::Account,
            posts_count: true,
        },
        labels: labels(settings),
    };
    Ok(Box::new(pstral_matrix::Matrix::new(config)))
}

#[cfg(not(feature = "matrix"))]
fn matrix_connector(
    _: &Settings,
    _: &config::MatrixSettings,
) -> anyhow::Result<Box<dyn pstral_chat::Connector>> {
    anyhow::bail!(missing_feature("matrix"))
}

#[cfg(not(all(feature = "discord", feature = "matrix")))]
fn missing_feature(platform: &str) -> String {
    format!(
        "{platform} is enabled in the configuration, but this pstral was built without it; \
         build it with `cargo build --release --features {platform}` (or with the default features)"
    )
}
