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
import { openPage, reanalyse, siteWithRun, start } from './harness.mjs';

const [runDir, rounds, ...pkgs] = process.argv.slice(2);
if (!runDir || !rounds || pkgs.length === 0) {
  console.error('usage: node compare.mjs RUN_DIR ROUNDS PKG_DIR...');
  process.exit(2);
}
const id = 'compare';
for (const f of ['samples.parquet', 'resources.parquet', 'manifest.json', 'report/summary.json']) {
  if (!fs.existsSync(path.join(runDir, f))) {
    console.error(`compare: ${runDir} has no ${f}; write a run with the synthetic_run example and \`pywebbench analyze\` it`);
    process.exit(2);
  }
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pywebbench-compare-'));
const sites = pkgs.map((pkg, k) => {
  const site = path.join(work, `site${k}`);
  siteWithRun(site, runDir, id, 'compare');
  fs.rmSync(path.join(site, 'pkg'), { recursive: true });
  fs.cpSync(pkg, path.join(site, 'pkg'), { recursive: true });
  return site;
});
const sizes = pkgs.map((pkg) => fs.statSync(path.join(pkg, 'web_bg.wasm')).size);

const times = pkgs.map(() => []);
try {
  for (let r = 0; r < Number(rounds); r += 1) {
    for (const [k, pkg] of pkgs.entries()) {
      const env = await start(sites[k]);
      try {
        const page = await openPage(env);
        await page.goto(env.base);
        await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.pywebbench.firstViewMs, null, { timeout: 60_000 });
        const { ms, parts: p } = await reanalyse(page);
        times[k].push(ms);
        console.log(`round ${r + 1} ${pkg} (${sizes[k]} bytes): re-analysis ${ms} ms (fetch ${p.fetch.toFixed(0)}, Run.analyze ${p.analyse.toFixed(0)}, draw and the rest ${(ms - p.fetch - p.paint - p.analyse).toFixed(0)})`);
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
