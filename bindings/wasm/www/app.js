// The page: one engine shared by the household form, the village dashboard and the rules
// editor. Everything runs in the browser; nothing is sent anywhere.

import { Engine, RulesError, ValidationError } from './pkg/fupin.js';
import { HouseholdForm, SAMPLE_HOUSEHOLD } from './household-form.js';
import { showDecision, showInputError } from './decision-view.js';
import { showDashboard } from './dashboard.js';

const $ = (selector) => document.querySelector(selector);

let engine = new Engine();
const defaultFiles = engine.ruleFiles();
/** Edited rule files (path → text), applied over the embedded ones. */
let editedFiles = {};
/** The last village loaded, to re-evaluate after a rule edit. */
let village = null;

function showRuleset() {
  const r = engine.ruleset;
  $('#ruleset').textContent = `${r.name} ${r.version}（${r.hash.slice(0, 19)}…）${Object.keys(editedFiles).length ? ' · 已修改' : ''}`;
}

// ---- 农户评定
const decision = $('#decision');
const form = new HouseholdForm($('#household-form'), evaluateForm);

function evaluateForm() {
  const h = form.household();
  try {
    const d = engine.evaluate(h);
    form.markInvalid(null);
    showDecision(decision, d, engine.explain(h));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    form.markInvalid(e.path);
    showInputError(decision, e);
  }
}

$('#clear-household').addEventListener('click', () => {
  form.fill({ members: [{}] });
  evaluateForm();
});
$('#sample-household').addEventListener('click', () => {
  form.fill(SAMPLE_HOUSEHOLD);
  evaluateForm();
});

// ---- 村级汇总
function evaluateVillage() {
  if (!village) return;
  try {
    const result = village.kind === 'lines'
      ? engine.evaluateVillage(village.text)
      : engine.evaluateTables(village.households, village.members);
    showDashboard($('#dashboard'), result, village.source);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    $('#dashboard').replaceChildren(Object.assign(document.createElement('div'), {
      className: 'error', role: 'alert', textContent: `文件无法读取：${e.path}：${e.detail}`,
    }));
  }
}

$('#village-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  village = { kind: 'lines', text: await file.text(), source: file.name };
  evaluateVillage();
});

$('#load-sample').addEventListener('click', async () => {
  const response = await fetch('village.jsonl');
  if (!response.ok) {
    $('#dashboard').textContent = `示例村文件无法读取（HTTP ${response.status}），请先运行 bindings/wasm/build.sh。`;
    return;
  }
  village = { kind: 'lines', text: await response.text(), source: '示例村 village.jsonl（300 户）' };
  evaluateVillage();
});

$('#load-tables').addEventListener('click', async () => {
  const [households, members] = [$('#households-csv').files[0], $('#members-csv').files[0]];
  if (!households || !members) {
    $('#dashboard').textContent = '请同时选择户表和人表两个 CSV 文件。';
    return;
  }
  village = { kind: 'tables', households: await households.text(), members: await members.text(), source: `${households.name} + ${members.name}` };
  evaluateVillage();
});

// ---- 规则与参数
const fileSelect = $('#rule-file');
const ruleText = $('#rule-text');
const status = $('#rules-status');
for (const path of Object.keys(defaultFiles)) fileSelect.add(new Option(path, path));

function currentText(path) {
  return editedFiles[path] ?? defaultFiles[path];
}

fileSelect.addEventListener('change', () => { ruleText.value = currentText(fileSelect.value); });
ruleText.addEventListener('input', () => {
  if (ruleText.value === defaultFiles[fileSelect.value]) delete editedFiles[fileSelect.value];
  else editedFiles[fileSelect.value] = ruleText.value;
  status.className = 'status';
  status.textContent = '已修改，尚未应用。';
});

$('#apply-rules').addEventListener('click', () => {
  try {
    const next = Engine.fromRules(editedFiles);
    engine.free();
    engine = next;
  } catch (e) {
    if (!(e instanceof RulesError)) throw e;
    status.className = 'status error';
    status.textContent = `规则无法加载，仍使用原规则。${e.errors.map((x) => `\n${x.file}${x.line ? ` 第 ${x.line} 行` : ''}${x.key ? `（${x.key}）` : ''}：${x.message}`).join('')}`;
    return;
  }
  status.className = 'status ok';
  status.textContent = `已应用（修改 ${Object.keys(editedFiles).length} 个文件），已重新评定。`;
  showRuleset();
  evaluateForm();
  evaluateVillage();
});

$('#reset-rules').addEventListener('click', () => {
  editedFiles = {};
  engine.free();
  engine = new Engine();
  ruleText.value = currentText(fileSelect.value);
  status.className = 'status ok';
  status.textContent = '已恢复默认规则，已重新评定。';
  showRuleset();
  evaluateForm();
  evaluateVillage();
});

// ---- tabs, offline
for (const tab of document.querySelectorAll('[role=tab]')) {
  tab.addEventListener('click', () => {
    for (const other of document.querySelectorAll('[role=tab]')) other.setAttribute('aria-selected', String(other === tab));
    for (const section of document.querySelectorAll('.tab')) section.hidden = section.id !== `tab-${tab.dataset.tab}`;
  });
}

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js').then(
    () => navigator.serviceWorker.ready.then(() => { $('#offline-status').textContent = '· 已缓存，可离线使用'; }),
    () => { $('#offline-status').textContent = '· 未能启用离线缓存'; },
  );
}

showRuleset();
ruleText.value = currentText(fileSelect.value);
form.fill(SAMPLE_HOUSEHOLD);
evaluateForm();
document.body.dataset.ready = 'true';
