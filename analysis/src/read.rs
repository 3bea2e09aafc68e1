//! Reading sample files, `resources.parquet` and `manifest.json` from bytes.
//!
//! Sample files come in two layouts (data/README.md#versions): schema v1 stores every
//! logical column ([`SAMPLE_COLUMNS`]); schema v2 stores `scheduled_ns`, `end_ns` and
//! `ttfb_ns` as offsets ([`STORED_COLUMNS`]), told apart by its `transfer_ns` column.
//! Both are read into the same logical [`SampleColumns`].
//!
//! Uses the `parquet` crate's low-level column readers (no `arrow` feature), so the
//! same code runs natively and in wasm32. Columns are matched by name; integer
//! columns may be stored as INT32 or INT64 (pyarrow and polars differ), values are
//! range-checked on conversion.

use bytes::Bytes;
use parquet::basic::{Compression, Type as PhysicalType};
use parquet::column::page::Page;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};

use crate::columns::{
    END_EXTRA_NS, SCHEDULE_LAG_NS, SampleColumns, TRANSFER_NS, end_from_extra, scheduled_from_lag,
    ttfb_from_transfer,
};
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

const BATCH: usize = 65_536;

/// An opened Parquet file with its name for error messages.
struct ParquetFile {
    file: &'static str,
    reader: SerializedFileReader<Bytes>,
}

impl ParquetFile {
    fn open(file: &'static str, bytes: &[u8]) -> Result<ParquetFile> {
        let magic = b"PAR1";
        if bytes.len() < 4 || &bytes[..4] != magic {
            return Err(AnalysisError::NotParquet { file });
        }
        if bytes.len() < 12 || &bytes[bytes.len() - 4..] != magic {
            return Err(AnalysisError::Corrupt {
                file,
                detail: format!("{} bytes and no Parquet footer at the end", bytes.len()),
            });
        }
        let reader = SerializedFileReader::new(Bytes::copy_from_slice(bytes))
            .map_err(|e| corrupt(file, e))?;
        let pf = ParquetFile { file, reader };
        pf.check_codecs()?;
        pf.check_schema_version()?;
        Ok(pf)
    }

