//! `pstral eval`: how often the SQL the bot offers returns the right rows.
//!
//! Each case (a question, its language, a gold query) goes through the
//! bot's own path — the prompt with schema, glossary and examples, the
//! configured model, the validator, EXPLAIN, the one repair round — and the
//! first query the bot would offer is run read-only beside the gold one.
//! Their results are compared as multisets of rows: column names and order
//! do not matter (each row is compared as the multiset of its values), row
//! order matters only when the gold query has an ORDER BY, and numbers are
//! equal when they agree to nine significant digits (so that `12`, `12.0`
//! and a sum's `12.000000000001` are one value).

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conversation::Prompts;
use crate::i18n::Lang;
use crate::learn::examples::{FileError, FileFormat, read_records};
use crate::llm::{ChatMessage, Llm};
use crate::sql::backend::{Cell, Column, ExecError, RowSink};
use crate::sql_target::SqlRuntime;
use crate::sql_target::answer::{Judged, Planned, SqlAnswer, Written};

mod rows;
mod summary;

pub use rows::{Rows, canonical, compare, covers};
pub use summary::{DoubtRow, Summary, class_of, doubt_table};

/// One question with its gold query, as a file holds it (`[[case]]` in
/// TOML, or one JSON object a line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    #[serde(default)]
    pub id: Option<String>,
    pub question: String,
    /// A question asked first in the same conversation: `question` is a
    /// follow-up to it ("and in Paris?"), asked as a reply to its answer
    /// is, and `gold` answers the two read together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier: Option<String>,
    /// `en` or `fr`; told from the question when absent.
    #[serde(default)]
    pub language: Option<Lang>,
    #[serde(alias = "sql")]
    pub gold: String,
}

/// Reads cases from a TOML or JSON lines file (by its extension), giving
/// each an id (its number) when it has none.
///
/// # Errors
/// The first case that cannot be read, or two cases with one id.
pub fn read_cases(text: &str, format: FileFormat) -> Result<Vec<Case>, FileError> {
    let mut cases: Vec<Case> = read_records(text, format, "case")?;
    let mut seen = HashMap::new();
    for (i, case) in cases.iter_mut().enumerate() {
        let id = case.id.get_or_insert_with(|| (i + 1).to_string()).clone();
        if let Some(first) = seen.insert(id.clone(), i + 1) {
            return Err(FileError::Toml(format!(
                "cases {first} and {} have the same id {id:?}",
                i + 1
            )));
        }
    }
    Ok(cases)
}

/// How a case went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The offered query returned the gold rows.
    Correct,
    /// It ran, and returned other rows.
    WrongResult,
    /// It ran into a database error.
    Failed,
    /// The validator refused every query of the answer, after the repair.
    Refused,
    /// The database could not compile any query of the answer (EXPLAIN),
    /// after the repair.
    DoesNotCompile,
    /// The answer held no SQL.
    NoSql,
    /// The model could not answer.
    ModelFailed,
    /// The gold query itself could not run: the case is broken.
    GoldFailed,
    /// The plan left the case to the free path, which was not asked
    /// ([`Way::PlanOnly`]).
    LeftToFree,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Correct => "correct",
            Verdict::WrongResult => "wrong_result",
            Verdict::Failed => "failed",
            Verdict::Refused => "refused",
            Verdict::DoesNotCompile => "does_not_compile",
            Verdict::NoSql => "no_sql",
            Verdict::ModelFailed => "model_failed",
            Verdict::GoldFailed => "gold_failed",
            Verdict::LeftToFree => "left_to_free",
        }
    }
}

/// How the produced rows differ from the gold ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub gold_rows: u64,
    pub produced_rows: u64,
    pub gold_columns: usize,
    pub produced_columns: usize,
    /// Up to five gold rows the produced result lacks (values as compared).
    pub missing: Vec<Vec<String>>,
    /// Up to five produced rows that are not in the gold result.
    pub extra: Vec<Vec<String>>,
    /// The same rows, in another order, where the gold query orders them.
    pub order_differs: bool,
    /// A result was cut at the row cap: compared as far as it went.
    pub truncated: bool,
}

