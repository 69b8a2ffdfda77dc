//! The WebAssembly binding: converts types and maps errors, nothing else. All decisions are
//! made by `fupin-core`; the JavaScript module `js/fupin.js` wraps this one and is what callers
//! import.
//!
//! Households cross the boundary as JSON text and decisions come back as JSON text, so callers
//! see exactly the CLI's bytes. An expected failure is thrown as a real JavaScript error: an
//! `Error` named `ValidationError` (with `path`, `detail`, `row`) or `RulesError` (with `errors`),
//! which `fupin.js` re-throws as its classes, or a `TypeError` for a malformed argument. Errors
//! name fields, files and lines, never input values.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use fupin::village::Summary;
use fupin::{Engine, RuleSources, RulesErrors, ValidationError};
use serde::Serialize;
use serde_json::{Map, Value, json};
use wasm_bindgen::prelude::*;

/// A JavaScript `Error` named `name` with extra properties (what `fupin.js` turns into its
/// `ValidationError` / `RulesError` classes).
fn js_error(name: &str, message: &str, fields: &[(&str, JsValue)]) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    for (key, value) in fields {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), value);
    }
    error.into()
}

/// Thrown for a household that does not match the input contract (`row` for batch input).
fn validation_error(e: &ValidationError, row: Option<usize>) -> JsValue {
    let row = row.map_or(JsValue::NULL, |r| JsValue::from_f64(r as f64));
    js_error("ValidationError", &e.to_string(), &[("path", e.path.as_str().into()), ("detail", e.message.as_str().into()), ("row", row)])
}

/// Thrown for rules that do not load: every problem with its file and location.
fn rules_error(e: &RulesErrors) -> JsValue {
    let problems = serde_json::to_string(&e.0).ok().and_then(|text| js_sys::JSON::parse(&text).ok()).unwrap_or_else(|| js_sys::Array::new().into());
    js_error("RulesError", &e.to_string(), &[("errors", problems)])
}

/// Thrown for an argument that is not what the binding expects (not a household problem).
fn input_error(message: String) -> JsValue {
    js_sys::TypeError::new(&message).into()
}

