//! The model's answer as the asker sees it: the placeholder while it is
//! written or waits in the line, how it ended (stopped, cut, empty, too
//! long), and why the model gave none, each sentence in English beside its
//! French.

use super::super::Lang;

/// What the bot says of the model's answer: while it is written or waits,
/// how it ended, why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<'a> {
    /// The placeholder posted while the model prepares its answer.
    Thinking,
    /// The placeholder while the question waits for the model.
    QueuePosition {
        position: usize,
    },
    /// No model server could be reached.
    ModelUnavailable,
    /// The model server did not start answering in time.
    ModelTooSlow,
    /// The model stopped in the middle of its answer.
    Cut,
    /// The question's prompt did not fit the model's context: the person is
    /// told asking again cannot help, and the operator what to change.
    PromptTooLong {
        /// Estimated.
        prompt_tokens: u64,
        /// The model's context, where the server says it.
        context: Option<u64>,
    },
    /// The chat refused the next message of a long answer.
    NotPosted {
        prefix: &'a str,
    },
    /// The answer reached the model's length limit.
    TooLong,
    /// The model looped; its answer was ended.
    Repeats,
    /// Stop used by someone who neither asked nor administers.
    StopNotAllowed,
    /// `stop` when nothing is being generated.
    NothingToStop,
    ModelMissing {
        model: &'a str,
        /// Ollama installs models with `ollama pull`; other servers load
        /// what they are started with.
        ollama: bool,
    },
    /// The model server refused Pstral's API key.
    ModelKeyRefused,
    ModelFailed,
    QueueFull,
    /// One person's questions already waiting fill their share of the line.
    OwnQueueFull {
        waiting: usize,
    },
    /// A generation stopped on request.
    Stopped,
    /// The service restarted (a crash, a takeover by another replica)
    /// while this answer was being written: ended by the next process.
    Interrupted,
    /// The model finished without a word.
    Empty,
}

