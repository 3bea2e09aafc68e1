//! `summary.json`: every number of a run (or of the paper alone), computed by
//! [`summarize`] / [`summarize_paper`]. The schema is documented in `analysis/README.md`
//! and versioned by [`SUMMARY_SCHEMA_VERSION`].

use std::collections::{BTreeMap, HashMap};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::columns::{SampleColumns, is_warmup};
use crate::distribution::{self, CellDistribution, Ecdf, RepetitionEcdf};
use crate::error::{AnalysisError, Result};
use crate::limiter::{self, CellLimiter, RepetitionLimiter};
use crate::paired::{PairedRatio, paired_ratio};
use crate::paper::{
    Estimate, Estimates, Evidence, Metric, Paper, Power, PublishedValue, Repetitions, SCENARIOS,
    Verdict, figure_of,
};
use crate::registry::{Registry, StackInfo, orm_pairs};
use crate::schema::{
    ErrorKind, MANIFEST_FILE, Manifest, RepetitionStatus, ResourceRecord, SCHEMA_VERSION,
};
use crate::stats::{
    self, Bootstrap, Interval, MannWhitney, Moments, Outliers, Welch, bootstrap_ci, hedges_g,
    mann_whitney_sorted, percentile_sorted, t_interval, tukey_outliers, welch, welch_from_moments,
};

/// Version of the `summary.json` layout. Bump on any incompatible change.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// Knobs of the analysis (recorded in the summary).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Confidence level of every interval.
    pub confidence: f64,
    /// Significance level of the tests (benchstat's "~" above it).
    pub alpha: f64,
    /// Bootstrap resamples per cell.
    pub bootstrap_resamples: u32,
    /// Largest bootstrap resample (m-out-of-n above it; see [`bootstrap_ci`]).
    pub bootstrap_max_resample: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            confidence: 0.95,
            alpha: 0.05,
            bootstrap_resamples: 1000,
            bootstrap_max_resample: 2000,
        }
    }
}

/// Where the numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A run's raw samples.
    Run,
    /// The paper's published numbers only (no run loaded).
    Paper,
}

/// How a bar's interval was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    /// Student's t over the repetition values (n ≥ 2).
    StudentT,
    /// Bootstrap over the pooled samples (one repetition, latency metric).
    Bootstrap,
    /// The paper's value (a point, or its rounding interval when approximate).
    Published,
    /// No interval (one repetition of a throughput scenario).
    None,
}

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
    /// Bootstrap CI of the pooled mean latency (ms).
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

/// Server resource use in one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    pub stack: String,
    pub phase: String,
    pub readings: u64,
    pub cpu_mean_percent: f64,
    pub cpu_peak_percent: f64,
    pub mem_mean_bytes: f64,
    pub mem_peak_bytes: u64,
    pub mem_limit_bytes: u64,
}

/// A repetition as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepetitionOutcome {
    pub stack: String,
    pub repetition: u32,
    pub status: RepetitionStatus,
    pub cause: Option<String>,
    pub included: bool,
    /// Samples of this repetition in the file (warm-up included).
    pub samples: u64,
}

/// Warm-up requests (excluded from the statistics, counted here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmupSummary {
    pub stack: String,
    pub repetition: u32,
    pub scenario: String,
    pub requests: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SampleCounts {
    pub total: u64,
    pub measured: u64,
    pub warmup: u64,
    /// Samples of failed/interrupted repetitions (not in the statistics).
    pub excluded: u64,
}

