//! `pywebbench publish RUN_DIR`: copy a finished run folder (a campaign's run, analysed,
//! or a capacity sweep) into `data/published/<run id>/` and update `index.json`, as
//! `reproduce` does at its end. The work is `crate::publish::publish`.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct PublishArgs {
    /// A finished run folder: a run with `report/summary.json` (`pywebbench analyze` it
    /// first) or a sweep with `sweep.json`, `report/capacity.svg` and `report/summary.json`
    /// (`pywebbench analyze` it too).
    pub run_dir: PathBuf,
    /// Where published runs live (their `index.json` is rewritten).
    #[arg(long, default_value = "data/published")]
    pub publish_dir: PathBuf,
}

pub fn run(args: PublishArgs) -> Result<()> {
    let dst = crate::publish::publish(&args.run_dir, &args.publish_dir)?;
    println!(
        "publish: {} → {} (index: {})",
        args.run_dir.display(),
        dst.display(),
        args.publish_dir.join(crate::publish::INDEX_FILE).display()
    );
    Ok(())
}
