//! What the core asks of Matrix, carried out with matrix-sdk (encrypted in
//! encrypted rooms, by the SDK).
//!
//! As on Discord, every edit of one of the bot's messages goes through one
//! path per message: the newest wanted text is what is sent, one `m.replace`
//! at a time, so a 429 (the SDK waits `retry_after_ms` and sends again) can
//! delay an edit but never lose it or let an older text land after a newer
//! one. Controls are reactions the bot puts on its own message (▶️ runs
//! query 1, 2️⃣…9️⃣ the others, ⏹️ stops), taken back by redacting them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::room::reply::{EnforceThread, Reply};
use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::history_visibility::{
    HistoryVisibility, RoomHistoryVisibilityEventContent,
};
use matrix_sdk::ruma::events::room::join_rules::JoinRule;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ReplacementMetadata, ReplyWithinThread, RoomMessageEventContent,
    RoomMessageEventContentWithoutRelation, TextMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId, assign};
use matrix_sdk::{Client, Room, RoomMemberships};
use pstral_chat::latest::LatestWins;
use pstral_chat::{
    Allowance, Attachment, Audience, ChatPlatform, ControlKind, Later, Limits, MessageRef, Place,
    Platform, PlatformError, PlatformIdentity, Table,
};

/// How long a message may be. Matrix caps an event at 64 KiB, and an edit
/// carries the text twice (the fallback and `m.new_content`), in HTML too.
pub const MAX_MESSAGE_CHARS: usize = 8000;
const TRACKED_MESSAGES: usize = 2048;

/// What the bot may do on Matrix, the homeserver allowing `allowance`.
pub fn limits(allowance: Allowance) -> Limits {
    Limits {
        max_message_chars: MAX_MESSAGE_CHARS,
        // Whatever the homeserver allows, a message is edited at most once
        // a second.
        min_edit_interval: Duration::from_millis(1000),
        edit_allowance: allowance,
        buttons: false,
        command_prefix: "!",
    }
}

/// The reaction standing for a control.
pub fn reaction_key(control: &ControlKind) -> Option<String> {
    match control {
        ControlKind::Stop => Some("⏹️".to_owned()),
        ControlKind::Feedback { correct: true, .. } => Some("✅".to_owned()),
        ControlKind::Feedback { correct: false, .. } => Some("❌".to_owned()),
        ControlKind::Execute { statement: 1, .. } => Some("▶️".to_owned()),
        // Letters, so that no pick is read as an Execute of that number.
        ControlKind::Pick { number, .. } => PICKS
            .get((*number as usize).wrapping_sub(1))
            .map(|k| (*k).to_owned()),
        ControlKind::Execute { statement, .. } if (2..=9).contains(statement) => {
            Some(format!("{statement}\u{fe0f}\u{20e3}"))
        }
        _ => None,
    }
}

/// The reactions that pick reading 1, 2, 3 of a question asked back:
/// regional indicators A, B, C.
const PICKS: [&str; 3] = ["\u{1f1e6}", "\u{1f1e7}", "\u{1f1e8}"];

/// The control a reaction stands for, if any.
pub fn control_of(key: &str) -> Option<ControlKind> {
    if let Some(i) = PICKS.iter().position(|k| *k == key) {
        return Some(ControlKind::Pick {
            number: i as u32 + 1,
            reference: None,
        });
    }
    match key {
        "⏹️" | "⏹" => Some(ControlKind::Stop),
        "✅" => Some(ControlKind::Feedback {
            correct: true,
            result: None,
        }),
        "❌" => Some(ControlKind::Feedback {
            correct: false,
            result: None,
        }),
        "▶️" | "▶" => Some(ControlKind::Execute {
            statement: 1,
            reference: None,
        }),
        _ => {
            let digit = key
                .strip_suffix("\u{fe0f}\u{20e3}")
                .or_else(|| key.strip_suffix('\u{20e3}'))?;
            let statement: u32 = digit.parse().ok().filter(|n| (2..=9).contains(n))?;
            Some(ControlKind::Execute {
                statement,
                reference: None,
            })
        }
    }
}

/// A message's content: markdown (rendered to HTML by matrix-sdk), or a
/// plain body with its own HTML (query results as a real table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Markdown(String),
    Html { plain: String, html: String },
}

impl Default for Body {
    fn default() -> Self {
        Body::Markdown(String::new())
    }
}

