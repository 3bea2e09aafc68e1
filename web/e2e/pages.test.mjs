// Offline check of the GitHub Pages workflow (.github/workflows/pages.yml), which
// cannot run here: it parses as YAML and has the shape a Pages deployment needs
// (the site built with `just web`, web/dist uploaded as the Pages artifact, then
// deployed with the permissions and environment deploy-pages requires).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = path.join(root, '.github', 'workflows', 'pages.yml');

const uses = (job, action) => job.steps.find((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));

test('the Pages workflow builds with `just web` and deploys web/dist', () => {
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  assert.deepEqual(doc.errors.map(String), [], 'pages.yml is not valid YAML');
  const wf = doc.toJS();
  assert.equal(typeof wf.name, 'string');
  assert.ok(wf.on && (wf.on.push || wf.on.workflow_dispatch !== undefined), 'no trigger');
  assert.deepEqual(wf.on.push.branches, ['main']);
  assert.equal(wf.permissions.pages, 'write');
  assert.equal(wf.permissions['id-token'], 'write');
  assert.equal(wf.permissions.contents, 'read');
  const { build, deploy } = wf.jobs;
  assert.ok(build && deploy, `jobs: ${Object.keys(wf.jobs)}`);
  for (const [name, job] of Object.entries(wf.jobs)) {
    assert.equal(typeof job['runs-on'], 'string', `${name}: runs-on`);
    assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${name}: steps`);
    for (const step of job.steps) {
      assert.ok(('uses' in step) !== ('run' in step), `${name}: a step has both or neither of uses/run: ${JSON.stringify(step)}`);
      if (step.uses) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${name}: ${step.uses} is not pinned to a major version`);
    }
  }
  assert.ok(uses(build, 'actions/checkout'), 'build: no checkout');
  const runs = build.steps.filter((s) => s.run).map((s) => s.run);
  const web = runs.findIndex((r) => /^\s*just web\s*$/m.test(r));
  assert.ok(web >= 0, 'build: no `just web` step');
  const upload = uses(build, 'actions/upload-pages-artifact');
  assert.ok(upload, 'build: no upload-pages-artifact');
  assert.equal(upload.with.path, 'web/dist');
  assert.ok(build.steps.indexOf(upload) > build.steps.findIndex((s) => s.run && /just web/.test(s.run)), 'upload before the build');
  assert.deepEqual([].concat(deploy.needs), ['build']);
  assert.equal(deploy.environment.name, 'github-pages');
  const dep = uses(deploy, 'actions/deploy-pages');
  assert.ok(dep, 'deploy: no deploy-pages');
  assert.equal(dep.id, 'deployment');
  assert.equal(deploy.environment.url, '${{ steps.deployment.outputs.page_url }}');
  // `just web` is a recipe of the justfile, and it publishes what build.sh bundles.
  assert.match(fs.readFileSync(path.join(root, 'justfile'), 'utf8'), /^web:/m);
});
