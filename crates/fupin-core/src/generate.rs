//! Deterministic synthetic populations (`fupin gen`) whose shape follows the seed reports:
//! families of one to six with elderly and children, wage-led income with farm business and
//! transfers, a poor tail below the line, 因病 the leading cause, disability, schooling costs,
//! dangerous houses, water problems and the year's shocks. Same seed ⇒ same households.
//! No names, ID numbers or phone numbers are generated.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crate::model::*;
use crate::money::{Money, Quantity};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Random seed.
    pub seed: u64,
    /// Evaluation year of every household.
    pub year: i32,
    /// Village code (12 digits); households get it as their region code.
    pub village_code: String,
    /// Village name.
    pub village_name: String,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions { seed: 1, year: 2024, village_code: "150526100201".into(), village_name: "示范嘎查".into() }
    }
}

fn money(yuan: i64) -> Option<Money> {
    Money::new(Decimal::from(yuan)).ok()
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, w) in weighted {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    weighted[weighted.len() - 1].0
}

/// The seed of chunk `chunk` of a population generated with `seed`. Chunk 0 uses `seed`
/// itself, so a population that fits in one chunk is what [`Generator::new`] makes.
pub fn chunk_seed(seed: u64, chunk: u64) -> u64 {
    if chunk == 0 {
        return seed;
    }
    // splitmix64 of the pair: well spread, stable across platforms and versions.
    let mut z = seed ^ chunk.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An endless, deterministic stream of households; take as many as needed.
pub struct Generator {
    rng: ChaCha8Rng,
    options: GenOptions,
    next: u64,
}

impl Generator {
    /// A generator for `options`.
    pub fn new(options: GenOptions) -> Generator {
        Generator { rng: ChaCha8Rng::seed_from_u64(options.seed), options, next: 1 }
    }

    /// A generator whose first household is number `first` (numbers start at 1): one
    /// population can be generated in parallel chunks, each with its own [`chunk_seed`].
    pub fn starting_at(options: GenOptions, first: u64) -> Generator {
        Generator { next: first.max(1), ..Generator::new(options) }
    }

    fn member(&mut self, relation: Relation, age: u32) -> Member {
        let r = &mut self.rng;
        let health = pick(r, &[(Health::Healthy, 81), (Health::Chronic, 12), (Health::SeriousIllness, 3), (Health::Disabled, 4)]);
        let disabled = health == Health::Disabled;
        let labor = match age {
            0..=15 => LaborAbility::NoLabor,
            _ if disabled || health == Health::SeriousIllness => pick(r, &[(LaborAbility::Lost, 3), (LaborAbility::Weak, 1)]),
            66.. => pick(r, &[(LaborAbility::Weak, 2), (LaborAbility::NoLabor, 3)]),
            _ => pick(r, &[(LaborAbility::Skilled, 15), (LaborAbility::Ordinary, 70), (LaborAbility::Weak, 15)]),
        };
        let schooling = match age {
            6..=15 => Some(Schooling {
                stage: Some(if age <= 11 { SchoolStage::Primary } else { SchoolStage::Junior }),
                enrolled: Some(r.random_bool(0.985)),
                exemption: None,
            }),
            16..=21 if r.random_bool(0.5) => {
                Some(Schooling { stage: Some(if age <= 18 { SchoolStage::Senior } else { SchoolStage::College }), enrolled: Some(true), exemption: None })
            }
            _ => None,
        };
        let schooling = schooling.map(|mut s| {
            if s.enrolled == Some(false) && disabled {
                s.exemption = Some(Exemption::HomeDelivery);
            }
            s
        });
        Member {
            id: None,
            name: None,
            id_number: None,
            phone: None,
            relation,
            birth_date: None,
            age: Some(age),
            sex: Some(if r.random_bool(0.5) { Sex::Male } else { Sex::Female }),
            disability_grade: Some(if disabled { Some(r.random_range(1..=4)) } else { None }),
            labor_ability: Some(labor),
            health: Some(health),
            schooling,
            medical_insurance: Some(r.random_bool(0.99)),
            family_doctor: Some(r.random_bool(0.9)),
            public_employee: Some(r.random_bool(0.01)),
            migrant_months: Some(if (18..=55).contains(&age) && r.random_bool(0.35) { r.random_range(3..=12) } else { 0 }),
            village_cadre: Some(relation == Relation::Head && r.random_bool(0.02)),
        }
    }

    fn household(&mut self) -> Household {
        let n = self.next;
        self.next += 1;
        let size = pick(&mut self.rng, &[(1u32, 10), (2, 22), (3, 22), (4, 25), (5, 14), (6, 7)]);
        let head_age = self.rng.random_range(28..=82);
        let mut members = vec![self.member(Relation::Head, head_age)];
        for i in 1..size {
            let (relation, age) = match i {
                1 if head_age > 24 => (Relation::Spouse, (head_age + self.rng.random_range(0..6)).saturating_sub(3)),
                _ if head_age > 60 && i == size - 1 => (Relation::Grandchild, self.rng.random_range(3..=14)),
                _ if head_age < 50 && i >= 4 => (Relation::Parent, head_age + self.rng.random_range(22..=30)),
                _ => (Relation::Child, head_age.saturating_sub(self.rng.random_range(20..=34)).max(1)),
            };
            members.push(self.member(relation, age));
        }
        let r = &mut self.rng;
        let labor = members.iter().filter(|m| matches!(m.labor_ability, Some(LaborAbility::Skilled | LaborAbility::Ordinary | LaborAbility::Weak))).count() as i64;
        let migrants = members.iter().filter(|m| m.migrant_months.unwrap_or(0) > 0).count() as i64;
        // Per-capita target drawn from a right-skewed mix: a poor tail, a marginal band, the rest.
        let tier = pick(r, &[(0, 5), (1, 20), (2, 75)]);
        let pci_target: i64 = match tier {
            0 => r.random_range(1500..4200),
            1 => r.random_range(4000..9500),
            _ => r.random_range(8000..30000),
        };
        let total = pci_target * i64::from(size);
        let wage = if labor > 0 { total * r.random_range(40..80) / 100 + migrants * 1000 } else { 0 };
        let pension = members.iter().filter(|m| m.age.unwrap_or(0) >= 60).count() as i64 * r.random_range(1500..2400);
        let business = (total - wage - pension).max(0) + r.random_range(0..3000);
        let business_cost = business * r.random_range(10..45) / 100 + if r.random_bool(0.03) { business } else { 0 };
        let poor = tier == 0;
        let dibao = if poor && r.random_bool(0.4) { r.random_range(2000..4500) * i64::from(size) / 2 } else { 0 };
        let income = if r.random_bool(0.97) {
            Some(Income {
                wage: money(wage),
                business: money(business),
                business_cost: money(business_cost),
                property: money(if r.random_bool(0.3) { r.random_range(200..3000) } else { 0 }),
                pension: money(pension),
                dibao: money(dibao),
                subsidies: money(r.random_range(300..2500)),
                other_transfer: money(if r.random_bool(0.2) { r.random_range(500..4000) } else { 0 }),
            })
        } else {
            None
        };
        let ill = members.iter().filter(|m| matches!(m.health, Some(Health::SeriousIllness | Health::Chronic))).count() as i64;
        let students = members.iter().filter(|m| m.schooling.as_ref().is_some_and(|s| s.enrolled == Some(true))).count() as i64;
        let expenses = Expenses {
            medical_out_of_pocket: money(ill * r.random_range(300..4000) + if r.random_bool(0.02) { r.random_range(10000..60000) } else { 0 }),
            education: money(students * r.random_range(300..4000)),
            other_rigid: money(if r.random_bool(0.05) { r.random_range(1000..15000) } else { 0 }),
        };
        let year = self.options.year;
        let mut events = Vec::new();
        for (kind, p) in [
            (EventKind::Illness, 0.06), (EventKind::Disaster, 0.03), (EventKind::Accident, 0.01),
            (EventKind::JobLoss, 0.03), (EventKind::IndustryFailure, 0.015), (EventKind::Disability, 0.005),
            (EventKind::WaterCut, 0.005), (EventKind::Epidemic, 0.003),
        ] {
            if r.random_bool(p) {
                let month = r.random_range(1..=12u8);
                let date = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap_or(time::Month::January), 15)
                    .unwrap_or(time::Date::MIN);
                events.push(Event { kind, date: IsoDate(date), amount: money(r.random_range(1000..20000)), member_id: None, note: None });
            }
        }
        let grade = pick(r, &[(SafetyGrade::A, 70), (SafetyGrade::B, 24), (SafetyGrade::C, 4), (SafetyGrade::D, 2)]);
        let exited = poor || r.random_bool(0.15);
        let prior = income.as_ref().map(|_| pci_target * r.random_range(85..130) / 100);
        Household {
            id: format!("{}-{n:05}", self.options.village_code),
            year,
            region: Region { code: Some(self.options.village_code.clone()), village: Some(self.options.village_name.clone()), ..Region::default() },
            members,
            income,
            expenses: Some(expenses),
            food_secure: Some(r.random_bool(0.995)),
            clothing_secure: Some(r.random_bool(0.995)),
            housing: Some(Housing { safety_grade: Some(grade), relocated: Some(matches!(grade, SafetyGrade::C | SafetyGrade::D) && r.random_bool(0.3)) }),
            water: Some(Water {
                liters_per_person_day: Some(Quantity::from(Decimal::from(if r.random_bool(0.97) { r.random_range(35..90) } else { r.random_range(15..35) }))),
                quality_ok: Some(r.random_bool(0.99)),
                fetch_minutes_round_trip: Some(Quantity::from(Decimal::from(if r.random_bool(0.85) { 0 } else { r.random_range(5..25) }))),
                supply_assurance_pct: Some(Quantity::from(Decimal::from(if r.random_bool(0.97) { r.random_range(90..=100) } else { r.random_range(70..90) }))),
            }),
            assets: Some(Assets {
                vehicles: Some(if r.random_bool(0.12) { vec![Vehicle { kind: pick(r, &[(VehicleKind::Car, 5), (VehicleKind::Motorcycle, 6), (VehicleKind::Agricultural, 4), (VehicleKind::Truck, 1)]), value: money(r.random_range(3000..120000)) }] } else { Vec::new() }),
                urban_commercial_housing: Some(r.random_bool(0.04)),
                business_registered_capital: money(if r.random_bool(0.03) { r.random_range(10000..500000) } else { 0 }),
            }),
            status: Some(Status {
                registered_poor: Some(false),
                exit_year: if exited { Some(r.random_range(2016..=2020)) } else { None },
                category: if exited { Some(pick(r, &[(PoorCategory::General, 7), (PoorCategory::Dibao, 2), (PoorCategory::Tekun, 1)])) } else { None },
                monitoring: Some(MonitoringCategory::NoCategory),
                prior_year_income_per_capita: prior.and_then(money),
            }),
            events: Some(events),
        }
    }
}

