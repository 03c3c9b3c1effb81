//! The typed commands: help, link, stop, mode, export, run and audit
//! queries, each authorized for the person who types it, when they type it.

use pstral_chat::{Attachment, AuditQuery, ChatPlatform, Command, Place, PlatformIdentity};
use serde_json::json;

use super::reply::Reply;
use super::stop::Which;
use super::{Bot, Listeners, actor_of};
use crate::audit::{EventKind, NewEvent};
use crate::conversation::{ExportFormat, Mode};
use crate::i18n::{Lang, Text};
use crate::identity::{Permission, Role};

impl Bot {
    pub(super) async fn command(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        command: Command,
    ) {
        match command {
            Command::Help => {
                let prefix = platform.limits().command_prefix;
                self.say(platform, place, message, Text::Help { prefix })
                    .await
            }
            Command::Link(code) => self.link(platform, author, place, message, &code).await,
            Command::Stop => {
                let Some(user) = self.member(platform, author, place, message).await else {
                    return;
                };
                let stopped =
                    self.inner
                        .answers
                        .stop(Which::MineIn(place), &user, &author.to_string());
                if let Err(text) = stopped {
                    self.say(platform, place, message, text).await;
                }
            }
            Command::Mode(given) => {
                let to = Listeners::everyone(platform, author, place, message);
                let (Ok(reply) | Err(reply)) = self.set_mode(&to, &given).await;
                self.report(&to, reply).await;
            }
            Command::Export(format) => {
                self.export(platform, author, place, message, &format).await;
            }
            Command::Run(index) => {
                let to = Listeners::everyone(platform, author, place, None);
                self.execute(&to, index, None).await
            }
            Command::Audit(query) => {
                self.audit_query(platform, author, place, message, query)
                    .await
            }
            Command::Feedback { correct } => {
                let to = Listeners::only_actor(platform, author, place, None);
                self.feedback(&to, correct, None).await
            }
            Command::Examples(query) => {
                self.examples_command(platform, author, place, message, query)
                    .await
            }
        }
    }

    /// An admin's question to the audit, answered to them alone: in the DM
    /// where they asked, else privately. The read is recorded before it is
    /// done, like every read of the audit.
    pub(super) async fn audit_query(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        query: AuditQuery,
    ) {
        let Some(user) = self.admin(platform, author, place, message).await else {
            return;
        };
        // Said where it was asked in a private conversation, to the admin
        // alone anywhere else.
        let to = match place.private {
            true => Listeners::everyone(platform, author, place, message),
            false => Listeners::only_actor(platform, author, place, message),
        };
        let (Ok(reply) | Err(reply)) = self.audit_answer(&to, &user, query).await;
        self.report(&to, reply).await;
    }

    /// What the audit says to an admin's query, its read recorded first
    /// (without the record, nothing is read).
    async fn audit_answer(
        &self,
        to: &Listeners<'_>,
        user: &crate::identity::User,
        query: AuditQuery,
    ) -> Result<Reply<'_>, Reply<'_>> {
        use crate::audit::Order;
        let lang = self.lang();
        let (filter, shown) = self.audit_filter(&query).await.map_err(Reply::Said)?;
        let audit = &self.parts().audit;
        audit
            .record_read(
                actor_of(user, to.actor),
                Some(to.place.clone()),
                "chat",
                shown,
            )
            .await
            .map_err(Reply::unrecorded("record a read of the audit; not reading"))?;
        if query == AuditQuery::Verify {
            let verified = audit
                .verify()
                .await
                .map_err(Reply::unrecorded("verify the audit"))?;
            let text = match &verified.broken {
                None => Text::AuditIntact {
                    checked: verified.checked,
                }
                .render(lang),
                Some(b) => Text::AuditBroken {
                    checked: verified.checked,
                    detail: &b.to_string(),
                }
                .render(lang),
            };
            return Ok(Reply::Said(text));
        }
        let events = audit
            .list(&filter, Order::NewestFirst, AUDIT_LINES)
            .await
            .map_err(Reply::unrecorded("read the audit"))?;
        Ok(match events.is_empty() {
            true => Reply::Tell(Text::AuditNothingFound),
            false => Reply::Said(audit_lines(
                &events,
                to.platform.limits().max_message_chars,
                lang,
            )),
        })
    }

