//! Every corpus's verdicts, held word for word: each statement of
//! `corpus/*.tsv` and of `sql_corpus.rs`'s lists judged by the validator
//! (what it reads when it passes, the refusal's text when it does not), and
//! each statement of `corpus/hidden.tsv` judged by the access rules of a
//! member of sales (the group it runs as, whether its rows are sorted, or
//! what is hidden), compared with `corpus/verdicts.tsv`.
//!
//! The other corpus tests say that a statement is refused or accepted; this
//! one says that a change to the validator or the access rules changed no
//! verdict at all, not even a refusal's words: a refactoring shows its
//! verdicts are those from before, and a change meant to alter one shows
//! which. `PSTRAL_BLESS_VERDICTS=1` writes the file anew from the verdicts
//! of now (then read the diff).

use pstral_core::access::Derived;
use pstral_core::sql::Dialect;
use pstral_core::sql::validate::{Policy, validate, validate_in};

/// The validator's verdict on `sql`: `ok` and what it reads, or `refused`
/// and why, on one line.
fn verdict(sql: &str, policy: &Policy) -> String {
    match validate(sql, policy) {
        Ok(valid) => format!("ok\t{}", valid.reach.listed().join(" ")),
        Err(refusal) => format!("refused\t{}", one_line(&refusal.to_string())),
    }
}

/// The access rules' verdict for a member of sales (who may not read
/// clients.iban nor any salary) on `sql`, as `access::judged` reaches it.
fn access_verdict(dialect: Dialect, sql: &str) -> String {
    let catalog = crate::access::catalog(dialect);
    let policy = Policy::new(dialect);
    let derived = Derived::read(&catalog, &|d| {
        validate_in(d, &policy, Some(&catalog))
            .ok()
            .map(|v| v.reach)
    });
    let rules = crate::access::rules(&[("sales", &["clients.iban", "*.salary"])]);
    let valid = match validate_in(sql, &policy, Some(&catalog)) {
        Ok(valid) => valid,
        Err(refusal) => return format!("refused\t{}", one_line(&refusal.to_string())),
    };
    let sales = rules.group("sales").expect("the group sales");
    let person = rules.access(&["sales"]);
    match person.judge(&valid.reach, &catalog, &derived) {
        Ok(standing) => format!(
            "runs as {}\tsorted: {}, hides in it: {}",
            standing.group().unwrap_or("nobody"),
            sales.sorts(&valid.reach, &catalog, &derived),
            sales.hides_in(&valid.reach, &catalog, &derived),
        ),
        Err(hidden) => format!("hidden\t{}", one_line(&hidden.to_string())),
    }
}

fn one_line(text: &str) -> String {
    text.replace('\n', "\\n").replace('\t', " ")
}

/// Every verdict of every corpus, one a line, in the corpora's order.
fn verdicts() -> Vec<String> {
    let mut lines = Vec::new();
    let oracle = Policy::new(Dialect::Oracle).allowing(&["CRM", "SALES"]);
    for (list, statements) in [
        ("hostile", crate::sql_corpus::HOSTILE),
        ("legitimate", crate::sql_corpus::LEGITIMATE),
        ("unparsable", crate::sql_corpus::UNPARSABLE_LEGITIMATE),
    ] {
        for sql in statements {
            lines.push(format!(
                "sql_corpus.rs {list}\toracle\t{}\t{}",
                one_line(sql),
                verdict(sql, &oracle)
            ));
        }
    }
    for file in ["hostile.tsv", "legit.tsv", "resources.tsv"] {
        for case in crate::sql_corpus::corpus(file) {
            lines.push(format!(
                "{file}\t{}\t{}\t{}",
                case.dialect,
                one_line(&case.sql),
                verdict(&case.sql, &Policy::new(case.dialect))
            ));
        }
    }
    for line in include_str!("corpus/hidden.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let dialects: Vec<Dialect> = match fields[0] {
            "all" => vec![Dialect::Postgres, Dialect::Sqlite, Dialect::Oracle],
            list => list.split(',').map(|d| d.parse().unwrap()).collect(),
        };
        for dialect in dialects {
            for sql in &fields[1..] {
                lines.push(format!(
                    "hidden.tsv\t{dialect}\t{}\t{}",
                    one_line(sql),
                    access_verdict(dialect, sql)
                ));
            }
        }
    }
    lines
}

#[test]
fn every_corpus_statement_is_judged_as_verdicts_tsv_says() {
    let path = format!(
        "{}/tests/pstral/corpus/verdicts.tsv",
        env!("CARGO_MANIFEST_DIR")
    );
    let now = verdicts();
    assert!(now.len() > 1_000, "{} verdicts", now.len());
    if std::env::var_os("PSTRAL_BLESS_VERDICTS").is_some() {
        std::fs::write(&path, now.join("\n") + "\n").unwrap();
    }
    let held = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let held: Vec<&str> = held.lines().collect();
    let changed: Vec<String> = now
        .iter()
        .zip(&held)
        .filter(|(now, held)| now != *held)
        .map(|(now, held)| format!("was: {held}\nnow: {now}"))
        .collect();
    assert!(
        changed.is_empty() && now.len() == held.len(),
        "{} of {} verdicts changed ({} held):\n{}",
        changed.len(),
        now.len(),
        held.len(),
        changed.join("\n")
    );
}
