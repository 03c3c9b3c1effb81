//! The third analysis: what a statement may cost the database beyond what
//! its plan shows, as one [`Cost`]. It is tallied while the walk goes
//! ([`Tally`] watches it, see [`Watch`]), then completed by what `sizes`
//! finds of the values the statement builds. The limits that hold for a
//! whole statement live here: the relations it joins, the copies of a
//! value a row holds, the characters all its searches look for.
//!
//! Its modules, from the bottom up:
//! - [`copies`]: how many copies of a value read a value may hold.
//! - [`sizes`]: what the statement builds, by name, and the numbers it
//!   computes.

mod copies;
mod sizes;

pub use copies::REBUILT_COPIES;
pub use sizes::MAX_NUMERIC_DIGITS;

use sqlparser::ast::{
    Cte, CteAsMaterialized, DataType, Expr, Function, FunctionArg, FunctionArguments, Query,
    SelectItem, TableFactor, TableWithJoins, Values,
};

use super::super::Dialect;
use super::bounds;
use super::functions::{Role, spec};
use super::refusal::{Excess, Refusal};
use super::syntax::{argument, called, fold, integer, is_constant, is_text_type, short, unnested};
use crate::sql::validate::reach::Parsed;
use crate::sql::validate::reach::walk::Watch;

type Judged = Result<(), Refusal>;

/// The most relations one `FROM` joins: the planner weighs the orders of
/// joining them in memory, which grows much faster than their number, and a
/// report rarely joins more than a handful.
pub const MAX_FROM_RELATIONS: usize = 10;
/// The most relations all the `FROM` clauses of a statement name together:
/// the planner keeps what it weighed for each until the whole statement is
/// planned.
pub const MAX_RELATIONS: usize = 32;

