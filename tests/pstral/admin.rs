//! The admin endpoint over real HTTP: the production `Application` on port 0,
//! a fresh own database, the fake Ollama and the demo target.

use std::time::Duration;

use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::config::Settings;
use pstral_core::identity::{Directory, Role};
use pstral_core::llm::EndpointSettings;
use pstral_core::sql::{Target, TargetKind};
use serde_json::{Value, json};

use crate::support::fake_model::FakeModel;
use crate::support::{Serving, TestDb, admin_token};

mod readiness;
mod users;

struct Running {
    serving: Serving,
    http: reqwest::Client,
    _demo: tempfile::TempDir,
}

impl Running {
    async fn stop(self) {
        self.serving.stop().await;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.serving.base)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send().await.unwrap()
    }
}

async fn start(db: &TestDb, ollama: &str) -> Running {
    let endpoint = EndpointSettings::ollama(url::Url::parse(&format!("{ollama}/")).unwrap());
    start_with(db, vec![endpoint]).await
}

async fn start_with(db: &TestDb, endpoints: Vec<EndpointSettings>) -> Running {
    start_configured(db, endpoints, |_| {}).await
}

/// The endpoint on `db`, its settings changed by `change` before it starts.
async fn start_configured(
    db: &TestDb,
    endpoints: Vec<EndpointSettings>,
    change: impl FnOnce(&mut Settings),
) -> Running {
    let demo = tempfile::tempdir().unwrap();
    let demo_path = demo.path().join("demo.db");
    pstral_core::sql::demo::create(&demo_path, false)
        .await
        .unwrap();
    let mut settings = Settings::defaults();
    settings.database = db.settings.clone();
    settings.llm.endpoints = endpoints;
    // One plan a question, never asked back: the model is scripted answer
    // by answer.
    settings.sql.plan_votes = Default::default();
    settings.llm.timeouts.connect = Duration::from_secs(2);
    settings.sql.target = Target {
        name: "demo".into(),
        kind: TargetKind::Sqlite(demo_path),
        instructions_file: None,
        semantic: Default::default(),
        today: None,
        weigh_plans: true,
        accounts: Vec::new(),
    };
    change(&mut settings);
    Running {
        serving: Serving::start(settings).await,
        http: reqwest::Client::new(),
        _demo: demo,
    }
}

