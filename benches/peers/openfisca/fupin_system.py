"""The default national fupin rules as an OpenFisca tax-benefit system (vectorised variables).

One entity, `household` (a person entity: one row per household). Input variables are the
per-household facts that fupin derives (`benches/peers_native.rs` writes them to facts.csv);
money is in integer fen held in float64 (exact below 2**53). Every rule is a variable whose
value is a result code: 0 = pass, 1 = fail, 2 = unknown. The outcome variables mirror the
scripts' `decide` functions. Parameters are an OpenFisca parameter tree, dated, read from the
params.json that fupin resolved for the population.

Rules modelled (26 + decides): identify.income and the five identify.exclusion.* rules and
identify's outcome; all seven exit rules and exit's outcome; all thirteen monitor.* risks,
monitor's outcome, category and level. Not modelled: identify's causes and score, monitor's
measures (they are checked on the floor row only).
"""

from fractions import Fraction

import numpy as np
from openfisca_core import periods
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

P, F, U = 0, 1, 2
RESULT_NAMES = ("pass", "fail", "unknown")

Household = build_entity(key="household", plural="households", label="户", is_person=True)

# Fact columns (facts.csv) and their OpenFisca value types. Money columns are float (fen).
MONEY = {
    "pci", "net", "business", "business_cost", "prior_pci", "after_rigid_pc", "exp_medical", "exp_education",
    "exp_total", "veh_kind_max_value", "business_capital",
}
DECIMAL = {"water_liters", "water_fetch", "water_assurance"}

IDENTIFY_RULES = [
    "identify.income", "identify.exclusion.public_employee", "identify.exclusion.village_cadre",
    "identify.exclusion.urban_housing", "identify.exclusion.vehicle", "identify.exclusion.business",
]
EXIT_RULES = ["exit.income", "exit.food", "exit.clothing", "exit.education", "exit.medical", "exit.housing", "exit.water"]
RISKS = [
    "illness", "disability", "schooling", "disaster", "epidemic", "income_drop", "expense_spike",
    "industry_unsustainable", "labor_loss", "accident", "employment_unstable", "housing", "water",
]
MONITOR_RULES = [f"monitor.{r}" for r in RISKS]
ALL_RULES = IDENTIFY_RULES + EXIT_RULES + MONITOR_RULES
# Standing conditions, not shocks (monitor.rhai): they do not make a household sudden_hardship.
STANDING = {"labor_loss", "housing", "water"}

IDENTIFY_OUTCOMES = ("eligible", "ineligible", "needs_review")
EXIT_OUTCOMES = ("meets_standard", "not_met", "needs_review")
MONITOR_OUTCOMES = ("assessed", "needs_review")
CATEGORIES = ("none", "unstable", "marginal", "sudden_hardship")
LEVELS = ("none", "low", "medium", "high")


def var_name(rule_id):
    return "r_" + rule_id.replace(".", "_")


def _variable(name, value_type, formula=None, default=0):
    attrs = {
        "value_type": value_type,
        "entity": Household,
        "definition_period": periods.DateUnit.YEAR,
        "label": name,
        "default_value": value_type(default),
    }
    if formula is not None:
        attrs["formula"] = formula
    return type(name, (Variable,), attrs)


def _round_fen_ratio(amount, keep: Fraction):
    """round_fen(amount * keep) on fen amounts, half away from zero, exactly (integers in float64)."""
    num, den = keep.numerator, keep.denominator
    q = amount * num
    return np.sign(q) * np.floor((np.abs(q) * 2 + den) / (2 * den))


def _select(conds, choices, default):
    return np.select(conds, choices, default=default).astype(np.int8)


def _water(h, period, p):
    liters_known = h("water_liters_known", period) == 1
    fetch_known = h("water_fetch_known", period) == 1
    assurance_known = h("water_assurance_known", period) == 1
    quality = h("water_quality", period)
    failed = (
        (liters_known & (h("water_liters", period) < p.water_min_liters))
        | (quality == 0)
        | (fetch_known & (h("water_fetch", period) > p.water_max_fetch_minutes))
        | (assurance_known & (h("water_assurance", period) < p.water_min_assurance_pct))
    )
    missing = (~liters_known) | (quality == -1) | (~fetch_known) | (~assurance_known)
    return failed, missing


