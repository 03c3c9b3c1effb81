//! The demo CRM's rows, generated from a fixed seed so that every run makes
//! the same bytes, and consistent the way a real company's data is:
//!
//! - one fixed [`today`]: nothing is dated after it but the next scheduled
//!   payment of each running contract;
//! - every row within its parent's life: contracts start after their client
//!   was entered and end by its departure, payments fall due monthly or
//!   quarterly over their contract's life, notes are written by people
//!   employed at the time, documents are uploaded when what they record
//!   happened;
//! - statuses that agree with the dates (payments: a grace period of
//!   [`GRACE_DAYS`] days defines "late");
//! - prospects without contracts, churned clients, a few large accounts,
//!   growth from year to year and seasons in signatures (little in August
//!   and December);
//! - company names unique within a city;
//! - a handful of deliberate data-quality cases, as analysts meet them:
//!   unknown revenues, a contact entered twice, contacts without e-mail.

use chrono::{Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::V;

/// The demo's "today": the last day of its data.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 10, 31).expect("a valid date")
}

/// Days after `due_on` before an unpaid payment is late ("impayé").
pub const GRACE_DAYS: i64 = 15;

/// Rows in insertion order, each with its table's name.
pub(super) type Rows = Vec<(&'static str, Vec<V>)>;

const FIRST: &[&str] = &[
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Jade",
    "Louise",
    "Zoé",
    "Élodie",
    "Hugo",
    "Lucas",
    "Thomas",
    "Nathan",
    "Théo",
    "Mathis",
    "Raphaël",
    "Louis",
    "Gabriel",
    "Jérôme",
    "Nicolas",
    "Sophie",
    "Julien",
    "Isabelle",
    "François",
    "Hélène",
    "Antoine",
    "Cécile",
];
const LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
];
/// Cities, their postal code, and how many clients they have relative to
/// one another (Paris most).
const CITIES: &[(&str, &str, u32)] = &[
    ("Paris", "75008", 18),
    ("Lyon", "69002", 10),
    ("Marseille", "13001", 8),
    ("Toulouse", "31000", 7),
    ("Bordeaux", "33000", 6),
    ("Lille", "59000", 6),
    ("Nantes", "44000", 6),
    ("Strasbourg", "67000", 5),
    ("Montpellier", "34000", 5),
    ("Nice", "06000", 4),
    ("Rennes", "35000", 4),
    ("Grenoble", "38000", 3),
    ("Reims", "51100", 2),
    ("Besançon", "25000", 2),
    ("Dijon", "21000", 2),
    ("Angers", "49000", 2),
    ("Nîmes", "30000", 2),
    ("Clermont-Ferrand", "63000", 2),
    ("Le Havre", "76600", 2),
    ("Orléans", "45000", 2),
];
/// Sectors, words their company names use, and their weight.
const SECTORS: &[(&str, &[&str], u32)] = &[
    (
        "BTP",
        &["Bâtiment", "Construction", "Travaux", "Rénovation"],
        12,
    ),
    (
        "Industrie",
        &["Industrie", "Mécanique", "Usinage", "Plasturgie"],
        12,
    ),
    (
        "Commerce de détail",
        &["Distribution", "Boutiques", "Commerce"],
        11,
    ),
    ("Conseil", &["Conseil", "Partenaires", "Stratégie"], 10),
    (
        "Informatique",
        &["Informatique", "Systèmes", "Numérique", "Logiciels"],
        10,
    ),
    ("Santé", &["Santé", "Médical", "Pharma"], 9),
    ("Logistique", &["Logistique", "Transports", "Entrepôts"], 8),
    (
        "Agroalimentaire",
        &["Alimentaire", "Saveurs", "Terroirs"],
        8,
    ),
    ("Hôtellerie", &["Hôtels", "Hospitalité", "Résidences"], 6),
    (
        "Services financiers",
        &["Finance", "Gestion", "Patrimoine"],
        6,
    ),
    ("Énergie", &["Énergie", "Solaire", "Environnement"], 4),
    ("Transport", &["Mobilité", "Voyages", "Autocars"], 4),
];
const PREFIXES: &[&str] = &[
    "Établissements",
    "Groupe",
    "Société",
    "Maison",
    "Cabinet",
    "Atelier",
];
const PLACES: &[&str] = &[
    "du Rhône",
    "des Alpes",
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
    "Horizon",
    "Lumière",
];
/// Products and their usual monthly price.
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
const JOB_TITLES: &[&str] = &[
    "Directeur général",
    "Directrice financière",
    "Directeur financier",
    "Responsable achats",
    "DSI",
    "Comptable",
    "Office manager",
    "Responsable informatique",
];
/// Signatures per month (January first): busy before summer and in the
/// autumn, quiet in August and December.
const SEASON: [u32; 12] = [9, 9, 11, 10, 9, 11, 7, 3, 11, 12, 9, 5];
/// New clients entered per year, from 2018 (600 in all): the company grows.
const NEW_CLIENTS: &[(i32, u32)] = &[
    (2018, 40),
    (2019, 50),
    (2020, 48),
    (2021, 62),
    (2022, 78),
    (2023, 92),
    (2024, 112),
    (2025, 118),
];
const TEAMS: &[&str] = &[
    "Ventes Nord",
    "Ventes Sud",
    "Grands comptes",
    "Support",
    "Recouvrement",
];

