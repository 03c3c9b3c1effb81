//! Tests of the imports: each rule of the two mappings on a small source,
//! what is left out and why, and that what is written reads back as a
//! semantic file.

use std::path::{Path, PathBuf};

use super::{ImportError, Imported, dbt, snowflake};
use crate::semantic::Definitions;
use crate::semantic::model::{Aggregate, DimensionType, Expr};

fn from_dbt(yaml: &str) -> Imported {
    dbt::from_texts(
        Path::new("project"),
        &[(PathBuf::from("models/a.yml"), yaml.to_owned())],
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn from_snowflake(yaml: &str) -> Imported {
    snowflake::from_text(yaml, Path::new("model.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

/// The written text, read back: it must be a valid semantic file.
fn read_back(imported: &Imported) -> Definitions {
    let text = imported.text(&["test".to_owned()]);
    let definitions = Definitions::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    definitions
        .check_names()
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    definitions
}

fn same(expr: &Option<Expr>) -> Option<&str> {
    match expr {
        Some(Expr::Same(sql)) => Some(sql),
        _ => None,
    }
}

fn left_out(imported: &Imported, start: &str) -> String {
    imported
        .left_out
        .iter()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("{start} is not left out: {:?}", imported.left_out))
        .clone()
}

const TWO_MODELS: &str = r#"
version: 2
models:
  - name: clients
    columns: [{name: id, tests: [unique]}]
semantic_models:
  - name: clients
    description: companies we sell to
    model: ref('clients')
    defaults: {agg_time_dimension: created_on}
    entities:
      - {name: client, type: primary, expr: id}
    dimensions:
      - {name: city, type: categorical}
      - {name: status, type: categorical, expr: status, label: client status}
      - {name: created_on, type: time, type_params: {time_granularity: day}}
      - {name: big, type: categorical, expr: "annual_revenue > 1000000"}
      - {name: broken, type: categorical, expr: "CASE WHEN"}
    measures:
      - {name: client_count, agg: count, expr: 1}
  - name: contracts
    model: "{{ ref('crm', 'contracts') }}"
    entities:
      - {name: contract, type: primary}
      - {name: client, type: foreign, expr: client_id}
      - {name: nobody, type: foreign, expr: nobody_id}
    dimensions:
      - {name: status, type: categorical}
      - {name: ends_on, type: time}
    measures:
      - {name: contract_count, agg: count, expr: contract}
      - {name: mrr_total, agg: sum, expr: monthly_amount, meta: {decimals: 2}}
      - {name: average_amount, agg: average, expr: monthly_amount, config: {meta: {decimals: 2}}}
      - {name: products, agg: count_distinct, expr: product}
      - {name: renewals, agg: sum_boolean, expr: renewed}
      - {name: median_amount, agg: median, expr: monthly_amount}
      - {name: p90_amount, agg: percentile, expr: monthly_amount, agg_params: {percentile: 0.9}}
      - name: balance
        agg: sum
        expr: amount
        non_additive_dimension: {name: ends_on, window_choice: max}
"#;

#[test]
fn a_semantic_model_is_an_entity_keyed_by_its_primary_entity_joined_by_its_foreign_ones() {
    let imported = from_dbt(TWO_MODELS);
    let d = read_back(&imported);
    let clients = &d.entities["clients"];
    assert_eq!(
        (clients.table.as_str(), clients.key.as_str()),
        ("clients", "id")
    );
    assert_eq!(clients.description.en, "companies we sell to");
    let contracts = &d.entities["contracts"];
    // ref('crm', 'contracts') in Jinja braces is the table contracts; the
    // primary entity without expr is its own column.
    assert_eq!(
        (contracts.table.as_str(), contracts.key.as_str()),
        ("contracts", "contract")
    );
    assert_eq!(contracts.joins.len(), 1);
    assert_eq!(
        (
            contracts.joins[0].column.as_str(),
            contracts.joins[0].to.as_str()
        ),
        ("client_id", "clients")
    );
    assert!(
        left_out(&imported, "semantic_models.contracts.entities.nobody")
            .contains("no semantic model")
    );
    let text = imported.text(&[]);
    assert!(
        text.contains("# REVIEW: description in one language: write the French"),
        "{text}"
    );
    assert!(
        text.contains("# REVIEW: no description in the source"),
        "{text}"
    );
}

#[test]
fn dimensions_are_columns_or_qualified_expressions_and_names_are_one_namespace() {
    let imported = from_dbt(TWO_MODELS);
    let d = read_back(&imported);
    let city = &d.dimensions["city"];
    assert_eq!(
        (city.column.as_deref(), city.kind),
        (Some("city"), DimensionType::Category)
    );
    assert_eq!(d.dimensions["created_on"].kind, DimensionType::Time);
    assert_eq!(
        same(&d.dimensions["big"].expr),
        Some("clients.annual_revenue > 1000000")
    );
    assert_eq!(d.dimensions["status"].label.en, "client status");
    // The second `status` is the contracts', prefixed, and says so.
    let theirs = &d.dimensions["contracts_status"];
    assert_eq!(
        (theirs.entity.as_str(), theirs.column.as_deref()),
        ("contracts", Some("status"))
    );
    let text = imported.text(&[]);
    assert!(
        text.contains("# REVIEW: named contracts_status (the name was already used)"),
        "{text}"
    );
    assert!(text.contains("# REVIEW: category or text?"), "{text}");
    // An expression that does not parse is left out, and shown.
    assert!(left_out(&imported, "dimensions.broken").contains("does not parse"));
    assert!(text.contains("# [dimensions.broken]"), "{text}");
}

#[test]
fn measures_keep_their_aggregate_and_those_pstral_has_none_for_are_left_out_with_why() {
    let imported = from_dbt(TWO_MODELS);
    let d = read_back(&imported);
    let count = &d.measures["client_count"];
    assert_eq!(
        (count.aggregate, count.expr.is_none()),
        (Aggregate::Count, true)
    );
    // A count of the key is a count of rows.
    assert!(d.measures["contract_count"].expr.is_none());
    let mrr = &d.measures["mrr_total"];
    assert_eq!(
        (mrr.aggregate, same(&mrr.expr), mrr.decimals),
        (Aggregate::Sum, Some("contracts.monthly_amount"), Some(2))
    );
    assert_eq!(d.measures["average_amount"].aggregate, Aggregate::Avg);
    assert_eq!(d.measures["average_amount"].decimals, Some(2));
    assert_eq!(d.measures["products"].aggregate, Aggregate::CountDistinct);
    assert_eq!(
        same(&d.measures["renewals"].expr),
        Some("CASE WHEN contracts.renewed THEN 1 ELSE 0 END")
    );
    for name in ["median_amount", "p90_amount", "balance"] {
        assert!(!d.measures.contains_key(name), "{name}");
        let text = imported.text(&[]);
        assert!(text.contains(&format!("# [measures.{name}]")), "{text}");
    }
    assert!(left_out(&imported, "measures.median_amount").contains("a median measure"));
    assert!(left_out(&imported, "measures.p90_amount").contains("a percentile measure"));
    assert!(left_out(&imported, "measures.balance").contains("semi-additive"));
}

const METRICS: &str = r#"
metrics:
  - name: client_count
    description: number of clients
    type: simple
    type_params: {measure: client_count}
  - name: running_contracts
    type: simple
    type_params: {measure: contract_count}
    filter: |
      {{ TimeDimension('contract__ends_on', 'day') }} IS NULL
  - name: running_mrr
    type: simple
    type_params:
      measure:
        name: mrr_total
        filter: "{{ Dimension('contract__status') }} IN ('actif', 'suspendu')"
    filter:
      - "{{ TimeDimension('contract__ends_on', 'month') }} IS NULL"
      - "{{ Entity('client') }} IS NOT NULL OR {{Dimension('contract__status')}} = 'x'"
  - name: lyon_mrr
    type: simple
    type_params: {measure: mrr_total}
    filter: "{{ Dimension('client__city') }} = 'Lyon'"
  - name: mystery
    type: simple
    type_params: {measure: mrr_total}
    filter: "{{ Dimension('contract__colour') }} = 'red'"
  - name: deep
    type: simple
    type_params: {measure: mrr_total}
    filter: "{{ Dimension('contract__client__city') }} = 'Lyon'"
  - name: contract_count_metric
    type: simple
    type_params: {measure: contract_count}
  - name: running_share
    type: ratio
    type_params: {numerator: running_contracts, denominator: contract_count_metric}
  - name: filtered_share
    type: ratio
    type_params:
      numerator: {name: contract_count_metric, filter: "{{ Dimension('contract__status') }} = 'clos'"}
      denominator: contract_count_metric
  - name: mrr_per_contract
    type: ratio
    type_params: {numerator: running_mrr, denominator: contract_count_metric}
  - name: arr_growth
    type: derived
    type_params: {expr: running_mrr * 12, metrics: [running_mrr]}
  - name: cumulative_mrr
    type: cumulative
    type_params: {measure: mrr_total, window: 7 days}
  - name: trial_to_paid
    type: conversion
    type_params: {conversion_type_params: {base_measure: contract_count, conversion_measure: contract_count, entity: client}}
"#;

fn with_metrics() -> Imported {
    dbt::from_texts(
        Path::new("project"),
        &[
            (PathBuf::from("models/a.yml"), TWO_MODELS.to_owned()),
            (PathBuf::from("models/metrics.yml"), METRICS.to_owned()),
        ],
    )
    .unwrap()
}

#[test]
fn a_simple_metric_is_its_measure_with_its_jinja_filters_written_as_the_dimensions_sql() {
    let imported = with_metrics();
    let d = read_back(&imported);
    let running = &d.measures["running_contracts"];
    assert_eq!(running.entity, "contracts");
    assert_eq!(same(&running.filter), Some("contracts.ends_on IS NULL"));
    assert_eq!(
        same(&d.measures["running_mrr"].filter),
        Some(
            "(contracts.ends_on IS NULL) AND (contracts.client_id IS NOT NULL OR contracts.status \
             = 'x') AND (contracts.status IN ('actif', 'suspendu'))"
        )
    );
    // The metric named as its measure takes its place: one client_count,
    // with the metric's words.
    assert_eq!(
        d.measures["client_count"].description.en,
        "number of clients"
    );
    let text = imported.text(&[]);
    assert_eq!(text.matches("[measures.client_count]").count(), 1, "{text}");
}

#[test]
fn a_filter_on_another_entity_or_on_what_no_model_has_is_left_out() {
    let imported = with_metrics();
    let d = read_back(&imported);
    for name in ["lyon_mrr", "mystery", "deep"] {
        assert!(!d.measures.contains_key(name), "{name}");
    }
    assert!(
        left_out(&imported, "metrics.lyon_mrr:")
            .contains("a dimension of clients, not of the measure's contracts")
    );
    assert!(left_out(&imported, "metrics.mystery:").contains("no dimension \"colour\""));
    assert!(left_out(&imported, "metrics.deep:").contains("several entities"));
}

#[test]
fn a_ratio_of_counts_of_one_entitys_rows_is_a_percentage_and_other_metrics_are_left_out() {
    let imported = with_metrics();
    let d = read_back(&imported);
    let share = &d.measures["running_share"];
    assert_eq!(
        (share.aggregate, same(&share.expr), share.decimals),
        (
            Aggregate::Avg,
            Some("CASE WHEN contracts.ends_on IS NULL THEN 100.0 ELSE 0 END"),
            Some(2)
        )
    );
    assert_eq!(
        same(&d.measures["filtered_share"].expr),
        Some("CASE WHEN contracts.status = 'clos' THEN 100.0 ELSE 0 END")
    );
    assert!(imported.text(&[]).contains("# REVIEW: a percentage"));
    assert!(
        left_out(&imported, "metrics.mrr_per_contract:")
            .contains("a ratio Pstral has no aggregate for")
    );
    assert!(
        left_out(&imported, "metrics.arr_growth:")
            .contains("a derived metric: Pstral cannot compile one")
    );
    assert!(left_out(&imported, "metrics.cumulative_mrr:").contains("a cumulative metric"));
    assert!(left_out(&imported, "metrics.trial_to_paid:").contains("a conversion metric"));
    assert!(imported.text(&[]).contains("# LEFT OUT: a derived metric"));
}

#[test]
fn files_without_semantic_models_are_skipped_and_a_project_with_none_is_refused() {
    let other = "version: 2\nmodels:\n  - name: x\n    columns: [{name: id}]\nsources: []\n";
    let imported = dbt::from_texts(
        Path::new("project"),
        &[
            (PathBuf::from("models/a.yml"), TWO_MODELS.to_owned()),
            (PathBuf::from("models/b.yml"), other.to_owned()),
        ],
    )
    .unwrap();
    assert_eq!(imported.counts().entities, 2);
    let none = dbt::from_texts(
        Path::new("project"),
        &[(PathBuf::from("models/b.yml"), other.to_owned())],
    );
    assert!(
        matches!(none, Err(ImportError::NoSemanticModels { .. })),
        "{none:?}"
    );
}

#[test]
fn a_yaml_bomb_is_refused_by_the_budgets() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            ["b", "c", "d", "e", "f", "g", "h"][i - 1].to_owned()
        };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    bomb.push_str("semantic_models: []\n");
    let read = dbt::from_texts(Path::new("p"), &[(PathBuf::from("models/bomb.yml"), bomb)]);
    // Refused for what it expands to (a budget), not for its shape.
    match read {
        Err(ImportError::Yaml { message, .. }) => {
            assert!(message.to_lowercase().contains("budget"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

const SNOWFLAKE: &str = r#"
name: crm
tables:
  - name: Clients
    description: companies we sell to
    base_table: {database: DB, schema: PUBLIC, table: clients}
    primary_key: {columns: [id]}
    dimensions:
      - {name: client_city, expr: city, data_type: VARCHAR, is_enum: true}
      - {name: client_sector, expr: sector, data_type: VARCHAR(50), sample_values: [BTP, Santé]}
      - {name: client_company, expr: clients.company, data_type: VARCHAR}
      - {name: client_revenue, expr: annual_revenue, data_type: "NUMBER(14,2)"}
      - {name: status, expr: status, data_type: VARCHAR}
      - {name: is_big, expr: "annual_revenue > 1000000", data_type: BOOLEAN}
    time_dimensions:
      - {name: created_on, expr: created_on, data_type: DATE}
    facts:
      - {name: revenue_total, expr: annual_revenue, data_type: "NUMBER(14,2)", default_aggregation: sum}
      - {name: revenue_guess, expr: annual_revenue}
      - {name: revenue_median, expr: annual_revenue, default_aggregation: median}
    metrics:
      - {name: client_count, expr: COUNT(*)}
      - {name: keyed_count, expr: COUNT(Clients.id)}
      - {name: sectors, expr: COUNT(DISTINCT client_sector)}
      - {name: big_revenue, expr: "SUM(CASE WHEN client_revenue > 1000000 THEN client_revenue END)"}
      - {name: big_count, expr: "COUNT(CASE WHEN status = 'actif' THEN 1 END)"}
      - {name: arr, expr: SUM(annual_revenue) * 12}
      - {name: spread, expr: MAX(annual_revenue) - MIN(annual_revenue)}
    filters:
      - {name: active, expr: "status = 'actif'", synonyms: [actif]}
      - {name: unknown_revenue, expr: client_revenue IS NULL}
  - name: contracts
    base_table: {table: contracts}
    dimensions:
      - {name: status, expr: status, data_type: VARCHAR}
relationships:
  - {name: to_clients, left_table: contracts, right_table: Clients, relationship_columns: [{left_column: client_id, right_column: id}]}
  - {name: by_city, left_table: contracts, right_table: Clients, relationship_columns: [{left_column: city, right_column: city}]}
verified_queries:
  - name: by_city
    question: Clients by city?
    sql: SELECT __clients.client_city, COUNT(*) FROM __clients WHERE client_sector = 'BTP' GROUP BY __clients.client_city
"#;

#[test]
fn snowflake_tables_are_entities_with_their_key_and_relationships_as_joins() {
    let imported = from_snowflake(SNOWFLAKE);
    let d = read_back(&imported);
    let clients = &d.entities["clients"];
    assert_eq!(
        (clients.table.as_str(), clients.key.as_str()),
        ("clients", "id")
    );
    let contracts = &d.entities["contracts"];
    assert_eq!(contracts.joins.len(), 1);
    assert_eq!(
        (
            contracts.joins[0].column.as_str(),
            contracts.joins[0].to.as_str()
        ),
        ("client_id", "clients")
    );
    assert!(left_out(&imported, "relationships.by_city:").contains("is not the key"));
    let text = imported.text(&[]);
    assert!(
        text.contains("# REVIEW: no primary_key: the key id is guessed"),
        "{text}"
    );
    assert!(text.contains("# [relationships.by_city]"), "{text}");
}

#[test]
fn snowflake_dimensions_take_their_type_from_is_enum_and_the_data_type() {
    let imported = from_snowflake(SNOWFLAKE);
    let d = read_back(&imported);
    let kind = |n: &str| d.dimensions[n].kind;
    assert_eq!(kind("client_city"), DimensionType::Category);
    assert_eq!(kind("client_sector"), DimensionType::Category);
    assert_eq!(kind("client_company"), DimensionType::Text);
    assert_eq!(
        d.dimensions["client_company"].column.as_deref(),
        Some("company")
    );
    assert_eq!(kind("client_revenue"), DimensionType::Number);
    assert_eq!(kind("created_on"), DimensionType::Time);
    assert_eq!(
        same(&d.dimensions["is_big"].expr),
        Some("clients.annual_revenue > 1000000")
    );
    assert!(
        imported
            .text(&[])
            .contains("# REVIEW: category or text? it has sample values")
    );
    // Two tables' `status`: the second is prefixed by its entity.
    assert_eq!(d.dimensions["contracts_status"].entity, "contracts");
}

#[test]
fn snowflake_facts_and_one_aggregate_metrics_are_measures_with_decimals_of_their_data_type() {
    let imported = from_snowflake(SNOWFLAKE);
    let d = read_back(&imported);
    let total = &d.measures["revenue_total"];
    assert_eq!(
        (total.aggregate, same(&total.expr), total.decimals),
        (Aggregate::Sum, Some("clients.annual_revenue"), Some(2))
    );
    assert_eq!(d.measures["revenue_guess"].aggregate, Aggregate::Sum);
    assert!(
        imported
            .text(&[])
            .contains("# REVIEW: no default_aggregation: sum is guessed")
    );
    assert!(left_out(&imported, "measures.revenue_median:").contains("median"));
    for count in ["client_count", "keyed_count"] {
        let m = &d.measures[count];
        assert_eq!(
            (m.aggregate, m.expr.is_none(), m.decimals),
            (Aggregate::Count, true, None),
            "{count}"
        );
    }
    let sectors = &d.measures["sectors"];
    assert_eq!(
        (sectors.aggregate, same(&sectors.expr)),
        (Aggregate::CountDistinct, Some("clients.sector"))
    );
    // AGG(CASE WHEN c THEN x END): the aggregate of x where c, logical
    // columns written as their base columns.
    let big = &d.measures["big_revenue"];
    assert_eq!(
        (same(&big.expr), same(&big.filter), big.decimals),
        (
            Some("clients.annual_revenue"),
            Some("clients.annual_revenue > 1000000"),
            Some(2)
        )
    );
    let big_count = &d.measures["big_count"];
    assert_eq!(
        (big_count.expr.is_none(), same(&big_count.filter)),
        (true, Some("clients.status = 'actif'"))
    );
    assert!(left_out(&imported, "metrics.arr:").contains("not one aggregate"));
    assert!(left_out(&imported, "metrics.spread:").contains("not one aggregate"));
}

#[test]
fn snowflake_filters_are_segments_and_verified_queries_are_examples_over_the_base_tables() {
    let imported = from_snowflake(SNOWFLAKE);
    let d = read_back(&imported);
    let active = &d.segments["active"];
    assert_eq!(
        (active.entity.as_str(), active.synonyms.as_slice()),
        ("clients", &["actif".to_owned()][..])
    );
    assert!(matches!(&active.condition, Expr::Same(c) if c == "clients.status = 'actif'"));
    assert!(
        matches!(&d.segments["unknown_revenue"].condition, Expr::Same(c) if c == "clients.annual_revenue IS NULL")
    );
    assert_eq!(imported.examples.len(), 1);
    assert_eq!(imported.examples[0].question, "Clients by city?");
    assert_eq!(
        imported.examples[0].sql,
        "SELECT clients.city, COUNT(*) FROM clients WHERE sector = 'BTP' GROUP BY clients.city"
    );
}

#[test]
fn a_name_that_is_not_an_identifier_is_made_one_and_says_so() {
    let imported = from_snowflake(
        "tables:\n  - name: Order Lines\n    base_table: {table: lines}\n    primary_key: {columns: [id]}\n    dimensions:\n      - {name: 2nd Colour, expr: colour}\n",
    );
    let d = read_back(&imported);
    assert!(d.entities.contains_key("order_lines"));
    assert!(d.dimensions.contains_key("n_2nd_colour"));
    assert!(imported.text(&[]).contains("# REVIEW: named n_2nd_colour"));
}
