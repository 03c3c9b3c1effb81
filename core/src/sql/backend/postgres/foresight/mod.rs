//! A bound on what each step of a PostgreSQL plan may pass on and keep
//! in memory ([`Foresight`]), read from its `EXPLAIN (FORMAT JSON)`: the
//! planner's estimates where they rest on what it knows, a worse case where
//! it guesses.

use super::measured::{HASH_ENTRY_BYTES, OutOfLine, Tables};

mod conditions;

/// A bound on the rows each step of a plan may pass on, for a query that
/// gathers rows into one value: the planner's estimates where they rest on
/// what it knows, and a worse case where it guesses.
/// - A table read passes at most the table's rows, whatever its filter (a
///   filter such as `length(x) = 32` is guessed at 0.5 % of the rows),
///   unless it reads through an index by a condition on the index's
///   columns and values of the statement alone (`client_id = 42`, a range
///   of dates), without a further filter: the planner estimates that from
///   the columns' statistics, as it does an equality of columns; or its
///   condition compares one column with values written out, and passes
///   the rows it keeps, counted before the statement runs (an index's, at
///   least so many: see `Tables::kept`).
/// - A join whose condition is not an equality of columns, or that filters
///   further, may pass every pair of its inputs (the planner guesses the
///   share a join filter keeps). An equality of columns is estimated from
///   the columns' statistics; its estimate grows by as much as its inputs'
///   bounds exceed their estimates.
/// - A recursion has no bound (nor has a function returning rows from
///   computed arguments, refused before the plan is read).
/// - Any other step passes at most what its inputs pass, never less than
///   its own estimate.
pub(super) struct Foresight<'p> {
    /// The tables the plan reads.
    tables: Tables,
    /// The plans of the CTEs, by name, and what they pass once known.
    ctes: std::collections::HashMap<String, &'p serde_json::Value>,
    cte_passed: std::collections::HashMap<String, (f64, Carried)>,
    /// What a table read carries beyond its width in the plan, by (table,
    /// alias): its values stored out of line.
    out_of_line: std::collections::HashMap<(String, String), OutOfLine>,
    /// What the statement says of its rows.
    reading: Reading,
    /// The most bytes a step may pass: its bound times its weight.
    heaviest: f64,
    /// The sub-plans the plan hashes in memory, by name.
    hashed_plans: std::collections::HashSet<String>,
    /// The most bytes the hash tables kept whole in memory may hold, together.
    hashed: f64,
    /// The most bytes the inner sides of hash joins may keep in memory, together.
    joined: f64,
    /// The sorts whose first rows a `LIMIT` keeps in memory, by address.
    bounded_sorts: std::collections::HashSet<usize>,
    /// The most bytes those first rows may hold, together.
    sorted: f64,
    /// The most bytes the values of hashed groups may grow to, together.
    grouped: f64,
    /// The longest values of the uncorrelated sub-plans above the step
    /// being weighed, together: each row read beneath them may hold them.
    inherited: f64,
}

/// What a statement says of the rows its plan passes (see `Validated`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    /// What a row weighs beyond its width in the plan: what the statement
    /// builds into it, or what a gathered row adds.
    pub(super) row_bytes: f64,
    /// A row holds values built of what it reads
    /// (`Cost::builds_from_reads`), not only their pointers.
    pub(super) builds_from_reads: bool,
    /// The most copies of a value read one row holds (`Cost::row_copies`):
    /// a window may copy another row's value into each row that many times.
    pub(super) row_copies: f64,
    /// The most rows a `LIMIT` lets through (`Cost::top_rows`).
    pub(super) top_rows: Option<u64>,
    /// An aggregate keeps in each group a value it reads
    /// (`Cost::groups_hold_reads`).
    pub(super) groups_hold_reads: bool,
    /// An aggregate keeps in each group a value, read or built
    /// (`Cost::groups_keep_values`).
    pub(super) groups_keep_values: bool,
}

