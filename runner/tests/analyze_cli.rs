//! `pywebbench analyze` and `pywebbench compare` on a run folder written with the
//! analysis crate's writer (a synthetic, paper-shaped run; no Docker needed).

use std::path::Path;
use std::process::Command;

use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE, SAMPLES_FILE};
use analysis::synthetic::{SyntheticSpec, synthetic_run};

fn write_run(dir: &Path, run_id: &str, seed: u64) {
    let paper = analysis::Paper::builtin().unwrap();
    let spec = SyntheticSpec {
        run_id: run_id.into(),
        scale: 0.005,
        repetitions: 3,
        seed,
        failed: Some(("flask-sqlite3".into(), 2)),
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join(SAMPLES_FILE),
        analysis::write_sample_columns(&cols, None).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join(RESOURCES_FILE),
        analysis::write_resources(&resources).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join(MANIFEST_FILE),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
}

fn pywebbench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pywebbench"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn analyze_writes_the_report_and_compare_prints_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("run-a");
    let b = tmp.path().join("run-b");
    write_run(&a, "run-a", 1);
    write_run(&b, "run-b", 2);
    let out = pywebbench(&["analyze", a.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("flask-sqlite3 repetition 2"), "{stdout}");
    let report = a.join("report");
    for fig in 1..=7 {
        let png = std::fs::read(report.join(format!("fig{fig}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(report.join(format!("fig{fig}.svg"))).unwrap();
        assert!(svg.contains(&format!("Figure {fig}")));
    }
    // One latency distribution per latency scenario, referenced from report.md.
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    for scenario in ["get_all", "get_one", "create", "update", "delete"] {
        let file = format!("dist-{scenario}.svg");
        let svg = std::fs::read_to_string(report.join(&file)).unwrap();
        assert!(svg.contains(&format!("Latency distribution: {scenario}")));
        assert!(md.contains(&format!("]({file})")), "report.md lacks {file}");
    }
    assert!(!report.join("dist-hello.svg").exists());
    let summary =
        analysis::Summary::from_json(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary.cells.len(), 35);
    assert!(
        std::fs::read_to_string(report.join("report.md"))
            .unwrap()
            .contains("## Figure 7")
    );
    assert!(
        std::fs::read_to_string(report.join("report.html"))
            .unwrap()
            .contains("<svg")
    );
    assert!(
        std::fs::read_dir(&report).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );

    // A folder, a summary.json and the paper can be compared; JSON on request.
    let json = tmp.path().join("cmp.json");
    let summary_json = report.join("summary.json");
    let out = pywebbench(&[
        "compare",
        summary_json.to_str().unwrap(),
        b.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("FastAPI+sqlite3") && table.contains("n=3+3"),
        "{table}"
    );
    let cmp: analysis::Comparison = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(cmp.rows.len(), 35);
    let out = pywebbench(&["compare", "paper", a.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn analyze_errors_name_the_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pywebbench(&["analyze", tmp.path().join("nope").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a run folder"));
    // The manifest of another run beside the samples.
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    write_run(&a, "run-a", 1);
    write_run(&b, "run-b", 1);
    std::fs::copy(b.join(MANIFEST_FILE), a.join(MANIFEST_FILE)).unwrap();
    let out = pywebbench(&["analyze", a.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("belongs to run `run-a`") && err.contains("run-b"),
        "{err}"
    );
    // Not Parquet.
    std::fs::write(a.join(SAMPLES_FILE), b"stack,repetition\n").unwrap();
    let out = pywebbench(&["analyze", a.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Parquet file"));
}

/// Warnings raised through `tracing` reach stderr (a subscriber is installed).
#[test]
fn a_missing_resources_file_is_a_visible_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run-nores");
    write_run(&run, "run-nores", 3);
    std::fs::remove_file(run.join(RESOURCES_FILE)).unwrap();
    let out = pywebbench(&["analyze", run.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("WARN") && stderr.contains("is missing: no resource figures"),
        "{stderr}"
    );
}

/// A published run folder cut down to `keep` stacks, in `dir`: the kept stacks'
/// samples linked (copied where links fail), resources.parquet likewise, the
/// manifest without the other stacks (campaign, repetitions, rounds, packages).
fn published_subset(run: &str, keep: &[&str], dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/published")
        .join(run);
    std::fs::create_dir_all(dir.join("samples")).unwrap();
    let link = |from: &Path, to: &Path| {
        if std::fs::hard_link(from, to).is_err() {
            std::fs::copy(from, to).unwrap();
        }
    };
    for s in keep {
        let f = format!("samples/{s}.parquet");
        link(&src.join(&f), &dir.join(&f));
    }
    link(&src.join(RESOURCES_FILE), &dir.join(RESOURCES_FILE));
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join(MANIFEST_FILE)).unwrap()).unwrap();
    let kept = |v: &serde_json::Value| keep.contains(&v.as_str().unwrap_or_default());
    m["campaign"]["stacks"]
        .as_array_mut()
        .unwrap()
        .retain(|s| kept(s));
    m["repetitions"]
        .as_array_mut()
        .unwrap()
        .retain(|r| kept(&r["stack"]));
    for round in m["rounds"].as_array_mut().unwrap() {
        round.as_array_mut().unwrap().retain(|s| kept(s));
    }
    for key in ["packages", "stack_info"] {
        if let Some(o) = m.get_mut(key).and_then(|v| v.as_object_mut()) {
            o.retain(|s, _| keep.contains(&s.as_str()));
        }
    }
    std::fs::write(dir.join(MANIFEST_FILE), serde_json::to_vec(&m).unwrap()).unwrap();
}

/// The real published runs against a run of other stacks (one published run cut
/// down to three of its five): the shared stacks' cells compared, the others listed
/// by side, in the table and the JSON; no failure, nothing dropped unsaid.
#[test]
fn compare_published_runs_holding_different_stacks() {
    let tmp = tempfile::tempdir().unwrap();
    let published = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/published");
    let native = published.join("20261202T180425Z-vm/report/summary.json");
    let subset = tmp.path().join("k6-subset");
    published_subset(
        "20261202T184653Z-vm-k6",
        &["fastapi-sqlite3", "flask-sqlalchemy", "django-drf"],
        &subset,
    );
    let json = tmp.path().join("cmp.json");
    let out = pywebbench(&[
        "compare",
        native.to_str().unwrap(),
        subset.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Only in A (not compared): FastAPI+SQLAlchemy, Flask+sqlite3"),
        "{table}"
    );
    assert!(!table.contains("Only in B"), "{table}");
    let cmp: analysis::Comparison = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        cmp.shared,
        ["fastapi-sqlite3", "flask-sqlalchemy", "django-drf"]
    );
    assert_eq!(cmp.only_in_a, ["fastapi-sqlalchemy", "flask-sqlite3"]);
    assert!(cmp.only_in_b.is_empty());
    assert_eq!(cmp.rows.len(), 3 * 7);
    assert!(
        cmp.rows
            .iter()
            .all(|r| r.test == "welch" && r.a.is_some() && r.b.is_some())
    );
    // The other way round, the list changes side.
    let out = pywebbench(&[
        "compare",
        subset.to_str().unwrap(),
        native.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Only in B (not compared): FastAPI+SQLAlchemy, Flask+sqlite3"),
        "{table}"
    );
}