/// What a statement may cost the database that its plan does not show:
/// what it gathers, copies, builds, parses and keeps, as the walk and the
/// size check found it. The PostgreSQL executor weighs it against the
/// plan and the data before it runs; a SQLite worker bounds the same by
/// its memory and its deadline, so a SQLite statement's is the default,
/// nothing tallied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cost {
    /// It gathers values across rows into one (`string_agg`, `array_agg`,
    /// `jsonb_agg`, `ARRAY(…)`…): its memory on the server grows with the
    /// rows it reads, which no server setting bounds, so the executor
    /// weighs the rows first (PostgreSQL: `backend::MAX_GATHERED_BYTES`).
    pub gathers: bool,
    /// PostgreSQL: a function that returns rows (`generate_series`,
    /// `unnest`…) is called with computed arguments, so the planner guesses
    /// how many rows it returns: a query that gathers cannot be weighed by
    /// its plan.
    pub computed_series: bool,
    /// It tests values against a subquery's rows (`IN (SELECT …)`, `=
    /// ANY (SELECT …)`, `EXISTS`): PostgreSQL may hash the subquery whole,
    /// which its plan shows only where a filter names it, not in a select
    /// list or an aggregate's `FILTER`.
    pub tests_subqueries: bool,
    /// A row of one of its SELECTs holds a value built of a value it reads
    /// (`d.body || ''`), which the server holds whole where it would carry
    /// the value read by its pointer (a hash join's inner side).
    pub builds_from_reads: bool,
    /// A value whose length the plan does not show (`(SELECT max(k.val)
    /// FROM kv k)`, a running `string_agg(…) OVER (…)`), held by a row of
    /// a subquery, a CTE or a set operation's operand, as written: the
    /// PostgreSQL executor refuses it when the plan may keep such rows
    /// whole (a hash table, a gathering).
    pub repeats_unforeseen: Option<String>,
    /// The most rows a `LIMIT` of the statement lets through, its `OFFSET`
    /// included, when each is written out (`None` when one is computed):
    /// PostgreSQL keeps that many rows of an `ORDER BY … LIMIT` in memory
    /// to sort them, however long their values.
    pub top_rows: Option<u64>,
    /// An aggregate keeps in each group a value it reads (`max(x)`,
    /// `string_agg(x, …)`): a hashed `GROUP BY`'s groups may grow by it.
    pub groups_hold_reads: bool,
    /// An aggregate keeps in each group one of the values it is given, read
    /// or built (`max(…)`, `string_agg(…)`), not only a number (`count`,
    /// `sum`): a hashed `GROUP BY`'s groups may grow after they are made.
    pub groups_keep_values: bool,
    /// An alias renames a relation's columns (`docs AS d(i, t, b)`): the
    /// plan's conditions then name the alias's columns, not the table's.
    pub renames_columns: bool,
    /// What one gathered row may add to a gathered value beyond the bytes
    /// the plan reads for it, in bytes (see `bounds::gathered_row_bytes`).
    pub gathered_row_bytes: u64,
    /// How many copies of the values it reads one gathered row may hold
    /// (`string_agg(body || body, …)` holds two; see `copies`): the values
    /// stored out of line are weighed that many times.
    pub gathered_copies: u64,
    /// How many copies of a value it reads one row of its result may hold
    /// (`SELECT body || body` holds two; see `copies`), at most
    /// `copies::MAX_ROW_COPIES`: a gathered value repeated, or gathered
    /// from a query that repeats values, weighs that many times.
    pub row_copies: u64,
    /// How many copies of a value it reads a value it builds on the way may
    /// hold (`length(body || body)` builds two and returns none), at most
    /// `copies::MAX_ROW_COPIES`: building them takes the server's memory
    /// even when the row keeps none.
    pub built_copies: u64,
    /// How many copies of a value gathered from rows a value it builds may
    /// hold (`t || t` of a CTE's `string_agg(…) AS t`): the whole gathered
    /// value weighs that many times.
    pub gathered_value_copies: u64,
    /// It writes a value gathered from rows out whole as text (see
    /// `sizes::Judged::gathered_as_text`): the PostgreSQL executor weighs
    /// each gathered row at what the server keeps to write it when the
    /// statement reads values whose text takes a buffer each (ranges, rows,
    /// jsonb).
    pub gathered_as_text: bool,
    /// How many numbers read from the data its logarithms, roots or powers
    /// work on (`ln(r.rate)` one; `log(r.a * r.b, 2)` two, whose digits add
    /// up): the PostgreSQL executor measures the digits of the numbers it
    /// reads, that many times (see `sizes::MAX_NUMERIC_DIGITS`).
    pub digits_read: u64,
    /// The characters its containment, existence and overlap tests look
    /// for, written out (`o.meta @> '{"vip": true}'`, `tags && ARRAY['a']`),
    /// all of them together (see `sizes::Judged::sought_chars`), and how
    /// many overlaps compare two values read (`x.tags && y.tags`): the
    /// PostgreSQL executor weighs them against the longest value the
    /// statement reads.
    pub sought_chars: u64,
    pub compared_reads: u64,
    /// The working memory the splits of one row take while they build
    /// (`regexp_split_to_array`, `string_to_array`, `regexp_matches`), in
    /// copies of the value they split, added up over the row (see
    /// `copies::Bag::working`): a split of one-character pieces takes
    /// some 80 bytes a character of what it splits.
    pub split_working: u64,
    /// How many values read from the data its calls read whole in one row,
    /// added up over its SELECTs: each unpacks its own copy of a value
    /// stored compressed or out of line, held until the row is done, so the
    /// PostgreSQL executor weighs them by the longest such value.
    pub held_reads: u64,
    /// How many values one row may rebuild whole should they be structured
    /// (`payload - 0`, `payload #- '{a}'`, `tags || '{x}'`), added up over
    /// its SELECTs: the server takes a jsonb document or an array apart into
    /// a tree many times its text to rebuild it, so the PostgreSQL executor
    /// weighs them by the longest structured value the statement reads. The
    /// operators are the numbers' and the texts' too: every column reference
    /// in such an operand counts (see `copies::rebuilds`).
    pub held_rebuilds: u64,
    /// A recursive step adds values it reads to its own value at every step
    /// (`path || '/' || c.nom`): the value grows by what it reads for as
    /// long as the recursion runs, so the executor weighs the values it
    /// reads (PostgreSQL: none longer than a row keeps in place).
    pub grows_by_reading: bool,
    /// The values it parses as another type (`body::int`, `to_date(c, …)`,
    /// `AT TIME ZONE c`): the database's error on one it cannot parse
    /// quotes the value whole, and the driver receives that error whole
    /// before the bot cuts it, so the executor weighs them (PostgreSQL).
    pub parsed: Parsed,
    /// The most bytes the statement builds into the rows of its SELECTs,
    /// together (four a character): what a row of any step of its plan may
    /// carry beyond the values it reads and the width the planner guesses.
    pub built_row_bytes: u64,
}

/// The copies one row holds in the rows of the queries a query or SELECT
/// reads, as the walk meets them: a row of a join holds a row of each
/// query it reads rows from (their copies add up); of the others (a
/// subquery giving a value, a set operation's branches) it holds one at a
/// time (the most of them). A query's own rows hold its projection's
/// copies times those.
struct RowCopies {
    from: u64,
    other: u64,
}

