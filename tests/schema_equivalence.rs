//! Schema equivalence: the shared contract `household.schema.json`, the schema derived from
//! the Rust model (`fupin::schema::household_schema`) and the parser (`fupin::parse_household`)
//! accept and reject the same documents.
//!
//! The corpus is `tests/schema_corpus/{valid,invalid}/*.json`; each invalid document differs
//! from a valid household in one thing, named by its file name. The plausibility layer
//! (`check_plausible`, e.g. negative money) is stricter on purpose and is not tested here.
//!
//! Known divergences are kept out of the corpus (the schemas are evaluated on a parsed
//! `serde_json::Value`, the parser on the text):
//! - JSON numbers for money with more than 2 decimals (`0.001`, `0.30000000000000004`) and
//!   numbers beyond `rust_decimal`'s range (`1e30` for money or water quantities) pass the
//!   schemas but not the parser;
//! - `status.exit_year` outside `i32` has no bound in the schema;
//! - duplicate object keys: `serde_json::Value` keeps the last one, the parser refuses them.
//!
//! Integers written as whole decimals (`"age": 40.0`) and signed-year dates, once divergent,
//! are now in the corpus (`valid/integers-as-whole-decimals.json`,
//! `invalid/birth_date_signed_year.json`).

use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Validator};
use serde_json::Value;

const SHARED_SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/household.schema.json");

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema_corpus")
}

/// Draft 2020-12 with `format` asserted (the contract's `date` fields).
fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

fn shared_schema() -> Value {
    let text = fs::read_to_string(SHARED_SCHEMA).unwrap_or_else(|e| panic!("reading {SHARED_SCHEMA}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{SHARED_SCHEMA} is not JSON: {e}"))
}

/// `(file name, text)` of every `*.json` in `schema_corpus/<kind>`, sorted by name.
fn corpus(kind: &str) -> Vec<(String, String)> {
    let dir = corpus_dir().join(kind);
    let mut files: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = format!("{kind}/{}", path.file_name().unwrap().to_string_lossy());
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {name}: {e}"));
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// The first few schema errors, for the failure message.
fn schema_errors(validator: &Validator, instance: &Value) -> String {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() { "accepted".into() } else { errors.join("; ") }
}

#[test]
fn derived_schema_is_a_valid_draft_2020_12_schema() {
    let derived = fupin::schema::household_schema();
    assert_eq!(derived["$schema"], "https://json-schema.org/draft/2020-12/schema");
    if let Err(e) = jsonschema::draft202012::meta::validate(&derived) {
        panic!("the derived schema violates the draft 2020-12 meta-schema: {e} at {}", e.instance_path());
    }
    compile(&derived).unwrap_or_else(|e| panic!("the derived schema does not compile: {e}"));
    // Unknown formats are ignored by the validator, so a misspelt one would pass unseen:
    // only `date` is asserted; `int32`/`uint32` are schemars' annotations for the Rust types.
    let mut formats = Vec::new();
    collect_formats(&derived, &mut formats);
    formats.retain(|f| !matches!(f.as_str(), "date" | "int32" | "uint32"));
    assert!(formats.is_empty(), "unexpected formats in the derived schema: {formats:?}");
}

fn collect_formats(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(format)) = map.get("format") {
                out.push(format.clone());
            }
            map.values().for_each(|v| collect_formats(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_formats(v, out)),
        _ => {}
    }
}

#[test]
fn shared_schema_is_a_valid_draft_2020_12_schema() {
    let shared = shared_schema();
    if let Err(e) = jsonschema::draft202012::meta::validate(&shared) {
        panic!("{SHARED_SCHEMA} violates the draft 2020-12 meta-schema: {e} at {}", e.instance_path());
    }
    compile(&shared).unwrap_or_else(|e| panic!("{SHARED_SCHEMA} does not compile: {e}"));
    // An unknown `format` is silently ignored by default; refuse it here to catch typos.
    // (The derived schema carries schemars' `int32`/`uint32` annotations, so not there.)
    let strict = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .build(&shared);
    assert!(strict.is_ok(), "{SHARED_SCHEMA} uses an unknown format: {:?}", strict.err().map(|e| e.to_string()));
}

#[test]
fn corpus_is_large_enough() {
    let (valid, invalid) = (corpus("valid"), corpus("invalid"));
    assert!(valid.len() >= 15, "only {} valid documents", valid.len());
    assert!(invalid.len() >= 25, "only {} invalid documents", invalid.len());
}

#[test]
fn shared_schema_derived_schema_and_parser_agree_on_the_corpus() {
    let shared = compile(&shared_schema()).expect("the shared schema compiles");
    let derived = compile(&fupin::schema::household_schema()).expect("the derived schema compiles");

    let mut disagreements = Vec::new();
    let mut checked = 0;
    for (kind, expected) in [("valid", true), ("invalid", false)] {
        for (name, text) in corpus(kind) {
            checked += 1;
            // Every corpus document is well-formed JSON; invalid ones break the schema only.
            let instance: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
            let parsed = fupin::parse_household(&text);
            let verdicts = [
                ("shared schema (household.schema.json)", shared.is_valid(&instance), schema_errors(&shared, &instance)),
                ("derived schema (fupin::schema::household_schema)", derived.is_valid(&instance), schema_errors(&derived, &instance)),
                (
                    "parser (fupin::parse_household)",
                    parsed.is_ok(),
                    parsed.as_ref().err().map_or_else(|| "accepted".to_string(), |e| e.to_string()),
                ),
            ];
            for (party, accepted, detail) in verdicts {
                if accepted != expected {
                    let verb = if accepted { "accepts" } else { "rejects" };
                    disagreements.push(format!("{name}: {party} {verb} it, expected {kind} ({detail})"));
                }
            }
        }
    }
    assert!(checked > 0, "empty corpus in {}", corpus_dir().display());
    assert!(disagreements.is_empty(), "{} disagreement(s):\n{}", disagreements.len(), disagreements.join("\n"));
}
