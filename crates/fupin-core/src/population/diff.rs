//! What-if (`fupin diff`): one population decided under rule set A and rule set B (two rules
//! directories, or one with a parameter file replaced). Counts the households whose outcome
//! changes, per decision and direction, per unit, and lists them by 户编号.
//!
//! Compared decisions: `identify` (outcome), `exit` (outcome), `monitor_level`,
//! `monitor_category`. A household counts as changed when any of them differs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::profile::Profile;
use super::region::{Level, group_code};
use crate::decision::{Outcomes, RulesetInfo};

/// The compared decisions, in report order.
pub const DECISIONS: [&str; 4] = ["identify", "exit", "monitor_level", "monitor_category"];

fn value<'a>(d: &'a Outcomes, decision: &str) -> &'a str {
    match decision {
        "identify" => &d.identify,
        "exit" => &d.exit,
        "monitor_level" => &d.level,
        _ => &d.category,
    }
}

/// One decision that differs between A and B.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// One of [`DECISIONS`].
    pub decision: &'static str,
    /// The value under A.
    pub from: String,
    /// The value under B.
    pub to: String,
}

/// The decisions that differ between `a` and `b` (same household).
pub fn changes(a: &Outcomes, b: &Outcomes) -> Vec<Change> {
    DECISIONS
        .iter()
        .filter(|k| value(a, k) != value(b, k))
        .map(|k| Change { decision: k, from: value(a, k).to_string(), to: value(b, k).to_string() })
        .collect()
}

/// A household whose decisions differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangedHousehold {
    /// 户编号
    pub household_id: String,
    /// Its unit code.
    pub group: String,
    /// What changed.
    pub changes: Vec<Change>,
}

/// How many households moved from one value to another in one decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// One of [`DECISIONS`].
    pub decision: &'static str,
    /// The value under A.
    pub from: String,
    /// The value under B.
    pub to: String,
    /// Households.
    pub households: usize,
}

/// Changes in one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupChanges {
    /// Unit code.
    pub code: String,
    /// Households evaluated.
    pub households: usize,
    /// Households with any change.
    pub changed_households: usize,
    /// Changed households per decision.
    pub by_decision: BTreeMap<&'static str, usize>,
}

/// The what-if result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Rules A (of the first household).
    pub ruleset_a: Option<RulesetInfo>,
    /// Rules B.
    pub ruleset_b: Option<RulesetInfo>,
    /// Level of `groups`.
    pub level: Level,
    /// Households evaluated under both.
    pub households: usize,
    /// Households with any change.
    pub changed_households: usize,
    /// Changed households per decision.
    pub by_decision: BTreeMap<&'static str, usize>,
    /// Changes per decision and direction, most frequent first.
    pub transitions: Vec<Transition>,
    /// Per unit (units without changes included), by code.
    pub groups: Vec<GroupChanges>,
    /// The changed households, in input order.
    pub changed: Vec<ChangedHousehold>,
    /// Input rows refused.
    pub errors: usize,
}

/// Collects pairs of decisions one household at a time.
pub struct DiffBuilder {
    level: Level,
    rulesets: (Option<RulesetInfo>, Option<RulesetInfo>),
    households: usize,
    transitions: BTreeMap<(&'static str, String, String), usize>,
    groups: BTreeMap<String, GroupChanges>,
    changed: Vec<ChangedHousehold>,
    errors: usize,
}

impl DiffBuilder {
    /// Groups by `level`.
    pub fn new(level: Level) -> DiffBuilder {
        DiffBuilder { level, rulesets: (None, None), households: 0, transitions: BTreeMap::new(), groups: BTreeMap::new(), changed: Vec::new(), errors: 0 }
    }

    /// Adds one household decided under A and B.
    pub fn add(&mut self, p: &Profile, a: &Outcomes, b: &Outcomes) {
        if self.rulesets.0.is_none() {
            self.rulesets = (Some((*a.ruleset).clone()), Some((*b.ruleset).clone()));
        }
        self.households += 1;
        let code = group_code(p.region_code.as_deref(), self.level);
        let group = self.groups.entry(code.clone()).or_insert_with(|| GroupChanges { code: code.clone(), households: 0, changed_households: 0, by_decision: BTreeMap::new() });
        group.households += 1;
        let changes = changes(a, b);
        if changes.is_empty() {
            return;
        }
        group.changed_households += 1;
        for c in &changes {
            *group.by_decision.entry(c.decision).or_default() += 1;
            *self.transitions.entry((c.decision, c.from.clone(), c.to.clone())).or_default() += 1;
        }
        self.changed.push(ChangedHousehold { household_id: p.household_id.clone(), group: code, changes });
    }

