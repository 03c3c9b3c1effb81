//! The demo Execute target: a small French CRM in SQLite (users, clients,
//! contracts, payments, documents, client_notes; a few thousand rows), so
//! that a new user can try questions and Execute without any database of
//! their own. The data is generated from a fixed seed: every run makes the
//! same database.

use std::path::Path;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sqlx::Connection;

/// How many rows each table got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub tables: Vec<(&'static str, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0} already exists; remove it first (or pass --force)")]
    Exists(String),
    #[error("cannot create the demo database: {0}")]
    Create(String),
}

const SCHEMA: &str = "
CREATE TABLE users (
    id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE, team TEXT NOT NULL, hired_on TEXT NOT NULL
);
CREATE TABLE clients (
    id INTEGER PRIMARY KEY, company TEXT NOT NULL, siret TEXT NOT NULL UNIQUE,
    sector TEXT NOT NULL, city TEXT NOT NULL, postal_code TEXT NOT NULL,
    created_on TEXT NOT NULL, account_manager_id INTEGER NOT NULL REFERENCES users (id),
    annual_revenue REAL
);
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES clients (id),
    reference TEXT NOT NULL UNIQUE, product TEXT NOT NULL, starts_on TEXT NOT NULL,
    ends_on TEXT, monthly_amount REAL NOT NULL, status TEXT NOT NULL
);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY, contract_id INTEGER NOT NULL REFERENCES contracts (id),
    due_on TEXT NOT NULL, paid_on TEXT, amount REAL NOT NULL, method TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES clients (id),
    title TEXT NOT NULL, kind TEXT NOT NULL, uploaded_on TEXT NOT NULL, size_kb INTEGER NOT NULL
);
CREATE TABLE client_notes (
    id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES clients (id),
    author_id INTEGER NOT NULL REFERENCES users (id), written_on TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX contracts_client ON contracts (client_id);
CREATE INDEX payments_contract ON payments (contract_id);
CREATE INDEX documents_client ON documents (client_id);
CREATE INDEX notes_client ON client_notes (client_id);
";

const FIRST: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Jade", "Louise", "Zoé", "Élodie", "Hugo",
    "Lucas", "Thomas", "Nathan", "Théo", "Mathis", "Raphaël", "Louis", "Gabriel", "Jérôme",
];
const LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
];
const CITIES: &[(&str, &str)] = &[
    ("Paris", "75008"),
    ("Lyon", "69002"),
    ("Marseille", "13001"),
    ("Toulouse", "31000"),
    ("Nice", "06000"),
    ("Nantes", "44000"),
    ("Strasbourg", "67000"),
    ("Montpellier", "34000"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Reims", "51100"),
    ("Besançon", "25000"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
    ("Angers", "49000"),
    ("Nîmes", "30000"),
    ("Clermont-Ferrand", "63000"),
    ("Le Havre", "76600"),
    ("Orléans", "45000"),
];
const SECTORS: &[&str] = &[
    "Agroalimentaire",
    "BTP",
    "Commerce de détail",
    "Conseil",
    "Énergie",
    "Hôtellerie",
    "Industrie",
    "Informatique",
    "Logistique",
    "Santé",
    "Services financiers",
    "Transport",
];
const COMPANY_WORDS: &[&str] = &[
    "Atelier",
    "Groupe",
    "Société",
    "Compagnie",
    "Maison",
    "Établissements",
    "Cabinet",
    "Bureau",
];
const COMPANY_NAMES: &[&str] = &[
    "du Rhône",
    "des Alpes",
    "Lumière",
    "Horizon",
    "Atlantique",
    "Méditerranée",
    "du Nord",
    "Vauban",
    "Saint-Michel",
    "des Vosges",
    "Bellevue",
    "Montaigne",
    "Garonne",
    "Loire",
    "Cévennes",
];
const PRODUCTS: &[(&str, f64)] = &[
    ("Hébergement cloud", 420.0),
    ("Licence ERP", 1250.0),
    ("Maintenance", 310.0),
    ("Support premium", 690.0),
    ("Téléphonie", 85.0),
    ("Sauvegarde", 160.0),
    ("Formation", 900.0),
    ("Cybersécurité", 540.0),
];
const METHODS: &[&str] = &["virement", "prélèvement", "carte", "chèque"];
const DOC_KINDS: &[(&str, &str)] = &[
    ("contrat", "Contrat signé"),
    ("facture", "Facture"),
    ("devis", "Devis"),
    ("kbis", "Extrait Kbis"),
    ("rib", "RIB"),
    ("avenant", "Avenant"),
];
const NOTES: &[&str] = &[
    "Rendez-vous téléphonique : le client souhaite revoir son offre avant la fin du trimestre.",
    "Relance pour une facture impayée ; promesse de règlement sous quinze jours.",
    "Très satisfait du support, envisage d'étendre le contrat à une seconde agence.",
    "Demande un devis pour la formation de cinq collaborateurs.",
    "Changement d'interlocuteur : la nouvelle DAF arrive le mois prochain.",
    "Incident résolu ; geste commercial accordé sur la prochaine échéance.",
    "Salon professionnel à Lyon : intérêt pour l'offre cybersécurité.",
    "Le client compare notre offre avec un concurrent, décision attendue en juin.",
];

fn date(rng: &mut StdRng, from_year: i32, to_year: i32) -> chrono::NaiveDate {
    let year = rng.random_range(from_year..=to_year);
    let ordinal = rng.random_range(1..=365);
    chrono::NaiveDate::from_yo_opt(year, ordinal).unwrap_or_default()
}

/// A generated value.
#[derive(Debug, Clone, PartialEq)]
enum V {
    I(i64),
    R(f64),
    T(String),
    D(chrono::NaiveDate),
    N,
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::I(v)
    }
}
impl From<f64> for V {
    fn from(v: f64) -> Self {
        V::R(v)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::T(v.to_owned())
    }
}
impl From<String> for V {
    fn from(v: String) -> Self {
        V::T(v)
    }
}
impl From<chrono::NaiveDate> for V {
    fn from(v: chrono::NaiveDate) -> Self {
        V::D(v)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(v: Option<T>) -> Self {
        v.map_or(V::N, Into::into)
    }
}

type Rows = Vec<(&'static str, Vec<V>)>;

/// Every row of the demo, in insertion order, from a fixed seed.
fn generate() -> Rows {
    let mut rng = StdRng::seed_from_u64(20_251_122);
    let mut rows: Rows = Vec::new();
    let teams = [
        "Ventes Nord",
        "Ventes Sud",
        "Grands comptes",
        "Support",
        "Recouvrement",
    ];
    let users: i64 = 14;
    for id in 1..=users {
        let first = FIRST.choose(&mut rng).copied().unwrap_or("Camille");
        let last = LAST.choose(&mut rng).copied().unwrap_or("Martin");
        let email = format!("{}.{}{id}@pstral-demo.fr", ascii(first), ascii(last));
        let hired = date(&mut rng, 2012, 2024);
        rows.push((
            "users",
            vec![
                id.into(),
                first.into(),
                last.into(),
                email.into(),
                teams[id as usize % teams.len()].into(),
                hired.into(),
            ],
        ));
    }
    let clients: i64 = 600;
    for id in 1..=clients {
        let (city, postal) = *CITIES.choose(&mut rng).unwrap_or(&("Paris", "75001"));
        let company = format!(
            "{} {} {}",
            COMPANY_WORDS.choose(&mut rng).copied().unwrap_or("Groupe"),
            LAST.choose(&mut rng).copied().unwrap_or("Martin"),
            COMPANY_NAMES.choose(&mut rng).copied().unwrap_or("Horizon"),
        );
        let revenue: Option<f64> = rng
            .random_bool(0.9)
            .then(|| (rng.random_range(80_000.0..25_000_000.0f64) / 100.0).round() * 100.0);
        let sector = SECTORS.choose(&mut rng).copied().unwrap_or("Conseil");
        let created = date(&mut rng, 2015, 2025);
        let manager = rng.random_range(1..=users);
        rows.push((
            "clients",
            vec![
                id.into(),
                company.into(),
                format!("{:09}{:05}", 300_000_000 + id * 7919, id).into(),
                sector.into(),
                city.into(),
                postal.into(),
                created.into(),
                manager.into(),
                revenue.into(),
            ],
        ));
    }
    let (mut contract_id, mut payment_id) = (0i64, 0i64);
    let today = chrono::NaiveDate::from_ymd_opt(2025, 11, 1).unwrap_or_default();
    for client in 1..=clients {
        for _ in 0..rng.random_range(1..=3) {
            contract_id += 1;
            let (product, base) = *PRODUCTS.choose(&mut rng).unwrap_or(&("Maintenance", 300.0));
            let starts = date(&mut rng, 2019, 2025);
            let months = rng.random_range(6..=48);
            let ends = starts
                .checked_add_months(chrono::Months::new(months))
                .unwrap_or(starts);
            let status = if ends < today {
                "clos"
            } else if rng.random_bool(0.08) {
                "suspendu"
            } else {
                "actif"
            };
            let monthly = (base * rng.random_range(0.8..2.5f64) * 100.0).round() / 100.0;
            let has_end = rng.random_bool(0.85);
            rows.push((
                "contracts",
                vec![
                    contract_id.into(),
                    client.into(),
                    format!("CTR-{}-{contract_id:05}", starts.format("%Y")).into(),
                    product.into(),
                    starts.into(),
                    has_end.then_some(ends).into(),
                    monthly.into(),
                    status.into(),
                ],
            ));
            for m in 0..rng.random_range(2..=6) {
                payment_id += 1;
                let due = starts
                    .checked_add_months(chrono::Months::new(m * 3))
                    .unwrap_or(starts);
                let late = rng.random_bool(0.12);
                let unpaid = rng.random_bool(0.05);
                let paid = (!unpaid).then(|| {
                    due + chrono::Duration::days(if late {
                        rng.random_range(15..90)
                    } else {
                        rng.random_range(0..10)
                    })
                });
                let pstatus = if unpaid {
                    "impayé"
                } else if late {
                    "payé en retard"
                } else {
                    "payé"
                };
                let method = METHODS.choose(&mut rng).copied().unwrap_or("virement");
                rows.push((
                    "payments",
                    vec![
                        payment_id.into(),
                        contract_id.into(),
                        due.into(),
                        paid.into(),
                        ((monthly * 3.0 * 100.0).round() / 100.0).into(),
                        method.into(),
                        pstatus.into(),
                    ],
                ));
            }
        }
    }
    let (mut document_id, mut note_id) = (0i64, 0i64);
    for client in 1..=clients {
        for _ in 0..rng.random_range(1..=4) {
            document_id += 1;
            let (kind, title) = *DOC_KINDS.choose(&mut rng).unwrap_or(&("devis", "Devis"));
            let uploaded = date(&mut rng, 2019, 2025);
            let size: i64 = rng.random_range(40..4800);
            rows.push((
                "documents",
                vec![
                    document_id.into(),
                    client.into(),
                    format!("{title} {}", uploaded.format("%m/%Y")).into(),
                    kind.into(),
                    uploaded.into(),
                    size.into(),
                ],
            ));
        }
        for _ in 0..rng.random_range(0..=5) {
            note_id += 1;
            let author: i64 = rng.random_range(1..=users);
            let written = date(&mut rng, 2020, 2025);
            let body = NOTES.choose(&mut rng).copied().unwrap_or(NOTES[0]);
            rows.push((
                "client_notes",
                vec![
                    note_id.into(),
                    client.into(),
                    author.into(),
                    written.into(),
                    body.into(),
                ],
            ));
        }
    }
    rows
}

fn summary(rows: &Rows) -> DemoSummary {
    let mut tables: Vec<(&'static str, u64)> = Vec::new();
    for (table, _) in rows {
        match tables.iter_mut().find(|(t, _)| t == table) {
            Some((_, n)) => *n += 1,
            None => tables.push((table, 1)),
        }
    }
    DemoSummary { tables }
}

/// Creates the demo database at `path` (and its directory).
///
/// # Errors
/// [`DemoError::Exists`] when the file is there and `force` is false, or
/// [`DemoError::Create`] when it cannot be written.
pub async fn create(path: &Path, force: bool) -> Result<DemoSummary, DemoError> {
    let create = |e: &dyn std::fmt::Display| DemoError::Create(e.to_string());
    if path.exists() {
        if !force {
            return Err(DemoError::Exists(path.display().to_string()));
        }
        std::fs::remove_file(path).map_err(|e| create(&e))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| create(&e))?;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| create(&e))?;
    let mut tx = conn.begin().await.map_err(|e| create(&e))?;
    sqlx::raw_sql(SCHEMA)
        .execute(&mut *tx)
        .await
        .map_err(|e| create(&e))?;
    let rows = generate();
    for (table, values) in &rows {
        let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} VALUES ({})",
            placeholders.join(", ")
        ));
        let mut query = sqlx::query(sql);
        for v in values {
            query = match v {
                V::I(n) => query.bind(*n),
                V::R(x) => query.bind(*x),
                V::T(t) => query.bind(t.clone()),
                V::D(d) => query.bind(d.to_string()),
                V::N => query.bind(None::<String>),
            };
        }
        query.execute(&mut *tx).await.map_err(|e| create(&e))?;
    }
    tx.commit().await.map_err(|e| create(&e))?;
    conn.close().await.map_err(|e| create(&e))?;
    Ok(summary(&rows))
}

