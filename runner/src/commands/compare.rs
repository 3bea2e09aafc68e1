//! `pywebbench compare A B`: per scenario and stack the change from A to B with its
//! confidence interval and significance, as benchstat prints it. A and B are run
//! folders, summary.json files, or `paper` (the published numbers).

use std::path::{Path, PathBuf};

use analysis::{Paper, Summary};
use anyhow::{Context, Result};

use crate::rundir::{summarize, write_bytes_atomic};

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Baseline: a run folder, a summary.json, or `paper`.
    pub a: String,
    /// The other: a run folder, a summary.json, or `paper`.
    pub b: String,
    /// Also write the comparison as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Bootstrap seed for run folders [default: each campaign's seed].
    #[arg(long)]
    pub seed: Option<u64>,
}

fn load(what: &str, seed: Option<u64>) -> Result<Summary> {
    if what == "paper" {
        let paper = Paper::builtin().context("the built-in paper data is invalid")?;
        return Ok(analysis::summarize_paper(&paper));
    }
    let path = Path::new(what);
    if path.is_dir() {
        return summarize(path, seed);
    }
    if path.is_file() {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        return Summary::from_json(&bytes).with_context(|| format!("in {}", path.display()));
    }
    anyhow::bail!(
        "{what} is neither a run folder, a summary.json nor `paper`; pass e.g. data/runs/<run-id>"
    )
}

pub fn run(args: CompareArgs) -> Result<()> {
    let a = load(&args.a, args.seed).with_context(|| format!("loading A ({})", args.a))?;
    let b = load(&args.b, args.seed).with_context(|| format!("loading B ({})", args.b))?;
    let cmp = analysis::compare(&a, &b);
    print!("{}", cmp.table());
    if let Some(path) = &args.json {
        path.file_name()
            .with_context(|| format!("{} is not a file name", path.display()))?;
        let json = serde_json::to_string_pretty(&cmp).context("serialising the comparison")?;
        write_bytes_atomic(path, json.as_bytes())?;
        println!("compare: wrote {}", path.display());
    }
    Ok(())
}
