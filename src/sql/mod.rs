//! SQL in answers: finding it ([`extract`]), judging it on its parsed form
//! ([`validate`]), and the dialects it is judged in.
//!
//! Defence in depth (see DESIGN.md): the statement is parsed with the target's
//! dialect and the whole tree walked; what cannot be parsed is refused as
//! "cannot be verified", never passed. Execution (read-only account,
//! read-only transaction, timeouts, row cap) is the next layer.

pub mod demo;
mod dialect;
pub mod exec;
pub mod extract;
pub mod oracle;
pub mod render;
pub mod schema;
pub mod validate;

use std::sync::Arc;

use crate::config::{DatabaseUrl, Target, TargetKind};
pub use dialect::Dialect;
use exec::{ExecError, Executor};

/// Connects to an Execute target.
///
/// # Errors
/// [`ExecError::Unavailable`] saying what is missing: the demo file (and
/// how to create it), the server, or the Oracle client library.
pub async fn open_target(
    target: &Target,
    allowed_schemas: &[String],
) -> Result<Arc<dyn Executor>, ExecError> {
    Ok(match &target.kind {
        TargetKind::Sqlite(path) => {
            if !path.exists() {
                let hint = if target.name == "demo" {
                    " (create it with `pstral demo init`)"
                } else {
                    ""
                };
                return Err(ExecError::Unavailable(format!(
                    "{} does not exist{hint}",
                    path.display()
                )));
            }
            Arc::new(exec::SqliteExecutor::open(path).await?)
        }
        TargetKind::Postgres(DatabaseUrl::Postgres(url)) => Arc::new(
            exec::PostgresExecutor::connect(url.as_str())
                .await?
                .with_search_path(allowed_schemas),
        ),
        TargetKind::Postgres(DatabaseUrl::Sqlite(path)) => {
            Arc::new(exec::SqliteExecutor::open(path).await?)
        }
        TargetKind::Oracle {
            user,
            password,
            connect,
        } => {
            use secrecy::ExposeSecret;
            let password = password
                .as_ref()
                .map(|p| p.0.expose_secret().to_owned())
                .unwrap_or_default();
            Arc::new(
                oracle::OracleExecutor::connect(user.clone(), password, connect.clone()).await?,
            )
        }
    })
}
