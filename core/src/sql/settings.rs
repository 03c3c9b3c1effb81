//! How the SQL part is configured: what may run ([`Policy`]), where
//! ([`Target`]), and within which limits ([`Limits`]).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::Dialect;
use super::backend::Limits;
use super::validate::Policy;
use crate::store::DatabaseUrl;

#[derive(Debug, Clone)]
pub struct SqlSettings {
    /// What may run, in the dialect of the chosen target.
    pub policy: Policy,
    /// The target the bot runs queries on.
    pub target: Target,
    /// Every configured target, by name (for `pstral sql run --target`).
    pub targets: Vec<Target>,
    pub limits: Limits,
    pub preview_rows: usize,
    pub csv_bom: bool,
    /// Whether a result gets a chart when its shape calls for one.
    pub charts: Charts,
    pub explain: bool,
    /// Ask the model once more when an answer to a SQL question holds no
    /// SQL at all.
    pub ask_again_without_sql: bool,
    /// How many answers are drawn for a SQL question, the statement most
    /// of them agree on recommended (1: the first answer alone).
    pub candidates: Candidates,
    pub schema_budget: usize,
    /// How much of the confirmed examples goes into a prompt, in tokens.
    pub examples_budget: usize,
    /// How many confirmed plans of similar questions a plan prompt shows.
    pub plan_examples: usize,
    /// How many plans are drawn for a question, and when the bot asks
    /// back rather than answer.
    pub plan_votes: PlanVotes,
    /// How much of a target's glossary goes into a prompt, in tokens.
    pub instructions_budget: usize,
    /// What the free SQL path's prompt holds beyond the tables and the
    /// question.
    pub free_prompt: FreePrompt,
    /// The least role whose "correct" stores an example (the asker's
    /// always does).
    pub confirm_role: crate::identity::Role,
    pub schema_refresh: Duration,
    /// Where results go to the person who ran the query alone, as
    /// (platform, channel); channel `*` is every channel of the platform.
    pub private_results: Vec<(String, String)>,
    /// Run on a target whose account can write or administer, knowingly.
    pub allow_privileged_account: bool,
}

/// How many further answers are drawn for a question, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidates {
    /// Answers in all, the first included: 1 draws none.
    pub count: usize,
    /// The further answers' temperature (the first keeps the model's).
    pub temperature: f64,
}

impl Default for Candidates {
    fn default() -> Self {
        Self {
            count: 1,
            temperature: 0.7,
        }
    }
}

/// How many plans are drawn for a question the semantic path takes, and
/// on which signals of doubt the bot asks back (`sql.plan_votes`,
/// `sql.plan_temperature`, `sql.ask_back`).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVotes {
    /// Plans in all, the greedy one included: 1 draws none.
    pub count: usize,
    /// The further plans' temperature.
    pub temperature: f64,
    /// The signals on any of which the bot asks back.
    pub ask_back: Vec<Doubt>,
    /// The probability of a choice of the greedy plan below which the
    /// model is unsure ([`Doubt::Unsure`]).
    pub unsure_below: f64,
}

/// One plan, never asked back: what a runtime made by hand gets (tests
/// that script the model's plans one by one). The configuration's default
/// (`config/default.toml`) draws three and asks back on `split` and
/// `left_out`, as measured.
impl Default for PlanVotes {
    fn default() -> Self {
        Self {
            count: 1,
            temperature: 0.5,
            ask_back: Vec::new(),
            unsure_below: 0.5,
        }
    }
}

/// A reason to doubt that a plan reads its question, each measured by
/// `pstral eval` against right and wrong answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Doubt {
    /// The plans drawn disagree: the most drawn holds no clear majority.
    Split,
    /// The question names something the plan does not use.
    LeftOut,
    /// The plan holds a part the question names nowhere.
    Unsaid,
    /// The model's plan needed the repair round.
    Repaired,
    /// The model gave a choice of its plan (a name, a value) a probability
    /// below `sql.unsure_below`, where its server says.
    Unsure,
}

impl Doubt {
    pub const ALL: [Doubt; 5] = [
        Self::Split,
        Self::LeftOut,
        Self::Unsaid,
        Self::Repaired,
        Self::Unsure,
    ];

    /// Its name in the configuration and the reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Split => "split",
            Self::LeftOut => "left_out",
            Self::Unsaid => "unsaid",
            Self::Repaired => "repaired",
            Self::Unsure => "unsure",
        }
    }
}

/// A part of the free SQL path's prompt beyond a bare one (the tables and
/// the question), each kept only where `pstral eval --ablate` shows it
/// helps (`sql.free_prompt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PromptPart {
    /// Who the model is and the rules of its answer (one read-only SELECT
    /// in a block, a sentence on what it returns, no guessed names, no SQL
    /// for a question not about data, the answer's language); without it,
    /// one line asks for the query in a block.
    Instructions,
    /// The dialect's syntax in one line (LIMIT or FETCH FIRST, dates).
    Syntax,
    /// Today's date, and that the data stands at it when frozen.
    Date,
    /// The target's glossary, and its entries that bear on the question
    /// again beside it.
    Glossary,
    /// The data's values: every value of a column that holds few, and the
    /// stored values close to the question's words.
    Values,
    /// Confirmed examples of similar questions with their SQL.
    Examples,
    /// One more round when no statement of the answer may be offered, with
    /// the reasons.
    Repair,
}

