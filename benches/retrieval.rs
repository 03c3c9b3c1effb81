//! What picking examples costs a question: from 10,000 stored examples, the
//! most similar ones, judged by the validator and fitted to the budget, by
//! words (BM25) and by vectors (cosine), against the prompt assembly
//! without examples (the schema chosen for the question, the glossary, the
//! system prompt), in one run. Run with `cargo bench --bench retrieval`.
//!
//! Time per question is the mean over the questions of the demo CRM's
//! evaluation set, each asked in turn, after a warm-up; memory is the
//! growth of the process's resident set while the index is built (and
//! kept). The question's own embedding (one call to the model server) is
//! not counted: it is the server's time, the same for one example as for
//! ten thousand.

use std::sync::Arc;
use std::time::Instant;

use pstral_core::conversation::{Mode, Prompts};
use pstral_core::eval::read_cases;
use pstral_core::i18n::Lang;
use pstral_core::learn::examples::{Example, FileFormat};
use pstral_core::learn::retrieve::Index;
use pstral_core::learn::{Check, Picked, PromptContext, Skip, choose};
use pstral_core::sql::backend::{Executor, SqliteExecutor};
use pstral_core::sql::validate::{Policy, validate_in};

const STORED: usize = 10_000;
const DIMENSIONS: usize = 576;
const ROUNDS: usize = 5;

/// A fixed sequence of pseudo-random numbers (xorshift), so that every run
/// stores the same examples.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f32 {
        (self.next() % 2_000_001) as f32 / 1_000_000.0 - 1.0
    }
}

fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// 10,000 examples whose questions mix the words of the evaluation set's
/// (as a team's would: the same business words, other combinations), each
/// with the SQL of a case and a vector.
fn stored(questions: &[String], sqls: &[String], vectors: bool) -> Vec<Example> {
    let words: Vec<&str> = questions
        .iter()
        .flat_map(|q| q.split_whitespace())
        .collect();
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    (0..STORED)
        .map(|i| {
            let n = 5 + random.below(8);
            let question: Vec<&str> = (0..n).map(|_| words[random.below(words.len())]).collect();
            Example {
                id: i as i64 + 1,
                target: "demo".into(),
                question: question.join(" "),
                sql: sqls[random.below(sqls.len())].clone(),
                dialect: "sqlite".into(),
                language: if i % 2 == 0 { Lang::Fr } else { Lang::En },
                source: "bench".into(),
                created_by: None,
                created_at: chrono::Utc::now(),
                result_columns: None,
                result_rows: None,
                set_aside: None,
                plan: None,
                embedding_model: vectors.then(|| "bench".to_owned()),
                embedding: vectors.then(|| (0..DIMENSIONS).map(|_| random.unit()).collect()),
            }
        })
        .collect()
}

/// The index of the stored examples, by vectors when `vectors`, else by
/// words, and what building it grew the resident set by (KiB).
fn indexed(questions: &[String], sqls: &[String], vectors: bool) -> (Index, u64) {
    let before = resident_kib();
    let index = Index::build(stored(questions, sqls, vectors), vectors.then_some("bench"));
    (index, resident_kib().saturating_sub(before))
}

/// One round of the evaluation set's questions, each asked three ways: a
/// prompt without examples, with the examples picked by words, with those
/// picked by vectors.
struct Round<'a> {
    questions: &'a [String],
    /// The vector each question is asked with, in the same order.
    query_vectors: &'a [Vec<f32>],
    lexical: &'a Index,
    vectors: &'a Index,
    check: &'a Check<'a>,
    keep_all: &'a Skip<'a>,
    /// The system prompt for a question with the examples picked.
    assemble: &'a dyn Fn(&str, Picked) -> String,
}

