//! A click on Execute (or the typed `run N`): the statement offered earlier
//! is found, checked against what the control claims, authorized for the
//! person who clicks, and run through the Execute pipeline
//! ([`crate::sql_target::execution`]); its preview, CSV and XLSX go where the
//! place's settings say (the channel, or the clicker alone). Controls the bot
//! did not make are refused and recorded.

use pstral_chat::{
    Attachment, ChatPlatform, ControlKind, MessageRef, Place, PlatformIdentity, StatementRef,
};
use serde_json::json;

use super::posted::{Posted, Redirected, readers_json};
use super::reply::Reply;
use super::stop::Which;
use super::{Bot, Listeners, actor_of};
use crate::audit::{Actor, EventKind, NewEvent};
use crate::chart::{ChartRows, NoChart};
use crate::conversation::{ResultShape, StoredStatement};
use crate::i18n::{Feedback, Results, Sql};
use crate::identity::{Permission, User};
use crate::sql::Charts;
use crate::sql::backend::{ExecError, Outcome};
use crate::sql::render::{CsvSink, Preview, Tee, XlsxSink, preview_with_table};
use crate::sql_target::SqlRuntime;
use crate::sql_target::execution::{self, Audience, Made, NotReadable, Redirect, Watch};
use pstral_chat::ChartWish;

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
                let to = Listeners::only_actor(platform, actor, place, None);
                let Some(user) = self.authorized(&to, Permission::Chat).await else {
                    return;
                };
                let which = Which::Answer {
                    message: &message.id,
                    place,
                };
                if let Err(text) = self.inner.answers.stop(which, &user, &actor.to_string()) {
                    self.report(&to, Reply::Tell(text.into())).await;
                }
            }
            ControlKind::Execute {
                statement,
                reference,
            } => {
                let to = Listeners::only_actor(platform, actor, &message.place, Some(&message.id));
                self.execute(&to, *statement, *reference, ChartWish::AsConfigured)
                    .await;
            }
            ControlKind::Pick { number, reference } => {
                let to = Listeners::only_actor(platform, actor, &message.place, Some(&message.id));
                self.pick(&to, Some(&message.id), *number, *reference).await;
            }
            ControlKind::Feedback { correct, result } => {
                let to = Listeners::only_actor(platform, actor, &message.place, Some(&message.id));
                self.feedback(&to, *correct, *result).await;
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

    /// Runs a statement offered earlier, for `to.actor`, authorized now, in
    /// four steps: the statement found and its claim checked, then judged
    /// and run under the audit, its result composed, and delivered.
    /// `claimed` is what the control said it stands for, checked against
    /// the store; `to.audience` is who hears about a refusal.
    pub(super) async fn execute(
        &self,
        to: &Listeners<'_>,
        index: u32,
        claimed: Option<StatementRef>,
        chart: ChartWish,
    ) {
        let (user, sql, stored) = match self.statement_to_run(to, index, claimed).await {
            Ok(found) => found,
            Err(reply) => return self.report(to, reply).await,
        };
        // From here on the bot answers the statement's message when the
        // typed command named none.
        let to = &Listeners {
            reply_to: to.reply_to.or(Some(stored.message_id.as_str())),
            ..*to
        };
        let steps = async {
            let ran = self
                .run_statement(to, sql, &user, &stored, index, chart)
                .await?;
            let shown = self.compose_result(to.platform, ran, stored.id);
            Ok(self.deliver_result(to, sql, &user, &stored, shown).await)
        };
        let (Ok(reply) | Err(reply)) = steps.await;
        self.report(to, reply).await;
    }

    /// The first step: the clicker authorized to execute now, the target's
    /// services, and the statement the control names, found in the store. A control that
    /// names another statement (or none that exists here) was not made by
    /// the bot: it is refused and recorded.
    async fn statement_to_run(
        &self,
        to: &Listeners<'_>,
        index: u32,
        claimed: Option<StatementRef>,
    ) -> Result<(User, &SqlRuntime, StoredStatement), Reply<'_>> {
        let user = self.authorize(to, Permission::Execute).await?;
        let Ok(sql) = &self.parts().sql else {
            return Err(self.sql_unavailable());
        };
        let stored = self
            .parts()
            .conversations
            .statement(to.place, to.reply_to, index)
            .await
            .map_err(Reply::unrecorded("read a statement"))?;
        if let Some(claim) = claimed
            && stored
                .as_ref()
                .is_none_or(|s| s.id != claim.statement || s.conversation_id != claim.conversation)
        {
            let claim = json!({"conversation": claim.conversation, "statement": claim.statement, "index": index});
            self.refuse_control(
                to.platform,
                Some(&user),
                to.actor,
                to.place,
                to.reply_to,
                claim,
            )
            .await;
            return Err(Reply::Silent);
        }
        let Some(stored) = stored else {
            return Err(Reply::Tell(Sql::NothingToRun { index }.into()));
        };
        Ok((user, sql, stored))
    }

    /// The second step: the statement approved ([`Bot::approve`]), then
    /// run into the preview, the files and the chart's rows, and its result
    /// recorded with the chart drawn of it.
    async fn run_statement(
        &self,
        to: &Listeners<'_>,
        sql: &SqlRuntime,
        user: &User,
        stored: &StoredStatement,
        index: u32,
        wish: ChartWish,
    ) -> Result<Ran, Reply<'static>> {
        // The files are made ready first: a request is never recorded for
        // a run that could not deliver.
        let mut preview = Preview::new(sql.preview_rows);
        let (mut csv, mut xlsx) = match (CsvSink::new(Vec::new(), sql.csv_bom), XlsxSink::new()) {
            (Ok(c), Ok(x)) => (c, x),
            (Err(e), _) | (_, Err(e)) => {
                return Err(Reply::Failed {
                    what: "prepare the result files",
                    error: e.to_string(),
                    tell: Results::CannotAttach.into(),
                });
            }
        };
        let Approval {
            approved,
            private,
            redirected,
            watch,
        } = self.approve(to, sql, user, stored, index).await?;
        // Private results come in one private reply at the end; a progress
        // message in the channel would tell others what is being looked at.
        let progress = if private {
            None
        } else {
            to.platform
                .post(
                    to.place,
                    to.reply_to,
                    &Results::Running { index }.render(self.lang()),
                )
                .await
                .ok()
        };
        let wanted = match wish {
            ChartWish::AsConfigured => sql.charts == Charts::Auto,
            ChartWish::Wanted => true,
            ChartWish::Unwanted => false,
        };
        let mut chart_rows = ChartRows::new();
        let outcome = {
            let mut sinks: Vec<&mut dyn crate::sql::backend::RowSink> =
                vec![&mut preview, &mut csv, &mut xlsx];
            if wanted {
                sinks.push(&mut chart_rows);
            }
            approved.run(&mut Tee { sinks }).await
        };
        // The chart is made before the result is recorded, so that the
        // record says which one was shown and by which rule.
        let chart = match &outcome {
            Ok(o) if wanted => {
                let cut = o.truncated.then_some(o.rows);
                Some(self.chart(chart_rows, cut, stored).await)
            }
            _ => None,
        };
        let made = match &chart {
            Some(Ok(drawn)) => Made::Chart {
                kind: drawn.kind,
                rule: drawn.rule,
                width: drawn.width,
                height: drawn.height,
                bytes: drawn.attachment.bytes.len(),
            },
            Some(Err(none)) => Made::NoChart(*none),
            None => Made::Nothing,
        };
        let executed = approved.record(outcome, made).await;
        if let Err(e) = executed.recorded {
            self.unrecorded("audit an execution's result", &e);
        }
        let outcome = executed.outcome;
        Ok(Ran {
            outcome,
            preview,
            csv,
            xlsx,
            // Someone who asked for a chart is told why there is none.
            no_chart: match (&chart, wish) {
                (Some(Err(none)), ChartWish::Wanted) => Some(*none),
                _ => None,
            },
            chart: chart.and_then(Result::ok).map(|c| c.attachment),
            private,
            redirected,
            watch: if private { None } else { watch },
            progress,
            index,
        })
    }

    /// The statement judged again under today's policy and catalogue (a
    /// click never runs text that the validator did not pass), granted to
    /// the clicker by their groups now, held to the readers of the place
    /// (else its rows go to the clicker alone), and its request committed
    /// to the audit (without it nothing runs).
    async fn approve<'s>(
        &'s self,
        to: &Listeners<'_>,
        sql: &SqlRuntime,
        user: &User,
        stored: &StoredStatement,
        index: u32,
    ) -> Result<Approval<'s>, Reply<'static>> {
        let checked = execution::check(sql, &stored.sql_text).map_err(Reply::Refused)?;
        // What the clicker may read, by their groups now: the group it
        // runs as, and that group's account.
        let groups = self
            .parts()
            .directory
            .groups_of(user.id)
            .await
            .map_err(Reply::unrecorded("read the clicker's groups"))?;
        let granted = match checked.grant(sql, &groups) {
            Ok(granted) => granted,
            Err(not) => return Err(self.refuse_reading(to, user, stored, &not).await),
        };
        // Whoever reads the place, now or later, sees the rows, and any
        // error, as the one most restricted among them may; if one of them
        // may not see them, they go to the clicker alone.
        let watched = !sql.results_private_in(to.place) && sql.readers.restrict();
        let readers = if watched {
            self.place_readers(to.platform, to.place, to.actor).await
        } else {
            None
        };
        let audience = if sql.results_private_in(to.place) {
            Audience::Asker
        } else if watched {
            Audience::Readers(readers.as_ref().map(|r| &r.readership))
        } else {
            Audience::Anyone
        };
        let permitted = granted.shown_to(sql, audience);
        let redirected = permitted
            .redirected()
            .cloned()
            .map(|why| Redirected::at(why, "click"));
        let private = sql.results_private_in(to.place) || redirected.is_some();
        let mut about = json!({"statement": stored.id, "conversation": stored.conversation_id, "index": index, "private": private});
        if let Some(readers) = &readers {
            about["readers"] = readers_json(readers);
        }
        if let Some(why) = &redirected {
            about["redirected"] = why.to_json();
        }
        let watch = watched.then(|| permitted.watch());
        let approved = permitted
            .request(
                &self.parts().audit,
                actor_of(user, to.actor),
                Some(to.place.clone()),
                about,
            )
            .await
            .map_err(Reply::unrecorded("audit an execution; not running it"))?;
        Ok(Approval {
            approved,
            private,
            redirected,
            watch,
        })
    }

    /// The chart `rows` call for, drawn off the async threads and titled
    /// with the statement's question; or why none (the rule, or that it
    /// could not be drawn).
    async fn chart(
        &self,
        rows: ChartRows,
        cut: Option<u64>,
        stored: &StoredStatement,
    ) -> Result<Charted, NoChart> {
        let lang = self.lang();
        let title = stored.question.clone().unwrap_or_default();
        let name = format!("pstral-query-{}.png", stored.id);
        // Reading up to 10,000 rows' cells and drawing are CPU work: off
        // the async threads, and bounded in time whatever plotters does.
        let drawn = tokio::task::spawn_blocking(move || {
            let chart = rows.choose(cut).map_err(Ok)?;
            let number = |v: f64| crate::i18n::chart::number(v, lang);
            let drawn = crate::chart::draw(&chart, &title, &number).map_err(Err)?;
            Ok::<_, Result<NoChart, crate::chart::DrawError>>((chart, drawn))
        });
        let (chart, drawn) = match tokio::time::timeout(DRAWING_TIME, drawn).await {
            Ok(Ok(Ok(drawn))) => drawn,
            Ok(Ok(Err(Ok(none)))) => return Err(none),
            Ok(Ok(Err(Err(e)))) => {
                tracing::error!(error = %e, "cannot draw a chart");
                return Err(NoChart::Undrawn);
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the chart's drawing failed");
                return Err(NoChart::Undrawn);
            }
            // The thread is left to finish; the result goes without it.
            Err(_) => {
                tracing::error!(limit = ?DRAWING_TIME, "a chart took too long to draw");
                return Err(NoChart::Undrawn);
            }
        };
        Ok(Charted {
            kind: chart.kind,
            rule: chart.rule,
            width: drawn.width,
            height: drawn.height,
            attachment: Attachment {
                file_name: name,
                media_type: "image/png".to_owned(),
                bytes: drawn.png,
                image: Some(pstral_chat::Image {
                    width: drawn.width,
                    height: drawn.height,
                    description: crate::i18n::chart::description(&chart, lang),
                    thumbnail: Some(pstral_chat::Thumbnail {
                        bytes: drawn.thumbnail,
                        width: drawn.width / 2,
                        height: drawn.height / 2,
                    }),
                }),
            },
        })
    }

    /// Refuses a statement its clicker may not read, recorded with the
    /// rule; the reply says what is hidden and by which rule.
    async fn refuse_reading(
        &self,
        to: &Listeners<'_>,
        user: &User,
        stored: &StoredStatement,
        not: &NotReadable,
    ) -> Reply<'static> {
        let said = match not {
            NotReadable::Hidden(hidden) => Results::HiddenFromYou(hidden),
            NotReadable::Unchecked => Results::AccessUnchecked,
        }
        .render(self.lang());
        let (rule, group) = (not.rule(), not.group());
        let event = NewEvent::new(
            EventKind::AccessRefused,
            actor_of(user, to.actor),
            json!({"reason": "hidden", "rule": rule, "group": group, "statement": stored.id, "detail": said}),
        )
        .at(to.place.clone());
        if !self.record(event, "audit a refused reading").await {
            return Reply::Unrecorded {
                what: "audit a refused reading; not running it",
                error: "the audit could not take it".to_owned(),
            };
        }
        Reply::Said(said)
    }

    /// Whether the rows may still be posted in the place, its readers read
    /// again now (see [`Watch::still_readable`]): who they are, or why
    /// not.
    async fn still_readable(
        &self,
        to: &Listeners<'_>,
        sql: &SqlRuntime,
        (watch, errored): (&Watch, bool),
        part: &str,
    ) -> Result<super::PlaceReaders, Redirect> {
        let readers = self.place_readers(to.platform, to.place, to.actor).await;
        let readership = readers.as_ref().map(|r| &r.readership);
        watch
            .still_readable(sql, readership, errored)
            .and_then(|()| readers.ok_or(Redirect::Unknown))
            .inspect_err(|why| tracing::info!(part, why = %why.to_json("posting"), "the readers of the place changed before a result was posted"))
    }

    /// The third step: what the chat shows of a run, within the platform's
    /// message size: the preview as text and a table, or why it failed; the
    /// files; and the result's shape, which "correct" and "wrong" judge.
    fn compose_result(&self, platform: &dyn ChatPlatform, ran: Ran, statement: i64) -> Shown {
        let lang = self.lang();
        let Ran {
            outcome,
            preview,
            csv,
            xlsx,
            chart,
            no_chart,
            private,
            redirected,
            watch,
            progress,
            index,
        } = ran;
        // Why there is no chart, for someone who asked for one, fits too.
        let no_chart = no_chart.map(|why| format!("\n{}", Results::NoChart(why).render(lang)));
        // The text for the place, or for the clicker alone: a heading says
        // so, and a hint how to say whether it is right (no control can
        // follow a private reply; only under a result).
        let prefix = platform.limits().command_prefix;
        let render = |private: bool| {
            let (heading, hint) = if private {
                let hint = if outcome.is_ok() {
                    format!("\n{}", Feedback::Typed { prefix }.render(lang))
                } else {
                    String::new()
                };
                (
                    format!("{}\n", Results::SentPrivately { index }.render(lang)),
                    hint,
                )
            } else {
                (String::new(), String::new())
            };
            let max_chars = platform.limits().max_message_chars.saturating_sub(
                heading.chars().count()
                    + hint.chars().count()
                    + no_chart.as_ref().map_or(0, |n| n.chars().count()),
            );
            let (body, table) = match &outcome {
                Ok(o) => {
                    let caption = |shown, total, truncated| {
                        Results::RowsCaption {
                            shown,
                            total,
                            truncated,
                        }
                        .render(lang)
                    };
                    let (text, table) =
                        preview_with_table(&preview, o.rows, o.truncated, max_chars, &caption);
                    (text, Some(table))
                }
                Err(e) => (Results::ExecFailed { error: e }.render(lang), None),
            };
            let body = body + no_chart.as_deref().unwrap_or_default();
            (format!("{heading}{body}{hint}"), table)
        };
        let (text, table) = render(private);
        // Ready in case the place's readers change before it is posted.
        let private_text = watch.as_ref().map(|_| render(true).0);
        // The chart first, where a platform shows an image large.
        let files = if outcome.is_ok() {
            chart
                .into_iter()
                .chain(result_files(csv, xlsx, statement))
                .collect()
        } else {
            Vec::new()
        };
        let shape = outcome.as_ref().ok().map(|o| ResultShape {
            columns: o.columns.iter().map(|c| c.name.clone()).collect(),
            rows: o.rows,
            truncated: o.truncated,
        });
        Shown {
            text,
            private_text,
            table,
            files,
            shape,
            private,
            redirected,
            watch,
            progress,
            index,
        }
    }

    /// The last step: the result delivered to the clicker alone or to the
    /// place (replacing the progress message), its files attached, and the
    /// result kept for "correct" and "wrong" once it is shown. In the place,
    /// its readers are read again immediately before each part that carries
    /// rows (the preview, the chart with its description, each file): if
    /// one of them may no longer read the rows, what is left goes to the
    /// clicker alone and the place is told, as at the click. Where each
    /// part went, and who read the place then, is audited. Returns how the
    /// delivery ended, for [`Bot::report`]: results meant for the clicker
    /// alone that could not reach them are said in the place, without any
    /// of the data; a result that could not be posted is said to the use
    /// case's audience. A file that could not be attached is said in the
    /// place at once, where it is missing, and the others still go.
    async fn deliver_result(
        &self,
        to: &Listeners<'_>,
        sql: &SqlRuntime,
        user: &User,
        stored: &StoredStatement,
        shown: Shown,
    ) -> Reply<'static> {
        let (platform, place) = (to.platform, to.place);
        let Shown {
            mut text,
            private_text,
            table,
            files,
            shape,
            mut private,
            mut redirected,
            watch,
            progress,
            index,
        } = shown;
        let mut posted = Posted::new(stored, index);
        let errored = shape.is_none();
        // In the place, the preview replaces the progress message, which
        // was just posted: the edit interval is waited out before its
        // readers are read.
        if progress.is_some() && !private {
            tokio::time::sleep(platform.limits().min_edit_interval).await;
        }
        let mut preview_readers = None;
        if !private && let Some(watch) = &watch {
            match self
                .still_readable(to, sql, (watch, errored), "preview")
                .await
            {
                Ok(readers) => preview_readers = Some(readers),
                Err(why) => {
                    (private, redirected) = (true, Some(Redirected::at(why, "preview")));
                    text = private_text.unwrap_or(text);
                }
            }
        }
        if private {
            let parts = (text, files, shape);
            return self
                .deliver_privately(to, (user, stored), parts, (redirected, progress), index)
                .await;
        }
        let shown = self.show_result(to, &text, table.as_ref(), progress).await;
        posted.part_in_place("preview", preview_readers, shown.is_ok());
        let mut files = files.into_iter();
        while let Some(attachment) = files.next() {
            let readers = match &watch {
                None => None,
                Some(watch) => match self
                    .still_readable(to, sql, (watch, errored), &attachment.file_name)
                    .await
                {
                    Ok(readers) => Some(readers),
                    Err(why) => {
                        let why = Redirected::at(why, &attachment.file_name);
                        let rest: Vec<Attachment> =
                            std::iter::once(attachment).chain(files.by_ref()).collect();
                        self.send_rest_privately(to, (index, &why), rest, &mut posted)
                            .await;
                        redirected = Some(why);
                        break;
                    }
                },
            };
            let name = attachment.file_name.clone();
            let attached = platform.attach(place, attachment).await;
            posted.part_in_place(&name, readers, attached.is_ok());
            if let Err(e) = attached {
                let failed = Reply::Failed {
                    what: "attach a result",
                    error: e.to_string(),
                    tell: Results::CannotAttach.into(),
                };
                self.report(to, Reply::InPlace(Box::new(failed))).await;
            }
        }
        self.record_posted(to, user, posted, redirected.as_ref())
            .await;
        match (shown, &shape) {
            (Ok(message), Some(shape)) => {
                self.record_result(platform, place, Some(&message), stored, user, shape)
                    .await;
                Reply::Silent
            }
            (Ok(_), None) => Reply::Silent,
            (Err(e), _) => Reply::Failed {
                what: "post a query's result",
                error: e.to_string(),
                tell: Results::CannotShowResult.into(),
            },
        }
    }

    /// A result for the clicker alone: its text and files in one private
    /// reply, the place told why when its readers were the reason, the
    /// result kept for "correct" and "wrong", where it went audited. One
    /// that cannot reach them is said in the place, without any of its
    /// data (in the progress message when there is one).
    async fn deliver_privately(
        &self,
        to: &Listeners<'_>,
        (user, stored): (&User, &StoredStatement),
        (text, files, shape): (String, Vec<Attachment>, Option<ResultShape>),
        (redirected, mut progress): (Option<Redirected>, Option<MessageRef>),
        index: u32,
    ) -> Reply<'static> {
        let (platform, place) = (to.platform, to.place);
        let mut posted = Posted::new(stored, index);
        let delivered = platform
            .reply_privately(to.actor, place, &text, files)
            .await;
        posted.part("preview and files", delivered.is_ok());
        let reply = match delivered {
            Ok(()) => {
                if let Some(why) = &redirected {
                    self.say_redirected(to, index, why, progress.take()).await;
                }
                if let Some(shape) = &shape {
                    self.record_result(platform, place, None, stored, user, shape)
                        .await;
                }
                Reply::Silent
            }
            Err(e) => {
                let failed = undelivered(&e);
                // The progress message says it, rather than running
                // for ever.
                match progress.take() {
                    Some(m) => {
                        let said = Results::CannotDeliverPrivately.render(self.lang());
                        if to.platform.edit(&m, &said).await.is_ok() {
                            tracing::error!(error = %e, "cannot deliver results privately");
                            Reply::Silent
                        } else {
                            Reply::InPlace(Box::new(failed))
                        }
                    }
                    None => Reply::InPlace(Box::new(failed)),
                }
            }
        };
        self.record_posted(to, user, posted, redirected.as_ref())
            .await;
        reply
    }

    /// The files left of a result, sent to the clicker alone when a reader
    /// of the place may no longer read them (`why`), and the place told.
    async fn send_rest_privately(
        &self,
        to: &Listeners<'_>,
        (index, why): (u32, &Redirected),
        rest: Vec<Attachment>,
        posted: &mut Posted,
    ) {
        let names: Vec<String> = rest.iter().map(|a| a.file_name.clone()).collect();
        let heading = Results::SentPrivately { index }.render(self.lang());
        let delivered = to
            .platform
            .reply_privately(to.actor, to.place, &heading, rest)
            .await;
        posted.part(&names.join(", "), delivered.is_ok());
        match delivered {
            Ok(()) => self.say_redirected(to, index, why, None).await,
            Err(e) => {
                self.report(to, Reply::InPlace(Box::new(undelivered(&e))))
                    .await
            }
        }
    }

    /// Tells the place where a result went and why, none of its data: in
    /// the progress message when there is one, else in a new message.
    async fn say_redirected(
        &self,
        to: &Listeners<'_>,
        index: u32,
        why: &Redirected,
        progress: Option<MessageRef>,
    ) {
        let said = Results::Redirected {
            index,
            why: why.why.said(),
        }
        .render(self.lang());
        let edited = match &progress {
            Some(m) => to.platform.edit(m, &said).await.is_ok(),
            None => false,
        };
        if !edited && let Err(e) = to.platform.post(to.place, to.reply_to, &said).await {
            tracing::warn!(error = %e, "cannot say in the place that results went privately");
        }
    }

    /// Audits where each part of a result went, and who read the place
    /// when it was posted there; a result that went privately because the
    /// place's readers changed says why.
    async fn record_posted(
        &self,
        to: &Listeners<'_>,
        user: &User,
        posted: Posted,
        redirected: Option<&Redirected>,
    ) {
        let mut about = posted.about;
        about["parts"] = serde_json::Value::Array(posted.parts);
        if let Some(why) = redirected {
            about["redirected"] = why.to_json();
        }
        let event = NewEvent::new(EventKind::ResultPosted, actor_of(user, to.actor), about)
            .at(to.place.clone());
        self.record(event, "audit where a result was posted").await;
    }

    /// Shows the result in the place: in the progress message when there
    /// is one and it can still be edited, else in a new message.
    async fn show_result(
        &self,
        to: &Listeners<'_>,
        text: &str,
        table: Option<&pstral_chat::Table>,
        progress: Option<MessageRef>,
    ) -> Result<MessageRef, pstral_chat::PlatformError> {
        let (platform, place, reply_to) = (to.platform, to.place, to.reply_to);
        if let Some(m) = progress {
            let edited = match table {
                Some(t) => platform.edit_table(&m, text, t).await,
                None => platform.edit(&m, text).await,
            };
            if edited.is_ok() {
                return Ok(m);
            }
        }
        match table {
            Some(t) => platform.post_table(place, reply_to, text, t).await,
            None => platform.post(place, reply_to, text).await,
        }
    }

    /// Keeps a result shown in the chat, so that "correct" and "wrong" can
    /// judge it, and offers those controls on its message.
    async fn record_result(
        &self,
        platform: &dyn ChatPlatform,
        place: &Place,
        message: Option<&MessageRef>,
        stored: &StoredStatement,
        user: &User,
        shape: &ResultShape,
    ) {
        let recorded = self
            .parts()
            .conversations
            .record_result(
                stored.id,
                place,
                message.map(|m| m.id.as_str()),
                user.id,
                shape,
            )
            .await;
        let result = match recorded {
            Ok(id) => id,
            Err(e) => {
                self.unrecorded("record a result; it cannot be confirmed", &e);
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
        self.record(event, "audit a refused control").await;
        self.tell_privately(platform, actor, place, Sql::ControlNotValid.into())
            .await;
    }
}

/// Results meant for the clicker alone that could not reach them: said in
/// the place, without any of the data.
fn undelivered(e: &pstral_chat::PlatformError) -> Reply<'static> {
    Reply::Failed {
        what: "deliver results privately",
        error: e.to_string(),
        tell: Results::CannotDeliverPrivately.into(),
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
                image: None,
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot finish a result file");
                None
            }
        })
        .collect()
}

