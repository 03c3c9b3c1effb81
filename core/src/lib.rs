//! Pstral's core: employees ask questions in team chat; a local LLM
//! answers; a generated SQL `SELECT` runs read-only on one click by a
//! permitted user; everything lands in a tamper-evident audit.
//!
//! This crate knows no chat platform and no command line: adapters speak to
//! it through the `pstral-chat` contract, and the `pstral` binary (the root
//! package) wires the two together. `scripts/test` checks on the resolved
//! dependency graph that no adapter, chat SDK or clap is under it, and a test
//! below that its modules import one another in layers, without a circle:
//! each module imports only modules listed before it here. From the bottom
//! up:
//!
//! - [`store`]: the own database (SQLite or PostgreSQL) and its migrations.
//! - [`audit`]: the append-only, hash-chained audit log.
//! - [`replicas`]: two replicas, one bot: which process serves the chat
//!   platforms (elected through PostgreSQL), each event acted on once, the
//!   answers a stopped process left open.
//! - [`backup`]: a copy of the own database, and a restore that verifies it.
//! - [`identity`]: local users, roles, linked chat identities, invite codes.
//! - [`sql`]: SQL found in answers, judged on its parsed form, and the
//!   backends that run it read-only.
//! - [`access`]: groups of users and the tables and columns each may not
//!   read, judged on a statement's reach, followed through views.
//! - [`chart`]: a chart beside a result, chosen by fixed rules on its
//!   shape, drawn in-process as a PNG.
//! - [`i18n`]: every sentence a chat user reads, in English and French.
//! - [`llm`]: the Ollama client, the fair queue in front of it, failover.
//! - [`stream`]: a token stream turned into well-timed message edits.
//! - [`learn`]: confirmed examples, the glossary and what a SQL prompt
//!   shows of them (picked by words or embeddings).
//! - [`semantic`]: the company's definitions (entities, dimensions,
//!   measures, segments), the plans a model answers with, and the SQL the
//!   bot writes from them.
//! - [`conversation`]: conversations, modes, prompts and their history.
//! - [`telemetry`]: logging, metrics and per-request spans.
//! - [`sql_target`]: the Execute target's services (judging, examples, what a
//!   SQL prompt shows), the one path from a question to the statements
//!   that may be offered, shared by the bot and the evaluation, and the
//!   Execute pipeline, the one path by which a statement runs.
//! - [`eval`]: `pstral eval`, the offered SQL's results against gold
//!   queries.
//! - [`admin`]: the admin HTTP endpoint and its tokens.
//! - [`bot`]: what happens for each event an adapter reports, one module per
//!   use case.
//! - [`config`]: the layered configuration, validated into each module's
//!   own settings type.
//! - [`app`]: everything wired for `pstral run` and `pstral chat`.

pub mod access;
pub mod admin;
pub mod app;
pub mod audit;
pub mod backup;
pub mod bot;
pub mod chart;
pub mod config;
pub mod conversation;
pub mod eval;
pub mod i18n;
pub mod identity;
pub mod learn;
pub mod llm;
pub mod replicas;
pub mod semantic;
pub mod sql;
pub mod sql_target;
pub mod store;
pub mod stream;
pub mod telemetry;

