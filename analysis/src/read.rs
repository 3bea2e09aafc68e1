//! Reading sample files, `resources.parquet` and `manifest.json` from bytes.
//!
//! Sample files come in two layouts (data/README.md#versions): schema v1 stores every
//! logical column ([`SAMPLE_COLUMNS`]); schema v2 stores `scheduled_ns`, `end_ns` and
//! `ttfb_ns` as offsets ([`STORED_COLUMNS`]), told apart by its `transfer_ns` column.
//! Both are read into the same logical [`SampleColumns`], each column as the column
//! table ([`crate::columns::COLUMNS`]) says: its type, its range check, whether the
//! analysis needs it, its offset. The Parquet plumbing (checks, typed column
//! readers) is in `read/parquet_file.rs`.
//!
//! Uses the `parquet` crate's low-level column readers (no `arrow` feature), so the
//! same code runs natively and in wasm32. Columns are matched by name; integer
//! columns may be stored as INT32 or INT64 (pyarrow and polars differ), values are
//! range-checked on conversion.

use crate::columns::{COLUMNS, ColumnMut, SampleColumns, TRANSFER_NS};
pub use crate::columns::{SAMPLE_COLUMNS, STORED_COLUMNS};
use crate::error::{AnalysisError, Result};
use crate::schema::{
    ErrorKind, MANIFEST_FILE, Manifest, RESOURCES_FILE, ResourceRecord, SAMPLES_FILE,
    SCHEMA_VERSION,
};

/// Key in the Parquet file's key-value metadata naming the run the file belongs to.
pub const META_RUN_ID: &str = "pywebbench.run_id";
/// Key in the Parquet file's key-value metadata holding [`SCHEMA_VERSION`].
pub const META_SCHEMA_VERSION: &str = "pywebbench.schema_version";

mod parquet_file;

use parquet_file::{ParquetFile, corrupt_msg};

/// Which columns to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Columns {
    All,
    Analysis,
}

/// Read one sample file (either layout) completely (every logical column).
pub fn read_samples(bytes: &[u8]) -> Result<SampleColumns> {
    read_samples_inner(bytes, Columns::All)
}

/// Read a run's sample files (its `samples/<stack>.parquet`, or its one
/// `samples.parquet`) completely, appended in the given order; refuses files of
/// different runs.
pub fn read_samples_files(files: &[&[u8]]) -> Result<SampleColumns> {
    read_many(files, Columns::All)
}

/// [`read_samples_files`] with only the columns [`crate::summarize`] needs.
pub fn read_samples_files_for_analysis(files: &[&[u8]]) -> Result<SampleColumns> {
    read_many(files, Columns::Analysis)
}

fn read_many(files: &[&[u8]], which: Columns) -> Result<SampleColumns> {
    let mut all: Option<SampleColumns> = None;
    for bytes in files {
        let c = read_samples_inner(bytes, which)?;
        match &mut all {
            None => all = Some(c),
            Some(a) => {
                if let (Some(first), Some(other)) = (&a.run_id, &c.run_id)
                    && first != other
                {
                    return Err(AnalysisError::SamplesFromManyRuns {
                        first: first.clone(),
                        other: other.clone(),
                    });
                }
                a.append(&c);
            }
        }
    }
    all.ok_or(AnalysisError::NoSampleFiles)
}

/// Read only the columns [`crate::summarize`] needs (stack, repetition, scenario,
/// latency_ns, ttfb_ns, error): less memory and time, for the browser. The other
/// columns are left empty.
pub fn read_samples_for_analysis(bytes: &[u8]) -> Result<SampleColumns> {
    read_samples_inner(bytes, Columns::Analysis)
}

/// The run id stored in a samples/resources file's metadata, if the writer set one.
pub fn parquet_run_id(bytes: &[u8], file: &'static str) -> Result<Option<String>> {
    decoder_guard(file, || {
        Ok(ParquetFile::open(file, bytes)?.meta_value(META_RUN_ID))
    })
}

/// The `parquet` crate panics on some corrupt pages instead of returning an error
/// (found by `analysis/fuzz`: parquet 60.1 `bit_util.rs` "assertion failed: size <=
/// src.len()" on a dictionary page shorter than its value lengths say). Natively
/// such a panic is caught, kept off stderr, and reported as a corrupt file. On wasm32
/// panics abort, so the viewer's panic hook reports it instead.
#[cfg(not(target_arch = "wasm32"))]
fn decoder_guard<T>(file: &'static str, read: impl FnOnce() -> Result<T>) -> Result<T> {
    use std::cell::Cell;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Once;

    thread_local! {
        static QUIET: Cell<u32> = const { Cell::new(0) };
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(read));
    QUIET.with(|q| q.set(q.get() - 1));
    result.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        Err(AnalysisError::Corrupt {
            file,
            detail: format!("the Parquet decoder failed: {}", what.replace('\n', " ")),
        })
    })
}

