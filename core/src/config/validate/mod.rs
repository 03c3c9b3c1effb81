//! Raw values into typed settings, with one [`Problem`] for each value
//! refused, so that one run of `pstral check` names every mistake.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::env_var_for;
use super::raw::*;
use super::{GeneralSettings, Origin, Problem, Settings};
use crate::admin::AdminSettings;
use crate::audit::AuditSettings;
use crate::conversation::ConversationSettings;
use crate::i18n::Lang;
use crate::identity::{IdentitySettings, UnknownPolicy};
use crate::llm::{Api, EndpointSettings, LlmSettings};
use crate::sql::{RedactedSecret, SqlSettings, Target, TargetKind};
use crate::store::{DatabaseSettings, DatabaseUrl};
use crate::telemetry::{LogFormat, LogSettings};

mod sql;

/// The longest duration any key accepts.
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

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

/// Turns raw values into typed settings, collecting a [`Problem`] for each
/// value it refuses (and carrying on with a placeholder, so that later keys
/// are checked too).
pub(super) struct Validator {
    pub(super) origins: BTreeMap<String, Origin>,
    pub(super) problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, key: &str, reason: impl Into<String>) {
        // An entry of a list (`llm.endpoints[1].url`) comes from where the list does.
        let origin = self
            .origins
            .get(key)
            .or_else(|| {
                key.split_once('[')
                    .and_then(|(list, _)| self.origins.get(list))
            })
            .cloned()
            .unwrap_or(Origin::Default);
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

    /// The items of a list whose values are the names of `all`, in order;
    /// each unknown name a problem of `key` that lists the names.
    fn named_list<T: Copy>(
        &mut self,
        key: &str,
        given: &[String],
        all: &[T],
        name: fn(T) -> &'static str,
        what: &str,
    ) -> Vec<T> {
        given
            .iter()
            .filter_map(|given| {
                let found = all.iter().copied().find(|t| name(*t) == given);
                if found.is_none() {
                    let names: Vec<&str> = all.iter().map(|t| name(*t)).collect();
                    self.problem(
                        key,
                        format!("{given:?} is not {what}; they are {}", names.join(", ")),
                    );
                }
                found
            })
            .collect()
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
        pstral_chat::settings::http_url(value)
            .map_err(|why| self.problem(key, why))
            .ok()
    }

    pub(super) fn settings(&mut self, raw: RawSettings) -> Settings {
        let general = self.general(&raw.general);
        let log = self.log(raw.log);
        let database = self.database(raw.database, &general.data_dir);
        let identity = self.identity(&raw.identity);
        let llm = self.llm(raw.llm);
        let conversation = self.conversation(raw.conversation);
        let access = self.access(&raw.access, &raw.groups);
        let group_names = access.group_names();
        let sql = self.sql(raw.sql, &general.data_dir, &group_names);
        let audit = AuditSettings {
            retention: (!raw.audit.retention.trim().is_empty())
                .then(|| self.duration("audit.retention", &raw.audit.retention)),
        };
        let admin = self.admin(&raw.admin);
        let takeover = self.duration("ha.takeover", &raw.ha.takeover);
        if takeover < crate::replicas::MIN_TAKEOVER {
            self.problem(
                "ha.takeover",
                format!(
                    "must be at least {:?}: a leader stops serving after half of it without \
                     the database, and needs that time to stop; got {:?}",
                    crate::replicas::MIN_TAKEOVER,
                    raw.ha.takeover
                ),
            );
        }
        let ha = crate::replicas::HaSettings {
            takeover,
            replica: match raw.ha.replica.trim() {
                "" => crate::replicas::default_name(),
                name => name.to_owned(),
            },
        };

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
            ha,
            access,
            platforms: Vec::new(),
        }
    }

    /// `[general]`: the language, the data folder, the shutdown's grace.
    fn general(&mut self, raw: &RawGeneral) -> GeneralSettings {
        let language = self
            .choice(
                "general.language",
                &raw.language,
                &[("en", Lang::En), ("fr", Lang::Fr)],
            )
            .unwrap_or(Lang::En);
        if raw.data_dir.trim().is_empty() {
            self.problem("general.data_dir", "must not be empty");
        }
        GeneralSettings {
            language,
            shutdown_grace: self.duration("general.shutdown_grace", &raw.shutdown_grace),
            data_dir: PathBuf::from(&raw.data_dir),
        }
    }

    /// `[log]`: the format and a filter that parses.
    fn log(&mut self, raw: RawLog) -> LogSettings {
        let format = self
            .choice(
                "log.format",
                &raw.format,
                &[("human", LogFormat::Human), ("json", LogFormat::Json)],
            )
            .unwrap_or(LogFormat::Human);
        if let Err(e) =
            tracing_subscriber::EnvFilter::try_new(crate::telemetry::filter_for(&raw.level, &[]))
        {
            self.problem(
                "log.level",
                format!("not a log filter such as \"info\" or \"info,pstral=debug\": {e}"),
            );
        }
        LogSettings {
            format,
            level: raw.level,
        }
    }

    /// `[identity]`: what becomes of an unknown user, who to ask for a
    /// code, how long a code lasts.
    fn identity(&mut self, raw: &RawIdentity) -> IdentitySettings {
        let identity = IdentitySettings {
            unknown: self
                .choice(
                    "identity.unknown",
                    &raw.unknown,
                    &[
                        ("refuse", UnknownPolicy::Refuse),
                        ("auto_viewer", UnknownPolicy::AutoViewer),
                    ],
                )
                .unwrap_or(UnknownPolicy::Refuse),
            contact: raw.contact.clone(),
            invite_ttl: self.duration("identity.invite_ttl", &raw.invite_ttl),
        };
        if raw.contact.trim().is_empty() {
            self.problem(
                "identity.contact",
                "must say who gives out invite codes (it is shown to unknown users)",
            );
        }
        identity
    }

    /// `[admin]`: the proxies trusted, where metrics are served, and where
    /// the endpoint listens; `None` when it is off.
    fn admin(&mut self, raw: &RawAdmin) -> Option<AdminSettings> {
        let mut trusted_proxies = Vec::new();
        for proxy in &raw.trusted_proxies {
            let proxy = proxy.trim();
            match proxy
                .parse::<ipnet::IpNet>()
                .or_else(|_| proxy.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            {
                Ok(net) => trusted_proxies.push(net),
                Err(_) => self.problem(
                    "admin.trusted_proxies",
                    format!(
                        "expected an address or a network such as \"10.0.0.5\" or \"10.0.0.0/8\", got {proxy:?}"
                    ),
                ),
            }
        }
        let metrics_bind = match raw.metrics_bind.trim() {
            "" => None,
            bind => match bind.parse::<std::net::SocketAddr>() {
                Ok(bind) => Some(bind),
                Err(e) => {
                    self.problem(
                        "admin.metrics_bind",
                        format!("expected an address such as \"0.0.0.0:9464\", got {bind:?} ({e})"),
                    );
                    None
                }
            },
        };
        match raw.bind.parse::<std::net::SocketAddr>() {
            Ok(bind) => raw.enabled.then_some(AdminSettings {
                bind,
                trusted_proxies: crate::admin::TrustedProxies {
                    nets: trusted_proxies,
                    loopback: raw.trust_loopback_proxy,
                },
                metrics_bind,
            }),
            Err(e) => {
                self.problem(
                    "admin.bind",
                    format!(
                        "expected an address such as \"127.0.0.1:8089\", got {:?} ({e})",
                        raw.bind
                    ),
                );
                None
            }
        }
    }

    /// `[access]` and the `[groups.NAME]` sections: each rule read, every
    /// mistake named by its key.
    fn access(
        &mut self,
        raw: &RawAccess,
        groups: &BTreeMap<String, RawGroup>,
    ) -> crate::access::Rules {
        let ungrouped = self
            .choice(
                "access.ungrouped",
                &raw.ungrouped,
                &[
                    ("everything", crate::access::Ungrouped::Everything),
                    ("nothing", crate::access::Ungrouped::Nothing),
                ],
            )
            .unwrap_or(crate::access::Ungrouped::Nothing);
        let mut read = Vec::new();
        for (name, group) in groups {
            if crate::identity::check_group_name(name).is_err() {
                self.problem(
                    &format!("groups.{name}"),
                    "a group's name is 1 to 64 letters, digits, '.', '_' or '-', not starting with '-'",
                );
                continue;
            }
            let mut hidden = Vec::new();
            for rule in &group.hidden {
                match rule.parse::<crate::access::Rule>() {
                    Ok(rule) => hidden.push(rule),
                    Err(e) => self.problem(&format!("groups.{name}.hidden"), e.to_string()),
                }
            }
            read.push(crate::access::Group {
                name: name.clone(),
                description: group.description.clone(),
                hidden,
            });
        }
        let mut rules = crate::access::Rules::new(read, ungrouped);
        rules.closed_places = self.places("access.closed_places", &raw.closed_places);
        rules
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
            self.problem("llm.endpoints", "needs at least one model server");
        }
        let default_key = self.secret("llm.api_key", raw.api_key, &raw.api_key_file);
        let default_key = self.header_value("llm.api_key", default_key.set());
        let endpoints = raw
            .endpoints
            .into_iter()
            .enumerate()
            .filter_map(|(i, entry)| self.endpoint(i, entry, default_key.as_ref()))
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
            max_tokens: match self.whole("llm.max_tokens", raw.max_tokens, 0..=1_048_576) {
                0 => None,
                n => Some(n as u32),
            },
        };
        let embedding_model = raw.embedding_model.trim();
        LlmSettings {
            endpoints,
            options,
            embedding_model: (!embedding_model.is_empty()).then(|| embedding_model.to_owned()),
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

    /// A secret sent in an HTTP header: no control character (a line break
    /// pasted with it would fail every request, far from its cause).
    fn header_value(&mut self, key: &str, secret: Option<SecretString>) -> Option<SecretString> {
        use secrecy::ExposeSecret;
        let secret = secret?;
        if secret.expose_secret().chars().any(char::is_control) {
            self.problem(key, "holds a control character (a line break?)");
            return None;
        }
        Some(secret)
    }

    /// One entry of `llm.endpoints`: a URL (Ollama's, or `openai+` an
    /// OpenAI-compatible API's) or a table.
    fn endpoint(
        &mut self,
        index: usize,
        entry: RawEndpoint,
        default_key: Option<&SecretString>,
    ) -> Option<EndpointSettings> {
        let key = format!("llm.endpoints[{index}]");
        // A URL's problem is reported on the list, as the environment sets it.
        let url_key = match entry {
            RawEndpoint::Url(_) => "llm.endpoints".to_owned(),
            RawEndpoint::Table(_) => format!("{key}.url"),
        };
        let table = match entry {
            RawEndpoint::Url(url) => match url.strip_prefix("openai+") {
                Some(url) => RawEndpointTable {
                    url: url.to_owned(),
                    api: "openai".to_owned(),
                    ..RawEndpointTable::default()
                },
                None => RawEndpointTable {
                    url,
                    ..RawEndpointTable::default()
                },
            },
            RawEndpoint::Table(table) => table,
        };
        let api = if table.api.is_empty() {
            Some(Api::Ollama)
        } else {
            self.choice(
                &format!("{key}.api"),
                &table.api,
                &[("ollama", Api::Ollama), ("openai", Api::OpenAi)],
            )
        };
        let own_key = self
            .secret(
                &format!("{key}.api_key"),
                table.api_key,
                &table.api_key_file,
            )
            .set();
        let api_key = self
            .header_value(&format!("{key}.api_key"), own_key)
            .or_else(|| default_key.cloned());
        if table.url.trim().is_empty() {
            self.problem(&url_key, "must give the server's URL");
            return None;
        }
        // A base URL: joining "api/chat" or "chat/completions" must keep any
        // path prefix (/v1).
        let with_slash = if table.url.ends_with('/') {
            table.url
        } else {
            format!("{}/", table.url)
        };
        let url = self.http_url(&url_key, &with_slash)?;
        let model = table.model.trim();
        Some(EndpointSettings {
            url,
            api: api?,
            model: (!model.is_empty()).then(|| model.to_owned()),
            api_key,
        })
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
            retention: (!raw.retention.trim().is_empty())
                .then(|| self.duration("conversation.retention", &raw.retention)),
        }
    }

    /// A relative SQLite path is read in `general.data_dir`, wherever the
    /// command runs (from another folder, the own database was created
    /// empty, silently). For the own database (`created`: made when
    /// missing), a file found at the path from the working directory, with
    /// none in `data_dir`, is a configuration written for the old reading:
    /// said, never replaced by an empty database. A target that is not
    /// there fails to open, naming its path.
    fn in_data_dir(&mut self, key: &str, path: &str, data_dir: &Path, created: bool) -> PathBuf {
        let path = Path::new(path);
        if path.is_absolute() || path.as_os_str().is_empty() {
            return path.to_owned();
        }
        let resolved = data_dir.join(path);
        if created && !resolved.exists() && path.exists() {
            self.problem(
                key,
                format!(
                    "a relative path is read in general.data_dir, as {}, where there is no \
                     database; the file {} exists from the working directory: write its \
                     absolute path, or one relative to {}",
                    resolved.display(),
                    path.display(),
                    data_dir.display()
                ),
            );
        }
        resolved
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
            DatabaseUrl::Sqlite(self.in_data_dir("database.url", path, data_dir, true))
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
}

