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
//! past the connection's value limit while they aggregate, where
//! `group_concat` stops at it.
//!
//! Operators may add names with `sql.allowed_functions`; a name that reaches
//! outside the query is refused there too (see [`refuse_in_configuration`]).

use super::super::Dialect;

const ALL: u8 = 0b111;
const ORA: u8 = 0b001;
const PG: u8 = 0b010;
const LITE: u8 = 0b100;

/// PostgreSQL functions that build a date, a time or an interval from its
/// parts, whose arguments may be named (`make_interval(days => 3)`): a name
/// says which part, and no part builds a value that grows.
pub(super) const NAMED_PARTS: &[&str] =
    &["make_interval", "make_date", "make_time", "make_timestamp"];

/// The bit of `dialect` in a set of dialects.
pub(super) fn bit(dialect: Dialect) -> u8 {
    match dialect {
        Dialect::Oracle => ORA,
        Dialect::Postgres => PG,
        Dialect::Sqlite => LITE,
    }
}

/// What the checks know of one function: where it may be called and in
/// which dialects, and what it does with its input. One entry a function:
/// every check that asks about a function by name reads this table.
#[derive(Debug, Clone, Copy)]
pub(super) struct FunctionSpec {
    pub(super) name: &'static str,
    /// The dialects in which it may be called in an expression.
    scalar: u8,
    /// The dialects in which it may stand in `FROM`.
    table: u8,
    /// How much longer than its input its result may be.
    pub(super) growth: Growth,
    /// It gathers values across rows into one, whose size grows with the
    /// rows read.
    pub(super) gathers: Option<Gathered>,
    /// It returns rows: as many as its arguments say, which the planner
    /// foresees only when they are written out (`generate_series(1, 100)`).
    pub(super) returns_rows: bool,
    /// It parses a text argument as a date, a number or a query, and quotes
    /// it whole in its error when it cannot (PostgreSQL's `invalid value
    /// "…" for "YYYY"`); casts and `AT TIME ZONE` do the same, and the walk
    /// notes those itself.
    pub(super) parses_text: bool,
    /// Its result can be many times its first argument (`repeat`,
    /// `replace`, `lpad`): such calls may not take one another's results.
    pub(super) grows: bool,
    /// PostgreSQL: it parses a text into words, `(configuration, text)` or
    /// `(text)`.
    pub(super) searches_words: bool,
    /// PostgreSQL: it builds a text-search query from its last argument,
    /// parsed in one call no deadline interrupts.
    pub(super) builds_tsquery: bool,
    /// An aggregate that keeps one of the values it is given (`max`,
    /// `mode`), not a number made of them: a group holds what it reads.
    pub(super) keeps_value: bool,
    /// It searches its first argument for a text, a pattern or a
    /// separator, in one call.
    pub(super) searches_text: bool,
    /// An aggregate: it makes one value of a group's rows.
    pub(super) aggregate: bool,
    /// How an aggregate combines its values (see [`Combines`]).
    combines: Combines,
    /// Each call draws a new value from a generator (`random`): the values
    /// rows get follow the order they are read in, and the generator's
    /// state can be worked back from a few of them.
    draws: bool,
    /// Its result follows the order it is given rows in, unless an `ORDER
    /// BY` of its own tells them apart: it strings them together
    /// (`string_agg`), numbers them (`row_number`), reads a neighbour
    /// (`lag`) or keeps any one (`any_value`).
    pub(super) follows_order: bool,
    /// It parses its last argument into a larger structure (a document, a
    /// vector of words, rows of pieces).
    pub(super) parses_structure: bool,
    /// It writes any value it is given out as text (see
    /// `Parsed::as_text`).
    pub(super) writes_as_text: bool,
    /// It computes a number digit by digit to a precision set by its
    /// arguments' digits, in one call PostgreSQL does not interrupt.
    pub(super) computes_digits: bool,
    /// What some of its arguments are to the checks, by position from 0.
    pub(super) args: &'static [(usize, Role)],
}

/// What an argument of a call is to the checks that bound one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// How long the result is (`repeat`'s count).
    Size,
    /// How long a padding makes its result (`lpad`'s length): a size,
    /// except on Oracle, whose VARCHAR2 stops at 4,000 bytes whatever is
    /// asked (`LPAD(' ', 2 * LEVEL)`, the CONNECT BY indentation).
    Padding,
    /// A format a conversion reads (`to_char(x, 'FM999')`), in the dialects
    /// given: the server takes some 27 times its length to read it, held
    /// until the row is done.
    Template(u8),
    /// How many decimal places a rounding keeps, in the dialects given
    /// (PostgreSQL's `round(x, 2)`, up to 16,383).
    Scale(u8),
    /// How long a part of its first argument it keeps (`left(body, 40)`):
    /// written out, the part is short whatever it is cut from.
    Excerpt,
    /// What a search looks for, in the dialects given, whose search costs
    /// the product of the two lengths in one call (`strpos`'s needle).
    Needle(u8),
    /// A regular expression.
    Regex,
    /// A JSON path, which may hold a regular expression (`like_regex`).
    JsonPath,
    /// A format whose conversions may take widths (`printf`'s first).
    Format,
    /// A text written between every two pieces (`array_to_string`'s
    /// separator and text for a null).
    Separator,
}

