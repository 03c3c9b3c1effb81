//! The demo CRM's tables, each column with its type and the comment the
//! model reads (PostgreSQL and Oracle keep them as COMMENT ON; SQLite has
//! none, so they are written in the CREATE TABLE statements, where the
//! schema catalogue reads them).

/// A column's type, rendered per database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The table's own id.
    Id,
    Integer,
    Money,
    Text,
    Date,
}

pub(super) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// The table whose `id` this column holds.
    pub references: Option<&'static str>,
    pub unique: bool,
    pub comment: &'static str,
}

pub(super) struct Table {
    pub name: &'static str,
    pub comment: &'static str,
    pub columns: &'static [Column],
}

const fn col(name: &'static str, kind: Kind, comment: &'static str) -> Column {
    Column {
        name,
        kind,
        nullable: false,
        references: None,
        unique: false,
        comment,
    }
}

const fn null(name: &'static str, kind: Kind, comment: &'static str) -> Column {
    Column {
        nullable: true,
        ..col(name, kind, comment)
    }
}

const fn key(name: &'static str, table: &'static str, comment: &'static str) -> Column {
    Column {
        references: Some(table),
        ..col(name, Kind::Integer, comment)
    }
}

const fn unique(name: &'static str, kind: Kind, comment: &'static str) -> Column {
    Column {
        unique: true,
        ..col(name, kind, comment)
    }
}

const ID: Column = col("id", Kind::Id, "Identifier.");

