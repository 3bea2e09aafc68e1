// Test harness: the page from `just serve` on a free loopback port, and Debian's
// headless Chromium driven by playwright-core (no browser download) with a fresh
// profile. Every request the page makes is checked to stay on the site itself.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const root = path.resolve(import.meta.dirname, '../..');
export const dist = path.join(root, 'web', 'dist');
export const screenshots = path.join(root, 'web', 'e2e', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, ms) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = new Error(`HTTP ${r.status}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the static server did not answer on ${url} within ${ms} ms: ${last?.message}`);
}

/** Start `just serve PORT DIR` (in its own process group) and Chromium. */
export async function start(dir = dist) {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: run \`just web\` first (just test-web does)`);
  }
  const port = await freePort();
  const server = spawn('just', ['serve', String(port), dir], {
    cwd: root, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverErr = '';
  server.stderr.on('data', (d) => { serverErr = (serverErr + d).slice(-4000); });
  const base = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(base, 15_000);
  } catch (e) {
    stopServer(server);
    throw new Error(`${e.message}\n${serverErr}`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pywebbench-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 }, acceptDownloads: true,
  });
  const offsite = [];
  const requests = [];
  await context.route('**/*', (route) => {
    const req = route.request();
    requests.push({ url: req.url(), method: req.method(), postData: req.postData() });
    const url = req.url();
    if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  fs.mkdirSync(screenshots, { recursive: true });
  return {
    base, context, offsite, requests,
    async stop() {
      await context.close().catch(() => {});
      stopServer(server);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

function stopServer(server) {
  try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
}

/** A new page that records console errors and uncaught exceptions. */
export async function openPage(env, url, viewport) {
  const page = await env.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.problems = problems;
  if (url !== undefined) await page.goto(env.base + url);
  return page;
}

/** Run a command from the repository root, returning stdout (throws with stderr). */
export function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/**
 * A copy of the built site at `site` whose only published run is the run folder
 * `runDir` (samples.parquet, resources.parquet, manifest.json, report/summary.json), as
 * `just web` publishes a tracked run, under the id `id`.
 */
export function siteWithRun(site, runDir, id, source) {
  fs.cpSync(dist, site, { recursive: true });
  const files = {};
  for (const f of ['samples.parquet', 'resources.parquet', 'manifest.json', 'report/summary.json']) {
    fs.mkdirSync(path.dirname(path.join(site, 'data', id, f)), { recursive: true });
    fs.copyFileSync(path.join(runDir, f), path.join(site, 'data', id, f));
    files[path.basename(f).split('.')[0]] = `data/${id}/${f}`;
  }
  fs.writeFileSync(path.join(site, 'data', 'index.json'), JSON.stringify({ runs: [{ id, source, files }], paper: [] }));
}

/**
 * Click "Re-analyse in this page" and wait for it. `ms`: from the click to the re-analysed
 * run painted, as the page measures it (`parts.total`); `driverMs`: the same seen from
 * here, which adds the browser driver's click and polling (tens of ms); `parts`: where
 * the page's time went.
 */
export async function reanalyse(page) {
  const t = Date.now();
  await page.click('#reanalyse');
  await page.waitForFunction(() => window.pywebbench.analysis?.total !== undefined, null, { timeout: 600_000 });
  const driverMs = Date.now() - t;
  const parts = await page.evaluate(() => window.pywebbench.analysis);
  return { ms: Math.round(parts.total), driverMs, parts };
}
