//! The admin HTTP endpoint (axum), bound to 127.0.0.1 by default.
//!
//! - `GET /healthz`: the process is alive. `GET /readyz`: the own database,
//!   each Ollama endpoint and the Execute target, each with its state and last
//!   error (503 when one is down). `GET /metrics`: Prometheus text. No token.
//! - `/api/…`: a bearer token of a local admin, checked on every call (a
//!   revoked, expired or unknown token, or one whose user lost the admin role,
//!   gets 401 and nothing else). Every call is attributed to its admin in the
//!   audit; reads of the audit are audited before they happen.
//!
//! One [`ApiError`] maps failures to status codes; causes are logged, clients
//! get a generic message for server errors.

pub mod tokens;

pub mod probe;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{Actor, Audit, AuditFilter, EventKind, ExportFormat, NewEvent, Order};
use crate::identity::{Directory, IdentityError, Role, User};
use crate::llm::Llm;
use crate::sql::exec::Executor;
use crate::store::{Store, on_pool};
use tokens::Tokens;

#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub bind: std::net::SocketAddr,
    /// The proxies in front of the endpoint (a TLS terminator): a call from
    /// one of them is attributed to the address it says it forwards for
    /// (`X-Forwarded-For`), for the audit and the lock-out of guessers.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A second listener that serves `/metrics`, `/healthz` and `/readyz`
    /// only (states, never errors), for a Prometheus outside the host while
    /// the admin API stays on loopback.
    pub metrics_bind: Option<std::net::SocketAddr>,
}

/// What the admin endpoint serves from.
#[derive(Clone)]
pub struct AdminState {
    pub store: Store,
    pub audit: Audit,
    pub directory: Directory,
    pub tokens: Tokens,
    pub llm: Option<Llm>,
    /// The Execute target and its dialect, when it is connected.
    pub target: Option<(String, crate::sql::Dialect, Arc<dyn Executor>)>,
    /// The target that could not be connected, and why.
    pub target_unavailable: Option<(String, String)>,
    /// What an operator should know about the target's account (a
    /// privileged account allowed by configuration, a missing DBA limit).
    pub target_warnings: Vec<String>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The chat platforms being served, by name, as their connectors report.
    pub platforms: Platforms,
    /// How the platforms this build serves write their people's ids,
    /// checked on identities given to the API.
    pub identities: Arc<[pstral_chat::IdentitySyntax]>,
    /// Refused tokens by client address, to slow down guessing.
    pub refusals: Refusals,
    /// See [`AdminSettings::trusted_proxies`].
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// The Execute target's runtime, which examples are judged by and
    /// stored for; `None` when it is not available.
    pub sql: Option<crate::target::SqlRuntime>,
}

/// Refused token attempts by client address: when the window started and
/// how many since.
pub type Refusals =
    Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (std::time::Instant, u32)>>>;

/// Refused tokens a client may send in [`REFUSAL_WINDOW`] before every call
/// of theirs is answered 429 until the window ends: enough for an operator's
/// mistakes, far too few to guess a token.
pub const MAX_REFUSALS: u32 = 20;
const REFUSAL_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// The chat platform connections `/readyz` reports, filled in when `run`
/// starts them.
pub type Platforms = Arc<
    std::sync::RwLock<
        Vec<(
            String,
            tokio::sync::watch::Receiver<pstral_chat::ConnectionState>,
        )>,
    >,
>;

/// Why an API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unauthorized")]
    Unauthorized,
    #[error("too many refused tokens from this address; try again in a minute")]
    TooManyRefusals,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRefusals => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(cause) => {
                tracing::error!(cause, "admin API failure");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if status == StatusCode::UNAUTHORIZED {
            // Nothing else: not even why.
            return status.into_response();
        }
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::UnknownUser(_) | IdentityError::NotLinked(_) => {
                ApiError::NotFound(e.to_string())
            }
            IdentityError::UserExists(_) | IdentityError::AlreadyLinked { .. } => {
                ApiError::Conflict(e.to_string())
            }
            IdentityError::BadName(_)
            | IdentityError::NotLinkable(_)
            | IdentityError::InviteNeedsAccount(_) => ApiError::BadRequest(e.to_string()),
            IdentityError::Lookalike { .. } | IdentityError::LastAdmin(_) => {
                ApiError::Conflict(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The admin who made the call.
#[derive(Clone, Debug)]
struct Admin(User);

impl Admin {
    fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.0.id),
            identity: format!("api:{}", self.0.name).parse().ok(),
        }
    }
}

