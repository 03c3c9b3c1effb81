//! The language model: a client per model server ([`endpoint`]), speaking
//! Ollama's native API ([`ollama`]) or the OpenAI-compatible one
//! ([`openai`]), each answer read as one [`TokenStream`] whatever the API;
//! the queue that shares the servers' capacity fairly between users
//! ([`queue`]); and [`Llm`], which puts them together with failover.
//!
//! Errors are typed ([`LlmError`]) so that the core can tell a user, in their
//! language, what went wrong and what to do, and so that failover happens only
//! where it is safe: before the first token, never in the middle of an answer.

pub mod endpoint;
pub mod ollama;
pub mod openai;
pub mod queue;
pub mod think;
pub mod tokens;

use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::i18n::Answer;

pub use endpoint::{Api, Endpoint, EndpointSettings, Readiness};
pub use queue::{Dispatcher, Lease};
pub use tokens::TokenStream;

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub endpoints: Vec<EndpointSettings>,
    pub options: ModelOptions,
    /// The model that turns text into vectors (`llm.embedding_model`);
    /// embeddings are off without one.
    pub embedding_model: Option<String>,
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

/// What to tell an operator of a model whose `context` is smaller than the
/// `longest` prompt ([`crate::app::longest_prompt_tokens`]): how large that prompt is
/// and what to change; `None` when the context holds it. Said by `pstral
/// check` and `/readyz`, each after its own naming of the model.
pub fn context_too_small(context: u64, longest: u64) -> Option<String> {
    (context < longest).then(|| {
        format!(
            "the longest SQL prompt takes about {longest} (template, \
             sql.instructions_budget, sql.schema_budget, sql.examples_budget, llm.max_tokens): \
             raise the context (llm.num_ctx on Ollama, --n_ctx / --ctx-size on llama.cpp) or \
             lower the budgets"
        )
    })
}

/// About how many tokens a text takes: four characters a token, as the
/// schema budget counts (English and French text, SQL and DDL on the
/// tokenizers of the models tried). An estimate for budgets and for telling
/// sizes apart, never a bound.
pub fn tokens_of(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// About how many tokens `messages` make for a model ([`tokens_of`] each):
/// what `pstral eval` reports and a prompt too long for its model is said
/// to take.
pub fn prompt_tokens(messages: &[ChatMessage]) -> u64 {
    messages.iter().map(|m| tokens_of(&m.content) as u64).sum()
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
    ModelNotFound {
        endpoint: String,
        model: String,
        api: Api,
    },
    #[error("the model server at {endpoint} is busy: {message}")]
    Busy {
        endpoint: String,
        message: String,
        /// How long the server asked to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// A 401 or 403: the API key is missing, wrong, or not allowed.
    #[error("the model server at {endpoint} refused Pstral's credentials ({status}): {message}")]
    Unauthorized {
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error("no embedding model is configured (llm.embedding_model)")]
    NoEmbeddingModel,
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
    /// The server ended the answer before its first token, or said the
    /// prompt passes its context: the prompt did not fit. Asking again
    /// cannot help; the operator must give the model a larger context or
    /// the bot smaller budgets.
    #[error(
        "the prompt (about {prompt_tokens} tokens) did not fit the context of the model at {endpoint} ({}): raise the server's context (llm.num_ctx on Ollama, --n_ctx / --ctx-size on llama.cpp, --max-model-len on vLLM) or lower sql.schema_budget, sql.examples_budget or sql.instructions_budget",
        match context { Some(n) => format!("{n} tokens"), None => "its size not said by the server".to_owned() }
    )]
    PromptTooLong {
        endpoint: String,
        /// The prompt's size, estimated (about four characters a token).
        prompt_tokens: u64,
        /// The server's context, when it says it.
        context: Option<u64>,
    },
    #[error("the model server sent something unreadable: {0}")]
    Protocol(String),
    /// The answer ended at the model's length limit (`num_predict`, or the
    /// context window): complete as far as it goes, but not finished.
    #[error("the answer reached the model's length limit")]
    LengthLimit,
    /// The model wrote the same passage again and again: the answer was
    /// ended there, complete as far as it went.
    #[error("the answer was ended: the model was repeating itself")]
    Repeating,
    #[error("too many questions are waiting ({capacity})")]
    QueueFull { capacity: usize },
    #[error("this person already has {waiting} questions waiting")]
    OwnQueueFull { waiting: usize },
}

