//! The "floor": the default national rules (rules/{identify,exit,monitor}.rhai with
//! rules/params/national.toml) written by hand in Rust, as a lower bound for what evaluating
//! them can cost. It reads the same derived facts as the scripts (`fupin::facts::Facts`) and
//! the parameters in force, read once into [`FloorParams`]; it produces compact results
//! (enums and bit sets, no messages, no finding values).
//!
//! Keep it in step with the scripts: `benches/rules.rs` checks, before measuring, that it
//! agrees with the engine on every generated household and panics naming the household if not.

use fupin::facts::{Facts, Tally, round_fen};
use fupin::model::EventKind;
use fupin::params::Resolved;
use rust_decimal::Decimal;

/// One rule's result (the engine's `FindingResult` without `error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum R {
    Pass,
    Fail,
    Unknown,
}

impl R {
    pub fn as_str(self) -> &'static str {
        match self {
            R::Pass => "pass",
            R::Fail => "fail",
            R::Unknown => "unknown",
        }
    }
}

/// The parameters the rules read, resolved once for a year and region.
#[derive(Clone, Debug)]
pub struct FloorParams {
    pub poverty_line: Decimal,
    pub monitoring_line: Decimal,
    pub warning_band_factor: Decimal,
    pub monitor_requires_risk: bool,
    pub require_family_doctor: bool,
    pub water_min_liters: Decimal,
    pub water_max_fetch_minutes: Decimal,
    pub water_min_assurance_pct: Decimal,
    /// Bit i set = `VEHICLE_KINDS[i]` is an excluded kind.
    pub excluded_vehicle_kinds: u8,
    pub vehicle_value_threshold: Decimal,
    pub business_capital_threshold: Decimal,
    pub medical_oop_threshold: Decimal,
    pub education_expense_threshold: Decimal,
    pub income_drop_share: Decimal,
    pub expense_spike_share: Decimal,
    pub score_weight_income: Decimal,
    pub score_weight_housing: Decimal,
    pub score_weight_labor: Decimal,
    pub score_weight_student: Decimal,
    pub score_weight_health: Decimal,
    pub score_weight_rigid: Decimal,
}

const VEHICLE_KINDS: [&str; 5] = ["car", "truck", "engineering", "agricultural", "motorcycle"];

fn vehicle_bit(kind: &str) -> u8 {
    VEHICLE_KINDS.iter().position(|k| *k == kind).map_or(0, |i| 1 << i)
}

impl FloorParams {
    /// Reads every parameter the rules use; panics if one is missing or mistyped (the
    /// engine would turn that into an `error` finding instead).
    pub fn from_resolved(p: &Resolved) -> FloorParams {
        let dec = |name: &str| -> Decimal {
            let v = p.get(name).unwrap_or_else(|e| panic!("parameter {name}: {e}"));
            v.as_decimal().unwrap_or_else(|_| panic!("parameter {name} is not a decimal"))
        };
        let flag = |name: &str| -> bool {
            let v = p.get(name).unwrap_or_else(|e| panic!("parameter {name}: {e}"));
            v.as_bool().unwrap_or_else(|_| panic!("parameter {name} is not a bool"))
        };
        let kinds = p.list("excluded_vehicle_kinds");
        for k in &kinds {
            assert!(VEHICLE_KINDS.contains(&k.as_str()), "excluded_vehicle_kinds: unknown kind {k}");
        }
        FloorParams {
            poverty_line: dec("poverty_line"),
            monitoring_line: dec("monitoring_line"),
            warning_band_factor: dec("warning_band_factor"),
            monitor_requires_risk: flag("monitor_requires_risk"),
            require_family_doctor: flag("require_family_doctor"),
            water_min_liters: dec("water_min_liters"),
            water_max_fetch_minutes: dec("water_max_fetch_minutes"),
            water_min_assurance_pct: dec("water_min_assurance_pct"),
            excluded_vehicle_kinds: kinds.iter().fold(0, |m, k| m | vehicle_bit(k)),
            vehicle_value_threshold: dec("vehicle_value_threshold"),
            business_capital_threshold: dec("business_capital_threshold"),
            medical_oop_threshold: dec("medical_oop_threshold"),
            education_expense_threshold: dec("education_expense_threshold"),
            income_drop_share: dec("income_drop_share"),
            expense_spike_share: dec("expense_spike_share"),
            score_weight_income: dec("score_weight_income"),
            score_weight_housing: dec("score_weight_housing"),
            score_weight_labor: dec("score_weight_labor"),
            score_weight_student: dec("score_weight_student"),
            score_weight_health: dec("score_weight_health"),
            score_weight_rigid: dec("score_weight_rigid"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Results

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentifyOutcome {
    Eligible,
    Ineligible,
    NeedsReview,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitOutcome {
    MeetsStandard,
    NotMet,
    NeedsReview,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorOutcome {
    Assessed,
    NeedsReview,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    None,
    Unstable,
    Marginal,
    SuddenHardship,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Low,
    Medium,
    High,
}

impl IdentifyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifyOutcome::Eligible => "eligible",
            IdentifyOutcome::Ineligible => "ineligible",
            IdentifyOutcome::NeedsReview => "needs_review",
        }
    }
}
impl ExitOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitOutcome::MeetsStandard => "meets_standard",
            ExitOutcome::NotMet => "not_met",
            ExitOutcome::NeedsReview => "needs_review",
        }
    }
}
impl MonitorOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorOutcome::Assessed => "assessed",
            MonitorOutcome::NeedsReview => "needs_review",
        }
    }
}
impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::None => "none",
            Category::Unstable => "unstable",
            Category::Marginal => "marginal",
            Category::SuddenHardship => "sudden_hardship",
        }
    }
}
impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// Identify rules in script order.
pub const IDENTIFY_RULES: [&str; 6] = [
    "identify.income",
    "identify.exclusion.public_employee",
    "identify.exclusion.village_cadre",
    "identify.exclusion.urban_housing",
    "identify.exclusion.vehicle",
    "identify.exclusion.business",
];
/// Exit rules in script order.
pub const EXIT_RULES: [&str; 7] =
    ["exit.income", "exit.food", "exit.clothing", "exit.education", "exit.medical", "exit.housing", "exit.water"];
