// Paths shared by the tests: the repository, its conformance vectors and the native CLI that
// the WASM results are compared with (built by tests/run-web.sh; FUPIN_CLI overrides it).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const vectors = path.join(repo, 'tests/conformance');
export const village = path.join(repo, 'examples/village.jsonl');
export const cli = process.env.FUPIN_CLI ?? path.join(repo, 'target/release/fupin');

/** Runs the native `fupin` CLI and returns its stdout (it throws when the CLI fails to run). */
export function fupin(...args) {
  return execFileSync(cli, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 30 });
}
