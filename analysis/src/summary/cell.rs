//! One cell (stack × scenario): its repetitions, the statistics across them, its
//! estimate and interval, and its latency distribution.

use std::collections::{BTreeMap, HashMap};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::groups::{Group, sorted_ms};
use super::{CiMethod, Settings};
use crate::distribution::{self, CellDistribution, Ecdf, RepetitionEcdf};
use crate::limiter::CellLimiter;
use crate::paper::{Estimate, Metric, Paper, figure_of};
use crate::schema::{ErrorKind, RepetitionSummary};
use crate::stats::{
    self, Bootstrap, Interval, Outliers, bootstrap_ci, percentile_sorted, t_interval,
    tukey_outliers,
};

/// Latency-like distribution of one set of successful requests, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub n: u64,
    pub mean_ms: f64,
    pub min_ms: f64,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Share (0..=1) of the summed latency carried by the slowest 1 % of the requests
    /// ([`crate::distribution::slowest_share`]); absent in summaries written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowest_1pct_share: Option<f64>,
}

impl LatencySummary {
    /// From ascending-sorted values in ms; `None` when empty.
    pub fn of_sorted(sorted_ms: &[f64]) -> Option<LatencySummary> {
        if sorted_ms.is_empty() {
            return None;
        }
        Some(LatencySummary {
            n: sorted_ms.len() as u64,
            mean_ms: stats::mean(sorted_ms),
            min_ms: sorted_ms[0],
            median_ms: percentile_sorted(sorted_ms, 0.5),
            p90_ms: percentile_sorted(sorted_ms, 0.90),
            p95_ms: percentile_sorted(sorted_ms, 0.95),
            p99_ms: percentile_sorted(sorted_ms, 0.99),
            max_ms: sorted_ms[sorted_ms.len() - 1],
            slowest_1pct_share: crate::distribution::slowest_share(sorted_ms),
        })
    }
}

/// One stack × scenario × repetition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepetitionCell {
    pub repetition: u32,
    /// False for failed/interrupted repetitions: shown, never averaged.
    pub included: bool,
    /// Completed requests, successful or not.
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    /// The scenario's active time from the manifest, seconds.
    pub active_s: Option<f64>,
    /// requests ÷ active_s.
    pub req_per_s: Option<f64>,
    /// Successful requests only.
    pub latency: Option<LatencySummary>,
    pub ttfb: Option<LatencySummary>,
    pub outliers: Option<Outliers>,
}

/// A statistic across the included repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Across {
    pub n: u32,
    pub mean: f64,
    /// `None` when n < 2.
    pub sd: Option<f64>,
    /// Student's t interval of the mean; `None` when n < 2.
    pub ci: Option<Interval>,
    /// The per-repetition values (included repetitions, in order).
    pub values: Vec<f64>,
}

impl Across {
    fn of(values: Vec<f64>, confidence: f64) -> Option<Across> {
        if values.is_empty() {
            return None;
        }
        Some(Across {
            n: values.len() as u32,
            mean: stats::mean(&values),
            sd: (values.len() >= 2).then(|| stats::sd(&values)),
            ci: t_interval(&values, confidence),
            values,
        })
    }
}

