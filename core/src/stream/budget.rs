//! How often streamed answers may edit their messages: a budget per
//! platform allowance (a Discord channel, a Matrix account), kept as a
//! token bucket that refills at the platform's rate, from which every
//! answer drawing on that allowance spends.
//!
//! Why a bucket and not a clock: platforms grant bursts (Discord five
//! edits per channel every five seconds, Synapse ten messages then one
//! every five seconds), and what a person waits for is the first words and
//! the finished text. So an edit that only shows more of an answer still
//! coming (an intermediate edit) is spent only while the bucket keeps one
//! edit back for the final text of every answer in flight: the final edit
//! then goes out as soon as the model ends, never behind the intermediate
//! ones. A message is also edited less often the more it has been edited
//! (a long answer stays cheap, and a Matrix event edited a thousand times
//! no longer loads), at most [`MAX_EDITS_PER_MESSAGE`] times before its
//! final text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pstral_chat::{Allowance, AllowanceLeft, AllowanceScope, Limits, Place};
use tokio::time::Instant;

/// The most intermediate edits one message gets; its final text always
/// comes after. With the gaps growing as [`intermediate_gap`] says, a
/// message streamed at one edit a second reaches it after about half an
/// hour (an answer at 20 tokens a second for ten minutes makes about 100).
pub const MAX_EDITS_PER_MESSAGE: usize = 200;

/// The gap before a message's next intermediate edit, after `made` of
/// them: the platform's floor, growing by a tenth of it with each edit
/// made (the 10th waits twice the floor, the 100th eleven times).
pub fn intermediate_gap(floor: Duration, made: usize) -> Duration {
    floor + floor.mul_f64(made as f64 / 10.0)
}

/// The budgets of a bot, one per allowance scope it has streamed in.
#[derive(Default)]
pub struct EditBudgets {
    buckets: Mutex<HashMap<String, Arc<Mutex<Bucket>>>>,
}

impl EditBudgets {
    /// The budget an answer in `place` draws on, held for the answer's
    /// life (it counts the answer among those whose final edit is kept
    /// back until it is dropped).
    pub fn for_answer(&self, limits: &Limits, place: &Place) -> EditBudget {
        let allowance = limits.edit_allowance;
        let key = match allowance.scope {
            AllowanceScope::Channel => format!("{}/{}", place.platform, place.channel),
            AllowanceScope::Account => place.platform.to_string(),
        };
        let bucket = {
            let mut buckets = self.buckets.lock().expect("never poisoned");
            // Idle buckets are full again: forgetting them loses nothing.
            if buckets.len() > 4096 {
                buckets.retain(|_, b| Arc::strong_count(b) > 1);
            }
            buckets
                .entry(key)
                .or_insert_with(|| Arc::new(Mutex::new(Bucket::full(allowance))))
                .clone()
        };
        bucket.lock().expect("never poisoned").answers += 1;
        EditBudget {
            bucket,
            floor: limits.min_edit_interval,
        }
    }
}

/// What one answer may spend; see the module's documentation.
pub struct EditBudget {
    bucket: Arc<Mutex<Bucket>>,
    floor: Duration,
}

impl Drop for EditBudget {
    fn drop(&mut self) {
        let mut bucket = self.bucket.lock().expect("never poisoned");
        bucket.answers = bucket.answers.saturating_sub(1);
    }
}

impl EditBudget {
    /// A budget of its own, for an answer that shares its allowance with
    /// no other (tests, the terminal).
    pub fn alone(limits: &Limits) -> Self {
        let mut bucket = Bucket::full(limits.edit_allowance);
        bucket.answers = 1;
        EditBudget {
            bucket: Arc::new(Mutex::new(bucket)),
            floor: limits.min_edit_interval,
        }
    }

    /// The shortest time between two edits of one message (the platform's
    /// floor).
    pub fn floor(&self) -> Duration {
        self.floor
    }

    /// When the next intermediate edit of a message last changed at
    /// `last_change`, edited `made` times so far, may go; `None` once it
    /// has had its share (only its final text is left).
    pub fn next_intermediate(&self, made: usize, last_change: Instant) -> Option<Instant> {
        if made >= MAX_EDITS_PER_MESSAGE {
            return None;
        }
        let own = last_change + intermediate_gap(self.floor, made);
        let mut bucket = self.bucket.lock().expect("never poisoned");
        let reserve = bucket.answers.max(1) as f64;
        Some(own.max(bucket.when_holding(1.0 + reserve, Instant::now())))
    }

    /// When a final edit may go: as soon as the bucket holds one edit.
    pub fn next_final(&self) -> Instant {
        let mut bucket = self.bucket.lock().expect("never poisoned");
        bucket.when_holding(1.0, Instant::now())
    }