impl Body {
    /// The event content, with an empty `m.mentions`: the bot's text
    /// (a model's "@room", say) must not notify anyone by the old
    /// body-matching rules.
    fn content(&self) -> RoomMessageEventContent {
        let mut content = match self {
            Body::Markdown(text) => match markdown_html(text) {
                Some(html) => RoomMessageEventContent::text_html(text, html),
                None => RoomMessageEventContent::text_plain(text),
            },
            Body::Html { plain, html } => RoomMessageEventContent::text_html(plain, html),
        };
        content.mentions = Some(matrix_sdk::ruma::events::Mentions::new());
        content
    }

    /// Query results: the monospace text as the plain body, and an HTML
    /// table with the same caption and rows as the formatted body.
    pub fn table(text: &str, table: &Table) -> Self {
        let mut html = format!("<p>{}</p><table><thead><tr>", escape(&table.caption));
        for column in &table.columns {
            html.push_str(&format!("<th>{}</th>", escape(column)));
        }
        html.push_str("</tr></thead><tbody>");
        for row in &table.rows {
            html.push_str("<tr>");
            for cell in row {
                html.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        Body::Html {
            plain: text.to_owned(),
            html,
        }
    }
}

/// The formatted body of a Markdown text, `None` when it has no Markdown
/// (plain text stays plain). Raw HTML in the text (a question that carries
/// `<a href=…>`, echoed in an audit line or an answer) is shown as the
/// characters it is, never rendered: the only markup in a formatted body is
/// what Markdown itself makes. Links and images are not made either: they
/// are shown as they were written (`[y](http://…)`, `![i](mxc://…)`), since
/// the text is a model's answer, a name from a statement or a value from
/// the data, never a link of the bot's own, and a link or an image in the
/// bot's message would point, in its voice, where the text hides (or load
/// what the text names). Bare URLs stay text, which clients show as they
/// are.
pub fn markdown_html(text: &str) -> Option<String> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event<'_>> = Vec::new();
    // Inside a link or image: its source is already shown whole.
    let mut within = 0usize;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                if within == 0 {
                    events.push(Event::Text(text[range].into()));
                }
                within += 1;
            }
            Event::End(TagEnd::Link | TagEnd::Image) => within -= 1,
            _ if within > 0 => {}
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::SoftBreak => events.push(Event::HardBreak),
            other => events.push(other),
        }
    }
    // One paragraph of text and line breaks is plain text: no formatted
    // body, as for any client's plain message.
    let one_paragraph = matches!(events.first(), Some(Event::Start(Tag::Paragraph)))
        && matches!(events.last(), Some(Event::End(TagEnd::Paragraph)))
        && events[1..events.len() - 1]
            .iter()
            .all(|e| matches!(e, Event::Text(_) | Event::HardBreak));
    if one_paragraph {
        let shown: String = events[1..events.len() - 1]
            .iter()
            .map(|e| match e {
                Event::Text(t) => t.to_string(),
                _ => "\n".to_owned(),
            })
            .collect();
        if shown == text.replace("\r\n", "\n") {
            return None;
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, events[1..events.len() - 1].iter().cloned());
        return Some(html);
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Some(html)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Matrix, as the core sees it.
pub struct MatrixPlatform {
    platform: Platform,
    limits: Limits,
    client: Client,
    messages: LatestWins<Body>,
    /// The reactions the bot put on its messages: (message, key) → reaction.
    reactions: Mutex<HashMap<(String, String), OwnedEventId>>,
    /// Threads the bot has written in (by root), and its own messages.
    pub(crate) mine: Mutex<Mine>,
    /// DM rooms the bot created whose invite the person has not accepted
    /// yet (matrix-sdk knows a DM only once it is joined).
    pending_dms: Mutex<HashMap<OwnedUserId, OwnedRoomId>>,
    dm_lock: tokio::sync::Mutex<()>,
}

#[derive(Default)]
pub(crate) struct Mine {
    pub threads: std::collections::HashSet<String>,
    pub messages: VecDeque<String>,
}

impl Mine {
    /// Whether the bot wrote `event` in `room`: a reply from another room
    /// naming the bot's event is not a reply to the bot here.
    pub fn wrote(&self, room: &str, event: &str) -> bool {
        self.messages
            .iter()
            .any(|m| m.split_once('|') == Some((room, event)))
    }
}

impl MatrixPlatform {
    pub fn new(client: Client, allowance: Allowance) -> Self {
        Self {
            platform: "matrix".parse().expect("a valid platform name"),
            limits: limits(allowance),
            client,
            messages: LatestWins::new(TRACKED_MESSAGES),
            reactions: Mutex::new(HashMap::new()),
            mine: Mutex::new(Mine::default()),
            pending_dms: Mutex::default(),
            dm_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The logged-in client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    fn room(&self, place: &Place) -> Result<Room, PlatformError> {
        let id: OwnedRoomId = place.channel.parse().map_err(|_| {
            PlatformError::NotFound(format!("{:?} is not a room id", place.channel))
        })?;
        self.client
            .get_room(&id)
            .ok_or_else(|| PlatformError::NotFound(format!("the bot is not in {id}")))
    }

    fn remember(&self, place: &Place, event: &OwnedEventId) {
        let mut mine = self.mine.lock().expect("never poisoned");
        mine.messages
            .push_back(format!("{}|{event}", place.channel));
        while mine.messages.len() > TRACKED_MESSAGES {
            mine.messages.pop_front();
        }
        if let Some(root) = &place.thread {
            if mine.threads.len() >= TRACKED_MESSAGES {
                mine.threads.clear();
            }
            mine.threads.insert(root.clone());
        }
    }

    /// A message in `room`: a reply to `in_reply_to` (in its thread, if it
    /// is in one), or in `thread`, or plain.
    async fn compose(
        &self,
        room: &Room,
        place: &Place,
        in_reply_to: Option<&str>,
        content: RoomMessageEventContentWithoutRelation,
    ) -> Result<RoomMessageEventContent, PlatformError> {
        let (target, enforce) = match (in_reply_to, &place.thread) {
            (Some(parent), _) => (parent, EnforceThread::MaybeThreaded),
            (None, Some(root)) => (
                root.as_str(),
                EnforceThread::Threaded(ReplyWithinThread::No),
            ),
            (None, None) => return Ok(content.with_relation(None)),
        };
        let event_id: OwnedEventId = target
            .parse()
            .map_err(|_| PlatformError::NotFound(format!("{target:?} is not an event id")))?;
        let reply = Reply {
            event_id,
            enforce_thread: enforce,
            add_mentions: AddMentions::No,
        };
        match room.make_reply_event(content.clone(), reply).await {
            Ok(c) => Ok(c),
            // The message replied to cannot be read (redacted, too old for
            // the cache): the answer goes in the room, not nowhere.
            Err(e) => {
                tracing::warn!(error = %e, "cannot reply to a message; posting plainly");
                Ok(content.with_relation(None))
            }
        }
    }

    async fn post_body(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        body: Body,
    ) -> Result<MessageRef, PlatformError> {
        let room = self.room(place)?;
        let content = self
            .compose(&room, place, in_reply_to, body.content().into())
            .await?;
        let sent = room.send(content).await.map_err(map_error)?;
        let id = sent.response.event_id;
        self.remember(place, &id);
        self.messages.posted(id.as_str(), body);
        Ok(MessageRef {
            place: place.clone(),
            id: id.to_string(),
        })
    }

    /// Brings a message to `body` (or to a newer body another caller asked
    /// for meanwhile), one replacement at a time.
    async fn edit_body(&self, message: &MessageRef, body: Body) -> Result<(), PlatformError> {
        let room = self.room(&message.place)?;
        let original: OwnedEventId = message
            .id
            .parse()
            .map_err(|_| PlatformError::NotFound(format!("{:?} is not an event id", message.id)))?;
        self.messages
            .change(
                &message.id,
                |wanted| *wanted = body,
                |latest| async move {
                    let content = latest
                        .content()
                        .make_replacement(ReplacementMetadata::new(original, None));
                    room.send(content).await.map(|_| ()).map_err(map_error)
                },
            )
            .await
    }

    async fn send_files(
        &self,
        room: &Room,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        for a in attachments {
            let mime: mime::Mime = a
                .media_type
                .parse()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM);
            let config = match a.image {
                Some(image) => image_config(image, a.bytes.len()),
                None => AttachmentConfig::new(),
            };
            room.send_attachment(a.file_name, &mime, a.bytes, config)
                .await
                .map_err(map_error)?;
        }
        Ok(())
    }

    /// The DM room with a user: one the bot made itself and that only the
    /// two of them can read now ([`only_for`]: joined, or the person
    /// invited and not yet joined), or a new one, encrypted, whose history
    /// shows to its members only from their invite. Never a room someone
    /// else made and flagged as direct: whoever made it may have opened it
    /// to others. One room per person: a stranger reacting to every control
    /// must not make the bot open a room each time.
    async fn dm_with(&self, user: &PlatformIdentity) -> Result<Room, PlatformError> {
        let user: OwnedUserId = user
            .id()
            .parse()
            .map_err(|_| PlatformError::NotFound(format!("{user} is not a Matrix user")))?;
        // Serialised: two private replies at once must find the same room.
        let _one_at_a_time = self.dm_lock.lock().await;
        let me = self.client.user_id().map(ToOwned::to_owned);
        let pending = self
            .pending_dms
            .lock()
            .expect("never poisoned")
            .get(&user)
            .cloned();
        // The one made and not yet joined by the person: the bot's own by
        // record (its state may not have come back from a sync yet), as
        // long as nobody else is in it.
        if let Some(room) = pending.and_then(|id| self.client.get_room(&id))
            && members_only(&room, &user, false).await
        {
            return Ok(room);
        }
        for room in self.client.get_dm_rooms(&user) {
            // The first creator is the one who made it (a trusted private
            // chat also lists the person invited).
            let made_by_me = room
                .creators()
                .is_some_and(|c| me.is_some() && c.first() == me.as_ref());
            if made_by_me && only_for(&room, &user).await {
                return Ok(room);
            }
        }
        let request = assign!(CreateRoomRequest::new(), {
            invite: vec![user.clone()],
            is_direct: true,
            preset: Some(RoomPreset::TrustedPrivateChat),
            initial_state: vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
                InitialStateEvent::with_empty_state_key(RoomHistoryVisibilityEventContent::new(
                    HistoryVisibility::Invited,
                ))
                .to_raw_any(),
            ],
        });
        let room = self.client.create_room(request).await.map_err(map_error)?;
        let mut pending = self.pending_dms.lock().expect("never poisoned");
        if pending.len() >= TRACKED_MESSAGES {
            pending.clear();
        }
        pending.insert(user, room.room_id().to_owned());
        Ok(room)
    }
}

/// Whether only the bot and `person` can read `room` now: made by one of
/// them (never a room a third account set up and left), joined only by
/// invite, its history not readable by anyone outside, and nobody but the
/// two of them joined or invited. Read at the moment it matters, from the
/// room's current state: a room can be opened to others at any time.
pub(crate) async fn only_for(room: &Room, person: &UserId) -> bool {
    let me = room.own_user_id();
    let ours = room
        .creators()
        .is_some_and(|c| !c.is_empty() && c.iter().all(|u| u == me || u == person));
    let closed = matches!(room.join_rule(), Some(JoinRule::Invite));
    let unread = !matches!(
        room.history_visibility_or_default(),
        HistoryVisibility::WorldReadable
    );
    ours && closed && unread && members_only(room, person, true).await
}

/// Whether nobody but the bot and `person` is joined or invited (and, when
/// `with_person`, the person is).
async fn members_only(room: &Room, person: &UserId, with_person: bool) -> bool {
    let me = room.own_user_id();
    match room
        .members(RoomMemberships::JOIN | RoomMemberships::INVITE)
        .await
    {
        Ok(members) => {
            (!with_person || members.iter().any(|m| m.user_id() == person))
                && members
                    .iter()
                    .all(|m| m.user_id() == me || m.user_id() == person)
        }
        Err(e) => {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot read a room's members; taken as shared");
            false
        }
    }
}

fn check_length(text: &str) -> Result<(), PlatformError> {
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(PlatformError::TooLong {
            chars,
            max: MAX_MESSAGE_CHARS,
        });
    }
    Ok(())
}

