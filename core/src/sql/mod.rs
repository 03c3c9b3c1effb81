//! SQL in answers: finding it ([`extract`]), judging it on its parsed form
//! ([`validate`]), running it read-only on a target's backend ([`backend`],
//! one module per backend; the audited Execute pipeline that alone runs it
//! for a person is `sql_target::execution`, above the access rules), its
//! rows in the order shown ([`order`]) and shown ([`render`]), and what the model is told of a target's
//! tables ([`schema`]). How it is configured: [`SqlSettings`].
//!
//! Defence in depth (see DESIGN.md): the statement is parsed with the target's
//! dialect and the whole tree walked; what cannot be parsed is refused as
//! "cannot be verified", never passed. Execution (read-only account,
//! read-only transaction, timeouts, row cap) is the next layer.
//!
//! Its modules, from the bottom up (each imports only those above it in
//! this list; the `layering` test below checks it):
//! - [`dialect`]: the SQL dialects, and how each folds a name.
//! - [`types`]: what a column's database type says its values are.
//! - [`schema`]: a target's tables, as the model is told of them.
//! - [`validate`]: a statement judged on its parsed form.
//! - [`backend`]: a validated statement run read-only on a target.
//! - [`render`]: the rows shown, and written to files.
//! - [`extract`]: SQL found in an answer.
//! - [`order`]: the order a result's rows are shown in.
//! - [`settings`]: how SQL is configured.
//! - [`demo`]: the demo CRM.

pub mod backend;
pub mod demo;
mod dialect;
pub mod extract;
pub mod order;
pub mod render;
pub mod schema;
mod settings;
pub mod types;
pub mod validate;

use std::sync::Arc;

use crate::store::DatabaseUrl;
use backend::{ExecError, Executor};
pub use dialect::{Dialect, quoted_identifier};
pub use settings::{
    Candidates, Charts, Doubt, FreePrompt, PlanVotes, PromptPart, RedactedSecret, SemanticSource,
    SqlSettings, Target, TargetKind,
};

/// Connects to an Execute target.
///
/// # Errors
/// [`ExecError::Unavailable`] saying what is missing: the demo file (and
/// how to create it), the server, or the Oracle client library.
pub async fn open_target(
    target: &Target,
    allowed_schemas: &[String],
) -> Result<Arc<dyn Executor>, ExecError> {
    Ok(match &target.kind {
        TargetKind::Sqlite(path) => {
            if !path.exists() {
                let hint = if target.demo_file().is_some() {
                    " (create it with `pstral demo init`)"
                } else {
                    ""
                };
                return Err(ExecError::Unavailable(format!(
                    "{} does not exist{hint}",
                    path.display()
                )));
            }
            Arc::new(backend::SqliteExecutor::open(path).await?)
        }
        TargetKind::Postgres(DatabaseUrl::Postgres(url)) => Arc::new(
            backend::PostgresExecutor::connect(url.as_str())
                .await?
                .with_search_path(allowed_schemas)
                .weighing(target.weigh_plans),
        ),
        TargetKind::Postgres(DatabaseUrl::Sqlite(path)) => {
            Arc::new(backend::SqliteExecutor::open(path).await?)
        }
        #[cfg(not(feature = "oracle"))]
        TargetKind::Oracle { .. } => {
            return Err(ExecError::Unavailable(oracle_client_library().unwrap_err()));
        }
        #[cfg(feature = "oracle")]
        TargetKind::Oracle {
            user,
            password,
            connect,
        } => {
            use secrecy::ExposeSecret;
            let password = password
                .as_ref()
                .map(|p| p.0.expose_secret().to_owned())
                .unwrap_or_default();
            Arc::new(
                backend::oracle::OracleExecutor::connect(user.clone(), password, connect.clone())
                    .await?,
            )
        }
    })
}

/// The Oracle client library's version, or why Oracle targets cannot be
/// used here: the library is not installed, or this build left Oracle out.
pub fn oracle_client_library() -> Result<String, String> {
    #[cfg(feature = "oracle")]
    return backend::oracle::client_library();
    #[cfg(not(feature = "oracle"))]
    Err(
        "this pstral was built without Oracle support; build it with \
         `cargo build --release --features oracle` (or with the default features)"
            .to_owned(),
    )
}

/// The modules of `sql`, and of each folder below it, form layers: none
/// imports, directly or through others, a module that imports it back;
/// where a folder's `mod.rs` lists its modules (`//! - [`name`]`, from the
/// bottom up), each imports only those listed before it. The crate-wide
/// test (`crate::layering`) sees `sql` as one module; this one looks inside.
#[cfg(test)]
mod layering {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use crate::layering::{circle_through, split_top, upward};

