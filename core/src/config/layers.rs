//! The layers of the configuration (embedded defaults, the file, the
//! environment) laid over one another, each user value checked against the
//! key and type of its default.

use std::collections::BTreeMap;

use config::{Value, ValueKind};

use super::{ENV_PREFIX, Origin, Problem};

/// Tables whose keys are names the user chooses (`[sql.targets.prod]`), each
/// checked against the first entry of the defaults as its template.
const OPEN_TABLES: &[&str] = &["sql.targets", "groups"];

/// The template of an open table whose defaults hold no entry (an entry
/// there would be one every configuration has): `[groups.NAME]`.
const TEMPLATES: &[(&str, &str)] = &[("groups", "description = \"\"\nhidden = []\n")];

/// The template [`TEMPLATES`] gives for `path`, read as the defaults are.
fn template_of(path: &str) -> Option<config::Map<String, Value>> {
    let (_, toml) = TEMPLATES.iter().find(|(p, _)| *p == path)?;
    config::Config::builder()
        .add_source(config::File::from_str(toml, config::FileFormat::Toml))
        .build()
        .and_then(|c| c.cache.into_table())
        .ok()
}

/// Lists whose entries are a string or a table with these keys, all strings
/// (`llm.endpoints`: an Ollama URL, or `{ url = …, api = "openai", … }`).
const LISTS_OF_TABLES: &[(&str, &[&str])] = &[(
    "llm.endpoints",
    &["url", "api", "model", "api_key", "api_key_file"],
)];

/// The environment variable that sets `key`.
pub fn env_var_for(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

/// Whether a key holds a secret, whose value must never be echoed.
fn is_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    ["token", "password", "passphrase", "secret", "api_key"]
        .iter()
        .any(|s| last.contains(s))
}

pub(super) fn origin_of(key: &str, value: &Value) -> Origin {
    match value.origin() {
        Some("the environment") => Origin::Env(env_var_for(key)),
        Some(file) => Origin::File(file.to_owned()),
        None => Origin::Default,
    }
}

