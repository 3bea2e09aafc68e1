//! SIGINT/SIGTERM in the phases `run_signal.rs` does not cover: settling, warm-up and
//! the end of the run (last scenario / writing the merged files). Each time: exit 130
//! (or 0 if the signal came after the last write), no container left, no file under
//! its final name half-written, and `--resume` finishes the run with exactly the
//! sample count of an uninterrupted run for every scenario whose count is fixed
//! (the shared-iterations ones; constant-vus scenarios run for a time, so their
//! count varies from run to run and is only checked against the manifest).
//! Building images is outside `pywebbench run` (scripts/build-images.sh), so it is
//! not a phase here. Real containers, real signals.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use analysis::schema::RepetitionStatus;
use common::*;

const STACK: &str = "flask-sqlite3";

fn signal(pid: u32, name: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{name} {pid}");
}

/// Requests an uninterrupted quick run makes in each fixed-count scenario
/// (paper/campaign-quick.toml: shared-iterations `iterations`).
const FIXED_COUNTS: [(&str, u64); 6] = [
    ("warmup_get_all", 10),
    ("get_all", 10),
    ("get_one", 100),
    ("create", 100),
    ("update", 100),
    ("delete", 10),
];

/// No temporary files, and a final file exists only whole.
fn assert_nothing_half_written(run: &Path) {
    for dir in [run.to_path_buf(), run.join("parts")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "temporary file left: {name}");
            if name.ends_with(".parquet") {
                let bytes = std::fs::read(e.path()).expect("read");
                analysis::read::parquet_run_id(&bytes, "file")
                    .unwrap_or_else(|err| panic!("{name} is not whole: {err}"));
            }
        }
    }
    let bytes = std::fs::read(run.join("manifest.json")).expect("manifest.json");
    analysis::parse_manifest(&bytes).expect("manifest.json is whole");
}

/// Resume, then the run is complete and every fixed-count scenario has exactly its count.
fn resume_and_check(run: &Path, run_id: &str) -> u64 {
    let out = pywebbench()
        .args(["run", "--resume"])
        .arg(run)
        .output()
        .expect("resume runs");
    assert!(out.status.success(), "{}", output_text(&out));
    let (m, seen) = check_complete_run(run, &[STACK], 1);
    let counts = seen["counts"].as_object().expect("counts");
    let r = &m.repetitions[0];
    for (scenario, n) in FIXED_COUNTS {
        let got = counts[&format!("{STACK}/1/{scenario}")]["requests"].as_u64();
        assert_eq!(got, Some(n), "{scenario}: samples after resume");
        let s = r
            .scenarios
            .iter()
            .find(|s| s.scenario == scenario)
            .expect("in manifest");
        assert_eq!(s.requests, n, "{scenario}: manifest after resume");
    }
    assert_no_container_of(run_id);
    seen["samples"].as_u64().expect("sample count")
}

fn interrupt_at(run_id: &str, line: &str, sig: &str, phase: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join(run_id);
    let mut p = Watched::spawn(&["run", "--quick", "--stacks", STACK], &run);
    p.wait_for(line, Duration::from_secs(120));
    signal(p.child.id(), sig);
    let (status, took, log) = p.finish();
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(took < Duration::from_secs(15), "took {took:?}\n{log}");
    assert_no_container_of(run_id);
    assert!(!run.join("samples").exists(), "{log}");
    assert_nothing_half_written(&run);
    let m = manifest(&run);
    assert_eq!(m.repetitions.len(), 1, "{log}");
    assert_eq!(m.repetitions[0].status, RepetitionStatus::Interrupted);
    let cause = m.repetitions[0].cause.as_deref().unwrap_or_default();
    assert!(cause.ends_with(&format!("during {phase}")), "{cause}");
    let total = resume_and_check(&run, run_id);
    eprintln!("{run_id}: {sig} during {phase}; resumed run has {total} samples");
}

#[test]
fn fault_sigint_while_settling_then_resume() {
    interrupt_at(
        "sig-settle",
        &format!("{STACK} r1/1 settle"),
        "INT",
        "settle",
    );
}

#[test]
fn fault_sigterm_during_warmup_then_resume() {
    interrupt_at(
        "sig-warmup",
        &format!("{STACK} r1/1 warmup_hello ("),
        "TERM",
        "warmup",
    );
}

#[test]
fn fault_sigint_barrage_at_the_end_of_the_run() {
    // From the last scenario's start, SIGINT every 20 ms until the process exits: the
    // signals land in `delete`, in the final clean-up or while the merged files are
    // written. Whatever was hit, nothing is half-written and the run can be finished.
    let run_id = "sig-end";
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join(run_id);
    let mut p = Watched::spawn(&["run", "--quick", "--stacks", STACK], &run);
    p.wait_for(&format!("{STACK} r1/1 delete ("), Duration::from_secs(120));
    let pid = p.child.id();
    let start = Instant::now();
    let mut sent = 0;
    while start.elapsed() < Duration::from_secs(15) {
        if p.child.try_wait().expect("try_wait").is_some() {
            break;
        }
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        sent += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, _, log) = p.finish();
    assert!(sent > 0);
    assert_no_container_of(run_id);
    assert_nothing_half_written(&run);
    match status.code() {
        Some(130) => {
            assert!(!run.join("samples").exists(), "{log}");
            let total = resume_and_check(&run, run_id);
            eprintln!("{run_id}: interrupted ({sent} SIGINTs); resumed run has {total} samples");
        }
        Some(0) => {
            // The signals came after the last scenario: the run finished and is whole.
            let (_, seen) = check_complete_run(&run, &[STACK], 1);
            eprintln!(
                "{run_id}: finished despite {sent} SIGINTs: {}",
                seen["samples"]
            );
        }
        other => panic!("exit {other:?}\n{log}"),
    }
}
