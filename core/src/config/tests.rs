//! The configuration as a user writes it, right and wrong.

use super::*;
use crate::sql::TargetKind;
use crate::store::DatabaseUrl;
use secrecy::ExposeSecret;
use std::io::Write;
use url::Url;

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
    assert!(s.platforms.is_empty());
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
        "[llm]\nendpoints = [\"openai+http://vllm:8000/v1\"]\napi_key_file = {:?}\n",
        secret.path()
    ));
    let s = load_layers(Some(f.path()), BTreeMap::new()).unwrap();
    let key = s.llm.endpoints[0].api_key.as_ref().unwrap();
    assert_eq!(key.expose_secret(), "s3cr3t-token");
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
        [sql]
        row_cap = -1
        "#,
        &[("PSTRAL__LOG__FORMAT", "xml")],
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    for expected in [
        "general.langage",
        "database.max_connections",
        "identity.unknown",
        "identity.invite_ttl",
        "sql.row_cap",
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
fn a_takeover_too_short_for_a_leader_to_stop_in_is_refused() {
    let found = problems("", &[("PSTRAL__HA__TAKEOVER", "500ms")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "ha.takeover");
    assert!(
        found[0].reason.contains("at least 2s"),
        "{}",
        found[0].reason
    );
    let s = load_layers(None, env(&[("PSTRAL__HA__REPLICA", "  ")])).unwrap();
    assert_eq!(s.ha.takeover, std::time::Duration::from_secs(10));
    assert!(s.ha.replica.contains(':'), "host:pid, got {}", s.ha.replica);
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
    let found = problems("[llm]\napi_key = 123456\n", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(!found[0].reason.contains("123456"), "{}", found[0].reason);
}

#[test]
fn environment_strings_are_parsed_to_the_default_type() {
    let f = file("");
    let s = load_layers(
        Some(f.path()),
        env(&[
            ("PSTRAL__ADMIN__ENABLED", "false"),
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
fn a_groups_account_is_another_login_to_the_targets_own_database() {
    let base = "[groups.sales]\nhidden = [\"clients.iban\"]\n[groups.north]\nhidden = []\n\
                [sql]\ntarget = \"crm\"\n[sql.targets.crm]\nurl = \"postgres://ro@db.example/crm\"\n";
    let f = file(&format!(
        "{base}accounts = [\"sales = postgres://sales_ro@DB.example:5432/crm\"]\n"
    ));
    let s = load_layers(Some(f.path()), BTreeMap::new()).unwrap();
    assert_eq!(s.sql.target.accounts.len(), 1);

    let found = problems(
        &format!(
            "{base}accounts = [\"sales = postgres://sales_ro@db.example/other\", \
             \"north = oracle://u:p@db.example:1521/CRM\", \"nobody = postgres://x@db.example/crm\", \"sales\"]\n"
        ),
        &[],
    );
    let said: Vec<String> = found
        .iter()
        .map(|p| format!("{}: {}", p.key, p.reason))
        .collect();
    assert_eq!(said.len(), 4, "one mistake, one message: {said:#?}");
    assert!(
        said[0].contains("sales's account reaches db.example:5432/other, not the target's database db.example:5432/crm"),
        "{said:#?}"
    );
    assert!(
        said[1].contains("north's account is not on the target's kind of database"),
        "{said:#?}"
    );
    assert!(said[2].contains("there is no [groups.nobody]"), "{said:#?}");
    assert!(said[3].contains("expected \"GROUP = URL\""), "{said:#?}");
    assert!(
        said.iter()
            .all(|s| s.starts_with("sql.targets.crm.accounts")),
        "{said:#?}"
    );
}

#[test]
fn a_missing_file_is_a_load_error() {
    let err =
        load_layers(Some(Path::new("/nonexistent/pstral.toml")), BTreeMap::new()).unwrap_err();
    assert!(matches!(err, ConfigError::Load(_)), "{err}");
}

#[test]
fn model_servers_of_either_api_share_one_list() {
    let key = file("sk-from-a-file\n");
    let f = file(&format!(
        r#"
        [llm]
        model = "qwen2.5-coder:7b"
        api_key = "sk-default"
        endpoints = [
          {{ url = "http://gpu1:8000/v1", api = "openai", model = "Qwen/Qwen2.5-Coder-7B-Instruct", api_key_file = {:?} }},
          {{ url = "http://lmstudio:1234/v1", api = "openai" }},
          "http://127.0.0.1:11434",
        ]
        max_tokens = 512
        embedding_model = "nomic-embed-text"
        "#,
        key.path()
    ));
    let s = load_layers(Some(f.path()), BTreeMap::new()).unwrap();
    let e = &s.llm.endpoints;
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].api, crate::llm::Api::OpenAi);
    assert_eq!(e[0].url.as_str(), "http://gpu1:8000/v1/");
    assert_eq!(
        e[0].model.as_deref(),
        Some("Qwen/Qwen2.5-Coder-7B-Instruct")
    );
    let key_of = |i: usize| e[i].api_key.as_ref().map(|k| k.expose_secret().to_owned());
    assert_eq!(key_of(0).as_deref(), Some("sk-from-a-file"));
    assert_eq!(
        key_of(1).as_deref(),
        Some("sk-default"),
        "llm.api_key for the others"
    );
    assert_eq!(e[2].api, crate::llm::Api::Ollama);
    assert_eq!(e[2].model, None);
    assert_eq!(s.llm.options.max_tokens, Some(512));
    assert_eq!(s.llm.embedding_model.as_deref(), Some("nomic-embed-text"));
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("sk-from-a-file") && !shown.contains("sk-default"),
        "{shown}"
    );

    assert_eq!(Settings::defaults().llm.options.max_tokens, Some(1024));
    assert_eq!(Settings::defaults().llm.embedding_model, None);
}

#[test]
fn the_environment_names_an_openai_compatible_server_by_its_scheme() {
    let s = load_layers(
        None,
        env(&[(
            "PSTRAL__LLM__ENDPOINTS",
            "openai+http://vllm:8000/v1, http://ollama:11434",
        )]),
    )
    .unwrap();
    let apis: Vec<_> = s
        .llm
        .endpoints
        .iter()
        .map(|e| (e.api, e.url.as_str()))
        .collect();
    assert_eq!(
        apis,
        [
            (crate::llm::Api::OpenAi, "http://vllm:8000/v1/"),
            (crate::llm::Api::Ollama, "http://ollama:11434/"),
        ]
    );
}

#[test]
fn a_mistake_in_an_endpoint_is_named_once_with_its_place() {
    let found = problems(
        r#"
        [llm]
        endpoints = ["http://a:11434", { url = "http://b:8000/v1", api = "openia", modle = "x", api_key = 42 }]
        "#,
        &[],
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["llm.endpoints[1].api_key", "llm.endpoints[1].modle"],
        "{found:?}"
    );
    assert!(
        found[1].reason.contains("did you mean `model`"),
        "{found:?}"
    );
    assert!(!found[0].reason.contains("42"), "a key is never echoed");

    let found = problems(
        r#"
        [llm]
        endpoints = [{ url = "http://b:8000/v1", api = "openia" }, { api = "openai" }, "ftp://x"]
        "#,
        &[],
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "llm.endpoints[0].api",
            "llm.endpoints[1].url",
            "llm.endpoints"
        ],
        "{found:?}"
    );
    assert!(found[0].reason.contains("\"openai\""), "{found:?}");
}

#[test]
fn a_key_that_cannot_be_sent_in_a_header_is_named_with_where_it_came_from() {
    let found = problems("", &[("PSTRAL__LLM__API_KEY", "sk-1234\nX-Injected: 1")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "llm.api_key");
    assert_eq!(found[0].origin, Origin::Env("PSTRAL__LLM__API_KEY".into()));
    assert!(!found[0].reason.contains("sk-1234"), "{}", found[0].reason);

    let found = problems(
        "[llm]\nendpoints = [{ url = \"http://b:8000/v1\", api = \"openai\", api_key = \"sk\\n\" }]\n",
        &[],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "llm.endpoints[0].api_key");

    let found = problems("[llm]\nendpoints = [{ url = \"ftp://x\" }]\n", &[]);
    assert_eq!(found[0].key, "llm.endpoints[0].url");
    assert!(
        matches!(&found[0].origin, Origin::File(_)),
        "{:?}",
        found[0].origin
    );
}

#[test]
fn learning_settings_name_a_role_a_readable_glossary_and_budgets() {
    let found = problems(
        r#"
        [sql]
        confirm_role = "boss"
        examples_budget = -1
        [sql.targets.demo]
        instructions_file = "/nonexistent/glossary.md"
        "#,
        &[],
    );
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "sql.targets.demo.instructions_file",
            "sql.examples_budget",
            "sql.confirm_role"
        ],
        "{found:?}"
    );
    assert!(
        found[0]
            .reason
            .contains("cannot read /nonexistent/glossary.md"),
        "{found:?}"
    );
    assert!(found[2].reason.contains("boss"), "{found:?}");
    let glossary = file("# Terms\n- active: status = 'actif'\n");
    let path = glossary.path().display().to_string();
    let f = file(&format!(
        "[sql.targets.demo]\ninstructions_file = {path:?}\n[sql]\nconfirm_role = \"executor\"\n"
    ));
    let settings = load_layers(Some(f.path()), env(&[])).unwrap();
    assert_eq!(settings.sql.confirm_role, crate::identity::Role::Executor);
    assert_eq!(
        settings.sql.target.instructions_file.as_deref(),
        Some(glossary.path())
    );
}

#[test]
fn a_relative_sqlite_path_is_read_in_the_data_dir_wherever_the_command_runs() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let settings = load_layers(
        None,
        env(&[
            ("PSTRAL__GENERAL__DATA_DIR", dir.as_str()),
            ("PSTRAL__DATABASE__URL", "sqlite:own.db"),
            ("PSTRAL__SQL__TARGETS__DEMO__URL", "sqlite:sub/demo.db"),
        ]),
    )
    .unwrap();
    assert_eq!(
        settings.database.url,
        crate::store::DatabaseUrl::Sqlite(data.path().join("own.db"))
    );
    assert_eq!(
        settings.sql.target.kind,
        crate::sql::TargetKind::Sqlite(data.path().join("sub/demo.db"))
    );
    // The defaults name the same files as before: data/pstral.db, data/demo.db.
    let defaults = load_layers(None, env(&[])).unwrap();
    assert_eq!(
        defaults.database.url,
        crate::store::DatabaseUrl::Sqlite(Path::new("data").join("pstral.db"))
    );
}

#[test]
fn a_database_left_where_the_old_reading_put_it_is_named_not_replaced() {
    // `sqlite:Cargo.toml` read from this crate's folder, as the old
    // reading did, exists; in the data dir, it does not.
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let found = problems(
        "[database]\nurl = \"sqlite:Cargo.toml\"",
        &[("PSTRAL__GENERAL__DATA_DIR", dir.as_str())],
    );
    assert!(
        found
            .iter()
            .any(|p| p.key == "database.url" && p.reason.contains("from the working directory")),
        "{found:?}"
    );
}

#[test]
fn answers_drawn_for_a_sql_question_are_one_to_sixteen_at_a_temperature_up_to_two() {
    assert_eq!(
        Settings::defaults().sql.candidates.count,
        1,
        "off by default"
    );
    let found = problems("[sql]\ncandidates = 0\ncandidate_temperature = 3.5\n", &[]);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["sql.candidates", "sql.candidate_temperature"]);
    let text = ConfigError::Invalid(found).to_string();
    assert!(text.contains("3.5"), "{text}");
    let s = load_layers(None, env(&[("PSTRAL__SQL__CANDIDATES", "5")])).unwrap();
    assert_eq!(s.sql.candidates.count, 5);
}

