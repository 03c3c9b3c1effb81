//! The `[discord]` table of the configuration (`settings.toml` beside this
//! crate's sources): its keys, their checks, and the connection they make.

use std::sync::Arc;

use pstral_chat::settings::{Check, Common, Configured, PlatformSettings, Secret, SecretText};
use pstral_chat::{Connector, IdentitySyntax};
use serde::Deserialize;

use crate::{Discord, DiscordConfig, IDENTITY};

/// Discord as the configuration knows it.
pub struct DiscordSettings;

/// The table's keys, as [`PlatformSettings::configure`] receives them
/// (types checked against the defaults already).
#[derive(Deserialize)]
struct Raw {
    enabled: bool,
    token: String,
    token_file: String,
    guilds: Vec<String>,
    global_commands: bool,
    autoshard: bool,
    proxy: String,
}

/// Discord enabled, with a token.
#[derive(Debug)]
struct Enabled {
    token: SecretText,
    guilds: Vec<u64>,
    global_commands: bool,
    autoshard: bool,
    proxy: Option<String>,
}

impl PlatformSettings for DiscordSettings {
    fn name(&self) -> &'static str {
        IDENTITY.platform
    }

    fn defaults(&self) -> &'static str {
        include_str!("../settings.toml")
    }

    fn identity(&self) -> IdentitySyntax {
        IDENTITY
    }

    fn configure(
        &self,
        table: &serde_json::Value,
        check: &mut dyn Check,
    ) -> Option<Arc<dyn Configured>> {
        let raw: Raw = serde_json::from_value(table.clone())
            .expect("the core hands over a table of the defaults' keys and types");
        let mut guilds = Vec::new();
        for g in &raw.guilds {
            match g.parse::<u64>() {
                Ok(id) if id > 0 => guilds.push(id),
                _ => check.problem(
                    "guilds",
                    format!("a guild id is a number (a snowflake), got {g:?}"),
                ),
            }
        }
        let token = check.secret("token", &raw.token, &raw.token_file);
        let proxy = raw.proxy.trim();
        let proxy_ok = proxy.is_empty() || check.http_url("proxy", proxy).is_some();
        if !raw.enabled {
            return None;
        }
        let token = match token {
            Secret::Set(token) => token,
            Secret::Broken => return None,
            Secret::Unset => {
                check.problem(
                    "token",
                    format!(
                        "Discord is enabled but has no bot token: set {} or {}",
                        check.env_var("token"),
                        check.env_var("token_file")
                    ),
                );
                return None;
            }
        };
        (guilds.len() == raw.guilds.len() && proxy_ok).then(|| {
            Arc::new(Enabled {
                token,
                guilds,
                global_commands: raw.global_commands,
                autoshard: raw.autoshard,
                proxy: (!proxy.is_empty()).then(|| proxy.trim_end_matches('/').to_owned()),
            }) as Arc<dyn Configured>
        })
    }
}

impl Configured for Enabled {
    fn name(&self) -> &'static str {
        IDENTITY.platform
    }

    fn summary(&self) -> String {
        let guilds = match self.guilds.len() {
            0 => "commands in every guild".to_owned(),
            1 => "commands in 1 guild".to_owned(),
            n => format!("commands in {n} guilds"),
        };
        match &self.proxy {
            Some(proxy) => format!("enabled (token set), {guilds}, through {proxy}"),
            None => format!("enabled (token set), {guilds}"),
        }
    }

    fn connector(&self, common: Common) -> Box<dyn Connector> {
        Box::new(Discord::new(DiscordConfig {
            token: self.token.expose().to_owned(),
            guilds: self.guilds.clone(),
            global_commands: self.global_commands,
            autoshard: self.autoshard,
            labels: common.labels,
            http_client: None,
            proxy: self.proxy.clone(),
        }))
    }
}
