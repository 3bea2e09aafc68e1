//! Precision on demand: the stopping rule of `pywebbench run --precision`.
//!
//! A run with a precision target keeps adding rounds (one repetition of every stack,
//! interleaved) until every headline cell's confidence interval is narrow enough:
//! its half-width `t(1−α/2, n−1)·s/√n` at most `target × |mean|`, with `n` the cell's
//! included repetitions. This is the sequential fixed-*relative*-width interval of
//! Chow & Robbins (1965) in Nádas's (1969) relative-precision form, as simulation
//! practice uses it (Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1, "a
//! sequential procedure" for relative precision): check after each round, stop at the
//! first round where every cell meets the target, never before `min_rounds`, never
//! after `max_rounds`.
//!
//! The rule sees only each cell's own mean and spread, one cell at a time: never a
//! difference between stacks, which stack leads, or a claim's verdict. So when a run
//! stops cannot depend on what the claims would say (see `analysis/README.md`,
//! "Precision on demand").
//!
//! Pure functions over the manifest: the headline value of a repetition is in its
//! [`ScenarioSummary`] (req/s = requests ÷ active time; mean latency of the
//! successful requests, [`ok_latency_mean_ms`]), so the rule needs no sample file.

use crate::columns::SampleColumns;
use crate::paper::Metric;
use crate::schema::{Manifest, ScenarioSummary};
use crate::stats;

// The records of a precision run (its rule, every round's check, why it stopped) are
// part of manifest.json, so `schema` owns their types; the rule's logic lives here.
pub use crate::schema::{CellWidth, Check, PrecisionRecord, PrecisionRule, StopReason, Stopped};

impl PrecisionRecord {
    pub fn new(settings: PrecisionRule) -> PrecisionRecord {
        PrecisionRecord {
            rule: rule_text(&settings),
            settings,
            checks: Vec::new(),
            stopped: None,
        }
    }
}

/// The rule in one line.
pub fn rule_text(r: &PrecisionRule) -> String {
    format!(
        "after each round from round {} on, stop when every headline cell's {} t interval over its ok repetitions has a half-width ≤ {} of its mean; at most {} rounds (sequential fixed-relative-width interval: Chow & Robbins 1965, Nádas 1969; Law, Simulation Modeling and Analysis, §9.4.1)",
        r.min_rounds.max(2),
        crate::format::setting_percent(r.confidence),
        percent(r.target),
        r.max_rounds
    )
}

/// A share as a percentage for messages: 0.03 → "3 %", 0.025 → "2.5 %"; see
/// [`crate::format::setting_percent`].
pub use crate::format::setting_percent as percent;

/// The headline value of one repetition of a scenario: req/s for throughput
/// scenarios, the mean latency (ms) of the successful requests for the others
/// ([`Metric::of_scenario`]). `None` when it is not known (no request completed,
/// or a manifest written before `latency_mean_ms` was recorded).
pub fn headline_value(s: &ScenarioSummary) -> Option<f64> {
    match Metric::of_scenario(&s.scenario) {
        Metric::ReqPerS => {
            (s.active_ns > 0).then(|| s.requests as f64 / (s.active_ns as f64 / 1e9))
        }
        Metric::MeanLatencyMs => s.latency_mean_ms,
    }
}

/// Mean latency (ms) of the successful requests of one scenario (its dictionary
/// index in `samples`), as the analysis's `mean_ms` of a repetition; `None` when
/// none succeeded.
pub fn ok_latency_mean_ms(samples: &SampleColumns, scenario: u16) -> Option<f64> {
    let (sum, n) = samples
        .scenario
        .iter()
        .zip(&samples.error)
        .zip(&samples.latency_ns)
        .filter(|((s, e), _)| **s == scenario && e.is_none())
        .fold((0.0f64, 0u64), |(sum, n), (_, l)| {
            (sum + *l as f64 / 1e6, n + 1)
        });
    (n > 0).then(|| sum / n as f64)
}

/// Every headline cell's interval from the manifest's ok repetitions (warm-ups
/// excluded), in campaign stack order then scenario order.
pub fn cell_widths(manifest: &Manifest, confidence: f64) -> Vec<CellWidth> {
    let mut cells: Vec<(String, String, Vec<f64>)> = Vec::new();
    for rep in manifest.repetitions.iter().filter(|r| r.in_statistics()) {
        for s in rep
            .scenarios
            .iter()
            .filter(|s| !crate::is_warmup(&s.scenario))
        {
            let Some(v) = headline_value(s) else { continue };
            match cells
                .iter_mut()
                .find(|(st, sc, _)| *st == rep.stack && *sc == s.scenario)
            {
                Some((_, _, vs)) => vs.push(v),
                None => cells.push((rep.stack.clone(), s.scenario.clone(), vec![v])),
            }
        }
    }
    cells
        .into_iter()
        .map(|(stack, scenario, values)| {
            let mean = stats::mean(&values);
            let relative = match stats::t_interval(&values, confidence) {
                Some(ci) if mean != 0.0 => ci.half_width() / mean.abs(),
                _ => f64::INFINITY,
            };
            CellWidth {
                stack,
                scenario,
                n: values.len() as u32,
                mean,
                sd: (values.len() >= 2).then(|| stats::sd(&values)),
                relative,
            }
        })
        .collect()
}

