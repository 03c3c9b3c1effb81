//! The queue in front of the model servers: bounded, fair between users, and
//! telling each waiting request its position as it moves.
//!
//! Each endpoint serves at most `limit` answers at once (1 by default: Ollama
//! on a CPU serves one at a time and queues the rest silently, so queueing
//! here is what lets a user see where they stand). Requests are served
//! round-robin between users: the user served longest ago (or never) goes
//! first, one request per user per round, so one person's five questions
//! interleave with everyone else's instead of blocking them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::LlmError;

/// Questions one person may have waiting at once: enough for a few asked
/// in a row, far from the whole line, so one account cannot shut everyone
/// else out.
pub const PER_USER_WAITING: usize = 4;

/// How long an endpoint that failed is tried only after the healthy ones.
const COOLDOWN: Duration = Duration::from_secs(30);

/// Shares the endpoints' capacity between waiting requests.
#[derive(Clone)]
pub struct Dispatcher {
    state: Arc<Mutex<State>>,
}

struct State {
    endpoints: Vec<Slot>,
    waiting: Vec<Waiter>,
    capacity: usize,
    next_seq: u64,
    /// Turns granted so far, and the count at each user's last turn.
    grants: u64,
    last_served: HashMap<i64, u64>,
}

struct Slot {
    limit: usize,
    in_use: usize,
    failed_at: Option<Instant>,
}

struct Waiter {
    seq: u64,
    user: i64,
    /// A request that already had its turn and failed over to another
    /// endpoint: it goes first, not to the back of the line.
    retry: bool,
    exclude: Vec<usize>,
    grant: oneshot::Sender<Lease>,
    position: watch::Sender<usize>,
}

/// A turn on one endpoint; the slot is freed when this is dropped.
pub struct Lease {
    dispatcher: Dispatcher,
    endpoint: usize,
    /// False when the lease was never handed out, so dropping it frees nothing.
    armed: bool,
}

impl Lease {
    /// Which endpoint (index in configuration order) this turn is on.
    pub fn endpoint(&self) -> usize {
        self.endpoint
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.dispatcher.lock();
            state.release(self.endpoint);
            self.dispatcher.dispatch(&mut state);
        }
    }
}

impl Dispatcher {
    /// `limits[i]` answers at once on endpoint `i`; at most `capacity`
    /// requests wait.
    pub fn new(limits: Vec<usize>, capacity: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                endpoints: limits
                    .into_iter()
                    .map(|limit| Slot {
                        limit: limit.max(1),
                        in_use: 0,
                        failed_at: None,
                    })
                    .collect(),
                waiting: Vec::new(),
                capacity,
                next_seq: 0,
                grants: 0,
                last_served: HashMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("never poisoned")
    }

    /// How many requests wait for a turn.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Waits for a turn on an endpoint not in `exclude`. While waiting,
    /// `position` holds the 1-based place in line; 0 once served. Cancelling
    /// the future leaves the line. A request failing over after its turn
    /// (`exclude` not empty) goes first.
    ///
    /// # Errors
    /// [`LlmError::QueueFull`] at once when the line is full;
    /// [`LlmError::OwnQueueFull`] when `user` already has
    /// [`PER_USER_WAITING`] requests waiting (a failover does not count).
    pub async fn acquire(
        &self,
        user: i64,
        exclude: &[usize],
        position: &watch::Sender<usize>,
    ) -> Result<Lease, LlmError> {
        let (grant, granted) = oneshot::channel();
        let seq = {
            let mut state = self.lock();
            if state.waiting.len() >= state.capacity {
                return Err(LlmError::QueueFull {
                    capacity: state.capacity,
                });
            }
            let own = state
                .waiting
                .iter()
                .filter(|w| w.user == user && !w.retry)
                .count();
            if exclude.is_empty() && own >= PER_USER_WAITING {
                return Err(LlmError::OwnQueueFull { waiting: own });
            }
            let seq = state.next_seq;
            state.next_seq += 1;
            state.waiting.push(Waiter {
                seq,
                user,
                retry: !exclude.is_empty(),
                exclude: exclude.to_vec(),
                grant,
                position: position.clone(),
            });
            self.dispatch(&mut state);
            seq
        };
        let guard = LeaveOnDrop {
            dispatcher: self,
            seq,
        };
        // The sender lives in the waiter, which only `dispatch` (by granting)
        // or the guard (after this future is gone) removes.
        let lease = granted.await.expect("a waiter is granted or leaves");
        drop(guard);
        position.send_replace(0);
        Ok(lease)
    }

