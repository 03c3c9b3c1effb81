//! SQL that gets better with use: the examples users confirm, the glossary
//! an admin writes, and what of both goes into a question's prompt.
//!
//! - [`examples`]: the confirmed question → SQL pairs of each target, stored.
//! - [`retrieve`]: the ones most similar to a question (embeddings, or BM25
//!   on folded words when there is no embedding model).
//! - [`glossary`]: the target's business terms, within their own budget.
//!
//! How often the offered SQL returns the right rows is [`crate::eval`]'s.
//!
//! An example is judged by the target's policy when it is stored and again
//! each time it is about to be shown to the model: one that no longer
//! passes (its tables left the catalogue) is set aside with the reason,
//! never deleted, and taken back once it passes again ([`Learning::recheck`]).

pub mod examples;
pub mod glossary;
pub mod retrieve;
pub mod text;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::llm::tokens_of;
use examples::{Example, Examples, Version};
use retrieve::{Index, Ranking, render};

use crate::llm::Llm;

/// The most examples a prompt shows, whatever the budget: past ten,
/// published results (Vanna's, DAIL-SQL's) gain nothing and the prompt
/// grows.
pub const MAX_SHOWN: usize = 10;

/// How soon embeddings are tried again after the model server failed.
const EMBED_RETRY: Duration = Duration::from_secs(60);

/// What a SQL prompt shows beside the question: the target's glossary,
/// its tables relevant to the question, and the most similar examples.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    /// Today's date, as the model should take it (it has no clock).
    pub today: Option<chrono::NaiveDate>,
    /// The target's data stands at `today` (a frozen copy), which the
    /// database's own clock does not know.
    pub frozen: bool,
    pub glossary: Option<String>,
    pub schema: String,
    pub examples: Picked,
    /// Values the target holds close to words of the question, as
    /// `table.column = 'value'`.
    pub near: Vec<String>,
    /// The glossary's entries that bear on the question (see
    /// [`glossary::Glossary::applying_to`]), shown again beside it.
    pub definitions: Vec<String>,
    /// The parts of the SQL prompt's own text it holds besides these:
    /// its instructions, the dialect's syntax (`sql.free_prompt`).
    pub parts: crate::sql::FreePrompt,
}

/// The most glossary entries shown again beside a question.
pub const MAX_DEFINITIONS: usize = 3;

/// From ranked examples (best first), those that pass `check`, as many as
/// fit in `budget_tokens` (at most [`MAX_SHOWN`]), most similar last; and
/// those that failed `check`, with the reason.
pub fn choose(
    ranked: Vec<(Arc<Example>, f32)>,
    budget_tokens: usize,
    check: &Check<'_>,
    skip: &Skip<'_>,
) -> (Vec<Arc<Example>>, Vec<(i64, String)>) {
    let mut chosen = Vec::new();
    let mut refused = Vec::new();
    let mut used = 0;
    for (example, _) in ranked {
        if chosen.len() == MAX_SHOWN {
            break;
        }
        if let Err(reason) = check(&example) {
            refused.push((example.id, reason));
            continue;
        }
        if !retrieve::shown(&example) || skip(&example) {
            continue;
        }
        let cost = tokens_of(&render(&example)) + 1;
        if used + cost > budget_tokens {
            continue;
        }
        used += cost;
        chosen.push(example);
    }
    chosen.reverse();
    (chosen, refused)
}

/// Judges an example now: `Err(why)` when it may not be shown (the policy
/// refuses its SQL, its tables left the catalogue, it was written for
/// another dialect).
pub type Check<'a> = dyn Fn(&Example) -> Result<(), String> + Sync + 'a;

/// Leaves an example out of one prompt without judging it (an evaluation
/// leaves out the examples of the question it asks).
pub type Skip<'a> = dyn Fn(&Example) -> bool + Sync + 'a;

/// Changes the example `id` of a fixed set, in place.
fn change_held(
    examples: &std::sync::Mutex<Vec<Example>>,
    id: i64,
    change: impl FnOnce(&mut Example),
) {
    let mut held = examples.lock().expect("never poisoned");
    if let Some(e) = held.iter_mut().find(|e| e.id == id) {
        change(e);
    }
}

/// Where a target's examples live.
enum Backing {
    /// The own database, shared with the CLI and the admin API.
    Store(Examples),
    /// A fixed set held here (an evaluation's training half).
    Fixed(std::sync::Mutex<Vec<Example>>),
}

/// The examples of one target, searched for each question.
pub struct Learning {
    target: String,
    backing: Backing,
    embedding_model: Option<String>,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The store's version the index was built from.
    version: Option<Version>,
    index: Arc<Index>,
    /// When embeddings failed, not before this.
    embed_after: Option<Instant>,
}

/// The examples ranked for one question, once: every prompt of that
/// question (the plan's confirmed plans, the free path's examples) chooses
/// from this ranking, the question embedded at most once and each example
/// judged at most once.
pub struct Ranked {
    question: String,
    ranked: Vec<(Arc<Example>, f32)>,
    ranking: Ranking,
    /// Each example's verdict, by id, once judged.
    judged: std::sync::Mutex<std::collections::HashMap<i64, Result<(), String>>>,
}

