// The page in a real browser (Debian's chromium, headless, driven by playwright-core): fill a
// household and check the decisions shown against the native CLI, load the sample village and
// check the dashboard against `fupin summary`, edit a rule, load the 户表+人表 pair, and reload
// the page offline. Screenshots go to target/web-artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { labelZh } from '../../pkg/fupin.js';
import { fupin, repo, village } from '../paths.js';
import { serve } from '../static-server.js';

const artifacts = path.join(repo, 'target/web-artifacts');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
let server;
let browser;
let context;
let page;
const pageErrors = [];

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  server = await serve(path.join(repo, 'bindings/wasm/www'));
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready=true]');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The household the test types in, as the contract writes it. */
const typed = {
  id: 'E2E-0001', year: 2024, region: { code: '150526100201' },
  members: [
    { relation: 'head', age: 58, health: 'serious_illness', labor_ability: 'lost', medical_insurance: true, public_employee: false, village_cadre: false },
    { relation: 'spouse', age: 55, health: 'healthy', labor_ability: 'ordinary', medical_insurance: true, public_employee: false, village_cadre: false },
  ],
  income: { wage: '9000', pension: '1200' },
  expenses: { medical_out_of_pocket: '26000' },
  food_secure: true, clothing_secure: true,
  housing: { safety_grade: 'C' },
  status: { registered_poor: false, prior_year_income_per_capita: '9800' },
  events: [{ kind: 'illness', date: '2024-03-10', amount: '30000' }],
};

/** The CLI's decision for a household (written to a temporary file). */
function cliDecision(household) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-e2e-')), 'h.json');
  fs.writeFileSync(file, JSON.stringify(household));
  return JSON.parse(fupin('eval', file));
}

const field = (p) => page.locator(`[data-path="${p}"]`);

test('typing a household shows the CLI\'s 识别 / 退出 / 监测 decisions with every finding', async () => {
  await page.click('[data-testid=clear-household]');
  await field('id').fill(typed.id);
  await field('year').fill(String(typed.year));
  await field('region.code').fill(typed.region.code);
  await field('income.wage').fill(typed.income.wage);
  await field('income.pension').fill(typed.income.pension);
  await field('expenses.medical_out_of_pocket').fill(typed.expenses.medical_out_of_pocket);
  await field('food_secure').selectOption('true');
  await field('clothing_secure').selectOption('true');
  await field('housing.safety_grade').selectOption('C');
  await field('status.registered_poor').selectOption('false');
  await field('status.prior_year_income_per_capita').fill(typed.status.prior_year_income_per_capita);
  await page.click('[data-testid=add-member]');
  for (const [i, m] of typed.members.entries()) {
    await field(`members[${i}].relation`).selectOption(m.relation);
    await field(`members[${i}].age`).fill(String(m.age));
    await field(`members[${i}].health`).selectOption(m.health);
    await field(`members[${i}].labor_ability`).selectOption(m.labor_ability);
    await field(`members[${i}].medical_insurance`).selectOption('true');
    await field(`members[${i}].public_employee`).selectOption('false');
    await field(`members[${i}].village_cadre`).selectOption('false');
  }
  await page.click('[data-testid=add-event]');
  await field('events[0].kind').selectOption('illness');
  await field('events[0].date').fill('2024-03-10');
  await field('events[0].amount').fill('30000');

  const d = cliDecision(typed);
  await page.waitForFunction((id) => document.querySelector('[data-testid=decision]')?.textContent.includes(id), typed.id);
  const text = (id) => page.textContent(`[data-testid=${id}]`);
  assert.equal(await text('identify-outcome'), labelZh('outcome', d.identify.outcome));
  assert.equal(await text('exit-outcome'), labelZh('outcome', d.exit.outcome));
  assert.equal(await text('monitor-level'), labelZh('level', d.monitor.level));
  assert.equal(await text('monitor-category'), labelZh('category', d.monitor.category));
  assert.equal(await text('per-capita-income'), `${d.per_capita_income} 元`);
  assert.notEqual(d.monitor.level, 'none', 'the typed household is at risk, so the monitor card has something to show');
  for (const set of ['identify', 'exit', 'monitor']) {
    const shown = await page.locator(`[data-testid=${set}] li.finding`).evaluateAll((items) => items.map((li) => [li.dataset.rule, li.dataset.result, li.querySelector('.message').textContent, li.querySelector('.citation').textContent]));
    assert.deepEqual(shown, d[set].findings.map((f) => [f.rule, f.result, f.message_zh, `依据：${f.citation}`]), `${set} findings`);
  }
  const verdicts = await page.locator('[data-testid=verdicts] strong').allTextContents();
  assert.deepEqual(verdicts.slice(0, 2), [labelZh('outcome', d.identify.outcome), labelZh('outcome', d.exit.outcome)]);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, 'household-decision.png') });
});

