//! The page's view of a summary: the stacks the reader chose and the metric
//! shown. The analysis crate draws Figures 1–7 in the paper's metric (req/s for
//! 1–2, mean response time for 3–7); for another metric this module puts that
//! metric's across-repetition mean and CI in each bar's place (no published bar:
//! the paper reports only its own metric) and relabels the axis and the caption.

use analysis::Summary;
use analysis::paper::{Estimate, Metric};
use analysis::summary::{Across, CellDetail, CiMethod};
use serde::Deserialize;

/// What the page asks for (the JSON the page passes to `figure_svg`).
#[derive(Debug, Default, Deserialize)]
pub struct View {
    /// Stacks to draw; `None` = all.
    #[serde(default)]
    pub stacks: Option<Vec<String>>,
    /// `paper` (default), `mean`, `median`, `p95`, `p99` or `rps`.
    #[serde(default)]
    pub metric: Option<String>,
}

/// A metric the page can show besides the paper's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownMetric {
    Paper,
    Mean,
    Median,
    P95,
    P99,
    ReqPerS,
}

impl ShownMetric {
    pub fn parse(s: Option<&str>) -> Result<ShownMetric, String> {
        Ok(match s.unwrap_or("paper") {
            "paper" => ShownMetric::Paper,
            "mean" => ShownMetric::Mean,
            "median" => ShownMetric::Median,
            "p95" => ShownMetric::P95,
            "p99" => ShownMetric::P99,
            "rps" => ShownMetric::ReqPerS,
            other => {
                return Err(format!(
                    "unknown metric `{other}`; use paper, mean, median, p95, p99 or rps"
                ));
            }
        })
    }

    /// The paper's metric when it is the same quantity, else `None`.
    fn as_paper(self) -> Option<Metric> {
        match self {
            ShownMetric::Mean => Some(Metric::MeanLatencyMs),
            ShownMetric::ReqPerS => Some(Metric::ReqPerS),
            _ => None,
        }
    }

    fn across(self, d: &CellDetail) -> Option<&Across> {
        match self {
            ShownMetric::Paper => None,
            ShownMetric::Mean => d.mean_ms.as_ref(),
            ShownMetric::Median => d.median_ms.as_ref(),
            ShownMetric::P95 => d.p95_ms.as_ref(),
            ShownMetric::P99 => d.p99_ms.as_ref(),
            ShownMetric::ReqPerS => d.req_per_s.as_ref(),
        }
    }

    /// Axis label, in the words of [`Metric::label`].
    fn label(self) -> &'static str {
        match self {
            ShownMetric::Paper => "",
            ShownMetric::Mean => "mean response time (ms)",
            ShownMetric::Median => "median response time (ms)",
            ShownMetric::P95 => "95th percentile response time (ms)",
            ShownMetric::P99 => "99th percentile response time (ms)",
            ShownMetric::ReqPerS => "throughput (req/s)",
        }
    }

    fn caption(self) -> &'static str {
        match self {
            ShownMetric::ReqPerS => {
                "req/s = completed requests ÷ the scenario's active time; the paper reports response times here, so no grey bars."
            }
            _ => {
                "Per repetition over successful requests (k6 http_req_duration), then the mean over repetitions; the paper reports only req/s or means, so no grey bars."
            }
        }
    }
}

/// Restrict `summary` to the view and put the shown metric in the bars. Returns
/// the summary to draw and, when a figure's metric changed, the axis label and
/// caption replacements `(old, new)` to apply to that figure's SVG text.
pub fn apply(
    mut summary: Summary,
    view: &View,
    figure: u8,
) -> Result<(Summary, Vec<(String, String)>), String> {
    let shown = ShownMetric::parse(view.metric.as_deref())?;
    if let Some(stacks) = &view.stacks {
        // Cells only: `summary.stacks` keeps its order, so each stack keeps its colour.
        summary.cells.retain(|c| stacks.contains(&c.stack));
    }
    let mut relabel = Vec::new();
    if shown == ShownMetric::Paper {
        return Ok((summary, relabel));
    }
    let scenario = analysis::paper::SCENARIOS
        .get(usize::from(figure).wrapping_sub(1))
        .copied()
        .unwrap_or("");
    let natural = Metric::of_scenario(scenario);
    if shown.as_paper() == Some(natural) {
        return Ok((summary, relabel));
    }
    summary.cells.retain_mut(|c| {
        if c.scenario != scenario {
            return true;
        }
        let Some(across) = c.detail.as_ref().and_then(|d| shown.across(d)) else {
            // The paper's summary has only the paper's metric: nothing to draw.
            return false;
        };
        c.estimate = Estimate {
            value: across.mean,
            ci: across.ci,
        };
        c.ci_method = if across.ci.is_some() {
            CiMethod::StudentT
        } else {
            CiMethod::None
        };
        c.published = None;
        c.published_approximate = false;
        c.ratio_to_published = None;
        true
    });
    relabel.push((natural.label().to_string(), shown.label().to_string()));
    relabel.push((
        caption_prefix(natural).to_string(),
        shown.caption().to_string(),
    ));
    Ok((summary, relabel))
}

/// The start of the figure's second caption line for the paper's metric (see
/// `analysis::figures`); the whole `<text>` element holding it is replaced.
fn caption_prefix(metric: Metric) -> &'static str {
    match metric {
        Metric::ReqPerS => "req/s = completed requests",
        Metric::MeanLatencyMs => "Mean of k6 http_req_duration",
    }
}

/// Replace the text content of every SVG `<text>` element that equals (axis
/// label) or starts with (caption) `old`. The SVG comes from plotters, which
/// escapes text; the new text is escaped here.
pub fn relabel_svg(svg: &str, replacements: &[(String, String)]) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(open) = rest.find("<text") {
        let Some(gt) = rest[open..].find('>') else {
            break;
        };
        let content_start = open + gt + 1;
        let Some(close) = rest[content_start..].find("</text>") else {
            break;
        };
        let content_end = content_start + close;
        out.push_str(&rest[..content_start]);
        let content = &rest[content_start..content_end];
        let plain = content.trim();
        match replacements
            .iter()
            .find(|(old, _)| plain == escape(old) || plain.starts_with(&escape(old)))
        {
            Some((_, new)) => out.push_str(&escape(new)),
            None => out.push_str(content),
        }
        rest = &rest[content_end..];
    }
    out.push_str(rest);
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
