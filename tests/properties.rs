//! Invariants of the default rules, checked on generated households (proptest).

mod common;

use std::sync::LazyLock;

use fupin::generate::{GenOptions, Generator};
use fupin::money::Money;
use fupin::{Decision, Engine, FindingResult, Household};
use proptest::prelude::*;
use rust_decimal::Decimal;

static ENGINE: LazyLock<Engine> = LazyLock::new(common::engine);

fn generated(seed: u64, year: i32) -> Household {
    Generator::new(GenOptions { seed, year, ..GenOptions::default() }).next().expect("endless")
}

fn eval(h: &Household) -> Decision {
    ENGINE.evaluate(h).expect("generated households are valid")
}

fn result(d: &Decision, rule: &str) -> FindingResult {
    d.identify.findings.iter().chain(&d.exit.findings).chain(&d.monitor.findings)
        .find(|f| f.rule == rule).map(|f| f.result).unwrap_or_else(|| panic!("no finding {rule}"))
}

fn raise(h: &mut Household, component: usize, yuan: u32) {
    let income = h.income.get_or_insert_with(Default::default);
    let slot = match component {
        0 => &mut income.wage,
        1 => &mut income.business,
        2 => &mut income.property,
        3 => &mut income.pension,
        4 => &mut income.dibao,
        5 => &mut income.subsidies,
        _ => &mut income.other_transfer,
    };
    let before = slot.map_or(Decimal::ZERO, Money::decimal);
    *slot = Some(Money::new(before + Decimal::new(i64::from(yuan), 2)).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn evaluation_is_deterministic(seed in any::<u64>(), year in 2014i32..2026) {
        let h = generated(seed, year);
        let first = serde_json::to_string(&eval(&h)).unwrap();
        let again = serde_json::to_string(&eval(&h)).unwrap();
        let other_engine = serde_json::to_string(&common::engine().evaluate(&h).unwrap()).unwrap();
        prop_assert_eq!(&first, &again);
        prop_assert_eq!(&first, &other_engine);
    }

    #[test]
    fn more_income_never_makes_a_household_poorer(seed in any::<u64>(), year in 2014i32..2026, component in 0usize..7, fen in 1u32..2_000_000) {
        let h = generated(seed, year);
        // From unknown to known income is not "richer": compare known incomes only.
        prop_assume!(h.income.is_some());
        let mut richer = h.clone();
        raise(&mut richer, component, fen);
        let (a, b) = (eval(&h), eval(&richer));
        if a.identify.outcome == "ineligible" && result(&a, "identify.income") == FindingResult::Fail {
            prop_assert_ne!(b.identify.outcome.as_str(), "eligible");
        }
        if result(&a, "exit.income") == FindingResult::Pass {
            prop_assert_eq!(result(&b, "exit.income"), FindingResult::Pass);
        }
        if a.exit.outcome == "meets_standard" {
            prop_assert_eq!(b.exit.outcome.as_str(), "meets_standard");
        }
        let (sa, sb) = (a.identify.score.as_f64().unwrap(), b.identify.score.as_f64().unwrap());
        prop_assert!(sb <= sa, "score rose from {} to {}", sa, sb);
    }

    #[test]
    fn an_unknown_fact_never_passes_the_rule_that_needs_it(seed in any::<u64>(), which in 0usize..7) {
        let mut h = generated(seed, 2024);
        let rule = match which {
            0 => { h.income = None; "exit.income" }
            1 => { h.income = None; "identify.income" }
            2 => { h.housing = None; "exit.housing" }
            3 => { h.water = None; "exit.water" }
            4 => { h.food_secure = None; "exit.food" }
            5 => { h.members[0].medical_insurance = None; "exit.medical" }
            _ => { h.members[0].age = None; h.members[0].birth_date = None; "exit.education" }
        };
        let d = eval(&h);
        prop_assert_ne!(result(&d, rule), FindingResult::Pass, "{} passed with its fact unknown", rule);
        if which == 0 || which == 1 {
            prop_assert!(d.per_capita_income.is_none());
            prop_assert_ne!(d.identify.outcome.as_str(), "eligible");
        }
    }
}
