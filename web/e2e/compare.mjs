// Two or more builds of the wasm module side by side in Chromium, on one run: for each
// round and each module, a fresh site and browser open the run's first view, then click
// "Re-analyse in this page" and time it (fetch, Run.analyze, draw), as `just bench-web`
// does; rounds interleave the modules so a noisy machine hurts them alike.
//
// Build a variant with `WEB_OPT_LEVEL=z WEB_WASM_OPT=-Oz just web && cp -r web/dist/pkg /tmp/pkg-z`,
// then the default with `just web && cp -r web/dist/pkg /tmp/pkg-s`.
//
// Usage: node compare.mjs RUN_DIR ROUNDS PKG_DIR...   (RUN_DIR analysed: has report/summary.json)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dist, openPage, start } from './harness.mjs';

const [runDir, rounds, ...pkgs] = process.argv.slice(2);
if (!runDir || !rounds || pkgs.length === 0) {
  console.error('usage: node compare.mjs RUN_DIR ROUNDS PKG_DIR...');
  process.exit(2);
}
const id = 'compare';
const files = ['samples.parquet', 'resources.parquet', 'manifest.json', 'report/summary.json'];
for (const f of files) {
  if (!fs.existsSync(path.join(runDir, f))) {
    console.error(`compare: ${runDir} has no ${f}; write a run with the synthetic_run example and \`pywebbench analyze\` it`);
    process.exit(2);
  }
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pywebbench-compare-'));
const sites = pkgs.map((pkg, k) => {
  const site = path.join(work, `site${k}`);
  fs.cpSync(dist, site, { recursive: true });
  fs.rmSync(path.join(site, 'pkg'), { recursive: true });
  fs.cpSync(pkg, path.join(site, 'pkg'), { recursive: true });
  const refs = {};
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(site, 'data', id, f)), { recursive: true });
    fs.copyFileSync(path.join(runDir, f), path.join(site, 'data', id, f));
    refs[path.basename(f).split('.')[0]] = `data/${id}/${f}`;
  }
  fs.writeFileSync(path.join(site, 'data', 'index.json'), JSON.stringify({ runs: [{ id, source: 'compare', files: refs }], paper: [] }));
  return site;
});

const times = pkgs.map(() => []);
try {
  for (let r = 0; r < Number(rounds); r += 1) {
    for (const [k, pkg] of pkgs.entries()) {
      const env = await start(sites[k]);
      try {
        const page = await openPage(env);
        await page.goto(env.base);
        await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.pywebbench.firstViewMs, null, { timeout: 60_000 });
        const t = Date.now();
        await page.click('#reanalyse');
        await page.waitForFunction(() => document.getElementById('run-info').textContent.includes('analysed in this page')
          && document.body.dataset.state === 'ready', null, { timeout: 600_000 });
        const ms = Date.now() - t;
        const p = await page.evaluate(() => window.pywebbench.analysis);
        times[k].push(ms);
        const size = fs.statSync(path.join(pkg, 'web_bg.wasm')).size;
        console.log(`round ${r + 1} ${pkg} (${size} bytes): re-analysis ${ms} ms (fetch ${p.fetch.toFixed(0)}, Run.analyze ${p.analyse.toFixed(0)}, draw and the rest ${(ms - p.fetch - p.paint - p.analyse).toFixed(0)})`);
      } finally {
        await env.stop();
      }
    }
  }
  const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
  console.log('');
  for (const [k, pkg] of pkgs.entries()) {
    console.log(`compare: ${pkg}: median re-analysis ${median(times[k])} ms over ${times[k].length} (${times[k].join(', ')}), ${(median(times[k]) / median(times[0])).toFixed(2)}× the first`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
