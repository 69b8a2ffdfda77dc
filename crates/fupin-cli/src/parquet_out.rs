//! Writing a table as Parquet (arrow-rs, Snappy): flattened decisions with typed `year` and
//! `identify_score`, or the text columns of a 户表 / 人表. Rows are buffered [`BATCH`] at a
//! time, so memory stays bounded. An empty cell is written as null (unknown).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Rows per record batch (and row group flush unit).
pub const BATCH: usize = 8192;

/// The type of a column.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    /// 32-bit integer.
    Int32,
    /// 64-bit float.
    Float64,
}

/// A Parquet file being written row by row.
pub struct ParquetWriter {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    kinds: Vec<Kind>,
    rows: Vec<Vec<String>>,
}

impl ParquetWriter {
    /// Creates `path` with these columns.
    pub fn create(path: &Path, columns: &[(&str, Kind)]) -> Result<ParquetWriter, String> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, kind)| {
                let t = match kind {
                    Kind::Text => DataType::Utf8,
                    Kind::Int32 => DataType::Int32,
                    Kind::Float64 => DataType::Float64,
                };
                Field::new(*name, t, true)
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(ParquetWriter { writer, schema, kinds: columns.iter().map(|c| c.1).collect(), rows: Vec::with_capacity(BATCH) })
    }

    /// Adds one row (one cell per column).
    pub fn push(&mut self, row: Vec<String>) -> Result<(), String> {
        if row.len() != self.kinds.len() {
            return Err(format!("parquet: a row of {} cells for {} columns", row.len(), self.kinds.len()));
        }
        self.rows.push(row);
        if self.rows.len() == BATCH {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<(), String> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let cells = |c: usize| rows.iter().map(move |r| Some(r[c].as_str()).filter(|s| !s.is_empty()));
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.kinds.len());
        for (c, kind) in self.kinds.iter().enumerate() {
            let bad = |s: &str| format!("parquet: column {}: {s:?} is not a number", self.schema.field(c).name());
            arrays.push(match kind {
                Kind::Text => Arc::new(StringArray::from_iter(cells(c))),
                Kind::Int32 => Arc::new(cells(c).map(|s| s.map(|s| s.parse::<i32>().map_err(|_| bad(s))).transpose()).collect::<Result<Int32Array, String>>()?),
                Kind::Float64 => Arc::new(cells(c).map(|s| s.map(|s| s.parse::<f64>().map_err(|_| bad(s))).transpose()).collect::<Result<Float64Array, String>>()?),
            });
        }
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| format!("parquet: {e}"))?;
        self.rows = Vec::with_capacity(BATCH);
        self.writer.write(&batch).map_err(|e| format!("parquet: {e}"))
    }

    /// Writes the last rows and the footer.
    pub fn finish(mut self) -> Result<(), String> {
        self.write_batch()?;
        self.writer.close().map(|_| ()).map_err(|e| format!("parquet: {e}"))
    }
}

/// The columns of a flattened decision ([`fupin::population::flat::COLUMNS`]) with their types.
pub fn decision_columns() -> Vec<(&'static str, Kind)> {
    fupin::population::flat::COLUMNS
        .iter()
        .map(|c| (*c, match *c {
            "year" => Kind::Int32,
            "identify_score" => Kind::Float64,
            _ => Kind::Text,
        }))
        .collect()
}
