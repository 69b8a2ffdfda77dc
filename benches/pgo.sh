#!/usr/bin/env bash
# A profile-guided (PGO) release build of the `fupin` command: the same source, laid out by
# the compiler after watching it run the usual jobs on a generated population. Its decisions are
# byte-identical to the plain build's (checked below); it is faster end to end (see
# benches/README.md, "Profile-guided build").
#
#   bash benches/pgo.sh [PAIRS]
#
# Writes target/pgo/fupin. With PAIRS, also builds the plain release binary and runs both in
# turn, PAIRS times, on the benchmark population (N households of seed SEED, as benches/ab.sh):
# `eval --format csv` and `eval` to JSON Lines, printing wall and user seconds.
#
# Needs llvm-profdata of the LLVM major version rustc was built with (`rustc -vV`): Debian's
# `llvm-N` package (`apt-get install llvm-22` for rustc 1.95) or rustup's `llvm-tools`
# component. LLVM_PROFDATA=/path/to/llvm-profdata overrides the search.
set -euo pipefail

PAIRS="${1:-0}"
N="${N:-100000}"
SEED="${SEED:-7}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/pgo"
PROFILES="$OUT/profiles"
TRAIN="$OUT/train"

llvm_major="$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')"
find_profdata() {
  if [ -n "${LLVM_PROFDATA:-}" ]; then echo "$LLVM_PROFDATA"; return; fi
  local sysroot
  sysroot="$(rustc --print sysroot)"
  for candidate in "llvm-profdata-$llvm_major" "/usr/lib/llvm-$llvm_major/bin/llvm-profdata" \
      "$sysroot"/lib/rustlib/*/bin/llvm-profdata llvm-profdata; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" --version 2>/dev/null | grep -q "LLVM version $llvm_major\."; then
      command -v "$candidate"
      return
    fi
  done
}
PROFDATA="$(find_profdata)"
if [ -z "$PROFDATA" ]; then
  echo "llvm-profdata for LLVM $llvm_major not found: apt-get install llvm-$llvm_major, or" >&2
  echo "rustup component add llvm-tools, or set LLVM_PROFDATA" >&2
  exit 1
fi

rm -rf "$PROFILES" "$TRAIN"
mkdir -p "$PROFILES" "$TRAIN"

echo "== 1/3 instrumented build (target/pgo/gen)" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$PROFILES" \
  cargo build --release -q -p fupin-cli --target-dir "$OUT/gen"
GEN="$OUT/gen/release/fupin"
# Build scripts run instrumented too; only the training runs' profiles count.
rm -rf "$PROFILES"
mkdir -p "$PROFILES"

# The training jobs: the usual commands on a population of another seed than the benchmarks'
# (seed 11, 30,000 households), the interpreter on a few of them, and the 户表+人表 path.
echo "== 2/3 training runs" >&2
"$GEN" gen --households 30000 --seed 11 > "$TRAIN/train.jsonl"
"$GEN" eval "$TRAIN/train.jsonl" --format csv -o "$TRAIN/gen.csv"
"$GEN" eval "$TRAIN/train.jsonl" -o /dev/null
"$GEN" report "$TRAIN/train.jsonl" > /dev/null
head -n 2000 "$TRAIN/train.jsonl" > "$TRAIN/few.jsonl"
"$GEN" eval "$TRAIN/few.jsonl" -o "$TRAIN/gen.jsonl"
"$GEN" --engine interp eval "$TRAIN/few.jsonl" --format csv -o /dev/null
"$GEN" tables "$TRAIN/few.jsonl" --out "$TRAIN/tables" > /dev/null
"$GEN" eval --households "$TRAIN/tables/households.csv" --members "$TRAIN/tables/members.csv" -o /dev/null
"$PROFDATA" merge -o "$OUT/fupin.profdata" "$PROFILES"

echo "== 3/3 optimised build (target/pgo/use)" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$OUT/fupin.profdata" \
  cargo build --release -q -p fupin-cli --target-dir "$OUT/use"
cp "$OUT/use/release/fupin" "$OUT/fupin"

# The same source, so the same decisions: the optimised binary against the instrumented one
# (CSV of all 30,000 households, the full decisions of 2,000: about 22 MB of JSON Lines).
"$OUT/fupin" eval "$TRAIN/train.jsonl" --format csv -o "$TRAIN/use.csv"
"$OUT/fupin" eval "$TRAIN/few.jsonl" -o "$TRAIN/use.jsonl"
cmp "$TRAIN/gen.csv" "$TRAIN/use.csv"
cmp "$TRAIN/gen.jsonl" "$TRAIN/use.jsonl"
"$OUT/fupin" test > /dev/null
echo "target/pgo/fupin: decisions identical to the instrumented build's; rule tests pass" >&2

if [ "$PAIRS" -gt 0 ]; then
  # shellcheck source=benches/population.sh
  source "$ROOT/benches/population.sh"
  cargo build --release -q -p fupin-cli
  cp target/release/fupin "$OUT/fupin-plain"
  POP="$(population "$OUT/fupin-plain" "$N" "$SEED")"
  echo "== $PAIRS pairs in turn, $N households of seed $SEED; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  TIMEFORMAT='%R s wall, %U s user'
  for i in $(seq "$PAIRS"); do
    for format in csv jsonl; do
      for build in plain pgo; do
        if [ "$build" = plain ]; then bin="$OUT/fupin-plain"; else bin="$OUT/fupin"; fi
        printf '%-6s %-5s ' "$format" "$build"
        { time "$bin" eval "$POP" --format "$format" -o /dev/null; } 2>&1
      done
    done
  done
fi
