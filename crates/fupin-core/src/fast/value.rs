//! Values of the fast path and rhai's operator semantics over them.
//!
//! Every operation either gives exactly what rhai gives or returns [`Bail`], after which the
//! engine evaluates the rule set with the interpreter. So an error finding is always the
//! interpreter's own, with its own message.

use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::{Dynamic, ImmutableString};
use rust_decimal::Decimal;

use super::syntax::BinOp;
use crate::decision::FindingResult;
use crate::json_text::JsonOut;
use crate::number_text::{push_decimal, push_int};

/// The fast path gives up on this household's rule set; the interpreter decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

/// A map value, sorted by key as rhai's maps are.
pub(crate) type ValMap = BTreeMap<ImmutableString, Val>;

/// A string equal to `k` that shares nothing with it (see [`Val::own_copy`]).
pub(crate) fn own_key(k: &ImmutableString) -> ImmutableString {
    ImmutableString::from(k.as_str())
}

/// A verdict built by `pass` / `fail` / `unknown`.
#[derive(Debug, Clone)]
pub(crate) struct NativeVerdict {
    pub result: FindingResult,
    pub values: Arc<ValMap>,
    pub message_zh: ImmutableString,
    pub message_en: ImmutableString,
}

/// One value in a fast-path evaluation. Arrays and maps are copy-on-write, as rhai's values
/// are copied on assignment.
#[derive(Debug, Clone, Default)]
// A whole-word tag: a value is written and read in word-sized pieces, which the processor
// forwards from store to load (a byte tag beside a packed payload stalled copies; about 4 %).
#[repr(u64)]
pub(crate) enum Val {
    #[default]
    Unit,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(ImmutableString),
    Array(Arc<Vec<Val>>),
    Map(Arc<ValMap>),
    /// A member tally (`h.insured`), as the household property that gives it: a value stays
    /// as small as a decimal.
    Tally(crate::fields::HouseholdField),
    /// A member of the household, by position.
    Member(usize),
    Household,
    Params,
    Verdict(Arc<NativeVerdict>),
    /// A closure, by function index.
    Closure(usize),
    /// A verdict's result alone (outcome-only evaluation).
    Result(FindingResult),
}

impl Val {
    pub(crate) fn str(s: &str) -> Val {
        Val::Str(ImmutableString::from(s))
    }

    /// An equal value that shares no string, list or map with this one. Code keeps its
    /// constants this way: a constant is cloned into every household's answer, and a clone
    /// writes the reference count, so each thread's copy of the code (see
    /// `crate::thread_table`) gets counts that only that thread writes.
    pub(crate) fn own_copy(&self) -> Val {
        match self {
            Val::Str(s) => Val::str(s),
            Val::Array(items) => Val::Array(Arc::new(items.iter().map(Val::own_copy).collect())),
            Val::Map(map) => Val::Map(Arc::new(map.iter().map(|(k, v)| (own_key(k), v.own_copy())).collect())),
            other => other.clone(),
        }
    }

    pub(crate) fn as_bool(&self) -> Result<bool, Bail> {
        match self {
            Val::Bool(b) => Ok(*b),
            _ => Err(Bail),
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Val::Int(_) | Val::Dec(_))
    }

    fn kind(&self) -> u8 {
        match self {
            Val::Unit => 0,
            Val::Bool(_) => 1,
            Val::Int(_) => 2,
            Val::Dec(_) => 3,
            Val::Str(_) => 4,
            Val::Array(_) => 5,
            Val::Map(_) => 6,
            Val::Tally(_) => 7,
            Val::Member(_) => 8,
            Val::Household => 9,
            Val::Params => 10,
            Val::Verdict(_) => 11,
            Val::Closure(_) => 12,
            Val::Result(_) => 13,
        }
    }

    /// Text as `${…}` interpolation and `join` write it (rhai's `to_string`).
    pub(crate) fn write_text(&self, out: &mut String) -> Result<(), Bail> {
        match self {
            Val::Unit => {}
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Int(i) => push_int(out, *i),
            Val::Dec(d) => push_decimal(out, d),
            Val::Str(s) => out.push_str(s),
            _ => return Err(Bail),
        }
        Ok(())
    }

