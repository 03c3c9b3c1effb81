//! User-facing text, in English and French.
//!
//! Every sentence a chat user can read is built here, from a [`Text`] value
//! and a [`Lang`], so that a translation is never missing: adding a variant to
//! [`Text`] does not compile until both languages have it. Operator-facing
//! output (logs, CLI) stays in English.
//!
//! It also words what adapters show of their own ([`Wording`], the
//! contract's [`Label`]s: buttons, notes, command descriptions), so that no
//! adapter holds text.
//!
//! One file on purpose, a little over the usual size: every sentence sits
//! beside its translation, where a reviewer sees both.

use std::fmt;

use pstral_chat::{Label, Labels};
use serde::{Deserialize, Serialize};

/// A language the bot speaks. The default comes from `general.language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// Every language the bot speaks.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            other => Err(format!("unknown language {other:?}: en or fr")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something the bot says to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// To someone whose chat account is linked to no local user, when the
    /// policy is to refuse.
    UnknownIdentity {
        contact: &'a str,
        /// How commands are typed on the platform (`!`, `/`).
        prefix: &'a str,
    },
    /// An invite code was accepted and the account is now linked.
    Linked {
        user: &'a str,
    },
    /// An invite code that does not work: unknown, expired, used, or tried
    /// too often. One text for all, so that trying codes teaches nothing.
    InviteNotValid,
    /// Where others could see it: an invite code said outside a direct
    /// message, which no longer works if it was one.
    InviteSeenInPublic,
    /// To the person who said a live invite code in a shared place, alone.
    InviteBurnt {
        prefix: &'a str,
    },
    /// To whoever wrote a live invite code in ordinary chatter (handing it
    /// to someone in a room, say), alone: it no longer works.
    InviteOverheard,
    /// The chat account is already linked to a local user.
    AlreadyLinked {
        user: &'a str,
    },
    /// The user's role does not allow what they asked for.
    NotAllowed {
        needed: &'a str,
    },
    /// The own database could not record an action, so it was not carried out.
    AuditUnavailable,
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
    AnswerCut,
    /// The chat refused the next message of a long answer.
    AnswerNotPosted {
        prefix: &'a str,
    },
    /// The answer reached the model's length limit.
    AnswerTooLong,
    /// The model looped; its answer was ended.
    AnswerRepeats,
    /// Stop used by someone who neither asked nor administers.
    StopNotAllowed,
    /// A file could not be attached.
    CannotAttach,
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
    /// The model finished without a word.
    EmptyAnswer,
    ModeSet {
        mode: &'a str,
    },
    /// A shared channel's default mode changed, for everyone's new
    /// conversations there.
    ModeSetForChannel {
        mode: &'a str,
    },
    /// `mode` outside a thread in a shared channel, by someone who is not an
    /// admin: it would change everyone's default.
    ModeChannelNeedsAdmin {
        prefix: &'a str,
    },
    UnknownMode {
        given: &'a str,
    },
    /// `stop` when nothing is being generated.
    NothingToStop,
    /// `export` where the user has no conversation yet.
    NothingToExport,
    /// A thread's conversation belongs to those who asked in it (and to
    /// admins): someone else may not export it or change its mode.
    NotYourConversation,
    /// The list of commands, as typed on the platform.
    Help {
        prefix: &'a str,
    },
    /// Why a SQL statement will not be offered for execution.
    SqlRefused(&'a crate::sql::validate::Refusal),
    /// The statement does not compile against the real schema.
    SqlDoesNotCompile {
        index: u32,
        message: &'a str,
    },
    /// The statement's plan would take more of the database server than
    /// one query may (weighed on its plan and the tables' sizes).
    SqlTooHeavy {
        index: u32,
        heavy: &'a crate::sql::backend::Heavy,
    },
    /// The database took longer than the limit only to plan the statement
    /// (its EXPLAIN, before any click).
    SqlPlanTooSlow {
        index: u32,
        limit: std::time::Duration,
    },
    /// A statement may be run; with the database's estimate when known.
    SqlReady {
        index: u32,
        rows: Option<u64>,
        buttons: bool,
        /// How commands are typed on the platform.
        prefix: &'a str,
    },
    /// `run N` names no statement offered here.
    NothingToRun {
        index: u32,
    },
    Running {
        index: u32,
    },
    /// The query failed or was stopped: why, the database's own message
    /// kept as it said it.
    ExecFailed {
        error: &'a crate::sql::backend::ExecError,
    },
    /// There is no working Execute target.
    ExecuteUnavailable {
        reason: &'a str,
    },
    /// Sent to the model (not to a user): fix the query that failed.
    RepairRequest {
        reasons: &'a str,
    },
    /// The second round, when the model's answer held no SQL at all.
    SqlAskedAgain,
    /// More answers were drawn (`sql.candidates`) and most agree on a
    /// statement the first answer did not offer: it, as query `index`.
    SqlAgreed {
        votes: usize,
        of: usize,
        index: u32,
        sql: &'a str,
    },
    /// Where a column the database did not find is (`tables` empty: in no
    /// table shown).
    ColumnIsIn {
        column: &'a str,
        tables: &'a str,
    },
    /// A control (button) that the bot did not make, or no longer knows.
    ControlNotValid,
    /// The results went to the person who ran the query, privately.
    ResultsSentPrivately {
        index: u32,
    },
    /// Results meant for one person could not reach them privately.
    CannotDeliverPrivately,
    /// An audit query found nothing.
    AuditNothingFound,
    /// The head of an audit answer: how many events are listed.
    AuditListed {
        shown: usize,
    },
    /// `audit verify`: the chain holds.
    AuditIntact {
        checked: u64,
    },
    /// `audit verify`: the chain is broken; what the check found.
    AuditBroken {
        checked: u64,
        detail: &'a str,
    },
    /// `audit user NAME` names no local user.
    AuditNoSuchUser {
        name: &'a str,
    },
    /// `audit kind KIND` names no kind of event.
    AuditNoSuchKind {
        given: &'a str,
        kinds: &'a str,
    },
    /// The first words of a terminal session.
    TerminalWelcome,
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
    /// "Correct" stored the query as an example of the target (`new`: it
    /// was not one already).
    ExampleStored {
        id: i64,
        new: bool,
        target: &'a str,
    },
    /// "Wrong" was recorded; nothing was stored.
    FeedbackNoted,
    /// "Correct" from someone who neither asked nor has the role.
    ConfirmNotAllowed {
        role: &'a str,
    },
    /// "Correct" on a pair an admin removed from the examples.
    ExampleStaysRemoved,
    /// "Correct" on a result asked or shown in private, from someone
    /// without the role.
    ConfirmPrivateNeedsRole {
        role: &'a str,
    },
    /// `good`/`bad` with no query result here to judge.
    NoResultToJudge,
    /// "Correct" on a statement offered before questions were kept.
    ResultWithoutQuestion,
    /// In the `examples` list: why one is not in use.
    ExampleSetAside {
        reason: &'a str,
    },
    /// Under a result sent privately, where controls cannot follow it.
    FeedbackTyped {
        prefix: &'a str,
    },
    /// `examples`: the head of the list.
    ExamplesListed {
        shown: usize,
        total: usize,
        target: &'a str,
    },
    /// `examples`: none stored (or none matching).
    NoExamples {
        target: &'a str,
    },
    /// `examples remove N`.
    ExampleRemoved {
        id: i64,
    },
    NoSuchExample {
        id: i64,
    },
    /// Above a result's preview: how many of its rows are shown.
    RowsCaption {
        shown: u64,
        total: u64,
        /// The result was cut at the row cap: there were more than `total`.
        truncated: bool,
    },
}

