//! The bot's `sql` modules that the validator needs, from their own files.

#[path = "../../../core/src/sql/dialect.rs"]
mod dialect;
pub use dialect::Dialect;

#[path = "../../../core/src/sql/schema.rs"]
pub mod schema;

#[path = "../../../core/src/sql/validate/mod.rs"]
pub mod validate;
