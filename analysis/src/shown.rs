//! What the viewer shows. Which metric a figure or table shows: the paper's own (req/s for Figures 1–2,
//! mean response time for 3–7) or one chosen by the reader (mean, median, p95, p99,
//! req/s across the run's repetitions). The one owner of that choice: the figures,
//! the viewer's tables and the viewer's metric menu all ask [`ShownMetric`].

use serde::{Deserialize, Serialize};

use crate::error::{AnalysisError, Result};
use crate::paper::Metric;
use crate::stats::Interval;
use crate::summary::{Across, CellDetail, CellSummary, CiMethod, Summary};

/// A metric the reader can choose; [`ShownMetric::Paper`] is each figure's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ShownMetric {
    /// The paper's metric of the cell's scenario (req/s or mean response time).
    #[default]
    #[serde(rename = "paper")]
    Paper,
    #[serde(rename = "mean")]
    Mean,
    #[serde(rename = "median")]
    Median,
    #[serde(rename = "p95")]
    P95,
    #[serde(rename = "p99")]
    P99,
    #[serde(rename = "rps")]
    ReqPerS,
}

/// One entry of the viewer's metric menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricChoice {
    pub key: &'static str,
    pub label: &'static str,
    /// `None` for [`ShownMetric::Paper`] (req/s or ms by figure).
    pub unit: Option<&'static str>,
}

/// A cell's number under the shown metric.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownValue {
    pub value: f64,
    pub ci: Option<Interval>,
    pub ci_method: CiMethod,
    /// The paper's value, only when the shown metric is the paper's own.
    pub published: Option<f64>,
    /// Repetitions behind the value (`None` in a paper-only summary).
    pub n: Option<u32>,
    /// The metric actually shown (never [`ShownMetric::Paper`]).
    pub metric: ShownMetric,
    /// The shown metric of each included repetition, in order (empty in a paper-only
    /// summary): the dots over a figure's bar.
    pub values: Vec<f64>,
}

impl ShownMetric {
    pub const ALL: [ShownMetric; 6] = [
        ShownMetric::Paper,
        ShownMetric::Mean,
        ShownMetric::Median,
        ShownMetric::P95,
        ShownMetric::P99,
        ShownMetric::ReqPerS,
    ];