/// One case's outcome, as the JSON report holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    pub id: String,
    pub question: String,
    pub language: Lang,
    pub verdict: Verdict,
    /// The model's answer, as it wrote it: what a "no SQL" verdict is read
    /// against.
    #[serde(default)]
    pub answer: Option<String>,
    /// Its answer to the repair round, when there was one.
    #[serde(default)]
    pub repair_answer: Option<String>,
    /// The further answers drawn (`sql.candidates`), as written, or why
    /// one has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drawn: Vec<String>,
    /// How many answers agreed on the statement offered, of how many: set
    /// when answers were drawn and one of them holds a statement to offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<(usize, usize)>,
    /// The query the bot would offer (or the last one it tried).
    pub sql: Option<String>,
    pub gold: String,
    /// The offered query passed the validator (and EXPLAIN, when on).
    pub valid: bool,
    /// It took the repair round to get there.
    pub repaired: bool,
    /// Why the query was refused, failed, or the model could not answer.
    pub error: Option<String>,
    /// Why the model's answer (or its repair) was ended before the model
    /// finished it: its statements that were whole are judged, the one
    /// the cut fell in is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
    pub diff: Option<Diff>,
    /// The question's class: how many tables its gold query reads.
    #[serde(default)]
    pub class: String,
    /// The examples shown to the model, by id, most similar last.
    pub examples: Vec<i64>,
    pub latency_ms: u64,
    /// From asking the model to its first token, the first round: what an
    /// asker waits before the answer starts to show.
    #[serde(default)]
    pub first_token_ms: Option<u64>,
    /// Pieces the model streamed (about one token each), both rounds.
    pub answer_tokens: u64,
    /// The prompt's size, about four characters a token, both rounds.
    pub prompt_tokens: u64,
    /// Which way answered: `plan` (the semantic model) or `free` (the
    /// model's own SQL).
    #[serde(default)]
    pub path: String,
    /// The plans the model wrote, the repair round's second.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<String>,
    /// The plan the offered statement was compiled from, as the bot read it
    /// (the period it read, values as the data holds them): what "correct"
    /// on its result would keep with the example.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// For a follow-up: the plan its earlier question was answered with,
    /// which the follow-up changed; `None` when that question got no plan
    /// (the follow-up then asked with it, as one question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_plan: Option<String>,
    /// Why the semantic path left the question to the free one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_to_free: Option<String>,
    /// The bot asked back instead of answering: the verdict is then the
    /// first reading's, the one it would have offered.
    #[serde(default)]
    pub asked: bool,
    /// When it asked: whether a reading that returns the gold's rows was
    /// among those it showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_among: Option<bool>,
    /// The public benchmark's rule (sql-eval): every gold column among the
    /// result's columns, the rows equal; `None` when nothing ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_gold: Option<bool>,
    /// The distinct readings of the plans drawn, most drawn first, each
    /// run beside the gold query.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<ReadingReport>,
    /// Each plan drawn's reading (an index into `readings`), the greedy
    /// one first; `null` for a draw with no plan that compiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draws: Vec<Option<usize>>,
    /// How long each further draw took, in milliseconds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draw_ms: Vec<u64>,
    /// The greedy plan needed the repair round.
    #[serde(default)]
    pub plan_repaired: bool,
    /// The least probability the model gave a choice of the greedy plan,
    /// where the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub least_sure: Option<f64>,
    /// The signals of doubt raised for the first reading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doubts: Vec<String>,
}

/// One reading of a case's question, as the report keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingReport {
    pub plan: String,
    pub sql: String,
    /// It returns the gold's rows; `None` when it could not run.
    pub correct: Option<bool>,
    /// By the public benchmark's rule.
    #[serde(default)]
    pub covers_gold: Option<bool>,
    /// The question names something it does not use.
    pub left_out: bool,
    /// It holds a part the question names nowhere.
    pub unsaid: bool,
}