/// What the rows a step passes on carry beyond their width in the plan:
/// values stored out of line, of which the plan counts the pointer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Carried {
    /// In all of its rows together: each value as often as the step may
    /// repeat the row that holds it.
    total: f64,
    /// In one row, at most.
    longest: f64,
}

impl Carried {
    /// The most `rows` rows carry: no more than all of it, nor than the
    /// longest in each. A step that picks one row (`max(k.val)`, a read
    /// through an index) carries that row's longest, not the table's
    /// average.
    fn bytes(self, rows: f64) -> f64 {
        if self.longest <= 0.0 {
            return 0.0;
        }
        self.total.min(rows * self.longest)
    }
}

/// What the steps beneath a step pass on to it (see [`Foresight::rows`]).
struct Inputs {
    /// The bound on each input's rows, and its estimate (sub-plans aside).
    inputs: Vec<(f64, f64)>,
    /// What each input's rows carry beyond their width.
    carried_in: Vec<Carried>,
    /// A hash join's inner side: its rows, what they carry and its width.
    hash_inner: Option<(f64, Carried, f64)>,
    /// The longest values of the correlated sub-plans the step's rows hold.
    evaluated: f64,
}

/// `a × b`, where nothing times an unbounded count is nothing.
fn times(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 { 0.0 } else { a * b }
}

/// What [`Foresight::weigh`] finds of a plan.
pub(super) struct Weights {
    /// The most bytes a step may pass on.
    pub(super) heaviest: f64,
    /// The most bytes the hash tables the server cannot spill may hold.
    pub(super) hashed: f64,
    /// The most bytes the hash joins may keep of their keys' rows.
    pub(super) joined: f64,
    /// The most bytes the first rows of `ORDER BY … LIMIT` may hold.
    pub(super) sorted: f64,
    /// The most bytes the values of hashed groups may grow to.
    pub(super) grouped: f64,
}

impl<'p> Foresight<'p> {
    /// The most bytes a step of `plan` may pass, and what it keeps in
    /// memory, the tables holding `tables` rows, carrying `out_of_line`,
    /// the statement `reading` so; `hash_memory` when the statement tests
    /// values against a subquery's rows (see
    /// [`Foresight::hashed_in_memory`]).
    pub(super) fn weigh(
        plan: &'p serde_json::Value,
        tables: Tables,
        out_of_line: std::collections::HashMap<(String, String), OutOfLine>,
        reading: Reading,
        hash_memory: Option<f64>,
    ) -> Weights {
        let mut foresight = Foresight {
            tables,
            ctes: std::collections::HashMap::new(),
            cte_passed: std::collections::HashMap::new(),
            out_of_line,
            reading,
            heaviest: 0.0,
            hashed_plans: Self::hashed_in_memory(plan, hash_memory)
                .into_iter()
                .filter_map(|h| h.strip_prefix("hashed ").map(str::to_owned))
                .collect(),
            hashed: 0.0,
            joined: 0.0,
            bounded_sorts: std::collections::HashSet::new(),
            sorted: 0.0,
            grouped: 0.0,
            inherited: 0.0,
        };
        foresight.collect_ctes(plan);
        foresight.rows(plan);
        Weights {
            heaviest: foresight.heaviest,
            hashed: foresight.hashed,
            joined: foresight.joined,
            sorted: foresight.sorted,
            grouped: foresight.grouped,
        }
    }

    /// Whether `plan` keeps rows in memory that no setting bounds, beyond
    /// its hash tables ([`Foresight::hashed_in_memory`]): the first rows of
    /// an `ORDER BY … LIMIT`, which the server sorts in a heap of as many
    /// rows as the `LIMIT` lets through and never spills, and the groups of
    /// a hashed `GROUP BY`, whose memory the server checks only when it
    /// makes a group (a group made on a short value may then grow by
    /// `max()` to the longest value read).
    pub(super) fn keeps_rows(node: &serde_json::Value) -> bool {
        let mut sorts = std::collections::HashSet::new();
        if node["Node Type"].as_str() == Some("Limit") {
            Self::children(node).for_each(|c| Self::bounded_sorts(c, &mut sorts));
        }
        !sorts.is_empty()
            || Self::groups_by_hash(node)
            || Self::children(node).any(Self::keeps_rows)
    }

