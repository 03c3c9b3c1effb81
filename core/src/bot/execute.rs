//! A click on Execute (or the typed `run N`): the statement offered earlier
//! is found, checked against what the control claims, authorized for the
//! person who clicks, and run through the audited Execute use case
//! ([`crate::sql::execute`]); its preview, CSV and XLSX go where the
//! place's settings say (the channel, or the clicker alone). Controls the bot
//! did not make are refused and recorded.

use pstral_chat::{
    Attachment, ChatPlatform, ControlKind, MessageRef, Place, PlatformIdentity, StatementRef,
};
use serde_json::json;

use super::stop::Which;
use super::{Audience, Bot, Listeners, actor_of};
use crate::audit::{Actor, EventKind, NewEvent};
use crate::i18n::Text;
use crate::identity::{Permission, User};
use crate::sql::execute::{Execution, judge};

impl Bot {
    pub(super) async fn control(
        &self,
        platform: &dyn ChatPlatform,
        actor: &PlatformIdentity,
        message: &MessageRef,
        control: &ControlKind,
    ) {
        match control {
            ControlKind::Stop => {
                let place = &message.place;
                let Some(user) = self
                    .authorize(
                        platform,
                        actor,
                        None,
                        place,
                        None,
                        Permission::Chat,
                        Audience::Actor,
                    )
                    .await
                else {
                    return;
                };
                let which = Which::Answer {
                    message: &message.id,
                    place,
                };
                if let Err(text) = self.inner.answers.stop(which, &user, &actor.to_string()) {
                    let _ = platform
                        .reply_privately(actor, place, &text.render(self.lang()), Vec::new())
                        .await;
                }
            }
            ControlKind::Execute {
                statement,
                reference,
            } => {
                self.execute(
                    platform,
                    actor,
                    &message.place,
                    Some(&message.id),
                    *statement,
                    *reference,
                    Audience::Actor,
                )
                .await;
            }
            ControlKind::Feedback { correct, result } => {
                self.feedback(
                    platform,
                    actor,
                    &message.place,
                    Some(&message.id),
                    *correct,
                    *result,
                    Audience::Actor,
                )
                .await;
            }
            ControlKind::Unrecognised(raw) => {
                // Recorded under whoever the directory knows them as; an
                // unknown identity is recorded by its platform id alone.
                let user = self.parts().directory.user_of(actor).await.ok().flatten();
                self.refuse_control(
                    platform,
                    user.as_ref(),
                    actor,
                    &message.place,
                    Some(&message.id),
                    json!(raw),
                )
                .await;
            }
        }
    }

