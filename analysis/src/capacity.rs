//! Capacity curves (open model): where a stack's latency leaves its service level.
//!
//! Why this file is long: half of it is the tests, the ramp and the knee checked on
//! synthetic queues whose capacity is known.
//!
//! A sweep offers a stack a constant arrival rate (k6 `constant-arrival-rate`) step by
//! step and measures each step as a [`Point`]: offered and achieved rate, p50 and p99
//! of the latency *from the scheduled start* (`end_ns − scheduled_ns`, so a queue on the
//! client side counts: no coordinated omission), errors and dropped iterations.
//!
//! [`next_rate`] decides the next offered rate from the points so far: grow
//! geometrically from `start` until a step fails the [`Slo`], then bisect between the
//! last good and the first bad rate until they are within the stated resolution.
//! [`knee`] is the answer: the highest offered rate that passes the SLO and lies below
//! every failing rate (so a lucky pass above a failure — noise — does not count).
//!
//! Pure: no I/O, builds for wasm32. The sweep's driver is in the runner
//! (`runner/src/sweep.rs`); `sweep.json` is a [`SweepSummary`].

use serde::{Deserialize, Serialize};

use crate::columns::SampleColumns;
use crate::stats::percentile_sorted;

/// One step of a sweep: what was offered and what came back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Offered arrival rate, requests per second.
    pub offered: u32,
    /// Successful responses per second, from the step's start to its last response.
    pub achieved: f64,
    /// Median latency from the scheduled start of the successful requests, ms; NaN
    /// (`null` in `sweep.json`) when no request succeeded.
    #[serde(deserialize_with = "nan_if_null")]
    pub p50_ms: f64,
    /// 99th percentile of the same, ms (NaN / `null` likewise).
    #[serde(deserialize_with = "nan_if_null")]
    pub p99_ms: f64,
    /// Requests made (with or without a response).
    pub requests: u64,
    /// Requests that failed (no response or status ≥ 400).
    pub errors: u64,
    /// Iterations the generator dropped because every VU was busy (k6's `dropped_iterations`).
    pub dropped: u64,
}

/// JSON has no NaN: serde_json writes it as `null`, and this reads `null` back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl Point {
    /// Errors plus dropped iterations, as a share of the iterations due.
    pub fn bad_share(&self) -> f64 {
        let due = self.requests + self.dropped;
        if due == 0 {
            return 1.0;
        }
        (self.errors + self.dropped) as f64 / due as f64
    }

    /// Whether this step meets the service level.
    pub fn passes(&self, slo: &Slo) -> bool {
        self.requests > 0
            && self.p99_ms.is_finite()
            && self.p99_ms <= slo.p99_ms
            && self.bad_share() <= slo.max_bad_share
    }
}

/// The service level a step must meet to count as "under capacity".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Largest p99 latency from the scheduled start, ms (e.g. 100).
    pub p99_ms: f64,
    /// Largest share of failed plus dropped iterations (e.g. 0.01).
    pub max_bad_share: f64,
}

/// How the automatic ramp chooses rates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ramp {
    /// The first rate offered, req/s.
    pub start: u32,
    /// The factor the rate grows by while every step passes (e.g. 2).
    pub growth: f64,
    /// Stop bisecting when `(bad − good) / good` is at most this (e.g. 0.05).
    pub resolution: f64,
    /// Never offer more than this, req/s.
    pub max_rate: u32,
    /// Never run more steps than this.
    pub max_steps: usize,
}

impl Ramp {
    /// One line naming what is wrong with the settings, if anything.
    pub fn validate(&self) -> Result<(), String> {
        if self.start == 0 {
            return Err("the sweep's start rate must be >= 1 req/s (e.g. --start 50)".into());
        }
        if !(self.growth > 1.0 && self.growth.is_finite()) {
            return Err(format!(
                "the sweep's growth factor {} must be > 1 (e.g. 2)",
                self.growth
            ));
        }
        if !(self.resolution > 0.0 && self.resolution < 1.0) {
            return Err(format!(
                "the sweep's resolution {} must lie between 0% and 100% (e.g. --resolution 5%)",
                self.resolution
            ));
        }
        if self.max_rate < self.start {
            return Err(format!(
                "the sweep's max rate {} is below its start rate {} (raise --max-rate)",
                self.max_rate, self.start
            ));
        }
        if self.max_steps == 0 {
            return Err("the sweep needs at least one step (max steps >= 1)".into());
        }
        Ok(())
    }

