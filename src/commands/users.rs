//! `pstral user …`: local users, their roles, linked identities and invites.

use std::io::Write;

use chrono::SecondsFormat;
use pstral_chat::shown;
use pstral_core::audit::Actor;
use pstral_core::identity::Directory;

use crate::args::UserCommand;
use crate::tables::new_table;

pub(crate) async fn user_command(
    directory: &Directory,
    settings: &pstral_core::config::Settings,
    cmd: UserCommand,
) -> anyhow::Result<()> {
    let actor = Actor::cli();
    match cmd {
        UserCommand::Group { name, group } => {
            let user = directory.set_group(&name, &group, true, actor).await?;
            println!("{} is in {}", shown(&user.name), shown(&group));
        }
        UserCommand::Ungroup { name, group } => {
            let user = directory.set_group(&name, &group, false, actor).await?;
            println!("{} is not in {}", shown(&user.name), shown(&group));
        }
        UserCommand::Groups { json } => groups(directory, settings, json).await?,
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
            println!("{}", removed(&name, &unlinked, erase_history));
        }
        UserCommand::List { json } => print_users(&directory.list().await?, json)?,
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
            print_requests(&directory.link_requests().await?, json)?;
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

/// What `user remove` did to `name`: disabled, the chat accounts
/// `unlinked`, the history erased or kept.
fn removed(name: &str, unlinked: &[impl std::fmt::Display], erased: bool) -> String {
    format!(
        "removed {}: disabled, {} chat account(s) unlinked{}; history {}",
        shown(name),
        unlinked.len(),
        if unlinked.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                unlinked
                    .iter()
                    .map(|i| shown(&i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        if erased { "erased" } else { "kept" }
    )
}

/// `user list`: every user, as a table or as JSON lines.
fn print_users(entries: &[pstral_core::identity::UserEntry], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for e in entries {
            serde_json::to_writer(&mut out, e)?;
            writeln!(out)?;
        }
    } else {
        let mut table = new_table(&["name", "role", "groups", "identities", "created"]);
        for e in entries {
            table.add_row(vec![
                shown(&e.user.name),
                if e.disabled {
                    format!("{} (disabled)", e.user.role)
                } else {
                    e.user.role.to_string()
                },
                e.groups.join(", "),
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
    Ok(())
}

/// `user requests`: the link requests waiting, in lines or as JSON lines.
fn print_requests(
    requests: &[pstral_core::identity::LinkRequest],
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for request in requests {
            writeln!(out, "{}", serde_json::to_string(request)?)?;
        }
    } else if requests.is_empty() {
        writeln!(out, "no link request is waiting")?;
    } else {
        for r in requests {
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
    Ok(())
}

/// `pstral user groups`: each configured group, what it hides, the targets
/// where it has an account of its own, and its members.
async fn groups(
    directory: &Directory,
    settings: &pstral_core::config::Settings,
    json: bool,
) -> anyhow::Result<()> {
    let entries = directory.list().await?;
    let mut out = std::io::stdout().lock();
    let ungrouped = match settings.access.ungrouped {
        pstral_core::access::Ungrouped::Everything => "everything",
        pstral_core::access::Ungrouped::Nothing => "nothing",
    };
    let rows: Vec<serde_json::Value> = settings
        .access
        .groups()
        .iter()
        .map(|g| {
            let accounts: Vec<&str> = settings
                .sql
                .targets
                .iter()
                .filter(|t| t.accounts.iter().any(|(name, _)| *name == g.name))
                .map(|t| t.name.as_str())
                .collect();
            let members: Vec<&str> = entries
                .iter()
                .filter(|e| e.groups.contains(&g.name))
                .map(|e| e.user.name.as_str())
                .collect();
            serde_json::json!({
                "group": g.name,
                "description": g.description,
                "hidden": g.hidden.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "accounts": accounts,
                "members": members,
            })
        })
        .collect();
    if json {
        for row in &rows {
            writeln!(out, "{row}")?;
        }
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(
            out,
            "No group is configured ([groups.NAME]); everyone reads {ungrouped}."
        )?;
        return Ok(());
    }
    let list = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .map(shown)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let mut table = new_table(&["group", "hides", "own account on", "members"]);
    for row in &rows {
        table.add_row(vec![
            shown(row["group"].as_str().unwrap_or_default()),
            list(&row["hidden"]),
            list(&row["accounts"]),
            list(&row["members"]),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "A person in no group reads {ungrouped} (access.ungrouped)."
    )?;
    // Memberships of a group removed or renamed in the configuration: it
    // grants nothing, and whoever is only in such groups may read nothing.
    for e in &entries {
        let unknown = settings.access.unknown(&e.groups);
        if !unknown.is_empty() {
            writeln!(
                out,
                "warning: {} is in {}, which no [groups.NAME] configures (it grants nothing)",
                shown(&e.user.name),
                unknown.join(", ")
            )?;
        }
    }
    Ok(())
}
