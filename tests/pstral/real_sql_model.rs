//! The SQL-capable real model, Qwen2.5-Coder-1.5B-Instruct on llama.cpp's
//! server, which `scripts/test` starts (`PSTRAL_MODEL=qwen-coder
//! scripts/model`), exporting `PSTRAL_TEST_SQL_MODEL_URL` and
//! `PSTRAL_TEST_SQL_MODEL_NAME`. A handful of fixed questions about the demo
//! CRM go through the bot at temperature 0 (the same answers every run):
//! each is answered with SQL that is offered (it passed the validator and
//! EXPLAIN) and that runs when clicked. Whether its rows are the right ones
//! is `pstral eval`'s to measure, not a test's.

use std::time::Duration;

use pstral_chat::{ControlKind, InboundEvent, OutboundAction};
use pstral_core::llm::{Api, Timeouts};

use crate::answers::{Harness, Options, who};

/// Questions an employee would ask, in both languages.
const QUESTIONS: &[&str] = &[
    "How many clients do we have in each city?",
    "Combien de documents avons-nous par type ?",
    "Which employees have left the company?",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_demo_questions_get_sql_that_is_offered_and_runs() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: this test needs the SQL model's server that \
                 ./scripts/test installs and starts (PSTRAL_MODEL=qwen-coder scripts/model)"
            )
        })
    };
    let (url, name) = (
        var("PSTRAL_TEST_SQL_MODEL_URL"),
        var("PSTRAL_TEST_SQL_MODEL_NAME"),
    );
    let demo = crate::execute::demo().await;
    let mut options = Options::speaking(Api::OpenAi);
    options.model = name.clone();
    options.temperature = 0.0;
    options.max_tokens = Some(300);
    options.sql = Some(demo.runtime.clone());
    // Two CPU cores read a prompt of two thousand tokens in about a minute,
    // while the other tests run beside.
    options.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        first_token: Duration::from_secs(300),
        idle: Duration::from_secs(120),
    };
    let h = Harness::new(&[format!("{url}/v1")], options).await;
    for question in QUESTIONS {
        let shown = h.platform.actions().len();
        h.ask(1, question).await;
        let answer = h
            .answers()
            .last()
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let offered = h.platform.actions()[shown..]
            .iter()
            .find_map(|a| match &a.action {
                OutboundAction::ShowControl {
                    message,
                    control: control @ ControlKind::Execute { .. },
                } => Some((message.clone(), control.clone())),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{question}: no SQL offered in {answer:?}"));
        let results = h.audited("execute_result").await.len();
        let click = InboundEvent::Control {
            actor: who(2),
            message: offered.0,
            control: offered.1,
            event: None,
        };
        h.bot.handle(h.platform.clone(), click).await;
        let ran = h.audited("execute_result").await;
        assert_eq!(ran.len(), results + 1, "{question}: not run");
        let outcome = &ran[results];
        assert!(
            outcome["error"].is_null(),
            "{question}: {answer:?} failed: {outcome}"
        );
    }
    the_real_server_holds_a_plan_to_the_semantic_models_schema(&url, &name).await;
}

/// llama.cpp's server (llama-cpp-python) holds an answer to the JSON schema
/// of the demo's semantic model in the form the bot asks first
/// (`response_format: json_object` with a `schema`): the plan it writes is
/// read strictly. Whether the plan is the right one is `pstral eval`'s to
/// measure.
///
/// Asked after the fixed questions, never beside them: llama-cpp-python's
/// server answers a second request that arrives while it answers one with
/// an empty body.
async fn the_real_server_holds_a_plan_to_the_semantic_models_schema(url: &str, name: &str) {
    use pstral_core::llm::{Endpoint, EndpointSettings, Llm, ModelOptions};
    use pstral_core::semantic::Definitions;
    let demo = crate::execute::demo().await;
    let runtime = pstral_core::sql_target::SqlRuntime {
        definitions: Some(std::sync::Arc::new(
            Definitions::parse(pstral_core::sql::demo::SEMANTIC).unwrap(),
        )),
        readers: Default::default(),
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let endpoint = Endpoint::new(
        EndpointSettings {
            url: url::Url::parse(&format!("{url}/v1/")).unwrap(),
            api: Api::OpenAi,
            model: None,
            api_key: None,
        },
        ModelOptions {
            model: name.to_owned(),
            num_ctx: 8192,
            temperature: 0.0,
            keep_alive: Duration::from_secs(1800),
            max_tokens: Some(300),
        },
        Timeouts {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(300),
            idle: Duration::from_secs(120),
        },
    )
    .unwrap();
    let llm = Llm::new(vec![endpoint], 1, 8);
    let prompts = pstral_core::conversation::Prompts::new(None);
    let sql = pstral_core::sql_target::answer::SqlAnswer {
        runtime: &runtime,
        llm: &llm,
        prompts: &prompts,
        lang: pstral_core::i18n::Lang::Fr,
        measured: false,
        ranked: Default::default(),
    };
    let (position, _) = tokio::sync::watch::channel(0);
    let (_, trace) = sql
        .planned(
            0,
            "quels clients à Lyon ont des paiements en retard ?",
            true,
            &|_| false,
            &position,
            None,
        )
        .await;
    let first = trace.answers.first().expect("the model answered");
    pstral_core::semantic::plan::read(first)
        .unwrap_or_else(|e| panic!("the server's answer is not a plan: {e}\n{first}"));
}
