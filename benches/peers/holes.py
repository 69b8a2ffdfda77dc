"""A harder copy of a generated population for the agreement check: unknown facts and a
regional parameter set.

    python benches/peers/holes.py IN.jsonl OUT.jsonl [--limit 5000] [--p 0.12] [--seed 1]
                                  [--region 530402001001]

The generator states almost every fact, so the unknown branches of most rules are never
taken on a generated population. This copy drops each optional fact (income, expenses, food,
clothing, housing grade / relocation, each water indicator, vehicles, urban housing, business
capital, prior-year income, and per member: age, insurance, family doctor, public employee,
village cadre, labour ability, health, schooling) with probability p, adds vehicles of
excluded and other kinds with and without a value, and moves every household to a region
with overrides (default 玉溪 530402…: monitoring line 8050, monitor_requires_risk = true,
vehicle value threshold 30000). Deterministic for a seed.
"""

import argparse
import json
import random

HOUSEHOLD_DROPS = [
    ("income",), ("expenses",), ("food_secure",), ("clothing_secure",), ("housing", "safety_grade"),
    ("housing", "relocated"), ("water", "liters_per_person_day"), ("water", "quality_ok"),
    ("water", "fetch_minutes_round_trip"), ("water", "supply_assurance_pct"), ("assets", "vehicles"),
    ("assets", "urban_commercial_housing"), ("assets", "business_registered_capital"),
    ("status", "prior_year_income_per_capita"), ("status", "exit_year"),
]
MEMBER_DROPS = ["age", "birth_date", "medical_insurance", "family_doctor", "public_employee", "village_cadre",
                "labor_ability", "health", "schooling"]
VEHICLES = [
    {"kind": "car", "value": "20000.00"}, {"kind": "car", "value": "50000.00"}, {"kind": "car"},
    {"kind": "truck", "value": "30000.00"}, {"kind": "motorcycle", "value": "8000.00"}, {"kind": "agricultural"},
]


def drop(obj, path):
    *parents, last = path
    for key in parents:
        obj = obj.get(key)
        if not isinstance(obj, dict):
            return
    obj.pop(last, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--limit", type=int, default=5000)
    ap.add_argument("--p", type=float, default=0.12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--region", default="530402001001")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    n = 0
    with open(a.src, encoding="utf-8") as src, open(a.dst, "w", encoding="utf-8") as dst:
        for line in src:
            if n >= a.limit:
                break
            if not line.strip():
                continue
            h = json.loads(line)
            if a.region:
                h["region"] = {"code": a.region}
            for path in HOUSEHOLD_DROPS:
                if rng.random() < a.p:
                    drop(h, path)
            for m in h.get("members", []):
                for key in MEMBER_DROPS:
                    if rng.random() < a.p / 2:
                        m.pop(key, None)
            assets = h.get("assets")
            if isinstance(assets, dict) and "vehicles" in assets and rng.random() < 0.3:
                assets["vehicles"] = assets["vehicles"] + rng.sample(VEHICLES, rng.randint(1, 2))
            dst.write(json.dumps(h, ensure_ascii=False) + "\n")
            n += 1
    print(f"holes: wrote {n} households to {a.dst}")


if __name__ == "__main__":
    main()