    /// Converts a parameter or constant from rhai.
    pub(crate) fn from_dynamic(d: &Dynamic) -> Result<Val, Bail> {
        if d.is_unit() {
            Ok(Val::Unit)
        } else if let Ok(b) = d.as_bool() {
            Ok(Val::Bool(b))
        } else if let Ok(i) = d.as_int() {
            Ok(Val::Int(i))
        } else if let Ok(x) = d.as_decimal() {
            Ok(Val::Dec(x))
        } else if let Ok(s) = d.as_immutable_string_ref() {
            Ok(Val::Str(s.clone()))
        } else if let Some(a) = d.read_lock::<rhai::Array>() {
            Ok(Val::Array(Arc::new(a.iter().map(Val::from_dynamic).collect::<Result<_, _>>()?)))
        } else if let Some(m) = d.read_lock::<rhai::Map>() {
            let map = m.iter().map(|(k, v)| Ok((ImmutableString::from(k.as_str()), Val::from_dynamic(v)?))).collect::<Result<_, _>>()?;
            Ok(Val::Map(Arc::new(map)))
        } else {
            Err(Bail)
        }
    }

    /// Converts a plain value (no household handles, verdicts or closures) back to rhai.
    pub(crate) fn to_dynamic(&self) -> Result<Dynamic, Bail> {
        Ok(match self {
            Val::Unit => Dynamic::UNIT,
            Val::Bool(b) => Dynamic::from_bool(*b),
            Val::Int(i) => Dynamic::from_int(*i),
            Val::Dec(d) => Dynamic::from_decimal(*d),
            Val::Str(s) => Dynamic::from(s.clone()),
            Val::Array(a) => Dynamic::from_array(a.iter().map(Val::to_dynamic).collect::<Result<_, _>>()?),
            Val::Map(m) => Dynamic::from_map(m.iter().map(|(k, v)| Ok((k.as_str().into(), v.to_dynamic()?))).collect::<Result<_, _>>()?),
            _ => return Err(Bail),
        })
    }

    /// The JSON of a finding value, as [`crate::values::to_json`] writes rhai values (and as
    /// [`Val::write_json`] writes it without making a `serde_json::Value`).
    pub(crate) fn to_json(&self) -> Result<serde_json::Value, Bail> {
        use serde_json::Value;
        Ok(match self {
            Val::Unit => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::from(*i),
            Val::Dec(d) => Value::String(d.to_string()),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Array(a) => Value::Array(a.iter().map(Val::to_json).collect::<Result<_, _>>()?),
            Val::Map(m) => Value::Object(map_json(m)?),
            _ => return Err(Bail),
        })
    }

    /// Writes a finding value's JSON, the text `serde_json` writes for [`Val::to_json`]'s
    /// value (the differential tests compare decisions written both ways): `()` is `null`, a
    /// decimal its text (a string), a map an object in key order. Any other kind of value (a
    /// verdict, a handle) is an error, on which the fast path gives up; part of the value may
    /// have been written by then.
    pub(crate) fn write_json(&self, out: &mut impl JsonOut) -> Result<(), Bail> {
        match self {
            Val::Unit => out.raw("null"),
            Val::Bool(b) => out.raw(if *b { "true" } else { "false" }),
            Val::Int(i) => out.int(*i),
            Val::Dec(d) => out.decimal_string(d),
            Val::Str(t) => out.string(t),
            Val::Array(items) => out.list("[", items.iter(), "]", |out, item| item.write_json(out))?,
            Val::Map(m) => write_map_json(m, out)?,
            _ => return Err(Bail),
        }
        Ok(())
    }
}

/// Writes a map of finding values as a JSON object, as [`Val::write_json`] writes a map value.
pub(crate) fn write_map_json(map: &ValMap, out: &mut impl JsonOut) -> Result<(), Bail> {
    out.list("{", map.iter(), "}", |out, (k, v)| {
        out.string(k);
        out.raw(":");
        v.write_json(out)
    })
}

/// `"pass"`, `"fail"`, `"unknown"` or `"error"` as a script string, allocated once per
/// thread: every rule's result is one of them, and a count shared between the threads of a
/// batch would bounce between their cores.
pub(crate) fn result_text(r: FindingResult) -> Val {
    thread_local! {
        static TEXTS: [Val; 4] = FindingResult::ALL.map(|r| Val::str(r.as_str()));
    }
    TEXTS.with(|t| t[r as usize].clone())
}

/// A map's JSON object (keys already sorted).
pub(crate) fn map_json(map: &ValMap) -> Result<serde_json::Map<String, serde_json::Value>, Bail> {
    map.iter().map(|(k, v)| Ok((k.to_string(), v.to_json()?))).collect()
}

fn decimal_pair(x: &Val, y: &Val) -> Option<(Decimal, Decimal)> {
    match (x, y) {
        (Val::Dec(a), Val::Dec(b)) => Some((*a, *b)),
        (Val::Int(a), Val::Dec(b)) => Some((Decimal::from(*a), *b)),
        (Val::Dec(a), Val::Int(b)) => Some((*a, Decimal::from(*b))),
        _ => None,
    }
}

