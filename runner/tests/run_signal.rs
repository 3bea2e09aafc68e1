//! Ctrl-C in the middle of a scenario: the run stops, removes its container, keeps
//! the finished repetition (complete Parquet parts, no half-written final file),
//! exits 130; `--resume` completes it. Real containers, a real SIGINT.

#![cfg(unix)]

mod common;

use std::time::Duration;

use analysis::schema::RepetitionStatus;
use common::*;

fn signal(pid: u32, name: &str) {
    let kill = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
}

#[test]
fn sigterm_stops_the_run_and_removes_its_container() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("sigterm-run");
    let mut run_proc = Watched::spawn(&["run", "--quick", "--stacks", "django-drf"], &run);
    run_proc.wait_for("django-drf r1/1 hello (", Duration::from_secs(120));
    signal(run_proc.child.id(), "TERM");
    let (status, stopped_in, log) = run_proc.finish();
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(
        stopped_in < Duration::from_secs(15),
        "took {stopped_in:?} to stop\n{log}"
    );
    assert!(log.contains("SIGTERM: stopping the load"), "{log}");
    assert_no_container_of("sigterm-run");
    let m = manifest(&run);
    assert_eq!(m.repetitions.len(), 1);
    assert_eq!(m.repetitions[0].status, RepetitionStatus::Interrupted);
    assert!(!run.join("samples").exists());
}

#[test]
fn sigint_mid_scenario_keeps_finished_work_and_resume_completes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("sigint-run");
    let stacks = ["fastapi-sqlite3", "flask-sqlite3"];
    let mut run_proc = Watched::spawn(&["run", "--quick", "--stacks", &stacks.join(",")], &run);
    // The round's order is shuffled by the seed: the manifest, written before the
    // first repetition starts, says which stack runs second.
    run_proc.wait_for("interleaved rounds", Duration::from_secs(60));
    let order = manifest(&run).rounds[0].clone();
    assert_eq!(order.len(), 2, "{order:?}");
    let (first_stack, second_stack) = (order[0].as_str(), order[1].as_str());
    // The second stack's echo scenario (2 s): interrupt it half-way.
    run_proc.wait_for(
        &format!("{second_stack} r1/1 echo ("),
        Duration::from_secs(120),
    );
    std::thread::sleep(Duration::from_millis(700));
    signal(run_proc.child.id(), "INT");
    let (status, stopped_in, log) = run_proc.finish();
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
        !run.join("samples").exists(),
        "final samples/ after an interrupted run"
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
        names
            .iter()
            .all(|n| n.starts_with(&format!("{first_stack}-r1."))),
        "only the finished repetition has parts: {names:?}"
    );
    let part = std::fs::read(run.join(format!("parts/{first_stack}-r1.samples.parquet")))
        .expect("the finished part");
    let cols = analysis::read_samples(&part).expect("the part is complete Parquet");
    let m = manifest(&run);
    assert!(m.ended_at.is_none());
    let first = m
        .repetitions
        .iter()
        .find(|r| r.stack == first_stack)
        .expect("first stack recorded");
    assert_eq!(first.status, RepetitionStatus::Ok);
    assert_eq!(
        cols.len() as u64,
        first.scenarios.iter().map(|s| s.requests).sum::<u64>()
    );
    let second = m
        .repetitions
        .iter()
        .find(|r| r.stack == second_stack)
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
        text.contains(&format!(
            "{first_stack} r1: done in an earlier attempt, skipped"
        )),
        "{text}"
    );
    let (m2, _) = check_complete_run(&run, &stacks, 1);
    assert_eq!(m2.started_at, m.started_at, "resume continues the same run");
    let kept = m2
        .repetitions
        .iter()
        .find(|r| r.stack == first_stack)
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