    /// Counts refused input rows (reported separately, by row).
    pub fn count_errors(&mut self, rows: usize) {
        self.errors += rows;
    }

    /// The result.
    pub fn finish(self) -> Diff {
        let mut transitions: Vec<Transition> =
            self.transitions.into_iter().map(|((decision, from, to), households)| Transition { decision, from, to, households }).collect();
        let order = |d: &str| DECISIONS.iter().position(|k| *k == d).unwrap_or(DECISIONS.len());
        transitions.sort_by(|x, y| order(x.decision).cmp(&order(y.decision)).then(y.households.cmp(&x.households)).then(x.from.cmp(&y.from)).then(x.to.cmp(&y.to)));
        let mut by_decision = BTreeMap::new();
        for t in &transitions {
            *by_decision.entry(t.decision).or_default() += t.households;
        }
        Diff {
            ruleset_a: self.rulesets.0,
            ruleset_b: self.rulesets.1,
            level: self.level,
            households: self.households,
            changed_households: self.changed.len(),
            by_decision,
            transitions,
            groups: self.groups.into_values().collect(),
            changed: self.changed,
            errors: self.errors,
        }
    }
}

/// Chinese label of a compared decision.
pub fn decision_zh(decision: &str) -> &str {
    match decision {
        "identify" => "识别",
        "exit" => "退出",
        "monitor_level" => "风险等级",
        "monitor_category" => "监测类别",
        other => other,
    }
}

fn value_zh<'a>(decision: &str, value: &'a str) -> &'a str {
    match decision {
        "monitor_level" => crate::explain::level_zh(value),
        "monitor_category" => crate::explain::category_zh(value),
        _ => crate::explain::outcome_zh(value),
    }
}

/// The diff as text for a terminal.
pub fn table(d: &Diff) -> String {
    let mut out = String::new();
    let name = |r: &Option<RulesetInfo>| r.as_ref().map(|r| format!("{} {}（{}）", r.name, r.version, r.hash)).unwrap_or_else(|| "—".into());
    let _ = writeln!(out, "规则 A：{}\n规则 B：{}", name(&d.ruleset_a), name(&d.ruleset_b));
    let _ = writeln!(out, "户数 {}，结果变化 {} 户，输入错误 {} 行", d.households, d.changed_households, d.errors);
    for t in &d.transitions {
        let _ = writeln!(out, "  {}：{} → {}  {} 户", decision_zh(t.decision), value_zh(t.decision, &t.from), value_zh(t.decision, &t.to), t.households);
    }
    let _ = writeln!(out, "按{}：", d.level.zh());
    for g in d.groups.iter().filter(|g| g.changed_households > 0) {
        let parts: Vec<String> = g.by_decision.iter().map(|(k, n)| format!("{} {n}", decision_zh(k))).collect();
        let _ = writeln!(out, "  {}  {} 户中 {} 户变化（{}）", g.code, g.households, g.changed_households, parts.join("，"));
    }
    let _ = writeln!(out, "变化的户：");
    for h in &d.changed {
        let parts: Vec<String> = h.changes.iter().map(|c| format!("{} {}→{}", decision_zh(c.decision), c.from, c.to)).collect();
        let _ = writeln!(out, "  {}  {}", h.household_id, parts.join("；"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, RuleSources};

    #[test]
    fn a_higher_monitoring_line_moves_households_into_monitoring() {
        let a = Engine::embedded().unwrap();
        let mut sources = RuleSources::embedded();
        let national = sources.get("params/national.toml").unwrap().to_string();
        let raised = national.replace(r#"value = "6000""#, r#"value = "20000""#);
        assert_ne!(raised, national, "the national monitoring line is 6000");
        sources.set("params/national.toml", raised);
        let b = Engine::from_sources(sources).unwrap();
        let h = super::super::report::tests::household("D1", "440101100201", 2, 9000);
        let p = Profile::of(&h, &[]);
        let (da, db) = (a.evaluate_outcomes(&h).unwrap(), b.evaluate_outcomes(&h).unwrap());
        let mut builder = DiffBuilder::new(Level::Village);
        builder.add(&p, &da, &db);
        builder.add(&p, &da, &da);
        let d = builder.finish();
        assert_eq!(d.households, 2);
        assert_eq!(d.changed_households, 1, "{}", table(&d));
        let c = &d.changed[0].changes;
        assert!(c.iter().any(|c| c.decision == "monitor_category" && c.from == "none" && c.to == "marginal"), "{c:?}");
        assert_eq!(d.groups[0].changed_households, 1);
        assert_ne!(d.ruleset_a, d.ruleset_b);
    }
}
