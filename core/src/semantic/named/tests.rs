use super::*;

fn demo() -> Definitions {
    Definitions::parse(crate::sql::demo::SEMANTIC).expect("the demo's semantic model")
}

fn values() -> BTreeMap<String, Vec<String>> {
    let held = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    BTreeMap::from([
        (
            "client_city".to_owned(),
            held(&["Lyon", "Paris", "Marseille"]),
        ),
        ("contact_job_title".to_owned(), held(&["DSI", "DAF"])),
        ("payment_method".to_owned(), held(&["chèque", "virement"])),
    ])
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 10, 31).expect("a day")
}

fn named(question: &str) -> Named {
    demo().named(question, &values(), today())
}

#[test]
fn a_follow_up_read_with_its_question_replaces_what_it_names_again_and_keeps_the_rest() {
    let first = named("Which clients in Lyon have late payments?");
    // Another value of the same dimension replaces it.
    let paris = first.then(&named("and in Paris?"));
    assert_eq!(paris.values["client_city"], vec!["Paris".to_owned()]);
    assert!(paris.segments.contains("late_payment"), "{paris:?}");
    // Another period replaces the earlier one.
    let collected = named("How much cash did we collect in 2024?");
    let earlier_year = collected.then(&named("And in 2023?"));
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        earlier_year.dates,
        Some((day(2023, 1, 1), day(2023, 12, 31)))
    );
    // A count, then "which ones?": rows, no longer a count.
    let count = named("How many contacts have no e-mail?");
    let which = count.then(&named("Which ones?"));
    assert!(which.listing && which.counted.is_empty(), "{which:?}");
    // A follow-up that names nothing changes nothing.
    assert!(!named("thanks a lot").names_something("thanks a lot"));
    assert!(!named("no thanks").names_something("no thanks"));
    assert!(named("and in Paris?").names_something("and in Paris?"));
    assert!(named("Just the top 3.").names_something("Just the top 3."));
    assert!(named("Lesquels ?").listing);
    // After a list, "how many" asks for a number.
    let list = named("Which clients are in Lyon?");
    let how_many = list.then(&named("And how many in Paris?"));
    assert!(!how_many.listing && how_many.numbered, "{how_many:?}");
    // In a thread, a question of its own is no follow-up.
    assert!(named("and in Paris?").elliptic());
    assert!(!named("What's our MRR by product?").elliptic());
}