pub fn map_error(e: matrix_sdk::Error) -> PlatformError {
    use matrix_sdk::ruma::api::error::ErrorKind;
    if let Some(ErrorKind::LimitExceeded(data)) = e.client_api_error_kind() {
        let retry_after = match &data.retry_after {
            Some(matrix_sdk::ruma::api::error::RetryAfter::Delay(d)) => *d,
            _ => Duration::from_secs(1),
        };
        return PlatformError::RateLimited { retry_after };
    }
    if let Some(ErrorKind::NotFound) = e.client_api_error_kind() {
        return PlatformError::NotFound(e.to_string());
    }
    PlatformError::Other(Box::new(e))
}

#[async_trait::async_trait]
impl ChatPlatform for MatrixPlatform {
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
        body: &str,
    ) -> Result<MessageRef, PlatformError> {
        check_length(body)?;
        self.post_body(place, in_reply_to, Body::Markdown(body.to_owned()))
            .await
    }

    async fn edit(&self, message: &MessageRef, body: &str) -> Result<(), PlatformError> {
        check_length(body)?;
        self.edit_body(message, Body::Markdown(body.to_owned()))
            .await
    }

    async fn post_table(
        &self,
        place: &Place,
        in_reply_to: Option<&str>,
        text: &str,
        table: &Table,
    ) -> Result<MessageRef, PlatformError> {
        check_length(text)?;
        self.post_body(place, in_reply_to, Body::table(text, table))
            .await
    }

    async fn edit_table(
        &self,
        message: &MessageRef,
        text: &str,
        table: &Table,
    ) -> Result<(), PlatformError> {
        check_length(text)?;
        self.edit_body(message, Body::table(text, table)).await
    }

    async fn attach(&self, place: &Place, attachment: Attachment) -> Result<(), PlatformError> {
        let room = self.room(place)?;
        self.send_files(&room, vec![attachment]).await
    }

    async fn show_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        let Some(key) = reaction_key(control) else {
            return Ok(());
        };
        let room = self.room(&message.place)?;
        let target: OwnedEventId = message
            .id
            .parse()
            .map_err(|_| PlatformError::NotFound(format!("{:?} is not an event id", message.id)))?;
        let reaction = ReactionEventContent::new(Annotation::new(target, key.clone()));
        let sent = room.send(reaction).await.map_err(map_error)?;
        let mut reactions = self.reactions.lock().expect("never poisoned");
        // Execute reactions stay on their message for good: forget the
        // oldest ones rather than grow without end (a forgotten one is
        // simply never taken back).
        if reactions.len() >= TRACKED_MESSAGES {
            reactions.clear();
        }
        reactions.insert((message.id.clone(), key), sent.response.event_id);
        Ok(())
    }

    async fn withdraw_control(
        &self,
        message: &MessageRef,
        control: &ControlKind,
    ) -> Result<(), PlatformError> {
        let Some(key) = reaction_key(control) else {
            return Ok(());
        };
        let reaction = self
            .reactions
            .lock()
            .expect("never poisoned")
            .remove(&(message.id.clone(), key));
        if let Some(reaction) = reaction {
            let room = self.room(&message.place)?;
            room.redact(&reaction, None, None)
                .await
                .map_err(|e| PlatformError::Other(Box::new(e)))?;
        }
        Ok(())
    }

    /// Read from the homeserver at each call (the room's state as it
    /// holds it now, not the bot's synced copy, which lags a join by a
    /// sync): the joined and invited members, and whether the room's
    /// history lets people who come later read back what is posted now.
    async fn audience(&self, place: &Place) -> Result<Option<Audience>, PlatformError> {
        use matrix_sdk::ruma::api::client::state::get_state_events::v3::Request;
        let room = self.room(place)?;
        let state = self
            .client
            .send(Request::new(room.room_id().to_owned()))
            .await
            .map_err(|e| map_error(e.into()))?;
        let events: Vec<serde_json::Value> = state
            .room_state
            .iter()
            .map(|raw| serde_json::from_str(raw.json().get()))
            .collect::<Result<_, _>>()
            .map_err(|e| PlatformError::Other(Box::new(e)))?;
        // A state this cannot read is an error, never "nobody": a private
        // place the platform cannot list counts as the asker's alone.
        audience_of(&events, room.own_user_id())
            .map(Some)
            .ok_or_else(|| {
                PlatformError::Other(
                    format!(
                        "the state of {} holds a membership this cannot read",
                        room.room_id()
                    )
                    .into(),
                )
            })
    }

    async fn reply_privately(
        &self,
        to: &PlatformIdentity,
        place: &Place,
        body: &str,
        attachments: Vec<Attachment>,
    ) -> Result<(), PlatformError> {
        check_length(body)?;
        // Where the person asked, if that is still theirs alone now, at
        // the moment of sending; otherwise the bot's own DM with them.
        // Its members as the homeserver holds them now, not the synced
        // copy: someone invited a moment ago is a reader already.
        let here = match (place.private, to.id().parse::<OwnedUserId>()) {
            (true, Ok(person)) => match self.room(place) {
                Ok(room)
                    if only_for(&room, &person).await
                        && self.audience(place).await.is_ok_and(|a| {
                            a.is_some_and(|a| a.readers.iter().all(|r| r == to))
                        }) =>
                {
                    Some(room)
                }
                _ => None,
            },
            _ => None,
        };
        let room = match here {
            Some(room) => room,
            None => self.dm_with(to).await?,
        };
        room.send(Body::Markdown(body.to_owned()).content())
            .await
            .map_err(map_error)?;
        self.send_files(&room, attachments).await
    }
}

