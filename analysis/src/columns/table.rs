//! The machinery behind the sample column table in [`super`]: what a row says
//! ([`ColumnSpec`], [`ColumnType`], [`Offset`]), typed views of a column
//! ([`ColumnRef`], [`ColumnMut`], [`CellMut`]), and the macro that turns the rows
//! into the structs ([`super::SampleColumns`], [`super::SampleRecord`],
//! [`super::RequestRecord`], [`super::SampleKey`]) and their row conversions.

use crate::schema::ErrorKind;

use super::SampleColumns;

/// A column's type: in memory, in Parquet and in data/README.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A string kept once in a dictionary of [`SampleColumns`] and referenced per row
    /// by a `u16` index.
    Name,
    U16,
    U32,
    U64,
    I64,
    /// [`ErrorKind`], null when the request succeeded: a nullable string.
    Error,
}

impl ColumnType {
    /// The type as data/README.md's column tables write it.
    pub const fn readme(self) -> &'static str {
        match self {
            ColumnType::Name => "string",
            ColumnType::U16 => "uint16",
            ColumnType::U32 => "uint32",
            ColumnType::U64 => "uint64",
            ColumnType::I64 => "int64",
            ColumnType::Error => "string, nullable",
        }
    }

    /// The column's line in the writer's Parquet schema (`message` syntax).
    #[cfg(feature = "write")]
    pub(crate) fn parquet_field(self, name: &str) -> String {
        let (repetition, physical, logical) = match self {
            ColumnType::Name => ("REQUIRED", "BYTE_ARRAY", " (STRING)"),
            ColumnType::U16 => ("REQUIRED", "INT32", " (INTEGER(16,false))"),
            ColumnType::U32 => ("REQUIRED", "INT32", " (INTEGER(32,false))"),
            ColumnType::U64 => ("REQUIRED", "INT64", " (INTEGER(64,false))"),
            ColumnType::I64 => ("REQUIRED", "INT64", ""),
            ColumnType::Error => ("OPTIONAL", "BYTE_ARRAY", " (STRING)"),
        };
        format!("{repetition} {physical} {name}{logical};")
    }
}

/// A logical int64 column that schema v2 stores as its (wrapping) offset from other
/// columns (data/README.md#layout). Its bases are never offsets themselves, so the
/// reader decodes every offset once the plain columns are read.
#[derive(Debug, Clone, Copy)]
pub struct Offset {
    /// The stored column's name.
    pub stored: &'static str,
    /// The stored values of the given rows.
    pub encode: fn(&SampleColumns, &[usize]) -> Vec<i64>,
    /// The logical values back from the stored ones (every row, in order), the
    /// base columns being read already.
    pub decode: fn(&SampleColumns, &[i64]) -> Vec<i64>,
}

/// One row of the sample column table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// The logical column's name (schema v1's stored name too).
    pub name: &'static str,
    pub ty: ColumnType,
    /// Stored as DELTA_BINARY_PACKED rather than dictionary/PLAIN (in both layouts).
    pub delta: bool,
    /// Schema v2 stores this offset instead of the column.
    pub offset: Option<Offset>,
    /// Read by [`crate::read_samples_for_analysis`] (what [`crate::summarize`] needs).
    pub analysis: bool,
    /// Why an out-of-range value is refused on reading a narrower integer column.
    pub range: &'static str,
    /// The k6 metric whose point (`--out json`) the k6 import takes the value from:
    /// a trend in ms for an int64 time, a counter for a count.
    pub k6: Option<&'static str>,
}

