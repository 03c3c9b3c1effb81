//! What the typed commands answer of their own: the help, a conversation's
//! mode, and its export, each sentence in English beside its French.

use super::super::Lang;

/// What the commands say of themselves: the help, the mode set, and why a
/// conversation is not exported or its mode not changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Commands<'a> {
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
    /// `export` where the user has no conversation yet.
    NothingToExport,
    /// A thread's conversation belongs to those who asked in it (and to
    /// admins): someone else may not export it or change its mode.
    NotYourConversation,
    /// The list of commands, as typed on the platform.
    Help {
        prefix: &'a str,
    },
}

impl Commands<'_> {
    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, Commands::ModeSet { mode }) => {
                format!("Mode set to {mode} for this conversation.")
            }
            (Lang::Fr, Commands::ModeSet { mode }) => {
                format!("Mode {mode} activé pour cette conversation.")
            }
            (Lang::En, Commands::ModeSetForChannel { mode }) => format!(
                "Mode set to {mode} for this channel: everyone's new conversations here start in it."
            ),
            (Lang::Fr, Commands::ModeSetForChannel { mode }) => format!(
                "Mode {mode} activé pour ce salon : les nouvelles conversations de chacun ici \
                 commencent dans ce mode."
            ),
            (Lang::En, Commands::ModeChannelNeedsAdmin { prefix }) => format!(
                "Only an admin can change this channel's mode, which is everyone's. In a thread, \
                 `{prefix}mode` changes that thread only; in a direct message, yours."
            ),
            (Lang::Fr, Commands::ModeChannelNeedsAdmin { prefix }) => format!(
                "Seul un administrateur peut changer le mode de ce salon, car il s'applique à tout \
                 le monde. Dans un fil, `{prefix}mode` ne change que ce fil ; en message privé, \
                 seulement votre conversation."
            ),
            (Lang::En, Commands::UnknownMode { given }) => {
                format!("There is no mode {given:?}: the modes are sql and chat.")
            }
            (Lang::Fr, Commands::UnknownMode { given }) => {
                format!("Le mode {given:?} n'existe pas : les modes sont sql et chat.")
            }
            (Lang::En, Commands::NotYourConversation) => "This conversation belongs to the people \
                 who asked in it: only they (or an admin) can export it or change its mode. \
                 Start your own by asking me a question."
                .to_owned(),
            (Lang::Fr, Commands::NotYourConversation) => "Cette conversation appartient aux \
                 personnes qui y ont posé des questions : elles seules (ou un administrateur) \
                 peuvent l'exporter ou en changer le mode. Commencez la vôtre en me posant une \
                 question."
                .to_owned(),
            (Lang::En, Commands::NothingToExport) => {
                "There is no conversation of yours here to export yet.".to_owned()
            }
            (Lang::Fr, Commands::NothingToExport) => {
                "Vous n'avez pas encore de conversation ici à exporter.".to_owned()
            }
            (Lang::En, Commands::Help { prefix: p }) => format!(
                "Ask me a question, and I answer with the company's own language model. \
                 Commands: `{p}mode sql` (answers as SQL) or `{p}mode chat` (plain answers), \
                 `{p}run N` (runs query N of the last answer), `{p}pick N` (reading N, when I ask \
                 how to read a question), `{p}good` or `{p}bad` (the last \
                 result was right: keep the query as an example; or wrong), `{p}stop` (stops the \
                 answer being written), `{p}export` (this conversation as Markdown, or `{p}export json`), \
                 `{p}link CODE` (in a direct message: links your account)."
            ),
            (Lang::Fr, Commands::Help { prefix: p }) => format!(
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
