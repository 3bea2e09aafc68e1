//! Typed errors. Every message names the cause and the fix in one line.

use crate::schema::SCHEMA_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(
        "{file} is not a Parquet file (it does not start and end with `PAR1`); pass the {file} that `pywebbench run` wrote"
    )]
    NotParquet { file: &'static str },

    #[error(
        "{file} is truncated or corrupt ({detail}); copy the file again from the machine that ran the benchmark, or re-run it"
    )]
    Corrupt { file: &'static str, detail: String },

    #[error(
        "{file} has no column `{column}`; it was not written with pywebbench's sample schema v{SCHEMA_VERSION} — write it with `analysis::write_samples` (see data/README.md)"
    )]
    MissingColumn {
        file: &'static str,
        column: &'static str,
    },

    #[error(
        "{file}: column `{column}` is {found}, expected {expected}; rewrite the file with pywebbench's sample schema v{SCHEMA_VERSION} (see data/README.md)"
    )]
    WrongType {
        file: &'static str,
        column: &'static str,
        found: String,
        expected: &'static str,
    },

    #[error(
        "{file}: column `{column}` holds a null, which the schema forbids; only `error` may be null — rewrite the file with `analysis::write_samples`"
    )]
    NullValue {
        file: &'static str,
        column: &'static str,
    },

    #[error(
        "{file}: column `{column}` holds `{value}`, which is not allowed ({why}); rewrite the file with `analysis::write_samples`"
    )]
    InvalidValue {
        file: &'static str,
        column: &'static str,
        value: String,
        why: &'static str,
    },

    #[error(
        "{file} is compressed with {codec}, which this build cannot read; rewrite it with snappy or lz4 (e.g. polars `write_parquet(..., compression=\"snappy\")`)"
    )]
    UnsupportedCodec { file: &'static str, codec: String },

    #[error("{file} has no rows: the run recorded no requests; re-run it (`pywebbench run`)")]
    Empty { file: &'static str },

    #[error(
        "{file} uses schema version {found}, newer than the {supported} this pywebbench understands; update pywebbench (git pull && cargo build --release)"
    )]
    FutureSchema {
        file: &'static str,
        found: u32,
        supported: u32,
    },

    #[error(
        "manifest.json is not a pywebbench manifest (schema v{SCHEMA_VERSION}): {detail}; use the manifest.json that `pywebbench run` wrote"
    )]
    BadManifest { detail: String },

    #[error(
        "samples.parquet belongs to run `{samples_run}` but manifest.json to run `{manifest_run}`; put each run's own manifest.json beside its samples.parquet"
    )]
    ManifestFromAnotherRun {
        samples_run: String,
        manifest_run: String,
    },

    #[error(
        "the sample files belong to different runs (`{first}` and `{other}`); open the samples/*.parquet of one run folder only"
    )]
    SamplesFromManyRuns { first: String, other: String },

    #[error("no sample files were given; pass a run's samples/*.parquet (or its samples.parquet)")]
    NoSampleFiles,

    #[error(
        "samples.parquet holds stack `{stack}` repetition {repetition}, which manifest.json does not list: the manifest is from another run; use the run's own manifest.json"
    )]
    SampleNotInManifest { stack: String, repetition: u32 },

    #[error(
        "samples.parquet holds only warm-up requests (scenarios named `warmup*`), nothing measured; check the campaign's scenarios and re-run"
    )]
    NoMeasuredSamples,

    #[error("paper/{file}: {detail}; fix paper/{file}")]
    Paper { file: &'static str, detail: String },

    #[error(
        "summary.json has schema_version {found}, but this pywebbench reads {supported}; re-run `pywebbench analyze` on the run to regenerate it"
    )]
    SummaryVersion { found: u32, supported: u32 },

    #[error(
        "summary.json is not valid: {detail}; re-run `pywebbench analyze` on the run to regenerate it"
    )]
    BadSummary { detail: String },

    #[error("there is no figure {0}; the paper's figures are numbered 1 to 7")]
    NoSuchFigure(u8),

    #[error("unknown metric `{0}`; use paper, mean, median, p95, p99 or rps")]
    UnknownMetric(String),

    #[error("drawing figure {figure} failed: {detail}")]
    Draw { figure: u8, detail: String },

    #[error("writing {file} failed: {detail}")]
    Write { file: &'static str, detail: String },
}

pub type Result<T> = std::result::Result<T, AnalysisError>;