    /// Runs a statement offered earlier, for `actor`, authorized now.
    /// `claimed` is what the control said it stands for, checked against
    /// the store; `audience` is who hears about a refusal.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn execute(
        &self,
        platform: &dyn ChatPlatform,
        actor: &PlatformIdentity,
        place: &Place,
        message_id: Option<&str>,
        index: u32,
        claimed: Option<StatementRef>,
        audience: Audience,
    ) {
        let to = Listeners {
            platform,
            audience,
            actor,
            place,
            reply_to: message_id,
        };
        let Some(user) = self
            .authorize(
                platform,
                actor,
                None,
                place,
                message_id,
                Permission::Execute,
                audience,
            )
            .await
        else {
            return;
        };
        let Some(sql) = &self.parts().sql else {
            self.tell_sql_unavailable(&to).await;
            return;
        };
        let stored = match self
            .parts()
            .conversations
            .statement(place, message_id, index)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a statement");
                self.tell(&to, Text::AuditUnavailable).await;
                return;
            }
        };
        // A control names the statement it was made for; one that names
        // another (or none that exists here) was not made by the bot.
        if let Some(claim) = claimed
            && stored
                .as_ref()
                .is_none_or(|s| s.id != claim.statement || s.conversation_id != claim.conversation)
        {
            let claim = json!({"conversation": claim.conversation, "statement": claim.statement, "index": index});
            self.refuse_control(platform, Some(&user), actor, place, message_id, claim)
                .await;
            return;
        }
        let Some(stored) = stored else {
            self.tell(&to, Text::NothingToRun { index }).await;
            return;
        };
        // The files are made ready first: a request is never recorded for
        // a run that could not deliver.
        let mut preview = crate::sql::render::Preview::new(sql.preview_rows);
        let csv = crate::sql::render::CsvSink::new(Vec::new(), sql.csv_bom);
        let xlsx = crate::sql::render::XlsxSink::new();
        let (mut csv, mut xlsx) = match (csv, xlsx) {
            (Ok(c), Ok(x)) => (c, x),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot prepare the result files");
                self.tell(&to, Text::CannotAttach).await;
                return;
            }
        };
        // Judged again, under today's policy and catalogue: a click never
        // runs text that the validator did not pass; the request is
        // committed before the query starts, and without it nothing runs.
        let private = sql.results_private_in(place);
        let actor_rec = actor_of(&user, actor);
        let catalog = sql.known_catalog();
        let judged = match judge(&stored.sql_text, &sql.policy, catalog.as_deref()) {
            Ok(judged) => judged,
            Err(refusal) => {
                self.tell(&to, Text::SqlRefused(&refusal)).await;
                return;
            }
        };
        let execution = Execution {
            audit: &self.parts().audit,
            actor: actor_rec,
            place: Some(place.clone()),
            about: json!({"statement": stored.id, "conversation": stored.conversation_id, "index": index, "private": private}),
        };
        let approved = match execution.request(judged).await {
            Ok(approved) => approved,
            Err(e) => {
                tracing::error!(error = %e, "cannot audit an execution; not running it");
                self.tell(&to, Text::AuditUnavailable).await;
                return;
            }
        };
        let reply_to = message_id.or(Some(stored.message_id.as_str()));
        // Private results come in one private reply at the end; a progress
        // message in the channel would tell others what is being looked at.
        let progress = if private {
            None
        } else {
            platform
                .post(
                    place,
                    reply_to,
                    &Text::Running { index }.render(self.lang()),
                )
                .await
                .ok()
        };
        let outcome = {
            let mut tee = crate::sql::render::Tee {
                sinks: vec![&mut preview, &mut csv, &mut xlsx],
            };
            let executed = approved
                .run(Ok(sql.executor.as_ref()), sql.limits, &mut tee)
                .await;
            if let Err(e) = executed.recorded {
                tracing::error!(error = %e, "cannot audit an execution's result");
            }
            executed.outcome
        };
        let heading = if private {
            format!(
                "{}\n",
                Text::ResultsSentPrivately { index }.render(self.lang())
            )
        } else {
            String::new()
        };
        // Under a private result, how to say whether it is right: no
        // control can follow a private reply.
        let prefix = platform.limits().command_prefix;
        let hint = if private {
            format!("\n{}", Text::FeedbackTyped { prefix }.render(self.lang()))
        } else {
            String::new()
        };
        let max_chars = platform
            .limits()
            .max_message_chars
            .saturating_sub(heading.chars().count() + hint.chars().count());
        let (text, table) = match &outcome {
            Ok(o) => {
                let lang = self.lang();
                let caption = |shown, total, truncated| {
                    Text::RowsCaption {
                        shown,
                        total,
                        truncated,
                    }
                    .render(lang)
                };
                let (text, table) = crate::sql::render::preview_with_table(
                    &preview,
                    o.rows,
                    o.truncated,
                    max_chars,
                    &caption,
                );
                (text, Some(table))
            }
            Err(e) => (Text::ExecFailed { error: e }.render(self.lang()), None),
        };
        let files = if outcome.is_ok() {
            result_files(csv, xlsx, stored.id)
        } else {
            Vec::new()
        };
        // What "correct" and "wrong" will judge: a result that came back.
        let shape = outcome.as_ref().ok().map(|o| {
            let columns: Vec<String> = o.columns.iter().map(|c| c.name.clone()).collect();
            (columns, o.rows, o.truncated)
        });
        if private {
            let hint = if shape.is_some() { hint } else { String::new() };
            let delivered = platform
                .reply_privately(actor, place, &format!("{heading}{text}{hint}"), files)
                .await;
            match delivered {
                Ok(()) => {
                    if let Some(shape) = &shape {
                        self.record_result(platform, place, None, &stored, &user, shape)
                            .await;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot deliver results privately");
                    // Said where the click was, without any of the data.
                    self.say(platform, place, reply_to, Text::CannotDeliverPrivately)
                        .await;
                }
            }
        } else {
            let post = || async {
                let posted = match &table {
                    Some(t) => platform.post_table(place, reply_to, &text, t).await,
                    None => platform.post(place, reply_to, &text).await,
                };
                match posted {
                    Ok(message) => Some(message),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot post a query's result");
                        None
                    }
                }
            };
            let shown = match &progress {
                Some(m) => {
                    // The progress message was just posted: wait out the edit
                    // interval before replacing it with the result.
                    tokio::time::sleep(platform.limits().min_edit_interval).await;
                    let edited = match &table {
                        Some(t) => platform.edit_table(m, &text, t).await,
                        None => platform.edit(m, &text).await,
                    };
                    match edited {
                        Ok(()) => Some(m.clone()),
                        Err(_) => post().await,
                    }
                }
                None => post().await,
            };
            for attachment in files {
                if let Err(e) = platform.attach(place, attachment).await {
                    tracing::error!(error = %e, "cannot attach a result");
                    self.say(platform, place, reply_to, Text::CannotAttach)
                        .await;
                }
            }
            if let (Some(message), Some(shape)) = (&shown, &shape) {
                self.record_result(platform, place, Some(message), &stored, &user, shape)
                    .await;
            }
        }
    }

    /// Keeps a result shown in the chat, so that "correct" and "wrong" can
    /// judge it, and offers those controls on its message.
    async fn record_result(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        message: Option<&MessageRef>,
        stored: &crate::conversation::StoredStatement,
        user: &User,
        (columns, rows, truncated): &(Vec<String>, u64, bool),
    ) {
        let recorded = self
            .parts()
            .conversations
            .record_result(
                stored.id,
                place,
                message.map(|m| m.id.as_str()),
                user.id,
                columns,
                *rows,
                *truncated,
            )
            .await;
        let result = match recorded {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, "cannot record a result; it cannot be confirmed");
                return;
            }
        };
        if let Some(message) = message {
            for correct in [true, false] {
                let control = ControlKind::Feedback {
                    correct,
                    result: Some(result),
                };
                if let Err(e) = platform.show_control(message, &control).await {
                    tracing::warn!(error = %e, "cannot offer correct/wrong on a result");
                }
            }
        }
    }

    /// Turns away a control the bot did not make, and records who used it
    /// (`user`: the local user they are, when known).
    pub(super) async fn refuse_control(
        &self,
        platform: &dyn ChatPlatform,
        user: Option<&User>,
        actor: &PlatformIdentity,
        place: &Place,
        message_id: Option<&str>,
        control: serde_json::Value,
    ) {
        let who = Actor {
            user_id: user.map(|u| u.id),
            identity: Some(actor.clone()),
        };
        let event = NewEvent::new(
            EventKind::AccessRefused,
            who,
            json!({"reason": "control_not_valid", "message": message_id, "control": control}),
        )
        .at(place.clone());
        if let Err(e) = self.parts().audit.append(event).await {
            tracing::error!(error = %e, "cannot audit a refused control");
        }
        self.tell_privately(platform, actor, place, Text::ControlNotValid)
            .await;
    }
}

/// The full result as CSV and XLSX attachments; a file that cannot be
/// finished is left out (and logged).
fn result_files(
    csv: crate::sql::render::CsvSink<Vec<u8>>,
    xlsx: crate::sql::render::XlsxSink,
    statement: i64,
) -> Vec<Attachment> {
    let name = format!("pstral-query-{statement}");
    let files = [
        csv.finish()
            .map(|b| (format!("{name}.csv"), "text/csv; charset=utf-8", b)),
        xlsx.finish().map(|b| {
            (
                format!("{name}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b,
            )
        }),
    ];
    files
        .into_iter()
        .filter_map(|file| match file {
            Ok((file_name, media_type, bytes)) => Some(Attachment {
                file_name,
                media_type: media_type.to_owned(),
                bytes,
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot finish a result file");
                None
            }
        })
        .collect()
}
