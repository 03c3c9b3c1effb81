//! Finding the SQL in a model's answer, however the model wrote it: in
//! fenced blocks (tagged `sql`, another tag or none), or bare in its prose
//! (a statement alone, before or after an explanation, in inline code).
//! Each statement found is offered on its own (`run N`); the validator
//! still judges every one. Prose that merely mentions SELECT is not SQL: a
//! statement outside a block counts only when it parses as a query that
//! reads `FROM` something.

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;

/// One statement found in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 1-based, in the order of the answer: what `run N` and the controls name.
    pub index: u32,
    pub text: String,
}

/// Block tags that say the body is SQL.
const SQL_TAGS: [&str; 8] = [
    "sql",
    "oracle",
    "plsql",
    "postgresql",
    "postgres",
    "sqlite",
    "psql",
    "pgsql",
];

/// The statements of `answer`, in order. Statements in SQL-tagged blocks,
/// else in other blocks that read as queries, else bare in the prose: a
/// model that fenced its query does not have its explanation searched.
pub fn extract(answer: &str) -> Vec<Block> {
    let answer = answer.replace("\r\n", "\n").replace('\r', "\n");
    let blocks = fenced_blocks(&answer);
    let tagged: Vec<&str> = blocks
        .iter()
        .filter(|(info, _)| SQL_TAGS.contains(&info.to_ascii_lowercase().as_str()))
        .map(|(_, body)| body.as_str())
        .collect();
    let statements: Vec<String> = if tagged.is_empty() {
        let fenced: Vec<String> = blocks
            .iter()
            .flat_map(|(_, body)| statements(body))
            .filter(|s| is_query(s))
            .collect();
        if fenced.is_empty() {
            bare(&answer)
        } else {
            fenced
        }
    } else {
        tagged.into_iter().flat_map(statements).collect()
    };
    statements
        .into_iter()
        .enumerate()
        .map(|(i, text)| Block {
            index: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text,
        })
        .collect()
}

/// The statements of an answer the model did not finish (it reached its
/// length bound, or was ended in a loop), in order: only those the answer
/// visibly goes on after — a `;`, the end of their block or inline code, a
/// blank line. The statement the cut fell in may have lost its end and
/// still read as a query (`LIMIT 10` cut to `LIMIT 1`, a run of lines
/// whose last was half written): it is not offered.
pub fn whole(answer: &str) -> Vec<Block> {
    let answer = answer.replace("\r\n", "\n").replace('\r', "\n");
    extract(&answer)
        .into_iter()
        .filter(|block| {
            answer
                .match_indices(block.text.as_str())
                .any(|(at, text)| finished_at(&answer[at + text.len()..]))
        })
        .collect()
}

/// Whether what follows a statement in an answer ends it.
fn finished_at(after: &str) -> bool {
    let after = after.trim_start_matches([' ', '\t']);
    if after.starts_with([';', '`']) {
        return true;
    }
    // A line that is blank or a fence: the run of lines the statement was
    // read from ended before the cut.
    after.strip_prefix('\n').is_some_and(|rest| {
        rest.lines()
            .next()
            .is_some_and(|line| line.trim().is_empty() || line.trim_start().starts_with("```"))
            && !rest.is_empty()
    })
}

/// Every fenced block: (info string, body). A block left open runs to the end.
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let is_fence = trimmed.starts_with("```") && line.len() - trimmed.len() <= 3;
        match (&mut current, is_fence) {
            (None, true) => {
                let info = trimmed.trim_start_matches('`').trim();
                let info = info
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                current = Some((info, String::new()));
            }
            (Some(_), true) => blocks.extend(current.take()),
            (Some((_, body)), false) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, false) => {}
        }
    }
    blocks.extend(current);
    blocks
}

/// The statements of a block's body, split at the `;` between them (read
/// as SQL reads them: not inside a string, a quoted name or a comment),
/// without the `;`, blank ones left out.
fn statements(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in separators(body) {
        out.push(body[start..end].trim().to_owned());
        start = end + 1;
    }
    out.push(body[start..].trim().to_owned());
    out.retain(|s| !s.is_empty() && !only_comments(s));
    out
}

/// Byte offsets of the top-level `;` of `sql`; none when it cannot be read
/// as SQL (the body is then one statement, for the validator to judge).
fn separators(sql: &str) -> Vec<usize> {
    let dialect = sqlparser::dialect::GenericDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, sql).tokenize_with_location() else {
        return Vec::new();
    };
    let offset = super::dialect::byte_offsets(sql);
    tokens
        .iter()
        .filter(|t| t.token == Token::SemiColon)
        .filter_map(|t| offset(t.span.start.line, t.span.start.column))
        .filter(|&at| sql.as_bytes().get(at) == Some(&b';'))
        .collect()
}

fn only_comments(sql: &str) -> bool {
    let dialect = sqlparser::dialect::GenericDialect {};
    Tokenizer::new(&dialect, sql)
        .tokenize()
        .is_ok_and(|tokens| {
            tokens
                .iter()
                .all(|t| matches!(t, Token::Whitespace(_) | Token::EOF))
        })
}

