// Hover and keyboard focus on the bars of Figures 1–7. The analysis module returns,
// beside each figure's SVG, every bar's box (in the SVG's pixels) and its tooltip's
// texts, already written (analysis::figures::BarHit); this file lays a focusable
// button over each bar and shows those texts. It computes and formats nothing.
import { el } from './format.js';

/** The tooltip's lines, in order: the stack, then what the module wrote. */
const LINES = ['value', 'interval', 'n', 'mean', 'median', 'p99', 'limiter'];

const pct = (v, of) => `${(100 * v) / of}%`;

/**
 * `svg` (sanitised) inside a `.plot` box with one button per bar of `fig`
 * (`{ width, height, bars }` from Run.figure_with_bars) and a tooltip.
 */
export function withBars(svg, fig, scenarioLabel) {
  const tip = el('div', { class: 'tip', role: 'tooltip', hidden: true });
  tip.id = `tip-${Math.random().toString(36).slice(2)}`;
  const layer = el('div', { class: 'bar-layer' });
  const buttons = fig.bars.map((b) => {
    const lines = [`${b.label} — ${scenarioLabel}`, ...LINES.map((k) => b[k]).filter(Boolean)];
    const button = el('button', {
      type: 'button', class: 'bar-hit', 'aria-label': lines.join('; '),
      'data-stack': b.stack, 'data-scenario': b.scenario, 'data-value': b.value,
      'data-interval': b.interval, 'data-n': b.n, 'data-mean': b.mean, 'data-median': b.median,
      'data-p99': b.p99, 'data-limiter': b.limiter ?? undefined,
    });
    Object.assign(button.style, {
      left: pct(b.x, fig.width), top: pct(b.y, fig.height), width: pct(b.width, fig.width), height: pct(b.height, fig.height),
    });
    button.lines = lines;
    return button;
  });
  const show = (button) => {
    tip.replaceChildren(...button.lines.map((l, k) => el(k === 0 ? 'strong' : 'span', { text: l })));
    // Beside the bar, on the side with room.
    const right = Number.parseFloat(button.style.left) > 60;
    tip.style.left = right ? '' : `calc(${button.style.left} + ${button.style.width})`;
    tip.style.right = right ? `calc(100% - ${button.style.left})` : '';
    tip.style.top = '12%';
    tip.hidden = false;
    button.setAttribute('aria-describedby', tip.id);
  };
  const hide = () => {
    tip.hidden = true;
    for (const b of buttons) b.removeAttribute('aria-describedby');
  };
  buttons.forEach((button, k) => {
    button.addEventListener('mouseenter', () => show(button));
    button.addEventListener('focus', () => show(button));
    button.addEventListener('mouseleave', () => { if (document.activeElement !== button) hide(); });
    button.addEventListener('blur', hide);
    button.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !tip.hidden) {
        // Hide the tooltip only (a second Escape closes the dialog).
        e.preventDefault();
        e.stopPropagation();
        hide();
      } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        e.preventDefault();
        const next = buttons[(k + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length];
        next.focus();
      }
    });
  });
  layer.append(...buttons);
  return el('div', { class: 'bars' }, svg, layer, tip);
}
