//! The audit written out, oldest first, as JSON lines or CSV.

use super::*;

/// How [`Audit::export`] writes events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
    Csv,
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(format!("unknown format {other:?}: jsonl or csv")),
        }
    }
}

/// Writes `events` as JSON lines, or as CSV rows (after the header row when
/// `header`): one page of an export.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_events(
    events: &[Event],
    format: ExportFormat,
    header: bool,
    out: &mut impl Write,
) -> Result<(), AuditError> {
    match format {
        ExportFormat::Jsonl => {
            for event in events {
                serde_json::to_writer(&mut *out, event).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
        ExportFormat::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out);
            if header {
                writer.write_record(CSV_HEADER)?;
            }
            for event in events {
                writer.write_record(csv_row(event))?;
            }
            writer.flush()?;
        }
    }
    Ok(())
}

pub(super) const CSV_HEADER: [&str; 13] = [
    "seq",
    "at",
    "user_id",
    "user_name",
    "identity",
    "platform",
    "channel",
    "thread",
    "private",
    "kind",
    "payload",
    "prev_hash",
    "hash",
];

pub(super) fn csv_row(e: &Event) -> [String; 13] {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    [
        e.seq.to_string(),
        e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.user_id.map(|u| u.to_string()).unwrap_or_default(),
        opt(&e.user_name),
        opt(&e.identity),
        opt(&e.platform),
        opt(&e.channel),
        opt(&e.thread),
        e.private.to_string(),
        e.kind.clone(),
        e.payload.clone(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]
}
