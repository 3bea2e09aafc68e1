//! Schema v2's offsets (data/README.md#layout): lossless for any value, both layouts read
//! into the same logical columns, all-zero offsets cost next to nothing, several
//! per-stack files read as one run; data/README.md, the column table and the written
//! files list the same columns.

use analysis::columns::{
    END_EXTRA_NS, SAMPLE_COLUMNS, SCHEDULE_LAG_NS, STORED_COLUMNS, TRANSFER_NS,
};
use analysis::read::META_SCHEMA_VERSION;
use analysis::schema::{ErrorKind, SampleRecord};
use analysis::write::{Layout, write_sample_columns_layout_to};
use analysis::{
    AnalysisError, SampleColumns, read_samples, read_samples_files, read_samples_files_for_analysis,
};
use parquet::file::reader::{FileReader, SerializedFileReader};

fn rec(stack: &str, i: i64, scheduled: i64, end_extra: i64) -> SampleRecord {
    let start = 1_000_000 + i * 997;
    // Pseudo-random low bits, as real durations have.
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let latency = 300_000 + ((h >> 40) % 50_000) as i64;
    let connect = if i % 10 == 0 { 20_000 } else { 0 };
    SampleRecord {
        stack: stack.into(),
        repetition: 1 + (i % 3) as u32,
        scenario: if i % 2 == 0 { "hello" } else { "get_one" }.into(),
        vu: (i % 50) as u32,
        iteration: i as u64,
        scheduled_ns: scheduled,
        start_ns: start,
        end_ns: start + connect + latency + end_extra,
        latency_ns: latency,
        ttfb_ns: latency - 1_000 - ((h >> 20) % 3_000) as i64,
        connect_ns: connect,
        status: if i % 97 == 0 { 500 } else { 200 },
        bytes_in: 120,
        bytes_out: 80,
        error: if i % 97 == 0 {
            Some(ErrorKind::HttpStatus)
        } else {
            None
        },
    }
}

fn write(cols: &SampleColumns, layout: Layout) -> Vec<u8> {
    let mut out = Vec::new();
    write_sample_columns_layout_to(&mut out, cols, Some("run-1"), layout).expect("write");
    out
}

fn column_names(bytes: &[u8]) -> Vec<String> {
    let r = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)).expect("parquet");
    let schema = r.metadata().file_metadata().schema_descr();
    (0..schema.num_columns())
        .map(|i| schema.column(i).name().to_string())
        .collect()
}

fn column_bytes(bytes: &[u8], name: &str) -> i64 {
    let r = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)).expect("parquet");
    r.metadata()
        .row_groups()
        .iter()
        .flat_map(|rg| rg.columns())
        .filter(|c| c.column_descr().name() == name)
        .map(|c| c.compressed_size())
        .sum()
}

fn version(bytes: &[u8]) -> String {
    let r = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)).expect("parquet");
    r.metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == META_SCHEMA_VERSION).cloned())
        .and_then(|k| k.value)
        .expect("version in metadata")
}

#[test]
fn both_layouts_read_back_every_logical_value_even_extreme_ones() {
    let mut records: Vec<SampleRecord> = (0..5_000)
        .map(|i| {
            rec(
                "fastapi-sqlite3",
                i,
                1_000_000 + i * 997 - (i % 5) * 100,
                i % 3,
            )
        })
        .collect();
    // Values whose offsets overflow i64: still exact (wrapping differences).
    let mut wild = rec("fastapi-sqlite3", 5_000, i64::MIN, 0);
    wild.start_ns = i64::MAX;
    wild.end_ns = i64::MIN + 3;
    wild.latency_ns = i64::MAX - 1;
    wild.ttfb_ns = i64::MIN;
    wild.connect_ns = -7;
    records.push(wild);
    let cols = SampleColumns::from_records(&records);
    let v1 = write(&cols, Layout::V1);
    let v2 = write(&cols, Layout::V2);
    assert_eq!(column_names(&v1), SAMPLE_COLUMNS);
    assert_eq!(column_names(&v2), STORED_COLUMNS);
    assert_eq!(version(&v1), "1");
    assert_eq!(version(&v2), "2");
    for bytes in [&v1, &v2] {
        let back = read_samples(bytes).expect("read");
        assert_eq!(cols.first_difference(&back), None);
        assert_eq!(back.run_id.as_deref(), Some("run-1"));
        let analysis_only = read_samples_files_for_analysis(&[bytes]).expect("read");
        let order = back.sorted_order();
        assert_eq!(analysis_only.ttfb_ns, back.ttfb_ns, "same order, same ttfb");
        assert!(order.windows(2).all(|w| w[0] < w[1]), "the file is sorted");
    }
}

