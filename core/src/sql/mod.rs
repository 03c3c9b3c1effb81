//! SQL in answers: finding it ([`extract`]), judging it on its parsed form
//! ([`validate`]), running it read-only through the one audited use case
//! ([`execute`]) on a target's backend ([`backend`], one file per backend),
//! showing its rows ([`render`]), and what the model is told of a target's
//! tables ([`schema`]). How it is configured: [`SqlSettings`].
//!
//! Defence in depth (see DESIGN.md): the statement is parsed with the target's
//! dialect and the whole tree walked; what cannot be parsed is refused as
//! "cannot be verified", never passed. Execution (read-only account,
//! read-only transaction, timeouts, row cap) is the next layer.

pub mod backend;
pub mod demo;
mod dialect;
pub mod execute;
pub mod extract;
pub mod render;
pub mod schema;
mod settings;
pub mod validate;

use std::sync::Arc;

use crate::store::DatabaseUrl;
use backend::{ExecError, Executor};
pub use dialect::Dialect;
pub use settings::{Candidates, RedactedSecret, SemanticSource, SqlSettings, Target, TargetKind};

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
                let hint = if target.demo_file().is_some() {
                    " (create it with `pstral demo init`)"
                } else {
                    ""
                };
                return Err(ExecError::Unavailable(format!(
                    "{} does not exist{hint}",
                    path.display()
                )));
            }
            Arc::new(backend::SqliteExecutor::open(path).await?)
        }
        TargetKind::Postgres(DatabaseUrl::Postgres(url)) => Arc::new(
            backend::PostgresExecutor::connect(url.as_str())
                .await?
                .with_search_path(allowed_schemas)
                .weighing(target.weigh_plans),
        ),
        TargetKind::Postgres(DatabaseUrl::Sqlite(path)) => {
            Arc::new(backend::SqliteExecutor::open(path).await?)
        }
        #[cfg(not(feature = "oracle"))]
        TargetKind::Oracle { .. } => {
            return Err(ExecError::Unavailable(oracle_client_library().unwrap_err()));
        }
        #[cfg(feature = "oracle")]
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
                backend::oracle::OracleExecutor::connect(user.clone(), password, connect.clone())
                    .await?,
            )
        }
    })
}

/// The Oracle client library's version, or why Oracle targets cannot be
/// used here: the library is not installed, or this build left Oracle out.
pub fn oracle_client_library() -> Result<String, String> {
    #[cfg(feature = "oracle")]
    return backend::oracle::client_library();
    #[cfg(not(feature = "oracle"))]
    Err(
        "this pstral was built without Oracle support; build it with \
         `cargo build --release --features oracle` (or with the default features)"
            .to_owned(),
    )
}