    /// What an admin's audit query asks for, and how the read of it is
    /// recorded; `Err` with what to answer when it names no kind or user.
    async fn audit_filter(
        &self,
        query: &AuditQuery,
    ) -> Result<(crate::audit::AuditFilter, serde_json::Value), String> {
        use crate::audit::{AuditFilter, EventKind as K};
        let lang = self.lang();
        let mut filter = AuditFilter::default();
        let shown = match query {
            AuditQuery::Recent => json!({"query": "recent"}),
            AuditQuery::Verify => json!({"query": "verify"}),
            AuditQuery::Search(text) => {
                filter.text = Some(text.clone());
                json!({"query": "search", "text": text})
            }
            AuditQuery::Kind(given) => match given.trim().parse::<K>() {
                Ok(kind) => {
                    filter.kind = Some(kind);
                    json!({"query": "kind", "kind": kind.as_str()})
                }
                Err(_) => {
                    let kinds: Vec<&str> = K::ALL.iter().map(|k| k.as_str()).collect();
                    let text = Text::AuditNoSuchKind {
                        given,
                        kinds: &kinds.join(", "),
                    };
                    return Err(text.render(lang));
                }
            },
            AuditQuery::User(name) => match self.parts().directory.user(name.trim()).await {
                Ok(Some(found)) => {
                    filter.user_id = Some(found.id);
                    json!({"query": "user", "user": found.name})
                }
                Ok(None) => {
                    return Err(Text::AuditNoSuchUser { name }.render(lang));
                }
                Err(e) => {
                    self.unrecorded("look up a user", &e);
                    return Err(Text::AuditUnavailable.render(lang));
                }
            },
        };
        Ok((filter, shown))
    }

    /// Invite codes said where others could see them: each live one is
    /// burnt (audited, without the code). When one was, or when the person
    /// meant a code (`meant`: the link command, answered the same whether
    /// the code was live or not), the place is told that codes are only
    /// taken in a DM and the person, privately, how to get a new one.
    /// Returns whether anything was said.
    pub(super) async fn burn_codes(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        codes: &[&str],
        meant: bool,
    ) -> bool {
        let prefix = platform.limits().command_prefix;
        let note = Text::InviteBurnt { prefix };
        let seen = Seen {
            author: Some(author),
            place,
            message,
        };
        self.burn_codes_telling(platform, seen, codes, meant, note)
            .await
    }

    /// [`Bot::burn_codes`], with what the author is told privately.
    pub(super) async fn burn_codes_telling(
        &self,
        platform: &dyn ChatPlatform,
        Seen {
            author,
            place,
            message,
        }: Seen<'_>,
        codes: &[&str],
        meant: bool,
        note: Text<'_>,
    ) -> bool {
        let directory = &self.parts().directory;
        let mut burnt = false;
        for code in codes {
            match directory.burn_invite(code, author, place, meant).await {
                Ok(b) => burnt |= b,
                Err(e) => self.unrecorded("burn an invite code seen in public", &e),
            }
        }
        if !(burnt || meant) {
            return false;
        }
        tracing::info!(who = %author.map_or_else(|| "unknown".to_owned(), ToString::to_string), burnt, "an invite code was said outside a DM");
        self.say(platform, place, message, Text::InviteSeenInPublic)
            .await;
        if let Some(author) = author {
            self.tell_privately(platform, author, place, note).await;
        }
        true
    }

    /// Text that was not for the bot, where others could read it: any live
    /// code in it is burnt (and the place and its author told). Nothing
    /// else is done with it. In a DM nobody else reads it, so nothing
    /// needs burning.
    pub(super) async fn overheard(
        &self,
        platform: &dyn ChatPlatform,
        author: Option<&PlatformIdentity>,
        place: &Place,
        message: Option<&str>,
        texts: &[String],
    ) {
        if place.private {
            return;
        }
        // The end of the author's last text here goes before this one: a
        // code given in two halves, one message each, is still seen.
        let who = author.map_or_else(String::new, ToString::to_string);
        let key = format!("{}\u{0}{}\u{0}{who}", place.platform, place.channel);
        let before = self
            .inner
            .tails
            .swap(&key, texts.last().map(String::as_str));
        // The codes are read once for all the texts of the event.
        let finder = match self.parts().directory.code_finder().await {
            Ok(finder) => finder,
            Err(e) => {
                self.unrecorded("look for invite codes in a message", &e);
                return;
            }
        };
        let mut codes: Vec<String> = Vec::new();
        if let Some(first) = texts.first() {
            codes.extend(finder.live_codes_in(&format!("{before}\n{first}")));
            codes.extend(finder.live_codes_across(&before, first));
        }
        for text in texts.iter().skip(1) {
            codes.extend(finder.live_codes_in(text));
        }
        if !codes.is_empty() {
            if let Some(message) = message {
                self.inner.burnt_in.insert(message);
            }
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let seen = Seen {
                author,
                place,
                message,
            };
            self.burn_codes_telling(platform, seen, &codes, false, Text::InviteOverheard)
                .await;
        }
    }

