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

/// The figures of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub cases: usize,
    pub correct: usize,
    /// Correct / cases.
    pub execution_accuracy: f64,
    /// Shares of the cases: a valid query offered, after a repair, refused.
    pub valid_share: f64,
    pub repaired_share: f64,
    pub refused_share: f64,
    pub median_latency_ms: u64,
    /// Over the cases whose model answered.
    #[serde(default)]
    pub median_first_token_ms: u64,
    pub median_answer_tokens: u64,
    pub median_prompt_tokens: u64,
    pub verdicts: std::collections::BTreeMap<String, usize>,
    /// (right, cases) for each class of question (see [`class_of`]).
    #[serde(default)]
    pub by_class: std::collections::BTreeMap<String, (usize, usize)>,
    /// (right, cases) for each path that answered ([`PATH_PLAN`],
    /// [`PATH_FREE`]).
    #[serde(default)]
    pub by_path: std::collections::BTreeMap<String, (usize, usize)>,
    /// Right at once: the offered query returned the gold rows, without
    /// asking back ([`CaseReport::right`]).
    #[serde(default)]
    pub right: usize,
    /// The bot asked back.
    #[serde(default)]
    pub asked: usize,
    /// Of those, how often a reading shown returned the gold's rows.
    #[serde(default)]
    pub gold_among_asked: usize,
    /// A query offered without asking back, and wrong.
    #[serde(default)]
    pub sure_but_wrong: usize,
    /// Right by the public benchmark's rule, without asking back.
    #[serde(default)]
    pub right_covering: usize,
}

/// How the bot would fare asking back on one set of signals with `n`
/// plans drawn, read from a run's draws (each plan drawn and each distinct
/// reading run beside the gold): the first `n` draws voted, the signals
/// raised for their winner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoubtRow {
    /// The signals asked back on; none: the bot never asks.
    pub signals: Vec<String>,
    pub n: usize,
    pub cases: usize,
    pub right: usize,
    pub asked: usize,
    pub sure_but_wrong: usize,
    /// Wrong answers the signals catch, of those offered on the plan path.
    pub caught: usize,
    pub wrong: usize,
    /// Right answers they would needlessly ask about, of those.
    pub needless: usize,
    pub right_on_plan: usize,
    /// Asked cases whose gold reading was among the three shown.
    pub gold_among: usize,
    /// The median time a question, the further draws beyond `n` taken away.
    pub median_ms: u64,
}

