//! Where households come from, one record at a time and in input order, without reading a
//! whole file into memory:
//!
//! - JSON Lines (a file or stdin): one household per line; a line is handed on as bytes and
//!   parsed later, in parallel. A single pretty-printed household or a JSON array (small by
//!   nature) is still accepted and read whole.
//! - 户表 + 人表 as two UTF-8 CSV or Parquet files: the member table is indexed by 户编号 first (it is held
//!   in memory, grouped by household), then the household table is streamed and each household
//!   assembled with [`fupin::tables::assemble`].
//!
//! Rows are numbered from 1: the line of a JSON Lines file, the element of an array, the line
//! of a CSV file (the header is line 1), the data row of a Parquet file.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use fupin::tables::{Row, household_column, member_column};
use fupin::{Household, ValidationError};
use serde::Serialize;
use serde_json::Value;

use crate::lines::{Line, Lines};

/// A refused input row as reported: where it is and why, never a cell value.
#[derive(Debug, Serialize)]
pub struct RowError {
    /// The input file, when a command reads more than one (`dynamics`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// `households` or `members` for the two-table input; absent for JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<&'static str>,
    /// Row (line) in that file.
    pub row: usize,
    /// 户编号, when it could be read.
    pub household_id: Option<String>,
    /// Field path or column.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    /// The error `e` of a row.
    pub fn new(table: Option<&'static str>, row: usize, household_id: Option<String>, e: ValidationError) -> RowError {
        RowError { file: None, table, row, household_id, path: e.path, message: e.message }
    }
}

/// A record as the reader hands it on.
pub enum Pending {
    /// A JSON Lines line, not parsed yet.
    Line(Line),
    /// Already parsed (or refused).
    Ready(Box<Result<Household, RowError>>),
    /// A 户表 row with its 人表 rows, to be assembled and parsed.
    Deferred(Box<dyn FnOnce() -> Result<Household, RowError> + Send>),
}

/// One input record and the place errors about it refer to.
pub struct Item {
    /// The table a later error about this record names.
    pub table: Option<&'static str>,
    /// Its row.
    pub row: usize,
    /// Its content.
    pub pending: Pending,
}

/// Records in input order; an `Err` is a failure of the whole input (I/O), after which nothing
/// more comes.
pub type Items = Box<dyn Iterator<Item = Result<Item, String>> + Send>;

/// Parses a JSON Lines line (on a worker thread).
pub fn parse_line(row: usize, bytes: &[u8]) -> Result<Household, RowError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(RowError::new(None, row, None, ValidationError::new("", "the line is not valid UTF-8")));
    };
    fupin::parse_household(text).map_err(|e| {
        let id = serde_json::from_str::<Value>(text).ok().and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string));
        RowError::new(None, row, id, e)
    })
}

fn open(path: &str) -> Result<Box<dyn Read + Send>, String> {
    if path == "-" {
        Ok(Box::new(std::io::stdin()))
    } else {
        File::open(path).map(|f| Box::new(f) as Box<dyn Read + Send>).map_err(|e| format!("{path}: {e}"))
    }
}

struct JsonLines {
    lines: Lines,
    name: String,
    line: usize,
    first: Option<Item>,
    failed: bool,
}

impl JsonLines {
    /// The next line that is not blank: (line number, bytes without the line end).
    fn next_line(&mut self) -> Option<Result<(usize, Line), String>> {
        loop {
            match self.lines.next_line()? {
                Ok(mut line) => {
                    self.line += 1;
                    line.trim_end(b'\r');
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        return Some(Ok((self.line, line)));
                    }
                }
                Err(e) => return Some(Err(format!("{}: {e}", self.name))),
            }
        }
    }
}