/// Risks in monitor.rhai's order; bit i of a risk set = `RISKS[i]`.
pub const RISKS: [&str; 13] = [
    "illness", "disability", "schooling", "disaster", "epidemic", "income_drop", "expense_spike",
    "industry_unsustainable", "labor_loss", "accident", "employment_unstable", "housing", "water",
];
/// 致贫原因 in the order identify.rhai pushes them; bit i of a cause set = `CAUSES[i]`.
pub const CAUSES: [&str; 8] =
    ["illness", "disability", "schooling", "disaster", "lack_labor", "lack_water", "lack_skills", "other"];
/// 帮扶措施; bit i of a measure set = `MEASURES[i]`.
pub const MEASURES: [&str; 10] = [
    "medical_aid", "disability_aid", "education_aid", "temporary_relief", "housing", "employment",
    "industry", "microcredit", "dibao", "water_supply",
];

const M_MEDICAL_AID: u16 = 1 << 0;
const M_DISABILITY_AID: u16 = 1 << 1;
const M_EDUCATION_AID: u16 = 1 << 2;
const M_TEMPORARY_RELIEF: u16 = 1 << 3;
const M_HOUSING: u16 = 1 << 4;
const M_EMPLOYMENT: u16 = 1 << 5;
const M_INDUSTRY: u16 = 1 << 6;
const M_MICROCREDIT: u16 = 1 << 7;
const M_DIBAO: u16 = 1 << 8;
const M_WATER_SUPPLY: u16 = 1 << 9;

/// Standing conditions, not shocks: housing, water, labor_loss (bits of `RISKS`).
const STANDING_RISKS: u16 = (1 << 11) | (1 << 12) | (1 << 8);

