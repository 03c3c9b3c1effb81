//! The readings of one question: the plans drawn for it (the greedy one,
//! then others at `sql.plan_temperature`), grouped by how the definitions
//! read them ([`crate::semantic::plan::Plan::key`]), and the signals of
//! doubt they raise ([`Doubt`]). On the signals `sql.ask_back` names, the
//! bot asks back with the most drawn readings instead of answering.
//!
//! Agreement alone does not tell a wrong plan from a right one for a small
//! model (many of its mistakes are stable), so it is one signal among
//! others: what the question names that the plan leaves out, what the plan
//! holds that the question names nowhere ([`crate::semantic::doubt`]), a
//! plan that needed the repair round. `pstral eval` measures each.

use crate::semantic::doubt::Gaps;
use crate::semantic::plan::Plan;
use crate::sql::Doubt;

/// One way of reading a question: a plan that compiled, in words, with the
/// statement it compiles to.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The plan as resolved.
    pub plan: Plan,
    /// The plan as the definitions read it, values as the data holds them:
    /// what draws that read the question alike share.
    pub key: String,
    /// How it reads the question, in the conversation's language.
    pub words: String,
    pub sql: String,
    /// What it leaves out of the question, or adds to it.
    pub gaps: Gaps,
}

/// The readings weighed for a question, most drawn first, and why the bot
/// doubts the first.
#[derive(Debug, Clone)]
pub struct Weighed {
    pub readings: Vec<Reading>,
    /// Each draw's reading (an index into `readings`), in the order drawn,
    /// the greedy plan first; `None` for a draw that gave no plan that
    /// compiles.
    pub draws: Vec<Option<usize>>,
    /// How long each further draw took, in milliseconds.
    pub draw_ms: Vec<u64>,
    /// The greedy plan needed the repair round.
    pub repaired: bool,
    /// The least probability the model gave a token of a value in the
    /// greedy plan (a name, a value, a number it chose), where the server
    /// said.
    pub least_sure: Option<f64>,
    /// The signals raised for the first reading.
    pub raised: Vec<Doubt>,
}

/// The readings of `draws` (each the index of a distinct reading, in the
/// order first drawn) ordered by how many draws gave each, ties to the
/// earliest drawn, and whether the draws disagree: the most drawn holds
/// no more than half of them, or, with four draws or more, leads the next
/// by one draw only (a near-tie). A draw with no plan counts against the
/// majority.
pub fn tally(draws: &[Option<usize>]) -> (Vec<usize>, bool) {
    let distinct = draws.iter().flatten().max().map_or(0, |m| m + 1);
    let mut votes = vec![0usize; distinct];
    for d in draws.iter().flatten() {
        votes[*d] += 1;
    }
    let mut order: Vec<usize> = (0..distinct).filter(|&r| votes[r] > 0).collect();
    // Stable: ties keep the order first drawn.
    order.sort_by(|a, b| votes[*b].cmp(&votes[*a]));
    let top = order.first().map_or(0, |&r| votes[r]);
    let next = order.get(1).map_or(0, |&r| votes[r]);
    let n = draws.len();
    let split = n > 1 && (top * 2 <= n || (n >= 4 && top - next <= 1));
    (order, split)
}

impl Weighed {
    /// Draws grouped: `first` are the distinct readings in the order first
    /// drawn, `draws` each draw's index among them.
    /// `greedy`: whether the greedy plan needed the repair round, the least
    /// probability of its choices, and the probability below which that
    /// is a doubt.
    pub fn of(
        first: Vec<Reading>,
        draws: Vec<Option<usize>>,
        draw_ms: Vec<u64>,
        (repaired, least_sure, unsure_below): (bool, Option<f64>, f64),
    ) -> Self {
        let (order, split) = tally(&draws);
        let mut place = vec![0; first.len()];
        for (new, &old) in order.iter().enumerate() {
            place[old] = new;
        }
        let mut slots: Vec<Option<Reading>> = first.into_iter().map(Some).collect();
        let readings: Vec<Reading> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let draws: Vec<Option<usize>> = draws.into_iter().map(|d| d.map(|i| place[i])).collect();
        let mut raised = Vec::new();
        if split {
            raised.push(Doubt::Split);
        }
        if let Some(gaps) = readings.first().map(|r| &r.gaps) {
            if !gaps.left_out.is_empty() {
                raised.push(Doubt::LeftOut);
            }
            if !gaps.unsaid.is_empty() {
                raised.push(Doubt::Unsaid);
            }
        }
        // What is known of the greedy plan only speaks of the first
        // reading when that is the greedy one.
        let greedy_first = draws.first() == Some(&Some(0));
        if repaired && greedy_first {
            raised.push(Doubt::Repaired);
        }
        if greedy_first && least_sure.is_some_and(|p| p < unsure_below) {
            raised.push(Doubt::Unsure);
        }
        Self {
            readings,
            draws,
            draw_ms,
            repaired,
            least_sure,
            raised,
        }
    }

