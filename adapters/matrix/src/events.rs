//! What the homeserver sends, turned into the contract's events: invites
//! accepted (or not) and rooms joined, messages that mention or answer the
//! bot, reactions, redactions, and messages it could not decrypt.

use super::*;

pub(crate) fn register(client: &Client, shared: &Arc<Shared>) {
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let tracker = s.tracker.clone();
            tracker.spawn(async move { s.message(ev, room).await });
        }
    });
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let tracker = s.tracker.clone();
            tracker.spawn(async move { s.reaction(ev, room).await });
        }
    });
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            if ev.state_key == s.me && ev.content.membership == MembershipState::Invite {
                s.invited(room, &ev.sender, ev.content.is_direct == Some(true))
                    .await;
            }
        }
    });
    // Someone left or was removed: a room with no one else in it (or
    // invited) is left, so that it does not hold a place under the cap.
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncRoomMemberEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let gone = matches!(
                ev.content.membership,
                MembershipState::Leave | MembershipState::Ban
            );
            if gone && ev.state_key != s.me {
                let tracker = s.tracker.clone();
                tracker.spawn(async move { s.leave_if_alone(&room).await });
            }
        }
    });
    // A redaction: what the message said is forgotten.
    let s = Arc::clone(shared);
    client.add_event_handler(move |ev: OriginalSyncRoomRedactionEvent, room: Room| {
        let s = Arc::clone(&s);
        async move {
            let Some(redacted) = ev.redacts.clone().or_else(|| ev.content.redacts.clone()) else {
                return;
            };
            let place = s.place(&room, &ev.sender, None).await;
            let event = InboundEvent::Withdrawn {
                by: identity_of(&ev.sender),
                message: MessageRef {
                    place,
                    id: redacted.to_string(),
                },
            };
            s.handle(event).await;
        }
    });
    let s = Arc::clone(shared);
    client.add_event_handler(
        move |ev: OriginalSyncRoomEncryptedEvent,
              room: Room,
              raw: matrix_sdk::event_handler::RawEvent| {
            let s = Arc::clone(&s);
            async move {
                let tracker = s.tracker.clone();
                tracker.spawn(async move { s.undecryptable(ev, room, raw).await });
            }
        },
    );
}

/// Whether the invite (the invitee's member event) said `is_direct`.
pub(crate) fn invited_as_direct(invitee: &matrix_sdk::room::RoomMember) -> bool {
    use matrix_sdk::deserialized_responses::MemberEvent;
    let is_direct = match &**invitee.event() {
        MemberEvent::Sync(e) => e.as_original().and_then(|e| e.content.is_direct),
        MemberEvent::Stripped(e) => e.content.is_direct,
    };
    is_direct == Some(true)
}

/// How many times an accepted invite is tried (0.5, 1, 2 and 4 s apart)
/// before it is declined as dead.
const JOIN_ATTEMPTS: u32 = 5;

/// How long after a note on an undecryptable message from someone the bot
/// stays quiet about more from them (forged encrypted events cost a
/// message each otherwise).
const UNREADABLE_NOTE_EVERY: Duration = Duration::from_secs(10 * 60);

fn matrix() -> Platform {
    "matrix".parse().expect("a valid platform name")
}

pub(crate) fn identity_of(user: &UserId) -> Option<PlatformIdentity> {
    PlatformIdentity::new(matrix(), user.as_str()).ok()
}

