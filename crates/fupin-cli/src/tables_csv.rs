//! A 户表 or 人表 as a UTF-8 CSV file, read one record at a time. A cell that is not UTF-8
//! (a GBK export) or a record with the wrong number of cells refuses that row only; the header
//! must be UTF-8 (a BOM is dropped) and name known columns.

use std::fs::File;
use std::path::Path;

use fupin::ValidationError;
use fupin::tables::Row;
use serde_json::Value;

use crate::source::{RawRow, TableKind, TableReader, check_columns};

struct CsvTable {
    reader: csv::Reader<File>,
    name: String,
    headers: Vec<String>,
    key: usize,
    failed: bool,
}

/// Opens `path` as a table of `kind`.
pub fn open(path: &Path, kind: TableKind) -> Result<Box<dyn TableReader>, String> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let raw = reader.byte_headers().map_err(|e| format!("{name}: {e}"))?.clone();
    if raw.is_empty() || (raw.len() == 1 && raw[0].is_empty()) {
        return Err(format!("{name}: the file is empty (no header line)"));
    }
    let mut headers = Vec::new();
    for (i, cell) in raw.iter().enumerate() {
        let text = std::str::from_utf8(cell).map_err(|_| format!("{name}: the header is not valid UTF-8 (convert GBK exports to UTF-8)"))?;
        let text = if i == 0 { text.trim_start_matches('\u{feff}') } else { text };
        headers.push(text.trim().to_string());
    }
    check_columns(&name, &headers, kind.canonical, kind.required)?;
    let key = headers.iter().position(|h| (kind.canonical)(h) == Some(kind.key)).unwrap_or(0);
    Ok(Box::new(CsvTable { reader, name, headers, key, failed: false }))
}

impl CsvTable {
    fn cells(&self, record: &csv::ByteRecord) -> Result<Row, ValidationError> {
        if record.len() != self.headers.len() {
            return Err(ValidationError::new("", format!("expected {} cells, found {}", self.headers.len(), record.len())));
        }
        let mut row = Row::new();
        for (name, cell) in self.headers.iter().zip(record.iter()) {
            let text = std::str::from_utf8(cell).map_err(|_| ValidationError::new(name.clone(), "not valid UTF-8 (convert GBK exports to UTF-8)"))?;
            row.insert(name.clone(), Value::String(text.to_string()));
        }
        Ok(row)
    }
}

impl TableReader for CsvTable {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn next_row(&mut self) -> Option<Result<RawRow, String>> {
        if self.failed {
            return None;
        }
        let mut record = csv::ByteRecord::new();
        match self.reader.read_byte_record(&mut record) {
            Ok(true) => {
                let row = record.position().map_or(0, |p| p.line() as usize);
                let key = record.get(self.key).and_then(|k| std::str::from_utf8(k).ok()).map(str::trim).filter(|k| !k.is_empty()).map(str::to_string);
                Some(Ok(RawRow { row, key, cells: self.cells(&record) }))
            }
            Ok(false) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(format!("{}: {e}", self.name)))
            }
        }
    }
}
