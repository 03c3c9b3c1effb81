//! Finding the SQL in a model's answer: each ```sql block, or, when the model
//! forgot the tag, the single fenced block that reads like a query.

/// One statement found in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// 1-based, in the order of the answer: what `run N` and the controls name.
    pub index: u32,
    pub text: String,
}

/// The SQL blocks of `answer`.
pub fn extract(answer: &str) -> Vec<Block> {
    let blocks = fenced_blocks(answer);
    let tagged: Vec<&(String, String)> = blocks
        .iter()
        .filter(|(info, _)| {
            matches!(
                info.to_ascii_lowercase().as_str(),
                "sql" | "oracle" | "plsql" | "postgresql" | "sqlite"
            )
        })
        .collect();
    let chosen: Vec<&(String, String)> = if tagged.is_empty() {
        // Untagged: only a lone block that starts like a query.
        let untagged: Vec<_> = blocks.iter().filter(|(info, _)| info.is_empty()).collect();
        match untagged.as_slice() {
            [only] if looks_like_sql(&only.1) => vec![*only],
            _ => Vec::new(),
        }
    } else {
        tagged
    };
    chosen
        .into_iter()
        .filter(|(_, body)| !body.trim().is_empty())
        .enumerate()
        .map(|(i, (_, body))| Block {
            index: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: body.trim().to_owned(),
        })
        .collect()
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

fn looks_like_sql(body: &str) -> bool {
    let first = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or_default()
        .to_ascii_uppercase();
    first.starts_with("SELECT") || first.starts_with("WITH")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(blocks[1].text, "SELECT 2 FROM dual;");
    }

    #[test]
    fn a_lone_untagged_query_block_counts_but_other_code_does_not() {
        assert_eq!(
            extract("```\n-- clients\nSELECT * FROM clients\n```").len(),
            1
        );
        assert!(extract("```\nls -la\n```").is_empty());
        assert!(extract("```python\nprint(1)\n```").is_empty());
        assert!(
            extract("```\nSELECT 1\n```\n```\nSELECT 2\n```").is_empty(),
            "ambiguous"
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
}
