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
//!
//! This module holds the routes, the state and the token check; each
//! resource has its file: `health` (`/readyz`, `/metrics`), `audit`,
//! `users`, `examples`; [`tokens`] the API tokens; [`probe`] is `pstral
//! health`, which asks `/readyz` from outside.

mod audit;
mod examples;
mod health;
pub mod tokens;
mod users;

pub mod probe;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::audit::{Actor, Audit, EventKind, NewEvent};
use crate::identity::{Directory, IdentityError, User};
use crate::llm::Llm;
use crate::store::Store;
use tokens::Tokens;

#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub bind: std::net::SocketAddr,
    /// The proxies in front of the endpoint (a TLS terminator): a call from
    /// one of them is attributed to the address it says it forwards for
    /// (`X-Forwarded-For`), for the audit and the lock-out of guessers.
    pub trusted_proxies: TrustedProxies,
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
    /// The Execute target, by name: its runtime (which examples are judged
    /// by and stored for, and `/readyz` probes), or why it is unavailable.
    pub target: (String, Result<crate::sql_target::SqlRuntime, String>),
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The chat platforms being served, by name, as their connectors report.
    pub platforms: Platforms,
    /// How the platforms this build serves write their people's ids,
    /// checked on identities given to the API.
    pub identities: Arc<[pstral_chat::IdentitySyntax]>,
    /// Refused tokens by client address, to slow down guessing.
    pub refusals: Refusals,
    /// See [`AdminSettings::trusted_proxies`].
    pub trusted_proxies: Arc<TrustedProxies>,
    /// About how many tokens the longest SQL prompt takes
    /// ([`crate::app::longest_prompt_tokens`]): `/readyz` warns of a model
    /// whose context is smaller.
    pub longest_prompt: u64,
    /// What this process does for the platforms (leader, standby, alone):
    /// `/readyz` and the `pstral_leader` metric say it.
    pub role: tokio::sync::watch::Receiver<crate::replicas::Role>,
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    /// As configured (`admin.trusted_proxies`).
    pub nets: Vec<ipnet::IpNet>,
    /// Whether a proxy on the loopback is believed too
    /// (`admin.trust_loopback_proxy`). Off by default: on the loopback,
    /// every local process is "the proxy", and any of them could then say
    /// it calls for any address it likes (to dodge the lock-out of token
    /// guessers, or to put made-up addresses in the audit).
    pub loopback: bool,
}

impl TrustedProxies {
    /// Whether a call from `ip` may say whom it forwards for. An IPv4
    /// address as a dual-stack listener gives it (`::ffff:10.0.0.5`) is
    /// that IPv4 address.
    pub fn trust(&self, ip: &std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        (self.loopback || !ip.is_loopback())
            && self
                .nets
                .iter()
                .any(|net| net.contains(&ip) || net.contains(&mapped(ip)))
    }

