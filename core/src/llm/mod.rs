//! The language model: an Ollama client per endpoint ([`ollama`]), the queue
//! that shares their capacity fairly between users ([`queue`]), and [`Llm`],
//! which puts the two together with failover.
//!
//! Errors are typed ([`LlmError`]) so that the core can tell a user, in their
//! language, what went wrong and what to do, and so that failover happens only
//! where it is safe: before the first token, never in the middle of an answer.

pub mod ollama;
pub mod queue;
pub mod think;

use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use url::Url;

use crate::i18n::Text;

pub use ollama::{OllamaClient, TokenStream};
pub use queue::{Dispatcher, Lease};

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub endpoints: Vec<Url>,
    pub options: ModelOptions,
    pub concurrency: usize,
    pub queue_capacity: usize,
    pub timeouts: Timeouts,
}

/// Who said a message in a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

/// One message of a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// Why a model could not answer, or stopped answering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach the model server at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("the model server at {endpoint} sent nothing for {after:?} before the first token")]
    FirstTokenTimeout { endpoint: String, after: Duration },
    #[error("the model server at {endpoint} stopped sending for {after:?}")]
    IdleTimeout { endpoint: String, after: Duration },
    #[error("the model {model:?} is not installed on {endpoint}")]
    ModelNotFound { endpoint: String, model: String },
    #[error("the model server at {endpoint} is busy: {message}")]
    Busy { endpoint: String, message: String },
    #[error("the model server at {endpoint} failed ({status}): {message}")]
    Server {
        endpoint: String,
        status: u16,
        message: String,
    },
    /// The stream ended before the model said it was done: an error line, a
    /// dropped connection, or a clean end without `done`.
    #[error("the answer was cut: {detail}")]
    Cut { detail: String },
    #[error("the model server sent something unreadable: {0}")]
    Protocol(String),
    /// The answer ended at the model's length limit (`num_predict`, or the
    /// context window): complete as far as it goes, but not finished.
    #[error("the answer reached the model's length limit")]
    LengthLimit,
    #[error("too many questions are waiting ({capacity})")]
    QueueFull { capacity: usize },
}

impl LlmError {
    /// Whether another endpoint may succeed where this one failed. Only
    /// errors that happen before any token qualify.
    pub fn should_fail_over(&self) -> bool {
        match self {
            LlmError::Unreachable { .. }
            | LlmError::Busy { .. }
            | LlmError::FirstTokenTimeout { .. } => true,
            LlmError::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// What to tell the person who asked.
    pub fn user_text(&self) -> Text<'_> {
        match self {
            LlmError::Unreachable { .. } | LlmError::Busy { .. } => Text::ModelUnavailable,
            LlmError::FirstTokenTimeout { .. } => Text::ModelTooSlow,
            LlmError::IdleTimeout { .. } | LlmError::Cut { .. } | LlmError::Protocol(_) => {
                Text::AnswerCut
            }
            LlmError::ModelNotFound { model, .. } => Text::ModelMissing { model },
            LlmError::LengthLimit => Text::AnswerTooLong,
            LlmError::Server { .. } => Text::ModelFailed,
            LlmError::QueueFull { .. } => Text::QueueFull,
        }
    }
}

/// The parameters sent with every request. Constant on purpose: Ollama
/// reloads a model when runner options such as `num_ctx` change.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    pub model: String,
    pub num_ctx: u32,
    pub temperature: f64,
    pub keep_alive: Duration,
}

/// Timeouts of one request. Ollama sends nothing, not even a status line,
/// until the first token, so "first token" covers queueing inside Ollama,
/// model load and prompt evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_token: Duration,
    pub idle: Duration,
}

/// The model servers and the queue in front of them.
#[derive(Clone)]
pub struct Llm {
    endpoints: Vec<OllamaClient>,
    dispatcher: Dispatcher,
}

impl Llm {
    /// # Panics
    /// When `endpoints` is empty (the configuration refuses that).
    pub fn new(endpoints: Vec<OllamaClient>, per_endpoint: usize, queue_capacity: usize) -> Self {
        assert!(!endpoints.is_empty(), "at least one endpoint");
        let dispatcher = Dispatcher::new(vec![per_endpoint; endpoints.len()], queue_capacity);
        Self {
            endpoints,
            dispatcher,
        }
    }

    /// The clients and the queue that the configuration describes.
    ///
    /// # Errors
    /// When an HTTP client cannot be built.
    pub fn from_settings(settings: &crate::llm::LlmSettings) -> Result<Self, LlmError> {
        let endpoints = settings
            .endpoints
            .iter()
            .map(|url| OllamaClient::new(url.clone(), settings.options.clone(), settings.timeouts))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(
            endpoints,
            settings.concurrency,
            settings.queue_capacity,
        ))
    }

    pub fn endpoints(&self) -> &[OllamaClient] {
        &self.endpoints
    }

    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Waits for a turn (fairly between users, reporting the position in
    /// `position`, 0 once served), then starts the answer on the first
    /// endpoint that takes it, failing over to the next one when an endpoint
    /// is down, busy or silent.
    ///
    /// # Errors
    /// [`LlmError`] from the last endpoint tried, or [`LlmError::QueueFull`].
    pub async fn ask(
        &self,
        user: i64,
        messages: &[ChatMessage],
        position: &watch::Sender<usize>,
    ) -> Result<TokenStream, LlmError> {
        let mut tried = Vec::new();
        let asked = std::time::Instant::now();
        loop {
            let lease = self.dispatcher.acquire(user, &tried, position).await?;
            metrics::histogram!("pstral_queue_wait_seconds").record(asked.elapsed().as_secs_f64());
            let index = lease.endpoint();
            match self.endpoints[index].chat(messages).await {
                Ok(stream) => return Ok(stream.holding(lease)),
                Err(e) if e.should_fail_over() && tried.len() + 1 < self.endpoints.len() => {
                    tracing::warn!(endpoint = %self.endpoints[index].endpoint(), error = %e, "failing over");
                    self.dispatcher.mark_down(index);
                    tried.push(index);
                }
                Err(e) => {
                    if e.should_fail_over() {
                        self.dispatcher.mark_down(index);
                    }
                    return Err(e);
                }
            }
        }
    }
}
