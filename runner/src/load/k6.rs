//! `--loadgen k6` and `--loadgen k6-summary`: the same [`ScenarioPlan`] run by the
//! real k6 binary.
//!
//! [`script`] writes a k6 script whose `options.scenarios` entry maps the plan's
//! executor 1:1 (vus, duration, iterations, maxDuration, rate, timeUnit,
//! preAllocatedVUs, maxVUs; gracefulStop 30 s as k6's default) and carries the
//! requests as data, indexed by `exec.scenario.iterationInTest` (the same global
//! iteration index the native generator passes to [`RequestSource::request`]).
//!
//! # `k6`: per-request records ([`run_scenario_k6`])
//!
//! k6 runs with `--out json=FILE` and as little else as the import needs, since
//! every metric point costs k6 CPU on the host it shares with the server:
//! `--no-summary --no-thresholds --no-usage-report`, `discardResponseBodies`,
//! `systemTags` cut to `status`, `error_code`, `vu` and `iter` (k6's default set
//! has 14, among them the `url`/`name` strings; `vu` and `iter` go to the points'
//! metadata). A scenario whose requests vary per iteration reads
//! `exec.scenario.iterationInTest` to pick its request and passes it on as
//! **metadata** `it` (`exec.vu.metrics.metadata`), not as a tag: a tag value unique
//! per request makes k6 intern a new tag set per request. A scenario with one
//! constant request (hello, echo: the fastest ones) reads nothing per iteration,
//! since each `exec.scenario` read is a call into Go. k6 has no option to drop
//! metrics from `--out json`, so each request still writes ~13 points. [`import`]
//! turns them into [`RequestRecord`]s:
//!
//! | record field | k6 metric point (`vu`, `iter` join the points of one request) |
//! |---|---|
//! | `latency_ns` | `http_req_duration` |
//! | `ttfb_ns` | `http_req_waiting` |
//! | `connect_ns` | `http_req_connecting` |
//! | `end_ns` | the points' `time` (k6 stamps them with the request's end) − time zero |
//! | `start_ns` | end − `http_req_duration` − `http_req_blocked` (blocked includes the connect) |
//! | `status`, `error` | tags `status`, `error_code` (k6 `lib/netext/httpext/error_codes.go`) |
//! | `bytes_out` / `bytes_in` | `data_sent` / `data_received` of the iteration (one request each) |
//! | `iteration` | metadata `it` (= `iterationInTest`); for a constant request, the rank of the request's start in the scenario (the order k6 began them in) |
//! | `vu` | `vu` − 1 (k6 numbers VUs from 1; k6 1.x puts `vu` in the points' metadata) |
//!
//! **Time zero** is when k6 started the scenario: each VU's first iteration adds
//! `exec.scenario.startTime` (k6's own clock, whole milliseconds, so time zero is at
//! most 1 ms early) to the gauge [`START_METRIC`], which the import reads. Only if
//! k6 was stopped before that point was written is the wall clock just before k6
//! was spawned used instead (then nothing, or next to nothing, was recorded).
//! `scheduled_ns` = `start_ns` (k6 does not expose the arrival-rate schedule per
//! request). The import happens after k6 exits, so records reach `tx` at the end,
//! not live. For a `constant-vus` or arrival-rate plan whose requests vary per
//! iteration, the script carries the first [`MAX_SCRIPT_REQUESTS`] requests and
//! cycles through them (the campaign's constant-vus scenarios send a constant
//! request). On `stop` the k6 process is killed and what it wrote so far is imported.
//!
//! # `k6-summary`: k6 as a user of the paper runs it ([`run_scenario_k6_summary`])
//!
//! The same script without the metadata and the gauge and with k6's default
//! system tags, run with `--summary-export FILE` and no `--out`: k6's end-of-test
//! summary only, no per-request record. [`K6Summary`] reads from it: requests
//! (`http_reqs.count`), failed requests (`http_req_failed.passes`), k6's req/s
//! (`http_reqs.rate` = requests ÷ k6's test run time, so the active time is
//! count ÷ rate), latency of the successful requests
//! (`http_req_duration{expected_response:true}`: avg, min, med, p90, p95, p99, max,
//! with `summaryTrendStats` asking for p99 too), bytes and `dropped_iterations`.

