//! What the semantic model should learn next, read off what people asked
//! (`pstral semantic suggest`, an admin's `suggestions` in the chat): the
//! questions asked at least twice that the definitions did not answer
//! (the plan left them to the model's own SQL) or whose result someone
//! marked wrong, grouped when they ask the same thing in other words, each
//! with the definitions its words are near.
//!
//! Nothing here changes the model: a suggestion is a list for an admin,
//! who turns one into an example or a definition with a command of its
//! own.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::Definitions;
use crate::audit::{Audit, AuditError, AuditFilter, EventKind, Order};
use crate::learn::text::terms;

/// How alike two questions' words must be to be one suggestion: the share
/// of their meaningful words (folded, stemmed) they have in common.
const ALIKE: f32 = 0.5;

/// The most definitions named near a suggestion.
const MAX_NEAR: usize = 5;

/// The most audit events read in one page.
const PAGE: u32 = 1000;

/// Why a question is a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missed {
    /// The definitions did not answer it: the model wrote its own SQL.
    LeftToTheModel,
    /// Its result was marked wrong.
    MarkedWrong,
    /// Not missed: the definitions answered it (a plan). A suggestion
    /// whose latest asking was answered so has been taken care of.
    Answered,
}

/// A question as asked, and why it is a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub text: String,
    pub at: DateTime<Utc>,
    pub missed: Missed,
}

/// Questions that ask one thing, each asked at least the least times.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The wording asked most (the earliest among equals).
    pub question: String,
    /// Every other wording, as asked.
    pub wordings: Vec<String>,
    /// How many times it was asked, left to the model, and marked wrong.
    pub asked: usize,
    pub left_to_the_model: usize,
    pub marked_wrong: usize,
    pub last_asked: DateTime<Utc>,
    /// The definitions whose words the question uses, nearest first.
    pub near: Vec<String>,
}