impl<'a> Text<'a> {
    /// What to tell the chat user who caused an identity error, when it is
    /// theirs to fix; `None` for failures of the bot itself.
    pub fn of_identity_error(error: &'a crate::identity::IdentityError) -> Option<Self> {
        use crate::identity::IdentityError as E;
        match error {
            // One text for every failure: trying codes teaches nothing.
            E::InviteUnknown
            | E::InviteExpired
            | E::InviteUsed
            | E::InviteForAnother
            | E::InviteNeedsAccount(_)
            | E::TooManyAttempts => Some(Text::InviteNotValid),
            E::AlreadyLinked { user, .. } => Some(Text::AlreadyLinked { user }),
            _ => None,
        }
    }
}

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
            (Lang::En, Text::ModelServerDown { url, error, ollama }) => format!(
                "⚠️  No {} answers at {url} ({error}).\n   Start it{}, or point llm.endpoints \
                 (PSTRAL__LLM__ENDPOINTS) at a running server.",
                if *ollama { "Ollama" } else { "model server" },
                if *ollama { " with `ollama serve`" } else { "" },
            ),
            (Lang::Fr, Text::ModelServerDown { url, error, ollama }) => format!(
                "⚠️  Aucun {} ne répond à {url} ({error}).\n   Lancez-le{}, ou indiquez dans \
                 llm.endpoints (PSTRAL__LLM__ENDPOINTS) un serveur qui tourne.",
                if *ollama {
                    "Ollama"
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
                "⚠️  {url} ne sert pas le modèle {model} ; il sert : {served}.\n   Indiquez l'un \
                 d'eux dans le model de l'endpoint, ou dans llm.model (PSTRAL__LLM__MODEL)."
            ),
            (Lang::En, Text::UnknownIdentity { contact, prefix }) => format!(
                "Hello! I don't know your account yet, so I can't answer. Ask {contact} for an \
                 invite code, then send it to me in a direct message with `{prefix}link CODE`."
            ),
            (Lang::Fr, Text::UnknownIdentity { contact, prefix }) => format!(
                "Bonjour ! Je ne connais pas encore votre compte, je ne peux donc pas répondre. \
                 Demandez un code d'invitation (contact : {contact}), puis envoyez-le-moi en \
                 message privé avec `{prefix}link CODE`."
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
            (Lang::En, Text::InviteSeenInPublic) => "Invite codes are only taken in a direct \
                 message. If this was one, it no longer works: others could see it."
                .to_owned(),
            (Lang::Fr, Text::InviteSeenInPublic) => "Les codes d'invitation ne sont acceptés \
                 qu'en message privé. Si c'en était un, il ne fonctionne plus : d'autres ont pu \
                 le voir."
                .to_owned(),
            (Lang::En, Text::InviteBurnt { prefix }) => format!(
                "The invite code you sent where others could see it no longer works. Ask an \
                 admin for a new one, then send it to me here, in this direct message, with \
                 `{prefix}link CODE`."
            ),
            (Lang::Fr, Text::InviteBurnt { prefix }) => format!(
                "Le code d'invitation que vous avez envoyé là où d'autres pouvaient le voir ne \
                 fonctionne plus. Demandez-en un nouveau à un administrateur, puis envoyez-le-moi \
                 ici, en message privé, avec `{prefix}link CODE`."
            ),
            (Lang::En, Text::InviteOverheard) => "An invite code you wrote where others could \
                 read it no longer works. Ask an admin for a new one and give it to its owner \
                 privately; an invite that names the chat account it is for is of no use to \
                 anyone else who sees it."
                .to_owned(),
            (Lang::Fr, Text::InviteOverheard) => "Un code d'invitation que vous avez écrit là où \
                 d'autres pouvaient le lire ne fonctionne plus. Demandez-en un nouveau à un \
                 administrateur et donnez-le à son destinataire en privé ; une invitation qui \
                 nomme le compte de messagerie auquel elle est destinée ne sert à personne \
                 d'autre."
                .to_owned(),
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
                format!("⏳ En attente du modèle : vous êtes numéro {position} dans la file.")
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
            (Lang::En, Text::AnswerNotPosted { prefix }) => format!(
                "The rest of this answer could not be posted here; ask `{prefix}export` for the \
                 whole conversation."
            ),
            (Lang::Fr, Text::AnswerNotPosted { prefix }) => format!(
                "La suite de cette réponse n'a pas pu être publiée ici ; demandez `{prefix}export` \
                 pour la conversation complète."
            ),
            (Lang::En, Text::AnswerTooLong) => {
                "The answer stopped at the model's length limit; ask for a shorter one or for the \
                 rest."
                    .to_owned()
            }
            (Lang::Fr, Text::AnswerTooLong) => {
                "La réponse s'est arrêtée à la longueur maximale du modèle ; demandez plus court, \
                 ou la suite."
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
                "Le serveur de modèles ne sert pas le modèle {model}. Un administrateur doit l'y \
                 charger, ou indiquer dans la configuration celui qu'il sert."
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
                "Seul un administrateur peut changer le mode de ce salon, qui est celui de tous. \
                 Dans un fil, `{prefix}mode` ne change que ce fil ; en message privé, le vôtre."
            ),
            (Lang::En, Text::UnknownMode { given }) => {
                format!("There is no mode {given:?}: the modes are sql and chat.")
            }
            (Lang::Fr, Text::UnknownMode { given }) => {
                format!("Le mode {given:?} n'existe pas : les modes sont sql et chat.")
            }
            (Lang::En, Text::NothingToStop) => "Nothing is being written right now.".to_owned(),
            (Lang::Fr, Text::NothingToStop) => {
                "Rien n'est en cours de rédaction en ce moment.".to_owned()
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
                 it, before running anything.",
                humantime::format_duration(*limit)
            ),
            (Lang::Fr, Text::SqlPlanTooSlow { index, limit }) => format!(
                "La requête {index} ne sera pas exécutée : la base a mis plus de {} rien qu'à \
                 la planifier, avant de rien exécuter.",
                humantime::format_duration(*limit)
            ),
            (Lang::En, Text::SqlTooHeavy { index, heavy }) => format!(
                "Query {index} will not be run: it would take more of the database server than \
                 one query may ({}).",
                heavy_reason(Lang::En, heavy)
            ),
            (Lang::Fr, Text::SqlTooHeavy { index, heavy }) => format!(
                "La requête {index} ne sera pas exécutée : elle prendrait au serveur de la base \
                 plus qu'une requête ne le peut ({}).",
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
                    (Lang::Fr, Some(1)) => " (environ 1 ligne)".to_owned(),
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
                        "✅ Merci : cette requête est désormais l'exemple n° {id} de {target}. Les \
                         questions semblables la verront."
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
                "❌ C'est noté : ce résultat était faux. Rien n'a été gardé comme exemple ; \
                 reformuler la question aide souvent."
                    .to_owned()
            }
            (Lang::En, Text::ConfirmNotAllowed { role }) => format!(
                "Examples are shown to everyone's questions: only someone with the role {role} \
                 may confirm a query as one. Nothing was stored."
            ),
            (Lang::Fr, Text::ConfirmNotAllowed { role }) => format!(
                "Les exemples sont montrés pour les questions de tous : seul quelqu'un qui a le \
                 rôle {role} peut confirmer une requête comme exemple. Rien n'a été gardé."
            ),
            (Lang::En, Text::ExampleStaysRemoved) => "An admin removed this question and query \
                 from the examples: it stays removed (an admin can add it again). Nothing was \
                 stored."
                .to_owned(),
            (Lang::Fr, Text::ExampleStaysRemoved) => "Un administrateur a retiré cette question \
                 et cette requête des exemples : elles le restent (un administrateur peut les \
                 ajouter de nouveau). Rien n'a été gardé."
                .to_owned(),
            (Lang::En, Text::ConfirmPrivateNeedsRole { role }) => format!(
                "Examples are shown to everyone's questions: a query asked or shown in private \
                 becomes one only when someone with the role {role} confirms it. Nothing was stored."
            ),
            (Lang::Fr, Text::ConfirmPrivateNeedsRole { role }) => format!(
                "Les exemples servent aux questions de tous : une requête posée ou montrée en privé \
                 n'en devient un que si quelqu'un qui a le rôle {role} la confirme. Rien n'a été gardé."
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
                "Est-ce le bon résultat ? {prefix}good garde la requête comme exemple, \
                 {prefix}bad dit qu'elle est fausse."
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
                format!("Résultats de la requête {index}, visibles par vous seul :")
            }
            (Lang::En, Text::CannotDeliverPrivately) => {
                "The results could not be sent to you privately (a direct message could not be \
                 opened); they are not shown here. Open a direct message with me and try again."
                    .to_owned()
            }
            (Lang::Fr, Text::CannotDeliverPrivately) => {
                "Les résultats n'ont pas pu vous être envoyés en privé (impossible d'ouvrir un \
                 message direct) ; ils ne sont pas affichés ici. Ouvrez un message direct avec moi \
                 et réessayez."
                    .to_owned()
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
                 `{p}run N` (runs query N of the last answer), `{p}good` or `{p}bad` (the last \
                 result was right: keep the query as an example; or wrong), `{p}stop` (stops the \
                 answer being written), `{p}export` (this conversation as Markdown, or `{p}export json`), \
                 `{p}link CODE` (in a direct message: links your account)."
            ),
            (Lang::Fr, Text::Help { prefix: p }) => format!(
                "Posez-moi une question : je réponds avec le modèle de langage de l'entreprise. \
                 Commandes : `{p}mode sql` (réponses en SQL) ou `{p}mode chat` (réponses libres), \
                 `{p}run N` (exécute la requête N de la dernière réponse), `{p}good` ou `{p}bad` \
                 (le dernier résultat était juste : garder la requête comme exemple ; ou faux), \
                 `{p}stop` (arrête la réponse en cours), `{p}export` (cette conversation en Markdown, ou \
                 `{p}export json`), `{p}link CODE` (en message privé : lie votre compte)."
            ),
        }
    }
}

/// Why a statement is refused, as a user reads it.
fn rows_caption(lang: Lang, shown: u64, total: u64, truncated: bool) -> String {
    let more = if truncated { "+" } else { "" };
    match (lang, shown == total && !truncated) {
        (Lang::En, true) => format!("{total} row{}:", if total == 1 { "" } else { "s" }),
        (Lang::Fr, true) => format!("{total} ligne{} :", if total == 1 { "" } else { "s" }),
        (Lang::En, false) => format!("First {shown} of {total}{more} rows (full result attached):"),
        (Lang::Fr, false) => {
            format!(
                "Les {shown} premières lignes sur {total}{more} (résultat complet en pièce jointe) :"
            )
        }
    }
}

/// Why a query did not run to the end, in `lang`; what the database or the
/// system said is kept as they said it.
pub(crate) fn exec_error(lang: Lang, error: &crate::sql::backend::ExecError) -> String {
    use crate::sql::backend::ExecError as E;
    match (lang, error) {
        (Lang::En, E::Unavailable(m)) => format!("the database is not reachable: {m}"),
        (Lang::Fr, E::Unavailable(m)) => format!("la base n'est pas joignable : {m}"),
        (Lang::En, E::Database(m)) => format!("the database said: {m}"),
        (Lang::Fr, E::Database(m)) => format!("la base a répondu : {m}"),
        (Lang::En, E::Timeout(limit)) => format!(
            "it ran longer than {} and was stopped",
            humantime::format_duration(*limit)
        ),
        (Lang::Fr, E::Timeout(limit)) => format!(
            "elle a duré plus de {} et a été arrêtée",
            humantime::format_duration(*limit)
        ),
        (Lang::En, E::TempSpace(bytes)) => format!(
            "it needed more than {} MiB of temporary disk and was stopped",
            bytes / (1024 * 1024)
        ),
        (Lang::Fr, E::TempSpace(bytes)) => format!(
            "elle demandait plus de {} Mio de disque temporaire et a été arrêtée",
            bytes / (1024 * 1024)
        ),
        (Lang::En, E::Sink(m)) => format!("the result could not be written: {m}"),
        (Lang::Fr, E::Sink(m)) => format!("le résultat n'a pas pu être écrit : {m}"),
        (Lang::En, E::TooHeavy(heavy)) => format!(
            "it was not run, as it would take more of the database server than one query may \
             ({})",
            heavy_reason(lang, heavy)
        ),
        (Lang::Fr, E::TooHeavy(heavy)) => format!(
            "elle n'a pas été lancée, car elle prendrait au serveur de la base plus qu'une \
             requête ne le peut ({})",
            heavy_reason(lang, heavy)
        ),
    }
}

