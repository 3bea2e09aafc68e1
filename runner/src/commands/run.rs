//! `pywebbench run`: the paper's procedure (§3.3) for every stack × repetition — the
//! arguments made into a [`RunConfig`] for [`crate::engine::run`], its events shown
//! by [`Progress`], its outcome printed and turned into the exit status (0; 2 when
//! repetitions failed; 130 when interrupted).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::campaign::{self, Campaign, PathChoice};
use crate::engine::{self, CampaignChoice, Loadgen, RunConfig, Start};
use crate::progress::Progress;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Campaign file [default: paper/campaign.toml].
    #[arg(long, conflicts_with = "quick")]
    pub campaign: Option<PathBuf>,
    /// Use the scaled-down campaign (paper/campaign-quick.toml): smoke tests, CI.
    #[arg(long)]
    pub quick: bool,
    /// Only these stacks (comma-separated), e.g. fastapi-sqlite3,django-drf.
    #[arg(long, value_delimiter = ',')]
    pub stacks: Option<Vec<String>>,
    /// Repetitions per stack (overrides the campaign's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: Option<u32>,
    /// Run folder [default: data/runs/<UTC timestamp>-<host>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Load generator: pywebbench's own, or the k6 binary (`--k6`, $PYWEBBENCH_K6, .venv/bin/k6, PATH).
    #[arg(long, value_enum, default_value = "native")]
    pub loadgen: Loadgen,
    /// The k6 binary for --loadgen k6.
    #[arg(long)]
    pub k6: Option<PathBuf>,
    /// Finish an interrupted run in this folder: skip its finished repetitions, run the rest.
    #[arg(long, conflicts_with_all = ["campaign", "quick", "stacks", "reps", "out", "loadgen"])]
    pub resume: Option<PathBuf>,
    /// No progress display, only warnings and errors.
    #[arg(long)]
    pub quiet: bool,
    /// Stop the run at the first failed repetition (kept, with its cause) instead of going
    /// on; `--resume` later runs the repetitions that are left.
    #[arg(long)]
    pub fail_fast: bool,
    /// Measure without first checking every stack's image against the API contract
    /// (stacks/CONTRACT.md, the suite in stacks/contract/); the skip is recorded in
    /// manifest.json. Without it a stack that fails a check refuses the run.
    #[arg(long)]
    pub skip_contract: bool,
    /// Host address Docker publishes the server's port on (published-port path only).
    /// Use the engine host's address (or 0.0.0.0) when DOCKER_HOST points at another machine.
    #[arg(long, env = "PYWEBBENCH_PUBLISH_IP", default_value = "127.0.0.1")]
    pub publish_ip: String,
    /// Address the generator sends load to on the published-port path [default: the
    /// publish address, or 127.0.0.1 when that is 0.0.0.0]. With a remote DOCKER_HOST,
    /// that host's name.
    #[arg(long, env = "PYWEBBENCH_TARGET_HOST")]
    pub target_host: Option<String>,
    /// How the load reaches the server (overrides the campaign's `[loadgen] path`):
    /// from inside the container's network namespace (netns: no published port, no
    /// docker-proxy), through the published port, or auto (netns on Linux with a
    /// local engine and root, else the published port). --resume keeps the run's path.
    #[arg(long, value_enum, conflicts_with = "resume")]
    pub path: Option<PathChoice>,
    /// Keep adding rounds (one repetition of every stack) after the campaign's
    /// repetitions until every headline cell's 95 % interval half-width is at most
    /// this share of its mean, e.g. `3%` (overrides the campaign's `[precision]`).
    #[arg(long, value_parser = campaign::parse_share, conflicts_with = "resume")]
    pub precision: Option<f64>,
    /// The most rounds a precision run makes [default: the campaign's
    /// `[precision] max_rounds`, else 10].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "resume")]
    pub max_rounds: Option<u32>,
    /// Profile the server's Python processes with py-spy (from the host, as root)
    /// during every scenario of one extra repetition per stack (repetition 0, run
    /// before round 1, marked in the manifest and left out of the statistics):
    /// collapsed stacks in profiles/<stack>/<scenario>.txt, flame graphs in the report.
    #[arg(long, conflicts_with = "resume")]
    pub profile: bool,
    /// Samples per second of --profile [default: the campaign's `[profile] rate`, else 100].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000), conflicts_with = "resume")]
    pub profile_rate: Option<u32>,
}

impl RunArgs {
    /// The campaign a new run runs (the file with `--stacks`, `--reps`, `--precision`,
    /// `--max-rounds`).
    pub fn campaign_choice(&self) -> CampaignChoice {
        CampaignChoice {
            file: self.campaign.clone(),
            quick: self.quick,
            stacks: self.stacks.clone(),
            reps: self.reps,
            precision: self.precision,
            max_rounds: self.max_rounds,
            profile: self.profile,
            profile_rate: self.profile_rate,
        }
    }

    fn config(&self) -> Result<RunConfig> {
        let start = match &self.resume {
            Some(dir) => Start::Resume(dir.clone()),
            None => Start::New {
                campaign: Box::new(self.load_campaign()?),
                out: self.out.clone(),
                loadgen: self.loadgen,
                path: self.path,
            },
        };
        Ok(RunConfig {
            start,
            k6: self.k6.clone(),
            fail_fast: self.fail_fast,
            skip_contract: self.skip_contract,
            publish_ip: self.publish_ip.clone(),
            target_host: self.target_host.clone(),
        })
    }

    fn load_campaign(&self) -> Result<Campaign> {
        self.campaign_choice().load()
    }
}

pub fn run(args: RunArgs) -> Result<()> {
    // Pinned to the campaign's CPUs before the progress display starts its thread.
    let prepared = engine::prepare(args.config()?)?;
    let outcome = prepared.run(Arc::new(Progress::new(args.quiet)))?;
    outcome.print(args.quiet);
    match outcome.exit_code() {
        0 => Ok(()),
        code => std::process::exit(code),
    }
}