/// The smallest number of repetitions `n ≥ 2` whose interval
/// `t(1−α/2, n−1)·sd/√n` is at most `target·|mean|`, at the spread observed;
/// `None` without a spread. Capped at 10,000.
pub fn rounds_needed(cell: &CellWidth, target: f64, confidence: f64) -> Option<u32> {
    let sd = cell.sd?;
    let allowed = target * cell.mean.abs();
    if allowed.is_nan() || allowed <= 0.0 {
        return None;
    }
    (2u32..=10_000)
        .find(|&n| {
            stats::t_quantile((n - 1) as f64, 0.5 + confidence / 2.0) * sd / (n as f64).sqrt()
                <= allowed
        })
        .or(Some(10_000))
}

/// Apply the rule after `rounds_done` complete rounds.
pub fn check(rule: &PrecisionRule, manifest: &Manifest, rounds_done: u32) -> Check {
    let widths = cell_widths(manifest, rule.confidence);
    let over = widths
        .iter()
        .filter(|c| c.relative.is_nan() || c.relative > rule.target)
        .count() as u32;
    let widest = widths
        .into_iter()
        .max_by(|a, b| a.relative.total_cmp(&b.relative));
    let rounds_needed = widest
        .as_ref()
        .and_then(|c| rounds_needed(c, rule.target, rule.confidence));
    let stop = if rounds_done >= rule.max_rounds {
        Some(if over == 0 && widest.is_some() {
            StopReason::TargetReached
        } else {
            StopReason::MaxRounds
        })
    } else if rounds_done >= rule.min_rounds.max(2) && over == 0 && widest.is_some() {
        Some(StopReason::TargetReached)
    } else {
        None
    };
    Check {
        round: rounds_done,
        widest,
        cells_over_target: over,
        rounds_needed,
        stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::RepetitionStatus;
    use crate::schema::RepetitionSummary;

    fn scenario(
        name: &str,
        requests: u64,
        active_s: f64,
        latency_ms: Option<f64>,
    ) -> ScenarioSummary {
        serde_json::from_value(serde_json::json!({
            "scenario": name, "started_at_unix_ns": 0, "active_ns": (active_s * 1e9) as i64,
            "requests": requests, "errors": 0, "timed_out": false,
            "latency_mean_ms": latency_ms,
        }))
        .unwrap()
    }

    fn rep(stack: &str, r: u32, hello_rps: f64, get_one_ms: f64) -> RepetitionSummary {
        RepetitionSummary {
            stack: stack.into(),
            repetition: r,
            status: RepetitionStatus::Ok,
            cause: None,
            started_at: String::new(),
            ended_at: String::new(),
            scenarios: vec![
                scenario("warmup_hello", 10, 1.0, Some(1.0)),
                scenario("hello", (hello_rps * 10.0) as u64, 10.0, Some(2.0)),
                scenario("get_one", 1000, 3.0, Some(get_one_ms)),
            ],
            image_id: String::new(),
            profiled: false,
        }
    }

    fn manifest(reps: Vec<RepetitionSummary>) -> Manifest {
        let mut m: Manifest = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "run_id": "t", "loadgen": "native",
            "host": {"hostname": "h", "cpu_model": "c", "cores": 2, "memory_bytes": 1,
                     "os": "linux", "kernel": "k", "docker_version": "d"},
            "git_commit": null, "pywebbench_version": "0", "started_at": "", "ended_at": null,
            "campaign": {}, "packages": {}, "repetitions": []
        }))
        .unwrap();
        m.repetitions = reps;
        m
    }

    const RULE: PrecisionRule = PrecisionRule {
        target: 0.03,
        confidence: 0.95,
        min_rounds: 3,
        max_rounds: 10,
    };

    #[test]
    fn widths_by_hand() {
        // hello req/s 1000, 1100, 900: mean 1000, sd 100, t(0.975, 2) = 4.302653;
        // half-width 4.302653·100/√3 = 248.414 → 24.84 %.
        let m = manifest(vec![
            rep("a", 1, 1000.0, 5.0),
            rep("a", 2, 1100.0, 5.0),
            rep("a", 3, 900.0, 5.0),
        ]);
        let w = cell_widths(&m, 0.95);
        assert_eq!(w.len(), 2, "warm-ups are no headline cells");
        let hello = w.iter().find(|c| c.scenario == "hello").unwrap();
        assert_eq!(hello.n, 3);
        assert!((hello.mean - 1000.0).abs() < 1e-9);
        assert!(
            (hello.relative - 0.248414).abs() < 1e-5,
            "{}",
            hello.relative
        );
        let get_one = w.iter().find(|c| c.scenario == "get_one").unwrap();
        assert_eq!(get_one.relative, 0.0, "equal values: a zero-width interval");
        // sd 100 on mean 1000 at 3 %: the smallest n with t(0.975, n−1)·100/√n ≤ 30 is
        // 46 (t(0.975, 45) = 2.0141: 29.70; n = 45, t(0.975, 44) = 2.0154: 30.04).
        let n = rounds_needed(hello, 0.03, 0.95).unwrap();
        let hw = |n: u32| stats::t_quantile((n - 1) as f64, 0.975) * 100.0 / (n as f64).sqrt();
        assert!(hw(n) <= 30.0 && hw(n - 1) > 30.0, "n = {n}");
        assert_eq!(n, 46);
    }

    #[test]
    fn the_rule_waits_for_min_rounds_then_stops_on_target_or_max() {
        let tight: Vec<_> = (1..=3)
            .flat_map(|r| {
                [
                    rep("a", r, 1000.0 + r as f64, 5.0),
                    rep("b", r, 2000.0 - r as f64, 7.0),
                ]
            })
            .collect();
        let m = manifest(tight[..4].to_vec());
        assert_eq!(check(&RULE, &m, 2).stop, None, "before min_rounds");
        let m = manifest(tight.clone());
        let c = check(&RULE, &m, 3);
        assert_eq!(c.stop, Some(StopReason::TargetReached));
        assert_eq!(c.cells_over_target, 0);

        let mut wide = tight;
        wide.push(rep("a", 4, 3000.0, 5.0));
        let m = manifest(wide);
        let c = check(&RULE, &m, 4);
        assert_eq!(c.stop, None);
        let widest = c.widest.unwrap();
        assert_eq!(
            (widest.stack.as_str(), widest.scenario.as_str()),
            ("a", "hello")
        );
        assert!(c.rounds_needed.unwrap() > 4);
        assert_eq!(check(&RULE, &m, 10).stop, Some(StopReason::MaxRounds));
    }

    #[test]
    fn failed_repetitions_and_unknown_latencies_are_left_out() {
        let mut failed = rep("a", 2, 10.0, 500.0);
        failed.status = RepetitionStatus::Failed;
        let mut old = rep("a", 3, 1000.0, 5.0);
        old.scenarios[2].latency_mean_ms = None;
        let m = manifest(vec![rep("a", 1, 1000.0, 5.0), failed, old]);
        let w = cell_widths(&m, 0.95);
        let hello = w.iter().find(|c| c.scenario == "hello").unwrap();
        assert_eq!(hello.n, 2);
        let get_one = w.iter().find(|c| c.scenario == "get_one").unwrap();
        assert_eq!(get_one.n, 1);
        assert!(get_one.relative.is_infinite());
    }

    #[test]
    fn a_record_with_a_cell_without_interval_survives_json() {
        let m = manifest(vec![rep("a", 1, 1000.0, 5.0)]);
        let mut record = PrecisionRecord::new(RULE);
        record.checks.push(check(&RULE, &m, 1));
        assert!(
            record.checks[0]
                .widest
                .as_ref()
                .unwrap()
                .relative
                .is_infinite()
        );
        let mut m = m;
        m.precision = Some(record);
        let back: Manifest = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back.precision, m.precision);
        assert!(back.precision.unwrap().rule.contains("≤ 3 % of its mean"));
    }

    #[test]
    fn ok_latency_mean_skips_errors_and_other_scenarios() {
        use crate::schema::ErrorKind;
        let mut s = SampleColumns {
            scenarios: vec!["hello".into(), "get_one".into()],
            ..Default::default()
        };
        for (sc, lat, err) in [
            (1u16, 2_000_000i64, None),
            (1, 4_000_000, None),
            (1, 60_000_000_000, Some(ErrorKind::Timeout)),
            (0, 9_000_000, None),
        ] {
            s.scenario.push(sc);
            s.latency_ns.push(lat);
            s.error.push(err);
        }
        assert_eq!(ok_latency_mean_ms(&s, 1), Some(3.0));
        assert_eq!(ok_latency_mean_ms(&s, 0), Some(9.0));
        s.error[3] = Some(ErrorKind::Connect);
        assert_eq!(ok_latency_mean_ms(&s, 0), None);
    }
}
