#!/usr/bin/env bash
# The end-to-end ceiling without rules: `fupin eval` to CSV with the shipped rules against the
# same rule set whose every rule is `pass(#{}, "", "")` and whose every `decide` returns
# constants (same rule ids, parameters and outputs), run in turn. What the trivial rules take
# is reading, parsing, the parameter lookup, `Facts::derive`, the machinery of three set runs,
# `Outcomes` and the CSV line: the most a faster rule back end alone can reach. See
# benches/README.md, "The ceiling without rules".
#
#   bash benches/ceiling.sh [PAIRS]      # default 4; N and SEED as in benches/ab.sh
set -euo pipefail

PAIRS="${1:-4}"
N="${N:-100000}"
SEED="${SEED:-7}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TRIVIAL="$ROOT/target/ceiling/trivial-rules"
mkdir -p "$ROOT/target/ceiling"
# shellcheck source=benches/population.sh
source "$ROOT/benches/population.sh"

cargo build --release -q -p fupin-cli
FUPIN="$ROOT/target/release/fupin"
POP="$(population "$FUPIN" "$N" "$SEED")"

rm -rf "$TRIVIAL"
cp -r rules "$TRIVIAL"
rm -rf "$TRIVIAL/tests"
python3 - "$TRIVIAL" <<'EOF'
import re, sys
root = sys.argv[1]
decides = {
    "identify": '#{ outcome: "eligible", causes: ["other"], score: 0.0 }',
    "exit": '#{ outcome: "meets_standard" }',
    "monitor": '#{ outcome: "assessed", level: "none", category: "none", measures: [] }',
}
for name, decision in decides.items():
    src = open(f"{root}/{name}.rhai", encoding="utf-8").read()
    start = src.index("fn rules()")
    end = src.index("\n}\n", start) + 3
    rules = src[start:end]
    runs = sorted(set(re.findall(r'run: "([a-z_]+)"', rules)))
    body = "\n".join(f'fn {r}(h, p) {{ pass(#{{}}, "", "") }}' for r in runs)
    open(f"{root}/{name}.rhai", "w", encoding="utf-8").write(f"{rules}\n{body}\nfn decide(h, p, r) {{ {decision} }}\n")
open(f"{root}/common.rhai", "w", encoding="utf-8").write("// (empty: the trivial rules need no helpers)\n")
EOF
"$FUPIN" check "$TRIVIAL" > /dev/null

echo "== $PAIRS pairs in turn: fupin eval <population> --format csv -o /dev/null [--rules trivial]" >&2
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
TIMEFORMAT='%R s wall, %U s user'
for i in $(seq "$PAIRS"); do
  for rules in shipped trivial; do
    if [ "$rules" = trivial ]; then extra=(--rules "$TRIVIAL"); else extra=(); fi
    printf '%-8s ' "$rules"
    { time "$FUPIN" eval "$POP" "${extra[@]}" --format csv -o /dev/null; } 2>&1
  done
done
