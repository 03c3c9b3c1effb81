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
    let answer = normalised(answer);
    numbered(found(&answer).into_iter().map(|text| (text, true)))
}

/// The statements of an answer the model did not finish (it reached its
/// length bound, or was ended in a loop), in order: only those the answer
/// visibly goes on after — a `;`, the end of their block or inline code, a
/// blank line — and each text once (a loop writes its statement again and
/// again). The statement the cut fell in may have lost its end and still
/// read as a query (`LIMIT 10` cut to `LIMIT 1`, a run of lines whose last
/// was half written, an indented `AND …` not yet written): it is not
/// offered. Numbered as in the answer.
pub fn whole(answer: &str) -> Vec<Block> {
    let answer = normalised(answer);
    let mut seen = std::collections::HashSet::new();
    numbered(found(&answer).into_iter().map(|text| {
        // Each statement is a slice of the answer: where it ends is known.
        let end = text.as_ptr() as usize - answer.as_ptr() as usize + text.len();
        let offered = finished_at(&answer[end..]) && seen.insert(text);
        (text, offered)
    }))
}

fn normalised(answer: &str) -> String {
    answer.replace("\r\n", "\n").replace('\r', "\n")
}

/// Blocks numbered in the answer's order, of the statements marked offered.
fn numbered<'a>(statements: impl Iterator<Item = (&'a str, bool)>) -> Vec<Block> {
    statements
        .enumerate()
        .filter(|(_, (_, offered))| *offered)
        .map(|(i, (text, _))| Block {
            index: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: text.to_owned(),
        })
        .collect()
}

/// The statements of `answer`, each a slice of it: those of SQL-tagged
/// blocks, else of other blocks that read as queries, else bare in the
/// prose.
fn found(answer: &str) -> Vec<&str> {
    let blocks = fenced_blocks(answer);
    let tagged: Vec<&str> = blocks
        .iter()
        .filter(|(info, _)| SQL_TAGS.contains(&info.to_ascii_lowercase().as_str()))
        .map(|(_, body)| *body)
        .collect();
    if !tagged.is_empty() {
        return tagged.into_iter().flat_map(statements).collect();
    }
    let fenced: Vec<&str> = blocks
        .iter()
        .flat_map(|(_, body)| statements(body))
        .filter(|s| is_query(s))
        .collect();
    if fenced.is_empty() {
        bare(answer)
    } else {
        fenced
    }
}

/// Whether what follows a statement in an answer the model did not finish
/// ends it: a `;` or a closing mark, or a next line that is a fence, or
/// blank and ended (a line of spaces may be the indent of `  AND …`).
fn finished_at(after: &str) -> bool {
    let after = after.trim_start_matches([' ', '\t']);
    if after.starts_with([';', '`']) {
        return true;
    }
    let Some(next) = after.strip_prefix('\n') else {
        return false;
    };
    let (line, ended) = match next.split_once('\n') {
        Some((line, _)) => (line, true),
        None => (next, false),
    };
    let line = line.trim();
    (ended && line.is_empty()) || line.starts_with("```") || line.starts_with("~~~")
}

/// The lines of `text`, each without its line break, with where it starts.
fn lines_at(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line.strip_suffix('\n').unwrap_or(line)))
    })
}

/// Every fenced block: its info string and its body, a slice of `text` from
/// its first line to its closing fence. A block left open runs to the end.
fn fenced_blocks(text: &str) -> Vec<(String, &str)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (at, line) in lines_at(text) {
        let trimmed = line.trim_start();
        let is_fence = trimmed.starts_with("```") && line.len() - trimmed.len() <= 3;
        match (&current, is_fence) {
            (None, true) => {
                let info = trimmed.trim_start_matches('`').trim();
                let info = info
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let body = (at + line.len() + 1).min(text.len());
                current = Some((info, body));
            }
            (Some(_), true) => {
                let (info, body) = current.take().expect("a block is open");
                blocks.push((info, &text[body..at]));
            }
            _ => {}
        }
    }
    blocks.extend(current.map(|(info, body)| (info, &text[body..])));
    blocks
}

/// The statements of a block's body, split at the `;` between them (read
/// as SQL reads them: not inside a string, a quoted name or a comment),
/// without the `;`, blank ones left out; each a slice of `body`.
fn statements(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in separators(body) {
        out.push(body[start..end].trim());
        start = end + 1;
    }
    out.push(body[start..].trim());
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
fn bare(answer: &str) -> Vec<&str> {
    let lines: Vec<(usize, &str)> = lines_at(answer).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        let Some((start, inline)) = statement_start(line) else {
            i += 1;
            continue;
        };
        let first = &line[start..];
        if inline {
            // `SELECT …` in inline code ends at its closing mark.
            let text = first.split('`').next().unwrap_or_default().trim();
            let text = text.strip_suffix(';').unwrap_or(text).trim();
            if is_query(text) {
                found.push(text);
            }
            i += 1;
            continue;
        }
        // The lines up to a blank one, or up to the end of the first
        // statement when a `;` ends it: a slice of the answer, its lines
        // being contiguous there.
        let mut j = i + 1;
        while j < lines.len() && !lines[j].1.trim().is_empty() {
            j += 1;
        }
        let mut taken = None;
        for last in (i..j).rev() {
            let text = &answer[at + start..lines[last].0 + lines[last].1.len()];
            let text = match separators(text).first() {
                Some(&semicolon) => &text[..semicolon],
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
                found.push(text.trim());
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
        // Cut after a line break and the indent of a line not yet written
        // (`  AND active = 1`): a line of spaces is not a blank line yet.
        assert!(whole("```sql\nSELECT name\nFROM clients\nWHERE city = 'Lyon'\n  ").is_empty());
        assert!(whole("SELECT name\nFROM clients\nWHERE city = 'Lyon'\n\t").is_empty());
        assert_eq!(
            whole("SELECT name\nFROM clients\n\nIt lists them"),
            ["SELECT name\nFROM clients"]
        );
        // The same text finished elsewhere in the answer does not finish
        // the statement the cut fell in.
        assert!(
            whole("A plain `SELECT * FROM orders` lists them all; for Lyon only:\n```sql\nSELECT * FROM orders\n")
                .is_empty()
        );
        assert_eq!(
            whole("```sql\nSELECT count(*) FROM orders;\nSELECT count(*) FROM orders\n"),
            ["SELECT count(*) FROM orders"]
        );
        // A loop's copies of one statement are offered once.
        let looped = "```sql\nSELECT a FROM t;\n```\nIt lists a.\n".repeat(5);
        assert_eq!(whole(&looped), ["SELECT a FROM t"]);
        // Kept in the answer's numbering.
        let blocks = super::whole("```sql\nSELECT a FROM t;\nSELECT b FROM u;\nSELECT c FROM v");
        assert_eq!(blocks.iter().map(|b| b.index).collect::<Vec<_>>(), [1, 2]);
    }
}
