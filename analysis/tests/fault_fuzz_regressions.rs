//! Replays what the fuzzers found and the seed corpora (`analysis/fuzz/`) through the
//! readers on stable Rust, as part of `cargo test`: no input may panic, every error is
//! one line. The long fuzzing runs themselves are `just fuzz` (see docs/reliability.md).

use std::path::{Path, PathBuf};

use analysis::error::AnalysisError;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn one_line<T>(r: Result<T, AnalysisError>, name: &str) {
    if let Err(e) = r {
        let msg = e.to_string();
        assert!(!msg.is_empty() && !msg.contains('\n'), "{name}: {msg:?}");
    }
}

#[test]
fn fault_fuzz_corpus_and_regressions_replay_without_panics() {
    let mut n = 0;
    for sub in ["seeds", "regressions"] {
        for path in files_under(&fuzz_dir().join(sub)) {
            let bytes = std::fs::read(&path).expect("read input");
            let name = path.display().to_string();
            one_line(analysis::read_samples(&bytes), &name);
            one_line(analysis::read_samples_for_analysis(&bytes), &name);
            one_line(analysis::read_resources(&bytes), &name);
            one_line(analysis::parse_manifest(&bytes), &name);
            n += 1;
        }
    }
    assert!(n >= 8, "only {n} inputs: the corpus is missing");
}

#[test]
fn fault_fuzz_crash_1fa82b59_corrupt_dictionary_page_is_a_corrupt_file_error() {
    // libFuzzer input that made parquet 60.1 panic in bit_util.rs ("assertion failed:
    // size <= src.len()") while decoding a BYTE_ARRAY dictionary page.
    let bytes = std::fs::read(
        fuzz_dir().join("regressions/read_samples/crash-1fa82b59bd56cfef440dc661fbce34b4e00c0177"),
    )
    .expect("regression input");
    let err = analysis::read_samples(&bytes).expect_err("a corrupt file");
    let msg = err.to_string();
    assert!(
        matches!(err, AnalysisError::Corrupt { .. }),
        "not reported as corrupt: {msg}"
    );
    assert!(msg.contains("samples.parquet"), "{msg}");
    assert!(
        msg.contains("copy the file again"),
        "the fix is named: {msg}"
    );
}

#[test]
fn fault_fuzz_oom_7dc415cf_huge_dictionary_count_is_refused_before_allocating() {
    // libFuzzer input whose INT64 dictionary page header claims so many values that
    // parquet 60.1 would allocate ~14 GB (decoding.rs set_dict) for a 5 KB file.
    let bytes = std::fs::read(
        fuzz_dir().join("regressions/read_samples/oom-7dc415cf3e37db0866b368b3a3612f95ae15ec0b"),
    )
    .expect("regression input");
    let err = analysis::read_samples(&bytes).expect_err("a corrupt file");
    let msg = err.to_string();
    assert!(
        matches!(err, AnalysisError::Corrupt { .. }),
        "not reported as corrupt: {msg}"
    );
    assert!(msg.contains("dictionary page claims"), "{msg}");
}
