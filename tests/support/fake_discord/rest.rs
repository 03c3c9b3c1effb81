//! The fake's REST front: each call's body parsed (multipart included),
//! its token checked, its route's rate-limit bucket counted with Discord's
//! headers, and the call recorded.

use super::*;

/// Requests a route may make per window before a 429.
const BUCKET_LIMIT: u32 = 5;
const BUCKET_WINDOW: Duration = Duration::from_secs(1);

/// The parts of a multipart body: (name, file name, bytes).
fn multipart(content_type: &str, body: &[u8]) -> Vec<(String, Option<String>, Vec<u8>)> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a multipart boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let positions: Vec<usize> = text
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let split = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part headers end");
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..].to_vec();
        let field = |key: &str| {
            headers
                .split(';')
                .map(str::trim)
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .map(|v| v.lines().next().unwrap_or(v).trim_matches('"').to_owned())
        };
        parts.push((
            field("name").unwrap_or_default(),
            field("filename"),
            content,
        ));
    }
    parts
}

/// Where a request falls for rate limiting: the route with its ids
/// replaced, and the top-level id (channel, guild, webhook) kept, as
/// Discord's per-route buckets work.
fn bucket_of(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut shape = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let major = i == 1 && matches!(segments[0], "channels" | "guilds" | "webhooks");
        if !major && (seg.chars().all(|c| c.is_ascii_digit()) || seg.starts_with("itok-")) {
            shape.push(":id");
        } else {
            shape.push(seg);
        }
    }
    format!("{method} /{}", shape.join("/"))
}

pub(super) async fn rest_call(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path()
        .strip_prefix("/api/v10")
        .unwrap_or(uri.path())
        .to_owned();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (body_json, files) = read_body(&content_type, &body);
    let authorized =
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bot {TOKEN}"));
    let bucket = bucket_of(&method, &path);
    let now = Instant::now();
    let (status, answer, rate_headers) = {
        let mut inner = shared.lock();
        let (used, reset) = inner
            .buckets
            .entry(bucket.clone())
            .or_insert((0, now + BUCKET_WINDOW));
        if now >= *reset {
            *used = 0;
            *reset = now + BUCKET_WINDOW;
        }
        let reset_after = reset.saturating_duration_since(now).as_secs_f64();
        let limited = *used >= BUCKET_LIMIT;
        *used += 1;
        let remaining = BUCKET_LIMIT.saturating_sub(*used);
        let forced = is_edit(&method, &path) && inner.forced_429 > 0 && !limited;
        if forced {
            inner.forced_429 -= 1;
        }
        if inner.down_for > 0 {
            inner.down_for -= 1;
            let (s, b) = error(
                StatusCode::SERVICE_UNAVAILABLE,
                0,
                "503: Service Unavailable",
            );
            (s, Some(b), None)
        } else if !authorized {
            let (s, b) = error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized");
            (s, Some(b), None)
        } else if limited || forced {
            // Discord's Retry-After header is whole seconds; the body has
            // the exact time.
            let retry_after = if forced { 1.0 } else { reset_after.max(0.001) };
            let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": false});
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(body),
                Some((0, retry_after, true)),
            )
        } else {
            let (s, b) = route(
                &mut inner,
                &shared.gateway_url,
                &method,
                &path,
                uri.query().unwrap_or_default(),
                &body_json,
                &files,
            );
            (s, b, Some((remaining, reset_after, false)))
        }
    };
    shared.lock().calls.push(Call {
        at: now,
        method: method.to_string(),
        path: path.clone(),
        body: body_json,
        files,
        status: status.as_u16(),
    });
    shared.bump();
    let mut response = match answer {
        Some(b) => (status, axum::Json(b)).into_response(),
        None => status.into_response(),
    };
    if let Some((remaining, reset_after, limited)) = rate_headers {
        rate_limit_headers(
            response.headers_mut(),
            &bucket,
            remaining,
            reset_after,
            limited,
        );
    }
    response
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// A request's body as the route reads it: its JSON (a multipart form's
/// `payload_json`) and the files a multipart form attaches.
fn read_body(content_type: &str, body: &[u8]) -> (Value, Vec<(String, Vec<u8>)>) {
    if content_type.starts_with("multipart/form-data") {
        let mut json = Value::Null;
        let mut files = Vec::new();
        for (name, file_name, bytes) in multipart(content_type, body) {
            if name == "payload_json" {
                json = serde_json::from_slice(&bytes).unwrap();
            } else if let Some(f) = file_name {
                files.push((f, bytes));
            }
        }
        (json, files)
    } else if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (
            serde_json::from_slice(body).unwrap_or(Value::Null),
            Vec::new(),
        )
    }
}

/// The headers Discord sets on a response of a rate-limited bucket: its
/// limit, what remains, when it resets, and when limited, when to retry.
fn rate_limit_headers(
    h: &mut HeaderMap,
    bucket: &str,
    remaining: u32,
    reset_after: f64,
    limited: bool,
) {
    h.insert(
        "x-ratelimit-limit",
        BUCKET_LIMIT.to_string().parse().unwrap(),
    );
    h.insert(
        "x-ratelimit-remaining",
        remaining.to_string().parse().unwrap(),
    );
    h.insert(
        "x-ratelimit-reset-after",
        format!("{reset_after:.3}").parse().unwrap(),
    );
    h.insert(
        "x-ratelimit-bucket",
        format!("{:x}", fnv(bucket)).parse().unwrap(),
    );
    if limited {
        h.insert(
            "retry-after",
            format!("{}", reset_after.ceil() as u64).parse().unwrap(),
        );
        h.insert("x-ratelimit-scope", "user".parse().unwrap());
    }
}

/// Whether a call edits a message (the calls a forced 429 answers).
fn is_edit(method: &Method, path: &str) -> bool {
    method == Method::PATCH && path.starts_with("/channels/") && path.contains("/messages/")
}