/// The signals of doubt, alone and together, against right and wrong for
/// each odd number of plans up to the most a case drew: the table of
/// docs/semantic-model.md, "Right or honest". "unsure" is a choice's probability below `unsure_below`. Empty
/// when no case went through the plan path. The reading the bot shows
/// beside a single one without its unsaid part is not counted among those
/// asked with ("gold among").
pub fn doubt_table(reports: &[CaseReport], unsure_below: f64) -> Vec<DoubtRow> {
    use crate::sql::Doubt;
    let most = reports.iter().map(|r| r.draws.len()).max().unwrap_or(0);
    if most == 0 {
        return Vec::new();
    }
    let mut counts: Vec<usize> = (1..=most).step_by(2).collect();
    if counts.last() != Some(&most) {
        counts.push(most);
    }
    let combos: Vec<Vec<Doubt>> = (0u32..1 << Doubt::ALL.len())
        .map(|mask| {
            Doubt::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, d)| *d)
                .collect()
        })
        .collect();
    let mut table = Vec::new();
    for &n in &counts {
        // Each case as it would go with `n` draws: (right, raised, offered
        // on the plan path, gold among the first three readings).
        let mut times: Vec<u64> = Vec::new();
        let cases: Vec<(bool, Vec<Doubt>, bool, bool)> = reports
            .iter()
            .map(|r| {
                let drawn: u64 = r.draw_ms.iter().sum();
                let kept: u64 = r.draw_ms.iter().take(n.saturating_sub(1)).sum();
                times.push(r.latency_ms.saturating_sub(drawn) + kept);
                if r.draws.is_empty() || r.readings.is_empty() {
                    // The free path asked back (its queries split): asked
                    // where the signals hold "split", else its first query
                    // offered as it is.
                    let raised = if r.asked {
                        vec![Doubt::Split]
                    } else {
                        Vec::new()
                    };
                    let among = r.gold_among == Some(true);
                    return (r.verdict == Verdict::Correct, raised, false, among);
                }
                // The first `n` draws numbered as first drawn among them, as
                // the bot would have (ties go to the earliest), then mapped
                // back to the run's readings.
                let mut seen: Vec<usize> = Vec::new();
                let local: Vec<Option<usize>> = r.draws[..n.min(r.draws.len())]
                    .iter()
                    .map(|d| {
                        d.map(|i| {
                            seen.iter().position(|&s| s == i).unwrap_or_else(|| {
                                seen.push(i);
                                seen.len() - 1
                            })
                        })
                    })
                    .collect();
                let (order, split) = crate::sql_target::readings::tally(&local);
                let order: Vec<usize> = order.into_iter().map(|l| seen[l]).collect();
                let Some(reading) = order.first().and_then(|&w| r.readings.get(w)) else {
                    return (false, Vec::new(), false, false);
                };
                // The greedy plan's repair and probabilities speak of the
                // winner only when it is the greedy plan's reading.
                let greedy_first = r.draws.first().copied().flatten() == order.first().copied();
                let mut raised = Vec::new();
                if split {
                    raised.push(Doubt::Split);
                }
                if reading.left_out {
                    raised.push(Doubt::LeftOut);
                }
                if reading.unsaid {
                    raised.push(Doubt::Unsaid);
                }
                if r.plan_repaired && greedy_first {
                    raised.push(Doubt::Repaired);
                }
                if greedy_first && r.least_sure.is_some_and(|p| p < unsure_below) {
                    raised.push(Doubt::Unsure);
                }
                let among = order
                    .iter()
                    .take(3)
                    .any(|&i| r.readings.get(i).is_some_and(|x| x.correct == Some(true)));
                // A compiled plan is offered; one that could not run is
                // offered and wrong.
                (reading.correct == Some(true), raised, true, among)
            })
            .collect();
        times.sort_unstable();
        let median_ms = times.get(times.len() / 2).copied().unwrap_or(0);
        for combo in &combos {
            let mut row = DoubtRow {
                signals: combo.iter().map(|d| d.as_str().to_owned()).collect(),
                n,
                cases: reports.len(),
                right: 0,
                asked: 0,
                sure_but_wrong: 0,
                caught: 0,
                wrong: 0,
                needless: 0,
                right_on_plan: 0,
                gold_among: 0,
                median_ms,
            };
            for (report, (right, raised, offered, among)) in reports.iter().zip(&cases) {
                let asks = raised.iter().any(|d| combo.contains(d));
                if *offered {
                    if *right {
                        row.right_on_plan += 1;
                        row.needless += usize::from(asks);
                    } else {
                        row.wrong += 1;
                        row.caught += usize::from(asks);
                    }
                }
                if asks {
                    row.asked += 1;
                    row.gold_among += usize::from(*among);
                } else if *right {
                    row.right += 1;
                } else if *offered
                    || (report.draws.is_empty()
                        && matches!(report.verdict, Verdict::WrongResult | Verdict::Failed))
                {
                    row.sure_but_wrong += 1;
                }
            }
            table.push(row);
        }
    }
    table
}

/// A question's class, from what its gold query reads: `1 table`,
/// `2 tables`, `3 tables` or `4+ tables`, so that a change is judged on the
/// joins it gets right as well as on the whole.
pub fn class_of(gold: &crate::sql::validate::Validated) -> String {
    match gold.reach.relations().len() {
        0 | 1 => "1 table".to_owned(),
        n @ 2..=3 => format!("{n} tables"),
        _ => "4+ tables".to_owned(),
    }
}

