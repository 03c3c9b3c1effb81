//! Who may read what on the Execute target: the groups people belong to,
//! the tables and columns each group may not read ([`Rule`]), and the
//! judgement of a statement's [`Reach`] against them at the click.
//!
//! Three layers keep rows where they belong, from the strongest:
//! - the database itself: a group may have an account of its own on a
//!   target, so that its grants, views, PostgreSQL's row-level security
//!   and Oracle's VPD decide what its members' clicks return;
//! - the parsed statement: what it reads, as the validator resolved it
//!   against the live catalogue, is held to the rules of the group it runs
//!   as, views followed to what they read;
//! - the prompt: what a person may not read is left out of what the model
//!   is shown for them, so that it is not even suggested.
//!
//! A person in several groups: a statement runs as the first of their
//! groups (in name order) whose rules it keeps whole, with that group's
//! account. No statement mixes two groups' reading: no one account could
//! run it, and a rule of the one would be bypassed by the grants of the
//! other. A person in no group reads as `[access] ungrouped` says.

mod prompt;
mod rules;
mod views;

use std::fmt;

pub use prompt::both;
pub use rules::{BadRule, Rule};
pub use views::Views;

use crate::sql::schema::Catalog;
use crate::sql::validate::{Columns, Reach, Reached};

/// A group of people and what they may not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// What the group is, for admins.
    pub description: String,
    /// What its members may not read.
    pub hidden: Vec<Rule>,
}

/// What a person in no group may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ungrouped {
    /// Everything the target's account reads (as before groups existed).
    #[default]
    Everything,
    /// Nothing: Execute needs a group.
    Nothing,
}

/// Every group, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// In name order, the order a person's groups are tried in.
    groups: Vec<Group>,
    pub ungrouped: Ungrouped,
}

impl Rules {
    pub fn new(mut groups: Vec<Group>, ungrouped: Ungrouped) -> Self {
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Self { groups, ungrouped }
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The groups' names, in order.
    pub fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Whether anything is hidden from anyone: without rules the audience of
    /// a place is not asked and a prompt is not filtered.
    pub fn restrict(&self) -> bool {
        self.ungrouped == Ungrouped::Nothing || self.groups.iter().any(|g| !g.hidden.is_empty())
    }

    /// What a person in the groups `names` may read. A group the rules no
    /// longer know (removed or renamed in the configuration) grants
    /// nothing, and its member is not "in no group" either: someone whose
    /// every group is unknown may read nothing, whatever `ungrouped` says.
    pub fn access<S: AsRef<str>>(&self, names: &[S]) -> Access<'_> {
        let groups: Vec<&Group> = self
            .groups
            .iter()
            .filter(|g| names.iter().any(|n| n.as_ref() == g.name))
            .collect();
        Access {
            rules: self,
            groups,
            grouped: !names.is_empty(),
        }
    }

    /// The groups in `names` the rules do not know.
    pub fn unknown<'n, S: AsRef<str>>(&self, names: &'n [S]) -> Vec<&'n str> {
        names
            .iter()
            .map(AsRef::as_ref)
            .filter(|n| self.group(n).is_none())
            .collect()
    }
}

/// What one person may read: their groups' rules.
#[derive(Debug, Clone)]
pub struct Access<'r> {
    rules: &'r Rules,
    /// Their groups the rules know, in name order.
    groups: Vec<&'r Group>,
    /// Whether they are in any group at all, known or not.
    grouped: bool,
}

/// The reading a statement runs under: a group's (and its account), or
/// none (the target's own account, nothing hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing<'r> {
    Group(&'r Group),
    Ungrouped,
}

impl Standing<'_> {
    /// The group's name, for the audit and the account.
    pub fn group(&self) -> Option<&str> {
        match self {
            Standing::Group(g) => Some(&g.name),
            Standing::Ungrouped => None,
        }
    }

    fn hidden(&self) -> &[Rule] {
        match self {
            Standing::Group(g) => &g.hidden,
            Standing::Ungrouped => &[],
        }
    }
}

