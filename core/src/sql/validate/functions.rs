//! The functions a query may call, per dialect: an allow-list of what is
//! known to be harmless (it computes from its arguments and reads nothing
//! else), never a deny-list, which cannot be complete.
//!
//! Left out on purpose, whatever their spelling: anything that runs SQL held
//! in a string (`query_to_xml`, `crosstab`, `dbms_xmlgen`, `xpath_table`),
//! reads files or the network (`pg_read_file`, `utl_http`, `bfilename`,
//! `readfile`, URI types, XML parsers that fetch DTDs: `xmltype`, `xmlparse`,
//! XQuery and XSLT), locks or sleeps (`pg_advisory_lock`, `dbms_lock`),
//! touches sessions, settings, sequences or the server (`pg_terminate_backend`,
//! `set_config`, `nextval`, `sys_context`), or tells about the server rather
//! than the data (`version`, `sqlite_version`, `current_setting`). Functions
//! that build very large values (`repeat`, `lpad`, `printf`) are allowed
//! with their sizes written out and bounded (see `bounds`); SQLite's
//! `json_group_array` and `json_group_object` are left out, as they grow
//! past the connection's value limit while they aggregate (1.6 GB in one
//! query), where `group_concat` stops at it.
//!
//! Operators may add names with `sql.allowed_functions`; a name that reaches
//! outside the query is refused there too (see [`refuse_in_configuration`]).

use super::super::Dialect;

const ALL: u8 = 0b111;
const ORA: u8 = 0b001;
const PG: u8 = 0b010;
const LITE: u8 = 0b100;

fn bit(dialect: Dialect) -> u8 {
    match dialect {
        Dialect::Oracle => ORA,
        Dialect::Postgres => PG,
        Dialect::Sqlite => LITE,
    }
}

