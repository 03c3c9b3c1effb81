//! `pstral chat`: a conversation with the bot in this terminal, as the
//! person who can already run every `pstral` command on this database.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use pstral_chat::ChatPlatform;
use pstral_core::audit::{Actor, Audit};
use pstral_core::config::Settings;
use pstral_core::i18n::{Lang, Startup, Wording};
use pstral_core::identity::{Directory, Role};
use pstral_core::llm::{Api, Llm, Readiness};
use pstral_terminal::Terminal;

use super::open;

/// `pstral chat`: the person at this terminal talks to the bot.
pub(crate) async fn chat(
    settings: Settings,
    log_file: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use tokio::io::BufReader;
    let _lock = pstral_core::backup::ServiceLock::acquire(&settings.database)?;
    let store = open(&settings).await?;
    let audit = Audit::new(store.clone());
    let directory = Directory::new(
        store.clone(),
        settings.identity.clone(),
        &crate::platforms::identity_syntaxes(),
    )
    .with_audit(audit.clone());
    let os_user = Actor::cli()
        .identity
        .map(|i| i.id().to_owned())
        .unwrap_or_else(|| "operator".to_owned());
    let files = std::env::current_dir().context("cannot read the current directory")?;
    let lang = settings.general.language;
    let terminal = Arc::new(Terminal::new(
        &os_user,
        Box::new(std::io::stdout()),
        files,
        Arc::new(Wording(lang)),
    ));
    ensure_terminal_user(&directory, terminal.author(), &os_user).await?;
    let notice = |text: &str| terminal.notice(text);
    let (bot, sql) = pstral_core::app::assemble_bot(
        &settings,
        &store,
        &audit,
        &directory,
        pstral_core::replicas::Replica::alone(store.clone()),
        &notice,
    )
    .await?;
    check_model_servers(bot.llm(), &terminal, lang).await;
    let stop_refresh = tokio_util::sync::CancellationToken::new();
    if let Ok(sql) = sql {
        let every = settings.sql.schema_refresh;
        tokio::spawn(pstral_core::app::refresh_schema(
            sql,
            every,
            stop_refresh.clone(),
        ));
    }
    terminal.notice(&Startup::TerminalWelcome.render(lang));
    terminal.notice(
        &Startup::TerminalLogFile {
            path: &log_file.display().to_string(),
        }
        .render(lang),
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
pub(crate) async fn ensure_terminal_user(
    directory: &Directory,
    identity: &pstral_chat::PlatformIdentity,
    os_user: &str,
) -> anyhow::Result<()> {
    if directory.user_of(identity).await?.is_some() {
        return Ok(());
    }
    if directory.user(os_user).await?.is_none() {
        // The first person on a new database is its admin (the quick
        // start); on a database with users, an admin decides who someone
        // is and what they may do.
        if !directory.list().await?.is_empty() {
            anyhow::bail!(
                "this database has users, and none is named {os_user}: ask an admin to run \
                 `pstral user add {os_user} --role viewer` (or executor, admin), then start \
                 `pstral chat` again"
            );
        }
        directory
            .add_user(os_user, Role::Admin, Actor::cli())
            .await?;
    }
    directory.link(os_user, identity, Actor::cli()).await?;
    Ok(())
}

/// Says where the model servers were looked for and how to fix what is
/// wrong: not running, or without the model.
pub(crate) async fn check_model_servers(llm: &Llm, terminal: &Terminal, lang: Lang) {
    for endpoint in llm.endpoints() {
        let url = &endpoint.name();
        let ollama = endpoint.api() == Api::Ollama;
        match endpoint.readiness().await {
            Readiness::Down(e) => terminal.notice(
                &Startup::ModelServerDown {
                    url,
                    error: &e.to_string(),
                    ollama,
                }
                .render(lang),
            ),
            Readiness::Lacks { served } => {
                let text = Startup::ServerLacksModel {
                    url,
                    model: endpoint.model(),
                    ollama,
                    served: &served.join(", "),
                };
                terminal.notice(&text.render(lang));
            }
            Readiness::Serves => {}
        }
    }
}
