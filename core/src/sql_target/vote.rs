//! Several answers to one question, and the statement most of them agree
//! on (`sql.candidates`): a small model that writes a different query at
//! each draw is unsure, and the query it writes most often is more often
//! right than any single draw. Agreement is judged on the statements'
//! text alone, never by running them: nothing runs without a click.
//!
//! Two statements agree when they read the same once written alike: the
//! same tokens, whatever the spacing, comments, letter case of keywords and
//! unquoted names, `AS` before an alias, a trailing `;`, or the names the
//! query gives its tables (`FROM clients c` and `FROM clients AS cl` agree).

use std::collections::HashMap;
use std::ops::ControlFlow;

use sqlparser::ast::{TableFactor, Visit, Visitor};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::sql::Dialect;

/// What two statements that agree have in common; `None` when `sql` is not
/// one statement that the dialect's parser reads.
pub fn agreement_key(sql: &str, dialect: Dialect) -> Option<String> {
    let parser = dialect.parser();
    let statements = sqlparser::parser::Parser::parse_sql(parser.as_ref(), sql).ok()?;
    let [statement] = statements.as_slice() else {
        return None;
    };
    // The names the query gives its tables, in order: the n-th becomes tn.
    let mut aliases = Aliases::default();
    let _ = statement.visit(&mut aliases);
    let tokens = Tokenizer::new(parser.as_ref(), sql).tokenize().ok()?;
    let mut key = Vec::new();
    for token in tokens {
        match token {
            Token::Whitespace(_) | Token::SemiColon => {}
            Token::Word(word) if word.quote_style.is_none() && word.keyword == Keyword::AS => {}
            Token::Word(word) if word.quote_style.is_none() => {
                let folded = word.value.to_ascii_lowercase();
                key.push(match aliases.renamed(&folded) {
                    Some(n) => format!("t{n}"),
                    None => folded,
                });
            }
            other => key.push(other.to_string()),
        }
    }
    Some(key.join(" "))
}

/// The aliases of a statement's tables and subqueries, folded, in order.
#[derive(Default)]
struct Aliases {
    order: HashMap<String, usize>,
}

impl Aliases {
    fn renamed(&self, folded: &str) -> Option<usize> {
        self.order.get(folded).copied()
    }
}

impl Visitor for Aliases {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        let alias = match factor {
            TableFactor::Table { alias, .. }
            | TableFactor::Derived { alias, .. }
            | TableFactor::TableFunction { alias, .. }
            | TableFactor::Function { alias, .. }
            | TableFactor::UNNEST { alias, .. } => alias.as_ref(),
            _ => None,
        };
        if let Some(alias) = alias
            && alias.name.quote_style.is_none()
        {
            let next = self.order.len() + 1;
            self.order
                .entry(alias.name.value.to_ascii_lowercase())
                .or_insert(next);
        }
        ControlFlow::Continue(())
    }
}

/// A vote among candidates, each holding at most one key (its first
/// statement that may be offered), weighed as drawn plans are
/// ([`super::readings::tally`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Each distinct key's earliest candidate, the key most candidates
    /// hold first, the earliest on a tie.
    pub firsts: Vec<usize>,
    /// How many candidates hold each, in the same order.
    pub votes: Vec<usize>,
    /// No key holds a clear majority; a candidate with none counts
    /// against it.
    pub split: bool,
}

/// The vote of the candidates holding `keys`.
pub fn tally(keys: &[Option<String>]) -> Tally {
    // Each candidate's key among the distinct ones, numbered in the order
    // first held; `firsts` the earliest candidate of each.
    let mut firsts: Vec<usize> = Vec::new();
    let draws: Vec<Option<usize>> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let key = key.as_ref()?;
            Some(
                firsts
                    .iter()
                    .position(|&f| keys[f].as_ref() == Some(key))
                    .unwrap_or_else(|| {
                        firsts.push(i);
                        firsts.len() - 1
                    }),
            )
        })
        .collect();
    let (order, split) = super::readings::tally(&draws);
    Tally {
        firsts: order.iter().map(|&d| firsts[d]).collect(),
        votes: order
            .iter()
            .map(|&d| draws.iter().filter(|x| **x == Some(d)).count())
            .collect(),
        split,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(sql: &str) -> String {
        agreement_key(sql, Dialect::Postgres).expect("one statement")
    }

    #[test]
    fn statements_written_differently_agree() {
        assert_eq!(
            key("SELECT c.company FROM clients c WHERE c.city = 'Lyon';"),
            key("select  CL.company\nfrom clients as cl -- the clients\nwhere cl.city = 'Lyon'"),
        );
    }

    #[test]
    fn statements_that_differ_in_a_value_a_name_or_a_quoted_name_do_not() {
        let lyon = key("SELECT company FROM clients WHERE city = 'Lyon'");
        assert_ne!(lyon, key("SELECT company FROM clients WHERE city = 'lyon'"));
        assert_ne!(lyon, key("SELECT company FROM clients WHERE town = 'Lyon'"));
        assert_ne!(
            key("SELECT \"Company\" FROM clients"),
            key("SELECT company FROM clients")
        );
    }

    #[test]
    fn what_is_not_one_statement_has_no_key() {
        assert_eq!(agreement_key("SELECT 1; SELECT 2", Dialect::Sqlite), None);
        assert_eq!(agreement_key("the clients of Lyon", Dialect::Sqlite), None);
    }

    /// The candidate that wins, with its votes.
    fn winner(keys: &[Option<String>]) -> Option<(usize, usize)> {
        let t = tally(keys);
        Some((*t.firsts.first()?, t.votes[0]))
    }

    #[test]
    fn the_key_most_candidates_hold_wins_and_the_earliest_on_a_tie() {
        let k = |s: &str| Some(s.to_owned());
        assert_eq!(winner(&[k("a"), k("b"), k("b")]), Some((1, 2)));
        assert_eq!(winner(&[k("a"), k("b"), None]), Some((0, 1)));
        assert_eq!(
            winner(&[None, k("b"), k("a"), k("a"), k("b")]),
            Some((1, 2))
        );
        assert_eq!(winner(&[None, None]), None);
    }
}
