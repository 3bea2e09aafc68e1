//! `pywebbench analyze RUN_DIR`: summary.json, report.md, report.html and Figures 1–7
//! (SVG and PNG) from a run folder's samples (`samples/<stack>.parquet`, or
//! `samples.parquet` before schema v2), resources.parquet and manifest.json
//! ([`crate::analyze`]).

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// The run folder (holds samples/, resources.parquet, manifest.json).
    pub run_dir: PathBuf,
    /// Where to write the report [default: RUN_DIR/report].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Bootstrap seed [default: the campaign's seed from manifest.json].
    #[arg(long)]
    pub seed: Option<u64>,
}

pub fn run(args: AnalyzeArgs) -> Result<()> {
    let analysis = crate::analyze::analyze(&args.run_dir, args.out.as_deref(), args.seed)?;
    for line in analysis.lines() {
        println!("{line}");
    }
    Ok(())
}
