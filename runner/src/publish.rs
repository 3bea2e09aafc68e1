//! Publishing a run: its raw samples, resources, manifest, profiles (`run --profile`)
//! and report (with figures)
//! copied to `data/published/<run id>/` (committed to git), and
//! `data/published/index.json` rewritten, whose `default` run is the one the viewer
//! opens on.

use std::path::{Path, PathBuf};

use analysis::schema::{MANIFEST_FILE, RESOURCES_FILE};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::rundir::{
    CAPACITY_SVG, PEAK_FILE, SUMMARY_FILE, SWEEP_FILE, manifest_file_of, report_dir_of,
    sample_files, write_bytes_atomic,
};

/// The published runs' index, read by `web/build.sh` and the README generator.
pub const INDEX_FILE: &str = "index.json";
/// Files of a run copied when publishing, those it has (besides its sample files and
/// the whole `report/` folder): a sweep's `sweep.json` and a peak run's `peak.json` too.
const RUN_FILES: [&str; 4] = [MANIFEST_FILE, RESOURCES_FILE, SWEEP_FILE, PEAK_FILE];

/// What a published folder holds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// A campaign's repetitions (`run`, `reproduce`): `report/summary.json`, Figures 1–7.
    #[default]
    Run,
    /// A capacity sweep (`pywebbench sweep`): `sweep.json`, `report/capacity.svg` and `report/summary.json`.
    Sweep,
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
    /// The run the viewer opens on (exactly one run has it; never a sweep).
    pub default: bool,
    /// `run` or `sweep` (absent in indexes written before sweeps were published: `run`).
    #[serde(default)]
    pub kind: RunKind,
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

    /// The default: the native run of the paper's campaign with the most repetitions
    /// (a one-repetition profiling run is not the results), the newest of those; else
    /// the newest native run, else the newest run. Never a sweep.
    pub fn choose_default(&mut self) {
        let newest = |f: &dyn Fn(&PublishedRun) -> bool| {
            self.runs
                .iter()
                .enumerate()
                .filter(|(_, r)| f(r))
                .max_by(|(_, a), (_, b)| {
                    (a.repetitions, &a.started_at).cmp(&(b.repetitions, &b.started_at))
                })
                .map(|(i, _)| i)
        };
        let run = |r: &PublishedRun| r.kind == RunKind::Run;
        let pick = newest(&|r| run(r) && r.loadgen == "native" && r.campaign == "paper")
            .or_else(|| newest(&|r| run(r) && r.loadgen == "native"))
            .or_else(|| newest(&run));
        for (i, r) in self.runs.iter_mut().enumerate() {
            r.default = Some(i) == pick;
        }
    }
}

/// Copy a file, saying which on an error.
fn copy(src: &Path, dst: &Path) -> Result<u64> {
    std::fs::copy(src, dst)
        .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))
}

/// Copy `src`, a file under `run_dir`, to the same relative path under `to_dir`,
/// creating its folders.
fn copy_keeping_path(run_dir: &Path, src: &Path, to_dir: &Path) -> Result<u64> {
    let to = to_dir.join(src.strip_prefix(run_dir).unwrap_or(src));
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    copy(src, &to)
}

/// The files of a folder, saying which on an error.
fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|e| {
            Ok(e.with_context(|| format!("cannot list {}", dir.display()))?
                .path())
        })
        .collect()
}

