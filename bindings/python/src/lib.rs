//! The Python binding: converts types and maps errors, nothing else. All decisions are made
//! by `fupin-core`; the Python package (`python/fupin/__init__.py`) wraps this module.
//!
//! Households cross the boundary as JSON text and decisions come back as JSON text, so Python
//! sees exactly the CLI's bytes. Batch calls release the GIL and use all cores.
#![forbid(unsafe_code)]

/// mimalloc, as in the CLI: the batch paths allocate many small values on every worker
/// thread (benches/README.md, Python binding overhead).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

create_exception!(_fupin, ValidationError, PyValueError, "A household does not match the input contract; `.path` names the field, `.row` the batch row.");
create_exception!(_fupin, RulesError, PyException, "Rules or parameters could not be loaded; `.errors` lists each problem with its file and location.");

/// The one place core errors become Python exceptions.
fn validation_error(py: Python<'_>, e: &fupin::ValidationError, row: Option<usize>) -> PyErr {
    let err = ValidationError::new_err(e.to_string());
    let value = err.value(py);
    let attrs = value.setattr("path", &e.path).and_then(|_| value.setattr("message", &e.message)).and_then(|_| value.setattr("row", row));
    attrs.err().unwrap_or(err)
}

fn rules_error(py: Python<'_>, errors: &fupin::RulesErrors) -> PyErr {
    let err = RulesError::new_err(errors.to_string());
    let list: Vec<String> = errors.0.iter().map(|e| serde_json::to_string(e).unwrap_or_else(|_| e.to_string())).collect();
    err.value(py).setattr("errors_json", list).err().unwrap_or(err)
}

/// One batch row: the decision's JSON, or the row's `ValidationError`.
type Row = (Option<String>, Option<Py<PyAny>>);

/// The rules engine (native part of `fupin.Engine`).
#[pyclass(frozen, module = "fupin._fupin")]
struct NativeEngine {
    inner: fupin::Engine,
}

impl NativeEngine {
    /// Evaluates a batch of JSON texts in parallel (call without the GIL): each household's
    /// outcomes and its decision as JSON text.
    fn batch(&self, households: &[String], columnar: bool) -> Vec<Result<(fupin::Outcomes, String), fupin::ValidationError>> {
        if columnar {
            fupin::batch::outcomes_with_json_value_batch(&self.inner, column_docs(households))
        } else {
            fupin::batch::outcomes_with_json_batch(&self.inner, households)
        }
    }

    /// [`NativeEngine::batch`] for outcomes only: no message is written.
    fn outcomes_batch(&self, households: &[String], columnar: bool) -> Vec<Result<fupin::Outcomes, fupin::ValidationError>> {
        if columnar {
            fupin::batch::outcomes_value_batch(&self.inner, column_docs(households))
        } else {
            fupin::batch::outcomes_json_batch(&self.inner, households)
        }
    }
}

/// Rows written as JSON per parallel task.
const IPC_SLICE_ROWS: usize = 1024;

/// The rows of an Arrow IPC stream as JSON lines, nulls removed as [`drop_nulls`] removes
/// them (see [`without_nulls`]), so they parse as any JSON line does.
fn ipc_rows(ipc: &[u8]) -> Result<Vec<String>, String> {
    use rayon::prelude::*;
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None).map_err(|e| format!("Arrow IPC stream: {e}"))?;
    let mut slices = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("Arrow IPC stream: {e}"))?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = IPC_SLICE_ROWS.min(batch.num_rows() - offset);
            slices.push(batch.slice(offset, len));
            offset += len;
        }
    }
    let written: Vec<Result<Vec<String>, String>> = slices
        .par_iter()
        .map(|slice| {
            let mut buf = Vec::new();
            let mut writer = arrow_json::WriterBuilder::new().with_explicit_nulls(true).build::<_, arrow_json::writer::LineDelimited>(&mut buf);
            writer.write(slice).map_err(|e| format!("Arrow to JSON: {e}"))?;
            writer.finish().map_err(|e| format!("Arrow to JSON: {e}"))?;
            drop(writer);
            let text = String::from_utf8(buf).map_err(|e| format!("Arrow to JSON: {e}"))?;
            Ok(text.lines().map(without_nulls).collect())
        })
        .collect();
    let mut rows = Vec::new();
    for part in written {
        rows.extend(part?);
    }
    Ok(rows)
}

