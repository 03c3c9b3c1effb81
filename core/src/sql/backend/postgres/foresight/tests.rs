use super::super::measured::OutOfLine;
use super::{Foresight, Reading};

/// A statement that builds values of what it reads, with no `LIMIT`.
const BUILDS: Reading = Reading {
    row_bytes: 0.0,
    builds_from_reads: true,
    row_copies: 1.0,
    top_rows: None,
    groups_hold_reads: true,
    groups_keep_values: true,
};

/// Ten-megabyte documents, every one of them, read by `alias`.
fn documents(alias: &str) -> std::collections::HashMap<(String, String), OutOfLine> {
    let each = OutOfLine {
        per_row: 10e6,
        longest: 10e6,
        kept: None,
        structured: 0.0,
    };
    [(("docs".to_owned(), alias.to_owned()), each)]
        .into_iter()
        .collect()
}

/// The most bytes a step of `plan` may pass when it reads `kv`, 101
/// rows of which one holds a value of 10 MB (99 kB a row on average),
/// and 120 of the series' rows.
fn heaviest_over_kv(plan: &serde_json::Value) -> f64 {
    weights_over_kv(plan, BUILDS).heaviest
}

/// What `plan` passes and keeps over `kv` (see [`heaviest_over_kv`]),
/// the statement `reading` so.
fn weights_over_kv(plan: &serde_json::Value, reading: Reading) -> super::Weights {
    let out_of_line = [(
        ("kv".to_owned(), "k".to_owned()),
        OutOfLine {
            per_row: 10e6 / 100.0,
            longest: 10e6,
            kept: None,
            structured: 0.0,
        },
    )]
    .into_iter()
    .collect();
    let tables = [("kv".to_owned(), 100.0)].into_iter().collect();
    Foresight::weigh(plan, tables, out_of_line, reading, None)
}

fn kv(estimate: f64, index: Option<&str>) -> serde_json::Value {
    let mut read = serde_json::json!({
        "Node Type": "Seq Scan", "Relation Name": "kv", "Alias": "k",
        "Plan Rows": estimate, "Plan Width": 36,
    });
    if let Some(condition) = index {
        read["Node Type"] = "Index Scan".into();
        read["Index Cond"] = condition.into();
    }
    read
}

fn series() -> serde_json::Value {
    serde_json::json!({
        "Node Type": "Function Scan", "Function Name": "generate_series",
        "Plan Rows": 120, "Plan Width": 4,
    })
}

/// `inner` beside each of the series' 120 rows (a cross join).
fn beside_series(inner: serde_json::Value, width: f64) -> serde_json::Value {
    serde_json::json!({
        "Node Type": "Nested Loop", "Plan Rows": 120, "Plan Width": width,
        "Plans": [series(), inner],
    })
}

/// The most bytes a step of `plan` may pass, the tables holding `rows`.
fn heaviest(plan: serde_json::Value, rows: f64) -> f64 {
    let tables = [("clients".to_owned(), rows)].into_iter().collect();
    Foresight::weigh(&plan, tables, Default::default(), BUILDS, None).heaviest
}

fn scan(alias: &str, rows: f64, filter: Option<&str>) -> serde_json::Value {
    let mut scan = serde_json::json!({
        "Node Type": "Seq Scan", "Relation Name": "clients", "Alias": alias,
        "Plan Rows": rows, "Plan Width": 33,
    });
    if let Some(filter) = filter {
        scan["Filter"] = filter.into();
    }
    scan
}

#[test]
fn a_subquery_the_plan_does_not_name_is_hashed_when_the_planner_reckons_it_fits() {
    // `SELECT c.id, c.nom = ANY (SELECT …) FROM clients c`: the select
    // list, where the plan does not say "hashed SubPlan 1".
    let plan = |rows: f64, filter: Option<&str>| {
        let mut sub = scan("d", rows, None);
        sub["Parent Relationship"] = "SubPlan".into();
        sub["Subplan Name"] = "SubPlan 1".into();
        let mut outer = scan("c", 3000.0, filter);
        outer["Plans"] = serde_json::json!([sub]);
        outer
    };
    let four_mib = Some(4.0 * 1024.0 * 1024.0);
    let hashed = |plan: &serde_json::Value, memory| {
        Foresight::hashed_in_memory(plan, memory).contains(&"hashed SubPlan 1".to_owned())
    };
    assert!(hashed(&plan(40.0, None), four_mib));
    // Reckoned past the hash memory: run again for each row instead.
    assert!(!hashed(&plan(1e6, None), four_mib));
    // Named in a filter without "hashed": not hashed.
    assert!(!hashed(&plan(40.0, Some("(SubPlan 1)")), four_mib));
    // Nor is "SubPlan 12" the first one.
    assert!(hashed(&plan(40.0, Some("(SubPlan 12)")), four_mib));
    // A statement that tests no values against a subquery's rows.
    assert!(!hashed(&plan(40.0, None), None));
}

