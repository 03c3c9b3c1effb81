//! The raw shape of the configuration file, mirroring config/default.toml.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

// Every field is a plain type: enumerations, durations and URLs are parsed by the
// `Validator`, which can report them all at once.
#[derive(Deserialize)]
pub(super) struct RawSettings {
    pub(super) general: RawGeneral,
    pub(super) log: RawLog,
    pub(super) database: RawDatabase,
    pub(super) identity: RawIdentity,
    pub(super) llm: RawLlm,
    pub(super) conversation: RawConversation,
    pub(super) sql: RawSql,
    pub(super) admin: RawAdmin,
    pub(super) audit: RawAudit,
    pub(super) ha: RawHa,
    pub(super) access: RawAccess,
    pub(super) groups: BTreeMap<String, RawGroup>,
}

#[derive(Deserialize)]
pub(super) struct RawAccess {
    pub(super) ungrouped: String,
    pub(super) closed_places: Vec<String>,
}

/// A `[groups.NAME]` section, checked against `layers::TEMPLATES`.
#[derive(Deserialize)]
pub(super) struct RawGroup {
    pub(super) description: String,
    pub(super) hidden: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct RawGeneral {
    pub(super) language: String,
    pub(super) data_dir: String,
    pub(super) shutdown_grace: String,
}

#[derive(Deserialize)]
pub(super) struct RawLog {
    pub(super) format: String,
    pub(super) level: String,
}

#[derive(Deserialize)]
pub(super) struct RawDatabase {
    pub(super) url: String,
    pub(super) password_file: String,
    pub(super) max_connections: i64,
    pub(super) acquire_timeout: String,
    pub(super) busy_timeout: String,
}

#[derive(Deserialize)]
pub(super) struct RawIdentity {
    pub(super) unknown: String,
    pub(super) contact: String,
    pub(super) invite_ttl: String,
}

#[derive(Deserialize)]
pub(super) struct RawLlm {
    pub(super) endpoints: Vec<RawEndpoint>,
    pub(super) model: String,
    pub(super) api_key: SecretString,
    pub(super) api_key_file: String,
    pub(super) max_tokens: i64,
    pub(super) embedding_model: String,
    pub(super) concurrency: i64,
    pub(super) queue_capacity: i64,
    pub(super) num_ctx: i64,
    pub(super) temperature: f64,
    pub(super) keep_alive: String,
    pub(super) connect_timeout: String,
    pub(super) first_token_timeout: String,
    pub(super) idle_timeout: String,
}

/// An entry of `llm.endpoints`: an Ollama URL (or `openai+URL`), or a
/// table whose keys `layers::LISTS_OF_TABLES` has checked.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawEndpoint {
    Url(String),
    Table(RawEndpointTable),
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawEndpointTable {
    pub(super) url: String,
    pub(super) api: String,
    pub(super) model: String,
    pub(super) api_key: SecretString,
    pub(super) api_key_file: String,
}

#[derive(Deserialize)]
pub(super) struct RawConversation {
    pub(super) default_mode: String,
    pub(super) channel_modes: Vec<String>,
    pub(super) max_history: i64,
    pub(super) prompts_dir: String,
    pub(super) retention: String,
}

#[derive(Deserialize)]
pub(super) struct RawSql {
    pub(super) target: String,
    pub(super) row_cap: i64,
    pub(super) timeout: String,
    pub(super) max_result_mib: i64,
    pub(super) max_temp_mib: i64,
    pub(super) max_memory_mib: i64,
    pub(super) preview_rows: i64,
    pub(super) csv_bom: bool,
    pub(super) charts: String,
    pub(super) explain: bool,
    pub(super) ask_again_without_sql: bool,
    pub(super) candidates: i64,
    pub(super) candidate_temperature: f64,
    pub(super) schema_budget: i64,
    pub(super) examples_budget: i64,
    pub(super) plan_examples: i64,
    pub(super) plan_votes: i64,
    pub(super) plan_temperature: f64,
    pub(super) ask_back: Vec<String>,
    pub(super) unsure_below: f64,
    pub(super) instructions_budget: i64,
    pub(super) free_prompt: Vec<String>,
    pub(super) confirm_role: String,
    pub(super) schema_refresh: String,
    pub(super) private_results: Vec<String>,
    pub(super) targets: BTreeMap<String, RawTarget>,
    pub(super) allowed_schemas: Vec<String>,
    pub(super) allowed_functions: Vec<String>,
    pub(super) denied_functions: Vec<String>,
    pub(super) denied_objects: Vec<String>,
    pub(super) allow_privileged_account: bool,
}

#[derive(Deserialize)]
pub(super) struct RawAudit {
    pub(super) retention: String,
}

#[derive(Deserialize)]
pub(super) struct RawHa {
    pub(super) takeover: String,
    pub(super) replica: String,
}

#[derive(Deserialize)]
pub(super) struct RawAdmin {
    pub(super) enabled: bool,
    pub(super) bind: String,
    pub(super) trusted_proxies: Vec<String>,
    pub(super) trust_loopback_proxy: bool,
    pub(super) metrics_bind: String,
}

#[derive(Deserialize)]
pub(super) struct RawTarget {
    pub(super) url: String,
    pub(super) password_file: String,
    pub(super) instructions_file: String,
    #[serde(default)]
    pub(super) semantic_file: String,
    #[serde(default)]
    pub(super) today: String,
    #[serde(default = "weighed")]
    pub(super) weigh_plans: bool,
    #[serde(default)]
    pub(super) accounts: Vec<String>,
    #[serde(default)]
    pub(super) account_password_files: Vec<String>,
}

/// A target's plans are weighed unless told otherwise.
fn weighed() -> bool {
    true
}