/// `==` as rhai decides it for the value kinds the fast path knows; `None` when rhai would
/// call a function the fast path does not model (arrays, maps, custom types of one kind).
pub(crate) fn equals(x: &Val, y: &Val) -> Result<bool, Bail> {
    match (x, y) {
        (Val::Unit, Val::Unit) => Ok(true),
        (Val::Bool(a), Val::Bool(b)) => Ok(a == b),
        (Val::Int(a), Val::Int(b)) => Ok(a == b),
        (Val::Str(a), Val::Str(b)) => Ok(a == b),
        _ => {
            if let Some((a, b)) = decimal_pair(x, y) {
                Ok(a == b)
            } else if x.kind() != y.kind() && !(x.is_numeric() && y.is_numeric()) {
                Ok(false)
            } else {
                Err(Bail)
            }
        }
    }
}

fn compare(op: BinOp, x: &Val, y: &Val) -> Result<bool, Bail> {
    use std::cmp::Ordering;
    if let (Some(a), Some(b)) = (x.num(), y.num()) {
        return Ok(num_compare(op, a, b));
    }
    let ord: Ordering = match (x, y) {
        (Val::Str(a), Val::Str(b)) => a.as_str().cmp(b.as_str()),
        _ => match decimal_pair(x, y) {
            Some((a, b)) => a.cmp(&b),
            // Different non-numeric kinds compare false in rhai; same kinds without an
            // ordering would be a script error.
            None if x.kind() != y.kind() => return Ok(false),
            None => return Err(Bail),
        },
    };
    Ok(match op {
        BinOp::Lt => ord.is_lt(),
        BinOp::Le => ord.is_le(),
        BinOp::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

/// A number of the fast path: a value without the kinds that need dropping or checking.
#[derive(Clone, Copy, Debug)]
// A whole-word tag, as [`Val`]'s: a number is written and read in the same pieces.
#[repr(u64)]
pub(crate) enum Num {
    Int(i64),
    Dec(Decimal),
}

impl From<Num> for Val {
    fn from(n: Num) -> Val {
        match n {
            Num::Int(i) => Val::Int(i),
            Num::Dec(d) => Val::Dec(d),
        }
    }
}

/// `+ - * / %` on two numbers as rhai gives them: integers stay integers, a decimal makes
/// both decimals; `None` on overflow or division by zero (rhai raises an error).
#[inline(always)]
pub(crate) fn numeric(op: BinOp, x: Num, y: Num) -> Option<Num> {
    let (a, b) = match (x, y) {
        (Num::Int(a), Num::Int(b)) => {
            let r = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                _ => a.checked_rem(b),
            };
            return r.map(Num::Int);
        }
        (Num::Int(a), Num::Dec(b)) => (Decimal::from(a), b),
        (Num::Dec(a), Num::Int(b)) => (a, Decimal::from(b)),
        (Num::Dec(a), Num::Dec(b)) => (a, b),
    };
    let r = match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div if b.is_zero() => None,
        BinOp::Div => a.checked_div(b),
        _ if b.is_zero() => None,
        _ => a.checked_rem(b),
    };
    r.map(Num::Dec)
}

/// `<`, `<=`, `>`, `>=` (and `==`, `!=`) between two numbers as rhai decides them: an
/// integer and a decimal compare as decimals.
#[inline(always)]
pub(crate) fn num_compare(op: BinOp, x: Num, y: Num) -> bool {
    let ord = match (x, y) {
        (Num::Int(a), Num::Int(b)) => a.cmp(&b),
        (Num::Int(a), Num::Dec(b)) => Decimal::from(a).cmp(&b),
        (Num::Dec(a), Num::Int(b)) => a.cmp(&Decimal::from(b)),
        (Num::Dec(a), Num::Dec(b)) => a.cmp(&b),
    };
    match op {
        BinOp::Lt => ord.is_lt(),
        BinOp::Le => ord.is_le(),
        BinOp::Gt => ord.is_gt(),
        BinOp::Ge => ord.is_ge(),
        BinOp::Eq => ord.is_eq(),
        _ => ord.is_ne(),
    }
}

impl Val {
    /// The value as a number, if it is one.
    #[inline(always)]
    pub(crate) fn num(&self) -> Option<Num> {
        match self {
            Val::Int(i) => Some(Num::Int(*i)),
            Val::Dec(d) => Some(Num::Dec(*d)),
            _ => None,
        }
    }
}

#[inline(always)]
fn arithmetic(op: BinOp, x: &Val, y: &Val) -> Result<Val, Bail> {
    if let (Some(a), Some(b)) = (x.num(), y.num()) {
        return numeric(op, a, b).map(Val::from).ok_or(Bail);
    }
    match (op, x, y) {
        (BinOp::Add, Val::Str(a), Val::Str(b)) => Ok(Val::Str(a.clone() + b)),
        (BinOp::Add, Val::Str(a), Val::Unit) | (BinOp::Add, Val::Unit, Val::Str(a)) => Ok(Val::Str(a.clone())),
        _ => Err(Bail),
    }
}

/// `x in y`: membership in an array (by `==`), a key of a map, a substring of a string.
pub(crate) fn contains(container: &Val, item: &Val) -> Result<bool, Bail> {
    match (container, item) {
        (Val::Array(a), _) => {
            for x in a.iter() {
                if equals(x, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        (Val::Map(m), Val::Str(k)) => Ok(m.contains_key(k)),
        (Val::Str(s), Val::Str(sub)) => Ok(s.contains(sub.as_str())),
        _ => Err(Bail),
    }
}

/// A binary operator other than `&&` / `||`.
///
/// Inlined where it is called, with [`arithmetic`]: a decimal result is then written once
/// where the caller keeps it. Returned from a call, its four 32-bit words were read back as
/// wider words by the caller, a store the processor cannot forward (about 5 % of the
/// outcome-only time).
#[inline(always)]
pub(crate) fn binary(op: BinOp, x: &Val, y: &Val) -> Result<Val, Bail> {
    match op {
        BinOp::Eq => equals(x, y).map(Val::Bool),
        BinOp::Ne => equals(x, y).map(|b| Val::Bool(!b)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => compare(op, x, y).map(Val::Bool),
        BinOp::In => contains(y, x).map(Val::Bool),
        _ => arithmetic(op, x, y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_kinds_follow_rhai() {
        let d = Val::Dec(Decimal::new(15, 1));
        assert_eq!(equals(&Val::Unit, &d), Ok(false));
        assert!(matches!(binary(BinOp::Ne, &Val::Unit, &d), Ok(Val::Bool(true))));
        assert!(matches!(binary(BinOp::Lt, &Val::Unit, &d), Ok(Val::Bool(false))));
        assert!(matches!(binary(BinOp::Mul, &Val::Int(2), &d), Ok(Val::Dec(x)) if x == Decimal::new(30, 1)));
        assert!(matches!(binary(BinOp::Div, &Val::Int(7), &Val::Int(2)), Ok(Val::Int(3))));
        assert_eq!(binary(BinOp::Div, &Val::Int(7), &Val::Int(0)).unwrap_err(), Bail);
        assert_eq!(binary(BinOp::Add, &Val::Int(i64::MAX), &Val::Int(1)).unwrap_err(), Bail);
        assert_eq!(equals(&Val::Array(Arc::default()), &Val::Array(Arc::default())), Err(Bail));
    }

    /// An own copy is equal and shares no string, list or map, however deep.
    #[test]
    fn an_own_copy_shares_nothing() {
        let text = Val::str("失学");
        let mut inner = ValMap::new();
        inner.insert("kind".into(), text.clone());
        let inner = Val::Map(Arc::new(inner));
        let list = Val::Array(Arc::new(vec![text.clone(), inner.clone(), Val::Int(3)]));
        let mut outer = ValMap::new();
        outer.insert("list".into(), list.clone());
        outer.insert("score".into(), Val::Dec(Decimal::new(15, 1)));
        let value = Val::Map(Arc::new(outer));
        let copy = value.own_copy();
        assert_eq!(format!("{copy:?}"), format!("{value:?}"));
        // Every string, list and map of the copy has its own reference count.
        fn shared(a: &Val, b: &Val) -> bool {
            match (a, b) {
                (Val::Str(x), Val::Str(y)) => x.ptr_eq(y),
                (Val::Array(x), Val::Array(y)) => Arc::ptr_eq(x, y) || x.iter().zip(y.iter()).any(|(a, b)| shared(a, b)),
                (Val::Map(x), Val::Map(y)) => Arc::ptr_eq(x, y) || x.iter().zip(y.iter()).any(|((ka, a), (kb, b))| ka.ptr_eq(kb) || shared(a, b)),
                _ => false,
            }
        }
        assert!(shared(&value, &value.clone()), "a clone shares");
        assert!(!shared(&value, &copy));
    }

    /// Values are moved on every step of the fast path: a decimal's size, not a tally's.
    #[test]
    fn a_value_is_as_small_as_a_decimal_and_its_tag() {
        assert!(std::mem::size_of::<Val>() <= 24, "{}", std::mem::size_of::<Val>());
        assert_eq!(std::mem::size_of::<Result<Val, Bail>>(), std::mem::size_of::<Val>());
        // A closure's result: the control flow is a whole word where a payload starts, so a
        // result is copied in words, as it was written.
        assert_eq!(std::mem::size_of::<super::super::exec::Flow>(), 8);
        assert_eq!(std::mem::size_of::<Result<Val, super::super::exec::Flow>>(), std::mem::size_of::<Val>());
    }
}
