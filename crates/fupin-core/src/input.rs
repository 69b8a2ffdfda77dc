//! Reading households: JSON text or values → [`Household`], with errors naming the field path.
//!
//! Two layers. [`parse_household`] accepts exactly what `household.schema.json` accepts
//! (serde for shapes and types, [`check_schema`] for ranges, lengths and patterns). The
//! engine then applies [`check_plausible`], which is stricter than the schema where a value
//! would make a decision meaningless (negative amounts of money).

use crate::error::{ValidationError, redact};
use crate::model::Household;
use crate::money::Money;

/// Parses one household from JSON text.
///
/// The text is read once with plain serde (no path tracking, which costs on every field);
/// only a document that fails is read again, tracking the path, to name the field at fault.
/// Both readers accept exactly the same documents, so the error is the one a tracked read
/// gives from the start.
pub fn parse_household(json: &str) -> Result<Household, ValidationError> {
    match serde_json::from_str::<Household>(json) {
        Ok(household) => {
            check_schema(&household)?;
            Ok(household)
        }
        Err(_) => parse_household_tracked(json),
    }
}

/// [`parse_household`] tracking the field path on every step: the reader of bad documents.
fn parse_household_tracked(json: &str) -> Result<Household, ValidationError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let household: Household = serde_path_to_error::deserialize(&mut de).map_err(from_serde)?;
    de.end().map_err(|e| ValidationError::new("", format!("malformed JSON: {}", redact(&e.to_string()))))?;
    check_schema(&household)?;
    Ok(household)
}

/// Parses one household from an already-parsed JSON value.
///
/// As [`parse_household`]: read without path tracking first, again with it only on failure.
pub fn household_from_value(value: serde_json::Value) -> Result<Household, ValidationError> {
    use serde::Deserialize;
    match Household::deserialize(&value) {
        Ok(household) => {
            check_schema(&household)?;
            Ok(household)
        }
        Err(_) => household_from_value_tracked(value),
    }
}

/// [`household_from_value`] tracking the field path on every step.
fn household_from_value_tracked(value: serde_json::Value) -> Result<Household, ValidationError> {
    let household: Household = serde_path_to_error::deserialize(value).map_err(from_serde)?;
    check_schema(&household)?;
    Ok(household)
}

fn from_serde(e: serde_path_to_error::Error<serde_json::Error>) -> ValidationError {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = e.into_inner();
    let message = if inner.is_syntax() || inner.is_eof() {
        format!("malformed JSON: {}", redact(&inner.to_string()))
    } else {
        // serde_json appends " at line L column C"; keep it, it helps locate the field.
        redact(&inner.to_string())
    };
    ValidationError::new(path, message)
}

/// The schema's constraints that serde's types do not express: ranges, lengths, patterns.
pub fn check_schema(h: &Household) -> Result<(), ValidationError> {
    if h.id.is_empty() {
        return Err(ValidationError::new("id", "must not be empty (户编号)"));
    }
    if !(2010..=2100).contains(&h.year) {
        return Err(ValidationError::new("year", format!("{} is outside 2010..=2100", h.year)));
    }
    if let Some(code) = &h.region.code {
        let digits = code.bytes().all(|b| b.is_ascii_digit());
        if !digits || !matches!(code.len(), 6 | 9 | 12) {
            return Err(ValidationError::new(
                "region.code",
                format!("行政区划代码 must be 6, 9 or 12 digits, found {} characters", code.chars().count()),
            ));
        }
    }
    if h.members.is_empty() {
        return Err(ValidationError::new("members", "at least one member (共同生活的家庭成员) is required"));
    }
    for (i, m) in h.members.iter().enumerate() {
        if let Some(age) = m.age
            && age > 130
        {
            return Err(ValidationError::new(format!("members[{i}].age"), format!("{age} is outside 0..=130")));
        }
        if let Some(Some(grade)) = m.disability_grade
            && !(1..=4).contains(&grade)
        {
            return Err(ValidationError::new(
                format!("members[{i}].disability_grade"),
                format!("残疾等级 must be 1 to 4 or null, found {grade}"),
            ));
        }
        if let Some(months) = m.migrant_months
            && months > 12
        {
            return Err(ValidationError::new(
                format!("members[{i}].migrant_months"),
                format!("{months} is outside 0..=12"),
            ));
        }
    }
    if let Some(w) = &h.water {
        let negative = |q: Option<crate::money::Quantity>| q.is_some_and(|q| q.decimal().is_sign_negative() && !q.decimal().is_zero());
        if negative(w.liters_per_person_day) {
            return Err(ValidationError::new("water.liters_per_person_day", "must not be negative"));
        }
        if negative(w.fetch_minutes_round_trip) {
            return Err(ValidationError::new("water.fetch_minutes_round_trip", "must not be negative"));
        }
        if let Some(p) = w.supply_assurance_pct
            && (negative(Some(p)) || p.decimal() > rust_decimal::Decimal::ONE_HUNDRED)
        {
            return Err(ValidationError::new("water.supply_assurance_pct", "must be between 0 and 100"));
        }
    }
    Ok(())
}

