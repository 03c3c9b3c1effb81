//! What a terminal session says as it starts: its welcome, where its log
//! lines go, and what is wrong with the model server, each sentence in
//! English beside its French.

use super::super::Lang;

/// What a terminal session says as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Startup<'a> {
    /// The first words of a terminal session.
    TerminalWelcome,
    /// Where a terminal session's log lines go (never into the
    /// conversation).
    TerminalLogFile { path: &'a str },
    /// No model server answers where the configuration points.
    ModelServerDown {
        url: &'a str,
        error: &'a str,
        ollama: bool,
    },
    /// The model server answers but does not have the model.
    ServerLacksModel {
        url: &'a str,
        model: &'a str,
        /// Ollama installs models with `ollama pull`; an OpenAI-compatible
        /// server lists what it serves (`served`).
        ollama: bool,
        served: &'a str,
    },
}

impl Startup<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Startup::TerminalWelcome) => {
                "Pstral. Ask a question; /mode sql|chat, /stop, \
                 /export [json], /help, /quit (or Ctrl-D)."
                    .to_owned()
            }
            (Lang::Fr, Startup::TerminalWelcome) => "Pstral. Posez une question ; /mode sql|chat, \
                 /stop, /export [json], /help, /quit (ou Ctrl-D)."
                .to_owned(),
            (Lang::En, Startup::TerminalLogFile { path }) => {
                format!("(Log lines go to {path}.)")
            }
            (Lang::Fr, Startup::TerminalLogFile { path }) => {
                format!("(Les lignes du journal vont dans {path}.)")
            }
            (Lang::En, Startup::ModelServerDown { url, error, ollama }) => format!(
                "⚠️  No {} answers at {url} ({error}).\n   Start it{}, or point llm.endpoints \
                 (PSTRAL__LLM__ENDPOINTS) at a running server.",
                if *ollama { "Ollama" } else { "model server" },
                if *ollama { " with `ollama serve`" } else { "" },
            ),
            (Lang::Fr, Startup::ModelServerDown { url, error, ollama }) => format!(
                "⚠️  Aucun {} ne répond à {url} ({error}).\n   Lancez-le{}, ou indiquez dans \
                 llm.endpoints (PSTRAL__LLM__ENDPOINTS) un serveur en service.",
                if *ollama {
                    "serveur Ollama"
                } else {
                    "serveur de modèles"
                },
                if *ollama { " avec `ollama serve`" } else { "" },
            ),
            (
                Lang::En,
                Startup::ServerLacksModel {
                    url,
                    model,
                    ollama: true,
                    ..
                },
            ) => format!(
                "⚠️  {url} does not have the model {model}.\n   Install it with `ollama pull \
                 {model}`, or choose another with llm.model (PSTRAL__LLM__MODEL)."
            ),
            (
                Lang::Fr,
                Startup::ServerLacksModel {
                    url,
                    model,
                    ollama: true,
                    ..
                },
            ) => format!(
                "⚠️  {url} n'a pas le modèle {model}.\n   Installez-le avec `ollama pull {model}`, \
                 ou choisissez-en un autre avec llm.model (PSTRAL__LLM__MODEL)."
            ),
            (
                Lang::En,
                Startup::ServerLacksModel {
                    url, model, served, ..
                },
            ) => format!(
                "⚠️  {url} does not serve the model {model}; it serves: {served}.\n   Name one of \
                 them in the endpoint's model, or in llm.model (PSTRAL__LLM__MODEL)."
            ),
            (
                Lang::Fr,
                Startup::ServerLacksModel {
                    url, model, served, ..
                },
            ) => format!(
                "⚠️  {url} ne propose pas le modèle {model} ; modèles disponibles : {served}.\n   \
                 Indiquez l'un d'eux dans le champ model de l'entrée de llm.endpoints, ou dans \
                 llm.model (PSTRAL__LLM__MODEL)."
            ),
        }
    }
}
