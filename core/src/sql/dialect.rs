//! The SQL dialects Pstral judges and runs queries in, and the parser of
//! each. Kept free of anything but sqlparser, so that the fuzzing crate
//! (`fuzz/`) can build the validator without the rest of the bot.

use std::fmt;
use std::str::FromStr;

/// The SQL dialect of an Execute target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Oracle,
    Postgres,
    Sqlite,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Oracle => "oracle",
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// A name written without quotes, as this database reads it. PostgreSQL
    /// lowers ASCII letters only (`downcase_identifier` leaves every byte of
    /// a multibyte encoding alone: `pg_loc\u{212A}s`, with a Kelvin sign, is not
    /// `pg_locks`); SQLite compares names ignoring ASCII case only
    /// (`sqlite3StrICmp`); Oracle upper-cases them, and what it does with a
    /// letter outside ASCII is not ours to guess (`ß`, `ſ`, `ı`): the
    /// validator refuses such a name unquoted. Unicode's own case rules
    /// (`str::to_lowercase`) are never the database's.
    pub fn fold_unquoted(self, name: &str) -> String {
        match self {
            Dialect::Oracle => name.to_ascii_uppercase(),
            Dialect::Postgres | Dialect::Sqlite => name.to_ascii_lowercase(),
        }
    }

    pub(crate) fn parser(self) -> Box<dyn sqlparser::dialect::Dialect> {
        match self {
            Dialect::Oracle => Box::new(sqlparser::dialect::OracleDialect),
            Dialect::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
            Dialect::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "oracle" => Ok(Dialect::Oracle),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "sqlite" => Ok(Dialect::Sqlite),
            other => Err(format!(
                "unknown dialect {other:?}: oracle, postgres or sqlite"
            )),
        }
    }
}