/// What a gathering builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gathered {
    /// A text (`string_agg`, `json_agg`).
    Text,
    /// A structured value (a jsonb document, an array), which an operator
    /// rebuilds whole.
    Structure,
}

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
    /// wide characters, the positions of the matches).
    Split { held: u64, working: u64 },
}

/// The working memory of a split into an array, in copies of what it
/// splits: up to 80 bytes a character, measured by `scripts/bench-sql-resources`
/// on the splits of `benches/sql_resources.tsv`.
const SPLIT_WORKING: u64 = 80;
/// The working memory of a search that finds every match before it
/// answers (`regexp_count`, `regexp_instr`, `regexp_substr`), in copies
/// of the text it searches: four bytes a character for the text as wide
/// characters, eight for the two positions of a match at every character,
/// and one for the text unpacked.
const REGEXP_WORKING: u64 = 14;

/// Numbers, truths, dates, positions, hashes, lengths, types.
const BOUNDED: Growth = Growth::Bounded;
/// One of their arguments, a part of one, or all of them side by side: no
/// longer than what they are given.
const AS_GIVEN: Growth = Growth::Times(1);
/// Quoting doubles a quote or writes a byte as two digits.
const QUOTED: Growth = Growth::Times(2);
/// A character mapped to another may take four bytes for one.
const MAPPED: Growth = Growth::Times(4);
/// JSON escapes a control character into six (`\u0001`), XML a quote into
/// six (`&quot;`).
const ESCAPED: Growth = Growth::Escaped(6);
/// Arrays of pieces, built whole.
const PIECES_ARRAY: Growth = Growth::Split {
    held: 8,
    working: SPLIT_WORKING,
};
/// A text-search vector holds at most 1 MB (PostgreSQL refuses a longer
/// one), but parsing builds every word apart.
const WORDS: Growth = Growth::Split {
    held: 1,
    working: 32,
};
/// Pieces returned one at a time, after every match was found: the text as
/// wide characters (four bytes a character) and two positions a match
/// (eight bytes, in a list that doubles).
const PIECES: Growth = Growth::Split {
    held: 1,
    working: 24,
};
/// A count or a position of a match, after every match was found.
const MATCH_COUNT: Growth = Growth::Split {
    held: 0,
    working: REGEXP_WORKING,
};
/// A part of one match, after every match was found.
const MATCH_PART: Growth = Growth::Split {
    held: 1,
    working: REGEXP_WORKING,
};

/// How an aggregate combines the values it is given, which says what of
/// them its result may show of the order they come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combines {
    /// It counts them: nothing of what they are.
    Counts,
    /// It adds them (`sum`, `avg`, `stddev`): the same total in any order
    /// only where their arithmetic is exact.
    Adds,
    /// It computes in floating point whatever they are (`corr`, `regr_*`):
    /// rounded as they come.
    Floats,
    /// It compares, keeps or strings them (`min`, `mode`, `string_agg`):
    /// of equal values shown apart, which one it shows follows their order.
    Keeps,
}

/// A function known by `name` (lower case), allowed nowhere until a list
/// below says where; a name added by the operator
/// (`sql.allowed_functions`) and not listed is taken to double its input.
const fn f(name: &'static str) -> FunctionSpec {
    FunctionSpec {
        name,
        scalar: 0,
        table: 0,
        growth: Growth::Times(2),
        gathers: None,
        returns_rows: false,
        parses_text: false,
        grows: false,
        searches_words: false,
        builds_tsquery: false,
        keeps_value: false,
        searches_text: false,
        aggregate: false,
        combines: Combines::Keeps,
        draws: false,
        follows_order: false,
        parses_structure: false,
        writes_as_text: false,
        computes_digits: false,
        args: &[],
    }
}

