//! Why a plan weighs too much (what the server would build or keep, by the
//! executor's weighing), in English and French.

use super::super::Lang;
use super::refusal_reason;

/// Why a plan weighs too much, in `lang`.
pub(in crate::i18n) fn heavy_reason(lang: Lang, heavy: &crate::sql::backend::Heavy) -> String {
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
        (Lang::En, H::OutsideSchemas { table }) => format!(
            "it reads the table {table} through a view, outside the allowed schemas, where I do \
             not count or measure what a statement would gather or keep in memory (an \
             administrator may add its schema to sql.allowed_schemas)"
        ),
        (Lang::Fr, H::OutsideSchemas { table }) => format!(
            "elle lit la table {table} à travers une vue, hors des schémas autorisés, où je ne \
             compte ni ne mesure ce qu'une requête rassemblerait ou garderait en mémoire (un \
             administrateur peut ajouter son schéma à sql.allowed_schemas)"
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
