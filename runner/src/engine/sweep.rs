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
use tokio::sync::watch;

use super::config::{Loadgen, Start, target_host};
use super::event::{Event, Observer};
use super::repetition::{Measure, Session};
use super::{contract, preflight, spawn_signal_watch};
use crate::campaign::{Campaign, PathChoice};
use crate::docker;
use crate::manifest::now_rfc3339;
use crate::netns::PathUsed;
use crate::rundir::{CAPACITY_SVG, RunDir, write_bytes_atomic};
use crate::sweep::{RampResult, SweepSettings};

/// Everything [`sweep`] needs.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The campaign (stacks chosen; its settle, warm-up, idle, request definitions,
    /// server settings and load path apply). Run once per stack.
    pub campaign: Campaign,
    pub settings: SweepSettings,
    /// The run folder [default: data/runs/<UTC timestamp>-<host>].
    pub out: Option<PathBuf>,
    /// How the load reaches the server [default: the campaign's `[loadgen] path`].
    pub path: Option<PathChoice>,
    pub publish_ip: String,
    pub target_host: Option<String>,
    /// Measure without checking the API contract first (recorded in the manifest).
    pub skip_contract: bool,
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
    if let Some(cpus) = &config.campaign.loadgen_cpus {
        preflight::pin_to_cpus(cpus)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let outcome = rt.block_on(sweep_async(config, observer));
    drop(rt);
    outcome
}

async fn sweep_async(config: SweepConfig, observer: Arc<dyn Observer>) -> Result<SweepOutcome> {
    let (stop_tx, stop) = watch::channel(false);
    spawn_signal_watch(stop_tx, Arc::clone(&observer));
    let engine = docker::connect().await?;
    let engine_version = docker::engine_version(&engine).await?;
    let mut campaign = config.campaign.clone();
    campaign.repetitions = 1;
    campaign.precision = None;
    // Before the run folder exists, as `run`: a stack that fails the contract leaves nothing.
    let contract = contract::gate(
        &engine,
        &campaign.stacks,
        config.skip_contract,
        observer.as_ref(),
    )
    .await?;
    let start = Start::New {
        campaign: Box::new(campaign.clone()),
        out: config.out.clone(),
        loadgen: Loadgen::Native,
        path: config.path,
    };
    let mut dir = preflight::new_run(
        &engine,
        engine_version,
        &start,
        &campaign,
        config.out.as_deref(),
        Loadgen::Native,
    )
    .await?;
    dir.manifest.contract = Some(contract);
    let run_id = preflight::sanitize(&dir.manifest.run_id);
    let path = PathUsed::recorded(dir.manifest.path.as_ref());
    preflight::check_images(&engine, &campaign, &mut dir, &run_id, observer.as_ref()).await?;
    docker::clean(&engine, &format!("{}={}", docker::LABEL_RUN, run_id), false).await?;
    let session = Session {
        docker: engine.clone(),
        campaign: campaign.clone(),
        run_id: run_id.clone(),
        loadgen: Loadgen::Native,
        k6: PathBuf::new(),
        publish_ip: config.publish_ip.clone(),
        target_host: target_host(&config.publish_ip, config.target_host.as_deref()),
        path,
        live: observer.live(),
        observer: Arc::clone(&observer),
        stop: stop.clone(),
        profiling: None,
    };
    observer.event(&Event::RunStarted {
        run_id: dir.manifest.run_id.clone(),
        dir: dir.path.clone(),
        campaign: format!("{} (capacity sweep)", campaign.name),
        stacks: campaign.stacks.len(),
        repetitions: "1 sweep".into(),
        loadgen: Loadgen::Native.as_str().into(),
        path: path.as_str().into(),
    });
    let started = Instant::now();
    let settings = &config.settings;
    let mut summary = SweepSummary {
        schema_version: SWEEP_SCHEMA_VERSION,
        run_id: dir.manifest.run_id.clone(),
        request: settings.request.as_str().into(),
        slo: settings.slo,
        plan: settings.plan.clone(),
        step_seconds: settings.step.as_secs_f64(),
        stacks: Vec::new(),
    };
    let mut interrupted = false;
    for (stack, rep) in super::order(&dir.manifest, &campaign) {
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        let mut ramp = RampResult::default();
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
        dir.record(result.summary, &result.samples, &result.resources)?;
        dir.save_sweep(&summary)?;
        if status == RepetitionStatus::Interrupted {
            interrupted = true;
            break;
        }
    }
    let label = format!("{}={}", docker::LABEL_RUN, run_id);
    if !docker::labelled_containers(&engine, &label)
        .await?
        .is_empty()
    {
        docker::clean(&engine, &label, false).await?;
    }
    observer.event(&Event::RunFinished);
    if !interrupted {
        dir.finish(now_rfc3339())?;
    }
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
