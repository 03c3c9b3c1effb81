//! The bound a statement goes past (the validator's `Excess`), in English
//! and French.

use super::super::Lang;
use super::amount;

/// The bound a statement goes past (see [`crate::sql::validate::Excess`]).
pub(super) fn excess(lang: Lang, excess: &crate::sql::validate::Excess) -> String {
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
