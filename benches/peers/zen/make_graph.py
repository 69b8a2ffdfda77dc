"""Writes fupin.json: the default national fupin rules as a GoRules JDM decision graph.

    python benches/peers/zen/make_graph.py benches/peers/zen/fupin.json

The graph (input → params → housing table → rules → four decision tables → output):
- `params` (expression node): the national parameters in force for 2024 (poverty line,
  monitoring line, thresholds; money in fen). peers.py checks them against the params.json
  that fupin resolved for the population and stops if they differ.
- `housing` (decision table, first hit): 住房安全 — relocated ⇒ pass; grade A/B ⇒ pass;
  grade C/D and not relocated ⇒ fail; otherwise unknown. Used by exit.housing and
  monitor.housing.
- `rules` (expression node): every other rule (result 'p' / 'f' / 'u' under `r.*`) and the
  intermediate facts the tables read (`x.*`).
- `identify`, `exit`, `category`, `level` (decision tables, first hit): the scripts' decide().

Input: one household's derived facts, as written by benches/peers_native.rs (facts.csv).
"""

import json
import sys

# Parameters (fen for money), as rules/params/national.toml resolves them for 2024.
PARAMS = {
    "poverty_line": 400000,
    "monitoring_line": 600000,
    "warning_band_factor": "1.5",
    "monitor_requires_risk": False,
    "require_family_doctor": False,
    "water_min_liters": "35",
    "water_max_fetch_minutes": "20",
    "water_min_assurance_pct": "90",
    "vehicle_value_threshold": 0,
    "business_capital_threshold": 10000000,
    "medical_oop_threshold": 1000000,
    "education_expense_threshold": 1000000,
    "income_drop_share": "0.3",
    "expense_spike_share": "0.5",
}


