//! `pywebbench peak`: each stack's best server configuration (worker class × workers ×
//! threads) on the campaign's scenarios. The arguments and the campaign's `[peak]`
//! table made into a [`PeakConfig`] for [`crate::engine::peak`]; the grid, the time per
//! point and the total are printed before anything starts, the best points after.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use crate::campaign::{self, Dur};
use crate::engine::{self, CampaignChoice, PeakConfig};
use crate::progress::Progress;

#[derive(clap::Args, Debug)]
pub struct PeakArgs {
    /// Campaign file with a `[peak]` table [default: paper/campaign-peak.toml]: the grid,
    /// the scenarios (the objective), settle, warm-up, rounds (`repetitions`).
    #[arg(long, conflicts_with = "quick")]
    pub campaign: Option<PathBuf>,
    /// The scaled-down campaign (paper/campaign-quick.toml) and its `[peak]` table: a
    /// tiny grid on one stack, second-long scenarios (about a minute).
    #[arg(long)]
    pub quick: bool,
    /// Only these stacks (comma-separated) [default: `[peak] stacks`, else the campaign's].
    #[arg(long, value_delimiter = ',')]
    pub stacks: Option<Vec<String>>,
    /// Rounds: every grid point measured once per round [default: the campaign's `repetitions`].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    #[command(flatten)]
    pub target: super::TargetArgs,
    /// Print the grid and its estimated time, start nothing.
    #[arg(long)]
    pub plan_only: bool,
    /// No progress display, only warnings, errors and the result.
    #[arg(long)]
    pub quiet: bool,
}

