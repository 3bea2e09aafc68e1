//! The contract gate of `pywebbench run` against real containers: a stack image
//! broken on purpose (derived FROM pywebbench/flask-sqlite3, GET /items/abc answers
//! 500 instead of 404) is refused before anything is measured, its failing checks
//! listed, and `--skip-contract` measures it anyway with the skip in manifest.json; a
//! stack that passes is checked once and then cached by its image id. Needs Docker,
//! the stack images (`just images`) and pytest (`just setup`). The derived image
//! carries `pywebbench=1` and `pywebbench.test=contract-gate` and is removed.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

/// The test-only tag of the broken image (`PYWEBBENCH_IMAGE_TAG`).
const TAG: &str = "contract-gate-test";
const BROKEN: &str = "flask-sqlite3";
const LABEL: &str = "pywebbench.test=contract-gate";

/// GET /items/abc (a segment that is not an id) raises: Flask answers 500.
const BREAK: &str = r#"

@app.get("/items/abc")
def broken_for_the_contract_gate_test():
    raise RuntimeError("broken on purpose by runner/tests/run_contract.rs")
"#;

/// Removes the derived image, also when the test fails.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = docker(&["rmi", "-f", &format!("pywebbench/{BROKEN}:{TAG}")]);
    }
}

fn build_broken_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = std::fs::read_to_string(repo_root().join("stacks/flask-sqlite3/app/app.py"))
        .expect("the flask-sqlite3 app");
    std::fs::write(dir.path().join("app.py"), app + BREAK).expect("write app.py");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM pywebbench/{BROKEN}:latest\nCOPY app.py /app/src/app.py\n"),
    )
    .expect("write Dockerfile");
    let build = docker(&[
        "build",
        "-q",
        "--label",
        "pywebbench=1",
        "--label",
        LABEL,
        "-t",
        &format!("pywebbench/{BROKEN}:{TAG}"),
        dir.path().to_str().expect("utf-8"),
    ]);
    assert!(build.status.success(), "{}", output_text(&build));
}

fn quick_run(stack: &str, out: &Path, cache: &Path, tag: &str, extra: &[&str]) -> Output {
    pywebbench()
        .args(["run", "--quick", "--reps", "1", "--stacks", stack, "--out"])
        .arg(out)
        .args(extra)
        .env("PYWEBBENCH_IMAGE_TAG", tag)
        .env("PYWEBBENCH_CACHE_DIR", cache)
        .output()
        .expect("pywebbench runs")
}

fn contract_containers_left() -> String {
    let ps = docker(&[
        "ps",
        "-a",
        "-q",
        "--filter",
        "label=pywebbench.role=contract-test",
        "--filter",
        &format!("ancestor=pywebbench/{BROKEN}:{TAG}"),
    ]);
    String::from_utf8_lossy(&ps.stdout).trim().to_string()
}

#[test]
fn a_stack_that_fails_the_contract_is_refused_before_measuring() {
    let _cleanup = Cleanup;
    build_broken_image();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cache = tmp.path().join("cache");
    let run = tmp.path().join("refused");
    let out = quick_run(BROKEN, &run, &cache, TAG, &[]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // One error, its failing check by name with the reason, and the fix.
    assert_eq!(stderr.matches("error:").count(), 1, "{text}");
    assert!(
        stderr.contains("refusing to measure: 1 stack(s) fail the API contract"),
        "{text}"
    );
    assert!(
        stderr.contains(&format!(
            "test_a_path_segment_that_is_not_an_id_is_404[{BROKEN}-letters]"
        )),
        "{text}"
    );
    assert!(stderr.contains("500"), "{text}");
    assert!(
        stderr.contains(&format!("`just test-contract {BROKEN}`")),
        "{text}"
    );
    assert!(stderr.contains("--skip-contract"), "{text}");
    assert!(!stderr.contains("panicked"), "{text}");
    // Nothing measured, nothing left, no pass remembered.
    assert!(!run.exists(), "a refused run leaves no folder");
    assert_eq!(contract_containers_left(), "");
    let cached = std::fs::read_dir(cache.join("contract")).map_or(0, |d| d.count());
    assert_eq!(cached, 0, "a failing image is not cached");

    // --skip-contract measures it anyway and says so in the manifest.
    let run = tmp.path().join("skipped");
    let out = quick_run(BROKEN, &run, &cache, TAG, &["--skip-contract"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let m = manifest(&run);
    let contract = m.contract.expect("the contract record");
    assert!(contract.skipped);
    assert_eq!(contract.stacks[BROKEN].result, "skipped");
    assert!(contract.stacks[BROKEN].image_id.starts_with("sha256:"));
}

#[test]
fn a_passing_stack_is_checked_once_then_cached_by_image_id() {
    let stack = "fastapi-sqlite3";
    let tmp = tempfile::tempdir().expect("tempdir");
    let cache = tmp.path().join("cache");
    let mut results = Vec::new();
    for name in ["first", "second"] {
        let run = tmp.path().join(name);
        let out = quick_run(stack, &run, &cache, "latest", &[]);
        let text = output_text(&out);
        assert!(out.status.success(), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let line = stderr
            .lines()
            .find(|l| l.starts_with("contract: "))
            .unwrap_or_else(|| panic!("no contract line: {text}"))
            .to_string();
        eprintln!("{name}: {line}");
        let m = manifest(&run);
        let c = m.contract.expect("the contract record");
        assert!(!c.skipped);
        results.push((line, c.stacks[stack].clone()));
    }
    let (first, second) = (&results[0], &results[1]);
    assert_eq!(first.1.result, "passed", "{}", first.0);
    assert!(first.0.contains("1 stack(s) passed"), "{}", first.0);
    assert_eq!(second.1.result, "cached", "{}", second.0);
    assert!(
        second.0.contains("0 stack(s) passed") && second.0.contains("1 passed before"),
        "{}",
        second.0
    );
    assert_eq!(first.1.image_id, second.1.image_id);
    let id = first.1.image_id.trim_start_matches("sha256:");
    assert!(cache.join("contract").join(format!("{id}.json")).is_file());
}