/// Lays the user's values over the defaults, keeping a default wherever the
/// user's value is unknown or of the wrong type, and recording a problem for
/// each.
pub(super) fn overlay(
    prefix: &str,
    defaults: &config::Map<String, Value>,
    given: config::Map<String, Value>,
    origins: &mut BTreeMap<String, Origin>,
    problems: &mut Vec<Problem>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out: serde_json::Map<String, serde_json::Value> = defaults
        .iter()
        .map(|(k, v)| (k.clone(), to_json(v)))
        .collect();
    // Sorted, so that problems come out in a stable order.
    let given: BTreeMap<String, Value> = given.into_iter().collect();
    for (key, value) in given {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let origin = origin_of(&path, &value);
        let Some(default) = defaults.get(&key) else {
            problems.push(Problem {
                key: path,
                origin,
                reason: unknown_key(prefix, &key, defaults),
            });
            continue;
        };
        match (&default.kind, value.kind) {
            (ValueKind::Table(sub_defaults), ValueKind::Table(sub_given))
                if OPEN_TABLES.contains(&path.as_str()) =>
            {
                let merged = match out.remove(&key) {
                    Some(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                let merged = open_table(&path, merged, sub_defaults, sub_given, origins, problems);
                out.insert(key, serde_json::Value::Object(merged));
            }
            (ValueKind::Table(sub_defaults), ValueKind::Table(sub_given)) => {
                let merged = overlay(&path, sub_defaults, sub_given, origins, problems);
                out.insert(key, serde_json::Value::Object(merged));
            }
            (ValueKind::Array(_), given)
                if let Some((_, keys)) = LISTS_OF_TABLES.iter().find(|(p, _)| *p == path) =>
            {
                // One mistake in an entry keeps the whole default list, so
                // that the list is not reported empty as well.
                if let Some(list) = list_of_tables(&path, &origin, keys, given, problems) {
                    out.insert(key, list);
                    origins.insert(path, origin);
                }
            }
            (ValueKind::Table(_), _) => problems.push(Problem {
                key: path.clone(),
                origin,
                reason: format!("is a section, not a value: write its keys under [{path}]"),
            }),
            (default_kind, given_kind) => match coerce(default_kind, given_kind) {
                Ok(json) => {
                    out.insert(key, json);
                    origins.insert(path, origin);
                }
                Err(Mismatch { expected, got }) => {
                    let reason = if is_secret(&path) {
                        format!("expected {expected}")
                    } else {
                        format!("expected {expected}, got {got}")
                    };
                    problems.push(Problem {
                        key: path,
                        origin,
                        reason,
                    });
                }
            },
        }
    }
    out
}

/// Why the key `key` of the table at `prefix` is refused, when `defaults`
/// has no such key: with the nearest key it has, or, at the top, its
/// sections.
fn unknown_key(prefix: &str, key: &str, defaults: &config::Map<String, Value>) -> String {
    let mut reason = "unknown key".to_owned();
    if let Some(near) = nearest(key, defaults.keys()) {
        let near = if prefix.is_empty() {
            near.to_owned()
        } else {
            format!("{prefix}.{near}")
        };
        reason.push_str(&format!("; did you mean `{near}`?"));
    } else if prefix.is_empty() {
        let mut sections: Vec<_> = defaults.keys().map(String::as_str).collect();
        sections.sort_unstable();
        reason.push_str(&format!("; the sections are {}", sections.join(", ")));
    }
    reason
}

/// The entries of the open table at `path` (see [`OPEN_TABLES`]) the user
/// gives, `sub_given`, laid into `merged` (its entries so far), each over
/// the table's template: the first entry of `sub_defaults` when
/// [`TEMPLATES`] has none.
fn open_table(
    path: &str,
    mut merged: serde_json::Map<String, serde_json::Value>,
    sub_defaults: &config::Map<String, Value>,
    sub_given: config::Map<String, Value>,
    origins: &mut BTreeMap<String, Origin>,
    problems: &mut Vec<Problem>,
) -> serde_json::Map<String, serde_json::Value> {
    let template = template_of(path).or_else(|| {
        sub_defaults.values().find_map(|v| match &v.kind {
            ValueKind::Table(t) => Some(t.clone()),
            _ => None,
        })
    });
    for (name, entry) in sub_given.into_iter().collect::<BTreeMap<_, _>>() {
        let entry_path = format!("{path}.{name}");
        let entry_origin = origin_of(&entry_path, &entry);
        match (entry.kind, &template) {
            (ValueKind::Table(given), Some(template)) => {
                let built = overlay(&entry_path, template, given, origins, problems);
                merged.insert(name, serde_json::Value::Object(built));
            }
            _ => problems.push(Problem {
                key: entry_path.clone(),
                origin: entry_origin,
                reason: format!("expected a section [{entry_path}] with its keys"),
            }),
        }
    }
    merged
}

/// A list of strings and tables (see [`LISTS_OF_TABLES`]), each table's keys
/// among `keys` and its values strings; `None` after reporting a problem.
fn list_of_tables(
    path: &str,
    origin: &Origin,
    keys: &[&str],
    given: ValueKind,
    problems: &mut Vec<Problem>,
) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    let items: Vec<Value> = match given {
        ValueKind::Array(values) => values,
        // From the environment: comma-separated strings.
        ValueKind::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::new(None, ValueKind::String(s.to_owned())))
            .collect(),
        other => {
            problems.push(Problem {
                key: path.to_owned(),
                origin: origin.clone(),
                reason: format!("expected a list, got {}", describe(&other)),
            });
            return None;
        }
    };
    let before = problems.len();
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match item.kind {
            ValueKind::String(s) => out.push(J::String(s)),
            ValueKind::Table(table) => {
                let mut entry = serde_json::Map::new();
                for (name, value) in table.into_iter().collect::<BTreeMap<_, _>>() {
                    let key_path = format!("{item_path}.{name}");
                    if !keys.contains(&name.as_str()) {
                        let mut reason = "unknown key".to_owned();
                        let known: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
                        if let Some(near) = nearest(&name, known.iter()) {
                            reason.push_str(&format!("; did you mean `{near}`?"));
                        } else {
                            reason.push_str(&format!("; the keys are {}", keys.join(", ")));
                        }
                        problems.push(Problem {
                            key: key_path,
                            origin: origin.clone(),
                            reason,
                        });
                        continue;
                    }
                    match value.kind {
                        ValueKind::String(s) => {
                            entry.insert(name, J::String(s));
                        }
                        other => problems.push(Problem {
                            reason: if is_secret(&key_path) {
                                "expected a string (in quotes in TOML)".to_owned()
                            } else {
                                format!(
                                    "expected a string (in quotes in TOML), got {}",
                                    describe(&other)
                                )
                            },
                            key: key_path,
                            origin: origin.clone(),
                        }),
                    }
                }
                out.push(J::Object(entry));
            }
            other => problems.push(Problem {
                key: item_path,
                origin: origin.clone(),
                reason: format!(
                    "expected a URL in quotes or a table {{ url = \"…\", … }}, got {}",
                    describe(&other)
                ),
            }),
        }
    }
    (problems.len() == before).then_some(J::Array(out))
}

