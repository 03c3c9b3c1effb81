//! The `[matrix]` table of the configuration (`settings.toml` beside this
//! crate's sources): its keys, their checks, and the connection they make.

use std::sync::Arc;
use std::time::Duration;

use pstral_chat::settings::{Check, Common, Configured, PlatformSettings, Secret, SecretText};
use pstral_chat::{Connector, IdentitySyntax};
use serde::Deserialize;
use url::Url;

use crate::{Credentials, IDENTITY, Matrix, MatrixConfig};

/// Matrix as the configuration knows it.
pub struct MatrixSettings;

/// The table's keys, as [`PlatformSettings::configure`] receives them
/// (types checked against the defaults already).
#[derive(Deserialize)]
struct Raw {
    enabled: bool,
    homeserver: String,
    user: String,
    password: String,
    password_file: String,
    access_token: String,
    access_token_file: String,
    device_id: String,
    store_passphrase: String,
    store_passphrase_file: String,
    invites_from: Vec<String>,
    max_rooms: i64,
    max_rooms_per_inviter: i64,
    edits_per_second: f64,
    edit_burst: i64,
}

/// How the bot logs in.
#[derive(Debug)]
enum Login {
    Password(SecretText),
    Token {
        access_token: SecretText,
        device_id: String,
    },
}

/// Matrix enabled, with a homeserver, an account and a store.
#[derive(Debug)]
struct Enabled {
    homeserver: Url,
    user: String,
    login: Login,
    store_passphrase: SecretText,
    invites_from: Vec<String>,
    max_rooms: usize,
    max_rooms_per_inviter: usize,
    edits_per_second: f64,
    edit_burst: u32,
}

impl PlatformSettings for MatrixSettings {
    fn name(&self) -> &'static str {
        IDENTITY.platform
    }

    fn defaults(&self) -> &'static str {
        include_str!("../settings.toml")
    }

    fn identity(&self) -> IdentitySyntax {
        IDENTITY
    }

    /// Measured: a new account's bot printed these at every start, or seven
    /// times in three idle minutes. The bot keeps its room keys in its own
    /// store, never in a key backup on the homeserver, and its account says
    /// so with the marker Element writes (`m.secret_storage.default_key`
    /// with no key): matrix-sdk's key-backup machine warns at every sync
    /// bringing room keys that there is no backup key, and its account-data
    /// reader and event dispatch each warn at every start that the marker is
    /// not a key. Their errors still show.
    fn quiet_logs(&self) -> &'static [&'static str] {
        &[
            "matrix_sdk_crypto::backups=error",
            "matrix_sdk_base::response_processors::account_data=error",
            "matrix_sdk::event_handler=error",
        ]
    }

    fn configure(
        &self,
        table: &serde_json::Value,
        check: &mut dyn Check,
    ) -> Option<Arc<dyn Configured>> {
        let raw: Raw = serde_json::from_value(table.clone())
            .expect("the core hands over a table of the defaults' keys and types");
        // Values are checked even when Matrix is disabled: a typo should be
        // found before the day someone turns it on.
        let homeserver = if raw.homeserver.is_empty() {
            None
        } else {
            check.http_url("homeserver", &raw.homeserver)
        };
        let user_ok = check_user(check, &raw.user);
        let password = check.secret("password", &raw.password, &raw.password_file);
        let token = check.secret("access_token", &raw.access_token, &raw.access_token_file);
        let passphrase = check.secret(
            "store_passphrase",
            &raw.store_passphrase,
            &raw.store_passphrase_file,
        );
        check_invites_from(check, &raw.invites_from);
        let limits = Limits::of(check, &raw);
        if !raw.enabled {
            return None;
        }
        check_enabled(check, &raw, &passphrase);
        let login = login(check, password, token, raw.device_id);
        let store_passphrase = match passphrase {
            Secret::Set(p) => Some(p),
            Secret::Unset | Secret::Broken => None,
        };
        let enabled = Enabled {
            homeserver: homeserver?,
            user: raw.user,
            login: login?,
            store_passphrase: store_passphrase?,
            invites_from: raw.invites_from,
            max_rooms: limits.max_rooms?,
            max_rooms_per_inviter: limits.max_rooms_per_inviter?,
            edits_per_second: limits.edits_per_second?,
            edit_burst: limits.edit_burst?,
        };
        user_ok.then(|| Arc::new(enabled) as Arc<dyn Configured>)
    }
}

/// Whether `user` is empty or a Matrix user id: `@name:server`, and a
/// valid identity besides (no white space or hidden character), the rule
/// operators' typed ids follow too.
fn check_user(check: &mut dyn Check, user: &str) -> bool {
    let ok = user.is_empty()
        || format!("{}:{}", IDENTITY.platform, user)
            .parse::<pstral_chat::PlatformIdentity>()
            .is_ok_and(|_| (IDENTITY.check)(user));
    if !ok {
        check.problem(
            "user",
            format!("expected a Matrix user id such as \"@pstral:example.org\", got {user:?}"),
        );
    }
    ok
}