impl Iterator for JsonLines {
    type Item = Result<Item, String>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(first) = self.first.take() {
            return Some(Ok(first));
        }
        if self.failed {
            return None;
        }
        match self.next_line()? {
            Ok((row, bytes)) => Some(Ok(Item { table: None, row, pending: Pending::Line(bytes) })),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Households from JSON (`-` = stdin).
pub fn json(path: &str) -> Result<Items, String> {
    let mut lines = JsonLines { lines: Lines::new(open(path)?), name: path.to_string(), line: 0, first: None, failed: false };
    let Some(first) = lines.next_line() else {
        return Ok(Box::new(std::iter::empty()));
    };
    let (row, mut bytes) = first?;
    if bytes.starts_with("\u{feff}".as_bytes()) {
        bytes.skip(3);
    }
    let head = String::from_utf8_lossy(&bytes);
    let head = head.trim();
    if head.starts_with('[') || head == "{" {
        // A JSON array or one pretty-printed document: read whole (the old, small-input form).
        let rest = lines.lines.rest().map_err(|e| format!("{path}: {e}"))?;
        let mut all = bytes.to_vec();
        all.push(b'\n');
        all.extend(rest);
        let text = String::from_utf8(all).map_err(|_| format!("{path}: not valid UTF-8"))?;
        let items: Vec<Result<Item, String>> = whole_document(&text)
            .into_iter()
            .map(|(i, household)| Ok(Item { table: None, row: row + i - 1, pending: Pending::Ready(Box::new(household.map_err(|(id, e)| RowError::new(None, row + i - 1, id, e)))) }))
            .collect();
        return Ok(Box::new(items.into_iter()));
    }
    lines.first = Some(Item { table: None, row, pending: Pending::Line(bytes) });
    Ok(Box::new(lines))
}

type Refused = (Option<String>, ValidationError);

/// A JSON array of households (element `i` is row `i`) or one household: the small, whole-text
/// input forms.
fn whole_document(text: &str) -> Vec<(usize, Result<Household, Refused>)> {
    let id_of = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_string);
    let one = |v: Value| {
        let id = id_of(&v);
        fupin::household_from_value(v).map_err(|e| (id, e))
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.into_iter().enumerate().map(|(i, v)| (i + 1, one(v))).collect(),
        Ok(v) => vec![(1, one(v))],
        Err(e) => vec![(1, Err((None, ValidationError::new("", format!("malformed JSON: {e}")))))],
    }
}

/// A table row as read: its row number, its key (户编号) when readable, and its cells.
pub struct RawRow {
    /// 1-based row (CSV: file line; Parquet: data row).
    pub row: usize,
    /// The 户编号 cell, trimmed, when present and readable.
    pub key: Option<String>,
    /// The cells by column name, or why the row cannot be read.
    pub cells: Result<Row, ValidationError>,
}

/// A table read one row at a time (CSV or Parquet); `Err` = the file cannot be read further.
pub trait TableReader: Send {
    /// The column names, as in the file.
    fn headers(&self) -> &[String];
    /// The next row.
    fn next_row(&mut self) -> Option<Result<RawRow, String>>;
}

/// Checks a table's column names: every column known, the required ones present. A problem
/// here stops the command: no row could be read right.
pub fn check_columns(name: &str, columns: &[String], canonical: fn(&str) -> Option<&'static str>, required: &[(&str, &str)]) -> Result<(), String> {
    if let Some(unknown) = columns.iter().find(|c| canonical(c).is_none()) {
        return Err(format!("{name}: unknown column {unknown:?} (see README, 户表+人表 columns)"));
    }
    for (en, zh) in required {
        if !columns.iter().any(|n| canonical(n) == Some(en)) {
            return Err(format!("{name}: required column {en} ({zh}) is missing"));
        }
    }
    Ok(())
}

/// The kind of table and its rules.
#[derive(Clone, Copy)]
pub struct TableKind {
    /// English/Chinese name → English name.
    pub canonical: fn(&str) -> Option<&'static str>,
    /// Columns that must be present (English, Chinese).
    pub required: &'static [(&'static str, &'static str)],
    /// The column holding the 户编号.
    pub key: &'static str,
}

/// 户表
pub const HOUSEHOLDS: TableKind = TableKind { canonical: household_column, required: &[("id", "户编号"), ("year", "年度")], key: "id" };
/// 人表
pub const MEMBERS: TableKind = TableKind { canonical: member_column, required: &[("household_id", "户编号"), ("relation", "与户主关系")], key: "household_id" };

/// Opens a table by its extension: `.parquet` / `.pq` as Parquet, anything else as CSV.
fn open_table(path: &Path, kind: TableKind) -> Result<Box<dyn TableReader>, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("parquet" | "pq") => crate::tables_parquet::open(path, kind),
        _ => crate::tables_csv::open(path, kind),
    }
}

