//! A village file and its summary, shared by the CLI (`fupin eval`, `fupin summary`) and the
//! WASM page so that both read the same records and count the same way.
//!
//! Records: one JSON household, a JSON array, or JSON Lines. Each record keeps its 1-based row
//! (line for JSON Lines, element for arrays) so that an error can name it; a bad record never
//! stops the others.
//!
//! Summary: what a county office wants first from a village file — counts by outcome,
//! 贫困发生率, the leading 致贫原因, risk levels and the households at high risk (by 户编号 only).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::explain::{cause_zh, category_zh, level_zh, outcome_zh};
use crate::population::count;
use crate::{Household, Outcomes, ValidationError};

/// One input record: its row and either the household or why it was refused (with the
/// record's `id` when it could be read).
pub struct Record {
    /// 1-based line (JSON Lines) or element (JSON array).
    pub row: usize,
    /// The household, or its 户编号 (if readable) and the validation error.
    pub household: Result<Household, (Option<String>, ValidationError)>,
}

fn id_of(value: &Value) -> Option<String> {
    value.get("id").and_then(Value::as_str).map(str::to_string)
}

fn from_value(row: usize, value: Value) -> Record {
    let id = id_of(&value);
    Record { row, household: crate::household_from_value(value).map_err(|e| (id, e)) }
}

fn from_line(row: usize, line: &str) -> Record {
    match serde_json::from_str::<Value>(line) {
        Ok(value) => from_value(row, value),
        Err(_) => Record { row, household: crate::parse_household(line).map_err(|e| (None, e)) },
    }
}

/// Splits a village file's text into records, in input order (read in parallel).
pub fn records(text: &str) -> Vec<Record> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return match serde_json::from_str::<Vec<Value>>(trimmed) {
            Ok(items) => items.into_par_iter().enumerate().map(|(i, v)| from_value(i + 1, v)).collect(),
            Err(e) => vec![Record { row: 1, household: Err((None, ValidationError::new("", format!("malformed JSON array: {e}")))) }],
        };
    }
    let lines: Vec<(usize, &str)> = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, l)| (i + 1, l)).collect();
    let single_document = lines.len() > 1 && serde_json::from_str::<Value>(lines[0].1).is_err() && serde_json::from_str::<Value>(text).is_ok();
    if single_document {
        return vec![from_line(1, text)];
    }
    lines.into_par_iter().map(|(row, line)| from_line(row, line)).collect()
}

/// A household at high risk: its 户编号 and risk factor ids (no personal data).
#[derive(Clone, Debug, Serialize)]
pub struct HighRisk {
    /// 户编号.
    pub household_id: String,
    /// Risk factor ids (`monitor.risks`).
    pub risks: Vec<String>,
}

/// A village-level summary of decisions.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Households evaluated.
    pub households: usize,
    /// Members of the evaluated households.
    pub population: usize,
    /// Members of households identified as `eligible`.
    pub eligible_population: usize,
    /// Households by 识别 outcome.
    pub identify: BTreeMap<String, usize>,
    /// Households by 退出 outcome.
    pub exit: BTreeMap<String, usize>,
    /// Households by risk level.
    pub levels: BTreeMap<String, usize>,
    /// Households by monitoring category.
    pub categories: BTreeMap<String, usize>,
    /// Eligible households by primary 致贫原因.
    pub causes: BTreeMap<String, usize>,
    /// Households at high risk, in input order (each needs a 预警报告).
    pub high_risk: Vec<HighRisk>,
}

impl Summary {
    /// Counts one household of `size` members by its outcomes (all a summary reads of a
    /// decision: [`crate::Engine::evaluate_outcomes`] gives them without writing messages).
    pub fn add(&mut self, d: &Outcomes, size: usize) {
        self.households += 1;
        self.population += size;
        count(&mut self.identify, &d.identify);
        count(&mut self.exit, &d.exit);
        count(&mut self.levels, &d.level);
        count(&mut self.categories, &d.category);
        if d.identify == "eligible" {
            self.eligible_population += size;
            if let Some(primary) = d.causes.first() {
                count(&mut self.causes, primary);
            }
        }
        if d.level == "high" {
            self.high_risk.push(HighRisk { household_id: d.household_id.clone(), risks: d.risks.clone() });
        }
    }

    /// 贫困发生率 in percent: eligible population / total population (0 for no population).
    pub fn poverty_rate_pct(&self) -> f64 {
        if self.population == 0 { 0.0 } else { 100.0 * self.eligible_population as f64 / self.population as f64 }
    }

    /// The leading primary causes, most frequent first (ties by id), at most `n`.
    pub fn top_causes(&self, n: usize) -> Vec<(&str, usize)> {
        let mut causes: Vec<(&str, usize)> = self.causes.iter().map(|(c, k)| (c.as_str(), *k)).collect();
        causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        causes.truncate(n);
        causes
    }

    /// The Chinese report printed by `fupin summary` (after the rules line).
    pub fn render(&self, errors: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "户数 {}，人口 {}，输入错误 {} 行", self.households, self.population, errors);
        let _ = writeln!(out, "贫困发生率（识别为符合条件的人口 / 总人口）：{:.2}%", self.poverty_rate_pct());
        let counts = |title: &str, map: &BTreeMap<String, usize>, name: fn(&str) -> &str| {
            let items: Vec<String> = map.iter().map(|(k, n)| format!("{} {n}", name(k))).collect();
            format!("{title}：{}\n", items.join("，"))
        };
        out += &counts("识别", &self.identify, outcome_zh);
        out += &counts("退出", &self.exit, outcome_zh);
        out += &counts("风险等级", &self.levels, level_zh);
        out += &counts("监测类别", &self.categories, category_zh);
        let top: Vec<String> = self.top_causes(5).iter().map(|(c, n)| format!("{} {n}", cause_zh(c))).collect();
        let _ = writeln!(out, "主要致贫原因（符合识别条件户的首要原因）：{}", if top.is_empty() { "无".into() } else { top.join("，") });
        let _ = writeln!(out, "高风险户（需出具《返贫致贫风险预警报告》）{} 户：", self.high_risk.len());
        for h in &self.high_risk {
            let risks: Vec<&str> = h.risks.iter().map(|r| cause_zh(r)).collect();
            let _ = writeln!(out, "  {}  {}", h.household_id, if risks.is_empty() { "收入低于标准".to_string() } else { risks.join("、") });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = r#"{"id":"V1","year":2024,"region":{},"members":[{"relation":"head"}]}"#;

    #[test]
    fn json_lines_keep_their_line_numbers_and_bad_lines_do_not_stop_the_others() {
        let text = format!("{H}\n\n{{\"id\":\"V2\",\"year\":\"x\"}}\n{{broken\n{}", H.replace("V1", "V3"));
        let rows: Vec<(usize, Result<String, Option<String>>)> =
            records(&text).into_iter().map(|r| (r.row, r.household.map(|h| h.id).map_err(|(id, _)| id))).collect();
        assert_eq!(rows, [(1, Ok("V1".into())), (3, Err(Some("V2".into()))), (4, Err(None)), (5, Ok("V3".into()))]);
    }

    #[test]
    fn an_array_and_a_pretty_printed_document_are_read_whole() {
        assert_eq!(records(&format!("[{H}, {H}]")).len(), 2);
        let pretty = H.replace(",", ",\n  ");
        let one = records(&pretty);
        assert_eq!(one.len(), 1);
        assert!(one[0].household.is_ok());
    }
}
