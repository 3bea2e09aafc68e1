//! Recording: the collector that turns the generator's [`RequestRecord`]s into
//! sample columns, and the run folder that keeps them on disk.
//!
//! A run folder (`data/runs/<run id>/`):
//!
//! ```text
//! manifest.json                                  rewritten after every repetition
//! parts/<stack>-r<N>.samples.parquet             one per finished repetition (while running)
//! parts/<stack>-r<N>.resources.parquet
//! samples/<stack>.parquet                        a stack's parts merged, at the end of the run
//! resources.parquet                              every resources part merged
//! ```
//!
//! Runs finished before schema v2 have one `samples.parquet` instead of `samples/`;
//! [`sample_files`] finds either, and parts of either layout are merged.
//!
//! Nothing is half-written: every file goes to `.<name>.tmp` first, is synced and
//! renamed. The Parquet layout is the `analysis` crate's (`analysis::write`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use analysis::SampleColumns;
use analysis::schema::{
    MANIFEST_FILE, Manifest, RESOURCES_FILE, RepetitionStatus, RepetitionSummary, ResourceRecord,
    SAMPLES_DIR, SAMPLES_FILE, stack_samples_file,
};
use anyhow::{Context, Result, bail};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::load::RequestRecord;

/// Requests and errors seen so far in the current scenario (read by the progress display).
#[derive(Debug, Default)]
pub struct Live {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

impl Live {
    pub fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.errors.store(0, Ordering::Relaxed);
    }
}

