//! From a question to the statements that may be offered: the SQL prompt
//! (instructions, today, glossary, tables and values, examples, history,
//! question), the statements found in the model's answer, each judged as it
//! would be offered (the validator, then EXPLAIN), and the one repair round
//! when none may be offered.
//!
//! The bot (`bot::ask`) and `pstral eval` both go through here, so the
//! evaluation measures what the bot offers by construction. Only how the
//! model's answer is obtained differs: streamed into a chat message by the
//! bot, collected whole by the evaluation.

use crate::conversation::{Mode, Prompts, StoredMessage, assemble};
use crate::i18n::{Lang, Text};
use crate::learn::{PromptContext, Skip};
use crate::llm::{ChatMessage, ChatRole, Llm};
use crate::sql::validate::Validated;

use super::{SqlRuntime, Unoffered};

/// One question's way to SQL on one target, in one language.
pub struct SqlAnswer<'a> {
    pub runtime: &'a SqlRuntime,
    pub llm: &'a Llm,
    pub prompts: &'a Prompts,
    pub lang: Lang,
}

/// A statement of an answer, with the verdict the bot acts on.
#[derive(Debug, Clone)]
pub struct Judged {
    /// 1-based, in the order of the answer: what `run N` names.
    pub index: u32,
    /// As found in the answer.
    pub text: String,
    /// What may run and the database's row estimate, or why not.
    pub verdict: Result<(Validated, Option<u64>), Unoffered>,
}

impl SqlAnswer<'_> {
    /// The messages for `question` after `history`, and what the system
    /// prompt shows. The examples `skip` names are left out; the target's
    /// values are shown only when `values` (the asker may read data).
    pub async fn messages(
        &self,
        question: &str,
        history: &[StoredMessage],
        skip: &Skip<'_>,
        values: bool,
    ) -> (Vec<ChatMessage>, PromptContext) {
        let context = self
            .runtime
            .prompt_context_skipping(self.llm, question, skip, values)
            .await;
        let system =
            self.prompts
                .system(Mode::Sql, self.lang, self.runtime.policy.dialect, &context);
        (assemble(system, history, question), context)
    }

    /// Every statement of `answer`, judged as it would be offered, in order.
    pub async fn judge(&self, answer: &str) -> Vec<Judged> {
        let mut judged = Vec::new();
        for block in crate::sql::extract::extract(answer) {
            let verdict = self
                .runtime
                .judge_block(&block.text, block.index, self.lang)
                .await;
            judged.push(Judged {
                index: block.index,
                text: block.text,
                verdict,
            });
        }
        judged
    }

    /// The repair round's messages: `messages` and the model's `answer`,
    /// then the reasons its statements could not be offered, or (when the
    /// runtime asks again, `SqlRuntime::ask_again_without_sql`) that it
    /// held none. `None` when a statement may be offered (the asker has a
    /// query to run), when the answer holds none and the runtime does not
    /// ask again, or when no failure is the model's to fix (the target is
    /// down).
    pub fn repair(
        &self,
        messages: &[ChatMessage],
        answer: &str,
        judged: &[Judged],
    ) -> Option<Vec<ChatMessage>> {
        if judged.iter().any(|j| j.verdict.is_ok()) {
            return None;
        }
        if judged.is_empty() {
            if !self.runtime.ask_again_without_sql || answer.trim().is_empty() {
                return None;
            }
            let mut again = messages.to_vec();
            again.push(ChatMessage::new(ChatRole::Assistant, answer));
            again.push(ChatMessage::new(
                ChatRole::User,
                Text::SqlAskedAgain.render(self.lang),
            ));
            return Some(again);
        }
        let reasons: Vec<&str> = judged
            .iter()
            .filter_map(|j| j.verdict.as_ref().err())
            .filter(|u| u.repairable)
            .map(|u| u.reason.as_str())
            .collect();
        if reasons.is_empty() {
            return None;
        }
        let mut repair = messages.to_vec();
        repair.push(ChatMessage::new(ChatRole::Assistant, answer));
        repair.push(ChatMessage::new(
            ChatRole::User,
            Text::RepairRequest {
                reasons: &reasons.join(" "),
            }
            .render(self.lang),
        ));
        Some(repair)
    }
}
