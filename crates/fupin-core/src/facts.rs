//! Derived facts (派生事实), computed once in Rust before any script runs.
//!
//! Household size (共同生活人口), net and per-capita income, rigid expenses, ages at 31 Dec of
//! the evaluation year, and member tallies (compulsory-age children out of school, uninsured
//! members, labour, illness, …). An unknown input stays unknown (`None`) here; scripts see it
//! as `()`.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{
    EventKind, Exemption, Health, Household, LaborAbility, SchoolStage,
};
use crate::params::Resolved;

/// Counts of members for a yes/no fact: yes, no, and not stated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Members for whom the fact is true.
    pub yes: i64,
    /// Members for whom the fact is false.
    pub no: i64,
    /// Members for whom the fact is not stated.
    pub unknown: i64,
}

impl Tally {
    fn count(values: impl Iterator<Item = Option<bool>>) -> Tally {
        values.fold(Tally::default(), |mut t, v| {
            match v {
                Some(true) => t.yes += 1,
                Some(false) => t.no += 1,
                None => t.unknown += 1,
            }
            t
        })
    }
}

/// One member as scripts see it (no personal identifiers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberFacts {
    /// 与户主关系
    pub relation: &'static str,
    /// Age at 31 Dec of the evaluation year.
    pub age: Option<i64>,
    /// 劳动能力
    pub labor_ability: Option<&'static str>,
    /// 健康状况
    pub health: Option<&'static str>,
    /// 残疾等级: `Some(0)` = stated no disability.
    pub disability_grade: Option<i64>,
    /// 在校阶段
    pub school_stage: Option<&'static str>,
    /// 在校
    pub enrolled: Option<bool>,
    /// 免于在校的情形
    pub exemption: Option<&'static str>,
    /// 参加基本医疗保险
    pub medical_insurance: Option<bool>,
    /// 外出务工月数
    pub migrant_months: Option<i64>,
}

/// Amounts and counts of the year's events of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventTotal {
    /// Number of events.
    pub count: i64,
    /// Sum of the stated amounts (yuan).
    pub amount: Decimal,
}

/// Everything the rules read about one household.
#[derive(Clone, Debug)]
pub struct Facts {
    /// 户编号
    pub id: String,
    /// Evaluation year.
    pub year: i32,
    /// 行政区划代码
    pub region_code: Option<String>,
    /// 西部地区 (stated, else from the province code)
    pub western: Option<bool>,
    /// 共同生活人口
    pub size: i64,
    /// Income components (absent components count 0) when `income` is present.
    pub income: Option<IncomeFacts>,
    /// 家庭人均纯收入, rounded half-up to the fen.
    pub pci: Option<Decimal>,
    /// Rigid expenses per component and total, when `expenses` is present.
    pub expenses: Option<ExpenseFacts>,
    /// Per-capita income after rigid expenses, rounded half-up to the fen.
    pub after_rigid_pc: Option<Decimal>,
    /// 上年家庭人均纯收入
    pub prior_pci: Option<Decimal>,
    /// 不愁吃
    pub food_secure: Option<bool>,
    /// 不愁穿
    pub clothing_secure: Option<bool>,
    /// 房屋安全鉴定等级
    pub housing_grade: Option<&'static str>,
    /// 易地扶贫搬迁
    pub relocated: Option<bool>,
    /// Whether the `water` object was given at all.
    pub water_reported: bool,
    /// 人均日用水量 (L)
    pub water_liters: Option<Decimal>,
    /// 水质达标
    pub water_quality_ok: Option<bool>,
    /// 取水往返时间 (min)
    pub water_fetch_minutes: Option<Decimal>,
    /// 供水保证率 (%)
    pub water_assurance_pct: Option<Decimal>,
    /// 城镇商品房
    pub urban_housing: Option<bool>,
    /// Vehicles (kind, value) when stated.
    pub vehicles: Option<Vec<(&'static str, Option<Decimal>)>>,
    /// 工商注册资本
    pub business_capital: Option<Decimal>,
    /// 建档立卡贫困户
    pub registered_poor: Option<bool>,
    /// 脱贫年份
    pub exit_year: Option<i64>,
    /// 贫困户属性
    pub poor_category: Option<&'static str>,
    /// Current monitoring category
    pub monitoring: Option<&'static str>,
    /// 财政供养人员
    pub public_employee: Tally,
    /// 村两委干部
    pub village_cadre: Tally,
    /// 参加基本医疗保险
    pub insured: Tally,
    /// 家庭医生签约
    pub family_doctor: Tally,
    /// Members of compulsory-school age at 31 Dec.
    pub school_age: i64,
    /// Of those: not enrolled and without exemption (辍学).
    pub school_age_out: i64,
    /// Of those: not enrolled with an exemption (送教上门 etc.).
    pub school_age_exempt: i64,
    /// Of those: enrolment not stated.
    pub school_age_unknown: i64,
    /// Members whose age cannot be known (neither age nor birth date).
    pub age_unknown: i64,
    /// Members enrolled in any school stage from primary upward.
    pub students: i64,
    /// Members with a serious illness (患有大病).
    pub serious_ill: i64,
    /// Members with a long-term chronic illness (长期慢性病).
    pub chronic_ill: i64,
    /// Members with a disability (health `disabled` or a disability grade).
    pub disabled: i64,
    /// Members whose health is not stated.
    pub health_unknown: i64,
    /// Members able to work (技能 / 普通 / 弱劳动力).
    pub labor_able: i64,
    /// Skilled workers (技能劳动力).
    pub skilled: i64,
    /// Members whose labour ability is not stated.
    pub labor_unknown: i64,
    /// Members who worked away from home this year.
    pub migrants: i64,
    /// The events of the year, by kind (indexed by [`EventKind`] order).
    pub events: [EventTotal; EVENT_KINDS.len()],
    /// Members in input order.
    pub members: Vec<MemberFacts>,
}

/// Household income components and totals (yuan per year).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncomeFacts {
    /// 工资性收入
    pub wage: Decimal,
    /// 经营性收入 (gross)
    pub business: Decimal,
    /// 生产经营性支出
    pub business_cost: Decimal,
    /// 财产性收入
    pub property: Decimal,
    /// 转移性收入 (pension + dibao + subsidies + other transfers)
    pub transfer: Decimal,
    /// 家庭纯收入
    pub net: Decimal,
}

