//! From a question to the statements that may be offered: the SQL prompt
//! (instructions, today, glossary, tables and values, examples, history,
//! question), the statements found in the model's answer, each judged as it
//! would be offered (the validator, then EXPLAIN), and the one repair round
//! when none may be offered.
//!
//! With `sql.candidates` above one, more answers are drawn and the
//! statement most of them agree on is the one recommended ([`super::vote`]).
//!
//! The bot (`bot::ask`) and `pstral eval` both go through here, so the
//! evaluation measures what the bot offers by construction. Only how the
//! model's answer is obtained differs: streamed into a chat message by the
//! bot, collected whole by the evaluation.

use crate::conversation::{Mode, Prompts, StoredMessage, assemble};
use crate::i18n::{Doubted, Lang, Readings, Sql};
use crate::learn::{PromptContext, Skip};
use crate::llm::{ChatMessage, ChatRole, Llm, LlmError, Sampling};
use crate::sql::validate::Validated;

use std::sync::Arc;

use super::asked::{mentions, only_asked_values};
use super::readings::{Reading, Weighed};
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

/// How the plans drawn for one question are read: on its definitions,
/// with what it names, values shown or not, in the conversation's
/// language and the target's dialect.
struct Read<'a> {
    semantic: &'a crate::semantic::Semantic,
    named: &'a crate::semantic::named::Named,
    values: bool,
    lang: Lang,
    dialect: crate::sql::Dialect,
}

impl Read<'_> {
    /// A model's plan read, dated with the period the question names (as
    /// the bot read it), resolved and compiled.
    fn compiled(
        &self,
        text: &str,
    ) -> Result<(crate::semantic::plan::Resolved, String), crate::semantic::PlanError> {
        let mut plan = crate::semantic::plan::read(text)?;
        self.named.date(&mut plan, &self.semantic.definitions);
        self.resolved(plan)
    }

    fn resolved(
        &self,
        plan: crate::semantic::Plan,
    ) -> Result<(crate::semantic::plan::Resolved, String), crate::semantic::PlanError> {
        let resolved = self.semantic.resolve_for(plan, self.values)?;
        let sql = self.semantic.compile(&resolved, self.dialect)?;
        Ok((resolved, sql))
    }

    /// A plan that compiled as a reading: in words, with its key and gaps.
    fn reading(&self, resolved: crate::semantic::plan::Resolved, sql: String) -> Reading {
        let words = self
            .semantic
            .reading(&resolved, self.lang)
            .render(self.lang);
        let held = resolved.clone().held();
        let gaps = crate::semantic::doubt::gaps(&held, self.named, &self.semantic.definitions);
        Reading {
            key: held.key(),
            plan: resolved.plan,
            words,
            sql,
            gaps,
        }
    }

    /// The first doubt `on` names, as said to the asker: the draws'
    /// disagreement, else the first reading's first gap, else its repair.
    fn doubted<'s>(&'s self, weighed: &'s Weighed, on: &[Doubt]) -> Doubted<'s> {
        use crate::i18n::reading::Grain as WordGrain;
        use crate::semantic::doubt::{LeftOut, Unsaid};
        use crate::semantic::plan::Grain;
        let d = &self.semantic.definitions;
        let label = |name: &'s str| -> &'s str {
            d.dimensions
                .get(name)
                .map(|x| x.label.get(self.lang))
                .or_else(|| d.segments.get(name).map(|x| x.label.get(self.lang)))
                .or_else(|| d.measures.get(name).map(|x| x.label.get(self.lang)))
                .unwrap_or(name)
        };
        let gaps = &weighed.readings[0].gaps;
        let raised = |doubt: Doubt| on.contains(&doubt) && weighed.raised.contains(&doubt);
        if raised(Doubt::Split) {
            return Doubted::Split;
        }
        if raised(Doubt::LeftOut)
            && let Some(gap) = gaps.left_out.first()
        {
            return match gap {
                LeftOut::Value { value, .. } => Doubted::LeftOutValue(value),
                LeftOut::Segment(s) => Doubted::LeftOutSegment(label(s)),
                LeftOut::Period => Doubted::LeftOutPeriod,
                LeftOut::Grain(g) => match g {
                    // A grain left out is never "none" ([`crate::semantic::doubt::gaps`]).
                    Grain::Day | Grain::None => Doubted::LeftOutGrain(WordGrain::Day),
                    Grain::Week => Doubted::LeftOutGrain(WordGrain::Week),
                    Grain::Month => Doubted::LeftOutGrain(WordGrain::Month),
                    Grain::Quarter => Doubted::LeftOutGrain(WordGrain::Quarter),
                    Grain::Year => Doubted::LeftOutGrain(WordGrain::Year),
                },
                LeftOut::Number(n) => Doubted::LeftOutNumber(*n),
                LeftOut::Share => Doubted::LeftOutShare,
            };
        }
        if raised(Doubt::Unsaid)
            && let Some(gap) = gaps.unsaid.first()
        {
            return match gap {
                Unsaid::Filter { dimension } => Doubted::UnsaidFilter(label(dimension)),
                Unsaid::Segment(s) => Doubted::UnsaidSegment(label(s)),
                Unsaid::Measure(m) => Doubted::UnsaidMeasure(label(m)),
            };
        }
        if raised(Doubt::Repaired) {
            return Doubted::Repaired;
        }
        Doubted::Unsure
    }
}

