//! A starting semantic model read off a target's live catalogue (`pstral
//! semantic draft`): what a person would write first, from the tables, the
//! foreign keys and the values the data holds, with every guess marked for
//! review and every doubtful definition written commented out with why.
//!
//! It is fail-closed: joins come from the foreign keys only (a column that
//! looks like one is written commented out), and the draft is held by the
//! same checks `pstral semantic check` makes; whatever they refuse is
//! commented out with their own words, so that the draft passes them as it
//! is and the reviewer sees what was refused.

use std::collections::BTreeSet;

use super::write::{Counts, Item, Section, Value, write};
use super::{DefinitionError, Definitions};
use crate::learn::text::words;
use crate::sql::Dialect;
use crate::sql::schema::{Catalog, CatalogColumn, CatalogTable};
use crate::sql::types::kind;
use terms::{Ref, Term, terms_of};

mod terms;

/// Words in a numeric column's name that say its values add up: a sum and
/// an average of it are drafted; of other numbers, commented out.
const AMOUNT_WORDS: &[&str] = &[
    "amount", "price", "total", "quantity", "qty", "montant", "prix", "quantite", "cost", "cout",
];

/// Words in a text column's name that say its values are states a row
/// goes through: each value is drafted as a segment.
const STATUS_WORDS: &[&str] = &["status", "state", "statut", "etat", "stage"];

/// The most segments drafted of one column: more values than this are
/// categories to filter by, not named conditions.
const MAX_SEGMENTS_OF_A_COLUMN: usize = 8;

/// How many times the draft is held and what was refused commented out:
/// each round comments out at least one item, and a refused entity takes
/// its definitions with it.
const MAX_ROUNDS: usize = 32;

/// A draft, as text to review, and what became of it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: String,
    /// What the checks still refuse (empty: the draft holds as it is).
    pub problems: Vec<String>,
    /// How many definitions of each kind are written, and commented out.
    pub written: Counts,
    pub left_out: Counts,
}

/// A draft of the definitions `catalog` suggests, in `dialect`, labelled
/// from `glossary` (Markdown) where it names a column or a value, and held
/// by `check` (the target's binding and validator) until it passes.
pub fn draft(
    catalog: &Catalog,
    dialect: Dialect,
    glossary: Option<&str>,
    check: impl Fn(&Definitions) -> Result<(), Vec<String>>,
) -> Draft {
    let terms = glossary.map(terms_of).unwrap_or_default();
    let mut drafter = Drafter::new(catalog, dialect);
    for table in catalog.tables.iter().filter(|t| is_data(catalog, t)) {
        drafter.table(table);
    }
    let mut with_sources = drafter.sections();
    label_from_glossary(&mut with_sources, &terms, catalog);
    let mut sections: Vec<Section> = with_sources.into_iter().map(|(s, _)| s).collect();
    let heading = heading(catalog, glossary.is_some());
    let mut problems = Vec::new();
    for round in 0..=MAX_ROUNDS {
        drop_shown_left_out(&mut sections);
        let text = write(&heading, &sections);
        problems = match Definitions::parse(&text) {
            Ok(definitions) => match check(&definitions) {
                Ok(()) => Vec::new(),
                Err(problems) => problems,
            },
            Err(DefinitionError::Syntax(e) | DefinitionError::Unreadable { error: e, .. }) => {
                vec![e]
            }
            Err(DefinitionError::Invalid(problems)) => problems,
        };
        if problems.is_empty()
            || round == MAX_ROUNDS
            || !leave_out_refused(&mut sections, &problems)
        {
            break;
        }
    }
    let (written, left_out) = Counts::of(sections.iter().flat_map(|s| &s.items));
    Draft {
        text: write(&heading, &sections),
        problems,
        written,
        left_out,
    }
}

