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

/// A household property read as its own type, for comparisons made without a [`Field`]:
/// `None` is `()`. Each is the same expression as the property's [`FieldDef::read`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Typed {
    Dec(fn(&Facts) -> Option<Decimal>),
    Int(fn(&Facts) -> Option<i64>),
    Bool(fn(&Facts) -> Option<bool>),
    /// Text, tallies and lists: read through [`FieldDef::read`] alone.
    Other,
}

/// One household property: its name, its reader, the kinds it can have and its typed reader.
#[derive(Debug)]
pub(crate) struct FieldDef {
    pub name: &'static str,
    pub read: for<'a> fn(&'a Facts) -> Field<'a>,
    pub kinds: Kinds,
    pub typed: Typed,
}

impl FieldDef {
    /// The property's value for `facts`.
    pub(crate) fn get<'a>(&self, facts: &'a Facts) -> Field<'a> {
        (self.read)(facts)
    }
}

/// A household property, as lowered code refers to it.
pub(crate) type HouseholdField = &'static FieldDef;

// Each property is written once; the macros make its reader and its typed reader from the
// same expression.
macro_rules! dec_field {
    ($name:literal, |$h:ident| $e:expr) => {
        &FieldDef { name: $name, read: |$h| dec($e), kinds: Kinds::OPT_DEC, typed: Typed::Dec(|$h| $e) }
    };
}
macro_rules! opt_int_field {
    ($name:literal, |$h:ident| $e:expr) => {
        &FieldDef { name: $name, read: |$h| int($e), kinds: Kinds::OPT_INT, typed: Typed::Int(|$h| $e) }
    };
}
macro_rules! int_field {
    ($name:literal, |$h:ident| $e:expr) => {
        &FieldDef { name: $name, read: |$h| Field::Int($e), kinds: Kinds::INT, typed: Typed::Int(|$h| Some($e)) }
    };
}
macro_rules! opt_bool_field {
    ($name:literal, |$h:ident| $e:expr) => {
        &FieldDef { name: $name, read: |$h| flag($e), kinds: Kinds::OPT_BOOL, typed: Typed::Bool(|$h| $e) }
    };
}
macro_rules! bool_field {
    ($name:literal, |$h:ident| $e:expr) => {
        &FieldDef { name: $name, read: |$h| Field::Bool($e), kinds: Kinds::BOOL, typed: Typed::Bool(|$h| Some($e)) }
    };
}
macro_rules! other_field {
    ($name:literal, |$h:tt| $e:expr, $kinds:expr) => {
        &FieldDef { name: $name, read: |$h| $e, kinds: $kinds, typed: Typed::Other }
    };
}

/// Household properties, as scripts see them on `h`, with the kinds each can have.
pub(crate) const HOUSEHOLD_FIELDS: [HouseholdField; 53] = [
    other_field!("id", |h| Field::Str(&h.id), Kinds::TEXT),
    int_field!("year", |h| i64::from(h.year)),
    other_field!("region_code", |h| text(h.region_code.as_deref()), Kinds::OPT_STR),
    opt_bool_field!("western", |h| h.western),
    int_field!("size", |h| h.size),
    dec_field!("pci", |h| h.pci),
    dec_field!("net_income", |h| h.income.map(|i| i.net)),
    dec_field!("wage", |h| h.income.map(|i| i.wage)),
    dec_field!("business", |h| h.income.map(|i| i.business)),
    dec_field!("business_cost", |h| h.income.map(|i| i.business_cost)),
    dec_field!("property", |h| h.income.map(|i| i.property)),
    dec_field!("transfer", |h| h.income.map(|i| i.transfer)),
    dec_field!("rigid_expenses", |h| h.expenses.map(|e| e.total)),
    dec_field!("medical_expenses", |h| h.expenses.map(|e| e.medical)),
    dec_field!("education_expenses", |h| h.expenses.map(|e| e.education)),
    dec_field!("other_rigid_expenses", |h| h.expenses.map(|e| e.other)),
    dec_field!("after_rigid_pc", |h| h.after_rigid_pc),
    dec_field!("prior_pci", |h| h.prior_pci),
    opt_bool_field!("food_secure", |h| h.food_secure),
    opt_bool_field!("clothing_secure", |h| h.clothing_secure),
    other_field!("housing_grade", |h| text(h.housing_grade), Kinds::OPT_STR),
    opt_bool_field!("relocated", |h| h.relocated),
    bool_field!("water_reported", |h| h.water_reported),
    dec_field!("water_liters", |h| h.water_liters),
    opt_bool_field!("water_quality_ok", |h| h.water_quality_ok),
    dec_field!("water_fetch_minutes", |h| h.water_fetch_minutes),
    dec_field!("water_assurance_pct", |h| h.water_assurance_pct),
    opt_bool_field!("urban_housing", |h| h.urban_housing),
    other_field!("vehicles", |h| h.vehicles.as_deref().map_or(Field::Unit, Field::Vehicles), Kinds::OPT_ARRAY),
    dec_field!("business_capital", |h| h.business_capital),
    opt_bool_field!("registered_poor", |h| h.registered_poor),
    opt_int_field!("exit_year", |h| h.exit_year),
    other_field!("poor_category", |h| text(h.poor_category), Kinds::OPT_STR),
    other_field!("monitoring", |h| text(h.monitoring), Kinds::OPT_STR),
    other_field!("public_employee", |h| Field::Tally(h.public_employee), Kinds::TALLY),
    other_field!("village_cadre", |h| Field::Tally(h.village_cadre), Kinds::TALLY),
    other_field!("insured", |h| Field::Tally(h.insured), Kinds::TALLY),
    other_field!("family_doctor", |h| Field::Tally(h.family_doctor), Kinds::TALLY),
    int_field!("school_age", |h| h.school_age),
    int_field!("school_age_out", |h| h.school_age_out),
    int_field!("school_age_exempt", |h| h.school_age_exempt),
    int_field!("school_age_unknown", |h| h.school_age_unknown),
    int_field!("age_unknown", |h| h.age_unknown),
    int_field!("students", |h| h.students),
    int_field!("serious_ill", |h| h.serious_ill),
    int_field!("chronic_ill", |h| h.chronic_ill),
    int_field!("disabled", |h| h.disabled),
    int_field!("health_unknown", |h| h.health_unknown),
    int_field!("labor_able", |h| h.labor_able),
    int_field!("skilled", |h| h.skilled),
    int_field!("labor_unknown", |h| h.labor_unknown),
    int_field!("migrants", |h| h.migrants),
    other_field!("members", |_| Field::Members, Kinds::ARRAY),
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
            for field in HOUSEHOLD_FIELDS {
                let (name, kinds) = (field.name, field.kinds);
                let got = Kinds::of_field(&field.get(&facts));
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
