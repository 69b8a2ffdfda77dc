#!/usr/bin/env bash
# Instructions per household of outcome-only evaluation (`Engine::evaluate_outcomes`), counted
# by valgrind's callgrind: unlike time, the count does not move with the host's load, so two
# builds compare in one run each. See benches/README.md, "Counting instructions".
#
#   bash benches/instructions.sh [BASE_REV]
#
# Runs `crates/fupin-cli/examples/outcomes_loop.rs` over a generated population (N households,
# default 5000, seed SEED, default 7) with ROUNDS=1 and ROUNDS=3 and prints the difference
# per household and round: the evaluation alone, without parsing or loading the rules. With
# BASE_REV, the same for that revision (built in target/ab/<commit>/loop/, then kept) and the
# ratio. Needs `valgrind` (Debian package `valgrind`).
set -euo pipefail

N="${N:-5000}"
SEED="${SEED:-7}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
command -v valgrind > /dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
# shellcheck source=benches/population.sh
source "$ROOT/benches/population.sh"
# shellcheck source=benches/base_build.sh
source "$ROOT/benches/base_build.sh"

cargo build --release -q -p fupin-cli --example outcomes_loop
NEW_BIN="$ROOT/target/release/examples/outcomes_loop"
cargo build --release -q -p fupin-cli
POP="$(population "$ROOT/target/release/fupin" "$N" "$SEED")"

# Instructions per household of one round of evaluation with binary $1.
per_household() {
  local counts=()
  for rounds in 1 3; do
    counts+=("$(ROUNDS=$rounds valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$POP" 2>&1 \
      | sed -n 's/.*Collected : *//p' | tr -d ' ')")
  done
  echo $(( (counts[1] - counts[0]) / 2 / N ))
}

NEW="$(per_household "$NEW_BIN")"
echo "working tree: $NEW instructions per household"
[ $# -eq 0 ] && exit 0

BASE_SHA="$(git rev-parse --verify "$1^{commit}")"
BASE_DIR="$ROOT/target/ab/$BASE_SHA/loop"
BASE_BIN="$BASE_DIR/outcomes_loop"
# The loop is this revision's, so that a base from before it is counted the same way.
this_loop() {
  mkdir -p crates/fupin-cli/examples
  cp "$ROOT/crates/fupin-cli/examples/outcomes_loop.rs" crates/fupin-cli/examples/
}
if [ ! -x "$BASE_BIN" ]; then
  build_at "$BASE_SHA" "$BASE_DIR" this_loop -p fupin-cli --example outcomes_loop
  cp "$BASE_DIR/target/release/examples/outcomes_loop" "$BASE_BIN"
fi
BASE="$(per_household "$BASE_BIN")"
echo "$1 ($BASE_SHA): $BASE instructions per household"
awk -v n="$NEW" -v b="$BASE" 'BEGIN { printf "new/base: %.3f\n", n / b }'
