//! Two summaries side by side, like benchstat: per scenario × stack the change from A
//! to B with its confidence interval and significance ("~" when not significant).
//! A or B may be a paper-only summary: the run's repetitions are then tested against
//! the published value (one-sample t). A value the paper gives only approximately
//! ("around 2,700", `approximate` in published.toml) is a band, not a measurement:
//! the run is tested against the nearest point of the band (p = 1 inside it).
//!
//! A and B may hold different stacks (the paper's five against a campaign of nine):
//! the rows are the cells of the stacks both hold, and the stacks only one of them
//! holds are listed by side (`only_in_a`, `only_in_b`), never compared nor dropped unsaid.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::format;
use crate::paper::Metric;
use crate::stats::{Interval, Welch, one_sample_t, welch};
use crate::summary::{CellSummary, Source, Summary};

/// One scenario × stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub scenario: String,
    pub stack: String,
    pub metric: Metric,
    #[serde(with = "crate::jsonf64::opt")]
    pub a: Option<f64>,
    #[serde(with = "crate::jsonf64::opt")]
    pub b: Option<f64>,
    /// Repetitions behind each value (0 for a published value).
    pub n_a: u32,
    pub n_b: u32,
    /// (b − a) / a, percent.
    #[serde(with = "crate::jsonf64::opt")]
    pub delta_percent: Option<f64>,
    /// CI of the change, percent of a.
    pub delta_ci_percent: Option<Interval>,
    pub p: Option<f64>,
    /// `welch`, `one_sample`, `band` (one-sample t against the nearest edge of an
    /// approximate published value's band) or `none`.
    pub test: String,
    pub significant: Option<bool>,
    /// B is better than A (higher req/s, lower ms), when the change is significant.
    pub b_better: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub confidence: f64,
    pub alpha: f64,
    pub rows: Vec<ComparisonRow>,
    /// Each stack's short label (figures, the table), from A's and B's `stack_info`.
    #[serde(default)]
    pub short_labels: BTreeMap<String, String>,
    /// The stacks both hold, in A's order then B's: the rows' stacks.
    #[serde(default)]
    pub shared: Vec<String>,
    /// Stacks only A holds (not compared), in A's order.
    #[serde(default)]
    pub only_in_a: Vec<String>,
    /// Stacks only B holds (not compared), in B's order.
    #[serde(default)]
    pub only_in_b: Vec<String>,
}

fn name(s: &Summary) -> String {
    match (&s.manifest, s.source) {
        (Some(m), Source::Run) => m.run_id.clone(),
        _ => format!("paper ({} {})", s.paper.authors, s.paper.year),
    }
}

/// Repetition values of the cell's metric; empty for a published value.
fn values(c: &CellSummary) -> Vec<f64> {
    let Some(d) = &c.detail else {
        return Vec::new();
    };
    let a = match c.metric {
        Metric::ReqPerS => &d.req_per_s,
        Metric::MeanLatencyMs => &d.mean_ms,
    };
    a.as_ref().map(|a| a.values.clone()).unwrap_or_default()
}

/// Compare `a` (the baseline) with `b`.
pub fn compare(a: &Summary, b: &Summary) -> Comparison {
    let confidence = a.settings.confidence;
    let alpha = a.settings.alpha;
    let mut stacks = a.stacks.clone();
    for s in &b.stacks {
        if !stacks.contains(s) {
            stacks.push(s.clone());
        }
    }
    let (shared, only): (Vec<String>, Vec<String>) = stacks
        .iter()
        .cloned()
        .partition(|s| a.stacks.contains(s) && b.stacks.contains(s));
    let (only_in_a, only_in_b): (Vec<String>, Vec<String>) =
        only.into_iter().partition(|s| a.stacks.contains(s));
    let mut scenarios = a.scenarios.clone();
    for s in &b.scenarios {
        if !scenarios.contains(s) {
            scenarios.push(s.clone());
        }
    }
    let mut rows = Vec::new();
    for sc in &scenarios {
        for st in &shared {
            let (ca, cb) = (a.cell(st, sc), b.cell(st, sc));
            if ca.is_none() && cb.is_none() {
                continue;
            }
            let metric = ca
                .or(cb)
                .map(|c| c.metric)
                .unwrap_or(Metric::of_scenario(sc));
            let va = ca.map(|c| c.estimate.value).filter(|v| v.is_finite());
            let vb = cb.map(|c| c.estimate.value).filter(|v| v.is_finite());
            let (xa, xb) = (
                ca.map(values).unwrap_or_default(),
                cb.map(values).unwrap_or_default(),
            );
            // The test of b − a.
            let (test, kind): (Option<Welch>, &str) = match (xa.len() >= 2, xb.len() >= 2) {
                (true, true) => (welch(&xb, &xa, confidence), "welch"),
                (false, true) if ca.is_some_and(|c| c.detail.is_none()) => {
                    against_published(ca, &xb, confidence)
                }
                (true, false) if cb.is_some_and(|c| c.detail.is_none()) => {
                    let (t, kind) = against_published(cb, &xa, confidence);
                    (
                        t.map(|w| Welch {
                            diff: -w.diff,
                            t: -w.t,
                            ci: Interval {
                                low: -w.ci.high,
                                high: -w.ci.low,
                            },
                            ..w
                        }),
                        kind,
                    )
                }
                _ => (None, "none"),
            };
            let delta = match (va, vb) {
                (Some(x), Some(y)) if x != 0.0 => Some((y / x - 1.0) * 100.0),
                _ => None,
            };
            let delta_ci = match (test, va) {
                (Some(w), Some(x)) if x != 0.0 => Some(Interval {
                    low: w.ci.low / x * 100.0,
                    high: w.ci.high / x * 100.0,
                }),
                _ => None,
            };
            let significant = test.map(|w| w.p < alpha);
            let b_better = match (significant, va, vb) {
                (Some(true), Some(x), Some(y)) => Some(if metric.higher_is_better() {
                    y > x
                } else {
                    y < x
                }),
                _ => None,
            };
            rows.push(ComparisonRow {
                scenario: sc.clone(),
                stack: st.clone(),
                metric,
                a: va,
                b: vb,
                n_a: xa.len() as u32,
                n_b: xb.len() as u32,
                delta_percent: delta,
                delta_ci_percent: delta_ci,
                p: test.map(|w| w.p),
                test: kind.to_string(),
                significant,
                b_better,
            });
        }
    }
    Comparison {
        a: name(a),
        b: name(b),
        confidence,
        alpha,
        short_labels: stacks
            .iter()
            .map(|s| {
                let label = if a.stack_info.contains_key(s) { a } else { b }.short_label(s);
                (s.clone(), label.to_string())
            })
            .collect(),
        rows,
        shared,
        only_in_a,
        only_in_b,
    }
}

