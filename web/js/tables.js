// The report's tables, built from summary.json (as `pywebbench analyze` writes
// it) with DOM calls only: every string from a file goes in as text.
import { bytes, el, fmt, fmtCi, num, table } from './format.js';

export const unitOf = (metric) => (metric === 'req_per_s' ? 'req/s' : 'ms');

function section(title, id, ...content) {
  return el('section', { class: 'report-table', id }, el('h3', { text: title }), ...content);
}

const label = (summary, stack) => summary.stack_labels?.[stack] || stack;

/**
 * What limited the cell (analysis/README.md, "The limiter"): the most common limiter
 * over its repetitions, "(k/n)" when they disagree, "⚠ n disturbed" when foreign load
 * took ≥ 0.25 core; the mean cores per process group as the tooltip.
 */
function limiterCell(c) {
  const l = c.limiter;
  const key = `limiter:${c.stack}:${c.scenario}`;
  if (!l) return el('td', { 'data-key': key, text: '—' });
  const included = l.repetitions.filter((r) => r.included);
  const same = included.filter((r) => r.limiter === l.most_common).length;
  let text = l.most_common;
  if (same < included.length) text += ` (${same}/${included.length})`;
  if (l.disturbed.length) text += ` ⚠ ${l.disturbed.length} disturbed`;
  const u = l.mean;
  const f = (v) => (typeof v === 'number' ? v.toFixed(2) : 'none');
  const title = u
    ? `cores: server ${f(u.server_cores)}, generator ${f(u.generator_cores)}, proxy ${f(u.proxy_cores)}, others ${f(u.others_cores)}; iowait ${f(u.iowait_cores)}, steal ${f(u.steal_cores)}; generator's CPUs ${Math.round(100 * u.generator_set_busy)} % busy, server's ${Math.round(100 * u.server_set_busy)} %`
    : 'no sampler readings (Docker stats only, or a run made before the sampler)';
  return el('td', { 'data-key': key, 'data-value': l.most_common, text, title });
}

/**
 * Reproduced vs published, one table per scenario (figure). `shown`: the module's
 * cells in the view's metric (Run.shown_cells), by `stack:scenario`.
 */
export function resultsTables(summary, view, name, shown) {
  const out = [];
  const isRun = summary.source === 'run';
  for (const scenario of summary.scenarios.filter((s) => view.scenarios.has(s))) {
    const cells = summary.stacks
      .filter((s) => view.stacks.has(s))
      .map((s) => summary.cells.find((c) => c.stack === s && c.scenario === scenario))
      .filter(Boolean);
    if (cells.length === 0) continue;
    const fig = cells[0].figure;
    const mlabel = shown.get(`${cells[0].stack}:${scenario}`).label;
    const headers = ['Stack', 'Published (paper)', isRun ? `Reproduced: ${mlabel}` : mlabel,
      `${Math.round((summary.settings?.confidence ?? 0.95) * 100)} % CI`, 'Ratio to published',
      'Repetitions', 'Requests', 'Error rate', 'Limited by'];
    const rows = cells.map((c) => {
      const m = shown.get(`${c.stack}:${c.scenario}`);
      return [
        label(summary, c.stack),
        num(m.published, m.unit, `published:${c.stack}:${c.scenario}`),
        num(m.value, m.unit, `value:${c.stack}:${c.scenario}:${view.metric}`),
        el('td', { 'data-key': `ci:${c.stack}:${c.scenario}:${view.metric}`, text: fmtCi(m.ci, m.unit) }),
        num(m.ratio, 'ratio', `ratio:${c.stack}:${c.scenario}`),
        num(m.n, 'int', `n:${c.stack}:${c.scenario}`),
        num(isRun ? c.requests : null, 'int', `requests:${c.stack}:${c.scenario}`),
        el('td', { text: isRun ? fmt(100 * c.error_rate, '%') : '—' }),
        limiterCell(c),
      ];
    });
    const title = `${fig ? `Figure ${fig}: ` : ''}${scenario} — ${name}`;
    out.push(table(title, headers, rows, { id: `table-${scenario}${view.suffix || ''}`, class: 'results' }));
  }
  return section(`Reproduced vs published (${name})`, `results${view.suffix || ''}`, ...out);
}

