//! `/api/examples`: the Execute target's confirmed examples, listed, added
//! (judged by the target's policy first) and removed, audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, AdminState, ApiError};

/// The examples of the Execute target, and the means to change them.
fn examples_of(
    state: &AdminState,
) -> Result<
    (
        &crate::sql_target::SqlRuntime,
        &crate::learn::examples::Examples,
    ),
    ApiError,
> {
    state
        .target
        .1
        .as_ref()
        .ok()
        .and_then(|sql| Some((sql, sql.learning.as_ref()?.store()?)))
        .ok_or_else(|| ApiError::Conflict("no Execute target is available".to_owned()))
}

pub(super) async fn examples_list(
    State(state): State<AdminState>,
    Extension(_admin): Extension<Admin>,
) -> Result<Json<Value>, ApiError> {
    let (sql, examples) = examples_of(&state)?;
    let list = examples.list(Some(&sql.target)).await?;
    Ok(Json(json!({"target": sql.target, "examples": list})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewExample {
    question: String,
    sql: String,
    #[serde(default)]
    language: Option<crate::i18n::Lang>,
    /// The plan of the target's semantic model (JSON) the SQL answers.
    #[serde(default)]
    plan: Option<String>,
}

pub(super) async fn examples_add(
    State(state): State<AdminState>,
    Extension(admin): Extension<Admin>,
    Json(body): Json<NewExample>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    use crate::learn::examples::{Source, Stored};
    let (sql, examples) = examples_of(&state)?;
    let stored = sql
        .keep_example(
            (&body.question, &body.sql, body.plan.as_deref()),
            body.language,
            Source::Api,
            Some((admin.0.id, &admin.0.name)),
            crate::i18n::Lang::En,
        )
        .await
        .map_err(|e| match e {
            crate::sql_target::KeepError::Store(e) => ApiError::from(e),
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

pub(super) async fn examples_remove(
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
