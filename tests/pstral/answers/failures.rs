//! A model that fails mid-answer: stopped at its length limit, cut
//! mid-stream, silent, missing, or an endpoint down or busy, each said
//! readably in the chat.

use super::*;

/// A port where nothing listens.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_at_the_length_limit_says_so() {
    for api in APIS {
        let (text, audited) = one_failure(
            api,
            Script::answer("SELECT nom FROM clients").ending(End::Length),
            None,
        )
        .await;
        assert!(
            text.starts_with(
                "SELECT nom FROM clients\n\n⚠️ The answer stopped at the model's length limit"
            ),
            "{api:?}: {text}"
        );
        assert_eq!(audited["text"], "SELECT nom FROM clients");
    }
}

async fn one_failure(api: Api, script: Script, timeouts: Option<Timeouts>) -> (String, Value) {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(script);
    let mut options = Options::speaking(api);
    if let Some(t) = timeouts {
        options.timeouts = t;
    }
    let h = Harness::new(&[base(&fake, api)], options).await;
    h.ask(1, "Question").await;
    let text = h.answers().remove(0).1;
    let audited = h.audited("answer").await.remove(0);
    (text, audited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mid_stream_leaves_the_partial_answer_and_a_note() {
    // On /v1: a connection cut, an error object mid-stream, an end without [DONE].
    let ends = [
        End::Disconnect,
        End::ErrorLine(
            "model runner has unexpectedly stopped, this may be due to resource limitations".into(),
        ),
        End::Eof,
    ];
    for (api, end) in APIS.into_iter().flat_map(|a| ends.clone().map(|e| (a, e))) {
        let script = Script::tokens(["SELECT ", "nom ", "FROM "]).ending(end.clone());
        let (text, audited) = one_failure(api, script, None).await;
        // A dropped connection may lose what was sent just before it.
        assert!(text.starts_with("SELECT nom"), "{end:?}: {text}");
        assert!(
            text.contains("⚠️ The answer was cut off"),
            "{end:?}: {text}"
        );
        assert_eq!(audited["ending"], "failed", "{end:?}");
        assert!(
            audited["error"].as_str().unwrap().contains("cut"),
            "{end:?}: {audited}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_model_times_out_with_a_readable_message() {
    let quick = Timeouts {
        connect: Duration::from_secs(2),
        first_token: Duration::from_millis(300),
        idle: Duration::from_millis(300),
    };
    for api in APIS {
        // On /v1 the headers and the role chunk come at once: the first
        // token is still what the timeout waits for.
        let slow_start = Script::answer("trop tard").first_token_after(Duration::from_secs(3));
        let (text, audited) = one_failure(api, slow_start, Some(quick)).await;
        assert!(
            text.contains("took too long to start answering"),
            "{api:?}: {text}"
        );
        assert_eq!(audited["ending"], "failed");

        let stalls = Script::tokens(["Début ", "de ", "réponse"]).every(Duration::from_secs(3));
        let (text, _) = one_failure(api, stalls, Some(quick)).await;
        assert!(text.starts_with("Début"), "{api:?}: {text}");
        assert!(text.contains("The answer was cut off"), "{api:?}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_model_says_how_to_install_it() {
    let fake = FakeModel::start(&["llama3.2:3b"]).await;
    let h = Harness::new(&[fake.url()], Options::default()).await;
    h.ask(1, "Question").await;
    let text = h.answers().remove(0).1;
    assert!(text.contains(&format!("ollama pull {MODEL}")), "{text}");
    assert!(
        h.audited("answer").await[0]["error"]
            .as_str()
            .unwrap()
            .contains("not installed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_or_busy_endpoint_fails_over_to_the_next() {
    let second = FakeModel::start(&[MODEL]).await;
    second.by_default(Script::answer("Réponse du second serveur."));
    let h = Harness::new(&[closed_port().await, second.url()], Options::default()).await;
    h.ask(1, "Question").await;
    assert_eq!(h.answers()[0].1, "Réponse du second serveur.");

    let busy = FakeModel::start(&[MODEL]).await;
    busy.by_default(Script::error(
        503,
        "server busy, please try again.  maximum pending requests exceeded",
    ));
    let h = Harness::new(&[busy.url(), second.url()], Options::default()).await;
    h.ask(1, "Question").await;
    assert_eq!(h.answers()[0].1, "Réponse du second serveur.");
    assert_eq!(busy.requests().len(), 1);

    let h = Harness::new(&[closed_port().await], Options::default()).await;
    h.ask(1, "Question").await;
    let text = h.answers().remove(0).1;
    assert!(text.contains("not reachable"), "{text}");
    assert_eq!(h.audited("answer").await[0]["ending"], "failed");
}
