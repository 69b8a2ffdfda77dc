"""Peer rows of the comparison: GoRules ZEN and OpenFisca on the population that
benches/peers_native.rs exported, checked household by household against fupin's outcomes,
then the whole table (native rows from native.json). Run by benches/peers/run.sh.

    python benches/peers/peers.py <out-dir> [--zen-sample K] [--passes P] [--zen-passes Q]
"""

import argparse
import csv
import gc
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "openfisca"))

import fupin_system as fs  # noqa: E402

LETTER = {"pass": "p", "fail": "f", "unknown": "u"}


def load(out_dir):
    with open(os.path.join(out_dir, "params.json")) as f:
        params = json.load(f)
    with open(os.path.join(out_dir, "native.json")) as f:
        native = json.load(f)
    with open(os.path.join(out_dir, "facts.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    ids = [r[0] for r in rows]
    columns = header[1:]
    cols = {}
    for j, name in enumerate(columns, start=1):
        if name in fs.DECIMAL:
            cols[name] = np.array([float(r[j]) for r in rows], dtype=np.float64)
        else:
            cols[name] = np.array([int(r[j]) for r in rows], dtype=np.int64)
    with open(os.path.join(out_dir, "expected.csv"), newline="") as f:
        expected = list(csv.DictReader(f))
    if [e["id"] for e in expected] != ids:
        sys.exit("peers: expected.csv and facts.csv list different households")
    return params, native, ids, columns, cols, expected


class Checker:
    """Compares one system's answers with fupin's; collects the differences."""

    def __init__(self, system, expected):
        self.system = system
        self.expected = expected
        self.errors = []
        self.checked = 0

    def check(self, i, identify, exit_, monitor, level, category, letters):
        e = self.expected[i]
        risks = "|".join(r for r, x in zip(fs.RISKS, letters[13:]) if x == "f")
        got = {"identify": identify, "exit": exit_, "monitor": monitor, "level": level, "category": category,
               "risks": risks, "results": letters}
        for k, v in got.items():
            if e[k] != v:
                self.errors.append(f"{self.system}: household {e['id']}: {k}: fupin {e[k]!r}, {self.system} {v!r}")
        self.checked += 1

    def report(self):
        if self.errors:
            print(f"\nFAIL: {self.system} differs from fupin on {len(self.errors)} values; first ones:", file=sys.stderr)
            for line in self.errors[:20]:
                print("  " + line, file=sys.stderr)
            return False
        print(f"peers: {self.system} == fupin on all {self.checked} households "
              "(identify/exit/monitor outcomes, level, category, risks, 26 rule results)", file=sys.stderr)
        return True


# ---- ZEN --------------------------------------------------------------------------------

def run_zen(params, ids, columns, cols, expected, sample, passes):
    import zen

    path = os.path.join(HERE, "zen", "fupin.json")
    with open(path, encoding="utf-8") as f:
        content = f.read()
    graph = json.loads(content)
    # The graph's `params` node holds the national values. A population under a regional
    # override (holes.py) gets the parameters fupin resolved: the node's values are replaced.
    node = next(n for n in graph["nodes"] if n["id"] == "params")
    in_graph = {e["key"][2:]: zen.evaluate_expression(e["value"]) for e in node["content"]["expressions"]}
    changed = []
    for e in node["content"]["expressions"]:
        k = e["key"][2:]
        v = params[k]
        g = in_graph[k]
        same = (g == v) if isinstance(v, bool) else float(g) == float(v)
        if not same:
            changed.append(f"{k}: {g} -> {v}")
            e["value"] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    missing = set(params) - set(in_graph) - {"money_unit"}
    if missing:
        sys.exit(f"peers: ZEN graph lacks parameters {sorted(missing)}; regenerate zen/fupin.json")
    if changed:
        print("peers: ZEN params node set to the regional parameters: " + "; ".join(changed), file=sys.stderr)
        content = json.dumps(graph)

    n = min(sample, len(ids))
    lists = {c: cols[c].tolist() for c in columns}
    engine = zen.ZenEngine({"loader": lambda key: content})
    decision = engine.create_decision(content)
    rule_keys = [fs.var_name(r)[2:] for r in fs.ALL_RULES]
    checkers = {"evaluate": Checker("ZEN evaluate", expected), "batch": Checker("ZEN evaluate_batch", expected)}

    def check(ck, first, results):
        for k, res in enumerate(results):
            r = res["r"]
            letters = "".join(r[key] for key in rule_keys)
            ck.check(first + k, res["identify"], res["exit"], res["monitor"], res["level"], res["category"], letters)

    # Timed in chunks (results of a chunk are checked, then dropped: a ZEN result carries
    # every input and intermediate field, too much to keep 100k of them).
    chunk = 5000
    best = {"evaluate": float("inf"), "batch": float("inf")}
    internal = []  # ZEN's own `performance` figure for each evaluate call (first pass)
    for p in range(passes):
        total = {"evaluate": 0.0, "batch": 0.0}
        for first in range(0, n, chunk):
            contexts = [{c: lists[c][i] for c in columns} for i in range(first, min(n, first + chunk))]
            gc.collect()
            gc.freeze()
            t = time.perf_counter()
            out = [decision.evaluate(ctx) for ctx in contexts]
            total["evaluate"] += time.perf_counter() - t
            if p == 0:
                check(checkers["evaluate"], first, [o["result"] for o in out])
                internal.extend(zen_us(o["performance"]) for o in out)
            del out
            requests = [{"key": "fupin", "context": ctx} for ctx in contexts]
            t = time.perf_counter()
            outb = engine.evaluate_batch(requests)
            total["batch"] += time.perf_counter() - t
            gc.unfreeze()
            bad = [b for b in outb if not b.get("success")]
            if bad:
                sys.exit(f"peers: ZEN evaluate_batch failed: {bad[0]}")
            if p == 0:
                check(checkers["batch"], first, [b["data"]["result"] for b in outb])
            del outb
        for k in best:
            best[k] = min(best[k], total[k])
    ok = checkers["evaluate"].report() & checkers["batch"].report()
    return ok, {"zen_evaluate_us": best["evaluate"] * 1e6 / n, "zen_evaluate_batch_us": best["batch"] * 1e6 / n,
                "zen_internal_us": sum(internal) / len(internal), "zen_households": n}


def zen_us(text):
    """ZEN's `performance` string ("237.4µs", "1.2ms", "950ns") in µs."""
    for unit, scale in (("ns", 1e-3), ("µs", 1.0), ("us", 1.0), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(f"ZEN performance {text!r}")


# ---- OpenFisca ----------------------------------------------------------------------------

def run_openfisca(params, ids, columns, cols, expected, year, passes):
    from openfisca_core.simulation_builder import SimulationBuilder

    n = len(ids)
    t = time.perf_counter()
    tbs = fs.build_system(columns, params, year)
    system_s = time.perf_counter() - t
    period = str(year)
    arrays = {c: (cols[c].astype(np.float64) if (c in fs.MONEY or c in fs.DECIMAL) else cols[c].astype(np.int32))
              for c in columns}
    best_build = best_calc = float("inf")
    for _ in range(passes):
        t0 = time.perf_counter()
        sim = SimulationBuilder().build_default_simulation(tbs, count=n)
        for c in columns:
            sim.set_input(c, period, arrays[c])
        t1 = time.perf_counter()
        out = {v: sim.calculate(v, period) for v in fs.OUTPUTS}
        t2 = time.perf_counter()
        best_build = min(best_build, t1 - t0)
        best_calc = min(best_calc, t2 - t1)

    ck = Checker("OpenFisca", expected)
    results = np.stack([out[fs.var_name(r)] for r in fs.ALL_RULES], axis=1)
    code = np.array(["p", "f", "u"])
    letters = ["".join(row) for row in code[results]]
    io, xo, mo = out["identify_outcome"], out["exit_outcome"], out["monitor_outcome"]
    mc, ml = out["monitor_category"], out["monitor_level"]
    for i in range(n):
        ck.check(i, fs.IDENTIFY_OUTCOMES[io[i]], fs.EXIT_OUTCOMES[xo[i]], fs.MONITOR_OUTCOMES[mo[i]],
                 fs.LEVELS[ml[i]], fs.CATEGORIES[mc[i]], letters[i])
    return ck.report(), {
        "openfisca_calculate_us": best_calc * 1e6 / n,
        "openfisca_build_us": best_build * 1e6 / n,
        "openfisca_system_s": system_s,
    }


# ---- table ---------------------------------------------------------------------------------

def table(native, peers):
    base = native["fupin_fast_outcomes_us"]
    n = native["households"]
    rows = [
        ("fupin fast path, outcome-only (`evaluate_outcomes`) — baseline", base, f"{n}"),
        ("fupin fast path, full decisions with messages (`evaluate`)", native["fupin_fast_full_us"], f"{n}"),
        ("fupin rhai interpreter, full decisions (`EnginePath::Interpreter`)", native["fupin_interp_full_us"],
         f"first {native['interp_sample']}"),
        ("hand-written Rust floor over derived facts (`benches/floor`)", native["floor_us"], f"{n}"),
        ("hand-written Rust floor incl. `Facts::derive`", native["floor_with_facts_us"], f"{n}"),
        ("OpenFisca 46.0.1 vectorised `calculate` (all outputs)", peers["openfisca_calculate_us"], f"{n}"),
        ("OpenFisca simulation build + `set_input` of 58 columns", peers["openfisca_build_us"], f"{n}"),
        ("GoRules ZEN 2.1.3 `decision.evaluate`, per call", peers["zen_evaluate_us"], f"{peers['zen_households']}"),
        ("GoRules ZEN 2.1.3 `engine.evaluate_batch`", peers["zen_evaluate_batch_us"], f"{peers['zen_households']}"),
        ("(context) ZEN's own `performance` figure per evaluate (graph only, no Python conversion)",
         peers["zen_internal_us"], f"{peers['zen_households']}"),
        ("(context) `Facts::derive` alone", native["facts_derive_us"], f"{n}"),
        ("(context) JSON parse of a household (`parse_household`)", native["parse_json_us"], f"{n}"),
    ]
    lines = ["| system | µs per household | ratio to fupin fast outcome-only | households timed |",
             "|---|---:|---:|---:|"]
    for name, us, cnt in rows:
        lines.append(f"| {name} | {us:.3f} | {us / base:.3g}× | {cnt} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--zen-sample", type=int, default=10**9, help="households to run through ZEN (default: all)")
    ap.add_argument("--passes", type=int, default=3, help="timing passes for OpenFisca; the best is kept")
    ap.add_argument("--zen-passes", type=int, default=1, help="timing passes for ZEN (about 1 ms a call)")
    ap.add_argument("--year", type=int, default=2024)
    a = ap.parse_args()
    params, native, ids, columns, cols, expected = load(a.out_dir)
    print(f"peers: {len(ids)} households, {len(columns)} fact columns", file=sys.stderr)
    ok_of, of = run_openfisca(params, ids, columns, cols, expected, a.year, a.passes)
    ok_zen, zn = run_zen(params, ids, columns, cols, expected, a.zen_sample, a.zen_passes)
    peers = {**of, **zn}
    with open(os.path.join(a.out_dir, "peers.json"), "w") as f:
        json.dump({**native, **peers}, f, indent=1)
    md = table(native, peers)
    with open(os.path.join(a.out_dir, "table.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    print(f"\nfast plan: {native.get('fast_plan')}; OpenFisca system built in {of['openfisca_system_s']:.2f} s (not in the table)")
    if not (ok_of and ok_zen):
        sys.exit("peers: FAILED — a peer does not give fupin's decisions (see above); the timings are not comparable")
    print("all systems agree with fupin on every household checked")


if __name__ == "__main__":
    main()
