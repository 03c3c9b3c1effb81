//! What kind of value an expression makes, as far as the order rows are
//! read in can show through it. Two questions, both answered from the
//! catalogue's column types, the literals, casts and a few functions, and
//! "no" whenever the answer is not known:
//!
//! - **Are values the database holds equal always shown alike?** Integers,
//!   text under a binary or deterministic collation, dates and timestamps
//!   are; a PostgreSQL `numeric` of no fixed scale is not (`1.0 = 1.00`),
//!   nor a float (`-0 = 0`), an interval (`1 day = 24 hours`), or text under
//!   SQLite's `NOCASE`. Where a `DISTINCT`, a `GROUP BY`, a set operation or
//!   `min` keeps one of several equal values, or an `ORDER BY` leaves them
//!   tied, which one is shown, or first, follows the order rows are read in.
//! - **Is their sum the same in any order of addition?** PostgreSQL's
//!   integers and numerics are; floats are not (`1e16 + 1 - 1e16`), nor a
//!   SQLite or Oracle sum of values computed in the statement (SQLite stops
//!   at an integer overflow, Oracle rounds past 38 digits, and a computed
//!   value can be made that large): there, only a column as stored is
//!   summed exactly.

use sqlparser::ast::{
    BinaryOperator, CaseWhen, CastKind, DataType, Distinct, DuplicateTreatment, Expr, Function,
    FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, ObjectName, Select, SelectItem,
    UnaryOperator, Value,
};

use crate::sql::Dialect;
use crate::sql::schema::CatalogColumn;
use crate::sql::types::ValueKind;
use crate::sql::validate::functions::{self, Combines};
use crate::sql::validate::reach::Unordered;

use super::Walker;

/// The kind of value an expression makes (see the module's doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Kind {
    class: Class,
    /// Summed in any order, the same total.
    summable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Only NULL: takes the other's kind in a `CASE` or `UNION`.
    Null,
    /// Numbers shown as they compare: integers, PostgreSQL numerics of one
    /// scale (`Some(scale)`), SQLite's integer and numeric columns, Oracle's
    /// `NUMBER` (which keeps no scale: `1.0` is `1`).
    Number(Option<u32>),
    /// Exact numbers that may be equal and shown apart (PostgreSQL's
    /// `numeric` of no fixed scale).
    Decimal,
    /// Floating point: `-0 = 0`, and sums depend on their order.
    Float,
    /// Text equal only to the same text.
    Text,
    /// Text under a collation where texts that differ may be equal.
    Loose,
    /// Other values shown as they compare: booleans, dates, timestamps,
    /// uuids, bytes.
    Plain,
    /// Anything else, or not known.
    Other,
}

impl Kind {
    pub(super) const OTHER: Kind = Kind {
        class: Class::Other,
        summable: false,
    };

    /// Whether values equal to the database are always shown alike.
    pub(super) fn canonical(self) -> bool {
        matches!(
            self.class,
            Class::Null | Class::Number(_) | Class::Text | Class::Plain
        )
    }

    /// Whether a sum of such values is the same in any order.
    pub(super) fn summable(self) -> bool {
        self.summable
    }

    /// A value computed in the statement: summed exactly only where the
    /// database's arithmetic on it is exact (PostgreSQL's numbers).
    fn computed(class: Class, dialect: Dialect) -> Kind {
        Kind {
            class,
            summable: dialect == Dialect::Postgres
                && matches!(class, Class::Number(_) | Class::Decimal | Class::Null),
        }
    }

    /// A value as stored, or written out: summed exactly when it is an
    /// exact number.
    fn stored(class: Class) -> Kind {
        Kind {
            class,
            summable: matches!(class, Class::Number(_) | Class::Decimal | Class::Null),
        }
    }