impl CaseReport {
    /// The report of `case` before anything is known: no SQL yet.
    fn begun(case: &Case, language: Lang) -> Self {
        CaseReport {
            id: case.id.clone().unwrap_or_default(),
            question: case.question.clone(),
            language,
            verdict: Verdict::NoSql,
            answer: None,
            repair_answer: None,
            drawn: Vec::new(),
            votes: None,
            sql: None,
            gold: case.gold.clone(),
            valid: false,
            repaired: false,
            error: None,
            cut: None,
            diff: None,
            class: String::new(),
            examples: Vec::new(),
            latency_ms: 0,
            first_token_ms: None,
            answer_tokens: 0,
            prompt_tokens: 0,
            path: PATH_FREE.to_owned(),
            plans: Vec::new(),
            plan: None,
            earlier_plan: None,
            left_to_free: None,
            asked: false,
            gold_among: None,
            covers_gold: None,
            readings: Vec::new(),
            draws: Vec::new(),
            draw_ms: Vec::new(),
            plan_repaired: false,
            least_sure: None,
            doubts: Vec::new(),
        }
    }

    /// A query was offered without asking back, and it is wrong: what the
    /// bot must say seldom.
    pub fn sure_but_wrong(&self) -> bool {
        !self.asked && matches!(self.verdict, Verdict::WrongResult | Verdict::Failed)
    }

    /// Right at once: the offered query returned the gold rows, without
    /// asking back.
    pub fn right(&self) -> bool {
        !self.asked && self.verdict == Verdict::Correct
    }
}

/// The semantic path's name in a report.
pub const PATH_PLAN: &str = "plan";
/// The free path's.
pub const PATH_FREE: &str = "free";
/// A bare prompt's: the free path's with none of its parts (the tables
/// and the question; `sql.candidates` still draws as many answers).
pub const PATH_BARE: &str = "bare";

/// What a case runs on: the bot's own parts.
pub struct Evaluation<'a> {
    pub runtime: &'a SqlRuntime,
    /// Where each statement it runs (the gold, the model's) is requested
    /// and its result recorded, as a click's are.
    pub audit: &'a crate::audit::Audit,
    pub llm: &'a Llm,
    pub prompts: &'a Prompts,
    /// The bot's language: its prompts and its repair request.
    pub lang: Lang,
    /// How each case is asked.
    pub way: Way,
    /// A follow-up is asked alone, without the question it follows: what
    /// reading it with that question brings.
    pub alone: bool,
}

/// How an evaluation asks its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// As the bot does: a plan first, the free SQL path for what the plan
    /// leaves.
    Bot,
    /// The plan only: a case the plan leaves to the free path is reported
    /// as left ([`Verdict::LeftToFree`]) and not asked again. The semantic
    /// model's own accuracy, in a quarter of the time on a server that
    /// keeps one prompt cache (20 minutes against 80 for the demo's 100
    /// questions on Qwen2.5-Coder-1.5B here).
    PlanOnly,
    /// A bare prompt instead of the bot's way: the tables and the question,
    /// nothing else: the free path with none of its prompt's parts
    /// ([`PATH_BARE`]).
    Bare,
    /// The free SQL path alone, the plan never asked: its prompt as the
    /// runtime's `free_prompt` makes it (what `--ablate` varies).
    Free,
}

/// The first query of an answer that may be offered, or why none may.
enum Offer {
    Query(Box<crate::sql::validate::Validated>),
    /// (verdict, reason)
    None(Verdict, String),
}