impl FunctionSpec {
    const fn scalar(self, dialects: u8) -> Self {
        Self {
            scalar: dialects,
            ..self
        }
    }
    const fn table(self, dialects: u8) -> Self {
        Self {
            table: dialects,
            ..self
        }
    }
    const fn growth(self, growth: Growth) -> Self {
        Self { growth, ..self }
    }
    const fn gathers(self, gathered: Gathered) -> Self {
        Self {
            gathers: Some(gathered),
            ..self
        }
    }
    const fn returns_rows(self) -> Self {
        Self {
            returns_rows: true,
            ..self
        }
    }
    const fn parses_text(self) -> Self {
        Self {
            parses_text: true,
            ..self
        }
    }
    const fn grows(self) -> Self {
        Self {
            grows: true,
            ..self
        }
    }
    const fn searches_words(self) -> Self {
        Self {
            searches_words: true,
            ..self
        }
    }
    const fn builds_tsquery(self) -> Self {
        Self {
            builds_tsquery: true,
            ..self
        }
    }
    const fn keeps_value(self) -> Self {
        Self {
            keeps_value: true,
            ..self
        }
    }
    const fn aggregate(self) -> Self {
        Self {
            aggregate: true,
            ..self
        }
    }
    const fn draws(self) -> Self {
        Self {
            draws: true,
            ..self
        }
    }
    const fn counts(self) -> Self {
        Self {
            combines: Combines::Counts,
            ..self
        }
    }
    const fn adds(self) -> Self {
        Self {
            combines: Combines::Adds,
            ..self
        }
    }
    const fn floats(self) -> Self {
        Self {
            combines: Combines::Floats,
            ..self
        }
    }
    const fn follows_order(self) -> Self {
        Self {
            follows_order: true,
            ..self
        }
    }
    const fn searches_text(self) -> Self {
        Self {
            searches_text: true,
            ..self
        }
    }
    const fn parses_structure(self) -> Self {
        Self {
            parses_structure: true,
            ..self
        }
    }
    const fn writes_as_text(self) -> Self {
        Self {
            writes_as_text: true,
            ..self
        }
    }
    const fn computes_digits(self) -> Self {
        Self {
            computes_digits: true,
            ..self
        }
    }
    const fn args(self, args: &'static [(usize, Role)]) -> Self {
        Self { args, ..self }
    }
}

/// The argument that says how long the result is, second.
const SIZE_AT_1: &[(usize, Role)] = &[(1, Role::Size)];
/// A padding's length, second.
const PADDING_AT_1: &[(usize, Role)] = &[(1, Role::Padding)];
/// A format PostgreSQL and Oracle read, second.
const TEMPLATE_AT_1: &[(usize, Role)] = &[(1, Role::Template(ORA | PG))];
/// The length of a part kept, second.
const EXCERPT_AT_1: &[(usize, Role)] = &[(1, Role::Excerpt)];
/// The length of a part kept, third (after where it starts).
const EXCERPT_AT_2: &[(usize, Role)] = &[(2, Role::Excerpt)];
/// PostgreSQL's decimal places, second.
const SCALE_AT_1: &[(usize, Role)] = &[(1, Role::Scale(PG))];
/// A regular expression, second.
const REGEX_AT_1: &[(usize, Role)] = &[(1, Role::Regex)];
/// A JSON path, second.
const JSON_PATH_AT_1: &[(usize, Role)] = &[(1, Role::JsonPath)];
/// What PostgreSQL's search looks for, second.
const NEEDLE_AT_1: &[(usize, Role)] = &[(1, Role::Needle(PG))];