impl PromptPart {
    /// Every part, in the order `pstral eval --ablate` measures them.
    pub const ALL: [PromptPart; 7] = [
        Self::Instructions,
        Self::Glossary,
        Self::Values,
        Self::Date,
        Self::Syntax,
        Self::Repair,
        Self::Examples,
    ];

    /// Its name in the configuration and the reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instructions => "instructions",
            Self::Syntax => "syntax",
            Self::Date => "date",
            Self::Glossary => "glossary",
            Self::Values => "values",
            Self::Examples => "examples",
            Self::Repair => "repair",
        }
    }
}

/// The parts the free SQL path's prompt holds (`sql.free_prompt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreePrompt(std::collections::BTreeSet<PromptPart>);

impl FreePrompt {
    /// A bare prompt: the tables and the question.
    pub fn bare() -> Self {
        Self(std::collections::BTreeSet::new())
    }

    /// Every part.
    pub fn whole() -> Self {
        PromptPart::ALL.into_iter().collect()
    }

    pub fn has(&self, part: PromptPart) -> bool {
        self.0.contains(&part)
    }

    /// The same with `part` too.
    #[must_use]
    pub fn with(&self, part: PromptPart) -> Self {
        let mut parts = self.0.clone();
        parts.insert(part);
        Self(parts)
    }

    pub fn parts(&self) -> impl Iterator<Item = PromptPart> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<PromptPart> for FreePrompt {
    fn from_iter<I: IntoIterator<Item = PromptPart>>(parts: I) -> Self {
        Self(parts.into_iter().collect())
    }
}

/// Every part: what a runtime made by hand gets (tests that script a
/// repair round). The configuration's default (`config/default.toml`)
/// leaves the repair round out, as measured (docs/learning.md, "The free
/// path's prompt, part by part").
impl Default for FreePrompt {
    fn default() -> Self {
        Self::whole()
    }
}

/// An Execute target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// The target's glossary (Markdown), shown in every SQL prompt.
    pub instructions_file: Option<PathBuf>,
    /// The target's semantic model: the definitions questions are compiled
    /// through.
    pub semantic: SemanticSource,
    /// The date the target's data stands at, told to the model as today's
    /// when its data is frozen (a copy, the demo); none: the clock's.
    pub today: Option<chrono::NaiveDate>,
    /// Whether a PostgreSQL target's query plans are weighed before a query
    /// is offered and run (`weigh_plans`, on by default): off for a replica
    /// or an instance of its own that bounds itself.
    pub weigh_plans: bool,
    /// A group's own account on this target, by group name: its members'
    /// clicks run as it (PostgreSQL and Oracle).
    pub accounts: Vec<(String, TargetKind)>,
}

/// Where a target's semantic model comes from (`semantic_file`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SemanticSource {
    /// None, except the demo target's built-in one.
    #[default]
    Default,
    /// None, even for the demo (`semantic_file = "off"`).
    Off,
    File(PathBuf),
}

/// Whether results get a chart beside their table (`sql.charts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charts {
    /// When the result's shape calls for one; a person may ask for none.
    #[default]
    Auto,
    /// Only when a person asks for one.
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    Sqlite(PathBuf),
    /// A URL whose password, if any, is only shown redacted.
    Postgres(DatabaseUrl),
    Oracle {
        user: String,
        password: Option<RedactedSecret>,
        /// host:port/service, as the Oracle client takes it.
        connect: String,
    },
}

impl TargetKind {
    /// Where its data is, whoever connects: the file, the server and
    /// database (PostgreSQL), or the connect string (Oracle); never the
    /// account or its password.
    pub fn database(&self) -> String {
        match self {
            TargetKind::Sqlite(path) => path.display().to_string(),
            // Without a database in its path, PostgreSQL takes the user's
            // name for it.
            TargetKind::Postgres(DatabaseUrl::Postgres(url)) => format!(
                "{}:{}/{}",
                url.host_str().unwrap_or("localhost").to_ascii_lowercase(),
                url.port().unwrap_or(5432),
                match url.path().trim_start_matches('/') {
                    "" => url.username(),
                    database => database,
                }
            ),
            TargetKind::Postgres(other) => other.redacted(),
            TargetKind::Oracle { connect, .. } => connect.to_ascii_lowercase(),
        }
    }
}

/// A secret that compares and clones like a value but never prints.
#[derive(Clone)]
pub struct RedactedSecret(pub SecretString);

impl fmt::Debug for RedactedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for RedactedSecret {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for RedactedSecret {}

impl Target {
    /// The demo CRM's file, when this is the demo target: a SQLite target
    /// named "demo", which has the demo's glossary, date and creation.
    pub fn demo_file(&self) -> Option<&std::path::Path> {
        match &self.kind {
            TargetKind::Sqlite(path) if self.name == "demo" => Some(path),
            _ => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.kind {
            TargetKind::Sqlite(_) => Dialect::Sqlite,
            TargetKind::Postgres(_) => Dialect::Postgres,
            TargetKind::Oracle { .. } => Dialect::Oracle,
        }
    }
}
