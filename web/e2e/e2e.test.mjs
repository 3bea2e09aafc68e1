// End-to-end test of the viewer in a real browser: Debian's headless Chromium,
// driven by playwright-core, loading web/dist from `just serve`.
//
// Fixture: two small synthetic runs written by the analysis crate's own writers
// (web/wasm/examples/synthetic_run.rs), each analysed natively by
// `pywebbench analyze`; the page must show exactly the numbers of its summary.json.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { dist, openPage, root, screenshots, sh, start } from './harness.mjs';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1440, height: 900 };

const RUNS = { a: ['e2e-run-a', 11], b: ['e2e-run-b', 12] };
/** py-spy's collapsed stacks of flask-sqlite3's get_all, from a real `run --quick --profile`. */
const PROFILE_FIXTURE = path.join(root, 'web', 'e2e', 'fixtures', 'profile-flask-sqlite3-get_all.txt');
let env;
let work;
let site;
const runs = {};

function fixture() {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pywebbench-e2e-'));
  sh('cargo', ['build', '-q', '-p', 'web', '--example', 'synthetic_run']);
  sh('cargo', ['build', '-q', '-p', 'runner', '--bin', 'pywebbench']);
  for (const [key, [id, seed]] of Object.entries(RUNS)) {
    const dir = path.join(work, id);
    sh('cargo', ['run', '-q', '-p', 'web', '--example', 'synthetic_run', '--', dir, id, String(seed), '0.005', '2']);
    // The native analysis: report/summary.json as `pywebbench analyze` writes it.
    sh('cargo', ['run', '-q', '-p', 'runner', '--bin', 'pywebbench', '--', 'analyze', dir]);
    runs[key] = {
      id, dir,
      files: ['samples.parquet', 'resources.parquet', 'manifest.json'].map((f) => path.join(dir, f)),
      summary: JSON.parse(fs.readFileSync(path.join(dir, 'report', 'summary.json'), 'utf8')),
    };
  }
  // Run A in the per-stack layout (samples/<stack>.parquet, schema v2) as
  // `pywebbench repack` makes it from the single file: the same samples.
  const split = path.join(work, `${runs.a.id}-split`);
  fs.mkdirSync(split);
  for (const f of ['samples.parquet', 'resources.parquet', 'manifest.json']) fs.copyFileSync(path.join(runs.a.dir, f), path.join(split, f));
  sh('cargo', ['run', '-q', '-p', 'runner', '--bin', 'pywebbench', '--', 'repack', split]);
  const splitSamples = fs.readdirSync(path.join(split, 'samples')).sort().map((f) => path.join('samples', f));
  assert.equal(splitSamples.length, 5, `five stacks, five files: ${splitSamples}`);
  runs.aSplit = {
    ...runs.a, dir: split,
    files: [...splitSamples, 'resources.parquet', 'manifest.json'].map((f) => path.join(split, f)),
  };
  // Bad inputs, each named as the run file it pretends to be.
  const bad = (name, file, bytes) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), bytes);
    return path.join(dir, file);
  };
  // The site as built, plus run A published beside the project's own run(s),
  // with its native summary.json, as `just web` publishes a run.
  site = path.join(work, 'site');
  fs.cpSync(dist, site, { recursive: true });
  const index = JSON.parse(fs.readFileSync(path.join(site, 'data', 'index.json'), 'utf8'));
  // Published in the per-stack layout: `files.samples` lists every samples/<stack>.parquet.
  const files = { samples: [] };
  for (const f of [...splitSamples, 'resources.parquet', 'manifest.json', 'report/summary.json']) {
    const from = f.startsWith('report/') ? runs.a.dir : split;
    fs.mkdirSync(path.dirname(path.join(site, 'data', runs.a.id, f)), { recursive: true });
    fs.copyFileSync(path.join(from, f), path.join(site, 'data', runs.a.id, f));
    if (f.startsWith('samples/')) files.samples.push(`data/${runs.a.id}/${f}`);
    else files[path.basename(f).split('.')[0]] = `data/${runs.a.id}/${f}`;
  }
  // A real profile (py-spy, `run --profile`) published with run A, as web/build.sh lists one.
  const profileRel = 'profiles/flask-sqlite3/get_all.txt';
  fs.mkdirSync(path.join(site, 'data', runs.a.id, 'profiles', 'flask-sqlite3'), { recursive: true });
  fs.copyFileSync(PROFILE_FIXTURE, path.join(site, 'data', runs.a.id, profileRel));
  files.profiles = [{ stack: 'flask-sqlite3', scenario: 'get_all', path: `data/${runs.a.id}/${profileRel}` }];
  index.runs.push({ id: runs.a.id, source: 'e2e fixture', files });
  fs.writeFileSync(path.join(site, 'data', 'index.json'), JSON.stringify(index));
  const samples = fs.readFileSync(runs.a.files[0]);
  runs.bad = {
    notParquet: bad('not-parquet', 'samples.parquet', 'stack,repetition\nflask,1\n'),
    truncated: bad('truncated', 'samples.parquet', samples.subarray(0, Math.floor(samples.length / 2))),
    empty: bad('empty', 'samples.parquet', Buffer.alloc(0)),
    wrongColumns: bad('wrong-columns', 'samples.parquet', fs.readFileSync(runs.a.files[1])),
    badManifest: bad('bad-manifest', 'manifest.json', '{"hello": "world"}'),
  };
}

const ready = (page) => page.waitForFunction(() => document.body.dataset.state === 'ready'
  && document.getElementById('loading').hidden, null, { timeout: 30_000 });

/** A viewport screenshot, scrolled to `selector` (the page is long: full-page shots are unreadable). */
async function shot(page, name, selector) {
  if (selector) await page.locator(selector).first().evaluate((e) => e.scrollIntoView());
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
}

