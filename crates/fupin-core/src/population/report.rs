//! `fupin report`: decisions aggregated by village, township or county — households,
//! population, the number eligible, 贫困发生率, the village exit test, counts by 致贫原因, by
//! risk factor and by level, and the households that need a 《返贫致贫风险预警报告》.
//!
//! Definitions (see also README "Populations"):
//! - 贫困发生率 = population of households whose identify outcome is `eligible` / population
//!   of all households evaluated in the unit (POLICY.md §5: poor population / rural population).
//! - Village exit test (《关于建立贫困退出机制的意见》2016): 贫困发生率 below 2 %, below 3 % in
//!   西部地区. `needs_review` households are counted apart: when the unit passes without them
//!   but would fail if they all turned out eligible, the test is 待核实, not 达标.
//!   A unit is western when all its households are (the stricter 2 % applies to a mixed unit).
//! - 致贫原因 counts: the primary cause of each eligible household.
//! - Risk counts: households in which each risk factor fired; level counts: all households.
//! - 预警户: monitor level `high` — the households for which a 《返贫致贫风险预警报告》 is due,
//!   listed by 户编号 with their risks and suggested measures, nothing else.

use std::collections::BTreeMap;

use serde::Serialize;

use super::count;
use super::profile::Profile;
use super::region::{Level, group_code};
use crate::decision::{Outcomes, RulesetInfo};

/// The 贫困发生率 below which a village (or county) may exit, in percent.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ExitStandard {
    /// 2 % (中部、东部).
    pub rate_pct: f64,
    /// 3 % in 西部地区.
    pub western_rate_pct: f64,
}

impl Default for ExitStandard {
    /// 《关于建立贫困退出机制的意见》2016: 贫困发生率降至 2% 以下（西部地区降至 3% 以下）.
    fn default() -> Self {
        ExitStandard { rate_pct: 2.0, western_rate_pct: 3.0 }
    }
}

/// The result of the exit test for one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitTest {
    /// 贫困发生率 below the standard, whatever the 待核实 households turn out to be.
    Passed,
    /// At or above the standard.
    Failed,
    /// Below the standard only if the 待核实 households are not eligible.
    NeedsReview,
}

impl ExitTest {
    /// 达标 / 未达标 / 待核实
    pub fn zh(self) -> &'static str {
        match self {
            ExitTest::Passed => "达标",
            ExitTest::Failed => "未达标",
            ExitTest::NeedsReview => "待核实",
        }
    }
}

/// A household that needs a 《返贫致贫风险预警报告》: its 户编号, risks and suggested measures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// 户编号
    pub household_id: String,
    /// Monitor level.
    pub level: String,
    /// Monitoring category.
    pub category: String,
    /// Risk factors that fired.
    pub risks: Vec<String>,
    /// Suggested 帮扶措施.
    pub measures: Vec<String>,
}

/// The figures of one unit (or of the whole input).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// The unit's code prefix (see [`group_code`]), or `total`.
    pub code: String,
    /// The unit's name when the input gave one.
    pub name: Option<String>,
    /// 西部地区 (every household of the unit is western).
    pub western: bool,
    /// 户数
    pub households: usize,
    /// 人口
    pub population: usize,
    /// Households whose identify outcome is `eligible`.
    pub eligible_households: usize,
    /// Their population (贫困人口).
    pub eligible_population: usize,
    /// Households whose identify outcome is `needs_review` (待核实).
    pub needs_review_households: usize,
    /// Their population.
    pub needs_review_population: usize,
    /// 贫困发生率 in percent, rounded to two decimals.
    pub incidence_pct: f64,
    /// The exit standard that applies (2 or 3 %).
    pub exit_threshold_pct: f64,
    /// The village exit test.
    pub exit_test: ExitTest,
    /// Households by identify outcome.
    pub identify: BTreeMap<String, usize>,
    /// Households by exit outcome.
    pub exit: BTreeMap<String, usize>,
    /// Households by monitor level.
    pub levels: BTreeMap<String, usize>,
    /// Households by monitoring category.
    pub categories: BTreeMap<String, usize>,
    /// Eligible households by primary 致贫原因.
    pub causes: BTreeMap<String, usize>,
    /// Households by risk factor fired.
    pub risks: BTreeMap<String, usize>,
    /// Households that need a 《返贫致贫风险预警报告》 (empty in the total).
    pub warnings: Vec<Warning>,
}