impl Shared {
    /// An invite, as it arrives or as the first sync finds it waiting:
    /// joined when its sender may invite the bot and the bot is below its
    /// cap on rooms, in all and for this inviter; declined otherwise, with
    /// the reason for a cap (the inviter's client shows it).
    pub(crate) async fn invited(self: &Arc<Self>, room: Room, inviter: &UserId, direct: bool) {
        use std::sync::atomic::Ordering;
        if !self.may_invite(inviter) {
            tracing::warn!(from = %inviter, room = %room.room_id(), "an invite from someone not allowed; declined");
            let _ = room.leave().await;
            return;
        }
        let admitting = self.admitting.lock().await;
        let rooms = self.platform.client().joined_rooms().len();
        let joining = self.joining.fetch_add(1, Ordering::SeqCst);
        if rooms + joining >= self.config.max_rooms {
            self.joining.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(from = %inviter, room = %room.room_id(), max = self.config.max_rooms, "an invite past the bot's cap on rooms; declined");
            self.decline(&room, self.config.max_rooms, false).await;
            return;
        }
        let theirs = self.rooms_invited_by(inviter, room.room_id()).await;
        if theirs >= self.config.max_rooms_per_inviter {
            self.joining.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(from = %inviter, room = %room.room_id(), max = self.config.max_rooms_per_inviter, "an invite past the inviter's cap on rooms; declined");
            self.decline(&room, self.config.max_rooms_per_inviter, true)
                .await;
            return;
        }
        self.record_inviter(&room, inviter).await;
        drop(admitting);
        if direct {
            self.direct
                .lock()
                .expect("never poisoned")
                .insert(room.room_id().to_string());
        }
        let shared = Arc::clone(self);
        self.tracker.spawn(async move {
            shared.join(room).await;
            shared.joining.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Joins a room, retrying a few times over some seconds: the invite may
    /// arrive before the room is ready. An invite the server keeps refusing
    /// (the room is gone, or the bot was banned meanwhile) is declined, so
    /// that it is not tried again at every start; one that could not be
    /// tried (the server unreachable) stays for the next start.
    async fn join(&self, room: Room) {
        let mut wait = Duration::from_millis(500);
        let mut refused = false;
        for attempt in 1..=JOIN_ATTEMPTS {
            match room.join().await {
                Ok(()) => {
                    tracing::info!(room = %room.room_id(), "joined");
                    return;
                }
                Err(e) => {
                    // A rate limit is the server asking for patience, not
                    // a refusal of this room.
                    refused = e.as_client_api_error().is_some_and(|api| {
                        api.status_code.is_client_error() && api.status_code.as_u16() != 429
                    });
                    tracing::warn!(room = %room.room_id(), error = %e, attempt, "cannot join yet");
                    if attempt < JOIN_ATTEMPTS {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                }
            }
        }
        if !refused {
            tracing::warn!(room = %room.room_id(), "cannot join; the invite is kept for the next start");
            return;
        }
        tracing::warn!(room = %room.room_id(), "an invite the server keeps refusing; declined");
        if let Err(e) = room.leave().await {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot decline a dead invite");
        }
    }

    /// The key under which the bot's store keeps who invited it to a room.
    fn inviter_key(room: &RoomId) -> Vec<u8> {
        format!("pstral.inviter.{room}").into_bytes()
    }

    /// Keeps who invited the bot to `room`, in the bot's own store, so that
    /// the count per inviter holds across restarts.
    async fn record_inviter(&self, room: &Room, inviter: &UserId) {
        let store = self.platform.client().state_store();
        let key = Self::inviter_key(room.room_id());
        if let Err(e) = store
            .set_custom_value_no_read(&key, inviter.as_bytes().to_vec())
            .await
        {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot record who invited the bot");
        }
    }

    /// How many rooms the bot is in, or joining, that `inviter` invited it
    /// to (`except` aside: the invite being weighed).
    async fn rooms_invited_by(&self, inviter: &UserId, except: &RoomId) -> usize {
        let client = self.platform.client();
        let store = client.state_store();
        let mut count = 0;
        for room in client.rooms() {
            if room.room_id() == except
                || !matches!(room.state(), RoomState::Joined | RoomState::Invited)
            {
                continue;
            }
            let recorded = store
                .get_custom_value(&Self::inviter_key(room.room_id()))
                .await
                .ok()
                .flatten();
            if recorded.as_deref() == Some(inviter.as_bytes()) {
                count += 1;
            }
        }
        count
    }

    /// Leaves `room` when no one but the bot is in it or invited to it, as
    /// the homeserver holds it now: nobody can ask anything there, and it
    /// would keep a place under `matrix.max_rooms` for ever.
    pub(crate) async fn leave_if_alone(&self, room: &Room) {
        if room.state() != RoomState::Joined {
            return;
        }
        let place = Place {
            platform: matrix(),
            channel: room.room_id().to_string(),
            thread: None,
            private: false,
        };
        match pstral_chat::ChatPlatform::audience(self.platform.as_ref(), &place).await {
            Ok(Some(audience)) if audience.readers.is_empty() => {
                tracing::info!(room = %room.room_id(), "everyone else left a room: leaving it");
                if let Err(e) = room.leave().await {
                    tracing::warn!(room = %room.room_id(), error = %e, "cannot leave a room everyone else left");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(room = %room.room_id(), error = %e, "cannot tell whether a room is empty")
            }
        }
    }

    /// Declines an invite past a cap of `rooms`, saying why: the reason is
    /// on the bot's leave event, which the inviter's client shows.
    async fn decline(&self, room: &Room, rooms: usize, per_inviter: bool) {
        use matrix_sdk::ruma::api::client::membership::leave_room::v3::Request;
        let reason = self
            .config
            .labels
            .label(pstral_chat::Label::RoomCapReached { rooms, per_inviter });
        let mut request = Request::new(room.room_id().to_owned());
        request.reason = Some(reason);
        if let Err(e) = self.platform.client().send(request).await {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot decline an invite with its reason");
            let _ = room.leave().await;
        }
    }

    fn may_invite(&self, inviter: &UserId) -> bool {
        if self.config.invites_from.is_empty() {
            return inviter.server_name() == self.me.server_name();
        }
        self.config
            .invites_from
            .iter()
            .any(|allowed| allowed == inviter.as_str() || allowed == inviter.server_name().as_str())
    }

    /// A room is a private conversation with `person` when it is marked
    /// direct (by the invite or `m.direct`) *and*, now, only the bot and
    /// that person can read it ([`platform::only_for`]): whoever invites
    /// sets the flag, a DM can grow, and a room can be opened to others.
    async fn is_private(&self, room: &Room, person: &UserId) -> bool {
        let marked = self
            .direct
            .lock()
            .expect("never poisoned")
            .contains(room.room_id().as_str())
            || room.is_direct().await.unwrap_or(false);
        marked && platform::only_for(room, person).await
    }

    async fn place(&self, room: &Room, person: &UserId, thread: Option<String>) -> Place {
        Place {
            platform: matrix(),
            channel: room.room_id().to_string(),
            thread,
            private: self.is_private(room, person).await,
        }
    }

    /// Whether a message names the bot: `m.mentions` when the client sent
    /// it (it says exactly whom the message mentions, so a display name in
    /// the text that reads like the bot's does not count), else by hand in
    /// the body (display name, user id) or a pill link, for older clients.
    fn mentions_me(&self, content: &RoomMessageEventContent, body: &str) -> bool {
        if let Some(mentions) = &content.mentions {
            return mentions.user_ids.contains(&self.me);
        }
        let lower = body.to_lowercase();
        let by_name = self
            .name
            .get()
            .is_some_and(|n| !n.is_empty() && lower.contains(&n.to_lowercase()));
        let by_id = lower.contains(&self.me.as_str().to_lowercase());
        let pill = match &content.msgtype {
            MessageType::Text(t) => t
                .formatted
                .as_ref()
                .is_some_and(|f| f.body.contains(&format!("matrix.to/#/{}", self.me))),
            _ => false,
        };
        by_name || by_id || pill
    }

    /// The body without the mention of the bot and without the reply
    /// fallback some clients still send.
    fn question(&self, body: &str) -> String {
        let mut text: String = body
            .lines()
            .skip_while(|l| l.starts_with("> "))
            .collect::<Vec<_>>()
            .join("\n");
        for name in [Some(self.me.as_str()), self.name.get().map(String::as_str)]
            .into_iter()
            .flatten()
        {
            for form in [
                format!("{name}: "),
                format!("{name}:"),
                format!("{name} "),
                name.to_owned(),
            ] {
                if let Some(rest) = text.strip_prefix(&form) {
                    text = rest.to_owned();
                }
            }
        }
        text.trim().to_owned()
    }

    async fn replies_to_me(&self, room: &Room, parent: &str) -> bool {
        if self
            .platform
            .mine
            .lock()
            .expect("never poisoned")
            .wrote(room.room_id().as_str(), parent)
        {
            return true;
        }
        // Written before a restart: ask the room.
        let Ok(id) = parent.parse::<matrix_sdk::ruma::OwnedEventId>() else {
            return false;
        };
        match room.event(&id, None).await {
            Ok(event) => event
                .raw()
                .get_field::<String>("sender")
                .ok()
                .flatten()
                .is_some_and(|s| s == self.me.as_str()),
            Err(_) => false,
        }
    }

    async fn message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) {
        if ev.sender == self.me || room.state() != RoomState::Joined {
            return;
        }
        let Some(author) = identity_of(&ev.sender) else {
            return;
        };
        let (thread, in_reply_to) = match &ev.content.relates_to {
            Some(Relation::Thread(t)) => (
                Some(t.event_id.to_string()),
                t.in_reply_to
                    .as_ref()
                    .filter(|_| !t.is_falling_back)
                    .map(|r| r.event_id.to_string()),
            ),
            Some(Relation::Reply(r)) => (None, Some(r.in_reply_to.event_id.to_string())),
            _ => (None, None),
        };
        let place = self.place(&room, &ev.sender, thread.clone()).await;
        let message = MessageRef {
            place: place.clone(),
            id: ev.event_id.to_string(),
        };
        // Said before the bot was in the room (the history a join brings):
        // not for the bot, whatever it says. An edit of a question is not a
        // new question; a notice, an emote or a file is never one.
        let question_like = matches!(&ev.content.msgtype, MessageType::Text(_))
            && !matches!(ev.content.relates_to, Some(Relation::Replacement(_)));
        if !question_like || self.before_i_joined(&room, ev.origin_server_ts).await {
            return;
        }
        let body = ev.content.msgtype.body().to_owned();
        if let Some(command) = commands::parse(&body) {
            let event = InboundEvent::Command {
                author,
                place,
                message: Some(message.id),
                in_reply_to: in_reply_to.clone(),
                command,
            };
            self.handle(event).await;
            return;
        }
        let in_my_thread = thread.as_ref().is_some_and(|root| {
            self.platform
                .mine
                .lock()
                .expect("never poisoned")
                .threads
                .contains(root)
        });
        let addressed = place.private
            || self.mentions_me(&ev.content, &body)
            || in_my_thread
            || match &in_reply_to {
                Some(parent) => self.replies_to_me(&room, parent).await,
                None => false,
            };
        if !addressed {
            return;
        }
        let question = self.question(&body);
        let event = if question.is_empty() {
            InboundEvent::Command {
                in_reply_to: None,
                author,
                place,
                message: Some(message.id),
                command: pstral_chat::Command::Help,
            }
        } else {
            InboundEvent::Message {
                author,
                message,
                in_reply_to,
                text: question,
            }
        };
        self.handle(event).await;
    }

    /// Whether an event is older than the bot's own join of the room:
    /// history the join brought, said before the bot could be asked. The
    /// join is read from the store, else from the server; when neither
    /// knows it yet (the sync that joins is still being stored), the event
    /// came with the join, so it is taken as older.
    async fn before_i_joined(
        &self,
        room: &Room,
        at: matrix_sdk::ruma::MilliSecondsSinceUnixEpoch,
    ) -> bool {
        let joined_at = |member: Option<matrix_sdk::room::RoomMember>| {
            member.and_then(|m| {
                (*m.membership() == MembershipState::Join)
                    .then(|| m.event().origin_server_ts())
                    .flatten()
            })
        };
        let mut joined = joined_at(room.get_member_no_sync(&self.me).await.ok().flatten());
        if joined.is_none() {
            joined = joined_at(room.get_member(&self.me).await.ok().flatten());
        }
        joined.is_none_or(|joined| at < joined)
    }

    async fn reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        if ev.sender == self.me {
            return;
        }
        let Some(control) = platform::control_of(&ev.content.relates_to.key) else {
            return;
        };
        let target = ev.content.relates_to.event_id.to_string();
        if !self.replies_to_me(&room, &target).await {
            return;
        }
        let Some(actor) = identity_of(&ev.sender) else {
            return;
        };
        let place = self.place(&room, &ev.sender, None).await;
        let event = InboundEvent::Control {
            actor,
            message: MessageRef { place, id: target },
            control,
            event: Some(ev.event_id.to_string()),
        };
        self.handle(event).await;
    }

    /// A message the bot cannot read gets a note, after a last try: the
    /// keys may arrive a moment after the message.
    async fn undecryptable(
        &self,
        ev: OriginalSyncRoomEncryptedEvent,
        room: Room,
        raw: matrix_sdk::event_handler::RawEvent,
    ) {
        if ev.sender == self.me {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let raw: matrix_sdk::ruma::serde::Raw<OriginalSyncRoomEncryptedEvent> =
            matrix_sdk::ruma::serde::Raw::from_json(raw.0);
        if let Ok(event) = room.decrypt_event(&raw, None).await
            && !matches!(
                event.kind,
                matrix_sdk::deserialized_responses::TimelineEventKind::UnableToDecrypt { .. }
            )
        {
            // Readable now: handled as the message it is.
            if let Ok(matrix_sdk::ruma::events::AnySyncTimelineEvent::MessageLike(
                matrix_sdk::ruma::events::AnySyncMessageLikeEvent::RoomMessage(
                    matrix_sdk::ruma::events::SyncMessageLikeEvent::Original(m),
                ),
            )) = event.raw().deserialize()
            {
                self.message(m, room).await;
            }
            return;
        }
        tracing::warn!(room = %room.room_id(), sender = %ev.sender, "a message could not be decrypted");
        {
            let now = std::time::Instant::now();
            let mut noted = self.unreadable_noted.lock().expect("never poisoned");
            if noted.len() > 10_000 {
                noted.retain(|_, at| now.duration_since(*at) < UNREADABLE_NOTE_EVERY);
            }
            if noted
                .get(&ev.sender)
                .is_some_and(|at| now.duration_since(*at) < UNREADABLE_NOTE_EVERY)
            {
                return;
            }
            noted.insert(ev.sender.clone(), now);
        }
        let note = self.config.labels.label(pstral_chat::Label::Unreadable);
        let place = self.place(&room, &ev.sender, None).await;
        if let Err(e) = pstral_chat::ChatPlatform::post(
            self.platform.as_ref(),
            &place,
            Some(ev.event_id.as_str()),
            &note,
        )
        .await
        {
            tracing::error!(error = %e, "cannot say that a message could not be read");
        }
    }

    async fn handle(&self, event: InboundEvent) {
        let platform: Arc<dyn pstral_chat::ChatPlatform> = self.platform.clone();
        self.handler.handle(platform, event).await;
    }
}
