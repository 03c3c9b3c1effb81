//! The guides as a newcomer reads them: the README is a guide of at most
//! 450 lines whose outline fits one screen, every relative link of the
//! guides (README.md, OPERATING.md, CONTRIBUTING.md, docs/*.md) leads to a
//! file and a heading that exist, and CONTRIBUTING.md's map names every
//! folder of the repository, as lib.rs's list names every module. No
//! source file is over 1,000 lines, but the table of SQL functions.
//!
//! The map's rule: every folder that holds a file is named in
//! CONTRIBUTING.md as `` `path/` `` (from the root, with a trailing slash),
//! but a folder inside one of [`DATA_FOLDERS`], which that folder's own line
//! covers. The tree is read from the disk, not from git: `.git`, `target`,
//! folders whose name starts with a dot (but `.ci`) and what a `.gitignore`
//! names (a folder, or `*.suffix` files) are not the repository's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Folders of data (corpora, images): what is inside one is covered by its line.
const DATA_FOLDERS: [&str; 3] = ["fuzz/corpus/", "tests/pstral/corpus/", "docs/charts/"];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The guides, from the root.
fn guides() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut found: Vec<PathBuf> = ["README.md", "OPERATING.md", "CONTRIBUTING.md"]
        .iter()
        .map(|name| root.join(name))
        .collect();
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    assert!(found.len() > 4, "docs/ holds no guide: {found:?}");
    found
}

/// A Markdown text without its code: the lines of fenced blocks emptied,
/// inline code spans (which may run over a line end) blanked.
fn prose(markdown: &str) -> String {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in markdown.lines() {
        let fence = line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~");
        if fence {
            fenced = !fenced;
        }
        lines.push(if fence || fenced { "" } else { line });
    }
    let text: Vec<char> = lines.join("\n").chars().collect();
    let run = |at: usize| text[at..].iter().take_while(|c| **c == '`').count();
    let (mut out, mut at) = (String::new(), 0);
    while at < text.len() {
        if text[at] != '`' {
            out.push(text[at]);
            at += 1;
            continue;
        }
        let opening = run(at);
        let mut close = at + opening;
        while close < text.len() && !(text[close] == '`' && run(close) == opening) {
            close += if text[close] == '`' { run(close) } else { 1 };
        }
        let end = opening + if close < text.len() { close } else { at };
        out.extend(
            text[at..end]
                .iter()
                .map(|c| if *c == '\n' { '\n' } else { ' ' }),
        );
        at = end;
    }
    out
}

/// A heading's anchor as GitHub makes it: in lower case, without what is
/// not a letter, a digit, a space, `-` or `_`, its spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside code).
fn anchors(markdown: &str) -> Vec<String> {
    prose(markdown)
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#').trim()))
        .collect()
}

#[test]
fn the_readme_is_a_guide_of_at_most_450_lines_whose_outline_fits_a_screen() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let lines = readme.lines().count();
    assert!(lines <= 450, "README.md has {lines} lines, more than 450");
    let outline: Vec<String> = prose(&readme)
        .lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        .map(str::to_owned)
        .collect();
    assert!(outline.len() > 3, "README.md has no outline: {outline:?}");
    assert!(
        outline.len() <= 25,
        "README.md has {} headings of level 2 and 3, more than 25:\n{}",
        outline.len(),
        outline.join("\n")
    );
}

#[test]
fn every_relative_link_of_the_guides_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for guide in guides() {
        let text = prose(&read(&guide));
        let name = guide.strip_prefix(ROOT).unwrap().display().to_string();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let target = &rest[..rest.find([')', ' ', '\n']).unwrap_or(rest.len())];
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let linked = if file.is_empty() {
                guide.clone()
            } else {
                guide.parent().unwrap().join(file)
            };
            if !linked.exists() {
                broken.push(format!("{name}: ({target}): no such file"));
            } else if !anchor.is_empty() && !anchors(&read(&linked)).iter().any(|a| a == anchor) {
                broken.push(format!("{name}: ({target}): no such heading"));
            }
        }
    }
    assert!(checked > 20, "only {checked} relative links were found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Whether what a `.gitignore` names, as (its folder, a pattern), holds `path`.
fn is_ignored(path: &Path, ignored: &[(PathBuf, String)]) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    ignored.iter().any(|(base, pattern)| {
        let Ok(relative) = path.strip_prefix(base) else {
            return false;
        };
        if let Some(suffix) = pattern.strip_prefix('*') {
            return !suffix.contains(['*', '/']) && name.ends_with(suffix);
        }
        let bare = pattern.trim_matches('/');
        if pattern.contains('*') || bare.is_empty() {
            false
        } else if bare.contains('/') || pattern.starts_with('/') {
            relative == Path::new(bare)
        } else {
            name == bare
        }
    })
}

/// Every folder of the repository that holds a file, from the root, with a
/// trailing slash.
fn folders() -> BTreeSet<String> {
    let root = PathBuf::from(ROOT);
    let mut found = BTreeSet::new();
    let mut stack = vec![(root.clone(), Vec::new())];
    while let Some((dir, mut ignored)) = stack.pop() {
        if let Ok(text) = std::fs::read_to_string(dir.join(".gitignore")) {
            let patterns = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with(['#', '!']));
            ignored.extend(patterns.map(|p| (dir.clone(), p.to_owned())));
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if is_ignored(&path, &ignored) {
                continue;
            }
            if path.is_dir() {
                if name != "target" && (!name.starts_with('.') || name == ".ci") {
                    stack.push((path, ignored.clone()));
                }
            } else if dir != root {
                found.insert(format!("{}/", dir.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    found
}

#[test]
fn contributing_maps_every_folder() {
    let map = read(&Path::new(ROOT).join("CONTRIBUTING.md"));
    let folders = folders();
    assert!(folders.contains("core/src/sql/"), "the tree was not read");
    let unnamed: BTreeSet<&str> = folders
        .iter()
        .map(|f| match DATA_FOLDERS.iter().find(|d| f.starts_with(**d)) {
            Some(data) => *data,
            None => f.as_str(),
        })
        .filter(|f| !map.contains(&format!("`{f}`")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "CONTRIBUTING.md's map does not name these folders (as `path/`):\n{}",
        unnamed.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// The one source file that may be longer: the validator's table of the
/// SQL functions it knows, one entry a function, read as a list.
const LONG_TABLES: [&str; 1] = ["core/src/sql/validate/functions.rs"];

#[test]
fn no_source_file_is_over_1000_lines_but_the_function_table() {
    let root = Path::new(ROOT);
    let mut stack: Vec<PathBuf> = ["core", "src", "adapters", "tests", "benches", "fuzz"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let mut long = Vec::new();
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                if !path.ends_with("target") && !relative.starts_with("fuzz/corpus") {
                    stack.push(path);
                }
            } else if relative.ends_with(".rs") {
                files += 1;
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                if lines > 1_000 && !LONG_TABLES.contains(&relative.as_str()) {
                    long.push(format!("{relative}: {lines} lines"));
                }
            }
        }
    }
    assert!(files > 100, "the sources were not read ({files} files)");
    assert!(long.is_empty(), "over 1,000 lines:\n{}", long.join("\n"));
}
