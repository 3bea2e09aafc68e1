//! Analysing a run folder: its summary ([`crate::rundir::RunDir::summarize`]) written
//! as summary.json, report.md, report.html and Figures 1–7 (SVG and PNG), plus the
//! latency distributions of the scenarios that have them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use analysis::{Summary, Verdict};
use anyhow::{Context, Result};

use crate::rundir::{RunDir, write_bytes_atomic};

/// What [`analyze`] did.
pub struct Analysis {
    pub summary: Summary,
    /// The report folder.
    pub out: PathBuf,
    /// The scenarios whose latency distribution was drawn.
    pub distributions: Vec<String>,
    /// Flame graphs drawn (`flame-<stack>-<scenario>.svg`, a run made with `--profile`).
    pub profiles: usize,
    /// Reading and summarising, and the whole analysis.
    pub analysed: Duration,
    pub took: Duration,
}

/// Summarise the run folder `run_dir` and write its report to `out` [default:
/// `RUN_DIR/report`] with the bootstrap `seed` [default: the campaign's].
pub fn analyze(run_dir: &Path, out: Option<&Path>, seed: Option<u64>) -> Result<Analysis> {
    let started = Instant::now();
    let dir = RunDir::read(run_dir)?;
    let summary = dir.summarize(seed)?;
    let analysed = started.elapsed();
    let out = out.map_or_else(|| dir.report_dir(), Path::to_path_buf);
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the report folder {}", out.display()))?;
    let write = |name: &str, bytes: &[u8]| write_bytes_atomic(&out.join(name), bytes);
    let (w, h) = (analysis::figures::WIDTH, analysis::figures::HEIGHT);
    let mut svgs = Vec::with_capacity(7);
    for fig in 1..=7u8 {
        let svg = analysis::figures::svg(&summary, fig, w, h)
            .with_context(|| format!("drawing figure {fig} as SVG"))?;
        let png = analysis::figures::png(&summary, fig, w, h)
            .with_context(|| format!("drawing figure {fig} as PNG"))?;
        write(&format!("fig{fig}.svg"), svg.as_bytes())?;
        write(&format!("fig{fig}.png"), &png)?;
        svgs.push(svg);
    }
    let mut distributions = Vec::new();
    for scenario in analysis::figures::distribution_scenarios() {
        if summary.cell_has_distribution(scenario) {
            let svg = analysis::figures::distribution_svg(&summary, scenario, w, h)
                .with_context(|| format!("drawing the latency distribution of {scenario}"))?;
            write(
                &analysis::report::distribution_file(scenario),
                svg.as_bytes(),
            )?;
            distributions.push((scenario.to_string(), svg));
        }
    }
    let profiles = dir.read_profiles()?;
    // One document for both formats: the flame graphs are drawn once, in it.
    let doc = analysis::report::document_with_profiles(&summary, &profiles);
    for (file, svg) in analysis::report::files_beside(&doc) {
        write(file, svg.as_bytes())?;
    }
    // A sweep's or a peak run's own outputs, drawn again from their JSON (as the
    // command that made the run drew them), so a change to how they are shown reaches
    // finished runs too.
    if out == dir.report_dir() {
        redraw_sweep_and_peak(&dir)?;
    }
    write(crate::rundir::SUMMARY_FILE, summary.to_json().as_bytes())?;
    write(
        "report.md",
        analysis::report::markdown::render(&doc).as_bytes(),
    )?;
    write(
        "report.html",
        analysis::report::html_of(&summary, &doc, &svgs, &distributions).as_bytes(),
    )?;
    Ok(Analysis {
        summary,
        out,
        distributions: distributions.into_iter().map(|(sc, _)| sc).collect(),
        profiles: profiles.len(),
        analysed,
        took: started.elapsed(),
    })
}

/// `report/capacity.*` from `sweep.json` and the tuned figures and `peak.md` from
/// `peak.json`, for the run folders that have them.
fn redraw_sweep_and_peak(dir: &RunDir) -> Result<()> {
    if let Some(sweep) = crate::rundir::read_sweep(&dir.path)? {
        crate::engine::write_figures(dir, &sweep)?;
    }
    if let Some(peak) = crate::rundir::read_peak(&dir.path)? {
        crate::engine::write_peak_outputs(dir, &peak)?;
    }
    Ok(())
}

impl Analysis {
    /// What `pywebbench analyze` prints: counts, verdicts, warnings, files written.
    pub fn lines(&self) -> Vec<String> {
        let summary = &self.summary;
        let count = |v: Verdict| {
            summary
                .claims
                .iter()
                .filter(|c| c.run_verdict == Some(v))
                .count()
        };
        let mut lines = vec![
            format!(
                "analyze: {} samples ({} measured, {} warm-up, {} from failed repetitions) in {:.2} s; report in {:.2} s",
                summary.samples.total,
                summary.samples.measured,
                summary.samples.warmup,
                summary.samples.excluded,
                self.analysed.as_secs_f64(),
                self.took.as_secs_f64()
            ),
            format!(
                "analyze: {} claims against this run: {} hold, {} do not hold, {} inconclusive, {} not tested",
                summary.claims.len(),
                count(Verdict::Holds),
                count(Verdict::DoesNotHold),
                count(Verdict::Inconclusive),
                count(Verdict::NotTested)
            ),
        ];
        for w in &summary.warnings {
            lines.push(format!("analyze: warning: {w}"));
        }
        if self.profiles > 0 {
            lines.push(format!(
                "analyze: {} flame graphs of the profiled repetition (flame-<stack>-<scenario>.svg)",
                self.profiles
            ));
        }
        lines.push(format!(
            "analyze: wrote summary.json, report.md, report.html, fig1..fig7 (.svg, .png){} to {}",
            if self.distributions.is_empty() {
                String::new()
            } else {
                format!(
                    ", {}",
                    self.distributions
                        .iter()
                        .map(|sc| analysis::report::distribution_file(sc))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            self.out.display()
        ));
        lines
    }
}
