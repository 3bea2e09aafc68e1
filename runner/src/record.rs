//! Recording: the collector that turns the generator's [`RequestRecord`]s into
//! sample columns, and the run folder that keeps them on disk.
//!
//! A run folder (`data/runs/<run id>/`):
//!
//! ```text
//! manifest.json                                  rewritten after every repetition
//! parts/<stack>-r<N>.samples.parquet             one per finished repetition (while running)
//! parts/<stack>-r<N>.resources.parquet
//! samples.parquet, resources.parquet             the parts merged, at the end of the run
//! ```
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
    SAMPLES_FILE,
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

/// Append `src`'s rows to `dst`, re-indexing the string dictionaries.
pub fn append(dst: &mut SampleColumns, src: &SampleColumns) {
    let stacks: Vec<u16> = src
        .stacks
        .iter()
        .map(|s| SampleColumns::intern(&mut dst.stacks, s))
        .collect();
    let scenarios: Vec<u16> = src
        .scenarios
        .iter()
        .map(|s| SampleColumns::intern(&mut dst.scenarios, s))
        .collect();
    dst.stack
        .extend(src.stack.iter().map(|&i| stacks[i as usize]));
    dst.scenario
        .extend(src.scenario.iter().map(|&i| scenarios[i as usize]));
    dst.repetition.extend_from_slice(&src.repetition);
    dst.vu.extend_from_slice(&src.vu);
    dst.iteration.extend_from_slice(&src.iteration);
    dst.scheduled_ns.extend_from_slice(&src.scheduled_ns);
    dst.start_ns.extend_from_slice(&src.start_ns);
    dst.end_ns.extend_from_slice(&src.end_ns);
    dst.latency_ns.extend_from_slice(&src.latency_ns);
    dst.ttfb_ns.extend_from_slice(&src.ttfb_ns);
    dst.connect_ns.extend_from_slice(&src.connect_ns);
    dst.status.extend_from_slice(&src.status);
    dst.bytes_in.extend_from_slice(&src.bytes_in);
    dst.bytes_out.extend_from_slice(&src.bytes_out);
    dst.error.extend_from_slice(&src.error);
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

    /// Merge the parts into `samples.parquet` and `resources.parquet`, set the end
    /// time, and remove the parts.
    pub fn finish(&mut self, ended_at: String) -> Result<Merged> {
        let run_id = self.manifest.run_id.clone();
        let mut samples = SampleColumns::default();
        let mut resources = Vec::new();
        let mut parts = Vec::new();
        for r in &self.manifest.repetitions {
            let sp = self.part(&r.stack, r.repetition, "samples");
            if sp.exists() {
                let cols = analysis::read_samples(&read_file(&sp)?)
                    .with_context(|| format!("reading {}", sp.display()))?;
                append(&mut samples, &cols);
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
        write_samples_file(&self.path.join(SAMPLES_FILE), &samples, &run_id)
            .map_err(|e| self.write_error(e))?;
        write_resources_file(&self.path.join(RESOURCES_FILE), &resources, &run_id)
            .map_err(|e| self.write_error(e))?;
        self.manifest.ended_at = Some(ended_at);
        if let Err(e) = self.save_manifest() {
            self.manifest.ended_at = None;
            let _ = std::fs::remove_file(self.path.join(SAMPLES_FILE));
            let _ = std::fs::remove_file(self.path.join(RESOURCES_FILE));
            return Err(self.write_error(e));
        }
        for p in parts {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
        let _ = std::fs::remove_dir(self.path.join("parts"));
        Ok(Merged {
            samples: samples.len(),
            resources: resources.len(),
        })
    }

    /// Finished and merged already?
    pub fn is_finished(&self) -> bool {
        self.manifest.ended_at.is_some() && self.path.join(SAMPLES_FILE).exists()
    }
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
        append(&mut all, &b);
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