def _formulas():
    """Rule and decide formulas: {variable name: (value_type, formula)}."""
    f = {}

    def rule(rule_id):
        def deco(fn):
            f[var_name(rule_id)] = (int, fn)
            return fn
        return deco

    def tri_attested(col):
        def formula(h, period, parameters):
            v = h(col, period)
            return _select([v == 1, v == 0], [P, F], U)
        return formula

    def tri_exclusion(col):
        def formula(h, period, parameters):
            v = h(col, period)
            return _select([v == 1, v == 0], [F, P], U)
        return formula

    def member_exclusion(prefix):
        def formula(h, period, parameters):
            return _select([h(prefix + "_yes", period) > 0, h(prefix + "_unknown", period) > 0], [F, U], P)
        return formula

    def event_risk(col):
        def formula(h, period, parameters):
            return np.where(h(col, period) > 0, F, P).astype(np.int8)
        return formula

    # ---- identify ----------------------------------------------------------------------
    @rule("identify.income")
    def _(h, period, parameters):
        p = parameters(period)
        known = h("pci_known", period) == 1
        return _select([~known, h("pci", period) < p.poverty_line], [U, P], F)

    f[var_name("identify.exclusion.public_employee")] = (int, member_exclusion("pe"))
    f[var_name("identify.exclusion.village_cadre")] = (int, member_exclusion("vc"))
    f[var_name("identify.exclusion.urban_housing")] = (int, tri_exclusion("urban_housing"))

    @rule("identify.exclusion.vehicle")
    def _(h, period, parameters):
        thr = parameters(period).vehicle_value_threshold
        known = h("veh_known", period) == 1
        if thr == 0:
            excluded = h("veh_kind", period) > 0
            unclear = np.zeros_like(known)
        else:
            excluded = h("veh_kind_max_value", period) >= thr
            unclear = h("veh_kind_unvalued", period) > 0
        return _select([~known, excluded, unclear], [U, F, U], P)

    @rule("identify.exclusion.business")
    def _(h, period, parameters):
        known = h("business_known", period) == 1
        over = h("business_capital", period) > parameters(period).business_capital_threshold
        return _select([~known, over], [U, F], P)

    def identify_outcome(h, period, parameters):
        excluded = np.zeros(h.count, dtype=bool)
        for r in IDENTIFY_RULES[1:]:
            excluded |= h(var_name(r), period) == F
        income = h(var_name("identify.income"), period)
        return _select([excluded | (income == F), income == U], [1, 2], 0)

    f["identify_outcome"] = (int, identify_outcome)

    # ---- exit --------------------------------------------------------------------------
    @rule("exit.income")
    def _(h, period, parameters):
        known = h("pci_known", period) == 1
        return _select([~known, h("pci", period) > parameters(period).poverty_line], [U, P], F)

    f[var_name("exit.food")] = (int, tri_attested("food"))
    f[var_name("exit.clothing")] = (int, tri_attested("clothing"))

    @rule("exit.education")
    def _(h, period, parameters):
        out = h("school_age_out", period) > 0
        unknown = (h("school_age_unknown", period) > 0) | (h("age_unknown", period) > 0)
        return _select([out, unknown], [F, U], P)

    @rule("exit.medical")
    def _(h, period, parameters):
        doctor = bool(parameters(period).require_family_doctor)
        fail = h("insured_no", period) > 0
        unknown = h("insured_unknown", period) > 0
        if doctor:
            fail = fail | (h("fd_no", period) > 0)
            unknown = unknown | (h("fd_unknown", period) > 0)
        return _select([fail, unknown], [F, U], P)

    def housing(h, period):
        relocated = h("relocated", period)
        grade = h("grade", period)
        safe = (relocated == 1) | (grade == 1) | (grade == 2)
        unsafe = ((grade == 3) | (grade == 4)) & (relocated == 0)
        return safe, unsafe

    @rule("exit.housing")
    def _(h, period, parameters):
        safe, unsafe = housing(h, period)
        return _select([safe, unsafe], [P, F], U)

    @rule("exit.water")
    def _(h, period, parameters):
        failed, missing = _water(h, period, parameters(period))
        return _select([failed, missing], [F, U], P)

    def exit_outcome(h, period, parameters):
        results = np.stack([h(var_name(r), period) for r in EXIT_RULES])
        return _select([(results == F).any(axis=0), (results == U).any(axis=0)], [1, 2], 0)

    f["exit_outcome"] = (int, exit_outcome)

    # ---- monitor -----------------------------------------------------------------------
    @rule("monitor.illness")
    def _(h, period, parameters):
        p = parameters(period)
        shock = (h("serious_ill", period) > 0) | (h("ev_illness", period) > 0)
        exp_known = h("exp_known", period) == 1
        return _select(
            [shock, ~exp_known, h("exp_medical", period) > p.medical_oop_threshold, h("health_unknown", period) > 0],
            [F, U, F, U],
            P,
        )

    f[var_name("monitor.disability")] = (int, event_risk("ev_disability"))

    @rule("monitor.schooling")
    def _(h, period, parameters):
        exp_known = h("exp_known", period) == 1
        over = h("exp_education", period) > parameters(period).education_expense_threshold
        return _select([~exp_known, over], [U, F], P)

    f[var_name("monitor.disaster")] = (int, event_risk("ev_disaster"))
    f[var_name("monitor.epidemic")] = (int, event_risk("ev_epidemic"))

    @rule("monitor.income_drop")
    def _(h, period, parameters):
        p = parameters(period)
        keep = 1 - Fraction(int(p.income_drop_share_num), int(p.income_drop_share_den))
        event = (h("ev_income_drop", period) + h("ev_job_loss", period)) > 0
        known = (h("pci_known", period) == 1) & (h("prior_known", period) == 1)
        limit = _round_fen_ratio(h("prior_pci", period), keep)
        return _select([event, ~known, h("pci", period) < limit], [F, U, F], P)

    @rule("monitor.expense_spike")
    def _(h, period, parameters):
        p = parameters(period)
        share = Fraction(int(p.expense_spike_share_num), int(p.expense_spike_share_den))
        event = h("ev_expense_spike", period) > 0
        known = (h("exp_known", period) == 1) & (h("income_known", period) == 1)
        rigid = h("exp_total", period)
        limit = _round_fen_ratio(h("net", period), share)
        return _select([event, ~known, (rigid > 0) & (rigid > limit)], [F, U, F], P)

    @rule("monitor.industry_unsustainable")
    def _(h, period, parameters):
        event = h("ev_industry_failure", period) > 0
        known = h("income_known", period) == 1
        loss = h("business_cost", period) > h("business", period)
        return _select([event, ~known, loss], [F, U, F], P)

    @rule("monitor.labor_loss")
    def _(h, period, parameters):
        return _select([h("labor_able", period) > 0, h("labor_unknown", period) > 0], [P, U], F)

    f[var_name("monitor.accident")] = (int, event_risk("ev_accident"))
    f[var_name("monitor.employment_unstable")] = (int, event_risk("ev_job_loss"))

    @rule("monitor.housing")
    def _(h, period, parameters):
        safe, unsafe = housing(h, period)
        return _select([safe, unsafe], [P, F], U)

    @rule("monitor.water")
    def _(h, period, parameters):
        failed, missing = _water(h, period, parameters(period))
        cut = h("ev_water_cut", period) > 0
        return _select([cut | failed, missing], [F, U], P)

    def risk_count(h, period, parameters):
        return sum((h(var_name(r), period) == F).astype(np.int8) for r in MONITOR_RULES).astype(np.int8)

    f["risk_count"] = (int, risk_count)

    def shock_count(h, period, parameters):
        return sum(
            (h(var_name("monitor." + r), period) == F).astype(np.int8) for r in RISKS if r not in STANDING
        ).astype(np.int8)

    f["shock_count"] = (int, shock_count)

    def low_income(h, period, parameters):
        return (h("pci_known", period) == 1) & (h("pci", period) < parameters(period).monitoring_line)

    f["low_income"] = (bool, low_income)

    def monitor_category(h, period, parameters):
        p = parameters(period)
        n = h("risk_count", period)
        low = h("low_income", period)
        exited = h("exited", period) == 1
        in_range = (low & (n > 0)) if p.monitor_requires_risk else low
        unstable = exited & (in_range if p.monitor_requires_risk else (low | (n > 0)))
        after_low = (h("after_known", period) == 1) & (h("after_rigid_pc", period) < p.monitoring_line)
        sudden = (h("shock_count", period) > 0) & after_low
        return _select([unstable, ~exited & in_range, sudden], [1, 2, 3], 0)

    f["monitor_category"] = (int, monitor_category)

    def monitor_level(h, period, parameters):
        p = parameters(period)
        n = h("risk_count", period)
        low = h("low_income", period)
        pci_known = h("pci_known", period) == 1
        after_known = h("after_known", period) == 1
        after = np.where(after_known, h("after_rigid_pc", period), h("pci", period))
        after_below = (after_known | pci_known) & (after < p.poverty_line)
        band = pci_known & (h("pci", period) < p.monitoring_line * p.warning_band_factor)
        return _select([after_below | (n >= 3), low | (n == 2), (n == 1) | band], [3, 2, 1], 0)

    f["monitor_level"] = (int, monitor_level)

    def monitor_outcome(h, period, parameters):
        return np.where(h("pci_known", period) == 1, 0, 1).astype(np.int8)

    f["monitor_outcome"] = (int, monitor_outcome)
    return f


OUTPUTS = [var_name(r) for r in ALL_RULES] + [
    "identify_outcome", "exit_outcome", "monitor_outcome", "monitor_category", "monitor_level",
]


def build_system(fact_columns, params, year):
    """The TaxBenefitSystem for these fact columns and parameters (params.json)."""
    tbs = TaxBenefitSystem([Household])
    for col in fact_columns:
        vt = float if (col in MONEY or col in DECIMAL) else int
        tbs.add_variable(_variable(col, vt))
    for name, (vt, formula) in _formulas().items():
        tbs.add_variable(_variable(name, vt, formula))
    start = f"{min(int(year), 2010)}-01-01"

    def dated(v):
        return {"values": {start: {"value": v}}}

    data = {}
    for k, v in params.items():
        if k == "money_unit":
            continue
        if isinstance(v, bool):
            data[k] = dated(v)
        elif isinstance(v, str):
            data[k] = dated(float(v))
            exact = Fraction(v)  # exact decimal, for the fen-rounded shares
            data[k + "_num"] = dated(exact.numerator)
            data[k + "_den"] = dated(exact.denominator)
        else:
            data[k] = dated(float(v))
    tbs.parameters = ParameterNode("", data=data)
    return tbs
