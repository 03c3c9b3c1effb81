//! Judging a statement on its parsed form, never on its words.
//!
//! The text is parsed with sqlparser in the target's dialect; it must be
//! exactly one statement, a query. Then the whole tree is walked (statements,
//! queries, selects, relations, expressions, wherever they nest: subqueries,
//! CTEs, set operations, joins) and refused are: any nested statement that is
//! not a query (a DML CTE), `SELECT … INTO`, `FOR UPDATE`/`FOR SHARE`,
//! database links (`@` in a name), calls of denied functions and packages
//! (configurable globs such as `DBMS_*`), `NEXTVAL` (a side effect), denied
//! objects (dictionary views), and objects of schemas not allowed. What the
//! parser cannot parse is refused as "cannot be verified".
//!
//! A keyword list is not a validator: it refuses `updated_at` and accepts
//! what it does not know.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AccessExpr, Expr, Function, ObjectName, ObjectNamePart, Query, Select, Statement, TableFactor,
    Value, ValueWithSpan, Visit, Visitor,
};
use sqlparser::parser::Parser;

use super::Dialect;

/// Functions and packages refused by default, as globs matched against a
/// called name and each of its parts (case does not matter).
pub const DEFAULT_DENIED_FUNCTIONS: &[&str] = &[
    // Oracle: packages that reach outside the query (files, network, jobs,
    // locks, sleeping), the SYS schema, and URI types that fetch URLs.
    "DBMS_*",
    "UTL_*",
    "SYS.*",
    "OWA_*",
    "HTP.*",
    "HTF.*",
    "*URITYPE",
    "APEX_*",
    // PostgreSQL: server files, settings, signals, sleeping, large objects,
    // other databases.
    "PG_*",
    "LO_*",
    "SET_CONFIG",
    "DBLINK*",
    "QUERY_TO_XML*",
    // SQLite: extensions and files.
    "LOAD_EXTENSION",
    "READFILE",
    "WRITEFILE",
    "EDIT",
    "FTS3_TOKENIZER",
    // Sequences: reading one consumes a number.
    "NEXTVAL",
    "SETVAL",
    // Oracle: server files; the session's context (client address, user).
    "BFILENAME",
    "SYS_CONTEXT",
    "USERENV",
    // Functions that run a query given as a string, out of the checker's sight.
    "*_TO_XML*",
    "TS_STAT",
    "TS_REWRITE",
    // PostgreSQL: the server's address, version, settings, transaction ids.
    "VERSION",
    "INET_SERVER_*",
    "INET_CLIENT_*",
    "CURRENT_SETTING",
    "TXID_*",
];

/// Objects refused by default: the data dictionary and catalogs, which tell
/// about users, sessions and the whole database rather than the business data.
pub const DEFAULT_DENIED_OBJECTS: &[&str] = &[
    // Oracle's dictionary, including the public synonyms reached without a
    // schema.
    "DICT",
    "DICTIONARY",
    "DICT_COLUMNS",
    "TAB",
    "TABS",
    "CAT",
    "COLS",
    "OBJ",
    "SYN",
    "SEQ",
    "IND",
    "CLU",
    "SESSION_*",
    "ROLE_*_PRIVS",
    "NLS_*_PARAMETERS",
    "GLOBAL_NAME",
    "PRODUCT_COMPONENT_VERSION",
    "DATABASE_PROPERTIES",
    "TABLE_PRIVILEGES",
    "COLUMN_PRIVILEGES",
    "RESOURCE_VIEW",
    "PATH_VIEW",
    "ALL_*",
    "DBA_*",
    "USER_*",
    "CDB_*",
    "V$*",
    "GV$*",
    "X$*",
    "SYS.*",
    "SYSTEM.*",
    "PG_*",
    "INFORMATION_SCHEMA.*",
    "SQLITE_*",
    // SQLite's pragmas as tables (pragma_database_list shows file paths).
    "PRAGMA_*",
];

/// What is allowed on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub dialect: Dialect,
    /// Schemas whose objects may be read when a name is qualified; an
    /// unqualified name resolves in the executing account's own schema.
    pub allowed_schemas: Vec<String>,
    pub denied_functions: Vec<String>,
    pub denied_objects: Vec<String>,
}

