//! Judging a statement on its parsed form, never on its words, and running
//! only what is understood and known to be harmless. Three analyses, in
//! this order, each reading what the ones before found, never the ones
//! after:
//!
//! 1. **Reach.** The text is cut into tokens (sqlparser's tokenizer, in the
//!    target's dialect) with its size, token count and nesting depth
//!    bounded before anything recursive sees it, and every token must be of
//!    a kind whose reading the checker and the database agree on (no
//!    dollar-quoted, escaped or Unicode-escaped strings, no parameters).
//!    Parsed with a recursion limit, it must be exactly one statement, a
//!    query. Then every construct is understood or refused (`reach::walk`): the
//!    tree is walked with exhaustive matches over what can stand in `FROM`,
//!    in a clause and in an expression; a kind the walker does not
//!    explicitly understand is refused as "cannot be verified", so a new
//!    parser quirk fails closed. Functions are judged against an allow-list
//!    per dialect ([`functions`]). Relations resolve, after CTE scoping, to
//!    the tables and views of the allowed schemas in the target's live
//!    catalogue when it is known ([`validate_in`]); without it, to names
//!    outside the data dictionary in allowed schemas. What it reads is one
//!    [`Reach`]: the tables and columns, which data-access rules and the
//!    audit trust.
//! 2. **Single-call bounds** ([`bounds`]): what no engine interrupt reaches
//!    inside one call (lengths, needles, patterns, formats written out;
//!    what the planner folds at EXPLAIN).
//! 3. **Cost** ([`Cost`]): what the statement as a whole may cost the
//!    database beyond its plan, for the PostgreSQL executor to weigh.
//!
//! The walk is the one traversal that must miss nothing: the bounds and the
//! cost watch it (`reach::walk::Watch`) rather than walk the tree again,
//! and it imports neither.
//!
//! The check runs on a thread of its own with a large stack, so that a deep
//! but bounded statement can never overflow a runtime thread.
//!
//! A keyword list is not a validator: it refuses `updated_at` and accepts
//! what it does not know.
//!
//! Its modules, from the bottom up (each imports only those above it in
//! this list; `sql::layering` checks it):
//! - [`refusal`]: why a statement is refused, in words a person reads.
//! - [`syntax`]: small readings of the parsed statement every check shares.
//! - [`policy`]: what a target allows, and how a name is matched against it.
//! - [`functions`]: the functions allowed, per dialect, and what each does.
//! - [`reach`]: the tokens, the walk, and what the statement reads.
//! - [`bounds`]: what one call may build or look for, on its arguments.
//! - [`cost`]: what the whole statement may cost, tallied as the walk goes,
//!   with the copies of values its rows hold and the sizes of what it
//!   builds.

mod bounds;
mod cost;
pub mod functions;
mod policy;
mod reach;
mod refusal;
mod syntax;

pub use cost::{Cost, MAX_FROM_RELATIONS, MAX_NUMERIC_DIGITS, MAX_RELATIONS, REBUILT_COPIES};
pub use policy::{DEFAULT_DENIED_OBJECTS, Policy};
pub use reach::{
    Columns, MAX_PAREN_DEPTH, MAX_TOKENS, MAX_TREE_DEPTH, Parsed, Reach, Reached, ResultOrder,
    Unordered,
};
pub use refusal::{Builder, Excess, Foreign, Refusal, Unreadable};

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;
use super::schema::Catalog;
use reach::tokens::{self, screen_tokens};

/// The longest statement checked, in bytes: a generated analyst query is a
/// few kilobytes. Each run's audit record holds it whole, so that this
/// bound (twice it, were every byte escaped in JSON) keeps what one click
/// adds to the own database under 64 KiB.
pub const MAX_STATEMENT_BYTES: usize = 16_384;
/// The parser's own recursion limit (subqueries and parenthesised
/// expressions nest through it).
const PARSER_RECURSION_LIMIT: usize = 64;
/// The stack of the thread the check runs on: enough for every statement
/// within the bounds above, measured by `a_statement_at_every_bound_is_judged`
/// in a debug build with room to spare.
const CHECK_STACK_BYTES: usize = 64 * 1024 * 1024;

/// A statement that passed: exactly the text to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The statement as it was checked (trailing `;` removed): what runs.
    pub text: String,
    pub dialect: Dialect,
    /// The objects it reads, as written.
    pub objects: Vec<String>,
    /// The tables and columns it reads (see [`Reach`]): what data-access
    /// rules judge and the audit records.
    pub reach: Reach,
    /// What it may cost the database beyond what the plan shows, for the
    /// executor to weigh before it runs (see [`Cost`]); nothing for SQLite,
    /// whose worker process bounds whatever a statement costs.
    pub cost: Cost,
}

