//! Pstral's integration tests, in one binary: each module drives the real
//! library (or the real `pstral` binary) against real SQLite and PostgreSQL.

// matrix-sdk's futures are deep: spawning them needs more than the default.
#![recursion_limit = "256"]

#[path = "../support/mod.rs"]
mod support;

/// A SQLite target runs its statements in the `pstral` binary re-executed,
/// which this test binary is not: the bot's code under test is pointed at
/// the real one before any test starts (an entry of the ELF `.init_array`,
/// run before `main`, as no test can be relied on to run first).
#[used]
#[unsafe(link_section = ".init_array")]
static SQLITE_WORKER: extern "C" fn() = {
    extern "C" fn use_the_pstral_binary() {
        pstral_core::sql::backend::use_worker_program(env!("CARGO_BIN_EXE_pstral"));
    }
    use_the_pstral_binary
};

mod access;
mod admin;
mod answers;
mod audit;
mod backup;
mod charts;
mod cli;
mod conformance;
mod conversation;
mod demo_crm;
mod deploy;
mod discord;
mod docs;
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
mod replicas;
mod resources;
mod semantic;
mod sql_corpus;
mod store;
mod streaming;
mod synapse;
mod verdicts;
