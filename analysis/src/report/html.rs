//! The document as a self-contained `report.html`: inline CSS, the figures inline as
//! SVG, no scripts, no external resources.

use std::fmt::Write as _;

use super::Block;
use crate::summary::Summary;
use crate::table::{Align, Table};

/// Text for HTML or SVG: `&`, `<`, `>` and `"` as entities.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#212121;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0;display:block;overflow-x:auto}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f5f5f5}
tr:nth-child(even) td{background:#fafafa}pre{background:#f5f5f5;padding:1em;overflow-x:auto;font-size:.85em}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}";

/// `report.html`. `figures_svg[i]` is Figure i + 1; `distributions` holds
/// (scenario, SVG) of the latency distribution figures.
pub fn html(s: &Summary, figures_svg: &[String], distributions: &[(String, String)]) -> String {
    html_of(s, &super::document(s), figures_svg, distributions)
}

/// `report.html` of a document already built from `s` (for one with the profiled
/// repetition's section: [`super::document_with_profiles`]; flame graphs inline).
pub fn html_of(
    s: &Summary,
    doc: &[super::Block],
    figures_svg: &[String],
    distributions: &[(String, String)],
) -> String {
    let mut out = String::new();
    let title = match &s.manifest {
        Some(m) => format!("pywebbench report — {}", m.run_id),
        None => "pywebbench — the paper's numbers".into(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>\n",
        escape(&title)
    );
    for b in doc {
        block(&mut out, b, figures_svg, distributions);
    }
    out.push_str("</body></html>\n");
    out
}

fn block(out: &mut String, b: &Block, figures_svg: &[String], distributions: &[(String, String)]) {
    match b {
        Block::Heading(l, t) => {
            let _ = writeln!(out, "<h{l}>{}</h{l}>", escape(t).replace('`', ""));
        }
        Block::Para(t) => {
            let _ = writeln!(out, "<p>{}</p>", escape(t));
        }
        Block::Quote(t) => {
            let _ = writeln!(out, "<blockquote><p>{}</p></blockquote>", escape(t));
        }
        Block::List(items) => {
            out.push_str("<ul>");
            for i in items {
                let _ = write!(out, "<li>{}</li>", escape(i));
            }
            out.push_str("</ul>\n");
        }
        Block::Table(t) => table(out, t),
        Block::Code { text, .. } => {
            let _ = writeln!(out, "<pre>{}</pre>", escape(text));
        }
        Block::Image { alt, src } => {
            let _ = writeln!(
                out,
                "<figure><img src=\"{}\" alt=\"{}\"></figure>",
                escape(src),
                escape(alt)
            );
        }
        Block::Figure(n) => match figures_svg.get(*n as usize - 1) {
            Some(svg) => {
                let _ = writeln!(out, "<figure>{svg}</figure>");
            }
            None => {
                let _ = writeln!(out, "<p><em>Figure {n} not drawn.</em></p>");
            }
        },
        Block::Svg { svg, .. } => {
            let _ = writeln!(out, "<figure>{svg}</figure>");
        }
        Block::Distribution(sc) => match distributions.iter().find(|(d, _)| d == sc) {
            Some((_, svg)) => {
                let _ = writeln!(out, "<figure>{svg}</figure>");
            }
            None => {
                let _ = writeln!(
                    out,
                    "<p><em>{} not drawn.</em></p>",
                    escape(&crate::figures::distribution_title(sc))
                );
            }
        },
    }
}

fn cell(out: &mut String, tag: &str, text: &str, align: Align) {
    let style = match align {
        Align::Left => "",
        Align::Right => " style=\"text-align:right\"",
    };
    let _ = write!(out, "<{tag}{style}>{}</{tag}>", escape(text));
}

fn table(out: &mut String, t: &Table) {
    out.push_str("<table>");
    if !t.caption.is_empty() {
        let _ = write!(out, "<caption>{}</caption>", escape(&t.caption));
    }
    out.push_str("<thead><tr>");
    for (i, h) in t.headers.iter().enumerate() {
        cell(out, "th", h, t.align_of(i));
    }
    out.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            cell(out, "td", c, t.align_of(i));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}
