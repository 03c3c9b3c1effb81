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
                if dialect == Dialect::Postgres
                    && (text.contains("\\'") || text.ends_with('\\')) =>
            {
                return Err(Refusal::CannotVerify(Unreadable::BackslashBeforeQuote));
            }
            // PostgreSQL reads an `E'…'` string's escapes whatever its
            // settings, as the tokenizer does (`\'` and `''` are quotes,
            // `\n`, `\t`, octal, hex and Unicode escapes are characters;
            // a byte that is no character is refused by the tokenizer): the
            // string ends where both read it to, and the walk judges its
            // decoded text (below).
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
            | Token::ShiftRight => {}
            Token::QuoteDelimitedStringLiteral(_)
            | Token::NationalQuoteDelimitedStringLiteral(_)
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
    // Indices of the tokens that are not spaces or comments.
    let solid: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    let at = |k: usize| solid.get(k).map(|&i| &tokens[i]);
    let mut drop = vec![false; tokens.len()];
    let mut replace: Vec<(usize, Vec<Token>)> = Vec::new();
    // The XML functions whose parentheses are open, by depth.
    let mut xml_depths: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    for k in 0..solid.len() {
        let token = &tokens[solid[k]];
        match token {
            Token::LParen => {
                depth += 1;
                if k > 0
                    && at(k - 1).is_some_and(|t| {
                        ["XMLELEMENT", "XMLFOREST", "XMLATTRIBUTES"]
                            .iter()
                            .any(|w| is_word(t, w))
                    })
                {
                    xml_depths.push(depth);
                    // XMLELEMENT(NAME x, …): the keyword goes.
                    if at(k + 1).is_some_and(|t| is_word(t, "NAME"))
                        && at(k + 2).is_some_and(|t| matches!(t, Token::Word(_)))
                        && at(k + 3).is_some_and(|t| matches!(t, Token::Comma | Token::RParen))
                    {
                        drop[solid[k + 1]] = true;
                    }
                }
            }
            Token::RParen => {
                if xml_depths.last() == Some(&depth) {
                    xml_depths.pop();
                }
                depth = depth.saturating_sub(1);
            }
            // `expr AS alias` directly inside XMLFOREST/XMLATTRIBUTES: the
            // alias names an element or attribute, nothing to check.
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("AS")
                    && xml_depths.last() == Some(&depth)
                    && at(k + 1).is_some_and(|t| matches!(t, Token::Word(_)))
                    && at(k + 2).is_some_and(|t| matches!(t, Token::Comma | Token::RParen)) =>
            {
                drop[solid[k]] = true;
                drop[solid[k + 1]] = true;
            }
            // PostgreSQL's BETWEEN SYMMETRIC a AND b: the same three
            // expressions. Elsewhere `symmetric(…)` would be a function.
            Token::Word(w)
                if dialect == Dialect::Postgres
                    && w.quote_style.is_none()
                    && (w.value.eq_ignore_ascii_case("SYMMETRIC")
                        || w.value.eq_ignore_ascii_case("ASYMMETRIC"))
                    && k > 0
                    && at(k - 1).is_some_and(|t| is_word(t, "BETWEEN"))
                    && at(k + 1) != Some(&Token::LParen) =>
            {
                drop[solid[k]] = true;
            }
            // LISTAGG(…) ON OVERFLOW TRUNCATE ['filler'] without WITH|WITHOUT
            // COUNT: Oracle's default is WITH COUNT.
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("TRUNCATE")
                    && k > 1
                    && at(k - 1).is_some_and(|t| is_word(t, "OVERFLOW"))
                    && at(k - 2).is_some_and(|t| is_word(t, "ON")) =>
            {
                let last = match at(k + 1) {
                    Some(Token::SingleQuotedString(_) | Token::NationalStringLiteral(_)) => k + 1,
                    _ => k,
                };
                if !at(last + 1).is_some_and(|t| is_word(t, "WITH") || is_word(t, "WITHOUT")) {
                    let mut with = vec![
                        tokens[solid[last]].clone(),
                        Token::Whitespace(Whitespace::Space),
                    ];
                    with.extend(keywords(&["WITH", "COUNT"]));
                    replace.push((solid[last], with));
                }
            }
            // SQLite: `x NOT GLOB p` is `NOT (x GLOB p)`, which the parser
            // reads without the NOT.
            Token::Word(w)
                if dialect == Dialect::Sqlite
                    && w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("NOT")
                    && at(k + 1).is_some_and(|t| is_word(t, "GLOB")) =>
            {
                drop[solid[k]] = true;
            }
            // SQLite: `x IS [NOT] y` for any y is `x IS [NOT] DISTINCT FROM
            // y` the other way round; the parser knows only the long form.
            Token::Word(w)
                if dialect == Dialect::Sqlite
                    && w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("IS") =>
            {
                let negated = at(k + 1).is_some_and(|t| is_word(t, "NOT"));
                let operand = at(k + if negated { 2 } else { 1 });
                let plain = match operand {
                    Some(Token::SingleQuotedString(_) | Token::Number(..) | Token::LParen) => true,
                    Some(Token::Word(o)) => {
                        o.quote_style.is_some()
                            || o.keyword == sqlparser::keywords::Keyword::NoKeyword
                    }
                    _ => false,
                };
                if plain {
                    let with = if negated {
                        drop[solid[k + 1]] = true;
                        keywords(&["IS", "DISTINCT", "FROM"])
                    } else {
                        keywords(&["IS", "NOT", "DISTINCT", "FROM"])
                    };
                    replace.push((solid[k], with));
                }
            }
            // ORDER SIBLINGS BY (Oracle's hierarchical order) → ORDER BY:
            // the same expressions.
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("SIBLINGS")
                    && k > 0
                    && at(k - 1).is_some_and(|t| is_word(t, "ORDER"))
                    && at(k + 1).is_some_and(|t| is_word(t, "BY")) =>
            {
                drop[solid[k]] = true;
            }
            // KEEP ( DENSE_RANK FIRST|LAST ORDER BY … ) → WITHIN GROUP ( ORDER BY … )
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.value.eq_ignore_ascii_case("KEEP")
                    && at(k + 1) == Some(&Token::LParen)
                    && at(k + 2).is_some_and(|t| is_word(t, "DENSE_RANK"))
                    && at(k + 3).is_some_and(|t| is_word(t, "FIRST") || is_word(t, "LAST"))
                    && at(k + 4).is_some_and(|t| is_word(t, "ORDER")) =>
            {
                replace.push((solid[k], keywords(&["WITHIN", "GROUP"])));
                drop[solid[k + 2]] = true;
                drop[solid[k + 3]] = true;
            }
            _ => {}
        }
    }
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
