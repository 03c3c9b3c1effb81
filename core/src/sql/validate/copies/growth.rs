//! How much longer than its input each function the allow-list admits may
//! make its result: the table the copies a row holds are counted by.

use super::{MAX_ROW_COPIES, REGEXP_WORKING, SPLIT_WORKING, text_search};

/// How much longer than its input a function's result may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Growth {
    /// A result of a bounded size whatever the input: a number, a truth, a
    /// date, a hash, a count.
    Bounded,
    /// At most this many times all its arguments together.
    Times(u64),
    /// Escapes text into JSON or XML, at most this many times longer; a
    /// value that is already JSON or XML (built by another such call) is
    /// put in as it is.
    Escaped(u64),
    /// `repeat`: its count times its first argument.
    Repeat,
    /// `replace`, `regexp_replace`: the replacement's length over what it
    /// replaces times the input, and the replacement once.
    Replace,
    /// `concat_ws`: the separator between every two of the others.
    Separated,
    /// `array_to_string`: the separator (and the text for a null) between
    /// every two elements, which may be as many as the characters of the
    /// text the array was split from.
    Joined,
    /// `format`, `printf`: each conversion of the pattern takes one
    /// argument (`%1$s` names which), `%I` and `%L` quote it (twice its
    /// length at most).
    Formatted,
    /// A split of its first argument into pieces: the result holds `held`
    /// times it (an array of one-character pieces takes eight bytes a
    /// character, a four-byte header each, aligned), and building it takes
    /// `working` times it (each piece allocated on its own, the text as
    /// wide characters, the positions of the matches: 40 to 80 bytes a
    /// character, measured on PostgreSQL 15).
    Split { held: u64, working: u64 },
}

impl Growth {
    /// The most this growth may multiply any argument by, for kinds read
    /// without their structure.
    pub(super) fn most(self) -> u64 {
        match self {
            Growth::Bounded => 0,
            Growth::Times(n) | Growth::Escaped(n) => n,
            Growth::Repeat | Growth::Replace | Growth::Separated | Growth::Joined => MAX_ROW_COPIES,
            Growth::Formatted => MAX_ROW_COPIES,
            Growth::Split { held, .. } => held,
        }
    }
}

