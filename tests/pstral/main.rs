//! Pstral's integration tests, in one binary: each module drives the real
//! library (or the real `pstral` binary) against real SQLite and PostgreSQL.

// matrix-sdk's futures are deep: spawning them needs more than the default.
#![recursion_limit = "256"]

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod answers;
mod audit;
mod backup;
mod cli;
mod conformance;
mod conversation;
mod demo_crm;
mod deploy;
mod discord;
mod execute;
mod identity;
mod latency;
mod learning;
mod matrix;
mod model_servers;
mod offering;
mod oracle;
mod platform_settings;
mod read_only_runs;
mod real_model;
mod real_sql_model;
mod redteam;
mod resources;
mod semantic;
mod sql_corpus;
mod store;
mod streaming;
mod synapse;