impl Group {
    fn new(code: String, name: Option<String>) -> Group {
        Group {
            code,
            name,
            western: true,
            households: 0,
            population: 0,
            eligible_households: 0,
            eligible_population: 0,
            needs_review_households: 0,
            needs_review_population: 0,
            incidence_pct: 0.0,
            exit_threshold_pct: 0.0,
            exit_test: ExitTest::Passed,
            identify: BTreeMap::new(),
            exit: BTreeMap::new(),
            levels: BTreeMap::new(),
            categories: BTreeMap::new(),
            causes: BTreeMap::new(),
            risks: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    fn add(&mut self, p: &Profile, d: &Outcomes, keep_warnings: bool) {
        self.western &= p.western;
        self.households += 1;
        self.population += p.population;
        match &*d.identify {
            "eligible" => {
                self.eligible_households += 1;
                self.eligible_population += p.population;
                if let Some(primary) = d.causes.first() {
                    count(&mut self.causes, primary);
                }
            }
            "needs_review" => {
                self.needs_review_households += 1;
                self.needs_review_population += p.population;
            }
            _ => {}
        }
        count(&mut self.identify, &d.identify);
        count(&mut self.exit, &d.exit);
        count(&mut self.levels, &d.level);
        count(&mut self.categories, &d.category);
        for risk in &d.risks {
            count(&mut self.risks, risk);
        }
        if keep_warnings && d.level == "high" {
            self.warnings.push(Warning {
                household_id: d.household_id.clone(),
                level: d.level.to_string(),
                category: d.category.to_string(),
                risks: d.risks.clone(),
                measures: d.measures.clone(),
            });
        }
    }

    /// Fills the rate and the exit test once all households are in.
    fn settle(&mut self, standard: ExitStandard) {
        self.exit_threshold_pct = if self.western { standard.western_rate_pct } else { standard.rate_pct };
        let pop = self.population as f64;
        let rate = |people: usize| if self.population == 0 { 0.0 } else { 100.0 * people as f64 / pop };
        self.incidence_pct = (rate(self.eligible_population) * 100.0).round() / 100.0;
        self.exit_test = if rate(self.eligible_population) >= self.exit_threshold_pct {
            ExitTest::Failed
        } else if rate(self.eligible_population + self.needs_review_population) >= self.exit_threshold_pct {
            ExitTest::NeedsReview
        } else {
            ExitTest::Passed
        };
    }
}

/// A finished report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The level of the groups.
    pub level: Level,
    /// The rules that made the decisions (of the first household).
    pub ruleset: Option<RulesetInfo>,
    /// The exit standard applied.
    pub exit_standard: ExitStandard,
    /// One entry per unit, ordered by code.
    pub groups: Vec<Group>,
    /// All households together.
    pub total: Group,
    /// Input rows refused (reported separately, by row).
    pub errors: usize,
}

/// Collects decisions one at a time (memory grows with the number of units and of 预警户,
/// not of households).
pub struct ReportBuilder {
    level: Level,
    standard: ExitStandard,
    ruleset: Option<RulesetInfo>,
    groups: BTreeMap<String, Group>,
    total: Group,
    errors: usize,
}

impl ReportBuilder {
    /// A report by `level` with the exit standard `standard`.
    pub fn new(level: Level, standard: ExitStandard) -> ReportBuilder {
        ReportBuilder { level, standard, ruleset: None, groups: BTreeMap::new(), total: Group::new("total".into(), Some("合计".into())), errors: 0 }
    }

    /// Adds one household's decision.
    pub fn add(&mut self, p: &Profile, d: &Outcomes) {
        if self.ruleset.is_none() {
            self.ruleset = Some((*d.ruleset).clone());
        }
        let code = group_code(p.region_code.as_deref(), self.level);
        let group = self.groups.entry(code.clone()).or_insert_with(|| Group::new(code, None));
        if group.name.is_none() {
            group.name = p.name_at(self.level).map(str::to_string);
        }
        group.add(p, d, true);
        self.total.add(p, d, false);
    }

    /// Counts refused input rows (reported separately, by row).
    pub fn count_errors(&mut self, rows: usize) {
        self.errors += rows;
    }

