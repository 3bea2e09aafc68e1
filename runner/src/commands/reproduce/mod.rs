//! `pywebbench reproduce`: the paper end to end — setup → images → run → analyze →
//! publish → viewer, each phase timed, resumable.
//!
//! The run phase picks its folder under `data/runs/` (`--runs-dir`) by the campaign
//! as it would be run (the campaign file after `--stacks`/`--reps`) and the load
//! generator: the newest folder recorded with exactly that campaign and generator is
//! resumed when unfinished (`pywebbench run --resume`) or reused when finished (only
//! analysed and published again); `--fresh` always starts a new run. The run and the
//! analysis are the library's ([`crate::engine`] on a thread of its own, pinned as
//! `pywebbench run` pins it, with the same progress display; [`crate::analyze`]);
//! Ctrl-C stops the run cleanly and a second `reproduce` continues where it stopped.
//!
//! Publishing is [`crate::publish`]: the run copied to `data/published/<run id>/`
//! (committed to git) and `data/published/index.json` rewritten.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::campaign::{self, Campaign};
use crate::engine::{
    self, CampaignChoice, EXIT_FAILED_REPETITIONS, EXIT_INTERRUPTED, Loadgen, Outcome, RunConfig,
    Start,
};
use crate::manifest::{hostname, now_compact};
use crate::progress::Progress;
use crate::publish::{PublishedIndex, publish};
use crate::rundir::{self, RunDir};

/// Above this a published samples.parquet gets a warning (GitHub's own warning size).
const GIT_HOST_WARN_BYTES: u64 = 50_000_000;

#[derive(clap::Args, Debug)]
pub struct ReproduceArgs {
    /// Campaign file [default: paper/campaign.toml].
    #[arg(long, conflicts_with = "quick")]
    pub campaign: Option<PathBuf>,
    /// The scaled-down campaign (paper/campaign-quick.toml): a test of the pipeline.
    #[arg(long)]
    pub quick: bool,
    /// Only these stacks (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub stacks: Option<Vec<String>>,
    /// Repetitions per stack (overrides the campaign's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: Option<u32>,
    /// Add rounds until every headline cell's 95 % interval half-width is at most this
    /// share of its mean, e.g. `3%` (as `pywebbench run --precision`).
    #[arg(long, value_parser = campaign::parse_share)]
    pub precision: Option<f64>,
    /// The most rounds a precision run makes (as `pywebbench run --max-rounds`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: Option<u32>,
    /// Profile one extra repetition per stack with py-spy (as `pywebbench run --profile`):
    /// its collapsed stacks are published with the run, its flame graphs in the report.
    #[arg(long)]
    pub profile: bool,
    /// Samples per second of --profile (as `pywebbench run --profile-rate`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub profile_rate: Option<u32>,
    /// Load generator: pywebbench's own, or the k6 binary.
    #[arg(long, value_enum, default_value = "native")]
    pub loadgen: Loadgen,
    /// The k6 binary for --loadgen k6.
    #[arg(long)]
    pub k6: Option<PathBuf>,
    /// Start a new run even when a finished or unfinished one of this campaign exists.
    #[arg(long, conflicts_with = "resume")]
    pub fresh: bool,
    /// Resume (or re-publish) this run folder instead of looking for one.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Where runs are written and looked for.
    #[arg(long, default_value = crate::rundir::RUNS_DIR)]
    pub runs_dir: PathBuf,
    /// Where the run is published (with `index.json`); `--no-publish` skips it.
    #[arg(long, default_value = "data/published")]
    pub publish_dir: PathBuf,
    /// Measure without checking the stacks against the API contract first (as
    /// `pywebbench run --skip-contract`; recorded in manifest.json).
    #[arg(long)]
    pub skip_contract: bool,
    /// Do not publish the run (nor rebuild the viewer).
    #[arg(long)]
    pub no_publish: bool,
    /// Skip `scripts/setup.sh` (already done).
    #[arg(long)]
    pub no_setup: bool,
    /// Do not rebuild the viewer (web/dist) at the end.
    #[arg(long)]
    pub no_web: bool,
}