/// A platform of the tests' own, whose table is checked as an adapter
/// checks its own.
struct Chatty;

/// [`Chatty`] enabled.
#[derive(Debug)]
struct ChattyOn(pstral_chat::settings::SecretText);

impl PlatformSettings for Chatty {
    fn name(&self) -> &'static str {
        "chatty"
    }

    fn defaults(&self) -> &'static str {
        "enabled = false\ntoken = \"\"\ntoken_file = \"\"\nrooms = 5\n"
    }

    fn identity(&self) -> pstral_chat::IdentitySyntax {
        pstral_chat::IdentitySyntax {
            platform: "chatty",
            rule: "any id",
            check: |_| true,
        }
    }

    fn configure(
        &self,
        table: &serde_json::Value,
        check: &mut dyn pstral_chat::settings::Check,
    ) -> Option<Arc<dyn Configured>> {
        use pstral_chat::settings::Secret;
        let rooms = table["rooms"].as_i64().unwrap();
        if rooms <= 0 {
            check.problem("rooms", format!("expected rooms above 0, got {rooms}"));
        }
        let text = |key: &str| table[key].as_str().unwrap().to_owned();
        let token = check.secret("token", &text("token"), &text("token_file"));
        if !table["enabled"].as_bool().unwrap() {
            return None;
        }
        match token {
            Secret::Set(token) => Some(Arc::new(ChattyOn(token))),
            Secret::Unset => {
                check.problem("token", format!("no token: set {}", check.env_var("token")));
                None
            }
            Secret::Broken => None,
        }
    }
}

