//! Shared helpers for the integration tests: a fresh own database per test,
//! on real SQLite or real PostgreSQL.
//!
//! PostgreSQL is reached at `PSTRAL_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`, which `scripts/test` makes sure
//! is up). Each test gets a database of its own, created here and dropped when
//! the test ends, passed or not. A server that cannot be reached fails the
//! test: nothing is skipped.

#![allow(dead_code)]

pub mod fake_discord;
pub mod fake_model;
pub mod recording_proxy;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pstral_core::store::Store;
use pstral_core::store::{DatabaseSettings, DatabaseUrl};
use sqlx::{Connection, PgConnection};
use url::Url;

/// Serves `app` on a free loopback port until the returned token is
/// cancelled (the fakes cancel it when dropped).
pub async fn serve_on_loopback(
    app: axum::Router,
) -> (std::net::SocketAddr, tokio_util::sync::CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stopped.cancelled().await })
            .await
            .unwrap();
    });
    (addr, stop)
}

/// The chat platforms the tests link accounts of: the real adapters'.
pub const CHAT_PLATFORMS: &[pstral_chat::IdentitySyntax] =
    &[pstral_discord::IDENTITY, pstral_matrix::IDENTITY];

/// The people of `store` as the tests' bot knows them: strangers refused
/// and sent to "the IT desk", invite codes valid an hour, the real
/// adapters' ids.
pub fn directory(store: &Store) -> pstral_core::identity::Directory {
    pstral_core::identity::Directory::new(
        store.clone(),
        pstral_core::identity::IdentitySettings {
            unknown: pstral_core::identity::UnknownPolicy::Refuse,
            contact: "the IT desk".to_owned(),
            invite_ttl: Duration::from_secs(3600),
        },
        CHAT_PLATFORMS,
    )
}

pub fn pg_admin_url() -> String {
    std::env::var("PSTRAL_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh, migrated own database that disappears with the value.
pub struct TestDb {
    pub store: Store,
    pub settings: DatabaseSettings,
    dir: Option<tempfile::TempDir>,
    pg_database: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let settings = settings(DatabaseUrl::Sqlite(dir.path().join("own.db")));
        let store = Store::open(&settings)
            .await
            .expect("open a fresh SQLite store");
        Self {
            store,
            settings,
            dir: Some(dir),
            pg_database: None,
        }
    }

    pub async fn postgres() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pstral_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let admin = pg_admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for these tests and is not reachable at {admin}: {e}. \
                 Run the tests with scripts/test, which starts it, or set PSTRAL_TEST_PG_URL."
            )
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE (the test role needs CREATEDB)");
        conn.close().await.ok();
        let mut url = Url::parse(&admin).expect("PSTRAL_TEST_PG_URL is a URL");
        url.set_path(&name);
        let settings = settings(DatabaseUrl::Postgres(url));
        let store = Store::open(&settings)
            .await
            .expect("open a fresh PostgreSQL store");
        Self {
            store,
            settings,
            dir: None,
            pg_database: Some(name),
        }
    }

    /// A second, independent pool on the same database: another replica.
    pub async fn another_replica(&self) -> Store {
        Store::open(&self.settings)
            .await
            .expect("open a second pool")
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.settings.url {
            DatabaseUrl::Sqlite(p) => Some(p.clone()),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// Runs raw SQL behind the store's back, as an intruder with write access
    /// to the database would.
    pub async fn tamper(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.store {
            Store::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Store::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
        .expect("tampering SQL runs");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_database.take() else {
            return;
        };
        // Drop runs outside any async context we may block, so the database
        // is dropped from a thread with a runtime of its own.
        let admin = pg_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

fn settings(url: DatabaseUrl) -> DatabaseSettings {
    DatabaseSettings {
        url,
        password: None,
        max_connections: 8,
        acquire_timeout: Duration::from_secs(30),
        busy_timeout: Duration::from_secs(10),
    }
}

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// Declares each listed `async fn(TestDb)` as two tests, one per backend:
/// `MODULE::sqlite::NAME` and `MODULE::postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::support::TestDb::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::support::TestDb::postgres().await).await
                }
            )*
        }
    };
}

/// A fresh API token for the admin `name` (created as an admin if missing).
pub async fn admin_token(db: &TestDb, name: &str, ttl: Option<Duration>) -> String {
    use pstral_core::audit::{Actor, Audit};
    use pstral_core::identity::{Directory, Role};
    let audit = Audit::new(db.store.clone());
    let directory = Directory::new(
        db.store.clone(),
        pstral_core::config::Settings::defaults().identity,
        CHAT_PLATFORMS,
    );
    if directory.user(name).await.unwrap().is_none() {
        directory
            .add_user(name, Role::Admin, Actor::cli())
            .await
            .unwrap();
    }
    pstral_core::admin::tokens::Tokens::new(db.store.clone(), audit)
        .create(name, "test", ttl, Actor::cli())
        .await
        .unwrap()
        .token
}

/// The production `Application` with its admin endpoint on a free loopback
/// port, served on its own task until [`Serving::stop`].
pub struct Serving {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The metrics listener's, when `admin.metrics_bind` is set.
    pub metrics_base: Option<String>,
    pub store: Store,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<Result<(), pstral_core::app::RunError>>,
}

impl Serving {
    /// Builds the application from `settings`, with `admin.bind` set to
    /// port 0 on loopback.
    pub async fn start(settings: pstral_core::config::Settings) -> Self {
        Self::start_with(settings, Vec::new()).await
    }

    /// The same, serving the chat platforms of `connectors` too.
    pub async fn start_with(
        mut settings: pstral_core::config::Settings,
        connectors: Vec<Box<dyn pstral_chat::Connector>>,
    ) -> Self {
        let trusted_proxies = settings
            .admin
            .as_ref()
            .map(|a| a.trusted_proxies.clone())
            .unwrap_or_default();
        let metrics_bind = settings.admin.as_ref().and_then(|a| a.metrics_bind);
        settings.admin = Some(pstral_core::admin::AdminSettings {
            bind: "127.0.0.1:0".parse().unwrap(),
            trusted_proxies,
            metrics_bind,
        });
        let app = pstral_core::app::Application::build(
            settings,
            &[pstral_discord::IDENTITY, pstral_matrix::IDENTITY],
        )
        .await
        .unwrap();
        let base = format!("http://{}", app.admin_addr().unwrap());
        let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
        let store = app.store().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(app.run_until_stopped(connectors, async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            metrics_base,
            store,
            stop,
            served,
        }
    }

    /// Stops the application as a signal would, and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.served.await.unwrap().unwrap();
    }
}

/// The payloads of the audit events of `kind`, oldest first.
pub async fn audited(audit: &pstral_core::audit::Audit, kind: &str) -> Vec<serde_json::Value> {
    use pstral_core::audit::{AuditFilter, Order};
    audit
        .list(&AuditFilter::default(), Order::OldestFirst, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}