/// Everything measured for one stack × scenario in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDetail {
    /// Every repetition, included or not.
    pub repetitions: Vec<RepetitionCell>,
    pub included_repetitions: u32,
    /// Repetition numbers left out (status failed/interrupted in the manifest).
    pub excluded_repetitions: Vec<u32>,
    pub req_per_s: Option<Across>,
    pub mean_ms: Option<Across>,
    pub median_ms: Option<Across>,
    pub p90_ms: Option<Across>,
    pub p95_ms: Option<Across>,
    pub p99_ms: Option<Across>,
    pub max_ms: Option<Across>,
    pub ttfb_mean_ms: Option<Across>,
    pub error_rate: Option<Across>,
    /// The slowest 1 % of requests' share of the total latency, across repetitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowest_1pct_share: Option<Across>,
    /// The latency ECDF (pooled and per repetition) downsampled for drawing; latency
    /// scenarios only (Figures 3–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<CellDistribution>,
    /// All successful requests of the included repetitions together.
    pub pooled_latency: Option<LatencySummary>,
    pub pooled_ttfb: Option<LatencySummary>,
    /// Tukey outliers of the pooled latencies (counted, never dropped).
    pub outliers: Option<Outliers>,
    /// Bootstrap CI of the pooled mean latency (ms); only for a cell whose repetitions
    /// give no interval (one included repetition), else `None` (see [`summarize_cell`]).
    pub bootstrap_mean_ms: Option<Bootstrap>,
    /// Failed requests by kind (excluded from every latency statistic).
    pub error_kinds: BTreeMap<String, u64>,
}

/// One bar of a figure: a stack in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellSummary {
    pub stack: String,
    pub scenario: String,
    /// 1..=7 for the paper's scenarios.
    pub figure: Option<u8>,
    pub metric: Metric,
    /// The bar's value and interval (req/s, or mean response time in ms).
    pub estimate: Estimate,
    pub ci_method: CiMethod,
    pub published: Option<f64>,
    pub published_approximate: bool,
    /// estimate ÷ published.
    #[serde(with = "crate::jsonf64::opt")]
    pub ratio_to_published: Option<f64>,
    /// Included repetitions, pooled.
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    /// `None` in a paper-only summary.
    pub detail: Option<CellDetail>,
    /// What limited the cell, per repetition (see [`crate::limiter`]); `None` in a
    /// paper-only summary, `unknown` when the run has no sampler readings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limiter: Option<CellLimiter>,
}

/// FNV-1a, for a per-cell seed independent of iteration order.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What a cell's summary needs besides its groups: where it is and how to compute.
pub(super) struct CellContext<'a> {
    pub stack: &'a str,
    pub scenario: &'a str,
    pub rep_info: &'a HashMap<(&'a str, u32), &'a RepetitionSummary>,
    pub paper: &'a Paper,
    pub seed: u64,
    pub settings: Settings,
}

/// A cell's repetitions: their summaries and what the included ones add up to.
#[derive(Default)]
struct Repetitions {
    cells: Vec<RepetitionCell>,
    /// Sorted latencies (ms) of each included repetition, in repetition order.
    included_ms: Vec<Vec<f64>>,
    /// Sorted times to first byte (ms) of each included repetition.
    included_ttfb: Vec<Vec<f64>>,
    error_kinds: BTreeMap<String, u64>,
    requests: u64,
    errors: u64,
    excluded: Vec<u32>,
}