    /// The kind of a value that is either of two (a `CASE`'s branches, the
    /// rows of a `UNION`).
    pub(super) fn or(self, other: Kind) -> Kind {
        use Class::*;
        let class = match (self.class, other.class) {
            (Null, c) | (c, Null) => c,
            (a, b) if a == b => a,
            (Number(_) | Decimal, Number(_) | Decimal) => Decimal,
            (Number(_) | Decimal | Float, Number(_) | Decimal | Float) => Float,
            (Text | Loose, Text | Loose) => Loose,
            _ => Other,
        };
        Kind {
            class,
            summable: self.summable && other.summable,
        }
    }
}

/// The kind of a column of `dialect` whose type is `type_name`, compared
/// by `collation` when it is not a binary one.
pub(super) fn of_column(dialect: Dialect, column: &CatalogColumn) -> Kind {
    let class = class_of_type(dialect, &column.type_name);
    Kind::stored(match class {
        Class::Text if column.collation.is_some() => Class::Loose,
        other => other,
    })
}

/// The class of values of the type named `type_name`, as the catalogue or
/// a cast writes it ([`crate::sql::types::kind`]): text compared otherwise
/// than as written, or of a type not known, is of no class that compares
/// as it is shown.
fn class_of_type(dialect: Dialect, type_name: &str) -> Class {
    match crate::sql::types::kind(dialect, type_name) {
        ValueKind::Number(scale) => Class::Number(scale),
        ValueKind::Decimal => Class::Decimal,
        ValueKind::Float => Class::Float,
        ValueKind::Text => Class::Text,
        ValueKind::Plain => Class::Plain,
        ValueKind::LooseText | ValueKind::Other => Class::Other,
    }
}

