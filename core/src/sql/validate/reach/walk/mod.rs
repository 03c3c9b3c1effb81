//! The walk over a parsed query: every node kind that can appear is matched
//! by name, and only the ones listed as understood pass; anything else (a
//! construct of another dialect, a new variant in a later sqlparser) is
//! refused as "cannot be verified". No `_ =>` arm lets a kind through.
//!
//! What the walk keeps track of:
//! - the CTE names in scope, query by query (a non-recursive CTE does not
//!   see itself: `WITH pg_user AS (SELECT * FROM pg_user)` reads the real
//!   one, and so is judged as the real one);
//! - the relations each SELECT reads, so that `x.y` without parentheses is
//!   a column of a relation of the query, never an Oracle package function
//!   called without them (`dbms_random.value`).
//!
//! Where it is: this file holds what the walk keeps; `query` walks queries,
//! set operations and SELECTs, `from` what a query reads, `names` folds and
//! resolves names as the database does, `expr` is the one exhaustive match
//! over expressions (kept whole in one file, so that a reviewer sees at a
//! glance that every kind is listed exactly once and none passes by
//! default), `calls` each function call, `atoms` the operators, literals
//! and types, `reach` what the names it meets read (see
//! [`Reach`](crate::sql::validate::reach::Reach)), `watch` what it tells the analyses that
//! follow it (the single-call bounds, the cost), which it never imports.

use sqlparser::ast::Query;

use crate::sql::Dialect;
use crate::sql::schema::Catalog;
use crate::sql::validate::policy::{Policy, denied_object};
use crate::sql::validate::reach::{Reach, ResultOrder};
use crate::sql::validate::refusal::{Excess, Foreign, Refusal, Unreadable};
use crate::sql::validate::syntax::{short, unnested};

/// The deepest nesting of the parsed tree the walker follows (a chain of
/// 1,000 `+` is 1,000 deep).
pub const MAX_TREE_DEPTH: usize = 500;

mod atoms;
mod calls;
mod expr;
mod from;
mod kinds;
mod names;
mod order;
mod query;
mod reach;
mod watch;

pub(in crate::sql::validate) use watch::Watch;

type Judged = Result<(), Refusal>;

fn unverifiable(what: Unreadable) -> Refusal {
    Refusal::CannotVerify(what)
}

/// A construct the checker does not follow, named in SQL.
fn construct(syntax: &'static str) -> Refusal {
    Refusal::CannotVerify(Unreadable::Construct(syntax))
}

fn foreign(part: Foreign) -> Refusal {
    Refusal::CannotVerify(Unreadable::Foreign(part))
}

/// Names visible in one query or SELECT.
#[derive(Default)]
struct Scope {
    /// CTE names (folded), usable as relations, each with its id in the
    /// statement (see [`Watch::cte_read`]).
    ctes: Vec<(String, usize)>,
    /// Aliases and names of the relations a SELECT reads (folded as the
    /// database folds them), the qualifiers a column reference may use.
    relations: Vec<Visible>,
    /// A SELECT's: what tells its rows apart (see [`order`]).
    rows: Option<order::Rows>,
}

/// A qualifier a column reference may use.
struct Visible {
    name: Vec<String>,
    /// The only names it may qualify, when it is known that anything else
    /// would be a function call: PostgreSQL reads `g.f` as `f(g)` when `g`
    /// has no column `f`, and the alias of a function in FROM (`FROM
    /// generate_series(1, 9) g`) has one or two columns only.
    columns: Option<Vec<String>>,
    /// The tables and views of the target (indices in [`Walker::reach`])
    /// whose columns it qualifies: one for a table's name or alias, those
    /// of a parenthesised join for its alias, none for a subquery, a CTE
    /// or a function, whose own select lists count what they read.
    reads: Vec<usize>,
    /// The kinds of its columns by name, for a subquery or a CTE (a `*`
    /// stands for any other name, of a kind not known); `None` for a table,
    /// whose kinds the catalogue gives, and for what has no kinds known.
    kinds: Option<Vec<(String, kinds::Kind)>>,
    /// A table's own name where it has an alias: the database reads that
    /// name as an outer query's relation (the reach still counts it, which
    /// reads more, never less; kinds do not take it).
    shadowed: bool,
}