/// Judges `sql` under `policy`, with no catalogue: relations are judged by
/// name (see [`DEFAULT_DENIED_OBJECTS`]).
///
/// # Errors
/// The [`Refusal`] with the first reason found.
pub fn validate(sql: &str, policy: &Policy) -> Result<Validated, Refusal> {
    validate_in(sql, policy, None)
}

/// Judges `sql` under `policy`; with `catalog`, every relation must be one
/// of its tables or views.
///
/// # Errors
/// The [`Refusal`] with the first reason found.
pub fn validate_in(
    sql: &str,
    policy: &Policy,
    catalog: Option<&Catalog>,
) -> Result<Validated, Refusal> {
    // Cheap refusals before a thread is started.
    if sql.len() > MAX_STATEMENT_BYTES {
        return Err(Refusal::TooLarge(Excess::StatementBytes {
            bytes: sql.len(),
            max: MAX_STATEMENT_BYTES,
        }));
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("sql-check".to_owned())
            .stack_size(CHECK_STACK_BYTES)
            .spawn_scoped(scope, || judge(sql, policy, catalog))
            .map_err(|e| Refusal::CannotVerify(Unreadable::NotStarted(e.to_string())))?
            .join()
            .unwrap_or(Err(Refusal::CannotVerify(Unreadable::Failed)))
    })
}

/// The check itself, on the caller's thread (which must have the stack).
fn judge(sql: &str, policy: &Policy, catalog: Option<&Catalog>) -> Result<Validated, Refusal> {
    // A bare CR ends a `--` comment for Oracle but not for the parser, and
    // other control characters and Unicode line breaks leave room for the
    // same kind of disagreement: none is needed in a query.
    let unix = sql.replace("\r\n", "\n");
    if unix.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
    }) {
        return Err(Refusal::Control);
    }
    let text = sql
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
        .to_owned();
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    let parser_dialect = policy.dialect.parser();
    let text = match policy.dialect {
        Dialect::Oracle => tokens::without_oracle_hints(&text, &*parser_dialect)?
            .trim()
            .to_owned(),
        _ => text,
    };
    let tokens = Tokenizer::new(&*parser_dialect, &text)
        .tokenize()
        .map_err(|e| Refusal::CannotVerify(Unreadable::Unparsable(e.to_string())))?;
    let tokens = screen_tokens(tokens, policy.dialect)?;
    if tokens.iter().all(|t| matches!(t, Token::Whitespace(_))) {
        return Err(Refusal::Empty);
    }
    let statements = Parser::new(&*parser_dialect)
        .with_recursion_limit(PARSER_RECURSION_LIMIT)
        .with_tokens(tokens)
        .parse_statements()
        .map_err(|e| Refusal::CannotVerify(Unreadable::Unparsable(e.to_string())))?;
    let statement = match statements.as_slice() {
        [] => return Err(Refusal::Empty),
        [one] => one,
        many => return Err(Refusal::Several(many.len())),
    };
    let Statement::Query(query) = statement else {
        return Err(Refusal::NotAQuery(statement_kind(statement)));
    };
    // The reach first, with the single-call bounds and the cost watching
    // the one walk; the cost is completed by the sizes of what it builds.
    // A SQLite statement runs in a worker process that the bot kills at
    // its deadline and the system bounds in memory, inside one call or
    // not: it is judged by its reach alone.
    let walker = |watchers| reach::walk::Walker::new(policy, catalog, watchers);
    let (walked, cost) = if policy.dialect == Dialect::Sqlite {
        (walker(Vec::new()).query(query)?, Cost::default())
    } else {
        let mut bounds = bounds::Bounds {
            dialect: policy.dialect,
        };
        let mut tally = cost::Tally::new(policy.dialect);
        let walked = walker(vec![&mut bounds, &mut tally]).query(query)?;
        (walked, tally.finish(query)?)
    };
    Ok(Validated {
        text,
        dialect: policy.dialect,
        objects: walked.objects,
        reach: walked.reach,
        cost,
    })
}