/// Why a plan weighs too much, in `lang`.
fn heavy_reason(lang: Lang, heavy: &crate::sql::backend::Heavy) -> String {
    use crate::sql::backend::Heavy as H;
    match (lang, heavy) {
        (Lang::En, H::PlanTooDeep) => {
            "its plan nests too deep to be read, so what it would cost cannot be known (write \
             it with fewer windows or subqueries)"
                .to_owned()
        }
        (Lang::Fr, H::PlanTooDeep) => {
            "son plan est imbriqué trop profondément pour être lu : ce qu'elle coûterait ne peut \
             pas être connu (écrivez-la avec moins de fenêtres ou de sous-requêtes)"
                .to_owned()
        }
        (Lang::En, H::GathersComputedRows) => "it gathers rows into one value from a function \
             whose rows are computed (write its bounds as numbers), so how much it gathers \
             cannot be foreseen"
            .to_owned(),
        (Lang::Fr, H::GathersComputedRows) => "elle rassemble des lignes en une seule valeur \
             depuis une fonction dont les lignes sont calculées (écrivez ses bornes en \
             nombres) : combien elle rassemble ne peut pas être prévu"
            .to_owned(),
        (Lang::En, H::Gathers { mib, bound_mib }) => match mib {
            Some(mib) => format!(
                "it gathers rows into one value and may read about {mib} MiB, more than \
                 {bound_mib} MiB"
            ),
            None => format!(
                "it gathers rows into one value, and a recursion makes how much it reads \
                 unforeseeable (the bound is {bound_mib} MiB)"
            ),
        },
        (Lang::Fr, H::Gathers { mib, bound_mib }) => match mib {
            Some(mib) => format!(
                "elle rassemble des lignes en une seule valeur et peut lire environ {mib} Mio, \
                 plus que {bound_mib} Mio"
            ),
            None => format!(
                "elle rassemble des lignes en une seule valeur, et une récursion rend \
                 imprévisible ce qu'elle lit (la limite est de {bound_mib} Mio)"
            ),
        },
        (Lang::En, H::GathersThroughView { table, column }) => format!(
            "it gathers rows into one value from {table}.{column}, which it reads through a \
             view, and this account cannot weigh them"
        ),
        (Lang::Fr, H::GathersThroughView { table, column }) => format!(
            "elle rassemble des lignes en une seule valeur depuis {table}.{column}, lue à \
             travers une vue, et ce compte ne peut pas les peser"
        ),
        (Lang::En, H::Hashes { mib, bound_mib }) => format!(
            "the server would keep {} in a hash table it cannot spill to disk, more than \
             {bound_mib} MiB (a NOT IN (SELECT …) is hashed so; NOT EXISTS (SELECT … WHERE …) \
             is not)",
            match mib {
                Some(mib) => format!("about {mib} MiB"),
                None => "more than can be foreseen".to_owned(),
            }
        ),
        (Lang::En, H::HashJoin { mib, bound_mib }) => format!(
            "a join would keep {} of its rows in a hash table, more than {bound_mib} MiB: the \
             server keeps the rows of one key together in memory, whatever work_mem says (join on \
             columns, and build long values after the join rather than before it)",
            match mib {
                Some(mib) => format!("about {mib} MiB"),
                None => "more than can be foreseen".to_owned(),
            }
        ),
        (Lang::En, H::TopRows { mib, bound_mib }) => format!(
            "the first rows of its ORDER BY … LIMIT may hold {}, more than {bound_mib} MiB: the \
             server keeps them in memory to sort them, whatever work_mem says (build long values \
             in an outer SELECT, after the LIMIT, or ask for fewer rows)",
            match mib {
                Some(mib) => format!("about {mib} MiB"),
                None => "more than can be foreseen".to_owned(),
            }
        ),
        (Lang::Fr, H::TopRows { mib, bound_mib }) => format!(
            "les premières lignes de son ORDER BY … LIMIT peuvent contenir {}, plus que \
             {bound_mib} Mio : le serveur les garde en mémoire pour les trier, quoi que dise \
             work_mem (construisez les valeurs longues dans un SELECT extérieur, après le LIMIT, \
             ou demandez moins de lignes)",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (
            Lang::En,
            H::ReadsWhole {
                copies,
                table,
                longest,
                mib,
                bound_mib,
            },
        ) => format!(
            "a row reads {copies} values whole, and {table} holds values of {longest} bytes: each \
             call on such a value unpacks its own copy, held until the row is done, {} in all, \
             more than {bound_mib} MiB (call fewer functions on long values in one row, or on \
             excerpts: substr(x, 1, 1000))",
            match mib {
                Some(mib) => format!("about {mib} MiB"),
                None => "more than can be foreseen".to_owned(),
            }
        ),
        (
            Lang::Fr,
            H::ReadsWhole {
                copies,
                table,
                longest,
                mib,
                bound_mib,
            },
        ) => format!(
            "une ligne lit {copies} valeurs en entier, et {table} contient des valeurs de \
             {longest} octets : chaque appel sur une telle valeur en décompresse sa propre copie, \
             gardée jusqu'à la fin de la ligne, {} en tout, plus que {bound_mib} Mio (appelez moins \
             de fonctions sur des valeurs longues dans une même ligne, ou sur des extraits : \
             substr(x, 1, 1000))",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (
            Lang::En,
            H::Rebuilds {
                copies,
                table,
                longest,
                mib,
                bound_mib,
            },
        ) => format!(
            "a row rebuilds {copies} structured values whole, and {table} holds such values of \
             {longest} bytes: the server takes each apart into a tree many times its size to \
             rebuild it, {} in all, more than {bound_mib} MiB (take the parts you need, \
             payload -> 'key' or payload -> 0, rather than removing from or adding to whole \
             documents)",
            match mib {
                Some(mib) => format!("about {mib} MiB"),
                None => "more than can be foreseen".to_owned(),
            }
        ),
        (
            Lang::Fr,
            H::Rebuilds {
                copies,
                table,
                longest,
                mib,
                bound_mib,
            },
        ) => format!(
            "une ligne reconstruit {copies} valeurs structurées en entier, et {table} contient de \
             telles valeurs de {longest} octets : le serveur défait chacune en un arbre plusieurs \
             fois plus grand pour la reconstruire, {} en tout, plus que {bound_mib} Mio (prenez \
             les parties utiles, payload -> 'clé' ou payload -> 0, plutôt que de retirer ou \
             d'ajouter à des documents entiers)",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (Lang::En, H::GroupsGrow { mib, bound_mib }) => format!(
            "the values of its groups may grow to {}, more than {bound_mib} MiB: the server keeps \
             every group of a hashed GROUP BY in memory and lets their values grow unchecked \
             (aggregate lengths or excerpts, max(length(x)) or left(x, 100), rather than whole \
             long values)",
            match mib {
                Some(mib) => format!("about {mib} MiB"),
                None => "more than can be foreseen".to_owned(),
            }
        ),
        (Lang::Fr, H::GroupsGrow { mib, bound_mib }) => format!(
            "les valeurs de ses groupes peuvent atteindre {}, plus que {bound_mib} Mio : le \
             serveur garde en mémoire chaque groupe d'un GROUP BY haché et laisse leurs valeurs \
             grandir sans contrôle (agrégez des longueurs ou des extraits, max(length(x)) ou \
             left(x, 100), plutôt que des valeurs longues entières)",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (Lang::En, H::RepeatedValue { what }) => format!(
            "rows the server may keep together (in a hash table, or gathered) each hold {what}, \
             a value whose length the plan cannot foresee: join that value instead (… CROSS JOIN \
             (SELECT …) AS s), or keep it for the outermost SELECT"
        ),
        (Lang::Fr, H::RepeatedValue { what }) => format!(
            "des lignes que le serveur peut garder ensemble (dans une table de hachage, ou \
             rassemblées) contiennent chacune {what}, une valeur dont le plan ne peut prévoir la \
             longueur : joignez plutôt cette valeur (… CROSS JOIN (SELECT …) AS s), ou gardez-la \
             pour le SELECT le plus extérieur"
        ),
        (Lang::Fr, H::HashJoin { mib, bound_mib }) => format!(
            "une jointure garderait {} de ses lignes dans une table de hachage, plus que \
             {bound_mib} Mio : le serveur garde ensemble en mémoire les lignes d'une même clé, quoi \
             que dise work_mem (joignez sur des colonnes, et construisez les valeurs longues après \
             la jointure plutôt qu'avant)",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (Lang::Fr, H::Hashes { mib, bound_mib }) => format!(
            "le serveur garderait {} dans une table de hachage qu'il ne peut pas écrire sur \
             disque, plus que {bound_mib} Mio (un NOT IN (SELECT …) est haché ainsi ; un NOT \
             EXISTS (SELECT … WHERE …) ne l'est pas)",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (
            Lang::En,
            H::RecursionGrows {
                table,
                column,
                longest,
            },
        ) => format!(
            "a recursive step adds {table}.{column} to its own value at every step, and its \
             values may be longer than {longest} bytes: how large the value grows cannot be \
             foreseen"
        ),
        (
            Lang::Fr,
            H::RecursionGrows {
                table,
                column,
                longest,
            },
        ) => format!(
            "une étape récursive ajoute {table}.{column} à sa propre valeur à chaque étape, et \
             ses valeurs peuvent dépasser {longest} octets : la taille qu'elle atteint ne peut \
             pas être prévue"
        ),
        (
            Lang::En,
            H::RowBuilds {
                copies,
                table,
                column,
                longest,
                bound_mib,
            },
        ) => format!(
            "one row builds {copies} times the values it reads (copies, or the pieces of a \
             split), and {table}.{column} may hold values longer than {longest} bytes: building \
             them may take more than {bound_mib} MiB of the server's memory"
        ),
        (
            Lang::Fr,
            H::RowBuilds {
                copies,
                table,
                column,
                longest,
                bound_mib,
            },
        ) => format!(
            "une ligne construit {copies} fois les valeurs qu'elle lit (des copies, ou les \
             morceaux d'un découpage), et {table}.{column} peut contenir des valeurs de plus de \
             {longest} octets : les construire peut prendre plus de {bound_mib} Mio de mémoire \
             au serveur"
        ),
        (
            Lang::En,
            H::Quotes {
                table,
                column,
                longest,
            },
        ) => format!(
            "it parses values of {table}.{column} as another type, and they may be longer than \
             {longest} bytes: the database's error on one it cannot parse would quote it whole"
        ),
        (
            Lang::Fr,
            H::Quotes {
                table,
                column,
                longest,
            },
        ) => format!(
            "elle convertit des valeurs de {table}.{column} en un autre type, et elles peuvent \
             dépasser {longest} octets : l'erreur de la base sur une valeur illisible la citerait \
             en entier"
        ),
    }
}

fn sql_refusal(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
    let reason = refusal_reason(lang, refusal);
    match lang {
        Lang::En => format!("This query will not be run: {reason}."),
        Lang::Fr => format!("Cette requête ne sera pas exécutée : {reason}."),
    }
}

/// A refusal's English text, for logs, the audit and the model: the same
/// words [`Text::SqlRefused`] says in English.
impl fmt::Display for crate::sql::validate::Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&refusal_reason(Lang::En, self))
    }
}

impl std::error::Error for crate::sql::validate::Refusal {}

impl fmt::Display for crate::sql::validate::Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&unreadable(Lang::En, self))
    }
}

impl fmt::Display for crate::sql::validate::Excess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&excess(Lang::En, self))
    }
}

/// The most characters a refusal's reason takes: it may quote a name of
/// the statement whole (16 KiB at most), and it goes to the chat, the audit
/// and the model's repair request.
const MAX_REFUSAL_CHARS: usize = 1_000;

/// Why a statement is refused, as a clause ("it calls …"): what
/// [`Text::SqlRefused`] says, and the refusal's own English text; cut to
/// [`MAX_REFUSAL_CHARS`].
fn refusal_reason(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
    let whole = refusal_reason_whole(lang, refusal);
    match whole.char_indices().nth(MAX_REFUSAL_CHARS) {
        Some((at, _)) => format!("{}…", &whole[..at]),
        None => whole,
    }
}

