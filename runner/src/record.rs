//! Recording: the collector that turns the generator's [`RequestRecord`]s into
//! sample columns, and writing them into the run folder ([`RunDir`], whose layout
//! and paths are [`crate::rundir`]'s): one part per finished repetition, merged at
//! the end of the run. Parts of either schema layout are merged.
//!
//! Every file goes through [`write_atomic`]. The Parquet layout is the `analysis`
//! crate's (`analysis::write`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use analysis::SampleColumns;
use analysis::columns::SampleKey;
use analysis::schema::{
    RepetitionStatus, RepetitionSummary, ResourceRecord, SAMPLES_DIR, stack_samples_file,
};
use anyhow::{Context, Result};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::load::RequestRecord;
use crate::rundir::{RunDir, read_file, sync_dir, write_atomic};

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
            let key = SampleKey {
                stack,
                repetition,
                scenario,
            };
            for r in &batch {
                cols.push(key, r);
            }
            live.requests
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            live.errors.fetch_add(errors, Ordering::Relaxed);
        }
        cols
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

/// Counts of the merged files.
#[derive(Debug, Clone, Copy)]
pub struct Merged {
    pub samples: usize,
    pub resources: usize,
}

impl RunDir {
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
                write_split_samples(&self.samples_dir(), &samples, &run_id)
                    .map_err(|e| self.write_error(e))?,
            );
        }
        if written.is_empty() {
            // No request at all (every repetition failed before one): an empty
            // folder still marks the run as merged.
            std::fs::create_dir_all(self.samples_dir())
                .with_context(|| format!("creating {}/{SAMPLES_DIR}", self.path.display()))
                .map_err(|e| self.write_error(e))?;
        }
        // A file of an earlier, interrupted finish whose stack has no samples now.
        remove_other_sample_files(&self.samples_dir(), &written)?;
        write_resources_file(&self.resources_file(), &resources, &run_id)
            .map_err(|e| self.write_error(e))?;
        self.manifest.ended_at = Some(ended_at);
        if let Err(e) = self.save_manifest() {
            self.manifest.ended_at = None;
            let _ = std::fs::remove_dir_all(self.samples_dir());
            let _ = std::fs::remove_file(self.resources_file());
            return Err(self.write_error(e));
        }
        for p in parts {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
        let _ = std::fs::remove_dir(self.parts_dir());
        Ok(Merged {
            samples: samples_total,
            resources: resources.len(),
        })
    }
}

/// Remove the sample files in `split` (a run's `samples/`) that are not in `keep`.
fn remove_other_sample_files(split: &Path, keep: &[PathBuf]) -> Result<()> {
    for entry in
        std::fs::read_dir(split).with_context(|| format!("cannot list {}", split.display()))?
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
    use analysis::schema::{ErrorKind, Manifest, SampleRecord};

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
            profiled: false,
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
            contract: None,
            profile: None,
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
        assert!(!dir.parts_dir().exists());
        assert!(!dir.samples_file_v1().exists());
        let files = dir.sample_files().expect("files");
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["s1.parquet", "s2.parquet"]);
        let mut all = old.clone();
        all.append(&new);
        let back = dir.read_samples(false).expect("read");
        assert_eq!(all.first_difference(&back), None);
        assert_eq!(back.run_id.as_deref(), Some("resumed"));
    }
}
