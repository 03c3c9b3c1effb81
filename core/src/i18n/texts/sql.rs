//! The statements offered for a question: why one is not offered or that it
//! may be run, and what the model is asked again of them, each sentence in
//! English beside its French.

use super::super::sql::{heavy_reason, sql_refusal};
use super::super::{Lang, duration_fr};

/// What the bot says of the statements it offers, and asks the model of
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sql<'a> {
    /// Why a SQL statement will not be offered for execution.
    Refused(&'a crate::sql::validate::Refusal),
    /// The statement does not compile against the real schema.
    DoesNotCompile { index: u32, message: &'a str },
    /// The statement's plan would take more of the database server than
    /// one query may (weighed on its plan and the tables' sizes).
    TooHeavy {
        index: u32,
        heavy: &'a crate::sql::backend::Heavy,
    },
    /// The database took longer than the limit only to plan the statement
    /// (its EXPLAIN, before any click).
    PlanTooSlow {
        index: u32,
        limit: std::time::Duration,
    },
    /// A statement may be run; with the database's estimate when known.
    Ready {
        index: u32,
        rows: Option<u64>,
        buttons: bool,
        /// How commands are typed on the platform.
        prefix: &'a str,
    },
    /// `run N` names no statement offered here.
    NothingToRun { index: u32 },
    /// Sent to the model (not to a user): fix the query that failed.
    RepairRequest { reasons: &'a str },
    /// The second round, when the model's answer held no SQL at all.
    AskedAgain,
    /// More answers were drawn (`sql.candidates`) and most agree on a
    /// statement the first answer did not offer: it, as query `index`.
    Agreed {
        votes: usize,
        of: usize,
        index: u32,
        sql: &'a str,
    },
    /// Where a column the database did not find is (`tables` empty: in no
    /// table shown).
    ColumnIsIn { column: &'a str, tables: &'a str },
    /// A control (button) that the bot did not make, or no longer knows.
    ControlNotValid,
}

impl Sql<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (lang, Sql::Refused(refusal)) => sql_refusal(lang, refusal),
            (Lang::En, Sql::DoesNotCompile { index, message }) => format!(
                "Query {index} will not be run: the database does not accept it ({message})."
            ),
            (Lang::Fr, Sql::DoesNotCompile { index, message }) => format!(
                "La requête {index} ne sera pas exécutée : la base ne l'accepte pas ({message})."
            ),
            (Lang::En, Sql::PlanTooSlow { index, limit }) => format!(
                "Query {index} will not be run: the database took longer than {} only to plan \
                 and weigh it, before running anything (ask for fewer or smaller values).",
                humantime::format_duration(*limit)
            ),
            (Lang::Fr, Sql::PlanTooSlow { index, limit }) => format!(
                "La requête {index} ne sera pas exécutée : la base a mis plus de {} rien qu'à \
                 la planifier et l'évaluer, avant de rien exécuter (demandez moins de valeurs, ou \
                 de plus courtes).",
                duration_fr(*limit)
            ),
            (Lang::En, Sql::TooHeavy { index, heavy }) => format!(
                "Query {index} will not be run: it would take more of the database server than \
                 one query may ({}).",
                heavy_reason(Lang::En, heavy)
            ),
            (Lang::Fr, Sql::TooHeavy { index, heavy }) => format!(
                "La requête {index} ne sera pas exécutée : elle demanderait au serveur de base de \
                 données plus de ressources que ce à quoi une requête a droit ({}).",
                heavy_reason(Lang::Fr, heavy)
            ),
            (
                lang,
                Sql::Ready {
                    index,
                    rows,
                    buttons,
                    prefix,
                },
            ) => {
                let estimate = match (lang, rows) {
                    (_, None) => String::new(),
                    (Lang::En, Some(1)) => " (about 1 row)".to_owned(),
                    (Lang::Fr, Some(0 | 1)) => format!(" (environ {} ligne)", rows.unwrap_or(0)),
                    (Lang::En, Some(r)) => format!(" (about {r} rows)"),
                    (Lang::Fr, Some(r)) => format!(" (environ {r} lignes)"),
                };
                match (lang, buttons) {
                    (Lang::En, true) => {
                        format!("▶ Query {index} can be run{estimate}: use Execute.")
                    }
                    (Lang::En, false) => {
                        format!("▶ Query {index} can be run{estimate}: `{prefix}run {index}`.")
                    }
                    (Lang::Fr, true) => format!(
                        "▶ La requête {index} peut être exécutée{estimate} : utilisez Exécuter."
                    ),
                    (Lang::Fr, false) => format!(
                        "▶ La requête {index} peut être exécutée{estimate} : `{prefix}run {index}`."
                    ),
                }
            }
            (Lang::En, Sql::NothingToRun { index }) => {
                format!("There is no query {index} to run here.")
            }
            (Lang::Fr, Sql::NothingToRun { index }) => {
                format!("Il n'y a pas de requête {index} à exécuter ici.")
            }
            (Lang::En, Sql::RepairRequest { reasons }) => format!(
                "Your query cannot be run: {reasons} Write a corrected query that answers my \
                 question, in a single ```sql block, followed by one sentence."
            ),
            (Lang::Fr, Sql::RepairRequest { reasons }) => format!(
                "Votre requête ne peut pas être exécutée : {reasons} Écrivez une requête corrigée qui \
                 répond à ma question, dans un seul bloc ```sql, suivie d'une phrase."
            ),
            (Lang::En, Sql::ColumnIsIn { column, tables: "" }) => {
                format!("no table has a column {column}")
            }
            (Lang::En, Sql::ColumnIsIn { column, tables }) => {
                format!("{column} is a column of {tables}")
            }
            (Lang::Fr, Sql::ColumnIsIn { column, tables: "" }) => {
                format!("aucune table n'a de colonne {column}")
            }
            (Lang::Fr, Sql::ColumnIsIn { column, tables }) => {
                format!("{column} est une colonne de {tables}")
            }
            (Lang::En, Sql::AskedAgain) => "Your answer holds no SQL query. If the tables \
                can answer my question, write the SELECT that answers it, in a single ```sql \
                block, followed by one sentence; if they cannot, say so in one sentence."
                .to_owned(),
            (Lang::Fr, Sql::AskedAgain) => "Votre réponse ne contient pas de requête SQL. Si \
                les tables peuvent répondre à ma question, écrivez le SELECT qui y répond, dans \
                un seul bloc ```sql, suivi d'une phrase ; sinon, dites-le en une phrase."
                .to_owned(),
            (
                Lang::En,
                Sql::Agreed {
                    votes,
                    of,
                    index,
                    sql,
                },
            ) => format!(
                "{votes} of my {of} tries agree on another query, query {index}:\n\
                 ```sql\n{sql}\n```"
            ),
            (
                Lang::Fr,
                Sql::Agreed {
                    votes,
                    of,
                    index,
                    sql,
                },
            ) => format!(
                "{votes} de mes {of} essais s'accordent sur une autre requête, la requête {index} \
                 :\n```sql\n{sql}\n```"
            ),
            (Lang::En, Sql::ControlNotValid) => {
                "This button is not one I can act on (it is not mine, or it is out of date); \
                 nothing was run. The attempt was recorded."
                    .to_owned()
            }
            (Lang::Fr, Sql::ControlNotValid) => {
                "Ce bouton n'est pas l'un des miens, ou il est périmé : rien n'a été exécuté. \
                 La tentative a été enregistrée."
                    .to_owned()
            }
        }
    }
}