/// Scalar, aggregate and window functions, lower case, with the dialects
/// in which the name means the harmless function described.
const SCALAR: &[(&str, u8)] = &[
    // Aggregates.
    ("count", ALL),
    ("sum", ALL),
    ("avg", ALL),
    ("min", ALL),
    ("max", ALL),
    ("total", LITE),
    ("stddev", ORA | PG),
    ("stddev_pop", ORA | PG),
    ("stddev_samp", ORA | PG),
    ("variance", ORA | PG),
    ("var_pop", ORA | PG),
    ("var_samp", ORA | PG),
    ("covar_pop", ORA | PG),
    ("covar_samp", ORA | PG),
    ("corr", ORA | PG),
    ("regr_slope", ORA | PG),
    ("regr_intercept", ORA | PG),
    ("regr_count", ORA | PG),
    ("regr_r2", ORA | PG),
    ("regr_avgx", ORA | PG),
    ("regr_avgy", ORA | PG),
    ("median", ORA),
    ("percentile_cont", ORA | PG),
    ("percentile_disc", ORA | PG),
    ("mode", PG),
    ("stats_mode", ORA),
    ("approx_count_distinct", ORA),
    ("listagg", ORA),
    ("string_agg", PG | LITE),
    ("group_concat", LITE),
    ("array_agg", PG),
    ("bool_and", PG),
    ("bool_or", PG),
    ("every", PG),
    ("bit_and", PG),
    ("bit_or", PG),
    ("json_agg", PG),
    ("jsonb_agg", PG),
    ("json_object_agg", PG),
    ("jsonb_object_agg", PG),
    ("json_arrayagg", ORA),
    ("json_objectagg", ORA),
    ("xmlagg", ORA | PG),
    ("grouping", ALL),
    ("grouping_id", ORA),
    // Window functions.
    ("row_number", ALL),
    ("rank", ALL),
    ("dense_rank", ALL),
    ("percent_rank", ALL),
    ("cume_dist", ALL),
    ("ntile", ALL),
    ("lag", ALL),
    ("lead", ALL),
    ("first_value", ALL),
    ("last_value", ALL),
    ("nth_value", ALL),
    ("ratio_to_report", ORA),
    // Conditional.
    ("coalesce", ALL),
    ("nullif", ALL),
    ("greatest", ORA | PG),
    ("least", ORA | PG),
    ("nvl", ORA),
    ("nvl2", ORA),
    ("decode", ORA),
    ("lnnvl", ORA),
    ("nanvl", ORA),
    ("ifnull", LITE),
    ("iif", LITE),
    // Its other name since SQLite 3.48 (the bundled library is 3.50).
    ("if", LITE),
    // Strings.
    ("lower", ALL),
    ("upper", ALL),
    ("initcap", ORA | PG),
    ("length", ALL),
    ("lengthb", ORA),
    ("char_length", PG),
    ("character_length", PG),
    ("octet_length", PG | LITE),
    ("bit_length", PG),
    ("substr", ALL),
    ("substrb", ORA),
    ("substring", PG | LITE),
    ("instr", ORA | LITE),
    ("strpos", PG),
    ("position", PG),
    ("replace", ALL),
    ("translate", ORA | PG),
    ("trim", ALL),
    ("ltrim", ALL),
    ("rtrim", ALL),
    ("btrim", PG),
    ("lpad", ORA | PG),
    ("rpad", ORA | PG),
    ("left", PG),
    ("right", PG),
    ("reverse", PG),
    ("repeat", PG),
    ("concat", ALL),
    ("concat_ws", PG | LITE),
    ("split_part", PG),
    ("starts_with", PG),
    ("ascii", ORA | PG),
    ("chr", ORA | PG),
    ("char", LITE),
    ("unicode", LITE),
    ("soundex", ORA),
    ("regexp_like", ORA),
    ("regexp_replace", ORA | PG),
    ("regexp_substr", ORA | PG),
    ("regexp_instr", ORA | PG),
    ("regexp_count", ORA | PG),
    ("regexp_match", PG),
    ("regexp_matches", PG),
    ("regexp_split_to_array", PG),
    ("string_to_array", PG),
    // Text search (not ts_headline, which rebuilds the document, nor
    // ts_rewrite, which runs SQL held in a string). `@@` is read by the walk.
    ("to_tsvector", PG),
    ("to_tsquery", PG),
    ("plainto_tsquery", PG),
    ("phraseto_tsquery", PG),
    ("websearch_to_tsquery", PG),
    ("ts_rank", PG),
    ("ts_rank_cd", PG),
    ("array_to_string", PG),
    ("array_length", PG),
    ("cardinality", PG),
    ("to_char", ORA | PG),
    ("to_number", ORA | PG),
    ("to_date", ORA | PG),
    ("to_timestamp", ORA | PG),
    ("from_tz", ORA),
    ("num_nulls", PG),
    ("num_nonnulls", PG),
    ("to_timestamp_tz", ORA),
    ("to_nchar", ORA),
    ("to_single_byte", ORA),
    ("format", PG),
    // Set-returning functions in a select list (their rows are capped like
    // any others), as they stand in FROM.
    ("generate_series", PG),
    ("unnest", PG),
    ("json_array_elements", PG),
    ("jsonb_array_elements", PG),
    ("json_array_elements_text", PG),
    ("jsonb_array_elements_text", PG),
    ("regexp_split_to_table", PG),
    ("string_to_table", PG),
    // ARRAY(subquery) and ROW(…) constructors, which parse as calls.
    ("array", PG),
    ("row", PG),
    ("printf", LITE),
    ("format", LITE),
    ("quote", LITE),
    ("hex", LITE),
    ("md5", PG),
    ("sha256", PG),
    ("standard_hash", ORA),
    ("ora_hash", ORA),
    ("glob", LITE),
    ("like", LITE),
    // Numbers.
    ("abs", ALL),
    ("round", ALL),
    ("trunc", ORA | PG),
    ("ceil", ORA | PG | LITE),
    ("ceiling", PG | LITE),
    ("floor", ALL),
    ("mod", ALL),
    ("power", ORA | PG | LITE),
    ("pow", PG | LITE),
    ("sqrt", ALL),
    ("exp", ALL),
    ("ln", ALL),
    ("log", ALL),
    ("log10", PG | LITE),
    ("sign", ALL),
    ("width_bucket", ORA | PG),
    ("div", PG),
    ("pi", PG | LITE),
    ("sin", ALL),
    ("cos", ALL),
    ("tan", ALL),
    ("asin", ALL),
    ("acos", ALL),
    ("atan", ALL),
    ("atan2", ALL),
    ("radians", PG | LITE),
    ("degrees", PG | LITE),
    ("bitand", ORA),
    // Dates and times.
    ("add_months", ORA),
    ("months_between", ORA),
    ("last_day", ORA),
    ("next_day", ORA),
    ("date_trunc", PG),
    ("date_part", PG),
    ("date_bin", PG),
    ("age", PG),
    ("make_date", PG),
    ("make_time", PG),
    ("make_timestamp", PG),
    ("make_interval", PG),
    ("justify_days", PG),
    ("justify_hours", PG),
    ("justify_interval", PG),
    ("isfinite", PG),
    // Ranges: two bounds and whether each is in, built or read in constant
    // time whatever they are given (`range_agg`, which gathers, stays out).
    ("int4range", PG),
    ("int8range", PG),
    ("numrange", PG),
    ("tsrange", PG),
    ("tstzrange", PG),
    ("daterange", PG),
    ("isempty", PG),
    ("lower_inc", PG),
    ("upper_inc", PG),
    ("lower_inf", PG),
    ("upper_inf", PG),
    ("range_merge", PG),
    ("now", PG),
    // A sample (`ORDER BY random() LIMIT 10`): it reads nothing and only
    // moves this session's own generator (`setseed` stays out).
    ("random", PG | LITE),
    ("current_time", ALL),
    ("localtime", PG),
    ("current_date", ALL),
    ("current_timestamp", ALL),
    ("localtimestamp", ORA | PG),
    ("sysdate", ORA),
    ("systimestamp", ORA),
    ("numtodsinterval", ORA),
    ("numtoyminterval", ORA),
    ("to_dsinterval", ORA),
    ("to_yminterval", ORA),
    ("date", LITE),
    ("time", LITE),
    ("datetime", LITE),
    ("julianday", LITE),
    ("unixepoch", LITE),
    ("strftime", LITE),
    ("timediff", LITE),
    // Casts and types.
    ("cast", ALL),
    ("typeof", LITE),
    // Hierarchies (CONNECT BY).
    ("sys_connect_by_path", ORA),
    ("connect_by_root", ORA),
    // XML and JSON built from columns (no parsing of documents, no XQuery).
    ("xmlelement", ORA | PG),
    ("xmlforest", ORA | PG),
    ("xmlconcat", ORA | PG),
    ("xmlattributes", ORA | PG),
    ("json_object", ORA | LITE),
    ("json_array", ORA | LITE),
    ("json_build_object", PG),
    ("json_build_array", PG),
    ("jsonb_build_object", PG),
    ("jsonb_build_array", PG),
    ("to_json", PG),
    ("to_jsonb", PG),
    ("row_to_json", PG),
    ("json_extract", LITE),
    ("json_value", ORA),
    ("json_query", ORA),
    ("json_exists", ORA),
    ("jsonb_extract_path", PG),
    ("jsonb_extract_path_text", PG),
    ("json_extract_path", PG),
    ("json_extract_path_text", PG),
    ("jsonb_typeof", PG),
    ("json_typeof", PG),
    ("jsonb_array_length", PG),
    ("json_array_length", PG | LITE),
    ("json_type", LITE),
    ("json_valid", LITE),
    ("json_quote", LITE),
];

