//! From a question to the statements that may be offered: the SQL prompt
//! (instructions, today, glossary, tables and values, examples, history,
//! question), the statements found in the model's answer, each judged as it
//! would be offered (the validator, then EXPLAIN), and the one repair round
//! when none may be offered.
//!
//! The semantic path (`SqlAnswer::planned`: a plan of the target's
//! definitions, compiled, rather than the model's own SQL) is the sibling
//! module `planned`'s.
//!
//! With `sql.candidates` above one, more answers are drawn and the
//! statement most of them agree on is the one recommended ([`super::vote`]).
//!
//! The bot (`bot::ask`) and `pstral eval` both go through here, so the
//! evaluation measures what the bot offers by construction. Only how the
//! model's answer is obtained differs: streamed into a chat message by the
//! bot, collected whole by the evaluation.

use crate::conversation::{Mode, Prompts, StoredMessage, assemble};
use crate::i18n::{Lang, Sql};
use crate::learn::{PromptContext, Skip};
use crate::llm::{ChatMessage, ChatRole, Llm, LlmError, Sampling};
use crate::sql::validate::Validated;

use std::sync::Arc;

use super::{SqlRuntime, Unoffered};
use crate::sql::Doubt;

/// One question's way to SQL on one target, in one language.
pub struct SqlAnswer<'a> {
    pub runtime: &'a SqlRuntime,
    pub llm: &'a Llm,
    pub prompts: &'a Prompts,
    pub lang: Lang,
    /// Every signal of doubt is measured, whatever `sql.ask_back` says:
    /// `pstral eval`.
    pub measured: bool,
    /// The examples ranked for its questions, once each (see
    /// [`crate::learn::Ranked`]): the plan path and the free path choose
    /// from the same ranking.
    pub ranked: Rankings,
}

/// The examples ranked for each question an answer asks (the question, a
/// follow-up read with the one it follows), kept for the answer's life.
#[derive(Default)]
pub struct Rankings(tokio::sync::Mutex<Vec<Arc<crate::learn::Ranked>>>);

/// A statement of an answer, with the verdict the bot acts on.
#[derive(Debug, Clone)]
pub struct Judged {
    /// 1-based, in the order of the answer: what `run N` names.
    pub index: u32,
    /// As found in the answer.
    pub text: String,
    /// What may run and the database's row estimate, or why not.
    pub verdict: Result<(Validated, Option<u64>), Unoffered>,
}

/// The statement most answers agree on, when more than one is drawn.
#[derive(Debug, Clone)]
pub struct Agreed {
    /// The statement, as the earliest candidate holding it wrote it; its
    /// verdict is an offer.
    pub statement: Judged,
    /// That candidate: 0 is the first answer (the one the asker saw).
    pub candidate: usize,
    /// How many candidates agree on it, of how many were drawn in all.
    pub votes: usize,
    pub of: usize,
}

/// The answers drawn beside the first, and what they agree on.
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    /// Each further answer as the model wrote it, or why it has none.
    pub answers: Vec<Result<String, String>>,
    /// The pieces they came in, all together.
    pub pieces: u64,
    /// `None` when no candidate holds a statement that may be offered.
    pub agreed: Option<Agreed>,
    /// The distinct statements that may be offered, the one most
    /// candidates hold first (ties to the earliest), three at most, each
    /// as the earliest candidate holding it wrote it.
    pub choices: Vec<Judged>,
    /// The candidates disagree, as drawn plans do
    /// ([`super::readings::tally`]): the statement most hold has no clear
    /// majority; a candidate with none counts against it.
    pub split: bool,
}

impl Drawn {
    /// Whether the bot asks back rather than offer: the candidates split,
    /// `on` (`sql.ask_back`) names that doubt, and there are two
    /// statements at least to choose from.
    pub fn asks(&self, on: &[Doubt]) -> bool {
        self.split && self.choices.len() >= 2 && on.contains(&Doubt::Split)
    }
}

/// How a model's answer ended, as far as its statements go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The model finished it.
    Finished,
    /// It was ended for the model, which ran on: at its length bound, or in
    /// a loop. What it wrote stands, but the statement the cut fell in may
    /// have lost its end and still read as a query: only the statements the
    /// answer went on after are offered ([`crate::sql::extract::whole`]).
    RanOn,
}