test('a bad value names its field and the decision comes back once it is fixed', async () => {
  await field('members[1].age').fill('五十五');
  await page.waitForSelector('[data-testid=input-error]');
  assert.equal(await page.textContent('[data-testid=input-error-path]'), 'members[1].age');
  assert.ok(await field('members[1].age').evaluate((e) => e.classList.contains('invalid')));
  await field('members[1].age').fill('55');
  await page.waitForSelector('[data-testid=identify-outcome]');
  assert.equal(await page.locator('.invalid').count(), 0);
});

/** `识别：符合识别条件（拟纳入建档立卡） 7，不符合识别条件 287` → {label: count}. */
function counts(report, title) {
  const line = report.split('\n').find((l) => l.startsWith(`${title}：`));
  assert.ok(line, `the CLI report has a ${title} line`);
  return Object.fromEntries(line.slice(title.length + 1).split('，').map((item) => {
    const at = item.lastIndexOf(' ');
    return [item.slice(0, at), Number(item.slice(at + 1))];
  }));
}

/** The non-zero bars of a chart, {label: value}. */
async function bars(testid) {
  const pairs = await page.locator(`[data-testid=${testid}] g[data-label]`).evaluateAll((gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.value)]));
  return Object.fromEntries(pairs.filter(([, n]) => n > 0));
}

test('the sample village dashboard shows the numbers of `fupin summary`', async () => {
  const report = fupin('summary', village);
  await page.click('[data-tab=village]');
  await page.setInputFiles('[data-testid=village-file]', village);
  await page.waitForSelector('[data-testid=stat-households]');
  const [, households, population, errors] = report.match(/户数 (\d+)，人口 (\d+)，输入错误 (\d+) 行/);
  assert.equal(await page.textContent('[data-testid=stat-households]'), households);
  assert.equal(await page.textContent('[data-testid=stat-population]'), population);
  assert.equal(await page.textContent('[data-testid=stat-errors]'), errors);
  assert.equal(await page.textContent('[data-testid=stat-rate]'), report.match(/贫困发生率[^：]*：([\d.]+%)/)[1]);
  assert.deepEqual(await bars('chart-identify'), counts(report, '识别'));
  assert.deepEqual(await bars('chart-exit'), counts(report, '退出'));
  assert.deepEqual(await bars('chart-levels'), counts(report, '风险等级'));
  assert.deepEqual(await bars('chart-categories'), counts(report, '监测类别'));
  const causes = report.match(/主要致贫原因[^：]*：(.*)/)[1];
  assert.deepEqual(await bars('chart-causes'), Object.fromEntries(causes.split('，').map((c) => [c.split(' ')[0], Number(c.split(' ')[1])])));
  const cliHighRisk = report.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
  const shownHighRisk = await page.locator('[data-testid=high-risk-list] tbody tr td:nth-child(2)').allTextContents();
  assert.ok(cliHighRisk.length > 0);
  assert.deepEqual(shownHighRisk, cliHighRisk);
  assert.equal(await page.textContent('[data-testid=summary-report]'), report);
  const listText = await page.textContent('[data-testid=warning-report]');
  for (const line of fs.readFileSync(village, 'utf8').trim().split('\n').slice(0, 50)) {
    for (const m of JSON.parse(line).members) for (const pii of [m.name, m.id_number, m.phone]) if (pii) assert.ok(!listText.includes(pii));
  }
  await page.screenshot({ path: path.join(artifacts, 'village-dashboard.png'), fullPage: true });

  // Printing the list shows the list only (what 打印清单 does around window.print()).
  await page.evaluate(() => document.body.classList.add('print-report'));
  await page.emulateMedia({ media: 'print' });
  try {
    assert.ok(await page.locator('[data-testid=high-risk-list]').isVisible());
    for (const hidden of ['chart-identify', 'stat-households', 'household-form', 'print-report']) {
      assert.ok(!(await page.locator(`[data-testid=${hidden}]`).isVisible()), `${hidden} is not printed`);
    }
    await page.screenshot({ path: path.join(artifacts, 'warning-report-print.png'), fullPage: true });
  } finally {
    await page.emulateMedia({ media: 'screen' });
    await page.evaluate(() => document.body.classList.remove('print-report'));
  }
});

