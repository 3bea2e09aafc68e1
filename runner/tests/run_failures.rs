//! Repetitions that fail (a health timeout, a container that dies mid-scenario) are
//! recorded with their cause and their samples, and the run goes on. Real containers.

mod common;

use std::path::Path;
use std::time::Duration;

use analysis::schema::RepetitionStatus;
use common::*;

const QUICK: &str = include_str!("../../paper/campaign-quick.toml");

fn campaign_file(dir: &Path, from: &str, to: &str) -> std::path::PathBuf {
    assert!(QUICK.contains(from));
    let path = dir.join("campaign.toml");
    std::fs::write(&path, QUICK.replacen(from, to, 1)).expect("write campaign");
    path
}

/// The quick campaign, but nothing answers /hello within 1 ms of the container's start.
fn health_timeout_campaign(dir: &Path) -> std::path::PathBuf {
    campaign_file(dir, "health_timeout = \"60s\"", "health_timeout = \"1ms\"")
}

#[test]
fn a_health_timeout_fails_the_repetition_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = health_timeout_campaign(dir.path());
    let run = dir.path().join("health-run");
    let out = pywebbench()
        .args([
            "run",
            "--stacks",
            "flask-sqlite3",
            "--reps",
            "2",
            "--campaign",
        ])
        .arg(&campaign)
        .arg("--out")
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    let text = output_text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "failed repetitions → exit 2\n{text}"
    );
    let m = manifest(&run);
    assert_eq!(
        m.repetitions.len(),
        2,
        "both repetitions were attempted\n{text}"
    );
    for r in &m.repetitions {
        assert_eq!(r.status, RepetitionStatus::Failed);
        let cause = r.cause.as_deref().unwrap_or_default();
        assert!(
            cause.starts_with("health timeout: GET /hello did not answer 200 within"),
            "{cause}"
        );
        assert!(r.scenarios.is_empty());
    }
    assert!(m.ended_at.is_some());
    assert!(
        run.join("samples").exists(),
        "the run is finished even with no samples"
    );
    assert_no_container_of("health-run");
}

#[test]
fn fail_fast_stops_at_the_first_failed_repetition_and_resume_runs_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = health_timeout_campaign(dir.path());
    let run = dir.path().join("fail-fast-run");
    let out = pywebbench()
        .args([
            "run",
            "--stacks",
            "flask-sqlite3",
            "--reps",
            "2",
            "--fail-fast",
            "--campaign",
        ])
        .arg(&campaign)
        .arg("--out")
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    let text = output_text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed repetition → exit 2\n{text}"
    );
    assert!(
        text.contains("--fail-fast: stopped after flask-sqlite3 r1 failed"),
        "{text}"
    );
    let m = manifest(&run);
    assert_eq!(
        m.repetitions.len(),
        1,
        "the second repetition never started\n{text}"
    );
    assert_eq!(m.repetitions[0].status, RepetitionStatus::Failed);
    assert!(m.ended_at.is_none(), "the run is not finished");
    assert!(!run.join("samples").exists());
    assert_no_container_of("fail-fast-run");

    let out = pywebbench()
        .arg("run")
        .arg("--resume")
        .arg(&run)
        .output()
        .expect("resume");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let m = manifest(&run);
    assert_eq!(
        m.repetitions.len(),
        2,
        "resume ran the repetition left\n{text}"
    );
    assert!(m.ended_at.is_some());
    assert_no_container_of("fail-fast-run");
}

#[test]
fn a_container_killed_mid_scenario_fails_its_repetition_and_keeps_its_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("kill-run");
    let mut run_proc = Watched::spawn(
        &["run", "--quick", "--stacks", "flask-sqlite3", "--reps", "2"],
        &run,
    );
    // Kill repetition 1's container half-way through its echo scenario.
    run_proc.wait_for("flask-sqlite3 r1/2 echo (", Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(700));
    let ids: Vec<String> = containers_with_label("pywebbench.run=kill-run");
    assert_eq!(ids.len(), 1, "one container per repetition: {ids:?}");
    kill_container(&ids[0]);
    let (status, _, text) = run_proc.finish();
    assert_eq!(status.code(), Some(2), "{text}");
    let m = manifest(&run);
    let r1 = m
        .repetitions
        .iter()
        .find(|r| r.repetition == 1)
        .expect("r1");
    let r2 = m
        .repetitions
        .iter()
        .find(|r| r.repetition == 2)
        .expect("r2");
    assert_eq!(r1.status, RepetitionStatus::Failed, "{text}");
    let cause = r1.cause.as_deref().unwrap_or_default();
    assert!(
        cause.starts_with("the container exited with code 137 during echo"),
        "{cause}"
    );
    assert_eq!(
        r2.status,
        RepetitionStatus::Ok,
        "the run went on: {:?}",
        r2.cause
    );
    // r1's samples up to the kill are in the merged file, failed requests included.
    let seen = readback(&run);
    let counts = seen["counts"].as_object().expect("counts");
    let r1_hello = counts
        .get("flask-sqlite3/1/hello")
        .expect("r1's hello samples kept");
    assert!(r1_hello["requests"].as_u64().is_some_and(|n| n > 0));
    let r1_total: u64 = counts
        .iter()
        .filter(|(k, _)| k.starts_with("flask-sqlite3/1/"))
        .map(|(_, v)| v["requests"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        r1_total,
        r1.scenarios.iter().map(|s| s.requests).sum::<u64>()
    );
    assert_no_container_of("kill-run");
}

#[test]
fn bad_input_is_refused_in_one_line_before_any_container_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let campaign = campaign_file(dir.path(), "repetitions = 1", "repetitions = 0");
    let cases: [(&[&str], String); 3] = [
        (
            &["run", "--campaign", campaign.to_str().expect("utf-8")],
            format!(
                "error: {}:7: repetitions must be > 0, not 0\n",
                campaign.display()
            ),
        ),
        (
            &["run", "--quick", "--stacks", "rails"],
            format!(
                "error: unknown stack \"rails\" in --stacks; use some of {} (a new stack needs stacks/rails/stack.toml)\n",
                analysis::registry::Registry::builtin().names().join(", ")
            ),
        ),
        (
            &["run", "--resume", dir.path().to_str().expect("utf-8")],
            format!(
                "error: {} has no readable manifest.json: pass the folder of a run started by `pywebbench run`: No such file or directory (os error 2)\n",
                dir.path().display()
            ),
        ),
    ];
    for (args, expected) in cases {
        let out = pywebbench()
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), expected, "{args:?}");
    }
}
