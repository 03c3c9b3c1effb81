//! What the model is told about the database: the catalogue of the target
//! (tables, columns, keys, comments), and for each question the tables most
//! relevant to it, as compact DDL within a token budget.
//!
//! Relevance is a plain score: words of the question found in a table's name
//! (strongest), its columns' names, and its comments; French and English
//! business words are matched to each other through a short list, and
//! prefixes are compared (so "contrat" finds "contracts"). Tables linked by a
//! foreign key to a chosen table get part of its score, because a question
//! about payments usually needs the contracts and clients they belong to.

use std::collections::HashMap;

/// A column in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogColumn {
    pub name: String,
    pub type_name: String,
    pub nullable: bool,
    pub comment: Option<String>,
}

/// A foreign key: `columns` of this table refer to `table`.`ref_columns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub table: String,
    pub ref_columns: Vec<String>,
}

/// A table in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTable {
    /// The schema, when names must be qualified (Oracle owners, PostgreSQL
    /// schemas other than the default).
    pub schema: Option<String>,
    pub name: String,
    pub comment: Option<String>,
    pub columns: Vec<CatalogColumn>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

impl CatalogTable {
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// One compact line of DDL-like text.
    pub fn ddl(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let mut s = format!("{} {}", c.name, c.type_name);
                if self.primary_key.len() == 1 && self.primary_key[0] == c.name {
                    s.push_str(" PK");
                }
                if let Some(fk) = self
                    .foreign_keys
                    .iter()
                    .find(|f| f.columns == [c.name.clone()])
                {
                    s.push_str(&format!(" → {}.{}", fk.table, fk.ref_columns.join(",")));
                }
                if let Some(comment) = &c.comment {
                    s.push_str(&format!(" /* {comment} */"));
                }
                s
            })
            .collect();
        let mut line = format!("TABLE {} ({})", self.qualified(), columns.join(", "));
        if let Some(comment) = &self.comment {
            line.push_str(&format!(" -- {comment}"));
        }
        line
    }
}

/// The tables of a target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub tables: Vec<CatalogTable>,
}

/// A key read from a database's constraint catalogue.
pub enum Key {
    Primary,
    /// Refers to `table`.`column`.
    Foreign {
        table: String,
        column: String,
    },
}

/// Builds a [`Catalog`] from the rows of catalogue queries, which differ by
/// database but share their shape: columns in table order, then keys.
/// A table is known by its schema *and* name, so two owners' tables of one
/// name never share columns or keys.
#[derive(Default)]
pub struct CatalogBuilder {
    tables: Vec<CatalogTable>,
}

impl CatalogBuilder {
    /// Adds a column; rows must come grouped by table (`ORDER BY` table).
    pub fn column(
        &mut self,
        schema: Option<String>,
        table: String,
        table_comment: Option<String>,
        column: CatalogColumn,
    ) {
        let same = |t: &CatalogTable| t.name == table && t.schema == schema;
        if !self.tables.last().is_some_and(same) {
            self.tables.push(CatalogTable {
                schema,
                name: table,
                comment: table_comment,
                columns: Vec::new(),
                primary_key: Vec::new(),
                foreign_keys: Vec::new(),
            });
        }
        if let Some(t) = self.tables.last_mut() {
            t.columns.push(column);
        }
    }

    /// Adds a key column to a table already added; a key of a table that
    /// was not read (not visible, not allowed) is ignored.
    pub fn key(&mut self, schema: Option<&str>, table: &str, column: String, key: Key) {
        let Some(t) = self
            .tables
            .iter_mut()
            .find(|t| t.name == table && t.schema.as_deref() == schema)
        else {
            return;
        };
        match key {
            Key::Primary => t.primary_key.push(column),
            Key::Foreign {
                table,
                column: ref_column,
            } => t.foreign_keys.push(ForeignKey {
                columns: vec![column],
                table,
                ref_columns: vec![ref_column],
            }),
        }
    }

    pub fn finish(self) -> Catalog {
        Catalog {
            tables: self.tables,
        }
    }
}

/// Words of the two languages that name the same things in business data.
const SYNONYMS: &[(&str, &str)] = &[
    ("paiement", "payment"),
    ("reglement", "payment"),
    ("facture", "invoice"),
    ("contrat", "contract"),
    ("client", "customer"),
    ("utilisateur", "user"),
    ("employe", "employee"),
    ("commercial", "manager"),
    ("commande", "order"),
    ("produit", "product"),
    ("montant", "amount"),
    ("ville", "city"),
    ("societe", "company"),
    ("entreprise", "company"),
    ("secteur", "sector"),
    ("note", "note"),
    ("document", "document"),
    ("date", "date"),
    ("chiffre", "revenue"),
    ("retard", "late"),
    ("impaye", "unpaid"),
    ("echeance", "due"),
];

/// Lower case, accents folded, split on anything not a letter or digit,
/// short words dropped, a plural `s` removed.
fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' | 'ä' => 'a',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .map(|w| {
            w.strip_suffix('s')
                .filter(|r| r.len() >= 3)
                .unwrap_or(w)
                .to_owned()
        })
        .collect()
}

/// Whether two words name the same thing: equal, a shared prefix of five
/// letters or more, or a known translation.
fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let shared = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if shared >= 5 {
        return true;
    }
    SYNONYMS.iter().any(|(fr, en)| {
        (a.starts_with(fr) && b.starts_with(en)) || (b.starts_with(fr) && a.starts_with(en))
    })
}

