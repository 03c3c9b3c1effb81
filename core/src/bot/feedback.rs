//! "Correct" and "wrong" on a query's result (a button, a reaction, or
//! `good`/`bad` typed), and the admin's `examples` command.
//!
//! "Correct" stores the question and the SQL that answered it (without its
//! comments) as an example of the target, when the person who says so has
//! the configured role, and an admin has not removed that pair before; the
//! SQL is judged by the target's policy again first.
//! "Wrong" is recorded and stores nothing. Both are audited, with who said
//! it, about which result.

use pstral_chat::{ChatPlatform, ExamplesQuery, Place, PlatformIdentity};
use serde_json::json;

use super::reply::Reply;
use super::{Bot, Listeners, actor_of};
use crate::audit::{EventKind, NewEvent};
use crate::i18n::{Feedback, Lang, Text};
use crate::identity::{Permission, User};
use crate::learn::examples::{Examples, NewExample, Source, Stored};
use crate::sql_target::SqlRuntime;

impl Bot {
    /// Someone says the result shown on `message_id` (or, typed, the latest
    /// result here) is right or wrong. `claimed` is the result the control
    /// was made for, checked against the store.
    pub(super) async fn feedback(&self, to: &Listeners<'_>, correct: bool, claimed: Option<i64>) {
        let (Ok(reply) | Err(reply)) = self.judge_result(to, correct, claimed).await;
        self.report(to, reply).await;
    }

    /// What "correct" or "wrong" does: `Ok` with what to tell when it was
    /// taken into account, `Err` with why not.
    async fn judge_result(
        &self,
        to: &Listeners<'_>,
        correct: bool,
        claimed: Option<i64>,
    ) -> Result<Reply<'_>, Reply<'_>> {
        let (platform, actor, place, message_id) = (to.platform, to.actor, to.place, to.reply_to);
        let user = self.authorize(to, Permission::Chat).await?;
        let conversations = &self.parts().conversations;
        let found = match message_id {
            Some(id) => conversations.result_on(place, id).await,
            None => conversations.latest_result_of(place, user.id).await,
        }
        .map_err(Reply::unrecorded("read a result"))?;
        if let Some(claim) = claimed
            && found.as_ref().is_none_or(|r| r.id != claim)
        {
            let claim = json!({"feedback": correct, "result": claim});
            self.refuse_control(platform, Some(&user), actor, place, message_id, claim)
                .await;
            return Err(Reply::Silent);
        }
        let Ok(sql) = &self.parts().sql else {
            return Err(self.sql_unavailable());
        };
        let result = found.ok_or(Reply::Tell(Feedback::NoResultToJudge.into()))?;
        let about = json!({
            "result": result.id,
            "statement": result.statement_id,
            "question": result.question,
            "sql": result.sql_text,
            "rows": result.row_count,
        });
        if !correct {
            let mut payload = about;
            payload["verdict"] = json!("wrong");
            let event = NewEvent::new(EventKind::Feedback, actor_of(&user, actor), payload)
                .at(place.clone());
            self.parts()
                .audit
                .append(event)
                .await
                .map_err(Reply::unrecorded("audit feedback"))?;
            return Ok(Reply::Tell(Feedback::Noted.into()));
        }
        self.confirm(to, &user, sql, &result, about).await
    }

