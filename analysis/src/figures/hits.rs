//! The bars of Figures 1–7 as hit boxes beside the SVG: where each bar's column is in
//! the SVG's pixels and what its tooltip says (every number written by
//! [`crate::format`]). The viewer lays a focusable box over each column and shows the
//! texts on hover and keyboard focus; it formats nothing itself.

use serde::Serialize;

use crate::format;
use crate::shown::ShownValue;
use crate::summary::{CellSummary, Summary};

/// One bar's column: its box in SVG pixels (of the figure's `width` × `height`) and
/// its tooltip's lines, each a whole sentence ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarHit {
    pub stack: String,
    pub scenario: String,
    /// The stack's label (the tooltip's first line).
    pub label: String,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    /// The value shown by the bar after the axis label (which names the unit):
    /// `95th percentile response time (ms): 12.34`.
    pub value: String,
    /// Its interval: `95 % CI [11.90, 12.80] ms`.
    pub interval: String,
    /// Repetitions and requests: `n = 5 repetitions, 120000 requests`.
    pub n: String,
    /// The latency mean, median and p99 over the repetitions (means of each).
    pub mean: String,
    pub median: String,
    pub p99: String,
    /// What limited the cell, when the summary says.
    pub limiter: Option<String>,
}

/// The tooltip texts of `cell` drawn as `bar`, in the box `(x, y, width, height)`.
pub(crate) fn bar_hit(
    summary: &Summary,
    cell: &CellSummary,
    bar: &ShownValue,
    axis_label: &str,
    (x, y, width, height): (i32, i32, i32, i32),
) -> BarHit {
    let unit_metric = bar.metric.unit_metric();
    let latency = |pick: fn(&crate::summary::CellDetail) -> Option<&crate::summary::Across>| {
        cell.detail
            .as_ref()
            .and_then(pick)
            .map(|a| format!("{} ms", format::ms(a.mean)))
            .unwrap_or_else(|| format::MISSING.into())
    };
    let reps = bar
        .n
        .map(|n| format!("{} repetition(s)", format::count(u64::from(n))))
        .unwrap_or_else(|| "published value only".into());
    let n = if cell.requests > 0 {
        format!("n = {reps}, {} requests", format::count(cell.requests))
    } else {
        format!("n = {reps}")
    };
    BarHit {
        stack: cell.stack.clone(),
        scenario: cell.scenario.clone(),
        label: summary.label(&cell.stack).to_string(),
        x,
        y,
        width,
        height,
        value: format!("{axis_label}: {}", format::value(bar.value, unit_metric)),
        interval: format!(
            "{} {} {}",
            format::ci_label(summary.settings.confidence),
            format::interval(bar.ci, unit_metric),
            bar.metric.unit()
        ),
        n,
        mean: format!("mean {}", latency(|d| d.mean_ms.as_ref())),
        median: format!("median {}", latency(|d| d.median_ms.as_ref())),
        p99: format!("p99 {}", latency(|d| d.p99_ms.as_ref())),
        limiter: cell
            .limiter
            .as_ref()
            .map(|l| format!("limited by {}", l.most_common.as_str())),
    }
}
