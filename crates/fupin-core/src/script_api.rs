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
use crate::fields::{Field, HOUSEHOLD_FIELDS, MEMBER_FIELDS, TALLY_FIELDS};
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

/// A property value as rhai sees it.
fn field_dynamic(field: Field<'_>, members: &[MemberFacts]) -> Dynamic {
    match field {
        Field::Unit => Dynamic::UNIT,
        Field::Bool(b) => Dynamic::from_bool(b),
        Field::Int(i) => Dynamic::from_int(i),
        Field::Dec(d) => Dynamic::from_decimal(d),
        Field::Str(s) => Dynamic::from(ImmutableString::from(s)),
        Field::Tally(t) => Dynamic::from(t),
        Field::Vehicles(vs) => {
            let list: Array = vs
                .iter()
                .map(|(kind, value)| {
                    let mut m = Map::new();
                    m.insert("kind".into(), Dynamic::from(ImmutableString::from(*kind)));
                    m.insert("value".into(), value.map_or(Dynamic::UNIT, Dynamic::from_decimal));
                    Dynamic::from_map(m)
                })
                .collect();
            Dynamic::from_array(list)
        }
        Field::Members => Dynamic::from_array(members.iter().cloned().map(Dynamic::from).collect()),
    }
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

    for field in HOUSEHOLD_FIELDS {
        let read = field.read;
        engine.register_get(field.name, move |h: &mut HouseholdRef| -> Dynamic { field_dynamic(read(&h.0), &h.0.members) });
    }
    engine.register_fn("event_count", |h: &mut HouseholdRef, kind: &str| -> Result<i64, Box<EvalAltResult>> {
        h.0.event(kind).map(|e| e.count).ok_or_else(|| unknown_event(kind))
    });
    engine.register_fn("event_amount", |h: &mut HouseholdRef, kind: &str| -> Result<Decimal, Box<EvalAltResult>> {
        h.0.event(kind).map(|e| e.amount).ok_or_else(|| unknown_event(kind))
    });

    for (name, read, _) in MEMBER_FIELDS {
        engine.register_get(name, move |m: &mut MemberFacts| -> Dynamic { field_dynamic(read(m), &[]) });
    }
    for (name, read) in TALLY_FIELDS {
        engine.register_get(name, move |t: &mut Tally| -> i64 { read(t) });
    }

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
