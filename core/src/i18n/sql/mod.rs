//! Why a statement was refused or stopped, in English and French: the
//! validator's refusals (what it cannot read, what is foreign to the
//! dialect, what exceeds a bound) and the executor's errors (what the
//! server would build or keep), each sentence beside its translation.

use std::fmt;

use super::Lang;

mod excess;
mod heavy;

use excess::excess;
pub(super) use heavy::heavy_reason;

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
        (Lang::En, E::Memory(bytes)) => format!(
            "it needed more than {} MiB of memory and was stopped",
            bytes / (1024 * 1024)
        ),
        (Lang::Fr, E::Memory(bytes)) => format!(
            "elle demandait plus de {} Mio de mémoire et a été arrêtée",
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
        // A cut result and a database error say the same thing to such a
        // reader: whether a failing row came before the cap or after it
        // follows the order rows are read in.
        (Lang::En, E::CutUnordered(_) | E::Withheld) => "nothing is shown: the database could \
             not run it, or its result was cut at its limit without an ORDER BY that tells rows \
             apart; either could follow the order the database reads rows in, which may follow a \
             column you may not read (an admin can read which in the audit). Order it by the \
             table's key (ORDER BY id), or narrow it"
            .to_owned(),
        (Lang::Fr, E::CutUnordered(_) | E::Withheld) => "rien n'est affiché : la base n'a pas pu \
             l'exécuter, ou son résultat a été coupé à sa limite sans ORDER BY qui distingue les \
             lignes ; l'un comme l'autre pourrait suivre l'ordre où la base lit les lignes, qui \
             peut suivre une colonne que vous ne pouvez pas lire (un admin peut lire lequel dans \
             le journal d'audit). Triez-le par la clé de la table (ORDER BY id), ou restreignez-le"
            .to_owned(),
    }
}

pub(super) fn sql_refusal(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
    let reason = quoted_refusal_reason(lang, refusal, Quote::Code);
    match lang {
        Lang::En => format!("This query will not be run: {reason}."),
        Lang::Fr => format!("Cette requête ne sera pas exécutée : {reason}."),
    }
}

/// A refusal's English text, for logs, the audit and the model: the same
/// words [`Sql::Refused`](super::Sql::Refused) says in English.
impl fmt::Display for crate::sql::validate::Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&refusal_reason(Lang::En, self))
    }
}

impl std::error::Error for crate::sql::validate::Refusal {}

impl fmt::Display for crate::sql::validate::Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&unreadable(Lang::En, self, Quote::Plain))
    }
}

impl fmt::Display for crate::sql::validate::Excess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&excess(Lang::En, self))
    }
}

/// How a name taken from a statement is quoted in what the bot says of it:
/// as it is (logs, the audit, the model's repair request), or as a code
/// span (the chat, which renders Markdown: a name such as
/// `"[y](http://…)"` is then read as the characters it is, never as a link,
/// an image or emphasis in the bot's own voice).
#[derive(Clone, Copy)]
enum Quote {
    Plain,
    Code,
}

impl Quote {
    fn of(self, name: impl fmt::Display) -> String {
        match self {
            Quote::Plain => name.to_string(),
            Quote::Code => super::code_span(&name.to_string()),
        }
    }
}

/// The most characters a refusal's reason takes: it may quote a name of
/// the statement whole (16 KiB at most), and it goes to the chat, the audit
/// and the model's repair request.
pub(super) const MAX_REFUSAL_CHARS: usize = 1_000;

/// Why a statement is refused, as a clause ("it calls …"): what
/// [`Sql::Refused`](super::Sql::Refused) says, and the refusal's own
/// English text; cut to [`MAX_REFUSAL_CHARS`].
pub(super) fn refusal_reason(lang: Lang, refusal: &crate::sql::validate::Refusal) -> String {
    quoted_refusal_reason(lang, refusal, Quote::Plain)
}