/// A member row, kept until its household comes.
struct MemberRow {
    row: usize,
    cells: Result<Packed, ValidationError>,
}

/// The cells of a row as text laid end to end (about a tenth of the memory of a [`Row`]): the
/// member table is held until every household has come. Text is lossless here: the table
/// reader accepts numbers and booleans written as text, and an empty cell means unknown.
struct Packed {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl Packed {
    fn pack(headers: &[String], row: &Row) -> Packed {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(headers.len());
        for h in headers {
            match row.get(h) {
                Some(Value::String(s)) => text.push_str(s),
                Some(Value::Bool(b)) => text.push_str(if *b { "true" } else { "false" }),
                Some(Value::Number(n)) => text.push_str(&n.to_string()),
                _ => {}
            }
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        Packed { text: text.into_boxed_str(), ends: ends.into_boxed_slice() }
    }

    fn unpack(&self, headers: &[String]) -> Row {
        let mut row = Row::new();
        let mut start = 0;
        for (h, end) in headers.iter().zip(self.ends.iter()) {
            let end = *end as usize;
            if let Some(cell) = self.text.get(start..end).filter(|c| !c.is_empty()) {
                row.insert(h.clone(), Value::String(cell.to_string()));
            }
            start = end;
        }
        row
    }
}

struct Tables {
    households: Box<dyn TableReader>,
    member_headers: Arc<[String]>,
    members: HashMap<String, Vec<MemberRow>>,
    orphans: Vec<RowError>,
    seen: HashMap<String, usize>,
    leftovers: Option<std::vec::IntoIter<Item>>,
    failed: bool,
}

const H: Option<&str> = Some("households");
const M: Option<&str> = Some("members");

fn refused(table: Option<&'static str>, row: usize, id: Option<String>, e: ValidationError) -> Item {
    Item { table, row, pending: Pending::Ready(Box::new(Err(RowError::new(table, row, id, e)))) }
}

impl Tables {
    fn household(&mut self, raw: RawRow) -> Item {
        let row = raw.row;
        let Some(id) = raw.key else {
            let e = raw.cells.err().unwrap_or_else(|| ValidationError::new("id", "户编号 is required"));
            return refused(H, row, None, e);
        };
        if let Some(first) = self.seen.get(&id) {
            return refused(H, row, Some(id.clone()), ValidationError::new("id", format!("duplicate 户编号 {id} (also row {first})")));
        }
        self.seen.insert(id.clone(), row);
        // The members are taken even if the household row is bad: they belong to it, and are
        // not reported again as members of an unknown household.
        let members = self.members.remove(&id).unwrap_or_default();
        let cells = match raw.cells {
            Ok(cells) => cells,
            Err(e) => return refused(H, row, Some(id), e),
        };
        let mut packed = Vec::with_capacity(members.len());
        let mut member_rows = Vec::with_capacity(members.len());
        for m in members {
            match m.cells {
                Ok(cells) => {
                    packed.push(cells);
                    member_rows.push(m.row);
                }
                Err(e) => {
                    let e = ValidationError::new(e.path, format!("{}; the household is not evaluated", e.message));
                    return refused(M, m.row, Some(id), e);
                }
            }
        }
        let headers = Arc::clone(&self.member_headers);
        // Assembling and parsing run later, on a worker thread.
        let assemble = move || {
            let rows = packed.iter().map(|p| p.unpack(&headers)).collect();
            assemble_household(row, id, cells, rows, member_rows)
        };
        Item { table: H, row, pending: Pending::Deferred(Box::new(assemble)) }
    }