/// A phase and how long it took.
struct Phases {
    done: Vec<(&'static str, Duration, String)>,
    started: Instant,
}

impl Phases {
    fn begin(&self, name: &str, what: &str) -> Instant {
        eprintln!(
            "\n== reproduce: {name} — {what} (at {:.0} s)",
            self.started.elapsed().as_secs_f64()
        );
        Instant::now()
    }
    fn end(&mut self, name: &'static str, t: Instant, note: impl Into<String>) {
        let took = t.elapsed();
        let note = note.into();
        eprintln!(
            "== reproduce: {name} done in {}{}",
            fmt_duration(took),
            if note.is_empty() {
                String::new()
            } else {
                format!(" ({note})")
            }
        );
        self.done.push((name, took, note));
    }
    fn print(&self) {
        eprintln!("\nreproduce: phases");
        for (name, took, note) in &self.done {
            eprintln!("  {name:<8} {:>10}  {note}", fmt_duration(*took));
        }
        eprintln!(
            "  {:<8} {:>10}",
            "total",
            fmt_duration(self.started.elapsed())
        );
    }
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{}m{:02.0}s", (s / 60.0) as u64, s % 60.0)
    }
}

/// Ctrl-C / SIGTERM seen, and the pid of the child to forward SIGTERM to.
#[derive(Default)]
struct Signals {
    stop: AtomicBool,
    child: AtomicU32,
}

fn spawn_signal_watch(signals: Arc<Signals>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            #[cfg(unix)]
            let term_fut = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let term_fut = std::future::pending::<()>();
            let forward = tokio::select! {
                r = tokio::signal::ctrl_c() => { if r.is_err() { return; } false }
                () = term_fut => true,
            };
            signals.stop.store(true, Ordering::SeqCst);
            // Ctrl-C reaches the child through the terminal's process group; SIGTERM
            // is sent to this process only, so pass it on.
            let pid = signals.child.load(Ordering::SeqCst);
            if forward && pid != 0 {
                forward_term(pid);
            }
            eprintln!("reproduce: stopping after the current step cleans up…");
        }
    });
}

#[cfg(target_os = "linux")]
fn forward_term(pid: u32) {
    // SAFETY: kill only sends a signal to the child we spawned (and are waiting for).
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

#[cfg(not(target_os = "linux"))]
fn forward_term(_pid: u32) {}

/// Run a child to its end (its output goes to the terminal); signals stay with it.
async fn child(signals: &Signals, program: &Path, args: &[String]) -> Result<ExitStatus> {
    let mut c = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(false)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    signals.child.store(c.id().unwrap_or(0), Ordering::SeqCst);
    let status = c.wait().await;
    signals.child.store(0, Ordering::SeqCst);
    status.with_context(|| format!("waiting for {}", program.display()))
}

async fn script(signals: &Signals, path: &str, args: &[String], what: &str) -> Result<()> {
    let mut all = vec![path.to_string()];
    all.extend_from_slice(args);
    let status = child(signals, Path::new("bash"), &all).await?;
    if signals.stop.load(Ordering::SeqCst) {
        interrupted(what);
    }
    if !status.success() {
        bail!(
            "{what} failed ({path} exited with {status}); fix what it reported above and run `just reproduce` again"
        );
    }
    Ok(())
}

fn interrupted(what: &str) -> ! {
    eprintln!(
        "reproduce: interrupted during {what}; run `just reproduce` again with the same options (without --fresh) to continue where it stopped"
    );
    std::process::exit(EXIT_INTERRUPTED)
}

/// Every readable run folder in `dir` (unreadable ones are skipped with a note).
fn runs_in(dir: &Path) -> Result<Vec<RunDir>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let Ok(bytes) = std::fs::read(rundir::manifest_file_of(&path)) else {
            continue;
        };
        match analysis::parse_manifest(&bytes) {
            Ok(manifest) => found.push(RunDir { path, manifest }),
            Err(e) => eprintln!("reproduce: skipping {}: {e}", path.display()),
        }
    }
    Ok(found)
}

/// What the run phase does.
enum Plan {
    New(PathBuf),
    Resume(PathBuf),
    Reuse(PathBuf),
}

/// The campaign a new run would run (the file after `--stacks`/`--reps`), as
/// `pywebbench run` chooses it.
fn campaign_choice(args: &ReproduceArgs) -> CampaignChoice {
    CampaignChoice {
        file: args.campaign.clone(),
        quick: args.quick,
        stacks: args.stacks.clone(),
        reps: args.reps,
        precision: args.precision,
        max_rounds: args.max_rounds,
        profile: args.profile,
        profile_rate: args.profile_rate,
    }
}

