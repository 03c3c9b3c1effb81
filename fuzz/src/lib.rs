//! The modules under fuzzing, compiled from the bot's own source files so
//! that what is fuzzed is exactly what runs.
#![allow(dead_code)]

pub mod sql;

#[path = "../../core/src/stream/split.rs"]
pub mod split;