impl LlmError {
    /// Whether another endpoint may succeed where this one failed. Only
    /// errors that happen before any token qualify.
    pub fn should_fail_over(&self) -> bool {
        match self {
            LlmError::Unreachable { .. }
            | LlmError::Busy { .. }
            | LlmError::Unauthorized { .. }
            | LlmError::FirstTokenTimeout { .. } => true,
            LlmError::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// What to tell the person who asked.
    pub fn user_text(&self) -> Answer<'_> {
        match self {
            LlmError::Unreachable { .. } | LlmError::Busy { .. } => Answer::ModelUnavailable,
            LlmError::Unauthorized { .. } => Answer::ModelKeyRefused,
            LlmError::FirstTokenTimeout { .. } => Answer::ModelTooSlow,
            LlmError::IdleTimeout { .. } | LlmError::Cut { .. } | LlmError::Protocol(_) => {
                Answer::Cut
            }
            LlmError::PromptTooLong {
                prompt_tokens,
                context,
                ..
            } => Answer::PromptTooLong {
                prompt_tokens: *prompt_tokens,
                context: *context,
            },
            LlmError::ModelNotFound { model, api, .. } => Answer::ModelMissing {
                model,
                ollama: *api == Api::Ollama,
            },
            LlmError::LengthLimit => Answer::TooLong,
            LlmError::Repeating => Answer::Repeats,
            LlmError::Server { .. } | LlmError::NoEmbeddingModel => Answer::ModelFailed,
            LlmError::QueueFull { .. } => Answer::QueueFull,
            LlmError::OwnQueueFull { waiting } => Answer::OwnQueueFull { waiting: *waiting },
        }
    }
}

/// The parameters sent with every request. Constant on purpose: Ollama
/// reloads a model when runner options such as `num_ctx` change.
/// OpenAI-compatible servers set their context window and keep their model
/// loaded themselves: they get the model, the temperature and `max_tokens`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    pub model: String,
    pub num_ctx: u32,
    pub temperature: f64,
    pub keep_alive: Duration,
    /// The longest answer, in tokens (`num_predict`, `max_tokens`); `None`
    /// leaves it to the server.
    pub max_tokens: Option<u32>,
}

/// What an answer is held to: a JSON schema, and whether each token's
/// log-probability comes with it, where the server gives them (costly on
/// llama-cpp-python, which computes them in Python: about five times the
/// time a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape<'a> {
    pub schema: &'a str,
    pub logprobs: bool,
}

/// One of several answers drawn for the same messages (`SqlSettings::
/// candidates`): a temperature of its own and a seed, so that each draw
/// differs from the others and a run can be repeated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    pub temperature: f64,
    pub seed: u64,
}

/// Timeouts of one request. "First token" runs from the request to the
/// model's first token, whatever the server sends before it (Ollama sends
/// nothing, an OpenAI-compatible server its headers and a role chunk), so it
/// covers queueing inside the server, model load and prompt evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_token: Duration,
    pub idle: Duration,
}

/// The shortest wait on a busy server, whatever its `Retry-After` says.
const MIN_BUSY_WAIT: Duration = Duration::from_secs(1);

/// The error for a server asking to wait longer than the question may.
fn busy(endpoint: &Endpoint, wait: Duration) -> LlmError {
    LlmError::Busy {
        endpoint: endpoint.name(),
        message: format!("it asks to come back in {}s", wait.as_secs()),
        retry_after: Some(wait),
    }
}

/// The model servers and the queue in front of them.
#[derive(Clone)]
pub struct Llm {
    endpoints: Vec<Endpoint>,
    dispatcher: Dispatcher,
    embedding_model: Option<String>,
    /// How long one question may wait for busy servers in all.
    busy_budget: Duration,
}

impl Llm {
    /// # Panics
    /// When `endpoints` is empty (the configuration refuses that).
    pub fn new(endpoints: Vec<Endpoint>, per_endpoint: usize, queue_capacity: usize) -> Self {
        assert!(!endpoints.is_empty(), "at least one endpoint");
        let dispatcher = Dispatcher::new(vec![per_endpoint; endpoints.len()], queue_capacity);
        Self {
            endpoints,
            dispatcher,
            embedding_model: None,
            busy_budget: Duration::from_secs(60),
        }
    }

    /// Embeddings by `model` (none without one).
    pub fn with_embedding_model(mut self, model: Option<String>) -> Self {
        self.embedding_model = model;
        self
    }

    /// How long, in all, a question waits when every server says it is busy
    /// and when to come back (`Retry-After`); longer asks are refused at once.
    pub fn with_busy_budget(mut self, budget: Duration) -> Self {
        self.busy_budget = budget;
        self
    }

