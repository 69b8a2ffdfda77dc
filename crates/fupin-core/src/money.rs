//! Exact decimal amounts: [`Money`] (yuan, at most two decimals) and [`Quantity`]
//! (litres, minutes, percentages).
//!
//! Both accept JSON numbers; [`Money`] also accepts decimal strings such as `"2736.50"`.
//! A JSON number is read through its shortest round-trip text, so `3218.1` becomes exactly
//! `3218.10` and sums never drift the way binary floats do.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An amount of money in yuan with exactly two decimals (分).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero yuan, written `0.00`.
    pub const ZERO_FEN: Decimal = Decimal::from_parts(0, 0, 0, false, 2);

    /// Builds an amount from a decimal, refusing more than two decimals.
    pub fn new(value: Decimal) -> Result<Money, String> {
        let value = value.normalize();
        if value.scale() > 2 {
            return Err(format!("{value} has more than two decimals (money is kept to the 分)"));
        }
        let mut value = value;
        value.rescale(2);
        Ok(Money(value))
    }

    /// Parses `"2736.50"`, `"-12"` or `"3"`; at most 12 integer digits and 2 decimals.
    pub fn parse(text: &str) -> Result<Money, String> {
        let digits = text.strip_prefix('-').unwrap_or(text).as_bytes();
        // One pass: the amount in 分 so far, the integer digits, and the decimals once the
        // point is passed (`None` before it).
        let (mut fen, mut int, mut frac) = (0u64, 0usize, None::<usize>);
        for &b in digits {
            match (b, frac) {
                (b'0'..=b'9', None) if int < 12 => int += 1,
                (b'0'..=b'9', Some(n)) if n < 2 => frac = Some(n + 1),
                (b'.', None) if int > 0 => {
                    frac = Some(0);
                    continue;
                }
                _ => return Err(malformed(text)),
            }
            fen = fen * 10 + u64::from(b - b'0');
        }
        let decimals = match frac {
            None if int > 0 => 0,
            Some(n) if n > 0 => n,
            _ => return Err(malformed(text)),
        };
        // At most 14 digits in all, so the amount in 分 fits a u64 exactly and the decimal is
        // built directly (as `Money::new` would: scale 2, zero never negative).
        let fen = fen * 10u64.pow(2 - decimals as u32);
        let negative = text.starts_with('-') && fen != 0;
        Ok(Money(Decimal::from_parts(fen as u32, (fen >> 32) as u32, 0, negative, 2)))
    }

    /// The exact decimal value (scale 2).
    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// True for amounts below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// Reads a JSON number through its shortest round-trip decimal text.
fn decimal_from_f64(v: f64) -> Result<Decimal, String> {
    if !v.is_finite() {
        return Err("expected a finite number".into());
    }
    Decimal::from_str(&v.to_string()).map_err(|_| format!("{v} is out of range"))
}

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an amount in yuan (number or decimal string, at most 2 decimals)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        Money::new(Decimal::from(v)).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        Money::new(Decimal::from(v)).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        decimal_from_f64(v).and_then(Money::new).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        Money::parse(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        d.deserialize_any(MoneyVisitor)
    }
}

impl JsonSchema for Money {
    fn schema_name() -> Cow<'static, str> {
        "money".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Yuan; number or decimal string such as \"2736.50\"; at most 2 decimals.",
            "oneOf": [
                { "type": "number" },
                { "type": "string", "pattern": "^-?[0-9]{1,12}(\\.[0-9]{1,2})?$" }
            ]
        })
    }
}

/// A non-monetary measured quantity (litres per person per day, minutes, percent), exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(Decimal);

impl Quantity {
    /// The exact decimal value.
    pub fn decimal(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Quantity {
    fn from(value: Decimal) -> Quantity {
        Quantity(value)
    }
}

impl Serialize for Quantity {
    /// A JSON number, as the schema requires (integers stay integers).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        match self.0.to_i64() {
            Some(i) if self.0.fract().is_zero() => s.serialize_i64(i),
            _ => s.serialize_f64(self.0.to_f64().unwrap_or(f64::NAN)),
        }
    }
}

struct QuantityVisitor;