impl Walker<'_> {
    /// The kind of value `expr` makes, its names resolved in the scopes
    /// open now.
    pub(super) fn kind(&self, expr: &Expr) -> Kind {
        let dialect = self.dialect();
        let computed = |class| Kind::computed(class, dialect);
        match expr {
            Expr::Identifier(ident) => self.column_kind(&[], &self.fold(ident)),
            Expr::CompoundIdentifier(parts) => match parts.split_last() {
                Some((last, qualifier)) => {
                    let qualifier: Vec<String> = qualifier.iter().map(|q| self.fold(q)).collect();
                    self.column_kind(&qualifier, &self.fold(last))
                }
                None => Kind::OTHER,
            },
            // One value, the same in every row: its sum is the same in any
            // order (values written out that differ from row to row, in a
            // VALUES or a UNION, are combined as computed).
            Expr::Value(value) => Kind::stored(self.literal_class(&value.value)),
            Expr::Nested(inner) => self.kind(inner),
            Expr::UnaryOp { op, expr } => self.unary_kind(op, expr),
            Expr::BinaryOp { left, op, right } => self.operation_kind(left, op, right),
            Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotTrue(_)
            | Expr::IsNotFalse(_)
            | Expr::IsDistinctFrom(..)
            | Expr::IsNotDistinctFrom(..)
            | Expr::InList { .. }
            | Expr::InSubquery { .. }
            | Expr::Between { .. }
            | Expr::Like { .. }
            | Expr::ILike { .. }
            | Expr::Exists { .. } => computed(Class::Plain),
            Expr::Cast {
                kind,
                expr,
                data_type,
                ..
            } => self.cast_kind(kind, expr, data_type),
            Expr::TypedString(typed) => {
                Kind::stored(class_of_type(dialect, &typed.data_type.to_string()))
            }
            Expr::Collate { expr, collation } => self.collated_kind(expr, collation),
            Expr::Case {
                conditions,
                else_result,
                ..
            } => self.case_kind(conditions, else_result.as_deref()),
            Expr::Function(function) => self.function_kind(function),
            _ => Kind::OTHER,
        }
    }

    /// The kind of a unary operation: a sign keeps a number's (but SQLite's
    /// makes a real of an integer), `NOT` makes a truth.
    fn unary_kind(&self, op: &UnaryOperator, expr: &Expr) -> Kind {
        let dialect = self.dialect();
        let computed = |class| Kind::computed(class, dialect);
        match op {
            // Minus a text is a number SQLite makes of it: `-'0'` and
            // `-'-0'` may be equal and shown apart; and SQLite's minus
            // of -2^63 overflows into a real, equal to it.
            UnaryOperator::Minus | UnaryOperator::Plus => {
                let inner = self.kind(expr);
                match inner.class {
                    Class::Number(_) if dialect == Dialect::Sqlite => computed(Class::Float),
                    Class::Number(_) | Class::Decimal | Class::Float | Class::Null => {
                        computed(inner.class)
                    }
                    _ => Kind::OTHER,
                }
            }
            UnaryOperator::Not => computed(Class::Plain),
            _ => Kind::OTHER,
        }
    }

    /// The kind of a cast: that of its type, as each database casts.
    fn cast_kind(&self, kind: &CastKind, expr: &Expr, data_type: &DataType) -> Kind {
        let dialect = self.dialect();
        let computed = |class| Kind::computed(class, dialect);
        // `::text` shows a value as it is written: distinct values,
        // distinct texts, unless the text keeps a loose collation.
        let class = match class_of_type(dialect, &data_type.to_string()) {
            // TRY_CAST and SAFE_CAST are of other dialects.
            _ if !matches!(kind, CastKind::Cast | CastKind::DoubleColon) => Class::Other,
            // Text cast to text keeps its collation (PostgreSQL
            // relabels it), and what is not known may be text.
            Class::Text => match self.kind(expr).class {
                Class::Loose => Class::Loose,
                Class::Other => Class::Other,
                _ => Class::Text,
            },
            // A bare `numeric` keeps the scale it is given: an
            // integer's is 0.
            Class::Decimal => match self.kind(expr).class {
                Class::Number(Some(scale)) => Class::Number(Some(scale)),
                _ => Class::Decimal,
            },
            // SQLite's cast to a numeric affinity (NUMERIC, DECIMAL,
            // DATE…) is an integer or a real as the text reads:
            // '2^60' and '2^60.0' are equal and shown apart.
            Class::Number(_)
                if dialect == Dialect::Sqlite
                    && !data_type.to_string().to_ascii_uppercase().contains("INT") =>
            {
                Class::Float
            }
            class => class,
        };
        computed(class)
    }

    /// The kind of a text with a collation: a binary one tells values apart
    /// as they are written, any other may hold equal values shown apart.
    fn collated_kind(&self, expr: &Expr, collation: &ObjectName) -> Kind {
        let dialect = self.dialect();
        let computed = |class| Kind::computed(class, dialect);
        let name = collation.to_string().trim_matches('"').to_ascii_lowercase();
        let inner = self.kind(expr);
        let binary =
            ["c", "posix", "binary", "default", "ucs_basic", "pg_c_utf8"].contains(&name.as_str());
        match inner.class {
            Class::Text | Class::Loose if binary => computed(Class::Text),
            Class::Text | Class::Loose => computed(Class::Loose),
            _ => inner,
        }
    }

    /// The kind of a `CASE`: that of all its results together.
    fn case_kind(&self, conditions: &[CaseWhen], else_result: Option<&Expr>) -> Kind {
        let dialect = self.dialect();
        let computed = |class| Kind::computed(class, dialect);
        let mut kind = else_result.map_or(Kind::stored(Class::Null), |e| self.kind(e));
        for when in conditions {
            kind = kind.or(self.kind(&when.result));
        }
        computed(kind.class)
    }

    /// A literal's class: PostgreSQL's `1.50` is a numeric of scale 2,
    /// SQLite's a float, Oracle's a `NUMBER`.
    fn literal_class(&self, value: &Value) -> Class {
        match value {
            Value::Number(n, _) => {
                let decimal = n.contains(['.', 'e', 'E']);
                match self.dialect() {
                    Dialect::Oracle => Class::Number(None),
                    // Past i64, SQLite reads an integer as a real.
                    Dialect::Sqlite if decimal || n.parse::<i64>().is_err() => Class::Float,
                    Dialect::Sqlite => Class::Number(None),
                    Dialect::Postgres if n.contains(['e', 'E']) => Class::Decimal,
                    Dialect::Postgres => Class::Number(Some(
                        n.split_once('.')
                            .map_or(0, |(_, d)| u32::try_from(d.len()).unwrap_or(u32::MAX)),
                    )),
                }
            }
            // Oracle's text literals are CHAR, compared ignoring trailing
            // spaces.
            Value::SingleQuotedString(s) | Value::NationalStringLiteral(s)
                if self.dialect() == Dialect::Oracle && s.ends_with(' ') =>
            {
                Class::Loose
            }
            Value::SingleQuotedString(_)
            | Value::NationalStringLiteral(_)
            | Value::EscapedStringLiteral(_)
            | Value::DollarQuotedString(_) => Class::Text,
            Value::Boolean(_) => Class::Plain,
            Value::Null => Class::Null,
            _ => Class::Other,
        }
    }

    fn operation_kind(&self, left: &Expr, op: &BinaryOperator, right: &Expr) -> Kind {
        use Class::*;
        let dialect = self.dialect();
        let (l, r) = (self.kind(left), self.kind(right));
        let class = match op {
            BinaryOperator::Plus | BinaryOperator::Minus | BinaryOperator::Multiply => {
                match (l.class, r.class) {
                    // SQLite's integer column may hold a real (`1.5`), and
                    // `0 = 0.0`: what it computes may be either.
                    (Number(_), Number(_)) if dialect == Dialect::Sqlite => Float,
                    (Number(a), Number(b)) => Number(match (a, b, op) {
                        (Some(a), Some(b), BinaryOperator::Multiply) => a.checked_add(b),
                        (Some(a), Some(b), _) => Some(a.max(b)),
                        _ => None,
                    }),
                    (Number(_) | Decimal, Number(_) | Decimal) => Decimal,
                    (Number(_) | Decimal | Float, Number(_) | Decimal | Float) => Float,
                    _ => Other,
                }
            }
            // PostgreSQL sets a numeric quotient's scale from the values
            // (3/2 and 15000/10000 as numeric(10,0) show 1.5 apart), and
            // integers are not told from numerics of scale 0 here.
            BinaryOperator::Divide | BinaryOperator::Modulo => match (l.class, r.class) {
                (Number(None), Number(None)) if dialect == Dialect::Oracle => Number(None),
                (Number(None), Number(None)) if dialect == Dialect::Sqlite => Float,
                (Number(_) | Decimal, Number(_) | Decimal) => Decimal,
                (Number(_) | Decimal | Float, Number(_) | Decimal | Float) => Float,
                _ => Other,
            },
            // Text of known values is text; a loose collation stays with
            // it (PostgreSQL, and SQLite's explicit COLLATE), and what is
            // not known may be a jsonb or an array, joined as such.
            BinaryOperator::StringConcat => match (l.class, r.class) {
                (Other, _) | (_, Other) => Other,
                (Loose, _) | (_, Loose) => Loose,
                _ => Text,
            },
            BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
            | BinaryOperator::And
            | BinaryOperator::Or => Plain,
            _ => Other,
        };
        Kind::computed(class, dialect)
    }

    /// The values a call makes: an aggregate's from its argument's, a few
    /// functions whose result is known, anything else not known.
    fn function_kind(&self, function: &Function) -> Kind {
        let dialect = self.dialect();
        let name = function
            .name
            .0
            .last()
            .map(|p| p.to_string().trim_matches('"').to_ascii_lowercase())
            .unwrap_or_default();
        let args = arguments(function);
        // Each argument's kind once: a chain of calls is walked once.
        let kinds: Vec<Kind> = args.iter().map(|a| self.kind(a)).collect();
        let first = kinds.first().copied().unwrap_or(Kind::OTHER);
        let computed = |class| Kind::computed(class, dialect);
        // A text function's result keeps a loose collation of its
        // arguments, and is not known when one of them is not.
        let text = || {
            computed(if kinds.iter().any(|k| k.class == Class::Other) {
                Class::Other
            } else if kinds.iter().any(|k| k.class == Class::Loose) {
                Class::Loose
            } else {
                Class::Text
            })
        };
        // PostgreSQL's `round(x, 2)` of a numeric shows two decimals.
        let round = || {
            let places = match args.get(1) {
                None => Some(0),
                Some(Expr::Value(v)) => match &v.value {
                    Value::Number(n, _) => n.parse::<u32>().ok(),
                    _ => None,
                },
                Some(_) => None,
            };
            computed(places.map_or(Class::Decimal, |p| Class::Number(Some(p))))
        };
        match name.as_str() {
            "count" => computed(Class::Number(Some(0))),
            // Of a text, SQLite's abs is a real: `abs('-0')` is -0.0, equal
            // to 0 and shown apart, so which one a `DISTINCT` keeps follows
            // the order rows are read in.
            "abs" => match first.class {
                Class::Number(_) | Class::Decimal | Class::Float | Class::Null => {
                    computed(first.class)
                }
                _ => Kind::OTHER,
            },
            "min" | "max" | "any_value" if kinds.len() == 1 => computed(first.class),
            // SQLite's min and max of several arguments are greatest and
            // least.
            "min" | "max" | "coalesce" | "greatest" | "least" | "ifnull" | "nvl" | "nullif" => {
                let joined = kinds.iter().copied().reduce(Kind::or);
                joined.map_or(Kind::OTHER, |k| computed(k.class))
            }
            "sum" | "total" => match (dialect, first.class) {
                // SQLite's sum is an integer or a real, as the values are.
                (Dialect::Sqlite, _) => computed(Class::Float),
                // PostgreSQL sums integers into bigint or numeric, of the
                // same scale.
                (_, Class::Number(_) | Class::Decimal | Class::Float) => computed(first.class),
                _ => Kind::OTHER,
            },
            "avg" => match (dialect, first.class) {
                (Dialect::Oracle, Class::Number(_)) => computed(Class::Number(None)),
                (Dialect::Postgres, Class::Number(_) | Class::Decimal) => computed(Class::Decimal),
                (_, Class::Number(_) | Class::Decimal | Class::Float) => computed(Class::Float),
                _ => Kind::OTHER,
            },
            // An integer is rounded as a float (the preferred type), and
            // integers are not told from numerics of scale 0 here.
            "round" | "trunc" if dialect == Dialect::Postgres => match first.class {
                Class::Number(Some(1..)) | Class::Decimal => round(),
                _ => Kind::OTHER,
            },
            "length" | "char_length" | "character_length" | "octet_length" | "strpos" | "instr" => {
                computed(Class::Number(match dialect {
                    Dialect::Postgres => Some(0),
                    _ => None,
                }))
            }
            "upper" | "lower" | "trim" | "ltrim" | "rtrim" | "btrim" | "substr" | "substring"
            | "replace" | "concat" | "left" | "right" | "lpad" | "rpad" | "initcap" | "reverse"
            | "repeat" | "translate" | "split_part" | "to_char" | "md5" => text(),
            // `date_trunc` of an interval is an interval.
            "date_trunc" if dialect == Dialect::Postgres => match kinds.get(1) {
                Some(k) if k.class == Class::Plain => computed(Class::Plain),
                _ => Kind::OTHER,
            },
            "date" if dialect == Dialect::Postgres => computed(Class::Plain),
            "date" | "datetime" | "strftime" if dialect == Dialect::Sqlite => computed(Class::Text),
            "now" | "current_date" | "current_timestamp" | "localtimestamp" => {
                computed(Class::Plain)
            }
            _ => Kind::OTHER,
        }
    }

    /// The kind of `column` of the relation `qualifier` names, or of the
    /// one relation in the nearest scope that has it when `qualifier` is
    /// empty; not known when no relation is found to have it.
    fn column_kind(&self, qualifier: &[String], column: &str) -> Kind {
        self.lookup_column(qualifier, column).unwrap_or(Kind::OTHER)
    }

    /// The same, `None` when no relation in scope has `column`.
    pub(super) fn lookup_column(&self, qualifier: &[String], column: &str) -> Option<Kind> {
        self.lookup_in(self.barrier.min(self.scopes.len()), qualifier, column)
    }

    /// The same in the innermost SELECT's own relations only (a `GROUP BY`
    /// name is one of them, else an item's alias, before an outer
    /// query's column).
    pub(super) fn lookup_local(&self, column: &str) -> Option<Kind> {
        self.lookup_in(self.scopes.len().saturating_sub(1), &[], column)
    }

    fn lookup_in(&self, from: usize, qualifier: &[String], column: &str) -> Option<Kind> {
        let visible = &self.scopes[from.max(self.barrier).min(self.scopes.len())..];
        for scope in visible.iter().rev() {
            let mut found = None;
            let mut unsure = false;
            // A table named by its alias: its own name reaches an outer
            // query's relation.
            for relation in scope.relations.iter().filter(|r| !r.shadowed) {
                if !qualifier.is_empty() && relation.name.as_slice() != qualifier {
                    continue;
                }
                match self.relation_column_kind(relation, column) {
                    Column::Has(kind) => {
                        // Two relations of one SELECT with that column:
                        // the database refuses the name as ambiguous, or
                        // the same table is named twice (its name and its
                        // alias), with the same kind.
                        if found.is_some_and(|k| k != kind) {
                            return Some(Kind::OTHER);
                        }
                        found = Some(kind);
                    }
                    Column::Lacks => {}
                    Column::Unknown => unsure = true,
                }
            }
            // A relation whose columns are not known may be the one that
            // has it: its kind is not known either. A qualifier found here
            // hides any of that name further out.
            let named = !qualifier.is_empty()
                && scope
                    .relations
                    .iter()
                    .any(|r| !r.shadowed && r.name.as_slice() == qualifier);
            match (found, unsure) {
                (Some(kind), false) => return Some(kind),
                (_, true) => return Some(Kind::OTHER),
                (None, false) if named => return Some(Kind::OTHER),
                (None, false) => {}
            }
        }
        None
    }

    /// Whether one relation has `column`, and of what kind.
    fn relation_column_kind(&self, relation: &super::Visible, column: &str) -> Column {
        if let Some(kinds) = &relation.kinds {
            let named = kinds.iter().find(|(name, _)| self.same_name(name, column));
            // An item named by the database (`max`, `?column?`) may be
            // the one meant.
            let any = kinds.iter().any(|(name, _)| name == "*" || name == "?");
            return match named {
                Some((_, kind)) => Column::Has(*kind),
                // Which one it is, is not known.
                None if any => Column::Has(Kind::OTHER),
                None => Column::Lacks,
            };
        }
        let [at] = relation.reads.as_slice() else {
            return Column::Unknown;
        };
        let Some(table) = self.reach.relations().get(*at).and_then(|reached| {
            self.catalog?
                .table(reached.schema.as_deref(), &reached.name)
        }) else {
            return Column::Unknown;
        };
        match table
            .columns
            .iter()
            .find(|c| self.same_name(&c.name, column))
        {
            Some(c) => Column::Has(of_column(self.dialect(), c)),
            None => Column::Lacks,
        }
    }

    /// The kinds of a SELECT's columns, by the names they are known by
    /// outside it: its alias, a column's name, `?` for a name the database
    /// makes up. A `*` is expanded when the SELECT reads one relation;
    /// otherwise its columns are not placed (`*`).
    pub(super) fn item_kinds(&self, projection: &[SelectItem]) -> Vec<(String, Kind)> {
        let mut kinds = Vec::new();
        for item in projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let name = match e {
                        Expr::Identifier(i) => self.fold(i),
                        Expr::CompoundIdentifier(parts) => parts
                            .last()
                            .map_or_else(|| "?".to_owned(), |i| self.fold(i)),
                        _ => "?".to_owned(),
                    };
                    kinds.push((name, self.kind(e)));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    kinds.push((self.fold(alias), self.kind(expr)));
                }
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                    match self.one_relation() {
                        Some(columns) => kinds.extend(columns),
                        None => kinds.push(("*".to_owned(), Kind::OTHER)),
                    }
                }
                SelectItem::ExprWithAliases { .. } => kinds.push(("*".to_owned(), Kind::OTHER)),
            }
        }
        kinds
    }

    /// The kinds of every column of the one relation the innermost SELECT
    /// reads (all its names stand for it), in order.
    fn one_relation(&self) -> Option<Vec<(String, Kind)>> {
        let relations = &self.scopes.last()?.relations;
        let first = relations.first()?;
        if relations
            .iter()
            .any(|r| r.reads != first.reads || r.kinds != first.kinds)
        {
            return None;
        }
        if let Some(kinds) = &first.kinds {
            return Some(kinds.clone());
        }
        self.table_kinds(&first.reads)
    }

    /// The kinds of the columns of the one table at `reads`, in order.
    pub(super) fn table_kinds(&self, reads: &[usize]) -> Option<Vec<(String, Kind)>> {
        let [at] = reads else {
            return None;
        };
        let reached = self.reach.relations().get(*at)?;
        let table = self
            .catalog?
            .table(reached.schema.as_deref(), &reached.name)?;
        Some(
            table
                .columns
                .iter()
                .map(|c| (c.name.clone(), of_column(self.dialect(), c)))
                .collect(),
        )
    }
}