fn refusal_reason_whole(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
    use crate::sql::validate::Refusal as R;
    match (lang, refusal) {
        (Lang::En, R::Empty) => "there is no statement in it".to_owned(),
        (Lang::Fr, R::Empty) => "il ne contient aucune requête".to_owned(),
        (Lang::En, R::CannotVerify(what)) => format!(
            "it cannot be verified (the checker cannot read it: {})",
            unreadable(lang, what)
        ),
        (Lang::Fr, R::CannotVerify(what)) => format!(
            "elle ne peut pas être vérifiée (le vérificateur ne sait pas la lire : {})",
            unreadable(lang, what)
        ),
        (Lang::En, R::TooLarge(excess)) => {
            format!(
                "it goes past what a query may do ({})",
                self::excess(lang, excess)
            )
        }
        (Lang::Fr, R::TooLarge(excess)) => format!(
            "elle dépasse ce qu'une requête peut faire ({})",
            self::excess(lang, excess)
        ),
        (Lang::En, R::UnknownFunction { name, dialect }) => format!(
            "it calls {name}, which is not among the functions known to be harmless in {dialect} (an administrator can allow it with sql.allowed_functions)"
        ),
        (Lang::Fr, R::UnknownFunction { name, dialect }) => format!(
            "elle appelle {name}, qui ne fait pas partie des fonctions reconnues sans danger en {dialect} (un administrateur peut l'autoriser avec sql.allowed_functions)"
        ),
        (Lang::En, R::NotInCatalog(name)) => {
            format!("it reads {name}, which is not a table or view of the allowed schemas")
        }
        (Lang::Fr, R::NotInCatalog(name)) => {
            format!("elle lit {name}, qui n'est ni une table ni une vue des schémas autorisés")
        }
        (Lang::En, R::Several(n)) => format!("it holds {n} statements; only one may run"),
        (Lang::Fr, R::Several(n)) => {
            format!("elle contient {n} requêtes ; une seule peut s'exécuter")
        }
        (Lang::En, R::NotAQuery(kind)) => format!("it is not a SELECT but {kind}"),
        (Lang::Fr, R::NotAQuery(kind)) => format!("ce n'est pas un SELECT mais {kind}"),
        (Lang::En, R::SelectInto) => "SELECT … INTO writes data".to_owned(),
        (Lang::Fr, R::SelectInto) => "SELECT … INTO écrit des données".to_owned(),
        (Lang::En, R::Locks) => "FOR UPDATE locks rows".to_owned(),
        (Lang::Fr, R::Locks) => "FOR UPDATE verrouille des lignes".to_owned(),
        (Lang::En, R::DatabaseLink(name)) => format!("it reaches another database ({name})"),
        (Lang::Fr, R::DatabaseLink(name)) => format!("elle atteint une autre base ({name})"),
        (Lang::En, R::DeniedFunction(name)) => format!("it calls {name}, which is not allowed"),
        (Lang::Fr, R::DeniedFunction(name)) => {
            format!("elle appelle {name}, ce qui n'est pas permis")
        }
        (Lang::En, R::Sequence(name)) => format!("it advances the sequence {name}"),
        (Lang::Fr, R::Sequence(name)) => format!("elle fait avancer la séquence {name}"),
        (Lang::En, R::DeniedObject(name)) => format!("it reads {name}, which is not allowed"),
        (Lang::Fr, R::DeniedObject(name)) => format!("elle lit {name}, ce qui n'est pas permis"),
        (Lang::En, R::SchemaNotAllowed { object, schema }) => {
            format!("it reads {object}, and the schema {schema} is not allowed")
        }
        (Lang::Fr, R::SchemaNotAllowed { object, schema }) => {
            format!("elle lit {object}, et le schéma {schema} n'est pas autorisé")
        }
        (Lang::En, R::Placeholder(p)) => {
            format!("it holds a parameter or a stray dollar sign ({p}), which cannot be checked")
        }
        (Lang::Fr, R::Placeholder(p)) => {
            format!(
                "elle contient un paramètre ou un signe dollar isolé ({p}), impossible à vérifier"
            )
        }
        (Lang::En, R::UnicodeEscape) => {
            "it holds Unicode-escaped text (U&…), which cannot be checked".to_owned()
        }
        (Lang::Fr, R::UnicodeEscape) => {
            "elle contient du texte échappé en Unicode (U&…), impossible à vérifier".to_owned()
        }
        (Lang::En, R::FunctionSchemaNotAllowed { function, schema }) => {
            format!("it calls {function}, and the schema {schema} is not allowed")
        }
        (Lang::Fr, R::FunctionSchemaNotAllowed { function, schema }) => {
            format!("elle appelle {function}, et le schéma {schema} n'est pas autorisé")
        }
        (Lang::En, R::Control) => {
            "it holds a control character such as a stray carriage return".to_owned()
        }
        (Lang::Fr, R::Control) => {
            "elle contient un retour chariot isolé ou un caractère NUL".to_owned()
        }
    }
}

/// What the checker cannot read (see [`crate::sql::validate::Unreadable`]).
fn unreadable(lang: Lang, what: &crate::sql::validate::Unreadable) -> String {
    use crate::sql::validate::Unreadable as U;
    match (lang, what) {
        (Lang::En, U::Unparsable(e)) => format!("the parser stops: {e}"),
        (Lang::Fr, U::Unparsable(e)) => format!("l'analyseur s'arrête : {e}"),
        (Lang::En, U::NotStarted(e)) => format!("the checker could not start: {e}"),
        (Lang::Fr, U::NotStarted(e)) => format!("le vérificateur n'a pas pu démarrer : {e}"),
        (Lang::En, U::Failed) => "the checker failed on this statement".to_owned(),
        (Lang::Fr, U::Failed) => "le vérificateur a échoué sur cette requête".to_owned(),
        (Lang::En, U::BackslashBeforeQuote) => "a backslash before a quote in a string".to_owned(),
        (Lang::Fr, U::BackslashBeforeQuote) => {
            "une barre oblique inverse devant une apostrophe dans une chaîne".to_owned()
        }
        (Lang::En, U::EscapedString) => "an E'…' string with backslash escapes".to_owned(),
        (Lang::Fr, U::EscapedString) => {
            "une chaîne E'…' avec des échappements par barre oblique inverse".to_owned()
        }
        (Lang::En, U::QuoteInQuotedName(name)) => format!("the quoted name {name} holds a quote"),
        (Lang::Fr, U::QuoteInQuotedName(name)) => {
            format!("le nom entre guillemets {name} contient un guillemet")
        }
        (Lang::En, U::OracleFolding(name)) => format!(
            "the name {name} is written without quotes with a letter outside ASCII, which \
             Oracle may fold otherwise than the checker (quote it)"
        ),
        (Lang::Fr, U::OracleFolding(name)) => format!(
            "le nom {name} est écrit sans guillemets avec une lettre hors ASCII, qu'Oracle peut \
             mettre en majuscules autrement que le vérificateur (mettez-le entre guillemets)"
        ),
        (Lang::En, U::Token(token)) => format!("the token {token} is not one the checker reads"),
        (Lang::Fr, U::Token(token)) => {
            format!("le symbole {token} ne fait pas partie de ceux que le vérificateur lit")
        }
        (Lang::En, U::NamedOperator) => {
            "OPERATOR(…) names an operator, which runs a function of its own".to_owned()
        }
        (Lang::Fr, U::NamedOperator) => {
            "OPERATOR(…) nomme un opérateur, qui exécute une fonction de son choix".to_owned()
        }
        (Lang::En, U::OrderByUsing) => "ORDER BY … USING chooses an operator by name".to_owned(),
        (Lang::Fr, U::OrderByUsing) => {
            "ORDER BY … USING choisit un opérateur par son nom".to_owned()
        }
        (Lang::En, U::Construct(syntax)) => format!("the checker does not follow {syntax}"),
        (Lang::Fr, U::Construct(syntax)) => format!("le vérificateur ne suit pas {syntax}"),
        (_, U::Foreign(part)) => foreign(lang, part),
        (Lang::En, U::ShortTable) => {
            "the short form TABLE name (write SELECT * FROM name)".to_owned()
        }
        (Lang::Fr, U::ShortTable) => {
            "la forme courte TABLE nom (écrivez SELECT * FROM nom)".to_owned()
        }
        (Lang::En, U::XmlTable) => {
            "XMLTABLE (its XQuery can read tables and URLs out of the checker's sight)".to_owned()
        }
        (Lang::Fr, U::XmlTable) => "XMLTABLE (son XQuery peut lire des tables et des URL hors \
             de la vue du vérificateur)"
            .to_owned(),
        (Lang::En, U::TableOptions(name)) => format!("the table options on {name}"),
        (Lang::Fr, U::TableOptions(name)) => format!("les options de table sur {name}"),
        (Lang::En, U::ComputedName(name)) => format!("the name {name} is computed"),
        (Lang::Fr, U::ComputedName(name)) => format!("le nom {name} est calculé"),
        (Lang::En, U::NotAColumn { name, dialect }) => format!(
            "{name} is neither a column of the catalogue nor an alias of the query ({dialect} \
             would call a function of that name)"
        ),
        (Lang::Fr, U::NotAColumn { name, dialect }) => format!(
            "{name} n'est ni une colonne du catalogue ni un alias de la requête ({dialect} \
             appellerait une fonction de ce nom)"
        ),
        (Lang::En, U::KeywordAlias { before, alias }) => {
            format!("{before} {alias} reads like a keyword followed by a name")
        }
        (Lang::Fr, U::KeywordAlias { before, alias }) => {
            format!("{before} {alias} se lit comme un mot-clé suivi d'un nom")
        }
        (Lang::En, U::KeywordAsTable(word)) => {
            format!("{word} is a keyword where a table name should be")
        }
        (Lang::Fr, U::KeywordAsTable(word)) => {
            format!("{word} est un mot-clé à la place d'un nom de table")
        }
        (Lang::En, U::MethodCall(on)) => format!("a method call on {on}"),
        (Lang::Fr, U::MethodCall(on)) => format!("un appel de méthode sur {on}"),
        (Lang::En, U::Access(field)) => format!("the access .{field}"),
        (Lang::Fr, U::Access(field)) => format!("l'accès .{field}"),
        (Lang::En, U::FullTextSearch) => "@@ other than a text search against to_tsquery, \
             plainto_tsquery, phraseto_tsquery or websearch_to_tsquery"
            .to_owned(),
        (Lang::Fr, U::FullTextSearch) => "@@ autre qu'une recherche plein texte contre \
             to_tsquery, plainto_tsquery, phraseto_tsquery ou websearch_to_tsquery"
            .to_owned(),
        (Lang::En, U::Operator(op)) => format!("the operator {op}"),
        (Lang::Fr, U::Operator(op)) => format!("l'opérateur {op}"),
        (Lang::En, U::NotATable(name)) => format!(
            "{name} is qualified by no table or alias the query reads in FROM (join the table \
             that has the column; or is it a function or a sequence?)"
        ),
        (Lang::Fr, U::NotATable(name)) => format!(
            "{name} est qualifié par aucune table ni alias que la requête lit dans FROM (joignez \
             la table qui a la colonne ; ou est-ce une fonction ou une séquence ?)"
        ),
        (Lang::En, U::NamedArguments(function)) => {
            format!("named arguments (=>) in {function}, whose bounds are read by position")
        }
        (Lang::Fr, U::NamedArguments(function)) => format!(
            "des arguments nommés (=>) dans {function}, dont les bornes se lisent par position"
        ),
        (Lang::En, U::CastTo(data_type)) => format!("a cast to the type {data_type}"),
        (Lang::Fr, U::CastTo(data_type)) => format!("une conversion vers le type {data_type}"),
        (Lang::En, U::QualifiedSetting(name)) => format!(
            "{name} names a text-search configuration or a collation by its schema, or in \
             a way the check cannot read (name it alone: 'french', \"C\")"
        ),
        (Lang::Fr, U::QualifiedSetting(name)) => format!(
            "{name} désigne une configuration de recherche plein texte ou une collation par \
             son schéma, ou d'une façon que le contrôle ne sait pas lire (nommez-la seule : \
             'french', \"C\")"
        ),
    }
}