/// The routes, on `state`.
pub fn router(state: AdminState) -> Router {
    let api = Router::new()
        .route("/api/audit", get(audit_list))
        .route("/api/audit/verify", get(audit_verify))
        .route("/api/audit/export", get(audit_export))
        .route("/api/users", get(users_list).post(users_create))
        .route("/api/users/{name}", axum::routing::patch(users_update))
        .route(
            "/api/users/{name}/invites",
            axum::routing::post(users_invite),
        )
        .route("/api/examples", get(examples_list).post(examples_add))
        .route("/api/examples/{id}", axum::routing::delete(examples_remove))
        // `layer`, not `route_layer`: an unknown path or method under /api
        // gets 401 too without a token, so the API cannot be mapped by probing.
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .merge(api)
        .with_state(state)
}

/// The routes of the metrics listener (`admin.metrics_bind`): metrics and
/// health, none of the API. `/readyz` shows the checks' states, and their
/// errors to an admin's token only, as on the admin endpoint.
pub fn metrics_router(state: AdminState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn authenticate(
    State(state): State<AdminState>,
    headers: HeaderMap,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let client = peer.map(|peer| client_address(peer, &headers, &state.trusted_proxies));
    // An address that sent too many wrong tokens is turned away, unaudited,
    // for the rest of the window; a valid token never is (behind a proxy,
    // every admin shares one address, and one bad script would lock them
    // all out). Guessing stays hopeless: a token holds 200 random bits.
    let locked_out = client.is_some_and(|ip| too_many_refusals(&state.refusals, ip));
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let refused = match token {
        None if locked_out => return Err(ApiError::TooManyRefusals),
        None => "no_token",
        Some(token) => match state.tokens.authenticate(token).await {
            Ok(user) => {
                request.extensions_mut().insert(Admin(user));
                return Ok(next.run(request).await);
            }
            Err(tokens::AuthError::Store(e)) => return Err(internal(e)),
            Err(_) if locked_out => return Err(ApiError::TooManyRefusals),
            Err(e) => {
                tracing::info!(reason = %e, client = %client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()), "admin API call refused");
                e.reason()
            }
        },
    };
    if let Some(ip) = client {
        note_refusal(&state.refusals, ip);
    }
    // Who tried, with what: the first characters of the token (enough to
    // tell tokens apart, too few to use), the address, the path.
    let shown = token.map(|t| t.chars().take(8).collect::<String>());
    let event = NewEvent::new(
        EventKind::AccessRefused,
        Actor::default(),
        json!({"reason": refused, "via": "api", "token": shown, "client": client.map(|c| c.to_string()), "path": request.uri().path()}),
    );
    if let Err(e) = state.audit.append(event).await {
        tracing::error!(error = %e, "cannot audit a refused API call");
    }
    Err(ApiError::Unauthorized)
}

