//! # fupin (扶贫) — rules engine for targeted poverty alleviation
//!
//! For each rural household, `fupin` decides **识别** (建档立卡 identification), **退出**
//! (脱贫退出: income plus 两不愁三保障 and 饮水安全) and **监测** (防返贫监测预警: category,
//! level, risk factors and suggested 帮扶措施), each with findings that cite the policy text.
//! The rules are sandboxed rhai scripts over a typed household model; the figures are dated
//! parameters with regional overrides (see `rules/` at the repository root).
//!
//! ```
//! let engine = fupin::Engine::embedded().expect("the embedded rules load");
//! let decision = engine.evaluate_json(r#"{
//!     "id": "H-001", "year": 2019, "region": {"code": "520121"},
//!     "members": [{"relation": "head", "age": 52, "medical_insurance": true}],
//!     "income": {"wage": "2900"}
//! }"#).expect("a valid household");
//! assert_eq!(decision.identify.outcome, "eligible");
//! assert_eq!(decision.per_capita_income.as_deref(), Some("2900.00"));
//! ```
//!
//! Modules, in the order data flows ([`batch`] runs many households in parallel): [`model`] and [`input`] (the household and its checks),
//! [`params`] (dated parameters), [`facts`] (derived facts), [`sources`] and [`ruleset`]
//! (loading and compiling rules), [`sandbox`] and [`script_api`] (what scripts may do),
//! [`engine`] (evaluation), [`decision`] and [`explain`] (the answer and its Chinese text),
//! [`ruletest`] (rule tests as data), [`generate`] (synthetic populations), [`schema`], [`village`] (village files and summaries).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod decision;
mod decision_json;
pub mod engine;
pub mod error;
pub mod explain;
pub mod facts;
pub mod fast;
mod fields;
pub mod generate;
pub mod input;
mod json_text;
pub mod model;
pub mod money;
mod number_text;
pub mod params;
pub mod population;
pub mod ruleset;
pub mod ruletest;
pub mod sandbox;
pub mod schema;
pub mod script_api;
pub mod sources;
pub mod tables;
mod thread_table;
pub mod values;
pub mod village;

pub use decision::{Decision, Finding, FindingResult, Outcomes, RulesetInfo};
pub use engine::{Engine, EnginePath};
pub use error::{RulesError, RulesErrors, ValidationError};
pub use input::{household_from_value, parse_household};
pub use model::Household;
pub use money::Money;
pub use sandbox::Limits;
pub use sources::RuleSources;
