//! Writing sample files and `resources.parquet` (feature `write`): the other
//! direction of [`crate::read`], so one crate owns the file layout.
//!
//! Sample files are written in schema v2's layout ([`crate::columns::STORED_COLUMNS`]:
//! `scheduled_ns`, `end_ns`, `ttfb_ns` as offsets) unless [`Layout::V1`] is asked for
//! (the old single-file layout, kept for tests of the readers' compatibility). Their
//! schema, encodings and values follow the column table ([`crate::columns::COLUMNS`]).
//!
//! Rows are sorted by stack, repetition, scenario (phase), start_ns (t_ns); strings
//! are dictionary-encoded, times and durations delta-encoded (DELTA_BINARY_PACKED);
//! pages are snappy-compressed; the file's key-value metadata carries
//! `pywebbench.schema_version` and, when given, `pywebbench.run_id`.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, Encoding};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use crate::columns::{COLUMNS, ColumnRef, ColumnType, SampleColumns};
use crate::error::{AnalysisError, Result};
use crate::read::{META_RUN_ID, META_SCHEMA_VERSION};
use crate::schema::{
    ErrorKind, RESOURCES_FILE, ResourceRecord, SAMPLES_FILE, SCHEMA_VERSION, SampleRecord,
};

/// Rows per row group.
const ROW_GROUP: usize = 1 << 20;

/// The sample files' layouts (data/README.md#versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Schema v1: `scheduled_ns`, `end_ns`, `ttfb_ns` stored as they are.
    V1,
    /// Schema v2: stored as `schedule_lag_ns`, `end_extra_ns`, `transfer_ns`.
    V2,
}

impl Layout {
    fn version(self) -> u32 {
        match self {
            Layout::V1 => 1,
            Layout::V2 => SCHEMA_VERSION,
        }
    }
}

/// The Parquet schema of a sample file in `layout`, from the column table
/// ([`crate::columns::COLUMNS`]; an offset is stored as INT64).
pub fn samples_schema(layout: Layout) -> String {
    let mut schema = String::from("\nmessage samples {\n");
    for spec in COLUMNS {
        let field = match (layout, spec.offset) {
            (Layout::V2, Some(o)) => ColumnType::I64.parquet_field(o.stored),
            _ => spec.ty.parquet_field(spec.name),
        };
        schema.push_str("  ");
        schema.push_str(&field);
        schema.push('\n');
    }
    schema.push('}');
    schema
}

/// The sample columns stored as DELTA_BINARY_PACKED instead of dictionary/PLAIN
/// (`ColumnSpec::delta`; an offset as its column): the times rise within a
/// scenario (sorted by start_ns) and the durations need ~28 of their 64 bits, so a
/// real quick run shrinks from 40.5 to 17.7 bytes per sample (still snappy, so
/// browsers read it). Small-valued columns (vu, status, bytes) stay
/// dictionary-encoded, which is smaller for them. An all-zero offset column costs a
/// few bytes per page (every miniblock has bit width 0).
fn samples_delta(layout: Layout) -> Vec<&'static str> {
    COLUMNS
        .iter()
        .filter(|c| c.delta)
        .map(|c| match layout {
            Layout::V1 => c.name,
            Layout::V2 => c.stored(),
        })
        .collect()
}

const RESOURCES_SCHEMA: &str = "
message resources {
  REQUIRED BYTE_ARRAY stack (STRING);
  REQUIRED INT32 repetition (INTEGER(32,false));
  REQUIRED BYTE_ARRAY phase (STRING);
  REQUIRED INT64 t_ns;
  REQUIRED DOUBLE cpu_percent;
  REQUIRED INT64 mem_bytes (INTEGER(64,false));
  REQUIRED INT64 mem_limit_bytes (INTEGER(64,false));
  OPTIONAL INT64 interval_ns;
  OPTIONAL INT64 server_cpu_ns;
  OPTIONAL INT64 generator_cpu_ns;
  OPTIONAL INT64 proxy_cpu_ns;
  OPTIONAL INT64 host_busy_ns;
  OPTIONAL INT64 host_iowait_ns;
  OPTIONAL INT64 host_steal_ns;
  OPTIONAL INT64 host_idle_ns;
  OPTIONAL INT32 host_cpus (INTEGER(32,false));
  OPTIONAL INT32 generator_cpus (INTEGER(32,false));
  OPTIONAL INT64 generator_cpus_busy_ns;
  OPTIONAL INT32 server_cpus (INTEGER(32,false));
  OPTIONAL INT64 server_cpus_busy_ns;
}";

fn werr(file: &'static str, e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Write {
        file,
        detail: e.to_string(),
    }
}

