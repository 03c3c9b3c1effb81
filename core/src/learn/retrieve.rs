//! Picking the stored examples most similar to a question.
//!
//! Two ways, one result: with an embedding model, the cosine of the
//! question's vector and each example's; without one, BM25 over the folded,
//! stemmed words of the questions ([`super::text::terms`]), which needs no
//! model at all. Both are exact (every example is scored): at the sizes a
//! team confirms (thousands), a scan costs well under a millisecond per
//! thousand examples, as the `retrieval` benchmark measures.

use std::collections::HashMap;
use std::sync::Arc;

use super::examples::Example;
use super::text::terms;

/// BM25's usual constants: how fast repeats of a word stop counting, and
/// how much a long question is discounted.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The examples of one target, ready to be searched.
#[derive(Debug, Default)]
pub struct Index {
    examples: Vec<Arc<Example>>,
    /// Each term → (example, how often it appears there).
    postings: HashMap<String, Vec<(u32, u16)>>,
    lengths: Vec<u16>,
    average_length: f32,
    /// Unit vectors by example, when every example in use has one from
    /// the same model (`model`).
    vectors: Option<(String, Vec<f32>, usize)>,
}

/// How examples were ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    Lexical,
    Embedding,
}

impl Ranking {
    pub fn as_str(self) -> &'static str {
        match self {
            Ranking::Lexical => "lexical",
            Ranking::Embedding => "embedding",
        }
    }
}

impl Index {
    /// Indexes the examples in use (those not set aside). Their vectors are
    /// used when every one of them has one from `embedding_model`.
    pub fn build(examples: Vec<Example>, embedding_model: Option<&str>) -> Self {
        let mut examples: Vec<Example> = examples
            .into_iter()
            .filter(|e| e.set_aside.is_none())
            .collect();
        let vectors = embedding_model.and_then(|model| {
            let dims = examples.first()?.embedding.as_ref()?.len();
            let mut flat = Vec::with_capacity(dims * examples.len());
            for e in &examples {
                match (&e.embedding_model, &e.embedding) {
                    (Some(m), Some(v)) if m == model && v.len() == dims && dims > 0 => {
                        flat.extend(unit(v));
                    }
                    _ => return None,
                }
            }
            Some((model.to_owned(), flat, dims))
        });
        // The vectors live in `vectors` alone: not twice in memory.
        for e in &mut examples {
            e.embedding = None;
        }
        let examples: Vec<Arc<Example>> = examples.into_iter().map(Arc::new).collect();
        let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(examples.len());
        for (i, example) in examples.iter().enumerate() {
            let words = terms(&example.question);
            lengths.push(u16::try_from(words.len()).unwrap_or(u16::MAX));
            let mut counts: HashMap<String, u16> = HashMap::new();
            for w in words {
                *counts.entry(w).or_default() += 1;
            }
            let doc = u32::try_from(i).expect("fewer than 4 billion examples");
            for (w, n) in counts {
                postings.entry(w).or_default().push((doc, n));
            }
        }
        let average_length = if lengths.is_empty() {
            1.0
        } else {
            (lengths.iter().map(|&l| f32::from(l)).sum::<f32>() / lengths.len() as f32).max(1.0)
        };
        Index {
            examples,
            postings,
            lengths,
            average_length,
            vectors,
        }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The examples in use.
    pub fn examples(&self) -> &[Arc<Example>] {
        &self.examples
    }

    /// Whether questions can be ranked by vectors of `model`.
    pub fn has_vectors_of(&self, model: &str) -> bool {
        self.vectors.as_ref().is_some_and(|(m, _, _)| m == model)
    }

    /// The examples sharing words with `question`, best first, with their
    /// BM25 score (always above zero).
    pub fn lexical(&self, question: &str, at_most: usize) -> Vec<(Arc<Example>, f32)> {
        let n = self.examples.len() as f32;
        let mut scores: HashMap<u32, f32> = HashMap::new();
        let mut asked = terms(question);
        asked.sort();
        asked.dedup();
        for term in &asked {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(doc, tf) in list {
                let tf = f32::from(tf);
                let length = f32::from(self.lengths[doc as usize]);
                let weight =
                    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / self.average_length));
                *scores.entry(doc).or_default() += idf * weight;
            }
        }
        let ranked: Vec<(u32, f32)> = scores.into_iter().filter(|(_, s)| *s > 0.0).collect();
        self.best(ranked, at_most)
    }

    /// The examples nearest to `vector` (the question's, from the index's
    /// model), best first, with their cosine; `None` without vectors.
    pub fn nearest(&self, vector: &[f32], at_most: usize) -> Option<Vec<(Arc<Example>, f32)>> {
        let (_, flat, dims) = self.vectors.as_ref()?;
        if vector.len() != *dims {
            return None;
        }
        let query = unit(vector);
        let ranked: Vec<(u32, f32)> = flat
            .chunks_exact(*dims)
            .enumerate()
            .map(|(i, v)| {
                let cosine = v.iter().zip(&query).map(|(a, b)| a * b).sum();
                (
                    u32::try_from(i).expect("fewer than 4 billion examples"),
                    cosine,
                )
            })
            .collect();
        Some(self.best(ranked, at_most))
    }

    /// The `at_most` best, by score then by the newest example first (a
    /// newer confirmation of the same question wins a tie).
    fn best(&self, mut ranked: Vec<(u32, f32)>, at_most: usize) -> Vec<(Arc<Example>, f32)> {
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0));
        if ranked.len() > at_most {
            ranked.select_nth_unstable_by(at_most, order);
            ranked.truncate(at_most);
        }
        ranked.sort_by(order);
        ranked
            .into_iter()
            .map(|(doc, score)| (Arc::clone(&self.examples[doc as usize]), score))
            .collect()
    }
}