impl ColumnSpec {
    pub const fn new(name: &'static str, ty: ColumnType) -> ColumnSpec {
        ColumnSpec {
            name,
            ty,
            delta: false,
            offset: None,
            analysis: false,
            range: "",
            k6: None,
        }
    }
    pub const fn delta(self) -> ColumnSpec {
        ColumnSpec {
            delta: true,
            ..self
        }
    }
    pub const fn offset(self, offset: Offset) -> ColumnSpec {
        ColumnSpec {
            offset: Some(offset),
            ..self
        }
    }
    pub const fn analysis(self) -> ColumnSpec {
        ColumnSpec {
            analysis: true,
            ..self
        }
    }
    pub const fn range(self, why: &'static str) -> ColumnSpec {
        ColumnSpec { range: why, ..self }
    }
    pub const fn k6(self, metric: &'static str) -> ColumnSpec {
        ColumnSpec {
            k6: Some(metric),
            ..self
        }
    }

    /// The name this column is stored under in schema v2 files.
    pub const fn stored(&self) -> &'static str {
        match self.offset {
            Some(o) => o.stored,
            None => self.name,
        }
    }
}

/// One column of a [`SampleColumns`], typed.
#[derive(Debug, Clone, Copy)]
pub enum ColumnRef<'a> {
    /// The per-row indices and their dictionary.
    Name(&'a [u16], &'a [String]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    I64(&'a [i64]),
    Error(&'a [Option<ErrorKind>]),
}

impl ColumnRef<'_> {
    pub fn len(&self) -> usize {
        match self {
            ColumnRef::Name(v, _) | ColumnRef::U16(v) => v.len(),
            ColumnRef::U32(v) => v.len(),
            ColumnRef::U64(v) => v.len(),
            ColumnRef::I64(v) => v.len(),
            ColumnRef::Error(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Does row `i` hold the same value as row `j` of `other` (names compared as text)?
    /// Columns of different types never do.
    pub fn same(&self, i: usize, other: &ColumnRef<'_>, j: usize) -> bool {
        match (self, other) {
            (ColumnRef::Name(a, da), ColumnRef::Name(b, db)) => {
                da[a[i] as usize] == db[b[j] as usize]
            }
            (ColumnRef::U16(a), ColumnRef::U16(b)) => a[i] == b[j],
            (ColumnRef::U32(a), ColumnRef::U32(b)) => a[i] == b[j],
            (ColumnRef::U64(a), ColumnRef::U64(b)) => a[i] == b[j],
            (ColumnRef::I64(a), ColumnRef::I64(b)) => a[i] == b[j],
            (ColumnRef::Error(a), ColumnRef::Error(b)) => a[i] == b[j],
            _ => false,
        }
    }
}

/// One column of a [`SampleColumns`], typed and writable.
#[derive(Debug)]
pub enum ColumnMut<'a> {
    /// The per-row indices and their dictionary.
    Name(&'a mut Vec<u16>, &'a mut Vec<String>),
    U16(&'a mut Vec<u16>),
    U32(&'a mut Vec<u32>),
    U64(&'a mut Vec<u64>),
    I64(&'a mut Vec<i64>),
    Error(&'a mut Vec<Option<ErrorKind>>),
}

fn pick<T: Copy>(dst: &mut Vec<T>, src: &[T], rows: Option<&[usize]>) {
    match rows {
        Some(rows) => dst.extend(rows.iter().map(|&i| src[i])),
        None => dst.extend_from_slice(src),
    }
}

impl ColumnMut<'_> {
    pub fn reserve(&mut self, n: usize) {
        match self {
            ColumnMut::Name(v, _) | ColumnMut::U16(v) => v.reserve(n),
            ColumnMut::U32(v) => v.reserve(n),
            ColumnMut::U64(v) => v.reserve(n),
            ColumnMut::I64(v) => v.reserve(n),
            ColumnMut::Error(v) => v.reserve(n),
        }
    }

    /// Append `src`'s rows (`rows` of them, in that order, or all), adding the names
    /// of a name column to this column's dictionary. Panics if the types differ.
    pub fn extend(&mut self, src: ColumnRef<'_>, rows: Option<&[usize]>) {
        match (self, src) {
            (ColumnMut::Name(codes, dict), ColumnRef::Name(from, from_dict)) => {
                let map: Vec<u16> = from_dict
                    .iter()
                    .map(|s| SampleColumns::intern(dict, s))
                    .collect();
                match rows {
                    Some(rows) => codes.extend(rows.iter().map(|&i| map[from[i] as usize])),
                    None => codes.extend(from.iter().map(|&i| map[i as usize])),
                }
            }
            (ColumnMut::U16(v), ColumnRef::U16(s)) => pick(v, s, rows),
            (ColumnMut::U32(v), ColumnRef::U32(s)) => pick(v, s, rows),
            (ColumnMut::U64(v), ColumnRef::U64(s)) => pick(v, s, rows),
            (ColumnMut::I64(v), ColumnRef::I64(s)) => pick(v, s, rows),
            (ColumnMut::Error(v), ColumnRef::Error(s)) => pick(v, s, rows),
            (dst, src) => panic!("column types differ: {dst:?} and {src:?}"),
        }
    }
}

/// One value of a [`super::RequestRecord`], writable.
#[derive(Debug)]
pub enum CellMut<'a> {
    U16(&'a mut u16),
    U32(&'a mut u32),
    U64(&'a mut u64),
    I64(&'a mut i64),
    Error(&'a mut Option<ErrorKind>),
}

/// The in-memory type of a column's values (a name: its dictionary index).
macro_rules! column_cell {
    (Name) => { u16 };
    (U16) => { u16 };
    (U32) => { u32 };
    (U64) => { u64 };
    (I64) => { i64 };
    (Error) => { Option<$crate::schema::ErrorKind> };
}

/// The type of a column's value in a row ([`super::SampleRecord`]).
macro_rules! column_value {
    (Name) => {
        String
    };
    ($kind:ident) => {
        column_cell!($kind)
    };
}

/// Generates, from the rows of the sample column table (`key` columns: set by the
/// recorder per scenario, may be names; `request` columns: measured per request,
/// plain values), the column list [`super::COLUMNS`], the structs and their
/// per-row conversions. Everything else goes through [`super::COLUMNS`] and
/// [`SampleColumns::columns`] at run time.
macro_rules! sample_table {
    (
        key {
            $( $(#[$kmeta:meta])* $kfield:ident : $kkind:ident $(($dict:ident))?
               $(.$kopt:ident($($karg:expr),*))* , )*
        }
        request {
            $( $(#[$rmeta:meta])* $rfield:ident : $rkind:ident
               $(.$ropt:ident($($rarg:expr),*))* , )*
        }
    ) => {
        /// The sample column table: every column of a sample, in file order.
        pub const COLUMNS: &[ColumnSpec] = &[
            $( ColumnSpec::new(stringify!($kfield), ColumnType::$kkind) $(.$kopt($($karg),*))* , )*
            $( ColumnSpec::new(stringify!($rfield), ColumnType::$rkind) $(.$ropt($($rarg),*))* , )*
        ];

        /// The logical column names, in [`COLUMNS`]' order: what [`SampleColumns`]
        /// holds and what schema v1 files (`samples.parquet`) store.
        pub const SAMPLE_COLUMNS: [&str; COLUMNS.len()] =
            [ $( stringify!($kfield), )* $( stringify!($rfield), )* ];

        /// All samples of a run, column by column. Row `i` of every non-empty column
        /// is the same request. Columns not needed by the analysis may be left empty
        /// by [`crate::read_samples_for_analysis`]; [`SampleColumns::is_complete`] tells.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct SampleColumns {
            /// The run id stored in the file's metadata (`pywebbench.run_id`), if any.
            pub run_id: Option<String>,
            $( $(
                #[doc = concat!("Dictionary of the `", stringify!($kfield), "` names; `",
                    stringify!($kfield), "[i]` indexes it.")]
                pub $dict: Vec<String>,
            )? )*
            $( $(#[$kmeta])* pub $kfield: Vec<column_cell!($kkind)>, )*
            $( $(#[$rmeta])* pub $rfield: Vec<column_cell!($rkind)>, )*
        }

        /// One HTTP request. Times are nanoseconds relative to the start of the
        /// scenario (`ScenarioSummary::started_at_unix_ns` in the manifest gives the
        /// wall clock). The fields are the sample columns, in file order.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct SampleRecord {
            $( $(#[$kmeta])* pub $kfield: column_value!($kkind), )*
            $( $(#[$rmeta])* pub $rfield: column_value!($rkind), )*
        }

        /// The key columns of a scenario's samples, as [`SampleColumns`] holds them
        /// (names as dictionary indices): what the recorder adds to each
        /// [`RequestRecord`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct SampleKey {
            $( $(#[$kmeta])* pub $kfield: column_cell!($kkind), )*
        }

        /// One request as a load generator measured it: the request columns of a
        /// sample (times in ns relative to the scenario's time zero).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
        pub struct RequestRecord {
            $( $(#[$rmeta])* pub $rfield: column_cell!($rkind), )*
        }

        impl RequestRecord {
            /// The field of the request column `name`, `None` for another name.
            pub fn cell_mut(&mut self, name: &str) -> Option<CellMut<'_>> {
                match name {
                    $( stringify!($rfield) => Some(CellMut::$rkind(&mut self.$rfield)), )*
                    _ => None,
                }
            }
        }

        impl SampleColumns {
            /// Every column, typed, in [`COLUMNS`]' order.
            pub fn columns(&self) -> [ColumnRef<'_>; COLUMNS.len()] {
                [
                    $( sample_table!(@ref self, $kfield, $kkind $(($dict))?), )*
                    $( ColumnRef::$rkind(&self.$rfield), )*
                ]
            }

            /// Every column, typed and writable, in [`COLUMNS`]' order.
            pub fn columns_mut(&mut self) -> [ColumnMut<'_>; COLUMNS.len()] {
                [
                    $( sample_table!(@mut self, $kfield, $kkind $(($dict))?), )*
                    $( ColumnMut::$rkind(&mut self.$rfield), )*
                ]
            }

            /// Append one request of the scenario `key` (the load generator's hot
            /// path: no allocation beyond the columns' growth).
            #[inline]
            pub fn push(&mut self, key: SampleKey, r: &RequestRecord) {
                $( self.$kfield.push(key.$kfield); )*
                $( self.$rfield.push(r.$rfield); )*
            }

            /// Append a row-oriented record (its names added to the dictionaries).
            pub fn push_record(&mut self, r: &SampleRecord) {
                $( sample_table!(@push self, r, $kfield, $kkind $(($dict))?); )*
                $( self.$rfield.push(r.$rfield); )*
            }

            /// Row `i` as a record. Panics if `i` is out of range or a column was not read.
            pub fn record(&self, i: usize) -> SampleRecord {
                SampleRecord {
                    $( $kfield: sample_table!(@value self, i, $kfield, $kkind $(($dict))?), )*
                    $( $rfield: self.$rfield[i], )*
                }
            }
        }
    };
    (@ref $s:ident, $f:ident, Name($d:ident)) => { ColumnRef::Name(&$s.$f, &$s.$d) };
    (@ref $s:ident, $f:ident, $k:ident) => { ColumnRef::$k(&$s.$f) };
    (@mut $s:ident, $f:ident, Name($d:ident)) => { ColumnMut::Name(&mut $s.$f, &mut $s.$d) };
    (@mut $s:ident, $f:ident, $k:ident) => { ColumnMut::$k(&mut $s.$f) };
    (@push $s:ident, $r:ident, $f:ident, Name($d:ident)) => {{
        let code = SampleColumns::intern(&mut $s.$d, &$r.$f);
        $s.$f.push(code)
    }};
    (@push $s:ident, $r:ident, $f:ident, $k:ident) => { $s.$f.push($r.$f) };
    (@value $s:ident, $i:ident, $f:ident, Name($d:ident)) => { $s.$d[$s.$f[$i] as usize].clone() };
    (@value $s:ident, $i:ident, $f:ident, $k:ident) => { $s.$f[$i] };
}
