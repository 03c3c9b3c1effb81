//! Which parts of a statement follow the order the database reads rows in
//! (see [`Unordered`]): a `LIMIT`, a window that numbers rows, an
//! aggregate that strings them together, each judged on whether an `ORDER
//! BY` written with it tells every row apart. Nothing here asks how a
//! table is stored: that order is whatever loaded or last rewrote it, so an
//! order is known only where the statement writes one.
//!
//! An `ORDER BY` tells apart the rows it orders when it holds
//! - every item of the SELECT's list: rows equal on all of them show the
//!   same, so which comes first cannot be seen (for an aggregate, every
//!   value it takes);
//! - every expression of the SELECT's `GROUP BY`: one row per group; or
//! - every column of the primary key of the one table the SELECT reads
//!   (one without children: a parent's key does not tell its rows from
//!   its children's).
//!
//! Names are compared as the database folds them; an item is found by its
//! position (`ORDER BY 2`), its alias or its expression. Anything else
//! counts as leaving rows tied, which refuses more, never less.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Distinct, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, GroupByExpr, Ident, OrderByExpr, Select, SelectItem, SetExpr, TableFactor,
    Value, Visit, Visitor, WindowFrameUnits, WindowType, visit_expressions_mut,
};

use crate::sql::Dialect;
use crate::sql::validate::functions;
use crate::sql::validate::reach::{ResultOrder, Unordered};

use super::Walker;

/// What tells apart the rows one SELECT makes, kept in its scope for the
/// windows and aggregates of its expressions and its query's `ORDER BY`.
#[derive(Default)]
pub(super) struct Rows {
    /// The primary key of the one table it reads: the names its columns
    /// may be qualified by, and the key's columns.
    key: Option<Key>,
    /// Its `GROUP BY`, folded; empty when it has none or groups by sets
    /// (`ROLLUP`, `CUBE`, `GROUPING SETS` make rows of equal keys).
    group_by: Vec<Expr>,
    /// It groups: by its `GROUP BY`, or by sets, or into one row (an
    /// aggregate without `GROUP BY`, marked when the walk meets the call:
    /// see [`Walker::order_of_call`]).
    grouped: bool,
    /// It groups by sets (`ROLLUP`, `CUBE`, `GROUPING SETS`).
    sets: bool,
}

impl Rows {
    /// An aggregate without `GROUP BY` makes one row at most, which
    /// nothing can put in another order.
    fn single(&self) -> bool {
        self.grouped && !self.sets && self.group_by.is_empty()
    }

    /// Whether `order` (folded) tells these rows apart by what they are:
    /// grouped, by every `GROUP BY` expression; else by the table's key.
    fn told_apart_by(&self, order: &[Expr]) -> bool {
        if self.grouped {
            !self.group_by.is_empty() && covers(order, self.group_by.iter())
        } else {
            self.key.as_ref().is_some_and(|k| k.held_by(order))
        }
    }
}

/// The primary key of the one table a SELECT reads, and the names that
/// qualify its columns there.
struct Key {
    qualifiers: Vec<Vec<String>>,
    columns: Vec<String>,
    /// SQLite keeps names as declared and compares them ignoring ASCII
    /// case.
    ignore_case: bool,
}

