//! What is hidden from a reader, and why a statement's rows may not be
//! shown to them in the order they come, in words: a refusal names the
//! column and the rule, never a value.

/// What a refusal names, in either language: the column (or table) and
/// the rule, never a value.
pub(super) fn what_of(hidden: &crate::access::Hidden) -> String {
    use super::code_span;
    match hidden {
        crate::access::Hidden::NoGroup => "no group".to_owned(),
        crate::access::Hidden::GroupsGone { groups } => {
            format!("groups no longer configured: {}", groups.join(", "))
        }
        crate::access::Hidden::Read { what, rule, .. }
        | crate::access::Hidden::Unordered { what, rule, .. } => {
            format!("{}, {}", code_span(what), code_span(rule))
        }
        crate::access::Hidden::Unfollowed { what, .. } => code_span(what),
        crate::access::Hidden::Account { group } => {
            format!("account: {}", group.as_deref().unwrap_or("-"))
        }
    }
}

pub(super) fn hidden_en(hidden: &crate::access::Hidden) -> String {
    use crate::access::Hidden;
    match hidden {
        Hidden::NoGroup => "Nothing was run: you are in no group that is configured, and here \
                            such a person may not read the data. Ask an admin to put you in one."
            .to_owned(),
        Hidden::GroupsGone { groups } => format!(
            "Nothing was run: your groups ({}) are no longer configured, so you may read nothing \
             until an admin puts you in one that is.",
            groups.join(", ")
        ),
        Hidden::Account { group } => format!(
            "Nothing was run: {} reads through another database account.",
            group.as_deref().unwrap_or("someone in no group")
        ),
        Hidden::Read {
            group,
            rule,
            what,
            through,
            visible,
        } => {
            let mut text =
                format!("Nothing was run: {what} is hidden from {group} (rule `{rule}`)");
            if let Some(view) = through {
                text.push_str(&format!(", and {view} is computed from it"));
            }
            text.push('.');
            if let Some(visible) = visible {
                text.push_str(&format!(
                    " Name the columns you may read instead of `*`: {}.",
                    visible.join(", ")
                ));
            }
            text
        }
        Hidden::Unfollowed { group, what } => format!(
            "Nothing was run: I cannot tell what {what} is computed from (a view, a generated \
             column or a virtual table), and {group} has hidden columns. Read the tables it comes \
             from directly."
        ),
        Hidden::Unordered {
            group,
            rule,
            what,
            how,
        } => format!(
            "Nothing was run: it reads a table with {what}, hidden from {group} (rule `{rule}`), \
             and {} depends on the order the database reads rows in, which may follow that \
             column. {}",
            unordered_en(how),
            way_out_en(how)
        ),
    }
}

/// The part of a statement that depends on the order rows are read in.
fn unordered_en(how: &crate::sql::validate::Unordered) -> String {
    use crate::sql::validate::Unordered;
    match how {
        Unordered::Limit => "its LIMIT (or OFFSET, FETCH)".to_owned(),
        Unordered::DistinctOn => "its DISTINCT ON".to_owned(),
        Unordered::Window(name) => format!("the window function {name}"),
        Unordered::Aggregate(name) => format!("{name}, which strings rows in the order read,"),
        Unordered::BareColumn(name) => {
            format!("{name}, neither grouped nor aggregated (taken from any row of its group),")
        }
        Unordered::Place(name) => format!("{name}, a row's place as read or stored,"),
        Unordered::Sample => "its sample of the table".to_owned(),
        Unordered::Unknown(name) => format!("the function {name}, which I do not know,"),
        Unordered::Ties => "the order of rows its ORDER BY leaves tied".to_owned(),
        Unordered::Drawn(name) => format!("{name}, drawn anew for each row as it is read,"),
        Unordered::Unequal(what) => format!(
            "{what}, over values that may be equal yet shown apart (1.0 and 1.00, -0 and 0, \
             texts compared ignoring case),"
        ),
        Unordered::Rounded(name) => format!(
            "{name}, over values whose total depends on the order they are added in \
             (floating point, or computed values that may overflow or round),"
        ),
    }
}

/// How to write a statement so that nothing depends on the order rows are
/// read in.
fn way_out_en(how: &crate::sql::validate::Unordered) -> &'static str {
    use crate::sql::validate::Unordered;
    match how {
        Unordered::Unequal(_) => {
            "Show such values as they are written (CAST(x AS text)) or at one scale \
             (round(x, 2)), or compare texts as they are."
        }
        Unordered::Drawn(_) => "Leave the random values out.",
        Unordered::Rounded(_) => {
            "Add exact numbers: a column as stored (in PostgreSQL, any integer or numeric \
             expression)."
        }
        _ => {
            "Order by columns you may read that tell every row apart: the table's key \
             (ORDER BY id), or every column shown."
        }
    }
}

