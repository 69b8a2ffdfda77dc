// The village dashboard: key figures, charts, input errors and the printable list of
// households needing a 《返贫致贫风险预警报告》 (by 户编号 only — no names or ID numbers).

import { labelZh } from './pkg/fupin.js';
import { barChart, rateBar } from './charts.js';
import { el } from './dom.js';

const ORDER = {
  identify: ['eligible', 'ineligible', 'needs_review'],
  exit: ['meets_standard', 'not_met', 'needs_review'],
  levels: ['high', 'medium', 'low', 'none'],
  categories: ['unstable', 'marginal', 'sudden_hardship', 'none'],
};

/** `[Chinese label, count]` in a fixed order (zeros kept, so villages compare at a glance). */
function entries(counts, order, kind) {
  const keys = [...order, ...Object.keys(counts).filter((k) => !order.includes(k))];
  return keys.map((k) => [labelZh(kind, k), counts[k] ?? 0]);
}

function stat(label, value, testid) {
  return el('div', { className: 'stat' }, el('span', { className: 'stat-label' }, label), el('strong', { dataset: { testid } }, value));
}

function table(headers, rows, testid) {
  return el('table', { className: 'list', dataset: { testid } },
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))));
}

/** Renders a village result (`Engine.evaluateVillage` / `evaluateTables`) into `target`. */
export function showDashboard(target, result, source) {
  const s = result.summary;
  const highRisk = result.rows.filter((r) => r.decision && r.decision.monitor.level === 'high');
  const errors = [
    ...result.rows.filter((r) => r.error).map((r) => [`户表/文件第 ${r.row} 行`, r.household_id ?? '—', r.error.path || '（整行）', r.error.message]),
    ...result.member_errors.map((e) => [`人表第 ${e.row} 行`, '—', e.path, e.message]),
  ];
  const printReport = () => {
    document.body.classList.add('print-report');
    window.print();
    document.body.classList.remove('print-report');
  };
  target.replaceChildren(
    el('p', { className: 'muted' }, `数据：${source}`),
    el('div', { className: 'stats' },
      stat('户数', s.households, 'stat-households'),
      stat('人口', s.population, 'stat-population'),
      stat('贫困发生率', `${s.poverty_rate_pct}%`, 'stat-rate'),
      stat('高风险户', s.high_risk.length, 'stat-high-risk'),
      stat('输入错误', s.errors, 'stat-errors')),
    el('p', { className: 'muted' }, '贫困发生率 = 识别为符合条件的农户人口 / 总人口。'),
    el('div', { className: 'charts' },
      barChart('识别结果（户）', entries(s.identify, ORDER.identify, 'outcome'), 'chart-identify'),
      barChart('退出结果（户）', entries(s.exit, ORDER.exit, 'outcome'), 'chart-exit'),
      rateBar('贫困发生率', s.poverty_rate_pct, 'chart-rate'),
      barChart('主要致贫原因（符合识别条件户的首要原因，户）', s.top_causes.map(([c, n]) => [labelZh('cause', c), n]), 'chart-causes'),
      barChart('风险等级（户）', entries(s.levels, ORDER.levels, 'level'), 'chart-levels'),
      barChart('监测类别（户）', entries(s.categories, ORDER.categories, 'category'), 'chart-categories')),
    errors.length
      ? el('section', { className: 'errors' }, el('h2', {}, `输入错误（${errors.length}）`), table(['位置', '户编号', '字段', '问题'], errors, 'error-list'))
      : '',
    el('section', { className: 'report', dataset: { testid: 'warning-report' } },
      el('div', { className: 'report-head' },
        el('h2', {}, `需出具《返贫致贫风险预警报告》的农户（高风险，${highRisk.length} 户）`),
        el('button', { type: 'button', className: 'no-print', onclick: printReport, dataset: { testid: 'print-report' } }, '打印清单')),
      el('p', { className: 'muted' }, `规则：${s.report.split('\n')[0].replace(/^规则：/, '')}`),
      table(['序号', '户编号', '监测类别', '风险因素', '建议帮扶措施'], highRisk.map((r, i) => [
        String(i + 1),
        r.household_id,
        labelZh('category', r.decision.monitor.category),
        r.decision.monitor.risks.map((x) => labelZh('cause', x)).join('、') || '收入低于标准',
        r.decision.monitor.measures.map((x) => labelZh('measure', x)).join('、') || '—',
      ]), 'high-risk-list')),
    el('details', { className: 'no-print' }, el('summary', {}, '文本报告（与命令行 fupin summary 相同）'), el('pre', { dataset: { testid: 'summary-report' } }, s.report)));
}
