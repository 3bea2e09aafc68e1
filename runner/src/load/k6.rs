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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{mpsc, watch};

use super::summary::TimingSummary;
use super::{
    BATCH, ErrorKind, Executor, GRACEFUL_STOP, LoadError, RequestRecord, ScenarioOutcome,
    ScenarioPlan, Target,
};

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
    if let Some(p) = std::env::var_os("PYWEBBENCH_K6") {
        return PathBuf::from(p);
    }
    let exe = format!("k6{}", std::env::consts::EXE_SUFFIX);
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let venv = root.join(".venv").join(bin).join(&exe);
    if venv.is_file() {
        return venv;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(&exe);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    venv
}

/// k6 duration literal: whole milliseconds when exact, else nanoseconds.
fn k6_duration(d: Duration) -> String {
    if d.as_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}ns", d.as_nanos())
    }
}

fn js(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// How many requests the script must carry for this plan.
fn script_request_count(plan: &ScenarioPlan) -> u64 {
    if plan.requests.constant().is_some() {
        return 1;
    }
    match plan.executor {
        Executor::SharedIterations { iterations, .. } => iterations,
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            ..
        } => {
            let n = (u128::from(rate) * duration.as_nanos()).div_ceil(time_unit.as_nanos());
            (n as u64).clamp(1, MAX_SCRIPT_REQUESTS)
        }
        Executor::ConstantVus { .. } => MAX_SCRIPT_REQUESTS,
    }
    .max(1)
}

/// The k6 script (ES module) for `plan` against `target`.
pub fn script(target: &Target, plan: &ScenarioPlan, mode: K6Mode) -> Result<String, LoadError> {
    plan.executor.validate()?;
    let scenario = match plan.executor {
        Executor::ConstantVus { vus, duration } => format!(
            r#"executor: "{}", vus: {vus}, duration: {}"#,
            plan.executor.k6_name(),
            js(&k6_duration(duration))
        ),
        Executor::SharedIterations {
            vus,
            iterations,
            max_duration,
        } => format!(
            r#"executor: "{}", vus: {vus}, iterations: {iterations}, maxDuration: {}"#,
            plan.executor.k6_name(),
            js(&k6_duration(max_duration))
        ),
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            pre_allocated_vus,
            max_vus,
        } => format!(
            r#"executor: "{}", rate: {rate}, timeUnit: {}, duration: {}, preAllocatedVUs: {pre_allocated_vus}, maxVUs: {max_vus}"#,
            plan.executor.k6_name(),
            js(&k6_duration(time_unit)),
            js(&k6_duration(duration))
        ),
    };
    let mut requests = String::from("[\n");
    for i in 0..script_request_count(plan) {
        let spec = plan.requests.request(i);
        let body = match &spec.body {
            Some(b) => {
                let text = std::str::from_utf8(b).map_err(|_| {
                    LoadError::Plan(format!(
                        "iteration {i}: a k6 request body must be UTF-8 text"
                    ))
                })?;
                js(&text)
            }
            None => "null".into(),
        };
        let _ = writeln!(
            requests,
            "  [{}, {}, {body}],",
            js(&spec.method.as_str()),
            js(&spec.path)
        );
    }
    requests.push(']');
    // Every `exec.scenario` read costs k6 a call into Go per iteration: a scenario
    // whose requests are all the same does not read the iteration index.
    let constant = plan.requests.constant().is_some();
    let pick = if constant {
        "  const r = REQUESTS[0];\n"
    } else {
        "  const i = exec.scenario.iterationInTest;\n  const r = REQUESTS[i % REQUESTS.length];\n"
    };
    let (imports, options, per_iteration) = match mode {
        K6Mode::Records => (
            format!(
                "import {{ Gauge }} from \"k6/metrics\";\n\nconst START = new Gauge({});\n",
                js(&START_METRIC)
            ),
            // Only what the import reads: fewer tags, less work per metric point.
            r#"systemTags: ["status", "error_code", "vu", "iter"],"#.to_string(),
            // Each VU's first iteration: when k6 started the scenario (the import's
            // time zero). With varying requests, the iteration index as metadata
            // `it` (metadata, not a tag: a tag unique per request makes k6 intern a
            // new tag set per request).
            format!(
                "{}  if (__ITER === 0) START.add(exec.scenario.startTime);\n",
                if constant {
                    ""
                } else {
                    "  exec.vu.metrics.metadata.it = String(i);\n"
                }
            ),
        ),
        K6Mode::Summary => (
            String::new(),
            r#"summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"],"#
                .to_string(),
            String::new(),
        ),
    };
    Ok(format!(
        r#"// Generated by pywebbench from scenario {name}: do not edit.
import http from "k6/http";
import exec from "k6/execution";
{imports}
const BASE = {base};
const TIMEOUT = {timeout};
const JSON_HEADERS = {{ "Content-Type": "application/json" }};
// [method, path, body or null], iteration i sends REQUESTS[i % REQUESTS.length]
const REQUESTS = {requests};

export const options = {{
  discardResponseBodies: true,
  {options}
  scenarios: {{
    {name}: {{ {scenario}, gracefulStop: {graceful} }},
  }},
}};

export default function () {{
{pick}{per_iteration}  const params = {{ timeout: TIMEOUT }};
  if (r[2] !== null) params.headers = JSON_HEADERS;
  http.request(r[0], BASE + r[1], r[2], params);
}}
"#,
        name = js(&plan.name),
        base = js(&target.base_url()),
        timeout = js(&k6_duration(plan.request_timeout)),
        graceful = js(&k6_duration(GRACEFUL_STOP)),
    ))
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

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    metric: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    time: Option<String>,
    value: Option<f64>,
    #[serde(default)]
    tags: Tags,
    /// k6 ≥ 0.41 puts the high-cardinality `vu` and `iter` here, and the script's `it`.
    #[serde(default)]
    metadata: Tags,
}

