//! What `pstral run`'s leader does on a timer: the target's schema read
//! again, old conversations, audit events and handled events removed.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::audit::Audit;
use crate::sql_target::SqlRuntime;

/// Calls `prune` with the moment before which records go (now less
/// `retention`), at start and then once an hour, until `stop`.
async fn every_hour_before<F, Fut>(
    retention: std::time::Duration,
    stop: CancellationToken,
    prune: F,
) where
    F: Fn(chrono::DateTime<chrono::Utc>) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(age) = chrono::Duration::from_std(retention) else {
        return;
    };
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        prune(chrono::Utc::now() - age).await;
    }
}

/// Removes the audit events older than `retention`, at start and then once
/// an hour, until `stop`. A failure is logged and tried again next time.
pub async fn prune_audit(audit: Audit, retention: std::time::Duration, stop: CancellationToken) {
    every_hour_before(retention, stop, |before| {
        let audit = audit.clone();
        async move {
            match audit.prune(before, crate::audit::Actor::default()).await {
                Ok(Some((removed, through))) => tracing::info!(
                    removed,
                    through,
                    "audit events past the retention period removed"
                ),
                Ok(None) => {}
                Err(e) => {
                    let database = audit.location();
                    tracing::error!(error = %e, database, "cannot remove old audit events")
                }
            }
        }
    })
    .await;
}

/// Removes the conversations with nothing newer than `retention`, at start
/// and then once an hour, until `stop`. A failure is logged and tried again
/// next time.
pub async fn prune_conversations(
    conversations: crate::conversation::Conversations,
    retention: std::time::Duration,
    stop: CancellationToken,
) {
    every_hour_before(retention, stop, |before| {
        let conversations = conversations.clone();
        async move {
            match conversations
                .prune(before, crate::audit::Actor::default())
                .await
            {
                Ok(0) => {}
                Ok(removed) => {
                    tracing::info!(removed, "conversations past the retention period removed")
                }
                Err(e) => {
                    let database = conversations.location();
                    tracing::error!(error = %e, database, "cannot remove old conversations")
                }
            }
        }
    })
    .await;
}

/// Forgets the events handled more than 30 days ago, at start and then
/// once an hour, until `stop`.
pub(super) async fn forget_handled(replica: crate::replicas::Replica, stop: CancellationToken) {
    const KEPT: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
    every_hour_before(KEPT, stop, |before| {
        let replica = replica.clone();
        async move {
            if let Err(e) = replica.forget_handled(before).await {
                tracing::warn!(error = %e, "cannot forget the events handled long ago");
            }
        }
    })
    .await;
}

/// Reads the target's schema again every `every`, so that new tables and
/// columns are known, until `stop`.
pub async fn refresh_schema(
    runtime: SqlRuntime,
    every: std::time::Duration,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        match runtime.refresh_catalog().await {
            Ok(tables) => tracing::debug!(tables, "schema read again"),
            Err(e) => tracing::warn!(error = %e, "cannot refresh the schema"),
        }
    }
}
