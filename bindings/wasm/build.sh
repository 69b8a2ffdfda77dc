#!/usr/bin/env bash
# Builds the WebAssembly package into bindings/wasm/pkg/ (the npm package's files) and copies it,
# with the sample village, into bindings/wasm/www/ (the page). Installs wasm-bindgen-cli at
# exactly the version of the wasm-bindgen crate in Cargo.lock when it is missing (built from
# source by cargo, cached under target/tools/). Needs: rustup target add wasm32-unknown-unknown.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=bindings/wasm

version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
[ -n "$version" ] || { echo "wasm-bindgen is not in Cargo.lock"; exit 2; }
tools=$root/target/tools/wasm-bindgen-$version
bindgen=$tools/bin/wasm-bindgen
if ! [ -x "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $version" ]; then
  echo "== installing wasm-bindgen-cli $version (from source, a few minutes)"
  if ! cargo install --locked -q wasm-bindgen-cli --version "$version" --root "$tools"; then
    # A registry index without the exact webpki-roots in wasm-bindgen-cli's own Cargo.lock:
    # build that same lock file with only webpki-roots moved to the previous patch release.
    echo "== --locked install failed; building wasm-bindgen-cli's lock file with webpki-roots 1.0.10"
    src=$root/target/tools/src
    crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/wasm-bindgen-cli-"$version".crate | head -1)
    rm -rf "$src/wasm-bindgen-cli-$version" && mkdir -p "$src" && tar xzf "$crate" -C "$src"
    (cd "$src/wasm-bindgen-cli-$version" && printf '\n[workspace]\n' >> Cargo.toml \
      && cargo update -q -p webpki-roots --precise 1.0.10 \
      && cargo install --locked -q --path . --root "$tools")
  fi
fi

echo "== cargo build (wasm32-unknown-unknown, profile wasm-release)"
cargo build -q --profile wasm-release --target wasm32-unknown-unknown -p fupin-wasm
wasm=target/wasm32-unknown-unknown/wasm-release/fupin_wasm.wasm

echo "== wasm-bindgen --target web"
rm -rf "$here/pkg" && mkdir -p "$here/pkg"
"$bindgen" --target web --no-typescript --out-dir "$here/pkg" "$wasm"
cp "$here/js/fupin.js" "$here/js/fupin.d.ts" "$here/pkg/"

rm -rf "$here/www/pkg" && cp -r "$here/pkg" "$here/www/pkg"
cp examples/village.jsonl "$here/www/village.jsonl"

bytes=$(wc -c < "$here/pkg/fupin_wasm_bg.wasm")
gz=$(gzip -9c "$here/pkg/fupin_wasm_bg.wasm" | wc -c)
echo "== $here/pkg/fupin_wasm_bg.wasm: $bytes bytes, $gz bytes gzipped (-9)"
