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
//!   as, views and generated columns followed to what they read; and a
//!   statement that reads a table with a hidden column may not depend on
//!   the order the database reads rows in (that order is whatever loaded or
//!   last rewrote the table, and may follow the hidden column): what keeps,
//!   numbers or strings rows needs an `ORDER BY` that tells them apart, and
//!   a result not wholly ordered is sorted by its values before anyone
//!   sees it;
//! - the prompt: what a person may not read is left out of what the model
//!   is shown for them, so that it is not even suggested.
//!
//! A person in several groups: a statement runs as the first of their
//! groups (in name order) whose rules it keeps whole, with that group's
//! account. No statement mixes two groups' reading: no one account could
//! run it, and a rule of the one would be bypassed by the grants of the
//! other. A person in no group reads as `[access] ungrouped` says.

mod derived;
mod prompt;
mod rules;

use std::fmt;

pub use derived::Derived;
pub use prompt::both;
pub use rules::{BadRule, Rule};

use crate::sql::schema::Catalog;
use crate::sql::validate::{Columns, Reach, Reached, ResultOrder, Unordered};

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
    /// Places an admin marked closed (`access.closed_places`): no one who
    /// joins them later reads back their history. (platform, channel or
    /// `*`).
    pub closed_places: Vec<(String, String)>,
}

impl Rules {
    pub fn new(mut groups: Vec<Group>, ungrouped: Ungrouped) -> Self {
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            groups,
            ungrouped,
            closed_places: Vec::new(),
        }
    }

    /// Whether an admin marked `channel` of `platform` closed to later
    /// readers.
    pub fn closed(&self, platform: &str, channel: &str) -> bool {
        self.closed_places
            .iter()
            .any(|(p, c)| p == platform && (c == "*" || c == channel))
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
            gone: self.unknown(names).into_iter().map(str::to_owned).collect(),
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
    /// Their groups the rules do not know (any longer).
    gone: Vec<String>,
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
    /// Every group they are in is no longer configured (removed or
    /// renamed): they may read nothing, whatever a person in none may.
    GroupsGone { groups: Vec<String> },
    /// The statement reads what `rule` of `group` hides.
    Read {
        group: String,
        rule: String,
        /// `table.column`, or `table` when the whole table is hidden.
        what: String,
        /// The view or generated column through which it is read, when it
        /// is.
        through: Option<String>,
        /// When the statement reads every column of a table (`*`,
        /// `t.*`, a whole row): the columns the group may read of it.
        visible: Option<Vec<String>>,
    },
    /// The statement reads a view, a generated column or a virtual table
    /// that cannot be followed to what it reads, under a group that hides
    /// something.
    Unfollowed { group: String, what: String },
    /// Someone who reads the place reads through another database account
    /// than the one the rows were read with (their group's own, or the
    /// target's), whose grants or row-level security may keep other rows.
    Account { group: Option<String> },
    /// The statement reads a table with a column `rule` hides (`what`),
    /// and `how` its result follows the order rows are read in, which may
    /// follow that column (a table loaded or clustered in its order).
    Unordered {
        group: String,
        rule: String,
        /// `table.column`.
        what: String,
        how: Unordered,
    },
}

