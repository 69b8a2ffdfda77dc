//! The household and member properties rule scripts can read (`h.pci`, `m.age`), listed
//! once. The interpreter registers them as rhai getters and the fast path reads them
//! directly, so both see exactly the same facts.

use rust_decimal::Decimal;

use crate::facts::{Facts, MemberFacts, Tally};

/// One property value, before it becomes a rhai `Dynamic` or a fast-path value.
#[derive(Debug)]
pub(crate) enum Field<'a> {
    /// Unknown (`()` in scripts).
    Unit,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(&'a str),
    Tally(Tally),
    /// The list of `#{ kind, value }` maps.
    Vehicles(&'a [(&'static str, Option<Decimal>)]),
    /// The members, in input order.
    Members,
}

fn dec(v: Option<Decimal>) -> Field<'static> {
    v.map_or(Field::Unit, Field::Dec)
}
fn flag(v: Option<bool>) -> Field<'static> {
    v.map_or(Field::Unit, Field::Bool)
}
fn int(v: Option<i64>) -> Field<'static> {
    v.map_or(Field::Unit, Field::Int)
}
fn text(v: Option<&str>) -> Field<'_> {
    v.map_or(Field::Unit, Field::Str)
}

/// A household property reader.
pub(crate) type HouseholdField = for<'a> fn(&'a Facts) -> Field<'a>;

/// Household properties by name, as scripts see them on `h`.
pub(crate) const HOUSEHOLD_FIELDS: [(&str, HouseholdField); 53] = [
    ("id", |h| Field::Str(&h.id)),
    ("year", |h| Field::Int(i64::from(h.year))),
    ("region_code", |h| text(h.region_code.as_deref())),
    ("western", |h| flag(h.western)),
    ("size", |h| Field::Int(h.size)),
    ("pci", |h| dec(h.pci)),
    ("net_income", |h| dec(h.income.map(|i| i.net))),
    ("wage", |h| dec(h.income.map(|i| i.wage))),
    ("business", |h| dec(h.income.map(|i| i.business))),
    ("business_cost", |h| dec(h.income.map(|i| i.business_cost))),
    ("property", |h| dec(h.income.map(|i| i.property))),
    ("transfer", |h| dec(h.income.map(|i| i.transfer))),
    ("rigid_expenses", |h| dec(h.expenses.map(|e| e.total))),
    ("medical_expenses", |h| dec(h.expenses.map(|e| e.medical))),
    ("education_expenses", |h| dec(h.expenses.map(|e| e.education))),
    ("other_rigid_expenses", |h| dec(h.expenses.map(|e| e.other))),
    ("after_rigid_pc", |h| dec(h.after_rigid_pc)),
    ("prior_pci", |h| dec(h.prior_pci)),
    ("food_secure", |h| flag(h.food_secure)),
    ("clothing_secure", |h| flag(h.clothing_secure)),
    ("housing_grade", |h| text(h.housing_grade)),
    ("relocated", |h| flag(h.relocated)),
    ("water_reported", |h| Field::Bool(h.water_reported)),
    ("water_liters", |h| dec(h.water_liters)),
    ("water_quality_ok", |h| flag(h.water_quality_ok)),
    ("water_fetch_minutes", |h| dec(h.water_fetch_minutes)),
    ("water_assurance_pct", |h| dec(h.water_assurance_pct)),
    ("urban_housing", |h| flag(h.urban_housing)),
    ("vehicles", |h| h.vehicles.as_deref().map_or(Field::Unit, Field::Vehicles)),
    ("business_capital", |h| dec(h.business_capital)),
    ("registered_poor", |h| flag(h.registered_poor)),
    ("exit_year", |h| int(h.exit_year)),
    ("poor_category", |h| text(h.poor_category)),
    ("monitoring", |h| text(h.monitoring)),
    ("public_employee", |h| Field::Tally(h.public_employee)),
    ("village_cadre", |h| Field::Tally(h.village_cadre)),
    ("insured", |h| Field::Tally(h.insured)),
    ("family_doctor", |h| Field::Tally(h.family_doctor)),
    ("school_age", |h| Field::Int(h.school_age)),
    ("school_age_out", |h| Field::Int(h.school_age_out)),
    ("school_age_exempt", |h| Field::Int(h.school_age_exempt)),
    ("school_age_unknown", |h| Field::Int(h.school_age_unknown)),
    ("age_unknown", |h| Field::Int(h.age_unknown)),
    ("students", |h| Field::Int(h.students)),
    ("serious_ill", |h| Field::Int(h.serious_ill)),
    ("chronic_ill", |h| Field::Int(h.chronic_ill)),
    ("disabled", |h| Field::Int(h.disabled)),
    ("health_unknown", |h| Field::Int(h.health_unknown)),
    ("labor_able", |h| Field::Int(h.labor_able)),
    ("skilled", |h| Field::Int(h.skilled)),
    ("labor_unknown", |h| Field::Int(h.labor_unknown)),
    ("migrants", |h| Field::Int(h.migrants)),
    ("members", |_| Field::Members),
];

/// A member property reader.
pub(crate) type MemberField = fn(&MemberFacts) -> Field<'static>;

/// Member properties by name, as scripts see them on `h.members[i]`.
pub(crate) const MEMBER_FIELDS: [(&str, MemberField); 10] = [
    ("relation", |m| Field::Str(m.relation)),
    ("age", |m| int(m.age)),
    ("labor_ability", |m| text(m.labor_ability)),
    ("health", |m| text(m.health)),
    ("disability_grade", |m| int(m.disability_grade)),
    ("school_stage", |m| text(m.school_stage)),
    ("enrolled", |m| flag(m.enrolled)),
    ("exemption", |m| text(m.exemption)),
    ("medical_insurance", |m| flag(m.medical_insurance)),
    ("migrant_months", |m| int(m.migrant_months)),
];

/// A tally property reader.
pub(crate) type TallyField = fn(&Tally) -> i64;

/// Tally properties (`h.insured.no`).
pub(crate) const TALLY_FIELDS: [(&str, TallyField); 3] =
    [("yes", |t| t.yes), ("no", |t| t.no), ("unknown", |t| t.unknown)];
