//! `pywebbench run --quick` against real stack containers; the output read back with
//! pyarrow and DuckDB; no container left. Needs Docker and the stack images
//! (`bash scripts/build-images.sh`, done by `just test`).

mod common;

use common::*;

const SHARED_ITERATIONS: [(&str, u64); 6] = [
    ("warmup_get_all", 10),
    ("get_all", 10),
    ("get_one", 100),
    ("create", 100),
    ("update", 100),
    ("delete", 10),
];

fn quick_run(stacks: &[&str], loadgen: &str) {
    quick_run_reps(stacks, loadgen, 1);
}

fn quick_run_reps(stacks: &[&str], loadgen: &str, reps: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    // One run id per test: the tests of this file run at the same time.
    let run_id = format!("quick-{loadgen}-{}x{reps}", stacks.len());
    let run = dir.path().join(&run_id);
    let out = pywebbench()
        .args([
            "run",
            "--quick",
            "--loadgen",
            loadgen,
            "--stacks",
            &stacks.join(","),
            "--reps",
            &reps.to_string(),
            "--out",
        ])
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    assert!(out.status.success(), "{}", output_text(&out));
    // The last stdout line is the run folder.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last().map(str::trim),
        Some(run.to_str().expect("utf-8 path"))
    );
    let (m, seen) = check_complete_run(&run, stacks, reps);
    // Interleaved rounds: round r holds every stack's repetition r, and the
    // repetitions ran in the recorded order (the manifest lists them as they ended).
    assert_eq!(m.rounds.len(), reps as usize);
    for round in &m.rounds {
        let mut sorted = round.clone();
        sorted.sort();
        let mut want: Vec<String> = stacks.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(sorted, want);
    }
    let planned: Vec<(String, u32)> = m
        .rounds
        .iter()
        .zip(1u32..)
        .flat_map(|(round, r)| round.iter().map(move |s| (s.clone(), r)))
        .collect();
    let ran: Vec<(String, u32)> = m
        .repetitions
        .iter()
        .map(|r| (r.stack.clone(), r.repetition))
        .collect();
    assert_eq!(ran, planned);
    let isolation = m.isolation.as_ref().expect("isolation recorded");
    assert_eq!(isolation.profile, "none");
    assert_eq!(m.run_id, run_id);
    assert_eq!(m.loadgen, loadgen);
    assert_eq!(m.campaign["name"], "quick");
    assert_eq!(
        m.host.cores as usize,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    assert!(
        m.host.docker_version.contains("API"),
        "{}",
        m.host.docker_version
    );
    for r in &m.repetitions {
        for (name, n) in SHARED_ITERATIONS {
            let s = r
                .scenarios
                .iter()
                .find(|s| s.scenario == name)
                .expect("scenario ran");
            assert_eq!(
                s.requests, n,
                "{} {name}: every shared iteration is done once",
                r.stack
            );
            assert!(!s.timed_out);
        }
        // The stacks serve /hello and /echo without failing.
        for name in ["warmup_hello", "hello", "echo"] {
            let s = r
                .scenarios
                .iter()
                .find(|s| s.scenario == name)
                .expect("scenario ran");
            assert_eq!(s.errors, 0, "{} {name}", r.stack);
        }
    }
    // Resource readings were tagged with the procedure's phases.
    assert!(
        seen["resource_phases"].as_u64().is_some_and(|n| n >= 3),
        "{seen}"
    );
    assert_no_container_of(&run_id);
}

#[test]
fn quick_run_of_one_stack_writes_what_pyarrow_and_duckdb_read() {
    quick_run(&["fastapi-sqlite3"], "native");
}

/// The same run with the real k6 (from `.venv`, installed by `just setup`), its
/// per-request output imported into the same files.
#[test]
fn quick_run_with_k6_writes_the_same_files() {
    quick_run(&["flask-sqlite3"], "k6");
}

/// Two stacks × two repetitions: the rounds interleave the stacks (round 1 of both
/// before round 2 of either), in the seeded order the manifest records.
#[test]
fn repetitions_run_in_interleaved_rounds() {
    quick_run_reps(&["fastapi-sqlite3", "flask-sqlite3"], "native", 2);
}

/// All five stacks: ~1.5 min. `just test` runs it (`cargo test -p runner --test run_quick -- --ignored`).
#[test]
#[ignore = "all five stacks, ~90 s: run by `just test`"]
fn quick_run_of_all_five_stacks() {
    quick_run(
        &[
            "fastapi-sqlalchemy",
            "fastapi-sqlite3",
            "flask-sqlalchemy",
            "flask-sqlite3",
            "django-drf",
        ],
        "native",
    );
}
