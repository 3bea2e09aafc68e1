//! The reader against other writers' files and bad input: each failure is a typed
//! error whose message names the cause and the fix.

use analysis::schema::ErrorKind;
use analysis::{AnalysisError, parse_manifest, read_resources, read_samples};

const PYARROW: &[u8] = include_bytes!("fixtures/pyarrow_samples.parquet");
const POLARS: &[u8] = include_bytes!("fixtures/polars_samples.parquet");

fn check_fixture_rows(bytes: &[u8]) {
    let c = read_samples(bytes).unwrap();
    assert_eq!(c.len(), 6);
    let r = c.to_records();
    assert_eq!(r[0].stack, "flask-sqlite3");
    assert_eq!(r[4].scenario, "warmup_hello");
    assert_eq!(r[1].error, Some(ErrorKind::HttpStatus));
    assert_eq!(r[3].error, Some(ErrorKind::Timeout));
    assert_eq!(r[0].error, None);
    // Unsigned extremes survive INT32/INT64 storage.
    assert_eq!(r[5].vu, u32::MAX);
    assert_eq!(r[5].iteration, u64::MAX);
    assert_eq!(r[5].bytes_in, u64::MAX);
    assert_eq!(r[5].status, 65535);
    assert_eq!(r[2].latency_ns, 13_400_000);
    assert_eq!(c.run_id, None);
}

#[test]
fn reads_pyarrow_files_with_nullable_columns_and_dictionaries() {
    check_fixture_rows(PYARROW);
}

#[test]
fn reads_polars_lz4_files() {
    check_fixture_rows(POLARS);
}

fn err(bytes: &[u8]) -> AnalysisError {
    read_samples(bytes).unwrap_err()
}

#[test]
fn refuses_what_is_not_parquet() {
    let e = err(b"stack,repetition\nflask,1\n");
    assert!(matches!(e, AnalysisError::NotParquet { .. }), "{e}");
    assert!(e.to_string().contains("pywebbench run"), "{e}");
    assert!(matches!(err(b""), AnalysisError::NotParquet { .. }));
}

#[test]
fn refuses_a_truncated_file() {
    let e = err(&PYARROW[..PYARROW.len() / 2]);
    assert!(matches!(e, AnalysisError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("truncated"), "{e}");
    // Footer intact but its length field corrupted.
    let mut broken = PYARROW.to_vec();
    let n = broken.len();
    broken[n - 8..n - 4].copy_from_slice(&(n as u32 * 2).to_le_bytes());
    assert!(matches!(err(&broken), AnalysisError::Corrupt { .. }));
}

#[test]
fn names_the_missing_column() {
    let e = err(include_bytes!("fixtures/missing_column_samples.parquet"));
    assert!(
        matches!(
            e,
            AnalysisError::MissingColumn {
                column: "ttfb_ns",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("write_samples"), "{e}");
    // A resources file passed as samples.
    let e = err(&analysis::write_resources(&[]).unwrap_or_default());
    assert!(
        matches!(
            e,
            AnalysisError::MissingColumn { .. } | AnalysisError::Empty { .. }
        ),
        "{e}"
    );
}

#[test]
fn names_the_wrongly_typed_column() {
    let e = err(include_bytes!("fixtures/wrong_type_samples.parquet"));
    assert!(
        matches!(
            e,
            AnalysisError::WrongType {
                column: "latency_ns",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("DOUBLE"), "{e}");
}

#[test]
fn refuses_empty_and_zstd() {
    let e = err(include_bytes!("fixtures/empty_samples.parquet"));
    assert!(matches!(e, AnalysisError::Empty { .. }), "{e}");
    let e = err(include_bytes!("fixtures/zstd_samples.parquet"));
    assert!(matches!(e, AnalysisError::UnsupportedCodec { .. }), "{e}");
    assert!(e.to_string().contains("snappy"), "{e}");
}

#[test]
fn manifest_errors() {
    let e = parse_manifest(b"{\"schema_version\": 7, \"whatever\": true}").unwrap_err();
    assert!(
        matches!(e, AnalysisError::FutureSchema { found: 7, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("update pywebbench"), "{e}");
    let e = parse_manifest(b"{\"schema_version\": 1}").unwrap_err();
    assert!(matches!(e, AnalysisError::BadManifest { .. }), "{e}");
    let e = parse_manifest(b"not json").unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
}

#[test]
fn resources_of_samples_file_is_a_missing_column() {
    let e = read_resources(PYARROW).unwrap_err();
    assert!(
        matches!(
            e,
            AnalysisError::MissingColumn {
                column: "phase",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn refuses_bad_values_naming_the_column() {
    let e = err(include_bytes!("fixtures/null_stack_samples.parquet"));
    assert!(
        matches!(
            e,
            AnalysisError::NullValue {
                column: "stack",
                ..
            }
        ),
        "{e}"
    );
    let e = err(include_bytes!("fixtures/not_utf8_samples.parquet"));
    assert!(
        matches!(
            e,
            AnalysisError::InvalidValue {
                column: "scenario",
                why: "not UTF-8 text",
                ..
            }
        ),
        "{e}"
    );
    let e = err(include_bytes!(
        "fixtures/negative_repetition_samples.parquet"
    ));
    assert!(
        matches!(
            e,
            AnalysisError::InvalidValue {
                column: "repetition",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("-2"), "{e}");
}
