//! The README's part on a peak-configuration run (`pywebbench readme … --peak RUN`,
//! from its `peak.json`): each stack at its best grid point beside the campaign's fixed
//! configuration (the tuned Figures 1–2 and their table), then every grid point's req/s
//! with its interval, the best of each stack and scenario in bold.

use super::Block;
use crate::format::{self, MISSING};
use crate::paper::Metric;
use crate::peak::{PeakCell, PeakSummary};
use crate::registry::Registry;
use crate::table::{Align, Table};

/// Where the peak part links to, relative to the README's folder.
#[derive(Debug, Clone, Default)]
pub struct PeakLinks {
    /// The run's folder.
    pub run: String,
    /// `peak.json`.
    pub json: String,
    /// The tuned figures (PNG), one per scenario of `peak.json`, in its order.
    pub figures: Vec<String>,
}

fn label(stack: &str) -> String {
    Registry::builtin().short_label_of(stack)
}

fn value(c: Option<&PeakCell>) -> String {
    format::opt_value(c.and_then(|c| c.mean), Metric::ReqPerS)
}

fn value_ci(c: Option<&PeakCell>) -> String {
    match c {
        Some(c) if c.mean.is_some() => format!(
            "{} {}",
            value(Some(c)),
            format::interval(c.ci, Metric::ReqPerS)
        ),
        _ => MISSING.into(),
    }
}

/// The part as Markdown (a leading newline, as the results section's).
pub fn section(peak: &PeakSummary, links: &PeakLinks) -> String {
    format!("\n{}", super::markdown::render(&document(peak, links)))
}

/// The part as blocks.
pub fn document(peak: &PeakSummary, links: &PeakLinks) -> Vec<Block> {
    let mut doc = vec![Block::Heading(
        3,
        "Peak configuration: each stack at its best server setting".into(),
    )];
    let points: usize = peak.stacks.iter().map(|s| s.points.len()).sum();
    doc.push(Block::Para(format!(
        "Run `{}` ([{}]({}), [peak.json]({})): {} grid points (worker class × workers × threads, from each stack's `[server]` classes and [paper/campaign-peak.toml](paper/campaign-peak.toml)) over {} stacks, each point a fresh container measured once per round in {} interleaved round(s) on the campaign's scenarios ({}); objective: closed-model req/s at the campaign's VUs. Best = the highest mean req/s with errors ≤ {}; intervals: {} (t, over the rounds).",
        peak.run_id,
        links.run,
        links.run,
        links.json,
        points,
        peak.stacks.len(),
        peak.rounds,
        peak.scenarios.join(", "),
        format::setting_percent(crate::peak::MAX_ERROR_SHARE),
        format::ci_label(peak.confidence),
    )));
    doc.push(Block::Quote(format!(
        "The host has {} CPU cores, so the grid is small (more workers than cores only add contention here) and the best points are this host's. The same campaign runs unchanged on a bigger host or a remote engine (`DOCKER_HOST`): widen `workers` in its `[[peak.class]]` tables to match its cores. With few rounds the intervals are wide; read a best point whose interval overlaps the fixed one's as \"no better than the paper's setting\".",
        peak.cores
    )));
    let (l, r) = (Align::Left, Align::Right);
    let mut t = Table::new([
        "Scenario",
        "Stack",
        "Fixed",
        "req/s (fixed)",
        "Best",
        "req/s (best)",
        "Change",
        "Intervals overlap",
    ])
    .with_align(vec![l, l, l, r, l, r, r, l]);
    for scenario in &peak.scenarios {
        for s in &peak.stacks {
            let Some(b) = s.best.iter().find(|b| &b.scenario == scenario) else {
                continue;
            };
            let cell = |lbl: &Option<String>| {
                lbl.as_deref()
                    .and_then(|l| s.point(l))
                    .and_then(|p| p.cell(scenario))
            };
            t.push(vec![
                scenario.clone(),
                label(&s.stack),
                b.fixed.clone().unwrap_or_else(|| MISSING.into()),
                value_ci(cell(&b.fixed)),
                b.best.clone().unwrap_or_else(|| MISSING.into()),
                value_ci(cell(&b.best)),
                b.change
                    .map_or_else(|| MISSING.into(), |c| format::signed_percent(c * 100.0)),
                match b.overlaps_fixed {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => MISSING.into(),
                },
            ]);
        }
    }
    doc.push(Block::Table(t));
    for (scenario, src) in peak.scenarios.iter().zip(&links.figures) {
        let title = crate::figures::tuned_title(scenario);
        doc.push(Block::Para(format!("**{title}**")));
        doc.push(Block::Image {
            alt: title,
            src: src.clone(),
        });
    }
    doc.push(Block::Para(
        "Every grid point (mean req/s [interval]; bold: the stack's best in that scenario; w = workers, t = threads per worker, then the worker class):".into(),
    ));
    doc.push(Block::Table(grid_table(peak, true)));
    doc
}

/// Every point of every stack, one row each, one column per scenario; each stack's
/// best cell in Markdown bold (`markdown`), else followed by "(best)".
pub fn grid_table(peak: &PeakSummary, markdown: bool) -> Table {
    let mut headers = vec!["Stack".to_string(), "Configuration".to_string()];
    headers.extend(peak.scenarios.iter().cloned());
    headers.push("Failed rounds".into());
    let mut align = vec![Align::Left, Align::Left];
    align.extend(peak.scenarios.iter().map(|_| Align::Right));
    align.push(Align::Right);
    let mut t = Table::new(headers).with_align(align);
    for s in &peak.stacks {
        let best: Vec<Option<&str>> = peak
            .scenarios
            .iter()
            .map(|sc| s.best_point(sc).map(|b| b.label.as_str()))
            .collect();
        for p in &s.points {
            let fixed = s.fixed.as_ref() == Some(&p.config);
            let mut row = vec![
                label(&s.stack),
                if fixed {
                    format!("{} (fixed)", p.label)
                } else {
                    p.label.clone()
                },
            ];
            for (sc, b) in peak.scenarios.iter().zip(&best) {
                let text = value_ci(p.cell(sc));
                row.push(match (*b == Some(p.label.as_str()), markdown) {
                    (false, _) => text,
                    (true, true) => format!("**{text}**"),
                    (true, false) => format!("{text} (best)"),
                });
            }
            row.push(p.failures.len().to_string());
            t.push(row);
        }
    }
    t
}