impl PeakArgs {
    /// The run's configuration: the command line over `[peak]`.
    pub fn config(&self) -> Result<PeakConfig> {
        let file = match (&self.campaign, self.quick) {
            (Some(f), _) => Some(f.clone()),
            (None, true) => None,
            (None, false) => Some(PathBuf::from(campaign::PEAK_FILE)),
        };
        let mut campaign = CampaignChoice {
            file,
            quick: self.quick,
            reps: self.rounds,
            ..CampaignChoice::default()
        }
        .load()?;
        let table = campaign.peak_table().map_err(|e| anyhow!(e))?.clone();
        if let Some(stacks) = self.stacks.clone().or(table.stacks.clone()) {
            campaign.select_stacks(&stacks).map_err(|e| anyhow!(e))?;
        }
        if let Some(names) = &table.scenarios {
            if let Some(n) = names
                .iter()
                .find(|n| !campaign.scenarios.iter().any(|s| &s.name == *n))
            {
                bail!(
                    "[peak] scenarios names {n:?}, which is not a [[scenario]] of the campaign; use some of {}",
                    campaign
                        .scenarios
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            campaign.scenarios.retain(|s| names.contains(&s.name));
        }
        // The manifest records the stacks and scenarios as run.
        let stacks = campaign.stacks.clone();
        let scenarios: Vec<String> = campaign.scenarios.iter().map(|s| s.name.clone()).collect();
        if let Some(t) = campaign.peak.as_mut() {
            t.stacks = Some(stacks);
            t.scenarios = Some(scenarios);
        }
        let grids = engine::peak_grids(&campaign)?;
        Ok(PeakConfig {
            campaign,
            grids,
            target: self.target.target(),
        })
    }
}

fn vus(e: &campaign::ExecutorSpec) -> u32 {
    match e {
        campaign::ExecutorSpec::ConstantVus { vus, .. }
        | campaign::ExecutorSpec::SharedIterations { vus, .. } => *vus,
        campaign::ExecutorSpec::ConstantArrivalRate { max_vus, .. } => *max_vus,
    }
}

fn min_s(d: Duration) -> String {
    let s = d.as_secs();
    format!("{} min {} s", s / 60, s % 60)
}

/// The grid in a few lines, with the time per point and in all.
pub fn plan_text(config: &PeakConfig, cores: usize) -> String {
    let c = &config.campaign;
    let scenarios = c
        .scenarios
        .iter()
        .map(|s| format!("{} ({} VUs)", s.name, vus(&s.executor)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = format!(
        "peak configuration of {} (campaign `{}`)\n  objective: closed-model req/s of {scenarios}, each point a fresh container, {} round(s) interleaved",
        c.stacks.join(", "),
        c.name,
        c.repetitions,
    );
    for g in &config.grids {
        let labels = g
            .configs
            .iter()
            .map(analysis::peak::ServerConfig::label)
            .collect::<Vec<_>>()
            .join(" ");
        let fixed = g
            .fixed
            .as_ref()
            .map(|f| format!("; fixed (the campaign's): {}", f.label()))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n  {}: {} points: {labels}{fixed}",
            g.stack,
            g.configs.len()
        ));
    }
    let timed = |s: &campaign::Scenario| {
        if s.executor.iterations().is_none() {
            s.executor.max_duration()
        } else {
            Duration::ZERO
        }
    };
    out.push_str(&format!(
        "\n  this machine has {cores} CPU core(s): the grid is sized for it (workers past the cores only contend); on a bigger host or a remote engine (DOCKER_HOST) the same campaign runs unchanged — widen workers in [[peak.class]] to its cores",
    ));
    out.push_str(&format!(
        "\n  per point about {} s (settle {}, warm-up {}, idle {}, scenarios {}, pauses {}, container stop); {} points × {} round(s) = {} containers; estimated {} in all",
        config.per_point().as_secs(),
        c.settle,
        Dur(c.warmup.iter().map(timed).sum()),
        c.idle,
        Dur(c.scenarios.iter().map(timed).sum()),
        Dur(c.pause.0 * c.scenarios.len().saturating_sub(1) as u32),
        config.points(),
        c.repetitions,
        config.points() * c.repetitions as usize,
        min_s(config.estimate()),
    ));
    out
}

pub fn run(args: PeakArgs) -> Result<()> {
    let config = args.config()?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("{}", plan_text(&config, cores));
    if args.plan_only {
        return Ok(());
    }
    let outcome = engine::peak(config, Arc::new(Progress::new(args.quiet)))?;
    for s in &outcome.summary.stacks {
        for b in &s.best {
            println!(
                "{} {}: best {} vs fixed {} ({})",
                s.stack,
                b.scenario,
                b.best.as_deref().unwrap_or("none"),
                b.fixed.as_deref().unwrap_or("none"),
                b.change.map_or_else(
                    || "no change measured".into(),
                    |c| analysis::format::signed_percent(c * 100.0)
                ),
            );
        }
    }
    println!(
        "samples, manifest and peak.json in {} ({}); {}",
        outcome.dir.display(),
        min_s(outcome.took),
        outcome
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if outcome.interrupted {
        std::process::exit(engine::EXIT_INTERRUPTED);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(campaign: Option<&str>, quick: bool, stacks: Option<&[&str]>) -> PeakArgs {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        PeakArgs {
            campaign: campaign.map(|c| root.join(c)),
            quick,
            stacks: stacks.map(|s| s.iter().map(|x| x.to_string()).collect()),
            rounds: None,
            target: super::super::TargetArgs {
                out: None,
                path: None,
                publish_ip: "127.0.0.1".into(),
                target_host: None,
                skip_contract: false,
            },
            plan_only: true,
            quiet: true,
        }
    }

    #[test]
    fn the_peak_campaign_plans_each_stacks_classes_with_its_fixed_point() {
        let c = args(Some(campaign::PEAK_FILE), false, None)
            .config()
            .expect("paper/campaign-peak.toml is valid");
        let labels = |stack: &str| {
            let g = c.grids.iter().find(|g| g.stack == stack).expect("planned");
            (
                g.configs.iter().map(|x| x.label()).collect::<Vec<_>>(),
                g.fixed.as_ref().map(|f| f.label()),
            )
        };
        let (flask, fixed) = labels("flask-sqlite3");
        assert_eq!(
            flask,
            [
                "w2t2-gthread",
                "w2t4-gthread",
                "w4t2-gthread",
                "w4t4-gthread",
                "w2-sync",
                "w4-sync"
            ]
        );
        assert_eq!(fixed.as_deref(), Some("w2t2-gthread"));
        let (fastapi, fixed) = labels("fastapi-sqlite3");
        assert_eq!(
            fastapi,
            [
                "w2-uvicorn-worker",
                "w4-uvicorn-worker",
                "w2-uvicorn",
                "w4-uvicorn"
            ]
        );
        assert_eq!(fixed.as_deref(), Some("w2-uvicorn-worker"));
        assert_eq!(c.points(), 3 * 6 + 2 * 4);
        // settle 3 s + warm-up 2 s + idle 1 s + 2 × 3 s + one 1 s pause + the stop.
        assert_eq!(c.per_point(), Duration::from_secs(15));
        assert_eq!(c.estimate(), Duration::from_secs(15 * 26 * 2));
        let text = plan_text(&c, 2);
        assert!(text.contains("estimated 13 min 0 s in all"), "{text}");
        assert!(text.contains("this machine has 2 CPU core(s)"), "{text}");
        assert!(text.contains("hello (50 VUs), echo (100 VUs)"), "{text}");
    }

    #[test]
    fn the_quick_grid_is_two_points_and_a_stack_without_the_classes_is_refused() {
        let c = args(Some(campaign::QUICK_FILE), false, None)
            .config()
            .expect("the quick [peak]");
        assert_eq!(c.campaign.stacks, ["flask-sqlite3"]);
        let names: Vec<String> = c
            .campaign
            .scenarios
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, ["hello", "echo"]);
        assert_eq!(
            c.grids[0]
                .configs
                .iter()
                .map(|x| x.label())
                .collect::<Vec<_>>(),
            ["w2t2-gthread", "w3-sync"]
        );
        let e = args(
            Some(campaign::PEAK_FILE),
            false,
            Some(&["flask-sqlite3-granian"]),
        )
        .config()
        .expect_err("granian declares none of the classes");
        let e = format!("{e:#}");
        assert!(
            e.contains("flask-sqlite3-granian declares none of [peak]'s classes")
                && e.contains("granian"),
            "{e}"
        );
    }
}
