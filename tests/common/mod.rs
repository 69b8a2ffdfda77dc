//! Shared helpers for the cross-crate tests.
#![allow(dead_code)]

use fupin::{Engine, RuleSources};

/// A complete household where every fact is known and every exit check passes.
pub fn household(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","year":2024,"region":{{"code":"150526100201"}},
        "members":[
          {{"relation":"head","age":45,"labor_ability":"ordinary","health":"healthy","medical_insurance":true,"public_employee":false,"village_cadre":false,"disability_grade":null}},
          {{"relation":"child","age":10,"labor_ability":"none","health":"healthy","medical_insurance":true,"public_employee":false,"village_cadre":false,"schooling":{{"stage":"primary","enrolled":true}}}}
        ],
        "income":{{"wage":"20000"}},
        "expenses":{{"medical_out_of_pocket":"0","education":"500","other_rigid":"0"}},
        "food_secure":true,"clothing_secure":true,
        "housing":{{"safety_grade":"A","relocated":false}},
        "water":{{"liters_per_person_day":50,"quality_ok":true,"fetch_minutes_round_trip":0,"supply_assurance_pct":95}},
        "assets":{{"vehicles":[],"urban_commercial_housing":false,"business_registered_capital":"0"}},
        "status":{{"prior_year_income_per_capita":"10000"}},
        "events":[]}}"#
    )
}

/// The embedded rules with one file replaced.
pub fn sources_with(path: &str, edit: impl FnOnce(&str) -> String) -> RuleSources {
    let mut sources = RuleSources::embedded();
    let text = sources.get(path).expect("file in the embedded rules").to_string();
    sources.set(path, edit(&text));
    sources
}

/// The embedded engine.
pub fn engine() -> Engine {
    Engine::embedded().expect("embedded rules load")
}
