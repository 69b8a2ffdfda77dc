#!/usr/bin/env bash
# A/B comparison of the `fupin` binary of a base revision against the working tree's, run in
# turn on one generated population, so that both sides meet the same machine (it drifts by a
# third over minutes here; only runs in turn compare). See benches/README.md, "Comparing two
# builds".
#
#   bash benches/ab.sh BASE_REV [PAIRS] [-- fupin arguments]
#
# BASE_REV is any git revision (built once in target/ab/<commit>/, about 5 minutes with
# link-time optimisation, then kept). PAIRS (default 6) is the number of base/new pairs; the
# order inside a pair alternates. The default command is
#   eval <population> --format csv -o /dev/null
# and `@POP` in given arguments stands for the population. Environment: N (households,
# default 100000), SEED (default 7).
# Prints every run's wall and user seconds, then per side the best and the median, and the
# ratio new / base of both.
set -euo pipefail

BASE_REV="${1:?usage: bash benches/ab.sh BASE_REV [PAIRS] [-- fupin arguments]}"
shift
PAIRS=6
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  PAIRS="$1"
  shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
N="${N:-100000}"
SEED="${SEED:-7}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BASE_SHA="$(git rev-parse --verify "$BASE_REV^{commit}")"
AB="$ROOT/target/ab"
mkdir -p "$AB"
# shellcheck source=benches/population.sh
source "$ROOT/benches/population.sh"
# shellcheck source=benches/base_build.sh
source "$ROOT/benches/base_build.sh"

echo "== building the working tree" >&2
cargo build --release -q -p fupin-cli
cp target/release/fupin "$AB/fupin-new"

BASE_BIN="$AB/$BASE_SHA/fupin"
if [ ! -x "$BASE_BIN" ]; then
  echo "== building $BASE_REV ($BASE_SHA) in a worktree" >&2
  build_at "$BASE_SHA" "$AB/$BASE_SHA" : -p fupin-cli
  cp "$AB/$BASE_SHA/target/release/fupin" "$BASE_BIN"
fi

POP="$(population "$AB/fupin-new" "$N" "$SEED")"

ARGS=()
if [ $# -gt 0 ]; then
  for a in "$@"; do ARGS+=("${a//@POP/$POP}"); done
else
  ARGS=(eval "$POP" --format csv -o /dev/null)
fi

echo "== $PAIRS pairs in turn: fupin ${ARGS[*]/#$POP/<population>}" >&2
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
RUNS="$AB/runs.txt"
: > "$RUNS"
run() {
  local side="$1" bin="$2" t
  TIMEFORMAT='%R %U'
  if ! t=$( { time "$bin" "${ARGS[@]}" > /dev/null 2>&1; } 2>&1 ); then
    echo "the $side binary failed: run $bin ${ARGS[*]} to see why" >&2
    exit 1
  fi
  echo "$side $t" | tee -a "$RUNS"
}
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) -eq 1 ]; then
    run base "$BASE_BIN"; run new "$AB/fupin-new"
  else
    run new "$AB/fupin-new"; run base "$BASE_BIN"
  fi
done

python3 - "$RUNS" "$BASE_REV" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, wall, user = line.split()
    runs.setdefault(side, []).append((float(wall), float(user)))
print(f"{'':6} {'best wall':>10} {'median wall':>12} {'median user':>12}")
stats = {}
for side in ("base", "new"):
    walls = [w for w, _ in runs[side]]
    users = [u for _, u in runs[side]]
    stats[side] = (min(walls), statistics.median(walls), statistics.median(users))
    print(f"{side:6} {stats[side][0]:>10.3f} {stats[side][1]:>12.3f} {stats[side][2]:>12.3f}")
b, n = stats["base"], stats["new"]
print(f"new/base: best {n[0] / b[0]:.3f}, median {n[1] / b[1]:.3f}, user {n[2] / b[2]:.3f} (base = {sys.argv[2]})")
EOF