mod import;
mod script;

pub use import::import;
pub use script::script;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::sync::{mpsc, watch};

use super::summary::{LoadSummary, TimingSummary};
use super::{BATCH, Executor, LoadError, RequestRecord, ScenarioOutcome, ScenarioPlan, Target};

/// Cap on the requests embedded in a script for executors without a fixed count.
pub const MAX_SCRIPT_REQUESTS: u64 = 100_000;

/// The gauge iteration 0 sets to `exec.scenario.startTime` (ms since the epoch).
pub const START_METRIC: &str = "pywebbench_scenario_start";

/// What k6 is asked to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum K6Mode {
    /// Every request's metric points (`--out json`), imported as records.
    Records,
    /// The end-of-test summary only (`--summary-export`), as the paper's users ran k6.
    Summary,
}

/// Where k6 is: `$PYWEBBENCH_K6`, else `.venv/bin/k6` (`.venv/Scripts/k6.exe` on Windows)
/// under `root`, else `k6` on `PATH`.
pub fn find_k6(root: &Path) -> PathBuf {
    crate::venv::find_tool(root, "PYWEBBENCH_K6", "k6")
}

/// The k6 process: `k6`, or for a target inside a network namespace
/// `nsenter --net=/proc/<pid>/ns/net -- k6` (only the network namespace changes:
/// the script and the output file stay on the host's filesystem).
fn k6_command(k6: &Path, target: &Target) -> tokio::process::Command {
    match &target.netns {
        None => tokio::process::Command::new(k6),
        Some(ns) => {
            let mut cmd = tokio::process::Command::new("nsenter");
            cmd.args(ns.nsenter_args()).arg(k6);
            cmd
        }
    }
}

fn io_error(what: &str) -> impl FnOnce(std::io::Error) -> LoadError {
    let what = what.to_string();
    move |source| LoadError::K6Io { what, source }
}

/// Wall clock now, ns since the Unix epoch.
fn unix_now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Run k6 on `script_path` with `output` (the flags that say what it reports) until
/// it exits or `stop` turns true (then it is killed). Returns whether it was stopped.
async fn run_k6(
    k6: &Path,
    script_path: &Path,
    output: &[std::ffi::OsString],
    target: &Target,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, LoadError> {
    let mut child = k6_command(k6, target)
        .arg("run")
        .arg("--quiet")
        .arg("--no-usage-report")
        // no REST API server: parallel k6 runs would fight over its port
        .arg("--address")
        .arg("")
        .args(output)
        .arg(script_path)
        .env("K6_NO_USAGE_REPORT", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(io_error(&match &target.netns {
            None => format!("start ({})", k6.display()),
            Some(_) => format!(
                "start (nsenter from util-linux, then {}; install util-linux or use --path published-port)",
                k6.display()
            ),
        }))?;
    let mut stderr = child.stderr.take();
    let stderr_text = tokio::spawn(async move {
        let mut buf = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = tokio::io::AsyncReadExt::read_to_string(s, &mut buf).await;
        }
        buf
    });
    let mut stopped = false;
    let status = tokio::select! {
        status = child.wait() => status.map_err(io_error("wait"))?,
        () = super::stopped(stop) => {
            stopped = true;
            let _ = child.start_kill();
            child.wait().await.map_err(io_error("wait"))?
        }
    };
    let stderr_text = stderr_text.await.unwrap_or_default();
    if !status.success() && !stopped {
        let last = stderr_text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(LoadError::K6Failed(format!("{status}: {last}")));
    }
    Ok(stopped)
}

/// Write `plan`'s script for `mode` into a fresh temporary directory.
fn prepare(
    k6: &Path,
    target: &Target,
    plan: &ScenarioPlan,
    mode: K6Mode,
) -> Result<(tempfile::TempDir, PathBuf), LoadError> {
    if !k6.is_file() {
        return Err(LoadError::K6Missing(k6.to_path_buf()));
    }
    let text = script(target, plan, mode)?;
    let dir = tempfile::tempdir().map_err(io_error("temporary directory"))?;
    let script_path = dir.path().join("scenario.js");
    std::fs::write(&script_path, text).map_err(io_error("script write"))?;
    Ok((dir, script_path))
}

/// Run `plan` with the k6 binary at `k6`, send its requests as records to `tx`.
pub async fn run_scenario_k6(
    k6: &Path,
    target: &Target,
    plan: &ScenarioPlan,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    mut stop: watch::Receiver<bool>,
) -> Result<ScenarioOutcome, LoadError> {
    let (dir, script_path) = prepare(k6, target, plan, K6Mode::Records)?;
    let out_path = dir.path().join("points.json");
    let output = [
        "--no-summary".into(),
        "--no-thresholds".into(),
        "--out".into(),
        format!("json={}", out_path.display()).into(),
    ];
    let spawned_at_unix_ns = unix_now_ns();
    let stopped = run_k6(k6, &script_path, &output, target, &mut stop).await?;
    let file = std::fs::File::open(&out_path).map_err(io_error("output open"))?;
    let imported = import(BufReader::new(file), &out_path, stopped, spawned_at_unix_ns)?;
    let mut outcome = imported.outcome;
    if let Executor::SharedIterations { iterations, .. } = plan.executor {
        outcome.timed_out = outcome.requests < iterations && !stopped;
    }
    for chunk in imported.records.chunks(BATCH) {
        tx.send(chunk.to_vec())
            .await
            .map_err(|_| LoadError::CollectorGone)?;
    }
    Ok(outcome)
}

/// What `--loadgen k6-summary` knows of a scenario: k6's end-of-test summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct K6Summary {
    pub requests: u64,
    /// `http_req_failed.passes`: requests without a response or with status ≥ 400.
    pub failed: u64,
    /// k6's `http_reqs.rate`: requests ÷ k6's test run time.
    pub rps: f64,
    /// `http_req_duration{expected_response:true}` (ms); `None` without a successful request.
    pub latency: Option<TimingSummary>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub dropped_iterations: u64,
}

