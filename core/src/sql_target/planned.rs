//! The semantic path from a question to a statement: the model asked for a
//! plan of the target's definitions, the plan read and compiled (repaired
//! once when it names something wrong), weighed against the further plans
//! drawn (`sql.plan_votes`), then offered or asked back about.

use crate::i18n::{Doubted, Lang, Readings};
use crate::learn::Skip;
use crate::llm::{ChatMessage, ChatRole, Sampling};
use crate::sql::Doubt;

use super::answer::{FOLLOWED_BY, PlanTrace, Planned, Previous, SqlAnswer, Written, collect};
use super::asked::{mentions, only_asked_values};
use super::readings::{Reading, Weighed};

/// How the plans drawn for one question are read: on its definitions,
/// with what it names, values shown or not, in the conversation's
/// language and the target's dialect.
struct Read<'a> {
    semantic: &'a crate::semantic::Semantic,
    named: &'a crate::semantic::named::Named,
    values: bool,
    lang: Lang,
    dialect: crate::sql::Dialect,
}

impl Read<'_> {
    /// A model's plan read, dated with the period the question names (as
    /// the bot read it), resolved and compiled.
    fn compiled(
        &self,
        text: &str,
    ) -> Result<(crate::semantic::plan::Resolved, String), crate::semantic::PlanError> {
        let mut plan = crate::semantic::plan::read(text)?;
        self.named.date(&mut plan, &self.semantic.definitions);
        self.resolved(plan)
    }

    fn resolved(
        &self,
        plan: crate::semantic::Plan,
    ) -> Result<(crate::semantic::plan::Resolved, String), crate::semantic::PlanError> {
        let resolved = self.semantic.resolve_for(plan, self.values)?;
        let sql = self.semantic.compile(&resolved, self.dialect)?;
        Ok((resolved, sql))
    }

    /// A plan that compiled as a reading: in words, with its key and gaps.
    fn reading(&self, resolved: crate::semantic::plan::Resolved, sql: String) -> Reading {
        let words = self
            .semantic
            .reading(&resolved, self.lang)
            .render(self.lang);
        let held = resolved.clone().held();
        let gaps = crate::semantic::doubt::gaps(&held, self.named, &self.semantic.definitions);
        Reading {
            key: held.key(),
            plan: resolved.plan,
            words,
            sql,
            gaps,
        }
    }

    /// The first doubt `on` names, as said to the asker: the draws'
    /// disagreement, else the first reading's first gap, else its repair.
    fn doubted<'s>(&'s self, weighed: &'s Weighed, on: &[Doubt]) -> Doubted<'s> {
        use crate::i18n::reading::Grain as WordGrain;
        use crate::semantic::doubt::{LeftOut, Unsaid};
        use crate::semantic::plan::Grain;
        let d = &self.semantic.definitions;
        let label = |name: &'s str| -> &'s str {
            d.dimensions
                .get(name)
                .map(|x| x.label.get(self.lang))
                .or_else(|| d.segments.get(name).map(|x| x.label.get(self.lang)))
                .or_else(|| d.measures.get(name).map(|x| x.label.get(self.lang)))
                .unwrap_or(name)
        };
        let gaps = &weighed.readings[0].gaps;
        let raised = |doubt: Doubt| on.contains(&doubt) && weighed.raised.contains(&doubt);
        if raised(Doubt::Split) {
            return Doubted::Split;
        }
        if raised(Doubt::LeftOut)
            && let Some(gap) = gaps.left_out.first()
        {
            return match gap {
                LeftOut::Value { value, .. } => Doubted::LeftOutValue(value),
                LeftOut::Segment(s) => Doubted::LeftOutSegment(label(s)),
                LeftOut::Period => Doubted::LeftOutPeriod,
                LeftOut::Grain(g) => match g {
                    // A grain left out is never "none" ([`crate::semantic::doubt::gaps`]).
                    Grain::Day | Grain::None => Doubted::LeftOutGrain(WordGrain::Day),
                    Grain::Week => Doubted::LeftOutGrain(WordGrain::Week),
                    Grain::Month => Doubted::LeftOutGrain(WordGrain::Month),
                    Grain::Quarter => Doubted::LeftOutGrain(WordGrain::Quarter),
                    Grain::Year => Doubted::LeftOutGrain(WordGrain::Year),
                },
                LeftOut::Number(n) => Doubted::LeftOutNumber(*n),
                LeftOut::Share => Doubted::LeftOutShare,
            };
        }
        if raised(Doubt::Unsaid)
            && let Some(gap) = gaps.unsaid.first()
        {
            return match gap {
                Unsaid::Filter { dimension } => Doubted::UnsaidFilter(label(dimension)),
                Unsaid::Segment(s) => Doubted::UnsaidSegment(label(s)),
                Unsaid::Measure(m) => Doubted::UnsaidMeasure(label(m)),
            };
        }
        if raised(Doubt::Repaired) {
            return Doubted::Repaired;
        }
        Doubted::Unsure
    }
}