/// The same CRM as a SQL*Plus script for Oracle (the container's init
/// directory runs it as SYS): a `CRM` schema owning the tables and data, and
/// a `PSTRAL_READER` account that may only connect and SELECT them, with the
/// password given here.
pub fn oracle_script(reader_password: &str) -> String {
    let mut out = String::from(
        "-- Generated by `pstral demo init --oracle-script`: the demo CRM for Oracle.\n\
         ALTER SESSION SET CONTAINER = FREEPDB1;\n\
         CREATE USER crm NO AUTHENTICATION QUOTA UNLIMITED ON users;\n",
    );
    let oracle_ddl = SCHEMA
        .replace("INTEGER PRIMARY KEY", "NUMBER(10) PRIMARY KEY")
        .replace("INTEGER", "NUMBER(10)")
        .replace("REAL", "NUMBER(14,2)")
        .replace("TEXT", "VARCHAR2(300)")
        .replace("REFERENCES ", "REFERENCES crm.")
        .replace("CREATE TABLE ", "CREATE TABLE crm.")
        .replace("CREATE INDEX ", "CREATE INDEX crm.")
        .replace(" ON ", " ON crm.");
    for statement in oracle_ddl
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        out.push_str(statement);
        out.push_str(";\n");
    }
    let literal = |v: &V| match v {
        V::I(n) => n.to_string(),
        V::R(x) => x.to_string(),
        V::T(t) => format!("'{}'", t.replace('\'', "''")),
        V::D(d) => format!("DATE '{d}'"),
        V::N => "NULL".to_owned(),
    };
    for (table, values) in generate() {
        let values: Vec<String> = values.iter().map(literal).collect();
        out.push_str(&format!(
            "INSERT INTO crm.{table} VALUES ({});\n",
            values.join(", ")
        ));
    }
    out.push_str("COMMIT;\n");
    out.push_str(&format!(
        "CREATE USER pstral_reader IDENTIFIED BY \"{}\";\nGRANT CREATE SESSION TO pstral_reader;\n",
        reader_password.replace('"', "")
    ));
    for table in [
        "users",
        "clients",
        "contracts",
        "payments",
        "documents",
        "client_notes",
    ] {
        out.push_str(&format!("GRANT SELECT ON crm.{table} TO pstral_reader;\n"));
    }
    out
}

/// An e-mail-safe version of a French name.
fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' => 'u',
            'ç' => 'c',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic() {
        assert_eq!(generate(), generate());
        let summary = summary(&generate());
        assert_eq!(summary.tables[1], ("clients", 600));
    }

    #[test]
    fn the_oracle_script_has_the_schema_the_data_and_a_read_only_account() {
        let script = oracle_script("s3cret");
        assert!(
            script.contains("CREATE TABLE crm.clients (\n    id NUMBER(10) PRIMARY KEY"),
            "{:.600}",
            script
        );
        assert!(script.contains("REFERENCES crm.users (id)"));
        let inserts = script
            .lines()
            .filter(|l| l.starts_with("INSERT INTO crm."))
            .count();
        assert_eq!(inserts, generate().len());
        assert!(script.contains("GRANT SELECT ON crm.payments TO pstral_reader;"));
        assert!(script.contains("IDENTIFIED BY \"s3cret\""));
        assert!(!script.contains("GRANT INSERT") && !script.contains("GRANT UPDATE"));
        // Quotes in the data are doubled, dates are DATE literals.
        assert!(script.contains("l''offre"));
        assert!(script.contains("DATE '20"));
    }
}
