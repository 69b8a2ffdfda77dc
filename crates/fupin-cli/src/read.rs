//! Reading a village file's text from a file or stdin; `fupin::village::records` splits it into
//! households (one JSON household, a JSON array, or JSON Lines).

use std::io::Read;

/// Reads all of `path` (`-` = stdin).
pub fn read_text(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("stdin: {e}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}
