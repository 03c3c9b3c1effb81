//! `pstral check`: the configuration validated, what the machine must have
//! for it, and a summary of what will run, asked of the targets themselves.

use std::process::ExitCode;

use pstral_core::config::Settings;

pub(crate) fn check(settings: &Settings) -> ExitCode {
    // Reaching here means every key validated; what needs the machine (the
    // Oracle client library) is checked too, then what will run is
    // summarized, without any secret.
    let oracle_targets: Vec<&str> = settings
        .sql
        .targets
        .iter()
        .filter(|t| t.dialect() == pstral_core::sql::Dialect::Oracle)
        .map(|t| t.name.as_str())
        .collect();
    let mut oracle_client = None;
    if !oracle_targets.is_empty() {
        match pstral_core::sql::oracle_client_library() {
            Ok(version) => oracle_client = Some(version),
            Err(reason) => {
                eprintln!("error: the configuration has 1 problem:");
                eprintln!("  - sql.targets ({}): {reason}", oracle_targets.join(", "));
                return ExitCode::FAILURE;
            }
        }
    }
    let account = match target_account(settings) {
        Ok(line) => line,
        Err(reason) => {
            eprintln!("error: the configuration has 1 problem:");
            eprintln!("  - sql.targets.{}: {reason}", settings.sql.target.name);
            return ExitCode::FAILURE;
        }
    };
    println!("configuration OK");
    if let Some(version) = oracle_client {
        println!("  oracle:    client library {version}");
    }
    println!("  language:  {}", settings.general.language);
    println!("  data dir:  {}", settings.general.data_dir.display());
    println!("  database:  {}", settings.database.url);
    println!(
        "  execute:   {} ({}), at most {} rows, {:?}",
        settings.sql.target.name,
        settings.sql.policy.dialect,
        settings.sql.limits.row_cap,
        settings.sql.limits.timeout
    );
    println!(
        "  discord:   {}",
        if settings.discord.is_some() {
            "enabled (token set)"
        } else {
            "disabled"
        }
    );
    match &settings.matrix {
        Some(m) => println!("  matrix:    enabled, {} on {}", m.user, m.homeserver),
        None => println!("  matrix:    disabled"),
    }
    match settings.audit.retention {
        Some(kept) => println!(
            "  audit:     events kept {}",
            humantime::format_duration(kept)
        ),
        None => println!("  audit:     events kept for ever"),
    }
    for line in account {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// `pstral check`: what the Execute target's account can do, asked of the
/// target itself, as lines of the summary. A target that cannot be reached
/// is said, not a failure (the demo is created at the first `run`); an
/// account that can write or administer is the error, unless allowed.
fn target_account(settings: &Settings) -> Result<Vec<String>, String> {
    let target = &settings.sql.target;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let executor =
            match pstral_core::sql::open_target(target, &settings.sql.policy.allowed_schemas).await
            {
                Ok(executor) => executor,
                Err(e) => {
                    return Ok(vec![format!(
                        "  account:   not checked, the target cannot be opened ({e})"
                    )]);
                }
            };
        let warnings = pstral_core::app::account_warnings(
            executor.as_ref(),
            &settings.sql.policy.allowed_schemas,
            settings.sql.allow_privileged_account,
        )
        .await?;
        Ok(if warnings.is_empty() {
            vec!["  account:   reads only".to_owned()]
        } else {
            warnings
                .into_iter()
                .map(|w| format!("  warning:   {w}"))
                .collect()
        })
    })
}
