//! `pywebbench reproduce`: the paper end to end — setup → images → run → analyze →
//! publish → viewer, each phase timed, resumable.
//!
//! The run phase picks its folder under `data/runs/` (`--runs-dir`) by the campaign
//! as it would be run (the campaign file after `--stacks`/`--reps`) and the load
//! generator: the newest folder recorded with exactly that campaign and generator is
//! resumed when unfinished (`pywebbench run --resume`) or reused when finished (only
//! analysed and published again); `--fresh` always starts a new run. The run itself is
//! a child `pywebbench run` (its own signal handling, CPU pinning and progress display);
//! Ctrl-C stops it cleanly and a second `reproduce` continues where it stopped.
//!
//! Publishing copies the run (raw samples, resources, manifest, report with figures)
//! to `data/published/<run id>/` (committed to git) and rewrites
//! `data/published/index.json`, whose `default` run is the one the viewer opens on.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use analysis::schema::{MANIFEST_FILE, Manifest, RESOURCES_FILE};
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use super::analyze::AnalyzeArgs;
use super::load::Loadgen;
use super::run::{EXIT_FAILED_REPETITIONS, EXIT_INTERRUPTED, RunArgs, load_campaign};
use crate::manifest::{hostname, now_compact};

/// The published runs' index, read by `web/build.sh` and the README generator.
pub const INDEX_FILE: &str = "index.json";
/// Above this a published samples.parquet gets a warning (GitHub's own warning size).
const GIT_HOST_WARN_BYTES: u64 = 50_000_000;
/// Files of a run copied when publishing (besides its sample files and the whole
/// `report/` folder).
const RUN_FILES: [&str; 2] = [MANIFEST_FILE, RESOURCES_FILE];

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
    #[arg(long)]
    pub precision: Option<String>,
    /// The most rounds a precision run makes (as `pywebbench run --max-rounds`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rounds: Option<u32>,
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
    #[arg(long, default_value = "data/runs")]
    pub runs_dir: PathBuf,
    /// Where the run is published (with `index.json`); `--no-publish` skips it.
    #[arg(long, default_value = "data/published")]
    pub publish_dir: PathBuf,
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

/// One entry of `data/published/index.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PublishedRun {
    pub id: String,
    /// The folder, relative to the repository root (`data/published/<id>`).
    pub path: String,
    pub loadgen: String,
    pub campaign: String,
    pub stacks: usize,
    pub repetitions: u32,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub samples_bytes: u64,
    /// The run the viewer opens on (exactly one run has it).
    pub default: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PublishedIndex {
    pub runs: Vec<PublishedRun>,
}

impl PublishedIndex {
    pub fn read(dir: &Path) -> Result<PublishedIndex> {
        let path = dir.join(INDEX_FILE);
        if !path.exists() {
            return Ok(PublishedIndex::default());
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a published-runs index; fix or delete it and publish again",
                path.display()
            )
        })
    }

    /// The default: the newest native run of the paper's campaign, else the newest
    /// native run, else the newest run.
    fn choose_default(&mut self) {
        let newest = |f: &dyn Fn(&PublishedRun) -> bool| {
            self.runs
                .iter()
                .enumerate()
                .filter(|(_, r)| f(r))
                .max_by(|(_, a), (_, b)| a.started_at.cmp(&b.started_at))
                .map(|(i, _)| i)
        };
        let pick = newest(&|r| r.loadgen == "native" && r.campaign == "paper")
            .or_else(|| newest(&|r| r.loadgen == "native"))
            .or_else(|| newest(&|_| true));
        for (i, r) in self.runs.iter_mut().enumerate() {
            r.default = Some(i) == pick;
        }
    }
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

/// A run folder found under the runs directory.
struct Found {
    path: PathBuf,
    manifest: Manifest,
}

