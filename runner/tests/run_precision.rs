//! `pywebbench run --precision`: rounds are added until every headline cell's interval
//! is narrow enough or `--max-rounds` is reached; the manifest records the rule, its
//! check after every round and why the run stopped. Real containers, real load.

mod common;

use analysis::precision::StopReason;
use common::*;

fn precision_run(name: &str, args: &[&str]) -> (std::path::PathBuf, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join(name);
    let out = pywebbench()
        .args(["run", "--quick", "--stacks", "flask-sqlite3"])
        .args(args)
        .arg("--out")
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert_no_container_of(name);
    (run, text, dir)
}

/// The run's summary.json, as `pywebbench analyze` writes it.
fn analysis_summary(run: &std::path::Path) -> serde_json::Value {
    let out_dir = run.with_extension("report");
    let out = pywebbench()
        .arg("analyze")
        .arg(run)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("analyze runs");
    assert!(out.status.success(), "{}", output_text(&out));
    let bytes = std::fs::read(out_dir.join("summary.json")).expect("summary.json");
    serde_json::from_slice(&bytes).expect("summary.json is JSON")
}

#[test]
fn an_unreachable_target_runs_to_max_rounds_and_says_so() {
    let (run, log, _dir) = precision_run(
        "precision-max",
        &["--reps", "2", "--precision", "0.01%", "--max-rounds", "3"],
    );
    let (m, _) = check_complete_run(&run, &["flask-sqlite3"], 3);
    assert_eq!(m.repetitions.len(), 3, "rounds 1-3 of the one stack");
    assert_eq!(m.rounds.len(), 3);
    let p = m.precision.as_ref().expect("manifest.precision");
    assert!((p.settings.target - 0.0001).abs() < 1e-12);
    assert_eq!(
        (p.settings.min_rounds, p.settings.max_rounds),
        (2, 3),
        "the campaign's repetitions are the minimum"
    );
    assert!(p.rule.contains("Chow & Robbins"), "{}", p.rule);
    let rounds: Vec<u32> = p.checks.iter().map(|c| c.round).collect();
    assert_eq!(rounds, [1, 2, 3], "one check per round");
    assert!(p.checks[..2].iter().all(|c| c.stop.is_none()));
    let last = &p.checks[2];
    assert_eq!(last.stop, Some(StopReason::MaxRounds));
    assert_eq!(last.cells_over_target, 7, "no cell is within ±0.01 %");
    let widest = last.widest.as_ref().expect("a widest cell");
    assert!(widest.n == 3 && widest.relative > 0.0001, "{widest:?}");
    assert!(last.rounds_needed.is_some_and(|n| n > 3));
    let stopped = p.stopped.as_ref().expect("stopped");
    assert_eq!((stopped.reason, stopped.rounds), (StopReason::MaxRounds, 3));
    assert!(
        log.contains("precision after round 2/3: widest cell flask-sqlite3"),
        "{log}"
    );
    assert!(log.contains("stopping after round 3"), "{log}");
    assert!(
        log.contains("precision: stopped after 3 round(s), max rounds reached with some cell still wider than the target; widest cell flask-sqlite3"),
        "the end-of-run summary says how it ended\n{log}"
    );

    // The latency headline the rule used is the analysis's own per-repetition mean.
    let summary = analysis_summary(&run);
    for rep in &m.repetitions {
        for s in rep.scenarios.iter().filter(|s| {
            !analysis::is_warmup(&s.scenario) && !matches!(s.scenario.as_str(), "hello" | "echo")
        }) {
            let recorded = s.latency_mean_ms.expect("latency_mean_ms recorded");
            let analysed = summary["cells"]
                .as_array()
                .expect("cells")
                .iter()
                .find(|c| c["stack"] == "flask-sqlite3" && c["scenario"] == s.scenario.as_str())
                .and_then(|c| {
                    c["detail"]["repetitions"]
                        .as_array()?
                        .iter()
                        .find(|r| r["repetition"] == rep.repetition)
                })
                .and_then(|r| r["latency"]["mean_ms"].as_f64())
                .unwrap_or_else(|| {
                    panic!("no analysed mean for {} r{}", s.scenario, rep.repetition)
                });
            assert!(
                (recorded - analysed).abs() <= 1e-9 * analysed.max(1.0),
                "{} r{}: manifest {recorded} vs analysis {analysed}",
                s.scenario,
                rep.repetition
            );
        }
    }
}