impl Ranked {
    /// The question they were ranked for.
    pub fn question(&self) -> &str {
        &self.question
    }
}

/// The examples chosen for a prompt, most similar last.
#[derive(Debug, Clone, Default)]
pub struct Picked {
    pub examples: Vec<Arc<Example>>,
    pub ranking: Option<Ranking>,
}

impl Picked {
    /// The examples as the prompt shows them, most similar last.
    pub fn text(&self) -> String {
        self.examples
            .iter()
            .map(|e| render(e))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn ids(&self) -> Vec<i64> {
        self.examples.iter().map(|e| e.id).collect()
    }
}

impl Learning {
    /// The examples of `target` on the own database.
    pub fn stored(examples: Examples, target: &str, embedding_model: Option<&str>) -> Self {
        Self::with(Backing::Store(examples), target, embedding_model)
    }

    /// A fixed set of examples, held in memory.
    pub fn fixed(examples: Vec<Example>, target: &str, embedding_model: Option<&str>) -> Self {
        Self::with(
            Backing::Fixed(std::sync::Mutex::new(examples)),
            target,
            embedding_model,
        )
    }

    fn with(backing: Backing, target: &str, embedding_model: Option<&str>) -> Self {
        Self {
            target: target.to_owned(),
            backing,
            embedding_model: embedding_model.map(str::to_owned),
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// The store the examples live in, unless they are a fixed set.
    pub fn store(&self) -> Option<&Examples> {
        match &self.backing {
            Backing::Store(store) => Some(store),
            Backing::Fixed(_) => None,
        }
    }

    /// The index as it stands, built again when the examples changed (in
    /// this process or another), with the embeddings that are missing made
    /// first when there is an embedding model.
    pub async fn index(&self, llm: &Llm) -> Arc<Index> {
        let mut state = self.state.lock().await;
        let version = match &self.backing {
            Backing::Store(store) => match store.version(&self.target).await {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the examples; using those read before");
                    return Arc::clone(&state.index);
                }
            },
            Backing::Fixed(_) => None,
        };
        let fresh = state.version.is_some() && state.version == version;
        let fixed_built = matches!(self.backing, Backing::Fixed(_)) && !state.index.is_empty();
        let wants_vectors = self
            .embedding_model
            .as_deref()
            .is_some_and(|m| !state.index.has_vectors_of(m))
            && state.embed_after.is_none_or(|t| Instant::now() >= t);
        // Built and current, unless vectors are wanted for what it holds.
        if (fresh || fixed_built) && (!wants_vectors || state.index.is_empty()) {
            return Arc::clone(&state.index);
        }
        // The version is read before the examples: a change made while
        // they are read is seen at the next question.
        let mut all = match self.load().await {
            Ok(all) => all,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the examples; using those read before");
                return Arc::clone(&state.index);
            }
        };
        let mut embedded = 0;
        if let Some(model) = &self.embedding_model
            && state.embed_after.is_none_or(|t| Instant::now() >= t)
        {
            match self.embed_missing(llm, model, &mut all).await {
                Ok(n) => {
                    embedded = n;
                    state.embed_after = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, model, "cannot embed the examples; ranking them by their words for now");
                    state.embed_after = Some(Instant::now() + EMBED_RETRY);
                }
            }
        }
        state.index = Arc::new(Index::build(all, self.embedding_model.as_deref()));
        // Keeping new vectors changed the version; that change is ours.
        state.version = match &self.backing {
            Backing::Store(store) if embedded > 0 => store.version(&self.target).await.ok(),
            _ => version,
        };
        Arc::clone(&state.index)
    }

    async fn load(&self) -> Result<Vec<Example>, crate::store::StoreError> {
        match &self.backing {
            Backing::Store(store) => store.list(Some(&self.target)).await,
            Backing::Fixed(examples) => Ok(examples.lock().expect("never poisoned").clone()),
        }
    }

    /// Embeds, in batches, the questions of the examples in use that have
    /// no vector from `model` yet, and keeps the vectors; returns how many.
    async fn embed_missing(
        &self,
        llm: &Llm,
        model: &str,
        all: &mut [Example],
    ) -> Result<usize, crate::llm::LlmError> {
        let missing: Vec<usize> = (0..all.len())
            .filter(|&i| {
                all[i].set_aside.is_none() && all[i].embedding_model.as_deref() != Some(model)
            })
            .collect();
        for batch in missing.chunks(32) {
            let texts: Vec<String> = batch.iter().map(|&i| all[i].question.clone()).collect();
            let vectors = llm.embed(&texts).await?;
            for (&i, vector) in batch.iter().zip(vectors) {
                all[i].embedding_model = Some(model.to_owned());
                all[i].embedding = Some(vector.clone());
                match &self.backing {
                    Backing::Store(store) => {
                        if let Err(e) = store.set_embedding(all[i].id, model, &vector).await {
                            tracing::warn!(error = %e, "cannot keep an example's embedding");
                        }
                    }
                    Backing::Fixed(examples) => change_held(examples, all[i].id, |e| {
                        e.embedding_model = Some(model.to_owned());
                        e.embedding = Some(vector);
                    }),
                }
            }
        }
        Ok(missing.len())
    }