/// Whether `sql` parses, in one of the dialects Pstral runs, as exactly one
/// query that reads from something: what tells a statement from prose that
/// starts with "Select".
fn is_query(sql: &str) -> bool {
    let reads = sql
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| word.eq_ignore_ascii_case("from"));
    reads
        && [Dialect::Postgres, Dialect::Oracle, Dialect::Sqlite]
            .iter()
            .any(|dialect| {
                matches!(
                    Parser::parse_sql(&*dialect.parser(), sql).as_deref(),
                    Ok([Statement::Query(_)])
                )
            })
}

/// Statements written bare in prose, in order: each starts a line (after
/// a label such as `SQL:` or an inline-code mark) with `SELECT` or `WITH`,
/// and runs to its `;`, the closing mark of inline code, or the longest run
/// of lines before a blank one that parses as a query.
fn bare(answer: &str) -> Vec<String> {
    let lines: Vec<&str> = answer.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((start, inline)) = statement_start(lines[i]) else {
            i += 1;
            continue;
        };
        let first = &lines[i][start..];
        if inline {
            // `SELECT …` in inline code ends at its closing mark.
            let text = first.split('`').next().unwrap_or_default().trim();
            let text = text.strip_suffix(';').unwrap_or(text).trim();
            if is_query(text) {
                found.push(text.to_owned());
            }
            i += 1;
            continue;
        }
        // The lines up to a blank one, or up to the end of the first
        // statement when a `;` ends it.
        let mut run = vec![first];
        let mut j = i + 1;
        while j < lines.len() && !lines[j].trim().is_empty() {
            run.push(lines[j]);
            j += 1;
        }
        let mut taken = None;
        for end in (1..=run.len()).rev() {
            let text = run[..end].join("\n");
            let text = match separators(&text).first() {
                Some(&semicolon) => text[..semicolon].to_owned(),
                None => text,
            };
            if is_query(text.trim()) {
                taken = Some(text);
                break;
            }
        }
        match taken {
            Some(text) => {
                // A `;` may end one statement before the run does: read on
                // from the line after the statement's last.
                i += text.lines().count().max(1);
                found.push(text.trim().to_owned());
            }
            None => i += 1,
        }
    }
    found
}

