//! `pywebbench run`: the paper's procedure (§3.3) for every stack × repetition.
//!
//! Per repetition: a fresh container (so a fresh copy of the 1,500-record database)
//! → settle (the health check `GET /hello` → 200 runs inside it; the settle period
//! counts from the container's start, as the paper's "20-second period" after
//! launching) → warm-up → idle → the scenarios with a pause between them → stop and
//! remove the container. Resources are read throughout (`crate::sampler`), tagged with the phase.
//!
//! The load path (`--path`, the campaign's `[loadgen] path`, see [`crate::netns`]) is
//! decided once per run, before the run folder exists, and recorded in the manifest:
//! on the netns path the container publishes no port and the generator, the health
//! check and k6 reach its `127.0.0.1:8000` from inside its network namespace.
//!
//! Each finished repetition is flushed at once (parts + manifest), so a late failure
//! loses nothing; at the end the parts are merged into `samples/<stack>.parquet` and
//! `resources.parquet`. A failed repetition (container died, health timeout, load
//! error) is recorded with its cause and its samples, and the run goes on.
//! Ctrl-C / SIGTERM stops the load, removes the container, records the repetition
//! as interrupted (its samples are dropped; `--resume` runs it again) and exits 130.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use analysis::SampleColumns;
use analysis::precision::{self, PrecisionRecord, PrecisionRule};
use analysis::schema::{
    LoadPath, Manifest, RepetitionStatus, RepetitionSummary, ResourceRecord, SCHEMA_VERSION,
    ScenarioSummary,
};
use anyhow::{Context, Result, anyhow, bail};
use bollard::Docker;
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, watch};

use crate::campaign::{self, Campaign, PathChoice, Scenario, requests, schedule};
use crate::commands::load::Loadgen;
use crate::docker::{self, ServerContainer, ServerSpec};
use crate::load::{self, Target};
use crate::manifest::{git_commit, host_info, hostname, now_compact, now_rfc3339};
use crate::netns::{self, NetNs, PathFacts, PathUsed};
use crate::progress::Progress;
use crate::record::{RunDir, spawn_collector};

/// Exit status of an interrupted run (128 + SIGINT), as shells report Ctrl-C.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit status of a run that finished with failed repetitions (all files written).
pub const EXIT_FAILED_REPETITIONS: i32 = 2;

/// How a run ended.
enum Ended {
    Complete,
    /// Finished and merged, but some repetitions failed.
    WithFailures,
    Interrupted,
}

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
}

/// Why a repetition stopped before its end.
enum Halt {
    /// Ctrl-C / SIGTERM, or the container exited (told apart by the caller).
    Stopped,
    Failed(String),
}

/// Everything a repetition needs.
struct Session {
    docker: Docker,
    campaign: Campaign,
    run_id: String,
    loadgen: Loadgen,
    k6: PathBuf,
    publish_ip: String,
    target_host: String,
    /// netns or published-port (decided once per run, recorded in the manifest).
    path: PathUsed,
    progress: Progress,
    /// Turns true on Ctrl-C / SIGTERM.
    stop: watch::Receiver<bool>,
}

/// What one repetition produced.
struct RepetitionResult {
    summary: RepetitionSummary,
    samples: SampleColumns,
    resources: Vec<ResourceRecord>,
}

