//! `pstral token …`: bearer tokens of the admin HTTP endpoint.

use chrono::{DateTime, SecondsFormat, Utc};
use pstral_chat::shown;
use pstral_core::audit::Actor;

use crate::args::TokenCommand;
use crate::tables::new_table;

pub(crate) async fn token_command(
    tokens: &pstral_core::admin::tokens::Tokens,
    cmd: TokenCommand,
) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            user,
            expires,
            label,
        } => {
            let created = tokens
                .create(&user, &label, expires.0, Actor::cli())
                .await?;
            println!("{}", created.token);
            eprintln!(
                "token {} for {user}{}: shown once, keep it safe",
                created.id,
                created.expires_at.map_or_else(
                    || ", valid until revoked".to_owned(),
                    |e| format!(
                        ", valid until {} (--expires sets another lifetime, or never)",
                        e.to_rfc3339_opts(SecondsFormat::Secs, true)
                    )
                )
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
