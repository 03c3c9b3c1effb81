//! The Execute target: its policy, engine, catalogue, glossary and
//! examples, and what is done with them on behalf of every use case
//! (judging a statement as it would be offered, keeping an example,
//! building what a SQL prompt shows). The bot, the admin endpoint, the
//! CLI and `pstral eval` all reach the target through [`SqlRuntime`];
//! [`answer`] is the one path from a question to the statements that may
//! be offered, and [`execution`] the one path by which a statement runs:
//! the target's accounts are [`Account`]s, which only it opens.

pub mod answer;
mod asked;
pub mod execution;
mod planned;
pub mod readings;
pub mod vote;

pub use execution::{Account, NotReadable};

use std::sync::Arc;

use pstral_chat::Place;

use crate::i18n::{Lang, Results, Sql};
use crate::llm::Llm;

/// The longest name any target database allows (Oracle: 128 bytes;
/// PostgreSQL 63).
const MAX_IDENTIFIER_CHARS: usize = 128;

/// The most sets of readers a snapshot keeps what it shows them for.
const MAX_READER_VIEWS: usize = 64;

/// What the bot needs to offer and run SQL.
#[derive(Clone)]
pub struct SqlRuntime {
    pub policy: crate::sql::validate::Policy,
    /// The target's own account.
    pub executor: Account,
    pub limits: crate::sql::backend::Limits,
    pub preview_rows: usize,
    pub csv_bom: bool,
    /// Whether a result gets a chart when its shape calls for one.
    pub charts: crate::sql::Charts,
    /// Compile each statement (EXPLAIN) before offering it.
    pub explain: bool,
    /// Ask the model once more when its answer holds no SQL at all
    /// (`sql.ask_again_without_sql`).
    pub ask_again_without_sql: bool,
    /// How many answers are drawn for a question, the statement most agree
    /// on recommended (`sql.candidates`).
    pub candidates: crate::sql::Candidates,
    /// What the last refresh read of the target, swapped whole by the
    /// next one (see [`Snapshot`]); shared by the runtime's clones.
    pub snapshot: Snapshots,
    /// How much schema goes into a prompt, in tokens.
    pub schema_budget: usize,
    /// Where results go to the clicker alone: (platform, channel or `*`).
    pub private_results: Vec<(String, String)>,
    /// What an operator should know about the target's account.
    pub warnings: Vec<String>,
    /// The target's name, which its examples are stored under.
    pub target: String,
    /// The target's glossary, fitted to its budget.
    pub glossary: Option<Arc<crate::learn::glossary::Glossary>>,
    /// The target's confirmed examples.
    pub learning: Option<Arc<crate::learn::Learning>>,
    /// How much of the examples goes into a prompt, in tokens.
    pub examples_budget: usize,
    /// How many confirmed plans of similar questions a plan prompt shows
    /// (`sql.plan_examples`).
    pub plan_examples: usize,
    /// How many plans are drawn, and on which doubts the bot asks back
    /// (`sql.plan_votes`, `sql.ask_back`).
    pub plan_votes: crate::sql::PlanVotes,
    /// What the free SQL path's prompt holds beyond the tables and the
    /// question (`sql.free_prompt`).
    pub free_prompt: crate::sql::FreePrompt,
    /// The least role whose "correct" stores an example (the asker's
    /// always does).
    pub confirm_role: crate::identity::Role,
    /// The date the target's data stands at, when it is frozen; otherwise
    /// the prompt tells the clock's.
    pub today: Option<chrono::NaiveDate>,
    /// The target's semantic model as written, bound to the catalogue at
    /// each reading of it ([`SqlRuntime::semantic`]).
    pub definitions: Option<Arc<crate::semantic::Definitions>>,
    /// Who reads what: the groups' rules and accounts, what the catalogue
    /// derives from what.
    pub readers: Readers,
}

/// Who reads what on the target: the groups' rules, the accounts of the
/// groups that have one here, and, in a runtime made for one person
/// ([`SqlRuntime::for_reader`]), whose prompt it builds.
#[derive(Clone, Default)]
pub struct Readers {
    pub rules: Arc<crate::access::Rules>,
    /// A group's own account on the target, by group name.
    pub accounts: Vec<(String, Account)>,
    /// Whom this runtime builds prompts for ([`SqlRuntime::for_readers`]).
    pub person: Option<Arc<Readership>>,
}

