//! Write a small synthetic run folder — `samples.parquet`, `resources.parquet`,
//! `manifest.json` — with `analysis::synthetic` and the analysis crate's own
//! writers, for the viewer's end-to-end test and demo. The numbers are made up
//! (shaped like the paper's) and never presented as a measurement.
//!
//! The run id is recorded in the Parquet files, so the page can tell a manifest
//! from another run. Analyse it natively with `pywebbench analyze OUT_DIR`.
//!
//! Usage: `cargo run -p web --example synthetic_run -- OUT_DIR RUN_ID SEED [SCALE] [REPETITIONS]`

use std::path::PathBuf;
use std::process::ExitCode;

use analysis::Paper;
use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE, SAMPLES_FILE};
use analysis::synthetic::{SyntheticSpec, synthetic_run};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synthetic_run: {e}");
            ExitCode::FAILURE
        }
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, name: &str, default: T) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    match args.get(i) {
        Some(s) => s.parse().map_err(|e| format!("{name} `{s}`: {e}")),
        None => Ok(default),
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: synthetic_run OUT_DIR RUN_ID SEED [SCALE] [REPETITIONS]".into());
    }
    let out = PathBuf::from(&args[0]);
    let spec = SyntheticSpec {
        run_id: args[1].clone(),
        seed: arg(&args, 2, "SEED", 1u64)?,
        scale: arg(&args, 3, "SCALE", 0.005f64)?,
        repetitions: arg(&args, 4, "REPETITIONS", 2u32)?,
        warmup_requests: 2_000,
        ..SyntheticSpec::default()
    };
    let paper = Paper::builtin().map_err(|e| e.to_string())?;
    let (manifest, samples, resources) = synthetic_run(&spec, &paper);

    let samples_bytes =
        analysis::write_sample_columns(&samples, Some(&spec.run_id)).map_err(|e| e.to_string())?;
    let resources_bytes = analysis::write::write_resources_for_run(&resources, Some(&spec.run_id))
        .map_err(|e| e.to_string())?;
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    for (name, bytes) in [
        (SAMPLES_FILE, &samples_bytes),
        (RESOURCES_FILE, &resources_bytes),
        (MANIFEST_FILE, &manifest_bytes),
    ] {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    println!(
        "synthetic_run: {} samples, {} resource readings in {}",
        samples.len(),
        resources.len(),
        out.display()
    );
    Ok(())
}
