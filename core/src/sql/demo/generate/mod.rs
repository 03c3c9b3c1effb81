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

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::V;
use super::words::{
    CHURN_NOTES, CITIES, CLIENT_NOTES, City, FIRST, JOB_TITLES, LAST, LATE_NOTES, NEW_CLIENTS,
    NORTH_PLACES, PREFIXES, PRODUCTS, PROSPECT_NOTES, SEASON, SECTORS, SOUTH_PLACES, TEAMS,
};

mod contracts;

/// The demo's "today": the last day of its data.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 10, 31).expect("a valid date")
}

/// Days after `due_on` before an unpaid payment is late ("impayé").
pub const GRACE_DAYS: i64 = 15;

/// Rows in insertion order, each with its table's name.
pub(super) type Rows = Vec<(&'static str, Vec<V>)>;

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

/// `day`, or the nearest working day within `from..=to` when it falls on a
/// weekend (offices sign, pay and write on working days).
fn working(day: NaiveDate, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    use chrono::Weekday::{Sat, Sun};
    let shift = match day.weekday() {
        Sat => [2, -1],
        Sun => [1, -2],
        _ => return day,
    };
    shift
        .iter()
        .map(|d| day + chrono::Duration::days(*d))
        .find(|d| (from..=to).contains(d))
        .unwrap_or(day)
}

/// A working day of `month` (1–12) in `year`, no later than `last`.
fn day_in(rng: &mut StdRng, year: i32, month: u32, last: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
    let next = first + Months::new(1);
    let days = (next - first).num_days();
    let day = first + chrono::Duration::days(rng.random_range(0..days));
    working(day.min(last), first, last)
}

/// A working day between `from` and `to` (both included; `from` when `to`
/// is earlier).
fn between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    working(
        from + chrono::Duration::days(rng.random_range(0..=span)),
        from,
        to,
    )
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

/// Every row of the demo, in insertion order: the staff, then each year's
/// new clients, each with its contacts, documents, contracts, payments and
/// notes.
pub(super) fn generate() -> Rows {
    let mut demo = Demo::new();
    demo.staff();
    let managers = Managers::of(&demo.staff);
    for &(year, count) in NEW_CLIENTS {
        let months = if year == demo.today.year() {
            demo.today.month()
        } else {
            12
        };
        for _ in 0..count {
            demo.client(year, months, &managers);
        }
    }
    // Insertion in table order, parents first, each table by id.
    let order = |table: &str| super::model::TABLES.iter().position(|t| t.name == table);
    let mut rows = demo.rows;
    rows.sort_by_key(|(table, _)| order(table));
    rows
}

/// The generator: its one random source, drawn from in a fixed order (so
/// every step below keeps its place in the sequence), the rows so far, and
/// what later rows depend on.
struct Demo {
    rng: StdRng,
    today: NaiveDate,
    rows: Rows,
    staff: Vec<Employee>,
    /// Company names taken.
    names: BTreeSet<String>,
    /// SIRENs taken.
    sirens: BTreeSet<u64>,
    /// The first company's name and city: a later one in another city
    /// shares its name, as happens.
    first_company: Option<(String, &'static str)>,
    /// The last id given in each table.
    last: Ids,
}

#[derive(Default)]
struct Ids {
    client: i64,
    contact: i64,
    contract: i64,
    payment: i64,
    document: i64,
    note: i64,
}

/// Who may manage a new client: the current staff of each sales team.
struct Managers {
    north: Vec<i64>,
    south: Vec<i64>,
    large_accounts: Vec<i64>,
}

impl Managers {
    fn of(staff: &[Employee]) -> Self {
        let current = |team: &str| -> Vec<i64> {
            (1..=staff.len() as i64)
                .filter(|id| {
                    let e = &staff[*id as usize - 1];
                    e.left.is_none() && e.team == team
                })
                .collect()
        };
        Managers {
            north: current("Ventes Nord"),
            south: current("Ventes Sud"),
            large_accounts: current("Grands comptes"),
        }
    }
}

/// A client as drawn, before its rows are written.
struct Client {
    id: i64,
    company: String,
    created: NaiveDate,
    city: &'static City,
    large: bool,
    revenue: f64,
    payer: Payer,
    manager: i64,
    /// Each signed contract's start and commitment period, in months.
    signed: Vec<(NaiveDate, u32)>,
    churned_on: Option<NaiveDate>,
    defaulted_from: Option<NaiveDate>,
}

impl Client {
    fn prospect(&self) -> bool {
        self.signed.is_empty() && self.churned_on.is_none()
    }
}

impl Demo {
    fn new() -> Self {
        Demo {
            rng: StdRng::seed_from_u64(20_251_031),
            today: today(),
            rows: Vec::new(),
            staff: Vec::new(),
            names: BTreeSet::new(),
            sirens: BTreeSet::new(),
            first_company: None,
            last: Ids::default(),
        }
    }

    /// The staff: a core hired early, some who joined as the company grew,
    /// and three who have left. Teams in turn: Ventes Nord, Ventes Sud,
    /// Grands comptes, Support, Recouvrement.
    fn staff(&mut self) {
        let today = self.today;
        for id in 1..=18i64 {
            let hired = if id <= 6 {
                between(&mut self.rng, date(2012, 1, 1), date(2017, 6, 30))
            } else {
                between(&mut self.rng, date(2018, 1, 1), date(2025, 3, 31))
            };
            let (earliest, latest) = (hired + Months::new(14), today - Months::new(2));
            let left = (matches!(id, 4 | 9 | 13) && earliest < latest)
                .then(|| between(&mut self.rng, earliest, latest));
            let team = TEAMS[(id as usize - 1) % TEAMS.len()];
            // Distinct names: steps prime to the lists' lengths.
            let (first, _) = FIRST[(id as usize * 5 + 3) % FIRST.len()];
            let last = LAST[(id as usize * 11) % LAST.len()];
            self.rows.push((
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
            self.staff.push(Employee { hired, left, team });
        }
    }

    /// One new client of `year` (entered in one of its first `months`), and
    /// every row that depends on it.
    fn client(&mut self, year: i32, months: u32, managers: &Managers) {
        let today = self.today;
        self.last.client += 1;
        let id = self.last.client;
        let month = seasonal_month(&mut self.rng, months);
        let created = day_in(&mut self.rng, year, month, today);
        let city = weighted(&mut self.rng, CITIES, |c| c.weight);
        let postal = city
            .postal
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("75008");
        let &(sector, words, _) = weighted(&mut self.rng, SECTORS, |s| s.2);
        let company = self.company_name(id, city, words);
        let large = self.rng.random_bool(0.04) && year <= 2023;
        // Revenue spreads over orders of magnitude; unknown for about one
        // client in twenty (a data-quality case).
        let known_revenue = !self.rng.random_bool(0.05);
        let revenue = if large {
            10f64.powf(self.rng.random_range(7.7..8.7))
        } else {
            10f64.powf(self.rng.random_range(5.3..7.5))
        };
        let revenue_shown = known_revenue.then(|| (revenue / 1000.0).round() * 1000.0);
        // Younger entries are more often still prospects.
        let age_days = (today - created).num_days();
        let prospect = self
            .rng
            .random_bool(if age_days < 180 { 0.45 } else { 0.07 });
        let churns = !prospect && !large && age_days > 540 && self.rng.random_bool(0.17);
        let payer = match self.rng.random_range(0..100) {
            0..80 => Payer::Good,
            80..95 => Payer::Slow,
            _ => Payer::Defaulting,
        };
        let manager = if large {
            *managers.large_accounts.choose(&mut self.rng).unwrap_or(&3)
        } else if city.south {
            *managers.south.choose(&mut self.rng).unwrap_or(&2)
        } else {
            *managers.north.choose(&mut self.rng).unwrap_or(&1)
        };
        let mut client = Client {
            id,
            company,
            created,
            city,
            large,
            revenue,
            payer,
            manager,
            signed: Vec::new(),
            churned_on: None,
            defaulted_from: None,
        };
        let contracts = if prospect {
            Vec::new()
        } else {
            self.contract_starts(&client)
        };
        self.commitments(&mut client, contracts, churns);
        let status = match (client.prospect(), client.churned_on) {
            (true, _) => "prospect",
            (false, Some(_)) => "résilié",
            (false, None) => "actif",
        };
        self.rows.push((
            "clients",
            vec![
                id.into(),
                client.company.clone().into(),
                siret(&mut self.rng, &mut self.sirens).into(),
                sector.into(),
                city.name.into(),
                postal.into(),
                created.into(),
                manager.into(),
                revenue_shown.into(),
                status.into(),
                client.churned_on.into(),
            ],
        ));
        self.contacts(&client);
        self.client_documents(&client);
        let first_late = self.contracts(&client);
        self.notes(&client, first_late);
    }

    /// A company name unique among those taken (but for one that shares
    /// the first company's name in another city).
    fn company_name(&mut self, id: i64, city: &'static City, words: &[&str]) -> String {
        let places = if city.south {
            SOUTH_PLACES
        } else {
            NORTH_PLACES
        };
        let company = match &self.first_company {
            Some((name, town)) if id == 77 && *town != city.name => name.clone(),
            _ => loop {
                let rng = &mut self.rng;
                let last = LAST.choose(rng).copied().unwrap_or("Martin");
                let word = words.choose(rng).copied().unwrap_or("Conseil");
                let place = places.choose(rng).copied().unwrap_or("Horizon");
                let name = match rng.random_range(0..5) {
                    0 => format!(
                        "{} {last}",
                        PREFIXES.choose(rng).copied().unwrap_or("Groupe")
                    ),
                    1 => format!("{last} {word}"),
                    2 => format!("{last} & Fils"),
                    3 => format!("{word} {place}"),
                    _ => format!("{last} {word} {place}"),
                };
                if self.names.insert(name.clone()) {
                    break name;
                }
            },
        };
        if self.first_company.is_none() {
            self.first_company = Some((company.clone(), city.name));
        }
        company
    }

    /// When a client's contracts start: the first soon after the first
    /// contact, more later (large accounts many, small companies few), each
    /// within its life. None when the first would fall after today: the
    /// company, still deciding, stays a prospect.
    fn contract_starts(&mut self, client: &Client) -> Vec<NaiveDate> {
        let (today, created, rng) = (self.today, client.created, &mut self.rng);
        let first = created + chrono::Duration::days(rng.random_range(5..75));
        let first = after_the_holidays(rng, first, today);
        let first = working(first, created, today);
        if first > today {
            return Vec::new();
        }
        let mut contracts = vec![first];
        let more = if client.large {
            rng.random_range(3..=6)
        } else if client.revenue < 1_000_000.0 {
            rng.random_range(0..=1)
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
            let month = seasonal_month(rng, last_month);
            let start = day_in(rng, year, month, today);
            contracts.push(working(start.max(earliest), earliest, today));
        }
        contracts.sort();
        contracts
    }

    /// The contracts a client signs, from their starts, with how its story
    /// ends: a client stops paying only after a year of paying, and signs
    /// nothing more from then on; one that `churns` leaves at the end of a
    /// term of its last contract when one falls in time, else breaks it
    /// early.
    fn commitments(&mut self, client: &mut Client, mut contracts: Vec<NaiveDate>, churns: bool) {
        let today = self.today;
        let rng = &mut self.rng;
        client.defaulted_from = match contracts.first() {
            Some(first)
                if client.payer == Payer::Defaulting
                    && !churns
                    && (today - *first).num_days() >= 365 =>
            {
                Some(today - chrono::Duration::days(rng.random_range(120..240)))
            }
            _ => None,
        };
        if client.payer == Payer::Defaulting && client.defaulted_from.is_none() {
            client.payer = Payer::Slow;
        }
        if let Some(from) = client.defaulted_from {
            contracts.retain(|start| *start < from);
        }
        let mut signed: Vec<(NaiveDate, u32)> = contracts
            .iter()
            .map(|start| (*start, *[12u32, 24, 36].choose(rng).unwrap_or(&12)))
            .collect();
        client.churned_on = (churns && !signed.is_empty()).then(|| {
            let first = signed[0].0;
            let (last, term) = signed[signed.len() - 1];
            let latest = today - Months::new(1);
            let at_term = (1..=6u32)
                .map(|k| last + Months::new(term * k))
                .filter(|end| *end >= first + Months::new(12) && *end <= latest)
                .collect::<Vec<_>>();
            match at_term.choose(rng) {
                Some(end) if rng.random_bool(0.7) => *end,
                _ => between(rng, first + Months::new(12), latest).min(today),
            }
        });
        if let Some(churn) = client.churned_on {
            signed.retain(|(start, _)| *start < churn);
        }
        client.signed = signed;
    }

    /// A client's contacts, with the deliberate data-quality cases: one
    /// without an e-mail, one entered twice.
    fn contacts(&mut self, client: &Client) {
        let id = client.id;
        let domain = format!("{}-{id}.fr", ascii(&client.company.replace(' ', "")));
        for n in 0..self.rng.random_range(1..=3) {
            self.last.contact += 1;
            let rng = &mut self.rng;
            let &(first, woman) = FIRST.choose(rng).unwrap_or(&("Camille", true));
            let last = LAST.choose(rng).copied().unwrap_or("Martin");
            let email = format!("{}.{}@{domain}", ascii(first), ascii(last));
            let email = (id % 97 != 5 || n > 0).then_some(email);
            let phone = format!(
                "0{} {:02} {:02} {:02} {:02}",
                client.city.phone,
                rng.random_range(0..100),
                rng.random_range(0..100),
                rng.random_range(0..100),
                rng.random_range(0..100)
            );
            let &(as_man, as_woman) = JOB_TITLES
                .choose(rng)
                .unwrap_or(&("Comptable", "Comptable"));
            let title = if woman { as_woman } else { as_man };
            let row = vec![
                self.last.contact.into(),
                id.into(),
                first.into(),
                last.into(),
                title.into(),
                email.clone().into(),
                phone.clone().into(),
            ];
            self.rows.push(("contacts", row));
            if id == 42 && n == 0 {
                // The same person entered twice, the e-mail in capitals.
                self.last.contact += 1;
                self.rows.push((
                    "contacts",
                    vec![
                        self.last.contact.into(),
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
    }

    /// The documents of the client itself: its Kbis extract, and a quote
    /// while it is a prospect.
    fn client_documents(&mut self, client: &Client) {
        let (today, created, company) = (self.today, client.created, &client.company);
        Document {
            client: client.id,
            contract: None,
            title: format!("Extrait Kbis {company}"),
            kind: "kbis",
            uploaded: between(
                &mut self.rng,
                created,
                (created + chrono::Duration::days(10)).min(today),
            ),
            size_kb: self.rng.random_range(80..400i64),
        }
        .push(&mut self.rows, &mut self.last.document);
        if client.prospect() {
            Document {
                client: client.id,
                contract: None,
                title: format!("Devis {company}"),
                kind: "devis",
                uploaded: between(&mut self.rng, created, today),
                size_kb: self.rng.random_range(60..900i64),
            }
            .push(&mut self.rows, &mut self.last.document);
        }
    }

    /// Notes about what was happening when they were written: the sale
    /// before the first contract, reminders (by collections) once a payment
    /// was late, the departure in its last month.
    fn notes(&mut self, client: &Client, first_late: Option<NaiveDate>) {
        let until = client.churned_on.unwrap_or(self.today);
        let staff = &self.staff;
        let collectors: Vec<i64> = (1..=staff.len() as i64)
            .filter(|a| staff[*a as usize - 1].team == "Recouvrement")
            .collect();
        for _ in 0..self.rng.random_range(0..=5) {
            let rng = &mut self.rng;
            let written = between(rng, client.created, until);
            let (topic, by_collections) = if client
                .signed
                .first()
                .is_none_or(|(first, _)| written < *first)
            {
                (PROSPECT_NOTES, false)
            } else if client
                .churned_on
                .is_some_and(|c| written >= c - chrono::Duration::days(30))
            {
                (CHURN_NOTES, false)
            } else if first_late.is_some_and(|d| written >= d) && rng.random_bool(0.6) {
                (LATE_NOTES, true)
            } else {
                (CLIENT_NOTES, false)
            };
            let employed = |a: &i64| staff[*a as usize - 1].employed_on(written);
            let author = if by_collections {
                collectors
                    .iter()
                    .copied()
                    .filter(employed)
                    .collect::<Vec<_>>()
                    .choose(rng)
                    .copied()
            } else if employed(&client.manager) {
                Some(client.manager)
            } else {
                // Someone else then, but not collections.
                (1..=staff.len() as i64)
                    .filter(|a| staff[*a as usize - 1].team != "Recouvrement")
                    .filter(employed)
                    .collect::<Vec<_>>()
                    .choose(rng)
                    .copied()
            };
            let Some(author) = author else {
                continue;
            };
            self.last.note += 1;
            let text = topic.choose(rng).copied().unwrap_or(CLIENT_NOTES[0]);
            self.rows.push((
                "client_notes",
                vec![
                    self.last.note.into(),
                    client.id.into(),
                    author.into(),
                    written.into(),
                    text.into(),
                ],
            ));
        }
    }
}

/// A file kept for a client.
struct Document {
    client: i64,
    contract: Option<i64>,
    title: String,
    kind: &'static str,
    uploaded: NaiveDate,
    size_kb: i64,
}

impl Document {
    /// Adds its row, numbered after the last document's.
    fn push(self, rows: &mut Rows, last_id: &mut i64) {
        *last_id += 1;
        rows.push((
            "documents",
            vec![
                (*last_id).into(),
                self.client.into(),
                self.contract.into(),
                self.title.into(),
                self.kind.into(),
                self.uploaded.into(),
                self.size_kb.into(),
            ],
        ));
    }
}

/// A SIRET: a SIREN of nine digits that passes the Luhn check, unique, then
/// an establishment number of five that makes the fourteen pass it too.
fn siret(rng: &mut StdRng, taken: &mut BTreeSet<u64>) -> String {
    let siren = loop {
        let body: u64 = rng.random_range(30_000_000..99_999_999);
        let candidate = body * 10 + luhn_digit(&body.to_string());
        if taken.insert(candidate) {
            break candidate;
        }
    };
    let nic_body: u64 = rng.random_range(1..=1000);
    let partial = format!("{siren:09}{nic_body:04}");
    format!("{partial}{}", luhn_digit(&partial))
}

/// The digit that makes `digits` followed by it pass the Luhn check.
fn luhn_digit(digits: &str) -> u64 {
    let sum: u64 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u64::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
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
