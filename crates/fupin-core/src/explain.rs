//! The Chinese explanation of a decision: what a village cadre reads out at a 公示 or an
//! official signs off. Refers to the household by its 户编号 only, never by name.

use std::fmt::Write as _;

use crate::decision::{Decision, Finding};

/// 识别 / 退出 outcome in Chinese.
pub fn outcome_zh(outcome: &str) -> &str {
    match outcome {
        "eligible" => "符合识别条件（拟纳入建档立卡）",
        "ineligible" => "不符合识别条件",
        "meets_standard" => "达到脱贫退出标准",
        "not_met" => "未达到脱贫退出标准",
        "needs_review" => "待核实（需人工复核）",
        "assessed" => "已评估",
        other => other,
    }
}

/// 风险等级 in Chinese.
pub fn level_zh(level: &str) -> &str {
    match level {
        "none" => "无风险",
        "low" => "低风险（预警）",
        "medium" => "中风险",
        "high" => "高风险",
        other => other,
    }
}

/// 监测对象类别 in Chinese.
pub fn category_zh(category: &str) -> &str {
    match category {
        "none" => "非监测对象",
        "unstable" => "脱贫不稳定户",
        "marginal" => "边缘易致贫户",
        "sudden_hardship" => "突发严重困难户",
        other => other,
    }
}

/// 致贫原因 / 风险类型 in Chinese.
pub fn cause_zh(id: &str) -> &str {
    match id {
        "illness" => "因病",
        "disability" => "因残",
        "schooling" => "因学",
        "disaster" => "因灾",
        "epidemic" => "因疫情",
        "lack_land" => "缺土地",
        "lack_water" => "缺水",
        "lack_skills" => "缺技术",
        "lack_labor" => "缺劳力",
        "lack_capital" => "缺资金",
        "poor_transport" => "交通条件落后",
        "low_motivation" => "自身发展动力不足",
        "income_drop" => "因收入大幅缩减",
        "expense_spike" => "因刚性支出骤增",
        "industry_unsustainable" => "因产业项目失败",
        "labor_loss" => "缺劳动力",
        "accident" => "因意外事故",
        "employment_unstable" => "因务工就业不稳",
        "housing" => "住房安全问题",
        "water" => "饮水安全问题",
        "other" => "其他",
        other => other,
    }
}

/// 帮扶措施 in Chinese.
pub fn measure_zh(id: &str) -> &str {
    match id {
        "industry" => "产业帮扶",
        "employment" => "就业帮扶",
        "medical_aid" => "医疗救助",
        "education_aid" => "教育资助",
        "housing" => "危房改造或住房保障",
        "dibao" => "低保/特困兜底保障",
        "temporary_relief" => "临时救助",
        "microcredit" => "小额信贷",
        "disability_aid" => "残疾人帮扶",
        "water_supply" => "饮水安全保障",
        other => other,
    }
}

fn list_zh(ids: &[String], f: fn(&str) -> &str) -> String {
    if ids.is_empty() { "无".into() } else { ids.iter().map(|s| f(s)).collect::<Vec<_>>().join("、") }
}

/// For risk rules `fail` means the risk fired, so they get their own labels.
fn risk_label(f: &Finding) -> &'static str {
    match f.result {
        crate::FindingResult::Pass => "未触发",
        crate::FindingResult::Fail => "风险触发",
        other => other.zh(),
    }
}

fn findings(out: &mut String, findings: &[Finding], label: fn(&Finding) -> &'static str) {
    for f in findings {
        let _ = writeln!(out, "  【{}】{}：{}", label(f), f.title_zh, f.message_zh);
        let _ = writeln!(out, "      依据：{}", f.citation);
    }
}

/// The full Chinese explanation of all three decisions.
pub fn explain_zh(d: &Decision) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "户编号 {}，评定年度 {}", d.household_id, d.year);
    let pci = d.per_capita_income.as_deref().unwrap_or("未知");
    let _ = writeln!(out, "家庭人均纯收入：{pci} 元");
    let _ = writeln!(out, "\n一、识别（建档立卡）：{}", outcome_zh(&d.identify.outcome));
    let _ = writeln!(out, "  致贫原因：{}；评分：{}", list_zh(&d.identify.causes, cause_zh), d.identify.score);
    findings(&mut out, &d.identify.findings, |f| f.result.zh());
    let _ = writeln!(out, "\n二、退出（两不愁三保障及饮水安全）：{}", outcome_zh(&d.exit.outcome));
    findings(&mut out, &d.exit.findings, |f| f.result.zh());
    let m = &d.monitor;
    let _ = writeln!(out, "\n三、防返贫监测：{}，{}{}", level_zh(&m.level), category_zh(&m.category),
        if m.outcome == "needs_review" { "（部分规则未能执行，需人工核实）" } else { "" });
    let _ = writeln!(out, "  风险因素：{}", list_zh(&m.risks, cause_zh));
    let _ = writeln!(out, "  建议帮扶措施：{}", list_zh(&m.measures, measure_zh));
    findings(&mut out, &m.findings, risk_label);
    let _ = writeln!(out, "\n规则版本：{} {}（{}）", d.ruleset.name, d.ruleset.version, d.ruleset.hash);
    out
}