#[derive(Deserialize, Default)]
struct Tags {
    vu: Option<String>,
    iter: Option<String>,
    it: Option<String>,
    status: Option<String>,
    error_code: Option<String>,
}

#[derive(Default)]
struct Partial {
    request: bool,
    iteration: Option<u64>,
    end_unix_ns: i64,
    duration_ns: i64,
    waiting_ns: i64,
    connecting_ns: i64,
    blocked_ns: i64,
    status: u16,
    error_code: u32,
    bytes_in: u64,
    bytes_out: u64,
}

/// k6's `error_code` tag → the schema's error kind.
pub fn error_kind(status: u16, error_code: u32) -> Option<ErrorKind> {
    if status >= 400 {
        return Some(ErrorKind::HttpStatus);
    }
    match error_code {
        0 if status == 0 => Some(ErrorKind::Io),
        0 => None,
        1050 => Some(ErrorKind::Timeout),
        // DNS (11xx) and dial errors (1210 dial, 1211 dial timeout, 1212 refused, 1213)
        1100..=1199 | 1210..=1213 => Some(ErrorKind::Connect),
        // generic, non-TCP, TCP (1200 generic, 1201 broken pipe, 1202 errno, 1220 reset)
        1000..=1049 | 1051..=1099 | 1200..=1209 | 1214..=1299 => Some(ErrorKind::Io),
        // TLS, HTTP/2, content errors
        _ => Some(ErrorKind::Protocol),
    }
}

/// Records imported from a k6 `--out json` file.
pub struct Imported {
    pub records: Vec<RequestRecord>,
    pub outcome: ScenarioOutcome,
}

fn parse_time(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos() as i64)
}