/// Pin this process (before any thread is started, so every later thread inherits it)
/// to the campaign's `loadgen.cpus`.
#[cfg(target_os = "linux")]
fn pin_to_cpus(list: &str) -> Result<()> {
    let cpus = campaign::parse_cpu_list(list).map_err(|e| anyhow!("loadgen.cpus: {e}"))?;
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes inside it
    // (ids < 1024 = CPU_SETSIZE, checked by parse_cpu_list); sched_setaffinity
    // only reads the set.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in &cpus {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        bail!(
            "cannot pin pywebbench to CPUs {list} (loadgen.cpus): {}; use CPUs this machine has (nproc)",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn pin_to_cpus(list: &str) -> Result<()> {
    bail!(
        "loadgen.cpus = {list:?} is supported on Linux only; remove it and pin pywebbench with the OS (e.g. `start /affinity`)"
    )
}

/// The campaign's `loadgen.cpus`, read before the runtime starts.
fn loadgen_cpus(args: &RunArgs) -> Result<Option<String>> {
    match &args.resume {
        Some(path) => {
            let bytes = std::fs::read(path.join(analysis::schema::MANIFEST_FILE)).with_context(|| {
                format!("{} has no readable manifest.json: pass the folder of a run started by `pywebbench run`", path.display())
            })?;
            let m = analysis::parse_manifest(&bytes)?;
            Ok(Campaign::from_json(&m.campaign)
                .map_err(|e| anyhow!(e))?
                .loadgen_cpus)
        }
        None => Ok(load_campaign(args)?.loadgen_cpus),
    }
}

pub fn run(args: RunArgs) -> Result<()> {
    if let Some(cpus) = loadgen_cpus(&args)? {
        pin_to_cpus(&cpus)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let ended = rt.block_on(run_async(args))?;
    drop(rt);
    match ended {
        Ended::Complete => Ok(()),
        Ended::WithFailures => std::process::exit(EXIT_FAILED_REPETITIONS),
        Ended::Interrupted => std::process::exit(EXIT_INTERRUPTED),
    }
}

fn loadgen_name(l: Loadgen) -> &'static str {
    match l {
        Loadgen::Native => "native",
        Loadgen::K6 => "k6",
    }
}

/// A run id usable in a Docker container name.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(crate) fn load_campaign(args: &RunArgs) -> Result<Campaign> {
    let path = match (&args.campaign, args.quick) {
        (Some(p), _) => p.clone(),
        (None, true) => PathBuf::from(campaign::QUICK_FILE),
        (None, false) => PathBuf::from(campaign::DEFAULT_FILE),
    };
    if !path.exists() && args.campaign.is_none() {
        bail!(
            "{} not found: run pywebbench from the repository root, or pass --campaign FILE",
            path.display()
        );
    }
    let mut c = Campaign::load(&path)?;
    if let Some(stacks) = &args.stacks {
        c.select_stacks(stacks).map_err(|e| anyhow!(e))?;
    }
    if let Some(r) = args.reps {
        c.repetitions = r;
    }
    c.precision = match (c.precision, args.precision, args.max_rounds) {
        (None, None, Some(_)) => bail!(
            "--max-rounds needs a precision target: add --precision (e.g. --precision 3%) or a [precision] table to the campaign"
        ),
        (None, None, None) => None,
        (old, target, max) => Some(campaign::Precision {
            target: target.or(old.map(|p| p.target)).unwrap_or_default(),
            max_rounds: max
                .or(old.map(|p| p.max_rounds))
                .unwrap_or(campaign::DEFAULT_MAX_ROUNDS),
        }),
    };
    if let Some(p) = c.precision
        && p.max_rounds < c.repetitions
    {
        bail!(
            "--max-rounds {} is below the campaign's {} repetitions: a precision run makes at least `repetitions` rounds; raise --max-rounds or lower --reps",
            p.max_rounds,
            c.repetitions
        );
    }
    Ok(c)
}

/// Ctrl-C and SIGTERM turn `stop` true.
fn spawn_signal_watch(tx: watch::Sender<bool>, progress: Progress) {
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
        progress.warn(&format!(
            "{name}: stopping the load and removing the container…"
        ));
        let _ = tx.send(true);
    });
}

