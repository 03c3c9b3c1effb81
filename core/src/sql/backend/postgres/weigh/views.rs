//! The views a statement reads, weighed with it: how many reads of tables
//! they expand into before the planner holds them all in memory, and what
//! their own queries gather, on the statement's own plan.

use super::*;

/// The relations `query` names that its `plan` does not read, by name as
/// stored: a view (the plan reads its tables), or a partitioned table (the
/// plan reads its partitions).
pub(super) fn unplanned(query: &Validated, plan: &serde_json::Value) -> Vec<String> {
    let mut relations = Vec::new();
    Foresight::relations(plan, &mut relations);
    query
        .objects
        .iter()
        .map(|object| {
            let last = object.rsplit('.').next().unwrap_or(object);
            match last.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => last.to_ascii_lowercase(),
            }
        })
        .filter(|name| !relations.iter().any(|r| r == name))
        .collect()
}

/// The most reads of tables the views a statement names may expand into
/// (see [`weigh_expansion`]).
pub(super) const MAX_EXPANDED_SCANS: u64 = 256;

/// How many views deep [`weigh_expansion`] and [`weigh_views`] follow
/// views read by views.
pub(super) const MAX_EXPANSION_DEPTH: usize = 16;

/// The views among `names`, each with its definition (`pg_get_viewdef`),
/// found as the statement finds them: on the search path.
pub(super) async fn view_definitions(
    conn: &mut sqlx::PgConnection,
    names: &[String],
) -> Result<Vec<(String, String)>, ExecError> {
    sqlx::query_as(
        "SELECT c.relname::text, pg_get_viewdef(c.oid) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = ANY($1) AND c.relkind = 'v' \
           AND n.nspname = ANY(current_schemas(false))",
    )
    .bind(names)
    .persistent(false)
    .fetch_all(&mut *conn)
    .await
    .map_err(cancelled)
}

