//! `/api/users`: users, their roles and linked identities, and invites.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, AdminState, ApiError, record_read};
use crate::identity::Role;

pub(super) async fn users_list(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
) -> Result<Json<Value>, ApiError> {
    record_read(&state, &admin, json!({"action": "users_list"})).await?;
    Ok(Json(json!({"users": state.directory.list().await?})))
}

#[derive(Debug, Deserialize)]
pub(super) struct NewUser {
    name: String,
    #[serde(default)]
    role: Option<String>,
}

fn role(text: &str) -> Result<Role, ApiError> {
    text.parse()
        .map_err(|e: crate::identity::UnknownRole| ApiError::BadRequest(e.to_string()))
}

pub(super) async fn users_create(
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
pub(super) struct UserChange {
    role: Option<String>,
    link: Option<String>,
    unlink: Option<String>,
    /// Groups to put the user in.
    #[serde(default)]
    join: Vec<String>,
    /// Groups to take the user out of.
    #[serde(default)]
    leave: Vec<String>,
}

pub(super) async fn users_update(
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
    let groups: Vec<(String, bool)> = change
        .join
        .iter()
        .map(|g| (g.clone(), true))
        .chain(change.leave.iter().map(|g| (g.clone(), false)))
        .collect();
    if new_role.is_none() && link.is_none() && unlink.is_none() && groups.is_empty() {
        return Err(ApiError::BadRequest(
            "nothing to change: give role, link, unlink, join or leave".to_owned(),
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
            &groups,
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

/// The body of an invite request: `for` names the one chat account that may
/// redeem the code.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewInvite {
    #[serde(rename = "for")]
    for_identity: Option<String>,
}

pub(super) async fn users_invite(
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
    let Some(for_identity) = request.for_identity.as_deref() else {
        return Err(ApiError::BadRequest(
            "an invite names the chat account that may redeem it: {\"for\": \"matrix:@ana:example.org\"} \
             (not knowing the account, let the person send `link NAME` to the bot in a DM and approve it)"
                .to_owned(),
        ));
    };
    let for_identity =
        pstral_chat::PlatformIdentity::parse_checked(for_identity, &state.identities)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let invite = state
        .directory
        .create_invite(&name, &for_identity, admin.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "code": invite.code,
            "user": invite.user,
            "for": invite.for_identity.to_string(),
            "expires_at": invite.expires_at,
        })),
    ))
}

/// `GET /api/users/{name}/access`: what the person may read on the target
/// now: their groups, what each hides, which account each runs as, and
/// what a person in no group reads. Audited as a read.
pub(super) async fn users_access(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    record_read(
        &state,
        &admin,
        json!({"action": "user_access", "user": name}),
    )
    .await?;
    let Some(user) = state.directory.user(&name).await? else {
        return Err(ApiError::NotFound(format!(
            "there is no user named {name:?}"
        )));
    };
    let groups = state.directory.groups_of(user.id).await?;
    let (target, runtime) = &state.target;
    let Ok(runtime) = runtime else {
        return Err(ApiError::BadRequest(format!(
            "the target {target} is unavailable"
        )));
    };
    let rules = &runtime.readers.rules;
    let access = rules.access(&groups);
    let readings: Vec<Value> = access
        .standings()
        .iter()
        .map(|s| {
            let group = s.group();
            json!({
                "group": group,
                "hidden": group
                    .and_then(|g| rules.group(g))
                    .map(|g| g.hidden.iter().map(ToString::to_string).collect::<Vec<_>>())
                    .unwrap_or_default(),
                "account": match group {
                    Some(g) if runtime.readers.accounts.iter().any(|(n, _)| n == g) => format!("{g}'s own"),
                    _ => "the target's".to_owned(),
                },
            })
        })
        .collect();
    let ungrouped = match rules.ungrouped {
        crate::access::Ungrouped::Everything => "everything",
        crate::access::Ungrouped::Nothing => "nothing",
    };
    Ok(Json(json!({
        "user": user.name,
        "target": target,
        "groups": groups,
        // Tried in this order at each click: the first that hides nothing
        // the statement reads is the one it runs as. Empty: may read nothing.
        "readings": readings,
        "ungrouped_reads": ungrouped,
    })))
}
