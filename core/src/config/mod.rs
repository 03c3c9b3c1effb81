//! Configuration: layered loading, validation that names every problem, and
//! the typed settings the rest of Pstral reads.
//!
//! Three layers, later ones winning: the embedded `config/default.toml`, the
//! file given with `--config`, then `PSTRAL__SECTION__KEY` environment
//! variables. The default file is also the schema: a key it does not have is
//! unknown, and a value must have the type of its default.
//!
//! Loading happens in two passes so that one run reports *all* mistakes rather
//! than the first one serde trips on: `overlay` walks the user's layers
//! against the defaults (`layers`: unknown keys, wrong types, with the default kept in
//! place of a bad value), then the `Validator` (`validate`) turns the merged raw values into
//! [`Settings`] (enumerations, URLs, durations, secrets). Nothing validates or
//! panics after that: the rest of the code receives typed values.
//!
//! Each module owns the type of its own settings (`store::DatabaseSettings`,
//! `sql::SqlSettings`, …); this module only builds them. Its files: this one
//! (the result and its errors), `layers` (the three layers laid over the
//! defaults), `raw` (the file's shape), `validate` (raw values into typed
//! settings).
//!
//! A chat platform's table (`[discord]`, `[matrix]`) is its adapter's own
//! ([`pstral_chat::settings`]): the binary says which platforms it includes
//! ([`Platforms`]), their defaults join the embedded ones under their names,
//! and each adapter checks its merged table, its problems reported with the
//! core's. The core reads none of their keys.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use config::{Config, Environment, File, FileFormat, Value, ValueKind};
use pstral_chat::settings::{Configured, PlatformSettings};

use crate::admin::AdminSettings;
use crate::audit::AuditSettings;
use crate::conversation::ConversationSettings;
use crate::i18n::Lang;
use crate::identity::IdentitySettings;
use crate::llm::LlmSettings;
use crate::sql::SqlSettings;
use crate::store::DatabaseSettings;
use crate::telemetry::LogSettings;

mod layers;
mod raw;
mod validate;

pub use layers::env_var_for;
use layers::{origin_of, overlay};
use raw::RawSettings;
use validate::Validator;

/// The embedded defaults, which are also the schema of every key.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Environment variables that override the configuration start with this,
/// followed by `SECTION__KEY`.
pub const ENV_PREFIX: &str = "PSTRAL__";

/// Where a configuration value came from, so that a problem can say where to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(String),
    Env(String),
}

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The dotted key, such as `database.url`.
    pub key: String,
    pub origin: Origin,
    /// Why the value was refused, in words an operator can act on.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)?;
        match &self.origin {
            Origin::Default => Ok(()),
            Origin::File(file) => write!(f, " (in {file})"),
            Origin::Env(var) => write!(f, " (from {var})"),
        }
    }
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing or is not valid TOML: nothing further can be said.
    #[error("cannot read the configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// The file was read; these are all the problems found in it.
    #[error("{}", list_problems(.0))]
    Invalid(Vec<Problem>),
}

fn list_problems(problems: &[Problem]) -> String {
    let mut out = format!(
        "the configuration has {} problem{}:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str("\n  - ");
        out.push_str(&p.to_string());
    }
    out
}

/// Everything Pstral reads from its configuration, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub general: GeneralSettings,
    pub log: LogSettings,
    pub database: DatabaseSettings,
    pub identity: IdentitySettings,
    pub llm: LlmSettings,
    pub conversation: ConversationSettings,
    pub sql: SqlSettings,
    /// Present when the admin endpoint is enabled.
    pub admin: Option<AdminSettings>,
    pub audit: AuditSettings,
    /// `[ha]`: how replicas share the service.
    pub ha: crate::replicas::HaSettings,
    /// The groups and what each may not read.
    pub access: crate::access::Rules,
    /// The chat platforms enabled, each configured by its adapter.
    pub platforms: Vec<Arc<dyn Configured>>,
}