    /// What `pstral check` says of a list that names the loopback: ignored
    /// unless the operator said so knowingly, and, with the endpoint bound to
    /// the loopback, believed from any local process when they did.
    pub fn warning(&self, bind: std::net::SocketAddr) -> Option<String> {
        let names_loopback = self.nets.iter().any(|net| {
            net.network().to_canonical().is_loopback()
                || net.broadcast().to_canonical().is_loopback()
                || net.contains(&std::net::IpAddr::from([127, 0, 0, 1]))
                || net.contains(&std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST))
                || net.contains(&mapped(std::net::IpAddr::from([127, 0, 0, 1])))
        });
        let local = bind.ip().is_loopback() || bind.ip().is_unspecified();
        match (names_loopback, self.loopback) {
            (false, _) => None,
            (true, false) => Some(
                "admin.trusted_proxies names the loopback, which is ignored: a proxy on the same \
                 host is every local process. Set admin.trust_loopback_proxy = true only if no \
                 other local process can reach admin.bind"
                    .to_owned(),
            ),
            (true, true) if local => Some(format!(
                "admin.trust_loopback_proxy is on and admin.bind ({bind}) is on the loopback: \
                 any local process may say it calls for any address (the audit's client and the \
                 lock-out of token guessers then rest on every process of this host)"
            )),
            (true, true) => None,
        }
    }
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
            | IdentityError::NotLinkable { .. }
            | IdentityError::UnknownGroup { .. }
            | IdentityError::InviteNamesNoAccount => ApiError::BadRequest(e.to_string()),
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
        .route("/api/audit", get(audit::audit_list))
        .route("/api/audit/verify", get(audit::audit_verify))
        .route("/api/audit/export", get(audit::audit_export))
        .route(
            "/api/users",
            get(users::users_list).post(users::users_create),
        )
        .route(
            "/api/users/{name}",
            axum::routing::patch(users::users_update),
        )
        .route("/api/users/{name}/access", get(users::users_access))
        .route(
            "/api/users/{name}/invites",
            axum::routing::post(users::users_invite),
        )
        .route(
            "/api/examples",
            get(examples::examples_list).post(examples::examples_add),
        )
        .route(
            "/api/examples/{id}",
            axum::routing::delete(examples::examples_remove),
        )
        // `layer`, not `route_layer`: an unknown path or method under /api
        // gets 401 too without a token, so the API cannot be mapped by probing.
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
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
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
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
    let mut token_id = None;
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
                token_id = e.token_id();
                e.reason()
            }
        },
    };
    if let Some(ip) = client {
        note_refusal(&state.refusals, ip);
    }
    // Who tried, with what: the id of a token the bot made (revoked,
    // expired, or its user no longer an admin), the address, the path. Of a
    // token it does not know, nothing: a near miss of a real one, or another
    // secret pasted by mistake, would be given away in part.
    let event = NewEvent::new(
        EventKind::AccessRefused,
        Actor::default(),
        json!({"reason": refused, "via": "api", "token_id": token_id, "client": client.map(|c| c.to_string()), "path": request.uri().path()}),
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
    trusted: &TrustedProxies,
) -> std::net::IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &std::net::IpAddr| trusted.trust(ip);
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
        match entry
            .trim()
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.to_canonical())
        {
            Ok(ip) if is_trusted(&ip) => {}
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    peer
}

/// An IPv4 address as an IPv6 socket gives it (`::ffff:a.b.c.d`); any
/// other address as it is.
fn mapped(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V4(v4) => std::net::IpAddr::V6(v4.to_ipv6_mapped()),
        v6 => v6,
    }
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

/// Records a read of the audit before it happens; without the record, no read.
async fn record_read(state: &AdminState, admin: &Admin, what: Value) -> Result<(), ApiError> {
    state
        .audit
        .record_read(admin.actor(), None, "api", what)
        .await
        .map_err(internal)
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
            "/api/users/{name}": {"patch": {"summary": "Change a role, link or unlink an identity, join or leave groups", "security": secured,
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"role": {"enum": ["viewer", "executor", "admin"]}, "link": {"type": "string"}, "unlink": {"type": "string"}, "join": {"type": "array", "items": {"type": "string"}}, "leave": {"type": "array", "items": {"type": "string"}}}}}}},
                "responses": {"200": {"description": "the user"}, "404": {"description": "no such user"}, "401": {"description": "no valid admin token"}}}},
            "/api/users/{name}/access": {"get": {"summary": "What the user may read on the target now: their groups in the order a click tries them, what each hides, the account each runs as", "security": secured,
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "{user, target, groups, readings, ungrouped_reads}"}, "404": {"description": "no such user"}, "401": {"description": "no valid admin token"}}}},
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
                                       "language": {"type": "string", "enum": ["en", "fr"]},
                                       "plan": {"type": "string", "description": "the semantic model's plan (JSON) the SQL answers, checked against the definitions"}}}}}},
                    "responses": {"201": {"description": "the example, stored"}, "200": {"description": "the same example, stored before"},
                                  "400": {"description": "refused, with the reason"}, "401": {"description": "no valid admin token"}}}},
            "/api/examples/{id}": {"delete": {"summary": "Remove an example (audited)", "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "removed"}, "404": {"description": "no such example"}, "401": {"description": "no valid admin token"}}}},
        }
    })
}
