//! Peak configuration (`pywebbench peak`): each stack measured over a grid of server
//! configurations — worker class × workers × threads — and each stack's best one found.
//!
//! A grid point is a [`ServerConfig`]; its samples are recorded as the sample set
//! `<stack>@<label>` ([`point_name`], e.g. `flask-sqlite3@w2t4-gthread`, as a sweep
//! names its steps `hello@200rps`), so a peak run's folder has the ordinary Parquet
//! schema and each point's configuration is recoverable from its name. The objective
//! is the closed-model req/s of the campaign's scenarios (the paper's Figures 1–2:
//! hello at 50 VUs, echo at 100), per round from the manifest (completed requests /
//! active time, as [`crate::summary`] computes req/s), with a t interval over rounds.
//! [`summarize_peak`] makes `peak.json` ([`PeakSummary`]); [`best_of`] picks a
//! stack's best point.

use serde::{Deserialize, Serialize};

use crate::schema::{Manifest, RepetitionStatus};
use crate::stats::{Interval, mean, t_interval};

/// `peak.json`'s schema version.
pub const PEAK_SCHEMA_VERSION: u32 = 1;

/// A point whose failed requests exceed this share of its requests cannot be the best
/// (errors are counted in req/s, as in the paper's figures).
pub const MAX_ERROR_SHARE: f64 = 0.01;

/// The confidence of the intervals.
pub const CONFIDENCE: f64 = 0.95;

/// One server configuration of a stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServerConfig {
    /// The worker class (a name of the stack's `[server]` classes, e.g. `gthread`).
    pub class: String,
    pub workers: u32,
    /// Threads per worker; `None` for a class whose grid does not vary them (the
    /// container gets the campaign's `server.threads`, which such a class ignores).
    #[serde(default)]
    pub threads: Option<u32>,
}

impl ServerConfig {
    /// `w2t4-gthread`, or `w2-sync` without threads.
    pub fn label(&self) -> String {
        match self.threads {
            Some(t) => format!("w{}t{t}-{}", self.workers, self.class),
            None => format!("w{}-{}", self.workers, self.class),
        }
    }

    /// Back from [`ServerConfig::label`].
    pub fn parse_label(label: &str) -> Option<ServerConfig> {
        let rest = label.strip_prefix('w')?;
        let (counts, class) = rest.split_once('-')?;
        let (workers, threads) = match counts.split_once('t') {
            Some((w, t)) => (w.parse().ok()?, Some(t.parse().ok()?)),
            None => (counts.parse().ok()?, None),
        };
        (!class.is_empty()).then(|| ServerConfig {
            class: class.to_string(),
            workers,
            threads,
        })
    }
}

/// The sample set name of `stack` at `config`: `flask-sqlite3@w2t4-gthread`.
pub fn point_name(stack: &str, config: &ServerConfig) -> String {
    format!("{stack}@{}", config.label())
}

/// Back from [`point_name`]: the stack and its configuration.
pub fn split_point(name: &str) -> Option<(&str, ServerConfig)> {
    let (stack, label) = name.split_once('@')?;
    Some((stack, ServerConfig::parse_label(label)?))
}

/// One worker class's part of the grid (`[peak.classes]` of a campaign).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassGrid {
    pub class: String,
    pub workers: Vec<u32>,
    /// `None`: the class's threads are not varied.
    #[serde(default)]
    pub threads: Option<Vec<u32>>,
}

/// A stack's grid: every class of `grid` the stack declares (`declared`, its
/// `[server]` classes), in the grid's order, workers then threads ascending, no
/// duplicates.
pub fn expand(grid: &[ClassGrid], declared: &[&str]) -> Vec<ServerConfig> {
    let mut out = Vec::new();
    for g in grid.iter().filter(|g| declared.contains(&g.class.as_str())) {
        let mut workers = g.workers.clone();
        workers.sort_unstable();
        workers.dedup();
        let threads: Vec<Option<u32>> = match &g.threads {
            None => vec![None],
            Some(t) => {
                let mut t = t.clone();
                t.sort_unstable();
                t.dedup();
                t.into_iter().map(Some).collect()
            }
        };
        for &w in &workers {
            for &t in &threads {
                out.push(ServerConfig {
                    class: g.class.clone(),
                    workers: w,
                    threads: t,
                });
            }
        }
    }
    out
}

