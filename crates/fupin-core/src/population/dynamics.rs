//! 动态管理 between two rounds (`fupin dynamics`): the same households decided last year and
//! this year, matched by 户编号.
//!
//! - 新识别: eligible this year, not last year, never exited (no `status.exit_year`);
//! - 返贫: eligible this year, not last year, and the household had exited (`exit_year` set
//!   in either year's data);
//! - 脱贫: eligible last year and meeting the exit standard this year;
//! - 新纳入监测: monitoring category `none` last year, another category this year;
//! - 解除监测: a category last year, `none` this year (the rules' view; 风险消除 procedure —
//!   six months, measures in place — is for the office to confirm);
//! - 监测类别变化: monitored in both years under different categories.
//!
//! Households present in one round only are listed apart.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::profile::Profile;
use crate::decision::Outcomes;
use std::borrow::Cow;

/// What one round decided for a household.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    identify: Cow<'static, str>,
    exit: Cow<'static, str>,
    category: Cow<'static, str>,
    exited_before: bool,
}

impl Snapshot {
    /// The snapshot of one decision.
    pub fn of(p: &Profile, d: &Outcomes) -> Snapshot {
        Snapshot { identify: d.identify.clone(), exit: d.exit.clone(), category: d.category.clone(), exited_before: p.exited_before }
    }
}

/// A movement between the two rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// 新识别
    NewlyIdentified,
    /// 脱贫
    Exited,
    /// 返贫
    Returned,
    /// 新纳入监测
    MonitoringStarted,
    /// 解除监测
    MonitoringEnded,
    /// 监测类别变化
    CategoryChanged,
}

impl Movement {
    /// The Chinese term.
    pub fn zh(self) -> &'static str {
        match self {
            Movement::NewlyIdentified => "新识别",
            Movement::Exited => "脱贫",
            Movement::Returned => "返贫",
            Movement::MonitoringStarted => "新纳入监测",
            Movement::MonitoringEnded => "解除监测",
            Movement::CategoryChanged => "监测类别变化",
        }
    }
}

/// The movements of one household from `last` to `this`.
pub fn movements(last: &Snapshot, this: &Snapshot) -> Vec<Movement> {
    let mut out = Vec::new();
    if this.identify == "eligible" && last.identify != "eligible" {
        out.push(if this.exited_before || last.exited_before { Movement::Returned } else { Movement::NewlyIdentified });
    }
    if last.identify == "eligible" && this.exit == "meets_standard" {
        out.push(Movement::Exited);
    }
    match (&*last.category, &*this.category) {
        ("none", "none") => {}
        ("none", _) => out.push(Movement::MonitoringStarted),
        (_, "none") => out.push(Movement::MonitoringEnded),
        (a, b) if a != b => out.push(Movement::CategoryChanged),
        _ => {}
    }
    out
}

/// One household that moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// 户编号
    pub household_id: String,
    /// Its movements.
    pub movements: Vec<Movement>,
    /// Monitoring category last year.
    pub category_last: String,
    /// Monitoring category this year.
    pub category_this: String,
}

/// The comparison of two rounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dynamics {
    /// Households in both rounds.
    pub households: usize,
    /// Households per movement.
    pub counts: BTreeMap<Movement, usize>,
    /// The households that moved, in this year's input order.
    pub moved: Vec<Moved>,
    /// 户编号 in last year's data only.
    pub only_last: Vec<String>,
    /// 户编号 in this year's data only.
    pub only_this: Vec<String>,
}

/// Holds last year's snapshots (one small entry per household) and compares this year's.
pub struct DynamicsBuilder {
    last: HashMap<String, Snapshot>,
    last_order: Vec<String>,
    dynamics: Dynamics,
}

impl DynamicsBuilder {
    /// Starts with no data.
    pub fn new() -> DynamicsBuilder {
        DynamicsBuilder {
            last: HashMap::new(),
            last_order: Vec::new(),
            dynamics: Dynamics { households: 0, counts: BTreeMap::new(), moved: Vec::new(), only_last: Vec::new(), only_this: Vec::new() },
        }
    }

    /// Adds one household of last year's round.
    pub fn add_last(&mut self, p: &Profile, d: &Outcomes) {
        if self.last.insert(p.household_id.clone(), Snapshot::of(p, d)).is_none() {
            self.last_order.push(p.household_id.clone());
        }
    }