#[test]
fn a_filter_the_planner_guesses_is_weighed_as_if_it_kept_every_row() {
    // `FROM clients WHERE length(nom) = 32`: 15 rows guessed of 3,000.
    let plan = scan("clients", 15.0, Some("(length(nom) = 32)"));
    assert_eq!(heaviest(plan, 3000.0), 3000.0 * 33.0);
    // Two such reads joined by a filter: every pair.
    let join = serde_json::json!({
        "Node Type": "Nested Loop", "Plan Rows": 225, "Plan Width": 66,
        "Join Filter": "(length((a.nom || b.nom)) = 64)",
        "Plans": [scan("a", 3000.0, None), scan("b", 3000.0, None)],
    });
    assert_eq!(heaviest(join, 3000.0), 9e6 * 66.0);
}

#[test]
fn a_filter_comparing_one_column_with_written_values_keeps_the_planners_estimate() {
    let trusted = [
        "(id = 42)",
        "(client_id = 42)",
        "((status)::text = 'actif'::text)",
        "((day >= '2025-01-01'::date) AND (day < '2025-02-01'::date))",
        "(amount > '-10.5'::numeric)",
        "(\"Kelvin\" <> 3)",
        "('o''brien'::text = nom)",
    ];
    for filter in trusted {
        assert!(Foresight::compares_one_column(filter), "{filter}");
    }
    let guessed = [
        "(length(nom) = 32)",
        "((client_id = 42) AND (id = 7))",
        "((id = 42) OR (id = 43))",
        "(id = $0)",
        "(id = (SubPlan 1))",
        "(nom = upper(nom))",
        "(client_id = id)",
        "(note = 'a AND b'::text)",
        "((id + 0) = 42)",
        "(nom ~~ 'a%'::text)",
    ];
    for filter in guessed {
        assert!(!Foresight::compares_one_column(filter), "{filter}");
    }
    // `FROM clients c JOIN orders o ON o.client_id = c.id WHERE c.id =
    // 42`, planned as a product of two filtered reads: the rows of
    // client 42, not every pair (once refused as every pair).
    let pair = serde_json::json!({
        "Node Type": "Nested Loop", "Plan Rows": 7, "Plan Width": 66,
        "Plans": [scan("c", 1.0, Some("(id = 42)")), scan("o", 7.0, Some("(client_id = 42)"))],
    });
    // The rows each keeps, counted: 60 where the planner expected 7 (a
    // value added since the last ANALYZE).
    let counted = super::Tables {
        rows: [("clients".to_owned(), 3000.0)].into_iter().collect(),
        kept: [
            (("clients".to_owned(), "c".to_owned()), 1.0),
            (("clients".to_owned(), "o".to_owned()), 60.0),
        ]
        .into_iter()
        .collect(),
        conditions: Default::default(),
    };
    let weights = Foresight::weigh(&pair, counted, Default::default(), BUILDS, None);
    assert_eq!(weights.heaviest, 60.0 * 66.0);
    // Not counted, the planner's share counts for nothing: every row.
    assert_eq!(heaviest(pair, 3000.0), 9e6 * 66.0);
}

#[test]
fn a_read_through_an_index_by_written_values_keeps_the_planners_estimate() {
    let read = |condition: &str, filter: Option<&str>| {
        let mut read = serde_json::json!({
            "Node Type": "Bitmap Heap Scan", "Relation Name": "clients",
            "Plan Rows": 8, "Plan Width": 33, "Recheck Cond": condition,
        });
        if let Some(filter) = filter {
            read["Filter"] = filter.into();
        }
        heaviest(read, 400_000.0)
    };
    assert_eq!(read("(client_id = 42)", None), 8.0 * 33.0);
    // A further filter the planner guesses, or a value it cannot see.
    assert_eq!(
        read("(client_id = 42)", Some("(length(nom) = 32)")),
        400_000.0 * 33.0
    );
    assert_eq!(read("(client_id = $0)", None), 400_000.0 * 33.0);
}

