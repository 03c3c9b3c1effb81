//! The statement's tokens, before the parser sees them: bounded in number
//! and depth, screened for the kinds whose reading the checker and the
//! database may not agree on (Unicode escapes, named operators), and the
//! forms sqlparser cannot parse rewritten into forms it can, for the
//! parser only.

use sqlparser::tokenizer::{Token, Whitespace};

use crate::sql::Dialect;
use crate::sql::validate::refusal::{Excess, Refusal, Unreadable};

/// The most tokens (words, literals, operators; not spaces or comments).
pub const MAX_TOKENS: usize = 10_000;
/// The deepest nesting of parentheses.
pub const MAX_PAREN_DEPTH: usize = 64;

/// `sql` without Oracle's optimizer hints (`/*+ … */`, `--+ …`), each
/// replaced by a space (a line's end kept): to the checker a comment, to
/// Oracle an order on how to run the statement (`PARALLEL(128)`: how many
/// processes; which plan) that no rule here weighs. What runs is the
/// statement without them; everything else is kept as written. Found by the
/// tokenizer, so that `'/*+'` in a string stays.
pub(in crate::sql::validate) fn without_oracle_hints(
    sql: &str,
    dialect: &dyn sqlparser::dialect::Dialect,
) -> Result<String, Refusal> {
    use sqlparser::tokenizer::{Location, Tokenizer};
    let tokens = Tokenizer::new(dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Refusal::CannotVerify(Unreadable::Unparsable(e.to_string())))?;
    // The byte where each line starts; a location's column counts chars.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    let byte = |location: Location| -> usize {
        let line = usize::try_from(location.line).unwrap_or(usize::MAX);
        let Some(&start) = starts.get(line.saturating_sub(1)) else {
            return sql.len();
        };
        let column = usize::try_from(location.column)
            .unwrap_or(1)
            .saturating_sub(1);
        sql[start..]
            .char_indices()
            .nth(column)
            .map_or(sql.len(), |(at, _)| start + at)
    };
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    for token in &tokens {
        let hint = matches!(
            &token.token,
            Token::Whitespace(
                Whitespace::MultiLineComment(text)
                | Whitespace::SingleLineComment { comment: text, .. }
            ) if text.starts_with('+')
        );
        if !hint {
            continue;
        }
        let (from, to) = (byte(token.span.start), byte(token.span.end));
        if from < copied || to < from {
            return Err(Refusal::CannotVerify(Unreadable::Unparsable(
                "a comment's place in the statement could not be read".to_owned(),
            )));
        }
        out.push_str(&sql[copied..from]);
        out.push(if sql[from..to].ends_with('\n') {
            '\n'
        } else {
            ' '
        });
        copied = to;
    }
    out.push_str(&sql[copied..]);
    Ok(out)
}

/// Bounds the statement's tokens and keeps only kinds whose reading the
/// checker and the database agree on; then rewrites the Oracle forms
/// sqlparser cannot parse into forms it can, for the parser only (the text
/// that runs is the original): `KEEP (DENSE_RANK FIRST|LAST ORDER BY …)`
/// becomes `WITHIN GROUP (ORDER BY …)`, `ORDER SIBLINGS BY` becomes
/// `ORDER BY`, the `NAME` keyword and the `AS alias` of XML generation
/// functions are dropped, `LISTAGG … ON OVERFLOW TRUNCATE` gets the `WITH
/// COUNT` Oracle implies, `BETWEEN SYMMETRIC` loses its word, and SQLite's
/// `NOT GLOB` and `IS [NOT] value` become `GLOB` and `IS [NOT] DISTINCT
/// FROM value`. Every expression stays in place, so the walk still sees and
/// judges all of them (what a rewritten operator means does not matter to
/// the judgement, which is about what is read and called).
pub(in crate::sql::validate) fn screen_tokens(
    tokens: Vec<Token>,
    dialect: Dialect,
) -> Result<Vec<Token>, Refusal> {
    let mut count = 0usize;
    let mut depth = 0usize;
    for token in &tokens {
        match token {
            // Spaces and comments (Oracle's hints are gone by now: see
            // `without_oracle_hints`).
            Token::Whitespace(_) => continue,
            Token::LParen => {
                depth += 1;
                if depth > MAX_PAREN_DEPTH {
                    return Err(Refusal::TooLarge(Excess::Parentheses {
                        max: MAX_PAREN_DEPTH,
                    }));
                }
            }
            Token::RParen => depth = depth.saturating_sub(1),
            other => screen_token(other, dialect)?,
        }
        count += 1;
        if count > MAX_TOKENS {
            return Err(Refusal::TooLarge(Excess::Tokens { max: MAX_TOKENS }));
        }
    }
    refuse_unicode_escapes(&tokens)?;
    refuse_named_operators(&tokens)?;
    // An `E'…'` string is judged as the text it stands for: a pattern,
    // a separator or a format is read as the database reads it.
    let tokens = tokens
        .into_iter()
        .map(|token| match token {
            Token::EscapedStringLiteral(text) => Token::SingleQuotedString(text),
            other => other,
        })
        .collect();
    Ok(rewrite_for_parser(tokens, dialect))
}

