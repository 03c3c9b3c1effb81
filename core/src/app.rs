//! The long-running service behind `pstral run`: opens the own database,
//! starts what the configuration enables, and stops cleanly on a signal;
//! and the bot assembled the same way for `pstral chat`. The connectors it
//! serves and the id syntaxes it checks come from the binary, which knows
//! the adapters.

use std::future::Future;
use std::net::SocketAddr;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use std::sync::Arc;

use pstral_chat::{Connector, EventHandler};

use crate::admin::{AdminState, tokens::Tokens};
use crate::audit::Audit;
use crate::bot::{Bot, BotParts, NoTarget};
use crate::config::Settings;
use crate::conversation::{Conversations, Prompts};
use crate::identity::Directory;
use crate::llm::Llm;
use crate::sql_target::SqlRuntime;
use crate::store::{Store, StoreError};

mod chores;
pub use chores::{prune_audit, prune_conversations, refresh_schema};

/// How long stopped answers get to write their final note at shutdown.
const STOP_NOTE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr} for the admin endpoint: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot set up the model client: {0}")]
    Llm(#[from] crate::llm::LlmError),
    #[error(transparent)]
    Lock(#[from] crate::backup::BackupError),
}

/// Everything `pstral run` serves, built and ready.
pub struct Application {
    settings: Settings,
    store: Store,
    audit: Audit,
    directory: Directory,
    admin: Option<(tokio::net::TcpListener, AdminState)>,
    /// The metrics listener (`admin.metrics_bind`), when configured.
    metrics: Option<tokio::net::TcpListener>,
    bot: Bot,
    sql: Option<SqlRuntime>,
    platforms: crate::admin::Platforms,
    /// This process among the replicas, and its candidacy for leader on
    /// PostgreSQL (taken when the service runs).
    replica: crate::replicas::Replica,
    election: Option<(
        crate::replicas::Election,
        tokio::sync::watch::Sender<crate::replicas::Role>,
    )>,
    /// Keeps a restore from replacing the database underneath.
    _lock: crate::backup::ServiceLock,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

/// The bot as `pstral run` and `pstral chat` assemble it from the settings,
/// and its Execute runtime when a target is available.
///
/// `notice` hears what an operator should know (the demo target was
/// created, the target or its schema cannot be read); the bot works on
/// without Execute when the target is not there, and the runtime is then
/// the reason why.
///
/// # Errors
/// When the model client cannot be set up from the settings.
pub async fn assemble_bot(
    settings: &Settings,
    store: &Store,
    audit: &Audit,
    directory: &Directory,
    replica: crate::replicas::Replica,
    notice: &(dyn Fn(&str) + Sync),
) -> Result<(Bot, Result<SqlRuntime, String>), StartError> {
    let llm = Llm::from_settings(&settings.llm)?;
    let sql = sql_runtime(settings, store, notice).await;
    if let Err(reason) = &sql {
        notice(&format!("⚠️  Execute is not available: {reason}."));
    }
    let bot = Bot::new(BotParts {
        audit: audit.clone(),
        directory: directory.clone(),
        conversations: Conversations::new(store.clone()),
        llm,
        prompts: Prompts::new(settings.conversation.prompts_dir.clone()),
        settings: settings.conversation.clone(),
        lang: settings.general.language,
        sql_dialect: settings.sql.policy.dialect,
        sql: sql.clone().map_err(NoTarget::Unavailable),
        replica,
    });
    Ok((bot, sql))
}

/// The Execute target, connected, with its schema read. The demo target is
/// created on first use, so that a new user can try everything at once.
pub async fn sql_runtime(
    settings: &Settings,
    store: &Store,
    notice: &(dyn Fn(&str) + Sync),
) -> Result<SqlRuntime, String> {
    let target = &settings.sql.target;
    if let Some(path) = target.demo_file()
        && !path.exists()
    {
        crate::sql::demo::create(path, false)
            .await
            .map_err(|e| e.to_string())?;
        notice(&format!(
            "Created the demo CRM at {} (the Execute target).",
            path.display()
        ));
    }
    let executor = crate::sql::open_target(target, &settings.sql.policy.allowed_schemas)
        .await
        .map_err(|e| e.to_string())?;
    let warnings = account_warnings(
        executor.as_ref(),
        &settings.sql.policy.allowed_schemas,
        settings.sql.allow_privileged_account,
    )
    .await?;
    for warning in &warnings {
        notice(&format!("⚠️  Target {}: {warning}.", target.name));
    }
    // Each group's own account, checked like the target's: a click of its
    // members runs as it.
    let mut accounts = Vec::new();
    for (group, kind) in &target.accounts {
        let (opened, warned) = open_account(settings, target, kind)
            .await
            .map_err(|e| format!("group {group}'s account: {e}"))?;
        for warning in &warned {
            notice(&format!(
                "⚠️  Target {}, group {group}'s account: {warning}.",
                target.name
            ));
        }
        accounts.push((group.clone(), crate::sql_target::Account::new(opened)));
    }
    let glossary = glossary_of(target, settings.sql.instructions_budget)?;
    if let Some(warning) = glossary.as_ref().and_then(|g| g.warning()) {
        notice(&format!("⚠️  Target {}: {warning}.", target.name));
    }
    let learning = crate::learn::Learning::stored(
        crate::learn::examples::Examples::new(store.clone()),
        &target.name,
        settings.llm.embedding_model.as_deref(),
    );
    let definitions = semantic_of(target)?;
    let runtime = SqlRuntime {
        definitions: definitions.map(Arc::new),
        today: today_of(target),
        target: target.name.clone(),
        glossary: glossary.map(Arc::new),
        learning: Some(Arc::new(learning)),
        examples_budget: settings.sql.examples_budget,
        plan_examples: settings.sql.plan_examples,
        plan_votes: settings.sql.plan_votes.clone(),
        free_prompt: settings.sql.free_prompt.clone(),
        confirm_role: settings.sql.confirm_role,
        warnings,
        policy: settings.sql.policy.clone(),
        executor: crate::sql_target::Account::new(executor),
        limits: settings.sql.limits,
        preview_rows: settings.sql.preview_rows,
        csv_bom: settings.sql.csv_bom,
        charts: settings.sql.charts,
        explain: settings.sql.explain,
        ask_again_without_sql: settings.sql.ask_again_without_sql,
        candidates: settings.sql.candidates,
        snapshot: Default::default(),
        schema_budget: settings.sql.schema_budget,
        private_results: settings.sql.private_results.clone(),
        readers: crate::sql_target::Readers {
            rules: Arc::new(settings.access.clone()),
            accounts,
            ..Default::default()
        },
    };
    if let Err(e) = runtime.refresh_catalog().await {
        notice(&format!(
            "⚠️  Cannot read the target's schema ({e}); answers will not know its tables."
        ));
    }
    Ok(runtime)
}

/// The target's glossary, fitted to `budget`: its instructions_file, or
/// for the demo target without one, the demo's own.
///
/// # Errors
/// When the file cannot be read (it could when the settings were checked).
pub fn glossary_of(
    target: &crate::sql::Target,
    budget: usize,
) -> Result<Option<crate::learn::glossary::Glossary>, String> {
    use crate::learn::glossary::Glossary;
    match &target.instructions_file {
        Some(path) => Glossary::load(path, budget)
            .map(Some)
            .map_err(|e| e.to_string()),
        None if target.demo_file().is_some() => Ok(Some(Glossary::fit(
            std::path::Path::new("(the demo's built-in glossary)"),
            crate::sql::demo::GLOSSARY,
            budget,
        ))),
        None => Ok(None),
    }
}

/// The target's semantic model as written: its semantic_file, or for the
/// demo target without one, the demo's own.
///
/// # Errors
/// When the file cannot be read or does not parse (it could when the
/// settings were checked).
pub fn semantic_of(
    target: &crate::sql::Target,
) -> Result<Option<crate::semantic::Definitions>, String> {
    use crate::semantic::Definitions;
    use crate::sql::SemanticSource;
    let (path, text) = match &target.semantic {
        SemanticSource::Off => return Ok(None),
        SemanticSource::Default if target.demo_file().is_none() => return Ok(None),
        SemanticSource::Default => (
            "(the demo's built-in semantic model)".to_owned(),
            crate::sql::demo::SEMANTIC.to_owned(),
        ),
        SemanticSource::File(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
    };
    Definitions::parse(&text)
        .map(Some)
        .map_err(|e| format!("{path}: {e}"))
}

/// The target's semantic model held against its live catalogue, as the
/// bot binds it at start: `Ok(None)` when the target has none, else the
/// bound model or every problem, each naming its key (`pstral check`,
/// `pstral semantic check`).
///
/// # Errors
/// When the target or its catalogue cannot be read.
pub async fn check_semantic(
    settings: &Settings,
) -> Result<Option<Result<crate::semantic::Semantic, Vec<String>>>, String> {
    let Some(definitions) = semantic_of(&settings.sql.target)? else {
        return Ok(None);
    };
    hold_semantic(settings, &definitions).await.map(Some)
}

/// `definitions` held against the target's live catalogue, as the bot
/// binds its own at start: the bound model, or every problem, each naming
/// its key (`pstral semantic import` holds what it wrote).
///
/// # Errors
/// When the target or its catalogue cannot be read.
pub async fn hold_semantic(
    settings: &Settings,
    definitions: &crate::semantic::Definitions,
) -> Result<Result<crate::semantic::Semantic, Vec<String>>, String> {
    let catalog = target_catalog(settings).await?;
    Ok(crate::sql_target::bound_semantic(
        definitions,
        &catalog,
        &settings.sql.policy,
    ))
}

/// The target's live catalogue with its value hints, as the bot reads it
/// at start.
///
/// # Errors
/// When the target or its catalogue cannot be read.
pub async fn target_catalog(settings: &Settings) -> Result<crate::sql::schema::Catalog, String> {
    let schemas = &settings.sql.policy.allowed_schemas;
    let executor = crate::sql::open_target(&settings.sql.target, schemas)
        .await
        .map_err(|e| format!("cannot be opened: {e}"))?;
    let mut catalog = executor
        .catalog(schemas)
        .await
        .map_err(|e| format!("cannot read its catalogue: {e}"))?;
    catalog.values = executor.values(&catalog).await.unwrap_or_default();
    Ok(catalog)
}

/// About how many tokens the longest SQL prompt takes: its template, the
/// glossary, tables and examples at their budgets, and the longest answer
/// (`llm.max_tokens`). What a model's context must hold (`pstral check`,
/// `/readyz`).
pub fn longest_prompt_tokens(settings: &Settings) -> u64 {
    let sql = &settings.sql;
    let prompts = crate::conversation::Prompts::new(settings.conversation.prompts_dir.clone());
    let budgets = sql.schema_budget + sql.examples_budget + sql.instructions_budget;
    prompts.fixed_tokens(crate::conversation::Mode::Sql, budgets)
        + u64::from(settings.llm.options.max_tokens.unwrap_or(0))
}

/// The date the target's data stands at: its `today`, or for the demo
/// target without one, the demo's own (its data ends there).
pub fn today_of(target: &crate::sql::Target) -> Option<chrono::NaiveDate> {
    target
        .today
        .or_else(|| target.demo_file().map(|_| crate::sql::demo::today()))
}

/// A group's own account on `target`, opened and checked like the
/// target's: the account, and what to warn of.
///
/// # Errors
/// Why it cannot be opened, or why its rights refuse it.
async fn open_account(
    settings: &Settings,
    target: &crate::sql::Target,
    kind: &crate::sql::TargetKind,
) -> Result<(Arc<dyn crate::sql::backend::Executor>, Vec<String>), String> {
    let account = crate::sql::Target {
        kind: kind.clone(),
        ..target.clone()
    };
    let opened = crate::sql::open_target(&account, &settings.sql.policy.allowed_schemas)
        .await
        .map_err(|e| format!("cannot be opened: {e}"))?;
    let warnings = account_warnings(
        opened.as_ref(),
        &settings.sql.policy.allowed_schemas,
        settings.sql.allow_privileged_account,
    )
    .await?;
    Ok((opened, warnings))
}

/// The data-access rules held against the target's live catalogue, for
/// `pstral check`: each group's account opened and checked like the
/// target's, each rule matching something, each view and generated column followed. Returns the
/// summary's lines and the problems (each naming its key).
///
/// # Errors
/// When the target cannot be opened or read.
pub async fn check_access(settings: &Settings) -> Result<(Vec<String>, Vec<String>), String> {
    let rules = &settings.access;
    let target = &settings.sql.target;
    if rules.groups().is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut accounts = Vec::new();
    for (group, kind) in &target.accounts {
        let key = format!("sql.targets.{}.accounts ({group})", target.name);
        match open_account(settings, target, kind).await {
            Ok((opened, warnings)) => {
                accounts.push((group, opened));
                lines.push(format!(
                    "  group:     {group} runs as its own account on {}",
                    target.name
                ));
                lines.extend(
                    warnings
                        .into_iter()
                        .map(|w| format!("  warning:   {group}'s account: {w}")),
                );
            }
            Err(reason) => problems.push(format!("{key}: {reason}")),
        }
    }
    let executor = crate::sql::open_target(target, &settings.sql.policy.allowed_schemas)
        .await
        .map_err(|e| format!("cannot be opened: {e}"))?;
    let mut catalog = executor
        .catalog(&settings.sql.policy.allowed_schemas)
        .await
        .map_err(|e| format!("cannot read the catalogue: {e}"))?;
    // A rule matches what any account on the target sees: a column the
    // target's account may not read may be one a group's account reads.
    for (group, account) in accounts {
        match account.catalog(&settings.sql.policy.allowed_schemas).await {
            Ok(theirs) => catalog.merge(&theirs),
            Err(e) => problems.push(format!(
                "sql.targets.{}.accounts ({group}): cannot read the catalogue: {e}",
                target.name
            )),
        }
    }
    for group in rules.groups() {
        for rule in &group.hidden {
            if let Err(why) = rule.in_catalog(&catalog) {
                problems.push(format!(
                    "groups.{}.hidden: {why} {}",
                    group.name, target.name
                ));
            }
        }
        lines.push(format!(
            "  group:     {} hides {}",
            group.name,
            if group.hidden.is_empty() {
                "nothing".to_owned()
            } else {
                group
                    .hidden
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    let derived = crate::access::Derived::read(&catalog, &|sql| {
        crate::sql::validate::validate_in(sql, &settings.sql.policy, Some(&catalog))
            .ok()
            .map(|v| v.reach)
    });
    let unread = derived.unread();
    if !unread.is_empty() && rules.restrict() {
        lines.push(format!(
            "  warning:   refused to groups with hidden columns, as they cannot be followed to what they read \
             (views, generated columns, virtual tables): {}",
            unread.join(", ")
        ));
    }
    Ok((lines, problems))
}

/// What the target's account can do, checked rather than trusted: an
/// account that can write or administer is refused (the reason is the
/// error) unless `allow_privileged` says otherwise, when it becomes a
/// warning. What the DBA should bound (PostgreSQL's temp_file_limit) is a
/// warning too.
///
/// # Errors
/// The refusal, or why the account's rights could not be read.
pub async fn account_warnings(
    executor: &dyn crate::sql::backend::Executor,
    schemas: &[String],
    allow_privileged: bool,
) -> Result<Vec<String>, String> {
    let reasons = executor
        .privileges(schemas)
        .await
        .map_err(|e| format!("cannot read what the target's account may do: {e}"))?;
    let mut warnings = Vec::new();
    if !reasons.is_empty() {
        if !allow_privileged {
            return Err(format!(
                "the target's account can write or administer ({}); Execute needs an account with SELECT grants only \
                 (or sql.allow_privileged_account = true, knowingly)",
                reasons.join("; ")
            ));
        }
        warnings.push(format!(
            "runs with a privileged account, as sql.allow_privileged_account allows: {}",
            reasons.join("; ")
        ));
    }
    match executor.advice().await {
        Ok(advice) => warnings.extend(advice),
        Err(e) => warnings.push(format!("cannot read the account's limits: {e}")),
    }
    Ok(warnings)
}

impl Application {
    /// Opens the own database (migrating it), connects the Execute target,
    /// and binds the admin endpoint (port 0 picks a free port).
    ///
    /// # Errors
    /// [`StartError`] saying what could not be started.
    pub async fn build(
        settings: Settings,
        identities: &[pstral_chat::IdentitySyntax],
    ) -> Result<Self, StartError> {
        let lock = crate::backup::ServiceLock::acquire(&settings.database)?;
        let store = Store::open(&settings.database).await?;
        let audit = Audit::new(store.clone());
        let directory = Directory::new(store.clone(), settings.identity.clone(), identities)
            .with_groups(&settings.access.group_names())
            .with_audit(audit.clone());
        let platforms = crate::admin::Platforms::default();
        // On PostgreSQL, every replica stands for leader and waits until
        // elected; on SQLite, the lock above made this the only process.
        let elected =
            crate::store::session_options(&settings.database, "pstral-leadership").transpose()?;
        let first_role = match elected {
            Some(_) => crate::replicas::Role::Standby,
            None => crate::replicas::Role::Alone,
        };
        let (role, watched) = tokio::sync::watch::channel(first_role);
        let replica = crate::replicas::Replica::new(store.clone(), &settings.ha.replica, watched);
        let election = elected.map(|options| {
            let election = crate::replicas::Election {
                options,
                replica: settings.ha.replica.clone(),
                takeover: settings.ha.takeover,
            };
            (election, role)
        });
        // The bot first: the admin endpoint probes the same model client and
        // Execute target (one pool, not two; the demo target exists by then).
        let (bot, sql) = assemble_bot(
            &settings,
            &store,
            &audit,
            &directory,
            replica.clone(),
            &|notice| {
                tracing::warn!("{}", notice.trim_start_matches("⚠️  "));
            },
        )
        .await?;
        // Said once at start, in the background: the bot serves meanwhile,
        // and a server that comes up later is simply used.
        for endpoint in bot.llm().endpoints() {
            let endpoint = endpoint.clone();
            let check = async move {
                let server = endpoint.name();
                match endpoint.readiness().await {
                    crate::llm::Readiness::Serves => {
                        tracing::info!(%server, model = endpoint.model(), "model server ready");
                    }
                    crate::llm::Readiness::Lacks { served } => tracing::warn!(
                        %server, model = endpoint.model(), served = %served.join(", "),
                        "the model server does not have the model"
                    ),
                    crate::llm::Readiness::Down(error) => {
                        tracing::warn!(%server, %error, "the model server cannot be reached");
                    }
                }
            };
            tokio::spawn(tracing::Instrument::in_current_span(check));
        }
        let admin = match &settings.admin {
            None => None,
            Some(admin) => {
                let listener =
                    tokio::net::TcpListener::bind(admin.bind)
                        .await
                        .map_err(|source| StartError::Bind {
                            addr: admin.bind,
                            source,
                        })?;
                let state = AdminState {
                    tokens: Tokens::new(store.clone(), audit.clone()),
                    store: store.clone(),
                    audit: audit.clone(),
                    directory: directory.clone(),
                    llm: Some(bot.llm().clone()),
                    target: (settings.sql.target.name.clone(), sql.clone()),
                    metrics: Some(crate::telemetry::metrics_handle()),
                    platforms: platforms.clone(),
                    identities: identities.into(),
                    refusals: Default::default(),
                    longest_prompt: longest_prompt_tokens(&settings),
                    role: replica.watch(),
                    trusted_proxies: Arc::new(admin.trusted_proxies.clone()),
                };
                Some((listener, state))
            }
        };
        let metrics = match settings.admin.as_ref().and_then(|a| a.metrics_bind) {
            None => None,
            Some(bind) => Some(
                tokio::net::TcpListener::bind(bind)
                    .await
                    .map_err(|source| StartError::Bind { addr: bind, source })?,
            ),
        };
        Ok(Self {
            settings,
            store,
            audit,
            directory,
            admin,
            metrics,
            bot,
            sql: sql.ok(),
            platforms,
            replica,
            election,
            _lock: lock,
            tracker: TaskTracker::new(),
            cancel: CancellationToken::new(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Where the metrics listener listens, when configured.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Where the admin endpoint listens, when it is enabled.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// The bot this service answers with.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Serves the admin endpoint, and every chat platform in `connectors`
    /// while this process leads (on SQLite, from the start), until
    /// `shutdown` completes; then tells every task to stop and waits for
    /// them at most `general.shutdown_grace`.
    ///
    /// # Errors
    /// [`RunError`] when the database fails at start, a platform refuses
    /// the bot for good (a bad token): the service stops then rather than
    /// run deaf; or when this process led and lost the lead: it stops
    /// serving at once (it could no longer audit, or another replica
    /// serves), and a supervisor starts it again as a standby.
    pub async fn run_until_stopped(
        mut self,
        connectors: Vec<Box<dyn Connector>>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), RunError> {
        let version = self.store.schema_version().await?;
        tracing::info!(
            database = %self.settings.database.url,
            schema = version,
            "own database ready"
        );
        self.serve_admin();
        // The lead is given up only once this process stopped serving:
        // a standby that took over earlier would end answers still being
        // written here as interrupted.
        let resign = CancellationToken::new();
        let elected = self.election.is_some();
        if let Some((election, role)) = self.election.take() {
            tokio::spawn(election.run(role, resign.clone()));
        }
        let mut role = self.replica.watch();
        tokio::pin!(shutdown);
        let serves = self.replica.role().serves();
        if !serves {
            tracing::info!(
                replica = self.replica.name(),
                takeover = ?self.settings.ha.takeover,
                "standby: the chat platforms are served by the leader; taking over when it goes"
            );
            tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("shutting down");
                    self.stop().await;
                    resign.cancel();
                    return Ok(());
                }
                led = async { role.wait_for(crate::replicas::Role::serves).await.map(|_| ()) } => {
                    // The election ended without a lead: nothing to serve.
                    if led.is_err() {
                        self.stop().await;
                        return Err(RunError::Deposed("the election stopped".to_owned()));
                    }
                }
            }
        }
        self.start_chores();
        let mut failures = self.connect(connectors);
        let mut outcome = Ok(());
        tokio::select! {
            () = &mut shutdown => tracing::info!("shutting down"),
            Some((platform, e)) = failures.recv() => {
                tracing::info!("shutting down: {platform} cannot be served");
                outcome = Err(RunError::Platform { platform: platform.to_string(), source: e });
            }
            why = deposed(&mut role, elected) => outcome = Err(RunError::Deposed(why)),
        }
        if matches!(outcome, Err(RunError::Deposed(_))) {
            self.stop_at_once().await;
        } else {
            // Deposed while the answers in flight are given their grace:
            // stopped at once then, as another replica may lead already.
            tokio::select! {
                () = self.stop() => {}
                why = deposed(&mut role, elected) => {
                    tracing::error!(reason = %why, "no longer the leader while stopping: stopping at once");
                }
            }
        }
        resign.cancel();
        outcome
    }

    /// Serves the admin endpoint, and the metrics on their own listener
    /// when they have one, until the service stops.
    fn serve_admin(&mut self) {
        let Some((listener, state)) = self.admin.take() else {
            return;
        };
        if let Some(metrics) = self.metrics.take() {
            let addr = metrics
                .local_addr()
                .map_or_else(|e| format!("unknown ({e})"), |a| a.to_string());
            let router = crate::admin::metrics_router(state.clone());
            let stop = self.cancel.clone();
            self.tracker.spawn(async move {
                let served = axum::serve(metrics, router)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
            tracing::info!(address = %addr, "metrics listening (/metrics, /healthz, /readyz)");
        }
        let addr = listener
            .local_addr()
            .map_or_else(|e| format!("unknown ({e})"), |a| a.to_string());
        let router = crate::admin::router(state);
        let stop = self.cancel.clone();
        self.tracker.spawn(async move {
            // The client's address, for the audit of refused tokens.
            let served = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the admin endpoint stopped");
            }
        });
        tracing::info!(address = %addr, "admin endpoint listening");
    }

    /// Starts what runs on a timer: the target's schema refreshed, old
    /// conversations and audit events pruned where retention is set.
    fn start_chores(&mut self) {
        if let Some(sql) = self.sql.take() {
            let every = self.settings.sql.schema_refresh;
            self.tracker
                .spawn(refresh_schema(sql, every, self.cancel.clone()));
        }
        if let Some(retention) = self.settings.conversation.retention {
            self.tracker.spawn(prune_conversations(
                crate::conversation::Conversations::new(self.store.clone()),
                retention,
                self.cancel.clone(),
            ));
        }
        // A platform delivers an event again within minutes, never a
        // month later: what was handled before is forgotten.
        self.tracker.spawn(chores::forget_handled(
            self.replica.clone(),
            self.cancel.clone(),
        ));
        if let Some(retention) = self.settings.audit.retention {
            self.tracker.spawn(prune_audit(
                self.audit.clone(),
                retention,
                self.cancel.clone(),
            ));
        }
    }

    /// Serves each chat platform in `connectors` with the bot; returns
    /// where a platform that refuses the bot for good says so.
    fn connect(
        &self,
        connectors: Vec<Box<dyn Connector>>,
    ) -> tokio::sync::mpsc::UnboundedReceiver<(pstral_chat::Platform, pstral_chat::PlatformError)>
    {
        let (failed, failures) = tokio::sync::mpsc::unbounded_channel();
        if connectors.is_empty() {
            tracing::info!(
                "no chat platform is enabled: set PLATFORM.enabled for one this build includes \
                 (README, Configuration); waiting for SIGINT or SIGTERM"
            );
        }
        let handler: Arc<dyn EventHandler> = Arc::new(self.bot.clone());
        for connector in connectors {
            let platform = connector.platform();
            let handler = Arc::clone(&handler);
            let stop = self.cancel.clone();
            let failed = failed.clone();
            let (state, watched) =
                tokio::sync::watch::channel(pstral_chat::ConnectionState::Connecting);
            self.platforms
                .write()
                .expect("never poisoned")
                .push((platform.to_string(), watched));
            crate::telemetry::register_platform(&platform.to_string());
            tracing::info!(%platform, "connecting");
            self.tracker.spawn(async move {
                match connector.serve(handler, state, stop).await {
                    Ok(()) => tracing::info!(%platform, "disconnected"),
                    Err(e) => {
                        tracing::error!(%platform, error = %e, "the platform connection failed");
                        let _ = failed.send((platform, e));
                    }
                }
            });
        }
        failures
    }

    /// Stops serving the platforms now, without the grace: the lead is
    /// lost, and what this process would still write could not be audited,
    /// or would meet the new leader's answers. What it was writing is left
    /// as it is, to be ended by the new leader as interrupted.
    async fn stop_at_once(self) {
        self.cancel.cancel();
        self.tracker.close();
        let _ =
            tokio::time::timeout(std::time::Duration::from_millis(250), self.tracker.wait()).await;
    }

    /// Tells every task to stop: the platforms take no new events; what was
    /// taken is answered to the end, within the grace period, then answers
    /// still being written are stopped; the own database is closed last.
    /// Borrowing: a caller may give up waiting.
    async fn stop(&self) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(self.settings.general.shutdown_grace, self.tracker.wait())
            .await
            .is_err()
        {
            // Answers still being written are stopped, so that their
            // messages end with a note instead of half an edit.
            let stopped = self.bot.stop_all();
            tracing::warn!(
                stopped,
                "the grace period is over: stopping the answers still being written"
            );
            if tokio::time::timeout(STOP_NOTE_GRACE, self.tracker.wait())
                .await
                .is_err()
            {
                tracing::warn!("some tasks did not finish");
            }
        }
        self.store.close().await;
    }
}

/// Waits until the role says this process was deposed, and why; a role
/// no election speaks for any more is as good as deposed (it could not
/// tell). Never, for a process no election stands for (SQLite).
async fn deposed(
    role: &mut tokio::sync::watch::Receiver<crate::replicas::Role>,
    elected: bool,
) -> String {
    if !elected {
        return std::future::pending().await;
    }
    let seen = role
        .wait_for(|r| matches!(r, crate::replicas::Role::Deposed(_)))
        .await
        .map(|r| r.clone());
    match seen {
        Ok(crate::replicas::Role::Deposed(why)) => why,
        Ok(_) => String::new(),
        Err(_) => "the election stopped".to_owned(),
    }
}

/// Why `pstral run` stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{platform}: {source}")]
    Platform {
        platform: String,
        source: pstral_chat::PlatformError,
    },
    #[error(
        "no longer the leader ({0}): stopped serving the chat platforms at once; \
         start it again to stand by (a supervisor does: OPERATING.md, \"Two replicas\")"
    )]
    Deposed(String),
}

/// Completes on the first SIGINT or SIGTERM. The handlers are installed
/// when this is called, not when the future is first polled: a signal that
/// arrives after the service said it was ready is never missed (nor left to
/// the default action, which would kill the process).
///
/// # Panics
/// Outside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!("cannot listen for signals: {e}");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