impl Round<'_> {
    /// The nanoseconds the three ways took in all, in that order; `shown`
    /// counts the examples picked by words.
    fn timed(&self, shown: &mut usize) -> [u128; 3] {
        let (check, keep_all, assemble) = (self.check, self.keep_all, self.assemble);
        let mut times = [0u128; 3];
        for (i, question) in self.questions.iter().enumerate() {
            let started = Instant::now();
            let prompt = assemble(question, Picked::default());
            times[0] += started.elapsed().as_nanos();
            std::hint::black_box(prompt);

            let started = Instant::now();
            let (chosen, _) = choose(self.lexical.lexical(question, 50), 800, check, keep_all);
            *shown += chosen.len();
            let prompt = assemble(
                question,
                Picked {
                    examples: chosen,
                    ranking: None,
                },
            );
            times[1] += started.elapsed().as_nanos();
            std::hint::black_box(prompt);

            let started = Instant::now();
            let ranked = self.vectors.nearest(&self.query_vectors[i], 50).unwrap();
            let (chosen, _) = choose(ranked, 800, check, keep_all);
            let prompt = assemble(
                question,
                Picked {
                    examples: chosen,
                    ranking: None,
                },
            );
            times[2] += started.elapsed().as_nanos();
            std::hint::black_box(prompt);
        }
        times
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let catalog = runtime.block_on(async {
        pstral_core::sql::demo::create(&path, false).await.unwrap();
        let executor = SqliteExecutor::open(&path).await.unwrap();
        Arc::new(executor.catalog(&[]).await.unwrap())
    });
    let cases = read_cases(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/evals/demo-crm.toml"))
            .unwrap(),
        FileFormat::Toml,
    )
    .unwrap();
    let questions: Vec<String> = cases.iter().map(|c| c.question.clone()).collect();
    let sqls: Vec<String> = cases.iter().map(|c| c.gold.clone()).collect();
    let policy = Policy::new(pstral_core::sql::Dialect::Sqlite);
    let check = |example: &Example| {
        validate_in(&example.sql, &policy, Some(&catalog))
            .map(drop)
            .map_err(|r| r.to_string())
    };
    let keep_all = |_: &Example| false;
    let prompts = Prompts::new(None);
    let glossary = pstral_core::sql::demo::GLOSSARY.to_owned();
    let assemble = |question: &str, examples: Picked| {
        let context = PromptContext {
            glossary: Some(glossary.clone()),
            schema: catalog.context_for(question, 1500),
            examples,
            ..Default::default()
        };
        prompts.system(
            Mode::Sql,
            Lang::En,
            pstral_core::sql::Dialect::Sqlite,
            &context,
        )
    };
    let mut random = Random(42);
    let query_vectors: Vec<Vec<f32>> = (0..questions.len())
        .map(|_| (0..DIMENSIONS).map(|_| random.unit()).collect())
        .collect();

    let (lexical, lexical_kib) = indexed(&questions, &sqls, false);
    let (vectors, vectors_kib) = indexed(&questions, &sqls, true);
    assert_eq!((lexical.len(), vectors.len()), (STORED, STORED));

    println!(
        "retrieval: {STORED} stored examples, {} questions a round, {ROUNDS} rounds after a warm-up; \
         vectors of {DIMENSIONS} dimensions",
        questions.len()
    );
    println!(
        "{:<10} {:>16} {:>16} {:>16} {:>10} {:>12}",
        "round", "no examples µs", "words µs", "vectors µs", "words ×", "vectors ×"
    );
    let round = Round {
        questions: &questions,
        query_vectors: &query_vectors,
        lexical: &lexical,
        vectors: &vectors,
        check: &check,
        keep_all: &keep_all,
        assemble: &assemble,
    };
    let mut shown = 0usize;
    for round_number in 0..=ROUNDS {
        let times = round.timed(&mut shown);
        if round_number == 0 {
            continue; // the warm-up
        }
        let per = |t: u128| t as f64 / questions.len() as f64 / 1000.0;
        println!(
            "{:<10} {:>16.1} {:>16.1} {:>16.1} {:>10.2} {:>12.2}",
            round_number,
            per(times[0]),
            per(times[1]),
            per(times[2]),
            times[1] as f64 / times[0] as f64,
            times[2] as f64 / times[0] as f64
        );
    }
    println!(
        "memory kept by the index (resident set growth): words {:.1} MiB, vectors {:.1} MiB; \
         examples shown a question by words: {:.1} on average",
        lexical_kib as f64 / 1024.0,
        vectors_kib as f64 / 1024.0,
        shown as f64 / (questions.len() * (ROUNDS + 1)) as f64
    );
}
