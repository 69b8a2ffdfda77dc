//! One decision as one flat row (CSV): outcomes, level, category, risks, causes, per-capita
//! income and score. Lists are joined with `;`; an unknown per-capita income is an empty
//! cell. The columns, in order, are [`COLUMNS`]; they are stable API like the JSON names.

use crate::decision::{FindingResult, Outcomes};

/// Column names of a flattened decision, in order:
///
/// | column | meaning |
/// |---|---|
/// | `household_id` | 户编号 |
/// | `year` | evaluation year |
/// | `per_capita_income` | 家庭人均纯收入, two decimals; empty = unknown |
/// | `identify_outcome` | eligible / ineligible / needs_review |
/// | `identify_score` | score for 全旗大排序 (higher = poorer) |
/// | `identify_causes` | 致贫原因 ids, primary first |
/// | `identify_exclusions` | `identify.exclusion.*` rules that apply (result `fail`) |
/// | `exit_outcome` | meets_standard / not_met / needs_review |
/// | `exit_not_met` | exit rules that failed |
/// | `exit_unknown` | exit rules whose facts are missing (待核实) |
/// | `monitor_outcome` | assessed / needs_review |
/// | `monitor_level` | none / low / medium / high |
/// | `monitor_category` | none / unstable / marginal / sudden_hardship |
/// | `monitor_risks` | risk ids that fired |
/// | `monitor_measures` | suggested 帮扶措施 ids |
/// | `ruleset_version` | rule set version |
/// | `ruleset_hash` | rule set content hash |
pub const COLUMNS: &[&str] = &[
    "household_id",
    "year",
    "per_capita_income",
    "identify_outcome",
    "identify_score",
    "identify_causes",
    "identify_exclusions",
    "exit_outcome",
    "exit_not_met",
    "exit_unknown",
    "monitor_outcome",
    "monitor_level",
    "monitor_category",
    "monitor_risks",
    "monitor_measures",
    "ruleset_version",
    "ruleset_hash",
];

/// Hands each cell of `d`'s row to `cell`, in the order of [`COLUMNS`], without allocating a
/// string per cell (numbers and joined lists are written into one reused buffer).
pub fn cells(d: &Outcomes, mut cell: impl FnMut(&str)) {
    let mut buf = String::with_capacity(128);
    cell(&d.household_id);
    cell(shown(&mut buf, d.year));
    cell(match d.per_capita_income {
        Some(x) => shown(&mut buf, x),
        None => "",
    });
    cell(&d.identify);
    cell(shown(&mut buf, d.score));
    cell(join(&mut buf, d.causes.iter().map(|c| &**c)));
    cell(join(&mut buf, d.rules_with(FindingResult::Fail, "identify.exclusion.")));
    cell(&d.exit);
    cell(join(&mut buf, d.rules_with(FindingResult::Fail, "exit.")));
    cell(join(&mut buf, d.rules_with(FindingResult::Unknown, "exit.")));
    cell(&d.monitor);
    cell(&d.level);
    cell(&d.category);
    cell(join(&mut buf, d.risks.iter().map(String::as_str)));
    cell(join(&mut buf, d.measures.iter().map(String::as_str)));
    cell(&d.ruleset.version);
    cell(&d.ruleset.hash);
}

/// `value` as text, in `out` (cleared first).
fn shown(out: &mut String, value: impl std::fmt::Display) -> &str {
    use std::fmt::Write;
    out.clear();
    let _ = write!(out, "{value}");
    out
}

/// `items` joined with `;`, in `out` (cleared first).
fn join<'a, 'o>(out: &'o mut String, items: impl Iterator<Item = &'a str>) -> &'o str {
    out.clear();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(item);
    }
    out
}

/// The row of `d`, one cell per entry of [`COLUMNS`].
pub fn row(d: &Outcomes) -> Vec<String> {
    let mut row = Vec::with_capacity(COLUMNS.len());
    cells(d, |c| row.push(c.to_string()));
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_flattens_to_one_cell_per_column() {
        let engine = crate::Engine::embedded().unwrap();
        let d = engine
            .evaluate_json(r#"{"id":"F1","year":2019,"region":{"code":"520121"},"members":[{"relation":"head","age":50,"public_employee":true}],"income":{"wage":"2000"},"housing":{"safety_grade":"D"}}"#)
            .unwrap();
        let r = row(&crate::Outcomes::from(&d));
        assert_eq!(r, row(&engine.evaluate_outcomes(&crate::parse_household(r#"{"id":"F1","year":2019,"region":{"code":"520121"},"members":[{"relation":"head","age":50,"public_employee":true}],"income":{"wage":"2000"},"housing":{"safety_grade":"D"}}"#).unwrap()).unwrap()));
        assert_eq!(r.len(), COLUMNS.len());
        let cell = |name: &str| r[COLUMNS.iter().position(|c| *c == name).unwrap()].as_str();
        assert_eq!(cell("household_id"), "F1");
        assert_eq!(cell("per_capita_income"), "2000.00");
        assert_eq!(cell("identify_outcome"), "ineligible");
        assert_eq!(cell("identify_exclusions"), "identify.exclusion.public_employee");
        assert_eq!(cell("exit_not_met"), "exit.income");
        assert!(cell("exit_unknown").split(';').any(|id| id == "exit.housing"), "{r:?}");
        assert_eq!(cell("monitor_level"), d.monitor.level);
    }
}
