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

/// The kinds of value an expression can have, as a set; the fast path's specialiser reads
/// them from the property tables below to decide what can be settled when rules load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Kinds(pub u16);

impl Kinds {
    pub const NONE: Kinds = Kinds(0);
    pub const UNIT: Kinds = Kinds(1);
    pub const BOOL: Kinds = Kinds(1 << 1);
    pub const INT: Kinds = Kinds(1 << 2);
    pub const DEC: Kinds = Kinds(1 << 3);
    /// A string of at most [`Kinds::SHORT_TEXT`] bytes.
    pub const STR: Kinds = Kinds(1 << 4);
    /// A string longer than [`Kinds::SHORT_TEXT`] bytes.
    pub const LONG_STR: Kinds = Kinds(1 << 5);
    /// A string of any length.
    pub const TEXT: Kinds = Kinds(Self::STR.0 | Self::LONG_STR.0);
    pub const ARRAY: Kinds = Kinds(1 << 6);
    pub const MAP: Kinds = Kinds(1 << 7);
    pub const TALLY: Kinds = Kinds(1 << 8);
    pub const MEMBER: Kinds = Kinds(1 << 9);
    /// A verdict, a verdict's result alone, a closure, the household or the parameters.
    pub const OTHER: Kinds = Kinds(1 << 10);
    pub const ALL: Kinds = Kinds((1 << 11) - 1);
    pub const OPT_BOOL: Kinds = Kinds(Self::UNIT.0 | Self::BOOL.0);
    pub const OPT_INT: Kinds = Kinds(Self::UNIT.0 | Self::INT.0);
    pub const OPT_DEC: Kinds = Kinds(Self::UNIT.0 | Self::DEC.0);
    pub const OPT_STR: Kinds = Kinds(Self::UNIT.0 | Self::STR.0);
    pub const OPT_ARRAY: Kinds = Kinds(Self::UNIT.0 | Self::ARRAY.0);
    /// Scalars whose text (`${…}`) is short: `()`, booleans, integers, decimals, short strings.
    pub const SCALAR: Kinds = Kinds(Self::UNIT.0 | Self::BOOL.0 | Self::INT.0 | Self::DEC.0 | Self::STR.0);
    /// The longest text of a short string.
    pub const SHORT_TEXT: usize = 64;

    /// Either kind.
    pub fn or(self, other: Kinds) -> Kinds {
        Kinds(self.0 | other.0)
    }

    /// Whether every kind of `self` is one of `other`.
    pub fn within(self, other: Kinds) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether `self` and `other` share a kind.
    pub fn meets(self, other: Kinds) -> bool {
        self.0 & other.0 != 0
    }

