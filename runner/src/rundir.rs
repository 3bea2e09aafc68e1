//! The run folder: every path of it, reading it, and the one way files are written
//! into it ([`write_atomic`]). Recording into it (parts, merging) is
//! [`crate::record`]'s; the samples' Parquet layout is the `analysis` crate's.
//!
//! A run folder (`data/runs/<run id>/`):
//!
//! ```text
//! manifest.json                                  rewritten after every repetition
//! parts/<stack>-r<N>.samples.parquet             one per finished repetition (while running)
//! parts/<stack>-r<N>.resources.parquet
//! samples/<stack>.parquet                        a stack's parts merged, at the end of the run
//! resources.parquet                              every resources part merged
//! profiles/<stack>/<scenario>.txt                `run --profile`: the profiled repetition's collapsed stacks
//! report/                                        `pywebbench analyze`: summary.json, report.md, …
//! ```
//!
//! Runs finished before schema v2 have one `samples.parquet` instead of `samples/`;
//! [`RunDir::sample_files`] finds either.
//!
//! Nothing is half-written: every file goes to `.<name>.tmp` first, is synced and
//! renamed, and the folder is synced.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use analysis::schema::{
    MANIFEST_FILE, Manifest, RESOURCES_FILE, RepetitionStatus, ResourceRecord, SAMPLES_DIR,
    SAMPLES_FILE,
};
use analysis::{Paper, SampleColumns, Summary};
use anyhow::{Context, Result, bail};

/// Where `pywebbench run` puts a run folder when not told (`data/runs/<run id>`).
pub const RUNS_DIR: &str = "data/runs";
/// The report folder inside a run folder (`pywebbench analyze`'s default output).
pub const REPORT_DIR: &str = "report";
/// The report's summary, inside [`REPORT_DIR`].
pub const SUMMARY_FILE: &str = "summary.json";
/// Per-repetition files while a run is under way.
const PARTS_DIR: &str = "parts";
/// A capacity sweep's summary, beside its manifest.
pub const SWEEP_FILE: &str = "sweep.json";
/// A peak-configuration run's summary, beside its manifest.
pub const PEAK_FILE: &str = "peak.json";
/// A capacity sweep's figure, inside [`REPORT_DIR`] (and its PNG beside it).
pub const CAPACITY_SVG: &str = "capacity.svg";

/// A run folder and its manifest.
pub struct RunDir {
    pub path: PathBuf,
    pub manifest: Manifest,
}

/// The folder a new run writes to when no `--out` is given.
pub fn default_run_path(run_id: &str) -> PathBuf {
    Path::new(RUNS_DIR).join(run_id)
}

/// `dir/report`, for a folder whose manifest is not read (a published run's report).
pub fn report_dir_of(dir: &Path) -> PathBuf {
    dir.join(REPORT_DIR)
}

/// The run folder `dir`'s `sweep.json` (a capacity sweep's points and knees), or `None`
/// when it has none.
pub fn read_sweep(dir: &Path) -> Result<Option<analysis::capacity::SweepSummary>> {
    read_optional(
        &dir.join(SWEEP_FILE),
        analysis::capacity::SweepSummary::from_json,
    )
}

/// The run folder `dir`'s `peak.json` (a peak-configuration run's grid and bests), or
/// `None` when it has none.
pub fn read_peak(dir: &Path) -> Result<Option<analysis::peak::PeakSummary>> {
    read_optional(&dir.join(PEAK_FILE), analysis::peak::PeakSummary::from_json)
}

fn read_optional<T>(file: &Path, parse: fn(&[u8]) -> Result<T, String>) -> Result<Option<T>> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    parse(&bytes)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// The manifest file of the run folder `dir`.
pub fn manifest_file_of(dir: &Path) -> PathBuf {
    dir.join(MANIFEST_FILE)
}

/// Does `dir` hold a finished run's samples (either layout)?
pub fn has_samples(dir: &Path) -> bool {
    dir.join(SAMPLES_DIR).is_dir() || dir.join(SAMPLES_FILE).is_file()
}

/// The manifest of the run folder `dir`, for resuming or publishing it.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let bytes = std::fs::read(manifest_file_of(dir)).with_context(|| {
        format!("{} has no readable manifest.json: pass the folder of a run started by `pywebbench run`", dir.display())
    })?;
    Ok(analysis::parse_manifest(&bytes)?)
}

