//! The JSON Schema of one household, derived from the Rust model (`fupin schema`).
//!
//! A test in `tests/schema_equivalence.rs` checks that this schema, the shared contract
//! `household.schema.json` and the Rust parser accept and reject the same documents.

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::model::Household;

/// The derived household schema (JSON Schema draft 2020-12).
pub fn household_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Household>().to_value();
    forbid_null(&mut schema);
    if let Some(grade) = schema.pointer_mut("/$defs/Member/properties/disability_grade") {
        // The one nullable field: null states "no disability", absent means unknown.
        *grade = serde_json::json!({
            "type": ["integer", "null"], "minimum": 1, "maximum": 4,
            "description": "残疾等级 1 (most severe) to 4; null = no disability; absent = unknown."
        });
    }
    schema
}

/// Optional fields are `Option<T>` in Rust, which schemars renders as "T or null"; the
/// contract (and the parser) refuse `null`, so remove it everywhere.
fn forbid_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(options)) = map.get_mut(key) {
                    options.retain(|o| o.get("type") != Some(&Value::from("null")));
                    if options.len() == 1 {
                        let only = options.remove(0);
                        map.remove(key);
                        if let Value::Object(inner) = only {
                            map.extend(inner);
                        }
                    }
                }
            }
            map.values_mut().for_each(forbid_null);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_schema_refuses_unknown_fields_and_null() {
        let schema = household_schema();
        assert_eq!(schema["additionalProperties"], Value::Bool(false));
        let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for field in ["id", "year", "region", "members"] {
            assert!(required.contains(&field), "{field} must be required");
        }
        let text = schema.to_string();
        assert_eq!(text.matches("\"null\"").count(), 1, "only disability_grade is nullable: {text}");
    }
}