/// Who called: the peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not one (each proxy appends the
/// address it received the call from; what a client wrote before that is
/// not believed).
fn client_address(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    // From the right: past the trusted proxies, the first address; anything
    // unreadable on the way ends the trust.
    for entry in forwarded.iter().rev() {
        match entry.trim().parse::<std::net::IpAddr>() {
            Ok(ip) if is_trusted(&ip) => {}
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    peer
}

/// Whether `ip` sent too many refused tokens in the current window.
fn too_many_refusals(refusals: &Refusals, ip: std::net::IpAddr) -> bool {
    let refusals = refusals.lock().expect("never poisoned");
    refusals
        .get(&ip)
        .is_some_and(|(since, n)| since.elapsed() < REFUSAL_WINDOW && *n >= MAX_REFUSALS)
}

fn note_refusal(refusals: &Refusals, ip: std::net::IpAddr) {
    let mut refusals = refusals.lock().expect("never poisoned");
    // Bounded: old windows go first.
    if refusals.len() > 10_000 {
        refusals.retain(|_, (since, _)| since.elapsed() < REFUSAL_WINDOW);
    }
    let entry = refusals.entry(ip).or_insert((std::time::Instant::now(), 0));
    if entry.0.elapsed() >= REFUSAL_WINDOW {
        *entry = (std::time::Instant::now(), 0);
    }
    entry.1 += 1;
}

async fn readyz(State(state): State<AdminState>, headers: HeaderMap) -> Response {
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
            checks.push(json!({"name": name, "state": if error.is_none() { "up" } else { "down" }, "error": error}));
        }
    }
    if let Some((name, dialect, executor)) = &state.target {
        let trivial = match dialect {
            crate::sql::Dialect::Oracle => "SELECT 1 FROM dual",
            _ => "SELECT 1",
        };
        let error = match crate::sql::validate::validate(
            trivial,
            &crate::sql::validate::Policy::new(*dialect),
        ) {
            Ok(q) => {
                match tokio::time::timeout(std::time::Duration::from_secs(5), executor.explain(&q))
                    .await
                {
                    Ok(probe) => probe.err().map(|e| e.to_string()),
                    Err(_) => Some("no answer within 5 s".to_owned()),
                }
            }
            Err(e) => Some(e.to_string()),
        };
        checks.push(json!({"name": format!("target {name}"), "state": if error.is_none() { "up" } else { "down" }, "error": error, "warnings": state.target_warnings}));
    }
    if let Some((name, error)) = &state.target_unavailable {
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
    let ready = checks.iter().all(|c| c["state"] == "up");
    // The same verdicts for Prometheus, as of this call (the container's
    // health check makes one every 30 s).
    metrics::gauge!("pstral_ready").set(if ready { 1.0 } else { 0.0 });
    for check in &checks {
        let name = check["name"].as_str().unwrap_or_default().to_owned();
        let up = if check["state"] == "up" { 1.0 } else { 0.0 };
        metrics::gauge!("pstral_check_up", "check" => name).set(up);
    }
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
    (status, Json(json!({"ready": ready, "checks": checks}))).into_response()
}

async fn metrics(State(state): State<AdminState>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            crate::telemetry::render_metrics(handle),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}

/// The audit filters, as query parameters.
#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    user: Option<String>,
    kind: Option<String>,
    platform: Option<String>,
    channel: Option<String>,
    /// As the CLI takes it: RFC 3339, a date, or an age (`2h`, `7d`).
    since: Option<String>,
    until: Option<String>,
    text: Option<String>,
    /// The previous page's `next_cursor`: events after it (oldest first),
    /// or before it (newest first).
    cursor: Option<i64>,
    limit: Option<u32>,
    format: Option<String>,
    /// `oldest` (the default) or `newest` first.
    order: Option<String>,
}

impl AuditQuery {
    async fn filter(&self, directory: &Directory) -> Result<AuditFilter, ApiError> {
        let user_id = match &self.user {
            Some(name) => Some(
                directory
                    .user(name)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no user named {name:?}")))?
                    .id,
            ),
            None => None,
        };
        let kind = match &self.kind {
            Some(k) => Some(k.parse::<EventKind>().map_err(ApiError::BadRequest)?),
            None => None,
        };
        let time = |t: &Option<String>| {
            t.as_deref()
                .map(crate::audit::parse_time)
                .transpose()
                .map_err(ApiError::BadRequest)
        };
        let newest = self.newest_first()?;
        Ok(AuditFilter {
            user_id,
            kind,
            platform: self.platform.clone(),
            channel: self.channel.clone(),
            since: time(&self.since)?,
            until: time(&self.until)?,
            text: self.text.clone(),
            after_seq: if newest { None } else { self.cursor },
            before_seq: if newest { self.cursor } else { None },
        })
    }

    fn newest_first(&self) -> Result<bool, ApiError> {
        match self.order.as_deref() {
            None | Some("oldest") => Ok(false),
            Some("newest") => Ok(true),
            Some(other) => Err(ApiError::BadRequest(format!(
                "order is oldest or newest, not {other:?}"
            ))),
        }
    }

