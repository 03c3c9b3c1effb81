//! Two replicas, one bot: which process serves the chat platforms, and what
//! every process must find in the own database whoever served before it.
//!
//! On PostgreSQL the replicas elect one leader ([`election`]): only it
//! connects to the platforms and runs the timed chores; the others wait,
//! their admin endpoint up, and one of them takes over within
//! `ha.takeover` when the leader goes. On SQLite one process serves (the
//! database's lock file refuses a second), [`Role::Alone`].
//!
//! Whoever serves, two things are decided by the database rather than by a
//! process's memory: an event from a platform is acted on once
//! ([`Replica::first_time`], a unique key), and an answer a process was
//! writing when it died is found and ended by the next one
//! ([`Replica::opened`], [`Replica::left_open`]).

pub mod election;
mod handled;
mod open;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::Store;

pub use election::{Election, Leadership};
pub use handled::Handled;
pub use open::{About, LeftOpen, OpenAnswer};

/// The shortest `ha.takeover`: a leader cut from the database stops
/// serving after half of it, and must be done before a standby may lead.
pub const MIN_TAKEOVER: Duration = Duration::from_secs(2);

/// `[ha]`: how replicas share the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaSettings {
    /// How long a leader may go without renewing its lease before another
    /// replica takes over; it stops serving itself after half of it.
    pub takeover: Duration,
    /// This replica's name, as `pstral check` and the audit show it.
    pub replica: String,
}

impl Default for HaSettings {
    fn default() -> Self {
        Self {
            takeover: Duration::from_secs(10),
            replica: default_name(),
        }
    }
}

/// The machine's host name and the process id: what tells two replicas
/// apart when `ha.replica` does not name them.
pub fn default_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "pstral".to_owned());
    format!("{host}:{}", std::process::id())
}

/// What this process does for the platforms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Waiting to be elected: the admin endpoint serves, the platforms do
    /// not hear from this process.
    Standby,
    /// Elected for `term`: serves the platforms.
    Leader { term: i64 },
    /// Was the leader and is no longer (the database went away, or another
    /// replica took over): it must stop serving at once, and says why.
    Deposed(String),
    /// The only process there can be (SQLite): serves the platforms.
    Alone,
}

impl Role {
    /// Whether this process serves the platforms.
    pub fn serves(&self) -> bool {
        matches!(self, Role::Leader { .. } | Role::Alone)
    }

    /// As `/readyz` and `pstral check` name it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Standby => "standby",
            Role::Leader { .. } => "leader",
            Role::Deposed(_) => "deposed",
            Role::Alone => "alone",
        }
    }
}

/// This process among the replicas: its name, its role as it changes, and
/// the records every replica shares. Cheap to clone.
#[derive(Clone)]
pub struct Replica {
    store: Store,
    name: Arc<str>,
    /// Tells this process's open answers from those a stopped one left:
    /// unique to the process, never reused.
    instance: Arc<str>,
    role: watch::Receiver<Role>,
}

impl Replica {
    /// A process whose role `role` tells.
    pub fn new(store: Store, name: &str, role: watch::Receiver<Role>) -> Self {
        Self {
            store,
            name: name.into(),
            instance: format!("{name}/{}", uuid::Uuid::new_v4()).into(),
            role,
        }
    }

    /// The only process there is: a bot assembled for `pstral chat`,
    /// tests and benches, or `pstral run` on SQLite.
    pub fn alone(store: Store) -> Self {
        Self::new(store, &default_name(), watch::channel(Role::Alone).1)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The role now.
    pub fn role(&self) -> Role {
        self.role.borrow().clone()
    }

    /// The role as it changes.
    pub fn watch(&self) -> watch::Receiver<Role> {
        self.role.clone()
    }
}