    /// The key in the viewer's URL hash and in the page's JSON view.
    pub fn key(self) -> &'static str {
        match self {
            ShownMetric::Paper => "paper",
            ShownMetric::Mean => "mean",
            ShownMetric::Median => "median",
            ShownMetric::P95 => "p95",
            ShownMetric::P99 => "p99",
            ShownMetric::ReqPerS => "rps",
        }
    }

    pub fn parse(key: &str) -> Result<ShownMetric> {
        ShownMetric::ALL
            .into_iter()
            .find(|m| m.key() == key)
            .ok_or_else(|| AnalysisError::UnknownMetric(key.to_string()))
    }

    /// The menu's words for it.
    pub fn menu_label(self) -> &'static str {
        match self {
            ShownMetric::Paper => "as in the paper (req/s for 1–2, mean for 3–7)",
            ShownMetric::Mean => "mean response time",
            ShownMetric::Median => "median response time",
            ShownMetric::P95 => "p95 response time",
            ShownMetric::P99 => "p99 response time",
            ShownMetric::ReqPerS => "throughput (req/s)",
        }
    }

    /// The menu: every choice with its key, label and unit.
    pub fn choices() -> Vec<MetricChoice> {
        ShownMetric::ALL
            .into_iter()
            .map(|m| MetricChoice {
                key: m.key(),
                label: m.menu_label(),
                unit: (m != ShownMetric::Paper).then(|| m.resolve(Metric::MeanLatencyMs).unit()),
            })
            .collect()
    }

    /// The metric shown for a scenario whose paper metric is `natural` (never `Paper`).
    pub fn resolve(self, natural: Metric) -> ShownMetric {
        match (self, natural) {
            (ShownMetric::Paper, Metric::ReqPerS) => ShownMetric::ReqPerS,
            (ShownMetric::Paper, Metric::MeanLatencyMs) => ShownMetric::Mean,
            (m, _) => m,
        }
    }

    /// Whether, for a scenario of metric `natural`, this is the paper's own metric
    /// (then the cell's estimate and the paper's value are shown as they are).
    pub fn is_papers(self, natural: Metric) -> bool {
        self.resolve(natural) == ShownMetric::Paper.resolve(natural)
    }

    /// The unit of a resolved metric.
    pub fn unit(self) -> &'static str {
        match self {
            ShownMetric::ReqPerS => "req/s",
            _ => "ms",
        }
    }

    /// The paper's metric with the same unit (how numbers of it are formatted).
    pub fn unit_metric(self) -> Metric {
        match self {
            ShownMetric::ReqPerS => Metric::ReqPerS,
            _ => Metric::MeanLatencyMs,
        }
    }

    /// The axis label for a scenario of metric `natural`, in the words of [`Metric::label`].
    pub fn axis_label(self, natural: Metric) -> &'static str {
        match self.resolve(natural) {
            ShownMetric::Mean => Metric::MeanLatencyMs.label(),
            ShownMetric::Median => "median response time (ms)",
            ShownMetric::P95 => "95th percentile response time (ms)",
            ShownMetric::P99 => "99th percentile response time (ms)",
            _ => Metric::ReqPerS.label(),
        }
    }

    /// The across-repetition statistic of a resolved metric.
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

    /// The cell's number under this metric: its estimate and the paper's value when
    /// this is the paper's metric, else that statistic's mean over the included
    /// repetitions with its Student t interval (no published value: the paper reports
    /// only its own metric). `None` when the summary has no such number (the paper alone).
    pub fn value(self, cell: &CellSummary) -> Option<ShownValue> {
        let metric = self.resolve(cell.metric);
        let n = cell.detail.as_ref().map(|d| d.included_repetitions);
        let across = cell.detail.as_ref().and_then(|d| metric.across(d));
        let values = across.map(|a| a.values.clone()).unwrap_or_default();
        if self.is_papers(cell.metric) {
            return Some(ShownValue {
                value: cell.estimate.value,
                ci: cell.estimate.ci,
                ci_method: cell.ci_method,
                published: cell.published,
                n,
                metric,
                values,
            });
        }
        let across = across?;
        Some(ShownValue {
            value: across.mean,
            ci: across.ci,
            ci_method: if across.ci.is_some() {
                CiMethod::StudentT
            } else {
                CiMethod::None
            },
            published: None,
            n: Some(across.n),
            metric,
            values,
        })
    }

    /// The figure's second caption line when this is not the paper's metric.
    pub fn caption(self) -> &'static str {
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

/// What a figure shows: the metric (the paper's by default) and the stacks drawn
/// (`None` = all; each keeps its colour, which follows the run's stack order).
/// The viewer passes it as JSON: `{"metric": "p95", "stacks": ["django-drf"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureView {
    #[serde(default)]
    pub metric: ShownMetric,
    #[serde(default)]
    pub stacks: Option<Vec<String>>,
}

impl FigureView {
    /// Whether the view draws `stack`.
    pub fn shows(&self, stack: &str) -> bool {
        self.stacks
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == stack))
    }

    /// The bars of `scenario` under this view, in stack order: each cell drawn with
    /// its value in the shown metric (cells without such a value are left out).
    pub fn bars<'a>(
        &self,
        summary: &'a Summary,
        scenario: &str,
    ) -> Vec<(&'a CellSummary, ShownValue)> {
        summary
            .cells_of(scenario)
            .into_iter()
            .filter(|c| self.shows(&c.stack))
            .filter_map(|c| Some((c, self.metric.value(c)?)))
            .collect()
    }
}

