// Households per second: the native CLI, the WASM module in Node and in headless Chromium, on
// the same rules and the same generated households (`fupin gen --households N --seed 7`).
// Each path parses the household JSON, evaluates it and serialises the decision JSON, one
// household at a time on one thread (what `fupin eval` does per line).
//
//   bash bindings/wasm/build.sh && cargo build --release -p fupin-cli
//   node bindings/wasm/bench/bench.mjs 10000
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

import { chromium } from 'playwright-core';

import { Engine } from '../pkg/fupin.js';
import { cli, repo } from '../test/paths.js';
import { serve } from '../test/static-server.js';

const n = Number(process.argv[2] ?? 10000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-bench-'));
const population = path.join(dir, 'population.jsonl');
fs.writeFileSync(population, execFileSync(cli, ['gen', '--households', String(n), '--seed', '7'], { maxBuffer: 1 << 30 }));
const lines = fs.readFileSync(population, 'utf8').trimEnd().split('\n');
const one = path.join(dir, 'one.jsonl');
fs.writeFileSync(one, `${lines[0]}\n`);

/** Seconds of wall time for `fupin eval file` on one worker thread, output discarded (by
 * default `fupin eval` evaluates on every core, which the WASM paths below cannot). */
function native(file) {
  const start = process.hrtime.bigint();
  const env = { ...process.env, RAYON_NUM_THREADS: '1' };
  execFileSync(cli, ['eval', file], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// Native: the whole file minus the cost of starting the CLI on one household (best of 3 each).
const best = (f) => Math.min(f(), f(), f());
const nativeSeconds = best(() => native(population)) - best(() => native(one));

// Node: the WASM module, evaluateJson per line (JSON text in, decision JSON text out).
const engine = new Engine();
for (const line of lines.slice(0, 200)) engine.evaluateJson(line); // warm-up
let start = process.hrtime.bigint();
let bytes = 0;
for (const line of lines) bytes += engine.evaluateJson(line).length;
const nodeSeconds = Number(process.hrtime.bigint() - start) / 1e9;

// Chromium: the same module and loop inside the page's origin.
const server = await serve(path.join(repo, 'bindings/wasm/www'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage();
await page.goto(server.url);
await page.waitForSelector('body[data-ready=true]');
const browserResult = await page.evaluate(async (households) => {
  const { Engine } = await import('./pkg/fupin.js');
  const e = new Engine();
  for (const h of households.slice(0, 200)) e.evaluateJson(h);
  const t0 = performance.now();
  let total = 0;
  for (const h of households) total += e.evaluateJson(h).length;
  return { seconds: (performance.now() - t0) / 1000, bytes: total };
}, lines);
const version = browser.version();
await browser.close();
await server.close();
if (browserResult.bytes !== bytes) throw new Error('Chromium and Node produced different decisions');

const rate = (s) => Math.round(n / s);
const rows = [
  ['native `fupin eval` (release)', nativeSeconds],
  [`WASM in Node ${process.version}`, nodeSeconds],
  [`WASM in Chromium ${version} (headless)`, browserResult.seconds],
];
console.log(`${n} households (fupin gen --seed 7), ${os.cpus()[0].model}, ${os.cpus().length} cores, one thread`);
console.log('| path | seconds | households/s | µs/household | vs native |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, s] of rows) {
  console.log(`| ${name} | ${s.toFixed(2)} | ${rate(s).toLocaleString('en')} | ${((s * 1e6) / n).toFixed(0)} | ${(s / nativeSeconds).toFixed(2)}× |`);
}