fn way_out_fr(how: &crate::sql::validate::Unordered) -> &'static str {
    use crate::sql::validate::Unordered;
    match how {
        Unordered::Unequal(_) => {
            "Affichez ces valeurs telles qu'elles s'écrivent (CAST(x AS text)) ou à une seule \
             échelle (round(x, 2)), ou comparez les textes tels qu'ils sont."
        }
        Unordered::Drawn(_) => "Retirez les valeurs tirées au hasard.",
        Unordered::Rounded(_) => {
            "Additionnez des nombres exacts : une colonne telle que stockée (dans PostgreSQL, \
             toute expression entière ou numeric)."
        }
        _ => {
            "Triez par des colonnes que vous pouvez lire et qui distinguent chaque ligne : la \
             clé de la table (ORDER BY id), ou toutes les colonnes affichées."
        }
    }
}

fn unordered_fr(how: &crate::sql::validate::Unordered) -> String {
    use crate::sql::validate::Unordered;
    match how {
        Unordered::Limit => "son LIMIT (ou OFFSET, FETCH)".to_owned(),
        Unordered::DistinctOn => "son DISTINCT ON".to_owned(),
        Unordered::Window(name) => format!("la fonction de fenêtre {name}"),
        Unordered::Aggregate(name) => {
            format!("{name}, qui enchaîne les lignes dans l'ordre lu,")
        }
        Unordered::BareColumn(name) => {
            format!("{name}, ni groupé ni agrégé (pris d'une ligne quelconque de son groupe),")
        }
        Unordered::Place(name) => format!("{name}, la place d'une ligne lue ou rangée,"),
        Unordered::Sample => "son échantillon de la table".to_owned(),
        Unordered::Unknown(name) => format!("la fonction {name}, que je ne connais pas,"),
        Unordered::Ties => "l'ordre des lignes que son ORDER BY laisse à égalité".to_owned(),
        Unordered::Drawn(name) => {
            format!("{name}, tiré à nouveau pour chaque ligne à mesure qu'elle est lue,")
        }
        Unordered::Unequal(what) => format!(
            "{what}, sur des valeurs qui peuvent être égales mais s'afficher autrement (1.0 et \
             1.00, -0 et 0, textes comparés sans la casse),"
        ),
        Unordered::Rounded(name) => format!(
            "{name}, sur des valeurs dont le total dépend de l'ordre où elles sont additionnées \
             (virgule flottante, ou valeurs calculées qui peuvent déborder ou s'arrondir),"
        ),
    }
}

pub(super) fn hidden_fr(hidden: &crate::access::Hidden) -> String {
    use crate::access::Hidden;
    match hidden {
        Hidden::NoGroup => "Rien n'a été exécuté : vous n'êtes dans aucun groupe configuré, et \
                            ici personne hors groupe ne peut lire les données. Demandez à un admin \
                            de vous en attribuer un."
            .to_owned(),
        Hidden::GroupsGone { groups } => format!(
            "Rien n'a été exécuté : vos groupes ({}) ne sont plus configurés, vous ne pouvez donc \
             rien lire tant qu'un admin ne vous en attribue pas un qui l'est.",
            groups.join(", ")
        ),
        Hidden::Account { group } => format!(
            "Rien n'a été exécuté : {} lit par un autre compte de la base.",
            group.as_deref().unwrap_or("une personne hors groupe")
        ),
        Hidden::Read {
            group,
            rule,
            what,
            through,
            visible,
        } => {
            let mut text =
                format!("Rien n'a été exécuté : {what} est masqué pour {group} (règle `{rule}`)");
            if let Some(view) = through {
                text.push_str(&format!(", et {view} en est calculé"));
            }
            text.push('.');
            if let Some(visible) = visible {
                text.push_str(&format!(
                    " Nommez les colonnes que vous pouvez lire au lieu de `*` : {}.",
                    visible.join(", ")
                ));
            }
            text
        }
        Hidden::Unfollowed { group, what } => format!(
            "Rien n'a été exécuté : je ne peux pas savoir de quoi {what} est calculé (une vue, une \
             colonne générée ou une table virtuelle), et {group} a des colonnes masquées. Lisez \
             directement les tables d'où il vient."
        ),
        Hidden::Unordered {
            group,
            rule,
            what,
            how,
        } => format!(
            "Rien n'a été exécuté : la requête lit une table où {what} est masqué pour {group} \
             (règle `{rule}`), et {} dépend de l'ordre dans lequel la base lit les lignes, qui peut \
             suivre cette colonne. {}",
            unordered_fr(how),
            way_out_fr(how)
        ),
    }
}
