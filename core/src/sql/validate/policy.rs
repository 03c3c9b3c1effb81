//! What a target allows: the schemas, the functions beyond the built-in
//! list, the objects refused by name when no catalogue is known, and how a
//! name is matched against those lists.

use super::super::Dialect;

/// Objects refused when no catalogue is known (`pstral sql check` without a
/// target): the data dictionary and catalogs, which tell about users,
/// sessions and the whole database rather than the business data. With a
/// catalogue, a relation must be one of its tables instead, which is
/// stricter.
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
    // Public synonyms of dictionary views outside the families below
    // (SQL*Loader's directories, Oracle Text's parameters).
    "LOADER_*",
    "CTX_*",
    "ROLE_*_PRIVS",
    "NLS_*_PARAMETERS",
    "GLOBAL_NAME",
    "PRODUCT_COMPONENT_VERSION",
    "DATABASE_PROPERTIES",
    "TABLE_PRIVILEGES",
    "COLUMN_PRIVILEGES",
    "RESOURCE_VIEW",
    "PATH_VIEW",
    "COL",
    "CATALOG",
    "SYSCATALOG",
    "PUBLICSYN",
    "TABQUOTAS",
    "SYSFILES",
    "TABLE_PRIVILEGE_MAP",
    "SYSTEM_PRIVILEGE_MAP",
    "STMT_AUDIT_OPTION_MAP",
    "AUDIT_ACTIONS",
    "UNIFIED_AUDIT_TRAIL",
    "INDEX_STATS",
    "INDEX_HISTOGRAM",
    "HS_*",
    "TRUSTED_SERVERS",
    "RESOURCE_MAP",
    "PRODUCT_PRIVS",
    "DATABASE_COMPATIBLE_LEVEL",
    "NLS_*",
    "PLAN_TABLE",
    "RECYCLEBIN",
    "PUBLIC_DEPENDENCY",
    "QUEUE_PRIVILEGES",
    "GLOBAL_CONTEXT",
    "PROXY_USERS",
    "REDACTION_*",
    "AUDIT_*",
    "RESOURCE_COST",
    "XS_*",
    "CLIENT_RESULT_CACHE_*",
    "LOGSTDBY_*",
    "MAP_OBJECT",
    "TS_PITR_*",
    "SYSSEGOBJ",
    "SYNONYMS",
    "SOURCE_SIZE",
    "DOCUMENT_LINKS",
    "V_$*",
    "GV_$*",
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
    // SQLite's eponymous virtual tables: page statistics (every table and
    // index name), files and archives.
    "DBSTAT",
    "FSDIR",
    "ZIPFILE",
    "SQLAR",
    // SQLite's pragmas as tables (pragma_database_list shows file paths).
    "PRAGMA_*",
];

/// What is allowed on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub dialect: Dialect,
    /// Schemas whose objects may be read when a name is qualified; an
    /// unqualified name resolves in the executing account's own schema (or
    /// PostgreSQL's search path, which the executor sets to these).
    pub allowed_schemas: Vec<String>,
    /// Functions allowed beyond the built-in list (`sql.allowed_functions`):
    /// names, or `schema.name` for a function of the company's own.
    pub allowed_functions: Vec<String>,
    /// Functions refused even when allowed (globs, `sql.denied_functions`).
    pub denied_functions: Vec<String>,
    /// Objects refused when no catalogue is known (globs).
    pub denied_objects: Vec<String>,
}

impl Policy {
    /// The built-in lists for `dialect`, with no schema allowed by name.
    /// Configured names are added to these, never replace them.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            allowed_schemas: Vec::new(),
            allowed_functions: Vec::new(),
            denied_functions: Vec::new(),
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

/// Whether an object name matches a pattern. An unqualified name is matched
/// as it is: the dictionary is reached through unqualified public synonyms
/// (`ALL_USERS`, `DICT`). A qualified one is matched as a whole (`SYS.*`,
/// `INFORMATION_SCHEMA.*`): in an allowed schema, `crm.user_accounts` is the
/// business's table, not the `USER_*` dictionary.
pub(super) fn denied_object(patterns: &[String], parts: &[String]) -> bool {
    let full = parts.join(".");
    patterns
        .iter()
        .any(|p| glob(&p.to_ascii_uppercase(), &full))
}

/// Whether a called name (its parts, upper case) matches a pattern: against
/// the whole dotted name, or against any single part (`DBMS_LOCK.SLEEP`).
pub(super) fn denied(patterns: &[String], parts: &[String]) -> bool {
    let full = parts.join(".");
    patterns.iter().any(|p| {
        let p = p.to_ascii_uppercase();
        glob(&p, &full) || (!p.contains('.') && parts.iter().any(|part| glob(&p, part)))
    })
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
        assert!(!denied(&p, &["CRM".into(), "SYSTEMS".into()]));
        assert!(!denied(&p, &["UPPER".into()]));
    }
}
