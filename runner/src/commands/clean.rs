//! `pywebbench clean`: remove what an earlier crash left behind — every container
//! labelled `pywebbench` (and with `--images`, the project's images and networks).

use anyhow::Result;

use crate::docker;

#[derive(clap::Args, Debug)]
pub struct CleanArgs {
    /// Also remove the project's images (pywebbench/*) and networks; rebuild them with
    /// `bash scripts/build-images.sh`.
    #[arg(long, conflicts_with = "run")]
    pub images: bool,
    /// Only the containers of this run (its folder name, the `pywebbench.run` label).
    #[arg(long)]
    pub run: Option<String>,
}

pub fn run(args: CleanArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let engine = docker::connect().await?;
        let label = match &args.run {
            Some(id) => docker::run_label(id),
            None => docker::LABEL.to_string(),
        };
        let done = docker::clean(&engine, &label, args.images).await?;
        if args.images {
            println!(
                "clean: removed {} containers, {} images, {} networks labelled `{}`",
                done.containers,
                done.images,
                done.networks,
                docker::LABEL
            );
        } else {
            println!(
                "clean: removed {} containers labelled `{label}`",
                done.containers
            );
        }
        Ok(())
    })
}