    /// Notes that an endpoint failed: it is tried after the others for a while.
    pub fn mark_down(&self, endpoint: usize) {
        let mut state = self.lock();
        if let Some(slot) = state.endpoints.get_mut(endpoint) {
            slot.failed_at = Some(Instant::now());
        }
    }

    /// Grants free slots to waiters in fair order, then tells the rest their
    /// position.
    fn dispatch(&self, state: &mut State) {
        loop {
            let order = state.fair_order();
            let choice = order.iter().find_map(|&i| {
                let waiter = &state.waiting[i];
                state.best_endpoint(&waiter.exclude).map(|e| (i, e))
            });
            let Some((index, endpoint)) = choice else {
                break;
            };
            let waiter = state.waiting.remove(index);
            state.endpoints[endpoint].in_use += 1;
            let lease = Lease {
                dispatcher: self.clone(),
                endpoint,
                armed: true,
            };
            match waiter.grant.send(lease) {
                Ok(()) => {
                    state.grants += 1;
                    let grants = state.grants;
                    state.last_served.insert(waiter.user, grants);
                }
                Err(mut lease) => {
                    // The requester is gone: undo here, under the lock we
                    // hold, rather than in the lease's drop, which would
                    // lock again.
                    lease.armed = false;
                    state.release(endpoint);
                }
            }
        }
        metrics::gauge!("pstral_queue_depth").set(state.waiting.len() as f64);
        for (place, &i) in state.fair_order().iter().enumerate() {
            state.waiting[i].position.send_if_modified(|p| {
                let changed = *p != place + 1;
                *p = place + 1;
                changed
            });
        }
    }
}

impl State {
    fn release(&mut self, endpoint: usize) {
        self.endpoints[endpoint].in_use -= 1;
    }

    /// Indexes into `waiting`, in the order they will be served: rounds of
    /// one request per user (each user's oldest first), users ordered by
    /// their last turn, never-served first.
    fn fair_order(&self) -> Vec<usize> {
        let mut per_user: Vec<(Option<u64>, Vec<usize>)> = Vec::new();
        let mut by_arrival: Vec<usize> = (0..self.waiting.len()).collect();
        by_arrival.sort_by_key(|&i| self.waiting[i].seq);
        let mut slot_of: HashMap<i64, usize> = HashMap::new();
        for i in by_arrival {
            let user = self.waiting[i].user;
            let slot = *slot_of.entry(user).or_insert_with(|| {
                per_user.push((self.last_served.get(&user).copied(), Vec::new()));
                per_user.len() - 1
            });
            per_user[slot].1.push(i);
        }
        // Stable: users with equal last turns keep their arrival order.
        per_user.sort_by_key(|(last, _)| *last);
        let rounds = per_user.iter().map(|(_, q)| q.len()).max().unwrap_or(0);
        let mut order: Vec<usize> = (0..rounds)
            .flat_map(|round| {
                per_user
                    .iter()
                    .filter_map(move |(_, q)| q.get(round).copied())
            })
            .collect();
        // Failed-over requests had their turn already: they go first.
        order.sort_by_key(|&i| !self.waiting[i].retry);
        order
    }