    /// Adds one household of this year's round (after all of last year's).
    pub fn add_this(&mut self, p: &Profile, d: &Outcomes) {
        let this = Snapshot::of(p, d);
        let Some(last) = self.last.remove(&p.household_id) else {
            self.dynamics.only_this.push(p.household_id.clone());
            return;
        };
        self.dynamics.households += 1;
        let movements = movements(&last, &this);
        if movements.is_empty() {
            return;
        }
        for m in &movements {
            *self.dynamics.counts.entry(*m).or_default() += 1;
        }
        self.dynamics.moved.push(Moved { household_id: p.household_id.clone(), movements, category_last: last.category.into_owned(), category_this: this.category.into_owned() });
    }

    /// The comparison.
    pub fn finish(mut self) -> Dynamics {
        self.dynamics.only_last = self.last_order.into_iter().filter(|id| self.last.contains_key(id)).collect();
        self.dynamics
    }
}

impl Default for DynamicsBuilder {
    fn default() -> Self {
        DynamicsBuilder::new()
    }
}

/// The comparison as text for a terminal.
pub fn table(d: &Dynamics) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "两轮均有的户 {}；仅上一轮 {} 户；仅本轮 {} 户", d.households, d.only_last.len(), d.only_this.len());
    for m in [Movement::NewlyIdentified, Movement::Exited, Movement::Returned, Movement::MonitoringStarted, Movement::MonitoringEnded, Movement::CategoryChanged] {
        let _ = writeln!(out, "{}：{} 户", m.zh(), d.counts.get(&m).copied().unwrap_or(0));
    }
    for h in &d.moved {
        let names: Vec<&str> = h.movements.iter().map(|m| m.zh()).collect();
        let _ = writeln!(
            out,
            "  {}  {}（监测类别 {} → {}）",
            h.household_id,
            names.join("、"),
            crate::explain::category_zh(&h.category_last),
            crate::explain::category_zh(&h.category_this)
        );
    }
    for (title, ids) in [("仅上一轮", &d.only_last), ("仅本轮", &d.only_this)] {
        if !ids.is_empty() {
            let _ = writeln!(out, "{title}：{}", ids.join("，"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(identify: &str, exit: &str, category: &str, exited_before: bool) -> Snapshot {
        Snapshot { identify: identify.to_string().into(), exit: exit.to_string().into(), category: category.to_string().into(), exited_before }
    }

    #[test]
    fn each_movement_follows_its_definition() {
        use Movement::*;
        assert_eq!(movements(&snap("ineligible", "meets_standard", "none", false), &snap("eligible", "not_met", "marginal", false)), [NewlyIdentified, MonitoringStarted]);
        assert_eq!(movements(&snap("ineligible", "meets_standard", "unstable", true), &snap("eligible", "not_met", "unstable", true)), [Returned]);
        assert_eq!(movements(&snap("eligible", "not_met", "marginal", false), &snap("ineligible", "meets_standard", "none", false)), [Exited, MonitoringEnded]);
        assert_eq!(movements(&snap("ineligible", "meets_standard", "marginal", false), &snap("ineligible", "meets_standard", "sudden_hardship", false)), [CategoryChanged]);
        assert!(movements(&snap("eligible", "not_met", "none", false), &snap("eligible", "not_met", "none", false)).is_empty());
    }

    #[test]
    fn households_are_matched_by_id_and_the_unmatched_listed() {
        let engine = crate::Engine::embedded().unwrap();
        let poor = super::super::report::tests::household("H1", "350121100201", 2, 1000);
        let rich = super::super::report::tests::household("H1", "350121100201", 2, 30000);
        let gone = super::super::report::tests::household("H2", "350121100201", 1, 30000);
        let new = super::super::report::tests::household("H3", "350121100201", 1, 30000);
        let mut b = DynamicsBuilder::new();
        for h in [&poor, &gone] {
            b.add_last(&Profile::of(h, &[]), &engine.evaluate_outcomes(h).unwrap());
        }
        for h in [&rich, &new] {
            b.add_this(&Profile::of(h, &[]), &engine.evaluate_outcomes(h).unwrap());
        }
        let d = b.finish();
        assert_eq!(d.households, 1);
        assert_eq!(d.counts.get(&Movement::Exited), Some(&1), "{}", table(&d));
        assert_eq!((d.only_last.as_slice(), d.only_this.as_slice()), (&["H2".to_string()][..], &["H3".to_string()][..]));
    }
}