    /// `mode` typed here: the mode of this thread (its starter's or an
    /// admin's to change), of this DM, or the default of this channel (an
    /// admin's).
    async fn set_mode<'s>(
        &'s self,
        to: &Listeners<'_>,
        given: &'s str,
    ) -> Result<Reply<'s>, Reply<'s>> {
        let (platform, place) = (to.platform, to.place);
        let user = self.authorize(to, Permission::Chat).await?;
        let mode = given
            .trim()
            .parse::<Mode>()
            .map_err(|_| Reply::Tell(Text::UnknownMode { given }))?;
        // What changes is what the reply says: in a thread, that
        // thread; in a DM, this DM; in a shared channel, its default
        // for everyone, which is an admin's to change.
        let conversations = &self.parts().conversations;
        let scope = match (&place.thread, place.private) {
            (Some(_), _) => "thread",
            (None, true) => "dm",
            (None, false) => "channel",
        };
        if scope == "channel" && user.role != Role::Admin {
            let prefix = platform.limits().command_prefix;
            return Err(Reply::Tell(Text::ModeChannelNeedsAdmin { prefix }));
        }
        match &place.thread {
            Some(thread) => {
                let conversation = conversations
                    .find_or_start(place, thread, mode, Some(user.id))
                    .await
                    .map_err(Reply::unrecorded("change the mode"))?;
                // A thread's mode is its starter's (or an admin's).
                if user.role != Role::Admin && conversation.started_by != Some(user.id) {
                    return Err(Reply::Tell(Text::NotYourConversation));
                }
                conversations.set_mode(conversation.id, mode).await
            }
            None => conversations.set_channel_mode(place, mode).await,
        }
        .map_err(Reply::unrecorded("change the mode"))?;
        let event = NewEvent::new(
            EventKind::ConversationChanged,
            actor_of(&user, to.actor),
            json!({"action": "mode", "mode": mode.as_str(), "scope": scope}),
        )
        .at(place.clone());
        // The mode is changed: it is said so, and a record that failed is
        // the operator's to hear of.
        self.record(event, "record a mode change").await;
        let mode = mode.as_str();
        Ok(Reply::Tell(if scope == "channel" {
            Text::ModeSetForChannel { mode }
        } else {
            Text::ModeSet { mode }
        }))
    }

    pub(super) async fn link(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        code: &str,
    ) {
        if !place.private {
            self.burn_codes(platform, author, place, message, &[code], true)
                .await;
            return;
        }
        let linked = self
            .parts()
            .directory
            .consume_invite(code, author, Some(place))
            .await;
        let reply = match &linked {
            Ok(user) => Reply::Tell(Text::Linked { user: &user.name }),
            Err(e) => match Text::of_identity_error(e) {
                Some(text) => Reply::Tell(text),
                None => Reply::unrecorded("link an account")(e),
            },
        };
        let to = Listeners::everyone(platform, author, place, message);
        self.report(&to, reply).await;
    }

    pub(super) async fn export(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        format: &str,
    ) {
        let to = Listeners::everyone(platform, author, place, message);
        let (Ok(reply) | Err(reply)) = self.exported(&to, format).await;
        self.report(&to, reply).await;
    }

    /// The conversation here (this thread, else the asker's latest here) as
    /// a file, in `format` (Markdown unless `json`), audited.
    async fn exported(&self, to: &Listeners<'_>, format: &str) -> Result<Reply<'_>, Reply<'_>> {
        let (platform, place) = (to.platform, to.place);
        let user = self.authorize(to, Permission::Chat).await?;
        let format = format
            .parse::<ExportFormat>()
            .unwrap_or(ExportFormat::Markdown);
        let conversations = &self.parts().conversations;
        let unrecorded = Reply::unrecorded("export a conversation");
        let conversation = match &place.thread {
            Some(thread) => conversations
                .find_or_start(
                    place,
                    thread,
                    self.parts().settings.default_mode,
                    Some(user.id),
                )
                .await
                .map(Some),
            None => conversations.latest_of(place, user.id).await,
        };
        let Some(conversation) = conversation.map_err(unrecorded)? else {
            return Ok(Reply::Tell(Text::NothingToExport));
        };
        if !self
            .owns(&user, conversation.id)
            .await
            .map_err(unrecorded)?
        {
            return Err(Reply::Tell(Text::NotYourConversation));
        }
        // Whoever started it (or an admin) gets all of it; someone who
        // joined it later, what was said from their first message on.
        let whole = user.role == Role::Admin || conversation.started_by == Some(user.id);
        let Some(text) = conversations
            .export_seen_by(conversation.id, format, (!whole).then_some(user.id))
            .await
            .map_err(unrecorded)?
        else {
            return Ok(Reply::Tell(Text::NothingToExport));
        };
        let id = conversation.id;
        let (extension, media_type) = match format {
            ExportFormat::Markdown => ("md", "text/markdown; charset=utf-8"),
            ExportFormat::Json => ("json", "application/json"),
        };
        let event = NewEvent::new(
            EventKind::ConversationChanged,
            actor_of(&user, to.actor),
            json!({"action": "export", "conversation": id, "format": extension}),
        )
        .at(place.clone());
        self.parts()
            .audit
            .append(event)
            .await
            .map_err(Reply::unrecorded("audit an export; not exporting"))?;
        let attachment = Attachment {
            file_name: format!("pstral-conversation-{id}.{extension}"),
            media_type: media_type.to_owned(),
            bytes: text.into_bytes(),
        };
        platform
            .attach(place, attachment)
            .await
            .map_err(|e| Reply::Failed {
                what: "attach an export",
                error: e.to_string(),
                tell: Text::CannotAttach,
            })?;
        Ok(Reply::Silent)
    }
}