/// One row of a village file, as JSON text: the decision (its JSON text), or the row's error.
fn row_json(row: usize, id: Option<&str>, size: usize, result: &Result<String, ValidationError>) -> String {
    let id = serde_json::to_string(&id).unwrap_or_default();
    match result {
        Ok(decision) => format!(r#"{{"row":{row},"household_id":{id},"size":{size},"decision":{decision}}}"#),
        Err(e) => {
            let error = json!({ "path": e.path, "message": e.message });
            format!(r#"{{"row":{row},"household_id":{id},"error":{error}}}"#)
        }
    }
}

/// The summary as the page shows it, with the CLI's exact report text.
#[derive(Serialize)]
struct SummaryView<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    errors: usize,
    poverty_rate_pct: String,
    top_causes: Vec<(&'a str, usize)>,
    report: String,
}

/// `{"rows": [...], "member_errors": [...], "summary": {...}}` as JSON text.
fn village_json(engine: &Engine, rows: &[String], summary: &Summary, errors: usize, member_errors: &[String]) -> String {
    let r = engine.ruleset();
    let view = SummaryView {
        summary,
        errors,
        poverty_rate_pct: format!("{:.2}", summary.poverty_rate_pct()),
        top_causes: summary.top_causes(5),
        report: format!("规则：{} {}（{}）\n{}", r.info.name, r.info.version, r.info.hash, summary.render(errors)),
    };
    let summary = serde_json::to_string(&view).unwrap_or_default();
    format!(r#"{{"rows":[{}],"member_errors":[{}],"summary":{summary}}}"#, rows.join(","), member_errors.join(","))
}

/// Reads one CSV table (header row + data rows) into row objects of text cells.
fn csv_rows(table: &str, text: &str) -> Result<Vec<fupin::tables::Row>, JsValue> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let bad = |e: csv::Error| {
        let line = e.position().map_or(0, csv::Position::line);
        let kind = match e.kind() {
            csv::ErrorKind::UnequalLengths { .. } => "a row has a different number of cells than the header".to_string(),
            csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_string(),
            _ => "not a CSV table".to_string(),
        };
        validation_error(&ValidationError::new(format!("{table}.csv line {line}"), kind), None)
    };
    let headers: Vec<String> = reader.headers().map_err(bad)?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let row: Map<String, Value> = headers.iter().zip(record.iter()).map(|(h, cell)| (h.clone(), Value::String(cell.to_string()))).collect();
        rows.push(row);
    }
    Ok(rows)
}

/// The rules engine (the native part of `fupin.js`'s `Engine`).
#[wasm_bindgen]
pub struct NativeEngine {
    inner: Engine,
}

#[wasm_bindgen]
impl NativeEngine {
    /// The rules embedded at build time with `files` (a JSON object: relative path → text)
    /// replacing or adding rule files: the what-if path for edited scripts and parameters.
    pub fn load(files_json: &str) -> Result<NativeEngine, JsValue> {
        let files: BTreeMap<String, String> =
            serde_json::from_str(files_json).map_err(|e| input_error(format!("rule files must be an object of path → text: {e}")))?;
        let mut sources = RuleSources::embedded();
        for (path, text) in files {
            sources.set(path, text);
        }
        Engine::from_sources(sources).map(|inner| NativeEngine { inner }).map_err(|e| rules_error(&e))
    }

    /// Evaluates one household given as JSON text; returns the decision as JSON text, the
    /// same bytes as one line of `fupin eval`.
    pub fn evaluate(&self, household_json: &str) -> Result<String, JsValue> {
        fupin::parse_household(household_json).and_then(|h| self.inner.decision_json(&h)).map_err(|e| validation_error(&e, None))
    }

    /// The Chinese explanation (公示 text) of the household's three decisions.
    pub fn explain(&self, household_json: &str) -> Result<String, JsValue> {
        self.inner.evaluate_json(household_json).map(|d| fupin::explain::explain_zh(&d)).map_err(|e| validation_error(&e, None))
    }

    /// A village file (one JSON household, a JSON array or JSON Lines) read as `fupin eval`
    /// and `fupin summary` read it: every row's decision or error, and the summary.
    pub fn evaluate_village(&self, text: &str) -> String {
        let mut summary = Summary::default();
        let mut errors = 0;
        let rows: Vec<String> = fupin::village::records(text)
            .into_iter()
            .map(|record| match record.household {
                Ok(h) => {
                    let result = self.inner.outcomes_and_decision_json(&h).map(|(outcomes, json)| {
                        summary.add(&outcomes, h.members.len());
                        json
                    });
                    errors += usize::from(result.is_err());
                    row_json(record.row, Some(&h.id), h.members.len(), &result)
                }
                Err((id, e)) => {
                    errors += 1;
                    row_json(record.row, id.as_deref(), 0, &Err(e))
                }
            })
            .collect();
        village_json(&self.inner, &rows, &summary, errors, &[])
    }

    /// The 户表 + 人表 CSV pair (joined by 户编号, English or Chinese headers; see
    /// `fupin::tables`): every household row's decision or error, the member rows that could
    /// not be placed, and the summary. Rows are numbered from 1 after the header.
    pub fn evaluate_tables(&self, households_csv: &str, members_csv: &str) -> Result<String, JsValue> {
        let households = csv_rows("households", households_csv)?;
        let members = csv_rows("members", members_csv)?;
        let assembled = fupin::tables::assemble(&households, &members);
        let mut summary = Summary::default();
        let mut errors = assembled.member_errors.len();
        let rows: Vec<String> = assembled
            .households
            .into_iter()
            .map(|(i, doc)| {
                let id = doc.as_ref().ok().and_then(|v| v.get("id")).and_then(Value::as_str).map(str::to_string);
                let household = doc.and_then(fupin::household_from_value);
                let size = household.as_ref().map_or(0, |h| h.members.len());
                let result = household.and_then(|h| self.inner.outcomes_and_decision_json(&h)).map(|(outcomes, json)| {
                    summary.add(&outcomes, size);
                    json
                });
                errors += usize::from(result.is_err());
                row_json(i + 1, id.as_deref(), size, &result)
            })
            .collect();
        let member_errors: Vec<String> = assembled
            .member_errors
            .iter()
            .map(|(i, e)| json!({ "row": i + 1, "path": e.path, "message": e.message }).to_string())
            .collect();
        Ok(village_json(&self.inner, &rows, &summary, errors, &member_errors))
    }

    /// `{"name", "version", "hash"}` of the rules in use, as JSON text.
    pub fn ruleset(&self) -> String {
        serde_json::to_string(&self.inner.ruleset().info).unwrap_or_default()
    }

    /// The rule files in use (relative path → text), as JSON text: what the editor shows.
    pub fn rule_files(&self) -> String {
        let rules = self.inner.ruleset();
        let files: BTreeMap<&str, &str> = rules.sources.files().collect();
        serde_json::to_string(&files).unwrap_or_default()
    }
}

/// The household JSON Schema derived from the Rust model, as JSON text.
#[wasm_bindgen]
pub fn household_schema() -> String {
    serde_json::to_string(&fupin::schema::household_schema()).unwrap_or_default()
}

/// The Chinese name the core uses for an id: `kind` is `outcome`, `level`, `category`,
/// `cause` (致贫原因 and risk factors) or `measure` (帮扶措施); unknown ids come back as given.
#[wasm_bindgen]
pub fn label_zh(kind: &str, id: &str) -> String {
    use fupin::explain::{category_zh, cause_zh, level_zh, measure_zh, outcome_zh};
    let name: fn(&str) -> &str = match kind {
        "outcome" => outcome_zh,
        "level" => level_zh,
        "category" => category_zh,
        "cause" => cause_zh,
        "measure" => measure_zh,
        _ => return id.to_string(),
    };
    name(id).to_string()
}
