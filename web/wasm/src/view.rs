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

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::Paper;
    use analysis::synthetic::{SyntheticSpec, synthetic_run};

    fn run_summary() -> Summary {
        let paper = Paper::builtin().expect("built-in paper");
        let spec = SyntheticSpec {
            repetitions: 2,
            scale: 0.003,
            warmup_requests: 100,
            ..SyntheticSpec::default()
        };
        let (manifest, samples, resources) = synthetic_run(&spec, &paper);
        analysis::summarize(&manifest, &samples, &resources, &paper, 7).expect("summary")
    }

    fn view(stacks: Option<&[&str]>, metric: &str) -> View {
        View {
            stacks: stacks.map(|s| s.iter().map(|x| x.to_string()).collect()),
            metric: Some(metric.to_string()),
        }
    }

    #[test]
    fn stacks_filter_keeps_only_their_cells_and_the_stack_order() {
        let s = run_summary();
        let order = s.stacks.clone();
        let (v, relabel) =
            apply(s, &view(Some(&["django-drf", "flask-sqlite3"]), "paper"), 1).unwrap();
        assert!(relabel.is_empty());
        assert_eq!(
            v.stacks, order,
            "stacks keep their order, hence their colours"
        );
        assert!(!v.cells.is_empty());
        assert!(
            v.cells
                .iter()
                .all(|c| c.stack == "django-drf" || c.stack == "flask-sqlite3")
        );
    }

    #[test]
    fn another_metric_replaces_the_bars_and_drops_the_published_value() {
        let s = run_summary();
        let before = s.cell("fastapi-sqlite3", "get_all").unwrap().clone();
        let hello = s.cell("fastapi-sqlite3", "hello").unwrap().clone();
        let p95 = before.detail.as_ref().unwrap().p95_ms.clone().unwrap();
        let (v, relabel) = apply(s, &view(None, "p95"), 3).unwrap();
        let after = v.cell("fastapi-sqlite3", "get_all").unwrap();
        assert_eq!(after.estimate.value, p95.mean);
        assert_eq!(after.estimate.ci, p95.ci);
        assert_eq!(after.published, None);
        assert!(before.published.is_some());
        assert_eq!(
            relabel[0],
            (
                "mean response time (ms)".into(),
                "95th percentile response time (ms)".into()
            )
        );
        assert_ne!(after.estimate.value, before.estimate.value);
        // Other figures' cells are untouched.
        assert_eq!(v.cell("fastapi-sqlite3", "hello").unwrap(), &hello);
    }

    #[test]
    fn the_figures_own_metric_changes_nothing() {
        let s = run_summary();
        let (v, relabel) = apply(s.clone(), &view(None, "rps"), 1).unwrap();
        assert!(relabel.is_empty());
        assert_eq!(v, s);
        let (v, relabel) = apply(s.clone(), &view(None, "mean"), 4).unwrap();
        assert!(relabel.is_empty());
        assert_eq!(v, s);
    }

    #[test]
    fn the_paper_alone_has_no_other_metric() {
        let paper = analysis::summarize_paper(&Paper::builtin().unwrap());
        let (v, _) = apply(paper, &view(None, "median"), 5).unwrap();
        assert!(v.cells.iter().all(|c| c.scenario != "create"));
        assert!(v.cells.iter().any(|c| c.scenario == "hello"));
    }

    #[test]
    fn unknown_metric_is_refused_with_the_choices() {
        let err = apply(run_summary(), &view(None, "p42"), 1).unwrap_err();
        assert!(err.contains("p42") && err.contains("p95"), "{err}");
    }

    #[test]
    fn relabelled_figure_names_the_shown_metric() {
        let (v, relabel) = apply(run_summary(), &view(None, "p99"), 6).unwrap();
        let svg = analysis::figures::svg(&v, 6, 960, 600).unwrap();
        assert!(svg.contains("mean response time (ms)"));
        let out = relabel_svg(&svg, &relabel);
        assert!(out.contains("99th percentile response time (ms)"));
        assert!(!out.contains("mean response time (ms)"));
        assert!(!out.contains("Mean of k6 http_req_duration"));
        assert!(out.contains("the paper reports only req/s or means"));
    }

    #[test]
    fn relabel_escapes_and_leaves_other_text_alone() {
        let svg = "<svg><text x=\"1\">keep &amp; me</text><text y=\"2\">old label</text></svg>";
        let out = relabel_svg(svg, &[("old label".into(), "a < b & 'c'".into())]);
        assert_eq!(
            out,
            "<svg><text x=\"1\">keep &amp; me</text><text y=\"2\">a &lt; b &amp; &apos;c&apos;</text></svg>"
        );
    }
}
