//! 全旗大排序 with 规模控制 (`fupin rank`): every household of a unit (county by default) is
//! ranked on one scoring standard (统一赋分标准: the identify `score`, higher = poorer), the top
//! of the list within the quota set from above (总量控制) is marked 拟识别, and the
//! disagreements between the list and the rules are named for 民主评议 and 公示:
//! income-eligible households outside the quota, and in-quota households that an exclusion,
//! the income line or missing facts reject.
//!
//! Order within a unit: score descending, then per-capita income ascending (unknown last),
//! then 户编号 ascending — deterministic for any input order. A quota counts households;
//! `P%` is P percent of the unit's households, rounded down (a quota is a ceiling).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use super::profile::Profile;
use super::region::{Level, group_code};
use crate::decision::{FindingResult, Outcomes};

/// A quota: a number of households, or a percentage of the unit's households.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quota {
    /// N households.
    Households(usize),
    /// P percent of the households, rounded down.
    Percent(Decimal),
}

impl Quota {
    /// Parses `N` or `P%` (P between 0 and 100, decimals allowed).
    pub fn parse(text: &str) -> Result<Quota, String> {
        let text = text.trim();
        if let Some(p) = text.strip_suffix('%') {
            let p = Decimal::from_str(p.trim()).map_err(|_| format!("quota {text:?}: expected a percentage such as 5%"))?;
            if p.is_sign_negative() || p > Decimal::ONE_HUNDRED {
                return Err(format!("quota {text:?}: a percentage must be between 0% and 100%"));
            }
            return Ok(Quota::Percent(p));
        }
        text.parse::<usize>().map(Quota::Households).map_err(|_| format!("quota {text:?}: expected a number of households or a percentage such as 5%"))
    }

    /// The number of households inside the quota for a unit of `households`.
    pub fn of(self, households: usize) -> usize {
        match self {
            Quota::Households(n) => n.min(households),
            Quota::Percent(p) => {
                let n = (Decimal::from(households) * p / Decimal::ONE_HUNDRED).floor();
                usize::try_from(n.mantissa() / 10i128.pow(n.scale())).unwrap_or(households).min(households)
            }
        }
    }
}

/// What ranking needs to know about one household.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// 户编号
    pub household_id: String,
    /// Unit code at the ranking level.
    pub group: String,
    score: Decimal,
    /// The score as the decision wrote it.
    pub score_text: String,
    /// 家庭人均纯收入 as written in the decision.
    pub per_capita_income: Option<String>,
    pci: Option<Decimal>,
    /// Identify outcome.
    pub identify_outcome: String,
    /// Exclusion rules that apply.
    pub exclusions: Vec<String>,
}

impl Candidate {
    /// The candidate for a household's decision, grouped at `level`.
    pub fn of(p: &Profile, d: &Outcomes, level: Level) -> Candidate {
        Candidate {
            household_id: d.household_id.clone(),
            group: group_code(p.region_code.as_deref(), level),
            score: d.score,
            score_text: d.score.to_string(),
            pci: d.per_capita_income,
            per_capita_income: d.per_capita_income.map(|x| x.to_string()),
            identify_outcome: d.identify.to_string(),
            exclusions: d.rules_with(FindingResult::Fail, "identify.exclusion.").map(str::to_string).collect(),
        }
    }
}

/// Why the list and the rules disagree about a household.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Disagreement {
    /// Eligible by the rules, but below the quota line.
    EligibleOutsideQuota,
    /// Inside the quota, but an exclusion applies.
    Excluded {
        /// The exclusion rules that apply.
        rules: Vec<String>,
    },
    /// Inside the quota, but per-capita income is not below the line.
    AboveIncomeLine,
    /// Inside the quota, but the rules need facts that are missing (待核实).
    NeedsReview,
}

impl Disagreement {
    /// The Chinese text for the 民主评议 list.
    pub fn zh(&self) -> String {
        match self {
            Disagreement::EligibleOutsideQuota => "符合识别条件但在规模之外".into(),
            Disagreement::Excluded { rules } => format!("在规模之内但属识别排除情形（{}）", rules.join("、")),
            Disagreement::AboveIncomeLine => "在规模之内但人均纯收入不低于识别标准".into(),
            Disagreement::NeedsReview => "在规模之内但信息待核实".into(),
        }
    }
}

/// One line of the ranked list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ranked {
    /// Unit code.
    pub group: String,
    /// 1-based rank within the unit.
    pub rank: usize,
    /// The unit's quota (households).
    pub quota: usize,
    /// 户编号
    pub household_id: String,
    /// The identify score.
    pub score: String,
    /// 家庭人均纯收入.
    pub per_capita_income: Option<String>,
    /// Identify outcome by the rules.
    pub identify_outcome: String,
    /// 拟识别: inside the quota.
    pub proposed: bool,
    /// Where list and rules disagree.
    pub disagreement: Option<Disagreement>,
}

