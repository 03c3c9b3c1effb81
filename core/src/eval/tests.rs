use super::*;

fn rows(columns: usize, data: &[&[Option<&str>]]) -> Rows {
    let mut r = Rows::default();
    let cols: Vec<Column> = (0..columns)
        .map(|i| Column::new(&format!("c{i}"), "", crate::sql::Dialect::Sqlite))
        .collect();
    r.columns(&cols).unwrap();
    for row in data {
        let cells: Vec<Cell> = row.iter().map(|c| c.map(str::to_owned)).collect();
        r.row(&cells).unwrap();
    }
    r
}

#[test]
fn a_question_is_classed_by_the_tables_its_gold_query_reads() {
    let policy = crate::sql::validate::Policy::new(crate::sql::Dialect::Sqlite);
    let class = |sql: &str| class_of(&crate::sql::validate::validate(sql, &policy).unwrap());
    assert_eq!(class("SELECT count(*) FROM clients"), "1 table");
    assert_eq!(
        class("SELECT c.company FROM clients c JOIN contracts k ON k.client_id = c.id"),
        "2 tables"
    );
    assert_eq!(
        class("SELECT 1 FROM a JOIN b ON a.id = b.a JOIN c ON c.id = b.c JOIN d ON d.id = c.d"),
        "4+ tables"
    );
}

#[test]
fn the_summary_counts_right_answers_by_class_and_by_path() {
    let case = |class: &str, verdict: Verdict| CaseReport {
        id: String::new(),
        question: String::new(),
        language: Lang::En,
        verdict,
        answer: None,
        repair_answer: None,
        drawn: Vec::new(),
        votes: None,
        sql: None,
        gold: String::new(),
        valid: true,
        repaired: false,
        error: None,
        cut: None,
        diff: None,
        class: class.to_owned(),
        examples: Vec::new(),
        latency_ms: 0,
        first_token_ms: None,
        answer_tokens: 0,
        prompt_tokens: 0,
        path: if class == "1 table" {
            PATH_PLAN
        } else {
            PATH_FREE
        }
        .to_owned(),
        plans: Vec::new(),
        plan: None,
        earlier_plan: None,
        left_to_free: None,
        asked: false,
        gold_among: None,
        covers_gold: None,
        readings: Vec::new(),
        draws: Vec::new(),
        draw_ms: Vec::new(),
        plan_repaired: false,
        least_sure: None,
        doubts: Vec::new(),
    };
    let summary = Summary::of(&[
        case("1 table", Verdict::Correct),
        case("1 table", Verdict::WrongResult),
        case("2 tables", Verdict::NoSql),
    ]);
    assert_eq!(summary.by_class["1 table"], (1, 2));
    assert_eq!(summary.by_class["2 tables"], (0, 1));
    assert_eq!(summary.by_path[PATH_PLAN], (1, 2));
    assert_eq!(summary.by_path[PATH_FREE], (0, 1));
    // The first token's median is over the cases whose model answered.
    let timed = |ms: Option<u64>| CaseReport {
        first_token_ms: ms,
        ..case("1 table", Verdict::Correct)
    };
    let summary = Summary::of(&[
        timed(Some(900)),
        timed(None),
        timed(Some(60_000)),
        timed(Some(1_100)),
    ]);
    assert_eq!(summary.median_first_token_ms, 1_100);
}

#[test]
fn results_are_equal_whatever_the_column_names_order_and_number_format() {
    let gold = rows(
        2,
        &[&[Some("Lyon"), Some("12")], &[Some("Paris"), Some("30.5")]],
    );
    let produced = rows(
        2,
        &[
            &[Some("30.50"), Some("Paris")],
            &[Some("12.0"), Some("Lyon")],
        ],
    );
    assert_eq!(compare(&gold, &produced, false), None);
    // A sum's float noise is no difference either.
    let noisy = rows(1, &[&[Some("0.30000000000000004")]]);
    assert_eq!(compare(&rows(1, &[&[Some("0.3")]]), &noisy, false), None);
    let whole = rows(1, &[&[Some("12.000000000001")]]);
    assert_eq!(compare(&rows(1, &[&[Some("12")]]), &whole, false), None);
}