impl Policy {
    /// The built-in lists for `dialect`, with no schema allowed by name.
    /// Configured patterns are added to these, never replace them.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            allowed_schemas: Vec::new(),
            denied_functions: DEFAULT_DENIED_FUNCTIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            denied_objects: DEFAULT_DENIED_OBJECTS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    pub fn allowing(mut self, schemas: &[&str]) -> Self {
        self.allowed_schemas = schemas.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// A statement that passed: exactly the text to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The statement as it was parsed (trailing `;` removed): what runs.
    pub text: String,
    pub dialect: Dialect,
    /// The objects it reads, as written.
    pub objects: Vec<String>,
}

/// Why a statement was refused. [`crate::i18n`] says it to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no statement")]
    Empty,
    #[error("it cannot be verified: {0}")]
    CannotVerify(String),
    #[error("it holds {0} statements; only one may run")]
    Several(usize),
    #[error("it is not a query but {0}")]
    NotAQuery(String),
    #[error("SELECT … INTO writes into variables or tables")]
    SelectInto,
    #[error("FOR UPDATE / FOR SHARE locks rows")]
    Locks,
    #[error("it reaches another database through a link: {0}")]
    DatabaseLink(String),
    #[error("it calls {0}, which is not allowed")]
    DeniedFunction(String),
    #[error("it advances the sequence {0}")]
    Sequence(String),
    #[error("it reads {0}, which is not allowed")]
    DeniedObject(String),
    #[error("it reads {object}, in the schema {schema}, which is not allowed")]
    SchemaNotAllowed { object: String, schema: String },
    #[error(
        "it contains a control character (a stray carriage return, NUL, a Unicode line separator…), which the database and the checker could read differently"
    )]
    Control,
    #[error(
        "it holds a parameter or a dollar sign the checker cannot read as the database would ({0})"
    )]
    Placeholder(String),
    #[error("it holds Unicode-escaped text (U&…), whose meaning the checker cannot see")]
    UnicodeEscape,
    #[error("it calls {function}, in the schema {schema}, which is not allowed")]
    FunctionSchemaNotAllowed { function: String, schema: String },
}

/// Judges `sql` under `policy`.
///
/// # Errors
/// The [`Refusal`] with the first reason found.
pub fn validate(sql: &str, policy: &Policy) -> Result<Validated, Refusal> {
    // A bare CR ends a `--` comment for Oracle but not for the parser, and
    // other control characters and Unicode line breaks leave room for the
    // same kind of disagreement: none is needed in a query.
    let unix = sql.replace("\r\n", "\n");
    if unix.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
    }) {
        return Err(Refusal::Control);
    }
    // PostgreSQL's U&'…' / U&"…" spell text and names with escapes the
    // parser reads as an `&` operator: `U&"\0070g_sleep"` is pg_sleep.
    let lower = sql.to_ascii_lowercase();
    if lower.contains("u&'") || lower.contains("u&\"") {
        return Err(Refusal::UnicodeEscape);
    }
    // XQuery that reads tables or files by name (Oracle's XMLTABLE/XMLQUERY
    // with fn:collection, ora:view), outside the checker's sight.
    if ["collection(", "ora:view", "oradb:", "fn:doc"]
        .iter()
        .any(|m| lower.contains(m))
    {
        return Err(Refusal::DeniedFunction(
            "XQuery collection access".to_owned(),
        ));
    }
    let text = sql
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
        .to_owned();
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    let statements = Parser::parse_sql(&*policy.dialect.parser(), &text)
        .map_err(|e| Refusal::CannotVerify(e.to_string()))?;
    let statement = match statements.as_slice() {
        [] => return Err(Refusal::Empty),
        [one] => one,
        many => return Err(Refusal::Several(many.len())),
    };
    if !matches!(statement, Statement::Query(_)) {
        return Err(Refusal::NotAQuery(statement_kind(statement)));
    }
    let mut walker = Walker {
        policy,
        objects: Vec::new(),
        cte_scopes: Vec::new(),
    };
    if let ControlFlow::Break(refusal) = statement.visit(&mut walker) {
        return Err(refusal);
    }
    Ok(Validated {
        text,
        dialect: policy.dialect,
        objects: walker.objects,
    })
}

/// The first words of a statement, to say what it is.
fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    words.join(" ").to_uppercase()
}

struct Walker<'a> {
    policy: &'a Policy,
    objects: Vec<String>,
    /// Names defined by WITH in the queries being walked, innermost last:
    /// they are not database objects, but only within their query.
    cte_scopes: Vec<Vec<String>>,
}

