//! The capacity sweep as a library (`pywebbench sweep` is its thin command): a run
//! whose repetition per stack is a ramp of constant-arrival-rate steps
//! ([`crate::sweep::ramp`]) instead of the campaign's scenarios. Everything else is
//! the run's: the run folder and manifest (the campaign recorded with its `[sweep]`
//! settings as run), the images checked, one fresh container per stack deployed,
//! settled and warmed up as `run` does, reached by the run's load path (netns or the
//! published port on loopback), the samples flushed per stack and merged at the end.
//! Besides the samples (scenario `<request>@<rate>rps` per step) the folder gets
//! `sweep.json` ([`SweepSummary`]) and the capacity figure in `report/`.
//!
//! Not resumable: an interrupted sweep keeps the stacks it finished (parts and
//! manifest) but is not merged; run it again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use analysis::capacity::{SWEEP_SCHEMA_VERSION, StackSweep, SweepSummary, knee};
use analysis::schema::RepetitionStatus;
use anyhow::{Context, Result};

use super::event::{Event, Observer};
use super::native;
use super::repetition::Measure;
use crate::campaign::Campaign;
use crate::rundir::{CAPACITY_SVG, RunDir, write_bytes_atomic};
use crate::sweep::{RampResult, SweepSettings};

/// Everything [`sweep`] needs.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The campaign (stacks chosen; its settle, warm-up, idle, request definitions,
    /// server settings and load path apply). Run once per stack.
    pub campaign: Campaign,
    pub settings: SweepSettings,
    /// The run folder, the load path and the contract check.
    pub target: native::NativeTarget,
}

impl SweepConfig {
    /// About the longest the sweep takes: per stack a container start, the settle
    /// period, the timed warm-ups (a shared-iterations warm-up takes the seconds its
    /// iterations take, not counted), the idle period and every planned step.
    pub fn estimate(&self) -> Duration {
        let c = &self.campaign;
        let warmup: Duration = c
            .warmup
            .iter()
            .filter(|w| w.executor.iterations().is_none())
            .map(|w| w.executor.max_duration())
            .sum();
        let per_stack =
            CONTAINER_START + c.settle.0 + warmup + c.idle.0 + self.settings.estimate_per_stack();
        per_stack * c.stacks.len() as u32
    }
}

/// A container's start and health check, typically (the estimate only).
const CONTAINER_START: Duration = Duration::from_secs(5);

/// How a sweep ended.
#[derive(Debug)]
pub struct SweepOutcome {
    pub dir: PathBuf,
    pub summary: SweepSummary,
    pub interrupted: bool,
    /// The figure files written (SVG, PNG).
    pub figures: Vec<PathBuf>,
    pub took: Duration,
}

/// Run the sweep on every stack of the campaign (call it outside any tokio runtime).
pub fn sweep(config: SweepConfig, observer: Arc<dyn Observer>) -> Result<SweepOutcome> {
    let cpus = config.campaign.loadgen_cpus.clone();
    super::block_on_pinned(cpus.as_deref(), sweep_async(config, observer))
}

async fn sweep_async(config: SweepConfig, observer: Arc<dyn Observer>) -> Result<SweepOutcome> {
    let mut campaign = config.campaign.clone();
    campaign.repetitions = 1;
    campaign.precision = None;
    let mut run = native::open(&campaign, &config.target, &observer, |_| {}).await?;
    run.announce("capacity sweep", "1 sweep".into());
    let started = Instant::now();
    let settings = &config.settings;
    let mut summary = SweepSummary {
        schema_version: SWEEP_SCHEMA_VERSION,
        run_id: run.dir.manifest.run_id.clone(),
        request: settings.request.as_str().into(),
        slo: settings.slo,
        plan: settings.plan.clone(),
        step_seconds: settings.step.as_secs_f64(),
        stacks: Vec::new(),
    };
    let mut interrupted = false;
    for (stack, rep) in super::order(&run.dir.manifest, &campaign) {
        if run.stopping() {
            interrupted = true;
            break;
        }
        let mut ramp = RampResult::default();
        let session = &run.session;
        let result = session
            .repetition_measuring(
                &session.deploy(&stack),
                rep,
                Measure::Sweep {
                    settings,
                    result: &mut ramp,
                },
            )
            .await;
        let status = result.summary.status;
        observer.event(&Event::RepetitionFinished {
            stack: stack.clone(),
            repetition: rep,
            status,
            cause: result.summary.cause.clone(),
        });
        summary.stacks.push(StackSweep {
            knee: knee(&ramp.points, &settings.slo),
            points: ramp.points,
            failure: result.summary.cause.clone().or(ramp.dead),
            stack: stack.clone(),
        });
        run.dir
            .record(result.summary, &result.samples, &result.resources)?;
        run.dir.save_sweep(&summary)?;
        if status == RepetitionStatus::Interrupted {
            interrupted = true;
            break;
        }
    }
    run.close(interrupted).await?;
    let dir = run.dir;
    let figures = write_figures(&dir, &summary)?;
    Ok(SweepOutcome {
        dir: dir.path,
        summary,
        interrupted,
        figures,
        took: started.elapsed(),
    })
}

/// The capacity figure of `summary` as `report/capacity.svg` and `.png`.
pub fn write_figures(dir: &RunDir, summary: &SweepSummary) -> Result<Vec<PathBuf>> {
    let report = dir.report_dir();
    std::fs::create_dir_all(&report)
        .with_context(|| format!("cannot create {}", report.display()))?;
    let (w, h) = (analysis::figures::WIDTH, analysis::figures::CAPACITY_HEIGHT);
    let svg = analysis::figures::capacity_svg(summary, w, h)?;
    let png = analysis::figures::capacity_png(summary, w, h)?;
    let files = [
        report.join(CAPACITY_SVG),
        report.join(CAPACITY_SVG).with_extension("png"),
    ];
    write_bytes_atomic(&files[0], svg.as_bytes())?;
    write_bytes_atomic(&files[1], &png)?;
    Ok(files.to_vec())
}