/// Stricter than the schema: amounts of money must not be negative.
pub fn check_plausible(h: &Household) -> Result<(), ValidationError> {
    if let Some(i) = h.events.iter().flatten().position(|e| e.date.0.year() != h.year) {
        return Err(ValidationError::new(format!("events[{i}].date"), format!("events are the shocks of the evaluation year {}", h.year)));
    }
    if let Some(i) = h.members.iter().position(|m| m.birth_date.is_some_and(|d| d.0.year() > h.year)) {
        return Err(ValidationError::new(format!("members[{i}].birth_date"), "born after the evaluation year"));
    }
    // Paths are formatted only for the amount that fails: this runs for every household.
    let negative = |path: &dyn Fn() -> String, amount: Option<Money>| match amount {
        Some(m) if m.is_negative() => Err(ValidationError::new(path(), "a negative amount of money is not allowed")),
        _ => Ok(()),
    };
    if let Some(i) = &h.income {
        for (k, v) in [
            ("wage", i.wage),
            ("business", i.business),
            ("business_cost", i.business_cost),
            ("property", i.property),
            ("pension", i.pension),
            ("dibao", i.dibao),
            ("subsidies", i.subsidies),
            ("other_transfer", i.other_transfer),
        ] {
            negative(&|| format!("income.{k}"), v)?;
        }
    }
    if let Some(e) = &h.expenses {
        negative(&|| "expenses.medical_out_of_pocket".into(), e.medical_out_of_pocket)?;
        negative(&|| "expenses.education".into(), e.education)?;
        negative(&|| "expenses.other_rigid".into(), e.other_rigid)?;
    }
    if let Some(a) = &h.assets {
        negative(&|| "assets.business_registered_capital".into(), a.business_registered_capital)?;
        for (i, v) in a.vehicles.iter().flatten().enumerate() {
            negative(&|| format!("assets.vehicles[{i}].value"), v.value)?;
        }
    }
    if let Some(s) = &h.status {
        negative(&|| "status.prior_year_income_per_capita".into(), s.prior_year_income_per_capita)?;
    }
    for (i, e) in h.events.iter().flatten().enumerate() {
        negative(&|| format!("events[{i}].amount"), e.amount)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"{"id":"H1","year":2019,"region":{"code":"520121"},"members":[{"relation":"head","age":40}]}"#;

    fn err(json: &str) -> ValidationError {
        parse_household(json).unwrap_err()
    }

    #[test]
    fn minimal_household_parses() {
        let h = parse_household(MIN).unwrap();
        assert_eq!(h.members.len(), 1);
        assert!(h.income.is_none());
    }

    #[test]
    fn wrong_type_names_the_path() {
        let e = err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"},{"relation":"child","schooling":{"enrolled":"yes"}}]}"#);
        assert_eq!(e.path, "members[1].schooling.enrolled");
        assert!(e.message.contains("expected a boolean"), "{e}");
    }

    #[test]
    fn unknown_field_is_rejected_with_its_path() {
        let e = err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","nickname":"x"}]}"#);
        assert_eq!(e.path, "members[0].nickname");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn null_is_refused_except_for_disability_grade() {
        assert_eq!(err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":null}]}"#).path, "members[0].age");
        let h = parse_household(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","disability_grade":null}]}"#).unwrap();
        assert_eq!(h.members[0].disability_grade, Some(None));
    }

    #[test]
    fn malformed_json_and_structural_limits() {
        assert!(err(r#"{"id":"H1","year":"#).message.contains("malformed JSON"));
        assert_eq!(err(r#"{"id":"H1","year":2019,"region":{},"members":[]}"#).path, "members");
        assert_eq!(err(r#"{"id":"H1","year":2019,"region":{"code":"5201"},"members":[{"relation":"head"}]}"#).path, "region.code");
        assert_eq!(err(r#"{"id":"H1","year":2009,"region":{},"members":[{"relation":"head"}]}"#).path, "year");
        assert_eq!(err(r#"{"id":"","year":2019,"region":{},"members":[{"relation":"head"}]}"#).path, "id");
    }

    #[test]
    fn personal_data_never_reaches_the_message() {
        let e = err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"张三","name":"张三"}]}"#);
        assert!(!e.to_string().contains("张三"), "{e}");
        let e = err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":"110101199003077777"}]}"#);
        assert!(!e.to_string().contains("110101199003077777"), "{e}");
        let e = err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":13800138000}]}"#);
        assert!(!e.to_string().contains("13800138000"), "{e}");
    }

    #[test]
    fn negative_money_is_refused_by_the_plausibility_layer() {
        let h = parse_household(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"income":{"wage":-1}}"#).unwrap();
        assert_eq!(check_plausible(&h).unwrap_err().path, "income.wage");
    }

    #[test]
    fn a_member_born_after_the_evaluation_year_is_refused() {
        let h = parse_household(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":30},{"relation":"child","birth_date":"2020-01-01"}]}"#).unwrap();
        assert_eq!(check_plausible(&h).unwrap_err().path, "members[1].birth_date");
    }

    #[test]
    fn an_event_outside_the_evaluation_year_is_refused() {
        let h = parse_household(r#"{"id":"H1","year":2024,"region":{},"members":[{"relation":"head"}],"events":[{"kind":"disaster","date":"2019-07-01"}]}"#).unwrap();
        assert_eq!(check_plausible(&h).unwrap_err().path, "events[0].date");
    }

    #[test]
    fn integers_may_be_written_as_whole_decimals() {
        let h = parse_household(r#"{"id":"H1","year":2019.0,"region":{},"members":[{"relation":"head","age":40.0,"disability_grade":2.0}],"status":{"exit_year":2018.0}}"#).unwrap();
        assert_eq!((h.year, h.members[0].age, h.members[0].disability_grade), (2019, Some(40), Some(Some(2))));
        assert_eq!(err(r#"{"id":"H1","year":2019.5,"region":{},"members":[{"relation":"head"}]}"#).path, "year");
        assert_eq!(err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":-1}]}"#).path, "members[0].age");
    }

    /// Bad documents of every kind: the fast read refuses each, and the error is the tracked
    /// read's, path and message alike.
    #[test]
    fn the_fast_read_reports_exactly_what_the_tracked_read_reports() {
        let bad = [
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"},{"relation":"child","schooling":{"enrolled":"yes"}}]}"#, "members[1].schooling.enrolled"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","nickname":"x"}]}"#, "members[0].nickname"),
            (r#"{"id":"H1","year":"#, "year"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}]} trailing"#, ""),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"income":{"wage":"100.001"}}"#, "income.wage"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"income":{"wage":1.005}}"#, "income.wage"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"income":{"wage":"12,000"}}"#, "income.wage"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":null}]}"#, "members[0].age"),
            (r#"{"id":"H1","year":2019.5,"region":{},"members":[{"relation":"head"}]}"#, "year"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"张三"}]}"#, "members[0].relation"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head","birth_date":"2019-02-30"}]}"#, "members[0].birth_date"),
            (r#"{"id":"H1","year":2024,"region":{},"members":[{"relation":"head"}],"events":[{"kind":"flood","date":"2024-07-01"}]}"#, "events[0].kind"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"assets":{"vehicles":[{"kind":"car","value":"x"}]}}"#, "assets.vehicles[0].value"),
            (r#"{"id":"H1","region":{},"members":[{"relation":"head"}]}"#, ""),
            (r#"{"id":"H1","year":2019,"region":{"code":"5201"},"members":[{"relation":"head"}]}"#, "region.code"),
            (r#"{"id":"H1","year":2019,"region":{},"members":[]}"#, "members"),
        ];
        for (json, path) in bad {
            let tracked = parse_household_tracked(json).unwrap_err();
            assert_eq!(parse_household(json).unwrap_err(), tracked, "{json}");
            assert_eq!(tracked.path, path, "{json}");
        }
    }

    #[test]
    fn the_fast_read_gives_the_tracked_read_household() {
        let good = [
            MIN,
            r#"{"id":"H1","year":2024.0,"region":{"code":"150526100201","village":"示范嘎查"},"members":[{"relation":"head","age":50,"disability_grade":null,"birth_date":"1974-03-01"}],"income":{"wage":"9931.00","business":3218.1,"pension":12},"water":{"liters_per_person_day":53.5},"events":[{"kind":"illness","date":"2024-07-01","amount":"-0.00"}]}"#,
        ];
        for json in good {
            let fast = serde_json::to_string(&parse_household(json).unwrap()).unwrap();
            let tracked = serde_json::to_string(&parse_household_tracked(json).unwrap()).unwrap();
            assert_eq!(fast, tracked, "{json}");
        }
    }

    #[test]
    fn values_read_fast_report_exactly_what_the_tracked_read_reports() {
        let bad = [
            (serde_json::json!({"id":"H1","year":2019,"region":{},"members":[{"relation":"head","schooling":{"enrolled":"yes"}}]}), "members[0].schooling.enrolled"),
            (serde_json::json!({"id":"H1","year":2019,"region":{},"members":[{"relation":"head","nickname":"x"}]}), "members[0].nickname"),
            (serde_json::json!({"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"income":{"wage":"100.001"}}), "income.wage"),
            (serde_json::json!({"id":"H1","year":2019,"region":{},"members":[{"relation":"head","age":-1}]}), "members[0].age"),
            (serde_json::json!({"id":"H1","year":2019,"region":{},"members":[{"relation":"张三"}]}), "members[0].relation"),
            (serde_json::json!({"id":"H1","region":{},"members":[{"relation":"head"}]}), ""),
            (serde_json::json!([1, 2]), "[0]"),
            (serde_json::json!({"id":"H1","year":2019,"region":{},"members":[]}), "members"),
        ];
        for (value, path) in bad {
            let tracked = household_from_value_tracked(value.clone()).unwrap_err();
            assert_eq!(household_from_value(value.clone()).unwrap_err(), tracked, "{value}");
            assert_eq!(tracked.path, path, "{value}");
        }
        let good: serde_json::Value = serde_json::from_str(MIN).unwrap();
        let fast = serde_json::to_string(&household_from_value(good.clone()).unwrap()).unwrap();
        assert_eq!(fast, serde_json::to_string(&household_from_value_tracked(good).unwrap()).unwrap());
    }

    #[test]
    fn over_precise_money_names_the_path() {
        let e = err(r#"{"id":"H1","year":2019,"region":{},"members":[{"relation":"head"}],"income":{"wage":"100.001"}}"#);
        assert_eq!(e.path, "income.wage");
    }
}