fn wanted_campaign(args: &ReproduceArgs) -> Result<Campaign> {
    campaign_choice(args).load()
}

fn plan(args: &ReproduceArgs) -> Result<Plan> {
    if let Some(dir) = &args.resume {
        let f = RunDir {
            path: dir.clone(),
            manifest: rundir::read_manifest(dir)?,
        };
        return Ok(if f.is_finished() {
            Plan::Reuse(f.path)
        } else {
            Plan::Resume(f.path)
        });
    }
    let want = wanted_campaign(args)?.to_json();
    // A k6 run says so in its id, which the viewer's run list shows.
    let suffix = match args.loadgen {
        Loadgen::Native => "",
        Loadgen::K6 => "-k6",
    };
    let new = || {
        Plan::New(
            args.runs_dir
                .join(format!("{}-{}{suffix}", now_compact(), hostname())),
        )
    };
    if args.fresh {
        return Ok(new());
    }
    let newest = runs_in(&args.runs_dir)?
        .into_iter()
        .filter(|f| f.manifest.campaign == want && f.manifest.loadgen == args.loadgen.as_str())
        .max_by(|a, b| a.manifest.started_at.cmp(&b.manifest.started_at));
    Ok(match newest {
        Some(f) if f.is_finished() => {
            eprintln!(
                "reproduce: {} is a finished run of this campaign ({}); analysing and publishing it again (`--fresh` runs anew)",
                f.path.display(),
                f.manifest.ended_at.as_deref().unwrap_or("")
            );
            Plan::Reuse(f.path)
        }
        Some(f) => {
            eprintln!(
                "reproduce: {} is an unfinished run of this campaign (started {}, {} repetition(s) to go); resuming it (`--fresh` starts over)",
                f.path.display(),
                f.manifest.started_at,
                f.missing()
            );
            Plan::Resume(f.path)
        }
        None => new(),
    })
}