impl Evaluation<'_> {
    /// Runs one case to its verdict.
    pub async fn run(&self, case: &Case) -> CaseReport {
        let started = Instant::now();
        let language = case
            .language
            .unwrap_or_else(|| crate::learn::text::language_of(&case.question, self.lang));
        let mut report = CaseReport::begun(case, language);
        // The gold rows first: a broken case says so, whatever the model.
        let gold_rows = match self.gold(case).await {
            Ok((class, rows)) => {
                report.class = class;
                rows
            }
            Err(reason) => {
                report.verdict = Verdict::GoldFailed;
                report.error = Some(reason);
                report.latency_ms = elapsed_ms(started);
                return report;
            }
        };
        // An example of this very question would hand the model its answer.
        // Read as the bot reads a question asked again (case, accents,
        // spacing, closing punctuation): what it would reuse is left out.
        let asked = crate::learn::examples::normal_question(&case.question);
        let same = |e: &crate::learn::examples::Example| {
            crate::learn::examples::normal_question(&e.question) == asked
        };
        let sql = SqlAnswer {
            runtime: self.runtime,
            llm: self.llm,
            prompts: self.prompts,
            lang: self.lang,
            measured: true,
            ranked: Default::default(),
        };
        // A follow-up: its earlier question asked first, through the plan
        // as the bot would; the follow-up then changes that plan. Where a
        // path has no conversation (the free path here, a bare prompt),
        // the two are asked as one question.
        let (position, _) = tokio::sync::watch::channel(0);
        let earlier = case.earlier.as_deref().filter(|_| !self.alone);
        let previous = match earlier {
            Some(earlier) if !matches!(self.way, Way::Bare | Way::Free) => {
                self.earlier_plan(&sql, earlier, (&same, &position), &mut report)
                    .await
            }
            _ => None,
        };
        let whole = as_one_question(case, earlier);
        if matches!(self.way, Way::Bare | Way::Free) {
            // A bare prompt is the free path's with none of its parts.
            let bare = (self.way == Way::Bare).then(|| SqlRuntime {
                free_prompt: crate::sql::FreePrompt::bare(),
                ..self.runtime.clone()
            });
            let sql = SqlAnswer {
                runtime: bare.as_ref().unwrap_or(self.runtime),
                ..sql
            };
            report.path = if bare.is_some() { PATH_BARE } else { PATH_FREE }.to_owned();
            let offer = self
                .free(&sql, (&whole, &gold_rows), &same, &mut report)
                .await;
            self.conclude(offer, case, &gold_rows, &mut report).await;
            report.latency_ms = elapsed_ms(started);
            return report;
        }
        // The semantic path first, as the bot takes it.
        let (planned, trace) = sql
            .planned(0, &case.question, true, &same, &position, previous.as_ref())
            .await;
        report.examples = trace.examples.clone();
        report.plans = trace.answers;
        report.prompt_tokens += trace.prompt_tokens;
        report.answer_tokens += trace.pieces;
        report.first_token_ms = trace.first_token.map(|d| d.as_millis() as u64);
        report.drawn.clone_from(&trace.drawn);
        if let Some(weighed) = &trace.weighed {
            self.weigh_readings(&sql, weighed, (case, &gold_rows), &mut report)
                .await;
        }
        let offer = self
            .planned_offer(planned, &sql, (case, &gold_rows), &mut report)
            .await;
        let offer = match offer {
            Some(offer) => offer,
            None => {
                self.free(&sql, (&whole, &gold_rows), &same, &mut report)
                    .await
            }
        };
        self.conclude(offer, case, &gold_rows, &mut report).await;
        report.latency_ms = elapsed_ms(started);
        report
    }

    /// The verdict on what was offered.
    async fn conclude(&self, offer: Offer, case: &Case, gold_rows: &Rows, report: &mut CaseReport) {
        match offer {
            Offer::None(verdict, reason) => {
                report.verdict = verdict;
                report.error = Some(reason);
            }
            Offer::Query(produced) => {
                report.valid = true;
                report.sql = Some(produced.text.clone());
                self.compare(&produced, case, gold_rows, report).await;
            }
        }
    }

    /// The free path: the model's own SQL for `case`, the bot's one repair
    /// round included.
    async fn free(
        &self,
        sql: &SqlAnswer<'_>,
        gold: (&Case, &Rows),
        same: &crate::learn::Skip<'_>,
        report: &mut CaseReport,
    ) -> Offer {
        let (messages, context) = sql.messages(&gold.0.question, &[], same, true).await;
        report.examples = context.examples.ids();
        match Self::answer(sql, &messages, report).await {
            Err(e) => Offer::None(Verdict::ModelFailed, e),
            Ok(written) => self.offer_of(sql, &messages, written, gold, report).await,
        }
    }

    /// What the bot would offer of the model's `written` answer: the
    /// statement most of several answers agree on, else the first that
    /// passes, after the bot's one repair round when none does.
    async fn offer_of(
        &self,
        sql: &SqlAnswer<'_>,
        messages: &[ChatMessage],
        written: Written,
        (case, gold_rows): (&Case, &Rows),
        report: &mut CaseReport,
    ) -> Offer {
        let ended = written.ended();
        let answer = written.text;
        report.answer = Some(answer.clone());
        let judged = sql.judge(&answer, ended).await;
        let agreed = match sql.vote(0, messages, &judged).await {
            Some(drawn) => {
                report.answer_tokens += drawn.pieces;
                report.drawn = drawn
                    .answers
                    .iter()
                    .map(|a| a.clone().unwrap_or_else(|e| format!("(no answer: {e})")))
                    .collect();
                // Asked back, as the bot asks when its queries disagree:
                // judged as the first it would have offered.
                if drawn.asks(&sql.runtime.plan_votes.ask_back) {
                    report.asked = true;
                    report.doubts = vec![crate::sql::Doubt::Split.as_str().to_owned()];
                    let mut among = false;
                    for choice in &drawn.choices {
                        let (correct, _) =
                            self.judge_reading(sql, &choice.text, case, gold_rows).await;
                        among |= correct == Some(true);
                    }
                    report.gold_among = Some(among);
                    return Self::first_offer(drawn.choices[..1].to_vec(), report);
                }
                drawn.agreed
            }
            None => None,
        };
        // The statement most answers agree on is the one recommended;
        // without one, the first answer goes its usual way.
        if let Some(agreed) = agreed {
            report.votes = Some((agreed.votes, agreed.of));
            return Self::first_offer(vec![agreed.statement], report);
        }
        let Some(repair) = sql.repair(messages, &answer, &judged, ended) else {
            return Self::first_offer(judged, report);
        };
        // The bot's one repair round, with its own words.
        report.repaired = true;
        Self::note_first_failure(&judged, report);
        match Self::answer(sql, &repair, report).await {
            Ok(written) => {
                report.repair_answer = Some(written.text.clone());
                Self::first_offer(sql.judge(&written.text, written.ended()).await, report)
            }
            Err(e) => Offer::None(Verdict::ModelFailed, e),
        }
    }

    /// Asks the model and collects its whole answer (the bot's own way to a
    /// whole answer: [`SqlAnswer::written`]).
    async fn answer(
        sql: &SqlAnswer<'_>,
        messages: &[ChatMessage],
        report: &mut CaseReport,
    ) -> Result<Written, String> {
        report.prompt_tokens += crate::llm::prompt_tokens(messages);
        let written = sql.written(0, messages, None).await?;
        report.answer_tokens += written.pieces;
        if report.first_token_ms.is_none() {
            report.first_token_ms = written.first_token.map(|d| d.as_millis() as u64);
        }
        if let Some(cut) = &written.cut {
            report.cut.get_or_insert_with(|| cut.clone());
        }
        Ok(written)
    }

    /// The first statement the bot would offer, or the verdict on the
    /// first that it would not.
    fn first_offer(judged: Vec<Judged>, report: &mut CaseReport) -> Offer {
        Self::note_first_failure(&judged, report);
        let mut first_failure = None;
        for statement in judged {
            match statement.verdict {
                Ok((valid, _)) => return Offer::Query(Box::new(valid)),
                Err(unoffered) => {
                    first_failure.get_or_insert(unoffered);
                }
            }
        }
        match first_failure {
            // Cut before it finished a statement: the model failed, as the
            // chat says.
            None if report.cut.is_some() => {
                Offer::None(Verdict::ModelFailed, report.cut.clone().unwrap_or_default())
            }
            None => Offer::None(Verdict::NoSql, "the answer holds no SQL block".to_owned()),
            Some(f) => {
                let verdict = if f.refused {
                    Verdict::Refused
                } else {
                    Verdict::DoesNotCompile
                };
                Offer::None(verdict, f.reason)
            }
        }
    }

    /// Keeps the text of the first statement that could not be offered,
    /// when the report holds none yet, so that a refusal can be read.
    fn note_first_failure(judged: &[Judged], report: &mut CaseReport) {
        if report.sql.is_none()
            && let Some(failed) = judged.iter().find(|j| j.verdict.is_err())
        {
            report.sql = Some(failed.text.clone());
        }
    }

    /// A follow-up's earlier question, asked first through the plan as the
    /// bot would: its plan, kept as the bot keeps it, only when its
    /// statement would be offered.
    async fn earlier_plan(
        &self,
        sql: &SqlAnswer<'_>,
        earlier: &str,
        (same, position): (&crate::learn::Skip<'_>, &tokio::sync::watch::Sender<usize>),
        report: &mut CaseReport,
    ) -> Option<crate::sql_target::answer::Previous> {
        let (planned, trace) = sql.planned(0, earlier, true, same, position, None).await;
        report.prompt_tokens += trace.prompt_tokens;
        // Kept, as the bot keeps it, only when its statement would be
        // offered.
        if let Planned::Compiled {
            plan,
            sql: earlier_sql,
            ..
        } = planned
            && sql
                .judge_compiled(&earlier_sql)
                .await
                .iter()
                .all(|j| j.verdict.is_ok())
        {
            report.earlier_plan = Some(plan.to_json());
            return Some(crate::sql_target::answer::Previous {
                question: earlier.to_owned(),
                plan: plan.to_json(),
                replied: true,
            });
        }
        None
    }

    /// Every reading drawn, run beside the gold: what the signals of doubt
    /// are measured against.
    async fn weigh_readings(
        &self,
        sql: &SqlAnswer<'_>,
        weighed: &crate::sql_target::readings::Weighed,
        (case, gold_rows): (&Case, &Rows),
        report: &mut CaseReport,
    ) {
        for reading in &weighed.readings {
            let (correct, covers_gold) =
                self.judge_reading(sql, &reading.sql, case, gold_rows).await;
            report.readings.push(ReadingReport {
                plan: reading.plan.to_json(),
                sql: reading.sql.clone(),
                correct,
                covers_gold,
                left_out: !reading.gaps.left_out.is_empty(),
                unsaid: !reading.gaps.unsaid.is_empty(),
            });
        }
        report.draws.clone_from(&weighed.draws);
        report.draw_ms.clone_from(&weighed.draw_ms);
        report.plan_repaired = weighed.repaired;
        report.least_sure = weighed.least_sure;
        report.doubts = weighed
            .raised
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect();
    }

    /// What the plan path offers for a case, or `None` when it leaves the
    /// case to the free path.
    async fn planned_offer(
        &self,
        planned: Planned,
        sql: &SqlAnswer<'_>,
        (case, gold_rows): (&Case, &Rows),
        report: &mut CaseReport,
    ) -> Option<Offer> {
        match planned {
            Planned::Compiled {
                answer,
                sql: compiled,
                plan,
            } => {
                report.path = PATH_PLAN.to_owned();
                report.plan = Some(plan.to_json());
                report.answer = Some(answer);
                Some(Self::first_offer(
                    sql.judge_compiled(&compiled).await,
                    report,
                ))
            }
            Planned::Asked {
                answer, readings, ..
            } => {
                report.path = PATH_PLAN.to_owned();
                report.asked = true;
                report.answer = Some(answer);
                let mut among = false;
                for reading in &readings {
                    let (correct, _) = self.judge_reading(sql, &reading.sql, case, gold_rows).await;
                    among |= correct == Some(true);
                }
                report.gold_among = Some(among);
                // Judged as the reading it would have offered.
                let first = &readings[0];
                report.plan = Some(first.plan.to_json());
                Some(Self::first_offer(
                    sql.judge_compiled(&first.sql).await,
                    report,
                ))
            }
            Planned::Said(said) => {
                report.path = PATH_PLAN.to_owned();
                report.answer = Some(said.clone());
                Some(Offer::None(Verdict::NoSql, said))
            }
            Planned::Free(why) if self.way == Way::PlanOnly => {
                report.left_to_free = Some(why.clone());
                Some(Offer::None(Verdict::LeftToFree, why))
            }
            Planned::Free(why) => {
                report.left_to_free = Some(why);
                None
            }
        }
    }

    /// The case's class and the gold query's rows, or why it cannot give
    /// them.
    async fn gold(&self, case: &Case) -> Result<(String, Rows), String> {
        let gold = self
            .runtime
            .check(&case.gold)
            .map_err(|refusal| format!("the gold query is refused: {refusal}"))?;
        let rows = self
            .rows(&gold)
            .await
            .map_err(|e| format!("the gold query failed: {e}"))?;
        Ok((class_of(&gold), rows))
    }

    async fn compare(
        &self,
        produced: &crate::sql::validate::Validated,
        case: &Case,
        gold_rows: &Rows,
        report: &mut CaseReport,
    ) {
        let produced_rows = match self.rows(produced).await {
            Ok(rows) => rows,
            Err(e) => {
                report.verdict = Verdict::Failed;
                report.error = Some(e.to_string());
                return;
            }
        };
        let ordered = has_order_by(&case.gold, self.runtime.policy.dialect);
        report.covers_gold = Some(covers(gold_rows, &produced_rows, ordered));
        let diff = compare(gold_rows, &produced_rows, ordered);
        report.verdict = if diff.is_none() {
            Verdict::Correct
        } else {
            Verdict::WrongResult
        };
        report.diff = diff;
    }

    /// How a statement the bot wrote from a plan compares with the gold:
    /// (same rows, by the public benchmark's rule); `None` for each when it
    /// could not run.
    async fn judge_reading(
        &self,
        sql: &SqlAnswer<'_>,
        statement: &str,
        case: &Case,
        gold_rows: &Rows,
    ) -> (Option<bool>, Option<bool>) {
        let judged = sql.judge_compiled(statement).await;
        let Some(Ok((valid, _))) = judged.into_iter().next().map(|j| j.verdict) else {
            return (None, None);
        };
        let Ok(produced) = self.rows(&valid).await else {
            return (None, None);
        };
        let ordered = has_order_by(&case.gold, self.runtime.policy.dialect);
        (
            Some(compare(gold_rows, &produced, ordered).is_none()),
            Some(covers(gold_rows, &produced, ordered)),
        )
    }

    /// The rows of `query`, run through the Execute pipeline as the
    /// target's own account, requested and recorded in the audit.
    async fn rows(&self, query: &crate::sql::validate::Validated) -> Result<Rows, String> {
        use crate::sql_target::execution;
        let checked = execution::check(self.runtime, &query.text)
            .map_err(|refusal| format!("refused: {refusal}"))?;
        let about = json!({"target": self.runtime.target, "via": "eval"});
        let approved = checked
            .as_target(self.runtime)
            .request(self.audit, crate::audit::Actor::cli(), None, about)
            .await
            .map_err(|e| format!("cannot record the execution, so it was not done: {e}"))?;
        let mut rows = Rows::default();
        let outcome = approved.run(&mut rows).await;
        let executed = approved.record(outcome, execution::Made::Nothing).await;
        executed
            .recorded
            .map_err(|e| format!("cannot record the execution's result: {e}"))?;
        let outcome = executed.outcome.map_err(|e| e.to_string())?;
        rows.truncated = outcome.truncated;
        Ok(rows)
    }
}

