//! `pstral semantic import dbt PATH | snowflake FILE`: another tool's
//! definitions written as Pstral's semantic model on standard output, what
//! was written and what was left out (with why) on standard error, then the
//! text held against the target's live catalogue as `pstral semantic check`
//! holds a target's own: exit 0 when it holds, 1 when not (the text is
//! printed either way, for a person to finish).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use pstral_core::config::Settings;
use pstral_core::learn::examples::{ExampleFile, FileFormat, write_records};
use pstral_core::semantic::Definitions;
use pstral_core::semantic::import::{Imported, dbt, snowflake};

use super::super::for_target;
use crate::args::ImportFrom;

pub(crate) async fn import_command(
    settings: &Settings,
    from: ImportFrom,
) -> anyhow::Result<ExitCode> {
    let (imported, source, target, examples) = match from {
        ImportFrom::Dbt {
            path,
            target,
            examples,
        } => (
            dbt::read(&path)?,
            format!("the dbt project {}", path.display()),
            target,
            examples,
        ),
        ImportFrom::Snowflake {
            file,
            target,
            examples,
        } => (
            snowflake::read(&file)?,
            format!("the Snowflake semantic model {}", file.display()),
            target,
            examples,
        ),
    };
    let text = imported.text(&[
        format!("Pstral's semantic model, imported from {source} by `pstral semantic import`."),
        "Read every REVIEW note and every LEFT OUT item before using it; `pstral semantic \
         check` holds it against the target once it is the target's semantic_file."
            .to_owned(),
    ]);
    print!("{text}");
    eprint!("{}", summary(&imported, examples.as_deref()));
    if let Some(path) = &examples {
        write_examples(&imported, path)?;
    }
    let settings = for_target(settings, target.as_deref())?;
    hold(&settings, &text).await
}

/// What was written, and every item left out with why.
fn summary(imported: &Imported, examples: Option<&Path>) -> String {
    use std::fmt::Write as _;
    let c = imported.counts();
    let mut out = format!(
        "Written: {} entities, {} dimensions, {} measures, {} segments",
        c.entities, c.dimensions, c.measures, c.segments
    );
    let n = imported.examples.len();
    match examples {
        Some(path) => {
            let _ = write!(out, ", {n} examples (in {})", path.display());
        }
        None if n > 0 => {
            let _ = write!(
                out,
                "; {n} examples found were not written (give --examples FILE)"
            );
        }
        None => {}
    }
    out.push('\n');
    if !imported.left_out.is_empty() {
        let _ = writeln!(out, "Left out ({}):", imported.left_out.len());
        for why in &imported.left_out {
            let _ = writeln!(out, "  - {}", pstral_chat::printable(why));
        }
    }
    out
}

/// The saved questions as a file `pstral examples import` reads: TOML
/// (`[[example]]`) for a `.toml` path, JSON lines otherwise, as it tells
/// them apart.
fn write_examples(imported: &Imported, path: &Path) -> anyhow::Result<()> {
    let records: Vec<ExampleFile> = imported
        .examples
        .iter()
        .map(|q| ExampleFile {
            id: None,
            target: None,
            question: q.question.clone(),
            sql: q.sql.clone(),
            language: None,
            created_by: None,
            created_at: None,
            result_columns: None,
            result_rows: None,
            set_aside: None,
            plan: None,
        })
        .collect();
    let text = write_records(&records, FileFormat::of(path), "example");
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `text` held against the target's live catalogue.
async fn hold(settings: &Settings, text: &str) -> anyhow::Result<ExitCode> {
    let name = &settings.sql.target.name;
    let problems = match Definitions::parse(text) {
        Err(e) => vec![e.to_string()],
        Ok(definitions) => {
            super::demo_created(settings).await?;
            match pstral_core::app::hold_semantic(settings, &definitions)
                .await
                .map_err(|e| anyhow::anyhow!("sql.targets.{name}: {e}"))?
            {
                Ok(_) => {
                    eprintln!("It holds against the target {name}.");
                    return Ok(ExitCode::SUCCESS);
                }
                Err(problems) => problems,
            }
        }
    };
    eprintln!("It does not hold against the target {name}:");
    for p in problems {
        eprintln!("  - {}", pstral_chat::printable(&p));
    }
    Ok(ExitCode::FAILURE)
}
