//! The fake's gateway: a WebSocket that says HELLO, answers IDENTIFY with
//! READY and heartbeats with ACKs, and a RESUME with the missed events and
//! RESUMED.

use super::*;

pub(super) async fn gateway_upgrade(
    State(shared): State<Arc<Shared>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| gateway(shared, socket))
}

/// One gateway connection.
async fn gateway(shared: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 1000}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outgoing::Frame(frame)) => {
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Some(Outgoing::Close(code)) => {
                    let close = CloseFrame { code, reason: "closed by the test".into() };
                    let _ = socket.send(WsMessage::Close(Some(close))).await;
                    return;
                }
                None => return,
            },
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text,
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let payload: Value = serde_json::from_str(&text).unwrap();
                match payload["op"].as_u64() {
                    Some(1) => {
                        shared.lock().heartbeats += 1;
                        let ack = json!({"op": 11});
                        if socket.send(WsMessage::Text(ack.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    Some(2) => {
                        assert_eq!(payload["d"]["token"], format!("Bot {TOKEN}"));
                        let mut inner = shared.lock();
                        inner.identifies += 1;
                        inner.seq += 1;
                        let seq = inner.seq;
                        let frame = json!({"op": 0, "s": seq, "t": "READY", "d": ready(&inner.session, &shared.gateway_url)});
                        inner.dispatched.push((seq, frame.clone()));
                        inner.connection = Some(tx.clone());
                        let _ = tx.send(Outgoing::Frame(frame));
                    }
                    Some(6) => {
                        let mut inner = shared.lock();
                        inner.resumes += 1;
                        let from = payload["d"]["seq"].as_u64().unwrap_or(0);
                        inner.last_seen_seq = from;
                        let missed: Vec<Value> = inner
                            .dispatched
                            .iter()
                            .filter(|(s, _)| *s > from)
                            .map(|(_, f)| f.clone())
                            .collect();
                        for frame in missed {
                            let _ = tx.send(Outgoing::Frame(frame));
                        }
                        inner.seq += 1;
                        let seq = inner.seq;
                        let resumed = json!({"op": 0, "s": seq, "t": "RESUMED", "d": {}});
                        inner.dispatched.push((seq, resumed.clone()));
                        let _ = tx.send(Outgoing::Frame(resumed));
                        inner.connection = Some(tx.clone());
                    }
                    _ => {}
                }
                shared.bump();
            }
        }
    }
}