impl Configured for ChattyOn {
    fn name(&self) -> &'static str {
        "chatty"
    }

    fn summary(&self) -> String {
        format!("enabled, a token of {} characters", self.0.expose().len())
    }

    fn connector(&self, _: pstral_chat::settings::Common) -> Box<dyn pstral_chat::Connector> {
        panic!("the configuration's tests never connect")
    }
}

fn with_chatty(file_toml: &str, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let f = file(file_toml);
    let platforms = Platforms {
        included: vec![Arc::new(Chatty)],
        left_out: Vec::new(),
    };
    load_layers_with(Some(f.path()), env(vars), &platforms)
}

#[test]
fn a_platforms_table_is_its_adapters_and_checked_like_the_cores() {
    // Its defaults fill what is not given; its secret from a file, hidden.
    let secret = file("chatty-s3cret\n");
    let s = with_chatty(
        &format!("[chatty]\ntoken_file = {:?}\n", secret.path()),
        &[("PSTRAL__CHATTY__ENABLED", "true")],
    )
    .unwrap();
    assert_eq!(s.platforms.len(), 1);
    assert_eq!(
        s.platforms[0].summary(),
        "enabled, a token of 13 characters"
    );
    assert!(!format!("{s:?}").contains("chatty-s3cret"));
    // Disabled: nothing to connect, nothing missing.
    assert!(with_chatty("", &[]).unwrap().platforms.is_empty());
    // Unknown keys and wrong types by the core's rules, the adapter's own
    // refusals and missing values beside them: each once, with its key.
    let Err(ConfigError::Invalid(found)) = with_chatty(
        "[chatty]\nenabled = true\nroms = 3\nrooms = 0\n[general]\nlanguage = \"xx\"\n",
        &[],
    ) else {
        panic!("expected problems");
    };
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "chatty.roms",
            "general.language",
            "chatty.rooms",
            "chatty.token"
        ],
        "{found:?}"
    );
    let text = ConfigError::Invalid(found).to_string();
    assert!(text.contains("did you mean `chatty.rooms`"), "{text}");
    assert!(text.contains("PSTRAL__CHATTY__TOKEN"), "{text}");
    // Without the platform, its table is an unknown section.
    let found = problems("[chatty]\nenabled = true\n", &[]);
    assert_eq!(found[0].key, "chatty");
}

