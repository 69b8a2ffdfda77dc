// The JavaScript API: errors with field paths, no personal data in any output, edited rules,
// village files and the 户表+人表 pair read exactly as the native CLI reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Engine, FupinError, RulesError, ValidationError, householdSchema, labelZh } from '../../pkg/fupin.js';
import { fupin, vectors, village } from '../paths.js';

const engine = new Engine();
const base = () => JSON.parse(fs.readFileSync(path.join(vectors, 'base-2024.input.json'), 'utf8'));

test('malformed JSON and contract violations throw ValidationError with the field path', () => {
  assert.throws(() => engine.evaluate('{"id": '), (e) => e instanceof ValidationError && e instanceof FupinError && /malformed JSON/.test(e.detail));
  const h = base();
  h.members[1].schooling.enrolled = 'yes';
  assert.throws(() => engine.evaluate(h), (e) => e instanceof ValidationError && e.path === 'members[1].schooling.enrolled' && e.row === null);
  const negative = base();
  negative.income.wage = '-1';
  assert.throws(() => engine.explain(negative), (e) => e instanceof ValidationError && e.path === 'income.wage');
});

test('arguments of the wrong kind are a TypeError, not a crash', () => {
  assert.throws(() => engine.evaluate(42), TypeError);
  assert.throws(() => engine.evaluate(null), TypeError);
  assert.throws(() => engine.evaluateVillage(undefined), TypeError);
  assert.throws(() => Engine.fromRules('exit.rhai'), TypeError);
  assert.throws(() => Engine.fromRules({ 'exit.rhai': 7 }), TypeError);
});

test('names, 身份证号 and phone numbers never appear in decisions, explanations or errors', () => {
  const pii = ['张三', '110101199003071234', '13800138000'];
  const h = base();
  Object.assign(h.members[0], { name: pii[0], id_number: pii[1], phone: pii[2] });
  const outputs = [engine.evaluateJson(h), engine.explain(h)];
  const wrong = base();
  wrong.members[0].relation = pii[0];
  wrong.members[1].age = pii[2];
  for (const bad of [wrong, { ...base(), year: pii[1] }]) {
    const e = captured(() => engine.evaluate(bad));
    assert.ok(e instanceof ValidationError);
    outputs.push(e.message, e.path, e.detail);
  }
  for (const text of outputs) for (const value of pii) assert.ok(!text.includes(value), `${value} leaked into: ${text.slice(0, 200)}`);
});

/** The error a call throws (assert.throws returns nothing). */
function captured(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an exception');
}

test('edited scripts and parameters change decisions and the rules hash', () => {
  const files = engine.ruleFiles();
  assert.ok(files['exit.rhai'].includes('fn food(h, p) {'), 'the editor gets the embedded scripts');
  assert.ok(files['params/national.toml'].includes('[poverty_line]'), 'and the parameters');
  assert.equal(engine.evaluate(base()).exit.outcome, 'meets_standard');
  const edited = Engine.fromRules({
    'exit.rhai': files['exit.rhai'].replace('fn food(h, p) {', 'fn food(h, p) {\n    return fail(#{ edited: true }, "编辑后的规则：不愁吃未达标", "edited rule fails");'),
  });
  const d = edited.evaluate(base());
  assert.equal(d.exit.outcome, 'not_met');
  const food = d.exit.findings.find((f) => f.rule === 'exit.food');
  assert.equal(food.message_zh, '编辑后的规则：不愁吃未达标');
  assert.deepEqual(food.values, { edited: true });
  assert.notEqual(edited.ruleset.hash, engine.ruleset.hash);
  assert.equal(engine.evaluate(base()).exit.outcome, 'meets_standard', 'the default engine is unchanged');
});

test('rules that do not load throw RulesError with file and line', () => {
  const syntax = captured(() => Engine.fromRules({ 'exit.rhai': 'fn rules() {\n  [\n}' }));
  assert.ok(syntax instanceof RulesError);
  assert.equal(syntax.file, 'exit.rhai');
  assert.equal(typeof syntax.line, 'number');
  assert.equal(syntax.errors[0].type, 'syntax');
  const params = captured(() => Engine.fromRules({ 'params/national.toml': '[poverty_line]\nvalues = 3\n' }));
  assert.ok(params instanceof RulesError);
  assert.equal(params.file, 'params/national.toml');
  assert.ok(params.errors.length >= 1);
});

test('a runaway rule becomes an error finding and the module keeps working', () => {
  const files = engine.ruleFiles();
  const runaway = Engine.fromRules({
    'exit.rhai': files['exit.rhai'].replace('fn food(h, p) {', 'fn deep(n) { deep(n + 1) }\nfn food(h, p) {\n    deep(0);'),
  });
  const d = runaway.evaluate(base());
  assert.equal(d.exit.findings.find((f) => f.rule === 'exit.food').result, 'error');
  assert.equal(d.exit.outcome, 'needs_review');
  const looping = Engine.fromRules({ 'exit.rhai': files['exit.rhai'].replace('fn food(h, p) {', 'fn food(h, p) {\n    loop { }') });
  assert.equal(looping.evaluate(base()).exit.findings.find((f) => f.rule === 'exit.food').result, 'error');
  assert.equal(engine.evaluate(base()).exit.outcome, 'meets_standard');
});