impl Summary {
    pub fn of(reports: &[CaseReport]) -> Self {
        let n = reports.len();
        let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
        let count = |f: &dyn Fn(&CaseReport) -> bool| reports.iter().filter(|r| f(r)).count();
        let correct = count(&|r| r.verdict == Verdict::Correct);
        let median = |f: &dyn Fn(&CaseReport) -> Option<u64>| {
            let mut v: Vec<u64> = reports.iter().filter_map(f).collect();
            v.sort_unstable();
            match v.len() {
                0 => 0,
                l if l % 2 == 1 => v[l / 2],
                l => (v[l / 2 - 1] + v[l / 2]) / 2,
            }
        };
        let mut verdicts = std::collections::BTreeMap::new();
        let mut by_class = std::collections::BTreeMap::<String, (usize, usize)>::new();
        let mut by_path = std::collections::BTreeMap::<String, (usize, usize)>::new();
        for r in reports {
            let path = by_path.entry(r.path.clone()).or_default();
            path.0 += usize::from(r.verdict == Verdict::Correct);
            path.1 += 1;
            *verdicts.entry(r.verdict.as_str().to_owned()).or_default() += 1;
            let class = by_class.entry(r.class.clone()).or_default();
            class.0 += usize::from(r.verdict == Verdict::Correct);
            class.1 += 1;
        }
        Summary {
            cases: n,
            correct,
            execution_accuracy: share(correct),
            valid_share: share(count(&|r| r.valid)),
            repaired_share: share(count(&|r| r.valid && r.repaired)),
            refused_share: share(count(&|r| r.verdict == Verdict::Refused)),
            median_latency_ms: median(&|r| Some(r.latency_ms)),
            median_first_token_ms: median(&|r| r.first_token_ms),
            median_answer_tokens: median(&|r| Some(r.answer_tokens)),
            median_prompt_tokens: median(&|r| Some(r.prompt_tokens)),
            verdicts,
            by_class,
            by_path,
            right: count(&|r| r.right()),
            asked: count(&|r| r.asked),
            gold_among_asked: count(&|r| r.asked && r.gold_among == Some(true)),
            sure_but_wrong: count(&|r| r.sure_but_wrong()),
            right_covering: count(&|r| !r.asked && r.covers_gold == Some(true)),
        }
    }
}

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
        let mut previous = None;
        if let Some(earlier) = earlier
            && !matches!(self.way, Way::Bare | Way::Free)
        {
            let (planned, trace) = sql.planned(0, earlier, true, &same, &position, None).await;
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
                previous = Some(crate::sql_target::answer::Previous {
                    question: earlier.to_owned(),
                    plan: plan.to_json(),
                    replied: true,
                });
            }
        }
        let whole = Case {
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
        };
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
        // Every reading drawn, run beside the gold: what the signals of
        // doubt are measured against.
        if let Some(weighed) = &trace.weighed {
            for reading in &weighed.readings {
                let (correct, covers_gold) = self
                    .judge_reading(&sql, &reading.sql, case, &gold_rows)
                    .await;
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
        let offer = match planned {
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
                    &mut report,
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
                    let (correct, _) = self
                        .judge_reading(&sql, &reading.sql, case, &gold_rows)
                        .await;
                    among |= correct == Some(true);
                }
                report.gold_among = Some(among);
                // Judged as the reading it would have offered.
                let first = &readings[0];
                report.plan = Some(first.plan.to_json());
                Some(Self::first_offer(
                    sql.judge_compiled(&first.sql).await,
                    &mut report,
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
        };
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

/// A result as compared: each row's values in canonical form.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rows {
    pub columns: usize,
    pub rows: Vec<Vec<String>>,
    /// The same values, each row in its columns' order: what the public
    /// benchmark's rule matches columns by ([`covers`]).
    pub table: Vec<Vec<String>>,
    pub truncated: bool,
}

impl RowSink for Rows {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.columns = columns.len();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        let mut values: Vec<String> = row.iter().map(canonical).collect();
        self.table.push(values.clone());
        // Column order does not matter: a row is the multiset of its values.
        values.sort_unstable();
        self.rows.push(values);
        Ok(())
    }
}

/// A value as compared: NULL, an integer, a number to nine significant
/// digits, or the text as it is.
pub fn canonical(cell: &Cell) -> String {
    let Some(text) = cell else {
        return "NULL".to_owned();
    };
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return i.to_string();
    }
    let looks_numeric = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && t.chars().any(|c| c.is_ascii_digit());
    if looks_numeric
        && let Ok(x) = t.parse::<f64>()
        && x.is_finite()
    {
        // Nine significant digits first: a sum's 12.000000000001 is 12.
        let rounded: f64 = format!("{x:.8e}").parse().unwrap_or(x);
        if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
            return format!("{}", rounded as i64);
        }
        return format!("{rounded:.8e}");
    }
    text.clone()
}

