//! The election of one leader among the replicas on one PostgreSQL, by a
//! session advisory lock *and* a lease row with a fencing number:
//!
//! - The lock, held by a session of its own (never a pooled connection,
//!   whose session another caller could end or share), is what makes a
//!   takeover fast: when a leader's process dies, its connection closes and
//!   the server releases the lock at once; a standby trying it every tenth
//!   of `ha.takeover` gets it within a second of the death.
//! - The lease (`leadership.renewed_at`, written in the server's clock)
//!   covers what the lock cannot see: a leader cut from the network, or
//!   frozen, whose session the server keeps (until TCP gives up, minutes
//!   later) with the lock in it. A standby that finds the lease older than
//!   `ha.takeover` ends that session (`pg_terminate_backend`) and takes the
//!   lock. The leader stops serving once half of `ha.takeover` has passed
//!   without a renewal, before any standby may take over; at once when its
//!   session fails.
//! - The term, bumped at each takeover, fences what a deposed leader that
//!   does not know it yet would still do: every claim of an event is made
//!   under the term it was elected in, and refused once another began
//!   ([`super::Replica::first_time`]).

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Role;

/// The advisory lock's key: "pstral" in ASCII. Advisory locks are kept per
/// database, so bots on other databases of one server do not meet.
const LOCK_KEY: i64 = 0x7073_7472_616c;

/// Who leads, as the `leadership` row says (`pstral check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    pub replica: String,
    pub term: i64,
    /// Since when it leads.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// How long ago it last renewed its lease, by the server's clock.
    pub renewed_ago: Duration,
    /// The leader's own `ha.takeover`, which its lease is judged by.
    pub takeover: Duration,
}

