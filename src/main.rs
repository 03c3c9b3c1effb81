//! The `pstral` binary: the command line over the Pstral core, and the
//! wiring of the core to the chat adapters this build includes (each behind
//! a cargo feature, all on by default).
//!
//! - [`args`]: the grammar of the command line.
//! - [`commands`]: one module per group of subcommands.
//! - [`platforms`]: the chat adapters this build includes.
//! - [`tables`]: how the operator commands print tables.

mod args;
mod commands;
mod platforms;
mod tables;

use std::process::ExitCode;

use clap::Parser;
use pstral_core::config::{self, ConfigError, Settings};
use pstral_core::telemetry;

use args::{Cli, Command, ConversationCommand, SqlCommand};

/// Runs the command line and returns the process exit code.
fn main() -> ExitCode {
    // A SQLite target's statement runs in this binary re-executed, before
    // anything else is set up: no configuration, no log, no runtime of the
    // bot's.
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(
            pstral_core::sql::backend::sqlite_worker::WORKER_ARG,
        ))
    {
        let code = pstral_core::sql::backend::sqlite_worker::serve();
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = Cli::parse();
    if let Some(name) = &cli.acting_as {
        pstral_core::audit::Actor::cli_as(name);
    }
    // A command whose reader stops early (`pstral check | head`) ends
    // quietly, as other command-line tools do, instead of panicking on the
    // broken pipe (Rust ignores SIGPIPE). The bot and the terminal chat keep
    // Rust's way; sockets are written with MSG_NOSIGNAL either way.
    if !matches!(cli.command, Command::Run | Command::Chat { .. }) {
        // SAFETY: before any thread is started; restores the default action.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let settings = match config::load(cli.config.as_deref(), &platforms::platforms()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            if let ConfigError::Invalid(_) = e {
                eprintln!(
                    "(run `pstral check` after fixing; config/default.toml documents every key, \
                     adapters/*/settings.toml each platform's)"
                );
            }
            return ExitCode::FAILURE;
        }
    };
    if let Command::Check { offline } = cli.command {
        return commands::check::check(&settings, offline);
    }
    if let Command::Sql(SqlCommand::Check { dialect, file, .. }) = &cli.command
        && cli.acting_as.is_none()
    {
        return commands::sql::sql_check(&settings, *dialect, file);
    }
    let format = cli.log_format.unwrap_or(settings.log.format);
    let level = settings.log.level.as_str();
    // In a terminal conversation, log lines would break into the answers:
    // they go to a file, and what the person must act on is said in words.
    let log_to = match &cli.command {
        Command::Chat { log_file } => telemetry::LogTo::File(
            log_file
                .clone()
                .unwrap_or_else(|| settings.general.data_dir.join("chat.log")),
        ),
        _ => telemetry::LogTo::Stderr,
    };
    let quiet: Vec<&str> = platforms::platforms()
        .included
        .iter()
        .flat_map(|platform| platform.quiet_logs().iter().copied())
        .collect();
    if let Err(e) = telemetry::init(format, level, &quiet, &log_to) {
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
    // Said after an error that is the storage's, which is made far from
    // the settings that say where the database is.
    let own_database = settings.database.url.redacted();
    let span = telemetry::request_span("command");
    match runtime.block_on(tracing::Instrument::instrument(
        dispatch(cli.command, cli.acting_as, settings),
        span,
    )) {
        Ok(code) => code,
        Err(e) => {
            // The chain may hold a database's or a chat's words.
            eprintln!("error: {}", pstral_chat::printable(&format!("{e:#}")));
            let storage = e.chain().any(|cause| {
                cause
                    .downcast_ref::<pstral_core::store::StoreError>()
                    .is_some_and(pstral_core::store::StoreError::is_storage)
            });
            if storage {
                eprintln!("(the own database: {own_database})");
            }
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(
    command: Command,
    acting_as: Option<String>,
    settings: Settings,
) -> anyhow::Result<ExitCode> {
    use commands::*;
    match command {
        Command::Check { offline } => Ok(check::check(&settings, offline)),
        Command::Health { url } => health::health(&settings, url.as_deref()).await,
        Command::Run => run::run(settings).await,
        Command::Chat { log_file } => {
            let log_file = log_file.unwrap_or_else(|| settings.general.data_dir.join("chat.log"));
            chat::chat(settings, &log_file).await
        }
        Command::Demo(cmd) => demo::demo_command(&settings, cmd).await,
        Command::Semantic(cmd) => semantic::semantic_command(&settings, cmd).await,
        Command::Examples(cmd) => commands::examples::examples_command(&settings, cmd).await,
        Command::Eval(args) => commands::eval::eval(&settings, args).await,
        Command::Sql(SqlCommand::Check {
            dialect,
            file,
            target,
        }) => match &acting_as {
            Some(user) => sql::sql_check_as(&settings, user, target, &file).await,
            None => Ok(sql::sql_check(&settings, dialect, &file)),
        },
        Command::Sql(SqlCommand::Run {
            target,
            chart,
            title,
            file,
        }) => {
            let chart = chart.map(|path| sql::ChartFile {
                path,
                title: title.unwrap_or_default(),
            });
            sql::sql_run(&settings, target, &file, acting_as.as_deref(), chart).await
        }
        Command::Sql(SqlCommand::Offer { target, file }) => {
            sql::offer(&settings, target, &file, acting_as.as_deref()).await
        }
        Command::Sql(SqlCommand::Schema { target, question }) => {
            sql::schema(&settings, target, question).await
        }
        Command::Conversation(ConversationCommand::Export { id, format }) => {
            conversation::export(&settings, id, format).await
        }
        Command::Backup { path } => database::backup(&settings, &path).await,
        Command::Restore { path, force } => database::restore(&settings, &path, force).await,
        Command::Migrate => database::migrate(&settings).await,
        Command::Token(cmd) => {
            let store = open(&settings).await?;
            let tokens = pstral_core::admin::tokens::Tokens::new(
                store.clone(),
                pstral_core::audit::Audit::new(store.clone()),
            );
            let result = tokens::token_command(&tokens, cmd).await;
            store.close().await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::User(cmd) => {
            let store = open(&settings).await?;
            let directory = pstral_core::identity::Directory::new(
                store.clone(),
                settings.identity.clone(),
                &crate::platforms::identity_syntaxes(),
            )
            .with_groups(&settings.access.group_names());
            let result = users::user_command(&directory, &settings, cmd).await;
            store.close().await;
            result.map(|()| ExitCode::SUCCESS)
        }
        Command::Audit(cmd) => {
            let store = open(&settings).await?;
            let result = audit::audit_command(&store, &settings, cmd).await;
            store.close().await;
            result
        }
    }
}