fn unit(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        return v.to_vec();
    }
    v.iter().map(|x| x / norm).collect()
}

/// The longest question an example shows, in characters.
const MAX_QUESTION_CHARS: usize = 300;

/// An example as the prompt shows it. The question is what a user wrote:
/// it is shown on one line, without backticks and cut to 300 characters,
/// so that it cannot close the example's block or pose as instructions of
/// its own. (An example whose SQL holds a fence is not shown: [`shown`].)
pub fn render(example: &Example) -> String {
    format!(
        "Q: {}\n```sql\n{}\n```\n",
        one_line(&example.question),
        example.sql.trim()
    )
}

/// A question a user wrote, as a prompt shows it among examples: on one
/// line, without backticks, cut to 300 characters.
pub fn one_line(question: &str) -> String {
    question
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "'")
        .chars()
        .take(MAX_QUESTION_CHARS)
        .collect()
}

/// Whether an example can be shown as it is: its SQL holds no code fence
/// (which would end its block early).
pub fn shown(example: &Example) -> bool {
    !example.sql.contains("```")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn example(id: i64, question: &str) -> Example {
        Example {
            id,
            target: "demo".into(),
            question: question.into(),
            sql: format!("SELECT {id}"),
            dialect: "sqlite".into(),
            language: Lang::En,
            source: "cli".into(),
            created_by: None,
            created_at: chrono::Utc::now(),
            result_columns: None,
            result_rows: None,
            set_aside: None,
            plan: None,
            embedding_model: None,
            embedding: None,
        }
    }

    #[test]
    fn the_question_sharing_the_rarest_words_comes_first() {
        let index = Index::build(
            vec![
                example(1, "How many clients are there?"),
                example(2, "Which clients pay late?"),
                example(3, "Quels clients paient en retard ?"),
                example(4, "Contracts signed per month in 2024"),
            ],
            None,
        );
        let found = index.lexical("clients with late payments", 10);
        assert_eq!(found[0].0.id, 2, "{found:?}");
        // Every example found shares a word; none that shares nothing.
        assert!(found.iter().all(|(e, _)| e.id != 4), "{found:?}");
        // Accents and case do not matter.
        let found = index.lexical("CLIENTS EN RETARD", 1);
        assert_eq!(found[0].0.id, 3);
        assert!(index.lexical("weather tomorrow", 10).is_empty());
    }

    #[test]
    fn set_aside_examples_are_not_searched() {
        let mut aside = example(1, "late payments");
        aside.set_aside = Some("the table payments left the catalogue".into());
        let index = Index::build(vec![aside, example(2, "late clients")], None);
        assert_eq!(index.len(), 1);
        let found = index.lexical("late payments", 10);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.id, 2);
    }

    #[test]
    fn vectors_rank_by_cosine_and_only_when_all_come_from_the_model() {
        let mut a = example(1, "a");
        a.embedding_model = Some("m".into());
        a.embedding = Some(vec![1.0, 0.0]);
        let mut b = example(2, "b");
        b.embedding_model = Some("m".into());
        b.embedding = Some(vec![0.6, 0.8]);
        let index = Index::build(vec![a.clone(), b.clone()], Some("m"));
        let found = index.nearest(&[0.0, 2.0], 10).unwrap();
        assert_eq!(found[0].0.id, 2);
        assert!((found[0].1 - 0.8).abs() < 1e-6);
        // Another model's vectors, or one missing, and no vectors at all.
        assert!(
            Index::build(vec![a.clone(), b.clone()], Some("other"))
                .nearest(&[0.0, 1.0], 1)
                .is_none()
        );
        b.embedding = None;
        assert!(
            Index::build(vec![a, b], Some("m"))
                .nearest(&[0.0, 1.0], 1)
                .is_none()
        );
    }

    #[test]
    fn the_best_are_kept_in_order_with_the_newest_first_on_ties() {
        let index = Index::build(
            (1..=20).map(|i| example(i, "late payments")).collect(),
            None,
        );
        let found = index.lexical("late", 3);
        let ids: Vec<i64> = found.iter().map(|(e, _)| e.id).collect();
        assert_eq!(ids, vec![20, 19, 18]);
    }
}
