// Number formatting and small DOM helpers. Text from files only ever reaches
// the page through textContent (el(..., text)), never as HTML.

/** Create an element; `text` is set with textContent; attrs via setAttribute. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A number as the page shows it: by unit. NaN/inf and missing values as "—". */
export function fmt(v, unit) {
  if (v === null || v === undefined || typeof v !== 'number' || !Number.isFinite(v)) return '—';
  switch (unit) {
    case 'req/s': return v.toFixed(0);
    case 'ms': return v.toFixed(2);
    case '%': return `${v.toFixed(1)} %`;
    case 'ratio': return v.toFixed(3);
    case 'p': return v < 0.0001 ? '< 0.0001' : v.toFixed(4);
    case 'g': return v.toFixed(2);
    case 'int': return v.toFixed(0);
    default: return String(v);
  }
}

/** "[low, high]" or "—". */
export function fmtCi(ci, unit) {
  if (!ci || typeof ci.low !== 'number' || typeof ci.high !== 'number') return '—';
  return `[${fmt(ci.low, unit)}, ${fmt(ci.high, unit)}]`;
}

export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A table with a caption, header row and body rows (arrays of cells). */
export function table(caption, headers, rows, opts = {}) {
  const t = el('table', { id: opts.id, class: opts.class });
  t.append(el('caption', { text: caption }));
  const thead = el('thead');
  thead.append(el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h }))));
  t.append(thead);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => {
      if (c instanceof Node) { tr.append(c); return; }
      const td = el(i === 0 && opts.rowHeaders !== false ? 'th' : 'td', i === 0 && opts.rowHeaders !== false ? { scope: 'row' } : {});
      td.textContent = c === null || c === undefined ? '—' : String(c);
      tr.append(td);
    });
    tbody.append(tr);
  }
  t.append(tbody);
  return el('div', { class: 'table-wrap' }, t);
}

/** A numeric table cell carrying its exact value for tests and copy-paste. */
export function num(v, unit, key) {
  const td = el('td', { 'data-key': key, 'data-value': typeof v === 'number' ? String(v) : undefined });
  td.textContent = fmt(v, unit);
  return td;
}