fn heading(catalog: &Catalog, glossary: bool) -> Vec<String> {
    let tables = catalog.tables.len();
    vec![
        format!(
            "A semantic model drafted by `pstral semantic draft` from {tables} table(s) of the live catalogue{}.",
            if glossary { " and the glossary" } else { "" }
        ),
        "Every guess is marked REVIEW; what could not be used as it is is written".to_owned(),
        "commented out, marked LEFT OUT, with why. Joins come from the foreign keys".to_owned(),
        "alone: the bot reads them from the database, so none is written here.".to_owned(),
        "Review each definition, write its French, remove the REVIEW lines, then".to_owned(),
        "`pstral semantic check`. See docs/semantic-model.md for the format.".to_owned(),
    ]
}

/// Comments out the items `problems` name (each problem starts with the
/// key it is about), and the definitions of an entity commented out.
/// Whether anything changed.
fn leave_out_refused(sections: &mut [Section], problems: &[String]) -> bool {
    let mut changed = false;
    // Two entities joined two ways are reported for every pair the one
    // doubtful join touches: one is left out a round, and the rest checked
    // again.
    let mut ambiguous = false;
    for problem in problems {
        if problem.contains("ways equally short") {
            if ambiguous {
                continue;
            }
            ambiguous = true;
        }
        let key = problem.split(':').next().unwrap_or_default();
        let header: String = key.split(['.', '[']).take(2).collect::<Vec<_>>().join(".");
        for item in sections.iter_mut().flat_map(|s| &mut s.items) {
            if item.header == header && item.out.is_none() {
                item.out = Some(format!("`pstral semantic check` refuses it: {problem}"));
                changed = true;
            }
        }
    }
    let out_entities: BTreeSet<String> = sections
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.out.is_some())
        .filter_map(|i| i.header.strip_prefix("entities.").map(str::to_owned))
        .collect();
    for item in sections.iter_mut().flat_map(|s| &mut s.items) {
        if item.out.is_none()
            && let Some(Value::Str(entity)) = key_of(item, "entity")
            && out_entities.contains(entity)
        {
            item.out = Some(format!("its entity {entity} is left out"));
            changed = true;
        }
    }
    changed
}

/// An entity's `shown` lists only dimensions that are written.
fn drop_shown_left_out(sections: &mut [Section]) {
    let written: BTreeSet<String> = sections
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.out.is_none())
        .filter_map(|i| i.header.strip_prefix("dimensions.").map(str::to_owned))
        .collect();
    for item in sections.iter_mut().flat_map(|s| &mut s.items) {
        if let Some((_, Value::List(shown))) = item.keys.iter_mut().find(|(k, _)| *k == "shown") {
            shown.retain(|d| written.contains(d));
        }
    }
}

fn key_of<'i>(item: &'i Item, key: &str) -> Option<&'i Value> {
    item.keys.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// A column as the draft reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Its values, as the value hints read them: a category.
    Category,
    Time,
    Number,
    Text,
    /// Booleans, uuids, bytes: nothing drafted of them.
    Other,
}

/// What a drafted definition is made of, for the glossary to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Column {
        table: String,
        column: String,
    },
    Measure {
        table: String,
        column: String,
        aggregate: &'static str,
    },
    Count {
        table: String,
    },
    Value {
        table: String,
        column: String,
        value: String,
    },
}

struct Drafter<'c> {
    catalog: &'c Catalog,
    dialect: Dialect,
    names: BTreeSet<String>,
    entities: Vec<(Item, Source)>,
    dimensions: Vec<(Item, Source)>,
    measures: Vec<(Item, Source)>,
    segments: Vec<(Item, Source)>,
}

impl<'c> Drafter<'c> {
    fn new(catalog: &'c Catalog, dialect: Dialect) -> Self {
        Self {
            catalog,
            dialect,
            names: BTreeSet::new(),
            entities: Vec::new(),
            dimensions: Vec::new(),
            measures: Vec::new(),
            segments: Vec::new(),
        }
    }

    /// A name of its own (names are one namespace), from `words`.
    fn name(&mut self, words_of: &str) -> String {
        let mut base = words(words_of).join("_");
        if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
            base = format!("x_{base}");
        }
        base.retain(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let mut name = base.clone();
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }

    fn table(&mut self, table: &CatalogTable) {
        let entity = self.name(&table.name);
        let one = singular(&entity);
        let qualified = table.qualified();
        let mut item = Item::new(format!("entities.{entity}"))
            .str("table", qualified.clone())
            .key("label", Value::same_words(&table.name.replace('_', " ")));
        let key = match table.primary_key.as_slice() {
            [key] if is_plain(key) => Some(key.clone()),
            _ => None,
        };
        match &key {
            _ if !is_plain(&table.name) => {
                item = item.out(format!(
                    "{qualified} is not a plain name (letters, digits, _): the bot writes table \
                     names unquoted"
                ));
            }
            Some(key) => item = item.str("key", key.clone()),
            None => {
                item = item.out(format!(
                    "{qualified} has no primary key of one plain column: a row cannot be named"
                ));
            }
        }
        item = describe(
            item,
            table.comment.as_deref(),
            &format!("rows of {qualified}"),
        );
        let mut shown = Vec::new();
        let mut guessed_joins = Vec::new();
        for column in &table.columns {
            if key.as_deref() == Some(column.name.as_str()) {
                continue;
            }
            if table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.len() == 1 && fk.columns[0] == column.name)
            {
                continue;
            }
            if let Some(to) = self.looks_like_a_join(table, column) {
                guessed_joins.push((column.name.clone(), to));
                continue;
            }
            if let Some(dimension) = self.column(&entity, &one, table, column)
                && shown.is_empty()
                && names_a_row(&column.name)
            {
                shown.push(dimension);
            }
        }
        if !shown.is_empty() {
            item = item.key("shown", Value::List(shown));
        }
        for (column, to) in guessed_joins {
            item = item.review(format!(
                "{column} looks like it holds the key of {to}, but no foreign key declares it: \
                 to join them, add joins = [{{ column = \"{column}\", to = \"<{to}'s entity>\" }}]"
            ));
        }
        self.count(
            &entity,
            &one,
            &qualified,
            key.is_some() && is_plain(&table.name),
        );
        self.entities
            .push((item, Source::Count { table: qualified }));
    }

    /// A column named `<table>_id` (or `<singular>_id`) of a table the
    /// catalogue holds, without a foreign key: a join guessed, never drawn.
    fn looks_like_a_join(&self, table: &CatalogTable, column: &CatalogColumn) -> Option<String> {
        let stem = column.name.to_ascii_lowercase();
        let stem = stem.strip_suffix("_id")?;
        self.catalog
            .tables
            .iter()
            .find(|t| {
                t.name != table.name && {
                    let name = t.name.to_ascii_lowercase();
                    name == stem || singular(&name) == stem
                }
            })
            .map(|t| t.qualified())
    }

    fn count(&mut self, entity: &str, one: &str, table: &str, keyed: bool) {
        let name = self.name(&format!("{one} count"));
        let mut item = Item::new(format!("measures.{name}"))
            .str("entity", entity)
            .str("aggregate", "count")
            .key(
                "label",
                Value::same_words(&format!("number of {}", entity.replace('_', " "))),
            )
            .key(
                "description",
                Value::same_words(&format!("how many rows {table} holds")),
            )
            .review("description in one language: write the French");
        if !keyed {
            item = item.out("its entity is left out");
        }
        self.measures.push((
            item,
            Source::Count {
                table: table.to_owned(),
            },
        ));
    }

    /// The dimension of one column (and the measures and segments it
    /// suggests); its name when one is written.
    fn column(
        &mut self,
        entity: &str,
        one: &str,
        table: &CatalogTable,
        column: &CatalogColumn,
    ) -> Option<String> {
        let qualified = table.qualified();
        let values = self
            .catalog
            .values
            .iter()
            .find(|v| v.table.eq_ignore_ascii_case(&qualified) && v.column == column.name)
            .map(|v| v.values.clone());
        let shape = self.shape(column, values.is_some());
        // Columns are written unquoted: one that needs quotes is left to
        // the reviewer.
        if shape == Shape::Other || !is_plain(&column.name) {
            return None;
        }
        let name = self.name(&prefixed(one, &column.name));
        let mut item = Item::new(format!("dimensions.{name}"))
            .str("entity", entity)
            .str("column", column.name.clone())
            .str(
                "type",
                match shape {
                    Shape::Category => "category",
                    Shape::Time => "time",
                    Shape::Number => "number",
                    Shape::Text | Shape::Other => "text",
                },
            )
            .key("label", Value::same_words(&column.name.replace('_', " ")));
        item = describe(
            item,
            column.comment.as_deref(),
            &format!("{} of {qualified}", column.name),
        );
        match shape {
            Shape::Category => {
                let values = values.unwrap_or_default();
                item = item.review(format!(
                    "a category: {} value(s) in the data ({})",
                    values.len(),
                    shortened(&values)
                ));
                if has_a_word(&column.name, STATUS_WORDS) {
                    self.segments_of(entity, one, &qualified, column, &values);
                }
            }
            Shape::Time if kind(self.dialect, &column.type_name).is_text() => {
                item = item.review(format!(
                    "read as a date from its name: {} keeps it as {}",
                    self.dialect.as_str(),
                    column.type_name
                ));
            }
            Shape::Number => self.sums(entity, one, &qualified, column),
            _ => {}
        }
        self.dimensions.push((
            item,
            Source::Column {
                table: qualified,
                column: column.name.clone(),
            },
        ));
        Some(name)
    }

    fn shape(&self, column: &CatalogColumn, has_values: bool) -> Shape {
        let kind = kind(self.dialect, &column.type_name);
        let type_name = column.type_name.to_ascii_lowercase();
        if type_name.contains("date") || type_name.contains("timestamp") {
            Shape::Time
        } else if kind.is_text() && has_values {
            Shape::Category
        } else if kind.is_text() && names_a_date(&column.name) {
            Shape::Time
        } else if kind.is_text() {
            Shape::Text
        } else if kind.is_number() {
            Shape::Number
        } else {
            Shape::Other
        }
    }

    /// A sum and an average of a numeric column: written when its name
    /// says it is an amount, else commented out.
    fn sums(&mut self, entity: &str, one: &str, table: &str, column: &CatalogColumn) {
        let amount = has_a_word(&column.name, AMOUNT_WORDS);
        for (aggregate, word, article) in [
            ("sum", "total", "a total"),
            ("avg", "average", "an average"),
        ] {
            let name = self.name(&format!("{word} {}", prefixed(one, &column.name)));
            let mut item = Item::new(format!("measures.{name}"))
                .str("entity", entity)
                .str("aggregate", aggregate)
                .str("expr", format!("{entity}.{}", column.name))
                .key(
                    "label",
                    Value::same_words(&format!("{word} {}", column.name.replace('_', " "))),
                )
                .key(
                    "description",
                    Value::same_words(&format!("{word} of {} over rows of {table}", column.name)),
                )
                .review("description in one language: write the French");
            if amount {
                item = item
                    .key("decimals", Value::Int(2))
                    .review("an amount by its name: rounded to 2 decimals");
            } else {
                item = item.out(format!(
                    "the name {} does not say it is an amount: {article} of it may mean nothing",
                    column.name
                ));
            }
            self.measures.push((
                item,
                Source::Measure {
                    table: table.to_owned(),
                    column: column.name.clone(),
                    aggregate,
                },
            ));
        }
    }

    /// A segment for each value of a status-like column.
    fn segments_of(
        &mut self,
        entity: &str,
        one: &str,
        table: &str,
        column: &CatalogColumn,
        values: &[String],
    ) {
        let too_many = values.len() > MAX_SEGMENTS_OF_A_COLUMN;
        for value in values {
            let name = self.name(&format!("{one} {value}"));
            let mut item = Item::new(format!("segments.{name}"))
                .str("entity", entity)
                .str(
                    "condition",
                    format!("{entity}.{} = '{}'", column.name, value.replace('\'', "''")),
                )
                .key("synonyms", Value::List(vec![value.clone()]))
                .key("label", Value::same_words(value))
                .key(
                    "description",
                    Value::same_words(&format!("rows of {table} whose {} is {value}", column.name)),
                )
                .review(format!(
                    "a value of {}, a state its rows go through: say what it means",
                    column.name
                ));
            if too_many {
                item = item.out(format!(
                    "{} has {} values: a category to filter by more than named conditions",
                    column.name,
                    values.len()
                ));
            }
            self.segments.push((
                item,
                Source::Value {
                    table: table.to_owned(),
                    column: column.name.clone(),
                    value: value.clone(),
                },
            ));
        }
    }

    fn sections(self) -> Vec<(Section, Vec<Source>)> {
        [
            ("entities", self.entities),
            ("dimensions", self.dimensions),
            ("measures", self.measures),
            ("segments", self.segments),
        ]
        .into_iter()
        .map(|(title, items)| {
            let (items, sources): (Vec<Item>, Vec<Source>) = items.into_iter().unzip();
            (
                Section {
                    title: title.to_owned(),
                    items,
                },
                sources,
            )
        })
        .collect()
    }
}