/// Refuses a token (not a space, a comment or a parenthesis) of a kind
/// whose reading the checker and the database may not agree on, or that no
/// rule here reads.
fn screen_token(token: &Token, dialect: Dialect) -> Result<(), Refusal> {
    match token {
        Token::Placeholder(p) => return Err(Refusal::Placeholder(p.clone())),
        Token::DollarQuotedString(_) => {
            return Err(Refusal::Placeholder("a dollar-quoted string".to_owned()));
        }
        Token::UnicodeStringLiteral(_) => return Err(Refusal::UnicodeEscape),
        // With standard_conforming_strings off, PostgreSQL reads `\'`
        // as a quote inside the string, and the string ends elsewhere
        // than the checker reads it. The executor turns the setting on;
        // the checker does not rely on it.
        Token::SingleQuotedString(text)
            if dialect == Dialect::Postgres && (text.contains("\\'") || text.ends_with('\\')) =>
        {
            return Err(Refusal::CannotVerify(Unreadable::BackslashBeforeQuote));
        }
        // PostgreSQL reads an `E'…'` string's escapes whatever its
        // settings, as the tokenizer does (`\'` and `''` are quotes,
        // `\n`, `\t`, octal, hex and Unicode escapes are characters;
        // a byte that is no character is refused by the tokenizer): the
        // string ends where both read it to, and the walk judges its
        // decoded text (see `screen_tokens`).
        Token::EscapedStringLiteral(_) if dialect == Dialect::Postgres => {}
        Token::EscapedStringLiteral(_) => {
            return Err(Refusal::CannotVerify(Unreadable::EscapedString));
        }
        // sqlparser reads `"A""B"` as one name, Oracle as a name and an
        // alias: a name holding a quote is read differently.
        Token::Word(w) if w.quote_style.is_some() && w.value.contains(['"', '`', ']']) => {
            return Err(Refusal::CannotVerify(Unreadable::QuoteInQuotedName(
                w.to_string(),
            )));
        }
        // Oracle upper-cases an unquoted name by rules of its own for
        // letters outside ASCII (ß, ſ, ı and the Kelvin sign fold to
        // ASCII in Unicode's rules): a name the checker could fold
        // otherwise than the database is not judged. Quoted, it is exact.
        Token::Word(w)
            if dialect == Dialect::Oracle && w.quote_style.is_none() && !w.value.is_ascii() =>
        {
            return Err(Refusal::CannotVerify(Unreadable::OracleFolding(
                w.value.clone(),
            )));
        }
        token if ordinary(token) => {}
        Token::QuoteDelimitedStringLiteral(_) | Token::NationalQuoteDelimitedStringLiteral(_)
            if dialect == Dialect::Oracle => {}
        // Named notation, `make_interval(days => 3)`: PostgreSQL has no
        // `=>` operator since 9.5; the walk reads it for a few
        // functions only.
        Token::RArrow if dialect == Dialect::Postgres => {}
        // A text search; the walk reads which `@@` it is.
        Token::AtAt if dialect == Dialect::Postgres => {}
        // An overlap of ranges or arrays (`a.during && b.during`), in
        // the class of `@>` for the parser as for PostgreSQL; the sizes
        // judge what it compares (see `sizes::Check::sought_elements`).
        Token::Overlap if dialect == Dialect::Postgres => {}
        other => {
            return Err(Refusal::CannotVerify(Unreadable::Token(other.to_string())));
        }
    }
    Ok(())
}

