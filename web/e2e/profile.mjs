// The page's re-analysis without the page: the built wasm module (web/dist/pkg) driven
// by node on a run folder, each step timed, so `node --cpu-prof` can show where the
// time goes (`just profile-web RUN`). Only `Run.analyze` and `summary_json` run here
// (the figures need the DOM: plotters measures text through it).
//
// Usage: node [--cpu-prof] profile.mjs RUN_DIR [REPEATS] [PKG_DIR]
import fs from 'node:fs';
import path from 'node:path';
import { root } from './harness.mjs';

const [runDir, repeats = '3', pkgArg] = process.argv.slice(2);
if (!runDir) {
  console.error('usage: node profile.mjs RUN_DIR [REPEATS] [PKG_DIR]');
  process.exit(2);
}
const pkg = path.resolve(pkgArg || path.join(root, 'web', 'dist', 'pkg'));
const m = await import(path.join(pkg, 'web.js'));
m.initSync({ module: fs.readFileSync(path.join(pkg, 'web_bg.wasm')) });
m.init();

const file = (name) => path.join(runDir, name);
const split = file('samples');
const sampleFiles = fs.existsSync(split)
  ? fs.readdirSync(split).filter((f) => f.endsWith('.parquet')).sort().map((f) => path.join(split, f))
  : [file('samples.parquet')];
const read = (p) => new Uint8Array(fs.readFileSync(p));
const samples = sampleFiles.map(read);
const resources = fs.existsSync(file('resources.parquet')) ? read(file('resources.parquet')) : undefined;
const manifest = read(file('manifest.json'));
const published = fs.readFileSync(path.join(root, 'paper', 'published.toml'), 'utf8');
const claims = fs.readFileSync(path.join(root, 'paper', 'claims.toml'), 'utf8');
const bytes = samples.reduce((a, s) => a + s.length, 0);
console.log(`profile: ${sampleFiles.length} sample file(s), ${(bytes / 1048576).toFixed(1)} MiB, module ${pkg}`);

for (let i = 0; i < Number(repeats); i += 1) {
  const t0 = performance.now();
  const lengths = new Uint32Array(samples.map((s) => s.length));
  const packed = new Uint8Array(bytes);
  let at = 0;
  for (const s of samples) { packed.set(s, at); at += s.length; }
  const t1 = performance.now();
  const run = m.Run.analyze(packed, lengths, resources, manifest, published, claims);
  const t2 = performance.now();
  const json = run.summary_json();
  const t3 = performance.now();
  JSON.parse(json);
  const t4 = performance.now();
  run.free();
  const ms = (a, b) => `${(b - a).toFixed(0)} ms`;
  console.log(`  #${i + 1}: pack ${ms(t0, t1)}, Run.analyze ${ms(t1, t2)}, summary_json ${ms(t2, t3)} (${(json.length / 1048576).toFixed(1)} MiB), JSON.parse ${ms(t3, t4)}; total ${ms(t0, t4)}`);
}