#[test]
fn zero_offsets_cost_next_to_nothing_and_beat_the_raw_columns() {
    // Closed model (scheduled = start), native generator (end = start + connect + latency).
    let records: Vec<SampleRecord> = (0..200_000)
        .map(|i| rec("flask-sqlite3", i, 1_000_000 + i * 997, 0))
        .collect();
    let cols = SampleColumns::from_records(&records);
    let (v1, v2) = (write(&cols, Layout::V1), write(&cols, Layout::V2));
    let n = records.len() as f64;
    for name in [SCHEDULE_LAG_NS, END_EXTRA_NS] {
        let per_row = column_bytes(&v2, name) as f64 / n;
        assert!(per_row < 0.01, "{name}: {per_row} bytes per row");
    }
    assert!(column_bytes(&v1, "end_ns") as f64 / n > 0.5);
    assert!(
        column_bytes(&v2, TRANSFER_NS) < column_bytes(&v1, "ttfb_ns"),
        "transfer_ns is smaller than ttfb_ns"
    );
    assert!(
        v2.len() * 10 < v1.len() * 8,
        "v2 {} vs v1 {} bytes",
        v2.len(),
        v1.len()
    );
}

#[test]
fn per_stack_files_read_as_one_run_and_other_runs_are_refused() {
    let a: Vec<SampleRecord> = (0..300)
        .map(|i| rec("django-drf", i, 1_000_000 + i * 997, 5))
        .collect();
    let b: Vec<SampleRecord> = (0..200)
        .map(|i| rec("flask-sqlite3", i, 1_000_000 + i * 997, 0))
        .collect();
    let all = SampleColumns::from_records(&[a.clone(), b.clone()].concat());
    let split = all.split_by_stack();
    assert_eq!(
        split
            .iter()
            .map(|(s, c)| (s.as_str(), c.len()))
            .collect::<Vec<_>>(),
        [("django-drf", 300), ("flask-sqlite3", 200)]
    );
    let files: Vec<Vec<u8>> = split.iter().map(|(_, c)| write(c, Layout::V2)).collect();
    // Mixed layouts too: an old v1 file beside new ones still reads.
    let old = write(&split[0].1, Layout::V1);
    for pair in [[&files[0], &files[1]], [&old, &files[1]]] {
        let back = read_samples_files(&[pair[0], pair[1]]).expect("read");
        assert_eq!(all.first_difference(&back), None);
    }
    let mut other = Vec::new();
    write_sample_columns_layout_to(&mut other, &split[1].1, Some("run-2"), Layout::V2)
        .expect("write");
    assert!(matches!(
        read_samples_files(&[&files[0], &other]),
        Err(AnalysisError::SamplesFromManyRuns { .. })
    ));
    assert!(matches!(
        read_samples_files(&[]),
        Err(AnalysisError::NoSampleFiles)
    ));
}