impl std::str::FromStr for ShownMetric {
    type Err = AnalysisError;
    fn from_str(s: &str) -> Result<ShownMetric> {
        ShownMetric::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Paper;
    use crate::synthetic::{SyntheticSpec, synthetic_run};

    fn run_summary() -> crate::Summary {
        let paper = Paper::builtin().expect("built-in paper");
        let spec = SyntheticSpec {
            repetitions: 2,
            scale: 0.003,
            warmup_requests: 100,
            ..SyntheticSpec::default()
        };
        let (manifest, samples, resources) = synthetic_run(&spec, &paper);
        crate::summarize(&manifest, &samples, &resources, &paper, 7).expect("summary")
    }

    #[test]
    fn keys_parse_back_and_unknown_keys_name_the_choices() {
        for m in ShownMetric::ALL {
            assert_eq!(ShownMetric::parse(m.key()).unwrap(), m);
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.key())
            );
        }
        let err = ShownMetric::parse("p42").unwrap_err().to_string();
        assert!(err.contains("p42") && err.contains("p95"), "{err}");
        let keys: Vec<_> = ShownMetric::choices().iter().map(|c| c.key).collect();
        assert_eq!(keys, ["paper", "mean", "median", "p95", "p99", "rps"]);
        assert_eq!(ShownMetric::choices()[0].unit, None);
        assert_eq!(ShownMetric::choices()[5].unit, Some("req/s"));
        assert_eq!(ShownMetric::choices()[3].unit, Some("ms"));
    }

    #[test]
    fn the_papers_metric_is_the_cells_estimate_with_its_published_value() {
        let s = run_summary();
        let latency = s.cell("fastapi-sqlite3", "get_all").unwrap();
        let hello = s.cell("fastapi-sqlite3", "hello").unwrap();
        for (m, cell) in [
            (ShownMetric::Paper, latency),
            (ShownMetric::Mean, latency),
            (ShownMetric::Paper, hello),
            (ShownMetric::ReqPerS, hello),
        ] {
            let v = m.value(cell).unwrap();
            assert_eq!(v.value, cell.estimate.value);
            assert_eq!(v.ci, cell.estimate.ci);
            assert_eq!(v.ci_method, cell.ci_method);
            assert!(v.published.is_some());
            assert_eq!(v.published, cell.published);
        }
        assert_eq!(
            ShownMetric::Paper.axis_label(Metric::MeanLatencyMs),
            "mean response time (ms)"
        );
        assert_eq!(
            ShownMetric::Paper.axis_label(Metric::ReqPerS),
            "throughput (req/s)"
        );
    }

    #[test]
    fn another_metric_is_its_across_repetition_mean_without_published_value() {
        let s = run_summary();
        let cell = s.cell("fastapi-sqlite3", "get_all").unwrap();
        let p95 = cell.detail.as_ref().unwrap().p95_ms.clone().unwrap();
        let v = ShownMetric::P95.value(cell).unwrap();
        assert_eq!(v.value, p95.mean);
        assert_eq!(v.ci, p95.ci);
        assert_eq!(v.published, None);
        assert_eq!(v.n, Some(p95.n));
        assert_eq!(v.metric, ShownMetric::P95);
        assert_ne!(v.value, cell.estimate.value);
        assert_eq!(
            ShownMetric::P95.axis_label(Metric::MeanLatencyMs),
            "95th percentile response time (ms)"
        );
        // req/s of a latency scenario: req/s, in req/s.
        let rps = ShownMetric::ReqPerS.value(cell).unwrap();
        assert_eq!(
            rps.value,
            cell.detail
                .as_ref()
                .unwrap()
                .req_per_s
                .as_ref()
                .unwrap()
                .mean
        );
        assert_eq!(rps.metric.unit(), "req/s");
        assert_eq!(rps.published, None);
    }

    #[test]
    fn the_paper_alone_has_only_its_own_metric() {
        let paper = crate::summarize_paper(&Paper::builtin().unwrap());
        let cell = paper.cell("django-drf", "create").unwrap();
        assert!(ShownMetric::Median.value(cell).is_none());
        assert!(ShownMetric::Mean.value(cell).is_some());
    }

    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].trim().to_string()))
            .collect()
    }

    /// Filled rectangles of the figure's plot (bars), by fill colour.
    fn bars(svg: &str, fill: &str) -> usize {
        svg.matches(&format!("fill=\"{fill}\" stroke=\"none\""))
            .count()
    }

    const GREY: &str = "#BEBEBE";

    #[test]
    fn the_default_view_is_the_papers_figure() {
        let s = run_summary();
        for figure in 1..=7 {
            let default = crate::figures::svg(&s, figure, 960, 600).unwrap();
            let view = FigureView {
                metric: ShownMetric::Paper,
                stacks: Some(s.stacks.clone()),
            };
            assert_eq!(
                crate::figures::svg_view(&s, figure, &view, 960, 600).unwrap(),
                default
            );
            assert_eq!(bars(&default, GREY), 5, "figure {figure}: the paper's bars");
        }
        // Naming the paper's metric of the figure is the default figure too.
        let mean = FigureView {
            metric: ShownMetric::Mean,
            stacks: None,
        };
        assert_eq!(
            crate::figures::svg_view(&s, 4, &mean, 960, 600).unwrap(),
            crate::figures::svg(&s, 4, 960, 600).unwrap()
        );
    }

    #[test]
    fn another_metric_draws_its_values_without_the_papers_bars() {
        let s = run_summary();
        let view = FigureView {
            metric: ShownMetric::P99,
            stacks: None,
        };
        let svg = crate::figures::svg_view(&s, 6, &view, 960, 600).unwrap();
        let text = texts(&svg);
        assert!(
            text.iter()
                .any(|t| t == "99th percentile response time (ms)")
        );
        assert!(!text.iter().any(|t| t == "mean response time (ms)"));
        assert!(!svg.contains("Mean of k6 http_req_duration"));
        assert!(!svg.contains("Grey bars"));
        assert!(svg.contains("the paper reports only req/s or means"));
        assert_eq!(bars(&svg, GREY), 0, "no published bar");
        // Each bar is labelled with its p99 mean, not its mean.
        for c in s.cells_of("update") {
            let p99 = c.detail.as_ref().unwrap().p99_ms.as_ref().unwrap().mean;
            let label = crate::figures::figure_alt(&s, 6, &view).unwrap();
            let v = if p99 >= 10.0 {
                format!("{p99:.1}")
            } else {
                format!("{p99:.2}")
            };
            assert!(text.contains(&v), "{} p99 {v} not drawn", c.stack);
            assert!(
                label.contains(&format!("{} {v} ms", s.label(&c.stack))),
                "{label}"
            );
        }
        assert_eq!(
            crate::figures::figure_heading(6, &view).unwrap(),
            "update: 99th percentile response time (ms)"
        );
    }

    #[test]
    fn a_stack_subset_draws_only_those_stacks_in_their_colours() {
        let s = run_summary();
        let chosen = ["django-drf", "flask-sqlite3"];
        let view = FigureView {
            metric: ShownMetric::Paper,
            stacks: Some(chosen.iter().map(|x| x.to_string()).collect()),
        };
        let svg = crate::figures::svg_view(&s, 1, &view, 960, 600).unwrap();
        let text = texts(&svg);
        for stack in &s.stacks {
            let drawn = text.iter().any(|t| t == s.short_label(stack));
            assert_eq!(drawn, chosen.contains(&stack.as_str()), "{stack}");
        }
        assert_eq!(bars(&svg, GREY), 2);
        // Django keeps the colour of its place in the run (the fifth), not the second.
        assert!(
            svg.contains("fill=\"#2E7D32\" stroke=\"none\""),
            "Django's green"
        );
        let bars = view.bars(&s, "hello");
        assert_eq!(bars.len(), 2);
        assert!(bars.iter().all(|(c, _)| chosen.contains(&c.stack.as_str())));
        // The distribution figure follows the stacks too.
        let dist = crate::figures::distribution_svg_view(&s, "get_all", &view, 960, 600).unwrap();
        assert_eq!(dist.matches(" — median").count(), 2);
    }

    #[test]
    fn the_paper_alone_has_nothing_to_draw_in_another_metric() {
        let paper = crate::summarize_paper(&Paper::builtin().unwrap());
        let view = FigureView {
            metric: ShownMetric::Median,
            stacks: None,
        };
        assert!(view.bars(&paper, "create").is_empty());
        let svg = crate::figures::svg_view(&paper, 5, &view, 960, 600).unwrap();
        assert!(svg.contains("no data for scenario"));
        assert_eq!(view.bars(&paper, "hello").len(), 0);
        let paper_view = FigureView::default();
        assert_eq!(paper_view.bars(&paper, "hello").len(), 5);
    }

    #[test]
    fn the_view_reads_the_pages_json() {
        let v: FigureView =
            serde_json::from_str(r#"{"metric":"p95","stacks":["django-drf"]}"#).unwrap();
        assert_eq!(v.metric, ShownMetric::P95);
        assert!(v.shows("django-drf") && !v.shows("flask-sqlite3"));
        let v: FigureView = serde_json::from_str("{}").unwrap();
        assert_eq!(v, FigureView::default());
        assert!(v.shows("anything"));
        assert!(serde_json::from_str::<FigureView>(r#"{"metric":"p42"}"#).is_err());
    }
}