impl Walker<'_> {
    /// `expr` with its names folded as the database folds them, for
    /// comparing expressions as the database would.
    pub(super) fn folded(&self, expr: &Expr) -> Expr {
        let mut expr = expr.clone();
        let canon = |ident: &mut Ident| *ident = Ident::new(self.fold(ident));
        let _ = visit_expressions_mut(&mut expr, |e| {
            match e {
                Expr::Identifier(ident) => canon(ident),
                Expr::CompoundIdentifier(idents) => idents.iter_mut().for_each(canon),
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
        expr
    }

    /// What tells apart the rows of `select`, whose `FROM` was just walked
    /// (its names are those of the innermost scope).
    pub(super) fn rows_of(&self, select: &Select) -> Rows {
        let (group_by, sets) = match &select.group_by {
            GroupByExpr::Expressions(exprs, modifiers) => (
                exprs
                    .iter()
                    .map(|e| self.folded(self.grouped_item(e, select)))
                    .collect(),
                !modifiers.is_empty()
                    || exprs.iter().any(|e| {
                        matches!(e, Expr::Rollup(_) | Expr::Cube(_) | Expr::GroupingSets(_))
                    }),
            ),
            GroupByExpr::All(_) => (Vec::new(), true),
        };
        Rows {
            key: self.single_table_key(select),
            grouped: sets || !group_by.is_empty(),
            sets,
            group_by: if sets { Vec::new() } else { group_by },
        }
    }

    /// What a `GROUP BY` expression groups by: the item at its position
    /// (`GROUP BY 1`), or the item of its alias when no relation of the
    /// SELECT has a column of that name (a column comes first, an outer
    /// query's after the alias), else itself.
    pub(super) fn grouped_item<'s>(&self, expr: &'s Expr, select: &'s Select) -> &'s Expr {
        // After a `*`, a position is not an item's.
        let item = |at: usize| match select.projection.get(..=at)?.split_last()? {
            (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }, before)
                if !before.iter().any(|p| {
                    matches!(
                        p,
                        SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                    )
                }) =>
            {
                Some(e)
            }
            _ => None,
        };
        let found = match expr {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => n
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(item),
                _ => None,
            },
            Expr::Identifier(ident) => {
                let name = self.fold(ident);
                if self.lookup_local(&name).is_some() {
                    None
                } else {
                    select
                        .projection
                        .iter()
                        .position(|p| {
                            matches!(p, SelectItem::ExprWithAlias { alias, .. }
                                if self.fold(alias) == name)
                        })
                        .and_then(item)
                }
            }
            _ => None,
        };
        found.unwrap_or(expr)
    }

    /// The primary key of the one table `select` reads, when it reads one
    /// table of the catalogue that shares its rows with no other.
    fn single_table_key(&self, select: &Select) -> Option<Key> {
        let [from] = select.from.as_slice() else {
            return None;
        };
        let TableFactor::Table {
            args: None, alias, ..
        } = &from.relation
        else {
            return None;
        };
        // Columns renamed by the alias (`clients AS c(x, y)`) are not the
        // key's names.
        if !from.joins.is_empty() || alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
            return None;
        }
        let scope = self.scopes.last()?;
        let at = *scope.relations.first()?.reads.first()?;
        if scope.relations.iter().any(|v| v.reads != [at]) {
            return None;
        }
        let reached = self.reach.relations().get(at)?;
        let catalog = self.catalog?;
        let schema = reached.schema.as_deref();
        // A table read with its children (inheritance, partitions) reads
        // rows its own key does not tell apart from theirs.
        let this = crate::sql::schema::TableName {
            schema: reached.schema.clone(),
            name: reached.name.clone(),
        };
        if catalog.inherits.iter().any(|link| link.parent == this) {
            return None;
        }
        let table = catalog.table(schema, &reached.name)?;
        // A key tells rows apart only without NULLs: SQLite lets a primary
        // key other than an INTEGER one (the rowid) hold several.
        let never_null = |key: &String| {
            table.columns.iter().any(|c| {
                &c.name == key
                    && (!c.nullable
                        || (self.dialect() == Dialect::Sqlite
                            && table.primary_key.len() == 1
                            && c.type_name.eq_ignore_ascii_case("INTEGER")))
            })
        };
        if table.primary_key.is_empty() || !table.primary_key.iter().all(never_null) {
            return None;
        }
        // An aliased table is named by its alias alone: its own name then
        // names an outer query's table (`… ORDER BY staff.id` in a subquery
        // of `FROM staff`), whose key is a constant here.
        let qualifiers = match alias {
            Some(alias) => vec![vec![self.fold(&alias.name)]],
            None => scope.relations.iter().map(|v| v.name.clone()).collect(),
        };
        Some(Key {
            qualifiers,
            columns: table.primary_key.clone(),
            ignore_case: self.dialect() == Dialect::Sqlite,
        })
    }

    /// Whether the innermost SELECT makes one row at most: an aggregate
    /// without `GROUP BY`, in the statement's own query only (in a
    /// subquery, an aggregate may be the outer query's: `WHERE max(c.id) >
    /// 0` over the outer `c`).
    fn single(&self) -> bool {
        self.queries == 1 && self.rows().is_some_and(Rows::single)
    }

    /// The innermost SELECT's rows, when a SELECT is open.
    fn rows(&self) -> Option<&Rows> {
        self.scopes.last().and_then(|s| s.rows.as_ref())
    }

    /// Whether the query's `ORDER BY` tells apart the rows of its body:
    /// `list` is the SELECT whose items name the result's columns, `own`
    /// whether the body is that SELECT alone (its key and `GROUP BY` then
    /// count too).
    fn query_ordered(&self, order_by: &[OrderByExpr], list: Option<&Select>, own: bool) -> bool {
        let items: Option<Vec<(Expr, Option<String>)>> = list.and_then(|select| {
            select
                .projection
                .iter()
                .map(|item| match item {
                    SelectItem::UnnamedExpr(e) => {
                        let e = self.folded(e);
                        let name = match &e {
                            Expr::Identifier(i) => Some(i.value.clone()),
                            Expr::CompoundIdentifier(parts) => {
                                parts.last().map(|i| i.value.clone())
                            }
                            _ => None,
                        };
                        Some((e, name))
                    }
                    SelectItem::ExprWithAlias { expr, alias } => {
                        Some((self.folded(expr), Some(self.fold(alias))))
                    }
                    SelectItem::ExprWithAliases { .. }
                    | SelectItem::QualifiedWildcard(..)
                    | SelectItem::Wildcard(_) => None,
                })
                .collect()
        });
        let order: Vec<Expr> = order_by
            .iter()
            .map(|o| {
                let expr = self.folded(&o.expr);
                let Some(items) = &items else {
                    return expr;
                };
                let found = match &expr {
                    Expr::Value(v) => match &v.value {
                        Value::Number(n, _) => n
                            .parse::<usize>()
                            .ok()
                            .and_then(|n| n.checked_sub(1))
                            .and_then(|n| items.get(n)),
                        _ => None,
                    },
                    Expr::Identifier(name) => {
                        let found = items
                            .iter()
                            .find(|(_, output)| output.as_deref() == Some(name.value.as_str()));
                        // An item without a name of its own is named by the
                        // database (`(SELECT 0 AS id)` is `id` to
                        // PostgreSQL), and a name alone in `ORDER BY` is an
                        // item's before a column's: it may be that item.
                        if found.is_none() && items.iter().any(|(_, output)| output.is_none()) {
                            return Expr::Value(Value::Null.into());
                        }
                        found
                    }
                    _ => None,
                };
                found.map_or(expr, |(e, _)| e.clone())
            })
            .collect();
        // Rows equal on every item show the same only where equal values
        // are shown alike (see [`super::kinds`]).
        let shown_as_equal = |items: &Vec<(Expr, Option<String>)>| {
            self.last_kinds.len() == items.len()
                && self.last_kinds.iter().all(|(_, kind)| kind.canonical())
        };
        if items.is_some_and(|items| {
            shown_as_equal(&items) && covers(&order, items.iter().map(|(e, _)| e))
        }) {
            return true;
        }
        let Some(rows) = self.rows().filter(|_| own) else {
            return false;
        };
        // `DISTINCT` keeps one row of each set of equal ones, and SQLite
        // orders it by whichever it kept: only its list tells them apart.
        if list.is_some_and(|s| matches!(s.distinct, Some(Distinct::Distinct))) {
            return false;
        }
        if self.single() {
            return true;
        }
        // A key equal to values from outside the SELECT keeps one row at
        // most (`WHERE c.id = k.client_id` in a subquery).
        if !rows.grouped
            && let (Some(key), Some(select)) = (&rows.key, list)
            && key.pinned_by(select.selection.as_ref().map(|w| self.folded(w)).as_ref())
        {
            return true;
        }
        rows.told_apart_by(&order)
    }

    /// Notes what of a query's `ORDER BY`, `LIMIT`, `FETCH` and (when its
    /// body is `list` alone) `DISTINCT ON` follows the order rows are read
    /// in; at the statement's own level, how its result is ordered.
    pub(super) fn order_of_query(
        &mut self,
        order_by: &[OrderByExpr],
        kept: bool,
        list: Option<&Select>,
        own: bool,
    ) {
        let ordered = self.query_ordered(order_by, list, own);
        if kept && !ordered {
            self.reach.follows_order(Unordered::Limit);
        }
        if own && !ordered && list.is_some_and(|s| matches!(s.distinct, Some(Distinct::On(_)))) {
            self.reach.follows_order(Unordered::DistinctOn);
        }
        if own && let Some(select) = list {
            self.bare_in_order(select, order_by);
        }
        // Ordered with nothing written, it keeps one row at most.
        let order = match (order_by.is_empty(), ordered) {
            (_, true) => ResultOrder::Whole,
            (true, false) => ResultOrder::AsRead,
            (false, false) => ResultOrder::Partly,
        };
        self.last_order = order;
        if self.queries == 1 {
            self.reach.ordered(order);
        }
    }

    /// A subquery read as one value, just walked: SQLite takes the first of
    /// its rows without a word (the others refuse more than one), which
    /// follows the order they are read in unless its order is whole.
    pub(super) fn order_of_scalar_subquery(&mut self) {
        if self.dialect() == Dialect::Sqlite && self.last_order != ResultOrder::Whole {
            self.reach.follows_order(Unordered::Limit);
        }
    }

    /// A SELECT of a set operation, with no `ORDER BY` of its own.
    pub(super) fn order_of_operand(&mut self, select: &Select) {
        if matches!(select.distinct, Some(Distinct::On(_))) {
            self.reach.follows_order(Unordered::DistinctOn);
        }
    }

    /// Notes a call whose result follows the order it is given rows in
    /// without an order that tells them apart: an aggregate that strings
    /// its values (`string_agg`) or keeps any one, a window that numbers or
    /// picks rows or counts its frame in rows, a function the checks do not
    /// know.
    pub(super) fn order_of_call(&mut self, called: &str, function: &Function) {
        if functions::draws(called) {
            self.reach
                .follows_order(Unordered::Drawn(called.to_owned()));
        }
        let Some(follows) = functions::follows_order(called) else {
            self.reach
                .follows_order(Unordered::Unknown(called.to_owned()));
            return;
        };
        let aggregate = functions::aggregate(called);
        if aggregate {
            self.note_aggregated(called, function);
        }
        match &function.over {
            None if aggregate => {
                if let Some(rows) = self.scopes.last_mut().and_then(|s| s.rows.as_mut())
                    && rows.group_by.is_empty()
                {
                    rows.grouped = true;
                }
                if follows && !self.aggregate_ordered(function) {
                    self.reach
                        .follows_order(Unordered::Aggregate(called.to_owned()));
                }
            }
            None => {
                // `ARRAY(SELECT …)` strings the rows of its query together.
                if let FunctionArguments::Subquery(_) = &function.args
                    && self.last_order != ResultOrder::Whole
                {
                    self.reach
                        .follows_order(Unordered::Aggregate(called.to_owned()));
                }
            }
            Some(WindowType::WindowSpec(spec)) => {
                let by_rows = spec
                    .window_frame
                    .as_ref()
                    .is_some_and(|f| f.units == WindowFrameUnits::Rows);
                if (follows || by_rows) && !self.window_ordered(spec) {
                    self.reach
                        .follows_order(Unordered::Window(called.to_owned()));
                }
            }
            // A named window's frame is written elsewhere: any aggregate
            // over it may count its frame in rows.
            Some(WindowType::NamedWindow(_)) => {
                if follows || aggregate {
                    self.reach
                        .follows_order(Unordered::Window(called.to_owned()));
                }
            }
        }
    }

    /// Whether an aggregate's own `ORDER BY` (or `WITHIN GROUP`) tells its
    /// values apart: it holds every value it takes, or the key of the one
    /// table read.
    fn aggregate_ordered(&self, function: &Function) -> bool {
        let mut order: Vec<&OrderByExpr> = function.within_group.iter().collect();
        let mut values = Vec::new();
        let mut values_unequal = false;
        if let FunctionArguments::List(list) = &function.args {
            for clause in &list.clauses {
                if let FunctionArgumentClause::OrderBy(exprs) = clause {
                    order.extend(exprs);
                }
            }
            for arg in &list.args {
                let (FunctionArg::Unnamed(arg) | FunctionArg::Named { arg, .. }) = arg else {
                    return false;
                };
                match arg {
                    // A separator written out is the same for every value.
                    FunctionArgExpr::Expr(Expr::Value(_)) => {}
                    // Values equal and shown apart stay tied.
                    FunctionArgExpr::Expr(e) if !self.kind(e).canonical() => values_unequal = true,
                    FunctionArgExpr::Expr(e) => values.push(self.folded(e)),
                    _ => return false,
                }
            }
        }
        let order: Vec<Expr> = order.iter().map(|o| self.folded(&o.expr)).collect();
        if order.is_empty() {
            return false;
        }
        (!values_unequal && covers(&order, values.iter()))
            || self
                .rows()
                .and_then(|r| r.key.as_ref())
                .is_some_and(|k| k.held_by(&order))
    }

    /// Whether a window's `PARTITION BY` and `ORDER BY` tell apart the rows
    /// of its SELECT.
    fn window_ordered(&self, spec: &sqlparser::ast::WindowSpec) -> bool {
        if spec.window_name.is_some() {
            return false;
        }
        let order: Vec<Expr> = spec
            .partition_by
            .iter()
            .chain(spec.order_by.iter().map(|o| &o.expr))
            .map(|e| self.folded(e))
            .collect();
        self.rows().is_some_and(|rows| rows.told_apart_by(&order))
    }

    /// SQLite takes a column neither grouped nor aggregated from any one
    /// row of its group: each such column of a grouped SELECT's list or
    /// `HAVING` follows the order rows are read in.
    pub(super) fn bare_columns(&mut self, select: &Select) {
        let mut exprs: Vec<Expr> = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::UnnamedExpr(e)
                | SelectItem::ExprWithAlias { expr: e, .. }
                | SelectItem::ExprWithAliases { expr: e, .. } => exprs.push(self.folded(e)),
                // Every column, grouped or not.
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                    exprs.push(Expr::Identifier(Ident::new("*")));
                }
            }
        }
        exprs.extend(select.having.as_ref().map(|h| self.folded(h)));
        self.note_bare(&exprs);
    }

    /// The same for its `ORDER BY`, which SQLite orders by such a column as
    /// it is in any one row of its group (an item's alias or position is
    /// the item's, judged with the list).
    fn bare_in_order(&mut self, select: &Select, order_by: &[OrderByExpr]) {
        let named = |name: &str| {
            select.projection.iter().any(|item| match item {
                SelectItem::ExprWithAlias { alias, .. } => self.fold(alias) == name,
                _ => false,
            })
        };
        let exprs: Vec<Expr> = order_by
            .iter()
            .map(|o| self.folded(&o.expr))
            .filter(|e| match e {
                Expr::Value(_) => false,
                Expr::Identifier(i) => !named(&i.value),
                _ => true,
            })
            .collect();
        self.note_bare(&exprs);
    }

    /// Notes each name of `exprs` (folded) that a grouped SQLite SELECT
    /// takes from any one row of its group.
    fn note_bare(&mut self, exprs: &[Expr]) {
        let Some(rows) = self.rows() else {
            return;
        };
        if self.dialect() != Dialect::Sqlite || !rows.grouped {
            return;
        }
        let mut finder = Bare {
            group_by: &rows.group_by,
            inside: 0,
            bare: Vec::new(),
        };
        for expr in exprs {
            let _ = expr.visit(&mut finder);
        }
        for name in finder.bare {
            self.reach.follows_order(Unordered::BareColumn(name));
        }
    }

    /// The first SELECT of a set operation, whose list names its columns.
    pub(super) fn leading_select(body: &SetExpr) -> Option<&Select> {
        match body {
            SetExpr::Select(select) => Some(select),
            SetExpr::SetOperation { left, .. } => Self::leading_select(left),
            SetExpr::Query(q) => Self::leading_select(&q.body),
            _ => None,
        }
    }
}