/// The chat platforms a build includes, whose tables the configuration
/// holds, and those it was built without.
#[derive(Clone, Default)]
pub struct Platforms {
    pub included: Vec<Arc<dyn PlatformSettings>>,
    /// Platforms this build left out (`--no-default-features`): a table of
    /// one that enables it is a problem that says how to build it in, not
    /// a bot that never answers there; any other table of theirs is let be.
    pub left_out: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct GeneralSettings {
    pub language: Lang,
    pub data_dir: PathBuf,
    pub shutdown_grace: Duration,
}

impl Settings {
    /// The embedded defaults alone, as `pstral` runs with no file and no
    /// environment.
    ///
    /// # Panics
    /// Never for a released build: a unit test checks that the embedded
    /// defaults validate.
    pub fn defaults() -> Self {
        load_layers(None, BTreeMap::new()).expect("the embedded default configuration is valid")
    }
}

/// Loads the configuration: defaults, then `file`, then the process
/// environment; each of the `platforms` included reads its own table.
///
/// # Errors
/// [`ConfigError::Load`] when the file cannot be read or parsed,
/// [`ConfigError::Invalid`] with every problem found otherwise.
pub fn load(file: Option<&Path>, platforms: &Platforms) -> Result<Settings, ConfigError> {
    let env = std::env::vars()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    load_layers_with(file, env, platforms)
}

/// [`load`] with an explicit environment and no chat platform, for tests
/// and tools.
///
/// # Errors
/// As [`load`].
pub fn load_layers(
    file: Option<&Path>,
    env: BTreeMap<String, String>,
) -> Result<Settings, ConfigError> {
    load_layers_with(file, env, &Platforms::default())
}

/// [`load`] with an explicit environment.
///
/// # Errors
/// As [`load`].
pub fn load_layers_with(
    file: Option<&Path>,
    env: BTreeMap<String, String>,
    platforms: &Platforms,
) -> Result<Settings, ConfigError> {
    let mut defaults = Config::builder()
        .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
        .build()?
        .cache
        .into_table()?;
    for platform in &platforms.included {
        let table = Config::builder()
            .add_source(File::from_str(platform.defaults(), FileFormat::Toml))
            .build()?
            .cache
            .into_table()?;
        defaults.insert(
            platform.name().to_owned(),
            Value::new(None, ValueKind::Table(table)),
        );
    }

    let mut user = Config::builder();
    if let Some(file) = file {
        user = user.add_source(File::from(file).format(FileFormat::Toml).required(true));
    }
    let env: config::Map<String, String> = env.into_iter().collect();
    let user = user
        .add_source(
            Environment::with_prefix("PSTRAL")
                .prefix_separator("__")
                .separator("__")
                .source(Some(env)),
        )
        .build()?
        .cache
        .into_table()?;

    let mut user = user;
    let mut problems = Vec::new();
    for name in &platforms.left_out {
        let Some(table) = user.remove(*name) else {
            continue;
        };
        let enabled = match table.kind {
            ValueKind::Table(t) => t.get("enabled").cloned(),
            _ => None,
        };
        if let Some(enabled) = enabled
            && enabled.clone().into_bool().unwrap_or(false)
        {
            let key = format!("{name}.enabled");
            problems.push(Problem {
                origin: origin_of(&key, &enabled),
                key,
                reason: format!(
                    "{name} is enabled, but this pstral was built without it; build it with \
                     `cargo build --release --features {name}` (or with the default features)"
                ),
            });
        }
    }

    let mut origins = BTreeMap::new();
    let mut merged = overlay("", &defaults, user, &mut origins, &mut problems);
    let tables: Vec<(Arc<dyn PlatformSettings>, serde_json::Value)> = platforms
        .included
        .iter()
        .map(|p| (p.clone(), merged.remove(p.name()).unwrap_or_default()))
        .collect();
    let raw: RawSettings = serde_json::from_value(serde_json::Value::Object(merged))
        .expect("the overlay keeps the types of config/default.toml, which RawSettings mirrors");

    let mut v = Validator { origins, problems };
    let mut settings = v.settings(raw);
    for (platform, table) in tables {
        let mut check = v.check(platform.name());
        if let Some(configured) = platform.configure(&table, &mut check) {
            settings.platforms.push(configured);
        }
    }
    if v.problems.is_empty() {
        Ok(settings)
    } else {
        Err(ConfigError::Invalid(v.problems))
    }
}

#[cfg(test)]
mod tests;
