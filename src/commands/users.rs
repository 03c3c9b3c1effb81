//! `pstral user …`: local users, their roles, linked identities and invites.

use std::io::Write;

use chrono::SecondsFormat;
use pstral_chat::shown;
use pstral_core::audit::Actor;
use pstral_core::identity::Directory;

use crate::args::UserCommand;
use crate::tables::new_table;

pub(crate) async fn user_command(directory: &Directory, cmd: UserCommand) -> anyhow::Result<()> {
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
        UserCommand::Disable { name } => {
            let user = directory.disable(&name, actor).await?;
            println!(
                "disabled {}: refused from their next action; API tokens revoked",
                shown(&user.name)
            );
        }
        UserCommand::Enable { name } => {
            let user = directory.enable(&name, actor).await?;
            println!("enabled {}", shown(&user.name));
        }
        UserCommand::Remove {
            name,
            erase_history,
        } => {
            let unlinked = directory.remove(&name, erase_history, actor).await?;
            println!(
                "removed {}: disabled, {} chat account(s) unlinked{}; history {}",
                shown(&name),
                unlinked.len(),
                if unlinked.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        unlinked
                            .iter()
                            .map(|i| shown(i))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                if erase_history { "erased" } else { "kept" }
            );
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
                        if e.disabled {
                            format!("{} (disabled)", e.user.role)
                        } else {
                            e.user.role.to_string()
                        },
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
        UserCommand::Invite { name, for_identity } => {
            let invite = directory.create_invite(&name, &for_identity, actor).await?;
            println!("{}", invite.code);
            eprintln!(
                "one-time code for {}, valid until {}: {} sends `link {}` to the bot in a direct message (the code works for that account only)",
                shown(&invite.user),
                invite.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                shown(&invite.for_identity.to_string()),
                invite.code
            );
        }
        UserCommand::Requests { json } => {
            let requests = directory.link_requests().await?;
            let mut out = std::io::stdout().lock();
            if json {
                for request in &requests {
                    writeln!(out, "{}", serde_json::to_string(request)?)?;
                }
            } else if requests.is_empty() {
                writeln!(out, "no link request is waiting")?;
            } else {
                for r in &requests {
                    let role = match r.role {
                        Some(role) => format!(" ({role})"),
                        None => " (no such user yet)".to_owned(),
                    };
                    writeln!(
                        out,
                        "{}  asks to be {}{role}  since {}",
                        shown(&r.identity),
                        shown(&r.user),
                        r.requested_at.to_rfc3339_opts(SecondsFormat::Secs, true)
                    )?;
                }
            }
        }
        UserCommand::Approve { identity, name } => {
            let user = directory.approve_link(&identity, &name, actor).await?;
            println!(
                "linked {} to {}",
                shown(&identity.to_string()),
                shown(&user.name)
            );
        }
        UserCommand::Deny { identity } => {
            let name = directory.deny_link(&identity, actor).await?;
            println!(
                "turned down the request of {} to be {}",
                shown(&identity.to_string()),
                shown(&name)
            );
        }
    }
    Ok(())
}
