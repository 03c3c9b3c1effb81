//! `pstral semantic`: the target's semantic model held against its live
//! catalogue, and shown as the model reads it.

use std::process::ExitCode;

use pstral_core::config::Settings;

use super::check::{counts, semantic_source};
use super::for_target;
use crate::args::SemanticCommand;

mod draft;
mod import;
mod suggest;

pub(crate) async fn semantic_command(
    settings: &Settings,
    command: SemanticCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        SemanticCommand::Check { target } => held(settings, target.as_deref(), None).await,
        SemanticCommand::Show {
            target,
            schema,
            question,
        } => held(settings, target.as_deref(), Some((schema, question))).await,
        SemanticCommand::Draft { target, glossary } => {
            draft::draft_command(settings, target.as_deref(), glossary.as_deref()).await
        }
        SemanticCommand::Import(from) => import::import_command(settings, from).await,
        SemanticCommand::Suggest {
            target,
            since,
            min,
            take,
            sql,
        } => suggest::suggest_command(settings, target.as_deref(), since, min, take.zip(sql)).await,
    }
}

/// The demo target's database, created when it is not yet (as the bot
/// does at its first start), so that the demo can be read at once.
async fn demo_created(settings: &Settings) -> anyhow::Result<()> {
    if let Some(demo) = settings.sql.target.demo_file()
        && !demo.exists()
    {
        pstral_core::sql::demo::create(demo, false).await?;
    }
    Ok(())
}

/// `semantic check`, or with `show` (`--schema`, `--question`) `semantic
/// show`: the target's model held against its live catalogue.
async fn held(
    settings: &Settings,
    target: Option<&str>,
    show: Option<(bool, Option<String>)>,
) -> anyhow::Result<ExitCode> {
    let settings = for_target(settings, target)?;
    demo_created(&settings).await?;
    let bound = match pstral_core::app::check_semantic(&settings)
        .await
        .map_err(|e| anyhow::anyhow!("sql.targets.{}: {e}", settings.sql.target.name))?
    {
        None => {
            println!(
                "sql.targets.{} has no semantic model (semantic_file): every question goes to \
                 the model's own SQL",
                settings.sql.target.name
            );
            return Ok(ExitCode::SUCCESS);
        }
        Some(Err(problems)) => {
            eprintln!(
                "{} does not hold against the target {}:",
                semantic_source(&settings),
                settings.sql.target.name
            );
            for p in problems {
                eprintln!("  - {}", pstral_chat::printable(&p));
            }
            return Ok(ExitCode::FAILURE);
        }
        Some(Ok(bound)) => bound,
    };
    match show {
        None => println!(
            "{} holds against the target {}: {}",
            semantic_source(&settings),
            settings.sql.target.name,
            counts(&bound)
        ),
        Some((schema, Some(question))) => {
            let named = bound.named(&question, today_of(&settings));
            print!("{}", named_text(&bound, &named));
            if schema {
                println!("\n{}", bound.schema_for(&named));
            }
        }
        Some((schema, None)) => {
            let today = today_of(&settings).format("%Y-%m-%d").to_string();
            // Descriptions come from a file people write: escapes shown,
            // never obeyed.
            println!("{}", pstral_chat::printable(&bound.prompt(&today, false)));
            if schema {
                println!("\n{}", bound.schema());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The target's today: its fixed day (the demo's), else the clock's.
fn today_of(settings: &Settings) -> chrono::NaiveDate {
    pstral_core::app::today_of(&settings.sql.target)
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// What a question names of `bound`, and the names its plan may use.
fn named_text(
    bound: &pstral_core::semantic::Semantic,
    named: &pstral_core::semantic::named::Named,
) -> String {
    use std::fmt::Write as _;
    let offer = pstral_core::semantic::named::Offer::of(&bound.definitions, named);
    let list = |names: &mut dyn Iterator<Item = &String>| {
        let names: Vec<&str> = names.map(String::as_str).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    let yes = |b: bool| if b { "yes" } else { "no" };
    let values: Vec<String> = named
        .values
        .iter()
        .map(|(d, v)| format!("{d} = {}", v.join(" | ")))
        .collect();
    let mut out = String::from("The question names:\n");
    let _ = writeln!(out, "  dimensions: {}", list(&mut named.dimensions.iter()));
    let _ = writeln!(out, "  values: {}", list(&mut values.iter()));
    let _ = writeln!(out, "  segments: {}", list(&mut named.segments.iter()));
    let _ = writeln!(out, "  counted: {}", list(&mut named.counted.iter()));
    let dates = named
        .dates
        .map_or_else(|| "not read".to_owned(), |(a, b)| format!("{a} to {b}"));
    let _ = writeln!(
        out,
        "  a period: {} ({dates}); a time grain: {}; a name no definition explains: {}",
        yes(named.period),
        named.grain.map_or("none", |g| g.as_str()),
        yes(named.proper)
    );
    out.push_str("Its plan may use (besides every measure and entity):\n");
    let _ = writeln!(
        out,
        "  cuts, and a list's columns: {}",
        list(&mut offer.cuts.iter())
    );
    let _ = writeln!(out, "  filters: {}", list(&mut offer.filters.iter()));
    let _ = writeln!(out, "  segments: {}", list(&mut offer.segments.iter()));
    let _ = writeln!(
        out,
        "  order, beside the measures: {}",
        list(&mut offer.order.iter())
    );
    pstral_chat::printable(&out)
}