/// One point's req/s in one scenario, over its rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakCell {
    pub scenario: String,
    /// Mean req/s over the rounds (`None` when no round measured it).
    pub mean: Option<f64>,
    /// t interval of the mean (`None` with fewer than two rounds).
    pub ci: Option<Interval>,
    /// Each round's req/s, in round order.
    pub values: Vec<f64>,
    pub requests: u64,
    pub errors: u64,
}

impl PeakCell {
    /// Could this cell be a stack's best: measured, errors within [`MAX_ERROR_SHARE`].
    pub fn eligible(&self) -> bool {
        self.mean.is_some_and(f64::is_finite)
            && (self.requests == 0 || self.errors as f64 <= MAX_ERROR_SHARE * self.requests as f64)
    }
}

/// One grid point of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakPoint {
    pub config: ServerConfig,
    /// [`ServerConfig::label`].
    pub label: String,
    /// Rounds of this point that failed (container exit, health timeout), with causes.
    #[serde(default)]
    pub failures: Vec<String>,
    /// One per scenario, in the run's scenario order.
    pub cells: Vec<PeakCell>,
}

impl PeakPoint {
    pub fn cell(&self, scenario: &str) -> Option<&PeakCell> {
        self.cells.iter().find(|c| c.scenario == scenario)
    }
}

/// A stack's best point in one scenario, beside its fixed (the campaign's) one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakBest {
    pub scenario: String,
    /// The best point's label (`None`: no eligible point).
    pub best: Option<String>,
    /// The fixed configuration's label, when it is in the grid.
    pub fixed: Option<String>,
    /// best / fixed − 1.
    pub change: Option<f64>,
    /// The best and fixed points' intervals overlap (the rounds cannot tell them apart).
    pub overlaps_fixed: Option<bool>,
}

/// A stack's grid and what was best.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackPeak {
    pub stack: String,
    /// The campaign's configuration of this stack (its image's own class, the
    /// campaign's `[server]` workers and threads): the paper's setting.
    pub fixed: Option<ServerConfig>,
    pub points: Vec<PeakPoint>,
    pub best: Vec<PeakBest>,
}

impl StackPeak {
    pub fn point(&self, label: &str) -> Option<&PeakPoint> {
        self.points.iter().find(|p| p.label == label)
    }

    /// The best point of `scenario` as the summary recorded it (its `best`).
    pub fn best_point(&self, scenario: &str) -> Option<&PeakPoint> {
        let entry = self.best.iter().find(|b| b.scenario == scenario)?;
        self.point(entry.best.as_deref()?)
    }
}

/// `peak.json`: every point's req/s with its interval, and each stack's best.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakSummary {
    pub schema_version: u32,
    pub run_id: String,
    /// The objective's scenarios (closed model, the campaign's VUs).
    pub scenarios: Vec<String>,
    /// Rounds planned (each point measured once per round, rounds interleaved).
    pub rounds: u32,
    pub confidence: f64,
    /// The host's CPU cores (the grid worth trying grows with them).
    pub cores: u32,
    pub stacks: Vec<StackPeak>,
}

impl PeakSummary {
    pub fn from_json(bytes: &[u8]) -> Result<PeakSummary, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a peak summary: {e}"))
    }
}

/// The index of the best point of `points` in `scenario`: the highest mean req/s
/// among the [`PeakCell::eligible`] ones; on a tie the earlier point (the grid's
/// order puts fewer workers and threads first).
pub fn best_of(points: &[PeakPoint], scenario: &str) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, p) in points.iter().enumerate() {
        let Some(c) = p.cell(scenario).filter(|c| c.eligible()) else {
            continue;
        };
        let m = c.mean.unwrap_or(f64::NAN);
        if best.is_none_or(|(_, b)| m > b) {
            best = Some((i, m));
        }
    }
    best.map(|(i, _)| i)
}

