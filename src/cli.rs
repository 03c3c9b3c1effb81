//! The `pstral` command line: argument parsing, the operator commands
//! (`check`, `migrate`, `user …`, `audit …`, `conversation …`) and the
//! wiring of the core to adapters (`run`, `chat`). This is an edge of the
//! program: it reports errors with `anyhow` context, while the library
//! modules it calls return typed errors.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use clap::{Args, Parser, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use pstral_chat::PlatformIdentity;
use serde_json::json;

use pstral::app::{Application, shutdown_signal};
use pstral::audit::{Actor, Audit, AuditFilter, Event, EventKind, ExportFormat, NewEvent, Order};
use pstral::config::{self, ConfigError, LogFormat, Settings};
use pstral::conversation::Conversations;
use pstral::identity::{Directory, Role};
use pstral::llm::Llm;
use pstral::store::Store;
use pstral::telemetry;
use pstral_chat::ChatPlatform;
use pstral_chat::shown;
use pstral_terminal::Terminal;
use std::sync::Arc;

/// Pstral: a self-hosted chat-ops assistant with a local LLM, read-only SQL on
/// one click, and a tamper-evident audit.
#[derive(Debug, Parser)]
#[command(name = "pstral", version, about)]
pub struct Cli {
    /// A TOML file overriding the embedded defaults (see config/default.toml).
    #[arg(long, global = true, env = "PSTRAL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on standard error; overrides log.format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: every platform enabled in the configuration.
    Run,
    /// A conversation with the bot in this terminal (/mode, /stop, /export, /quit).
    Chat,
    /// Validate the configuration without touching the network; name every problem.
    Check,
    /// Apply pending migrations to the own database (also done at every start).
    Migrate,
    /// Manage local users, their roles and linked chat identities.
    #[command(subcommand)]
    User(UserCommand),
    /// Read and verify the audit log (each read is itself audited).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Conversations kept in the own database.
    #[command(subcommand)]
    Conversation(ConversationCommand),
    /// Check SQL as the bot does before offering to run it.
    #[command(subcommand)]
    Sql(SqlCommand),
    /// The demo Execute target.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Bearer tokens for the admin HTTP endpoint.
    #[command(subcommand)]
    Token(TokenCommand),
    /// A consistent copy of the own database, taken while the bot runs.
    Backup { path: PathBuf },
    /// Replace the own database with a backup (not while the bot runs), then
    /// verify its audit chain.
    Restore { path: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for an admin; it is printed once, only its hash is kept.
    Create {
        user: String,
        /// How long it works (e.g. 30d); without it, until revoked.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires: Option<std::time::Duration>,
        /// What it is for, shown by `token list`.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their values).
    List,
    /// Revoke a token: it is refused from the next call on.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Create the demo CRM (SQLite, French data) that the default Execute target uses.
    Init {
        /// Where to create it (default: the demo target's file).
        #[arg(long)]
        path: Option<PathBuf>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
        /// Instead, write the same CRM as an Oracle init script (for the
        /// docker compose `oracle` service), with a read-only account whose
        /// password is read from PSTRAL_ORACLE_READER_PASSWORD.
        #[arg(long, value_name = "FILE")]
        oracle_script: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SqlCommand {
    /// Judge one statement: exit 0 accepted, 1 refused (with the reason), 2 usage error.
    Check {
        /// The dialect to parse with (default: the configured target's).
        /// oracle, postgres or sqlite.
        #[arg(long)]
        dialect: Option<pstral::sql::Dialect>,
        /// A file holding the statement, or - (the default) for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Print what the model is told of a target's schema (for a question, or all).
    Schema {
        #[arg(long)]
        target: Option<String>,
        /// Show the tables chosen for this question.
        question: Option<String>,
    },
    /// Run one statement on a target, read-only, through the same checks and
    /// audit as the bot; the rows as CSV on standard output.
    Run {
        /// The target, as named in [sql.targets.NAME] (default: sql.target).
        #[arg(long)]
        target: Option<String>,
        #[arg(default_value = "-")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversationCommand {
    /// Print a conversation as Markdown or JSON.
    Export {
        id: i64,
        #[arg(long, value_enum, default_value = "markdown")]
        format: pstral::conversation::ExportFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local user.
    Add {
        name: String,
        #[arg(long, default_value = "viewer", value_parser = parse_role)]
        role: Role,
    },
    /// Link a chat identity (discord:ID or matrix:@user:server) to a user.
    Link {
        name: String,
        identity: PlatformIdentity,
    },
    /// Unlink a chat identity from whichever user has it.
    Unlink { identity: PlatformIdentity },
    /// Set a user's role: viewer, executor or admin.
    Role {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
        /// Demote the last admin all the same, leaving no one who can manage
        /// users or read the audit from the chat or the API.
        #[arg(long)]
        allow_no_admin: bool,
    },
    /// List users with their roles and identities.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Make a one-time code that the person sends to the bot in a DM to link
    /// their chat account to NAME.
    Invite { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and name the first event altered, deleted or
    /// inserted out of order. Exit 1 if the chain is broken.
    Verify,
    /// Show events, newest last.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many events at most (the most recent ones).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write every matching event, oldest first.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// A file to write instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Only events of this local user.
    #[arg(long)]
    pub user: Option<String>,
    /// Only events of this kind (question, answer, execute_requested, …).
    #[arg(long, value_parser = |s: &str| s.parse::<EventKind>())]
    pub kind: Option<EventKind>,
    /// Only events on this platform (discord, matrix, cli, …).
    #[arg(long)]
    pub platform: Option<String>,
    /// Only events in this channel or room id.
    #[arg(long)]
    pub channel: Option<String>,
    /// From this time: RFC 3339, a date (2026-11-01), or an age (2h, 7d).
    #[arg(long, value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,
    /// Before this time, written as for --since.
    #[arg(long, value_parser = parse_time)]
    pub until: Option<DateTime<Utc>>,
    /// Only events whose payload contains this text (any case).
    #[arg(long)]
    pub text: Option<String>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: pstral::identity::UnknownRole| e.to_string())
}

/// A point in time as an operator would type it.
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    if let Ok(age) = humantime::parse_duration(s) {
        let age = chrono::Duration::from_std(age).map_err(|e| e.to_string())?;
        return Ok(Utc::now() - age);
    }
    Err(format!(
        "{s:?} is not a time: use RFC 3339 (2026-11-01T09:00:00Z), a date (2026-11-01) or an age (2h, 7d)"
    ))
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match config::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            if let ConfigError::Invalid(_) = e {
                eprintln!(
                    "(run `pstral check` after fixing; config/default.toml documents every key)"
                );
            }
            return ExitCode::FAILURE;
        }
    };
    if let Command::Check = cli.command {
        return check(&settings);
    }
    if let Command::Sql(SqlCommand::Check { dialect, file }) = &cli.command {
        return sql_check(&settings, *dialect, file);
    }
    let format = cli.log_format.unwrap_or(settings.log.format);
    // In a terminal conversation, log lines would break into the answers.
    let level = if matches!(cli.command, Command::Chat) {
        "warn"
    } else {
        settings.log.level.as_str()
    };
    if let Err(e) = telemetry::init(format, level) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    // Installed before anything runs, so that every count is kept.
    let _ = telemetry::metrics_handle();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let span = telemetry::request_span("command");
    match runtime.block_on(tracing::Instrument::instrument(
        dispatch(cli.command, settings),
        span,
    )) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `pstral sql check`: no database, no network, no log; the verdict on
/// standard output.
fn sql_check(settings: &Settings, dialect: Option<pstral::sql::Dialect>, file: &Path) -> ExitCode {
    use std::io::Read;
    let mut text = String::new();
    let read = if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text))
    };
    if let Err(e) = read {
        eprintln!("error: cannot read {}: {e}", file.display());
        return ExitCode::from(2);
    }
    let mut policy = settings.sql.policy.clone();
    if let Some(dialect) = dialect {
        policy.dialect = dialect;
    }
    match pstral::sql::validate::validate(&text, &policy) {
        Ok(valid) => {
            println!("accepted ({}): {}", policy.dialect, valid.text);
            ExitCode::SUCCESS
        }
        Err(refusal) => {
            println!("refused ({}): {refusal}", policy.dialect);
            ExitCode::FAILURE
        }
    }
}

/// `pstral sql run`: for operators, the same path as a click in the chat.
async fn sql_run(
    settings: &Settings,
    target: Option<String>,
    file: &Path,
) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    let mut text = String::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let name = target.unwrap_or_else(|| settings.sql.target.name.clone());
    let Some(target) = settings.sql.targets.iter().find(|t| t.name == name) else {
        bail!("there is no target {name:?} in [sql.targets]");
    };
    let mut policy = settings.sql.policy.clone();
    policy.dialect = target.dialect();
    // Refused by its form before any connection; then judged again against
    // the target's catalogue, as a click in the chat is.
    if let Err(refusal) = pstral::sql::validate::validate(&text, &policy) {
        eprintln!("refused: {refusal}");
        return Ok(ExitCode::FAILURE);
    }
    let executor = pstral::sql::open_target(target, &settings.sql.policy.allowed_schemas).await;
    let valid = match &executor {
        Ok(executor) => {
            let catalog = executor
                .catalog(&settings.sql.policy.allowed_schemas)
                .await
                .context("cannot read the target's catalogue")?;
            let known = (!catalog.tables.is_empty()).then_some(&catalog);
            pstral::sql::validate::validate_in(&text, &policy, known)
        }
        Err(_) => pstral::sql::validate::validate(&text, &policy),
    };
    let valid = match valid {
        Ok(v) => v,
        Err(refusal) => {
            eprintln!("refused: {refusal}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = open(settings).await?;
    let audit = Audit::new(store.clone());
    audit
        .append(NewEvent::new(
            EventKind::ExecuteRequested,
            Actor::cli(),
            json!({"target": name, "text": valid.text, "via": "cli"}),
        ))
        .await
        .context("cannot record the execution, so it was not done")?;
    let outcome = match executor {
        Ok(executor) => {
            let mut csv = pstral::sql::render::CsvSink::new(
                std::io::BufWriter::new(std::io::stdout()),
                false,
            )?;
            let outcome = executor.run(&valid, settings.sql.limits, &mut csv).await;
            csv.finish()?;
            outcome
        }
        Err(e) => Err(e),
    };
    let payload = match &outcome {
        Ok(o) => {
            json!({"target": name, "rows": o.rows, "columns": o.columns.len(), "truncated": o.truncated,
                        "duration_ms": u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX), "error": null})
        }
        Err(e) => json!({"target": name, "rows": 0, "error": e.to_string()}),
    };
    audit
        .append(NewEvent::new(
            EventKind::ExecuteResult,
            Actor::cli(),
            payload,
        ))
        .await?;
    store.close().await;
    match outcome {
        Ok(o) => {
            eprintln!(
                "{} rows{} in {:?}",
                o.rows,
                if o.truncated {
                    " (cut at the row cap)"
                } else {
                    ""
                },
                o.duration
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn check(settings: &Settings) -> ExitCode {
    // Reaching here means every key validated; what needs the machine (the
    // Oracle client library) is checked too, then what will run is
    // summarized, without any secret.
    let oracle_targets: Vec<&str> = settings
        .sql
        .targets
        .iter()
        .filter(|t| t.dialect() == pstral::sql::Dialect::Oracle)
        .map(|t| t.name.as_str())
        .collect();
    let mut oracle_client = None;
    if !oracle_targets.is_empty() {
        match pstral::sql::oracle::client_library() {
            Ok(version) => oracle_client = Some(version),
            Err(reason) => {
                eprintln!("error: the configuration has 1 problem:");
                eprintln!("  - sql.targets ({}): {reason}", oracle_targets.join(", "));
                return ExitCode::FAILURE;
            }
        }
    }
    let account = match target_account(settings) {
        Ok(line) => line,
        Err(reason) => {
            eprintln!("error: the configuration has 1 problem:");
            eprintln!("  - sql.targets.{}: {reason}", settings.sql.target.name);
            return ExitCode::FAILURE;
        }
    };
    println!("configuration OK");
    if let Some(version) = oracle_client {
        println!("  oracle:    client library {version}");
    }
    println!("  language:  {}", settings.general.language);
    println!("  data dir:  {}", settings.general.data_dir.display());
    println!("  database:  {}", settings.database.url);
    println!(
        "  execute:   {} ({}), at most {} rows, {:?}",
        settings.sql.target.name,
        settings.sql.policy.dialect,
        settings.sql.limits.row_cap,
        settings.sql.limits.timeout
    );
    println!(
        "  discord:   {}",
        if settings.discord.is_some() {
            "enabled (token set)"
        } else {
            "disabled"
        }
    );
    match &settings.matrix {
        Some(m) => println!("  matrix:    enabled, {} on {}", m.user, m.homeserver),
        None => println!("  matrix:    disabled"),
    }
    match settings.audit.retention {
        Some(kept) => println!(
            "  audit:     events kept {}",
            humantime::format_duration(kept)
        ),
        None => println!("  audit:     events kept for ever"),
    }
    for line in account {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// `pstral check`: what the Execute target's account can do, asked of the
/// target itself, as lines of the summary. A target that cannot be reached
/// is said, not a failure (the demo is created at the first `run`); an
/// account that can write or administer is the error, unless allowed.
fn target_account(settings: &Settings) -> Result<Vec<String>, String> {
    let target = &settings.sql.target;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let executor =
            match pstral::sql::open_target(target, &settings.sql.policy.allowed_schemas).await {
                Ok(executor) => executor,
                Err(e) => {
                    return Ok(vec![format!(
                        "  account:   not checked, the target cannot be opened ({e})"
                    )]);
                }
            };
        let warnings = pstral::app::account_warnings(
            executor.as_ref(),
            &settings.sql.policy.allowed_schemas,
            settings.sql.allow_privileged_account,
        )
        .await?;
        Ok(if warnings.is_empty() {
            vec!["  account:   reads only".to_owned()]
        } else {
            warnings
                .into_iter()
                .map(|w| format!("  warning:   {w}"))
                .collect()
        })
    })
}

async fn dispatch(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check => Ok(check(&settings)),
        Command::Run => {
            let connectors = connectors(&settings);
            let app = Application::build(settings).await?;
            app.run_until_stopped(connectors, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat => chat(settings).await,
        Command::Demo(DemoCommand::Init {
            oracle_script: Some(file),
            ..
        }) => {
            let password = std::env::var("PSTRAL_ORACLE_READER_PASSWORD")
                .context("set PSTRAL_ORACLE_READER_PASSWORD to the read-only account's password")?;
            std::fs::write(&file, pstral::sql::demo::oracle_script(&password))
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("wrote the demo CRM for Oracle to {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(DemoCommand::Init { path, force, .. }) => {
            let path = path
                .or_else(|| demo_path(&settings))
                .unwrap_or_else(|| PathBuf::from("data/demo.db"));
            let summary = pstral::sql::demo::create(&path, force).await?;
            println!("created the demo CRM at {}", path.display());
            for (table, rows) in summary.tables {
                println!("  {table:<13} {rows:>6} rows");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sql(SqlCommand::Check { dialect, file }) => {
            Ok(sql_check(&settings, dialect, &file))
        }
        Command::Sql(SqlCommand::Run { target, file }) => sql_run(&settings, target, &file).await,
        Command::Sql(SqlCommand::Schema { target, question }) => {
            let name = target.unwrap_or_else(|| settings.sql.target.name.clone());
            let Some(target) = settings.sql.targets.iter().find(|t| t.name == name) else {
                bail!("there is no target {name:?} in [sql.targets]");
            };
            let executor =
                pstral::sql::open_target(target, &settings.sql.policy.allowed_schemas).await?;
            let catalog = executor
                .catalog(&settings.sql.policy.allowed_schemas)
                .await?;
            match question {
                Some(q) => print!("{}", catalog.context_for(&q, settings.sql.schema_budget)),
                None => {
                    for t in &catalog.tables {
                        println!("{}", t.ddl());
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Conversation(ConversationCommand::Export { id, format }) => {
            let store = open(&settings).await?;
            let exported = Conversations::new(store.clone()).export(id, format).await;
            let recorded = Audit::new(store.clone())
                .append(NewEvent::new(
                    EventKind::ConversationChanged,
                    Actor::cli(),
                    json!({"action": "export", "conversation": id}),
                ))
                .await;
            store.close().await;
            recorded.context("cannot record the export, so it was not done")?;
            match exported? {
                Some(text) => {
                    println!("{text}");
                    Ok(ExitCode::SUCCESS)
                }
                None => bail!("there is no conversation {id}"),
            }
        }
        Command::Backup { path } => {
            let store = open(&settings).await?;
            let result = store.backup_to(&settings.database, &path).await;
            store.close().await;
            match result {
                Ok(()) => {
                    println!("backed up {} to {}", settings.database.url, path.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(pstral::store::BackupError::UsePostgresTools(command)) => {
                    println!("{command}");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Restore { path } => {
            match pstral::store::restore(&settings.database, &path).await {
                Ok(v) => match v.broken {
                    None => {
                        println!(
                            "restored {} from {}; audit chain intact: {} events",
                            settings.database.url,
                            path.display(),
                            v.checked
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Some(broken) => {
                        println!(
                            "restored from {}, but the audit chain is BROKEN: {broken}",
                            path.display()
                        );
                        Ok(ExitCode::FAILURE)
                    }
                },
                Err(pstral::store::BackupError::UsePostgresTools(command)) => {
                    println!("{command}");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Token(cmd) => {
            let store = open(&settings).await?;
            let tokens =
                pstral::admin::tokens::Tokens::new(store.clone(), Audit::new(store.clone()));
            let result = token_command(&tokens, cmd).await;
            store.close().await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = open(&settings).await?;
            let version = store.schema_version().await?;
            println!("{} is at schema version {version}", settings.database.url);
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => {
            let store = open(&settings).await?;
            let directory = Directory::new(store.clone(), settings.identity.clone());
            let result = user_command(&directory, cmd).await;
            store.close().await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Audit(cmd) => {
            let store = open(&settings).await?;
            let result = audit_command(&store, &settings, cmd).await;
            store.close().await;
            result
        }
    }
}

/// The chat platforms the settings enable, ready to connect.
fn connectors(settings: &Settings) -> Vec<Box<dyn pstral_chat::Connector>> {
    use secrecy::ExposeSecret;
    let mut connectors: Vec<Box<dyn pstral_chat::Connector>> = Vec::new();
    if let Some(discord) = &settings.discord {
        let config = pstral_discord::DiscordConfig {
            token: discord.token.expose_secret().to_owned(),
            guilds: discord.guilds.clone(),
            global_commands: discord.global_commands,
            autoshard: discord.autoshard,
            language: match settings.general.language {
                pstral::i18n::Lang::En => pstral_discord::Language::En,
                pstral::i18n::Lang::Fr => pstral_discord::Language::Fr,
            },
            http_client: None,
        };
        connectors.push(Box::new(pstral_discord::Discord::new(config)));
    }
    if let Some(matrix) = &settings.matrix {
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
            language: match settings.general.language {
                pstral::i18n::Lang::En => pstral_matrix::Language::En,
                pstral::i18n::Lang::Fr => pstral_matrix::Language::Fr,
            },
        };
        connectors.push(Box::new(pstral_matrix::Matrix::new(config)));
    }
    connectors
}

/// `pstral chat`: the person at this terminal talks to the bot.
async fn chat(settings: Settings) -> anyhow::Result<ExitCode> {
    use tokio::io::BufReader;
    let _lock = pstral::store::ServiceLock::acquire(&settings.database)?;
    let store = open(&settings).await?;
    let audit = Audit::new(store.clone());
    let directory =
        Directory::new(store.clone(), settings.identity.clone()).with_audit(audit.clone());
    let os_user = Actor::cli()
        .identity
        .map(|i| i.id().to_owned())
        .unwrap_or_else(|| "operator".to_owned());
    let files = std::env::current_dir().context("cannot read the current directory")?;
    let terminal = Arc::new(Terminal::new(&os_user, Box::new(std::io::stdout()), files));
    ensure_terminal_user(&directory, terminal.author(), &os_user).await?;
    let notice = |text: &str| terminal.notice(text);
    let (bot, sql) =
        pstral::app::assemble_bot(&settings, &store, &audit, &directory, &notice).await?;
    check_model_servers(bot.llm(), &terminal).await;
    let stop_refresh = tokio_util::sync::CancellationToken::new();
    if let Ok(sql) = sql {
        let every = settings.sql.schema_refresh;
        tokio::spawn(pstral::app::refresh_schema(
            sql,
            every,
            stop_refresh.clone(),
        ));
    }
    terminal.notice(
        "Pstral. Ask a question; /mode sql|chat, /stop, /export [json], /help, /quit (or Ctrl-D).",
    );
    let (events, mut incoming) = tokio::sync::mpsc::channel(16);
    let reader = {
        let terminal = Arc::clone(&terminal);
        tokio::spawn(async move {
            terminal
                .read_events(BufReader::new(tokio::io::stdin()), events)
                .await;
        })
    };
    // Lines are handled in the order they were typed, one after the other,
    // except /stop, which must reach the answer being written.
    let handle = |event| {
        let bot = bot.clone();
        let platform: Arc<dyn ChatPlatform> = terminal.clone();
        tokio::spawn(async move { bot.handle(platform, event).await })
    };
    let mut waiting = std::collections::VecDeque::new();
    let mut current: Option<tokio::task::JoinHandle<()>> = None;
    let mut open = true;
    while open || current.is_some() || !waiting.is_empty() {
        if current.is_none()
            && let Some(event) = waiting.pop_front()
        {
            current = Some(handle(event));
            continue;
        }
        tokio::select! {
            event = incoming.recv(), if open => match event {
                Some(event @ pstral_chat::InboundEvent::Command { command: pstral_chat::Command::Stop, .. }) => {
                    let _ = handle(event).await;
                }
                Some(event) => waiting.push_back(event),
                None => open = false,
            },
            _ = async { current.as_mut().expect("guarded").await }, if current.is_some() => {
                current = None;
            }
        }
    }
    let _ = reader.await;
    stop_refresh.cancel();
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The person at the terminal can already run every `pstral` command on this
/// database, so they chat as an admin: the user named after their OS
/// account, created and linked on first use.
async fn ensure_terminal_user(
    directory: &Directory,
    identity: &pstral_chat::PlatformIdentity,
    os_user: &str,
) -> anyhow::Result<()> {
    if directory.user_of(identity).await?.is_some() {
        return Ok(());
    }
    if directory.user(os_user).await?.is_none() {
        directory
            .add_user(os_user, Role::Admin, Actor::cli())
            .await?;
    }
    directory.link(os_user, identity, Actor::cli()).await?;
    Ok(())
}

/// Says where the model servers were looked for and how to fix what is
/// wrong: not running, or without the model.
async fn check_model_servers(llm: &Llm, terminal: &Terminal) {
    for client in llm.endpoints() {
        let url = client.endpoint().as_str().trim_end_matches('/');
        match client.tags().await {
            Err(e) => terminal.notice(&format!(
                "⚠️  No Ollama answers at {url} ({e}).\n   Start it with `ollama serve`, or point \
                 llm.endpoints (PSTRAL__LLM__ENDPOINTS) at a running server."
            )),
            Ok(models) if !pstral::llm::ollama::has_model(&models, client.model()) => {
                terminal.notice(&format!(
                    "⚠️  {url} does not have the model {model}.\n   Install it with `ollama pull {model}`, \
                     or choose another with llm.model (PSTRAL__LLM__MODEL).",
                    model = client.model()
                ));
            }
            Ok(_) => {}
        }
    }
}

/// The demo target's file, when a target named "demo" is a SQLite file.
fn demo_path(settings: &Settings) -> Option<PathBuf> {
    settings.sql.targets.iter().find_map(|t| match &t.kind {
        config::TargetKind::Sqlite(path) if t.name == "demo" => Some(path.clone()),
        _ => None,
    })
}

async fn token_command(
    tokens: &pstral::admin::tokens::Tokens,
    cmd: TokenCommand,
) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            user,
            expires,
            label,
        } => {
            let created = tokens.create(&user, &label, expires, Actor::cli()).await?;
            println!("{}", created.token);
            eprintln!(
                "token {} for {user}{}: shown once, keep it safe",
                created.id,
                created
                    .expires_at
                    .map(|e| format!(
                        ", valid until {}",
                        e.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ))
                    .unwrap_or_default()
            );
        }
        TokenCommand::List => {
            let mut table = new_table(&[
                "id",
                "user",
                "label",
                "created",
                "expires",
                "revoked",
                "last used",
            ]);
            let day = |d: Option<DateTime<Utc>>| {
                d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default()
            };
            for t in tokens.list().await? {
                table.add_row(vec![
                    t.id.to_string(),
                    shown(&t.user_name),
                    shown(&t.label),
                    day(Some(t.created_at)),
                    day(t.expires_at),
                    day(t.revoked_at),
                    day(t.last_used_at),
                ]);
            }
            println!("{table}");
        }
        TokenCommand::Revoke { id } => {
            tokens.revoke(id, Actor::cli()).await?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database)
        .await
        .context("the own database is not available")
}

async fn user_command(directory: &Directory, cmd: UserCommand) -> anyhow::Result<()> {
    let actor = Actor::cli();
    match cmd {
        UserCommand::Add { name, role } => {
            let user = directory.add_user(&name, role, actor).await?;
            println!("created user {} ({})", shown(&user.name), user.role);
        }
        UserCommand::Link { name, identity } => {
            directory.link(&name, &identity, actor).await?;
            println!("linked {identity} to {}", shown(&name));
        }
        UserCommand::Unlink { identity } => {
            let user = directory.unlink(&identity, actor).await?;
            println!("unlinked {identity} from {}", shown(&user.name));
        }
        UserCommand::Role {
            name,
            role,
            allow_no_admin,
        } => {
            let user = directory
                .set_role(&name, role, actor, allow_no_admin)
                .await?;
            println!("{} is now {}", shown(&user.name), user.role);
        }
        UserCommand::List { json } => {
            let entries = directory.list().await?;
            let mut out = std::io::stdout().lock();
            if json {
                for e in &entries {
                    serde_json::to_writer(&mut out, e)?;
                    writeln!(out)?;
                }
            } else {
                let mut table = new_table(&["name", "role", "identities", "created"]);
                for e in &entries {
                    table.add_row(vec![
                        shown(&e.user.name),
                        e.user.role.to_string(),
                        e.identities
                            .iter()
                            .map(|i| shown(i))
                            .collect::<Vec<_>>()
                            .join("\n"),
                        e.user.created_at.format("%Y-%m-%d").to_string(),
                    ]);
                }
                writeln!(out, "{table}")?;
            }
        }
        UserCommand::Invite { name } => {
            let invite = directory.create_invite(&name, actor).await?;
            println!("{}", invite.code);
            eprintln!(
                "one-time code for {}, valid until {}: they send `link {}` to the bot in a direct message",
                invite.user,
                invite.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                invite.code
            );
        }
    }
    Ok(())
}

async fn audit_command(
    store: &Store,
    settings: &Settings,
    cmd: AuditCommand,
) -> anyhow::Result<ExitCode> {
    let audit = Audit::new(store.clone());
    let directory = Directory::new(store.clone(), settings.identity.clone());
    match cmd {
        AuditCommand::Verify => {
            let v = audit.verify().await?;
            record_read(
                &audit,
                json!({"action": "verify", "broken": v.broken.as_ref().map(ToString::to_string)}),
            )
            .await?;
            match v.broken {
                None => {
                    println!("audit chain intact: {} events verified", v.checked);
                    Ok(ExitCode::SUCCESS)
                }
                Some(broken) => {
                    println!(
                        "audit chain BROKEN: {broken} ({} events verified before it)",
                        v.checked
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::List {
            filter,
            limit,
            json,
        } => {
            let (filter, shown) = to_filter(&directory, filter).await?;
            // The read is recorded before it happens: it is an admin action.
            record_read(
                &audit,
                json!({"action": "list", "filter": shown, "limit": limit}),
            )
            .await?;
            let mut events = audit.list(&filter, Order::NewestFirst, limit).await?;
            events.reverse();
            let mut out = std::io::stdout().lock();
            if json {
                for e in &events {
                    serde_json::to_writer(&mut out, e)?;
                    writeln!(out)?;
                }
            } else {
                writeln!(out, "{}", events_table(&events))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export {
            filter,
            format,
            output,
        } => {
            let (filter, shown) = to_filter(&directory, filter).await?;
            record_read(
                &audit,
                json!({"action": "export", "filter": shown, "format": format!("{format:?}").to_lowercase()}),
            )
            .await?;
            let written = match &output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    audit.export(&filter, format, file).await?
                }
                None => {
                    audit
                        .export(&filter, format, std::io::stdout().lock())
                        .await?
                }
            };
            eprintln!("exported {written} events");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn record_read(audit: &Audit, payload: serde_json::Value) -> anyhow::Result<()> {
    audit
        .append(NewEvent::new(EventKind::AdminRead, Actor::cli(), payload))
        .await
        .context("cannot record this read of the audit, so it was not done")?;
    Ok(())
}

/// The store filter for the command-line flags, and the flags as JSON for the
/// audit record of the read.
async fn to_filter(
    directory: &Directory,
    args: FilterArgs,
) -> anyhow::Result<(AuditFilter, serde_json::Value)> {
    let user_id = match &args.user {
        Some(name) => match directory.user(name).await? {
            Some(user) => Some(user.id),
            None => bail!("there is no user named {name:?}"),
        },
        None => None,
    };
    let shown = json!({
        "user": args.user, "kind": args.kind.map(EventKind::as_str), "platform": args.platform,
        "channel": args.channel, "since": args.since, "until": args.until, "text": args.text,
    });
    let filter = AuditFilter {
        user_id,
        kind: args.kind,
        platform: args.platform,
        channel: args.channel,
        since: args.since,
        until: args.until,
        text: args.text,
        ..AuditFilter::default()
    };
    Ok((filter, shown))
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    table
}

fn events_table(events: &[Event]) -> Table {
    let mut table = new_table(&["#", "at (UTC)", "kind", "who", "where", "payload"]);
    for e in events {
        let who = match (&e.user_name, &e.identity) {
            (Some(u), Some(i)) => format!("{u} ({i})"),
            (Some(u), None) => u.clone(),
            (None, Some(i)) => i.clone(),
            (None, None) => String::new(),
        };
        let place = match (&e.platform, &e.channel) {
            (Some(p), Some(c)) => {
                let mut s = format!("{p}/{c}");
                if let Some(t) = &e.thread {
                    s.push('/');
                    s.push_str(t);
                }
                if e.private {
                    s.push_str(" (DM)");
                }
                s
            }
            (Some(p), None) => p.clone(),
            _ => String::new(),
        };
        let mut payload = e.payload.clone();
        if payload.chars().count() > 80 {
            payload = payload.chars().take(79).collect::<String>() + "…";
        }
        let (who, place, payload) = (shown(&who), shown(&place), shown(&payload));
        table.add_row(vec![
            e.seq.to_string(),
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.kind.clone(),
            who,
            place,
            payload,
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_an_operator_writes_them() {
        assert_eq!(
            parse_time("2026-11-01").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-11-01T10:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T09:00:00+00:00"
        );
        let two_hours_ago = parse_time("2h").unwrap();
        let age = Utc::now() - two_hours_ago;
        assert!((age.num_minutes() - 120).abs() <= 1);
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