impl Walker<'_> {
    fn check_name_parts(name: &ObjectName) -> Result<Vec<String>, Refusal> {
        name.0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => {
                    if ident.value.contains('@') {
                        Err(Refusal::DatabaseLink(name.to_string()))
                    } else {
                        Ok(ident.value.to_uppercase())
                    }
                }
                // A function producing a name: nothing to check it against.
                ObjectNamePart::Function(_) => Err(Refusal::CannotVerify(format!(
                    "the name {name} is computed"
                ))),
            })
            .collect()
    }

    fn check_function(&self, function: &Function) -> Result<(), Refusal> {
        self.check_function_name(&function.name)
    }

    /// A called name: not denied, and, when qualified, in an allowed schema
    /// (a definer-rights function elsewhere runs with its owner's rights).
    fn check_function_name(&self, name: &ObjectName) -> Result<(), Refusal> {
        let parts = Self::check_name_parts(name)?;
        if denied(&self.policy.denied_functions, &parts) {
            return Err(Refusal::DeniedFunction(name.to_string()));
        }
        if parts.len() >= 2 && !self.schema_allowed(&name.0[0]) {
            return Err(Refusal::FunctionSchemaNotAllowed {
                function: name.to_string(),
                schema: parts[0].clone(),
            });
        }
        Ok(())
    }

    /// Whether a schema part is one of the allowed schemas: an unquoted name
    /// in any case; a quoted one exactly as written (the database resolves
    /// `"crm"` and `CRM` to different schemas).
    fn schema_allowed(&self, part: &ObjectNamePart) -> bool {
        let ObjectNamePart::Identifier(ident) = part else {
            return false;
        };
        self.policy
            .allowed_schemas
            .iter()
            .any(|s| match ident.quote_style {
                Some(_) => *s == ident.value,
                None => s.eq_ignore_ascii_case(&ident.value),
            })
    }

    fn in_cte_scope(&self, name: &str) -> bool {
        self.cte_scopes
            .iter()
            .any(|scope| scope.iter().any(|n| n == name))
    }

    fn check_access_chain(&self, root: &Expr, chain: &[AccessExpr]) -> Result<(), Refusal> {
        let mut path: Vec<String> = match root {
            Expr::Identifier(i) => vec![i.value.to_uppercase()],
            Expr::CompoundIdentifier(ids) => ids.iter().map(|i| i.value.to_uppercase()).collect(),
            Expr::Function(f) => Self::check_name_parts(&f.name)?,
            _ => Vec::new(),
        };
        for access in chain {
            let AccessExpr::Dot(step) = access else {
                continue;
            };
            match step {
                Expr::Identifier(i) => path.push(i.value.to_uppercase()),
                Expr::Function(f) => {
                    path.extend(Self::check_name_parts(&f.name)?);
                    if path.iter().any(|p| p.contains('@')) {
                        return Err(Refusal::DatabaseLink(path.join(".")));
                    }
                    if denied(&self.policy.denied_functions, &path) {
                        return Err(Refusal::DeniedFunction(path.join(".").to_lowercase()));
                    }
                    let schema_ok = self
                        .policy
                        .allowed_schemas
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(&path[0]));
                    if path.len() >= 2 && !schema_ok {
                        return Err(Refusal::FunctionSchemaNotAllowed {
                            function: path.join(".").to_lowercase(),
                            schema: path[0].clone(),
                        });
                    }
                }
                _ => {}
            }
        }
        if path.last().is_some_and(|p| p == "NEXTVAL") {
            return Err(Refusal::Sequence(path.join(".").to_lowercase()));
        }
        Ok(())
    }

    fn check_relation(&mut self, relation: &ObjectName) -> Result<(), Refusal> {
        let parts = Self::check_name_parts(relation)?;
        let shown = relation.to_string();
        if parts.len() == 1 && self.in_cte_scope(&parts[0]) {
            return Ok(());
        }
        if denied_object(&self.policy.denied_objects, &parts) {
            return Err(Refusal::DeniedObject(shown));
        }
        match parts.as_slice() {
            [_] => {}
            [schema, _] => {
                if !self.schema_allowed(&relation.0[0]) {
                    return Err(Refusal::SchemaNotAllowed {
                        object: shown,
                        schema: schema.clone(),
                    });
                }
            }
            _ => {
                return Err(Refusal::SchemaNotAllowed {
                    schema: parts[..parts.len() - 1].join("."),
                    object: shown,
                });
            }
        }
        self.objects.push(shown);
        Ok(())
    }
}