/// Rigid expenses (yuan per year).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpenseFacts {
    /// 医疗自付
    pub medical: Decimal,
    /// 教育支出
    pub education: Decimal,
    /// 其他刚性支出
    pub other: Decimal,
    /// Total.
    pub total: Decimal,
}

/// Event kinds in the order of [`Facts::events`] (their declaration order, so `kind as usize`
/// indexes it).
pub const EVENT_KINDS: [EventKind; 12] = [
    EventKind::Illness,
    EventKind::Disability,
    EventKind::Disaster,
    EventKind::Epidemic,
    EventKind::JobLoss,
    EventKind::IncomeDrop,
    EventKind::ExpenseSpike,
    EventKind::IndustryFailure,
    EventKind::Schooling,
    EventKind::Death,
    EventKind::Accident,
    EventKind::WaterCut,
];

/// Rounds to the fen, half away from zero (四舍五入).
pub fn round_fen(value: Decimal) -> Decimal {
    let mut fen = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    fen.rescale(2);
    fen
}

/// `round_fen(total / size)`: a household's total in yuan shared among its members, to the
/// fen, half away from zero. A total of whole fen (every total of money is one) is divided
/// as an integer of fen with its remainder, which gives the same decimal as the division of
/// decimals (its 28 digits never reach a remainder's half: that is at least 1/(2 × size) fen
/// away) without dividing 96-bit numbers; a total of other digits takes the division of
/// decimals.
pub(crate) fn per_capita(total: Decimal, size: i64) -> Decimal {
    if total.scale() == 2
        && size > 0
        && let Ok(fen) = i64::try_from(total.mantissa())
    {
        let (q, r) = (fen / size, fen % size);
        let share = if 2 * r.unsigned_abs() >= size.unsigned_abs() { q + fen.signum() } else { q };
        return Decimal::new(share, 2);
    }
    round_fen(total / Decimal::from(size))
}

/// An absent component counts 0.00.
fn amount(m: Option<crate::money::Money>) -> Decimal {
    m.map_or(crate::money::Money::ZERO_FEN, |m| m.decimal())
}