#[cfg(target_arch = "wasm32")]
fn decoder_guard<T>(_file: &'static str, read: impl FnOnce() -> Result<T>) -> Result<T> {
    read()
}

fn read_samples_inner(bytes: &[u8], which: Columns) -> Result<SampleColumns> {
    decoder_guard(SAMPLES_FILE, || read_samples_unguarded(bytes, which))
}

fn read_samples_unguarded(bytes: &[u8], which: Columns) -> Result<SampleColumns> {
    let f = ParquetFile::open(SAMPLES_FILE, bytes)?;
    if f.num_rows() == 0 {
        return Err(AnalysisError::Empty { file: SAMPLES_FILE });
    }
    let mut c = SampleColumns {
        run_id: f.meta_value(META_RUN_ID),
        ..SampleColumns::default()
    };
    // Schema v2 (offsets) has `transfer_ns`; anything else is read as v1.
    let offsets = f.has_column(TRANSFER_NS);
    let stored = |k: usize| {
        if offsets {
            STORED_COLUMNS[k]
        } else {
            SAMPLE_COLUMNS[k]
        }
    };
    // Check every column exists and has a usable type before reading any, so a
    // wrong file fails fast with the first missing column.
    for k in 0..COLUMNS.len() {
        f.column_index(stored(k))?;
    }
    // The analysis columns first, then (for a complete read) the others.
    let wanted: Vec<usize> = (0..COLUMNS.len())
        .filter(|&k| COLUMNS[k].analysis)
        .chain((0..COLUMNS.len()).filter(|&k| which == Columns::All && !COLUMNS[k].analysis))
        .collect();
    // An offset's stored values, decoded once its base columns are read.
    let mut encoded: Vec<(usize, Vec<i64>)> = Vec::new();
    for &k in &wanted {
        let (spec, name) = (&COLUMNS[k], stored(k));
        match &mut c.columns_mut()[k] {
            ColumnMut::Name(codes, dict) => **codes = f.required_strings(name, dict)?,
            ColumnMut::U16(v) => **v = f.unsigned(name, spec.range)?,
            ColumnMut::U32(v) => **v = f.unsigned(name, spec.range)?,
            ColumnMut::U64(v) => **v = f.u64s(name)?,
            ColumnMut::I64(_) if offsets && spec.offset.is_some() => {
                encoded.push((k, f.ints(name)?))
            }
            ColumnMut::I64(v) => **v = f.ints(name)?,
            ColumnMut::Error(v) => **v = read_errors(&f, name)?,
        }
    }
    let n = c.len();
    let lens = c.columns().map(|col| col.len());
    if wanted
        .iter()
        .any(|&k| lens[k] != n && encoded.iter().all(|(e, _)| *e != k))
        || encoded.iter().any(|(_, v)| v.len() != n)
        || n != f.num_rows()
    {
        return Err(corrupt_msg(SAMPLES_FILE, "columns have different lengths"));
    }
    for (k, values) in encoded {
        let Some(offset) = COLUMNS[k].offset else {
            continue;
        };
        let decoded = (offset.decode)(&c, &values);
        if let ColumnMut::I64(v) = &mut c.columns_mut()[k] {
            **v = decoded;
        }
    }
    // Repetition 0 is the profiled repetition of a `run --profile` run; in any other
    // run the summary refuses it as a repetition the manifest does not list.
    Ok(c)
}

/// The `error` column: null or one of the [`ErrorKind`] names.
fn read_errors(f: &ParquetFile, column: &'static str) -> Result<Vec<Option<ErrorKind>>> {
    let mut kinds: Vec<String> = Vec::new();
    let codes = f.strings(column, true, &mut kinds)?;
    let mut kind_of = Vec::with_capacity(kinds.len());
    for k in &kinds {
        kind_of.push(
            ErrorKind::parse(k).ok_or_else(|| AnalysisError::InvalidValue {
                file: SAMPLES_FILE,
                column,
                value: k.clone(),
                why: "not one of http_status, timeout, connect, io, protocol or null",
            })?,
        );
    }
    Ok(codes
        .into_iter()
        .map(|code| code.map(|k| kind_of[k as usize]))
        .collect())
}

/// The required columns of `resources.parquet`, in file order (= the first
/// [`ResourceRecord`] fields).
pub const RESOURCE_COLUMNS: [&str; 7] = [
    "stack",
    "repetition",
    "phase",
    "t_ns",
    "cpu_percent",
    "mem_bytes",
    "mem_limit_bytes",
];

