//! A loopback HTTP proxy in front of a real model server, recording what
//! crosses it: each request's path and body, each response's status and
//! body bytes exactly as the server sent them, and how the response ended
//! (the server finished it, or the client left first, in which case the
//! proxy drops its own connection to the server too, as a direct client's
//! leaving would).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How a proxied response ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Still streaming.
    Open,
    /// The server ended it.
    Complete,
    /// The client closed it first.
    ClientLeft,
}

#[derive(Clone, Debug)]
pub struct Exchange {
    pub path: String,
    pub request: serde_json::Value,
    pub status: u16,
    pub response: Vec<u8>,
    pub ending: Ending,
}

impl Exchange {
    /// The concatenated `delta.content` of a server-sent-events chat
    /// response, and the `finish_reason` it gave, if any.
    pub fn streamed_text(&self) -> (String, Option<String>) {
        let body = String::from_utf8(self.response.clone()).expect("UTF-8 events");
        let mut text = String::new();
        let mut finish = None;
        for event in body.split("\n\n") {
            let Some(data) = event.trim().strip_prefix("data:") else {
                continue;
            };
            let data = data.trim();
            if data == "[DONE]" {
                continue;
            }
            let chunk: serde_json::Value = serde_json::from_str(data).expect("a JSON chunk");
            let choice = &chunk["choices"][0];
            if let Some(piece) = choice["delta"]["content"].as_str() {
                text.push_str(piece);
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                finish = Some(reason.to_owned());
            }
        }
        (text, finish)
    }

    /// Whether the server sent its `data: [DONE]`.
    pub fn done(&self) -> bool {
        String::from_utf8_lossy(&self.response).contains("data: [DONE]")
    }
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    exchanges: Mutex<Vec<Exchange>>,
    changed: watch::Sender<u64>,
}

impl Shared {
    fn update(&self, index: usize, f: impl FnOnce(&mut Exchange)) {
        f(&mut self.exchanges.lock().unwrap()[index]);
        self.changed.send_modify(|n| *n += 1);
    }
}

/// A running proxy; stops when dropped.
pub struct RecordingProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl RecordingProxy {
    /// A proxy to `upstream` (scheme, host and port).
    pub async fn start(upstream: &str) -> Self {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            exchanges: Mutex::new(Vec::new()),
            changed: watch::channel(0).0,
        });
        let app = Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&shared));
        let (addr, stop) = super::serve_on_loopback(app).await;
        Self { addr, shared, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.exchanges.lock().unwrap().clone()
    }

    /// The chat exchanges (`…/chat/completions`), in order.
    pub fn chats(&self) -> Vec<Exchange> {
        self.exchanges()
            .into_iter()
            .filter(|e| e.path.ends_with("/chat/completions"))
            .collect()
    }

    /// Waits until `condition` holds (or panics after `within`).
    pub async fn wait_until(
        &self,
        what: &str,
        within: Duration,
        condition: impl Fn(&[Exchange]) -> bool,
    ) {
        let mut changes = self.shared.changed.subscribe();
        let wait = async {
            while !condition(&self.exchanges()) {
                changes.changed().await.unwrap();
            }
        };
        tokio::time::timeout(within, wait)
            .await
            .unwrap_or_else(|_| panic!("the proxy never saw: {what}"));
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let headers: HeaderMap = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), 16 << 20)
        .await
        .unwrap();
    let mut upstream = shared
        .http
        .request(method, format!("{}{path}", shared.upstream))
        .body(body.clone());
    for name in [
        axum::http::header::CONTENT_TYPE,
        axum::http::header::AUTHORIZATION,
    ] {
        if let Some(value) = headers.get(&name) {
            upstream = upstream.header(name, value);
        }
    }
    let index = {
        let mut exchanges = shared.exchanges.lock().unwrap();
        exchanges.push(Exchange {
            path,
            request: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            status: 0,
            response: Vec::new(),
            ending: Ending::Open,
        });
        exchanges.len() - 1
    };
    let response = match upstream.send().await {
        Ok(response) => response,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(e.to_string()))
                .unwrap();
        }
    };
    let status = response.status();
    shared.update(index, |e| e.status = status.as_u16());
    let mut builder = Response::builder().status(status.as_u16());
    if let Some(kind) = response.headers().get(reqwest::header::CONTENT_TYPE) {
        builder = builder.header(axum::http::header::CONTENT_TYPE, kind.as_bytes());
    }
    let relay = Relay {
        upstream: Box::pin(response.bytes_stream()),
        shared,
        index,
        ended: false,
    };
    builder.body(Body::from_stream(relay)).unwrap()
}

/// The server's body on its way to the client, recorded as it passes.
/// Dropped before the end (the client left), it drops the server's body,
/// which closes that connection.
struct Relay {
    upstream: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    shared: Arc<Shared>,
    index: usize,
    ended: bool,
}

impl Stream for Relay {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        match self.upstream.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let index = self.index;
                self.shared
                    .update(index, |e| e.response.extend_from_slice(&chunk));
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => {
                self.ended = true;
                let index = self.index;
                self.shared.update(index, |e| e.ending = Ending::Complete);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if !self.ended {
            self.shared
                .update(self.index, |e| e.ending = Ending::ClientLeft);
        }
    }
}