/// The tables, parents before children.
pub(super) const TABLES: &[Table] = &[
    Table {
        name: "users",
        comment: "The company's employees: account managers, support and collections staff.",
        columns: &[
            ID,
            col("first_name", Kind::Text, "First name."),
            col("last_name", Kind::Text, "Last name."),
            unique("email", Kind::Text, "Work e-mail address."),
            col(
                "team",
                Kind::Text,
                "Team: 'Ventes Nord', 'Ventes Sud', 'Grands comptes' (large accounts), \
                 'Support' or 'Recouvrement' (collections).",
            ),
            col("hired_on", Kind::Date, "Day the employee joined."),
            null(
                "left_on",
                Kind::Date,
                "Day the employee left the company; NULL while employed.",
            ),
        ],
    },
    Table {
        name: "clients",
        comment: "Companies the firm sells to, from first contact (prospect) to departure.",
        columns: &[
            ID,
            col(
                "company",
                Kind::Text,
                "Company name (unique within a city; the same name may exist in two cities).",
            ),
            unique(
                "siret",
                Kind::Text,
                "French company registration number (14 digits).",
            ),
            col(
                "sector",
                Kind::Text,
                "Business sector, in French (e.g. 'BTP', 'Santé').",
            ),
            col("city", Kind::Text, "City of the head office."),
            col("postal_code", Kind::Text, "Postal code of the head office."),
            col(
                "created_on",
                Kind::Date,
                "Day the company was entered in the CRM (first contact).",
            ),
            key(
                "account_manager_id",
                "users",
                "The employee in charge of the account (users.id): a current member of \
                 'Grands comptes' for large accounts, else of 'Ventes Nord' or 'Ventes Sud' \
                 by the half of France the client is in.",
            ),
            null(
                "annual_revenue",
                Kind::Money,
                "The company's declared annual revenue in euros; NULL when unknown.",
            ),
            col(
                "status",
                Kind::Text,
                "'prospect' (never had a contract), 'actif' (at least one running contract) or \
                 'résilié' (churned: all contracts ended).",
            ),
            null(
                "churned_on",
                Kind::Date,
                "Day the last contract ended, for status 'résilié'; NULL otherwise.",
            ),
        ],
    },
    Table {
        name: "contacts",
        comment: "People to talk to at each client.",
        columns: &[
            ID,
            key("client_id", "clients", "The client (clients.id)."),
            col("first_name", Kind::Text, "First name."),
            col("last_name", Kind::Text, "Last name."),
            col(
                "job_title",
                Kind::Text,
                "Role at the client, in French (e.g. 'Directeur financier', 'Comptable').",
            ),
            null("email", Kind::Text, "E-mail address; NULL when unknown."),
            col("phone", Kind::Text, "Phone number, French format."),
        ],
    },
    Table {
        name: "contracts",
        comment: "Subscriptions signed by clients; a contract renews itself at each term until it ends.",
        columns: &[
            ID,
            key("client_id", "clients", "The client (clients.id)."),
            unique(
                "reference",
                Kind::Text,
                "Contract reference, 'CTR-<year signed>-<number>'.",
            ),
            col("product", Kind::Text, "The product subscribed, in French."),
            col(
                "starts_on",
                Kind::Date,
                "Day the contract was signed and started.",
            ),
            col(
                "term_months",
                Kind::Integer,
                "Commitment period in months (12, 24 or 36), renewed tacitly at each end of term.",
            ),
            null(
                "ends_on",
                Kind::Date,
                "Day the contract ended; NULL while it runs (status 'actif' or 'suspendu').",
            ),
            col(
                "monthly_amount",
                Kind::Money,
                "Price per month in euros, excluding VAT.",
            ),
            col(
                "billing",
                Kind::Text,
                "'mensuel' (one payment a month) or 'trimestriel' (one payment every three \
                 months, three times the monthly amount).",
            ),
            col(
                "status",
                Kind::Text,
                "'actif' (running), 'suspendu' (running, service suspended for unpaid \
                 payments), 'clos' (not renewed at the end of a term) or 'résilié' (terminated \
                 when the client left).",
            ),
        ],
    },
    Table {
        name: "payments",
        comment: "Payments due under contracts, one per billing period; the only table with \
                  dates after today (the next scheduled payment of each running contract).",
        columns: &[
            ID,
            key("contract_id", "contracts", "The contract (contracts.id)."),
            col("due_on", Kind::Date, "Day the payment is due."),
            null(
                "paid_on",
                Kind::Date,
                "Day it was paid; NULL while not paid.",
            ),
            col("amount", Kind::Money, "Amount in euros, excluding VAT."),
            col(
                "method",
                Kind::Text,
                "'prélèvement' (direct debit), 'virement' (transfer), 'carte' (card) or 'chèque'.",
            ),
            col(
                "status",
                Kind::Text,
                "With a grace period of 15 days after due_on: 'payé' (paid within it), 'payé en \
                 retard' (paid after it), 'impayé' (not paid and the grace period is over: a late \
                 payment), 'en attente' (not paid, still within the grace period) or 'à venir' \
                 (due after today).",
            ),
        ],
    },
    Table {
        name: "documents",
        comment: "Files kept for each client (signed contracts, quotes, registration extracts...).",
        columns: &[
            ID,
            key("client_id", "clients", "The client (clients.id)."),
            Column {
                nullable: true,
                ..key(
                    "contract_id",
                    "contracts",
                    "The contract it belongs to (contracts.id), if any.",
                )
            },
            col("title", Kind::Text, "Title, in French."),
            col(
                "kind",
                Kind::Text,
                "'kbis' (registration extract), 'devis' (quote), 'contrat' (signed contract), \
                 'rib' (bank details for direct debit) or 'avenant' (amendment).",
            ),
            col("uploaded_on", Kind::Date, "Day the file was uploaded."),
            col("size_kb", Kind::Integer, "File size in kilobytes."),
        ],
    },
    Table {
        name: "client_notes",
        comment: "Notes written by employees about clients (calls, meetings, reminders).",
        columns: &[
            ID,
            key("client_id", "clients", "The client (clients.id)."),
            key(
                "author_id",
                "users",
                "The employee who wrote it (users.id).",
            ),
            col("written_on", Kind::Date, "Day it was written."),
            col("body", Kind::Text, "The note, in French."),
        ],
    },
];