#[test]
fn a_plans_dates_hold_for_a_question_only_when_the_bot_reads_its_period() {
    let d = demo();
    let dated = crate::semantic::plan::read(
            r#"{"kind": "aggregate", "measures": ["payment_count"], "filters": [{"dimension": "payment_due_on", "op": "<", "values": ["2025-10-31"]}]}"#,
        )
        .unwrap();
    let undated =
        crate::semantic::plan::read(r#"{"kind": "aggregate", "measures": ["payment_count"]}"#)
            .unwrap();
    // "Overdue" is read as no period: the plan's day was its own day's.
    let overdue = named("How many payments are overdue?");
    assert!(!overdue.dates_hold(&dated, &d));
    assert!(overdue.dates_hold(&undated, &d));
    // A period the bot reads replaces the plan's dates.
    assert!(named("How many payments were due last month?").dates_hold(&dated, &d));
}

#[test]
fn a_question_that_names_nothing_but_a_measure_offers_no_cut_filter_or_segment() {
    let named = named("What's our MRR today?");
    // It names the measure, and asks for a number ("what's our MRR").
    assert_eq!(named.measures, BTreeSet::from(["mrr".to_owned()]));
    assert!(named.numbered);
    assert_eq!(
        Named {
            measures: BTreeSet::new(),
            numbered: false,
            ..named.clone()
        },
        Named::default()
    );
    let offer = Offer::of(&demo(), &named);
    assert!(offer.cuts.is_empty() && offer.filters.is_empty() && offer.segments.is_empty());
}

#[test]
fn synonyms_values_and_segments_are_found_in_the_forms_people_write_them() {
    let named = named("Combien de clients lyonnais ont des paiements en retard ?");
    assert_eq!(named.values["client_city"], ["Lyon"]);
    assert!(named.segments.contains("late_payment"), "{named:?}");
    let offer = Offer::of(&demo(), &named);
    assert!(offer.filters.contains(&"client_city".to_owned()));
    assert!(!named.period && named.grain.is_none() && !named.proper);

    let named =
        self::named("Give me the names and phone numbers of the DSIs at our Paris clients.");
    assert_eq!(named.values["contact_job_title"], ["DSI"]);
    assert_eq!(named.values["client_city"], ["Paris"]);
    assert!(!named.proper, "DSIs and Paris are values: {named:?}");
}

#[test]
fn a_grain_is_a_span_rows_are_cut_by_and_a_period_a_span_named_relative_to_today() {
    let named = named("Combien de contrats a-t-on signés chaque mois cette année ?");
    assert!(named.dimensions.contains("contract_starts_on"), "{named:?}");
    assert!(named.grain == Some(Grain::Month) && named.period);
    let named = self::named("Month by month in 2025, how much cash did we collect?");
    assert!(named.grain == Some(Grain::Month) && named.period);
    let named = self::named("Average number of days late per city");
    assert!(named.dimensions.contains("client_city"));
    assert!(named.grain.is_none() && !named.period, "{named:?}");
    let named = self::named("Combien d'échéances tombent le mois prochain ?");
    assert!(named.period && named.grain.is_none());
    let offer = Offer::of(&demo(), &named);
    assert!(offer.filters.contains(&"payment_due_on".to_owned()));
    assert!(!offer.cuts.contains(&"contract_starts_on".to_owned()));
}

#[test]
fn someone_named_offers_the_text_dimensions_as_filters_a_new_sentence_does_not() {
    let named = named("Show me the notes Zoé Laurent wrote in 2025, with the client's name.");
    assert!(named.proper && named.period);
    let offer = Offer::of(&demo(), &named);
    assert!(
        offer.filters.contains(&"author_name".to_owned()),
        "{offer:?}"
    );
    let named = self::named("Quels clients ont des impayés ? Du plus gros au plus petit.");
    assert!(!named.proper, "{named:?}");
    assert!(self::named("Which notes mention 'migration'?").proper);
    assert!(!self::named("Combien de clients selon l'année d'arrivée ?").proper);
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a day")
}

fn dates(question: &str) -> Option<(NaiveDate, NaiveDate)> {
    named(question).dates
}

#[test]
fn the_period_a_question_names_is_read_as_its_first_and_last_days() {
    let year = Some((day("2024-01-01"), day("2024-12-31")));
    assert_eq!(dates("On a perdu combien de clients en 2024 ?"), year);
    assert_eq!(dates("Contracts signed last year"), year);
    assert_eq!(dates("Encaissé l'année dernière"), year);
    assert_eq!(
        dates("Combien d'échéances tombent le mois prochain ?"),
        Some((day("2025-11-01"), day("2025-11-30")))
    );
    assert_eq!(
        dates("Which reminders did the collections team write in October 2025?"),
        Some((day("2025-10-01"), day("2025-10-31")))
    );
    assert_eq!(
        dates("Combien de contrats a-t-on signés chaque mois cette année ?"),
        Some((day("2025-01-01"), day("2025-12-31")))
    );
    let so_far = Some((day("2025-01-01"), day("2025-10-31")));
    assert_eq!(dates("Cash collected by sector so far this year"), so_far);
    assert_eq!(
        dates("Montant encaissé mois par mois depuis janvier."),
        so_far
    );
    assert_eq!(
        dates("Liste des clients perdus depuis le début de l'année"),
        so_far
    );
    assert_eq!(
        dates("Which active clients haven't paid us anything since August 1st, 2025?"),
        Some((day("2025-08-01"), day("2025-10-31")))
    );
    assert_eq!(
        dates("Combien de clients actifs n'ont eu aucune note depuis le 1er mai 2025 ?"),
        Some((day("2025-05-01"), day("2025-10-31")))
    );
    assert_eq!(
        dates("Contracts signed this quarter"),
        Some((day("2025-10-01"), day("2025-12-31")))
    );
}

#[test]
fn no_period_is_read_where_there_is_none_several_or_a_bound() {
    assert_eq!(dates("What's our MRR today?"), None);
    assert_eq!(dates("Average number of days late per city"), None);
    assert_eq!(dates("Contracts signed in 2024 and in 2025"), None);
    assert_eq!(dates("Clients entered before 2024"), None);
    assert!(named("Clients entered before 2024").period);
}

#[test]
fn a_plans_date_filters_take_the_period_the_question_names() {
    let named = named("How much cash did we collect in 2024?");
    let mut plan = crate::semantic::plan::read(
            r#"{"kind": "aggregate", "measures": ["collected"], "filters": [{"dimension": "payment_paid_on", "op": "between", "values": ["2024-10-01", "2024-10-31"]}, {"dimension": "payment_method", "op": "=", "values": ["carte"]}]}"#,
        )
        .expect("a plan");
    assert!(named.date(&mut plan, &demo()));
    assert_eq!(plan.filters[0].values, ["2024-01-01", "2024-12-31"]);
    assert_eq!(plan.filters[1].values, ["carte"], "not a date: kept");
    assert!(!named.date(&mut plan, &demo()), "already the period");
}

#[test]
fn the_rows_a_question_counts_are_not_offered_as_a_cut_a_ranking_is_by_its_measure() {
    let named = named("Combien de clients avons-nous par statut ?");
    assert!(named.counted.contains("clients"), "{named:?}");
    let offer = Offer::of(&demo(), &named);
    assert_eq!(offer.cuts, ["client_status"]);
    assert!(
        offer.order.is_empty(),
        "a category orders nothing: {offer:?}"
    );
    let named = self::named("Which 3 clients have the most contracts running?");
    assert!(!named.counted.contains("clients"));
    assert!(
        Offer::of(&demo(), &named)
            .cuts
            .contains(&"client_company".to_owned())
    );
}

#[test]
fn a_field_with_nothing_offered_is_left_out_of_the_plans_schema() {
    let d = demo();
    let schema =
        crate::semantic::Semantic::plan_schema(&d, &Offer::of(&d, &named("What's our MRR today?")));
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("JSON");
    let properties = schema["properties"].as_object().expect("properties");
    for absent in ["dimensions", "segments", "filters"] {
        assert!(
            !properties.contains_key(absent),
            "{absent} in {properties:?}"
        );
    }
    assert!(properties.contains_key("measures"));
}

#[test]
fn a_top_n_a_bound_a_share_and_a_without_are_offered_only_when_the_question_says_them() {
    let d = demo();
    let offer = |q: &str| Offer::of(&d, &named(q));
    let top = offer("Quels sont les 5 clients qui ont payé le plus souvent en retard ?");
    assert_eq!(top.limits, Some(vec![5]));
    assert!(top.having && !top.share && !top.without);
    let none = offer("Répartition de nos clients par ville, de la plus à la moins représentée.");
    assert_eq!(none.limits, Some(vec![]), "no number: every row");
    assert!(!none.having);
    assert_eq!(
        named("Clients active since August 1st, 2025 in 2024").numbers,
        Vec::<u32>::new(),
        "days and years are no N"
    );
    assert!(offer("Quelle part de nos contrats est facturée au trimestre (en %) ?").share);
    assert!(offer("Combien de sociétés n'ont aucun contrat ?").without);
    assert!(offer("How many clients have never had a note?").without);
}

#[test]
fn a_question_for_rows_and_no_number_is_offered_a_list_only() {
    let d = demo();
    let kinds = |q: &str| Offer::of(&d, &named(q)).kinds;
    assert_eq!(
        kinds("Quels collaborateurs ont quitté la boîte, et à quelle date ?"),
        [Kind::List, Kind::None]
    );
    assert_eq!(
        kinds("Which clients don't have a known annual revenue?"),
        [Kind::List, Kind::None]
    );
    for numbered in [
        "Which 3 clients have the most contracts running?",
        "Quels clients ont des impayés, et pour quel montant ?",
        "Which clients currently subscribe to at least 3 different products?",
        "Who wrote notes about our Marseille clients, and how many each?",
    ] {
        assert_eq!(kinds(numbered).len(), 3, "{numbered}");
    }
}

#[test]
fn at_least_one_and_a_means_are_no_number_a_period_goes_to_the_dates_named() {
    let d = demo();
    let kinds = |q: &str| Offer::of(&d, &named(q)).kinds;
    assert_eq!(
        kinds("Which clients have at least one suspended contract?"),
        [Kind::List, Kind::None]
    );
    assert_eq!(
        kinds("Quels clients nous ont encore payé par chèque cette année ?"),
        [Kind::List, Kind::None]
    );
    let offer = Offer::of(&d, &named("Combien de contrats a-t-on signés en 2024 ?"));
    assert_eq!(offer.filters, ["contract_starts_on"]);
    let offer = Offer::of(&d, &named("Combien de clients en 2024 ?"));
    assert!(offer.filters.len() > 3, "no date named: any: {offer:?}");
}

#[test]
fn a_list_is_of_the_rows_the_question_asks_for_and_writes_no_measure() {
    let d = demo();
    let offer = Offer::of(
        &d,
        &named("Quels clients à Lyon ont des paiements en retard ?"),
    );
    assert_eq!(offer.entities, Some(vec!["clients".to_owned()]));
    let schema = crate::semantic::Semantic::plan_schema(&d, &offer);
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("JSON");
    assert_eq!(
        schema["properties"]["entity"]["enum"],
        serde_json::json!(["", "clients"])
    );
    assert!(schema["properties"].get("measures").is_none());
    assert!(schema["properties"].get("having").is_none());
    let offer = Offer::of(
        &d,
        &named("Which 3 clients have the most contracts running?"),
    );
    assert_eq!(offer.entities, None, "a number: any kind, any entity");
}