/** The screenshots kept in the repository (web/e2e/screenshots/ui-*.png): the viewport at phone and wide size. */
async function uiShot(page, name, selector, size) {
  await page.setViewportSize(size);
  await page.waitForTimeout(150);
  if (selector) await page.locator(selector).first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: path.join(screenshots, `ui-${size.width}-${name}.png`) });
}

/** axe-core on the page as it is: no serious or critical violation. */
async function assertAccessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`));
  assert.deepEqual(violations, [], `axe on ${what}`);
  console.log(`# axe: no serious or critical violation on ${what}`);
}

/** No sideways scrolling of the page, and no table wider than its container. */
async function assertFits(page, what) {
  const r = await page.evaluate(() => ({
    page: document.scrollingElement.scrollWidth - window.innerWidth,
    tables: [...document.querySelectorAll('table')].filter((t) => t.offsetParent)
      .map((t) => ({ id: t.id || t.querySelector('caption')?.textContent, over: t.scrollWidth - t.parentElement.clientWidth }))
      .filter((t) => t.over > 1),
  }));
  assert.ok(r.page <= 0, `${what}: the page scrolls sideways by ${r.page}px`);
  assert.deepEqual(r.tables, [], `${what}: tables wider than their container`);
}

/** Every figure's <text> content, by figure number. */
function figureTexts(page) {
  return page.$$eval('figure[data-figure]', (figs) => Object.fromEntries(figs.map((f) => [
    f.dataset.figure, [...f.querySelectorAll('svg')].map((s) => [...s.querySelectorAll('text')].map((t) => t.textContent).join(' | ')),
  ])));
}

/** The stacks' labels as the figures print them: `stack_info[stack].short_label` of the summary shown. */
async function shortLabels(page, stacks) {
  const info = await page.evaluate(() => JSON.parse(window.pywebbench.current()).stack_info);
  return Object.fromEntries(stacks.map((s) => [s, info[s].short_label]));
}

async function openRun(page, run) {
  await page.setInputFiles('#files', run.files);
  await page.waitForFunction((id) => document.querySelector('#run-a option:checked')?.textContent.includes(id)
    && document.body.dataset.state === 'ready', run.id, { timeout: 60_000 });
}

/** Every number and verdict the tables show equals the native summary.json's. */
async function assertNativeNumbers(page, native) {
    const shown = await page.$$eval('[data-key]', (tds) => Object.fromEntries(tds.map((t) => [t.dataset.key, { value: t.dataset.value, text: t.textContent }])));
    let checked = 0;
    for (const c of native.cells) {
      const key = `value:${c.stack}:${c.scenario}:paper`;
      assert.ok(shown[key], `no table cell for ${key}`);
      const v = Number(shown[key].value);
      assert.ok(Math.abs(v - c.estimate.value) <= 1e-9 * Math.abs(c.estimate.value), `${key}: page ${v}, native ${c.estimate.value}`);
      const unit = c.metric === 'req_per_s' ? 0 : 2;
      assert.equal(shown[key].text, c.estimate.value.toFixed(unit), key);
      if (c.estimate.ci) {
        const ci = shown[`ci:${c.stack}:${c.scenario}:paper`].text;
        assert.equal(ci, `[${c.estimate.ci.low.toFixed(unit)}, ${c.estimate.ci.high.toFixed(unit)}]`, `CI of ${key}`);
      }
      // The limiter the page computed is the native one.
      assert.equal(shown[`limiter:${c.stack}:${c.scenario}`]?.value, c.limiter?.most_common, `limiter of ${key}`);
      checked += 1;
    }
    for (const o of native.orm_overhead) {
      const key = `overhead:${o.framework}:${o.scenario}`;
      assert.ok(Math.abs(Number(shown[key].value) - o.overhead_percent) <= 1e-9 * Math.max(1, Math.abs(o.overhead_percent)), key);
      checked += 1;
    }
    for (const cl of native.claims) {
      const text = shown[`claim-run:${cl.id}`].text;
      assert.ok(text.includes(cl.run_verdict.replaceAll('_', ' ')), `claim ${cl.id}: page "${text}", native ${cl.run_verdict}`);
      checked += 1;
    }
  return checked;
}

before(async () => {
  fixture();
  env = await start(site);
});