/// Where a statement starts on `line`, if one does: at the line's start
/// (past blanks, a list mark or emphasis), after an inline-code mark
/// anywhere (then `true`), or after a label ending in `:`. The keyword is
/// `SELECT` or `WITH`, in any case but after a label, in capitals.
fn statement_start(line: &str) -> Option<(usize, bool)> {
    let keyword = |at: &str, any_case: bool| {
        ["SELECT", "WITH"].iter().any(|k| {
            at.get(..k.len()).is_some_and(|w| {
                if any_case {
                    w.eq_ignore_ascii_case(k)
                } else {
                    w == *k
                }
            }) && at[k.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c == '(' || c == '*')
        })
    };
    let lead = line.len() - line.trim_start_matches([' ', '\t', '-', '*', '>']).len();
    let rest = &line[lead..];
    if let Some(code) = rest.strip_prefix('`') {
        return keyword(code, true).then_some((lead + 1, true));
    }
    if keyword(rest, true) {
        return Some((lead, false));
    }
    // "Use `SELECT …` to …": inline code anywhere on the line.
    if let Some((mark, _)) = line
        .match_indices('`')
        .find(|(mark, _)| keyword(&line[mark + 1..], true))
    {
        return Some((mark + 1, true));
    }
    // "SQL: SELECT …".
    let colon = line.find(':')?;
    let after = &line[colon + 1..];
    let at = colon + 1 + after.len() - after.trim_start().len();
    keyword(&line[at..], false).then_some((at, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(answer: &str) -> Vec<String> {
        extract(answer).into_iter().map(|b| b.text).collect()
    }

    #[test]
    fn sql_blocks_are_found_in_order() {
        let answer = "Voici :\n```sql\nSELECT 1 FROM dual\n```\net aussi\n```SQL\nSELECT 2 FROM dual;\n```\n";
        let blocks = extract(answer);
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[0],
            Block {
                index: 1,
                text: "SELECT 1 FROM dual".into()
            }
        );
        assert_eq!(blocks[1].text, "SELECT 2 FROM dual");
    }

    #[test]
    fn a_query_block_with_another_tag_or_none_counts_but_other_code_does_not() {
        assert_eq!(
            texts("```\n-- clients\nSELECT * FROM clients\n```"),
            ["-- clients\nSELECT * FROM clients"]
        );
        assert_eq!(
            texts("```mysql\nSELECT * FROM clients\n```"),
            ["SELECT * FROM clients"]
        );
        assert!(extract("```\nls -la\n```").is_empty());
        assert!(extract("```python\nprint(1)\n```").is_empty());
        assert!(extract("```python\nselect_all(rows)\n```").is_empty());
        assert_eq!(
            texts("```\nSELECT 1 FROM a\n```\n```\nSELECT 2 FROM b\n```"),
            ["SELECT 1 FROM a", "SELECT 2 FROM b"]
        );
        assert!(extract("no code at all").is_empty());
    }

    #[test]
    fn an_unclosed_block_runs_to_the_end() {
        assert_eq!(
            extract("```sql\nSELECT 1 FROM dual")[0].text,
            "SELECT 1 FROM dual"
        );
    }

    #[test]
    fn several_statements_in_one_block_are_offered_one_by_one() {
        assert_eq!(
            texts("```sql\nSELECT a FROM t;\n-- then\nSELECT ';' FROM u;\n```"),
            ["SELECT a FROM t", "-- then\nSELECT ';' FROM u"]
        );
    }

    #[test]
    fn a_bare_statement_is_offered_alone_or_within_prose() {
        let alone = "SELECT nom, ville\nFROM clients\nWHERE ville = 'Lyon';";
        assert_eq!(
            texts(alone),
            ["SELECT nom, ville\nFROM clients\nWHERE ville = 'Lyon'"]
        );
        let after =
            "Voici la requête :\n\nSELECT count(*) FROM clients\n\nElle compte les clients.";
        assert_eq!(texts(after), ["SELECT count(*) FROM clients"]);
        let run_on = "SELECT count(*)\nFROM clients\nThis counts every client.";
        assert_eq!(texts(run_on), ["SELECT count(*)\nFROM clients"]);
        let labelled = "SQL: SELECT nom FROM clients; it lists them";
        assert_eq!(texts(labelled), ["SELECT nom FROM clients"]);
        let inline = "Use `SELECT nom FROM clients` to list them.";
        assert_eq!(texts(inline), ["SELECT nom FROM clients"]);
        let with = "with recent as (select * from orders where placed_on > date '2025-01-01')\nselect count(*) from recent";
        assert_eq!(texts(with), [with]);
    }

    #[test]
    fn several_bare_statements_are_offered_in_order() {
        let answer = "First:\nSELECT a FROM t;\nSELECT b FROM u;\n\nThen:\nSELECT c FROM v";
        assert_eq!(
            texts(answer),
            ["SELECT a FROM t", "SELECT b FROM u", "SELECT c FROM v"]
        );
    }

    #[test]
    fn windows_line_ends_are_read_as_line_ends() {
        assert_eq!(
            texts("```sql\r\nSELECT a\r\nFROM t;\r\n```\r\n"),
            ["SELECT a\nFROM t"]
        );
        assert_eq!(texts("SELECT a\r\nFROM t\r\n"), ["SELECT a\nFROM t"]);
    }

    #[test]
    fn prose_that_mentions_select_is_not_sql() {
        for prose in [
            "Select the clients you want, then press Execute.",
            "Select all clients.",
            "You can use SELECT to read rows from a table.",
            "With pleasure! The table clients holds them.",
            "A SELECT statement with FROM clients would list them.",
            "Note: SELECT is the keyword for reading.",
        ] {
            assert!(extract(prose).is_empty(), "{prose}");
        }
    }

    #[test]
    fn a_fenced_query_is_preferred_to_one_repeated_in_the_explanation() {
        let answer =
            "```sql\nSELECT nom FROM clients\n```\nThe query `SELECT nom FROM clients` lists them.";
        assert_eq!(texts(answer), ["SELECT nom FROM clients"]);
    }

    #[test]
    fn an_answer_cut_short_offers_only_the_statements_it_went_on_after() {
        let whole =
            |answer: &str| -> Vec<String> { whole(answer).into_iter().map(|b| b.text).collect() };
        // The block closed, then prose that ran on: the statement is whole.
        assert_eq!(
            whole("```sql\nSELECT a FROM t\n```\nThis returns a, and a, and a"),
            ["SELECT a FROM t"]
        );
        // Cut inside the block: `LIMIT 1` may have been `LIMIT 10`.
        assert!(whole("```sql\nSELECT a FROM t LIMIT 1").is_empty());
        assert!(whole("```sql\nSELECT a FROM t\n").is_empty());
        // A `;` ends the first statement of an open block; the second was cut.
        assert_eq!(
            whole("```sql\nSELECT a FROM t;\nSELECT b FROM u WHERE"),
            ["SELECT a FROM t"]
        );
        // Bare: a blank line ends the run of lines; a half-written last line
        // leaves a shorter query that must not be taken for the whole.
        assert_eq!(
            whole("SELECT a\nFROM t\n\nIt lists a, a, a"),
            ["SELECT a\nFROM t"]
        );
        assert!(whole("SELECT a\nFROM t\nWHERE b = 1\nAND c").is_empty());
        assert!(whole("SELECT a\nFROM t\nORDER BY a DES").is_empty());
        assert_eq!(
            whole("Run `SELECT a FROM t` to see them all, all, all"),
            ["SELECT a FROM t"]
        );
        assert_eq!(whole("SELECT a FROM t;\r\nIt"), ["SELECT a FROM t"]);
        // Kept in the answer's numbering.
        let blocks = super::whole("```sql\nSELECT a FROM t;\nSELECT b FROM u;\nSELECT c FROM v");
        assert_eq!(blocks.iter().map(|b| b.index).collect::<Vec<_>>(), [1, 2]);
    }
}
