//! Users managed through the API: created, changed, linked and invited;
//! the last admin is kept, and a demoted admin loses every token.

use super::*;

async fn db_link(db: &TestDb, name: &str, identity: &str) {
    let directory = pstral_core::identity::Directory::new(
        db.store.clone(),
        pstral_core::config::Settings::defaults().identity,
        crate::support::CHAT_PLATFORMS,
    );
    directory
        .link(
            name,
            &identity.parse().unwrap(),
            pstral_core::audit::Actor::cli(),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_managed_through_the_api() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let token = admin_token(&db, "ana", None).await;
    let post = |body: Value| {
        app.http
            .post(app.url("/api/users"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    assert_eq!(
        post(json!({"name": "zoe", "role": "executor"}))
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(post(json!({"name": "zoe"})).await.unwrap().status(), 409);
    assert_eq!(
        post(json!({"name": "bad name"})).await.unwrap().status(),
        400
    );
    assert_eq!(
        post(json!({"name": "yan", "role": "god"}))
            .await
            .unwrap()
            .status(),
        400
    );
    let patch = |name: &str, body: Value| {
        app.http
            .patch(app.url(&format!("/api/users/{name}")))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let changed: Value = patch(
        "zoe",
        json!({"role": "admin", "link": "matrix:@zoe:example.org"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(changed["role"], "admin");
    assert_eq!(changed["identities"][0], "matrix:@zoe:example.org");
    assert_eq!(
        patch("nobody", json!({"role": "admin"}))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        patch("zoe", json!({"link": "matrix:zoe"}))
            .await
            .unwrap()
            .status(),
        400
    );
    // A change with a bad field changes nothing, not even its valid part.
    assert_eq!(
        patch("zoe", json!({"role": "viewer", "link": "not an identity"}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(patch("zoe", json!({})).await.unwrap().status(), 400);
    // Valid fields, but one cannot be done (the identity is ana's): the
    // whole change is refused, the role included.
    let ana_identity = "discord:1";
    db_link(&db, "ana", ana_identity).await;
    assert_eq!(
        patch("zoe", json!({"role": "viewer", "link": ana_identity}))
            .await
            .unwrap()
            .status(),
        409
    );
    // Every invite names the account that may use it.
    let unnamed = app
        .http
        .post(app.url("/api/users/zoe/invites"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unnamed.status(), 400);
    let said: Value = unnamed.json().await.unwrap();
    assert!(
        said.to_string()
            .contains("an invite names the chat account"),
        "{said}"
    );
    let invite = app
        .http
        .post(app.url("/api/users/zoe/invites"))
        .bearer_auth(&token)
        .json(&json!({"for": "discord:777"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invite.status(), 201);
    let invite: Value = invite.json().await.unwrap();
    assert_eq!(invite["code"].as_str().unwrap().len(), 11);
    assert_eq!(invite["for"], "discord:777");
    // For an account linked already, no code is made: it could never work.
    let linked = app
        .http
        .post(app.url("/api/users/zoe/invites"))
        .bearer_auth(&token)
        .json(&json!({"for": "matrix:@zoe:example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), 409);
    let users: Value = app
        .get("/api/users", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users["users"].as_array().unwrap().len(), 2);
    let zoe = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "zoe")
        .unwrap();
    assert_eq!(
        zoe["role"], "admin",
        "the refused change left the role: {zoe}"
    );
    let reads: Value = app
        .get("/api/audit?kind=admin_read", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        reads["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["payload"]["action"] == "users_list" && e["identity"] == "api:ana"),
        "reading the users is recorded: {reads}"
    );
    let changes: Value = app
        .get("/api/audit?kind=user_changed", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let by_api = changes["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["identity"] == "api:ana")
        .count();
    assert_eq!(
        by_api, 2,
        "creation and role change, attributed to the admin"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_be_demoted_and_a_demoted_admin_loses_every_token() {
    let db = TestDb::sqlite().await;
    let fake = FakeModel::start(&["qwen2.5-coder:7b"]).await;
    let app = start(&db, &fake.url()).await;
    let ana = admin_token(&db, "ana", None).await;
    let patch = |name: &'static str, token: String, body: Value| {
        app.http
            .patch(app.url(&format!("/api/users/{name}")))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    // Alone, ana cannot demote herself: the door would be locked for good.
    let refused = patch("ana", ana.clone(), json!({"role": "viewer"}))
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    assert!(
        refused.text().await.unwrap().contains("last admin"),
        "the refusal says why"
    );
    assert_eq!(app.get("/api/users", Some(&ana)).await.status(), 200);

    // With a second admin she can; her tokens die with her role, and being
    // promoted again does not revive them.
    let bob = admin_token(&db, "bob", None).await;
    let old_ana = admin_token(&db, "ana", None).await;
    let demoted = patch("ana", bob.clone(), json!({"role": "viewer"}))
        .await
        .unwrap();
    assert_eq!(demoted.status(), 200);
    let promoted = patch("ana", bob.clone(), json!({"role": "admin"}))
        .await
        .unwrap();
    assert_eq!(promoted.status(), 200);
    for token in [&ana, &old_ana] {
        assert_eq!(app.get("/api/users", Some(token)).await.status(), 401);
    }
    // Now bob is the last admin with a live token; the CLI's override is
    // the only way to leave none.
    let directory = Directory::new(
        db.store.clone(),
        Settings::defaults().identity,
        crate::support::CHAT_PLATFORMS,
    );
    directory
        .set_role("ana", Role::Viewer, Actor::cli(), false)
        .await
        .unwrap();
    assert!(
        directory
            .set_role("bob", Role::Viewer, Actor::cli(), false)
            .await
            .is_err()
    );
    directory
        .set_role("bob", Role::Viewer, Actor::cli(), true)
        .await
        .unwrap();
    let revoked = audited(&db, "user_changed").await;
    assert!(
        revoked
            .iter()
            .any(|p| p["action"] == "tokens_revoked" && p["user"] == "ana"),
        "the revocation is audited"
    );
    app.stop().await;
}