/// A question as the semantic path reads it.
struct Question<'q> {
    /// As the asker wrote it.
    asked: &'q str,
    /// What it names, read on the turns before it when it follows them.
    named: crate::semantic::named::Named,
    /// The whole question: the turns it follows, then it.
    whole: String,
    /// The earlier answer it follows, when it follows one.
    follows: Option<&'q Previous>,
    /// The asker's language, read from the whole question.
    lang: Lang,
}

impl Question<'_> {
    /// The plan of the same question confirmed before, among `similar`
    /// (as [`SqlAnswer::confirmed_plans`] gives them), with its example's
    /// id: taken as it is, without asking the model, when its dates are the
    /// question's as read today (one written for another day is the
    /// model's to write). Never for a follow-up.
    fn confirmed(
        &self,
        similar: &[(i64, String, String)],
        semantic: &crate::semantic::Semantic,
    ) -> Option<(i64, String)> {
        let normal = crate::learn::examples::normal_question(&self.whole);
        similar
            .iter()
            .rev()
            .filter(|_| self.follows.is_none())
            .find(|(_, q, plan)| {
                crate::learn::examples::normal_question(q) == normal
                    && crate::semantic::plan::read(plan)
                        .is_ok_and(|p| self.named.dates_hold(&p, &semantic.definitions))
            })
            .map(|(id, _, plan)| (*id, plan.clone()))
    }

    /// The first round's messages: `system`, then the question; for a
    /// follow-up, the earlier question and plan before it, as the turns it
    /// changes.
    fn messages(&self, system: String) -> Vec<ChatMessage> {
        let asked = self.asked;
        let mut messages = vec![ChatMessage::new(ChatRole::System, system)];
        match self.follows {
            Some(p) => messages.extend([
                ChatMessage::new(ChatRole::User, p.question.as_str()),
                ChatMessage::new(ChatRole::Assistant, p.plan.as_str()),
                ChatMessage::new(
                    ChatRole::User,
                    format!(
                        "{asked}\n(A follow-up to the question above: write that plan again, \
                         changed only as this asks; keep what it does not change.)"
                    ),
                ),
            ]),
            None => messages.push(ChatMessage::new(ChatRole::User, asked)),
        }
        messages
    }
}

/// What every plan of one question is asked for and read with.
struct Planning<'a> {
    user: i64,
    position: &'a tokio::sync::watch::Sender<usize>,
    /// The schema the model's plans are held to.
    schema: String,
    /// What the asker's words hold, for the values the plan may compare
    /// with: the earlier question's too.
    question: &'a str,
    read: Read<'a>,
}

/// The first plan that compiled: the confirmed one, or the model's.
struct FirstPlan {
    resolved: crate::semantic::plan::Resolved,
    sql: String,
    /// The model's plan needed the repair round.
    repaired: bool,
    /// The least probability the model gave a token of a value in it
    /// ([`super::readings::least_sure`]).
    least_sure: Option<f64>,
}

