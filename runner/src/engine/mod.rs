//! The run engine: campaign → deploy → load → record, as a library. A command
//! builds a [`RunConfig`] and calls [`run`]; the engine reports what it does as
//! [`Event`]s to an [`Observer`] (the progress display, plain log lines, a test's
//! collector) and returns how the run ended ([`Outcome`]), which the caller prints.
//!
//! The repetitions run in the manifest's interleaved rounds (every stack once per
//! round, in a seeded order); a precision run checks its stopping rule after each
//! round. The load path (`[loadgen] path`, see [`crate::netns`]) is decided once per
//! run, before the run folder exists, and recorded in the manifest.
//!
//! Each finished repetition is flushed at once (parts + manifest), so a late failure
//! loses nothing; at the end the parts are merged into `samples/<stack>.parquet` and
//! `resources.parquet`. A failed repetition (container died, health timeout, load
//! error) is recorded with its cause and its samples, and the run goes on.
//! Ctrl-C / SIGTERM stops the load, removes the container, records the repetition
//! as interrupted (its samples are dropped; a resume runs it again).

mod config;
mod contract;
mod event;
mod native;
mod outcome;
mod peak;
mod precision;
mod precision_text;
mod preflight;
mod repetition;
mod sweep;

use std::sync::Arc;
use std::time::Instant;

use analysis::schema::{Manifest, PROFILED_REPETITION, ProfileRecord, RepetitionStatus};
use anyhow::{Context, Result, anyhow, bail};
use tokio::sync::watch;

pub use self::native::NativeTarget;
pub use self::peak::{
    PeakConfig, PeakOutcome, grids as peak_grids, peak, write_outputs as write_peak_outputs,
};
pub use self::sweep::{SweepConfig, SweepOutcome, sweep, write_figures};
pub use config::{CampaignChoice, Loadgen, RunConfig, Start};
pub use contract::cache_dir;
pub use event::{Collect, Event, Observer, Phase};
pub use outcome::{EXIT_FAILED_REPETITIONS, EXIT_INTERRUPTED, Outcome};

use crate::campaign::Campaign;
use crate::docker;
use crate::manifest::now_rfc3339;
use crate::netns::PathUsed;
use crate::profiler::Profiler;
use crate::rundir::RunDir;
use precision::{RoundPace, precision_check, round_complete};
use repetition::{Profiling, Session};

/// What is known before the runtime starts: the campaign, and on a resume the
/// run folder and its generator.
struct Plan {
    campaign: Campaign,
    resumed: Option<(RunDir, Loadgen)>,
}

impl Plan {
    fn of(start: &Start) -> Result<Plan> {
        match start {
            Start::New { campaign, .. } => Ok(Plan {
                campaign: campaign.as_ref().clone(),
                resumed: None,
            }),
            Start::Resume(path) => {
                let dir = RunDir::open(path)?;
                let campaign =
                    Campaign::from_json(&dir.manifest.campaign).map_err(|e| anyhow!(e))?;
                let loadgen = dir
                    .manifest
                    .loadgen
                    .parse()
                    .with_context(|| format!("in {}", dir.manifest_file().display()))?;
                Ok(Plan {
                    campaign,
                    resumed: Some((dir, loadgen)),
                })
            }
        }
    }
}

/// Run the campaign (or the rest of an interrupted run) to its end: [`prepare`],
/// then [`Prepared::run`].
pub fn run(config: RunConfig, observer: Arc<dyn Observer>) -> Result<Outcome> {
    prepare(config)?.run(observer)
}

/// A run whose campaign is read and whose thread is pinned; nothing started yet.
pub struct Prepared {
    config: RunConfig,
    plan: Plan,
}

/// Read the campaign (a resumed run's from its manifest) and pin this thread, and
/// so every thread started after it, to the campaign's `loadgen.cpus`: call it
/// before starting other threads (a progress display's), outside any tokio runtime.
pub fn prepare(config: RunConfig) -> Result<Prepared> {
    let plan = Plan::of(&config.start)?;
    let finished = plan.resumed.as_ref().is_some_and(|(d, _)| d.is_finished());
    if !finished && let Some(cpus) = &plan.campaign.loadgen_cpus {
        preflight::pin_to_cpus(cpus)?;
    }
    Ok(Prepared { config, plan })
}

impl Prepared {
    /// Run it on a tokio runtime of its own (call it outside any runtime).
    pub fn run(self, observer: Arc<dyn Observer>) -> Result<Outcome> {
        if let Some((dir, _)) = &self.plan.resumed
            && dir.is_finished()
        {
            return Ok(Outcome::AlreadyComplete {
                dir: dir.path.clone(),
            });
        }
        // Pinned already, by `prepare`.
        block_on_pinned(None, run_async(self.config, self.plan, observer))
    }
}