impl Leadership {
    /// Who leads on the own database `settings` names, as `pstral check`
    /// says it: `Ok(None)` on SQLite or when no replica led yet.
    ///
    /// # Errors
    /// Why the database could not tell.
    pub async fn of(settings: &crate::store::DatabaseSettings) -> Result<Option<Self>, String> {
        let Some(options) = crate::store::session_options(settings, "pstral check") else {
            return Ok(None);
        };
        let options = options.map_err(|e| e.to_string())?;
        let connect = tokio::time::timeout(settings.acquire_timeout, options.connect());
        let mut conn = match connect.await {
            Ok(conn) => conn.map_err(|e| e.to_string())?,
            Err(_) => return Err(format!("no answer within {:?}", settings.acquire_timeout)),
        };
        let read = Self::read(&mut conn).await;
        let _ = conn.close().await;
        match read {
            Ok(found) => Ok(found),
            // Not migrated yet: no `pstral run` started on it.
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P01") => {
                Ok(None)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// The leadership as the row says, or `None` when no replica ever led.
    ///
    /// # Errors
    /// A database failure.
    pub async fn read(conn: &mut PgConnection) -> Result<Option<Self>, sqlx::Error> {
        let row: Option<(String, i64, chrono::DateTime<chrono::Utc>, f64, i64)> = sqlx::query_as(
            "SELECT replica, term, started_at, \
             EXTRACT(EPOCH FROM (now() - renewed_at))::FLOAT8, takeover_ms \
             FROM leadership WHERE id = 1",
        )
        .fetch_optional(conn)
        .await?;
        Ok(
            row.map(|(replica, term, started_at, ago, takeover_ms)| Leadership {
                replica,
                term,
                started_at,
                renewed_ago: Duration::from_secs_f64(ago.max(0.0)),
                takeover: Duration::from_millis(u64::try_from(takeover_ms).unwrap_or(0)),
            }),
        )
    }

    /// Whether the lease ran out: a standby may take over, as the election
    /// judges it (by the leader's own takeover, not the reader's).
    pub fn ran_out(&self) -> bool {
        self.renewed_ago > self.takeover
    }
}

/// One replica's candidacy: runs until `stop`, saying the role in its
/// watch as it changes.
pub struct Election {
    pub options: PgConnectOptions,
    pub replica: String,
    pub takeover: Duration,
}

impl Election {
    /// How often a standby tries the lock and a leader renews its lease.
    fn tick(&self) -> Duration {
        (self.takeover / 10).clamp(Duration::from_millis(50), Duration::from_secs(1))
    }

    /// Campaigns, then leads, until `stop`, or until deposed: the role says
    /// [`Role::Deposed`] with why, and this returns; a deposed process
    /// must stop serving at once.
    pub async fn run(self, role: watch::Sender<Role>, stop: CancellationToken) {
        let tick = self.tick();
        let mut session: Option<PgConnection> = None;
        let mut unreachable_said = false;
        loop {
            if session.is_none() {
                match self.connect().await {
                    Ok(conn) => {
                        if unreachable_said {
                            tracing::info!("the own database is reachable again: standing by");
                        }
                        unreachable_said = false;
                        session = Some(conn);
                    }
                    Err(e) => {
                        if !unreachable_said {
                            tracing::warn!(error = %e, "standby: cannot reach the own database to stand for leader");
                            unreachable_said = true;
                        }
                    }
                }
            }
            if let Some(conn) = session.as_mut() {
                // A session the network left half-open would block here
                // until TCP gives up: one that does not answer is dropped.
                match tokio::time::timeout(self.takeover, self.campaign(conn)).await {
                    Ok(Ok(Some(term))) => {
                        let Some(conn) = session.take() else { return };
                        self.lead(conn, term, &role, &stop).await;
                        return;
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "standby: the own database failed; connecting again");
                        session = None;
                    }
                    Err(_) => {
                        tracing::warn!(takeover = ?self.takeover, "standby: the own database did not answer; connecting again");
                        session = None;
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(tick) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    async fn connect(&self) -> Result<PgConnection, String> {
        match tokio::time::timeout(self.takeover, self.options.connect()).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.takeover)),
        }
    }

    /// One try for the lead: the term when it is won. A lease that ran out
    /// while its session lives is ended here, to be won next time.
    async fn campaign(&self, conn: &mut PgConnection) -> Result<Option<i64>, sqlx::Error> {
        let won: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *conn)
            .await?;
        if won {
            let term: i64 = sqlx::query_scalar(
                "INSERT INTO leadership (id, term, replica, backend, takeover_ms, started_at, renewed_at) \
                 VALUES (1, 1, $1, pg_backend_pid(), $2, now(), now()) \
                 ON CONFLICT (id) DO UPDATE SET term = leadership.term + 1, \
                 replica = excluded.replica, backend = excluded.backend, \
                 takeover_ms = excluded.takeover_ms, \
                 started_at = excluded.started_at, renewed_at = excluded.renewed_at \
                 RETURNING term",
            )
            .bind(&self.replica)
            .bind(i64::try_from(self.takeover.as_millis()).unwrap_or(i64::MAX))
            .fetch_one(&mut *conn)
            .await?;
            return Ok(Some(term));
        }
        // The lease is judged by the leader's own `takeover`, which it
        // stops serving within half of: replicas whose settings differ (a
        // rolling change) never overlap.
        let stale: Option<(String, i32)> = sqlx::query_as(
            "SELECT replica, backend FROM leadership \
             WHERE id = 1 AND renewed_at < now() - takeover_ms * INTERVAL '1 millisecond'",
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((leader, backend)) = stale {
            tracing::warn!(
                leader,
                backend,
                "the leader has not renewed its lease in time: ending its database session to take over"
            );
            sqlx::query("SELECT pg_terminate_backend($1)")
                .bind(backend)
                .execute(&mut *conn)
                .await?;
        }
        Ok(None)
    }

    /// Leads for `term` until `stop` (the lock is released with the
    /// session) or until deposed.
    async fn lead(
        &self,
        mut conn: PgConnection,
        term: i64,
        role: &watch::Sender<Role>,
        stop: &CancellationToken,
    ) {
        tracing::info!(replica = %self.replica, term, "leading: this replica serves the chat platforms");
        role.send_replace(Role::Leader { term });
        let tick = self.tick();
        // The leader stops serving when the lease may be about to run out:
        // half of `takeover` after the last renewal was sent (sent, not
        // answered: the server's `now()` is later than that).
        let fence = self.takeover / 2;
        let mut renewed = Instant::now();
        let why = loop {
            tokio::select! {
                () = tokio::time::sleep(tick) => {}
                () = stop.cancelled() => {
                    let _ = conn.close().await;
                    return;
                }
            }
            let sent = Instant::now();
            let renewal = sqlx::query(
                "UPDATE leadership SET renewed_at = now() \
                 WHERE id = 1 AND term = $1 AND backend = pg_backend_pid()",
            )
            .bind(term)
            .execute(&mut conn);
            match tokio::time::timeout_at(renewed + fence, renewal).await {
                Ok(Ok(done)) if done.rows_affected() == 1 => renewed = sent,
                Ok(Ok(_)) => break "another replica took over".to_owned(),
                Ok(Err(e)) => break format!("the own database failed: {e}"),
                Err(_) => {
                    break format!(
                        "the own database did not answer for {fence:?}: another replica may take over"
                    );
                }
            }
        };
        tracing::error!(replica = %self.replica, term, reason = %why, "no longer the leader: stopping serving the chat platforms");
        role.send_replace(Role::Deposed(why));
        // The lock goes with the session: kept until this process stopped
        // serving, so that a standby does not lead while it still does
        // (a session that failed holds nothing any more, and one the
        // network cut is ended by the standby once the lease ran out).
        stop.cancelled().await;
        let _ = conn.close().await;
    }
}