/// The whole answer `tokens` bring, asked at `asked`. An answer ended at
/// the model's length bound or in a loop is kept as far as it went, with
/// why it was cut ([`Ended::RanOn`]).
async fn collect(
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

    /// The semantic path: the model asked for a plan of the target's
    /// definitions (its answer held to their schema), shown the confirmed
    /// plans of the most similar questions, the plan resolved and compiled,
    /// one repair round for a name or value the model got wrong. `values`:
    /// whether the prompt may show the data's values; the examples `skip`
    /// names are left out.
    ///
    /// A follow-up to an earlier answer's plan (`previous`) that names
    /// something of the definitions or the data is read with that question
    /// ([`crate::semantic::named::Named::then`]) and answered by the model
    /// changing that plan: the earlier question and plan are the turns
    /// before it. One that names nothing is a new question.
    pub async fn planned(
        &self,
        user: i64,
        asked: &str,
        values: bool,
        skip: &Skip<'_>,
        position: &tokio::sync::watch::Sender<usize>,
        previous: Option<&Previous>,
    ) -> (Planned, PlanTrace) {
        let mut trace = PlanTrace::default();
        let Some(semantic) = self.runtime.semantic() else {
            return (Planned::Free("no semantic model".to_owned()), trace);
        };
        let day = self
            .runtime
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let today = day.format("%Y-%m-%d").to_string();
        let named = semantic.named(asked, day);
        // A reply to the answer follows it when it names anything; in a
        // thread without replying, only a question with no subject of its
        // own ("and in Paris?") does.
        let follows =
            previous.filter(|p| named.names_something(asked) && (p.replied || named.elliptic()));
        let (named, whole) = match follows {
            Some(p) => {
                // A chain of follow-ups, each read on the turns before it.
                let earlier = p
                    .question
                    .split(FOLLOWED_BY)
                    .map(|turn| semantic.named(turn, day))
                    .reduce(|before, turn| before.then(&turn))
                    .unwrap_or_default();
                (earlier.then(&named), p.followed_by(asked))
            }
            None => (named, asked.to_owned()),
        };
        trace.follows = follows.is_some().then(|| whole.clone());
        // What the bot says of the question (how it reads it, what it
        // doubts, a value the data lacks) is said in the asker's language,
        // read from the whole question as a pick reads it again; the model
        // is asked in the bot's, as `pstral eval` measures it.
        let lang = crate::learn::text::language_of(&whole, self.lang);
        // What the asker's words hold, for the values the plan may compare
        // with: the earlier question's too.
        let question = whole.as_str();
        let schema = semantic.schema_for(&named);
        let similar = self.confirmed_plans(question, values, skip).await;
        // The same question, confirmed before: its plan is taken as it is,
        // without asking the model, when its dates are the question's as
        // read today (one written for another day is the model's to write).
        let normal = crate::learn::examples::normal_question(question);
        let mut reused = similar
            .iter()
            .rev()
            .filter(|_| follows.is_none())
            .find(|(_, q, plan)| {
                crate::learn::examples::normal_question(q) == normal
                    && crate::semantic::plan::read(plan)
                        .is_ok_and(|p| named.dates_hold(&p, &semantic.definitions))
            })
            .map(|(id, _, plan)| (*id, plan.clone()));
        trace.reused = reused.as_ref().map(|(id, _)| *id);
        // Each plan shown is read anew for every question (it follows the
        // definitions the server keeps read): `sql.plan_examples` says how
        // many of the most similar are worth that.
        let shown = &similar[similar.len().saturating_sub(self.runtime.plan_examples)..];
        trace.examples = shown.iter().map(|(id, ..)| *id).collect();
        let mut system = semantic.prompt(&today, values);
        crate::semantic::prompt::confirmed(&mut system, shown);
        let mut messages = vec![ChatMessage::new(ChatRole::System, system)];
        match follows {
            Some(p) => messages.extend([
                ChatMessage::new(ChatRole::User, p.question.as_str()),
                ChatMessage::new(ChatRole::Assistant, p.plan.as_str()),
                ChatMessage::new(
                    ChatRole::User,
                    format!(
                        "{asked}\n(A follow-up to the question above: write that plan again, \
                         changed only as this asks; keep what it does not change.)"
                    ),
                ),
            ]),
            None => messages.push(ChatMessage::new(ChatRole::User, asked)),
        }
        let read = Read {
            semantic: &semantic,
            named: &named,
            values,
            lang,
            dialect: self.runtime.policy.dialect,
        };
        // The first round's messages: what every further plan is drawn
        // for.
        let first_messages = messages.clone();
        // The model's own first plan is the second round's when a
        // confirmed plan was tried first: no repair of the model's then.
        let confirmed_first = reused.is_some();
        let mut compiled = None;
        for round in 0..2 {
            let written = match reused.take() {
                Some((_, plan)) => Written {
                    text: plan,
                    pieces: 0,
                    first_token: None,
                    cut: None,
                    logprobs: Vec::new(),
                },
                None => {
                    trace.prompt_tokens += crate::llm::prompt_tokens(&messages);
                    match self
                        .shaped(user, &messages, &schema, position, None, self.sure_asked())
                        .await
                    {
                        Ok(written) => written,
                        Err(e) => return (Planned::Free(format!("the plan: {e}")), trace),
                    }
                }
            };
            trace.pieces += written.pieces;
            trace.first_token = trace.first_token.or(written.first_token);
            trace.answers.push(written.text.clone());
            let error = match read.compiled(&written.text) {
                Ok((resolved, sql)) => {
                    let sure = super::readings::least_sure(&written.logprobs);
                    compiled = Some((resolved, sql, round == 1 && !confirmed_first, sure));
                    break;
                }
                Err(crate::semantic::PlanError::UnknownValue {
                    dimension,
                    value,
                    near,
                }) if mentions(question, &value) || round == 1 => {
                    let label = semantic
                        .definitions
                        .dimensions
                        .get(&dimension)
                        .map_or(dimension.as_str(), |d| d.label.get(lang));
                    let said = Readings::PlanValueUnknown {
                        dimension: label,
                        value: &value,
                        near: &near.join(", "),
                    }
                    .render(lang);
                    return (Planned::Said(said), trace);
                }
                // A value the data does not hold, written by the model
                // rather than asked: once more, with the values it holds.
                Err(crate::semantic::PlanError::UnknownValue {
                    dimension, value, ..
                }) if round == 0 && !mentions(question, &value) => {
                    // The data's values, only to whoever may read them.
                    let held = match semantic.values_of(&dimension) {
                        Some(held) if values => format!(
                            ", which holds '{}'",
                            held.iter()
                                .take(crate::sql::schema::MAX_LISTED_VALUES)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("', '")
                        ),
                        _ => String::new(),
                    };
                    format!(
                        "{dimension}: no value {value:?} in the data{held}; a named segment \
                         may say it instead"
                    )
                }
                Err(e) if e.repairable() && round == 0 => e.to_string(),
                Err(e) => return (Planned::Free(e.to_string()), trace),
            };
            // A confirmed plan that no longer compiles is repaired by the
            // model, like its own.
            trace.reused = None;
            messages.push(ChatMessage::new(ChatRole::Assistant, written.text));
            messages.push(ChatMessage::new(
                ChatRole::User,
                format!("This plan cannot be used: {error}. Write the corrected plan."),
            ));
        }
        let Some((resolved, sql, repaired, least_sure)) = compiled else {
            return (Planned::Free("the repaired plan failed".to_owned()), trace);
        };
        // The plans drawn beside the greedy one, grouped by how they read
        // the question. A confirmed plan taken as it is is drawn no more.
        let votes = &self.runtime.plan_votes;
        let mut distinct = vec![read.reading(resolved, sql)];
        let mut draws = vec![Some(0)];
        let mut draw_ms = Vec::new();
        if trace.reused.is_none() {
            for seed in 1..votes.count as u64 {
                let started = std::time::Instant::now();
                let sampling = Sampling {
                    temperature: votes.temperature,
                    seed,
                };
                let drawn = match self
                    .shaped(
                        user,
                        &first_messages,
                        &schema,
                        position,
                        Some(sampling),
                        false,
                    )
                    .await
                {
                    Ok(written) => {
                        trace.pieces += written.pieces;
                        trace.prompt_tokens += crate::llm::prompt_tokens(&first_messages);
                        let compiled = read.compiled(&written.text).ok();
                        trace.drawn.push(written.text);
                        compiled
                    }
                    Err(e) => {
                        trace.drawn.push(format!("(no plan: {e})"));
                        None
                    }
                };
                draw_ms.push(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
                draws.push(drawn.map(|(resolved, sql)| {
                    let key = resolved.clone().held().key();
                    distinct
                        .iter()
                        .position(|r| r.key == key)
                        .unwrap_or_else(|| {
                            distinct.push(read.reading(resolved, sql));
                            distinct.len() - 1
                        })
                }));
            }
        }
        let weighed = super::readings::Weighed::of(
            distinct,
            draws,
            draw_ms,
            (repaired, least_sure, votes.unsure_below),
        );
        // Said, so that a question read with the one before it is never a
        // surprise.
        let above = follows.map(|p| {
            let earlier = p.question.rsplit(FOLLOWED_BY).next().unwrap_or_default();
            format!("{}\n", Readings::FollowsEarlier { earlier }.render(lang))
        });
        let first = weighed.readings[0].clone();
        if trace.reused.is_none() && weighed.asks(&votes.ask_back) {
            let mut choices: Vec<super::readings::Reading> =
                weighed.readings.iter().take(3).cloned().collect();
            // One reading that adds what nobody named: the reading without
            // it beside.
            if choices.len() == 1
                && let Some(plan) =
                    crate::semantic::doubt::without_unsaid(&first.plan, &first.gaps.unsaid)
                && let Ok((resolved, sql)) = read.resolved(plan)
            {
                choices.push(read.reading(resolved, sql));
            }
            let words: Vec<String> = choices.iter().map(|r| r.words.clone()).collect();
            let why = read.doubted(&weighed, &votes.ask_back);
            let answer = format!(
                "{}{}",
                above.unwrap_or_default(),
                Readings::AskBack {
                    why,
                    readings: &words,
                }
                .render(lang)
            );
            trace.weighed = Some(weighed);
            return (
                Planned::Asked {
                    answer,
                    readings: choices,
                    lang,
                },
                trace,
            );
        }
        let answer = Readings::PlanAnswer {
            reading: &first.words,
            confirmed: trace.reused,
            sql: &first.sql,
        }
        .render(lang);
        trace.weighed = Some(weighed);
        (
            Planned::Compiled {
                answer: format!("{}{answer}", above.unwrap_or_default()),
                sql: first.sql,
                plan: Box::new(first.plan),
            },
            trace,
        )
    }

    /// The confirmed examples of the questions most similar to `question`
    /// that were answered through a plan the definitions still hold, as
    /// (id, question, plan), most similar last; those `skip` names left out,
    /// and, for who may not read data (`values` false), those whose plan
    /// holds a value of the data that the question does not write.
    async fn confirmed_plans(
        &self,
        question: &str,
        values: bool,
        skip: &Skip<'_>,
    ) -> Vec<(i64, String, String)> {
        let Some(learning) = &self.runtime.learning else {
            return Vec::new();
        };
        let Some(ranked) = self.ranked(question).await else {
            return Vec::new();
        };
        let check = |example: &crate::learn::examples::Example| self.runtime.judge_example(example);
        // A plan the definitions no longer hold is left out, not set aside:
        // the example's SQL still serves the free path.
        let planless = |example: &crate::learn::examples::Example| {
            skip(example)
                || self.runtime.hides_example(example)
                || example.plan.as_deref().is_none_or(|p| {
                    self.runtime.judge_plan(p).is_err()
                        || (!values && !only_asked_values(p, question))
                })
        };
        let picked = learning
            .choose_from(&ranked, self.runtime.examples_budget, &check, &planless)
            .await;
        picked
            .examples
            .iter()
            .filter_map(|e| {
                let plan = self.runtime.judge_plan(e.plan.as_deref()?).ok()?;
                Some((e.id, e.question.clone(), plan))
            })
            .collect()
    }

    /// Whether the greedy plan comes with its tokens' probabilities: only
    /// when they may make the bot ask back (`sql.ask_back` names "unsure"),
    /// or for `pstral eval`, which measures them ([`SqlAnswer::measured`]).
    fn sure_asked(&self) -> bool {
        self.measured || self.runtime.plan_votes.ask_back.contains(&Doubt::Unsure)
    }

    /// The model's whole answer to `messages`, held to `schema`, drawn
    /// with `sampling` when given, with its tokens' probabilities when
    /// `logprobs`.
    async fn shaped(
        &self,
        user: i64,
        messages: &[ChatMessage],
        schema: &str,
        position: &tokio::sync::watch::Sender<usize>,
        sampling: Option<Sampling>,
        logprobs: bool,
    ) -> Result<Written, String> {
        let asked = std::time::Instant::now();
        let shape = crate::llm::Shape { schema, logprobs };
        let tokens = self
            .llm
            .ask_shaped(user, messages, position, sampling, Some(shape))
            .await
            .map_err(|e| e.to_string())?;
        // A plan cut at the length bound is no plan: the model failed.
        let written = collect(tokens, asked).await?;
        match written.cut {
            Some(cut) => Err(cut),
            None => Ok(written),
        }
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