/// `None` when the produced rows are the gold rows (in order when
/// `ordered`), else how they differ.
pub fn compare(gold: &Rows, produced: &Rows, ordered: bool) -> Option<Diff> {
    let same_order = gold.rows == produced.rows;
    let mut g = gold.rows.clone();
    let mut p = produced.rows.clone();
    g.sort_unstable();
    p.sort_unstable();
    let same_multiset = g == p;
    if same_multiset && (same_order || !ordered) {
        return None;
    }
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < g.len() || j < p.len() {
        match (g.get(i), p.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                missing.push(a.clone());
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                extra.push(b.clone());
                j += 1;
            }
            (Some(a), None) => {
                missing.push(a.clone());
                i += 1;
            }
            (None, None) => break,
        }
    }
    missing.truncate(5);
    extra.truncate(5);
    Some(Diff {
        gold_rows: gold.rows.len() as u64,
        produced_rows: produced.rows.len() as u64,
        gold_columns: gold.columns,
        produced_columns: produced.columns,
        missing,
        extra,
        order_differs: same_multiset,
        truncated: gold.truncated || produced.truncated,
    })
}

/// Whether `produced` holds the gold result by the rule of Defog's public
/// sql-eval: each gold column is one of the result's columns (by its
/// values, whatever its name), and the rows, kept to those columns, are
/// the gold's (in order when `ordered`). A result with more columns than
/// asked is then right, as published figures count it.
pub fn covers(gold: &Rows, produced: &Rows, ordered: bool) -> bool {
    if gold.table.len() != produced.table.len() {
        return false;
    }
    let column = |rows: &Rows, c: usize| -> Vec<String> {
        let mut values: Vec<String> = rows.table.iter().map(|r| r[c].clone()).collect();
        if !ordered {
            values.sort_unstable();
        }
        values
    };
    // The result's columns each gold column may be: those with its values.
    let candidates: Vec<Vec<usize>> = (0..gold.columns)
        .map(|g| {
            let wanted = column(gold, g);
            (0..produced.columns)
                .filter(|&p| column(produced, p) == wanted)
                .collect()
        })
        .collect();
    if candidates.iter().any(Vec::is_empty) {
        return false;
    }
    let project = |rows: &Rows, columns: &[usize]| -> Vec<Vec<String>> {
        let mut kept: Vec<Vec<String>> = rows
            .table
            .iter()
            .map(|r| columns.iter().map(|&c| r[c].clone()).collect())
            .collect();
        if !ordered {
            kept.sort_unstable();
        }
        kept
    };
    let wanted = project(gold, &(0..gold.columns).collect::<Vec<_>>());
    // Each choice of one candidate a gold column, the first few hundred:
    // columns of equal values are few.
    let mut choice = vec![0usize; candidates.len()];
    for _ in 0..512 {
        let columns: Vec<usize> = choice.iter().zip(&candidates).map(|(&i, c)| c[i]).collect();
        if project(produced, &columns) == wanted {
            return true;
        }
        let mut k = 0;
        loop {
            if k == choice.len() {
                return false;
            }
            choice[k] += 1;
            if choice[k] < candidates[k].len() {
                break;
            }
            choice[k] = 0;
            k += 1;
        }
    }
    false
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
mod tests {
    use super::*;

    fn rows(columns: usize, data: &[&[Option<&str>]]) -> Rows {
        let mut r = Rows::default();
        let cols: Vec<Column> = (0..columns)
            .map(|i| Column::new(&format!("c{i}"), "", crate::sql::Dialect::Sqlite))
            .collect();
        r.columns(&cols).unwrap();
        for row in data {
            let cells: Vec<Cell> = row.iter().map(|c| c.map(str::to_owned)).collect();
            r.row(&cells).unwrap();
        }
        r
    }

    #[test]
    fn a_question_is_classed_by_the_tables_its_gold_query_reads() {
        let policy = crate::sql::validate::Policy::new(crate::sql::Dialect::Sqlite);
        let class = |sql: &str| class_of(&crate::sql::validate::validate(sql, &policy).unwrap());
        assert_eq!(class("SELECT count(*) FROM clients"), "1 table");
        assert_eq!(
            class("SELECT c.company FROM clients c JOIN contracts k ON k.client_id = c.id"),
            "2 tables"
        );
        assert_eq!(
            class("SELECT 1 FROM a JOIN b ON a.id = b.a JOIN c ON c.id = b.c JOIN d ON d.id = c.d"),
            "4+ tables"
        );
    }

    #[test]
    fn the_summary_counts_right_answers_by_class_and_by_path() {
        let case = |class: &str, verdict: Verdict| CaseReport {
            id: String::new(),
            question: String::new(),
            language: Lang::En,
            verdict,
            answer: None,
            repair_answer: None,
            drawn: Vec::new(),
            votes: None,
            sql: None,
            gold: String::new(),
            valid: true,
            repaired: false,
            error: None,
            cut: None,
            diff: None,
            class: class.to_owned(),
            examples: Vec::new(),
            latency_ms: 0,
            first_token_ms: None,
            answer_tokens: 0,
            prompt_tokens: 0,
            path: if class == "1 table" {
                PATH_PLAN
            } else {
                PATH_FREE
            }
            .to_owned(),
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
        };
        let summary = Summary::of(&[
            case("1 table", Verdict::Correct),
            case("1 table", Verdict::WrongResult),
            case("2 tables", Verdict::NoSql),
        ]);
        assert_eq!(summary.by_class["1 table"], (1, 2));
        assert_eq!(summary.by_class["2 tables"], (0, 1));
        assert_eq!(summary.by_path[PATH_PLAN], (1, 2));
        assert_eq!(summary.by_path[PATH_FREE], (0, 1));
        // The first token's median is over the cases whose model answered.
        let timed = |ms: Option<u64>| CaseReport {
            first_token_ms: ms,
            ..case("1 table", Verdict::Correct)
        };
        let summary = Summary::of(&[
            timed(Some(900)),
            timed(None),
            timed(Some(60_000)),
            timed(Some(1_100)),
        ]);
        assert_eq!(summary.median_first_token_ms, 1_100);
    }

    #[test]
    fn results_are_equal_whatever_the_column_names_order_and_number_format() {
        let gold = rows(
            2,
            &[&[Some("Lyon"), Some("12")], &[Some("Paris"), Some("30.5")]],
        );
        let produced = rows(
            2,
            &[
                &[Some("30.50"), Some("Paris")],
                &[Some("12.0"), Some("Lyon")],
            ],
        );
        assert_eq!(compare(&gold, &produced, false), None);
        // A sum's float noise is no difference either.
        let noisy = rows(1, &[&[Some("0.30000000000000004")]]);
        assert_eq!(compare(&rows(1, &[&[Some("0.3")]]), &noisy, false), None);
        let whole = rows(1, &[&[Some("12.000000000001")]]);
        assert_eq!(compare(&rows(1, &[&[Some("12")]]), &whole, false), None);
    }

    #[test]
    fn sql_evals_rule_takes_a_result_that_holds_every_gold_column_and_its_rows() {
        let gold = rows(1, &[&[Some("Lyon")], &[Some("Paris")]]);
        let more = rows(
            2,
            &[&[Some("3"), Some("Paris")], &[Some("5"), Some("Lyon")]],
        );
        assert!(covers(&gold, &more, false));
        assert!(
            compare(&gold, &more, false).is_some(),
            "not by the exact rule"
        );
        // Other rows, or the gold's column missing, are no cover.
        let other = rows(
            2,
            &[&[Some("3"), Some("Paris")], &[Some("5"), Some("Nice")]],
        );
        assert!(!covers(&gold, &other, false));
        assert!(!covers(&gold, &rows(1, &[&[Some("Lyon")]]), false));
        // Two gold columns must be matched by columns whose rows agree.
        let pairs = rows(
            2,
            &[&[Some("Lyon"), Some("1")], &[Some("Paris"), Some("2")]],
        );
        let crossed = rows(
            3,
            &[
                &[Some("x"), Some("Lyon"), Some("2")],
                &[Some("y"), Some("Paris"), Some("1")],
            ],
        );
        assert!(!covers(&pairs, &crossed, false));
        // In order, where the gold orders.
        let reversed = rows(
            2,
            &[&[Some("5"), Some("Paris")], &[Some("3"), Some("Lyon")]],
        );
        assert!(covers(&gold, &reversed, false));
        assert!(!covers(&gold, &reversed, true));
    }

    #[test]
    fn row_order_matters_only_when_the_gold_query_orders() {
        let gold = rows(1, &[&[Some("a")], &[Some("b")]]);
        let produced = rows(1, &[&[Some("b")], &[Some("a")]]);
        assert_eq!(compare(&gold, &produced, false), None);
        let diff = compare(&gold, &produced, true).unwrap();
        assert!(diff.order_differs && diff.missing.is_empty() && diff.extra.is_empty());
    }

    #[test]
    fn a_difference_names_the_missing_and_extra_rows() {
        let gold = rows(1, &[&[Some("a")], &[Some("b")], &[None]]);
        let produced = rows(1, &[&[Some("a")], &[Some("c")]]);
        let diff = compare(&gold, &produced, false).unwrap();
        assert_eq!(
            diff.missing,
            vec![vec!["NULL".to_owned()], vec!["b".to_owned()]]
        );
        assert_eq!(diff.extra, vec![vec!["c".to_owned()]]);
        assert_eq!((diff.gold_rows, diff.produced_rows), (3, 2));
        // Duplicates count: a multiset, not a set.
        let twice = rows(1, &[&[Some("a")], &[Some("a")]]);
        assert!(compare(&rows(1, &[&[Some("a")]]), &twice, false).is_some());
        // Numbers that differ beyond the tolerance differ; texts that look
        // alike but are not numbers are compared as they are.
        assert!(
            compare(
                &rows(1, &[&[Some("0.3")]]),
                &rows(1, &[&[Some("0.31")]]),
                false
            )
            .is_some()
        );
        assert_eq!(canonical(&Some("73282932000074".into())), "73282932000074");
        assert_eq!(canonical(&Some("2025-10-31".into())), "2025-10-31");
    }

    #[test]
    fn cases_read_from_toml_and_json_lines_with_ids_given_when_absent() {
        let toml = "[[case]]\nquestion = \"How many clients?\"\nlanguage = \"en\"\ngold = \"SELECT COUNT(*) FROM clients\"\n\n\
                    [[case]]\nid = \"late\"\nquestion = \"Paiements en retard ?\"\ngold = \"SELECT 1\"\n";
        let cases = read_cases(toml, FileFormat::Toml).unwrap();
        assert_eq!(cases[0].id.as_deref(), Some("1"));
        assert_eq!(cases[1].id.as_deref(), Some("late"));
        let jsonl = "{\"question\": \"a\", \"sql\": \"SELECT 1\", \"id\": \"x\"}\n{\"question\": \"b\", \"gold\": \"SELECT 2\", \"id\": \"x\"}\n";
        let err = read_cases(jsonl, FileFormat::JsonLines).unwrap_err();
        assert!(err.to_string().contains("same id \"x\""), "{err}");
    }
}