/// Rows of a columnar source as JSON documents, nulls dropped (see [`drop_nulls`]); parsed in
/// parallel.
fn column_docs(households: &[String]) -> Vec<Result<serde_json::Value, fupin::ValidationError>> {
    use rayon::prelude::*;
    households
        .par_iter()
        .map(|text| {
            let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| fupin::ValidationError::new("", format!("malformed JSON: {e}")))?;
            drop_nulls(&mut value);
            Ok(value)
        })
        .collect()
}

#[pymethods]
impl NativeEngine {
    /// Embedded rules, or an edited rules directory.
    /// Embedded rules or a rules directory, with `files` (relative path → text) replacing or
    /// adding rule files in memory: the what-if path for parameters and scripts.
    #[new]
    #[pyo3(signature = (rules_dir=None, files=None))]
    fn new(py: Python<'_>, rules_dir: Option<std::path::PathBuf>, files: Option<std::collections::BTreeMap<String, String>>) -> PyResult<Self> {
        let loaded = py.detach(|| {
            let mut sources = match &rules_dir {
                Some(dir) => fupin::RuleSources::from_dir(dir)?,
                None => fupin::RuleSources::embedded(),
            };
            for (path, text) in files.unwrap_or_default() {
                sources.set(path, text);
            }
            fupin::Engine::from_sources(sources)
        });
        loaded.map(|inner| NativeEngine { inner }).map_err(|e| rules_error(py, &e))
    }

    /// Evaluates one household given as JSON text; returns the decision as JSON text.
    fn evaluate_json(&self, py: Python<'_>, household: &str) -> PyResult<String> {
        let decided = py.detach(|| fupin::parse_household(household).and_then(|h| self.inner.decision_json(&h)));
        decided.map_err(|e| validation_error(py, &e, None))
    }

    /// Evaluates many JSON households in parallel without the GIL. Returns, per row, either
    /// `(decision_json, None)` or `(None, ValidationError)`. `columnar`: see
    /// `evaluate_many_columns`.
    #[pyo3(signature = (households, columnar=false))]
    fn evaluate_many_json(&self, py: Python<'_>, households: Vec<String>, columnar: bool) -> PyResult<Vec<Row>> {
        let results = py.detach(|| {
            if columnar {
                fupin::batch::decision_json_value_batch(&self.inner, column_docs(&households))
            } else {
                fupin::batch::decision_json_batch(&self.inner, &households)
            }
        });
        Ok(results
            .into_iter()
            .enumerate()
            .map(|(row, r)| match r {
                Ok(text) => (Some(text), None),
                Err(e) => (None, Some(validation_error(py, &e, Some(row)).into_value(py).into_any())),
            })
            .collect())
    }

