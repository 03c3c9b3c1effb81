//! A semantic file written out as TOML for a person to review: what
//! `pstral semantic draft` reads off a catalogue and `pstral semantic
//! import` reads off another tool's format. Every guess carries a comment
//! saying so, and what was found but cannot be used is written commented
//! out with why, so that the reviewer sees it and nothing is lost.
//!
//! It writes text, not [`super::Definitions`]: a reviewable file needs its
//! comments in place, which a serializer does not keep.

use std::fmt::Write as _;

/// A value of a key, as the semantic file writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    /// Words in both languages (`{ en = "…", fr = "…" }`).
    Words {
        en: String,
        fr: String,
    },
    List(Vec<String>),
    /// An entity's joins (`[{ column = "…", to = "…" }]`).
    Joins(Vec<(String, String)>),
    /// SQL for each database (`{ sqlite = "…", postgres = "…", oracle = "…" }`).
    ByDialect {
        sqlite: String,
        postgres: String,
        oracle: String,
    },
    Int(i64),
}

impl Value {
    /// The same words in both languages: what a source in one language
    /// gives, marked for review where it is written.
    pub fn same_words(text: &str) -> Self {
        Self::Words {
            en: text.to_owned(),
            fr: text.to_owned(),
        }
    }
}

/// One table of the file (`[dimensions.client_city]`, `[[examples]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The header without brackets: `dimensions.client_city`, or
    /// `[examples]` for an array's element.
    pub header: String,
    pub keys: Vec<(&'static str, Value)>,
    /// Comments written above it: what was guessed, for review.
    pub review: Vec<String>,
    /// Why it cannot be used as it is: then it is written commented out.
    pub out: Option<String>,
}

impl Item {
    pub fn new(header: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            keys: Vec::new(),
            review: Vec::new(),
            out: None,
        }
    }

    pub fn key(mut self, key: &'static str, value: Value) -> Self {
        self.keys.push((key, value));
        self
    }

    pub fn str(self, key: &'static str, value: impl Into<String>) -> Self {
        self.key(key, Value::Str(value.into()))
    }

    /// A comment above the item, for the reviewer.
    pub fn review(mut self, note: impl Into<String>) -> Self {
        self.review.push(note.into());
        self
    }

    /// Written commented out, with why.
    pub fn out(mut self, why: impl Into<String>) -> Self {
        self.out = Some(why.into());
        self
    }
}

/// How many definitions of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub entities: usize,
    pub dimensions: usize,
    pub measures: usize,
    pub segments: usize,
}

impl Counts {
    /// Of `items`, those written and those left out, each counted by the
    /// kind its header names (`measures.mrr` is a measure).
    pub fn of<'i>(items: impl IntoIterator<Item = &'i Item>) -> (Self, Self) {
        let (mut written, mut left_out) = (Self::default(), Self::default());
        for item in items {
            let counts = if item.out.is_none() {
                &mut written
            } else {
                &mut left_out
            };
            match item.header.split('.').next() {
                Some("entities") => counts.entities += 1,
                Some("dimensions") => counts.dimensions += 1,
                Some("measures") => counts.measures += 1,
                Some("segments") => counts.segments += 1,
                _ => {}
            }
        }
        (written, left_out)
    }

    pub fn total(&self) -> usize {
        self.entities + self.dimensions + self.measures + self.segments
    }
}

/// Items under a heading (`# --- measures`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

/// The file: a heading comment, then each section in order.
pub fn write(heading: &[String], sections: &[Section]) -> String {
    let mut out = String::new();
    for line in heading {
        comment(&mut out, line);
    }
    for section in sections.iter().filter(|s| !s.items.is_empty()) {
        let _ = write!(out, "\n# {:-<70}\n", format!("{} ", section.title));
        for item in &section.items {
            out.push('\n');
            for note in &item.review {
                comment(&mut out, &format!("REVIEW: {note}"));
            }
            let mut body = String::new();
            let _ = writeln!(body, "[{}]", item.header);
            for (key, value) in &item.keys {
                let _ = writeln!(body, "{key} = {}", value_text(value));
            }
            match &item.out {
                None => out.push_str(&body),
                Some(why) => {
                    comment(&mut out, &format!("LEFT OUT: {why}"));
                    for line in body.lines() {
                        let _ = writeln!(out, "# {line}");
                    }
                }
            }
        }
    }
    out
}

/// `text` as comment lines: a line break in it (from a description a
/// database holds) never ends the comment, and the other control
/// characters, which TOML refuses in a comment, are written escaped.
fn comment(out: &mut String, text: &str) {
    for line in text.split(['\n', '\r']) {
        out.push_str("# ");
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Str(s) => quote(s),
        Value::Int(n) => n.to_string(),
        Value::Words { en, fr } => format!("{{ en = {}, fr = {} }}", quote(en), quote(fr)),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|s| quote(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Joins(joins) => format!(
            "[{}]",
            joins
                .iter()
                .map(|(column, to)| format!("{{ column = {}, to = {} }}", quote(column), quote(to)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::ByDialect {
            sqlite,
            postgres,
            oracle,
        } => format!(
            "{{ sqlite = {}, postgres = {}, oracle = {} }}",
            quote(sqlite),
            quote(postgres),
            quote(oracle)
        ),
    }
}

/// A TOML string, quoted and escaped by the toml crate.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_reads_back_and_keeps_what_it_left_out_as_comments() {
        let sections = vec![
            Section {
                title: "entities".into(),
                items: vec![
                    Item::new("entities.clients")
                        .str("table", "clients")
                        .key("label", Value::same_words("clients"))
                        .key("description", Value::same_words("line one\nline \"two\""))
                        .key(
                            "joins",
                            Value::Joins(vec![("manager_id".into(), "users".into())]),
                        )
                        .review("label and description in one language"),
                    Item::new("entities.users")
                        .str("table", "users")
                        .key("label", Value::same_words("users"))
                        .key("description", Value::same_words("users"))
                        .out("no key"),
                ],
            },
            Section {
                title: "measures".into(),
                items: vec![],
            },
        ];
        let text = write(
            &[
                "A draft.".to_owned(),
                "Two\nlines\r\u{1b}[2J\u{7f}".to_owned(),
            ],
            &sections,
        );
        assert!(
            text.starts_with("# A draft.\n# Two\n# lines\n# \\u{1b}[2J\\u{7f}\n"),
            "{text}"
        );
        assert!(text.contains("# REVIEW: label and description"), "{text}");
        assert!(text.contains("# LEFT OUT: no key\n# [entities.users]\n# table = \"users\""));
        assert!(
            !text.contains("measures"),
            "an empty section is not written"
        );
        let value: toml::Table = toml::from_str(&text).expect(&text);
        let clients = &value["entities"]["clients"];
        assert_eq!(
            clients["description"]["en"].as_str(),
            Some("line one\nline \"two\"")
        );
        assert!(value["entities"].get("users").is_none());
    }
}
