//! Pstral: a self-hosted chat-ops assistant. Employees ask questions in team
//! chat; a local LLM answers; a generated SQL `SELECT` runs read-only on one
//! click by a permitted user; everything lands in a tamper-evident audit.
//!
//! This crate is the core and knows no chat platform: adapters speak to it
//! through the `pstral-chat` contract, and the `pstral` binary (src/main.rs,
//! src/cli.rs) wires the two together. Its modules:
//!
//! - [`config`]: layered configuration, validated once into [`config::Settings`].
//! - [`store`]: the own database (SQLite or PostgreSQL) and its migrations.
//! - [`identity`]: local users, roles, linked chat identities, invite codes.
//! - [`audit`]: the append-only, hash-chained audit log.
//! - [`conversation`]: conversations, modes, prompts and their persisted history.
//! - [`llm`]: the Ollama client, the fair queue in front of it, failover.
//! - [`stream`]: a token stream turned into well-timed message edits.
//! - [`sql`]: SQL found in answers, judged on its parsed form.
//! - [`i18n`]: every sentence a chat user reads, in English and French.
//! - [`telemetry`]: logging and per-request spans.
//! - [`bot`]: what happens for each event an adapter reports.
//! - [`admin`]: the admin HTTP endpoint and its tokens.
//! - [`app`]: wiring everything for `pstral run`.

pub mod admin;
pub mod app;
pub mod audit;
pub mod bot;
pub mod config;
pub mod conversation;
pub mod i18n;
pub mod identity;
pub mod llm;
pub mod sql;
pub mod store;
pub mod stream;
pub mod telemetry;