/// The nullable columns of `resources.parquet` that follow [`RESOURCE_COLUMNS`]
/// (the sampler's CPU breakdown). Files written before they existed lack them: read
/// as null.
pub const RESOURCE_OPTIONAL_COLUMNS: [&str; 13] = [
    "interval_ns",
    "server_cpu_ns",
    "generator_cpu_ns",
    "proxy_cpu_ns",
    "host_busy_ns",
    "host_iowait_ns",
    "host_steal_ns",
    "host_idle_ns",
    "host_cpus",
    "generator_cpus",
    "generator_cpus_busy_ns",
    "server_cpus",
    "server_cpus_busy_ns",
];

/// Read `resources.parquet`. An empty file is allowed (no readings were taken).
pub fn read_resources(bytes: &[u8]) -> Result<Vec<ResourceRecord>> {
    decoder_guard(RESOURCES_FILE, || read_resources_unguarded(bytes))
}

fn read_resources_unguarded(bytes: &[u8]) -> Result<Vec<ResourceRecord>> {
    let f = ParquetFile::open(RESOURCES_FILE, bytes)?;
    for col in RESOURCE_COLUMNS {
        f.column_index(col)?;
    }
    let mut stacks = Vec::new();
    let mut phases = Vec::new();
    let stack = f.required_strings("stack", &mut stacks)?;
    let repetition: Vec<u32> = f.unsigned("repetition", "a repetition number is 1..=4294967295")?;
    let phase = f.required_strings("phase", &mut phases)?;
    let t_ns = f.ints("t_ns")?;
    let cpu = f.f64s("cpu_percent")?;
    let mem = f.u64s("mem_bytes")?;
    let limit = f.u64s("mem_limit_bytes")?;
    let n = stack.len();
    let mut optional: Vec<Vec<Option<i64>>> = Vec::with_capacity(RESOURCE_OPTIONAL_COLUMNS.len());
    for col in RESOURCE_OPTIONAL_COLUMNS {
        let values = f.optional_ints(col)?.unwrap_or_else(|| vec![None; n]);
        let (low, high, why) = if col.ends_with("_cpus") {
            (0, i64::from(u32::MAX), "a CPU count is 0..=4294967295")
        } else {
            (0, i64::MAX, "a time in ns here cannot be negative")
        };
        if let Some(v) = values.iter().flatten().find(|&&v| v < low || v > high) {
            return Err(AnalysisError::InvalidValue {
                file: RESOURCES_FILE,
                column: col,
                value: v.to_string(),
                why,
            });
        }
        optional.push(values);
    }
    if [
        repetition.len(),
        phase.len(),
        t_ns.len(),
        cpu.len(),
        mem.len(),
        limit.len(),
    ]
    .iter()
    .chain(optional.iter().map(Vec::len).collect::<Vec<_>>().iter())
    .any(|&l| l != n)
    {
        return Err(corrupt_msg(
            RESOURCES_FILE,
            "columns have different lengths",
        ));
    }
    let opt = |c: usize, i: usize| optional[c][i];
    let cpus = |c: usize, i: usize| optional[c][i].map(|v| v as u32);
    Ok((0..n)
        .map(|i| ResourceRecord {
            stack: stacks[stack[i] as usize].clone(),
            repetition: repetition[i],
            phase: phases[phase[i] as usize].clone(),
            t_ns: t_ns[i],
            cpu_percent: cpu[i],
            mem_bytes: mem[i],
            mem_limit_bytes: limit[i],
            interval_ns: opt(0, i),
            server_cpu_ns: opt(1, i),
            generator_cpu_ns: opt(2, i),
            proxy_cpu_ns: opt(3, i),
            host_busy_ns: opt(4, i),
            host_iowait_ns: opt(5, i),
            host_steal_ns: opt(6, i),
            host_idle_ns: opt(7, i),
            host_cpus: cpus(8, i),
            generator_cpus: cpus(9, i),
            generator_cpus_busy_ns: opt(10, i),
            server_cpus: cpus(11, i),
            server_cpus_busy_ns: opt(12, i),
        })
        .collect())
}

/// Parse `manifest.json`, refusing a manifest from a newer schema.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
    // Look at the version first, so a future manifest gets the right message even
    // when its fields changed.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| AnalysisError::BadManifest {
            detail: format!("{MANIFEST_FILE} is not JSON ({e})"),
        })?;
    if let Some(v) = value.get("schema_version").and_then(|v| v.as_u64())
        && v > SCHEMA_VERSION as u64
    {
        return Err(AnalysisError::FutureSchema {
            file: MANIFEST_FILE,
            found: v.min(u32::MAX as u64) as u32,
            supported: SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|e| AnalysisError::BadManifest {
        detail: e.to_string(),
    })
}