/// Finds the names of an expression outside any aggregate and any grouped
/// expression (see [`Walker::bare_columns`]).
struct Bare<'g> {
    group_by: &'g [Expr],
    /// How many aggregates or grouped expressions the visit is inside.
    inside: usize,
    bare: Vec<String>,
}

impl Bare<'_> {
    fn encloses(&self, expr: &Expr) -> bool {
        self.group_by.contains(expr)
            || matches!(expr, Expr::Function(f)
                if f.over.is_none()
                    && functions::aggregate(&f.name.to_string().to_ascii_lowercase()))
    }

    /// Whether the name `expr` is grouped: `status` by `c.status` (a name
    /// alone that SQLite accepts is of one table), `c.status` by itself or
    /// by `status`.
    fn grouped(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Identifier(name) => self.group_by.iter().any(|g| match g {
                Expr::Identifier(i) => i.value == name.value,
                Expr::CompoundIdentifier(parts) => {
                    parts.last().is_some_and(|i| i.value == name.value)
                }
                _ => false,
            }),
            Expr::CompoundIdentifier(parts) => {
                self.group_by.contains(expr)
                    || parts.last().is_some_and(|last| {
                        self.group_by
                            .iter()
                            .any(|g| matches!(g, Expr::Identifier(i) if i.value == last.value))
                    })
            }
            _ => false,
        }
    }
}

