//! Numbers written as text exactly as their `Display` writes them, without `core::fmt`.
//!
//! A full decision writes a few dozen amounts and counts into its messages and values.
//! `Decimal`'s `Display` divides the 96-bit mantissa by ten for each digit and pads the
//! result through the formatter; here the mantissa is written by `itoa` (64-bit arithmetic
//! whenever it fits, as every amount of money does) and the point put in place. The text
//! is the same: a property test holds it to `Display`, sign, scale and zeros included.

use rust_decimal::Decimal;

/// Zeros between the point and the digits of a decimal below one (the scale is at most 28).
const ZEROS: &str = "0000000000000000000000000000";

/// Hands `put` the pieces of `d`'s text, in order: what `d.to_string()` gives.
pub(crate) fn decimal_pieces(d: &Decimal, mut put: impl FnMut(&str)) {
    let mut buffer = itoa::Buffer::new();
    let mantissa = d.mantissa().unsigned_abs();
    let digits = match u64::try_from(mantissa) {
        Ok(small) => buffer.format(small),
        Err(_) => buffer.format(mantissa),
    };
    if d.is_sign_negative() {
        put("-");
    }
    let scale = d.scale() as usize;
    if scale == 0 {
        put(digits);
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        put(whole);
        put(".");
        put(fraction);
    } else {
        put("0.");
        put(&ZEROS[..scale - digits.len()]);
        put(digits);
    }
}

/// Appends `d` as `d.to_string()` would.
pub(crate) fn push_decimal(out: &mut String, d: &Decimal) {
    decimal_pieces(d, |piece| out.push_str(piece));
}

/// Appends `i` as `i.to_string()` would.
pub(crate) fn push_int(out: &mut String, i: i64) {
    out.push_str(itoa::Buffer::new().format(i));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(d: &Decimal) -> String {
        let mut s = String::new();
        push_decimal(&mut s, d);
        s
    }

    #[test]
    fn edge_cases_read_as_display_writes_them() {
        let cases = [
            Decimal::ZERO,
            Decimal::from_parts(0, 0, 0, true, 0),
            Decimal::from_parts(0, 0, 0, false, 2),
            Decimal::from_parts(0, 0, 0, true, 2),
            Decimal::new(5, 2),
            Decimal::new(-5, 2),
            Decimal::new(974050, 2),
            Decimal::new(100, 2),
            Decimal::new(1, 28),
            Decimal::new(-1, 28),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 28),
            Decimal::from_parts(0, 1, 0, false, 0),
        ];
        for d in cases {
            assert_eq!(text(&d), d.to_string(), "{d:?}");
        }
        assert_eq!(text(&Decimal::new(5, 2)), "0.05");
        assert_eq!(text(&Decimal::new(974050, 2)), "9740.50");
    }

    #[test]
    fn integers_read_as_display_writes_them() {
        for i in [0, 7, -7, 2019, i64::MAX, i64::MIN] {
            let mut s = String::from("x");
            push_int(&mut s, i);
            assert_eq!(s, format!("x{i}"));
        }
    }

    proptest! {
        #[test]
        fn any_decimal_reads_as_display_writes_it(lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28, small in any::<bool>()) {
            // Half the cases with a mantissa that fits in 64 bits, as amounts of money do.
            let d = Decimal::from_parts(lo, mid, if small { 0 } else { hi }, negative, scale);
            prop_assert_eq!(text(&d), d.to_string());
        }

        #[test]
        fn money_reads_as_display_writes_it(fen in -10_000_000_000i64..10_000_000_000, scale in 0u32..=4) {
            let d = Decimal::new(fen, scale);
            prop_assert_eq!(text(&d), d.to_string());
        }
    }
}
