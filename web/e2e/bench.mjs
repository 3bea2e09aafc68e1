// `just bench-web`: the viewer's performance goals, measured and printed side by side.
//
//  * first view (navigation → seven figures and every table drawn) with a published run
//    the size of a full paper campaign, in a fresh browser profile: goal < 2 s;
//  * re-analysing that run in the page (wasm; fetch, analysis and drawing, from the click
//    to the page painted) vs `pywebbench analyze` natively (release; reading, analysis,
//    report and figures), in interleaved rounds, compared by their medians.
//
// Usage: [ROUNDS=5] node bench.mjs [SCALE] [REPETITIONS]   (default 1.0 5 ≈ 2 million samples)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dist, openPage, reanalyse, root, sh, siteWithRun, start } from './harness.mjs';

const scale = process.argv[2] || '1.0';
const reps = process.argv[3] || '5';
const rounds = Number(process.env.ROUNDS || 5);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pywebbench-bench-web-'));
const id = `bench-scale${scale}`;
const run = path.join(work, id);
let env;

try {
  console.log(`bench-web: writing a synthetic run (scale ${scale}, ${reps} repetitions) with the release example…`);
  sh('cargo', ['run', '-q', '--release', '-p', 'web', '--example', 'synthetic_run', '--', run, id, '5', scale, reps]);
  sh('cargo', ['build', '-q', '--release', '-p', 'runner', '--bin', 'pywebbench']);
  const pywebbench = path.join(root, 'target', 'release', 'pywebbench');
  const analyzeNatively = () => {
    const t0 = process.hrtime.bigint();
    sh(pywebbench, ['analyze', run]);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  // Once before the site is made: the site publishes this summary.json as the run's.
  analyzeNatively();
  const samplesBytes = fs.statSync(path.join(run, 'samples.parquet')).size;
  const native = JSON.parse(fs.readFileSync(path.join(run, 'report', 'summary.json'), 'utf8'));

  // The built site with this run published (as `just web` publishes a tracked run).
  const site = path.join(work, 'site');
  siteWithRun(site, run, id, 'bench');

  env = await start(site);
  const firstViews = [];
  const nativeMs = [];
  const pageRuns = [];
  // Rounds interleave the two sides, so a noisy machine slows them alike: each round runs
  // `pywebbench analyze` once, then opens a fresh page (its first view) and re-analyses
  // the run there once (the module's first analysis in that page, as a visitor's is).
  for (let i = 0; i < rounds; i += 1) {
    nativeMs.push(analyzeNatively());
    // A fresh page in a profile whose cache is cleared: every file is fetched again.
    const page = await openPage(env);
    const cdp = await env.context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    const t = Date.now();
    await page.goto(env.base);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.pywebbench.firstViewMs, null, { timeout: 60_000 });
    firstViews.push(Date.now() - t);
    if (await page.locator('figure[data-figure] svg').count() !== 7) throw new Error('the first view did not draw seven figures');
    pageRuns.push(await reanalyse(page));
    if (i === 0) {
      const mine = JSON.parse(await page.evaluate(() => window.pywebbench.current()));
      const same = native.cells.every((c) => {
        const m = mine.cells.find((x) => x.stack === c.stack && x.scenario === c.scenario);
        return m && m.estimate.value === c.estimate.value;
      });
      if (!same) throw new Error('the page and pywebbench analyze disagree on a bar value');
    }
    await page.close();
  }
  const wasm = fs.statSync(path.join(dist, 'pkg', 'web_bg.wasm')).size;
  const mib = (b) => (b / 1048576).toFixed(1);
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  const pageMs = pageRuns.map((r) => r.ms);
  const ratio = median(pageMs) / median(nativeMs);
  const part = (k) => median(pageRuns.map((r) => r.parts[k]));
  const rest = median(pageRuns.map((r) => r.parts.total - r.parts.fetch - r.parts.paint - r.parts.analyse));
  console.log('');
  console.log(`bench-web: ${native.samples.total} samples, samples.parquet ${mib(samplesBytes)} MiB, wasm ${wasm} bytes (${mib(wasm)} MiB), ${rounds} interleaved rounds`);
  console.log(`  first view (navigation → 7 figures + tables), cold loads: ${firstViews.map((t) => `${t} ms`).join(', ')}   goal < 2000 ms: ${Math.max(...firstViews) < 2000 ? 'met' : 'NOT met'}`);
  console.log(`  native pywebbench analyze (release, incl. report + PNGs): median ${median(nativeMs).toFixed(0)} ms (${list(nativeMs)})`);
  console.log(`  page re-analysis (click → fetch, wasm analysis, every figure and table drawn and painted, as the page measures it): median ${median(pageMs).toFixed(0)} ms (${list(pageMs)}); seen from the browser driver ${list(pageRuns.map((r) => r.driverMs))} ms`);
  const driverRatio = median(pageRuns.map((r) => r.driverMs)) / median(nativeMs);
  console.log(`  ratio page/native (medians) ${ratio.toFixed(2)}   goal ≤ 2: ${ratio <= 2 ? 'met' : 'NOT met'}   (seen from the driver: ${driverRatio.toFixed(2)})`);
  console.log(`    page, medians: fetch ${part('fetch').toFixed(0)} ms, Run.analyze (copy in, read, summarise, summary.json out) ${part('analyse').toFixed(0)} ms, draw and the rest ${rest.toFixed(0)} ms`);
} finally {
  await env?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