/// Who reads a room, from its state events (`GET /rooms/{id}/state`), the
/// bot (`me`) left out: its joined and invited members (an invited person
/// reads the room once they accept, history included), and later readers
/// when its history visibility is `shared` (every member, whenever they
/// joined, reads all of it: Synapse's default for a `private_chat`) or
/// `world_readable` (anyone, without joining). `invited` and `joined`
/// history shows a newcomer only what follows their invite or join, which a
/// read just before each post sees. `None` when anything in it cannot be
/// read as such (a membership or an id the spec does not know): the
/// audience is then unknown.
fn audience_of(state: &[serde_json::Value], me: &UserId) -> Option<Audience> {
    let mut readers = Vec::new();
    // The spec's default when the room has no such event.
    let mut later = Later::Open;
    for event in state {
        let content = &event["content"];
        match event["type"].as_str() {
            // Only the room's own setting: a state event of this type
            // under another key is anyone's to send, and means nothing.
            Some("m.room.history_visibility") if event["state_key"].as_str() == Some("") => {
                later = match content["history_visibility"].as_str() {
                    Some("joined" | "invited") => Later::Closed,
                    // `shared`, `world_readable`, or a value this does not
                    // know: counted as the widest.
                    _ => Later::Open,
                };
            }
            Some("m.room.member") => {
                let user = event["state_key"].as_str()?;
                match content["membership"].as_str()? {
                    "join" | "invite" => {}
                    "leave" | "ban" | "knock" => continue,
                    _ => return None,
                }
                if user == me.as_str() {
                    continue;
                }
                let user = <&UserId>::try_from(user).ok()?;
                readers.push(crate::events::identity_of(user)?);
            }
            _ => {}
        }
    }
    Some(Audience { readers, later })
}

