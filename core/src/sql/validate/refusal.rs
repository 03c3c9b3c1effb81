//! Why a statement is refused, as data: each reason carries what it names
//! (a function, a bound and the amount past it), and [`crate::i18n`] says it
//! in every language the bot speaks. Their `Display` (the English text of
//! logs, the audit, `pstral sql check` and the model's repair prompt) is
//! implemented there too, from the same rendering: one text per reason and
//! language, and this module knows no words.

use super::Dialect;

/// Why a statement was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// The checker cannot read it as the database would.
    CannotVerify(Unreadable),
    /// It goes past a bound on what one statement may build or hold.
    TooLarge(Excess),
    Several(usize),
    NotAQuery(String),
    SelectInto,
    Locks,
    DatabaseLink(String),
    UnknownFunction {
        name: String,
        dialect: Dialect,
    },
    DeniedFunction(String),
    Sequence(String),
    DeniedObject(String),
    NotInCatalog(String),
    SchemaNotAllowed {
        object: String,
        schema: String,
    },
    Control,
    Placeholder(String),
    UnicodeEscape,
    FunctionSchemaNotAllowed {
        function: String,
        schema: String,
    },
}

/// What the checker cannot read as the database would: refused, never
/// guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The tokenizer or the parser stops (their own words, in English).
    Unparsable(String),
    /// The checker's thread could not start.
    NotStarted(String),
    /// The checker failed on the statement.
    Failed,
    BackslashBeforeQuote,
    EscapedString,
    QuoteInQuotedName(String),
    /// An unquoted name with a letter outside ASCII, which Oracle may
    /// upper-case otherwise than the checker.
    OracleFolding(String),
    Token(String),
    NamedOperator,
    OrderByUsing,
    /// A construct the checker does not follow, named in SQL
    /// (`ORDER BY ALL`, `PIVOT … ANY`).
    Construct(&'static str),
    /// A part written in another database's dialect.
    Foreign(Foreign),
    ShortTable,
    XmlTable,
    TableOptions(String),
    ComputedName(String),
    /// A bare name that is no column or alias, which the database would
    /// call as a function.
    NotAColumn {
        name: String,
        dialect: Dialect,
    },
    /// A keyword read as an alias (`FROM t limit`).
    KeywordAlias {
        before: String,
        alias: String,
    },
    KeywordAsTable(String),
    MethodCall(String),
    Access(String),
    FullTextSearch,
    Operator(String),
    /// `x.y` where `x` is no table of the query.
    NotATable(String),
    /// `relation.column` where the relation is in FROM (a table, by its
    /// name or an alias: `table` when it is an alias) and has no such
    /// column.
    NoSuchColumn {
        relation: String,
        table: Option<String>,
        column: String,
    },
    NamedArguments(String),
    CastTo(String),
    /// A text-search configuration or a collation named with its schema
    /// (`to_tsvector('hr.cfg', …)`, `COLLATE hr."c"`): whether the schema
    /// exists shows in the error, before any click.
    QualifiedSetting(String),
}

/// A part of a statement written for another database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Foreign {
    Clause,
    SelectClause,
    StarOptions,
    Join,
    FromForm,
    Sample,
    Literal,
    Expression(String),
    ClauseIn(String),
}