    fn check_codecs(&self) -> Result<()> {
        let meta = self.reader.metadata();
        for rg in meta.row_groups() {
            for col in rg.columns() {
                match col.compression() {
                    Compression::UNCOMPRESSED
                    | Compression::SNAPPY
                    | Compression::LZ4
                    | Compression::LZ4_RAW => {}
                    other => {
                        return Err(AnalysisError::UnsupportedCodec {
                            file: self.file,
                            codec: format!("{other:?}"),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn meta_value(&self, key: &str) -> Option<String> {
        self.reader
            .metadata()
            .file_metadata()
            .key_value_metadata()?
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
    }

    fn check_schema_version(&self) -> Result<()> {
        if let Some(v) = self.meta_value(META_SCHEMA_VERSION) {
            let found: u32 = v.trim().parse().map_err(|_| AnalysisError::InvalidValue {
                file: self.file,
                column: "(metadata pywebbench.schema_version)",
                value: v.clone(),
                why: "not an integer",
            })?;
            if found > SCHEMA_VERSION {
                return Err(AnalysisError::FutureSchema {
                    file: self.file,
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
        }
        Ok(())
    }

    fn num_rows(&self) -> usize {
        self.reader.metadata().file_metadata().num_rows().max(0) as usize
    }

    /// Capacity to reserve for a column: the footer's row count, but not more than
    /// 16 M up front (a corrupt footer may claim any count; vectors grow past it).
    fn capacity(&self) -> usize {
        self.num_rows().min(1 << 24)
    }

    fn has_column(&self, column: &str) -> bool {
        let schema = self.reader.metadata().file_metadata().schema_descr();
        (0..schema.num_columns()).any(|i| schema.column(i).path().string() == column)
    }

    fn column_index(&self, column: &'static str) -> Result<usize> {
        let schema = self.reader.metadata().file_metadata().schema_descr();
        (0..schema.num_columns())
            .find(|&i| schema.column(i).path().string() == column)
            .ok_or(AnalysisError::MissingColumn {
                file: self.file,
                column,
            })
            .and_then(|i| {
                let c = schema.column(i);
                if c.max_rep_level() > 0 {
                    Err(AnalysisError::WrongType {
                        file: self.file,
                        column,
                        found: "a repeated (list) column".into(),
                        expected: "a flat column",
                    })
                } else {
                    Ok(i)
                }
            })
    }

    fn physical_type(&self, idx: usize) -> PhysicalType {
        self.reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .column(idx)
            .physical_type()
    }

    fn wrong_type(
        &self,
        column: &'static str,
        idx: usize,
        expected: &'static str,
    ) -> AnalysisError {
        AnalysisError::WrongType {
            file: self.file,
            column,
            found: format!("{}", self.physical_type(idx)),
            expected,
        }
    }

    /// The `parquet` crate sizes a dictionary by the count in its page header, so a
    /// few corrupt bytes could make it allocate gigabytes (found by `analysis/fuzz`:
    /// a 5 KB file asking for 14 GB). Every dictionary entry takes at least one byte,
    /// so a count above the page's size is refused before the column is decoded.
    fn check_dictionary_page(&self, group: &dyn RowGroupReader, idx: usize) -> Result<()> {
        let mut pages = group
            .get_column_page_reader(idx)
            .map_err(|e| corrupt(self.file, e))?;
        if let Some(Page::DictionaryPage {
            buf, num_values, ..
        }) = pages.get_next_page().map_err(|e| corrupt(self.file, e))?
            && num_values as usize > buf.len()
        {
            return Err(corrupt_msg(
                self.file,
                &format!(
                    "a dictionary page claims {num_values} values in {} bytes",
                    buf.len()
                ),
            ));
        }
        Ok(())
    }

    /// Iterate the column's chunks (one per row group).
    fn chunks(&self, idx: usize) -> Result<Vec<ColumnReader>> {
        let mut out = Vec::with_capacity(self.reader.num_row_groups());
        for rg in 0..self.reader.num_row_groups() {
            let group = self
                .reader
                .get_row_group(rg)
                .map_err(|e| corrupt(self.file, e))?;
            self.check_dictionary_page(group.as_ref(), idx)?;
            out.push(
                group
                    .get_column_reader(idx)
                    .map_err(|e| corrupt(self.file, e))?,
            );
        }
        Ok(out)
    }

    /// Reads the next batch of a required (non-null) column, appending its values to
    /// `out`; the number of records read, 0 at the end of the column chunk.
    fn required_batch<T: DataType>(
        &self,
        r: &mut ColumnReaderImpl<T>,
        column: &'static str,
        defs: &mut Vec<i16>,
        out: &mut Vec<T::T>,
    ) -> Result<usize> {
        defs.clear();
        let (recs, vals, _) = r
            .read_records(BATCH, Some(defs), None, out)
            .map_err(|e| corrupt(self.file, e))?;
        if vals != recs {
            return Err(AnalysisError::NullValue {
                file: self.file,
                column,
            });
        }
        Ok(recs)
    }

    /// A non-null integer column (INT32 or INT64) as i64.
    fn ints(&self, column: &'static str) -> Result<Vec<i64>> {
        let idx = self.column_index(column)?;
        let mut out: Vec<i64> = Vec::with_capacity(self.capacity());
        let mut defs: Vec<i16> = Vec::new();
        let mut buf32: Vec<i32> = Vec::new();
        for chunk in self.chunks(idx)? {
            match chunk {
                ColumnReader::Int64ColumnReader(mut r) => loop {
                    let recs = self.required_batch(&mut r, column, &mut defs, &mut out)?;
                    if recs == 0 {
                        break;
                    }
                },
                ColumnReader::Int32ColumnReader(mut r) => loop {
                    buf32.clear();
                    let recs = self.required_batch(&mut r, column, &mut defs, &mut buf32)?;
                    if recs == 0 {
                        break;
                    }
                    let unsigned = self.is_unsigned(idx);
                    if unsigned {
                        out.extend(buf32.iter().map(|&v| v as u32 as i64));
                    } else {
                        out.extend(buf32.iter().map(|&v| v as i64));
                    }
                },
                _ => return Err(self.wrong_type(column, idx, "an integer (INT32 or INT64)")),
            }
        }
        Ok(out)
    }

    /// A nullable integer column (INT32 or INT64) as i64; `None` when the file has no
    /// such column (written before it existed: every row null).
    fn optional_ints(&self, column: &'static str) -> Result<Option<Vec<Option<i64>>>> {
        let schema = self.reader.metadata().file_metadata().schema_descr();
        if !(0..schema.num_columns()).any(|i| schema.column(i).path().string() == column) {
            return Ok(None);
        }
        let idx = self.column_index(column)?;
        let max_def = schema.column(idx).max_def_level();
        let unsigned = self.is_unsigned(idx);
        let mut out: Vec<Option<i64>> = Vec::with_capacity(self.capacity());
        let mut defs: Vec<i16> = Vec::new();
        let mut v64: Vec<i64> = Vec::new();
        let mut v32: Vec<i32> = Vec::new();
        let mut spread = |defs: &[i16], recs: usize, vals: &mut dyn Iterator<Item = i64>| {
            for i in 0..recs {
                let present = max_def == 0 || defs.get(i).copied() == Some(max_def);
                out.push(if present { vals.next() } else { None });
            }
        };
        for chunk in self.chunks(idx)? {
            match chunk {
                ColumnReader::Int64ColumnReader(mut r) => loop {
                    defs.clear();
                    v64.clear();
                    let (recs, _, _) = r
                        .read_records(BATCH, Some(&mut defs), None, &mut v64)
                        .map_err(|e| corrupt(self.file, e))?;
                    if recs == 0 {
                        break;
                    }
                    spread(&defs, recs, &mut v64.iter().copied());
                },
                ColumnReader::Int32ColumnReader(mut r) => loop {
                    defs.clear();
                    v32.clear();
                    let (recs, _, _) = r
                        .read_records(BATCH, Some(&mut defs), None, &mut v32)
                        .map_err(|e| corrupt(self.file, e))?;
                    if recs == 0 {
                        break;
                    }
                    if unsigned {
                        spread(&defs, recs, &mut v32.iter().map(|&v| v as u32 as i64));
                    } else {
                        spread(&defs, recs, &mut v32.iter().map(|&v| v as i64));
                    }
                },
                _ => return Err(self.wrong_type(column, idx, "an integer (INT32 or INT64)")),
            }
        }
        Ok(Some(out))
    }

    /// Does the column carry an unsigned integer logical/converted type?
    fn is_unsigned(&self, idx: usize) -> bool {
        use parquet::basic::{ConvertedType, LogicalType};
        let schema = self.reader.metadata().file_metadata().schema_descr();
        let c = schema.column(idx);
        match c.logical_type_ref() {
            Some(LogicalType::Integer(int)) => !int.is_signed,
            _ => matches!(
                c.converted_type(),
                ConvertedType::UINT_8
                    | ConvertedType::UINT_16
                    | ConvertedType::UINT_32
                    | ConvertedType::UINT_64
            ),
        }
    }

    /// A non-null integer column converted to a narrower type, range-checked.
    fn unsigned<T: TryFrom<i64>>(
        &self,
        column: &'static str,
        what: &'static str,
    ) -> Result<Vec<T>> {
        self.ints(column)?
            .into_iter()
            .map(|v| {
                T::try_from(v).map_err(|_| AnalysisError::InvalidValue {
                    file: self.file,
                    column,
                    value: v.to_string(),
                    why: what,
                })
            })
            .collect()
    }

    fn u64s(&self, column: &'static str) -> Result<Vec<u64>> {
        let idx = self.column_index(column)?;
        let unsigned64 = self.physical_type(idx) == PhysicalType::INT64 && self.is_unsigned(idx);
        let raw = self.ints(column)?;
        if unsigned64 {
            return Ok(raw.into_iter().map(|v| v as u64).collect());
        }
        raw.into_iter()
            .map(|v| {
                u64::try_from(v).map_err(|_| AnalysisError::InvalidValue {
                    file: self.file,
                    column,
                    value: v.to_string(),
                    why: "a count cannot be negative",
                })
            })
            .collect()
    }

    fn f64s(&self, column: &'static str) -> Result<Vec<f64>> {
        let idx = self.column_index(column)?;
        let mut out: Vec<f64> = Vec::with_capacity(self.capacity());
        let mut defs: Vec<i16> = Vec::new();
        let mut buf32: Vec<f32> = Vec::new();
        for chunk in self.chunks(idx)? {
            match chunk {
                ColumnReader::DoubleColumnReader(mut r) => loop {
                    let recs = self.required_batch(&mut r, column, &mut defs, &mut out)?;
                    if recs == 0 {
                        break;
                    }
                },
                ColumnReader::FloatColumnReader(mut r) => loop {
                    buf32.clear();
                    let recs = self.required_batch(&mut r, column, &mut defs, &mut buf32)?;
                    if recs == 0 {
                        break;
                    }
                    out.extend(buf32.iter().map(|&v| v as f64));
                },
                _ => return Err(self.wrong_type(column, idx, "a floating-point number (DOUBLE)")),
            }
        }
        Ok(out)
    }

    /// A string column as dictionary indices. `None` entries are nulls (only allowed
    /// when `nullable`). `dict` receives the distinct strings in first-seen order.
    fn strings(
        &self,
        column: &'static str,
        nullable: bool,
        dict: &mut Vec<String>,
    ) -> Result<Vec<Option<u16>>> {
        let idx = self.column_index(column)?;
        let max_def = self
            .reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .column(idx)
            .max_def_level();
        let mut out: Vec<Option<u16>> = Vec::with_capacity(self.capacity());
        let mut defs: Vec<i16> = Vec::new();
        let mut vals: Vec<ByteArray> = Vec::new();
        let mut last: Option<(ByteArray, u16)> = None;
        for chunk in self.chunks(idx)? {
            let ColumnReader::ByteArrayColumnReader(mut r) = chunk else {
                return Err(self.wrong_type(column, idx, "a string (BYTE_ARRAY)"));
            };
            loop {
                defs.clear();
                vals.clear();
                let (recs, nvals, _) = r
                    .read_records(BATCH, Some(&mut defs), None, &mut vals)
                    .map_err(|e| corrupt(self.file, e))?;
                if recs == 0 {
                    break;
                }
                if nvals != recs && !nullable {
                    return Err(AnalysisError::NullValue {
                        file: self.file,
                        column,
                    });
                }
                let mut values = vals.iter();
                for i in 0..recs {
                    let present = max_def == 0 || defs.get(i).copied() == Some(max_def);
                    if !present {
                        out.push(None);
                        continue;
                    }
                    let Some(v) = values.next() else {
                        return Err(corrupt_msg(
                            self.file,
                            "fewer values than definition levels",
                        ));
                    };
                    let code = match &last {
                        Some((b, code)) if b.data() == v.data() => *code,
                        _ => {
                            let s = std::str::from_utf8(v.data()).map_err(|_| {
                                AnalysisError::InvalidValue {
                                    file: self.file,
                                    column,
                                    value: format!("{:?}", v.data()),
                                    why: "not UTF-8 text",
                                }
                            })?;
                            if dict.len() >= u16::MAX as usize && !dict.iter().any(|d| d == s) {
                                return Err(AnalysisError::InvalidValue {
                                    file: self.file,
                                    column,
                                    value: s.to_string(),
                                    why: "more than 65535 distinct names",
                                });
                            }
                            let code = SampleColumns::intern(dict, s);
                            last = Some((v.clone(), code));
                            code
                        }
                    };
                    out.push(Some(code));
                }
            }
        }
        Ok(out)
    }

    fn required_strings(&self, column: &'static str, dict: &mut Vec<String>) -> Result<Vec<u16>> {
        // Nulls were rejected above, so every entry is `Some`.
        Ok(self
            .strings(column, false, dict)?
            .into_iter()
            .map(|c| c.unwrap_or_default())
            .collect())
    }
}

fn corrupt(file: &'static str, e: parquet::errors::ParquetError) -> AnalysisError {
    AnalysisError::Corrupt {
        file,
        detail: e.to_string(),
    }
}

fn corrupt_msg(file: &'static str, detail: &str) -> AnalysisError {
    AnalysisError::Corrupt {
        file,
        detail: detail.to_string(),
    }
}

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
    // Check every column exists and has a usable type before reading any, so a
    // wrong file fails fast with the first missing column.
    for col in if offsets {
        STORED_COLUMNS
    } else {
        SAMPLE_COLUMNS
    } {
        f.column_index(col)?;
    }
    c.stack = f.required_strings("stack", &mut c.stacks)?;
    c.repetition = f.unsigned("repetition", "a repetition number is 1..=4294967295")?;
    c.scenario = f.required_strings("scenario", &mut c.scenarios)?;
    c.latency_ns = f.ints("latency_ns")?;
    c.ttfb_ns = if offsets {
        let transfer = f.ints(TRANSFER_NS)?;
        if transfer.len() != c.latency_ns.len() {
            return Err(corrupt_msg(SAMPLES_FILE, "columns have different lengths"));
        }
        c.latency_ns
            .iter()
            .zip(&transfer)
            .map(|(&l, &t)| ttfb_from_transfer(l, t))
            .collect()
    } else {
        f.ints("ttfb_ns")?
    };
    let mut kinds: Vec<String> = Vec::new();
    let codes = f.strings("error", true, &mut kinds)?;
    let mut kind_of = Vec::with_capacity(kinds.len());
    for k in &kinds {
        kind_of.push(
            ErrorKind::parse(k).ok_or_else(|| AnalysisError::InvalidValue {
                file: SAMPLES_FILE,
                column: "error",
                value: k.clone(),
                why: "not one of http_status, timeout, connect, io, protocol or null",
            })?,
        );
    }
    c.error = codes
        .into_iter()
        .map(|code| code.map(|k| kind_of[k as usize]))
        .collect();
    if which == Columns::All {
        c.vu = f.unsigned("vu", "a VU index is 0..=4294967295")?;
        c.iteration = f.u64s("iteration")?;
        c.start_ns = f.ints("start_ns")?;
        c.connect_ns = f.ints("connect_ns")?;
        if offsets {
            let lag = f.ints(SCHEDULE_LAG_NS)?;
            let extra = f.ints(END_EXTRA_NS)?;
            let n = c.start_ns.len();
            if [
                lag.len(),
                extra.len(),
                c.connect_ns.len(),
                c.latency_ns.len(),
            ]
            .iter()
            .any(|&l| l != n)
            {
                return Err(corrupt_msg(SAMPLES_FILE, "columns have different lengths"));
            }
            c.scheduled_ns = (0..n)
                .map(|i| scheduled_from_lag(c.start_ns[i], lag[i]))
                .collect();
            c.end_ns = (0..n)
                .map(|i| end_from_extra(extra[i], c.start_ns[i], c.connect_ns[i], c.latency_ns[i]))
                .collect();
        } else {
            c.scheduled_ns = f.ints("scheduled_ns")?;
            c.end_ns = f.ints("end_ns")?;
        }
        c.status = f.unsigned("status", "an HTTP status is 0..=65535")?;
        c.bytes_in = f.u64s("bytes_in")?;
        c.bytes_out = f.u64s("bytes_out")?;
    }
    let n = c.stack.len();
    let lens = [
        c.repetition.len(),
        c.scenario.len(),
        c.latency_ns.len(),
        c.ttfb_ns.len(),
        c.error.len(),
    ];
    if lens.iter().any(|&l| l != n) || n != f.num_rows() {
        return Err(corrupt_msg(SAMPLES_FILE, "columns have different lengths"));
    }
    if let Some(pos) = c.repetition.iter().position(|&r| r == 0) {
        return Err(AnalysisError::InvalidValue {
            file: SAMPLES_FILE,
            column: "repetition",
            value: format!("0 (row {pos})"),
            why: "repetitions are numbered from 1",
        });
    }
    Ok(c)
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