    /// Evaluates many JSON households in parallel and returns the flattened results as columns
    /// (a dict of equal-length lists, see `fupin.FLAT_COLUMNS`), without building per-row
    /// decision objects; with `decisions`, also a `decision` column of JSON text.
    ///
    /// With `columnar`, the rows come from a columnar source (Arrow, pandas, polars) where an
    /// absent field is written as null: nulls are dropped before validation (except
    /// `disability_grade`, where null states "no disability").
    #[pyo3(signature = (households, decisions, columnar=false))]
    fn evaluate_many_columns<'py>(&self, py: Python<'py>, households: Vec<String>, decisions: bool, columnar: bool) -> PyResult<Bound<'py, PyDict>> {
        if decisions {
            let results = py.detach(|| self.batch(&households, columnar));
            columns(py, &results, true)
        } else {
            let results = py.detach(|| self.outcomes_batch(&households, columnar));
            columns(py, &results, false)
        }
    }

    /// Like `evaluate_many_columns` for a columnar source handed over as an Arrow IPC stream
    /// (one household per row): the rows are written as JSON here, in parallel, instead of
    /// row by row in Python. Returns the result columns as one Arrow IPC stream (bytes, see
    /// [`flat_ipc`]), rows numbered from `row_offset`.
    #[pyo3(signature = (ipc, decisions, row_offset=0))]
    fn evaluate_ipc_columns<'py>(&self, py: Python<'py>, ipc: &[u8], decisions: bool, row_offset: i64) -> PyResult<Bound<'py, PyBytes>> {
        let out = py.detach(|| {
            let texts = ipc_rows(ipc)?;
            if decisions {
                flat_ipc(&self.batch(&texts, false), true, row_offset)
            } else {
                flat_ipc(&self.outcomes_batch(&texts, false), false, row_offset)
            }
        });
        out.map(|bytes| PyBytes::new(py, &bytes)).map_err(PyValueError::new_err)
    }

    /// 户表 + 人表 given as two JSON arrays of row objects: returns the result columns (one row
    /// per household-table row) as an Arrow IPC stream (see [`flat_ipc`]) and the member-table
    /// rows that could not be placed.
    fn evaluate_tables_columns<'py>(&self, py: Python<'py>, households: &str, members: &str, decisions: bool) -> PyResult<(Bound<'py, PyBytes>, Vec<Py<PyAny>>)> {
        let parse = |text: &str, table: &str| {
            serde_json::from_str::<Vec<fupin::tables::Row>>(text).map_err(|e| validation_error(py, &fupin::ValidationError::new(table, format!("expected a list of row objects: {e}")), None))
        };
        let (households, members) = (parse(households, "households")?, parse(members, "members")?);
        let (docs, member_errors) = py.detach(|| {
            let assembled = fupin::tables::assemble(&households, &members);
            (assembled.households.into_iter().map(|(_, doc)| doc).collect::<Vec<_>>(), assembled.member_errors)
        });
        let member_errors = member_errors.iter().map(|(row, e)| validation_error(py, e, Some(*row)).into_value(py).into_any()).collect();
        let columns = py.detach(|| {
            if decisions {
                flat_ipc(&fupin::batch::outcomes_with_json_value_batch(&self.inner, docs), true, 0)
            } else {
                flat_ipc(&fupin::batch::outcomes_value_batch(&self.inner, docs), false, 0)
            }
        });
        Ok((PyBytes::new(py, &columns.map_err(PyValueError::new_err)?), member_errors))
    }

    /// The Chinese explanation (公示 text) of the household's three decisions.
    fn explain_json(&self, py: Python<'_>, household: &str) -> PyResult<String> {
        let decided = py.detach(|| self.inner.evaluate_json(household));
        decided.map(|d| fupin::explain::explain_zh(&d)).map_err(|e| validation_error(py, &e, None))
    }

    /// Re-reads the rules from their directory; keeps the old rules if the new ones fail.
    fn reload(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.reload()).map_err(|e| rules_error(py, &e))
    }

    /// `(name, version, hash)` of the rules in use.
    fn ruleset(&self) -> (String, String, String) {
        let r = self.inner.ruleset();
        (r.info.name.clone(), r.info.version.clone(), r.info.hash.clone())
    }
}

/// A row as `arrow_json` writes it (compact, nulls explicit) without its `"key":null` members,
/// except `"disability_grade":null` ("no disability"): the document [`drop_nulls`] makes,
/// written as text, without building a `serde_json::Value`. A key is a string followed by
/// `:`; a `"` inside a string is escaped, so a string's end is found by skipping escapes.
fn without_nulls(row: &str) -> String {
    let b = row.as_bytes();
    let mut out = String::with_capacity(row.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < b.len() && b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        let end = (i + 1).min(b.len());
        i = end;
        let after = b.get(end + 5).copied();
        if b[end..].starts_with(b":null") && matches!(after, Some(b',' | b'}')) && &row[start..end] != "\"disability_grade\"" {
            out.push_str(&row[copied..start]);
            if after == Some(b',') {
                copied = end + 6;
            } else {
                if out.ends_with(',') {
                    out.pop();
                }
                copied = end + 5;
            }
            i = copied;
        }
    }
    out.push_str(&row[copied..]);
    out
}