impl K6Summary {
    /// `--loadgen k6-summary`: what k6's end-of-test summary says, as `pywebbench
    /// load` prints it (no per-request data: no status or error-kind counts, TTFB or
    /// connections). req/s is k6's own rate, requests ÷ k6's test run time (`active_s`).
    pub fn to_load_summary(&self, outcome: &ScenarioOutcome) -> LoadSummary {
        LoadSummary {
            loadgen: "k6-summary".into(),
            requests: self.requests,
            successes: self.requests.saturating_sub(self.failed),
            errors: self.failed,
            errors_by_kind: Default::default(),
            statuses: Default::default(),
            dropped_iterations: self.dropped_iterations,
            timed_out: outcome.timed_out,
            active_s: outcome.active_ns as f64 / 1e9,
            rps: self.rps,
            latency: self.latency.unwrap_or_default(),
            ttfb: None,
            connections: None,
            connect_mean_ms: None,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
        }
    }

    /// Parse k6's `--summary-export` JSON.
    pub fn parse(text: &str, file: &Path) -> Result<Self, LoadError> {
        let bad = |why: String| LoadError::K6Output {
            file: file.to_path_buf(),
            line: 1,
            why,
        };
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not k6 summary JSON: {e}")))?;
        let metrics = v
            .get("metrics")
            .ok_or_else(|| bad("no `metrics` object (is it k6's --summary-export?)".into()))?;
        let num = |metric: &str, field: &str| {
            metrics
                .get(metric)
                .and_then(|m| m.get(field))
                .and_then(serde_json::Value::as_f64)
        };
        let latency = num("http_req_duration{expected_response:true}", "avg").map(|mean_ms| {
            let f = |k| num("http_req_duration{expected_response:true}", k).unwrap_or(f64::NAN);
            TimingSummary {
                mean_ms,
                min_ms: f("min"),
                p50_ms: f("med"),
                p90_ms: f("p(90)"),
                p95_ms: f("p(95)"),
                p99_ms: f("p(99)"),
                max_ms: f("max"),
            }
        });
        Ok(K6Summary {
            requests: num("http_reqs", "count").unwrap_or(0.0) as u64,
            failed: num("http_req_failed", "passes").unwrap_or(0.0) as u64,
            rps: num("http_reqs", "rate").unwrap_or(0.0),
            latency,
            bytes_in: num("data_received", "count").unwrap_or(0.0) as u64,
            bytes_out: num("data_sent", "count").unwrap_or(0.0) as u64,
            dropped_iterations: num("dropped_iterations", "count").unwrap_or(0.0) as u64,
        })
    }
}

