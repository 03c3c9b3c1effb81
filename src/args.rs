//! The command line's grammar: every subcommand, flag and argument, with the
//! help text `pstral --help` shows. Parsing values the core defines (roles,
//! formats, dialects) goes through their `FromStr`, so the core needs no clap.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use pstral_chat::PlatformIdentity;
use pstral_core::audit::{EventKind, ExportFormat};
use pstral_core::i18n::Lang;
use pstral_core::identity::Role;
use pstral_core::telemetry::LogFormat;

/// Pstral: a self-hosted chat-ops assistant with a local LLM, read-only SQL on
/// one click, and a tamper-evident audit.
#[derive(Debug, Parser)]
#[command(name = "pstral", version, about)]
pub struct Cli {
    /// A TOML file overriding the embedded defaults (see config/default.toml).
    #[arg(long, global = true, env = "PSTRAL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on standard error; overrides log.format.
    #[arg(long, global = true, value_parser = PossibleValuesParser::new(["human", "json"]).try_map(|s| s.parse::<LogFormat>()))]
    pub log_format: Option<LogFormat>,
    /// Who is acting, for the audit of what this command does (default:
    /// the OS account it runs as). With `sql check`, `sql offer` and `sql
    /// run`, a user of Pstral whose click is judged: their groups' rules
    /// and account apply (without it, the operator reads with the target's
    /// account).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub acting_as: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: every platform enabled in the configuration.
    Run,
    /// A conversation with the bot in this terminal (/mode, /stop, /export, /quit).
    /// Log lines go to a file, never between the prompt and the answer.
    Chat {
        /// Where log lines go (appended). By default `chat.log` in
        /// general.data_dir.
        #[arg(long)]
        log_file: Option<PathBuf>,
    },
    /// Validate the configuration, then (unless --offline) open the own
    /// database and the Execute target and ask what its account may do;
    /// name every problem, and exit 1 when there is one.
    Check {
        /// Only the configuration and this machine: no database is opened.
        #[arg(long)]
        offline: bool,
    },
    /// Ask the running bot's admin endpoint whether it is ready (/readyz):
    /// exit 0 when it is, 1 otherwise, naming what is down. For container
    /// health checks and monitoring.
    Health {
        /// The admin endpoint's address (default: http://admin.bind).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
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
    /// The target's semantic model: the company's definitions that questions
    /// are compiled through.
    #[command(subcommand)]
    Semantic(SemanticCommand),
    /// The demo Execute target.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// The confirmed question → SQL examples shown to the model.
    #[command(subcommand)]
    Examples(ExamplesCommand),
    /// Measure how often the offered SQL returns the right rows, on a set of
    /// questions with gold SQL (TOML [[case]] tables or JSON lines).
    Eval(EvalArgs),
    /// Bearer tokens for the admin HTTP endpoint.
    #[command(subcommand)]
    Token(TokenCommand),
    /// A consistent copy of the own database, taken while the bot runs.
    Backup { path: PathBuf },
    /// Replace the own database with a backup (not while the bot runs), then
    /// verify its audit chain. The replaced database is kept beside it; a
    /// backup older than the database (its audit shorter) needs --force.
    Restore {
        path: PathBuf,
        /// Restore a backup older than the database, losing what came after.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for an admin; it is printed once, only its hash is kept.
    Create {
        user: String,
        /// How long it works (e.g. 30d, 1y), or `never` (until revoked).
        #[arg(long, default_value = "90d", value_parser = parse_lifetime)]
        expires: Lifetime,
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
    /// Create the demo CRM (French data, ending on 2025-10-31): a SQLite file
    /// (the default Execute target's), a schema in PostgreSQL, or an Oracle
    /// script.
    Init {
        /// Where to create the SQLite file (default: the demo target's file).
        #[arg(long, conflicts_with_all = ["postgres", "oracle_script"])]
        path: Option<PathBuf>,
        /// Replace an existing file, or an existing `crm` schema.
        #[arg(long)]
        force: bool,
        /// Instead, write the same CRM as an Oracle init script (for the
        /// docker compose `oracle` service), with a read-only account whose
        /// password is read from PSTRAL_ORACLE_READER_PASSWORD.
        #[arg(long, value_name = "FILE", conflicts_with = "postgres")]
        oracle_script: Option<PathBuf>,
        /// Instead, create it in the schema `crm` of this PostgreSQL
        /// database (as a role that may create schemas and roles), with a
        /// role that may only read it, for the Execute target. Its password
        /// is PSTRAL_DEMO_READER_PASSWORD, or one made up and shown once.
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// The read-only role's name (with --postgres).
        #[arg(long, default_value = "crm_reader")]
        reader: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExamplesCommand {
    /// The examples of a target, with who confirmed them and whether they
    /// are in use or set aside.
    List {
        /// The target (default: sql.target).
        #[arg(long, conflicts_with = "all")]
        target: Option<String>,
        /// Of every target.
        #[arg(long)]
        all: bool,
    },
    /// Store a question and its SQL as an example, judged by the target's
    /// policy and catalogue first.
    Add {
        #[arg(long)]
        target: Option<String>,
        /// The question, as a user would ask it.
        #[arg(long)]
        question: String,
        /// The SQL that answers it, or - to read it from standard input.
        #[arg(long)]
        sql: String,
        /// en or fr (default: told from the question).
        #[arg(long)]
        language: Option<Lang>,
    },
    /// Remove an example (audited).
    Remove { id: i64 },
    /// Store the examples of a file: JSON lines, or TOML ([[example]], or the
    /// [[case]] tables of an evaluation set), each judged first.
    Import {
        file: PathBuf,
        /// The target they are for (default: sql.target).
        #[arg(long)]
        target: Option<String>,
    },
    /// Write the examples to a file (.toml as TOML, else JSON lines), or as
    /// JSON lines to standard output.
    Export {
        #[arg(long, conflicts_with = "all")]
        target: Option<String>,
        #[arg(long)]
        all: bool,
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The cases: a .toml file of [[case]] tables (id, question, language,
    /// gold), or JSON lines with the same keys.
    pub cases: PathBuf,
    /// Hold out every second case and store the others as examples first,
    /// in memory only: the held-out cases are scored without examples, then
    /// with them, in one run.
    #[arg(long)]
    pub split: bool,
    /// The target (default: sql.target).
    #[arg(long)]
    pub target: Option<String>,
    /// Where the JSON report goes (each case's verdict and diff).
    #[arg(long, default_value = "eval-report.json")]
    pub report: PathBuf,
    /// Only the first N cases.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Also ask the same cases with a bare prompt (the tables and the
    /// question, nothing else: no glossary, values, examples, plan or
    /// repair), reported beside: what the bot's way brings over it.
    #[arg(long)]
    pub bare: bool,
    /// Measure each part of the free SQL path's prompt: ask every case
    /// through the free path alone (no plan) with a bare prompt (none of
    /// the parts), as sql.free_prompt has it, with each part it holds alone
    /// on the bare prompt, then the parts that helped alone together, in
    /// one run; prints what each part brings. To measure a part left out,
    /// name it in sql.free_prompt for the run.
    #[arg(long, conflicts_with_all = ["split", "bare", "plan_only", "reread"])]
    pub ablate: bool,
    /// With --ablate, a shorter run: the bare prompt and each of these
    /// parts alone on it (comma-separated names of sql.free_prompt's
    /// parts), neither sql.free_prompt as a whole nor the parts kept.
    #[arg(long, requires = "ablate", value_delimiter = ',', value_parser = prompt_part)]
    pub ablate_parts: Vec<pstral_core::sql::PromptPart>,
    /// Ask the semantic model's plan only: a case the plan leaves to the
    /// free SQL path is reported as left (verdict left_to_free), not asked
    /// again. The semantic path's own accuracy, quickly.
    #[arg(long)]
    pub plan_only: bool,
    /// Ask a follow-up (a case with `earlier`) alone, as a new question:
    /// what reading it with the question it follows brings.
    #[arg(long)]
    pub alone: bool,
    /// Ask nothing: read a report an earlier run wrote and print its
    /// figures and tables again (the signals of doubt judged with this
    /// configuration's sql.unsure_below).
    #[arg(long, value_name = "REPORT")]
    pub reread: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SemanticCommand {
    /// Hold the target's semantic model against its live catalogue: every
    /// table, column and name exists, every expression passes the validator,
    /// every two entities join one way; exit 1 naming each problem.
    Check {
        /// The target, as named in [sql.targets.NAME] (default: sql.target).
        #[arg(long)]
        target: Option<String>,
    },
    /// Print the semantic model as the model sees it (the plan prompt, with
    /// no data values), and with --schema the JSON schema its plans are held
    /// to. With --question, what that question names instead (the
    /// dimensions, values, segments, periods its words point at) and the
    /// names its plan may use: how to check that a synonym catches a wording.
    Show {
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        schema: bool,
        #[arg(long)]
        question: Option<String>,
    },
    /// Write a starting semantic model read from the target's live
    /// catalogue to standard output: entities from tables (joined by their
    /// foreign keys alone), categories from the values the data holds, time
    /// dimensions from dates, counts, sums and averages of amounts, segments
    /// from status values; every guess marked for review in a comment.
    Draft {
        #[arg(long)]
        target: Option<String>,
        /// A glossary (Markdown) whose words label and name the definitions
        /// (default: the target's instructions_file).
        #[arg(long)]
        glossary: Option<PathBuf>,
    },
    /// Write another tool's semantic definitions as Pstral's semantic model,
    /// to standard output; what has no counterpart is listed, never dropped.
    #[command(subcommand)]
    Import(ImportFrom),
    /// The questions asked at least twice that the definitions did not
    /// answer (left to the model's own SQL, or marked wrong), grouped by
    /// similarity, each with the definitions near it. With --take N and
    /// --sql, suggestion N's question and that SQL are stored as an example
    /// (judged first, audited); nothing is added otherwise.
    Suggest {
        #[arg(long)]
        target: Option<String>,
        /// How far back to look (default: all the audit keeps, which its
        /// retention bounds).
        #[arg(long, value_parser = parse_duration)]
        since: Option<std::time::Duration>,
        /// The fewest times a question must have been asked.
        #[arg(long, default_value_t = 2)]
        min: usize,
        /// The suggestion to turn into an example (its number in the list).
        #[arg(long, requires = "sql")]
        take: Option<usize>,
        /// The SQL that answers it, or - to read it from standard input.
        #[arg(long, requires = "take")]
        sql: Option<String>,
    },
}

/// Where imported definitions come from.
#[derive(Debug, Subcommand)]
pub enum ImportFrom {
    /// A dbt project: the semantic_models and metrics of its models/**/*.yml.
    Dbt {
        /// The project's folder (the one holding models/).
        path: PathBuf,
        /// The target to hold the result against (default: sql.target).
        #[arg(long)]
        target: Option<String>,
        /// Also write the saved queries found as examples to this file (for
        /// `pstral examples import`).
        #[arg(long)]
        examples: Option<PathBuf>,
    },
    /// A Snowflake semantic model (Cortex Analyst's YAML).
    Snowflake {
        file: PathBuf,
        #[arg(long)]
        target: Option<String>,
        /// Also write its verified_queries as examples to this file (for
        /// `pstral examples import`).
        #[arg(long)]
        examples: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SqlCommand {
    /// Judge one statement: exit 0 accepted, 1 refused (with the reason), 2 usage error.
    Check {
        /// The dialect to parse with (default: the configured target's).
        /// oracle, postgres or sqlite.
        #[arg(long)]
        dialect: Option<pstral_core::sql::Dialect>,
        /// With --as USER (the global option): the target USER's click is
        /// judged on, as named in [sql.targets.NAME] (default: sql.target).
        /// With --as, the statement is judged as a click of USER would be:
        /// against the target's live catalogue and the data-access rules
        /// of their groups now (it reads the own database and the target).
        #[arg(long)]
        target: Option<String>,
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
    /// What the bot would do with one statement in a model's answer: judge
    /// it and compile it on the target (EXPLAIN) as the offer does, nothing
    /// run; exit 0 offered (with the database's estimate), 1 not (with the
    /// reason the chat would show).
    Offer {
        /// The target, as named in [sql.targets.NAME] (default: sql.target).
        #[arg(long)]
        target: Option<String>,
        #[arg(default_value = "-")]
        file: PathBuf,
    },
    /// Run one statement on a target, read-only, through the same checks and
    /// audit as the bot; the rows as CSV on standard output.
    Run {
        /// The target, as named in [sql.targets.NAME] (default: sql.target).
        #[arg(long)]
        target: Option<String>,
        /// Also draw the result's chart into this PNG file, when its shape
        /// calls for one (otherwise say why not).
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// The chart's title (default: none).
        #[arg(long, requires = "chart")]
        title: Option<String>,
        #[arg(default_value = "-")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversationCommand {
    /// Print a conversation as Markdown or JSON.
    Export {
        id: i64,
        #[arg(long, default_value = "markdown", value_parser = PossibleValuesParser::new(["markdown", "json"]).try_map(|s| s.parse::<pstral_core::conversation::ExportFormat>()))]
        format: pstral_core::conversation::ExportFormat,
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
        #[arg(value_parser = parse_identity)]
        identity: PlatformIdentity,
    },
    /// Unlink a chat identity from whichever user has it.
    Unlink {
        #[arg(value_parser = parse_identity)]
        identity: PlatformIdentity,
    },
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
    /// Put a user in a group ([groups.NAME] in the configuration): from
    /// their next click, what the group hides is refused to them.
    Group { name: String, group: String },
    /// Take a user out of a group.
    Ungroup { name: String, group: String },
    /// The configured groups: what each hides, its accounts, its members.
    Groups {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: their chat accounts are refused from their next
    /// action (and stay linked), their API tokens revoked.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
    /// Remove a user: disabled, every chat account unlinked; their
    /// conversations and messages kept unless --erase-history. The record
    /// stays (disabled), since the audit names them.
    Remove {
        name: String,
        /// Delete the conversations they started and the messages they wrote.
        #[arg(long)]
        erase_history: bool,
    },
    /// List users with their roles and identities.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Make a one-time code that the chat account --for sends to the bot in a
    /// DM to link itself to NAME. (Not knowing the account, let the person
    /// ask: they send `link NAME` to the bot in a DM, and you approve it
    /// with `pstral user approve`.)
    Invite {
        name: String,
        /// The one chat account that may use the code (`matrix:@bob:example.org`,
        /// `discord:1234…`): whoever else reads the code can do nothing with it.
        #[arg(long = "for", value_parser = parse_identity)]
        for_identity: PlatformIdentity,
    },
    /// List the requests to be linked that people sent the bot (`link NAME`
    /// in a DM), waiting for an admin.
    Requests {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Link the chat account that asked to the user it asked for, named as
    /// `pstral user requests` shows it (a request changed since is refused).
    Approve {
        #[arg(value_parser = parse_identity)]
        identity: PlatformIdentity,
        /// The user the request names.
        name: String,
    },
    /// Turn a chat account's request to be linked down.
    Deny {
        #[arg(value_parser = parse_identity)]
        identity: PlatformIdentity,
    },
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
        #[arg(long, default_value = "jsonl", value_parser = PossibleValuesParser::new(["jsonl", "csv"]).try_map(|s| s.parse::<ExportFormat>()))]
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

/// An identity as typed, checked against its platform's id syntax.
fn parse_identity(s: &str) -> Result<PlatformIdentity, String> {
    PlatformIdentity::parse_checked(s, &crate::platforms::identity_syntaxes())
        .map_err(|e| e.to_string())
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: pstral_core::identity::UnknownRole| e.to_string())
}

/// How long a token works; `None`: until revoked.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime(pub Option<std::time::Duration>);

/// A token's lifetime as typed: a duration, or `never`.
fn parse_lifetime(s: &str) -> Result<Lifetime, String> {
    match s.trim() {
        "never" => Ok(Lifetime(None)),
        other => humantime::parse_duration(other)
            .map(|d| Lifetime(Some(d)))
            .map_err(|e| format!("{e}: write a duration (30d, 1y) or never")),
    }
}

/// A duration as an operator would type it (30d, 12h).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("{e}: write a duration (30d, 12h)"))
}

/// A point in time as an operator would type it (see
/// [`pstral_core::audit::parse_time`]).
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    pstral_core::audit::parse_time(s)
}

/// A part of the free SQL path's prompt, by its name in sql.free_prompt.
fn prompt_part(name: &str) -> Result<pstral_core::sql::PromptPart, String> {
    use pstral_core::sql::PromptPart;
    PromptPart::ALL
        .into_iter()
        .find(|part| part.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = PromptPart::ALL.iter().map(|p| p.as_str()).collect();
            format!("no part {name:?}: the parts are {}", names.join(", "))
        })
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
