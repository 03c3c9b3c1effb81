//! Answers being written, and Stop: the one place that decides who may stop
//! an answer. The Stop control under an answer stops that answer, for its
//! asker or an admin; the typed `stop` command stops the answers its author
//! asked for in that place; shutdown stops them all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pstral_chat::Place;
use tokio_util::sync::CancellationToken;

use crate::i18n::Answer;
use crate::identity::{Role, User};

/// Which answers a Stop is for.
pub(super) enum Which<'a> {
    /// The answer written in this message (its Stop control, or a reaction
    /// on it), in this place.
    Answer { message: &'a str, place: &'a Place },
    /// Every answer that the person asked for in this place.
    MineIn(&'a Place),
}

/// The answers being written, by the id of the bot's message.
#[derive(Default)]
pub(super) struct Answers {
    active: Mutex<HashMap<String, Active>>,
}

struct Active {
    place: Place,
    asker: i64,
    stop: CancellationToken,
    /// Who used Stop, for the record of the answer.
    stopped_by: Arc<Mutex<Option<String>>>,
}

/// One answer being written: cancelled by Stop, removed from the
/// registry when it is dropped.
pub(super) struct Writing<'a> {
    answers: &'a Answers,
    message: String,
    pub(super) stop: CancellationToken,
    stopped_by: Arc<Mutex<Option<String>>>,
}

impl Writing<'_> {
    /// Who stopped the answer (a platform identity, or "shutdown").
    pub(super) fn stopped_by(&self) -> Option<String> {
        self.stopped_by.lock().expect("never poisoned").clone()
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.answers
            .active
            .lock()
            .expect("never poisoned")
            .remove(&self.message);
    }
}

impl Answers {
    /// Registers the answer written in `message` for `asker`.
    pub(super) fn start(&self, message: &str, place: &Place, asker: i64) -> Writing<'_> {
        let stop = CancellationToken::new();
        let stopped_by = Arc::new(Mutex::new(None));
        self.active.lock().expect("never poisoned").insert(
            message.to_owned(),
            Active {
                place: place.clone(),
                asker,
                stop: stop.clone(),
                stopped_by: Arc::clone(&stopped_by),
            },
        );
        Writing {
            answers: self,
            message: message.to_owned(),
            stop,
            stopped_by,
        }
    }

    /// Stops `which` answers for `user`, decided now, for the person who
    /// acts; `by` is recorded as who stopped them. Returns how many were
    /// stopped, or what to tell the person.
    pub(super) fn stop(
        &self,
        which: Which<'_>,
        user: &User,
        by: &str,
    ) -> Result<usize, Answer<'static>> {
        let active = self.active.lock().expect("never poisoned");
        let chosen: Vec<&Active> = match which {
            Which::Answer { message, place } => {
                // The message names the answer; its room or channel must
                // match (a reaction does not say which thread it is in).
                let Some(answer) = active.get(message).filter(|a| {
                    a.place.platform == place.platform && a.place.channel == place.channel
                }) else {
                    return Err(Answer::NothingToStop);
                };
                // The asker's answer, or anyone's for an admin.
                if answer.asker != user.id && user.role != Role::Admin {
                    return Err(Answer::StopNotAllowed);
                }
                vec![answer]
            }
            // Only one's own: a typed stop does not reach others' answers,
            // whatever the role.
            Which::MineIn(place) => active
                .values()
                .filter(|a| a.place == *place && a.asker == user.id)
                .collect(),
        };
        if chosen.is_empty() {
            return Err(Answer::NothingToStop);
        }
        for a in &chosen {
            *a.stopped_by.lock().expect("never poisoned") = Some(by.to_owned());
            a.stop.cancel();
        }
        Ok(chosen.len())
    }

    /// Stops every answer, because the service is stopping.
    pub(super) fn stop_all(&self) -> usize {
        let active = self.active.lock().expect("never poisoned");
        for a in active.values() {
            *a.stopped_by.lock().expect("never poisoned") = Some("shutdown".to_owned());
            a.stop.cancel();
        }
        active.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> User {
        User {
            id,
            name: format!("u{id}"),
            role,
            created_at: chrono::Utc::now(),
        }
    }

    fn place(channel: &str) -> Place {
        Place {
            platform: "discord".parse().unwrap(),
            channel: channel.to_owned(),
            thread: None,
            private: false,
        }
    }

    #[test]
    fn the_stop_control_stops_an_answer_for_its_asker_or_an_admin_only() {
        let answers = Answers::default();
        let here = place("c1");
        let asked = answers.start("m1", &here, 1);
        let on_m1 = || Which::Answer {
            message: "m1",
            place: &here,
        };
        assert_eq!(
            answers.stop(on_m1(), &user(2, Role::Executor), "discord:2"),
            Err(Answer::StopNotAllowed)
        );
        assert!(!asked.stop.is_cancelled());
        assert_eq!(
            answers.stop(on_m1(), &user(3, Role::Admin), "discord:3"),
            Ok(1)
        );
        assert!(asked.stop.is_cancelled());
        assert_eq!(asked.stopped_by().as_deref(), Some("discord:3"));

        let mine = answers.start("m2", &here, 1);
        let on_m2 = Which::Answer {
            message: "m2",
            place: &here,
        };
        assert_eq!(
            answers.stop(on_m2, &user(1, Role::Viewer), "discord:1"),
            Ok(1)
        );
        assert!(mine.stop.is_cancelled());
    }

    #[test]
    fn a_control_from_another_room_or_on_a_finished_answer_stops_nothing() {
        let answers = Answers::default();
        let here = place("c1");
        let elsewhere = place("c2");
        let asked = answers.start("m1", &here, 1);
        let admin = user(3, Role::Admin);
        let from_elsewhere = Which::Answer {
            message: "m1",
            place: &elsewhere,
        };
        assert_eq!(
            answers.stop(from_elsewhere, &admin, "x"),
            Err(Answer::NothingToStop)
        );
        assert!(!asked.stop.is_cancelled());
        drop(asked);
        let finished = Which::Answer {
            message: "m1",
            place: &here,
        };
        assert_eq!(
            answers.stop(finished, &admin, "x"),
            Err(Answer::NothingToStop)
        );
    }

    #[test]
    fn the_typed_stop_reaches_only_ones_own_answers_in_that_place_even_for_an_admin() {
        let answers = Answers::default();
        let here = place("c1");
        let mine = answers.start("m1", &here, 3);
        let theirs = answers.start("m2", &here, 1);
        let mine_elsewhere = answers.start("m3", &place("c2"), 3);
        let admin = user(3, Role::Admin);
        assert_eq!(
            answers.stop(Which::MineIn(&here), &admin, "discord:3"),
            Ok(1)
        );
        assert!(mine.stop.is_cancelled());
        assert!(!theirs.stop.is_cancelled());
        assert!(!mine_elsewhere.stop.is_cancelled());
        assert_eq!(
            answers.stop(Which::MineIn(&place("c9")), &admin, "discord:3"),
            Err(Answer::NothingToStop)
        );
    }

    #[test]
    fn shutdown_stops_every_answer_and_says_so() {
        let answers = Answers::default();
        let a = answers.start("m1", &place("c1"), 1);
        let b = answers.start("m2", &place("c2"), 2);
        assert_eq!(answers.stop_all(), 2);
        assert!(a.stop.is_cancelled() && b.stop.is_cancelled());
        assert_eq!(b.stopped_by().as_deref(), Some("shutdown"));
    }
}