/// [`refusal_reason`], the names taken from the statement quoted by `q`.
fn quoted_refusal_reason(lang: Lang, refusal: &crate::sql::validate::Refusal, q: Quote) -> String {
    let whole = refusal_reason_whole(lang, refusal, q);
    match whole.char_indices().nth(MAX_REFUSAL_CHARS) {
        // A cut inside a code span closes it, lest the rest of a name be
        // read as Markdown (a span holds no backtick of its own).
        Some((at, _)) if matches!(q, Quote::Code) && whole[..at].matches('`').count() % 2 == 1 => {
            format!("{}`…", &whole[..at])
        }
        Some((at, _)) => format!("{}…", &whole[..at]),
        None => whole,
    }
}

fn refusal_reason_whole(lang: Lang, refusal: &crate::sql::validate::Refusal, q: Quote) -> String {
    use crate::sql::validate::Refusal as R;
    match (lang, refusal) {
        (Lang::En, R::Empty) => "there is no statement in it".to_owned(),
        (Lang::Fr, R::Empty) => "elle ne contient aucune instruction SQL".to_owned(),
        (Lang::En, R::CannotVerify(what)) => format!(
            "it cannot be verified (the checker cannot read it: {})",
            unreadable(lang, what, q)
        ),
        (Lang::Fr, R::CannotVerify(what)) => format!(
            "elle ne peut pas être vérifiée (le vérificateur ne sait pas la lire : {})",
            unreadable(lang, what, q)
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
            "it calls {name}, which is not among the functions known to be harmless in {dialect} (an administrator can allow it with sql.allowed_functions)",
            name = q.of(name)
        ),
        (Lang::Fr, R::UnknownFunction { name, dialect }) => format!(
            "elle appelle {name}, qui ne fait pas partie des fonctions reconnues sans danger en {dialect} (un administrateur peut l'autoriser avec sql.allowed_functions)",
            name = q.of(name)
        ),
        (Lang::En, R::NotInCatalog(name)) => {
            format!(
                "it reads {name}, which is not a table or view of the allowed schemas",
                name = q.of(name)
            )
        }
        (Lang::Fr, R::NotInCatalog(name)) => {
            format!(
                "elle lit {name}, qui n'est ni une table ni une vue des schémas autorisés",
                name = q.of(name)
            )
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
        (Lang::En, R::DatabaseLink(name)) => {
            format!("it reaches another database ({name})", name = q.of(name))
        }
        (Lang::Fr, R::DatabaseLink(name)) => {
            format!("elle atteint une autre base ({name})", name = q.of(name))
        }
        (Lang::En, R::DeniedFunction(name)) => {
            format!("it calls {name}, which is not allowed", name = q.of(name))
        }
        (Lang::Fr, R::DeniedFunction(name)) => {
            format!(
                "elle appelle {name}, ce qui n'est pas permis",
                name = q.of(name)
            )
        }
        (Lang::En, R::Sequence(name)) => {
            format!("it advances the sequence {name}", name = q.of(name))
        }
        (Lang::Fr, R::Sequence(name)) => {
            format!("elle fait avancer la séquence {name}", name = q.of(name))
        }
        (Lang::En, R::DeniedObject(name)) => {
            format!("it reads {name}, which is not allowed", name = q.of(name))
        }
        (Lang::Fr, R::DeniedObject(name)) => format!(
            "elle lit {name}, ce qui n'est pas permis",
            name = q.of(name)
        ),
        (Lang::En, R::SchemaNotAllowed { object, schema }) => {
            format!(
                "it reads {object}, and the schema {schema} is not allowed",
                object = q.of(object),
                schema = q.of(schema)
            )
        }
        (Lang::Fr, R::SchemaNotAllowed { object, schema }) => {
            format!(
                "elle lit {object}, et le schéma {schema} n'est pas autorisé",
                object = q.of(object),
                schema = q.of(schema)
            )
        }
        (Lang::En, R::Placeholder(p)) => {
            format!(
                "it holds a parameter or a stray dollar sign ({p}), which cannot be checked",
                p = q.of(p)
            )
        }
        (Lang::Fr, R::Placeholder(p)) => {
            format!(
                "elle contient un paramètre ou un signe dollar isolé ({p}), impossible à vérifier",
                p = q.of(p)
            )
        }
        (Lang::En, R::UnicodeEscape) => {
            "it holds Unicode-escaped text (U&…), which cannot be checked".to_owned()
        }
        (Lang::Fr, R::UnicodeEscape) => {
            "elle contient du texte échappé en Unicode (U&…), impossible à vérifier".to_owned()
        }
        (Lang::En, R::FunctionSchemaNotAllowed { function, schema }) => {
            format!(
                "it calls {function}, and the schema {schema} is not allowed",
                function = q.of(function),
                schema = q.of(schema)
            )
        }
        (Lang::Fr, R::FunctionSchemaNotAllowed { function, schema }) => {
            format!(
                "elle appelle {function}, et le schéma {schema} n'est pas autorisé",
                function = q.of(function),
                schema = q.of(schema)
            )
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
fn unreadable(lang: Lang, what: &crate::sql::validate::Unreadable, q: Quote) -> String {
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
        (Lang::En, U::QuoteInQuotedName(name)) => {
            format!("the quoted name {name} holds a quote", name = q.of(name))
        }
        (Lang::Fr, U::QuoteInQuotedName(name)) => {
            format!(
                "le nom entre guillemets {name} contient un guillemet",
                name = q.of(name)
            )
        }
        (Lang::En, U::OracleFolding(name)) => format!(
            "the name {name} is written without quotes with a letter outside ASCII, which \
             Oracle may fold otherwise than the checker (quote it)",
            name = q.of(name)
        ),
        (Lang::Fr, U::OracleFolding(name)) => format!(
            "le nom {name} est écrit sans guillemets avec une lettre hors ASCII, qu'Oracle peut \
             mettre en majuscules autrement que le vérificateur (mettez-le entre guillemets)",
            name = q.of(name)
        ),
        (Lang::En, U::Token(token)) => format!(
            "the token {token} is not one the checker reads",
            token = q.of(token)
        ),
        (Lang::Fr, U::Token(token)) => {
            format!(
                "le symbole {token} ne fait pas partie de ceux que le vérificateur lit",
                token = q.of(token)
            )
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
        (Lang::En, U::TableOptions(name)) => {
            format!("the table options on {name}", name = q.of(name))
        }
        (Lang::Fr, U::TableOptions(name)) => {
            format!("les options de table sur {name}", name = q.of(name))
        }
        (Lang::En, U::ComputedName(name)) => {
            format!("the name {name} is computed", name = q.of(name))
        }
        (Lang::Fr, U::ComputedName(name)) => {
            format!("le nom {name} est calculé", name = q.of(name))
        }
        (Lang::En, U::NotAColumn { name, dialect }) => format!(
            "{name} is neither a column of the catalogue nor an alias of the query ({dialect} \
             would call a function of that name)",
            name = q.of(name)
        ),
        (Lang::Fr, U::NotAColumn { name, dialect }) => format!(
            "{name} n'est ni une colonne du catalogue ni un alias de la requête ({dialect} \
             appellerait une fonction de ce nom)",
            name = q.of(name)
        ),
        (Lang::En, U::KeywordAlias { before, alias }) => {
            format!(
                "{before} {alias} reads like a keyword followed by a name",
                before = q.of(before),
                alias = q.of(alias)
            )
        }
        (Lang::Fr, U::KeywordAlias { before, alias }) => {
            format!(
                "{before} {alias} se lit comme un mot-clé suivi d'un nom",
                before = q.of(before),
                alias = q.of(alias)
            )
        }
        (Lang::En, U::KeywordAsTable(word)) => {
            format!(
                "{word} is a keyword where a table name should be",
                word = q.of(word)
            )
        }
        (Lang::Fr, U::KeywordAsTable(word)) => {
            format!(
                "{word} est un mot-clé à la place d'un nom de table",
                word = q.of(word)
            )
        }
        (Lang::En, U::MethodCall(on)) => format!("a method call on {on}", on = q.of(on)),
        (Lang::Fr, U::MethodCall(on)) => format!("un appel de méthode sur {on}", on = q.of(on)),
        (Lang::En, U::Access(field)) => format!("the access .{field}", field = q.of(field)),
        (Lang::Fr, U::Access(field)) => format!("l'accès .{field}", field = q.of(field)),
        (Lang::En, U::FullTextSearch) => "@@ other than a text search against to_tsquery, \
             plainto_tsquery, phraseto_tsquery or websearch_to_tsquery"
            .to_owned(),
        (Lang::Fr, U::FullTextSearch) => "@@ autre qu'une recherche plein texte avec \
             to_tsquery, plainto_tsquery, phraseto_tsquery ou websearch_to_tsquery"
            .to_owned(),
        (Lang::En, U::Operator(op)) => format!("the operator {op}", op = q.of(op)),
        (Lang::Fr, U::Operator(op)) => format!("l'opérateur {op}", op = q.of(op)),
        (Lang::En, U::NotATable(name)) => format!(
            "{name} is qualified by no table or alias the query reads in FROM (join the table \
             that has the column; or is it a function or a sequence?)",
            name = q.of(name)
        ),
        (Lang::Fr, U::NotATable(name)) => format!(
            "{name} n'est qualifié par aucune table ni aucun alias que la requête lit dans FROM (joignez \
             la table qui a la colonne ; ou est-ce une fonction ou une séquence ?)",
            name = q.of(name)
        ),
        (
            lang,
            U::NoSuchColumn {
                relation,
                table,
                column,
            },
        ) => {
            let named = match table {
                Some(table) => format!("{} ({})", q.of(relation), q.of(table)),
                None => q.of(relation),
            };
            match lang {
                Lang::En => format!("{named} has no column {}", q.of(column)),
                Lang::Fr => format!("{named} n'a pas de colonne {}", q.of(column)),
            }
        }
        (Lang::En, U::NamedArguments(function)) => {
            format!(
                "named arguments (=>) in {function}, whose bounds are read by position",
                function = q.of(function)
            )
        }
        (Lang::Fr, U::NamedArguments(function)) => format!(
            "des arguments nommés (=>) dans {function}, dont les bornes se lisent par position",
            function = q.of(function)
        ),
        (Lang::En, U::CastTo(data_type)) => format!("a cast to the type {data_type}"),
        (Lang::Fr, U::CastTo(data_type)) => format!("une conversion vers le type {data_type}"),
        (Lang::En, U::QualifiedSetting(name)) => format!(
            "{name} names a text-search configuration or a collation by its schema, or in \
             a way the check cannot read (name it alone: 'french', \"C\")",
            name = q.of(name)
        ),
        (Lang::Fr, U::QualifiedSetting(name)) => format!(
            "{name} désigne une configuration de recherche plein texte ou une collation par \
             son schéma, ou d'une façon que le contrôle ne sait pas lire (nommez-la seule : \
             'french', \"C\")",
            name = q.of(name)
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

/// The line above a result's table: how many rows it shows, of how many.
/// A result cut at the row cap or at the size cap (`sql.max_result_mib`)
/// says so: what is attached is the rows kept, not the whole result.
pub(in crate::i18n) fn rows_caption(lang: Lang, shown: u64, total: u64, truncated: bool) -> String {
    match (lang, shown == total, truncated) {
        (Lang::En, true, false) => format!("{total} row{}:", if total == 1 { "" } else { "s" }),
        // French counts 0 as one: « 0 ligne ».
        (Lang::Fr, true, false) => format!("{total} ligne{} :", if total <= 1 { "" } else { "s" }),
        (Lang::En, false, false) => {
            format!("First {shown} of {total} rows (full result attached):")
        }
        (Lang::Fr, false, false) => {
            format!("Les {shown} premières lignes sur {total} (résultat complet en pièce jointe) :")
        }
        (Lang::En, _, true) => format!(
            "First {shown} of the {total} rows kept: the result was cut at its row or size cap \
             (the rows kept are attached):"
        ),
        (Lang::Fr, _, true) => format!(
            "Les {shown} premières des {total} lignes gardées : le résultat a été coupé à sa limite \
             de lignes ou de taille (les lignes gardées sont en pièce jointe) :"
        ),
    }
}