/// Read k6's JSON lines. `truncated` tolerates a cut last line (k6 was killed).
/// Time zero is the scenario start the script reported ([`START_METRIC`]), else
/// `fallback_t0_unix_ns` (the wall clock when k6 was spawned).
pub fn import(
    reader: impl BufRead,
    file: &Path,
    truncated: bool,
    fallback_t0_unix_ns: i64,
) -> Result<Imported, LoadError> {
    let mut partial: HashMap<(u32, u64), Partial> = HashMap::new();
    let mut dropped = 0u64;
    let mut scenario_start_ms: Option<f64> = None;
    let mut lines = reader.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let bad = |why: String| LoadError::K6Output {
            file: file.to_path_buf(),
            line: n + 1,
            why,
        };
        let line = line.map_err(|e| bad(e.to_string()))?;
        let parsed: Line = match serde_json::from_str(&line) {
            Ok(p) => p,
            Err(_) if truncated && lines.peek().is_none() => break,
            Err(e) => return Err(bad(e.to_string())),
        };
        if parsed.kind != "Point" {
            continue;
        }
        if parsed.metric == "dropped_iterations" {
            dropped += parsed.data.value.unwrap_or(0.0) as u64;
            continue;
        }
        if parsed.metric == START_METRIC {
            // Every VU reports the same start; keep the earliest all the same.
            if let Some(v) = parsed.data.value {
                scenario_start_ms = Some(scenario_start_ms.map_or(v, |s: f64| s.min(v)));
            }
            continue;
        }
        let field: fn(&mut Partial, f64) = match parsed.metric.as_str() {
            "http_req_duration" => |p, v| p.duration_ns = ms_to_ns(v),
            "http_req_waiting" => |p, v| p.waiting_ns = ms_to_ns(v),
            "http_req_connecting" => |p, v| p.connecting_ns = ms_to_ns(v),
            "http_req_blocked" => |p, v| p.blocked_ns = ms_to_ns(v),
            "data_sent" => |p, v| p.bytes_out = v as u64,
            "data_received" => |p, v| p.bytes_in = v as u64,
            "http_reqs" => |_, _| {},
            _ => continue,
        };
        let tags = &parsed.data.tags;
        let meta = &parsed.data.metadata;
        let (Some(vu), Some(iter)) = (
            meta.vu
                .as_deref()
                .or(tags.vu.as_deref())
                .and_then(|v| v.parse::<u32>().ok()),
            meta.iter
                .as_deref()
                .or(tags.iter.as_deref())
                .and_then(|v| v.parse::<u64>().ok()),
        ) else {
            return Err(bad(format!(
                "point of {} without vu/iter (the script's systemTags must include them; was it written by pywebbench?)",
                parsed.metric
            )));
        };
        let p = partial.entry((vu, iter)).or_default();
        if let Some(it) = meta.it.as_deref().or(tags.it.as_deref()) {
            p.iteration = it.parse().ok();
        }
        field(p, parsed.data.value.unwrap_or(0.0));
        if parsed.metric.starts_with("http_req") {
            p.request = true;
            p.status = tags
                .status
                .as_deref()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            p.error_code = tags
                .error_code
                .as_deref()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if let Some(t) = parsed.data.time.as_deref().and_then(parse_time) {
                p.end_unix_ns = t;
            }
        }
    }
    // k6 reports the start in whole ms (exact in an f64).
    let t0 = scenario_start_ms.map_or(fallback_t0_unix_ns, |ms| (ms.round() as i64) * 1_000_000);
    let numbered = partial
        .values()
        .filter(|p| p.request)
        .all(|p| p.iteration.is_some());
    let mut records: Vec<RequestRecord> = partial
        .into_iter()
        .filter(|(_, p)| p.request)
        .map(|((vu, iter), p)| {
            let end_ns = p.end_unix_ns - t0;
            let start_ns = end_ns - p.duration_ns - p.blocked_ns;
            RequestRecord {
                vu: vu.saturating_sub(1),
                // k6's per-VU `iter` until renumbered below
                iteration: p.iteration.filter(|_| numbered).unwrap_or(iter),
                scheduled_ns: start_ns,
                start_ns,
                end_ns,
                latency_ns: p.duration_ns,
                ttfb_ns: p.waiting_ns,
                connect_ns: p.connecting_ns,
                status: p.status,
                bytes_in: p.bytes_in,
                bytes_out: p.bytes_out,
                error: error_kind(p.status, p.error_code),
            }
        })
        .collect();
    if numbered {
        records.sort_by_key(|r| (r.start_ns, r.iteration));
    } else {
        // A constant request: the iteration index is the order k6 began them in.
        records.sort_by_key(|r| (r.start_ns, r.vu, r.iteration));
        for (i, r) in records.iter_mut().enumerate() {
            r.iteration = i as u64;
        }
    }
    let outcome = ScenarioOutcome {
        started_at_unix_ns: t0,
        active_ns: records.iter().map(|r| r.end_ns).max().unwrap_or(0),
        requests: records.len() as u64,
        errors: records.iter().filter(|r| r.error.is_some()).count() as u64,
        timed_out: false,
        dropped_iterations: dropped,
    };
    Ok(Imported { records, outcome })
}

