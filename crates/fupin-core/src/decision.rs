//! Decisions (评定结果), exactly as `decision.schema.json` describes them.
//!
//! Field order is fixed and maps are sorted, so the same input and rule set always
//! serialize to the same bytes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The result of one rule for one household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingResult {
    /// The household satisfies the rule's criterion (for a risk rule: no risk).
    Pass,
    /// The criterion is not met (for a risk rule: the risk fired; for an exclusion: it applies).
    Fail,
    /// A fact the rule needs is missing (待核实).
    Unknown,
    /// The rule could not run (script error or limit); the rule set needs review.
    Error,
}

impl FindingResult {
    /// Every result, in the order of their discriminants.
    pub const ALL: [FindingResult; 4] = [FindingResult::Pass, FindingResult::Fail, FindingResult::Unknown, FindingResult::Error];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingResult::Pass => "pass",
            FindingResult::Fail => "fail",
            FindingResult::Unknown => "unknown",
            FindingResult::Error => "error",
        }
    }

    /// 通过 / 未通过 / 待核实 / 出错
    pub fn zh(self) -> &'static str {
        match self {
            FindingResult::Pass => "通过",
            FindingResult::Fail => "未通过",
            FindingResult::Unknown => "待核实",
            FindingResult::Error => "出错",
        }
    }
}

/// One rule's finding: what it decided, on which values, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `exit.housing`.
    pub rule: String,
    /// pass / fail / unknown / error
    pub result: FindingResult,
    /// The rule's Chinese title.
    pub title_zh: String,
    /// The rule's English title.
    pub title_en: String,
    /// Chinese explanation an official can read in a 公示 or an audit.
    pub message_zh: String,
    /// English explanation.
    pub message_en: String,
    /// The facts and parameters the rule used.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Policy document and article the rule implements.
    pub citation: String,
}

/// Name, version and content hash of the rules and parameters used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesetInfo {
    /// Rule set name, e.g. `fupin-national`.
    pub name: String,
    /// Rule set version from `ruleset.toml`.
    pub version: String,
    /// `sha256:` of every script and parameter file.
    pub hash: String,
}

/// 识别 (建档立卡) decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentifyDecision {
    /// eligible / ineligible / needs_review
    pub outcome: String,
    /// Poverty score for 全旗大排序-style ranking: higher = poorer.
    pub score: serde_json::Number,
    /// 致贫原因, primary first.
    pub causes: Vec<String>,
    /// One finding per identify rule.
    pub findings: Vec<Finding>,
}

impl IdentifyDecision {
    /// The score as a decimal, as [`Outcomes`] carries it.
    pub fn score_decimal(&self) -> rust_decimal::Decimal {
        self.score.to_string().parse().unwrap_or_default()
    }
}

/// The findings that are rules' results: a `decide` error finding is not a rule's.
pub(crate) fn rule_findings<'a>(findings: impl Iterator<Item = &'a Finding>) -> impl Iterator<Item = &'a Finding> {
    findings.filter(|f| !f.rule.ends_with(".decide"))
}

/// 退出 (脱贫) decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExitDecision {
    /// meets_standard / not_met / needs_review
    pub outcome: String,
    /// One finding per exit rule.
    pub findings: Vec<Finding>,
}

/// 监测 (防返贫监测预警) decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorDecision {
    /// `assessed`, or `needs_review` when a monitor rule could not run or `decide` could not
    /// settle the level (the default rules: income unknown).
    pub outcome: String,
    /// none / low / medium / high
    pub level: String,
    /// none / unstable / marginal / sudden_hardship
    pub category: String,
    /// The risk factors that fired.
    pub risks: Vec<String>,
    /// Suggested 帮扶措施 (一户一策).
    pub measures: Vec<String>,
    /// One finding per monitor rule.
    pub findings: Vec<Finding>,
}

/// The three decisions for one household.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// 户编号
    pub household_id: String,
    /// Evaluation year.
    pub year: i32,
    /// The rules used.
    pub ruleset: RulesetInfo,
    /// 家庭人均纯收入 with two decimals; `None` when unknown.
    pub per_capita_income: Option<String>,
    /// 识别
    pub identify: IdentifyDecision,
    /// 退出
    pub exit: ExitDecision,
    /// 监测
    pub monitor: MonitorDecision,
}

/// A decision's outcomes without the findings' values and messages — what reports,
/// rankings, diffs and flat exports need. [`crate::Engine::evaluate_outcomes`] computes it on
/// the fast path without building any message; it always equals `Outcomes::from(&decision)`
/// of the full decision.
///
/// The outcome names (and 致贫原因 ids) are `Cow<'static, str>`: on the fast path they are
/// the engine's own names, not allocated per household; taken from a [`Decision`] they are
/// owned copies. Either way they read as `&str` (`outcomes.level == "high"`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcomes {
    /// 户编号
    pub household_id: String,
    /// Evaluation year.
    pub year: i32,
    /// 家庭人均纯收入 (yuan, to the fen), when income is known.
    pub per_capita_income: Option<rust_decimal::Decimal>,
    /// 识别 outcome.
    pub identify: Cow<'static, str>,
    /// 全旗大排序 score.
    pub score: rust_decimal::Decimal,
    /// 致贫原因, primary first.
    pub causes: Vec<Cow<'static, str>>,
    /// 退出 outcome.
    pub exit: Cow<'static, str>,
    /// 监测 outcome.
    pub monitor: Cow<'static, str>,
    /// 风险等级.
    pub level: Cow<'static, str>,
    /// 监测对象类型.
    pub category: Cow<'static, str>,
    /// Risk factors that fired.
    pub risks: Vec<String>,
    /// Suggested 帮扶措施.
    pub measures: Vec<String>,
    /// Every rule's result: identify rules, then exit, then monitor, in declaration order.
    pub results: Vec<FindingResult>,
    /// The rule ids of `results`, in the same order (shared by every household of a rule set).
    pub rule_ids: std::sync::Arc<[String]>,
    /// Name, version and content hash of the rules (shared).
    pub ruleset: std::sync::Arc<RulesetInfo>,
}

impl Outcomes {
    /// Ids of the rules with `result` whose id starts with `prefix`, in declaration order.
    pub fn rules_with<'a>(&'a self, result: FindingResult, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.rule_ids.iter().zip(&self.results).filter(move |(id, r)| **r == result && id.starts_with(prefix)).map(|(id, _)| id.as_str())
    }
}

impl From<&Decision> for Outcomes {
    fn from(d: &Decision) -> Outcomes {
        let results = d.identify.findings.iter().chain(&d.exit.findings).chain(&d.monitor.findings);
        Outcomes {
            household_id: d.household_id.clone(),
            year: d.year,
            per_capita_income: d.per_capita_income.as_deref().and_then(|s| s.parse().ok()),
            identify: d.identify.outcome.clone().into(),
            score: d.identify.score_decimal(),
            causes: d.identify.causes.iter().cloned().map(Cow::Owned).collect(),
            exit: d.exit.outcome.clone().into(),
            monitor: d.monitor.outcome.clone().into(),
            level: d.monitor.level.clone().into(),
            category: d.monitor.category.clone().into(),
            risks: d.monitor.risks.clone(),
            measures: d.monitor.measures.clone(),
            results: rule_findings(results.clone()).map(|f| f.result).collect(),
            rule_ids: rule_findings(results).map(|f| f.rule.clone()).collect(),
            ruleset: std::sync::Arc::new(d.ruleset.clone()),
        }
    }
}
