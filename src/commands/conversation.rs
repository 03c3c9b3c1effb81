//! `pstral conversation export`: a kept conversation, as Markdown or JSON.

use std::process::ExitCode;

use anyhow::{Context, bail};
use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::config::Settings;
use pstral_core::conversation::{Conversations, ExportFormat};
use serde_json::json;

use super::open;

pub(crate) async fn export(
    settings: &Settings,
    id: i64,
    format: ExportFormat,
) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
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
            // Chat text, for a terminal: its escapes shown, never obeyed.
            println!("{}", pstral_chat::printable(&text));
            Ok(ExitCode::SUCCESS)
        }
        None => bail!("there is no conversation {id}"),
    }
}