    fn shown(&self) -> Value {
        json!({"user": self.user, "kind": self.kind, "platform": self.platform, "channel": self.channel,
               "since": self.since, "until": self.until, "text": self.text, "cursor": self.cursor,
               "order": self.order})
    }
}

/// Records a read of the audit before it happens; without the record, no read.
async fn record_read(state: &AdminState, admin: &Admin, what: Value) -> Result<(), ApiError> {
    state
        .audit
        .record_read(admin.actor(), None, "api", what)
        .await
        .map_err(internal)
}

async fn audit_list(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let filter = query.filter(&state.directory).await?;
    record_read(
        &state,
        &admin,
        json!({"action": "list", "filter": query.shown(), "limit": limit}),
    )
    .await?;
    let order = if query.newest_first()? {
        Order::NewestFirst
    } else {
        Order::OldestFirst
    };
    let events = state
        .audit
        .list(&filter, order, limit)
        .await
        .map_err(internal)?;
    let next = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(Json(json!({"events": events, "next_cursor": next})))
}

async fn audit_verify(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
) -> Result<Json<Value>, ApiError> {
    record_read(&state, &admin, json!({"action": "verify"})).await?;
    let v = state.audit.verify().await.map_err(internal)?;
    Ok(Json(json!({
        "intact": v.broken.is_none(),
        "checked": v.checked,
        "broken": v.broken.map(|b| b.to_string()),
    })))
}

/// The whole (filtered) audit, streamed a page at a time: memory stays flat
/// whatever its length.
async fn audit_export(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let format: ExportFormat = query
        .format
        .as_deref()
        .unwrap_or("jsonl")
        .parse()
        .map_err(ApiError::BadRequest)?;
    let filter = query.filter(&state.directory).await?;
    record_read(
        &state,
        &admin,
        json!({"action": "export", "filter": query.shown(), "format": query.format}),
    )
    .await?;
    let audit = state.audit.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut filter = filter;
        let mut first = true;
        loop {
            let page = match audit.list(&filter, Order::OldestFirst, 1000).await {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let mut chunk = Vec::new();
            let written = if first {
                first = false;
                crate::audit::write_events(&page, format, true, &mut chunk)
            } else {
                crate::audit::write_events(&page, format, false, &mut chunk)
            };
            if let Err(e) = written {
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                return;
            }
            if !chunk.is_empty() && tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
            match page.last() {
                Some(last) if page.len() == 1000 => filter.after_seq = Some(last.seq),
                _ => return,
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let media = match format {
        ExportFormat::Jsonl => "application/x-ndjson",
        ExportFormat::Csv => "text/csv; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, media)], Body::from_stream(stream)).into_response())
}

async fn users_list(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
) -> Result<Json<Value>, ApiError> {
    record_read(&state, &admin, json!({"action": "users_list"})).await?;
    Ok(Json(json!({"users": state.directory.list().await?})))
}

#[derive(Debug, Deserialize)]
struct NewUser {
    name: String,
    #[serde(default)]
    role: Option<String>,
}

fn role(text: &str) -> Result<Role, ApiError> {
    text.parse()
        .map_err(|e: crate::identity::UnknownRole| ApiError::BadRequest(e.to_string()))
}

async fn users_create(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role = role(body.role.as_deref().unwrap_or("viewer"))?;
    let user = state
        .directory
        .add_user(&body.name, role, admin.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

#[derive(Debug, Deserialize)]
struct UserChange {
    role: Option<String>,
    link: Option<String>,
    unlink: Option<String>,
}

async fn users_update(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Path(name): Path<String>,
    Json(change): Json<UserChange>,
) -> Result<Json<Value>, ApiError> {
    if state.directory.user(&name).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "there is no user named {name:?}"
        )));
    }
    // Everything is parsed before anything changes: a bad field must not
    // leave the user half-changed behind a 400.
    let identity = |s: &str| {
        pstral_chat::PlatformIdentity::parse_checked(s, &state.identities)
            .map_err(|e| ApiError::BadRequest(e.to_string()))
    };
    let new_role = change.role.as_deref().map(role).transpose()?;
    let link = change.link.as_deref().map(identity).transpose()?;
    let unlink = change.unlink.as_deref().map(identity).transpose()?;
    if new_role.is_none() && link.is_none() && unlink.is_none() {
        return Err(ApiError::BadRequest(
            "nothing to change: give role, link or unlink".to_owned(),
        ));
    }
    // One transaction: a PATCH that cannot be done whole changes nothing.
    state
        .directory
        .change(
            &name,
            link.as_ref(),
            unlink.as_ref(),
            new_role,
            admin.actor(),
        )
        .await?;
    let entry = state
        .directory
        .list()
        .await?
        .into_iter()
        .find(|e| e.user.name == name)
        .ok_or_else(|| ApiError::NotFound(name.clone()))?;
    Ok(Json(json!(entry)))
}

/// The body of an invite request, which may be empty: `for` names the one
/// chat account that may redeem the code (needed for an admin).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvite {
    #[serde(rename = "for")]
    for_identity: Option<String>,
}

async fn users_invite(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: NewInvite = if body.iter().all(u8::is_ascii_whitespace) {
        NewInvite::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?
    };
    let for_identity = request
        .for_identity
        .as_deref()
        .map(|s| {
            pstral_chat::PlatformIdentity::parse_checked(s, &state.identities)
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .transpose()?;
    let invite = state
        .directory
        .create_invite(&name, for_identity.as_ref(), admin.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "code": invite.code,
            "user": invite.user,
            "for": invite.for_identity.map(|i| i.to_string()),
            "expires_at": invite.expires_at,
        })),
    ))
}