pub(in crate::sql::validate) struct Walker<'a> {
    policy: &'a Policy,
    catalog: Option<&'a Catalog>,
    scopes: Vec<Scope>,
    objects: Vec<String>,
    depth: usize,
    /// Scopes below this index are not visible to column qualifiers: a
    /// subquery in FROM (not LATERAL) or a CTE's body sees neither its
    /// siblings nor the query around it.
    barrier: usize,
    /// Oracle: names written alone, checked at the end against the
    /// catalogue's columns and the aliases the statement defines (a name
    /// that is neither is a function Oracle calls without parentheses).
    bare: Vec<String>,
    /// Oracle: the column aliases the statement defines.
    aliases: Vec<String>,
    /// PostgreSQL: column names used on the alias of a subquery or CTE,
    /// checked at the end like `bare`.
    derived_columns: Vec<String>,
    /// The tables and columns it reads (see [`Reach`]).
    reach: Reach,
    /// The columns of each relation of [`Self::reach`] in the catalogue,
    /// when it is known: a name written alone is a column only of those
    /// that have it.
    reach_columns: Vec<Option<Vec<String>>>,
    /// The CTEs met so far, in the whole statement: the next one's id.
    ctes_met: usize,
    /// How many queries the walk is inside: 1 in the statement's own.
    queries: usize,
    /// How the rows of the query walked last are ordered (see [`order`]).
    last_order: ResultOrder,
    /// The kinds of the columns of the query walked last, by name (see
    /// [`kinds`]).
    last_kinds: Vec<(String, kinds::Kind)>,
    /// The kinds of each CTE's columns, by its id, once walked.
    cte_kinds: Vec<Option<Vec<(String, kinds::Kind)>>>,
    /// The analyses that watch the walk (see [`Watch`]).
    watchers: Vec<&'a mut dyn Watch>,
}

/// What the walk learnt of a query it accepted.
pub(in crate::sql::validate) struct Walked {
    /// The relations it reads, as written.
    pub objects: Vec<String>,
    /// The tables and columns it reads.
    pub reach: Reach,
}

impl<'a> Walker<'a> {
    pub(in crate::sql::validate) fn new(
        policy: &'a Policy,
        catalog: Option<&'a Catalog>,
        watchers: Vec<&'a mut dyn Watch>,
    ) -> Self {
        Self {
            policy,
            catalog,
            scopes: Vec::new(),
            objects: Vec::new(),
            depth: 0,
            barrier: 0,
            bare: Vec::new(),
            aliases: Vec::new(),
            derived_columns: Vec::new(),
            reach: Reach::default(),
            reach_columns: Vec::new(),
            ctes_met: 0,
            queries: 0,
            last_order: ResultOrder::AsRead,
            last_kinds: Vec::new(),
            cte_kinds: Vec::new(),
            watchers,
        }
    }

    fn dialect(&self) -> Dialect {
        self.policy.dialect
    }

    /// Judges a whole query; returns what it reads.
    pub(in crate::sql::validate) fn query(mut self, query: &Query) -> Result<Walked, Refusal> {
        self.walk_query(query)?;
        self.judge_bare_names()?;
        Ok(Walked {
            objects: self.objects,
            reach: self.reach,
        })
    }

    /// Tells every watcher of the walk of what it meets (see [`Watch`]);
    /// the first refusal ends the walk.
    fn tell(&mut self, mut event: impl FnMut(&mut dyn Watch) -> Judged) -> Judged {
        for watcher in &mut self.watchers {
            event(&mut **watcher)?;
        }
        Ok(())
    }

    /// Tells every watcher of what it meets, where no watcher refuses.
    fn note(&mut self, mut event: impl FnMut(&mut dyn Watch)) {
        for watcher in &mut self.watchers {
            event(&mut **watcher);
        }
    }

    /// With a known catalogue, names that could be function calls in
    /// disguise must be columns: Oracle's names written alone, and
    /// PostgreSQL's `d.x` on a subquery's or CTE's alias (`d.f` is `f(d)`
    /// when `d` has no column `f`). Each must be a column of the catalogue,
    /// an alias the statement defines, or (Oracle) a pseudo-column.
    fn judge_bare_names(&self) -> Judged {
        let Some(catalog) = self.catalog else {
            return Ok(());
        };
        let column = |name: &str| {
            self.aliases.iter().any(|a| a == name)
                || catalog
                    .tables
                    .iter()
                    .any(|t| t.columns.iter().any(|c| c.name == name))
        };
        if let Some(name) = self.derived_columns.iter().find(|n| !column(n)) {
            return Err(unverifiable(Unreadable::NotAColumn {
                name: name.clone(),
                dialect: Dialect::Postgres,
            }));
        }
        if self.dialect() != Dialect::Oracle {
            return Ok(());
        }
        const PSEUDO: &[&str] = &[
            "ROWNUM",
            "ROWID",
            "LEVEL",
            "SYSDATE",
            "SYSTIMESTAMP",
            "CURRENT_DATE",
            "CURRENT_TIMESTAMP",
            "LOCALTIMESTAMP",
            "CONNECT_BY_ISLEAF",
            "CONNECT_BY_ISCYCLE",
            "DUMMY",
            "NULL",
            "TRUE",
            "FALSE",
        ];
        for name in &self.bare {
            let known = PSEUDO.contains(&name.as_str()) || column(name);
            if !known {
                return Err(unverifiable(Unreadable::NotAColumn {
                    name: name.clone(),
                    dialect: Dialect::Oracle,
                }));
            }
        }
        Ok(())
    }

    fn deeper(&mut self) -> Judged {
        self.depth += 1;
        if self.depth > MAX_TREE_DEPTH {
            return Err(Refusal::TooLarge(Excess::Nesting {
                max: MAX_TREE_DEPTH,
            }));
        }
        Ok(())
    }
}
