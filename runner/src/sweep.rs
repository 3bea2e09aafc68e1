//! The capacity sweep on one target: offer a constant arrival rate step by step
//! (k6 `constant-arrival-rate`, the native generator), measure each step as an
//! [`analysis::capacity::Point`] and let [`analysis::capacity::next_rate`] choose the
//! next rate until the knee is bracketed. Each step's samples go into the run's
//! sample columns under the scenario name `<request>@<rate>rps`
//! ([`analysis::capacity::step_name`]), so a sweep's run folder has the ordinary
//! Parquet schema.
//!
//! [`ramp`] knows nothing of Docker: the engine's sweep (`crate::engine::sweep`) calls
//! it inside each stack's container, and `runner/tests/sweep_capacity.rs` calls it on a
//! test server whose capacity is known.

use std::sync::Arc;
use std::time::Duration;

use analysis::SampleColumns;
use analysis::capacity::{Next, Plan, Point, Slo, StepCounts, next_rate, point_of, step_name};
use analysis::schema::ScenarioSummary;
use tokio::sync::{mpsc, watch};

use crate::campaign::{Campaign, RequestKind, requests};
use crate::load::{self, Executor, LoadError, ScenarioPlan, Target};
use crate::record::{Live, spawn_collector};

/// What a sweep offers and how it judges a step.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSettings {
    /// The request every step sends (the campaign's definition of it).
    pub request: RequestKind,
    pub plan: Plan,
    pub slo: Slo,
    /// Each step's length.
    pub step: Duration,
    /// Idle time between steps (the server's queue drains).
    pub pause: Duration,
}

impl SweepSettings {
    /// The longest the sweep of one stack takes, without the container's start:
    /// every planned step, its pause, and the drain of an overloaded step (at most one
    /// more step length).
    pub fn estimate_per_stack(&self) -> Duration {
        let steps = self.plan.planned_steps() as u32;
        (self.step + self.pause) * steps + self.step
    }
}

/// VUs for a step at `rate` req/s: enough pre-allocated VUs to keep `rate × SLO`
/// requests in flight (Little's law: every step that can pass needs no more), and up
/// to four times that before iterations are dropped (by then p99 is far past the SLO).
/// As in k6, an iteration due when every VU is busy is dropped while one more VU is
/// started, so a step whose in-flight requests outgrow the pre-allocated VUs — its
/// mean latency is above the SLO by Little's law, so it fails anyway — also drops.
pub fn vus_for(rate: u32, slo: &Slo) -> (u32, u32) {
    let in_flight = (f64::from(rate) * slo.p99_ms / 1000.0).ceil() as u32;
    let pre = in_flight.max(2);
    (pre, pre.saturating_mul(4))
}

/// The generator's plan of one step.
pub fn step_plan(campaign: &Campaign, settings: &SweepSettings, rate: u32) -> ScenarioPlan {
    let (pre_allocated_vus, max_vus) = vus_for(rate, &settings.slo);
    ScenarioPlan {
        name: step_name(settings.request.as_str(), rate),
        executor: Executor::ConstantArrivalRate {
            rate,
            time_unit: Duration::from_secs(1),
            duration: settings.step,
            pre_allocated_vus,
            max_vus,
        },
        requests: requests::source(campaign, settings.request),
        request_timeout: campaign.request_timeout.0,
    }
}

/// Where a ramp's samples go and how it reports.
pub struct RampSink<'a> {
    /// The run's samples; the stack's name is at `stack` in its dictionary.
    pub samples: &'a mut SampleColumns,
    pub stack: u16,
    pub repetition: u32,
    /// Counters for a progress display.
    pub live: Arc<Live>,
    /// Told of each step before it starts (`rate`) and after it ends (`Some(point)`).
    pub on_step: &'a mut (dyn FnMut(u32, Option<&Point>) + Send),
}

/// What a ramp measured.
#[derive(Debug, Default)]
pub struct RampResult {
    pub points: Vec<Point>,
    /// One per step, for the manifest.
    pub scenarios: Vec<ScenarioSummary>,
    /// `stop` turned true before the ramp ended.
    pub interrupted: bool,
    /// Why the ramp ended before the plan did: the server stopped answering (a step
    /// had requests and not one successful response), so a later rate would measure
    /// a server that is down, not its capacity.
    pub dead: Option<String>,
}