impl fmt::Display for Hidden {
    /// For logs and the CLI; the chat says it through `i18n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hidden::NoGroup => f.write_str("in no group, and a person in none may read nothing"),
            Hidden::GroupsGone { groups } => write!(
                f,
                "in groups no longer configured ({}), and so may read nothing",
                groups.join(", ")
            ),
            Hidden::Read {
                group,
                rule,
                what,
                through,
                visible,
            } => {
                write!(f, "{what} is hidden from {group} (rule `{rule}`)")?;
                if let Some(view) = through {
                    write!(f, ", read through {view}, which is computed from it")?;
                }
                if let Some(visible) = visible {
                    write!(f, "; its columns {group} may read: {}", visible.join(", "))?;
                }
                Ok(())
            }
            Hidden::Unfollowed { group, what } => write!(
                f,
                "{what} (a view, a generated column or a virtual table) cannot be followed to \
                 what it reads, and {group} has hidden columns"
            ),
            Hidden::Account { group } => write!(
                f,
                "{} reads through another database account, which may keep other rows",
                group.as_deref().unwrap_or("someone in no group")
            ),
            Hidden::Unordered {
                group,
                rule,
                what,
                how,
            } => {
                let way_out = match how {
                    Unordered::Unequal(_) => {
                        "show such values as written (CAST(x AS text)) or at one scale \
                         (round(x, 2))"
                    }
                    Unordered::Rounded(_) => {
                        "add a column as stored (in PostgreSQL, any integer or numeric)"
                    }
                    Unordered::Drawn(_) => "leave the random values out",
                    _ => {
                        "order by columns that tell every row apart (the table's key, or every \
                         column shown)"
                    }
                };
                write!(
                    f,
                    "it reads a table with {what}, hidden from {group} (rule `{rule}`), and its \
                     result would follow the order rows are read in, which may follow that \
                     column: {how}; {way_out}"
                )
            }
        }
    }
}

impl Hidden {
    /// The rule's text, for the audit (`no_group`, `unfollowed`, `account`
    /// otherwise).
    pub fn rule(&self) -> &str {
        match self {
            Hidden::NoGroup => "no_group",
            Hidden::GroupsGone { .. } => "groups_gone",
            Hidden::Read { rule, .. } | Hidden::Unordered { rule, .. } => rule,
            Hidden::Unfollowed { .. } => "unfollowed",
            Hidden::Account { .. } => "account",
        }
    }

    pub fn group(&self) -> Option<&str> {
        match self {
            Hidden::NoGroup | Hidden::GroupsGone { .. } => None,
            Hidden::Account { group } => group.as_deref(),
            Hidden::Read { group, .. }
            | Hidden::Unfollowed { group, .. }
            | Hidden::Unordered { group, .. } => Some(group),
        }
    }
}

/// How deep views over views (or generated columns) are followed; deeper
/// is judged unreadable.
const MAX_VIEW_DEPTH: usize = 16;

impl<'r> Access<'r> {
    /// The groups tried, in order: theirs, or the reading of a person in
    /// none (none at all for someone whose groups are all unknown).
    pub fn standings(&self) -> Vec<Standing<'r>> {
        if self.groups.is_empty() && !self.gone.is_empty() {
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
    /// groups that hides nothing it reads, views and generated columns
    /// followed through `derived` to what they read.
    ///
    /// # Errors
    /// What the first group tried hides (or that they may read nothing).
    pub fn judge(
        &self,
        reach: &Reach,
        catalog: &Catalog,
        derived: &Derived,
    ) -> Result<Standing<'r>, Hidden> {
        let standings = self.standings();
        let mut first = None;
        for standing in standings {
            match judge_under(standing, reach, catalog, derived) {
                Ok(()) => return Ok(standing),
                Err(hidden) => {
                    first.get_or_insert(hidden);
                }
            }
        }
        Err(first.unwrap_or_else(|| {
            if self.gone.is_empty() {
                Hidden::NoGroup
            } else {
                Hidden::GroupsGone {
                    groups: self.gone.clone(),
                }
            }
        }))
    }

    /// Whether they may read `column` of the table (under at least one of
    /// their groups), through whatever it is computed from: what a prompt
    /// may show them.
    pub fn may_see(
        &self,
        schema: Option<&str>,
        table: &str,
        column: &str,
        catalog: &Catalog,
        derived: &Derived,
    ) -> bool {
        let judged = Judged { catalog, derived };
        self.standings().iter().any(|s| match s {
            Standing::Ungrouped => true,
            Standing::Group(g) => judged.column(g, schema, table, column, None, 0).is_ok(),
        })
    }
}

