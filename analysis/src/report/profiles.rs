//! The profiled repetition (`run --profile`): where each stack × scenario spent its
//! samples, layer by layer, and a flame graph per cell with its top frames.

use super::Block;
use crate::figures::{flame_file, flame_svg};
use crate::format;
use crate::profile::{CellProfile, Layer};
use crate::summary::Summary;
use crate::table::{Align, Table};

/// How many leaf frames each cell's "top frames" table lists.
pub const TOP_FRAMES: usize = 8;

/// The section, when there are profiles.
pub(super) fn section(doc: &mut Vec<Block>, s: &Summary, cells: &[CellProfile]) {
    if cells.is_empty() {
        return;
    }
    doc.push(Block::Heading(
        2,
        "Profiles (the profiled repetition)".into(),
    ));
    let how = s
        .manifest
        .as_ref()
        .and_then(|m| m.profile.as_ref())
        .map_or_else(
            || "The profiled repetition".to_string(),
            |p| {
                format!(
                    "Repetition {} of every stack was sampled by {} at {} Hz ({})",
                    p.repetition, p.tool, p.rate_hz, p.method
                )
            },
        );
    doc.push(Block::Para(format!(
        "{how}; it is not in the statistics above. Each sample is charged to the first frame of a known layer from its leaf (the function on the CPU) towards the root; IO wait only when the leaf itself waits, and a leaf in a cursor call (execute, fetch…, commit) is SQLite, whose C code has no Python frame. Frames are coloured by their own module's layer."
    )));
    doc.push(Block::Table(layer_table(s, cells)));
    let notes = Layer::ALL
        .iter()
        .map(|l| format!("{}: {}", l.label(), l.modules()))
        .collect();
    doc.push(Block::List(notes));
    for c in cells {
        let title = format!("{} · {}", s.label(&c.stack), c.scenario);
        doc.push(Block::Heading(3, title.clone()));
        doc.push(Block::Svg {
            alt: format!("Flame graph: {title}"),
            file: flame_file(&c.stack, &c.scenario),
            svg: flame_svg(&c.profile, &title),
        });
        doc.push(Block::Table(
            c.profile
                .top_frames_table(TOP_FRAMES)
                .with_caption(format!("Top frames (self samples): {title}")),
        ));
    }
}

/// Every cell's samples and each layer's share, one row per stack × scenario.
pub fn layer_table(s: &Summary, cells: &[CellProfile]) -> Table {
    let mut headers = vec!["Stack".to_string(), "Scenario".into(), "Samples".into()];
    headers.extend(Layer::ALL.iter().map(|l| l.label().to_string()));
    let mut align = vec![Align::Left, Align::Left, Align::Right];
    align.extend(Layer::ALL.iter().map(|_| Align::Right));
    let rows = cells
        .iter()
        .map(|c| {
            let mut r = vec![
                s.short_label(&c.stack).to_string(),
                c.scenario.clone(),
                format::count(c.profile.total),
            ];
            r.extend(
                c.profile
                    .layer_shares()
                    .into_iter()
                    .map(|l| format::share(Some(l.share))),
            );
            r
        })
        .collect();
    Table::new(headers)
        .with_caption("Share of each cell's samples per layer")
        .with_rows(rows)
        .with_align(align)
}
