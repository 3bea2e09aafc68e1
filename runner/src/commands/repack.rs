//! `pywebbench repack RUN_DIR`: convert a finished run folder's `samples.parquet`
//! (schema v1: one file, every logical column) losslessly to schema v2's
//! `samples/<stack>.parquet` (offsets in place of `scheduled_ns`, `end_ns`, `ttfb_ns`;
//! data/README.md#layout).
//!
//! The original is kept until the new files are written, synced and read back equal
//! to it in every logical value of every row: the new files go to a hidden staging
//! folder, are verified, renamed to `samples/`, and only then is `samples.parquet`
//! removed. An interrupted repack leaves either the staging folder (discarded and
//! redone next time) or both layouts (the new one verified again, then the old one
//! removed). `manifest.json`, `resources.parquet` and `report/` are not touched.

use std::path::{Path, PathBuf};
use std::time::Instant;

use analysis::SampleColumns;
use analysis::schema::{MANIFEST_FILE, SAMPLES_DIR, SAMPLES_FILE};
use anyhow::{Context, Result, bail};

use crate::record::write_split_samples;
use crate::rundir::{RunDir, manifest_file_of, sync_dir};

#[derive(clap::Args, Debug)]
pub struct RepackArgs {
    /// A finished run folder holding samples.parquet (schema v1).
    pub run_dir: PathBuf,
}

/// Staging folder of the new layout, beside `samples/`.
const STAGING: &str = ".samples.repack.tmp";

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn read_all(files: &[PathBuf]) -> Result<SampleColumns> {
    let bytes = files
        .iter()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .collect::<Result<Vec<_>>>()?;
    let slices: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    analysis::read_samples_files(&slices).map_err(anyhow::Error::from)
}

/// Read the new files back and compare every logical value with the original.
fn verify(original: &SampleColumns, files: &[PathBuf], where_: &Path) -> Result<()> {
    let new = read_all(files).with_context(|| format!("reading back {}", where_.display()))?;
    if let Some(row) = original.first_difference(&new) {
        bail!(
            "{} differs from {SAMPLES_FILE} at row {row} (of {}); the original is kept — report this as a bug",
            where_.display(),
            original.len()
        );
    }
    if new.run_id != original.run_id {
        bail!(
            "{} names run {:?} but {SAMPLES_FILE} {:?}; the original is kept — report this as a bug",
            where_.display(),
            new.run_id,
            original.run_id
        );
    }
    Ok(())
}

pub fn run(args: RepackArgs) -> Result<()> {
    let started = Instant::now();
    let dir = &args.run_dir;
    if !manifest_file_of(dir).is_file() {
        bail!(
            "{} is not a run folder (no manifest.json); pass a folder written by `pywebbench run`",
            dir.display()
        );
    }
    let manifest_bytes = std::fs::read(manifest_file_of(dir))
        .with_context(|| format!("cannot read {}/{MANIFEST_FILE}", dir.display()))?;
    let manifest = analysis::parse_manifest(&manifest_bytes)
        .with_context(|| format!("in {}", dir.display()))?;
    let run = RunDir {
        path: dir.clone(),
        manifest,
    };
    let manifest = &run.manifest;
    let old = run.samples_file_v1();
    let split = run.samples_dir();
    if !old.is_file() {
        if split.is_dir() {
            println!(
                "repack: {} is already in the schema v2 layout ({SAMPLES_DIR}/); nothing to do",
                dir.display()
            );
            return Ok(());
        }
        if manifest.ended_at.is_none() {
            bail!(
                "{} is an unfinished run (no {SAMPLES_FILE} yet); finish it with `pywebbench run --resume {}`, which writes the new layout",
                dir.display(),
                dir.display()
            );
        }
        bail!(
            "{} has no {SAMPLES_FILE} to repack; pass a finished run folder",
            dir.display()
        );
    }
    let old_bytes = file_size(&old);
    let original = {
        let bytes =
            std::fs::read(&old).with_context(|| format!("cannot read {}", old.display()))?;
        analysis::read_samples(&bytes).with_context(|| format!("reading {}", old.display()))?
    };
    let run_id = original
        .run_id
        .clone()
        .unwrap_or_else(|| manifest.run_id.clone());

    if split.is_dir() {
        // An earlier repack renamed its verified files into place and stopped
        // before removing the original: verify again, then finish.
        let files = run.sample_files()?;
        verify(&original, &files, &split)?;
    } else {
        let staging = dir.join(STAGING);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).with_context(|| {
                format!(
                    "cannot remove {} (left by an interrupted repack); remove it by hand",
                    staging.display()
                )
            })?;
        }
        let files = write_split_samples(&staging, &original, &run_id)
            .with_context(|| format!("writing {}", staging.display()))?;
        verify(&original, &files, &staging)?;
        std::fs::rename(&staging, &split).with_context(|| {
            format!("cannot rename {} to {}", staging.display(), split.display())
        })?;
        sync_dir(dir);
    }
    std::fs::remove_file(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    sync_dir(dir);

    // What the check of the whole folder sees now (also proves it reads).
    let files = run.sample_files()?;
    let rows = run.read_samples(true)?.len();
    let sizes: Vec<u64> = files.iter().map(|f| file_size(f)).collect();
    let new_bytes: u64 = sizes.iter().sum();
    let largest = sizes.iter().copied().max().unwrap_or(0);
    println!(
        "repack: {} rows; {SAMPLES_FILE} {:.1} MB ({:.2} B/row) -> {SAMPLES_DIR}/ {} files, {:.1} MB ({:.2} B/row), largest {:.1} MB; verified, in {:.1} s",
        rows,
        old_bytes as f64 / 1e6,
        old_bytes as f64 / rows.max(1) as f64,
        files.len(),
        new_bytes as f64 / 1e6,
        new_bytes as f64 / rows.max(1) as f64,
        largest as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
