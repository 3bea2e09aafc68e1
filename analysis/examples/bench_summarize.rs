//! Time reading and summarising a run folder (no figures): the analysis half of
//! `just bench-analysis`. Prints one JSON line with the timings.
//!
//!   cargo run --release -p analysis --features write --example bench_summarize -- RUN_DIR [REPEATS]

use std::path::PathBuf;
use std::time::Instant;

use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE, SAMPLES_FILE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: bench_summarize RUN_DIR [REPEATS]")?,
    );
    let repeats: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let samples_bytes = std::fs::read(dir.join(SAMPLES_FILE))?;
    let resources_bytes = std::fs::read(dir.join(RESOURCES_FILE))?;
    let manifest_bytes = std::fs::read(dir.join(MANIFEST_FILE))?;
    let paper = analysis::Paper::builtin()?;
    let mut best = (f64::MAX, f64::MAX, f64::MAX);
    let mut rows = 0;
    for _ in 0..repeats {
        let t0 = Instant::now();
        let manifest = analysis::parse_manifest(&manifest_bytes)?;
        let samples = analysis::read_samples_for_analysis(&samples_bytes)?;
        let resources = analysis::read_resources(&resources_bytes)?;
        let t1 = Instant::now();
        let summary = analysis::summarize(
            &manifest,
            &samples,
            &resources,
            &paper,
            analysis::default_seed(&manifest),
        )?;
        let t2 = Instant::now();
        rows = samples.len();
        let read = (t1 - t0).as_secs_f64();
        let stats = (t2 - t1).as_secs_f64();
        if read + stats < best.2 {
            best = (read, stats, read + stats);
        }
        assert_eq!(summary.samples.total as usize, rows);
    }
    println!(
        "{{\"rows\": {rows}, \"read_s\": {:.4}, \"summarize_s\": {:.4}, \"total_s\": {:.4}, \"repeats\": {repeats}}}",
        best.0, best.1, best.2
    );
    Ok(())
}