/// The core's modules form layers: none imports, directly or through
/// others, a module that imports it back. The compiler does not check
/// this within a crate, so this test does, on the source (tests excluded).
#[cfg(test)]
pub(crate) mod layering {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Each top-level module, with the top-level modules its code names
    /// through `crate::`.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let relative = path.strip_prefix(&root).unwrap();
                let first = relative.components().next().unwrap();
                let module = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
                if module == "lib" {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap();
                let names = found.entry(module.to_owned()).or_default();
                for line in code.lines() {
                    let line = line.split("//").next().unwrap();
                    names.extend(named(line));
                }
                // `use crate::{a, b::c}` may span lines.
                for group in code.split("crate::{").skip(1) {
                    for part in split_top(group) {
                        let name: String = part
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            names.insert(name);
                        }
                    }
                }
                names.remove(module);
            }
        }
        found
    }

    /// The modules named as `crate::name` on one line.
    fn named(line: &str) -> Vec<String> {
        line.match_indices("crate::")
            .map(|(i, m)| {
                line[i + m.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// The items of a `{…}` group up to its closing brace, split at its own
    /// commas.
    pub(crate) fn split_top(group: &str) -> Vec<&str> {
        let mut parts = Vec::new();
        let (mut depth, mut start) = (0, 0);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    parts.push(&group[start..i]);
                    return parts;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&group[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts
    }

    /// A circle through `from`, as the modules along it.
    pub(crate) fn circle_through(
        from: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
    ) -> Option<Vec<String>> {
        let mut paths = vec![vec![from.to_owned()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = paths.pop() {
            let last = path.last().unwrap();
            for next in graph.get(last).into_iter().flatten() {
                if next == from {
                    let mut circle = path.clone();
                    circle.push(from.to_owned());
                    return Some(circle);
                }
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    paths.push(longer);
                }
            }
        }
        None
    }

    #[test]
    fn no_module_of_the_core_imports_one_that_imports_it_back() {
        let graph = imports();
        assert!(graph.len() > 10, "the source was not found: {graph:?}");
        assert!(graph["bot"].contains("sql"), "imports are not being read");
        for module in graph.keys() {
            if let Some(circle) = circle_through(module, &graph) {
                panic!("an import circle: {}", circle.join(" → "));
            }
        }
    }

    /// The modules in the order the crate's documentation lists them.
    fn documented_order() -> Vec<String> {
        include_str!("lib.rs")
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .filter_map(|l| l.strip_prefix("//! - [`"))
            .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_owned()))
            .collect()
    }

    /// The imports that go up `order`: (module, what it imports that is
    /// listed after it, or not at all).
    pub(crate) fn upward(
        order: &[String],
        graph: &BTreeMap<String, BTreeSet<String>>,
    ) -> Vec<(String, String)> {
        let place = |m: &str| order.iter().position(|o| o == m);
        let mut found = Vec::new();
        for (module, names) in graph {
            for name in names.iter().filter(|n| graph.contains_key(*n)) {
                match (place(module), place(name)) {
                    (Some(at), Some(to)) if to < at => {}
                    _ => found.push((module.clone(), name.clone())),
                }
            }
        }
        found
    }

    #[test]
    fn the_documented_order_is_the_real_one() {
        let graph = imports();
        let order = documented_order();
        let listed: BTreeSet<&String> = order.iter().collect();
        let modules: BTreeSet<&String> = graph.keys().collect();
        assert_eq!(listed, modules, "lib.rs lists {order:?}");
        assert_eq!(upward(&order, &graph), [], "imports up the order {order:?}");
    }

    #[test]
    fn an_import_up_the_order_is_found() {
        let order: Vec<String> = ["store", "sql", "bot"].map(str::to_owned).to_vec();
        let graph: BTreeMap<String, BTreeSet<String>> = [
            ("store", &[][..]),
            ("sql", &["store", "bot"][..]),
            ("bot", &["sql"][..]),
        ]
        .into_iter()
        .map(|(m, to)| (m.to_owned(), to.iter().map(|t| (*t).to_owned()).collect()))
        .collect();
        assert_eq!(
            upward(&order, &graph),
            [("sql".to_owned(), "bot".to_owned())]
        );
    }

    #[test]
    fn a_circle_is_found_when_there_is_one() {
        let graph: BTreeMap<String, BTreeSet<String>> = [
            ("config", &["sql"][..]),
            ("sql", &["store"][..]),
            ("store", &["config"][..]),
        ]
        .into_iter()
        .map(|(m, to)| (m.to_owned(), to.iter().map(|t| (*t).to_owned()).collect()))
        .collect();
        assert_eq!(
            circle_through("config", &graph).unwrap(),
            ["config", "sql", "store", "config"]
        );
    }
}
