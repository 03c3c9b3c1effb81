//! An in-memory [`ChatPlatform`] that records every request with its time,
//! for tests of the core and as the reference for what an adapter must do.
//!
//! It enforces its [`Limits`] the way a real platform would (a text over the
//! length limit is refused), can be told to answer the next edits with a rate
//! limit, and lets a test await a condition on what was recorded instead of
//! sleeping.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::{
    Attachment, Audience, ChatPlatform, ControlKind, Limits, MessageRef, OutboundAction, Place,
    Platform, PlatformError, PlatformIdentity,
};

/// One accepted request and when it was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub at: Instant,
    pub action: OutboundAction,
}

/// A platform that keeps everything in memory.
pub struct RecordingPlatform {
    platform: Platform,
    limits: Limits,
    state: Mutex<State>,
    /// Bumped on every accepted request, so waiters wake up.
    changed: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    actions: Vec<Recorded>,
    texts: HashMap<String, String>,
    rate_limited_edits: usize,
    retry_after: Duration,
    refused_posts: usize,
    /// Who reads each place (by channel), as the tests set it; a place not
    /// set is one the platform cannot tell.
    audiences: HashMap<String, Audience>,
    /// Audiences each told once, in order, before `audiences` is: who
    /// reads a place changing between one ask and the next.
    scripted: HashMap<String, std::collections::VecDeque<Audience>>,
}

impl RecordingPlatform {
    /// # Panics
    /// When `platform` is not a valid platform name.
    pub fn new(platform: &str, limits: Limits) -> Self {
        Self {
            platform: platform.parse().expect("a valid platform name"),
            limits,
            state: Mutex::new(State::default()),
            changed: watch::channel(0).0,
        }
    }