    /// Takes an intermediate edit from the budget when it may be made now
    /// (another answer may have spent what this one waited for).
    pub fn take_intermediate(&self) -> bool {
        let mut bucket = self.bucket.lock().expect("never poisoned");
        let now = Instant::now();
        let reserve = bucket.answers.max(1) as f64;
        if bucket.when_holding(1.0 + reserve, now) <= now {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Counts an edit or a post that was made without asking (a final
    /// edit, a post on a platform whose posts share the allowance).
    pub fn spent(&self) {
        let mut bucket = self.bucket.lock().expect("never poisoned");
        bucket.refresh(Instant::now());
        bucket.tokens -= 1.0;
    }

    /// What the platform says is left: the bucket holds no more, and none
    /// until the reset when nothing is left.
    pub fn platform_says(&self, left: AllowanceLeft) {
        let mut bucket = self.bucket.lock().expect("never poisoned");
        let now = Instant::now();
        bucket.refresh(now);
        bucket.tokens = bucket.tokens.min(f64::from(left.remaining));
        if left.remaining == 0 {
            bucket.blocked_until = Some(now + left.reset_after);
        }
    }

    /// Whether the allowance counts posts as well as edits.
    pub fn counts_posts(&self) -> bool {
        self.bucket
            .lock()
            .expect("never poisoned")
            .allowance
            .posts_count
    }

    /// The platform said to wait: the allowance is empty until then,
    /// whatever the bucket reckoned (another client of the same account,
    /// a stricter limit than configured).
    pub fn rate_limited(&self, retry_after: Duration) {
        let mut bucket = self.bucket.lock().expect("never poisoned");
        let now = Instant::now();
        bucket.refresh(now);
        bucket.tokens = bucket.tokens.min(0.0);
        bucket.blocked_until = Some(now + retry_after);
    }
}

/// A token bucket: `tokens` edits may go now; one more every `refill`, up
/// to `burst`.
struct Bucket {
    allowance: Allowance,
    tokens: f64,
    updated: Instant,
    blocked_until: Option<Instant>,
    /// The answers in flight, each keeping one edit back for its final
    /// text.
    answers: usize,
}

impl Bucket {
    fn full(allowance: Allowance) -> Self {
        Bucket {
            allowance,
            tokens: f64::from(allowance.burst.max(1)),
            updated: Instant::now(),
            blocked_until: None,
            answers: 0,
        }
    }

    fn refresh(&mut self, now: Instant) {
        let burst = f64::from(self.allowance.burst.max(1));
        if self.allowance.refill.is_zero() {
            self.tokens = burst;
        } else {
            let earned = now.saturating_duration_since(self.updated).as_secs_f64()
                / self.allowance.refill.as_secs_f64();
            self.tokens = (self.tokens + earned).min(burst);
        }
        self.updated = now;
    }

    /// When the bucket will hold `wanted` edits (at once when it does);
    /// never more than a burst can hold: then when it is full.
    fn when_holding(&mut self, wanted: f64, now: Instant) -> Instant {
        self.refresh(now);
        let wanted = wanted.min(f64::from(self.allowance.burst.max(1)));
        let earned = if self.tokens >= wanted || self.allowance.refill.is_zero() {
            now
        } else {
            now + self.allowance.refill.mul_f64(wanted - self.tokens)
        };
        match self.blocked_until {
            Some(until) if until > earned => until,
            _ => earned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(burst: u32, refill_ms: u64, floor_ms: u64) -> Limits {
        Limits {
            max_message_chars: 2000,
            min_edit_interval: Duration::from_millis(floor_ms),
            edit_allowance: Allowance::per_channel(burst, Duration::from_millis(refill_ms)),
            buttons: true,
            command_prefix: "/",
        }
    }

    fn place(channel: &str) -> Place {
        Place {
            platform: "discord".parse().expect("a platform name"),
            channel: channel.to_owned(),
            thread: None,
            private: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn intermediate_edits_leave_one_edit_for_each_answers_final_text() {
        let budgets = EditBudgets::default();
        let limits = limits(3, 1000, 100);
        let first = budgets.for_answer(&limits, &place("c"));
        let second = budgets.for_answer(&limits, &place("c"));
        // Three in the bucket, two kept back: one intermediate edit now.
        assert!(first.take_intermediate());
        assert!(!second.take_intermediate());
        // Both finals may still go at once.
        assert!(first.next_final() <= Instant::now());
        first.spent();
        assert!(second.next_final() <= Instant::now());
        second.spent();
        // The bucket is empty: the next final waits one refill.
        let third = budgets.for_answer(&limits, &place("c"));
        assert_eq!(third.next_final(), Instant::now() + Duration::from_secs(1));
        // Another channel has its own allowance.
        let elsewhere = budgets.for_answer(&limits, &place("d"));
        assert!(elsewhere.take_intermediate());
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_empties_the_allowance_until_the_platform_says() {
        let budget = EditBudget::alone(&limits(5, 1000, 100));
        budget.rate_limited(Duration::from_secs(3));
        assert_eq!(budget.next_final(), Instant::now() + Duration::from_secs(3));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(budget.next_final() <= Instant::now());
    }

    #[tokio::test(start_paused = true)]
    async fn the_platform_saying_nothing_is_left_holds_every_edit_until_its_reset() {
        let budget = EditBudget::alone(&limits(5, 1000, 100));
        budget.platform_says(AllowanceLeft {
            remaining: 0,
            reset_after: Duration::from_millis(2500),
        });
        assert_eq!(
            budget.next_final(),
            Instant::now() + Duration::from_millis(2500)
        );
        assert!(!budget.take_intermediate());
        tokio::time::advance(Duration::from_millis(2500)).await;
        assert!(budget.next_final() <= Instant::now());
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_is_edited_less_often_the_more_it_was_and_never_past_the_ceiling() {
        let budget = EditBudget::alone(&limits(1000, 1, 1000));
        let start = Instant::now();
        assert_eq!(
            budget.next_intermediate(0, start),
            Some(start + Duration::from_secs(1))
        );
        assert_eq!(
            budget.next_intermediate(10, start),
            Some(start + Duration::from_secs(2))
        );
        assert_eq!(budget.next_intermediate(MAX_EDITS_PER_MESSAGE, start), None);
        // Ten minutes at one edit as soon as allowed stays under the
        // ceiling.
        let mut at = Duration::ZERO;
        let mut made = 0;
        while at < Duration::from_secs(600) {
            at += intermediate_gap(Duration::from_secs(1), made);
            made += 1;
        }
        assert!(made < MAX_EDITS_PER_MESSAGE, "{made} edits in ten minutes");
    }
}
