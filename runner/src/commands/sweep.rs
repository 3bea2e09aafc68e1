//! `pywebbench sweep`: capacity curves (open model). The arguments, the campaign's
//! `[sweep]` table and the defaults made into a [`SweepConfig`] for
//! [`crate::engine::sweep`]; the plan and its longest duration are printed before
//! anything starts, the knees after.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use analysis::capacity::{Plan, Ramp, Slo};
use anyhow::{Result, bail};

use crate::campaign::{self, Dur, RequestKind, SweepTable};
use crate::engine::{self, CampaignChoice, SweepConfig};
use crate::progress::Progress;
use crate::sweep::SweepSettings;

/// Defaults where neither the command line nor `[sweep]` says.
const START: u32 = 50;
const MAX_RATE: u32 = 5000;
const SLO: Duration = Duration::from_millis(100);
const MAX_ERROR_SHARE: f64 = 0.01;
const RESOLUTION: f64 = 0.05;
const STEP: Duration = Duration::from_secs(10);
const GROWTH: f64 = 2.0;
const MAX_STEPS: usize = 20;

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Campaign file [default: paper/campaign.toml]: settle, warm-up, server settings,
    /// request definitions, load path and its `[sweep]` table.
    #[arg(long, conflicts_with = "quick")]
    pub campaign: Option<PathBuf>,
    /// The scaled-down campaign (paper/campaign-quick.toml) and its `[sweep]` table:
    /// two stacks, hello, 3 s steps (a few minutes).
    #[arg(long)]
    pub quick: bool,
    /// Only these stacks (comma-separated) [default: `[sweep] stacks`, else the campaign's].
    #[arg(long, value_delimiter = ',')]
    pub stacks: Option<Vec<String>>,
    /// The request every step sends, as the campaign defines it [default: hello].
    #[arg(long, value_parser = parse_request)]
    pub scenario: Option<RequestKind>,
    /// A fixed list of offered rates in req/s, e.g. 50,100,200 (instead of the ramp).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..))]
    pub rates: Option<Vec<u32>>,
    /// The ramp's first rate, req/s [default: 50]; it doubles until a step fails the SLO.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "rates")]
    pub start: Option<u32>,
    /// The ramp's highest rate, req/s [default: 5000].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "rates")]
    pub max_rate: Option<u32>,
    /// The p99 latency (from the scheduled start) a step must stay under [default: 100ms].
    #[arg(long, value_parser = Dur::parse)]
    pub slo: Option<Dur>,
    /// The largest share of failed plus dropped iterations a step may have [default: 1%].
    #[arg(long, value_parser = campaign::parse_share)]
    pub max_error_share: Option<f64>,
    /// Bisect until the last good and first bad rates are this close [default: 5%].
    #[arg(long, value_parser = campaign::parse_share, conflicts_with = "rates")]
    pub resolution: Option<f64>,
    /// Each step's length [default: 10s].
    #[arg(long, value_parser = Dur::parse)]
    pub step_duration: Option<Dur>,
    /// Idle time between steps [default: the campaign's `pause`].
    #[arg(long, value_parser = Dur::parse)]
    pub pause: Option<Dur>,
    #[command(flatten)]
    pub target: super::TargetArgs,
    /// Print the plan and its estimated time, start nothing.
    #[arg(long)]
    pub plan_only: bool,
    /// No progress display, only warnings, errors and the result.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_request(text: &str) -> Result<RequestKind, String> {
    match RequestKind::parse(text) {
        Some(
            k
            @ (RequestKind::Hello | RequestKind::Echo | RequestKind::GetAll | RequestKind::GetOne),
        ) => Ok(k),
        Some(_) => Err(format!(
            "{text:?} changes the database, so its rate cannot be swept in one container; use hello, echo, get_all or get_one"
        )),
        None => Err(format!(
            "unknown scenario {text:?}; use hello, echo, get_all or get_one"
        )),
    }
}