/// The kinds of tokens every dialect reads as the checker does: words,
/// numbers, plain strings, punctuation and the operators the walk judges.
fn ordinary(token: &Token) -> bool {
    matches!(
        token,
        Token::Word(_)
            | Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::Comma
            | Token::Eq
            | Token::DoubleEq
            | Token::Neq
            | Token::Lt
            | Token::Gt
            | Token::LtEq
            | Token::GtEq
            | Token::Plus
            | Token::Minus
            | Token::Mul
            | Token::Div
            | Token::Mod
            | Token::StringConcat
            | Token::Period
            | Token::Colon
            | Token::DoubleColon
            | Token::SemiColon
            | Token::LBracket
            | Token::RBracket
            | Token::Ampersand
            | Token::Pipe
            | Token::Caret
            | Token::Tilde
            | Token::ExclamationMarkTilde
            | Token::TildeAsterisk
            | Token::ExclamationMarkTildeAsterisk
            | Token::Arrow
            | Token::LongArrow
            | Token::HashArrow
            | Token::HashLongArrow
            | Token::AtArrow
            | Token::ArrowAt
            | Token::Question
            | Token::QuestionAnd
            | Token::QuestionPipe
            | Token::ShiftLeft
            | Token::ShiftRight
    )
}

/// PostgreSQL reads `U&'…'` and `U&"…"` (no space between) as text or a
/// name with escapes; the tokenizer of another dialect reads a word `U`, an
/// `&` and a string: `U&"\0070g_sleep"` is pg_sleep.
fn refuse_unicode_escapes(tokens: &[Token]) -> Result<(), Refusal> {
    for window in tokens.windows(3) {
        if let [Token::Word(u), Token::Ampersand, next] = window
            && u.quote_style.is_none()
            && u.value.eq_ignore_ascii_case("U")
            && matches!(
                next,
                Token::SingleQuotedString(_)
                    | Token::Word(sqlparser::tokenizer::Word {
                        quote_style: Some(_),
                        ..
                    })
            )
        {
            return Err(Refusal::UnicodeEscape);
        }
    }
    Ok(())
}

/// PostgreSQL's `OPERATOR(schema.op)` names an operator, which runs the
/// function it was defined with, anywhere an operator may stand; and
/// `ORDER BY x USING op` chooses one by name (the parser keeps no trace of
/// either).
fn refuse_named_operators(tokens: &[Token]) -> Result<(), Refusal> {
    let solid: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    for pair in solid.windows(2) {
        if is_word(pair[0], "OPERATOR") && *pair[1] == Token::LParen {
            return Err(Refusal::CannotVerify(Unreadable::NamedOperator));
        }
        // `JOIN … USING (columns)` has a parenthesis after USING.
        if is_word(pair[0], "USING") && *pair[1] != Token::LParen {
            return Err(Refusal::CannotVerify(Unreadable::OrderByUsing));
        }
    }
    Ok(())
}

fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// See [`screen_tokens`].
fn rewrite_for_parser(tokens: Vec<Token>, dialect: Dialect) -> Vec<Token> {
    let mut rewrite = Rewrite {
        tokens: &tokens,
        // Indices of the tokens that are not spaces or comments.
        solid: tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| !matches!(t, Token::Whitespace(_)))
            .map(|(i, _)| i)
            .collect(),
        drop: vec![false; tokens.len()],
        replace: Vec::new(),
        xml_depths: Vec::new(),
        depth: 0,
    };
    rewrite.mark(dialect);
    let Rewrite { drop, replace, .. } = rewrite;
    if !drop.iter().any(|d| *d) && replace.is_empty() {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.into_iter().enumerate() {
        if let Some((_, with)) = replace.iter().find(|(at, _)| *at == i) {
            out.extend(with.iter().cloned());
        } else if !drop[i] {
            out.push(token);
        }
    }
    out
}