/// Copy the run and its report into `publish_dir/<run id>/` and update the index.
pub fn publish(run_dir: &Path, publish_dir: &Path) -> Result<PathBuf> {
    let bytes = std::fs::read(manifest_file_of(run_dir))
        .with_context(|| format!("cannot read {}/manifest.json", run_dir.display()))?;
    let m = analysis::parse_manifest(&bytes)?;
    let report = report_dir_of(run_dir);
    let kind = if run_dir.join(SWEEP_FILE).is_file() {
        RunKind::Sweep
    } else {
        RunKind::Run
    };
    if kind == RunKind::Sweep && !report.join(CAPACITY_SVG).exists() {
        bail!(
            "{} is a sweep without report/capacity.svg; finish it with `pywebbench sweep` (its figure is written at the end) before publishing",
            run_dir.display()
        );
    }
    // The viewer's first view of any published run, a sweep's too, reads its summary.json
    // (without it `just web` would analyse the samples on every build).
    if !report.join(SUMMARY_FILE).exists() {
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
    std::fs::create_dir_all(report_dir_of(&tmp))
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
    for src in sample_files(run_dir)? {
        samples_bytes += copy_keeping_path(run_dir, &src, &tmp)?;
    }
    // A profiled run's collapsed stacks (`run --profile`): profiles/<stack>/<scenario>.txt.
    let profiles = run_dir.join(analysis::schema::PROFILES_DIR);
    if profiles.is_dir() {
        for stack in list(&profiles)?.into_iter().filter(|p| p.is_dir()) {
            for src in list(&stack)? {
                if src.extension().is_some_and(|e| e == "txt") {
                    copy_keeping_path(run_dir, &src, &tmp)?;
                }
            }
        }
    }
    for src in list(&report)? {
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if src.is_file() && !name.starts_with('.') {
            copy(&src, &report_dir_of(&tmp).join(&name))?;
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
        kind,
    });
    // Runs whose folder was deleted by hand leave the index.
    index
        .runs
        .retain(|r| manifest_file_of(&publish_dir.join(&r.id)).exists());
    index.runs.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    index.choose_default();
    let json = serde_json::to_string_pretty(&index).context("serialising index.json")?;
    write_bytes_atomic(
        &publish_dir.join(INDEX_FILE),
        format!("{json}\n").as_bytes(),
    )?;
    Ok(dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::host_info;
    use analysis::schema::{Manifest, SAMPLES_FILE, SCHEMA_VERSION};

    /// A finished run folder holding only a manifest and samples.parquet.
    fn write_run(runs: &Path, id: &str, loadgen: &str, started: &str) -> PathBuf {
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
            ended_at: Some(started.to_string()),
            campaign: serde_json::json!({"name": "quick", "stacks": ["flask-sqlite3"], "repetitions": 1}),
            packages: Default::default(),
            repetitions: Vec::new(),
            rounds: Vec::new(),
            isolation: None,
            path: None,
            precision: None,
            stack_info: Default::default(),
            contract: None,
            profile: None,
        };
        std::fs::write(
            dir.join(MANIFEST_FILE),
            serde_json::to_vec(&m).expect("json"),
        )
        .expect("manifest");
        std::fs::write(dir.join(SAMPLES_FILE), b"not read here").expect("samples");
        dir
    }

    #[test]
    fn publish_copies_the_run_and_the_index_defaults_to_the_native_paper_run() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let publish_dir = tmp.path().join("published");
        let native = write_run(tmp.path(), "native", "native", "2026-11-25T08:00:00Z");
        let k6 = write_run(tmp.path(), "k6", "k6", "2026-11-25T09:00:00Z");
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
    fn a_sweep_is_published_with_its_sweep_json_and_is_never_the_default() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let publish_dir = tmp.path().join("published");
        let run = write_run(tmp.path(), "run", "native", "2026-11-25T08:00:00Z");
        let sweep = write_run(tmp.path(), "sweep", "native", "2026-11-25T09:00:00Z");
        std::fs::create_dir_all(run.join("report")).expect("report");
        std::fs::write(run.join("report/summary.json"), b"{}").expect("summary");
        std::fs::write(sweep.join(SWEEP_FILE), b"{}").expect("sweep.json");
        let refused = publish(&sweep, &publish_dir).expect_err("no figure yet");
        assert!(refused.to_string().contains("capacity.svg"), "{refused}");
        std::fs::create_dir_all(sweep.join("report")).expect("report");
        std::fs::write(sweep.join("report/capacity.svg"), b"<svg/>").expect("svg");
        let refused = publish(&sweep, &publish_dir).expect_err("no summary yet");
        assert!(
            refused.to_string().contains("pywebbench analyze"),
            "{refused}"
        );
        std::fs::write(sweep.join("report/summary.json"), b"{}").expect("summary");
        publish(&run, &publish_dir).expect("publish run");
        let dst = publish(&sweep, &publish_dir).expect("publish sweep");
        assert!(dst.join(SWEEP_FILE).is_file(), "sweep.json published");
        assert!(
            dst.join("report/capacity.svg").is_file() && dst.join("report/summary.json").is_file(),
            "figure and summary published"
        );
        let index = PublishedIndex::read(&publish_dir).expect("index");
        let got: Vec<(&str, RunKind, bool)> = index
            .runs
            .iter()
            .map(|r| (r.id.as_str(), r.kind, r.default))
            .collect();
        assert_eq!(
            got,
            [
                ("run", RunKind::Run, true),
                ("sweep", RunKind::Sweep, false)
            ]
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
            kind: if campaign == "sweep" {
                RunKind::Sweep
            } else {
                RunKind::Run
            },
        };
        let mut index = PublishedIndex {
            runs: vec![
                run("paper-old", "native", "paper", "1"),
                run("paper-new", "native", "paper", "2"),
                run("quick", "native", "quick", "3"),
                run("k6", "k6", "paper", "4"),
                // Newest, but a sweep: never the default.
                run("sweep", "native", "sweep", "5"),
                // A newer paper run of one repetition (a profiling run): not the results.
                PublishedRun {
                    repetitions: 1,
                    ..run("profile", "native", "paper", "6")
                },
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
