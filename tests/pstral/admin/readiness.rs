//! Readiness and health: each model server asked for the model, a context
//! too small warned of, the own database read, `pstral health`'s exit code,
//! and what is down named, with no token needed.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_asks_each_model_server_whether_it_serves_the_model() {
    let db = TestDb::sqlite().await;
    let serving = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    serving.require_key("sk-1");
    let lacking = FakeModel::start(&["llama3.2:3b"]).await;
    let v1 = |fake: &FakeModel| url::Url::parse(&format!("{}/", fake.v1())).unwrap();
    let app = start_with(
        &db,
        vec![
            EndpointSettings {
                api_key: Some(secrecy::SecretString::from("sk-1")),
                ..EndpointSettings::openai(v1(&serving))
            },
            EndpointSettings::openai(v1(&lacking)),
        ],
    )
    .await;
    // The errors are for admins' eyes.
    let token = admin_token(&db, "ana", None).await;
    let ready = app.get("/readyz", Some(&token)).await;
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    let check = |name: String| {
        body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {body}"))
            .clone()
    };
    let up = check(format!("openai {}", serving.v1()));
    assert_eq!(up["state"], "up", "{up}");
    let down = check(format!("openai {}", lacking.v1()));
    assert_eq!(down["state"], "down");
    assert_eq!(down["error"], "does not serve the model qwen2.5-coder:7b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_warns_of_a_model_context_smaller_than_the_longest_prompt() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let endpoint = EndpointSettings::ollama(url::Url::parse(&format!("{}/", fake.url())).unwrap());
    let app = start_configured(&db, vec![endpoint], |settings| {
        settings.llm.options.num_ctx = 1024;
    })
    .await;
    let token = admin_token(&db, "ana", None).await;
    let body: Value = app.get("/readyz", Some(&token)).await.json().await.unwrap();
    let model = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("ollama "))
        .unwrap()
        .clone();
    // Up: short prompts are answered; the operator is told.
    assert_eq!(model["state"], "up", "{model}");
    let warning = model["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains("its context holds 1024 tokens"), "{model}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_reads_the_own_database_on_sqlite_and_on_postgresql() {
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    for db in [TestDb::sqlite().await, TestDb::postgres().await] {
        let app = start(&db, &fake.url()).await;
        let ready = app.get("/readyz", None).await;
        let status = ready.status();
        let body: Value = ready.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        let database = body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "database")
            .cloned()
            .unwrap_or_else(|| panic!("no database check: {body}"));
        assert_eq!(database["state"], "up", "{body}");
    }
}

/// `pstral health --url BASE`: its exit code and what it printed.
async fn health(base: &str) -> (Option<i32>, String) {
    let base = base.to_owned();
    // The server answers on this runtime: the command waits elsewhere.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pstral"))
            .args(["health", "--url", &base])
            .env_remove("PSTRAL_CONFIG")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_command_exits_zero_only_when_the_bot_is_ready_and_names_what_is_down() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let (code, said) = health(&app.serving.base).await;
    assert_eq!((code, said.trim()), (Some(0), "ready"));
    app.stop().await;
    // A model server that lacks the model: down, and named.
    let lacking = FakeModel::start(&["llama3.2:3b"]).await;
    let app = start(&db, &lacking.url()).await;
    let (code, said) = health(&app.serving.base).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("not ready: down: ollama"), "{said}");
    // Nothing listening: a readable refusal, not a success.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (code, said) = health(&closed).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("no answer from"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_openapi_need_no_token() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let health = app.get("/healthz", None).await;
    assert_eq!(
        (health.status().as_u16(), health.text().await.unwrap()),
        (200, "ok".to_owned())
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["ready"], true, "{body}");
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"database") && names.contains(&"target demo"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("ollama ")), "{names:?}");
    admin_token(&db, "ana", None).await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    // The audit appends of this process (the demo's users, the token) count.
    let text = metrics.text().await.unwrap();
    assert!(text.contains("pstral_audit_appends_total"), "{text}");
    let openapi: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    for path in API {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} missing from the OpenAPI description"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_says_what_is_down() {
    let db = TestDb::sqlite().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // Credentials in the endpoint's URL are never shown, not even to an admin.
    let closed = format!(
        "http://svc:S3cret@{}/?key=k3y",
        listener.local_addr().unwrap()
    );
    drop(listener);
    let app = start(&db, &closed).await;
    // Without a token: the states only, no error text (they name hosts,
    // roles and settings).
    let anonymous: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert!(
        anonymous["checks"].as_array().unwrap().iter().all(|c| c
            .as_object()
            .unwrap()
            .keys()
            .all(|k| k == "name" || k == "state")),
        "{anonymous}"
    );
    let token = admin_token(&db, "ana", None).await;
    let ready = app.get("/readyz", Some(&token)).await;
    assert_eq!(ready.status(), 503);
    let text = ready.text().await.unwrap();
    assert!(
        !text.contains("S3cret") && !text.contains("svc") && !text.contains("k3y"),
        "{text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let ollama = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("ollama"))
        .unwrap();
    assert_eq!(ollama["state"], "down");
    assert!(
        ollama["error"].as_str().unwrap().contains("cannot reach"),
        "{ollama}"
    );
    // The own database goes away.
    app.serving.store.close().await;
    let body: Value = app.get("/readyz", None).await.json().await.unwrap();
    let database = &body["checks"][0];
    assert_eq!(
        (database["name"].as_str(), database["state"].as_str()),
        (Some("database"), Some("down")),
        "{body}"
    );
    app.stop().await;
}
