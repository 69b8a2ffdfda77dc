#!/usr/bin/env bash
# The WASM binding and the offline web page: build the module (bindings/wasm/build.sh installs
# wasm-bindgen-cli at exactly the wasm-bindgen crate's version when missing), then the Node tests
# (conformance vectors byte for byte, the JavaScript API, results compared with the native CLI)
# and the page end to end in headless Debian chromium driven by playwright-core.
# Needs the wasm32-unknown-unknown target, Node >= 20 with npm and /usr/bin/chromium (.ci/run
# installs them). Screenshots go to target/web-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== WASM build"
bash bindings/wasm/build.sh
cargo build --release -q -p fupin-cli   # the tests compare the page with the native CLI

echo "== npm ci (playwright-core only; it downloads no browser)"
(cd bindings/wasm && npm ci --no-audit --no-fund --loglevel=error)

echo "== WASM in Node"
(cd bindings/wasm && node --test test/node/)

echo "== the page in chromium"
(cd bindings/wasm && node --test test/browser/)