/// Each entry of `invites_from`: a user id or a server.
fn check_invites_from(check: &mut dyn Check, invites_from: &[String]) {
    for entry in invites_from {
        let ok = if let Some(local) = entry.strip_prefix('@') {
            local
                .split_once(':')
                .is_some_and(|(l, s)| !l.is_empty() && !s.is_empty())
        } else {
            !entry.is_empty() && !entry.contains(char::is_whitespace) && !entry.contains('@')
        };
        if !ok {
            check.problem(
                "invites_from",
                format!(
                    "expected a user id (@ana:example.org) or a server (example.org), \
                     got {entry:?}"
                ),
            );
        }
    }
}

/// The table's limits, each `None` when refused (reported).
struct Limits {
    max_rooms: Option<usize>,
    max_rooms_per_inviter: Option<usize>,
    edits_per_second: Option<f64>,
    edit_burst: Option<u32>,
}

impl Limits {
    /// The limits of `raw`, checked.
    fn of(check: &mut dyn Check, raw: &Raw) -> Self {
        let max_rooms = match usize::try_from(raw.max_rooms) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                check.problem(
                    "max_rooms",
                    format!("expected a number of rooms above 0, got {}", raw.max_rooms),
                );
                None
            }
        };
        let max_rooms_per_inviter = match usize::try_from(raw.max_rooms_per_inviter) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                check.problem(
                    "max_rooms_per_inviter",
                    format!(
                        "expected a number of rooms above 0, got {}",
                        raw.max_rooms_per_inviter
                    ),
                );
                None
            }
        };
        let edits_per_second = if raw.edits_per_second.is_finite() && raw.edits_per_second > 0.0 {
            Some(raw.edits_per_second)
        } else {
            check.problem(
                "edits_per_second",
                format!(
                    "expected how many events a second the homeserver allows the bot (above 0, \
                     0.2 for Synapse's default), got {}",
                    raw.edits_per_second
                ),
            );
            None
        };
        let edit_burst = match u32::try_from(raw.edit_burst) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                check.problem(
                    "edit_burst",
                    format!(
                        "expected how many events the homeserver allows the bot at once (above \
                         0, 10 for Synapse's default), got {}",
                        raw.edit_burst
                    ),
                );
                None
            }
        };
        Self {
            max_rooms,
            max_rooms_per_inviter,
            edits_per_second,
            edit_burst,
        }
    }
}

/// What Matrix enabled needs besides: a store passphrase (`passphrase`),
/// a homeserver and a user.
fn check_enabled(check: &mut dyn Check, raw: &Raw, passphrase: &Secret) {
    if matches!(passphrase, Secret::Unset) {
        check.problem(
            "store_passphrase",
            format!(
                "Matrix is enabled but its store has no passphrase: set {} or {}",
                check.env_var("store_passphrase"),
                check.env_var("store_passphrase_file")
            ),
        );
    }
    if raw.homeserver.is_empty() {
        check.problem(
            "homeserver",
            "Matrix is enabled but has no homeserver URL".to_owned(),
        );
    }
    if raw.user.is_empty() {
        check.problem(
            "user",
            "Matrix is enabled but has no bot user id".to_owned(),
        );
    }
}

/// How the bot logs in: with its `password`, else its access `token` for
/// the device `device_id`; `None` when neither is given whole (reported).
fn login(
    check: &mut dyn Check,
    password: Secret,
    token: Secret,
    device_id: String,
) -> Option<Login> {
    match (password, token) {
        // Already reported where it was read.
        (Secret::Broken, _) | (_, Secret::Broken) => None,
        (Secret::Set(password), _) => Some(Login::Password(password)),
        (Secret::Unset, Secret::Set(access_token)) if !device_id.is_empty() => Some(Login::Token {
            access_token,
            device_id,
        }),
        (Secret::Unset, Secret::Set(_)) => {
            check.problem(
                "device_id",
                "an access token is given without the device it was issued for".to_owned(),
            );
            None
        }
        (Secret::Unset, Secret::Unset) => {
            check.problem(
                "password",
                format!(
                    "Matrix is enabled but has no password or access token: set {} or {}",
                    check.env_var("password"),
                    check.env_var("access_token")
                ),
            );
            None
        }
    }
}

impl Configured for Enabled {
    fn name(&self) -> &'static str {
        IDENTITY.platform
    }

    fn summary(&self) -> String {
        format!("enabled, {} on {}", self.user, self.homeserver)
    }

    fn connector(&self, common: Common) -> Box<dyn Connector> {
        Box::new(Matrix::new(MatrixConfig {
            homeserver: self.homeserver.to_string(),
            user: self.user.clone(),
            credentials: match &self.login {
                Login::Password(p) => Credentials::Password(p.expose().to_owned()),
                Login::Token {
                    access_token,
                    device_id,
                } => Credentials::Token {
                    access_token: access_token.expose().to_owned(),
                    device_id: device_id.clone(),
                },
            },
            store_dir: common.data_dir.join(IDENTITY.platform),
            store_passphrase: self.store_passphrase.expose().to_owned(),
            invites_from: self.invites_from.clone(),
            max_rooms: self.max_rooms,
            max_rooms_per_inviter: self.max_rooms_per_inviter,
            edit_allowance: pstral_chat::Allowance {
                burst: self.edit_burst,
                refill: Duration::from_secs_f64(1.0 / self.edits_per_second),
                scope: pstral_chat::AllowanceScope::Account,
                posts_count: true,
            },
            labels: common.labels,
        }))
    }
}