impl Answer<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Answer::Thinking) => "✍️ Writing…".to_owned(),
            (Lang::Fr, Answer::Thinking) => "✍️ Rédaction…".to_owned(),
            (Lang::En, Answer::QueuePosition { position }) => {
                format!("⏳ Waiting for the model: you are number {position} in line.")
            }
            (Lang::Fr, Answer::QueuePosition { position }) => {
                format!(
                    "⏳ En attente du modèle : vous êtes en position {position} dans la file d'attente."
                )
            }
            (Lang::En, Answer::ModelUnavailable) => {
                "The language model is not reachable right now. Please try again in a few minutes; \
                 if it persists, tell an administrator."
                    .to_owned()
            }
            (Lang::Fr, Answer::ModelUnavailable) => {
                "Le modèle de langage est injoignable pour le moment. Réessayez dans quelques \
                 minutes ; si cela continue, prévenez un administrateur."
                    .to_owned()
            }
            (Lang::En, Answer::ModelTooSlow) => {
                "The language model took too long to start answering (it may be loading or busy). \
                 Please try again."
                    .to_owned()
            }
            (Lang::Fr, Answer::ModelTooSlow) => {
                "Le modèle de langage a mis trop de temps à commencer sa réponse (il est peut-être \
                 en cours de chargement ou occupé). Réessayez."
                    .to_owned()
            }
            (Lang::En, Answer::Cut) => {
                "The answer was cut off: the language model stopped before finishing. Ask again to \
                 get a complete answer."
                    .to_owned()
            }
            (Lang::Fr, Answer::Cut) => {
                "La réponse a été interrompue : le modèle de langage s'est arrêté avant la fin. \
                 Reposez la question pour obtenir une réponse complète."
                    .to_owned()
            }
            (
                Lang::En,
                Answer::PromptTooLong {
                    prompt_tokens,
                    context,
                },
            ) => format!(
                "⚠️ This question's prompt (the instructions, the tables and the examples: about \
                 {prompt_tokens} tokens) does not fit the language model's context{}, so the \
                 model could not answer; asking again will not help. For the operator: give the \
                 model a larger context (llm.num_ctx on Ollama, --n_ctx or --ctx-size on \
                 llama.cpp's server, --max-model-len on vLLM) or lower sql.schema_budget, \
                 sql.examples_budget or sql.instructions_budget.",
                match context {
                    Some(n) => format!(" ({n} tokens)"),
                    None => String::new(),
                }
            ),
            (
                Lang::Fr,
                Answer::PromptTooLong {
                    prompt_tokens,
                    context,
                },
            ) => format!(
                "⚠️ Le prompt de cette question (les consignes, les tables et les exemples : \
                 environ {prompt_tokens} jetons) dépasse le contexte du modèle de langage{}, qui \
                 n'a donc pas pu répondre ; reposer la question n'y changera rien. Pour \
                 l'administrateur : donnez au modèle un contexte plus grand (llm.num_ctx sous \
                 Ollama, --n_ctx ou --ctx-size pour le serveur de llama.cpp, --max-model-len \
                 pour vLLM) ou réduisez sql.schema_budget, sql.examples_budget ou \
                 sql.instructions_budget.",
                match context {
                    Some(n) => format!(" ({n} jetons)"),
                    None => String::new(),
                }
            ),
            (Lang::En, Answer::NotPosted { prefix }) => format!(
                "The rest of this answer could not be posted here; ask `{prefix}export` for the \
                 whole conversation."
            ),
            (Lang::Fr, Answer::NotPosted { prefix }) => format!(
                "La suite de cette réponse n'a pas pu être publiée ici ; utilisez `{prefix}export` \
                 pour obtenir toute la conversation."
            ),
            (Lang::En, Answer::TooLong) => {
                "The answer stopped at the model's length limit; ask for a shorter one or for the \
                 rest."
                    .to_owned()
            }
            (Lang::Fr, Answer::TooLong) => {
                "La réponse a atteint la longueur maximale du modèle ; demandez une réponse plus \
                 courte, ou la suite."
                    .to_owned()
            }
            (Lang::En, Answer::Repeats) => {
                "The model started repeating itself, so the answer was stopped there; ask again, \
                 perhaps in other words."
                    .to_owned()
            }
            (Lang::Fr, Answer::Repeats) => {
                "Le modèle s'est mis à se répéter : la réponse a été arrêtée là ; reposez la \
                 question, peut-être autrement."
                    .to_owned()
            }
            (Lang::En, Answer::StopNotAllowed) => {
                "Only the person who asked, or an admin, can stop this answer.".to_owned()
            }
            (Lang::Fr, Answer::StopNotAllowed) => {
                "Seule la personne qui a posé la question, ou un administrateur, peut arrêter \
                 cette réponse."
                    .to_owned()
            }
            (
                Lang::En,
                Answer::ModelMissing {
                    model,
                    ollama: true,
                },
            ) => format!(
                "The model {model} is not installed on the model server. An administrator can \
                 install it with `ollama pull {model}`."
            ),
            (
                Lang::Fr,
                Answer::ModelMissing {
                    model,
                    ollama: true,
                },
            ) => format!(
                "Le modèle {model} n'est pas installé sur le serveur de modèles. Un administrateur \
                 peut l'installer avec `ollama pull {model}`."
            ),
            (
                Lang::En,
                Answer::ModelMissing {
                    model,
                    ollama: false,
                },
            ) => format!(
                "The model server does not serve the model {model}. An administrator must load \
                 it there, or name the one it serves in the configuration."
            ),
            (
                Lang::Fr,
                Answer::ModelMissing {
                    model,
                    ollama: false,
                },
            ) => format!(
                "Le serveur de modèles ne propose pas le modèle {model}. Un administrateur doit \
                 l'y charger, ou indiquer dans la configuration un modèle qu'il propose."
            ),
            (Lang::En, Answer::ModelKeyRefused) => {
                "The model server refused Pstral's credentials. An administrator must check its \
                 API key (llm.endpoints)."
                    .to_owned()
            }
            (Lang::Fr, Answer::ModelKeyRefused) => {
                "Le serveur de modèles a refusé les identifiants de Pstral. Un administrateur doit \
                 vérifier sa clé d'API (llm.endpoints)."
                    .to_owned()
            }
            (Lang::En, Answer::ModelFailed) => {
                "The language model failed while preparing the answer. Please try again; if it \
                 persists, tell an administrator."
                    .to_owned()
            }
            (Lang::Fr, Answer::ModelFailed) => {
                "Le modèle de langage a échoué en préparant la réponse. Réessayez ; si cela \
                 continue, prévenez un administrateur."
                    .to_owned()
            }
            (Lang::En, Answer::QueueFull) => {
                "Too many questions are waiting for the model. Please ask again in a few minutes."
                    .to_owned()
            }
            (Lang::Fr, Answer::QueueFull) => {
                "Trop de questions attendent le modèle. Reposez la vôtre dans quelques minutes."
                    .to_owned()
            }
            (Lang::En, Answer::OwnQueueFull { waiting }) => format!(
                "You already have {waiting} questions waiting for the model: ask this one again \
                 once one of them is answered."
            ),
            (Lang::Fr, Answer::OwnQueueFull { waiting }) => format!(
                "Vous avez déjà {waiting} questions qui attendent le modèle : reposez celle-ci \
                 quand l'une d'elles aura sa réponse."
            ),
            (Lang::En, Answer::Stopped) => "⏹ Stopped.".to_owned(),
            (Lang::Fr, Answer::Stopped) => "⏹ Arrêté.".to_owned(),
            (Lang::En, Answer::Interrupted) => {
                "⚠️ The service restarted while this answer was being written: it ends here. \
                 Ask again for a whole answer."
                    .to_owned()
            }
            (Lang::Fr, Answer::Interrupted) => {
                "⚠️ Le service a redémarré pendant la rédaction de cette réponse : elle s'arrête \
                 ici. Reposez la question pour une réponse complète."
                    .to_owned()
            }
            (Lang::En, Answer::Empty) => "(The model gave an empty answer.)".to_owned(),
            (Lang::Fr, Answer::Empty) => "(Le modèle a donné une réponse vide.)".to_owned(),
            (Lang::En, Answer::NothingToStop) => "Nothing is being written right now.".to_owned(),
            (Lang::Fr, Answer::NothingToStop) => {
                "Aucune réponse n'est en cours de rédaction.".to_owned()
            }
        }
    }
}
