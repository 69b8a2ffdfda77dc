//! Conformance vectors: `tests/conformance/<name>.input.json` → `<name>.expected.json` (the
//! decision, compact JSON, byte for byte) or `<name>.error.json` (`{"path": …}` of the input
//! error). The Python and WASM bindings replay the same files.
//!
//! After an intended rule change, regenerate with
//! `FUPIN_UPDATE_CONFORMANCE=1 cargo test --test conformance` and review the diff.

mod common;

use std::path::{Path, PathBuf};

use fupin::generate::{GenOptions, Generator};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// The inputs: hand-made edge cases plus generated households across years and regions.
fn inputs() -> Vec<(String, String)> {
    let base = common::household("C-BASE");
    let mut out = vec![
        ("base-2024".to_string(), base.clone()),
        ("no-income".into(), base.replace(r#""income":{"wage":"20000"},"#, "")),
        ("poor-2019-guizhou".into(), base.replace("\"year\":2024", "\"year\":2019").replace("150526100201", "520121001").replace("\"20000\"", "\"6000\"")),
        ("line-exact-2015".into(), base.replace("\"year\":2024", "\"year\":2015").replace("\"20000\"", "\"5710\"")),
        ("yunnan-2025-requires-risk".into(), base.replace("150526100201", "530102001").replace("\"year\":2024", "\"year\":2025").replace("\"20000\"", "\"16000\"")),
        ("minimal-unknowns".into(), r#"{"id":"C-MIN","year":2024,"region":{},"members":[{"relation":"head"}]}"#.into()),
        ("bad-empty-members".into(), r#"{"id":"C-BAD1","year":2024,"region":{},"members":[]}"#.into()),
        ("bad-unknown-field".into(), base.replace("\"food_secure\"", "\"food_secured\"")),
        ("bad-wrong-type".into(), base.replace("\"enrolled\":true", "\"enrolled\":\"yes\"")),
        ("bad-negative-money".into(), base.replace("\"20000\"", "\"-20000\"")),
        ("bad-region-code".into(), base.replace("150526100201", "15052")),
        ("bad-over-precise".into(), base.replace("\"20000\"", "\"20000.001\"")),
    ];
    for (i, (year, code)) in [(2014, "150526100201"), (2018, "520121001002"), (2020, "620102001001"), (2023, "530402001001"), (2024, "350121001001"), (2025, "530102001001")].into_iter().enumerate() {
        let options = GenOptions { seed: 100 + i as u64, year, village_code: code.into(), ..GenOptions::default() };
        for (j, h) in Generator::new(options).take(4).enumerate() {
            out.push((format!("gen-{year}-{code}-{j}"), serde_json::to_string(&h).unwrap()));
        }
    }
    out
}

fn expected_for(input: &str) -> (&'static str, String) {
    let engine = common::engine();
    match engine.evaluate_json(input) {
        Ok(d) => ("expected", serde_json::to_string(&d).unwrap()),
        Err(e) => ("error", serde_json::json!({ "path": e.path }).to_string()),
    }
}

#[test]
fn vectors_replay_byte_for_byte() {
    let dir = dir();
    if std::env::var_os("FUPIN_UPDATE_CONFORMANCE").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, input) in inputs() {
            std::fs::write(dir.join(format!("{name}.input.json")), &input).unwrap();
            let (kind, output) = expected_for(&input);
            std::fs::write(dir.join(format!("{name}.{kind}.json")), output).unwrap();
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".input.json").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "only {} vectors", names.len());
    for name in names {
        let input = std::fs::read_to_string(dir.join(format!("{name}.input.json"))).unwrap();
        let (kind, actual) = expected_for(&input);
        let expected = std::fs::read_to_string(dir.join(format!("{name}.{kind}.json")))
            .unwrap_or_else(|_| panic!("{name}: the engine gives an {kind} but no {name}.{kind}.json exists"));
        assert_eq!(actual, expected, "{name}: decision differs from the vector");
    }
}