/// Every function the checks know, lower case: `scalar` names the dialects
/// in which it may be called in an expression (aggregates and window
/// functions too), `table` those in which it may stand in `FROM`.
const FUNCTIONS: &[FunctionSpec] = &[
    // Aggregates.
    f("count").counts().aggregate().scalar(ALL).growth(BOUNDED),
    f("sum").adds().aggregate().scalar(ALL).growth(BOUNDED),
    f("avg").adds().aggregate().scalar(ALL).growth(BOUNDED),
    f("min")
        .aggregate()
        .scalar(ALL)
        .growth(AS_GIVEN)
        .keeps_value(),
    f("max")
        .aggregate()
        .scalar(ALL)
        .growth(AS_GIVEN)
        .keeps_value(),
    f("total").adds().aggregate().scalar(LITE).growth(BOUNDED),
    f("stddev")
        .adds()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("stddev_pop")
        .adds()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("stddev_samp")
        .adds()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("variance")
        .adds()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("var_pop")
        .adds()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("var_samp")
        .adds()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("covar_pop")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("covar_samp")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("corr")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("regr_slope")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("regr_intercept")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("regr_count")
        .counts()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("regr_r2")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("regr_avgx")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("regr_avgy")
        .floats()
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("median").aggregate().scalar(ORA).growth(BOUNDED),
    f("percentile_cont")
        .aggregate()
        .scalar(ORA | PG)
        .growth(BOUNDED),
    f("percentile_disc")
        .aggregate()
        .scalar(ORA | PG)
        .growth(AS_GIVEN)
        .keeps_value(),
    f("mode")
        .aggregate()
        .scalar(PG)
        .growth(AS_GIVEN)
        .keeps_value(),
    f("stats_mode")
        .aggregate()
        .follows_order()
        .scalar(ORA)
        .growth(AS_GIVEN)
        .keeps_value(),
    f("approx_count_distinct")
        .aggregate()
        .scalar(ORA)
        .growth(BOUNDED),
    f("listagg")
        .aggregate()
        .follows_order()
        .scalar(ORA)
        .growth(AS_GIVEN)
        .gathers(Gathered::Text),
    f("string_agg")
        .aggregate()
        .follows_order()
        .scalar(PG | LITE)
        .growth(AS_GIVEN)
        .gathers(Gathered::Text),
    f("group_concat")
        .aggregate()
        .follows_order()
        .scalar(LITE)
        .growth(AS_GIVEN)
        .gathers(Gathered::Text),
    f("array_agg")
        .aggregate()
        .follows_order()
        .scalar(PG)
        .growth(AS_GIVEN)
        .gathers(Gathered::Structure),
    f("bool_and").aggregate().scalar(PG).growth(BOUNDED),
    f("bool_or").aggregate().scalar(PG).growth(BOUNDED),
    f("every").aggregate().scalar(PG).growth(BOUNDED),
    f("bit_and").aggregate().scalar(PG).growth(BOUNDED),
    f("bit_or").aggregate().scalar(PG).growth(BOUNDED),
    f("json_agg")
        .aggregate()
        .follows_order()
        .scalar(PG)
        .growth(ESCAPED)
        .gathers(Gathered::Text),
    f("jsonb_agg")
        .aggregate()
        .follows_order()
        .scalar(PG)
        .growth(ESCAPED)
        .gathers(Gathered::Structure),
    f("json_object_agg")
        .aggregate()
        .follows_order()
        .scalar(PG)
        .growth(ESCAPED)
        .gathers(Gathered::Text),
    f("jsonb_object_agg")
        .aggregate()
        .follows_order()
        .scalar(PG)
        .growth(ESCAPED)
        .gathers(Gathered::Structure),
    f("json_arrayagg")
        .aggregate()
        .follows_order()
        .scalar(ORA)
        .growth(ESCAPED)
        .gathers(Gathered::Text),
    f("json_objectagg")
        .aggregate()
        .follows_order()
        .scalar(ORA)
        .growth(ESCAPED)
        .gathers(Gathered::Text),
    f("xmlagg")
        .aggregate()
        .follows_order()
        .scalar(ORA | PG)
        .growth(ESCAPED)
        .gathers(Gathered::Text),
    f("grouping").aggregate().scalar(ALL).growth(BOUNDED),
    f("grouping_id").aggregate().scalar(ORA).growth(BOUNDED),
    // Window functions.
    f("row_number").follows_order().scalar(ALL).growth(BOUNDED),
    f("rank").scalar(ALL).growth(BOUNDED),
    f("dense_rank").scalar(ALL).growth(BOUNDED),
    f("percent_rank").scalar(ALL).growth(BOUNDED),
    f("cume_dist").scalar(ALL).growth(BOUNDED),
    f("ntile").follows_order().scalar(ALL).growth(BOUNDED),
    f("lag").follows_order().scalar(ALL).growth(AS_GIVEN),
    f("lead").follows_order().scalar(ALL).growth(AS_GIVEN),
    f("first_value")
        .follows_order()
        .scalar(ALL)
        .growth(AS_GIVEN),
    f("last_value").follows_order().scalar(ALL).growth(AS_GIVEN),
    f("nth_value").follows_order().scalar(ALL).growth(AS_GIVEN),
    f("ratio_to_report").scalar(ORA).growth(BOUNDED),
    // Conditional.
    f("coalesce").scalar(ALL).growth(AS_GIVEN),
    f("nullif").scalar(ALL).growth(AS_GIVEN),
    f("greatest").scalar(ORA | PG).growth(AS_GIVEN),
    f("least").scalar(ORA | PG).growth(AS_GIVEN),
    f("nvl").scalar(ORA).growth(AS_GIVEN),
    f("nvl2").scalar(ORA).growth(AS_GIVEN),
    f("decode").scalar(ORA).growth(AS_GIVEN),
    f("lnnvl").scalar(ORA).growth(BOUNDED),
    f("nanvl").scalar(ORA).growth(BOUNDED),
    f("ifnull").scalar(LITE).growth(AS_GIVEN),
    f("iif").scalar(LITE).growth(AS_GIVEN),
    // Its other name since SQLite 3.48 (the bundled library is 3.50).
    f("if").scalar(LITE).growth(AS_GIVEN),
    // Strings.
    f("lower").scalar(ALL).growth(AS_GIVEN),
    f("upper").scalar(ALL).growth(AS_GIVEN),
    f("initcap").scalar(ORA | PG).growth(AS_GIVEN),
    f("length").scalar(ALL).growth(BOUNDED),
    f("lengthb").scalar(ORA).growth(BOUNDED),
    f("char_length").scalar(PG).growth(BOUNDED),
    f("character_length").scalar(PG).growth(BOUNDED),
    f("octet_length").scalar(PG | LITE).growth(BOUNDED),
    f("bit_length").scalar(PG).growth(BOUNDED),
    f("substr").scalar(ALL).growth(AS_GIVEN).args(EXCERPT_AT_2),
    f("substrb").scalar(ORA).growth(AS_GIVEN),
    f("substring")
        .scalar(PG | LITE)
        .growth(AS_GIVEN)
        .args(EXCERPT_AT_2),
    f("instr")
        .searches_text()
        .scalar(ORA | LITE)
        .growth(BOUNDED)
        .args(&[(1, Role::Needle(ORA))]),
    f("strpos")
        .searches_text()
        .scalar(PG)
        .growth(BOUNDED)
        .args(NEEDLE_AT_1),
    f("position").scalar(PG).growth(BOUNDED),
    f("replace")
        .searches_text()
        .scalar(ALL)
        .growth(Growth::Replace)
        .grows()
        .args(NEEDLE_AT_1),
    f("translate").scalar(ORA | PG).growth(MAPPED),
    f("trim").scalar(ALL).growth(AS_GIVEN),
    f("ltrim").scalar(ALL).growth(AS_GIVEN),
    f("rtrim").scalar(ALL).growth(AS_GIVEN),
    f("btrim").scalar(PG).growth(AS_GIVEN),
    f("lpad")
        .scalar(ORA | PG)
        .growth(AS_GIVEN)
        .grows()
        .args(PADDING_AT_1),
    f("rpad")
        .scalar(ORA | PG)
        .growth(AS_GIVEN)
        .grows()
        .args(PADDING_AT_1),
    f("left").scalar(PG).growth(AS_GIVEN).args(EXCERPT_AT_1),
    f("right").scalar(PG).growth(AS_GIVEN).args(EXCERPT_AT_1),
    f("reverse").scalar(PG).growth(AS_GIVEN),
    f("repeat")
        .scalar(PG)
        .growth(Growth::Repeat)
        .grows()
        .args(SIZE_AT_1),
    f("concat").writes_as_text().scalar(ALL).growth(AS_GIVEN),
    f("concat_ws")
        .writes_as_text()
        .scalar(PG | LITE)
        .growth(Growth::Separated),
    f("split_part")
        .searches_text()
        .scalar(PG)
        .growth(AS_GIVEN)
        .args(NEEDLE_AT_1),
    f("starts_with").scalar(PG).growth(BOUNDED),
    f("ascii").scalar(ORA | PG).growth(BOUNDED),
    f("chr").scalar(ORA | PG).growth(BOUNDED),
    f("char").scalar(LITE).growth(BOUNDED),
    f("unicode").scalar(LITE).growth(BOUNDED),
    f("soundex").scalar(ORA).growth(BOUNDED),
    f("regexp_like")
        .searches_text()
        .scalar(ORA)
        .growth(BOUNDED)
        .args(REGEX_AT_1),
    f("regexp_replace")
        .searches_text()
        .scalar(ORA | PG)
        .growth(Growth::Replace)
        .grows()
        .args(REGEX_AT_1),
    f("regexp_substr")
        .searches_text()
        .scalar(ORA | PG)
        .growth(MATCH_PART)
        .args(REGEX_AT_1),
    f("regexp_instr")
        .searches_text()
        .scalar(ORA | PG)
        .growth(MATCH_COUNT)
        .args(REGEX_AT_1),
    f("regexp_count")
        .searches_text()
        .scalar(ORA | PG)
        .growth(MATCH_COUNT)
        .args(REGEX_AT_1),
    f("regexp_match")
        .searches_text()
        .scalar(PG)
        .growth(AS_GIVEN)
        .args(REGEX_AT_1),
    f("regexp_matches")
        .searches_text()
        .scalar(PG)
        .growth(PIECES)
        .returns_rows()
        .args(REGEX_AT_1),
    f("regexp_split_to_array")
        .searches_text()
        .scalar(PG)
        .growth(PIECES_ARRAY)
        .args(REGEX_AT_1),
    f("string_to_array")
        .searches_text()
        .scalar(PG)
        .growth(PIECES_ARRAY)
        .args(NEEDLE_AT_1),
    // Text search (not ts_headline, which rebuilds the document, nor
    // ts_rewrite, which runs SQL held in a string). `@@` is read by the walk.
    f("to_tsvector")
        .parses_structure()
        .scalar(PG)
        .growth(WORDS)
        .searches_words(),
    f("to_tsquery")
        .scalar(PG)
        .growth(WORDS)
        .parses_text()
        .searches_words()
        .builds_tsquery(),
    f("plainto_tsquery")
        .scalar(PG)
        .growth(WORDS)
        .searches_words()
        .builds_tsquery(),
    f("phraseto_tsquery")
        .scalar(PG)
        .growth(WORDS)
        .searches_words()
        .builds_tsquery(),
    f("websearch_to_tsquery")
        .scalar(PG)
        .growth(WORDS)
        .searches_words()
        .builds_tsquery(),
    f("ts_rank").scalar(PG).growth(BOUNDED),
    f("ts_rank_cd").scalar(PG).growth(BOUNDED),
    f("array_to_string")
        .writes_as_text()
        .scalar(PG)
        .growth(Growth::Joined)
        .args(&[(1, Role::Separator), (2, Role::Separator)]),
    f("array_length").scalar(PG).growth(BOUNDED),
    f("cardinality").scalar(PG).growth(BOUNDED),
    f("to_char")
        .scalar(ORA | PG)
        .growth(AS_GIVEN)
        .args(TEMPLATE_AT_1),
    f("to_number")
        .scalar(ORA | PG)
        .growth(BOUNDED)
        .parses_text()
        .args(TEMPLATE_AT_1),
    f("to_date")
        .scalar(ORA | PG)
        .growth(BOUNDED)
        .parses_text()
        .args(TEMPLATE_AT_1),
    f("to_timestamp")
        .scalar(ORA | PG)
        .growth(BOUNDED)
        .parses_text()
        .args(TEMPLATE_AT_1),
    f("from_tz").scalar(ORA).growth(BOUNDED),
    f("num_nulls").scalar(PG).growth(BOUNDED),
    f("num_nonnulls").scalar(PG).growth(BOUNDED),
    f("to_timestamp_tz")
        .scalar(ORA)
        .growth(BOUNDED)
        .args(TEMPLATE_AT_1),
    f("to_nchar").scalar(ORA).growth(AS_GIVEN),
    f("to_single_byte").scalar(ORA).growth(AS_GIVEN),
    f("format")
        .writes_as_text()
        .scalar(PG | LITE)
        .growth(Growth::Formatted)
        .grows()
        .args(&[(0, Role::Format)]),
    // Set-returning functions in a select list (their rows are capped like
    // any others), as they stand in FROM.
    f("generate_series")
        .scalar(PG)
        .table(PG)
        .growth(AS_GIVEN)
        .returns_rows(),
    f("unnest")
        .parses_structure()
        .scalar(PG)
        .table(PG)
        .growth(AS_GIVEN)
        .returns_rows(),
    f("json_array_elements")
        .parses_structure()
        .scalar(PG)
        .table(PG)
        .growth(AS_GIVEN)
        .returns_rows(),
    f("jsonb_array_elements")
        .parses_structure()
        .scalar(PG)
        .table(PG)
        .growth(AS_GIVEN)
        .returns_rows(),
    f("json_array_elements_text")
        .parses_structure()
        .scalar(PG)
        .table(PG)
        .growth(AS_GIVEN)
        .returns_rows(),
    f("jsonb_array_elements_text")
        .parses_structure()
        .scalar(PG)
        .table(PG)
        .growth(AS_GIVEN)
        .returns_rows(),
    f("regexp_split_to_table")
        .parses_structure()
        .searches_text()
        .scalar(PG)
        .table(PG)
        .growth(PIECES)
        .returns_rows()
        .args(REGEX_AT_1),
    f("string_to_table")
        .parses_structure()
        .searches_text()
        .scalar(PG)
        .table(PG)
        .growth(PIECES)
        .returns_rows()
        .args(NEEDLE_AT_1),
    // ARRAY(subquery) and ROW(…) constructors, which parse as calls.
    f("array")
        .scalar(PG)
        .growth(AS_GIVEN)
        .gathers(Gathered::Structure),
    f("row").scalar(PG).growth(AS_GIVEN),
    f("printf")
        .scalar(LITE)
        .growth(Growth::Formatted)
        .grows()
        .args(&[(0, Role::Format)]),
    f("quote").scalar(LITE).growth(QUOTED),
    f("hex").scalar(LITE).growth(QUOTED),
    f("md5").scalar(PG).growth(BOUNDED),
    f("sha256").scalar(PG).growth(BOUNDED),
    f("standard_hash").scalar(ORA).growth(BOUNDED),
    f("ora_hash").scalar(ORA).growth(BOUNDED),
    f("glob").scalar(LITE).growth(BOUNDED),
    f("like").scalar(LITE).growth(BOUNDED),
    // Numbers.
    f("abs").scalar(ALL).growth(BOUNDED),
    f("round").scalar(ALL).growth(BOUNDED).args(SCALE_AT_1),
    f("trunc").scalar(ORA | PG).growth(BOUNDED).args(SCALE_AT_1),
    f("ceil").scalar(ORA | PG | LITE).growth(BOUNDED),
    f("ceiling").scalar(PG | LITE).growth(BOUNDED),
    f("floor").scalar(ALL).growth(BOUNDED),
    f("mod").scalar(ALL).growth(BOUNDED),
    f("power")
        .computes_digits()
        .scalar(ORA | PG | LITE)
        .growth(BOUNDED),
    f("pow").computes_digits().scalar(PG | LITE).growth(BOUNDED),
    f("sqrt").computes_digits().scalar(ALL).growth(BOUNDED),
    f("exp").computes_digits().scalar(ALL).growth(BOUNDED),
    f("ln").computes_digits().scalar(ALL).growth(BOUNDED),
    f("log").computes_digits().scalar(ALL).growth(BOUNDED),
    f("log10")
        .computes_digits()
        .scalar(PG | LITE)
        .growth(BOUNDED),
    f("sign").scalar(ALL).growth(BOUNDED),
    f("width_bucket").scalar(ORA | PG).growth(BOUNDED),
    f("div").scalar(PG).growth(BOUNDED),
    f("pi").scalar(PG | LITE).growth(BOUNDED),
    f("sin").scalar(ALL).growth(BOUNDED),
    f("cos").scalar(ALL).growth(BOUNDED),
    f("tan").scalar(ALL).growth(BOUNDED),
    f("asin").scalar(ALL).growth(BOUNDED),
    f("acos").scalar(ALL).growth(BOUNDED),
    f("atan").scalar(ALL).growth(BOUNDED),
    f("atan2").scalar(ALL).growth(BOUNDED),
    f("radians").scalar(PG | LITE).growth(BOUNDED),
    f("degrees").scalar(PG | LITE).growth(BOUNDED),
    f("bitand").scalar(ORA).growth(BOUNDED),
    // Dates and times.
    f("add_months").scalar(ORA).growth(BOUNDED),
    f("months_between").scalar(ORA).growth(BOUNDED),
    f("last_day").scalar(ORA).growth(BOUNDED),
    f("next_day").scalar(ORA).growth(BOUNDED),
    f("date_trunc").scalar(PG).growth(BOUNDED),
    f("date_part").scalar(PG).growth(BOUNDED),
    f("date_bin").scalar(PG).growth(BOUNDED),
    f("age").scalar(PG).growth(BOUNDED),
    f("make_date").scalar(PG).growth(BOUNDED),
    f("make_time").scalar(PG).growth(BOUNDED),
    f("make_timestamp").scalar(PG).growth(BOUNDED),
    f("make_interval").scalar(PG).growth(BOUNDED),
    f("justify_days").scalar(PG).growth(BOUNDED),
    f("justify_hours").scalar(PG).growth(BOUNDED),
    f("justify_interval").scalar(PG).growth(BOUNDED),
    f("isfinite").scalar(PG).growth(BOUNDED),
    // Ranges: two bounds and whether each is in, built or read in constant
    // time whatever they are given (`range_agg`, which gathers, stays out).
    f("int4range").scalar(PG),
    f("int8range").scalar(PG),
    f("numrange").scalar(PG),
    f("tsrange").scalar(PG),
    f("tstzrange").scalar(PG),
    f("daterange").scalar(PG),
    f("isempty").scalar(PG),
    f("lower_inc").scalar(PG),
    f("upper_inc").scalar(PG),
    f("lower_inf").scalar(PG),
    f("upper_inf").scalar(PG),
    f("range_merge").scalar(PG),
    f("now").scalar(PG).growth(BOUNDED),
    // A sample (`ORDER BY random() LIMIT 10`): it reads nothing and only
    // moves this session's own generator (`setseed` stays out).
    f("random").draws().scalar(PG | LITE).growth(BOUNDED),
    f("current_time").scalar(ALL).growth(BOUNDED),
    f("localtime").scalar(PG).growth(BOUNDED),
    f("current_date").scalar(ALL).growth(BOUNDED),
    f("current_timestamp").scalar(ALL).growth(BOUNDED),
    f("localtimestamp").scalar(ORA | PG).growth(BOUNDED),
    f("sysdate").scalar(ORA).growth(BOUNDED),
    f("systimestamp").scalar(ORA).growth(BOUNDED),
    f("numtodsinterval").scalar(ORA).growth(BOUNDED),
    f("numtoyminterval").scalar(ORA).growth(BOUNDED),
    f("to_dsinterval").scalar(ORA).growth(BOUNDED),
    f("to_yminterval").scalar(ORA).growth(BOUNDED),
    f("date").scalar(LITE).growth(BOUNDED),
    f("time").scalar(LITE).growth(BOUNDED),
    f("datetime").scalar(LITE).growth(BOUNDED),
    f("julianday").scalar(LITE).growth(BOUNDED),
    f("unixepoch").scalar(LITE).growth(BOUNDED),
    f("strftime").scalar(LITE).growth(AS_GIVEN),
    f("timediff").scalar(LITE).growth(BOUNDED),
    // Casts and types.
    f("cast").scalar(ALL).growth(AS_GIVEN),
    f("typeof").scalar(LITE).growth(BOUNDED),
    // Hierarchies (CONNECT BY).
    f("sys_connect_by_path").scalar(ORA).growth(AS_GIVEN),
    f("connect_by_root").scalar(ORA).growth(AS_GIVEN),
    // XML and JSON built from columns (no parsing of documents, no XQuery).
    f("xmlelement").scalar(ORA | PG).growth(ESCAPED),
    f("xmlforest").scalar(ORA | PG).growth(ESCAPED),
    f("xmlconcat").scalar(ORA | PG).growth(AS_GIVEN),
    f("xmlattributes").scalar(ORA | PG).growth(ESCAPED),
    f("json_object").scalar(ORA | LITE).growth(ESCAPED),
    f("json_array")
        .parses_structure()
        .scalar(ORA | LITE)
        .growth(ESCAPED),
    f("json_build_object").scalar(PG).growth(ESCAPED),
    f("json_build_array").scalar(PG).growth(ESCAPED),
    f("jsonb_build_object").scalar(PG).growth(ESCAPED),
    f("jsonb_build_array").scalar(PG).growth(ESCAPED),
    f("to_json").scalar(PG).growth(ESCAPED),
    f("to_jsonb").scalar(PG).growth(ESCAPED),
    f("row_to_json").scalar(PG).growth(ESCAPED),
    f("json_extract").scalar(LITE).growth(AS_GIVEN),
    f("json_value")
        .scalar(ORA)
        .growth(AS_GIVEN)
        .args(JSON_PATH_AT_1),
    f("json_query")
        .scalar(ORA)
        .growth(AS_GIVEN)
        .args(JSON_PATH_AT_1),
    f("json_exists")
        .scalar(ORA)
        .growth(BOUNDED)
        .args(JSON_PATH_AT_1),
    f("jsonb_extract_path").scalar(PG).growth(AS_GIVEN),
    f("jsonb_extract_path_text").scalar(PG).growth(AS_GIVEN),
    f("json_extract_path").scalar(PG).growth(AS_GIVEN),
    f("json_extract_path_text").scalar(PG).growth(AS_GIVEN),
    f("jsonb_typeof").scalar(PG).growth(BOUNDED),
    f("json_typeof").scalar(PG).growth(BOUNDED),
    f("jsonb_array_length").scalar(PG).growth(BOUNDED),
    f("json_array_length").scalar(PG | LITE).growth(BOUNDED),
    f("json_type").scalar(LITE).growth(BOUNDED),
    f("json_valid").scalar(LITE).growth(BOUNDED),
    f("json_quote").scalar(LITE).growth(QUOTED),
    // Only in `FROM`.
    f("json_each")
        .parses_structure()
        .table(PG | LITE)
        .returns_rows(),
    f("jsonb_each").table(PG).returns_rows(),
    f("json_each_text").table(PG).returns_rows(),
    f("jsonb_each_text").table(PG).returns_rows(),
    f("json_tree").parses_structure().table(LITE),
    // Allowed by no list by name: forms the parser reads as calls, names
    // the other checks are asked about in another dialect, and names an
    // operator may allow whose facts the checks know.
    f("generate_subscripts").returns_rows(),
    f("json_table").args(JSON_PATH_AT_1),
    f("hashtext").growth(BOUNDED),
    f("json_object_keys").returns_rows(),
    f("json_populate_recordset").returns_rows(),
    f("json_to_recordset").returns_rows(),
    f("jsonb_object_keys").returns_rows(),
    f("jsonb_path_query").returns_rows(),
    f("jsonb_populate_recordset").returns_rows(),
    f("jsonb_to_recordset").returns_rows(),
    f("json").parses_structure(),
    f("jsonb").parses_structure(),
    f("quote_literal").writes_as_text(),
    f("quote_nullable").writes_as_text(),
    f("jsonb_pretty").writes_as_text(),
    f("cbrt").computes_digits(),
    f("any_value").aggregate().follows_order().keeps_value(),
];

