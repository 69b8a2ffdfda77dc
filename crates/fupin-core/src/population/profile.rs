//! The facts about a household that population work needs besides its decision: where it
//! lives, how many people it has, and its 建档立卡 status. No personal data.

use serde::{Deserialize, Serialize};

use crate::model::Household;

/// What reports, ranks and round-to-round comparisons know about one household.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// 户编号
    pub household_id: String,
    /// 行政区划代码, as given.
    pub region_code: Option<String>,
    /// 村 name, as given.
    pub village: Option<String>,
    /// 乡镇 name, as given.
    pub township: Option<String>,
    /// 县 name, as given.
    pub county: Option<String>,
    /// 西部地区 as given, else derived from the province code.
    pub western: bool,
    /// 共同生活人口 (members listed).
    pub population: usize,
    /// `status.exit_year` is set: the household has exited poverty before (已脱贫).
    pub exited_before: bool,
}

impl Profile {
    /// The profile of `h`; `western_codes` are the province codes of 西部地区 (the rule
    /// parameter `western_province_codes`), used when the region does not say.
    pub fn of(h: &Household, western_codes: &[String]) -> Profile {
        let code = h.region.code.clone();
        let derived = code.as_deref().is_some_and(|c| western_codes.iter().any(|p| c.starts_with(p.as_str())));
        Profile {
            household_id: h.id.clone(),
            village: h.region.village.clone(),
            township: h.region.township.clone(),
            county: h.region.county.clone(),
            western: h.region.western.unwrap_or(derived),
            population: h.members.len(),
            exited_before: h.status.as_ref().is_some_and(|s| s.exit_year.is_some()),
            region_code: code,
        }
    }

    /// The name of the unit at `level`, when the input gave one.
    pub fn name_at(&self, level: super::region::Level) -> Option<&str> {
        match level {
            super::region::Level::Village => self.village.as_deref(),
            super::region::Level::Township => self.township.as_deref(),
            super::region::Level::County => self.county.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn western_comes_from_the_region_or_the_province_code() {
        let codes = vec!["15".to_string(), "52".to_string()];
        let h = |region: &str| crate::input::parse_household(&format!(r#"{{"id":"H","year":2024,"region":{region},"members":[{{"relation":"head","name":"张三"}},{{"relation":"child"}}],"status":{{"exit_year":2019}}}}"#)).unwrap();
        let p = Profile::of(&h(r#"{"code":"150526100201","village":"示范嘎查"}"#), &codes);
        assert!(p.western);
        assert_eq!((p.population, p.exited_before, p.village.as_deref()), (2, true, Some("示范嘎查")));
        assert!(!Profile::of(&h(r#"{"code":"350121"}"#), &codes).western);
        assert!(Profile::of(&h(r#"{"code":"350121","western":true}"#), &codes).western);
        assert!(!serde_json::to_string(&p).unwrap().contains("张三"));
    }
}
