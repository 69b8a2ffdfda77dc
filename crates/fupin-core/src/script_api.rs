//! What rule scripts see: the household `h` (derived facts), the parameters `p`, members,
//! tallies, and the verdict helpers `pass` / `fail` / `unknown`.
//!
//! Unknown facts are `()` in scripts. Money and ratios are exact decimals (the engine is
//! built with `no_float`, so `1.5` in a script is a decimal too).

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use rust_decimal::Decimal;

use crate::decision::FindingResult;
use crate::facts::{Facts, MemberFacts, Tally, round_fen};
use crate::params::Resolved;

/// The household as scripts see it (`h`).
#[derive(Clone, Debug)]
pub struct HouseholdRef(pub Arc<Facts>);

/// The parameters in force as scripts see them (`p.poverty_line`).
#[derive(Clone, Debug)]
pub struct ParamsRef(pub Arc<Resolved>);

/// What one rule function returns: a result, the values it used and its messages.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// pass / fail / unknown / error
    pub result: FindingResult,
    /// The facts and parameters the rule used.
    pub values: Map,
    /// Chinese message.
    pub message_zh: ImmutableString,
    /// English message.
    pub message_en: ImmutableString,
}

impl Verdict {
    /// A verdict of `error` carrying a script error message.
    pub fn error(message: impl Into<String>) -> Verdict {
        let message = message.into();
        Verdict {
            result: FindingResult::Error,
            values: Map::new(),
            message_zh: format!("规则执行出错，需人工核实：{message}").into(),
            message_en: format!("rule failed to run, review needed: {message}").into(),
        }
    }
}

fn opt_dec(v: Option<Decimal>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Dynamic::from_decimal)
}
fn opt_bool(v: Option<bool>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Dynamic::from_bool)
}
fn opt_int(v: Option<i64>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Dynamic::from_int)
}
fn opt_str(v: Option<&'static str>) -> Dynamic {
    v.map_or(Dynamic::UNIT, |s| Dynamic::from(ImmutableString::from(s)))
}

macro_rules! getters {
    ($engine:ident, $ty:ty, { $($name:literal => |$f:ident| $body:expr),+ $(,)? }) => {
        $( $engine.register_get($name, |x: &mut $ty| -> Dynamic { let $f = &*x; $body }); )+
    };
}

fn verdict(result: FindingResult) -> impl Fn(Map, ImmutableString, ImmutableString) -> Verdict + Send + Sync + 'static {
    move |values, message_zh, message_en| Verdict { result, values, message_zh, message_en }
}

fn unknown_event(kind: &str) -> Box<EvalAltResult> {
    format!("未知的事件类型 {kind} (unknown event kind)").into()
}

