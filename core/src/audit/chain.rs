//! The hash chain: how each event is hashed over the one before it
//! (canonical JSON), and the walk that verifies it and names the first
//! event altered, deleted or inserted out of order.

use super::*;

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The event's content no longer matches its hash: it was edited, or moved
    /// to another position.
    Altered { seq: i64 },
    /// Events `first..=last` are gone.
    Missing { first: i64, last: i64 },
    /// The event does not link to the event before it: it was inserted out of
    /// order, or the one before it was replaced.
    OutOfOrder { seq: i64 },
    /// The log ends before the last event the store recorded appending.
    Truncated {
        last_present: i64,
        last_recorded: i64,
    },
    /// Events past the last one the store appended were added behind its back.
    Unrecorded { seq: i64 },
    /// The last event is not the one the store appended: it was replaced by
    /// a well-formed forgery.
    Replaced { seq: i64 },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::Altered { seq } => write!(
                f,
                "event #{seq} was altered or moved: its content does not match its hash"
            ),
            ChainBreak::Missing { first, last } if first == last => {
                write!(f, "event #{first} was deleted")
            }
            ChainBreak::Missing { first, last } => {
                write!(f, "events #{first} to #{last} were deleted")
            }
            ChainBreak::OutOfOrder { seq } => write!(
                f,
                "event #{seq} does not link to event #{}: one of them was replaced, or #{seq} was inserted out of order",
                seq - 1
            ),
            ChainBreak::Truncated {
                last_present,
                last_recorded,
            } => write!(
                f,
                "events after #{last_present} (up to #{last_recorded}) were deleted"
            ),
            ChainBreak::Unrecorded { seq } => write!(
                f,
                "event #{seq} was inserted behind the store's back: the chain's head is before it"
            ),
            ChainBreak::Replaced { seq } => write!(
                f,
                "event #{seq} was replaced: the chain's head records another event there"
            ),
        }
    }
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// How many events were checked before the walk stopped.
    pub checked: u64,
    /// `None` when the chain holds.
    pub broken: Option<ChainBreak>,
}

/// The state of a walk along the chain.
#[derive(Default)]
pub(super) struct Walk {
    pub(super) checked: u64,
    /// The last event that held, as a pagination cursor.
    pub(super) last_seq: Option<i64>,
    pub(super) prev_seq: i64,
    pub(super) prev_hash: Option<String>,
    pub(super) broken: Option<ChainBreak>,
}

impl Walk {
    /// Starts after event `seq` whose hash is `hash` (the retention anchor;
    /// seq 0 and the genesis hash when nothing was removed).
    pub(super) fn start_at(&mut self, seq: i64, hash: String) {
        if seq > 0 {
            self.prev_seq = seq;
            self.last_seq = Some(seq);
            self.prev_hash = Some(hash);
        }
    }

    /// Checks a page of events; true once the chain is found broken.
    pub(super) fn check(&mut self, page: &[Event]) -> bool {
        for event in page {
            let prev_hash = self.prev_hash.as_deref().unwrap_or(GENESIS);
            let broken = if event.recompute_hash() != event.hash {
                Some(ChainBreak::Altered { seq: event.seq })
            } else if event.seq > self.prev_seq + 1 {
                Some(ChainBreak::Missing {
                    first: self.prev_seq + 1,
                    last: event.seq - 1,
                })
            } else if event.seq <= self.prev_seq || event.prev_hash != prev_hash {
                Some(ChainBreak::OutOfOrder { seq: event.seq })
            } else {
                None
            };
            if broken.is_some() {
                self.broken = broken;
                return true;
            }
            self.checked += 1;
            self.prev_seq = event.seq;
            self.last_seq = Some(event.seq);
            self.prev_hash = Some(event.hash.clone());
        }
        false
    }

    /// Compares the end of the walk with the head the store recorded.
    pub(super) fn finish(&mut self, head_seq: i64, head_hash: &str) {
        if self.broken.is_some() {
            return;
        }
        let last_hash = self.prev_hash.as_deref().unwrap_or(GENESIS);
        self.broken = if head_seq > self.prev_seq {
            Some(ChainBreak::Truncated {
                last_present: self.prev_seq,
                last_recorded: head_seq,
            })
        } else if head_seq < self.prev_seq {
            Some(ChainBreak::Unrecorded { seq: head_seq + 1 })
        } else if head_hash != last_hash {
            Some(ChainBreak::Replaced { seq: head_seq })
        } else {
            None
        };
    }
}

/// The hashed fields of an event.
pub(super) struct Record {
    pub(super) seq: i64,
    pub(super) at: DateTime<Utc>,
    pub(super) user_id: Option<i64>,
    pub(super) identity: Option<String>,
    pub(super) platform: Option<String>,
    pub(super) channel: Option<String>,
    pub(super) thread: Option<String>,
    pub(super) private: bool,
    pub(super) kind: String,
    pub(super) payload: String,
}

impl Record {
    /// SHA-256 over a canonical encoding: a version tag, then each field in a
    /// fixed order as a presence byte, a 64-bit big-endian length and the
    /// bytes, then the previous hash. Length prefixes make the encoding
    /// unambiguous (no two field lists encode alike), which plain
    /// concatenation with a separator is not.
    pub(super) fn hash(&self, prev_hash: &str) -> String {
        fn field(h: &mut Sha256, value: Option<&[u8]>) {
            match value {
                None => h.update([0u8]),
                Some(bytes) => {
                    h.update([1u8]);
                    h.update((bytes.len() as u64).to_be_bytes());
                    h.update(bytes);
                }
            }
        }
        let mut h = Sha256::new();
        h.update(b"pstral.audit.v1");
        field(&mut h, Some(self.seq.to_string().as_bytes()));
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        field(&mut h, Some(at.as_bytes()));
        let user = self.user_id.map(|u| u.to_string());
        field(&mut h, user.as_deref().map(str::as_bytes));
        for text in [&self.identity, &self.platform, &self.channel, &self.thread] {
            field(&mut h, text.as_deref().map(str::as_bytes));
        }
        field(&mut h, Some(if self.private { b"1" } else { b"0" }));
        field(&mut h, Some(self.kind.as_bytes()));
        field(&mut h, Some(self.payload.as_bytes()));
        field(&mut h, Some(prev_hash.as_bytes()));
        hex::encode(h.finalize())
    }
}

/// JSON with object keys sorted at every level and no white space, so the
/// same payload always makes the same bytes, whatever serde_json features
/// another crate switches on (`preserve_order` would keep insertion order).
pub fn canonical_json(value: &serde_json::Value) -> String {
    pub(super) fn write(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}