    /// The kinds of a property value as the tables below give it.
    #[cfg(test)]
    pub(crate) fn of_field(field: &Field<'_>) -> Kinds {
        match field {
            Field::Unit => Kinds::UNIT,
            Field::Bool(_) => Kinds::BOOL,
            Field::Int(_) => Kinds::INT,
            Field::Dec(_) => Kinds::DEC,
            Field::Str(s) if s.len() <= Kinds::SHORT_TEXT => Kinds::STR,
            Field::Str(_) => Kinds::LONG_STR,
            Field::Tally(_) => Kinds::TALLY,
            Field::Vehicles(_) | Field::Members => Kinds::ARRAY,
        }
    }
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

/// Household properties by name, as scripts see them on `h`, with the kinds each can have.
pub(crate) const HOUSEHOLD_FIELDS: [(&str, HouseholdField, Kinds); 53] = [
    ("id", |h| Field::Str(&h.id), Kinds::TEXT),
    ("year", |h| Field::Int(i64::from(h.year)), Kinds::INT),
    ("region_code", |h| text(h.region_code.as_deref()), Kinds::OPT_STR),
    ("western", |h| flag(h.western), Kinds::OPT_BOOL),
    ("size", |h| Field::Int(h.size), Kinds::INT),
    ("pci", |h| dec(h.pci), Kinds::OPT_DEC),
    ("net_income", |h| dec(h.income.map(|i| i.net)), Kinds::OPT_DEC),
    ("wage", |h| dec(h.income.map(|i| i.wage)), Kinds::OPT_DEC),
    ("business", |h| dec(h.income.map(|i| i.business)), Kinds::OPT_DEC),
    ("business_cost", |h| dec(h.income.map(|i| i.business_cost)), Kinds::OPT_DEC),
    ("property", |h| dec(h.income.map(|i| i.property)), Kinds::OPT_DEC),
    ("transfer", |h| dec(h.income.map(|i| i.transfer)), Kinds::OPT_DEC),
    ("rigid_expenses", |h| dec(h.expenses.map(|e| e.total)), Kinds::OPT_DEC),
    ("medical_expenses", |h| dec(h.expenses.map(|e| e.medical)), Kinds::OPT_DEC),
    ("education_expenses", |h| dec(h.expenses.map(|e| e.education)), Kinds::OPT_DEC),
    ("other_rigid_expenses", |h| dec(h.expenses.map(|e| e.other)), Kinds::OPT_DEC),
    ("after_rigid_pc", |h| dec(h.after_rigid_pc), Kinds::OPT_DEC),
    ("prior_pci", |h| dec(h.prior_pci), Kinds::OPT_DEC),
    ("food_secure", |h| flag(h.food_secure), Kinds::OPT_BOOL),
    ("clothing_secure", |h| flag(h.clothing_secure), Kinds::OPT_BOOL),
    ("housing_grade", |h| text(h.housing_grade), Kinds::OPT_STR),
    ("relocated", |h| flag(h.relocated), Kinds::OPT_BOOL),
    ("water_reported", |h| Field::Bool(h.water_reported), Kinds::BOOL),
    ("water_liters", |h| dec(h.water_liters), Kinds::OPT_DEC),
    ("water_quality_ok", |h| flag(h.water_quality_ok), Kinds::OPT_BOOL),
    ("water_fetch_minutes", |h| dec(h.water_fetch_minutes), Kinds::OPT_DEC),
    ("water_assurance_pct", |h| dec(h.water_assurance_pct), Kinds::OPT_DEC),
    ("urban_housing", |h| flag(h.urban_housing), Kinds::OPT_BOOL),
    ("vehicles", |h| h.vehicles.as_deref().map_or(Field::Unit, Field::Vehicles), Kinds::OPT_ARRAY),
    ("business_capital", |h| dec(h.business_capital), Kinds::OPT_DEC),
    ("registered_poor", |h| flag(h.registered_poor), Kinds::OPT_BOOL),
    ("exit_year", |h| int(h.exit_year), Kinds::OPT_INT),
    ("poor_category", |h| text(h.poor_category), Kinds::OPT_STR),
    ("monitoring", |h| text(h.monitoring), Kinds::OPT_STR),
    ("public_employee", |h| Field::Tally(h.public_employee), Kinds::TALLY),
    ("village_cadre", |h| Field::Tally(h.village_cadre), Kinds::TALLY),
    ("insured", |h| Field::Tally(h.insured), Kinds::TALLY),
    ("family_doctor", |h| Field::Tally(h.family_doctor), Kinds::TALLY),
    ("school_age", |h| Field::Int(h.school_age), Kinds::INT),
    ("school_age_out", |h| Field::Int(h.school_age_out), Kinds::INT),
    ("school_age_exempt", |h| Field::Int(h.school_age_exempt), Kinds::INT),
    ("school_age_unknown", |h| Field::Int(h.school_age_unknown), Kinds::INT),
    ("age_unknown", |h| Field::Int(h.age_unknown), Kinds::INT),
    ("students", |h| Field::Int(h.students), Kinds::INT),
    ("serious_ill", |h| Field::Int(h.serious_ill), Kinds::INT),
    ("chronic_ill", |h| Field::Int(h.chronic_ill), Kinds::INT),
    ("disabled", |h| Field::Int(h.disabled), Kinds::INT),
    ("health_unknown", |h| Field::Int(h.health_unknown), Kinds::INT),
    ("labor_able", |h| Field::Int(h.labor_able), Kinds::INT),
    ("skilled", |h| Field::Int(h.skilled), Kinds::INT),
    ("labor_unknown", |h| Field::Int(h.labor_unknown), Kinds::INT),
    ("migrants", |h| Field::Int(h.migrants), Kinds::INT),
    ("members", |_| Field::Members, Kinds::ARRAY),
];

/// A member property reader.
pub(crate) type MemberField = fn(&MemberFacts) -> Field<'static>;

/// Member properties by name, as scripts see them on `h.members[i]`, with their kinds.
pub(crate) const MEMBER_FIELDS: [(&str, MemberField, Kinds); 10] = [
    ("relation", |m| Field::Str(m.relation), Kinds::STR),
    ("age", |m| int(m.age), Kinds::OPT_INT),
    ("labor_ability", |m| text(m.labor_ability), Kinds::OPT_STR),
    ("health", |m| text(m.health), Kinds::OPT_STR),
    ("disability_grade", |m| int(m.disability_grade), Kinds::OPT_INT),
    ("school_stage", |m| text(m.school_stage), Kinds::OPT_STR),
    ("enrolled", |m| flag(m.enrolled), Kinds::OPT_BOOL),
    ("exemption", |m| text(m.exemption), Kinds::OPT_STR),
    ("medical_insurance", |m| flag(m.medical_insurance), Kinds::OPT_BOOL),
    ("migrant_months", |m| int(m.migrant_months), Kinds::OPT_INT),
];

/// A tally property reader.
pub(crate) type TallyField = fn(&Tally) -> i64;

/// Tally properties (`h.insured.no`).
pub(crate) const TALLY_FIELDS: [(&str, TallyField); 3] =
    [("yes", |t| t.yes), ("no", |t| t.no), ("unknown", |t| t.unknown)];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenOptions, Generator};

    /// The declared kinds hold for every property of a generated population.
    #[test]
    fn declared_kinds_hold() {
        let engine = crate::Engine::embedded().expect("embedded rules load");
        let rules = engine.ruleset();
        for h in Generator::new(GenOptions::default()).take(400) {
            let p = rules.params.resolve(h.year, h.region.code.as_deref());
            let facts = Facts::derive(&h, &p);
            for (name, read, kinds) in HOUSEHOLD_FIELDS {
                let got = Kinds::of_field(&read(&facts));
                assert!(got.within(kinds), "h.{name}: {got:?} is not within {kinds:?}");
            }
            for m in &facts.members {
                for (name, read, kinds) in MEMBER_FIELDS {
                    let got = Kinds::of_field(&read(m));
                    assert!(got.within(kinds), "member.{name}: {got:?} is not within {kinds:?}");
                }
            }
        }
    }
}
