//! What the demo CRM's rows are drawn from: French first and last names,
//! cities and their postal codes, sectors, products, job titles, teams and
//! the notes people write, with the weights that make them as common as in
//! a real company's data.

/// First names, and whether the person is a woman (job titles agree).
pub(super) const FIRST: &[(&str, bool)] = &[
    ("Camille", true),
    ("Léa", true),
    ("Manon", true),
    ("Chloé", true),
    ("Inès", true),
    ("Sarah", true),
    ("Jade", true),
    ("Louise", true),
    ("Zoé", true),
    ("Élodie", true),
    ("Sophie", true),
    ("Isabelle", true),
    ("Hélène", true),
    ("Cécile", true),
    ("Hugo", false),
    ("Lucas", false),
    ("Thomas", false),
    ("Nathan", false),
    ("Théo", false),
    ("Mathis", false),
    ("Raphaël", false),
    ("Louis", false),
    ("Gabriel", false),
    ("Jérôme", false),
    ("Nicolas", false),
    ("Julien", false),
    ("François", false),
    ("Antoine", false),
];
pub(super) const LAST: &[&str] = &[
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
/// A city where clients have their head office.
pub(super) struct City {
    pub(super) name: &'static str,
    /// Its postal codes (one per arrondissement for the three largest).
    pub(super) postal: &'static [&'static str],
    /// How many clients it has relative to the others (Paris most).
    pub(super) weight: u32,
    /// In the south half of the country: the "Ventes Sud" team's.
    pub(super) south: bool,
    /// The first digit of its landline numbers after the 0.
    pub(super) phone: u32,
}

const fn city(
    name: &'static str,
    postal: &'static [&'static str],
    weight: u32,
    south: bool,
    phone: u32,
) -> City {
    City {
        name,
        postal,
        weight,
        south,
        phone,
    }
}

pub(super) const CITIES: &[City] = &[
    city(
        "Paris",
        &[
            "75001", "75002", "75008", "75009", "75011", "75015", "75016", "75017",
        ],
        18,
        false,
        1,
    ),
    city(
        "Lyon",
        &["69001", "69002", "69003", "69006", "69007"],
        10,
        true,
        4,
    ),
    city(
        "Marseille",
        &["13001", "13002", "13006", "13008"],
        8,
        true,
        4,
    ),
    city("Toulouse", &["31000", "31200", "31400"], 7, true, 5),
    city("Bordeaux", &["33000", "33300", "33800"], 6, true, 5),
    city("Lille", &["59000", "59800"], 6, false, 3),
    city("Nantes", &["44000", "44100", "44300"], 6, false, 2),
    city("Strasbourg", &["67000", "67100"], 5, false, 3),
    city("Montpellier", &["34000", "34070"], 5, true, 4),
    city("Nice", &["06000", "06100", "06200"], 4, true, 4),
    city("Rennes", &["35000", "35200"], 4, false, 2),
    city("Grenoble", &["38000", "38100"], 3, true, 4),
    city("Reims", &["51100"], 2, false, 3),
    city("Besançon", &["25000"], 2, false, 3),
    city("Dijon", &["21000"], 2, false, 3),
    city("Angers", &["49000", "49100"], 2, false, 2),
    city("Nîmes", &["30000", "30900"], 2, true, 4),
    city("Clermont-Ferrand", &["63000", "63100"], 2, true, 4),
    city("Le Havre", &["76600"], 2, false, 2),
    city("Orléans", &["45000"], 2, false, 2),
];
/// Sectors, words their company names use, and their weight.
pub(super) const SECTORS: &[(&str, &[&str], u32)] = &[
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
pub(super) const PREFIXES: &[&str] = &[
    "Établissements",
    "Groupe",
    "Société",
    "Maison",
    "Cabinet",
    "Atelier",
];
/// Words of place company names use, north and south.
pub(super) const NORTH_PLACES: &[&str] = &[
    "du Nord",
    "Vauban",
    "Saint-Michel",
    "des Vosges",
    "Bellevue",
    "Montaigne",
    "Loire",
    "Atlantique",
    "Horizon",
    "Lumière",
];
pub(super) const SOUTH_PLACES: &[&str] = &[
    "du Rhône",
    "des Alpes",
    "Méditerranée",
    "Garonne",
    "Cévennes",
    "Provence",
    "Horizon",
    "Lumière",
];
/// Products and their usual monthly price.
pub(super) const PRODUCTS: &[(&str, f64)] = &[
    ("Hébergement cloud", 420.0),
    ("Licence ERP", 1250.0),
    ("Maintenance", 310.0),
    ("Support premium", 690.0),
    ("Téléphonie", 85.0),
    ("Sauvegarde", 160.0),
    ("Formation", 900.0),
    ("Cybersécurité", 540.0),
];
/// Job titles at clients, as a man's and as a woman's.
pub(super) const JOB_TITLES: &[(&str, &str)] = &[
    ("Directeur général", "Directrice générale"),
    ("Directeur financier", "Directrice financière"),
    ("Responsable achats", "Responsable achats"),
    ("DSI", "DSI"),
    ("Comptable", "Comptable"),
    ("Office manager", "Office manager"),
    ("Responsable informatique", "Responsable informatique"),
];
/// Signatures per month (January first): busy before summer and in the
/// autumn, quiet in August and December.
pub(super) const SEASON: [u32; 12] = [9, 9, 11, 10, 9, 11, 7, 3, 11, 12, 9, 5];
/// New clients entered per year, from 2018 (600 in all): the company grows.
pub(super) const NEW_CLIENTS: &[(i32, u32)] = &[
    (2018, 40),
    (2019, 50),
    (2020, 48),
    (2021, 62),
    (2022, 78),
    (2023, 92),
    (2024, 112),
    (2025, 118),
];
pub(super) const TEAMS: &[&str] = &[
    "Ventes Nord",
    "Ventes Sud",
    "Grands comptes",
    "Support",
    "Recouvrement",
];

pub(super) const PROSPECT_NOTES: &[&str] = &[
    "Premier rendez-vous : besoin d'une solution de sauvegarde pour trois sites.",
    "Devis envoyé ; le client compare avec un concurrent, décision attendue le mois prochain.",
    "Salon professionnel : intérêt pour l'offre cybersécurité, à rappeler.",
    "Appel de découverte : budget à confirmer par la direction financière.",
];
pub(super) const CLIENT_NOTES: &[&str] = &[
    "Rendez-vous téléphonique : le client souhaite revoir son offre avant la fin du trimestre.",
    "Très satisfait du support, envisage d'étendre le contrat à une seconde agence.",
    "Demande un devis pour la formation de cinq collaborateurs.",
    "Changement d'interlocuteur : la nouvelle DAF arrive le mois prochain.",
    "Incident résolu ; geste commercial accordé sur la prochaine échéance.",
    "Revue annuelle du compte : pas de changement prévu, relation stable.",
];
pub(super) const LATE_NOTES: &[&str] = &[
    "Relance pour une facture impayée ; promesse de règlement sous quinze jours.",
    "Deuxième relance sans réponse ; dossier transmis au recouvrement.",
    "Échéancier proposé au client pour les paiements en retard.",
];
pub(super) const CHURN_NOTES: &[&str] = &[
    "Le client annonce la résiliation : passage chez un concurrent moins cher.",
    "Résiliation reçue : fermeture de l'agence concernée.",
];