/// The relations `sql` names, each with how often it names it, folded as
/// PostgreSQL folds a name (unquoted: ASCII lower case); `None` when it
/// cannot be parsed.
pub(super) fn named_relations(sql: &str) -> Option<std::collections::HashMap<String, u64>> {
    let statements =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql)
            .ok()?;
    let mut named = std::collections::HashMap::new();
    let _ = sqlparser::ast::visit_relations(&statements, |relation| {
        if let Some(sqlparser::ast::ObjectNamePart::Identifier(last)) = relation.0.last() {
            let name = match last.quote_style {
                Some(_) => last.value.clone(),
                None => last.value.to_ascii_lowercase(),
            };
            *named.entry(name).or_insert(0u64) += 1;
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    Some(named)
}

/// Refuses, before the planner sees it, a statement whose views expand
/// into more than [`MAX_EXPANDED_SCANS`] reads of tables: the planner
/// expands every view a statement reads, and every view those read, and
/// plans all of it at once in memory, before any deadline can stop it
/// (views that each read the one before twice by `UNION ALL` double the
/// reads at every level). Counted from the views' definitions, each
/// reference once for every time it is read; a definition that cannot be
/// parsed counts as one read.
pub(in super::super) async fn weigh_expansion(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
) -> Result<(), ExecError> {
    use std::collections::HashMap;
    let Some(top) = named_relations(&query.text) else {
        return Ok(());
    };
    // Each view met, with the relations its definition names.
    let mut views: HashMap<String, HashMap<String, u64>> = HashMap::new();
    let mut seen: std::collections::HashSet<String> = top.keys().cloned().collect();
    let mut frontier: Vec<String> = top.keys().cloned().collect();
    let mut depth = 0;
    while !frontier.is_empty() {
        if depth == MAX_EXPANSION_DEPTH {
            return Err(ExecError::TooHeavy(Heavy::ViewsExpand {
                scans: None,
                max: MAX_EXPANDED_SCANS,
            }));
        }
        depth += 1;
        let found = view_definitions(conn, &frontier).await?;
        frontier.clear();
        for (view, definition) in found {
            let named = named_relations(&definition).unwrap_or_default();
            for name in named.keys() {
                if seen.insert(name.clone()) {
                    frontier.push(name.clone());
                }
            }
            views.insert(view, named);
        }
    }
    // The reads of tables a relation expands into: one for a table.
    fn scans(
        name: &str,
        views: &HashMap<String, HashMap<String, u64>>,
        memo: &mut HashMap<String, u64>,
        depth: usize,
    ) -> u64 {
        let Some(named) = views.get(name) else {
            return 1;
        };
        if let Some(known) = memo.get(name) {
            return *known;
        }
        let total = match depth < MAX_EXPANSION_DEPTH {
            true => named.iter().fold(0u64, |sum, (child, times)| {
                sum.saturating_add(times.saturating_mul(scans(child, views, memo, depth + 1)))
            }),
            false => u64::MAX,
        };
        memo.insert(name.to_owned(), total.max(1));
        total.max(1)
    }
    let mut memo = HashMap::new();
    let total = top.iter().fold(0u64, |sum, (name, times)| {
        sum.saturating_add(times.saturating_mul(scans(name, &views, &mut memo, 0)))
    });
    match total > MAX_EXPANDED_SCANS {
        true => Err(ExecError::TooHeavy(Heavy::ViewsExpand {
            scans: Some(total),
            max: MAX_EXPANDED_SCANS,
        })),
        false => Ok(()),
    }
}

/// Weighs the query of each view `query` reads as part of it: the view's
/// definition (`pg_get_viewdef`) is judged by the validator and weighed
/// ([`weigh_within`]) on the statement's own plan, which reads the view's
/// tables, so that a view that gathers is weighed as a gathering written
/// out would be (a view gathering rows into one array holds all of it
/// however plainly it is read). A definition the validator
/// refuses for its size refuses the statement; one refused for anything
/// else (a function or a schema outside the policy: views are the
/// database's owners', not the asker's) is not weighed: the validator's
/// other rules are the asker's, not the view's.
pub(super) async fn weigh_views(
    conn: &mut sqlx::PgConnection,
    query: &Validated,
    plan: &serde_json::Value,
    depth: usize,
) -> Result<(), ExecError> {
    use crate::sql::validate::{Policy, Refusal, validate};
    let unplanned = unplanned(query, plan);
    if unplanned.is_empty() {
        return Ok(());
    }
    for (view, definition) in view_definitions(conn, &unplanned).await? {
        if depth >= MAX_EXPANSION_DEPTH {
            return Err(ExecError::TooHeavy(Heavy::PlanTooDeep));
        }
        let judged = match validate(&definition, &Policy::new(crate::sql::Dialect::Postgres)) {
            Ok(judged) => judged,
            Err(why @ Refusal::TooLarge(_)) => {
                return Err(ExecError::TooHeavy(Heavy::ViewTooLarge {
                    view,
                    why: Box::new(why),
                }));
            }
            Err(_) => continue,
        };
        Box::pin(weigh_within(conn, &judged, plan, depth + 1))
            .await
            .map_err(|e| match e {
                // Said by the innermost view that weighs.
                e @ ExecError::TooHeavy(Heavy::InView { .. }) => e,
                ExecError::TooHeavy(why) => ExecError::TooHeavy(Heavy::InView {
                    view: view.clone(),
                    why: Box::new(why),
                }),
                e => e,
            })?;
    }
    Ok(())
}

/// `copies` values of the read that weighs most by `each` (what one takes,
/// and its length as a refusal says it), when together they pass
/// [`ROW_COPIES_BYTES`]: the copies, the table, the length and the MiB.
pub(super) fn weigh_each(
    out_of_line: &std::collections::HashMap<(String, String), OutOfLine>,
    copies: u64,
    each: impl Fn(&OutOfLine) -> (f64, f64),
) -> Option<(u64, String, u64, Option<u64>)> {
    let ((table, _), (one, longest)) = out_of_line
        .iter()
        .map(|(read, o)| (read, each(o)))
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
    let bytes = copies as f64 * one;
    (bytes > ROW_COPIES_BYTES).then(|| (copies, table.clone(), longest as u64, mib(bytes)))
}