/// Consume one scenario's records into `cols` (whose dictionaries already hold the
/// stack at `stack` and the scenario at `scenario`); returns the columns when the
/// generator drops its sender.
pub fn spawn_collector(
    mut rx: mpsc::Receiver<Vec<RequestRecord>>,
    mut cols: SampleColumns,
    stack: u16,
    repetition: u32,
    scenario: u16,
    live: Arc<Live>,
) -> JoinHandle<SampleColumns> {
    tokio::spawn(async move {
        while let Some(batch) = rx.recv().await {
            let errors = batch.iter().filter(|r| r.error.is_some()).count() as u64;
            for r in &batch {
                cols.stack.push(stack);
                cols.repetition.push(repetition);
                cols.scenario.push(scenario);
                cols.vu.push(r.vu);
                cols.iteration.push(r.iteration);
                cols.scheduled_ns.push(r.scheduled_ns);
                cols.start_ns.push(r.start_ns);
                cols.end_ns.push(r.end_ns);
                cols.latency_ns.push(r.latency_ns);
                cols.ttfb_ns.push(r.ttfb_ns);
                cols.connect_ns.push(r.connect_ns);
                cols.status.push(r.status);
                cols.bytes_in.push(r.bytes_in);
                cols.bytes_out.push(r.bytes_out);
                cols.error.push(r.error);
            }
            live.requests
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            live.errors.fetch_add(errors, Ordering::Relaxed);
        }
        cols
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

/// Write a file through a synced temporary and a rename, so readers see the old
/// file or the whole new one, never a part.
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

fn write_then_rename(
    tmp: &Path,
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let file = File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
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
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// The sample files of a finished run folder, in order: its `samples/*.parquet`
/// (schema v2, sorted by name) or its one `samples.parquet` (schema v1).
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

/// Does the folder hold a finished run's samples (either layout)?
pub fn has_samples(dir: &Path) -> bool {
    dir.join(SAMPLES_DIR).is_dir() || dir.join(SAMPLES_FILE).is_file()
}

/// Read a finished run folder's samples, every column (`analysis_only`: only those
/// the summary needs).
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

/// Write `cols` as `split/<stack>.parquet` (`split` is a run's `samples/`), one file
/// per stack (each through a synced temporary and a rename); returns the files written.
pub fn write_split_samples(
    split: &Path,
    cols: &SampleColumns,
    run_id: &str,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(split).with_context(|| format!("creating {}", split.display()))?;
    let mut written = Vec::new();
    for (stack, rows) in cols.split_by_stack() {
        let name = stack_samples_file(&stack).map_err(|e| anyhow::anyhow!(e))?;
        let path = split.join(name);
        write_samples_file(&path, &rows, run_id)?;
        written.push(path);
    }
    sync_dir(split);
    Ok(written)
}

/// Make renames inside `dir` durable (best effort: not every platform can open a folder).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn write_samples_file(path: &Path, cols: &SampleColumns, run_id: &str) -> Result<()> {
    write_atomic(path, |out| {
        analysis::write::write_sample_columns_to(out, cols, Some(run_id))
            .map_err(anyhow::Error::from)
    })
}

fn write_resources_file(path: &Path, records: &[ResourceRecord], run_id: &str) -> Result<()> {
    let bytes = analysis::write::write_resources_for_run(records, Some(run_id))?;
    write_atomic(path, |out| {
        out.write_all(&bytes).map_err(anyhow::Error::from)
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Counts of the merged files.
#[derive(Debug, Clone, Copy)]
pub struct Merged {
    pub samples: usize,
    pub resources: usize,
}

/// A run folder and its manifest.
pub struct RunDir {
    pub path: PathBuf,
    pub manifest: Manifest,
}

impl RunDir {
    /// Start a new run folder; refuses one that already holds a run.
    pub fn create(path: &Path, manifest: Manifest) -> Result<RunDir> {
        if path.join(MANIFEST_FILE).exists() {
            bail!(
                "{} already holds a run; finish it with `pywebbench run --resume {}` or choose another --out",
                path.display(),
                path.display()
            );
        }
        std::fs::create_dir_all(path.join("parts")).with_context(|| {
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

    /// Open an existing run folder (for `--resume`).
    pub fn open(path: &Path) -> Result<RunDir> {
        let file = path.join(MANIFEST_FILE);
        let bytes = std::fs::read(&file).with_context(|| {
            format!("{} has no readable manifest.json: pass the folder of a run started by `pywebbench run`", path.display())
        })?;
        let manifest = analysis::parse_manifest(&bytes)?;
        std::fs::create_dir_all(path.join("parts"))
            .with_context(|| format!("creating {}/parts", path.display()))?;
        Ok(RunDir {
            path: path.to_path_buf(),
            manifest,
        })
    }

    pub fn save_manifest(&self) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(&self.manifest).context("serialising manifest.json")?;
        write_atomic(&self.path.join(MANIFEST_FILE), |out| {
            out.write_all(&json)?;
            out.write_all(b"\n")?;
            Ok(())
        })
    }

    /// A failed write to the run folder (disk full, read-only): say how to go on.
    fn write_error(&self, e: anyhow::Error) -> anyhow::Error {
        e.context(format!(
            "cannot write to the run folder {p} (free space on its disk or make it writable, then `pywebbench run --resume {p}`)",
            p = self.path.display()
        ))
    }

    fn part(&self, stack: &str, repetition: u32, kind: &str) -> PathBuf {
        self.path
            .join("parts")
            .join(format!("{stack}-r{repetition}.{kind}.parquet"))
    }

    /// Is this repetition done (ok or failed, with its parts written)?
    pub fn completed(&self, stack: &str, repetition: u32) -> bool {
        self.manifest.repetitions.iter().any(|r| {
            r.stack == stack
                && r.repetition == repetition
                && r.status != RepetitionStatus::Interrupted
        })
    }

    /// Keep a finished repetition: its parts first, then the manifest entry.
    /// Empty parts are not written (a repetition that failed before any request).
    pub fn record(
        &mut self,
        summary: RepetitionSummary,
        samples: &SampleColumns,
        resources: &[ResourceRecord],
    ) -> Result<()> {
        self.record_parts(summary, samples, resources)
            .map_err(|e| self.write_error(e))
    }

    fn record_parts(
        &mut self,
        summary: RepetitionSummary,
        samples: &SampleColumns,
        resources: &[ResourceRecord],
    ) -> Result<()> {
        let run_id = self.manifest.run_id.clone();
        let (samples_part, resources_part) = (
            self.part(&summary.stack, summary.repetition, "samples"),
            self.part(&summary.stack, summary.repetition, "resources"),
        );
        if summary.status != RepetitionStatus::Interrupted {
            if !samples.is_empty() {
                write_samples_file(&samples_part, samples, &run_id)?;
            }
            if !resources.is_empty() {
                write_resources_file(&resources_part, resources, &run_id)?;
            }
        }
        self.manifest
            .repetitions
            .retain(|r| !(r.stack == summary.stack && r.repetition == summary.repetition));
        self.manifest.repetitions.push(summary);
        self.save_manifest()
    }

    /// Merge the parts into `samples/<stack>.parquet` (one stack in memory at a
    /// time) and `resources.parquet`, set the end time, and remove the parts. Parts
    /// of either layout are read (a run begun by an older pywebbench finishes here).
    pub fn finish(&mut self, ended_at: String) -> Result<Merged> {
        let run_id = self.manifest.run_id.clone();
        let mut resources = Vec::new();
        let mut parts = Vec::new();
        let mut stacks: Vec<String> = self
            .manifest
            .repetitions
            .iter()
            .map(|r| r.stack.clone())
            .collect();
        stacks.sort();
        stacks.dedup();
        let mut samples_total = 0;
        let mut written = Vec::new();
        for stack in &stacks {
            let mut samples = SampleColumns::default();
            for r in self
                .manifest
                .repetitions
                .iter()
                .filter(|r| &r.stack == stack)
            {
                let sp = self.part(&r.stack, r.repetition, "samples");
                if sp.exists() {
                    let cols = analysis::read_samples(&read_file(&sp)?)
                        .with_context(|| format!("reading {}", sp.display()))?;
                    samples.append(&cols);
                    parts.push(sp);
                }
                let rp = self.part(&r.stack, r.repetition, "resources");
                if rp.exists() {
                    resources.extend(
                        analysis::read_resources(&read_file(&rp)?)
                            .with_context(|| format!("reading {}", rp.display()))?,
                    );
                    parts.push(rp);
                }
            }
            samples_total += samples.len();
            written.extend(
                write_split_samples(&self.path.join(SAMPLES_DIR), &samples, &run_id)
                    .map_err(|e| self.write_error(e))?,
            );
        }
        if written.is_empty() {
            // No request at all (every repetition failed before one): an empty
            // folder still marks the run as merged.
            std::fs::create_dir_all(self.path.join(SAMPLES_DIR))
                .with_context(|| format!("creating {}/{SAMPLES_DIR}", self.path.display()))
                .map_err(|e| self.write_error(e))?;
        }
        // A file of an earlier, interrupted finish whose stack has no samples now.
        remove_other_sample_files(&self.path, &written)?;
        write_resources_file(&self.path.join(RESOURCES_FILE), &resources, &run_id)
            .map_err(|e| self.write_error(e))?;
        self.manifest.ended_at = Some(ended_at);
        if let Err(e) = self.save_manifest() {
            self.manifest.ended_at = None;
            let _ = std::fs::remove_dir_all(self.path.join(SAMPLES_DIR));
            let _ = std::fs::remove_file(self.path.join(RESOURCES_FILE));
            return Err(self.write_error(e));
        }
        for p in parts {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
        let _ = std::fs::remove_dir(self.path.join("parts"));
        Ok(Merged {
            samples: samples_total,
            resources: resources.len(),
        })
    }

    /// Finished and merged already?
    pub fn is_finished(&self) -> bool {
        self.manifest.ended_at.is_some() && has_samples(&self.path)
    }
}

fn remove_other_sample_files(dir: &Path, keep: &[PathBuf]) -> Result<()> {
    let split = dir.join(SAMPLES_DIR);
    for entry in
        std::fs::read_dir(&split).with_context(|| format!("cannot list {}", split.display()))?
    {
        let path = entry
            .with_context(|| format!("cannot list {}", split.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "parquet") && !keep.contains(&path) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::schema::{ErrorKind, SampleRecord};

    fn sample(stack: &str, scenario: &str, start: i64, error: Option<ErrorKind>) -> SampleRecord {
        SampleRecord {
            stack: stack.into(),
            repetition: 1,
            scenario: scenario.into(),
            vu: 3,
            iteration: start as u64,
            scheduled_ns: start,
            start_ns: start,
            end_ns: start + 10,
            latency_ns: 9,
            ttfb_ns: 7,
            connect_ns: 0,
            status: if error.is_some() { 0 } else { 200 },
            bytes_in: 100,
            bytes_out: 50,
            error,
        }
    }

    #[test]
    fn append_reindexes_dictionaries() {
        let a = SampleColumns::from_records(&[
            sample("s1", "hello", 1, None),
            sample("s1", "echo", 2, None),
        ]);
        let b = SampleColumns::from_records(&[sample("s2", "echo", 3, Some(ErrorKind::Timeout))]);
        let mut all = a.clone();
        all.append(&b);
        assert_eq!(all.len(), 3);
        assert_eq!(
            all.record(2),
            sample("s2", "echo", 3, Some(ErrorKind::Timeout))
        );
        assert_eq!(all.record(1), a.record(1));
        assert!(all.is_complete());
    }

    #[tokio::test]
    async fn collector_builds_columns_and_counts() {
        let (tx, rx) = mpsc::channel(4);
        let mut cols = SampleColumns::default();
        let st = SampleColumns::intern(&mut cols.stacks, "fastapi-sqlite3");
        let sc = SampleColumns::intern(&mut cols.scenarios, "hello");
        let live = Arc::new(Live::default());
        let h = spawn_collector(rx, cols, st, 2, sc, live.clone());
        let rec = |i: u64, error| RequestRecord {
            vu: 1,
            iteration: i,
            scheduled_ns: 5,
            start_ns: 5,
            end_ns: 15,
            latency_ns: 10,
            ttfb_ns: 8,
            connect_ns: 0,
            status: 200,
            bytes_in: 10,
            bytes_out: 20,
            error,
        };
        tx.send(vec![rec(0, None), rec(1, Some(ErrorKind::Io))])
            .await
            .expect("send");
        tx.send(vec![rec(2, None)]).await.expect("send");
        drop(tx);
        let cols = h.await.expect("collector");
        assert_eq!(cols.len(), 3);
        assert!(cols.is_complete());
        assert_eq!(cols.record(1).error, Some(ErrorKind::Io));
        assert_eq!(cols.record(2).repetition, 2);
        assert_eq!(live.requests.load(Ordering::Relaxed), 3);
        assert_eq!(live.errors.load(Ordering::Relaxed), 1);
    }

    fn summary(stack: &str) -> RepetitionSummary {
        RepetitionSummary {
            stack: stack.into(),
            repetition: 1,
            status: RepetitionStatus::Ok,
            cause: None,
            started_at: "2026-12-01T00:00:00Z".into(),
            ended_at: "2026-12-01T00:01:00Z".into(),
            scenarios: Vec::new(),
            image_id: "sha256:x".into(),
        }
    }

    #[test]
    fn finish_merges_old_and_new_parts_into_one_file_per_stack() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let manifest = Manifest {
            schema_version: 1,
            run_id: "resumed".into(),
            loadgen: "native".into(),
            host: crate::manifest::host_info("test".into()),
            git_commit: None,
            pywebbench_version: "0".into(),
            started_at: "2026-12-01T00:00:00Z".into(),
            ended_at: None,
            campaign: serde_json::json!({}),
            packages: Default::default(),
            repetitions: Vec::new(),
            rounds: Vec::new(),
            isolation: None,
            path: None,
            precision: None,
            stack_info: Default::default(),
        };
        let mut dir = RunDir::create(&tmp.path().join("run"), manifest).expect("create");
        // s1's part as an older pywebbench wrote it (schema v1), s2's as this one does.
        let old = SampleColumns::from_records(&[
            sample("s1", "hello", 5, None),
            sample("s1", "echo", 2, Some(ErrorKind::Io)),
        ]);
        let mut bytes = Vec::new();
        analysis::write::write_sample_columns_layout_to(
            &mut bytes,
            &old,
            Some("resumed"),
            analysis::write::Layout::V1,
        )
        .expect("v1");
        std::fs::write(dir.part("s1", 1, "samples"), bytes).expect("old part");
        dir.manifest.repetitions.push(summary("s1"));
        let new = SampleColumns::from_records(&[sample("s2", "hello", 9, None)]);
        dir.record(summary("s2"), &new, &[]).expect("record");
        let merged = dir.finish("2026-12-01T00:02:00Z".into()).expect("finish");
        assert_eq!(merged.samples, 3);
        assert!(dir.is_finished());
        assert!(!dir.path.join("parts").exists());
        assert!(!dir.path.join(SAMPLES_FILE).exists());
        let files = sample_files(&dir.path).expect("files");
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["s1.parquet", "s2.parquet"]);
        let mut all = old.clone();
        all.append(&new);
        let back = read_run_samples(&dir.path, false).expect("read");
        assert_eq!(all.first_difference(&back), None);
        assert_eq!(back.run_id.as_deref(), Some("resumed"));
    }

    #[test]
    fn atomic_writes_leave_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.bin");
        write_atomic(&p, |o| o.write_all(b"abc").map_err(anyhow::Error::from)).expect("write");
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
}