impl Catalog {
    /// The tables most relevant to `question`, as DDL lines, within about
    /// `budget_tokens` (four characters a token). With no word matching at
    /// all, as many tables as fit, so that a small schema is always shown.
    pub fn context_for(&self, question: &str, budget_tokens: usize) -> String {
        let asked = words(question);
        let score = |t: &CatalogTable| -> f64 {
            let mut s = 0.0;
            let name = words(&t.name);
            let columns: Vec<String> = t.columns.iter().flat_map(|c| words(&c.name)).collect();
            let comments: Vec<String> = t
                .comment
                .iter()
                .chain(t.columns.iter().filter_map(|c| c.comment.as_ref()))
                .flat_map(|c| words(c))
                .collect();
            for w in &asked {
                if name.iter().any(|n| same(w, n)) {
                    s += 3.0;
                }
                if columns.iter().any(|n| same(w, n)) {
                    s += 1.5;
                }
                if comments.iter().any(|n| same(w, n)) {
                    s += 1.0;
                }
            }
            s
        };
        let mut scores: HashMap<String, f64> = self
            .tables
            .iter()
            .map(|t| (t.name.clone(), score(t)))
            .collect();
        // Neighbours by foreign key, in both directions, get half a score.
        let direct = scores.clone();
        for t in &self.tables {
            for fk in &t.foreign_keys {
                let (a, b) = (
                    direct.get(&t.name).copied().unwrap_or(0.0),
                    direct.get(&fk.table).copied().unwrap_or(0.0),
                );
                *scores.entry(fk.table.clone()).or_default() += a / 2.0;
                *scores.entry(t.name.clone()).or_default() += b / 2.0;
            }
        }
        let mut ranked: Vec<&CatalogTable> = self.tables.iter().collect();
        let any = scores.values().any(|s| *s > 0.0);
        ranked.sort_by(|a, b| {
            let (sa, sb) = (scores[&a.name], scores[&b.name]);
            sb.partial_cmp(&sa)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.name.cmp(&b.name))
        });
        let budget = budget_tokens * 4;
        let mut out = String::new();
        for t in ranked {
            if any && scores[&t.name] <= 0.0 {
                break;
            }
            let line = t.ddl();
            if out.len() + line.len() + 1 > budget {
                continue;
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_keeps_two_owners_tables_of_one_name_apart() {
        let column = |name: &str| CatalogColumn {
            name: name.into(),
            type_name: "NUMBER".into(),
            nullable: false,
            comment: None,
        };
        let mut builder = CatalogBuilder::default();
        for owner in ["SALES", "HR"] {
            builder.column(Some(owner.into()), "ORDERS".into(), None, column("ID"));
            builder.column(Some(owner.into()), "ORDERS".into(), None, column("TOTAL"));
        }
        builder.key(Some("HR"), "ORDERS", "ID".into(), Key::Primary);
        builder.key(None, "ORDERS", "TOTAL".into(), Key::Primary);
        let catalog = builder.finish();
        assert_eq!(catalog.tables.len(), 2);
        assert_eq!(catalog.tables[0].columns.len(), 2);
        assert!(catalog.tables[0].primary_key.is_empty(), "SALES has no key");
        assert_eq!(catalog.tables[1].primary_key, ["ID"], "HR's key is HR's");
    }

    fn table(name: &str, cols: &[&str], fks: &[(&str, &str)]) -> CatalogTable {
        CatalogTable {
            schema: None,
            name: name.into(),
            comment: None,
            columns: cols
                .iter()
                .map(|c| CatalogColumn {
                    name: (*c).into(),
                    type_name: "TEXT".into(),
                    nullable: true,
                    comment: None,
                })
                .collect(),
            primary_key: vec!["id".into()],
            foreign_keys: fks
                .iter()
                .map(|(c, t)| ForeignKey {
                    columns: vec![(*c).into()],
                    table: (*t).into(),
                    ref_columns: vec!["id".into()],
                })
                .collect(),
        }
    }

    fn crm() -> Catalog {
        Catalog {
            tables: vec![
                table("users", &["id", "first_name", "team"], &[]),
                table(
                    "clients",
                    &["id", "company", "city", "account_manager_id"],
                    &[("account_manager_id", "users")],
                ),
                table(
                    "contracts",
                    &["id", "client_id", "product", "monthly_amount"],
                    &[("client_id", "clients")],
                ),
                table(
                    "payments",
                    &["id", "contract_id", "due_on", "paid_on", "amount"],
                    &[("contract_id", "contracts")],
                ),
                table(
                    "documents",
                    &["id", "client_id", "title"],
                    &[("client_id", "clients")],
                ),
            ],
        }
    }

    #[test]
    fn french_questions_find_english_tables_and_their_neighbours() {
        let ctx = crm().context_for("Quels paiements sont en retard cette année ?", 2000);
        let first = ctx.lines().next().unwrap();
        assert!(first.starts_with("TABLE payments"), "{ctx}");
        assert!(
            ctx.contains("TABLE contracts"),
            "the table payments refer to: {ctx}"
        );
        assert!(!ctx.contains("TABLE documents"), "{ctx}");
        let ctx = crm().context_for("Liste des contrats par ville", 2000);
        assert!(
            ctx.contains("TABLE contracts") && ctx.contains("TABLE clients"),
            "{ctx}"
        );
    }

    #[test]
    fn the_budget_is_kept_and_a_small_schema_is_always_shown() {
        let ctx = crm().context_for("Quels paiements ?", 30);
        assert!(ctx.len() <= 120, "{ctx}");
        let all = crm().context_for("Bonjour", 2000);
        assert_eq!(all.lines().count(), 5, "{all}");
    }

    #[test]
    fn ddl_is_compact_with_keys() {
        let line = crm().tables[3].ddl();
        assert_eq!(
            line,
            "TABLE payments (id TEXT PK, contract_id TEXT → contracts.id, due_on TEXT, paid_on TEXT, amount TEXT)"
        );
    }
}