impl RunDir {
    /// Start a new run folder; refuses one that already holds a run.
    pub fn create(path: &Path, manifest: Manifest) -> Result<RunDir> {
        if manifest_file_of(path).exists() {
            bail!(
                "{} already holds a run; finish it with `pywebbench run --resume {}` or choose another --out",
                path.display(),
                path.display()
            );
        }
        std::fs::create_dir_all(path.join(PARTS_DIR)).with_context(|| {
            format!(
                "cannot create the run folder {} (pass --out a writable folder)",
                path.display()
            )
        })?;
        let dir = RunDir {
            path: path.to_path_buf(),
            manifest,
        };
        dir.save_manifest().map_err(|e| dir.write_error(e))?;
        Ok(dir)
    }

    /// Open an existing run folder to go on writing it (for `--resume`).
    pub fn open(path: &Path) -> Result<RunDir> {
        let manifest = read_manifest(path)?;
        std::fs::create_dir_all(path.join(PARTS_DIR))
            .with_context(|| format!("creating {}/parts", path.display()))?;
        Ok(RunDir {
            path: path.to_path_buf(),
            manifest,
        })
    }

    /// Open a run folder to read it (analysis): nothing is created.
    pub fn read(path: &Path) -> Result<RunDir> {
        if !path.is_dir() {
            bail!(
                "{} is not a run folder; pass a folder written by `pywebbench run` (e.g. data/runs/<run-id>)",
                path.display()
            );
        }
        let manifest = analysis::parse_manifest(&read_for_analysis(&manifest_file_of(path))?)
            .with_context(|| format!("in {}", path.display()))?;
        Ok(RunDir {
            path: path.to_path_buf(),
            manifest,
        })
    }

    pub fn manifest_file(&self) -> PathBuf {
        manifest_file_of(&self.path)
    }

    /// `samples/`: one Parquet file per stack (schema v2).
    pub fn samples_dir(&self) -> PathBuf {
        self.path.join(SAMPLES_DIR)
    }

    /// `samples.parquet`: every sample in one file (schema v1).
    pub fn samples_file_v1(&self) -> PathBuf {
        self.path.join(SAMPLES_FILE)
    }

    pub fn resources_file(&self) -> PathBuf {
        self.path.join(RESOURCES_FILE)
    }

    pub fn report_dir(&self) -> PathBuf {
        report_dir_of(&self.path)
    }

    /// `sweep.json`: a capacity sweep's points and knees ([`analysis::capacity::SweepSummary`]).
    pub fn sweep_file(&self) -> PathBuf {
        self.path.join(SWEEP_FILE)
    }

    /// Write `sweep.json`.
    pub fn save_sweep(&self, sweep: &analysis::capacity::SweepSummary) -> Result<()> {
        let json = serde_json::to_vec_pretty(sweep).context("serializing sweep.json")?;
        write_bytes_atomic(&self.sweep_file(), &json)
    }

    /// `peak.json`: a peak-configuration run's points and best configurations
    /// ([`analysis::peak::PeakSummary`]).
    pub fn peak_file(&self) -> PathBuf {
        self.path.join(PEAK_FILE)
    }

    pub fn parts_dir(&self) -> PathBuf {
        self.path.join(PARTS_DIR)
    }

    /// A repetition's part: `kind` is `samples` or `resources`.
    pub fn part(&self, stack: &str, repetition: u32, kind: &str) -> PathBuf {
        self.parts_dir()
            .join(format!("{stack}-r{repetition}.{kind}.parquet"))
    }

