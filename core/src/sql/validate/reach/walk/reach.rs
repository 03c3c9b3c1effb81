//! How the walk counts what a statement reads
//! ([`Reach`](crate::sql::validate::reach::Reach)): each table or
//! view of the target it names, and each column a name in scope may stand
//! for. Where a name could be more than one thing, it counts as all of
//! them: the reach is never less than what the database reads.

use crate::sql::Dialect;
use crate::sql::schema::CatalogTable;
use sqlparser::ast::ObjectName;

use super::{Judged, Walker};
use crate::sql::validate::functions;

impl Walker<'_> {
    /// A table or view of the target read in `FROM`: its index in the
    /// reach. With the catalogue, named as the catalogue names it.
    pub(super) fn reach_relation(
        &mut self,
        written: &[String],
        found: Option<&CatalogTable>,
    ) -> usize {
        let (schema, name, columns) = match found {
            Some(table) => (
                table.schema.clone(),
                table.name.clone(),
                Some(table.columns.iter().map(|c| c.name.clone()).collect()),
            ),
            None => {
                let (schema, name) = match written {
                    [schema, name] => (Some(schema.clone()), name.clone()),
                    [.., name] => (None, name.clone()),
                    [] => (None, String::new()),
                };
                // The default schema written out is the one unqualified
                // names reach: one relation, however it is written.
                let default = self.dialect().default_schema();
                let schema = schema.filter(|s| Some(s.as_str()) != default);
                (schema, name, None)
            }
        };
        let at = self.reach.relation(schema, name);
        if self.reach_columns.len() <= at {
            self.reach_columns.push(columns);
        }
        at
    }

    /// A name written alone (`folded`): a column of every relation in scope
    /// that may have it, or a whole row of the relation it names
    /// (PostgreSQL's `to_json(c)`, read as a row when no relation in scope
    /// has such a column).
    pub(super) fn reach_bare(&mut self, folded: &str) {
        let reads = self.reads_in_view(|_| true);
        let is_column = self.listed_by(&reads, folded);
        self.reach_column(&reads, folded);
        if !is_column {
            let rows = self.reads_in_view(|name| name == [folded]);
            self.reach_every(&rows);
        }
    }

    /// `qualifier.column`: a column of the relations `qualifier` names. In
    /// PostgreSQL `t.f` is also `f(t)`, a function or a cast given the whole
    /// row (`c.to_json`, `c.text`), when `t` has no column `f`: where the
    /// columns are not known, such a name reads every column.
    pub(super) fn reach_qualified(&mut self, qualifier: &[String], column: &str) {
        let reads = self.reads_in_view(|name| name == qualifier);
        self.reach_column(&reads, column);
        if self.dialect() == Dialect::Postgres
            && may_take_a_row(column)
            && !self.listed_by(&reads, column)
        {
            self.reach_every(&reads);
        }
    }

    /// A column of `USING (…)`: of each relation of the SELECT being walked
    /// that may have it.
    pub(super) fn reach_joined_on(&mut self, column: &str) {
        let reads = self.reads_of_scope_from(0);
        self.reach_column(&reads, column);
    }

    /// `*`, `NATURAL`: every column of every relation of the SELECT being
    /// walked.
    pub(super) fn reach_all_in_scope(&mut self) {
        let reads = self.reads_of_scope_from(0);
        self.reach_every(&reads);
    }

    /// `t.*`: every column of the relations `t` names; written with its
    /// schema (`public.clients.*`), of those of its name; else of every
    /// relation in view.
    pub(super) fn reach_wildcard_of(&mut self, name: &ObjectName) -> Judged {
        let qualifier: Vec<String> = self.parts(name)?.iter().map(|p| self.fold(p)).collect();
        // A subquery's, a CTE's or a function's alias stands for no table:
        // what its own select list reads is counted already.
        let named = |keep: &dyn Fn(&[String]) -> bool| {
            self.scopes
                .iter()
                .flat_map(|scope| &scope.relations)
                .any(|v| keep(&v.name))
        };
        let exact = |name: &[String]| name == qualifier.as_slice();
        let last = |name: &[String]| name.last() == qualifier.last();
        let reads = if named(&exact) {
            self.reads_in_view(exact)
        } else if named(&last) {
            self.reads_in_view(last)
        } else {
            self.reads_in_view(|_| true)
        };
        self.reach_every(&reads);
        Ok(())
    }

    /// The relations of the target that the names made visible in the
    /// current scope since the `from`-th stand for.
    pub(super) fn reads_of_scope_from(&self, from: usize) -> Vec<usize> {
        let mut reads: Vec<usize> = self
            .scopes
            .last()
            .map(|scope| {
                scope.relations[from.min(scope.relations.len())..]
                    .iter()
                    .flat_map(|v| v.reads.iter().copied())
                    .collect()
            })
            .unwrap_or_default();
        reads.sort_unstable();
        reads.dedup();
        reads
    }

    /// Every column of the relations at `reads`.
    pub(super) fn reach_every(&mut self, reads: &[usize]) {
        for &at in reads {
            self.reach.every(at);
        }
    }

    /// Notes `column` of each relation at `reads` that may have it: all of
    /// them when their columns are not known, or when none of them lists it
    /// and the statement names no value so (a column the catalogue does not
    /// list: SQLite's generated and hidden columns, one added since it was
    /// read). SQLite's `rowid` is its integer primary key: every column.
    fn reach_column(&mut self, reads: &[usize], column: &str) {
        let listed = self.listed_by(reads, column);
        let rowid = self.dialect() == Dialect::Sqlite
            && ["rowid", "oid", "_rowid_"]
                .iter()
                .any(|r| r.eq_ignore_ascii_case(column));
        let unlisted = !listed && !self.aliases.iter().any(|a| self.same_name(a, column));
        for &at in reads {
            match self.catalogue_column(at, column) {
                Some(Some(stored)) => {
                    let stored = stored.to_owned();
                    self.reach.column(at, &stored);
                }
                Some(None) if rowid => self.reach.every(at),
                Some(None) if unlisted => self.reach.column(at, column),
                Some(None) => {}
                None => self.reach.column(at, column),
            }
        }
    }

    /// The relations of the target that the names visible to a column
    /// reference (those `keep` accepts) stand for, at every level of the
    /// statement: a subquery in `FROM` or a CTE may not qualify a column
    /// with a name of the query around it (the walk refuses that), but a
    /// name written alone or a whole row in it may still reach one.
    fn reads_in_view(&self, keep: impl Fn(&[String]) -> bool) -> Vec<usize> {
        let mut reads: Vec<usize> = self
            .scopes
            .iter()
            .flat_map(|scope| &scope.relations)
            .filter(|v| keep(&v.name))
            .flat_map(|v| v.reads.iter().copied())
            .collect();
        reads.sort_unstable();
        reads.dedup();
        reads
    }

    /// `column` of the relation at `at` as the catalogue spells it
    /// (compared as the database compares names), `Some(None)` when the
    /// catalogue does not list it, `None` when its columns are not known.
    fn catalogue_column(&self, at: usize, column: &str) -> Option<Option<&str>> {
        let known = self.reach_columns.get(at)?.as_ref()?;
        Some(
            known
                .iter()
                .find(|c| self.same_name(c, column))
                .map(String::as_str),
        )
    }

    /// Whether the catalogue lists `column` for one of the relations at
    /// `reads`.
    fn listed_by(&self, reads: &[usize], column: &str) -> bool {
        reads
            .iter()
            .any(|&at| matches!(self.catalogue_column(at, column), Some(Some(_))))
    }

    /// SQLite compares names ignoring ASCII case, quoted or not; the others
    /// compare them as folded.
    pub(super) fn same_name(&self, stored: &str, folded: &str) -> bool {
        match self.dialect() {
            Dialect::Sqlite => stored.eq_ignore_ascii_case(folded),
            Dialect::Postgres | Dialect::Oracle => stored == folded,
        }
    }
}

/// Whether PostgreSQL may read `t.name` as `name(t)`: a function the checks
/// know, or a type the row may be cast to.
fn may_take_a_row(name: &str) -> bool {
    functions::spec(name).is_some()
        || [
            "text", "varchar", "bpchar", "char", "name", "json", "jsonb", "xml", "bytea",
            "tsvector", "record",
        ]
        .contains(&name)
}