fn foreign(lang: Lang, part: &crate::sql::validate::Foreign) -> String {
    use crate::sql::validate::Foreign as F;
    let (en, fr) = match part {
        F::Clause => ("a clause", "une clause"),
        F::SelectClause => ("a SELECT clause", "une clause de SELECT"),
        F::StarOptions => ("a * with options", "une * avec des options"),
        F::Join => ("a join", "une jointure"),
        F::FromForm => ("a FROM form", "une forme de FROM"),
        F::Sample => ("a SAMPLE", "un SAMPLE"),
        F::Literal => ("a literal", "une valeur littérale"),
        F::Expression(e) => {
            return match lang {
                Lang::En => format!("the expression {e} of another dialect"),
                Lang::Fr => format!("l'expression {e}, d'un autre dialecte"),
            };
        }
        F::ClauseIn(function) => {
            return match lang {
                Lang::En => format!("a clause of another dialect in {function}"),
                Lang::Fr => format!("une clause d'un autre dialecte dans {function}"),
            };
        }
    };
    match lang {
        Lang::En => format!("{en} of another dialect"),
        Lang::Fr => format!("{fr} d'un autre dialecte"),
    }
}

/// An amount that may be without bound.
fn amount(lang: Lang, n: Option<u64>) -> String {
    match (lang, n) {
        (_, Some(n)) => n.to_string(),
        (Lang::En, None) => "countless".to_owned(),
        (Lang::Fr, None) => "d'innombrables".to_owned(),
    }
}