test('the sample village gives the CLI decisions byte for byte and the CLI summary text', () => {
  const text = fs.readFileSync(village, 'utf8');
  const result = engine.evaluateVillage(text);
  const lines = fupin('eval', village).trimEnd().split('\n');
  assert.equal(result.rows.length, 300);
  assert.equal(lines.length, 300);
  const decisions = text.trimEnd().split('\n').map((line) => engine.evaluateJson(line));
  assert.deepEqual(decisions, lines, 'evaluateJson gives the CLI bytes for every household');
  result.rows.forEach((row, i) => {
    assert.equal(row.row, i + 1);
    assert.deepEqual(row.decision, JSON.parse(lines[i]));
  });
  assert.equal(result.summary.report, fupin('summary', village));
  assert.equal(result.summary.households, 300);
  assert.equal(result.summary.high_risk.length, result.summary.levels.high);
});

test('a bad row in a village file is reported with its row and path; the others are evaluated', () => {
  const good = base();
  const bad = { ...base(), id: 'C-BAD', year: 'last year' };
  const text = [JSON.stringify(good), '', JSON.stringify(bad), '{"id": "C-BROKEN", ', JSON.stringify({ ...good, id: 'C-2' })].join('\n');
  const { rows, summary } = engine.evaluateVillage(text);
  assert.deepEqual(rows.map((r) => [r.row, r.household_id, r.error?.path ?? null]), [
    [1, 'C-BASE', null],
    [3, 'C-BAD', 'year'],
    [4, null, rows[2].error?.path],
    [5, 'C-2', null],
  ]);
  assert.match(rows[2].error.message, /malformed JSON/);
  assert.equal(summary.households, 2);
  assert.equal(summary.errors, 2);
  assert.ok(summary.report.includes('输入错误 2 行'));
});

test('the 户表+人表 CSV pair gives the same decision as the JSON household', () => {
  const households = '\ufeff户编号,年度,行政区划代码,工资性收入,不愁吃,不愁穿,房屋安全等级,户主姓名,联系电话\n' +
    'T-1,2024,150526100201,20000,是,是,A,张三,13800138000\n' +
    'T-2,2024,150526100201,abc,是,是,A,,\n';
  const members = '户编号,与户主关系,年龄,参加基本医疗保险,姓名,身份证号\n' +
    'T-1,head,45,是,张三,110101199003071234\n' +
    'T-1,child,10,是,"张,小三",\n' +
    'T-9,head,30,否,,\n';
  const result = engine.evaluateTables(households, members);
  const json = {
    id: 'T-1', year: 2024, region: { code: '150526100201' }, income: { wage: '20000' },
    food_secure: true, clothing_secure: true, housing: { safety_grade: 'A' },
    members: [{ relation: 'head', age: 45, medical_insurance: true }, { relation: 'child', age: 10, medical_insurance: true }],
  };
  assert.equal(result.rows.length, 2);
  assert.deepEqual(result.rows[0].decision, engine.evaluate(json));
  assert.equal(result.rows[0].size, 2);
  assert.deepEqual([result.rows[1].row, result.rows[1].household_id, result.rows[1].error.path], [2, 'T-2', 'income.wage']);
  assert.deepEqual(result.member_errors.map((e) => [e.row, e.path]), [[3, 'members[2].household_id']]);
  assert.equal(result.summary.errors, 2);
  assert.ok(!JSON.stringify(result).includes('张'), 'PII columns are dropped');
  const ragged = captured(() => engine.evaluateTables(households, '户编号,与户主关系\nT-1\n'));
  assert.ok(ragged instanceof ValidationError);
  assert.match(ragged.path, /^members\.csv line 2/);
});

test('the household schema is the Rust model\'s', () => {
  const schema = householdSchema();
  assert.ok(schema.properties.members);
  assert.deepEqual(schema.required.slice().sort(), ['id', 'members', 'region', 'year']);
});

test('Chinese labels are the core\'s', () => {
  assert.equal(labelZh('level', 'high'), '高风险');
  assert.equal(labelZh('category', 'marginal'), '边缘易致贫户');
  assert.equal(labelZh('cause', 'industry_unsustainable'), '因产业项目失败');
  assert.equal(labelZh('outcome', 'needs_review'), '待核实（需人工复核）');
  assert.equal(labelZh('measure', 'no_such_measure'), 'no_such_measure');
});

test('hostile input is refused without breaking the module', () => {
  const deep = `{"id":"D","year":2024,"region":{},"members":[{"relation":"head"}],"income":${'['.repeat(100000)}}`;
  const huge = { ...base(), id: 'x'.repeat(5_000_000) };
  const odd = { ...base(), id: '\u0000\ud7ff\u{1F600}', region: { code: '１５０５２６' } };
  for (const input of [deep, '\u0000', '[', '{"id": 1e999}', JSON.stringify(odd)]) {
    assert.throws(() => engine.evaluate(input), ValidationError);
  }
  assert.equal(engine.evaluate(huge).household_id.length, 5_000_000);
  const village = engine.evaluateVillage(`${deep}\n[\n${'{'.repeat(50000)}`);
  assert.equal(village.rows.length, 3);
  assert.ok(village.rows.every((r) => r.error));
  assert.throws(() => engine.evaluateTables('户编号,年度\nH1\n', '户编号\n'), (e) => e instanceof ValidationError && e.path === 'households.csv line 2');
  assert.equal(engine.evaluate(base()).exit.outcome, 'meets_standard', 'the module still works');
});
