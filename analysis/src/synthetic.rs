//! A synthetic run shaped like the paper's campaign: the paper's seven scenarios and
//! request counts, throughputs and mean latencies near its published numbers, warm-up
//! requests, a few failed requests and optionally a failed repetition. Seeded, so the
//! same spec gives the same run. Used by the tests, the benchmark (`just
//! bench-analysis`) and the viewer's demo; never presented as a measurement.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::columns::{RequestRecord, SampleColumns, SampleKey};
use crate::paper::{Paper, SCENARIOS};
use crate::schema::{
    ErrorKind, HostInfo, Manifest, RepetitionStatus, RepetitionSummary, ResourceRecord,
    SCHEMA_VERSION, ScenarioSummary,
};

#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    pub run_id: String,
    pub stacks: Vec<String>,
    pub repetitions: u32,
    /// Multiplies the paper's request counts (1.0 = a full campaign, ~2 million
    /// measured samples plus warm-up for 5 stacks × 5 repetitions).
    pub scale: f64,
    /// Fraction of requests that fail (spread over error kinds).
    pub error_rate: f64,
    /// Mark this (stack, repetition) as failed in the manifest.
    pub failed: Option<(String, u32)>,
    /// Warm-up requests per stack × repetition, before `scale`.
    pub warmup_requests: u64,
    pub seed: u64,
    /// `Some(sd)`: the run has interleaved rounds (`manifest.rounds`; repetition r of
    /// every stack in round r) and every value of round r is scaled by one factor
    /// `1 + sd·z_r` shared by all stacks of that round — a drift of the host that
    /// comparing within rounds removes. `None`: no rounds, no shared drift.
    pub round_drift: Option<f64>,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            run_id: "synthetic".into(),
            // The paper's stacks (those with published values), in the registry's
            // order: a synthetic run stands for a run of the paper's campaign, whatever
            // other stacks are registered.
            stacks: crate::paper::Paper::builtin()
                .map(|p| {
                    crate::registry::Registry::builtin()
                        .order(p.published.iter().map(|v| v.stack.clone()))
                })
                .unwrap_or_default(),
            repetitions: 5,
            scale: 0.01,
            error_rate: 0.002,
            failed: None,
            warmup_requests: 30_000,
            seed: 1,
            round_drift: None,
        }
    }
}