/// Columnar sources write absent fields as null; the contract omits them.
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|k, v| !v.is_null() || k == "disability_grade");
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// What the flattened columns read from one evaluated household: its outcomes, and its
/// decision's JSON with `decisions=True`.
trait FlatRow {
    /// The outcomes the flat columns are read from.
    fn outcomes(&self) -> &fupin::Outcomes;
    /// The full decision as JSON, when there is one.
    fn decision_json(&self) -> Option<&str>;
    fn household_id(&self) -> &str {
        &self.outcomes().household_id
    }
    fn year(&self) -> i32 {
        self.outcomes().year
    }
    fn per_capita_income(&self) -> Option<String> {
        self.outcomes().per_capita_income.map(|d| d.to_string())
    }
    fn identify(&self) -> &str {
        &self.outcomes().identify
    }
    fn score(&self) -> Option<f64> {
        self.outcomes().score.to_string().parse().ok()
    }
    fn causes(&self) -> Vec<&str> {
        self.outcomes().causes.iter().map(|c| &**c).collect()
    }
    fn exit(&self) -> &str {
        &self.outcomes().exit
    }
    fn monitor(&self) -> &str {
        &self.outcomes().monitor
    }
    fn level(&self) -> &str {
        &self.outcomes().level
    }
    fn category(&self) -> &str {
        &self.outcomes().category
    }
    fn risks(&self) -> Vec<&str> {
        self.outcomes().risks.iter().map(String::as_str).collect()
    }
    fn measures(&self) -> Vec<&str> {
        self.outcomes().measures.iter().map(String::as_str).collect()
    }
}

impl FlatRow for fupin::Outcomes {
    fn outcomes(&self) -> &fupin::Outcomes {
        self
    }
    fn decision_json(&self) -> Option<&str> {
        None
    }
}

/// Outcomes with the decision's JSON text (`decisions=True`).
impl FlatRow for (fupin::Outcomes, String) {
    fn outcomes(&self) -> &fupin::Outcomes {
        &self.0
    }
    fn decision_json(&self) -> Option<&str> {
        Some(&self.1)
    }
}

/// Flattened result columns of a batch (see `fupin.FLAT_COLUMNS`).
fn columns<'py, R: FlatRow>(py: Python<'py>, results: &[Result<R, fupin::ValidationError>], decisions: bool) -> PyResult<Bound<'py, PyDict>> {
    let n = results.len();
    let ok = |f: &dyn Fn(&R) -> Option<String>| -> Vec<Option<String>> { results.iter().map(|r| r.as_ref().ok().and_then(f)).collect() };
    let text = |f: &dyn Fn(&R) -> &str| -> Vec<Option<String>> { results.iter().map(|r| r.as_ref().ok().map(|d| f(d).to_string())).collect() };
    let lists = |f: &dyn Fn(&R) -> Vec<&str>| -> Vec<Option<Vec<String>>> {
        results.iter().map(|r| r.as_ref().ok().map(|d| f(d).into_iter().map(str::to_string).collect())).collect()
    };
    let columns = PyDict::new(py);
    columns.set_item("row", (0..n as i64).collect::<Vec<_>>())?;
    columns.set_item("household_id", text(&|d| d.household_id()))?;
    columns.set_item("year", results.iter().map(|r| r.as_ref().ok().map(R::year)).collect::<Vec<_>>())?;
    columns.set_item("per_capita_income", ok(&|d| d.per_capita_income()))?;
    columns.set_item("identify", text(&|d| d.identify()))?;
    columns.set_item("score", results.iter().map(|r| r.as_ref().ok().and_then(R::score)).collect::<Vec<_>>())?;
    columns.set_item("causes", lists(&|d| d.causes()))?;
    columns.set_item("exit", text(&|d| d.exit()))?;
    columns.set_item("monitor", text(&|d| d.monitor()))?;
    columns.set_item("level", text(&|d| d.level()))?;
    columns.set_item("category", text(&|d| d.category()))?;
    columns.set_item("risks", lists(&|d| d.risks()))?;
    columns.set_item("measures", lists(&|d| d.measures()))?;
    columns.set_item("error_path", results.iter().map(|r| r.as_ref().err().map(|e| e.path.clone())).collect::<Vec<_>>())?;
    columns.set_item("error", results.iter().map(|r| r.as_ref().err().map(|e| e.to_string())).collect::<Vec<_>>())?;
    if decisions {
        columns.set_item("decision", ok(&|d| d.decision_json().map(str::to_string)))?;
    }
    Ok(columns)
}

