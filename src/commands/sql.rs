//! `pstral sql check|schema|run`: SQL judged and run as a click in the chat
//! judges and runs it.

use std::io::{IsTerminal as _, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pstral_core::audit::{Actor, Audit};
use pstral_core::config::Settings;
use pstral_core::sql::order::RowOrder;
use pstral_core::sql_target::SqlRuntime;
use pstral_core::sql_target::execution::{self, Approved, Audience, Made};
use serde_json::json;

use super::{for_target, open};

/// `pstral sql check`: no database, no network, no log; the verdict on
/// standard output.
pub(crate) fn sql_check(
    settings: &Settings,
    dialect: Option<pstral_core::sql::Dialect>,
    file: &Path,
) -> ExitCode {
    let text = match statement(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let mut policy = settings.sql.policy.clone();
    if let Some(dialect) = dialect {
        policy.dialect = dialect;
    }
    match pstral_core::sql::validate::validate(&text, &policy) {
        Ok(valid) => {
            println!(
                "accepted ({}): {}",
                policy.dialect,
                pstral_chat::printable(&valid.text)
            );
            // Judged without the catalogue: a name written alone counts as
            // a column of every table in scope.
            println!(
                "reads: {}",
                pstral_chat::printable(&valid.reach.to_string())
            );
            ExitCode::SUCCESS
        }
        Err(refusal) => {
            println!(
                "refused ({}): {}",
                policy.dialect,
                pstral_chat::printable(&refusal.to_string())
            );
            ExitCode::FAILURE
        }
    }
}

/// `pstral sql check --as USER`: the statement judged as a click of USER
/// would be now, against the target's live catalogue and their groups'
/// rules: which group it runs as, with which account, or what is hidden.
pub(crate) async fn sql_check_as(
    settings: &Settings,
    user: &str,
    target: Option<String>,
    file: &Path,
) -> anyhow::Result<ExitCode> {
    let text = statement(file)?;
    let settings = for_target(settings, target.as_deref())?;
    let store = open(&settings).await?;
    let found = person(&settings, &store, user).await;
    let runtime =
        pstral_core::app::sql_runtime(&settings, &store, &|note| eprintln!("{note}")).await;
    store.close().await;
    let (user, groups) = found?;
    let runtime =
        runtime.map_err(|reason| anyhow::anyhow!("the target cannot be used: {reason}"))?;
    let checked = match execution::check(&runtime, &text) {
        Ok(checked) => checked,
        Err(refusal) => {
            println!(
                "refused ({}): {}",
                runtime.policy.dialect,
                pstral_chat::printable(&refusal.to_string())
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "reads: {}",
        pstral_chat::printable(&checked.statement().reach.to_string())
    );
    println!(
        "{} is in: {}",
        pstral_chat::shown(&user.name),
        if groups.is_empty() {
            "no group".to_owned()
        } else {
            groups.join(", ")
        }
    );
    match checked.grant(&runtime, &groups) {
        Ok(granted) => {
            let group = granted.group().map(str::to_owned);
            if granted.order() == RowOrder::ByValues {
                println!(
                    "its rows are shown sorted by their values, and not at all if cut at the cap: \
                     a table it reads has a column {} may not read",
                    pstral_chat::shown(&user.name)
                );
            }
            let account = group
                .as_deref()
                .is_some_and(|g| runtime.readers.accounts.iter().any(|(n, _)| n == g));
            match group {
                Some(group) if account => println!(
                    "accepted: runs as {group}, with {group}'s account on {}",
                    runtime.target
                ),
                Some(group) => println!(
                    "accepted: runs as {group}, with the account of {}",
                    runtime.target
                ),
                None => println!(
                    "accepted: runs with the account of {}, nothing hidden",
                    runtime.target
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(not) => {
            println!("refused: {}", pstral_chat::printable(&not.to_string()));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The user `--as` names and their groups now, from the own database.
async fn person(
    settings: &Settings,
    store: &pstral_core::store::Store,
    name: &str,
) -> anyhow::Result<(pstral_core::identity::User, Vec<String>)> {
    let directory = pstral_core::identity::Directory::new(
        store.clone(),
        settings.identity.clone(),
        &crate::platforms::identity_syntaxes(),
    );
    let Some(user) = directory.user(name).await? else {
        anyhow::bail!(
            "there is no user named {name:?} (with --as, the statement is judged for that user's \
             groups; without it, the operator reads with the target's account)"
        );
    };
    let groups = directory.groups_of(user.id).await?;
    Ok((user, groups))
}

/// The chart `rows` call for, drawn into `file`: its kind, rule and size
/// in bytes, or why none (a file that cannot be written is said so and
/// counts as none).
fn drawn_chart(
    rows: pstral_core::chart::ChartRows,
    cut: Option<u64>,
    file: &ChartFile,
) -> Result<DrawnFile, pstral_core::chart::NoChart> {
    let chart = rows.choose(cut)?;
    let number = |v: f64| pstral_core::i18n::chart::number(v, pstral_core::i18n::Lang::En);
    let written = pstral_core::chart::draw(&chart, &file.title, &number)
        .map_err(|e| e.to_string())
        .and_then(|drawn| {
            std::fs::write(&file.path, &drawn.png)
                .map(|()| DrawnFile {
                    kind: chart.kind,
                    rule: chart.rule,
                    width: drawn.width,
                    height: drawn.height,
                    bytes: drawn.png.len(),
                })
                .map_err(|e| format!("cannot write {}: {e}", file.path.display()))
        });
    written.map_err(|e| {
        eprintln!("error: {e}");
        pstral_core::chart::NoChart::Undrawn
    })
}

/// A chart drawn into its file.
struct DrawnFile {
    kind: pstral_core::chart::Kind,
    rule: pstral_core::chart::Rule,
    width: u32,
    height: u32,
    bytes: usize,
}

/// The statement in `file`, or on standard input for `-`.
fn statement(file: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(text)
}

/// `pstral sql offer`: the offer's checks on one statement, as the chat
/// makes them on a model's answer (the form, the catalogue, the target's
/// EXPLAIN and its estimate), without the conversation, the audit or the
/// run. With `--as USER`, as the answer to USER's question would be: a
/// statement reading what their groups hide is not offered.
pub(crate) async fn offer(
    settings: &Settings,
    target: Option<String>,
    file: &Path,
    as_user: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let text = statement(file)?;
    let settings = for_target(settings, target.as_deref())?;
    let store = open(&settings).await?;
    let groups = match as_user {
        Some(user) => match person(&settings, &store, user).await {
            Ok((_, groups)) => Some(groups),
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        },
        None => None,
    };
    let runtime =
        match pstral_core::app::sql_runtime(&settings, &store, &|note| eprintln!("{note}")).await {
            Ok(runtime) => runtime,
            Err(reason) => {
                store.close().await;
                anyhow::bail!("the target cannot be used: {reason}");
            }
        };
    let runtime = match &groups {
        Some(groups) => runtime.for_reader(groups),
        None => runtime,
    };
    let judged = runtime
        .judge_block(&text, 1, settings.general.language)
        .await;
    store.close().await;
    match judged {
        Ok((valid, rows)) => {
            println!("offered: {}", pstral_chat::printable(&valid.text));
            if let Some(rows) = rows {
                println!("estimated rows: {rows}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(unoffered) => {
            println!("not offered: {}", pstral_chat::printable(&unoffered.reason));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `pstral sql run`: for operators, the same path as a click in the chat,
/// with the target's account; with `--as USER`, USER's click.
pub(crate) async fn sql_run(
    settings: &Settings,
    target: Option<String>,
    file: &Path,
    as_user: Option<&str>,
    chart: Option<ChartFile>,
) -> anyhow::Result<ExitCode> {
    let text = statement(file)?;
    let settings = for_target(settings, target.as_deref())?;
    if let Some(user) = as_user {
        return sql_run_as(&settings, user, &text, chart).await;
    }
    let target = &settings.sql.target;
    let name = target.name.clone();
    let policy = settings.sql.policy.clone();
    // Refused by its form before any connection; then judged again against
    // the target's catalogue, as a click in the chat is.
    if let Err(refusal) = pstral_core::sql::validate::validate(&text, &policy) {
        eprintln!("refused: {}", pstral_chat::printable(&refusal.to_string()));
        return Ok(ExitCode::FAILURE);
    }
    // A target that cannot be opened is still a request, recorded with its
    // failure as the result.
    let executor =
        pstral_core::sql::open_target(target, &settings.sql.policy.allowed_schemas).await;
    let catalog = match &executor {
        Ok(executor) => Some(
            executor
                .catalog(&settings.sql.policy.allowed_schemas)
                .await
                .context("cannot read the target's catalogue")?,
        ),
        Err(_) => None,
    };
    // Judged against the catalogue before the own database is opened, as
    // the form was before the target was.
    let account = match executor {
        Ok(executor) => pstral_core::sql_target::Account::new(executor),
        Err(e) => pstral_core::sql_target::Account::unopened(policy.dialect, e),
    };
    let known = catalog.filter(|c| !c.tables.is_empty());
    let runtime = SqlRuntime::bare(&name, policy, account, settings.sql.limits, known);
    let checked = match execution::check(&runtime, &text) {
        Ok(checked) => checked,
        Err(refusal) => {
            eprintln!("refused: {}", pstral_chat::printable(&refusal.to_string()));
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = open(&settings).await?;
    let audit = Audit::new(store.clone());
    let about = json!({"target": name, "via": "cli"});
    let result = match checked
        .as_target(&runtime)
        .request(&audit, Actor::cli(), None, about)
        .await
    {
        Ok(approved) => run_to_stdout(approved, chart).await,
        Err(e) => {
            Err(anyhow::Error::new(e).context("cannot record the execution, so it was not done"))
        }
    };
    store.close().await;
    result
}

/// `pstral --as USER sql run`: USER's click from the terminal, judged for
/// their groups now and run with their group's account; a refusal is
/// audited with its rule, as the chat's is.
async fn sql_run_as(
    settings: &Settings,
    user: &str,
    text: &str,
    chart: Option<ChartFile>,
) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    let result = async {
        let (user, groups) = person(settings, &store, user).await?;
        let runtime = pstral_core::app::sql_runtime(settings, &store, &|note| eprintln!("{note}"))
            .await
            .map_err(|reason| anyhow::anyhow!("the target cannot be used: {reason}"))?;
        let checked = match execution::check(&runtime, text) {
            Ok(checked) => checked,
            Err(refusal) => {
                eprintln!("refused: {}", pstral_chat::printable(&refusal.to_string()));
                return Ok(ExitCode::FAILURE);
            }
        };
        let audit = Audit::new(store.clone());
        let text = checked.statement().text.clone();
        let granted = match checked.grant(&runtime, &groups) {
            Ok(granted) => granted,
            Err(not) => {
                let event = pstral_core::audit::NewEvent::new(
                    pstral_core::audit::EventKind::AccessRefused,
                    Actor::cli(),
                    json!({"reason": "hidden", "rule": not.rule(), "group": not.group(),
                           "user": user.name, "via": "cli", "text": text}),
                );
                audit
                    .append(event)
                    .await
                    .context("cannot record the refusal")?;
                eprintln!("refused: {}", pstral_chat::printable(&not.to_string()));
                return Ok(ExitCode::FAILURE);
            }
        };
        let about = json!({"target": runtime.target, "via": "cli", "user": user.name});
        let approved = granted
            .shown_to(&runtime, Audience::Asker)
            .request(&audit, Actor::cli(), None, about)
            .await
            .context("cannot record the execution, so it was not done")?;
        run_to_stdout(approved, chart).await
    }
    .await;
    store.close().await;
    result
}

/// Where `sql run --chart` draws the result's chart, and its title.
pub(crate) struct ChartFile {
    pub(crate) path: std::path::PathBuf,
    pub(crate) title: String,
}

/// Runs an approved statement, writes the rows as CSV on standard output
/// (and their chart into `chart`'s file), the outcome on standard error,
/// and records the result.
async fn run_to_stdout(
    approved: Approved<'_>,
    chart: Option<ChartFile>,
) -> anyhow::Result<ExitCode> {
    // Into a file or a pipe the rows go byte for byte; on a terminal they
    // are held (the result's byte cap bounds them) and shown with their
    // escapes written out, as a cell may hold anything the database does.
    let out = if std::io::stdout().is_terminal() {
        Rows::Held(Vec::new())
    } else {
        Rows::Out(std::io::BufWriter::new(std::io::stdout()))
    };
    let mut csv = pstral_core::sql::render::CsvSink::new(out, false)?;
    let mut rows = pstral_core::chart::ChartRows::new();
    let outcome = {
        let mut sinks: Vec<&mut dyn pstral_core::sql::backend::RowSink> = vec![&mut csv];
        if chart.is_some() {
            sinks.push(&mut rows);
        }
        let mut tee = pstral_core::sql::render::Tee { sinks };
        approved.run(&mut tee).await
    };
    // The chart is drawn before the result is recorded, which names it.
    let drawn = match (&chart, &outcome) {
        (Some(file), Ok(o)) => Some(drawn_chart(rows, o.truncated.then_some(o.rows), file)),
        _ => None,
    };
    let made = match &drawn {
        Some(Ok(drawn)) => Made::Chart {
            kind: drawn.kind,
            rule: drawn.rule,
            width: drawn.width,
            height: drawn.height,
            bytes: drawn.bytes,
        },
        Some(Err(why)) => Made::NoChart(*why),
        None => Made::Nothing,
    };
    let executed = approved.record(outcome, made).await;
    let written = csv.finish()?;
    if let (Some(drawn), Some(file)) = (drawn, &chart) {
        match drawn {
            Ok(_) => eprintln!("chart: {}", file.path.display()),
            Err(why) => eprintln!(
                "no chart: {}",
                pstral_core::i18n::chart::why_none(why, pstral_core::i18n::Lang::En)
            ),
        }
    }
    if let Rows::Held(rows) = written {
        let rows = String::from_utf8_lossy(&rows).replace("\r\n", "\n");
        print!("{}", pstral_chat::printable(&rows));
    }
    executed
        .recorded
        .context("cannot record the execution's result")?;
    let outcome = executed.outcome;
    match outcome {
        Ok(o) => {
            eprintln!(
                "{} rows{} in {:?}",
                o.rows,
                if o.truncated {
                    " (cut at the row cap or the size cap, sql.max_result_mib)"
                } else {
                    ""
                },
                o.duration
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}", pstral_chat::printable(&e.to_string()));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `pstral sql schema`: what the model is told of a target: its glossary,
/// then its tables (those chosen for a question, or all), then, for a
/// question, the stored examples it would be shown.
pub(crate) async fn schema(
    settings: &Settings,
    target: Option<String>,
    question: Option<String>,
) -> anyhow::Result<ExitCode> {
    let settings = for_target(settings, target.as_deref())?;
    let target = &settings.sql.target;
    let executor =
        pstral_core::sql::open_target(target, &settings.sql.policy.allowed_schemas).await?;
    let catalog = executor
        .catalog(&settings.sql.policy.allowed_schemas)
        .await?;
    let glossary = pstral_core::app::glossary_of(target, settings.sql.instructions_budget)
        .map_err(anyhow::Error::msg)?;
    if let Some(glossary) = &glossary {
        println!("-- The glossary ({}):", glossary.path.display());
        for line in glossary.text.lines() {
            println!("-- {}", pstral_chat::printable(line));
        }
        if let Some(warning) = glossary.warning() {
            println!("-- ⚠️ {warning}");
        }
        println!();
    }
    match question {
        Some(q) => {
            // The question, the catalogue's comments and the examples come
            // from people and databases: escapes shown, never obeyed.
            print!(
                "{}",
                pstral_chat::printable(&catalog.context_for(&q, settings.sql.schema_budget))
            );
            let store = open(&settings).await?;
            let runtime = pstral_core::app::sql_runtime(&settings, &store, &|_| {}).await;
            if let Ok(runtime) = runtime {
                let llm = pstral_core::llm::Llm::from_settings(&settings.llm)?;
                let context = runtime.prompt_context(&llm, &q).await;
                if !context.near.is_empty() {
                    println!("\n-- The values pointed out for this question (data, quoted):");
                    for value in &context.near {
                        println!("-- {}", pstral_chat::printable(value));
                    }
                }
                if !context.examples.examples.is_empty() {
                    println!(
                        "\n-- The examples shown for this question ({}, the most similar last):",
                        context.examples.ranking.map_or("", |r| r.as_str())
                    );
                    print!("{}", pstral_chat::printable(&context.examples.text()));
                }
                if !context.definitions.is_empty() {
                    println!("\n-- The glossary's entries shown again beside this question:");
                    for entry in &context.definitions {
                        println!("-- {}", pstral_chat::printable(entry));
                    }
                }
            }
            store.close().await;
        }
        None => {
            // With the values a prompt may show (data, quoted) and, for a
            // question, point out: everything a prompt holds can be read.
            for line in catalog.ddl_with_values() {
                println!("{}", pstral_chat::printable(&line));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `pstral sql run` writes its CSV: standard output, or a buffer
/// shown once the rows are all there when standard output is a terminal.
enum Rows {
    Out(std::io::BufWriter<std::io::Stdout>),
    Held(Vec<u8>),
}

impl Write for Rows {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Rows::Out(out) => out.write(bytes),
            Rows::Held(held) => held.write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Rows::Out(out) => out.flush(),
            Rows::Held(_) => Ok(()),
        }
    }
}
