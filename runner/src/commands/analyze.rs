//! `pywebbench analyze RUN_DIR`: summary.json, report.md, report.html and Figures 1–7
//! (SVG and PNG) from a run folder's samples (`samples/<stack>.parquet`, or
//! `samples.parquet` before schema v2), resources.parquet and manifest.json.

use std::path::{Path, PathBuf};
use std::time::Instant;

use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE};
use analysis::{Paper, Summary, Verdict};
use anyhow::{Context, Result};

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

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| {
        format!(
            "cannot read {} (a run folder holds manifest.json and samples/ as `pywebbench run` wrote them)",
            path.display()
        )
    })
}

/// Read a run folder and summarise it.
pub fn summarize_run_dir(dir: &Path, seed: Option<u64>) -> Result<Summary> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{} is not a run folder; pass a folder written by `pywebbench run` (e.g. data/runs/<run-id>)",
            dir.display()
        );
    }
    let manifest = analysis::parse_manifest(&read(&dir.join(MANIFEST_FILE))?)
        .with_context(|| format!("in {}", dir.display()))?;
    let samples = crate::record::read_run_samples(dir, true)?;
    let resources_path = dir.join(RESOURCES_FILE);
    let resources = if resources_path.exists() {
        analysis::read_resources(&read(&resources_path)?)
            .with_context(|| format!("in {}", dir.display()))?
    } else {
        tracing::warn!(
            "{} is missing: no resource figures",
            resources_path.display()
        );
        Vec::new()
    };
    let paper = Paper::builtin().context("the built-in paper data is invalid")?;
    let seed = seed.unwrap_or_else(|| analysis::default_seed(&manifest));
    analysis::summarize(&manifest, &samples, &resources, &paper, seed)
        .with_context(|| format!("analysing {}", dir.display()))
}

/// Write `bytes` to `dir/name` through a temporary file and a rename, so a reader
/// never sees half a file.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

pub fn run(args: AnalyzeArgs) -> Result<()> {
    let started = Instant::now();
    let summary = summarize_run_dir(&args.run_dir, args.seed)?;
    let analysed = started.elapsed();
    let out = args.out.unwrap_or_else(|| args.run_dir.join("report"));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the report folder {}", out.display()))?;
    let (w, h) = (analysis::figures::WIDTH, analysis::figures::HEIGHT);
    let mut svgs = Vec::with_capacity(7);
    for fig in 1..=7u8 {
        let svg = analysis::figures::svg(&summary, fig, w, h)
            .with_context(|| format!("drawing figure {fig} as SVG"))?;
        let png = analysis::figures::png(&summary, fig, w, h)
            .with_context(|| format!("drawing figure {fig} as PNG"))?;
        write_atomic(&out, &format!("fig{fig}.svg"), svg.as_bytes())?;
        write_atomic(&out, &format!("fig{fig}.png"), &png)?;
        svgs.push(svg);
    }
    let mut distributions = Vec::new();
    for scenario in analysis::figures::distribution_scenarios() {
        if summary.cell_has_distribution(scenario) {
            let svg = analysis::figures::distribution_svg(&summary, scenario, w, h)
                .with_context(|| format!("drawing the latency distribution of {scenario}"))?;
            write_atomic(
                &out,
                &analysis::report::distribution_file(scenario),
                svg.as_bytes(),
            )?;
            distributions.push((scenario.to_string(), svg));
        }
    }
    write_atomic(&out, "summary.json", summary.to_json().as_bytes())?;
    write_atomic(
        &out,
        "report.md",
        analysis::report::markdown(&summary).as_bytes(),
    )?;
    write_atomic(
        &out,
        "report.html",
        analysis::report::html(&summary, &svgs, &distributions).as_bytes(),
    )?;

    let count = |v: Verdict| {
        summary
            .claims
            .iter()
            .filter(|c| c.run_verdict == Some(v))
            .count()
    };
    println!(
        "analyze: {} samples ({} measured, {} warm-up, {} from failed repetitions) in {:.2} s; report in {:.2} s",
        summary.samples.total,
        summary.samples.measured,
        summary.samples.warmup,
        summary.samples.excluded,
        analysed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "analyze: {} claims against this run: {} hold, {} do not hold, {} inconclusive, {} not tested",
        summary.claims.len(),
        count(Verdict::Holds),
        count(Verdict::DoesNotHold),
        count(Verdict::Inconclusive),
        count(Verdict::NotTested)
    );
    for w in &summary.warnings {
        println!("analyze: warning: {w}");
    }
    println!(
        "analyze: wrote summary.json, report.md, report.html, fig1..fig7 (.svg, .png){} to {}",
        if distributions.is_empty() {
            String::new()
        } else {
            format!(
                ", {}",
                distributions
                    .iter()
                    .map(|(sc, _)| analysis::report::distribution_file(sc))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        out.display()
    );
    Ok(())
}