    /// A free endpoint not excluded, the least busy first. An endpoint that
    /// failed lately is used only when no healthy one is left (even a busy
    /// one: waiting for it beats timing out on a dead one).
    fn best_endpoint(&self, exclude: &[usize]) -> Option<usize> {
        let cooling = |slot: &Slot| slot.failed_at.is_some_and(|t| t.elapsed() < COOLDOWN);
        let candidates = || {
            self.endpoints
                .iter()
                .enumerate()
                .filter(|(i, _)| !exclude.contains(i))
        };
        let any_healthy = candidates().any(|(_, slot)| !cooling(slot));
        candidates()
            .filter(|(_, slot)| slot.in_use < slot.limit && !(any_healthy && cooling(slot)))
            .min_by_key(|(i, slot)| (slot.in_use, *i))
            .map(|(i, _)| i)
    }
}

/// Removes a waiter whose request was cancelled before its turn.
struct LeaveOnDrop<'a> {
    dispatcher: &'a Dispatcher,
    seq: u64,
}

impl Drop for LeaveOnDrop<'_> {
    fn drop(&mut self) {
        let mut state = self.dispatcher.lock();
        let before = state.waiting.len();
        state.waiting.retain(|w| w.seq != self.seq);
        if state.waiting.len() != before {
            self.dispatcher.dispatch(&mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> watch::Sender<usize> {
        watch::channel(usize::MAX).0
    }

    #[tokio::test]
    async fn two_users_alternate_when_one_asks_five_times() {
        let d = Dispatcher::new(vec![1], 100);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let first = d.acquire(1, &[], &position()).await.unwrap();
        let mut tasks = Vec::new();
        // User 1 queues four more, then user 2 queues two.
        for (user, n) in [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2)] {
            let d = d.clone();
            let tx = tx.clone();
            let pos = position();
            let mut watch = pos.subscribe();
            tasks.push(tokio::spawn(async move {
                let lease = d.acquire(user, &[], &pos).await.unwrap();
                tx.send((user, n)).unwrap();
                drop(lease);
            }));
            // Each is in line before the next arrives.
            watch.wait_for(|p| *p != usize::MAX).await.unwrap();
        }
        drop(first);
        let mut served = Vec::new();
        for _ in 0..6 {
            served.push(rx.recv().await.unwrap());
        }
        assert_eq!(served, [(2, 1), (1, 1), (2, 2), (1, 2), (1, 3), (1, 4)]);
        for t in tasks {
            t.await.unwrap();
        }
    }

    #[tokio::test]
    async fn positions_move_as_the_line_moves_and_a_full_line_refuses() {
        let d = Dispatcher::new(vec![1], 2);
        let busy = d.acquire(1, &[], &position()).await.unwrap();
        let (a, b) = (position(), position());
        let (mut wa, mut wb) = (a.subscribe(), b.subscribe());
        let da = d.clone();
        let ta = tokio::spawn(async move { da.acquire(2, &[], &a).await.map(drop) });
        wa.wait_for(|p| *p == 1).await.unwrap();
        let db = d.clone();
        let tb = tokio::spawn(async move { db.acquire(3, &[], &b).await.map(|l| l.endpoint()) });
        wb.wait_for(|p| *p == 2).await.unwrap();
        let full = d.acquire(4, &[], &position()).await;
        assert!(matches!(full, Err(LlmError::QueueFull { capacity: 2 })));
        drop(busy);
        wb.wait_for(|p| *p <= 1).await.unwrap();
        ta.await.unwrap().unwrap();
        assert_eq!(tb.await.unwrap().unwrap(), 0);
        assert_eq!(*wb.borrow(), 0, "0 once served");
    }

    #[tokio::test]
    async fn one_person_cannot_fill_the_line() {
        let d = Dispatcher::new(vec![1], 100);
        let busy = d.acquire(1, &[], &position()).await.unwrap();
        let mut waiting = Vec::new();
        for _ in 0..PER_USER_WAITING {
            let p = position();
            let mut seen = p.subscribe();
            let dd = d.clone();
            waiting.push(tokio::spawn(async move {
                dd.acquire(7, &[], &p).await.map(drop)
            }));
            seen.wait_for(|p| *p != usize::MAX).await.unwrap();
        }
        let over = d.acquire(7, &[], &position()).await;
        assert!(
            matches!(over, Err(LlmError::OwnQueueFull { waiting }) if waiting == PER_USER_WAITING)
        );
        // Someone else still gets in line.
        let p = position();
        let mut seen = p.subscribe();
        let dd = d.clone();
        let other = tokio::spawn(async move { dd.acquire(8, &[], &p).await.map(drop) });
        seen.wait_for(|p| *p != usize::MAX).await.unwrap();
        drop(busy);
        for w in waiting {
            w.await.unwrap().unwrap();
        }
        other.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_cancelled_request_leaves_the_line() {
        let d = Dispatcher::new(vec![1], 10);
        let busy = d.acquire(1, &[], &position()).await.unwrap();
        let pos = position();
        let mut w = pos.subscribe();
        let dd = d.clone();
        let waiting = tokio::spawn(async move { dd.acquire(2, &[], &pos).await.map(drop) });
        w.wait_for(|p| *p == 1).await.unwrap();
        waiting.abort();
        let _ = waiting.await;
        assert_eq!(d.waiting(), 0);
        drop(busy);
        // The slot is free again: the next request is served at once.
        let again = d.acquire(3, &[], &position()).await.unwrap();
        assert_eq!(again.endpoint(), 0);
    }

    #[tokio::test]
    async fn excluded_and_failed_endpoints_are_avoided() {
        let d = Dispatcher::new(vec![1, 1], 10);
        d.mark_down(0);
        let first = d.acquire(1, &[], &position()).await.unwrap();
        assert_eq!(first.endpoint(), 1, "the healthy endpoint first");
        // While a healthy endpoint exists, a failed one is not used, even
        // when the healthy one is busy: the request waits for it.
        let (pos, dd) = (position(), d.clone());
        let mut line = pos.subscribe();
        let second =
            tokio::spawn(async move { dd.acquire(2, &[], &pos).await.map(|l| l.endpoint()) });
        line.wait_for(|p| *p == 1).await.unwrap();
        drop(first);
        assert_eq!(second.await.unwrap().unwrap(), 1);
        // Excluded, endpoint 1 is never given, even when it is the only one.
        let only = Dispatcher::new(vec![1, 1], 10);
        let busy = only.acquire(1, &[], &position()).await.unwrap();
        assert_eq!(busy.endpoint(), 0);
        let (pos, dd) = (position(), only.clone());
        let mut line = pos.subscribe();
        let third =
            tokio::spawn(async move { dd.acquire(2, &[1], &pos).await.map(|l| l.endpoint()) });
        line.wait_for(|p| *p == 1).await.unwrap();
        drop(busy);
        assert_eq!(third.await.unwrap().unwrap(), 0);
    }

    #[tokio::test]
    async fn a_request_failing_over_goes_before_the_line() {
        let d = Dispatcher::new(vec![1], 10);
        let busy = d.acquire(1, &[], &position()).await.unwrap();
        let (pos, dd) = (position(), d.clone());
        let mut line = pos.subscribe();
        let waiting = tokio::spawn(async move { dd.acquire(2, &[], &pos).await.map(|_| 2) });
        line.wait_for(|p| *p == 1).await.unwrap();
        // A request that failed on another endpoint (index 5, excluded) comes back.
        let (pos, dd) = (position(), d.clone());
        let mut retry_line = pos.subscribe();
        let retried = tokio::spawn(async move { dd.acquire(3, &[5], &pos).await.map(|_| 3) });
        retry_line.wait_for(|p| *p == 1).await.unwrap();
        assert_eq!(*line.borrow(), 2, "the retry goes first");
        drop(busy);
        assert_eq!(retried.await.unwrap().unwrap(), 3);
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
    }
}