/// Summarise one cell from its groups (sorted by repetition); returns it with its
/// pooled sorted latencies (ms) of the included repetitions, for the comparisons.
pub(super) fn summarize_cell(
    ctx: &CellContext,
    groups: Vec<Group>,
    warnings: &mut Vec<String>,
) -> (CellSummary, Vec<f64>) {
    let (stack, scenario) = (ctx.stack, ctx.scenario);
    let metric = Metric::of_scenario(scenario);
    let reps = repetitions(ctx, groups, warnings);
    let inc: Vec<&RepetitionCell> = reps.cells.iter().filter(|r| r.included).collect();
    let c = ctx.settings.confidence;
    let across = |f: &dyn Fn(&RepetitionCell) -> Option<f64>| {
        Across::of(inc.iter().filter_map(|r| f(r)).collect(), c)
    };
    let req_per_s = across(&|r| r.req_per_s);
    let mean_ms = across(&|r| r.latency.map(|l| l.mean_ms));
    let distribution = match metric {
        Metric::MeanLatencyMs => Some(repetition_ecdfs(&inc, &reps.included_ms)),
        Metric::ReqPerS => None,
    };
    let pooled_ms = concat_sorted(reps.included_ms);
    let pooled_ttfb = concat_sorted(reps.included_ttfb);
    // The pooled-request bootstrap only where the repetitions give no interval (one
    // included repetition): with two or more, the repetition is the unit of replication
    // and requests of one container are not independent draws, so an interval over them
    // would be too narrow (pseudo-replication); it is not computed.
    let boot = if mean_ms.as_ref().is_some_and(|a| a.ci.is_some()) {
        None
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ fnv1a(&format!("{stack}/{scenario}")));
        bootstrap_ci(
            &pooled_ms,
            stats::mean,
            ctx.settings.bootstrap_resamples,
            c,
            ctx.settings.bootstrap_max_resample as usize,
            &mut rng,
        )
    };
    let (estimate, ci_method) = estimate_of(metric, req_per_s.as_ref(), mean_ms.as_ref(), &boot);
    let published = ctx.paper.value(stack, scenario);
    let detail = CellDetail {
        included_repetitions: inc.len() as u32,
        excluded_repetitions: reps.excluded,
        req_per_s,
        mean_ms,
        median_ms: across(&|r| r.latency.map(|l| l.median_ms)),
        p90_ms: across(&|r| r.latency.map(|l| l.p90_ms)),
        p95_ms: across(&|r| r.latency.map(|l| l.p95_ms)),
        p99_ms: across(&|r| r.latency.map(|l| l.p99_ms)),
        max_ms: across(&|r| r.latency.map(|l| l.max_ms)),
        ttfb_mean_ms: across(&|r| r.ttfb.map(|l| l.mean_ms)),
        error_rate: across(&|r| Some(r.error_rate)),
        slowest_1pct_share: across(&|r| r.latency.and_then(|l| l.slowest_1pct_share)),
        distribution: distribution.and_then(|repetitions| {
            Ecdf::of_sorted(&pooled_ms, distribution::POOLED_POINTS).map(|pooled| {
                CellDistribution {
                    pooled,
                    repetitions,
                }
            })
        }),
        pooled_latency: LatencySummary::of_sorted(&pooled_ms),
        pooled_ttfb: LatencySummary::of_sorted(&pooled_ttfb),
        outliers: (!pooled_ms.is_empty()).then(|| tukey_outliers(&pooled_ms)),
        bootstrap_mean_ms: boot,
        error_kinds: reps.error_kinds,
        repetitions: reps.cells,
    };
    let (requests, errors) = (reps.requests, reps.errors);
    let cell = CellSummary {
        stack: stack.to_string(),
        scenario: scenario.to_string(),
        figure: figure_of(scenario),
        metric,
        estimate,
        ci_method,
        published: published.map(|p| p.value),
        published_approximate: published.is_some_and(|p| p.approximate),
        ratio_to_published: published.map(|p| estimate.value / p.value),
        requests,
        errors,
        error_rate: if requests > 0 {
            errors as f64 / requests as f64
        } else {
            0.0
        },
        detail: Some(detail),
        limiter: None,
    };
    (cell, pooled_ms)
}