/// Flattened result columns of a batch as one Arrow IPC stream: the columns, types and nulls
/// of `fupin.FLAT_COLUMNS` (and `decision`) as [`columns`] gives them to Python, built as
/// Arrow arrays so that no Python object is made per cell. Rows are numbered from `row_offset`.
fn flat_ipc<R: FlatRow>(results: &[Result<R, fupin::ValidationError>], decisions: bool, row_offset: i64) -> Result<Vec<u8>, String> {
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;

    /// A string column, null where there is no value.
    fn strings<S: AsRef<str>>(values: impl Iterator<Item = Option<S>>) -> ArrayRef {
        Arc::new(values.collect::<StringArray>())
    }
    let text = |f: &dyn Fn(&R) -> Option<&str>| strings(results.iter().map(|r| r.as_ref().ok().and_then(f)));
    let owned = |f: &dyn Fn(&R) -> Option<String>| strings(results.iter().map(|r| r.as_ref().ok().and_then(f)));
    let lists = |f: &dyn Fn(&R) -> Vec<&str>| -> ArrayRef {
        let mut b = ListBuilder::with_capacity(StringBuilder::new(), results.len());
        for r in results {
            match r {
                Ok(d) => {
                    f(d).iter().for_each(|s| b.values().append_value(s));
                    b.append(true);
                }
                Err(_) => b.append(false),
            }
        }
        Arc::new(b.finish())
    };
    let errors = |f: &dyn Fn(&fupin::ValidationError) -> String| strings(results.iter().map(|r| r.as_ref().err().map(f)));
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("row", Arc::new((0..results.len() as i64).map(|r| r + row_offset).collect::<Int64Array>())),
        ("household_id", text(&|d| Some(d.household_id()))),
        ("year", Arc::new(results.iter().map(|r| r.as_ref().ok().map(R::year)).collect::<Int32Array>())),
        ("per_capita_income", owned(&|d| d.per_capita_income())),
        ("identify", text(&|d| Some(d.identify()))),
        ("score", Arc::new(results.iter().map(|r| r.as_ref().ok().and_then(R::score)).collect::<Float64Array>())),
        ("causes", lists(&|d| d.causes())),
        ("exit", text(&|d| Some(d.exit()))),
        ("monitor", text(&|d| Some(d.monitor()))),
        ("level", text(&|d| Some(d.level()))),
        ("category", text(&|d| Some(d.category()))),
        ("risks", lists(&|d| d.risks())),
        ("measures", lists(&|d| d.measures())),
        ("error_path", errors(&|e| e.path.clone())),
        ("error", errors(&|e| e.to_string())),
    ];
    if decisions {
        columns.push(("decision", text(&|d| d.decision_json())));
    }
    let fields: Vec<Field> = columns.iter().map(|(name, array)| Field::new(*name, array.data_type().clone(), true)).collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, array)| array).collect()).map_err(|e| format!("result columns: {e}"))?;
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &schema).map_err(|e| format!("result columns: {e}"))?;
    writer.write(&batch).map_err(|e| format!("result columns: {e}"))?;
    writer.into_inner().map_err(|e| format!("result columns: {e}"))
}

/// The household JSON Schema derived from the Rust model, as JSON text.
#[pyfunction]
fn schema_json() -> PyResult<String> {
    serde_json::to_string_pretty(&fupin::schema::household_schema()).map_err(|e| PyValueError::new_err(e.to_string()))
}

#[pymodule]
fn _fupin(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeEngine>()?;
    m.add_function(wrap_pyfunction!(schema_json, m)?)?;
    m.add("ValidationError", m.py().get_type::<ValidationError>())?;
    m.add("RulesError", m.py().get_type::<RulesError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
