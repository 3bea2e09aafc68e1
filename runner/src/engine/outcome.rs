//! How a run ended, and what is printed then: the end-of-run table, how to go on
//! after an interruption, the failed repetitions.

use std::path::{Path, PathBuf};
use std::time::Duration;

use analysis::schema::{Manifest, RepetitionStatus, RepetitionSummary};

use super::precision_text::precision_outcome;
use crate::record::Merged;
use crate::rundir::RunDir;

/// Exit status of an interrupted run (128 + SIGINT), as shells report Ctrl-C.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit status of a run that finished with failed repetitions (all files written).
pub const EXIT_FAILED_REPETITIONS: i32 = 2;

/// How a run ended.
pub enum Outcome {
    /// `--resume` of a run that was finished and merged already.
    AlreadyComplete { dir: PathBuf },
    /// Ctrl-C / SIGTERM: the finished repetitions are kept.
    Interrupted {
        dir: PathBuf,
        /// Repetitions done (ok or failed), and planned.
        done: usize,
        planned: usize,
    },
    /// `fail_fast` and a repetition (`which`, e.g. `flask-sqlite3 r2`) failed.
    FailedFast { dir: PathBuf, which: String },
    /// Every repetition ran and the parts are merged.
    Finished {
        dir: Box<RunDir>,
        merged: Merged,
        took: Duration,
    },
}

impl Outcome {
    pub fn dir(&self) -> &Path {
        match self {
            Outcome::AlreadyComplete { dir }
            | Outcome::Interrupted { dir, .. }
            | Outcome::FailedFast { dir, .. } => dir,
            Outcome::Finished { dir, .. } => &dir.path,
        }
    }

    /// Repetitions that failed (of a finished run).
    pub fn failed(&self) -> usize {
        match self {
            Outcome::Finished { dir, .. } => dir
                .manifest
                .repetitions
                .iter()
                .filter(|r| r.status == RepetitionStatus::Failed)
                .count(),
            Outcome::FailedFast { .. } => 1,
            _ => 0,
        }
    }

    /// The process's exit status for this outcome: 0, [`EXIT_FAILED_REPETITIONS`]
    /// or [`EXIT_INTERRUPTED`].
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Interrupted { .. } => EXIT_INTERRUPTED,
            _ if self.failed() > 0 => EXIT_FAILED_REPETITIONS,
            _ => 0,
        }
    }

    /// Tell the user how the run ended (the end-of-run table unless `quiet`); the
    /// run folder goes to stdout, the rest to stderr.
    pub fn print(&self, quiet: bool) {
        match self {
            Outcome::AlreadyComplete { dir } => println!(
                "{}: the run is complete already; nothing to resume",
                dir.display()
            ),
            Outcome::Interrupted { dir, done, planned } => eprintln!(
                "interrupted after {done} of {planned} repetitions; finished ones are kept in {} — complete the run with `pywebbench run --resume {}`",
                dir.display(),
                dir.display()
            ),
            Outcome::FailedFast { dir, which } => eprintln!(
                "--fail-fast: stopped after {which} failed (cause in {}/manifest.json); run the repetitions left with `pywebbench run --resume {}`",
                dir.display(),
                dir.display()
            ),
            Outcome::Finished { dir, merged, took } => {
                if !quiet {
                    print_summary(dir, merged.samples, merged.resources, *took);
                }
                println!("{}", dir.path.display());
                let failed = self.failed();
                if failed > 0 {
                    eprintln!(
                        "{failed} of {} repetitions failed (causes in {}/manifest.json); their samples are kept",
                        dir.manifest.repetitions.len(),
                        dir.path.display()
                    );
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use analysis::schema::SCHEMA_VERSION;

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