    /// Limits like Discord's: 2,000 characters, an edit per second.
    pub fn discord_like() -> Limits {
        Limits {
            max_message_chars: 2000,
            min_edit_interval: Duration::from_millis(1000),
            edit_allowance: crate::Allowance::per_channel(5, Duration::from_secs(1)),
            buttons: true,
            command_prefix: "/",
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("never poisoned")
    }

    fn record(&self, state: &mut State, action: OutboundAction) {
        state.actions.push(Recorded {
            at: Instant::now(),
            action,
        });
        self.changed.send_modify(|n| *n += 1);
    }

    /// The next `count` edits are refused with a rate limit of `retry_after`.
    pub fn rate_limit_next_edits(&self, count: usize, retry_after: Duration) {
        let mut s = self.state();
        s.rate_limited_edits = count;
        s.retry_after = retry_after;
    }

    /// The next `count` posts are refused, as a platform that is down (or
    /// that removed the bot from the channel) would.
    pub fn refuse_next_posts(&self, count: usize) {
        self.state().refused_posts = count;
    }

    /// Says that `channel` is read by `members` (the bot left out), and by
    /// no one else later.
    pub fn set_audience(&self, channel: &str, members: Vec<PlatformIdentity>) {
        self.set_audience_of(channel, Audience::closed(members));
    }

    /// Says who reads `channel` at each of the next asks, one each in
    /// order; after them, what [`RecordingPlatform::set_audience_of`] set.
    pub fn script_audiences(&self, channel: &str, audiences: Vec<Audience>) {
        self.state
            .lock()
            .expect("never poisoned")
            .scripted
            .insert(channel.to_owned(), audiences.into());
    }

    /// Says who reads `channel`, now and later.
    pub fn set_audience_of(&self, channel: &str, audience: Audience) {
        self.state
            .lock()
            .expect("never poisoned")
            .audiences
            .insert(channel.to_owned(), audience);
    }

    pub fn actions(&self) -> Vec<Recorded> {
        self.state().actions.clone()
    }

    /// The current text of a message.
    pub fn text_of(&self, id: &str) -> Option<String> {
        self.state().texts.get(id).cloned()
    }

    /// The messages posted, in order, with their current text.
    pub fn messages(&self) -> Vec<(MessageRef, String)> {
        let s = self.state();
        s.actions
            .iter()
            .filter_map(|r| match &r.action {
                OutboundAction::Post { message, .. } => {
                    Some((message.clone(), s.texts[&message.id].clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// When each text of a message (its post, then each edit) was set.
    pub fn history_of(&self, id: &str) -> Vec<(Instant, String)> {
        self.state()
            .actions
            .iter()
            .filter_map(|r| match &r.action {
                OutboundAction::Post { message, text, .. } if message.id == id => {
                    Some((r.at, text.clone()))
                }
                OutboundAction::Edit { message, text } if message.id == id => {
                    Some((r.at, text.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Waits until `condition` holds for the recorded actions, or `deadline`
    /// passes (then returns false).
    pub async fn wait_until(
        &self,
        deadline: Duration,
        condition: impl Fn(&[Recorded]) -> bool,
    ) -> bool {
        let mut changes = self.changed.subscribe();
        let wait = async {
            loop {
                if condition(&self.state().actions) {
                    return;
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok() && condition(&self.state().actions)
    }

    fn check_length(&self, text: &str) -> Result<(), PlatformError> {
        let chars = text.chars().count();
        if chars > self.limits.max_message_chars {
            return Err(PlatformError::TooLong {
                chars,
                max: self.limits.max_message_chars,
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ChatPlatform for RecordingPlatform {
    fn platform(&self) -> &Platform {
        &self.platform
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    async fn post(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        text: &str,
    ) -> Result<MessageRef, PlatformError> {
        self.check_length(text)?;
        let mut s = self.state();
        if s.refused_posts > 0 {
            s.refused_posts -= 1;
            return Err(PlatformError::NotFound(place.channel.clone()));
        }
        s.next_id += 1;
        let message = MessageRef {
            place: place.clone(),
            id: format!("m{}", s.next_id),
        };
        s.texts.insert(message.id.clone(), text.to_owned());
        self.record(
            &mut s,
            OutboundAction::Post {
                message: message.clone(),
                in_reply_to: in_reply_to.map(str::to_owned),
                text: text.to_owned(),
            },
        );
        Ok(message)
    }

    async fn edit(&self, message: &MessageRef, text: &str) -> Result<(), PlatformError> {
        self.check_length(text)?;
        let mut s = self.state();
        if s.rate_limited_edits > 0 {
            s.rate_limited_edits -= 1;
            return Err(PlatformError::RateLimited {
                retry_after: s.retry_after,
            });
        }
        if !s.texts.contains_key(&message.id) {
            return Err(PlatformError::NotFound(message.id.clone()));
        }
        s.texts.insert(message.id.clone(), text.to_owned());
        self.record(
            &mut s,
            OutboundAction::Edit {
                message: message.clone(),
                text: text.to_owned(),
            },
        );
        Ok(())
    }

    async fn attach(&self, place: &Place, attachment: Attachment) -> Result<(), PlatformError> {
        let mut s = self.state();
        self.record(
            &mut s,
            OutboundAction::Attach {
                place: place.clone(),
                attachment,
            },
        );
        Ok(())
    }

    async fn show_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        let mut s = self.state();
        self.record(
            &mut s,
            OutboundAction::ShowControl {
                message: message.clone(),
                control: control.clone(),
            },
        );
        Ok(())
    }

    async fn withdraw_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        let mut s = self.state();
        self.record(
            &mut s,
            OutboundAction::WithdrawControl {
                message: message.clone(),
                control: control.clone(),
            },
        );
        Ok(())
    }

    async fn audience(&self, place: &Place) -> Result<Option<Audience>, PlatformError> {
        let mut s = self.state.lock().expect("never poisoned");
        if let Some(next) = s
            .scripted
            .get_mut(&place.channel)
            .and_then(std::collections::VecDeque::pop_front)
        {
            return Ok(Some(next));
        }
        Ok(s.audiences.get(&place.channel).cloned())
    }

    async fn reply_privately(
        &self,
        to: &PlatformIdentity,
        place: &Place,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        self.check_length(text)?;
        let mut s = self.state();
        self.record(
            &mut s,
            OutboundAction::ReplyPrivately {
                to: to.clone(),
                place: place.clone(),
                text: text.to_owned(),
                attachments,
            },
        );
        Ok(())
    }
}
