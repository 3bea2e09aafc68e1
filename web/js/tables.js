// The report's tables as the analysis module makes them (analysis::viewtables: the
// metric chosen, the view applied, every number formatted), turned into DOM with
// text only; plus the warnings list and the CSV download of summary.json's cells.
import { el, table } from './format.js';

function section(title, id, ...content) {
  return el('section', { class: 'report-table', id }, el('h3', { text: title }), ...content);
}

/**
 * The module's tables (analysis::viewtables: sections of plain tables, numbers already
 * formatted) as DOM: every string goes in as text; a cell's mark gives its data-key,
 * data-value (the exact value), tooltip and class.
 */
export function sections(list) {
  return list.map((s) => el('section', { class: 'report-table', id: s.id },
    el('h3', { text: s.title }),
    s.note ? el('p', { class: 'note', text: s.note }) : null,
    ...s.tables.map(viewTable)));
}

function viewTable(t) {
  const rows = t.table.rows.map((row, i) => row.map((text, k) => {
    const mark = t.marks[i]?.[k] || {};
    const head = k === 0;
    return el(head ? 'th' : 'td', {
      scope: head ? 'row' : undefined, class: mark.class, title: mark.title,
      'data-key': mark.key, 'data-value': mark.value, 'data-label': t.table.headers[k], text,
    });
  }));
  return table(t.table.caption, t.table.headers, rows, { id: t.id, class: t.class });
}

export function warningsList(summary) {
  if (!summary.warnings?.length) return null;
  return section('Warnings from the analysis', 'warnings', el('ul', {}, ...summary.warnings.map((w) => el('li', { text: w }))));
}

const csvField = (v) => {
  if (v === null || v === undefined) return '';
  // Text from files that a spreadsheet would run as a formula gets a leading apostrophe.
  // (A signed number such as +1.2% stays as it is.)
  const s = typeof v === 'string' && /^([=@\t\r]|[+-](?![\d.]))/.test(v) ? `'${v}` : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV of a section's tables as the module wrote them (headers, then each row's text). */
export function sectionCsv(section) {
  const lines = [];
  for (const t of section.tables) {
    lines.push(t.table.headers.map(csvField).join(','));
    for (const row of t.table.rows) lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** CSV of the cells: one row per stack × scenario with every statistic. */
export function summaryCsv(summary) {
  const cols = ['stack', 'scenario', 'figure', 'metric', 'value', 'ci_low', 'ci_high', 'ci_method', 'published',
    'ratio_to_published', 'requests', 'errors', 'error_rate', 'repetitions', 'req_per_s', 'mean_ms', 'median_ms',
    'p90_ms', 'p95_ms', 'p99_ms', 'max_ms', 'limiter', 'disturbed_repetitions'];
  const q = (v) => {
    if (v === null || v === undefined) return '';
    // Text from files that a spreadsheet would run as a formula gets a leading apostrophe.
    const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.join(',')];
  for (const c of summary.cells) {
    const d = c.detail || {};
    lines.push([c.stack, c.scenario, c.figure, c.metric, c.estimate?.value, c.estimate?.ci?.low, c.estimate?.ci?.high,
      c.ci_method, c.published, c.ratio_to_published, c.requests, c.errors, c.error_rate, d.included_repetitions,
      d.req_per_s?.mean, d.mean_ms?.mean, d.median_ms?.mean, d.p90_ms?.mean, d.p95_ms?.mean, d.p99_ms?.mean,
      d.max_ms?.mean, c.limiter?.most_common, c.limiter?.disturbed?.join(' ')].map(q).join(','));
  }
  return `${lines.join('\n')}\n`;
}