/// The questions of the audit (since `since`, else all it keeps: the
/// audit's retention prunes the rest) that the definitions missed: SQL
/// questions answered without a plan, and results marked wrong.
///
/// # Errors
/// When the audit cannot be read.
pub async fn missed_since(
    audit: &Audit,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Asked>, AuditError> {
    // An answer names the message of its question (null for a repair
    // round's, which is not a question of its own); before answers did, the
    // latest question of its conversation was the one it answered.
    let mut asked: BTreeMap<(i64, String), (String, bool)> = BTreeMap::new();
    let mut latest: BTreeMap<i64, String> = BTreeMap::new();
    // A result marked wrong twice (a button and a reaction, two people)
    // was asked once.
    let mut judged = BTreeSet::new();
    let mut missed = Vec::new();
    let mut after = None;
    loop {
        let filter = AuditFilter {
            since,
            after_seq: after,
            ..AuditFilter::default()
        };
        let page = audit.list(&filter, Order::OldestFirst, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        for event in &page {
            let payload: serde_json::Value =
                serde_json::from_str(&event.payload).unwrap_or_default();
            let text = |key: &str| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            let conversation = payload
                .get("conversation")
                .and_then(serde_json::Value::as_i64);
            match event.kind.as_str() {
                k if k == EventKind::Question.as_str() => {
                    if let (Some(c), Some(question), Some(message)) =
                        (conversation, text("text"), text("message"))
                    {
                        let sql = text("mode").as_deref() == Some("sql");
                        latest.insert(c, message.clone());
                        asked.insert((c, message), (question, sql));
                    }
                }
                k if k == EventKind::Answer.as_str() => {
                    // Left to the model: a complete answer without a plan
                    // that holds a statement (not a "you're welcome").
                    let free = text("path").as_deref() == Some("free")
                        && text("ending").as_deref() == Some("complete")
                        && text("text").is_some_and(|t| t.to_lowercase().contains("select"));
                    let message = match payload.get("question") {
                        Some(serde_json::Value::String(m)) => Some(m.clone()),
                        Some(_) => None,
                        None => conversation.and_then(|c| latest.get(&c).cloned()),
                    };
                    let question = conversation.zip(message).and_then(|key| asked.remove(&key));
                    let plan = text("path").as_deref() == Some("plan");
                    if let Some((question, true)) = question
                        && (free || plan)
                    {
                        missed.push(Asked {
                            text: question,
                            at: event.at,
                            missed: if plan {
                                Missed::Answered
                            } else {
                                Missed::LeftToTheModel
                            },
                        });
                    }
                }
                k if k == EventKind::Feedback.as_str() => {
                    let result = payload.get("result").and_then(serde_json::Value::as_i64);
                    if text("verdict").as_deref() == Some("wrong")
                        && let Some(question) = text("question")
                        && result.is_none_or(|r| judged.insert(r))
                    {
                        missed.push(Asked {
                            text: question,
                            at: event.at,
                            missed: Missed::MarkedWrong,
                        });
                    }
                }
                _ => {}
            }
        }
        if page.len() < PAGE as usize {
            break;
        }
    }
    Ok(missed)
}

/// The groups of `asked` missed at least `least` times and not answered
/// by the definitions since, most asked first, each with the definitions
/// of `definitions` near it.
pub fn suggestions(asked: &[Asked], least: usize, definitions: &Definitions) -> Vec<Suggestion> {
    let mut groups: Vec<(BTreeSet<String>, Vec<&Asked>)> = Vec::new();
    for question in asked {
        let words: BTreeSet<String> = terms(&question.text).into_iter().collect();
        if words.is_empty() {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(seen, _)| alike(seen, &words) >= ALIKE)
        {
            Some((_, members)) => members.push(question),
            None => groups.push((words, vec![question])),
        }
    }
    let mut out: Vec<Suggestion> = groups
        .into_iter()
        .filter(|(_, members)| {
            // Answered by the definitions the last time it was asked: a
            // definition or an example added since took care of it.
            members
                .iter()
                .max_by_key(|m| m.at)
                .is_some_and(|m| m.missed != Missed::Answered)
        })
        .map(|(_, members)| {
            let missed: Vec<&Asked> = members
                .into_iter()
                .filter(|m| m.missed != Missed::Answered)
                .collect();
            suggestion(&missed, definitions)
        })
        .filter(|s| s.asked >= least.max(1))
        .collect();
    out.sort_by(|a, b| b.asked.cmp(&a.asked).then(b.last_asked.cmp(&a.last_asked)));
    out
}

fn suggestion(members: &[&Asked], definitions: &Definitions) -> Suggestion {
    // A result marked wrong of a question already counted as left to the
    // model (the same words) is that asking, not another.
    let left: BTreeSet<String> = members
        .iter()
        .filter(|m| m.missed == Missed::LeftToTheModel)
        .map(|m| crate::learn::text::fold(m.text.trim()))
        .collect();
    let askings = members
        .iter()
        .filter(|m| {
            m.missed == Missed::LeftToTheModel
                || !left.contains(&crate::learn::text::fold(m.text.trim()))
        })
        .count();
    let mut wordings: Vec<(String, usize, DateTime<Utc>)> = Vec::new();
    for m in members {
        let folded = crate::learn::text::fold(m.text.trim());
        match wordings
            .iter_mut()
            .find(|(w, _, _)| crate::learn::text::fold(w) == folded)
        {
            Some((_, n, _)) => *n += 1,
            None => wordings.push((m.text.trim().to_owned(), 1, m.at)),
        }
    }
    // Most asked first; among equals, the earliest.
    wordings.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let question = wordings.remove(0).0;
    Suggestion {
        near: near(&question, definitions),
        question,
        wordings: wordings.into_iter().map(|(w, _, _)| w).collect(),
        asked: askings,
        left_to_the_model: members
            .iter()
            .filter(|m| m.missed == Missed::LeftToTheModel)
            .count(),
        marked_wrong: members
            .iter()
            .filter(|m| m.missed == Missed::MarkedWrong)
            .count(),
        last_asked: members.iter().map(|m| m.at).max().unwrap_or_default(),
    }
}

/// The share of words two questions have in common (Jaccard).
fn alike(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f32 {
    let shared = a.intersection(b).count();
    let all = a.union(b).count();
    if all == 0 {
        0.0
    } else {
        shared as f32 / all as f32
    }
}

/// The definitions whose name, label or synonyms share words with
/// `question`: the most words shared first, then those whose own words the
/// question holds the most of (an entity named by the question before a
/// measure that shares one word of five).
fn near(question: &str, definitions: &Definitions) -> Vec<String> {
    let asked: BTreeSet<String> = terms(question).into_iter().collect();
    let mut scored: Vec<(usize, f32, String)> = Vec::new();
    let mut score = |name: &String, label: &super::model::Words, synonyms: &[String]| {
        let mut text = format!("{} {} {}", name.replace('_', " "), label.en, label.fr);
        for s in synonyms {
            text.push(' ');
            text.push_str(s);
        }
        let own: BTreeSet<String> = terms(&text).into_iter().collect();
        let shared = own.intersection(&asked).count();
        if shared > 0 {
            scored.push((shared, shared as f32 / own.len() as f32, name.clone()));
        }
    };
    for (name, e) in &definitions.entities {
        score(name, &e.label, &[]);
    }
    for (name, m) in &definitions.measures {
        score(name, &m.label, &m.synonyms);
    }
    for (name, d) in &definitions.dimensions {
        score(name, &d.label, &d.synonyms);
    }
    for (name, s) in &definitions.segments {
        score(name, &s.label, &s.synonyms);
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    scored
        .into_iter()
        .take(MAX_NEAR)
        .map(|(_, _, n)| n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str, minute: u32, missed: Missed) -> Asked {
        Asked {
            text: text.to_owned(),
            at: DateTime::from_timestamp(1_700_000_000 + i64::from(minute) * 60, 0).unwrap(),
            missed,
        }
    }

    #[test]
    fn a_question_asked_twice_in_other_words_is_one_suggestion_and_a_one_off_is_none() {
        let definitions = Definitions::parse(crate::sql::demo::SEMANTIC).unwrap();
        let history = [
            asked(
                "Which clients renewed their contract early?",
                1,
                Missed::LeftToTheModel,
            ),
            asked(
                "How many employees speak German?",
                2,
                Missed::LeftToTheModel,
            ),
            asked(
                "which clients renewed their contracts early",
                3,
                Missed::MarkedWrong,
            ),
            asked(
                "Which clients renewed their contract early?",
                4,
                Missed::LeftToTheModel,
            ),
        ];
        let found = suggestions(&history, 2, &definitions);
        assert_eq!(found.len(), 1, "{found:#?}");
        let s = &found[0];
        assert_eq!(s.question, "Which clients renewed their contract early?");
        assert_eq!(s.wordings, ["which clients renewed their contracts early"]);
        assert_eq!((s.asked, s.left_to_the_model, s.marked_wrong), (3, 2, 1));
        // Marked wrong after it was left to the model: one asking.
        let once = [
            asked("Who renewed early?", 1, Missed::LeftToTheModel),
            asked("Who renewed early?", 2, Missed::MarkedWrong),
        ];
        assert!(suggestions(&once, 2, &definitions).is_empty());
        // Answered by the definitions since: taken care of.
        let mut since = history.to_vec();
        since.push(asked(
            "Which clients renewed their contract early?",
            5,
            Missed::Answered,
        ));
        assert!(suggestions(&since, 2, &definitions).is_empty());
        assert_eq!(s.last_asked, history[3].at);
        assert!(s.near.contains(&"clients".to_owned()), "{:?}", s.near);
        assert!(s.near.contains(&"contracts".to_owned()), "{:?}", s.near);
        assert!(suggestions(&history, 1, &definitions).len() == 2);
    }
}