/// Ranks candidates unit by unit; `quota(unit, households)` gives each unit's quota or says
/// why it has none. Units come out ordered by code.
pub fn rank(mut candidates: Vec<Candidate>, quota: impl Fn(&str) -> Result<Quota, String>) -> Result<Vec<Ranked>, String> {
    candidates.sort_by(|a, b| {
        a.group
            .cmp(&b.group)
            .then(b.score.cmp(&a.score))
            .then(match (a.pci, b.pci) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(a.household_id.cmp(&b.household_id))
    });
    let mut out = Vec::with_capacity(candidates.len());
    let mut start = 0;
    while start < candidates.len() {
        let group = candidates[start].group.clone();
        let end = start + candidates[start..].iter().take_while(|c| c.group == group).count();
        let limit = quota(&group)?.of(end - start);
        for (i, c) in candidates[start..end].iter().enumerate() {
            let proposed = i < limit;
            let disagreement = match (proposed, c.identify_outcome.as_str()) {
                (false, "eligible") => Some(Disagreement::EligibleOutsideQuota),
                (true, "ineligible") if !c.exclusions.is_empty() => Some(Disagreement::Excluded { rules: c.exclusions.clone() }),
                (true, "ineligible") => Some(Disagreement::AboveIncomeLine),
                (true, "needs_review") => Some(Disagreement::NeedsReview),
                _ => None,
            };
            out.push(Ranked {
                group: group.clone(),
                rank: i + 1,
                quota: limit,
                household_id: c.household_id.clone(),
                score: c.score_text.clone(),
                per_capita_income: c.per_capita_income.clone(),
                identify_outcome: c.identify_outcome.clone(),
                proposed,
                disagreement,
            });
        }
        start = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, group: &str, score: i64, pci: Option<i64>, outcome: &str, exclusions: &[&str]) -> Candidate {
        Candidate {
            household_id: id.into(),
            group: group.into(),
            score: Decimal::from(score),
            score_text: score.to_string(),
            per_capita_income: pci.map(|p| p.to_string()),
            pci: pci.map(Decimal::from),
            identify_outcome: outcome.into(),
            exclusions: exclusions.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn quotas_parse_and_percentages_round_down() {
        assert_eq!(Quota::parse("12").unwrap().of(100), 12);
        assert_eq!(Quota::parse("12").unwrap().of(5), 5);
        assert_eq!(Quota::parse("5%").unwrap().of(39), 1);
        assert_eq!(Quota::parse("2.5%").unwrap().of(200), 5);
        assert_eq!(Quota::parse("100%").unwrap().of(7), 7);
        assert!(Quota::parse("120%").is_err() && Quota::parse("x").is_err() && Quota::parse("-1").is_err());
    }

    #[test]
    fn ties_break_on_income_then_id_and_disagreements_are_named() {
        let c = vec![
            candidate("B", "1", 80, Some(2000), "eligible", &[]),
            candidate("A", "1", 80, Some(2000), "ineligible", &["identify.exclusion.vehicle"]),
            candidate("C", "1", 80, Some(1000), "eligible", &[]),
            candidate("D", "1", 90, None, "needs_review", &[]),
            candidate("E", "1", 10, Some(9000), "eligible", &[]),
            candidate("F", "2", 50, Some(9000), "ineligible", &[]),
        ];
        let mut reversed = c.clone();
        reversed.reverse();
        let ranked = rank(c, |_| Ok(Quota::Households(3))).unwrap();
        assert_eq!(ranked, rank(reversed, |_| Ok(Quota::Households(3))).unwrap(), "input order does not matter");
        let ids: Vec<&str> = ranked.iter().map(|r| r.household_id.as_str()).collect();
        assert_eq!(ids, ["D", "C", "A", "B", "E", "F"]);
        let d: Vec<Option<Disagreement>> = ranked.iter().map(|r| r.disagreement.clone()).collect();
        assert_eq!(d[0], Some(Disagreement::NeedsReview));
        assert_eq!(d[1], None);
        assert_eq!(d[2], Some(Disagreement::Excluded { rules: vec!["identify.exclusion.vehicle".into()] }));
        assert_eq!(d[3], Some(Disagreement::EligibleOutsideQuota));
        assert_eq!(d[4], Some(Disagreement::EligibleOutsideQuota));
        assert_eq!(d[5], Some(Disagreement::AboveIncomeLine));
        assert_eq!((ranked[5].rank, ranked[5].quota, ranked[5].proposed), (1, 1, true));
    }

    #[test]
    fn a_unit_without_a_quota_is_an_error() {
        let c = vec![candidate("A", "1", 1, None, "eligible", &[])];
        assert!(rank(c, |g| Err(format!("no quota for {g}"))).unwrap_err().contains("no quota for 1"));
    }
}