const PROSPECT_NOTES: &[&str] = &[
    "Premier rendez-vous : besoin d'une solution de sauvegarde pour trois sites.",
    "Devis envoyé ; le client compare avec un concurrent, décision attendue le mois prochain.",
    "Salon professionnel : intérêt pour l'offre cybersécurité, à rappeler.",
    "Appel de découverte : budget à confirmer par la direction financière.",
];
const CLIENT_NOTES: &[&str] = &[
    "Rendez-vous téléphonique : le client souhaite revoir son offre avant la fin du trimestre.",
    "Très satisfait du support, envisage d'étendre le contrat à une seconde agence.",
    "Demande un devis pour la formation de cinq collaborateurs.",
    "Changement d'interlocuteur : la nouvelle DAF arrive le mois prochain.",
    "Incident résolu ; geste commercial accordé sur la prochaine échéance.",
    "Revue annuelle du compte : pas de changement prévu, relation stable.",
];
const LATE_NOTES: &[&str] = &[
    "Relance pour une facture impayée ; promesse de règlement sous quinze jours.",
    "Deuxième relance sans réponse ; dossier transmis au recouvrement.",
    "Échéancier proposé au client pour les paiements en retard.",
];
const CHURN_NOTES: &[&str] = &[
    "Le client annonce la résiliation : passage chez un concurrent moins cher.",
    "Résiliation reçue : fermeture de l'agence concernée.",
];

struct Employee {
    hired: NaiveDate,
    left: Option<NaiveDate>,
    team: &'static str,
}

impl Employee {
    fn employed_on(&self, day: NaiveDate) -> bool {
        self.hired <= day && self.left.is_none_or(|left| day <= left)
    }
}

/// A day of `month` (1–12) in `year`, no later than `last`.
fn day_in(rng: &mut StdRng, year: i32, month: u32, last: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
    let next = first + Months::new(1);
    let days = (next - first).num_days();
    let day = first + chrono::Duration::days(rng.random_range(0..days));
    day.min(last)
}

/// A day between `from` and `to` (both included; `from` when `to` is earlier).
fn between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    from + chrono::Duration::days(rng.random_range(0..=span))
}

/// A month (1–12) drawn by the season's weights, among the first `months`.
fn seasonal_month(rng: &mut StdRng, months: u32) -> u32 {
    let weights = &SEASON[..months as usize];
    let total: u32 = weights.iter().sum();
    let mut pick = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            return i as u32 + 1;
        }
        pick -= w;
    }
    months
}

/// One of `items`, drawn by the weight `weight` gives each.
fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.random_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

