//! `/readyz` (each dependency's state, its error to an admin's token only)
//! and `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AdminState;
use crate::store::on_pool;

pub(super) async fn readyz(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    let mut checks = checks(&state).await;
    let ready = record(&checks);
    let role = state.role.borrow().clone();
    record_role(&role);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    // The errors and warnings name roles, hosts and settings: an admin's
    // token shows them; a probe without one sees the states only.
    let admin = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        Some(token) => state.tokens.authenticate(token).await.is_ok(),
        None => false,
    };
    if !admin {
        for check in &mut checks {
            if let Some(check) = check.as_object_mut() {
                check.retain(|key, _| key == "name" || key == "state");
            }
        }
    }
    // A standby is ready: it serves the admin endpoint and takes over the
    // platforms when the leader goes (a rolling update waits for it).
    (
        status,
        Json(json!({"ready": ready, "role": role.as_str(), "checks": checks})),
    )
        .into_response()
}

/// The state of each dependency, as `/readyz` shows it to an admin: the
/// own database, each model server, the Execute target, each platform.
async fn checks(state: &AdminState) -> Vec<serde_json::Value> {
    let mut checks = Vec::new();
    // `1` is an INTEGER to SQLite and an int4 to PostgreSQL: both decode
    // as i32 (an i64 made PostgreSQL's check fail for ever).
    let db: Result<i32, sqlx::Error> = on_pool!(&state.store, pool => {
        sqlx::query_scalar("SELECT 1").fetch_one(pool).await
    });
    checks.push(
        json!({"name": "database", "state": if db.is_ok() { "up" } else { "down" },
                       "error": db.err().map(|e| e.to_string())}),
    );
    if let Some(llm) = &state.llm {
        for endpoint in llm.endpoints() {
            let probe =
                tokio::time::timeout(std::time::Duration::from_secs(5), endpoint.readiness()).await;
            let error = match probe {
                Ok(crate::llm::Readiness::Serves) => None,
                Ok(crate::llm::Readiness::Lacks { .. }) => {
                    Some(format!("does not serve the model {}", endpoint.model()))
                }
                // Named as in the check's name: without credentials.
                Ok(crate::llm::Readiness::Down(e)) => Some(e.to_string()),
                Err(_) => Some("no answer within 5 s".to_owned()),
            };
            let name = format!("{} {}", endpoint.api().as_str(), endpoint.name());
            // A context smaller than the longest prompt: up (short prompts
            // are answered), with a warning for the operator.
            let mut warnings = Vec::new();
            if error.is_none()
                && let Ok(Some(context)) =
                    tokio::time::timeout(std::time::Duration::from_secs(5), endpoint.context())
                        .await
                && let Some(remedy) = crate::llm::context_too_small(context, state.longest_prompt)
            {
                warnings.push(format!("its context holds {context} tokens; {remedy}"));
            }
            checks.push(json!({"name": name, "state": if error.is_none() { "up" } else { "down" }, "error": error, "warnings": warnings}));
        }
    }
    let (name, runtime) = &state.target;
    if let Ok(runtime) = runtime {
        let dialect = runtime.policy.dialect;
        let trivial = match dialect {
            crate::sql::Dialect::Oracle => "SELECT 1 FROM dual",
            _ => "SELECT 1",
        };
        let error = match crate::sql::validate::validate(
            trivial,
            &crate::sql::validate::Policy::new(dialect),
        ) {
            Ok(q) => {
                let limit = std::time::Duration::from_secs(5);
                match tokio::time::timeout(limit, runtime.explain(&q, limit)).await {
                    Ok(probe) => probe.err().map(|e| e.to_string()),
                    Err(_) => Some("no answer within 5 s".to_owned()),
                }
            }
            Err(e) => Some(e.to_string()),
        };
        checks.push(json!({"name": format!("target {name}"), "state": if error.is_none() { "up" } else { "down" }, "error": error, "warnings": runtime.warnings}));
    }
    if let Err(error) = runtime {
        checks.push(json!({"name": format!("target {name}"), "state": "down", "error": error}));
    }
    let platforms: Vec<(String, pstral_chat::ConnectionState)> = state
        .platforms
        .read()
        .expect("never poisoned")
        .iter()
        .map(|(name, s)| (name.clone(), s.borrow().clone()))
        .collect();
    for (name, connection) in platforms {
        use pstral_chat::ConnectionState as C;
        let error = match connection {
            C::Connected => None,
            C::Connecting => Some("connecting".to_owned()),
            C::Reconnecting(why) => Some(format!("reconnecting ({why})")),
            C::Stopped(why) => Some(format!("stopped ({why})")),
        };
        checks.push(json!({"name": format!("platform {name}"), "state": if error.is_none() { "up" } else { "down" }, "error": error}));
    }
    checks
}

/// Whether every check is up, recorded for Prometheus too
/// (`pstral_ready`, `pstral_check_up` by check).
fn record(checks: &[serde_json::Value]) -> bool {
    let ready = checks.iter().all(|c| c["state"] == "up");
    metrics::gauge!("pstral_ready").set(if ready { 1.0 } else { 0.0 });
    for check in checks {
        let name = check["name"].as_str().unwrap_or_default().to_owned();
        let up = if check["state"] == "up" { 1.0 } else { 0.0 };
        metrics::gauge!("pstral_check_up", "check" => name).set(up);
    }
    ready
}

/// `pstral_leader`: 1 while this process serves the chat platforms (the
/// leader, or the only process on SQLite), 0 on a standby.
pub fn record_role(role: &crate::replicas::Role) {
    metrics::gauge!("pstral_leader").set(if role.serves() { 1.0 } else { 0.0 });
}

pub(super) async fn metrics(State(state): State<AdminState>) -> Response {
    match &state.metrics {
        Some(handle) => {
            // Readiness as of this scrape: the gauges need no `/readyz`
            // caller to exist or to be fresh.
            record(&checks(&state).await);
            record_role(&state.role.borrow());
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                crate::telemetry::render_metrics(handle),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}
