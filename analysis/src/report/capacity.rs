//! The README's part on published capacity sweeps (`pywebbench sweep`): per sweep, the
//! settings in one line, each stack's knee with the step at it, and the figure.

use super::Block;
use crate::capacity::SweepSummary;
use crate::format::{self, MISSING};
use crate::paper::Metric;
use crate::registry::Registry;
use crate::table::{Align, Table};

/// One published sweep as the README shows it.
#[derive(Debug, Clone)]
pub struct SweepPart {
    pub sweep: SweepSummary,
    /// The sweep's folder (raw data), relative to the README.
    pub run: String,
    /// Its `report/capacity.png`, relative to the README.
    pub figure: String,
}

fn label(stack: &str) -> String {
    Registry::builtin().short_label_of(stack)
}

/// The sweeps' part of the README, under one heading.
pub(super) fn section(doc: &mut Vec<Block>, parts: &[SweepPart]) {
    if parts.is_empty() {
        return;
    }
    doc.push(Block::Heading(3, "Capacity curves".into()));
    doc.push(Block::Para(
        "Open model (`pywebbench sweep`): each stack, in one fresh container, offered a rising constant arrival rate; latency from each request's scheduled start. The knee is the highest offered rate whose p99 stays under the SLO (with failed plus dropped iterations under the stated share) below every rate that failed; \"≥\" marks a stack that passed every rate up to the ramp's limit, so its capacity lies above it. One sweep per request, one container per stack: a single repetition, so these are estimates with no interval.".into(),
    ));
    for part in parts {
        let sw = &part.sweep;
        doc.push(Block::Para(format!(
            "**{}** — run [`{}`]({}), {} s steps; SLO: p99 ≤ {} ms, failed + dropped ≤ {}.",
            sw.request,
            sw.run_id,
            part.run,
            format::count(sw.step_seconds.round() as u64),
            format::ms(sw.slo.p99_ms),
            format::share(Some(sw.slo.max_bad_share)),
        )));
        let (l, r) = (Align::Left, Align::Right);
        let mut t = Table::new([
            "Stack".to_string(),
            "Knee".into(),
            "Achieved at the knee, req/s".into(),
            "p50 / p99 at the knee, ms".into(),
            "First failing rate: p99 ms, failed + dropped".into(),
            "Steps".into(),
        ])
        .with_align(vec![l, r, r, r, r, r]);
        for s in &sw.stacks {
            let knee = s.knee_point();
            let fail = s.first_failure(&sw.slo).map_or_else(
                || MISSING.to_string(),
                |p| {
                    format!(
                        "{}: {}, {}",
                        format::count(u64::from(p.offered)),
                        format::ms(p.p99_ms),
                        format::share(Some(p.bad_share()))
                    )
                },
            );
            t.push(vec![
                label(&s.stack),
                s.knee_text(&sw.slo),
                format::opt_value(knee.map(|p| p.achieved), Metric::ReqPerS),
                knee.map_or_else(
                    || MISSING.to_string(),
                    |p| format!("{} / {}", format::ms(p.p50_ms), format::ms(p.p99_ms)),
                ),
                fail,
                format::count(s.points.len() as u64),
            ]);
        }
        doc.push(Block::Table(t));
        doc.push(Block::Image {
            alt: format!(
                "Capacity curves of {}: p50 and p99 latency against achieved throughput, and achieved against offered",
                sw.request
            ),
            src: part.figure.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::{Plan, Point, Slo, StackSweep};

    fn point(offered: u32, p99_ms: f64, dropped: u64) -> Point {
        Point {
            offered,
            achieved: f64::from(offered),
            p50_ms: 1.0,
            p99_ms,
            requests: u64::from(offered) * 10,
            errors: 0,
            dropped,
        }
    }

    #[test]
    fn each_stack_gets_its_knee_the_step_there_and_its_first_failure() {
        let slo = Slo {
            p99_ms: 100.0,
            max_bad_share: 0.01,
        };
        let sweep = SweepSummary {
            schema_version: 1,
            run_id: "r".into(),
            request: "hello".into(),
            slo,
            plan: Plan::Fixed(vec![]),
            step_seconds: 10.0,
            stacks: vec![
                StackSweep {
                    stack: "flask-sqlite3".into(),
                    points: vec![point(100, 5.0, 0), point(400, 900.0, 0), point(200, 8.0, 0)],
                    knee: Some(200),
                    failure: None,
                },
                StackSweep {
                    stack: "fastapi-sqlite3".into(),
                    points: vec![point(100, 5.0, 0), point(200, 6.0, 0)],
                    knee: Some(200),
                    failure: None,
                },
            ],
        };
        let mut doc = Vec::new();
        section(
            &mut doc,
            &[SweepPart {
                sweep,
                run: "data/published/r".into(),
                figure: "data/published/r/report/capacity.png".into(),
            }],
        );
        let md = crate::report::markdown::render(&doc);
        assert!(md.contains("| 200 req/s offered |"), "{md}");
        assert!(md.contains("≥ 200 req/s offered (no step failed)"), "{md}");
        assert!(md.contains("400: 900"), "first failing step: {md}");
        assert!(
            md.contains("](data/published/r/report/capacity.png)"),
            "{md}"
        );
    }
}