    pub fn save_manifest(&self) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(&self.manifest).context("serialising manifest.json")?;
        write_atomic(&self.manifest_file(), |out| {
            out.write_all(&json)?;
            out.write_all(b"\n")?;
            Ok(())
        })
    }

    /// A failed write to the run folder (disk full, read-only): say how to go on.
    pub(crate) fn write_error(&self, e: anyhow::Error) -> anyhow::Error {
        e.context(format!(
            "cannot write to the run folder {p} (free space on its disk or make it writable, then `pywebbench run --resume {p}`)",
            p = self.path.display()
        ))
    }

    /// Is this repetition done (ok or failed, with its parts written)?
    pub fn completed(&self, stack: &str, repetition: u32) -> bool {
        self.manifest.repetitions.iter().any(|r| {
            r.stack == stack
                && r.repetition == repetition
                && r.status != RepetitionStatus::Interrupted
        })
    }

    /// Finished and merged already?
    pub fn is_finished(&self) -> bool {
        self.manifest.ended_at.is_some() && has_samples(&self.path)
    }

    /// Repetitions of the campaign not yet done (ok or failed).
    pub fn missing(&self) -> usize {
        let c = &self.manifest.campaign;
        let stacks = c["stacks"].as_array().map_or(0, |a| a.len());
        // A profiled run adds one repetition per stack.
        let reps = c["repetitions"].as_u64().unwrap_or(0) as usize
            + usize::from(self.manifest.profile.is_some());
        let done = self
            .manifest
            .repetitions
            .iter()
            .filter(|r| r.status != RepetitionStatus::Interrupted)
            .count();
        (stacks * reps).saturating_sub(done)
    }

    /// The sample files of a finished run, in order: its `samples/*.parquet`
    /// (schema v2, sorted by name) or its one `samples.parquet` (schema v1).
    pub fn sample_files(&self) -> Result<Vec<PathBuf>> {
        sample_files(&self.path)
    }

    /// The finished run's samples, every column (`analysis_only`: only those the
    /// summary needs).
    pub fn read_samples(&self, analysis_only: bool) -> Result<SampleColumns> {
        read_run_samples(&self.path, analysis_only)
    }

    /// `resources.parquet`, or no readings (with a warning) when it is missing.
    pub fn read_resources(&self) -> Result<Vec<ResourceRecord>> {
        let path = self.resources_file();
        if !path.exists() {
            tracing::warn!("{} is missing: no resource figures", path.display());
            return Ok(Vec::new());
        }
        analysis::read_resources(&read_for_analysis(&path)?)
            .with_context(|| format!("in {}", self.path.display()))
    }

    /// The run's summary (statistics, claims, figures' data) with the bootstrap
    /// `seed` [default: the campaign's].
    pub fn summarize(&self, seed: Option<u64>) -> Result<Summary> {
        let samples = self.read_samples(true)?;
        let resources = self.read_resources()?;
        let paper = Paper::builtin().context("the built-in paper data is invalid")?;
        let seed = seed.unwrap_or_else(|| analysis::default_seed(&self.manifest));
        analysis::summarize(&self.manifest, &samples, &resources, &paper, seed)
            .with_context(|| format!("analysing {}", self.path.display()))
    }
}

impl RunDir {
    /// The file of one stack × scenario of the profiled repetition (`run --profile`).
    pub fn profile_file(&self, stack: &str, scenario: &str) -> Result<PathBuf> {
        let rel = analysis::schema::profile_file(stack, scenario).map_err(anyhow::Error::msg)?;
        Ok(self.path.join(rel))
    }

    /// The profiled repetition's profiles, stack by stack (the registry's order), each
    /// stack's scenarios in the order they ran; none in a run made without `--profile`.
    /// A finished profiled repetition must have every file; a failed one has those it
    /// wrote.
    pub fn read_profiles(&self) -> Result<Vec<analysis::profile::CellProfile>> {
        let mut reps: Vec<&analysis::schema::RepetitionSummary> = self
            .manifest
            .repetitions
            .iter()
            .filter(|r| r.profiled && r.status != RepetitionStatus::Interrupted)
            .collect();
        let order =
            analysis::registry::Registry::builtin().order(reps.iter().map(|r| r.stack.clone()));
        reps.sort_by_key(|r| order.iter().position(|s| *s == r.stack));
        let mut cells = Vec::new();
        for r in reps {
            for sc in r
                .scenarios
                .iter()
                .filter(|s| !analysis::is_warmup(&s.scenario))
            {
                let path = self.profile_file(&r.stack, &sc.scenario)?;
                if !path.is_file() && r.status != RepetitionStatus::Ok {
                    continue;
                }
                let text = std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "cannot read {} (the profiled repetition of {} finished, so py-spy wrote it: copy the run folder whole)",
                        path.display(),
                        r.stack
                    )
                })?;
                let profile = analysis::profile::parse_collapsed(&text)
                    .with_context(|| format!("in {}", path.display()))?;
                cells.push(analysis::profile::CellProfile {
                    stack: r.stack.clone(),
                    scenario: sc.scenario.clone(),
                    profile,
                });
            }
        }
        Ok(cells)
    }
}

/// Read the run folder `dir` and summarise it ([`RunDir::summarize`]).
pub fn summarize(dir: &Path, seed: Option<u64>) -> Result<Summary> {
    RunDir::read(dir)?.summarize(seed)
}

