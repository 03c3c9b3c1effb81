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
    options.model = name;
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
}