/// Functions that may stand in `FROM` (set-returning, table-valued).
const TABLE: &[(&str, u8)] = &[
    ("generate_series", PG),
    ("unnest", PG),
    ("json_each", PG | LITE),
    ("jsonb_each", PG),
    ("json_each_text", PG),
    ("jsonb_each_text", PG),
    ("json_array_elements", PG),
    ("jsonb_array_elements", PG),
    ("json_array_elements_text", PG),
    ("jsonb_array_elements_text", PG),
    ("json_tree", LITE),
    ("regexp_split_to_table", PG),
    ("string_to_table", PG),
];

/// Every function name the built-in lists allow, in any dialect (lower
/// case): what the facts other checks keep of functions are held against.
#[cfg(test)]
pub(super) fn allowed_names() -> impl Iterator<Item = &'static str> {
    SCALAR.iter().chain(TABLE).map(|(name, _)| *name)
}

/// Whether `name` (one unqualified name, as the database folds it) is an
/// allowed scalar, aggregate or window function in `dialect`.
pub fn scalar_allowed(dialect: Dialect, name: &str) -> bool {
    listed(SCALAR, dialect, name)
}

/// Whether `name` parses a text argument as a date, a number or a query,
/// and quotes it whole in its error when it cannot (PostgreSQL's
/// `invalid value "…" for "YYYY"`, `syntax error in tsquery: "…"`). Casts
/// and `AT TIME ZONE` do the same; the walk notes those itself.
pub fn parses_text(name: &str) -> bool {
    ["to_date", "to_timestamp", "to_number", "to_tsquery"].contains(&name)
}