/// Why a statement may not run for someone: what it reads that a rule
/// hides (under the first group tried), or that they may read nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hidden {
    /// They are in no group, and a person in none may read nothing.
    NoGroup,
    /// The statement reads what `rule` of `group` hides.
    Read {
        group: String,
        rule: String,
        /// `table.column`, or `table` when the whole table is hidden.
        what: String,
        /// The view through which it is read, when it is.
        through: Option<String>,
        /// When the statement reads every column of a table (`*`,
        /// `t.*`, a whole row): the columns the group may read of it.
        visible: Option<Vec<String>>,
    },
    /// The statement reads a view whose definition could not be read,
    /// under a group that hides something.
    UnreadView { group: String, view: String },
    /// Someone who reads the place reads through another database account
    /// than the one the rows were read with (their group's own, or the
    /// target's), whose grants or row-level security may keep other rows.
    Account { group: Option<String> },
    /// The database would read a table through an index over a column
    /// `rule` hides: the rows' order (which rows a `LIMIT` keeps, what
    /// `row_number() OVER ()` numbers) would follow that column's values.
    Ordered {
        group: String,
        rule: String,
        /// `table.column`.
        what: String,
        index: String,
    },
}

impl fmt::Display for Hidden {
    /// For logs and the CLI; the chat says it through `i18n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hidden::NoGroup => f.write_str("in no group, and a person in none may read nothing"),
            Hidden::Read {
                group,
                rule,
                what,
                through,
                visible,
            } => {
                write!(f, "{what} is hidden from {group} (rule `{rule}`)")?;
                if let Some(view) = through {
                    write!(f, ", read through the view {view}")?;
                }
                if let Some(visible) = visible {
                    write!(f, "; its columns {group} may read: {}", visible.join(", "))?;
                }
                Ok(())
            }
            Hidden::UnreadView { group, view } => write!(
                f,
                "the view {view} cannot be followed to what it reads, and {group} has hidden columns"
            ),
            Hidden::Account { group } => write!(
                f,
                "{} reads through another database account, which may keep other rows",
                group.as_deref().unwrap_or("someone in no group")
            ),
            Hidden::Ordered {
                group,
                rule,
                what,
                index,
            } => write!(
                f,
                "the database would read the rows through the index {index} over {what}, hidden from \
                 {group} (rule `{rule}`): their order would follow it; order the result by a column \
                 {group} may read"
            ),
        }
    }
}

impl Hidden {
    /// The rule's text, for the audit (`no_group`, `unread_view` otherwise).
    pub fn rule(&self) -> &str {
        match self {
            Hidden::NoGroup => "no_group",
            Hidden::Read { rule, .. } | Hidden::Ordered { rule, .. } => rule,
            Hidden::UnreadView { .. } => "unread_view",
            Hidden::Account { .. } => "account",
        }
    }

    pub fn group(&self) -> Option<&str> {
        match self {
            Hidden::NoGroup => None,
            Hidden::Account { group } => group.as_deref(),
            Hidden::Read { group, .. }
            | Hidden::UnreadView { group, .. }
            | Hidden::Ordered { group, .. } => Some(group),
        }
    }
}

/// How deep views over views are followed; deeper is judged unreadable.
const MAX_VIEW_DEPTH: usize = 16;

impl<'r> Access<'r> {
    /// The groups tried, in order: theirs, or the reading of a person in
    /// none (none at all for someone whose groups are all unknown).
    pub fn standings(&self) -> Vec<Standing<'r>> {
        if self.groups.is_empty() && self.grouped {
            return Vec::new();
        }
        if self.groups.is_empty() {
            match self.rules.ungrouped {
                Ungrouped::Everything => vec![Standing::Ungrouped],
                Ungrouped::Nothing => Vec::new(),
            }
        } else {
            self.groups.iter().map(|g| Standing::Group(g)).collect()
        }
    }

    /// Their groups' names.
    pub fn group_names(&self) -> Vec<&str> {
        self.groups.iter().map(|g| g.name.as_str()).collect()
    }

    /// Whether every reading they have hides something (also when they
    /// have none): what a prompt shows them must then be filtered.
    pub fn restricted(&self) -> bool {
        self.standings().iter().all(|s| !s.hidden().is_empty())
    }

    /// The reading `reach` runs under for this person: the first of their
    /// groups that hides nothing it reads, views followed through `views`
    /// to what they read.
    ///
    /// # Errors
    /// What the first group tried hides (or that they may read nothing).
    pub fn judge(
        &self,
        reach: &Reach,
        catalog: &Catalog,
        views: &Views,
    ) -> Result<Standing<'r>, Hidden> {
        let standings = self.standings();
        let mut first = None;
        for standing in standings {
            match judge_under(standing, reach, catalog, views) {
                Ok(()) => return Ok(standing),
                Err(hidden) => {
                    first.get_or_insert(hidden);
                }
            }
        }
        Err(first.unwrap_or(Hidden::NoGroup))
    }

    /// Whether they may read `column` of the table (under at least one of
    /// their groups): what a prompt may show them.
    pub fn may_see(&self, schema: Option<&str>, table: &str, column: &str) -> bool {
        self.standings()
            .iter()
            .any(|s| s.hidden().iter().all(|r| !r.hides(schema, table, column)))
    }
}