/// The bound a statement goes past (see [`crate::sql::validate::Excess`]).
fn excess(lang: Lang, excess: &crate::sql::validate::Excess) -> String {
    use crate::sql::validate::{Builder, Excess as E};
    match (lang, excess) {
        (Lang::En, E::StatementBytes { bytes, max }) => format!("{bytes} bytes, more than {max}"),
        (Lang::Fr, E::StatementBytes { bytes, max }) => format!("{bytes} octets, plus de {max}"),
        (Lang::En, E::Joined { relations, max }) => format!(
            "one FROM joins {relations} tables or subqueries, more than {max} (the database \
             weighs every order of joining them, in memory)"
        ),
        (Lang::Fr, E::Joined { relations, max }) => format!(
            "un FROM joint {relations} tables ou sous-requêtes, plus de {max} (la base pèse \
             chaque ordre possible de les joindre, en mémoire)"
        ),
        (Lang::En, E::Relations { max }) => format!(
            "its FROM clauses name more than {max} tables or subqueries in all (the database \
             keeps the plan of each in memory until the whole statement is planned)"
        ),
        (Lang::Fr, E::Relations { max }) => format!(
            "ses clauses FROM nomment plus de {max} tables ou sous-requêtes en tout (la base \
             garde le plan de chacune en mémoire jusqu'à ce que toute la requête soit planifiée)"
        ),
        (Lang::En, E::Tokens { max }) => format!("more than {max} tokens"),
        (Lang::Fr, E::Tokens { max }) => format!("plus de {max} symboles"),
        (Lang::En, E::Parentheses { max }) => format!("parentheses nested more than {max} deep"),
        (Lang::Fr, E::Parentheses { max }) => {
            format!("des parenthèses imbriquées sur plus de {max} niveaux")
        }
        (Lang::En, E::Nesting { max }) => format!("nested more than {max} levels deep"),
        (Lang::Fr, E::Nesting { max }) => format!("imbriquée sur plus de {max} niveaux"),
        (Lang::En, E::Steps) => {
            "its values are built through more steps than can be weighed".to_owned()
        }
        (Lang::Fr, E::Steps) => {
            "ses valeurs se construisent en plus d'étapes qu'on ne peut en peser".to_owned()
        }
        (Lang::En, E::RecursiveUnion) => "a recursive UNION keeps every row it has seen in the \
             server's memory, without bound; write UNION ALL"
            .to_owned(),
        (Lang::Fr, E::RecursiveUnion) => "une UNION récursive garde chaque ligne vue dans la \
             mémoire du serveur, sans borne ; écrivez UNION ALL"
            .to_owned(),
        (Lang::En, E::SelfDoubling) => "a recursive step uses its own value more than once in \
             what it builds, which doubles it at every step"
            .to_owned(),
        (Lang::Fr, E::SelfDoubling) => "une étape récursive utilise sa propre valeur plus d'une \
             fois dans ce qu'elle construit, ce qui la double à chaque étape"
            .to_owned(),
        (Lang::En, E::SelfSquaring) => "a recursive step multiplies its own number by itself \
             (n * n, n ^ 2): its digits double at every step, and dividing such numbers takes \
             the database seconds it cannot interrupt"
            .to_owned(),
        (Lang::Fr, E::SelfSquaring) => {
            "une étape récursive multiplie son propre nombre par lui-même \
             (n * n, n ^ 2) : ses chiffres doublent à chaque étape, et diviser de tels nombres \
             prend à la base des secondes qu'elle ne sait pas interrompre"
                .to_owned()
        }
        (Lang::En, E::NotMaterialized(cte)) => format!(
            "the CTE {cte} is NOT MATERIALIZED: the database copies it into every query that \
             reads it, whose plan can then double at every level"
        ),
        (Lang::Fr, E::NotMaterialized(cte)) => format!(
            "la CTE {cte} est NOT MATERIALIZED : la base la recopie dans chaque requête qui la \
             lit, dont le plan peut alors doubler à chaque niveau"
        ),
        (
            Lang::En,
            E::Regrowth {
                function,
                times,
                max,
            },
        ) => format!(
            "{function} may grow a value that is not written out {times} times; at most {max}"
        ),
        (
            Lang::Fr,
            E::Regrowth {
                function,
                times,
                max,
            },
        ) => format!(
            "{function} peut multiplier par {times} une valeur qui n'est pas écrite dans la \
             requête ; au plus {max}"
        ),
        (
            Lang::En,
            E::Builds {
                function,
                chars,
                max,
            },
        ) => {
            format!("{function} builds {chars} characters, more than {max}")
        }
        (
            Lang::Fr,
            E::Builds {
                function,
                chars,
                max,
            },
        ) => {
            format!("{function} construit {chars} caractères, plus de {max}")
        }
        (
            Lang::En,
            E::ComputedLength {
                function,
                length,
                max,
            },
        ) => format!(
            "the length {function} builds is computed ({length}); write it as a number of at \
             most {max}"
        ),
        (
            Lang::Fr,
            E::ComputedLength {
                function,
                length,
                max,
            },
        ) => format!(
            "la longueur que construit {function} est calculée ({length}) ; écrivez-la en \
             nombre, au plus {max}"
        ),
        (Lang::En, E::Regrown(function)) => {
            format!("{function} multiplies a value another call already grew")
        }
        (Lang::Fr, E::Regrown(function)) => {
            format!("{function} multiplie une valeur qu'un autre appel a déjà agrandie")
        }
        (
            Lang::En,
            E::Padding {
                data_type,
                chars,
                max,
            },
        ) => {
            format!("a cast to {data_type} pads every value to {chars} characters, more than {max}")
        }
        (
            Lang::Fr,
            E::Padding {
                data_type,
                chars,
                max,
            },
        ) => format!(
            "une conversion en {data_type} complète chaque valeur à {chars} caractères, plus \
             de {max}"
        ),
        (Lang::En, E::ComputedQuery { function, query }) => format!(
            "{function} parses a search query read from {query}: write the query as a text (the \
             server parses a query in one call it does not interrupt: one read from a 1 MB value \
             ran 15 s past a 10 s deadline)"
        ),
        (Lang::Fr, E::ComputedQuery { function, query }) => format!(
            "{function} analyse une requête de recherche lue dans {query} : écrivez la requête en \
             toutes lettres (le serveur l'analyse en un appel qu'il n'interrompt pas : une requête \
             lue dans une valeur de 1 Mo a tourné 15 s au-delà d'un délai de 10 s)"
        ),
        (Lang::En, E::ComputedFormat { function, format }) => format!(
            "{function} reads its format from {format}: write the format as a text (the server \
             takes tens of times a format's length in memory to read it)"
        ),
        (Lang::Fr, E::ComputedFormat { function, format }) => format!(
            "{function} lit son format dans {format} : écrivez le format en toutes lettres (le \
             serveur prend en mémoire des dizaines de fois la longueur d'un format pour le lire)"
        ),
        (
            Lang::En,
            E::RoundingScale {
                function,
                scale,
                max,
            },
        ) => format!(
            "{function} rounds to {} decimal places, at most {max} (each is a digit of every \
             value it writes)",
            scale.map_or_else(|| "a computed number of".to_owned(), |s| s.to_string())
        ),
        (
            Lang::Fr,
            E::RoundingScale {
                function,
                scale,
                max,
            },
        ) => format!(
            "{function} arrondit à {} décimales, au plus {max} (chacune est un chiffre de chaque \
             valeur écrite)",
            scale.map_or_else(|| "un nombre calculé de".to_owned(), |s| s.to_string())
        ),
        (Lang::En, E::ComputedSeparator(separator)) => format!(
            "array_to_string puts a computed text ({separator}) between its pieces; write it as \
             a text"
        ),
        (Lang::Fr, E::ComputedSeparator(separator)) => format!(
            "array_to_string met un texte calculé ({separator}) entre ses morceaux ; écrivez-le \
             en toutes lettres"
        ),
        (Lang::En, E::Separator { chars, max }) => format!(
            "array_to_string puts {chars} characters between its pieces (separator and text for \
             a null together); at most {max}"
        ),
        (Lang::Fr, E::Separator { chars, max }) => format!(
            "array_to_string met {chars} caractères entre ses morceaux (séparateur et texte des \
             valeurs nulles ensemble) ; au plus {max}"
        ),
        (Lang::En, E::ComputedNeedle { function, needle }) => format!(
            "{function} searches for a text computed or read from the data ({needle}); the \
             database cannot stop such a search midway: write out the text it looks for"
        ),
        (Lang::Fr, E::ComputedNeedle { function, needle }) => format!(
            "{function} cherche un texte calculé ou lu dans les données ({needle}) ; la base ne \
             peut pas arrêter une telle recherche en cours : écrivez en toutes lettres le texte \
             cherché"
        ),
        (Lang::En, E::Backtracking(function)) => format!(
            "the regular expression of {function} refers back to what it matched (\\1…\\9) \
             or looks around it ((?=, (?!, (?<): matching it may take the database minutes it \
             cannot interrupt"
        ),
        (Lang::Fr, E::Backtracking(function)) => format!(
            "l'expression régulière de {function} renvoie à ce qu'elle a trouvé (\\1…\\9) \
             ou regarde autour ((?=, (?!, (?<) : la base peut y passer des minutes sans pouvoir \
             s'interrompre"
        ),
        (
            Lang::En,
            E::RegexStates {
                function,
                states,
                max,
            },
        ) => format!(
            "the regular expression of {function} repeats counted repeats ({{m,n}} inside \
             {{m,n}}) into {states} states, more than {max}: compiling it alone may take the \
             database seconds it cannot interrupt"
        ),
        (
            Lang::Fr,
            E::RegexStates {
                function,
                states,
                max,
            },
        ) => format!(
            "l'expression régulière de {function} répète des répétitions comptées ({{m,n}} dans \
             {{m,n}}) en {states} états, plus de {max} : la compiler seule peut prendre à la base \
             des secondes qu'elle ne sait pas interrompre"
        ),
        (
            Lang::En,
            E::RegexOptional {
                function,
                atoms,
                max,
            },
        ) => format!(
            "the regular expression of {function} repeats, a counted number of times, parts \
             that may match nothing ((a?b?){{0,100}}): {atoms} such parts unfolded, more than \
             {max}; compiling it alone may take the database seconds it cannot interrupt (write \
             the repeat with a smaller count)"
        ),
        (
            Lang::Fr,
            E::RegexOptional {
                function,
                atoms,
                max,
            },
        ) => format!(
            "l'expression régulière de {function} répète un nombre compté de fois des parties \
             qui peuvent ne rien reconnaître ((a?b?){{0,100}}) : {atoms} telles parties une fois \
             dépliée, plus de {max} ; la compiler seule peut prendre à la base des secondes \
             qu'elle ne sait pas interrompre (écrivez la répétition avec un compte plus petit)"
        ),
        (Lang::En, E::NestedRepeats(function)) => format!(
            "the regular expression of {function} repeats a repeat or a choice ((a+)+, \
             (a|aa)*): Oracle tries every way it can match, which may take it minutes on a long \
             text (repeat the characters once: a+)"
        ),
        (Lang::Fr, E::NestedRepeats(function)) => format!(
            "l'expression régulière de {function} répète une répétition ou un choix ((a+)+, \
             (a|aa)*) : Oracle essaie toutes les façons de la trouver, ce qui peut lui prendre des \
             minutes sur un long texte (répétez les caractères une fois : a+)"
        ),
        (Lang::En, E::NumberFromText(text)) => format!(
            "it reads a number from {text}, a text it cuts or builds, with no bound on its \
             digits: a number of a hundred thousand digits is divided without stopping (cast a \
             column, or give the number a precision: numeric(20, 2))"
        ),
        (Lang::Fr, E::NumberFromText(text)) => format!(
            "elle lit un nombre dans {text}, un texte qu'elle découpe ou construit, sans borne \
             sur ses chiffres : un nombre de cent mille chiffres se divise sans pouvoir s'arrêter \
             (convertissez une colonne, ou donnez une précision au nombre : numeric(20, 2))"
        ),
        (Lang::En, E::ComputedPattern(function)) => {
            format!("the pattern of {function} is computed; write it as a text")
        }
        (Lang::Fr, E::ComputedPattern(function)) => {
            format!("le modèle de {function} est calculé ; écrivez-le en toutes lettres")
        }
        (Lang::En, E::WidthArgument(function)) => {
            format!("a width of {function} is taken from an argument (*); write it in the pattern")
        }
        (Lang::Fr, E::WidthArgument(function)) => {
            format!("une largeur de {function} vient d'un argument (*) ; écrivez-la dans le modèle")
        }
        (Lang::En, E::Needles { chars, max }) => format!(
            "its searches look for {} characters in all, more than {max} (the database cannot \
             stop inside one search)",
            amount(lang, *chars)
        ),
        (Lang::Fr, E::Needles { chars, max }) => format!(
            "ses recherches portent sur {} caractères en tout, plus de {max} (la base ne peut pas \
             s'arrêter au milieu d'une recherche)",
            amount(lang, *chars)
        ),
        (Lang::En, E::GatheredNeedle(needle)) => format!(
            "it searches for {needle}, a text gathered from rows, as long as the rows make it \
             (the database cannot stop inside one search)"
        ),
        (Lang::Fr, E::GatheredNeedle(needle)) => format!(
            "elle cherche {needle}, un texte rassemblé à partir de lignes, aussi long que les \
             lignes le font (la base ne peut pas s'arrêter au milieu d'une recherche)"
        ),
        (Lang::En, E::ComputedSet(set)) => format!(
            "it trims or translates by {set}, a set of characters it reads or computes rather \
             than writes out: each character of the text is looked up in the whole set, so only \
             a set written out can be weighed (write the characters out)"
        ),
        (Lang::Fr, E::ComputedSet(set)) => format!(
            "elle rogne ou remplace selon {set}, un ensemble de caractères lu ou calculé plutôt \
             qu'écrit : chaque caractère du texte y est cherché dans tout l'ensemble, et seul un \
             ensemble écrit en toutes lettres peut être pesé (écrivez les caractères)"
        ),
        (Lang::En, E::Sets { chars, max }) => format!(
            "its sets of characters to trim or translate hold {} characters in all, more than \
             {max} (each character of the text is looked up in the whole set, and the database \
             cannot stop inside one call)",
            amount(lang, *chars)
        ),
        (Lang::Fr, E::Sets { chars, max }) => format!(
            "ses ensembles de caractères à rogner ou remplacer en comptent {} en tout, plus de \
             {max} (chaque caractère du texte est cherché dans tout l'ensemble, et la base ne peut \
             pas s'arrêter au milieu d'un appel)",
            amount(lang, *chars)
        ),
        (Lang::En, E::SearchInGathered { text, chars, max }) => format!(
            "what it looks for in {text}, a text gathered from rows (as long as the rows make it), \
             adds up to {} characters, more than {max} (a set's count twice; the database cannot \
             stop inside one call): look for a word or a separator, or search the rows before \
             gathering them",
            amount(lang, *chars)
        ),
        (Lang::Fr, E::SearchInGathered { text, chars, max }) => format!(
            "ce qu'elle cherche dans {text}, un texte rassemblé à partir de lignes (aussi long que \
             les lignes le font), compte {} caractères, plus de {max} (ceux d'un ensemble comptent \
             double ; la base ne peut pas s'arrêter au milieu d'un appel) : cherchez un mot ou un \
             séparateur, ou cherchez dans les lignes avant de les rassembler",
            amount(lang, *chars)
        ),
        (Lang::En, E::ParsedGathered(what)) => format!(
            "{what} parses a value gathered from rows, or reads it as rows: parsing takes many \
             times its size, as long as the rows make it"
        ),
        (Lang::Fr, E::ParsedGathered(what)) => format!(
            "{what} analyse une valeur rassemblée à partir de lignes, ou la lit comme des lignes : \
             l'analyse prend plusieurs fois sa taille, aussi longue que les lignes la font"
        ),
        (Lang::En, E::QuotedGathered(what)) => format!(
            "{what} reads a value gathered from rows as another type: the database's error on a \
             value it cannot read quotes it whole, as long as the rows make it"
        ),
        (Lang::Fr, E::QuotedGathered(what)) => format!(
            "{what} lit une valeur rassemblée à partir de lignes comme un autre type : l'erreur de \
             la base sur une valeur qu'elle ne peut pas lire la cite en entier, aussi longue que les \
             lignes la font"
        ),
        (Lang::En, E::RepeatedValue(what)) => format!(
            "{what} puts a value whose length the plan cannot foresee on every row that a \
             subquery or a set operation gives, or that is gathered, where the server may keep \
             them all: join that value instead (… CROSS JOIN (SELECT … ) AS s), or keep it for \
             the outermost SELECT"
        ),
        (Lang::Fr, E::RepeatedValue(what)) => format!(
            "{what} met une valeur dont le plan ne peut prévoir la longueur sur chaque ligne \
             qu'une sous-requête ou une opération d'ensemble donne, ou qui est rassemblée, là où \
             le serveur peut les garder toutes : joignez plutôt cette valeur (… CROSS JOIN \
             (SELECT …) AS s), ou gardez-la pour le SELECT le plus extérieur"
        ),
        (Lang::En, E::GathersGathered(what)) => format!(
            "{what} gathers values that are themselves gathered from rows: each row may hold all of \
             another gathering, and the whole grows as their product; gather once (a join and one \
             GROUP BY)"
        ),
        (Lang::Fr, E::GathersGathered(what)) => format!(
            "{what} rassemble des valeurs elles-mêmes rassemblées à partir de lignes : chaque ligne \
             peut contenir tout un autre rassemblement, et le tout croît comme leur produit ; \
             rassemblez une seule fois (une jointure et un seul GROUP BY)"
        ),
        (Lang::En, E::GatheredPair(what)) => format!(
            "{what} looks for each element of one value gathered from rows in another, in one \
             call the database cannot stop: compare the rows instead (a join, EXISTS)"
        ),
        (Lang::Fr, E::GatheredPair(what)) => format!(
            "{what} cherche chaque élément d'une valeur rassemblée à partir de lignes dans une \
             autre, en un appel que la base ne peut pas arrêter : comparez plutôt les lignes \
             (une jointure, EXISTS)"
        ),
        (_, E::Made { what, chars, max }) => {
            let what = match (lang, what) {
                (Lang::En, Builder::Concatenation) => "a concatenation".to_owned(),
                (Lang::Fr, Builder::Concatenation) => "une concaténation".to_owned(),
                (Lang::En, Builder::Cast) => "a cast".to_owned(),
                (Lang::Fr, Builder::Cast) => "une conversion".to_owned(),
                (_, Builder::Call(function)) => format!("{function}(…)"),
            };
            match (lang, chars) {
                (Lang::En, Some(n)) => format!(
                    "{what} builds up to {n} characters from values the statement made, more \
                     than {max}"
                ),
                (Lang::En, None) => format!(
                    "{what} builds without bound from values the statement made, more than {max} \
                     characters"
                ),
                (Lang::Fr, Some(n)) => format!(
                    "{what} construit jusqu'à {n} caractères à partir de valeurs faites par la \
                     requête, plus de {max}"
                ),
                (Lang::Fr, None) => format!(
                    "{what} construit sans borne à partir de valeurs faites par la requête, plus \
                     de {max} caractères"
                ),
            }
        }
        (Lang::En, E::Exponent { exponent, max }) => format!(
            "a power of {exponent}, more than {max} (a number of that many digits takes minutes \
             to divide)"
        ),
        (Lang::Fr, E::Exponent { exponent, max }) => format!(
            "une puissance {exponent}, plus de {max} (un nombre d'autant de chiffres prend des \
             minutes à diviser)"
        ),
        (Lang::En, E::ComputedExponent(exponent)) => format!(
            "a power of an exact number by {exponent}, an exponent read or computed rather than \
             written out: it can make a number of a hundred thousand digits, which the database \
             computes without stopping (write the exponent out, or cast the base to double \
             precision)"
        ),
        (Lang::Fr, E::ComputedExponent(exponent)) => format!(
            "une puissance d'un nombre exact par {exponent}, un exposant lu ou calculé plutôt \
             qu'écrit : elle peut donner un nombre de cent mille chiffres, que la base calcule \
             sans pouvoir s'arrêter (écrivez l'exposant, ou convertissez la base en double \
             precision)"
        ),
        (Lang::En, E::RecursiveNumber(number)) => format!(
            "a logarithm, a root or a power of {number}, a number a recursion computes from \
             itself at every step: its digits grow with the depth (the database cannot stop \
             inside one such call)"
        ),
        (Lang::Fr, E::RecursiveNumber(number)) => format!(
            "un logarithme, une racine ou une puissance de {number}, un nombre qu'une récursion \
             calcule à partir de lui-même à chaque étape : ses chiffres croissent avec la \
             profondeur (la base ne peut pas s'arrêter au milieu d'un tel calcul)"
        ),
        (Lang::En, E::Digits { digits, max }) => format!(
            "its logarithms, roots and powers work on {} digits of numbers the statement wrote, \
             more than {max} (the database cannot stop inside one)",
            amount(lang, *digits)
        ),
        (Lang::Fr, E::Digits { digits, max }) => format!(
            "ses logarithmes, racines et puissances portent sur {} chiffres de nombres écrits \
             par la requête, plus de {max} (la base ne peut pas s'arrêter au milieu d'un calcul)",
            amount(lang, *digits)
        ),
        (Lang::En, E::WrittenNumber { digits, max }) => format!(
            "it writes a number of {} digits, more than {max}",
            amount(lang, *digits)
        ),
        (Lang::Fr, E::WrittenNumber { digits, max }) => format!(
            "elle écrit un nombre de {} chiffres, plus de {max}",
            amount(lang, *digits)
        ),
        (Lang::En, E::StatementBuilt { chars, max }) => format!(
            "it builds {} characters in all, more than {max} (the database writes what it folds \
             into its plan, before any click)",
            amount(lang, *chars)
        ),
        (Lang::Fr, E::StatementBuilt { chars, max }) => format!(
            "elle construit {} caractères en tout, plus de {max} (la base écrit ce qu'elle \
             précalcule dans son plan, avant tout clic)",
            amount(lang, *chars)
        ),
        (Lang::En, E::RowCopies { copies, of, max }) => format!(
            "one row of its result may hold {} copies of {}, at most {max}",
            amount(lang, *copies),
            of.as_deref().unwrap_or("a value it reads")
        ),
        (Lang::Fr, E::RowCopies { copies, of, max }) => format!(
            "une ligne de son résultat peut contenir {} copies de {}, au plus {max}",
            amount(lang, *copies),
            of.as_deref().unwrap_or("une valeur qu'elle lit")
        ),
        (Lang::En, E::ValueCopies { copies, max }) => format!(
            "a value it computes may hold {} copies of a value it reads, at most {max}",
            amount(lang, *copies)
        ),
        (Lang::Fr, E::ValueCopies { copies, max }) => format!(
            "une valeur qu'elle calcule peut contenir {} copies d'une valeur qu'elle lit, au \
             plus {max}",
            amount(lang, *copies)
        ),
    }
}

