//! The document as Markdown: `report.md` (figures referenced as `figN.svg` beside it)
//! and the README's results section.

use std::fmt::Write as _;

use super::{Block, distribution_file};
use crate::summary::Summary;
use crate::table::{Align, Table};

/// `report.md`: figures referenced as `figN.svg` beside it.
pub fn markdown(s: &Summary) -> String {
    render(&super::document(s))
}

/// A table cell: `|` escaped, one line.
pub fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Blocks as Markdown, each followed by a blank line.
pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(out, "{} {t}\n", "#".repeat(*l as usize));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "{t}\n");
            }
            Block::Quote(t) => {
                let _ = writeln!(out, "> {t}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(out, "- {i}");
                }
                out.push('\n');
            }
            Block::Table(t) => table(&mut out, t),
            Block::Code { lang, text } => {
                let _ = writeln!(out, "```{lang}\n{}\n```\n", text.trim_end_matches('\n'));
            }
            Block::Image { alt, src } | Block::Svg { alt, file: src, .. } => {
                let _ = writeln!(out, "![{alt}]({src})\n");
            }
            Block::Figure(n) => {
                let _ = writeln!(out, "![Figure {n}](fig{n}.svg)\n");
            }
            Block::Distribution(sc) => {
                let _ = writeln!(
                    out,
                    "![{}]({})\n",
                    crate::figures::distribution_title(sc),
                    distribution_file(sc)
                );
            }
        }
    }
    out
}

fn row(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// A pipe table (its caption, when it has one, as a paragraph above it).
fn table(out: &mut String, t: &Table) {
    if !t.caption.is_empty() {
        let _ = writeln!(out, "{}\n", t.caption);
    }
    row(out, &t.headers);
    let rule: Vec<&str> = (0..t.headers.len())
        .map(|i| match t.align_of(i) {
            Align::Left => "---",
            Align::Right => "---:",
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for r in &t.rows {
        row(out, r);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_render_with_a_blank_line_after_each() {
        let t = Table::new(["a", "b|c"])
            .with_align(vec![Align::Left, Align::Right])
            .with_rows(vec![vec!["1".into(), "x|y\nz".into()]]);
        let md = render(&[
            Block::Heading(3, "H".into()),
            Block::Quote("note".into()),
            Block::Table(t),
            Block::Code {
                lang: "text".into(),
                text: "line\n".into(),
            },
            Block::Image {
                alt: "Figure 1".into(),
                src: "r/fig1.png".into(),
            },
        ]);
        assert_eq!(
            md,
            "### H\n\n> note\n\n| a | b\\|c |\n|---|---:|\n| 1 | x\\|y z |\n\n```text\nline\n```\n\n![Figure 1](r/fig1.png)\n\n"
        );
    }
}