impl Facts {
    /// Derives the facts of `h` under the parameters in force for it.
    pub fn derive(h: &Household, params: &Resolved) -> Facts {
        let year = h.year;
        let fixed = params.fact_params();
        let size = h.members.len() as i64;

        let income = h.income.as_ref().map(|i| {
            let transfer = amount(i.pension) + amount(i.dibao) + amount(i.subsidies) + amount(i.other_transfer);
            let (wage, business, business_cost, property) =
                (amount(i.wage), amount(i.business), amount(i.business_cost), amount(i.property));
            IncomeFacts { wage, business, business_cost, property, transfer, net: wage + business - business_cost + property + transfer }
        });
        let per_capita = |total: Decimal| per_capita(total, size);
        let expenses = h.expenses.as_ref().map(|e| {
            let (medical, education, other) = (amount(e.medical_out_of_pocket), amount(e.education), amount(e.other_rigid));
            ExpenseFacts { medical, education, other, total: medical + education + other }
        });

        let members: Vec<MemberFacts> = h
            .members
            .iter()
            .map(|m| MemberFacts {
                relation: m.relation.as_str(),
                age: m.birth_date.map(|d| i64::from(year - d.0.year())).or(m.age.map(i64::from)),
                labor_ability: m.labor_ability.map(LaborAbility::as_str),
                health: m.health.map(Health::as_str),
                disability_grade: m.disability_grade.map(|g| g.map_or(0, i64::from)),
                school_stage: m.schooling.as_ref().and_then(|s| s.stage).map(SchoolStage::as_str),
                enrolled: m.schooling.as_ref().and_then(|s| s.enrolled),
                exemption: m.schooling.as_ref().and_then(|s| s.exemption).map(Exemption::as_str),
                medical_insurance: m.medical_insurance,
                migrant_months: m.migrant_months.map(i64::from),
            })
            .collect();

        let mut f = Facts {
            id: h.id.clone(),
            year,
            region_code: h.region.code.clone(),
            western: h.region.western.or_else(|| {
                let code = h.region.code.as_deref()?;
                Some(fixed.western_province_codes.iter().any(|p| code.starts_with(p.as_str())))
            }),
            size,
            pci: income.map(|i| per_capita(i.net)),
            after_rigid_pc: income.zip(expenses).map(|(i, e)| per_capita(i.net - e.total)),
            income,
            expenses,
            prior_pci: h.status.as_ref().and_then(|s| s.prior_year_income_per_capita).map(|m| m.decimal()),
            food_secure: h.food_secure,
            clothing_secure: h.clothing_secure,
            housing_grade: h.housing.as_ref().and_then(|x| x.safety_grade).map(|g| g.as_str()),
            relocated: h.housing.as_ref().and_then(|x| x.relocated),
            water_reported: h.water.is_some(),
            water_liters: h.water.as_ref().and_then(|w| w.liters_per_person_day).map(|q| q.decimal()),
            water_quality_ok: h.water.as_ref().and_then(|w| w.quality_ok),
            water_fetch_minutes: h.water.as_ref().and_then(|w| w.fetch_minutes_round_trip).map(|q| q.decimal()),
            water_assurance_pct: h.water.as_ref().and_then(|w| w.supply_assurance_pct).map(|q| q.decimal()),
            urban_housing: h.assets.as_ref().and_then(|a| a.urban_commercial_housing),
            vehicles: h.assets.as_ref().and_then(|a| a.vehicles.as_ref()).map(|vs| {
                vs.iter().map(|v| (v.kind.as_str(), v.value.map(|m| m.decimal()))).collect()
            }),
            business_capital: h.assets.as_ref().and_then(|a| a.business_registered_capital).map(|m| m.decimal()),
            registered_poor: h.status.as_ref().and_then(|s| s.registered_poor),
            exit_year: h.status.as_ref().and_then(|s| s.exit_year).map(i64::from),
            poor_category: h.status.as_ref().and_then(|s| s.category).map(|c| c.as_str()),
            monitoring: h.status.as_ref().and_then(|s| s.monitoring).map(|c| c.as_str()),
            public_employee: Tally::count(h.members.iter().map(|m| m.public_employee)),
            village_cadre: Tally::count(h.members.iter().map(|m| m.village_cadre)),
            insured: Tally::count(h.members.iter().map(|m| m.medical_insurance)),
            family_doctor: Tally::count(h.members.iter().map(|m| m.family_doctor)),
            school_age: 0,
            school_age_out: 0,
            school_age_exempt: 0,
            school_age_unknown: 0,
            age_unknown: 0,
            students: 0,
            serious_ill: 0,
            chronic_ill: 0,
            disabled: 0,
            health_unknown: 0,
            labor_able: 0,
            skilled: 0,
            labor_unknown: 0,
            migrants: 0,
            events: [EventTotal::default(); EVENT_KINDS.len()],
            members,
        };
        for m in &f.members {
            match m.age {
                None => f.age_unknown += 1,
                Some(age) if fixed.compulsory_ages.contains(&age) => {
                    f.school_age += 1;
                    match (m.enrolled, m.exemption) {
                        (Some(true), _) => {}
                        (Some(false), Some(e)) if e != "none" => f.school_age_exempt += 1,
                        (Some(false), _) => f.school_age_out += 1,
                        (None, _) => f.school_age_unknown += 1,
                    }
                }
                Some(_) => {}
            }
            let in_school = m.enrolled == Some(true)
                && !matches!(m.school_stage, Some("none" | "preschool" | "graduated"));
            f.students += i64::from(in_school);
            match m.health {
                Some("serious_illness") => f.serious_ill += 1,
                Some("chronic") => f.chronic_ill += 1,
                None => f.health_unknown += 1,
                _ => {}
            }
            f.disabled += i64::from(m.health == Some("disabled") || m.disability_grade.is_some_and(|g| g > 0));
            match m.labor_ability {
                Some("skilled") => {
                    f.labor_able += 1;
                    f.skilled += 1;
                }
                Some("ordinary" | "weak") => f.labor_able += 1,
                None => f.labor_unknown += 1,
                _ => {}
            }
            f.migrants += i64::from(m.migrant_months.is_some_and(|n| n > 0));
        }
        for e in h.events.iter().flatten() {
            let i = e.kind as usize;
            f.events[i].count += 1;
            f.events[i].amount += amount(e.amount);
        }
        f
    }