impl Validator {
    /// What the adapter of the platform `name` reports its table's problems
    /// to, under `name.key`.
    pub(super) fn check<'v>(&'v mut self, name: &'v str) -> PlatformCheck<'v> {
        PlatformCheck {
            validator: self,
            name,
        }
    }
}

/// A platform's table checked by its adapter (see
/// [`pstral_chat::settings::Check`]), with the core's rules for secrets.
pub(super) struct PlatformCheck<'v> {
    validator: &'v mut Validator,
    name: &'v str,
}

impl PlatformCheck<'_> {
    fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }
}

impl pstral_chat::settings::Check for PlatformCheck<'_> {
    fn problem(&mut self, key: &str, reason: String) {
        let key = self.key(key);
        self.validator.problem(&key, reason);
    }

    fn secret(&mut self, key: &str, inline: &str, file: &str) -> pstral_chat::settings::Secret {
        use pstral_chat::settings::{Secret as Given, SecretText};
        use secrecy::ExposeSecret;
        let key = self.key(key);
        match self
            .validator
            .secret(&key, SecretString::from(inline.to_owned()), file)
        {
            Secret::Unset => Given::Unset,
            Secret::Broken => Given::Broken,
            Secret::Set(secret) => Given::Set(SecretText::new(secret.expose_secret().to_owned())),
        }
    }

    fn env_var(&self, key: &str) -> String {
        env_var_for(&self.key(key))
    }
}