impl Visitor for Walker<'_> {
    type Break = Refusal;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<Refusal> {
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            other => ControlFlow::Break(Refusal::NotAQuery(statement_kind(other))),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Refusal> {
        if !query.locks.is_empty() {
            return ControlFlow::Break(Refusal::Locks);
        }
        let mut scope = Vec::new();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.to_uppercase();
                // A CTE named like a denied object would hide the real one
                // from this check wherever the names meet.
                if denied_object(&self.policy.denied_objects, std::slice::from_ref(&name)) {
                    return ControlFlow::Break(Refusal::DeniedObject(cte.alias.name.value.clone()));
                }
                scope.push(name);
            }
        }
        self.cte_scopes.push(scope);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<Refusal> {
        self.cte_scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<Refusal> {
        // No executor binds parameters; a `$` the parser took for one is
        // where it and PostgreSQL disagree (`$€$…$€$` is a string to
        // PostgreSQL).
        if let Value::Placeholder(p) = &value.value {
            return ControlFlow::Break(Refusal::Placeholder(p.clone()));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<Refusal> {
        if select.into.is_some() {
            return ControlFlow::Break(Refusal::SelectInto);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<Refusal> {
        match self.check_relation(relation) {
            Ok(()) => ControlFlow::Continue(()),
            Err(r) => ControlFlow::Break(r),
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Refusal> {
        // A table alias with '@' is how `t@"LINK"` parses (as `t@` + alias).
        if let TableFactor::Table {
            alias: Some(alias), ..
        } = factor
            && alias.name.value.contains('@')
        {
            return ControlFlow::Break(Refusal::DatabaseLink(alias.name.value.clone()));
        }
        // Table functions are calls: `FROM dblink_exec(…)`, `FROM LATERAL
        // pg_advisory_lock(42)` are judged as functions, not only as objects.
        let called = match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => Some(name),
            TableFactor::Function { name, .. } => Some(name),
            _ => None,
        };
        if let Some(name) = called
            && let Err(r) = self.check_function_name(name)
        {
            return ControlFlow::Break(r);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<Refusal> {
        let result = match expr {
            Expr::Function(function) => self.check_function(function),
            Expr::CompoundIdentifier(idents) => {
                if idents.iter().any(|i| i.value.contains('@')) {
                    Err(Refusal::DatabaseLink(
                        idents
                            .iter()
                            .map(|i| i.value.as_str())
                            .collect::<Vec<_>>()
                            .join("."),
                    ))
                } else if denied(
                    &self.policy.denied_functions,
                    &idents
                        .iter()
                        .map(|i| i.value.to_uppercase())
                        .collect::<Vec<_>>(),
                ) {
                    // Oracle calls a package function without parentheses
                    // too: `dbms_random.value` is a call.
                    Err(Refusal::DeniedFunction(
                        idents
                            .iter()
                            .map(|i| i.value.as_str())
                            .collect::<Vec<_>>()
                            .join("."),
                    ))
                } else if idents
                    .last()
                    .is_some_and(|i| i.value.eq_ignore_ascii_case("NEXTVAL"))
                {
                    Err(Refusal::Sequence(
                        idents
                            .iter()
                            .map(|i| i.value.as_str())
                            .collect::<Vec<_>>()
                            .join("."),
                    ))
                } else {
                    Ok(())
                }
            }
            Expr::Identifier(ident) if ident.value.contains('@') => {
                Err(Refusal::DatabaseLink(ident.value.clone()))
            }
            // `sys.httpuritype.createuri(…).getclob()`: the functions in the
            // chain are visited too, but without the path before them; each
            // is judged here under its full dotted name.
            Expr::CompoundFieldAccess { root, access_chain } => {
                self.check_access_chain(root, access_chain)
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) => ControlFlow::Continue(()),
            Err(r) => ControlFlow::Break(r),
        }
    }
}

/// Whether an object name matches a pattern. An unqualified name is matched
/// as it is: the dictionary is reached through unqualified public synonyms
/// (`ALL_USERS`, `DICT`). A qualified one is matched as a whole (`SYS.*`,
/// `INFORMATION_SCHEMA.*`): in an allowed schema, `crm.user_accounts` is the
/// business's table, not the `USER_*` dictionary.
fn denied_object(patterns: &[String], parts: &[String]) -> bool {
    let full = parts.join(".");
    patterns.iter().any(|p| glob(&p.to_uppercase(), &full))
}

/// Whether a called name (its parts, upper case) matches a pattern: against
/// the whole dotted name, or against any single part (`DBMS_LOCK.SLEEP`).
fn denied(patterns: &[String], parts: &[String]) -> bool {
    let full = parts.join(".");
    patterns.iter().any(|p| {
        let p = p.to_uppercase();
        glob(&p, &full) || (!p.contains('.') && parts.iter().any(|part| glob(&p, part)))
    })
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_shell_patterns() {
        assert!(glob("DBMS_*", "DBMS_LOCK"));
        assert!(!glob("DBMS_*", "XDBMS_LOCK"));
        assert!(glob("*URITYPE", "HTTPURITYPE"));
        assert!(glob("SYS.*", "SYS.DBMS_X.Y"));
        assert!(glob("NEXTVAL", "NEXTVAL"));
        assert!(!glob("NEXTVAL", "NEXTVALS"));
        assert!(glob("A*B*C", "AxxBxxC"));
    }

    #[test]
    fn names_match_by_whole_name_or_part() {
        let p: Vec<String> = vec!["DBMS_*".into(), "SYS.*".into()];
        assert!(denied(
            &p,
            &["SYS".into(), "DBMS_LOCK".into(), "SLEEP".into()]
        ));
        assert!(denied(&p, &["DBMS_LOB".into(), "SUBSTR".into()]));
        assert!(denied(&p, &["SYS".into(), "ANYTHING".into()]));
        assert!(!denied(&p, &["CRM".into(), "SYSTEMS".into()]));
        assert!(!denied(&p, &["UPPER".into()]));
    }
}