impl Group {
    /// Whether the rows of a result of `reach` must be sorted by their
    /// values before anyone in this group sees them: it reads a table with
    /// a column the group may not read, and its `ORDER BY` (if any) does not
    /// tell every row apart, so the order they come in may follow that
    /// column.
    pub fn sorts(&self, reach: &Reach, catalog: &Catalog, derived: &Derived) -> bool {
        reach.order() != ResultOrder::Whole && self.hides_in(reach, catalog, derived)
    }

    /// Whether `reach` reads a table (views followed) with a column this
    /// group may not read: the order the database reads its rows in may
    /// follow that column, and so may which row a database error quotes.
    pub fn hides_in(&self, reach: &Reach, catalog: &Catalog, derived: &Derived) -> bool {
        Judged { catalog, derived }
            .hidden_in(self, reach.relations(), 0)
            .is_some()
    }
}

/// Whether `standing` hides nothing `reach` reads.
fn judge_under(
    standing: Standing<'_>,
    reach: &Reach,
    catalog: &Catalog,
    derived: &Derived,
) -> Result<(), Hidden> {
    let Standing::Group(group) = standing else {
        return Ok(());
    };
    if group.hidden.is_empty() {
        return Ok(());
    }
    let judged = Judged { catalog, derived };
    judged.relations(group, reach.relations(), None, 0)?;
    // The order rows are read in is whatever loaded or last rewrote a
    // table: where a table has a hidden column, nothing may depend on it.
    let Some((rule, what)) = judged.hidden_in(group, reach.relations(), 0) else {
        return Ok(());
    };
    let how = reach
        .unordered()
        .first()
        .cloned()
        .or_else(|| (reach.order() == ResultOrder::Partly).then_some(Unordered::Ties))
        .or_else(|| judged.unordered_in_views(reach.relations(), 0));
    match how {
        Some(how) => Err(Hidden::Unordered {
            group: group.name.clone(),
            rule,
            what,
            how,
        }),
        None => Ok(()),
    }
}

/// What a statement's reach is judged against: the catalogue, and what it
/// derives from what.
#[derive(Clone, Copy)]
struct Judged<'a> {
    catalog: &'a Catalog,
    derived: &'a Derived,
}

