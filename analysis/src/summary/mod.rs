//! `summary.json`: every number of a run (or of the paper alone), computed by
//! [`summarize`] / [`summarize_paper`]. The schema is documented in `analysis/README.md`
//! and versioned by [`SUMMARY_SCHEMA_VERSION`].
//!
//! Submodules: `groups` (sample rows into per-repetition groups), `cell` (one stack ×
//! scenario: repetitions, across-repetition statistics, estimate), `compare` (ORM
//! overhead and pairwise tests), `resources` (resource use and limiters), `claims`
//! (claims judged against the summary).

mod cell;
mod claims;
mod compare;
mod groups;
mod resources;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::columns::{SampleColumns, is_warmup};
use crate::error::{AnalysisError, Result};
use crate::paper::{Estimate, Estimates, Evidence, Paper, PublishedValue, SCENARIOS, figure_of};
use crate::registry::{Registry, StackInfo};
use crate::schema::{MANIFEST_FILE, Manifest, RepetitionStatus, ResourceRecord, SCHEMA_VERSION};

pub use cell::{Across, CellDetail, CellSummary, LatencySummary, RepetitionCell};
pub use claims::ClaimSummary;
pub use compare::{OrmOverheadSummary, PairwiseSummary};
pub use resources::ResourceSummary;

use cell::{CellContext, summarize_cell};
use claims::{claim_repetitions, judge_claims};
use compare::{orm_overhead, pairwise};
use groups::{Group, group_rows};
use resources::{add_limiters, summarize_resources};

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
    /// Largest bootstrap resample (m-out-of-n above it; see [`bootstrap_ci`](crate::stats::bootstrap_ci)).
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
    /// Samples of failed/interrupted and profiled repetitions (not in the statistics).
    pub excluded: u64,
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
        } else if let Some((base, config)) = crate::peak::split_point(s) {
            // A peak run's sample set `<stack>@<grid point>` (e.g. `flask-sqlite3@w2-sync`):
            // its stack's info, labelled with the point.
            let point = config.label();
            let of_base = manifest
                .stack_info
                .get(base)
                .cloned()
                .or_else(|| Registry::builtin().get(base).map(|r| r.info.clone()));
            if let Some(mut i) = of_base {
                i.label = format!("{} ({point})", i.label);
                i.short_label = format!("{} ({point})", i.short_label);
                info.insert(s.clone(), i);
            }
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
        } else if !info.in_statistics() {
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
            included: r.in_statistics(),
            samples: per_rep_samples
                .get(&(r.stack.clone(), r.repetition))
                .copied()
                .unwrap_or(0),
        })
        .collect();
    // `repetitions` is made from the manifest's, one for one.
    for (r, info) in repetitions.iter().zip(&manifest.repetitions) {
        if !r.included && !info.profiled {
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
            let ctx = CellContext {
                stack: st,
                scenario: sc,
                rep_info: &rep_info,
                paper,
                seed,
                settings,
            };
            let (cell, pooled_ms) = summarize_cell(&ctx, gs, &mut warnings);
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