/// The run phase: the engine, on a thread of its own (pinned to the campaign's
/// CPUs, its own runtime and signal handling), as `pywebbench run` runs it. Returns
/// the run folder and whether some repetitions failed.
async fn run_phase(args: &ReproduceArgs, plan: &Plan) -> Result<(PathBuf, bool)> {
    let (dir, start) = match plan {
        Plan::Reuse(dir) => return Ok((dir.clone(), false)),
        Plan::Resume(dir) => (dir.clone(), Start::Resume(dir.clone())),
        Plan::New(dir) => (
            dir.clone(),
            Start::New {
                campaign: Box::new(wanted_campaign(args)?),
                out: Some(dir.clone()),
                loadgen: args.loadgen,
                path: None,
            },
        ),
    };
    let config = RunConfig {
        start,
        k6: args.k6.clone(),
        fail_fast: false,
        skip_contract: args.skip_contract,
        publish_ip: std::env::var("PYWEBBENCH_PUBLISH_IP").unwrap_or_else(|_| "127.0.0.1".into()),
        target_host: std::env::var("PYWEBBENCH_TARGET_HOST").ok(),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("pywebbench-run".into())
        .spawn(move || {
            let outcome = engine::prepare(config)
                .and_then(|prepared| prepared.run(Arc::new(Progress::new(false))));
            if let Ok(o) = &outcome {
                o.print(false);
            }
            let _ = tx.send(outcome);
        })
        .context("cannot start the run's thread")?;
    let outcome = rx
        .await
        .map_err(|_| anyhow!("the run's thread ended without a result"))?
        .with_context(|| {
            format!(
                "the run failed; fix the cause, then `just reproduce` resumes {}",
                dir.display()
            )
        })?;
    match outcome {
        Outcome::Interrupted { .. } => {
            interrupted(&format!("the run ({} resumes it)", dir.display()))
        }
        o => Ok((dir, o.exit_code() == EXIT_FAILED_REPETITIONS)),
    }
}

pub fn run(args: ReproduceArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    rt.block_on(reproduce(args))
}

async fn reproduce(args: ReproduceArgs) -> Result<()> {
    if !Path::new("paper/campaign.toml").exists() {
        bail!(
            "paper/campaign.toml not found: run `just reproduce` (or pywebbench reproduce) from the repository root"
        );
    }
    let signals = Arc::new(Signals::default());
    spawn_signal_watch(Arc::clone(&signals));
    let mut phases = Phases {
        done: Vec::new(),
        started: Instant::now(),
    };
    let stop = |what: &str| {
        if signals.stop.load(Ordering::SeqCst) {
            interrupted(what);
        }
    };

    if !args.no_setup {
        let t = phases.begin("setup", "scripts/setup.sh (installs what is missing)");
        script(&signals, "scripts/setup.sh", &[], "setup").await?;
        phases.end("setup", t, "");
    }

    let plan = plan(&args)?;
    let stacks: Vec<String> = match &plan {
        Plan::New(_) => wanted_campaign(&args)?.stacks,
        Plan::Resume(d) | Plan::Reuse(d) => {
            let m = analysis::parse_manifest(
                &std::fs::read(rundir::manifest_file_of(d))
                    .with_context(|| format!("cannot read {}/manifest.json", d.display()))?,
            )?;
            m.campaign["stacks"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        }
    };

    if !matches!(plan, Plan::Reuse(_)) {
        let t = phases.begin(
            "images",
            &format!("base image + {} stack image(s), cached", stacks.len()),
        );
        script(
            &signals,
            "scripts/build-images.sh",
            &stacks,
            "the image build",
        )
        .await?;
        phases.end("images", t, stacks.join(", "));
    }

    let what = match &plan {
        Plan::New(d) => format!("a new run in {}", d.display()),
        Plan::Resume(d) => format!("resuming {}", d.display()),
        Plan::Reuse(d) => format!("{} is finished already; not run again", d.display()),
    };
    let t = phases.begin("run", &what);
    let (run_dir, failures) = run_phase(&args, &plan).await?;
    phases.end(
        "run",
        t,
        if failures {
            "some repetitions failed: see the report's Repetitions table"
        } else {
            ""
        },
    );
    stop("the run");

    let t = phases.begin(
        "analyze",
        &format!("pywebbench analyze {}", run_dir.display()),
    );
    for line in crate::analyze::analyze(&run_dir, None, None)?.lines() {
        println!("{line}");
    }
    phases.end("analyze", t, "");
    stop("the analysis");

    let mut report = rundir::report_dir_of(&run_dir);
    if !args.no_publish {
        let t = phases.begin("publish", &format!("into {}", args.publish_dir.display()));
        let dst = publish(&run_dir, &args.publish_dir)?;
        let mut largest: (u64, PathBuf) = (0, dst.clone());
        let mut total = 0;
        for f in rundir::sample_files(&dst)? {
            let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            total += size;
            if size > largest.0 {
                largest = (size, f);
            }
        }
        phases.end(
            "publish",
            t,
            format!(
                "{} (samples {:.1} MiB, largest file {:.1} MiB)",
                dst.display(),
                total as f64 / 1048576.0,
                largest.0 as f64 / 1048576.0
            ),
        );
        if largest.0 > GIT_HOST_WARN_BYTES {
            eprintln!(
                "reproduce: warning: {} is {:.0} MB; GitHub warns above 50 MB and refuses files above 100 MB (use Git LFS for it there)",
                largest.1.display(),
                largest.0 as f64 / 1e6
            );
        }
        report = rundir::report_dir_of(&dst);
        stop("publishing");
        if !args.no_web {
            let t = phases.begin("web", "web/build.sh (viewer with the published runs)");
            script(&signals, "web/build.sh", &[], "the viewer build").await?;
            phases.end("web", t, "web/dist (`just serve` shows it)");
        }
    }
    phases.print();
    println!("report: {}", report.join("report.html").display());
    println!("        {}", report.join("report.md").display());
    if !args.no_publish {
        let index = PublishedIndex::read(&args.publish_dir)?;
        let default = index.runs.iter().find(|r| r.default).ok_or_else(|| {
            anyhow!(
                "{}/index.json names no default run",
                args.publish_dir.display()
            )
        })?;
        let this = report.parent().unwrap_or(&report).display().to_string();
        let k6 = index
            .runs
            .iter()
            .filter(|r| r.loadgen == "k6")
            .max_by(|a, b| a.started_at.cmp(&b.started_at))
            .map(|r| format!(" {}", r.path))
            .unwrap_or_default();
        println!(
            "published: {this} (viewer default: {}); README results: `just readme-results {}{k6}`",
            default.id, default.path
        );
    }
    if failures {
        std::process::exit(EXIT_FAILED_REPETITIONS);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
