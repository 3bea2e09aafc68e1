//! The low-level Parquet reading under [`super`]: a file opened with its checks
//! (magic, codecs, schema version), columns found by name, typed and range-checked,
//! corrupt pages refused before they can make the decoder allocate or panic.

use bytes::Bytes;
use parquet::basic::{Compression, Type as PhysicalType};
use parquet::column::page::Page;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};

use super::{META_SCHEMA_VERSION, SCHEMA_VERSION};
use crate::columns::SampleColumns;
use crate::error::{AnalysisError, Result};

const BATCH: usize = 65_536;

/// An opened Parquet file with its name for error messages.
pub(super) struct ParquetFile {
    pub(super) file: &'static str,
    reader: SerializedFileReader<Bytes>,
}

impl ParquetFile {
    pub(super) fn open(file: &'static str, bytes: &[u8]) -> Result<ParquetFile> {
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

    pub(super) fn check_codecs(&self) -> Result<()> {
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

    pub(super) fn meta_value(&self, key: &str) -> Option<String> {
        self.reader
            .metadata()
            .file_metadata()
            .key_value_metadata()?
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
    }

    pub(super) fn check_schema_version(&self) -> Result<()> {
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

    pub(super) fn num_rows(&self) -> usize {
        self.reader.metadata().file_metadata().num_rows().max(0) as usize
    }

    /// Capacity to reserve for a column: the footer's row count, but not more than
    /// 16 M up front (a corrupt footer may claim any count; vectors grow past it).
    pub(super) fn capacity(&self) -> usize {
        self.num_rows().min(1 << 24)
    }

    pub(super) fn has_column(&self, column: &str) -> bool {
        let schema = self.reader.metadata().file_metadata().schema_descr();
        (0..schema.num_columns()).any(|i| schema.column(i).path().string() == column)
    }

    pub(super) fn column_index(&self, column: &'static str) -> Result<usize> {
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

    pub(super) fn physical_type(&self, idx: usize) -> PhysicalType {
        self.reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .column(idx)
            .physical_type()
    }

    pub(super) fn wrong_type(
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
    pub(super) fn check_dictionary_page(
        &self,
        group: &dyn RowGroupReader,
        idx: usize,
    ) -> Result<()> {
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
    pub(super) fn chunks(&self, idx: usize) -> Result<Vec<ColumnReader>> {
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
    pub(super) fn required_batch<T: DataType>(
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
    pub(super) fn ints(&self, column: &'static str) -> Result<Vec<i64>> {
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
    pub(super) fn optional_ints(&self, column: &'static str) -> Result<Option<Vec<Option<i64>>>> {
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
    pub(super) fn is_unsigned(&self, idx: usize) -> bool {
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
    pub(super) fn unsigned<T: TryFrom<i64>>(
        &self,
        column: &'static str,
        what: &'static str,
    ) -> Result<Vec<T>> {
        let raw = self.ints(column)?;
        let mut out = Vec::with_capacity(raw.len());
        for batch in raw.chunks(BATCH) {
            self.narrow(batch, &mut out, column, what)?;
        }
        Ok(out)
    }

    /// One batch of [`Self::unsigned`]: per batch, not over the whole column in one
    /// call, for the reason given at [`Codes::batch`].
    #[inline(never)]
    fn narrow<T: TryFrom<i64>>(
        &self,
        batch: &[i64],
        out: &mut Vec<T>,
        column: &'static str,
        what: &'static str,
    ) -> Result<()> {
        for &v in batch {
            out.push(T::try_from(v).map_err(|_| AnalysisError::InvalidValue {
                file: self.file,
                column,
                value: v.to_string(),
                why: what,
            })?);
        }
        Ok(())
    }

    pub(super) fn u64s(&self, column: &'static str) -> Result<Vec<u64>> {
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

    pub(super) fn f64s(&self, column: &'static str) -> Result<Vec<f64>> {
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
    pub(super) fn strings(
        &self,
        column: &'static str,
        nullable: bool,
        dict: &mut Vec<String>,
    ) -> Result<Vec<Option<u16>>> {
        self.string_codes(column, nullable, dict, Some, None)
    }

    pub(super) fn required_strings(
        &self,
        column: &'static str,
        dict: &mut Vec<String>,
    ) -> Result<Vec<u16>> {
        // Not nullable: a null is refused before `null` could be stored.
        self.string_codes(column, false, dict, |code| code, 0)
    }

    /// [`Self::strings`] with each code stored as `code_of(code)`, and a null as `null`.
    fn string_codes<T: Copy>(
        &self,
        column: &'static str,
        nullable: bool,
        dict: &mut Vec<String>,
        code_of: fn(u16) -> T,
        null: T,
    ) -> Result<Vec<T>> {
        let idx = self.column_index(column)?;
        let max_def = self
            .reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .column(idx)
            .max_def_level();
        let mut out: Vec<T> = Vec::with_capacity(self.capacity());
        let mut defs: Vec<i16> = Vec::new();
        let mut vals: Vec<ByteArray> = Vec::new();
        let mut codes = Codes {
            file: self.file,
            column,
            max_def,
            last: None,
            dict,
        };
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
                codes.batch(&defs[..], &vals, recs, code_of, null, &mut out)?;
            }
        }
        Ok(out)
    }
}

/// A string column's names turned into codes, batch by batch.
struct Codes<'d> {
    file: &'static str,
    column: &'static str,
    max_def: i16,
    /// The previous value and its code: rows come in long runs of one name.
    last: Option<(ByteArray, u16)>,
    dict: &'d mut Vec<String>,
}

impl Codes<'_> {
    /// One batch's codes appended to `out`. Its own function, called per batch rather
    /// than inlined into a loop over the whole column: V8 runs a wasm function's first
    /// call as baseline code, so a loop over millions of rows in a single call never
    /// reaches the optimised code (web/README.md, "What changed it").
    #[inline(never)]
    fn batch<T: Copy>(
        &mut self,
        defs: &[i16],
        vals: &[ByteArray],
        recs: usize,
        code_of: fn(u16) -> T,
        null: T,
        out: &mut Vec<T>,
    ) -> Result<()> {
        let mut values = vals.iter();
        for i in 0..recs {
            let present = self.max_def == 0 || defs.get(i).copied() == Some(self.max_def);
            if !present {
                out.push(null);
                continue;
            }
            let Some(v) = values.next() else {
                return Err(corrupt_msg(
                    self.file,
                    "fewer values than definition levels",
                ));
            };
            let code = match &self.last {
                // A dictionary-encoded column hands out the same bytes for one name:
                // the same address and length is the same name, with no comparison.
                Some((b, code)) if std::ptr::eq(b.data(), v.data()) || b.data() == v.data() => {
                    *code
                }
                _ => self.intern(v)?,
            };
            out.push(code_of(code));
        }
        Ok(())
    }

    fn intern(&mut self, v: &ByteArray) -> Result<u16> {
        let s = std::str::from_utf8(v.data()).map_err(|_| AnalysisError::InvalidValue {
            file: self.file,
            column: self.column,
            value: format!("{:?}", v.data()),
            why: "not UTF-8 text",
        })?;
        if self.dict.len() >= u16::MAX as usize && !self.dict.iter().any(|d| d == s) {
            return Err(AnalysisError::InvalidValue {
                file: self.file,
                column: self.column,
                value: s.to_string(),
                why: "more than 65535 distinct names",
            });
        }
        let code = SampleColumns::intern(self.dict, s);
        self.last = Some((v.clone(), code));
        Ok(code)
    }
}

pub(super) fn corrupt(file: &'static str, e: parquet::errors::ParquetError) -> AnalysisError {
    AnalysisError::Corrupt {
        file,
        detail: e.to_string(),
    }
}

pub(super) fn corrupt_msg(file: &'static str, detail: &str) -> AnalysisError {
    AnalysisError::Corrupt {
        file,
        detail: detail.to_string(),
    }
}
