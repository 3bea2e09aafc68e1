//! Ctrl-C in the middle of a scenario: the run stops, removes its container, keeps
//! the finished repetition (complete Parquet parts, no half-written final file),
//! exits 130; `--resume` completes it. Real containers, a real SIGINT.

#![cfg(unix)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use analysis::schema::RepetitionStatus;
use common::*;

#[test]
fn sigint_mid_scenario_keeps_finished_work_and_resume_completes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("sigint-run");
    let stacks = ["fastapi-sqlite3", "flask-sqlite3"];
    let mut child = pywebbench()
        .args(["run", "--quick", "--stacks", &stacks.join(","), "--out"])
        .arg(&run)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pywebbench starts");
    let (lines, reader) = stderr_lines(&mut child);
    let mut seen = Vec::new();
    // The second stack's echo scenario (2 s): interrupt it half-way.
    wait_for_line(
        &lines,
        &mut seen,
        "flask-sqlite3 r1/1 echo (",
        Duration::from_secs(120),
    );
    std::thread::sleep(Duration::from_millis(700));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let started = Instant::now();
    let status = child.wait().expect("pywebbench exits");
    let stopped_in = started.elapsed();
    reader.join().expect("reader thread");
    seen.extend(lines.try_iter());
    let log = seen.join("\n");
    assert_eq!(status.code(), Some(130), "exit status after SIGINT\n{log}");
    assert!(
        stopped_in < Duration::from_secs(15),
        "took {stopped_in:?} to stop\n{log}"
    );
    assert!(
        log.contains("--resume"),
        "the message says how to resume\n{log}"
    );

    // Nothing left running; nothing half-written.
    assert_no_container_of("sigint-run");
    assert!(
        !run.join("samples.parquet").exists(),
        "a final samples.parquet after an interrupted run"
    );
    assert!(!run.join("resources.parquet").exists());
    let names: Vec<String> = std::fs::read_dir(run.join("parts"))
        .expect("parts/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "temporary files left: {names:?}"
    );
    assert!(
        names.iter().all(|n| n.starts_with("fastapi-sqlite3-r1.")),
        "only the finished repetition has parts: {names:?}"
    );
    let part = std::fs::read(run.join("parts/fastapi-sqlite3-r1.samples.parquet"))
        .expect("the finished part");
    let cols = analysis::read_samples(&part).expect("the part is complete Parquet");
    let m = manifest(&run);
    assert!(m.ended_at.is_none());
    let first = m
        .repetitions
        .iter()
        .find(|r| r.stack == "fastapi-sqlite3")
        .expect("first stack recorded");
    assert_eq!(first.status, RepetitionStatus::Ok);
    assert_eq!(
        cols.len() as u64,
        first.scenarios.iter().map(|s| s.requests).sum::<u64>()
    );
    let second = m
        .repetitions
        .iter()
        .find(|r| r.stack == "flask-sqlite3")
        .expect("second stack recorded");
    assert_eq!(second.status, RepetitionStatus::Interrupted);
    assert!(
        second
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("during echo")),
        "{:?}",
        second.cause
    );

    // Resume: only the interrupted repetition runs again.
    let out = pywebbench()
        .args(["run", "--resume"])
        .arg(&run)
        .output()
        .expect("resume runs");
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("fastapi-sqlite3 r1: done in an earlier attempt, skipped"),
        "{text}"
    );
    let (m2, _) = check_complete_run(&run, &stacks, 1);
    assert_eq!(m2.started_at, m.started_at, "resume continues the same run");
    let kept = m2
        .repetitions
        .iter()
        .find(|r| r.stack == "fastapi-sqlite3")
        .expect("kept");
    assert_eq!(kept, first, "the finished repetition was not run again");
    assert_no_container_of("sigint-run");
    // A second resume has nothing to do.
    let again = pywebbench()
        .args(["run", "--resume"])
        .arg(&run)
        .output()
        .expect("resume runs");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("complete already"));
}
