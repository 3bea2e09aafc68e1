// The viewer: loads the analysis module (Rust → wasm32), the paper's data and the
// published run(s), and shows figures and tables for the view in the URL hash.
// All numbers come from the analysis module; this file only arranges them.
import { RunRef, call, ready } from './wasm.js';
import { download, sanitizeSvg, svgText, svgToPng } from './svg.js';
import { InputError, filesFromDrop, readRunFiles } from './files.js';
import { el } from './format.js';
import * as T from './tables.js';
import { withBars } from './bars.js';
import { initProfiles } from './profiles.js';

const $ = (id) => document.getElementById(id);
const FIGURES = [1, 2, 3, 4, 5, 6, 7];
const ORM_MODES = ['all', 'orm', 'raw'];
const t0 = performance.now();

/** Everything loaded so far: runs by key ('paper', 'ref:<id>', 'local:<n>'). */
const store = {
  index: { runs: [], paper: [] },
  published: '',
  claims: '',
  runs: new Map(),
  localCount: 0,
  /** The metric menu, from the analysis module: [{ key, label, unit }]. */
  metrics: [],
};

/** The view; mirrored in the URL hash. `stacks`/`scenarios` null = all. */
let state = {
  run: 'paper', cmp: '', stacks: null, scenarios: null, orm: 'all', metric: 'paper', fig: null,
};
let firstView = null;

// ---- status and errors ------------------------------------------------------

function setStatus(text) {
  const p = $('loading');
  p.textContent = text;
  p.hidden = !text;
}

function showError(message) {
  const box = $('error');
  box.replaceChildren(el('p', { text: message }));
  box.hidden = false;
  document.body.dataset.error = message;
  setStatus('');
}

function clearError() {
  $('error').hidden = true;
  $('error').replaceChildren();
  delete document.body.dataset.error;
}

/** Let the browser paint (e.g. "Analysing…") before a long synchronous wasm call. */
const paint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

// ---- the URL hash ---------------------------------------------------------------

function readHash() {
  const p = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const list = (k) => (p.has(k) ? p.get(k).split(',').filter(Boolean) : null);
  const s = { ...state };
  if (p.has('run')) s.run = p.get('run');
  s.cmp = p.get('cmp') || '';
  s.stacks = list('stacks');
  s.scenarios = list('scenarios');
  s.orm = ORM_MODES.includes(p.get('orm')) ? p.get('orm') : 'all';
  s.metric = store.metrics.some((m) => m.key === p.get('metric')) ? p.get('metric') : 'paper';
  const fig = Number.parseInt(p.get('fig') || '', 10);
  s.fig = FIGURES.includes(fig) ? fig : null;
  return s;
}

function hashOf(s) {
  const p = new URLSearchParams();
  p.set('run', s.run);
  if (s.cmp) p.set('cmp', s.cmp);
  if (s.stacks) p.set('stacks', s.stacks.join(','));
  if (s.scenarios) p.set('scenarios', s.scenarios.join(','));
  if (s.orm !== 'all') p.set('orm', s.orm);
  if (s.metric !== 'paper') p.set('metric', s.metric);
  if (s.fig) p.set('fig', String(s.fig));
  return `#${p.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}`;
}

function writeHash() {
  const h = hashOf(state);
  if (window.location.hash !== h) history.replaceState(null, '', h);
  const link = $('permalink');
  link.href = h;
  link.dataset.hash = h;
}

// ---- loading runs -----------------------------------------------------------------

async function fetchBytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path} could not be loaded (HTTP ${r.status}); rebuild the site with \`just web\``);
  return new Uint8Array(await r.arrayBuffer());
}

/** Several files' bytes one after another, with their lengths (what Run.analyze takes). */
function packFiles(files) {
  if (files.length === 1) return { bytes: files[0], lengths: new Uint32Array([files[0].length]) };
  const lengths = new Uint32Array(files.map((f) => f.length));
  const bytes = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const f of files) { bytes.set(f, at); at += f.length; }
  return { bytes, lengths };
}

/** A loaded run: `ref` is the module's Run (parsed once), `summary` its JSON for the page's raw fields. */
function addRun(key, label, ref, origin) {
  const run = { key, label, ref, json: ref.json, summary: JSON.parse(ref.json), origin };
  store.runs.set(key, run);
  return run;
}

