//! Server resource use per stack and phase, and the limiter of every cell's
//! repetitions from the sampler rows.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::CellSummary;
use crate::limiter::{self, CellLimiter, RepetitionLimiter};
use crate::schema::{Manifest, ResourceRecord};

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

/// The limiter of every cell's repetitions, from the sampler rows of the scenario's
/// phase (see [`crate::limiter`]).
pub(super) fn add_limiters(
    cells: &mut [CellSummary],
    resources: &[ResourceRecord],
    manifest: &Manifest,
) {
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

pub(super) fn summarize_resources(
    resources: &[ResourceRecord],
    manifest: &Manifest,
) -> Vec<ResourceSummary> {
    let ok: std::collections::HashSet<(&str, u32)> = manifest
        .repetitions
        .iter()
        .filter(|r| r.in_statistics())
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