after(async () => {
  await env?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the viewer', () => {
  test('first view: the paper / published run, seven figures with every stack, tables', async () => {
    const page = await openPage(env, '');
    await ready(page);
    const firstView = await page.evaluate(() => window.pywebbench.firstViewMs);
    const wasm = fs.statSync(path.join(root, 'web', 'dist', 'pkg', 'web_bg.wasm')).size;
    console.log(`# first view: ${firstView.toFixed(0)} ms; wasm: ${wasm} bytes (${(wasm / 1048576).toFixed(2)} MiB)`);
    assert.equal(await page.locator('#error').isHidden(), true, await page.locator('#error').textContent());
    const figs = await figureTexts(page);
    assert.deepEqual(Object.keys(figs).map(Number), [1, 2, 3, 4, 5, 6, 7]);
    const summary = await page.evaluate(() => JSON.parse(window.pywebbench.current()));
    const labels = await shortLabels(page, summary.stacks);
    // Each figure names every stack the summary has for its scenario (all five here).
    for (const [n, [text]] of Object.entries(figs)) {
      const stacks = summary.cells.filter((c) => c.figure === Number(n)).map((c) => c.stack);
      assert.ok(stacks.length >= 1, `the summary has no cell for figure ${n}`);
      for (const stack of stacks) {
        assert.ok(text.includes(labels[stack]), `figure ${n} lacks stack ${labels[stack]}: ${text.slice(0, 300)}`);
      }
    }
    console.log(`# first view shows ${summary.manifest?.run_id ?? 'the paper'} (${summary.stacks.length} stacks)`);
    // It is the run data/published/index.json names as default (the viewer's own index keeps the flag).
    const builtIndex = JSON.parse(fs.readFileSync(path.join(dist, 'data', 'index.json'), 'utf8'));
    const def = builtIndex.runs.find((r) => r.default);
    if (def) assert.equal(summary.manifest?.run_id, def.id, 'the first view is not the default published run');
    // Tables: reproduced vs published for each scenario, and the claims.
    assert.equal(await page.locator('table.results').count(), 7);
    assert.ok(await page.locator('[data-key^="claim-paper:"]').count() > 10);
    await shot(page, '01-first-view');
    await shot(page, '01b-first-view-figures', '#figures');
    await shot(page, '01c-first-view-tables', '#tables');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at phone width`);
    await page.screenshot({ path: path.join(screenshots, '02-phone.png') });
    await shot(page, '02b-phone-figure', '#figure-1');
    await page.setViewportSize({ width: 1280, height: 900 });
    // The paper alone (no run): still seven figures.
    await page.goto(`${env.base}#run=paper`);
    await ready(page);
    assert.equal(await page.locator('figure[data-figure] svg').count(), 7);
    assert.match(await page.locator('#figure-1 svg').textContent(), /published values/);
    await shot(page, '07-paper-only', '#figures');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('an opened run shows the numbers of the native summary.json', async () => {
    const page = await openPage(env, '');
    await ready(page);
    await openRun(page, runs.a);
    const native = runs.a.summary;
    const checked = await assertNativeNumbers(page, native);
    console.log(`# ${checked} numbers and verdicts equal the native summary.json`);
    // The downloaded summary is the page's own analysis: same cells as native.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-json')]);
    const json = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
    assert.equal(json.cells.length, native.cells.length);
    assert.deepEqual(json.claims.map((c) => c.run_verdict), native.claims.map((c) => c.run_verdict));
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
    const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split('\n');
    assert.equal(lines.length, native.cells.length + 1);
    // The reports made in the page are the native ones (same generator, same numbers).
    const [md] = await Promise.all([page.waitForEvent('download'), page.click('#dl-md')]);
    assert.equal(fs.readFileSync(await md.path(), 'utf8'), fs.readFileSync(path.join(runs.a.dir, 'report', 'report.md'), 'utf8'));
    const [html] = await Promise.all([page.waitForEvent('download'), page.click('#dl-html')]);
    assert.match(fs.readFileSync(await html.path(), 'utf8'), /^<!DOCTYPE html>[\s\S]*<svg[\s\S]*<\/html>\s*$/);
    await shot(page, '03-opened-run', '#figures');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('a run in the per-stack layout (samples/*.parquet) shows the same numbers', async () => {
    const page = await openPage(env, '');
    await ready(page);
    await openRun(page, runs.aSplit);
    const checked = await assertNativeNumbers(page, runs.a.summary);
    console.log(`# samples/<stack>.parquet: ${checked} numbers and verdicts equal the native summary.json`);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('latency distributions: one ECDF chart per latency scenario, every stack in its legend', async () => {
    const page = await openPage(env, '');
    await ready(page);
    await openRun(page, runs.a);
    const native = runs.a.summary;
    const latency = ['get_all', 'get_one', 'create', 'update', 'delete'].filter((sc) => native.cells.some((c) => c.scenario === sc));
    assert.ok(latency.length >= 1, 'the fixture has latency scenarios');
    const shown = await page.$$eval('figure[data-distribution]', (figs) => figs.map((f) => ({
      scenario: f.dataset.distribution,
      svgs: f.querySelectorAll('svg').length,
      text: [...f.querySelectorAll('svg text')].map((t) => t.textContent).join(' | '),
      thick: f.querySelectorAll('svg polyline[stroke-width="3"]').length,
      faint: f.querySelectorAll('svg polyline[opacity="0.3"]').length,
      points: Math.min(...[...f.querySelectorAll('svg polyline[stroke-width="3"]')].map((l) => l.getAttribute('points').trim().split(/\s+/).length)),
    })));
    assert.deepEqual(shown.map((f) => f.scenario), latency, 'one chart per latency scenario, in order');
    const labels = await shortLabels(page, native.stacks);
    for (const f of shown) {
      const cells = native.cells.filter((c) => c.scenario === f.scenario);
      assert.equal(f.svgs, 1, f.scenario);
      assert.match(f.text, /log scale/, `${f.scenario}: log-scale time axis`);
      // A pooled curve and a legend mark per stack; a faint curve per included repetition.
      assert.equal(f.thick, 2 * cells.length, `${f.scenario}: pooled curves + legend marks`);
      const reps = cells.reduce((n, c) => n + c.detail.included_repetitions, 0);
      assert.equal(f.faint, reps, `${f.scenario}: one faint curve per repetition`);
      assert.ok(f.points >= 2, `${f.scenario}: a curve has ${f.points} point(s)`);
      for (const c of cells) {
        assert.ok(f.text.includes(`${labels[c.stack]} — median`), `${f.scenario}: legend lacks ${labels[c.stack]}: ${f.text.slice(0, 300)}`);
        const p99 = c.detail.pooled_latency.p99_ms;
        assert.ok(f.text.includes(`p99 ${p99 >= 10 ? p99.toFixed(1) : p99.toFixed(2)} ms`), `${f.scenario}: ${c.stack}'s p99 ${p99} not in the legend`);
      }
    }
    await shot(page, '03c-distributions', '#distributions');
    // The stack filter applies: untick one stack and it leaves every legend.
    const gone = native.stacks[0];
    await page.uncheck(`input[name=stack][value="${gone}"]`);
    await ready(page);
    for (const text of await page.$$eval('figure[data-distribution] svg', (s) => s.map((x) => x.textContent))) {
      assert.ok(!text.includes(`${labels[gone]} — median`), `${labels[gone]} still in a distribution legend`);
    }
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('a published run, re-analysed in the page, equals its native summary.json', async () => {
    const page = await openPage(env, `#run=ref:${runs.a.id}`);
    await ready(page);
    assert.match(await page.locator('#run-info').textContent(), /summary\.json/);
    await assertNativeNumbers(page, runs.a.summary);
    await page.click('#reanalyse');
    await page.waitForFunction(() => document.getElementById('run-info').textContent.includes('analysed in this page'));
    await ready(page);
    const checked = await assertNativeNumbers(page, runs.a.summary);
    console.log(`# re-analysed in the page: ${checked} numbers and verdicts equal the native summary.json`);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('figures download as SVG and PNG', async () => {
    const page = await openPage(env, '');
    await ready(page);
    const [svg] = await Promise.all([page.waitForEvent('download'), page.click('#figure-3 button[data-download=svg]')]);
    const text = fs.readFileSync(await svg.path(), 'utf8');
    assert.match(text, /^<\?xml[^>]*>\s*<svg/);
    assert.ok(svg.suggestedFilename().endsWith('.svg'));
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('#figure-3 button[data-download=png]')]);
    const bytes = fs.readFileSync(await png.path());
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(bytes.length > 5000, `PNG is only ${bytes.length} bytes`);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('a figure is sanitised: no script, handler, foreign object or outside reference reaches the page', async () => {
    const page = await openPage(env, '');
    await ready(page);
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    const out = await page.evaluate(async () => {
      const { sanitizeSvg } = await import('./js/svg.js');
      const svg = sanitizeSvg(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10" onload="alert(1)">
        <script>alert(2)</script><!-- a comment -->
        <g fill="url(https://example.org/x.svg#p)" stroke="url(#ok)"><rect x="1" y="1" width="2" height="2" onclick="alert(3)" style="fill:red"/>
        <text x="1" y="5" font-size="9">a &lt;b&gt; label<tspan dx="1">more</tspan></text></g>
        <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
        <a xlink:href="javascript:alert(4)"><circle r="1"/></a><image href="https://example.org/i.png"/>
        <use href="#x"/><animate attributeName="x"/></svg>`);
      return { html: svg.outerHTML, owned: svg.ownerDocument === document, role: svg.getAttribute('role') };
    });
    assert.ok(out.owned, 'the sanitised figure belongs to the page');
    assert.equal(out.role, 'img');
    for (const bad of ['onload', 'onclick', '<script', 'alert', 'foreignObject', '<a', 'javascript', 'example.org', '<image', '<use', '<animate', 'style=', 'comment']) {
      assert.ok(!out.html.includes(bad), `"${bad}" survived: ${out.html}`);
    }
    for (const kept of ['stroke="url(#ok)"', '<rect x="1" y="1" width="2" height="2"', 'a &lt;b&gt; label', '<tspan dx="1">more</tspan>', 'font-size="9"']) {
      assert.ok(out.html.includes(kept), `"${kept}" was lost: ${out.html}`);
    }
    // Nothing ran. Parsing the text may try the root's onload in the parser's document:
    // the page's CSP (script-src 'self') blocks it and says so in the console.
    assert.deepEqual(dialogs, []);
    assert.ok(page.problems.every((p) => /Content Security Policy.*The action has been blocked/.test(p)), page.problems.join('\n'));
    await page.close();
  });

  test('bad input gives a clear message, and the page keeps working', async () => {
    const page = await openPage(env, '');
    await ready(page);
    const cases = [
      [[runs.bad.notParquet, runs.a.files[2]], /samples\.parquet is not a Parquet file/],
      [[runs.bad.truncated, runs.a.files[2]], /samples\.parquet is truncated or corrupt/],
      [[runs.bad.empty, runs.a.files[2]], /samples\.parquet is not a Parquet file/],
      [[runs.bad.wrongColumns, runs.a.files[2]], /samples\.parquet has no column `(scenario|latency_ns|ttfb_ns|error|vu|iteration)`/],
      [[runs.a.files[0], runs.b.files[2]], /manifest\.json (is from another run|to run)|belongs to run `e2e-run-a` but manifest\.json to run `e2e-run-b`/],
      [[runs.a.files[0], runs.bad.badManifest], /manifest\.json is not a pywebbench manifest/],
      [[runs.a.files[0]], /manifest\.json is missing/],
      [[runs.a.files[2]], /samples\.parquet is missing/],
    ];
    for (const [files, expected] of cases) {
      await page.setInputFiles('#files', files);
      await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 30_000 });
      const message = await page.locator('#error').textContent();
      assert.match(message, expected, `files ${files.map((f) => path.basename(path.dirname(f)) + '/' + path.basename(f))}`);
      assert.ok(!/panic|unreachable|RuntimeError/i.test(message), `a panic reached the page: ${message}`);
      if (expected.source.includes('truncated')) await shot(page, '04-error-truncated');
      // The page still works: the figures are there and a good run opens.
      assert.equal(await page.locator('figure[data-figure] svg').count(), 7);
      await page.evaluate(() => { document.getElementById('error').hidden = true; });
    }
    // resources.parquet is optional: samples + manifest are a run.
    await openRun(page, { ...runs.a, files: [runs.a.files[0], runs.a.files[2]] });
    assert.equal(await page.locator('#error').isHidden(), true);
    assert.equal(await page.locator('figure[data-figure] svg').count(), 7);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('two runs side by side', async () => {
    const page = await openPage(env, '');
    await ready(page);
    await openRun(page, runs.a);
    await openRun(page, runs.b);
    await page.selectOption('#run-b', 'local:1');
    await ready(page);
    assert.equal(await page.locator('figure[data-figure].compare').count(), 7);
    assert.equal(await page.locator('figure[data-figure] svg').count(), 14);
    assert.ok(await page.locator('#compare table tbody tr').count() >= 35);
    await shot(page, '05-compare', '#figures');
    await shot(page, '05b-compare-table', '#compare');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('as a user: overview, filter, hover a bar, open a figure, matrices, a local run, compare, permalink (axe, layout)', async () => {
    const page = await openPage(env, `#run=ref:${runs.a.id}`, WIDE);
    await ready(page);
    const native = runs.a.summary;
    // The overview: the run in one line, the claims scoreboard, Figures 1–7 as small multiples.
    assert.match(await page.locator('#run-line').textContent(), new RegExp(`^Run ${runs.a.id}: 5 stacks × 7 scenarios`));
    const board = await page.$$eval(`.scoreboard[data-run="ref:${runs.a.id}"] li`, (lis) => lis.map((l) => [l.dataset.verdict, Number(l.dataset.count)]));
    assert.deepEqual(board.map(([k]) => k), ['holds', 'does-not-hold', 'inconclusive', 'not-tested']);
    for (const [key, count] of board) {
      const want = native.claims.filter((c) => (c.run_verdict ?? 'not_tested').replaceAll('_', '-') === key).length;
      assert.equal(count, want, `scoreboard ${key}`);
    }
    assert.equal(await page.locator('#figure-list figure[data-figure] button.open-figure').count(), 7);
    await assertFits(page, 'the overview at 1440 px');
    await assertAccessible(page, 'the overview');
    await uiShot(page, 'overview', null, WIDE);
    // Grid on a wide screen (figures side by side), one column on a phone.
    const cols = () => page.$$eval('#figure-list figure', (f) => new Set(f.map((x) => Math.round(x.getBoundingClientRect().left))).size);
    assert.ok(await cols() >= 3, `the wide overview has ${await cols()} column(s)`);
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150);
    assert.equal(await cols(), 1, 'the phone overview is not one column');
    await assertFits(page, 'the whole page at 390 px');
    await uiShot(page, 'overview', null, PHONE);
    await page.setViewportSize(WIDE);

    // Filter: without the delete scenario, six figures.
    await page.uncheck('input[name=scenario][value=delete]');
    await ready(page);
    assert.equal(await page.locator('#figure-list figure[data-figure]').count(), 6);
    await page.check('input[name=scenario][value=delete]');
    await ready(page);

    // Open Figure 3 with the keyboard (Enter on it): large, in the URL, with its table.
    await page.focus('#figure-3 button.open-figure');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('figure-dialog').open);
    assert.match(await page.evaluate(() => window.location.hash), /fig=3/);
    const dialog = page.locator('#figure-dialog');
    const scenario = await dialog.locator('figure[data-dialog-figure="3"]').getAttribute('data-scenario');
    assert.equal(await dialog.locator(`table caption`).first().textContent().then((t) => t.includes(scenario)), true);
    // Each bar carries the module's texts; the repetitions are dots over it.
    const bars = await dialog.locator('.bar-hit').evaluateAll((bs) => bs.map((b) => ({ ...b.dataset })));
    const cells = native.cells.filter((c) => c.scenario === scenario);
    assert.deepEqual(bars.map((b) => b.stack), cells.map((c) => c.stack));
    for (const [k, c] of cells.entries()) {
      assert.equal(bars[k].scenario, scenario);
      assert.equal(bars[k].n, `n = ${c.detail.included_repetitions} repetition(s), ${c.requests} requests`);
      assert.match(bars[k].mean, new RegExp(`^mean ${c.detail.mean_ms.mean.toFixed(2)} ms$`));
      assert.match(bars[k].p99, new RegExp(`^p99 ${c.detail.p99_ms.mean.toFixed(2)} ms$`));
      assert.equal(bars[k].limiter, c.limiter ? `limited by ${c.limiter.most_common}` : undefined);
      assert.match(bars[k].interval, /^95 % CI \[/);
    }
    const reps = cells.reduce((n, c) => n + c.detail.included_repetitions, 0);
    assert.ok(await dialog.locator('svg circle').count() >= reps, 'a dot per repetition');
    // Hover: the tooltip shows the bar's numbers, n among them.
    await dialog.locator('.bar-hit').nth(1).hover();
    const tip = dialog.locator('.tip:not([hidden])');
    await tip.waitFor();
    assert.ok((await tip.textContent()).includes(bars[1].n), await tip.textContent());
    await uiShot(page, 'figure-opened', null, WIDE);
    await dialog.locator('.bar-hit').nth(1).hover();
    // Keyboard: focus a bar, arrow to the next, Escape hides the tooltip (the figure stays open).
    await dialog.locator('.bar-hit').first().focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.stack), bars[1].stack);
    assert.ok((await tip.textContent()).startsWith(await page.evaluate(() => document.activeElement.getAttribute('aria-label').split(';')[0])));
    await assertAccessible(page, 'an opened figure');
    await page.keyboard.press('Escape');
    assert.equal(await dialog.locator('.tip:not([hidden])').count(), 0, 'Escape did not hide the tooltip');
    assert.equal(await dialog.evaluate((d) => d.open), true);
    await page.setViewportSize(PHONE);
    await dialog.locator('.bar-hit').first().focus();
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(screenshots, 'ui-390-figure-opened.png') });
    await page.setViewportSize(WIDE);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('figure-dialog').open);
    assert.doesNotMatch(await page.evaluate(() => window.location.hash), /fig=/);

    // Pairwise comparisons: a matrix per scenario; the table as CSV.
    const withPairs = [...new Set(native.pairwise.map((p) => p.scenario))];
    assert.deepEqual(await page.$$eval('figure[data-matrix]', (f) => f.map((x) => x.dataset.matrix)),
      ['hello', 'echo', 'get_all', 'get_one', 'create', 'update', 'delete'].filter((sc) => withPairs.includes(sc)));
    const first = native.pairwise.find((p) => p.scenario === withPairs[0]);
    const diff = `${first.diff_percent >= 0 ? '+' : ''}${first.diff_percent.toFixed(1)}%`;
    assert.ok((await page.locator(`#matrix-${withPairs[0]} svg`).textContent()).includes(diff), `the matrix lacks ${diff}`);
    assert.equal(await page.locator('table caption', { hasText: 'Pairwise comparisons' }).count(), 0, 'the pairwise table is still shown');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-pairwise')]);
    const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split('\n');
    assert.equal(lines.length, native.pairwise.length + 1);
    await uiShot(page, 'pairwise-matrix', '#pairwise', WIDE);
    await uiShot(page, 'pairwise-matrix', '#pairwise', PHONE);
    await uiShot(page, 'distribution', '#distributions', PHONE);
    await uiShot(page, 'distribution', '#distributions', WIDE);

    // A local run folder (samples/<stack>.parquet, resources, manifest), then compared with run B.
    await openRun(page, runs.aSplit);
    await openRun(page, runs.b);
    await page.selectOption('#run-a', 'local:1');
    await ready(page);
    await page.selectOption('#run-b', 'local:2');
    await ready(page);
    const change = page.locator('#compare-plot svg');
    assert.match(await change.textContent(), /Change from A to B/);
    const rows = native.cells.length;
    // (A hollow dot is two circles at one place.)
    const dots = await change.locator('circle').evaluateAll((cs) => new Set(cs.map((c) => `${c.getAttribute('cx')},${c.getAttribute('cy')}`)).size);
    assert.equal(dots, rows, 'a dot per scenario × stack');
    assert.ok(await page.locator('#compare table tbody tr').count() >= rows);
    await assertFits(page, 'the comparison at 1440 px');
    await assertAccessible(page, 'the two-run comparison');
    await uiShot(page, 'compare', '#comparison', WIDE);
    await page.setViewportSize(PHONE);
    await assertFits(page, 'the comparison at 390 px');
    await uiShot(page, 'compare', '#comparison', PHONE);
    await page.setViewportSize(WIDE);

    // A permalink to one figure in another metric reopens it so.
    const link = await openPage(env, `#run=ref:${runs.a.id}&metric=p99&fig=2`, WIDE);
    await ready(link);
    assert.equal(await link.locator('#figure-dialog').evaluate((d) => d.open), true);
    assert.match(await link.locator('#figure-dialog .bar-hit').first().getAttribute('data-value'), /^99th percentile/);
    assert.deepEqual(link.problems, []);
    await link.close();
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('filters and a permalink reopen the same view', async () => {
    const page = await openPage(env, `#run=ref:${runs.a.id}`);
    await ready(page);
    const stacks = await page.$$eval('input[name=stack]', (is) => is.map((i) => i.value));
    assert.equal(stacks.length, 5);
    await page.uncheck(`input[name=stack][value="${stacks[4]}"]`);
    await ready(page);
    await page.check('input[name=orm][value=orm]');
    await ready(page);
    await page.uncheck('input[name=scenario][value=delete]');
    await ready(page);
    await page.selectOption('#metric', 'p95');
    await ready(page);
    const href = await page.getAttribute('#permalink', 'href');
    assert.match(href, new RegExp(`run=ref:${runs.a.id}`));
    assert.match(href, /orm=orm/);
    assert.match(href, /metric=p95/);
    const texts = await figureTexts(page);
    await page.close();

    const again = await openPage(env, href.replace(/^#/, '#'));
    await ready(again);
    assert.equal(await again.inputValue('#metric'), 'p95');
    assert.equal(await again.isChecked('input[name=orm][value=orm]'), true);
    assert.equal(await again.isChecked(`input[name=stack][value="${stacks[4]}"]`), false);
    assert.equal(await again.locator('figure[data-figure]').count(), 6);
    assert.deepEqual(await figureTexts(again), texts);
    // Only the chosen ORM stacks are drawn, in the chosen metric.
    const labels = await shortLabels(again, stacks);
    for (const [n, [text]] of Object.entries(await figureTexts(again))) {
      for (const s of stacks.filter((s) => s.endsWith('sqlite3') || s === stacks[4])) {
        assert.ok(!text.includes(labels[s]), `figure ${n} still shows the stack ${s}`);
      }
      assert.ok(text.includes('95th percentile response time (ms)'), `figure ${n} is not relabelled for p95: ${text.slice(0, 300)}`);
    }
    await shot(again, '06-permalink-filtered', '#filters');
    // A link to one figure opens the same view scrolled to that figure.
    const figLink = await again.getAttribute('#figure-3 a.figure-link', 'href');
    assert.match(figLink, /fig=3/);
    const third = await openPage(env, figLink);
    await ready(third);
    // A link to one figure opens it large (the dialog), in the same view.
    assert.equal(await third.locator('#figure-dialog').evaluate((d) => d.open), true, 'fig=3 did not open the figure');
    assert.equal(await third.locator('#figure-dialog figure[data-dialog-figure="3"]').count(), 1);
    assert.match(await third.locator('#dialog-title').textContent(), /Figure 3/);
    await third.keyboard.press('Escape');
    await third.waitForFunction(() => !document.getElementById('figure-dialog').open && !window.location.hash.includes('fig='));
    assert.equal(await third.inputValue('#metric'), 'p95');
    await third.close();
    assert.deepEqual(again.problems, []);
    await again.close();
  });

  test('drag and drop opens a run (nothing is uploaded)', async () => {
    const page = await openPage(env, '#run=paper');
    await ready(page);
    const files = runs.b.files.map((f) => ({ name: path.basename(f), b64: fs.readFileSync(f).toString('base64') }));
    const before = env.requests.length;
    await page.evaluate((list) => {
      const dt = new DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name));
      }
      const zone = document.getElementById('dropzone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    await page.waitForFunction((id) => document.querySelector('#run-a option:checked')?.textContent.includes(id)
      && document.body.dataset.state === 'ready', runs.b.id, { timeout: 60_000 });
    assert.equal(await page.locator('figure[data-figure] svg').count(), 7);
    // Analysing the dropped files sent nothing to the server.
    const sent = env.requests.slice(before).filter((r) => r.method !== 'GET' || r.postData);
    assert.deepEqual(sent, []);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('keyboard: every control is reachable with Tab and works', async () => {
    const page = await openPage(env, `#run=ref:${runs.a.id}`);
    await ready(page);
    const reached = new Set();
    for (let i = 0; i < 90; i += 1) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => {
        const a = document.activeElement;
        return a.id || a.getAttribute('aria-label') || `${a.tagName}:${a.getAttribute('name') || ''}:${a.value || ''}`;
      }));
    }
    for (const id of ['run-a', 'run-b', 'files', 'reanalyse', 'metric', 'permalink', 'Download Figure 1 as SVG', 'Download Figure 1 as PNG']) {
      assert.ok(reached.has(id), `Tab never reaches ${id}: ${[...reached].join(', ')}`);
    }
    assert.ok([...reached].some((r) => r.startsWith('INPUT:stack:')), 'Tab never reaches the stack filters');
    await page.focus('#metric');
    await page.keyboard.press('ArrowDown');
    await ready(page);
    assert.equal(await page.inputValue('#metric'), 'mean');
    assert.match(await page.getAttribute('#permalink', 'href'), /metric=mean/);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('a Rust panic reaches the page as a message, and the module recovers', async () => {
    const page = await openPage(env, '#run=paper');
    await ready(page);
    const result = await page.evaluate(async () => {
      const { call } = await import('/js/wasm.js');
      let message = null;
      try { await call('debug_panic'); } catch (e) { message = e.message; }
      return { message, after: await call('schema_version') };
    });
    assert.match(result.message, /internal error in the analysis module.*debug_panic was called/s);
    assert.equal(result.after, 2); // analysis::schema::SCHEMA_VERSION
    // Page-level errors from the panic are expected here; nothing else.
    assert.ok(page.problems.every((p) => /unreachable|debug_panic/.test(p)), page.problems.join('\n'));
    await page.close();
  });

  test('a profile opens as a flame graph with its layer table', async () => {
    const page = await openPage(env, '', WIDE);
    await ready(page);
    // The fixture's cell (run A's), not a published run's of the same stack and scenario.
    const option = await page.$eval('#profile-cell', (s, id) => [...s.options].find((o) => o.textContent.includes(`${id} · flask-sqlite3 · get_all`))?.value, runs.a.id);
    assert.ok(option, 'the published profile is in the menu');
    await page.selectOption('#profile-cell', option);
    await page.waitForSelector('#profile-plot svg rect', { timeout: 15_000 });
    const frames = await page.$$eval('#profile-plot svg g > title', (ts) => ts.map((t) => t.textContent));
    const samples = fs.readFileSync(PROFILE_FIXTURE, 'utf8').trim().split('\n')
      .reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    assert.ok(frames.length > 10, `frames drawn: ${frames.length}`);
    assert.ok(frames[0].startsWith('all\n') && frames[0].includes('(100.0 %)'), frames[0]);
    assert.ok(frames.some((t) => t.includes('flask/')), 'a Flask frame');
    const layers = await page.$$eval('#profile-tables table', (ts) => [...ts[0].querySelectorAll('tbody tr')].map((r) => r.firstChild.textContent));
    assert.deepEqual(layers.length, 7, `${layers}`);
    assert.ok(await page.$eval('#profile-tables caption', (c, n) => c.textContent.includes(`${n} samples`), samples));
    await shot(page, 'profile-flame', '#profiles');
    await assertAccessible(page, 'a flame graph');
    // The same file opened from disk draws the same graph; a bad one says why.
    await page.setInputFiles('#profile-file', PROFILE_FIXTURE);
    await page.waitForFunction((n) => document.querySelectorAll('#profile-plot svg g > title').length === n, frames.length);
    const bad = path.join(work, 'bad-profile.txt');
    fs.writeFileSync(bad, 'a;b;c\n');
    await page.setInputFiles('#profile-file', bad);
    await page.waitForSelector('#profile-error:not([hidden])');
    assert.match(await page.textContent('#profile-error'), /line 1 of the profile.*--format raw/);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('the nine-stack modern run: every figure, matrix and distribution drawn, labels apart, tooltips', async () => {
    const builtIndex = JSON.parse(fs.readFileSync(path.join(dist, 'data', 'index.json'), 'utf8'));
    const published = JSON.parse(fs.readFileSync(path.join(root, 'data', 'published', 'index.json'), 'utf8')).runs;
    const modern = published.find((r) => r.campaign === 'modern' && r.stacks >= 9);
    assert.ok(modern, 'data/published/index.json lists no modern run of nine stacks');
    assert.ok(builtIndex.runs.some((r) => r.id === modern.id), `web/dist does not bundle ${modern.id}`);
    const page = await openPage(env, `#run=ref:${modern.id}`, WIDE);
    await ready(page);
    assert.equal(await page.locator('#error').isHidden(), true, await page.locator('#error').textContent());
    const summary = await page.evaluate(() => JSON.parse(window.pywebbench.current()));
    assert.equal(summary.manifest.run_id, modern.id);
    assert.equal(summary.stacks.length, modern.stacks);
    // Every figure, drawn with every stack of its scenario (the text alternative names each bar).
    assert.equal(await page.locator('#figure-list figure[data-figure] svg').count(), 7);
    for (let n = 1; n <= 7; n += 1) {
      const alt = await page.locator(`#figure-${n} svg`).getAttribute('aria-label');
      const stacks = summary.cells.filter((c) => c.figure === n).map((c) => c.stack);
      assert.equal(stacks.length, modern.stacks, `figure ${n}: ${stacks.length} cells`);
      for (const s of stacks) assert.ok(alt.includes(summary.stack_info[s].label), `figure ${n} lacks ${s}: ${alt}`);
    }
    // Every pairwise matrix (9 × 9) and latency distribution.
    const scenarios = summary.scenarios;
    assert.equal(await page.locator('#matrix-list figure[data-matrix] svg').count(), scenarios.length);
    const distributions = scenarios.filter((sc) => summary.cells.some((c) => c.scenario === sc && c.detail?.distribution));
    assert.equal(distributions.length, 5, `latency distributions: ${distributions}`);
    assert.equal(await page.locator('#distribution-list figure[data-distribution] svg').count(), distributions.length);
    // Readable: no two texts of a figure, matrix or distribution overlap (labels of nine stacks).
    const overlaps = await page.$$eval('#figure-list svg, #matrix-list svg, #distribution-list svg', (svgs) => svgs.flatMap((svg) => {
      const boxes = [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim())
        .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }));
      const out = [];
      for (let i = 0; i < boxes.length; i += 1) {
        for (let k = i + 1; k < boxes.length; k += 1) {
          const [a, b] = [boxes[i].r, boxes[k].r];
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          // More than a sliver (font boxes touch at their edges).
          if (w > 2 && h > 2 && w * h > 0.2 * Math.min(a.width * a.height, b.width * b.height)) {
            out.push(`${svg.closest('figure')?.id}: "${boxes[i].text}" / "${boxes[k].text}"`);
          }
        }
      }
      return out;
    }));
    assert.deepEqual(overlaps, [], 'overlapping texts');
    // Tooltips: open Figure 3, every stack is a bar with its numbers.
    await page.click('#figure-3 button.open-figure');
    await page.waitForFunction(() => document.getElementById('figure-dialog').open);
    const dialog = page.locator('#figure-dialog');
    assert.equal(await dialog.locator('.bar-hit').count(), modern.stacks);
    await dialog.locator('.bar-hit').nth(8).hover();
    const tip = dialog.locator('.tip:not([hidden])');
    await tip.waitFor();
    const stack8 = await dialog.locator('.bar-hit').nth(8).getAttribute('data-stack');
    assert.ok((await tip.textContent()).includes(summary.stack_info[stack8].label), await tip.textContent());
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('figure-dialog').open);
    await assertFits(page, 'the modern run at 1440 px');
    await uiShot(page, 'modern-matrix', '#matrix-list', WIDE);
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150);
    await assertFits(page, 'the modern run at 390 px');
    await uiShot(page, 'modern-matrix', '#matrix-list', PHONE);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('a capacity sweep: its curves and knees, bundled and opened from its folder', async () => {
    const builtIndex = JSON.parse(fs.readFileSync(path.join(dist, 'data', 'index.json'), 'utf8'));
    const bundled = builtIndex.runs.find((r) => r.files.sweep);
    assert.ok(bundled, 'web/dist bundles no capacity sweep: publish one under data/ (a run folder with sweep.json)');
    const sweep = JSON.parse(fs.readFileSync(path.join(dist, bundled.files.sweep), 'utf8'));
    const check = async (page) => {
      assert.equal(await page.locator('#error').isHidden(), true, await page.locator('#error').textContent());
      assert.equal(await page.locator('#sweep').isVisible(), true, 'the capacity section is hidden');
      const svg = page.locator('#capacity-plot figure[data-capacity] svg');
      assert.match(await svg.textContent(), new RegExp(`Capacity: ${sweep.request} at a constant arrival rate`));
      const shown = await page.$$eval('#capacity-table [data-key]', (tds) => Object.fromEntries(tds.map((t) => [t.dataset.key, t.dataset.value])));
      for (const s of sweep.stacks) {
        assert.equal(shown[`capacity-knee:${s.stack}`] === undefined ? null : Number(shown[`capacity-knee:${s.stack}`]), s.knee, `knee of ${s.stack}`);
        for (const p of s.points) {
          assert.equal(Number(shown[`capacity-achieved:${s.stack}@${p.offered}`]), p.achieved, `${s.stack}@${p.offered}`);
          assert.equal(Number(shown[`capacity-p99:${s.stack}@${p.offered}`]), p.p99_ms, `${s.stack}@${p.offered} p99`);
        }
      }
      assert.equal(await page.locator('#capacity-steps tbody tr').count(), sweep.stacks.reduce((n, s) => n + s.points.length, 0));
    };
    const page = await openPage(env, `#run=ref:${bundled.id}`, WIDE);
    await ready(page);
    await check(page);
    await assertAccessible(page, 'a capacity sweep');
    await uiShot(page, 'capacity', '#sweep', WIDE);
    await uiShot(page, 'capacity', '#sweep', PHONE);
    await assertFits(page, 'a capacity sweep at 390 px');
    await page.setViewportSize(WIDE);
    // The same run from its folder's files (analysed in the page, sweep.json attached).
    const files = [...[].concat(bundled.files.samples), bundled.files.resources, bundled.files.manifest, bundled.files.sweep]
      .filter(Boolean).map((f) => path.join(dist, f));
    await openRun(page, { id: bundled.id, files });
    await check(page);
    // A run that is not a sweep hides the section again.
    await page.selectOption('#run-a', `ref:${builtIndex.runs[0].id}`);
    await ready(page);
    assert.equal(await page.locator('#sweep').isHidden(), true);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('the page fetches nothing but its own files', () => {
    assert.deepEqual(env.offsite, []);
  });
});