/// Indexes on the foreign keys the usual questions join on.
pub(super) const INDEXES: &[(&str, &str)] = &[
    ("contacts", "client_id"),
    ("contracts", "client_id"),
    ("payments", "contract_id"),
    ("documents", "client_id"),
    ("client_notes", "client_id"),
];

/// The databases the demo is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavour {
    Sqlite,
    Postgres,
    Oracle,
}

impl Flavour {
    fn type_of(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Flavour::Sqlite, Kind::Id) => "INTEGER PRIMARY KEY",
            (Flavour::Sqlite, Kind::Integer) => "INTEGER",
            (Flavour::Sqlite, Kind::Money) => "REAL",
            (Flavour::Sqlite, Kind::Text | Kind::Date) => "TEXT",
            (Flavour::Postgres, Kind::Id) => "integer PRIMARY KEY",
            (Flavour::Postgres, Kind::Integer) => "integer",
            (Flavour::Postgres, Kind::Money) => "numeric(14,2)",
            (Flavour::Postgres, Kind::Text) => "text",
            (Flavour::Postgres, Kind::Date) => "date",
            (Flavour::Oracle, Kind::Id) => "NUMBER(10) PRIMARY KEY",
            (Flavour::Oracle, Kind::Integer) => "NUMBER(10)",
            (Flavour::Oracle, Kind::Money) => "NUMBER(14,2)",
            (Flavour::Oracle, Kind::Text) => "VARCHAR2(400)",
            (Flavour::Oracle, Kind::Date) => "DATE",
        }
    }
}

/// `CREATE TABLE` for each table, then `CREATE INDEX` for each index, names
/// prefixed by `schema.` when given. SQLite keeps no comments: there each
/// one follows its column as `-- …` (the table's on its first line), where
/// the schema catalogue reads them; elsewhere [`comments`] gives them.
pub(super) fn ddl(flavour: Flavour, schema: Option<&str>) -> Vec<String> {
    let name = |n: &str| schema.map_or_else(|| n.to_owned(), |s| format!("{s}.{n}"));
    let inline = flavour == Flavour::Sqlite;
    let mut out = Vec::new();
    for table in TABLES {
        let mut sql = format!("CREATE TABLE {} (", name(table.name));
        if inline {
            sql.push_str(&format!(" -- {}", table.comment));
        }
        for (i, c) in table.columns.iter().enumerate() {
            let mut line = format!("\n    {} {}", c.name, flavour.type_of(c.kind));
            if !c.nullable && c.kind != Kind::Id {
                line.push_str(" NOT NULL");
            }
            if c.unique {
                line.push_str(" UNIQUE");
            }
            if let Some(parent) = c.references {
                line.push_str(&format!(" REFERENCES {} (id)", name(parent)));
            }
            if i + 1 < table.columns.len() {
                line.push(',');
            }
            if inline {
                line.push_str(&format!(" -- {}", c.comment));
            }
            sql.push_str(&line);
        }
        sql.push_str("\n)");
        out.push(sql);
    }
    for (table, column) in INDEXES {
        // PostgreSQL puts an index in its table's schema and refuses a
        // qualified name; Oracle wants one (the script runs as SYS).
        let index = match flavour {
            Flavour::Oracle => name(&format!("{table}_{column}")),
            Flavour::Sqlite | Flavour::Postgres => format!("{table}_{column}"),
        };
        out.push(format!(
            "CREATE INDEX {index} ON {} ({column})",
            name(table)
        ));
    }
    out
}

/// `COMMENT ON` statements for every table and column (PostgreSQL, Oracle).
pub(super) fn comments(schema: &str) -> Vec<String> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut out = Vec::new();
    for table in TABLES {
        out.push(format!(
            "COMMENT ON TABLE {schema}.{} IS {}",
            table.name,
            quote(table.comment)
        ));
        for c in table.columns {
            out.push(format!(
                "COMMENT ON COLUMN {schema}.{}.{} IS {}",
                table.name,
                c.name,
                quote(c.comment)
            ));
        }
    }
    out
}