fn describe(kind: &ValueKind) -> String {
    match kind {
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Table(_) => "a table".to_owned(),
        ValueKind::Array(_) => "a list".to_owned(),
        other => other.to_string(),
    }
}

/// A value whose type differs from its default's.
struct Mismatch {
    expected: String,
    /// The refused value, shown unless the key holds a secret.
    got: String,
}

/// Converts `given` to the type of `default`. Environment variables are
/// always strings, so strings are parsed into numbers, booleans and lists.
fn coerce(default: &ValueKind, given: ValueKind) -> Result<serde_json::Value, Mismatch> {
    use serde_json::Value as J;
    let mismatch = |expected: &str, got: &ValueKind| Mismatch {
        expected: expected.to_owned(),
        got: describe(got),
    };
    match default {
        ValueKind::Boolean(_) => match given {
            ValueKind::Boolean(b) => Ok(J::Bool(b)),
            ValueKind::String(s) if s.eq_ignore_ascii_case("true") => Ok(J::Bool(true)),
            ValueKind::String(s) if s.eq_ignore_ascii_case("false") => Ok(J::Bool(false)),
            other => Err(mismatch("true or false", &other)),
        },
        ValueKind::I64(_) | ValueKind::U64(_) | ValueKind::I128(_) | ValueKind::U128(_) => {
            let n = match &given {
                ValueKind::I64(n) => Some(*n),
                ValueKind::U64(n) => i64::try_from(*n).ok(),
                ValueKind::I128(n) => i64::try_from(*n).ok(),
                ValueKind::U128(n) => i64::try_from(*n).ok(),
                ValueKind::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.map(J::from)
                .ok_or_else(|| mismatch("a whole number", &given))
        }
        ValueKind::Float(_) => {
            let n = match &given {
                ValueKind::Float(n) => Some(*n),
                ValueKind::I64(n) => Some(*n as f64),
                ValueKind::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.and_then(serde_json::Number::from_f64)
                .map(J::Number)
                .ok_or_else(|| mismatch("a number", &given))
        }
        ValueKind::String(_) => match given {
            ValueKind::String(s) => Ok(J::String(s)),
            other => Err(mismatch("a string (in quotes in TOML)", &other)),
        },
        ValueKind::Array(items) => {
            // An empty default list is a list of strings (the only kind of
            // list the configuration has).
            let element = Some(
                items
                    .first()
                    .map_or(ValueKind::String(String::new()), |v| v.kind.clone()),
            );
            let given_items: Vec<ValueKind> = match given {
                ValueKind::Array(values) => values.into_iter().map(|v| v.kind).collect(),
                // A list from the environment: comma-separated.
                ValueKind::String(s) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| ValueKind::String(s.to_owned()))
                    .collect(),
                other => return Err(mismatch("a list", &other)),
            };
            given_items
                .into_iter()
                .map(|item| match &element {
                    Some(e) => coerce(e, item),
                    None => Ok(to_json(&Value::new(None, item))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(J::Array)
                .map_err(|m| Mismatch {
                    expected: format!("a list whose items are each {}", m.expected),
                    got: m.got,
                })
        }
        ValueKind::Nil | ValueKind::Table(_) => Ok(to_json(&Value::new(None, given))),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match &value.kind {
        ValueKind::Nil => J::Null,
        ValueKind::Boolean(b) => J::Bool(*b),
        ValueKind::I64(n) => J::from(*n),
        ValueKind::I128(n) => J::from(*n as i64),
        ValueKind::U64(n) => J::from(*n),
        ValueKind::U128(n) => J::from(*n as u64),
        ValueKind::Float(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
        ValueKind::String(s) => J::String(s.clone()),
        ValueKind::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        ValueKind::Array(a) => J::Array(a.iter().map(to_json).collect()),
    }
}

/// The known key closest to a mistyped one, when it is close enough to be a
/// likely typo.
fn nearest<'a>(key: &str, known: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    known
        .map(|k| (strsim::levenshtein(key, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}
