//! `pywebbench sweep` against a real stack container: the plan printed first, the
//! container deployed and warmed up as `run` does, one constant-arrival-rate step per
//! rate recorded under `hello@<rate>rps` in the ordinary Parquet schema (pyarrow and
//! DuckDB read it back), `sweep.json` agreeing with the manifest, the capacity figure
//! written, no container left. Needs Docker and the stack images (`just images`).

mod common;

use analysis::capacity::SweepSummary;
use analysis::schema::RepetitionStatus;
use common::*;

#[test]
fn a_fixed_rate_sweep_of_one_stack_records_each_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_id = "sweep-fixed-1";
    let run = dir.path().join(run_id);
    let out = pywebbench()
        .args([
            "sweep",
            "--quick",
            "--stacks",
            "fastapi-sqlite3",
            "--rates",
            "20,40",
            "--step-duration",
            "1s",
            "--pause",
            "200ms",
            "--slo",
            "500ms",
            "--quiet",
            "--out",
        ])
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    assert!(out.status.success(), "{}", output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first, "capacity sweep of hello on fastapi-sqlite3",
        "{stdout}"
    );
    assert!(stdout.contains("estimated at most"), "{stdout}");

    let m = manifest(&run);
    assert!(
        m.ended_at.is_some(),
        "the sweep's run is not marked finished"
    );
    assert_eq!(m.repetitions.len(), 1);
    let rep = &m.repetitions[0];
    assert_eq!(rep.status, RepetitionStatus::Ok, "{:?}", rep.cause);
    let steps: Vec<&str> = rep
        .scenarios
        .iter()
        .map(|s| s.scenario.as_str())
        .filter(|s| !analysis::is_warmup(s))
        .collect();
    assert_eq!(steps, ["hello@20rps", "hello@40rps"]);
    assert_eq!(m.campaign["sweep"]["rates"], serde_json::json!([20, 40]));

    let seen = readback(&run);
    let sweep =
        SweepSummary::from_json(&std::fs::read(run.join("sweep.json")).expect("sweep.json"))
            .expect("sweep.json parses");
    assert_eq!(sweep.run_id, run_id);
    assert_eq!(sweep.stacks.len(), 1);
    let s = &sweep.stacks[0];
    assert_eq!(s.stack, "fastapi-sqlite3");
    assert_eq!(s.points.len(), 2);
    for p in &s.points {
        let name = format!("hello@{}rps", p.offered);
        let summary = rep
            .scenarios
            .iter()
            .find(|x| x.scenario == name)
            .expect("in the manifest");
        assert_eq!(summary.requests, p.requests, "{name}");
        assert_eq!(
            seen["counts"][format!("fastapi-sqlite3/1/{name}")]["requests"].as_u64(),
            Some(p.requests),
            "{name}: samples vs sweep.json"
        );
        // An open-model step of 1 s at r req/s makes about r requests.
        let r = u64::from(p.offered);
        assert!(
            p.requests + p.dropped >= r - 2 && p.requests <= r + 2,
            "{p:?}"
        );
        assert!(p.p50_ms > 0.0 && p.p99_ms >= p.p50_ms, "{p:?}");
    }
    // 40 req/s of GET /hello is far below any stack's capacity (hundreds of req/s).
    assert_eq!(s.knee, Some(40), "{:?}", s.points);
    let svg = std::fs::read_to_string(run.join("report/capacity.svg")).expect("the figure");
    assert!(svg.contains("knee ≥ 40 req/s offered (no step failed)"));
    assert!(run.join("report/capacity.png").exists());
    assert_no_container_of(run_id);
}
