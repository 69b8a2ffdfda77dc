//! A [`Report`] as one self-contained, printable HTML page: tables and bar charts drawn as
//! inline SVG, no script, no font, no network. Households appear by 户编号 only.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::report::{Group, Report};
use crate::explain::{cause_zh, level_zh, measure_zh};

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart; `mark` draws a dashed vertical line (e.g. the exit standard).
fn bar_chart(title: &str, unit: &str, items: &[(String, f64)], mark: Option<(f64, &str)>) -> String {
    let (label_w, bar_w, row_h) = (190.0, 420.0, 22.0);
    let max = items.iter().map(|(_, v)| *v).chain(mark.map(|m| m.0)).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let height = 34.0 + row_h * items.len().max(1) as f64 + 10.0;
    let mut svg = String::new();
    let _ = write!(svg, r#"<figure><figcaption>{}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" role="img" aria-label="{}">"#, esc(title), esc(title), w = label_w + bar_w + 80.0);
    if items.is_empty() {
        let _ = write!(svg, r##"<text x="10" y="30" fill="#555">无</text>"##);
    }
    for (i, (label, value)) in items.iter().enumerate() {
        let y = 24.0 + row_h * i as f64;
        let w = bar_w * value / max;
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="{bh}" fill="#b03a2e"/><text x="{vx:.1}" y="{ty}" font-size="12">{}{}</text>"##,
            esc(label),
            if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") },
            unit,
            lx = label_w - 6.0,
            ty = y + 13.0,
            bh = row_h - 6.0,
            vx = label_w + w + 4.0,
        );
    }
    if let Some((value, text)) = mark {
        let x = label_w + bar_w * value / max;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="14" x2="{x:.1}" y2="{y2}" stroke="#1f4e79" stroke-dasharray="4 3"/><text x="{x:.1}" y="11" font-size="11" fill="#1f4e79" text-anchor="middle">{}</text>"##,
            esc(text),
            y2 = height - 8.0,
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn counted(map: &BTreeMap<String, usize>, name: fn(&str) -> &str) -> Vec<(String, f64)> {
    let mut items: Vec<(&String, &usize)> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    items.into_iter().map(|(k, n)| (name(k).to_string(), *n as f64)).collect()
}

fn group_label(g: &Group) -> String {
    match &g.name {
        Some(name) => format!("{name} {}", g.code),
        None => g.code.clone(),
    }
}

fn summary_row(out: &mut String, g: &Group, class: &str) {
    let _ = write!(
        out,
        r#"<tr class="{class}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}%</td><td>&lt;{}%</td><td class="t-{}">{}</td><td>{}</td></tr>"#,
        esc(&g.code),
        esc(g.name.as_deref().unwrap_or("")),
        g.households,
        g.population,
        g.eligible_households,
        g.eligible_population,
        g.needs_review_households,
        g.incidence_pct,
        g.exit_threshold_pct,
        serde_json::to_value(g.exit_test).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        g.exit_test.zh(),
        g.levels.get("high").copied().unwrap_or(0),
    );
}

/// The report as a standalone HTML document.
pub fn html(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>扶贫评定汇总报告</title><style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #bbb;padding:3px 7px;text-align:right}
td:nth-child(2),th{text-align:center}tr.total{font-weight:bold;background:#f2f2f2}
.t-passed{color:#1e7b34}.t-failed{color:#b03a2e}.t-needs_review{color:#a66c00}
figure{margin:1em 0;page-break-inside:avoid}figcaption{font-weight:bold;margin-bottom:.3em}
.note{color:#555;font-size:.85em}table.list td{text-align:left}td.id{white-space:nowrap}@media print{body{margin:1cm}h2{page-break-after:avoid}}
</style></head><body>"#);
    let _ = write!(out, "<h1>扶贫评定汇总报告（按{}）</h1>", r.level.zh());
    if let Some(rs) = &r.ruleset {
        let _ = write!(out, r#"<p class="note">规则：{} {}（{}）。输入错误 {} 行，未计入。</p>"#, esc(&rs.name), esc(&rs.version), esc(&rs.hash), r.errors);
    }
    let _ = write!(
        out,
        r#"<p class="note">贫困发生率 = 符合识别条件户的人口 / 总人口。退出检验：贫困发生率低于 {}%（西部地区 {}%）；待核实户若全部符合识别条件即不达标时为“待核实”。</p>"#,
        r.exit_standard.rate_pct, r.exit_standard.western_rate_pct
    );
    out.push_str("<h2>汇总</h2><table><tr><th>代码</th><th>名称</th><th>户数</th><th>人口</th><th>识别户</th><th>识别人口</th><th>待核实户</th><th>贫困发生率</th><th>退出标准</th><th>退出检验</th><th>高风险户</th></tr>");
    for g in &r.groups {
        summary_row(&mut out, g, "");
    }
    summary_row(&mut out, &r.total, "total");
    out.push_str("</table>");
    out.push_str("<h2>图表</h2>");
    let rates: Vec<(String, f64)> = r.groups.iter().map(|g| (group_label(g), g.incidence_pct)).collect();
    let standard = if r.total.western { r.exit_standard.western_rate_pct } else { r.exit_standard.rate_pct };
    out += &bar_chart("贫困发生率", "%", &rates, Some((standard, &format!("退出标准 {standard}%"))));
    out += &bar_chart("主要致贫原因（户）", "", &counted(&r.total.causes, cause_zh), None);
    out += &bar_chart("风险因素（户）", "", &counted(&r.total.risks, cause_zh), None);
    out += &bar_chart("风险等级（户）", "", &counted(&r.total.levels, level_zh), None);
    let warnings: usize = r.groups.iter().map(|g| g.warnings.len()).sum();
    let _ = write!(out, "<h2>需出具《返贫致贫风险预警报告》的户（高风险，{warnings} 户）</h2>");
    out.push_str("<table class=\"list\"><tr><th>单位</th><th>户编号</th><th>监测类别</th><th>风险因素</th><th>建议帮扶措施</th></tr>");
    for g in &r.groups {
        for w in &g.warnings {
            let risks: Vec<&str> = w.risks.iter().map(|x| cause_zh(x)).collect();
            let measures: Vec<&str> = w.measures.iter().map(|x| measure_zh(x)).collect();
            let _ = write!(
                out,
                "<tr><td class=\"id\">{}</td><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.code),
                esc(&w.household_id),
                esc(crate::explain::category_zh(&w.category)),
                esc(&if risks.is_empty() { "收入低于标准".to_string() } else { risks.join("、") }),
                esc(&if measures.is_empty() { "无".to_string() } else { measures.join("、") }),
            );
        }
    }
    out.push_str("</table></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_self_contained_and_escapes_text() {
        let engine = crate::Engine::embedded().unwrap();
        let mut b = super::super::report::ReportBuilder::new(super::super::region::Level::Village, Default::default());
        let mut h = super::super::report::tests::household("<A&B>", "150526100201", 2, 1000);
        h.region.village = Some("示范<嘎查>".into());
        b.add(&super::super::profile::Profile::of(&h, &[]), &engine.evaluate_outcomes(&h).unwrap());
        let page = html(&b.finish());
        assert!(page.contains("&lt;A&amp;B&gt;") && !page.contains("<A&B>"));
        assert!(page.contains("示范&lt;嘎查&gt;"));
        assert!(page.contains("<svg") && page.contains("贫困发生率"));
        for remote in ["http://", "https://", "<script", "src="] {
            let outside_svg_ns = page.replace("http://www.w3.org/2000/svg", "");
            assert!(!outside_svg_ns.contains(remote), "{remote}");
        }
    }
}