/** The run for a key, loading (and analysing) it on first use. */
async function getRun(key, quiet = false) {
  if (store.runs.has(key)) return store.runs.get(key);
  if (key === 'paper') {
    return addRun('paper', 'The paper (published numbers only)',
      await RunRef.create('paper', store.published, store.claims), 'the paper’s published numbers (paper/published.toml)');
  }
  const ref = store.index.runs.find((r) => `ref:${r.id}` === key);
  if (ref) {
    if (ref.files.summary) {
      if (!quiet) setStatus(`Loading the published run ${ref.id}…`);
      const run = await RunRef.create('from_summary', await fetchBytes(ref.files.summary));
      if (ref.files.sweep) await run.setSweep(await fetchBytes(ref.files.sweep));
      return addRun(key, `Published run ${ref.id}`, run,
        'its summary.json, computed by pywebbench analyze from the same samples (use “Re-analyse in this page” to recompute it here)');
    }
    return analyseReference(ref);
  }
  return null;
}

async function analyseReference(ref) {
  setStatus(`Analysing the published run ${ref.id} in this page…`);
  const t = [performance.now()];
  // `files.samples`: the run's samples/<stack>.parquet (a list), or one samples.parquet.
  const samplePaths = [].concat(ref.files.samples);
  const [samples, resources, manifest] = await Promise.all([
    Promise.all(samplePaths.map(fetchBytes)),
    ref.files.resources ? fetchBytes(ref.files.resources) : null,
    fetchBytes(ref.files.manifest),
  ]);
  t.push(performance.now());
  await paint();
  t.push(performance.now());
  const packed = packFiles(samples);
  const run = await RunRef.create('analyze', packed.bytes, packed.lengths, resources, manifest, store.published, store.claims);
  t.push(performance.now());
  // For `just bench-web`: where the time of the last re-analysis went (ms).
  window.pywebbench.analysis = { fetch: t[1] - t[0], paint: t[2] - t[1], analyse: t[3] - t[2] };
  if (ref.files.sweep) await run.setSweep(await fetchBytes(ref.files.sweep));
  return addRun(`ref:${ref.id}`, `Published run ${ref.id}`, run, 'its raw samples, analysed in this page');
}

async function openFiles(files) {
  clearError();
  try {
    const f = await readRunFiles(files);
    setStatus(`Analysing ${f.name} in this page (nothing is uploaded)…`);
    await paint();
    const packed = packFiles(f.samples);
    const ref = await RunRef.create('analyze', packed.bytes, packed.lengths, f.resources, f.manifest, store.published, store.claims);
    if (f.sweep) await ref.setSweep(f.sweep);
    store.localCount += 1;
    const key = `local:${store.localCount}`;
    const run = addRun(key, '', ref, 'files you opened, analysed in this page');
    run.label = `Your run ${run.summary.manifest?.run_id ?? ''} (from your files, #${store.localCount})`;
    state.run = key;
    await render();
  } catch (e) {
    showError(e instanceof InputError ? e.message : (e?.message || String(e)));
  } finally {
    $('files').value = '';
  }
}

// ---- controls -------------------------------------------------------------------------

function fillRunSelects() {
  const options = [['paper', 'The paper (published numbers only)'],
    ...store.index.runs.map((r) => [`ref:${r.id}`, `Published run ${r.id}`]),
    ...[...store.runs.values()].filter((r) => r.key.startsWith('local:')).map((r) => [r.key, r.label])];
  for (const [id, withNone] of [['run-a', false], ['run-b', true]]) {
    const sel = $(id);
    const opts = withNone ? [['', '(nothing)'], ...options] : options;
    const same = sel.options.length === opts.length && opts.every(([v, t], k) => sel.options[k].value === v && sel.options[k].text === t);
    if (!same) sel.replaceChildren(...opts.map(([v, t]) => el('option', { value: v, text: t })));
    sel.value = id === 'run-a' ? state.run : state.cmp;
  }
}

