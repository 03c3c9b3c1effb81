//! `/api/audit`: the audit read, verified and exported by an admin, each
//! read audited before it happens.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, AdminState, ApiError, internal, record_read};
use crate::audit::{AuditFilter, EventKind, ExportFormat, Order};
use crate::identity::Directory;

/// The audit filters, as query parameters.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
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

pub(super) async fn audit_list(
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

pub(super) async fn audit_verify(
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
pub(super) async fn audit_export(
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