/// Whether `name` may be called as a table in `FROM`.
pub fn table_allowed(dialect: Dialect, name: &str) -> bool {
    listed(TABLE, dialect, name)
}

fn listed(list: &[(&str, u8)], dialect: Dialect, name: &str) -> bool {
    list.iter()
        .any(|(n, dialects)| dialects & bit(dialect) != 0 && n.eq_ignore_ascii_case(name))
}

/// Why a name given in `sql.allowed_functions` is refused there: the kinds
/// of function an operator can only mean to allow by mistake.
pub fn refuse_in_configuration(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    const REACHING: &[(&str, &str)] = &[
        ("dblink", "reaches other databases"),
        (
            "pg_",
            "is a PostgreSQL server function (files, sessions, locks, settings)",
        ),
        ("lo_", "reads or writes large objects and server files"),
        (
            "dbms_",
            "is an Oracle package that reaches outside the query",
        ),
        (
            "utl_",
            "is an Oracle package that reaches files or the network",
        ),
        ("sys.", "is in Oracle's SYS schema"),
        ("xmltype", "parses XML, which can fetch external entities"),
        ("xmlparse", "parses XML, which can fetch external entities"),
        ("xmlquery", "runs XQuery, which can read tables and URLs"),
        ("xmltable", "runs XQuery, which can read tables and URLs"),
        ("xmltransform", "runs XSLT, which can read tables and URLs"),
        ("uritype", "fetches URLs"),
        ("httpuritype", "fetches URLs"),
        ("bfilename", "reads server files"),
        ("query_to_xml", "runs SQL held in a string"),
        ("table_to_xml", "reads a table named in a string"),
        ("crosstab", "runs SQL held in a string"),
        ("connectby", "runs SQL held in a string"),
        ("xpath_table", "runs SQL held in a string"),
        ("ts_stat", "runs SQL held in a string"),
        ("load_extension", "loads native code"),
        ("readfile", "reads server files"),
        ("writefile", "writes server files"),
        ("nextval", "advances a sequence"),
        ("setval", "changes a sequence"),
        ("set_config", "changes settings"),
    ];
    REACHING
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix) || lower.contains(&format!(".{prefix}")))
        .map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_hold_nothing_that_reaches_outside_the_query() {
        for (name, _) in SCALAR.iter().chain(TABLE) {
            assert_eq!(refuse_in_configuration(name), None, "{name}");
        }
        assert!(refuse_in_configuration("DBLINK_EXEC").is_some());
        assert!(refuse_in_configuration("pg_sleep").is_some());
        assert!(refuse_in_configuration("crm.fn").is_none());
    }

    #[test]
    fn a_name_is_allowed_in_its_own_dialects_only() {
        assert!(scalar_allowed(Dialect::Oracle, "NVL"));
        assert!(!scalar_allowed(Dialect::Postgres, "nvl"));
        assert!(scalar_allowed(Dialect::Sqlite, "group_concat"));
        assert!(!scalar_allowed(Dialect::Postgres, "pg_sleep"));
        assert!(table_allowed(Dialect::Postgres, "generate_series"));
        assert!(!table_allowed(Dialect::Oracle, "generate_series"));
    }
}
