//! The viewer's table of a capacity sweep (`sweep.json`, [`crate::capacity`]): each
//! stack's knee, then every step with what was offered and what came back, the same
//! numbers the capacity figure draws.

use super::{Section, ViewTable, num, text, words};
use crate::capacity::{Point, SweepSummary};
use crate::format;
use crate::paper::Metric;
use crate::registry::Registry;

fn label(stack: &str) -> String {
    Registry::builtin()
        .get(stack)
        .map_or_else(|| stack.to_string(), |s| s.info.label.clone())
}

/// The steps of a stack in offered order.
fn steps(points: &[Point]) -> Vec<&Point> {
    let mut pts: Vec<&Point> = points.iter().collect();
    pts.sort_by_key(|p| p.offered);
    pts
}

/// The sweep's knees and steps as a section (id `capacity`).
pub fn capacity(sweep: &SweepSummary) -> Section {
    let rate = |v: f64| format::value(v, Metric::ReqPerS);
    let knees = sweep
        .stacks
        .iter()
        .map(|s| {
            let at_knee = s.knee_point();
            let key = |what: &str| format!("capacity-{what}:{}", s.stack);
            vec![
                words(label(&s.stack)),
                num(
                    s.knee
                        .map_or_else(|| format::MISSING.into(), |k| rate(f64::from(k))),
                    key("knee"),
                    s.knee.map(f64::from),
                ),
                num(
                    at_knee.map_or_else(|| format::MISSING.into(), |p| rate(p.achieved)),
                    key("knee-achieved"),
                    at_knee.map(|p| p.achieved),
                ),
                num(
                    at_knee.map_or_else(|| format::MISSING.into(), |p| format::ms(p.p99_ms)),
                    key("knee-p99"),
                    at_knee.map(|p| p.p99_ms),
                ),
                text(format::count(s.points.len() as u64)),
                words(s.failure.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let steps = sweep
        .stacks
        .iter()
        .flat_map(|s| {
            steps(&s.points).into_iter().map(move |p| {
                let key = |what: &str| format!("capacity-{what}:{}@{}", s.stack, p.offered);
                let knee = if s.knee == Some(p.offered) {
                    " (knee)"
                } else {
                    ""
                };
                vec![
                    words(label(&s.stack)),
                    num(
                        format!("{}{knee}", rate(f64::from(p.offered))),
                        key("offered"),
                        Some(f64::from(p.offered)),
                    ),
                    num(rate(p.achieved), key("achieved"), Some(p.achieved)),
                    num(format::ms(p.p50_ms), key("p50"), Some(p.p50_ms)),
                    num(format::ms(p.p99_ms), key("p99"), Some(p.p99_ms)),
                    text(format::count(p.requests)),
                    text(format::count(p.errors)),
                    text(format::count(p.dropped)),
                    text(if p.passes(&sweep.slo) {
                        "✓ yes"
                    } else {
                        "✗ no"
                    }),
                ]
            })
        })
        .collect();
    Section {
        id: "capacity".into(),
        title: format!("Capacity: {} at a constant arrival rate", sweep.request),
        note: Some(format!(
            "Run {}. Each step offers a constant arrival rate for {} s; latency is measured from each request's scheduled start (no coordinated omission). A step meets the SLO when its p99 ≤ {} ms and errors + dropped iterations ≤ {} of the iterations due; the knee is the highest offered rate that meets it below every rate that did not.",
            sweep.run_id,
            format::figure_label(sweep.step_seconds, Metric::ReqPerS),
            format::ms(sweep.slo.p99_ms),
            format::error_rate(sweep.slo.max_bad_share),
        )),
        tables: vec![
            ViewTable::new(
                "Knee per stack",
                [
                    "Stack",
                    "Knee (offered req/s)",
                    "Achieved at the knee (responses/s)",
                    "p99 at the knee (ms)",
                    "Steps",
                    "Stopped early because",
                ],
                knees,
            )
            .with_id("capacity-knees".into(), None),
            ViewTable::new(
                "Every step",
                [
                    "Stack",
                    "Offered (req/s)",
                    "Achieved (responses/s)",
                    "p50 (ms)",
                    "p99 (ms)",
                    "Requests",
                    "Errors",
                    "Dropped",
                    "Meets the SLO",
                ],
                steps,
            )
            .with_id("capacity-steps".into(), None),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::{Plan, Slo, StackSweep};

    fn point(offered: u32, achieved: f64, p99_ms: f64) -> Point {
        Point {
            offered,
            achieved,
            p50_ms: p99_ms / 4.0,
            p99_ms,
            requests: u64::from(offered) * 10,
            errors: 0,
            dropped: 0,
        }
    }

    #[test]
    fn knees_and_steps_in_offered_order_with_the_knee_marked() {
        let sweep = SweepSummary {
            schema_version: crate::capacity::SWEEP_SCHEMA_VERSION,
            run_id: "r".into(),
            request: "hello".into(),
            slo: Slo {
                p99_ms: 100.0,
                max_bad_share: 0.01,
            },
            plan: Plan::Fixed(vec![100, 400, 200]),
            step_seconds: 10.0,
            stacks: vec![
                StackSweep {
                    stack: "flask-sqlite3".into(),
                    // In the order they ran: 100, 400 (fails), 200 (passes).
                    points: vec![
                        point(100, 99.6, 4.0),
                        point(400, 250.2, 900.0),
                        point(200, 199.1, 20.0),
                    ],
                    knee: Some(200),
                    failure: None,
                },
                StackSweep {
                    stack: "not-registered".into(),
                    points: vec![point(100, 20.0, 5000.0)],
                    knee: None,
                    failure: Some("container exited".into()),
                },
            ],
        };
        let s = capacity(&sweep);
        let knees = &s.tables[0].table.rows;
        assert_eq!(knees[0][1], "200");
        assert_eq!(knees[0][2], "199");
        assert_eq!(knees[0][3], "20.00");
        assert_eq!(knees[1][0], "not-registered");
        assert_eq!(knees[1][1], format::MISSING);
        assert_eq!(knees[1][5], "container exited");
        let steps = &s.tables[1].table.rows;
        let offered: Vec<&str> = steps.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(offered, ["100", "200 (knee)", "400", "100"]);
        assert_eq!(steps[2][8], "✗ no");
        assert_eq!(steps[1][8], "✓ yes");
        assert_eq!(
            s.tables[1].marks[1][2].key.as_deref(),
            Some("capacity-achieved:flask-sqlite3@200")
        );
    }
}
