//! Reading households from a file or stdin: one JSON household, a JSON array, or JSON Lines.
//! Each record keeps its 1-based row (line for JSON Lines, element for arrays) so that an
//! error can name it; a bad record never stops the others.

use std::io::Read;

use fupin::{Household, ValidationError};
use serde_json::Value;

/// One input record: its row and either the household or why it was refused.
pub struct Record {
    pub row: usize,
    pub household: Result<Household, (Option<String>, ValidationError)>,
}

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

fn id_of(value: &Value) -> Option<String> {
    value.get("id").and_then(Value::as_str).map(str::to_string)
}

fn from_value(row: usize, value: Value) -> Record {
    let id = id_of(&value);
    Record { row, household: fupin::household_from_value(value).map_err(|e| (id, e)) }
}

fn from_line(row: usize, line: &str) -> Record {
    match serde_json::from_str::<Value>(line) {
        Ok(value) => from_value(row, value),
        Err(_) => Record { row, household: fupin::parse_household(line).map_err(|e| (None, e)) },
    }
}

/// Splits the text into records.
pub fn records(text: &str) -> Vec<Record> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return match serde_json::from_str::<Vec<Value>>(trimmed) {
            Ok(items) => items.into_iter().enumerate().map(|(i, v)| from_value(i + 1, v)).collect(),
            Err(e) => vec![Record { row: 1, household: Err((None, ValidationError::new("", format!("malformed JSON array: {e}")))) }],
        };
    }
    let lines: Vec<(usize, &str)> = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, l)| (i + 1, l)).collect();
    let single_document = lines.len() > 1 && serde_json::from_str::<Value>(lines[0].1).is_err() && serde_json::from_str::<Value>(text).is_ok();
    if single_document {
        return vec![from_line(1, text)];
    }
    lines.into_iter().map(|(row, line)| from_line(row, line)).collect()
}
