//! `pywebbench repack` on real samples (a slice of the published k6 run, schema v1,
//! `tests/fixtures/k6_subset`): the new `samples/<stack>.parquet` hold every logical
//! value, pyarrow and DuckDB rebuild the same columns as the Rust reader
//! (`layout_check.py`), bad input is refused in one line with the original kept.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use analysis::write::{Layout, write_sample_columns_layout_to};
use common::{output_text, python, pywebbench};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k6_subset")
}

fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in ["manifest.json", "samples.parquet"] {
        std::fs::copy(fixture().join(f), to.join(f)).expect("copy fixture");
    }
}

fn read_dir_samples(run: &Path) -> analysis::SampleColumns {
    let mut files: Vec<PathBuf> = std::fs::read_dir(run.join("samples"))
        .expect("samples/")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    let slices: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    analysis::read_samples_files(&slices).expect("the new layout reads")
}

#[test]
fn repack_is_lossless_and_python_rebuilds_the_rust_readers_columns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = tmp.path().join("run");
    copy_fixture(&run);
    let original =
        analysis::read_samples(&std::fs::read(run.join("samples.parquet")).expect("read"))
            .expect("the fixture reads");
    // k6: end_ns is not start + connect + latency, so end_extra_ns is not all zero.
    assert!((0..original.len()).any(|i| {
        original.end_ns[i] != original.start_ns[i] + original.connect_ns[i] + original.latency_ns[i]
    }));

    let out = pywebbench().arg("repack").arg(&run).output().expect("runs");
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified"));
    assert!(
        !run.join("samples.parquet").exists(),
        "the original goes once verified"
    );
    assert!(!run.join(".samples.repack.tmp").exists());
    let mut names: Vec<String> = std::fs::read_dir(run.join("samples"))
        .expect("samples/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut stacks = original.stacks.clone();
    stacks.sort();
    assert_eq!(
        names,
        stacks
            .iter()
            .map(|s| format!("{s}.parquet"))
            .collect::<Vec<_>>()
    );
    let repacked = read_dir_samples(&run);
    assert_eq!(original.first_difference(&repacked), None);
    assert_eq!(repacked.run_id.as_deref(), Some("20261130T100723Z-vm-k6"));

    // What the Rust reader rebuilt, with every logical column, for Python to compare.
    let expected = tmp.path().join("expected.parquet");
    let mut file = std::fs::File::create(&expected).expect("create");
    write_sample_columns_layout_to(&mut file, &repacked, None, Layout::V1).expect("write");
    drop(file);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/layout_check.py");
    let out = Command::new(python())
        .arg(script)
        .arg(&run)
        .arg(&expected)
        .output()
        .expect("python runs (run `just setup` for .venv with pyarrow and duckdb)");
    assert!(out.status.success(), "{}", output_text(&out));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(seen["rows"], original.len());
    assert_eq!(seen["files"], names.len());
    // Readback (the run tests' check) reads the new layout too.
    let counts = common::readback_samples_only(&run);
    assert_eq!(counts, original.len());

    // Again: nothing to do.
    let out = pywebbench().arg("repack").arg(&run).output().expect("runs");
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
}

#[test]
fn an_interrupted_repack_is_finished_and_bad_input_is_refused_keeping_the_original() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Stopped after the rename, before removing samples.parquet: verified and finished.
    let run = tmp.path().join("both");
    copy_fixture(&run);
    let done = tmp.path().join("done");
    copy_fixture(&done);
    let out = pywebbench()
        .arg("repack")
        .arg(&done)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", output_text(&out));
    std::fs::rename(done.join("samples"), run.join("samples")).expect("move");
    std::fs::create_dir_all(run.join(".samples.repack.tmp")).expect("stale staging");
    let out = pywebbench().arg("repack").arg(&run).output().expect("runs");
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!run.join("samples.parquet").exists());

    // A corrupt samples.parquet: one line naming it, nothing removed or written.
    let bad = tmp.path().join("bad");
    copy_fixture(&bad);
    let bytes = std::fs::read(bad.join("samples.parquet")).expect("read");
    std::fs::write(bad.join("samples.parquet"), &bytes[..bytes.len() / 2]).expect("truncate");
    let out = pywebbench().arg("repack").arg(&bad).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("samples.parquet") && err.contains("corrupt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(bad.join("samples.parquet"))
            .expect("kept")
            .len(),
        bytes.len() / 2
    );
    assert!(!bad.join("samples").exists());

    // Not a run folder.
    let out = pywebbench()
        .arg("repack")
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a run folder") && err.contains("pywebbench run"),
        "{err}"
    );
}
