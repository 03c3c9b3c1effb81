//! The semantic model under evaluation: the bare prompt, the plan alone,
//! and a split whose stored half's right plans become examples, the three
//! most similar shown.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evaluations_bare_prompt_holds_the_tables_and_the_question_and_nothing_else() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(
        "```sql\nSELECT COUNT(*) FROM payments WHERE status = 'impayé'\n```",
    ));
    let (demo, h) = bot_with_definitions(&fake).await;
    let runtime = pstral_core::sql_target::SqlRuntime {
        glossary: Some(std::sync::Arc::new(
            pstral_core::learn::glossary::Glossary::fit(
                std::path::Path::new("glossary.md"),
                demo::GLOSSARY,
                1000,
            ),
        )),
        ..demo.runtime.clone()
    };
    let report = h
        .evaluate(
            &runtime,
            pstral_core::eval::Way::Bare,
            "How many payments are late?",
            "SELECT COUNT(*) FROM payments WHERE status = 'impayé'",
        )
        .await;
    assert_eq!(report.path, "bare");
    assert_eq!(
        report.verdict,
        pstral_core::eval::Verdict::Correct,
        "{report:?}"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "no plan, no repair");
    let messages = requests[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    let system = messages[0]["content"].as_str().unwrap();
    assert!(system.contains("payments ("), "{system}");
    assert!(!system.contains("Grace period"), "no glossary: {system}");
    assert_eq!(messages[1]["content"], "How many payments are late?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_of_the_plan_only_reports_a_case_the_plan_leaves_without_asking_again() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.then(Script::answer(r#"{"kind": "none"}"#));
    let (demo, h) = bot_with_definitions(&fake).await;
    let runtime = with_definitions(&demo.runtime).await;
    let report = h
        .evaluate(
            &runtime,
            pstral_core::eval::Way::PlanOnly,
            "Which clients have a web site?",
            "SELECT company FROM clients",
        )
        .await;
    assert_eq!(
        report.verdict,
        pstral_core::eval::Verdict::LeftToFree,
        "{report:?}"
    );
    assert!(report.left_to_free.is_some());
    assert_eq!(fake.requests().len(), 1, "the free path is not asked");
}

/// `pstral eval --split --plan-only` of `cases` with the demo's semantic
/// model, against `fake`, `sql.plan_examples` as given (else the default).
fn split_plans(
    s: &crate::cli::Scratch,
    fake: &crate::support::fake_model::FakeModel,
    cases: &std::path::Path,
    plan_examples: Option<&str>,
) -> std::process::Output {
    let mut command = s.command(&["eval", "--split", "--plan-only", cases.to_str().unwrap()]);
    command
        .env_remove("PSTRAL__SQL__TARGETS__DEMO__SEMANTIC_FILE")
        .env("PSTRAL__LLM__ENDPOINTS", fake.url())
        .env("PSTRAL__LLM__MODEL", crate::answers::MODEL)
        // One plan a question, never asked back: the model is scripted
        // plan by plan.
        .env("PSTRAL__SQL__PLAN_VOTES", "1")
        .env("PSTRAL__SQL__ASK_BACK", "");
    if let Some(n) = plan_examples {
        command.env("PSTRAL__SQL__PLAN_EXAMPLES", n);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_split_keeps_the_plans_that_answered_the_stored_half_right_as_examples() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    // The stored half's case, asked first: a plan giving its gold rows.
    fake.then(Script::answer(
        r#"{"kind": "aggregate", "measures": ["client_count"], "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}]}"#,
    ));
    // The held-out case, without and then with the stored half.
    fake.by_default(Script::answer(
        r#"{"kind": "aggregate", "measures": ["client_count"]}"#,
    ));
    let s = crate::cli::Scratch::new();
    let cases = s.write(
        "cases.jsonl",
        concat!(
            r#"{"id": "held", "question": "How many clients do we have?", "gold": "SELECT COUNT(*) FROM clients"}"#,
            "\n",
            r#"{"id": "stored", "question": "How many clients do we have in Lyon?", "gold": "SELECT COUNT(*) FROM clients WHERE city = 'Lyon'"}"#,
            "\n",
        ),
    );
    let out = split_plans(&s, &fake, &cases, Some("3"));
    let printed = crate::cli::stdout(&out);
    assert!(
        out.status.success(),
        "{printed}\n{}",
        crate::cli::stderr(&out)
    );
    assert_eq!(
        fake.requests().len(),
        3,
        "the stored case once, the held one twice"
    );
    assert!(!crate::learning::system_prompt(&fake, 1).contains("Confirmed plans"));
    let with = crate::learning::system_prompt(&fake, 2);
    let confirmed = with
        .split("Confirmed plans of similar questions:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("the stored case's plan is shown: {with}"));
    assert!(
        confirmed.starts_with(
            "Question: How many clients do we have in Lyon?\nPlan: {\"kind\":\"aggregate\""
        ),
        "{confirmed}"
    );
    assert!(confirmed.contains(r#""values":["Lyon"]"#), "{confirmed}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.dir.path().join("eval-report.json")).unwrap(),
    )
    .unwrap();
    let about = report["runs"][1]["about"].as_str().unwrap();
    assert!(about.contains("(1 with the plan"), "{about}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_prompt_shows_the_three_most_similar_confirmed_plans_and_no_more() {
    use crate::support::fake_model::{FakeModel, Script};
    let fake = FakeModel::start(&[crate::answers::MODEL]).await;
    fake.by_default(Script::answer(
        r#"{"kind": "aggregate", "measures": ["client_count"]}"#,
    ));
    let s = crate::cli::Scratch::new();
    // Eight ways to ask one count: every second is held out, the others
    // stored, each answered right by its plan.
    let cases: String = [
        "How many clients do we have?",
        "How many clients are there?",
        "Count our clients.",
        "What is the number of our clients?",
        "Combien de clients avons-nous ?",
        "Combien de clients en tout ?",
        "Nombre de clients ?",
        "Total clients?",
    ]
    .iter()
    .enumerate()
    .map(|(i, q)| {
        format!(r#"{{"id": "c{i}", "question": "{q}", "gold": "SELECT COUNT(*) FROM clients"}}"#)
            + "\n"
    })
    .collect();
    let cases = s.write("cases.jsonl", &cases);
    let out = split_plans(&s, &fake, &cases, Some("3"));
    assert!(out.status.success(), "{}", crate::cli::stderr(&out));
    // Four stored, four held out without, then with them.
    assert_eq!(fake.requests().len(), 12);
    let shown: Vec<usize> = (8..12)
        .map(|i| {
            crate::learning::system_prompt(&fake, i)
                .split("Confirmed plans of similar questions:")
                .nth(1)
                .map_or(0, |c| c.matches("\nQuestion: ").count())
        })
        .collect();
    assert!(shown.iter().all(|n| *n <= 3), "{shown:?}");
    assert!(shown.contains(&3), "{shown:?}");

    // By default (`sql.plan_examples = 0`) none is shown.
    let out = split_plans(&s, &fake, &cases, None);
    assert!(out.status.success(), "{}", crate::cli::stderr(&out));
    // Nor is the stored half asked for plans nobody would be shown.
    assert_eq!(fake.requests().len(), 12 + 8);
    for i in 12..20 {
        assert!(!crate::learning::system_prompt(&fake, i).contains("Confirmed plans"));
    }
}