#[test]
fn sql_evals_rule_takes_a_result_that_holds_every_gold_column_and_its_rows() {
    let gold = rows(1, &[&[Some("Lyon")], &[Some("Paris")]]);
    let more = rows(
        2,
        &[&[Some("3"), Some("Paris")], &[Some("5"), Some("Lyon")]],
    );
    assert!(covers(&gold, &more, false));
    assert!(
        compare(&gold, &more, false).is_some(),
        "not by the exact rule"
    );
    // Other rows, or the gold's column missing, are no cover.
    let other = rows(
        2,
        &[&[Some("3"), Some("Paris")], &[Some("5"), Some("Nice")]],
    );
    assert!(!covers(&gold, &other, false));
    assert!(!covers(&gold, &rows(1, &[&[Some("Lyon")]]), false));
    // Two gold columns must be matched by columns whose rows agree.
    let pairs = rows(
        2,
        &[&[Some("Lyon"), Some("1")], &[Some("Paris"), Some("2")]],
    );
    let crossed = rows(
        3,
        &[
            &[Some("x"), Some("Lyon"), Some("2")],
            &[Some("y"), Some("Paris"), Some("1")],
        ],
    );
    assert!(!covers(&pairs, &crossed, false));
    // In order, where the gold orders.
    let reversed = rows(
        2,
        &[&[Some("5"), Some("Paris")], &[Some("3"), Some("Lyon")]],
    );
    assert!(covers(&gold, &reversed, false));
    assert!(!covers(&gold, &reversed, true));
}

#[test]
fn row_order_matters_only_when_the_gold_query_orders() {
    let gold = rows(1, &[&[Some("a")], &[Some("b")]]);
    let produced = rows(1, &[&[Some("b")], &[Some("a")]]);
    assert_eq!(compare(&gold, &produced, false), None);
    let diff = compare(&gold, &produced, true).unwrap();
    assert!(diff.order_differs && diff.missing.is_empty() && diff.extra.is_empty());
}

#[test]
fn a_difference_names_the_missing_and_extra_rows() {
    let gold = rows(1, &[&[Some("a")], &[Some("b")], &[None]]);
    let produced = rows(1, &[&[Some("a")], &[Some("c")]]);
    let diff = compare(&gold, &produced, false).unwrap();
    assert_eq!(
        diff.missing,
        vec![vec!["NULL".to_owned()], vec!["b".to_owned()]]
    );
    assert_eq!(diff.extra, vec![vec!["c".to_owned()]]);
    assert_eq!((diff.gold_rows, diff.produced_rows), (3, 2));
    // Duplicates count: a multiset, not a set.
    let twice = rows(1, &[&[Some("a")], &[Some("a")]]);
    assert!(compare(&rows(1, &[&[Some("a")]]), &twice, false).is_some());
    // Numbers that differ beyond the tolerance differ; texts that look
    // alike but are not numbers are compared as they are.
    assert!(
        compare(
            &rows(1, &[&[Some("0.3")]]),
            &rows(1, &[&[Some("0.31")]]),
            false
        )
        .is_some()
    );
    assert_eq!(canonical(&Some("73282932000074".into())), "73282932000074");
    assert_eq!(canonical(&Some("2025-10-31".into())), "2025-10-31");
}

#[test]
fn cases_read_from_toml_and_json_lines_with_ids_given_when_absent() {
    let toml = "[[case]]\nquestion = \"How many clients?\"\nlanguage = \"en\"\ngold = \"SELECT COUNT(*) FROM clients\"\n\n\
                    [[case]]\nid = \"late\"\nquestion = \"Paiements en retard ?\"\ngold = \"SELECT 1\"\n";
    let cases = read_cases(toml, FileFormat::Toml).unwrap();
    assert_eq!(cases[0].id.as_deref(), Some("1"));
    assert_eq!(cases[1].id.as_deref(), Some("late"));
    let jsonl = "{\"question\": \"a\", \"sql\": \"SELECT 1\", \"id\": \"x\"}\n{\"question\": \"b\", \"gold\": \"SELECT 2\", \"id\": \"x\"}\n";
    let err = read_cases(jsonl, FileFormat::JsonLines).unwrap_err();
    assert!(err.to_string().contains("same id \"x\""), "{err}");
}
