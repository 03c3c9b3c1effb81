//! A platform's own settings: each adapter owns its table of the
//! configuration (`[discord]`, `[matrix]`): its keys and their defaults, how
//! they are checked, and what they become.
//!
//! The core lays the configuration's layers over the defaults each
//! [`PlatformSettings`] gives (so an unknown key or a value of the wrong type
//! in its table is named like any other), hands the adapter its merged table,
//! and gathers the problems the adapter reports through [`Check`] with its
//! own, so that one run of `pstral check` still names every mistake. An
//! adapter enabled and well configured comes back as a [`Configured`]
//! platform, which the binary turns into a [`Connector`] for `pstral run`.
//! The core never reads a platform's keys: adding a platform touches no
//! table of the core.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{Connector, IdentitySyntax, Labels};

/// A chat platform a build includes, as the configuration knows it.
pub trait PlatformSettings: Send + Sync {
    /// The name of its table in the configuration, of its ids' prefix and of
    /// its cargo feature (`discord`).
    fn name(&self) -> &'static str;

    /// Its table of defaults, in TOML without the `[name]` header: every key
    /// an operator may set in its table, with its default and what it does.
    fn defaults(&self) -> &'static str;

    /// How it writes its people's ids.
    fn identity(&self) -> IdentitySyntax;

    /// Log directives (`target=error`) that hold modules of its SDK to
    /// errors in the default log filter, each for a warning a healthy bot
    /// gives by design; none by default.
    fn quiet_logs(&self) -> &'static [&'static str] {
        &[]
    }

    /// Reads its table (every key of [`Self::defaults`], with the types of
    /// the defaults), reporting each value it refuses to `check` under the
    /// key's name within the table (`token`, not `discord.token`). Returns
    /// the platform ready to connect when it is enabled and nothing was
    /// refused; `None` when it is disabled, or was refused (and said why).
    fn configure(
        &self,
        table: &serde_json::Value,
        check: &mut dyn Check,
    ) -> Option<Arc<dyn Configured>>;
}

/// A platform enabled and configured, ready to connect.
pub trait Configured: fmt::Debug + Send + Sync {
    /// Its name (see [`PlatformSettings::name`]).
    fn name(&self) -> &'static str;

    /// What `pstral check` says of it, without any secret: `enabled,
    /// @pstral:example.org on https://matrix.example.org/`.
    fn summary(&self) -> String;

    /// A connection for `pstral run`.
    fn connector(&self, common: Common) -> Box<dyn Connector>;
}

/// What every platform's connection is given by the core.
pub struct Common {
    /// The words it shows of its own, in the configured language.
    pub labels: Arc<dyn Labels>,
    /// Where it may keep files of its own, under the bot's data directory
    /// (`<data_dir>/matrix`).
    pub data_dir: PathBuf,
}

/// Where an adapter reports what is wrong with its table, and how it reads
/// what the core reads the same way for every table.
pub trait Check {
    /// One value refused: `key` within the platform's table, and why, in
    /// words an operator can act on.
    fn problem(&mut self, key: &str, reason: String);

    /// A secret given inline (`key`) or in a file (`key_file`, its content
    /// trimmed). Given wrongly (both forms, a file that cannot be read or is
    /// empty), the problem is reported here and [`Secret::Broken`] says not
    /// to report it missing as well: one mistake, one message.
    fn secret(&mut self, key: &str, inline: &str, file: &str) -> Secret;

    /// The environment variable that sets `key` of the platform's table
    /// (`PSTRAL__DISCORD__TOKEN`), to say how to fix a missing value.
    fn env_var(&self, key: &str) -> String;

    /// `value` at `key` as an http:// or https:// URL with a host, or
    /// `None` with the problem reported ([`http_url`]).
    fn http_url(&mut self, key: &str, value: &str) -> Option<url::Url> {
        http_url(value).map_err(|why| self.problem(key, why)).ok()
    }
}

/// `value` as an http:// or https:// URL with a host, or why it is not
/// one, in the words every table of the configuration uses.
///
/// # Errors
/// The reason, naming the scheme found or the parser's complaint.
pub fn http_url(value: &str) -> Result<url::Url, String> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        Ok(url) => Err(format!(
            "expected an http:// or https:// URL with a host, got scheme {:?}",
            url.scheme()
        )),
        Err(e) => Err(format!("not a valid URL ({e}): {value:?}")),
    }
}

/// A secret as the configuration gave it (see [`Check::secret`]).
pub enum Secret {
    /// Neither form was set.
    Unset,
    Set(SecretText),
    /// Given wrongly; the problem has been reported already.
    Broken,
}

/// A secret's text, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