function checkboxes(fieldsetId, name, items, selected, labelOf) {
  const fs = $(fieldsetId);
  const existing = [...fs.querySelectorAll('input')];
  if (existing.length === items.length && existing.every((i, k) => i.value === items[k])) {
    // Same choices: only update the ticks, so keyboard focus stays where it is.
    for (const i of existing) i.checked = !selected || selected.includes(i.value);
    return;
  }
  const legend = fs.querySelector('legend');
  fs.replaceChildren(legend, ...items.map((it) => {
    const input = el('input', { type: 'checkbox', name, value: it });
    input.checked = !selected || selected.includes(it);
    return el('label', {}, input, ` ${labelOf(it)}`);
  }));
}

/** What the loaded summaries say of each stack (`stack_info`: stacks/<stack>/stack.toml). */
const stackInfo = (runs) => Object.assign({}, ...runs.map((r) => r.summary.stack_info || {}));

/** Whether a stack uses raw SQL (its registry entry's data_access); unknown stacks count as ORM. */
const isRaw = (info, stack) => info[stack]?.data_access === 'raw';

function fillFilters(runs) {
  const stacks = [...new Set(runs.flatMap((r) => r.summary.stacks))];
  const scenarios = [...new Set(runs.flatMap((r) => r.summary.scenarios))];
  const info = stackInfo(runs);
  checkboxes('f-stacks', 'stack', stacks, state.stacks, (s) => `${info[s]?.label || s}${isRaw(info, s) ? ' (raw SQL)' : ' (ORM)'}`);
  checkboxes('f-scenarios', 'scenario', scenarios, state.scenarios, (s) => s);
  // The data-access filter greys out the stacks it hides (their own tick is kept).
  for (const i of document.querySelectorAll('input[name=stack]')) {
    i.disabled = state.orm !== 'all' && (state.orm === 'raw') !== isRaw(info, i.value);
  }
  for (const r of document.querySelectorAll('input[name=orm]')) r.checked = r.value === state.orm;
  const menu = $('metric');
  if (menu.options.length !== store.metrics.length) {
    menu.replaceChildren(...store.metrics.map((m) => el('option', { value: m.key, text: m.label })));
  }
  menu.value = state.metric;
  return { stacks, scenarios, info };
}

