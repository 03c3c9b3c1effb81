//! `pstral eval`, scored exactly against a scripted model, with its
//! ablations and its split; and the demo CRM's evaluation set, every gold
//! query of which runs.

use super::*;

/// The cases of the scripted run: what the model answers, and what that
/// must score.
const CASES: &str = r#"
[[case]]
id = "prospects"
language = "en"
question = "How many companies never signed anything?"
gold = "SELECT COUNT(*) FROM clients WHERE status = 'prospect'"

[[case]]
id = "running-contracts"
language = "en"
question = "How many contracts are running?"
gold = "SELECT COUNT(*) FROM contracts WHERE ends_on IS NULL"

[[case]]
id = "clients-per-city"
language = "fr"
question = "Combien de clients par ville ?"
gold = "SELECT city, COUNT(*) FROM clients GROUP BY city"

[[case]]
id = "former-staff"
language = "fr"
question = "Qui a quitté l'entreprise ?"
gold = "SELECT first_name, last_name FROM users WHERE left_on IS NOT NULL"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_scores_a_scripted_model_exactly() {
    let fake = FakeModel::start(&[MODEL]).await;
    // 1: the gold query → correct.
    fake.then(sql_answer(
        "SELECT COUNT(*) FROM clients WHERE status = 'prospect'",
    ));
    // 2: valid but wrong (every contract) → wrong result.
    fake.then(sql_answer("SELECT COUNT(*) FROM contracts"));
    // 3: refused, and refused again after the repair → refused.
    fake.then(sql_answer("DELETE FROM clients"));
    fake.then(sql_answer("SELECT * FROM clients_archive"));
    // 4: refused, then repaired into the gold rows in another form (columns
    // swapped, named, ordered) → correct, after the repair.
    fake.then(sql_answer("UPDATE users SET left_on = NULL"));
    fake.then(sql_answer(
        "SELECT u.last_name AS nom, u.first_name AS prenom FROM users u WHERE u.left_on IS NOT NULL ORDER BY 1",
    ));
    let s = Scratch::new();
    let cases = s.write("cases.toml", CASES);
    let out = eval(
        &s,
        &fake,
        &["eval", cases.to_str().unwrap(), "--report", "report.json"],
    );
    let printed = stdout(&out);
    let line = |name: &str| {
        printed
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{printed}"))
            .to_owned()
    };
    assert!(
        line("execution accuracy").contains("50.0 % (2/4)"),
        "{printed}"
    );
    assert!(line("valid SQL offered").contains("75.0 %"), "{printed}");
    assert!(
        line("valid after the repair").contains("25.0 %"),
        "{printed}"
    );
    assert!(
        line("refused by the validator").contains("25.0 %"),
        "{printed}"
    );
    // Each case's verdict, in the report.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.dir.path().join("report.json")).unwrap())
            .unwrap();
    let cases = report["runs"][0]["cases"].as_array().unwrap();
    let verdicts: Vec<&str> = cases
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["correct", "wrong_result", "refused", "correct"]);
    assert_eq!(cases[1]["diff"]["gold_rows"], 1);
    assert_ne!(cases[1]["diff"]["missing"], cases[1]["diff"]["extra"]);
    assert_eq!(cases[3]["repaired"], true);
    assert_eq!(cases[0]["repaired"], false);
    // Six answers: one per case and one repair for each of the two refused.
    assert_eq!(fake.requests().len(), 6);
    let repair = fake.requests()[3]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(repair.starts_with("Your query cannot be run:"), "{repair}");
    // The bot's prompt: the demo's glossary and its tables.
    let system = system_prompt(&fake, 0);
    assert!(system.contains("Grace period: 15 days"), "{system}");
    assert!(system.contains("TABLE clients ("), "{system}");
}

/// One case, how many prospects there are, written in `s`.
/// The report `pstral eval` wrote in `s`, and the names of its runs.
fn runs_reported(s: &Scratch) -> (serde_json::Value, Vec<String>) {
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.dir.path().join("eval-report.json")).unwrap(),
    )
    .unwrap();
    let names = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    (report, names)
}