const API: &[&str] = &[
    "/api/audit",
    "/api/audit/verify",
    "/api/audit/export",
    "/api/users",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_needs_a_live_admin_token() {
    let db = TestDb::postgres().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let good = admin_token(&db, "ana", None).await;
    for path in API {
        let none = app.get(path, None).await;
        assert_eq!(none.status(), 401, "{path} without a token");
        assert!(
            none.text().await.unwrap().is_empty(),
            "a 401 says nothing else"
        );
        assert_eq!(
            app.get(path, Some("pst_nonsense")).await.status(),
            401,
            "{path} with an unknown token"
        );
        assert_eq!(
            app.get(path, Some(&good)).await.status(),
            200,
            "{path} with a good token"
        );
    }
    // Unknown paths and methods under /api are not revealed without a token.
    assert_eq!(app.get("/api/nothing", None).await.status(), 401);
    let delete = |token: Option<&str>| {
        let request = app.http.delete(app.url("/api/users"));
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
        .send()
    };
    assert_eq!(delete(None).await.unwrap().status(), 401);
    assert_eq!(app.get("/api/nothing", Some(&good)).await.status(), 404);
    assert_eq!(delete(Some(&good)).await.unwrap().status(), 405);

    let expired = admin_token(&db, "ana", Some(Duration::ZERO)).await;
    assert_eq!(app.get("/api/users", Some(&expired)).await.status(), 401);

    let tokens =
        pstral_core::admin::tokens::Tokens::new(db.store.clone(), Audit::new(db.store.clone()));
    let id = tokens
        .list()
        .await
        .unwrap()
        .iter()
        .find(|t| t.expires_at.is_none())
        .unwrap()
        .id;
    tokens.revoke(id, Actor::cli()).await.unwrap();
    for absurd in [Duration::MAX, Duration::from_secs(200_000 * 365 * 86_400)] {
        assert!(
            matches!(
                tokens
                    .create("ana", "forever", Some(absurd), Actor::cli())
                    .await,
                Err(pstral_core::admin::tokens::TokenError::LifetimeTooLong)
            ),
            "a lifetime past the calendar is refused, not taken as no expiry"
        );
    }
    assert_eq!(
        app.get("/api/users", Some(&good)).await.status(),
        401,
        "revoked: refused at once"
    );

    let demoted = admin_token(&db, "bob", None).await;
    assert_eq!(app.get("/api/users", Some(&demoted)).await.status(), 200);
    Directory::new(
        db.store.clone(),
        Settings::defaults().identity,
        crate::support::CHAT_PLATFORMS,
    )
    .set_role("bob", Role::Executor, Actor::cli(), false)
    .await
    .unwrap();
    assert_eq!(
        app.get("/api/users", Some(&demoted)).await.status(),
        401,
        "demoted: refused at once"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_is_filtered_paginated_exported_and_every_read_recorded() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let token = admin_token(&db, "ana", None).await;
    let mut tx = db.store.begin().await.unwrap();
    for i in 0..1000 {
        let kind = if i % 2 == 0 {
            EventKind::Question
        } else {
            EventKind::Answer
        };
        Audit::append_in(
            &mut tx,
            NewEvent::new(
                kind,
                Actor::default(),
                json!({"n": i, "text": format!("événement {i}")}),
            ),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let mut cursor: Option<i64> = None;
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let path = match cursor {
            Some(c) => format!("/api/audit?kind=question&limit=100&cursor={c}"),
            None => "/api/audit?kind=question&limit=100".to_owned(),
        };
        let page: Value = app.get(&path, Some(&token)).await.json().await.unwrap();
        let events = page["events"].as_array().unwrap();
        assert!(events.iter().all(|e| e["kind"] == "question"));
        seen += events.len();
        pages += 1;
        match page["next_cursor"].as_i64() {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        (seen, pages),
        (500, 6),
        "5 full pages, then an empty last one"
    );
    // (kind= too: the record of this very read holds the searched text.)
    let found: Value = app
        .get(
            "/api/audit?kind=answer&text=%C3%A9v%C3%A9nement%20999",
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["events"].as_array().unwrap().len(), 1);
    let bad = app.get("/api/audit?kind=nope", Some(&token)).await;
    assert_eq!(bad.status(), 400);

    let csv = app
        .get("/api/audit/export?format=csv&kind=answer", Some(&token))
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 1 + 500, "header and every answer");
    let verify: Value = app
        .get("/api/audit/verify", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["intact"], true, "{verify}");

    let reads: Value = app
        .get("/api/audit?kind=admin_read&limit=1000", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let reads = reads["events"].as_array().unwrap();
    assert!(reads.len() >= 9, "each read recorded: {}", reads.len());
    assert!(
        reads.iter().all(|r| r["identity"] == "api:ana"),
        "attributed to the admin"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_ten_thousand_events_streams_whole() {
    let db = TestDb::postgres().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let token = admin_token(&db, "ana", None).await;
    let mut tx = db.store.begin().await.unwrap();
    for i in 0..10_000 {
        Audit::append_in(
            &mut tx,
            NewEvent::new(EventKind::Answer, Actor::default(), json!({"n": i})),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let response = app
        .get("/api/audit/export?format=jsonl&kind=answer", Some(&token))
        .await;
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed, not buffered"
    );
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10_000);
    assert_eq!(lines[9_999]["payload"]["n"], 9_999);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_api_takes_the_clis_times_and_lists_newest_first_when_asked() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let token = admin_token(&db, "ana", None).await;
    let audit = Audit::new(db.store.clone());
    for i in 0..5 {
        audit
            .append(NewEvent::new(
                EventKind::Question,
                Actor::default(),
                json!({"i": i}),
            ))
            .await
            .unwrap();
    }
    let list = |query: &str| {
        let app = &app;
        let token = token.clone();
        let query = query.to_owned();
        async move {
            let response = app.get(&format!("/api/audit?{query}"), Some(&token)).await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let (status, body) = list("kind=question&since=2h").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["events"].as_array().unwrap().len(), 5);
    let (_, body) = list("kind=question&since=2026-01-01&order=newest&limit=2").await;
    let page: Vec<i64> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(page, [4, 3]);
    let cursor = body["next_cursor"].as_i64().unwrap();
    let (_, body) = list(&format!(
        "kind=question&order=newest&limit=2&cursor={cursor}"
    ))
    .await;
    let page: Vec<i64> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(page, [2, 1]);
    let (status, body) = list("since=yesterday").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("an age (2h, 7d)"), "{body}");
    let (_, body) = list("kind=question&since=1m&until=2030-01-01").await;
    assert_eq!(body["events"].as_array().unwrap().len(), 5);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_listener_serves_metrics_and_health_and_none_of_the_api() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let endpoint = EndpointSettings::ollama(url::Url::parse(&format!("{}/", fake.url())).unwrap());
    let app = start_configured(&db, vec![endpoint], |settings| {
        settings.admin.as_mut().unwrap().metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let metrics = app
        .serving
        .metrics_base
        .clone()
        .expect("a metrics listener");
    assert_ne!(metrics, app.serving.base);
    let get = |path: &str| app.http.get(format!("{metrics}{path}")).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    // The readiness just computed, as metrics too (their values are the
    // process's, shared with the other tests running beside this one).
    let scraped = get("/metrics").await.unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("\npstral_ready "), "{text}");
    assert!(
        text.contains(r#"pstral_check_up{check="database"} "#),
        "{text}"
    );
    let token = admin_token(&db, "ana", None).await;
    for path in ["/api/users", "/api/audit", "/api/openapi.json"] {
        let refused = app
            .http
            .get(format!("{metrics}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 404, "{path}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_caller_is_known_by_the_address_it_forwards_for() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let endpoint = EndpointSettings::ollama(url::Url::parse(&format!("{}/", fake.url())).unwrap());
    let app = start_configured(&db, vec![endpoint], |settings| {
        settings.admin.as_mut().unwrap().trusted_proxies = pstral_core::admin::TrustedProxies {
            nets: vec!["127.0.0.0/8".parse().unwrap()],
            // Said knowingly: the test's proxy is on the loopback.
            loopback: true,
        };
    })
    .await;
    let good = admin_token(&db, "ana", None).await;
    let from = |client: &'static str, token: String| {
        let request = app
            .http
            .get(app.url("/api/users"))
            .bearer_auth(token)
            // What the client wrote first is not believed; the proxy's
            // own addition, last, is.
            .header("X-Forwarded-For", format!("198.51.100.1, {client}"));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for guess in 0..pstral_core::admin::MAX_REFUSALS {
        assert_eq!(
            from("203.0.113.7", format!("pst_guess{guess:04}")).await,
            401
        );
    }
    // The guesser is slowed down; another caller through the same proxy
    // is not, and a valid token never is.
    assert_eq!(from("203.0.113.7", "pst_guess9999".to_owned()).await, 429);
    assert_eq!(from("203.0.113.8", "pst_other".to_owned()).await, 401);
    assert_eq!(from("203.0.113.7", good.clone()).await, 200);
    let refusals = audited(&db, "access_refused").await;
    assert_eq!(refusals[0]["client"], "203.0.113.7", "{refusals:#?}");
    assert_eq!(refusals.last().unwrap()["client"], "203.0.113.8");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_on_the_loopback_is_not_believed_unless_the_operator_says_so() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let endpoint = EndpointSettings::ollama(url::Url::parse(&format!("{}/", fake.url())).unwrap());
    // As the configuration's example once had it, without saying so.
    let app = start_configured(&db, vec![endpoint], |settings| {
        settings.admin.as_mut().unwrap().trusted_proxies = pstral_core::admin::TrustedProxies {
            nets: vec!["127.0.0.1/32".parse().unwrap()],
            loopback: false,
        };
    })
    .await;
    // Any local process claims a new address at each guess: all are the
    // loopback's, which is locked out like any guesser.
    let mut statuses = Vec::new();
    for guess in 0..=pstral_core::admin::MAX_REFUSALS {
        let status = app
            .http
            .get(app.url("/api/users"))
            .bearer_auth(format!("pst_guess{guess:04}"))
            .header("X-Forwarded-For", format!("203.0.113.{guess}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        statuses.push(status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let refusals = audited(&db, "access_refused").await;
    assert!(
        refusals.iter().all(|r| r["client"] == "127.0.0.1"),
        "no made-up address reaches the audit: {refusals:#?}"
    );
    app.stop().await;
}

#[test]
fn pstral_check_warns_of_a_loopback_proxy() {
    use pstral_core::admin::TrustedProxies;
    let bind: std::net::SocketAddr = "127.0.0.1:8089".parse().unwrap();
    let loopback = vec!["127.0.0.1".parse::<std::net::IpAddr>().unwrap().into()];
    let ignored = TrustedProxies {
        nets: loopback.clone(),
        loopback: false,
    };
    assert!(ignored.warning(bind).unwrap().contains("ignored"));
    assert!(!ignored.trust(&"127.0.0.1".parse().unwrap()));
    let believed = TrustedProxies {
        nets: loopback,
        loopback: true,
    };
    assert!(
        believed
            .warning(bind)
            .unwrap()
            .contains("any local process")
    );
    let remote = TrustedProxies {
        nets: vec!["10.0.0.0/8".parse().unwrap()],
        loopback: false,
    };
    assert_eq!(remote.warning(bind), None);
    assert!(remote.trust(&"10.1.2.3".parse().unwrap()));
    // As a dual-stack listener gives an IPv4 caller.
    assert!(remote.trust(&"::ffff:10.1.2.3".parse().unwrap()));
    // Every form of the loopback is warned of, and never trusted unless said.
    for form in [
        "127.0.0.2",
        "::ffff:127.0.0.1",
        "::ffff:0:0/96",
        "::1",
        "127.0.0.0/8",
    ] {
        let named = TrustedProxies {
            nets: vec![
                form.parse()
                    .or_else(|_| form.parse::<std::net::IpAddr>().map(Into::into))
                    .unwrap(),
            ],
            loopback: false,
        };
        assert!(named.warning(bind).is_some(), "{form}");
        assert!(!named.trust(&"127.0.0.2".parse().unwrap()), "{form}");
        assert!(!named.trust(&"::ffff:127.0.0.1".parse().unwrap()), "{form}");
    }
    // Believed on the loopback beside a listener every local process reaches.
    let everywhere: std::net::SocketAddr = "[::]:8089".parse().unwrap();
    let believed = TrustedProxies {
        nets: vec!["127.0.0.1/32".parse().unwrap()],
        loopback: true,
    };
    assert!(believed.warning(everywhere).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tokens_are_audited_and_a_guessing_client_is_slowed_down() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let good = admin_token(&db, "ana", None).await;
    let allowed = pstral_core::admin::MAX_REFUSALS;
    for guess in 0..allowed {
        let status = app
            .get("/api/users", Some(&format!("pst_guess{guess:04}")))
            .await
            .status();
        assert_eq!(status, 401);
    }
    // The next wrong guess in the minute is turned away unaudited; a valid
    // token still gets in (behind a proxy, every admin shares an address).
    assert_eq!(
        app.get("/api/users", Some("pst_guess9999")).await.status(),
        429
    );
    assert_eq!(app.get("/api/users", None).await.status(), 429);
    assert_eq!(app.get("/api/users", Some(&good)).await.status(), 200);
    let refusals = audited(&db, "access_refused").await;
    let api: Vec<&Value> = refusals.iter().filter(|p| p["via"] == "api").collect();
    assert_eq!(api.len(), allowed as usize, "{api:#?}");
    assert_eq!(api[0]["reason"], "token_unknown");
    assert_eq!(api[0]["client"], "127.0.0.1");
    assert_eq!(api[0]["path"], "/api/users");
    assert!(
        api.iter()
            .all(|p| p.get("token").is_none() && p["token_id"].is_null()),
        "nothing of a token the bot does not know: {api:#?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_own_sqlite_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("pstral.db");
    let mut settings = Settings::defaults().database;
    settings.url = pstral_core::store::DatabaseUrl::Sqlite(path.clone());
    let store = pstral_core::store::Store::open(&settings).await.unwrap();
    Audit::new(store.clone())
        .append(NewEvent::new(
            EventKind::UserChanged,
            Actor::cli(),
            json!({"action": "test"}),
        ))
        .await
        .unwrap();
    for file in [path.clone(), dir.path().join("data").join("pstral.db-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    store.close().await;
}

async fn audited(db: &TestDb, kind: &str) -> Vec<Value> {
    crate::support::audited(&Audit::new(db.store.clone()), kind).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_store_list_and_remove_examples_through_the_api_judged_and_audited() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let token = admin_token(&db, "ana", None).await;
    let post = |body: Value| {
        app.http
            .post(app.url("/api/examples"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let question = "Quels clients n'ont aucun contrat ?";
    let sql = "SELECT company FROM clients WHERE status = 'prospect'";
    let stored = post(json!({"question": question, "sql": sql}))
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    let example: Value = stored.json().await.unwrap();
    assert_eq!(
        (example["question"].as_str(), example["language"].as_str()),
        (Some(question), Some("fr"))
    );
    assert_eq!(example["source"], "api");
    assert_eq!(example["created_by"], "ana");
    // The same again is the same example; a write is refused with why.
    let again = post(json!({"question": question, "sql": sql}))
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let refused = post(json!({"question": "x", "sql": "DELETE FROM clients"}))
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("refused"));
    let list: Value = app
        .get("/api/examples", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["target"], "demo");
    assert_eq!(list["examples"].as_array().unwrap().len(), 1);
    let id = example["id"].as_i64().unwrap();
    let removed = app
        .http
        .delete(app.url(&format!("/api/examples/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let list: Value = app
        .get("/api/examples", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(list["examples"].as_array().unwrap().is_empty());
    let changes = crate::support::audited(&Audit::new(db.store.clone()), "example_changed").await;
    let actions: Vec<&str> = changes
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["added", "removed"]);
    // Without a token, nothing.
    assert_eq!(app.get("/api/examples", None).await.status(), 401);
    app.stop().await;
}

/// Groups through the API: joined and left in one PATCH with the rest
/// (a group not configured refused before anything changes), and what a
/// person may read said, audited as a read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_joined_through_the_api_and_what_a_person_may_read_is_said() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let endpoint = EndpointSettings::ollama(url::Url::parse(&format!("{}/", fake.url())).unwrap());
    let app = start_configured(&db, vec![endpoint], |s| {
        s.access = pstral_core::access::Rules::new(
            vec![pstral_core::access::Group {
                name: "sales".to_owned(),
                description: "Sales".to_owned(),
                hidden: vec!["clients.annual_revenue".parse().unwrap()],
            }],
            pstral_core::access::Ungrouped::Everything,
        );
    })
    .await;
    let token = admin_token(&db, "ana", None).await;
    let created = app
        .http
        .post(app.url("/api/users"))
        .bearer_auth(&token)
        .json(&json!({"name": "zoe", "role": "executor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let patch = |body: Value| {
        app.http
            .patch(app.url("/api/users/zoe"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    // An unknown group: 400, and the role asked beside it is not applied.
    let refused = patch(json!({"role": "viewer", "join": ["finance"]}))
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let changed: Value = patch(json!({"join": ["sales"]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["groups"], json!(["sales"]));
    assert_eq!(changed["role"], "executor");

    let access: Value = app
        .get("/api/users/zoe/access", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(access["groups"], json!(["sales"]));
    assert_eq!(access["readings"][0]["group"], "sales");
    assert_eq!(
        access["readings"][0]["hidden"],
        json!(["clients.annual_revenue"])
    );
    assert_eq!(access["readings"][0]["account"], "the target's");
    let reads = crate::support::audited(&Audit::new(db.store.clone()), "admin_read").await;
    assert!(
        reads.iter().any(|r| r["action"] == "user_access"),
        "{reads:#?}"
    );

    let left: Value = patch(json!({"leave": ["sales"]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(left["groups"], json!([]));
}
