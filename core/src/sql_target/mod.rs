//! The Execute target: its policy, engine, catalogue, glossary and
//! examples, and what is done with them on behalf of every use case
//! (judging a statement as it would be offered, keeping an example,
//! building what a SQL prompt shows). The bot, the admin endpoint, the
//! CLI and `pstral eval` all reach the target through [`SqlRuntime`];
//! [`answer`] is the one path from a question to the statements that may
//! be offered.

pub mod answer;
pub mod vote;

use std::sync::Arc;

use pstral_chat::Place;

use crate::i18n::{Lang, Text};
use crate::llm::Llm;

/// The longest name any target database allows (Oracle: 128 bytes;
/// PostgreSQL 63).
const MAX_IDENTIFIER_CHARS: usize = 128;

/// What the bot needs to offer and run SQL.
#[derive(Clone)]
pub struct SqlRuntime {
    pub policy: crate::sql::validate::Policy,
    pub executor: Arc<dyn crate::sql::backend::Executor>,
    pub limits: crate::sql::backend::Limits,
    pub preview_rows: usize,
    pub csv_bom: bool,
    /// Compile each statement (EXPLAIN) before offering it.
    pub explain: bool,
    /// Ask the model once more when its answer holds no SQL at all
    /// (`sql.ask_again_without_sql`).
    pub ask_again_without_sql: bool,
    /// How many answers are drawn for a question, the statement most agree
    /// on recommended (`sql.candidates`).
    pub candidates: crate::sql::Candidates,
    /// The target's tables, as last read.
    pub catalog: Arc<std::sync::RwLock<Arc<crate::sql::schema::Catalog>>>,
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
    /// The least role whose "correct" stores an example (the asker's
    /// always does).
    pub confirm_role: crate::identity::Role,
    /// The date the target's data stands at, when it is frozen; otherwise
    /// the prompt tells the clock's.
    pub today: Option<chrono::NaiveDate>,
    /// The target's semantic model as written, bound to the catalogue at
    /// each reading of it ([`SqlRuntime::semantic`]).
    pub definitions: Option<Arc<crate::semantic::Definitions>>,
    /// The definitions bound to the catalogue last read: `None` without
    /// definitions, or when they do not hold against it.
    pub semantic: Arc<std::sync::RwLock<Option<Arc<crate::semantic::Semantic>>>>,
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
    /// Reads the target's catalogue again; returns how many tables it has.
    ///
    /// # Errors
    /// When the target cannot be read; the previous catalogue stays.
    pub async fn refresh_catalog(&self) -> Result<usize, crate::sql::backend::ExecError> {
        let mut catalog = self.executor.catalog(&self.policy.allowed_schemas).await?;
        // Without its values the catalogue still serves: the prompt then
        // names the columns only.
        catalog.values = self
            .executor
            .values(&catalog)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, target_name = %self.target, "cannot read the values of the target's short text columns");
                Vec::new()
            });
        let tables = catalog.tables.len();
        *self.catalog.write().expect("never poisoned") = Arc::new(catalog);
        if let Some(definitions) = &self.definitions {
            let bound = match self.bind_semantic(definitions) {
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
            };
            *self.semantic.write().expect("never poisoned") = bound;
        }
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
        let catalog = self.catalog.read().expect("never poisoned").clone();
        bound_semantic(definitions, &catalog, &self.policy)
    }

    /// The semantic model bound to the catalogue last read, if any.
    pub fn semantic(&self) -> Option<Arc<crate::semantic::Semantic>> {
        self.semantic.read().expect("never poisoned").clone()
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

    /// The target's catalogue as last read; `None` before the first
    /// successful read, when relations are judged by name.
    pub fn known_catalog(&self) -> Option<Arc<crate::sql::schema::Catalog>> {
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
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
        self.check(&example.sql)
            .map(drop)
            .map_err(|r| r.to_string())
    }

    /// What a SQL prompt shows for `question`: today's date, the glossary,
    /// the tables with the values of their short text columns, the most
    /// similar examples that pass the policy now, and the values close to
    /// the question's words.
    pub async fn prompt_context(&self, llm: &Llm, question: &str) -> crate::learn::PromptContext {
        self.prompt_context_skipping(llm, question, &|_| false, true)
            .await
    }

    /// [`SqlRuntime::prompt_context`], leaving out the examples `skip`
    /// names, and the values when the asker may not read data (`values`:
    /// the values are the target's data, which only who may Execute reads;
    /// the structure is for everyone who may ask).
    pub async fn prompt_context_skipping(
        &self,
        llm: &Llm,
        question: &str,
        skip: &crate::learn::Skip<'_>,
        values: bool,
    ) -> crate::learn::PromptContext {
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
        let examples = match &self.learning {
            Some(learning) => {
                let check = |example: &crate::learn::examples::Example| self.judge_example(example);
                learning
                    .pick(llm, question, self.examples_budget, &check, skip)
                    .await
            }
            None => crate::learn::Picked::default(),
        };
        crate::learn::PromptContext {
            today: Some(
                self.today
                    .unwrap_or_else(|| chrono::Local::now().date_naive()),
            ),
            frozen: self.today.is_some(),
            glossary: self.glossary.as_ref().map(|g| g.text.clone()),
            schema: catalog.context(question, self.schema_budget, values),
            examples,
            near: if values {
                catalog.near(question)
            } else {
                Vec::new()
            },
            definitions: self.glossary.as_ref().map_or_else(Vec::new, |g| {
                g.applying_to(question, crate::learn::MAX_DEFINITIONS)
            }),
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
        let catalog = Arc::clone(&self.catalog.read().expect("never poisoned"));
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
            Text::ColumnIsIn {
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
        let valid = self.check(text).map_err(|refusal| {
            let mut reason = Text::SqlRefused(&refusal).render(lang);
            // A column qualified by a table the query does not read
            // (`users.first_name` without joining users): a small model's
            // slip, which it mends when told where the column is.
            if let crate::sql::validate::Refusal::CannotVerify(
                crate::sql::validate::Unreadable::NotATable(name),
            ) = &refusal
                && let Some((_, column)) = name.rsplit_once('.')
                && let Some(hint) = self.column_hint(column, lang)
            {
                reason = format!("{reason}; {hint}");
            }
            Unoffered {
                reason,
                repairable: true,
                refused: true,
            }
        })?;
        if !self.explain {
            return Ok((valid, None));
        }
        match self.executor.explain(&valid, self.limits.timeout).await {
            Ok(plan) => Ok((valid, plan.rows.map(|r| r.max(0.0).round() as u64))),
            Err(crate::sql::backend::ExecError::Database(message)) => Err(Unoffered {
                reason: Text::SqlDoesNotCompile {
                    index,
                    message: &self.with_column_hint(&message, lang),
                }
                .render(lang),
                repairable: true,
                refused: false,
            }),
            // The model may find a lighter query for the same question.
            Err(crate::sql::backend::ExecError::TooHeavy(heavy)) => Err(Unoffered {
                reason: Text::SqlTooHeavy {
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
                reason: Text::SqlPlanTooSlow { index, limit }.render(lang),
                repairable: true,
                refused: false,
            }),
            Err(e) => Err(Unoffered {
                reason: Text::ExecuteUnavailable {
                    reason: &crate::i18n::exec_error(lang, &e),
                }
                .render(lang),
                repairable: false,
                refused: false,
            }),
        }
    }
}