impl Bot {
    /// Whether a conversation is `user`'s to export or change: they took
    /// part in it, or they are an admin.
    async fn owns(
        &self,
        user: &crate::identity::User,
        conversation: i64,
    ) -> Result<bool, crate::store::StoreError> {
        if user.role == Role::Admin {
            return Ok(true);
        }
        self.parts()
            .conversations
            .took_part(conversation, user.id)
            .await
    }
}

/// How many events an audit query from the chat lists at most.
const AUDIT_LINES: u32 = 10;

/// Where a text with invite codes in it was seen: who wrote it (when the
/// platform says), the place, and the message.
#[derive(Clone, Copy)]
pub(super) struct Seen<'a> {
    author: Option<&'a PlatformIdentity>,
    place: &'a Place,
    message: Option<&'a str>,
}

/// Events as short lines, newest first, as many as fit in one message.
fn audit_lines(events: &[crate::audit::Event], max_chars: usize, lang: Lang) -> String {
    let mut lines = Vec::new();
    let mut used = 0;
    for e in events {
        let who = e
            .user_name
            .as_deref()
            .or(e.identity.as_deref())
            .unwrap_or("-");
        let place = match (&e.platform, &e.channel) {
            (Some(p), Some(c)) => format!(" {p}:{c}"),
            _ => String::new(),
        };
        let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let detail = payload
            .get("text")
            .or_else(|| payload.get("reason"))
            .and_then(|v| v.as_str())
            .map(|t| {
                let one_line = t.split_whitespace().collect::<Vec<_>>().join(" ");
                let mut cut: String = one_line.chars().take(80).collect();
                if cut.len() < one_line.len() {
                    cut.push('…');
                }
                format!(" — {cut}")
            })
            .unwrap_or_default();
        // All of it in one code span, the words people wrote included: a
        // question's Markdown or HTML is shown as written, never rendered
        // as a forged line or a link. Backticks would end the span early.
        let content = format!(
            "#{} {} {} {who}{place}{detail}",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.kind,
        );
        let line = format!("`{}`", content.replace('`', "'"));
        // Room for the heading (about 60 characters) and line ends.
        if used + line.chars().count() + 1 > max_chars.saturating_sub(80) {
            break;
        }
        used += line.chars().count() + 1;
        lines.push(line);
    }
    let heading = Text::AuditListed { shown: lines.len() }.render(lang);
    format!("{heading}\n{}", lines.join("\n"))
}