/// The stack's grid as planned: its configurations, and its fixed one.
#[derive(Debug, Clone, PartialEq)]
pub struct StackGrid {
    pub stack: String,
    pub fixed: Option<ServerConfig>,
    pub configs: Vec<ServerConfig>,
}

/// `peak.json` of a run from its manifest: each `<stack>@<label>` repetition with
/// status ok gives one round's req/s per scenario; failed ones are listed per point.
pub fn summarize_peak(
    manifest: &Manifest,
    grids: &[StackGrid],
    scenarios: &[String],
    rounds: u32,
) -> PeakSummary {
    let stacks = grids
        .iter()
        .map(|g| {
            let points: Vec<PeakPoint> = g
                .configs
                .iter()
                .map(|config| point_of(manifest, &g.stack, config, scenarios))
                .collect();
            let best = scenarios
                .iter()
                .map(|s| best_entry(&points, g.fixed.as_ref(), s))
                .collect();
            StackPeak {
                stack: g.stack.clone(),
                fixed: g.fixed.clone(),
                points,
                best,
            }
        })
        .collect();
    PeakSummary {
        schema_version: PEAK_SCHEMA_VERSION,
        run_id: manifest.run_id.clone(),
        scenarios: scenarios.to_vec(),
        rounds,
        confidence: CONFIDENCE,
        cores: manifest.host.cores,
        stacks,
    }
}