/// What a refresh reads of the target, as one value: the catalogue with
/// its value hints, what every account sees, what derives from what, and
/// the semantic model bound to that catalogue. Never changed once made: a
/// refresh makes the next one and swaps it in whole, so a question reads
/// one snapshot from start to end. What it shows each set of readers is
/// made once and kept with it ([`SqlRuntime::for_readers`]).
#[derive(Default)]
pub struct Snapshot {
    /// The target's tables, as its own account reads them; empty before
    /// the first read.
    pub catalog: Arc<crate::sql::schema::Catalog>,
    /// What any account on the target sees: the catalogue with each group
    /// account's merged in (a column the target's account may not read
    /// may be one a group's account reads, and `*` reads it there). What a
    /// statement reads is judged against this.
    pub seen: Arc<crate::sql::schema::Catalog>,
    /// What the catalogue derives from what (views, generated columns,
    /// virtual tables).
    pub derived: Arc<crate::access::Derived>,
    /// The definitions bound to the catalogue: `None` without definitions,
    /// or when they do not hold against it.
    pub semantic: Option<Arc<crate::semantic::Semantic>>,
    /// What is shown each set of readers, by their groups (see
    /// [`ReaderView`]).
    views: std::sync::Mutex<Vec<ReaderView>>,
}

impl Snapshot {
    /// The catalogue `catalog`, nothing derived from it yet.
    pub fn of(catalog: crate::sql::schema::Catalog) -> Snapshot {
        let catalog = Arc::new(catalog);
        Snapshot {
            seen: Arc::clone(&catalog),
            catalog,
            ..Snapshot::default()
        }
    }
}

/// What a snapshot shows a set of readers (each by their groups): the
/// catalogue, glossary and semantic model without what they may not read.
/// Made under the rules and glossary it names, and used again only under
/// the same ones.
struct ReaderView {
    people: Vec<Vec<String>>,
    rules: Arc<crate::access::Rules>,
    glossary: Option<Arc<crate::learn::glossary::Glossary>>,
    shown: Arc<Snapshot>,
    shown_glossary: Option<Arc<crate::learn::glossary::Glossary>>,
}

/// The handle a runtime and its clones hold on the target's snapshot.
#[derive(Clone, Default)]
pub struct Snapshots(Arc<std::sync::RwLock<Arc<Snapshot>>>);

impl Snapshots {
    /// A handle on `snapshot`.
    pub fn of(snapshot: Snapshot) -> Snapshots {
        Snapshots(Arc::new(std::sync::RwLock::new(Arc::new(snapshot))))
    }

    /// The snapshot now.
    pub fn now(&self) -> Arc<Snapshot> {
        Arc::clone(&self.0.read().expect("never poisoned"))
    }

    /// Puts `snapshot` in the place of the one now, whole.
    pub fn swap(&self, snapshot: Snapshot) {
        *self.0.write().expect("never poisoned") = Arc::new(snapshot);
    }
}

/// The groups of each person a runtime builds prompts for (the asker, and
/// the readers of the place), and the catalogue whole (the runtime's own is
/// what they may all see).
pub type Readership = (Vec<Vec<String>>, Arc<crate::sql::schema::Catalog>);

impl Readers {
    /// Whether anyone reads less than the target's own account: some group
    /// hides something or has an account of its own. Only then is the
    /// audience of a place asked.
    pub fn restrict(&self) -> bool {
        self.rules.restrict() || !self.accounts.is_empty()
    }

    /// Whether `group` runs on an account of its own here.
    pub fn has_account(&self, group: Option<&str>) -> bool {
        group.is_some_and(|g| self.accounts.iter().any(|(name, _)| name == g))
    }
}

