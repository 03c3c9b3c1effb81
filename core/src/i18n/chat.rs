//! The chat's texts, each sentence in English beside its French: what a
//! [`Text`] says in a [`Lang`].

use super::access::{hidden_en, hidden_fr, what_of};
use super::reading::doubted;
use super::sql::{exec_error, heavy_reason, rows_caption, sql_refusal};
use super::{Lang, Redirection, Text, duration_fr};

impl Text<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (
                lang,
                Text::RowsCaption {
                    shown,
                    total,
                    truncated,
                },
            ) => rows_caption(lang, *shown, *total, *truncated),
            (Lang::En, Text::TerminalWelcome) => "Pstral. Ask a question; /mode sql|chat, /stop, \
                 /export [json], /help, /quit (or Ctrl-D)."
                .to_owned(),
            (Lang::Fr, Text::TerminalWelcome) => "Pstral. Posez une question ; /mode sql|chat, \
                 /stop, /export [json], /help, /quit (ou Ctrl-D)."
                .to_owned(),
            (Lang::En, Text::TerminalLogFile { path }) => {
                format!("(Log lines go to {path}.)")
            }
            (Lang::Fr, Text::TerminalLogFile { path }) => {
                format!("(Les lignes du journal vont dans {path}.)")
            }
            (Lang::En, Text::ModelServerDown { url, error, ollama }) => format!(
                "⚠️  No {} answers at {url} ({error}).\n   Start it{}, or point llm.endpoints \
                 (PSTRAL__LLM__ENDPOINTS) at a running server.",
                if *ollama { "Ollama" } else { "model server" },
                if *ollama { " with `ollama serve`" } else { "" },
            ),
            (Lang::Fr, Text::ModelServerDown { url, error, ollama }) => format!(
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
                Text::ServerLacksModel {
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
                Text::ServerLacksModel {
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
                Text::ServerLacksModel {
                    url, model, served, ..
                },
            ) => format!(
                "⚠️  {url} does not serve the model {model}; it serves: {served}.\n   Name one of \
                 them in the endpoint's model, or in llm.model (PSTRAL__LLM__MODEL)."
            ),
            (
                Lang::Fr,
                Text::ServerLacksModel {
                    url, model, served, ..
                },
            ) => format!(
                "⚠️  {url} ne propose pas le modèle {model} ; modèles disponibles : {served}.\n   \
                 Indiquez l'un d'eux dans le champ model de l'entrée de llm.endpoints, ou dans \
                 llm.model (PSTRAL__LLM__MODEL)."
            ),
            (Lang::En, Text::UnknownIdentity { contact, prefix }) => format!(
                "Hello! I don't know your account yet, so I can't answer. In a direct message, \
                 send me `{prefix}link NAME` with your user name and ask {contact} to approve \
                 it, or `{prefix}link CODE` with an invite code made for your account."
            ),
            (Lang::Fr, Text::UnknownIdentity { contact, prefix }) => format!(
                "Bonjour ! Je ne connais pas encore votre compte, je ne peux donc pas répondre. \
                 En message privé, envoyez-moi `{prefix}link NOM` avec votre nom d'utilisateur \
                 et demandez à {} de l'approuver, ou `{prefix}link CODE` avec un code \
                 d'invitation créé pour votre compte.",
                // The embedded default (config/default.toml) is English.
                match *contact {
                    "an administrator" => "un administrateur",
                    contact => contact,
                }
            ),
            (Lang::En, Text::Linked { user }) => {
                format!("Done: this account is now linked to {user}.")
            }
            (Lang::Fr, Text::Linked { user }) => {
                format!("C'est fait : ce compte est maintenant lié à {user}.")
            }
            (Lang::En, Text::InviteNotValid) => "This invite code does not work (it may be \
                 mistyped, expired or already used). Ask an admin for a new one."
                .to_owned(),
            (Lang::Fr, Text::InviteNotValid) => "Ce code d'invitation ne fonctionne pas (il est \
                 peut-être mal saisi, expiré ou déjà utilisé). Demandez-en un nouveau à un \
                 administrateur."
                .to_owned(),
            (Lang::En, Text::LinkOnlyInDm { prefix }) => format!(
                "Linking an account is done in a direct message with me: write me there \
                 `{prefix}link CODE` with the invite code an admin made for your account, or \
                 `{prefix}link NAME` with your user name to ask an admin to link you."
            ),
            (Lang::Fr, Text::LinkOnlyInDm { prefix }) => format!(
                "La liaison d'un compte se fait en message privé avec moi : écrivez-y \
                 `{prefix}link CODE` avec le code d'invitation qu'un administrateur a créé pour \
                 votre compte, ou `{prefix}link NOM` avec votre nom d'utilisateur pour demander \
                 à un administrateur de vous lier."
            ),
            (Lang::En, Text::LinkRequested { user, account, prefix }) => format!(
                "Your request is recorded: an admin must now link this account ({account}) to \
                 {user}, with `{prefix}requests approve {account} {user}` or `pstral user \
                 approve {account} {user}`. Let them know; I will answer your questions once it is done."
            ),
            (Lang::Fr, Text::LinkRequested { user, account, prefix }) => format!(
                "Votre demande est enregistrée : un administrateur doit maintenant lier ce compte \
                 ({account}) à {user}, avec `{prefix}requests approve {account} {user}` ou \
                 `pstral user approve {account} {user}`. Prévenez-le ; je répondrai à vos questions une fois que ce \
                 sera fait."
            ),
            (Lang::En, Text::LinkUnreadable) => "That is neither an invite code nor a user name \
                 (a name is letters, digits, '.', '_' or '-')."
                .to_owned(),
            (Lang::Fr, Text::LinkUnreadable) => "Ce n'est ni un code d'invitation ni un nom \
                 d'utilisateur (un nom est fait de lettres, chiffres, « . », « _ » ou « - »)."
                .to_owned(),
            (Lang::En, Text::TooManyAttempts) => {
                "Too many attempts lately; please try again in a quarter of an hour.".to_owned()
            }
            (Lang::Fr, Text::TooManyAttempts) => {
                "Trop de tentatives récentes ; réessayez dans un quart d'heure.".to_owned()
            }
            (Lang::En, Text::LinkRequests { requests: [], .. }) => {
                "No link request is waiting.".to_owned()
            }
            (Lang::Fr, Text::LinkRequests { requests: [], .. }) => {
                "Aucune demande de liaison en attente.".to_owned()
            }
            (
                lang,
                Text::LinkRequests {
                    requests,
                    more,
                    prefix,
                },
            ) => {
                let mut text = match lang {
                    Lang::En => format!(
                        "Link requests waiting, newest first (approve with `{prefix}requests \
                         approve ACCOUNT USER`, naming the user shown; turn down with \
                         `{prefix}requests deny ACCOUNT`):"
                    ),
                    Lang::Fr => format!(
                        "Demandes de liaison en attente, les plus récentes d'abord (accepter avec \
                         `{prefix}requests approve COMPTE UTILISATEUR`, en nommant l'utilisateur \
                         affiché ; refuser avec `{prefix}requests deny COMPTE`) :"
                    ),
                };
                for (account, user, role) in *requests {
                    let role = match (lang, role) {
                        (_, Some("admin")) => " ⚠️ admin".to_owned(),
                        (_, Some(role)) => format!(" ({role})"),
                        (Lang::En, None) => " (no such user yet)".to_owned(),
                        (Lang::Fr, None) => " (utilisateur inexistant)".to_owned(),
                    };
                    text.push_str(&format!("\n- `{account}` → {user}{role}"));
                }
                if *more > 0 {
                    text.push_str(&match lang {
                        Lang::En => format!("\n… and {more} older (`pstral user requests`)."),
                        Lang::Fr => format!("\n… et {more} plus anciennes (`pstral user requests`)."),
                    });
                }
                text
            }
            (Lang::En, Text::LinkApproved { account, user }) => {
                format!("Done: {account} is now linked to {user}.")
            }
            (Lang::Fr, Text::LinkApproved { account, user }) => {
                format!("C'est fait : {account} est maintenant lié à {user}.")
            }
            (Lang::En, Text::LinkDenied { account, user }) => {
                format!("The request of {account} to be linked to {user} is turned down.")
            }
            (Lang::Fr, Text::LinkDenied { account, user }) => {
                format!("La demande de {account} d'être lié à {user} est refusée.")
            }
            (Lang::En, Text::NoLinkRequest { account }) => {
                format!("{account} has no link request waiting.")
            }
            (Lang::Fr, Text::NoLinkRequest { account }) => {
                format!("{account} n'a aucune demande de liaison en attente.")
            }
            (Lang::En, Text::AlreadyLinked { user }) => {
                format!("This account is already linked to {user}.")
            }
            (Lang::Fr, Text::AlreadyLinked { user }) => {
                format!("Ce compte est déjà lié à {user}.")
            }
            (Lang::En, Text::NotAllowed { needed }) => {
                format!("Sorry, this needs the {needed} role, which you don't have.")
            }
            (Lang::Fr, Text::NotAllowed { needed }) => {
                format!("Désolé, il faut pour cela le rôle {needed}, que vous n'avez pas.")
            }
            (Lang::En, Text::AuditUnavailable) => {
                "I can't record this action right now (the audit database is unavailable), so I \
                 did not do it. Please try again later."
                    .to_owned()
            }
            (Lang::Fr, Text::AuditUnavailable) => {
                "Je ne peux pas enregistrer cette action pour l'instant (la base d'audit est \
                 indisponible), je ne l'ai donc pas effectuée. Réessayez plus tard."
                    .to_owned()
            }
            (Lang::En, Text::Thinking) => "✍️ Writing…".to_owned(),
            (Lang::Fr, Text::Thinking) => "✍️ Rédaction…".to_owned(),
            (Lang::En, Text::QueuePosition { position }) => {
                format!("⏳ Waiting for the model: you are number {position} in line.")
            }
            (Lang::Fr, Text::QueuePosition { position }) => {
                format!("⏳ En attente du modèle : vous êtes en position {position} dans la file d'attente.")
            }
            (Lang::En, Text::ModelUnavailable) => {
                "The language model is not reachable right now. Please try again in a few minutes; \
                 if it persists, tell an administrator."
                    .to_owned()
            }
            (Lang::Fr, Text::ModelUnavailable) => {
                "Le modèle de langage est injoignable pour le moment. Réessayez dans quelques \
                 minutes ; si cela continue, prévenez un administrateur."
                    .to_owned()
            }
            (Lang::En, Text::ModelTooSlow) => {
                "The language model took too long to start answering (it may be loading or busy). \
                 Please try again."
                    .to_owned()
            }
            (Lang::Fr, Text::ModelTooSlow) => {
                "Le modèle de langage a mis trop de temps à commencer sa réponse (il est peut-être \
                 en cours de chargement ou occupé). Réessayez."
                    .to_owned()
            }
            (Lang::En, Text::AnswerCut) => {
                "The answer was cut off: the language model stopped before finishing. Ask again to \
                 get a complete answer."
                    .to_owned()
            }
            (Lang::Fr, Text::AnswerCut) => {
                "La réponse a été interrompue : le modèle de langage s'est arrêté avant la fin. \
                 Reposez la question pour obtenir une réponse complète."
                    .to_owned()
            }
            (Lang::En, Text::PromptTooLong {
                prompt_tokens,
                context,
            }) => format!(
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
            (Lang::Fr, Text::PromptTooLong {
                prompt_tokens,
                context,
            }) => format!(
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
            (Lang::En, Text::AnswerNotPosted { prefix }) => format!(
                "The rest of this answer could not be posted here; ask `{prefix}export` for the \
                 whole conversation."
            ),
            (Lang::Fr, Text::AnswerNotPosted { prefix }) => format!(
                "La suite de cette réponse n'a pas pu être publiée ici ; utilisez `{prefix}export` \
                 pour obtenir toute la conversation."
            ),
            (Lang::En, Text::AnswerTooLong) => {
                "The answer stopped at the model's length limit; ask for a shorter one or for the \
                 rest."
                    .to_owned()
            }
            (Lang::Fr, Text::AnswerTooLong) => {
                "La réponse a atteint la longueur maximale du modèle ; demandez une réponse plus \
                 courte, ou la suite."
                    .to_owned()
            }
            (Lang::En, Text::AnswerRepeats) => {
                "The model started repeating itself, so the answer was stopped there; ask again, \
                 perhaps in other words."
                    .to_owned()
            }
            (Lang::Fr, Text::AnswerRepeats) => {
                "Le modèle s'est mis à se répéter : la réponse a été arrêtée là ; reposez la \
                 question, peut-être autrement."
                    .to_owned()
            }
            (Lang::En, Text::StopNotAllowed) => {
                "Only the person who asked, or an admin, can stop this answer.".to_owned()
            }
            (Lang::Fr, Text::StopNotAllowed) => {
                "Seule la personne qui a posé la question, ou un administrateur, peut arrêter \
                 cette réponse."
                    .to_owned()
            }
            (Lang::En, Text::CannotShowResult) => {
                "The query ran, but I could not show its result here. Please try again later."
                    .to_owned()
            }
            (Lang::Fr, Text::CannotShowResult) => {
                "La requête a été exécutée, mais je n'ai pas pu en afficher le résultat ici. \
                 Réessayez plus tard."
                    .to_owned()
            }
            (Lang::En, Text::CannotAttach) => {
                "I could not attach the file here. Please try again later.".to_owned()
            }
            (Lang::Fr, Text::CannotAttach) => {
                "Je n'ai pas pu joindre le fichier ici. Réessayez plus tard.".to_owned()
            }
            (
                Lang::En,
                Text::ModelMissing {
                    model,
                    ollama: true,
                },
            ) => format!(
                "The model {model} is not installed on the model server. An administrator can \
                 install it with `ollama pull {model}`."
            ),
            (
                Lang::Fr,
                Text::ModelMissing {
                    model,
                    ollama: true,
                },
            ) => format!(
                "Le modèle {model} n'est pas installé sur le serveur de modèles. Un administrateur \
                 peut l'installer avec `ollama pull {model}`."
            ),
            (
                Lang::En,
                Text::ModelMissing {
                    model,
                    ollama: false,
                },
            ) => format!(
                "The model server does not serve the model {model}. An administrator must load \
                 it there, or name the one it serves in the configuration."
            ),
            (
                Lang::Fr,
                Text::ModelMissing {
                    model,
                    ollama: false,
                },
            ) => format!(
                "Le serveur de modèles ne propose pas le modèle {model}. Un administrateur doit \
                 l'y charger, ou indiquer dans la configuration un modèle qu'il propose."
            ),
            (Lang::En, Text::ModelKeyRefused) => {
                "The model server refused Pstral's credentials. An administrator must check its \
                 API key (llm.endpoints)."
                    .to_owned()
            }
            (Lang::Fr, Text::ModelKeyRefused) => {
                "Le serveur de modèles a refusé les identifiants de Pstral. Un administrateur doit \
                 vérifier sa clé d'API (llm.endpoints)."
                    .to_owned()
            }
            (Lang::En, Text::ModelFailed) => {
                "The language model failed while preparing the answer. Please try again; if it \
                 persists, tell an administrator."
                    .to_owned()
            }
            (Lang::Fr, Text::ModelFailed) => {
                "Le modèle de langage a échoué en préparant la réponse. Réessayez ; si cela \
                 continue, prévenez un administrateur."
                    .to_owned()
            }
            (Lang::En, Text::QueueFull) => {
                "Too many questions are waiting for the model. Please ask again in a few minutes."
                    .to_owned()
            }
            (Lang::Fr, Text::QueueFull) => {
                "Trop de questions attendent le modèle. Reposez la vôtre dans quelques minutes."
                    .to_owned()
            }
            (Lang::En, Text::OwnQueueFull { waiting }) => format!(
                "You already have {waiting} questions waiting for the model: ask this one again \
                 once one of them is answered."
            ),
            (Lang::Fr, Text::OwnQueueFull { waiting }) => format!(
                "Vous avez déjà {waiting} questions qui attendent le modèle : reposez celle-ci \
                 quand l'une d'elles aura sa réponse."
            ),
            (Lang::En, Text::Stopped) => "⏹ Stopped.".to_owned(),
            (Lang::Fr, Text::Stopped) => "⏹ Arrêté.".to_owned(),
            (Lang::En, Text::EmptyAnswer) => "(The model gave an empty answer.)".to_owned(),
            (Lang::Fr, Text::EmptyAnswer) => "(Le modèle a donné une réponse vide.)".to_owned(),
            (Lang::En, Text::ModeSet { mode }) => {
                format!("Mode set to {mode} for this conversation.")
            }
            (Lang::Fr, Text::ModeSet { mode }) => {
                format!("Mode {mode} activé pour cette conversation.")
            }
            (Lang::En, Text::ModeSetForChannel { mode }) => format!(
                "Mode set to {mode} for this channel: everyone's new conversations here start in it."
            ),
            (Lang::Fr, Text::ModeSetForChannel { mode }) => format!(
                "Mode {mode} activé pour ce salon : les nouvelles conversations de chacun ici \
                 commencent dans ce mode."
            ),
            (Lang::En, Text::ModeChannelNeedsAdmin { prefix }) => format!(
                "Only an admin can change this channel's mode, which is everyone's. In a thread, \
                 `{prefix}mode` changes that thread only; in a direct message, yours."
            ),
            (Lang::Fr, Text::ModeChannelNeedsAdmin { prefix }) => format!(
                "Seul un administrateur peut changer le mode de ce salon, car il s'applique à tout \
                 le monde. Dans un fil, `{prefix}mode` ne change que ce fil ; en message privé, \
                 seulement votre conversation."
            ),
            (Lang::En, Text::UnknownMode { given }) => {
                format!("There is no mode {given:?}: the modes are sql and chat.")
            }
            (Lang::Fr, Text::UnknownMode { given }) => {
                format!("Le mode {given:?} n'existe pas : les modes sont sql et chat.")
            }
            (Lang::En, Text::NothingToStop) => "Nothing is being written right now.".to_owned(),
            (Lang::Fr, Text::NothingToStop) => {
                "Aucune réponse n'est en cours de rédaction.".to_owned()
            }
            (Lang::En, Text::NotYourConversation) => "This conversation belongs to the people \
                 who asked in it: only they (or an admin) can export it or change its mode. \
                 Start your own by asking me a question."
                .to_owned(),
            (Lang::Fr, Text::NotYourConversation) => "Cette conversation appartient aux \
                 personnes qui y ont posé des questions : elles seules (ou un administrateur) \
                 peuvent l'exporter ou en changer le mode. Commencez la vôtre en me posant une \
                 question."
                .to_owned(),
            (Lang::En, Text::NothingToExport) => {
                "There is no conversation of yours here to export yet.".to_owned()
            }
            (Lang::Fr, Text::NothingToExport) => {
                "Vous n'avez pas encore de conversation ici à exporter.".to_owned()
            }
            (lang, Text::SqlRefused(refusal)) => sql_refusal(lang, refusal),
            (Lang::En, Text::SqlDoesNotCompile { index, message }) => format!(
                "Query {index} will not be run: the database does not accept it ({message})."
            ),
            (Lang::Fr, Text::SqlDoesNotCompile { index, message }) => format!(
                "La requête {index} ne sera pas exécutée : la base ne l'accepte pas ({message})."
            ),
            (Lang::En, Text::SqlPlanTooSlow { index, limit }) => format!(
                "Query {index} will not be run: the database took longer than {} only to plan \
                 and weigh it, before running anything (ask for fewer or smaller values).",
                humantime::format_duration(*limit)
            ),
            (Lang::Fr, Text::SqlPlanTooSlow { index, limit }) => format!(
                "La requête {index} ne sera pas exécutée : la base a mis plus de {} rien qu'à \
                 la planifier et l'évaluer, avant de rien exécuter (demandez moins de valeurs, ou \
                 de plus courtes).",
                duration_fr(*limit)
            ),
            (Lang::En, Text::SqlTooHeavy { index, heavy }) => format!(
                "Query {index} will not be run: it would take more of the database server than \
                 one query may ({}).",
                heavy_reason(Lang::En, heavy)
            ),
            (Lang::Fr, Text::SqlTooHeavy { index, heavy }) => format!(
                "La requête {index} ne sera pas exécutée : elle demanderait au serveur de base de \
                 données plus de ressources que ce à quoi une requête a droit ({}).",
                heavy_reason(Lang::Fr, heavy)
            ),
            (
                lang,
                Text::SqlReady {
                    index,
                    rows,
                    buttons,
                    prefix,
                },
            ) => {
                let estimate = match (lang, rows) {
                    (_, None) => String::new(),
                    (Lang::En, Some(1)) => " (about 1 row)".to_owned(),
                    (Lang::Fr, Some(0 | 1)) => format!(" (environ {} ligne)", rows.unwrap_or(0)),
                    (Lang::En, Some(r)) => format!(" (about {r} rows)"),
                    (Lang::Fr, Some(r)) => format!(" (environ {r} lignes)"),
                };
                match (lang, buttons) {
                    (Lang::En, true) => {
                        format!("▶ Query {index} can be run{estimate}: use Execute.")
                    }
                    (Lang::En, false) => {
                        format!("▶ Query {index} can be run{estimate}: `{prefix}run {index}`.")
                    }
                    (Lang::Fr, true) => format!(
                        "▶ La requête {index} peut être exécutée{estimate} : utilisez Exécuter."
                    ),
                    (Lang::Fr, false) => format!(
                        "▶ La requête {index} peut être exécutée{estimate} : `{prefix}run {index}`."
                    ),
                }
            }
            (Lang::En, Text::NothingToRun { index }) => {
                format!("There is no query {index} to run here.")
            }
            (Lang::Fr, Text::NothingToRun { index }) => {
                format!("Il n'y a pas de requête {index} à exécuter ici.")
            }
            (Lang::En, Text::Running { index }) => format!("⏳ Running query {index}…"),
            (Lang::Fr, Text::Running { index }) => format!("⏳ Exécution de la requête {index}…"),
            (Lang::En, Text::ExecFailed { error }) => {
                format!("⚠️ The query did not complete: {}.", exec_error(Lang::En, error))
            }
            (Lang::Fr, Text::ExecFailed { error }) => {
                format!("⚠️ La requête n'a pas abouti : {}.", exec_error(Lang::Fr, error))
            }
            (lang, Text::AskBack { why, readings }) => {
                let why = doubted(lang, why);
                let mut text = match (lang, readings.len()) {
                    (Lang::En, 1) => format!("🤔 I am not sure of my reading: {why}."),
                    (Lang::Fr, 1) => format!("🤔 Je ne suis pas sûr de ma lecture : {why}."),
                    (Lang::En, _) => {
                        format!("🤔 I am not sure how to read this: {why}. Which do you mean?")
                    }
                    (Lang::Fr, _) => {
                        format!("🤔 Je ne sais pas bien comment lire ceci : {why}. Laquelle voulez-vous dire ?")
                    }
                };
                for (i, reading) in readings.iter().enumerate() {
                    text.push_str(&format!("\n{}. {reading}", i + 1));
                }
                text
            }
            (Lang::En, Text::PickHow { count: 1, buttons: true, .. }) => {
                "Pick it with its button to get its query, or ask again in other words.".to_owned()
            }
            (Lang::Fr, Text::PickHow { count: 1, buttons: true, .. }) => {
                "Choisissez-la avec son bouton pour avoir sa requête, ou reposez la question \
                 autrement."
                    .to_owned()
            }
            (Lang::En, Text::PickHow { count: 1, prefix, .. }) => format!(
                "Reply 1 (or `{prefix}pick 1`) to get its query, or ask again in other words."
            ),
            (Lang::Fr, Text::PickHow { count: 1, prefix, .. }) => format!(
                "Répondez 1 (ou `{prefix}pick 1`) pour avoir sa requête, ou reposez la question \
                 autrement."
            ),
            (Lang::En, Text::PickHow { buttons: true, .. }) => {
                "Pick one with its button to get its query, or ask again in other words.".to_owned()
            }
            (Lang::Fr, Text::PickHow { buttons: true, .. }) => {
                "Choisissez-en une avec son bouton pour avoir sa requête, ou reposez la question \
                 autrement."
                    .to_owned()
            }
            (Lang::En, Text::PickHow { prefix, .. }) => format!(
                "Reply with its number (or `{prefix}pick N`) to get its query, or ask again in \
                 other words."
            ),
            (Lang::Fr, Text::PickHow { prefix, .. }) => format!(
                "Répondez par son numéro (ou `{prefix}pick N`) pour avoir sa requête, ou reposez \
                 la question autrement."
            ),
            (Lang::En, Text::Picked { number }) => format!("✔ Reading {number}, as you picked."),
            (Lang::Fr, Text::Picked { number }) => {
                format!("✔ Lecture {number}, comme vous l'avez choisie.")
            }
            (Lang::En, Text::NothingToPick { number }) => {
                format!("There is no reading {number} to pick here.")
            }
            (Lang::Fr, Text::NothingToPick { number }) => {
                format!("Il n'y a pas de lecture {number} à choisir ici.")
            }
            (Lang::En, Text::AlreadyPicked { number }) => {
                format!("Reading {number} was picked already: its query is above.")
            }
            (Lang::Fr, Text::AlreadyPicked { number }) => {
                format!("La lecture {number} a déjà été choisie : sa requête est plus haut.")
            }
            (Lang::En, Text::PickIsTheAskers) => {
                "Only who asked the question picks how it is read; ask it yourself to get its \
                 readings."
                    .to_owned()
            }
            (Lang::Fr, Text::PickIsTheAskers) => {
                "Seule la personne qui a posé la question choisit comment la lire ; posez-la \
                 vous-même pour avoir ses lectures."
                    .to_owned()
            }
            (Lang::En, Text::FollowsEarlier { earlier }) => {
                format!("↪ Read with the question before it: {}", quoted_question(earlier))
            }
            (Lang::Fr, Text::FollowsEarlier { earlier }) => {
                format!("↪ Lue avec la question d'avant : {}", quoted_question(earlier))
            }
            (Lang::En, Text::PlanAnswer { reading, confirmed: None, sql }) => {
                format!("Read as: {reading}.\n```sql\n{sql}\n```")
            }
            (Lang::En, Text::PlanAnswer { reading, confirmed: Some(id), sql }) => format!(
                "Read as: {reading}, as this question was confirmed before (example #{id}).\n\
                 ```sql\n{sql}\n```"
            ),
            (Lang::Fr, Text::PlanAnswer { reading, confirmed: None, sql }) => {
                format!("Lu comme : {reading}.\n```sql\n{sql}\n```")
            }
            (Lang::Fr, Text::PlanAnswer { reading, confirmed: Some(id), sql }) => format!(
                "Lu comme : {reading}, comme cette question a été confirmée auparavant \
                 (exemple n° {id}).\n```sql\n{sql}\n```"
            ),
            (Lang::En, Text::PlanValueUnknown { dimension, value, near: "" }) => format!(
                "No {dimension} is “{value}” in the data. Ask again with a value it holds."
            ),
            (Lang::En, Text::PlanValueUnknown { dimension, value, near }) => format!(
                "No {dimension} is “{value}” in the data; the nearest are {near}. Ask again \
                 with one of them if it is the one you mean."
            ),
            (Lang::Fr, Text::PlanValueUnknown { dimension, value, near: "" }) => format!(
                "Aucun(e) {dimension} ne vaut « {value} » dans les données. Reposez la question \
                 avec une valeur qu'elles contiennent."
            ),
            (Lang::Fr, Text::PlanValueUnknown { dimension, value, near }) => format!(
                "Aucun(e) {dimension} ne vaut « {value} » dans les données ; les plus proches \
                 sont {near}. Reposez la question avec l'une d'elles si c'est celle que vous \
                 voulez dire."
            ),
            (Lang::En, Text::RepairRequest { reasons }) => format!(
                "Your query cannot be run: {reasons} Write a corrected query that answers my \
                 question, in a single ```sql block, followed by one sentence."
            ),
            (Lang::Fr, Text::RepairRequest { reasons }) => format!(
                "Votre requête ne peut pas être exécutée : {reasons} Écrivez une requête corrigée qui \
                 répond à ma question, dans un seul bloc ```sql, suivie d'une phrase."
            ),
            (Lang::En, Text::ColumnIsIn { column, tables: "" }) => {
                format!("no table has a column {column}")
            }
            (Lang::En, Text::ColumnIsIn { column, tables }) => {
                format!("{column} is a column of {tables}")
            }
            (Lang::Fr, Text::ColumnIsIn { column, tables: "" }) => {
                format!("aucune table n'a de colonne {column}")
            }
            (Lang::Fr, Text::ColumnIsIn { column, tables }) => {
                format!("{column} est une colonne de {tables}")
            }
            (Lang::En, Text::SqlAskedAgain) => "Your answer holds no SQL query. If the tables \
                can answer my question, write the SELECT that answers it, in a single ```sql \
                block, followed by one sentence; if they cannot, say so in one sentence."
                .to_owned(),
            (Lang::Fr, Text::SqlAskedAgain) => "Votre réponse ne contient pas de requête SQL. Si \
                les tables peuvent répondre à ma question, écrivez le SELECT qui y répond, dans \
                un seul bloc ```sql, suivi d'une phrase ; sinon, dites-le en une phrase."
                .to_owned(),
            (
                Lang::En,
                Text::SqlAgreed {
                    votes,
                    of,
                    index,
                    sql,
                },
            ) => format!(
                "{votes} of my {of} tries agree on another query, query {index}:\n\
                 ```sql\n{sql}\n```"
            ),
            (
                Lang::Fr,
                Text::SqlAgreed {
                    votes,
                    of,
                    index,
                    sql,
                },
            ) => format!(
                "{votes} de mes {of} essais s'accordent sur une autre requête, la requête {index} \
                 :\n```sql\n{sql}\n```"
            ),
            (Lang::En, Text::ExecuteUnavailable { reason }) => {
                format!("Queries cannot be run right now: {reason}.")
            }
            (Lang::Fr, Text::ExecuteUnavailable { reason }) => {
                format!("Les requêtes ne peuvent pas être exécutées pour le moment : {reason}.")
            }
            (Lang::En, Text::ExampleStored { id, new, target }) => {
                if *new {
                    format!(
                        "✅ Thank you: this query is now example #{id} of {target}. Similar \
                         questions will be shown it."
                    )
                } else {
                    format!("✅ Thank you: this query was already example #{id} of {target}.")
                }
            }
            (Lang::Fr, Text::ExampleStored { id, new, target }) => {
                if *new {
                    format!(
                        "✅ Merci : cette requête est désormais l'exemple n° {id} de {target}. Elle \
                         sera proposée en exemple pour les questions semblables."
                    )
                } else {
                    format!("✅ Merci : cette requête était déjà l'exemple n° {id} de {target}.")
                }
            }
            (Lang::En, Text::FeedbackNoted) => {
                "❌ Noted: this result was wrong. Nothing was kept as an example; asking again \
                 in other words often helps."
                    .to_owned()
            }
            (Lang::Fr, Text::FeedbackNoted) => {
                "❌ C'est noté : ce résultat était faux. Rien n'a été enregistré comme exemple ; \
                 reformuler la question aide souvent."
                    .to_owned()
            }
            (Lang::En, Text::ConfirmNotAllowed { role }) => format!(
                "Examples are shown to everyone's questions: only someone with the role {role} \
                 may confirm a query as one. Nothing was stored."
            ),
            (Lang::Fr, Text::ConfirmNotAllowed { role }) => format!(
                "Les exemples servent à toutes les questions : seule une personne ayant le rôle \
                 {role} peut valider une requête comme exemple. Rien n'a été enregistré."
            ),
            (Lang::En, Text::ExampleStaysRemoved) => "An admin removed this question and query \
                 from the examples: it stays removed (an admin can add it again). Nothing was \
                 stored."
                .to_owned(),
            (Lang::Fr, Text::ExampleStaysRemoved) => "Un administrateur a retiré cette question \
                 et cette requête des exemples : elles restent retirées (un administrateur peut les \
                 rajouter). Rien n'a été enregistré."
                .to_owned(),
            (Lang::En, Text::ConfirmPrivateNeedsRole { role }) => format!(
                "Examples are shown to everyone's questions: a query asked or shown in private \
                 becomes one only when someone with the role {role} confirms it. Nothing was stored."
            ),
            (Lang::Fr, Text::ConfirmPrivateNeedsRole { role }) => format!(
                "Les exemples servent à toutes les questions : une requête demandée ou affichée en \
                 privé ne devient un exemple que si une personne ayant le rôle {role} la valide. \
                 Rien n'a été enregistré."
            ),
            (Lang::En, Text::ResultWithoutQuestion) => {
                "This query was offered before questions were kept with their queries: it cannot \
                 become an example. Ask again to confirm the new answer."
                    .to_owned()
            }
            (Lang::Fr, Text::ResultWithoutQuestion) => {
                "Cette requête a été proposée avant que les questions soient gardées avec leurs \
                 requêtes : elle ne peut pas devenir un exemple. Reposez la question pour confirmer \
                 la nouvelle réponse."
                    .to_owned()
            }
            (Lang::En, Text::ExampleSetAside { reason }) => format!("set aside: {reason}"),
            (Lang::Fr, Text::ExampleSetAside { reason }) => format!("mis de côté : {reason}"),
            (Lang::En, Text::NoResultToJudge) => {
                "There is no result of a query of yours here to judge: run one first.".to_owned()
            }
            (Lang::Fr, Text::NoResultToJudge) => {
                "Il n'y a ici aucun résultat de vos requêtes à juger : exécutez-en d'abord une."
                    .to_owned()
            }
            (Lang::En, Text::FeedbackTyped { prefix }) => format!(
                "Is this the right result? {prefix}good keeps the query as an example, \
                 {prefix}bad says it is wrong."
            ),
            (Lang::Fr, Text::FeedbackTyped { prefix }) => format!(
                "Est-ce le bon résultat ? {prefix}good enregistre la requête comme exemple, \
                 {prefix}bad signale que le résultat est faux."
            ),
            (
                Lang::En,
                Text::ExamplesListed {
                    shown,
                    total,
                    target,
                },
            ) => {
                format!("{shown} of the {total} examples of {target}:")
            }
            (
                Lang::Fr,
                Text::ExamplesListed {
                    shown,
                    total,
                    target,
                },
            ) => {
                format!("{shown} des {total} exemples de {target} :")
            }
            (Lang::En, Text::NoExamples { target }) => format!("No example of {target} matches."),
            (Lang::Fr, Text::NoExamples { target }) => {
                format!("Aucun exemple de {target} ne correspond.")
            }
            (Lang::En, Text::ExampleRemoved { id }) => format!("Example #{id} was removed."),
            (Lang::Fr, Text::ExampleRemoved { id }) => format!("L'exemple n° {id} a été retiré."),
            (Lang::En, Text::NoSuchExample { id }) => format!("There is no example #{id}."),
            (Lang::Fr, Text::NoSuchExample { id }) => format!("Il n'y a pas d'exemple n° {id}."),
            (Lang::En, Text::ControlNotValid) => {
                "This button is not one I can act on (it is not mine, or it is out of date); \
                 nothing was run. The attempt was recorded."
                    .to_owned()
            }
            (Lang::Fr, Text::ControlNotValid) => {
                "Ce bouton n'est pas l'un des miens, ou il est périmé : rien n'a été exécuté. \
                 La tentative a été enregistrée."
                    .to_owned()
            }
            (Lang::En, Text::ResultsSentPrivately { index }) => {
                format!("Results of query {index}, visible to you only:")
            }
            (Lang::Fr, Text::ResultsSentPrivately { index }) => {
                format!("Résultats de la requête {index}, visibles uniquement par vous :")
            }
            (Lang::En, Text::CannotDeliverPrivately) => {
                "The results could not be sent to you privately (a direct message could not be \
                 opened); they are not shown here. Open a direct message with me and try again."
                    .to_owned()
            }
            (Lang::Fr, Text::CannotDeliverPrivately) => {
                "Les résultats n'ont pas pu vous être envoyés en privé (impossible d'ouvrir un \
                 message privé) ; ils ne sont pas affichés ici. Ouvrez un message privé avec moi \
                 et réessayez."
                    .to_owned()
            }
            (Lang::En, Text::NoChart(why)) => {
                format!("No chart: {}.", super::chart::why_none(*why, Lang::En))
            }
            (Lang::Fr, Text::NoChart(why)) => {
                format!("Pas de graphique : {}.", super::chart::why_none(*why, Lang::Fr))
            }
            (Lang::En, Text::HiddenFromYou(hidden)) => hidden_en(hidden),
            (Lang::Fr, Text::HiddenFromYou(hidden)) => hidden_fr(hidden),
            (Lang::En, Text::AccessUnchecked) => {
                "Nothing was run: what you may read cannot be checked until the target's tables \
                 have been read. Try again in a moment."
                    .to_owned()
            }
            (Lang::Fr, Text::AccessUnchecked) => {
                "Rien n'a été exécuté : ce que vous pouvez lire ne peut être vérifié tant que les \
                 tables de la cible n'ont pas été lues. Réessayez dans un instant."
                    .to_owned()
            }
            (Lang::En, Text::ResultsRedirected { index, why }) => {
                let because = match why {
                    Redirection::Hidden(hidden) => format!(
                        "someone who reads this place may not read them ({})",
                        what_of(hidden)
                    ),
                    Redirection::Later(hidden) => format!(
                        "whoever is let in later can read back what this place shows, and may \
                         not read them ({})",
                        what_of(hidden)
                    ),
                    Redirection::Changed => {
                        "who reads this place changed while the query ran".to_owned()
                    }
                    Redirection::Unknown => "I cannot tell who reads this place, and some \
                                             people may not read everything"
                        .to_owned(),
                };
                format!(
                    "The results of query {index} were sent privately to whoever ran it: \
                     {because}."
                )
            }
            (Lang::Fr, Text::ResultsRedirected { index, why }) => {
                let because = match why {
                    Redirection::Hidden(hidden) => format!(
                        "une personne qui lit ce salon ne peut pas les lire ({})",
                        what_of(hidden)
                    ),
                    Redirection::Later(hidden) => format!(
                        "qui y sera admis plus tard pourra relire ce que montre ce salon, et ne \
                         peut pas les lire ({})",
                        what_of(hidden)
                    ),
                    Redirection::Changed => {
                        "les lecteurs de ce salon ont changé pendant la requête".to_owned()
                    }
                    Redirection::Unknown => "je ne peux pas savoir qui lit ce salon, et \
                                             certains ne peuvent pas tout lire"
                        .to_owned(),
                };
                format!(
                    "Les résultats de la requête {index} ont été envoyés en privé à qui l'a \
                     lancée : {because}."
                )
            }
            (Lang::En, Text::AuditNothingFound) => "No audit event matches.".to_owned(),
            (Lang::Fr, Text::AuditNothingFound) => {
                "Aucun événement d'audit ne correspond.".to_owned()
            }
            (Lang::En, Text::AuditListed { shown }) => {
                format!("The {shown} newest matching audit events:")
            }
            (Lang::Fr, Text::AuditListed { shown }) => {
                format!("Les {shown} événements d'audit les plus récents qui correspondent :")
            }
            (Lang::En, Text::AuditIntact { checked }) => {
                format!("✅ The audit chain holds: {checked} events checked.")
            }
            (Lang::Fr, Text::AuditIntact { checked }) => {
                format!("✅ La chaîne d'audit est intacte : {checked} événements vérifiés.")
            }
            (Lang::En, Text::AuditBroken { checked, detail }) => {
                format!("❌ The audit chain is broken after {checked} events: {detail}")
            }
            (Lang::Fr, Text::AuditBroken { checked, detail }) => {
                format!("❌ La chaîne d'audit est rompue après {checked} événements : {detail}")
            }
            (Lang::En, Text::AuditNoSuchUser { name }) => {
                format!("There is no local user named {name:?}.")
            }
            (Lang::Fr, Text::AuditNoSuchUser { name }) => {
                format!("Aucun utilisateur local ne s'appelle {name:?}.")
            }
            (Lang::En, Text::AuditNoSuchKind { given, kinds }) => {
                format!("{given:?} is not a kind of audit event; the kinds are: {kinds}.")
            }
            (Lang::Fr, Text::AuditNoSuchKind { given, kinds }) => {
                format!(
                    "{given:?} n'est pas un type d'événement d'audit ; les types sont : {kinds}."
                )
            }
            (Lang::En, Text::Help { prefix: p }) => format!(
                "Ask me a question, and I answer with the company's own language model. \
                 Commands: `{p}mode sql` (answers as SQL) or `{p}mode chat` (plain answers), \
                 `{p}run N` (runs query N of the last answer), `{p}pick N` (reading N, when I ask \
                 how to read a question), `{p}good` or `{p}bad` (the last \
                 result was right: keep the query as an example; or wrong), `{p}stop` (stops the \
                 answer being written), `{p}export` (this conversation as Markdown, or `{p}export json`), \
                 `{p}link CODE` (in a direct message: links your account)."
            ),
            (Lang::Fr, Text::Help { prefix: p }) => format!(
                "Posez-moi une question : je réponds avec le modèle de langage de l'entreprise. \
                 Commandes : `{p}mode sql` (réponses en SQL) ou `{p}mode chat` (réponses libres), \
                 `{p}run N` (exécute la requête N de la dernière réponse), `{p}pick N` (la lecture N, \
                 quand je demande comment lire une question), `{p}good` (le dernier résultat \
                 est juste : la requête est gardée comme exemple) ou `{p}bad` (il est faux), \
                 `{p}stop` (arrête la réponse en cours), `{p}export` (cette conversation en Markdown, ou \
                 `{p}export json`), `{p}link CODE` (en message privé : lie votre compte)."
            ),
        }
    }
}

/// A question quoted in the bot's words: cut to a line, between quotes.
fn quoted_question(question: &str) -> String {
    let line: String = question.chars().take(120).collect();
    format!("“{}”", line.replace(['\n', '\r'], " ").trim())
}