fn file_writer<W: Write + Send>(
    file: &'static str,
    schema: &str,
    out: W,
    run_id: Option<&str>,
    delta_columns: &[&str],
    version: u32,
) -> Result<SerializedFileWriter<W>> {
    let schema = Arc::new(parse_message_type(schema).map_err(|e| werr(file, e))?);
    let mut meta = vec![KeyValue::new(
        META_SCHEMA_VERSION.to_string(),
        version.to_string(),
    )];
    if let Some(id) = run_id {
        meta.push(KeyValue::new(META_RUN_ID.to_string(), id.to_string()));
    }
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(meta))
        .set_created_by(format!("pywebbench-analysis {}", env!("CARGO_PKG_VERSION")));
    for name in delta_columns.iter().filter(|n| schema_has(&schema, n)) {
        let col = ColumnPath::from(*name);
        props = props
            .set_column_dictionary_enabled(col.clone(), false)
            .set_column_encoding(col, Encoding::DELTA_BINARY_PACKED);
    }
    let props = props.build();
    SerializedFileWriter::new(out, schema, Arc::new(props)).map_err(|e| werr(file, e))
}

fn schema_has(schema: &parquet::schema::types::Type, name: &str) -> bool {
    schema.get_fields().iter().any(|f| f.name() == name)
}

fn column<T: DataType, W: Write + Send>(
    file: &'static str,
    rg: &mut SerializedRowGroupWriter<'_, W>,
    values: &[T::T],
    defs: Option<&[i16]>,
) -> Result<()> {
    let mut col = rg
        .next_column()
        .map_err(|e| werr(file, e))?
        .ok_or_else(|| werr(file, "schema has fewer columns than written"))?;
    col.typed::<T>()
        .write_batch(values, defs, None)
        .map_err(|e| werr(file, e))?;
    col.close().map_err(|e| werr(file, e))
}

/// Write samples (any order; the file is sorted) to bytes.
pub fn write_samples(records: &[SampleRecord]) -> Result<Vec<u8>> {
    write_sample_columns(&SampleColumns::from_records(records), None)
}

/// Write samples, recording the run id in the file so a manifest from another run is detected.
pub fn write_samples_for_run(records: &[SampleRecord], run_id: &str) -> Result<Vec<u8>> {
    write_sample_columns(&SampleColumns::from_records(records), Some(run_id))
}

/// Write complete sample columns (see [`SampleColumns::is_complete`]) to bytes.
pub fn write_sample_columns(cols: &SampleColumns, run_id: Option<&str>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_sample_columns_to(&mut out, cols, run_id)?;
    Ok(out)
}

/// Stream complete sample columns as Parquet (schema v2) into `out` (a file, a
/// buffer). `run_id` defaults to the columns' own.
pub fn write_sample_columns_to<W: Write + Send>(
    out: W,
    cols: &SampleColumns,
    run_id: Option<&str>,
) -> Result<()> {
    write_sample_columns_layout_to(out, cols, run_id, Layout::V2)
}

/// [`write_sample_columns_to`] in the given layout.
pub fn write_sample_columns_layout_to<W: Write + Send>(
    out: W,
    cols: &SampleColumns,
    run_id: Option<&str>,
    layout: Layout,
) -> Result<()> {
    let file = SAMPLES_FILE;
    let run_id = run_id.or(cols.run_id.as_deref());
    if !cols.is_complete() {
        return Err(werr(
            file,
            "the sample columns are incomplete (read with read_samples_for_analysis?); read them with read_samples",
        ));
    }
    let order = cols.sorted_order();
    let kinds: Vec<ByteArray> = ErrorKind::ALL
        .iter()
        .map(|k| ByteArray::from(k.as_str()))
        .collect();
    let mut w = file_writer(
        file,
        &samples_schema(layout),
        out,
        run_id,
        &samples_delta(layout),
        layout.version(),
    )?;
    let columns = cols.columns();
    for chunk in order.chunks(ROW_GROUP) {
        let mut rg = w.next_row_group().map_err(|e| werr(file, e))?;
        for (spec, col) in COLUMNS.iter().zip(&columns) {
            if let (Layout::V2, Some(offset)) = (layout, spec.offset) {
                column::<Int64Type, _>(file, &mut rg, &(offset.encode)(cols, chunk), None)?;
                continue;
            }
            match *col {
                ColumnRef::Name(codes, dict) => {
                    let names: Vec<ByteArray> =
                        dict.iter().map(|s| ByteArray::from(s.as_str())).collect();
                    let values: Vec<ByteArray> = chunk
                        .iter()
                        .map(|&i| names[codes[i] as usize].clone())
                        .collect();
                    column::<ByteArrayType, _>(file, &mut rg, &values, None)?;
                }
                ColumnRef::U16(v) => {
                    let values: Vec<i32> = chunk.iter().map(|&i| v[i] as i32).collect();
                    column::<Int32Type, _>(file, &mut rg, &values, None)?;
                }
                ColumnRef::U32(v) => {
                    let values: Vec<i32> = chunk.iter().map(|&i| v[i] as i32).collect();
                    column::<Int32Type, _>(file, &mut rg, &values, None)?;
                }
                ColumnRef::U64(v) => {
                    let values: Vec<i64> = chunk.iter().map(|&i| v[i] as i64).collect();
                    column::<Int64Type, _>(file, &mut rg, &values, None)?;
                }
                ColumnRef::I64(v) => {
                    let values: Vec<i64> = chunk.iter().map(|&i| v[i]).collect();
                    column::<Int64Type, _>(file, &mut rg, &values, None)?;
                }
                ColumnRef::Error(v) => {
                    // Null for success: one definition level per row, a value per error.
                    let mut defs = Vec::with_capacity(chunk.len());
                    let mut errs = Vec::new();
                    for &i in chunk {
                        match v[i] {
                            Some(k) => {
                                defs.push(1);
                                let pos = ErrorKind::ALL.iter().position(|&x| x == k).unwrap_or(0);
                                errs.push(kinds[pos].clone());
                            }
                            None => defs.push(0),
                        }
                    }
                    column::<ByteArrayType, _>(file, &mut rg, &errs, Some(&defs))?;
                }
            }
        }
        rg.close().map_err(|e| werr(file, e))?;
    }
    w.close().map_err(|e| werr(file, e))?;
    Ok(())
}

