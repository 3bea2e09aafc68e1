// Profiles of a run made with `pywebbench run --profile`: a published run's
// profiles/<stack>/<scenario>.txt (listed in data/index.json by web/build.sh) or a
// file the user opens, drawn by the analysis module (the report's flame graph code)
// with its layer and top-frame tables.
import { call } from './wasm.js';
import { sanitizeSvg } from './svg.js';
import { table } from './format.js';

const $ = (id) => document.getElementById(id);

async function show(text, title) {
  const plot = $('profile-plot');
  const tables = $('profile-tables');
  const error = $('profile-error');
  plot.replaceChildren();
  tables.replaceChildren();
  error.hidden = true;
  try {
    plot.append(sanitizeSvg(await call('flame_graph_svg', text, title)));
    const t = JSON.parse(await call('profile_tables', text));
    tables.append(
      table(`Share of the ${t.total} samples per layer: ${title}`, t.layers.headers, t.layers.rows),
      table(`Top frames (self samples): ${title}`, t.top.headers, t.top.rows),
    );
  } catch (e) {
    error.textContent = `the profile could not be drawn: ${e.message}`;
    error.hidden = false;
  }
}

/** Fill the menu from the site's index and wire the file input. */
export function initProfiles(index) {
  const select = $('profile-cell');
  const cells = (index.runs || []).flatMap((r) => (r.files?.profiles || []).map((p) => ({ ...p, run: r.id })));
  if (cells.length) {
    select.replaceChildren(new Option('(choose a stack and scenario)', ''),
      ...cells.map((c, i) => new Option(`${c.run} · ${c.stack} · ${c.scenario}`, String(i))));
  }
  select.addEventListener('change', async () => {
    const c = cells[Number(select.value)];
    if (!select.value || !c) return;
    const r = await fetch(c.path);
    if (!r.ok) {
      $('profile-error').textContent = `the profile could not be loaded: ${c.path} answered HTTP ${r.status}`;
      $('profile-error').hidden = false;
      return;
    }
    await show(await r.text(), `${c.stack} · ${c.scenario}`);
  });
  const input = $('profile-file');
  input.addEventListener('change', async () => {
    const f = input.files[0];
    if (!f) return;
    await show(await f.text(), f.webkitRelativePath || f.name);
    input.value = '';
  });
}
