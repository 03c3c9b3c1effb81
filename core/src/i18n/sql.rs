//! Why a statement was refused or stopped, in English and French: the
//! validator's refusals (what it cannot read, what is foreign to the
//! dialect, what exceeds a bound) and the executor's errors (what the
//! server would build or keep), each sentence beside its translation.

use std::fmt;

use super::Lang;

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
            super::duration_fr(*limit)
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
            "elle n'a pas été lancée, car elle demanderait au serveur de base de données plus \
             de ressources que ce à quoi une requête a droit ({})",
            heavy_reason(lang, heavy)
        ),
        (Lang::En, E::UnreadableColumn) => "it was not run: a column of its result is of a \
             type the bot cannot read yet (a multirange); write that column as its ranges, \
             unnest(column), or its bounds, lower(column) and upper(column)"
            .to_owned(),
        (Lang::Fr, E::UnreadableColumn) => "elle n'a pas été lancée : une colonne de son \
             résultat est d'un type que le bot ne sait pas encore lire (un multirange) ; \
             remplacez cette colonne par ses intervalles, unnest(colonne), ou par ses bornes, \
             lower(colonne) et upper(colonne)"
            .to_owned(),
    }
}

/// Why a plan weighs too much, in `lang`.
pub(super) fn heavy_reason(lang: Lang, heavy: &crate::sql::backend::Heavy) -> String {
    use crate::sql::backend::Heavy as H;
    match (lang, heavy) {
        (Lang::En, H::ViewsExpand { scans, max }) => format!(
            "the views it reads expand into {} reads of tables, more than {max}: the server \
             plans all of them at once, in memory, before anything can stop it (read the tables \
             themselves, or fewer views)",
            match scans {
                Some(n) => n.to_string(),
                None => "countless".to_owned(),
            }
        ),
        (Lang::Fr, H::ViewsExpand { scans, max }) => format!(
            "les vues qu'elle lit se développent en {} lectures de tables, plus de {max} : le \
             serveur les planifie toutes à la fois, en mémoire, avant que rien ne puisse \
             l'arrêter (lisez les tables elles-mêmes, ou moins de vues)",
            match scans {
                Some(n) => n.to_string(),
                None => "d'innombrables".to_owned(),
            }
        ),
        (Lang::En, H::WritesElements { table, column }) => format!(
            "it writes {table}.{column} out whole as text, and the server keeps a kilobyte or \
             more for each of its elements until all of it is written (read its elements apart: \
             x[1], lower(x), upper(x))"
        ),
        (Lang::Fr, H::WritesElements { table, column }) => format!(
            "elle écrit {table}.{column} en entier comme texte, et le serveur garde un kilo-octet \
             ou plus pour chacun de ses éléments jusqu'à ce que tout soit écrit (lisez ses \
             éléments à part : x[1], lower(x), upper(x))"
        ),
        (Lang::En, H::InView { view, why }) => format!(
            "it reads the view {view}, whose own query weighs with it: {}",
            heavy_reason(lang, why)
        ),
        (Lang::Fr, H::InView { view, why }) => format!(
            "elle lit la vue {view}, dont la requête compte aussi dans son coût : {}",
            heavy_reason(lang, why)
        ),
        (Lang::En, H::ViewTooLarge { view, why }) => format!(
            "it reads the view {view}, whose own query is too large to run: {}",
            refusal_reason(lang, why)
        ),
        (Lang::Fr, H::ViewTooLarge { view, why }) => format!(
            "elle lit la vue {view}, dont la requête est trop grande pour être lancée : {}",
            refusal_reason(lang, why)
        ),
        (Lang::En, H::PlanTooDeep) => {
            "its plan nests too deep to be read, so what it would cost cannot be known (write \
             it with fewer windows or subqueries)"
                .to_owned()
        }
        (Lang::Fr, H::PlanTooDeep) => {
            "son plan est imbriqué trop profondément pour être lu : son coût ne peut donc \
             pas être estimé (écrivez-la avec moins de fenêtres ou de sous-requêtes)"
                .to_owned()
        }
        (Lang::En, H::GathersComputedRows) => "it gathers rows into one value from a function \
             whose rows are computed (write its bounds as numbers), so how much it gathers \
             cannot be foreseen"
            .to_owned(),
        (Lang::Fr, H::GathersComputedRows) => "elle rassemble des lignes en une seule valeur \
             depuis une fonction dont les lignes sont calculées (écrivez ses bornes sous \
             forme de nombres) : la quantité rassemblée est imprévisible"
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
                 plus de {bound_mib} Mio"
            ),
            None => format!(
                "elle rassemble des lignes en une seule valeur, et une récursion rend \
                 imprévisible ce qu'elle lit (la limite est de {bound_mib} Mio)"
            ),
        },
        // The table behind the view is not named: the asker may not read it,
        // nor know of it (the log and the audit say which it is).
        (Lang::En, H::GathersThroughView { .. }) => "it reads through a view values of a table \
             this account may not read, so what it would gather or keep in memory cannot be \
             weighed (an administrator may grant SELECT on that table to the bot's account)"
            .to_owned(),
        (Lang::Fr, H::GathersThroughView { .. }) => "elle lit à travers une vue des valeurs \
             d'une table que ce compte ne peut pas lire, donc ce qu'elle rassemblerait ou \
             garderait en mémoire ne peut pas être évalué (un administrateur peut accorder SELECT \
             sur cette table au compte du bot)"
            .to_owned(),
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
            "les premières lignes de son ORDER BY … LIMIT peuvent contenir {}, plus de \
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
             {longest} octets : chaque appel sur une telle valeur décompresse sa propre copie, \
             gardée jusqu'à la fin de la ligne, {} en tout, plus de {bound_mib} Mio (appelez moins \
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
             fois plus grand pour la reconstruire, {} en tout, plus de {bound_mib} Mio (prenez \
             les parties utiles, payload -> 'clé' ou payload -> 0, plutôt que de retirer \
             des éléments de documents entiers ou d'y en ajouter)",
            match mib {
                Some(mib) => format!("environ {mib} Mio"),
                None => "plus qu'on ne peut prévoir".to_owned(),
            }
        ),
        (
            Lang::En,
            H::Searches {
                sought,
                compared,
                table,
                longest,
            },
        ) => format!(
            "its containment or overlap tests (@>, <@, ?|, ?&, &&) compare {} with every element \
             of values of up to {longest} bytes in {table}, each in one call no deadline \
             interrupts: more than such a call may compare within the deadline (look for fewer \
             elements at once, or in a smaller part of the value: payload -> 'items' @> …)",
            match (sought, compared) {
                (0, c) => format!("{c} values read with each other, element by element,"),
                (s, 0) => format!("each of the elements they look for ({s} characters)"),
                (s, c) => format!(
                    "each of the elements they look for ({s} characters), and {c} values read \
                     with each other,"
                ),
            }
        ),
        (
            Lang::Fr,
            H::Searches {
                sought,
                compared,
                table,
                longest,
            },
        ) => format!(
            "ses tests d'inclusion ou de recouvrement (@>, <@, ?|, ?&, &&) comparent {} à chaque \
             élément de valeurs allant jusqu'à {longest} octets dans {table}, chacun en un seul \
             appel qu'aucun délai n'interrompt : plus qu'un tel appel ne peut comparer dans le \
             délai (cherchez moins d'éléments à la fois, ou dans une plus petite partie de la \
             valeur : payload -> 'items' @> …)",
            match (sought, compared) {
                (0, c) =>
                    format!("{c} valeurs comparées les unes aux autres, élément par élément,"),
                (s, 0) => format!("chacun des éléments qu'ils cherchent ({s} caractères)"),
                (s, c) => format!(
                    "chacun des éléments qu'ils cherchent ({s} caractères), et {c} valeurs \
                     comparées les unes aux autres,"
                ),
            }
        ),
        (
            Lang::En,
            H::LongNumbers {
                table,
                column,
                digits,
                reads,
                max,
            },
        ) => format!(
            "its logarithms, roots or powers work on {table}.{column}, {}: one such call on a \
             number that long runs for seconds, and no deadline interrupts it (cast it to a \
             floating-point number first: ln(x::float8))",
            match digits {
                Some(digits) if *reads > 1 => format!(
                    "which holds a number of {digits} characters, and {reads} numbers read go \
                     into them together: up to {} characters, more than {max}",
                    digits.saturating_mul(*reads)
                ),
                Some(digits) =>
                    format!("which holds a number of {digits} characters, more than {max}"),
                None => "which this account cannot measure (it reads it through a view)".to_owned(),
            }
        ),
        (
            Lang::Fr,
            H::LongNumbers {
                table,
                column,
                digits,
                reads,
                max,
            },
        ) => format!(
            "ses logarithmes, racines ou puissances portent sur {table}.{column}, {} : un tel \
             calcul sur un nombre aussi long dure des secondes, et aucun délai ne l'interrompt \
             (convertissez-le d'abord en nombre à virgule flottante : ln(x::float8))",
            match digits {
                Some(digits) if *reads > 1 => format!(
                    "qui contient un nombre de {digits} caractères, et {reads} nombres lus y \
                     entrent ensemble : jusqu'à {} caractères, plus de {max}",
                    digits.saturating_mul(*reads)
                ),
                Some(digits) =>
                    format!("qui contient un nombre de {digits} caractères, plus de {max}"),
                None =>
                    "que ce compte ne peut pas mesurer (il la lit à travers une vue)".to_owned(),
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
            "les valeurs de ses groupes peuvent atteindre {}, plus de {bound_mib} Mio : le \
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
            "une jointure garderait {} de ses lignes dans une table de hachage, plus de \
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
             disque, plus de {bound_mib} Mio (un NOT IN (SELECT …) est haché ainsi ; un NOT \
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
        (Lang::En, H::QuotesWritten { table, column }) => format!(
            "it parses the text of {table}.{column}, whose values are structured: their text may \
             be far longer than what is stored (a number stored in a few bytes may write 131,000 \
             digits), and the database's error on one it cannot parse would quote it whole (parse \
             the part you need: payload ->> 'key', tags[1])"
        ),
        (Lang::Fr, H::QuotesWritten { table, column }) => format!(
            "elle convertit le texte de {table}.{column}, dont les valeurs sont structurées : ce \
             texte peut être bien plus long que ce qui est stocké (un nombre stocké en quelques \
             octets peut s'écrire en 131 000 chiffres), et l'erreur de la base sur une valeur \
             illisible le citerait en entier (convertissez la partie utile : payload ->> 'clé', \
             tags[1])"
        ),
    }
}

pub(super) fn sql_refusal(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
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
pub(super) const MAX_REFUSAL_CHARS: usize = 1_000;

/// Why a statement is refused, as a clause ("it calls …"): what
/// [`Text::SqlRefused`] says, and the refusal's own English text; cut to
/// [`MAX_REFUSAL_CHARS`].
pub(super) fn refusal_reason(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
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
        (Lang::Fr, R::Empty) => "elle ne contient aucune instruction SQL".to_owned(),
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
            format!("elle contient {n} instructions ; une seule peut être exécutée")
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
            "elle contient un caractère de contrôle, par exemple un retour chariot isolé".to_owned()
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
            "OPERATOR(…) nomme un opérateur, qui exécute sa propre fonction".to_owned()
        }
        (Lang::En, U::OrderByUsing) => "ORDER BY … USING chooses an operator by name".to_owned(),
        (Lang::Fr, U::OrderByUsing) => {
            "ORDER BY … USING choisit un opérateur par son nom".to_owned()
        }
        (Lang::En, U::Construct(syntax)) => format!("the checker does not follow {syntax}"),
        (Lang::Fr, U::Construct(syntax)) => {
            format!("le vérificateur ne prend pas en charge {syntax}")
        }
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
        (Lang::Fr, U::FullTextSearch) => "@@ autre qu'une recherche plein texte avec \
             to_tsquery, plainto_tsquery, phraseto_tsquery ou websearch_to_tsquery"
            .to_owned(),
        (Lang::En, U::Operator(op)) => format!("the operator {op}"),
        (Lang::Fr, U::Operator(op)) => format!("l'opérateur {op}"),
        (Lang::En, U::NotATable(name)) => format!(
            "{name} is qualified by no table or alias the query reads in FROM (join the table \
             that has the column; or is it a function or a sequence?)"
        ),
        (Lang::Fr, U::NotATable(name)) => format!(
            "{name} n'est qualifié par aucune table ni aucun alias que la requête lit dans FROM (joignez \
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
        F::StarOptions => ("a * with options", "un * avec des options"),
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
            "un FROM joint {relations} tables ou sous-requêtes, plus de {max} (la base évalue \
             chaque ordre de jointure possible, en mémoire)"
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
            "ses valeurs se construisent en plus d'étapes qu'on ne peut en évaluer".to_owned()
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
            "l'expression régulière de {function} imbrique des répétitions comptées ({{m,n}} dans \
             {{m,n}}), soit {states} états, plus de {max} : la compiler seule peut prendre à la base \
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
            "l'expression régulière de {function} répète un nombre fixé de fois des parties \
             qui peuvent ne rien reconnaître ((a?b?){{0,100}}), soit {atoms} parties de ce genre \
             une fois l'expression dépliée, plus de {max} ; la compiler seule peut prendre à la \
             base des secondes qu'elle ne sait pas interrompre (écrivez la répétition avec un \
             nombre plus petit)"
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
            "elle cherche {needle}, un texte rassemblé à partir de lignes, d'une longueur qui \
             dépend des lignes (la base ne peut pas s'arrêter au milieu d'une recherche)"
        ),
        (Lang::En, E::ComputedSet(set)) => format!(
            "it trims or translates by {set}, a set of characters it reads or computes rather \
             than writes out: each character of the text is looked up in the whole set, so only \
             a set written out can be weighed (write the characters out)"
        ),
        (Lang::Fr, E::ComputedSet(set)) => format!(
            "elle rogne ou remplace selon {set}, un ensemble de caractères lu ou calculé plutôt \
             qu'écrit : chaque caractère du texte y est cherché dans tout l'ensemble, et seul un \
             ensemble écrit en toutes lettres peut être évalué (écrivez les caractères)"
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
            "ce qu'elle cherche dans {text}, un texte rassemblé à partir de lignes (d'une longueur \
             qui dépend des lignes), compte {} caractères, plus de {max} (ceux d'un ensemble comptent \
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
             l'analyse prend plusieurs fois sa taille, d'une longueur qui dépend des lignes"
        ),
        (Lang::En, E::QuotedGathered(what)) => format!(
            "{what} reads a value gathered from rows as another type: the database's error on a \
             value it cannot read quotes it whole, as long as the rows make it"
        ),
        (Lang::Fr, E::QuotedGathered(what)) => format!(
            "{what} lit une valeur rassemblée à partir de lignes comme un autre type : l'erreur de \
             la base sur une valeur qu'elle ne peut pas lire la cite en entier, d'une longueur qui \
             dépend des lignes"
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
                    "{what} construit sans borne à partir de valeurs produites par la requête, plus \
                     de {max} caractères"
                ),
            }
        }
        (Lang::En, E::Exponent { exponent, max }) => format!(
            "a power with exponent {exponent}, more than {max} (a number of that many digits takes minutes \
             to divide)"
        ),
        (Lang::Fr, E::Exponent { exponent, max }) => format!(
            "une puissance d'exposant {exponent}, plus de {max} (un nombre d'autant de chiffres prend des \
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
        (Lang::En, E::ParsedNumber(number)) => format!(
            "a logarithm, a root or a power of {number}, an exact number parsed from a value it \
             reads: the data may write it with thousands of digits, and the database cannot stop \
             inside one such call (parse it as a floating-point number: ::float8)"
        ),
        (Lang::Fr, E::ParsedNumber(number)) => format!(
            "un logarithme, une racine ou une puissance de {number}, un nombre exact lu dans une \
             valeur qu'elle lit : les données peuvent l'écrire avec des milliers de chiffres, et \
             la base ne peut pas s'arrêter au milieu d'un tel calcul (lisez-le comme un nombre à \
             virgule flottante : ::float8)"
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
