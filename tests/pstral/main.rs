//! Pstral's integration tests, in one binary: each module drives the real
//! library (or the real `pstral` binary) against real SQLite and PostgreSQL.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod answers;
mod audit;
mod backup;
mod cli;
mod conversation;
mod discord;
mod execute;
mod execution;
mod identity;
mod oracle;
mod sql_corpus;
mod store;
mod streaming;
