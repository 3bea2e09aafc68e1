//! `pywebbench run --profile` against real containers: py-spy (from `.venv`, run on
//! the host as root) samples every scenario of the profiled repetition (repetition 0,
//! before round 1) of two stacks; each stack × scenario has its collapsed stacks,
//! non-empty, read back and shared out over the layers; the profiled repetition is
//! marked in the manifest and left out of the statistics; py-spy wrote nothing while
//! the measured repetitions ran (every profile was closed before the first of them
//! started); `analyze` draws a flame graph per cell and the report's section. Needs
//! Docker, the stack images (`just images`), root and py-spy (`just setup`).

#![cfg(target_os = "linux")]

mod common;

use std::time::UNIX_EPOCH;

use analysis::profile::{Layer, parse_collapsed};
use analysis::schema::{PROFILED_REPETITION, RepetitionStatus};
use common::*;

const STACKS: [&str; 2] = ["fastapi-sqlite3", "flask-sqlite3"];

#[test]
fn a_quick_profiled_run_writes_a_profile_per_stack_and_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_id = "profile-quick-1";
    let run = dir.path().join(run_id);
    let out = pywebbench()
        .args([
            "run",
            "--quick",
            "--stacks",
            &STACKS.join(","),
            "--profile",
            "--profile-rate",
            "200",
            "--skip-contract",
            "--quiet",
            "--out",
        ])
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    assert!(out.status.success(), "{}", output_text(&out));
    assert_no_container_of(run_id);

    let m = manifest(&run);
    assert!(m.ended_at.is_some(), "the run is not marked finished");
    let p = m.profile.as_ref().expect("manifest.profile");
    assert_eq!(p.rate_hz, 200);
    assert_eq!(p.repetition, PROFILED_REPETITION);
    assert!(p.tool.starts_with("py-spy "), "{}", p.tool);
    assert!(p.method.contains("--subprocesses"), "{}", p.method);
    assert_eq!(m.campaign["profile"]["rate_hz"], 200);

    // The profiled repetitions ran first; every measured one is unprofiled.
    let first_measured_ns = m
        .repetitions
        .iter()
        .filter(|r| !r.profiled)
        .filter_map(|r| r.scenarios.first().map(|s| s.started_at_unix_ns))
        .min()
        .expect("measured repetitions");
    let scenarios: Vec<String> = m.campaign["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(scenarios.len(), 7);
    for stack in STACKS {
        let reps: Vec<_> = m.repetitions.iter().filter(|r| r.stack == stack).collect();
        assert_eq!(
            reps.len(),
            2,
            "{stack}: the profiled repetition and repetition 1"
        );
        let profiled = reps
            .iter()
            .find(|r| r.repetition == PROFILED_REPETITION)
            .expect("repetition 0");
        assert!(profiled.profiled);
        assert_eq!(
            profiled.status,
            RepetitionStatus::Ok,
            "{:?}",
            profiled.cause
        );
        let measured = reps
            .iter()
            .find(|r| r.repetition == 1)
            .expect("repetition 1");
        assert!(!measured.profiled);
        assert_eq!(
            measured.status,
            RepetitionStatus::Ok,
            "{:?}",
            measured.cause
        );

        let mut framework = 0;
        for sc in &scenarios {
            let path = run.join(format!("profiles/{stack}/{sc}.txt"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let profile = parse_collapsed(&text).expect("collapsed stacks parse");
            assert!(profile.total > 0, "{stack} {sc}: no samples");
            assert!(
                text.contains(".py:"),
                "{stack} {sc}: no Python frame in {text:.300}"
            );
            let shares = profile.layer_shares();
            assert_eq!(shares.iter().map(|s| s.samples).sum::<u64>(), profile.total);
            framework += shares
                .iter()
                .find(|s| s.layer == Layer::Framework)
                .map_or(0, |s| s.samples);
            // Closed after its own scenario began and before any measured repetition.
            let written = std::fs::metadata(&path)
                .and_then(|md| md.modified())
                .expect("mtime")
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_nanos() as i64;
            let own = profiled
                .scenarios
                .iter()
                .find(|s| &s.scenario == sc)
                .expect("scenario in the manifest");
            assert!(written > own.started_at_unix_ns, "{stack} {sc}");
            assert!(
                written < first_measured_ns,
                "{stack} {sc}: py-spy wrote its profile after a measured repetition began"
            );
        }
        assert!(framework > 0, "{stack}: no sample in the framework");
    }
    // No other file under profiles/.
    let files: usize = STACKS
        .iter()
        .map(|s| {
            std::fs::read_dir(run.join("profiles").join(s))
                .expect("dir")
                .count()
        })
        .sum();
    assert_eq!(files, STACKS.len() * scenarios.len());

    // The analysis leaves the profiled repetition out and draws its flame graphs.
    let out = pywebbench()
        .arg("analyze")
        .arg(&run)
        .output()
        .expect("analyze runs");
    assert!(out.status.success(), "{}", output_text(&out));
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(run.join("report/summary.json")).expect("summary.json"),
    )
    .expect("json");
    for r in summary["repetitions"].as_array().expect("repetitions") {
        let profiled = r["repetition"] == PROFILED_REPETITION;
        assert_eq!(r["included"], !profiled, "{r}");
    }
    let cells = summary["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), STACKS.len() * scenarios.len());
    for cell in cells {
        let detail = &cell["detail"];
        for r in detail["repetitions"].as_array().expect("cell repetitions") {
            let profiled = r["repetition"] == PROFILED_REPETITION;
            assert_eq!(r["included"], !profiled, "{r}");
        }
        assert_eq!(
            detail["included_repetitions"], 1,
            "only repetition 1 counts"
        );
        assert_eq!(
            detail["excluded_repetitions"],
            serde_json::json!([PROFILED_REPETITION])
        );
    }
    let md = std::fs::read_to_string(run.join("report/report.md")).expect("report.md");
    assert!(
        md.contains("## Profiles (the profiled repetition)"),
        "{md:.500}"
    );
    for stack in STACKS {
        for sc in &scenarios {
            let file = format!("flame-{stack}-{sc}.svg");
            assert!(md.contains(&file), "{file} not in report.md");
            let svg = std::fs::read_to_string(run.join("report").join(&file)).expect("flame svg");
            assert!(svg.contains("<g class=\"frame\"><title>"), "{file}");
        }
    }
    let html = std::fs::read_to_string(run.join("report/report.html")).expect("report.html");
    assert!(html.contains("class=\"flame\""));
}
