//! The typed commands: help, link, stop, mode, export, run, audit queries
//! and suggestions, each authorized for the person who types it, when they
//! type it.

use pstral_chat::{
    Attachment, AuditQuery, ChatPlatform, Command, Place, PlatformIdentity, RequestsQuery,
};
use serde_json::json;

use super::reply::Reply;
use super::stop::Which;
use super::{Bot, Listeners, actor_of};
use crate::audit::{EventKind, NewEvent};
use crate::conversation::{ExportFormat, Mode};
use crate::i18n::{Audit, Commands, Lang, Link, Results};
use crate::identity::{Permission, Role};

impl Bot {
    /// Carries out `command`, sent as `message` (when it was one) in reply
    /// to `in_reply_to` (when it was one).
    pub(super) async fn command(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        (message, in_reply_to): (Option<&str>, Option<&str>),
        command: Command,
    ) {
        match command {
            Command::Help => {
                let prefix = platform.limits().command_prefix;
                self.say(platform, place, message, Commands::Help { prefix }.into())
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
                    self.say(platform, place, message, text.into()).await;
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
            // Sent as a reply to an answer that offered statement N, that
            // one; otherwise the newest answer's here (the result replies
            // to the answer it ran, which says which).
            Command::Run { index, chart } => {
                let offered = match in_reply_to {
                    Some(answer) => self
                        .parts()
                        .conversations
                        .statement(place, Some(answer), index)
                        .await
                        .ok()
                        .flatten()
                        .map(|_| answer),
                    None => None,
                };
                let to = Listeners::everyone(platform, author, place, offered);
                self.execute(&to, index, None, chart).await
            }
            // Sent as a reply to a question asked back, that one's;
            // otherwise the newest here.
            Command::Pick { number } => {
                let asked_on = match in_reply_to {
                    Some(replied)
                        if self
                            .parts()
                            .conversations
                            .readings_on(place, replied)
                            .await
                            .is_ok_and(|n| n > 0) =>
                    {
                        Some(replied)
                    }
                    _ => None,
                };
                let to = Listeners::only_actor(platform, author, place, message);
                self.pick(&to, asked_on, number, None).await
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
            Command::Requests(query) => {
                let to = Listeners::only_actor(platform, author, place, message);
                let (Ok(reply) | Err(reply)) = self.requests_answer(&to, query).await;
                self.report(&to, reply).await;
            }
            Command::Suggestions => {
                let to = Listeners::only_actor(platform, author, place, message);
                let (Ok(reply) | Err(reply)) = self.suggestions_answer(&to).await;
                self.report(&to, reply).await;
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
                None => Audit::Intact {
                    checked: verified.checked,
                }
                .render(lang),
                Some(b) => Audit::Broken {
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
            true => Reply::Tell(Audit::NothingFound.into()),
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
                    let text = Audit::NoSuchKind {
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
                    return Err(Audit::NoSuchUser { name }.render(lang));
                }
                Err(e) => {
                    self.unrecorded("look up a user", &e);
                    return Err(Audit::Unavailable.render(lang));
                }
            },
        };
        Ok((filter, shown))
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
            .map_err(|_| Reply::Tell(Commands::UnknownMode { given }.into()))?;
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
            return Err(Reply::Tell(
                Commands::ModeChannelNeedsAdmin { prefix }.into(),
            ));
        }
        match &place.thread {
            Some(thread) => {
                let conversation = conversations
                    .find_or_start(place, thread, mode, Some(user.id))
                    .await
                    .map_err(Reply::unrecorded("change the mode"))?;
                // A thread's mode is its starter's (or an admin's).
                if user.role != Role::Admin && conversation.started_by != Some(user.id) {
                    return Err(Reply::Tell(Commands::NotYourConversation.into()));
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
        let said = if scope == "channel" {
            Commands::ModeSetForChannel { mode }
        } else {
            Commands::ModeSet { mode }
        };
        Ok(Reply::Tell(said.into()))
    }

    /// `link CODE` or `link NAME`, in a DM: an invite code made for this
    /// account links it; a name asks the admins to link it to that user.
    /// Anywhere else, the person is told to say it in a DM; nothing is
    /// spoilt, since a code works for its own account only.
    pub(super) async fn link(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        argument: &str,
    ) {
        let to = Listeners::everyone(platform, author, place, message);
        let prefix = platform.limits().command_prefix;
        if !place.private {
            self.report(&to, Reply::Tell(Link::OnlyInDm { prefix }.into()))
                .await;
            return;
        }
        let directory = &self.parts().directory;
        let lang = self.lang();
        let by_name = || async {
            match directory.request_link(author, argument, Some(place)).await {
                Ok(asked) => Ok(Reply::Said(
                    Link::Requested {
                        user: &asked.user,
                        account: &author.to_string(),
                        prefix,
                    }
                    .render(lang),
                )),
                Err(crate::identity::IdentityError::TooManyAttempts) => {
                    Ok(Reply::Tell(Link::TooManyAttempts.into()))
                }
                Err(e) => Err(e),
            }
        };
        let reply = if crate::identity::is_code(argument) {
            match directory
                .consume_invite(argument, author, Some(place))
                .await
            {
                Ok(user) => Reply::Said(Link::Linked { user: &user.name }.render(lang)),
                // Ten letters and digits may be a user's name as well as a
                // code: no invite has it, so it is asked for as a name (and
                // a name it cannot be leaves the code's answer).
                Err(unknown @ crate::identity::IdentityError::InviteUnknown) => {
                    match by_name().await {
                        Ok(reply) => reply,
                        Err(crate::identity::IdentityError::BadName(_)) => {
                            Self::identity_reply(&unknown, "link an account", lang)
                        }
                        Err(e) => Self::identity_reply(&e, "record a link request", lang),
                    }
                }
                Err(e) => Self::identity_reply(&e, "link an account", lang),
            }
        } else {
            match by_name().await {
                Ok(reply) => reply,
                Err(e) => Self::identity_reply(&e, "record a link request", lang),
            }
        };
        self.report(&to, reply).await;
    }

    /// What the person is told of an identity error: its text when it is
    /// theirs to fix, else that the bot could not do `what`.
    fn identity_reply(
        e: &crate::identity::IdentityError,
        what: &'static str,
        lang: Lang,
    ) -> Reply<'static> {
        match Link::of_identity_error(e) {
            Some(text) => Reply::Said(text.render(lang)),
            None => Reply::unrecorded(what)(e),
        }
    }

    /// An admin's answer to the link requests: the list, an approval or a
    /// refusal, to them alone.
    async fn requests_answer<'s>(
        &'s self,
        to: &Listeners<'_>,
        query: RequestsQuery,
    ) -> Result<Reply<'s>, Reply<'s>> {
        let user = self.authorize(to, Permission::Administer).await?;
        let directory = &self.parts().directory;
        let lang = self.lang();
        let account = |given: &str| {
            given.trim().parse::<PlatformIdentity>().map_err(|_| {
                Reply::Said(
                    Link::NoRequest {
                        account: given.trim(),
                    }
                    .render(lang),
                )
            })
        };
        match query {
            RequestsQuery::List => {
                let requests = directory
                    .link_requests()
                    .await
                    .map_err(Reply::unrecorded("list the link requests"))?;
                let prefix = to.platform.limits().command_prefix;
                // The newest first, as many as one message holds.
                let shown: Vec<(&str, &str, Option<&str>)> = requests
                    .iter()
                    .rev()
                    .take(MAX_REQUESTS_SHOWN)
                    .map(|r| {
                        (
                            r.identity.as_str(),
                            r.user.as_str(),
                            r.role.map(|role| role.as_str()),
                        )
                    })
                    .collect();
                Ok(Reply::Said(
                    Link::Requests {
                        requests: &shown,
                        more: requests.len() - shown.len(),
                        prefix,
                    }
                    .render(lang),
                ))
            }
            RequestsQuery::Approve {
                account: given,
                user: name,
            } => {
                let identity = account(&given)?;
                let actor = actor_of(&user, to.actor);
                match directory.approve_link(&identity, &name, actor).await {
                    Ok(linked) => Ok(Reply::Said(
                        Link::Approved {
                            account: &identity.to_string(),
                            user: &linked.name,
                        }
                        .render(lang),
                    )),
                    Err(e) => Err(Self::request_error(&e, &identity, lang)),
                }
            }
            RequestsQuery::Deny(given) => {
                let identity = account(&given)?;
                let actor = actor_of(&user, to.actor);
                match directory.deny_link(&identity, actor).await {
                    Ok(name) => Ok(Reply::Said(
                        Link::Denied {
                            account: &identity.to_string(),
                            user: &name,
                        }
                        .render(lang),
                    )),
                    Err(e) => Err(Self::request_error(&e, &identity, lang)),
                }
            }
        }
    }

    /// An approval or refusal that could not be done, in the admin's words.
    fn request_error<'s>(
        e: &crate::identity::IdentityError,
        identity: &PlatformIdentity,
        lang: Lang,
    ) -> Reply<'s> {
        use crate::identity::IdentityError as E;
        match e {
            E::NoLinkRequest(_) => Reply::Said(
                Link::NoRequest {
                    account: &identity.to_string(),
                }
                .render(lang),
            ),
            E::UnknownUser(_)
            | E::AlreadyLinked { .. }
            | E::RequestChanged { .. }
            | E::UserDisabled(_) => Reply::Said(pstral_chat::printable(&e.to_string())),
            other => Reply::unrecorded("answer a link request")(other),
        }
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
            return Ok(Reply::Tell(Commands::NothingToExport.into()));
        };
        if !self
            .owns(&user, conversation.id)
            .await
            .map_err(unrecorded)?
        {
            return Err(Reply::Tell(Commands::NotYourConversation.into()));
        }
        // Whoever started it (or an admin) gets all of it; someone who
        // joined it later, what was said from their first message on.
        let whole = user.role == Role::Admin || conversation.started_by == Some(user.id);
        let Some(text) = conversations
            .export_seen_by(conversation.id, format, (!whole).then_some(user.id))
            .await
            .map_err(unrecorded)?
        else {
            return Ok(Reply::Tell(Commands::NothingToExport.into()));
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
            image: None,
        };
        platform
            .attach(place, attachment)
            .await
            .map_err(|e| Reply::Failed {
                what: "attach an export",
                error: e.to_string(),
                tell: Results::CannotAttach.into(),
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

/// How many link requests the chat lists at most (the CLI lists them all).
const MAX_REQUESTS_SHOWN: usize = 15;

/// How many events an audit query from the chat lists at most.
const AUDIT_LINES: u32 = 10;

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
    let heading = Audit::Listed { shown: lines.len() }.render(lang);
    format!("{heading}\n{}", lines.join("\n"))
}