/// Each repetition of the cell summarised, the included ones accumulated; warns of
/// included repetitions whose manifest entry lacks or disagrees with the samples.
fn repetitions(ctx: &CellContext, groups: Vec<Group>, warnings: &mut Vec<String>) -> Repetitions {
    let (stack, scenario) = (ctx.stack, ctx.scenario);
    let mut out = Repetitions::default();
    for g in groups {
        let info = ctx.rep_info.get(&(stack, g.repetition));
        let included = info.is_some_and(|r| r.in_statistics());
        let scen = info.and_then(|r| r.scenarios.iter().find(|s| s.scenario == scenario));
        let active_s = scen.and_then(|s| (s.active_ns > 0).then_some(s.active_ns as f64 / 1e9));
        if included {
            match scen {
                None => warnings.push(format!(
                    "{stack} repetition {} {scenario}: the manifest has no active time, so no req/s",
                    g.repetition
                )),
                Some(s) if s.requests != g.requests => warnings.push(format!(
                    "{stack} repetition {} {scenario}: the manifest counts {} requests, samples.parquet holds {}",
                    g.repetition, s.requests, g.requests
                )),
                Some(s) if s.timed_out => warnings.push(format!(
                    "{stack} repetition {} {scenario}: hit the scenario's maximum duration (timed out)",
                    g.repetition
                )),
                _ => {}
            }
        }
        let lat = sorted_ms(g.latency_ns);
        let ttfb = sorted_ms(g.ttfb_ns);
        let rc = RepetitionCell {
            repetition: g.repetition,
            included,
            requests: g.requests,
            errors: g.errors,
            error_rate: if g.requests > 0 {
                g.errors as f64 / g.requests as f64
            } else {
                0.0
            },
            active_s,
            req_per_s: active_s.map(|a| g.requests as f64 / a),
            latency: LatencySummary::of_sorted(&lat),
            ttfb: LatencySummary::of_sorted(&ttfb),
            outliers: (!lat.is_empty()).then(|| tukey_outliers(&lat)),
        };
        if included {
            out.requests += g.requests;
            out.errors += g.errors;
            for (k, n) in ErrorKind::ALL.iter().zip(g.error_kinds) {
                if n > 0 {
                    *out.error_kinds.entry(k.as_str().to_string()).or_default() += n;
                }
            }
            out.included_ms.push(lat);
            out.included_ttfb.push(ttfb);
        } else {
            out.excluded.push(g.repetition);
        }
        out.cells.push(rc);
    }
    out
}

/// Concatenated sorted runs, sorted: the stable sort merges them in O(n log k).
fn concat_sorted(parts: Vec<Vec<f64>>) -> Vec<f64> {
    let mut all: Vec<f64> = parts.into_iter().flatten().collect();
    all.sort_by(f64::total_cmp);
    all
}

/// The latency ECDF of each included repetition (`inc` and `included_ms` in step).
fn repetition_ecdfs(inc: &[&RepetitionCell], included_ms: &[Vec<f64>]) -> Vec<RepetitionEcdf> {
    inc.iter()
        .zip(included_ms)
        .filter_map(|(r, ms)| {
            Ecdf::of_sorted(ms, distribution::REPETITION_POINTS).map(|ecdf| RepetitionEcdf {
                repetition: r.repetition,
                ecdf,
            })
        })
        .collect()
}

/// The cell's bar and its interval: req/s from the repetitions (Student t); mean
/// latency from the repetitions when they give an interval, else the bootstrap of
/// the pooled requests.
fn estimate_of(
    metric: Metric,
    req_per_s: Option<&Across>,
    mean_ms: Option<&Across>,
    boot: &Option<Bootstrap>,
) -> (Estimate, CiMethod) {
    match metric {
        Metric::ReqPerS => match req_per_s {
            Some(a) => (
                Estimate {
                    value: a.mean,
                    ci: a.ci,
                },
                if a.ci.is_some() {
                    CiMethod::StudentT
                } else {
                    CiMethod::None
                },
            ),
            None => (
                Estimate {
                    value: f64::NAN,
                    ci: None,
                },
                CiMethod::None,
            ),
        },
        Metric::MeanLatencyMs => match (mean_ms, boot) {
            (Some(a), _) if a.ci.is_some() => (
                Estimate {
                    value: a.mean,
                    ci: a.ci,
                },
                CiMethod::StudentT,
            ),
            (Some(a), Some(b)) => (
                Estimate {
                    value: a.mean,
                    ci: Some(b.ci),
                },
                CiMethod::Bootstrap,
            ),
            (Some(a), None) => (
                Estimate {
                    value: a.mean,
                    ci: None,
                },
                CiMethod::None,
            ),
            (None, _) => (
                Estimate {
                    value: f64::NAN,
                    ci: None,
                },
                CiMethod::None,
            ),
        },
    }
}
