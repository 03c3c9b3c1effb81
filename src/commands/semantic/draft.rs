//! `pstral semantic draft`: a starting semantic model read off the target's
//! live catalogue, written to standard output for a person to review.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use pstral_core::config::Settings;

use crate::commands::for_target;

pub(crate) async fn draft_command(
    settings: &Settings,
    target: Option<&str>,
    glossary: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let settings = for_target(settings, target)?;
    super::demo_created(&settings).await?;
    let target = &settings.sql.target;
    let glossary = match glossary.or(target.instructions_file.as_deref()) {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read the glossary {}: {e}", path.display()))?,
        ),
        None if target.demo_file().is_some() => Some(pstral_core::sql::demo::GLOSSARY.to_owned()),
        None => None,
    };
    let catalog = pstral_core::app::target_catalog(&settings)
        .await
        .map_err(|e| anyhow::anyhow!("sql.targets.{}: {e}", target.name))?;
    let policy = &settings.sql.policy;
    let draft = pstral_core::semantic::draft::draft(
        &catalog,
        policy.dialect,
        glossary.as_deref(),
        |definitions| {
            pstral_core::sql_target::bound_semantic(definitions, &catalog, policy).map(|_| ())
        },
    );
    std::io::stdout().write_all(draft.text.as_bytes())?;
    eprintln!(
        "Drafted from the target {}: {}.",
        target.name,
        draft.summary()
    );
    if draft.problems.is_empty() {
        eprintln!(
            "It holds against the target as it is (pstral semantic check). Review every REVIEW \
             line, then set [sql.targets.{}] semantic_file to the file.",
            target.name
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("It does not hold against the target:");
        for p in &draft.problems {
            eprintln!("  - {}", pstral_chat::printable(p));
        }
        Ok(ExitCode::FAILURE)
    }
}