fn point_of(
    manifest: &Manifest,
    stack: &str,
    config: &ServerConfig,
    scenarios: &[String],
) -> PeakPoint {
    let name = point_name(stack, config);
    let mut reps: Vec<_> = manifest
        .repetitions
        .iter()
        .filter(|r| r.stack == name)
        .collect();
    reps.sort_by_key(|r| r.repetition);
    let failures = reps
        .iter()
        .filter(|r| r.status == RepetitionStatus::Failed)
        .map(|r| {
            format!(
                "round {}: {}",
                r.repetition,
                r.cause.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    let cells = scenarios
        .iter()
        .map(|s| {
            let mut cell = PeakCell {
                scenario: s.clone(),
                mean: None,
                ci: None,
                values: Vec::new(),
                requests: 0,
                errors: 0,
            };
            for r in reps.iter().filter(|r| r.status == RepetitionStatus::Ok) {
                let Some(sc) = r.scenarios.iter().find(|x| &x.scenario == s) else {
                    continue;
                };
                if sc.active_ns <= 0 {
                    continue;
                }
                cell.values
                    .push(sc.requests as f64 / (sc.active_ns as f64 / 1e9));
                cell.requests += sc.requests;
                cell.errors += sc.errors;
            }
            if !cell.values.is_empty() {
                cell.mean = Some(mean(&cell.values));
                cell.ci = t_interval(&cell.values, CONFIDENCE);
            }
            cell
        })
        .collect();
    PeakPoint {
        label: config.label(),
        config: config.clone(),
        failures,
        cells,
    }
}

fn best_entry(points: &[PeakPoint], fixed: Option<&ServerConfig>, scenario: &str) -> PeakBest {
    let best = best_of(points, scenario).map(|i| &points[i]);
    let fixed = fixed.and_then(|f| points.iter().find(|p| &p.config == f));
    let cell = |p: Option<&PeakPoint>| p.and_then(|p| p.cell(scenario)).cloned();
    let (b, f) = (cell(best), cell(fixed));
    let change = match (
        b.as_ref().and_then(|c| c.mean),
        f.as_ref().and_then(|c| c.mean),
    ) {
        (Some(b), Some(f)) if f > 0.0 => Some(b / f - 1.0),
        _ => None,
    };
    let overlaps_fixed = match (b.and_then(|c| c.ci), f.and_then(|c| c.ci)) {
        (Some(b), Some(f)) => Some(b.overlaps(&f)),
        _ => None,
    };
    PeakBest {
        scenario: scenario.to_string(),
        best: best.map(|p| p.label.clone()),
        fixed: fixed.map(|p| p.label.clone()),
        change,
        overlaps_fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{RepetitionSummary, ScenarioSummary};

    fn gthread(w: u32, t: u32) -> ServerConfig {
        ServerConfig {
            class: "gthread".into(),
            workers: w,
            threads: Some(t),
        }
    }

    #[test]
    fn labels_and_names_go_both_ways() {
        let c = gthread(2, 4);
        assert_eq!(c.label(), "w2t4-gthread");
        assert_eq!(ServerConfig::parse_label("w2t4-gthread"), Some(c.clone()));
        let s = ServerConfig {
            class: "uvicorn-worker".into(),
            workers: 3,
            threads: None,
        };
        assert_eq!(s.label(), "w3-uvicorn-worker");
        assert_eq!(ServerConfig::parse_label(&s.label()), Some(s.clone()));
        assert_eq!(
            point_name("flask-sqlite3", &c),
            "flask-sqlite3@w2t4-gthread"
        );
        assert_eq!(
            split_point("fastapi-sqlite3@w3-uvicorn-worker"),
            Some(("fastapi-sqlite3", s))
        );
        assert_eq!(split_point("flask-sqlite3"), None);
        assert_eq!(ServerConfig::parse_label("w2t-gthread"), None);
        assert_eq!(ServerConfig::parse_label("x2-sync"), None);
    }

    #[test]
    fn the_grid_is_each_declared_class_workers_by_threads() {
        let grid = vec![
            ClassGrid {
                class: "gthread".into(),
                workers: vec![4, 1, 2, 2],
                threads: Some(vec![4, 2]),
            },
            ClassGrid {
                class: "sync".into(),
                workers: vec![1, 2],
                threads: None,
            },
            ClassGrid {
                class: "uvicorn".into(),
                workers: vec![1, 2],
                threads: None,
            },
        ];
        let flask = expand(&grid, &["gthread", "sync"]);
        let labels: Vec<String> = flask.iter().map(ServerConfig::label).collect();
        assert_eq!(
            labels,
            [
                "w1t2-gthread",
                "w1t4-gthread",
                "w2t2-gthread",
                "w2t4-gthread",
                "w4t2-gthread",
                "w4t4-gthread",
                "w1-sync",
                "w2-sync"
            ]
        );
        let fastapi = expand(&grid, &["uvicorn-worker", "uvicorn"]);
        assert_eq!(
            fastapi.iter().map(ServerConfig::label).collect::<Vec<_>>(),
            ["w1-uvicorn", "w2-uvicorn"]
        );
        assert!(expand(&grid, &["granian"]).is_empty());
    }

    fn cell(values: &[f64], errors: u64) -> PeakCell {
        PeakCell {
            scenario: "hello".into(),
            mean: (!values.is_empty()).then(|| mean(values)),
            ci: t_interval(values, CONFIDENCE),
            values: values.to_vec(),
            requests: 1000,
            errors,
        }
    }

    fn point(c: ServerConfig, values: &[f64], errors: u64) -> PeakPoint {
        PeakPoint {
            label: c.label(),
            config: c,
            failures: Vec::new(),
            cells: vec![cell(values, errors)],
        }
    }

    #[test]
    fn the_best_point_is_the_highest_mean_without_errors_first_on_a_tie() {
        let points = vec![
            point(gthread(1, 1), &[100.0, 110.0], 0),
            point(gthread(2, 2), &[300.0, 320.0], 0),
            // Faster, but 5 % of its requests failed: not eligible.
            point(gthread(4, 4), &[900.0, 950.0], 50),
            // A tie with w2t2: the earlier (smaller) point stays.
            point(gthread(4, 2), &[320.0, 300.0], 0),
            // Never measured.
            point(gthread(8, 8), &[], 0),
        ];
        assert_eq!(best_of(&points, "hello"), Some(1));
        assert_eq!(best_of(&points, "echo"), None);
        assert_eq!(best_of(&points[4..], "hello"), None);
        // 1 % errors is still within the limit.
        let edge = vec![point(gthread(1, 1), &[10.0], 10)];
        assert_eq!(best_of(&edge, "hello"), Some(0));
    }

    fn rep(name: &str, round: u32, ok: bool, hello: (u64, i64)) -> RepetitionSummary {
        RepetitionSummary {
            stack: name.into(),
            repetition: round,
            status: if ok {
                RepetitionStatus::Ok
            } else {
                RepetitionStatus::Failed
            },
            cause: (!ok).then(|| "health timeout".to_string()),
            started_at: String::new(),
            ended_at: String::new(),
            scenarios: vec![ScenarioSummary {
                scenario: "hello".into(),
                started_at_unix_ns: 0,
                active_ns: hello.1,
                requests: hello.0,
                errors: 0,
                timed_out: false,
                dropped_iterations: 0,
                latency_mean_ms: None,
            }],
            image_id: String::new(),
            profiled: false,
        }
    }

    #[test]
    fn the_summary_takes_req_per_s_per_round_from_the_manifest() {
        let text = serde_json::json!({
            "schema_version": crate::schema::SCHEMA_VERSION, "run_id": "t", "loadgen": "native",
            "host": {"hostname": "h", "cpu_model": "c", "cores": 2, "memory_bytes": 1,
                "os": "o", "kernel": "k", "docker_version": "d"},
            "git_commit": null, "pywebbench_version": "0", "started_at": "",
            "ended_at": null, "campaign": {}, "packages": {}, "repetitions": [],
        });
        let mut m: Manifest = crate::parse_manifest(text.to_string().as_bytes()).expect("manifest");
        m.repetitions = vec![
            rep("flask-sqlite3@w1t2-gthread", 1, true, (1000, 1_000_000_000)),
            rep("flask-sqlite3@w1t2-gthread", 2, true, (1200, 1_000_000_000)),
            rep("flask-sqlite3@w2t2-gthread", 1, true, (3000, 1_000_000_000)),
            rep("flask-sqlite3@w2t2-gthread", 2, true, (3200, 1_000_000_000)),
            rep(
                "flask-sqlite3@w4t2-gthread",
                1,
                false,
                (9000, 1_000_000_000),
            ),
        ];
        let grids = [StackGrid {
            stack: "flask-sqlite3".into(),
            fixed: Some(gthread(1, 2)),
            configs: vec![gthread(1, 2), gthread(2, 2), gthread(4, 2)],
        }];
        let p = summarize_peak(&m, &grids, &["hello".to_string()], 2);
        let s = &p.stacks[0];
        assert_eq!(s.points[0].cells[0].values, [1000.0, 1200.0]);
        assert_eq!(s.points[1].cells[0].mean, Some(3100.0));
        assert!(s.points[2].cells[0].mean.is_none());
        assert_eq!(s.points[2].failures, ["round 1: health timeout"]);
        let b = &s.best[0];
        assert_eq!(b.best.as_deref(), Some("w2t2-gthread"));
        assert_eq!(b.fixed.as_deref(), Some("w1t2-gthread"));
        let change = b.change.expect("both measured");
        assert!((change - (3100.0 / 1100.0 - 1.0)).abs() < 1e-12, "{change}");
        // The figure and the grid table read the best point from `best`.
        assert_eq!(
            s.best_point("hello").map(|p| p.label.as_str()),
            Some("w2t2-gthread")
        );
        assert!(s.best_point("echo").is_none());
        // Round-trips through JSON.
        let json = serde_json::to_string(&p).expect("json");
        let back = PeakSummary::from_json(json.as_bytes()).expect("back");
        assert_eq!(back, p);
        assert!(PeakSummary::from_json(b"{}").is_err());
    }
}