/// `work` on a tokio runtime of its own, after pinning this thread (and so every
/// thread started after it, the runtime's too) to `cpus`, a campaign's `loadgen.cpus`.
/// Call it outside any runtime.
fn block_on_pinned<T>(
    cpus: Option<&str>,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    if let Some(cpus) = cpus {
        preflight::pin_to_cpus(cpus)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let outcome = rt.block_on(work);
    drop(rt);
    outcome
}

async fn run_async(config: RunConfig, plan: Plan, observer: Arc<dyn Observer>) -> Result<Outcome> {
    // From here on Ctrl-C / SIGTERM only set `stop`: whatever is under way finishes
    // cleanly (no container is left half-made) and the loop below stops.
    let (stop_tx, stop) = watch::channel(false);
    spawn_signal_watch(stop_tx, Arc::clone(&observer));
    let campaign = plan.campaign;
    // Before anything starts: a profiler that cannot run refuses the run.
    let profiler = campaign.profile.map(Profiler::find).transpose()?;
    let engine = docker::connect().await?;
    let engine_version = docker::engine_version(&engine).await?;
    // Before the run folder exists: a stack that fails the contract leaves nothing behind.
    let contract = contract::gate(
        &engine,
        &campaign.stacks,
        config.skip_contract,
        observer.as_ref(),
    )
    .await?;
    let (mut dir, loadgen) = match (plan.resumed, &config.start) {
        (Some((mut dir, loadgen)), start) => {
            preflight::resume_path(&engine, start, &campaign, &mut dir).await?;
            (dir, loadgen)
        }
        (None, start @ Start::New { out, loadgen, .. }) => {
            let dir = preflight::new_run(
                &engine,
                engine_version,
                start,
                &campaign,
                out.as_deref(),
                *loadgen,
            )
            .await?;
            (dir, *loadgen)
        }
        // Plan::of opens every resumed run's folder.
        (None, Start::Resume(path)) => bail!("{}: the run folder was not opened", path.display()),
    };
    dir.manifest.contract = Some(contract);
    if let Some(p) = &profiler
        && dir.manifest.profile.is_none()
    {
        dir.manifest.profile = Some(ProfileRecord {
            tool: p.version.clone(),
            rate_hz: p.settings.rate_hz,
            repetition: PROFILED_REPETITION,
            idle: p.settings.idle,
            method: p.method(),
        });
    }
    let run_id = preflight::sanitize(&dir.manifest.run_id);
    let path = PathUsed::recorded(dir.manifest.path.as_ref());
    preflight::check_images(&engine, &campaign, &mut dir, &run_id, observer.as_ref()).await?;
    let k6 = preflight::k6_binary(&config, loadgen)?;
    // Leftovers of an earlier attempt at this run (a crash, a kill -9).
    docker::clean(&engine, &docker::run_label(&run_id), false).await?;

    let session = Session {
        docker: engine.clone(),
        campaign: campaign.clone(),
        run_id: run_id.clone(),
        loadgen,
        k6,
        publish_ip: config.publish_ip.clone(),
        target_host: config.target_host(),
        path,
        live: observer.live(),
        observer: Arc::clone(&observer),
        stop: stop.clone(),
        profiling: profiler.map(|profiler| Profiling {
            profiler,
            run_dir: dir.path.clone(),
        }),
    };
    let repetitions = match campaign.precision {
        Some(p) => format!(
            "{}–{} repetitions (until every headline cell is within ±{})",
            campaign.repetitions,
            campaign.planned_rounds(),
            analysis::precision::percent(p.target)
        ),
        None => format!("{} repetitions", campaign.repetitions),
    };
    observer.event(&Event::RunStarted {
        run_id: dir.manifest.run_id.clone(),
        dir: dir.path.clone(),
        campaign: campaign.name.clone(),
        stacks: campaign.stacks.len(),
        repetitions,
        loadgen: loadgen.as_str().into(),
        path: path.as_str().into(),
    });
    let started = Instant::now();
    let mut interrupted = false;
    let mut failed_fast = None;
    let mut pace = RoundPace::default();
    for (stack, rep) in order(&dir.manifest, &campaign) {
        let stack = stack.as_str();
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        if dir.completed(stack, rep) {
            observer.event(&Event::RepetitionSkipped {
                stack: stack.into(),
                repetition: rep,
            });
        } else {
            let result = session.repetition(stack, rep).await;
            let status = result.summary.status;
            observer.event(&Event::RepetitionFinished {
                stack: stack.into(),
                repetition: rep,
                status,
                cause: result.summary.cause.clone(),
            });
            interrupted = status == RepetitionStatus::Interrupted;
            dir.record(result.summary, &result.samples, &result.resources)?;
            pace.ran_one();
            if interrupted {
                break;
            }
            if config.fail_fast && status == RepetitionStatus::Failed {
                failed_fast = Some(format!("{stack} r{rep}"));
                break;
            }
        }
        if round_complete(&dir, rep) && precision_check(&mut dir, rep, &pace, observer.as_ref())? {
            break;
        }
    }
    // Nothing of this run may outlive it.
    let label = docker::run_label(&run_id);
    let left = docker::labelled_containers(&engine, &label).await?;
    if !left.is_empty() {
        observer.event(&Event::Warning(format!(
            "removing {} leftover container(s) of this run",
            left.len()
        )));
        docker::clean(&engine, &label, false).await?;
    }
    observer.event(&Event::RunFinished);
    if interrupted {
        let done = dir
            .manifest
            .repetitions
            .iter()
            .filter(|r| r.status != RepetitionStatus::Interrupted)
            .count();
        return Ok(Outcome::Interrupted {
            planned: order(&dir.manifest, &campaign).len(),
            dir: dir.path,
            done,
        });
    }
    if let Some(which) = failed_fast {
        return Ok(Outcome::FailedFast {
            dir: dir.path,
            which,
        });
    }
    let merged = dir.finish(now_rfc3339())?;
    Ok(Outcome::Finished {
        dir: Box::new(dir),
        merged,
        took: started.elapsed(),
    })
}

/// Ctrl-C and SIGTERM turn `stop` true.
fn spawn_signal_watch(tx: watch::Sender<bool>, observer: Arc<dyn Observer>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        let name = tokio::select! {
            r = tokio::signal::ctrl_c() => if r.is_ok() { "SIGINT" } else { return },
            () = term => "SIGTERM",
        };
        observer.event(&Event::Warning(format!(
            "{name}: stopping the load and removing the container…"
        )));
        let _ = tx.send(true);
    });
}