impl Visitor for Bare<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.encloses(expr) {
            self.inside += 1;
        } else if self.inside == 0
            && matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
            && !self.grouped(expr)
        {
            self.bare.push(expr.to_string());
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.encloses(expr) {
            self.inside -= 1;
        }
        ControlFlow::Continue(())
    }
}

impl Key {
    /// Whether `order` names every column of the key, alone or qualified
    /// by its table.
    fn held_by(&self, order: &[Expr]) -> bool {
        self.columns
            .iter()
            .all(|column| order.iter().any(|e| self.held_by_one(e, column)))
    }

    /// Whether `e` names the key's `column`, alone or qualified by its
    /// table.
    fn held_by_one(&self, e: &Expr, column: &str) -> bool {
        match e {
            Expr::Identifier(i) => self.same(&i.value, column),
            Expr::CompoundIdentifier(parts) => parts
                .split_last()
                .is_some_and(|(last, q)| self.same(&last.value, column) && self.qualifies(q)),
            _ => false,
        }
    }

    /// Whether `qualifier` names the key's table.
    fn qualifies(&self, qualifier: &[Ident]) -> bool {
        self.qualifiers.iter().any(|q| {
            q.len() == qualifier.len()
                && q.iter().zip(qualifier).all(|(a, b)| self.same(a, &b.value))
        })
    }

