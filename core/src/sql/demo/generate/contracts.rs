//! A client's contracts: when each starts and ends, what it is worth and how
//! it is paid, the documents signed for it, and its payments, due monthly
//! or quarterly over its life and late as often as in real books.

use super::*;

impl Demo {
    /// Each contract of a client, with its documents and payments; the
    /// first day a payment of the client was late, if one was.
    pub(super) fn contracts(&mut self, client: &Client) -> Option<NaiveDate> {
        let today = self.today;
        let count = client.signed.len();
        let mut first_late: Option<NaiveDate> = None;
        for (n, &(starts, term)) in client.signed.iter().enumerate() {
            self.last.contract += 1;
            let contract_id = self.last.contract;
            let rng = &mut self.rng;
            let (product, price) = *PRODUCTS.choose(rng).unwrap_or(&("Maintenance", 310.0));
            let scale = if client.large {
                rng.random_range(2.5..6.0)
            } else if client.revenue < 1_000_000.0 {
                rng.random_range(0.4..0.9)
            } else {
                rng.random_range(0.8..2.2)
            };
            // Prices end in 0 or 5, as price lists do.
            let monthly = ((price * scale) / 5.0).round().max(1.0) * 5.0;
            let monthly_billing = rng.random_bool(0.7);
            // An earlier contract may end at a term boundary (not renewed);
            // the last one runs until the client leaves.
            let terms_done = ((today - starts).num_days() / 30) as u32 / term;
            let closed_at = (n + 1 < count && terms_done >= 1 && rng.random_bool(0.4))
                .then(|| starts + Months::new(term * rng.random_range(1..=terms_done)))
                .filter(|end| *end <= today && client.churned_on.is_none_or(|c| *end < c));
            let (ends, status) = match (closed_at, client.churned_on) {
                (Some(end), _) => (Some(end), "clos"),
                (None, Some(churn)) => (Some(churn.max(starts)), "résilié"),
                (None, None) if client.defaulted_from.is_some() => (None, "suspendu"),
                (None, None) => (None, "actif"),
            };
            self.rows.push((
                "contracts",
                vec![
                    contract_id.into(),
                    client.id.into(),
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
            let method = self.contract_documents(
                client,
                contract_id,
                product,
                starts,
                ends,
                monthly_billing,
            );
            let contract = Contract {
                id: contract_id,
                starts,
                ends,
                monthly,
                monthly_billing,
                method,
            };
            if let Some(late) = self.payments(client, &contract) {
                first_late = Some(first_late.map_or(late, |d| d.min(late)));
            }
        }
        first_late
    }

    /// A contract's documents (its quote, the signed contract, the bank
    /// details of a direct debit, sometimes an amendment); how it is paid.
    fn contract_documents(
        &mut self,
        client: &Client,
        contract: i64,
        product: &str,
        starts: NaiveDate,
        ends: Option<NaiveDate>,
        monthly_billing: bool,
    ) -> &'static str {
        let today = self.today;
        let quoted = between(
            &mut self.rng,
            client.created.max(starts - chrono::Duration::days(30)),
            starts,
        );
        for (kind, title, day, size) in [
            ("devis", "Devis", quoted, 300),
            ("contrat", "Contrat signé", starts, 900),
        ] {
            Document {
                client: client.id,
                contract: Some(contract),
                title: format!("{title} {product} {}", starts.format("%m/%Y")),
                kind,
                uploaded: day,
                size_kb: (size + self.rng.random_range(0..600i64)),
            }
            .push(&mut self.rows, &mut self.last.document);
        }
        let method = if monthly_billing {
            "prélèvement"
        } else {
            ["virement", "virement", "carte", "chèque"]
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("virement")
        };
        if monthly_billing {
            Document {
                client: client.id,
                contract: Some(contract),
                title: format!("RIB {}", client.company),
                kind: "rib",
                uploaded: starts,
                size_kb: self.rng.random_range(40..120i64),
            }
            .push(&mut self.rows, &mut self.last.document);
        }
        if ends.is_none() && (today - starts).num_days() > 400 && self.rng.random_bool(0.15) {
            Document {
                client: client.id,
                contract: Some(contract),
                title: format!("Avenant {product}"),
                kind: "avenant",
                uploaded: between(&mut self.rng, starts + chrono::Duration::days(180), today),
                size_kb: self.rng.random_range(120..700i64),
            }
            .push(&mut self.rows, &mut self.last.document);
        }
        method
    }

    /// A contract's payments: one per period from the start while it runs,
    /// and the next one scheduled if it still does. Returns the first day
    /// one of them was late, if one was.
    fn payments(&mut self, client: &Client, contract: &Contract) -> Option<NaiveDate> {
        let (today, starts, ends) = (self.today, contract.starts, contract.ends);
        let last_day = ends.unwrap_or(today);
        let period = if contract.monthly_billing { 1 } else { 3 };
        let amount = money(contract.monthly * f64::from(period));
        let mut first_late: Option<NaiveDate> = None;
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
            self.last.payment += 1;
            let upcoming = due > today;
            // The last bill of a slow payer who left may never be paid: old
            // bad debt.
            let left_unpaid = client.churned_on.is_some_and(|churn| {
                client.payer == Payer::Slow
                    && due + Months::new(period) >= churn
                    && client.id % 2 == 0
            });
            let unpaid_default = client.defaulted_from.is_some_and(|from| due >= from);
            let paid = if upcoming || unpaid_default || left_unpaid {
                None
            } else {
                let rng = &mut self.rng;
                let late = match client.payer {
                    Payer::Good => rng.random_bool(0.03),
                    Payer::Slow => rng.random_bool(0.4),
                    Payer::Defaulting => rng.random_bool(0.2),
                };
                // A direct debit is taken on the due date (the bank may take
                // a day or two); a transfer may come early.
                let delay = match (late, contract.method) {
                    (true, _) => rng.random_range(GRACE_DAYS + 1..80),
                    (false, "prélèvement") => rng.random_range(0..=2),
                    (false, _) => rng.random_range(-6..=10),
                };
                let day = due + chrono::Duration::days(delay);
                Some(working(day.max(starts), starts, today)).filter(|d| *d <= today)
            };
            let status = match paid {
                Some(day) if (day - due).num_days() <= GRACE_DAYS => "payé",
                Some(_) => "payé en retard",
                None if upcoming => "à venir",
                None if (today - due).num_days() <= GRACE_DAYS => "en attente",
                None => "impayé",
            };
            if matches!(status, "impayé" | "payé en retard") {
                let overdue = due + chrono::Duration::days(GRACE_DAYS + 1);
                first_late = Some(first_late.map_or(overdue, |d| d.min(overdue)));
            }
            self.rows.push((
                "payments",
                vec![
                    self.last.payment.into(),
                    contract.id.into(),
                    due.into(),
                    paid.into(),
                    amount.into(),
                    contract.method.into(),
                    status.into(),
                ],
            ));
            if upcoming {
                break;
            }
        }
        first_late
    }
}

/// A contract, as its payments need it.
struct Contract {
    id: i64,
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    monthly: f64,
    monthly_billing: bool,
    /// How it is paid.
    method: &'static str,
}