/// Every (stack, repetition) of the run in the order they run: the manifest's
/// interleaved rounds; a run begun before rounds existed (no `rounds` in its
/// manifest) keeps its stack-by-stack order when resumed. A profiled run
/// (`manifest.profile`) first runs the profiled repetition of every stack, in round
/// 1's order.
pub fn order(manifest: &Manifest, campaign: &Campaign) -> Vec<(String, u32)> {
    let mut all = Vec::new();
    if let Some(p) = &manifest.profile {
        let first = manifest.rounds.first().unwrap_or(&campaign.stacks);
        all.extend(first.iter().map(|s| (s.clone(), p.repetition)));
    }
    all.extend(measured_order(manifest, campaign));
    all
}

fn measured_order(manifest: &Manifest, campaign: &Campaign) -> Vec<(String, u32)> {
    if manifest.rounds.is_empty() {
        return campaign
            .stacks
            .iter()
            .flat_map(|s| (1..=campaign.repetitions).map(move |r| (s.clone(), r)))
            .collect();
    }
    manifest
        .rounds
        .iter()
        .zip(1u32..)
        .flat_map(|(round, r)| round.iter().map(move |s| (s.clone(), r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::schema::SCHEMA_VERSION;

    #[test]
    fn a_resumed_manifest_with_an_unknown_loadgen_is_refused_by_name() {
        let quick = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate::campaign::QUICK_FILE);
        let campaign = Campaign::load(&quick).expect("the quick campaign");
        let tmp = tempfile::tempdir().expect("tempdir");
        let m = serde_json::json!({
            "schema_version": SCHEMA_VERSION, "run_id": "t", "loadgen": "wrk",
            "host": {"hostname": "h", "cpu_model": "c", "cores": 2, "memory_bytes": 1,
                "os": "o", "kernel": "k", "docker_version": "d"},
            "git_commit": null, "pywebbench_version": "0", "started_at": "",
            "ended_at": null, "campaign": campaign.to_json(), "packages": {},
            "repetitions": [],
        });
        let manifest: Manifest = analysis::parse_manifest(m.to_string().as_bytes()).expect("m");
        let dir = RunDir::create(&tmp.path().join("run"), manifest).expect("run folder");
        let err = Plan::of(&Start::Resume(dir.path.clone()))
            .err()
            .expect("refused");
        let text = format!("{err:#}");
        assert!(
            text.contains("\"wrk\"") && text.contains("native, k6"),
            "{text}"
        );
        assert!(text.contains("manifest.json"), "{text}");
    }
}