impl Found {
    fn finished(&self) -> bool {
        self.manifest.ended_at.is_some() && crate::record::has_samples(&self.path)
    }
    fn missing(&self) -> usize {
        let c = &self.manifest.campaign;
        let stacks = c["stacks"].as_array().map_or(0, |a| a.len());
        let reps = c["repetitions"].as_u64().unwrap_or(0) as usize;
        let done = self
            .manifest
            .repetitions
            .iter()
            .filter(|r| r.status != analysis::schema::RepetitionStatus::Interrupted)
            .count();
        (stacks * reps).saturating_sub(done)
    }
}

/// Every readable run folder in `dir` (unreadable ones are skipped with a note).
fn runs_in(dir: &Path) -> Result<Vec<Found>> {
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
        let Ok(bytes) = std::fs::read(path.join(MANIFEST_FILE)) else {
            continue;
        };
        match analysis::parse_manifest(&bytes) {
            Ok(manifest) => found.push(Found { path, manifest }),
            Err(e) => eprintln!("reproduce: skipping {}: {e}", path.display()),
        }
    }
    Ok(found)
}

fn loadgen_name(l: Loadgen) -> &'static str {
    match l {
        Loadgen::Native => "native",
        Loadgen::K6 => "k6",
    }
}

/// What the run phase does.
enum Plan {
    New(PathBuf),
    Resume(PathBuf),
    Reuse(PathBuf),
}

/// The campaign a new run would run (the file after `--stacks`/`--reps`).
fn wanted_campaign(args: &ReproduceArgs) -> Result<crate::campaign::Campaign> {
    // Parsed as `pywebbench run` would parse them, so the campaign is the one it runs.
    #[derive(clap::Parser)]
    struct Run {
        #[command(flatten)]
        run: RunArgs,
    }
    let argv = std::iter::once("run".to_string()).chain(campaign_argv(args));
    let run = <Run as clap::Parser>::try_parse_from(argv)
        .map_err(|e| anyhow!("the options for `pywebbench run`: {e}"))?;
    load_campaign(&run.run)
}

/// The options that choose the campaign of a new run, as `pywebbench run` takes them.
fn campaign_argv(args: &ReproduceArgs) -> Vec<String> {
    let mut a = Vec::new();
    if let Some(c) = &args.campaign {
        a.extend(["--campaign".into(), c.display().to_string()]);
    }
    if args.quick {
        a.push("--quick".into());
    }
    if let Some(s) = &args.stacks {
        a.extend(["--stacks".into(), s.join(",")]);
    }
    if let Some(r) = args.reps {
        a.extend(["--reps".into(), r.to_string()]);
    }
    if let Some(p) = &args.precision {
        a.extend(["--precision".into(), p.clone()]);
    }
    if let Some(m) = args.max_rounds {
        a.extend(["--max-rounds".into(), m.to_string()]);
    }
    a.extend(["--loadgen".into(), loadgen_name(args.loadgen).into()]);
    a
}

