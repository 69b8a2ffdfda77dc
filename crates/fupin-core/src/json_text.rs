//! JSON text written piece by piece, byte for byte as `serde_json` writes it.
//!
//! A full decision is about 11 KB, most of it the findings' Chinese and English messages.
//! Written through `serde_json`'s serializer, every byte of every string went through its
//! escape table one at a time, and every field through its state machine. Strings here are
//! checked many bytes at a time for the few bytes JSON escapes (`"`, `\` and control
//! characters) and copied whole when there are none, which is nearly always. The escapes
//! are `serde_json`'s: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` (lower-case
//! hex) for the other control characters; nothing else is escaped. A property test holds
//! [`JsonOut::string`] to `serde_json::to_string`, and the engine's tests hold whole
//! decisions to `serde_json`'s bytes.

use serde::Serialize;

use crate::number_text::decimal_pieces;

/// Where JSON text goes: appended to bytes, or to a `String` (text `serde_json` or these
/// writers made is UTF-8 by construction, so neither needs checking afterwards).
pub(crate) trait JsonOut {
    /// Appends `text` as it is.
    fn raw(&mut self, text: &str);
    /// Bytes written so far.
    fn written(&self) -> usize;
    /// Drops what was written after the first `len` bytes (a boundary [`JsonOut::written`] gave).
    fn cut(&mut self, len: usize);
    /// Makes room for at least `additional` more bytes.
    fn reserve(&mut self, additional: usize);
    /// Appends `value` as `serde_json` writes it; on error nothing is appended.
    fn serde(&mut self, value: &impl Serialize) -> serde_json::Result<()>;

    /// Appends `s` as a JSON string.
    fn string(&mut self, s: &str) {
        self.raw("\"");
        let bytes = s.as_bytes();
        // No early exit: the compiler checks many bytes at once.
        if !bytes.iter().fold(false, |any, &b| any | escaped(b)) {
            self.raw(s);
        } else {
            let mut start = 0;
            for (i, &b) in bytes.iter().enumerate() {
                if escaped(b) {
                    // An escaped byte is ASCII, so both cuts fall between characters.
                    self.raw(&s[start..i]);
                    self.raw(escape(b));
                    start = i + 1;
                }
            }
            self.raw(&s[start..]);
        }
        self.raw("\"");
    }

    /// Appends an integer.
    fn int(&mut self, i: i64) {
        self.raw(itoa::Buffer::new().format(i));
    }

    /// Appends a decimal as a JSON string of its text (`"9740.50"`).
    fn decimal_string(&mut self, d: &rust_decimal::Decimal) {
        self.raw("\"");
        decimal_pieces(d, |piece| self.raw(piece));
        self.raw("\"");
    }

    /// Appends `open`, each item as `write` writes it with commas between, then `close`: a
    /// JSON array (`[`, `]`) or object (`{`, `}`). Stops at the first error.
    fn list<T, E>(&mut self, open: &str, items: impl IntoIterator<Item = T>, close: &str, mut write: impl FnMut(&mut Self, T) -> Result<(), E>) -> Result<(), E>
    where
        Self: Sized,
    {
        self.raw(open);
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            write(self, item)?;
        }
        self.raw(close);
        Ok(())
    }

    /// Appends a list of strings.
    fn strings<S: AsRef<str>>(&mut self, items: &[S])
    where
        Self: Sized,
    {
        let Ok(()) = self.list::<_, std::convert::Infallible>("[", items, "]", |out, item| {
            out.string(item.as_ref());
            Ok(())
        });
    }
}

impl JsonOut for Vec<u8> {
    fn raw(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
    fn written(&self) -> usize {
        self.len()
    }
    fn cut(&mut self, len: usize) {
        self.truncate(len);
    }
    fn reserve(&mut self, additional: usize) {
        Vec::reserve(self, additional);
    }
    fn serde(&mut self, value: &impl Serialize) -> serde_json::Result<()> {
        let start = self.len();
        serde_json::to_writer(&mut *self, value).inspect_err(|_| self.truncate(start))
    }
}

impl JsonOut for String {
    fn raw(&mut self, text: &str) {
        self.push_str(text);
    }
    fn written(&self) -> usize {
        self.len()
    }
    fn cut(&mut self, len: usize) {
        self.truncate(len);
    }
    fn reserve(&mut self, additional: usize) {
        String::reserve(self, additional);
    }
    fn serde(&mut self, value: &impl Serialize) -> serde_json::Result<()> {
        let text = serde_json::to_string(value)?;
        if self.is_empty() {
            *self = text;
        } else {
            self.push_str(&text);
        }
        Ok(())
    }
}

/// Whether JSON escapes this byte inside a string.
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The escape of a byte that [`escaped`] says JSON escapes.
fn escape(b: u8) -> &'static str {
    match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        _ => CONTROL[usize::from(b & 0x1f)],
    }
}

/// The escapes of the control characters, as `serde_json` writes them.
const CONTROL: [&str; 32] = [
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b",
    "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016",
    "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(s: &str) -> (String, Vec<u8>) {
        let (mut text, mut bytes) = (String::new(), Vec::new());
        text.string(s);
        bytes.string(s);
        (text, bytes)
    }

    #[test]
    fn every_control_character_and_the_two_escapes_as_serde_json_writes_them() {
        for b in (0u8..0x20).chain([b'"', b'\\', 0x7f, b'/', b'a']) {
            let s = format!("人均{}纯收入 of sixteen bytes or more{}", char::from(b), char::from(b));
            let (text, bytes) = both(&s);
            assert_eq!(text, serde_json::to_string(&s).unwrap(), "byte {b:#x}");
            assert_eq!(bytes, text.as_bytes());
        }
    }

    #[test]
    fn lists_and_numbers_as_serde_json_writes_them() {
        let mut out = String::new();
        out.strings(&["illness", "a\"b"]);
        out.raw(",");
        out.strings::<&str>(&[]);
        out.raw(",");
        out.int(-42);
        out.raw(",");
        out.decimal_string(&rust_decimal::Decimal::new(974050, 2));
        assert_eq!(out, r#"["illness","a\"b"],[],-42,"9740.50""#);
    }

    #[test]
    fn serde_appends_and_leaves_nothing_on_error() {
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let (mut text, mut bytes) = (String::from("["), b"[".to_vec());
        assert!(text.serde(&Fails).is_err() && bytes.serde(&Fails).is_err());
        assert_eq!((text.as_str(), bytes.as_slice()), ("[", &b"["[..]));
        text.serde(&("a", 1)).unwrap();
        bytes.serde(&("a", 1)).unwrap();
        assert_eq!((text.as_str(), bytes.as_slice()), (r#"[["a",1]"#, &br#"[["a",1]"#[..]));
    }

    proptest! {
        #[test]
        fn any_string_as_serde_json_writes_it(s in "(\\PC|[\\x00-\\x1f\"\\\\])*") {
            let (text, bytes) = both(&s);
            prop_assert_eq!(&text, &serde_json::to_string(&s).unwrap());
            prop_assert_eq!(bytes, text.into_bytes());
        }

        #[test]
        fn any_text_as_serde_json_writes_it(s: String) {
            prop_assert_eq!(both(&s).0, serde_json::to_string(&s).unwrap());
        }
    }
}