/// A statement's run, as far as it went: how it ended and what its sinks
/// hold, and where its result goes.
struct Ran {
    outcome: Result<Outcome, ExecError>,
    preview: Preview,
    csv: CsvSink<Vec<u8>>,
    xlsx: XlsxSink,
    /// The chart beside the table, when there is one.
    chart: Option<Attachment>,
    /// Why there is none, for someone who asked for one.
    no_chart: Option<NoChart>,
    /// The result goes to the clicker alone.
    private: bool,
    /// Why it does, when the place's readers may not all read it.
    redirected: Option<Redirected>,
    /// What the place's readers are checked against again before each
    /// part is posted there; `None` when no rule hides anything from
    /// anyone, or the result goes privately.
    watch: Option<Watch>,
    /// The "running" message in the place, replaced by the result.
    progress: Option<MessageRef>,
    index: u32,
}

/// The longest a chart may take to draw (a few tens of milliseconds in a
/// release build at the most rows): past it the result goes without one.
const DRAWING_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// A result's chart, ready to attach.
struct Charted {
    kind: crate::chart::Kind,
    rule: crate::chart::Rule,
    width: u32,
    height: u32,
    attachment: Attachment,
}

/// A click's statement approved to run: the request in the audit, and
/// where its rows go.
struct Approval<'a> {
    approved: execution::Approved<'a>,
    /// Its rows go to the clicker alone.
    private: bool,
    /// Why, when the place's readers may not all read them.
    redirected: Option<Redirected>,
    /// What the place's readers are held to before each part is posted.
    watch: Option<Watch>,
}

/// What the chat shows of a run: its message, table and files.
struct Shown {
    text: String,
    /// The same for the clicker alone, when the place's readers may still
    /// change before it is posted there.
    private_text: Option<String>,
    table: Option<pstral_chat::Table>,
    files: Vec<Attachment>,
    /// Set when a result came back, for "correct" and "wrong" to judge.
    shape: Option<ResultShape>,
    private: bool,
    /// Why the result goes privately, when the place's readers may not all
    /// read it.
    redirected: Option<Redirected>,
    watch: Option<Watch>,
    progress: Option<MessageRef>,
    index: u32,
}
