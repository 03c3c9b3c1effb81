//! What a column's database type says its values are: the one reading of
//! a type's name, as each dialect writes it in its catalogue, its casts and
//! its results. The preview and the files ask it whether a value is a
//! number, the chart whether a column is text, and the validator which
//! values the database holds equal yet shows apart; each asks its own
//! question of the same answer.

use super::Dialect;

/// What values of a type are, as far as showing and comparing them goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ValueKind {
    /// Exact numbers shown as they compare: integers, PostgreSQL numerics
    /// of one scale (`Some(scale)`), SQLite's integer and numeric
    /// affinities and Oracle's `NUMBER`, which keep no scale (`None`:
    /// `1.0` is `1`).
    Number(Option<u32>),
    /// Exact numbers of no fixed scale, which may be equal and shown apart
    /// (PostgreSQL's bare `numeric`: `1.0 = 1.00`).
    Decimal,
    /// Floating point: `-0 = 0`, and sums depend on their order.
    Float,
    /// Text, compared as written (a column's collation aside).
    Text,
    /// Text the database compares otherwise than as written: padded
    /// (`character(n)`, Oracle's `CHAR`), caseless (PostgreSQL's
    /// `citext`), or too large to compare (Oracle's `CLOB`, `LONG`).
    LooseText,
    /// Other values shown as they compare: booleans, dates, timestamps
    /// (without a zone they keep), uuids, bytes.
    Plain,
    /// Anything else, or not known.
    Other,
}

impl ValueKind {
    /// Whether its values are numbers (written as numbers in a workbook,
    /// drawn as measures).
    pub fn is_number(self) -> bool {
        matches!(
            self,
            ValueKind::Number(_) | ValueKind::Decimal | ValueKind::Float
        )
    }

    /// Whether its values are text, however compared (never a measure,
    /// even when every value reads as a number).
    pub fn is_text(self) -> bool {
        matches!(self, ValueKind::Text | ValueKind::LooseText)
    }
}

/// The kind of values of the type `dialect` names `type_name`, as its
/// catalogue, a cast or a result's column writes it (in any case, with or
/// without its precision).
pub fn kind(dialect: Dialect, type_name: &str) -> ValueKind {
    let lower = type_name.trim().to_ascii_lowercase();
    let base = lower.split('(').next().unwrap_or_default().trim();
    match dialect {
        Dialect::Postgres => match base {
            "smallint" | "integer" | "bigint" | "int" | "int2" | "int4" | "int8" => {
                ValueKind::Number(Some(0))
            }
            "numeric" | "decimal" => match scale(&lower) {
                Some(scale) => ValueKind::Number(Some(scale)),
                None => ValueKind::Decimal,
            },
            "real" | "double precision" | "float4" | "float8" | "float" => ValueKind::Float,
            "text" | "character varying" | "varchar" | "name" => ValueKind::Text,
            // `character(n)` compares ignoring trailing spaces, which a
            // value of another length may not have.
            "character" | "char" | "bpchar" | "citext" => ValueKind::LooseText,
            "boolean"
            | "bool"
            | "date"
            | "timestamp without time zone"
            | "timestamp with time zone"
            | "timestamp"
            | "timestamptz"
            | "time without time zone"
            | "time"
            | "uuid"
            | "bytea" => ValueKind::Plain,
            _ => ValueKind::Other,
        },
        // SQLite's affinity, found as it finds it (datatype3.html, 3.1): an
        // integer or numeric column turns `1.0` into `1`, a real one keeps
        // floats, a column of no type keeps whatever it is given.
        Dialect::Sqlite => {
            let upper = lower.to_ascii_uppercase();
            if upper.contains("INT") {
                ValueKind::Number(None)
            } else if ["CHAR", "CLOB", "TEXT"].iter().any(|t| upper.contains(t)) {
                ValueKind::Text
            } else if upper.contains("BLOB") || upper.is_empty() || upper == "ANY" {
                ValueKind::Other
            } else if ["REAL", "FLOA", "DOUB"].iter().any(|t| upper.contains(t)) {
                ValueKind::Float
            } else {
                ValueKind::Number(None)
            }
        }
        Dialect::Oracle => match base {
            "number" | "integer" | "int" | "smallint" | "decimal" | "numeric" | "float" => {
                ValueKind::Number(None)
            }
            "binary_float" | "binary_double" => ValueKind::Float,
            "varchar2" | "nvarchar2" | "varchar" => ValueKind::Text,
            "char" | "nchar" | "clob" | "nclob" | "long" => ValueKind::LooseText,
            "date" | "raw" => ValueKind::Plain,
            // A timestamp with a time zone equals the same instant in
            // another zone, shown apart.
            "timestamp" if !lower.contains("with time zone") || lower.contains("local") => {
                ValueKind::Plain
            }
            _ => ValueKind::Other,
        },
    }
}

/// The scale of `numeric(p,s)`, or `0` for `numeric(p)`.
fn scale(type_name: &str) -> Option<u32> {
    let inside = type_name.split_once('(')?.1.strip_suffix(')')?;
    match inside.split_once(',') {
        Some((_, scale)) => scale.trim().parse().ok(),
        None => Some(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialect_names_its_numbers_texts_and_others_in_its_own_words() {
        use ValueKind::*;
        for (dialect, type_name, expected) in [
            (Dialect::Postgres, "INT4", Number(Some(0))),
            (Dialect::Postgres, "numeric(12,2)", Number(Some(2))),
            (Dialect::Postgres, "NUMERIC", Decimal),
            (Dialect::Postgres, "FLOAT8", Float),
            (Dialect::Postgres, "character varying(40)", Text),
            (Dialect::Postgres, "BPCHAR", LooseText),
            (Dialect::Postgres, "TIMESTAMPTZ", Plain),
            (Dialect::Postgres, "jsonb", Other),
            (Dialect::Sqlite, "BIGINT", Number(None)),
            (Dialect::Sqlite, "VARCHAR(20)", Text),
            (Dialect::Sqlite, "DATE", Number(None)),
            (Dialect::Sqlite, "DOUBLE", Float),
            (Dialect::Sqlite, "", Other),
            (Dialect::Oracle, "NUMBER(10,2)", Number(None)),
            (Dialect::Oracle, "BINARY_DOUBLE", Float),
            (Dialect::Oracle, "VARCHAR2(100)", Text),
            (Dialect::Oracle, "CHAR(3)", LooseText),
            (Dialect::Oracle, "CLOB", LooseText),
            (Dialect::Oracle, "TIMESTAMP(6)", Plain),
            (Dialect::Oracle, "TIMESTAMP(6) WITH TIME ZONE", Other),
            (Dialect::Oracle, "TIMESTAMP(6) WITH LOCAL TIME ZONE", Plain),
        ] {
            assert_eq!(kind(dialect, type_name), expected, "{dialect} {type_name}");
        }
        assert!(kind(Dialect::Oracle, "NUMBER").is_number());
        assert!(kind(Dialect::Oracle, "NCLOB").is_text());
        assert!(!kind(Dialect::Postgres, "date").is_number());
    }
}
