// Opening a user's run: a file picker or drag and drop, of the run's files or
// of the run folder itself. Files are read locally (File.arrayBuffer); nothing
// leaves the page. Samples are the run's samples/<stack>.parquet (schema v2, one
// per stack: all of them are read) or its one samples.parquet (schema v1).

export const SAMPLES = 'samples.parquet';
export const RESOURCES = 'resources.parquet';
export const MANIFEST = 'manifest.json';
export const SWEEP = 'sweep.json';

/** A problem with what the user gave us: shown as one line in the page. */
export class InputError extends Error {}

/** Collect File objects from a drop event, descending into dropped folders. */
export async function filesFromDrop(dataTransfer) {
  const entries = [...(dataTransfer.items || [])]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (entries.length === 0) return [...(dataTransfer.files || [])];
  const files = [];
  for (const entry of entries) await collect(entry, files, 0);
  return files;
}

async function collect(entry, out, depth) {
  if (entry.isFile) {
    out.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
  } else if (entry.isDirectory && (depth < 1 || (depth === 1 && entry.name === 'samples'))) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const e of batch) await collect(e, out, depth + 1);
    }
  }
}

/**
 * Sort the given files into the run files, by name. Returns
 * `{ samples, resources, manifest, name }` with Uint8Array contents; `samples` is
 * a list (every samples/<stack>.parquet, or the one samples.parquet); resources
 * may be null (the analysis then has no resource figures); sweep is a capacity
 * sweep's sweep.json, null for other runs.
 */
export async function readRunFiles(files) {
  const byRole = { samples: [], resources: null, manifest: null, sweep: null };
  const unknown = [];
  for (const f of files) {
    const role = roleOf(f.name);
    if (!role) { unknown.push(f.name); continue; }
    if (role === 'samples') {
      if (byRole.samples.some((g) => g.name === f.name)) throw new InputError(`two files are named ${f.name}: open the files of one run only`);
      byRole.samples.push(f);
      continue;
    }
    if (byRole[role]) throw new InputError(`two files look like ${roleName(role)} (${byRole[role].name} and ${f.name}): open the files of one run only`);
    byRole[role] = f;
  }
  if (byRole.samples.length === 0 && !byRole.manifest && unknown.length > 0) {
    throw new InputError(`none of ${unknown.join(', ')} is a run file: open samples/ (or samples.parquet), resources.parquet and manifest.json from one run folder`);
  }
  if (byRole.samples.length === 0) throw new InputError('samples.parquet is missing: open it (or the samples/*.parquet files) together with manifest.json (and resources.parquet) from the run folder');
  if (!byRole.manifest) throw new InputError('manifest.json is missing: open it together with samples.parquet from the same run folder');
  const read = async (f) => (f ? new Uint8Array(await f.arrayBuffer()) : null);
  byRole.samples.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const first = byRole.samples[0].name;
  return {
    samples: await Promise.all(byRole.samples.map(read)),
    resources: await read(byRole.resources),
    manifest: await read(byRole.manifest),
    sweep: await read(byRole.sweep),
    name: byRole.samples.length > 1 || first === SAMPLES ? 'your run' : first,
  };
}

function roleOf(name) {
  const n = name.toLowerCase();
  if (n === SWEEP) return 'sweep';
  // peak.json (a peak-configuration run's grid) is not the manifest either.
  if (n.endsWith('.json')) return n.includes('summary') || n === 'peak.json' ? null : 'manifest';
  if (n.endsWith('.parquet')) return n.includes('resource') ? 'resources' : 'samples';
  return null;
}

function roleName(role) {
  return { samples: SAMPLES, resources: RESOURCES, manifest: MANIFEST, sweep: SWEEP }[role];
}