/// How an image is sent: an `m.image` with its width, height and size, its
/// description as the caption (what a client shows and reads out beside
/// it), and its thumbnail; matrix-sdk encrypts all of it in an encrypted
/// room.
fn image_config(image: pstral_chat::Image, size: usize) -> AttachmentConfig {
    use matrix_sdk::attachment::{AttachmentInfo, BaseImageInfo, Thumbnail};
    use matrix_sdk::ruma::UInt;
    let uint = |n: usize| UInt::try_from(n as u64).ok();
    let thumbnail = image.thumbnail.and_then(|t| {
        Some(Thumbnail {
            size: uint(t.bytes.len())?,
            data: t.bytes,
            content_type: mime::IMAGE_PNG,
            height: UInt::from(t.height),
            width: UInt::from(t.width),
        })
    });
    AttachmentConfig::new()
        .info(AttachmentInfo::Image(BaseImageInfo {
            height: Some(UInt::from(image.height)),
            width: Some(UInt::from(image.width)),
            size: uint(size),
            blurhash: None,
            is_animated: Some(false),
        }))
        .thumbnail(thumbnail)
        .caption(Some(TextMessageEventContent::plain(image.description)))
        // Data in a caption (a label `@room`, a name) notifies no one.
        .mentions(Some(matrix_sdk::ruma::events::Mentions::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_in_a_text_is_shown_never_rendered() {
        let forged = "<b>2026-11-23 admin</b> <a href=\"https://evil.example\">verify</a>";
        let html = markdown_html(&format!("**Audit**\n\n{forged}")).unwrap();
        assert!(!html.contains("<a "), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;a href="), "{html}");
        assert!(html.contains("<strong>Audit</strong>"), "{html}");
        // Plain text stays plain; code keeps its comparisons.
        assert_eq!(markdown_html("just words\non two lines"), None);
        let code = markdown_html("```sql\nSELECT 1 WHERE a < b\n```").unwrap();
        assert!(
            code.contains("a &lt; b") && code.contains("<pre>"),
            "{code}"
        );
    }

    #[test]
    fn a_rooms_readers_and_later_readers_are_read_from_its_state() {
        use serde_json::json;
        let me = <&UserId>::try_from("@bot:example.org").unwrap();
        let member = |who: &str, membership: &str| json!({"type": "m.room.member", "state_key": who, "content": {"membership": membership}});
        let history = |key: &str, value: &str| json!({"type": "m.room.history_visibility", "state_key": key, "content": {"history_visibility": value}});
        let state = vec![
            member("@bot:example.org", "join"),
            member("@ana:example.org", "join"),
            member("@bob:example.org", "invite"),
            member("@carl:example.org", "leave"),
            history("", "joined"),
        ];
        let audience = audience_of(&state, me).unwrap();
        let names: Vec<String> = audience.readers.iter().map(|r| r.id().to_owned()).collect();
        assert_eq!(names, ["@ana:example.org", "@bob:example.org"]);
        assert_eq!(audience.later, Later::Closed);
        // Shared history: later members read it; a look-alike setting under
        // another key changes nothing.
        let mut shared = state.clone();
        shared[4] = history("", "shared");
        shared.push(history("x", "joined"));
        assert_eq!(audience_of(&shared, me).unwrap().later, Later::Open);
        // No setting at all is the spec's default, shared.
        assert_eq!(audience_of(&state[..4], me).unwrap().later, Later::Open);
        // A membership this cannot read: unknown, never "nobody".
        let mut odd = state.clone();
        odd.push(member("@dan:example.org", "unheard-of"));
        assert_eq!(audience_of(&odd, me), None);
    }

    #[test]
    fn links_and_images_are_shown_as_written_never_made() {
        let answer = "**Revenue**\n\nSee ![i](mxc://evil/x) and [y](http://127.0.0.1:9/evil) or \
                      <https://evil.example>.\n\n```sql\nSELECT 1\n```";
        let html = markdown_html(answer).unwrap();
        assert!(!html.contains("<a") && !html.contains("<img"), "{html}");
        assert!(html.contains("![i](mxc://evil/x)"), "{html}");
        assert!(html.contains("[y](http://127.0.0.1:9/evil)"), "{html}");
        assert!(html.contains("&lt;https://evil.example&gt;"), "{html}");
        assert!(html.contains("<strong>Revenue</strong>"), "{html}");
        // A link alone in a line is plain text, and so is its body.
        assert_eq!(markdown_html("[y](http://127.0.0.1:9/evil)"), None);
        // A link whose text has markup is shown whole, once.
        let nested = markdown_html("a [**b** `c`](http://d) e\n\nf").unwrap();
        assert!(nested.contains("[**b** `c`](http://d)"), "{nested}");
        assert!(!nested.contains("<strong>"), "{nested}");
    }

    #[test]
    fn each_control_has_a_reaction_that_reads_back_as_it() {
        for control in [
            ControlKind::Stop,
            ControlKind::Execute {
                statement: 1,
                reference: None,
            },
            ControlKind::Execute {
                statement: 7,
                reference: None,
            },
            ControlKind::Pick {
                number: 2,
                reference: None,
            },
            ControlKind::Feedback {
                correct: true,
                result: None,
            },
            ControlKind::Feedback {
                correct: false,
                result: None,
            },
        ] {
            let key = reaction_key(&control).unwrap();
            assert_eq!(control_of(&key), Some(control));
        }
        // Only the bot's own keys: a 👍 anywhere is not a verdict.
        assert_eq!(control_of("🎉"), None);
        assert_eq!(control_of("👍"), None);
        assert_eq!(control_of("1\u{fe0f}\u{20e3}"), None, "query 1 is ▶️");
    }

    #[test]
    fn results_are_an_html_table_beside_the_monospace_text() {
        let table = Table {
            caption: "2 rows:".into(),
            columns: vec!["company".into(), "city".into()],
            rows: vec![
                vec!["Dupont & Fils".into(), "Lyon".into()],
                vec!["<script>".into(), "NULL".into()],
            ],
        };
        let Body::Html { plain, html } = Body::table("2 rows:\n```text\n…```", &table) else {
            panic!()
        };
        assert!(plain.starts_with("2 rows:"));
        assert_eq!(
            html,
            "<p>2 rows:</p><table><thead><tr><th>company</th><th>city</th></tr></thead><tbody>\
             <tr><td>Dupont &amp; Fils</td><td>Lyon</td></tr><tr><td>&lt;script&gt;</td><td>NULL</td></tr>\
             </tbody></table>"
        );
    }
}