    /// The most steps the ramp can take, for a time estimate: the growth steps from
    /// `start` to `max_rate`, plus the bisection steps from one growth factor down to
    /// the resolution; at most `max_steps`.
    pub fn planned_steps(&self) -> usize {
        let grow = ((f64::from(self.max_rate) / f64::from(self.start)).ln() / self.growth.ln())
            .ceil()
            .max(0.0) as usize
            + 1;
        let bisect = ((self.growth - 1.0) / self.resolution)
            .log2()
            .ceil()
            .max(0.0) as usize;
        (grow + bisect).min(self.max_steps)
    }
}

/// Which rates a sweep offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// These rates, in this order, whatever they measure.
    Fixed(Vec<u32>),
    /// Grow, then bisect ([`next_rate`]).
    Ramp(Ramp),
}

impl Plan {
    /// The most steps the plan takes.
    pub fn planned_steps(&self) -> usize {
        match self {
            Plan::Fixed(rates) => rates.len(),
            Plan::Ramp(r) => r.planned_steps(),
        }
    }
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Offer this rate (req/s).
    Try(u32),
    /// The sweep is over.
    Done,
}

/// The lowest failing rate and the highest passing rate below it (the bracket the
/// knee lies in). `good` is `None` when no rate below the first failure passed.
fn bracket(points: &[Point], slo: &Slo) -> (Option<u32>, Option<u32>) {
    let bad = points
        .iter()
        .filter(|p| !p.passes(slo))
        .map(|p| p.offered)
        .min();
    let good = points
        .iter()
        .filter(|p| p.passes(slo) && bad.is_none_or(|b| p.offered < b))
        .map(|p| p.offered)
        .max();
    (good, bad)
}

/// The knee: the highest offered rate that meets the SLO and lies below every rate
/// that did not. `None` when even the lowest rate tried failed (or nothing ran).
pub fn knee(points: &[Point], slo: &Slo) -> Option<u32> {
    bracket(points, slo).0
}

/// The next rate to offer after `points` (in the order they ran), or [`Next::Done`].
pub fn next_rate(plan: &Plan, points: &[Point], slo: &Slo) -> Next {
    match plan {
        Plan::Fixed(rates) => rates
            .get(points.len())
            .map_or(Next::Done, |&r| Next::Try(r)),
        Plan::Ramp(ramp) => next_ramp_rate(ramp, points, slo),
    }
}

fn next_ramp_rate(ramp: &Ramp, points: &[Point], slo: &Slo) -> Next {
    if points.len() >= ramp.max_steps {
        return Next::Done;
    }
    if points.is_empty() {
        return Next::Try(ramp.start.min(ramp.max_rate));
    }
    let tried = |r: u32| points.iter().any(|p| p.offered == r);
    let fresh = |r: u32| if tried(r) { Next::Done } else { Next::Try(r) };
    match bracket(points, slo) {
        // Everything passed so far: grow.
        (Some(good), None) => {
            if good >= ramp.max_rate {
                return Next::Done;
            }
            let up = (f64::from(good) * ramp.growth).round() as u32;
            fresh(up.max(good + 1).min(ramp.max_rate))
        }
        // The lowest rate failed: shrink until one passes (or 1 req/s fails).
        (None, Some(bad)) => {
            if bad <= 1 {
                return Next::Done;
            }
            let down = (f64::from(bad) / ramp.growth).round() as u32;
            fresh(down.clamp(1, bad - 1))
        }
        // Bisect until the bracket is within the resolution.
        (Some(good), Some(bad)) => {
            if f64::from(bad - good) <= ramp.resolution * f64::from(good) || bad - good <= 1 {
                return Next::Done;
            }
            fresh(good + (bad - good) / 2)
        }
        (None, None) => Next::Done,
    }
}

/// The scenario name a sweep step's samples carry: `hello@200rps`.
pub fn step_name(request: &str, rate: u32) -> String {
    format!("{request}@{rate}rps")
}

/// `(request, rate)` back from a [`step_name`]; `None` for any other scenario name.
pub fn parse_step_name(name: &str) -> Option<(&str, u32)> {
    let (request, rest) = name.rsplit_once('@')?;
    let rate = rest.strip_suffix("rps")?.parse().ok()?;
    Some((request, rate))
}

