//! A flame graph of one profile (Brendan Gregg's layout: the root at the bottom, a
//! frame's width its share of the samples, callees above their caller in name order),
//! coloured by the frame's layer ([`crate::profile::Layer`]), with a legend. Written as
//! SVG by hand rather than through plotters: each frame is a `<g>` with a `<title>`
//! (frame, layer, samples, share), which plotters' backends cannot emit. The same code
//! draws the report's `flame-<stack>-<scenario>.svg` and the viewer's.

use std::fmt::Write as _;

use crate::format;
use crate::profile::{Layer, Node, Profile, layer_of_frame, share};
use crate::report::html::escape;

/// The flame graph's width in SVG units.
pub const FLAME_WIDTH: u32 = 1200;
const ROW: f64 = 17.0;
const PAD: f64 = 10.0;
const TOP: f64 = 58.0;
/// Frames narrower than this (SVG units) are left out, as flamegraph.pl's `minwidth`.
const MIN_WIDTH: f64 = 0.3;

/// The file name of a cell's flame graph beside `report.md`.
pub fn flame_file(stack: &str, scenario: &str) -> String {
    format!("flame-{stack}-{scenario}.svg")
}

/// The flame graph of `profile` as SVG, titled `title` (the stack and scenario).
pub fn flame_svg(profile: &Profile, title: &str) -> String {
    let root = profile.tree();
    let depth = max_depth(&root);
    let height = TOP + (depth as f64 + 1.0) * ROW + PAD;
    let width = f64::from(FLAME_WIDTH);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flame\" width=\"{FLAME_WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {FLAME_WIDTH} {height:.0}\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = write!(
        out,
        "<title>Flame graph: {} — {} samples</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        escape(title),
        format::count(profile.total)
    );
    let _ = write!(
        out,
        "<text x=\"{PAD}\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#212121\">{} — {} samples</text>",
        escape(title),
        format::count(profile.total)
    );
    // The legend: one swatch per layer.
    let mut x = PAD;
    for layer in Layer::ALL {
        let label = layer.label();
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"28\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#555\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"38\" fill=\"#212121\">{}</text>",
            layer.colour(),
            x + 16.0,
            escape(label)
        );
        x += 16.0 + label.len() as f64 * 6.2 + 14.0;
    }
    let scale = if root.samples == 0 {
        0.0
    } else {
        (width - 2.0 * PAD) / root.samples as f64
    };
    let bottom = height - PAD - ROW;
    frame(&mut out, &root, PAD, 0, scale, bottom, profile.total);
    out.push_str("</svg>");
    out
}

fn max_depth(n: &Node) -> usize {
    n.children
        .iter()
        .map(|c| 1 + max_depth(c))
        .max()
        .unwrap_or(0)
}

fn frame(out: &mut String, n: &Node, x: f64, depth: usize, scale: f64, bottom: f64, total: u64) {
    let w = n.samples as f64 * scale;
    if w < MIN_WIDTH {
        return;
    }
    let y = bottom - depth as f64 * ROW;
    let layer = if depth == 0 {
        Layer::Other
    } else {
        layer_of_frame(&n.frame)
    };
    let share = share(n.samples, total);
    let _ = write!(
        out,
        "<g class=\"frame\"><title>{}\n{} · {} samples ({})</title><rect x=\"{x:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>",
        escape(&n.frame),
        layer.label(),
        format::count(n.samples),
        format::share(Some(share)),
        ROW - 1.0,
        layer.colour()
    );
    let fits = ((w - 6.0) / 6.2).floor();
    if fits >= 3.0 {
        let fits = fits as usize;
        let text: String = if n.frame.chars().count() > fits {
            let mut t: String = n.frame.chars().take(fits.saturating_sub(1)).collect();
            t.push('…');
            t
        } else {
            n.frame.clone()
        };
        let _ = write!(
            out,
            "<text x=\"{:.2}\" y=\"{:.1}\" fill=\"#111111\">{}</text>",
            x + 3.0,
            y + ROW - 5.0,
            escape(&text)
        );
    }
    out.push_str("</g>");
    let mut cx = x;
    for c in &n.children {
        frame(out, c, cx, depth + 1, scale, bottom, total);
        cx += c.samples as f64 * scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_collapsed;

    #[test]
    fn every_frame_is_a_titled_rect_of_its_share() {
        let p = parse_collapsed(
            "main (app.py:1);handle (gunicorn/workers/sync.py:2);dumps (json/__init__.py:3) 3\nmain (app.py:1);handle (gunicorn/workers/sync.py:2) 1\n",
        )
        .expect("parses");
        let svg = flame_svg(&p, "flask-sqlite3 · hello");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        // all, main, handle, dumps: four frames, each with a title and a rect.
        assert_eq!(svg.matches("<g class=\"frame\">").count(), 4);
        assert!(
            svg.contains(
                "<title>dumps (json/__init__.py:3)\nJSON encoding · 3 samples (75.0 %)</title>"
            ),
            "{svg}"
        );
        assert!(svg.contains(Layer::Json.colour()));
        assert!(svg.contains(Layer::Server.colour()));
        // The root spans the whole width.
        assert!(svg.contains(&format!(
            "width=\"{:.2}\"",
            f64::from(FLAME_WIDTH) - 2.0 * PAD
        )));
        assert!(svg.contains("flask-sqlite3 · hello — 4 samples"));
    }

    #[test]
    fn an_empty_profile_draws_an_empty_graph() {
        let svg = flame_svg(&Profile::default(), "x");
        assert!(svg.contains("0 samples"));
        assert_eq!(svg.matches("<g class=\"frame\">").count(), 0);
    }
}