/// How much each function the allow-list admits (see `functions`) may
/// grow its input; a name added by the operator (`sql.allowed_functions`)
/// is taken to double it.
pub(super) fn growth(name: &str) -> Growth {
    match name {
        // Numbers, truths, dates, positions, hashes, lengths, types.
        "count"
        | "sum"
        | "avg"
        | "total"
        | "stddev"
        | "stddev_pop"
        | "stddev_samp"
        | "variance"
        | "var_pop"
        | "var_samp"
        | "covar_pop"
        | "covar_samp"
        | "corr"
        | "regr_slope"
        | "regr_intercept"
        | "regr_count"
        | "regr_r2"
        | "regr_avgx"
        | "regr_avgy"
        | "median"
        | "percentile_cont"
        | "approx_count_distinct"
        | "bool_and"
        | "bool_or"
        | "every"
        | "bit_and"
        | "bit_or"
        | "grouping"
        | "grouping_id"
        | "row_number"
        | "rank"
        | "dense_rank"
        | "percent_rank"
        | "cume_dist"
        | "ntile"
        | "ratio_to_report"
        | "lnnvl"
        | "nanvl"
        | "length"
        | "lengthb"
        | "char_length"
        | "character_length"
        | "octet_length"
        | "bit_length"
        | "instr"
        | "strpos"
        | "position"
        | "starts_with"
        | "ascii"
        | "chr"
        | "char"
        | "unicode"
        | "soundex"
        | "regexp_like"
        | "array_length"
        | "cardinality"
        | "to_number"
        | "to_date"
        | "to_timestamp"
        | "from_tz"
        | "num_nulls"
        | "num_nonnulls"
        | "to_timestamp_tz"
        | "md5"
        | "hashtext"
        | "sha256"
        | "ts_rank"
        | "ts_rank_cd"
        | "standard_hash"
        | "ora_hash"
        | "glob"
        | "like"
        | "abs"
        | "round"
        | "trunc"
        | "ceil"
        | "ceiling"
        | "floor"
        | "mod"
        | "power"
        | "pow"
        | "sqrt"
        | "exp"
        | "ln"
        | "log"
        | "log10"
        | "sign"
        | "width_bucket"
        | "div"
        | "pi"
        | "sin"
        | "cos"
        | "tan"
        | "asin"
        | "acos"
        | "atan"
        | "atan2"
        | "radians"
        | "degrees"
        | "bitand"
        | "add_months"
        | "months_between"
        | "last_day"
        | "next_day"
        | "date_trunc"
        | "date_part"
        | "date_bin"
        | "age"
        | "make_date"
        | "make_time"
        | "make_timestamp"
        | "make_interval"
        | "justify_days"
        | "justify_hours"
        | "justify_interval"
        | "isfinite"
        | "now"
        | "random"
        | "current_time"
        | "localtime"
        | "current_date"
        | "current_timestamp"
        | "localtimestamp"
        | "sysdate"
        | "systimestamp"
        | "numtodsinterval"
        | "numtoyminterval"
        | "to_dsinterval"
        | "to_yminterval"
        | "date"
        | "time"
        | "datetime"
        | "julianday"
        | "unixepoch"
        | "timediff"
        | "typeof"
        | "jsonb_typeof"
        | "json_typeof"
        | "jsonb_array_length"
        | "json_array_length"
        | "json_type"
        | "json_valid"
        | "json_exists" => Growth::Bounded,
        // One of their arguments, a part of one, or all of them side by
        // side: no longer than what they are given.
        "min"
        | "max"
        | "mode"
        | "percentile_disc"
        | "stats_mode"
        | "lag"
        | "lead"
        | "first_value"
        | "last_value"
        | "nth_value"
        | "coalesce"
        | "nullif"
        | "greatest"
        | "least"
        | "nvl"
        | "nvl2"
        | "decode"
        | "ifnull"
        | "iif"
        | "if"
        | "lower"
        | "upper"
        | "initcap"
        | "substr"
        | "substrb"
        | "substring"
        | "trim"
        | "ltrim"
        | "rtrim"
        | "btrim"
        | "lpad"
        | "rpad"
        | "left"
        | "right"
        | "reverse"
        | "concat"
        | "split_part"
        | "regexp_match"
        | "to_char"
        | "to_nchar"
        | "to_single_byte"
        | "strftime"
        | "cast"
        | "sys_connect_by_path"
        | "connect_by_root"
        | "xmlconcat"
        | "json_value"
        | "json_query"
        | "json_extract"
        | "jsonb_extract_path"
        | "jsonb_extract_path_text"
        | "json_extract_path"
        | "json_extract_path_text"
        | "generate_series"
        | "unnest"
        | "json_array_elements"
        | "jsonb_array_elements"
        | "json_array_elements_text"
        | "jsonb_array_elements_text"
        | "array"
        | "row"
        | "string_agg"
        | "group_concat"
        | "listagg"
        | "array_agg" => Growth::Times(1),
        // Quoting doubles a quote or writes a byte as two digits.
        "quote" | "hex" | "json_quote" => Growth::Times(2),
        // A character mapped to another may take four bytes for one.
        "translate" => Growth::Times(4),
        // JSON escapes a control character into six (`\u0001`), XML a
        // quote into six (`&quot;`).
        "to_json" | "to_jsonb" | "row_to_json" | "json_build_object" | "json_build_array"
        | "jsonb_build_object" | "jsonb_build_array" | "json_object" | "json_array"
        | "json_agg" | "jsonb_agg" | "json_object_agg" | "jsonb_object_agg" | "json_arrayagg"
        | "json_objectagg" | "xmlelement" | "xmlforest" | "xmlattributes" | "xmlagg" => {
            Growth::Escaped(6)
        }
        // Arrays of pieces, built whole.
        "string_to_array" | "regexp_split_to_array" => Growth::Split {
            held: 8,
            working: SPLIT_WORKING,
        },
        // Pieces returned one at a time, after every match was found: the
        // text as wide characters (four bytes a character) and two
        // positions a match (eight bytes, in a list that doubles).
        // A text-search vector holds at most 1 MB (PostgreSQL refuses a
        // longer one), but parsing builds every word apart: 28 bytes a
        // character of input, measured (a 10 MB text took a backend to
        // 303 MiB in `to_tsvector('simple', …)`).
        name if text_search(name) => Growth::Split {
            held: 1,
            working: 32,
        },
        "regexp_matches" | "regexp_split_to_table" | "string_to_table" => Growth::Split {
            held: 1,
            working: 24,
        },
        // A count, a position or a part of one match, after every match
        // was found: the text as wide characters and the positions of every
        // match (12.4 bytes a character measured for `regexp_count(body,
        // '.')`; six in one row of a 10 MB document took a backend to
        // 769 MiB).
        "regexp_count" | "regexp_instr" => Growth::Split {
            held: 0,
            working: REGEXP_WORKING,
        },
        "regexp_substr" => Growth::Split {
            held: 1,
            working: REGEXP_WORKING,
        },
        "repeat" => Growth::Repeat,
        "replace" | "regexp_replace" => Growth::Replace,
        "concat_ws" => Growth::Separated,
        "array_to_string" => Growth::Joined,
        "format" | "printf" => Growth::Formatted,
        _ => Growth::Times(2),
    }
}