/// What the generator reports of a step besides its samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepCounts {
    /// Offered rate, req/s.
    pub offered: u32,
    /// From the step's time zero to the end of its last request, ns (the denominator
    /// of the achieved rate, as k6's `http_reqs` rate: an overloaded step's backlog
    /// is answered after the step's planned end, and counts with the time it took).
    pub duration_ns: i64,
    /// Dropped iterations.
    pub dropped: u64,
}

/// A step's [`Point`] from its samples (the rows of `scenario` in `samples`).
pub fn point_of(samples: &SampleColumns, scenario: u16, counts: StepCounts) -> Point {
    let mut latencies = Vec::new();
    let (mut requests, mut errors) = (0u64, 0u64);
    for i in 0..samples.len() {
        if samples.scenario[i] != scenario {
            continue;
        }
        requests += 1;
        if samples.error[i].is_some() {
            errors += 1;
        } else {
            latencies.push((samples.end_ns[i] - samples.scheduled_ns[i]) as f64 / 1e6);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let seconds = counts.duration_ns as f64 / 1e9;
    Point {
        offered: counts.offered,
        achieved: if seconds > 0.0 {
            latencies.len() as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile_sorted(&latencies, 0.50),
        p99_ms: percentile_sorted(&latencies, 0.99),
        requests,
        errors,
        dropped: counts.dropped,
    }
}

/// One stack's sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackSweep {
    pub stack: String,
    /// The steps, in the order they ran.
    pub points: Vec<Point>,
    /// [`knee`] of the points, req/s.
    pub knee: Option<u32>,
    /// Why the sweep of this stack stopped early, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl StackSweep {
    /// The step at the knee, if the sweep found one.
    pub fn knee_point(&self) -> Option<&Point> {
        let k = self.knee?;
        self.points.iter().find(|p| p.offered == k)
    }

    /// The step at the lowest offered rate that failed the SLO, if any.
    pub fn first_failure(&self, slo: &Slo) -> Option<&Point> {
        self.points
            .iter()
            .filter(|p| !p.passes(slo))
            .min_by_key(|p| p.offered)
    }

    /// Whether the knee is only a lower bound: no step failed the SLO, so the stack's
    /// capacity lies at or above the highest rate offered (the ramp's `max_rate` or
    /// its step budget stopped it), not at the knee.
    pub fn knee_is_lower_bound(&self, slo: &Slo) -> bool {
        self.knee.is_some() && self.first_failure(slo).is_none()
    }

    /// The knee in words, e.g. `1,250 req/s offered`, `≥ 20,000 req/s offered (no step
    /// failed)` or `none (even the lowest rate failed)`.
    pub fn knee_text(&self, slo: &Slo) -> String {
        match self.knee {
            None => "none (even the lowest rate failed)".into(),
            Some(k) if self.knee_is_lower_bound(slo) => format!(
                "≥ {} req/s offered (no step failed)",
                crate::format::count(u64::from(k))
            ),
            Some(k) => format!("{} req/s offered", crate::format::count(u64::from(k))),
        }
    }
}

/// `sweep.json`: a sweep's settings and, per stack, its points and knee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    pub schema_version: u32,
    pub run_id: String,
    /// The request every step sends (`hello`, `get_one`).
    pub request: String,
    pub slo: Slo,
    pub plan: Plan,
    /// Each step's length, seconds.
    pub step_seconds: f64,
    pub stacks: Vec<StackSweep>,
}

/// The version of the `sweep.json` schema.
pub const SWEEP_SCHEMA_VERSION: u32 = 1;

impl SweepSummary {
    pub fn from_json(bytes: &[u8]) -> Result<SweepSummary, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a sweep summary: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLO: Slo = Slo {
        p99_ms: 100.0,
        max_bad_share: 0.01,
    };

    /// A synthetic server of capacity `mu` req/s and service time `s_ms`: below
    /// capacity p99 ≈ s; above it the queue grows for the whole step of `t` s, so
    /// p99 ≈ s + (λ − μ)·t/μ (in ms).
    fn queue(mu: f64, s_ms: f64, t: f64) -> impl Fn(u32) -> Point {
        move |rate| {
            let l = f64::from(rate);
            let wait_ms = ((l - mu).max(0.0) * t / mu) * 1000.0;
            Point {
                offered: rate,
                achieved: l.min(mu),
                p50_ms: s_ms + wait_ms / 2.0,
                p99_ms: s_ms + wait_ms * 0.99,
                requests: (l * t) as u64,
                errors: 0,
                dropped: 0,
            }
        }
    }

    fn ramp(start: u32) -> Plan {
        Plan::Ramp(Ramp {
            start,
            growth: 2.0,
            resolution: 0.05,
            max_rate: 100_000,
            max_steps: 30,
        })
    }

    fn sweep(plan: &Plan, measure: impl Fn(u32) -> Point) -> Vec<Point> {
        let mut points = Vec::new();
        while let Next::Try(r) = next_rate(plan, &points, &SLO) {
            points.push(measure(r));
            assert!(points.len() <= 40, "the sweep does not end: {points:?}");
        }
        points
    }

    #[test]
    fn the_ramp_finds_a_queues_knee_within_the_resolution() {
        // μ = 200 req/s, S = 20 ms, 2 s steps: p99 passes 100 ms at λ ≈ 208.
        let points = sweep(&ramp(50), queue(200.0, 20.0, 2.0));
        let k = knee(&points, &SLO).expect("a knee");
        let threshold = 200.0 + 0.08 * 200.0 / (2.0 * 0.99);
        assert!(f64::from(k) <= threshold, "knee {k} above {threshold}");
        assert!(f64::from(k) >= threshold / 1.05, "knee {k} too low");
        // Grows 50, 100, 200, 400 then bisects: few steps.
        assert_eq!(
            points.iter().take(4).map(|p| p.offered).collect::<Vec<_>>(),
            [50, 100, 200, 400]
        );
        assert!(points.len() <= 10, "{} steps", points.len());
    }

    #[test]
    fn errors_or_drops_above_the_share_fail_a_step() {
        let mut p = queue(1000.0, 5.0, 2.0)(100);
        assert!(p.passes(&SLO));
        p.errors = 3; // 1.5 % of 200
        assert!(!p.passes(&SLO));
        p.errors = 0;
        p.dropped = 5;
        assert!(!p.passes(&SLO));
        // A server that answers fast but fails above 300 req/s.
        let failing = |r: u32| {
            let mut p = queue(10_000.0, 5.0, 2.0)(r);
            if r > 300 {
                p.errors = p.requests / 10;
            }
            p
        };
        let points = sweep(&ramp(100), failing);
        let k = knee(&points, &SLO).expect("a knee");
        assert!((286..=300).contains(&k), "knee {k}");
    }

    #[test]
    fn a_failing_start_steps_down_and_a_dead_server_has_no_knee() {
        let points = sweep(&ramp(800), queue(200.0, 20.0, 2.0));
        assert_eq!(points[0].offered, 800);
        assert_eq!(points[1].offered, 400);
        let k = knee(&points, &SLO).expect("a knee");
        assert!((190..=208).contains(&k), "knee {k}");
        let dead = |r: u32| Point {
            errors: u64::from(r),
            requests: u64::from(r),
            p50_ms: f64::NAN,
            p99_ms: f64::NAN,
            ..queue(1.0, 1.0, 1.0)(r)
        };
        let points = sweep(&ramp(64), dead);
        assert_eq!(knee(&points, &SLO), None);
        assert_eq!(points.last().map(|p| p.offered), Some(1));
    }

    #[test]
    fn a_lucky_pass_above_a_failure_is_not_the_knee() {
        let q = queue(200.0, 20.0, 2.0);
        let points = vec![q(100), q(300), q(150), q(400)];
        // 400 "passes" (noise) but lies above the failing 300.
        let mut lucky = points;
        lucky[3].p99_ms = 30.0;
        assert_eq!(knee(&lucky, &SLO), Some(150));
    }

    #[test]
    fn a_step_without_a_successful_response_round_trips_through_json() {
        let dead = Point {
            offered: 600,
            achieved: 0.0,
            p50_ms: f64::NAN,
            p99_ms: f64::NAN,
            requests: 240,
            errors: 240,
            dropped: 5760,
        };
        let json = serde_json::to_string(&dead).expect("json");
        assert!(json.contains("\"p50_ms\":null"), "{json}");
        let back: Point = serde_json::from_str(&json).expect("reads back");
        assert!(back.p50_ms.is_nan() && back.p99_ms.is_nan());
        assert_eq!((back.requests, back.errors, back.dropped), (240, 240, 5760));
    }

    #[test]
    fn a_knee_with_no_failing_step_is_only_a_lower_bound() {
        let q = queue(200.0, 20.0, 2.0);
        let of = |points: Vec<Point>| StackSweep {
            stack: "s".into(),
            knee: knee(&points, &SLO),
            points,
            failure: None,
        };
        let capped = of(vec![q(50), q(100), q(150)]);
        assert!(capped.knee_is_lower_bound(&SLO));
        assert_eq!(
            capped.knee_text(&SLO),
            "≥ 150 req/s offered (no step failed)"
        );
        let found = of(vec![q(100), q(300), q(150)]);
        assert!(!found.knee_is_lower_bound(&SLO));
        assert_eq!(found.knee_text(&SLO), "150 req/s offered");
        let none = of(vec![q(400)]);
        assert_eq!(none.knee_text(&SLO), "none (even the lowest rate failed)");
    }

    #[test]
    fn a_fixed_list_runs_every_rate_in_order() {
        let plan = Plan::Fixed(vec![50, 400, 100]);
        let points = sweep(&plan, queue(200.0, 20.0, 2.0));
        assert_eq!(
            points.iter().map(|p| p.offered).collect::<Vec<_>>(),
            [50, 400, 100]
        );
        assert_eq!(knee(&points, &SLO), Some(100));
    }

    #[test]
    fn the_ramp_stops_at_its_caps() {
        let plan = Plan::Ramp(Ramp {
            start: 100,
            growth: 2.0,
            resolution: 0.05,
            max_rate: 300,
            max_steps: 10,
        });
        let points = sweep(&plan, queue(1e6, 1.0, 2.0));
        assert_eq!(
            points.iter().map(|p| p.offered).collect::<Vec<_>>(),
            [100, 200, 300]
        );
        assert_eq!(knee(&points, &SLO), Some(300));
        let Plan::Ramp(r) = plan else { unreachable!() };
        assert!(r.planned_steps() >= 3);
        let capped = Plan::Ramp(Ramp { max_steps: 2, ..r });
        assert_eq!(sweep(&capped, queue(1e6, 1.0, 2.0)).len(), 2);
    }

    #[test]
    fn bad_ramp_settings_are_named() {
        let r = Ramp {
            start: 0,
            growth: 2.0,
            resolution: 0.05,
            max_rate: 10,
            max_steps: 5,
        };
        assert!(r.validate().unwrap_err().contains("--start"));
        let r = Ramp {
            start: 5,
            growth: 1.0,
            ..r
        };
        assert!(r.validate().unwrap_err().contains("growth"));
        let r = Ramp {
            growth: 2.0,
            resolution: 1.5,
            ..r
        };
        assert!(r.validate().unwrap_err().contains("--resolution"));
    }

    #[test]
    fn step_names_round_trip() {
        assert_eq!(step_name("hello", 200), "hello@200rps");
        assert_eq!(parse_step_name("get_one@75rps"), Some(("get_one", 75)));
        assert_eq!(parse_step_name("hello"), None);
        assert_eq!(parse_step_name("hello@fastrps"), None);
    }

    #[test]
    fn a_points_latency_counts_from_the_scheduled_start() {
        use crate::columns::{RequestRecord, SampleKey};
        let mut c = SampleColumns::default();
        let key = |scenario| SampleKey {
            stack: 0,
            repetition: 1,
            scenario,
        };
        c.stacks.push("s".into());
        c.scenarios = vec!["hello@10rps".into(), "hello@20rps".into()];
        for i in 0..10i64 {
            // Due at i·100 ms, started 50 ms late (a client-side queue), 10 ms of latency.
            let r = RequestRecord {
                iteration: i as u64,
                scheduled_ns: i * 100_000_000,
                start_ns: i * 100_000_000 + 50_000_000,
                end_ns: i * 100_000_000 + 60_000_000,
                latency_ns: 10_000_000,
                status: 200,
                ..RequestRecord::default()
            };
            c.push(key(0), &r);
        }
        c.push(
            key(1),
            &RequestRecord {
                status: 500,
                error: Some(crate::schema::ErrorKind::HttpStatus),
                ..RequestRecord::default()
            },
        );
        let counts = StepCounts {
            offered: 10,
            duration_ns: 1_000_000_000,
            dropped: 0,
        };
        let p = point_of(&c, 0, counts);
        assert_eq!(p.requests, 10);
        assert!((p.p99_ms - 60.0).abs() < 1e-9, "{p:?}");
        assert!((p.achieved - 10.0).abs() < 1e-9);
        let q = point_of(&c, 1, counts);
        assert_eq!((q.requests, q.errors), (1, 1));
        assert!(!q.passes(&SLO));
    }
}
