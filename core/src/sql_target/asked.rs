//! Whether a plan shows a value of the data to a person who may not read
//! the data: only when every value it compares with is one the question
//! wrote itself (or a number or a date).

/// Whether every value a plan compares a dimension with is written in
/// `question`: such a plan shows no value of the data to who asks it.
pub(super) fn only_asked_values(plan: &str, question: &str) -> bool {
    crate::semantic::plan::read(plan).is_ok_and(|p| {
        p.filters
            .iter()
            .flat_map(|f| &f.values)
            .all(|v| mentions(question, v) || v.parse::<f64>().is_ok() || is_date(v))
    })
}

/// A day written as the plans write them (YYYY-MM-DD).
fn is_date(value: &str) -> bool {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
}

/// Whether `question` holds `value` (case and accents aside): a value the
/// person wrote, rather than one the model made up.
pub(super) fn mentions(question: &str, value: &str) -> bool {
    // Whole words: a value "a" is not in every question.
    let words = |text: &str| format!(" {} ", crate::learn::text::words(text).join(" "));
    let value = words(value);
    value.trim().chars().count() >= 2 && words(question).contains(&value)
}

#[cfg(test)]
mod tests {
    use super::only_asked_values;

    #[test]
    fn a_plan_shows_no_data_value_only_when_its_question_writes_each() {
        let plan = r#"{"kind": "list", "entity": "clients", "filters": [{"dimension": "client_city", "op": "=", "values": ["Lyon"]}, {"dimension": "client_created_on", "op": "between", "values": ["2025-01-01", "2025-12-31"]}, {"dimension": "client_annual_revenue", "op": ">", "values": ["1000000"]}]}"#;
        assert!(only_asked_values(plan, "Clients à Lyon créés en 2025 ?"));
        assert!(!only_asked_values(plan, "Nos clients créés en 2025 ?"));
    }
}
