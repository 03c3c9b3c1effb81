//! One model server, whichever API it speaks: the HTTP side shared by both
//! (timeouts, the API key, statuses and what they mean), the wire format
//! left to [`super::ollama`] and [`super::openai`].

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::tokens::TokenStream;
use super::{ChatMessage, LlmError, ModelOptions, Timeouts, ollama, openai};

/// Which API a model server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Ollama's native API (`/api/chat`, NDJSON).
    Ollama,
    /// The OpenAI-compatible API (`/v1/chat/completions`, server-sent events).
    OpenAi,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Ollama => "ollama",
            Api::OpenAi => "openai",
        }
    }
}

/// One entry of `llm.endpoints`.
#[derive(Debug, Clone)]
pub struct EndpointSettings {
    /// The base URL, ending in `/`: Ollama's root, or the OpenAI-compatible
    /// API's base (usually `…/v1/`).
    pub url: Url,
    pub api: Api,
    /// The model's name on this server, when it differs from `llm.model`.
    pub model: Option<String>,
    /// Sent as `Authorization: Bearer …`; never logged (`SecretString`).
    pub api_key: Option<SecretString>,
}

impl EndpointSettings {
    /// An Ollama server at `url`, with no key.
    pub fn ollama(url: Url) -> Self {
        Self {
            url,
            api: Api::Ollama,
            model: None,
            api_key: None,
        }
    }

    /// An OpenAI-compatible server whose API is at `url` (…/v1/), with no key.
    pub fn openai(url: Url) -> Self {
        Self {
            api: Api::OpenAi,
            ..Self::ollama(url)
        }
    }
}

/// Whether a model server can answer: what the startup checks and `/readyz`
/// report.
#[derive(Debug)]
pub enum Readiness {
    /// It has the model.
    Serves,
    /// It answers, without the model; these are the ones it has.
    Lacks { served: Vec<String> },
    /// It cannot say (down, refusing the key, not this API).
    Down(LlmError),
}

/// A client for one model server.
#[derive(Clone, Debug)]
pub struct Endpoint {
    http: reqwest::Client,
    url: Url,
    api: Api,
    api_key: Option<SecretString>,
    /// The model this server is asked for.
    model: String,
    options: ModelOptions,
    timeouts: Timeouts,
    /// How this server takes a JSON schema for an answer: OpenAI's
    /// `json_schema` form (1) or llama-cpp-python's `json_object` with a
    /// `schema` (0, tried first), learnt from its refusal of the other.
    schema_form: std::sync::Arc<std::sync::atomic::AtomicU8>,
}

/// How long a status or error body may take to arrive before it is ignored.
const BODY_WAIT: Duration = Duration::from_secs(10);

/// The most of an error body read, and of its message kept.
const ERROR_BODY: usize = 64 << 10;
const ERROR_MESSAGE: usize = 300;

/// The most of a model list or of embeddings read.
const DATA_BODY: usize = 64 << 20;

/// Reads a body up to `cap` bytes; `None` when it is longer.
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