impl Group {
    /// Whether reading through `index` would tell the order of a column
    /// this group may not read.
    pub fn hides_order(&self, index: &crate::sql::backend::IndexRead) -> Option<Hidden> {
        let schema = index.schema.as_deref();
        index.columns.iter().find_map(|column| {
            // A key that is an expression (`lower(email)`) names no column:
            // it may be over any of the table's.
            let rule = self.hidden.iter().find(|r| {
                if column.is_empty() {
                    r.may_hide_in(schema, &index.table)
                } else {
                    r.hides(schema, &index.table, column)
                }
            })?;
            Some(Hidden::Ordered {
                group: self.name.clone(),
                rule: rule.to_string(),
                what: if column.is_empty() {
                    format!("{} (an expression)", index.table)
                } else {
                    format!("{}.{column}", index.table)
                },
                index: index.index.clone(),
            })
        })
    }
}

/// Whether `standing` hides nothing `reach` reads.
fn judge_under(
    standing: Standing<'_>,
    reach: &Reach,
    catalog: &Catalog,
    views: &Views,
) -> Result<(), Hidden> {
    let Standing::Group(group) = standing else {
        return Ok(());
    };
    if group.hidden.is_empty() {
        return Ok(());
    }
    judge_relations(group, reach.relations(), catalog, views, None, 0)
}

fn judge_relations(
    group: &Group,
    relations: &[Reached],
    catalog: &Catalog,
    views: &Views,
    through: Option<&str>,
    depth: usize,
) -> Result<(), Hidden> {
    for reached in relations {
        let schema = reached.schema.as_deref();
        let name = reached.qualified();
        if let Some(view) = views.get(schema, &reached.name) {
            // A view shows what its definition reads: all of it counts,
            // whichever of its columns the statement names.
            let via = through.unwrap_or(&name);
            match view {
                Some(reads) if depth < MAX_VIEW_DEPTH => judge_relations(
                    group,
                    reads.relations(),
                    catalog,
                    views,
                    Some(via),
                    depth + 1,
                )?,
                _ => {
                    return Err(Hidden::UnreadView {
                        group: group.name.clone(),
                        view: via.to_owned(),
                    });
                }
            }
            continue;
        }
        let table = catalog
            .tables
            .iter()
            .find(|t| t.schema.as_deref() == schema && t.name == reached.name);
        let all: Vec<&str> = table
            .map(|t| t.columns.iter().map(|c| c.name.as_str()).collect())
            .unwrap_or_default();
        let hides = |column: &str| {
            group
                .hidden
                .iter()
                .find(|r| r.hides(schema, &reached.name, column))
        };
        let found = |rule: &Rule, what: String, visible: Option<Vec<String>>| Hidden::Read {
            group: group.name.clone(),
            rule: rule.to_string(),
            what,
            through: through.map(str::to_owned),
            visible,
        };
        // A table every column of which is hidden is hidden whole: its
        // rows are not counted either.
        if let Some(rule) = group
            .hidden
            .iter()
            .find(|r| r.hides_table(schema, &reached.name))
        {
            return Err(found(rule, name, None));
        }
        match &reached.columns {
            Columns::Every => {
                for column in &all {
                    if let Some(rule) = hides(column) {
                        let visible = all
                            .iter()
                            .filter(|c| hides(c).is_none())
                            .map(|c| (*c).to_owned())
                            .collect();
                        return Err(found(rule, format!("{name}.{column}"), Some(visible)));
                    }
                }
            }
            Columns::Named(columns) => {
                for column in columns {
                    if let Some(rule) = hides(column) {
                        return Err(found(rule, format!("{name}.{column}"), None));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