    fn same(&self, a: &str, b: &str) -> bool {
        if self.ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }

    /// Whether `selection` (folded) holds, as one of its `AND`s, each
    /// column of the key equal to a value written out or a column of
    /// another relation, named by its qualifier: then at most one row is
    /// kept.
    fn pinned_by(&self, selection: Option<&Expr>) -> bool {
        let mut equalities = Vec::new();
        let mut pending: Vec<&Expr> = selection.into_iter().collect();
        while let Some(e) = pending.pop() {
            match e {
                Expr::Nested(inner) => pending.push(inner),
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::And,
                    right,
                } => {
                    pending.push(left);
                    pending.push(right);
                }
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Eq,
                    right,
                } => {
                    equalities.push((left.as_ref(), right.as_ref()));
                    equalities.push((right.as_ref(), left.as_ref()));
                }
                _ => {}
            }
        }
        let outside = |e: &Expr| match e {
            Expr::Value(_) => true,
            Expr::CompoundIdentifier(parts) => {
                parts.split_last().is_some_and(|(_, q)| !self.qualifies(q))
            }
            _ => false,
        };
        self.columns.iter().all(|column| {
            equalities
                .iter()
                .any(|(key, value)| outside(value) && self.held_by_one(key, column))
        })
    }
}

/// Whether every one of `needed` is in `order`.
fn covers<'e>(order: &[Expr], mut needed: impl Iterator<Item = &'e Expr>) -> bool {
    needed.all(|n| order.contains(n))
}