/// Why an example was not stored.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("the question is empty")]
    NoQuestion,
    #[error("the SQL is refused: {0}")]
    Refused(crate::sql::validate::Refusal),
    #[error("the examples are a fixed set here")]
    NoStore,
    #[error("the plan cannot be used: {0}")]
    Plan(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Why a statement of an answer cannot be offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unoffered {
    /// For the user.
    pub reason: String,
    /// The model could fix it (a refusal, a compile error), as opposed to
    /// the target being unreachable.
    pub repairable: bool,
    /// The validator refused it (rather than the database).
    pub refused: bool,
}

/// `definitions` bound to `catalog`, every expression they hold judged by
/// `policy`'s validator as a statement of its own.
///
/// # Errors
/// Every problem, each naming its key.
pub fn bound_semantic(
    definitions: &crate::semantic::Definitions,
    catalog: &crate::sql::schema::Catalog,
    policy: &crate::sql::validate::Policy,
) -> Result<crate::semantic::Semantic, Vec<String>> {
    let semantic =
        crate::semantic::Semantic::bind(definitions.clone(), catalog).map_err(|e| match e {
            crate::semantic::DefinitionError::Invalid(problems) => problems,
            other => vec![other.to_string()],
        })?;
    let known = (!catalog.tables.is_empty()).then_some(catalog);
    let problems: Vec<String> = semantic
        .probes(policy.dialect)
        .into_iter()
        .filter_map(|(key, sql)| {
            crate::sql::validate::validate_in(&sql, policy, known)
                .err()
                .map(|refusal| format!("{key}: {refusal} ({sql})"))
        })
        .collect();
    if problems.is_empty() {
        Ok(semantic)
    } else {
        Err(problems)
    }
}

impl SqlRuntime {
    /// The target `name` with its policy, its own account and its limits,
    /// and nothing else: the catalogue as `catalog` says (`None`: unread),
    /// no examples, glossary or semantic model, no group. What an
    /// operator's `pstral sql run` runs through.
    pub fn bare(
        name: &str,
        policy: crate::sql::validate::Policy,
        executor: Account,
        limits: crate::sql::backend::Limits,
        catalog: Option<crate::sql::schema::Catalog>,
    ) -> SqlRuntime {
        SqlRuntime {
            policy,
            executor,
            limits,
            preview_rows: 0,
            csv_bom: false,
            charts: crate::sql::Charts::Off,
            explain: false,
            ask_again_without_sql: false,
            candidates: Default::default(),
            snapshot: Snapshots::of(Snapshot::of(catalog.unwrap_or_default())),
            schema_budget: 0,
            private_results: Vec::new(),
            warnings: Vec::new(),
            target: name.to_owned(),
            glossary: None,
            learning: None,
            examples_budget: 0,
            plan_examples: 0,
            plan_votes: Default::default(),
            free_prompt: Default::default(),
            confirm_role: crate::identity::Role::Admin,
            today: None,
            definitions: None,
            readers: Readers::default(),
        }
    }

    /// Reads the target's catalogue again; returns how many tables it has.
    ///
    /// # Errors
    /// When the target cannot be read; the previous catalogue stays.
    pub async fn refresh_catalog(&self) -> Result<usize, crate::sql::backend::ExecError> {
        let mut catalog = self
            .executor
            .0
            .catalog(&self.policy.allowed_schemas)
            .await?;
        // Without its values the catalogue still serves: the prompt then
        // names the columns only.
        catalog.values = self
            .executor
            .0
            .values(&catalog)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, target_name = %self.target, "cannot read the values of the target's short text columns");
                Vec::new()
            });
        let tables = catalog.tables.len();
        let mut seen = catalog.clone();
        for (group, account) in &self.readers.accounts {
            match account.0.catalog(&self.policy.allowed_schemas).await {
                Ok(theirs) => seen.merge(&theirs),
                Err(e) => {
                    tracing::warn!(error = %e, group = %group, "cannot read the catalogue through a group's account");
                    return Err(e);
                }
            }
        }
        let derived = crate::access::Derived::read(&seen, &|sql| {
            crate::sql::validate::validate_in(sql, &self.policy, Some(&seen))
                .ok()
                .map(|v| v.reach)
        });
        let (count, unread) = derived.counts();
        if unread > 0 && self.readers.rules.restrict() {
            tracing::warn!(
                target_name = %self.target,
                derived = count,
                unread = %derived.unread().join(", "),
                "views, generated columns and virtual tables that cannot be followed to what they \
                 read are refused to groups with hidden columns"
            );
        }
        let semantic = match &self.definitions {
            Some(definitions) => match bound_semantic(definitions, &catalog, &self.policy) {
                Ok(semantic) => Some(Arc::new(semantic)),
                Err(problems) => {
                    tracing::warn!(
                        target_name = %self.target,
                        problems = %problems.join("; "),
                        "the semantic model does not hold against the target's catalogue: \
                         questions go to the model's own SQL (`pstral semantic check`)"
                    );
                    None
                }
            },
            None => self.semantic(),
        };
        self.snapshot.swap(Snapshot {
            catalog: Arc::new(catalog),
            seen: Arc::new(seen),
            derived: Arc::new(derived),
            semantic,
            views: Default::default(),
        });
        // Examples are judged against the catalogue as it is now: those
        // whose tables left are set aside, those whose tables came back
        // are taken back.
        if let Some(learning) = &self.learning {
            let check = |example: &crate::learn::examples::Example| self.judge_example(example);
            match learning.recheck(&check).await {
                Ok((0, 0)) => {}
                Ok((aside, back)) => tracing::info!(
                    target_name = %self.target,
                    set_aside = aside,
                    taken_back = back,
                    "examples judged again against the new catalogue"
                ),
                Err(e) => tracing::warn!(error = %e, "cannot judge the examples again"),
            }
        }
        Ok(tables)
    }

    /// `definitions` bound to the catalogue last read, every expression
    /// they hold judged by the validator as a statement of its own.
    ///
    /// # Errors
    /// Every problem, each naming its key.
    pub fn bind_semantic(
        &self,
        definitions: &crate::semantic::Definitions,
    ) -> Result<crate::semantic::Semantic, Vec<String>> {
        bound_semantic(definitions, &self.snapshot.now().catalog, &self.policy)
    }

    /// The semantic model bound to the catalogue last read, if any.
    pub fn semantic(&self) -> Option<Arc<crate::semantic::Semantic>> {
        self.snapshot.now().semantic.clone()
    }

    /// What the catalogue derives from what, as last read.
    pub fn derived(&self) -> Arc<crate::access::Derived> {
        Arc::clone(&self.snapshot.now().derived)
    }

    /// What any account on the target sees (see [`Snapshot::seen`]).
    pub fn seen(&self) -> Arc<crate::sql::schema::Catalog> {
        Arc::clone(&self.snapshot.now().seen)
    }

    /// This runtime as it builds prompts for someone in `groups`: its
    /// catalogue, glossary and semantic model without what their groups
    /// hide, its examples only those they may read, and a statement that
    /// reads what they may not is not offered to them. Running is not its
    /// business: a click judges the clicker on the runtime itself.
    pub fn for_reader(&self, groups: &[String]) -> SqlRuntime {
        self.for_readers(&[groups.to_vec()])
    }

    /// [`SqlRuntime::for_reader`] for several people at once, each by
    /// their groups: what everyone of them may read (the readers of a
    /// room, whose answer they all read).
    pub fn for_readers(&self, people: &[Vec<String>]) -> SqlRuntime {
        let accesses: Vec<crate::access::Access<'_>> = people
            .iter()
            .map(|groups| self.readers.rules.access(groups))
            .collect();
        // The values were read by the target's own account: someone who
        // reads through a group's (whose grants or row-level security may
        // keep fewer rows) is shown none.
        let own_account = people
            .iter()
            .flatten()
            .any(|g| self.readers.has_account(Some(g)));
        if !accesses.iter().any(crate::access::Access::restricted) && !own_account {
            return self.clone();
        }
        let snapshot = self.snapshot.now();
        let (shown, glossary) = self.view_for(&snapshot, people, &accesses, own_account);
        SqlRuntime {
            snapshot: Snapshots(Arc::new(std::sync::RwLock::new(shown))),
            glossary,
            readers: Readers {
                person: Some(Arc::new((people.to_vec(), Arc::clone(&snapshot.catalog)))),
                ..self.readers.clone()
            },
            ..self.clone()
        }
    }

    /// What `snapshot` shows `people` (see [`SqlRuntime::for_readers`]):
    /// made once for them under this runtime's rules and glossary, and
    /// kept with the snapshot for their next question.
    fn view_for(
        &self,
        snapshot: &Snapshot,
        people: &[Vec<String>],
        accesses: &[crate::access::Access<'_>],
        own_account: bool,
    ) -> (Arc<Snapshot>, Option<Arc<crate::learn::glossary::Glossary>>) {
        let same = |view: &ReaderView| {
            view.people == people
                && Arc::ptr_eq(&view.rules, &self.readers.rules)
                && match (&view.glossary, &self.glossary) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        };
        if let Some(view) = snapshot
            .views
            .lock()
            .expect("never poisoned")
            .iter()
            .find(|v| same(v))
        {
            return (Arc::clone(&view.shown), view.shown_glossary.clone());
        }
        let whole = Arc::clone(&snapshot.catalog);
        let derived = Arc::clone(&snapshot.derived);
        let mut shown = accesses
            .iter()
            .map(|access| access.catalog_for(&whole, &derived))
            .reduce(|kept, theirs| crate::access::both(&kept, &theirs))
            .unwrap_or_default();
        if own_account {
            shown.values.clear();
        }
        let glossary = self.glossary.as_ref().map(|g| {
            let text = accesses.iter().fold(g.text.clone(), |text, access| {
                access.text_for(&text, &whole, &derived)
            });
            Arc::new(crate::learn::glossary::Glossary {
                text,
                ..(**g).clone()
            })
        });
        let semantic = snapshot
            .semantic
            .clone()
            .and_then(|semantic| self.semantic_for(semantic, (&whole, &shown, &derived), accesses));
        let shown = Arc::new(Snapshot {
            catalog: Arc::new(shown),
            seen: Arc::clone(&snapshot.seen),
            derived,
            semantic,
            views: Default::default(),
        });
        let mut views = snapshot.views.lock().expect("never poisoned");
        // The sets of readers a snapshot meets are few (the places' and
        // the askers'); past this many, the oldest is made again if met.
        if views.len() >= MAX_READER_VIEWS {
            views.remove(0);
        }
        views.push(ReaderView {
            people: people.to_vec(),
            rules: Arc::clone(&self.readers.rules),
            glossary: self.glossary.clone(),
            shown: Arc::clone(&shown),
            shown_glossary: glossary.clone(),
        });
        (shown, glossary)
    }

    /// The semantic model without what `accesses` may not read: a
    /// definition whose probe reads it, an entity over a table `shown`
    /// (the catalogue `whole` as they see it) lacks, and what stands on
    /// them; `None` when what is left does not hold.
    fn semantic_for(
        &self,
        semantic: Arc<crate::semantic::Semantic>,
        (whole, shown, derived): (
            &crate::sql::schema::Catalog,
            &crate::sql::schema::Catalog,
            &crate::access::Derived,
        ),
        accesses: &[crate::access::Access<'_>],
    ) -> Option<Arc<crate::semantic::Semantic>> {
        let hidden: Vec<String> = semantic
            .probes(self.policy.dialect)
            .into_iter()
            .filter(|(_, sql)| {
                // A definition that cannot be judged is not shown.
                !crate::sql::validate::validate_in(sql, &self.policy, Some(whole)).is_ok_and(|v| {
                    accesses
                        .iter()
                        .all(|a| a.may_read(&v.reach, whole, derived))
                })
            })
            .map(|(key, _)| key)
            .collect();
        // Entities over a table the person may not read at all go too,
        // with every definition over them.
        let gone: Vec<String> = semantic
            .definitions
            .entities
            .iter()
            .filter(|(_, e)| {
                !shown.tables.iter().any(|t| {
                    t.qualified().eq_ignore_ascii_case(&e.table)
                        || (t.schema.is_none() && t.name.eq_ignore_ascii_case(&e.table))
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if hidden.is_empty() && gone.is_empty() {
            return Some(semantic);
        }
        let mut definitions = semantic.definitions.clone();
        definitions.entities.retain(|name, _| !gone.contains(name));
        definitions
            .dimensions
            .retain(|_, d| !gone.contains(&d.entity));
        definitions
            .measures
            .retain(|_, m| !gone.contains(&m.entity));
        definitions
            .segments
            .retain(|_, x| !gone.contains(&x.entity));
        for key in &hidden {
            let (kind, name) = key.split_once('.').unwrap_or(("", key));
            match kind {
                "dimensions" => drop(definitions.dimensions.remove(name)),
                "measures" => drop(definitions.measures.remove(name)),
                "segments" => drop(definitions.segments.remove(name)),
                _ => {}
            }
        }
        let names: Vec<&str> = hidden
            .iter()
            .map(|key| key.split_once('.').map_or(key.as_str(), |(_, n)| n))
            .chain(gone.iter().map(String::as_str))
            .collect();
        definitions
            .examples
            .retain(|e| !names.iter().any(|name| e.plan.contains(name)));
        // Definitions that no longer hold without the hidden ones
        // (a segment over a hidden dimension): the model's own SQL.
        crate::semantic::Semantic::bind(definitions, whole)
            .ok()
            .map(Arc::new)
    }

    /// What the person this runtime builds prompts for may not read of
    /// `valid` (see [`SqlRuntime::for_reader`]); `None` for anyone else.
    fn hidden_from_person(
        &self,
        valid: &crate::sql::validate::Validated,
    ) -> Option<crate::access::Hidden> {
        let (people, whole) = &**self.readers.person.as_ref()?;
        let derived = self.derived();
        people.iter().find_map(|groups| {
            self.readers
                .rules
                .access(groups)
                .judge(&valid.reach, whole, &derived)
                .err()
        })
    }

    /// Whether results of a query run in `place` go to the clicker alone.
    pub(crate) fn results_private_in(&self, place: &Place) -> bool {
        !place.private
            && self
                .private_results
                .iter()
                .any(|(p, c)| p == place.platform.as_str() && (c == "*" || *c == place.channel))
    }

    /// Judges a statement under the policy and, once it has been read, the
    /// target's catalogue (a relation must be one of its tables or views).
    /// Before the first successful read, relations are judged by name.
    ///
    /// # Errors
    /// The refusal, for the user.
    pub fn check(
        &self,
        text: &str,
    ) -> Result<crate::sql::validate::Validated, crate::sql::validate::Refusal> {
        let known = self.known_catalog();
        crate::sql::validate::validate_in(text, &self.policy, known.as_deref())
    }

    /// What the target's own account would do to run `valid`, without
    /// running it (its plan and estimates): what a health check and a
    /// statement's cost probe ask.
    ///
    /// # Errors
    /// The database's refusal, or that it is unreachable.
    pub async fn explain(
        &self,
        valid: &crate::sql::validate::Validated,
        timeout: std::time::Duration,
    ) -> Result<crate::sql::backend::Plan, crate::sql::backend::ExecError> {
        self.executor.0.explain(valid, timeout).await
    }

    /// The target's catalogue as last read; `None` before the first
    /// successful read, when relations are judged by name.
    pub fn known_catalog(&self) -> Option<Arc<crate::sql::schema::Catalog>> {
        let catalog = Arc::clone(&self.snapshot.now().catalog);
        (!catalog.tables.is_empty()).then_some(catalog)
    }

    /// Stores a question and its SQL (and the plan it was compiled from,
    /// if any) as an example of the target (from the CLI, the admin API, a
    /// file), after judging the SQL by the target's policy and catalogue
    /// and the plan by its semantic model; what is stored is the statement
    /// as judged. The language is told from the question when not given.
    ///
    /// # Errors
    /// [`KeepError`]: refused, or the store failed.
    pub async fn keep_example(
        &self,
        (question, sql, plan): (&str, &str, Option<&str>),
        language: Option<Lang>,
        source: crate::learn::examples::Source,
        created_by: Option<(i64, &str)>,
        fallback: Lang,
    ) -> Result<crate::learn::examples::Stored, KeepError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(KeepError::NoQuestion);
        }
        let valid = self.check(sql).map_err(KeepError::Refused)?;
        let plan = plan
            .map(|p| self.judge_plan(p))
            .transpose()
            .map_err(KeepError::Plan)?;
        let store = self
            .learning
            .as_ref()
            .and_then(|l| l.store())
            .ok_or(KeepError::NoStore)?;
        let language =
            language.unwrap_or_else(|| crate::learn::text::language_of(question, fallback));
        Ok(store
            .add(crate::learn::examples::NewExample {
                target: &self.target,
                question,
                sql: &valid.text,
                dialect: valid.dialect,
                language,
                source,
                created_by,
                result_columns: None,
                result_rows: None,
                plan: plan.as_deref(),
            })
            .await?)
    }

    /// A plan (JSON) as the target's semantic model reads it now, in the
    /// form the model is shown.
    ///
    /// # Errors
    /// Why it cannot be used: no semantic model, or the plan does not read
    /// or names what the definitions do not hold.
    pub fn judge_plan(&self, plan: &str) -> Result<String, String> {
        let semantic = self
            .semantic()
            .ok_or_else(|| "the target has no semantic model".to_owned())?;
        let read = crate::semantic::plan::read(plan).map_err(|e| e.to_string())?;
        let resolved = semantic.resolve(read).map_err(|e| e.to_string())?;
        Ok(resolved.held().to_json())
    }

    /// Whether a stored example may be shown now: written for this dialect,
    /// and passing the policy and the catalogue.
    ///
    /// # Errors
    /// Why not, as the example's set-aside reason.
    pub fn judge_example(&self, example: &crate::learn::examples::Example) -> Result<(), String> {
        if example.dialect != self.policy.dialect.as_str() {
            return Err(format!(
                "written for {}, and the target is now {}",
                example.dialect, self.policy.dialect
            ));
        }
        self.check_whole(&example.sql)
            .map(drop)
            .map_err(|r| r.to_string())
    }

    /// Whether the person this runtime builds prompts for may not read what
    /// `example` reads: left out of their prompt, not set aside for all
    /// (which [`SqlRuntime::judge_example`]'s refusal would do).
    pub fn hides_example(&self, example: &crate::learn::examples::Example) -> bool {
        self.readers.person.is_some()
            && self
                .check_whole(&example.sql)
                .is_ok_and(|valid| self.hidden_from_person(&valid).is_some())
    }

    /// [`SqlRuntime::check`], against the catalogue whole in a runtime made
    /// for one person (whose own catalogue leaves out what they may not
    /// read): what they may not read is theirs to be refused, not unknown.
    fn check_whole(
        &self,
        text: &str,
    ) -> Result<crate::sql::validate::Validated, crate::sql::validate::Refusal> {
        match &self.readers.person {
            Some(person) => crate::sql::validate::validate_in(text, &self.policy, Some(&person.1)),
            None => self.check(text),
        }
    }

    /// What a SQL prompt shows for `question`: today's date, the glossary,
    /// the tables with the values of their short text columns, the most
    /// similar examples that pass the policy now, and the values close to
    /// the question's words.
    pub async fn prompt_context(&self, llm: &Llm, question: &str) -> crate::learn::PromptContext {
        self.prompt_context_skipping(llm, question, &|_| false, true, None)
            .await
    }

    /// [`SqlRuntime::prompt_context`], leaving out the examples `skip`
    /// names, and the values when the asker may not read data (`values`:
    /// the values are the target's data, which only who may Execute reads;
    /// the structure is for everyone who may ask). The examples are chosen
    /// from `ranked` when the question's were ranked already.
    pub async fn prompt_context_skipping(
        &self,
        llm: &Llm,
        question: &str,
        skip: &crate::learn::Skip<'_>,
        values: bool,
        ranked: Option<&crate::learn::Ranked>,
    ) -> crate::learn::PromptContext {
        use crate::sql::PromptPart;
        let catalog = Arc::clone(&self.snapshot.now().catalog);
        let parts = &self.free_prompt;
        let values = values && parts.has(PromptPart::Values);
        let glossary = self
            .glossary
            .as_ref()
            .filter(|_| parts.has(PromptPart::Glossary));
        let examples = match &self.learning {
            Some(learning) if parts.has(PromptPart::Examples) => {
                let check = |example: &crate::learn::examples::Example| self.judge_example(example);
                let skip = |example: &crate::learn::examples::Example| {
                    skip(example) || self.hides_example(example)
                };
                match ranked {
                    Some(ranked) => {
                        learning
                            .choose_from(ranked, self.examples_budget, &check, &skip)
                            .await
                    }
                    None => {
                        learning
                            .pick(llm, question, self.examples_budget, &check, &skip)
                            .await
                    }
                }
            }
            _ => crate::learn::Picked::default(),
        };
        crate::learn::PromptContext {
            today: parts.has(PromptPart::Date).then(|| {
                self.today
                    .unwrap_or_else(|| chrono::Local::now().date_naive())
            }),
            frozen: self.today.is_some(),
            glossary: glossary.map(|g| g.text.clone()),
            schema: catalog.context(question, self.schema_budget, values),
            examples,
            near: if values {
                catalog.near(question)
            } else {
                Vec::new()
            },
            definitions: glossary.map_or_else(Vec::new, |g| {
                g.applying_to(question, crate::learn::MAX_DEFINITIONS)
            }),
            parts: parts.clone(),
        }
    }

    /// The database's `message`, followed, when it names a column that
    /// does not exist, by the tables of the catalogue that have a column of
    /// that name: a small model puts a column in the wrong table more often
    /// than it invents one (`c.company` on contacts), and mends it when told
    /// where it is.
    fn with_column_hint(&self, message: &str, lang: Lang) -> String {
        match crate::sql::backend::missing_column(message)
            .and_then(|column| self.column_hint(&column, lang))
        {
            Some(hint) => format!("{message}; {hint}"),
            None => message.to_owned(),
        }
    }

    /// Which tables of the catalogue have a column named `column` (see
    /// [`Self::with_column_hint`]); none for a name longer than any database
    /// allows (a name of 16,300 characters made a refusal of 17,367, after
    /// the refusal itself was cut to its bound).
    fn column_hint(&self, column: &str, lang: Lang) -> Option<String> {
        if column.chars().count() > MAX_IDENTIFIER_CHARS {
            return None;
        }
        let catalog = Arc::clone(&self.snapshot.now().catalog);
        let tables: Vec<&str> = catalog
            .tables
            .iter()
            .filter(|t| {
                t.columns
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(column))
            })
            .map(|t| t.name.as_str())
            .collect();
        Some(
            Sql::ColumnIsIn {
                column,
                tables: &tables.join(", "),
            }
            .render(lang),
        )
    }

    /// Judges one statement of an answer as the bot does before offering
    /// it: the validator, then EXPLAIN when configured. Returns what may
    /// run and the database's row estimate.
    ///
    /// # Errors
    /// Why it cannot be offered, in `lang`.
    pub async fn judge_block(
        &self,
        text: &str,
        index: u32,
        lang: Lang,
    ) -> Result<(crate::sql::validate::Validated, Option<u64>), Unoffered> {
        let valid = self.check_whole(text).map_err(|refusal| {
            let mut reason = Sql::Refused(&refusal).render(lang);
            // A column qualified by a table the query does not read
            // (`users.first_name` without joining users), or by one that
            // has no such column: a small model's slip, which it mends when
            // told where the column is.
            use crate::sql::validate::{Refusal, Unreadable};
            let misplaced = match &refusal {
                Refusal::CannotVerify(Unreadable::NotATable(name)) => {
                    name.rsplit_once('.').map(|(_, column)| column)
                }
                Refusal::CannotVerify(Unreadable::NoSuchColumn { column, .. }) => {
                    Some(column.as_str())
                }
                _ => None,
            };
            if let Some(hint) = misplaced.and_then(|column| self.column_hint(column, lang)) {
                reason = format!("{reason}; {hint}");
            }
            Unoffered {
                reason,
                repairable: true,
                refused: true,
            }
        })?;
        // The model may write it without what the asker may not read.
        if let Some(hidden) = self.hidden_from_person(&valid) {
            return Err(Unoffered {
                reason: Results::HiddenFromYou(&hidden).render(lang),
                repairable: true,
                refused: true,
            });
        }
        if !self.explain {
            return Ok((valid, None));
        }
        match self.explain(&valid, self.limits.timeout).await {
            Ok(plan) => Ok((valid, plan.rows.map(|r| r.max(0.0).round() as u64))),
            Err(crate::sql::backend::ExecError::Database(message)) => Err(Unoffered {
                reason: Sql::DoesNotCompile {
                    index,
                    message: &self.with_column_hint(&message, lang),
                }
                .render(lang),
                repairable: true,
                refused: false,
            }),
            // The model may find a lighter query for the same question.
            Err(crate::sql::backend::ExecError::TooHeavy(heavy)) => Err(Unoffered {
                reason: Sql::TooHeavy {
                    index,
                    heavy: &heavy,
                }
                .render(lang),
                repairable: true,
                refused: false,
            }),
            // Planning alone ran out of time (a regular expression or a
            // join order the planner weighs at length): not a passing
            // trouble of the database, and the model may write it simpler.
            Err(crate::sql::backend::ExecError::Timeout(limit)) => Err(Unoffered {
                reason: Sql::PlanTooSlow { index, limit }.render(lang),
                repairable: true,
                refused: false,
            }),
            Err(e) => Err(Unoffered {
                reason: Results::ExecuteUnavailable {
                    reason: &crate::i18n::exec_error(lang, &e),
                }
                .render(lang),
                repairable: false,
                refused: false,
            }),
        }
    }
}