async fn run_async(args: RunArgs) -> Result<Ended> {
    let progress = Progress::new(args.quiet);
    // From here on Ctrl-C / SIGTERM only set `stop`: whatever is under way finishes
    // cleanly (no container is left half-made) and the loop below stops.
    let (stop_tx, stop) = watch::channel(false);
    spawn_signal_watch(stop_tx, progress.clone());
    let engine = docker::connect().await?;
    let engine_version = docker::engine_version(&engine).await?;

    let (mut dir, campaign, loadgen) = match &args.resume {
        Some(path) => {
            let mut dir = RunDir::open(path)?;
            if dir.is_finished() {
                println!(
                    "{}: the run is complete already; nothing to resume",
                    path.display()
                );
                return Ok(Ended::Complete);
            }
            let campaign = Campaign::from_json(&dir.manifest.campaign).map_err(|e| anyhow!(e))?;
            let loadgen = match dir.manifest.loadgen.as_str() {
                "k6" => Loadgen::K6,
                _ => Loadgen::Native,
            };
            let path = choose_path(&engine, &args, &campaign, dir.manifest.path.as_ref()).await?;
            // The run keeps its path, and the reason recorded when it started.
            dir.manifest.path = match dir.manifest.path.take() {
                Some(recorded) if recorded.used == path.used => Some(recorded),
                _ => Some(path),
            };
            (dir, campaign, loadgen)
        }
        None => {
            let campaign = load_campaign(&args)?;
            // Decided before the run folder exists: an impossible --path leaves nothing behind.
            let path = choose_path(&engine, &args, &campaign, None).await?;
            let run_id = match &args.out {
                Some(p) => p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| format!("{}-{}", now_compact(), hostname())),
                None => format!("{}-{}", now_compact(), hostname()),
            };
            let out = args
                .out
                .clone()
                .unwrap_or_else(|| Path::new("data/runs").join(&run_id));
            let manifest = Manifest {
                schema_version: SCHEMA_VERSION,
                run_id,
                loadgen: loadgen_name(args.loadgen).into(),
                host: host_info(engine_version.clone()),
                git_commit: git_commit(Path::new(".")),
                pywebbench_version: env!("CARGO_PKG_VERSION").into(),
                started_at: now_rfc3339(),
                ended_at: None,
                campaign: campaign.to_json(),
                packages: Default::default(),
                repetitions: Vec::new(),
                rounds: schedule::rounds(
                    &campaign.stacks,
                    campaign.planned_rounds(),
                    campaign.seed,
                ),
                isolation: Some(campaign.isolation()),
                path: Some(path),
                precision: campaign.precision_rule().map(PrecisionRecord::new),
                stack_info: crate::manifest::stack_info(&campaign.stacks),
            };
            (RunDir::create(&out, manifest)?, campaign, args.loadgen)
        }
    };
    let run_id = sanitize(&dir.manifest.run_id);
    let path = PathUsed::recorded(dir.manifest.path.as_ref());

    // Pre-flight: every image is there; their pinned packages go to the manifest.
    for stack in &campaign.stacks {
        docker::image_id(&engine, &docker::image_of(stack)).await?;
        if !dir.manifest.packages.contains_key(stack) {
            let packages = docker::image_packages(&engine, stack, &run_id).await?;
            dir.manifest.packages.insert(stack.clone(), packages);
        }
    }
    dir.save_manifest()?;
    let k6 = match &args.k6 {
        Some(p) => p.clone(),
        None => load::k6::find_k6(&std::env::current_dir().unwrap_or_default()),
    };
    if loadgen == Loadgen::K6 {
        let ok = std::process::Command::new(&k6)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            bail!(
                "k6 is not runnable at {} (run `just setup` to install it into .venv, or pass --k6 PATH)",
                k6.display()
            );
        }
    }
    // Leftovers of an earlier attempt at this run (a crash, a kill -9).
    docker::clean(&engine, &format!("{}={}", docker::LABEL_RUN, run_id), false).await?;

    let ticker = progress.spawn_ticker();
    let target_host = args
        .target_host
        .clone()
        .unwrap_or_else(|| match args.publish_ip.as_str() {
            "0.0.0.0" | "" => "127.0.0.1".into(),
            "::" => "::1".into(),
            ip => ip.into(),
        });
    let session = Session {
        docker: engine.clone(),
        campaign: campaign.clone(),
        run_id: run_id.clone(),
        loadgen,
        k6,
        publish_ip: args.publish_ip.clone(),
        target_host,
        path,
        progress: progress.clone(),
        stop: stop.clone(),
    };
    let repetitions = match campaign.precision {
        Some(p) => format!(
            "{}–{} repetitions (until every headline cell is within ±{})",
            campaign.repetitions,
            campaign.planned_rounds(),
            precision::percent(p.target)
        ),
        None => format!("{} repetitions", campaign.repetitions),
    };
    progress.line(&format!(
        "run {} → {} ({} stacks × {repetitions} in interleaved rounds, campaign `{}`, loadgen {}, path {})",
        dir.manifest.run_id,
        dir.path.display(),
        campaign.stacks.len(),
        campaign.name,
        loadgen_name(loadgen),
        path.as_str()
    ));
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
            progress.line(&format!(
                "{stack} r{rep}: done in an earlier attempt, skipped"
            ));
        } else {
            let result = session.repetition(stack, rep).await;
            let status = result.summary.status;
            match status {
                RepetitionStatus::Ok => {}
                RepetitionStatus::Failed => progress.warn(&format!(
                    "{stack} r{rep} failed: {}",
                    result.summary.cause.as_deref().unwrap_or("unknown cause")
                )),
                RepetitionStatus::Interrupted => interrupted = true,
            }
            dir.record(result.summary, &result.samples, &result.resources)?;
            pace.ran_one();
            if interrupted {
                break;
            }
            if args.fail_fast && status == RepetitionStatus::Failed {
                failed_fast = Some(format!("{stack} r{rep}"));
                break;
            }
        }
        if round_complete(&dir, rep) && precision_check(&mut dir, rep, &mut pace, &progress)? {
            break;
        }
    }
    // Nothing of this run may outlive it.
    let left =
        docker::labelled_containers(&engine, &format!("{}={}", docker::LABEL_RUN, run_id)).await?;
    if !left.is_empty() {
        progress.warn(&format!(
            "removing {} leftover container(s) of this run",
            left.len()
        ));
        docker::clean(&engine, &format!("{}={}", docker::LABEL_RUN, run_id), false).await?;
    }
    progress.finish();
    if let Some(t) = ticker {
        t.abort();
    }
    if interrupted {
        let done = dir
            .manifest
            .repetitions
            .iter()
            .filter(|r| r.status != RepetitionStatus::Interrupted)
            .count();
        eprintln!(
            "interrupted after {done} of {} repetitions; finished ones are kept in {} — complete the run with `pywebbench run --resume {}`",
            order(&dir.manifest, &campaign).len(),
            dir.path.display(),
            dir.path.display()
        );
        return Ok(Ended::Interrupted);
    }
    if let Some(which) = failed_fast {
        eprintln!(
            "--fail-fast: stopped after {which} failed (cause in {}/manifest.json); run the repetitions left with `pywebbench run --resume {}`",
            dir.path.display(),
            dir.path.display()
        );
        return Ok(Ended::WithFailures);
    }
    let merged = dir.finish(now_rfc3339())?;
    if !args.quiet {
        print_summary(&dir, merged.samples, merged.resources, started.elapsed());
    }
    println!("{}", dir.path.display());
    let failed = dir
        .manifest
        .repetitions
        .iter()
        .filter(|r| r.status == RepetitionStatus::Failed)
        .count();
    if failed > 0 {
        eprintln!(
            "{failed} of {} repetitions failed (causes in {}/manifest.json); their samples are kept",
            dir.manifest.repetitions.len(),
            dir.path.display()
        );
        return Ok(Ended::WithFailures);
    }
    Ok(Ended::Complete)
}