/// The words adapters show of their own ([`Label`]), in the bot's language,
/// handed to them at start.
#[derive(Debug, Clone, Copy)]
pub struct Wording(pub Lang);

impl Labels for Wording {
    fn label(&self, label: Label<'_>) -> String {
        label_text(self.0, label)
    }

    fn label_in_all(&self, label: Label<'_>) -> Vec<(&'static str, String)> {
        let others = Lang::ALL.iter().filter(|l| **l != self.0);
        std::iter::once(self.0)
            .chain(others.copied())
            .map(|lang| (lang.code(), label_text(lang, label)))
            .collect()
    }
}

/// The commands and their arguments that a platform may list, as
/// (command, arguments): every one has a [`Label::CommandHelp`] and each
/// argument a [`Label::ArgumentHelp`] in both languages.
pub const COMMANDS: &[(&str, &[&str])] = &[
    ("ask", &["question"]),
    ("mode", &["mode"]),
    ("link", &["code"]),
    ("run", &["number"]),
    ("stop", &[]),
    ("export", &["format"]),
    ("help", &[]),
    ("audit", &[]),
    ("audit recent", &[]),
    ("audit user", &["name"]),
    ("audit kind", &["kind"]),
    ("audit search", &["text"]),
    ("audit verify", &[]),
    ("good", &[]),
    ("bad", &[]),
    ("examples", &[]),
    ("examples list", &["text"]),
    ("examples remove", &["number"]),
];