/// The examples of the Execute target, and the means to change them.
fn examples_of(
    state: &AdminState,
) -> Result<
    (
        &crate::target::SqlRuntime,
        &crate::learn::examples::Examples,
    ),
    ApiError,
> {
    state
        .sql
        .as_ref()
        .and_then(|sql| Some((sql, sql.learning.as_ref()?.store()?)))
        .ok_or_else(|| ApiError::Conflict("no Execute target is available".to_owned()))
}

async fn examples_list(
    State(state): State<AdminState>,
    Extension(_admin): Extension<Admin>,
) -> Result<Json<Value>, ApiError> {
    let (sql, examples) = examples_of(&state)?;
    let list = examples.list(Some(&sql.target)).await?;
    Ok(Json(json!({"target": sql.target, "examples": list})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewExample {
    question: String,
    sql: String,
    #[serde(default)]
    language: Option<crate::i18n::Lang>,
}

async fn examples_add(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Json(body): Json<NewExample>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    use crate::learn::examples::{Source, Stored};
    let (sql, examples) = examples_of(&state)?;
    let stored = sql
        .keep_example(
            &body.question,
            &body.sql,
            body.language,
            Source::Api,
            Some((admin.0.id, &admin.0.name)),
            crate::i18n::Lang::En,
        )
        .await
        .map_err(|e| match e {
            crate::target::KeepError::Store(e) => ApiError::from(e),
            other => ApiError::BadRequest(other.to_string()),
        })?;
    let new = matches!(stored, Stored::New(_));
    let example = examples.get(stored.id()).await?;
    let judged = example
        .as_ref()
        .map_or(body.sql.as_str(), |e| e.sql.as_str());
    let event = new.then(|| {
        crate::audit::NewEvent::new(
            crate::audit::EventKind::ExampleChanged,
            admin.actor(),
            json!({"action": "added", "example": stored.id(), "new": new, "target": sql.target,
               "question": body.question, "sql": judged, "via": "api"}),
        )
    });
    // Only a change is recorded.
    examples
        .record(stored, &state.audit, event)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!(example))))
}