fn money(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// An e-mail-safe version of a French name.
pub(super) fn ascii(name: &str) -> String {
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

/// How a client pays.
#[derive(Clone, Copy, PartialEq)]
enum Payer {
    /// Within the grace period, almost always.
    Good,
    /// Often after it.
    Slow,
    /// Stopped paying: the last payments are unpaid, the contracts suspended.
    Defaulting,
}

/// Every row of the demo, in insertion order.
pub(super) fn generate() -> Rows {
    let mut rng = StdRng::seed_from_u64(20_251_031);
    let today = today();
    let mut rows: Rows = Vec::new();

    // The staff: a core hired early, some who joined as the company grew,
    // and three who have left.
    let mut staff: Vec<Employee> = Vec::new();
    for id in 1..=18i64 {
        let hired = if id <= 6 {
            between(&mut rng, date(2012, 1, 1), date(2017, 6, 30))
        } else {
            between(&mut rng, date(2018, 1, 1), date(2025, 3, 31))
        };
        let (earliest, latest) = (hired + Months::new(14), today - Months::new(2));
        let left = (matches!(id, 4 | 9 | 13) && earliest < latest)
            .then(|| between(&mut rng, earliest, latest));
        let team = TEAMS[(id as usize - 1) % TEAMS.len()];
        let first = FIRST[(id as usize * 7) % FIRST.len()];
        let last = LAST[(id as usize * 11) % LAST.len()];
        rows.push((
            "users",
            vec![
                id.into(),
                first.into(),
                last.into(),
                format!("{}.{}@pstral-demo.fr", ascii(first), ascii(last)).into(),
                team.into(),
                hired.into(),
                left.into(),
            ],
        ));
        staff.push(Employee { hired, left, team });
    }
    let managers: Vec<i64> = staff
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.left.is_none() && (e.team.starts_with("Ventes") || e.team == "Grands comptes")
        })
        .map(|(i, _)| i as i64 + 1)
        .collect();
    let large_account_managers: Vec<i64> = staff
        .iter()
        .enumerate()
        .filter(|(_, e)| e.left.is_none() && e.team == "Grands comptes")
        .map(|(i, _)| i as i64 + 1)
        .collect();

    let mut names: std::collections::BTreeSet<(String, &'static str)> = Default::default();
    let (mut client_id, mut contact_id, mut contract_id, mut payment_id) = (0i64, 0i64, 0i64, 0i64);
    let (mut document_id, mut note_id) = (0i64, 0i64);
    for &(year, count) in NEW_CLIENTS {
        let months = if year == today.year() {
            today.month()
        } else {
            12
        };
        for _ in 0..count {
            client_id += 1;
            let id = client_id;
            let month = seasonal_month(&mut rng, months);
            let created = day_in(&mut rng, year, month, today);
            let &(city, postal, _) = weighted(&mut rng, CITIES, |c| c.2);
            let &(sector, words, _) = weighted(&mut rng, SECTORS, |s| s.2);
            let company = loop {
                let last = LAST.choose(&mut rng).copied().unwrap_or("Martin");
                let word = words.choose(&mut rng).copied().unwrap_or("Conseil");
                let name = match rng.random_range(0..5) {
                    0 => format!(
                        "{} {last}",
                        PREFIXES.choose(&mut rng).copied().unwrap_or("Groupe")
                    ),
                    1 => format!("{last} {word}"),
                    2 => format!("{last} & Fils"),
                    3 => format!(
                        "{word} {}",
                        PLACES.choose(&mut rng).copied().unwrap_or("Horizon")
                    ),
                    _ => format!(
                        "{last} {word} {}",
                        PLACES.choose(&mut rng).copied().unwrap_or("Loire")
                    ),
                };
                if names.insert((name.clone(), city)) {
                    break name;
                }
            };
            let large = rng.random_bool(0.04) && year <= 2023;
            // Younger entries are more often still prospects.
            let age_days = (today - created).num_days();
            let prospect = rng.random_bool(if age_days < 180 { 0.45 } else { 0.07 });
            let churns = !prospect && !large && age_days > 540 && rng.random_bool(0.17);
            let payer = match rng.random_range(0..100) {
                0..80 => Payer::Good,
                80..95 => Payer::Slow,
                _ => Payer::Defaulting,
            };
            let payer = if churns && payer == Payer::Defaulting {
                Payer::Slow
            } else {
                payer
            };
            let manager = if large {
                *large_account_managers.choose(&mut rng).unwrap_or(&1)
            } else {
                *managers.choose(&mut rng).unwrap_or(&1)
            };
            // Unknown for about one in twenty: a data-quality case.
            let revenue: Option<f64> = (!rng.random_bool(0.05)).then(|| {
                let base = if large {
                    rng.random_range(50_000_000.0..400_000_000.0f64)
                } else {
                    rng.random_range(150_000.0..30_000_000.0f64)
                };
                (base / 1000.0).round() * 1000.0
            });

            // Contracts: the first soon after the first contact, more later
            // (large accounts many), each within the client's life.
            let mut contracts: Vec<NaiveDate> = Vec::new();
            if !prospect {
                let first = (created + chrono::Duration::days(rng.random_range(5..75))).min(today);
                let first = after_the_holidays(&mut rng, first, today);
                contracts.push(first);
                let more = if large {
                    rng.random_range(3..=6)
                } else {
                    rng.random_range(0..=2)
                };
                for _ in 0..more {
                    let earliest = first + chrono::Duration::days(30);
                    if earliest >= today {
                        break;
                    }
                    let year = rng.random_range(earliest.year()..=today.year());
                    let last_month = if year == today.year() {
                        today.month()
                    } else {
                        12
                    };
                    let month = seasonal_month(&mut rng, last_month);
                    let start = day_in(&mut rng, year, month, today);
                    contracts.push(start.max(earliest));
                }
                contracts.sort();
            }
            // A client stops paying only after a year of paying.
            let payer = match contracts.first() {
                Some(first) if payer == Payer::Defaulting && (today - *first).num_days() < 365 => {
                    Payer::Slow
                }
                _ => payer,
            };
            let churned_on = churns.then(|| {
                let first = contracts[0];
                between(&mut rng, first + Months::new(12), today - Months::new(1)).min(today)
            });
            // Nothing is signed after the client left.
            if let Some(churn) = churned_on {
                contracts.retain(|start| *start < churn);
            }
            let status = match (prospect, churned_on) {
                (true, _) => "prospect",
                (false, Some(_)) => "résilié",
                (false, None) => "actif",
            };
            rows.push((
                "clients",
                vec![
                    id.into(),
                    company.clone().into(),
                    format!("{:09}{:05}", 300_000_000 + id * 7919, id).into(),
                    sector.into(),
                    city.into(),
                    postal.into(),
                    created.into(),
                    manager.into(),
                    revenue.into(),
                    status.into(),
                    churned_on.into(),
                ],
            ));

            // Contacts, with the deliberate data-quality cases.
            let domain = format!("{}.fr", ascii(&company.replace(' ', "")));
            for n in 0..rng.random_range(1..=3) {
                contact_id += 1;
                let first = FIRST.choose(&mut rng).copied().unwrap_or("Camille");
                let last = LAST.choose(&mut rng).copied().unwrap_or("Martin");
                let email = format!("{}.{}@{domain}", ascii(first), ascii(last));
                let email = (id % 97 != 5 || n > 0).then_some(email);
                let phone = format!(
                    "0{} {:02} {:02} {:02} {:02}",
                    rng.random_range(1..=5),
                    rng.random_range(0..100),
                    rng.random_range(0..100),
                    rng.random_range(0..100),
                    rng.random_range(0..100)
                );
                let title = JOB_TITLES.choose(&mut rng).copied().unwrap_or("Comptable");
                let row = vec![
                    contact_id.into(),
                    id.into(),
                    first.into(),
                    last.into(),
                    title.into(),
                    email.clone().into(),
                    phone.clone().into(),
                ];
                rows.push(("contacts", row));
                if id == 42 && n == 0 {
                    // The same person entered twice, the e-mail in capitals.
                    contact_id += 1;
                    rows.push((
                        "contacts",
                        vec![
                            contact_id.into(),
                            id.into(),
                            first.into(),
                            last.into(),
                            title.into(),
                            email.map(|e| e.to_uppercase()).into(),
                            phone.into(),
                        ],
                    ));
                }
            }

            // Documents of the client itself.
            document_id += 1;
            rows.push((
                "documents",
                vec![
                    document_id.into(),
                    id.into(),
                    None::<i64>.into(),
                    format!("Extrait Kbis {company}").into(),
                    "kbis".into(),
                    between(
                        &mut rng,
                        created,
                        (created + chrono::Duration::days(10)).min(today),
                    )
                    .into(),
                    rng.random_range(80..400i64).into(),
                ],
            ));
            if prospect {
                document_id += 1;
                rows.push((
                    "documents",
                    vec![
                        document_id.into(),
                        id.into(),
                        None::<i64>.into(),
                        format!("Devis {company}").into(),
                        "devis".into(),
                        between(&mut rng, created, today).into(),
                        rng.random_range(60..900i64).into(),
                    ],
                ));
            }

            // Each contract, its payments and documents.
            let mut defaulted_from: Option<NaiveDate> = None;
            if payer == Payer::Defaulting {
                // Long enough ago that a quarterly payment fell due since.
                defaulted_from = Some(today - chrono::Duration::days(rng.random_range(120..240)));
            }
            let count = contracts.len();
            for (n, starts) in contracts.iter().enumerate() {
                contract_id += 1;
                let starts = *starts;
                let (product, price) =
                    *PRODUCTS.choose(&mut rng).unwrap_or(&("Maintenance", 310.0));
                let scale = if large {
                    rng.random_range(2.5..6.0)
                } else {
                    rng.random_range(0.8..2.2)
                };
                let monthly = money(price * scale);
                let term: u32 = *[12u32, 24, 36].choose(&mut rng).unwrap_or(&12);
                let monthly_billing = rng.random_bool(0.7);
                // An earlier contract may end at a term boundary (not
                // renewed); the last one runs until the client leaves.
                let terms_done = ((today - starts).num_days() / 30) as u32 / term;
                let closed_at = (n + 1 < count && terms_done >= 1 && rng.random_bool(0.4))
                    .then(|| starts + Months::new(term * rng.random_range(1..=terms_done)))
                    .filter(|end| *end <= today && churned_on.is_none_or(|c| *end < c));
                let (ends, status) = match (closed_at, churned_on) {
                    (Some(end), _) => (Some(end), "clos"),
                    (None, Some(churn)) => (Some(churn.max(starts)), "résilié"),
                    (None, None) if defaulted_from.is_some() => (None, "suspendu"),
                    (None, None) => (None, "actif"),
                };
                rows.push((
                    "contracts",
                    vec![
                        contract_id.into(),
                        id.into(),
                        format!("CTR-{}-{contract_id:05}", starts.format("%Y")).into(),
                        product.into(),
                        starts.into(),
                        i64::from(term).into(),
                        ends.into(),
                        monthly.into(),
                        if monthly_billing {
                            "mensuel"
                        } else {
                            "trimestriel"
                        }
                        .into(),
                        status.into(),
                    ],
                ));
                for (kind, title, day, size) in [
                    (
                        "devis",
                        "Devis",
                        between(
                            &mut rng,
                            created.max(starts - chrono::Duration::days(30)),
                            starts,
                        ),
                        300,
                    ),
                    ("contrat", "Contrat signé", starts, 900),
                ] {
                    document_id += 1;
                    rows.push((
                        "documents",
                        vec![
                            document_id.into(),
                            id.into(),
                            contract_id.into(),
                            format!("{title} {product} {}", starts.format("%m/%Y")).into(),
                            kind.into(),
                            day.into(),
                            (size + rng.random_range(0..600i64)).into(),
                        ],
                    ));
                }
                let method_for_all = if monthly_billing {
                    "prélèvement"
                } else {
                    ["virement", "virement", "carte", "chèque"]
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or("virement")
                };
                if monthly_billing {
                    document_id += 1;
                    rows.push((
                        "documents",
                        vec![
                            document_id.into(),
                            id.into(),
                            contract_id.into(),
                            format!("RIB {company}").into(),
                            "rib".into(),
                            starts.into(),
                            rng.random_range(40..120i64).into(),
                        ],
                    ));
                }
                let last_day = ends.unwrap_or(today);
                if ends.is_none() && (today - starts).num_days() > 400 && rng.random_bool(0.15) {
                    document_id += 1;
                    rows.push((
                        "documents",
                        vec![
                            document_id.into(),
                            id.into(),
                            contract_id.into(),
                            format!("Avenant {product}").into(),
                            "avenant".into(),
                            between(&mut rng, starts + chrono::Duration::days(180), today).into(),
                            rng.random_range(120..700i64).into(),
                        ],
                    ));
                }

                // Payments: one per period from the start while the
                // contract runs, and the next one scheduled if it still does.
                let period = if monthly_billing { 1 } else { 3 };
                let amount = money(monthly * f64::from(period));
                let mut k = 0;
                loop {
                    let due = starts + Months::new(k * period);
                    k += 1;
                    let running = ends.is_none();
                    if due > last_day && !(running && due > today) {
                        break;
                    }
                    if ends.is_some_and(|end| due >= end) {
                        break;
                    }
                    payment_id += 1;
                    let upcoming = due > today;
                    let unpaid_default = defaulted_from.is_some_and(|from| due >= from);
                    let paid = if upcoming || unpaid_default {
                        None
                    } else {
                        let late = match payer {
                            Payer::Good => rng.random_bool(0.03),
                            Payer::Slow => rng.random_bool(0.4),
                            Payer::Defaulting => rng.random_bool(0.2),
                        };
                        let delay = if late {
                            rng.random_range(GRACE_DAYS + 1..80)
                        } else {
                            rng.random_range(-6..=10)
                        };
                        Some(due + chrono::Duration::days(delay)).filter(|d| *d <= today)
                    };
                    let status = match paid {
                        Some(day) if (day - due).num_days() <= GRACE_DAYS => "payé",
                        Some(_) => "payé en retard",
                        None if upcoming => "à venir",
                        None if (today - due).num_days() <= GRACE_DAYS => "en attente",
                        None => "impayé",
                    };
                    rows.push((
                        "payments",
                        vec![
                            payment_id.into(),
                            contract_id.into(),
                            due.into(),
                            paid.into(),
                            amount.into(),
                            method_for_all.into(),
                            status.into(),
                        ],
                    ));
                    if upcoming {
                        break;
                    }
                }
            }

            // Notes by whoever was employed at the time, the account
            // manager when they were.
            let until = churned_on.map_or(today, |c| (c + chrono::Duration::days(60)).min(today));
            for _ in 0..rng.random_range(0..=5) {
                let written = between(&mut rng, created, until);
                let author = if staff[manager as usize - 1].employed_on(written) {
                    manager
                } else {
                    let present: Vec<i64> = (1..=staff.len() as i64)
                        .filter(|a| staff[*a as usize - 1].employed_on(written))
                        .collect();
                    match present.choose(&mut rng) {
                        Some(a) => *a,
                        None => continue,
                    }
                };
                let topic = if prospect {
                    PROSPECT_NOTES
                } else if churned_on.is_some_and(|c| written >= c - chrono::Duration::days(30)) {
                    CHURN_NOTES
                } else if defaulted_from.is_some_and(|d| written >= d)
                    || payer == Payer::Slow && rng.random_bool(0.3)
                {
                    LATE_NOTES
                } else {
                    CLIENT_NOTES
                };
                note_id += 1;
                rows.push((
                    "client_notes",
                    vec![
                        note_id.into(),
                        id.into(),
                        author.into(),
                        written.into(),
                        topic
                            .choose(&mut rng)
                            .copied()
                            .unwrap_or(CLIENT_NOTES[0])
                            .into(),
                    ],
                ));
            }
        }
    }
    // Insertion in table order, parents first, each table by id.
    let order = |table: &str| super::model::TABLES.iter().position(|t| t.name == table);
    rows.sort_by_key(|(table, _)| order(table));
    rows
}

/// A signature that would fall in August (or December) is mostly put off
/// to the first days of the next month, as happens in French companies.
fn after_the_holidays(rng: &mut StdRng, day: NaiveDate, today: NaiveDate) -> NaiveDate {
    let put_off = match day.month() {
        8 => rng.random_bool(0.7),
        12 => rng.random_bool(0.4),
        _ => false,
    };
    if !put_off {
        return day;
    }
    let next = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).expect("a valid month")
        + Months::new(1)
        + chrono::Duration::days(rng.random_range(0..14));
    if next <= today { next } else { day }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}
