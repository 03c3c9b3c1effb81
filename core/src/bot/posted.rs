//! What a click's result leaves in the audit of where it went: each part
//! (the preview, each file) sent to the place or to the clicker alone, who
//! read the place then, and why rows went privately.

use serde_json::json;

use crate::conversation::StoredStatement;
use crate::sql_target::execution::Redirect;

/// A [`Redirect`] and when it was found: at the click, or before a part
/// was posted (`preview`, a file's name).
#[derive(Debug, Clone)]
pub(super) struct Redirected {
    pub(super) why: Redirect,
    at: String,
}

impl Redirected {
    pub(super) fn at(why: Redirect, when: &str) -> Self {
        Redirected {
            why,
            at: when.to_owned(),
        }
    }

    pub(super) fn to_json(&self) -> serde_json::Value {
        self.why.to_json(&self.at)
    }
}

/// Where each part of a result went, for the audit.
pub(super) struct Posted {
    pub(super) about: serde_json::Value,
    pub(super) parts: Vec<serde_json::Value>,
}

impl Posted {
    pub(super) fn new(stored: &StoredStatement, index: u32) -> Self {
        Self {
            about: json!({"statement": stored.id, "conversation": stored.conversation_id, "index": index}),
            parts: Vec::new(),
        }
    }

    /// `part` was sent to the clicker alone (`delivered`: the platform
    /// took it).
    pub(super) fn part(&mut self, part: &str, delivered: bool) {
        self.parts
            .push(json!({"part": part, "to": "clicker", "delivered": delivered}));
    }

    /// `part` was posted in the place after its readers were read
    /// (`None`: no rule hides anything, so they were not asked). `read_ms`
    /// is how long before the platform took it that its readers were read:
    /// the window in which someone let in goes unseen.
    pub(super) fn part_in_place(
        &mut self,
        part: &str,
        readers: Option<super::PlaceReaders>,
        delivered: bool,
    ) {
        let mut about = json!({"part": part, "to": "place", "delivered": delivered});
        if let Some(readers) = &readers {
            about["readers"] = readers_json(readers);
            about["read_ms"] = json!(readers.read_at.elapsed().as_millis() as u64);
        }
        self.parts.push(about);
    }
}

/// The most readers' names an audit event lists (a large Discord server's
/// channel has thousands): the groups they read as, and how many, are
/// always whole.
const READERS_LISTED: usize = 100;

/// Who read a place, for the audit.
pub(super) fn readers_json(readers: &super::PlaceReaders) -> serde_json::Value {
    let listed: Vec<String> = readers
        .readers
        .iter()
        .take(READERS_LISTED)
        .map(ToString::to_string)
        .collect();
    json!({
        "count": readers.readers.len(),
        "listed": listed,
        "groups": readers.readership.people,
        "later": readers.readership.later,
    })
}