    /// "Correct": the result's question and SQL stored as an example, when
    /// `user` has the role to vouch for it (see `sql.confirm_role`).
    async fn confirm<'s>(
        &'s self,
        to: &Listeners<'_>,
        user: &User,
        sql: &'s SqlRuntime,
        result: &crate::conversation::StoredResult,
        about: serde_json::Value,
    ) -> Result<Reply<'s>, Reply<'s>> {
        let place = to.place;
        let actor_rec = actor_of(user, to.actor);
        // Who may make it an example: someone with the configured role,
        // never the asker alone. An example is shown to everyone's model,
        // so someone entitled vouches for it (and for what was asked or
        // shown in private, judges that it may be shared).
        let private = place.private || result.message_id.is_none();
        if user.role < sql.confirm_role {
            let role = sql.confirm_role.as_str();
            let mut payload = about;
            payload["reason"] = json!(if private {
                "confirm_role_private"
            } else {
                "confirm_role"
            });
            payload["needed"] = json!(role);
            payload["role"] = json!(user.role.as_str());
            let event =
                NewEvent::new(EventKind::AccessRefused, actor_rec, payload).at(place.clone());
            self.record(event, "record a refusal").await;
            let said = if private {
                Feedback::ConfirmPrivateNeedsRole { role }
            } else {
                Feedback::ConfirmNotAllowed { role }
            };
            return Err(Reply::Tell(said.into()));
        }
        // A statement offered before questions were kept with it has none.
        let question = result
            .question
            .as_deref()
            .ok_or(Reply::Tell(Feedback::ResultWithoutQuestion.into()))?;
        let examples = sql
            .learning
            .as_ref()
            .and_then(|l| l.store())
            .ok_or(Reply::Tell(Feedback::ResultWithoutQuestion.into()))?;
        // Judged again under today's policy and catalogue: only what may
        // run becomes an example.
        let valid = sql.check(&result.sql_text).map_err(Reply::Refused)?;
        // Its comments are not kept: the words shown to everyone's model are
        // the statement's own.
        let sql_text = valid.dialect.without_comments(&valid.text);
        let removed = examples
            .was_removed(&sql.target, question, &sql_text)
            .await
            .map_err(Reply::unrecorded("read the removed examples"))?;
        if removed {
            return Err(Reply::Tell(Feedback::ExampleStaysRemoved.into()));
        }
        let columns: Vec<String> = serde_json::from_str(&result.columns).unwrap_or_default();
        // The plan it was compiled from, as the definitions read it now: one
        // they no longer hold is not kept (the SQL still is).
        let plan = result.plan.as_deref().and_then(|p| sql.judge_plan(p).ok());
        let language = match result.lang.as_deref() {
            Some("fr") => Lang::Fr,
            Some(_) => Lang::En,
            None => crate::learn::text::language_of(question, self.lang()),
        };
        let stored = examples
            .add(NewExample {
                target: &sql.target,
                question,
                sql: &sql_text,
                dialect: valid.dialect,
                language,
                source: Source::Chat,
                created_by: Some((user.id, &user.name)),
                result_columns: Some(&columns),
                result_rows: Some(result.row_count),
                plan: plan.as_deref(),
            })
            .await
            .map_err(Reply::unrecorded("store an example"))?;
        let mut payload = about;
        payload["verdict"] = json!("correct");
        payload["example"] = json!(stored.id());
        payload["plan"] = json!(plan);
        payload["new"] = json!(matches!(stored, Stored::New(_)));
        payload["target"] = json!(&sql.target);
        let event = NewEvent::new(EventKind::Feedback, actor_rec, payload).at(place.clone());
        let (id, new) = (stored.id(), matches!(stored, Stored::New(_)));
        examples
            .record(stored, &self.parts().audit, Some(event))
            .await
            .map_err(Reply::unrecorded("audit feedback; the example is not kept"))?;
        Ok(Reply::Tell(Text::Feedback(Feedback::ExampleStored {
            id,
            new,
            target: &sql.target,
        })))
    }

    /// An admin lists or removes examples from the chat; the answer goes to
    /// them alone.
    pub(super) async fn examples_command(
        &self,
        platform: &dyn ChatPlatform,
        author: &PlatformIdentity,
        place: &Place,
        message: Option<&str>,
        query: ExamplesQuery,
    ) {
        let to = Listeners::only_actor(platform, author, place, message);
        let (Ok(reply) | Err(reply)) = self.examples_asked(&to, query).await;
        self.report(&to, reply).await;
    }

    async fn examples_asked(
        &self,
        to: &Listeners<'_>,
        query: ExamplesQuery,
    ) -> Result<Reply<'_>, Reply<'_>> {
        let user = self.authorize(to, Permission::Administer).await?;
        let Some((examples, target)) = self
            .parts()
            .sql
            .as_ref()
            .ok()
            .and_then(|s| s.learning.as_ref())
            .and_then(|l| Some((l.store()?, l.target())))
        else {
            return Err(self.sql_unavailable());
        };
        match query {
            ExamplesQuery::List(text) => self.list_examples(to, examples, target, text).await,
            ExamplesQuery::Remove(id) => self.remove_example(to, &user, examples, target, id).await,
        }
    }

    /// The latest examples of `target` (those that hold `text`, when
    /// given), to the admin alone.
    async fn list_examples<'s>(
        &'s self,
        to: &Listeners<'_>,
        examples: &Examples,
        target: &'s str,
        text: Option<String>,
    ) -> Result<Reply<'s>, Reply<'s>> {
        let all = examples
            .list(Some(target))
            .await
            .map_err(Reply::unrecorded("list the examples"))?;
        let total = all.len();
        let wanted = text.as_deref().map(crate::learn::text::fold);
        let matching: Vec<_> = all
            .iter()
            .rev()
            .filter(|e| {
                wanted.as_ref().is_none_or(|w| {
                    crate::learn::text::fold(&e.question).contains(w.as_str())
                        || crate::learn::text::fold(&e.sql).contains(w.as_str())
                })
            })
            .take(10)
            .collect();
        if matching.is_empty() {
            return Ok(Reply::Tell(Feedback::NoExamples { target }.into()));
        }
        let mut out = Feedback::ExamplesListed {
            shown: matching.len(),
            total,
            target,
        }
        .render(self.lang());
        for e in matching {
            let aside = e
                .set_aside
                .as_deref()
                .map(|reason| {
                    format!(
                        " ({})",
                        Feedback::ExampleSetAside { reason }.render(self.lang())
                    )
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "\n#{} — {} ({}, {}){aside}\n```sql\n{}\n```",
                e.id,
                pstral_chat::shown(&e.question),
                e.created_by.as_deref().unwrap_or(&e.source),
                e.created_at.format("%Y-%m-%d"),
                e.sql
            ));
        }
        let max = to.platform.limits().max_message_chars;
        Ok(Reply::Said(out.chars().take(max).collect()))
    }

    /// Removes the example `id` of `target`, recorded before it is done.
    async fn remove_example<'s>(
        &'s self,
        to: &Listeners<'_>,
        user: &User,
        examples: &Examples,
        target: &'s str,
        id: i64,
    ) -> Result<Reply<'s>, Reply<'s>> {
        let example = examples
            .get(id)
            .await
            .map_err(Reply::unrecorded("read an example"))?
            .filter(|e| e.target == target)
            .ok_or(Reply::Tell(Feedback::NoSuchExample { id }.into()))?;
        // Recorded before it is done, with what is removed.
        let event = NewEvent::new(
            EventKind::ExampleChanged,
            actor_of(user, to.actor),
            json!({"action": "removed", "example": id, "target": target,
                   "question": example.question, "sql": example.sql, "via": "chat"}),
        )
        .at(to.place.clone());
        self.parts()
            .audit
            .append(event)
            .await
            .map_err(Reply::unrecorded("audit a removal; not removing"))?;
        examples
            .retire(id)
            .await
            .map_err(Reply::unrecorded("remove an example"))?;
        Ok(Reply::Tell(Feedback::ExampleRemoved { id }.into()))
    }
}
