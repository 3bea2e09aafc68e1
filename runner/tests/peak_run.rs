//! `pywebbench peak --quick` against a real stack: two grid points of flask-sqlite3
//! (Gunicorn gthread, 2 workers × 2 threads; sync, 3 workers), each a fresh container
//! of the unchanged image. While the run goes, `docker top` of each of its containers
//! shows the server really ran with the configuration asked (its Gunicorn master plus
//! as many workers, started with that worker class); afterwards the samples are under
//! `<stack>@<label>` in the ordinary Parquet schema (pyarrow and DuckDB read them back),
//! `peak.json` holds both points and a best one, the tuned figures name the configs,
//! and no container is left. Needs Docker, the stack images (`just images`) and pytest
//! (`just setup`) for the contract gate.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use analysis::peak::PeakSummary;
use analysis::schema::RepetitionStatus;
use common::*;

/// While `stop` is false: the Gunicorn processes' command lines seen in each container
/// of the run (the most seen at once), by container name.
fn watch_processes(
    run_id: &str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<BTreeMap<String, Vec<String>>> {
    let label = format!("label=pywebbench.run={run_id}");
    std::thread::spawn(move || {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        while !stop.load(Ordering::Relaxed) {
            let ps = docker(&["ps", "--filter", &label, "--format", "{{.Names}}"]);
            for name in String::from_utf8_lossy(&ps.stdout).lines() {
                let top = docker(&["top", name, "-eo", "pid,args"]);
                let procs: Vec<String> = String::from_utf8_lossy(&top.stdout)
                    .lines()
                    .skip(1)
                    .filter(|l| l.contains("gunicorn"))
                    .map(String::from)
                    .collect();
                let e = seen.entry(name.to_string()).or_default();
                if procs.len() > e.len() {
                    *e = procs;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        seen
    })
}

#[test]
fn a_tiny_grid_runs_each_point_with_its_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_id = "peak-quick-1";
    let run = dir.path().join(run_id);
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_processes(run_id, Arc::clone(&stop));
    let out = pywebbench()
        .args(["peak", "--quick", "--quiet", "--out"])
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    stop.store(true, Ordering::Relaxed);
    let seen = watcher.join().expect("the watcher");
    assert!(out.status.success(), "{}", output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().next().unwrap_or_default(),
        "peak configuration of flask-sqlite3 (campaign `quick`)",
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "flask-sqlite3: 2 points: w2t2-gthread w3-sync; fixed (the campaign's): w2t2-gthread"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("per point about") && stdout.contains("estimated"),
        "{stdout}"
    );

    // The server ran as asked: Gunicorn's master and its workers, of that class.
    let procs = |point: &str| {
        seen.iter()
            .find(|(name, _)| name.ends_with(&format!("-{point}-r1")))
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("no container of {point} seen: {seen:?}"))
    };
    let gthread = procs("w2t2-gthread");
    assert_eq!(gthread.len(), 3, "master + 2 workers: {gthread:?}");
    assert!(
        gthread.iter().all(|p| p.contains("--workers 2")
            && p.contains("--threads 2")
            && p.contains("--worker-class gthread")),
        "{gthread:?}"
    );
    let sync = procs("w3-sync");
    assert_eq!(sync.len(), 4, "master + 3 workers: {sync:?}");
    assert!(
        sync.iter().all(|p| p.contains("--workers 3")
            && p.contains("--worker-class sync")
            && !p.contains("--threads")),
        "{sync:?}"
    );

    let m = manifest(&run);
    assert!(m.ended_at.is_some(), "the run is not marked finished");
    assert!(m.contract.is_some(), "the contract gate is recorded");
    let mut names: Vec<&str> = m.repetitions.iter().map(|r| r.stack.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["flask-sqlite3@w2t2-gthread", "flask-sqlite3@w3-sync"]
    );
    for r in &m.repetitions {
        assert_eq!(r.status, RepetitionStatus::Ok, "{}: {:?}", r.stack, r.cause);
        let measured: Vec<&str> = r
            .scenarios
            .iter()
            .map(|s| s.scenario.as_str())
            .filter(|s| !analysis::is_warmup(s))
            .collect();
        assert_eq!(measured, ["hello", "echo"], "{}", r.stack);
    }
    assert_eq!(m.campaign["peak"]["classes"][1]["class"], "sync");
    assert_eq!(m.rounds.len(), 1);
    assert_eq!(m.rounds[0].len(), 2);

    // The samples, read back by pyarrow and DuckDB, agree with the manifest.
    let back = readback(&run);
    for r in &m.repetitions {
        for s in &r.scenarios {
            assert_eq!(
                back["counts"][format!("{}/1/{}", r.stack, s.scenario)]["requests"].as_u64(),
                Some(s.requests),
                "{} {}",
                r.stack,
                s.scenario
            );
        }
    }

    let peak: PeakSummary =
        serde_json::from_slice(&std::fs::read(run.join("peak.json")).expect("peak.json"))
            .expect("peak.json parses");
    assert_eq!(peak.run_id, run_id);
    assert_eq!(peak.scenarios, ["hello", "echo"]);
    let s = &peak.stacks[0];
    assert_eq!(s.stack, "flask-sqlite3");
    assert_eq!(s.points.len(), 2);
    for p in &s.points {
        for c in &p.cells {
            assert!(c.mean.is_some_and(|m| m > 0.0), "{} {c:?}", p.label);
        }
    }
    for b in &s.best {
        assert_eq!(b.fixed.as_deref(), Some("w2t2-gthread"));
        assert!(b.best.is_some(), "{b:?}");
    }
    let svg = std::fs::read_to_string(run.join("report/tuned-hello.svg")).expect("figure");
    assert!(
        svg.contains("\nw2t2\n") && svg.contains("\ngthread\n"),
        "the fixed bar's label, size over class"
    );
    assert!(run.join("report/tuned-echo.png").exists());
    let md = std::fs::read_to_string(run.join("report/peak.md")).expect("peak.md");
    assert!(md.contains("w3-sync") && md.contains("(fixed)"), "{md}");
    assert_no_container_of(run_id);

    // The folder is an ordinary run's: `analyze` (which publishing needs) reads it.
    let analyzed = pywebbench()
        .arg("analyze")
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    assert!(analyzed.status.success(), "{}", output_text(&analyzed));
    assert!(run.join("report/summary.json").exists());
}