/// Registers the script API on `engine`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<HouseholdRef>("Household");
    engine.register_type_with_name::<ParamsRef>("Params");
    engine.register_type_with_name::<Tally>("Tally");
    engine.register_type_with_name::<MemberFacts>("Member");
    engine.register_type_with_name::<Verdict>("Verdict");

    getters!(engine, HouseholdRef, {
        "id" => |h| Dynamic::from(h.0.id.clone()),
        "year" => |h| Dynamic::from_int(i64::from(h.0.year)),
        "region_code" => |h| h.0.region_code.clone().map_or(Dynamic::UNIT, Dynamic::from),
        "western" => |h| opt_bool(h.0.western),
        "size" => |h| Dynamic::from_int(h.0.size),
        "pci" => |h| opt_dec(h.0.pci),
        "net_income" => |h| opt_dec(h.0.income.map(|i| i.net)),
        "wage" => |h| opt_dec(h.0.income.map(|i| i.wage)),
        "business" => |h| opt_dec(h.0.income.map(|i| i.business)),
        "business_cost" => |h| opt_dec(h.0.income.map(|i| i.business_cost)),
        "property" => |h| opt_dec(h.0.income.map(|i| i.property)),
        "transfer" => |h| opt_dec(h.0.income.map(|i| i.transfer)),
        "rigid_expenses" => |h| opt_dec(h.0.expenses.map(|e| e.total)),
        "medical_expenses" => |h| opt_dec(h.0.expenses.map(|e| e.medical)),
        "education_expenses" => |h| opt_dec(h.0.expenses.map(|e| e.education)),
        "other_rigid_expenses" => |h| opt_dec(h.0.expenses.map(|e| e.other)),
        "after_rigid_pc" => |h| opt_dec(h.0.after_rigid_pc),
        "prior_pci" => |h| opt_dec(h.0.prior_pci),
        "food_secure" => |h| opt_bool(h.0.food_secure),
        "clothing_secure" => |h| opt_bool(h.0.clothing_secure),
        "housing_grade" => |h| opt_str(h.0.housing_grade),
        "relocated" => |h| opt_bool(h.0.relocated),
        "water_reported" => |h| Dynamic::from_bool(h.0.water_reported),
        "water_liters" => |h| opt_dec(h.0.water_liters),
        "water_quality_ok" => |h| opt_bool(h.0.water_quality_ok),
        "water_fetch_minutes" => |h| opt_dec(h.0.water_fetch_minutes),
        "water_assurance_pct" => |h| opt_dec(h.0.water_assurance_pct),
        "urban_housing" => |h| opt_bool(h.0.urban_housing),
        "vehicles" => |h| h.0.vehicles.as_ref().map_or(Dynamic::UNIT, |vs| {
            let list: Array = vs.iter().map(|(kind, value)| {
                let mut m = Map::new();
                m.insert("kind".into(), Dynamic::from(ImmutableString::from(*kind)));
                m.insert("value".into(), opt_dec(*value));
                Dynamic::from_map(m)
            }).collect();
            Dynamic::from_array(list)
        }),
        "business_capital" => |h| opt_dec(h.0.business_capital),
        "registered_poor" => |h| opt_bool(h.0.registered_poor),
        "exit_year" => |h| opt_int(h.0.exit_year),
        "poor_category" => |h| opt_str(h.0.poor_category),
        "monitoring" => |h| opt_str(h.0.monitoring),
        "public_employee" => |h| Dynamic::from(h.0.public_employee),
        "village_cadre" => |h| Dynamic::from(h.0.village_cadre),
        "insured" => |h| Dynamic::from(h.0.insured),
        "family_doctor" => |h| Dynamic::from(h.0.family_doctor),
        "school_age" => |h| Dynamic::from_int(h.0.school_age),
        "school_age_out" => |h| Dynamic::from_int(h.0.school_age_out),
        "school_age_exempt" => |h| Dynamic::from_int(h.0.school_age_exempt),
        "school_age_unknown" => |h| Dynamic::from_int(h.0.school_age_unknown),
        "age_unknown" => |h| Dynamic::from_int(h.0.age_unknown),
        "students" => |h| Dynamic::from_int(h.0.students),
        "serious_ill" => |h| Dynamic::from_int(h.0.serious_ill),
        "chronic_ill" => |h| Dynamic::from_int(h.0.chronic_ill),
        "disabled" => |h| Dynamic::from_int(h.0.disabled),
        "health_unknown" => |h| Dynamic::from_int(h.0.health_unknown),
        "labor_able" => |h| Dynamic::from_int(h.0.labor_able),
        "skilled" => |h| Dynamic::from_int(h.0.skilled),
        "labor_unknown" => |h| Dynamic::from_int(h.0.labor_unknown),
        "migrants" => |h| Dynamic::from_int(h.0.migrants),
        "members" => |h| Dynamic::from_array(h.0.members.iter().cloned().map(Dynamic::from).collect()),
    });
    engine.register_fn("event_count", |h: &mut HouseholdRef, kind: &str| -> Result<i64, Box<EvalAltResult>> {
        h.0.event(kind).map(|e| e.count).ok_or_else(|| unknown_event(kind))
    });
    engine.register_fn("event_amount", |h: &mut HouseholdRef, kind: &str| -> Result<Decimal, Box<EvalAltResult>> {
        h.0.event(kind).map(|e| e.amount).ok_or_else(|| unknown_event(kind))
    });

    getters!(engine, MemberFacts, {
        "relation" => |m| Dynamic::from(ImmutableString::from(m.relation)),
        "age" => |m| opt_int(m.age),
        "labor_ability" => |m| opt_str(m.labor_ability),
        "health" => |m| opt_str(m.health),
        "disability_grade" => |m| opt_int(m.disability_grade),
        "school_stage" => |m| opt_str(m.school_stage),
        "enrolled" => |m| opt_bool(m.enrolled),
        "exemption" => |m| opt_str(m.exemption),
        "medical_insurance" => |m| opt_bool(m.medical_insurance),
        "migrant_months" => |m| opt_int(m.migrant_months),
    });
    getters!(engine, Tally, {
        "yes" => |t| Dynamic::from_int(t.yes),
        "no" => |t| Dynamic::from_int(t.no),
        "unknown" => |t| Dynamic::from_int(t.unknown),
    });

    engine.register_indexer_get(|p: &mut ParamsRef, name: &str| -> Result<Dynamic, Box<EvalAltResult>> {
        p.0.get(name).cloned().map_err(|e| EvalAltResult::ErrorRuntime(e.to_string().into(), Position::NONE).into())
    });

    engine.register_fn("pass", verdict(FindingResult::Pass));
    engine.register_fn("fail", verdict(FindingResult::Fail));
    engine.register_fn("unknown", verdict(FindingResult::Unknown));
    let names = [FindingResult::Pass, FindingResult::Fail, FindingResult::Unknown, FindingResult::Error]
        .map(|r| ImmutableString::from(r.as_str()));
    engine.register_get("result", move |v: &mut Verdict| -> ImmutableString { names[v.result as usize].clone() });
    engine.register_fn("rule_error", |e: Dynamic| Verdict::error(e.to_string()));
    engine.register_fn("yuan", round_fen);
    engine.register_fn("join", |items: Array, separator: &str| -> String {
        items.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(separator)
    });
}
