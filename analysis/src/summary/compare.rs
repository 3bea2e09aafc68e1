//! Comparisons between cells: the ORM overhead of an ORM stack against its raw-SQL
//! twin, and the pairwise tests between the stacks of a scenario (Holm-adjusted).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{CellSummary, Settings, Summary};
use crate::paired::{PairedRatio, paired_ratio};
use crate::paper::Metric;
use crate::registry::orm_pairs;
use crate::stats::{
    self, Interval, MannWhitney, Moments, Welch, hedges_g, mann_whitney_sorted, welch,
    welch_from_moments,
};

/// ORM overhead: an ORM stack against its raw-SQL twin of the same framework
/// (`data_access` and `raw_twin` in [`Summary::stack_info`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrmOverheadSummary {
    pub framework: String,
    pub scenario: String,
    pub metric: Metric,
    pub orm_stack: String,
    pub raw_stack: String,
    #[serde(with = "crate::jsonf64")]
    pub orm: f64,
    #[serde(with = "crate::jsonf64")]
    pub raw: f64,
    /// orm − raw, in the metric's unit.
    #[serde(with = "crate::jsonf64")]
    pub diff: f64,
    /// Welch CI of orm − raw.
    pub diff_ci: Option<Interval>,
    /// Relative cost of the ORM: raw-over-ORM speed ratio − 1, in percent
    /// (req/s: raw/orm − 1; ms: orm/raw − 1). Positive = the ORM is slower.
    #[serde(with = "crate::jsonf64")]
    pub overhead_percent: f64,
    /// CI of `overhead_percent` (the denominator's mean taken as fixed).
    pub overhead_ci_percent: Option<Interval>,
    pub p: Option<f64>,
    /// `repetitions` (Welch on repetition values), `samples` (Welch on pooled
    /// latencies, when fewer than two repetitions: it describes these requests, not
    /// the stacks, so `significant` is `None` there) or `none`.
    pub basis: String,
    pub significant: Option<bool>,
}

/// Two stacks compared in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairwiseSummary {
    pub scenario: String,
    pub metric: Metric,
    pub a: String,
    pub b: String,
    #[serde(with = "crate::jsonf64")]
    pub a_value: f64,
    #[serde(with = "crate::jsonf64")]
    pub b_value: f64,
    /// (a − b) / b, percent.
    #[serde(with = "crate::jsonf64")]
    pub diff_percent: f64,
    /// Welch's t on the repetition values of the metric (n ≥ 2 each).
    pub welch: Option<Welch>,
    /// Hedges' g on the repetition values.
    pub hedges_g: Option<f64>,
    /// Mann–Whitney U on the pooled latencies of successful requests. It treats every
    /// request as independent, so it describes these two sets of requests, not the
    /// stacks (the unit of replication is the repetition): no mark or verdict uses it.
    pub mann_whitney: Option<MannWhitney>,
    /// The repetition-level test behind the marks: `paired` (within-round log-ratio,
    /// runs made in rounds), `welch` (Welch's t on the repetition values) or `none`.
    #[serde(default)]
    pub test: String,
    /// Its two-sided p.
    #[serde(default)]
    pub p: Option<f64>,
    /// `p` Holm-adjusted over every pairwise test of the run (all scenarios).
    #[serde(default)]
    pub p_holm: Option<f64>,
    /// `p_holm` < alpha; `None` without a repetition-level test.
    pub significant: Option<bool>,
    /// The better stack, or `~` when not significant (as benchstat prints), `?` untested.
    pub verdict: String,
    /// The within-round ratio a/b (the round as a block, [`crate::paired`]); only
    /// for runs made in interleaved rounds (`Manifest::rounds`), absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<PairedRatio>,
}

/// The metric's value of each included repetition of a cell, with its repetition
/// number (= its round in a run made in rounds).
pub(super) fn rep_values_by_round(c: &CellSummary) -> Vec<(u32, f64)> {
    let Some(d) = &c.detail else {
        return Vec::new();
    };
    d.repetitions
        .iter()
        .filter(|r| r.included)
        .filter_map(|r| {
            let v = match c.metric {
                Metric::ReqPerS => r.req_per_s,
                Metric::MeanLatencyMs => r.latency.as_ref().map(|l| l.mean_ms),
            }?;
            Some((r.repetition, v))
        })
        .collect()
}

/// The metric's per-repetition values of a cell (included repetitions).
fn rep_values(c: &CellSummary) -> Vec<f64> {
    let Some(d) = &c.detail else {
        return Vec::new();
    };
    let a = match c.metric {
        Metric::ReqPerS => &d.req_per_s,
        Metric::MeanLatencyMs => &d.mean_ms,
    };
    a.as_ref().map(|a| a.values.clone()).unwrap_or_default()
}