fn plan(args: &ReproduceArgs) -> Result<Plan> {
    if let Some(dir) = &args.resume {
        let bytes = std::fs::read(dir.join(MANIFEST_FILE)).with_context(|| {
            format!(
                "{} has no readable manifest.json: pass the folder of a run started by `pywebbench run`",
                dir.display()
            )
        })?;
        let m = analysis::parse_manifest(&bytes)?;
        let f = Found {
            path: dir.clone(),
            manifest: m,
        };
        return Ok(if f.finished() {
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
        .filter(|f| f.manifest.campaign == want && f.manifest.loadgen == loadgen_name(args.loadgen))
        .max_by(|a, b| a.manifest.started_at.cmp(&b.manifest.started_at));
    Ok(match newest {
        Some(f) if f.finished() => {
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

/// The run phase: a child `pywebbench run`. Returns the run folder and whether some
/// repetitions failed.
async fn run_phase(
    args: &ReproduceArgs,
    signals: &Signals,
    plan: &Plan,
) -> Result<(PathBuf, bool)> {
    let exe = std::env::current_exe().context("cannot find the pywebbench executable")?;
    let mut a: Vec<String> = vec!["run".into()];
    let dir = match plan {
        Plan::Reuse(dir) => return Ok((dir.clone(), false)),
        Plan::Resume(dir) => {
            a.extend(["--resume".into(), dir.display().to_string()]);
            dir.clone()
        }
        Plan::New(dir) => {
            a.extend(campaign_argv(args));
            a.extend(["--out".into(), dir.display().to_string()]);
            dir.clone()
        }
    };
    if let Some(k6) = &args.k6 {
        a.extend(["--k6".into(), k6.display().to_string()]);
    }
    eprintln!("reproduce: {} {}", exe.display(), a.join(" "));
    let status = child(signals, &exe, &a).await?;
    match status.code() {
        Some(0) => Ok((dir, false)),
        Some(EXIT_FAILED_REPETITIONS) => Ok((dir, true)),
        _ if signals.stop.load(Ordering::SeqCst) || status.code() == Some(EXIT_INTERRUPTED) => {
            interrupted(&format!("the run ({} resumes it)", dir.display()))
        }
        _ => bail!(
            "pywebbench run exited with {status}; fix what it reported above, then `just reproduce` resumes {}",
            dir.display()
        ),
    }
}

fn copy(src: &Path, dst: &Path) -> Result<u64> {
    std::fs::copy(src, dst)
        .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))
}

/// Copy the run and its report into `publish_dir/<run id>/` and update the index.
pub fn publish(run_dir: &Path, publish_dir: &Path) -> Result<PathBuf> {
    let bytes = std::fs::read(run_dir.join(MANIFEST_FILE))
        .with_context(|| format!("cannot read {}/manifest.json", run_dir.display()))?;
    let m = analysis::parse_manifest(&bytes)?;
    let report = run_dir.join("report");
    if !report.join("summary.json").exists() {
        bail!(
            "{} has no report/summary.json; run `pywebbench analyze {}` first",
            run_dir.display(),
            run_dir.display()
        );
    }
    let id: String = m
        .run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dst = publish_dir.join(&id);
    // Write into a temporary folder, then swap it in: never half a published run.
    let tmp = publish_dir.join(format!(".{id}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("report"))
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    for name in RUN_FILES {
        let src = run_dir.join(name);
        if src.exists() {
            copy(&src, &tmp.join(name))?;
        }
    }
    // The sample files at the same relative paths: samples/<stack>.parquet (schema
    // v2) or samples.parquet (a run finished before it).
    let mut samples_bytes = 0;
    for src in crate::record::sample_files(run_dir)? {
        let rel = src.strip_prefix(run_dir).unwrap_or(&src);
        let to = tmp.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        samples_bytes += copy(&src, &to)?;
    }
    for entry in
        std::fs::read_dir(&report).with_context(|| format!("cannot list {}", report.display()))?
    {
        let src = entry
            .with_context(|| format!("cannot list {}", report.display()))?
            .path();
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if src.is_file() && !name.starts_with('.') {
            copy(&src, &tmp.join("report").join(&name))?;
        }
    }
    if dst.exists() {
        std::fs::remove_dir_all(&dst)
            .with_context(|| format!("cannot replace {}", dst.display()))?;
    }
    std::fs::rename(&tmp, &dst)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), dst.display()))?;

    let mut index = PublishedIndex::read(publish_dir)?;
    index.runs.retain(|r| r.id != id);
    index.runs.push(PublishedRun {
        id: id.clone(),
        path: dst.display().to_string(),
        loadgen: m.loadgen.clone(),
        campaign: m.campaign["name"].as_str().unwrap_or("").to_string(),
        stacks: m.campaign["stacks"].as_array().map_or(0, |a| a.len()),
        repetitions: m.campaign["repetitions"].as_u64().unwrap_or(0) as u32,
        started_at: m.started_at.clone(),
        ended_at: m.ended_at.clone(),
        samples_bytes,
        default: false,
    });
    // Runs whose folder was deleted by hand leave the index.
    index
        .runs
        .retain(|r| publish_dir.join(&r.id).join(MANIFEST_FILE).exists());
    index.runs.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    index.choose_default();
    let json = serde_json::to_string_pretty(&index).context("serialising index.json")?;
    super::analyze::write_atomic(publish_dir, INDEX_FILE, format!("{json}\n").as_bytes())?;
    Ok(dst)
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
                &std::fs::read(d.join(MANIFEST_FILE))
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
    let (run_dir, failures) = run_phase(&args, &signals, &plan).await?;
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
    super::analyze::run(AnalyzeArgs {
        run_dir: run_dir.clone(),
        out: None,
        seed: None,
    })?;
    phases.end("analyze", t, "");
    stop("the analysis");

    let mut report = run_dir.join("report");
    if !args.no_publish {
        let t = phases.begin("publish", &format!("into {}", args.publish_dir.display()));
        let dst = publish(&run_dir, &args.publish_dir)?;
        let mut largest: (u64, PathBuf) = (0, dst.clone());
        let mut total = 0;
        for f in crate::record::sample_files(&dst)? {
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
        report = dst.join("report");
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
mod tests {
    use super::*;
    use crate::manifest::host_info;
    use analysis::schema::{SAMPLES_FILE, SCHEMA_VERSION};

    fn quick_args(runs_dir: &Path) -> ReproduceArgs {
        ReproduceArgs {
            campaign: Some(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../paper/campaign-quick.toml"),
            ),
            quick: false,
            stacks: None,
            reps: None,
            precision: None,
            max_rounds: None,
            loadgen: Loadgen::Native,
            k6: None,
            fresh: false,
            resume: None,
            runs_dir: runs_dir.to_path_buf(),
            publish_dir: runs_dir.join("published"),
            no_publish: false,
            no_setup: true,
            no_web: true,
        }
    }

    /// A run folder holding only a manifest (and samples.parquet when finished).
    fn write_run(
        runs: &Path,
        id: &str,
        args: &ReproduceArgs,
        loadgen: &str,
        started: &str,
        finished: bool,
    ) -> PathBuf {
        let dir = runs.join(id);
        std::fs::create_dir_all(&dir).expect("run folder");
        let m = Manifest {
            schema_version: SCHEMA_VERSION,
            run_id: id.into(),
            loadgen: loadgen.into(),
            host: host_info("test".into()),
            git_commit: None,
            pywebbench_version: "0".into(),
            started_at: started.into(),
            ended_at: finished.then(|| started.to_string()),
            campaign: wanted_campaign(args).expect("quick campaign").to_json(),
            packages: Default::default(),
            repetitions: Vec::new(),
            rounds: Vec::new(),
            isolation: None,
            path: None,
            precision: None,
            stack_info: Default::default(),
        };
        std::fs::write(
            dir.join(MANIFEST_FILE),
            serde_json::to_vec(&m).expect("json"),
        )
        .expect("manifest");
        if finished {
            std::fs::write(dir.join(SAMPLES_FILE), b"not read here").expect("samples");
        }
        dir
    }

    fn chosen(p: Plan) -> (&'static str, PathBuf) {
        match p {
            Plan::New(d) => ("new", d),
            Plan::Resume(d) => ("resume", d),
            Plan::Reuse(d) => ("reuse", d),
        }
    }

    #[test]
    fn the_newest_run_of_the_same_campaign_and_loadgen_is_resumed_or_reused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let runs = tmp.path();
        let mut args = quick_args(runs);
        assert_eq!(chosen(plan(&args).expect("plan")).0, "new", "no runs yet");

        let old = write_run(runs, "a", &args, "native", "2026-11-25T08:00:00Z", true);
        assert_eq!(chosen(plan(&args).expect("plan")), ("reuse", old.clone()));

        let unfinished = write_run(runs, "b", &args, "native", "2026-11-25T09:00:00Z", false);
        assert_eq!(
            chosen(plan(&args).expect("plan")),
            ("resume", unfinished.clone())
        );

        // Another generator's or another campaign's runs are not candidates.
        write_run(runs, "c", &args, "k6", "2026-11-25T10:00:00Z", false);
        assert_eq!(chosen(plan(&args).expect("plan")), ("resume", unfinished));
        args.reps = Some(3);
        assert_eq!(
            chosen(plan(&args).expect("plan")).0,
            "new",
            "--reps 3 is another campaign"
        );
        args.reps = None;
        args.loadgen = Loadgen::K6;
        let (what, dir) = chosen(plan(&args).expect("plan"));
        assert_eq!(
            (what, dir.file_name().and_then(|n| n.to_str())),
            ("resume", Some("c"))
        );

        args.fresh = true;
        let (what, dir) = chosen(plan(&args).expect("plan"));
        assert_eq!(what, "new");
        assert!(dir.to_string_lossy().ends_with("-k6"), "{}", dir.display());
    }

    #[test]
    fn publish_copies_the_run_and_the_index_defaults_to_the_native_paper_run() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let args = quick_args(tmp.path());
        let publish_dir = tmp.path().join("published");
        let native = write_run(
            tmp.path(),
            "native",
            &args,
            "native",
            "2026-11-25T08:00:00Z",
            true,
        );
        let k6 = write_run(tmp.path(), "k6", &args, "k6", "2026-11-25T09:00:00Z", true);
        assert!(
            publish(&native, &publish_dir).is_err(),
            "no report yet: refused"
        );
        for dir in [&native, &k6] {
            std::fs::create_dir_all(dir.join("report")).expect("report");
            std::fs::write(dir.join("report/summary.json"), b"{}").expect("summary");
            std::fs::write(dir.join("report/fig1.png"), b"png").expect("png");
        }
        let dst = publish(&native, &publish_dir).expect("publish native");
        publish(&k6, &publish_dir).expect("publish k6");
        for f in [
            MANIFEST_FILE,
            SAMPLES_FILE,
            "report/summary.json",
            "report/fig1.png",
        ] {
            assert!(dst.join(f).is_file(), "{f} published");
        }
        let index = PublishedIndex::read(&publish_dir).expect("index");
        let ids: Vec<(&str, bool)> = index
            .runs
            .iter()
            .map(|r| (r.id.as_str(), r.default))
            .collect();
        // The newer k6 run is listed but the native one stays the default.
        assert_eq!(ids, vec![("native", true), ("k6", false)]);
        // Publishing again replaces, never duplicates.
        publish(&native, &publish_dir).expect("again");
        assert_eq!(
            PublishedIndex::read(&publish_dir)
                .expect("index")
                .runs
                .len(),
            2
        );
    }

    #[test]
    fn default_prefers_the_paper_campaign_then_native_then_newest() {
        let run = |id: &str, loadgen: &str, campaign: &str, started: &str| PublishedRun {
            id: id.into(),
            path: id.into(),
            loadgen: loadgen.into(),
            campaign: campaign.into(),
            stacks: 5,
            repetitions: 5,
            started_at: started.into(),
            ended_at: None,
            samples_bytes: 0,
            default: false,
        };
        let mut index = PublishedIndex {
            runs: vec![
                run("paper-old", "native", "paper", "1"),
                run("paper-new", "native", "paper", "2"),
                run("quick", "native", "quick", "3"),
                run("k6", "k6", "paper", "4"),
            ],
        };
        index.choose_default();
        let default: Vec<&str> = index
            .runs
            .iter()
            .filter(|r| r.default)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(default, ["paper-new"]);
        index
            .runs
            .retain(|r| r.campaign != "paper" || r.loadgen == "k6");
        index.choose_default();
        let default: Vec<&str> = index
            .runs
            .iter()
            .filter(|r| r.default)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(default, ["quick"]);
    }
}