impl Iterator for Generator {
    type Item = Household;
    fn next(&mut self) -> Option<Household> {
        Some(self.household())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_population_and_all_valid() {
        let a: Vec<String> = Generator::new(GenOptions::default()).take(50).map(|h| serde_json::to_string(&h).unwrap()).collect();
        let b: Vec<String> = Generator::new(GenOptions::default()).take(50).map(|h| serde_json::to_string(&h).unwrap()).collect();
        assert_eq!(a, b);
        for text in &a {
            let h = crate::input::parse_household(text).unwrap();
            crate::input::check_plausible(&h).unwrap();
        }
        let other: Vec<String> = Generator::new(GenOptions { seed: 2, ..GenOptions::default() }).take(50).map(|h| serde_json::to_string(&h).unwrap()).collect();
        assert_ne!(a, other);
    }

    #[test]
    fn chunks_number_on_and_get_their_own_seeds() {
        let mut g = Generator::starting_at(GenOptions { seed: chunk_seed(1, 3), ..GenOptions::default() }, 4097);
        assert_eq!(g.next().unwrap().id, "150526100201-04097");
        assert_eq!(chunk_seed(9, 0), 9);
        assert_ne!(chunk_seed(9, 1), chunk_seed(9, 2));
        assert_eq!(chunk_seed(9, 1), chunk_seed(9, 1));
    }
}
