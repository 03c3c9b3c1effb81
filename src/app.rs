//! The long-running service behind `pstral run`: opens the own database,
//! starts what the configuration enables, and stops cleanly on a signal.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::Audit;
use crate::config::Settings;
use crate::identity::Directory;
use crate::store::{Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A platform is enabled in the configuration but its adapter is not part
    /// of this build yet.
    #[error(
        "{0} is enabled in the configuration, but this build of Pstral has no {0} adapter yet; set {1}=false"
    )]
    PlatformUnavailable(&'static str, &'static str),
}

/// Everything `pstral run` serves, built and ready.
pub struct Application {
    settings: Settings,
    store: Store,
    audit: Audit,
    directory: Directory,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Application {
    /// Opens the own database (migrating it) and checks that every enabled
    /// platform can be served.
    ///
    /// # Errors
    /// [`StartError`] saying what could not be started.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        if settings.discord.is_some() {
            return Err(StartError::PlatformUnavailable(
                "Discord",
                "PSTRAL__DISCORD__ENABLED",
            ));
        }
        if settings.matrix.is_some() {
            return Err(StartError::PlatformUnavailable(
                "Matrix",
                "PSTRAL__MATRIX__ENABLED",
            ));
        }
        let store = Store::open(&settings.database).await?;
        let audit = Audit::new(store.clone());
        Ok(Self {
            directory: Directory::new(store.clone(), settings.identity.clone())
                .with_audit(audit.clone()),
            audit,
            store,
            settings,
            tracker: TaskTracker::new(),
            cancel: CancellationToken::new(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Serves until `shutdown` completes, then tells every task to stop and
    /// waits for them at most `general.shutdown_grace`.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails at start.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StoreError> {
        let version = self.store.schema_version().await?;
        tracing::info!(
            database = %self.settings.database.url,
            schema = version,
            "own database ready"
        );
        tracing::info!(
            "no chat platform is enabled: set discord.enabled or matrix.enabled to serve one; \
             waiting for SIGINT or SIGTERM"
        );
        shutdown.await;
        tracing::info!("shutting down");
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(self.settings.general.shutdown_grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some tasks did not finish within the grace period");
        }
        self.store.close().await;
        Ok(())
    }
}

/// Completes on the first SIGINT or SIGTERM. The handlers are installed
/// when this is called, not when the future is first polled: a signal that
/// arrives after the service said it was ready is never missed (nor left to
/// the default action, which would kill the process).
///
/// # Panics
/// Outside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!("cannot listen for signals: {e}");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