    /// The total of this year's events of `kind` (e.g. `"illness"`), if the kind exists.
    pub fn event(&self, kind: &str) -> Option<EventTotal> {
        EVENT_KINDS.iter().position(|k| k.as_str() == kind).map(|i| self.events[i])
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::{per_capita, round_fen};

    /// The share as the division of decimals gives it, to the byte (scale and sign too).
    fn divided(total: Decimal, size: i64) -> [u8; 16] {
        round_fen(total / Decimal::from(size)).serialize()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Shared as whole fen, a total gives exactly the division of decimals.
        #[test]
        fn a_share_in_fen_is_the_division_of_decimals(fen in -10_000_000_000_000i64..10_000_000_000_000, size in 1i64..64) {
            let total = Decimal::new(fen, 2);
            prop_assert_eq!(per_capita(total, size).serialize(), divided(total, size), "{} / {}", total, size);
        }

        /// Small totals, where halves and zeros are met most.
        #[test]
        fn small_shares_round_half_away_from_zero_as_decimals_do(fen in -500i64..500, size in 1i64..40) {
            let total = Decimal::new(fen, 2);
            prop_assert_eq!(per_capita(total, size).serialize(), divided(total, size), "{} / {}", total, size);
        }
    }

    #[test]
    fn halves_zeros_and_totals_of_other_scales() {
        for (total, size) in [
            (Decimal::new(1, 2), 2),
            (Decimal::new(-1, 2), 2),
            (Decimal::new(-1, 2), 3),
            (Decimal::new(0, 2), 5),
            (Decimal::new(3, 2), 2),
            (Decimal::new(-3, 2), 2),
            (Decimal::new(i64::MAX, 2), 7),
            (Decimal::new(i64::MIN + 1, 2), 7),
            (Decimal::new(12345, 3), 3),
            (Decimal::new(12345, 0), 7),
            (Decimal::from_i128_with_scale(i128::from(i64::MAX) * 1000, 2), 9),
        ] {
            assert_eq!(per_capita(total, size).serialize(), divided(total, size), "{total} / {size}");
        }
        assert_eq!(per_capita(Decimal::new(1, 2), 2).to_string(), "0.01", "half a fen rounds away from zero");
        assert_eq!(per_capita(Decimal::new(-1, 2), 3).to_string(), "0.00", "a share rounded to zero from below has no sign");
    }
}
