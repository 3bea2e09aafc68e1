//! Bad data into `pywebbench analyze` and `pywebbench compare`: not Parquet, truncated
//! Parquet, a missing column, a wrongly typed column, an empty file, an empty run
//! folder, the manifest of another run, a future schema version, a manifest that is
//! not JSON, and the fuzzers' crashing inputs. Each gives exactly one `error:` line
//! naming the file, exit 1, no panic, and no report files written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE, SAMPLES_FILE};
use analysis::synthetic::{SyntheticSpec, synthetic_run};

fn write_run(dir: &Path, run_id: &str) {
    let paper = analysis::Paper::builtin().expect("paper");
    let spec = SyntheticSpec {
        run_id: run_id.into(),
        scale: 0.003,
        repetitions: 2,
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    std::fs::create_dir_all(dir).expect("mkdir");
    let samples = analysis::write_sample_columns(&cols, Some(run_id)).expect("samples");
    std::fs::write(dir.join(SAMPLES_FILE), samples).expect("write");
    let res = analysis::write_resources(&resources).expect("resources");
    std::fs::write(dir.join(RESOURCES_FILE), res).expect("write");
    let m = serde_json::to_vec(&manifest).expect("manifest");
    std::fs::write(dir.join(MANIFEST_FILE), m).expect("write");
}

fn pywebbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pywebbench"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("pywebbench runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../analysis")
        .join(name)
}

/// One `error:` line containing every needle; exit 1; nothing else on stderr.
fn assert_refused(out: &Output, case: &str, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{case}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{case}: not one line:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{case}: {stderr}");
    for n in needles {
        assert!(lines[0].contains(n), "{case}: {n:?} not in {stderr}");
    }
    lines[0].to_string()
}

#[test]
fn fault_bad_data_into_analyze_and_compare_is_one_clear_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = tmp.path().join("good");
    write_run(&good, "fault-good");
    let other = tmp.path().join("other");
    write_run(&other, "fault-other");
    let samples = std::fs::read(good.join(SAMPLES_FILE)).expect("read");
    let manifest = std::fs::read(good.join(MANIFEST_FILE)).expect("read");
    let mut future: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    future["schema_version"] = serde_json::json!(99);

    type Case = (&'static str, &'static str, Vec<u8>, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "not parquet",
            SAMPLES_FILE,
            b"stack,repetition\nflask,1\n".to_vec(),
            vec!["samples.parquet", "not a Parquet file"],
        ),
        (
            "truncated",
            SAMPLES_FILE,
            samples[..samples.len() / 2].to_vec(),
            vec!["samples.parquet", "truncated or corrupt"],
        ),
        (
            "missing column",
            SAMPLES_FILE,
            std::fs::read(fixture("tests/fixtures/missing_column_samples.parquet"))
                .expect("fixture"),
            vec!["samples.parquet", "has no column"],
        ),
        (
            "wrong type",
            SAMPLES_FILE,
            std::fs::read(fixture("tests/fixtures/wrong_type_samples.parquet")).expect("fixture"),
            vec!["samples.parquet", "column"],
        ),
        (
            "empty file",
            SAMPLES_FILE,
            Vec::new(),
            vec!["samples.parquet"],
        ),
        (
            "no rows",
            SAMPLES_FILE,
            std::fs::read(fixture("tests/fixtures/empty_samples.parquet")).expect("fixture"),
            vec!["samples.parquet"],
        ),
        (
            "fuzz crash",
            SAMPLES_FILE,
            std::fs::read(fixture(
                "fuzz/regressions/read_samples/crash-1fa82b59bd56cfef440dc661fbce34b4e00c0177",
            ))
            .expect("fixture"),
            vec!["samples.parquet", "corrupt"],
        ),
        (
            "fuzz oom",
            SAMPLES_FILE,
            std::fs::read(fixture(
                "fuzz/regressions/read_samples/oom-7dc415cf3e37db0866b368b3a3612f95ae15ec0b",
            ))
            .expect("fixture"),
            vec!["samples.parquet", "dictionary page"],
        ),
        (
            "another run's manifest",
            MANIFEST_FILE,
            std::fs::read(other.join(MANIFEST_FILE)).expect("read"),
            vec!["fault-good", "fault-other"],
        ),
        (
            "future schema",
            MANIFEST_FILE,
            serde_json::to_vec(&future).expect("json"),
            vec!["manifest.json", "99"],
        ),
        (
            "manifest not JSON",
            MANIFEST_FILE,
            b"<html>".to_vec(),
            vec!["manifest.json"],
        ),
        (
            "resources not parquet",
            RESOURCES_FILE,
            b"PAR1 nope".to_vec(),
            vec!["resources.parquet"],
        ),
    ];
    let mut seen = Vec::new();
    for (case, file, bytes, needles) in &cases {
        let dir = tmp.path().join(case.replace(' ', "-").replace('\'', ""));
        write_run(&dir, "fault-good");
        std::fs::write(dir.join(file), bytes).expect("write the bad file");
        let out = pywebbench(&["analyze", dir.to_str().expect("utf-8")]);
        let line = assert_refused(&out, case, needles);
        assert!(
            !dir.join("summary.json").exists(),
            "{case}: summary.json written"
        );
        assert!(
            !dir.join("report.html").exists(),
            "{case}: report.html written"
        );
        let out = pywebbench(&[
            "compare",
            good.to_str().expect("utf-8"),
            dir.to_str().expect("utf-8"),
        ]);
        assert_refused(&out, &format!("compare with {case}"), needles);
        seen.push(format!("{case}: {line}"));
    }
    // An empty run folder and a folder that is not there.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let out = pywebbench(&["analyze", empty.to_str().expect("utf-8")]);
    seen.push(format!(
        "empty folder: {}",
        assert_refused(&out, "empty folder", &["manifest.json", "pywebbench run"])
    ));
    eprintln!("{}", seen.join("\n"));
    // The good run still analyses (the refusals above are about the data).
    let out = pywebbench(&["analyze", good.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