impl Endpoint {
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn new(
        settings: EndpointSettings,
        options: ModelOptions,
        timeouts: Timeouts,
    ) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .build()
            .map_err(|e| LlmError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            model: settings.model.unwrap_or_else(|| options.model.clone()),
            url: settings.url,
            api: settings.api,
            api_key: settings.api_key,
            options,
            timeouts,
            schema_form: Default::default(),
        })
    }

    /// The base URL, as configured.
    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn api(&self) -> Api {
        self.api
    }

    /// The model this server is asked for.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The server's name in messages, logs and `/readyz` (which needs no
    /// token): its URL without credentials, query, fragment or trailing
    /// slash. Errors name it so; reqwest's own take the credentials out of
    /// the URLs they show, and paths joined to the base drop its query.
    pub fn name(&self) -> String {
        let mut shown = self.url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        shown.set_fragment(None);
        shown.as_str().trim_end_matches('/').to_owned()
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        // The base URL ends in '/', so joining keeps any path prefix (/v1/).
        let url = self.url.join(path).unwrap_or_else(|_| self.url.clone());
        let request = self.http.request(method, url);
        match &self.api_key {
            Some(key) => request.bearer_auth(key.expose_secret()),
            None => request,
        }
    }

    /// The models this server has (Ollama's installed models, or the
    /// OpenAI-compatible server's model ids).
    ///
    /// # Errors
    /// [`LlmError`] for a server that is down, refuses the key, or answers
    /// something else.
    pub async fn models(&self) -> Result<Vec<String>, LlmError> {
        let path = match self.api {
            Api::Ollama => ollama::MODELS,
            Api::OpenAi => openai::MODELS,
        };
        let body = self
            .call(self.request(reqwest::Method::GET, path), path)
            .await?;
        match self.api {
            Api::Ollama => ollama::models(&body),
            Api::OpenAi => openai::models(&body),
        }
    }

    /// Whether `models` (from [`Endpoint::models`]) includes this endpoint's
    /// model, by the server's own naming rules.
    pub fn serves(&self, models: &[String]) -> bool {
        match self.api {
            Api::Ollama => ollama::has_model(models, &self.model),
            Api::OpenAi => openai::has_model(models, &self.model),
        }
    }

    /// Asks the server which models it has, and whether this one is there.
    pub async fn readiness(&self) -> Readiness {
        match self.models().await {
            Ok(models) if self.serves(&models) => Readiness::Serves,
            Ok(served) => Readiness::Lacks { served },
            Err(e) => Readiness::Down(e),
        }
    }

    /// The vectors of `texts` by the embedding `model`, one per text.
    ///
    /// # Errors
    /// [`LlmError`] as for [`Endpoint::models`], or a missing model.
    pub async fn embed(&self, model: &str, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        let (path, request) = match self.api {
            Api::Ollama => (
                ollama::EMBED,
                self.request(reqwest::Method::POST, ollama::EMBED)
                    .json(&ollama::EmbedRequest::new(model, texts)),
            ),
            Api::OpenAi => (
                openai::EMBED,
                self.request(reqwest::Method::POST, openai::EMBED)
                    .json(&openai::EmbedRequest::new(model, texts)),
            ),
        };
        let body = self.call(request, path).await?;
        let vectors = match self.api {
            Api::Ollama => ollama::embeddings(&body)?,
            Api::OpenAi => openai::embeddings(&body, texts.len())?,
        };
        if vectors.len() != texts.len() {
            return Err(LlmError::Protocol(format!(
                "{path}: {} vectors for {} texts",
                vectors.len(),
                texts.len()
            )));
        }
        Ok(vectors)
    }

    /// Sends a short request and reads its whole body.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
    ) -> Result<Vec<u8>, LlmError> {
        let response = request
            .timeout(self.timeouts.connect + self.timeouts.idle)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            return Err(self.status_error(response, path).await);
        }
        match read_capped(response, DATA_BODY).await {
            Ok(Some(body)) => Ok(body),
            Ok(None) => Err(LlmError::Protocol(format!(
                "{path}: an answer of more than {DATA_BODY} bytes"
            ))),
            Err(e) => Err(LlmError::Protocol(format!("{path}: {e}"))),
        }
    }

    /// Starts a streamed answer. Returns once the model has begun (its first
    /// token), so that a server that is down, busy or silent can still be
    /// failed over.
    ///
    /// # Errors
    /// [`LlmError`] for a server that is down, silent, busy, missing the
    /// model, refusing the key, or failing.
    pub async fn chat(
        &self,
        messages: &[ChatMessage],
        sampling: Option<super::Sampling>,
    ) -> Result<TokenStream, LlmError> {
        self.chat_shaped(messages, sampling, None).await
    }

    /// [`Endpoint::chat`], the answer held to `shape` when given. An
    /// OpenAI-compatible server is asked in the form it takes:
    /// llama-cpp-python's first, then OpenAI's when it refuses it (and the
    /// other way round once learnt).
    ///
    /// # Errors
    /// As [`Endpoint::chat`]; a server that takes neither form says so.
    pub async fn chat_shaped(
        &self,
        messages: &[ChatMessage],
        sampling: Option<super::Sampling>,
        shape: Option<super::Shape<'_>>,
    ) -> Result<TokenStream, LlmError> {
        use std::sync::atomic::Ordering;
        let form = self.schema_form.load(Ordering::Relaxed);
        match self.chat_in_form(messages, sampling, shape, form).await {
            Err(LlmError::Server {
                status: 400 | 422, ..
            }) if shape.is_some() && self.api == Api::OpenAi => {
                let other = 1 - form.min(1);
                match self.chat_in_form(messages, sampling, shape, other).await {
                    Err(LlmError::Server {
                        endpoint,
                        status,
                        message,
                    }) if matches!(status, 400 | 422) => Err(LlmError::Server {
                        endpoint,
                        status,
                        message: format!(
                            "the server holds no answer to a JSON schema in either form \
                                 (response_format json_object or json_schema): {message}"
                        ),
                    }),
                    Ok(stream) => {
                        self.schema_form.store(other, Ordering::Relaxed);
                        Ok(stream)
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    async fn chat_in_form(
        &self,
        messages: &[ChatMessage],
        sampling: Option<super::Sampling>,
        shape: Option<super::Shape<'_>>,
        form: u8,
    ) -> Result<TokenStream, LlmError> {
        let (path, request) = match self.api {
            Api::Ollama => (
                ollama::CHAT,
                self.request(reqwest::Method::POST, ollama::CHAT).json(
                    &ollama::ChatRequest::new(&self.model, &self.options, messages, sampling)
                        .shaped(shape.map(|s| s.schema)),
                ),
            ),
            Api::OpenAi => (
                openai::CHAT,
                self.request(reqwest::Method::POST, openai::CHAT).json(
                    &openai::ChatRequest::new(&self.model, &self.options, messages, sampling)
                        .shaped(shape, form == 1),
                ),
            ),
        };
        let sent = Instant::now();
        let too_slow = || LlmError::FirstTokenTimeout {
            endpoint: self.name(),
            after: self.timeouts.first_token,
        };
        let deadline = tokio::time::Instant::from_std(sent + self.timeouts.first_token);
        let response = match tokio::time::timeout_at(deadline, request.send()).await {
            Err(_) => return Err(too_slow()),
            Ok(Err(e)) => return Err(self.unreachable(&e)),
            Ok(Ok(response)) => response,
        };
        if !response.status().is_success() {
            return Err(match self.status_error(response, path).await {
                LlmError::PromptTooLong { .. } => self.too_long(messages).await,
                other => other,
            });
        }
        let body = response.bytes_stream();
        let pieces = match self.api {
            Api::Ollama => ollama::pieces(body, self.name()),
            Api::OpenAi => openai::pieces(body, self.name()),
        };
        let mut stream = TokenStream::new(pieces, self.timeouts.idle, self.name());
        // Ollama sends its status line with the first token; an
        // OpenAI-compatible server sends it at once, then waits.
        match tokio::time::timeout_at(deadline, stream.begun()).await {
            Err(_) => Err(too_slow()),
            Ok(Err(LlmError::PromptTooLong { .. })) => Err(self.too_long(messages).await),
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => {
                metrics::histogram!("pstral_first_token_seconds")
                    .record(sent.elapsed().as_secs_f64());
                Ok(stream)
            }
        }
    }

    /// The prompt `messages` did not fit: with its size and, where the
    /// server says it, its context.
    async fn too_long(&self, messages: &[ChatMessage]) -> LlmError {
        let prompt_tokens = super::prompt_tokens(messages);
        let context = self.context().await;
        tracing::warn!(endpoint = %self.name(), prompt_tokens, ?context, "a prompt did not fit the model's context");
        LlmError::PromptTooLong {
            endpoint: self.name(),
            prompt_tokens,
            context,
        }
    }

    /// The model's context, in tokens, where the server says it: Ollama's is
    /// the bot's own `llm.num_ctx`, sent with every request; llama.cpp's
    /// server says it at `/props`, vLLM in its model list (`max_model_len`).
    /// `None` where it is not said (llama-cpp-python's server).
    pub async fn context(&self) -> Option<u64> {
        if self.api == Api::Ollama {
            return Some(u64::from(self.options.num_ctx));
        }
        let ask = |path: &str| {
            let request = self
                .request(reqwest::Method::GET, path)
                .timeout(self.timeouts.connect);
            async move {
                let response = request.send().await.ok()?;
                if !response.status().is_success() {
                    return None;
                }
                let body = read_capped(response, ERROR_BODY).await.ok()??;
                serde_json::from_slice::<serde_json::Value>(&body).ok()
            }
        };
        // The base URL ends in /v1/: llama.cpp's /props is beside it.
        if let Some(props) = ask("../props").await {
            let n_ctx = props["default_generation_settings"]["n_ctx"]
                .as_u64()
                .or_else(|| props["n_ctx"].as_u64());
            if n_ctx.is_some() {
                return n_ctx;
            }
        }
        let listed = ask(openai::MODELS).await?;
        listed["data"]
            .as_array()?
            .iter()
            .find(|m| m["id"].as_str() == Some(self.model.as_str()))
            .and_then(|m| m["max_model_len"].as_u64())
    }

    fn unreachable(&self, e: &reqwest::Error) -> LlmError {
        // The innermost cause says the most (connection refused, DNS, ...).
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        LlmError::Unreachable {
            endpoint: self.name(),
            detail,
        }
    }

    async fn status_error(&self, response: reqwest::Response, path: &str) -> LlmError {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = tokio::time::timeout(BODY_WAIT, read_capped(response, ERROR_BODY))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        let message = match self.api {
            Api::Ollama => ollama::error_message(&text),
            Api::OpenAi => openai::error_message(&text),
        };
        // What a server says is logged and audited: a line, not a page.
        let message = match message.char_indices().nth(ERROR_MESSAGE) {
            Some((at, _)) => format!("{}…", &message[..at]),
            None => message,
        };
        let endpoint = self.name();
        let lower = message.to_lowercase();
        // llama.cpp: "the request exceeds the available context size";
        // llama-cpp-python: "Requested tokens (…) exceed context window of
        // …"; vLLM: "This model's maximum context length is … tokens".
        if status == 400
            && (lower.contains("context size")
                || lower.contains("context window")
                || lower.contains("context length"))
        {
            return LlmError::PromptTooLong {
                endpoint,
                prompt_tokens: 0,
                context: None,
            };
        }
        match status {
            401 | 403 => LlmError::Unauthorized {
                endpoint,
                status,
                message,
            },
            // "model 'x' not found", "The model `x` does not exist"; a bare
            // "404 page not found" is another server or a wrong base URL.
            404 if lower.contains("model")
                && (lower.contains("not found") || lower.contains("does not exist")) =>
            {
                LlmError::ModelNotFound {
                    endpoint,
                    model: self.model.clone(),
                    api: self.api,
                }
            }
            404 => LlmError::Server {
                endpoint,
                status,
                message: match self.api {
                    Api::OpenAi => format!(
                        "no {path} here ({message}): the URL of an OpenAI-compatible API \
                         usually ends in /v1"
                    ),
                    Api::Ollama => format!("no {path} here ({message}): is this Ollama?"),
                },
            },
            429 | 503 => LlmError::Busy {
                endpoint,
                message,
                retry_after,
            },
            _ => LlmError::Server {
                endpoint,
                status,
                message,
            },
        }
    }
}

/// `Retry-After`: a number of seconds, or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_named_without_its_credentials() {
        let url = Url::parse("http://pstral:p4ss@gpu1:8000/v1/?token=x#top").unwrap();
        let options = ModelOptions {
            model: "m".to_owned(),
            num_ctx: 2048,
            temperature: 0.0,
            keep_alive: Duration::from_secs(1),
            max_tokens: None,
        };
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            first_token: Duration::from_secs(1),
            idle: Duration::from_secs(1),
        };
        let endpoint = Endpoint::new(EndpointSettings::openai(url), options, timeouts).unwrap();
        assert_eq!(endpoint.name(), "http://gpu1:8000/v1");
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        let wait = parse_retry_after(&later).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