impl Walker<'_> {
    /// Notes each column of the query just walked whose values may be equal
    /// and shown apart, where `what` keeps one row of equal ones.
    pub(super) fn note_unequal_columns(&mut self, what: &str) {
        if self.last_kinds.iter().any(|(_, kind)| !kind.canonical()) {
            self.reach
                .follows_order(Unordered::Unequal(what.to_owned()));
        }
    }

    /// A SELECT's `DISTINCT` and `GROUP BY`, which keep one of equal values
    /// (its columns' kinds are those just computed).
    pub(super) fn note_unequal_kept(&mut self, select: &Select) {
        if matches!(select.distinct, Some(Distinct::Distinct)) {
            self.note_unequal_columns("DISTINCT");
        }
        let GroupByExpr::Expressions(exprs, _) = &select.group_by else {
            return;
        };
        let mut pending: Vec<&Expr> = exprs.iter().collect();
        while let Some(expr) = pending.pop() {
            match expr {
                Expr::Rollup(sets) | Expr::Cube(sets) | Expr::GroupingSets(sets) => {
                    pending.extend(sets.iter().flatten());
                }
                Expr::Tuple(exprs) => pending.extend(exprs),
                _ => {
                    if !self.grouped_kind(expr, select).canonical() {
                        self.reach
                            .follows_order(Unordered::Unequal(expr.to_string()));
                    }
                }
            }
        }
    }

    /// The kind of a `GROUP BY` expression: its item's when it names one
    /// (see [`Walker::grouped_item`]); a position that names none is not
    /// known.
    fn grouped_kind(&self, expr: &Expr, select: &Select) -> Kind {
        let grouped = self.grouped_item(expr, select);
        match grouped {
            Expr::Value(v)
                if std::ptr::eq(grouped, expr) && matches!(v.value, Value::Number(..)) =>
            {
                Kind::OTHER
            }
            _ => self.kind(grouped),
        }
    }

    /// An aggregate's values: a sum must be the same in any order of
    /// addition; any other keeps or compares them, so they must be shown as
    /// they compare (`count` only counts them).
    pub(super) fn note_aggregated(&mut self, called: &str, function: &Function) {
        let args = arguments(function);
        let distinct = matches!(
            &function.args,
            FunctionArguments::List(list)
                if matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct))
        );
        let kinds: Vec<Kind> = args.iter().map(|a| self.kind(a)).collect();
        let unequal = kinds.iter().any(|k| !k.canonical());
        let (rounded, unequal) = match functions::combines(called) {
            Combines::Counts => (false, false),
            Combines::Floats => (true, false),
            // `sum(DISTINCT x)` keeps one of equal values too.
            Combines::Adds => (kinds.iter().any(|k| !k.summable()), distinct && unequal),
            // One that strings every value (`array_agg`) keeps them all:
            // their order is judged with its ORDER BY (see `order`).
            Combines::Keeps if functions::follows_order(called) == Some(true) => {
                (false, distinct && unequal)
            }
            Combines::Keeps => {
                let ordered = function.within_group.iter().map(|o| &o.expr);
                (
                    false,
                    unequal || ordered.into_iter().any(|e| !self.kind(e).canonical()),
                )
            }
        };
        if rounded {
            self.reach
                .follows_order(Unordered::Rounded(called.to_owned()));
        }
        if unequal {
            self.reach
                .follows_order(Unordered::Unequal(format!("{called}(…)")));
        }
    }
}