fn label_text(lang: Lang, label: Label<'_>) -> String {
    let fr = lang == Lang::Fr;
    let pick = |en: &str, fr_text: &str| if fr { fr_text } else { en }.to_owned();
    match label {
        Label::Stop => pick("■ Stop", "■ Arrêter"),
        Label::Execute { statement } => {
            if fr {
                format!("▶ Exécuter #{statement}")
            } else {
                format!("▶ Execute #{statement}")
            }
        }
        Label::Feedback { correct: true } => pick("✅ Correct", "✅ Correct"),
        Label::Feedback { correct: false } => pick("❌ Wrong", "❌ Faux"),
        Label::FeedbackHint => pick(
            "Is this the right result? /good keeps the query as an example, /bad says it is wrong.",
            "Est-ce le bon résultat ? /good garde la requête comme exemple, /bad dit qu'elle est fausse.",
        ),
        Label::Unreadable => pick(
            "🔒 I could not read this message: its encryption keys did not reach me. \
             Please send it again (your client may need to verify my device).",
            "🔒 Je n'ai pas pu lire ce message : ses clés de chiffrement ne me sont pas \
             parvenues. Renvoyez-le (votre client doit peut-être vérifier mon appareil).",
        ),
        Label::CommandHelp { command } => match command {
            "ask" => pick("Ask Pstral a question", "Poser une question à Pstral"),
            "mode" => pick(
                "Answer with SQL or in plain words in this channel",
                "Répondre en SQL ou en clair dans ce salon",
            ),
            "link" => pick(
                "Link your chat account with an invite code (in a DM with the bot)",
                "Lier votre compte avec un code d'invitation (en message privé)",
            ),
            "run" => pick(
                "Run query N of the last answer here",
                "Exécuter la requête N de la dernière réponse ici",
            ),
            "stop" => pick(
                "Stop the answer being written for you here",
                "Arrêter la réponse en cours pour vous ici",
            ),
            "export" => pick(
                "This conversation as a file",
                "Cette conversation dans un fichier",
            ),
            "help" => pick("What Pstral can do", "Ce que Pstral sait faire"),
            "audit" => pick(
                "Read the audit log (admins)",
                "Lire le journal d'audit (admins)",
            ),
            "audit recent" => pick("The newest events", "Les événements les plus récents"),
            "audit user" => pick(
                "A user's newest events",
                "Les derniers événements d'un utilisateur",
            ),
            "audit kind" => pick(
                "The newest events of a kind",
                "Les derniers événements d'un type",
            ),
            "audit search" => pick(
                "Events whose content holds a text",
                "Les événements dont le contenu contient un texte",
            ),
            "audit verify" => pick(
                "Check the audit's hash chain",
                "Vérifier la chaîne de hachage de l'audit",
            ),
            "good" => pick(
                "The last query result here is right: keep it as an example",
                "Le dernier résultat ici est juste : le garder comme exemple",
            ),
            "bad" => pick(
                "The last query result here is wrong",
                "Le dernier résultat ici est faux",
            ),
            "examples" => pick(
                "The confirmed question → SQL examples (admins)",
                "Les exemples question → SQL confirmés (admins)",
            ),
            "examples list" => pick(
                "The newest examples, or those holding a text",
                "Les derniers exemples, ou ceux qui contiennent un texte",
            ),
            "examples remove" => pick("Remove an example", "Retirer un exemple"),
            other => other.to_owned(),
        },
        Label::ArgumentHelp { command, argument } => match (command, argument) {
            ("ask", "question") => pick("Your question", "Votre question"),
            ("mode", "mode") => pick("sql or chat", "sql ou chat"),
            ("link", "code") => pick(
                "The invite code an admin gave you",
                "Le code d'invitation reçu d'un admin",
            ),
            ("run", "number") => pick("The query's number", "Le numéro de la requête"),
            ("export", "format") => pick("markdown or json", "markdown ou json"),
            ("audit user", "name") => pick("The local user name", "Le nom local"),
            ("audit kind", "kind") => {
                "question, answer, execute_result, access_refused…".to_owned()
            }
            ("audit search" | "examples list", "text") => pick("The text", "Le texte"),
            ("examples remove", "number") => pick("The example's number", "Le numéro de l'exemple"),
            (_, other) => other.to_owned(),
        },
        Label::UnknownCommand { given } => {
            if fr {
                format!(
                    "commande inconnue /{given} : les commandes sont /mode sql|chat, /run N, \
                     /good, /bad, /stop, /export [json], /help, /quit"
                )
            } else {
                format!(
                    "unknown command /{given}: the commands are /mode sql|chat, /run N, /good, \
                     /bad, /stop, /export [json], /help, /quit"
                )
            }
        }
        Label::RunNeedsNumber => pick(
            "/run takes the number of a query shown with its answer, such as /run 1",
            "/run prend le numéro d'une requête montrée avec sa réponse, par exemple /run 1",
        ),
        Label::FileSaved { path } => {
            if fr {
                format!("📎 enregistré : {path}")
            } else {
                format!("📎 saved {path}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_argument_a_platform_lists_is_described_in_both_languages() {
        for (command, arguments) in COMMANDS {
            let mut labels = vec![Label::CommandHelp { command }];
            labels.extend(
                arguments
                    .iter()
                    .map(|argument| Label::ArgumentHelp { command, argument }),
            );
            for label in labels {
                let all = Wording(Lang::Fr).label_in_all(label);
                assert_eq!(
                    all.iter().map(|(code, _)| *code).collect::<Vec<_>>(),
                    ["fr", "en"],
                    "the bot's own language first"
                );
                for (code, text) in all {
                    let fallback = match label {
                        Label::ArgumentHelp { argument, .. } => argument,
                        _ => command,
                    };
                    assert_ne!(text, *fallback, "{label:?} in {code} has no text");
                    assert!(
                        (1..=100).contains(&text.chars().count()),
                        "{label:?}: {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn buttons_and_notes_are_worded_in_the_bots_language() {
        assert_eq!(Wording(Lang::En).label(Label::Stop), "■ Stop");
        assert_eq!(Wording(Lang::Fr).label(Label::Stop), "■ Arrêter");
        assert_eq!(
            Wording(Lang::Fr).label(Label::Execute { statement: 2 }),
            "▶ Exécuter #2"
        );
        assert!(
            Wording(Lang::En)
                .label(Label::Unreadable)
                .contains("could not read")
        );
    }

    #[test]
    fn a_refusal_quoting_a_long_name_is_cut() {
        let name = format!("secret.{}", "x".repeat(16_300));
        let refusal = crate::sql::validate::Refusal::DeniedObject(name);
        for lang in [Lang::En, Lang::Fr] {
            let said = refusal_reason(lang, &refusal);
            assert!(
                said.chars().count() <= MAX_REFUSAL_CHARS + 1,
                "{}",
                said.len()
            );
            assert!(said.ends_with('…'));
        }
        assert!(refusal.to_string().starts_with("it reads secret.xxx"));
    }

    #[test]
    fn why_a_query_is_too_heavy_or_failed_is_said_in_both_languages_with_its_figures() {
        use crate::sql::backend::{ExecError, Heavy};
        let (table, column) = ("docs".to_owned(), "body".to_owned());
        let heavies = [
            Heavy::GathersComputedRows,
            Heavy::PlanTooDeep,
            Heavy::Gathers {
                mib: Some(731),
                bound_mib: 256,
            },
            Heavy::Gathers {
                mib: None,
                bound_mib: 256,
            },
            Heavy::GathersThroughView {
                table: table.clone(),
                column: column.clone(),
            },
            Heavy::Hashes {
                mib: Some(731),
                bound_mib: 256,
            },
            Heavy::Hashes {
                mib: None,
                bound_mib: 256,
            },
            Heavy::HashJoin {
                mib: Some(1144),
                bound_mib: 256,
            },
            Heavy::TopRows {
                mib: Some(1970),
                bound_mib: 256,
            },
            Heavy::GroupsGrow {
                mib: Some(997),
                bound_mib: 256,
            },
            Heavy::ReadsWhole {
                copies: 120,
                table: table.clone(),
                longest: 10_000_000,
                mib: Some(1144),
                bound_mib: 256,
            },
            Heavy::Rebuilds {
                copies: 2,
                table: table.clone(),
                longest: 30_000_000,
                mib: Some(916),
                bound_mib: 256,
            },
            Heavy::RepeatedValue {
                what: "(SELECT max(k.val) FROM kv k)".to_owned(),
            },
            Heavy::RecursionGrows {
                table: table.clone(),
                column: column.clone(),
                longest: 4093,
            },
            Heavy::RowBuilds {
                copies: 17,
                table: table.clone(),
                column: column.clone(),
                longest: 4093,
                bound_mib: 256,
            },
            Heavy::Quotes {
                table,
                column,
                longest: 4093,
            },
        ];
        let errors = heavies.into_iter().map(ExecError::TooHeavy).chain([
            ExecError::Timeout(std::time::Duration::from_secs(30)),
            ExecError::TempSpace(512 * 1024 * 1024),
        ]);
        for error in errors {
            let text = |lang| Text::ExecFailed { error: &error }.render(lang);
            let (en, fr) = (text(Lang::En), text(Lang::Fr));
            assert_ne!(en, fr, "{error:?}");
            for figure in ["731", "256", "docs.body", "4093", "17", "30s", "512"] {
                assert_eq!(
                    en.contains(figure),
                    fr.contains(figure),
                    "{figure}: {en} / {fr}"
                );
            }
            assert!(!fr.contains(" the "), "English in French: {fr}");
        }
    }

    #[test]
    fn each_text_differs_between_languages_and_keeps_its_parameters() {
        let texts = [
            Text::TerminalWelcome,
            Text::ModelServerDown {
                url: "http://127.0.0.1:11434",
                error: "refused",
                ollama: true,
            },
            Text::ModelServerDown {
                url: "http://127.0.0.1:8000/v1",
                error: "refused",
                ollama: false,
            },
            Text::ServerLacksModel {
                url: "http://127.0.0.1:11434",
                model: "qwen",
                ollama: true,
                served: "",
            },
            Text::ServerLacksModel {
                url: "http://127.0.0.1:8000/v1",
                model: "qwen",
                ollama: false,
                served: "ana, executor",
            },
            Text::ModelKeyRefused,
            Text::RowsCaption {
                shown: 5,
                total: 120,
                truncated: true,
            },
            Text::UnknownIdentity {
                contact: "IT (x42)",
                prefix: "!",
            },
            Text::Linked { user: "ana" },
            Text::InviteNotValid,
            Text::InviteSeenInPublic,
            Text::InviteBurnt { prefix: "!" },
            Text::InviteOverheard,
            Text::AlreadyLinked { user: "ana" },
            Text::NotAllowed { needed: "executor" },
            Text::AuditUnavailable,
            Text::Thinking,
            Text::QueuePosition { position: 3 },
            Text::ModelUnavailable,
            Text::ModelTooSlow,
            Text::AnswerCut,
            Text::AnswerNotPosted { prefix: "!" },
            Text::AnswerTooLong,
            Text::AnswerRepeats,
            Text::StopNotAllowed,
            Text::CannotAttach,
            Text::ModelMissing {
                model: "ana",
                ollama: true,
            },
            Text::ModelMissing {
                model: "ana",
                ollama: false,
            },
            Text::ModelFailed,
            Text::QueueFull,
            Text::OwnQueueFull { waiting: 4 },
            Text::Stopped,
            Text::EmptyAnswer,
            Text::ModeSet { mode: "executor" },
            Text::ModeSetForChannel { mode: "executor" },
            Text::ModeChannelNeedsAdmin { prefix: "!" },
            Text::UnknownMode { given: "ana" },
            Text::NothingToStop,
            Text::NothingToExport,
            Text::NotYourConversation,
            Text::ExampleStaysRemoved,
            Text::SqlDoesNotCompile {
                index: 3,
                message: "ana",
            },
            Text::SqlTooHeavy {
                index: 3,
                heavy: &crate::sql::backend::Heavy::GathersThroughView {
                    table: "ana".into(),
                    column: "executor".into(),
                },
            },
            Text::SqlPlanTooSlow {
                index: 3,
                limit: std::time::Duration::from_secs(30),
            },
            Text::SqlReady {
                index: 3,
                rows: None,
                buttons: true,
                prefix: "!",
            },
            Text::SqlReady {
                index: 3,
                rows: None,
                buttons: false,
                prefix: "!",
            },
            Text::NothingToRun { index: 3 },
            Text::Running { index: 3 },
            Text::ExecFailed {
                error: &crate::sql::backend::ExecError::Database("ana".into()),
            },
            Text::ExecFailed {
                error: &crate::sql::backend::ExecError::Timeout(std::time::Duration::from_secs(3)),
            },
            Text::ExecuteUnavailable { reason: "ana" },
            Text::RepairRequest { reasons: "ana" },
            Text::SqlAskedAgain,
            Text::SqlAgreed {
                votes: 3,
                of: 5,
                index: 2,
                sql: "ana",
            },
            Text::ColumnIsIn {
                column: "ana",
                tables: "ana",
            },
            Text::ColumnIsIn {
                column: "ana",
                tables: "",
            },
            Text::Help { prefix: "!" },
            Text::ExampleStored {
                id: 3,
                new: true,
                target: "ana",
            },
            Text::ExampleStored {
                id: 3,
                new: false,
                target: "ana",
            },
            Text::FeedbackNoted,
            Text::ConfirmNotAllowed { role: "executor" },
            Text::ConfirmPrivateNeedsRole { role: "executor" },
            Text::NoResultToJudge,
            Text::ResultWithoutQuestion,
            Text::ExampleSetAside { reason: "ana" },
            Text::FeedbackTyped { prefix: "!" },
            Text::ExamplesListed {
                shown: 3,
                total: 3,
                target: "ana",
            },
            Text::NoExamples { target: "ana" },
            Text::ExampleRemoved { id: 3 },
            Text::NoSuchExample { id: 3 },
        ];
        for t in texts {
            let (en, fr) = (t.render(Lang::En), t.render(Lang::Fr));
            assert_ne!(en, fr, "{t:?} is not translated");
            for param in ["IT (x42)", "ana", "executor", "3"] {
                assert_eq!(en.contains(param), fr.contains(param), "{t:?}: {param}");
            }
        }
    }

    /// Every refusal the hostile corpus draws, said in French, carries no
    /// English words of its own: only the statement's names and the
    /// parser's own message (which sqlparser words in English) stay as they
    /// are.
    #[test]
    fn why_a_statement_is_refused_is_said_in_french_to_a_french_speaker() {
        use crate::sql::Dialect;
        use crate::sql::validate::{Policy, Refusal, Unreadable, validate};
        let corpus = include_str!("../../tests/pstral/corpus/hostile.tsv");
        let english = [
            "more than",
            "at most",
            "characters",
            "cannot",
            "which",
            "written out",
            "builds",
            "another dialect",
            "checker",
            "countless",
            "digits",
            "values",
        ];
        let mut said = 0;
        for line in corpus
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut fields = line.splitn(4, '\t');
            let (Some(dialect), _, _, Some(sql)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let Ok(dialect) = dialect.parse::<Dialect>() else {
                continue;
            };
            let sql = sql.replace("\\n", "\n");
            let Err(refusal) = validate(&sql, &Policy::new(dialect)) else {
                continue;
            };
            if matches!(refusal, Refusal::CannotVerify(Unreadable::Unparsable(_))) {
                continue;
            }
            let fr = Text::SqlRefused(&refusal).render(Lang::Fr);
            let own = fr.replace(sql.as_str(), "");
            for word in english {
                // A name of the statement may hold the word: only the
                // wording around it counts.
                if !sql.to_lowercase().contains(word) {
                    assert!(!own.contains(word), "{sql}\n{fr}: {word}");
                }
            }
            said += 1;
        }
        assert!(said > 300, "only {said} refusals drawn from the corpus");
    }

    #[test]
    fn a_bound_is_said_with_its_figures_in_both_languages() {
        use crate::sql::Dialect;
        use crate::sql::validate::{Policy, validate};
        let refusal = validate(
            "SELECT repeat('ab', 10000)",
            &Policy::new(Dialect::Postgres),
        )
        .expect_err("twenty thousand characters are past the bound");
        let en = Text::SqlRefused(&refusal).render(Lang::En);
        let fr = Text::SqlRefused(&refusal).render(Lang::Fr);
        assert!(
            en.contains("repeat builds 20000 characters, more than 10000"),
            "{en}"
        );
        assert!(
            fr.contains("repeat construit 20000 caractères, plus de 10000"),
            "{fr}"
        );
        assert_eq!(
            refusal.to_string(),
            en.trim_start_matches("This query will not be run: ")
                .trim_end_matches('.')
        );
    }
}
