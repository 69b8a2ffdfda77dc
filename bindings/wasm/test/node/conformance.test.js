// Replays tests/conformance: the same decision bytes as the Rust engine, or the same error path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Engine, ValidationError } from '../../pkg/fupin.js';
import { vectors } from '../paths.js';

const names = fs.readdirSync(vectors).filter((f) => f.endsWith('.input.json')).map((f) => f.slice(0, -'.input.json'.length)).sort();
const engine = new Engine();
const read = (file) => fs.readFileSync(path.join(vectors, file), 'utf8');

test('there are conformance vectors', () => {
  assert.ok(names.length >= 30, `only ${names.length} vectors`);
});

for (const name of names) {
  test(`vector ${name}`, () => {
    const input = read(`${name}.input.json`);
    if (fs.existsSync(path.join(vectors, `${name}.expected.json`))) {
      const expected = read(`${name}.expected.json`);
      assert.equal(engine.evaluateJson(input), expected);
      assert.deepEqual(engine.evaluate(JSON.parse(input)), JSON.parse(expected), 'an object household gives the same decision');
    } else {
      const { path: expectedPath } = JSON.parse(read(`${name}.error.json`));
      assert.throws(() => engine.evaluateJson(input), (e) => e instanceof ValidationError && e.path === expectedPath);
    }
  });
}