#[test]
fn a_reachable_target_stops_early_or_at_max_consistently() {
    // ±99 % at 3 rounds holds unless a cell's CV across containers exceeds ~40 %;
    // either way the run must do what its last check says.
    let (run, log, _dir) = precision_run(
        "precision-early",
        &["--reps", "3", "--precision", "99%", "--max-rounds", "4"],
    );
    let m = manifest(&run);
    let p = m.precision.as_ref().expect("manifest.precision");
    let stopped = p.stopped.as_ref().expect("stopped");
    let last = p.checks.last().expect("checks");
    assert_eq!(
        last.round, stopped.rounds,
        "the last check is the stopping one"
    );
    assert_eq!(last.stop, Some(stopped.reason));
    // Every earlier check from the minimum (3) on found a cell over the target.
    for c in &p.checks[..p.checks.len() - 1] {
        assert_eq!(c.stop, None, "{c:?}");
        assert!(c.round < 3 || c.cells_over_target > 0, "{c:?}");
    }
    match stopped.reason {
        StopReason::TargetReached => assert_eq!(last.cells_over_target, 0, "{last:?}"),
        StopReason::MaxRounds => {
            assert!(last.cells_over_target > 0, "{last:?}");
            assert_eq!(stopped.rounds, 4);
        }
    }
    assert!((3..=4).contains(&stopped.rounds), "{stopped:?}");
    assert_eq!(
        m.rounds.len() as u32,
        stopped.rounds,
        "the plan is cut at the stopping round"
    );
    check_complete_run(&run, &["flask-sqlite3"], stopped.rounds);
    assert!(
        !m.repetitions.iter().any(|r| r.repetition > stopped.rounds),
        "a round after the stop"
    );
    assert!(log.contains("precision: stopping after round"), "{log}");
}

#[cfg(unix)]
#[test]
fn resume_continues_a_precision_run_with_its_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("precision-resume");
    let mut first = Watched::spawn(
        &[
            "run",
            "--quick",
            "--stacks",
            "flask-sqlite3",
            "--reps",
            "1",
            "--precision",
            "0.01%",
            "--max-rounds",
            "3",
        ],
        &run,
    );
    first.wait_for(
        "precision after round 1/3",
        std::time::Duration::from_secs(120),
    );
    first.wait_for(
        "flask-sqlite3 r2/3 echo (",
        std::time::Duration::from_secs(120),
    );
    let kill = std::process::Command::new("kill")
        .args(["-INT", &first.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let (status, _, log) = first.finish();
    assert_eq!(status.code(), Some(130), "{log}");
    let m = manifest(&run);
    let p = m
        .precision
        .as_ref()
        .expect("precision recorded from the start");
    assert_eq!(p.checks.len(), 1, "{:?}", p.checks);
    assert!(p.stopped.is_none());

    let out = pywebbench()
        .args(["run", "--resume"])
        .arg(&run)
        .output()
        .expect("resume runs");
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("flask-sqlite3 r1: done in an earlier attempt, skipped"),
        "{text}"
    );
    let (m, _) = check_complete_run(&run, &["flask-sqlite3"], 3);
    let p = m.precision.as_ref().expect("precision");
    let rounds: Vec<u32> = p.checks.iter().map(|c| c.round).collect();
    assert_eq!(rounds, [1, 2, 3], "round 1's check is not repeated");
    assert!(
        (p.settings.target - 0.0001).abs() < 1e-12,
        "the rule it started with"
    );
    let stopped = p.stopped.as_ref().expect("stopped");
    assert_eq!((stopped.reason, stopped.rounds), (StopReason::MaxRounds, 3));
    assert_no_container_of("precision-resume");
}

#[test]
fn bad_precision_options_are_one_line_errors() {
    for (args, needle) in [
        (&["--precision", "3"][..], "is not a percentage"),
        (&["--precision", "150%"][..], "between 0% and 100%"),
        (
            &["--max-rounds", "4"][..],
            "--max-rounds needs a precision target",
        ),
        (
            &["--reps", "5", "--precision", "3%", "--max-rounds", "4"][..],
            "below the campaign's 5 repetitions",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = pywebbench()
            .args(["run", "--quick", "--stacks", "flask-sqlite3"])
            .args(args)
            .arg("--out")
            .arg(dir.path().join("bad"))
            .output()
            .expect("pywebbench runs");
        let text = output_text(&out);
        assert!(!out.status.success(), "{args:?}: {text}");
        assert!(text.contains(needle), "{args:?}: {text}");
        assert!(
            !dir.path().join("bad").exists(),
            "{args:?} left a run folder"
        );
    }
}
