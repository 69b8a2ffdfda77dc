//! Rule tests as data (`rules/tests/*.toml`), written by policy staff next to the rules.
//!
//! A file may give a `[base]` household; each `[[case]]` gives a `name`, a `household` that
//! is deep-merged over the base (tables merge, lists and values replace) and an `[case.expect]`
//! table. Every key of `expect` is optional and checked exactly:
//!
//! ```toml
//! [[case]]
//! name = "收入高于标准一分"
//! household = { income = { wage = "3218.01" } }
//! expect = { identify = "ineligible", exit = "meets_standard", findings = { "exit.income" = "pass" } }
//! ```
//!
//! `expect` keys: `identify`, `exit` (outcomes), `monitor` (`assessed` / `needs_review`),
//! `level`, `category`, `risks`, `measures`, `causes` (lists, order-insensitive),
//! `per_capita_income` (string, or `"unknown"`), `score` (string, exact), `findings`
//! (rule id → result), and `error` (the field path of an expected input error).

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::decision::Decision;
use crate::engine::Engine;
use crate::input::household_from_value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    base: Option<toml::Table>,
    #[serde(default, rename = "case")]
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    household: Option<toml::Table>,
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    identify: Option<String>,
    exit: Option<String>,
    monitor: Option<String>,
    level: Option<String>,
    category: Option<String>,
    risks: Option<Vec<String>>,
    measures: Option<Vec<String>>,
    causes: Option<Vec<String>>,
    per_capita_income: Option<String>,
    score: Option<String>,
    #[serde(default)]
    findings: std::collections::BTreeMap<String, String>,
    error: Option<String>,
}

/// The outcome of one test case.
#[derive(Debug)]
pub struct CaseOutcome {
    /// Test file (relative to the tests directory).
    pub file: String,
    /// Case name.
    pub name: String,
    /// What did not match; empty when the case passed.
    pub failures: Vec<String>,
    /// The decision, when the household was valid (for the explanation of a failure).
    pub decision: Option<Decision>,
}

impl CaseOutcome {
    /// True when every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Everything a test run found.
#[derive(Debug, Default)]
pub struct TestReport {
    /// One entry per case, in file and case order.
    pub cases: Vec<CaseOutcome>,
    /// Files that could not be read or parsed.
    pub file_errors: Vec<String>,
}

impl TestReport {
    /// Number of cases that passed.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }
    /// True when all cases passed and all files loaded.
    pub fn ok(&self) -> bool {
        self.file_errors.is_empty() && self.cases.iter().all(CaseOutcome::passed)
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn to_json(table: toml::Table) -> Value {
    serde_json::to_value(table).unwrap_or(Value::Null)
}

fn check<T: PartialEq + std::fmt::Debug>(failures: &mut Vec<String>, what: &str, expected: &Option<T>, actual: T) {
    if let Some(e) = expected
        && *e != actual
    {
        failures.push(format!("{what}: expected {e:?}, got {actual:?}"));
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn run_case(engine: &Engine, base: &Option<toml::Table>, case: Case) -> (Vec<String>, Option<Decision>) {
    let mut household = base.clone().map(to_json).unwrap_or_else(|| Value::Object(Default::default()));
    if let Some(h) = case.household {
        merge(&mut household, to_json(h));
    }
    let e = case.expect;
    let result = household_from_value(household).and_then(|h| engine.evaluate(&h));
    let mut failures = Vec::new();
    let decision = match (result, &e.error) {
        (Err(err), Some(path)) if &err.path == path => return (failures, None),
        (Err(err), _) => {
            failures.push(format!("input error: {err}"));
            return (failures, None);
        }
        (Ok(_), Some(path)) => {
            failures.push(format!("expected an input error at `{path}`, but the household was accepted"));
            return (failures, None);
        }
        (Ok(d), None) => d,
    };
    check(&mut failures, "identify", &e.identify, decision.identify.outcome.clone());
    check(&mut failures, "exit", &e.exit, decision.exit.outcome.clone());
    check(&mut failures, "monitor", &e.monitor, decision.monitor.outcome.clone());
    check(&mut failures, "level", &e.level, decision.monitor.level.clone());
    check(&mut failures, "category", &e.category, decision.monitor.category.clone());
    check(&mut failures, "risks", &e.risks.map(sorted), sorted(decision.monitor.risks.clone()));
    check(&mut failures, "measures", &e.measures.map(sorted), sorted(decision.monitor.measures.clone()));
    check(&mut failures, "causes", &e.causes.map(sorted), sorted(decision.identify.causes.clone()));
    let pci = decision.per_capita_income.clone().unwrap_or_else(|| "unknown".into());
    check(&mut failures, "per_capita_income", &e.per_capita_income, pci);
    check(&mut failures, "score", &e.score, decision.identify.score.to_string());
    let all = decision.identify.findings.iter().chain(&decision.exit.findings).chain(&decision.monitor.findings);
    let all: Vec<_> = all.collect();
    for (rule, expected) in &e.findings {
        match all.iter().find(|f| &f.rule == rule) {
            Some(f) if f.result.as_str() == expected => {}
            Some(f) => failures.push(format!("{rule}: expected {expected}, got {} ({})", f.result.as_str(), f.message_zh)),
            None => failures.push(format!("{rule}: no such finding")),
        }
    }
    (failures, Some(decision))
}

/// Runs the cases of one file's text.
pub fn run_text(engine: &Engine, file: &str, text: &str, report: &mut TestReport) {
    let parsed: TestFile = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            report.file_errors.push(crate::params::toml_err(file, text, e).to_string());
            return;
        }
    };
    for case in parsed.cases {
        let name = case.name.clone();
        let (failures, decision) = run_case(engine, &parsed.base, case);
        report.cases.push(CaseOutcome { file: file.to_string(), name, failures, decision });
    }
}

/// Runs every `*.toml` file in `dir` (sorted by name).
pub fn run_dir(engine: &Engine, dir: &Path) -> TestReport {
    let mut report = TestReport::default();
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect(),
        Err(e) => {
            report.file_errors.push(format!("{}: {e}", dir.display()));
            return report;
        }
    };
    files.sort();
    if files.is_empty() {
        report.file_errors.push(format!("{}: no *.toml test files", dir.display()));
    }
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match std::fs::read_to_string(&path) {
            Ok(text) => run_text(engine, &name, &text, &mut report),
            Err(e) => report.file_errors.push(format!("{name}: {e}")),
        }
    }
    report
}