test('the 户表+人表 CSV pair loads with its row errors listed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-e2e-'));
  const households = path.join(dir, '户表.csv');
  const members = path.join(dir, '人表.csv');
  fs.writeFileSync(households, '户编号,年度,行政区划代码,工资性收入,不愁吃,不愁穿,房屋安全等级\nT-1,2024,150526100201,2000,是,是,A\nT-2,2024,150526100201,abc,是,是,A\n');
  fs.writeFileSync(members, '户编号,与户主关系,年龄,参加基本医疗保险,姓名\nT-1,head,45,是,张三\nT-2,head,50,是,李四\n');
  await page.setInputFiles('[data-testid=households-csv]', households);
  await page.setInputFiles('[data-testid=members-csv]', members);
  await page.click('[data-testid=load-tables]');
  await page.waitForFunction(() => document.querySelector('[data-testid=dashboard]')?.textContent.includes('户表.csv'));
  assert.equal(await page.textContent('[data-testid=stat-households]'), '1');
  assert.equal(await page.textContent('[data-testid=stat-errors]'), '1');
  const errorRow = await page.locator('[data-testid=error-list] tbody tr td').allTextContents();
  assert.deepEqual(errorRow.slice(1, 3), ['T-2', 'income.wage']);
  const dashboard = await page.textContent('[data-testid=dashboard]');
  assert.ok(!dashboard.includes('张三') && !dashboard.includes('李四'), 'names never shown');
});

test('an edited rule re-evaluates the household; a broken one is refused with file and line', async () => {
  await page.click('[data-tab=household]');
  await page.click('[data-testid=sample-household]');
  assert.equal(await page.textContent('[data-testid=exit-outcome]'), labelZh('outcome', 'not_met'));
  await page.click('[data-tab=rules]');
  await page.selectOption('[data-testid=rule-file]', 'params/national.toml');
  const params = await page.inputValue('[data-testid=rule-text]');
  assert.ok(params.includes('[poverty_line]'));
  await page.selectOption('[data-testid=rule-file]', 'exit.rhai');
  const script = await page.inputValue('[data-testid=rule-text]');
  await page.fill('[data-testid=rule-text]', script.replace('fn rules() {', 'fn rules( {'));
  await page.click('[data-testid=apply-rules]');
  const refused = await page.textContent('[data-testid=rules-status]');
  assert.match(refused, /exit\.rhai 第 \d+ 行/);
  const original = await page.textContent('[data-testid=ruleset]');
  assert.ok(!original.includes('已修改'), 'the old rules stay in use');

  // Make 饮水安全 always pass and 住房/收入 irrelevant: the exit outcome changes with the script.
  const edited = script.replace(/fn income\(h, p\) \{/, 'fn income(h, p) {\n    return pass(#{ edited: true }, "编辑后的规则：收入视为达标", "edited: income passes");');
  await page.fill('[data-testid=rule-text]', edited);
  await page.click('[data-testid=apply-rules]');
  assert.match(await page.textContent('[data-testid=rules-status]'), /已应用/);
  assert.match(await page.textContent('[data-testid=ruleset]'), /已修改/);
  await page.click('[data-tab=household]');
  const income = page.locator('[data-testid=exit] li[data-rule="exit.income"]');
  assert.equal(await income.getAttribute('data-result'), 'pass');
  assert.equal(await income.locator('.message').textContent(), '编辑后的规则：收入视为达标');
  await page.click('[data-tab=rules]');
  await page.click('[data-testid=reset-rules]');
  await page.click('[data-tab=household]');
  assert.equal(await page.locator('[data-testid=exit] li[data-rule="exit.income"]').getAttribute('data-result'), 'fail');
});

test('once loaded, the page works offline', async () => {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null || document.querySelector('#offline-status').textContent.includes('已缓存'));
  await page.evaluate(() => navigator.serviceWorker.ready);
  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.textContent('[data-testid=identify-outcome]'), labelZh('outcome', 'eligible'));
    await page.click('[data-tab=village]');
    await page.click('[data-testid=load-sample]');
    await page.waitForSelector('[data-testid=stat-households]');
    assert.equal(await page.textContent('[data-testid=stat-households]'), '300');
  } finally {
    await context.setOffline(false);
  }
});

test('no script errors on the page', () => {
  assert.deepEqual(pageErrors, []);
});