/// `case` asked as one question, its earlier question (if any) before it:
/// what a path without a conversation asks.
fn as_one_question(case: &Case, earlier: Option<&str>) -> Case {
    Case {
        question: match earlier {
            Some(earlier) => {
                format!(
                    "{earlier}{}{}",
                    crate::sql_target::answer::FOLLOWED_BY,
                    case.question
                )
            }
            None => case.question.clone(),
        },
        earlier: None,
        ..case.clone()
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Whether the query's outermost level orders its rows.
fn has_order_by(sql: &str, dialect: crate::sql::Dialect) -> bool {
    use sqlparser::ast::Statement;
    let Ok(statements) = sqlparser::parser::Parser::parse_sql(dialect.parser().as_ref(), sql)
    else {
        return false;
    };
    matches!(statements.first(), Some(Statement::Query(q)) if q.order_by.is_some())
}

/// Splits cases into (held out, stored as examples): every second case is
/// held out, so that both halves cover the set alike.
pub fn split(cases: &[Case]) -> (Vec<Case>, Vec<Case>) {
    let (mut held, mut train) = (Vec::new(), Vec::new());
    for (i, case) in cases.iter().enumerate() {
        if i % 2 == 0 {
            held.push(case.clone());
        } else {
            train.push(case.clone());
        }
    }
    (held, train)
}

#[cfg(test)]
mod tests;
