//! The long-running service behind `pstral run`: opens the own database,
//! starts what the configuration enables, and stops cleanly on a signal.

use std::future::Future;
use std::net::SocketAddr;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admin::{AdminState, tokens::Tokens};
use crate::audit::Audit;
use crate::config::Settings;
use crate::identity::Directory;
use crate::llm::Llm;
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
    #[error("cannot listen on {addr} for the admin endpoint: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot set up the model client: {0}")]
    Llm(#[from] crate::llm::LlmError),
    #[error(transparent)]
    Lock(#[from] crate::store::BackupError),
}

/// Everything `pstral run` serves, built and ready.
pub struct Application {
    settings: Settings,
    store: Store,
    audit: Audit,
    directory: Directory,
    admin: Option<(tokio::net::TcpListener, AdminState)>,
    /// Keeps a restore from replacing the database underneath.
    _lock: crate::store::ServiceLock,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Application {
    /// Opens the own database (migrating it), connects the Execute target,
    /// and binds the admin endpoint (port 0 picks a free port).
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
        let lock = crate::store::ServiceLock::acquire(&settings.database)?;
        let store = Store::open(&settings.database).await?;
        let audit = Audit::new(store.clone());
        let directory =
            Directory::new(store.clone(), settings.identity.clone()).with_audit(audit.clone());
        let admin = match &settings.admin {
            None => None,
            Some(admin) => {
                let listener =
                    tokio::net::TcpListener::bind(admin.bind)
                        .await
                        .map_err(|source| StartError::Bind {
                            addr: admin.bind,
                            source,
                        })?;
                let target = settings.sql.target.clone();
                let executor = match crate::sql::open_target(
                    &target,
                    &settings.sql.policy.allowed_schemas,
                )
                .await
                {
                    Ok(executor) => Ok((target.name.clone(), target.dialect(), executor)),
                    Err(e) => {
                        tracing::warn!(target = %target.name, error = %e, "the Execute target is not available");
                        Err((target.name.clone(), e.to_string()))
                    }
                };
                let state = AdminState {
                    tokens: Tokens::new(store.clone(), audit.clone()),
                    store: store.clone(),
                    audit: audit.clone(),
                    directory: directory.clone(),
                    llm: Some(Llm::from_settings(&settings.llm)?),
                    target: executor.as_ref().ok().cloned(),
                    target_unavailable: executor.err(),
                    metrics: Some(crate::telemetry::metrics_handle()),
                };
                Some((listener, state))
            }
        };
        Ok(Self {
            settings,
            store,
            audit,
            directory,
            admin,
            _lock: lock,
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

    /// Where the admin endpoint listens, when it is enabled.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then tells every task to stop and
    /// waits for them at most `general.shutdown_grace`.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails at start.
    pub async fn run_until_stopped(
        mut self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StoreError> {
        let version = self.store.schema_version().await?;
        tracing::info!(
            database = %self.settings.database.url,
            schema = version,
            "own database ready"
        );
        if let Some((listener, state)) = self.admin.take() {
            let addr = listener.local_addr().ok();
            let router = crate::admin::router(state);
            let stop = self.cancel.clone();
            self.tracker.spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the admin endpoint stopped");
                }
            });
            tracing::info!(address = ?addr, "admin endpoint listening");
        }
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