#[test]
fn a_platform_left_out_of_the_build_is_named_only_when_enabled() {
    let platforms = Platforms {
        included: Vec::new(),
        left_out: vec!["chatty"],
    };
    let load = |toml: &str| {
        let f = file(toml);
        load_layers_with(Some(f.path()), BTreeMap::new(), &platforms)
    };
    assert!(load("[chatty]\nenabled = false\nrooms = 3\n").is_ok());
    let Err(ConfigError::Invalid(found)) = load("[chatty]\nenabled = true\n") else {
        panic!("expected a problem");
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "chatty.enabled");
    assert!(found[0].reason.contains("--features chatty"), "{found:?}");
}

#[test]
fn the_free_prompt_names_its_parts_and_an_unknown_one_is_said() {
    let found = problems("[sql]\nfree_prompt = [\"instructions\", \"hints\"]\n", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "sql.free_prompt");
    assert!(
        found[0].reason.contains("\"hints\"") && found[0].reason.contains("glossary"),
        "{found:?}"
    );
    let settings =
        load_layers(None, env(&[("PSTRAL__SQL__FREE_PROMPT", "values,repair")])).unwrap();
    let parts: Vec<crate::sql::PromptPart> = settings.sql.free_prompt.parts().collect();
    assert_eq!(
        parts,
        [
            crate::sql::PromptPart::Values,
            crate::sql::PromptPart::Repair
        ]
    );
}
