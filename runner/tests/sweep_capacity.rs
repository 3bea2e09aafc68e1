//! The capacity sweep against a server whose capacity is known: real HTTP on
//! 127.0.0.1, the real generator, the real ramp (`runner::sweep::ramp`).
//!
//! The server (`load_support`, `Behaviour::Queue`) serves at most C = 4 requests at a
//! time, each for S = 20 ms; the others wait in line. Its capacity is μ = C/S = 200
//! req/s, or C/S_eff with S_eff the slot time as served (timer overshoot included, a
//! millisecond or so: the server measures it, and the bounds below use it).
//!
//! Where the knee must lie. The generator offers a constant arrival rate λ for T s.
//! * Below μ (arrivals evenly spaced, D/D/C): no request waits, latency ≈ S, far under
//!   the 100 ms SLO, so every λ < μ passes.
//! * Above μ the line grows by (λ − μ)·t, so a request due at t waits (λ − μ)·t/μ;
//!   p99 is the request due at ≈ 0.99·T: p99 ≈ S + (λ − μ)·0.99·T/μ. It passes the SLO
//!   from λ* = μ·(1 + (SLO − S)/(0.99·T)) on: with T = 2 s, λ* ≈ 1.04 μ.
//!
//! So every rate below μ passes and every rate above λ* fails; the bisection stops
//! with the last good and first bad rate within the resolution (5 %), so the knee lies
//! in [μ/1.05, λ*]. The test allows [0.85 μ, 1.02 λ*]: the lower margin for a noisy
//! shared 2-core host (a scheduling stall of tens of ms during a step near μ can fail
//! it), the upper one for the rounding of rates to whole req/s.
//!
//! It takes about 20 s: ~8 steps of 2 s, the drain of the overloaded ones, pauses.
//! Measured (debug build, shared 2-core host): slot time 21.5–21.7 ms (capacity
//! 184–186 req/s), knee 187 req/s, p50 23 ms at 100 req/s.

mod load_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use analysis::SampleColumns;
use analysis::capacity::{Plan, Ramp, Slo, knee, parse_step_name};
use load_support::{Behaviour, Server};
use runner::campaign::{Campaign, QUICK_FILE, RequestKind};
use runner::load::Target;
use runner::record::Live;
use runner::sweep::{RampSink, SweepSettings, ramp};

const S: Duration = Duration::from_millis(20);
const C: u32 = 4;
const T: Duration = Duration::from_secs(2);
const SLO_MS: f64 = 100.0;

#[test]
fn the_sweep_finds_the_knee_of_a_server_of_known_capacity() {
    let server = Server::start(Behaviour::Queue {
        service: S,
        slots: C,
    });
    let campaign = Campaign::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(QUICK_FILE),
    )
    .expect("the quick campaign");
    let settings = SweepSettings {
        request: RequestKind::Hello,
        plan: Plan::Ramp(Ramp {
            start: 50,
            growth: 2.0,
            resolution: 0.05,
            max_rate: 1600,
            max_steps: 16,
        }),
        slo: Slo {
            p99_ms: SLO_MS,
            max_bad_share: 0.01,
        },
        step: T,
        pause: Duration::from_millis(200),
    };
    let target = Target::new("127.0.0.1", server.addr.port());
    let mut samples = SampleColumns::default();
    let stack = SampleColumns::intern(&mut samples.stacks, "test-server");
    let mut steps = Vec::new();
    let mut on_step = |rate: u32, point: Option<&analysis::capacity::Point>| {
        if let Some(p) = point {
            eprintln!(
                "{rate:>5} req/s offered: {:.1} achieved, p50 {:.1} ms, p99 {:.1} ms, errors {}, dropped {}",
                p.achieved, p.p50_ms, p.p99_ms, p.errors, p.dropped
            );
            steps.push(rate);
        }
    };
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt
        .block_on(ramp(
            &target,
            &campaign,
            &settings,
            RampSink {
                samples: &mut samples,
                stack,
                repetition: 1,
                live: Arc::new(Live::default()),
                on_step: &mut on_step,
            },
            stop,
        ))
        .expect("the sweep runs");
    assert!(!result.interrupted);
    let points = &result.points;
    assert_eq!(steps.len(), points.len());

    let s_eff = server.stats.mean_service_s();
    let mu = f64::from(C) / s_eff;
    let lambda_star = mu * (1.0 + (SLO_MS / 1000.0 - s_eff) / (0.99 * T.as_secs_f64()));
    eprintln!(
        "served slot time {:.2} ms: capacity {mu:.1} req/s, p99 passes the SLO up to {lambda_star:.1}",
        s_eff * 1e3
    );
    assert!(
        (S.as_secs_f64()..S.as_secs_f64() * 1.25).contains(&s_eff),
        "the server's slot time {s_eff} s is far from S"
    );
    let k = f64::from(knee(points, &settings.slo).expect("a knee"));
    assert!(
        (0.85 * mu..=1.02 * lambda_star).contains(&k),
        "knee {k} req/s outside [{:.1}, {:.1}] (capacity {mu:.1}): {points:#?}",
        0.85 * mu,
        1.02 * lambda_star
    );

    // Below capacity the latency is the service time; saturated, the achieved rate is the capacity.
    let low = points
        .iter()
        .find(|p| p.offered == 100)
        .expect("the 100 req/s step");
    assert!(
        low.p50_ms >= S.as_secs_f64() * 1e3 && low.p50_ms < S.as_secs_f64() * 1e3 + 10.0,
        "p50 at half capacity {:.2} ms, expected ≈ {} ms",
        low.p50_ms,
        S.as_millis()
    );
    // The highest rate offered is past capacity and fails; there the server answers at
    // its capacity (the backlog is answered after the step, and counted with its time).
    let high = points.iter().max_by_key(|p| p.offered).expect("steps");
    assert!(
        f64::from(high.offered) > mu,
        "the ramp never passed capacity: {points:?}"
    );
    assert!(
        !high.passes(&settings.slo),
        "above capacity passed: {high:?}"
    );
    assert!(
        (0.85 * mu..1.1 * mu).contains(&high.achieved),
        "achieved {:.1} at {} req/s offered, expected ≈ {mu:.1}",
        high.achieved,
        high.offered
    );

    // Every step's samples are in the columns under its own scenario name.
    for p in points {
        let name = format!("hello@{}rps", p.offered);
        let idx = samples
            .scenarios
            .iter()
            .position(|s| *s == name)
            .expect("named") as u16;
        assert_eq!(parse_step_name(&name), Some(("hello", p.offered)));
        let rows = samples.scenario.iter().filter(|&&s| s == idx).count() as u64;
        assert_eq!(rows, p.requests, "{name}");
    }
    assert_eq!(
        server.stats.requests.load(Relaxed),
        points.iter().map(|p| p.requests).sum::<u64>(),
        "every request the generator made reached the server"
    );
    assert!(points.iter().all(|p| p.errors == 0), "{points:?}");
}