    /// The report.
    pub fn finish(self) -> Report {
        let mut groups: Vec<Group> = self.groups.into_values().collect();
        for g in &mut groups {
            g.settle(self.standard);
        }
        let mut total = self.total;
        total.settle(self.standard);
        Report { level: self.level, ruleset: self.ruleset, exit_standard: self.standard, groups, total, errors: self.errors }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Engine;

    /// A household in `village` with `size` members and per-capita income `pci`.
    pub(crate) fn household(id: &str, village: &str, size: usize, pci: u32) -> crate::Household {
        let members: Vec<String> = (0..size)
            .map(|i| format!(r#"{{"relation":"{}","age":40,"medical_insurance":true,"family_doctor":true,"health":"healthy","labor_ability":"ordinary"}}"#, if i == 0 { "head" } else { "spouse" }))
            .collect();
        let json = format!(
            r#"{{"id":"{id}","year":2024,"region":{{"code":"{village}"}},"members":[{}],"income":{{"wage":"{}"}},"expenses":{{}},"food_secure":true,"clothing_secure":true,"housing":{{"safety_grade":"A"}},"water":{{"liters_per_person_day":50,"quality_ok":true,"fetch_minutes_round_trip":0,"supply_assurance_pct":95}}}}"#,
            members.join(","),
            pci as usize * size
        );
        crate::input::parse_household(&json).unwrap()
    }

    fn report(households: &[crate::Household]) -> Report {
        let engine = Engine::embedded().unwrap();
        let codes = vec!["15".to_string()];
        let mut b = ReportBuilder::new(Level::Village, ExitStandard::default());
        for h in households {
            b.add(&Profile::of(h, &codes), &engine.evaluate_outcomes(h).unwrap());
        }
        b.finish()
    }

    #[test]
    fn incidence_is_poor_population_over_population_and_the_western_line_is_three_percent() {
        // Western village (内蒙古 15): 1 poor household of 3 among 100 people = 3 % ⇒ fails at 3 %.
        let mut hh = vec![household("P1", "150526100201", 3, 1000)];
        for i in 0..97 {
            hh.push(household(&format!("R{i}"), "150526100201", 1, 20000));
        }
        // Eastern village (35 福建): 2 poor people of 100 = 2 % ⇒ fails at 2 %; 1 of 100 passes.
        hh.push(household("E1", "350121100201", 2, 1000));
        hh.push(household("E2", "350121100201", 98, 20000));
        hh.push(household("F1", "350121100202", 1, 1000));
        hh.push(household("F2", "350121100202", 99, 20000));
        let r = report(&hh);
        let g: Vec<(&str, f64, f64, ExitTest)> = r.groups.iter().map(|g| (g.code.as_str(), g.incidence_pct, g.exit_threshold_pct, g.exit_test)).collect();
        assert_eq!(
            g,
            vec![
                ("150526100201", 3.0, 3.0, ExitTest::Failed),
                ("350121100201", 2.0, 2.0, ExitTest::Failed),
                ("350121100202", 1.0, 2.0, ExitTest::Passed),
            ]
        );
        assert_eq!((r.total.households, r.total.population, r.total.eligible_population), (102, 300, 6));
        assert!(!r.total.western, "a mixed total uses the stricter standard");
        assert_eq!(r.groups[0].eligible_households, 1);
        assert_eq!(r.groups[0].causes.values().sum::<usize>(), r.groups[0].eligible_households);
    }

    #[test]
    fn unknown_income_makes_a_passing_village_needs_review() {
        let mut hh: Vec<crate::Household> = (0..99).map(|i| household(&format!("R{i}"), "350121100201", 1, 20000)).collect();
        let mut unknown = household("U1", "350121100201", 1, 20000);
        unknown.income = None;
        hh.push(unknown);
        let r = report(&hh);
        assert_eq!(r.groups[0].needs_review_households, 1);
        assert_eq!(r.groups[0].incidence_pct, 0.0);
        // 1 of 100 unknown < 2 % ⇒ still 达标; make it 3 of 100 to need review.
        assert_eq!(r.groups[0].exit_test, ExitTest::Passed);
        hh[0].income = None;
        hh[1].income = None;
        assert_eq!(report(&hh).groups[0].exit_test, ExitTest::NeedsReview);
    }

    #[test]
    fn high_risk_households_are_listed_by_id_only() {
        let mut h = household("W1", "150526100201", 2, 1000);
        h.members[0].name = Some("张三".into());
        let r = report(&[h]);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("张三"));
        let g = &r.groups[0];
        assert_eq!(g.levels.get("high"), Some(&1), "{:?}", g.levels);
        assert_eq!(g.warnings[0].household_id, "W1");
        assert!(r.total.warnings.is_empty());
    }
}