fn one_case(s: &Scratch) -> std::path::PathBuf {
    s.write(
        "cases.jsonl",
        concat!(
            r#"{"id": "a", "question": "How many prospects do we have?", "gold": "SELECT COUNT(*) FROM clients WHERE status = 'prospect'"}"#,
            "\n",
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_ablate_with_parts_named_measures_those_alone_beside_the_bare_prompt_and_no_more() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.by_default(sql_answer(
        "SELECT COUNT(*) FROM clients WHERE status = 'prospect'",
    ));
    let s = Scratch::new();
    let cases = one_case(&s);
    let cases = cases.to_str().unwrap();
    let out = eval(
        &s,
        &fake,
        &[
            "eval",
            "--ablate",
            "--ablate-parts",
            "values,glossary",
            cases,
        ],
    );
    let printed = stdout(&out);
    // In the order every ablation measures them.
    let (_, names) = runs_reported(&s);
    assert_eq!(names, ["bare", "+glossary", "+values"], "{printed}");
    assert_eq!(fake.requests().len(), 3);
    assert!(system_prompt(&fake, 1).contains("Grace period: 15 days"));

    // A name that is no part is said, with the parts there are.
    let wrong = s
        .command(&["eval", "--ablate", "--ablate-parts", "glosary", cases])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("no part \"glosary\": the parts are instructions, glossary, values"),
        "{said}"
    );
    // A part that would show nothing here (no example is stored) is not
    // measured as the bare prompt under its name.
    let empty = s
        .command(&["eval", "--ablate", "--ablate-parts", "examples", cases])
        .env("PSTRAL__LLM__ENDPOINTS", fake.url())
        .env("PSTRAL__LLM__MODEL", MODEL)
        .output()
        .unwrap();
    assert!(!empty.status.success());
    let said = String::from_utf8_lossy(&empty.stderr);
    assert!(
        said.contains("--ablate-parts: examples would show nothing on target demo"),
        "{said}"
    );
    assert_eq!(fake.requests().len(), 3, "nothing asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_ablate_asks_the_free_path_with_each_part_of_its_prompt_alone_beside_a_bare_prompt() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.by_default(sql_answer(
        "SELECT COUNT(*) FROM clients WHERE status = 'prospect'",
    ));
    let s = Scratch::new();
    let cases = one_case(&s);
    let out = eval(&s, &fake, &["eval", "--ablate", cases.to_str().unwrap()]);
    let printed = stdout(&out);
    // A bare prompt, the prompt as configured, then each of its parts
    // that can show anything here alone (no example is stored).
    let runs = [
        "bare",
        "sql.free_prompt",
        "+instructions",
        "+glossary",
        "+values",
        "+date",
        "+syntax",
        "+repair",
    ];
    for run in runs {
        assert!(
            printed.lines().any(|l| l.contains(&format!(" {run} "))),
            "no row {run}:\n{printed}"
        );
    }
    assert!(!printed.contains("+examples"), "{printed}");
    // No part brought a right answer the bare prompt missed: nothing kept
    // to measure together.
    assert!(!printed.contains(" kept "), "{printed}");
    assert_eq!(fake.requests().len(), runs.len());
    let bare = system_prompt(&fake, 0);
    assert!(bare.starts_with("Write one SQLite query"), "{bare}");
    assert!(bare.contains("TABLE clients ("), "{bare}");
    for absent in [
        "Answer in English",
        "Today is",
        "Grace period",
        " IN (",
        "LIMIT",
    ] {
        assert!(!bare.contains(absent), "{absent:?} in {bare}");
    }
    let whole = system_prompt(&fake, 1);
    for part in [
        "Answer in English",
        "LIMIT",
        "Today is",
        "Grace period",
        " IN (",
    ] {
        assert!(whole.contains(part), "{part:?} not in {whole}");
    }
    // Each part shows what it names, and the instructions are the bot's.
    assert!(system_prompt(&fake, 2).contains("Answer in English"));
    assert!(system_prompt(&fake, 3).contains("Grace period: 15 days"));
    assert!(system_prompt(&fake, 4).contains(" IN ("));
    assert!(system_prompt(&fake, 5).contains("Today is"));
    assert!(system_prompt(&fake, 6).contains("Write SQLite syntax: LIMIT"));
    // Every case right in every run.
    let (report, names) = runs_reported(&s);
    assert_eq!(names, runs);
    assert!(
        report["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["summary"]["correct"] == 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_ablate_measures_the_parts_that_helped_alone_together() {
    let fake = FakeModel::start(&[MODEL]).await;
    let wrong = "SELECT COUNT(*) FROM contracts";
    let right = "SELECT COUNT(*) FROM clients WHERE status = 'prospect'";
    // bare, the configured prompt, then instructions and glossary alone
    // right, every other part wrong.
    for sql in [wrong, wrong, right, right, wrong, wrong, wrong, wrong] {
        fake.then(sql_answer(sql));
    }
    fake.by_default(sql_answer(right));
    let s = Scratch::new();
    let cases = one_case(&s);
    let out = eval(&s, &fake, &["eval", "--ablate", cases.to_str().unwrap()]);
    let printed = stdout(&out);
    assert!(
        printed.contains("the parts that helped alone, together: instructions, glossary"),
        "{printed}"
    );
    let row = |name: &str| {
        printed
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row {name}:\n{printed}"))
            .to_owned()
    };
    assert!(row("+instructions").contains("+1 / -0"), "{printed}");
    assert!(row("+values").contains("+0 / -0"), "{printed}");
    assert!(row("kept").contains("1/1"), "{printed}");
    assert_eq!(fake.requests().len(), 9);
    let kept = system_prompt(&fake, 8);
    assert!(
        kept.contains("Answer in English") && kept.contains("Grace period"),
        "{kept}"
    );
    assert!(
        !kept.contains("Today is") && !kept.contains(" IN ("),
        "{kept}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_prompt_without_its_repair_asks_the_model_once() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.then(sql_answer("DELETE FROM clients"));
    fake.by_default(sql_answer(
        "SELECT COUNT(*) FROM clients WHERE status = 'prospect'",
    ));
    let s = Scratch::new();
    let cases = one_case(&s);
    let out = s
        .command(&["eval", cases.to_str().unwrap()])
        .env("PSTRAL__LLM__ENDPOINTS", fake.url())
        .env("PSTRAL__LLM__MODEL", MODEL)
        .env("PSTRAL__SQL__FREE_PROMPT", "instructions,values")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fake.requests().len(), 1, "no repair round");
    assert!(stdout(&out).contains("refused 1"), "{}", stdout(&out));
    let system = system_prompt(&fake, 0);
    assert!(system.contains("Answer in English") && system.contains(" IN ("));
    assert!(!system.contains("Grace period") && !system.contains("Today is"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_split_shows_the_held_out_cases_the_others_as_examples() {
    let fake = FakeModel::start(&[MODEL]).await;
    fake.by_default(sql_answer(
        "SELECT COUNT(*) FROM clients WHERE status = 'prospect'",
    ));
    let s = Scratch::new();
    let cases = s.write(
        "cases.jsonl",
        concat!(
            r#"{"id": "a", "question": "How many prospects do we have?", "gold": "SELECT COUNT(*) FROM clients WHERE status = 'prospect'"}"#,
            "\n",
            r#"{"id": "b", "question": "How many prospects are in Lyon?", "gold": "SELECT COUNT(*) FROM clients WHERE status = 'prospect' AND city = 'Lyon'"}"#,
            "\n",
        ),
    );
    let out = eval(&s, &fake, &["eval", "--split", cases.to_str().unwrap()]);
    let printed = stdout(&out);
    assert!(
        printed.contains("without examples") && printed.contains("with examples"),
        "{printed}"
    );
    assert!(printed.contains("100.0 % (1/1)"), "{printed}");
    // Case a is held out: first without, then with case b as its example.
    assert_eq!(fake.requests().len(), 2);
    assert!(!system_prompt(&fake, 0).contains("How many prospects are in Lyon?"));
    assert!(system_prompt(&fake, 1).contains("Q: How many prospects are in Lyon?"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_gold_query_of_the_shipped_set_runs_and_returns_the_same_rows_twice() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/evals/demo-crm.toml"))
        .unwrap();
    let cases = read_cases(&text, FileFormat::Toml).unwrap();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let french = cases
        .iter()
        .filter(|c| c.language == Some(pstral_core::i18n::Lang::Fr))
        .count();
    assert_eq!(french * 2, cases.len(), "half French, half English");
    let demo = demo().await;
    let mut runtime = demo.runtime.clone();
    runtime.limits.row_cap = 5000;
    let executor = demo.executor().await;
    for case in &cases {
        let id = case.id.as_deref().unwrap();
        let valid = runtime
            .check(&case.gold)
            .unwrap_or_else(|r| panic!("{id}: the gold query is refused: {r}"));
        let mut first = Rows::default();
        let outcome = executor.run(&valid, runtime.limits, &mut first).await;
        let outcome = outcome.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(!outcome.truncated, "{id}: cut at the row cap");
        assert!(!first.rows.is_empty(), "{id}: no rows");
        let mut second = Rows::default();
        executor
            .run(&valid, runtime.limits, &mut second)
            .await
            .unwrap();
        assert_eq!(first, second, "{id}: not the same rows twice");
    }
}
