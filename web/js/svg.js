// SVG handling: figures arrive as SVG text from the analysis module (plotters'
// SVG backend). They are ours, but their labels contain text from the user's
// files, so before they reach the page they go through an allow-list: only
// drawing elements and presentation attributes survive, never scripts, event
// handlers, foreign objects or external references.

const SVG_NS = 'http://www.w3.org/2000/svg';

const ALLOWED_ELEMENTS = new Set([
  'svg', 'g', 'defs', 'title', 'desc', 'rect', 'line', 'polyline', 'polygon',
  'path', 'circle', 'ellipse', 'text', 'tspan', 'pattern', 'clipPath',
]);

const ALLOWED_ATTRIBUTES = new Set([
  'width', 'height', 'viewBox', 'x', 'y', 'dx', 'dy', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy',
  'r', 'rx', 'ry', 'd', 'points', 'fill', 'fill-opacity', 'stroke',
  'stroke-width', 'stroke-opacity', 'stroke-dasharray', 'stroke-linecap',
  'stroke-linejoin', 'opacity', 'transform', 'font-family', 'font-size',
  'font-weight', 'font-style', 'text-anchor', 'dominant-baseline',
  'alignment-baseline', 'id', 'patternUnits', 'patternTransform',
  'clip-path', 'role', 'aria-label', 'aria-labelledby', 'xmlns', 'version',
]);

// Attribute values that may reference something: only in-document references.
const URL_VALUE = /url\(\s*(?!['"]?#)/i;

/** Parse SVG text and return a sanitised <svg> element ready to insert. */
export function sanitizeSvg(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length > 0) {
    throw new Error('the analysis module produced an unreadable figure (not SVG)');
  }
  clean(root);
  // Moved, not copied: the parsed tree is ours alone once it is clean.
  const svg = document.adoptNode(root);
  svg.setAttribute('role', 'img');
  return svg;
}

// A plain walk over live lists (no array copies; attributes from the end, so removing
// one does not skip the next): a page re-draws a few thousand elements at a time.
function clean(el) {
  for (let child = el.firstChild; child !== null;) {
    const next = child.nextSibling;
    if (child.nodeType !== Node.TEXT_NODE) {
      if (child.nodeType !== Node.ELEMENT_NODE
          || child.namespaceURI !== SVG_NS
          || !ALLOWED_ELEMENTS.has(child.localName)) {
        child.remove();
      } else {
        clean(child);
      }
    }
    child = next;
  }
  const attrs = el.attributes;
  for (let i = attrs.length - 1; i >= 0; i -= 1) {
    const attr = attrs[i];
    if (!ALLOWED_ATTRIBUTES.has(attr.name) || (attr.value.includes('(') && URL_VALUE.test(attr.value))) {
      el.removeAttributeNode(attr);
    }
  }
}

/** Trigger a download of `blob` under `filename`. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Serialise a (sanitised) <svg> element to a standalone SVG file's text. */
export function svgText(svg) {
  const copy = svg.cloneNode(true);
  copy.setAttribute('xmlns', SVG_NS);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
}

/**
 * Render an <svg> element to PNG through a canvas: the SVG is loaded as an
 * image (which never runs scripts) and drawn at `scale` on a white background.
 */
export async function svgToPng(svg, scale = 2) {
  const text = svgText(svg);
  const width = Number.parseFloat(svg.getAttribute('width')) || svg.viewBox.baseVal.width || 800;
  const height = Number.parseFloat(svg.getAttribute('height')) || svg.viewBox.baseVal.height || 600;
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.width = width;
    img.height = height;
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error('the browser could not rasterise the figure'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) => {
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png');
    });
  } finally {
    URL.revokeObjectURL(url);
  }
}
