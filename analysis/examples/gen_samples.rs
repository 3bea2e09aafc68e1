//! Write a synthetic run folder (samples/<stack>.parquet, resources.parquet, manifest.json)
//! shaped like the paper's campaign, for `just bench-analysis` and for trying
//! `pywebbench analyze` without Docker. Generated data, never a measurement.
//!
//!   cargo run --release -p analysis --features write --example gen_samples -- OUT_DIR [SCALE] [SEED] [REPETITIONS]
//!
//! SCALE 1.0 ≈ a full paper campaign (5 stacks × 5 repetitions, ~3 million samples
//! with warm-up); the default 0.05 is a quick run.

use std::path::PathBuf;

use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE, SAMPLES_DIR, stack_samples_file};
use analysis::synthetic::{SyntheticSpec, synthetic_run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: gen_samples OUT_DIR [SCALE] [SEED] [REPETITIONS]")?,
    );
    let scale: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0.05);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let repetitions: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let paper = analysis::Paper::builtin()?;
    let spec = SyntheticSpec {
        run_id: format!("synthetic-scale{scale}-seed{seed}"),
        scale,
        seed,
        repetitions,
        failed: Some(("django-drf".into(), repetitions.min(4))),
        ..SyntheticSpec::default()
    };
    let (mut manifest, cols, resources) = synthetic_run(&spec, &paper);
    manifest.campaign["seed"] = serde_json::json!(seed);
    std::fs::create_dir_all(out.join(SAMPLES_DIR))?;
    for (stack, rows) in cols.split_by_stack() {
        std::fs::write(
            out.join(SAMPLES_DIR).join(stack_samples_file(&stack)?),
            analysis::write_sample_columns(&rows, Some(&manifest.run_id))?,
        )?;
    }
    std::fs::write(
        out.join(RESOURCES_FILE),
        analysis::write::write_resources_for_run(&resources, Some(&manifest.run_id))?,
    )?;
    std::fs::write(
        out.join(MANIFEST_FILE),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    println!(
        "gen_samples: {} samples ({} resource readings) in {}",
        cols.len(),
        resources.len(),
        out.display()
    );
    Ok(())
}
