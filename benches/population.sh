# Sourced by the bench scripts: the generated population they share.
#
#   POP="$(population FUPIN N SEED)"
#
# The path of `fupin gen --households N --seed SEED` in target/populations/, written by FUPIN
# the first time it is asked for (through a temporary file, so an interrupted run leaves none).
population() {
  local fupin="$1" n="$2" seed="$3"
  local dir pop
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/populations"
  pop="$dir/pop-$n-$seed.jsonl"
  mkdir -p "$dir"
  if [ ! -s "$pop" ]; then
    echo "== generating $n households (seed $seed)" >&2
    "$fupin" gen --households "$n" --seed "$seed" > "$pop.tmp"
    mv "$pop.tmp" "$pop"
  fi
  echo "$pop"
}