/// A run's repetition values `x` tested against a published cell: one-sample t
/// against its value, or, for an approximate value, against the nearest point of its
/// band (the difference and interval then still measured from the central value).
fn against_published(
    published: Option<&CellSummary>,
    x: &[f64],
    confidence: f64,
) -> (Option<Welch>, &'static str) {
    let Some(c) = published.filter(|c| c.estimate.value.is_finite()) else {
        return (None, "none");
    };
    let v = c.estimate.value;
    match c.estimate.ci.filter(|_| c.published_approximate) {
        Some(band) => {
            let edge = crate::stats::mean(x).clamp(band.low, band.high);
            let t = one_sample_t(x, edge, confidence).map(|w| Welch {
                diff: w.diff + (edge - v),
                ci: Interval {
                    low: w.ci.low + (edge - v),
                    high: w.ci.high + (edge - v),
                },
                ..w
            });
            (t, "band")
        }
        None => (one_sample_t(x, v, confidence), "one_sample"),
    }
}

impl Comparison {
    /// The stacks' short labels, comma-separated (stack ids when a label is unknown).
    pub fn labels(&self, stacks: &[String]) -> String {
        stacks
            .iter()
            .map(|s| self.short_labels.get(s).unwrap_or(s).as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A benchstat-like text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "A: {}\nB: {}\n", self.a, self.b);
        let ci_head = format!("{} of delta", format::ci_label(self.confidence));
        let head = [
            "scenario",
            "stack",
            "A",
            "B",
            "delta",
            ci_head.as_str(),
            "p",
            "n",
            "",
        ];
        let mut rows: Vec<[String; 9]> = vec![head.map(String::from)];
        for r in &self.rows {
            let delta = match (r.delta_percent, r.significant) {
                (Some(d), Some(true)) => format::signed_percent(d),
                (Some(_), Some(false)) => "~".into(),
                (Some(d), None) => format!("{} ?", format::signed_percent(d)),
                (None, _) => format::MISSING.into(),
            };
            let ci = format::signed_percent_interval(r.delta_ci_percent);
            let p = format::opt_p_value(r.p);
            let n = format!("n={}+{}", r.n_a, r.n_b);
            let mark = match r.b_better {
                Some(true) => "better",
                Some(false) => "worse",
                None => "",
            };
            rows.push([
                r.scenario.clone(),
                self.short_labels.get(&r.stack).unwrap_or(&r.stack).clone(),
                format::value_with_unit(r.a, r.metric),
                format::value_with_unit(r.b, r.metric),
                delta,
                ci,
                p,
                n,
                mark.to_string(),
            ]);
        }
        let widths: Vec<usize> = (0..9)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        for (side, stacks) in [("A", &self.only_in_a), ("B", &self.only_in_b)] {
            if !stacks.is_empty() {
                let _ = writeln!(
                    out,
                    "\nOnly in {side} (not compared): {}",
                    self.labels(stacks)
                );
            }
        }
        if self.shared.is_empty() {
            let _ = writeln!(out, "\nNo stack is in both A and B: nothing to compare.");
        }
        let _ = writeln!(
            out,
            "\n~: no significant difference (p ≥ {}). ?: cannot be tested (fewer than two repetitions). Welch's t on repetition values; one-sample t against a published value; against the nearest edge of the band of an approximate one (\"around 2,700\").",
            self.alpha
        );
        out
    }
}
