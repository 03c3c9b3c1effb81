//! `pstral eval`: runs a set of questions with gold SQL through the bot's
//! own path and prints how often the offered query returns the right rows,
//! with a progress bar (on a terminal) and a JSON report of every case.

use std::borrow::Cow;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::config::Settings;
use pstral_core::conversation::Prompts;
use pstral_core::eval::{Case, CaseReport, Evaluation, Summary, Verdict, Way, read_cases, split};
use pstral_core::learn::Learning;
use pstral_core::learn::examples::{Example, FileFormat};
use pstral_core::llm::Llm;
use pstral_core::sql::{FreePrompt, PromptPart};
use pstral_core::sql_target::SqlRuntime;
use serde_json::json;

use super::{for_target, open};
use crate::args::EvalArgs;

pub(crate) async fn eval(settings: &Settings, args: EvalArgs) -> anyhow::Result<ExitCode> {
    if let Some(report) = &args.reread {
        return reread(settings, report);
    }
    let text = std::fs::read_to_string(&args.cases)
        .with_context(|| format!("cannot read {}", args.cases.display()))?;
    let mut cases = read_cases(&text, FileFormat::of(&args.cases))
        .with_context(|| format!("cannot read the cases of {}", args.cases.display()))?;
    if let Some(n) = args.limit {
        cases.truncate(n);
    }
    if cases.is_empty() {
        bail!("{} holds no case", args.cases.display());
    }
    let settings = for_target(settings, args.target.as_deref())?;
    let store = open(&settings).await?;
    let runtime = pstral_core::app::sql_runtime(&settings, &store, &|note| eprintln!("{note}"))
        .await
        .map_err(|reason| anyhow::anyhow!("the target cannot be used: {reason}"));
    // The model's queries run on the target without a click: recorded
    // before anything runs, and nothing runs without the record.
    let recorded = match &runtime {
        Ok(_) => {
            let event = NewEvent::new(
                EventKind::Evaluation,
                Actor::cli(),
                json!({"cases": args.cases.display().to_string(), "count": cases.len(),
                       "split": args.split, "ablate": args.ablate,
                       "ablate_parts": args.ablate_parts.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                       "target": settings.sql.target.name}),
            );
            Audit::new(store.clone())
                .append(event)
                .await
                .context("cannot record the evaluation, so it did not run")
                .map(drop)
        }
        Err(_) => Ok(()),
    };
    let result = match (runtime, recorded) {
        (Ok(runtime), Ok(())) => {
            let audit = Audit::new(store.clone());
            run(&settings, &args, &cases, runtime, &audit).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    store.close().await;
    result
}

async fn run(
    settings: &Settings,
    args: &EvalArgs,
    cases: &[Case],
    runtime: SqlRuntime,
    audit: &Audit,
) -> anyhow::Result<ExitCode> {
    let llm = Llm::from_settings(&settings.llm)?;
    let prompts = Prompts::new(settings.conversation.prompts_dir.clone());
    let servers: Vec<String> = llm
        .endpoints()
        .iter()
        .map(|e| format!("{} at {}", e.model(), e.name()))
        .collect();
    print_settings(args, cases, &runtime, &servers);
    let lang = settings.general.language;
    let way = if args.plan_only {
        Way::PlanOnly
    } else {
        Way::Bot
    };
    let mut runs: Vec<Run> = Vec::new();
    // One bar for every run, the bare one included.
    let bar = progress();
    let asking = Asking {
        audit,
        llm: &llm,
        prompts: &prompts,
        lang,
        bar: &bar,
        alone: args.alone,
    };
    let bare_runs = usize::from(args.bare);
    // The cases a bare prompt is asked, and on what: the held-out half
    // without examples when split, else every case as the bot has them.
    let bare_on: (Cow<SqlRuntime>, Cow<[Case]>);
    if args.ablate {
        ablate(args, (&runtime, cases), &asking, (&servers, &mut runs)).await?;
        bare_on = (Cow::Borrowed(&runtime), Cow::Borrowed(cases));
    } else if args.split {
        let (without, held) =
            split_runs(settings, args, (&runtime, cases), &asking, (way, &mut runs)).await;
        bare_on = (Cow::Owned(without), Cow::Owned(held));
    } else {
        bar.set_length((cases.len() * (1 + bare_runs)) as u64);
        let reports = asking.run(&runtime, cases, "", way).await;
        runs.push((
            "all".to_owned(),
            format!("{} cases, the stored examples", cases.len()),
            reports,
        ));
        bare_on = (Cow::Borrowed(&runtime), Cow::Borrowed(cases));
    }
    if args.bare {
        let (on, cases) = &bare_on;
        let bare = asking.run(on, cases, "bare prompt", Way::Bare).await;
        runs.push((
            "bare".to_owned(),
            "the same, asked with a bare prompt (the tables and the question)".to_owned(),
            bare,
        ));
    }
    bar.finish_and_clear();
    print_runs(&runs, runtime.plan_votes.unsure_below);
    write_report(args, &runtime, &servers, &runs)?;
    println!("report: {}", args.report.display());
    let broken: Vec<&str> = runs
        .iter()
        .flat_map(|(_, _, r)| r)
        .filter(|r| r.verdict == Verdict::GoldFailed)
        .map(|r| r.id.as_str())
        .collect();
    if !broken.is_empty() {
        eprintln!(
            "error: the gold query of these cases failed: {}",
            broken.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What the evaluation runs on, on standard output: the cases, the target,
/// the model, and how many plans and answers a question draws.
fn print_settings(args: &EvalArgs, cases: &[Case], runtime: &SqlRuntime, servers: &[String]) {
    println!(
        "pstral eval: {} cases from {}, target {} ({}), model {}",
        cases.len(),
        args.cases.display(),
        runtime.target,
        runtime.policy.dialect,
        servers.join(", ")
    );
    if runtime.plan_votes.count > 1 && runtime.semantic().is_some() && !args.ablate {
        println!(
            "{} plans a question the semantic model takes (sql.plan_votes), the further ones at \
             temperature {}; asked back on: {}",
            runtime.plan_votes.count,
            runtime.plan_votes.temperature,
            runtime
                .plan_votes
                .ask_back
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if runtime.candidates.count > 1 {
        println!(
            "{} answers a question (sql.candidates), the further ones at temperature {}: \
             the statement most agree on is the one judged",
            runtime.candidates.count, runtime.candidates.temperature
        );
    }
}

/// `--ablate`: the bare prompt, then the configured free prompt and each
/// of its parts alone beside it (only the parts named, with
/// `--ablate-parts`), then the parts that helped alone, together; the
/// report written after each prompt.
async fn ablate(
    args: &EvalArgs,
    (runtime, cases): (&SqlRuntime, &[Case]),
    asking: &Asking<'_>,
    (servers, runs): (&[String], &mut Vec<Run>),
) -> anyhow::Result<()> {
    // Parts named on the command line: those alone beside the bare
    // prompt; else every configured part, the whole and the kept too.
    let named_only = !args.ablate_parts.is_empty();
    let configured = if named_only {
        args.ablate_parts
            .iter()
            .fold(FreePrompt::bare(), |prompt, part| prompt.with(*part))
    } else {
        runtime.free_prompt.clone()
    };
    let parts = ablated(runtime, &configured).await;
    // A part named that could show nothing here would measure the bare
    // prompt twice under its name.
    if let Some(part) = args.ablate_parts.iter().find(|p| !parts.contains(p)) {
        anyhow::bail!(
            "--ablate-parts: {} would show nothing on target {} (a glossary needs one \
             configured, examples need some stored)",
            part.as_str(),
            runtime.target
        );
    }
    // Written after each prompt: a run of hours that stops keeps what
    // it measured.
    let keep = |runs: &[Run]| write_report(args, runtime, servers, runs);
    let free = |free_prompt| SqlRuntime {
        free_prompt,
        ..runtime.clone()
    };
    asking
        .bar
        .set_length((cases.len() * (1 + usize::from(!named_only) + parts.len())) as u64);
    let bare = asking.run(runtime, cases, "bare", Way::Bare).await;
    let bare_right = Summary::of(&bare).correct;
    runs.push((
        "bare".to_owned(),
        "a bare prompt: the tables and the question, none of the parts below".to_owned(),
        bare,
    ));
    keep(runs)?;
    if !named_only {
        let name = "sql.free_prompt";
        let reports = asking
            .run(&free(configured.clone()), cases, name, Way::Free)
            .await;
        runs.push((
            name.to_owned(),
            format!(
                "the free path as sql.free_prompt has it: {}",
                named(&configured)
            ),
            reports,
        ));
        keep(runs)?;
    }
    // The parts that each bring more right answers than the bare
    // prompt alone, measured together after, when that is a prompt not
    // measured already.
    let mut kept = FreePrompt::bare();
    for part in parts {
        let name = format!("+{}", part.as_str());
        let reports = asking
            .run(
                &free(FreePrompt::bare().with(part)),
                cases,
                &name,
                Way::Free,
            )
            .await;
        if Summary::of(&reports).correct > bare_right {
            kept = kept.with(part);
        }
        runs.push((
            name,
            format!("the bare prompt and its {} alone", part.as_str()),
            reports,
        ));
        keep(runs)?;
    }
    if !named_only && kept.parts().count() > 1 && kept != configured {
        asking.bar.inc_length(cases.len() as u64);
        let reports = asking
            .run(&free(kept.clone()), cases, "kept", Way::Free)
            .await;
        runs.push((
            "kept".to_owned(),
            format!("the parts that helped alone, together: {}", named(&kept)),
            reports,
        ));
        keep(runs)?;
    }
    Ok(())
}

/// `--split`: the held-out half without examples, then with the other half
/// as examples (their plans confirmed first where plan prompts show them).
/// Returns the runtime without examples and the held-out half, which a bare
/// prompt is asked on.
async fn split_runs(
    settings: &Settings,
    args: &EvalArgs,
    (runtime, cases): (&SqlRuntime, &[Case]),
    asking: &Asking<'_>,
    (way, runs): (Way, &mut Vec<Run>),
) -> (SqlRuntime, Vec<Case>) {
    let bare_runs = usize::from(args.bare);
    let lang = settings.general.language;
    let (held, train) = split(cases);
    let without = SqlRuntime {
        learning: None,
        ..runtime.clone()
    };
    // Where plan prompts show confirmed plans (a semantic model and
    // `sql.plan_examples`; no held-out question is a stored one, so none
    // is reused), the training half is asked through it first, and a
    // plan whose rows are the gold's is kept with the example, as
    // "correct" on its result keeps it in the chat.
    let confirming = runtime.semantic().is_some() && runtime.plan_examples > 0;
    asking
        .bar
        .set_length((held.len() * (2 + bare_runs) + usize::from(confirming) * train.len()) as u64);
    let confirmed: Vec<Option<String>> = if confirming {
        asking
            .run(&without, &train, "confirming plans", Way::PlanOnly)
            .await
            .into_iter()
            .map(|r| r.plan.filter(|_| r.verdict == Verdict::Correct))
            .collect()
    } else {
        vec![None; train.len()]
    };
    // The examples are the training half, judged as stored ones are,
    // held in memory: the own database's examples play no part.
    let mut examples = Vec::new();
    for (i, (case, plan)) in train.iter().zip(confirmed).enumerate() {
        match runtime.check(&case.gold) {
            Ok(valid) => {
                let mut example = example_of(case, &valid.text, i, runtime, lang);
                example.plan = plan;
                examples.push(example);
            }
            Err(refusal) => eprintln!(
                "case {}: its gold query cannot be an example: {refusal}",
                case.id.as_deref().unwrap_or("?")
            ),
        }
    }
    let stored = examples.len();
    let planned = examples.iter().filter(|e| e.plan.is_some()).count();
    let with = SqlRuntime {
        learning: Some(Arc::new(Learning::fixed(
            examples,
            &runtime.target,
            settings.llm.embedding_model.as_deref(),
        ))),
        ..runtime.clone()
    };
    let a = asking.run(&without, &held, "without examples", way).await;
    let b = asking.run(&with, &held, "with examples", way).await;
    runs.push((
        "without_examples".to_owned(),
        format!("{} held-out cases, no example", held.len()),
        a,
    ));
    runs.push((
        "with_examples".to_owned(),
        format!(
            "the same, with the other {stored} stored as examples ({planned} with the plan \
             the semantic path answered them right with)"
        ),
        b,
    ));
    (without, held)
}

/// The JSON report of `runs`: each case's verdict, and each run's summary.
fn write_report(
    args: &EvalArgs,
    runtime: &SqlRuntime,
    servers: &[String],
    runs: &[Run],
) -> anyhow::Result<()> {
    let report = json!({
        "cases": args.cases.display().to_string(),
        "target": runtime.target,
        "dialect": runtime.policy.dialect.as_str(),
        "model": servers,
        "runs": runs.iter().map(|(name, about, reports)| json!({
            "name": name,
            "about": about,
            "summary": Summary::of(reports),
            "doubts": pstral_core::eval::doubt_table(reports, runtime.plan_votes.unsure_below),
            "cases": reports,
        })).collect::<Vec<_>>(),
    });
    std::fs::write(&args.report, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("cannot write the report {}", args.report.display()))
}

/// The figures of a report written by an earlier run, printed again.
fn reread(settings: &Settings, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    #[derive(serde::Deserialize)]
    struct Report {
        runs: Vec<Run>,
    }
    #[derive(serde::Deserialize)]
    struct Run {
        name: String,
        about: String,
        cases: Vec<CaseReport>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a report of pstral eval", path.display()))?;
    let runs: Vec<(String, String, Vec<CaseReport>)> = report
        .runs
        .into_iter()
        .map(|r| (r.name, r.about, r.cases))
        .collect();
    print_runs(&runs, settings.sql.plan_votes.unsure_below);
    Ok(ExitCode::SUCCESS)
}

fn example_of(
    case: &Case,
    sql: &str,
    i: usize,
    runtime: &SqlRuntime,
    lang: pstral_core::i18n::Lang,
) -> Example {
    Example {
        id: i64::try_from(i).unwrap_or(i64::MAX) + 1,
        target: runtime.target.clone(),
        question: case.question.clone(),
        sql: sql.to_owned(),
        dialect: runtime.policy.dialect.as_str().to_owned(),
        language: case
            .language
            .unwrap_or_else(|| pstral_core::learn::text::language_of(&case.question, lang)),
        source: "eval".to_owned(),
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

/// A bar on standard error when it is a terminal; nothing otherwise. Its
/// length is set once the cases to ask are known.
fn progress() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} cases, {elapsed} ({eta} left) {msg}",
        )
        .expect("a valid template"),
    );
    bar
}

/// What every run of an evaluation shares.
struct Asking<'a> {
    audit: &'a Audit,
    llm: &'a Llm,
    prompts: &'a Prompts,
    lang: pstral_core::i18n::Lang,
    bar: &'a indicatif::ProgressBar,
    /// Follow-ups asked alone ([`EvalArgs::alone`]).
    alone: bool,
}

impl Asking<'_> {
    /// Asks `cases` one after the other on `runtime`, the `way` said.
    async fn run(
        &self,
        runtime: &SqlRuntime,
        cases: &[Case],
        label: &str,
        way: Way,
    ) -> Vec<CaseReport> {
        let evaluation = Evaluation {
            runtime,
            audit: self.audit,
            llm: self.llm,
            prompts: self.prompts,
            lang: self.lang,
            way,
            alone: self.alone,
        };
        let mut reports = Vec::with_capacity(cases.len());
        for case in cases {
            self.bar
                .set_message(format!("{label} {}", case.id.as_deref().unwrap_or("")));
            reports.push(evaluation.run(case).await);
            self.bar.inc(1);
        }
        reports
    }
}

/// The parts of the free path's prompt `--ablate` measures: each of
/// `configured` that could show anything here (a glossary where the target
/// has one, examples where some are stored).
async fn ablated(runtime: &SqlRuntime, configured: &FreePrompt) -> Vec<PromptPart> {
    let examples = match runtime.learning.as_ref().and_then(|l| l.store()) {
        Some(store) => store
            .list(Some(&runtime.target))
            .await
            .is_ok_and(|stored| stored.iter().any(|e| e.set_aside.is_none())),
        None => runtime.learning.is_some(),
    };
    PromptPart::ALL
        .into_iter()
        .filter(|part| configured.has(*part))
        .filter(|part| match part {
            PromptPart::Glossary => runtime.glossary.is_some(),
            PromptPart::Examples => examples,
            _ => true,
        })
        .collect()
}

/// The parts a free prompt holds, by name.
fn named(prompt: &FreePrompt) -> String {
    let names: Vec<&str> = prompt.parts().map(PromptPart::as_str).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

type Run = (String, String, Vec<CaseReport>);

/// A run's figures: an ablation's as one table of its prompts, any other's
/// side by side.
fn print_runs(runs: &[Run], unsure_below: f64) {
    if runs.iter().any(|(name, ..)| name.starts_with('+')) {
        print_ablation(runs);
    } else {
        print_summaries(runs, unsure_below);
    }
}

/// What each part of the free path's prompt brings: every prompt of the
/// run against the bare prompt, case by case.
fn print_ablation(runs: &[Run]) {
    let bare = runs.iter().find(|(name, ..)| name == "bare");
    let mut table = crate::tables::new_table(&[
        "prompt",
        "right",
        "against bare",
        "gained / lost",
        "valid SQL",
        "repaired",
        "median latency",
        "median prompt tokens",
        "median answer tokens",
    ]);
    let right = |r: &CaseReport| r.verdict == Verdict::Correct;
    for (name, _, reports) in runs {
        let s = Summary::of(reports);
        let (against, moved) = match bare {
            Some((_, _, base)) if base.len() == reports.len() => {
                let gained = reports
                    .iter()
                    .zip(base)
                    .filter(|(r, b)| right(r) && !right(b))
                    .count();
                let lost = reports
                    .iter()
                    .zip(base)
                    .filter(|(r, b)| !right(r) && right(b))
                    .count();
                (
                    format!("{:+}", s.correct as i64 - Summary::of(base).correct as i64),
                    format!("+{gained} / -{lost}"),
                )
            }
            _ => ("–".to_owned(), "–".to_owned()),
        };
        table.add_row(vec![
            name.clone(),
            format!("{}/{}", s.correct, s.cases),
            against,
            moved,
            format!("{:.0} %", s.valid_share * 100.0),
            format!("{:.0} %", s.repaired_share * 100.0),
            format!("{:.1} s", s.median_latency_ms as f64 / 1000.0),
            s.median_prompt_tokens.to_string(),
            s.median_answer_tokens.to_string(),
        ]);
    }
    for (_, about, _) in runs {
        println!("- {about}");
    }
    println!("{table}");
}

fn print_summaries(runs: &[Run], unsure_below: f64) {
    let summaries: Vec<Summary> = runs.iter().map(|(_, _, r)| Summary::of(r)).collect();
    let mut header = vec![""];
    header.extend(runs.iter().map(|(name, _, _)| match name.as_str() {
        "without_examples" => "without examples",
        "with_examples" => "with examples",
        "bare" => "bare prompt",
        _ => "result",
    }));
    let mut table = crate::tables::new_table(&header);
    let percent = |share: f64| format!("{:.1} %", share * 100.0);
    type Row<'a> = (&'a str, &'a dyn Fn(&Summary) -> String);
    let share = |k: usize, s: &Summary| {
        let of = s.cases.max(1) as f64;
        format!("{} ({k}/{})", percent(k as f64 / of), s.cases)
    };
    let rows: [Row; 13] = [
        ("execution accuracy", &|s| {
            format!(
                "{} ({}/{})",
                percent(s.execution_accuracy),
                s.correct,
                s.cases
            )
        }),
        ("right at once (not asked back)", &|s| share(s.right, s)),
        ("asked back", &|s| {
            format!(
                "{}, the gold among the readings in {}",
                share(s.asked, s),
                s.gold_among_asked
            )
        }),
        ("sure but wrong", &|s| share(s.sure_but_wrong, s)),
        ("right by sql-eval's rule", &|s| share(s.right_covering, s)),
        ("valid SQL offered", &|s| percent(s.valid_share)),
        ("valid after the repair", &|s| percent(s.repaired_share)),
        ("refused by the validator", &|s| percent(s.refused_share)),
        ("median latency", &|s| {
            format!("{:.1} s", s.median_latency_ms as f64 / 1000.0)
        }),
        ("median time to first token", &|s| {
            format!("{:.1} s", s.median_first_token_ms as f64 / 1000.0)
        }),
        ("median answer tokens", &|s| {
            s.median_answer_tokens.to_string()
        }),
        ("median prompt tokens", &|s| {
            s.median_prompt_tokens.to_string()
        }),
        ("verdicts", &|s| {
            s.verdicts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }),
    ];
    for (name, value) in rows {
        let mut row = vec![name.to_owned()];
        row.extend(summaries.iter().map(value));
        table.add_row(row);
    }
    right_by(
        &mut table,
        &summaries,
        |s| &s.by_class,
        |class| format!("right, {class}"),
    );
    right_by(
        &mut table,
        &summaries,
        |s| &s.by_path,
        |path| format!("right, {path} path"),
    );
    for (_, about, _) in runs {
        println!("- {about}");
    }
    println!("{table}");
    for (name, _, reports) in runs {
        print_doubts(name, reports, unsure_below);
    }
}

/// The signals of doubt against right and wrong, for each number of plans
/// drawn, when the run drew several.
fn print_doubts(name: &str, reports: &[CaseReport], unsure_below: f64) {
    let rows = pstral_core::eval::doubt_table(reports, unsure_below);
    if rows.is_empty() {
        return;
    }
    println!("signals of doubt ({name}): asking back on any of the signals listed");
    let mut table = crate::tables::new_table(&[
        "plans",
        "asked back on",
        "right at once",
        "asked",
        "sure but wrong",
        "wrong caught",
        "right asked needlessly",
        "gold among those asked",
        "median time",
    ]);
    for r in rows {
        table.add_row(vec![
            r.n.to_string(),
            if r.signals.is_empty() {
                "(never)".to_owned()
            } else {
                r.signals.join(" + ")
            },
            format!("{}/{}", r.right, r.cases),
            format!("{}/{}", r.asked, r.cases),
            format!("{}/{}", r.sure_but_wrong, r.cases),
            format!("{}/{}", r.caught, r.wrong),
            format!("{}/{}", r.needless, r.right_on_plan),
            format!("{}/{}", r.gold_among, r.asked),
            format!("{:.1} s", r.median_ms as f64 / 1000.0),
        ]);
    }
    println!("{table}");
    // "unsure" by its threshold, alone, on the greedy plan.
    if reports.iter().any(|r| r.least_sure.is_some()) {
        let mut sweep =
            crate::tables::new_table(&["unsure below", "wrong caught", "right asked needlessly"]);
        for tenth in 1..=9 {
            let below = f64::from(tenth) / 10.0;
            let rows = pstral_core::eval::doubt_table(reports, below);
            if let Some(r) = rows.iter().find(|r| r.n == 1 && r.signals == ["unsure"]) {
                sweep.add_row(vec![
                    format!("{below:.1}"),
                    format!("{}/{}", r.caught, r.wrong),
                    format!("{}/{}", r.needless, r.right_on_plan),
                ]);
            }
        }
        println!("{sweep}");
    }
}

/// A row of the right answers for each key of `counts` (a class of
/// question, a path), across the runs.
fn right_by(
    table: &mut comfy_table::Table,
    summaries: &[Summary],
    counts: impl Fn(&Summary) -> &std::collections::BTreeMap<String, (usize, usize)>,
    label: impl Fn(&str) -> String,
) {
    let keys: std::collections::BTreeSet<&String> =
        summaries.iter().flat_map(|s| counts(s).keys()).collect();
    for key in keys {
        let mut row = vec![label(key)];
        row.extend(summaries.iter().map(|s| match counts(s).get(key) {
            Some((right, cases)) => format!("{right}/{cases}"),
            None => "–".to_owned(),
        }));
        table.add_row(row);
    }
}
