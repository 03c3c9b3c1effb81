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
    let mut rng = StdRng::seed_from_u64(20_251_122);
    let mut counts = Vec::new();

    let teams = [
        "Ventes Nord",
        "Ventes Sud",
        "Grands comptes",
        "Support",
        "Recouvrement",
    ];
    let users = 14;
    for id in 1..=users {
        let first = FIRST.choose(&mut rng).copied().unwrap_or("Camille");
        let last = LAST.choose(&mut rng).copied().unwrap_or("Martin");
        let email = format!("{}.{}{id}@pstral-demo.fr", ascii(first), ascii(last));
        sqlx::query("INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(first)
            .bind(last)
            .bind(email)
            .bind(teams[id as usize % teams.len()])
            .bind(date(&mut rng, 2012, 2024).to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| create(&e))?;
    }
    counts.push(("users", users as u64));

    let clients = 600;
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
        sqlx::query("INSERT INTO clients VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id)
            .bind(company)
            .bind(format!("{:09}{:05}", 300_000_000 + id * 7919, id))
            .bind(SECTORS.choose(&mut rng).copied().unwrap_or("Conseil"))
            .bind(city)
            .bind(postal)
            .bind(date(&mut rng, 2015, 2025).to_string())
            .bind(rng.random_range(1..=users))
            .bind(revenue)
            .execute(&mut *tx)
            .await
            .map_err(|e| create(&e))?;
    }
    counts.push(("clients", clients as u64));

    let (mut contract_id, mut payment_id) = (0i64, 0i64);
    for client in 1..=clients {
        for _ in 0..rng.random_range(1..=3) {
            contract_id += 1;
            let (product, base) = *PRODUCTS.choose(&mut rng).unwrap_or(&("Maintenance", 300.0));
            let starts = date(&mut rng, 2019, 2025);
            let months = rng.random_range(6..=48);
            let ends = starts
                .checked_add_months(chrono::Months::new(months))
                .unwrap_or(starts);
            let today = chrono::NaiveDate::from_ymd_opt(2025, 11, 1).unwrap_or_default();
            let status = if ends < today {
                "clos"
            } else if rng.random_bool(0.08) {
                "suspendu"
            } else {
                "actif"
            };
            let monthly = (base * rng.random_range(0.8..2.5f64) * 100.0).round() / 100.0;
            sqlx::query("INSERT INTO contracts VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(contract_id)
                .bind(client)
                .bind(format!("CTR-{}-{contract_id:05}", starts.format("%Y")))
                .bind(product)
                .bind(starts.to_string())
                .bind(rng.random_bool(0.85).then(|| ends.to_string()))
                .bind(monthly)
                .bind(status)
                .execute(&mut *tx)
                .await
                .map_err(|e| create(&e))?;
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
                sqlx::query("INSERT INTO payments VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(payment_id)
                    .bind(contract_id)
                    .bind(due.to_string())
                    .bind(paid.map(|d| d.to_string()))
                    .bind((monthly * 3.0 * 100.0).round() / 100.0)
                    .bind(METHODS.choose(&mut rng).copied().unwrap_or("virement"))
                    .bind(pstatus)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| create(&e))?;
            }
        }
    }
    counts.push(("contracts", contract_id as u64));
    counts.push(("payments", payment_id as u64));

    let mut document_id = 0i64;
    let mut note_id = 0i64;
    for client in 1..=clients {
        for _ in 0..rng.random_range(1..=4) {
            document_id += 1;
            let (kind, title) = *DOC_KINDS.choose(&mut rng).unwrap_or(&("devis", "Devis"));
            let uploaded = date(&mut rng, 2019, 2025);
            sqlx::query("INSERT INTO documents VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(document_id)
                .bind(client)
                .bind(format!("{title} {}", uploaded.format("%m/%Y")))
                .bind(kind)
                .bind(uploaded.to_string())
                .bind(rng.random_range(40..4800))
                .execute(&mut *tx)
                .await
                .map_err(|e| create(&e))?;
        }
        for _ in 0..rng.random_range(0..=5) {
            note_id += 1;
            sqlx::query("INSERT INTO client_notes VALUES ($1, $2, $3, $4, $5)")
                .bind(note_id)
                .bind(client)
                .bind(rng.random_range(1..=users))
                .bind(date(&mut rng, 2020, 2025).to_string())
                .bind(NOTES.choose(&mut rng).copied().unwrap_or(NOTES[0]))
                .execute(&mut *tx)
                .await
                .map_err(|e| create(&e))?;
        }
    }
    counts.push(("documents", document_id as u64));
    counts.push(("client_notes", note_id as u64));
    tx.commit().await.map_err(|e| create(&e))?;
    conn.close().await.map_err(|e| create(&e))?;
    Ok(DemoSummary { tables: counts })
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