impl Default for RowCopies {
    fn default() -> Self {
        RowCopies { from: 0, other: 1 }
    }
}

impl RowCopies {
    fn times(&self, own: u64) -> u64 {
        own.saturating_mul(self.from.max(1))
            .saturating_mul(self.other)
    }
}

/// What the query around a query or SELECT was counting when it began,
/// restored when it ends.
struct Around {
    row_copies: RowCopies,
    in_from: bool,
}

/// What the SELECT around a SELECT was counting of its own row.
#[derive(Default)]
struct SelectRow {
    expr_depth: usize,
    peak: u64,
    working: u64,
    reads: u64,
    rebuilds: u64,
}

/// The cost of a statement, tallied as the walk goes.
pub(super) struct Tally {
    dialect: Dialect,
    /// The characters the statement's searches look for, so far (see
    /// [`bounds::MAX_NEEDLE_CHARS`]).
    needles: usize,
    /// The relations its `FROM` clauses name, all together.
    relations: usize,
    gathers: bool,
    /// The most one gathered row may add to a gathered value beyond what
    /// the plan reads (see [`bounds::gathered_row_bytes`]).
    gathered_row_bytes: u64,
    computed_series: bool,
    tests_subqueries: bool,
    /// Queries being walked, the statement's own included: past one, a
    /// SELECT's rows may be hashed, gathered or joined (see
    /// [`Tally::kept_rows`]).
    queries_open: usize,
    /// Operands of a set operation being walked (`INTERSECT` hashes them).
    set_operands: usize,
    repeats_unforeseen: Option<String>,
    top_rows: Option<u64>,
    groups_hold_reads: bool,
    groups_keep_values: bool,
    renames_columns: bool,
    builds_from_reads: bool,
    /// The most copies of the values read one gathered row holds.
    gathered_copies: u64,
    /// The copies one row holds in the rows of the queries read by the
    /// query or SELECT being walked.
    row_copies: RowCopies,
    /// Whether the query being walked is read from as rows (in `FROM`, or
    /// a CTE), rather than as a value or a condition.
    in_from: bool,
    /// What the SELECT being walked computes in one row (see `copies::Bag`):
    /// how deep in one of its expressions the walk is, the most copies of a
    /// value read any value holds, the working memory of its splits, the
    /// values its calls read whole, the values it may rebuild.
    row: SelectRow,
    held_rebuilds: u64,
    /// The most copies of a value read that any value it computes holds.
    built_copies: u64,
    /// The working memory of its splits, added up over its SELECTs.
    split_working: u64,
    held_reads: u64,
    /// The most copies of the values read any row read in `FROM` holds so
    /// far (a CTE's, a subquery's): a search in a text read from such a row
    /// may search that many copies (see [`Tally::copies_of`]).
    read_copies: u64,
    parsed: Parsed,
    /// The copies one row of each CTE holds, by its id in the walk.
    ctes: Vec<u64>,
    /// What each query and SELECT being walked restores when it ends.
    bodies: Vec<Around>,
    /// Of each SELECT being walked: what it restores, its row's tally, and
    /// the copies its own projection holds.
    selects: Vec<(Around, SelectRow, u64)>,
    /// The copies the CTE being walked restores.
    ctes_around: Vec<RowCopies>,
    /// Before each subquery in `FROM`: the copies read so far, and the
    /// copies a row of the rows before it holds.
    derived: Vec<(u64, u64)>,
}

