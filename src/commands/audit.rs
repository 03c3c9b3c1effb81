//! `pstral audit verify|list|export`: the audit read from the operator's
//! shell. Each read is itself recorded before it happens.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use comfy_table::Table;
use pstral_chat::shown;
use pstral_core::audit::{Actor, Audit, AuditFilter, Event, EventKind, Order};
use pstral_core::config::Settings;
use pstral_core::identity::Directory;
use pstral_core::store::Store;
use serde_json::json;

use crate::args::{AuditCommand, FilterArgs};
use crate::tables::new_table;

pub(crate) async fn audit_command(
    store: &Store,
    settings: &Settings,
    cmd: AuditCommand,
) -> anyhow::Result<ExitCode> {
    let audit = Audit::new(store.clone());
    let directory = Directory::new(
        store.clone(),
        settings.identity.clone(),
        &crate::platforms::identity_syntaxes(),
    );
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

async fn record_read(audit: &Audit, what: serde_json::Value) -> anyhow::Result<()> {
    audit
        .record_read(Actor::cli(), None, "cli", what)
        .await
        .context("cannot record this read of the audit, so it was not done")
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