/// A claim judged against the paper and (if any) the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimSummary {
    pub id: String,
    pub section: String,
    pub text: String,
    pub quote: String,
    pub paper_verdict: Verdict,
    pub paper_detail: String,
    pub run_verdict: Option<Verdict>,
    pub run_detail: Option<String>,
    /// Which interval(s) decided the run verdict (see analysis/README.md, "Claims").
    #[serde(default)]
    pub run_basis: Option<String>,
    /// The p of the run verdict's decision (see [`crate::paper::Judgement::p`]).
    #[serde(default)]
    pub run_p: Option<f64>,
    /// `run_p` Holm-adjusted over the run's decided claims that have a p.
    #[serde(default)]
    pub run_p_holm: Option<f64>,
    /// The run verdict after Holm: a decision whose `run_p_holm` ≥ alpha becomes
    /// inconclusive; decisions without a p (interval arithmetic) are kept.
    #[serde(default)]
    pub run_verdict_holm: Option<Verdict>,
    /// For an inconclusive run verdict: the interval half-width and the rounds
    /// (repetitions) deciding it would need at the observed spread.
    #[serde(default)]
    pub run_power: Option<Power>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperRef {
    pub title: String,
    pub authors: String,
    pub year: u32,
    pub repetitions: u32,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub generator: String,
    pub source: Source,
    pub seed: u64,
    pub settings: Settings,
    pub paper: PaperRef,
    pub manifest: Option<Manifest>,
    pub repetitions: Vec<RepetitionOutcome>,
    pub samples: SampleCounts,
    pub warmup: Vec<WarmupSummary>,
    pub stacks: Vec<String>,
    /// What the registry (`stacks/<stack>/stack.toml`) says of each stack: labels,
    /// framework, data access, raw twin. A summary written before it existed gets it
    /// from the compiled-in registry when read ([`Summary::from_json`]).
    #[serde(default)]
    pub stack_info: BTreeMap<String, StackInfo>,
    pub scenarios: Vec<String>,
    pub cells: Vec<CellSummary>,
    pub orm_overhead: Vec<OrmOverheadSummary>,
    pub pairwise: Vec<PairwiseSummary>,
    pub resources: Vec<ResourceSummary>,
    pub published: Vec<PublishedValue>,
    pub claims: Vec<ClaimSummary>,
    /// Things the reader must know (missing active times, count mismatches, …).
    pub warnings: Vec<String>,
}

impl Summary {
    pub fn cell(&self, stack: &str, scenario: &str) -> Option<&CellSummary> {
        self.cells
            .iter()
            .find(|c| c.stack == stack && c.scenario == scenario)
    }

    /// Cells of a scenario in stack order.
    pub fn cells_of(&self, scenario: &str) -> Vec<&CellSummary> {
        self.stacks
            .iter()
            .filter_map(|s| self.cell(s, scenario))
            .collect()
    }

    /// Whether any cell of `scenario` carries a latency distribution (runs, latency
    /// scenarios; not summaries written before it existed).
    pub fn cell_has_distribution(&self, scenario: &str) -> bool {
        self.cells_of(scenario)
            .iter()
            .any(|c| c.detail.as_ref().is_some_and(|d| d.distribution.is_some()))
    }

    /// A stack's long label (tables), its name when unregistered.
    pub fn label<'a>(&'a self, stack: &'a str) -> &'a str {
        self.stack_info
            .get(stack)
            .map_or(stack, |i| i.label.as_str())
    }

    /// A stack's short label (figures), its name when unregistered.
    pub fn short_label<'a>(&'a self, stack: &'a str) -> &'a str {
        self.stack_info
            .get(stack)
            .map_or(stack, |i| i.short_label.as_str())
    }

    /// The bars as claim estimates.
    pub fn estimates(&self) -> Estimates {
        self.cells
            .iter()
            .map(|c| ((c.stack.clone(), c.scenario.clone()), c.estimate))
            .collect()
    }

    /// Serialise as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parse `summary.json`, refusing another schema version.
    pub fn from_json(bytes: &[u8]) -> Result<Summary> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| AnalysisError::BadSummary {
                detail: e.to_string(),
            })?;
        let found = v
            .get("schema_version")
            .and_then(|x| x.as_u64())
            .unwrap_or(0);
        if found != SUMMARY_SCHEMA_VERSION as u64 {
            return Err(AnalysisError::SummaryVersion {
                found: found.min(u32::MAX as u64) as u32,
                supported: SUMMARY_SCHEMA_VERSION,
            });
        }
        let mut summary: Summary =
            serde_json::from_value(v).map_err(|e| AnalysisError::BadSummary {
                detail: e.to_string(),
            })?;
        // Written before `stack_info`: the compiled-in registry fills it in.
        for (name, info) in Registry::builtin().info_of(&summary.stacks) {
            summary.stack_info.entry(name).or_insert(info);
        }
        Ok(summary)
    }
}

fn generator() -> String {
    format!("pywebbench-analysis {}", env!("CARGO_PKG_VERSION"))
}

