//! `fupin summary`: what a county office wants first from a village file — counts by outcome,
//! 贫困发生率, the leading 致贫原因, risk levels and the households at high risk (by 户编号).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fupin::Decision;
use fupin::explain::{cause_zh, category_zh, level_zh, outcome_zh};

/// A village-level summary of decisions.
#[derive(Default)]
pub struct Summary {
    households: usize,
    population: usize,
    eligible_population: usize,
    identify: BTreeMap<String, usize>,
    exit: BTreeMap<String, usize>,
    levels: BTreeMap<String, usize>,
    categories: BTreeMap<String, usize>,
    causes: BTreeMap<String, usize>,
    high_risk: Vec<(String, Vec<String>)>,
}

impl Summary {
    pub fn add(&mut self, d: &Decision, size: usize) {
        self.households += 1;
        self.population += size;
        *self.identify.entry(d.identify.outcome.clone()).or_default() += 1;
        *self.exit.entry(d.exit.outcome.clone()).or_default() += 1;
        *self.levels.entry(d.monitor.level.clone()).or_default() += 1;
        *self.categories.entry(d.monitor.category.clone()).or_default() += 1;
        if d.identify.outcome == "eligible" {
            self.eligible_population += size;
            if let Some(primary) = d.identify.causes.first() {
                *self.causes.entry(primary.clone()).or_default() += 1;
            }
        }
        if d.monitor.level == "high" {
            self.high_risk.push((d.household_id.clone(), d.monitor.risks.clone()));
        }
    }

    pub fn render(&self, errors: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "户数 {}，人口 {}，输入错误 {} 行", self.households, self.population, errors);
        let rate = if self.population == 0 { 0.0 } else { 100.0 * self.eligible_population as f64 / self.population as f64 };
        let _ = writeln!(out, "贫困发生率（识别为符合条件的人口 / 总人口）：{rate:.2}%");
        let counts = |title: &str, map: &BTreeMap<String, usize>, name: fn(&str) -> &str| {
            let items: Vec<String> = map.iter().map(|(k, n)| format!("{} {n}", name(k))).collect();
            format!("{title}：{}\n", items.join("，"))
        };
        out += &counts("识别", &self.identify, outcome_zh);
        out += &counts("退出", &self.exit, outcome_zh);
        out += &counts("风险等级", &self.levels, level_zh);
        out += &counts("监测类别", &self.categories, category_zh);
        let mut causes: Vec<_> = self.causes.iter().collect();
        causes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = causes.iter().take(5).map(|(c, n)| format!("{} {n}", cause_zh(c))).collect();
        let _ = writeln!(out, "主要致贫原因（符合识别条件户的首要原因）：{}", if top.is_empty() { "无".into() } else { top.join("，") });
        let _ = writeln!(out, "高风险户（需出具《返贫致贫风险预警报告》）{} 户：", self.high_risk.len());
        for (id, risks) in &self.high_risk {
            let risks: Vec<&str> = risks.iter().map(|r| cause_zh(r)).collect();
            let _ = writeln!(out, "  {id}  {}", if risks.is_empty() { "收入低于标准".to_string() } else { risks.join("、") });
        }
        out
    }
}
