//! Configuration: layered loading, validation that names every problem, and
//! the typed settings the rest of Pstral reads.
//!
//! Three layers, later ones winning: the embedded `config/default.toml`, the
//! file given with `--config`, then `PSTRAL__SECTION__KEY` environment
//! variables. The default file is also the schema: a key it does not have is
//! unknown, and a value must have the type of its default.
//!
//! Loading happens in two passes so that one run reports *all* mistakes rather
//! than the first one serde trips on: [`overlay`] walks the user's layers
//! against the defaults (unknown keys, wrong types, with the default kept in
//! place of a bad value), then [`Validator`] turns the merged raw values into
//! [`Settings`] (enumerations, URLs, durations, secrets). Nothing validates or
//! panics after that: the rest of the code receives typed values.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use config::{Config, Environment, File, FileFormat, Value, ValueKind};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::i18n::Lang;

/// The embedded defaults, which are also the schema of every key.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Tables whose keys are names the user chooses (`[sql.targets.prod]`), each
/// checked against the first entry of the defaults as its template.
const OPEN_TABLES: &[&str] = &["sql.targets"];

/// The longest duration any key accepts.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

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
    /// Present when Discord is enabled.
    pub discord: Option<DiscordSettings>,
    /// Present when Matrix is enabled.
    pub matrix: Option<MatrixSettings>,
}

#[derive(Debug, Clone)]
pub struct GeneralSettings {
    pub language: Lang,
    pub data_dir: PathBuf,
    pub shutdown_grace: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing `EnvFilter` directive, already checked to parse.
    pub level: String,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    /// The PostgreSQL password from `database.password_file`, kept out of
    /// the URL so that no rendering of the URL can show it.
    pub password: Option<SecretString>,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub busy_timeout: Duration,
}

/// The bot's own database.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, created on first start.
    Sqlite(PathBuf),
    /// A PostgreSQL server. The URL may hold a password, so it is only shown
    /// through [`DatabaseUrl::redacted`].
    Postgres(Url),
}

impl DatabaseUrl {
    /// The URL with any password replaced (in the user part or as a
    /// `password=` parameter), fit for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            DatabaseUrl::Postgres(url) => {
                let mut url = url.clone();
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                if url.query_pairs().any(|(k, _)| k == "password") {
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let v = if k == "password" {
                                "***".into()
                            } else {
                                v.into_owned()
                            };
                            (k.into_owned(), v)
                        })
                        .collect();
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                url.to_string()
            }
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// What happens when someone the bot does not know writes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownPolicy {
    /// Answer with a polite refusal that says how to get linked.
    Refuse,
    /// Create a local user with the viewer role and link the identity to it.
    AutoViewer,
}

#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub unknown: UnknownPolicy,
    pub contact: String,
    pub invite_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub endpoints: Vec<Url>,
    pub options: crate::llm::ModelOptions,
    pub concurrency: usize,
    pub queue_capacity: usize,
    pub timeouts: crate::llm::Timeouts,
}

#[derive(Debug, Clone)]
pub struct ConversationSettings {
    pub default_mode: crate::conversation::Mode,
    /// Per-channel defaults: (platform, channel) → mode.
    pub channel_modes: Vec<(String, String, crate::conversation::Mode)>,
    pub max_history: u32,
    pub prompts_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct SqlSettings {
    /// What may run, in the dialect of the chosen target.
    pub policy: crate::sql::validate::Policy,
    /// The target the bot runs queries on.
    pub target: Target,
    /// Every configured target, by name (for `pstral sql run --target`).
    pub targets: Vec<Target>,
    pub limits: crate::sql::exec::Limits,
    pub preview_rows: usize,
    pub csv_bom: bool,
    pub explain: bool,
    pub schema_budget: usize,
    pub schema_refresh: Duration,
    /// Where results go to the person who ran the query alone, as
    /// (platform, channel); channel `*` is every channel of the platform.
    pub private_results: Vec<(String, String)>,
    /// Run on a target whose account can write or administer, knowingly.
    pub allow_privileged_account: bool,
}

/// An Execute target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    Sqlite(PathBuf),
    /// A URL whose password, if any, is only shown redacted.
    Postgres(DatabaseUrl),
    Oracle {
        user: String,
        password: Option<RedactedSecret>,
        /// host:port/service, as the Oracle client takes it.
        connect: String,
    },
}

/// A secret as the configuration gave it.
enum Secret {
    /// Neither form was set.
    Unset,
    Set(SecretString),
    /// Given wrongly; the problem has been reported already.
    Broken,
}

impl Secret {
    fn set(self) -> Option<SecretString> {
        match self {
            Secret::Set(s) => Some(s),
            Secret::Unset | Secret::Broken => None,
        }
    }
}

/// A secret that compares and clones like a value but never prints.
#[derive(Clone)]
pub struct RedactedSecret(pub SecretString);