/// data/README.md (the public description of the files), the column table
/// (`analysis::columns::COLUMNS`) and the files the writer makes name the same
/// columns, in the same order, with the same types.
#[test]
fn the_readme_the_column_table_and_the_written_files_agree() {
    use analysis::columns::{COLUMNS, ColumnType};
    use parquet::basic::{IntType, LogicalType, Repetition, Type as Physical};

    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/README.md"))
        .expect("data/README.md");
    let cells = |line: &str| -> Vec<String> {
        line.split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect()
    };
    // The sample-column table: the first table after "## Samples".
    let documented: Vec<(String, String)> = readme
        .lines()
        .skip_while(|l| !l.starts_with("## Samples"))
        .skip_while(|l| !l.starts_with("| column | type |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let c = cells(l);
            (c[1].clone(), c[2].clone())
        })
        .collect();
    let table: Vec<(String, String)> = COLUMNS
        .iter()
        .map(|c| (c.name.to_string(), c.ty.readme().to_string()))
        .collect();
    assert_eq!(documented, table, "data/README.md's sample columns");
    // The layout table: the offsets, in file order.
    let offsets: Vec<String> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| stored column |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| cells(l)[1].clone())
        .collect();
    let table_offsets: Vec<&str> = COLUMNS
        .iter()
        .filter_map(|c| c.offset.map(|o| o.stored))
        .collect();
    assert_eq!(offsets, table_offsets, "data/README.md's offsets");
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let listed = flat
        .split("The stored columns, in file order: `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the stored columns' list");
    assert_eq!(listed.split(", ").collect::<Vec<_>>(), STORED_COLUMNS);

    // The written files: names, order and the Parquet type of each documented type.
    let cols = SampleColumns::from_records(&[rec("django-drf", 1, 1_000_000, 0)]);
    for (layout, names) in [(Layout::V1, SAMPLE_COLUMNS), (Layout::V2, STORED_COLUMNS)] {
        let bytes = write(&cols, layout);
        assert_eq!(column_names(&bytes), names, "{layout:?}");
        let r = SerializedFileReader::new(bytes::Bytes::copy_from_slice(&bytes)).expect("parquet");
        let schema = r.metadata().file_metadata().schema_descr();
        for (i, spec) in COLUMNS.iter().enumerate() {
            let c = schema.column(i);
            let ty = match (layout, spec.offset) {
                (Layout::V2, Some(_)) => ColumnType::I64,
                _ => spec.ty,
            };
            let int = |bits, signed| {
                Some(LogicalType::Integer(IntType {
                    bit_width: bits,
                    is_signed: signed,
                }))
            };
            let expected = match ty.readme() {
                "string" => (
                    Physical::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Repetition::REQUIRED,
                ),
                "string, nullable" => (
                    Physical::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Repetition::OPTIONAL,
                ),
                "uint16" => (Physical::INT32, int(16, false), Repetition::REQUIRED),
                "uint32" => (Physical::INT32, int(32, false), Repetition::REQUIRED),
                "uint64" => (Physical::INT64, int(64, false), Repetition::REQUIRED),
                "int64" => (Physical::INT64, None, Repetition::REQUIRED),
                other => panic!("{}: no Parquet type for `{other}`", spec.name),
            };
            let found = (
                c.physical_type(),
                c.logical_type_ref().cloned(),
                c.self_type().get_basic_info().repetition(),
            );
            assert_eq!(found, expected, "{layout:?} {}", c.name());
        }
    }
}

/// The writer still writes what it wrote: the smallest published schema v2 sample
/// file, read and written again, is the same file byte for byte (schema, encodings,
/// pages, metadata).
#[test]
fn a_published_samples_file_is_written_again_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/published");
    let smallest = std::fs::read_dir(&root)
        .expect("data/published")
        .flatten()
        .filter_map(|run| std::fs::read_dir(run.path().join("samples")).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .min_by_key(|p| std::fs::metadata(p).map_or(u64::MAX, |m| m.len()))
        .expect("a published run with samples/<stack>.parquet");
    let original = std::fs::read(&smallest).expect("read");
    let cols = read_samples(&original).expect("it reads");
    let again = analysis::write::write_sample_columns(&cols, None).expect("write");
    assert!(
        again == original,
        "{}: {} bytes written again, {} published",
        smallest.display(),
        again.len(),
        original.len()
    );
}