    /// The crate's source folder.
    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    /// The module path of a source file (`sql/validate/walk/calls.rs` →
    /// sql, validate, walk, calls; a `mod.rs` is its folder's module).
    fn module_of(file: &Path) -> Vec<String> {
        let relative = file.strip_prefix(src()).unwrap();
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_str().unwrap().to_owned())
            .collect();
        let last = parts.pop().unwrap();
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_owned());
        }
        parts
    }

    /// The code of a file that is not a test, comments taken out: a
    /// `#[cfg(test)]` module (inline, to the end of the file, or a file of
    /// its own) is left out; a test-only item elsewhere is read, which can
    /// only add an import, never hide one.
    fn code_of(file: &Path) -> String {
        let text = std::fs::read_to_string(file).unwrap();
        let mut code = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() == "#[cfg(test)]"
                && let Some(next) = lines.peek()
                && next.trim_start().starts_with("mod ")
            {
                if next.trim_end().ends_with(';') {
                    lines.next();
                    continue;
                }
                break;
            }
            code.push(line.split("//").next().unwrap());
        }
        code.join("\n")
    }

    fn ident(text: &str) -> &str {
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        &text[..end]
    }

    /// The paths `text` names from `base` on (`a::b`, `a::{b, c::d}`),
    /// each from the crate's root.
    fn paths_from(base: &[String], text: &str, found: &mut Vec<Vec<String>>) {
        let mut path = base.to_vec();
        let mut rest = text;
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                for part in split_top(group) {
                    paths_from(&path, part.trim(), found);
                }
                return;
            }
            if rest.starts_with('*') {
                path.push("*".to_owned());
                break;
            }
            let name = ident(rest);
            if name.is_empty() {
                break;
            }
            match name {
                "super" => {
                    path.pop();
                }
                "self" => {}
                "crate" => path.clear(),
                _ => path.push(name.to_owned()),
            }
            rest = &rest[name.len()..];
            match rest.strip_prefix("::") {
                Some(after) => rest = after,
                None => break,
            }
        }
        found.push(path);
    }

    /// Every path the code of `file` names through `crate::`, `super::` or
    /// `self::`, from the crate's root.
    fn paths_named(file: &Path) -> Vec<Vec<String>> {
        let module = module_of(file);
        let code = code_of(file);
        let mut found = Vec::new();
        for (at, _) in code.match_indices("::") {
            // Where a path starts: `crate`, `super` or `self`, not preceded
            // by another segment.
            let before = &code[..at];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            let first = &before[start..];
            if !matches!(first, "crate" | "super" | "self") || before[..start].ends_with("::") {
                continue;
            }
            paths_from(&module, &code[start..], &mut found);
        }
        found
    }

    /// The `.rs` files below `dir`, tests' own files left out.
    fn files_below(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && path.file_name().is_some_and(|n| n != "tests.rs")
                {
                    files.push(path);
                }
            }
        }
        files
    }

    /// The modules of the folder `dir`, each with those of its siblings its
    /// code (and its own modules' code) names. A name of the folder's
    /// `mod.rs` that it imports from one of them (`pub use refusal::Refusal`)
    /// counts as that module; one it defines itself does not count.
    fn sibling_imports(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
        let folder = module_of(&dir.join("mod.rs"));
        let depth = folder.len();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in files_below(dir) {
            let module = module_of(&file);
            if module.len() > depth {
                graph.entry(module[depth].clone()).or_default();
            }
        }
        // The names `mod.rs` imports from its own modules (by the name it
        // gives them), and the modules it imports whole (`use walk::*`).
        let mut brought: BTreeMap<String, String> = BTreeMap::new();
        let mut globbed: BTreeSet<String> = BTreeSet::new();
        let parent = code_of(&dir.join("mod.rs"));
        for statement in parent.split(';') {
            let Some((_, used)) = statement.split_once("use ") else {
                continue;
            };
            let used = used.trim();
            let mut paths = Vec::new();
            if matches!(ident(used), "crate" | "super" | "self") {
                paths_from(&folder, used, &mut paths);
            } else {
                paths_from(&folder, &format!("self::{used}"), &mut paths);
            }
            for path in paths {
                if path.len() <= depth + 1 || path[..depth] != folder[..] {
                    continue;
                }
                let module = &path[depth];
                if !graph.contains_key(module) {
                    continue;
                }
                let name = path.last().unwrap();
                if name == "*" {
                    globbed.insert(module.clone());
                } else {
                    brought.insert(name.clone(), module.clone());
                }
            }
            // `walk::short as cut`: the module's name for it is `cut`.
            for (at, _) in used.match_indices(" as ") {
                let before = used[..at].trim_end();
                let start = before
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                let alias = ident(used[at + 4..].trim_start());
                if let Some(module) = brought.get(&before[start..]).cloned() {
                    brought.insert(alias.to_owned(), module);
                }
            }
        }
        // What a glob of the folder itself (`use super::*` in one of its
        // modules) brings: the names `mod.rs` imports from its modules, each
        // counted where the importing code writes it, and the whole of a
        // module `mod.rs` imports whole.
        let behind_a_glob = |code: &str| -> BTreeSet<String> {
            let words: BTreeSet<&str> = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .collect();
            brought
                .iter()
                .filter(|(name, _)| words.contains(name.as_str()))
                .map(|(_, module)| module.clone())
                .chain(globbed.iter().cloned())
                .collect()
        };
        for file in files_below(dir) {
            let module = module_of(&file);
            if module.len() <= depth {
                continue;
            }
            let from = module[depth].clone();
            let code = code_of(&file);
            for path in paths_named(&file) {
                if path.len() <= depth || path[..depth] != folder[..] {
                    continue;
                }
                let named = &path[depth];
                let to: Vec<String> = if graph.contains_key(named) {
                    vec![named.clone()]
                } else if let Some(module) = brought.get(named) {
                    vec![module.clone()]
                } else if named == "*" {
                    behind_a_glob(&code).into_iter().collect()
                } else {
                    continue;
                };
                for to in to.into_iter().filter(|to| *to != from) {
                    graph.get_mut(&from).unwrap().insert(to);
                }
            }
        }
        graph
    }

    /// The modules a folder's `mod.rs` lists, from the bottom up.
    fn listed_order(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join("mod.rs"))
            .unwrap()
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .filter_map(|l| l.strip_prefix("//! - [`"))
            .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_owned()))
            .collect()
    }

    fn folders_below(dir: &Path) -> Vec<PathBuf> {
        let mut folders = vec![dir.to_owned()];
        let mut at = 0;
        while at < folders.len() {
            for entry in std::fs::read_dir(&folders[at]).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() && path.join("mod.rs").exists() {
                    folders.push(path);
                }
            }
            at += 1;
        }
        folders
    }

    #[test]
    fn no_module_of_sql_imports_one_that_imports_it_back() {
        let folders = folders_below(&src().join("sql"));
        assert!(folders.len() > 5, "{folders:?}");
        for folder in folders {
            let graph = sibling_imports(&folder);
            for module in graph.keys() {
                if let Some(circle) = circle_through(module, &graph) {
                    panic!(
                        "an import circle in {}: {}",
                        folder.display(),
                        circle.join(" → ")
                    );
                }
            }
        }
    }

    #[test]
    fn sql_and_its_validator_import_only_what_they_list_below_each_module() {
        for folder in [
            "sql",
            "sql/validate",
            "sql/validate/reach",
            "sql/validate/cost",
        ] {
            let dir = src().join(folder);
            let graph = sibling_imports(&dir);
            let order = listed_order(&dir);
            let listed: BTreeSet<&String> = order.iter().collect();
            let modules: BTreeSet<&String> = graph.keys().collect();
            assert_eq!(listed, modules, "{folder}/mod.rs lists {order:?}");
            assert_eq!(
                upward(&order, &graph),
                [],
                "imports up {folder}'s order {order:?}"
            );
        }
    }

    #[test]
    fn the_imports_inside_the_validator_are_read() {
        let graph = sibling_imports(&src().join("sql/validate"));
        // Through a path from the crate's root, a group, a re-export of
        // `mod.rs`, and from a module's own modules.
        assert!(graph["cost"].contains("reach"), "{graph:?}");
        assert!(graph["reach"].contains("refusal"), "{graph:?}");
        assert!(graph["reach"].contains("functions"), "{graph:?}");
        // Only through what `mod.rs` re-exports (`super::{Excess, Refusal}`).
        assert!(graph["bounds"].contains("refusal"), "{graph:?}");
        let cost = sibling_imports(&src().join("sql/validate/cost"));
        assert!(cost["sizes"].contains("copies"), "{cost:?}");
        // Through `use super::*`, by the names `mod.rs` brings from a sibling
        // (`growth` writes `quoted`, which `weigh/mod.rs` takes from `tables`).
        let weigh = sibling_imports(&src().join("sql/backend/postgres/weigh"));
        assert!(weigh["growth"].contains("tables"), "{weigh:?}");
        assert!(weigh["views"].contains("growth"), "{weigh:?}");
    }

    #[test]
    fn an_import_down_from_the_bottom_of_the_validator_is_found() {
        // Made up: `syntax` (the bottom) naming what the reach defines.
        let dir = src().join("sql/validate");
        let mut graph = sibling_imports(&dir);
        graph.get_mut("syntax").unwrap().insert("reach".to_owned());
        let order = listed_order(&dir);
        assert_eq!(
            upward(&order, &graph),
            [("syntax".to_owned(), "reach".to_owned())]
        );
        assert!(circle_through("syntax", &graph).is_some());
    }

    #[test]
    fn the_reach_asking_the_cost_is_found() {
        // Made up: the walk calling what the cost tallies, as it did before
        // the cost watched it.
        let dir = src().join("sql/validate");
        let mut graph = sibling_imports(&dir);
        graph.get_mut("reach").unwrap().insert("cost".to_owned());
        let order = listed_order(&dir);
        assert_eq!(
            upward(&order, &graph),
            [("reach".to_owned(), "cost".to_owned())]
        );
    }
}
