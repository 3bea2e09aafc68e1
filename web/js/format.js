// Small DOM helpers (numbers come formatted from the analysis module). Text from
// files only ever reaches the page through textContent (el(..., text)), never as HTML.

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