/// A bound a statement goes past. Amounts of `None` are without bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Excess {
    StatementBytes {
        bytes: usize,
        max: usize,
    },
    /// One `FROM` joins `relations`.
    Joined {
        relations: usize,
        max: usize,
    },
    /// The statement's `FROM` clauses name more than `max` relations.
    Relations {
        max: usize,
    },
    Tokens {
        max: usize,
    },
    Parentheses {
        max: usize,
    },
    Nesting {
        max: usize,
    },
    /// Its values are built through more steps than can be weighed.
    Steps,
    RecursiveUnion,
    /// A recursive step uses its own value more than once.
    SelfDoubling,
    /// A recursive step multiplies its own number by itself.
    SelfSquaring,
    NotMaterialized(String),
    /// `function` repeats or grows a value that is not written out.
    Regrowth {
        function: String,
        times: i128,
        max: i128,
    },
    /// `function` builds `chars` characters from values written out.
    Builds {
        function: String,
        chars: i128,
        max: i128,
    },
    /// The length `function` builds is computed.
    ComputedLength {
        function: String,
        length: String,
        max: i128,
    },
    /// `function` multiplies a value another call already grew.
    Regrown(String),
    /// A cast pads every value to `chars` characters.
    Padding {
        data_type: String,
        chars: i128,
        max: i128,
    },
    /// `array_to_string` puts a computed text between its pieces.
    ComputedSeparator(String),
    /// `function` reads its format (`to_char(x, fmt)`) from `format`, not
    /// from a text written out.
    ComputedFormat {
        function: String,
        format: String,
    },
    /// `function` parses a text-search query (`plainto_tsquery(q)`) read
    /// from `query`, not from a text written out.
    ComputedQuery {
        function: String,
        query: String,
    },
    /// `function` rounds to `scale` decimal places (computed when `None`),
    /// more than `max`.
    RoundingScale {
        function: String,
        scale: Option<i128>,
        max: i128,
    },
    /// `array_to_string` puts `chars` characters between its pieces.
    Separator {
        chars: usize,
        max: usize,
    },
    /// A search (any on SQLite; `strpos`, `position`, `replace`, `split_part` on
    /// PostgreSQL) for a computed text.
    ComputedNeedle {
        function: String,
        needle: String,
    },
    ComputedPattern(String),
    /// A regular expression that makes the engine backtrack: a
    /// back-reference (`\1`) or a lookaround (`(?=`).
    Backtracking(String),
    /// A regular expression that unfolds into `states` states, more than
    /// `max`.
    RegexStates {
        function: String,
        states: u64,
        max: u64,
    },
    /// A regular expression whose counted repeats unfold `atoms` parts
    /// that may match nothing, more than `max`.
    RegexOptional {
        function: String,
        atoms: u64,
        max: u64,
    },
    /// (Oracle) A regular expression that repeats a repeat or a choice.
    NestedRepeats(String),
    /// (PostgreSQL) A number read from a text the statement cuts or builds,
    /// of a precision without bound.
    NumberFromText(String),
    /// A width of `printf` taken from an argument (`*`).
    WidthArgument(String),
    /// The statement's searches look for `chars` characters in all.
    Needles {
        chars: Option<u64>,
        max: u64,
    },
    /// A search for a text gathered from rows.
    GatheredNeedle(String),
    /// A set of characters to trim or translate that is not written out
    /// (read from the data, or computed: `md5(title) || md5(title)`).
    ComputedSet(String),
    /// The statement's sets of characters to trim or translate hold
    /// `chars` characters in all.
    Sets {
        chars: Option<u64>,
        max: u64,
    },
    /// What the statement looks for in `text`, gathered from rows, adds up
    /// to `chars` characters (a set's counting twice).
    SearchInGathered {
        text: String,
        chars: Option<u64>,
        max: u64,
    },
    /// A value gathered from rows, parsed into another or read as rows.
    ParsedGathered(String),
    /// A value gathered from rows, read as another type (`::int`,
    /// `to_date`): the error on one the database cannot read quotes it.
    QuotedGathered(String),
    /// Values gathered from rows, gathered again.
    GathersGathered(String),
    /// A value whose length the plan does not show (a subquery's, a
    /// window's gathering) on every row a query may keep or gather.
    RepeatedValue(String),
    /// Two values gathered from rows, each looked for in the other.
    GatheredPair(String),

    /// `what` builds `chars` characters from values the statement made.
    Made {
        what: Builder,
        chars: Option<u64>,
        max: u64,
    },
    Exponent {
        exponent: i128,
        max: u64,
    },
    /// (PostgreSQL) A power of an exact number whose exponent is read or
    /// computed rather than written out.
    ComputedExponent(String),
    /// A logarithm, root or power of a number a recursion grows.
    RecursiveNumber(String),
    /// A logarithm, root or power of an exact number parsed from a value
    /// read (a text, a JSON member), whose digits only the data says.
    ParsedNumber(String),
    /// Logarithms, roots and powers on `digits` digits in all.
    Digits {
        digits: Option<u64>,
        max: u64,
    },
    /// A number written with `digits` digits.
    WrittenNumber {
        digits: Option<u64>,
        max: u64,
    },
    /// Everything the statement builds, folded into its plan.
    StatementBuilt {
        chars: Option<u64>,
        max: u64,
    },
    /// One row may hold `copies` copies of a value read (`of`, when one).
    RowCopies {
        copies: Option<u64>,
        of: Option<String>,
        max: u64,
    },
    /// One computed value may hold `copies` copies of a value read.
    ValueCopies {
        copies: Option<u64>,
        max: u64,
    },
}

/// What builds a value past [`Excess::Made`]'s bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Builder {
    Concatenation,
    Cast,
    Call(String),
}

/// An amount that may be without bound: `None` past `huge`.
pub(super) fn amount(n: u64, huge: u64) -> Option<u64> {
    (n < huge).then_some(n)
}
