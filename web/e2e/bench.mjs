// `just bench-web`: the viewer's performance goals, measured and printed side by side.
//
//  * first view (navigation → seven figures and every table drawn) with a published run
//    the size of a full paper campaign, in a fresh browser profile: goal < 2 s;
//  * analysing that run in the page (wasm) vs `pywebbench analyze` natively (release).
//
// Usage: node bench.mjs [SCALE] [REPETITIONS]   (default 1.0 5 ≈ 2 million samples)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dist, openPage, reanalyse, root, sh, siteWithRun, start } from './harness.mjs';

const scale = process.argv[2] || '1.0';
const reps = process.argv[3] || '5';
const loads = 3;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pywebbench-bench-web-'));
const id = `bench-scale${scale}`;
const run = path.join(work, id);
let env;

try {
  console.log(`bench-web: writing a synthetic run (scale ${scale}, ${reps} repetitions) with the release example…`);
  sh('cargo', ['run', '-q', '--release', '-p', 'web', '--example', 'synthetic_run', '--', run, id, '5', scale, reps]);
  sh('cargo', ['build', '-q', '--release', '-p', 'runner', '--bin', 'pywebbench']);
  const t0 = process.hrtime.bigint();
  sh(path.join(root, 'target', 'release', 'pywebbench'), ['analyze', run]);
  const nativeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const samplesBytes = fs.statSync(path.join(run, 'samples.parquet')).size;
  const native = JSON.parse(fs.readFileSync(path.join(run, 'report', 'summary.json'), 'utf8'));

  // The built site with this run published (as `just web` publishes a tracked run).
  const site = path.join(work, 'site');
  siteWithRun(site, run, id, 'bench');

  env = await start(site);
  const firstViews = [];
  let pageMs = null;
  let parts = null;
  for (let i = 0; i < loads; i += 1) {
    // A fresh page in a profile whose cache is cleared: every file is fetched again.
    const page = await openPage(env);
    const cdp = await env.context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    const t = Date.now();
    await page.goto(env.base);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.pywebbench.firstViewMs, null, { timeout: 60_000 });
    firstViews.push(Date.now() - t);
    if (await page.locator('figure[data-figure] svg').count() !== 7) throw new Error('the first view did not draw seven figures');
    if (i === 0) {
      ({ ms: pageMs, parts } = await reanalyse(page));
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
  console.log('');
  console.log(`bench-web: ${native.samples.total} samples, samples.parquet ${mib(samplesBytes)} MiB, wasm ${wasm} bytes (${mib(wasm)} MiB)`);
  console.log(`  first view (navigation → 7 figures + tables), ${loads} cold loads: ${firstViews.map((t) => `${t} ms`).join(', ')}   goal < 2000 ms: ${Math.max(...firstViews) < 2000 ? 'met' : 'NOT met'}`);
  console.log(`  analysis of the run      page (wasm, incl. fetch + draw) ${pageMs} ms   native pywebbench analyze (release, incl. report + PNGs) ${nativeMs.toFixed(0)} ms   ratio page/native ${(pageMs / nativeMs).toFixed(2)}   goal ≤ 2: ${pageMs / nativeMs <= 2 ? 'met' : 'NOT met'}`);
  const rest = pageMs - parts.fetch - parts.paint - parts.analyse;
  console.log(`    page: fetch ${parts.fetch.toFixed(0)} ms, Run.analyze (copy in, read, summarise, summary.json out) ${parts.analyse.toFixed(0)} ms, draw and the rest ${rest.toFixed(0)} ms`);
} finally {
  await env?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
