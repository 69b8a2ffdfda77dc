#!/usr/bin/env bash
# Peer comparison: fupin (fast path, interpreter), the hand-written Rust floor, GoRules ZEN and
# OpenFisca on the same generated population, every peer checked against fupin's decisions
# household by household. See benches/README.md, "Peer comparison".
#
#   bash benches/peers/run.sh [N]        # N households, default 100000; e.g. 2000 for a smoke test
#
# Environment: SEED (default 7), INTERP_SAMPLE (households timed on the rhai interpreter,
# default 2000), ZEN_SAMPLE (households run through ZEN, default all), PEERS_VENV (default
# target/peers-venv; created with zen-engine 2.1.3, openfisca-core 46.0.1 and numpy if absent),
# HOLES_N (default 5000; 0 skips): after the timed run, an agreement check on a copy of the
# first HOLES_N households with unknown facts and a regional parameter set (holes.py).
# Outputs go to target/peers/out-<N>-<SEED>/ (facts.csv, expected.csv, native.json,
# peers.json, table.md) and target/peers/out-holes-<HOLES_N>-<SEED>/.
# Exits non-zero if any system disagrees with fupin.
set -euo pipefail

N="${1:-100000}"
SEED="${SEED:-7}"
INTERP_SAMPLE="${INTERP_SAMPLE:-2000}"
ZEN_SAMPLE="${ZEN_SAMPLE:-1000000000}"
HOLES_N="${HOLES_N:-5000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${PEERS_VENV:-$ROOT/target/peers-venv}"
OUT="$ROOT/target/peers/out-$N-$SEED"
mkdir -p "$ROOT/target/peers"

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "zen-engine==2.1.3" "openfisca-core==46.0.1" numpy
fi

echo "== building fupin-cli and the native bench" >&2
cargo build --release -q -p fupin-cli
# shellcheck source=benches/population.sh
source "$ROOT/benches/population.sh"
POP="$(population "$ROOT/target/release/fupin" "$N" "$SEED")"

echo "== native rows (one thread): fupin fast path, interpreter on $INTERP_SAMPLE, floor" >&2
cargo bench -q --bench peers_native -- "$POP" "$OUT" "$INTERP_SAMPLE"

echo "== peers: OpenFisca, ZEN" >&2
echo "machine: nproc $(nproc); $(uptime)" >&2
"$VENV/bin/python" "$ROOT/benches/peers/peers.py" "$OUT" --zen-sample "$ZEN_SAMPLE"

if [ "$HOLES_N" -gt "$N" ]; then HOLES_N="$N"; fi
if [ "$HOLES_N" -gt 0 ]; then
  HOLES_POP="$ROOT/target/peers/pop-holes-$HOLES_N-$SEED.jsonl"
  HOLES_OUT="$ROOT/target/peers/out-holes-$HOLES_N-$SEED"
  echo >&2
  echo "== agreement check with unknown facts and regional parameters (holes.py, $HOLES_N households; timings not recorded)" >&2
  "$VENV/bin/python" "$ROOT/benches/peers/holes.py" "$POP" "$HOLES_POP" --limit "$HOLES_N" >&2
  cargo bench -q --bench peers_native -- "$HOLES_POP" "$HOLES_OUT" 1000 > /dev/null
  "$VENV/bin/python" "$ROOT/benches/peers/peers.py" "$HOLES_OUT" --passes 1 > "$HOLES_OUT/table.txt"
  echo "== holes check passed (its table: $HOLES_OUT/table.txt)" >&2
fi