async fn examples_remove(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<StatusCode, ApiError> {
    let (sql, examples) = examples_of(&state)?;
    let Some(example) = examples.get(id).await?.filter(|e| e.target == sql.target) else {
        return Err(ApiError::NotFound(format!("there is no example {id}")));
    };
    // Recorded before it is done, with what is removed.
    let event = crate::audit::NewEvent::new(
        crate::audit::EventKind::ExampleChanged,
        admin.actor(),
        json!({"action": "removed", "example": id, "target": example.target,
               "question": example.question, "sql": example.sql, "via": "api"}),
    );
    state
        .audit
        .append(event)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    examples.retire(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 description of these routes.
pub fn openapi_document() -> Value {
    let filter_params = json!([
        {"name": "user", "in": "query", "schema": {"type": "string"}},
        {"name": "kind", "in": "query", "schema": {"type": "string"}},
        {"name": "platform", "in": "query", "schema": {"type": "string"}},
        {"name": "channel", "in": "query", "schema": {"type": "string"}},
        {"name": "since", "in": "query", "schema": {"type": "string"}, "description": "RFC 3339, a date (2026-11-01) or an age (2h, 7d)"},
        {"name": "until", "in": "query", "schema": {"type": "string"}, "description": "as since"},
        {"name": "text", "in": "query", "schema": {"type": "string"}},
    ]);
    let secured = json!([{"bearer": []}]);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Pstral admin API", "version": env!("CARGO_PKG_VERSION")},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/healthz": {"get": {"summary": "The process is alive", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "Own database, model servers (each serving the model), Execute target, chat platforms", "responses": {"200": {"description": "ready"}, "503": {"description": "a dependency is down"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format"}}}},
            "/api/audit": {"get": {"summary": "Audit events, oldest (or newest) first, by cursor", "security": secured,
                "parameters": filter_params.as_array().unwrap().iter().cloned().chain([
                    json!({"name": "cursor", "in": "query", "schema": {"type": "integer"}}),
                    json!({"name": "order", "in": "query", "schema": {"enum": ["oldest", "newest"]}}),
                    json!({"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}})]).collect::<Vec<_>>(),
                "responses": {"200": {"description": "{events, next_cursor}"}, "401": {"description": "no valid admin token"}}}},
            "/api/audit/verify": {"get": {"summary": "Walk the hash chain", "security": secured, "responses": {"200": {"description": "{intact, checked, broken}"}, "401": {"description": "no valid admin token"}}}},
            "/api/audit/export": {"get": {"summary": "Every matching event, streamed", "security": secured,
                "parameters": filter_params.as_array().unwrap().iter().cloned().chain([json!({"name": "format", "in": "query", "schema": {"enum": ["jsonl", "csv"]}})]).collect::<Vec<_>>(),
                "responses": {"200": {"description": "JSON lines or CSV"}, "401": {"description": "no valid admin token"}}}},
            "/api/users": {
                "get": {"summary": "Users with roles and identities", "security": secured, "responses": {"200": {"description": "{users}"}, "401": {"description": "no valid admin token"}}},
                "post": {"summary": "Create a user", "security": secured, "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "role": {"enum": ["viewer", "executor", "admin"]}}}}}}, "responses": {"201": {"description": "created"}, "409": {"description": "exists"}, "401": {"description": "no valid admin token"}}}},
            "/api/users/{name}": {"patch": {"summary": "Change a role, link or unlink an identity", "security": secured,
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"role": {"enum": ["viewer", "executor", "admin"]}, "link": {"type": "string"}, "unlink": {"type": "string"}}}}}},
                "responses": {"200": {"description": "the user"}, "404": {"description": "no such user"}, "401": {"description": "no valid admin token"}}}},
            "/api/users/{name}/invites": {"post": {"summary": "A one-time link code", "security": secured,
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"201": {"description": "{code, user, expires_at}"}, "401": {"description": "no valid admin token"}}}},
            "/api/examples": {
                "get": {"summary": "The confirmed examples of the Execute target", "security": secured,
                    "responses": {"200": {"description": "{target, examples}"}, "401": {"description": "no valid admin token"}}},
                "post": {"summary": "Store an example, judged by the target's policy first (audited)", "security": secured,
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["question", "sql"], "additionalProperties": false,
                        "properties": {"question": {"type": "string"}, "sql": {"type": "string"},
                                       "language": {"type": "string", "enum": ["en", "fr"]}}}}}},
                    "responses": {"201": {"description": "the example, stored"}, "200": {"description": "the same example, stored before"},
                                  "400": {"description": "refused, with the reason"}, "401": {"description": "no valid admin token"}}}},
            "/api/examples/{id}": {"delete": {"summary": "Remove an example (audited)", "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "removed"}, "404": {"description": "no such example"}, "401": {"description": "no valid admin token"}}}},
        }
    })
}