    /// Member rows whose household never came, and rows without a 户编号, in row order.
    fn leftovers(&mut self) -> std::vec::IntoIter<Item> {
        let mut items: Vec<Item> = std::mem::take(&mut self.orphans).into_iter().map(|e| Item { table: M, row: e.row, pending: Pending::Ready(Box::new(Err(e))) }).collect();
        for (id, rows) in self.members.drain() {
            for m in rows {
                let e = ValidationError::new("household_id", format!("no household {id} in the household table"));
                items.push(refused(M, m.row, Some(id.clone()), e));
            }
        }
        items.sort_by_key(|i| i.row);
        items.into_iter()
    }
}

/// Joins one household row with its member rows and parses the household; errors in a member
/// name its row in the member table.
fn assemble_household(row: usize, id: String, cells: Row, members: Vec<Row>, member_rows: Vec<usize>) -> Result<Household, RowError> {
    let refuse = |table, row, e| Err(RowError::new(table, row, Some(id.clone()), e));
    let assembled = fupin::tables::assemble(&[cells], &members);
    if let Some((j, e)) = assembled.member_errors.into_iter().next() {
        let path = e.path.split_once("].").map_or(e.path.clone(), |(_, col)| col.to_string());
        return refuse(M, member_rows[j], ValidationError::new(path, format!("{}; the household is not evaluated", e.message)));
    }
    let Some((_, value)) = assembled.households.into_iter().next() else {
        return refuse(H, row, ValidationError::new("", "the household could not be assembled"));
    };
    let household = value
        .map_err(|e| ValidationError::new(e.path.strip_prefix("households[0].").unwrap_or(&e.path).to_string(), e.message))
        .and_then(fupin::household_from_value);
    match household {
        Ok(h) => Ok(h),
        Err(e) => match member_place(&e.path).and_then(|(j, rest)| member_rows.get(j).map(|r| (*r, rest))) {
            Some((member_row, rest)) => refuse(M, member_row, ValidationError::new(rest, e.message)),
            None => refuse(H, row, e),
        },
    }
}

/// `members[3].age` → (3, `age`).
fn member_place(path: &str) -> Option<(usize, String)> {
    let rest = path.strip_prefix("members[")?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.trim_start_matches('.').to_string()))
}

impl Iterator for Tables {
    type Item = Result<Item, String>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(rest) = &mut self.leftovers {
            return rest.next().map(Ok);
        }
        if self.failed {
            return None;
        }
        match self.households.next_row() {
            Some(Ok(raw)) => Some(Ok(self.household(raw))),
            None => {
                self.leftovers = Some(self.leftovers());
                self.next()
            }
            Some(Err(e)) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Households from a 户表 and a 人表 (UTF-8 CSV or Parquet, English or Chinese column names).
pub fn tables(households: &Path, members: &Path) -> Result<Items, String> {
    let mut m = open_table(members, MEMBERS)?;
    let h = open_table(households, HOUSEHOLDS)?;
    let mut by_household: HashMap<String, Vec<MemberRow>> = HashMap::new();
    let mut orphans = Vec::new();
    let member_headers: Arc<[String]> = m.headers().into();
    while let Some(raw) = m.next_row() {
        let raw = raw?;
        match raw.key {
            Some(id) => by_household.entry(id).or_default().push(MemberRow { row: raw.row, cells: raw.cells.map(|c| Packed::pack(&member_headers, &c)) }),
            None => orphans.push(RowError::new(M, raw.row, None, ValidationError::new("household_id", "the member's 户编号 is missing or not valid UTF-8"))),
        }
    }
    Ok(Box::new(Tables { households: h, member_headers, members: by_household, orphans, seen: HashMap::new(), leftovers: None, failed: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rows_keep_every_cell_as_text_and_drop_empty_ones() {
        let headers: Vec<String> = ["household_id", "age", "enrolled", "name", "health"].iter().map(|s| s.to_string()).collect();
        let mut row = Row::new();
        row.insert("household_id".into(), Value::String("H1".into()));
        row.insert("age".into(), Value::from(40));
        row.insert("enrolled".into(), Value::Bool(false));
        row.insert("name".into(), Value::Null);
        row.insert("health".into(), Value::String(String::new()));
        let back = Packed::pack(&headers, &row).unpack(&headers);
        assert_eq!(back.get("household_id"), Some(&Value::String("H1".into())));
        assert_eq!(back.get("age"), Some(&Value::String("40".into())));
        assert_eq!(back.get("enrolled"), Some(&Value::String("false".into())));
        assert_eq!((back.get("name"), back.get("health")), (None, None));
    }
}