pub(super) fn orm_overhead(
    s: &Summary,
    pooled: &HashMap<(String, String), Vec<f64>>,
    settings: Settings,
) -> Vec<OrmOverheadSummary> {
    let mut out = Vec::new();
    for sc in &s.scenarios {
        for pair in orm_pairs(&s.stacks, &s.stack_info) {
            let (framework, orm_stack, raw_stack) = (&pair.framework, &pair.orm, &pair.raw);
            let (Some(orm), Some(raw)) = (s.cell(orm_stack, sc), s.cell(raw_stack, sc)) else {
                continue;
            };
            let metric = orm.metric;
            let (ov, rv) = (rep_values(orm), rep_values(raw));
            let (test, basis) = if ov.len() >= 2 && rv.len() >= 2 {
                (welch(&ov, &rv, settings.confidence), "repetitions")
            } else if metric == Metric::MeanLatencyMs {
                match (
                    pooled.get(&(orm_stack.to_string(), sc.clone())),
                    pooled.get(&(raw_stack.to_string(), sc.clone())),
                ) {
                    (Some(a), Some(b)) if a.len() >= 2 && b.len() >= 2 => (
                        Some(welch_from_moments(
                            Moments::of(a),
                            Moments::of(b),
                            settings.confidence,
                        )),
                        "samples",
                    ),
                    _ => (None, "none"),
                }
            } else {
                (None, "none")
            };
            let (o, r) = (orm.estimate.value, raw.estimate.value);
            let diff = o - r;
            // Relative cost of the ORM, and its interval from the diff's interval.
            let (overhead, ci) = match metric {
                Metric::ReqPerS => (
                    (r / o - 1.0) * 100.0,
                    test.map(|w| Interval {
                        low: -w.ci.high / o * 100.0,
                        high: -w.ci.low / o * 100.0,
                    }),
                ),
                Metric::MeanLatencyMs => (
                    (o / r - 1.0) * 100.0,
                    test.map(|w| Interval {
                        low: w.ci.low / r * 100.0,
                        high: w.ci.high / r * 100.0,
                    }),
                ),
            };
            out.push(OrmOverheadSummary {
                framework: framework.to_string(),
                scenario: sc.clone(),
                metric,
                orm_stack: orm_stack.to_string(),
                raw_stack: raw_stack.to_string(),
                orm: o,
                raw: r,
                diff,
                diff_ci: test.map(|w| w.ci),
                overhead_percent: overhead,
                overhead_ci_percent: ci,
                p: test.map(|w| w.p),
                basis: basis.to_string(),
                // Pooled latencies treat requests as independent (the unit of
                // replication is the repetition): described, never marked.
                significant: test
                    .filter(|_| basis == "repetitions")
                    .map(|w| w.p < settings.alpha),
            });
        }
    }
    out
}

pub(super) fn pairwise(
    s: &Summary,
    pooled: &HashMap<(String, String), Vec<f64>>,
    settings: Settings,
) -> Vec<PairwiseSummary> {
    let blocked = s.manifest.as_ref().is_some_and(|m| !m.rounds.is_empty());
    let mut out = Vec::new();
    for sc in &s.scenarios {
        let cells = s.cells_of(sc);
        for (i, a) in cells.iter().enumerate() {
            for b in &cells[i + 1..] {
                let (av, bv) = (rep_values(a), rep_values(b));
                let w = welch(&av, &bv, settings.confidence);
                let mw = match (
                    pooled.get(&(a.stack.clone(), sc.clone())),
                    pooled.get(&(b.stack.clone(), sc.clone())),
                ) {
                    (Some(x), Some(y)) => mann_whitney_sorted(x, y),
                    _ => None,
                };
                let paired = blocked
                    .then(|| {
                        paired_ratio(
                            &rep_values_by_round(a),
                            &rep_values_by_round(b),
                            settings.confidence,
                        )
                    })
                    .flatten();
                // The repetition-level test: paired within rounds, else Welch.
                let (test, p, a_higher) = match (paired, w) {
                    (Some(pr), _) => ("paired", Some(pr.p), pr.ratio > 1.0),
                    (None, Some(w)) => ("welch", Some(w.p), w.diff > 0.0),
                    (None, None) => ("none", None, a.estimate.value > b.estimate.value),
                };
                let a_better = a_higher == a.metric.higher_is_better();
                out.push(PairwiseSummary {
                    scenario: sc.clone(),
                    metric: a.metric,
                    a: a.stack.clone(),
                    b: b.stack.clone(),
                    a_value: a.estimate.value,
                    b_value: b.estimate.value,
                    diff_percent: (a.estimate.value / b.estimate.value - 1.0) * 100.0,
                    welch: w,
                    hedges_g: hedges_g(&av, &bv),
                    mann_whitney: mw,
                    test: test.to_string(),
                    p,
                    p_holm: None,
                    significant: None,
                    // Filled in after Holm: the better stack's name when significant.
                    verdict: if a_better {
                        a.stack.clone()
                    } else {
                        b.stack.clone()
                    },
                    paired,
                });
            }
        }
    }
    // Holm over every pairwise test of the run; the marks use the adjusted p.
    let family: Vec<f64> = out.iter().map(|p| p.p.unwrap_or(f64::NAN)).collect();
    for (pw, q) in out.iter_mut().zip(stats::holm(&family)) {
        pw.p_holm = (!q.is_nan()).then_some(q);
        pw.significant = pw.p_holm.map(|q| q < settings.alpha);
        if pw.significant != Some(true) {
            pw.verdict = if pw.significant.is_some() { "~" } else { "?" }.to_string();
        }
    }
    out
}
