//! A precision run's stopping rule applied after each round (`analysis::precision`),
//! recorded in the manifest and reported as events; the lines that describe it.

use std::time::{Duration, Instant};

use analysis::precision;
use anyhow::Result;

use super::event::{Event, Observer};
use crate::rundir::RunDir;

/// True when every stack of round `round` has finished its repetition `round`.
pub(super) fn round_complete(dir: &RunDir, round: u32) -> bool {
    round
        .checked_sub(1)
        .and_then(|i| dir.manifest.rounds.get(i as usize))
        .is_some_and(|stacks| stacks.iter().all(|s| dir.completed(s, round)))
}

/// How long rounds take in this process, for the precision run's estimate.
#[derive(Default)]
pub(super) struct RoundPace {
    /// Repetitions run (not skipped) in this process, and the time since the first began.
    ran: u32,
    since: Option<Instant>,
}

impl RoundPace {
    pub(super) fn ran_one(&mut self) {
        self.ran += 1;
        self.since.get_or_insert_with(Instant::now);
    }

    /// Mean time of a repetition run in this process.
    fn per_repetition(&self) -> Option<Duration> {
        let since = self.since?;
        (self.ran > 1).then(|| since.elapsed() / (self.ran - 1))
    }
}

/// A precision run, after round `round`: apply the stopping rule, record it in the
/// manifest, show the widest cell and the estimate; true when the run stops here
/// (the manifest's `rounds` then ends at this round). No-op without a precision
/// target, or when this round was checked in an earlier attempt.
pub(super) fn precision_check(
    dir: &mut RunDir,
    round: u32,
    pace: &RoundPace,
    observer: &dyn Observer,
) -> Result<bool> {
    let Some(record) = &dir.manifest.precision else {
        return Ok(false);
    };
    if record.checks.iter().any(|c| c.round == round) {
        return Ok(record.stopped.as_ref().is_some_and(|s| s.rounds <= round));
    }
    let rule = record.settings;
    let check = precision::check(&rule, &dir.manifest, round);
    let per_round = pace
        .per_repetition()
        .map(|d| d * dir.manifest.rounds.first().map_or(1, |r| r.len()) as u32);
    let stop = check.stop;
    observer.event(&Event::RoundChecked {
        rule,
        check: check.clone(),
        per_round,
    });
    if let Some(record) = dir.manifest.precision.as_mut() {
        record.checks.push(check);
        if let Some(reason) = stop {
            record.stopped = Some(precision::Stopped {
                reason,
                rounds: round,
            });
        }
    }
    if let Some(reason) = stop {
        dir.manifest.rounds.truncate(round as usize);
        observer.event(&Event::PrecisionStopped { round, reason });
    }
    dir.save_manifest()?;
    Ok(stop.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::Collect;
    use analysis::precision::StopReason;
    use analysis::precision::{PrecisionRecord, PrecisionRule};
    use analysis::schema::SCHEMA_VERSION;

    /// A precision run's folder: stack `a`, rounds 1..=3 planned, `done` repetitions
    /// of `hello` at the given req/s (10 s each).
    fn run_dir(tmp: &std::path::Path, rates: &[f64]) -> RunDir {
        let reps: Vec<serde_json::Value> = rates
            .iter()
            .zip(1u32..)
            .map(|(&rate, n)| {
                serde_json::json!({
                    "stack": "a", "repetition": n, "status": "ok",
                    "cause": null, "started_at": "", "ended_at": "", "image_id": "",
                    "scenarios": [{"scenario": "hello", "started_at_unix_ns": 0,
                        "active_ns": 10_000_000_000i64, "requests": (rate * 10.0) as u64,
                        "errors": 0, "timed_out": false}],
                })
            })
            .collect();
        let rule = PrecisionRule {
            target: 0.05,
            confidence: 0.95,
            min_rounds: 2,
            max_rounds: 3,
        };
        let m = serde_json::json!({
            "schema_version": SCHEMA_VERSION, "run_id": "t", "loadgen": "native",
            "host": {"hostname": "h", "cpu_model": "c", "cores": 2, "memory_bytes": 1,
                "os": "o", "kernel": "k", "docker_version": "d"},
            "git_commit": null, "pywebbench_version": "0", "started_at": "",
            "ended_at": null, "campaign": {}, "packages": {}, "repetitions": reps,
            "rounds": [["a"], ["a"], ["a"]],
            "precision": PrecisionRecord::new(rule),
        });
        let manifest = analysis::parse_manifest(m.to_string().as_bytes()).expect("manifest");
        RunDir::create(&tmp.join("run"), manifest).expect("run folder")
    }

    fn kinds(events: &[Event]) -> Vec<&'static str> {
        events
            .iter()
            .map(|e| match e {
                Event::RoundChecked { .. } => "checked",
                Event::PrecisionStopped { .. } => "stopped",
                _ => "other",
            })
            .collect()
    }

    #[test]
    fn a_round_within_the_target_is_checked_then_stops_the_run() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut dir = run_dir(tmp.path(), &[1000.0, 1001.0]);
        let events = Collect::default();
        assert!(round_complete(&dir, 2));
        let stop = precision_check(&mut dir, 2, &RoundPace::default(), &events).expect("check");
        assert!(stop, "1000 and 1001 req/s are within ±5 %");
        let events = events.events();
        assert_eq!(kinds(&events), ["checked", "stopped"]);
        let Event::PrecisionStopped { round, reason } = &events[1] else {
            unreachable!()
        };
        assert_eq!((*round, *reason), (2, StopReason::TargetReached));
        let line = events[0].line().expect("a line");
        assert!(line.starts_with("precision after round 2/3: "), "{line}");
        // Recorded: the manifest's rounds end here, and a second check of the same
        // round (a resumed run) reports nothing new.
        let saved = crate::rundir::read_manifest(&dir.path).expect("saved");
        assert_eq!(saved.rounds.len(), 2);
        let again = Collect::default();
        assert!(precision_check(&mut dir, 2, &RoundPace::default(), &again).expect("again"));
        assert!(again.events().is_empty());
    }

    #[test]
    fn a_wide_round_goes_on_and_only_reports_its_check() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut dir = run_dir(tmp.path(), &[1000.0, 2000.0]);
        let events = Collect::default();
        let stop = precision_check(&mut dir, 2, &RoundPace::default(), &events).expect("check");
        assert!(!stop);
        let events = events.events();
        assert_eq!(kinds(&events), ["checked"]);
        assert!(events[0].status().is_some(), "a status for the bar");
        assert!(!round_complete(&dir, 3), "round 3 has not run");
    }
}