#[test]
fn an_equality_of_columns_keeps_the_planners_estimate() {
    let join = |condition: &str| {
        serde_json::json!({
            "Node Type": "Hash Join", "Plan Rows": 3000, "Plan Width": 66,
            "Hash Cond": condition,
            "Plans": [scan("a", 3000.0, None), {
                "Node Type": "Hash", "Plan Rows": 3000, "Plan Width": 33,
                "Plans": [scan("b", 3000.0, None)],
            }],
        })
    };
    assert_eq!(heaviest(join("(b.id = a.id)"), 3000.0), 3000.0 * 66.0);
    assert_eq!(
        heaviest(join("((b.id = a.id) AND (b.k = a.k))"), 3000.0),
        3000.0 * 66.0
    );
    // An equality of expressions is guessed from a default share.
    assert_eq!(
        heaviest(join("((b.id % 2) = (a.id % 2))"), 3000.0),
        9e6 * 66.0
    );
}

#[test]
fn a_recursion_has_no_bound_and_a_cte_weighs_what_it_reads() {
    let recursion = serde_json::json!({
        "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
        "Plans": [
            {"Node Type": "Recursive Union", "Parent Relationship": "InitPlan",
             "Subplan Name": "CTE r", "Plan Rows": 101, "Plan Width": 4, "Plans": [
                {"Node Type": "Result", "Plan Rows": 1, "Plan Width": 4},
                {"Node Type": "WorkTable Scan", "Plan Rows": 10, "Plan Width": 4},
             ]},
            {"Node Type": "CTE Scan", "CTE Name": "r", "Plan Rows": 101, "Plan Width": 4},
        ],
    });
    assert!(heaviest(recursion, 3000.0).is_infinite());
    let cte = serde_json::json!({
        "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
        "Plans": [
            {"Node Type": "Seq Scan", "Parent Relationship": "InitPlan",
             "Subplan Name": "CTE a", "Relation Name": "clients",
             "Plan Rows": 15, "Plan Width": 33, "Filter": "(length(nom) = 32)"},
            {"Node Type": "CTE Scan", "CTE Name": "a", "Plan Rows": 15, "Plan Width": 32},
        ],
    });
    assert_eq!(heaviest(cte, 3000.0), 3000.0 * 33.0);
}

#[test]
fn a_filter_on_a_function_scan_may_hide_what_it_is_guessed_to_keep() {
    // `FROM clients, generate_series(1, 120) g WHERE g + 0 = g`: one
    // row guessed of 120.
    let series = |filter: Option<&str>| {
        let mut scan = serde_json::json!({
            "Node Type": "Function Scan", "Function Name": "generate_series",
            "Plan Rows": 1, "Plan Width": 4,
        });
        if let Some(filter) = filter {
            scan["Filter"] = filter.into();
        }
        scan
    };
    let joined = |inner: serde_json::Value| {
        serde_json::json!({
            "Node Type": "Nested Loop", "Plan Rows": 1, "Plan Width": 37,
            "Plans": [scan("c", 1.0, None), inner],
        })
    };
    assert_eq!(heaviest(joined(series(None)), 1.0), 37.0);
    assert_eq!(
        heaviest(joined(series(Some("((g + 0) = g)"))), 1.0),
        200.0 * 37.0
    );
    assert_eq!(
        heaviest(
            joined(series(Some("(((g + 0) = g) AND ((g * 1) = g))"))),
            1.0
        ),
        40_000.0 * 37.0
    );
}

#[test]
fn a_row_picked_among_others_carries_the_longest_value_not_the_average() {
    // Each row of kv beside each of the series: 120 times all of kv.
    let product = beside_series(kv(100.0, None), 40.0);
    assert_eq!(heaviest_over_kv(&product), 120.0 * (100.0 * 40.0 + 10e6));
    // `(SELECT max(k.val) AS v FROM kv k) t, generate_series(1, 120)`:
    // the one row of the aggregate may hold the longest value, as may the
    // one row an index finds (`WHERE k.id = 1000`).
    let maximum = serde_json::json!({
        "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
        "Plans": [kv(100.0, None)],
    });
    assert_eq!(
        heaviest_over_kv(&beside_series(maximum, 36.0)),
        120.0 * (36.0 + 10e6)
    );
    let by_key = kv(1.0, Some("(id = 1000)"));
    assert_eq!(
        heaviest_over_kv(&beside_series(by_key, 40.0)),
        120.0 * (40.0 + 10e6)
    );
    // `max(k.val) OVER ()`: every row may hold a copy beside its own.
    let window = serde_json::json!({
        "Node Type": "WindowAgg", "Plan Rows": 100, "Plan Width": 68,
        "Plans": [kv(100.0, None)],
    });
    assert_eq!(
        heaviest_over_kv(&window),
        100.0 * 68.0 + 10e6 + 100.0 * 10e6
    );
    // A join the planner estimates from the columns may meet the long
    // value's row as often as it passes rows.
    let matched = serde_json::json!({
        "Node Type": "Hash Join", "Plan Rows": 60, "Plan Width": 40,
        "Hash Cond": "(x.k = k.id)",
        "Plans": [series(), {
            "Node Type": "Hash", "Plan Rows": 100, "Plan Width": 36,
            "Plans": [kv(100.0, None)],
        }],
    });
    assert_eq!(heaviest_over_kv(&matched), 60.0 * (40.0 + 10e6));
}