/// What the checks know of `name` (lower case, as the walk folds it).
pub(super) fn spec(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Whether `name` (one unqualified name, as the database folds it) is an
/// allowed scalar, aggregate or window function in `dialect`.
pub fn scalar_allowed(dialect: Dialect, name: &str) -> bool {
    allowed(dialect, name, |f| f.scalar)
}

/// Whether `name` is an aggregate the checks know.
pub fn aggregate(name: &str) -> bool {
    spec(name).is_some_and(|f| f.aggregate)
}

/// Whether each call of `name` draws a new value (see
/// [`FunctionSpec::draws`]).
pub fn draws(name: &str) -> bool {
    spec(name).is_some_and(|f| f.draws)
}

/// How the aggregate `name` combines its values; `Keeps` for a name the
/// checks do not know.
pub fn combines(name: &str) -> Combines {
    spec(name).map_or(Combines::Keeps, |f| f.combines)
}

/// Whether what `name` (known to the checks) returns follows the order it
/// is given rows in (see [`FunctionSpec::follows_order`]); `None` for a
/// name the checks do not know.
pub fn follows_order(name: &str) -> Option<bool> {
    spec(name).map(|f| f.follows_order)
}

/// Whether `name` parses a text argument (see [`FunctionSpec::parses_text`]).
pub fn parses_text(name: &str) -> bool {
    spec(name).is_some_and(|f| f.parses_text)
}

/// Whether `name` may be called as a table in `FROM`.
pub fn table_allowed(dialect: Dialect, name: &str) -> bool {
    allowed(dialect, name, |f| f.table)
}

/// Whether `name` is listed, ignoring ASCII case, with `dialect` among the
/// dialects `place` gives of it.
fn allowed(dialect: Dialect, name: &str, place: fn(&FunctionSpec) -> u8) -> bool {
    FUNCTIONS
        .iter()
        .any(|f| place(f) & bit(dialect) != 0 && f.name.eq_ignore_ascii_case(name))
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
        for f in FUNCTIONS {
            assert_eq!(refuse_in_configuration(f.name), None, "{}", f.name);
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

    #[test]
    fn each_function_is_listed_once() {
        let mut names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        let listed = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), listed);
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()));
    }
}