    /// Whether `node` groups its rows in a hash table.
    fn groups_by_hash(node: &serde_json::Value) -> bool {
        node["Node Type"].as_str() == Some("Aggregate")
            && matches!(node["Strategy"].as_str(), Some("Hashed" | "Mixed"))
    }

    /// The sorts a `LIMIT` above `node` bounds, by address: the server
    /// passes the bound down through the steps that pass rows as they come.
    fn bounded_sorts(node: &serde_json::Value, into: &mut std::collections::HashSet<usize>) {
        if matches!(
            node["Parent Relationship"].as_str(),
            Some("InitPlan" | "SubPlan")
        ) {
            return;
        }
        match node["Node Type"].as_str() {
            Some("Sort" | "Incremental Sort") => {
                into.insert(std::ptr::from_ref(node) as usize);
            }
            Some(
                "Subquery Scan" | "Result" | "Append" | "Merge Append" | "Gather" | "Gather Merge",
            ) => Self::children(node).for_each(|c| Self::bounded_sorts(c, into)),
            _ => {}
        }
    }

    /// The hash tables `plan` keeps whole in memory, which no setting
    /// bounds: `hashed SubPlan N` for a sub-plan the plan hashes (`NOT
    /// IN (SELECT …)`), `SetOp` for a hashed `EXCEPT` or `INTERSECT`, and
    /// `Hash Join` for a join that may (the rows of one key: see
    /// [`Foresight::joined_by_hash`]).
    pub(super) fn hashed_in_memory(
        plan: &serde_json::Value,
        hash_memory: Option<f64>,
    ) -> Vec<String> {
        /// The texts of the plan, and the names of its sub-plans with the
        /// bytes the planner reckons they hold.
        fn walk<'a>(
            node: &'a serde_json::Value,
            texts: &mut Vec<&'a str>,
            subplans: &mut Vec<(&'a str, f64)>,
            into: &mut Vec<String>,
        ) {
            match node {
                serde_json::Value::String(text) => texts.push(text),
                serde_json::Value::Array(items) => {
                    items.iter().for_each(|i| walk(i, texts, subplans, into))
                }
                serde_json::Value::Object(fields) => {
                    let node_type = fields.get("Node Type").and_then(|t| t.as_str());
                    if node_type == Some("SetOp")
                        && fields.get("Strategy").and_then(|s| s.as_str()) == Some("Hashed")
                    {
                        into.push("SetOp".to_owned());
                    }
                    if node_type == Some("Hash Join") {
                        into.push("Hash Join".to_owned());
                    }
                    for (key, value) in fields {
                        match (key.as_str(), value) {
                            ("Subplan Name", serde_json::Value::String(name)) => {
                                let reckoned = ["Plan Rows", "Plan Width"]
                                    .iter()
                                    .map(|k| fields.get(*k).and_then(|v| v.as_f64()).unwrap_or(0.0))
                                    .product::<f64>();
                                subplans.push((name, reckoned));
                            }
                            _ => walk(value, texts, subplans, into),
                        }
                    }
                }
                _ => {}
            }
        }
        let (mut texts, mut subplans, mut found) = (Vec::new(), Vec::new(), Vec::new());
        walk(plan, &mut texts, &mut subplans, &mut found);
        for text in &texts {
            let mut rest = *text;
            while let Some(at) = rest.find("hashed SubPlan ") {
                let tail = &rest[at + "hashed SubPlan ".len()..];
                let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
                found.push(format!("hashed SubPlan {digits}"));
                rest = tail;
            }
        }
        // A sub-plan that no text of the plan names is used where the plan
        // does not show how (a select list, an aggregate's FILTER): when the
        // statement tests values against a subquery's rows, it is hashed if
        // the planner reckons it fits `hash_memory` (its rows times their
        // width: less than the planner's own reckoning, which adds each
        // entry's header), as `c.nom = ANY (SELECT d.body || d.body …)` in a
        // select list is; otherwise it is run again for every row, holding
        // nothing.
        if let Some(hash_memory) = hash_memory {
            for (name, reckoned) in subplans {
                if name.starts_with("SubPlan ")
                    && reckoned <= hash_memory
                    && !texts.iter().any(|t| Self::names(t, name))
                {
                    found.push(format!("hashed {name}"));
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    fn children(node: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
        node["Plans"].as_array().into_iter().flatten()
    }

    /// Whether a step of `node` may make one value of many rows: an
    /// aggregate, a window, or a subquery run for a value (`ARRAY(SELECT
    /// …)` is a sub-plan whose rows become one array).
    pub(super) fn aggregates(node: &serde_json::Value) -> bool {
        matches!(node["Node Type"].as_str(), Some("Aggregate" | "WindowAgg"))
            || matches!(
                node["Parent Relationship"].as_str(),
                Some("SubPlan" | "InitPlan")
            )
            || Self::children(node).any(Self::aggregates)
    }

    pub(super) fn relations(node: &serde_json::Value, into: &mut Vec<String>) {
        if let Some(name) = node["Relation Name"].as_str() {
            into.push(name.to_owned());
        }
        for child in Self::children(node) {
            Self::relations(child, into);
        }
    }

    /// The tables `node` reads, each with the alias it is read by.
    pub(super) fn table_reads(node: &serde_json::Value, into: &mut Vec<(String, String)>) {
        if let Some(name) = node["Relation Name"].as_str() {
            let alias = node["Alias"].as_str().unwrap_or(name);
            into.push((name.to_owned(), alias.to_owned()));
        }
        for child in Self::children(node) {
            Self::table_reads(child, into);
        }
    }

    fn collect_ctes(&mut self, node: &'p serde_json::Value) {
        if let Some(name) = node["Subplan Name"]
            .as_str()
            .and_then(|n| n.strip_prefix("CTE "))
        {
            self.ctes.insert(name.to_owned(), node);
        }
        for child in Self::children(node) {
            self.collect_ctes(child);
        }
    }

    fn cte(&mut self, name: &str) -> (f64, Carried) {
        if let Some(&passed) = self.cte_passed.get(name) {
            return passed;
        }
        // Guards against a CTE met again while it is being weighed.
        let unbounded = (f64::INFINITY, Carried::default());
        self.cte_passed.insert(name.to_owned(), unbounded);
        let passed = match self.ctes.get(name) {
            Some(plan) => self.rows(plan),
            None => unbounded,
        };
        self.cte_passed.insert(name.to_owned(), passed);
        passed
    }

    /// The bound on the rows `node` passes on, and what they carry beyond
    /// their width in the plan (values stored out of line); weighs it and
    /// every step beneath it on the way.
    fn rows(&mut self, node: &'p serde_json::Value) -> (f64, Carried) {
        let estimate = node["Plan Rows"].as_f64().unwrap_or(0.0);
        let node_type = node["Node Type"].as_str().unwrap_or_default();
        if node_type == "Limit" {
            let mut sorts = std::mem::take(&mut self.bounded_sorts);
            Self::children(node).for_each(|c| Self::bounded_sorts(c, &mut sorts));
            self.bounded_sorts = sorts;
        }
        // The values of sub-plans this step's rows may hold: a correlated
        // one's (a SubPlan), computed for this step's rows, unless the step
        // only tests it; an uncorrelated one's (an InitPlan), computed once
        // and usable by any step beneath the one it hangs from (the `LIMIT`
        // above a sort whose rows each hold `(SELECT max(k.val) FROM kv k)
        // || g`), by every row read beneath it. The server lists a
        // step's InitPlans before its other children.
        let inherited = self.inherited;
        let inputs = self.inputs(node, node_type);
        let (bound, matched, from_cte) = self.bound(node, node_type, estimate, &inputs.inputs);
        let mut carried = self.carried(
            node,
            bound,
            &inputs.inputs,
            &inputs.carried_in,
            matched,
            from_cte,
        );
        let held = inputs.evaluated
            + if inputs.inputs.is_empty() {
                self.inherited
            } else {
                0.0
            };
        self.inherited = inherited;
        if held > 0.0 {
            carried.longest += held;
            carried.total += times(bound, held);
        }
        self.weigh_kept(node, node_type, bound, carried, inputs);
        (bound, carried)
    }

    /// What the steps beneath `node` pass on to it, each weighed on the
    /// way; the longest values of its InitPlans are added to what each row
    /// read beneath it may hold (`inherited`), its hashed sub-plans to what
    /// hash tables keep.
    fn inputs(&mut self, node: &'p serde_json::Value, node_type: &str) -> Inputs {
        let mut inputs = Vec::new();
        let mut carried_in = Vec::new();
        let mut hash_inner = None;
        let mut evaluated = 0.0;
        for child in Self::children(node) {
            let (rows, carried) = self.rows(child);
            let cte = child["Subplan Name"]
                .as_str()
                .is_some_and(|name| name.starts_with("CTE "));
            match child["Parent Relationship"].as_str() {
                Some("InitPlan") if !cte => self.inherited += carried.longest,
                Some("SubPlan") if !Self::tests_only(node, child) => evaluated += carried.longest,
                _ => {}
            }
            let width = child["Plan Width"].as_f64().unwrap_or(0.0);
            if node_type == "Hash Join" && child["Parent Relationship"].as_str() == Some("Inner") {
                hash_inner = Some((rows, carried, width));
            }
            let hashed_here = child["Subplan Name"]
                .as_str()
                .is_some_and(|name| self.hashed_plans.contains(name));
            if hashed_here {
                self.hashed += rows * (width + self.reading.row_bytes + HASH_ENTRY_BYTES)
                    + carried.bytes(rows);
            }
            // Sub-plans run per row or once and give one value each; CTEs
            // are weighed where they are scanned.
            if !matches!(
                child["Parent Relationship"].as_str(),
                Some("InitPlan" | "SubPlan")
            ) {
                inputs.push((rows, child["Plan Rows"].as_f64().unwrap_or(0.0)));
                carried_in.push(carried);
            }
        }
        Inputs {
            inputs,
            carried_in,
            hash_inner,
            evaluated,
        }
    }

    /// The bound on the rows `node` (of type `node_type`, estimated at
    /// `estimate` rows) passes on, from those of its `inputs` (bound and
    /// estimate each); whether it is a join whose rows are the pairs that
    /// match, and what it carries when it scans a CTE.
    fn bound(
        &mut self,
        node: &serde_json::Value,
        node_type: &str,
        estimate: f64,
        inputs: &[(f64, f64)],
    ) -> (f64, bool, Option<Carried>) {
        let excess = |(bound, estimate): (f64, f64)| bound / estimate.max(1.0);
        let product = |inputs: &[(f64, f64)]| inputs.iter().map(|(b, _)| b).product::<f64>();
        let filtered = node.get("Join Filter").is_some();
        // A join whose rows are the planner's estimate of the pairs that
        // match, in which one input's row may meet many of the other's.
        let mut matched = false;
        let mut from_cte = None;
        let bound = match node_type {
            "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan" if Self::by_index(node) => self
                .kept_rows(node)
                .map_or(estimate, |kept| kept.max(estimate)),
            "Seq Scan" if self.kept_rows(node).is_some() => {
                self.kept_rows(node).unwrap_or(estimate)
            }
            "Seq Scan" | "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan" | "Tid Scan"
            | "Tid Range Scan" | "Sample Scan" => node["Relation Name"]
                .as_str()
                .and_then(|name| self.tables.rows(name))
                .unwrap_or(f64::INFINITY),
            "Recursive Union" | "WorkTable Scan" => f64::INFINITY,
            // A function's rows are known (generate_series of written-out
            // bounds: exactly); a filter on them is guessed, at 0.5 % for
            // an equality of expressions: each condition may hide 200 times
            // the rows it is said to keep.
            "Function Scan" | "Table Function Scan" => match node["Filter"].as_str() {
                Some(filter) => {
                    let conditions = filter.matches(" AND ").count() as i32 + 1;
                    estimate.max(1.0) * 200f64.powi(conditions)
                }
                None => estimate,
            },
            "CTE Scan" => {
                let name = node["CTE Name"].as_str().unwrap_or_default().to_owned();
                let (rows, carried) = self.cte(&name);
                from_cte = Some(carried);
                rows
            }
            // Each set of keys passes a row per group of its input, an empty
            // set one row, whatever the plan's estimate (one row for any
            // number of empty sets).
            "Aggregate" if node.get("Grouping Sets").is_some() => {
                let groups = inputs.iter().map(|(b, _)| *b).fold(1.0, f64::max);
                Self::grouping_sets(node)
                    .map(|keys| if keys == 0 { 1.0 } else { groups })
                    .sum()
            }
            "Aggregate" if node["Strategy"].as_str() == Some("Plain") => estimate,
            "Nested Loop" => match inputs {
                [outer, _] if !filtered && Self::parameterized(&node["Plans"][1]) => {
                    matched = true;
                    estimate * excess(*outer)
                }
                _ => product(inputs),
            },
            "Hash Join" | "Merge Join" => {
                let condition = node["Hash Cond"]
                    .as_str()
                    .or_else(|| node["Merge Cond"].as_str())
                    .unwrap_or_default();
                if filtered || !Self::equal_columns(condition) {
                    product(inputs)
                } else {
                    matched = true;
                    inputs.iter().copied().map(excess).product::<f64>() * estimate
                }
            }
            "Append" | "Merge Append" | "BitmapOr" => inputs.iter().map(|(b, _)| b).sum(),
            _ => inputs.iter().map(|(b, _)| *b).fold(estimate, f64::max),
        }
        .max(estimate);
        (bound, matched, from_cte)
    }

    /// Weighs what `node` keeps in memory of the `bound` rows it passes,
    /// carrying `carried`: the heaviest a step passes, a hashed set
    /// operation's rows, the first rows of a sort a `LIMIT` keeps, hashed
    /// groups' values, a hash join's inner side.
    fn weigh_kept(
        &mut self,
        node: &serde_json::Value,
        node_type: &str,
        bound: f64,
        carried: Carried,
        inputs: Inputs,
    ) {
        let Inputs {
            inputs,
            carried_in,
            hash_inner,
            ..
        } = inputs;
        let width = node["Plan Width"].as_f64().unwrap_or(0.0);
        let Reading {
            row_bytes,
            builds_from_reads,
            row_copies,
            top_rows,
            groups_hold_reads,
            groups_keep_values,
        } = self.reading;
        self.heaviest = self
            .heaviest
            .max(bound * (width + row_bytes) + carried.bytes(bound));
        // A hashed set operation keeps every distinct row of its inputs.
        if node_type == "SetOp" && node["Strategy"].as_str() == Some("Hashed") {
            self.hashed += inputs
                .iter()
                .zip(&carried_in)
                .map(|((rows, _), carried)| {
                    rows * (width + row_bytes + HASH_ENTRY_BYTES) + carried.bytes(*rows)
                })
                .sum::<f64>();
        }
        // The first rows of an `ORDER BY … LIMIT`, whole; what they carry
        // out of line only where the statement builds values of it (as
        // read, the rows keep their pointers).
        if self
            .bounded_sorts
            .contains(&(std::ptr::from_ref(node) as usize))
        {
            let kept = top_rows.map_or(bound, |n| bound.min(n as f64));
            let carried = if builds_from_reads {
                carried.bytes(kept)
            } else {
                0.0
            };
            self.sorted += kept * (width + row_bytes + HASH_ENTRY_BYTES) + carried;
        }
        // A hashed group's values grow after the group is made, unchecked:
        // each may pick the longest value its rows carry (`max(…)`), once
        // for each copy a row holds, or what the statement builds. Groups
        // that only count or sum do not grow: the server spills groups
        // past its memory as it makes them (PostgreSQL 13 on), however many
        // a recursion gives, so an org chart's head count by depth is not
        // refused.
        if Self::groups_by_hash(node) && groups_keep_values {
            let growing = Carried {
                total: carried_in.iter().map(|c| c.total).sum(),
                longest: carried_in.iter().map(|c| c.longest).fold(0.0, f64::max),
            };
            let carried = if groups_hold_reads {
                growing.bytes(bound) * row_copies
            } else {
                0.0
            };
            self.grouped += bound * row_bytes + carried;
        }
        if let Some(inner) = hash_inner {
            self.joined += self.joined_by_hash(node, inner);
        }
    }

    /// Whether `node` only tests the value of its sub-plan `sub` (names it
    /// in a condition): each use of a correlated subquery is a sub-plan of
    /// its own, so one used in a condition is not also held by the rows.
    fn tests_only(node: &serde_json::Value, sub: &serde_json::Value) -> bool {
        let name = sub["Subplan Name"].as_str().unwrap_or_default();
        [
            "Filter",
            "Join Filter",
            "Hash Cond",
            "Merge Cond",
            "Index Cond",
            "Recheck Cond",
            "One-Time Filter",
            "TID Cond",
        ]
        .iter()
        .filter_map(|key| node[*key].as_str())
        .any(|text| Self::names(text, name))
    }

    /// Whether `text` names the sub-plan `name` ("SubPlan 1"), not one
    /// whose number only begins so ("SubPlan 12").
    fn names(text: &str, name: &str) -> bool {
        !name.is_empty()
            && text
                .match_indices(name)
                .any(|(at, _)| !text[at + name.len()..].starts_with(|c: char| c.is_ascii_digit()))
    }

    /// What the `bound` rows of `node` carry, of what its `inputs` (their
    /// bounds and estimates) carry (`carried_in`), and of the tables it
    /// reads or the CTE it scans (`from_cte`).
    /// - A joined row carries a row of each side: in a product, each row of
    ///   one side meets every row of the other; where the planner estimates
    ///   the pairs that match (`matched`), one long value may meet many
    ///   rows (a long value joined to the many rows of one key), each row
    ///   carrying the longest of each side.
    /// - An aggregate of all its rows into one, or into several sets of
    ///   groups, may pick the longest value for each row it passes; a
    ///   window may copy it into every row (`max(k.val) OVER ()`), once for
    ///   each copy a row holds.
    /// - Any other step passes each row of its inputs at most once, or as
    ///   many times as its bound exceeds theirs (a set-returning function
    ///   in a select list).
    fn carried(
        &self,
        node: &serde_json::Value,
        bound: f64,
        inputs: &[(f64, f64)],
        carried_in: &[Carried],
        matched: bool,
        from_cte: Option<Carried>,
    ) -> Carried {
        let node_type = node["Node Type"].as_str().unwrap_or_default();
        let longest_in: f64 = carried_in.iter().map(|c| c.longest).fold(0.0, f64::max);
        let total_in: f64 = carried_in.iter().map(|c| c.total).sum();
        let mut carried = match node_type {
            "Nested Loop" | "Hash Join" | "Merge Join" => {
                let longest = carried_in.iter().map(|c| c.longest).sum::<f64>();
                let paired = carried_in
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let others = inputs
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .map(|(_, (b, _))| *b)
                            .product::<f64>();
                        times(c.total, others)
                    })
                    .sum::<f64>();
                let total = if matched {
                    paired.min(times(bound, longest))
                } else {
                    paired
                };
                Carried { total, longest }
            }
            "Aggregate"
                if node["Strategy"].as_str() == Some("Plain")
                    || node.get("Grouping Sets").is_some() =>
            {
                Carried {
                    total: times(bound, longest_in),
                    longest: longest_in,
                }
            }
            "WindowAgg" => Carried {
                total: total_in + times(bound, longest_in * self.reading.row_copies),
                longest: longest_in * (1.0 + self.reading.row_copies),
            },
            _ => {
                let passed: f64 = inputs.iter().map(|(b, _)| b).sum();
                let repeats = if passed > 0.0 && bound > passed {
                    bound / passed
                } else {
                    1.0
                };
                Carried {
                    total: times(total_in, repeats),
                    longest: longest_in,
                }
            }
        };
        if let Some(relation) = node["Relation Name"].as_str() {
            let alias = node["Alias"].as_str().unwrap_or(relation);
            if let Some(read) = self
                .out_of_line
                .get(&(relation.to_owned(), alias.to_owned()))
            {
                // Every row of the table, however few the read passes, or
                // all the rows its condition keeps.
                let rows = self.tables.rows(relation).unwrap_or(bound);
                carried.total += match read.kept {
                    Some(kept) => kept,
                    None => times(read.per_row, rows.max(bound)),
                };
                carried.longest += read.longest;
            }
        }
        if let Some(cte) = from_cte {
            carried.total += cte.total;
            carried.longest = carried.longest.max(cte.longest);
        }
        carried
    }

    /// What the inner side of a hash join may keep in memory. The server
    /// splits a hash join's inner rows into batches that fit `work_mem` by
    /// their key, and cannot split the rows of one key: then it keeps them
    /// all (the rows of a key computed alike, `a.id * 0 = b.k`, each holding
    /// a value built by `body || ''`).
    /// Joined on columns, the keys are the data's own, and the planner knows
    /// each row's width; what it cannot see is still held: the values a row
    /// carries out of line and what the statement builds into it. Joined on
    /// anything else, every row counts whole.
    /// `inner` is the join's inner side: its bound on rows, what they carry
    /// beyond their width, and its width. What a row carries out of
    /// line counts only when the statement builds values of what it reads:
    /// read as they are (`d.body`, `length(d.body)`), the server keeps only
    /// their pointers.
    fn joined_by_hash(
        &self,
        node: &serde_json::Value,
        (rows, carried, width): (f64, Carried, f64),
    ) -> f64 {
        let carried = if self.reading.builds_from_reads {
            carried.bytes(rows)
        } else {
            0.0
        };
        let on_columns = Self::equal_columns(node["Hash Cond"].as_str().unwrap_or_default());
        // A recursion's rows, which no plan foresees (a tree walked by
        // `c.parent = t.id`), are bounded by what the recursion may build
        // (`weigh_growth`) and by the deadline, not here.
        if on_columns && !rows.is_finite() {
            return 0.0;
        }
        let per_row = if on_columns {
            self.reading.row_bytes
        } else {
            width + self.reading.row_bytes + HASH_ENTRY_BYTES
        };
        rows * per_row + carried
    }

    /// The number of keys of each set of an aggregate's grouping sets.
    fn grouping_sets(node: &serde_json::Value) -> impl Iterator<Item = usize> + '_ {
        node["Grouping Sets"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|set| {
                ["Group Keys", "Hash Keys"]
                    .into_iter()
                    .filter_map(move |k| set[k].as_array())
                    .flatten()
            })
            .map(|keys| keys.as_array().map_or(1, Vec::len))
    }

    /// Whether a table read goes through an index by a condition whose
    /// values the statement holds (no parameter, no sub-plan's result,
    /// which the planner can only guess), and filters nothing further.
    fn by_index(node: &serde_json::Value) -> bool {
        let condition = node["Index Cond"]
            .as_str()
            .or_else(|| node["Recheck Cond"].as_str())
            .unwrap_or_default();
        node.get("Filter").is_none()
            && !condition.is_empty()
            && !condition.contains('$')
            && !condition.contains("SubPlan")
            && !condition.contains("InitPlan")
    }
}

#[cfg(test)]
mod tests;