/// True when every stack of round `round` has finished its repetition `round`.
fn round_complete(dir: &RunDir, round: u32) -> bool {
    dir.manifest
        .rounds
        .get(round as usize - 1)
        .is_some_and(|stacks| stacks.iter().all(|s| dir.completed(s, round)))
}

/// How long rounds take in this process, for the precision run's estimate.
#[derive(Default)]
struct RoundPace {
    /// Repetitions run (not skipped) in this process, and the time since the first began.
    ran: u32,
    since: Option<Instant>,
}

impl RoundPace {
    fn ran_one(&mut self) {
        self.ran += 1;
        self.since.get_or_insert_with(Instant::now);
    }

    /// Mean time of a repetition run in this process.
    fn per_repetition(&self) -> Option<Duration> {
        let since = self.since?;
        (self.ran > 1).then(|| since.elapsed() / (self.ran - 1))
    }
}

/// A precision run, after round `round`: apply the stopping rule, record it in the
/// manifest, show the widest cell and the estimate; true when the run stops here
/// (the manifest's `rounds` then ends at this round). No-op without a precision
/// target, or when this round was checked in an earlier attempt.
fn precision_check(
    dir: &mut RunDir,
    round: u32,
    pace: &mut RoundPace,
    progress: &Progress,
) -> Result<bool> {
    let Some(record) = &dir.manifest.precision else {
        return Ok(false);
    };
    if record.checks.iter().any(|c| c.round == round) {
        return Ok(record.stopped.as_ref().is_some_and(|s| s.rounds <= round));
    }
    let rule = record.settings;
    let check = precision::check(&rule, &dir.manifest, round);
    let per_round = pace
        .per_repetition()
        .map(|d| d * dir.manifest.rounds.first().map_or(1, |r| r.len()) as u32);
    progress.line(&precision_line(&rule, &check, per_round));
    progress.status(&precision_status(&rule, &check, per_round));
    let stop = check.stop;
    if let Some(record) = dir.manifest.precision.as_mut() {
        record.checks.push(check);
        if let Some(reason) = stop {
            record.stopped = Some(precision::Stopped {
                reason,
                rounds: round,
            });
        }
    }
    if let Some(reason) = stop {
        dir.manifest.rounds.truncate(round as usize);
        progress.line(&format!(
            "precision: stopping after round {round}: {}",
            reason.describe()
        ));
    }
    dir.save_manifest()?;
    Ok(stop.is_some())
}

/// Rounds still to run at the widest cell's spread (capped by max_rounds), and the
/// time they would take.
fn rounds_left(
    rule: &PrecisionRule,
    check: &precision::Check,
    per_round: Option<Duration>,
) -> (u32, Option<Duration>) {
    let wanted = check
        .rounds_needed
        .unwrap_or(rule.max_rounds)
        .max(rule.min_rounds)
        .min(rule.max_rounds);
    let left = wanted.saturating_sub(check.round);
    (left, per_round.map(|d| d * left))
}

fn widest_text(rule: &PrecisionRule, check: &precision::Check) -> String {
    match &check.widest {
        Some(c) if c.relative.is_finite() => format!(
            "widest cell {} {} ±{} (target ±{}), {} cell(s) over",
            c.stack,
            c.scenario,
            precision::percent(c.relative),
            precision::percent(rule.target),
            check.cells_over_target
        ),
        Some(c) => format!("{} {}: no interval yet", c.stack, c.scenario),
        None => "no headline cell yet".into(),
    }
}

fn precision_line(
    rule: &PrecisionRule,
    check: &precision::Check,
    per_round: Option<Duration>,
) -> String {
    let (left, time) = rounds_left(rule, check, per_round);
    let needed = match check.rounds_needed {
        Some(n) if n > rule.max_rounds => {
            format!(
                "; at this spread it needs ~{n} rounds, more than the {} allowed",
                rule.max_rounds
            )
        }
        Some(n) => format!("; at this spread it needs ~{n} rounds"),
        None => String::new(),
    };
    let eta = match (check.stop, time) {
        (Some(_), _) => String::new(),
        (None, Some(t)) => format!(
            " → {left} more round(s), ~{:.0} min",
            t.as_secs_f64() / 60.0
        ),
        (None, None) => format!(" → {left} more round(s)"),
    };
    format!(
        "precision after round {}/{}: {}{needed}{eta}",
        check.round,
        rule.max_rounds,
        widest_text(rule, check)
    )
}