/// Write resource readings (any order; sorted by stack, repetition, t_ns) to bytes.
pub fn write_resources(records: &[ResourceRecord]) -> Result<Vec<u8>> {
    write_resources_for_run(records, None)
}

/// Write resource readings, recording the run id in the file.
pub fn write_resources_for_run(
    records: &[ResourceRecord],
    run_id: Option<&str>,
) -> Result<Vec<u8>> {
    let file = RESOURCES_FILE;
    let mut order: Vec<&ResourceRecord> = records.iter().collect();
    order.sort_by(|a, b| {
        (&a.stack, a.repetition, a.t_ns, &a.phase).cmp(&(&b.stack, b.repetition, b.t_ns, &b.phase))
    });
    let mut out = Vec::new();
    let mut w = file_writer(
        file,
        RESOURCES_SCHEMA,
        &mut out,
        run_id,
        &[],
        SCHEMA_VERSION,
    )?;
    let mut rg = w.next_row_group().map_err(|e| werr(file, e))?;
    let strs = |f: fn(&ResourceRecord) -> &str| -> Vec<ByteArray> {
        order.iter().map(|r| ByteArray::from(f(r))).collect()
    };
    column::<ByteArrayType, _>(file, &mut rg, &strs(|r| &r.stack), None)?;
    let reps: Vec<i32> = order.iter().map(|r| r.repetition as i32).collect();
    column::<Int32Type, _>(file, &mut rg, &reps, None)?;
    column::<ByteArrayType, _>(file, &mut rg, &strs(|r| &r.phase), None)?;
    let t: Vec<i64> = order.iter().map(|r| r.t_ns).collect();
    column::<Int64Type, _>(file, &mut rg, &t, None)?;
    let cpu: Vec<f64> = order.iter().map(|r| r.cpu_percent).collect();
    column::<DoubleType, _>(file, &mut rg, &cpu, None)?;
    let mem: Vec<i64> = order.iter().map(|r| r.mem_bytes as i64).collect();
    column::<Int64Type, _>(file, &mut rg, &mem, None)?;
    let lim: Vec<i64> = order.iter().map(|r| r.mem_limit_bytes as i64).collect();
    column::<Int64Type, _>(file, &mut rg, &lim, None)?;
    // The nullable columns: the present values and one definition level per row.
    let opt_i64 = |rg: &mut SerializedRowGroupWriter<'_, _>,
                   f: fn(&ResourceRecord) -> Option<i64>|
     -> Result<()> {
        let defs: Vec<i16> = order.iter().map(|r| i16::from(f(r).is_some())).collect();
        let vals: Vec<i64> = order.iter().filter_map(|r| f(r)).collect();
        column::<Int64Type, _>(file, rg, &vals, Some(&defs))
    };
    let opt_u32 = |rg: &mut SerializedRowGroupWriter<'_, _>,
                   f: fn(&ResourceRecord) -> Option<u32>|
     -> Result<()> {
        let defs: Vec<i16> = order.iter().map(|r| i16::from(f(r).is_some())).collect();
        let vals: Vec<i32> = order
            .iter()
            .filter_map(|r| f(r))
            .map(|v| v as i32)
            .collect();
        column::<Int32Type, _>(file, rg, &vals, Some(&defs))
    };
    opt_i64(&mut rg, |r| r.interval_ns)?;
    opt_i64(&mut rg, |r| r.server_cpu_ns)?;
    opt_i64(&mut rg, |r| r.generator_cpu_ns)?;
    opt_i64(&mut rg, |r| r.proxy_cpu_ns)?;
    opt_i64(&mut rg, |r| r.host_busy_ns)?;
    opt_i64(&mut rg, |r| r.host_iowait_ns)?;
    opt_i64(&mut rg, |r| r.host_steal_ns)?;
    opt_i64(&mut rg, |r| r.host_idle_ns)?;
    opt_u32(&mut rg, |r| r.host_cpus)?;
    opt_u32(&mut rg, |r| r.generator_cpus)?;
    opt_i64(&mut rg, |r| r.generator_cpus_busy_ns)?;
    opt_u32(&mut rg, |r| r.server_cpus)?;
    opt_i64(&mut rg, |r| r.server_cpus_busy_ns)?;
    rg.close().map_err(|e| werr(file, e))?;
    w.close().map_err(|e| werr(file, e))?;
    Ok(out)
}