impl Ended {
    /// How an answer whose stream ended with `ending` ended, when its
    /// statements may be offered at all: not when someone stopped it, nor
    /// when the model failed or could not be reached.
    pub fn of(ending: &crate::stream::Ending) -> Option<Self> {
        use crate::stream::Ending;
        match ending {
            Ending::Complete => Some(Self::Finished),
            Ending::Failed(e) if Self::ran_on(e) => Some(Self::RanOn),
            Ending::Stopped | Ending::Failed(_) => None,
        }
    }

    fn ran_on(error: &LlmError) -> bool {
        matches!(error, LlmError::LengthLimit | LlmError::Repeating)
    }
}

/// An answer the model wrote, collected whole.
#[derive(Debug, Clone)]
pub struct Written {
    pub text: String,
    /// The pieces it came in.
    pub pieces: u64,
    /// From asking to the first piece: the queue, the server reading the
    /// prompt it has not cached, the first token.
    pub first_token: Option<std::time::Duration>,
    /// Why it was ended before the model finished it ([`Ended::RanOn`]),
    /// for a report.
    pub cut: Option<String>,
    /// Its tokens with their log-probabilities, where the server gives
    /// them.
    pub logprobs: Vec<(String, f64)>,
}

impl Written {
    pub fn ended(&self) -> Ended {
        match self.cut {
            Some(_) => Ended::RanOn,
            None => Ended::Finished,
        }
    }
}

/// What the semantic path made of a question.
#[derive(Debug, Clone)]
pub enum Planned {
    /// A plan compiled: `answer` is what the person reads (how the question
    /// was read, then the statement), `sql` the statement in it.
    Compiled {
        answer: String,
        sql: String,
        plan: Box<crate::semantic::Plan>,
    },
    /// The bot doubts its reading ([`super::readings::Weighed::raised`],
    /// on a signal `sql.ask_back` names) and asks which is meant:
    /// `answer` says why and shows `readings` (one to three) in words.
    Asked {
        answer: String,
        readings: Vec<super::readings::Reading>,
        /// The asker's language, which `answer` is in: how to pick is
        /// said in it too.
        lang: Lang,
    },
    /// A value the data does not hold: said to the person, never guessed.
    Said(String),
    /// Left to the model's own SQL, and why.
    Free(String),
}

/// A plan's way, for a report: the model's answers and what came of them.
#[derive(Debug, Clone, Default)]
pub struct PlanTrace {
    /// The model's answers, the repair round's second.
    pub answers: Vec<String>,
    pub pieces: u64,
    pub prompt_tokens: u64,
    pub first_token: Option<std::time::Duration>,
    /// The confirmed examples whose plans the prompt showed.
    pub examples: Vec<i64>,
    /// The example confirmed for the same question, whose plan was taken
    /// without asking the model.
    pub reused: Option<i64>,
    /// The question as read when it followed an earlier answer's plan: the
    /// earlier question, then the follow-up.
    pub follows: Option<String>,
    /// The further plans drawn (`sql.plan_votes`), as written, or why one
    /// has none.
    pub drawn: Vec<String>,
    /// The readings weighed and the doubts they raise, when a plan
    /// compiled.
    pub weighed: Option<super::readings::Weighed>,
}

/// The plan an earlier answer of the conversation was compiled from, with
/// the question it answered: what a follow-up in the same thread or reply
/// chain changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// The question, the turns of a chain of follow-ups joined by
    /// [`FOLLOWED_BY`].
    pub question: String,
    /// The plan, as JSON.
    pub plan: String,
    /// The follow-up replies to that answer (rather than being the next
    /// message of its thread).
    pub replied: bool,
}

/// What joins a question and the follow-ups read with it, in what is kept
/// of them.
pub const FOLLOWED_BY: &str = " — ";

impl Previous {
    /// The whole question a follow-up asks: the earlier one, then it.
    pub fn followed_by(&self, follow_up: &str) -> String {
        format!("{}{FOLLOWED_BY}{follow_up}", self.question)
    }
}

