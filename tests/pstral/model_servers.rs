//! Model servers of either API behind one list: the OpenAI-compatible API
//! against the fake (for the faults a real server will not produce on
//! demand), mixed with Ollama's in failover, and embeddings from both.

use std::time::Duration;

use pstral_core::llm::{Api, Endpoint, EndpointSettings, Llm, LlmError, ModelOptions, Timeouts};
use secrecy::SecretString;
use url::Url;

use crate::answers::{Harness, MODEL, Options, base};
use crate::support::fake_model::{FakeModel, Script};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_api_gets_its_own_request_and_an_openai_server_its_key() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.require_key("sk-local-1234");
    let mut options = Options::speaking(Api::OpenAi);
    options.api_key = Some("sk-local-1234".to_owned());
    options.max_tokens = Some(512);
    let h = Harness::new(&[fake.v1()], options).await;
    h.ask(1, "Question").await;
    assert_eq!(h.answers()[0].1, "Bonjour !");
    let request = &fake.requests()[0];
    assert_eq!(request["max_tokens"], 512);
    assert_eq!(request["temperature"], 0.2);
    assert!(
        request.get("options").is_none() && request.get("keep_alive").is_none(),
        "Ollama's options stay on Ollama: {request}"
    );
    assert_eq!(
        fake.authorizations(),
        vec![Some("Bearer sk-local-1234".to_owned())]
    );

    // Ollama's native API gets its runner options, the limit as num_predict.
    let options = Options {
        max_tokens: Some(512),
        ..Options::default()
    };
    let h = Harness::new(&[fake.url()], options).await;
    h.ask(1, "Question").await;
    let request = &fake.requests()[1];
    assert_eq!(request["options"]["num_ctx"], 8192);
    assert_eq!(request["options"]["num_predict"], 512);
    assert_eq!(request["keep_alive"], "1800s");
    assert_eq!(request["think"], false);
    assert_eq!(fake.authorizations()[1], None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_tells_the_user_to_see_an_admin_and_fails_over() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.require_key("right");
    let mut options = Options::speaking(Api::OpenAi);
    options.api_key = Some("wrong".to_owned());
    let h = Harness::new(&[fake.v1()], options).await;
    h.ask(1, "Question").await;
    let text = h.answers().remove(0).1;
    assert!(text.contains("refused Pstral's credentials"), "{text}");
    let error = h.audited("answer").await[0]["error"].clone();
    assert!(error.as_str().unwrap().contains("401"), "{error}");
    assert!(
        !error.as_str().unwrap().contains("wrong"),
        "the key is never written: {error}"
    );

    // With another server behind it, the question is answered there.
    let second = FakeModel::start(&[MODEL]).await;
    second.by_default(Script::answer("Réponse du second serveur."));
    let endpoints = vec![
        EndpointSettings {
            api_key: Some(SecretString::from("wrong")),
            ..EndpointSettings::openai(url(&fake.v1()))
        },
        EndpointSettings::ollama(url(&second.url())),
    ];
    let llm = llm(endpoints);
    let answer = collect(&llm).await;
    assert_eq!(answer, Ok("Réponse du second serveur.".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_server_that_says_when_is_waited_for_then_answers() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(Script::error(429, "Too many requests").retry_after(1));
    fake.then(Script::answer("Enfin libre."));
    let h = Harness::new(&[fake.v1()], Options::speaking(Api::OpenAi)).await;
    h.ask(1, "Question").await;
    assert_eq!(h.answers()[0].1, "Enfin libre.");
    let arrivals = fake.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(
        arrivals[1] - arrivals[0] >= Duration::from_secs(1),
        "asked again only after the Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_saying_come_back_now_is_not_hammered() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.by_default(Script::error(503, "Service Unavailable").retry_after(0));
    let llm = llm(vec![EndpointSettings::openai(url(&fake.v1()))])
        .with_busy_budget(Duration::from_millis(2500));
    assert!(matches!(collect(&llm).await, Err(LlmError::Busy { .. })));
    let asked = fake.arrivals();
    assert!(
        (2..=4).contains(&asked.len()),
        "asked {} times in 2.5 s",
        asked.len()
    );
    for pair in asked.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_secs(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_server_is_failed_over_and_a_too_long_wait_is_refused() {
    let busy = FakeModel::start(&[MODEL]).await;
    busy.by_default(Script::error(503, "Service Unavailable").retry_after(3600));
    let second = FakeModel::start(&[MODEL]).await;
    second.by_default(Script::answer("Réponse du second serveur."));
    let h = Harness::new(&[busy.v1(), second.v1()], Options::speaking(Api::OpenAi)).await;
    h.ask(1, "Question").await;
    assert_eq!(h.answers()[0].1, "Réponse du second serveur.");
    assert_eq!(busy.requests().len(), 1);

    // Alone, a server asking for an hour is not waited for.
    let h = Harness::new(&[busy.v1()], Options::speaking(Api::OpenAi)).await;
    h.ask(1, "Question").await;
    let text = h.answers().remove(0).1;
    assert!(text.contains("not reachable"), "{text}");
    assert_eq!(busy.requests().len(), 2, "asked once, not again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_on_an_openai_server_says_so_without_ollama_advice() {
    let fake = FakeModel::start(&["Qwen/Qwen2.5-Coder-7B-Instruct"]).await;
    let h = Harness::new(&[fake.v1()], Options::speaking(Api::OpenAi)).await;
    h.ask(1, "Question").await;
    let text = h.answers().remove(0).1;
    assert!(
        text.contains(&format!("does not serve the model {MODEL}")),
        "{text}"
    );
    assert!(!text.contains("ollama pull"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_lists_its_models_and_serves_its_own_model_name() {
    let fake = FakeModel::start(&[MODEL, "Qwen/Qwen2.5-Coder-7B-Instruct"]).await;
    fake.require_key("k");
    let with_key = EndpointSettings {
        api_key: Some(SecretString::from("k")),
        model: Some("Qwen/Qwen2.5-Coder-7B-Instruct".to_owned()),
        ..EndpointSettings::openai(url(&fake.v1()))
    };
    let endpoint = Endpoint::new(with_key, options(), timeouts()).unwrap();
    let models = endpoint.models().await.unwrap();
    assert_eq!(
        models,
        vec![
            MODEL.to_owned(),
            "Qwen/Qwen2.5-Coder-7B-Instruct".to_owned()
        ]
    );
    assert!(endpoint.serves(&models));
    assert_eq!(endpoint.model(), "Qwen/Qwen2.5-Coder-7B-Instruct");
    let mut stream = endpoint.chat(&question(), None).await.unwrap();
    while stream.next().await.is_some() {}
    assert_eq!(
        fake.requests()[0]["model"],
        "Qwen/Qwen2.5-Coder-7B-Instruct"
    );

    let without_key = Endpoint::new(
        EndpointSettings::openai(url(&fake.v1())),
        options(),
        timeouts(),
    )
    .unwrap();
    assert!(matches!(
        without_key.models().await,
        Err(LlmError::Unauthorized { status: 401, .. })
    ));

    // Ollama's own root is not an OpenAI-compatible base: the error says so.
    let no_v1 = Endpoint::new(
        EndpointSettings::openai(url(&fake.url())),
        options(),
        timeouts(),
    )
    .unwrap();
    let error = no_v1.models().await.unwrap_err().to_string();
    assert!(error.contains("usually ends in /v1"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_come_from_either_api_one_vector_per_text_in_order() {
    let texts = vec![
        "clients en retard de paiement".to_owned(),
        "top clients by amount".to_owned(),
    ];
    let mut vectors = Vec::new();
    for api in [Api::Ollama, Api::OpenAi] {
        let fake = FakeModel::start(&[MODEL, "nomic-embed-text"]).await;
        let endpoint = EndpointSettings {
            api,
            ..EndpointSettings::ollama(url(&base(&fake, api)))
        };
        let llm = llm(vec![endpoint]).with_embedding_model(Some("nomic-embed-text".to_owned()));
        let got = llm.embed(&texts).await.unwrap();
        assert_eq!(got.len(), 2, "{api:?}");
        assert_ne!(got[0], got[1], "{api:?}");
        assert_eq!(fake.embedded(), vec![texts.clone()], "{api:?}");
        vectors.push(got);
    }
    // The fake computes the same vector for a text on both APIs: the /v1
    // answer, sent in reverse order, was put back in input order.
    assert_eq!(vectors[0], vectors[1]);

    let fake = FakeModel::start(&[MODEL]).await;
    let off = llm(vec![EndpointSettings::ollama(url(&fake.url()))]);
    assert_eq!(off.embed(&texts).await, Err(LlmError::NoEmbeddingModel));
    let missing = off.with_embedding_model(Some("nomic-embed-text".to_owned()));
    assert!(matches!(
        missing.embed(&texts).await,
        Err(LlmError::ModelNotFound { .. })
    ));
}

fn url(base: &str) -> Url {
    Url::parse(&format!("{base}/")).unwrap()
}

pub(crate) fn options() -> ModelOptions {
    ModelOptions {
        model: MODEL.to_owned(),
        num_ctx: 8192,
        temperature: 0.2,
        keep_alive: Duration::from_secs(60),
        max_tokens: None,
    }
}

/// The timeouts the bot's harness uses.
pub(crate) fn timeouts() -> Timeouts {
    Options::default().timeouts
}

pub(crate) fn llm(endpoints: Vec<EndpointSettings>) -> Llm {
    let endpoints = endpoints
        .into_iter()
        .map(|e| Endpoint::new(e, options(), timeouts()).unwrap())
        .collect();
    Llm::new(endpoints, 1, 10)
}

fn question() -> Vec<pstral_core::llm::ChatMessage> {
    vec![pstral_core::llm::ChatMessage::new(
        pstral_core::llm::ChatRole::User,
        "Question",
    )]
}

/// The whole answer of one question, or the error that ended it.
async fn collect(llm: &Llm) -> Result<String, LlmError> {
    let (position, _) = tokio::sync::watch::channel(0);
    let mut stream = llm.ask(1, &question(), &position).await?;
    let mut text = String::new();
    while let Some(piece) = stream.next().await {
        text.push_str(&piece?);
    }
    Ok(text)
}