#[test]
fn the_first_rows_of_a_limit_and_the_values_of_hashed_groups_stay_in_memory() {
    // `… ORDER BY g DESC LIMIT 200` of kv's rows beside the series'
    // 120, each holding `k.val || g`.
    let product = || beside_series(kv(100.0, None), 40.0);
    let sorted = |limit: Option<serde_json::Value>, reading: Reading| {
        let sort = serde_json::json!({
            "Node Type": "Sort", "Parent Relationship": "Outer",
            "Plan Rows": 12000, "Plan Width": 40, "Plans": [product()],
        });
        let plan = match limit {
            Some(mut limit) => {
                limit["Plans"] = serde_json::json!([{
                    "Node Type": "Subquery Scan", "Parent Relationship": "Outer",
                    "Plan Rows": 12000, "Plan Width": 40, "Plans": [sort],
                }]);
                limit
            }
            None => sort,
        };
        weights_over_kv(&plan, reading).sorted
    };
    let limit =
        || Some(serde_json::json!({"Node Type": "Limit", "Plan Rows": 200, "Plan Width": 40}));
    let top = Reading {
        top_rows: Some(200),
        ..BUILDS
    };
    // Each of the 200 rows may hold the long value: all of kv's rows
    // beside the series hold no more than 1.2 GB.
    assert_eq!(sorted(limit(), top), 200.0 * 104.0 + 1.2e9);
    // A LIMIT of a computed count keeps as many as reach the sort.
    assert_eq!(sorted(limit(), BUILDS), 12000.0 * 104.0 + 1.2e9);
    // Values as read are kept by their pointers.
    let as_read = Reading {
        builds_from_reads: false,
        ..top
    };
    assert_eq!(sorted(limit(), as_read), 200.0 * 104.0);
    // Without a LIMIT, the sort spills to disk past work_mem.
    assert_eq!(sorted(None, top), 0.0);
    // `max(k.val || g) … GROUP BY g % 100`, hashed: every group may
    // grow to the longest value.
    let grouped_by = |strategy: &str, reading: Reading| {
        let plan = serde_json::json!({
            "Node Type": "Aggregate", "Strategy": strategy, "Plan Rows": 100,
            "Plan Width": 36, "Plans": [product()],
        });
        weights_over_kv(&plan, reading).grouped
    };
    let grouped = |strategy: &str| grouped_by(strategy, BUILDS);
    assert_eq!(grouped("Hashed"), 1.2e9);
    assert_eq!(grouped("Sorted"), 0.0);
    // Groups that only count or sum keep nothing that grows: the server
    // spills them as it makes them.
    let counts = Reading {
        groups_hold_reads: false,
        groups_keep_values: false,
        row_bytes: 64.0,
        ..BUILDS
    };
    assert_eq!(grouped_by("Hashed", counts), 0.0);
    // Over a recursion's rows, which no plan foresees, as well.
    let recursion = serde_json::json!({
        "Node Type": "Aggregate", "Strategy": "Hashed", "Plan Rows": 200, "Plan Width": 12,
        "Plans": [{"Node Type": "WorkTable Scan", "Plan Rows": 10, "Plan Width": 4}],
    });
    assert_eq!(weights_over_kv(&recursion, counts).grouped, 0.0);
    let keeps = Reading {
        groups_keep_values: true,
        ..counts
    };
    assert!(weights_over_kv(&recursion, keeps).grouped.is_infinite());
}