    /// The examples most similar to `question` that pass `check` now, as
    /// many as fit in `budget_tokens` (at most [`MAX_SHOWN`]), most similar
    /// last. One that fails `check` is set aside with the reason.
    pub async fn pick(
        &self,
        llm: &Llm,
        question: &str,
        budget_tokens: usize,
        check: &Check<'_>,
        skip: &Skip<'_>,
    ) -> Picked {
        if budget_tokens == 0 {
            return Picked::default();
        }
        let ranked = self.rank(llm, question).await;
        self.choose_from(&ranked, budget_tokens, check, skip).await
    }

    /// The examples ranked by their likeness to `question`: by the
    /// embedding of the question when the examples have vectors of the
    /// embedding model (the one call that embeds it), else by their words.
    pub async fn rank(&self, llm: &Llm, question: &str) -> Ranked {
        let index = self.index(llm).await;
        let wanted = MAX_SHOWN * 5;
        let mut ranked = None;
        if !index.is_empty()
            && let Some(model) = &self.embedding_model
            && index.has_vectors_of(model)
        {
            match llm.embed(&[question.to_owned()]).await {
                Ok(mut v) if !v.is_empty() => {
                    ranked = index
                        .nearest(&v.swap_remove(0), wanted)
                        .map(|r| (r, Ranking::Embedding));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot embed a question; ranking examples by their words")
                }
            }
        }
        let (ranked, ranking) =
            ranked.unwrap_or_else(|| (index.lexical(question, wanted), Ranking::Lexical));
        Ranked {
            question: question.to_owned(),
            ranked,
            ranking,
            judged: std::sync::Mutex::default(),
        }
    }

    /// [`Learning::pick`] from examples ranked already: each judged by
    /// `check` once for all the prompts of one question, and one that
    /// fails it set aside once.
    pub async fn choose_from(
        &self,
        ranked: &Ranked,
        budget_tokens: usize,
        check: &Check<'_>,
        skip: &Skip<'_>,
    ) -> Picked {
        if budget_tokens == 0 || ranked.ranked.is_empty() {
            return Picked::default();
        }
        let fresh = std::sync::Mutex::new(Vec::new());
        let judged = |example: &Example| {
            let mut known = ranked.judged.lock().expect("never poisoned");
            known
                .entry(example.id)
                .or_insert_with(|| {
                    let verdict = check(example);
                    if let Err(reason) = &verdict {
                        fresh
                            .lock()
                            .expect("never poisoned")
                            .push((example.id, reason.clone()));
                    }
                    verdict
                })
                .clone()
        };
        let (chosen, _) = choose(ranked.ranked.clone(), budget_tokens, &judged, skip);
        for (id, reason) in fresh.into_inner().expect("never poisoned") {
            self.put_aside(id, &reason).await;
        }
        Picked {
            ranking: (!chosen.is_empty()).then_some(ranked.ranking),
            examples: chosen,
        }
    }

    async fn put_aside(&self, id: i64, reason: &str) {
        tracing::info!(
            example = id,
            reason,
            "an example no longer passes; set aside"
        );
        if let Err(e) = self.set_aside(id, Some(reason)).await {
            tracing::warn!(error = %e, "cannot set an example aside");
        }
    }

    /// Sets an example aside with the reason, or takes it back (`None`),
    /// wherever it lives.
    async fn set_aside(
        &self,
        id: i64,
        reason: Option<&str>,
    ) -> Result<(), crate::store::StoreError> {
        match &self.backing {
            Backing::Store(store) => store.set_aside(id, reason).await,
            Backing::Fixed(examples) => {
                change_held(examples, id, |e| e.set_aside = reason.map(str::to_owned));
                Ok(())
            }
        }
    }

    /// Judges every example of the target again (after the catalogue was
    /// read): those that fail are set aside, those set aside that pass
    /// again are taken back. Returns (set aside, taken back).
    ///
    /// # Errors
    /// A store failure.
    pub async fn recheck(
        &self,
        check: &Check<'_>,
    ) -> Result<(usize, usize), crate::store::StoreError> {
        let all = self.load().await?;
        let (mut aside, mut back) = (0, 0);
        for example in all {
            match (check(&example), &example.set_aside) {
                (Err(reason), None) => {
                    self.put_aside(example.id, &reason).await;
                    aside += 1;
                }
                (Ok(()), Some(_)) => {
                    self.set_aside(example.id, None).await?;
                    back += 1;
                }
                _ => {}
            }
        }
        Ok((aside, back))
    }
}
