//! A 户表 or 人表 as a Parquet file (arrow-rs), read a record batch at a time. Typed columns
//! (integers, floats, booleans, decimals, dates) keep their types; text columns are read like
//! CSV cells; a null is *unknown*. A column of another type stops the command at open.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use fupin::tables::Row;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde_json::Value;

use crate::source::{RawRow, TableKind, TableReader, check_columns};

struct ParquetTable {
    reader: ParquetRecordBatchReader,
    name: String,
    headers: Vec<String>,
    key: usize,
    batch: Option<RecordBatch>,
    index: usize,
    row: usize,
    failed: bool,
}

fn supported(t: &DataType) -> bool {
    use DataType::*;
    matches!(t, Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64 | Utf8 | LargeUtf8 | Utf8View | Decimal128(_, _) | Date32)
}

/// Opens `path` as a table of `kind`.
pub fn open(path: &Path, kind: TableKind) -> Result<Box<dyn TableReader>, String> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| format!("{name}: not a readable Parquet file: {e}"))?;
    let schema = builder.schema().clone();
    let headers: Vec<String> = schema.fields().iter().map(|f| f.name().trim().to_string()).collect();
    check_columns(&name, &headers, kind.canonical, kind.required)?;
    if let Some(f) = schema.fields().iter().find(|f| !supported(f.data_type())) {
        return Err(format!("{name}: column {:?} has type {}, expected text, a number, a boolean or a date", f.name(), f.data_type()));
    }
    let key = headers.iter().position(|h| (kind.canonical)(h) == Some(kind.key)).unwrap_or(0);
    let reader = builder.with_batch_size(1024).build().map_err(|e| format!("{name}: {e}"))?;
    Ok(Box::new(ParquetTable { reader, name, headers, key, batch: None, index: 0, row: 0, failed: false }))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian; H. Hinnant's civil_from_days).
fn date(days: i32) -> String {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One cell as the JSON value [`fupin::tables::assemble`] reads.
fn cell(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    let float = |f: f64| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(i)),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(i).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(i).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(i).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(i).into(),
        DataType::Float32 => float(f64::from(array.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => float(array.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 => Value::String(array.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Value::String(array.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Value::String(array.as_string_view().value(i).to_string()),
        DataType::Decimal128(_, _) => Value::String(array.as_primitive::<Decimal128Type>().value_as_string(i)),
        DataType::Date32 => Value::String(date(array.as_primitive::<Date32Type>().value(i))),
        _ => Value::Null,
    }
}

impl TableReader for ParquetTable {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn next_row(&mut self) -> Option<Result<RawRow, String>> {
        loop {
            if self.failed {
                return None;
            }
            if let Some(batch) = &self.batch
                && self.index < batch.num_rows()
            {
                let i = self.index;
                self.index += 1;
                self.row += 1;
                let mut cells = Row::new();
                for (name, column) in self.headers.iter().zip(batch.columns()) {
                    cells.insert(name.clone(), cell(column.as_ref(), i));
                }
                let key = match cell(batch.column(self.key).as_ref(), i) {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                return Some(Ok(RawRow { row: self.row, key, cells: Ok(cells) }));
            }
            match self.reader.next() {
                Some(Ok(batch)) => {
                    self.batch = Some(batch);
                    self.index = 0;
                }
                Some(Err(e)) => {
                    self.failed = true;
                    return Some(Err(format!("{}: {e}", self.name)));
                }
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_calendar_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(11_016), "2000-02-29");
    }
}
