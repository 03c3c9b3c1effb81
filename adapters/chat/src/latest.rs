//! One path per message for the changes an adapter makes to the bot's own
//! messages (text while an answer streams, controls).
//!
//! Callers set the state they want; at most one send per message is in
//! flight, and each send carries the newest state. So a rate limit that a
//! platform client waits out (holding its request) can delay a change but
//! never lose it, and an older state can never reach the platform after a
//! newer one: two concurrent requests for one message could otherwise be
//! reordered on the wire (serenity does, after a 429).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::PlatformError;

struct Slot<T> {
    /// The newest wanted state and its version.
    wanted: Mutex<(T, u64)>,
    /// The version the platform has; held while a send is in flight.
    applied: tokio::sync::Mutex<u64>,
}

/// The slots by message id, and the ids oldest first (to forget the oldest).
type Slots<T> = (HashMap<String, Arc<Slot<T>>>, VecDeque<String>);

/// The wanted state of each of the bot's recent messages.
pub struct LatestWins<T> {
    slots: Mutex<Slots<T>>,
    capacity: usize,
}

impl<T: Clone + Default + Send> LatestWins<T> {
    /// Keeps the state of the `capacity` newest messages; an older one is
    /// forgotten (a later change then starts from `T::default()`).
    pub fn new(capacity: usize) -> Self {
        Self {
            slots: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity,
        }
    }

    fn slot(&self, id: &str) -> Arc<Slot<T>> {
        let mut slots = self.slots.lock().expect("never poisoned");
        let (by_id, order) = &mut *slots;
        if let Some(slot) = by_id.get(id) {
            return Arc::clone(slot);
        }
        let slot = Arc::new(Slot {
            wanted: Mutex::new((T::default(), 0)),
            applied: tokio::sync::Mutex::new(0),
        });
        by_id.insert(id.to_owned(), Arc::clone(&slot));
        order.push_back(id.to_owned());
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                by_id.remove(&old);
            }
        }
        slot
    }

    /// Records the state a message was posted with.
    pub fn posted(&self, id: &str, state: T) {
        self.slot(id).wanted.lock().expect("never poisoned").0 = state;
    }

    /// Changes the wanted state of message `id`, then brings the platform to
    /// it with `send` (given the newest state), unless a later change has
    /// already sent a state that includes this one.
    ///
    /// # Errors
    /// What `send` returns; the change stays wanted, and the next change
    /// sends it.
    pub async fn change<F, Fut>(
        &self,
        id: &str,
        change: impl FnOnce(&mut T),
        send: F,
    ) -> Result<(), PlatformError>
    where
        F: FnOnce(T) -> Fut,
        Fut: Future<Output = Result<(), PlatformError>>,
    {
        let slot = self.slot(id);
        let mine = {
            let mut wanted = slot.wanted.lock().expect("never poisoned");
            change(&mut wanted.0);
            wanted.1 += 1;
            wanted.1
        };
        let mut applied = slot.applied.lock().await;
        if *applied >= mine {
            return Ok(());
        }
        let (state, version) = slot.wanted.lock().expect("never poisoned").clone();
        send(state).await?;
        *applied = version;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::{Notify, mpsc};

    #[tokio::test]
    async fn a_change_made_while_a_send_is_held_goes_out_after_it_and_no_older_state_follows() {
        let latest = Arc::new(LatestWins::<String>::new(16));
        let (sent, mut received) = mpsc::unbounded_channel();
        let release = Arc::new(Notify::new());
        // The first send is held, as a rate-limited request is.
        let first = {
            let (latest, sent, release) = (latest.clone(), sent.clone(), release.clone());
            tokio::spawn(async move {
                latest
                    .change(
                        "m",
                        |s| *s = "one".into(),
                        |state| async move {
                            sent.send(state).unwrap();
                            release.notified().await;
                            Ok(())
                        },
                    )
                    .await
            })
        };
        assert_eq!(received.recv().await.unwrap(), "one");
        // Two more changes while it is held: the second is queued behind the
        // first send, the third finds its state already on the way.
        let later = |text: &'static str| {
            let (latest, sent) = (latest.clone(), sent.clone());
            tokio::spawn(async move {
                latest
                    .change(
                        "m",
                        |s| *s = text.into(),
                        |state| async move {
                            sent.send(state).unwrap();
                            Ok(())
                        },
                    )
                    .await
            })
        };
        let second = later("two");
        tokio::task::yield_now().await;
        let third = later("three");
        tokio::task::yield_now().await;
        release.notify_one();
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        third.await.unwrap().unwrap();
        drop(sent);
        let mut after = Vec::new();
        while let Some(state) = received.recv().await {
            after.push(state);
        }
        assert_eq!(after, vec!["three"], "only the newest state, once");
    }

    #[tokio::test]
    async fn a_failed_send_leaves_the_change_wanted_for_the_next_one() {
        let latest = LatestWins::<Vec<&str>>::new(16);
        let failed = latest
            .change(
                "m",
                |s| s.push("a"),
                |_| async {
                    Err(PlatformError::RateLimited {
                        retry_after: std::time::Duration::from_secs(1),
                    })
                },
            )
            .await;
        assert!(failed.is_err());
        let mut seen = None;
        latest
            .change(
                "m",
                |s| s.push("b"),
                |state| {
                    seen = Some(state);
                    async { Ok(()) }
                },
            )
            .await
            .unwrap();
        assert_eq!(seen.unwrap(), vec!["a", "b"]);
    }
}