/** ORM overhead: ORM stack vs its raw sqlite3 twin. */
export function ormTable(summary, view) {
  const rows = (summary.orm_overhead || [])
    .filter((o) => view.scenarios.has(o.scenario) && view.stacks.has(o.orm_stack) && view.stacks.has(o.raw_stack))
    .map((o) => {
      const unit = unitOf(o.metric);
      return [
        `${o.framework}: ${o.scenario}`,
        num(o.orm, unit, `orm:${o.framework}:${o.scenario}`),
        num(o.raw, unit, `raw:${o.framework}:${o.scenario}`),
        num(o.overhead_percent, '%', `overhead:${o.framework}:${o.scenario}`),
        el('td', { text: o.overhead_ci_percent ? `[${fmt(o.overhead_ci_percent.low, '%')}, ${fmt(o.overhead_ci_percent.high, '%')}]` : '—' }),
        num(o.p ?? null, 'p', `orm-p:${o.framework}:${o.scenario}`),
        el('td', { class: 'text', text: o.significant === true ? 'yes' : o.significant === false ? 'no' : '—' }),
        el('td', { class: 'text', text: o.basis }),
      ];
    });
  if (rows.length === 0) return null;
  return section('ORM overhead (ORM stack vs raw sqlite3 of the same framework)', `orm${view.suffix || ''}`,
    el('p', { class: 'note', text: 'Overhead: how much worse the ORM variant is, in percent of the raw variant (positive = the ORM costs).' }),
    table('ORM deltas', ['Framework: scenario', 'ORM', 'raw SQL', 'Overhead', 'CI of overhead', 'p', 'Significant', 'Basis'], rows));
}

/** Pairwise significance between stacks, per scenario. */
export function pairwiseTable(summary, view) {
  const rows = (summary.pairwise || [])
    .filter((p) => view.scenarios.has(p.scenario) && view.stacks.has(p.a) && view.stacks.has(p.b))
    .map((p) => [
      p.scenario,
      el('td', { class: 'text', text: `${label(summary, p.a)} vs ${label(summary, p.b)}` }),
      num(p.diff_percent, '%', `diff:${p.scenario}:${p.a}:${p.b}`),
      num(p.welch?.p ?? null, 'p', `welch:${p.scenario}:${p.a}:${p.b}`),
      num(p.hedges_g ?? null, 'g', `g:${p.scenario}:${p.a}:${p.b}`),
      num(p.mann_whitney?.p ?? null, 'p', `mw:${p.scenario}:${p.a}:${p.b}`),
      el('td', { class: 'text', text: p.significant === true ? 'yes' : p.significant === false ? 'no (~)' : '—' }),
      el('td', { class: 'text', text: p.verdict }),
    ]);
  if (rows.length === 0) return null;
  return section('Significance between stacks', `pairwise${view.suffix || ''}`,
    el('p', { class: 'note', text: `Welch's t-test over repetitions, Hedges' g, Mann–Whitney U over pooled samples; α = ${summary.settings?.alpha ?? 0.05}. "~" = no significant difference.` }),
    table('Pairwise comparisons', ['Scenario', 'Stacks (a vs b)', 'a vs b', 'Welch p', "Hedges' g", 'Mann–Whitney p', 'Significant', 'Verdict'], rows));
}

const VERDICT_TEXT = {
  holds: '✓ holds', does_not_hold: '✗ does not hold', inconclusive: '? inconclusive', not_tested: '– not tested',
};

/** The paper's claims, judged against the paper's own numbers and the run's. */
export function claimsTable(summary, view) {
  const isRun = summary.source === 'run';
  const rows = (summary.claims || []).map((c) => [
    c.id,
    el('td', { class: 'text', text: `§${c.section}` }),
    el('td', { class: 'text', text: c.text }),
    el('td', { class: 'verdict', 'data-key': `claim-paper:${c.id}`, text: VERDICT_TEXT[c.paper_verdict] || c.paper_verdict }),
    el('td', { class: 'verdict', 'data-key': `claim-run:${c.id}`, text: isRun ? (VERDICT_TEXT[c.run_verdict] || c.run_verdict || '—') : '—' }),
    el('td', { class: 'text', text: (isRun ? c.run_detail : c.paper_detail) || '' }),
  ]);
  if (rows.length === 0) return null;
  return section('The paper’s claims', `claims${view.suffix || ''}`,
    el('p', { class: 'note', text: 'Verdicts use the intervals: overlapping intervals make a comparison inconclusive. Symbols (✓ ✗ ? –) repeat the words.' }),
    table('Claim verdicts', ['Claim', 'Section', 'Claim', 'On the paper’s numbers', 'On this run', 'Numbers behind the verdict'], rows));
}