fn ms_to_ns(ms: f64) -> i64 {
    (ms * 1e6).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ConstantRequest, RequestList, RequestSource, RequestSpec};
    use hyper::Method;
    use std::sync::Arc;

    fn plan(executor: Executor, requests: Arc<dyn RequestSource>) -> ScenarioPlan {
        ScenarioPlan {
            name: "get_one".into(),
            executor,
            requests,
            request_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn script_maps_executor_options_one_to_one() {
        let list = RequestList(
            (0..3)
                .map(|i| RequestSpec {
                    method: Method::PUT,
                    path: format!("/items/{i}"),
                    body: Some(bytes::Bytes::from(format!("{{\"n\":{i}}}"))),
                })
                .collect(),
        );
        let p = plan(
            Executor::SharedIterations {
                vus: 10,
                iterations: 3,
                max_duration: Duration::from_secs(600),
            },
            Arc::new(list),
        );
        let s = script(&Target::new("127.0.0.1", 8000), &p, K6Mode::Records).unwrap();
        assert!(
            s.contains(
                r#"executor: "shared-iterations", vus: 10, iterations: 3, maxDuration: "600000ms""#
            ),
            "{s}"
        );
        assert!(s.contains(r#"["PUT", "/items/2", "{\"n\":2}"]"#), "{s}");
        assert!(s.contains(r#"const BASE = "http://127.0.0.1:8000";"#));
        assert!(s.contains(r#"const TIMEOUT = "10000ms";"#));

        let rate = plan(
            Executor::ConstantArrivalRate {
                rate: 50,
                time_unit: Duration::from_secs(1),
                duration: Duration::from_millis(2500),
                pre_allocated_vus: 5,
                max_vus: 20,
            },
            Arc::new(ConstantRequest(RequestSpec {
                method: Method::GET,
                path: "/hello".into(),
                body: None,
            })),
        );
        let s = script(&Target::new("localhost", 1), &rate, K6Mode::Records).unwrap();
        assert!(s.contains(r#"executor: "constant-arrival-rate", rate: 50, timeUnit: "1000ms", duration: "2500ms", preAllocatedVUs: 5, maxVUs: 20"#), "{s}");
        assert!(s.contains(r#"["GET", "/hello", null],"#));
    }

    #[test]
    fn the_records_script_carries_only_what_the_import_reads() {
        let p = plan(
            Executor::ConstantVus {
                vus: 2,
                duration: Duration::from_secs(1),
            },
            Arc::new(ConstantRequest(RequestSpec {
                method: Method::GET,
                path: "/hello".into(),
                body: None,
            })),
        );
        let target = Target::new("127.0.0.1", 8000);
        let records = script(&target, &p, K6Mode::Records).unwrap();
        assert!(records.contains(r#"systemTags: ["status", "error_code", "vu", "iter"],"#));
        assert!(records.contains("if (__ITER === 0) START.add(exec.scenario.startTime);"));
        assert!(!records.contains("tags:"), "no per-request tag: {records}");
        // A constant request: no per-iteration read of the iteration index.
        assert!(!records.contains("iterationInTest") && !records.contains("metadata"));
        let varying = plan(
            p.executor.clone(),
            Arc::new(RequestList(vec![
                RequestSpec {
                    method: Method::GET,
                    path: "/items/1".into(),
                    body: None,
                },
                RequestSpec {
                    method: Method::GET,
                    path: "/items/2".into(),
                    body: None,
                },
            ])),
        );
        let records = script(&target, &varying, K6Mode::Records).unwrap();
        assert!(records.contains("const i = exec.scenario.iterationInTest;"));
        assert!(records.contains("exec.vu.metrics.metadata.it = String(i);"));
        let summary = script(&target, &p, K6Mode::Summary).unwrap();
        assert!(
            !summary.contains("systemTags"),
            "k6's default tags: {summary}"
        );
        assert!(!summary.contains("metadata") && !summary.contains("START"));
        assert!(summary.contains(r#""p(95)", "p(99)""#));
    }

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

    #[test]
    fn k6_error_codes_map_to_error_kinds() {
        assert_eq!(error_kind(200, 0), None);
        assert_eq!(error_kind(500, 1500), Some(ErrorKind::HttpStatus));
        assert_eq!(error_kind(0, 1050), Some(ErrorKind::Timeout));
        assert_eq!(error_kind(0, 1212), Some(ErrorKind::Connect));
        assert_eq!(error_kind(0, 1220), Some(ErrorKind::Io));
        assert_eq!(error_kind(0, 0), Some(ErrorKind::Io));
    }

    #[test]
    fn import_joins_points_of_one_request() {
        // k6 v1.1.0's --out json lines as the records script makes them: metadata vu,
        // iter and it, tags status/error_code; the scenario start (ms) from the gauge.
        let lines = r#"{"type":"Metric","data":{"name":"pywebbench_scenario_start","type":"gauge","contains":"default","thresholds":[],"submetrics":null},"metric":"pywebbench_scenario_start"}
{"metric":"pywebbench_scenario_start","type":"Point","data":{"time":"2025-01-01T00:00:00.500000000Z","value":1.735689600499e+12,"tags":{},"metadata":{"it":"8","iter":"0","vu":"2"}}}
{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
{"metric":"http_reqs","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":1,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":2.5,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_waiting","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":2.0,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_blocked","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0.5,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_connecting","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0.25,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_failed","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"data_sent","type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":90,"tags":{},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"data_received","type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":210,"tags":{},"metadata":{"it":"7","iter":"3","vu":"1"}}}
{"metric":"iterations","type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":1,"tags":{},"metadata":{"it":"7","iter":"3","vu":"1"}}}
{"metric":"vus","type":"Point","data":{"time":"2025-01-01T00:00:01.5Z","value":2,"tags":{}}}
{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:02.000000000Z","value":1,"tags":{"status":"0","error_code":"1050"},"metadata":{"vu":"2","iter":"0","it":"8"}}}
{"metric":"dropped_iterations","type":"Point","data":{"time":"2025-01-01T00:00:02.000000000Z","value":1,"tags":{}}}
{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:02.0"#;
        let imp = import(lines.as_bytes(), Path::new("x.json"), true, 0).unwrap();
        assert_eq!(imp.records.len(), 2);
        let r = imp.records[0];
        assert_eq!((r.vu, r.iteration, r.status, r.error), (0, 7, 200, None));
        assert_eq!(r.latency_ns, 2_500_000);
        assert_eq!(r.ttfb_ns, 2_000_000);
        assert_eq!(r.connect_ns, 250_000);
        // Time zero = the scenario's start, 00:00:00.499: the request ended 501 ms
        // later and began 3 ms before its end (duration 2.5 + blocked 0.5).
        assert_eq!(imp.outcome.started_at_unix_ns, 1_735_689_600_499_000_000);
        assert_eq!((r.start_ns, r.end_ns), (498_000_000, 501_000_000));
        assert_eq!((r.bytes_out, r.bytes_in), (90, 210));
        let t = imp.records[1];
        assert_eq!(
            (t.vu, t.iteration, t.error),
            (1, 8, Some(ErrorKind::Timeout))
        );
        assert_eq!(imp.outcome.active_ns, 1_501_000_000);
        assert_eq!(imp.outcome.dropped_iterations, 1);
        assert_eq!(imp.outcome.errors, 1);
        // A cut line is an error unless k6 was killed.
        assert!(import(lines.as_bytes(), Path::new("x.json"), false, 0).is_err());
        // Without the start point (k6 killed early), the fallback is time zero.
        let no_start: String = lines.lines().skip(2).collect::<Vec<_>>().join("\n");
        let imp = import(
            no_start.as_bytes(),
            Path::new("x.json"),
            true,
            1_735_689_600_000_000_000,
        )
        .unwrap();
        assert_eq!(imp.records[0].end_ns, 1_000_000_000);
        // A constant request (no `it`): numbered in the order k6 began them.
        let constant: String = lines
            .lines()
            .map(|l| l.replace(r#","it":"7""#, "").replace(r#","it":"8""#, ""))
            .collect::<Vec<_>>()
            .join("\n");
        let imp = import(constant.as_bytes(), Path::new("x.json"), true, 0).unwrap();
        let its: Vec<(u32, u64)> = imp.records.iter().map(|r| (r.vu, r.iteration)).collect();
        assert_eq!(its, [(0, 0), (1, 1)]);
        // A point without vu/iter names the cause.
        let bare = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:01Z","value":1,"tags":{"status":"200"}}}"#;
        let Err(err) = import(bare.as_bytes(), Path::new("x.json"), false, 0) else {
            panic!("a point without vu/iter must be refused");
        };
        let err = err.to_string();
        assert!(err.contains("without vu/iter"), "{err}");
    }
}
