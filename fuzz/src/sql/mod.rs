//! The bot's `sql` modules that the validator needs, from their own files.

#[path = "../../../src/sql/dialect.rs"]
mod dialect;
pub use dialect::Dialect;

#[path = "../../../src/sql/schema.rs"]
pub mod schema;

#[path = "../../../src/sql/validate/mod.rs"]
pub mod validate;