/// The first words of a statement, to say what it is.
fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    words.join(" ").to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_a_limit_lets_through_are_counted_with_its_offset() {
        let pg = Policy::new(Dialect::Postgres);
        let top = |sql: &str| validate(sql, &pg).unwrap().cost.top_rows;
        assert_eq!(top("SELECT id FROM clients"), Some(0));
        assert_eq!(top("SELECT id FROM clients ORDER BY id LIMIT 10"), Some(10));
        assert_eq!(
            top("SELECT id FROM clients ORDER BY id LIMIT 10 OFFSET 990"),
            Some(1000)
        );
        assert_eq!(
            top(
                "SELECT id FROM (SELECT id FROM clients ORDER BY id LIMIT 200) s \
                 ORDER BY id FETCH FIRST 5 ROWS ONLY"
            ),
            Some(200)
        );
        // Only an OFFSET: no count, nothing kept.
        assert_eq!(top("SELECT id FROM clients OFFSET 5"), Some(0));
        // A count or an offset computed, or a share of the rows: unknown.
        assert_eq!(
            top("SELECT id FROM clients ORDER BY id LIMIT (SELECT count(*) FROM orders)"),
            None
        );
        assert_eq!(
            top("SELECT id FROM clients ORDER BY id LIMIT 5 OFFSET (SELECT 1)"),
            None
        );
        assert_eq!(
            top("SELECT id FROM clients ORDER BY id FETCH FIRST 5 PERCENT ROWS ONLY"),
            None
        );
    }

    #[test]
    fn a_cte_named_like_a_dictionary_object_is_refused_with_or_without_the_catalogue() {
        use crate::sql::schema::{Catalog, CatalogColumn, CatalogTable};
        let sqlite = Policy::new(Dialect::Sqlite);
        let catalog = Catalog {
            tables: vec![CatalogTable {
                schema: None,
                name: "clients".into(),
                columns: vec![CatalogColumn {
                    name: "nom".into(),
                    type_name: "TEXT".into(),
                    nullable: true,
                    comment: None,
                    collation: None,
                }],
                comment: None,
                primary_key: Vec::new(),
                foreign_keys: Vec::new(),
            }],
            values: Vec::new(),
            ..Default::default()
        };
        let sql = "WITH sqlite_stats AS (SELECT nom FROM clients) SELECT nom FROM sqlite_stats";
        // The offer and the click may each judge with the live catalogue or
        // without: they agree.
        let without = validate(sql, &sqlite);
        let with = validate_in(sql, &sqlite, Some(&catalog));
        assert!(
            matches!(without, Err(Refusal::DeniedObject(_))),
            "{without:?}"
        );
        assert!(matches!(with, Err(Refusal::DeniedObject(_))), "{with:?}");
        let fine = "WITH stats AS (SELECT nom FROM clients) SELECT nom FROM stats";
        assert!(validate(fine, &sqlite).is_ok());
        assert!(validate_in(fine, &sqlite, Some(&catalog)).is_ok());
    }

    #[test]
    fn an_oracle_hint_is_taken_out_of_what_runs() {
        let oracle = Policy::new(Dialect::Oracle);
        for (sql, runs) in [
            (
                "SELECT /*+ PARALLEL(128) */ nom FROM clients",
                "SELECT   nom FROM clients",
            ),
            (
                "SELECT /*+FULL(c)*/ nom FROM clients c",
                "SELECT   nom FROM clients c",
            ),
            (
                "SELECT --+ PARALLEL(64)\n nom FROM clients",
                "SELECT  \n nom FROM clients",
            ),
            (
                "SELECT 'é /*+ x */' AS s, /*+ PARALLEL(2) */ nom\nFROM clients",
                "SELECT 'é /*+ x */' AS s,   nom\nFROM clients",
            ),
        ] {
            assert_eq!(validate(sql, &oracle).unwrap().text, runs, "{sql}");
        }
        // A comment is a comment; elsewhere `/*+` is one too.
        let plain = "SELECT /* the names */ nom FROM clients";
        assert_eq!(validate(plain, &oracle).unwrap().text, plain);
        let pg = Policy::new(Dialect::Postgres);
        let hinted = "SELECT /*+ x */ nom FROM clients";
        assert_eq!(validate(hinted, &pg).unwrap().text, hinted);
    }

    #[test]
    fn the_parser_reads_keep_and_xmlelement_the_database_runs_the_original() {
        let oracle = Policy::new(Dialect::Oracle);
        let keep = "SELECT MAX(nom) KEEP (DENSE_RANK FIRST ORDER BY ca) FROM clients";
        assert_eq!(validate(keep, &oracle).unwrap().text, keep);
        let xml =
            "SELECT XMLELEMENT(NAME \"client\", XMLATTRIBUTES(id AS \"id\"), nom) FROM clients";
        assert_eq!(validate(xml, &oracle).unwrap().text, xml);
        // What hides in a rewritten place is still judged.
        assert!(
            validate(
                "SELECT MAX(nom) KEEP (DENSE_RANK FIRST ORDER BY dbms_lock.sleep(5)) FROM clients",
                &oracle
            )
            .is_err()
        );
        assert!(
            validate(
                "SELECT XMLELEMENT(NAME x, XMLFOREST(utl_http.request('http://e') AS y)) FROM clients",
                &oracle
            )
            .is_err()
        );
    }

    #[test]
    fn the_relations_a_statement_joins_are_bounded_in_each_from_and_in_all() {
        let pg = Policy::new(Dialect::Postgres);
        let joined = |n: usize| {
            let from: Vec<String> = (0..n).map(|i| format!("clients c{i}")).collect();
            let on: Vec<String> = (1..n).map(|i| format!("c{i}.id = c0.id")).collect();
            format!(
                "SELECT count(*) AS n FROM {} WHERE {}",
                from.join(", "),
                on.join(" AND ")
            )
        };
        assert!(validate(&joined(MAX_FROM_RELATIONS), &pg).is_ok());
        assert!(matches!(
            validate(&joined(MAX_FROM_RELATIONS + 1), &pg),
            Err(Refusal::TooLarge(Excess::Joined { .. }))
        ));
        // Explicit JOINs count as the comma list does.
        let chain = format!(
            "SELECT count(*) FROM clients c0 {}",
            (1..=MAX_FROM_RELATIONS)
                .map(|i| format!("JOIN clients c{i} ON c{i}.id = c0.id"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert!(matches!(
            validate(&chain, &pg),
            Err(Refusal::TooLarge(Excess::Joined { .. }))
        ));
        // Four SELECTs of nine pass the bound of each FROM, not the
        // statement's.
        let branches = vec![joined(9); 4].join(" UNION ALL ");
        assert!(matches!(
            validate(&branches, &pg),
            Err(Refusal::TooLarge(Excess::Relations { .. }))
        ));
        assert!(validate(&vec![joined(8); 4].join(" UNION ALL "), &pg).is_ok());
    }

    #[test]
    fn a_statement_at_every_bound_is_judged() {
        let pg = Policy::new(Dialect::Postgres);
        // The longest flat chain within the token bound: refused by depth,
        // without a crash.
        let chain = format!("SELECT 1{}", "+1".repeat(MAX_TOKENS / 2 - 2));
        assert!(matches!(
            validate(&chain, &pg),
            Err(Refusal::TooLarge(_) | Refusal::CannotVerify(_))
        ));
        let nested = format!(
            "SELECT {}1{}",
            "(".repeat(MAX_PAREN_DEPTH),
            ")".repeat(MAX_PAREN_DEPTH)
        );
        assert!(validate(&nested, &pg).is_err());
        let deep_ok = format!("SELECT 1{}", "+1".repeat(MAX_TREE_DEPTH - 10));
        assert!(validate(&deep_ok, &pg).is_ok());
    }

    #[test]
    fn settings_named_in_a_statement_are_named_alone() {
        let pg = Policy::new(Dialect::Postgres);
        for sql in [
            "SELECT to_tsvector('french', nom) @@ plainto_tsquery('french', 'facture') FROM t",
            "SELECT to_tsquery('english', 'x'), websearch_to_tsquery('French', 'y')",
            "SELECT nom FROM t ORDER BY nom COLLATE \"C\"",
            "SELECT to_tsvector(body) FROM docs",
        ] {
            assert!(validate(sql, &pg).is_ok(), "{sql}");
        }
        // Whether the schema exists would show in the planner's error.
        for sql in [
            "SELECT to_tsvector('secret.cfg', body) FROM docs",
            "SELECT plainto_tsquery('\"hr\".\"cfg\"', 'x')",
            "SELECT nom FROM t ORDER BY nom COLLATE \"secret\".\"c\"",
            "SELECT nom FROM t WHERE nom COLLATE pg_catalog.\"C\" > 'a'",
        ] {
            assert!(
                matches!(
                    validate(sql, &pg),
                    Err(Refusal::CannotVerify(Unreadable::QualifiedSetting(_)))
                ),
                "{sql}"
            );
        }
    }
}