impl SweepArgs {
    /// The sweep's configuration: the command line over `[sweep]` over the defaults.
    pub fn config(&self) -> Result<SweepConfig> {
        let mut campaign = CampaignChoice {
            file: self.campaign.clone(),
            quick: self.quick,
            ..CampaignChoice::default()
        }
        .load()?;
        let table = campaign.sweep.clone().unwrap_or_default();
        let stacks = self.stacks.clone().or(table.stacks.clone());
        if let Some(stacks) = &stacks {
            campaign
                .select_stacks(stacks)
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        let request = self
            .scenario
            .or(table.request)
            .unwrap_or(RequestKind::Hello);
        if let Err(e) = parse_request(request.as_str()) {
            bail!("[sweep] request: {e}");
        }
        let slo = Slo {
            p99_ms: self.slo.or(table.slo).map_or(SLO, |d| d.0).as_secs_f64() * 1000.0,
            max_bad_share: self
                .max_error_share
                .or(table.max_error_share)
                .unwrap_or(MAX_ERROR_SHARE),
        };
        let plan = match self.rates.clone().or(table.rates.clone()) {
            Some(rates) if self.start.is_none() && self.resolution.is_none() => Plan::Fixed(rates),
            _ => {
                let ramp = Ramp {
                    start: self.start.or(table.start).unwrap_or(START),
                    growth: GROWTH,
                    resolution: self.resolution.or(table.resolution).unwrap_or(RESOLUTION),
                    max_rate: self.max_rate.or(table.max_rate).unwrap_or(MAX_RATE),
                    max_steps: MAX_STEPS,
                };
                ramp.validate().map_err(|e| anyhow::anyhow!(e))?;
                Plan::Ramp(ramp)
            }
        };
        let step = self
            .step_duration
            .or(table.step_duration)
            .unwrap_or(Dur(STEP));
        let pause = self.pause.or(table.pause).unwrap_or(campaign.pause);
        // The manifest records the settings as run.
        campaign.sweep = Some(SweepTable {
            stacks: Some(campaign.stacks.clone()),
            request: Some(request),
            rates: match &plan {
                Plan::Fixed(r) => Some(r.clone()),
                Plan::Ramp(_) => None,
            },
            start: match &plan {
                Plan::Ramp(r) => Some(r.start),
                Plan::Fixed(_) => None,
            },
            max_rate: match &plan {
                Plan::Ramp(r) => Some(r.max_rate),
                Plan::Fixed(_) => None,
            },
            slo: Some(Dur(Duration::from_secs_f64(slo.p99_ms / 1000.0))),
            max_error_share: Some(slo.max_bad_share),
            resolution: match &plan {
                Plan::Ramp(r) => Some(r.resolution),
                Plan::Fixed(_) => None,
            },
            step_duration: Some(step),
            pause: Some(pause),
        });
        Ok(SweepConfig {
            campaign,
            settings: SweepSettings {
                request,
                plan,
                slo,
                step: step.0,
                pause: pause.0,
            },
            target: self.target.target(),
        })
    }
}

/// The plan in a few lines, with the longest it can take.
pub fn plan_text(config: &SweepConfig) -> String {
    let s = &config.settings;
    let rates = match &s.plan {
        Plan::Fixed(r) => format!(
            "rates {} req/s",
            r.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        ),
        Plan::Ramp(r) => format!(
            "from {} req/s, ×{} while within the SLO (at most {} req/s), then bisect to {}",
            r.start,
            r.growth,
            r.max_rate,
            analysis::format::setting_percent(r.resolution)
        ),
    };
    let est = config.estimate().as_secs();
    format!(
        "capacity sweep of {} on {}\n  {rates}; steps of {} (constant arrival rate), pause {}\n  SLO: p99 from the scheduled start <= {} ms, errors + dropped <= {}\n  at most {} steps per stack; estimated at most {} min {} s in all (container start, warm-up and steps)",
        s.request.as_str(),
        config.campaign.stacks.join(", "),
        Dur(s.step),
        Dur(s.pause),
        analysis::format::ms(s.slo.p99_ms),
        analysis::format::setting_percent(s.slo.max_bad_share),
        s.plan.planned_steps(),
        est / 60,
        est % 60,
    )
}

pub fn run(args: SweepArgs) -> Result<()> {
    let config = args.config()?;
    println!("{}", plan_text(&config));
    if args.plan_only {
        return Ok(());
    }
    let outcome = engine::sweep(config, Arc::new(Progress::new(args.quiet)))?;
    for s in &outcome.summary.stacks {
        let knee = s.knee_text(&outcome.summary.slo);
        let failure = s
            .failure
            .as_deref()
            .map(|f| format!(" — {f}"))
            .unwrap_or_default();
        println!(
            "{}: knee {knee} ({} steps){failure}",
            s.stack,
            s.points.len()
        );
    }
    println!(
        "samples, manifest and sweep.json in {}; figure {}",
        outcome.dir.display(),
        outcome
            .figures
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
