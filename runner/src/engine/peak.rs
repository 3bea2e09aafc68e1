//! Peak configuration as a library (`pywebbench peak` is its thin command): each
//! stack run over a grid of server configurations — worker class × workers × threads
//! (`[peak]` of the campaign, [`analysis::peak::expand`] over the classes each stack's
//! `[server]` declares) — on the campaign's scenarios, to find its best one.
//!
//! Each grid point is a repetition of its own: a fresh container of the stack's image
//! started with the point's `WORKERS`, `THREADS` and `SERVER_COMMAND` (the class's
//! command from the registry, so no image is rebuilt), settled, warmed up and measured
//! as `run` does, recorded under `<stack>@<label>` ([`analysis::peak::point_name`]).
//! Every point runs once per round; the rounds are the manifest's, each a seeded
//! shuffle of every point of every stack, so a drift of the host is spread over the
//! points instead of favouring one. The campaign's own configuration of each stack (its
//! image's class at `[server]` workers × threads, the paper's setting) is always a
//! point, so the tuned bars stand beside the fixed ones of the same run.
//!
//! Besides the samples the folder gets `peak.json` ([`PeakSummary`]), the tuned
//! figures (`report/tuned-<scenario>.svg/png`) and `report/peak.md`. Not resumable.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use analysis::peak::{PeakSummary, ServerConfig, StackGrid, expand, point_name, summarize_peak};
use analysis::registry::Registry;
use analysis::schema::RepetitionStatus;
use anyhow::{Context, Result, bail};

use super::event::{Event, Observer};
use super::native;
use super::repetition::Deploy;
use crate::campaign::{Campaign, schedule};
use crate::rundir::{PEAK_FILE, RunDir, write_bytes_atomic};

/// Everything [`peak`] needs.
#[derive(Clone, Debug)]
pub struct PeakConfig {
    /// The campaign: its stacks (those of `[peak] stacks`), scenarios, settle, warm-up,
    /// server limits and load path; `repetitions` is the number of rounds.
    pub campaign: Campaign,
    /// Each stack's grid (from [`grids`]).
    pub grids: Vec<StackGrid>,
    /// The run folder, the load path and the contract check.
    pub target: native::NativeTarget,
}

/// A container's removal after its last scenario, about (the estimate only; the
/// container's start and health check fall within the settle period).
const CONTAINER_STOP: Duration = Duration::from_secs(2);

impl PeakConfig {
    /// Grid points over all stacks.
    pub fn points(&self) -> usize {
        self.grids.iter().map(|g| g.configs.len()).sum()
    }

    /// About how long one point takes: settle, the timed warm-ups, idle, the timed
    /// scenarios with their pauses, the container's removal. A shared-iterations step
    /// takes the seconds its iterations take, not counted (the peak campaign has none).
    pub fn per_point(&self) -> Duration {
        let c = &self.campaign;
        let timed = |s: &crate::campaign::Scenario| {
            if s.executor.iterations().is_none() {
                s.executor.max_duration()
            } else {
                Duration::ZERO
            }
        };
        let warmup: Duration = c.warmup.iter().map(timed).sum();
        let scenarios: Duration = c.scenarios.iter().map(timed).sum();
        let pauses = c.pause.0 * c.scenarios.len().saturating_sub(1) as u32;
        c.settle.0 + warmup + c.idle.0 + scenarios + pauses + CONTAINER_STOP
    }

    /// About how long the whole grid takes: every point in every round.
    pub fn estimate(&self) -> Duration {
        self.per_point() * (self.points() as u32 * self.campaign.repetitions)
    }

    /// The point named `name` (`<stack>@<label>`): its grid and configuration.
    fn point(&self, name: &str) -> Option<(&StackGrid, &ServerConfig)> {
        self.grids.iter().find_map(|g| {
            g.configs
                .iter()
                .find(|c| point_name(&g.stack, c) == name)
                .map(|c| (g, c))
        })
    }
}

