//! How the walk folds and resolves names as the database does: unquoted
//! identifiers folded by the dialect's own rule, function names against
//! the allow-list and the configured functions, relations against the CTEs
//! in scope, the catalogue and the deny list.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, TableAlias};

use crate::sql::Dialect;
use crate::sql::schema::{Catalog, CatalogTable};
use crate::sql::validate::policy::{denied, denied_object};
use crate::sql::validate::refusal::{Refusal, Unreadable};
use crate::sql::validate::syntax;

use super::{Judged, Walker, unverifiable};

impl Walker<'_> {
    /// A name alone is a column, except where the database calls a function
    /// written without parentheses: Oracle's DBMS_STANDARD event functions
    /// (`ora_database_name`, `login_user`, …) and PostgreSQL's SQL-standard
    /// session functions (`system_user`, `current_user`, …), which tell about
    /// the server and the session rather than the data.
    pub(super) fn bare_name(&mut self, ident: &Ident) -> Judged {
        let folded = self.fold(ident);
        self.reach_bare(&folded);
        if self.dialect() == Dialect::Oracle {
            self.oracle_place(&folded);
            self.bare.push(folded);
        }
        // A quoted name is a column, except where the database reads it as
        // the unquoted one: Oracle's `"USER"` is USER.
        let upper = self.upper(ident);
        if ident.quote_style.is_some()
            && (self.dialect() != Dialect::Oracle || self.fold(ident) != upper)
        {
            return Ok(());
        }
        let called = match self.dialect() {
            Dialect::Oracle => {
                upper.starts_with("ORA_")
                    || [
                        "LOGIN_USER",
                        "DATABASE_NAME",
                        "INSTANCE_NUM",
                        "SYSEVENT",
                        "DICTIONARY_OBJ_OWNER",
                        "DICTIONARY_OBJ_NAME",
                        "DICTIONARY_OBJ_TYPE",
                        "DES_ENCRYPTED_PASSWORD",
                        "CLIENT_IP_ADDRESS",
                        "SERVER_ERROR",
                        "IS_SERVERERROR",
                        "GRANTEE",
                        "REVOKEE",
                        "PRIVILEGE_LIST",
                        "SQL_TXT",
                        "USER",
                        "UID",
                        "SESSIONTIMEZONE",
                        "DBTIMEZONE",
                        "SDO_VERSION",
                    ]
                    .contains(&upper.as_str())
            }
            Dialect::Postgres => [
                "SYSTEM_USER",
                // System columns: object and transaction ids.
                "TABLEOID",
                "XMIN",
                "XMAX",
                "CMIN",
                "CMAX",
                "CTID",
                "SESSION_USER",
                "CURRENT_USER",
                "CURRENT_ROLE",
                "CURRENT_CATALOG",
                "CURRENT_SCHEMA",
                "USER",
            ]
            .contains(&upper.as_str()),
            Dialect::Sqlite => false,
        };
        if called {
            Err(Refusal::UnknownFunction {
                name: ident.value.clone(),
                dialect: self.dialect(),
            })
        } else {
            Ok(())
        }
    }

    /// `x.y` without parentheses: a column of a relation of the query. In
    /// Oracle it could also be a package function called without
    /// parentheses (`dbms_random.value`) or a sequence (`s.nextval`), so a
    /// qualifier that names no relation of the query is refused.
    pub(super) fn column_reference(&mut self, idents: &[Ident]) -> Judged {
        let written = || {
            idents
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join(".")
        };
        if idents.iter().any(|i| i.value.contains('@')) {
            return Err(Refusal::DatabaseLink(written()));
        }
        if idents.last().is_some_and(|i| {
            let name = self.upper(i);
            name == "NEXTVAL" || name == "CURRVAL"
        }) {
            return Err(Refusal::Sequence(written()));
        }
        let upper: Vec<String> = idents.iter().map(|i| self.fold(i)).collect();
        // The whole qualifier: `t.col` or `schema.table.col`. A longer
        // chain after a table (`t.col.attr`) could as well be a package
        // function in Oracle's name resolution: not verifiable.
        let (qualifier, column) = upper.split_at(upper.len() - 1);
        if self.dialect() == Dialect::Oracle {
            self.oracle_place(&column[0]);
        }
        let known = self.relation_named(qualifier, &column[0]);
        self.reach_qualified(qualifier, &column[0]);
        if known == Some(false) && self.dialect() == Dialect::Postgres {
            self.derived_columns.push(column[0].clone());
        }
        if known.is_some() {
            return Ok(());
        }
        // A relation of that name whose columns are known, without this
        // one: said so, rather than as a name that qualifies nothing (a
        // model that joined on a column the table does not have is told
        // which, and can repair it).
        match self.relation_lacking(qualifier) {
            Some(table) => {
                let original = |n: usize| {
                    idents[..n]
                        .iter()
                        .map(|i| i.value.as_str())
                        .collect::<Vec<_>>()
                        .join(".")
                };
                Err(unverifiable(Unreadable::NoSuchColumn {
                    relation: original(idents.len() - 1),
                    table,
                    column: idents[idents.len() - 1].value.clone(),
                }))
            }
            None => Err(unverifiable(Unreadable::NotATable(written()))),
        }
    }

    /// Whether a relation named `qualifier` is in scope (its columns known,
    /// the one asked for not among them): `Some` with the table it names,
    /// when it names one under another name.
    fn relation_lacking(&self, qualifier: &[String]) -> Option<Option<String>> {
        let visible = self.scopes[self.barrier.min(self.scopes.len())..]
            .iter()
            .flat_map(|scope| &scope.relations)
            .find(|r| r.name.as_slice() == qualifier && r.columns.is_some())?;
        let table = match visible.reads.as_slice() {
            [one] => self
                .reach
                .relations
                .get(*one)
                .map(|r| r.name.clone())
                .filter(|name| Some(name) != qualifier.last()),
            _ => None,
        };
        Some(table)
    }

    /// Oracle's `ROWNUM` numbers rows as they are read and `ROWID` says
    /// where one is stored (an index-organized table's holds its key):
    /// either follows the order rows are read in.
    fn oracle_place(&mut self, folded: &str) {
        if folded == "ROWNUM" || folded == "ROWID" {
            self.reach
                .follows_order(crate::sql::validate::reach::Unordered::Place(
                    folded.to_owned(),
                ));
        }
    }

    /// The identifier as the database reads it, by the database's own rule
    /// ([`Dialect::fold_unquoted`]): unquoted names fold to the dialect's
    /// case, ASCII letters only; a quoted one is exact, except in SQLite,
    /// which ignores ASCII case in every name. Every comparison of names in
    /// the walk goes through here, so that a name the database reads as
    /// another one can never be taken for it.
    pub(super) fn fold(&self, ident: &Ident) -> String {
        syntax::fold(self.dialect(), ident)
    }

    /// The folded name in ASCII upper case, as the built-in lists spell
    /// names. Matching the lists ignoring case refuses more, never less.
    pub(super) fn upper(&self, ident: &Ident) -> String {
        self.fold(ident).to_ascii_uppercase()
    }

    pub(super) fn parts(&self, name: &ObjectName) -> Result<Vec<Ident>, Refusal> {
        name.0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) if ident.value.contains('@') => {
                    Err(Refusal::DatabaseLink(name.to_string()))
                }
                ObjectNamePart::Identifier(ident) => Ok(ident.clone()),
                ObjectNamePart::Function(_) => {
                    Err(unverifiable(Unreadable::ComputedName(name.to_string())))
                }
            })
            .collect()
    }

    /// A called name, unqualified and in the case the allow-list uses;
    /// refused when qualified (a package, another schema's function: run
    /// with its owner's rights) unless configured.
    pub(super) fn function_name(&self, name: &ObjectName) -> Result<String, Refusal> {
        let parts = self.parts(name)?;
        let upper: Vec<String> = parts.iter().map(|p| self.upper(p)).collect();
        if denied(&self.policy.denied_functions, &upper) {
            return Err(Refusal::DeniedFunction(name.to_string()));
        }
        if upper
            .last()
            .is_some_and(|l| l == "NEXTVAL" || l == "SETVAL")
        {
            return Err(Refusal::Sequence(name.to_string()));
        }
        match parts.as_slice() {
            [one] => {
                // A quoted name the database would not fold to the listed
                // spelling is another function (`"Lower"` is not lower).
                let folded = self.fold(one);
                let canonical = folded.is_ascii()
                    && match self.dialect() {
                        Dialect::Postgres => folded == folded.to_ascii_lowercase(),
                        Dialect::Oracle => folded == folded.to_ascii_uppercase(),
                        Dialect::Sqlite => true,
                    };
                if !canonical {
                    return Err(Refusal::UnknownFunction {
                        name: name.to_string(),
                        dialect: self.dialect(),
                    });
                }
                Ok(folded.to_ascii_lowercase())
            }
            _ => {
                if self.configured_function(name, "") {
                    return Ok(parts
                        .iter()
                        .map(|p| self.fold(p).to_ascii_lowercase())
                        .collect::<Vec<_>>()
                        .join("."));
                }
                if parts.len() >= 2 && !self.schema_allowed(&parts[0]) {
                    return Err(Refusal::FunctionSchemaNotAllowed {
                        function: name.to_string(),
                        schema: upper[0].clone(),
                    });
                }
                Err(Refusal::UnknownFunction {
                    name: name.to_string(),
                    dialect: self.dialect(),
                })
            }
        }
    }

    /// Whether `sql.allowed_functions` names this function (`called` is its
    /// unqualified folded name, or empty for a qualified one). A configured
    /// name is read as if written without quotes; the called one as the
    /// database reads it, part by part.
    pub(super) fn configured_function(&self, name: &ObjectName, called: &str) -> bool {
        let Ok(parts) = self.parts(name) else {
            return false;
        };
        let written: Vec<String> = parts.iter().map(|p| self.fold(p)).collect();
        self.policy.allowed_functions.iter().any(|f| {
            let configured: Vec<String> = f
                .split('.')
                .map(|p| self.dialect().fold_unquoted(p))
                .collect();
            configured == written
                || (!called.is_empty()
                    && configured.len() == 1
                    && configured[0].eq_ignore_ascii_case(called))
        })
    }

    /// Whether a schema part is one of the allowed schemas, compared as the
    /// database reads both: a configured name as if written unquoted (the
    /// executors read it so: PostgreSQL's search path, Oracle's owners), the
    /// written one folded by the dialect's rule (the database resolves
    /// `"Crm"` and `CRM` to different schemas).
    pub(super) fn schema_allowed(&self, ident: &Ident) -> bool {
        // With no schema named, the one unqualified names resolve in may be
        // written too: PostgreSQL's `public` (the search path then), SQLite's
        // `main` (the file itself).
        let default = self.dialect().default_schema();
        if self.policy.allowed_schemas.is_empty() && default.is_some_and(|d| self.fold(ident) == d)
        {
            return true;
        }
        let written = self.fold(ident);
        self.policy
            .allowed_schemas
            .iter()
            .any(|s| self.dialect().fold_unquoted(s) == written)
    }

    /// The id of the CTE `name`, when one is in scope (the innermost of
    /// that name).
    pub(super) fn cte_in_scope(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rev().find_map(|scope| {
            scope
                .ctes
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, id)| *id)
        })
    }

    /// A relation in `FROM`: a CTE in scope, or an object of the target;
    /// for an object, where it stands in the reach (none for Oracle's DUAL).
    pub(super) fn relation(
        &mut self,
        name: &ObjectName,
        alias: Option<&TableAlias>,
    ) -> Result<Vec<usize>, Refusal> {
        let parts = self.parts(name)?;
        let shown = name.to_string();
        if let [one] = parts.as_slice()
            && let Some(id) = self.cte_in_scope(&self.fold(one))
        {
            self.note(|w| w.cte_read(id));
            return Ok(Vec::new());
        }
        let folded: Vec<String> = parts.iter().map(|p| self.fold(p)).collect();
        let reached = match self.catalog {
            Some(catalog) => self
                .resolve(catalog, &parts, &shown)?
                .map(|table| self.reach_relation(&folded, Some(table))),
            None => {
                self.judge_by_name(&parts, &shown, alias)?;
                Some(self.reach_relation(&folded, None))
            }
        };
        self.objects.push(shown);
        Ok(reached.into_iter().collect())
    }

    /// With the live catalogue: the name must be one of its tables or views,
    /// as the database resolves it; the one it is (none for Oracle's DUAL).
    pub(super) fn resolve<'c>(
        &self,
        catalog: &'c Catalog,
        parts: &[Ident],
        shown: &str,
    ) -> Result<Option<&'c CatalogTable>, Refusal> {
        let dialect = self.dialect();
        let same = |written: &str, stored: &str| match dialect {
            Dialect::Sqlite => written.eq_ignore_ascii_case(stored),
            _ => written == stored,
        };
        let found = match parts {
            [table] => {
                let table = self.fold(table);
                // Oracle's one-row DUAL, reached through its public synonym.
                if dialect == Dialect::Oracle && table == "DUAL" {
                    return Ok(None);
                }
                // PostgreSQL searches pg_catalog before the search path: a
                // business table named pg_… is not what an unqualified
                // name reaches.
                if dialect == Dialect::Postgres && table.starts_with("pg_") {
                    None
                } else {
                    // The search path is the allowed schemas, in the order
                    // configured: of two tables of that name, the first
                    // schema's is the one read.
                    let rank = |schema: Option<&str>| {
                        let schema = schema.or(dialect.default_schema()).unwrap_or_default();
                        self.policy
                            .allowed_schemas
                            .iter()
                            .position(|s| dialect.fold_unquoted(s) == schema)
                            .unwrap_or(usize::MAX)
                    };
                    catalog
                        .tables
                        .iter()
                        .filter(|t| {
                            same(&table, &t.name)
                                && match dialect {
                                    // Oracle: the account's own schema; a
                                    // public synonym cannot be verified.
                                    Dialect::Oracle => t.schema.is_none(),
                                    Dialect::Postgres | Dialect::Sqlite => true,
                                }
                        })
                        .min_by_key(|t| match dialect {
                            Dialect::Postgres => rank(t.schema.as_deref()),
                            Dialect::Oracle | Dialect::Sqlite => 0,
                        })
                }
            }
            [schema, table] => {
                if !self.schema_allowed(schema) {
                    return Err(Refusal::SchemaNotAllowed {
                        object: shown.to_owned(),
                        schema: self.upper(schema),
                    });
                }
                let schema = self.fold(schema);
                let table = self.fold(table);
                catalog.tables.iter().find(|t| {
                    same(&table, &t.name)
                        && match &t.schema {
                            Some(s) => same(&schema, s),
                            None => dialect.default_schema() == Some(schema.as_str()),
                        }
                })
            }
            _ => {
                return Err(Refusal::SchemaNotAllowed {
                    schema: parts[..parts.len() - 1]
                        .iter()
                        .map(|p| self.upper(p))
                        .collect::<Vec<_>>()
                        .join("."),
                    object: shown.to_owned(),
                });
            }
        };
        match found {
            Some(table) => Ok(Some(table)),
            None => Err(Refusal::NotInCatalog(shown.to_owned())),
        }
    }

    /// Without a catalogue: not the dictionary, in an allowed schema, and a
    /// plain name (a keyword in the place of a name is a form the parser
    /// misread: `FROM ONLY pg_authid` parses as a table ONLY aliased
    /// pg_authid).
    pub(super) fn judge_by_name(
        &self,
        parts: &[Ident],
        shown: &str,
        alias: Option<&TableAlias>,
    ) -> Judged {
        let upper: Vec<String> = parts.iter().map(|p| self.upper(p)).collect();
        if denied_object(&self.policy.denied_objects, &upper) {
            return Err(Refusal::DeniedObject(shown.to_owned()));
        }
        // SQLite's system tables exist in every attached schema:
        // `main.sqlite_master` is the same as `sqlite_master`.
        if self.dialect() == Dialect::Sqlite
            && upper.len() > 1
            && denied_object(&self.policy.denied_objects, &upper[upper.len() - 1..])
        {
            return Err(Refusal::DeniedObject(shown.to_owned()));
        }
        if let Some(alias) = alias
            && denied_object(&self.policy.denied_objects, &[self.upper(&alias.name)])
        {
            return Err(unverifiable(Unreadable::KeywordAlias {
                before: shown.to_string(),
                alias: alias.name.to_string(),
            }));
        }
        const NOT_NAMES: &[&str] = &[
            "ONLY",
            "LATERAL",
            "TABLE",
            "CONTAINERS",
            "SHARDS",
            "THE",
            "CURSOR",
            "MULTISET",
            "UNNEST",
            "ROWS",
            "VALUES",
            "XMLTABLE",
            "JSON_TABLE",
            "EXTERNAL",
            "SELECT",
        ];
        if let [one] = parts
            && one.quote_style.is_none()
            && NOT_NAMES.contains(&self.upper(one).as_str())
        {
            return Err(unverifiable(Unreadable::KeywordAsTable(shown.to_string())));
        }
        match parts {
            [_] => Ok(()),
            [schema, _] => {
                if self.schema_allowed(schema) {
                    Ok(())
                } else {
                    Err(Refusal::SchemaNotAllowed {
                        object: shown.to_owned(),
                        schema: upper[0].clone(),
                    })
                }
            }
            _ => Err(Refusal::SchemaNotAllowed {
                schema: upper[..upper.len() - 1].join("."),
                object: shown.to_owned(),
            }),
        }
    }

    /// The relation in scope that `qualifier` names and whose columns may
    /// include `column`; whether its columns are known (`Some(true)`).
    pub(super) fn relation_named(&self, qualifier: &[String], column: &str) -> Option<bool> {
        self.scopes[self.barrier.min(self.scopes.len())..]
            .iter()
            .flat_map(|scope| &scope.relations)
            .filter(|r| r.name.as_slice() == qualifier)
            .find_map(|r| match &r.columns {
                Some(columns) => columns.iter().any(|c| c == column).then_some(true),
                None => Some(false),
            })
    }
}