/// The description a catalogue comment gives, else a placeholder to
/// review.
fn describe(item: Item, comment: Option<&str>, fallback: &str) -> Item {
    match comment.map(str::trim).filter(|c| !c.is_empty()) {
        Some(comment) => item
            .key("description", Value::same_words(comment))
            .review("description from the database's comment, in one language: write the French"),
        None => item
            .key("description", Value::same_words(fallback))
            .review("no comment in the database: say what it means, in both languages"),
    }
}

/// Whether a table of the catalogue holds data: not a full-text index's
/// shadow table, nor a partition or child whose parent is drafted.
fn is_data(catalog: &Catalog, table: &CatalogTable) -> bool {
    let named =
        |t: &crate::sql::schema::TableName| t.name == table.name && t.schema == table.schema;
    !catalog.filled.iter().any(named) && !catalog.inherits.iter().any(|i| named(&i.child))
}

/// A name SQL may write unquoted in every dialect: letters, digits and _,
/// not starting with a digit.
fn is_plain(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `clients` → `client`: what one row is called, to name its columns.
fn singular(name: &str) -> String {
    match name.strip_suffix('s') {
        Some(one) if !one.ends_with('s') && !one.is_empty() => one.to_owned(),
        _ => name.to_owned(),
    }
}

/// `client` and `city` → `client city`; `contract` and `contract_ref` →
/// `contract ref` (the column already says whose it is).
fn prefixed(one: &str, column: &str) -> String {
    let column = column.to_ascii_lowercase();
    if column.starts_with(one) {
        column
    } else {
        format!("{one} {column}")
    }
}

fn has_a_word(name: &str, list: &[&str]) -> bool {
    words(&name.replace('_', " "))
        .iter()
        .any(|w| list.contains(&w.as_str()))
}

/// A column that names its row in a list (a company, a title, a
/// reference).
fn names_a_row(name: &str) -> bool {
    has_a_word(
        name,
        &[
            "name",
            "nom",
            "title",
            "titre",
            "company",
            "label",
            "libelle",
            "reference",
            "ref",
        ],
    )
}

/// A text column named as a date (`created_on`, `due_date`, `signed_at`):
/// SQLite keeps dates as text.
fn names_a_date(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with("_on")
        || name.ends_with("_at")
        || name.ends_with("_date")
        || name.starts_with("date_")
        || name == "date"
}

fn shortened(values: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut text = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        text.push_str(", …");
    }
    text
}