/// The whole answer `tokens` bring, asked at `asked`. An answer ended at
/// the model's length bound or in a loop is kept as far as it went, with
/// why it was cut ([`Ended::RanOn`]).
pub(super) async fn collect(
    tokens: crate::llm::TokenStream,
    asked: std::time::Instant,
) -> Result<Written, String> {
    use futures_util::StreamExt;
    let logprobs = tokens.logprobs();
    let taken = || std::mem::take(&mut *logprobs.lock().expect("never poisoned"));
    let mut stream = tokens.into_stream();
    let (mut text, mut pieces, mut first_token) = (String::new(), 0, None);
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(piece) => {
                first_token.get_or_insert_with(|| asked.elapsed());
                pieces += 1;
                text.push_str(&piece);
            }
            Err(e) if Ended::ran_on(&e) => {
                return Ok(Written {
                    text,
                    pieces,
                    first_token,
                    cut: Some(e.to_string()),
                    logprobs: taken(),
                });
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(Written {
        text,
        pieces,
        first_token,
        cut: None,
        logprobs: taken(),
    })
}

/// The first statement of `judged` that may be offered.
fn first_offer(judged: &[Judged]) -> Option<Judged> {
    judged.iter().find(|j| j.verdict.is_ok()).cloned()
}

/// What a statement that may be offered agrees with others by.
fn key_of(offered: &Judged) -> Option<String> {
    let (valid, _) = offered.verdict.as_ref().ok()?;
    super::vote::agreement_key(&valid.text, valid.dialect)
}

impl SqlAnswer<'_> {
    /// The target's examples ranked for `question`, ranked the first time
    /// one of its prompts asks; `None` without examples, or when no prompt
    /// shows any (`sql.examples_budget` is 0).
    pub async fn ranked(&self, question: &str) -> Option<Arc<crate::learn::Ranked>> {
        let learning = self.runtime.learning.as_ref()?;
        if self.runtime.examples_budget == 0 {
            return None;
        }
        let mut known = self.ranked.0.lock().await;
        if let Some(ranked) = known.iter().find(|r| r.question() == question) {
            return Some(Arc::clone(ranked));
        }
        let ranked = Arc::new(learning.rank(self.llm, question).await);
        known.push(Arc::clone(&ranked));
        Some(ranked)
    }

    /// The messages for `question` after `history`, and what the system
    /// prompt shows. The examples `skip` names are left out; the target's
    /// values are shown only when `values` (the asker may read data).
    pub async fn messages(
        &self,
        question: &str,
        history: &[StoredMessage],
        skip: &Skip<'_>,
        values: bool,
    ) -> (Vec<ChatMessage>, PromptContext) {
        let ranked = match self
            .runtime
            .free_prompt
            .has(crate::sql::PromptPart::Examples)
        {
            true => self.ranked(question).await,
            false => None,
        };
        let context = self
            .runtime
            .prompt_context_skipping(self.llm, question, skip, values, ranked.as_deref())
            .await;
        let system =
            self.prompts
                .system(Mode::Sql, self.lang, self.runtime.policy.dialect, &context);
        (assemble(system, history, question), context)
    }

    /// The model's whole answer to `messages`, drawn with `sampling` when
    /// given. An answer ended at the model's length bound or in a loop is
    /// kept as far as it went, as the chat keeps it ([`Ended::RanOn`]).
    ///
    /// # Errors
    /// The model's failure, as its text.
    pub async fn written(
        &self,
        user: i64,
        messages: &[ChatMessage],
        sampling: Option<Sampling>,
    ) -> Result<Written, String> {
        let asked = std::time::Instant::now();
        let (position, _) = tokio::sync::watch::channel(0);
        let tokens = self
            .llm
            .ask_sampled(user, messages, &position, sampling)
            .await
            .map_err(|e| e.to_string())?;
        collect(tokens, asked).await
    }

    /// Whether [`SqlAnswer::vote`] draws further answers after `first`.
    fn draws_more(&self, first: &[Judged]) -> bool {
        self.runtime.candidates.count > 1 && !first.is_empty()
    }

    /// Whether [`SqlAnswer::repair`] may ask for a repair round of an
    /// answer whose statements are `judged`: none may be offered, it ended
    /// on its own, and the prompt has its repair part.
    fn may_repair(&self, judged: &[Judged], ended: Ended) -> bool {
        ended != Ended::RanOn
            && !judged.iter().any(|j| j.verdict.is_ok())
            && self.runtime.free_prompt.has(crate::sql::PromptPart::Repair)
    }

    /// Whether what follows an answer whose statements are `judged` (a
    /// repair round, more answers drawn) needs the free path's messages: a
    /// caller that builds them only when asked builds them only then.
    pub fn needs_free_messages(&self, judged: &[Judged], ended: Ended) -> bool {
        self.may_repair(judged, ended) || self.draws_more(judged)
    }

    /// With `sql.candidates` above one, draws the further answers to
    /// `messages` (each at the candidates' temperature with a seed of its
    /// own, so that a run repeats) and judges each; the statement most of
    /// them, `first` included, agree on is the one recommended. `None` when
    /// no further answer is drawn: also when the first answer holds no SQL
    /// at all (a remark that is no question of data would cost as many
    /// answers for nothing; `sql.ask_again_without_sql` is for that).
    pub async fn vote(
        &self,
        user: i64,
        messages: &[ChatMessage],
        first: &[Judged],
    ) -> Option<Drawn> {
        let candidates = self.runtime.candidates;
        if !self.draws_more(first) {
            return None;
        }
        let mut drawn = Drawn::default();
        let mut offers = vec![first_offer(first)];
        for seed in 1..candidates.count as u64 {
            let sampling = Sampling {
                temperature: candidates.temperature,
                seed,
            };
            match self.written(user, messages, Some(sampling)).await {
                Ok(written) => {
                    drawn.pieces += written.pieces;
                    offers.push(first_offer(
                        &self.judge(&written.text, written.ended()).await,
                    ));
                    drawn.answers.push(Ok(written.text));
                }
                Err(e) => {
                    offers.push(None);
                    drawn.answers.push(Err(e));
                }
            }
        }
        let keys: Vec<Option<String>> =
            offers.iter().map(|o| o.as_ref().and_then(key_of)).collect();
        let tally = super::vote::tally(&keys);
        drawn.split = tally.split;
        drawn.choices = tally
            .firsts
            .iter()
            .take(3)
            .filter_map(|&c| offers[c].clone())
            .collect();
        drawn.agreed =
            tally
                .firsts
                .first()
                .zip(tally.votes.first())
                .and_then(|(&candidate, &votes)| {
                    Some(Agreed {
                        statement: offers[candidate].take()?,
                        candidate,
                        votes,
                        of: keys.len(),
                    })
                });
        Some(drawn)
    }

    /// The one statement the bot wrote from a plan, judged as it would be
    /// offered: the statement itself, never one found again in the text it
    /// is shown in (a value of the plan cannot open a block of its own).
    pub async fn judge_compiled(&self, sql: &str) -> Vec<Judged> {
        let verdict = self.runtime.judge_block(sql, 1, self.lang).await;
        vec![Judged {
            index: 1,
            text: sql.to_owned(),
            verdict,
        }]
    }

    /// Every statement of `answer` that may be offered as it `ended`,
    /// judged as it would be offered, in order.
    pub async fn judge(&self, answer: &str, ended: Ended) -> Vec<Judged> {
        let blocks = match ended {
            Ended::Finished => crate::sql::extract::extract(answer),
            Ended::RanOn => crate::sql::extract::whole(answer),
        };
        let mut judged = Vec::new();
        for block in blocks {
            let verdict = self
                .runtime
                .judge_block(&block.text, block.index, self.lang)
                .await;
            judged.push(Judged {
                index: block.index,
                text: block.text,
                verdict,
            });
        }
        judged
    }

    /// The repair round's messages: `messages` and the model's `answer`,
    /// then the reasons its statements could not be offered, or (when the
    /// runtime asks again, `SqlRuntime::ask_again_without_sql`) that it
    /// held none. `None` when a statement may be offered (the asker has a
    /// query to run), when the answer holds none and the runtime does not
    /// ask again, or when no failure is the model's to fix (the target is
    /// down); nor for an answer the model ran on (given back, a loop or an
    /// answer as long as the bound invites another, and the statement it
    /// was writing when cut is no answer to correct); nor when the free
    /// prompt leaves the repair round out (`sql.free_prompt`).
    pub fn repair(
        &self,
        messages: &[ChatMessage],
        answer: &str,
        judged: &[Judged],
        ended: Ended,
    ) -> Option<Vec<ChatMessage>> {
        if !self.may_repair(judged, ended) {
            return None;
        }
        if judged.is_empty() {
            if !self.runtime.ask_again_without_sql || answer.trim().is_empty() {
                return None;
            }
            let mut again = messages.to_vec();
            again.push(ChatMessage::new(ChatRole::Assistant, answer));
            again.push(ChatMessage::new(
                ChatRole::User,
                Sql::AskedAgain.render(self.lang),
            ));
            return Some(again);
        }
        let reasons: Vec<&str> = judged
            .iter()
            .filter_map(|j| j.verdict.as_ref().err())
            .filter(|u| u.repairable)
            .map(|u| u.reason.as_str())
            .collect();
        if reasons.is_empty() {
            return None;
        }
        let mut repair = messages.to_vec();
        repair.push(ChatMessage::new(ChatRole::Assistant, answer));
        repair.push(ChatMessage::new(
            ChatRole::User,
            Sql::RepairRequest {
                reasons: &reasons.join(" "),
            }
            .render(self.lang),
        ));
        Some(repair)
    }
}