/// Run `plan` with k6 as the paper's users would: the end-of-test summary only.
/// The outcome's `active_ns` is k6's test run time (requests ÷ k6's rate), its
/// `started_at_unix_ns` the wall clock just before k6 was spawned.
pub async fn run_scenario_k6_summary(
    k6: &Path,
    target: &Target,
    plan: &ScenarioPlan,
    mut stop: watch::Receiver<bool>,
) -> Result<(ScenarioOutcome, K6Summary), LoadError> {
    let (dir, script_path) = prepare(k6, target, plan, K6Mode::Summary)?;
    let out_path = dir.path().join("summary.json");
    let output = ["--summary-export".into(), out_path.clone().into_os_string()];
    let spawned_at_unix_ns = unix_now_ns();
    let stopped = run_k6(k6, &script_path, &output, target, &mut stop).await?;
    let text = match std::fs::read_to_string(&out_path) {
        Ok(t) => t,
        // Killed before k6 wrote its summary: nothing is known.
        Err(_) if stopped => {
            return Ok((
                ScenarioOutcome {
                    started_at_unix_ns: spawned_at_unix_ns,
                    active_ns: 0,
                    requests: 0,
                    errors: 0,
                    timed_out: false,
                    dropped_iterations: 0,
                },
                K6Summary::default(),
            ));
        }
        Err(e) => return Err(io_error("summary read")(e)),
    };
    let summary = K6Summary::parse(&text, &out_path)?;
    let active_ns = if summary.rps > 0.0 {
        (summary.requests as f64 / summary.rps * 1e9).round() as i64
    } else {
        0
    };
    let timed_out = match plan.executor {
        Executor::SharedIterations { iterations, .. } => summary.requests < iterations && !stopped,
        _ => false,
    };
    let outcome = ScenarioOutcome {
        started_at_unix_ns: spawned_at_unix_ns,
        active_ns,
        requests: summary.requests,
        errors: summary.failed,
        timed_out,
        dropped_iterations: summary.dropped_iterations,
    };
    Ok((outcome, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_k6_summary_export_parses() {
        let text = r#"{"root_group":{},"metrics":{
            "http_reqs":{"count":20,"rate":1832.2},
            "http_req_failed":{"fails":12,"passes":8,"value":0.4},
            "http_req_duration":{"avg":0.67,"min":0.05,"med":0.09,"max":5.6,"p(90)":1.1,"p(95)":5.3,"p(99)":5.5},
            "http_req_duration{expected_response:true}":{"avg":0.58,"min":0.085,"med":0.097,"max":5.6,"p(90)":0.27,"p(95)":2.68,"p(99)":5.02},
            "data_sent":{"count":1528,"rate":1.0},"data_received":{"count":4600,"rate":1.0}}}"#;
        let s = K6Summary::parse(text, Path::new("s.json")).unwrap();
        assert_eq!(
            (s.requests, s.failed, s.bytes_out, s.bytes_in),
            (20, 8, 1528, 4600)
        );
        let l = s.latency.unwrap();
        assert_eq!(
            (l.mean_ms, l.p50_ms, l.p95_ms, l.p99_ms),
            (0.58, 0.097, 2.68, 5.02)
        );
        let none = K6Summary::parse(
            r#"{"metrics":{"http_reqs":{"count":3,"rate":1}}}"#,
            Path::new("s"),
        )
        .unwrap();
        assert_eq!(none.latency, None, "no successful request, no latency");
        let err = K6Summary::parse("{}", Path::new("s.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `metrics` object"), "{err}");
    }
}