impl Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
        Ok(Quantity(Decimal::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
        Ok(Quantity(Decimal::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
        decimal_from_f64(v).map(Quantity).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quantity, D::Error> {
        d.deserialize_any(QuantityVisitor)
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "number".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number" })
    }
}

/// The error for a text that is not a decimal amount.
fn malformed(text: &str) -> String {
    format!("expected a decimal amount such as \"2736.50\" (at most 12 digits and 2 decimals), found {}", shown(text))
}

/// A refused amount as an error may show it: a short decimal-like text (`12.345`) is quoted;
/// anything else (a name, an ID number or a phone number typed into the wrong column) is
/// described, never repeated.
fn shown(text: &str) -> String {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let number_like = text.len() <= 16 && !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if number_like { format!("\"{text}\"") } else { format!("text of {} characters that is not a number (not shown)", text.chars().count()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_amount_is_quoted_only_when_it_is_a_short_decimal() {
        assert!(Money::parse("12.345").unwrap_err().ends_with("found \"12.345\""));
        for personal in ["张三", "110101199003078515", "138-1234-5678", "11010119900307851X"] {
            let e = Money::parse(personal).unwrap_err();
            assert!(!e.contains(personal), "{e}");
            assert!(e.contains("not shown"), "{e}");
        }
    }

    fn money(json: &str) -> Result<Money, String> {
        serde_json::from_str::<Money>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_strings_are_exact_to_the_fen() {
        assert_eq!(money("3218.1").unwrap().to_string(), "3218.10");
        assert_eq!(money("\"2736.50\"").unwrap().to_string(), "2736.50");
        assert_eq!(money("4000").unwrap().to_string(), "4000.00");
        let sum = money("0.1").unwrap().decimal() + money("0.2").unwrap().decimal();
        assert_eq!(sum.to_string(), "0.30");
    }

    #[test]
    fn over_precise_and_malformed_amounts_are_refused() {
        assert!(money("1.005").unwrap_err().contains("more than two decimals"));
        assert!(money("\"1.005\"").is_err());
        assert!(money("\"12,000\"").is_err());
        assert!(money("\"\"").is_err());
        assert!(money("\"1.\"").is_err());
        assert!(money("true").is_err());
    }

    #[test]
    fn decimal_strings_build_the_same_decimal_as_the_general_parser() {
        for text in ["0", "-0", "-0.00", "0.5", "-0.05", "7", "12.3", "2736.50", "000012.30", "-12", "999999999999.99", "-999999999999.99", "100.10"] {
            let reference = Money::new(Decimal::from_str(text).unwrap()).unwrap();
            let fast = Money::parse(text).unwrap();
            assert_eq!(fast.0.serialize(), reference.0.serialize(), "{text}");
            assert_eq!(fast.to_string(), reference.to_string(), "{text}");
        }
    }

    proptest::proptest! {
        /// Exactly the schema's pattern `^-?[0-9]{1,12}(\.[0-9]{1,2})?$` is taken, as the
        /// general parser reads it.
        #[test]
        fn the_schema_pattern_is_taken_and_nothing_else(
            minus in proptest::option::of("-{1,2}"),
            int in "[0-9]{0,14}",
            frac in proptest::option::of("[0-9]{0,3}"),
            junk in proptest::option::of((0usize..20, "[ ,+eE一]")),
        ) {
            let mut text = format!("{}{int}{}", minus.as_deref().unwrap_or(""), frac.as_ref().map(|f| format!(".{f}")).unwrap_or_default());
            if let Some((at, j)) = &junk {
                text.insert_str(text.floor_char_boundary((*at).min(text.len())), j);
            }
            let shaped = junk.is_none()
                && minus.as_ref().is_none_or(|m| m.len() == 1)
                && (1..=12).contains(&int.len())
                && frac.as_ref().is_none_or(|f| (1..=2).contains(&f.len()));
            match Money::parse(&text) {
                Ok(fast) => {
                    proptest::prop_assert!(shaped, "{text} was taken");
                    let reference = Money::new(Decimal::from_str(&text).unwrap()).unwrap();
                    proptest::prop_assert_eq!(fast.0.serialize(), reference.0.serialize(), "{}", text);
                }
                Err(e) => {
                    proptest::prop_assert!(!shaped, "{text} was refused: {e}");
                    proptest::prop_assert!(e.starts_with("expected a decimal amount"), "{}", e);
                }
            }
        }
    }

    #[test]
    fn negative_amounts_parse_and_are_flagged() {
        assert!(money("-5").unwrap().is_negative());
        assert!(!money("0").unwrap().is_negative());
    }
}