#[test]
fn a_subquerys_value_is_held_by_the_rows_it_may_be_used_in() {
    let maximum = |relationship: &str, name: &str| {
        serde_json::json!({
            "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
            "Parent Relationship": relationship, "Subplan Name": name,
            "Plans": [kv(100.0, None)],
        })
    };
    // `(SELECT max(k.val) FROM kv k) || g … ORDER BY g DESC LIMIT 200`:
    // the InitPlan hangs from the LIMIT, above the sort whose rows hold
    // its value.
    let series = serde_json::json!({
        "Node Type": "Function Scan", "Function Name": "generate_series",
        "Plan Rows": 700, "Plan Width": 36,
    });
    let plan = serde_json::json!({
        "Node Type": "Limit", "Plan Rows": 200, "Plan Width": 36,
        "Plans": [maximum("InitPlan", "InitPlan 1 (returns $0)"), {
            "Node Type": "Sort", "Parent Relationship": "Outer",
            "Plan Rows": 700, "Plan Width": 36, "Plans": [series.clone()],
        }],
    });
    let top = Reading {
        top_rows: Some(200),
        ..BUILDS
    };
    assert_eq!(
        weights_over_kv(&plan, top).sorted,
        200.0 * (36.0 + 64.0) + 200.0 * 10e6
    );
    // A correlated subquery's value, held by the rows of the step that
    // computes it, unless the step only tests it.
    let scan = |filter: Option<&str>| {
        let mut scan = series.clone();
        scan["Plans"] = serde_json::json!([maximum("SubPlan", "SubPlan 1")]);
        if let Some(filter) = filter {
            scan["Filter"] = filter.into();
        }
        heaviest_over_kv(&scan)
    };
    assert_eq!(scan(None), 700.0 * (36.0 + 10e6));
    // Tested only: the heaviest step is kv's own read.
    assert_eq!(scan(Some("((SubPlan 1) IS NOT NULL)")), 100.0 * 36.0 + 10e6);
}

#[test]
fn an_aggregate_over_grouping_sets_passes_a_row_for_each_empty_set() {
    // `GROUP BY GROUPING SETS ((), (), …)`, 120 times: the plan says one
    // row.
    let sets = vec![serde_json::json!([]); 120];
    let grouped = serde_json::json!({
        "Node Type": "Aggregate", "Strategy": "Plain", "Plan Rows": 1, "Plan Width": 32,
        "Grouping Sets": [{"Group Keys": sets}],
        "Plans": [kv(100.0, None)],
    });
    assert_eq!(heaviest_over_kv(&grouped), 120.0 * (32.0 + 10e6));
    // A set of keys passes up to a row per row of its input.
    let keyed = serde_json::json!({
        "Node Type": "Aggregate", "Strategy": "Mixed", "Plan Rows": 3, "Plan Width": 32,
        "Grouping Sets": [{"Hash Keys": [["k.id"]]}, {"Group Keys": [[]]}],
        "Plans": [kv(100.0, None)],
    });
    assert_eq!(heaviest_over_kv(&keyed), 101.0 * 32.0 + 101.0 * 10e6);
}

#[test]
fn values_stored_out_of_line_weigh_their_length_not_their_pointer() {
    // `string_agg(d.body, ',')` over 200 documents of 10 MB, each an
    // 18-byte pointer in the plan, joined to 3 clients by a filter.
    let docs = serde_json::json!({
        "Node Type": "Seq Scan", "Relation Name": "docs", "Alias": "d",
        "Plan Rows": 200, "Plan Width": 18,
    });
    let out_of_line = documents("d");
    let tables = [("docs".to_owned(), 200.0), ("clients".to_owned(), 3.0)]
        .into_iter()
        .collect();
    let alone = Foresight::weigh(&docs, tables, out_of_line, BUILDS, None).heaviest;
    assert_eq!(alone, 200.0 * (18.0 + 10e6));
    let joined = serde_json::json!({
        "Node Type": "Nested Loop", "Plan Rows": 200, "Plan Width": 51,
        "Join Filter": "(c.id <> d.id)",
        "Plans": [docs, scan("c", 3.0, None)],
    });
    let out_of_line = documents("d");
    let tables = [("docs".to_owned(), 200.0), ("clients".to_owned(), 3.0)]
        .into_iter()
        .collect();
    let every_pair = Foresight::weigh(&joined, tables, out_of_line, BUILDS, None).heaviest;
    assert_eq!(every_pair, 600.0 * (51.0 + 10e6));
    // Another alias of the same table reads other columns.
    let other = serde_json::json!({
        "Node Type": "Seq Scan", "Relation Name": "docs", "Alias": "e",
        "Plan Rows": 200, "Plan Width": 18,
    });
    let out_of_line = documents("d");
    let tables = [("docs".to_owned(), 200.0)].into_iter().collect();
    assert_eq!(
        Foresight::weigh(&other, tables, out_of_line, BUILDS, None).heaviest,
        200.0 * 18.0
    );
}
