//! What a run of cases sums to: the accuracy by path and by class, the
//! signals of doubt against right and wrong answers.

use serde::{Deserialize, Serialize};

use super::*;

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
        let cases: Vec<AsDrawn> = reports
            .iter()
            .map(|r| {
                let drawn: u64 = r.draw_ms.iter().sum();
                let kept: u64 = r.draw_ms.iter().take(n.saturating_sub(1)).sum();
                times.push(r.latency_ms.saturating_sub(drawn) + kept);
                with_draws(r, n, unsure_below)
            })
            .collect();
        times.sort_unstable();
        let median_ms = times.get(times.len() / 2).copied().unwrap_or(0);
        for combo in &combos {
            table.push(row_of(combo, n, (reports, &cases), median_ms));
        }
    }
    table
}

/// A case as it would go with a number of draws.
struct AsDrawn {
    right: bool,
    /// The doubts raised.
    raised: Vec<crate::sql::Doubt>,
    /// The plan path offered it.
    offered: bool,
    /// The gold is among the first three readings.
    among: bool,
}

/// A case as it would go with its first `n` draws, and `unsure_below`.
fn with_draws(r: &CaseReport, n: usize, unsure_below: f64) -> AsDrawn {
    use crate::sql::Doubt;
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
        return AsDrawn {
            right: r.verdict == Verdict::Correct,
            raised,
            offered: false,
            among,
        };
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
        return AsDrawn {
            right: false,
            raised: Vec::new(),
            offered: false,
            among: false,
        };
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
    AsDrawn {
        right: reading.correct == Some(true),
        raised,
        offered: true,
        among,
    }
}

/// The row of the signals `combo` with `n` draws, over `cases` as
/// [`with_draws`] reads them.
fn row_of(
    combo: &[crate::sql::Doubt],
    n: usize,
    (reports, cases): (&[CaseReport], &[AsDrawn]),
    median_ms: u64,
) -> DoubtRow {
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
    for (report, drawn) in reports.iter().zip(cases) {
        let AsDrawn {
            right,
            raised,
            offered,
            among,
        } = drawn;
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
    row
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