/// What [`rewrite_for_parser`] changes of the statement's tokens, marked
/// in one pass over them.
struct Rewrite<'t> {
    tokens: &'t [Token],
    /// Indices of the tokens that are not spaces or comments.
    solid: Vec<usize>,
    /// The tokens dropped, by index.
    drop: Vec<bool>,
    /// The tokens replaced, by index, each with what replaces it.
    replace: Vec<(usize, Vec<Token>)>,
    /// The XML functions whose parentheses are open, by depth.
    xml_depths: Vec<usize>,
    /// How many parentheses are open.
    depth: usize,
}

impl<'t> Rewrite<'t> {
    /// The `k`th token that is not a space or a comment.
    fn at(&self, k: usize) -> Option<&'t Token> {
        let tokens = self.tokens;
        self.solid.get(k).map(|&i| &tokens[i])
    }

    /// Marks each form the parser cannot read, token by token.
    fn mark(&mut self, dialect: Dialect) {
        let tokens = self.tokens;
        for k in 0..self.solid.len() {
            let token = &tokens[self.solid[k]];
            match token {
                Token::LParen => self.opened(k),
                Token::RParen => self.closed(),
                // `expr AS alias` directly inside XMLFOREST/XMLATTRIBUTES: the
                // alias names an element or attribute, nothing to check.
                Token::Word(w)
                    if w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("AS")
                        && self.xml_depths.last() == Some(&self.depth)
                        && self.at(k + 1).is_some_and(|t| matches!(t, Token::Word(_)))
                        && self
                            .at(k + 2)
                            .is_some_and(|t| matches!(t, Token::Comma | Token::RParen)) =>
                {
                    self.drop[self.solid[k]] = true;
                    self.drop[self.solid[k + 1]] = true;
                }
                // PostgreSQL's BETWEEN SYMMETRIC a AND b: the same three
                // expressions. Elsewhere `symmetric(…)` would be a function.
                Token::Word(w)
                    if dialect == Dialect::Postgres
                        && w.quote_style.is_none()
                        && (w.value.eq_ignore_ascii_case("SYMMETRIC")
                            || w.value.eq_ignore_ascii_case("ASYMMETRIC"))
                        && k > 0
                        && self.at(k - 1).is_some_and(|t| is_word(t, "BETWEEN"))
                        && self.at(k + 1) != Some(&Token::LParen) =>
                {
                    self.drop[self.solid[k]] = true;
                }
                // LISTAGG(…) ON OVERFLOW TRUNCATE ['filler'] without WITH|WITHOUT
                // COUNT: Oracle's default is WITH COUNT.
                Token::Word(w)
                    if w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("TRUNCATE")
                        && k > 1
                        && self.at(k - 1).is_some_and(|t| is_word(t, "OVERFLOW"))
                        && self.at(k - 2).is_some_and(|t| is_word(t, "ON")) =>
                {
                    self.with_count(k);
                }
                // SQLite: `x NOT GLOB p` is `NOT (x GLOB p)`, which the parser
                // reads without the NOT.
                Token::Word(w)
                    if dialect == Dialect::Sqlite
                        && w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("NOT")
                        && self.at(k + 1).is_some_and(|t| is_word(t, "GLOB")) =>
                {
                    self.drop[self.solid[k]] = true;
                }
                // SQLite: `x IS [NOT] y` for any y is `x IS [NOT] DISTINCT FROM
                // y` the other way round; the parser knows only the long form.
                Token::Word(w)
                    if dialect == Dialect::Sqlite
                        && w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("IS") =>
                {
                    self.is_distinct_from(k);
                }
                // ORDER SIBLINGS BY (Oracle's hierarchical order) → ORDER BY:
                // the same expressions.
                Token::Word(w)
                    if w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("SIBLINGS")
                        && k > 0
                        && self.at(k - 1).is_some_and(|t| is_word(t, "ORDER"))
                        && self.at(k + 1).is_some_and(|t| is_word(t, "BY")) =>
                {
                    self.drop[self.solid[k]] = true;
                }
                // KEEP ( DENSE_RANK FIRST|LAST ORDER BY … ) → WITHIN GROUP ( ORDER BY … )
                Token::Word(w)
                    if w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("KEEP")
                        && self.at(k + 1) == Some(&Token::LParen)
                        && self.at(k + 2).is_some_and(|t| is_word(t, "DENSE_RANK"))
                        && self
                            .at(k + 3)
                            .is_some_and(|t| is_word(t, "FIRST") || is_word(t, "LAST"))
                        && self.at(k + 4).is_some_and(|t| is_word(t, "ORDER")) =>
                {
                    self.replace
                        .push((self.solid[k], keywords(&["WITHIN", "GROUP"])));
                    self.drop[self.solid[k + 2]] = true;
                    self.drop[self.solid[k + 3]] = true;
                }
                _ => {}
            }
        }
    }

    /// The `k`th token, a parenthesis, opens: one of an XML generation
    /// function is followed by its depth, and loses its `NAME` keyword.
    fn opened(&mut self, k: usize) {
        self.depth += 1;
        if k > 0
            && self.at(k - 1).is_some_and(|t| {
                ["XMLELEMENT", "XMLFOREST", "XMLATTRIBUTES"]
                    .iter()
                    .any(|w| is_word(t, w))
            })
        {
            self.xml_depths.push(self.depth);
            // XMLELEMENT(NAME x, …): the keyword goes.
            if self.at(k + 1).is_some_and(|t| is_word(t, "NAME"))
                && self.at(k + 2).is_some_and(|t| matches!(t, Token::Word(_)))
                && self
                    .at(k + 3)
                    .is_some_and(|t| matches!(t, Token::Comma | Token::RParen))
            {
                self.drop[self.solid[k + 1]] = true;
            }
        }
    }

    /// A parenthesis closes, and the XML generation function it closed, if
    /// any.
    fn closed(&mut self) {
        if self.xml_depths.last() == Some(&self.depth) {
            self.xml_depths.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }

    /// `ON OVERFLOW TRUNCATE ['filler']`, its `k`th token the `TRUNCATE`:
    /// `WITH COUNT` follows it unless `WITH` or `WITHOUT` does already.
    fn with_count(&mut self, k: usize) {
        let last = match self.at(k + 1) {
            Some(Token::SingleQuotedString(_) | Token::NationalStringLiteral(_)) => k + 1,
            _ => k,
        };
        if !self
            .at(last + 1)
            .is_some_and(|t| is_word(t, "WITH") || is_word(t, "WITHOUT"))
        {
            let mut with = vec![
                self.tokens[self.solid[last]].clone(),
                Token::Whitespace(Whitespace::Space),
            ];
            with.extend(keywords(&["WITH", "COUNT"]));
            self.replace.push((self.solid[last], with));
        }
    }

    /// SQLite's `IS [NOT] value`, its `k`th token the `IS`: written `IS
    /// [NOT] DISTINCT FROM value` the other way round, for a plain value.
    fn is_distinct_from(&mut self, k: usize) {
        let negated = self.at(k + 1).is_some_and(|t| is_word(t, "NOT"));
        let operand = self.at(k + if negated { 2 } else { 1 });
        let plain = match operand {
            Some(Token::SingleQuotedString(_) | Token::Number(..) | Token::LParen) => true,
            Some(Token::Word(o)) => {
                o.quote_style.is_some() || o.keyword == sqlparser::keywords::Keyword::NoKeyword
            }
            _ => false,
        };
        if plain {
            let with = if negated {
                self.drop[self.solid[k + 1]] = true;
                keywords(&["IS", "DISTINCT", "FROM"])
            } else {
                keywords(&["IS", "NOT", "DISTINCT", "FROM"])
            };
            self.replace.push((self.solid[k], with));
        }
    }
}

/// Keywords separated by spaces, as the parser reads them.
fn keywords(words: &[&str]) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(words.len() * 2);
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            tokens.push(Token::Whitespace(Whitespace::Space));
        }
        tokens.push(Token::make_keyword(word));
    }
    tokens
}