fn paper_ref(paper: &Paper) -> PaperRef {
    PaperRef {
        title: paper.meta.title.clone(),
        authors: paper.meta.authors.clone(),
        year: paper.meta.year,
        repetitions: paper.meta.repetitions,
    }
}

/// The run's `stack_info` for `stacks`: as its manifest recorded it, else (runs made
/// before it was recorded) as the compiled-in registry has it.
fn stack_info_of(manifest: &Manifest, stacks: &[String]) -> BTreeMap<String, StackInfo> {
    let mut info = Registry::builtin().info_of(stacks);
    for s in stacks {
        if let Some(i) = manifest.stack_info.get(s) {
            info.insert(s.clone(), i.clone());
        }
    }
    info
}

/// Scenarios in figure order first, then any others by name.
fn order_scenarios(present: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut present: Vec<String> = present.into_iter().collect();
    present.sort();
    present.dedup();
    let mut out: Vec<String> = SCENARIOS
        .iter()
        .map(|s| s.to_string())
        .filter(|s| present.contains(s))
        .collect();
    out.extend(present.into_iter().filter(|s| figure_of(s).is_none()));
    out
}

fn judge_claims(paper: &Paper, run: Option<&Evidence>, alpha: f64) -> Vec<ClaimSummary> {
    let paper_est = paper.estimates();
    let judged: Vec<_> = paper
        .claims
        .iter()
        .map(|c| (c, c.judge(&paper_est), run.map(|e| c.judge_with(e))))
        .collect();
    // Holm over the family of decided run claims that have a p.
    let decided = |v: Verdict| matches!(v, Verdict::Holds | Verdict::DoesNotHold);
    let family: Vec<f64> = judged
        .iter()
        .map(|(_, _, r)| {
            r.as_ref()
                .filter(|j| decided(j.verdict))
                .and_then(|j| j.p)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let adjusted = stats::holm(&family);
    judged
        .into_iter()
        .zip(adjusted)
        .map(|((c, p, r), p_holm)| {
            let p_holm = (!p_holm.is_nan()).then_some(p_holm);
            let holm_verdict = r.as_ref().map(|j| match p_holm {
                Some(q) if q >= alpha => Verdict::Inconclusive,
                _ => j.verdict,
            });
            ClaimSummary {
                id: c.id.clone(),
                section: c.section.clone(),
                text: c.text.clone(),
                quote: c.quote.clone(),
                paper_verdict: p.verdict,
                paper_detail: p.detail,
                run_verdict: r.as_ref().map(|j| j.verdict),
                run_basis: r.as_ref().map(|j| j.basis.clone()),
                run_p: r.as_ref().and_then(|j| j.p),
                run_p_holm: p_holm,
                run_verdict_holm: holm_verdict,
                run_power: r.as_ref().and_then(|j| j.power.clone()),
                run_detail: r.map(|j| j.detail),
            }
        })
        .collect()
}

/// The repetition values of every cell, for the claims' repetition-level tests.
fn claim_repetitions(s: &Summary) -> Repetitions {
    Repetitions {
        values: s
            .cells
            .iter()
            .map(|c| {
                (
                    (c.stack.clone(), c.scenario.clone()),
                    rep_values_by_round(c),
                )
            })
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        rounds: s.manifest.as_ref().is_some_and(|m| !m.rounds.is_empty()),
    }
}

/// The paper alone, no run: its numbers as bars, its ORM deltas, its claims judged
/// against its own figures. For the viewer before a run is loaded.
pub fn summarize_paper(paper: &Paper) -> Summary {
    let stacks = Registry::builtin().order(paper.published.iter().map(|v| v.stack.clone()));
    let scenarios = order_scenarios(paper.published.iter().map(|v| v.scenario.clone()));
    let mut cells = Vec::new();
    for sc in &scenarios {
        for st in &stacks {
            if let Some(v) = paper.value(st, sc) {
                cells.push(CellSummary {
                    stack: st.clone(),
                    scenario: sc.clone(),
                    figure: Some(v.figure),
                    metric: v.metric,
                    estimate: Estimate {
                        value: v.value,
                        ci: Some(v.interval()),
                    },
                    ci_method: CiMethod::Published,
                    published: Some(v.value),
                    published_approximate: v.approximate,
                    ratio_to_published: Some(1.0),
                    requests: 0,
                    errors: 0,
                    error_rate: 0.0,
                    detail: None,
                    limiter: None,
                });
            }
        }
    }
    let mut summary = Summary {
        schema_version: SUMMARY_SCHEMA_VERSION,
        generator: generator(),
        source: Source::Paper,
        seed: 0,
        settings: Settings::default(),
        paper: paper_ref(paper),
        manifest: None,
        repetitions: Vec::new(),
        samples: SampleCounts::default(),
        warmup: Vec::new(),
        stack_info: Registry::builtin().info_of(&stacks),
        stacks,
        scenarios,
        cells,
        orm_overhead: Vec::new(),
        pairwise: Vec::new(),
        resources: Vec::new(),
        published: paper.published.clone(),
        claims: judge_claims(paper, None, Settings::default().alpha),
        warnings: Vec::new(),
    };
    summary.orm_overhead = orm_overhead(&summary, &HashMap::new(), Settings::default());
    summary
}

/// Per (stack, repetition, scenario) accumulation.
struct Group {
    stack: u16,
    repetition: u32,
    scenario: u16,
    requests: u64,
    errors: u64,
    error_kinds: [u64; 5],
    latency_ns: Vec<i64>,
    ttfb_ns: Vec<i64>,
}

fn key(stack: u16, rep: u32, scenario: u16) -> u64 {
    ((stack as u64) << 48) | ((scenario as u64) << 32) | rep as u64
}

fn group_rows(samples: &SampleColumns) -> Vec<Group> {
    let warm: Vec<bool> = samples.scenarios.iter().map(|s| is_warmup(s)).collect();
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut last = (u64::MAX, 0usize);
    for i in 0..samples.len() {
        let (st, rep, sc) = (samples.stack[i], samples.repetition[i], samples.scenario[i]);
        let k = key(st, rep, sc);
        let g = if last.0 == k {
            last.1
        } else {
            let g = *index.entry(k).or_insert_with(|| {
                groups.push(Group {
                    stack: st,
                    repetition: rep,
                    scenario: sc,
                    requests: 0,
                    errors: 0,
                    error_kinds: [0; 5],
                    latency_ns: Vec::new(),
                    ttfb_ns: Vec::new(),
                });
                groups.len() - 1
            });
            last = (k, g);
            g
        };
        let group = &mut groups[g];
        group.requests += 1;
        match samples.error[i] {
            Some(kind) => {
                group.errors += 1;
                let pos = ErrorKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
                group.error_kinds[pos] += 1;
            }
            None if !warm[sc as usize] => {
                group.latency_ns.push(samples.latency_ns[i]);
                group.ttfb_ns.push(samples.ttfb_ns[i]);
            }
            None => {}
        }
    }
    groups
}

fn sorted_ms(mut ns: Vec<i64>) -> Vec<f64> {
    ns.sort_unstable();
    ns.into_iter().map(|v| v as f64 / 1e6).collect()
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

/// The bootstrap seed used when the caller gives none: the campaign's `seed`
/// (0 when absent), so `pywebbench analyze` and the viewer agree on the same run.
pub fn default_seed(manifest: &Manifest) -> u64 {
    manifest
        .campaign
        .get("seed")
        .and_then(|s| s.as_u64())
        .unwrap_or(0)
}

/// Summarise a run: per stack × scenario × repetition, across repetitions, ORM
/// overhead, pairwise tests, outliers, resources and claim verdicts.
///
/// `samples` may come from [`crate::read_samples`] or [`crate::read_samples_for_analysis`].
/// `seed` drives the bootstrap (ChaCha8), so the same inputs give the same summary.
pub fn summarize(
    manifest: &Manifest,
    samples: &SampleColumns,
    resources: &[ResourceRecord],
    paper: &Paper,
    seed: u64,
) -> Result<Summary> {
    summarize_with(
        manifest,
        samples,
        resources,
        paper,
        seed,
        Settings::default(),
    )
}

/// [`summarize`] with explicit settings.
pub fn summarize_with(
    manifest: &Manifest,
    samples: &SampleColumns,
    resources: &[ResourceRecord],
    paper: &Paper,
    seed: u64,
    settings: Settings,
) -> Result<Summary> {
    if manifest.schema_version > SCHEMA_VERSION {
        return Err(AnalysisError::FutureSchema {
            file: MANIFEST_FILE,
            found: manifest.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    if let Some(id) = &samples.run_id
        && *id != manifest.run_id
    {
        return Err(AnalysisError::ManifestFromAnotherRun {
            samples_run: id.clone(),
            manifest_run: manifest.run_id.clone(),
        });
    }
    if samples.is_empty() {
        return Err(AnalysisError::Empty {
            file: crate::schema::SAMPLES_FILE,
        });
    }
    let groups = group_rows(samples);
    let rep_info: HashMap<(&str, u32), &crate::schema::RepetitionSummary> = manifest
        .repetitions
        .iter()
        .map(|r| ((r.stack.as_str(), r.repetition), r))
        .collect();
    let mut warnings = Vec::new();
    let mut counts = SampleCounts::default();
    let mut per_rep_samples: BTreeMap<(String, u32), u64> = BTreeMap::new();
    let mut warmup = Vec::new();
    for g in &groups {
        let stack = &samples.stacks[g.stack as usize];
        let scenario = &samples.scenarios[g.scenario as usize];
        let Some(info) = rep_info.get(&(stack.as_str(), g.repetition)) else {
            return Err(AnalysisError::SampleNotInManifest {
                stack: stack.clone(),
                repetition: g.repetition,
            });
        };
        counts.total += g.requests;
        *per_rep_samples
            .entry((stack.clone(), g.repetition))
            .or_default() += g.requests;
        if is_warmup(scenario) {
            counts.warmup += g.requests;
            warmup.push(WarmupSummary {
                stack: stack.clone(),
                repetition: g.repetition,
                scenario: scenario.clone(),
                requests: g.requests,
                errors: g.errors,
            });
        } else if info.status != RepetitionStatus::Ok {
            counts.excluded += g.requests;
        } else {
            counts.measured += g.requests;
        }
    }
    if counts.measured + counts.excluded == 0 {
        return Err(AnalysisError::NoMeasuredSamples);
    }
    warmup.sort_by(|a, b| {
        (&a.stack, a.repetition, &a.scenario).cmp(&(&b.stack, b.repetition, &b.scenario))
    });
    let repetitions: Vec<RepetitionOutcome> = manifest
        .repetitions
        .iter()
        .map(|r| RepetitionOutcome {
            stack: r.stack.clone(),
            repetition: r.repetition,
            status: r.status,
            cause: r.cause.clone(),
            included: r.status == RepetitionStatus::Ok,
            samples: per_rep_samples
                .get(&(r.stack.clone(), r.repetition))
                .copied()
                .unwrap_or(0),
        })
        .collect();
    for r in &repetitions {
        if !r.included {
            warnings.push(format!(
                "{} repetition {} {}: excluded from the statistics ({})",
                r.stack,
                r.repetition,
                match r.status {
                    RepetitionStatus::Failed => "failed",
                    RepetitionStatus::Interrupted => "was interrupted",
                    RepetitionStatus::Ok => "ok",
                },
                r.cause.as_deref().unwrap_or("no cause recorded")
            ));
        }
    }

    // Measured groups by (stack, scenario).
    let mut by_cell: BTreeMap<(String, String), Vec<Group>> = BTreeMap::new();
    for g in groups {
        let scenario = &samples.scenarios[g.scenario as usize];
        if is_warmup(scenario) {
            continue;
        }
        let stack = samples.stacks[g.stack as usize].clone();
        by_cell
            .entry((stack, scenario.clone()))
            .or_default()
            .push(g);
    }
    let stacks = Registry::builtin().order(by_cell.keys().map(|(s, _)| s.clone()));
    let scenarios = order_scenarios(by_cell.keys().map(|(_, s)| s.clone()));

    let mut cells: Vec<CellSummary> = Vec::new();
    let mut pooled: HashMap<(String, String), Vec<f64>> = HashMap::new();
    for sc in &scenarios {
        for st in &stacks {
            let Some(mut gs) = by_cell.remove(&(st.clone(), sc.clone())) else {
                continue;
            };
            gs.sort_by_key(|g| g.repetition);
            let (cell, pooled_ms) =
                summarize_cell(st, sc, gs, &rep_info, paper, seed, settings, &mut warnings);
            pooled.insert((st.clone(), sc.clone()), pooled_ms);
            cells.push(cell);
        }
    }

    add_limiters(&mut cells, resources, manifest);
    let mut summary = Summary {
        schema_version: SUMMARY_SCHEMA_VERSION,
        generator: generator(),
        source: Source::Run,
        seed,
        settings,
        paper: paper_ref(paper),
        manifest: Some(manifest.clone()),
        repetitions,
        samples: counts,
        warmup,
        stack_info: stack_info_of(manifest, &stacks),
        stacks,
        scenarios,
        cells,
        orm_overhead: Vec::new(),
        pairwise: Vec::new(),
        resources: summarize_resources(resources, manifest),
        published: paper.published.clone(),
        claims: Vec::new(),
        warnings,
    };
    summary.orm_overhead = orm_overhead(&summary, &pooled, settings);
    summary.pairwise = pairwise(&summary, &pooled, settings);
    let estimates = summary.estimates();
    let reps = claim_repetitions(&summary);
    summary.claims = judge_claims(
        paper,
        Some(&Evidence {
            estimates: &estimates,
            repetitions: Some(&reps),
            confidence: settings.confidence,
        }),
        settings.alpha,
    );
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn summarize_cell(
    stack: &str,
    scenario: &str,
    groups: Vec<Group>,
    rep_info: &HashMap<(&str, u32), &crate::schema::RepetitionSummary>,
    paper: &Paper,
    seed: u64,
    settings: Settings,
    warnings: &mut Vec<String>,
) -> (CellSummary, Vec<f64>) {
    let metric = Metric::of_scenario(scenario);
    let mut reps = Vec::new();
    let mut included_ms: Vec<Vec<f64>> = Vec::new();
    let mut included_ttfb: Vec<Vec<f64>> = Vec::new();
    let mut error_kinds: BTreeMap<String, u64> = BTreeMap::new();
    let (mut requests, mut errors) = (0u64, 0u64);
    let mut excluded = Vec::new();
    for g in groups {
        let info = rep_info.get(&(stack, g.repetition));
        let included = info.is_some_and(|r| r.status == RepetitionStatus::Ok);
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
            requests += g.requests;
            errors += g.errors;
            for (k, n) in ErrorKind::ALL.iter().zip(g.error_kinds) {
                if n > 0 {
                    *error_kinds.entry(k.as_str().to_string()).or_default() += n;
                }
            }
            included_ms.push(lat);
            included_ttfb.push(ttfb);
        } else {
            excluded.push(g.repetition);
        }
        reps.push(rc);
    }
    let inc: Vec<&RepetitionCell> = reps.iter().filter(|r| r.included).collect();
    let c = settings.confidence;
    let across = |f: &dyn Fn(&RepetitionCell) -> Option<f64>| {
        Across::of(inc.iter().filter_map(|r| f(r)).collect(), c)
    };
    let req_per_s = across(&|r| r.req_per_s);
    let mean_ms = across(&|r| r.latency.map(|l| l.mean_ms));
    let concat = |parts: Vec<Vec<f64>>| {
        let mut all: Vec<f64> = parts.into_iter().flatten().collect();
        // Concatenated sorted runs: the stable sort merges them in O(n log k).
        all.sort_by(f64::total_cmp);
        all
    };
    let distribution = match metric {
        Metric::MeanLatencyMs => {
            let repetitions: Vec<RepetitionEcdf> = inc
                .iter()
                .zip(&included_ms)
                .filter_map(|(r, ms)| {
                    Ecdf::of_sorted(ms, distribution::REPETITION_POINTS).map(|ecdf| {
                        RepetitionEcdf {
                            repetition: r.repetition,
                            ecdf,
                        }
                    })
                })
                .collect();
            Some(repetitions)
        }
        Metric::ReqPerS => None,
    };
    let pooled_ms = concat(included_ms);
    let pooled_ttfb = concat(included_ttfb);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ fnv1a(&format!("{stack}/{scenario}")));
    let boot = bootstrap_ci(
        &pooled_ms,
        stats::mean,
        settings.bootstrap_resamples,
        c,
        settings.bootstrap_max_resample as usize,
        &mut rng,
    );
    let (estimate, ci_method) = match metric {
        Metric::ReqPerS => match &req_per_s {
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
        Metric::MeanLatencyMs => match (&mean_ms, &boot) {
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
    };
    let published = paper.value(stack, scenario);
    let detail = CellDetail {
        included_repetitions: inc.len() as u32,
        excluded_repetitions: excluded,
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
        error_kinds,
        repetitions: reps,
    };
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

/// The metric's value of each included repetition of a cell, with its repetition
/// number (= its round in a run made in rounds).
fn rep_values_by_round(c: &CellSummary) -> Vec<(u32, f64)> {
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

fn orm_overhead(
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

fn pairwise(
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

/// The limiter of every cell's repetitions, from the sampler rows of the scenario's
/// phase (see [`crate::limiter`]).
fn add_limiters(cells: &mut [CellSummary], resources: &[ResourceRecord], manifest: &Manifest) {
    let workers = manifest
        .campaign
        .get("server")
        .and_then(|s| s.get("workers"))
        .and_then(|w| w.as_u64())
        .and_then(|w| u32::try_from(w).ok());
    let mut rows: HashMap<(&str, u32, &str), Vec<&ResourceRecord>> = HashMap::new();
    for r in resources {
        rows.entry((r.stack.as_str(), r.repetition, r.phase.as_str()))
            .or_default()
            .push(r);
    }
    for cell in cells {
        let Some(detail) = &cell.detail else {
            continue;
        };
        let reps = detail
            .repetitions
            .iter()
            .map(|rc| {
                let usage = rows
                    .get(&(cell.stack.as_str(), rc.repetition, cell.scenario.as_str()))
                    .and_then(|rs| limiter::usage(rs, workers));
                let (limiter, disturbed) = match &usage {
                    Some(u) => limiter::classify(u),
                    None => (limiter::Limiter::Unknown, false),
                };
                RepetitionLimiter {
                    repetition: rc.repetition,
                    included: rc.included,
                    limiter,
                    disturbed,
                    usage,
                }
            })
            .collect();
        cell.limiter = Some(CellLimiter::of(reps));
    }
}

fn summarize_resources(resources: &[ResourceRecord], manifest: &Manifest) -> Vec<ResourceSummary> {
    let ok: std::collections::HashSet<(&str, u32)> = manifest
        .repetitions
        .iter()
        .filter(|r| r.status == RepetitionStatus::Ok)
        .map(|r| (r.stack.as_str(), r.repetition))
        .collect();
    // Sums first (cpu_mean_percent / mem_mean_bytes hold totals until the end).
    let mut acc: BTreeMap<(&str, &str), ResourceSummary> = BTreeMap::new();
    let mut weights: HashMap<(&str, &str), f64> = HashMap::new();
    for r in resources {
        if !ok.contains(&(r.stack.as_str(), r.repetition)) {
            continue;
        }
        let e = acc
            .entry((r.stack.as_str(), r.phase.as_str()))
            .or_insert_with(|| ResourceSummary {
                stack: r.stack.clone(),
                phase: r.phase.clone(),
                readings: 0,
                cpu_mean_percent: 0.0,
                cpu_peak_percent: f64::NEG_INFINITY,
                mem_mean_bytes: 0.0,
                mem_peak_bytes: 0,
                mem_limit_bytes: 0,
            });
        // Sampler rows cover intervals of different lengths (a phase change closes
        // one early): their means are weighted by the interval. Docker stats rows
        // (no interval) weigh 1 each, as before.
        let w = r.interval_ns.map_or(1.0, |ns| ns as f64 / 1e9);
        let wsum = weights
            .entry((r.stack.as_str(), r.phase.as_str()))
            .or_insert(0.0);
        *wsum += w;
        e.readings += 1;
        e.cpu_mean_percent += r.cpu_percent * w;
        e.cpu_peak_percent = e.cpu_peak_percent.max(r.cpu_percent);
        e.mem_mean_bytes += r.mem_bytes as f64 * w;
        e.mem_peak_bytes = e.mem_peak_bytes.max(r.mem_bytes);
        e.mem_limit_bytes = e.mem_limit_bytes.max(r.mem_limit_bytes);
    }
    acc.into_iter()
        .map(|(k, mut e)| {
            let w = weights.get(&k).copied().unwrap_or(e.readings as f64);
            e.cpu_mean_percent /= w;
            e.mem_mean_bytes /= w;
            e
        })
        .collect()
}
