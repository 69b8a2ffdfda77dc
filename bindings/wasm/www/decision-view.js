// Shows one decision: 识别, 退出 and 监测, each finding in Chinese with its values and citation.

import { labelZh } from './pkg/fupin.js';
import { el } from './dom.js';

const RESULT_ZH = { pass: '通过', fail: '未通过', unknown: '未知', error: '错误' };
const RISK_RESULT_ZH = { pass: '未触发', fail: '风险触发', unknown: '未知', error: '错误' };

function valueText(value) {
  if (value === null || value === undefined) return '未知';
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function findingItem(f, resultNames) {
  const values = Object.entries(f.values ?? {});
  return el('li', { className: `finding ${f.result}`, dataset: { rule: f.rule, result: f.result } },
    el('div', { className: 'finding-head' },
      el('span', { className: `badge ${f.result}` }, resultNames[f.result] ?? f.result),
      el('strong', {}, f.title_zh),
      el('code', { className: 'rule-id' }, f.rule)),
    el('p', { className: 'message' }, f.message_zh),
    values.length ? el('dl', { className: 'values' }, ...values.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, valueText(v))])) : '',
    el('p', { className: 'citation' }, '依据：', f.citation));
}

function card(title, testid, outcome, extra, findings, resultNames = RESULT_ZH) {
  return el('section', { className: `card outcome-${outcome}`, dataset: { testid } },
    el('h2', {}, title, ' ', el('span', { className: 'outcome', dataset: { testid: `${testid}-outcome`, outcome } }, labelZh('outcome', outcome))),
    ...extra,
    el('details', { open: true }, el('summary', {}, `规则明细（${findings.length} 条）`), el('ol', { className: 'findings' }, ...findings.map((f) => findingItem(f, resultNames)))));
}

const list = (kind, ids) => (ids.length ? ids.map((id) => labelZh(kind, id)).join('、') : '无');

/** Renders the decision (and the 公示 text) into `target`. */
export function showDecision(target, d, explanation) {
  const monitorOutcome = d.monitor.outcome === 'assessed' ? d.monitor.level : d.monitor.outcome;
  const chip = (title, text, cls) => el('div', { className: `verdict ${cls}` }, el('span', {}, title), el('strong', {}, text));
  target.replaceChildren(
    el('div', { className: 'verdicts', dataset: { testid: 'verdicts' } },
      chip('识别', labelZh('outcome', d.identify.outcome), `outcome-${d.identify.outcome}`),
      chip('退出', labelZh('outcome', d.exit.outcome), `outcome-${d.exit.outcome}`),
      chip('监测', d.monitor.outcome === 'assessed' ? `${labelZh('level', d.monitor.level)} · ${labelZh('category', d.monitor.category)}` : labelZh('outcome', d.monitor.outcome), `level-box-${d.monitor.level}`)),
    el('p', { className: 'summary-line' },
      `户编号 ${d.household_id}，评定年度 ${d.year}，家庭人均纯收入：`,
      el('strong', { dataset: { testid: 'per-capita-income' } }, d.per_capita_income === null ? '未知' : `${d.per_capita_income} 元`)),
    card('一、识别（建档立卡）', 'identify', d.identify.outcome, [
      el('p', {}, '致贫原因：', el('span', { dataset: { testid: 'causes' } }, list('cause', d.identify.causes)), `；评分：${d.identify.score}`),
    ], d.identify.findings),
    card('二、退出（脱贫退出）', 'exit', d.exit.outcome, [], d.exit.findings),
    card('三、监测（防返贫监测预警）', 'monitor', d.monitor.outcome, [
      el('p', {}, '风险等级：', el('strong', { className: `level-${d.monitor.level}`, dataset: { testid: 'monitor-level', level: d.monitor.level } }, labelZh('level', d.monitor.level)),
        '；监测类别：', el('strong', { dataset: { testid: 'monitor-category', category: d.monitor.category } }, labelZh('category', d.monitor.category))),
      el('p', {}, '风险因素：', list('cause', d.monitor.risks)),
      el('p', {}, '建议帮扶措施：', list('measure', d.monitor.measures)),
    ], d.monitor.findings, RISK_RESULT_ZH),
    el('details', { className: 'explanation' }, el('summary', {}, '公示文本'), el('pre', { dataset: { testid: 'explanation' } }, explanation)),
    el('p', { className: 'muted' }, `规则：${d.ruleset.name} ${d.ruleset.version}（${d.ruleset.hash}）`));
  target.dataset.monitorOutcome = monitorOutcome;
}

/** Renders an input error: the field path and what is wrong (never the value). */
export function showInputError(target, error) {
  target.replaceChildren(el('div', { className: 'error', role: 'alert', dataset: { testid: 'input-error' } },
    el('strong', {}, '输入有误，无法评定'),
    el('p', {}, '字段：', el('code', { dataset: { testid: 'input-error-path' } }, error.path || '（整个农户）')),
    el('p', {}, error.detail ?? error.message)));
}