/// Labels and synonyms from the glossary's terms, on the definitions
/// their line names.
fn label_from_glossary(sections: &mut [(Section, Vec<Source>)], terms: &[Term], catalog: &Catalog) {
    for term in terms {
        let Some(source) = term_source(term, catalog) else {
            continue;
        };
        for (section, sources) in sections.iter_mut() {
            for (item, s) in section.items.iter_mut().zip(sources.iter()) {
                if *s != source {
                    continue;
                }
                // A sentence that says how a column adds up says more than
                // the column ("the sum of `monthly_amount` of running
                // contracts"): its words are offered in a comment, never
                // given to a measure that may not mean them.
                if matches!(s, Source::Measure { .. }) {
                    item.review.push(format!(
                        "the glossary may name this, with conditions of its own: {} ({})",
                        term.names.join(", "),
                        term.line
                    ));
                    continue;
                }
                let mut synonyms = match key_of(item, "synonyms") {
                    Some(Value::List(list)) => list.clone(),
                    _ => Vec::new(),
                };
                for name in &term.names {
                    if !synonyms.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                        synonyms.push(name.clone());
                    }
                }
                item.keys.retain(|(k, _)| *k != "synonyms" && *k != "label");
                item.keys.push(("label", Value::same_words(&term.names[0])));
                item.keys.push(("synonyms", Value::List(synonyms)));
                item.review.push(format!(
                    "label and synonyms from the glossary's line: {}",
                    term.line
                ));
            }
        }
    }
}

