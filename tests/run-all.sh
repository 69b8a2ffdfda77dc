#!/usr/bin/env bash
# Every test of the project, on a fresh machine with Rust and Python 3.9+:
# Rust (unit, rule tests, contracts, sandbox, properties, conformance, CLI), the benchmark's
# floor-vs-engine agreement check, the Python binding built from source and run by pytest, and
# the WASM binding with its web page (Node and headless chromium; see tests/run-web.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust tests"
cargo test
echo "== benchmark in test mode (floor agrees with the engine on 1,000 households)"
cargo bench --bench rules -- --test

echo "== Python binding"
venv=target/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip maturin pytest pyarrow "pandas<3" pyspark
"$venv/bin/pip" install -q --force-reinstall --no-deps ./bindings/python
"$venv/bin/python" -m pytest -q bindings/python/tests

bash tests/run-web.sh
