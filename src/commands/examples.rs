//! `pstral examples list|add|remove|import|export`: the confirmed examples
//! of a target, managed by an operator. Each change is audited; what is
//! added is judged by the target's policy first (and its catalogue, when the
//! target can be reached).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use pstral_core::audit::{Actor, Audit, EventKind, NewEvent};
use pstral_core::config::Settings;
use pstral_core::learn::examples::{
    ExampleFile, Examples, FileFormat, Source, Stored, read_records, write_records,
};
use pstral_core::sql_target::{KeepError, SqlRuntime};
use pstral_core::store::Store;
use serde_json::json;

use super::{for_target, open};
use crate::args::ExamplesCommand;

pub(crate) async fn examples_command(
    settings: &Settings,
    command: ExamplesCommand,
) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    let result = run(settings, &store, command).await;
    store.close().await;
    result
}

pub(crate) async fn run(
    settings: &Settings,
    store: &Store,
    command: ExamplesCommand,
) -> anyhow::Result<ExitCode> {
    let examples = Examples::new(store.clone());
    let audit = Audit::new(store.clone());
    match command {
        ExamplesCommand::List { target, all } => {
            let target = if all {
                None
            } else {
                Some(target.unwrap_or_else(|| settings.sql.target.name.clone()))
            };
            print_examples(&examples.list(target.as_deref()).await?);
            Ok(ExitCode::SUCCESS)
        }
        ExamplesCommand::Add {
            target,
            question,
            sql,
            language,
        } => {
            let runtime = runtime_for(settings, store, target.as_deref()).await?;
            let sql = read_sql(&sql)?;
            match runtime
                .keep_example(
                    (&question, &sql, None),
                    language,
                    Source::Cli,
                    None,
                    settings.general.language,
                )
                .await
            {
                Ok(stored) => {
                    record(
                        &audit,
                        &examples,
                        "added",
                        &runtime.target,
                        stored,
                        &question,
                        &sql,
                    )
                    .await?;
                    match stored {
                        Stored::New(id) => {
                            println!("stored as example #{id} of {}", runtime.target)
                        }
                        Stored::Existing(id) => {
                            println!("already example #{id} of {}", runtime.target)
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(KeepError::Refused(r)) => {
                    eprintln!("refused: {}", pstral_chat::printable(&r.to_string()));
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        ExamplesCommand::Remove { id } => {
            let Some(example) = examples.get(id).await? else {
                bail!("there is no example #{id}");
            };
            // Recorded before it is done, with what is removed.
            let event = NewEvent::new(
                EventKind::ExampleChanged,
                Actor::cli(),
                json!({"action": "removed", "example": id, "target": example.target,
                       "question": example.question, "sql": example.sql, "via": "cli"}),
            );
            audit
                .append(event)
                .await
                .context("cannot record the removal, so it was not done")?;
            examples.retire(id).await?;
            println!("removed example #{id}");
            Ok(ExitCode::SUCCESS)
        }
        ExamplesCommand::Export { target, all, file } => {
            let target = if all {
                None
            } else {
                Some(target.unwrap_or_else(|| settings.sql.target.name.clone()))
            };
            export(&examples.list(target.as_deref()).await?, file.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        ExamplesCommand::Import { file, target } => {
            import(settings, store, &audit, &file, target).await
        }
    }
}

/// `examples export`: `list` written to `file` in the format its name
/// says, or as JSON lines on standard output.
fn export(
    list: &[pstral_core::learn::examples::Example],
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let records: Vec<ExampleFile> = list.iter().map(ExampleFile::from).collect();
    match file {
        Some(path) => {
            let text = write_records(&records, FileFormat::of(path), "example");
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} examples to {}", records.len(), path.display());
        }
        None => print!(
            "{}",
            write_records(&records, FileFormat::JsonLines, "example")
        ),
    }
    Ok(())
}

/// `examples list`: the examples as a table, and how many are in use.
fn print_examples(list: &[pstral_core::learn::examples::Example]) {
    let mut table =
        crate::tables::new_table(&["id", "target", "lang", "question", "sql", "by", "state"]);
    for e in list {
        table.add_row(vec![
            e.id.to_string(),
            e.target.clone(),
            e.language.to_string(),
            pstral_chat::shown(&e.question),
            pstral_chat::shown(&e.sql),
            e.created_by.clone().unwrap_or_else(|| e.source.clone()),
            e.set_aside
                .as_deref()
                .map_or("in use".to_owned(), |r| format!("set aside: {r}")),
        ]);
    }
    println!("{table}");
    let aside = list.iter().filter(|e| e.set_aside.is_some()).count();
    println!(
        "{} examples, {} in use, {aside} set aside",
        list.len(),
        list.len() - aside
    );
}

/// Reads the examples of a file and stores those that pass, saying which
/// did not and why; exit 1 when any was refused.
async fn import(
    settings: &Settings,
    store: &Store,
    audit: &Audit,
    file: &Path,
    target: Option<String>,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    // Evaluation sets ([[case]]) import as examples too.
    let format = FileFormat::of(file);
    let records: Vec<ExampleFile> = match read_records(&text, format, "example") {
        Ok(r) => r,
        Err(first) if format == FileFormat::Toml => read_records(&text, format, "case")
            .map_err(|_| first)
            .with_context(|| format!("cannot read {}", file.display()))?,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let runtime = runtime_for(settings, store, target.as_deref()).await?;
    let (mut new, mut existing, mut refused) = (0, 0, 0);
    for (i, r) in records.iter().enumerate() {
        if let Some(t) = &r.target
            && *t != runtime.target
        {
            eprintln!(
                "record {}: for the target {t:?}, not {:?}: skipped",
                i + 1,
                runtime.target
            );
            refused += 1;
            continue;
        }
        let mut plan = r.plan.as_deref();
        let kept = loop {
            let kept = runtime
                .keep_example(
                    (&r.question, &r.sql, plan),
                    r.language,
                    Source::Import,
                    None,
                    settings.general.language,
                )
                .await;
            // A plan this target's definitions do not hold (another
            // target's, an older model's) is left behind; its SQL is still
            // an example.
            match kept {
                Err(KeepError::Plan(why)) if plan.is_some() => {
                    eprintln!(
                        "record {} ({:?}): stored without its plan: {}",
                        i + 1,
                        r.question,
                        pstral_chat::printable(&why)
                    );
                    plan = None;
                }
                kept => break kept,
            }
        };
        match kept {
            Ok(stored @ Stored::New(_)) => {
                new += 1;
                record(
                    audit,
                    &Examples::new(store.clone()),
                    "imported",
                    &runtime.target,
                    stored,
                    &r.question,
                    &r.sql,
                )
                .await?;
            }
            Ok(Stored::Existing(_)) => existing += 1,
            Err(KeepError::Store(e)) => return Err(e.into()),
            Err(e) => {
                eprintln!(
                    "record {} ({:?}): {}",
                    i + 1,
                    r.question,
                    pstral_chat::printable(&e.to_string())
                );
                refused += 1;
            }
        }
    }
    println!(
        "{new} examples stored, {existing} already there, {refused} refused, for {}",
        runtime.target
    );
    Ok(if refused > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn record(
    audit: &Audit,
    examples: &Examples,
    action: &str,
    target: &str,
    stored: Stored,
    question: &str,
    sql: &str,
) -> anyhow::Result<()> {
    let event = NewEvent::new(
        EventKind::ExampleChanged,
        Actor::cli(),
        json!({"action": action, "example": stored.id(), "new": matches!(stored, Stored::New(_)),
               "target": target, "question": question, "sql": sql, "via": "cli"}),
    );
    examples
        .record(stored, audit, Some(event))
        .await
        .context("cannot record the example, so it was not kept")
}

/// The runtime of the target that examples are judged by: the configured
/// one, connected and with its catalogue read.
async fn runtime_for(
    settings: &Settings,
    store: &Store,
    target: Option<&str>,
) -> anyhow::Result<SqlRuntime> {
    let settings = for_target(settings, target)?;
    pstral_core::app::sql_runtime(&settings, store, &|note| eprintln!("{note}"))
        .await
        .map_err(|reason| {
            anyhow::anyhow!(
                "the target {} cannot be used to judge examples: {reason}",
                settings.sql.target.name
            )
        })
}

fn read_sql(given: &str) -> anyhow::Result<String> {
    if given == "-" {
        use std::io::Read;
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    Ok(given.to_owned())
}
