// Inline SVG charts (no library, nothing fetched): horizontal bars and a rate bar.

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A horizontal bar chart of `[label, count]` entries, e.g. households by outcome.
 * Each bar carries `data-label` and `data-value` so tests and screen readers can read it.
 */
export function barChart(title, entries, testid) {
  const row = 26;
  const labelWidth = 230;
  const barWidth = 240;
  const height = 30 + row * Math.max(entries.length, 1);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const chart = svg('svg', { viewBox: `0 0 ${labelWidth + barWidth + 60} ${height}`, role: 'img', 'aria-label': title, class: 'chart', 'data-testid': testid });
  chart.append(svg('text', { x: 0, y: 16, class: 'chart-title' }, title));
  if (entries.length === 0) chart.append(svg('text', { x: 0, y: 42, class: 'chart-label' }, '无'));
  entries.forEach(([label, n], i) => {
    const y = 26 + i * row;
    const g = svg('g', { 'data-label': label, 'data-value': n });
    g.append(
      svg('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, label),
      svg('rect', { x: labelWidth, y: y + 3, width: Math.max(1, (barWidth * n) / max), height: row - 8, class: `bar bar-${i % 6}` }),
      svg('text', { x: labelWidth + (barWidth * n) / max + 6, y: y + 15, class: 'chart-value' }, String(n)),
    );
    chart.append(g);
  });
  return chart;
}

/** 贫困发生率 as a bar against 100 %, with the 3 % (西部) and 2 % (中部) exit thresholds marked. */
export function rateBar(title, pct, testid) {
  const width = 470;
  const scale = (p) => (width * Math.min(p, 10)) / 10; // 0–10 % fills the bar; higher rates are clipped
  const chart = svg('svg', { viewBox: `0 0 ${width} 78`, role: 'img', 'aria-label': `${title} ${pct}%`, class: 'chart', 'data-testid': testid });
  chart.append(
    svg('text', { x: 0, y: 16, class: 'chart-title' }, `${title}：${pct}%`),
    svg('rect', { x: 0, y: 26, width, height: 18, class: 'track' }),
    svg('rect', { x: 0, y: 26, width: Math.max(1, scale(Number(pct))), height: 18, class: 'bar bar-3' }),
  );
  for (const [p, label] of [[2, '2%'], [3, '3%（西部）']]) {
    chart.append(svg('line', { x1: scale(p), x2: scale(p), y1: 22, y2: 48, class: 'mark' }), svg('text', { x: scale(p) + 3, y: 62, class: 'chart-label' }, label));
  }
  chart.append(svg('text', { x: width, y: 76, 'text-anchor': 'end', class: 'chart-label' }, '刻度 0–10%'));
  return chart;
}