/// Why a step ends the ramp: it made requests and got not one successful response.
pub fn dead_step(point: &Point) -> Option<String> {
    (point.requests > 0 && point.errors == point.requests).then(|| {
        format!(
            "the server stopped answering at {} req/s offered (none of its {} requests succeeded); the sweep of this stack ends there, since a later rate would measure a server that is down",
            point.offered, point.requests
        )
    })
}

/// Run the sweep on `target` until [`next_rate`] says it is done or `stop` turns true.
pub async fn ramp(
    target: &Target,
    campaign: &Campaign,
    settings: &SweepSettings,
    sink: RampSink<'_>,
    stop: watch::Receiver<bool>,
) -> Result<RampResult, LoadError> {
    let mut out = RampResult::default();
    while let Next::Try(rate) = next_rate(&settings.plan, &out.points, &settings.slo) {
        if *stop.borrow() {
            out.interrupted = true;
            break;
        }
        if !out.points.is_empty() && !settings.pause.is_zero() {
            let mut s = stop.clone();
            tokio::select! {
                () = tokio::time::sleep(settings.pause) => {}
                _ = s.wait_for(|&s| s) => { out.interrupted = true; break; }
            }
        }
        (sink.on_step)(rate, None);
        let plan = step_plan(campaign, settings, rate);
        let scenario = SampleColumns::intern(&mut sink.samples.scenarios, &plan.name);
        let (tx, rx) = mpsc::channel(256);
        sink.live.reset();
        let collector = spawn_collector(
            rx,
            std::mem::take(sink.samples),
            sink.stack,
            sink.repetition,
            scenario,
            Arc::clone(&sink.live),
        );
        let outcome = load::run_scenario(target, &plan, tx, stop.clone()).await;
        *sink.samples = collector.await.map_err(|_| LoadError::CollectorGone)?;
        let outcome = outcome?;
        let point = point_of(
            sink.samples,
            scenario,
            StepCounts {
                offered: rate,
                duration_ns: outcome.active_ns,
                dropped: outcome.dropped_iterations,
            },
        );
        (sink.on_step)(rate, Some(&point));
        out.scenarios.push(ScenarioSummary {
            scenario: plan.name.clone(),
            started_at_unix_ns: outcome.started_at_unix_ns,
            active_ns: outcome.active_ns,
            requests: outcome.requests,
            errors: outcome.errors,
            timed_out: outcome.timed_out,
            dropped_iterations: outcome.dropped_iterations,
            latency_mean_ms: analysis::precision::ok_latency_mean_ms(sink.samples, scenario),
        });
        if *stop.borrow() {
            // A step cut short is not a measurement of its rate.
            out.interrupted = true;
            break;
        }
        let dead = dead_step(&point);
        out.points.push(point);
        if dead.is_some() {
            out.dead = dead;
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::capacity::Ramp;

    #[test]
    fn a_step_with_no_successful_response_ends_the_ramp() {
        let p = |requests, errors| Point {
            offered: 600,
            achieved: 0.0,
            p50_ms: f64::NAN,
            p99_ms: f64::NAN,
            requests,
            errors,
            dropped: 0,
        };
        let why = dead_step(&p(240, 240)).expect("dead");
        assert!(why.contains("600 req/s") && why.contains("240"), "{why}");
        assert_eq!(dead_step(&p(240, 239)), None, "one success: alive");
        assert_eq!(dead_step(&p(0, 0)), None, "no request: not a verdict");
    }

    #[test]
    fn vus_cover_the_slos_in_flight_requests() {
        let slo = Slo {
            p99_ms: 100.0,
            max_bad_share: 0.01,
        };
        assert_eq!(vus_for(200, &slo), (20, 80));
        assert_eq!(vus_for(5, &slo), (2, 8));
    }

    #[test]
    fn the_estimate_counts_steps_pauses_and_a_drain() {
        let s = SweepSettings {
            request: RequestKind::Hello,
            plan: Plan::Fixed(vec![10, 20, 30]),
            slo: Slo {
                p99_ms: 100.0,
                max_bad_share: 0.01,
            },
            step: Duration::from_secs(10),
            pause: Duration::from_secs(2),
        };
        assert_eq!(s.estimate_per_stack(), Duration::from_secs(46));
        let r = SweepSettings {
            plan: Plan::Ramp(Ramp {
                start: 50,
                growth: 2.0,
                resolution: 0.05,
                max_rate: 800,
                max_steps: 20,
            }),
            ..s
        };
        // 50..800: 5 growth steps, then 5 bisections of a factor 2 down to 5 %.
        assert_eq!(r.plan.planned_steps(), 10);
    }
}
