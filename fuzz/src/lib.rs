//! The modules under fuzzing, compiled from the bot's own source files so
//! that what is fuzzed is exactly what runs.
#![allow(dead_code)]

pub mod sql {
    #[path = "../../../src/sql/dialect.rs"]
    mod dialect;
    pub use dialect::Dialect;

    #[path = "../../../src/sql/schema.rs"]
    pub mod schema;

    #[path = "../../../src/sql/validate/mod.rs"]
    pub mod validate;
}

#[path = "../../src/stream/split.rs"]
pub mod split;
