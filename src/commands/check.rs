//! `pstral check`: the configuration validated, what the machine must have
//! for it, and a summary of what will run, asked of the targets themselves.

use std::process::ExitCode;

use pstral_core::config::Settings;

pub(crate) fn check(settings: &Settings, offline: bool) -> ExitCode {
    // Reaching here means every key validated; what needs the machine (the
    // Oracle client library) is checked too, then, unless offline, the own
    // database and the target are opened, and what will run is summarized,
    // without any secret.
    let mut problems = Vec::new();
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
                problems.push(format!(
                    "sql.targets ({}): {reason}",
                    oracle_targets.join(", ")
                ));
            }
        }
    }
    let (database, account) = if offline {
        (
            format!("{} (not opened: --offline)", settings.database.url),
            vec!["  account:   not checked (--offline)".to_owned()],
        )
    } else {
        match online(settings) {
            Ok((database, account, mut found)) => {
                problems.append(&mut found);
                (database, account)
            }
            Err(reason) => {
                problems.push(reason);
                (String::new(), Vec::new())
            }
        }
    };
    if !problems.is_empty() {
        let n = problems.len();
        eprintln!(
            "error: the configuration has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        );
        for problem in problems {
            eprintln!("  - {problem}");
        }
        return ExitCode::FAILURE;
    }
    println!("configuration OK");
    if let Some(version) = oracle_client {
        println!("  oracle:    client library {version}");
    }
    println!("  language:  {}", settings.general.language);
    println!("  data dir:  {}", settings.general.data_dir.display());
    println!("  database:  {database}");
    println!(
        "  execute:   {} ({}), at most {} rows, {:?}",
        settings.sql.target.name,
        settings.sql.policy.dialect,
        settings.sql.limits.row_cap,
        settings.sql.limits.timeout
    );
    for platform in crate::platforms::platforms().included {
        let name = platform.name();
        let summary = settings
            .platforms
            .iter()
            .find(|p| p.name() == name)
            .map_or_else(|| "disabled".to_owned(), |p| p.summary());
        println!("  {:<10} {summary}", format!("{name}:"));
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
    if let Some(admin) = &settings.admin
        && let Some(warning) = admin.trusted_proxies.warning(admin.bind)
    {
        println!("  warning:   {warning}");
    }
    ExitCode::SUCCESS
}

/// `pstral check` beyond the configuration: the own database opened
/// without changing it, and the Execute target opened and asked what its
/// account may do. Returns the database's summary line, the account's
/// lines, and the problems found (each naming its key).
fn online(settings: &Settings) -> Result<(String, Vec<String>, Vec<String>), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let mut problems = Vec::new();
        let database = match pstral_core::store::Store::probe(&settings.database).await {
            Ok(line) => line,
            Err(e) => {
                problems.push(format!("database.url: {e}"));
                settings.database.url.to_string()
            }
        };
        let mut account = match target_account(settings).await {
            Ok(lines) => lines,
            Err(reason) => {
                problems.push(format!(
                    "sql.targets.{}: {reason}",
                    settings.sql.target.name
                ));
                Vec::new()
            }
        };
        match pstral_core::app::check_semantic(settings).await {
            Ok(None) => {}
            Ok(Some(Ok(semantic))) => account.push(format!(
                "  semantic:  {} holds against the target ({})",
                semantic_source(settings),
                counts(&semantic)
            )),
            Ok(Some(Err(found))) => problems.extend(found.into_iter().map(|p| {
                format!(
                    "sql.targets.{}.semantic_file: {p}",
                    settings.sql.target.name
                )
            })),
            // The target itself is said above.
            Err(_) => {}
        }
        // A target that cannot be opened is said above.
        if let Ok((lines, found)) = pstral_core::app::check_access(settings).await {
            account.extend(lines);
            problems.extend(found);
        }
        account.extend(model_contexts(settings).await);
        account.extend(leader(settings).await);
        Ok((database, account, problems))
    })
}

/// Which replica serves the chat platforms, on PostgreSQL (OPERATING.md,
/// "Two replicas"): a line, or none on SQLite (one process serves).
async fn leader(settings: &Settings) -> Option<String> {
    if !matches!(
        settings.database.url,
        pstral_core::store::DatabaseUrl::Postgres(_)
    ) {
        return None;
    }
    Some(
        match pstral_core::replicas::Leadership::of(&settings.database).await {
            Ok(Some(leads)) if !leads.ran_out() => format!(
                "  replicas:  {} leads (term {}, lease renewed {:.1} s ago)",
                leads.replica,
                leads.term,
                leads.renewed_ago.as_secs_f64()
            ),
            Ok(Some(led)) => format!(
                "  replicas:  none leads: {} led last (term {}), its lease ran out {:.0} s ago",
                led.replica,
                led.term,
                led.renewed_ago.saturating_sub(led.takeover).as_secs_f64()
            ),
            Ok(None) => "  replicas:  none leads yet (no `pstral run` on this database)".to_owned(),
            Err(e) => format!("  warning:   cannot read which replica leads: {e}"),
        },
    )
}

/// A warning for each model server whose context, where it says it, is
/// smaller than the longest prompt the bot builds in SQL mode (its template,
/// the glossary, tables and examples at their budgets, and the longest
/// answer): such a server answers the questions that fill the budgets with
/// nothing, or a truncated prompt.
async fn model_contexts(settings: &Settings) -> Vec<String> {
    let Ok(llm) = pstral_core::llm::Llm::from_settings(&settings.llm) else {
        return Vec::new();
    };
    let longest = pstral_core::app::longest_prompt_tokens(settings);
    let mut lines = Vec::new();
    for endpoint in llm.endpoints() {
        let Some(context) = endpoint.context().await else {
            continue;
        };
        lines.push(
            match pstral_core::llm::context_too_small(context, longest) {
                Some(remedy) => format!(
                    "  warning:   the model at {} has a context of {context} tokens; {remedy}",
                    endpoint.name()
                ),
                None => format!(
                    "  model:     {} holds {context} tokens, the longest SQL prompt about {longest}",
                    endpoint.name()
                ),
            },
        );
    }
    lines
}

/// What the Execute target's account can do, asked of the target itself,
/// as lines of the summary. The demo, not created yet, is said (it is
/// created at the first start); any other target that cannot be opened,
/// or an account that can write or administer (unless allowed), is the
/// problem.
async fn target_account(settings: &Settings) -> Result<Vec<String>, String> {
    let target = &settings.sql.target;
    if let Some(demo) = target.demo_file()
        && !demo.exists()
    {
        return Ok(vec![format!(
            "  account:   the demo CRM, created at the first start at {}",
            demo.display()
        )]);
    }
    let executor = pstral_core::sql::open_target(target, &settings.sql.policy.allowed_schemas)
        .await
        .map_err(|e| format!("cannot be opened: {e}"))?;
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
}

/// Where the target's semantic model comes from, for a summary line.
pub(crate) fn semantic_source(settings: &Settings) -> String {
    match &settings.sql.target.semantic {
        pstral_core::sql::SemanticSource::File(path) => path.display().to_string(),
        _ => "the demo's semantic model".to_owned(),
    }
}

/// How many definitions of each kind a model holds.
pub(crate) fn counts(semantic: &pstral_core::semantic::Semantic) -> String {
    let d = &semantic.definitions;
    format!(
        "{} entities, {} dimensions, {} measures, {} segments, {} worked plans",
        d.entities.len(),
        d.dimensions.len(),
        d.measures.len(),
        d.segments.len(),
        d.examples.len()
    )
}
