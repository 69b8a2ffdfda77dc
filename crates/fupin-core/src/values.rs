//! Converting script values (rhai `Dynamic`) to JSON for findings.
//!
//! Decimals become strings (`"3218.00"`) so money keeps its exact digits; integers and
//! booleans stay JSON numbers and booleans; `()` (unknown) becomes `null`. Maps are sorted.

use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;
use serde_json::Value;

/// Converts one script value.
pub fn to_json(value: &Dynamic) -> Value {
    if value.is_unit() {
        Value::Null
    } else if let Ok(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Ok(i) = value.as_int() {
        Value::from(i)
    } else if let Ok(d) = value.as_decimal() {
        Value::String(d.to_string())
    } else if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        Value::String(s.to_string())
    } else if let Some(a) = value.read_lock::<Array>() {
        Value::Array(a.iter().map(to_json).collect())
    } else if let Some(m) = value.read_lock::<Map>() {
        Value::Object(to_json_map(&m))
    } else {
        Value::String(value.type_name().to_string())
    }
}

/// Converts a script map (already sorted by key).
pub fn to_json_map(map: &Map) -> serde_json::Map<String, Value> {
    map.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()
}

/// Reads a decimal back from a finding value written by [`to_json`].
pub fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64().map(Decimal::from),
        _ => None,
    }
}