/// Measures for each risk, indexed like `RISKS` (monitor.rhai `measures_for`).
const MEASURES_FOR: [u16; 13] = [
    M_MEDICAL_AID,                      // illness
    M_DISABILITY_AID,                   // disability
    M_EDUCATION_AID,                    // schooling
    M_TEMPORARY_RELIEF | M_HOUSING,     // disaster
    M_TEMPORARY_RELIEF | M_EMPLOYMENT,  // epidemic
    M_EMPLOYMENT,                       // income_drop
    M_TEMPORARY_RELIEF,                 // expense_spike
    M_INDUSTRY | M_MICROCREDIT,         // industry_unsustainable
    M_DIBAO,                            // labor_loss
    M_TEMPORARY_RELIEF | M_MEDICAL_AID, // accident
    M_EMPLOYMENT,                       // employment_unstable
    M_HOUSING,                          // housing
    M_WATER_SUPPLY,                     // water
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identify {
    pub outcome: IdentifyOutcome,
    pub findings: [R; 6],
    /// Bit set over `CAUSES`; the list is these in `CAUSES` order.
    pub causes: u16,
    /// Rounded to the fen.
    pub score: Decimal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    pub outcome: ExitOutcome,
    pub findings: [R; 7],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Monitor {
    /// `needs_review` when income is unknown (level and category cannot be settled).
    pub outcome: MonitorOutcome,
    pub category: Category,
    pub level: Level,
    pub findings: [R; 13],
    /// Bit set over `RISKS`.
    pub risks: u16,
    /// Bit set over `MEASURES`.
    pub measures: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub identify: Identify,
    pub exit: Exit,
    pub monitor: Monitor,
}

/// Names of the set bits of `bits` over `names`, in `names` order.
pub fn names_of(bits: u16, names: &[&'static str]) -> Vec<&'static str> {
    names.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, n)| *n).collect()
}

// ---------------------------------------------------------------------------------------
// Rules

#[inline]
fn events(h: &Facts, kind: EventKind) -> i64 {
    h.events[kind as usize].count
}

#[inline]
fn attested(v: Option<bool>) -> R {
    match v {
        Some(true) => R::Pass,
        Some(false) => R::Fail,
        None => R::Unknown,
    }
}

/// Exclusion on a yes/no member fact: any yes ⇒ fail (excluded); any unstated ⇒ unknown.
#[inline]
fn member_exclusion(t: Tally) -> R {
    if t.yes > 0 {
        R::Fail
    } else if t.unknown > 0 {
        R::Unknown
    } else {
        R::Pass
    }
}

#[inline]
fn net_income(h: &Facts) -> Option<Decimal> {
    h.income.map(|i| i.net)
}

/// common.rhai `water_check`: (any indicator failed, indicators missing).
#[inline]
fn water_check(h: &Facts, p: &FloorParams) -> (bool, u8) {
    let mut failed = false;
    let mut missing = 0u8;
    match h.water_liters {
        None => missing += 1,
        Some(l) => failed |= l < p.water_min_liters,
    }
    match h.water_quality_ok {
        None => missing += 1,
        Some(ok) => failed |= !ok,
    }
    match h.water_fetch_minutes {
        None => missing += 1,
        Some(m) => failed |= m > p.water_max_fetch_minutes,
    }
    match h.water_assurance_pct {
        None => missing += 1,
        Some(a) => failed |= a < p.water_min_assurance_pct,
    }
    (failed, missing)
}

fn unsafe_grade(h: &Facts) -> bool {
    matches!(h.housing_grade, Some("C" | "D"))
}

pub fn identify(h: &Facts, p: &FloorParams) -> Identify {
    let line = p.poverty_line;
    let income = match h.pci {
        None => R::Unknown,
        Some(pci) if pci < line => R::Pass,
        Some(_) => R::Fail,
    };
    let urban = match h.urban_housing {
        Some(true) => R::Fail,
        Some(false) => R::Pass,
        None => R::Unknown,
    };
    let vehicle = match &h.vehicles {
        None => R::Unknown,
        Some(vs) => {
            let threshold = p.vehicle_value_threshold;
            let (mut excluded, mut unclear) = (0, 0);
            for (kind, value) in vs {
                if p.excluded_vehicle_kinds & vehicle_bit(kind) != 0 {
                    if threshold.is_zero() || value.is_some_and(|v| v >= threshold) {
                        excluded += 1;
                    } else if value.is_none() {
                        unclear += 1;
                    }
                }
            }
            if excluded > 0 {
                R::Fail
            } else if unclear > 0 {
                R::Unknown
            } else {
                R::Pass
            }
        }
    };
    let business = match h.business_capital {
        None => R::Unknown,
        Some(c) if c > p.business_capital_threshold => R::Fail,
        Some(_) => R::Pass,
    };
    let findings = [income, member_exclusion(h.public_employee), member_exclusion(h.village_cadre), urban, vehicle, business];
    let excluded = findings[1..].contains(&R::Fail);
    let outcome = if excluded || income == R::Fail {
        IdentifyOutcome::Ineligible
    } else if income == R::Unknown {
        IdentifyOutcome::NeedsReview
    } else {
        IdentifyOutcome::Eligible
    };
    Identify { outcome, findings, causes: causes(h, p), score: score(h, p) }
}

fn causes(h: &Facts, p: &FloorParams) -> u16 {
    let mut c = 0u16;
    if h.serious_ill > 0 || h.chronic_ill > 0 || events(h, EventKind::Illness) > 0 {
        c |= 1 << 0;
    }
    if h.disabled > 0 || events(h, EventKind::Disability) > 0 {
        c |= 1 << 1;
    }
    if h.students > 0 && h.expenses.is_some_and(|e| e.education > p.education_expense_threshold) {
        c |= 1 << 2;
    }
    if events(h, EventKind::Disaster) > 0 {
        c |= 1 << 3;
    }
    if h.labor_able == 0 && h.labor_unknown == 0 {
        c |= 1 << 4;
    }
    if h.water_reported && h.water_liters.is_some_and(|l| l < p.water_min_liters) {
        c |= 1 << 5;
    }
    if h.labor_able > 0 && h.skilled == 0 && h.labor_unknown == 0 {
        c |= 1 << 6;
    }
    if c == 0 {
        c = 1 << 7;
    }
    c
}

/// identify.rhai `score`, with the same decimal operations in the same order.
fn score(h: &Facts, p: &FloorParams) -> Decimal {
    let line = p.poverty_line;
    let one = Decimal::ONE;
    let size = Decimal::from(h.size);
    let mut s = Decimal::ZERO;
    if let Some(pci) = h.pci {
        let two_line = Decimal::TWO * line;
        let gap = ((two_line - pci) / two_line).min(one);
        if gap > Decimal::ZERO {
            s += gap * p.score_weight_income;
        }
    }
    if unsafe_grade(h) && h.relocated != Some(true) {
        s += p.score_weight_housing;
    }
    s += p.score_weight_labor * Decimal::from(h.size - h.labor_able - h.labor_unknown) / size;
    s += p.score_weight_student * Decimal::from(h.students.min(3));
    s += p.score_weight_health * Decimal::from((h.serious_ill + h.disabled).min(2));
    if let Some(e) = h.expenses {
        let burden = (e.total / size / line).min(one);
        s += p.score_weight_rigid * burden;
    }
    round_fen(s)
}

pub fn exit(h: &Facts, p: &FloorParams) -> Exit {
    let income = match h.pci {
        None => R::Unknown,
        Some(pci) if pci > p.poverty_line => R::Pass,
        Some(_) => R::Fail,
    };
    let education = if h.school_age_out > 0 {
        R::Fail
    } else if h.school_age_unknown > 0 || h.age_unknown > 0 {
        R::Unknown
    } else {
        R::Pass
    };
    let doctor = p.require_family_doctor;
    let medical = if h.insured.no > 0 || (doctor && h.family_doctor.no > 0) {
        R::Fail
    } else if h.insured.unknown > 0 || (doctor && h.family_doctor.unknown > 0) {
        R::Unknown
    } else {
        R::Pass
    };
    let housing = if h.relocated == Some(true) {
        R::Pass
    } else {
        match h.housing_grade {
            Some("A" | "B") => R::Pass,
            Some("C" | "D") if h.relocated == Some(false) => R::Fail,
            _ => R::Unknown,
        }
    };
    let water = match water_check(h, p) {
        (true, _) => R::Fail,
        (false, 0) => R::Pass,
        (false, _) => R::Unknown,
    };
    let findings = [income, attested(h.food_secure), attested(h.clothing_secure), education, medical, housing, water];
    let outcome = if findings.contains(&R::Fail) {
        ExitOutcome::NotMet
    } else if findings.contains(&R::Unknown) {
        ExitOutcome::NeedsReview
    } else {
        ExitOutcome::MeetsStandard
    };
    Exit { outcome, findings }
}

#[inline]
fn event_risk(h: &Facts, kind: EventKind) -> R {
    if events(h, kind) > 0 { R::Fail } else { R::Pass }
}

pub fn monitor(h: &Facts, p: &FloorParams) -> Monitor {
    let illness = if h.serious_ill > 0 || events(h, EventKind::Illness) > 0 {
        R::Fail
    } else {
        match h.expenses.map(|e| e.medical) {
            Some(m) if m > p.medical_oop_threshold => R::Fail,
            None => R::Unknown,
            Some(_) if h.health_unknown > 0 => R::Unknown,
            Some(_) => R::Pass,
        }
    };
    let schooling = match h.expenses.map(|e| e.education) {
        Some(e) if e > p.education_expense_threshold => R::Fail,
        None => R::Unknown,
        Some(_) => R::Pass,
    };
    let income_drop = if events(h, EventKind::IncomeDrop) + events(h, EventKind::JobLoss) > 0 {
        R::Fail
    } else {
        match (h.pci, h.prior_pci) {
            (Some(pci), Some(prior)) => {
                if pci < round_fen(prior * (Decimal::ONE - p.income_drop_share)) { R::Fail } else { R::Pass }
            }
            _ => R::Unknown,
        }
    };
    let expense_spike = if events(h, EventKind::ExpenseSpike) > 0 {
        R::Fail
    } else {
        match (h.expenses.map(|e| e.total), net_income(h)) {
            (Some(rigid), Some(net)) => {
                let limit = round_fen(net * p.expense_spike_share);
                if rigid > Decimal::ZERO && rigid > limit { R::Fail } else { R::Pass }
            }
            _ => R::Unknown,
        }
    };
    let industry = if events(h, EventKind::IndustryFailure) > 0 {
        R::Fail
    } else {
        match h.income {
            None => R::Unknown,
            Some(i) if i.business_cost > i.business => R::Fail,
            Some(_) => R::Pass,
        }
    };
    let labor_loss = if h.labor_able > 0 {
        R::Pass
    } else if h.labor_unknown > 0 {
        R::Unknown
    } else {
        R::Fail
    };
    let housing = if h.relocated == Some(true) || matches!(h.housing_grade, Some("A" | "B")) {
        R::Pass
    } else if unsafe_grade(h) && h.relocated == Some(false) {
        R::Fail
    } else {
        R::Unknown
    };
    let water = if events(h, EventKind::WaterCut) > 0 {
        R::Fail
    } else {
        match water_check(h, p) {
            (true, _) => R::Fail,
            (false, 0) => R::Pass,
            (false, _) => R::Unknown,
        }
    };
    let findings = [
        illness,
        event_risk(h, EventKind::Disability),
        schooling,
        event_risk(h, EventKind::Disaster),
        event_risk(h, EventKind::Epidemic),
        income_drop,
        expense_spike,
        industry,
        labor_loss,
        event_risk(h, EventKind::Accident),
        event_risk(h, EventKind::JobLoss),
        housing,
        water,
    ];

    // decide
    let mut risks = 0u16;
    let mut measures = 0u16;
    for (i, r) in findings.iter().enumerate() {
        if *r == R::Fail {
            risks |= 1 << i;
            measures |= MEASURES_FOR[i];
        }
    }
    let n = risks.count_ones();
    let m = p.monitoring_line;
    let line = p.poverty_line;
    let low = h.pci.is_some_and(|pci| pci < m);
    let exited = h.exit_year.is_some();
    let in_range = if p.monitor_requires_risk { low && n > 0 } else { low };
    let shocks = risks & !STANDING_RISKS;
    let category = if exited && (if p.monitor_requires_risk { in_range } else { low || n > 0 }) {
        Category::Unstable
    } else if !exited && in_range {
        Category::Marginal
    } else if shocks != 0 && h.after_rigid_pc.is_some_and(|a| a < m) {
        Category::SuddenHardship
    } else {
        Category::None
    };
    let after = h.after_rigid_pc.or(h.pci);
    let level = if after.is_some_and(|a| a < line) || n >= 3 {
        Level::High
    } else if low || n == 2 {
        Level::Medium
    } else if n == 1 || h.pci.is_some_and(|pci| pci < m * p.warning_band_factor) {
        Level::Low
    } else {
        Level::None
    };
    if category != Category::None || n > 0 {
        if h.labor_able > 0 && measures & (M_INDUSTRY | M_EMPLOYMENT) == 0 {
            measures |= M_EMPLOYMENT;
        }
        if h.labor_able == 0 && h.labor_unknown == 0 {
            measures |= M_DIBAO;
        }
    }
    let outcome = if h.pci.is_none() { MonitorOutcome::NeedsReview } else { MonitorOutcome::Assessed };
    Monitor { outcome, category, level, findings, risks, measures }
}

/// All three rule sets for one household.
#[inline]
pub fn evaluate(h: &Facts, p: &FloorParams) -> Outcome {
    Outcome { identify: identify(h, p), exit: exit(h, p), monitor: monitor(h, p) }
}
