//! pywebbench analysis: the raw-sample schema shared with the runner, the statistics
//! the paper lacked, the paper's own numbers and claims as data, Figures 1–7 and the
//! reports. No file or network I/O lives here: every function takes bytes, slices or
//! structs, so the same code builds for wasm32 (the viewer) and natively (the runner).

pub mod capacity;
pub mod columns;
pub mod compare;
pub mod distribution;
pub mod error;
pub mod figures;
pub mod format;
mod jsonf64;
pub mod limiter;
pub mod overview;
pub mod paired;
pub mod paper;
pub mod peak;
pub mod precision;
pub mod profile;
pub mod read;
pub mod registry;
pub mod report;
pub mod schema;
pub mod shown;
pub mod stats;
pub mod summary;
pub mod synthetic;
pub mod table;
pub mod viewtables;
#[cfg(feature = "write")]
pub mod write;

/// Every `stacks/*/stack.toml` as (path, text), compiled in by `build.rs`.
const STACK_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/stack_files.rs"));

pub use columns::{SampleColumns, is_warmup};
pub use compare::{Comparison, compare};
pub use error::{AnalysisError, Result};
pub use paper::{Paper, Verdict};
pub use read::{
    parse_manifest, read_resources, read_samples, read_samples_files,
    read_samples_files_for_analysis, read_samples_for_analysis,
};
pub use shown::ShownMetric;
pub use summary::{
    SUMMARY_SCHEMA_VERSION, Settings, Summary, default_seed, summarize, summarize_paper,
    summarize_with,
};
#[cfg(feature = "write")]
pub use write::{write_resources, write_sample_columns, write_samples, write_samples_for_run};