/** Host, versions, repetitions and samples of a run. */
export function hostTable(summary, view) {
  const m = summary.manifest;
  if (!m) return null;
  const h = m.host || {};
  const rows = [
    ['Run', m.run_id], ['Load generator', m.loadgen], ['Started', m.started_at], ['Ended', m.ended_at],
    ['Host', h.hostname], ['CPU', `${h.cpu_model} (${h.cores} cores)`], ['Memory', bytes(h.memory_bytes)],
    ['OS', `${h.os}, kernel ${h.kernel}`], ['Docker', h.docker_version],
    ['pywebbench', `${m.pywebbench_version}${m.git_commit ? ` (${m.git_commit})` : ''}`],
    ['Analysis', `${summary.generator}, seed ${summary.seed}`],
    ['Samples', `${summary.samples?.measured} measured, ${summary.samples?.warmup} warm-up, ${summary.samples?.excluded} excluded`],
  ];
  const parts = [table('Host and versions', ['', 'Value'], rows)];
  const stacks = Object.keys(m.packages || {}).filter((s) => view.stacks.has(s));
  if (stacks.length > 0) {
    const pkgs = [...new Set(stacks.flatMap((s) => Object.keys(m.packages[s])))].sort();
    parts.push(table('Package versions per stack', ['Package', ...stacks.map((s) => label(summary, s))],
      pkgs.map((p) => [p, ...stacks.map((s) => m.packages[s][p] ?? '—')])));
  }
  const reps = (summary.repetitions || []).filter((r) => view.stacks.has(r.stack));
  if (reps.length > 0) {
    parts.push(table('Repetitions', ['Stack', 'Repetition', 'Status', 'In the statistics', 'Samples', 'Cause'],
      reps.map((r) => [label(summary, r.stack), r.repetition, r.status, r.included ? 'yes' : 'no', r.samples, r.cause || ''])));
  }
  const res = (summary.resources || []).filter((r) => view.stacks.has(r.stack) && (view.scenarios.has(r.phase) || !summary.scenarios.includes(r.phase)));
  if (res.length > 0) {
    parts.push(table('Container resources (docker stats)', ['Stack', 'Phase', 'Readings', 'CPU mean', 'CPU peak', 'Memory mean', 'Memory peak'],
      res.map((r) => [label(summary, r.stack), r.phase, r.readings, fmt(r.cpu_mean_percent, '%'), fmt(r.cpu_peak_percent, '%'), bytes(r.mem_mean_bytes), bytes(r.mem_peak_bytes)])));
  }
  return section('Host, versions and repetitions', `host${view.suffix || ''}`, ...parts);
}

export function warningsList(summary) {
  if (!summary.warnings?.length) return null;
  return section('Warnings from the analysis', 'warnings', el('ul', {}, ...summary.warnings.map((w) => el('li', { text: w }))));
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

/** Two runs side by side (analysis::compare): the change from A to B per cell. */
export function compareTable(cmp, a, b, view) {
  const rows = (cmp.rows || [])
    .filter((r) => view.scenarios.has(r.scenario) && view.stacks.has(r.stack))
    .map((r) => {
      const unit = unitOf(r.metric);
      const key = `${r.scenario}:${r.stack}`;
      const better = r.significant === true ? (r.b_better ? 'B better' : 'A better') : r.significant === false ? '~ (no significant change)' : '—';
      return [
        r.scenario,
        el('td', { class: 'text', text: label(a.summary, r.stack) }),
        num(typeof r.a === 'number' ? r.a : null, unit, `cmp-a:${key}`),
        num(typeof r.b === 'number' ? r.b : null, unit, `cmp-b:${key}`),
        num(typeof r.delta_percent === 'number' ? r.delta_percent : null, '%', `cmp-delta:${key}`),
        el('td', { text: r.delta_ci_percent ? `[${fmt(r.delta_ci_percent.low, '%')}, ${fmt(r.delta_ci_percent.high, '%')}]` : '—' }),
        num(r.p ?? null, 'p', `cmp-p:${key}`),
        el('td', { class: 'text', text: r.test }),
        el('td', { class: 'verdict', 'data-key': `cmp-verdict:${key}`, text: better }),
      ];
    });
  return section(`Comparison: A = ${a.label}, B = ${b.label}`, 'compare',
    el('p', { class: 'note', text: `Change = (B − A) / A. Welch's t-test over repetitions (one-sample t against a published value); α = ${cmp.alpha}; "~" = no significant change. Values in each figure's metric (req/s for hello and echo, mean ms otherwise).` }),
    table('A vs B', ['Scenario', 'Stack', 'A', 'B', 'Change', `${Math.round(cmp.confidence * 100)} % CI of change`, 'p', 'Test', 'Verdict'], rows));
}