impl Judged<'_> {
    /// Whether `group` may read all of `relations`; `through`
    /// is the view or generated column they are read by, `depth` how many
    /// were followed.
    fn relations(
        self,
        group: &Group,
        relations: &[Reached],
        through: Option<&str>,
        depth: usize,
    ) -> Result<(), Hidden> {
        for reached in relations {
            let schema = reached.schema.as_deref();
            let name = reached.qualified();
            if let Some(view) = self.derived.relation(schema, &reached.name) {
                // A view shows what its definition reads: all of it counts,
                // whichever of its columns the statement names.
                let via = through.unwrap_or(&name);
                match view {
                    Some(reads) if depth < MAX_VIEW_DEPTH => {
                        self.relations(group, reads.relations(), Some(via), depth + 1)?;
                    }
                    _ => {
                        return Err(Hidden::Unfollowed {
                            group: group.name.clone(),
                            what: via.to_owned(),
                        });
                    }
                }
                continue;
            }
            // A table every column of which is hidden is hidden whole: its
            // rows are not counted either, nor those of the tables it shares
            // rows with (a parent reads its children's; a partition holds
            // its table's).
            let family = self.catalog.family(schema, &reached.name);
            if let Some(rule) = group.hidden.iter().find(|r| {
                family
                    .iter()
                    .any(|t| r.hides_table(t.schema.as_deref(), &t.name))
            }) {
                return Err(Hidden::Read {
                    group: group.name.clone(),
                    rule: rule.to_string(),
                    what: name,
                    through: through.map(str::to_owned),
                    visible: None,
                });
            }
            let table = self.catalog.table(schema, &reached.name);
            match &reached.columns {
                Columns::Every => {
                    let all: Vec<&str> = table
                        .map(|t| t.columns.iter().map(|c| c.name.as_str()).collect())
                        .unwrap_or_default();
                    let judged: Vec<(&str, Result<(), Hidden>)> = all
                        .iter()
                        .map(|c| {
                            (
                                *c,
                                self.column(group, schema, &reached.name, c, through, depth),
                            )
                        })
                        .collect();
                    if let Some((_, Err(hidden))) = judged.iter().find(|(_, j)| j.is_err()) {
                        let mut hidden = hidden.clone();
                        if let Hidden::Read { visible, .. } = &mut hidden {
                            *visible = Some(
                                judged
                                    .iter()
                                    .filter(|(_, j)| j.is_ok())
                                    .map(|(c, _)| (*c).to_owned())
                                    .collect(),
                            );
                        }
                        return Err(hidden);
                    }
                }
                Columns::Named(columns) => {
                    for column in columns {
                        self.column(group, schema, &reached.name, column, through, depth)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The first column of a table `relations` read (views followed to
    /// the tables they read) that a rule of `group` hides, with the rule:
    /// the order those rows are read in may follow it.
    fn hidden_in(
        self,
        group: &Group,
        relations: &[Reached],
        depth: usize,
    ) -> Option<(String, String)> {
        for reached in relations {
            let schema = reached.schema.as_deref();
            if let Some(view) = self.derived.relation(schema, &reached.name) {
                // A view that cannot be followed was refused already.
                if let Some(reads) = view.filter(|_| depth < MAX_VIEW_DEPTH)
                    && let Some(found) = self.hidden_in(group, reads.relations(), depth + 1)
                {
                    return Some(found);
                }
                continue;
            }
            for t in self.catalog.family(schema, &reached.name) {
                let member = t.schema.as_deref();
                let found = match self.catalog.table(member, &t.name) {
                    Some(table) => table.columns.iter().find_map(|c| {
                        group
                            .hidden
                            .iter()
                            .find(|r| r.hides(member, &t.name, &c.name))
                            .map(|r| (r.to_string(), format!("{}.{}", t.qualified(), c.name)))
                    }),
                    // A table the catalogue does not list: any rule on it
                    // may hide one of its columns.
                    None => group
                        .hidden
                        .iter()
                        .find(|r| r.may_hide_in(member, &t.name))
                        .map(|r| (r.to_string(), t.qualified())),
                };
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }

    /// The first part of a view `relations` read (followed, views over
    /// views too) whose rows follow the order they are read in.
    fn unordered_in_views(self, relations: &[Reached], depth: usize) -> Option<Unordered> {
        relations.iter().find_map(|reached| {
            let reads = self
                .derived
                .relation(reached.schema.as_deref(), &reached.name)??;
            if depth >= MAX_VIEW_DEPTH {
                return None;
            }
            reads
                .unordered()
                .first()
                .cloned()
                .or_else(|| self.unordered_in_views(reads.relations(), depth + 1))
        })
    }

    /// Whether `group` may read `column` of `schema.table`: no rule hides
    /// it, and, generated, it is computed from nothing hidden.
    fn column(
        self,
        group: &Group,
        schema: Option<&str>,
        table: &str,
        column: &str,
        through: Option<&str>,
        depth: usize,
    ) -> Result<(), Hidden> {
        let what = || match schema {
            Some(s) => format!("{s}.{table}.{column}"),
            None => format!("{table}.{column}"),
        };
        // A rule on a table it shares rows with holds here too.
        let family = self.catalog.family(schema, table);
        if let Some(rule) = group.hidden.iter().find(|r| {
            family
                .iter()
                .any(|t| r.hides(t.schema.as_deref(), &t.name, column))
        }) {
            return Err(Hidden::Read {
                group: group.name.clone(),
                rule: rule.to_string(),
                what: what(),
                through: through.map(str::to_owned),
                visible: None,
            });
        }
        let Some(generated) = self.derived.column(schema, table, column) else {
            return Ok(());
        };
        let via = through.map_or_else(what, str::to_owned);
        match generated {
            Some(reads) if depth < MAX_VIEW_DEPTH => {
                self.relations(group, reads.relations(), Some(&via), depth + 1)
            }
            _ => Err(Hidden::Unfollowed {
                group: group.name.clone(),
                what: via,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