/// `kinds` under the names an alias gives its columns, by position; not
/// known past a column whose place is not known (a `*` not expanded).
pub(super) fn renamed(kinds: Vec<(String, Kind)>, names: Vec<String>) -> Vec<(String, Kind)> {
    if kinds.iter().any(|(name, _)| name == "*") {
        return vec![("*".to_owned(), Kind::OTHER)];
    }
    let mut renamed: Vec<(String, Kind)> = Vec::with_capacity(kinds.len());
    let mut names = names.into_iter();
    for (name, kind) in kinds {
        renamed.push((names.next().unwrap_or(name), kind));
    }
    renamed
}

/// Kinds of two queries' columns combined by position, as a set operation
/// or a VALUES combines their rows: values that differ from row to row, as
/// computed ones (in SQLite and Oracle, `(12, 9223372036854775807), (49, 1)`
/// may be made to overflow or round when summed).
pub(super) fn combined(
    left: &[(String, Kind)],
    right: &[(String, Kind)],
    dialect: Dialect,
) -> Vec<(String, Kind)> {
    let unplaced = |k: &[(String, Kind)]| k.iter().any(|(name, _)| name == "*");
    if unplaced(left) || unplaced(right) || left.len() != right.len() {
        return vec![("*".to_owned(), Kind::OTHER)];
    }
    left.iter()
        .zip(right)
        .map(|((name, a), (_, b))| (name.clone(), Kind::computed(a.or(*b).class, dialect)))
        .collect()
}

/// Whether a relation has a column (see [`Walker::lookup_column`]).
enum Column {
    Has(Kind),
    Lacks,
    Unknown,
}

/// The arguments of a call written as a list, `*` left out.
pub(super) fn arguments(function: &Function) -> Vec<&Expr> {
    let FunctionArguments::List(list) = &function.args else {
        return Vec::new();
    };
    list.args
        .iter()
        .filter_map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
            | FunctionArg::Named {
                arg: FunctionArgExpr::Expr(e),
                ..
            }
            | FunctionArg::ExprNamed {
                arg: FunctionArgExpr::Expr(e),
                ..
            } => Some(e),
            _ => None,
        })
        .collect()
}
