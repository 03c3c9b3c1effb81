//! What a plan's nodes filter by, read from their text: which table reads
//! compare one column with values written out (so that the rows they keep
//! can be counted before the statement runs), and which joins are an
//! equality of columns.

use super::Foresight;

impl Foresight<'_> {
    /// The condition of each table read that compares one column with
    /// values written out ([`Foresight::compares_one_column`]): a Seq Scan's
    /// filter, an index's condition where nothing else filters; by (table,
    /// alias), `None` where one of its reads keeps rows otherwise.
    pub(in super::super) fn conditions(
        plan: &serde_json::Value,
    ) -> std::collections::HashMap<(String, String), Option<String>> {
        fn walk(
            node: &serde_json::Value,
            into: &mut std::collections::HashMap<(String, String), Option<String>>,
        ) {
            if let Some(relation) = node["Relation Name"].as_str() {
                let alias = node["Alias"].as_str().unwrap_or(relation);
                let condition = match node["Node Type"].as_str() {
                    Some("Seq Scan") => node["Filter"].as_str(),
                    Some("Index Scan" | "Index Only Scan" | "Bitmap Heap Scan")
                        if Foresight::by_index(node) =>
                    {
                        node["Index Cond"]
                            .as_str()
                            .or_else(|| node["Recheck Cond"].as_str())
                    }
                    _ => None,
                }
                .filter(|c| Foresight::compares_one_column(c))
                .map(str::to_owned);
                let key = (relation.to_owned(), alias.to_owned());
                match into.get(&key) {
                    Some(seen) if *seen != condition => {
                        into.insert(key, None);
                    }
                    Some(_) => {}
                    None => {
                        into.insert(key, condition);
                    }
                }
            }
            for child in Foresight::children(node) {
                walk(child, into);
            }
        }
        let mut conditions = std::collections::HashMap::new();
        walk(plan, &mut conditions);
        conditions
    }

    /// The rows a table read keeps by its condition, counted, when it
    /// compares one column with values written out (see [`Tables::kept`]).
    pub(super) fn kept_rows(&self, node: &serde_json::Value) -> Option<f64> {
        let relation = node["Relation Name"].as_str()?;
        let alias = node["Alias"].as_str().unwrap_or(relation);
        self.tables
            .kept
            .get(&(relation.to_owned(), alias.to_owned()))
            .copied()
    }

    /// Whether a filter only compares one column with values written out
    /// (`(client_id = 42)`, `((day >= '2025-01-01'::date) AND (day <
    /// '2025-02-01'::date))`): the planner estimates it from that column's
    /// statistics (its most common values, its histogram), as it does an
    /// index condition. Not two columns: the planner takes them as
    /// independent, and columns that go together (a city and its region)
    /// make it expect far fewer rows than they keep.
    pub(super) fn compares_one_column(filter: &str) -> bool {
        Self::compared_column(filter).is_some()
    }

    /// The column a filter compares with values written out (see
    /// [`Foresight::compares_one_column`]), as the catalogue names it.
    pub(in super::super) fn compared_column(filter: &str) -> Option<String> {
        /// `(x)` without its parentheses, once.
        fn bare(text: &str) -> &str {
            let text = text.trim();
            text.strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(text)
        }
        fn name(text: &str) -> bool {
            let quoted = text.len() > 2
                && text.starts_with('"')
                && text.ends_with('"')
                && !text[1..text.len() - 1].contains('"');
            let plain = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            quoted || plain
        }
        /// The column a side names (`client_id`, `(status)::text`).
        fn column(side: &str) -> Option<&str> {
            let side = side.split_once("::").map_or(side, |(value, _)| value);
            let side = bare(side);
            name(side).then_some(side)
        }
        /// A type's name (`date`, `timestamp without time zone`), with
        /// its precision (`numeric(10,2)`).
        fn type_name(text: &str) -> bool {
            let (name, precision) = match text.split_once('(') {
                Some((name, rest)) => (name, rest.strip_suffix(')')),
                None => (text, Some("")),
            };
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_'))
                && precision.is_some_and(|p| p.chars().all(|c| c.is_ascii_digit() || c == ','))
        }
        /// A number or a quoted text written out, cast or not.
        fn written(side: &str) -> bool {
            let value = match side.rsplit_once("::") {
                Some((value, cast)) if type_name(cast) => value,
                _ => side,
            };
            let number = !value.is_empty()
                && value.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                && value
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
            let text = value.len() >= 2
                && value.starts_with('\'')
                && value.ends_with('\'')
                && !value[1..value.len() - 1].replace("''", "").contains('\'');
            number || text
        }
        let mut compared = None;
        let one = bare(filter).split(" AND ").all(|part| {
            let part = bare(part);
            let Some((left, right)) = [" >= ", " <= ", " <> ", " = ", " > ", " < "]
                .iter()
                .find_map(|op| part.split_once(op))
            else {
                return false;
            };
            let side = match (column(left), column(right)) {
                (Some(c), None) if written(right.trim()) => c,
                (None, Some(c)) if written(left.trim()) => c,
                _ => return false,
            };
            *compared.get_or_insert(side) == side
        });
        let column = compared.filter(|_| one)?;
        Some(
            match column.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
                Some(quoted) => quoted.to_owned(),
                None => column.to_owned(),
            },
        )
    }

    /// Whether a nested loop's inner side looks its rows up by the outer
    /// row (an index condition, a memoised lookup): an equality the planner
    /// estimates, not a product.
    pub(super) fn parameterized(inner: &serde_json::Value) -> bool {
        ["Index Cond", "Cache Key", "TID Cond"]
            .iter()
            .any(|key| inner.get(*key).is_some())
            || Self::children(inner).any(Self::parameterized)
    }

    /// Whether a join condition is only equalities of plain columns,
    /// `(o.client_id = c.id) AND …`, which the planner estimates from the
    /// columns' statistics.
    pub(super) fn equal_columns(condition: &str) -> bool {
        let column = |side: &str| {
            !side.is_empty()
                && side
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '"' | '$'))
        };
        let condition = condition.trim();
        let condition = condition
            .strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .unwrap_or(condition);
        !condition.is_empty()
            && condition.split(" AND ").all(|part| {
                let part = part.trim().trim_start_matches('(').trim_end_matches(')');
                matches!(part.split_once(" = "), Some((a, b)) if column(a) && column(b))
            })
    }
}