/// The one definition a glossary term's line names: a value of a column
/// (a segment), or one column (a measure when the line says how it adds
/// up, else the column's dimension).
fn term_source(term: &Term, catalog: &Catalog) -> Option<Source> {
    let values: Vec<&Ref> = term
        .refs
        .iter()
        .filter(|r| matches!(r, Ref::Value { .. }))
        .collect();
    let columns: Vec<&Ref> = term
        .refs
        .iter()
        .filter(|r| matches!(r, Ref::Column { .. }))
        .collect();
    match (values.as_slice(), columns.as_slice()) {
        ([Ref::Value { value }], columns) if columns.len() <= 1 => {
            let column = match columns {
                [Ref::Column { table, column }] => Some((table.as_deref(), column.as_str())),
                _ => None,
            };
            let held = catalog.values.iter().filter(|v| {
                v.values.iter().any(|x| x == value)
                    && column.is_none_or(|(t, c)| {
                        v.column.eq_ignore_ascii_case(c)
                            && t.is_none_or(|t| table_named(&v.table, t))
                    })
            });
            let mut held = held.collect::<Vec<_>>();
            (held.len() == 1).then(|| {
                let v = held.remove(0);
                Source::Value {
                    table: v.table.clone(),
                    column: v.column.clone(),
                    value: value.clone(),
                }
            })
        }
        ([], [Ref::Column { table, column }]) => {
            let owners: Vec<&CatalogTable> = catalog
                .tables
                .iter()
                .filter(|t| {
                    table
                        .as_deref()
                        .is_none_or(|n| table_named(&t.qualified(), n))
                })
                .filter(|t| {
                    t.columns
                        .iter()
                        .any(|c| c.name.eq_ignore_ascii_case(column))
                })
                .collect();
            let [owner] = owners.as_slice() else {
                return None;
            };
            let column = owner
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(column))?
                .name
                .clone();
            let table = owner.qualified();
            Some(match term.adds_up {
                Some(aggregate) => Source::Measure {
                    table,
                    column,
                    aggregate,
                },
                None => Source::Column { table, column },
            })
        }
        _ => None,
    }
}

/// Whether `qualified` (`crm.clients`) is the table a glossary calls
/// `name` (`clients` or `crm.clients`).
fn table_named(qualified: &str, name: &str) -> bool {
    qualified.eq_ignore_ascii_case(name)
        || qualified
            .rsplit('.')
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
}

impl Draft {
    /// Counts of what is written, to tell the person.
    pub fn summary(&self) -> String {
        let Counts {
            entities,
            dimensions,
            measures,
            segments,
        } = self.written;
        format!(
            "{entities} entities, {dimensions} dimensions, {measures} measures, {segments} segments \
             written; {} commented out",
            self.left_out.total()
        )
    }
}