/// The short form shown beside the progress bar.
fn precision_status(
    rule: &PrecisionRule,
    check: &precision::Check,
    per_round: Option<Duration>,
) -> String {
    let (left, time) = rounds_left(rule, check, per_round);
    let widest = check.widest.as_ref().map_or(String::new(), |c| {
        format!(
            "  widest {}/{} ±{}",
            c.stack,
            c.scenario,
            precision::percent(c.relative)
        )
    });
    let eta = time.map_or(String::new(), |t| {
        format!(", ~{:.0} min", t.as_secs_f64() / 60.0)
    });
    format!(
        "round {}/{}{widest}, {left} more{eta}",
        check.round, rule.max_rounds
    )
}

/// Every (stack, repetition) of the run in the order they run: the manifest's
/// interleaved rounds; a run begun before rounds existed (no `rounds` in its
/// manifest) keeps its stack-by-stack order when resumed.
fn order(manifest: &Manifest, campaign: &Campaign) -> Vec<(String, u32)> {
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

/// The run's load path: on `--resume` the one its manifest records (a run made
/// before paths were recorded used the published port); else `--path`, or the
/// campaign's `[loadgen] path`.
async fn choose_path(
    engine: &Docker,
    args: &RunArgs,
    campaign: &Campaign,
    recorded: Option<&LoadPath>,
) -> Result<LoadPath> {
    let (choice, chosen_by) = match (&args.resume, recorded, args.path) {
        (Some(_), Some(p), _) => (
            PathUsed::recorded(Some(p)).as_choice(),
            "the resumed run's manifest".to_string(),
        ),
        (Some(_), None, _) => (
            PathChoice::PublishedPort,
            "the resumed run (made before the path was recorded)".to_string(),
        ),
        (None, _, Some(c)) => (c, "--path".to_string()),
        (None, _, None) => (
            campaign.loadgen_path,
            "the campaign's [loadgen] path".to_string(),
        ),
    };
    let facts = PathFacts {
        choice,
        chosen_by,
        engine_address: docker::engine_address(),
        engine_local: docker::engine_is_local(),
        engine_os: docker::engine_os(engine).await,
    };
    let (used, reason) = netns::decide(&facts).map_err(|e| anyhow!(e))?;
    Ok(LoadPath {
        used: used.as_str().into(),
        reason,
    })
}

/// Per stack: samples and the req/s of each scenario (mean over the ok repetitions).
fn print_summary(dir: &RunDir, samples: usize, resources: usize, took: Duration) {
    let m = &dir.manifest;
    eprintln!(
        "run {}: {samples} samples, {resources} resource readings in {:.0} s",
        m.run_id,
        took.as_secs_f64()
    );
    eprint!("{}", summary_table(m));
    if let Some(p) = &m.precision {
        eprintln!("{}", precision_outcome(p));
    }
}

/// One line on how a precision run ended: rounds, why, and its widest cell.
fn precision_outcome(p: &PrecisionRecord) -> String {
    let Some(stopped) = &p.stopped else {
        return "precision: the run did not reach its stopping rule".into();
    };
    let widest = p
        .checks
        .last()
        .map(|c| widest_text(&p.settings, c))
        .unwrap_or_default();
    format!(
        "precision: stopped after {} round(s), {}; {widest}",
        stopped.rounds,
        stopped.reason.describe()
    )
}

/// The end-of-run table: per stack, ok/attempted repetitions, requests made, and per
/// scenario the mean req/s over the **ok** repetitions only (as `analyze` does: a
/// failed repetition, e.g. a killed container answering with connection errors, is
/// not averaged in; "-" when no ok repetition ran the scenario).
fn summary_table(m: &Manifest) -> String {
    use std::fmt::Write as _;
    let mut scenario_names: Vec<String> = Vec::new();
    for r in &m.repetitions {
        for s in &r.scenarios {
            if !analysis::is_warmup(&s.scenario) && !scenario_names.contains(&s.scenario) {
                scenario_names.push(s.scenario.clone());
            }
        }
    }
    let mut out = String::new();
    let mut header = format!("{:<20} {:>4} {:>8}", "stack", "ok", "requests");
    for n in &scenario_names {
        header.push_str(&format!(" {n:>9}"));
    }
    let _ = writeln!(
        out,
        "{header}   (req/s = requests / active time, mean over the ok repetitions)"
    );
    let mut stacks: Vec<&str> = Vec::new();
    for r in &m.repetitions {
        if !stacks.contains(&r.stack.as_str()) {
            stacks.push(&r.stack);
        }
    }
    for stack in stacks {
        let reps: Vec<&RepetitionSummary> =
            m.repetitions.iter().filter(|r| r.stack == stack).collect();
        let ok: Vec<&RepetitionSummary> = reps
            .iter()
            .copied()
            .filter(|r| r.status == RepetitionStatus::Ok)
            .collect();
        let requests: u64 = reps
            .iter()
            .flat_map(|r| &r.scenarios)
            .map(|s| s.requests)
            .sum();
        let mut line = format!(
            "{stack:<20} {:>4} {requests:>8}",
            format!("{}/{}", ok.len(), reps.len())
        );
        for n in &scenario_names {
            let rates: Vec<f64> = ok
                .iter()
                .flat_map(|r| &r.scenarios)
                .filter(|s| &s.scenario == n && s.active_ns > 0)
                .map(|s| s.requests as f64 / (s.active_ns as f64 / 1e9))
                .collect();
            if rates.is_empty() {
                line.push_str(&format!(" {:>9}", "-"));
            } else {
                line.push_str(&format!(
                    " {:>9.1}",
                    rates.iter().sum::<f64>() / rates.len() as f64
                ));
            }
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Sleep, unless `stop` turns true first.
async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> Result<(), Halt> {
    if d.is_zero() {
        return Ok(());
    }
    tokio::select! {
        () = tokio::time::sleep(d) => Ok(()),
        _ = stop.wait_for(|&s| s) => Err(Halt::Stopped),
    }
}

/// One `GET /hello` on a fresh connection: its status, or why there was none.
/// The connection is made as the generator's are ([`load::conn::tcp_connect`]),
/// so it takes the same path.
async fn hello_status(target: &Target) -> Result<u16, String> {
    let endpoint = target.endpoint().await.map_err(|e| e.to_string())?;
    let stream = load::conn::tcp_connect(&endpoint)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let conn = tokio::spawn(conn);
    let req = hyper::Request::get("/hello")
        .header(
            hyper::header::HOST,
            format!("{}:{}", target.host, target.port),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request: {e}"));
    conn.abort();
    Ok(res?.status().as_u16())
}

/// Poll `GET /hello` until it answers 200, the timeout passes or `stop` turns true.
async fn wait_healthy(
    target: &Target,
    timeout: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Result<Duration, Halt> {
    let start = Instant::now();
    loop {
        // Each attempt ends by the deadline: an answer after it is a timeout too.
        let attempt = Duration::from_secs(2).min(timeout.saturating_sub(start.elapsed()));
        let last = match tokio::time::timeout(attempt, hello_status(target)).await {
            Ok(Ok(200)) => return Ok(start.elapsed()),
            Ok(Ok(code)) => format!("status {code}"),
            Ok(Err(e)) => e,
            Err(_) => format!("no answer within {} ms", attempt.as_millis()),
        };
        if start.elapsed() >= timeout {
            return Err(Halt::Failed(format!(
                "health timeout: GET /hello did not answer 200 within {:.0} s (last: {last}); see the stack's logs or raise health_timeout",
                timeout.as_secs_f64()
            )));
        }
        pause(Duration::from_millis(100), stop).await?;
    }
}

impl Session {
    async fn repetition(&self, stack: &str, rep: u32) -> RepetitionResult {
        let started_at = now_rfc3339();
        let mut summary = RepetitionSummary {
            stack: stack.to_string(),
            repetition: rep,
            status: RepetitionStatus::Ok,
            cause: None,
            started_at,
            ended_at: String::new(),
            scenarios: Vec::new(),
            image_id: String::new(),
        };
        let mut samples = SampleColumns::default();
        let spec = ServerSpec {
            stack: stack.to_string(),
            run_id: self.run_id.clone(),
            repetition: rep,
            workers: self.campaign.server.workers,
            threads: self.campaign.server.threads,
            memory_limit_bytes: self.campaign.server.memory_limit_bytes,
            pids_limit: self.campaign.server.pids_limit,
            cpuset: self.campaign.server.cpuset.clone(),
            publish_ip: self.publish_ip.clone(),
            publish: self.path == PathUsed::PublishedPort,
        };
        let header = format!("{stack} r{rep}/{}", self.campaign.planned_rounds());
        self.progress
            .phase(format!("{header} start"), None, None, false);
        let container = match ServerContainer::start(&self.docker, &spec).await {
            Ok(c) => c,
            Err(e) => {
                summary.status = RepetitionStatus::Failed;
                summary.cause = Some(format!("{e:#}"));
                summary.ended_at = now_rfc3339();
                return RepetitionResult {
                    summary,
                    samples,
                    resources: Vec::new(),
                };
            }
        };
        summary.image_id = container.image_id.clone();

        // The phase the resource readings are tagged with.
        let (phase_tx, phase_rx) = watch::channel("settle".to_string());
        let (stats_stop_tx, stats_stop_rx) = watch::channel(false);
        let stats = tokio::spawn(crate::sampler::collect_resources(
            self.docker.clone(),
            container.id.clone(),
            container.pid,
            // No published port (the netns path): no docker-proxy to account for.
            container.host_port.unwrap_or(0),
            stack.to_string(),
            rep,
            container.started,
            phase_rx,
            stats_stop_rx,
        ));
        // This repetition stops on Ctrl-C or when its container exits.
        let (rep_stop_tx, rep_stop) = watch::channel(false);
        let (exit_tx, exit_rx) = tokio::sync::oneshot::channel::<i64>();
        let exited = container.exited();
        let mut global_stop = self.stop.clone();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                code = exited => { let _ = exit_tx.send(code); }
                _ = global_stop.wait_for(|&s| s) => {}
            }
            let _ = rep_stop_tx.send(true);
        });

        let target = match (self.path, container.host_port) {
            (PathUsed::PublishedPort, Some(port)) => {
                Ok(Target::new(self.target_host.clone(), port))
            }
            (PathUsed::PublishedPort, None) => {
                Err(Halt::Failed("the container has no published port".into()))
            }
            (PathUsed::Netns, _) => match NetNs::open(container.pid) {
                Ok(ns) => Ok(Target::inside(Arc::new(ns), docker::SERVER_PORT)),
                // A container that exited at once has no namespace left: say that
                // it exited (with its code and log), not that /proc lacks it.
                Err(e) => {
                    let mut exited = rep_stop.clone();
                    let wait = exited.wait_for(|&s| s);
                    match tokio::time::timeout(Duration::from_secs(2), wait).await {
                        Ok(Ok(_)) => Err(Halt::Stopped),
                        _ => Err(Halt::Failed(e.to_string())),
                    }
                }
            },
        };
        let outcome = match target {
            Err(halt) => Err(halt),
            Ok(target) => {
                self.phases(
                    stack,
                    rep,
                    &header,
                    &container,
                    &target,
                    &phase_tx,
                    rep_stop,
                    &mut samples,
                    &mut summary,
                )
                .await
            }
        };
        watcher.abort();
        let _ = stats_stop_tx.send(true);
        let resources = stats.await.unwrap_or_default();
        let phase = phase_tx.borrow().clone();
        let exit_code = exit_rx.await.ok();
        let last_log = if exit_code.is_some() {
            container.log_tail(20).await
        } else {
            String::new()
        };
        if let Err(e) = container.remove().await {
            self.progress
                .warn(&format!("{e:#} (the end-of-run sweep retries)"));
        }
        match outcome {
            Ok(()) => {}
            Err(_) if *self.stop.borrow() => {
                summary.status = RepetitionStatus::Interrupted;
                summary.cause = Some(format!("interrupted (SIGINT/SIGTERM) during {phase}"));
            }
            Err(Halt::Stopped) => {
                summary.status = RepetitionStatus::Failed;
                let code = exit_code.map_or_else(|| "?".into(), |c| c.to_string());
                let tail = if last_log.is_empty() {
                    String::new()
                } else {
                    format!(": {last_log}")
                };
                summary.cause = Some(format!(
                    "the container exited with code {code} during {phase}{tail}"
                ));
            }
            Err(Halt::Failed(why)) => {
                summary.status = RepetitionStatus::Failed;
                summary.cause = Some(why);
            }
        }
        summary.ended_at = now_rfc3339();
        RepetitionResult {
            summary,
            samples,
            resources,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn phases(
        &self,
        stack: &str,
        rep: u32,
        header: &str,
        container: &ServerContainer,
        target: &Target,
        phase: &watch::Sender<String>,
        mut stop: watch::Receiver<bool>,
        samples: &mut SampleColumns,
        summary: &mut RepetitionSummary,
    ) -> Result<(), Halt> {
        let c = &self.campaign;
        let stack_idx = SampleColumns::intern(&mut samples.stacks, stack);
        self.progress
            .phase(format!("{header} settle"), Some(c.settle.0), None, false);
        wait_healthy(target, c.health_timeout.0, &mut stop).await?;
        pause(
            c.settle.0.saturating_sub(container.started.elapsed()),
            &mut stop,
        )
        .await?;
        for w in &c.warmup {
            let _ = phase.send("warmup".into());
            self.scenario(header, target, w, stack_idx, rep, &stop, samples, summary)
                .await?;
        }
        let _ = phase.send("idle".into());
        self.progress
            .phase(format!("{header} idle"), Some(c.idle.0), None, false);
        pause(c.idle.0, &mut stop).await?;
        for (i, s) in c.scenarios.iter().enumerate() {
            if i > 0 {
                let _ = phase.send("pause".into());
                self.progress
                    .phase(format!("{header} pause"), Some(c.pause.0), None, false);
                pause(c.pause.0, &mut stop).await?;
            }
            let _ = phase.send(s.name.clone());
            self.scenario(header, target, s, stack_idx, rep, &stop, samples, summary)
                .await?;
        }
        Ok(())
    }

    /// Run one scenario, collecting its samples into `samples` and its summary into `summary`.
    #[allow(clippy::too_many_arguments)]
    async fn scenario(
        &self,
        header: &str,
        target: &Target,
        scenario: &Scenario,
        stack_idx: u16,
        rep: u32,
        stop: &watch::Receiver<bool>,
        samples: &mut SampleColumns,
        summary: &mut RepetitionSummary,
    ) -> Result<(), Halt> {
        let plan = requests::plan(&self.campaign, scenario);
        let scenario_idx = SampleColumns::intern(&mut samples.scenarios, &scenario.name);
        let (tx, rx) = mpsc::channel(256);
        let live = Arc::clone(&self.progress.live);
        self.progress.phase(
            format!("{header} {}", scenario.name),
            Some(scenario.executor.max_duration()),
            scenario.executor.iterations(),
            true,
        );
        let collector = spawn_collector(
            rx,
            std::mem::take(samples),
            stack_idx,
            rep,
            scenario_idx,
            live,
        );
        let outcome = match self.loadgen {
            Loadgen::Native => load::run_scenario(target, &plan, tx, stop.clone()).await,
            Loadgen::K6 => load::run_scenario_k6(&self.k6, target, &plan, tx, stop.clone()).await,
        };
        *samples = collector.await.map_err(|e| {
            Halt::Failed(format!(
                "the sample collector of {} failed: {e}",
                scenario.name
            ))
        })?;
        let outcome =
            outcome.map_err(|e| Halt::Failed(format!("scenario {}: {e}", scenario.name)))?;
        summary.scenarios.push(ScenarioSummary {
            scenario: scenario.name.clone(),
            started_at_unix_ns: outcome.started_at_unix_ns,
            active_ns: outcome.active_ns,
            requests: outcome.requests,
            errors: outcome.errors,
            timed_out: outcome.timed_out,
            dropped_iterations: outcome.dropped_iterations,
            latency_mean_ms: precision::ok_latency_mean_ms(samples, scenario_idx),
        });
        let secs = outcome.active_ns as f64 / 1e9;
        self.progress.line(&format!(
            "{header} {}: {} requests in {secs:.2} s = {:.1} req/s, {} errors{}",
            scenario.name,
            outcome.requests,
            if secs > 0.0 {
                outcome.requests as f64 / secs
            } else {
                0.0
            },
            outcome.errors,
            if outcome.timed_out {
                " (hit max_duration)"
            } else {
                ""
            }
        ));
        if *stop.borrow() {
            return Err(Halt::Stopped);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest from JSON (so fields other branches add with defaults don't break it).
    fn manifest(reps: &[(u32, &str, u64, i64)]) -> Manifest {
        let reps: Vec<serde_json::Value> = reps
            .iter()
            .map(|&(n, status, requests, active_ns)| {
                serde_json::json!({
                    "stack": "flask-sqlite3", "repetition": n, "status": status,
                    "cause": null, "started_at": "", "ended_at": "", "image_id": "",
                    "scenarios": [{"scenario": "hello", "started_at_unix_ns": 0,
                        "active_ns": active_ns, "requests": requests, "errors": 0,
                        "timed_out": false}],
                })
            })
            .collect();
        let m = serde_json::json!({
            "schema_version": SCHEMA_VERSION, "run_id": "t", "loadgen": "native",
            "host": {"hostname": "h", "cpu_model": "c", "cores": 2, "memory_bytes": 1,
                "os": "o", "kernel": "k", "docker_version": "d"},
            "git_commit": null, "pywebbench_version": "0", "started_at": "",
            "ended_at": null, "campaign": {}, "packages": {}, "repetitions": reps,
        });
        analysis::parse_manifest(m.to_string().as_bytes()).expect("a valid manifest")
    }

    #[test]
    fn the_end_of_run_table_averages_ok_repetitions_only() {
        // A container killed during hello: 342,090 connection errors in 10 s
        // ("34,209 req/s") must not be averaged with the ok repetitions' 4,000–4,200.
        const S10: i64 = 10_000_000_000;
        let m = manifest(&[
            (1, "ok", 40_000, S10),
            (2, "failed", 342_090, S10),
            (3, "ok", 42_000, S10),
        ]);
        let table = summary_table(&m);
        let row = table
            .lines()
            .find(|l| l.starts_with("flask-sqlite3"))
            .unwrap_or_else(|| panic!("{table}"));
        assert!(row.contains(" 2/3 "), "{row}");
        assert!(row.trim_end().ends_with(" 4100.0"), "{row}");

        let table = summary_table(&manifest(&[(1, "failed", 342_090, S10)]));
        let row = table.lines().nth(1).unwrap_or_default();
        assert!(row.trim_end().ends_with(" -"), "{table}");
    }
}
