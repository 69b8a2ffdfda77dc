//! A [`Report`] as a terminal table (Chinese headings, aligned for CJK display width) and as
//! CSV rows (English column names, ids rather than labels so programs can read them).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::report::{Group, Report};
use crate::explain::{cause_zh, level_zh, measure_zh};

/// Display width in a terminal: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars().map(|c| if ('\u{2E80}'..='\u{FFEF}').contains(&c) { 2 } else { 1 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn counts_zh(map: &BTreeMap<String, usize>, name: fn(&str) -> &str) -> String {
    let mut items: Vec<(&String, &usize)> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if items.is_empty() {
        return "无".into();
    }
    items.iter().map(|(k, n)| format!("{} {n}", name(k))).collect::<Vec<_>>().join("，")
}

fn table_row(g: &Group) -> Vec<String> {
    vec![
        g.code.clone(),
        g.name.clone().unwrap_or_default(),
        g.households.to_string(),
        g.population.to_string(),
        g.eligible_households.to_string(),
        g.eligible_population.to_string(),
        g.needs_review_households.to_string(),
        format!("{:.2}%", g.incidence_pct),
        format!("<{}%", g.exit_threshold_pct),
        g.exit_test.zh().to_string(),
        g.levels.get("high").copied().unwrap_or(0).to_string(),
    ]
}

/// The report as a table for a terminal, followed by the counts and the 预警户 list.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    if let Some(rs) = &r.ruleset {
        let _ = writeln!(out, "规则：{} {}（{}）", rs.name, rs.version, rs.hash);
    }
    let _ = writeln!(out, "按{}汇总；输入错误 {} 行（见错误输出）", r.level.zh(), r.errors);
    let head = ["代码", "名称", "户数", "人口", "识别户", "识别人口", "待核实户", "贫困发生率", "退出标准", "退出检验", "高风险户"];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    rows.extend(r.groups.iter().map(table_row));
    rows.push(table_row(&r.total));
    let widths: Vec<usize> = (0..head.len()).map(|i| rows.iter().map(|row| width(&row[i])).max().unwrap_or(0)).collect();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let t = &r.total;
    let _ = writeln!(out, "主要致贫原因（识别户的首要原因）：{}", counts_zh(&t.causes, cause_zh));
    let _ = writeln!(out, "风险因素（户数）：{}", counts_zh(&t.risks, cause_zh));
    let _ = writeln!(out, "风险等级（户数）：{}", counts_zh(&t.levels, level_zh));
    let warnings: usize = r.groups.iter().map(|g| g.warnings.len()).sum();
    let _ = writeln!(out, "需出具《返贫致贫风险预警报告》的户（高风险）{warnings} 户：");
    for g in &r.groups {
        for w in &g.warnings {
            let risks: Vec<&str> = w.risks.iter().map(|x| cause_zh(x)).collect();
            let measures: Vec<&str> = w.measures.iter().map(|x| measure_zh(x)).collect();
            let risks = if risks.is_empty() { "收入低于标准".to_string() } else { risks.join("、") };
            let measures = if measures.is_empty() { "无".to_string() } else { measures.join("、") };
            let _ = writeln!(out, "  {}  {}  风险：{risks}；建议措施：{measures}", g.code, w.household_id);
        }
    }
    out
}

/// Column names of [`csv_rows`].
pub const CSV_COLUMNS: &[&str] = &[
    "level",
    "code",
    "name",
    "western",
    "households",
    "population",
    "eligible_households",
    "eligible_population",
    "needs_review_households",
    "needs_review_population",
    "incidence_pct",
    "exit_threshold_pct",
    "exit_test",
    "high_risk_households",
    "causes",
    "risks",
    "levels",
];

fn ids(map: &BTreeMap<String, usize>) -> String {
    map.iter().map(|(k, n)| format!("{k}:{n}")).collect::<Vec<_>>().join(";")
}

/// One CSV row per unit and a last row `total`; counts are written `id:n;id:n`.
pub fn csv_rows(r: &Report) -> Vec<Vec<String>> {
    let level = serde_json::to_value(r.level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    r.groups
        .iter()
        .map(|g| (level.as_str(), g))
        .chain(std::iter::once(("total", &r.total)))
        .map(|(level, g)| {
            vec![
                level.to_string(),
                g.code.clone(),
                g.name.clone().unwrap_or_default(),
                g.western.to_string(),
                g.households.to_string(),
                g.population.to_string(),
                g.eligible_households.to_string(),
                g.eligible_population.to_string(),
                g.needs_review_households.to_string(),
                g.needs_review_population.to_string(),
                format!("{:.2}", g.incidence_pct),
                g.exit_threshold_pct.to_string(),
                serde_json::to_value(g.exit_test).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
                g.levels.get("high").copied().unwrap_or(0).to_string(),
                ids(&g.causes),
                ids(&g.risks),
                ids(&g.levels),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_is_two_columns_wide() {
        assert_eq!(width("村a"), 3);
        assert_eq!(pad("贫困", 6), "贫困  ");
    }

    #[test]
    fn csv_rows_have_one_cell_per_column_and_a_total() {
        let engine = crate::Engine::embedded().unwrap();
        let mut b = super::super::report::ReportBuilder::new(super::super::region::Level::County, Default::default());
        let h = super::super::report::tests::household("A", "150526100201", 2, 1000);
        b.add(&super::super::profile::Profile::of(&h, &[]), &engine.evaluate_outcomes(&h).unwrap());
        let r = b.finish();
        let rows = csv_rows(&r);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|row| row.len() == CSV_COLUMNS.len()));
        assert_eq!((rows[0][0].as_str(), rows[0][1].as_str(), rows[1][0].as_str()), ("county", "150526", "total"));
        assert!(table(&r).contains("150526"));
    }
}