/// Each stack's grid from the campaign's `[peak]` table and the registry: the classes
/// of the table the stack declares, workers × threads each; the campaign's own
/// configuration of the stack (its image's class, `[server]` workers and threads) is
/// added when the table leaves it out.
pub fn grids(campaign: &Campaign) -> Result<Vec<StackGrid>> {
    let table = campaign.peak_table().map_err(anyhow::Error::msg)?;
    let registry = Registry::builtin();
    let mut out = Vec::new();
    for stack in &campaign.stacks {
        let Some(s) = registry.get(stack) else {
            bail!("stack {stack:?} is not registered; add stacks/{stack}/stack.toml");
        };
        let declared: Vec<&str> = s.servers.iter().map(|c| c.name.as_str()).collect();
        for g in table
            .classes
            .iter()
            .filter(|g| declared.contains(&g.class.as_str()))
        {
            let reads_threads = s.servers.iter().any(|c| c.name == g.class && c.threads());
            if g.threads.is_some() && !reads_threads {
                bail!(
                    "[[peak.class]] {:?} lists threads, but {stack}'s {:?} command does not read $THREADS; drop threads from that class",
                    g.class,
                    g.class
                );
            }
        }
        let mut configs = expand(&table.classes, &declared);
        if configs.is_empty() {
            bail!(
                "{stack} declares none of [peak]'s classes ({}); its stack.toml's [server] has {}: add one of those to [[peak.class]] or drop the stack from [peak] stacks",
                table
                    .classes
                    .iter()
                    .map(|g| g.class.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                declared.join(", ")
            );
        }
        let own = &s.servers[0];
        let own_grid = table.classes.iter().find(|g| g.class == own.name);
        let threads_varied = own_grid.map_or(own.threads(), |g| g.threads.is_some());
        let fixed = ServerConfig {
            class: own.name.clone(),
            workers: campaign.server.workers,
            threads: threads_varied.then_some(campaign.server.threads),
        };
        if !configs.contains(&fixed) {
            configs.push(fixed.clone());
        }
        out.push(StackGrid {
            stack: stack.clone(),
            fixed: Some(fixed),
            configs,
        });
    }
    Ok(out)
}

/// How a peak run ended.
#[derive(Debug)]
pub struct PeakOutcome {
    pub dir: PathBuf,
    pub summary: PeakSummary,
    pub interrupted: bool,
    /// The files written (peak.json, figures, peak.md).
    pub files: Vec<PathBuf>,
    pub took: Duration,
}

/// Run the grid (call it outside any tokio runtime).
pub fn peak(config: PeakConfig, observer: Arc<dyn Observer>) -> Result<PeakOutcome> {
    let cpus = config.campaign.loadgen_cpus.clone();
    super::block_on_pinned(cpus.as_deref(), peak_async(config, observer))
}

async fn peak_async(config: PeakConfig, observer: Arc<dyn Observer>) -> Result<PeakOutcome> {
    let mut campaign = config.campaign.clone();
    campaign.precision = None;
    let names: Vec<String> = config
        .grids
        .iter()
        .flat_map(|g| g.configs.iter().map(|c| point_name(&g.stack, c)))
        .collect();
    // The image's own command is what the contract suite checks; the other classes
    // serve the same app from the same image.
    let mut run = native::open(&campaign, &config.target, &observer, |dir| {
        dir.manifest.rounds = schedule::rounds(&names, campaign.repetitions, campaign.seed);
    })
    .await?;
    run.announce(
        "peak configuration",
        format!(
            "{} grid points, {} round(s)",
            names.len(),
            campaign.repetitions
        ),
    );
    let started = Instant::now();
    let registry = Registry::builtin();
    let mut interrupted = false;
    for (name, round) in super::order(&run.dir.manifest, &campaign) {
        if run.stopping() {
            interrupted = true;
            break;
        }
        let Some((grid, point)) = config.point(&name) else {
            bail!("{name}: a round names a point outside the grid (internal error)");
        };
        let command = registry
            .get(&grid.stack)
            .and_then(|s| s.servers.iter().find(|c| c.name == point.class))
            .map(|c| c.command.clone());
        let deploy = Deploy {
            name: name.clone(),
            stack: grid.stack.clone(),
            workers: point.workers,
            threads: point.threads.unwrap_or(campaign.server.threads),
            command,
            point: Some(point.label()),
        };
        let result = run
            .session
            .repetition_measuring(&deploy, round, super::repetition::Measure::Campaign)
            .await;
        let status = result.summary.status;
        observer.event(&Event::RepetitionFinished {
            stack: name.clone(),
            repetition: round,
            status,
            cause: result.summary.cause.clone(),
        });
        run.dir
            .record(result.summary, &result.samples, &result.resources)?;
        if status == RepetitionStatus::Interrupted {
            interrupted = true;
            break;
        }
    }
    run.close(interrupted).await?;
    let dir = run.dir;
    let scenarios: Vec<String> = campaign.scenarios.iter().map(|s| s.name.clone()).collect();
    let summary = summarize_peak(
        &dir.manifest,
        &config.grids,
        &scenarios,
        campaign.repetitions,
    );
    let files = write_outputs(&dir, &summary)?;
    Ok(PeakOutcome {
        dir: dir.path,
        summary,
        interrupted,
        files,
        took: started.elapsed(),
    })
}

/// `peak.json`, the tuned figures of each scenario (`report/tuned-<scenario>.svg/png`)
/// and `report/peak.md` (the README part, linked from the run folder).
pub fn write_outputs(dir: &RunDir, summary: &PeakSummary) -> Result<Vec<PathBuf>> {
    let report = dir.report_dir();
    std::fs::create_dir_all(&report)
        .with_context(|| format!("cannot create {}", report.display()))?;
    let json = serde_json::to_vec_pretty(summary).context("serialising peak.json")?;
    let mut files = vec![dir.peak_file()];
    write_bytes_atomic(&files[0], &json)?;
    let (w, h) = (analysis::figures::WIDTH, analysis::figures::HEIGHT);
    let mut figures = Vec::new();
    for scenario in &summary.scenarios {
        let svg = analysis::figures::tuned_svg(summary, scenario, w, h)?;
        let png = analysis::figures::tuned_png(summary, scenario, w, h)?;
        let png_file = analysis::figures::tuned_file(scenario, "png");
        let (s, p) = (
            report.join(analysis::figures::tuned_file(scenario, "svg")),
            report.join(&png_file),
        );
        write_bytes_atomic(&s, svg.as_bytes())?;
        write_bytes_atomic(&p, &png)?;
        figures.push(png_file);
        files.extend([s, p]);
    }
    let links = analysis::report::peak::PeakLinks {
        run: "..".into(),
        json: format!("../{PEAK_FILE}"),
        figures,
    };
    let md = report.join("peak.md");
    let text = format!(
        "# Peak configuration: {}\n{}",
        summary.run_id,
        analysis::report::peak::section(summary, &links)
    );
    write_bytes_atomic(&md, text.as_bytes())?;
    files.push(md);
    Ok(files)
}
