"""Python binding overhead, measured in one run (see benches/README.md).

    target/venv/bin/python benches/python_bench.py [N]

Compares, on the same N generated households: the Rust batch behind the binding
(`NativeEngine.evaluate_many_columns` on JSON text, parallel, flat columns out), the
analyst path `Engine.evaluate_frame(pyarrow.Table)` (Arrow rows → JSON → Rust → flat Arrow
table), and per-call `Engine.evaluate(dict)` on one thread.
"""

import json
import subprocess
import sys
import time

import pyarrow as pa

import fupin

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
lines = subprocess.run(
    ["cargo", "run", "-q", "--release", "-p", "fupin-cli", "--", "gen", "--households", str(n), "--seed", "11"],
    check=True, capture_output=True, text=True,
).stdout.splitlines()
dicts = [json.loads(line) for line in lines[:1000]]
step = 50_000
table = pa.concat_tables([pa.Table.from_pylist([json.loads(x) for x in lines[i : i + step]]) for i in range(0, n, step)], promote_options="default")
engine = fupin.Engine()
engine.evaluate_many(lines[:100])  # warm up


def timed(label, fn, count):
    start = time.perf_counter()
    fn()
    us = (time.perf_counter() - start) * 1e6 / count
    print(f"{label:<48} {us:8.1f} µs per household")
    return us


CHUNK = fupin.CHUNK_ROWS
rust = timed(
    "Rust batch (evaluate_many_columns on JSON text)",
    lambda: [engine._native.evaluate_many_columns(lines[i : i + CHUNK], False) for i in range(0, n, CHUNK)],
    n,
)
frame = timed("evaluate_frame(pyarrow.Table), parallel", lambda: engine.evaluate_frame(table), n)
single = timed("evaluate(dict) per call, one thread", lambda: [engine.evaluate(d) for d in dicts[:1000]], 1000)
print(f"ratio frame / Rust batch: {frame / rust:.2f}×; per-call overhead vs one-thread engine: see benches/README.md")
