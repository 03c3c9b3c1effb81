//! The walk over what a query reads (`FROM`, joins, table functions,
//! samples): each relation made visible to the expressions under it, with
//! its columns when they are known, and each table function judged as a
//! call.

use sqlparser::ast::{
    Expr, ExprWithAlias, FunctionArg, Ident, JoinConstraint, JoinOperator, ObjectName,
    ObjectNamePart, PivotValueSource, Query, TableAlias, TableFactor, TableFunctionArgs,
    TableWithJoins, ValueWithSpan,
};

use crate::sql::Dialect;
use crate::sql::validate::{Foreign, Refusal, Unreadable, functions};

use super::{Judged, Visible, Walker, construct, foreign, kinds, unverifiable};

impl Walker<'_> {
    pub(super) fn walk_table_with_joins(&mut self, table: &TableWithJoins) -> Judged {
        self.walk_table_factor(&table.relation)?;
        for join in &table.joins {
            if join.global {
                return Err(construct("GLOBAL JOIN"));
            }
            // Oracle's CROSS and OUTER APPLY read the rows before them, as
            // LATERAL does.
            let applied = matches!(
                join.join_operator,
                JoinOperator::CrossApply | JoinOperator::OuterApply
            );
            self.walk_joined(&join.relation, applied)?;
            let constraint = match &join.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c) => Some(c),
                JoinOperator::CrossApply | JoinOperator::OuterApply => None,
                JoinOperator::Semi(_)
                | JoinOperator::LeftSemi(_)
                | JoinOperator::RightSemi(_)
                | JoinOperator::Anti(_)
                | JoinOperator::LeftAnti(_)
                | JoinOperator::RightAnti(_)
                | JoinOperator::AsOf { .. }
                | JoinOperator::StraightJoin(_)
                | JoinOperator::ArrayJoin
                | JoinOperator::LeftArrayJoin
                | JoinOperator::InnerArrayJoin => {
                    return Err(foreign(Foreign::Join));
                }
            };
            match constraint {
                Some(JoinConstraint::On(e)) => self.walk_expr(e)?,
                Some(JoinConstraint::Using(columns)) => {
                    for column in columns {
                        let parts = self.parts(column)?;
                        if let Some(last) = parts.last() {
                            let folded = self.fold(last);
                            self.reach_joined_on(&folded);
                        }
                    }
                }
                // The columns both sides share, which the catalogue may not
                // list for all of them: every column counts.
                Some(JoinConstraint::Natural) => self.reach_all_in_scope(),
                Some(JoinConstraint::None) | None => {}
            }
        }
        Ok(())
    }

    /// Records a name the query's columns may be qualified with, and the
    /// relations of the target it stands for (see [`Visible::reads`]).
    pub(super) fn visible(
        &mut self,
        name: Vec<String>,
        columns: Option<Vec<String>>,
        reads: &[usize],
    ) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.relations.push(Visible {
                name,
                columns,
                reads: reads.to_vec(),
                kinds: None,
                shadowed: false,
            });
        }
    }

    /// Gives the relations made visible since `before` (a subquery's or a
    /// CTE's name and alias) the kinds of its columns, renamed as its
    /// alias renames them.
    fn kinds_of_visible(
        &mut self,
        before: usize,
        kinds: Option<Vec<(String, kinds::Kind)>>,
        alias: Option<&TableAlias>,
    ) {
        let kinds = kinds.map(|kinds| match alias {
            Some(alias) if !alias.columns.is_empty() => kinds::renamed(
                kinds,
                alias.columns.iter().map(|c| self.fold(&c.name)).collect(),
            ),
            _ => kinds,
        });
        for visible in &mut self.scope().relations[before..] {
            visible.kinds.clone_from(&kinds);
        }
    }

    /// The alias of what stands for the relations at `reads` (a
    /// parenthesised join's), or of rows the target holds none of.
    pub(super) fn alias(&mut self, alias: &Option<TableAlias>, reads: &[usize]) -> Judged {
        self.alias_with(alias, None, reads)
    }

    /// A relation's alias, with the only columns it may qualify when known
    /// (see [`Visible::columns`]) and the relations it stands for.
    pub(super) fn alias_with(
        &mut self,
        alias: &Option<TableAlias>,
        columns: Option<Vec<String>>,
        reads: &[usize],
    ) -> Judged {
        if let Some(alias) = alias {
            if alias.name.value.contains('@') {
                return Err(Refusal::DatabaseLink(alias.name.value.clone()));
            }
            if alias.at.is_some() {
                return Err(construct("AT (an alias of another dialect)"));
            }
            for column in &alias.columns {
                if let Some(data_type) = &column.data_type {
                    self.data_type(data_type)?;
                }
                let folded = self.fold(&column.name);
                self.aliases.push(folded);
            }
            // `clients AS c(i, n)`: the alias renames the columns, so the
            // names read no longer say which columns are read.
            if !alias.columns.is_empty() {
                self.note(|w| w.columns_renamed());
                self.reach_every(reads);
            }
            let columns = match (&columns, alias.columns.is_empty()) {
                (Some(_), false) => {
                    Some(alias.columns.iter().map(|c| self.fold(&c.name)).collect())
                }
                _ => columns,
            };
            let name = self.fold(&alias.name);
            self.visible(vec![name], columns, reads);
        }
        Ok(())
    }

    /// PostgreSQL with a known catalogue: the columns of the table read
    /// (see [`Self::relation`]), the only names `t.x` may use (anything else
    /// is `x(t)`, a function call).
    pub(super) fn table_columns(&self, reads: &[usize]) -> Option<Vec<String>> {
        if self.dialect() != Dialect::Postgres {
            return None;
        }
        let [at] = reads else {
            return None;
        };
        self.reach_columns.get(*at).cloned().flatten()
    }

    /// What the alias of a function in FROM may qualify, in PostgreSQL:
    /// its declared columns, or the single column named after the alias or
    /// the function, or the key and value of the `*_each` functions.
    pub(super) fn function_columns(
        &self,
        name: &ObjectName,
        alias: &Option<TableAlias>,
    ) -> Option<Vec<String>> {
        if self.dialect() != Dialect::Postgres {
            return None;
        }
        let mut columns: Vec<String> = vec!["key".into(), "value".into(), "ordinality".into()];
        if let Some(ObjectNamePart::Identifier(last)) = name.0.last() {
            columns.push(self.fold(last));
        }
        if let Some(alias) = alias {
            columns.push(self.fold(&alias.name));
            columns.extend(alias.columns.iter().map(|c| self.fold(&c.name)));
        }
        Some(columns)
    }

    pub(super) fn walk_table_factor(&mut self, factor: &TableFactor) -> Judged {
        self.walk_joined(factor, false)
    }

    /// A relation of a `FROM`; `applied` when it reads the rows before it
    /// whatever it says (`CROSS APPLY`).
    pub(super) fn walk_joined(&mut self, factor: &TableFactor, applied: bool) -> Judged {
        self.deeper()?;
        let result = self.table_factor(factor, applied);
        self.depth -= 1;
        result
    }

    /// Judges a relation of a `FROM` by its kind: a match over every kind,
    /// each arm the rule of its own.
    pub(super) fn table_factor(&mut self, factor: &TableFactor, applied: bool) -> Judged {
        self.note(|w| w.relation_entered(factor));
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality: _,
                partitions,
                json_path,
                sample,
                index_hints,
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || !index_hints.is_empty()
                {
                    return Err(unverifiable(Unreadable::TableOptions(name.to_string())));
                }
                if let Some(sample) = sample {
                    self.walk_sample(sample)?;
                }
                self.named(name, alias, args.as_ref())
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if sample.is_some() {
                    return Err(construct("(SELECT …) TABLESAMPLE"));
                }
                self.derived(*lateral || applied, subquery, alias)
            }
            TableFactor::Function {
                lateral: _,
                name,
                args,
                with_ordinality: _,
                alias,
            } => self.function_in_from(name, args, alias),
            TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset,
                with_offset_alias: _,
                with_ordinality: _,
            } => self.unnest(alias, array_exprs, *with_offset),
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => self.nested_join(table_with_joins, alias),
            TableFactor::Pivot {
                table,
                aggregate_functions,
                value_column,
                value_source,
                default_on_null,
                alias,
            } => self.pivot(
                table,
                aggregate_functions,
                value_column,
                value_source,
                default_on_null.as_ref(),
                alias,
            ),
            TableFactor::Unpivot {
                table,
                value,
                name,
                columns,
                null_inclusion: _,
                alias,
            } => self.unpivot(table, value, name, columns, alias),
            TableFactor::JsonTable {
                json_expr,
                json_path,
                columns,
                alias,
            } => self.json_table(json_expr, json_path, columns, alias),
            // Oracle's TABLE(collection), XMLTABLE (XQuery reads tables and
            // URLs), and the forms of other dialects.
            TableFactor::TableFunction { .. } => Err(construct("TABLE(…)")),
            TableFactor::XmlTable { .. } => Err(unverifiable(Unreadable::XmlTable)),
            TableFactor::OpenJsonTable { .. }
            | TableFactor::UnpivotExpr { .. }
            | TableFactor::MatchRecognize { .. }
            | TableFactor::SemanticView { .. } => Err(foreign(Foreign::FromForm)),
        }
    }

    /// A relation named in `FROM`: a function when it has arguments, else a
    /// table, a view or a CTE.
    fn named(
        &mut self,
        name: &ObjectName,
        alias: &Option<TableAlias>,
        args: Option<&TableFunctionArgs>,
    ) -> Judged {
        match args {
            // `FROM f(…)`: a function, judged as one.
            Some(args) => {
                if args.settings.is_some() {
                    return Err(construct("SETTINGS"));
                }
                self.function_in_from(name, &args.args, alias)
            }
            None => self.table(name, alias),
        }
    }

    /// A table or a view, or a CTE, read by its name: visible by its name
    /// (whole or without its schema) and its alias, with its columns and
    /// their kinds when they are known.
    fn table(&mut self, name: &ObjectName, alias: &Option<TableAlias>) -> Judged {
        let before = self.scope().relations.len();
        let reads = self.relation(name, alias.as_ref())?;
        // Columns may be qualified with the table's name,
        // whole or without its schema.
        let parts: Vec<String> = self.parts(name)?.iter().map(|p| self.fold(p)).collect();
        let columns = self.table_columns(&reads);
        if let Some(last) = parts.last() {
            self.visible(vec![last.clone()], columns.clone(), &reads);
        }
        self.visible(parts.clone(), columns.clone(), &reads);
        if alias.is_some() {
            for visible in &mut self.scope().relations[before..] {
                visible.shadowed = true;
            }
        }
        self.alias_with(alias, columns, &reads)?;
        let renamed = alias.as_ref().is_some_and(|a| !a.columns.is_empty());
        if let [one] = parts.as_slice()
            && reads.is_empty()
            && let Some(id) = self.cte_in_scope(one)
        {
            let kinds = self.cte_kinds.get(id).cloned().flatten();
            self.kinds_of_visible(before, kinds, alias.as_ref());
        } else if renamed {
            // `clients AS c(i, n)`: its columns by their
            // new names.
            let kinds = self
                .table_kinds(&reads)
                .unwrap_or_else(|| vec![("*".to_owned(), kinds::Kind::OTHER)]);
            self.kinds_of_visible(before, Some(kinds), alias.as_ref());
        }
        Ok(())
    }

    /// A function read as rows (`FROM f(…)`): judged as a call, visible by
    /// its name when it has no alias, with the columns it is known to have.
    fn function_in_from(
        &mut self,
        name: &ObjectName,
        args: &[FunctionArg],
        alias: &Option<TableAlias>,
    ) -> Judged {
        self.table_function(name, args)?;
        let columns = self.function_columns(name, alias);
        if alias.is_none() {
            let called = self.parts(name)?.last().map(|p| self.fold(p));
            self.visible(called.into_iter().collect(), columns.clone(), &[]);
        }
        self.alias_with(alias, columns, &[])
    }

    /// A subquery in `FROM`: it sees the query around it only when
    /// `lateral`; visible by its alias, with the kinds of its columns.
    fn derived(&mut self, lateral: bool, subquery: &Query, alias: &Option<TableAlias>) -> Judged {
        let barrier = self.barrier;
        if !lateral {
            self.barrier = self.scopes.len();
        }
        self.note(|w| w.derived_entered());
        let walked = self.walk_query(subquery);
        self.barrier = barrier;
        walked?;
        self.note(|w| w.derived_left(lateral));
        let before = self.scope().relations.len();
        self.alias(alias, &[])?;
        let kinds = std::mem::take(&mut self.last_kinds);
        self.kinds_of_visible(before, Some(kinds), alias.as_ref());
        Ok(())
    }

    /// `UNNEST(…)`: its arrays walked, its columns those of `unnest`; never
    /// `WITH OFFSET`.
    fn unnest(
        &mut self,
        alias: &Option<TableAlias>,
        array_exprs: &[Expr],
        with_offset: bool,
    ) -> Judged {
        if with_offset {
            return Err(construct("UNNEST … WITH OFFSET"));
        }
        self.walk_exprs(array_exprs)?;
        self.note(|w| w.unnested(array_exprs));
        let unnest = ObjectName::from(vec![Ident::new("unnest")]);
        let columns = self.function_columns(&unnest, alias);
        self.alias_with(alias, columns, &[])
    }

    /// A parenthesised join: visible by its alias, which qualifies the
    /// columns of every table it reads.
    fn nested_join(
        &mut self,
        table_with_joins: &TableWithJoins,
        alias: &Option<TableAlias>,
    ) -> Judged {
        let visible = self.scope().relations.len();
        self.walk_table_with_joins(table_with_joins)?;
        let reads = self.reads_of_scope_from(visible);
        self.alias(alias, &reads)
    }

    /// `PIVOT`: the pivoted table, its aggregates and values walked; its
    /// output reads every column of the table, visible by the alias only.
    fn pivot(
        &mut self,
        table: &TableFactor,
        aggregate_functions: &[ExprWithAlias],
        value_column: &[Expr],
        value_source: &PivotValueSource,
        default_on_null: Option<&Expr>,
        alias: &Option<TableAlias>,
    ) -> Judged {
        // The pivoted table's own name is not visible past the
        // PIVOT: only the PIVOT's alias is.
        let visible = self.scope().relations.len();
        self.walk_table_factor(table)?;
        for f in aggregate_functions {
            self.walk_expr(&f.expr)?;
            if let Some(a) = &f.alias {
                let folded = self.fold(a);
                self.aliases.push(folded);
            }
        }
        self.walk_exprs(value_column)?;
        match value_source {
            PivotValueSource::List(values) => {
                for v in values {
                    self.walk_expr(&v.expr)?;
                    if let Some(a) = &v.alias {
                        let folded = self.fold(a);
                        self.aliases.push(folded);
                    }
                }
            }
            PivotValueSource::Any(_) => return Err(construct("PIVOT … ANY")),
            PivotValueSource::Subquery(q) => self.walk_query(q)?,
        }
        if let Some(e) = default_on_null {
            self.walk_expr(e)?;
        }
        // Its output carries the pivoted table's other columns
        // under their own names: every column counts.
        let reads = self.reads_of_scope_from(visible);
        self.reach_every(&reads);
        self.scope().relations.truncate(visible);
        self.alias(alias, &reads)
    }

    /// `UNPIVOT`: the value and name columns it defines, its columns
    /// walked; its output reads every column of the table, visible by the
    /// alias only.
    fn unpivot(
        &mut self,
        table: &TableFactor,
        value: &Expr,
        name: &Ident,
        columns: &[ExprWithAlias],
        alias: &Option<TableAlias>,
    ) -> Judged {
        let visible = self.scope().relations.len();
        self.walk_table_factor(table)?;
        // The value and name columns are defined here.
        match value {
            Expr::Identifier(i) => {
                let folded = self.fold(i);
                self.aliases.push(folded);
            }
            other => self.walk_expr(other)?,
        }
        let folded = self.fold(name);
        self.aliases.push(folded);
        for c in columns {
            self.walk_expr(&c.expr)?;
            if let Some(a) = &c.alias {
                let folded = self.fold(a);
                self.aliases.push(folded);
            }
        }
        // Its output carries the pivoted table's other columns
        // under their own names: every column counts.
        let reads = self.reads_of_scope_from(visible);
        self.reach_every(&reads);
        self.scope().relations.truncate(visible);
        self.alias(alias, &reads)
    }

    /// `JSON_TABLE`: its path told of, its value walked, its columns judged.
    fn json_table(
        &mut self,
        json_expr: &Expr,
        json_path: &ValueWithSpan,
        columns: &[sqlparser::ast::JsonTableColumn],
        alias: &Option<TableAlias>,
    ) -> Judged {
        // The paths are JSON paths into the value: they read
        // nothing else, but may hold a regular expression; the
        // columns' types are judged as casts.
        self.tell(|w| w.json_path(&json_path.to_string()))?;
        self.walk_expr(json_expr)?;
        self.json_table_columns(columns)?;
        self.alias(alias, &[])
    }

    pub(super) fn json_table_columns(
        &mut self,
        columns: &[sqlparser::ast::JsonTableColumn],
    ) -> Judged {
        use sqlparser::ast::JsonTableColumn;
        for column in columns {
            match column {
                JsonTableColumn::Named(named) => {
                    self.tell(|w| w.json_path(&named.path.to_string()))?;
                    self.data_type(&named.r#type)?;
                    let folded = self.fold(&named.name);
                    self.aliases.push(folded);
                }
                JsonTableColumn::ForOrdinality(name) => {
                    let folded = self.fold(name);
                    self.aliases.push(folded);
                }
                JsonTableColumn::Nested(nested) => {
                    self.tell(|w| w.json_path(&nested.path.to_string()))?;
                    self.json_table_columns(&nested.columns)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn walk_sample(&mut self, sample: &sqlparser::ast::TableSampleKind) -> Judged {
        let (sqlparser::ast::TableSampleKind::BeforeTableAlias(s)
        | sqlparser::ast::TableSampleKind::AfterTableAlias(s)) = sample;
        if s.bucket.is_some() || s.offset.is_some() {
            return Err(foreign(Foreign::Sample));
        }
        if let Some(q) = &s.quantity {
            self.walk_expr(&q.value)?;
        }
        // Which rows a sample keeps follows where they are stored (whole
        // blocks for `SYSTEM`).
        self.reach
            .follows_order(crate::sql::validate::reach::Unordered::Sample);
        Ok(())
    }

    /// A function in `FROM`.
    pub(super) fn table_function(&mut self, name: &ObjectName, args: &[FunctionArg]) -> Judged {
        let called = self.function_name(name)?;
        if !functions::table_allowed(self.dialect(), &called)
            && !self.configured_function(name, &called)
        {
            return Err(Refusal::UnknownFunction {
                name: name.to_string(),
                dialect: self.dialect(),
            });
        }
        self.tell(|w| w.table_call(&called, args))?;
        for arg in args {
            self.walk_function_arg(arg)?;
        }
        Ok(())
    }
}