fn read_for_analysis(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| {
        format!(
            "cannot read {} (a run folder holds manifest.json and samples/ as `pywebbench run` wrote them)",
            path.display()
        )
    })
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The sample files of the finished run folder `dir` ([`RunDir::sample_files`]).
pub fn sample_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let split = dir.join(SAMPLES_DIR);
    if split.is_dir() {
        let mut files = Vec::new();
        for entry in
            std::fs::read_dir(&split).with_context(|| format!("cannot list {}", split.display()))?
        {
            let path = entry
                .with_context(|| format!("cannot list {}", split.display()))?
                .path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.ends_with(".parquet") && !name.starts_with('.') && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        if files.is_empty() {
            bail!(
                "{} holds no sample file: the run recorded no requests (every repetition failed before one); fix the cause in manifest.json and re-run it (`pywebbench run`)",
                split.display()
            );
        }
        return Ok(files);
    }
    let single = dir.join(SAMPLES_FILE);
    if single.is_file() {
        return Ok(vec![single]);
    }
    bail!(
        "{} has neither {SAMPLES_DIR}/ nor {SAMPLES_FILE}; pass a run folder that `pywebbench run` finished (or finish it with `pywebbench run --resume {}`)",
        dir.display(),
        dir.display()
    )
}

/// The samples of the finished run folder `dir` ([`RunDir::read_samples`]).
pub fn read_run_samples(dir: &Path, analysis_only: bool) -> Result<SampleColumns> {
    let files = sample_files(dir)?;
    let bytes = files
        .iter()
        .map(|p| read_file(p))
        .collect::<Result<Vec<_>>>()?;
    let slices: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    let read = if analysis_only {
        analysis::read_samples_files_for_analysis(&slices)
    } else {
        analysis::read_samples_files(&slices)
    };
    read.with_context(|| {
        format!(
            "reading {}",
            if files.len() == 1 {
                files[0].display().to_string()
            } else {
                dir.join(SAMPLES_DIR).display().to_string()
            }
        )
    })
}

/// `.<name>.tmp` beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Write a file through a temporary in the same folder: written, synced, renamed
/// over `path`, the folder synced; on an error the temporary is removed. Readers see
/// the old file or the whole new one, never a part.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let tmp = temp_path(path);
    let done = write_then_rename(&tmp, path, write);
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// [`write_atomic`] of bytes already in memory.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |out| {
        out.write_all(bytes).map_err(anyhow::Error::from)
    })
}

fn write_then_rename(
    tmp: &Path,
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let file = File::create(tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut out = BufWriter::new(file);
    write(&mut out).with_context(|| format!("writing {}", tmp.display()))?;
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.sync_all()
        .with_context(|| format!("syncing {}", tmp.display()))?;
    drop(file);
    std::fs::rename(tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    if let Some(dir) = path.parent() {
        sync_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
    }
    Ok(())
}

/// Make renames inside `dir` durable (best effort: not every platform can open a folder).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.bin");
        write_bytes_atomic(&p, b"abc").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"abc");
        let failed = write_atomic(&p, |_| bail!("disk full"));
        assert!(failed.is_err());
        // The old file is intact.
        assert_eq!(std::fs::read(&p).expect("read"), b"abc");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["x.bin"]);
    }

    #[test]
    fn a_missing_folder_is_not_a_run_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = RunDir::read(&dir.path().join("nope"))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("is not a run folder"), "{err}");
    }

    #[test]
    fn sweep_and_peak_files_are_read_or_absent_or_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read_sweep(dir.path()).expect("no sweep.json").is_none());
        assert!(read_peak(dir.path()).expect("no peak.json").is_none());
        std::fs::write(dir.path().join(SWEEP_FILE), b"{\"stacks\": 3}").expect("write");
        std::fs::write(dir.path().join(PEAK_FILE), b"not json").expect("write");
        for e in [
            read_sweep(dir.path())
                .expect_err("bad sweep.json")
                .to_string(),
            read_peak(dir.path())
                .expect_err("bad peak.json")
                .to_string(),
        ] {
            assert!(e.contains(&dir.path().display().to_string()), "{e}");
            assert!(
                e.contains("not a sweep summary") || e.contains("not a peak summary"),
                "{e}"
            );
        }
        // A published sweep's and peak run's files read back.
        let published = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/published");
        let sweep = read_sweep(&published.join("20261206T125800Z-vm-sweep-hello"))
            .expect("published sweep.json")
            .expect("present");
        assert_eq!(sweep.request, "hello");
        let peak = read_peak(&published.join("20261206T140929Z-vm-peak"))
            .expect("published peak.json")
            .expect("present");
        assert!(!peak.stacks.is_empty());
    }
}