function readFilters(all) {
  const checked = (name) => [...document.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
  const stacks = checked('stack');
  const scenarios = checked('scenario');
  state.stacks = stacks.length === all.stacks.length ? null : stacks;
  state.scenarios = scenarios.length === all.scenarios.length ? null : scenarios;
  state.orm = document.querySelector('input[name=orm]:checked')?.value || 'all';
  state.metric = $('metric').value;
}

/** The effective view: sets of stacks and scenarios after all filters; `json` is what the module draws. */
function viewOf(all) {
  const stacks = (state.stacks || all.stacks).filter((s) => state.orm === 'all' || (state.orm === 'raw') === isRaw(all.info, s));
  const scenarios = state.scenarios || all.scenarios;
  const spec = { stacks, scenarios, metric: state.metric };
  return { stacks: new Set(stacks), scenarios: new Set(scenarios), metric: state.metric, spec, json: JSON.stringify(spec) };
}

// ---- figures ----------------------------------------------------------------------------------

/** The figures of the last render, for the dialog: n → { title, scenario, plots: [{ run, fig, alt }] }. */
let drawn = new Map();

/** One figure's SVG and bars for a run under the view (from the module), with its text alternative. */
async function drawFigure(run, n, view) {
  const fig = JSON.parse(await run.ref.call('figure_with_bars', n, view.json));
  const alt = `Figure ${n} (${run.label}): ${await run.ref.call('figure_alt', n, view.json)}`;
  return { run, fig, alt };
}

function svgOf(plot) {
  const svg = sanitizeSvg(plot.fig.svg);
  svg.setAttribute('aria-label', plot.alt);
  return svg;
}

/** The overview's small multiples: each figure a button that opens it large. */
async function renderFigures(a, b, view) {
  const list = $('figure-list');
  const figures = [];
  drawn = new Map();
  for (const n of FIGURES) {
    const scenario = a.summary.cells.find((c) => c.figure === n)?.scenario
      ?? b?.summary.cells.find((c) => c.figure === n)?.scenario;
    if (!scenario || !view.scenarios.has(scenario)) continue;
    const plots = [];
    const entry = { scenario, plots: [] };
    for (const run of b ? [a, b] : [a]) {
      const plot = el('div', { class: 'plot' });
      if (b) plot.append(el('p', { class: 'plot-label', text: run === a ? `A: ${run.label}` : `B: ${run.label}` }));
      if (run.summary.cells.some((c) => c.figure === n)) {
        const d = await drawFigure(run, n, view);
        entry.plots.push(d);
        plot.append(svgOf(d));
      } else plot.append(el('p', { class: 'note', text: 'This run has no data for this figure.' }));
      plots.push(plot);
    }
    entry.title = `Figure ${n}: ${await a.ref.call('figure_heading', n, view.json)}`;
    drawn.set(n, entry);
    // The small figure is the button's picture only; its name (and the values, for a
    // screen reader) is the hidden text, which is what the button says.
    for (const svg of plots.flatMap((p) => [...p.querySelectorAll('svg')])) svg.setAttribute('aria-hidden', 'true');
    const open = el('button', { type: 'button', class: 'open-figure', 'data-open': n },
      el('span', { class: 'visually-hidden', text: `Open ${entry.title} large, with its table. ${entry.plots.map((p) => p.alt).join(' ')}` }),
      el('div', { class: 'plots' }, ...plots));
    open.addEventListener('click', () => openFigure(n));
    const actions = el('div', { class: 'actions' },
      el('a', { href: hashOf({ ...state, fig: n }), class: 'figure-link', text: `Link to Figure ${n}` }));
    for (const kind of ['SVG', 'PNG']) {
      const btn = el('button', { type: 'button', text: kind, 'aria-label': `Download Figure ${n} as ${kind}`, 'data-download': kind.toLowerCase() });
      btn.addEventListener('click', () => downloadFigure(n, kind.toLowerCase()).catch((e) => showError(e.message)));
      actions.append(btn);
    }
    const fig = el('figure', { id: `figure-${n}`, 'data-figure': n, 'data-scenario': scenario, class: b ? 'compare' : '', tabindex: '-1' },
      open, el('figcaption', {}, el('strong', { text: entry.title }), actions));
    figures.push(fig);
  }
  list.replaceChildren(...figures);
  if (figures.length === 0) {
    const none = [a, b].some((r) => r?.summary.cells.some((c) => c.figure))
      ? 'No figure: every scenario is filtered out.'
      : 'This run has none of the paper’s seven scenarios, so no Figure 1–7 (a capacity sweep shows its curves above).';
    list.append(el('p', { class: 'note', text: none }));
  }
}

/** Figure `n` large in the dialog: its bars hoverable and focusable, its table(s) under it. */
function showFigureDialog(n) {
  const dialog = $('figure-dialog');
  const entry = drawn.get(n);
  if (!entry) { if (dialog.open) dialog.close(); return; }
  $('dialog-title').textContent = entry.title;
  const plots = entry.plots.map((p) => el('div', { class: 'plot' },
    entry.plots.length > 1 ? el('p', { class: 'plot-label', text: p.run === entry.plots[0].run ? `A: ${p.run.label}` : `B: ${p.run.label}` }) : null,
    withBars(svgOf(p), p.fig, entry.scenario)));
  // The scenario's reproduced-vs-published table(s), as the tables section shows them.
  const tables = ['', '-a', '-b'].map((sfx) => $(`table-${entry.scenario}${sfx}`)).filter(Boolean).map((t) => {
    const copy = t.cloneNode(true);
    copy.removeAttribute('id');
    for (const x of copy.querySelectorAll('[id]')) x.removeAttribute('id');
    return el('div', { class: 'table-wrap' }, copy);
  });
  $('dialog-body').replaceChildren(
    el('figure', { class: 'large', 'data-dialog-figure': n, 'data-scenario': entry.scenario }, el('div', { class: 'plots' }, ...plots)),
    el('p', { class: 'note', text: 'Point at a bar, or Tab to it (arrow keys move between bars), for its numbers; Escape hides them.' }),
    ...tables);
  if (!dialog.open) dialog.showModal();
}

function openFigure(n) {
  state.fig = n;
  writeHash();
  showFigureDialog(n);
}

/** The latency distribution figures (one per latency scenario in the view) of each run. */
async function renderDistributions(a, b, view) {
  const list = $('distribution-list');
  const runs = b ? [a, b] : [a];
  const has = new Map();
  for (const run of runs) has.set(run, JSON.parse(await run.ref.call('distribution_scenarios')));
  const scenarios = [...new Set(runs.flatMap((r) => has.get(r)))].filter((sc) => view.scenarios.has(sc));
  const figures = [];
  for (const scenario of scenarios) {
    const plots = [];
    for (const run of runs) {
      const plot = el('div', { class: 'plot' });
      if (b) plot.append(el('p', { class: 'plot-label', text: run === a ? `A: ${run.label}` : `B: ${run.label}` }));
      if (has.get(run).includes(scenario)) {
        const svg = sanitizeSvg(await run.ref.call('distribution_svg', scenario, view.json));
        svg.setAttribute('aria-label', `Latency distribution of ${scenario} (${run.label}): ECDF per stack, log-scale time axis`);
        plot.append(svg);
      } else {
        plot.append(el('p', { class: 'note', text: 'This summary has no request-level distribution for this scenario (re-analyse the run in this page, or run pywebbench analyze again).' }));
      }
      plots.push(plot);
    }
    figures.push(el('figure', { id: `distribution-${scenario}`, 'data-distribution': scenario, class: b ? 'compare' : '' },
      el('div', { class: 'plots' }, ...plots),
      el('figcaption', {}, el('strong', { text: `Latency distribution: ${scenario}` }))));
  }
  list.replaceChildren(...figures);
  if (figures.length === 0) list.append(el('p', { class: 'note', text: 'No latency distribution: no latency scenario in the view has request-level data in this summary.' }));
}

async function downloadFigure(n, kind) {
  const svgs = [...document.querySelectorAll(`#figure-${n} svg`)];
  const base = fileSafe(`figure-${n}-${store.runs.get(state.run)?.summary.manifest?.run_id || state.run}`);
  for (const [i, svg] of svgs.entries()) {
    const name = svgs.length > 1 ? `${base}-${i === 0 ? 'A' : 'B'}` : base;
    if (kind === 'svg') download(new Blob([svgText(svg)], { type: 'image/svg+xml' }), `${name}.svg`);
    else download(await svgToPng(svg), `${name}.png`);
  }
}

const fileSafe = (s) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

// ---- tables ---------------------------------------------------------------------------------

/** The pairwise table of the last render (downloaded as CSV; the page shows the matrices). */
let pairwiseSection = null;

async function renderTables(a, b, view) {
  const parts = [];
  const compare = b ? T.sections([JSON.parse(await a.ref.call('compare', b.ref, view.json, a.label, b.label))]) : [];
  pairwiseSection = null;
  for (const [run, suffix] of b ? [[a, '-a'], [b, '-b']] : [[a, '']]) {
    const name = b ? `${suffix === '-a' ? 'A' : 'B'}: ${run.label}` : run.label;
    const tableView = JSON.stringify({ ...view.spec, name, suffix });
    const list = JSON.parse(await run.ref.call('tables', tableView, !b || suffix === '-a'));
    pairwiseSection ??= list.find((s) => s.id.startsWith('pairwise')) ?? null;
    parts.push(...T.sections(list.filter((s) => !s.id.startsWith('pairwise'))));
    parts.push(T.warningsList(run.summary));
  }
  $('table-list').replaceChildren(...parts.filter(Boolean));
  $('compare-table').replaceChildren(...compare);
  $('dl-pairwise').disabled = !pairwiseSection;
}

// ---- a peak-configuration run's tuned figures --------------------------------------------

/** A published run's peak.json bytes, by run key (fetched once). */
const peakFiles = new Map();

/** The tuned figures and grid table of run A when it is a peak-configuration run (its peak.json). */
async function renderPeak(a) {
  const section = $('peak');
  const ref = store.index.runs.find((r) => `ref:${r.id}` === a.key);
  section.hidden = !ref?.files.peak;
  if (section.hidden) { $('peak-list').replaceChildren(); $('peak-table').replaceChildren(); return; }
  if (!peakFiles.has(a.key)) peakFiles.set(a.key, await fetchBytes(ref.files.peak));
  const bytes = peakFiles.get(a.key);
  const figures = [];
  for (const f of JSON.parse(await call('peak_figures', bytes))) {
    const svg = sanitizeSvg(await call('tuned_svg', bytes, f.scenario));
    svg.setAttribute('aria-label', `${f.title}: each stack at the campaign's configuration and at its best grid point; the numbers are in the table below`);
    figures.push(el('figure', { 'data-tuned': f.scenario }, el('div', { class: 'plot' }, svg), el('figcaption', {}, el('strong', { text: f.title }))));
  }
  $('peak-list').replaceChildren(...figures);
  $('peak-table').replaceChildren(...T.sections([{ id: 'peak-grid', title: 'Every grid point', tables: [{ id: 'peak-grid-table', table: JSON.parse(await call('peak_table', bytes)), marks: [] }] }]));
}

// ---- overview, pairwise matrices, the two-run plot -----------------------------------------

/** The runs whose claims scoreboard is shown: A, and B or (for a published run) its twin from the other load generator. */
function scoreboardRuns(a, b) {
  if (b) return [a, b];
  const ref = store.index.runs.find((r) => `ref:${r.id}` === a.key);
  const twin = ref && store.index.runs.find((r) => r.id !== ref.id && r.loadgen && ref.loadgen && r.loadgen !== ref.loadgen
    && r.campaign === ref.campaign);
  return twin ? [a, `ref:${twin.id}`] : [a];
}

async function scoreboard(run) {
  const o = JSON.parse(await run.ref.call('overview'));
  return el('div', { class: 'scoreboard', 'data-run': run.key },
    el('h3', { text: `Claims on ${o.judged_on}` }),
    el('ul', {}, ...o.scoreboard.map((v) => el('li', { class: `verdict-${v.key}`, 'data-verdict': v.key, 'data-count': v.count },
      el('span', { class: 'count', text: v.count }), ` ${v.symbol} ${v.label}`))),
    el('p', { class: 'note', text: o.line }));
}

async function renderOverview(a, b) {
  const o = JSON.parse(await a.ref.call('overview'));
  $('run-line').textContent = o.line;
  const boards = [];
  for (const r of scoreboardRuns(a, b)) {
    if (typeof r === 'string') {
      // The twin loads after the first view (it is not needed to draw anything else).
      const holder = el('div', { class: 'scoreboard pending', 'data-run': r });
      boards.push(holder);
      setTimeout(() => getRun(r, true).then(scoreboard).then((board) => holder.replaceWith(board)).catch(() => holder.remove()), 0);
    } else boards.push(await scoreboard(r));
  }
  $('scoreboards').replaceChildren(...boards);
}

async function renderPairwise(a, view) {
  const scenarios = JSON.parse(await a.ref.call('pairwise_scenarios')).filter((sc) => view.scenarios.has(sc));
  const figures = [];
  for (const scenario of scenarios) {
    const svg = sanitizeSvg(await a.ref.call('pairwise_svg', scenario, view.json));
    svg.setAttribute('aria-label', `Pairwise comparisons of ${scenario} (${a.label}): each stack (row) against each other (column); the numbers are in the pairwise table (CSV download)`);
    figures.push(el('figure', { id: `matrix-${scenario}`, 'data-matrix': scenario }, el('div', { class: 'plot' }, svg)));
  }
  $('matrix-list').replaceChildren(...figures);
  if (figures.length === 0) $('matrix-list').append(el('p', { class: 'note', text: 'No pairwise comparison in this view (a run with two or more stacks has them).' }));
}

async function renderComparison(a, b, view) {
  const section = $('comparison');
  section.hidden = !b;
  if (!b) { $('compare-plot').replaceChildren(); return; }
  const svg = sanitizeSvg(await a.ref.call('compare_svg', b.ref, view.json));
  svg.setAttribute('aria-label', `Change from A (${a.label}) to B (${b.label}) per scenario and stack, with intervals; the numbers are in the table below`);
  $('compare-plot').replaceChildren(el('figure', { 'data-change': 'a-b' }, el('div', { class: 'plot' }, svg)));
}

/** A capacity sweep's curves and table (analysis::figures::capacity_svg, analysis::viewtables::capacity). */
async function renderCapacity(a) {
  const section = $('sweep');
  const sweep = await a.ref.call('has_sweep');
  section.hidden = !sweep;
  if (!sweep) { $('capacity-plot').replaceChildren(); $('capacity-table').replaceChildren(); return; }
  const svg = sanitizeSvg(await a.ref.call('capacity_svg'));
  svg.setAttribute('aria-label', `Capacity curves of ${a.label}: p50 and p99 latency against achieved throughput, achieved against offered throughput, each stack's knee marked; the numbers are in the table below`);
  $('capacity-plot').replaceChildren(el('figure', { 'data-capacity': a.key }, el('div', { class: 'plot' }, svg)));
  $('capacity-table').replaceChildren(...T.sections([JSON.parse(await a.ref.call('capacity_table'))]));
}

function renderRunInfo(a, b) {
  const info = $('run-info');
  const lines = [`Showing ${a.label}, from ${a.origin}.`];
  if (b) lines.push(`Compared with ${b.label}, from ${b.origin}.`);
  info.replaceChildren(...lines.map((l) => el('span', { text: `${l} ` })));
  const ref = store.index.runs.find((r) => `ref:${r.id}` === a.key);
  if (ref && ref.files.summary && a.origin.includes('summary.json')) {
    const btn = el('button', { type: 'button', id: 'reanalyse', text: 'Re-analyse in this page' });
    btn.addEventListener('click', async () => {
      try {
        clearError();
        const t = performance.now();
        // No timing of an earlier re-analysis may be read as this one's.
        window.pywebbench.analysis = null;
        store.runs.delete(a.key);
        await analyseReference(ref);
        await render();
        await paint();
        // For `just bench-web`: click to the re-analysed run painted, measured by the page.
        window.pywebbench.analysis.total = performance.now() - t;
      } catch (e) { showError(e.message); }
    });
    info.append(btn);
  }
}

// ---- render ------------------------------------------------------------------------------------

let rendering = Promise.resolve();

/** Render the current state (serialised: one render at a time). */
function render() {
  rendering = rendering.then(renderNow, renderNow);
  return rendering;
}

async function renderNow() {
  document.body.dataset.state = 'rendering';
  try {
    let a = await getRun(state.run);
    if (!a) {
      const missing = state.run;
      state.run = defaultRun();
      a = await getRun(state.run);
      if (missing.startsWith('local:')) {
        showError(`the link pointed at a run opened from files (${missing}), which only that browser tab had; open its files again`);
      } else {
        showError(`there is no run “${missing}” on this site; showing ${a.label} instead`);
      }
    }
    let b = state.cmp ? await getRun(state.cmp) : null;
    if (state.cmp && !b) state.cmp = '';
    if (b === a) b = null;
    setStatus(`Drawing the figures…`);
    fillRunSelects();
    const all = fillFilters(b ? [a, b] : [a]);
    const view = viewOf(all);
    renderRunInfo(a, b);
    await renderOverview(a, b);
    await renderCapacity(a);
    await renderFigures(a, b, view);
    await renderComparison(a, b, view);
    await renderPeak(a);
    await renderPairwise(a, view);
    await renderDistributions(a, b, view);
    await renderTables(a, b, view);
    writeHash();
    setStatus('');
    if (!firstView) {
      firstView = performance.now() - t0;
      performance.mark('pywebbench-first-view');
      window.pywebbench.firstViewMs = firstView;
    }
    if (state.fig) showFigureDialog(state.fig);
    else if ($('figure-dialog').open) $('figure-dialog').close();
    document.body.dataset.state = 'ready';
  } catch (e) {
    document.body.dataset.state = 'ready';
    showError(e?.message || String(e));
  }
}

function defaultRun() {
  return store.index.runs.length > 0 ? `ref:${store.index.runs[0].id}` : 'paper';
}

// ---- wiring ----------------------------------------------------------------------------------

function wire() {
  $('run-a').addEventListener('change', (e) => { clearError(); state.run = e.target.value; render(); });
  $('run-b').addEventListener('change', (e) => { clearError(); state.cmp = e.target.value; render(); });
  $('filter-form').addEventListener('change', () => {
    const stacks = [...document.querySelectorAll('input[name=stack]')].map((i) => i.value);
    const scenarios = [...document.querySelectorAll('input[name=scenario]')].map((i) => i.value);
    readFilters({ stacks, scenarios });
    render();
  });
  $('filter-form').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', () => {
    const h = readHash();
    if (hashOf(h) === hashOf(state)) return;
    // Only the opened figure changed: open or close it, nothing to redraw.
    if (hashOf({ ...h, fig: null }) === hashOf({ ...state, fig: null })) {
      state = h;
      if (h.fig) showFigureDialog(h.fig);
      else if ($('figure-dialog').open) $('figure-dialog').close();
      return;
    }
    clearError();
    state = h;
    render();
  });

  $('figure-dialog').addEventListener('close', () => {
    if (state.fig) { state.fig = null; writeHash(); }
  });
  $('dialog-close').addEventListener('click', () => $('figure-dialog').close());
  // A click on the backdrop (outside the dialog's box) closes it.
  $('figure-dialog').addEventListener('click', (e) => { if (e.target === e.currentTarget) e.currentTarget.close(); });
  $('dl-pairwise').addEventListener('click', () => {
    const run = store.runs.get(state.run);
    if (run && pairwiseSection) download(new Blob([T.sectionCsv(pairwiseSection)], { type: 'text/csv' }), `${fileSafe(run.summary.manifest?.run_id || run.key)}-pairwise.csv`);
  });

  const input = $('files');
  input.addEventListener('change', () => { if (input.files.length) openFiles([...input.files]); });
  const zone = $('dropzone');
  // Dropping anywhere opens the files here (the browser would otherwise navigate to them).
  window.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  window.addEventListener('dragleave', (e) => { if (!e.relatedTarget) zone.classList.remove('over'); });
  window.addEventListener('drop', async (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    try {
      openFiles(await filesFromDrop(e.dataTransfer));
    } catch (err) { showError(`the dropped files could not be read: ${err.message}`); }
  });

  $('dl-json').addEventListener('click', () => {
    const run = store.runs.get(state.run);
    if (run) download(new Blob([run.json], { type: 'application/json' }), `${fileSafe(run.summary.manifest?.run_id || run.key)}-summary.json`);
  });
  $('dl-csv').addEventListener('click', () => {
    const run = store.runs.get(state.run);
    if (run) download(new Blob([T.summaryCsv(run.summary)], { type: 'text/csv' }), `${fileSafe(run.summary.manifest?.run_id || run.key)}-summary.csv`);
  });
  // The reports as `pywebbench analyze` writes them (report.md, report.html), made in the page.
  for (const [id, fn, ext, type] of [['dl-md', 'report_markdown', 'md', 'text/markdown'], ['dl-html', 'report_html', 'html', 'text/html']]) {
    $(id).addEventListener('click', async () => {
      const run = store.runs.get(state.run);
      if (!run) return;
      try {
        const text = await run.ref.call(fn);
        download(new Blob([text], { type }), `${fileSafe(run.summary.manifest?.run_id || run.key)}-report.${ext}`);
      } catch (e) { showError(e.message); }
    });
  }
}

async function main() {
  // For tests and the curious: the first-view time and the current summary.json.
  window.pywebbench = { firstViewMs: null, current: () => store.runs.get(state.run)?.json ?? null };
  wire();
  try {
    const [index, published, claims] = await Promise.all([
      fetch('data/index.json').then((r) => (r.ok ? r.json() : { runs: [], paper: [] })),
      fetch('paper/published.toml').then((r) => (r.ok ? r.text() : '')),
      fetch('paper/claims.toml').then((r) => (r.ok ? r.text() : '')),
      ready(),
    ]);
    store.metrics = JSON.parse(await call('metric_choices'));
    store.index = index;
    initProfiles(index);
    store.published = published && claims ? published : '';
    store.claims = published && claims ? claims : '';
    state.run = defaultRun();
    if (window.location.hash.length > 1) state = readHash();
    await render();
  } catch (e) {
    showError(`the viewer could not start: ${e?.message || e}`);
  }
}

main();