impl SqlAnswer<'_> {
    /// The semantic path: the model asked for a plan of the target's
    /// definitions (its answer held to their schema), shown the confirmed
    /// plans of the most similar questions, the plan resolved and compiled,
    /// one repair round for a name or value the model got wrong. `values`:
    /// whether the prompt may show the data's values; the examples `skip`
    /// names are left out.
    ///
    /// A follow-up to an earlier answer's plan (`previous`) that names
    /// something of the definitions or the data is read with that question
    /// ([`crate::semantic::named::Named::then`]) and answered by the model
    /// changing that plan: the earlier question and plan are the turns
    /// before it. One that names nothing is a new question.
    pub async fn planned(
        &self,
        user: i64,
        asked: &str,
        values: bool,
        skip: &Skip<'_>,
        position: &tokio::sync::watch::Sender<usize>,
        previous: Option<&Previous>,
    ) -> (Planned, PlanTrace) {
        let mut trace = PlanTrace::default();
        let Some(semantic) = self.runtime.semantic() else {
            return (Planned::Free("no semantic model".to_owned()), trace);
        };
        let day = self
            .runtime
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let today = day.format("%Y-%m-%d").to_string();
        let question = self.question(&semantic, asked, day, previous);
        trace.follows = question.follows.is_some().then(|| question.whole.clone());
        let schema = semantic.schema_for(&question.named);
        let similar = self.confirmed_plans(&question.whole, values, skip).await;
        let reused = question.confirmed(&similar, &semantic);
        trace.reused = reused.as_ref().map(|(id, _)| *id);
        // Each plan shown is read anew for every question (it follows the
        // definitions the server keeps read): `sql.plan_examples` says how
        // many of the most similar are worth that.
        let shown = &similar[similar.len().saturating_sub(self.runtime.plan_examples)..];
        trace.examples = shown.iter().map(|(id, ..)| *id).collect();
        let mut system = semantic.prompt(&today, values);
        crate::semantic::prompt::confirmed(&mut system, shown);
        // The first round's messages: what every further plan is drawn
        // for.
        let messages = question.messages(system);
        let planning = Planning {
            user,
            position,
            schema,
            question: &question.whole,
            read: Read {
                semantic: &semantic,
                named: &question.named,
                values,
                lang: question.lang,
                dialect: self.runtime.policy.dialect,
            },
        };
        let first = match self
            .first_plan(&planning, messages.clone(), reused, &mut trace)
            .await
        {
            Ok(first) => first,
            Err(planned) => return (planned, trace),
        };
        let weighed = self.weigh(&planning, &messages, first, &mut trace).await;
        let planned = self.answered(&planning.read, weighed, question.follows, &mut trace);
        (planned, trace)
    }

    /// How `asked` is read on `semantic` as of `day`: with the question of
    /// the earlier answer `previous` when it follows that answer, in the
    /// asker's language.
    fn question<'q>(
        &self,
        semantic: &crate::semantic::Semantic,
        asked: &'q str,
        day: chrono::NaiveDate,
        previous: Option<&'q Previous>,
    ) -> Question<'q> {
        let named = semantic.named(asked, day);
        // A reply to the answer follows it when it names anything; in a
        // thread without replying, only a question with no subject of its
        // own ("and in Paris?") does.
        let follows =
            previous.filter(|p| named.names_something(asked) && (p.replied || named.elliptic()));
        let (named, whole) = match follows {
            Some(p) => {
                // A chain of follow-ups, each read on the turns before it.
                let earlier = p
                    .question
                    .split(FOLLOWED_BY)
                    .map(|turn| semantic.named(turn, day))
                    .reduce(|before, turn| before.then(&turn))
                    .unwrap_or_default();
                (earlier.then(&named), p.followed_by(asked))
            }
            None => (named, asked.to_owned()),
        };
        // What the bot says of the question (how it reads it, what it
        // doubts, a value the data lacks) is said in the asker's language,
        // read from the whole question as a pick reads it again; the model
        // is asked in the bot's, as `pstral eval` measures it.
        let lang = crate::learn::text::language_of(&whole, self.lang);
        Question {
            asked,
            named,
            whole,
            follows,
            lang,
        }
    }

    /// The first plan for `messages` that compiles: the confirmed plan
    /// `reused` when there is one, else the model's, with one repair round
    /// for a name or value it got wrong. `Err`: what the question comes to
    /// without one (a value the data does not hold, said; else the free
    /// path, and why).
    async fn first_plan(
        &self,
        planning: &Planning<'_>,
        mut messages: Vec<ChatMessage>,
        mut reused: Option<(i64, String)>,
        trace: &mut PlanTrace,
    ) -> Result<FirstPlan, Planned> {
        let (read, question) = (&planning.read, planning.question);
        let (semantic, values, lang) = (read.semantic, read.values, read.lang);
        // The model's own first plan is the second round's when a
        // confirmed plan was tried first: no repair of the model's then.
        let confirmed_first = reused.is_some();
        for round in 0..2 {
            let written = self
                .round_plan(planning, &messages, reused.take(), trace)
                .await?;
            trace.pieces += written.pieces;
            trace.first_token = trace.first_token.or(written.first_token);
            trace.answers.push(written.text.clone());
            let error = match read.compiled(&written.text) {
                Ok((resolved, sql)) => {
                    return Ok(FirstPlan {
                        resolved,
                        sql,
                        repaired: round == 1 && !confirmed_first,
                        least_sure: super::readings::least_sure(&written.logprobs),
                    });
                }
                Err(crate::semantic::PlanError::UnknownValue {
                    dimension,
                    value,
                    near,
                }) if mentions(question, &value) || round == 1 => {
                    let label = semantic
                        .definitions
                        .dimensions
                        .get(&dimension)
                        .map_or(dimension.as_str(), |d| d.label.get(lang));
                    let said = Readings::PlanValueUnknown {
                        dimension: label,
                        value: &value,
                        near: &near.join(", "),
                    }
                    .render(lang);
                    return Err(Planned::Said(said));
                }
                // A value the data does not hold, written by the model
                // rather than asked: once more, with the values it holds.
                Err(crate::semantic::PlanError::UnknownValue {
                    dimension, value, ..
                }) if round == 0 && !mentions(question, &value) => {
                    // The data's values, only to whoever may read them.
                    let held = match semantic.values_of(&dimension) {
                        Some(held) if values => format!(
                            ", which holds '{}'",
                            held.iter()
                                .take(crate::sql::schema::MAX_LISTED_VALUES)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("', '")
                        ),
                        _ => String::new(),
                    };
                    format!(
                        "{dimension}: no value {value:?} in the data{held}; a named segment \
                         may say it instead"
                    )
                }
                Err(e) if e.repairable() && round == 0 => e.to_string(),
                Err(e) => return Err(Planned::Free(e.to_string())),
            };
            // A confirmed plan that no longer compiles is repaired by the
            // model, like its own.
            trace.reused = None;
            messages.push(ChatMessage::new(ChatRole::Assistant, written.text));
            messages.push(ChatMessage::new(
                ChatRole::User,
                format!("This plan cannot be used: {error}. Write the corrected plan."),
            ));
        }
        Err(Planned::Free("the repaired plan failed".to_owned()))
    }

    /// A round's plan as written: the confirmed plan `reused` as it is, or
    /// else the model's answer to `messages`. `Err`: the free path, when
    /// the model gave none.
    async fn round_plan(
        &self,
        planning: &Planning<'_>,
        messages: &[ChatMessage],
        reused: Option<(i64, String)>,
        trace: &mut PlanTrace,
    ) -> Result<Written, Planned> {
        if let Some((_, plan)) = reused {
            return Ok(Written {
                text: plan,
                pieces: 0,
                first_token: None,
                cut: None,
                logprobs: Vec::new(),
            });
        }
        trace.prompt_tokens += crate::llm::prompt_tokens(messages);
        let Planning {
            user,
            position,
            schema,
            ..
        } = planning;
        self.shaped(*user, messages, schema, position, None, self.sure_asked())
            .await
            .map_err(|e| Planned::Free(format!("the plan: {e}")))
    }

    /// The readings of `first` and of the further plans drawn for the first
    /// round's `messages`, weighed.
    async fn weigh(
        &self,
        planning: &Planning<'_>,
        messages: &[ChatMessage],
        first: FirstPlan,
        trace: &mut PlanTrace,
    ) -> Weighed {
        let read = &planning.read;
        // The plans drawn beside the greedy one, grouped by how they read
        // the question. A confirmed plan taken as it is is drawn no more.
        let votes = &self.runtime.plan_votes;
        let mut distinct = vec![read.reading(first.resolved, first.sql)];
        let mut draws = vec![Some(0)];
        let mut draw_ms = Vec::new();
        if trace.reused.is_none() {
            for seed in 1..votes.count as u64 {
                let started = std::time::Instant::now();
                let sampling = Sampling {
                    temperature: votes.temperature,
                    seed,
                };
                let drawn = match self
                    .shaped(
                        planning.user,
                        messages,
                        &planning.schema,
                        planning.position,
                        Some(sampling),
                        false,
                    )
                    .await
                {
                    Ok(written) => {
                        trace.pieces += written.pieces;
                        trace.prompt_tokens += crate::llm::prompt_tokens(messages);
                        let compiled = read.compiled(&written.text).ok();
                        trace.drawn.push(written.text);
                        compiled
                    }
                    Err(e) => {
                        trace.drawn.push(format!("(no plan: {e})"));
                        None
                    }
                };
                draw_ms.push(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
                draws.push(drawn.map(|(resolved, sql)| {
                    let key = resolved.clone().held().key();
                    distinct
                        .iter()
                        .position(|r| r.key == key)
                        .unwrap_or_else(|| {
                            distinct.push(read.reading(resolved, sql));
                            distinct.len() - 1
                        })
                }));
            }
        }
        Weighed::of(
            distinct,
            draws,
            draw_ms,
            (first.repaired, first.least_sure, votes.unsure_below),
        )
    }

    /// What the bot makes of the readings `weighed`: the first, with its
    /// statement, or, on a doubt `sql.ask_back` names, the readings to pick
    /// from, asked back; either under the earlier question a follow-up
    /// (`follows`) is read with.
    fn answered(
        &self,
        read: &Read<'_>,
        weighed: Weighed,
        follows: Option<&Previous>,
        trace: &mut PlanTrace,
    ) -> Planned {
        let (votes, lang) = (&self.runtime.plan_votes, read.lang);
        // Said, so that a question read with the one before it is never a
        // surprise.
        let above = follows.map(|p| {
            let earlier = p.question.rsplit(FOLLOWED_BY).next().unwrap_or_default();
            format!("{}\n", Readings::FollowsEarlier { earlier }.render(lang))
        });
        let first = weighed.readings[0].clone();
        if trace.reused.is_none() && weighed.asks(&votes.ask_back) {
            let mut choices: Vec<super::readings::Reading> =
                weighed.readings.iter().take(3).cloned().collect();
            // One reading that adds what nobody named: the reading without
            // it beside.
            if choices.len() == 1
                && let Some(plan) =
                    crate::semantic::doubt::without_unsaid(&first.plan, &first.gaps.unsaid)
                && let Ok((resolved, sql)) = read.resolved(plan)
            {
                choices.push(read.reading(resolved, sql));
            }
            let words: Vec<String> = choices.iter().map(|r| r.words.clone()).collect();
            let why = read.doubted(&weighed, &votes.ask_back);
            let answer = format!(
                "{}{}",
                above.unwrap_or_default(),
                Readings::AskBack {
                    why,
                    readings: &words,
                }
                .render(lang)
            );
            trace.weighed = Some(weighed);
            return Planned::Asked {
                answer,
                readings: choices,
                lang,
            };
        }
        let answer = Readings::PlanAnswer {
            reading: &first.words,
            confirmed: trace.reused,
            sql: &first.sql,
        }
        .render(lang);
        trace.weighed = Some(weighed);
        Planned::Compiled {
            answer: format!("{}{answer}", above.unwrap_or_default()),
            sql: first.sql,
            plan: Box::new(first.plan),
        }
    }

    /// The confirmed examples of the questions most similar to `question`
    /// that were answered through a plan the definitions still hold, as
    /// (id, question, plan), most similar last; those `skip` names left out,
    /// and, for who may not read data (`values` false), those whose plan
    /// holds a value of the data that the question does not write.
    async fn confirmed_plans(
        &self,
        question: &str,
        values: bool,
        skip: &Skip<'_>,
    ) -> Vec<(i64, String, String)> {
        let Some(learning) = &self.runtime.learning else {
            return Vec::new();
        };
        let Some(ranked) = self.ranked(question).await else {
            return Vec::new();
        };
        let check = |example: &crate::learn::examples::Example| self.runtime.judge_example(example);
        // A plan the definitions no longer hold is left out, not set aside:
        // the example's SQL still serves the free path.
        let planless = |example: &crate::learn::examples::Example| {
            skip(example)
                || self.runtime.hides_example(example)
                || example.plan.as_deref().is_none_or(|p| {
                    self.runtime.judge_plan(p).is_err()
                        || (!values && !only_asked_values(p, question))
                })
        };
        let picked = learning
            .choose_from(&ranked, self.runtime.examples_budget, &check, &planless)
            .await;
        picked
            .examples
            .iter()
            .filter_map(|e| {
                let plan = self.runtime.judge_plan(e.plan.as_deref()?).ok()?;
                Some((e.id, e.question.clone(), plan))
            })
            .collect()
    }

    /// Whether the greedy plan comes with its tokens' probabilities: only
    /// when they may make the bot ask back (`sql.ask_back` names "unsure"),
    /// or for `pstral eval`, which measures them ([`SqlAnswer::measured`]).
    fn sure_asked(&self) -> bool {
        self.measured || self.runtime.plan_votes.ask_back.contains(&Doubt::Unsure)
    }

    /// The model's whole answer to `messages`, held to `schema`, drawn
    /// with `sampling` when given, with its tokens' probabilities when
    /// `logprobs`.
    async fn shaped(
        &self,
        user: i64,
        messages: &[ChatMessage],
        schema: &str,
        position: &tokio::sync::watch::Sender<usize>,
        sampling: Option<Sampling>,
        logprobs: bool,
    ) -> Result<Written, String> {
        let asked = std::time::Instant::now();
        let shape = crate::llm::Shape { schema, logprobs };
        let tokens = self
            .llm
            .ask_shaped(user, messages, position, sampling, Some(shape))
            .await
            .map_err(|e| e.to_string())?;
        // A plan cut at the length bound is no plan: the model failed.
        let written = collect(tokens, asked).await?;
        match written.cut {
            Some(cut) => Err(cut),
            None => Ok(written),
        }
    }
}