def lit(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def tri(col, yes, no):
    return f"{col} == 1 ? '{yes}' : ({col} == 0 ? '{no}' : 'u')"


def event(col):
    return f"{col} > 0 ? 'f' : 'p'"


def round_half_away(expr):
    return f"({expr}) >= 0 ? floor(({expr}) + 0.5) : -floor(-({expr}) + 0.5)"


EXIT = ["exit_income", "exit_food", "exit_clothing", "exit_education", "exit_medical", "exit_housing", "exit_water"]
RISKS = [
    "illness", "disability", "schooling", "disaster", "epidemic", "income_drop", "expense_spike",
    "industry_unsustainable", "labor_loss", "accident", "employment_unstable", "housing", "water",
]
STANDING = {"labor_loss", "housing", "water"}


def rule_expressions():
    e = []

    def put(key, value):
        e.append({"id": f"e{len(e)}", "key": key, "value": value})

    # helpers
    put("w.failed", "(water_liters_known == 1 and water_liters < p.water_min_liters) or water_quality == 0"
        " or (water_fetch_known == 1 and water_fetch > p.water_max_fetch_minutes)"
        " or (water_assurance_known == 1 and water_assurance < p.water_min_assurance_pct)")
    put("w.missing", "water_liters_known == 0 or water_quality == -1 or water_fetch_known == 0 or water_assurance_known == 0")
    put("lim.income_drop", round_half_away("prior_pci * (1 - p.income_drop_share)"))
    put("lim.expense_spike", round_half_away("net * p.expense_spike_share"))
    # identify
    put("r.identify_income", "pci_known == 0 ? 'u' : (pci < p.poverty_line ? 'p' : 'f')")
    put("r.identify_exclusion_public_employee", "pe_yes > 0 ? 'f' : (pe_unknown > 0 ? 'u' : 'p')")
    put("r.identify_exclusion_village_cadre", "vc_yes > 0 ? 'f' : (vc_unknown > 0 ? 'u' : 'p')")
    put("r.identify_exclusion_urban_housing", tri("urban_housing", "f", "p"))
    put("r.identify_exclusion_vehicle",
        "veh_known == 0 ? 'u' : ((p.vehicle_value_threshold == 0 ? veh_kind > 0 : veh_kind_max_value >= p.vehicle_value_threshold)"
        " ? 'f' : ((p.vehicle_value_threshold != 0 and veh_kind_unvalued > 0) ? 'u' : 'p'))")
    put("r.identify_exclusion_business",
        "business_known == 0 ? 'u' : (business_capital > p.business_capital_threshold ? 'f' : 'p')")
    # exit
    put("r.exit_income", "pci_known == 0 ? 'u' : (pci > p.poverty_line ? 'p' : 'f')")
    put("r.exit_food", tri("food", "p", "f"))
    put("r.exit_clothing", tri("clothing", "p", "f"))
    put("r.exit_education", "school_age_out > 0 ? 'f' : ((school_age_unknown > 0 or age_unknown > 0) ? 'u' : 'p')")
    put("r.exit_medical",
        "(insured_no > 0 or (p.require_family_doctor and fd_no > 0)) ? 'f'"
        " : ((insured_unknown > 0 or (p.require_family_doctor and fd_unknown > 0)) ? 'u' : 'p')")
    put("r.exit_housing", "housing_result")
    put("r.exit_water", "$.w.failed ? 'f' : ($.w.missing ? 'u' : 'p')")
    # monitor
    put("r.monitor_illness",
        "(serious_ill > 0 or ev_illness > 0) ? 'f' : (exp_known == 0 ? 'u'"
        " : (exp_medical > p.medical_oop_threshold ? 'f' : (health_unknown > 0 ? 'u' : 'p')))")
    put("r.monitor_disability", event("ev_disability"))
    put("r.monitor_schooling", "exp_known == 0 ? 'u' : (exp_education > p.education_expense_threshold ? 'f' : 'p')")
    put("r.monitor_disaster", event("ev_disaster"))
    put("r.monitor_epidemic", event("ev_epidemic"))
    put("r.monitor_income_drop",
        "(ev_income_drop + ev_job_loss) > 0 ? 'f' : ((pci_known == 0 or prior_known == 0) ? 'u'"
        " : (pci < $.lim.income_drop ? 'f' : 'p'))")
    put("r.monitor_expense_spike",
        "ev_expense_spike > 0 ? 'f' : ((exp_known == 0 or income_known == 0) ? 'u'"
        " : ((exp_total > 0 and exp_total > $.lim.expense_spike) ? 'f' : 'p'))")
    put("r.monitor_industry_unsustainable",
        "ev_industry_failure > 0 ? 'f' : (income_known == 0 ? 'u' : (business_cost > business ? 'f' : 'p'))")
    put("r.monitor_labor_loss", "labor_able > 0 ? 'p' : (labor_unknown > 0 ? 'u' : 'f')")
    put("r.monitor_accident", event("ev_accident"))
    put("r.monitor_employment_unstable", event("ev_job_loss"))
    put("r.monitor_housing", "housing_result")
    put("r.monitor_water", "ev_water_cut > 0 ? 'f' : ($.w.failed ? 'f' : ($.w.missing ? 'u' : 'p'))")
    # what the decide tables read
    put("x.excluded",
        "$.r.identify_exclusion_public_employee == 'f' or $.r.identify_exclusion_village_cadre == 'f'"
        " or $.r.identify_exclusion_urban_housing == 'f' or $.r.identify_exclusion_vehicle == 'f'"
        " or $.r.identify_exclusion_business == 'f'")
    exits = ", ".join(f"$.r.{k}" for k in EXIT)
    put("x.exit_fail", f"some([{exits}], # == 'f')")
    put("x.exit_unknown", f"some([{exits}], # == 'u')")
    risks = ", ".join(f"$.r.monitor_{k}" for k in RISKS)
    shocks = ", ".join(f"$.r.monitor_{k}" for k in RISKS if k not in STANDING)
    put("x.n", f"count([{risks}], # == 'f')")
    put("x.shocks", f"count([{shocks}], # == 'f')")
    put("x.low", "pci_known == 1 and pci < p.monitoring_line")
    put("x.exited", "exited == 1")
    put("x.in_range", "p.monitor_requires_risk ? ($.x.low and $.x.n > 0) : $.x.low")
    put("x.unstable_cond", "p.monitor_requires_risk ? $.x.in_range : ($.x.low or $.x.n > 0)")
    put("x.after_low", "after_known == 1 and after_rigid_pc < p.monitoring_line")
    put("x.after_below",
        "(after_known == 1 and after_rigid_pc < p.poverty_line) or (after_known == 0 and pci_known == 1 and pci < p.poverty_line)")
    put("x.band", "pci_known == 1 and pci < p.monitoring_line * p.warning_band_factor")
    put("monitor", "pci_known == 1 ? 'assessed' : 'needs_review'")
    return e


def table(node_id, name, inputs, output_field, rows):
    """A first-hit decision table: inputs [(id, field)], rows [([cells], output expression)]."""
    return {
        "id": node_id,
        "type": "decisionTableNode",
        "name": name,
        "position": {"x": 0, "y": 0},
        "content": {
            "hitPolicy": "first",
            "inputs": [{"id": i, "name": f, "field": f} for i, f in inputs],
            "outputs": [{"id": "out", "name": output_field, "field": output_field}],
            "rules": [
                {"_id": f"{node_id}{n}", **{i: c for (i, _), c in zip(inputs, cells)}, "out": out}
                for n, (cells, out) in enumerate(rows)
            ],
            "passThrough": True,
            "inputField": None,
            "outputPath": None,
            "executionMode": "single",
        },
    }


def expression(node_id, name, exprs):
    return {
        "id": node_id,
        "type": "expressionNode",
        "name": name,
        "position": {"x": 0, "y": 0},
        "content": {"expressions": exprs, "passThrough": True, "inputField": None, "outputPath": None,
                    "executionMode": "single"},
    }


def graph():
    params = [{"id": f"p{i}", "key": f"p.{k}", "value": lit(v)} for i, (k, v) in enumerate(PARAMS.items())]
    nodes = [
        {"id": "in", "type": "inputNode", "name": "household facts", "position": {"x": 0, "y": 0}},
        expression("params", "params (national, 2024; money in fen)", params),
        table("housing", "住房安全 housing", [("rel", "relocated"), ("grade", "grade")], "housing_result", [
            (["1", ""], "'p'"),
            (["", "1, 2"], "'p'"),
            (["0", "3, 4"], "'f'"),
            (["", ""], "'u'"),
        ]),
        expression("rules", "rules (26 results)", rule_expressions()),
        table("identify", "identify.decide", [("exc", "x.excluded"), ("inc", "r.identify_income")], "identify", [
            (["true", ""], "'ineligible'"),
            (["", "'f'"], "'ineligible'"),
            (["", "'u'"], "'needs_review'"),
            (["", ""], "'eligible'"),
        ]),
        table("exit", "exit.decide", [("f", "x.exit_fail"), ("u", "x.exit_unknown")], "exit", [
            (["true", ""], "'not_met'"),
            (["", "true"], "'needs_review'"),
            (["", ""], "'meets_standard'"),
        ]),
        table("category", "monitor category",
              [("ex", "x.exited"), ("uc", "x.unstable_cond"), ("ir", "x.in_range"), ("sh", "x.shocks"), ("al", "x.after_low")],
              "category", [
                  (["true", "true", "", "", ""], "'unstable'"),
                  (["false", "", "true", "", ""], "'marginal'"),
                  (["", "", "", "> 0", "true"], "'sudden_hardship'"),
                  (["", "", "", "", ""], "'none'"),
              ]),
        table("level", "monitor level",
              [("ab", "x.after_below"), ("n", "x.n"), ("low", "x.low"), ("band", "x.band")], "level", [
                  (["true", "", "", ""], "'high'"),
                  (["", ">= 3", "", ""], "'high'"),
                  (["", "", "true", ""], "'medium'"),
                  (["", "2", "", ""], "'medium'"),
                  (["", "1", "", ""], "'low'"),
                  (["", "", "", "true"], "'low'"),
                  (["", "", "", ""], "'none'"),
              ]),
        {"id": "out", "type": "outputNode", "name": "decision", "position": {"x": 0, "y": 0}},
    ]
    order = ["in", "params", "housing", "rules", "identify", "exit", "category", "level", "out"]
    edges = [{"id": f"edge{i}", "sourceId": a, "targetId": b, "type": "edge"} for i, (a, b) in enumerate(zip(order, order[1:]))]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "fupin.json"
    with open(out, "w", encoding="utf-8") as f:
        json.dump(graph(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {out}")