    /// How many draws gave each reading, in the readings' order.
    pub fn votes(&self) -> Vec<usize> {
        let mut votes = vec![0; self.readings.len()];
        for d in self.draws.iter().flatten() {
            votes[*d] += 1;
        }
        votes
    }

    /// Whether the bot asks back: a signal `on` names is raised.
    pub fn asks(&self, on: &[Doubt]) -> bool {
        self.raised.iter().any(|d| on.contains(d))
    }
}

/// The least probability the model gave a token of a value in a plan it
/// wrote as JSON (a string value, a number, `true`): the choices it made,
/// rather than the keys and punctuation its schema held it to. `None`
/// without probabilities.
pub fn least_sure(tokens: &[(String, f64)]) -> Option<f64> {
    /// Where the JSON stands: in an object (whose next string is a key or
    /// not), or in an array.
    #[derive(Clone, Copy, PartialEq)]
    enum Within {
        Object { key_next: bool },
        Array,
    }
    let mut within: Vec<Within> = Vec::new();
    // In a string: whether it is a key.
    let mut string: Option<bool> = None;
    let mut escaped = false;
    let mut least: Option<f64> = None;
    for (token, logprob) in tokens {
        let mut chose = false;
        for c in token.chars() {
            if let Some(key) = string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    string = None;
                    continue;
                }
                chose |= !key && c.is_alphanumeric();
                continue;
            }
            match c {
                '{' => within.push(Within::Object { key_next: true }),
                '[' => within.push(Within::Array),
                '}' | ']' => {
                    within.pop();
                }
                ',' | ':' => {
                    if let Some(Within::Object { key_next }) = within.last_mut() {
                        *key_next = c == ',';
                    }
                }
                '"' => {
                    string = Some(matches!(
                        within.last(),
                        Some(Within::Object { key_next: true })
                    ));
                }
                c if c.is_alphanumeric() || c == '-' || c == '.' => chose = true,
                _ => {}
            }
        }
        if chose {
            let p = logprob.exp();
            least = Some(least.map_or(p, |l: f64| l.min(p)));
        }
    }
    least
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_majority_is_no_split() {
        assert_eq!(tally(&[Some(0), Some(0), Some(1)]), (vec![0, 1], false));
        assert_eq!(
            tally(&[Some(0), Some(1), Some(1), Some(1), Some(2)]),
            (vec![1, 0, 2], false)
        );
    }

    #[test]
    fn a_tie_or_a_near_tie_is_a_split() {
        assert!(tally(&[Some(0), Some(1), Some(2)]).1);
        assert!(tally(&[Some(0), Some(1)]).1);
        assert!(tally(&[Some(0), Some(0), Some(0), Some(1), Some(1)]).1);
    }

    #[test]
    fn draws_with_no_plan_count_against_the_majority() {
        assert!(tally(&[Some(0), None, None]).1);
        assert!(!tally(&[Some(0), Some(0), None]).1);
    }

    #[test]
    fn the_least_sure_choice_is_of_a_value_never_of_a_key_or_punctuation() {
        let tokens: Vec<(String, f64)> = [
            ("{\"", 0.01_f64.ln()),
            ("kind", 0.02_f64.ln()),
            ("\":", 0.5_f64.ln()),
            (" \"", 0.9_f64.ln()),
            ("list", 0.8_f64.ln()),
            ("\",\"", 0.1_f64.ln()),
            ("limit", 0.05_f64.ln()),
            ("\":", 0.9_f64.ln()),
            ("3", 0.6_f64.ln()),
            (",\"filters\":[\"", 0.3_f64.ln()),
            ("Lyon", 0.7_f64.ln()),
            ("\"]}", 0.2_f64.ln()),
        ]
        .into_iter()
        .map(|(t, l)| (t.to_owned(), l))
        .collect();
        let least = least_sure(&tokens).unwrap();
        assert!((least - 0.6).abs() < 1e-9, "{least}");
        assert_eq!(least_sure(&[]), None);
    }

    #[test]
    fn one_draw_alone_is_never_a_split_and_ties_go_to_the_first_drawn() {
        assert_eq!(tally(&[Some(0)]), (vec![0], false));
        assert_eq!(tally(&[Some(0), Some(1), Some(1), Some(0)]).0, vec![0, 1]);
    }
}