impl fmt::Debug for RedactedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for RedactedSecret {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for RedactedSecret {}

impl Target {
    pub fn dialect(&self) -> crate::sql::Dialect {
        match self.kind {
            TargetKind::Sqlite(_) => crate::sql::Dialect::Sqlite,
            TargetKind::Postgres(_) => crate::sql::Dialect::Postgres,
            TargetKind::Oracle { .. } => crate::sql::Dialect::Oracle,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// How long audit events are kept; `None`: for ever.
    pub retention: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub bind: std::net::SocketAddr,
}

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
/// environment.
///
/// # Errors
/// [`ConfigError::Load`] when the file cannot be read or parsed,
/// [`ConfigError::Invalid`] with every problem found otherwise.
pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
    let env = std::env::vars()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    load_layers(file, env)
}

/// [`load`] with an explicit environment, for tests and tools.
///
/// # Errors
/// As [`load`].
pub fn load_layers(
    file: Option<&Path>,
    env: BTreeMap<String, String>,
) -> Result<Settings, ConfigError> {
    let defaults = Config::builder()
        .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
        .build()?
        .cache
        .into_table()?;

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

    let mut origins = BTreeMap::new();
    let mut problems = Vec::new();
    let merged = overlay("", &defaults, user, &mut origins, &mut problems);
    let raw: RawSettings = serde_json::from_value(serde_json::Value::Object(merged))
        .expect("the overlay keeps the types of config/default.toml, which RawSettings mirrors");

    let mut v = Validator { origins, problems };
    let settings = v.settings(raw);
    if v.problems.is_empty() {
        Ok(settings)
    } else {
        Err(ConfigError::Invalid(v.problems))
    }
}

/// The environment variable that sets `key`.
pub fn env_var_for(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

/// Whether a key holds a secret, whose value must never be echoed.
fn is_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    ["token", "password", "passphrase", "secret"]
        .iter()
        .any(|s| last.contains(s))
}

fn origin_of(key: &str, value: &Value) -> Origin {
    match value.origin() {
        Some("the environment") => Origin::Env(env_var_for(key)),
        Some(file) => Origin::File(file.to_owned()),
        None => Origin::Default,
    }
}

/// Lays the user's values over the defaults, keeping a default wherever the
/// user's value is unknown or of the wrong type, and recording a problem for
/// each.
fn overlay(
    prefix: &str,
    defaults: &config::Map<String, Value>,
    given: config::Map<String, Value>,
    origins: &mut BTreeMap<String, Origin>,
    problems: &mut Vec<Problem>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out: serde_json::Map<String, serde_json::Value> = defaults
        .iter()
        .map(|(k, v)| (k.clone(), to_json(v)))
        .collect();
    // Sorted, so that problems come out in a stable order.
    let given: BTreeMap<String, Value> = given.into_iter().collect();
    for (key, value) in given {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let origin = origin_of(&path, &value);
        let Some(default) = defaults.get(&key) else {
            let mut reason = "unknown key".to_owned();
            if let Some(near) = nearest(&key, defaults.keys()) {
                let near = if prefix.is_empty() {
                    near.to_owned()
                } else {
                    format!("{prefix}.{near}")
                };
                reason.push_str(&format!("; did you mean `{near}`?"));
            } else if prefix.is_empty() {
                let sections: Vec<_> = defaults.keys().map(String::as_str).collect();
                reason.push_str(&format!("; the sections are {}", sections.join(", ")));
            }
            problems.push(Problem {
                key: path,
                origin,
                reason,
            });
            continue;
        };
        match (&default.kind, value.kind) {
            (ValueKind::Table(sub_defaults), ValueKind::Table(sub_given))
                if OPEN_TABLES.contains(&path.as_str()) =>
            {
                let mut merged = match out.remove(&key) {
                    Some(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                let template = sub_defaults.values().find_map(|v| match &v.kind {
                    ValueKind::Table(t) => Some(t.clone()),
                    _ => None,
                });
                for (name, entry) in sub_given.into_iter().collect::<BTreeMap<_, _>>() {
                    let entry_path = format!("{path}.{name}");
                    let entry_origin = origin_of(&entry_path, &entry);
                    match (entry.kind, &template) {
                        (ValueKind::Table(given), Some(template)) => {
                            let built = overlay(&entry_path, template, given, origins, problems);
                            merged.insert(name, serde_json::Value::Object(built));
                        }
                        _ => problems.push(Problem {
                            key: entry_path.clone(),
                            origin: entry_origin,
                            reason: format!("expected a section [{entry_path}] with its keys"),
                        }),
                    }
                }
                out.insert(key, serde_json::Value::Object(merged));
            }
            (ValueKind::Table(sub_defaults), ValueKind::Table(sub_given)) => {
                let merged = overlay(&path, sub_defaults, sub_given, origins, problems);
                out.insert(key, serde_json::Value::Object(merged));
            }
            (ValueKind::Table(_), _) => problems.push(Problem {
                key: path.clone(),
                origin,
                reason: format!("is a section, not a value: write its keys under [{path}]"),
            }),
            (default_kind, given_kind) => match coerce(default_kind, given_kind) {
                Ok(json) => {
                    out.insert(key, json);
                    origins.insert(path, origin);
                }
                Err(Mismatch { expected, got }) => {
                    let reason = if is_secret(&path) {
                        format!("expected {expected}")
                    } else {
                        format!("expected {expected}, got {got}")
                    };
                    problems.push(Problem {
                        key: path,
                        origin,
                        reason,
                    });
                }
            },
        }
    }
    out
}

/// A value whose type differs from its default's.
struct Mismatch {
    expected: String,
    /// The refused value, shown unless the key holds a secret.
    got: String,
}

/// Converts `given` to the type of `default`. Environment variables are
/// always strings, so strings are parsed into numbers, booleans and lists.
fn coerce(default: &ValueKind, given: ValueKind) -> Result<serde_json::Value, Mismatch> {
    use serde_json::Value as J;
    let mismatch = |expected: &str, got: &ValueKind| Mismatch {
        expected: expected.to_owned(),
        got: match got {
            ValueKind::String(s) => format!("{s:?}"),
            ValueKind::Table(_) => "a table".to_owned(),
            ValueKind::Array(_) => "a list".to_owned(),
            other => other.to_string(),
        },
    };
    match default {
        ValueKind::Boolean(_) => match given {
            ValueKind::Boolean(b) => Ok(J::Bool(b)),
            ValueKind::String(s) if s.eq_ignore_ascii_case("true") => Ok(J::Bool(true)),
            ValueKind::String(s) if s.eq_ignore_ascii_case("false") => Ok(J::Bool(false)),
            other => Err(mismatch("true or false", &other)),
        },
        ValueKind::I64(_) | ValueKind::U64(_) | ValueKind::I128(_) | ValueKind::U128(_) => {
            let n = match &given {
                ValueKind::I64(n) => Some(*n),
                ValueKind::U64(n) => i64::try_from(*n).ok(),
                ValueKind::I128(n) => i64::try_from(*n).ok(),
                ValueKind::U128(n) => i64::try_from(*n).ok(),
                ValueKind::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.map(J::from)
                .ok_or_else(|| mismatch("a whole number", &given))
        }
        ValueKind::Float(_) => {
            let n = match &given {
                ValueKind::Float(n) => Some(*n),
                ValueKind::I64(n) => Some(*n as f64),
                ValueKind::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.and_then(serde_json::Number::from_f64)
                .map(J::Number)
                .ok_or_else(|| mismatch("a number", &given))
        }
        ValueKind::String(_) => match given {
            ValueKind::String(s) => Ok(J::String(s)),
            other => Err(mismatch("a string (in quotes in TOML)", &other)),
        },
        ValueKind::Array(items) => {
            // An empty default list is a list of strings (the only kind of
            // list the configuration has).
            let element = Some(
                items
                    .first()
                    .map_or(ValueKind::String(String::new()), |v| v.kind.clone()),
            );
            let given_items: Vec<ValueKind> = match given {
                ValueKind::Array(values) => values.into_iter().map(|v| v.kind).collect(),
                // A list from the environment: comma-separated.
                ValueKind::String(s) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| ValueKind::String(s.to_owned()))
                    .collect(),
                other => return Err(mismatch("a list", &other)),
            };
            given_items
                .into_iter()
                .map(|item| match &element {
                    Some(e) => coerce(e, item),
                    None => Ok(to_json(&Value::new(None, item))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(J::Array)
                .map_err(|m| Mismatch {
                    expected: format!("a list whose items are each {}", m.expected),
                    got: m.got,
                })
        }
        ValueKind::Nil | ValueKind::Table(_) => Ok(to_json(&Value::new(None, given))),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match &value.kind {
        ValueKind::Nil => J::Null,
        ValueKind::Boolean(b) => J::Bool(*b),
        ValueKind::I64(n) => J::from(*n),
        ValueKind::I128(n) => J::from(*n as i64),
        ValueKind::U64(n) => J::from(*n),
        ValueKind::U128(n) => J::from(*n as u64),
        ValueKind::Float(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
        ValueKind::String(s) => J::String(s.clone()),
        ValueKind::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        ValueKind::Array(a) => J::Array(a.iter().map(to_json).collect()),
    }
}

/// The known key closest to a mistyped one, when it is close enough to be a
/// likely typo.
fn nearest<'a>(key: &str, known: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    known
        .map(|k| (strsim::levenshtein(key, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

// The raw shape of the configuration, mirroring config/default.toml. Every
// field is a plain type: enumerations, durations and URLs are parsed by the
// `Validator`, which can report them all at once.
#[derive(Deserialize)]
struct RawSettings {
    general: RawGeneral,
    log: RawLog,
    database: RawDatabase,
    identity: RawIdentity,
    llm: RawLlm,
    conversation: RawConversation,
    sql: RawSql,
    admin: RawAdmin,
    audit: RawAudit,
    discord: RawDiscord,
    matrix: RawMatrix,
}

#[derive(Deserialize)]
struct RawGeneral {
    language: String,
    data_dir: String,
    shutdown_grace: String,
}

#[derive(Deserialize)]
struct RawLog {
    format: String,
    level: String,
}

#[derive(Deserialize)]
struct RawDatabase {
    url: String,
    password_file: String,
    max_connections: i64,
    acquire_timeout: String,
    busy_timeout: String,
}

#[derive(Deserialize)]
struct RawIdentity {
    unknown: String,
    contact: String,
    invite_ttl: String,
}

#[derive(Deserialize)]
struct RawLlm {
    endpoints: Vec<String>,
    model: String,
    concurrency: i64,
    queue_capacity: i64,
    num_ctx: i64,
    temperature: f64,
    keep_alive: String,
    connect_timeout: String,
    first_token_timeout: String,
    idle_timeout: String,
}

#[derive(Deserialize)]
struct RawConversation {
    default_mode: String,
    channel_modes: Vec<String>,
    max_history: i64,
    prompts_dir: String,
}

#[derive(Deserialize)]
struct RawSql {
    target: String,
    row_cap: i64,
    timeout: String,
    max_result_mib: i64,
    max_temp_mib: i64,
    preview_rows: i64,
    csv_bom: bool,
    explain: bool,
    schema_budget: i64,
    schema_refresh: String,
    private_results: Vec<String>,
    targets: BTreeMap<String, RawTarget>,
    allowed_schemas: Vec<String>,
    allowed_functions: Vec<String>,
    denied_functions: Vec<String>,
    denied_objects: Vec<String>,
    allow_privileged_account: bool,
}

#[derive(Deserialize)]
struct RawAudit {
    retention: String,
}

#[derive(Deserialize)]
struct RawAdmin {
    enabled: bool,
    bind: String,
}

#[derive(Deserialize)]
struct RawTarget {
    url: String,
    password_file: String,
}

#[derive(Deserialize)]
struct RawDiscord {
    enabled: bool,
    token: SecretString,
    token_file: String,
    guilds: Vec<String>,
    global_commands: bool,
    autoshard: bool,
}

#[derive(Deserialize)]
struct RawMatrix {
    enabled: bool,
    homeserver: String,
    user: String,
    password: SecretString,
    password_file: String,
    access_token: SecretString,
    access_token_file: String,
    device_id: String,
    store_passphrase: SecretString,
    store_passphrase_file: String,
    invites_from: Vec<String>,
}

/// Turns raw values into typed settings, collecting a [`Problem`] for each
/// value it refuses (and carrying on with a placeholder, so that later keys
/// are checked too).
struct Validator {
    origins: BTreeMap<String, Origin>,
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, key: &str, reason: impl Into<String>) {
        let origin = self.origins.get(key).cloned().unwrap_or(Origin::Default);
        self.problems.push(Problem {
            key: key.to_owned(),
            origin,
            reason: reason.into(),
        });
    }

    fn choice<T: Copy>(&mut self, key: &str, value: &str, choices: &[(&str, T)]) -> Option<T> {
        let found = choices.iter().find(|(name, _)| *name == value).map(|c| c.1);
        if found.is_none() {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            self.problem(
                key,
                format!("expected one of {}, got {value:?}", names.join(", ")),
            );
        }
        found
    }

    /// A duration between zero (excluded) and [`MAX_DURATION`]: beyond it,
    /// timers and date arithmetic overflow.
    fn duration(&mut self, key: &str, value: &str) -> Duration {
        match humantime::parse_duration(value) {
            Ok(d) if d > MAX_DURATION => {
                self.problem(key, format!("must be at most 365 days, got {value:?}"));
                Duration::from_secs(1)
            }
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                self.problem(key, "must be longer than zero");
                Duration::from_secs(1)
            }
            Err(e) => {
                self.problem(
                    key,
                    format!("expected a duration such as \"30s\" or \"7d\", got {value:?} ({e})"),
                );
                Duration::from_secs(1)
            }
        }
    }

    /// A secret given inline or as a file. When it is given wrongly (both
    /// forms, an unreadable or empty file) the problem is reported here, and
    /// [`Secret::Broken`] tells the caller not to report it missing as well:
    /// one mistake, one message.
    fn secret(&mut self, key: &str, inline: SecretString, file: &str) -> Secret {
        use secrecy::ExposeSecret;
        let file_key = format!("{key}_file");
        match (inline.expose_secret().is_empty(), file.is_empty()) {
            (true, true) => Secret::Unset,
            (false, true) => Secret::Set(inline),
            (false, false) => {
                self.problem(key, format!("set either {key} or {file_key}, not both"));
                Secret::Broken
            }
            (true, false) => match std::fs::read_to_string(file) {
                Ok(s) if s.trim().is_empty() => {
                    self.problem(&file_key, format!("the file {file} is empty"));
                    Secret::Broken
                }
                // A trailing newline is what editors and `echo` add; it is never part of the secret.
                Ok(s) => Secret::Set(SecretString::from(
                    s.trim_end_matches(['\n', '\r']).to_owned(),
                )),
                Err(e) => {
                    self.problem(&file_key, format!("cannot read {file}: {e}"));
                    Secret::Broken
                }
            },
        }
    }

    /// The password of a database URL given as a file (`…password_file`
    /// beside the URL at `url_key`). A password in the URL as well is the
    /// "both forms" mistake, reported once.
    fn password_file(&mut self, url_key: &str, url: &str, file: &str) -> Option<SecretString> {
        if file.is_empty() {
            return None;
        }
        let file_key = format!("{}.password_file", url_key.trim_end_matches(".url"));
        if Url::parse(url).is_ok_and(|u| u.password().is_some()) {
            self.problem(
                &file_key,
                format!(
                    "{url_key} holds a password already: set either it or {file_key}, not both"
                ),
            );
            return None;
        }
        let key = format!("{}.password", url_key.trim_end_matches(".url"));
        self.secret(&key, SecretString::from(""), file).set()
    }

    fn http_url(&mut self, key: &str, value: &str) -> Option<Url> {
        match Url::parse(value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(url) => {
                self.problem(
                    key,
                    format!(
                        "expected an http:// or https:// URL with a host, got scheme {:?}",
                        url.scheme()
                    ),
                );
                None
            }
            Err(e) => {
                self.problem(key, format!("not a valid URL ({e}): {value:?}"));
                None
            }
        }
    }

    fn settings(&mut self, raw: RawSettings) -> Settings {
        let language = self
            .choice(
                "general.language",
                &raw.general.language,
                &[("en", Lang::En), ("fr", Lang::Fr)],
            )
            .unwrap_or(Lang::En);
        if raw.general.data_dir.trim().is_empty() {
            self.problem("general.data_dir", "must not be empty");
        }
        let data_dir = PathBuf::from(&raw.general.data_dir);
        let general = GeneralSettings {
            language,
            shutdown_grace: self.duration("general.shutdown_grace", &raw.general.shutdown_grace),
            data_dir: data_dir.clone(),
        };

        let format = self
            .choice(
                "log.format",
                &raw.log.format,
                &[("human", LogFormat::Human), ("json", LogFormat::Json)],
            )
            .unwrap_or(LogFormat::Human);
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&raw.log.level) {
            self.problem(
                "log.level",
                format!("not a log filter such as \"info\" or \"info,pstral=debug\": {e}"),
            );
        }
        let log = LogSettings {
            format,
            level: raw.log.level,
        };

        let database = self.database(raw.database, &data_dir);

        let identity = IdentitySettings {
            unknown: self
                .choice(
                    "identity.unknown",
                    &raw.identity.unknown,
                    &[
                        ("refuse", UnknownPolicy::Refuse),
                        ("auto_viewer", UnknownPolicy::AutoViewer),
                    ],
                )
                .unwrap_or(UnknownPolicy::Refuse),
            contact: raw.identity.contact.clone(),
            invite_ttl: self.duration("identity.invite_ttl", &raw.identity.invite_ttl),
        };
        if raw.identity.contact.trim().is_empty() {
            self.problem(
                "identity.contact",
                "must say who gives out invite codes (it is shown to unknown users)",
            );
        }

        let llm = self.llm(raw.llm);
        let conversation = self.conversation(raw.conversation);
        let sql = self.sql(raw.sql);
        let audit = AuditSettings {
            retention: (!raw.audit.retention.trim().is_empty())
                .then(|| self.duration("audit.retention", &raw.audit.retention)),
        };
        let admin = match raw.admin.bind.parse::<std::net::SocketAddr>() {
            Ok(bind) => raw.admin.enabled.then_some(AdminSettings { bind }),
            Err(e) => {
                self.problem(
                    "admin.bind",
                    format!(
                        "expected an address such as \"127.0.0.1:8089\", got {:?} ({e})",
                        raw.admin.bind
                    ),
                );
                None
            }
        };

        let discord_token =
            self.secret("discord.token", raw.discord.token, &raw.discord.token_file);
        let discord = match (raw.discord.enabled, discord_token) {
            (false, _) | (true, Secret::Broken) => None,
            (true, Secret::Set(token)) => {
                let mut guilds = Vec::new();
                for g in &raw.discord.guilds {
                    match g.parse::<u64>() {
                        Ok(id) if id > 0 => guilds.push(id),
                        _ => self.problem(
                            "discord.guilds",
                            format!("a guild id is a number (a snowflake), got {g:?}"),
                        ),
                    }
                }
                Some(DiscordSettings {
                    token,
                    guilds,
                    global_commands: raw.discord.global_commands,
                    autoshard: raw.discord.autoshard,
                })
            }
            (true, Secret::Unset) => {
                self.problem(
                    "discord.token",
                    format!(
                        "Discord is enabled but has no bot token: set {} or {}",
                        env_var_for("discord.token"),
                        env_var_for("discord.token_file")
                    ),
                );
                None
            }
        };

        let matrix = self.matrix(raw.matrix);

        Settings {
            general,
            log,
            database,
            identity,
            llm,
            conversation,
            sql,
            admin,
            audit,
            discord,
            matrix,
        }
    }

    fn sql(&mut self, raw: RawSql) -> SqlSettings {
        for (key, list) in [
            ("sql.allowed_schemas", &raw.allowed_schemas),
            ("sql.allowed_functions", &raw.allowed_functions),
            ("sql.denied_functions", &raw.denied_functions),
            ("sql.denied_objects", &raw.denied_objects),
        ] {
            if let Some(bad) = list
                .iter()
                .find(|s| s.trim().is_empty() || s.contains(char::is_whitespace))
            {
                self.problem(key, format!("{bad:?} is not a name or pattern"));
            }
        }
        for name in &raw.allowed_functions {
            if let Some(why) = crate::sql::validate::functions::refuse_in_configuration(name) {
                self.problem(
                    "sql.allowed_functions",
                    format!("{name:?} cannot be allowed: it {why}"),
                );
            }
        }
        let targets: Vec<Target> = raw
            .targets
            .iter()
            .filter_map(|(name, t)| self.target(name, t))
            .collect();
        let target = match targets.iter().find(|t| t.name == raw.target) {
            Some(t) => t.clone(),
            None => {
                let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                self.problem(
                    "sql.target",
                    format!(
                        "there is no [sql.targets.{}]; the targets are {}",
                        raw.target,
                        names.join(", ")
                    ),
                );
                Target {
                    name: raw.target.clone(),
                    kind: TargetKind::Sqlite(PathBuf::from("data/demo.db")),
                }
            }
        };
        SqlSettings {
            allow_privileged_account: raw.allow_privileged_account,
            policy: {
                // The configured patterns add to the built-in ones: a list
                // with one extra name must not silently drop the rest.
                let mut policy = crate::sql::validate::Policy::new(target.dialect());
                policy.allowed_schemas = raw.allowed_schemas;
                policy.allowed_functions = raw.allowed_functions;
                policy.denied_functions.extend(raw.denied_functions);
                policy.denied_objects.extend(raw.denied_objects);
                policy
            },
            target,
            targets,
            limits: crate::sql::exec::Limits {
                row_cap: self.whole("sql.row_cap", raw.row_cap, 1..=1_000_000) as u64,
                timeout: self.duration("sql.timeout", &raw.timeout),
                max_result_bytes: self.whole("sql.max_result_mib", raw.max_result_mib, 1..=16_384)
                    as u64
                    * 1024
                    * 1024,
                max_temp_bytes: self.whole("sql.max_temp_mib", raw.max_temp_mib, 1..=1_048_576)
                    as u64
                    * 1024
                    * 1024,
            },
            preview_rows: self.whole("sql.preview_rows", raw.preview_rows, 0..=200) as usize,
            csv_bom: raw.csv_bom,
            explain: raw.explain,
            schema_budget: self.whole("sql.schema_budget", raw.schema_budget, 0..=100_000) as usize,
            schema_refresh: self.duration("sql.schema_refresh", &raw.schema_refresh),
            private_results: raw
                .private_results
                .iter()
                .filter_map(|entry| {
                    let parsed = entry
                        .split_once(':')
                        .filter(|(p, c)| !p.is_empty() && !c.is_empty() && !c.contains(' '));
                    if parsed.is_none() {
                        self.problem(
                            "sql.private_results",
                            format!(
                                "expected \"PLATFORM:CHANNEL\" or \"PLATFORM:*\", got {entry:?}"
                            ),
                        );
                    }
                    parsed.map(|(p, c)| (p.to_owned(), c.to_owned()))
                })
                .collect(),
        }
    }

    fn target(&mut self, name: &str, raw: &RawTarget) -> Option<Target> {
        let key = format!("sql.targets.{name}.url");
        let password = self.password_file(&key, &raw.url, &raw.password_file);
        let kind = if let Some(path) = raw
            .url
            .strip_prefix("sqlite://")
            .or_else(|| raw.url.strip_prefix("sqlite:"))
        {
            TargetKind::Sqlite(PathBuf::from(path))
        } else {
            match Url::parse(&raw.url) {
                Ok(mut url)
                    if matches!(url.scheme(), "postgres" | "postgresql")
                        && url.host().is_some() =>
                {
                    if let Some(p) = &password {
                        use secrecy::ExposeSecret;
                        let _ = url.set_password(Some(p.expose_secret()));
                    }
                    TargetKind::Postgres(DatabaseUrl::Postgres(url))
                }
                Ok(url)
                    if url.scheme() == "oracle"
                        && url.host().is_some()
                        && !url.username().is_empty() =>
                {
                    let password = match (url.password(), password) {
                        (_, Some(p)) => Some(RedactedSecret(p)),
                        (Some(inline), None) => {
                            Some(RedactedSecret(SecretString::from(inline.to_owned())))
                        }
                        (None, None) => None,
                    };
                    let host = url.host_str().unwrap_or_default();
                    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                    TargetKind::Oracle {
                        user: url.username().to_owned(),
                        password,
                        connect: format!("{host}{port}{}", url.path()),
                    }
                }
                Ok(_) | Err(_) => {
                    self.problem(
                        &key,
                        "expected sqlite:PATH, postgres://USER@HOST/DB or oracle://USER@HOST:PORT/SERVICE",
                    );
                    return None;
                }
            }
        };
        Some(Target {
            name: name.to_owned(),
            kind,
        })
    }

    fn whole(&mut self, key: &str, value: i64, range: std::ops::RangeInclusive<i64>) -> i64 {
        if range.contains(&value) {
            value
        } else {
            self.problem(
                key,
                format!(
                    "must be between {} and {}, got {value}",
                    range.start(),
                    range.end()
                ),
            );
            *range.start()
        }
    }

    fn llm(&mut self, raw: RawLlm) -> LlmSettings {
        if raw.endpoints.is_empty() {
            self.problem("llm.endpoints", "needs at least one Ollama URL");
        }
        let endpoints = raw
            .endpoints
            .iter()
            .filter_map(|e| {
                // A base URL: joining "api/chat" must keep any path prefix.
                let with_slash = if e.ends_with('/') {
                    e.clone()
                } else {
                    format!("{e}/")
                };
                self.http_url("llm.endpoints", &with_slash)
            })
            .collect();
        if raw.model.trim().is_empty() {
            self.problem(
                "llm.model",
                "must name a model, such as \"qwen2.5-coder:7b\"",
            );
        }
        if !(0.0..=2.0).contains(&raw.temperature) {
            self.problem(
                "llm.temperature",
                format!("must be between 0 and 2, got {}", raw.temperature),
            );
        }
        let options = crate::llm::ModelOptions {
            model: raw.model,
            num_ctx: self.whole("llm.num_ctx", raw.num_ctx, 512..=1_048_576) as u32,
            temperature: raw.temperature,
            keep_alive: self.duration("llm.keep_alive", &raw.keep_alive),
        };
        LlmSettings {
            endpoints,
            options,
            concurrency: self.whole("llm.concurrency", raw.concurrency, 1..=1024) as usize,
            queue_capacity: self.whole("llm.queue_capacity", raw.queue_capacity, 1..=100_000)
                as usize,
            timeouts: crate::llm::Timeouts {
                connect: self.duration("llm.connect_timeout", &raw.connect_timeout),
                first_token: self.duration("llm.first_token_timeout", &raw.first_token_timeout),
                idle: self.duration("llm.idle_timeout", &raw.idle_timeout),
            },
        }
    }

    fn conversation(&mut self, raw: RawConversation) -> ConversationSettings {
        use crate::conversation::Mode;
        let modes = [("sql", Mode::Sql), ("chat", Mode::Chat)];
        let default_mode = self
            .choice("conversation.default_mode", &raw.default_mode, &modes)
            .unwrap_or(Mode::Sql);
        let mut channel_modes = Vec::new();
        for entry in &raw.channel_modes {
            let parsed = entry.rsplit_once('=').and_then(|(place, mode)| {
                let (platform, channel) = place.split_once(':')?;
                let mode = mode.parse::<Mode>().ok()?;
                (!platform.is_empty() && !channel.is_empty())
                    .then(|| (platform.to_owned(), channel.to_owned(), mode))
            });
            match parsed {
                Some(p) => channel_modes.push(p),
                None => self.problem(
                    "conversation.channel_modes",
                    format!("expected \"PLATFORM:CHANNEL=sql\" or \"…=chat\", got {entry:?}"),
                ),
            }
        }
        let prompts_dir = (!raw.prompts_dir.is_empty()).then(|| PathBuf::from(&raw.prompts_dir));
        if let Some(dir) = prompts_dir.as_ref().filter(|d| !d.is_dir()) {
            self.problem(
                "conversation.prompts_dir",
                format!("{} is not a directory", dir.display()),
            );
        }
        ConversationSettings {
            default_mode,
            channel_modes,
            max_history: self.whole("conversation.max_history", raw.max_history, 0..=200) as u32,
            prompts_dir,
        }
    }

    fn database(&mut self, raw: RawDatabase, data_dir: &Path) -> DatabaseSettings {
        let url = if raw.url.is_empty() {
            DatabaseUrl::Sqlite(data_dir.join("pstral.db"))
        } else if let Some(path) = raw
            .url
            .strip_prefix("sqlite://")
            .or_else(|| raw.url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                self.problem(
                    "database.url",
                    "a sqlite: URL needs a file path, such as sqlite:data/pstral.db",
                );
            }
            DatabaseUrl::Sqlite(PathBuf::from(path))
        } else {
            match Url::parse(&raw.url) {
                Ok(url)
                    if matches!(url.scheme(), "postgres" | "postgresql")
                        && url.host().is_some() =>
                {
                    DatabaseUrl::Postgres(url)
                }
                Ok(url) => {
                    self.problem(
                        "database.url",
                        format!(
                            "expected sqlite:PATH or postgres://USER@HOST/DB, got a {:?} URL",
                            url.scheme()
                        ),
                    );
                    DatabaseUrl::Sqlite(data_dir.join("pstral.db"))
                }
                Err(e) => {
                    // The URL may carry a password: do not echo it.
                    self.problem(
                        "database.url",
                        format!(
                            "not a valid URL ({e}); expected sqlite:PATH or postgres://USER@HOST/DB"
                        ),
                    );
                    DatabaseUrl::Sqlite(data_dir.join("pstral.db"))
                }
            }
        };
        let password = if raw.password_file.is_empty() {
            None
        } else if matches!(url, DatabaseUrl::Postgres(_)) {
            self.password_file("database.url", &raw.url, &raw.password_file)
        } else {
            self.problem(
                "database.password_file",
                "only applies to a postgres:// database.url",
            );
            None
        };
        let max_connections = match u32::try_from(raw.max_connections) {
            Ok(n @ 1..=1000) => n,
            _ => {
                self.problem(
                    "database.max_connections",
                    format!("must be between 1 and 1000, got {}", raw.max_connections),
                );
                1
            }
        };
        DatabaseSettings {
            url,
            password,
            max_connections,
            acquire_timeout: self.duration("database.acquire_timeout", &raw.acquire_timeout),
            busy_timeout: self.duration("database.busy_timeout", &raw.busy_timeout),
        }
    }

    fn matrix(&mut self, raw: RawMatrix) -> Option<MatrixSettings> {
        // Values are checked even when Matrix is disabled: a typo should be
        // found before the day someone turns it on.
        let homeserver = if raw.homeserver.is_empty() {
            None
        } else {
            self.http_url("matrix.homeserver", &raw.homeserver)
        };
        let user_ok = raw.user.is_empty()
            || format!("matrix:{}", raw.user)
                .parse::<pstral_chat::PlatformIdentity>()
                .is_ok();
        if !user_ok {
            self.problem(
                "matrix.user",
                format!(
                    "expected a Matrix user id such as \"@pstral:example.org\", got {:?}",
                    raw.user
                ),
            );
        }
        let password = self.secret("matrix.password", raw.password, &raw.password_file);
        let token = self.secret(
            "matrix.access_token",
            raw.access_token,
            &raw.access_token_file,
        );
        let passphrase = self.secret(
            "matrix.store_passphrase",
            raw.store_passphrase,
            &raw.store_passphrase_file,
        );
        for entry in &raw.invites_from {
            let ok = if let Some(local) = entry.strip_prefix('@') {
                local
                    .split_once(':')
                    .is_some_and(|(l, s)| !l.is_empty() && !s.is_empty())
            } else {
                !entry.is_empty() && !entry.contains(char::is_whitespace) && !entry.contains('@')
            };
            if !ok {
                self.problem(
                    "matrix.invites_from",
                    format!("expected a user id (@ana:example.org) or a server (example.org), got {entry:?}"),
                );
            }
        }
        if !raw.enabled {
            return None;
        }
        if matches!(passphrase, Secret::Unset) {
            self.problem(
                "matrix.store_passphrase",
                format!(
                    "Matrix is enabled but its store has no passphrase: set {} or {}",
                    env_var_for("matrix.store_passphrase"),
                    env_var_for("matrix.store_passphrase_file")
                ),
            );
        }
        if raw.homeserver.is_empty() {
            self.problem(
                "matrix.homeserver",
                "Matrix is enabled but has no homeserver URL",
            );
        }
        if raw.user.is_empty() {
            self.problem("matrix.user", "Matrix is enabled but has no bot user id");
        }
        let login = match (password, token) {
            // Already reported where it was read.
            (Secret::Broken, _) | (_, Secret::Broken) => None,
            (Secret::Set(password), _) => Some(MatrixLogin::Password(password)),
            (Secret::Unset, Secret::Set(access_token)) if !raw.device_id.is_empty() => {
                Some(MatrixLogin::Token {
                    access_token,
                    device_id: raw.device_id,
                })
            }
            (Secret::Unset, Secret::Set(_)) => {
                self.problem(
                    "matrix.device_id",
                    "an access token is given without the device it was issued for",
                );
                None
            }
            (Secret::Unset, Secret::Unset) => {
                self.problem(
                    "matrix.password",
                    format!(
                        "Matrix is enabled but has no password or access token: set {} or {}",
                        env_var_for("matrix.password"),
                        env_var_for("matrix.access_token")
                    ),
                );
                None
            }
        };
        Some(MatrixSettings {
            homeserver: homeserver?,
            user: raw.user,
            login: login?,
            store_passphrase: passphrase.set()?,
            invites_from: raw.invites_from,
        })
        .filter(|_| user_ok)
    }
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            other => Err(format!("expected human or json, got {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(toml: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        f.write_all(toml.as_bytes()).unwrap();
        f
    }

    fn problems(file_toml: &str, vars: &[(&str, &str)]) -> Vec<Problem> {
        let f = file(file_toml);
        match load_layers(Some(f.path()), env(vars)) {
            Err(ConfigError::Invalid(p)) => p,
            Err(other) => panic!("expected problems, got {other}"),
            Ok(_) => panic!("expected problems, the configuration was accepted"),
        }
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let s = Settings::defaults();
        assert_eq!(s.general.language, Lang::En);
        assert_eq!(
            s.database.url,
            DatabaseUrl::Sqlite(PathBuf::from("data/pstral.db"))
        );
        assert!(s.discord.is_none() && s.matrix.is_none());
    }

    #[test]
    fn file_then_environment_override_the_defaults() {
        let f = file("[general]\nlanguage = \"fr\"\n[database]\nmax_connections = 3\n");
        let s = load_layers(
            Some(f.path()),
            env(&[
                ("PSTRAL__DATABASE__MAX_CONNECTIONS", "5"),
                (
                    "PSTRAL__DATABASE__URL",
                    "postgres://u:hunter2@db.internal/pstral",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(s.general.language, Lang::Fr);
        assert_eq!(
            s.database.max_connections, 5,
            "the environment wins over the file"
        );
        let shown = format!("{s:?}");
        assert!(shown.contains("db.internal"), "{shown}");
        assert!(
            !shown.contains("hunter2"),
            "a password leaked into Debug: {shown}"
        );
    }

    #[test]
    fn secrets_come_from_a_file_and_never_show_in_debug() {
        let secret = file("s3cr3t-token\n");
        let f = file(&format!(
            "[discord]\nenabled = true\ntoken_file = {:?}\n",
            secret.path()
        ));
        let s = load_layers(Some(f.path()), BTreeMap::new()).unwrap();
        let token = &s.discord.as_ref().unwrap().token;
        assert_eq!(token.expose_secret(), "s3cr3t-token");
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn five_mistakes_are_all_named_with_their_key() {
        let found = problems(
            r#"
            [general]
            langage = "fr"
            [database]
            max_connections = "many"
            [identity]
            unknown = "welcome"
            invite_ttl = "a week"
            [discord]
            enabled = true
            [matrix]
            homeserver = "matrix.example.org"
            "#,
            &[("PSTRAL__LOG__FORMAT", "xml")],
        );
        let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
        for expected in [
            "general.langage",
            "database.max_connections",
            "identity.unknown",
            "identity.invite_ttl",
            "discord.token",
            "matrix.homeserver",
            "log.format",
        ] {
            assert!(
                keys.contains(&expected),
                "{expected} not reported in {keys:?}"
            );
        }
        let text = ConfigError::Invalid(found.clone()).to_string();
        assert!(text.contains("did you mean `general.language`"), "{text}");
        assert!(text.contains("PSTRAL__LOG__FORMAT"), "{text}");
        assert!(text.contains("PSTRAL__DISCORD__TOKEN"), "{text}");
    }

    #[test]
    fn durations_are_bounded_so_timers_cannot_overflow() {
        let found = problems("[identity]\ninvite_ttl = \"1000000y\"\n", &[]);
        assert_eq!(found[0].key, "identity.invite_ttl");
        assert!(
            found[0].reason.contains("at most 365 days"),
            "{}",
            found[0].reason
        );
    }

    #[test]
    fn a_password_in_the_url_query_is_redacted_too() {
        let url = DatabaseUrl::Postgres(
            Url::parse("postgres://u@db/pstral?sslmode=require&password=hunter2").unwrap(),
        );
        let shown = url.redacted();
        assert!(
            !shown.contains("hunter2") && shown.contains("sslmode=require"),
            "{shown}"
        );
    }

    #[test]
    fn a_secret_of_the_wrong_type_is_not_echoed() {
        let found = problems("[matrix]\npassword = 123456\n", &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].reason.contains("123456"), "{}", found[0].reason);
    }

    #[test]
    fn environment_strings_are_parsed_to_the_default_type() {
        let f = file("");
        let s = load_layers(
            Some(f.path()),
            env(&[
                ("PSTRAL__DISCORD__ENABLED", "false"),
                ("PSTRAL__DATABASE__MAX_CONNECTIONS", "12"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.max_connections, 12);
        let found = problems("", &[("PSTRAL__DATABASE__MAX_CONNECTIONS", "twelve")]);
        assert_eq!(
            found[0].origin,
            Origin::Env("PSTRAL__DATABASE__MAX_CONNECTIONS".into())
        );
    }

    #[test]
    fn the_example_file_uses_only_known_keys() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
        match load_layers(Some(&example), BTreeMap::new()) {
            Ok(_) => {}
            // Its secret files exist only on a deployed host.
            Err(ConfigError::Invalid(problems)) => {
                for p in problems {
                    assert!(p.key.ends_with("_file"), "{p}");
                }
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn execute_targets_are_named_sections_checked_like_any_other() {
        let f = file(
            "[sql]\ntarget = \"prod\"\n[sql.targets.prod]\nurl = \"oracle://reader:s3cret@db.example:1521/CRM\"\n\
             [sql.targets.reporting]\nurl = \"postgres://ro@pg.example/crm\"\n",
        );
        let s = load_layers(Some(f.path()), BTreeMap::new()).unwrap();
        assert_eq!(s.sql.target.name, "prod");
        assert_eq!(s.sql.policy.dialect, crate::sql::Dialect::Oracle);
        assert!(
            matches!(&s.sql.target.kind, TargetKind::Oracle { user, connect, .. } if user == "reader" && connect == "db.example:1521/CRM")
        );
        assert_eq!(s.sql.targets.len(), 3, "demo, prod, reporting");
        assert!(!format!("{s:?}").contains("s3cret"));

        let found = problems(
            "[sql.targets.bad]\nurl = \"mysql://x\"\nurll = 1\n[sql]\ntarget = \"nope\"\n",
            &[],
        );
        let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"sql.targets.bad.url"), "{keys:?}");
        assert!(keys.contains(&"sql.targets.bad.urll"), "{keys:?}");
        assert!(keys.contains(&"sql.target"), "{keys:?}");
    }

    #[test]
    fn a_missing_file_is_a_load_error() {
        let err =
            load_layers(Some(Path::new("/nonexistent/pstral.toml")), BTreeMap::new()).unwrap_err();
        assert!(matches!(err, ConfigError::Load(_)), "{err}");
    }
}