/// (VUs, duration s or 0 for shared-iterations, iterations)
fn shape(scenario: &str) -> (u32, f64, u64) {
    match scenario {
        "hello" => (50, 10.0, 0),
        "echo" => (100, 15.0, 0),
        "get_all" => (10, 0.0, 100),
        "get_one" | "create" | "update" => (10, 0.0, 1000),
        "delete" => (1, 0.0, 100),
        _ => (10, 0.0, 100),
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A run: manifest, samples (sorted as the writer sorts) and resource readings.
pub fn synthetic_run(
    spec: &SyntheticSpec,
    paper: &Paper,
) -> (Manifest, SampleColumns, Vec<ResourceRecord>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut cols = SampleColumns {
        run_id: Some(spec.run_id.clone()),
        ..SampleColumns::default()
    };
    let mut reps = Vec::new();
    let mut resources = Vec::new();
    let sigma = 0.35f64;
    // Round-shared drift from an RNG of its own, so runs without it are unchanged.
    let drift: Vec<f64> = match spec.round_drift {
        Some(sd) => {
            let mut r = ChaCha8Rng::seed_from_u64(spec.seed ^ 0x5eed_d21f);
            (0..spec.repetitions)
                .map(|_| (1.0 + sd * normal(&mut r)).max(0.05))
                .collect()
        }
        None => Vec::new(),
    };
    for stack in &spec.stacks {
        let st = SampleColumns::intern(&mut cols.stacks, stack);
        // Stack-level speed factor so stacks without published values still differ.
        for rep in 1..=spec.repetitions {
            let rep_factor = (1.0 + 0.03 * normal(&mut rng))
                * drift.get(rep as usize - 1).copied().unwrap_or(1.0);
            let mut scenarios = Vec::new();
            let mut phases: Vec<(String, i64)> = Vec::new();
            let warm = ((spec.warmup_requests as f64 * spec.scale).round() as u64).max(1);
            let all: Vec<(String, bool)> = [("warmup_hello".to_string(), true)]
                .into_iter()
                .chain(SCENARIOS.iter().map(|s| (s.to_string(), false)))
                .collect();
            for (scenario, is_warm) in all {
                let sc = SampleColumns::intern(&mut cols.scenarios, &scenario);
                let base = if is_warm { "hello" } else { scenario.as_str() };
                let (vus, duration_s, iterations) = shape(base);
                let published = paper.value(stack, base).map(|v| v.value);
                let (n, mean_ms) = if duration_s > 0.0 {
                    let rps = published.unwrap_or(2500.0) * rep_factor;
                    let n = if is_warm {
                        warm
                    } else {
                        ((rps * duration_s * spec.scale).round() as u64).max(2)
                    };
                    (n, vus as f64 / rps * 1000.0)
                } else {
                    let n = ((iterations as f64 * spec.scale.max(0.05)).round() as u64).max(2);
                    (n, published.unwrap_or(50.0) * rep_factor)
                };
                // lognormal with the wanted mean
                let mu = mean_ms.ln() - sigma * sigma / 2.0;
                let active_ns = if duration_s > 0.0 && !is_warm {
                    (duration_s * spec.scale * 1e9) as i64
                } else {
                    (n as f64 * mean_ms * 1e6 / vus as f64) as i64
                };
                let mut errors = 0u64;
                for i in 0..n {
                    let lat_ms = (mu + sigma * normal(&mut rng)).exp();
                    let lat_ns = (lat_ms * 1e6) as i64;
                    let start = (i as i64).saturating_mul(active_ns) / n as i64;
                    let fail = rng.random::<f64>() < spec.error_rate;
                    let error = fail.then(|| ErrorKind::ALL[(i % 5) as usize]);
                    errors += fail as u64;
                    let key = SampleKey {
                        stack: st,
                        repetition: rep,
                        scenario: sc,
                    };
                    cols.push(
                        key,
                        &RequestRecord {
                            vu: (i % vus as u64) as u32,
                            iteration: i,
                            scheduled_ns: start,
                            start_ns: start,
                            end_ns: start + lat_ns,
                            latency_ns: lat_ns,
                            ttfb_ns: lat_ns * 9 / 10,
                            connect_ns: if i < vus as u64 { 150_000 } else { 0 },
                            status: match error {
                                None => 200,
                                Some(ErrorKind::HttpStatus) => 500,
                                Some(_) => 0,
                            },
                            bytes_in: 180,
                            bytes_out: 90,
                            error,
                        },
                    );
                }
                if !is_warm {
                    let ok: Vec<f64> = (cols.len() - n as usize..cols.len())
                        .filter(|&i| cols.error[i].is_none())
                        .map(|i| cols.latency_ns[i] as f64 / 1e6)
                        .collect();
                    scenarios.push(ScenarioSummary {
                        scenario: scenario.clone(),
                        started_at_unix_ns: 1_750_000_000_000_000_000,
                        active_ns,
                        requests: n,
                        errors,
                        timed_out: false,
                        dropped_iterations: 0,
                        latency_mean_ms: (!ok.is_empty()).then(|| crate::stats::mean(&ok)),
                    });
                }
                phases.push((scenario, active_ns));
            }
            let mut t = 0i64;
            for (phase, dur) in phases {
                let readings = ((dur / 1_000_000_000).max(1)) as usize;
                for k in 0..readings {
                    let cpu_percent = 80.0 + 40.0 * rng.random::<f64>();
                    let mem_bytes = 120_000_000 + (rng.random::<f64>() * 10_000_000.0) as u64;
                    resources.push(synthetic_reading(
                        stack,
                        rep,
                        &phase,
                        t + (k as i64 + 1) * 1_000_000_000,
                        cpu_percent,
                        mem_bytes,
                    ));
                }
                t += dur;
            }
            let failed = spec
                .failed
                .as_ref()
                .is_some_and(|(s, r)| s == stack && *r == rep);
            reps.push(RepetitionSummary {
                stack: stack.clone(),
                repetition: rep,
                status: if failed {
                    RepetitionStatus::Failed
                } else {
                    RepetitionStatus::Ok
                },
                cause: failed
                    .then(|| "synthetic failure: container exited with code 137".to_string()),
                started_at: "2026-01-01T00:00:00Z".into(),
                ended_at: "2026-01-01T00:05:00Z".into(),
                scenarios,
                image_id: format!("sha256:{stack}"),
                profiled: false,
            });
        }
    }
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        run_id: spec.run_id.clone(),
        loadgen: "synthetic".into(),
        host: HostInfo {
            hostname: "synthetic".into(),
            cpu_model: "none (generated data)".into(),
            cores: 2,
            memory_bytes: 24 << 30,
            os: "none".into(),
            kernel: "none".into(),
            docker_version: "none".into(),
        },
        git_commit: None,
        pywebbench_version: env!("CARGO_PKG_VERSION").into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        ended_at: Some("2026-01-01T02:00:00Z".into()),
        campaign: serde_json::json!({"name": "synthetic", "seed": spec.seed, "scale": spec.scale}),
        packages: Default::default(),
        repetitions: reps,
        rounds: match spec.round_drift {
            Some(_) => (0..spec.repetitions).map(|_| spec.stacks.clone()).collect(),
            None => Vec::new(),
        },
        isolation: None,
        path: None,
        precision: None,
        stack_info: Default::default(),
        contract: None,
        profile: None,
    };
    (manifest, cols, resources)
}

/// One sampler-shaped reading of a 1-second interval on a 2-CPU host with no pinning,
/// derived from the server's CPU without further random draws (so the samples of a
/// seed stay what they were): the generator takes half the server's CPU, no proxy,
/// no foreign load, no I/O wait. 1.2–1.8 of the 2 CPUs are busy: the limiter is
/// `not-cpu-bound`, or `server-cpu` when the CPUs reach 90 % busy (a phase whose
/// readings drew near the top of the range).
fn synthetic_reading(
    stack: &str,
    repetition: u32,
    phase: &str,
    t_ns: i64,
    cpu_percent: f64,
    mem_bytes: u64,
) -> ResourceRecord {
    let interval = 1_000_000_000i64;
    let server = (cpu_percent / 100.0 * interval as f64) as i64;
    let generator = server / 2;
    let busy = server + generator;
    ResourceRecord {
        stack: stack.to_string(),
        repetition,
        phase: phase.to_string(),
        t_ns,
        cpu_percent,
        mem_bytes,
        mem_limit_bytes: 8_000_000_000,
        interval_ns: Some(interval),
        server_cpu_ns: Some(server),
        generator_cpu_ns: Some(generator),
        proxy_cpu_ns: None,
        host_busy_ns: Some(busy),
        host_iowait_ns: Some(0),
        host_steal_ns: Some(0),
        host_idle_ns: Some(2 * interval - busy),
        host_cpus: Some(2),
        generator_cpus: Some(2),
        generator_cpus_busy_ns: Some(busy),
        server_cpus: Some(2),
        server_cpus_busy_ns: Some(busy),
    }
}