impl Tally {
    pub(super) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            needles: 0,
            relations: 0,
            gathers: false,
            gathered_row_bytes: 0,
            computed_series: false,
            tests_subqueries: false,
            queries_open: 0,
            set_operands: 0,
            repeats_unforeseen: None,
            top_rows: Some(0),
            groups_hold_reads: false,
            groups_keep_values: false,
            renames_columns: false,
            builds_from_reads: false,
            gathered_copies: 1,
            row_copies: RowCopies::default(),
            in_from: false,
            row: SelectRow::default(),
            held_rebuilds: 0,
            built_copies: 0,
            split_working: 0,
            held_reads: 0,
            read_copies: 1,
            parsed: Parsed::default(),
            ctes: Vec::new(),
            bodies: Vec::new(),
            selects: Vec::new(),
            ctes_around: Vec::new(),
            derived: Vec::new(),
        }
    }

    /// The cost of the statement `query` whose walk this tallied, once the
    /// sizes of what it builds are judged too.
    ///
    /// # Errors
    /// [`Refusal::TooLarge`] when a row of its result holds too many copies
    /// of a value, or when what it builds is too large (see `sizes`).
    pub(super) fn finish(mut self, query: &Query) -> Result<Cost, Refusal> {
        // What rows outside any SELECT compute (a `VALUES` of the statement,
        // of a CTE or of a UNION's branch) is held as a SELECT's row is.
        self.held_reads = self.held_reads.saturating_add(self.row.reads);
        self.held_rebuilds = self.held_rebuilds.saturating_add(self.row.rebuilds);
        let row_copies = self.row_copies.times(1);
        if row_copies > copies::MAX_ROW_COPIES {
            return Err(Refusal::TooLarge(Excess::RowCopies {
                copies: copies::shown(row_copies),
                of: None,
                max: copies::MAX_ROW_COPIES,
            }));
        }
        let sizes = sizes::judge(query, self.dialect)?;
        Ok(Cost {
            gathers: self.gathers,
            computed_series: self.computed_series,
            tests_subqueries: self.tests_subqueries,
            builds_from_reads: self.builds_from_reads,
            repeats_unforeseen: self.repeats_unforeseen,
            top_rows: self.top_rows,
            groups_hold_reads: self.groups_hold_reads,
            groups_keep_values: self.groups_keep_values,
            renames_columns: self.renames_columns,
            gathered_row_bytes: self.gathered_row_bytes,
            gathered_copies: self.gathered_copies,
            row_copies,
            built_copies: self.built_copies.max(row_copies),
            split_working: self.split_working,
            held_reads: self.held_reads,
            held_rebuilds: self.held_rebuilds,
            grows_by_reading: sizes.grows_by_reading,
            parsed: self.parsed,
            built_row_bytes: sizes.built_row_chars.saturating_mul(4),
            gathered_value_copies: sizes.gathered_value_copies,
            gathered_as_text: sizes.gathered_as_text,
            digits_read: sizes.digits_read,
            sought_chars: sizes.sought_chars,
            compared_reads: sizes.compared_reads,
        })
    }

    /// Starts counting the copies of a query or SELECT's rows (see
    /// [`RowCopies`]).
    fn enter_copies(&mut self) -> Around {
        Around {
            row_copies: std::mem::take(&mut self.row_copies),
            in_from: self.in_from,
        }
    }

    /// Ends counting the copies of a query or SELECT whose own projection
    /// holds `own` copies, and adds its rows' copies to the query around.
    fn leave_copies(&mut self, around: Around, own: u64) {
        let copies = self.row_copies.times(own);
        self.row_copies = around.row_copies;
        self.in_from = around.in_from;
        if self.in_from {
            self.read_rows(copies);
        } else {
            self.row_copies.other = self.row_copies.other.max(copies);
        }
    }

    /// Rows holding `copies` copies of the values they read are read in
    /// `FROM` (a subquery's, a CTE's).
    fn read_rows(&mut self, copies: u64) {
        self.row_copies.from = self.row_copies.from.saturating_add(copies);
        self.read_copies = self.read_copies.max(copies);
    }

    /// Whether a row of the query being walked may be kept whole: it is a
    /// subquery's, a CTE's or a set operation's operand's.
    fn rows_kept(&self) -> bool {
        self.queries_open > 1 || self.set_operands > 0
    }

    /// A row of a subquery, a CTE or a set operation's operand may be kept
    /// whole (the inner side of a hash join, a hashed `NOT IN` or
    /// `INTERSECT`, a gathering): on PostgreSQL, one that holds a value
    /// whose length its plan does not show ([`repeated_value`]) is noted
    /// for the executor, which refuses it when the plan keeps rows so
    /// (`Cost::repeats_unforeseen`): rows of one key each holding
    /// `(SELECT max(k.val) FROM kv k)`, hashed for a join, or a running
    /// `string_agg` hashed for `NOT IN`, hold far more than the plan shows.
    /// Joined instead (`CROSS JOIN (SELECT max(k.val) AS v FROM kv k) m`), the
    /// value is weighed.
    fn kept_rows(&mut self, item: &Expr) {
        if self.dialect == Dialect::Postgres && self.repeats_unforeseen.is_none() {
            self.repeats_unforeseen = repeated_value(item, true);
        }
    }

    /// How many copies of one value read a searched text holds, at least
    /// one: a search costs up to the text's length times what it looks for,
    /// so what it looks for counts once for each copy (`(x || x) LIKE '%…%'`
    /// searches the text twice over).
    /// A name may carry copies made in a CTE or a subquery (`x || x AS y`,
    /// then `y || y`): the text counts as many as any row read so far holds.
    fn copies_of(&self, text: &Expr) -> usize {
        let held = copies::of(text).most().0.max(1);
        usize::try_from(held.saturating_mul(self.read_copies)).unwrap_or(usize::MAX)
    }

    /// [`Self::copies_of`] the text a call searches: its first argument.
    fn searched_copies(&self, args: &[FunctionArg]) -> usize {
        args.first()
            .and_then(argument)
            .map_or(1, |text| self.copies_of(text))
    }

    /// Counts `sought` characters, searched for in `copies` copies of a
    /// text, against the statement's searches.
    fn sought(&mut self, sought: usize, copies: usize) -> Judged {
        bounds::add_needles(
            self.dialect,
            &mut self.needles,
            sought.saturating_mul(copies),
        )
    }

    /// Notes a call of a function that returns rows whose arguments are
    /// computed.
    fn series<'e>(&mut self, called: &str, args: impl IntoIterator<Item = Option<&'e Expr>>) {
        if self.dialect != Dialect::Postgres || !bounds::returns_rows(called) {
            return;
        }
        // The planner foresees a series' rows from integers only: over
        // dates, timestamps or numerics it guesses 1,000 whatever the span
        // (PostgreSQL has no estimate for them).
        let series = called == "generate_series";
        let args: Vec<Option<&Expr>> = args.into_iter().collect();
        let foreseen = args
            .iter()
            .all(|a| a.is_some_and(|a| is_constant(a) && (!series || bounds::integral(a))))
            || (series && bounds::short_time_series(&args));
        if !foreseen {
            self.computed_series = true;
        }
    }

    /// Notes that `expr` is parsed as another type: the names it reads
    /// values by (a subquery's too), or that what it reads cannot be told
    /// by name (a field of a row, `*`).
    fn parses(&mut self, expr: &Expr) {
        use std::ops::ControlFlow;
        let dialect = self.dialect;
        let parsed = &mut self.parsed;
        let _ = sqlparser::ast::visit_expressions(expr, |e| {
            parsed.as_text_parsed.extend(written_in(dialect, e));
            match e {
                Expr::Identifier(i) => {
                    parsed.any = true;
                    parsed.names.insert(fold(dialect, i));
                }
                Expr::CompoundIdentifier(parts) => {
                    parsed.any = true;
                    if let Some(last) = parts.last() {
                        parsed.names.insert(fold(dialect, last));
                    }
                }
                // A subquery's names are visited as the others are: a value
                // it returns is read by them.
                Expr::CompoundFieldAccess { .. }
                | Expr::Wildcard(_)
                | Expr::QualifiedWildcard(..) => {
                    parsed.any = true;
                    parsed.unresolved = true;
                }
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

impl Watch for Tally {
    fn query_entered(&mut self) {
        self.queries_open += 1;
    }

    fn query_left(&mut self) {
        self.queries_open -= 1;
    }

    fn body_entered(&mut self, query: &Query) {
        // A CTE may give a value read another name: the names parsed no
        // longer tell which columns they are.
        if query.with.is_some() {
            self.parsed.renamed = true;
        }
        let around = self.enter_copies();
        self.bodies.push(around);
    }

    fn body_left(&mut self) {
        if let Some(around) = self.bodies.pop() {
            self.leave_copies(around, 1);
        }
    }

    fn cte_entered(&mut self, id: usize, cte: &Cte, _recursive: bool) -> Judged {
        // PostgreSQL copies a CTE into every query that reads it when told
        // not to materialise it: nested ones read twice each double the
        // plan at every level.
        if cte.materialized == Some(CteAsMaterialized::NotMaterialized) {
            return Err(Refusal::TooLarge(Excess::NotMaterialized(
                cte.alias.name.to_string(),
            )));
        }
        // Until it is walked, a row of it holds one copy: what its own
        // recursive step reads of it; `sizes` weighs that growth (a step may
        // not double its value).
        if self.ctes.len() <= id {
            self.ctes.resize(id + 1, 1);
        }
        // A CTE's rows are read like a table's: its copies count where it
        // is read, as a subquery's in `FROM` do (a chain of CTEs each
        // doubling the last multiplies).
        self.in_from = true;
        let around = std::mem::take(&mut self.row_copies);
        self.ctes_around.push(around);
        Ok(())
    }

    fn cte_left(&mut self, id: usize, cte: &Cte) -> Judged {
        let held = self.row_copies.from.max(1);
        self.row_copies = self.ctes_around.pop().unwrap_or_default();
        if held > copies::MAX_ROW_COPIES {
            return Err(Refusal::TooLarge(Excess::RowCopies {
                copies: copies::shown(held),
                of: Some(cte.alias.name.value.clone()),
                max: copies::MAX_ROW_COPIES,
            }));
        }
        if let Some(copies) = self.ctes.get_mut(id) {
            *copies = held;
        }
        Ok(())
    }

    fn ctes_walked(&mut self) {
        self.in_from = false;
    }

    fn cte_read(&mut self, id: usize) {
        let copies = self.ctes.get(id).copied().unwrap_or(1);
        self.read_rows(copies);
    }

    fn set_operation_entered(&mut self) {
        self.set_operands += 1;
    }

    fn set_operation_left(&mut self) {
        self.set_operands -= 1;
    }

    fn values_walked(&mut self, values: &Values) {
        let mut own = 1;
        for row in &values.rows {
            // Its rows are kept as a subquery's are
            // (`(VALUES ((SELECT max(k.val) FROM kv k))) v(x)`).
            if self.rows_kept() {
                row.iter().for_each(|e| self.kept_rows(e));
            }
            let held = row
                .iter()
                .fold(copies::Bag::default(), |bag, e| bag.add(copies::of(e)));
            own = own.max(held.most().0);
        }
        // Its rows hold the copies its values make (`VALUES (x || x)`).
        self.row_copies.other = self.row_copies.other.max(own);
    }

    fn select_entered(&mut self) {
        let around = self.enter_copies();
        let row = std::mem::take(&mut self.row);
        self.selects.push((around, row, 1));
    }

    fn joins_entered(&mut self, from: &[TableWithJoins]) -> Judged {
        // The planner weighs every order of joining what one FROM joins,
        // in memory kept until the whole statement is planned, and many
        // relations take its genetic search past any deadline.
        let here: usize = from.iter().map(|t| 1 + t.joins.len()).sum();
        if here > MAX_FROM_RELATIONS {
            return Err(Refusal::TooLarge(Excess::Joined {
                relations: here,
                max: MAX_FROM_RELATIONS,
            }));
        }
        self.relations += here;
        if self.relations > MAX_RELATIONS {
            return Err(Refusal::TooLarge(Excess::Relations { max: MAX_RELATIONS }));
        }
        self.in_from = true;
        Ok(())
    }

    fn joins_left(&mut self) {
        self.in_from = false;
    }

    fn projection_walked(&mut self, projection: &[SelectItem], relations: u64) -> Judged {
        // A `*` holds a row of each relation of this FROM.
        let (most, name) = copies::of_projection(projection, relations).most();
        if most > copies::MAX_ROW_COPIES {
            return Err(Refusal::TooLarge(Excess::RowCopies {
                copies: copies::shown(most),
                of: Some(name.to_string()),
                max: copies::MAX_ROW_COPIES,
            }));
        }
        if let Some((_, _, own)) = self.selects.last_mut() {
            *own = most.max(1);
        }
        Ok(())
    }

    fn select_left(&mut self) -> Judged {
        // What it computes on the way is built from its input rows.
        let peak = self.row.peak.saturating_mul(self.row_copies.times(1));
        self.built_copies = self.built_copies.max(peak);
        // Every SELECT's row of the statement may be alive at once (a
        // subquery runs inside the row that asks for it).
        let working = self.row.working.saturating_mul(self.row_copies.times(1));
        self.split_working = self.split_working.saturating_add(working);
        self.held_reads = self.held_reads.saturating_add(self.row.reads);
        self.held_rebuilds = self.held_rebuilds.saturating_add(self.row.rebuilds);
        if peak > copies::MAX_ROW_COPIES {
            return Err(Refusal::TooLarge(Excess::ValueCopies {
                copies: copies::shown(peak),
                max: copies::MAX_ROW_COPIES,
            }));
        }
        if let Some((around, row, own)) = self.selects.pop() {
            self.row = row;
            self.leave_copies(around, own);
        }
        Ok(())
    }

    fn select_item(&mut self, expr: &Expr) {
        if self.rows_kept() {
            self.kept_rows(expr);
        }
        let bare = unnested(expr);
        let read_as_is = matches!(bare, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
        if !read_as_is && !short_excerpt(bare) && copies::of(expr).most().0 > 0 {
            self.builds_from_reads = true;
        }
    }

    /// Counts the rows a `LIMIT` (or `FETCH FIRST`) lets through with its
    /// `OFFSET` toward [`Cost::top_rows`]: PostgreSQL sorts the first
    /// rows of an `ORDER BY … LIMIT` in memory, as many as that, whatever
    /// `work_mem` says. Without a count, nothing is kept so.
    fn limited(&mut self, count: Option<&Expr>, offset: Option<&Expr>, share: bool) {
        let Some(count) = count else {
            return;
        };
        let written = |e: &Expr| integer(e).and_then(|n| u64::try_from(n.max(0)).ok());
        let offset = offset.map_or(Some(0), written);
        let kept = match (written(count), offset) {
            (Some(count), Some(offset)) if !share => Some(count.saturating_add(offset)),
            _ => None,
        };
        self.top_rows = match (self.top_rows, kept) {
            (Some(most), Some(kept)) => Some(most.max(kept)),
            _ => None,
        };
    }

    fn derived_entered(&mut self) {
        let before = self.row_copies.from;
        self.derived.push((before, before.max(1)));
    }

    fn derived_left(&mut self, lateral: bool) {
        let Some((before, preceding)) = self.derived.pop() else {
            return;
        };
        // A LATERAL subquery reads the rows before it in its FROM: its
        // copies of their values multiply theirs (`LATERAL (SELECT a.v ||
        // a.v …)` after `LATERAL (SELECT d.body || d.body …) a`).
        if lateral {
            let made = self.row_copies.from.saturating_sub(before);
            let held = made.saturating_mul(preceding);
            self.row_copies.from = before.saturating_add(held);
            self.read_copies = self.read_copies.max(held);
        }
    }

    fn relation_entered(&mut self, factor: &TableFactor) {
        // Anything but a table read by its name (a subquery, a function's
        // rows, `VALUES`, a table whose alias names its columns: `docs AS
        // d(i, t, b)`) may give a value read another name.
        let renames = match factor {
            TableFactor::Table {
                args: None, alias, ..
            } => alias.as_ref().is_some_and(|a| !a.columns.is_empty()),
            _ => true,
        };
        self.parsed.renamed |= renames;
    }

    fn columns_renamed(&mut self) {
        self.renames_columns = true;
    }

    fn expr_entered(&mut self, expr: &Expr) {
        if self.row.expr_depth == 0 {
            let bag = copies::of(expr);
            self.row.peak = self.row.peak.max(bag.peak());
            // Everything a row computes lives until the row is done.
            self.row.working = self.row.working.saturating_add(bag.working());
            self.row.reads = self.row.reads.saturating_add(bag.reads());
            self.row.rebuilds = self.row.rebuilds.saturating_add(copies::rebuilds(expr));
        }
        // A column written out whole as text (`j::text`, `concat(j)`).
        self.parsed.as_text.extend(written_in(self.dialect, expr));
        self.row.expr_depth += 1;
    }

    fn expr_left(&mut self) {
        self.row.expr_depth -= 1;
    }

    fn pattern(&mut self, what: &str, pattern: &Expr, text: &Expr) -> Judged {
        let sought = bounds::judge_pattern(what, pattern)?;
        self.sought(sought, self.copies_of(text))
    }

    fn position(&mut self, needle: &Expr, text: &Expr) -> Judged {
        let sought = bounds::judge_position(self.dialect, needle)?;
        self.sought(sought, self.copies_of(text))
    }

    fn subquery_tested(&mut self) {
        self.tests_subqueries = true;
    }

    fn converted(&mut self, expr: &Expr, data_type: Option<&DataType>) {
        if !data_type.is_some_and(is_text_type) {
            self.parses(expr);
        }
    }

    fn call(&mut self, called: &str, function: &Function) -> Judged {
        let Function { args, over, .. } = function;
        // ARRAY(SELECT …) gathers too, its subquery's rows.
        let gathers = bounds::gathers(called);
        self.gathers |= gathers;
        // An aggregate that keeps one of the values it is given, or
        // gathers them, holds in each group what it reads; a count or a
        // sum holds a number.
        let keeps = spec(called).is_some_and(|f| f.keeps_value) || gathers;
        // A sum or an average of numbers the statement computes keeps a
        // number as long as they may grow to (`sum(x * 10 ^ 1000)`, a group
        // made on a zero): any call but a count given more than a column or
        // a value written out counts as keeping, as the groups were weighed
        // before (a count of a recursion's rows by level keeps nothing).
        let computes = called != "count"
            && match args {
                FunctionArguments::List(list) => {
                    list.args.iter().filter_map(argument).any(|e| !plain(e))
                }
                FunctionArguments::Subquery(_) => true,
                FunctionArguments::None => false,
            };
        self.groups_keep_values |= (keeps || computes) && over.is_none();
        let FunctionArguments::List(list) = args else {
            return Ok(());
        };
        if keeps
            && over.is_none()
            && list
                .args
                .iter()
                .filter_map(argument)
                .any(|e| copies::of(e).most().0 > 0)
        {
            self.groups_hold_reads = true;
        }
        if gathers {
            for arg in list.args.iter().filter_map(argument) {
                if let Some(what) = repeated_value(arg, false) {
                    return Err(Refusal::TooLarge(Excess::RepeatedValue(what)));
                }
            }
        }
        if super::functions::parses_text(called) {
            for arg in &list.args {
                match argument(arg) {
                    Some(e) => self.parses(e),
                    None => {
                        self.parsed.any = true;
                        self.parsed.unresolved = true;
                    }
                }
            }
        }
        self.series(called, list.args.iter().map(argument));
        if gathers {
            self.gathered_row_bytes = self
                .gathered_row_bytes
                .max(bounds::gathered_row_bytes(&list.args));
            self.gathered_copies = self
                .gathered_copies
                .max(copies::of_arguments(&list.args).most().0);
        }
        let sought = bounds::sought(self.dialect, called, &list.args)?;
        self.sought(sought, self.searched_copies(&list.args))
    }

    fn table_call(&mut self, called: &str, args: &[FunctionArg]) -> Judged {
        self.series(called, args.iter().map(argument));
        // Read as rows, a call is counted as in an expression
        // (`string_to_table(body, <delimiter>)`, `regexp_matches(…)`).
        let sought = bounds::sought(self.dialect, called, args)?;
        self.sought(sought, self.searched_copies(args))
    }

    fn unnested(&mut self, arrays: &[Expr]) {
        self.series("unnest", arrays.iter().map(Some));
    }
}

/// A column as it is, or a value written out.
fn plain(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => plain(inner),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => true,
        e => is_constant(e),
    }
}

/// The last part of the name `expr` reads a whole column by, folded.
fn column_name(dialect: Dialect, expr: &Expr) -> Option<String> {
    match unnested(expr) {
        Expr::Identifier(i) => Some(fold(dialect, i)),
        Expr::CompoundIdentifier(parts) => parts.last().map(|last| fold(dialect, last)),
        _ => None,
    }
}

/// The columns `expr` itself writes out whole as text: a cast to a text
/// type, or a call that writes any value it is given (see
/// `Parsed::as_text`). Noted for every expression walked, and again for
/// those inside what a statement parses.
fn written_in(dialect: Dialect, expr: &Expr) -> Vec<String> {
    sizes::rendered_as_text(expr, |i| fold(dialect, i))
        .into_iter()
        .filter_map(|value| column_name(dialect, value))
        .collect()
}

/// The first value in `expr` that a row may hold at a length its plan does
/// not show: a subquery's value that may be long (`(SELECT max(k.val) FROM
/// kv k)`: the plan counts 32 bytes, and every row holding it holds a copy),
/// and, with `windows`, a value a window gathers (a running `string_agg`
/// grows with every row: n²/2 in all).
fn repeated_value(expr: &Expr, windows: bool) -> Option<String> {
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        let repeated = match e {
            Expr::Subquery(query) => long_subquery(query),
            Expr::Function(f) => {
                windows && f.over.is_some() && called(e).is_some_and(|name| bounds::gathers(&name))
            }
            _ => false,
        };
        if repeated {
            found = Some(short(e));
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

/// Whether a scalar subquery may return a long value: anything but one
/// item that answers about what it reads (`count(*)`, `max(o.amount)`… a
/// number or a truth), or cuts it to a length written out.
fn long_subquery(query: &Query) -> bool {
    copies::single_item(query).is_none_or(|e| !short_excerpt(e) && copies::of(e).most().0 > 0)
}

/// Whether `expr` keeps a part of a value of a length written out, short
/// whatever it is cut from (`left(d.body, 40)`, `substr(d.body, 1, 200)`,
/// `substring(d.body FROM 1 FOR 80)`).
fn short_excerpt(expr: &Expr) -> bool {
    let short = bounds::short_length;
    match expr {
        Expr::Substring { substring_for, .. } => short(substring_for.as_deref()),
        Expr::Function(f) => {
            let FunctionArguments::List(list) = &f.args else {
                return false;
            };
            let args: Vec<&Expr> = list.args.iter().filter_map(argument).collect();
            let excerpt = called(expr)
                .and_then(|name| spec(&name))
                .and_then(|f| f.args.iter().find(|(_, role)| *role == Role::Excerpt));
            excerpt.is_some_and(|&(i, _)| short(args.get(i).copied()))
        }
        _ => false,
    }
}