    /// The clients and the queue that the configuration describes.
    ///
    /// # Errors
    /// When an HTTP client cannot be built.
    pub fn from_settings(settings: &LlmSettings) -> Result<Self, LlmError> {
        let endpoints = settings
            .endpoints
            .iter()
            .map(|e| Endpoint::new(e.clone(), settings.options.clone(), settings.timeouts))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(
            Self::new(endpoints, settings.concurrency, settings.queue_capacity)
                .with_embedding_model(settings.embedding_model.clone())
                .with_busy_budget(settings.timeouts.first_token),
        )
    }

    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    pub fn embedding_model(&self) -> Option<&str> {
        self.embedding_model.as_deref()
    }

    /// Waits for a turn (fairly between users, reporting the position in
    /// `position`, 0 once served), then starts the answer on the first
    /// endpoint that takes it, failing over to the next one when an endpoint
    /// is down, busy, refusing the key or silent. When the last one to try
    /// is busy and says when to come back, the question keeps its turn and
    /// waits that long (within the busy budget), then asks again.
    ///
    /// # Errors
    /// [`LlmError`] from the last endpoint tried, or [`LlmError::QueueFull`].
    pub async fn ask(
        &self,
        user: i64,
        messages: &[ChatMessage],
        position: &watch::Sender<usize>,
    ) -> Result<TokenStream, LlmError> {
        self.ask_sampled(user, messages, position, None).await
    }

    /// [`Llm::ask`], drawing the answer with `sampling` instead of the
    /// configured temperature when given.
    ///
    /// # Errors
    /// As [`Llm::ask`].
    pub async fn ask_sampled(
        &self,
        user: i64,
        messages: &[ChatMessage],
        position: &watch::Sender<usize>,
        sampling: Option<Sampling>,
    ) -> Result<TokenStream, LlmError> {
        self.ask_shaped(user, messages, position, sampling, None)
            .await
    }

    /// [`Llm::ask_sampled`], the answer held to `shape` when given
    /// ([`Endpoint::chat_shaped`]).
    ///
    /// # Errors
    /// As [`Llm::ask`].
    pub async fn ask_shaped(
        &self,
        user: i64,
        messages: &[ChatMessage],
        position: &watch::Sender<usize>,
        sampling: Option<Sampling>,
        shape: Option<Shape<'_>>,
    ) -> Result<TokenStream, LlmError> {
        let mut tried = Vec::new();
        let asked = std::time::Instant::now();
        // Waiting on busy servers ends here, however often they ask.
        let patience = asked + self.busy_budget;
        loop {
            let lease = self.dispatcher.acquire(user, &tried, position).await?;
            metrics::histogram!("pstral_queue_wait_seconds").record(asked.elapsed().as_secs_f64());
            let index = lease.endpoint();
            let endpoint = &self.endpoints[index];
            let last = tried.len() + 1 >= self.endpoints.len();
            let result = loop {
                match endpoint.chat_shaped(messages, sampling, shape).await {
                    Err(LlmError::Busy {
                        retry_after: Some(wait),
                        ..
                    }) if last => {
                        // A server saying "now" (0, or a date past) is
                        // asked again a second later, not at once.
                        let wait = wait.max(MIN_BUSY_WAIT);
                        let until = std::time::Instant::now().checked_add(wait);
                        match until {
                            Some(until) if until <= patience => {
                                tracing::info!(endpoint = %endpoint.name(), ?wait, "busy: waiting as asked");
                                tokio::time::sleep(wait).await;
                            }
                            _ => break Err(busy(endpoint, wait)),
                        }
                    }
                    other => break other,
                }
            };
            match result {
                Ok(stream) => return Ok(stream.holding(lease)),
                Err(e) if e.should_fail_over() && !last => {
                    tracing::warn!(endpoint = %endpoint.name(), error = %e, "failing over");
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

    /// The vectors of `texts` by the embedding model, from the first
    /// endpoint that has it.
    ///
    /// # Errors
    /// [`LlmError::NoEmbeddingModel`] when none is configured, else the
    /// last endpoint's error.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        let model = self
            .embedding_model
            .as_deref()
            .ok_or(LlmError::NoEmbeddingModel)?;
        let mut last = None;
        for endpoint in &self.endpoints {
            match endpoint.embed(model, texts).await {
                Ok(vectors) => return Ok(vectors),
                Err(e) if e.should_fail_over() || matches!(e, LlmError::ModelNotFound { .. }) => {
                    tracing::warn!(endpoint = %endpoint.name(), error = %e, "no embeddings here");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("at least one endpoint"))
    }
}
